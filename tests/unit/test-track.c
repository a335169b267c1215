/*
 * test-track.c - libbenchtop through its public API (linked against the
 * built shared library): runs it starts and attaches to, buffering,
 * flushing at exit, and a database held busy by another connection.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "benchtop/track.h"
#include "helpers.h"
#include "run.h"
#include "store.h"
#include "util.h"

static char *dir, *db;

static void setup(void)
{
	struct bt_store *s;

	dir = th_tmpdir();
	db = bt_path_join(dir, "t.db");
	cr_assert_eq(bt_store_open(&s, db, BT_STORE_CREATE), 0);
	bt_store_close(s);
	setenv("BENCHTOP_DB", db, 1);
	unsetenv("BENCHTOP_RUN");
	unsetenv("BENCHTOP_TRACK_BUFFER");
	setenv("BENCHTOP_TRACK_TIMEOUT", "10", 1);
}

static void teardown(void)
{
	th_rm_rf(dir);
	free(dir);
	free(db);
}

TestSuite(track, .init = setup, .fini = teardown, .timeout = 60);

static long long query(const char *sql, const char *arg)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	long long v = -1;

	cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static char *query_text(const char *sql, const char *arg)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	char *v = NULL;

	cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(h));
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = bt_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

Test(track, starts_a_run_and_stores_params_tags_and_points)
{
	benchtop_track *t = benchtop_track_open("unit");
	char uuid[40], *status, *name;
	int i;

	cr_assert_not_null(t, "%s", benchtop_track_error());
	snprintf(uuid, sizeof(uuid), "%s", benchtop_track_run(t));
	cr_assert_eq(strlen(uuid), 36);
	cr_assert_eq(benchtop_track_param(t, "lr", "0.1"), 0);
	cr_assert_eq(benchtop_track_param_double(t, "wd", 0.25), 0);
	cr_assert_eq(benchtop_track_tag(t, "unit"), 0);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(benchtop_track_log(t, "train/loss", i, 1.0 / (i + 1)), 0);
	for (i = 0; i < 5; i++)
		cr_assert_eq(benchtop_track_log(t, "auto", BENCHTOP_TRACK_NEXT_STEP, i), 0);
	cr_assert_eq(benchtop_track_log(t, "", 0, 1), -1, "an empty key was accepted");
	cr_assert_eq(benchtop_track_finish(t, BENCHTOP_TRACK_FINISHED), 0, "%s",
	             benchtop_track_error());

	status = query_text("SELECT status FROM runs WHERE uuid = ?", uuid);
	name = query_text("SELECT name FROM runs WHERE uuid = ?", uuid);
	cr_assert_str_eq(status, "finished");
	cr_assert_str_eq(name, "unit");
	cr_assert_eq(query("SELECT count(*) FROM series s JOIN runs r ON r.id = s.run_id WHERE "
	                   "r.uuid = ? AND key = 'train/loss'",
	                   uuid),
	             1000);
	cr_assert_eq(
	        query("SELECT sum(step) FROM series WHERE key = 'auto' AND run_id = (SELECT id "
	              "FROM runs WHERE uuid = ?)",
	              uuid),
	        0 + 1 + 2 + 3 + 4);
	cr_assert_eq(query("SELECT count(*) FROM params WHERE key IN ('lr', 'wd') AND run_id = "
	                   "(SELECT id FROM runs WHERE uuid = ?)",
	                   uuid),
	             2);
	cr_assert_eq(query("SELECT count(*) FROM tags WHERE tag = 'unit' AND run_id = (SELECT id "
	                   "FROM runs WHERE uuid = ?)",
	                   uuid),
	             1);
	free(status);
	free(name);
}

Test(track, a_million_points_are_all_stored)
{
	benchtop_track *t = benchtop_track_open("million");
	char uuid[40];
	long i;

	cr_assert_not_null(t, "%s", benchtop_track_error());
	snprintf(uuid, sizeof(uuid), "%s", benchtop_track_run(t));
	for (i = 0; i < 1000000; i++)
		benchtop_track_log(t, i % 2 ? "a" : "b", i / 2, (double)i);
	cr_assert_eq(benchtop_track_dropped(t), 0);
	cr_assert_eq(benchtop_track_finish(t, BENCHTOP_TRACK_FINISHED), 0, "%s",
	             benchtop_track_error());
	cr_assert_eq(query("SELECT count(*) FROM series WHERE run_id = (SELECT id FROM runs WHERE "
	                   "uuid = ?)",
	                   uuid),
	             1000000);
	cr_assert_eq(query("SELECT max(step) FROM series WHERE key = 'a' AND run_id = (SELECT id "
	                   "FROM runs WHERE uuid = ?)",
	                   uuid),
	             499999);
}

Test(track, attaches_to_the_run_in_benchtop_run_and_leaves_its_status)
{
	struct bt_store *s;
	struct bt_run run;
	benchtop_track *t;
	char *status;

	memset(&run, 0, sizeof(run));
	run.kind = bt_xstrdup("exec");
	cr_assert_eq(bt_store_open(&s, db, 0), 0);
	cr_assert_eq(bt_run_create(s, &run, NULL, NULL, NULL, 0, NULL, 0), 0);
	bt_store_close(s);
	setenv("BENCHTOP_RUN", run.uuid, 1);
	t = benchtop_track_open("ignored");
	cr_assert_not_null(t, "%s", benchtop_track_error());
	cr_assert_str_eq(benchtop_track_run(t), run.uuid);
	benchtop_track_log(t, "loss", 0, 0.5);
	cr_assert_eq(benchtop_track_finish(t, BENCHTOP_TRACK_FAILED), 0);
	status = query_text("SELECT status FROM runs WHERE uuid = ?", run.uuid);
	cr_assert_str_eq(status, "running", "the owner ends an attached run, not the library");
	cr_assert_eq(query("SELECT count(*) FROM series WHERE run_id = (SELECT id FROM runs WHERE "
	                   "uuid = ?)",
	                   run.uuid),
	             1);
	free(status);
	bt_run_release(&run);
}

Test(track, flushes_at_exit_without_finish)
{
	char *cmd = bt_xasprintf("%s --steps 700 --no-finish >/dev/null", TRACK_EXIT_HELPER);

	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(query("SELECT count(*) FROM series WHERE key = 'train/loss'", NULL), 700);
	cr_assert_eq(query("SELECT count(*) FROM runs WHERE status = 'interrupted' AND "
	                   "status_reason LIKE '%without benchtop_track_finish%'",
	                   NULL),
	             1);
	free(cmd);
}

Test(track, a_busy_database_does_not_block_the_caller)
{
	benchtop_track *t;
	sqlite3 *other;
	char uuid[40];
	int i;

	setenv("BENCHTOP_TRACK_TIMEOUT", "0.5", 1);
	t = benchtop_track_open("busy");
	cr_assert_not_null(t, "%s", benchtop_track_error());
	snprintf(uuid, sizeof(uuid), "%s", benchtop_track_run(t));

	/* Another process-like connection takes the write lock and keeps it. */
	cr_assert_eq(sqlite3_open(db, &other), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(other,
	                          "BEGIN IMMEDIATE; INSERT INTO tags (run_id, tag) SELECT id, 'x' "
	                          "FROM runs LIMIT 1",
	                          NULL, NULL, NULL),
	             SQLITE_OK, "%s", sqlite3_errmsg(other));
	/* If logging waited for the lock, this loop would hang (and time out). */
	for (i = 0; i < 200000; i++)
		cr_assert_eq(benchtop_track_log(t, "loss", i, i), 0);
	cr_assert_eq(benchtop_track_flush(t), -1, "flush claimed success under a held lock");
	cr_assert(strstr(benchtop_track_error(), "busy"), "%s", benchtop_track_error());
	cr_assert_eq(query("SELECT count(*) FROM series", NULL), 0);

	cr_assert_eq(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	/* Each flush waits 0.5 s at most; a slow (sanitised) build may need several. */
	for (i = 0; i < 120 && benchtop_track_flush(t) != 0; i++)
		;
	cr_assert_eq(benchtop_track_finish(t, BENCHTOP_TRACK_FINISHED), 0, "%s",
	             benchtop_track_error());
	cr_assert_eq(query("SELECT count(*) FROM series WHERE run_id = (SELECT id FROM runs WHERE "
	                   "uuid = ?)",
	                   uuid),
	             200000, "buffered points were lost");
}

