/*
 * cmd-gc.c - `benchtop gc`: tidy the results store.  --stale marks runs
 * whose process is gone as interrupted; --vacuum compacts the file.
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
        "usage: benchtop gc [--stale] [--vacuum] [-n]\n"
        "\n"
        "Tidy the results database.\n"
        "\n"
        "  --stale       mark running runs whose process is gone (same host, dead\n"
        "                pid) or whose heartbeat is older than 5 minutes as interrupted\n"
        "  --vacuum      rebuild the database file to reclaim free space\n"
        "  -n, --dry-run only say what would be done\n"
        "\n"
        "With no option, --stale is implied.\n";

struct stale {
	int64_t *ids;
	char **why;
	size_t n, cap;
	double now;
};

static int collect(const struct bt_run *r, void *payload)
{
	struct stale *st = payload;
	char *host;
	int gone;

	if (!bt_run_is_stale(r, st->now))
		return 0;
	bt_grow(&st->ids, &st->cap, st->n + 1, sizeof(*st->ids));
	st->why = bt_xrealloc(st->why, st->cap * sizeof(*st->why));
	host = bt_hostname();
	gone = r->host && strcmp(r->host, host) == 0;
	free(host);
	st->ids[st->n] = r->id;
	st->why[st->n] =
	        gone ? bt_xasprintf("stale: process %lld on %s is gone", (long long)r->pid, r->host)
	             : bt_xasprintf("stale: no heartbeat for over %d minutes",
	                            BT_RUN_STALE_SECONDS / 60);
	st->n++;
	return 0;
}

int cmd_gc(int argc, char **argv, struct bt_ctx *ctx)
{
	enum { OPT_STALE = 256, OPT_VACUUM };
	static const struct option opts[] = {
	        {"stale", no_argument, NULL, OPT_STALE},
	        {"vacuum", no_argument, NULL, OPT_VACUUM},
	        {"dry-run", no_argument, NULL, 'n'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct bt_run_query q = {0};
	struct bt_filter *f = NULL;
	struct bt_filter_error ferr;
	struct stale st = {0};
	struct bt_store *s;
	int c, rc = 0, stale = 0, vacuum = 0, dry = 0;
	size_t i;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":nh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_STALE:
			stale = 1;
			break;
		case OPT_VACUUM:
			vacuum = 1;
			break;
		case 'n':
			dry = 1;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			return 0;
		default:
			return bt_cli_bad_option(ctx, usage, c, argv);
		}
	}
	if (optind < argc)
		return bt_cli_usage_error(ctx, usage, "gc takes no arguments");
	if (!stale && !vacuum)
		stale = 1;
	rc = bt_cli_store(ctx, &s);
	if (rc)
		return bt_cli_fail(ctx, rc);
	if (stale) {
		rc = bt_filter_parse(&f, "status=running", &ferr);
		st.now = bt_now();
		q.filter = f;
		q.ascending = 1;
		if (!rc)
			rc = bt_run_query(s, &q, collect, &st);
		for (i = 0; !rc && i < st.n; i++) {
			if (!dry)
				rc = bt_run_finish(s, st.ids[i], BT_RUN_INTERRUPTED, st.why[i]);
			if (!rc && !ctx->quiet)
				printf("%s run %lld: %s\n", dry ? "would mark" : "marked",
				       (long long)st.ids[i], st.why[i]);
		}
		if (!rc && !st.n && !ctx->quiet)
			printf("no stale runs\n");
	}
	if (!rc && vacuum && !dry) {
		sqlite3_stmt *v;
		rc = bt_store_prepare(s, &v, "VACUUM");
		if (!rc) {
			rc = bt_store_step_done(s, v, "cannot vacuum");
			sqlite3_finalize(v);
		}
		if (!rc && !ctx->quiet)
			printf("vacuumed %s\n", bt_store_path(s));
	}
	for (i = 0; i < st.n; i++)
		free(st.why[i]);
	free(st.why);
	free(st.ids);
	bt_filter_free(f);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}
