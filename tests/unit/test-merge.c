/*
 * test-merge.c - importing runs between real databases (ids renumbered,
 * uuids kept, everything that hangs off a run carried, importing twice
 * changing nothing) and combining shards into a run whose samples,
 * confusion matrices and recomputed metrics equal the unsharded run's.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "helpers.h"
#include "merge.h"
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

TestSuite(merge, .init = setup, .fini = teardown);

static struct bt_store *open_db(const char *name)
{
	char *path = bt_path_join(dir, name);
	struct bt_store *s;

	cr_assert_eq(bt_store_open(&s, path, BT_STORE_CREATE), 0, "%s", bt_error_last());
	free(path);
	return s;
}

static void exec_sql(struct bt_store *s, const char *sql)
{
	char *err = NULL;
	cr_assert_eq(sqlite3_exec(bt_store_handle(s), sql, NULL, NULL, &err), SQLITE_OK, "%s: %s",
	             sql, err);
}

static int64_t count(struct bt_store *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	cr_assert_eq(bt_store_prepare(s, &st, sql), 0, "%s", bt_error_last());
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *text(struct bt_store *s, const char *sql)
{
	sqlite3_stmt *st;
	char *v = NULL;

	cr_assert_eq(bt_store_prepare(s, &st, sql), 0, "%s", bt_error_last());
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = bt_xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

/* The outcome of example i of the evaluation the tests shard: a fixed function of i. */
static int label_true(int i)
{
	return (i * 7) % 3;
}

static int label_pred(int i)
{
	return (i % 5 == 0) ? (label_true(i) + 1) % 3 : label_true(i);
}

struct runspec {
	const char *name;
	int shard, nshards; /* nshards 0: unsharded */
	const char *group;
	enum bt_run_status status;
	int skew;          /* shift every idx: makes shards overlap */
	int rotate_labels; /* list the labels in another order in each shard */
};

/*
 * A run of suite 'tabular' with model 'knn' at a fixed commit whose task
 * 'iris' holds examples i (0..59) with i mod nshards == shard: samples,
 * confusion matrix, a param, a tag, metrics and a series.
 */
