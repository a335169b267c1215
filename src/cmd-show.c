/*
 * cmd-show.c - `benchtop show RUN`: everything about one run.
 *
 * The human form is drawn from the same JSON object that `--format json`
 * prints (bt_run_json), so the two cannot disagree.
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
#include "runjson.h"
#include "runlog.h"
#include "runref.h"
#include "series.h"
#include "util.h"

static const char usage[] =
        "usage: benchtop show [-f FORMAT] [--patch] [--samples] RUN\n"
        "       benchtop show --series KEY [-f FORMAT] RUN\n"
        "       benchtop show --log RUN\n"
        "\n"
        "Show a run: where and how it was made, params, tags, note, per-task metrics\n"
        "with confidence intervals, confusion matrices and logged series.\n"
        "\n"
        "  -f, --format FORMAT   table (the default, for people) or json\n"
        "      --patch           print only the run's dirty-tree patch (git apply can use it)\n"
        "      --samples         include every sample, with what the model attached to it\n"
        "      --series KEY      print every point of series KEY: step, value, wall_time\n"
        "                        (formats table, csv, tsv, json, jsonl)\n"
        "      --log             print the output captured by 'benchtop exec' (as the\n"
        "                        terminal showed it; byte for byte when not a terminal)\n"
        "\n"
        "RUN is an id, @ (latest), @~N, tag:NAME, a uuid prefix or a git revision.\n";

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* One header line: the label in bold, the value made inert. */
static void field(const char *label, const char *value, void *payload)
{
	struct bt_ctx *ctx = payload;

	if (ctx->color)
		printf("\033[1m%-10s\033[0m ", label);
	else
		printf("%-10s ", label);
	/* The note is the one value written to span lines. */
	bt_cli_puts_safe(stdout, value, strcmp(label, "note") == 0);
	putchar('\n');
}

static void heading(struct bt_ctx *ctx, const char *title)
{
	if (ctx->color)
		printf("\n\033[1;4m%s\033[0m\n", title);
	else
		printf("\n%s\n", title);
}

