/*
 * cmd-run.c - `benchtop run SUITE -m PLUGIN`: evaluate a suite, record it,
 * print what came out.
 *
 * The harness does the work (harness.c); this file turns options into
 * bt_harness_opts, draws progress on stderr (a bar on a terminal, plain
 * timestamped lines otherwise), turns SIGINT/SIGTERM into a cancellation
 * flag, and prints the summary.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "harness.h"
#include "isolate.h"
#include "run.h"
#include "util.h"

static const char usage[] =
        "usage: benchtop run SUITE -m PLUGIN [-p KEY=VALUE]... [-j N] [--limit N]\n"
        "                    [--task NAME]... [--seed S] [--name NAME] [--tag TAG]...\n"
        "                    [--no-samples] [--max-errors N] [--batch-size N]\n"
        "                    [--no-isolate] [--timeout SECONDS] [--max-memory SIZE]\n"
        "                    [--offline] [--cache-dir DIR]\n"
        "                    [--lock [--wait[=SECONDS]]] [--shard I/N|auto [--shards N]]\n"
        "                    [--shard-group G]\n"
        "       benchtop run --resume RUN\n"
        "\n"
        "Evaluate the benchmark suite SUITE (a YAML file) against a model plugin, store\n"
        "every prediction and metric in the results database tagged with the git commit,\n"
        "and print a summary.\n"
        "\n"
        "  -m, --model PLUGIN    the model: a bundled or installed plugin name (knn), or\n"
        "                        a path to a shared object (./build/mymodel.so)\n"
        "  -p, --param KEY=VALUE a parameter for the plugin (repeatable)\n"
        "  -j, --jobs N          predict with N threads (default: the number of cores)\n"
        "      --limit N         evaluate at most N test examples per task\n"
        "      --task NAME       evaluate only this task (repeatable)\n"
        "      --seed S          seed for bootstrap intervals and the plugin (default 0)\n"
        "      --name NAME       a name for the run\n"
        "  -t, --tag TAG         tag the run (repeatable)\n"
        "      --no-samples      do not store per-example predictions\n"
        "      --max-errors N    fail the run (exit 1) when more than N examples fail\n"
        "      --batch-size N    examples per predict call (default: the plugin's choice)\n"
        "      --isolate         run the plugin in worker processes, so that a crash, hang\n"
        "                        or exit() costs one example, not the run (the default)\n"
        "      --no-isolate      run the plugin inside benchtop (for debugging it)\n"
        "      --timeout SECONDS fail an example whose predict call takes longer\n"
        "      --max-memory SIZE limit each worker's address space (512M, 2G)\n"
        "      --offline         never download: data named by URL must be in the cache\n"
        "      --cache-dir DIR   the dataset cache (default: $XDG_CACHE_HOME/benchtop/data)\n"
        "      --lock            one job per database and suite x model at a time: exit 3\n"
        "                        at once when another holds it\n"
        "      --wait[=SECONDS]  with --lock: wait for the other job instead\n"
        "      --shard I/N       evaluate the I-th of N disjoint slices of every task\n"
        "                        (by example id); 'auto' reads a Slurm job array or a\n"
        "                        Kubernetes indexed Job (with --shards N)\n"
        "      --shard-group G   names the evaluation the shards belong to (default: the\n"
        "                        Slurm array's job id); 'benchtop merge' combines them\n"
        "      --resume RUN      finish an interrupted or failed run: predict only the\n"
        "                        examples it has no sample for, with its own options\n";

static volatile int cancel_flag;

static void on_signal(int sig)
{
	BT_UNUSED(sig);
	cancel_flag = 1;
}

struct ui {
	struct bt_ctx *ctx;
	int bar; /* draw a progress bar (stderr is a terminal) */
	int drawn;
	size_t last_task;
	int last_phase;
};

