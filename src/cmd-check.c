/*
 * cmd-check.c - `benchtop check`: the regression gate for nightly jobs and
 * CI.  Chooses candidates and baselines and decides through check.c,
 * prints a table or JSON, writes JUnit and Markdown reports, notifies a
 * webhook, and exits 0 (no regression), 1 (a regression or a failed run),
 * 2 (usage or input error), 3 (runtime failure, a held lock) or 4 (a
 * missing baseline under --missing-baseline fail).
 */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check-report.h"
#include "check.h"
#include "cli.h"
#include "error.h"
#include "suite.h"
#include "lock.h"
#include "notify.h"
#include "util.h"

static const char usage[] =
        "usage: benchtop check [CANDIDATE...] [--against BASELINE] [--metric NAME]...\n"
        "                      [--alpha A] [--min-delta D|D%] [--format table|json]\n"
        "                      [--junit FILE] [--markdown FILE] [--notify URL]\n"
        "                      [--header 'NAME: VALUE']... [--missing-baseline pass|fail]\n"
        "                      [--lock [--wait[=SECONDS]]]\n"
        "\n"
        "Compare runs with their baselines, metric by metric, and exit 1 when any\n"
        "metric regressed significantly (or a candidate run failed).\n"
        "\n"
        "  CANDIDATE             runs to check (id, uuid prefix, @~N, tag:NAME, git\n"
        "                        revision); default: the latest run of each suite and\n"
        "                        model at HEAD\n"
        "  -a, --against REF     the baseline: a run, tag:NAME, or a git revision whose\n"
        "                        run of the same suite and model is used; default: the\n"
        "                        latest finished run of the same suite, suite data and\n"
        "                        model at an earlier commit of the first-parent history\n"
        "  -M, --metric NAME     compare only METRIC or TASK/METRIC (repeatable)\n"
        "      --alpha A         significance level after Holm-Bonferroni (default 0.01)\n"
        "      --min-delta D     smallest change that counts, absolute (0.01) or relative\n"
        "                        to the baseline (2%); default 0\n"
        "  -f, --format FORMAT   table or json (default: table)\n"
        "      --junit FILE      write a JUnit XML report\n"
        "      --markdown FILE   write a Markdown report (for a PR comment or job summary)\n"
        "      --notify URL      POST the result as JSON to a webhook (env BENCHTOP_WEBHOOK)\n"
        "  -H, --header H        an extra 'Name: value' header for the webhook\n"
        "                        (repeatable; env BENCHTOP_WEBHOOK_HEADERS, one per line)\n"
        "      --notify-timeout S  seconds per delivery attempt (default 30)\n"
        "      --notify-retries N  attempts after the first on 5xx and timeouts (default 3)\n"
        "      --missing-baseline pass|fail\n"
        "                        without a baseline: pass with a warning (default), or\n"
        "                        fail with exit status 4\n"
        "      --lock            hold the lock of each suite and model while checking;\n"
        "                        exit 3 at once when another job holds it\n"
        "      --wait[=SECONDS]  with --lock: wait for the lock (for ever without SECONDS)\n"
        "\n"
        "Tests: exact McNemar (accuracy, exact_match, errors), paired bootstrap (mae, mse,\n"
        "rmse, token_f1, mrr) on per-example samples, Mann-Whitney U (latency); otherwise a\n"
        "z test on the runs' confidence intervals.  See benchtop-check(1).\n";

struct locks {
	struct bt_lock **v;
	char **keys; /* "suite\nmodel" of each lock */
	size_t n;
};

static int holds(const struct locks *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->keys[i], key) == 0)
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lock every suite x model among `ids` not locked yet, in a fixed order. */
static int lock_runs(struct bt_store *s, const char *db, const int64_t *ids, size_t n, double wait,
                     struct locks *l)
{
	char **want = bt_xcalloc(n + 1, sizeof(*want));
	size_t i, nw = 0;
	int rc = 0;

