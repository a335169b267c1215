/*
 * cmd-history.c - `benchtop history METRIC`: a metric along the
 * first-parent git history, one row per commit, with change points marked
 * (history.c does the work).
 */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check-report.h"
#include "cli.h"
#include "error.h"
#include "history.h"
#include "util.h"

static const char usage[] =
        "usage: benchtop history METRIC [--task T] [--suite S] [--model M] [--branch B]\n"
        "                        [-n N] [-f FORMAT] [--no-header]\n"
        "\n"
        "Show METRIC along the first-parent history, newest commit first: the value of\n"
        "the latest finished run at each commit, its 95% confidence interval, and the\n"
        "commits after which the metric shifted beyond its noise (change points).\n"
        "\n"
        "  -t, --task T          the metric of task T (default: the mean over tasks)\n"
        "  -s, --suite S         only runs of suite S\n"
        "  -m, --model M         only runs of model M\n"
        "  -b, --branch B        walk from B, any git revision (default: HEAD)\n"
        "  -n, --limit N         walk at most N commits (default 200)\n"
        "  -f, --format FORMAT   table, json, jsonl, csv, tsv or markdown (default: table)\n"
        "      --no-header       omit the header row\n";

/* Is `metric` recorded anywhere?  If not, suggest the closest name that is. */
static int known_metric(struct bt_store *s, const char *metric)
{
	sqlite3_stmt *st;
	const char **names = NULL;
	char **owned = NULL;
	size_t n = 0, cap = 0, i;
	const char *sug;
	int found = 0, rc;

	rc = bt_store_prepare(s, &st, "SELECT DISTINCT metric FROM metrics ORDER BY metric");
	if (rc)
		return rc;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(st, 0);
		if (!m)
			continue;
		if (strcmp(m, metric) == 0)
			found = 1;
		bt_grow(&owned, &cap, n + 1, sizeof(*owned));
		owned[n++] = bt_xstrdup(m);
	}
	sqlite3_finalize(st);
	if (!found) {
		names = bt_xcalloc(n + 1, sizeof(*names));
		for (i = 0; i < n; i++)
			names[i] = owned[i];
		sug = bt_suggest(metric, names, n);
		if (sug)
			rc = bt_error_set(BT_EINPUT,
			                  "no run has a metric '%s' (did you mean '%s'?)", metric,
			                  sug);
		else
			rc = bt_error_set(BT_EINPUT, "no run has a metric '%s'", metric);
		free(names);
	}
	for (i = 0; i < n; i++)
		free(owned[i]);
	free(owned);
	return rc;
}

