/*
 * cmd-log.c - `benchtop log`: add scalars, params and tags to a run from a
 * script, ingest JSON lines in bulk, or start and finish a run by hand.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "git.h"
#include "run.h"
#include "runref.h"
#include "scalars.h"
#include "series.h"
#include "track.h"
#include "util.h"

static const char usage[] =
        "usage: benchtop log [--run RUN] [--step N] KEY=VALUE...\n"
        "       benchtop log [--run RUN] --param KEY=VALUE...\n"
        "       benchtop log [--run RUN] --tag TAG...\n"
        "       benchtop log [--run RUN] --jsonl [FILE]\n"
        "       benchtop log --start [--name N] [--tag TAG]... [KEY=VALUE...]\n"
        "       benchtop log [--run RUN] --finish [--status STATUS] [--reason TEXT]\n"
        "\n"
        "Log to a run: the one named by --run, else $BENCHTOP_RUN (set by 'benchtop exec').\n"
        "\n"
        "  -r, --run RUN         the run: an id, @, tag:NAME or a uuid prefix\n"
        "      --step N          the step of these scalars (default: one more than each\n"
        "                        key's last step)\n"
        "      --param           KEY=VALUE arguments are params, not scalars\n"
        "  -t, --tag TAG         add a tag (repeatable)\n"
        "      --jsonl           read JSON objects, one a line, from FILE or standard input:\n"
        "                        {\"step\": 3, \"loss\": 0.4, \"val\": {\"acc\": 0.9}}; numbers\n"
        "                        become scalars (nested keys as val/acc); \"wall_time\" sets\n"
        "                        the time of the line's points\n"
        "      --start           create a run (kind exec) with KEY=VALUE params and print its\n"
        "                        uuid, for: export BENCHTOP_RUN=$(benchtop log --start)\n"
        "  -n, --name N          the new run's name (with --start)\n"
        "      --finish          end the run: finished, or --status failed|interrupted\n"
        "      --status STATUS   the final status (with --finish)\n"
        "      --reason TEXT     why it ended so (with --finish)\n";

enum mode { M_SCALARS, M_PARAMS, M_TAGS, M_JSONL, M_START, M_FINISH };

static int resolve_run(struct bt_ctx *ctx, const char *ref, int64_t *id)
{
	if (!ref) {
		ref = getenv("BENCHTOP_RUN");
		if (!ref || !*ref) {
			bt_error_set(
			        BT_EUSAGE,
			        "which run? use --run RUN or set BENCHTOP_RUN (for example with "
			        "'benchtop log --start')");
			return bt_cli_fail(ctx, BT_EUSAGE);
		}
	}
	return bt_cli_resolve(ctx, ref, id);
}

static int log_scalars(struct bt_ctx *ctx, struct bt_store *s, int64_t id, int argc, char **argv,
                       int has_step, int64_t step)
{
	struct bt_series_keys *keys = bt_series_keys_new();
	struct bt_series_inserter *ins = NULL;
	struct bt_series_point *p = bt_xcalloc((size_t)argc, sizeof(*p));
	double now = bt_now();
	int i, rc = 0;

	for (i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i]) {
			rc = bt_error_set(BT_EUSAGE, "expected KEY=VALUE, got '%s'", argv[i]);
			goto out;
		}
		p[i].key = bt_series_keys_intern(keys, argv[i], (size_t)(eq - argv[i]));
		if (!p[i].key) {
			rc = bt_error_prefix("'%s': ", argv[i]);
			goto out;
		}
		if (bt_scalars_number(eq + 1, strlen(eq + 1), &p[i].value)) {
			rc = bt_error_set(BT_EUSAGE, "'%s': the value is not a number", argv[i]);
			goto out;
		}
		p[i].step = has_step ? step : BT_SERIES_AUTO_STEP;
		p[i].wall = now;
	}
	rc = bt_store_begin(s);
	if (rc)
		goto out;
	rc = bt_series_inserter_new(&ins, s);
	if (!rc)
		rc = bt_series_insert(ins, id, p, (size_t)argc);
	bt_series_inserter_free(ins);
	if (!rc)
		rc = bt_store_commit(s);
	else
		bt_store_rollback(s);
out:
	free(p);
	bt_series_keys_free(keys);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}

static int log_params(struct bt_ctx *ctx, struct bt_store *s, int64_t id, int argc, char **argv)
{
	int i, rc;

	for (i = 0; i < argc; i++)
		if (!strchr(argv[i], '=') || argv[i][0] == '=') {
			bt_error_set(BT_EUSAGE, "expected KEY=VALUE, got '%s'", argv[i]);
			return bt_cli_fail(ctx, BT_EUSAGE);
		}
	rc = bt_store_begin(s);
	for (i = 0; !rc && i < argc; i++) {
		char *k, *v;
		bt_cli_split_kv(argv[i], &k, &v);
		rc = bt_run_set_param(s, id, k, v);
		free(k);
		free(v);
	}
	if (!rc)
		rc = bt_store_commit(s);
	else
		bt_store_rollback(s);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}

static int add_tags(struct bt_store *s, int64_t id, char **tags, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < n; i++)
		rc = bt_run_add_tag(s, id, tags[i]);
	return rc;
}

struct ingest {
	struct bt_tracker *t;
	struct bt_scalar_line sl;
	uint64_t lineno, lines, bad, first_bad;
	double now;
};

static void ingest_line(struct ingest *g, const char *line, size_t len)
{
	size_t k = 0, j;

	g->lineno++;
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	while (k < len && (line[k] == ' ' || line[k] == '\t'))
		k++;
	if (k == len)
		return;
	g->lines++;
	if (!bt_scalars_parse_json(line + k, len - k, &g->sl)) {
		if (!g->bad++)
			g->first_bad = g->lineno;
		return;
	}
	for (j = 0; j < g->sl.n; j++)
		bt_tracker_log(g->t, g->sl.v[j].key, g->sl.v[j].key_len,
		               g->sl.has_step ? g->sl.step : BT_SERIES_AUTO_STEP, g->sl.v[j].value,
		               g->sl.has_wall ? g->sl.wall : g->now);
}

/* Bulk ingestion: this thread reads and parses, the tracker's thread writes. */
static int log_jsonl(struct bt_ctx *ctx, struct bt_store *s, int64_t id, const char *file)
{
	struct bt_tracker_opts o = {0};
	struct bt_tracker_stats ts;
	struct ingest g;
	struct bt_buf carry = BT_BUF_INIT;
	size_t bufsize = 1 << 20;
	char *buf = NULL;
	double t0 = bt_monotonic();
	int fd = STDIN_FILENO, rc;

	memset(&g, 0, sizeof(g));
	memset(&ts, 0, sizeof(ts));
	if (file && strcmp(file, "-") != 0) {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			bt_error_set(errno == ENOENT ? BT_ENOTFOUND : BT_EIO,
			             "cannot open '%s': %s", file, strerror(errno));
			return bt_cli_fail(ctx, bt_error_code());
		}
	}
	o.block_when_full = 1;
	o.busy_ms = 5000;
	rc = bt_tracker_start(&g.t, bt_store_path(s), id, &o);
	if (rc)
		goto out;
	buf = bt_xmalloc(bufsize);
	for (;;) {
		ssize_t n = read(fd, buf, bufsize);
		size_t start = 0, i;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = bt_error_set(BT_EIO, "cannot read input: %s", strerror(errno));
			break;
		}
		/* Points without a "wall_time" get the time their block was read. */
		g.now = bt_now();
		if (n == 0) {
			if (carry.len)
				ingest_line(&g, carry.ptr, carry.len);
			break;
		}
		for (i = 0; i < (size_t)n; i++) {
			if (buf[i] != '\n')
				continue;
			if (carry.len) {
				bt_buf_add(&carry, buf + start, i - start);
				ingest_line(&g, carry.ptr, carry.len);
				bt_buf_reset(&carry);
			} else {
				ingest_line(&g, buf + start, i - start);
			}
			start = i + 1;
		}
		if (start < (size_t)n)
			bt_buf_add(&carry, buf + start, (size_t)n - start);
	}
	{
		int src = bt_tracker_stop(g.t, -1, &ts);
		g.t = NULL;
		if (!rc)
			rc = src;
	}
	if (!rc && !ctx->quiet) {
		double dt = bt_monotonic() - t0;
		fprintf(stderr, "benchtop: %llu points from %llu lines in %.3f s (%.0f points/s)\n",
		        (unsigned long long)ts.written, (unsigned long long)g.lines, dt,
		        dt > 0 ? (double)ts.written / dt : 0.0);
	}
	if (!rc && g.bad)
		rc = bt_error_set(BT_EINPUT,
		                  "%llu malformed line%s skipped (the first is line %llu)",
		                  (unsigned long long)g.bad, g.bad == 1 ? "" : "s",
		                  (unsigned long long)g.first_bad);
