/*
 * sqlite-limit.c - the rate at which this machine inserts benchtop's sample
 * rows into SQLite with nothing else to do: the ceiling for the harness.
 *
 *   sqlite-limit DB N [BATCH]
 *
 * Creates DB with benchtop's real schema (the embedded migrations, so the
 * table, keys and pragmas are the ones the harness writes to), then inserts
 * N sample rows shaped like the harness benchmark's (id "e<i>", predicted
 * and target labels, correct, latency) with one prepared statement and one
 * transaction per BATCH rows (default 1000, the harness's commit size).
 * Prints rows per second.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct bt_store *s;
	sqlite3_stmt *st;
	long n, batch, i;
	double t0, dt;
	int64_t task;

	if (argc < 3) {
		fprintf(stderr, "usage: sqlite-limit DB N [BATCH]\n");
		return 2;
	}
	n = atol(argv[2]);
	batch = argc > 3 ? atol(argv[3]) : 1000;
	remove(argv[1]);
	if (bt_store_open(&s, argv[1], BT_STORE_CREATE)) {
		fprintf(stderr, "sqlite-limit: %s\n", bt_error_last());
		return 1;
	}
	sqlite3_exec(bt_store_handle(s),
		     "INSERT INTO runs (uuid, kind, started_at) VALUES ('bench', 'eval', 0);"
		     "INSERT INTO tasks (run_id, name, type) VALUES (1, 't', 'classification');",
		     NULL, NULL, NULL);
	task = sqlite3_last_insert_rowid(bt_store_handle(s));
	if (bt_store_prepare(s, &st,
			     "INSERT INTO samples (task_id, idx, example_id, prediction, target, "
			     "correct, score, latency, error, detail) "
			     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"))
		if (bt_store_prepare(s, &st,
				     "INSERT INTO samples (task_id, idx, example_id, prediction, "
				     "target, correct, score, latency, error) "
				     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
			fprintf(stderr, "sqlite-limit: %s\n", bt_error_last());
			return 1;
		}
	t0 = bt_monotonic();
	for (i = 0; i < n; i++) {
		char id[32];
		int len = snprintf(id, sizeof(id), "e%ld", i);
		if (i % batch == 0)
			bt_store_begin(s);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, task);
		sqlite3_bind_int64(st, 2, i);
		sqlite3_bind_text(st, 3, id, len, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, "a", 1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, (i & 1) ? "a" : "b", 1, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, (i & 1) != 0);
		sqlite3_bind_null(st, 7);
		sqlite3_bind_double(st, 8, 1e-7);
		sqlite3_bind_null(st, 9);
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "sqlite-limit: %s\n", sqlite3_errmsg(bt_store_handle(s)));
			return 1;
		}
		if (i % batch == batch - 1 || i == n - 1)
			bt_store_commit(s);
	}
	dt = bt_monotonic() - t0;
	sqlite3_finalize(st);
	bt_store_close(s);
	printf("%.0f\n", (double)n / dt);
	return 0;
}