static int64_t make_run(struct bt_store *s, const struct runspec *sp)
{
	static const char *const names[] = {"a", "b", "c"};
	const char *keys[] = {"k"}, *values[] = {"5"}, *tags[] = {"nightly"};
	struct bt_run r;
	int64_t conf[3][3] = {{0}}, task;
	int ord[3];
	sqlite3_stmt *st;
	struct bt_buf lab = BT_BUF_INIT, cm = BT_BUF_INIT;
	int i, a, b, first = 1;

	memset(&r, 0, sizeof(r));
	r.name = bt_xstrdup(sp->name);
	r.suite = bt_xstrdup("tabular");
	r.suite_hash = bt_xstrdup("h1");
	r.model = bt_xstrdup("knn");
	r.git_sha = bt_xstrdup("0123456789abcdef0123456789abcdef01234567");
	r.git_branch = bt_xstrdup("main");
	r.seed = 7;
	r.has_seed = 1;
	if (sp->nshards) {
		r.shard_index = sp->shard;
		r.shard_count = sp->nshards;
	}
	r.shard_group = sp->group ? bt_xstrdup(sp->group) : NULL;
	cr_assert_eq(bt_run_create(s, &r, NULL, keys, values, 1, tags, 1), 0, "%s",
	             bt_error_last());
	for (i = 0; i < 60; i++) {
		if (sp->nshards && i % sp->nshards != sp->shard)
			continue;
		conf[label_true(i)][label_pred(i)]++;
	}
	bt_buf_putc(&lab, '[');
	bt_buf_putc(&cm, '[');
	/* Labels in each shard's own order (rotated), matrix to match. */
	for (a = 0; a < 3; a++) {
		ord[a] = sp->rotate_labels ? (a + sp->shard) % 3 : a;
	}
	for (a = 0; a < 3; a++) {
		bt_buf_printf(&lab, "%s\"%s\"", first ? "" : ",", names[ord[a]]);
		bt_buf_printf(&cm, "%s[", first ? "" : ",");
		first = 0;
		for (b = 0; b < 3; b++)
			bt_buf_printf(&cm, "%s%lld", b ? "," : "", (long long)conf[ord[a]][ord[b]]);
		bt_buf_putc(&cm, ']');
	}
	bt_buf_putc(&lab, ']');
	bt_buf_putc(&cm, ']');
	cr_assert_eq(
	        bt_store_prepare(s, &st,
	                         "INSERT INTO tasks (run_id, name, type, n_examples, n_errors, "
	                         "labels, confusion, started_at, ended_at) VALUES "
	                         "(?, 'iris', 'classification', ?, 0, ?, ?, 100, 200)"),
	        0);
	sqlite3_bind_int64(st, 1, r.id);
	sqlite3_bind_int(st, 2, sp->nshards ? 60 / sp->nshards : 60);
	sqlite3_bind_text(st, 3, lab.ptr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, cm.ptr, -1, SQLITE_TRANSIENT);
	cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	task = sqlite3_last_insert_rowid(bt_store_handle(s));
	cr_assert_eq(
	        bt_store_prepare(s, &st,
	                         "INSERT INTO samples (task_id, idx, example_id, prediction, "
	                         "target, correct, score, latency) VALUES (?, ?, ?, ?, ?, ?, ?, "
	                         "?)"),
	        0);
	for (i = 0; i < 60; i++) {
		char id[16];
		if (sp->nshards && i % sp->nshards != sp->shard)
			continue;
		snprintf(id, sizeof(id), "ex%d", i);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, task);
		sqlite3_bind_int(st, 2, i + sp->skew);
		sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, names[label_pred(i)], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, names[label_true(i)], -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, label_pred(i) == label_true(i));
		sqlite3_bind_double(st, 7, 1.0 / (i + 3));
		sqlite3_bind_double(st, 8, 0.001 * i);
		cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
	}
	sqlite3_finalize(st);
	{
		struct bt_metric_row m = {"iris", "accuracy", 0.5, 0.4, 0.6, 0.05, 15, 1};
		cr_assert_eq(bt_run_put_metric(s, r.id, &m), 0);
		struct bt_metric_row m2 = {"iris", "f1_macro", 0.45, 0.4, 0.5, 0.02, 15, 1};
		cr_assert_eq(bt_run_put_metric(s, r.id, &m2), 0);
	}
	{
		char *sql = bt_xasprintf("INSERT INTO series (run_id, key, step, value) VALUES "
		                         "(%lld, 'loss', 1, 0.5), (%lld, 'loss', 2, 0.25)",
		                         (long long)r.id, (long long)r.id);
		exec_sql(s, sql);
		free(sql);
	}
	cr_assert_eq(bt_run_finish(s, r.id, sp->status, NULL), 0);
	bt_buf_free(&lab);
	bt_buf_free(&cm);
	{
		int64_t id = r.id;
		bt_run_release(&r);
		return id;
	}
}

static const struct runspec unsharded = {"whole", 0, 0, NULL, BT_RUN_FINISHED, 0, 0};

