/*
 * track.h - a background writer for one run's series, params and tags.
 *
 * The calling thread only appends to an in-memory buffer (tens of
 * nanoseconds a point, under a mutex, never touching the database); a
 * writer thread with its own connection drains the buffer in large
 * transactions every `interval` seconds or whenever a chunk fills.  When
 * the database is busy the writer waits at most `busy_ms` per attempt and
 * retries with back-off while the buffer holds the data; only when the
 * buffer reaches `max_points` are new points dropped and counted (or, with
 * `block_when_full`, the caller waits for room: bulk ingestion wants that,
 * a trainer does not).
 *
 * libbenchtop, `benchtop exec` (scalars found in output) and
 * `benchtop log --jsonl` all write through this.  The writer thread
 * blocks every signal, so signals keep going to the caller's threads.
 * Never use a tracker in a child after fork(): it checks and refuses.
 */
#ifndef BT_TRACK_H
#define BT_TRACK_H

#include <stddef.h>
#include <stdint.h>

struct bt_tracker;

struct bt_tracker_opts {
	int block_when_full; /* wait for room instead of dropping points */
	size_t max_points;   /* buffered points before dropping or blocking; 0: 2^21 */
	int busy_ms;         /* each write attempt's wait for the lock; 0: 100 */
	double interval;     /* seconds between background flushes; 0: 0.2 */
};

struct bt_tracker_stats {
	uint64_t accepted; /* points taken into the buffer */
	uint64_t written;  /* points committed to the store */
	uint64_t dropped;  /* points lost: buffer full, or a write failed for good */
	uint64_t retries;  /* write attempts that found the database busy */
};

/*
 * Open a connection to the store at `db_path` (which must exist and hold
 * run `run_id`) and start the writer thread.
 */
int bt_tracker_start(struct bt_tracker **out, const char *db_path, int64_t run_id,
                     const struct bt_tracker_opts *opts);

/*
 * Queue one point.  `step` may be BT_SERIES_AUTO_STEP (series.h); `wall`
 * 0 means now.  Returns 0, BT_EINPUT for an unusable key, or BT_EBUSY when
 * the point was dropped because the buffer is full.  Thread-safe.
 */
int bt_tracker_log(struct bt_tracker *t, const char *key, size_t keylen, int64_t step, double value,
                   double wall);

/* Queue a param (insert or replace) or a tag; the same rules as points. */
int bt_tracker_param(struct bt_tracker *t, const char *key, const char *value);
int bt_tracker_tag(struct bt_tracker *t, const char *tag);

/*
 * Wait until everything queued so far is written or dropped, at most
 * `timeout` seconds (< 0: no limit).  BT_EBUSY on timeout.
 */
int bt_tracker_flush(struct bt_tracker *t, double timeout);

/* A snapshot of the counters. */
void bt_tracker_get_stats(struct bt_tracker *t, struct bt_tracker_stats *out);

/*
 * The last write error the writer met (a copy the caller frees), or NULL.
 */
char *bt_tracker_last_error(struct bt_tracker *t);

/*
 * Flush (waiting at most `timeout` seconds, < 0 no limit), then stop the
 * writer and free everything.  What could not be written by then is
 * dropped and counted in *stats (which may be NULL).  Returns 0 when
 * nothing was dropped, BT_EBUSY when points were dropped because the
 * database stayed busy, or the writer's last error (with its message).
 */
int bt_tracker_stop(struct bt_tracker *t, double timeout, struct bt_tracker_stats *stats);

#endif
