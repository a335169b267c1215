/*
 * cmd-merge.c - `benchtop merge OTHER.db... [--into RUN]`: import the runs
 * of other benchtop databases, then combine the shards of each logical
 * evaluation into one run (merge.c does the work).
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "harness.h"
#include "merge.h"
#include "run.h"
#include "util.h"

static const char usage[] =
        "usage: benchtop merge [OTHER.db...] [--into RUN]\n"
        "\n"
        "Import every run of the other benchtop databases (new ids, the same uuids; runs\n"
        "already here are skipped, so merging twice changes nothing), then combine the\n"
        "shards of each evaluation (runs of 'benchtop run --shard I/N' with the same suite\n"
        "data, model, params, commit and shard group) into one run with the union of their\n"
        "samples and metrics recomputed from them.\n"
        "\n"
        "      --into RUN        combine the shards of RUN's evaluation into RUN itself,\n"
        "                        replacing its tasks, samples and metrics\n";

/* Shards are combined by recomputing metrics from the union of samples, as the harness does. */
static int recompute_metrics(struct bt_store *s, int64_t run_id, void *payload)
{
	BT_UNUSED(payload);
	return bt_harness_recompute(s, run_id, NULL);
}

static void describe(struct bt_ctx *ctx, const char *what, const struct bt_merge_group *g)
{
	char *suite = bt_sanitize(g->suite ? g->suite : "", 0);
	char *model = bt_sanitize(g->model ? g->model : "", 0);

	if (!ctx->quiet)
		fprintf(stderr, "%s %lld shards of suite '%s' with model '%s' at %.8s", what,
		        (long long)g->shard_count, suite, model, g->git_sha ? g->git_sha : "-");
	free(suite);
	free(model);
}

/* The complete group that RUN's evaluation forms; BT_EINPUT when none or several. */
static int group_of(struct bt_store *s, int64_t id, struct bt_merge_group *g, size_t n, size_t *out)
{
	struct bt_run r;
	size_t i, found = 0;
	int rc = bt_run_load(s, id, &r);

	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		int same =
		        g[i].complete && ((!r.model && !g[i].model) ||
		                          (r.model && g[i].model && !strcmp(r.model, g[i].model)));
		same = same && r.suite_hash && g[i].suite_hash &&
		       !strcmp(r.suite_hash, g[i].suite_hash);
		same = same && r.git_sha && g[i].git_sha && !strcmp(r.git_sha, g[i].git_sha);
		same = same && (!r.shard_group ||
		                (g[i].shard_group && !strcmp(r.shard_group, g[i].shard_group)));
		if (same) {
			*out = i;
			found++;
		}
	}
	bt_run_release(&r);
	if (found == 1)
		return 0;
	if (!found)
		return bt_error_set(BT_EINPUT,
		                    "no complete set of shards has run %lld's suite data, model "
		                    "and commit",
		                    (long long)id);
	return bt_error_set(BT_EAMBIGUOUS,
	                    "several shard groups match run %lld; give it a shard group",
	                    (long long)id);
}

int cmd_merge(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {
	        {"into", required_argument, NULL, 'i'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct bt_merge_group *groups = NULL;
	struct bt_store *s;
	const char *into_ref = NULL;
	size_t ngroups = 0, i, target = 0;
	int64_t into = 0;
	int c, rc, failed = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			into_ref = optarg;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			return 0;
		default:
			return bt_cli_bad_option(ctx, usage, c, argv);
		}
	}
	rc = bt_cli_store(ctx, &s);
	if (rc)
		return bt_cli_fail(ctx, rc);
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		struct bt_merge_stats st = {0};
		char *path;
		rc = bt_merge_import(s, argv[i], &st);
		if (rc)
			return bt_cli_fail(ctx, rc);
		path = bt_sanitize(argv[i], 0);
		if (!ctx->quiet)
			fprintf(stderr,
			        "imported %zu run%s from '%s' (%zu already here, %zu still "
			        "running)\n",
			        st.imported, st.imported == 1 ? "" : "s", path, st.present,
			        st.running);
		free(path);
	}
	if (into_ref) {
		rc = bt_cli_resolve(ctx, into_ref, &into);
		if (rc)
			return rc;
	}
	rc = bt_merge_groups(s, &groups, &ngroups);
	if (!rc && into)
		rc = group_of(s, into, groups, ngroups, &target);
	if (rc)
		goto out;

	for (i = 0; i < ngroups; i++) {
		struct bt_merge_group *g = &groups[i];
		int64_t id;

		if (into && i != target)
			continue;
		if (!g->complete) {
			int64_t k;
			describe(ctx, "incomplete:", g);
			if (!ctx->quiet) {
				fputs(", missing", stderr);
				for (k = 0; k < g->shard_count; k++)
					if (!g->shards[k])
						fprintf(stderr, " %lld", (long long)k);
				fputc('\n', stderr);
			}
			continue;
		}
		if (g->combined && !into) {
			describe(ctx, "already combined:", g);
			if (!ctx->quiet)
				fprintf(stderr, " as run %lld\n", (long long)g->combined);
			continue;
		}
		rc = bt_merge_combine(s, g, into, recompute_metrics, NULL, &id);
		if (rc && !into) {
			/* One group that cannot be combined must not keep the others from it. */
			char *why = bt_sanitize(bt_error_last(), 0);
			describe(ctx, "not combined:", g);
			fprintf(stderr, ": %s\n", why);
			free(why);
			failed = rc;
			rc = 0;
			continue;
		}
		if (rc)
			goto out;
		describe(ctx, "combined", g);
		if (!ctx->quiet)
			fprintf(stderr, " into run %lld\n", (long long)id);
		printf("%lld\n", (long long)id);
	}
out:
	bt_merge_groups_free(groups, ngroups);
	if (rc)
		return bt_cli_fail(ctx, rc);
	/* Reported above, group by group; the exit status still says it. */
	return failed ? bt_status_exit_code(failed) : 0;
}