Test(merge, imports_runs_with_everything_they_hold_under_new_ids)
{
	struct bt_store *src = open_db("src.db"), *dst = open_db("dst.db");
	struct bt_merge_stats st = {0};
	struct runspec running = unsharded;
	char *src_path = bt_path_join(dir, "src.db"), *uuid, *want;
	int64_t a;

	make_run(dst, &unsharded); /* the destination has ids of its own */
	a = make_run(src, &unsharded);
	running.status = BT_RUN_RUNNING;
	make_run(src, &running);
	exec_sql(src, "INSERT INTO commits (sha, summary) VALUES ('0123', 'first')");
	uuid = text(src, "SELECT uuid FROM runs WHERE id = 1");

	cr_assert_eq(bt_merge_import(dst, src_path, &st), 0, "%s", bt_error_last());
	cr_assert_eq(st.imported, 1);
	cr_assert_eq(st.running, 1);
	cr_assert_eq(st.present, 0);
	cr_assert_eq(count(dst, "SELECT count(*) FROM runs"), 2);
	want = bt_xasprintf("SELECT id FROM runs WHERE uuid = '%s'", uuid);
	cr_assert_eq(count(dst, want), 2, "the imported run keeps its uuid under a new id");
	cr_assert_eq(a, 1);
	cr_assert_eq(count(dst, "SELECT count(*) FROM params WHERE run_id = 2 AND key = 'k'"), 1);
	cr_assert_eq(count(dst, "SELECT count(*) FROM tags WHERE run_id = 2"), 1);
	cr_assert_eq(count(dst, "SELECT count(*) FROM series WHERE run_id = 2"), 2);
	cr_assert_eq(count(dst, "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id "
	                        "WHERE t.run_id = 2"),
	             60);
	cr_assert_eq(count(dst, "SELECT count(*) FROM samples"), 120);
	/* Metrics keep their order (rowid order is the order they were reported in). */
	cr_assert_eq(count(dst, "SELECT metric = 'accuracy' FROM metrics WHERE run_id = 2 ORDER "
	                        "BY rowid LIMIT 1"),
	             1);
	cr_assert_eq(count(dst, "SELECT count(*) FROM commits"), 1);
	cr_assert_eq(count(dst, "SELECT status = 'finished' AND seed = 7 AND git_sha LIKE '0123%' "
	                        "FROM runs WHERE id = 2"),
	             1);
	free(want);

	/* Importing again changes nothing. */
	memset(&st, 0, sizeof(st));
	cr_assert_eq(bt_merge_import(dst, src_path, &st), 0, "%s", bt_error_last());
	cr_assert_eq(st.imported, 0);
	cr_assert_eq(st.present, 1);
	cr_assert_eq(count(dst, "SELECT count(*) FROM runs"), 2);
	cr_assert_eq(count(dst, "SELECT count(*) FROM samples"), 120);
	cr_assert_eq(count(dst, "SELECT count(*) FROM series"), 4);
	free(uuid);
	free(src_path);
	bt_store_close(src);
	bt_store_close(dst);
}

Test(merge, refuses_itself_and_files_that_are_not_benchtop_databases)
{
	struct bt_store *dst = open_db("dst.db");
	struct bt_merge_stats st = {0};
	char *self = bt_path_join(dir, "dst.db"), *notes = bt_path_join(dir, "notes.txt");
	char *missing = bt_path_join(dir, "missing.db");
	char before[65], after[65];

	cr_assert_eq(bt_merge_import(dst, self, &st), BT_EINPUT);
	th_write(notes, "not a database\n");
	th_file_sha(notes, before);
	cr_assert_eq(bt_merge_import(dst, notes, &st), BT_EFOREIGN);
	th_file_sha(notes, after);
	cr_assert_str_eq(before, after);
	cr_assert(strstr(bt_error_last(), "notes.txt"), "%s", bt_error_last());
	cr_assert_eq(bt_merge_import(dst, missing, &st), BT_ENOTFOUND);
	/* The attachment is gone after a failure: the store still works. */
	cr_assert_eq(count(dst, "SELECT count(*) FROM runs"), 0);
	free(self);
	free(notes);
	free(missing);
	bt_store_close(dst);
}

/* The stand-in for the harness's recomputation: accuracy = mean of `correct`. */
static int recompute_accuracy(struct bt_store *s, int64_t run, void *payload)
{
	sqlite3_stmt *st;
	struct bt_metric_row m = {"iris", "accuracy", 0, NAN, NAN, NAN, 0, 0};
	int *calls = payload;

	if (calls)
		++*calls;
	cr_assert_eq(bt_store_prepare(s, &st,
	                              "SELECT avg(correct), count(*) FROM samples s JOIN tasks t "
	                              "ON t.id = s.task_id WHERE t.run_id = ? AND t.name = 'iris'"),
	             0);
	sqlite3_bind_int64(st, 1, run);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	m.value = sqlite3_column_double(st, 0);
	m.n = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	return bt_run_put_metric(s, run, &m);
}

