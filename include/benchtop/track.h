/*
 * benchtop/track.h - log a training run's params, tags and metric curves
 * to benchtop from C or C++ (libbenchtop; pkg-config --cflags --libs benchtop).
 *
 *     benchtop_track *t = benchtop_track_open("logreg");
 *     benchtop_track_param(t, "lr", "0.1");
 *     for (step = 0; step < steps; step++)
 *             benchtop_track_log(t, "loss", step, loss);
 *     benchtop_track_finish(t, BENCHTOP_TRACK_FINISHED);
 *
 * Which run.  Under `benchtop exec` (BENCHTOP_RUN and BENCHTOP_DB set) the
 * points go to that run, which exec finishes.  Otherwise a new run of kind
 * exec is made in BENCHTOP_DB, or in .benchtop/benchtop.db at the top of
 * the git work tree (else ~/.local/share/benchtop/benchtop.db), with the
 * git commit, the command line and the working directory.
 *
 * Cost and safety.  benchtop_track_log() only appends to a memory buffer
 * (well under a microsecond); a background thread writes the buffer in
 * large transactions.  No call ever waits for a busy database longer than
 * BENCHTOP_TRACK_TIMEOUT seconds (default 10, only open, flush and finish
 * wait at all); while the database is busy points stay buffered, up to
 * BENCHTOP_TRACK_BUFFER points (default 2097152), after which new points
 * are dropped and counted (benchtop_track_dropped()).  Everything buffered
 * is written at benchtop_track_finish() and, failing that, at exit().
 * Every function accepts a NULL handle and then does nothing, so a trainer
 * may ignore a failed open.  Functions are safe to call from several
 * threads.  A handle must not be used in a child after fork().
 *
 * Errors: functions return 0 on success and -1 on failure, with a message
 * for the calling thread in benchtop_track_error().
 *
 * See benchtop-track(3).
 */
#ifndef BENCHTOP_TRACK_H
#define BENCHTOP_TRACK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct benchtop_track benchtop_track;

/* A step for benchtop_track_log(): one more than the key's last step. */
#define BENCHTOP_TRACK_NEXT_STEP (-1)

/* Final statuses for benchtop_track_finish(). */
enum benchtop_track_status {
	BENCHTOP_TRACK_FINISHED = 0,
	BENCHTOP_TRACK_FAILED = 1,
	BENCHTOP_TRACK_INTERRUPTED = 2,
};

/*
 * Open the run named by BENCHTOP_RUN, or start a new one called `name`
 * (which may be NULL).  Returns NULL on failure (see benchtop_track_error()).
 */
benchtop_track *benchtop_track_open(const char *name);

/* Record a param (replacing an earlier value of the same key). */
int benchtop_track_param(benchtop_track *t, const char *key, const char *value);
/* The same for a number, recorded with 17 significant digits. */
int benchtop_track_param_double(benchtop_track *t, const char *key, double value);

/* Add a tag to the run. */
int benchtop_track_tag(benchtop_track *t, const char *tag);

/*
 * Log `value` for series `key` at `step` (>= 0, or BENCHTOP_TRACK_NEXT_STEP).
 * Keys are up to 256 bytes of printable text; "train/loss" style names
 * group well in the dashboard.  NaN is stored as a point without a value.
 * Returns -1 when the key is unusable or the point was dropped.
 */
int benchtop_track_log(benchtop_track *t, const char *key, int64_t step, double value);

/*
 * Write everything logged so far, waiting at most BENCHTOP_TRACK_TIMEOUT
 * seconds.  -1 when the database stayed busy (the points stay buffered).
 */
int benchtop_track_flush(benchtop_track *t);

/*
 * Flush, and end the run with `status` when this handle started it (a run
 * opened through BENCHTOP_RUN is left for its owner to end); then free the
 * handle.  -1 when some points could not be written (they are counted in
 * the message).
 */
int benchtop_track_finish(benchtop_track *t, int status);

/* The run's uuid (valid until finish). */
const char *benchtop_track_run(const benchtop_track *t);

/* Points dropped so far because the buffer was full or a write failed. */
uint64_t benchtop_track_dropped(benchtop_track *t);

/* The calling thread's last error message ("" when none). */
const char *benchtop_track_error(void);

#ifdef __cplusplus
}
#endif

#endif
