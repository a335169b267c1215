/*
 * libbenchtop.c - the public tracking API of include/benchtop/track.h, over
 * the core's tracker (track.c).  Built only into libbenchtop.so, which
 * exports nothing but the benchtop_track_* functions.
 *
 * The caller's thread never waits on the database except, boundedly, in
 * open, flush and finish.  Handles left open at exit() are flushed by an
 * atexit handler, and only in the process that opened them.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "benchtop/track.h"
#include "error.h"
#include "git.h"
#include "run.h"
#include "runref.h"
#include "series.h"
#include "store.h"
#include "track.h"
#include "util.h"

struct benchtop_track {
	struct bt_tracker *tracker;
	struct bt_store *store; /* the caller-side connection: open and finish only */
	int64_t run_id;
	char uuid[37];
	int owned; /* we made the run, so we end it */
	pid_t pid;
	double timeout;
	struct benchtop_track *next; /* open handles, for the exit handler */
};

static pthread_mutex_t handles_mu = PTHREAD_MUTEX_INITIALIZER;
static struct benchtop_track *handles;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static double env_number(const char *name, double dflt, double lo, double hi)
{
	const char *v = getenv(name);
	double d;

	if (!v || bt_parse_double(v, &d) || d < lo || d > hi)
		return dflt;
	return d;
}

static int fail(void)
{
	return -1;
}

/* The command line of this process as a JSON array, from /proc (NULL elsewhere). */
static char *self_command(void)
{
	char *data = NULL, *s = NULL;
	size_t len = 0, i, start = 0;
	json_t *a;

	if (bt_read_file(&data, &len, "/proc/self/cmdline") != 0) {
		bt_error_clear();
		return NULL;
	}
	a = json_array();
	for (i = 0; i < len; i++) {
		if (data[i] == '\0') {
			json_array_append_new(a, json_stringn_nocheck(data + start, i - start));
			start = i + 1;
		}
	}
	if (json_array_size(a))
		s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	free(data);
	return s;
}