static void print_header(struct bt_ctx *ctx, json_t *o)
{
	const struct bt_run_header_opts opts = {BT_RUN_HEADER_LONG, "see --patch", 0};

	if (ctx->color)
		printf("\033[1mrun %lld\033[0m  ",
		       (long long)json_integer_value(json_object_get(o, "id")));
	else
		printf("run %lld  ", (long long)json_integer_value(json_object_get(o, "id")));
	bt_cli_puts_safe(stdout, str(o, "status"), 0);
	printf("  %s\n", str(o, "uuid"));
	bt_run_header_each(o, &opts, field, ctx);
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void print_tasks(struct bt_ctx *ctx, json_t *o)
{
	json_t *tasks = json_object_get(o, "tasks"), *task;
	size_t i, r, c;

	for (i = 0; i < json_array_size(tasks); i++) {
		json_t *labels, *conf;
		struct bt_table *t;
		task = json_array_get(tasks, i);
		labels = json_object_get(task, "labels");
		conf = json_object_get(task, "confusion");
		if (!json_is_array(conf) || !json_is_array(labels) || json_array_size(labels) > 20)
			continue;
		{
			char *title = bt_xasprintf("Confusion matrix: %s (rows: target, columns: "
			                           "prediction)",
			                           str(task, "name"));
			char *clean = bt_sanitize(title, 0);
			heading(ctx, clean);
			free(clean);
			free(title);
		}
		t = bt_table_new();
		bt_table_column(t, "target", "", BT_COL_TEXT, 0);
		for (c = 0; c < json_array_size(labels); c++)
			bt_table_column(t, json_string_value(json_array_get(labels, c)),
			                json_string_value(json_array_get(labels, c)), BT_COL_INT,
			                0);
		for (r = 0; r < json_array_size(conf); r++) {
			json_t *row = json_array_get(conf, r);
			bt_table_row(t);
			bt_table_text(t, 0, json_string_value(json_array_get(labels, r)));
			for (c = 0; c < json_array_size(row); c++)
				bt_table_int(t, (int)c + 1,
				             json_integer_value(json_array_get(row, c)));
		}
		bt_cli_print_table(ctx, t, BT_FMT_TABLE);
		bt_table_free(t);
	}
	for (i = 0; i < json_array_size(tasks); i++) {
		task = json_array_get(tasks, i);
		if (json_integer_value(json_object_get(task, "n_errors")) > 0) {
			char *msg = bt_xasprintf(
			        "task %s: %lld of %lld examples failed; see "
			        "'benchtop show --samples --format json'",
			        str(task, "name"),
			        (long long)json_integer_value(json_object_get(task, "n_errors")),
			        (long long)json_integer_value(json_object_get(task, "n_examples")));
			printf("\n");
			bt_cli_puts_safe(stdout, msg, 0);
			printf("\n");
			free(msg);
		}
	}
}

static void print_series(struct bt_ctx *ctx, json_t *o)
{
	json_t *series = json_object_get(o, "series"), *s;
	const char *key;
	struct bt_table *t;
	int ck, cc, cf, cl, clast, cmin, cmax;

	if (!json_object_size(series))
		return;
	heading(ctx, "Series");
	t = bt_table_new();
	ck = bt_table_column(t, "key", NULL, BT_COL_TEXT, 0);
	cc = bt_table_column(t, "count", "POINTS", BT_COL_INT, 0);
	cf = bt_table_column(t, "first_step", "FIRST STEP", BT_COL_INT, 1);
	cl = bt_table_column(t, "last_step", "LAST STEP", BT_COL_INT, 2);
	clast = bt_table_column(t, "last", NULL, BT_COL_REAL, 0);
	cmin = bt_table_column(t, "min", NULL, BT_COL_REAL, 3);
	cmax = bt_table_column(t, "max", NULL, BT_COL_REAL, 3);
	json_object_foreach(series, key, s)
	{
		bt_table_row(t);
		bt_table_text(t, ck, key);
		bt_table_int(t, cc, json_integer_value(json_object_get(s, "count")));
		bt_table_int(t, cf, json_integer_value(json_object_get(s, "first_step")));
		bt_table_int(t, cl, json_integer_value(json_object_get(s, "last_step")));
		bt_table_real(t, clast, num(s, "last"));
		bt_table_real(t, cmin, num(s, "min"));
		bt_table_real(t, cmax, num(s, "max"));
	}
	bt_cli_print_table(ctx, t, BT_FMT_TABLE);
	bt_table_free(t);
}

/*
 * --samples in the table form: each task's samples, then what the model
 * attached to them (host->annotate), one "ID  KEY: VALUE" line each, a
 * text value as itself and any other as compact JSON, all sanitised.
 */
static void print_samples(struct bt_ctx *ctx, json_t *o)
{
	json_t *samples = json_object_get(o, "samples"), *list, *smp;
	const char *task;
	size_t i;

	json_object_foreach(samples, task, list)
	{
		struct bt_table *t = bt_table_new();
		int ci = bt_table_column(t, "idx", NULL, BT_COL_INT, 0);
		int cid = bt_table_column(t, "id", NULL, BT_COL_TEXT, 0);
		int cp = bt_table_column(t, "prediction", NULL, BT_COL_TEXT, 1);
		int ct = bt_table_column(t, "target", NULL, BT_COL_TEXT, 2);
		int cc = bt_table_column(t, "correct", NULL, BT_COL_TEXT, 0);
		int ce = bt_table_column(t, "error", NULL, BT_COL_TEXT, 3);
		int annotated = 0;
		char *title = bt_xasprintf("Samples: %s", task), *clean = bt_sanitize(title, 0);

		heading(ctx, clean);
		free(clean);
		free(title);
		json_array_foreach(list, i, smp)
		{
			json_t *c = json_object_get(smp, "correct");
			bt_table_row(t);
			bt_table_int(t, ci, json_integer_value(json_object_get(smp, "idx")));
			bt_table_text(t, cid, str(smp, "id"));
			bt_table_text(t, cp, str(smp, "prediction"));
			bt_table_text(t, ct, str(smp, "target"));
			bt_table_text(t, cc,
			              json_is_integer(c) ? (json_integer_value(c) ? "yes" : "no")
			                                 : NULL);
			bt_table_text(t, ce, str(smp, "error"));
			annotated |= json_object_size(json_object_get(smp, "annotations")) > 0;
		}
		bt_cli_print_table(ctx, t, BT_FMT_TABLE);
		bt_table_free(t);
		if (!annotated)
			continue;
		title = bt_xasprintf("Annotations: %s", task);
		clean = bt_sanitize(title, 0);
		heading(ctx, clean);
		free(clean);
		free(title);
		json_array_foreach(list, i, smp)
		{
			json_t *val;
			const char *key;
			json_object_foreach(json_object_get(smp, "annotations"), key, val)
			{
				char *text =
				        json_is_string(val)
				                ? bt_xstrdup(json_string_value(val))
				                : json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
				char *line = bt_xasprintf("%s  %s: %s",
				                          str(smp, "id") ? str(smp, "id") : "?",
				                          key, text ? text : "");
				bt_cli_puts_safe(stdout, line, 0);
				putchar('\n');
				free(line);
				free(text);
			}
		}
	}
}

struct series_dump {
	enum bt_format fmt;
	struct bt_table *t;
	int cs, cv, cw;
	int first;
};

static int dump_point(const struct bt_series_row *r, void *payload)
{
	struct series_dump *d = payload;
	char v[40], w[40];

	if (r->value == r->value) {
		/* The shortest text that reads back as the same double. */
		snprintf(v, sizeof(v), "%.15g", r->value);
		if (strtod(v, NULL) != r->value)
			snprintf(v, sizeof(v), "%.17g", r->value);
	} else
		snprintf(v, sizeof(v), "%s",
		         d->fmt == BT_FMT_CSV || d->fmt == BT_FMT_TSV ? "" : "null");
	snprintf(w, sizeof(w), "%.6f", r->wall);
	switch (d->fmt) {
	case BT_FMT_CSV:
		printf("%lld,%s,%s\n", (long long)r->step, v, w);
		break;
	case BT_FMT_TSV:
		printf("%lld\t%s\t%s\n", (long long)r->step, v, w);
		break;
	case BT_FMT_JSONL:
	case BT_FMT_JSON:
		printf("%s{\"step\": %lld, \"value\": %s, \"wall_time\": %s}",
		       d->fmt == BT_FMT_JSON ? (d->first ? "\n  " : ",\n  ") : "",
		       (long long)r->step, v, w);
		if (d->fmt == BT_FMT_JSONL)
			putchar('\n');
		break;
	default:
		bt_table_row(d->t);
		bt_table_int(d->t, d->cs, r->step);
		bt_table_real(d->t, d->cv, r->value);
		bt_table_real(d->t, d->cw, r->wall);
		break;
	}
	d->first = 0;
	return ferror(stdout) ? bt_error_set(BT_EIO, "cannot write output") : 0;
}

/* Every point of one series, streamed: a curve may hold millions of points. */
static int show_series(struct bt_ctx *ctx, struct bt_store *s, int64_t id, const char *key,
                       enum bt_format fmt)
{
	struct series_dump d = {fmt, NULL, 0, 0, 0, 1};
	int rc;

	if (fmt == BT_FMT_CSV)
		printf("step,value,wall_time\n");
	else if (fmt == BT_FMT_TSV)
		printf("step\tvalue\twall_time\n");
	else if (fmt == BT_FMT_JSON)
		printf("[");
	else if (fmt == BT_FMT_TABLE) {
		d.t = bt_table_new();
		d.cs = bt_table_column(d.t, "step", NULL, BT_COL_INT, 0);
		d.cv = bt_table_column(d.t, "value", NULL, BT_COL_REAL, 0);
		d.cw = bt_table_column(d.t, "wall_time", "TIME", BT_COL_TIME, 0);
	}
	rc = bt_series_each(s, id, key, dump_point, &d);
	if (!rc && fmt == BT_FMT_JSON)
		printf("%s]\n", d.first ? "" : "\n");
	if (!rc && d.t)
		rc = bt_cli_print_table(ctx, d.t, BT_FMT_TABLE);
	bt_table_free(d.t);
	if (!rc && fflush(stdout) != 0)
		rc = bt_error_set(BT_EIO, "cannot write output");
	return rc;
}

static int show_log(struct bt_ctx *ctx, struct bt_store *s, int64_t id)
{
	struct bt_runlog l;
	int64_t omitted;
	int rc = bt_runlog_load(s, id, &l);

	if (rc)
		return rc;
	omitted = bt_runlog_omitted(&l);
	if (ctx->stdout_tty) {
		struct bt_buf b = BT_BUF_INIT;
		bt_log_render(l.head, l.head_len, &b);
		if (omitted)
			bt_buf_printf(&b, "%s[... %lld bytes omitted ...]\n",
			              b.len && b.ptr[b.len - 1] != '\n' ? "\n" : "",
			              (long long)omitted);
		bt_log_render(l.tail, l.tail_len, &b);
		bt_cli_puts_safe(stdout, bt_buf_cstr(&b), 1);
		bt_buf_free(&b);
	} else {
		fwrite(l.head, 1, l.head_len, stdout);
		if (omitted)
			printf("%s[... %lld bytes omitted ...]\n",
			       l.head_len && l.head[l.head_len - 1] != '\n' ? "\n" : "",
			       (long long)omitted);
		fwrite(l.tail, 1, l.tail_len, stdout);
	}
	bt_runlog_release(&l);
	return fflush(stdout) != 0 ? bt_error_set(BT_EIO, "cannot write output") : 0;
}

int cmd_show(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {
	        {"format", required_argument, NULL, 'f'},
	        {"patch", no_argument, NULL, 'p'},
	        {"samples", no_argument, NULL, 'S'},
	        {"series", required_argument, NULL, 'K'},
	        {"log", no_argument, NULL, 'L'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	enum bt_format fmt = BT_FMT_TABLE;
	struct bt_store *s;
	struct bt_run run;
	json_t *o = NULL;
	int64_t id;
	int c, rc, patch = 0, log = 0;
	unsigned flags = BT_RUN_JSON_PATCH;
	const char *series = NULL;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (bt_format_parse(optarg, &fmt))
				return bt_cli_usage_error(ctx, usage, "%s", bt_error_last());
			break;
		case 'p':
			patch = 1;
			break;
		case 'S':
			flags |= BT_RUN_JSON_SAMPLES;
			break;
		case 'K':
			series = optarg;
			break;
		case 'L':
			log = 1;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			return 0;
		default:
			return bt_cli_bad_option(ctx, usage, c, argv);
		}
	}
	if (argc - optind != 1)
		return bt_cli_usage_error(ctx, usage, "show needs exactly one run");
	if (series && fmt == BT_FMT_MARKDOWN)
		return bt_cli_usage_error(ctx, usage,
		                          "--series prints table, csv, tsv, json or jsonl");
	if (!series && fmt != BT_FMT_TABLE && fmt != BT_FMT_JSON)
		return bt_cli_usage_error(ctx, usage, "show prints a table or json");
	if ((series != NULL) + log + patch > 1)
		return bt_cli_usage_error(ctx, usage,
		                          "--series, --log and --patch exclude each other");
	rc = bt_cli_resolve(ctx, argv[optind], &id);
	if (rc)
		return rc;
	rc = bt_cli_store(ctx, &s);
	if (!rc)
		rc = bt_run_load(s, id, &run);
	if (rc)
		return bt_cli_fail(ctx, rc);
	if (series || log) {
		rc = series ? show_series(ctx, s, id, series, fmt) : show_log(ctx, s, id);
		bt_run_release(&run);
		return rc ? bt_cli_fail(ctx, rc) : 0;
	}
	if (patch) {
		if (run.git_patch) {
			/* A patch must stay byte-exact for git apply, unless a terminal would obey it. */
			if (ctx->stdout_tty)
				bt_cli_puts_safe(stdout, run.git_patch, 1);
			else
				fputs(run.git_patch, stdout);
		} else {
			bt_cli_info(ctx, "run %lld was made on a clean tree: no patch",
			            (long long)run.id);
		}
		bt_run_release(&run);
		return 0;
	}
	rc = bt_run_json(s, &run, flags, &o);
	bt_run_release(&run);
	if (rc)
		return bt_cli_fail(ctx, rc);
	if (fmt == BT_FMT_JSON) {
		rc = bt_json_write(stdout, o, 2);
	} else {
		print_header(ctx, o);
		bt_cli_print_metrics(ctx, json_object_get(o, "metrics"), 1);
		print_tasks(ctx, o);
		print_series(ctx, o);
		if (flags & BT_RUN_JSON_SAMPLES)
			print_samples(ctx, o);
	}
	json_decref(o);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}
