/*
 * cmd-exec.c - `benchtop exec [OPTIONS] -- COMMAND [ARGS...]`: run any
 * command as a tracked run, passing its output through while storing it
 * and the scalars found in it.
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "error.h"
#include "git.h"
#include "run.h"
#include "runlog.h"
#include "scalars.h"
#include "series.h"
#include "track.h"
#include "util.h"

extern char **environ;

static const char usage[] =
        "usage: benchtop exec [--name N] [-p KEY=VALUE]... [-t TAG]... [--scalars REGEX]...\n"
        "                     [--env NAME]... [--max-log SIZE] [--no-capture] [--no-scalars]\n"
        "                     [--no-pty] [--] COMMAND [ARGS...]\n"
        "\n"
        "Run COMMAND as a tracked run (kind exec) with the git commit, params, environment,\n"
        "output, scalars found in the output, exit status and resource usage.\n"
        "\n"
        "  -n, --name N          name the run\n"
        "  -p, --param KEY=VALUE record a param (repeatable)\n"
        "  -t, --tag TAG         tag the run (repeatable)\n"
        "  -s, --scalars REGEX   also capture scalars with a regular expression with named\n"
        "                        groups: (?<step>...), (?<key>...) with (?<value>...), or\n"
        "                        (?<NAME>...) for a scalar NAME (repeatable)\n"
        "  -e, --env NAME        record environment variable NAME as param env.NAME (repeatable;\n"
        "                        CUDA_VISIBLE_DEVICES and OMP_NUM_THREADS always are)\n"
        "      --max-log SIZE    store at most SIZE bytes of output, keeping the head and the\n"
        "                        tail (suffixes K, M, G; default 16M; 0 stores none)\n"
        "      --no-capture      let COMMAND write to the terminal directly: no output is\n"
        "                        stored and no scalars are found in it\n"
        "      --no-scalars      store the output but do not look for scalars in it\n"
        "      --no-pty          capture through pipes even when stdout is a terminal\n"
        "\n"
        "Scalars: key=value and key: value pairs, several per line, with a `step` key giving\n"
        "the step (otherwise each key counts its own steps); whole JSON-object lines.\n"
        "COMMAND gets BENCHTOP_RUN and BENCHTOP_DB, so `benchtop log` and libbenchtop\n"
        "attach to the same run.  SIGINT, SIGTERM and SIGHUP are passed on to COMMAND;\n"
        "the run then ends interrupted.  benchtop exits with COMMAND's exit status\n"
        "(128+N when signal N killed it), 127 when COMMAND is not found.\n";

/* Lines longer than this are not searched for scalars. */
#define LINE_MAX_BYTES (64 * 1024)

struct exec_state {
	struct bt_logcap log;
	int capture_log;
	struct bt_scalars *parser;
	struct bt_tracker *tracker;
	struct bt_scalar_line sl;
	struct bt_buf line[3];
	int overlong[3];
	uint64_t scalars, lines;
};

static void parse_line(struct exec_state *x, const char *s, size_t n)
{
	size_t i;

	if (!bt_scalars_parse(x->parser, s, n, &x->sl))
		return;
	x->lines++;
	for (i = 0; i < x->sl.n; i++) {
		if (bt_tracker_log(x->tracker, x->sl.v[i].key, x->sl.v[i].key_len,
		                   x->sl.has_step ? x->sl.step : BT_SERIES_AUTO_STEP,
		                   x->sl.v[i].value, 0) == 0)
			x->scalars++;
	}
}

/* Split a stream into lines at '\n' and '\r' (progress bars redraw with '\r'). */
static void feed_lines(struct exec_state *x, int stream, const char *data, size_t n)
{
	struct bt_buf *b = &x->line[stream];
	size_t i = 0, start = 0;

	for (i = 0; i < n; i++) {
		if (data[i] != '\n' && data[i] != '\r')
			continue;
		if (!x->overlong[stream]) {
			if (b->len) {
				bt_buf_add(b, data + start, i - start);
				parse_line(x, b->ptr, b->len);
				bt_buf_reset(b);
			} else if (i > start) {
				parse_line(x, data + start, i - start);
			}
		}
		x->overlong[stream] = 0;
		bt_buf_reset(b);
		start = i + 1;
	}
	if (start < n && !x->overlong[stream]) {
		if (b->len + (n - start) > LINE_MAX_BYTES) {
			x->overlong[stream] = 1;
			bt_buf_reset(b);
		} else {
			bt_buf_add(b, data + start, n - start);
		}
	}
}

