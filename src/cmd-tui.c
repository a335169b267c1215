/*
 * cmd-tui.c - `benchtop tui [FILTER...]`: open the dashboard (src/tui/).
 *
 * Checks what can be checked before the screen is taken over: that both
 * ends are terminals (CI and pipes have none), that the filter parses
 * (printed with a caret, as `ls` does) and that the database opens.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "error.h"
#include "tui/tui.h"
#include "util.h"

static const char usage[] =
        "usage: benchtop tui [FILTER...]\n"
        "\n"
        "Open the dashboard on the runs that match the filter (all runs without one):\n"
        "browse, filter, sort, mark and compare runs, read their samples and chart their\n"
        "metrics, live as evaluations write.  Press ? inside for the keys of each view;\n"
        "see benchtop-tui(1).\n"
        "\n"
        "The filter language is the one of 'benchtop ls'.  Standard input and output must\n"
        "be terminals; elsewhere use 'benchtop ls'.\n";

int cmd_tui(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct bt_filter *filter = NULL;
	struct bt_store *s;
	char *text;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			bt_cli_print_usage(stdout, usage);
			return 0;
		default:
			return bt_cli_bad_option(ctx, usage, c, argv);
		}
	}
	if (!ctx->stdin_tty || !ctx->stdout_tty) {
		bt_error_set(BT_EUSAGE, "the dashboard needs a terminal on standard input and "
		                        "output; use 'benchtop ls' to list runs");
		return bt_cli_fail(ctx, BT_EUSAGE);
	}
	rc = bt_cli_filter(ctx, argc - optind, argv + optind, &filter);
	if (rc)
		return rc;
	bt_filter_free(filter);
	rc = bt_cli_store(ctx, &s);
	if (rc)
		return bt_cli_fail(ctx, rc);
	text = bt_filter_join(argc - optind, argv + optind);
	rc = bt_tui_main(ctx, s, text);
	free(text);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}
