/*
 * cmd-ls.c - `benchtop ls [FILTER...]`: list runs, newest first.
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "run.h"
#include "util.h"

static const char usage[] =
        "usage: benchtop ls [-f FORMAT] [-s KEY] [-r] [-n N] [-M METRIC]... [--ci] [FILTER...]\n"
        "\n"
        "List runs, newest first, that match the filter (all runs without one).\n"
        "\n"
        "  -f, --format FORMAT   table, json, jsonl, csv, tsv or markdown (default: table)\n"
        "  -s, --sort KEY        sort by a field (id, started, ended, duration, name, suite,\n"
        "                        model, status, branch, kind, host, user, commit) or a metric\n"
        "  -r, --reverse         reverse the order (oldest or smallest first)\n"
        "  -n, --limit N         list at most N runs\n"
        "  -M, --metric METRIC   add a column for METRIC (mean over tasks) or TASK/METRIC\n"
        "      --no-header       omit the header row\n"
        "\n"
        "Filters: field=value, field!=value, field~glob, <, <=, >, >= for numbers and times,\n"
        "since=7d, until=2026-11-01, tag=NAME, param.KEY=VALUE, METRIC>0.9, TASK/METRIC>0.9,\n"
        "bare words (match name, suite, model or tag), combined with and, or, not and ( ).\n"
        "Example: benchtop ls 'accuracy>0.9 branch=main' 'not status=failed'\n";

struct ls_state {
	struct bt_store *store;
	struct bt_table *t;
	int machine;
	double now;
	char **metrics;
	size_t nmetrics;
	int ci; /* --ci: metric columns carry their intervals */
	int c_id, c_uuid, c_status, c_started, c_ended, c_commit, c_sha, c_branch, c_dirty, c_kind,
	        c_suite, c_suite_hash, c_model, c_model_version, c_name, c_duration, c_host, c_user,
	        c_tags, c_params, c_metrics, c_note, c_progress;
	int c_metric0;
};

static json_t *query_json(struct bt_store *s, const char *sql, int64_t id, int object)
{
	json_t *out = object ? json_object() : json_array();
	sqlite3_stmt *st;

	if (bt_store_prepare(s, &st, sql))
		return out;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);
		if (!object) {
			json_array_append_new(out, json_string_nocheck(a ? a : ""));
			continue;
		}
		if (sqlite3_column_count(st) == 2) {
			const char *b = (const char *)sqlite3_column_text(st, 1);
			json_object_set_new(out, a, json_string_nocheck(b ? b : ""));
		} else {
			/* task, metric, value: nest as {task: {metric: value}} */
			const char *m = (const char *)sqlite3_column_text(st, 1);
			json_t *task = json_object_get(out, a);
			if (!task) {
				task = json_object();
				json_object_set_new(out, a, task);
			}
			json_object_set_new(task, m,
			                    sqlite3_column_type(st, 2) == SQLITE_NULL
			                            ? json_null()
			                            : json_real(sqlite3_column_double(st, 2)));
		}
	}
	sqlite3_finalize(st);
	return out;
}

struct mval {
	double v, lo, hi; /* NaN when unknown */
};

/*
 * A metric column's value: TASK/METRIC exactly (with its interval), or the
 * mean over the run's tasks (no interval), else a series' last value.
 */
static struct mval metric_value(struct bt_store *s, int64_t id, const char *name)
{
	const char *slash = strchr(name, '/');
	struct mval m = {NAN, NAN, NAN};
	sqlite3_stmt *st;