static void on_output(enum bt_child_stream stream, const char *data, size_t n, void *payload)
{
	struct exec_state *x = payload;

	if (x->capture_log)
		bt_logcap_add(&x->log, data, n);
	if (x->tracker)
		feed_lines(x, stream == BT_CHILD_STDERR ? 2 : 1, data, n);
}

struct strlist {
	char **v;
	size_t n, cap;
};

static void push(struct strlist *l, char *s)
{
	bt_grow(&l->v, &l->cap, l->n + 2, sizeof(*l->v));
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
}

static void strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* The child's environment: ours, with BENCHTOP_RUN and BENCHTOP_DB set. */
static void child_env(struct strlist *env, const char *uuid, const char *db)
{
	char **e;
	int unbuffered = 0;

	for (e = environ; *e; e++) {
		if (bt_starts_with(*e, "BENCHTOP_RUN=") || bt_starts_with(*e, "BENCHTOP_DB="))
			continue;
		if (bt_starts_with(*e, "PYTHONUNBUFFERED="))
			unbuffered = 1;
		push(env, bt_xstrdup(*e));
	}
	push(env, bt_xasprintf("BENCHTOP_RUN=%s", uuid));
	push(env, bt_xasprintf("BENCHTOP_DB=%s", db));
	/* Python buffers a piped stdout; unbuffered, its lines arrive as they are printed. */
	if (!unbuffered)
		push(env, bt_xstrdup("PYTHONUNBUFFERED=1"));
}

