/*
 * cmd-plugin.c - `benchtop plugin info|check|ls`: what a model plugin is,
 * whether it keeps the ABI's promises, and which plugins can be found.
 *
 * The work is in plugin-host.c and plugin-check.c; this file parses the
 * arguments and prints.  Everything a plugin said (names, descriptions,
 * messages) is sanitised before it reaches the terminal.
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "plugin-check.h"
#include "plugin-host.h"
#include "util.h"

static const char usage[] =
        "usage: benchtop plugin info [-f FORMAT] PLUGIN\n"
        "       benchtop plugin check [-p KEY=VALUE]... [-t TYPE]... [--seed N]\n"
        "                             [--threads N] PLUGIN\n"
        "       benchtop plugin ls [-f FORMAT]\n"
        "\n"
        "Inspect and test model plugins.  PLUGIN is a path (anything with a '/' or\n"
        "ending in .so) or a name looked up as NAME.so or benchtop-NAME.so in each\n"
        "directory of $BENCHTOP_PLUGIN_PATH, then in the installed plugin directory.\n"
        "\n"
        "  info     print the plugin's descriptor, path and sha256\n"
        "  check    exercise the plugin on generated examples of each task type it\n"
        "           claims: create, fit, predict (every prediction validated), the\n"
        "           same answers twice, from a fresh instance, for batch sizes 1, 7\n"
        "           and all, and from several threads at once when it claims thread\n"
        "           safety; exit 0 when every check passes, 1 when one fails\n"
        "  ls       list the plugins on the search path\n"
        "\n"
        "  -f, --format FORMAT   info: text or json; ls: table, json, jsonl, csv, tsv\n"
        "                        or markdown (default: text / table)\n"
        "  -p, --param KEY=VALUE a param for the plugin's create (repeatable)\n"
        "  -t, --task TYPE       check only this task type (repeatable): classification,\n"
        "                        regression, generation, multiple_choice or retrieval\n"
        "      --seed N          seed for the generated data (default 0)\n"
        "      --threads N       threads sharing one instance (default 4)\n"
        "\n"
        "See benchtop-plugin(1), and benchtop-plugin(3) for writing a plugin.\n";

static char *tasks_string(uint32_t tasks)
{
	struct bt_buf b = BT_BUF_INIT;

	for (int t = BENCHTOP_TASK_CLASSIFICATION; t <= BENCHTOP_TASK_RETRIEVAL; t++)
		if (tasks & BENCHTOP_TASK_BIT(t))
			bt_buf_printf(&b, "%s%s", b.len ? "," : "",
			              bt_check_task_name((enum benchtop_task_type)t));
	return bt_buf_detach(&b);
}

static void log_line(void *payload, enum benchtop_log_level level, const char *plugin,
                     const char *message)
{
	static const char *const names[] = {"debug", "info", "warning", "error"};
	struct bt_ctx *ctx = payload;

	if (level < BENCHTOP_LOG_WARN && !ctx->verbose)
		return;
	if (ctx->quiet && level < BENCHTOP_LOG_ERROR)
		return;
	fprintf(stderr, "benchtop: %s: ", names[level <= BENCHTOP_LOG_ERROR ? level : 3]);
	bt_cli_puts_safe(stderr, plugin, 0);
	fputs(": ", stderr);
	bt_cli_puts_safe(stderr, message, 0);
	fputc('\n', stderr);
}

static int parse_opts(int argc, char **argv, struct bt_ctx *ctx, enum bt_format *fmt, int *json,
                      struct bt_params *params, uint32_t *tasks, uint64_t *seed, int *threads)
{
	static const struct option opts[] = {
	        {"format", required_argument, NULL, 'f'},
	        {"param", required_argument, NULL, 'p'},
	        {"task", required_argument, NULL, 't'},
	        {"seed", required_argument, NULL, 'S'},
	        {"threads", required_argument, NULL, 'T'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *sub = argv[0];
	int64_t v;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:p:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(sub, "info") == 0) {
				if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
					return bt_cli_usage_error(
					        ctx, usage, "info prints text or json, not '%s'",
					        optarg);
				*json = strcmp(optarg, "json") == 0;
			} else if (bt_format_parse(optarg, fmt)) {
				return bt_cli_usage_error(ctx, usage, "%s", bt_error_last());
			}
			break;
		case 'p': {
			char *k, *val;
			if (bt_cli_split_kv(optarg, &k, &val))
				return bt_cli_usage_error(ctx, usage, "-p: %s", bt_error_last());
			bt_params_add(params, k, val);
			free(k);
			free(val);
			break;
		}
		case 't': {
			int t = bt_check_task_parse(optarg);
			if (t < 0) {
				const char *names[5], *s;
				for (int i = 0; i < 5; i++)
					names[i] = bt_check_task_name(
					        (enum benchtop_task_type)(i + 1));
				s = bt_suggest(optarg, names, 5);
				return bt_cli_usage_error(
				        ctx, usage, "unknown task type '%s'%s%s%s", optarg,
				        s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
			}
			*tasks |= BENCHTOP_TASK_BIT(t);
			break;
		}
		case 'S':
			if (bt_parse_int64(optarg, &v) || v < 0)
				return bt_cli_usage_error(
				        ctx, usage, "--seed needs a number, not '%s'", optarg);
			*seed = (uint64_t)v;
			break;
		case 'T':
			if (bt_parse_int64(optarg, &v) || v < 1 || v > 256)
				return bt_cli_usage_error(
				        ctx, usage,
				        "--threads needs a count from 1 to 256, not '%s'", optarg);
			*threads = (int)v;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			return -1;
		default:
			return bt_cli_bad_option(ctx, usage, c, argv);
		}
	}
	return 0;
}

static int plugin_info(struct bt_ctx *ctx, const char *name, int json)
{
	const struct benchtop_plugin *d;
	struct bt_plugin *p;
	char *tasks, *flags;
	int rc = bt_plugin_load(&p, name);

	if (rc)
		return bt_cli_fail(ctx, rc);
	d = bt_plugin_desc(p);
	tasks = tasks_string(d->tasks);
	flags = bt_plugin_flags_string(d->flags);
	if (json) {
		json_t *o = json_object(), *fl = json_array(), *ts = json_array();
		char abi[32];
		snprintf(abi, sizeof(abi), "%u.%u", (unsigned)d->abi_major, (unsigned)d->abi_minor);
		for (char *s = strtok(flags, ","); s; s = strtok(NULL, ","))
			if (strcmp(s, "none") != 0)
				json_array_append_new(fl, json_string(s));
		for (char *s = strtok(tasks, ","); s; s = strtok(NULL, ","))
			json_array_append_new(ts, json_string(s));
		json_object_set_new(o, "name", json_string(d->name));
		json_object_set_new(o, "version",
		                    d->version ? json_string(d->version) : json_null());
		json_object_set_new(o, "description",
		                    d->description ? json_string(d->description) : json_null());
		json_object_set_new(o, "abi", json_string(abi));
		json_object_set_new(o, "flags", fl);
		json_object_set_new(o, "tasks", ts);
		json_object_set_new(o, "preferred_batch", json_integer(d->preferred_batch));
		json_object_set_new(o, "path", json_string(bt_plugin_path(p)));
		json_object_set_new(o, "sha256", json_string(bt_plugin_sha256(p)));
		rc = bt_json_write(stdout, o, 2);
		json_decref(o);
	} else {
		printf("name:        ");
		bt_cli_puts_safe(stdout, d->name, 0);
		printf("\nversion:     ");
		bt_cli_puts_safe(stdout, d->version ? d->version : "", 0);
		printf("\ndescription: ");
		bt_cli_puts_safe(stdout, d->description ? d->description : "", 0);
		printf("\nabi:         %u.%u\n", (unsigned)d->abi_major, (unsigned)d->abi_minor);
		printf("flags:       %s\n", flags);
		printf("tasks:       %s\n", tasks);
		if (d->flags & BENCHTOP_PLUGIN_BATCH)
			printf("batch:       %u\n", (unsigned)d->preferred_batch);
		printf("path:        ");
		bt_cli_puts_safe(stdout, bt_plugin_path(p), 0);
		printf("\nsha256:      %s\n", bt_plugin_sha256(p));
		if (fflush(stdout) != 0)
			rc = bt_error_set(BT_EIO, "cannot write output");
	}
	free(tasks);
	free(flags);
	bt_plugin_unload(p);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}

struct check_print {
	struct bt_ctx *ctx;
	size_t total;
};

static void print_item(const struct bt_check_item *it, void *payload)
{
	struct check_print *cp = payload;
	struct bt_ctx *ctx = cp->ctx;
	const char *word = it->status == BT_CHECK_OK     ? "ok"
	                   : it->status == BT_CHECK_FAIL ? "FAIL"
	                                                 : "skip";
	const char *color = it->status == BT_CHECK_OK     ? "\033[32m"
	                    : it->status == BT_CHECK_FAIL ? "\033[1;31m"
	                                                  : "\033[33m";

	cp->total += it->status != BT_CHECK_SKIP;
	if (ctx->color)
		printf("%s%-4s\033[0m ", color, word);
	else
		printf("%-4s ", word);
	printf("%s/%s: ", bt_check_task_name(it->task), it->check);
	bt_cli_puts_safe(stdout, it->detail, 0);
	putchar('\n');
	fflush(stdout);
}

static int plugin_check(struct bt_ctx *ctx, const char *name, const struct bt_params *params,
                        uint32_t tasks, uint64_t seed, int threads)
{
	struct bt_host_config cfg = {0};
	struct bt_check_opts o = {0};
	struct check_print cp = {ctx, 0};
	struct bt_plugin *p;
	size_t failed = 0;
	int rc = bt_plugin_load(&p, name);

	if (rc)
		return bt_cli_fail(ctx, rc);
	cfg.log = log_line;
	cfg.log_payload = ctx;
	o.params = params;
	o.tasks = tasks;
	o.seed = seed;
	o.threads = threads;
	o.cfg = &cfg;
	rc = bt_plugin_check(p, &o, print_item, &cp, &failed);
	if (rc) {
		bt_plugin_unload(p);
		return bt_cli_fail(ctx, rc);
	}
	if (failed)
		printf("plugin '%s': %zu of %zu checks failed\n", bt_plugin_desc(p)->name, failed,
		       cp.total);
	else
		printf("plugin '%s': all %zu checks passed\n", bt_plugin_desc(p)->name, cp.total);
	bt_plugin_unload(p);
	return failed ? BT_EXIT_FAIL : 0;
}

static int plugin_ls(struct bt_ctx *ctx, enum bt_format fmt)
{
	struct bt_plugin_listing *l;
	struct bt_table *t;
	size_t n;
	int rc, c_name, c_version, c_abi, c_tasks, c_flags, c_desc, c_status, c_path, c_error;

	rc = bt_plugin_list(&l, &n);
	if (rc)
		return bt_cli_fail(ctx, rc);
	t = bt_table_new();
	c_name = bt_table_column(t, "name", NULL, BT_COL_TEXT, 0);
	c_version = bt_table_column(t, "version", NULL, BT_COL_TEXT, 4);
	c_abi = bt_table_column(t, "abi", "ABI", BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, c_abi);
	c_tasks = bt_table_column(t, "tasks", NULL, BT_COL_TEXT, 5);
	c_flags = bt_table_column(t, "flags", NULL, BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, c_flags);
	c_status = bt_table_column(t, "status", NULL, BT_COL_TEXT, 6);
	c_desc = bt_table_column(t, "description", NULL, BT_COL_TEXT, 3);
	c_path = bt_table_column(t, "path", NULL, BT_COL_TEXT, 2);
	c_error = bt_table_column(t, "error", NULL, BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, c_error);
	for (size_t i = 0; i < n; i++) {
		char abi[32];
		bt_table_row(t);
		bt_table_text(t, c_name, l[i].name);
		bt_table_text(t, c_path, l[i].path);
		bt_table_text(t, c_status,
		              l[i].error      ? "broken"
		              : l[i].shadowed ? "shadowed"
		                              : "ok");
		if (l[i].error) {
			char *e = bt_xasprintf("error: %s", l[i].error);
			bt_table_text(t, c_error, l[i].error);
			bt_table_text(t, c_desc, e);
			free(e);
			continue;
		}
		char *tasks = tasks_string(l[i].tasks), *flags = bt_plugin_flags_string(l[i].flags);
		snprintf(abi, sizeof(abi), "%u.%u", (unsigned)l[i].abi_major,
		         (unsigned)l[i].abi_minor);
		bt_table_text(t, c_version, l[i].version);
		bt_table_text(t, c_abi, abi);
		bt_table_text(t, c_tasks, tasks);
		bt_table_text(t, c_flags, flags);
		bt_table_text(t, c_desc, l[i].description);
		free(tasks);
		free(flags);
	}
	if (fmt == BT_FMT_TABLE && n == 0) {
		char **dirs = bt_plugin_search_path();
		if (!ctx->quiet) {
			fprintf(stderr, "no plugins found in:");
			for (size_t i = 0; dirs[i]; i++) {
				fputc(' ', stderr);
				bt_cli_puts_safe(stderr, dirs[i], 0);
			}
			fputc('\n', stderr);
		}
		bt_plugin_search_path_free(dirs);
	} else {
		rc = bt_cli_print_table(ctx, t, fmt);
	}
	bt_table_free(t);
	bt_plugin_list_free(l, n);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}

int cmd_plugin(int argc, char **argv, struct bt_ctx *ctx)
{
	struct bt_params params = {0};
	enum bt_format fmt = BT_FMT_TABLE;
	uint32_t tasks = 0;
	uint64_t seed = 0;
	int json = 0, threads = 0, rc;
	const char *sub;

	if (argc < 2) {
		return bt_cli_usage_error(ctx, usage,
		                          "plugin needs a subcommand: info, check or ls");
	}
	sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
		bt_cli_print_usage(stdout, usage);
		return 0;
	}
	if (strcmp(sub, "info") && strcmp(sub, "check") && strcmp(sub, "ls")) {
		static const char *const subs[] = {"info", "check", "ls"};
		const char *s = bt_suggest(sub, subs, 3);
		return bt_cli_usage_error(ctx, usage, "unknown subcommand 'plugin %s'%s%s%s", sub,
		                          s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
	}
	rc = parse_opts(argc - 1, argv + 1, ctx, &fmt, &json, &params, &tasks, &seed, &threads);
	if (rc) {
		bt_params_release(&params);
		return rc < 0 ? 0 : rc;
	}
	argc -= 1 + optind;
	argv += 1 + optind;
	if (strcmp(sub, "ls") == 0) {
		if (argc > 0 || params.n || tasks)
			rc = bt_cli_usage_error(ctx, usage, "plugin ls takes only -f");
		else
			rc = plugin_ls(ctx, fmt);
	} else if (argc != 1) {
		rc = bt_cli_usage_error(ctx, usage, "plugin %s needs exactly one PLUGIN", sub);
	} else if (strcmp(sub, "info") == 0) {
		rc = params.n || tasks ? bt_cli_usage_error(ctx, usage, "plugin info takes only -f")
		                       : plugin_info(ctx, argv[0], json);
	} else {
		rc = plugin_check(ctx, argv[0], &params, tasks, seed, threads);
	}
	bt_params_release(&params);
	return rc;
}
