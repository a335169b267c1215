/*
 * cmd-init.c - `benchtop init`: create (or upgrade) the results database.
 */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "error.h"

static const char usage[] =
        "usage: benchtop init\n"
        "\n"
        "Create the results database if it does not exist, or upgrade an older one,\n"
        "and print where it is.  Commands that record runs create it themselves;\n"
        "init is for creating it ahead of time.\n";

int cmd_init(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct bt_store *s;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			bt_cli_print_usage(stdout, usage);
			return 0;
		}
		return bt_cli_bad_option(ctx, usage, c, argv);
	}
	if (optind < argc)
		return bt_cli_usage_error(ctx, usage, "init takes no arguments");
	rc = bt_cli_store(ctx, &s);
	if (rc)
		return bt_cli_fail(ctx, rc);
	if (!ctx->quiet)
		printf("benchtop database at %s (schema version %d)\n", bt_store_path(s),
		       bt_store_schema_version(s));
	return 0;
}