int cmd_history(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {
	        {"task", required_argument, NULL, 't'},
	        {"suite", required_argument, NULL, 's'},
	        {"model", required_argument, NULL, 'm'},
	        {"branch", required_argument, NULL, 'b'},
	        {"limit", required_argument, NULL, 'n'},
	        {"format", required_argument, NULL, 'f'},
	        {"no-header", no_argument, NULL, 'H'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct bt_history_query q = {0};
	struct bt_history_point *p = NULL;
	struct bt_output_opts oo = {0};
	enum bt_format fmt = BT_FMT_TABLE;
	struct bt_table *t = NULL;
	struct bt_store *s;
	size_t n = 0, i, with_value = 0, changes = 0;
	int c, rc, no_header = 0, human;
	int c_commit, c_sha, c_date, c_summary, c_value, c_ci, c_lo, c_hi, c_se, c_runs, c_run,
	        c_change, c_cp, c_shift, c_tasks;
	int64_t limit;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:s:m:b:n:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			q.task = optarg;
			break;
		case 's':
			q.suite = optarg;
			break;
		case 'm':
			q.model = optarg;
			break;
		case 'b':
			q.start = optarg;
			break;
		case 'n':
			if (bt_parse_int64(optarg, &limit) || limit < 1 || limit > 1000000)
				return bt_cli_usage_error(
				        ctx, usage, "--limit needs a number of commits, not '%s'",
				        optarg);
			q.max_commits = (int)limit;
			break;
		case 'f':
			if (bt_format_parse(optarg, &fmt))
				return bt_cli_usage_error(ctx, usage, "%s", bt_error_last());
			break;
		case 'H':
			no_header = 1;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			return 0;
		default:
			return bt_cli_bad_option(ctx, usage, c, argv);
		}
	}
	if (optind >= argc)
		return bt_cli_usage_error(ctx, usage, "history needs a metric name");
	if (optind + 1 < argc)
		return bt_cli_usage_error(ctx, usage, "history takes one metric, not '%s' too",
		                          argv[optind + 1]);
	q.metric = argv[optind];

	rc = bt_cli_store(ctx, &s);
	if (!rc)
		rc = known_metric(s, q.metric);
	if (!rc)
		rc = bt_history_load(s, ctx->cwd, &q, &p, &n);
	if (rc)
		return bt_cli_fail(ctx, rc == BT_ENOTFOUND ? BT_EINPUT : rc);

	human = fmt == BT_FMT_TABLE || fmt == BT_FMT_MARKDOWN;
	t = bt_table_new();
	c_commit = bt_table_column(t, "commit", NULL, BT_COL_SHA, 0);
	bt_table_column_human_only(t, c_commit);
	c_sha = bt_table_column(t, "sha", NULL, BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, c_sha);
	c_date = bt_table_column(t, "author_time", "DATE", BT_COL_TIME, 3);
	c_value = bt_table_column(t, "value", NULL, BT_COL_REAL, 0);
	c_ci = bt_table_column(t, "ci", "95% CI", BT_COL_TEXT, 4);
	bt_table_column_human_only(t, c_ci);
	c_lo = bt_table_column(t, "ci_low", NULL, BT_COL_REAL, 0);
	bt_table_column_machine_only(t, c_lo);
	c_hi = bt_table_column(t, "ci_high", NULL, BT_COL_REAL, 0);
	bt_table_column_machine_only(t, c_hi);
	c_se = bt_table_column(t, "stderr", NULL, BT_COL_REAL, 0);
	bt_table_column_machine_only(t, c_se);
	c_tasks = bt_table_column(t, "tasks", NULL, BT_COL_INT, 0);
	bt_table_column_machine_only(t, c_tasks);
	c_runs = bt_table_column(t, "runs", NULL, BT_COL_INT, 1);
	c_run = bt_table_column(t, "run_id", "RUN", BT_COL_INT, 2);
	c_change = bt_table_column(t, "change", NULL, BT_COL_TEXT, 0);
	bt_table_column_human_only(t, c_change);
	c_cp = bt_table_column(t, "change_point", NULL, BT_COL_JSON, 0);
	bt_table_column_machine_only(t, c_cp);
	c_shift = bt_table_column(t, "shift", NULL, BT_COL_REAL, 0);
	bt_table_column_machine_only(t, c_shift);
	c_summary = bt_table_column(t, "summary", NULL, BT_COL_TEXT, 5);

	for (i = 0; i < n; i++) {
		const struct bt_history_point *pt = &p[i];
		double shift = NAN;
		size_t k;

		/* The shift from the previous (older) commit that has a value. */
		for (k = i + 1; pt->has_value && k < n; k++)
			if (p[k].has_value) {
				shift = pt->value - p[k].value;
				break;
			}
		bt_table_row(t);
		bt_table_text(t, c_commit, pt->sha);
		bt_table_text(t, c_sha, pt->sha);
		bt_table_real(t, c_date, pt->author_time);
		bt_table_text(t, c_summary, pt->summary);
		bt_table_int(t, c_runs, (int64_t)pt->n_runs);
		bt_table_json(t, c_cp, json_boolean(pt->change_point));
		if (!pt->has_value)
			continue;
		with_value++;
		bt_table_real(t, c_value, pt->value);
		bt_table_real(t, c_lo, pt->ci_low);
		bt_table_real(t, c_hi, pt->ci_high);
		bt_table_real(t, c_se, pt->se);
		bt_table_int(t, c_tasks, (int64_t)pt->n_tasks);
		bt_table_int(t, c_run, pt->run_id);
		if (pt->ci_low == pt->ci_low && pt->ci_high == pt->ci_high) {
			char lo[32], hi[32], ci[80];
			bt_check_format_value(lo, sizeof(lo), pt->ci_low, 0);
			bt_check_format_value(hi, sizeof(hi), pt->ci_high, 0);
			snprintf(ci, sizeof(ci), "[%s, %s]", lo, hi);
			bt_table_text(t, c_ci, ci);
		}
		if (pt->change_point) {
			char d[32], text[48];
			changes++;
			bt_table_real(t, c_shift, shift);
			bt_check_format_value(d, sizeof(d), shift, 1);
			snprintf(text, sizeof(text), "<- %s", d);
			bt_table_text(t, c_change, text);
		}
	}
	if (!with_value) {
		char *m = bt_sanitize(q.metric, 0);
		bt_cli_warn(ctx, "no finished run with '%s' on these %zu commits", m, n);
		free(m);
	}
	oo.width = ctx->stdout_tty ? ctx->width : 0;
	oo.color = ctx->color;
	oo.no_header = no_header;
	rc = bt_table_write(t, stdout, fmt, &oo);
	if (!rc && human && fmt == BT_FMT_TABLE && !ctx->quiet)
		printf("\n%zu commit%s, %zu with a value, %zu change point%s\n", n,
		       n == 1 ? "" : "s", with_value, changes, changes == 1 ? "" : "s");
	if (!rc && fflush(stdout) != 0)
		rc = bt_error_set(BT_EIO, "cannot write output");
	bt_table_free(t);
	bt_history_free(p, n);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}
