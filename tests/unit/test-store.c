/*
 * test-store.c - the results store: creation, identification, migrations
 * and the run model, on real SQLite files in a temporary directory.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "git.h"
#include "helpers.h"
#include "run.h"
#include "store.h"
#include "util.h"

static char *dir;

static void setup(void)
{
	dir = th_tmpdir();
}

static void teardown(void)
{
	th_rm_rf(dir);
	free(dir);
}

TestSuite(store, .init = setup, .fini = teardown);

static int query_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int v = -1;

	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s",
	             sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

Test(store, creates_a_private_database_with_the_latest_schema)
{
	char *bt = bt_path_join(dir, ".benchtop");
	char *path = bt_path_join(bt, "benchtop.db");
	char *ignore = bt_path_join(bt, ".gitignore");
	struct bt_store *s;
	struct stat st;

	cr_assert_eq(bt_store_open(&s, path, BT_STORE_CREATE), 0, "%s", bt_error_last());
	cr_assert_eq(bt_store_schema_version(s), bt_store_latest_version());
	bt_store_close(s);

	cr_assert_eq(stat(bt, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700, "directory mode %o", st.st_mode & 0777);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0077, 0, "database mode %o is not private", st.st_mode & 0777);
	cr_assert_eq(stat(ignore, &st), 0, ".benchtop/.gitignore was not created");
	cr_assert_eq(query_int(path, "PRAGMA application_id"), BT_STORE_APPLICATION_ID);
	cr_assert_eq(query_int(path, "PRAGMA user_version"), bt_store_latest_version());
	cr_assert_eq(query_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'runs'"), 1);
	free(ignore);
	free(path);
	free(bt);
}

Test(store, opens_in_wal_mode_with_foreign_keys)
{
	char *path = bt_path_join(dir, "b.db");
	struct bt_store *s;
	sqlite3_stmt *st;

	cr_assert_eq(bt_store_open(&s, path, BT_STORE_CREATE), 0, "%s", bt_error_last());
	cr_assert_eq(bt_store_prepare(s, &st, "PRAGMA journal_mode"), 0);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	cr_assert_eq(bt_store_prepare(s, &st, "PRAGMA foreign_keys"), 0);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	bt_store_close(s);
	free(path);
}

Test(store, a_missing_file_is_not_created_without_the_flag)
{
	char *path = bt_path_join(dir, "none.db");
	struct bt_store *s;
	struct stat st;

	cr_assert_eq(bt_store_open(&s, path, 0), BT_ENOTFOUND);
	cr_assert_null(s);
	cr_assert_neq(stat(path, &st), 0, "the file was created");
	cr_assert(strstr(bt_error_last(), "benchtop init"), "message: %s", bt_error_last());
	free(path);
}

/*
 * Build a database at schema version k by applying the first k migrations
 * by hand, as an older benchtop would have left it, then let the store
 * upgrade it.  Every older version is covered, whatever the latest is.
 */