	for (i = 0; i < n; i++) {
		struct bt_run r;
		rc = bt_run_load(s, ids[i], &r);
		if (rc)
			break;
		want[nw] = bt_xasprintf("%s\n%s", r.suite ? r.suite : "", r.model ? r.model : "");
		bt_run_release(&r);
		if (holds(l, want[nw])) {
			free(want[nw]);
			want[nw] = NULL;
		} else {
			nw++;
		}
	}
	/* Sorted, so that two waiting jobs never each hold what the other wants. */
	qsort(want, nw, sizeof(*want), cmp_str);
	for (i = 0; !rc && i < nw; i++) {
		char *nl = strchr(want[i], '\n');
		struct bt_lock *lk;
		if (i && strcmp(want[i], want[i - 1]) == 0)
			continue;
		*nl = '\0';
		rc = bt_lock_acquire(&lk, db, want[i], nl + 1, wait, "benchtop check");
		*nl = '\n';
		if (rc)
			break;
		l->v = bt_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->keys = bt_xrealloc(l->keys, (l->n + 1) * sizeof(*l->keys));
		l->v[l->n] = lk;
		l->keys[l->n++] = bt_xstrdup(want[i]);
	}
	for (i = 0; i < nw; i++)
		free(want[i]);
	free(want);
	return rc;
}

static void unlock_all(struct locks *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		bt_lock_release(l->v[i]);
		free(l->keys[i]);
	}
	free(l->v);
	free(l->keys);
}

static void print_item_heading(const struct bt_check_item *it)
{
	fputs("suite '", stdout);
	bt_cli_puts_safe(stdout, it->candidate.suite, 0);
	fputs("' with model '", stdout);
	bt_cli_puts_safe(stdout, it->candidate.model, 0);
	printf("': run %lld", (long long)it->candidate.id);
	if (it->candidate.git_sha)
		printf(" (%.8s)", it->candidate.git_sha);
	if (it->outcome == BT_CHECK_COMPARED) {
		printf(" against run %lld", (long long)it->baseline.id);
		if (it->baseline.git_sha)
			printf(" (%.8s)", it->baseline.git_sha);
	}
	fputc('\n', stdout);
}

static int print_table(struct bt_ctx *ctx, const struct bt_check_report *r)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; i < r->n && !rc; i++) {
		const struct bt_check_item *it = &r->items[i];
		struct bt_table *t;
		int c_task, c_metric, c_base, c_cand, c_delta, c_ci, c_p, c_test, c_verdict;

		if (i)
			fputc('\n', stdout);
		print_item_heading(it);
		if (it->outcome == BT_CHECK_FAILED_RUN) {
			fputs("  FAILED: ", stdout);
			bt_cli_puts_safe(stdout, it->message, 0);
			fputc('\n', stdout);
			continue;
		}
		if (it->outcome == BT_CHECK_NO_BASELINE) {
			fputs("  no baseline: ", stdout);
			bt_cli_puts_safe(stdout, it->message, 0);
			fputc('\n', stdout);
			continue;
		}
		if (!it->nrows) {
			fputs("  no metric in common to compare\n", stdout);
			continue;
		}
		t = bt_table_new();
		c_task = bt_table_column(t, "task", NULL, BT_COL_TEXT, 0);
		c_metric = bt_table_column(t, "metric", NULL, BT_COL_TEXT, 0);
		c_base = bt_table_column(t, "baseline", NULL, BT_COL_TEXT, 5);
		c_cand = bt_table_column(t, "candidate", NULL, BT_COL_TEXT, 6);
		c_delta = bt_table_column(t, "delta", NULL, BT_COL_TEXT, 0);
		c_ci = bt_table_column(t, "ci", "95% CI", BT_COL_TEXT, 3);
		c_p = bt_table_column(t, "p", NULL, BT_COL_TEXT, 4);
		c_test = bt_table_column(t, "test", NULL, BT_COL_TEXT, 2);
		c_verdict = bt_table_column(t, "verdict", NULL, BT_COL_TEXT, 0);
		for (j = 0; j < it->nrows; j++) {
			const struct bt_check_row *w = &it->rows[j];
			char buf[32], lo[32], hi[32], ci[80];
			bt_table_row(t);
			bt_table_text(t, c_task, w->task);
			bt_table_text(t, c_metric, w->metric);
			bt_check_format_value(buf, sizeof(buf), w->baseline, 0);
			bt_table_text(t, c_base, buf);
			bt_check_format_value(buf, sizeof(buf), w->candidate, 0);
			bt_table_text(t, c_cand, buf);
			bt_check_format_value(buf, sizeof(buf), w->delta, 1);
			bt_table_text(t, c_delta, buf);
			if (w->ci_low == w->ci_low) {
				bt_check_format_value(lo, sizeof(lo), w->ci_low, 1);
				bt_check_format_value(hi, sizeof(hi), w->ci_high, 1);
				snprintf(ci, sizeof(ci), "[%s, %s]", lo, hi);
				bt_table_text(t, c_ci, ci);
			}
			bt_check_format_p(buf, sizeof(buf), w->p_value);
			bt_table_text(t, c_p, buf);
			bt_table_text(t, c_test, bt_check_test_name(w->test));
			bt_table_text(t, c_verdict,
			              w->verdict == BT_VERDICT_REGRESSED
			                      ? "REGRESSED"
			                      : bt_check_verdict_name(w->verdict));
		}
		rc = bt_cli_print_table(ctx, t, BT_FMT_TABLE);
		bt_table_free(t);
	}
	return rc;
}

