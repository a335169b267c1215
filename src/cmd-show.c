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
#include "runref.h"
#include "util.h"

static const char usage[] =
        "usage: benchtop show [-f FORMAT] [--patch] [--samples] RUN\n"
        "\n"
        "Show a run: where and how it was made, params, tags, note, per-task metrics\n"
        "with confidence intervals, confusion matrices and logged series.\n"
        "\n"
        "  -f, --format FORMAT   table (the default, for people) or json\n"
        "      --patch           print only the run's dirty-tree patch (git apply can use it)\n"
        "      --samples         include every sample (with --format json)\n"
        "\n"
        "RUN is an id, @ (latest), @~N, tag:NAME, a uuid prefix or a git revision.\n";

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void field(struct bt_ctx *ctx, const char *label, const char *value)
{
	if (!value || !*value)
		return;
	if (ctx->color)
		printf("\033[1m%-10s\033[0m ", label);
	else
		printf("%-10s ", label);
	bt_cli_puts_safe(stdout, value, 0);
	putchar('\n');
}

static void heading(struct bt_ctx *ctx, const char *title)
{
	if (ctx->color)
		printf("\n\033[1;4m%s\033[0m\n", title);
	else
		printf("\n%s\n", title);
}

static char *command_text(json_t *cmd)
{
	struct bt_buf b = BT_BUF_INIT;
	size_t i;

	for (i = 0; i < json_array_size(cmd); i++) {
		const char *a = json_string_value(json_array_get(cmd, i));
		if (i)
			bt_buf_putc(&b, ' ');
		if (a && (!*a || strpbrk(a, " \t'\"\\$`*?><|&;()")))
			bt_buf_printf(&b, "'%s'", a);
		else
			bt_buf_puts(&b, a ? a : "");
	}
	return b.len ? bt_buf_detach(&b) : NULL;
}