Test(track, a_full_buffer_drops_and_counts_instead_of_blocking)
{
	benchtop_track *t;
	sqlite3 *other;
	char uuid[40];
	int i, refused = 0;

	setenv("BENCHTOP_TRACK_TIMEOUT", "0.3", 1);
	setenv("BENCHTOP_TRACK_BUFFER", "10000", 1);
	t = benchtop_track_open("full");
	cr_assert_not_null(t, "%s", benchtop_track_error());
	snprintf(uuid, sizeof(uuid), "%s", benchtop_track_run(t));
	cr_assert_eq(sqlite3_open(db, &other), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (i = 0; i < 50000; i++)
		if (benchtop_track_log(t, "loss", i, i) != 0)
			refused++;
	cr_assert_gt(refused, 0);
	cr_assert_eq(benchtop_track_dropped(t), (uint64_t)refused);
	sqlite3_exec(other, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(other);
	for (i = 0; i < 120 && benchtop_track_flush(t) != 0; i++)
		;
	/* finish reports the loss, and stores everything that was kept. */
	cr_assert_eq(benchtop_track_finish(t, BENCHTOP_TRACK_FINISHED), -1);
	cr_assert(strstr(benchtop_track_error(), "points were not stored"), "%s",
	          benchtop_track_error());
	cr_assert_eq(query("SELECT count(*) FROM series WHERE run_id = (SELECT id FROM runs WHERE "
	                   "uuid = ?)",
	                   uuid),
	             50000 - refused);
}

Test(track, finish_gives_up_on_a_database_that_stays_busy)
{
	benchtop_track *t;
	sqlite3 *other;

	setenv("BENCHTOP_TRACK_TIMEOUT", "0.3", 1);
	t = benchtop_track_open("stuck");
	cr_assert_not_null(t, "%s", benchtop_track_error());
	cr_assert_eq(sqlite3_open(db, &other), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	benchtop_track_log(t, "loss", 0, 1);
	cr_assert_eq(benchtop_track_finish(t, BENCHTOP_TRACK_FINISHED), -1);
	cr_assert(strstr(benchtop_track_error(), "not stored"), "%s", benchtop_track_error());
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
}

Test(track, a_null_handle_is_harmless)
{
	cr_assert_eq(benchtop_track_log(NULL, "x", 0, 1), -1);
	cr_assert_eq(benchtop_track_param(NULL, "x", "y"), -1);
	cr_assert_eq(benchtop_track_tag(NULL, "x"), -1);
	cr_assert_eq(benchtop_track_flush(NULL), -1);
	cr_assert_eq(benchtop_track_finish(NULL, 0), -1);
	cr_assert_eq(benchtop_track_dropped(NULL), 0);
	cr_assert_str_eq(benchtop_track_run(NULL), "");
}

Test(track, open_fails_cleanly_for_a_missing_run)
{
	setenv("BENCHTOP_RUN", "424242", 1);
	cr_assert_null(benchtop_track_open(NULL));
	cr_assert(strstr(benchtop_track_error(), "424242"), "%s", benchtop_track_error());
}