static void stamp(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void clear_bar(struct ui *ui)
{
	if (ui->drawn) {
		fputs("\r\033[K", stderr);
		ui->drawn = 0;
	}
}

static void on_log(void *payload, enum benchtop_log_level level, const char *message)
{
	struct ui *ui = payload;
	char ts[32];

	if (ui->ctx->quiet && level < BENCHTOP_LOG_ERROR)
		return;
	if (level == BENCHTOP_LOG_DEBUG && !ui->ctx->verbose)
		return;
	clear_bar(ui);
	if (!ui->bar) {
		stamp(ts, sizeof(ts));
		fprintf(stderr, "%s ", ts);
	}
	fputs("benchtop: ", stderr);
	bt_cli_puts_safe(stderr, message, 0);
	fputc('\n', stderr);
}

static void on_progress(void *payload, const struct bt_progress *p)
{
	struct ui *ui = payload;
	char ts[32], eta[32], name[64];
	char *clean;

	if (ui->ctx->quiet)
		return;
	clean = bt_sanitize(p->task, 0);
	snprintf(name, sizeof(name), "%s", clean);
	free(clean);
	if (!ui->bar) {
		/* Plain log lines: one when a task starts predicting, one when it ends. */
		if (p->phase == ui->last_phase && p->task_index == ui->last_task)
			return;
		ui->last_phase = p->phase;
		ui->last_task = p->task_index;
		stamp(ts, sizeof(ts));
		if (p->phase == BT_PHASE_FIT)
			fprintf(stderr, "%s benchtop: task %zu/%zu %s: training\n", ts,
			        p->task_index + 1, p->ntasks, name);
		else if (p->phase == BT_PHASE_PREDICT)
			fprintf(stderr, "%s benchtop: task %zu/%zu %s: predicting %zu examples\n",
			        ts, p->task_index + 1, p->ntasks, name, p->total);
		else if (p->phase == BT_PHASE_DONE)
			fprintf(stderr, "%s benchtop: task %zu/%zu %s: done, %zu errors\n", ts,
			        p->task_index + 1, p->ntasks, name, p->errors);
		return;
	}
	if (p->phase == BT_PHASE_PREDICT) {
		double rate = p->elapsed > 0 ? (double)p->done / p->elapsed : 0;
		int width = 24,
		    fill = p->total ? (int)(width * (double)p->done / (double)p->total) : 0;
		char bar[64];
		int i;
		for (i = 0; i < width; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[width] = '\0';
		if (rate > 0 && p->done < p->total)
			bt_format_duration(eta, sizeof(eta), (double)(p->total - p->done) / rate);
		else
			snprintf(eta, sizeof(eta), "-");
		fprintf(stderr, "\r\033[K[%zu/%zu] %-16.16s [%s] %zu/%zu  %.0f ex/s  ETA %s%s",
		        p->task_index + 1, p->ntasks, name, bar, p->done, p->total, rate, eta,
		        p->errors ? "  (errors)" : "");
		ui->drawn = 1;
	} else if (p->phase == BT_PHASE_FIT) {
		fprintf(stderr, "\r\033[K[%zu/%zu] %-16.16s training...", p->task_index + 1,
		        p->ntasks, name);
		ui->drawn = 1;
	} else if (p->phase == BT_PHASE_DONE) {
		clear_bar(ui);
	}
	fflush(stderr);
}

static char *command_json(struct bt_ctx *ctx)
{
	json_t *a = json_array();
	char *s;
	int i;

	for (i = 0; i < ctx->argc; i++)
		json_array_append_new(a, json_string(ctx->argv[i]));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static int parse_count(const char *arg, int64_t *out)
{
	return bt_parse_int64(arg, out) == 0 && *out >= 0 ? 0 : -1;
}

static int env_count(const char *name, int64_t *out)
{
	const char *v = getenv(name);

	return v && parse_count(v, out) == 0 ? 0 : -1;
}

/*
 * --shard I/N, or --shard auto: from a Slurm job array (SLURM_ARRAY_TASK_ID,
 * _COUNT, _MIN; the group is the array's job id) or a Kubernetes indexed Job
 * (JOB_COMPLETION_INDEX, with --shards N).
 */
static int parse_shard(const char *arg, int64_t shards, struct bt_harness_opts *o)
{
	int64_t i = -1, n = 0, min = 0;

	if (strcmp(arg, "auto") == 0) {
		if (env_count("SLURM_ARRAY_TASK_ID", &i) == 0) {
			if (env_count("SLURM_ARRAY_TASK_COUNT", &n) || n < 1)
				return bt_error_set(BT_EUSAGE,
				                    "--shard auto: SLURM_ARRAY_TASK_ID is set "
				                    "but SLURM_ARRAY_TASK_COUNT is not");
			env_count("SLURM_ARRAY_TASK_MIN", &min);
			i -= min;
			if (!o->shard_group)
				o->shard_group = getenv("SLURM_ARRAY_JOB_ID");
		} else if (env_count("JOB_COMPLETION_INDEX", &i) == 0) {
			if (!shards)
				return bt_error_set(BT_EUSAGE,
				                    "--shard auto in a Kubernetes indexed Job "
				                    "needs --shards N (the Job's completions)");
			n = shards;
		} else {
			return bt_error_set(BT_EUSAGE,
			                    "--shard auto found neither a Slurm job array "
			                    "(SLURM_ARRAY_TASK_ID) nor a Kubernetes indexed Job "
			                    "(JOB_COMPLETION_INDEX)");
		}
	} else {
		char *slash = strchr(arg, '/');
		char *a = slash ? bt_xstrndup(arg, (size_t)(slash - arg)) : NULL;
		int bad = !slash || parse_count(a, &i) || parse_count(slash + 1, &n);
		free(a);
		if (bad)
			return bt_error_set(
			        BT_EUSAGE, "--shard takes I/N (0 <= I < N) or auto, not '%s'", arg);
	}
	if (n < 1 || i < 0 || i >= n || n > 1000000)
		return bt_error_set(BT_EUSAGE, "shard %lld of %lld does not exist (0 <= I < N)",
		                    (long long)i, (long long)n);
	o->shard_index = (uint32_t)i;
	o->shard_count = (uint32_t)n;
	return 0;
}

/* Set while re-running a run's own command line for --resume. */
static int64_t resuming;

/*
 * --resume RUN: run the run's own command again (its arguments after
 * "run"), from the directory it was made in, telling the harness to keep
 * what the run holds and do only the rest.
 */
static int resume(struct bt_ctx *ctx, const char *ref)
{
	struct bt_store *s;
	struct bt_run run;
	json_t *cmd = NULL;
	char **args = NULL;
	size_t i, start = 0, n;
	int64_t id;
	int rc;

	rc = bt_cli_resolve(ctx, ref, &id);
	if (rc)
		return rc;
	rc = bt_cli_store(ctx, &s);
	if (!rc)
		rc = bt_run_load(s, id, &run);
	if (rc)
		return bt_cli_fail(ctx, rc);
	if (run.command)
		cmd = json_loads(run.command, 0, NULL);
	n = json_array_size(cmd);
	for (i = 0; i < n; i++)
		if (json_string_value(json_array_get(cmd, i)) &&
		    strcmp(json_string_value(json_array_get(cmd, i)), "run") == 0) {
			start = i;
			break;
		}
	if (!run.kind || strcmp(run.kind, "eval") != 0 || i == n) {
		bt_error_set(BT_EINPUT,
		             "run %lld was not made by 'benchtop run': it cannot be resumed",
		             (long long)id);
		rc = bt_cli_fail(ctx, BT_EINPUT);
		goto out;
	}
	/* Relative paths in the command (suite, plugin, params) meant the run's directory. */
	if (run.cwd && chdir(run.cwd) != 0) {
		bt_error_set(BT_EIO, "cannot resume run %lld: its directory '%s' is gone: %s",
		             (long long)id, run.cwd, strerror(errno));
		rc = bt_cli_fail(ctx, BT_EIO);
		goto out;
	}
	if (run.cwd) {
		free(ctx->cwd);
		ctx->cwd = bt_xstrdup(run.cwd);
	}
	args = bt_xcalloc(n - start + 1, sizeof(char *));
	for (i = start; i < n; i++)
		args[i - start] = (char *)json_string_value(json_array_get(cmd, i));
	if (!ctx->quiet)
		fprintf(stderr, "benchtop: resuming run %lld\n", (long long)id);
	resuming = id;
	rc = cmd_run((int)(n - start), args, ctx);
	resuming = 0;
out:
	free(args);
	json_decref(cmd);
	bt_run_release(&run);
	return rc;
}

int cmd_run(int argc, char **argv, struct bt_ctx *ctx)
{
	enum {
		OPT_LIMIT = 256,
		OPT_TASK,
		OPT_SEED,
		OPT_NAME,
		OPT_NO_SAMPLES,
		OPT_MAX_ERRORS,
		OPT_BATCH,
		OPT_ISOLATE,
		OPT_NO_ISOLATE,
		OPT_TIMEOUT,
		OPT_MAX_MEMORY,
		OPT_OFFLINE,
		OPT_CACHE_DIR,
		OPT_RESUME,
		OPT_LOCK,
		OPT_WAIT,
		OPT_SHARD,
		OPT_SHARDS,
		OPT_SHARD_GROUP,
	};
	static const struct option opts[] = {
	        {"model", required_argument, NULL, 'm'},
	        {"param", required_argument, NULL, 'p'},
	        {"jobs", required_argument, NULL, 'j'},
	        {"limit", required_argument, NULL, OPT_LIMIT},
	        {"task", required_argument, NULL, OPT_TASK},
	        {"seed", required_argument, NULL, OPT_SEED},
	        {"name", required_argument, NULL, OPT_NAME},
	        {"tag", required_argument, NULL, 't'},
	        {"no-samples", no_argument, NULL, OPT_NO_SAMPLES},
	        {"max-errors", required_argument, NULL, OPT_MAX_ERRORS},
	        {"batch-size", required_argument, NULL, OPT_BATCH},
	        {"isolate", no_argument, NULL, OPT_ISOLATE},
	        {"no-isolate", no_argument, NULL, OPT_NO_ISOLATE},
	        {"timeout", required_argument, NULL, OPT_TIMEOUT},
	        {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
	        {"offline", no_argument, NULL, OPT_OFFLINE},
	        {"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
	        {"resume", required_argument, NULL, OPT_RESUME},
	        {"lock", no_argument, NULL, OPT_LOCK},
	        {"wait", optional_argument, NULL, OPT_WAIT},
	        {"shard", required_argument, NULL, OPT_SHARD},
	        {"shards", required_argument, NULL, OPT_SHARDS},
	        {"shard-group", required_argument, NULL, OPT_SHARD_GROUP},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct bt_harness_opts o;
	struct bt_harness_result res;
	struct bt_fetch_opts fetch;
	struct bt_cli_fetch_progress *fp = NULL;
	size_t fetch_failures = 0;
	const char *resume_ref = NULL, *shard_arg = NULL;
	int64_t shards_n = 0;
	struct bt_params params = {0};
	struct bt_store *s;
	struct sigaction sa, old_int, old_term;
	struct ui ui;
	const char **tasks = NULL, **tags = NULL;
	size_t ntasks = 0, ntags = 0;
	char *cmd = NULL;
	int64_t v;
	int c, rc, exit_code = 0;

	memset(&o, 0, sizeof(o));
	o.max_errors = -1;
	rc = bt_fetch_opts_init(&fetch);
	if (rc)
		return bt_cli_fail(ctx, rc);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:p:j:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o.plugin = optarg;
			break;
		case 'p': {
			char *k, *val;
			if (bt_cli_split_kv(optarg, &k, &val)) {
				exit_code = bt_cli_usage_error(
				        ctx, usage, "-p needs KEY=VALUE, not '%s'", optarg);
				goto out;
			}
			bt_params_add(&params, k, val);
			free(k);
			free(val);
			break;
		}
		case 'j':
			if (parse_count(optarg, &v) || v < 1 || v > 1024) {
				exit_code = bt_cli_usage_error(
				        ctx, usage, "-j needs a thread count, not '%s'", optarg);
				goto out;
			}
			o.threads = (int)v;
			break;
		case OPT_LIMIT:
			if (parse_count(optarg, &v)) {
				exit_code = bt_cli_usage_error(
				        ctx, usage, "--limit needs a count, not '%s'", optarg);
				goto out;
			}
			o.limit = (size_t)v;
			break;
		case OPT_TASK:
			tasks = bt_xrealloc(tasks, (ntasks + 1) * sizeof(*tasks));
			tasks[ntasks++] = optarg;
			break;
		case OPT_SEED:
			if (parse_count(optarg, &v)) {
				exit_code =
				        bt_cli_usage_error(ctx, usage,
				                           "--seed needs a non-negative integer, "
				                           "not '%s'",
				                           optarg);
				goto out;
			}
			o.seed = (uint64_t)v;
			o.has_seed = 1;
			break;
		case OPT_NAME:
			o.name = optarg;
			break;
		case 't':
			tags = bt_xrealloc(tags, (ntags + 1) * sizeof(*tags));
			tags[ntags++] = optarg;
			break;
		case OPT_NO_SAMPLES:
			o.no_samples = 1;
			break;
		case OPT_MAX_ERRORS:
			if (parse_count(optarg, &v)) {
				exit_code = bt_cli_usage_error(
				        ctx, usage, "--max-errors needs a count, not '%s'", optarg);
				goto out;
			}
			o.max_errors = v;
			break;
		case OPT_BATCH:
			if (parse_count(optarg, &v) || v < 1) {
				exit_code =
				        bt_cli_usage_error(ctx, usage,
				                           "--batch-size needs a positive count, "
				                           "not '%s'",
				                           optarg);
				goto out;
			}
			o.batch_size = (size_t)v;
			break;
		case OPT_ISOLATE:
			o.no_isolate = 0;
			break;
		case OPT_NO_ISOLATE:
			o.no_isolate = 1;
			break;
		case OPT_TIMEOUT:
			if (bt_parse_double(optarg, &o.timeout) || !(o.timeout > 0)) {
				exit_code =
				        bt_cli_usage_error(ctx, usage,
				                           "--timeout needs a positive number of "
				                           "seconds, not '%s'",
				                           optarg);
				goto out;
			}
			break;
		case OPT_MAX_MEMORY:
			if (bt_parse_size(optarg, &o.max_memory) || o.max_memory < (16u << 20)) {
				exit_code =
				        bt_cli_usage_error(ctx, usage,
				                           "--max-memory needs a size of at least "
				                           "16M, such as 512M or 2G, not '%s'",
				                           optarg);
				goto out;
			}
			break;
		case OPT_LOCK:
			o.lock = 1;
			break;
		case OPT_WAIT:
			o.lock = 1;
			o.lock_wait = -1;
			if (optarg && (bt_parse_double(optarg, &o.lock_wait) || o.lock_wait < 0)) {
				exit_code =
				        bt_cli_usage_error(ctx, usage,
				                           "--wait takes a number of seconds, not "
				                           "'%s'",
				                           optarg);
				goto out;
			}
			break;
		case OPT_SHARD:
			shard_arg = optarg;
			break;
		case OPT_SHARDS:
			if (parse_count(optarg, &shards_n) || shards_n < 1) {
				exit_code = bt_cli_usage_error(
				        ctx, usage, "--shards needs a count, not '%s'", optarg);
				goto out;
			}
			break;
		case OPT_SHARD_GROUP:
			o.shard_group = optarg;
			break;
		case OPT_RESUME:
			resume_ref = optarg;
			break;
		case OPT_OFFLINE:
			fetch.offline = 1;
			break;
		case OPT_CACHE_DIR:
			fetch.cache_dir = optarg;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			goto out;
		default:
			exit_code = bt_cli_bad_option(ctx, usage, c, argv);
			goto out;
		}
	}
	if (resume_ref) {
		if (resuming || optind < argc || argc > 3) {
			exit_code = bt_cli_usage_error(ctx, usage,
			                               "--resume RUN takes nothing else: the run's "
			                               "own options are used");
			goto out;
		}
		exit_code = resume(ctx, resume_ref);
		goto out;
	}
	o.resume_id = resuming;
	if (shard_arg) {
		rc = parse_shard(shard_arg, shards_n, &o);
		if (rc) {
			exit_code = bt_cli_usage_error(ctx, usage, "%s", bt_error_last());
			goto out;
		}
	}
	if (argc - optind != 1) {
		exit_code = bt_cli_usage_error(ctx, usage,
		                               argc - optind ? "run takes one suite"
		                                             : "run needs a suite file");
		goto out;
	}
#if defined(__SANITIZE_ADDRESS__)
	/* ASan reserves terabytes of address space: an RLIMIT_AS would stop it at once. */
	if (o.max_memory) {
		exit_code = bt_cli_usage_error(ctx, usage,
		                               "--max-memory is not available in this "
		                               "AddressSanitizer build");
		goto out;
	}
#endif
	if (o.no_isolate && (o.timeout > 0 || o.max_memory)) {
		exit_code = bt_cli_usage_error(ctx, usage,
		                               "--timeout and --max-memory need isolation; drop "
		                               "--no-isolate");
		goto out;
	}
	if (!o.plugin) {
		exit_code = bt_cli_usage_error(ctx, usage, "run needs a model: -m PLUGIN");
		goto out;
	}
	o.suite_path = argv[optind];
	o.params = &params;
	o.tasks = tasks;
	o.ntasks = ntasks;
	o.tags = tags;
	o.ntags = ntags;
	o.cwd = ctx->cwd;
	cmd = command_json(ctx);
	o.command_json = cmd;

	memset(&ui, 0, sizeof(ui));
	ui.ctx = ctx;
	ui.bar = ctx->stderr_tty && !ctx->quiet;
	ui.last_task = (size_t)-1;
	o.progress = on_progress;
	o.log = on_log;
	o.payload = &ui;
	o.cancel = &cancel_flag;
	fp = bt_cli_fetch_progress_new(ctx, 0);
	fetch.progress = bt_cli_fetch_progress;
	fetch.payload = fp;
	o.fetch = &fetch;

	rc = bt_cli_store(ctx, &s);
	if (rc) {
		exit_code = bt_cli_fail(ctx, rc);
		goto out;
	}
	/* The first Ctrl-C stops cleanly (run marked interrupted); a second one kills. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = bt_harness_run(s, &o, &res);
	fetch_failures = bt_cli_fetch_progress_end(fp, 0);
	fp = NULL;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	clear_bar(&ui);

	if (res.run_id && (rc == 0 || rc == BT_EFAIL)) {
		struct bt_run run;
		json_t *j = NULL;
		if (!ctx->quiet && bt_run_load(s, res.run_id, &run) == 0) {
			if (bt_run_json(s, &run, 0, &j) == 0) {
				bt_cli_print_metrics(ctx, json_object_get(j, "metrics"), 1);
				json_decref(j);
			}
			bt_run_release(&run);
		}
	}
	if (rc) {
		/* A failed download has already been reported, with its URL, as it happened. */
		exit_code = fetch_failures ? bt_status_exit_code(rc) : bt_cli_fail(ctx, rc);
		if (res.run_id)
			fprintf(stderr, "benchtop: run %lld is marked %s\n", (long long)res.run_id,
			        bt_run_status_name((enum bt_run_status)res.status));
		goto out;
	}
	if (!ctx->quiet)
		printf("\nrun %lld (%s): %zu examples, %zu errors\n", (long long)res.run_id,
		       res.uuid, res.examples, res.errors);
out:
	if (fp)
		bt_cli_fetch_progress_end(fp, 0);
	bt_params_release(&params);
	free(tasks);
	free(tags);
	free(cmd);
	return exit_code;
}
