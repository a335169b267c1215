/*
 * cmd-rm.c - `benchtop rm RUN...`: delete runs and everything they hold.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "error.h"
#include "run.h"
#include "util.h"

static const char usage[] =
        "usage: benchtop rm [-f] RUN...\n"
        "\n"
        "Delete runs with their params, tags, metrics, series and samples.  All\n"
        "references are resolved before anything is deleted.\n"
        "\n"
        "  -f, --force   also delete runs that are still running\n";

int cmd_rm(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct bt_store *s;
	int64_t *ids;
	int c, i, n, rc = 0, force = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = 1;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			return 0;
		default:
			return bt_cli_bad_option(ctx, usage, c, argv);
		}
	}
	n = argc - optind;
	if (n < 1)
		return bt_cli_usage_error(ctx, usage, "rm needs at least one run");
	ids = bt_xcalloc((size_t)n, sizeof(*ids));
	/* Resolve everything first: "@~1" must not shift under our own deletions. */
	for (i = 0; i < n; i++) {
		rc = bt_cli_resolve(ctx, argv[optind + i], &ids[i]);
		if (rc)
			goto out;
	}
	rc = bt_cli_store(ctx, &s);
	if (rc) {
		rc = bt_cli_fail(ctx, rc);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct bt_run run;
		if (bt_run_load(s, ids[i], &run) != 0)
			continue; /* named twice */
		if (run.status == BT_RUN_RUNNING && !bt_run_is_stale(&run, bt_now()) && !force) {
			bt_error_set(BT_EUSAGE,
			             "run %lld is still running (pid %lld on %s); use --force to "
			             "delete it anyway",
			             (long long)run.id, (long long)run.pid,
			             run.host ? run.host : "?");
			bt_run_release(&run);
			rc = bt_cli_fail(ctx, BT_EUSAGE);
			goto out;
		}
		bt_run_release(&run);
		rc = bt_run_delete(s, ids[i]);
		if (rc) {
			rc = bt_cli_fail(ctx, rc);
			goto out;
		}
		if (!ctx->quiet)
			printf("deleted run %lld\n", (long long)ids[i]);
	}
out:
	free(ids);
	return rc;
}
