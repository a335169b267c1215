/*
 * merge.h - bringing runs together: importing the runs of other benchtop
 * databases (shards evaluated on other nodes, a colleague's results), and
 * combining the shards of one logical evaluation into one run.
 *
 * Importing copies every run with everything that hangs off it (every
 * table with a run_id or task_id column, whatever migrations added) under
 * new ids, keeping uuids; a run whose uuid is already present is skipped,
 * so importing twice changes nothing.
 *
 * Shards belong together when they share suite hash, model, params,
 * commit, shard group and shard count (`benchtop run --shard I/N`).  A
 * complete group (a finished run for every index 0..N-1, the latest one
 * where an index was run twice) combines into one unsharded run: tasks
 * with summed counts and confusion matrices, the union of the samples, and
 * metrics recomputed from those samples by a caller-supplied function (the
 * harness's, so that they are exactly an unsharded run's).  The combined
 * run's uuid is derived from the group, so combining twice, here or in a
 * database the result is later imported into, changes nothing.
 */
#ifndef BT_MERGE_H
#define BT_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct bt_merge_stats {
	size_t imported; /* runs copied in */
	size_t present;  /* runs skipped: their uuid was already here */
	size_t running;  /* runs skipped: still running in their database */
};

/*
 * Import the runs of the benchtop database at `path` into `s`, in one
 * transaction.  BT_EINPUT when `path` is `s` itself; the errors of
 * bt_store_open() (BT_EFOREIGN, BT_EVERSION, BT_ENOTFOUND) for a source
 * that is not a current benchtop database.
 */
int bt_merge_import(struct bt_store *s, const char *path, struct bt_merge_stats *st);

/* One logical evaluation split into shards. */
struct bt_merge_group {
	char *suite, *suite_hash, *model, *git_sha, *shard_group, *params;
	int64_t shard_count;
	int64_t *shards;  /* shard_count run ids by index; 0 where none finished */
	int complete;     /* every index has a finished run */
	char uuid[37];    /* the combined run's uuid */
	int64_t combined; /* the finished combined run already here, or 0 */
};

/* Every shard group in the store, complete or not. */
int bt_merge_groups(struct bt_store *s, struct bt_merge_group **out, size_t *n);
void bt_merge_groups_free(struct bt_merge_group *g, size_t n);

/*
 * Recompute the metrics (and confusion matrices) of run `run_id` from its
 * samples, exactly as the harness does for an unsharded run, writing them
 * to the store.  Returns 0 or a negative bt_status with the message set.
 */
typedef int (*bt_merge_recompute_fn)(struct bt_store *s, int64_t run_id, void *payload);

/*
 * Combine the complete group `g`.  With `into` 0 a new run is made (with
 * the group's uuid; an unfinished leftover of an earlier attempt is
 * replaced); otherwise run `into`, which must not be a shard and must match
 * the group's suite hash, model, params and commit, receives the result,
 * its tasks, samples and metrics replaced.  The run is `running` while
 * `recompute` works and `finished` after; if recomputing fails a new run
 * is removed again and `into` is marked failed.  *out receives the run's
 * id.  BT_EINPUT when shards overlap (an example in two of them) or the
 * group is incomplete.
 */
int bt_merge_combine(struct bt_store *s, const struct bt_merge_group *g, int64_t into,
                     bt_merge_recompute_fn recompute, void *payload, int64_t *out);

#endif