static void unlink_handle(struct benchtop_track *t)
{
	struct benchtop_track **p;

	pthread_mutex_lock(&handles_mu);
	for (p = &handles; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	pthread_mutex_unlock(&handles_mu);
}

static int close_handle(struct benchtop_track *t, int status, const char *reason)
{
	int rc = 0, trc;

	unlink_handle(t);
	if (getpid() != t->pid) {
		/* A forked child: the connection and the thread are the parent's. */
		return 0;
	}
	trc = bt_tracker_stop(t->tracker, t->timeout, NULL);
	if (trc)
		rc = -1;
	if (t->owned) {
		enum bt_run_status st = status == BENCHTOP_TRACK_FAILED        ? BT_RUN_FAILED
		                        : status == BENCHTOP_TRACK_INTERRUPTED ? BT_RUN_INTERRUPTED
		                                                               : BT_RUN_FINISHED;
		char *msg = trc ? bt_xstrdup(bt_error_last()) : NULL;
		if (bt_run_finish(t->store, t->run_id, st, reason ? reason : msg)) {
			rc = -1;
			if (msg) {
				char *why = bt_xstrdup(bt_error_last());
				bt_error_set(BT_EBUSY, "%s; %s", msg, why);
				free(why);
			}
		} else if (msg)
			bt_error_set(BT_EBUSY, "%s", msg); /* keep the tracker's message */
		free(msg);
	}
	bt_store_close(t->store);
	free(t);
	return rc;
}

static void at_exit(void)
{
	struct benchtop_track *t;

	for (;;) {
		pthread_mutex_lock(&handles_mu);
		t = handles;
		pthread_mutex_unlock(&handles_mu);
		if (!t)
			break;
		close_handle(t, BENCHTOP_TRACK_INTERRUPTED,
		             "process exited without benchtop_track_finish()");
	}
}

static void register_exit(void)
{
	atexit(at_exit);
}

benchtop_track *benchtop_track_open(const char *name)
{
	struct benchtop_track *t = bt_xcalloc(1, sizeof(*t));
	struct bt_tracker_opts o = {0};
	const char *ref = getenv("BENCHTOP_RUN");
	const char *db = getenv("BENCHTOP_DB");
	char *path = NULL, *cwd = getcwd(NULL, 0);
	struct bt_run run;
	int rc;

	memset(&run, 0, sizeof(run));
	t->pid = getpid();
	t->timeout = env_number("BENCHTOP_TRACK_TIMEOUT", 10, 0, 86400);
	if (db && *db) {
		path = bt_xstrdup(db);
	} else {
		rc = bt_store_default_path(&path, cwd ? cwd : ".");
		if (rc)
			goto fail;
	}
	rc = bt_store_open(&t->store, path, ref && *ref ? 0 : BT_STORE_CREATE);
	if (rc)
		goto fail;
	sqlite3_busy_timeout(bt_store_handle(t->store), (int)(t->timeout * 1000));
	if (ref && *ref) {
		rc = bt_runref_resolve(t->store, ref, cwd, &t->run_id);
		if (rc)
			goto fail;
		rc = bt_run_load(t->store, t->run_id, &run);
		if (rc)
			goto fail;
		snprintf(t->uuid, sizeof(t->uuid), "%s", run.uuid);
	} else {
		struct bt_git_info git;
		if (bt_git_capture(&git, cwd ? cwd : ".") != 0) {
			bt_error_clear();
			memset(&git, 0, sizeof(git));
		}
		run.kind = bt_xstrdup("exec");
		run.name = name ? bt_xstrdup(name) : NULL;
		run.command = self_command();
		run.cwd = cwd ? bt_xstrdup(cwd) : NULL;
		rc = bt_run_create(t->store, &run, &git, NULL, NULL, 0, NULL, 0);
		bt_git_info_release(&git);
		if (rc)
			goto fail;
		t->run_id = run.id;
		snprintf(t->uuid, sizeof(t->uuid), "%s", run.uuid);
		t->owned = 1;
	}
	o.max_points = (size_t)env_number("BENCHTOP_TRACK_BUFFER", 1 << 21, 1, 1e9);
	rc = bt_tracker_start(&t->tracker, path, t->run_id, &o);
	if (rc) {
		if (t->owned)
			bt_run_finish(t->store, t->run_id, BT_RUN_FAILED, bt_error_last());
		goto fail;
	}
	pthread_once(&exit_once, register_exit);
	pthread_mutex_lock(&handles_mu);
	t->next = handles;
	handles = t;
	pthread_mutex_unlock(&handles_mu);
	bt_run_release(&run);
	free(path);
	free(cwd);
	return t;
fail:
	bt_run_release(&run);
	bt_store_close(t->store);
	free(t);
	free(path);
	free(cwd);
	return NULL;
}

int benchtop_track_param(benchtop_track *t, const char *key, const char *value)
{
	if (!t || !key || !*key || !value)
		return t ? (bt_error_set(BT_EUSAGE, "param needs a key and a value"), -1) : -1;
	return bt_tracker_param(t->tracker, key, value) ? fail() : 0;
}

int benchtop_track_param_double(benchtop_track *t, const char *key, double value)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.17g", value);
	return benchtop_track_param(t, key, buf);
}

int benchtop_track_tag(benchtop_track *t, const char *tag)
{
	if (!t || !tag || !*tag)
		return t ? (bt_error_set(BT_EUSAGE, "empty tag"), -1) : -1;
	return bt_tracker_tag(t->tracker, tag) ? fail() : 0;
}

int benchtop_track_log(benchtop_track *t, const char *key, int64_t step, double value)
{
	if (!t || !key)
		return -1;
	return bt_tracker_log(t->tracker, key, strlen(key), step < 0 ? BT_SERIES_AUTO_STEP : step,
	                      value, 0)
	               ? -1
	               : 0;
}

int benchtop_track_flush(benchtop_track *t)
{
	if (!t)
		return -1;
	return bt_tracker_flush(t->tracker, t->timeout) ? -1 : 0;
}

int benchtop_track_finish(benchtop_track *t, int status)
{
	if (!t)
		return -1;
	return close_handle(t, status, NULL);
}

const char *benchtop_track_run(const benchtop_track *t)
{
	return t ? t->uuid : "";
}

uint64_t benchtop_track_dropped(benchtop_track *t)
{
	struct bt_tracker_stats st;

	if (!t)
		return 0;
	bt_tracker_get_stats(t->tracker, &st);
	return st.dropped;
}

const char *benchtop_track_error(void)
{
	return bt_error_last();
}