/* Notes worth a warning: rows that could not be tested, runs on other data. */
static void warn_notes(struct bt_ctx *ctx, const struct bt_check_report *r)
{
	size_t i, j;

	for (i = 0; i < r->n; i++) {
		const struct bt_check_item *it = &r->items[i];
		if (it->outcome != BT_CHECK_COMPARED)
			continue;
		if (it->message)
			bt_cli_warn(ctx, "run %lld against run %lld: %s",
			            (long long)it->candidate.id, (long long)it->baseline.id,
			            it->message);
		for (j = 0; j < it->nrows; j++)
			if (it->rows[j].test == BT_TEST_NONE) {
				char *task = bt_sanitize(it->rows[j].task, 0);
				char *metric = bt_sanitize(it->rows[j].metric, 0);
				bt_cli_warn(ctx, "run %lld: '%s/%s' not tested: %s",
				            (long long)it->candidate.id, task, metric,
				            it->rows[j].note);
				free(task);
				free(metric);
			}
	}
}

static int write_report(struct bt_ctx *ctx, const char *path, struct bt_buf *b)
{
	int rc = bt_write_file_atomic(path, bt_buf_cstr(b), b->len);

	if (rc)
		bt_cli_fail(ctx, rc);
	return rc;
}

struct notify_args {
	const char *url;
	char **headers;
	size_t nheaders;
	double timeout;
	int retries;
};

static void notify(struct bt_ctx *ctx, const struct notify_args *na,
                   const struct bt_check_report *r)
{
	struct bt_notify_opts o = {0};
	struct bt_notify_result res;
	char *body = bt_check_notify_body(r);
	int rc;

	o.url = na->url;
	o.headers = (const char *const *)na->headers;
	o.nheaders = na->nheaders;
	o.timeout = na->timeout;
	o.retries = na->retries;
	if (o.timeout > 0 && o.timeout < 10)
		o.connect_timeout = o.timeout;
	rc = bt_notify_post(&o, body, strlen(body), &res);
	free(body);
	if (rc) {
		/* Reported, but the gate's answer stands. */
		char *msg = bt_sanitize(bt_error_last(), 0);
		bt_cli_warn(ctx, "notification not delivered: %s", msg);
		free(msg);
	} else if (ctx->verbose) {
		fprintf(stderr, "benchtop: notification delivered (HTTP %ld, %d attempt%s)\n",
		        res.status, res.attempts, res.attempts == 1 ? "" : "s");
	}
}

static int parse_min_delta(const char *s, double *out, int *relative)
{
	size_t n = strlen(s);
	char *num;
	int rc;

	*relative = n > 0 && s[n - 1] == '%';
	num = bt_xstrndup(s, *relative ? n - 1 : n);
	rc = bt_parse_double(num, out);
	free(num);
	if (rc || !(*out >= 0) || !isfinite(*out))
		return -1;
	if (*relative)
		*out /= 100;
	return 0;
}

/* The suites of the candidates, parsed once each, for their gates. */
struct suite_cache {
	char **paths;
	struct bt_suite **suites; /* NULL where the file could not be read */
	size_t n;
};

