/*
 * cmd-suite.c - `benchtop suite SUBCOMMAND`: routes to the suite
 * subcommands, each in its own file (cmd-suite-fetch.c: fetch, hash).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "util.h"

static const char usage[] = "usage: benchtop suite fetch [OPTIONS] SUITE...\n"
                            "       benchtop suite hash [OPTIONS] FILE|URL...\n"
                            "\n"
                            "Work with benchmark suites (benchtop-suite(5)).\n"
                            "\n"
                            "  fetch   download the data files a suite names by URL into the\n"
                            "          cache and verify them (benchtop-fetch(7))\n"
                            "  hash    print the sha256 to put in a suite for a file or URL\n"
                            "\n"
                            "Run 'benchtop suite SUBCOMMAND --help' for a subcommand's options.\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, struct bt_ctx *ctx);
} subcommands[] = {
        {"fetch", cmd_suite_fetch},
        {"hash", cmd_suite_hash},
};

int cmd_suite(int argc, char **argv, struct bt_ctx *ctx)
{
	const char *names[BT_ARRAY_SIZE(subcommands)];
	const char *s;
	size_t i;

	if (argc < 2)
		return bt_cli_usage_error(ctx, usage, "'suite' needs a subcommand");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		bt_cli_print_usage(stdout, usage);
		return 0;
	}
	for (i = 0; i < BT_ARRAY_SIZE(subcommands); i++) {
		names[i] = subcommands[i].name;
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].fn(argc - 1, argv + 1, ctx);
	}
	s = bt_suggest(argv[1], names, BT_ARRAY_SIZE(names));
	if (s)
		return bt_cli_usage_error(ctx, usage,
		                          "'%s' is not a suite subcommand (did you mean '%s'?)",
		                          argv[1], s);
	return bt_cli_usage_error(ctx, usage, "'%s' is not a suite subcommand", argv[1]);
}
