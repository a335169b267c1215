/*
 * cmd-tag.c - `benchtop tag RUN [TAG...]`: add, remove or list a run's tags.
 */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "run.h"

static const char usage[] =
        "usage: benchtop tag RUN TAG...\n"
        "       benchtop tag --remove RUN TAG...\n"
        "       benchtop tag RUN\n"
        "\n"
        "Add tags to a run, remove them with --remove, or list them.  A tag is any\n"
        "non-empty text without blanks; 'tag:NAME' then refers to the newest run\n"
        "carrying it.\n"
        "\n"
        "  -d, --remove   remove the tags instead of adding them\n";

static int valid_tag(const char *t)
{
	if (!*t)
		return 0;
	for (; *t; t++)
		if ((unsigned char)*t <= ' ' || *t == 0x7f)
			return 0;
	return 1;
}

int cmd_tag(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {{"remove", no_argument, NULL, 'd'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct bt_store *s;
	sqlite3_stmt *st;
	int64_t id;
	int c, i, rc, remove = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":dh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			remove = 1;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			return 0;
		default:
			return bt_cli_bad_option(ctx, usage, c, argv);
		}
	}
	if (argc - optind < 1)
		return bt_cli_usage_error(ctx, usage, "tag needs a run");
	if (remove && argc - optind < 2)
		return bt_cli_usage_error(ctx, usage, "--remove needs at least one tag");
	for (i = optind + 1; i < argc; i++)
		if (!valid_tag(argv[i]))
			return bt_cli_usage_error(ctx, usage,
			                          "'%s' is not a valid tag (empty, or contains "
			                          "blanks or control characters)",
			                          argv[i]);
	rc = bt_cli_resolve(ctx, argv[optind], &id);
	if (rc)
		return rc;
	rc = bt_cli_store(ctx, &s);
	if (rc)
		return bt_cli_fail(ctx, rc);
	if (argc - optind == 1) {
		rc = bt_store_prepare(s, &st, "SELECT tag FROM tags WHERE run_id = ? ORDER BY tag");
		if (rc)
			return bt_cli_fail(ctx, rc);
		sqlite3_bind_int64(st, 1, id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			bt_cli_puts_safe(stdout, (const char *)sqlite3_column_text(st, 0), 0);
			putchar('\n');
		}
		sqlite3_finalize(st);
		return 0;
	}
	rc = bt_store_begin(s);
	for (i = optind + 1; !rc && i < argc; i++)
		rc = remove ? bt_run_remove_tag(s, id, argv[i]) : bt_run_add_tag(s, id, argv[i]);
	if (!rc)
		rc = bt_store_commit(s);
	else
		bt_store_rollback(s);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}
