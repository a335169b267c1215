/*
 * series.h - metric series (training curves) in the store: interned keys,
 * batched insertion at full speed, automatic steps, and reading one curve.
 *
 * A point is (run, key, step, value, wall time).  Writers hand batches of
 * points to bt_series_insert(), which sorts them by key (so that index
 * pages are filled in order, which is what makes bulk ingestion fast) and
 * inserts them with multi-row prepared statements.  A point whose step is
 * BT_SERIES_AUTO_STEP gets one more than the last step of its key in that
 * run (0 for a key's first point), looked up once per key in the store.
 *
 * Nothing here starts threads or prints; see track.h for the background
 * writer that libbenchtop, `exec` and `log --jsonl` share.
 */
#ifndef BT_SERIES_H
#define BT_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* "Next step for this key": one more than its last step in the run. */
#define BT_SERIES_AUTO_STEP INT64_MIN

/* Longest key accepted, in bytes; longer keys are refused (BT_EINPUT). */
#define BT_SERIES_KEY_MAX 256

/*
 * An interned key.  `name` never changes once interned, so a producer
 * thread may create keys while a writer thread reads names of keys it was
 * handed.  The fields after `name` belong to whoever inserts points (one
 * thread at a time).
 */
struct bt_series_key {
	const char *name;
	size_t len;
	/* writer-owned */
	int64_t next_step; /* valid when has_next */
	int has_next;
	uint64_t mark; /* batch stamp used while sorting */
	size_t slot;
};

struct bt_series_point {
	struct bt_series_key *key;
	int64_t step; /* or BT_SERIES_AUTO_STEP */
	double value; /* NaN is stored as NULL: the step happened, its value is unknown */
	double wall;  /* seconds since the epoch */
};

/* A table of interned keys; keys live as long as the table. */
struct bt_series_keys;
struct bt_series_keys *bt_series_keys_new(void);
void bt_series_keys_free(struct bt_series_keys *k);
/*
 * The interned key for name[0..len).  Returns NULL for an empty key, one
 * longer than BT_SERIES_KEY_MAX, or one containing a NUL or a control
 * character (with the message set, BT_EINPUT).
 */
struct bt_series_key *bt_series_keys_intern(struct bt_series_keys *k, const char *name, size_t len);
size_t bt_series_keys_count(const struct bt_series_keys *k);

/* Prepared statements for inserting points; one per connection. */
struct bt_series_inserter;
int bt_series_inserter_new(struct bt_series_inserter **out, struct bt_store *s);
void bt_series_inserter_free(struct bt_series_inserter *ins);

/*
 * Insert points[0..n) for `run_id`, inside a transaction the caller has
 * opened.  The array is reordered (grouped by key, arrival order kept
 * within a key) and auto steps are resolved in place.  Keys must all come
 * from one bt_series_keys used only for this run.
 */
int bt_series_insert(struct bt_series_inserter *ins, int64_t run_id, struct bt_series_point *points,
                     size_t n);

/*
 * After a rolled-back transaction: forget the steps the last batch's keys
 * were given, so that the next batch looks them up again.
 */
void bt_series_inserter_forget(struct bt_series_inserter *ins);

/* One point read back. */
struct bt_series_row {
	int64_t step;
	double value; /* NaN for NULL */
	double wall;  /* 0 when unknown */
};
typedef int (*bt_series_cb)(const struct bt_series_row *row, void *payload);

/*
 * Call `cb` for every point of `key` in run `run_id`, in step order (ties
 * in insertion order).  A non-zero return from `cb` stops and is returned.
 * BT_ENOTFOUND when the run has no point of that key.
 */
int bt_series_each(struct bt_store *s, int64_t run_id, const char *key, bt_series_cb cb,
                   void *payload);

#endif