static void suites_free(struct suite_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->paths[i]);
		bt_suite_free(c->suites[i]);
	}
	free(c->paths);
	free(c->suites);
}

/*
 * The gate the candidate's suite sets for task/metric.  A suite file that
 * is gone or no longer parses sets none: the command-line defaults apply.
 */
static const struct bt_gate *suite_gate(const struct bt_run *run, const char *task,
                                        const char *metric, void *payload)
{
	struct suite_cache *c = payload;
	char *path;
	size_t i;

	if (!run->suite_path)
		return NULL;
	path = run->suite_path[0] == '/' ? bt_xstrdup(run->suite_path)
	                                 : bt_path_join(run->git_workdir ? run->git_workdir
	                                                : run->cwd       ? run->cwd
	                                                                 : ".",
	                                                run->suite_path);
	for (i = 0; i < c->n; i++)
		if (strcmp(c->paths[i], path) == 0)
			break;
	if (i == c->n) {
		c->paths = bt_xrealloc(c->paths, (c->n + 1) * sizeof(*c->paths));
		c->suites = bt_xrealloc(c->suites, (c->n + 1) * sizeof(*c->suites));
		c->paths[i] = path;
		path = NULL;
		if (bt_suite_load(&c->suites[i], c->paths[i]) != 0) {
			c->suites[i] = NULL;
			bt_error_clear();
		}
		c->n++;
	}
	free(path);
	return bt_check_suite_gate(c->suites[i], task, metric);
}