out:
	if (g.t)
		bt_tracker_stop(g.t, -1, NULL);
	if (fd != STDIN_FILENO)
		close(fd);
	free(buf);
	bt_buf_free(&carry);
	bt_scalar_line_release(&g.sl);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}

static int start_run(struct bt_ctx *ctx, struct bt_store *s, const char *name, int argc,
                     char **argv, char **tags, size_t ntags)
{
	struct bt_git_info git;
	struct bt_run run;
	char **keys = bt_xcalloc((size_t)argc + 1, sizeof(*keys));
	char **values = bt_xcalloc((size_t)argc + 1, sizeof(*values));
	int i, rc = 0;

	memset(&run, 0, sizeof(run));
	memset(&git, 0, sizeof(git));
	for (i = 0; !rc && i < argc; i++)
		rc = bt_cli_split_kv(argv[i], &keys[i], &values[i]);
	if (rc)
		goto out;
	if (bt_git_capture(&git, ctx->cwd) != 0) {
		bt_cli_warn(ctx, "cannot read git state: %s", bt_error_last());
		bt_git_info_release(&git);
		memset(&git, 0, sizeof(git));
	}
	run.kind = bt_xstrdup("exec");
	run.name = name ? bt_xstrdup(name) : NULL;
	run.cwd = bt_xstrdup(ctx->cwd);
	/* The script that called us owns the run: its liveness is the run's. */
	run.pid = (int64_t)getppid();
	rc = bt_run_create(s, &run, &git, (const char *const *)keys, (const char *const *)values,
	                   (size_t)argc, (const char *const *)tags, ntags);
	if (!rc)
		printf("%s\n", run.uuid);
out:
	for (i = 0; i < argc; i++) {
		free(keys[i]);
		free(values[i]);
	}
	free(keys);
	free(values);
	bt_git_info_release(&git);
	bt_run_release(&run);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}

