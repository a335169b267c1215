/*
 * track.c - the background writer behind libbenchtop, `exec` and
 * `log --jsonl` (see track.h for the contract).
 *
 * Producers fill fixed-size chunks of points under one mutex; full chunks
 * go on a queue the writer thread drains, a few hundred thousand points a
 * transaction.  The writer alone touches the database.  After fork() the
 * child's copy of a tracker is dead: its mutex may have been held by a
 * thread that no longer exists and its connection belongs to the parent
 * (SQLite forbids using it), so every entry point checks a fork
 * generation before anything else.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "series.h"
#include "store.h"
#include "track.h"
#include "util.h"

#define CHUNK_POINTS (8192)
/* Points per transaction: large enough to amortise, small enough to keep the lock short. */
#define TXN_POINTS (1 << 18)
/* Empty chunks kept for reuse. */
#define FREE_CHUNKS        16
#define DEFAULT_MAX_POINTS (1u << 21)
#define HEARTBEAT_SECONDS  30.0

struct chunk {
	struct chunk *next;
	size_t n;
	struct bt_series_point p[CHUNK_POINTS];
};

enum op_kind { OP_PARAM, OP_TAG };
struct op {
	struct op *next;
	enum op_kind kind;
	char *a, *b;
};

struct bt_tracker {
	pthread_mutex_t mu;
	pthread_cond_t wake; /* the writer waits here */
	pthread_cond_t done; /* flushers and producers waiting for room */
	pthread_t thread;
	unsigned fork_gen;
	int64_t run_id;
	struct bt_tracker_opts o;

	/* producer side, under mu */
	struct bt_series_keys *keys;
	struct chunk *cur;
	struct chunk *qhead, *qtail;
	struct op *ohead, *otail;
	size_t buffered; /* points in cur and the queue */
	struct chunk *free_list;
	size_t nfree;
	uint64_t seq_in, seq_out; /* units (points and ops) accepted and retired */
	struct bt_tracker_stats st;
	int stop, abandon, flush_req;
	char *error;

	/* writer side */
	struct bt_store *store;
	struct bt_series_inserter *ins;
	sqlite3_stmt *run_exists, *param, *tag, *heartbeat;
	struct bt_series_point *batch;
	size_t batch_cap;
	double last_heartbeat;
};

/* ---- fork detection --------------------------------------------------------- */

static unsigned fork_generation;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void after_fork_child(void)
{
	__atomic_add_fetch(&fork_generation, 1, __ATOMIC_SEQ_CST);
}

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, after_fork_child);
}

static int forked(const struct bt_tracker *t)
{
	return __atomic_load_n(&fork_generation, __ATOMIC_RELAXED) != t->fork_gen;
}

/* ---- time ---------------------------------------------------------------------- */