int cmd_check(int argc, char **argv, struct bt_ctx *ctx)
{
	struct suite_cache suites = {0};
	enum {
		OPT_ALPHA = 256,
		OPT_MIN_DELTA,
		OPT_JUNIT,
		OPT_MARKDOWN,
		OPT_NOTIFY,
		OPT_MISSING,
		OPT_LOCK,
		OPT_WAIT,
		OPT_NOTIFY_TIMEOUT,
		OPT_NOTIFY_RETRIES,
	};
	static const struct option opts[] = {
	        {"against", required_argument, NULL, 'a'},
	        {"metric", required_argument, NULL, 'M'},
	        {"alpha", required_argument, NULL, OPT_ALPHA},
	        {"min-delta", required_argument, NULL, OPT_MIN_DELTA},
	        {"format", required_argument, NULL, 'f'},
	        {"junit", required_argument, NULL, OPT_JUNIT},
	        {"markdown", required_argument, NULL, OPT_MARKDOWN},
	        {"notify", required_argument, NULL, OPT_NOTIFY},
	        {"header", required_argument, NULL, 'H'},
	        {"notify-timeout", required_argument, NULL, OPT_NOTIFY_TIMEOUT},
	        {"notify-retries", required_argument, NULL, OPT_NOTIFY_RETRIES},
	        {"missing-baseline", required_argument, NULL, OPT_MISSING},
	        {"lock", no_argument, NULL, OPT_LOCK},
	        {"wait", optional_argument, NULL, OPT_WAIT},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct bt_check_opts o = {0};
	struct bt_check_report *report = NULL;
	struct notify_args na = {0};
	struct locks locks = {0};
	struct bt_store *s;
	const char **metrics = NULL;
	const char *junit = NULL, *markdown = NULL;
	char *branch = NULL, head[41];
	int64_t *ids = NULL;
	size_t nids = 0, nmetrics = 0, i;
	int c, rc = 0, json = 0, fail_missing = 0, lock = 0, have_wait = 0, exit_code = 0;
	double wait = 0;

	na.retries = -1;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":a:M:f:H:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o.against = optarg;
			break;
		case 'M':
			metrics = bt_xrealloc(metrics, (nmetrics + 1) * sizeof(*metrics));
			metrics[nmetrics++] = optarg;
			break;
		case OPT_ALPHA:
			if (bt_parse_double(optarg, &o.alpha) || !(o.alpha > 0 && o.alpha < 1)) {
				rc = bt_cli_usage_error(
				        ctx, usage,
				        "--alpha needs a number between 0 and 1, not "
				        "'%s'",
				        optarg);
				goto out;
			}
			break;
		case OPT_MIN_DELTA:
			if (parse_min_delta(optarg, &o.min_delta, &o.min_delta_relative)) {
				rc = bt_cli_usage_error(ctx, usage,
				                        "--min-delta needs a number (0.01) or a "
				                        "percentage (2%%), not "
				                        "'%s'",
				                        optarg);
				goto out;
			}
			break;
		case 'f':
			if (strcmp(optarg, "table") == 0) {
				json = 0;
			} else if (strcmp(optarg, "json") == 0) {
				json = 1;
			} else {
				rc = bt_cli_usage_error(ctx, usage,
				                        "--format must be table or json, not '%s'",
				                        optarg);
				goto out;
			}
			break;
		case OPT_JUNIT:
			junit = optarg;
			break;
		case OPT_MARKDOWN:
			markdown = optarg;
			break;
		case OPT_NOTIFY:
			na.url = optarg;
			break;
		case 'H':
			if (bt_notify_check_header(optarg)) {
				rc = bt_cli_usage_error(ctx, usage, "--header: %s",
				                        bt_error_last());
				goto out;
			}
			na.headers = bt_xrealloc(na.headers, (na.nheaders + 2) * sizeof(char *));
			na.headers[na.nheaders++] = bt_xstrdup(optarg);
			na.headers[na.nheaders] = NULL;
			break;
		case OPT_NOTIFY_TIMEOUT:
			if (bt_parse_double(optarg, &na.timeout) || !(na.timeout > 0)) {
				rc = bt_cli_usage_error(ctx, usage,
				                        "--notify-timeout needs seconds, not '%s'",
				                        optarg);
				goto out;
			}
			break;
		case OPT_NOTIFY_RETRIES: {
			int64_t v;
			if (bt_parse_int64(optarg, &v) || v < 0 || v > 100) {
				rc = bt_cli_usage_error(
				        ctx, usage,
				        "--notify-retries needs a count from 0 to 100, "
				        "not '%s'",
				        optarg);
				goto out;
			}
			na.retries = (int)v;
			break;
		}
		case OPT_MISSING:
			if (strcmp(optarg, "pass") == 0) {
				fail_missing = 0;
			} else if (strcmp(optarg, "fail") == 0) {
				fail_missing = 1;
			} else {
				rc = bt_cli_usage_error(
				        ctx, usage,
				        "--missing-baseline must be pass or fail, not "
				        "'%s'",
				        optarg);
				goto out;
			}
			break;
		case OPT_LOCK:
			lock = 1;
			break;
		case OPT_WAIT:
			have_wait = 1;
			wait = -1;
			if (optarg && (bt_parse_double(optarg, &wait) || !(wait >= 0))) {
				rc = bt_cli_usage_error(ctx, usage,
				                        "--wait needs seconds, not '%s'", optarg);
				goto out;
			}
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			goto out;
		default:
			rc = bt_cli_bad_option(ctx, usage, c, argv);
			goto out;
		}
	}
	if (have_wait && !lock) {
		rc = bt_cli_usage_error(ctx, usage, "--wait only makes sense with --lock");
		goto out;
	}
	if (!na.url) {
		const char *env = getenv("BENCHTOP_WEBHOOK");
		if (env && *env)
			na.url = env;
	}
	if (na.url) {
		const char *env = getenv("BENCHTOP_WEBHOOK_HEADERS");
		char **extra = NULL;
		size_t nextra = 0;
		if (env && *env) {
			if (bt_notify_split_headers(env, &extra, &nextra)) {
				rc = bt_cli_usage_error(ctx, NULL, "BENCHTOP_WEBHOOK_HEADERS: %s",
				                        bt_error_last());
				goto out;
			}
			na.headers = bt_xrealloc(na.headers,
			                         (na.nheaders + nextra + 1) * sizeof(char *));
			for (i = 0; i < nextra; i++)
				na.headers[na.nheaders++] = extra[i];
			na.headers[na.nheaders] = NULL;
			free(extra);
		}
		if (strncasecmp(na.url, "http://", 7) != 0 &&
		    strncasecmp(na.url, "https://", 8) != 0) {
			rc = bt_cli_usage_error(
			        ctx, usage, "the webhook URL must start with http:// or https://");
			goto out;
		}
	}

	o.repo_path = ctx->cwd;
	o.candidates = (const char *const *)(argv + optind);
	o.ncandidates = (size_t)(argc - optind);
	o.metrics = metrics;
	o.nmetrics = nmetrics;
	bt_check_opts_defaults(&o);
	/* Per-metric gates come from each candidate's suite file (`gates:`). */
	o.gate = suite_gate;
	o.gate_payload = &suites;

	rc = bt_cli_store(ctx, &s);
	if (!rc)
		rc = bt_check_candidates(s, &o, &ids, &nids, head, &branch);
	if (rc) {
		rc = bt_cli_fail(ctx, rc == BT_ENOTFOUND ? BT_EINPUT : rc);
		goto out;
	}
	if (lock) {
		rc = lock_runs(s, ctx->db_path, ids, nids, wait, &locks);
		/* Runs may have finished while we waited: choose again, lock what is new. */
		if (!rc && o.ncandidates == 0) {
			free(ids);
			free(branch);
			ids = NULL;
			branch = NULL;
			rc = bt_check_candidates(s, &o, &ids, &nids, head, &branch);
			if (!rc)
				rc = lock_runs(s, ctx->db_path, ids, nids, wait, &locks);
		}
		if (rc) {
			rc = bt_cli_fail(ctx, rc);
			goto out;
		}
	}
	rc = bt_check_compare(s, &o, ids, nids, &report);
	if (rc) {
		rc = bt_cli_fail(ctx, rc);
		goto out;
	}
	memcpy(report->head, head, sizeof(report->head));
	report->branch = branch;
	branch = NULL;

	for (i = 0; i < report->n; i++) {
		const struct bt_check_item *it = &report->items[i];
		char *msg = it->message ? bt_sanitize(it->message, 0) : NULL;
		if (it->outcome == BT_CHECK_NO_BASELINE && !fail_missing) {
			/* A warning: -q keeps only errors. */
			if (!ctx->quiet)
				bt_cli_warn(ctx, "run %lld has no baseline, passing: %s",
				            (long long)it->candidate.id, msg);
		} else if (it->outcome == BT_CHECK_NO_BASELINE) {
			fprintf(stderr, "benchtop: error: run %lld has no baseline: %s\n",
			        (long long)it->candidate.id, msg);
		} else if (it->outcome == BT_CHECK_FAILED_RUN) {
			fprintf(stderr, "benchtop: error: candidate %s\n", msg);
		}
		free(msg);
	}
	if (!ctx->quiet)
		warn_notes(ctx, report);

	if (json) {
		json_t *j = bt_check_report_json(report);
		rc = bt_json_write(stdout, j, 2);
		json_decref(j);
	} else if (!ctx->quiet) {
		char *summary = bt_check_summary(report);
		rc = print_table(ctx, report);
		if (!rc) {
			fputc('\n', stdout);
			fputs(summary, stdout);
			fputc('\n', stdout);
		}
		free(summary);
	}
	if (!rc && fflush(stdout) != 0)
		rc = bt_error_set(BT_EIO, "cannot write output");
	if (rc) {
		rc = bt_cli_fail(ctx, rc);
		goto out;
	}

	exit_code = report->regressed || report->failed ? BT_EXIT_FAIL
	            : report->missing && fail_missing   ? BT_EXIT_NO_BASELINE
	                                                : BT_EXIT_OK;
	if (junit) {
		struct bt_buf b = BT_BUF_INIT;
		bt_check_junit(report, bt_now(), &b);
		if (write_report(ctx, junit, &b) && exit_code != BT_EXIT_FAIL)
			exit_code = BT_EXIT_RUNTIME;
		bt_buf_free(&b);
	}
	if (markdown) {
		struct bt_buf b = BT_BUF_INIT;
		bt_check_markdown(report, &b);
		if (write_report(ctx, markdown, &b) && exit_code != BT_EXIT_FAIL)
			exit_code = BT_EXIT_RUNTIME;
		bt_buf_free(&b);
	}
	if (na.url)
		notify(ctx, &na, report);
	rc = exit_code;
out:
	suites_free(&suites);
	unlock_all(&locks);
	bt_check_report_free(report);
	for (i = 0; i < na.nheaders; i++)
		free(na.headers[i]);
	free(na.headers);
	free(metrics);
	free(ids);
	free(branch);
	return rc;
}