Test(store, migrates_from_every_older_version)
{
	int k;

	for (k = 1; k <= bt_migrations_count; k++) {
		char *name = bt_xasprintf("v%d.db", k);
		char *path = bt_path_join(dir, name);
		struct bt_store *s;
		sqlite3 *db;
		int i;

		cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
		cr_assert_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
		for (i = 0; i < k; i++)
			cr_assert_eq(sqlite3_exec(db, bt_migrations[i].sql, NULL, NULL, NULL),
			             SQLITE_OK, "%s: %s", bt_migrations[i].name,
			             sqlite3_errmsg(db));
		char *pragma = bt_xasprintf("PRAGMA application_id = %d; PRAGMA user_version = %d",
		                            BT_STORE_APPLICATION_ID, bt_migrations[k - 1].version);
		cr_assert_eq(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
		cr_assert_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
		/* Data written at the old version must survive the upgrade. */
		cr_assert_eq(sqlite3_exec(db,
		                          "INSERT INTO runs (uuid, kind, started_at) "
		                          "VALUES ('old-run', 'eval', 1)",
		                          NULL, NULL, NULL),
		             SQLITE_OK, "%s", sqlite3_errmsg(db));
		sqlite3_close(db);
		free(pragma);

		cr_assert_eq(bt_store_open(&s, path, 0), 0, "v%d: %s", k, bt_error_last());
		cr_assert_eq(bt_store_schema_version(s), bt_store_latest_version());
		bt_store_close(s);
		cr_assert_eq(query_int(path, "PRAGMA user_version"), bt_store_latest_version());
		cr_assert_eq(query_int(path, "SELECT count(*) FROM runs WHERE uuid = 'old-run'"),
		             1);
		free(path);
		free(name);
	}
}

Test(store, refuses_a_database_from_a_newer_benchtop_unchanged)
{
	char *path = bt_path_join(dir, "future.db");
	char before[65], after[65];
	struct bt_store *s;
	sqlite3 *db;
	char *sql, *want;

	cr_assert_eq(bt_store_open(&s, path, BT_STORE_CREATE), 0);
	bt_store_close(s);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	sql = bt_xasprintf("PRAGMA user_version = %d; PRAGMA journal_mode = DELETE",
	                   bt_store_latest_version() + 7);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	th_file_sha(path, before);
	cr_assert_eq(bt_store_open(&s, path, BT_STORE_CREATE), BT_EVERSION);
	cr_assert_null(s);
	th_file_sha(path, after);
	cr_assert_str_eq(before, after, "the newer database was modified");
	want = bt_xasprintf("schema version %d", bt_store_latest_version() + 7);
	cr_assert(strstr(bt_error_last(), want), "message: %s", bt_error_last());
	free(want);
	want = bt_xasprintf("up to %d", bt_store_latest_version());
	cr_assert(strstr(bt_error_last(), want), "message: %s", bt_error_last());
	cr_assert_eq(bt_status_exit_code(BT_EVERSION), 2);
	free(want);
	free(sql);
	free(path);
}

Test(store, refuses_a_file_that_is_not_sqlite_unchanged)
{
	char *path = bt_path_join(dir, "notes.txt");
	char before[65], after[65];
	struct bt_store *s;

	th_write(path, "these are my notes, not a database; please do not touch them\n");
	th_file_sha(path, before);
	cr_assert_eq(bt_store_open(&s, path, BT_STORE_CREATE), BT_EFOREIGN);
	th_file_sha(path, after);
	cr_assert_str_eq(before, after);
	cr_assert(strstr(bt_error_last(), "not a SQLite database"), "%s", bt_error_last());
	free(path);
}

Test(store, refuses_another_applications_sqlite_database_unchanged)
{
	char *path = bt_path_join(dir, "other.db");
	char before[65], after[65];
	struct bt_store *s;
	sqlite3 *db;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db,
	                          "CREATE TABLE recipes (name TEXT); INSERT INTO recipes "
	                          "VALUES ('bread')",
	                          NULL, NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(db);
	th_file_sha(path, before);
	cr_assert_eq(bt_store_open(&s, path, BT_STORE_CREATE), BT_EFOREIGN);
	th_file_sha(path, after);
	cr_assert_str_eq(before, after);
	cr_assert(strstr(bt_error_last(), "not a benchtop one"), "%s", bt_error_last());
	cr_assert_eq(query_int(path, "SELECT count(*) FROM recipes"), 1);
	free(path);
}

Test(store, initialises_an_empty_file)
{
	char *path = bt_path_join(dir, "empty.db");
	struct bt_store *s;

	th_write(path, "");
	cr_assert_eq(bt_store_open(&s, path, 0), 0, "%s", bt_error_last());
	bt_store_close(s);
	cr_assert_eq(query_int(path, "PRAGMA user_version"), bt_store_latest_version());
	free(path);
}

Test(store, runs_round_trip_with_params_tags_and_metrics)
{
	char *path = bt_path_join(dir, "r.db");
	const char *keys[] = {"k", "metric"}, *values[] = {"5", "euclidean"};
	const char *tags[] = {"nightly", "baseline"};
	struct bt_metric_row m = {"iris", "accuracy", 0.96, 0.92, 0.99, 0.015, 150, 1};
	struct bt_run r, back;
	struct bt_store *s;

	memset(&r, 0, sizeof(r));
	r.name = bt_xstrdup("first");
	r.suite = bt_xstrdup("tabular");
	r.model = bt_xstrdup("knn");
	cr_assert_eq(bt_store_open(&s, path, BT_STORE_CREATE), 0);
	cr_assert_eq(bt_run_create(s, &r, NULL, keys, values, 2, tags, 2), 0, "%s",
	             bt_error_last());
	cr_assert_gt(r.id, 0);
	cr_assert_eq(strlen(r.uuid), 36);
	cr_assert_eq(bt_run_put_metric(s, r.id, &m), 0, "%s", bt_error_last());
	cr_assert_eq(bt_run_finish(s, r.id, BT_RUN_FINISHED, NULL), 0);

	cr_assert_eq(bt_run_load(s, r.id, &back), 0);
	cr_assert_str_eq(back.name, "first");
	cr_assert_str_eq(back.model, "knn");
	cr_assert_str_eq(back.uuid, r.uuid);
	cr_assert_eq(back.status, BT_RUN_FINISHED);
	cr_assert_gt(back.ended_at, 0);
	cr_assert_null(back.git_sha);
	bt_run_release(&back);
	bt_store_close(s);

	cr_assert_eq(query_int(path, "SELECT count(*) FROM params"), 2);
	cr_assert_eq(query_int(path, "SELECT count(*) FROM tags"), 2);
	cr_assert_eq(query_int(path, "SELECT n FROM metrics WHERE metric = 'accuracy'"), 150);

	cr_assert_eq(bt_store_open(&s, path, 0), 0);
	cr_assert_eq(bt_run_delete(s, r.id), 0);
	cr_assert_eq(bt_run_load(s, r.id, &back), BT_ENOTFOUND);
	cr_assert_eq(bt_run_delete(s, r.id), BT_ENOTFOUND);
	bt_store_close(s);
	/* Deleting cascades to everything the run held. */
	cr_assert_eq(query_int(path, "SELECT count(*) FROM params"), 0);
	cr_assert_eq(query_int(path, "SELECT count(*) FROM tags"), 0);
	cr_assert_eq(query_int(path, "SELECT count(*) FROM metrics"), 0);
	bt_run_release(&r);
	free(path);
}

Test(store, a_running_run_whose_process_is_gone_is_stale)
{
	struct bt_run r;
	char *host = bt_hostname();

	memset(&r, 0, sizeof(r));
	r.status = BT_RUN_RUNNING;
	r.host = host;
	r.pid = getpid();
	r.started_at = r.heartbeat_at = bt_now();
	cr_assert_not(bt_run_is_stale(&r, bt_now()));
	cr_assert_str_eq(bt_run_display_status(&r, bt_now()), "running");
	/* pid 2^22+1 is above Linux's pid_max default: no such process. */
	r.pid = 4194305;
	cr_assert(bt_run_is_stale(&r, bt_now()));
	r.pid = getpid();
	cr_assert(bt_run_is_stale(&r, bt_now() + BT_RUN_STALE_SECONDS + 1));
	r.status = BT_RUN_FINISHED;
	cr_assert_not(bt_run_is_stale(&r, bt_now() + 1e6));
	free(host);
}

Test(store, the_default_path_is_in_the_work_tree_or_xdg_data_home)
{
	char *repo = bt_path_join(dir, "repo");
	char *sub = bt_path_join(repo, "deep/er");
	char *plain = bt_path_join(dir, "plain");
	char *xdg = bt_path_join(dir, "xdg");
	char *path = NULL, *want;

	th_git_init(repo);
	cr_assert_eq(bt_mkdir_p(sub, 0755), 0);
	cr_assert_eq(bt_mkdir_p(plain, 0755), 0);
	cr_assert_eq(bt_store_default_path(&path, sub), 0);
	want = bt_xasprintf("%s/.benchtop/benchtop.db", repo);
	cr_assert_str_eq(path, want);
	free(path);
	free(want);

	setenv("XDG_DATA_HOME", xdg, 1);
	cr_assert_eq(bt_store_default_path(&path, plain), 0);
	want = bt_xasprintf("%s/benchtop/benchtop.db", xdg);
	cr_assert_str_eq(path, want);
	free(path);
	free(want);

	unsetenv("XDG_DATA_HOME");
	setenv("HOME", dir, 1);
	cr_assert_eq(bt_store_default_path(&path, plain), 0);
	want = bt_xasprintf("%s/.local/share/benchtop/benchtop.db", dir);
	cr_assert_str_eq(path, want);
	free(path);
	free(want);
	free(repo);
	free(sub);
	free(plain);
	free(xdg);
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/*
 * A bulk writer's commits leave the copying of WAL pages into the database
 * to the checkpointer's thread: the database file grows while the writer,
 * whose own automatic checkpoints are off, only appends to the WAL.
 * Stopping it gives the writer SQLite's automatic checkpoints back.
 */
Test(store, a_checkpointer_copies_the_wal_into_the_database_meanwhile)
{
	char *path = bt_path_join(dir, "ck.db");
	struct bt_store *s;
	struct bt_checkpointer *c;
	sqlite3_stmt *st;
	off_t before, after;
	int i, j, waited;

	cr_assert_eq(bt_store_open(&s, path, BT_STORE_CREATE), 0, "%s", bt_error_last());
	cr_assert_eq(sqlite3_exec(bt_store_handle(s), "CREATE TABLE blob_rows (b BLOB)", NULL, NULL,
	                          NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_wal_checkpoint_v2(bt_store_handle(s), NULL, SQLITE_CHECKPOINT_TRUNCATE,
	                                       NULL, NULL),
	             SQLITE_OK);
	before = file_size(path);
	c = bt_checkpointer_start(s);
	cr_assert_not_null(c, "the checkpointer did not start");
	cr_assert_eq(bt_store_prepare(s, &st, "INSERT INTO blob_rows VALUES (zeroblob(3000))"), 0);
	/* 3,000 pages of about 4 KiB in 60 commits: three times the threshold */
	for (i = 0; i < 60; i++) {
		cr_assert_eq(bt_store_begin(s), 0, "%s", bt_error_last());
		for (j = 0; j < 50; j++) {
			cr_assert_eq(bt_store_step_done(s, st, "insert"), 0, "%s", bt_error_last());
			sqlite3_reset(st);
		}
		cr_assert_eq(bt_store_commit(s), 0, "%s", bt_error_last());
	}
	for (waited = 0; waited < 200; waited++) {
		after = file_size(path);
		if (after - before > (off_t)4 << 20)
			break;
		usleep(50 * 1000);
	}
	cr_expect_gt(after - before, (off_t)4 << 20,
	             "the database grew by %lld bytes: nothing was checkpointed",
	             (long long)(after - before));
	bt_checkpointer_stop(c);
	bt_checkpointer_stop(NULL);
	sqlite3_finalize(st);
	cr_expect_eq(query_int(path, "SELECT count(*) FROM blob_rows"), 3000);
	bt_store_close(s);
	free(path);
}

Test(store, no_checkpointer_for_a_read_only_store)
{
	char *path = bt_path_join(dir, "ro.db");
	struct bt_store *s;

	cr_assert_eq(bt_store_open(&s, path, BT_STORE_CREATE), 0, "%s", bt_error_last());
	bt_store_close(s);
	cr_assert_eq(bt_store_open(&s, path, BT_STORE_READONLY), 0, "%s", bt_error_last());
	cr_expect_null(bt_checkpointer_start(s));
	bt_store_close(s);
	free(path);
}
