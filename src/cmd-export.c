/*
 * cmd-export.c - `benchtop export [FILTER...]`: runs with everything they
 * hold, for archiving and for other tools.
 *
 * JSON and JSON Lines carry one complete object per run (see bt_run_json);
 * the tabular formats carry the tidy metrics table, one row per run, task
 * and metric, which is what spreadsheets and data frames want.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "run.h"
#include "util.h"

static const char usage[] =
        "usage: benchtop export [-f FORMAT] [--samples] [--patch] [-o FILE] [FILTER...]\n"
        "\n"
        "Export the runs that match the filter (all without one), oldest first.\n"
        "\n"
        "  -f, --format FORMAT   jsonl (default) or json: one object per run with params,\n"
        "                        tags, tasks, metrics and series; csv, tsv or markdown:\n"
        "                        one row per run, task and metric\n"
        "      --samples         include every sample (json and jsonl)\n"
        "      --patch           include dirty-tree patches (json and jsonl)\n"
        "  -o, --output FILE     write to FILE instead of standard output\n";

struct export_state {
	struct bt_store *store;
	enum bt_format fmt;
	unsigned flags;
	FILE *out;
	json_t *all;
	struct bt_table *t;
};

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static int export_run(const struct bt_run *r, void *payload)
{
	struct export_state *x = payload;
	const char *task, *metric;
	json_t *o, *per, *m;
	int rc = bt_run_json(x->store, r, x->flags, &o);

	if (rc)
		return rc;
	if (x->fmt == BT_FMT_JSONL) {
		rc = bt_json_write(x->out, o, 0);
		json_decref(o);
		return rc;
	}
	if (x->fmt == BT_FMT_JSON) {
		json_array_append_new(x->all, o);
		return 0;
	}
	json_object_foreach(json_object_get(o, "metrics"), task, per)
	{
		json_object_foreach(per, metric, m)
		{
			bt_table_row(x->t);
			bt_table_int(x->t, 0, r->id);
			bt_table_text(x->t, 1, r->uuid);
			bt_table_real(x->t, 2, r->started_at);
			bt_table_text(x->t, 3, r->git_sha);
			bt_table_text(x->t, 4, r->git_branch);
			bt_table_text(x->t, 5, r->suite);
			bt_table_text(x->t, 6, r->model);
			bt_table_text(x->t, 7, r->name);
			bt_table_text(x->t, 8, task);
			bt_table_text(x->t, 9, metric);
			bt_table_real(x->t, 10, num(m, "value"));
			bt_table_real(x->t, 11, num(m, "ci_low"));
			bt_table_real(x->t, 12, num(m, "ci_high"));
			bt_table_real(x->t, 13, num(m, "stderr"));
			if (json_is_integer(json_object_get(m, "n")))
				bt_table_int(x->t, 14, json_integer_value(json_object_get(m, "n")));
		}
	}
	json_decref(o);
	return 0;
}

int cmd_export(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {
	        {"format", required_argument, NULL, 'f'}, {"samples", no_argument, NULL, 'S'},
	        {"patch", no_argument, NULL, 'p'},        {"output", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	struct export_state x;
	struct bt_run_query q = {0};
	struct bt_filter *filter = NULL;
	const char *path = NULL;
	char *tmp = NULL;
	int c, rc;

	memset(&x, 0, sizeof(x));
	x.fmt = BT_FMT_JSONL;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (bt_format_parse(optarg, &x.fmt))
				return bt_cli_usage_error(ctx, usage, "%s", bt_error_last());
			if (x.fmt == BT_FMT_TABLE)
				return bt_cli_usage_error(ctx, usage,
				                          "export writes jsonl, json, csv, tsv or "
				                          "markdown; use 'ls' for a table");
			break;
		case 'S':
			x.flags |= BT_RUN_JSON_SAMPLES;
			break;
		case 'p':
			x.flags |= BT_RUN_JSON_PATCH;
			break;
		case 'o':
			path = optarg;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			return 0;
		default:
			return bt_cli_bad_option(ctx, usage, c, argv);
		}
	}
	rc = bt_cli_filter(ctx, argc - optind, argv + optind, &filter);
	if (rc)
		return rc;
	rc = bt_cli_store(ctx, &x.store);
	if (rc)
		goto out;
	x.out = stdout;
	if (path) {
		/* Write beside the target and rename: a failed export leaves no half file. */
		tmp = bt_xasprintf("%s.tmp.%d", path, (int)getpid());
		x.out = fopen(tmp, "w");
		if (!x.out) {
			rc = bt_error_set(BT_EIO, "cannot write '%s': %s", tmp, strerror(errno));
			goto out;
		}
	}
	if (x.fmt == BT_FMT_JSON)
		x.all = json_array();
	if (x.fmt != BT_FMT_JSON && x.fmt != BT_FMT_JSONL) {
		static const char *const cols[] = {"run_id",     "uuid",   "started_at", "git_sha",
		                                   "git_branch", "suite",  "model",      "name",
		                                   "task",       "metric", "value",      "ci_low",
		                                   "ci_high",    "stderr", "n"};
		static const enum bt_col_kind kinds[] = {
		        BT_COL_INT,  BT_COL_TEXT, BT_COL_TIME, BT_COL_TEXT, BT_COL_TEXT,
		        BT_COL_TEXT, BT_COL_TEXT, BT_COL_TEXT, BT_COL_TEXT, BT_COL_TEXT,
		        BT_COL_REAL, BT_COL_REAL, BT_COL_REAL, BT_COL_REAL, BT_COL_INT};
		x.t = bt_table_new();
		for (size_t i = 0; i < BT_ARRAY_SIZE(cols); i++)
			bt_table_column(x.t, cols[i], NULL, kinds[i], 0);
	}
	q.filter = filter;
	q.ascending = 1;
	rc = bt_run_query(x.store, &q, export_run, &x);
	if (!rc && x.all)
		rc = bt_json_write(x.out, x.all, 2);
	if (!rc && x.t)
		rc = bt_table_write(x.t, x.out, x.fmt, NULL);
	if (!rc && fflush(x.out) != 0)
		rc = bt_error_set(BT_EIO, "cannot write output: %s", strerror(errno));
	if (path) {
		if (fclose(x.out) != 0 && !rc)
			rc = bt_error_set(BT_EIO, "cannot write '%s': %s", tmp, strerror(errno));
		if (!rc && rename(tmp, path) != 0)
			rc = bt_error_set(BT_EIO, "cannot rename '%s' to '%s': %s", tmp, path,
			                  strerror(errno));
		if (rc)
			unlink(tmp);
	}
out:
	free(tmp);
	json_decref(x.all);
	bt_table_free(x.t);
	bt_filter_free(filter);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}