	if (slash) {
		char *task;
		if (bt_store_prepare(
		            s, &st,
		            "SELECT value, ci_low, ci_high FROM metrics WHERE run_id = ?1 AND "
		            "task = ?2 AND metric = ?3"))
			return m;
		task = bt_xstrndup(name, (size_t)(slash - name));
		sqlite3_bind_text(st, 2, task, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, slash + 1, -1, SQLITE_TRANSIENT);
		free(task);
	} else {
		if (bt_store_prepare(
		            s, &st,
		            "SELECT avg(value), NULL, NULL FROM metrics WHERE run_id = ?1 AND "
		            "metric = ?2"))
			return m;
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		m.v = sqlite3_column_double(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			m.lo = sqlite3_column_double(st, 1);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			m.hi = sqlite3_column_double(st, 2);
	}
	sqlite3_finalize(st);
	if (m.v == m.v)
		return m;
	if (bt_store_prepare(s, &st,
	                     "SELECT value FROM series WHERE run_id = ? AND key = ? ORDER BY "
	                     "step DESC LIMIT 1"))
		return m;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		m.v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return m;
}

/* A metric cell: the value, or with --ci its interval too. */
static void metric_cell(struct ls_state *ls, int col, struct mval m)
{
	char a[32], b[32], c[32];

	if (!ls->ci) {
		bt_table_real(ls->t, col, m.v);
		return;
	}
	if (ls->machine) {
		json_t *o;
		if (m.v != m.v)
			return;
		o = json_object();
		json_object_set_new(o, "value", json_real(m.v));
		json_object_set_new(o, "ci_low", m.lo == m.lo ? json_real(m.lo) : json_null());
		json_object_set_new(o, "ci_high", m.hi == m.hi ? json_real(m.hi) : json_null());
		bt_table_json(ls->t, col, o);
		return;
	}
	if (m.v != m.v)
		return;
	bt_format_real(a, sizeof(a), m.v, 4);
	if (m.lo == m.lo && m.hi == m.hi) {
		char *cell;
		bt_format_real(b, sizeof(b), m.lo, 4);
		bt_format_real(c, sizeof(c), m.hi, 4);
		cell = bt_xasprintf("%s [%s, %s]", a, b, c);
		bt_table_text(ls->t, col, cell);
		free(cell);
	} else {
		bt_table_text(ls->t, col, a);
	}
}

static int add_run(const struct bt_run *r, void *payload)
{
	struct ls_state *ls = payload;
	struct bt_table *t = ls->t;
	json_t *tags;
	size_t i;

	bt_table_row(t);
	bt_table_int(t, ls->c_id, r->id);
	bt_table_text(t, ls->c_uuid, r->uuid);
	bt_table_text(t, ls->c_status, bt_run_display_status(r, ls->now));
	bt_table_real(t, ls->c_started, r->started_at);
	if (r->ended_at > 0) {
		bt_table_real(t, ls->c_ended, r->ended_at);
		bt_table_real(t, ls->c_duration, r->ended_at - r->started_at);
	} else if (r->status == BT_RUN_RUNNING) {
		bt_table_real(t, ls->c_duration, ls->now - r->started_at);
	}
	if (r->git_sha) {
		char *shown = bt_xasprintf("%.8s%s", r->git_sha, r->git_dirty ? "*" : "");
		bt_table_text(t, ls->c_commit, shown);
		free(shown);
		bt_table_json(t, ls->c_dirty, json_boolean(r->git_dirty));
	}
	bt_table_text(t, ls->c_sha, r->git_sha);
	bt_table_text(t, ls->c_branch, r->git_branch);
	bt_table_text(t, ls->c_kind, r->kind);
	bt_table_text(t, ls->c_suite, r->suite);
	bt_table_text(t, ls->c_suite_hash, r->suite_hash);
	bt_table_text(t, ls->c_model, r->model);
	bt_table_text(t, ls->c_model_version, r->model_version);
	bt_table_text(t, ls->c_name, r->name);
	bt_table_text(t, ls->c_host, r->host);
	bt_table_text(t, ls->c_user, r->user);
	bt_table_text(t, ls->c_note, r->note);
	if (r->status == BT_RUN_RUNNING && r->progress_total > 0)
		bt_table_json(t, ls->c_progress,
		              json_pack("{sIsI}", "done", (json_int_t)r->progress_done, "total",
		                        (json_int_t)r->progress_total));

	tags = query_json(ls->store, "SELECT tag FROM tags WHERE run_id = ? ORDER BY tag", r->id,
	                  0);
	if (ls->machine) {
		bt_table_json(t, ls->c_tags, tags);
		bt_table_json(
		        t, ls->c_params,
		        query_json(ls->store,
		                   "SELECT key, value FROM params WHERE run_id = ? ORDER BY key",
		                   r->id, 1));
		bt_table_json(t, ls->c_metrics,
		              query_json(ls->store,
		                         "SELECT task, metric, value FROM metrics WHERE run_id = ? "
		                         "ORDER BY rowid",
		                         r->id, 1));
	} else {
		struct bt_buf b = BT_BUF_INIT;
		for (i = 0; i < json_array_size(tags); i++) {
			if (i)
				bt_buf_putc(&b, ',');
			bt_buf_puts(&b, json_string_value(json_array_get(tags, i)));
		}
		bt_table_text(t, ls->c_tags, b.len ? b.ptr : NULL);
		bt_buf_free(&b);
		json_decref(tags);
	}
	for (i = 0; i < ls->nmetrics; i++)
		metric_cell(ls, ls->c_metric0 + (int)i,
		            metric_value(ls->store, r->id, ls->metrics[i]));
	return 0;
}

static void build_columns(struct ls_state *ls)
{
	struct bt_table *t = ls->t;
	size_t i;

	ls->c_id = bt_table_column(t, "id", NULL, BT_COL_INT, 0);
	ls->c_uuid = bt_table_column(t, "uuid", NULL, BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, ls->c_uuid);
	ls->c_status = bt_table_column(t, "status", NULL, BT_COL_STATUS, 0);
	ls->c_started = bt_table_column(t, "started_at", "STARTED", BT_COL_AGE, 6);
	ls->c_ended = bt_table_column(t, "ended_at", "ENDED", BT_COL_TIME, 0);
	bt_table_column_machine_only(t, ls->c_ended);
	ls->c_duration = bt_table_column(t, "duration", NULL, BT_COL_DURATION, 3);
	ls->c_commit = bt_table_column(t, "commit", NULL, BT_COL_TEXT, 5);
	bt_table_column_human_only(t, ls->c_commit);
	ls->c_sha = bt_table_column(t, "git_sha", NULL, BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, ls->c_sha);
	ls->c_branch = bt_table_column(t, "git_branch", "BRANCH", BT_COL_TEXT, 4);
	ls->c_dirty = bt_table_column(t, "git_dirty", NULL, BT_COL_JSON, 0);
	bt_table_column_machine_only(t, ls->c_dirty);
	ls->c_kind = bt_table_column(t, "kind", NULL, BT_COL_TEXT, 1);
	ls->c_suite = bt_table_column(t, "suite", NULL, BT_COL_TEXT, 8);
	ls->c_suite_hash = bt_table_column(t, "suite_hash", NULL, BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, ls->c_suite_hash);
	ls->c_model = bt_table_column(t, "model", NULL, BT_COL_TEXT, 9);
	ls->c_model_version = bt_table_column(t, "model_version", NULL, BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, ls->c_model_version);
	ls->c_name = bt_table_column(t, "name", NULL, BT_COL_TEXT, 7);
	ls->c_host = bt_table_column(t, "host", NULL, BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, ls->c_host);
	ls->c_user = bt_table_column(t, "user", NULL, BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, ls->c_user);
	ls->c_progress = bt_table_column(t, "progress", NULL, BT_COL_JSON, 0);
	bt_table_column_machine_only(t, ls->c_progress);
	ls->c_tags = bt_table_column(t, "tags", NULL, ls->machine ? BT_COL_JSON : BT_COL_TEXT, 2);
	ls->c_params = bt_table_column(t, "params", NULL, BT_COL_JSON, 0);
	bt_table_column_machine_only(t, ls->c_params);
	ls->c_metrics = bt_table_column(t, "metrics", NULL, BT_COL_JSON, 0);
	bt_table_column_machine_only(t, ls->c_metrics);
	ls->c_note = bt_table_column(t, "note", NULL, BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, ls->c_note);
	for (i = 0; i < ls->nmetrics; i++) {
		char *key = bt_xasprintf("metric:%s", ls->metrics[i]);
		int c = bt_table_column(
		        t, key, ls->metrics[i],
		        ls->ci ? (ls->machine ? BT_COL_JSON : BT_COL_TEXT) : BT_COL_REAL, 10);
		if (i == 0)
			ls->c_metric0 = c;
		free(key);
	}
}

int cmd_ls(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {
	        {"format", required_argument, NULL, 'f'},
	        {"sort", required_argument, NULL, 's'},
	        {"reverse", no_argument, NULL, 'r'},
	        {"limit", required_argument, NULL, 'n'},
	        {"metric", required_argument, NULL, 'M'},
	        {"no-header", no_argument, NULL, 'H'},
	        {"ci", no_argument, NULL, 'I'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct bt_run_query q = {0};
	struct ls_state ls;
	struct bt_filter *filter = NULL;
	enum bt_format fmt = BT_FMT_TABLE;
	struct bt_output_opts o = {0};
	int c, rc, no_header = 0;

	memset(&ls, 0, sizeof(ls));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:s:rn:M:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (bt_format_parse(optarg, &fmt))
				return bt_cli_usage_error(ctx, usage, "%s", bt_error_last());
			break;
		case 's':
			q.sort = optarg;
			break;
		case 'r':
			q.ascending = 1;
			break;
		case 'n':
			if (bt_parse_int64(optarg, &q.limit) || q.limit < 0)
				return bt_cli_usage_error(
				        ctx, usage, "--limit needs a count, not '%s'", optarg);
			break;
		case 'M':
			ls.metrics =
			        bt_xrealloc(ls.metrics, (ls.nmetrics + 1) * sizeof(*ls.metrics));
			ls.metrics[ls.nmetrics++] = optarg;
			break;
		case 'H':
			no_header = 1;
			break;
		case 'I':
			ls.ci = 1;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			free(ls.metrics);
			return 0;
		default:
			free(ls.metrics);
			return bt_cli_bad_option(ctx, usage, c, argv);
		}
	}
	rc = bt_cli_filter(ctx, argc - optind, argv + optind, &filter);
	if (rc) {
		free(ls.metrics);
		return rc;
	}
	rc = bt_cli_store(ctx, &ls.store);
	if (rc)
		goto out;
	ls.machine =
	        fmt == BT_FMT_JSON || fmt == BT_FMT_JSONL || fmt == BT_FMT_CSV || fmt == BT_FMT_TSV;
	ls.now = bt_now();
	ls.t = bt_table_new();
	build_columns(&ls);
	q.filter = filter;
	q.now = ls.now;
	rc = bt_run_query(ls.store, &q, add_run, &ls);
	if (rc)
		goto out;
	if (fmt == BT_FMT_TABLE && bt_table_rows(ls.t) == 0) {
		if (!ctx->quiet)
			fprintf(stderr, filter ? "no runs match the filter\n" : "no runs yet\n");
		goto out;
	}
	o.width = ctx->stdout_tty ? ctx->width : 0;
	o.color = ctx->color;
	o.no_header = no_header;
	o.now = ls.now;
	rc = bt_table_write(ls.t, stdout, fmt, &o);
out:
	bt_table_free(ls.t);
	bt_filter_free(filter);
	free(ls.metrics);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}
