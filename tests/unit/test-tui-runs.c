/*
 * test-tui-runs.c - the runs and samples view models on real databases:
 * keyset pagination visits every run exactly once in every order, sorts
 * put NULLs last, filters use the CLI's language (and keep the previous
 * filter on error), reloads keep the cursor, marks, key metrics, cells.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "helpers.h"
#include "run.h"
#include "store.h"
#include "tui/model-runs.h"
#include "tui/model-samples.h"
#include "util.h"

#define NRUNS 250

static char *dir;
static struct bt_store *store;

static void exec_sql(const char *sql)
{
	char *err = NULL;

	cr_assert_eq(sqlite3_exec(bt_store_handle(store), sql, NULL, NULL, &err), SQLITE_OK,
	             "%s: %s", sql, err ? err : "");
}

/*
 * NRUNS runs: start times in pairs (ties broken by id), every fifth without
 * a name, every third (of the named) called "same", odd ids model knn,
 * accuracy i/1000 except every fourth, an operational metric everywhere.
 */
static void setup(void)
{
	char *path;
	sqlite3_stmt *st;
	int i;

	dir = th_tmpdir();
	path = bt_path_join(dir, "t.db");
	cr_assert_eq(bt_store_open(&store, path, BT_STORE_CREATE), 0, "%s", bt_error_last());
	free(path);
	exec_sql("BEGIN");
	cr_assert_eq(
	        sqlite3_prepare_v2(bt_store_handle(store),
	                           "INSERT INTO runs (id, uuid, kind, name, status, model, "
	                           "started_at, ended_at, git_sha, git_dirty) VALUES (?1, "
	                           "printf('uuid-%d', ?1), 'eval', ?2, 'finished', ?3, ?4, ?4 + "
	                           "1, 'abcdef0123456789abcdef0123456789abcdef01', ?1 % 2)",
	                           -1, &st, NULL),
	        SQLITE_OK);
	for (i = 1; i <= NRUNS; i++) {
		char name[16];
		sqlite3_reset(st);
		sqlite3_bind_int(st, 1, i);
		if (i % 5 == 0)
			sqlite3_bind_null(st, 2);
		else {
			snprintf(name, sizeof(name), i % 3 == 0 ? "same" : "n%03d", i);
			sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
		}
		sqlite3_bind_text(st, 3, i % 2 ? "knn" : "logreg", -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 4, 1000.0 + (i / 2));
		cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
	}
	sqlite3_finalize(st);
	exec_sql("INSERT INTO metrics (run_id, task, metric, value) SELECT id, 't', 'accuracy', "
	         "id / 1000.0 FROM runs WHERE id % 4 != 0");
	exec_sql("INSERT INTO metrics (run_id, task, metric, value) SELECT id, 't', 'errors', 0 "
	         "FROM runs");
	exec_sql("COMMIT");
}

static void teardown(void)
{
	bt_store_close(store);
	th_rm_rf(dir);
	free(dir);
}

TestSuite(tui_runs, .init = setup, .fini = teardown);

