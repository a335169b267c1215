/*
 * cmd-suite.c - `benchtop suite SUBCOMMAND`: work with benchmark suite
 * files without running a model.  Subcommands are rows of the table
 * below, one function each (like the top-level command table); fetch and
 * hash live in cmd-suite-fetch.c.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "suite.h"
#include "util.h"

struct suite_sub {
	const char *name;
	int (*fn)(int argc, char **argv, struct bt_ctx *ctx);
	const char *summary;
};

static int suite_check(int argc, char **argv, struct bt_ctx *ctx);

static const struct suite_sub subs[] = {
        {"check", suite_check, "Validate suites and their data; list their tasks"},
        {"fetch", cmd_suite_fetch, "Download the data a suite names by URL into the cache"},
        {"hash", cmd_suite_hash, "Print the sha256 to put in a suite for a file or URL"},
        {NULL, NULL, NULL},
};

static const char usage[] = "usage: benchtop suite check [-f FORMAT] [--no-header] FILE...\n"
                            "       benchtop suite fetch [OPTIONS] SUITE...\n"
                            "       benchtop suite hash [OPTIONS] FILE|URL...\n"
                            "\n"
                            "Work with benchmark suite files (benchtop-suite(5)).\n"
                            "\n"
                            "Subcommands:\n";

static void print_help(FILE *f)
{
	const struct suite_sub *s;

	fputs(usage, f);
	for (s = subs; s->name; s++)
		fprintf(f, "  %-8s %s\n", s->name, s->summary);
	fputs("\nRun 'benchtop suite SUBCOMMAND --help' for its options; see benchtop-suite(1).\n",
	      f);
}

static const char check_usage[] =
        "usage: benchtop suite check [-f FORMAT] [--no-header] FILE...\n"
        "\n"
        "Validate each suite file and read all of its data, exactly as 'benchtop run'\n"
        "would, without running a model.  Prints each task's type, the sizes of its\n"
        "test and train splits, its number of labels and features, and its metrics.\n"
        "Exits 2 at the first problem, naming its file, line and column.\n"
        "\n"
        "  -f, --format FORMAT   table, json, jsonl, csv, tsv or markdown (default: table)\n"
        "      --no-header       omit the header row\n"
        "  -h, --help            print this help\n";

static int suite_check(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {
	        {"format", required_argument, NULL, 'f'},
	        {"no-header", no_argument, NULL, 'H'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	enum bt_format fmt = BT_FMT_TABLE;
	struct bt_output_opts o = {0};
	struct bt_table *t = NULL;
	struct bt_suite *s = NULL;
	int c, rc = 0, c_file, c_suite, c_hash, c_task, c_type, c_test, c_train, c_labels,
	       c_features, c_metrics;
	size_t ntasks = 0, nsuites = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (bt_format_parse(optarg, &fmt))
				return bt_cli_usage_error(ctx, check_usage, "%s", bt_error_last());
			break;
		case 'H':
			o.no_header = 1;
			break;
		case 'h':
			bt_cli_print_usage(stdout, check_usage);
			return 0;
		default:
			return bt_cli_bad_option(ctx, check_usage, c, argv);
		}
	}
	if (optind >= argc)
		return bt_cli_usage_error(ctx, check_usage, "suite check needs a suite file");

	t = bt_table_new();
	c_file = bt_table_column(t, "file", NULL, BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, c_file);
	c_suite = bt_table_column(t, "suite", NULL, BT_COL_TEXT, 3);
	c_hash = bt_table_column(t, "suite_hash", NULL, BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, c_hash);
	c_task = bt_table_column(t, "task", NULL, BT_COL_TEXT, 0);
	c_type = bt_table_column(t, "type", NULL, BT_COL_TEXT, 5);
	c_test = bt_table_column(t, "test", NULL, BT_COL_INT, 6);
	c_train = bt_table_column(t, "train", NULL, BT_COL_INT, 6);
	c_labels = bt_table_column(t, "labels", NULL, BT_COL_INT, 4);
	c_features = bt_table_column(t, "features", NULL, BT_COL_INT, 2);
	c_metrics = bt_table_column(t, "metrics", NULL, BT_COL_TEXT, 1);

	for (; optind < argc; optind++) {
		char hash[65];
		size_t i;

		rc = bt_suite_load(&s, argv[optind]);
		if (rc)
			goto out;
		rc = bt_suite_hash(s, hash);
		if (rc)
			goto out;
		for (i = 0; i < s->ntasks; i++) {
			const struct bt_task_spec *spec = &s->tasks[i];
			struct bt_task task;
			struct bt_buf m = BT_BUF_INIT;
			size_t k;

			rc = bt_task_prepare(&task, s, i, NULL);
			if (rc)
				goto out;
			for (k = 0; k < spec->n_metrics; k++)
				bt_buf_printf(&m, "%s%s", k ? "," : "", spec->metrics[k]);
			bt_table_row(t);
			bt_table_text(t, c_file, s->path);
			bt_table_text(t, c_suite, s->name);
			bt_table_text(t, c_hash, hash);
			bt_table_text(t, c_task, spec->name);
			bt_table_text(t, c_type, bt_task_type_name(spec->type));
			bt_table_int(t, c_test, (int64_t)task.test_split.n);
			if (spec->train.path || spec->train.url)
				bt_table_int(t, c_train, (int64_t)task.n_train);
			if (spec->type == BENCHTOP_TASK_CLASSIFICATION)
				bt_table_int(t, c_labels, (int64_t)task.n_labels);
			bt_table_int(t, c_features, (int64_t)task.info.n_features);
			bt_table_text(t, c_metrics, m.ptr);
			bt_buf_free(&m);
			bt_task_release(&task);
			ntasks++;
		}
		bt_suite_free(s);
		s = NULL;
		nsuites++;
	}
	o.width = ctx->stdout_tty ? ctx->width : 0;
	o.color = ctx->color;
	rc = bt_table_write(t, stdout, fmt, &o);
	if (!rc && !ctx->quiet && fmt == BT_FMT_TABLE)
		fprintf(stderr, "ok: %zu suite%s, %zu task%s\n", nsuites, nsuites == 1 ? "" : "s",
		        ntasks, ntasks == 1 ? "" : "s");
out:
	bt_suite_free(s);
	bt_table_free(t);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}

int cmd_suite(int argc, char **argv, struct bt_ctx *ctx)
{
	const struct suite_sub *s;
	const char *names[16], *sug;
	size_t n = 0;

	if (argc < 2)
		return bt_cli_usage_error(ctx, usage, "suite needs a subcommand");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_help(stdout);
		return 0;
	}
	for (s = subs; s->name; s++) {
		if (strcmp(s->name, argv[1]) == 0)
			return s->fn(argc - 1, argv + 1, ctx);
		names[n++] = s->name;
	}
	sug = bt_suggest(argv[1], names, n);
	if (sug)
		return bt_cli_usage_error(ctx, usage,
		                          "'%s' is not a suite subcommand (did you mean '%s'?)",
		                          argv[1], sug);
	return bt_cli_usage_error(ctx, usage, "'%s' is not a suite subcommand", argv[1]);
}