static int recompute_fails(struct bt_store *s, int64_t run, void *payload)
{
	BT_UNUSED(s);
	BT_UNUSED(run);
	BT_UNUSED(payload);
	return bt_error_set(BT_EINPUT, "unknown label 'z'");
}

/* Shards 0..3 of group g1 in their own databases, imported into `dst`. */
static void make_shards(struct bt_store *dst, int skip, int rotate_labels)
{
	int k;

	for (k = 0; k < 4; k++) {
		struct runspec sp = {"part", k, 4, "g1", BT_RUN_FINISHED, 0, rotate_labels};
		char name[32];
		struct bt_store *node;
		struct bt_merge_stats st = {0};
		char *path;
		if (k == skip)
			continue;
		snprintf(name, sizeof(name), "node%d.db", k);
		node = open_db(name);
		make_run(node, &sp);
		bt_store_close(node);
		path = bt_path_join(dir, name);
		cr_assert_eq(bt_merge_import(dst, path, &st), 0, "%s", bt_error_last());
		cr_assert_eq(st.imported, 1);
		free(path);
	}
}

static const char samples_of[] =
        "SELECT group_concat(x, ';') FROM (SELECT s.idx || ',' || s.example_id || ',' || "
        "s.prediction || ',' || s.target || ',' || s.correct || ',' || quote(s.score) || ',' || "
        "quote(s.latency) AS x FROM samples s JOIN tasks t ON t.id = s.task_id WHERE "
        "t.run_id = %lld ORDER BY s.idx)";

Test(merge, four_shards_combine_into_the_unsharded_run)
{
	struct bt_store *dst = open_db("all.db");
	struct bt_merge_group *g;
	size_t n;
	int64_t whole, id, again;
	int calls = 0;
	char *sql, *a, *b;

	whole = make_run(dst, &unsharded);
	recompute_accuracy(dst, whole, NULL);
	make_shards(dst, -1, 0);
	cr_assert_eq(bt_merge_groups(dst, &g, &n), 0, "%s", bt_error_last());
	cr_assert_eq(n, 1);
	cr_assert(g[0].complete);
	cr_assert_eq(g[0].shard_count, 4);
	cr_assert_str_eq(g[0].shard_group, "g1");
	cr_assert_str_eq(g[0].params, "{\"k\":\"5\"}");
	cr_assert_eq(g[0].combined, 0);
	cr_assert_eq(bt_merge_combine(dst, &g[0], 0, recompute_accuracy, &calls, &id), 0, "%s",
	             bt_error_last());
	cr_assert_eq(calls, 1);

	/* Samples: the union, equal to the unsharded run's example by example. */
	sql = bt_xasprintf(samples_of, (long long)whole);
	a = text(dst, sql);
	free(sql);
	sql = bt_xasprintf(samples_of, (long long)id);
	b = text(dst, sql);
	free(sql);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
	/* Tasks: counts and the confusion matrix summed. */
	sql = bt_xasprintf("SELECT n_examples || ' ' || labels || ' ' || confusion FROM tasks "
	                   "WHERE run_id = %lld",
	                   (long long)whole);
	a = text(dst, sql);
	free(sql);
	sql = bt_xasprintf("SELECT n_examples || ' ' || labels || ' ' || confusion FROM tasks "
	                   "WHERE run_id = %lld",
	                   (long long)id);
	b = text(dst, sql);
	free(sql);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
	/* Metrics: recomputed from the union, bit for bit. */
	sql = bt_xasprintf("SELECT (SELECT value FROM metrics WHERE run_id = %lld AND metric = "
	                   "'accuracy') = (SELECT value FROM metrics WHERE run_id = %lld AND "
	                   "metric = 'accuracy')",
	                   (long long)whole, (long long)id);
	cr_assert_eq(count(dst, sql), 1);
	free(sql);
	sql = bt_xasprintf("SELECT count(*) FROM metrics WHERE run_id = %lld", (long long)id);
	cr_assert_eq(count(dst, sql), 1, "shard metrics must not be carried over");
	free(sql);
	/* The run: unsharded, finished, the group's uuid and params, the shards' tags. */
	sql = bt_xasprintf("SELECT status = 'finished' AND shard_count IS NULL AND "
	                   "shard_group = 'g1' AND uuid = '%s' AND seed = 7 FROM runs WHERE id = "
	                   "%lld",
	                   g[0].uuid, (long long)id);
	cr_assert_eq(count(dst, sql), 1);
	free(sql);
	sql = bt_xasprintf("SELECT count(*) FROM tags WHERE run_id = %lld AND tag = 'nightly'",
	                   (long long)id);
	cr_assert_eq(count(dst, sql), 1);
	free(sql);
	cr_assert_eq(g[0].uuid[14], '8', "a version-8 uuid: %s", g[0].uuid);
	bt_merge_groups_free(g, n);

	/* The group is now combined; listing it again says so. */
	cr_assert_eq(bt_merge_groups(dst, &g, &n), 0);
	cr_assert_eq(g[0].combined, id);
	bt_merge_groups_free(g, n);

	/* Combining the same shards elsewhere gives the same uuid: importing it is a no-op. */
	{
		struct bt_store *other = open_db("other.db");
		struct bt_merge_stats st = {0};
		char *path = bt_path_join(dir, "all.db");
		cr_assert_eq(bt_merge_import(other, path, &st), 0, "%s", bt_error_last());
		cr_assert_eq(st.imported, 6);
		cr_assert_eq(bt_merge_groups(other, &g, &n), 0);
		cr_assert_eq(n, 1);
		cr_assert_neq(g[0].combined, 0, "the imported combined run is recognised");
		bt_merge_groups_free(g, n);
		bt_store_close(other);
		free(path);
	}
	again = count(dst, "SELECT count(*) FROM runs");
	cr_assert_eq(again, 6);
	bt_store_close(dst);
}