static struct timespec deadline_after(double seconds)
{
	struct timespec ts;
	double whole;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (seconds > 1e6)
		seconds = 1e6;
	seconds += ts.tv_nsec / 1e9;
	whole = floor(seconds);
	ts.tv_sec += (time_t)whole;
	ts.tv_nsec = (long)((seconds - whole) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static int timespec_passed(const struct timespec *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > d->tv_sec || (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec);
}

/* ---- chunks and ops (under mu) ------------------------------------------------------ */

static struct chunk *chunk_get(struct bt_tracker *t)
{
	struct chunk *c = t->free_list;

	if (c) {
		t->free_list = c->next;
		t->nfree--;
	} else {
		c = bt_xmalloc(sizeof(*c));
	}
	c->next = NULL;
	c->n = 0;
	return c;
}

static void chunk_put(struct bt_tracker *t, struct chunk *c)
{
	if (t->nfree >= FREE_CHUNKS) {
		free(c);
		return;
	}
	c->next = t->free_list;
	t->free_list = c;
	t->nfree++;
}

static void enqueue_cur(struct bt_tracker *t)
{
	struct chunk *c = t->cur;

	t->cur = NULL;
	if (!c)
		return;
	if (c->n == 0) {
		chunk_put(t, c);
		return;
	}
	c->next = NULL;
	if (t->qtail)
		t->qtail->next = c;
	else
		t->qhead = c;
	t->qtail = c;
}

static void op_free(struct op *o)
{
	free(o->a);
	free(o->b);
	free(o);
}

static void set_error(struct bt_tracker *t, const char *msg)
{
	free(t->error);
	t->error = bt_xstrdup(msg);
}

/* ---- the writer ---------------------------------------------------------------------- */

static int prepare_writer(struct bt_tracker *t)
{
	int rc = bt_series_inserter_new(&t->ins, t->store);

	if (!rc)
		rc = bt_store_prepare(t->store, &t->run_exists, "SELECT 1 FROM runs WHERE id = ?");
	if (!rc)
		rc = bt_store_prepare(t->store, &t->param,
		                      "INSERT OR REPLACE INTO params (run_id, key, value) "
		                      "VALUES (?, ?, ?)");
	if (!rc)
		rc = bt_store_prepare(t->store, &t->tag,
		                      "INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?, ?)");
	if (!rc)
		rc = bt_store_prepare(t->store, &t->heartbeat,
		                      "UPDATE runs SET heartbeat_at = ? WHERE id = ? AND "
		                      "status = 'running'");
	return rc;
}

static int step_once(struct bt_tracker *t, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	return bt_store_error(t->store, rc, what);
}

/*
 * Write one batch in one transaction.  *retry is set when the database
 * was busy and nothing was written, so the same batch may be tried again.
 */
static int write_batch(struct bt_tracker *t, struct chunk *chunks, struct op *ops, int *retry)
{
	sqlite3 *db = bt_store_handle(t->store);
	size_t n = 0;
	struct chunk *c;
	struct op *o;
	int rc;

	*retry = 0;
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		*retry = 1;
		return bt_error_set(BT_EBUSY, "database '%s' is busy", bt_store_path(t->store));
	}
	if (rc != SQLITE_OK)
		return bt_store_error(t->store, rc, "cannot start a transaction");

	sqlite3_bind_int64(t->run_exists, 1, t->run_id);
	rc = sqlite3_step(t->run_exists);
	sqlite3_reset(t->run_exists);
	if (rc == SQLITE_DONE) {
		rc = bt_error_set(BT_ENOTFOUND, "run %lld no longer exists", (long long)t->run_id);
		goto fail;
	} else if (rc != SQLITE_ROW) {
		rc = bt_store_error(t->store, rc, "cannot read run");
		goto fail;
	}
	rc = 0;
	for (o = ops; o && !rc; o = o->next) {
		sqlite3_stmt *st = o->kind == OP_PARAM ? t->param : t->tag;
		sqlite3_bind_int64(st, 1, t->run_id);
		sqlite3_bind_text(st, 2, o->a, -1, SQLITE_STATIC);
		if (o->kind == OP_PARAM)
			sqlite3_bind_text(st, 3, o->b, -1, SQLITE_STATIC);
		rc = step_once(t, st, o->kind == OP_PARAM ? "cannot set param" : "cannot add tag");
		sqlite3_clear_bindings(st);
	}
	if (rc)
		goto fail;

	for (c = chunks; c; c = c->next)
		n += c->n;
	if (n > t->batch_cap) {
		free(t->batch);
		t->batch = bt_xmalloc(n * sizeof(*t->batch));
		t->batch_cap = n;
	}
	n = 0;
	for (c = chunks; c; c = c->next) {
		memcpy(t->batch + n, c->p, c->n * sizeof(*c->p));
		n += c->n;
	}
	rc = bt_series_insert(t->ins, t->run_id, t->batch, n);
	if (rc)
		goto fail;
	if (bt_now() - t->last_heartbeat >= HEARTBEAT_SECONDS) {
		sqlite3_bind_double(t->heartbeat, 1, bt_now());
		sqlite3_bind_int64(t->heartbeat, 2, t->run_id);
		rc = step_once(t, t->heartbeat, "cannot record heartbeat");
		if (rc)
			goto fail;
		t->last_heartbeat = bt_now();
	}
	rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;
	if ((rc & 0xff) == SQLITE_BUSY)
		*retry = 1;
	rc = bt_store_error(t->store, rc, "cannot commit series");
fail:
	bt_store_rollback(t->store);
	/* Auto steps were resolved against rows that are gone: look them up again. */
	bt_series_inserter_forget(t->ins);
	return rc;
}

static void drop_all(struct bt_tracker *t)
{
	struct chunk *c;
	struct op *o;

	enqueue_cur(t);
	while ((c = t->qhead) != NULL) {
		t->qhead = c->next;
		t->st.dropped += c->n;
		t->seq_out += c->n;
		t->buffered -= c->n;
		free(c);
	}
	t->qtail = NULL;
	while ((o = t->ohead) != NULL) {
		t->ohead = o->next;
		t->seq_out++;
		op_free(o);
	}
	t->otail = NULL;
}

static void *writer_main(void *arg)
{
	struct bt_tracker *t = arg;
	double backoff = 0.01;
	struct timespec tick;
	int ticking = 0;

	pthread_mutex_lock(&t->mu);
	for (;;) {
		struct chunk *chunks = NULL, *last = NULL, *c;
		struct op *ops;
		size_t npoints = 0, nops = 0;
		int rc, retry;

		if (t->abandon) {
			drop_all(t);
			pthread_cond_broadcast(&t->done);
			break;
		}
		if (!t->qhead && !t->ohead && t->cur && t->cur->n) {
			if (t->flush_req || t->stop || (ticking && timespec_passed(&tick))) {
				enqueue_cur(t);
				ticking = 0;
			} else if (!ticking) {
				tick = deadline_after(t->o.interval);
				ticking = 1;
			}
		}
		if (!t->qhead && !t->ohead) {
			if (!t->cur || !t->cur->n) {
				t->flush_req = 0;
				pthread_cond_broadcast(&t->done);
				if (t->stop)
					break;
				pthread_cond_wait(&t->wake, &t->mu);
			} else {
				pthread_cond_timedwait(&t->wake, &t->mu, &tick);
			}
			continue;
		}
		/* Take the ops and up to TXN_POINTS points; the copy happens unlocked. */
		ops = t->ohead;
		for (struct op *o = ops; o; o = o->next)
			nops++;
		t->ohead = t->otail = NULL;
		while ((c = t->qhead) != NULL && (npoints == 0 || npoints + c->n <= TXN_POINTS)) {
			t->qhead = c->next;
			c->next = NULL;
			if (last)
				last->next = c;
			else
				chunks = c;
			last = c;
			npoints += c->n;
		}
		if (!t->qhead)
			t->qtail = NULL;
		pthread_mutex_unlock(&t->mu);

		rc = write_batch(t, chunks, ops, &retry);

		pthread_mutex_lock(&t->mu);
		if (rc && retry && !t->abandon) {
			/* Put the batch back in front, wait a little, try again. */
			struct timespec d = deadline_after(backoff);
			if (last) {
				last->next = t->qhead;
				if (!t->qhead)
					t->qtail = last;
				t->qhead = chunks;
			}
			if (ops) {
				struct op *o = ops;
				while (o->next)
					o = o->next;
				o->next = t->ohead;
				if (!t->ohead)
					t->otail = o;
				t->ohead = ops;
			}
			t->st.retries++;
			backoff = backoff * 2 > 1.0 ? 1.0 : backoff * 2;
			pthread_cond_timedwait(&t->wake, &t->mu, &d);
			continue;
		}
		backoff = 0.01;
		if (rc) {
			set_error(t, bt_error_last());
			t->st.dropped += npoints;
		} else {
			t->st.written += npoints;
		}
		t->seq_out += npoints + nops;
		t->buffered -= npoints;
		while ((c = chunks) != NULL) {
			chunks = c->next;
			chunk_put(t, c);
		}
		while (ops) {
			struct op *o = ops;
			ops = o->next;
			op_free(o);
		}
		pthread_cond_broadcast(&t->done);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

/* ---- the API ------------------------------------------------------------------------------ */

int bt_tracker_start(struct bt_tracker **out, const char *db_path, int64_t run_id,
                     const struct bt_tracker_opts *opts)
{
	struct bt_tracker *t;
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	*out = NULL;
	pthread_once(&atfork_once, register_atfork);
	t = bt_xcalloc(1, sizeof(*t));
	if (opts)
		t->o = *opts;
	if (!t->o.max_points)
		t->o.max_points = DEFAULT_MAX_POINTS;
	if (t->o.busy_ms <= 0)
		t->o.busy_ms = 100;
	if (t->o.interval <= 0)
		t->o.interval = 0.2;
	t->run_id = run_id;
	t->fork_gen = __atomic_load_n(&fork_generation, __ATOMIC_SEQ_CST);
	rc = bt_store_open(&t->store, db_path, 0);
	if (rc)
		goto fail;
	sqlite3_busy_timeout(bt_store_handle(t->store), t->o.busy_ms);
	/*
	 * The writer checks that the run exists at the start of every
	 * transaction, under the write lock; a per-row foreign-key lookup
	 * would only repeat that check a million times.
	 */
	sqlite3_exec(bt_store_handle(t->store), "PRAGMA foreign_keys = OFF", NULL, NULL, NULL);
	/*
	 * A transaction of TXN_POINTS points dirties ~10 MiB of table and
	 * index pages; with SQLite's default 2 MiB cache they would spill to
	 * the WAL mid-transaction and be written several times over.
	 */
	sqlite3_exec(bt_store_handle(t->store), "PRAGMA cache_size = -65536", NULL, NULL, NULL);
	rc = prepare_writer(t);
	if (rc)
		goto fail;
	t->keys = bt_series_keys_new();
	t->last_heartbeat = 0;
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->wake, &ca);
	pthread_cond_init(&t->done, &ca);
	pthread_condattr_destroy(&ca);

	/* The writer must never take a signal meant for the caller's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t->thread, NULL, writer_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		rc = bt_error_set(BT_ERROR, "cannot start the writer thread: %s", strerror(rc));
		pthread_mutex_destroy(&t->mu);
		pthread_cond_destroy(&t->wake);
		pthread_cond_destroy(&t->done);
		goto fail;
	}
	*out = t;
	return 0;
fail:
	bt_series_inserter_free(t->ins);
	sqlite3_finalize(t->run_exists);
	sqlite3_finalize(t->param);
	sqlite3_finalize(t->tag);
	sqlite3_finalize(t->heartbeat);
	bt_store_close(t->store);
	bt_series_keys_free(t->keys);
	free(t);
	return rc;
}

/* Make room for one more point (under mu): 0, or BT_EBUSY when the point must be dropped. */
static int room_for_point(struct bt_tracker *t)
{
	if (t->cur)
		return 0;
	while (t->buffered >= t->o.max_points) {
		if (!t->o.block_when_full || t->abandon || t->stop)
			return BT_EBUSY;
		pthread_cond_wait(&t->done, &t->mu);
		if (t->cur)
			return 0;
	}
	t->cur = chunk_get(t);
	/* Start the writer's flush clock for this chunk. */
	pthread_cond_signal(&t->wake);
	return 0;
}

int bt_tracker_log(struct bt_tracker *t, const char *key, size_t keylen, int64_t step, double value,
                   double wall)
{
	struct bt_series_key *k;
	struct bt_series_point *p;

	if (forked(t))
		return bt_error_set(BT_EIO, "tracker used in a child process after fork");
	pthread_mutex_lock(&t->mu);
	k = bt_series_keys_intern(t->keys, key, keylen);
	if (!k) {
		pthread_mutex_unlock(&t->mu);
		return BT_EINPUT;
	}
	if (room_for_point(t)) {
		t->st.dropped++;
		pthread_mutex_unlock(&t->mu);
		return bt_error_set(BT_EBUSY, "buffer full: point dropped");
	}
	p = &t->cur->p[t->cur->n++];
	p->key = k;
	p->step = step;
	p->value = value;
	p->wall = wall != 0 ? wall : bt_now();
	t->buffered++;
	t->st.accepted++;
	t->seq_in++;
	if (t->cur->n == CHUNK_POINTS) {
		enqueue_cur(t);
		pthread_cond_signal(&t->wake);
	}
	pthread_mutex_unlock(&t->mu);
	return 0;
}

static int queue_op(struct bt_tracker *t, enum op_kind kind, const char *a, const char *b)
{
	struct op *o;

	if (forked(t))
		return bt_error_set(BT_EIO, "tracker used in a child process after fork");
	o = bt_xcalloc(1, sizeof(*o));
	o->kind = kind;
	o->a = bt_xstrdup(a);
	o->b = b ? bt_xstrdup(b) : NULL;
	pthread_mutex_lock(&t->mu);
	if (t->otail)
		t->otail->next = o;
	else
		t->ohead = o;
	t->otail = o;
	t->seq_in++;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->mu);
	return 0;
}

int bt_tracker_param(struct bt_tracker *t, const char *key, const char *value)
{
	return queue_op(t, OP_PARAM, key, value);
}

int bt_tracker_tag(struct bt_tracker *t, const char *tag)
{
	return queue_op(t, OP_TAG, tag, NULL);
}

int bt_tracker_flush(struct bt_tracker *t, double timeout)
{
	struct timespec d;
	uint64_t target;
	int rc = 0;

	if (forked(t))
		return bt_error_set(BT_EIO, "tracker used in a child process after fork");
	if (timeout >= 0)
		d = deadline_after(timeout);
	pthread_mutex_lock(&t->mu);
	target = t->seq_in;
	t->flush_req = 1;
	pthread_cond_signal(&t->wake);
	while (t->seq_out < target) {
		if (timeout < 0) {
			pthread_cond_wait(&t->done, &t->mu);
		} else if (pthread_cond_timedwait(&t->done, &t->mu, &d) == ETIMEDOUT) {
			if (t->seq_out < target)
				rc = bt_error_set(BT_EBUSY,
				                  "database still busy after %.1f s: %llu points "
				                  "not yet written",
				                  timeout,
				                  (unsigned long long)(target - t->seq_out));
			break;
		}
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}

void bt_tracker_get_stats(struct bt_tracker *t, struct bt_tracker_stats *out)
{
	if (forked(t)) {
		memset(out, 0, sizeof(*out));
		return;
	}
	pthread_mutex_lock(&t->mu);
	*out = t->st;
	pthread_mutex_unlock(&t->mu);
}

char *bt_tracker_last_error(struct bt_tracker *t)
{
	char *e = NULL;

	if (forked(t))
		return NULL;
	pthread_mutex_lock(&t->mu);
	if (t->error)
		e = bt_xstrdup(t->error);
	pthread_mutex_unlock(&t->mu);
	return e;
}

int bt_tracker_stop(struct bt_tracker *t, double timeout, struct bt_tracker_stats *stats)
{
	struct chunk *c;
	int rc, timed_out;

	if (!t)
		return 0;
	if (forked(t)) {
		/* The parent owns all of it; the child may not even free it safely. */
		if (stats)
			memset(stats, 0, sizeof(*stats));
		return 0;
	}
	rc = bt_tracker_flush(t, timeout);
	timed_out = rc == BT_EBUSY;
	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	if (timed_out)
		t->abandon = 1;
	pthread_cond_broadcast(&t->wake);
	pthread_cond_broadcast(&t->done);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);

	if (stats)
		*stats = t->st;
	if (t->st.dropped)
		rc = t->error ? bt_error_set(BT_EDB, "%llu points were not stored: %s",
		                             (unsigned long long)t->st.dropped, t->error)
		              : bt_error_set(BT_EBUSY,
		                             "%llu points were not stored: the database stayed "
		                             "busy",
		                             (unsigned long long)t->st.dropped);
	else if (t->error)
		rc = bt_error_set(BT_EDB, "%s", t->error);
	else
		rc = 0;

	while ((c = t->free_list) != NULL) {
		t->free_list = c->next;
		free(c);
	}
	free(t->cur);
	bt_series_inserter_free(t->ins);
	sqlite3_finalize(t->run_exists);
	sqlite3_finalize(t->param);
	sqlite3_finalize(t->tag);
	sqlite3_finalize(t->heartbeat);
	bt_store_close(t->store);
	bt_series_keys_free(t->keys);
	free(t->batch);
	free(t->error);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->wake);
	pthread_cond_destroy(&t->done);
	free(t);
	return rc;
}