static char *command_json(int argc, char **argv)
{
	json_t *a = json_array();
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		json_array_append_new(a, json_stringn_nocheck(argv[i], strlen(argv[i])));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static int finish_run(struct bt_store *s, int64_t id, const struct exec_state *x,
                      const struct bt_child_result *res)
{
	static const char *const names[] = {"cpu_user_seconds", "cpu_system_seconds",
	                                    "peak_rss_mib"};
	double values[3];
	enum bt_run_status status;
	char *reason = NULL, sigbuf[32];
	size_t i;
	int rc;

	values[0] = res->user_seconds;
	values[1] = res->system_seconds;
	values[2] = (double)res->max_rss_kib / 1024.0;
	if (res->forwarded_signal) {
		status = BT_RUN_INTERRUPTED;
		reason = bt_xasprintf("interrupted by %s (exit status %d)",
		                      bt_signal_name(res->forwarded_signal, sigbuf),
		                      res->exit_status);
	} else if (res->signaled) {
		status = BT_RUN_FAILED;
		reason = bt_xasprintf("killed by %s", bt_signal_name(res->term_signal, sigbuf));
	} else if (res->exit_status != 0) {
		status = BT_RUN_FAILED;
		reason = bt_xasprintf("exit status %d", res->exit_status);
	} else {
		status = BT_RUN_FINISHED;
	}
	rc = bt_store_begin(s);
	if (rc)
		goto out;
	if (x->capture_log)
		rc = bt_runlog_store(s, id, &x->log);
	if (!rc)
		rc = bt_runlog_set_exit(s, id, res->exit_status);
	for (i = 0; !rc && i < BT_ARRAY_SIZE(names); i++) {
		struct bt_metric_row m = {"", names[i], values[i], 0, 0, 0, 1, 0};
		rc = bt_run_put_metric(s, id, &m);
	}
	if (!rc)
		rc = bt_run_finish(s, id, status, reason);
	if (!rc)
		rc = bt_store_commit(s);
	else
		bt_store_rollback(s);
out:
	free(reason);
	return rc;
}

int cmd_exec(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {
	        {"name", required_argument, NULL, 'n'},
	        {"param", required_argument, NULL, 'p'},
	        {"tag", required_argument, NULL, 't'},
	        {"scalars", required_argument, NULL, 's'},
	        {"env", required_argument, NULL, 'e'},
	        {"max-log", required_argument, NULL, 'M'},
	        {"no-capture", no_argument, NULL, 'C'},
	        {"no-scalars", no_argument, NULL, 'S'},
	        {"no-pty", no_argument, NULL, 'P'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	static const char *const always_env[] = {"CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS"};
	struct strlist keys = {0}, values = {0}, tags = {0}, envnames = {0}, env = {0};
	struct exec_state x;
	struct bt_child_opts co;
	struct bt_child_result res;
	struct bt_tracker_stats ts;
	struct bt_git_info git;
	struct bt_run run;
	struct bt_store *s;
	const char *name = NULL;
	char *path = NULL, *dbabs = NULL;
	size_t max_log = 16u << 20, i;
	uint64_t size = 0;
	int c, rc, exit_code = BT_EXIT_RUNTIME, no_capture = 0, no_scalars = 0, no_pty = 0;

	memset(&x, 0, sizeof(x));
	memset(&run, 0, sizeof(run));
	memset(&git, 0, sizeof(git));
	x.parser = bt_scalars_new();
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:n:p:t:s:e:h", opts, NULL)) != -1) {
		char *k, *v;
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'p':
			if (bt_cli_split_kv(optarg, &k, &v)) {
				exit_code = bt_cli_usage_error(ctx, usage, "%s", bt_error_last());
				goto out;
			}
			push(&keys, k);
			push(&values, v);
			break;
		case 't':
			push(&tags, bt_xstrdup(optarg));
			break;
		case 's':
			if (bt_scalars_add_pattern(x.parser, optarg)) {
				exit_code = bt_cli_usage_error(ctx, usage, "%s", bt_error_last());
				goto out;
			}
			break;
		case 'e':
			push(&envnames, bt_xstrdup(optarg));
			break;
		case 'M':
			if (bt_parse_size(optarg, &size) || size > SIZE_MAX) {
				exit_code = bt_cli_usage_error(
				        ctx, usage, "--max-log needs a size like 16M, not '%s'",
				        optarg);
				goto out;
			}
			max_log = (size_t)size;
			break;
		case 'C':
			no_capture = 1;
			break;
		case 'S':
			no_scalars = 1;
			break;
		case 'P':
			no_pty = 1;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			exit_code = 0;
			goto out;
		default:
			exit_code = bt_cli_bad_option(ctx, usage, c, argv);
			goto out;
		}
	}
	if (optind >= argc) {
		exit_code = bt_cli_usage_error(ctx, usage, "exec needs a command to run");
		goto out;
	}
	rc = bt_child_resolve(argv[optind], &path);
	if (rc) {
		bt_cli_fail(ctx, rc);
		exit_code = rc == BT_ENOTFOUND ? 127 : 126;
		goto out;
	}
	rc = bt_cli_store(ctx, &s);
	if (rc) {
		exit_code = bt_cli_fail(ctx, rc);
		goto out;
	}
	dbabs = realpath(ctx->db_path, NULL);
	if (!dbabs) {
		bt_error_set(BT_EIO, "cannot resolve '%s'", ctx->db_path);
		exit_code = bt_cli_fail(ctx, BT_EIO);
		goto out;
	}

	for (i = 0; i < BT_ARRAY_SIZE(always_env) + envnames.n; i++) {
		const char *nm = i < BT_ARRAY_SIZE(always_env)
		                         ? always_env[i]
		                         : envnames.v[i - BT_ARRAY_SIZE(always_env)];
		const char *val = getenv(nm);
		if (!val)
			continue;
		push(&keys, bt_xasprintf("env.%s", nm));
		push(&values, bt_xstrdup(val));
	}
	if (bt_git_capture(&git, ctx->cwd) != 0) {
		/* Not fatal: a run without a commit is better than no run. */
		bt_cli_warn(ctx, "cannot read git state: %s", bt_error_last());
		bt_git_info_release(&git);
		memset(&git, 0, sizeof(git));
	}
	run.kind = bt_xstrdup("exec");
	run.name = name ? bt_xstrdup(name) : NULL;
	{
		const char *slash = strrchr(argv[optind], '/');
		run.model = bt_xstrdup(slash ? slash + 1 : argv[optind]);
	}
	run.command = command_json(argc - optind, argv + optind);
	run.cwd = bt_xstrdup(ctx->cwd);
	rc = bt_run_create(s, &run, &git, (const char *const *)keys.v,
	                   (const char *const *)values.v, keys.n, (const char *const *)tags.v,
	                   tags.n);
	if (!rc && git.sha[0]) {
		struct bt_git_commit gc;
		if (bt_git_commit_lookup(&gc, ctx->cwd, git.sha) == 0) {
			bt_run_cache_commit(s, &gc);
			bt_git_commit_release(&gc);
		}
		bt_error_clear();
	}
	if (rc) {
		exit_code = bt_cli_fail(ctx, rc);
		goto out;
	}
	if (ctx->verbose)
		fprintf(stderr, "benchtop: run %lld (%s) started\n", (long long)run.id, run.uuid);

	memset(&co, 0, sizeof(co));
	co.argv = argv + optind;
	co.path = path;
	child_env(&env, run.uuid, dbabs);
	co.envp = env.v;
	co.capture = !no_capture;
	co.pty_stdout = co.capture && !no_pty && isatty(STDOUT_FILENO);
	co.pty_stderr = co.pty_stdout && isatty(STDERR_FILENO);
	co.out_fd = STDOUT_FILENO;
	co.err_fd = STDERR_FILENO;
	co.term_fd = co.pty_stdout ? STDOUT_FILENO : -1;
	co.on_output = on_output;
	co.payload = &x;
	x.capture_log = co.capture;
	bt_logcap_init(&x.log, max_log, co.pty_stdout);
	if (co.capture && !no_scalars) {
		rc = bt_tracker_start(&x.tracker, dbabs, run.id, NULL);
		if (rc) {
			bt_cli_warn(ctx, "scalars will not be recorded: %s", bt_error_last());
			x.tracker = NULL;
		}
	}
	fflush(stdout);
	fflush(stderr);
	rc = bt_child_run(&co, &res);
	if (rc) {
		int code = bt_error_code();
		bt_cli_fail(ctx, rc);
		bt_tracker_stop(x.tracker, -1, NULL);
		x.tracker = NULL;
		bt_run_finish(s, run.id, BT_RUN_FAILED, bt_error_last());
		exit_code = code == BT_ENOTFOUND ? 127 : 126;
		goto out;
	}
	if (x.tracker) {
		/* A last line without a line end still counts. */
		for (i = 1; i <= 2; i++)
			if (x.line[i].len && !x.overlong[i])
				parse_line(&x, x.line[i].ptr, x.line[i].len);
		rc = bt_tracker_stop(x.tracker, -1, &ts);
		x.tracker = NULL;
		if (rc)
			bt_cli_warn(ctx, "%s", bt_error_last());
	}
	rc = finish_run(s, run.id, &x, &res);
	if (rc) {
		bt_cli_fail(ctx, rc);
		/* The command's status still matters more to the caller than ours. */
	}
	if (!ctx->quiet) {
		run.status = res.forwarded_signal ? BT_RUN_INTERRUPTED
		             : res.exit_status    ? BT_RUN_FAILED
		                                  : BT_RUN_FINISHED;
		fprintf(stderr, "benchtop: run %lld %s (exit status %d", (long long)run.id,
		        bt_run_status_name(run.status), res.exit_status);
		if (x.scalars)
			fprintf(stderr, ", %llu scalars", (unsigned long long)x.scalars);
		fprintf(stderr, ")\n");
	}
	exit_code = res.exit_status;
out:
	if (x.tracker)
		bt_tracker_stop(x.tracker, -1, NULL);
	bt_scalars_free(x.parser);
	bt_scalar_line_release(&x.sl);
	for (i = 0; i < 3; i++)
		bt_buf_free(&x.line[i]);
	bt_logcap_release(&x.log);
	bt_git_info_release(&git);
	bt_run_release(&run);
	strlist_free(&keys);
	strlist_free(&values);
	strlist_free(&tags);
	strlist_free(&envnames);
	strlist_free(&env);
	free(path);
	free(dbabs);
	return exit_code;
}