Test(merge, label_sets_that_differ_between_shards_are_united)
{
	struct bt_store *dst = open_db("all.db");
	struct bt_merge_group *g;
	size_t n;
	int64_t whole, id;
	char *a, *b, *sql;

	whole = make_run(dst, &unsharded);
	make_shards(dst, -1, 1);
	cr_assert_eq(bt_merge_groups(dst, &g, &n), 0);
	cr_assert_eq(bt_merge_combine(dst, &g[0], 0, recompute_accuracy, NULL, &id), 0, "%s",
	             bt_error_last());
	sql = bt_xasprintf("SELECT labels || ' ' || confusion FROM tasks WHERE run_id = %lld",
	                   (long long)whole);
	a = text(dst, sql);
	free(sql);
	sql = bt_xasprintf("SELECT labels || ' ' || confusion FROM tasks WHERE run_id = %lld",
	                   (long long)id);
	b = text(dst, sql);
	free(sql);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
	bt_merge_groups_free(g, n);
	bt_store_close(dst);
}

Test(merge, incomplete_and_overlapping_shards_are_not_combined)
{
	struct bt_store *dst = open_db("all.db");
	struct bt_merge_group *g;
	size_t n;
	int64_t id;

	make_shards(dst, 2, 0);
	cr_assert_eq(bt_merge_groups(dst, &g, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_not(g[0].complete);
	cr_assert_eq(g[0].shards[2], 0);
	cr_assert_eq(bt_merge_combine(dst, &g[0], 0, recompute_accuracy, NULL, &id), BT_EINPUT);
	bt_merge_groups_free(g, n);

	/* Shard 2, evaluated twice; the second time with the wrong slice. */
	{
		struct runspec sp = {"part", 2, 4, "g1", BT_RUN_FINISHED, 1, 0};
		make_run(dst, &sp);
	}
	cr_assert_eq(bt_merge_groups(dst, &g, &n), 0);
	cr_assert(g[0].complete);
	cr_assert_eq(bt_merge_combine(dst, &g[0], 0, recompute_accuracy, NULL, &id), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "shards overlap"), "%s", bt_error_last());
	cr_assert_eq(count(dst, "SELECT count(*) FROM runs WHERE shard_count IS NULL"), 0,
	             "a failed combination left a run behind");
	bt_merge_groups_free(g, n);

	/* A later, correct run of shard 2 replaces it. */
	{
		struct runspec sp = {"part", 2, 4, "g1", BT_RUN_FINISHED, 0, 0};
		make_run(dst, &sp);
	}
	cr_assert_eq(bt_merge_groups(dst, &g, &n), 0);
	cr_assert_eq(bt_merge_combine(dst, &g[0], 0, recompute_accuracy, NULL, &id), 0, "%s",
	             bt_error_last());
	bt_merge_groups_free(g, n);
	bt_store_close(dst);
}

Test(merge, other_groups_stay_apart)
{
	struct bt_store *dst = open_db("all.db");
	struct bt_merge_group *g;
	size_t n;
	int k;

	make_shards(dst, -1, 0);
	for (k = 0; k < 4; k++) {
		struct runspec sp = {"part", k, 4, "g2", BT_RUN_FINISHED, 0, 0};
		make_run(dst, &sp);
	}
	/* Another shard count, and a failed shard: neither joins g1. */
	{
		struct runspec two = {"part", 0, 2, "g1", BT_RUN_FINISHED, 0, 0};
		struct runspec failed = {"part", 1, 4, "g1", BT_RUN_FAILED, 0, 0};
		make_run(dst, &two);
		make_run(dst, &failed);
	}
	cr_assert_eq(bt_merge_groups(dst, &g, &n), 0);
	cr_assert_eq(n, 3);
	cr_assert(g[0].complete && g[1].complete && !g[2].complete);
	cr_assert_str_neq(g[0].uuid, g[1].uuid);
	bt_merge_groups_free(g, n);
	bt_store_close(dst);
}

Test(merge, into_an_existing_run_and_failures_of_recomputation)
{
	struct bt_store *dst = open_db("all.db");
	struct bt_merge_group *g;
	struct runspec other = unsharded;
	size_t n;
	int64_t holder, id;

	holder = make_run(dst, &unsharded); /* e.g. a run made to receive the result */
	make_shards(dst, -1, 0);
	cr_assert_eq(bt_merge_groups(dst, &g, &n), 0);

	cr_assert_eq(bt_merge_combine(dst, &g[0], 0, recompute_fails, NULL, &id), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "unknown label 'z'"), "%s", bt_error_last());
	cr_assert_eq(count(dst, "SELECT count(*) FROM runs"), 5, "the failed run was not removed");
	cr_assert_eq(bt_merge_combine(dst, &g[0], 0, NULL, NULL, &id), BT_ERROR);

	cr_assert_eq(bt_merge_combine(dst, &g[0], holder, recompute_accuracy, NULL, &id), 0, "%s",
	             bt_error_last());
	cr_assert_eq(id, holder);
	cr_assert_eq(count(dst, "SELECT count(*) FROM runs"), 5);
	cr_assert_eq(count(dst, "SELECT count(*) FROM metrics WHERE run_id = 1"), 1,
	             "the old metrics of the run were not replaced");
	cr_assert_eq(count(dst, "SELECT count(*) FROM tasks WHERE run_id = 1"), 1);
	cr_assert_eq(count(dst, "SELECT status = 'finished' AND shard_group = 'g1' FROM runs WHERE "
	                        "id = 1"),
	             1);
	cr_assert_eq(bt_merge_combine(dst, &g[0], holder, recompute_fails, NULL, &id), BT_EINPUT);
	cr_assert_eq(count(dst, "SELECT status = 'failed' FROM runs WHERE id = 1"), 1);

	/* A run of another evaluation, or a shard, cannot receive them. */
	other.name = "other";
	holder = make_run(dst, &other);
	exec_sql(dst, "INSERT INTO params (run_id, key, value) VALUES (6, 'k2', 'x')");
	cr_assert_eq(bt_merge_combine(dst, &g[0], holder, recompute_accuracy, NULL, &id),
	             BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "not the same evaluation"), "%s", bt_error_last());
	cr_assert_eq(bt_merge_combine(dst, &g[0], g[0].shards[1], recompute_accuracy, NULL, &id),
	             BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "is itself a shard"), "%s", bt_error_last());
	bt_merge_groups_free(g, n);
	bt_store_close(dst);
}