/* The ids SQLite itself lists for ORDER BY `order`. */
static size_t expected(const char *where, const char *order, int64_t *out)
{
	char *sql = bt_xasprintf("SELECT r.id FROM runs r WHERE %s ORDER BY %s", where, order);
	sqlite3_stmt *st;
	size_t n = 0;

	cr_assert_eq(sqlite3_prepare_v2(bt_store_handle(store), sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		out[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	free(sql);
	return n;
}

static struct bt_runs_model *small_pages(void)
{
	struct bt_runs_model *m = bt_runs_model_new(store);

	/* Small pages and window so that the walks cross many page boundaries. */
	m->page = 7;
	m->max_rows = 20;
	return m;
}

/* Walk down with the cursor from the first row, then back up; check both against `want`. */
static void walk(struct bt_runs_model *m, const int64_t *want, size_t n)
{
	size_t i;

	cr_assert_eq(bt_runs_load_first(m), 0, "%s", bt_error_last());
	for (i = 0; i < n; i++) {
		const struct bt_runs_row *r = bt_runs_current(m);
		cr_assert_not_null(r);
		cr_assert_eq(r->id, want[i], "row %zu: run %lld, want %lld", i, (long long)r->id,
		             (long long)want[i]);
		cr_assert_eq(bt_runs_cursor_index(m), (int64_t)i);
		cr_assert_leq(m->n, m->max_rows + m->page, "the window grew to %zu rows", m->n);
		cr_assert_eq(bt_runs_move(m, 1, 5), 0, "%s", bt_error_last());
	}
	cr_assert_eq(bt_runs_current(m)->id, want[n - 1], "moving past the end stays there");
	for (i = n; i-- > 0;) {
		cr_assert_eq(bt_runs_current(m)->id, want[i], "up, row %zu", i);
		cr_assert_leq(m->n, m->max_rows + m->page);
		bt_runs_move(m, -1, 5);
	}
	cr_assert_eq(bt_runs_cursor_index(m), 0);
}

Test(tui_runs, scrolls_newest_first_through_every_run_exactly_once)
{
	struct bt_runs_model *m = small_pages();
	int64_t want[NRUNS];
	size_t n = expected("1", "r.started_at DESC, r.id DESC", want);

	cr_assert_eq(n, NRUNS);
	walk(m, want, n);
	bt_runs_model_free(m);
}

Test(tui_runs, sorts_by_text_with_nulls_last_in_both_directions)
{
	struct bt_runs_model *m = small_pages();
	struct bt_rcol name = {BT_RC_NAME, NULL};
	int64_t want[NRUNS];
	size_t n;
	int asc;

	bt_runs_set_sort(m, &name, 1);
	cr_assert(bt_runs_sorted_by(m, &name, &asc));
	cr_assert_eq(asc, 1, "names start A to Z");
	n = expected("1", "r.name IS NULL, r.name ASC, r.id ASC", want);
	walk(m, want, n);
	bt_runs_set_sort(m, &name, 1);
	n = expected("1", "r.name IS NULL, r.name DESC, r.id DESC", want);
	walk(m, want, n);
	bt_runs_model_free(m);
}

Test(tui_runs, sorts_by_a_metric_best_first_with_runs_without_it_last)
{
	struct bt_runs_model *m = small_pages();
	struct bt_rcol acc = {BT_RC_METRIC, "accuracy"};
	int64_t want[NRUNS];
	size_t n;

	bt_runs_set_sort(m, &acc, 1);
	n = expected("1",
	             "(SELECT avg(value) FROM metrics WHERE run_id = r.id AND metric = "
	             "'accuracy') IS NULL, (SELECT avg(value) FROM metrics WHERE run_id = r.id "
	             "AND metric = 'accuracy') DESC, r.id DESC",
	             want);
	walk(m, want, n);
	cr_assert_eq(want[0], 250);
	bt_runs_model_free(m);
}

Test(tui_runs, sorting_by_duration_and_id_also_pages)
{
	struct bt_runs_model *m = small_pages();
	struct bt_rcol id = {BT_RC_ID, NULL}, model = {BT_RC_MODEL, NULL};
	int64_t want[NRUNS];
	size_t n;

	bt_runs_set_sort(m, &id, 1);
	n = expected("1", "r.id DESC", want);
	walk(m, want, n);
	bt_runs_set_sort(m, &model, 1);
	n = expected("1", "r.model IS NULL, r.model ASC, r.id ASC", want);
	walk(m, want, n);
	bt_runs_reset_sort(m);
	n = expected("1", "r.started_at DESC, r.id DESC", want);
	walk(m, want, n);
	bt_runs_model_free(m);
}

Test(tui_runs, filters_with_the_cli_language_and_counts)
{
	struct bt_runs_model *m = small_pages();
	int64_t want[NRUNS];
	size_t n;

	cr_assert_eq(bt_runs_set_filter(m, "model=knn accuracy>0.1", NULL), 0);
	n = expected("r.model = 'knn' AND EXISTS (SELECT 1 FROM metrics WHERE run_id = r.id AND "
	             "metric = 'accuracy' AND value > 0.1)",
	             "r.started_at DESC, r.id DESC", want);
	cr_assert_gt(n, 50);
	walk(m, want, n);
	cr_assert_eq(bt_runs_count(m), 0);
	cr_assert_eq(m->count, (int64_t)n);
	bt_runs_model_free(m);
}

Test(tui_runs, a_bad_filter_keeps_the_previous_one_and_locates_the_fault)
{
	struct bt_runs_model *m = small_pages();
	struct bt_filter_error err;

	cr_assert_eq(bt_runs_set_filter(m, "model=knn", NULL), 0);
	cr_assert_eq(bt_runs_set_filter(m, "accuracy>>", &err), BT_EINPUT);
	cr_assert_eq(err.offset, 9);
	cr_assert_str_eq(m->filter_text, "model=knn");
	cr_assert_eq(bt_runs_load_first(m), 0);
	cr_assert_eq(bt_runs_count(m), 0);
	cr_assert_eq(m->count, NRUNS / 2, "the previous filter still applies");
	bt_runs_model_free(m);
}

Test(tui_runs, the_end_is_reached_without_reading_everything)
{
	struct bt_runs_model *m = small_pages();
	int64_t want[NRUNS];
	size_t n = expected("1", "r.started_at DESC, r.id DESC", want), i;

	cr_assert_eq(bt_runs_load_last(m), 0);
	cr_assert_eq(m->count, NRUNS);
	cr_assert_eq(bt_runs_current(m)->id, want[n - 1]);
	cr_assert_eq(bt_runs_cursor_index(m), NRUNS - 1);
	cr_assert_leq(m->n, m->page);
	for (i = n; i-- > n - 30;) {
		cr_assert_eq(bt_runs_current(m)->id, want[i]);
		bt_runs_move(m, -1, 5);
	}
	/* A page up from the end and back down lands where it started. */
	bt_runs_move(m, -10, 5);
	bt_runs_move(m, 10, 5);
	cr_assert_eq(bt_runs_current(m)->id, want[i]);
	bt_runs_model_free(m);
}

Test(tui_runs, a_new_run_appears_on_top_and_the_cursor_stays_on_its_run)
{
	struct bt_runs_model *m = small_pages();
	int64_t id;

	cr_assert_eq(bt_runs_load_first(m), 0);
	bt_runs_move(m, 3, 5);
	id = bt_runs_current(m)->id;
	exec_sql("INSERT INTO runs (id, uuid, kind, name, status, started_at) VALUES (999, 'u999', "
	         "'eval', 'fresh', 'running', 5000)");
	cr_assert_eq(bt_runs_reload(m), 0);
	cr_assert_eq(m->rows[0].id, 999);
	cr_assert_eq(bt_runs_current(m)->id, id);
	cr_assert_eq(bt_runs_cursor_index(m), 4);
	bt_runs_model_free(m);
}

Test(tui_runs, a_reload_deep_in_the_list_keeps_the_cursor_on_its_run)
{
	struct bt_runs_model *m = small_pages();
	int64_t id, pos;

	cr_assert_eq(bt_runs_load_first(m), 0);
	bt_runs_move(m, 120, 5);
	id = bt_runs_current(m)->id;
	pos = bt_runs_cursor_index(m);
	cr_assert_eq(pos, 120);
	cr_assert_eq(bt_runs_reload(m), 0);
	cr_assert_eq(bt_runs_current(m)->id, id);
	cr_assert_eq(bt_runs_cursor_index(m), pos);
	/* The run under the cursor is deleted: the cursor stays at its place. */
	{
		char *sql = bt_xasprintf("DELETE FROM runs WHERE id = %lld", (long long)id);
		exec_sql(sql);
		free(sql);
	}
	cr_assert_eq(bt_runs_reload(m), 0);
	cr_assert_neq(bt_runs_current(m)->id, id);
	bt_runs_model_free(m);
}

Test(tui_runs, key_metric_columns_leave_out_operational_metrics)
{
	struct bt_runs_model *m = bt_runs_model_new(store);
	size_t i, metrics = 0;
	char cell[64];

	cr_assert_eq(bt_runs_load_first(m), 0);
	for (i = 0; i < m->ncols; i++)
		if (m->cols[i].kind == BT_RC_METRIC) {
			metrics++;
			cr_assert_str_eq(m->cols[i].metric, "accuracy");
			/* Run 249 has accuracy 0.249, run 248 (every fourth) none. */
			cr_assert_eq(m->rows[1].id, 249);
			bt_runs_cell(m, &m->rows[1], i, 10, 0, cell, sizeof(cell));
			cr_assert_str_eq(cell, "0.2490");
			cr_assert_eq(m->rows[2].id, 248);
			bt_runs_cell(m, &m->rows[2], i, 10, 0, cell, sizeof(cell));
			cr_assert_str_eq(cell, "");
		}
	cr_assert_eq(metrics, 1);
	bt_runs_model_free(m);
}

Test(tui_runs, cells_show_short_dirty_shas_and_durations)
{
	struct bt_runs_model *m = bt_runs_model_new(store);
	size_t i;
	char cell[64];

	cr_assert_eq(bt_runs_load_first(m), 0);
	cr_assert_eq(m->rows[1].id, 249);
	for (i = 0; i < m->ncols; i++) {
		bt_runs_cell(m, &m->rows[1], i, 20, 0, cell, sizeof(cell));
		if (m->cols[i].kind == BT_RC_COMMIT)
			cr_assert_str_eq(cell, "abcdef01*", "odd runs are dirty");
		if (m->cols[i].kind == BT_RC_DURATION)
			cr_assert_str_eq(cell, "1.00s");
		if (m->cols[i].kind == BT_RC_STATUS)
			cr_assert_str_eq(cell, "finished");
	}
	bt_runs_model_free(m);
}

Test(tui_runs, running_runs_show_progress_rate_and_eta)
{
	struct bt_runs_model *m = bt_runs_model_new(store);
	size_t i;
	char cell[128];

	exec_sql("INSERT INTO runs (id, uuid, kind, status, started_at, heartbeat_at, "
	         "progress_done, progress_total, host, pid) VALUES (1000, 'u1000', 'eval', "
	         "'running', strftime('%s','now') - 100, strftime('%s','now'), 250, 1000, "
	         "'elsewhere', 1)");
	cr_assert_eq(bt_runs_load_first(m), 0);
	cr_assert_eq(m->rows[0].id, 1000);
	for (i = 0; i < m->ncols; i++)
		if (m->cols[i].kind == BT_RC_PROGRESS) {
			bt_runs_cell(m, &m->rows[0], i, 30, 0, cell, sizeof(cell));
			cr_assert_str_eq(cell, "###----------  25% 2.5/s 5m00s", "got '%s'", cell);
		}
	bt_runs_model_free(m);
}

Test(tui_runs, marks_are_a_sorted_set)
{
	struct bt_runs_model *m = bt_runs_model_new(store);

	bt_runs_toggle_mark(m, 30);
	bt_runs_toggle_mark(m, 10);
	bt_runs_toggle_mark(m, 20);
	cr_assert_eq(m->nmarks, 3);
	cr_assert_eq(m->marks[0], 10);
	cr_assert_eq(m->marks[2], 30);
	cr_assert(bt_runs_is_marked(m, 20));
	bt_runs_toggle_mark(m, 20);
	cr_assert_not(bt_runs_is_marked(m, 20));
	bt_runs_unmark(m, 99);
	cr_assert_eq(m->nmarks, 2);
	bt_runs_clear_marks(m);
	cr_assert_eq(m->nmarks, 0);
	bt_runs_model_free(m);
}

/* --- samples ------------------------------------------------------------------------ */

static int64_t samples_fixture(void)
{
	exec_sql("INSERT INTO tasks (id, run_id, name, type, n_examples) VALUES (7, 1, 'iris', "
	         "'classification', 57)");
	exec_sql("WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i WHERE x < 56) "
	         "INSERT INTO samples (task_id, idx, example_id, prediction, target, correct, "
	         "error) SELECT 7, x, 'ex' || x, CASE WHEN x % 11 = 0 THEN NULL ELSE 'p' END, "
	         "'t', CASE WHEN x % 11 = 0 THEN NULL ELSE x % 3 != 0 END, CASE WHEN x % 11 = 0 "
	         "THEN 'timeout' END FROM i");
	return 1;
}

static size_t walk_samples(struct bt_samples_model *m, int64_t *idx)
{
	size_t n = 0;

	cr_assert_eq(bt_samples_load_first(m), 0);
	while (bt_samples_current(m)) {
		idx[n++] = bt_samples_current(m)->idx;
		cr_assert_leq(m->n, m->max_rows + m->page);
		bt_samples_move(m, 1, 4);
		if (bt_samples_current(m)->idx == idx[n - 1])
			break;
	}
	return n;
}

Test(tui_runs, samples_page_through_every_example_and_filter_wrong_and_failed)
{
	struct bt_samples_model *m;
	int64_t idx[100];
	size_t n, i;

	samples_fixture();
	cr_assert_eq(bt_samples_open(&m, store, 1, "iris"), 0, "%s", bt_error_last());
	m->page = 6;
	m->max_rows = 15;
	n = walk_samples(m, idx);
	cr_assert_eq(n, 57);
	for (i = 0; i < n; i++)
		cr_assert_eq(idx[i], (int64_t)i);
	bt_samples_set_mode(m, BT_SAMPLES_WRONG);
	n = walk_samples(m, idx);
	for (i = 0; i < n; i++)
		cr_assert(idx[i] % 3 == 0 && idx[i] % 11 != 0, "idx %lld is not wrong",
		          (long long)idx[i]);
	cr_assert_eq(bt_samples_count(m), 0);
	cr_assert_eq(m->count, (int64_t)n);
	bt_samples_set_mode(m, BT_SAMPLES_ERRORS);
	n = walk_samples(m, idx);
	cr_assert_eq(n, 6, "0, 11, 22, 33, 44, 55 failed");
	cr_assert_eq(bt_samples_load_last(m), 0);
	cr_assert_eq(bt_samples_current(m)->idx, 55);
	cr_assert_str_eq(bt_samples_current(m)->error, "timeout");
	cr_assert_eq(bt_samples_current(m)->correct, -1);
	bt_samples_free(m);
}

Test(tui_runs, samples_of_a_missing_task_are_not_found)
{
	struct bt_samples_model *m;

	samples_fixture();
	cr_assert_eq(bt_samples_open(&m, store, 1, "nope"), BT_ENOTFOUND);
	cr_assert_null(m);
}
