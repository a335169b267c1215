/*
 * lock.h - one unattended job per database and suite x model at a time.
 *
 * An flock(2) on a small file next to the database,
 *
 *     DB.lock.SUITE.MODEL.HASH
 *
 * (SUITE and MODEL reduced to [A-Za-z0-9_-], HASH eight hex digits of
 * sha256(suite NUL model) so that different pairs never share a file).
 * The kernel drops the lock when its holder exits, however it exits, so a
 * crashed job never leaves a stale lock behind.  The holder writes who it
 * is into the file, so that the next job can say who is in its way.  Lock
 * files are left in place: removing one while another process waits on
 * it would let two jobs hold "the" lock at once.
 *
 * `benchtop run --lock` and `benchtop check --lock` both take it.
 */
#ifndef BT_LOCK_H
#define BT_LOCK_H

struct bt_lock;

/*
 * Take the lock for (suite, model) of the database at `db_path`.  `wait`
 * says what to do when another process holds it: 0 fail at once, > 0 wait
 * up to that many seconds, < 0 wait as long as it takes.  `what`
 * describes the holder for others' messages ("benchtop run").
 *
 * Returns 0 with *out set (release with bt_lock_release), BT_EBUSY when
 * the lock is held (the message names the suite, the model and the
 * holder's pid, host and start time), or BT_EIO when the lock file cannot
 * be created.
 */
int bt_lock_acquire(struct bt_lock **out, const char *db_path, const char *suite, const char *model,
                    double wait, const char *what);

/* Release the lock (NULL is a no-op). */
void bt_lock_release(struct bt_lock *l);

/* The lock file's path for (suite, model); caller frees. */
char *bt_lock_path(const char *db_path, const char *suite, const char *model);

#endif
