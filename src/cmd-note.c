/*
 * cmd-note.c - `benchtop note RUN TEXT`: set, replace or clear a run's note.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "run.h"
#include "util.h"

static const char usage[] =
        "usage: benchtop note RUN TEXT...\n"
        "       benchtop note RUN -        (read the note from standard input)\n"
        "       benchtop note --clear RUN\n"
        "\n"
        "Set a run's note, replacing any earlier one.  Words are joined with spaces.\n"
        "\n"
        "  -c, --clear   remove the note\n";

int cmd_note(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {{"clear", no_argument, NULL, 'c'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct bt_buf text = BT_BUF_INIT;
	struct bt_store *s;
	int64_t id;
	int c, i, rc, clear = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:ch", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			clear = 1;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			return 0;
		default:
			return bt_cli_bad_option(ctx, usage, c, argv);
		}
	}
	if (argc - optind < 1)
		return bt_cli_usage_error(ctx, usage, "note needs a run");
	if (clear && argc - optind > 1)
		return bt_cli_usage_error(ctx, usage, "--clear takes no text");
	if (!clear && argc - optind < 2)
		return bt_cli_usage_error(ctx, usage, "note needs text (or --clear)");
	if (argc - optind == 2 && strcmp(argv[optind + 1], "-") == 0) {
		char chunk[4096];
		size_t n;
		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			bt_buf_add(&text, chunk, n);
		while (text.len &&
		       (text.ptr[text.len - 1] == '\n' || text.ptr[text.len - 1] == '\r'))
			text.ptr[--text.len] = '\0';
	} else {
		for (i = optind + 1; i < argc; i++) {
			if (i > optind + 1)
				bt_buf_putc(&text, ' ');
			bt_buf_puts(&text, argv[i]);
		}
	}
	rc = bt_cli_resolve(ctx, argv[optind], &id);
	if (rc)
		goto out;
	rc = bt_cli_store(ctx, &s);
	if (!rc)
		rc = bt_run_set_note(s, id, clear ? NULL : bt_buf_cstr(&text));
	if (rc)
		rc = bt_cli_fail(ctx, rc);
out:
	bt_buf_free(&text);
	return rc;
}