int cmd_log(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {
	        {"run", required_argument, NULL, 'r'},    {"step", required_argument, NULL, 'S'},
	        {"param", no_argument, NULL, 'P'},        {"tag", required_argument, NULL, 't'},
	        {"jsonl", no_argument, NULL, 'J'},        {"start", no_argument, NULL, 'B'},
	        {"name", required_argument, NULL, 'n'},   {"finish", no_argument, NULL, 'F'},
	        {"status", required_argument, NULL, 's'}, {"reason", required_argument, NULL, 'R'},
	        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	const char *ref = NULL, *name = NULL, *status_name = NULL, *reason = NULL;
	char **tags = NULL;
	size_t ntags = 0;
	int64_t step = 0, id;
	int has_step = 0, c, rc, nmodes = 0, status = BT_RUN_FINISHED;
	enum mode mode = M_SCALARS;
	struct bt_store *s;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":r:t:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			ref = optarg;
			break;
		case 'S':
			if (bt_parse_int64(optarg, &step) || step == BT_SERIES_AUTO_STEP) {
				free(tags);
				return bt_cli_usage_error(
				        ctx, usage, "--step needs an integer, not '%s'", optarg);
			}
			has_step = 1;
			break;
		case 'P':
			mode = M_PARAMS;
			nmodes++;
			break;
		case 't':
			tags = bt_xrealloc(tags, (ntags + 1) * sizeof(*tags));
			tags[ntags++] = optarg;
			break;
		case 'J':
			mode = M_JSONL;
			nmodes++;
			break;
		case 'B':
			mode = M_START;
			nmodes++;
			break;
		case 'n':
			name = optarg;
			break;
		case 'F':
			mode = M_FINISH;
			nmodes++;
			break;
		case 's':
			status_name = optarg;
			break;
		case 'R':
			reason = optarg;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			free(tags);
			return 0;
		default:
			free(tags);
			return bt_cli_bad_option(ctx, usage, c, argv);
		}
	}
	argc -= optind;
	argv += optind;
	if (nmodes > 1) {
		free(tags);
		return bt_cli_usage_error(
		        ctx, usage, "--param, --jsonl, --start and --finish exclude each other");
	}
	if (mode == M_SCALARS && argc == 0 && ntags > 0)
		mode = M_TAGS;
	if ((name && mode != M_START) || ((status_name || reason) && mode != M_FINISH) ||
	    (has_step && mode != M_SCALARS) || (ref && mode == M_START)) {
		free(tags);
		return bt_cli_usage_error(ctx, usage,
		                          "--name goes with --start, --status and --reason with "
		                          "--finish, --step with scalars, --run not with --start");
	}
	if ((mode == M_SCALARS || mode == M_PARAMS) && argc == 0) {
		free(tags);
		return bt_cli_usage_error(ctx, usage, "nothing to log: give KEY=VALUE arguments");
	}
	if ((mode == M_FINISH || mode == M_TAGS) && argc > 0) {
		free(tags);
		return bt_cli_usage_error(ctx, usage, "unexpected argument '%s'", argv[0]);
	}
	if (mode == M_JSONL && argc > 1) {
		free(tags);
		return bt_cli_usage_error(ctx, usage, "--jsonl reads one file");
	}
	if (status_name) {
		status = bt_run_status_parse(status_name);
		if (status < 0 || status == BT_RUN_RUNNING) {
			free(tags);
			return bt_cli_usage_error(
			        ctx, usage,
			        "--status must be finished, failed or interrupted, not '%s'",
			        status_name);
		}
	}
	rc = bt_cli_store(ctx, &s);
	if (rc) {
		free(tags);
		return bt_cli_fail(ctx, rc);
	}
	if (mode == M_START) {
		rc = start_run(ctx, s, name, argc, argv, tags, ntags);
		free(tags);
		return rc;
	}
	rc = resolve_run(ctx, ref, &id);
	if (rc) {
		free(tags);
		return rc;
	}
	if (ntags) {
		int trc = add_tags(s, id, tags, ntags);
		if (trc) {
			free(tags);
			return bt_cli_fail(ctx, trc);
		}
	}
	free(tags);
	switch (mode) {
	case M_SCALARS:
		return log_scalars(ctx, s, id, argc, argv, has_step, step);
	case M_PARAMS:
		return log_params(ctx, s, id, argc, argv);
	case M_JSONL:
		return log_jsonl(ctx, s, id, argc ? argv[0] : NULL);
	case M_FINISH:
		rc = bt_run_finish(s, id, (enum bt_run_status)status, reason);
		return rc ? bt_cli_fail(ctx, rc) : 0;
	case M_TAGS:
	case M_START:
		break;
	}
	return 0;
}