static void print_header(struct bt_ctx *ctx, json_t *o)
{
	struct bt_buf b = BT_BUF_INIT;
	const char *key;
	json_t *v;
	char tmp[64];
	char *cmd;
	size_t i;

	if (ctx->color)
		printf("\033[1mrun %lld\033[0m  ",
		       (long long)json_integer_value(json_object_get(o, "id")));
	else
		printf("run %lld  ", (long long)json_integer_value(json_object_get(o, "id")));
	bt_cli_puts_safe(stdout, str(o, "status"), 0);
	printf("  %s\n", str(o, "uuid"));
	field(ctx, "name", str(o, "name"));
	field(ctx, "kind", str(o, "kind"));
	field(ctx, "reason", str(o, "reason"));
	if (str(o, "suite")) {
		bt_buf_printf(&b, "%s", str(o, "suite"));
		if (str(o, "suite_version"))
			bt_buf_printf(&b, " %s", str(o, "suite_version"));
		if (str(o, "suite_path"))
			bt_buf_printf(&b, " (%s)", str(o, "suite_path"));
		if (str(o, "suite_hash"))
			bt_buf_printf(&b, ", data sha256 %.12s", str(o, "suite_hash"));
		field(ctx, "suite", b.ptr);
		bt_buf_reset(&b);
	}
	if (str(o, "model")) {
		bt_buf_printf(&b, "%s", str(o, "model"));
		if (str(o, "model_version"))
			bt_buf_printf(&b, " %s", str(o, "model_version"));
		if (str(o, "plugin_sha256"))
			bt_buf_printf(&b, ", plugin sha256 %.12s", str(o, "plugin_sha256"));
		field(ctx, "model", b.ptr);
		bt_buf_reset(&b);
	}
	cmd = command_text(json_object_get(o, "command"));
	field(ctx, "command", cmd);
	free(cmd);
	field(ctx, "cwd", str(o, "cwd"));
	if (str(o, "git_sha")) {
		bt_buf_printf(&b, "%s", str(o, "git_sha"));
		bt_buf_printf(&b, " (%s", str(o, "git_branch") ? str(o, "git_branch") : "detached");
		if (json_is_true(json_object_get(o, "git_dirty")))
			bt_buf_printf(&b, ", dirty: patch sha256 %.12s; see --patch",
			              str(o, "git_patch_sha256") ? str(o, "git_patch_sha256")
			                                         : "?");
		bt_buf_putc(&b, ')');
		field(ctx, "commit", b.ptr);
		bt_buf_reset(&b);
	}
	bt_buf_printf(&b, "%s, user %s, pid %lld", str(o, "host") ? str(o, "host") : "?",
	              str(o, "user") ? str(o, "user") : "?",
	              (long long)json_integer_value(json_object_get(o, "pid")));
	field(ctx, "host", b.ptr);
	bt_buf_reset(&b);
	bt_buf_puts(&b, str(o, "started_at") ? str(o, "started_at") : "?");
	if (json_is_number(json_object_get(o, "duration"))) {
		bt_format_duration(tmp, sizeof(tmp),
		                   json_number_value(json_object_get(o, "duration")));
		bt_buf_printf(&b, ", took %s", tmp);
	}
	if (json_is_object(json_object_get(o, "progress"))) {
		json_t *p = json_object_get(o, "progress");
		bt_buf_printf(&b, ", %lld/%lld examples done",
		              (long long)json_integer_value(json_object_get(p, "done")),
		              (long long)json_integer_value(json_object_get(p, "total")));
	}
	field(ctx, "started", b.ptr);
	bt_buf_reset(&b);
	if (json_is_integer(json_object_get(o, "seed"))) {
		bt_buf_printf(&b, "%lld",
		              (long long)json_integer_value(json_object_get(o, "seed")));
		field(ctx, "seed", b.ptr);
		bt_buf_reset(&b);
	}
	if (json_is_integer(json_object_get(o, "exit_status"))) {
		bt_buf_printf(&b, "%lld",
		              (long long)json_integer_value(json_object_get(o, "exit_status")));
		field(ctx, "exit", b.ptr);
		bt_buf_reset(&b);
	}
	json_object_foreach(json_object_get(o, "params"), key, v)
	{
		if (b.len)
			bt_buf_putc(&b, ' ');
		bt_buf_printf(&b, "%s=%s", key, json_string_value(v));
	}
	field(ctx, "params", b.ptr);
	bt_buf_reset(&b);
	v = json_object_get(o, "tags");
	for (i = 0; i < json_array_size(v); i++)
		bt_buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(json_array_get(v, i)));
	field(ctx, "tags", b.ptr);
	bt_buf_free(&b);
	if (str(o, "note")) {
		if (ctx->color)
			printf("\033[1m%-10s\033[0m ", "note");
		else
			printf("%-10s ", "note");
		bt_cli_puts_safe(stdout, str(o, "note"), 1);
		putchar('\n');
	}
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

int cmd_show(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {
	        {"format", required_argument, NULL, 'f'},
	        {"patch", no_argument, NULL, 'p'},
	        {"samples", no_argument, NULL, 'S'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	enum bt_format fmt = BT_FMT_TABLE;
	struct bt_store *s;
	struct bt_run run;
	json_t *o = NULL;
	int64_t id;
	int c, rc, patch = 0;
	unsigned flags = BT_RUN_JSON_PATCH;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (bt_format_parse(optarg, &fmt))
				return bt_cli_usage_error(ctx, usage, "%s", bt_error_last());
			if (fmt != BT_FMT_TABLE && fmt != BT_FMT_JSON)
				return bt_cli_usage_error(ctx, usage,
				                          "show prints a table or json, not '%s'",
				                          optarg);
			break;
		case 'p':
			patch = 1;
			break;
		case 'S':
			flags |= BT_RUN_JSON_SAMPLES;
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
	rc = bt_cli_resolve(ctx, argv[optind], &id);
	if (rc)
		return rc;
	rc = bt_cli_store(ctx, &s);
	if (!rc)
		rc = bt_run_load(s, id, &run);
	if (rc)
		return bt_cli_fail(ctx, rc);
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
	}
	json_decref(o);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}
