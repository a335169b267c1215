/*
 * test-tui-compare.c - the compare view's model on real databases: which
 * paired test each metric gets, Holm-adjusted significance by direction,
 * flipped examples joined on task name and index, and param differences;
 * and the commits view's model on a real git repository.
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
#include "stats.h"
#include "store.h"
#include "tui/model-commits.h"
#include "tui/model-compare.h"
#include "util.h"

static char *dir;
static struct bt_store *store;

static void exec_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void exec_sql(const char *fmt, ...)
{
	struct bt_buf b = BT_BUF_INIT;
	char *err = NULL;
	va_list ap;

	va_start(ap, fmt);
	bt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	cr_assert_eq(sqlite3_exec(bt_store_handle(store), b.ptr, NULL, NULL, &err), SQLITE_OK,
	             "%s: %s", b.ptr, err ? err : "");
	bt_buf_free(&b);
}

static void setup(void)
{
	char *path;

	dir = th_tmpdir();
	path = bt_path_join(dir, "t.db");
	cr_assert_eq(bt_store_open(&store, path, BT_STORE_CREATE), 0, "%s", bt_error_last());
	free(path);
}

static void teardown(void)
{
	bt_store_close(store);
	th_rm_rf(dir);
	free(dir);
}

TestSuite(tui_compare, .init = setup, .fini = teardown);

static int64_t make_run(const char *model, const char *k)
{
	const char *keys[] = {"k", "lr"}, *values[] = {k, "0.1"};
	struct bt_run r;
	int64_t id;

	memset(&r, 0, sizeof(r));
	r.model = bt_xstrdup(model);
	r.suite = bt_xstrdup("tabular");
	cr_assert_eq(bt_run_create(store, &r, NULL, keys, values, 2, NULL, 0), 0, "%s",
	             bt_error_last());
	cr_assert_eq(bt_run_finish(store, r.id, BT_RUN_FINISHED, NULL), 0);
	id = r.id;
	bt_run_release(&r);
	return id;
}

/*
 * A classification task of n examples, right where idx % 10 < right_of_10;
 * its accuracy and an f1_macro with a standard error; and a regression
 * task whose per-example score (absolute error) is `err` everywhere but
 * idx 0, and its mae.
 */
static void add_tasks(int64_t run, int n, int right_of_10, double f1, double err)
{
	exec_sql("INSERT INTO tasks (run_id, name, type, n_examples) VALUES (%lld, 'iris', "
	         "'classification', %d)",
	         (long long)run, n);
	exec_sql("WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i WHERE x < %d) "
	         "INSERT INTO samples (task_id, idx, example_id, prediction, target, correct) "
	         "SELECT (SELECT id FROM tasks WHERE run_id = %lld AND name = 'iris'), x, 'ex' || "
	         "x, CASE WHEN x %% 10 < %d THEN 'yes' ELSE 'no' END, 'yes', x %% 10 < %d FROM i",
	         n - 1, (long long)run, right_of_10, right_of_10);
	exec_sql("INSERT INTO metrics (run_id, task, metric, value, stderr, n) VALUES (%lld, "
	         "'iris', 'accuracy', %g, NULL, %d), (%lld, 'iris', 'f1_macro', %g, 0.01, %d)",
	         (long long)run, right_of_10 / 10.0, n, (long long)run, f1, n);
	exec_sql("INSERT INTO tasks (run_id, name, type, n_examples) VALUES (%lld, 'reg', "
	         "'regression', %d)",
	         (long long)run, n);
	exec_sql("WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i WHERE x < %d) "
	         "INSERT INTO samples (task_id, idx, example_id, prediction, target, score) SELECT "
	         "(SELECT id FROM tasks WHERE run_id = %lld AND name = 'reg'), x, 'r' || x, '1', "
	         "'1', CASE WHEN x = 0 THEN 0 ELSE %g END FROM i",
	         n - 1, (long long)run, err);
	exec_sql("INSERT INTO metrics (run_id, task, metric, value, n) VALUES (%lld, 'reg', 'mae', "
	         "%g, %d)",
	         (long long)run, err * (n - 1) / n, n);
}

static const struct bt_cmp_metric *metric(const struct bt_compare *c, const char *task,
                                          const char *name)
{
	size_t i;

	for (i = 0; i < c->nmetrics; i++)
		if (!strcmp(c->metrics[i].task, task) && !strcmp(c->metrics[i].metric, name))
			return &c->metrics[i];
	cr_assert_fail("no metric %s/%s", task, name);
	return NULL;
}

Test(tui_compare, accuracy_gets_mcnemar_on_the_paired_examples)
{
	int64_t ids[2];
	struct bt_compare *c;
	const struct bt_cmp_metric *m;
	double raw[3];

	ids[0] = make_run("knn", "5");
	ids[1] = make_run("logreg", "7");
	add_tasks(ids[0], 100, 7, 0.70, 1.0);
	add_tasks(ids[1], 100, 9, 0.71, 0.5);
	cr_assert_eq(bt_compare_load(&c, store, ids, 2, 1000), 0, "%s", bt_error_last());

	m = metric(c, "iris", "accuracy");
	cr_assert_eq(m->test[1], BT_TEST_MCNEMAR);
	cr_assert_eq(m->pairs[1], 100);
	cr_assert_float_eq(m->delta[1], 0.2, 1e-9);
	/* B fixed 20 examples and broke none; Holm over the run's three tests. */
	raw[0] = bt_stats_mcnemar(0, 20);
	raw[1] = bt_stats_ci_test(0.70, 0.01, 0.71, 0.01);
	cr_assert_lt(metric(c, "reg", "mae")->p[1], 0.05);
	cr_assert_float_eq(m->p[1], fmin(1, 3 * raw[0]), 1e-12, "Holm: the smallest p times 3");
	cr_assert_eq(m->sig[1], 1, "higher accuracy is better");

	m = metric(c, "iris", "f1_macro");
	cr_assert_eq(m->test[1], BT_TEST_CI, "f1_macro is not a mean of paired outcomes");
	cr_assert_float_eq(m->p[1], fmin(1, raw[1]), 1e-9, "the largest p stays (Holm)");
	cr_assert_eq(m->sig[1], 0, "0.70 vs 0.71 with se 0.01 is noise");

	m = metric(c, "reg", "mae");
	cr_assert_eq(m->test[1], BT_TEST_BOOTSTRAP);
	cr_assert_lt(m->delta[1], 0);
	cr_assert_eq(m->sig[1], 1, "a lower mae is better");
	bt_compare_free(c);
}

Test(tui_compare, flipped_examples_are_joined_on_task_and_index)
{
	int64_t ids[2];
	struct bt_compare *c;
	size_t i;

	ids[0] = make_run("knn", "5");
	ids[1] = make_run("logreg", "7");
	add_tasks(ids[0], 100, 7, 0.7, 1.0);
	add_tasks(ids[1], 100, 9, 0.9, 1.0);
	cr_assert_eq(bt_compare_load(&c, store, ids, 2, 5), 0);
	cr_assert_eq(c->flips_total[1], 20);
	cr_assert_eq(c->flips_fixed[1], 20);
	cr_assert_eq(c->nflips, 5, "only max_flips are kept, all are counted");
	for (i = 0; i < c->nflips; i++) {
		const struct bt_cmp_flip *f = &c->flips[i];
		cr_assert_str_eq(f->task, "iris");
		cr_assert(f->idx % 10 == 7 || f->idx % 10 == 8);
		cr_assert_eq(f->correct_base, 0);
		cr_assert_eq(f->correct_other, 1);
		cr_assert_str_eq(f->pred_base, "no");
		cr_assert_str_eq(f->pred_other, "yes");
		cr_assert_str_eq(f->target, "yes");
	}
	cr_assert_eq(c->flips[0].idx, 7);
	bt_compare_free(c);
}

Test(tui_compare, different_examples_are_not_paired)
{
	int64_t ids[2];
	struct bt_compare *c;
	const struct bt_cmp_metric *m;

	ids[0] = make_run("knn", "5");
	ids[1] = make_run("logreg", "5");
	add_tasks(ids[0], 100, 7, 0.7, 1.0);
	add_tasks(ids[1], 60, 9, 0.9, 1.0); /* a subset: not the same examples */
	cr_assert_eq(bt_compare_load(&c, store, ids, 2, 100), 0);
	m = metric(c, "iris", "accuracy");
	cr_assert_eq(m->test[1], BT_TEST_NONE, "no paired test and no standard errors");
	cr_assert(isnan(m->p[1]));
	cr_assert_eq(m->sig[1], 0, "untested is never significant");
	bt_compare_free(c);
}

Test(tui_compare, params_that_differ_are_flagged)
{
	int64_t ids[3];
	struct bt_compare *c;
	size_t i;
	int seen = 0;

	ids[0] = make_run("knn", "5");
	ids[1] = make_run("knn", "5");
	ids[2] = make_run("knn", "9");
	cr_assert_eq(bt_compare_load(&c, store, ids, 3, 10), 0);
	cr_assert_eq(c->nparams, 2);
	for (i = 0; i < c->nparams; i++) {
		if (!strcmp(c->params[i].key, "k")) {
			cr_assert(c->params[i].differs);
			cr_assert_str_eq(c->params[i].value[2], "9");
			seen++;
		} else {
			cr_assert_not(c->params[i].differs, "lr is 0.1 everywhere");
		}
	}
	cr_assert_eq(seen, 1);
	cr_assert_eq(c->runs[2].id, ids[2]);
	bt_compare_free(c);
}

Test(tui_compare, one_run_is_not_a_comparison)
{
	int64_t id = make_run("knn", "5");
	struct bt_compare *c;

	cr_assert_eq(bt_compare_load(&c, store, &id, 1, 10), BT_EUSAGE);
	cr_assert_null(c);
}

/* --- commits ------------------------------------------------------------------------ */

static int64_t run_at(const char *sha, double value, double se, double started)
{
	int64_t id;
	struct bt_run r;
	struct bt_git_info g;

	memset(&r, 0, sizeof(r));
	memset(&g, 0, sizeof(g));
	snprintf(g.sha, sizeof(g.sha), "%s", sha);
	r.model = bt_xstrdup("knn");
	r.suite = bt_xstrdup("tabular");
	r.started_at = started;
	cr_assert_eq(bt_run_create(store, &r, &g, NULL, NULL, 0, NULL, 0), 0, "%s",
	             bt_error_last());
	cr_assert_eq(bt_run_finish(store, r.id, BT_RUN_FINISHED, NULL), 0);
	exec_sql("INSERT INTO metrics (run_id, task, metric, value, ci_low, ci_high, stderr, n) "
	         "VALUES (%lld, 'iris', 'accuracy', %g, %g, %g, %g, 1000)",
	         (long long)r.id, value, value - 2 * se, value + 2 * se, se);
	id = r.id;
	bt_run_release(&r);
	return id;
}

Test(tui_compare, commits_count_runs_and_badge_a_regression)
{
	char *repo = bt_path_join(dir, "repo");
	char sha[12][41];
	struct bt_commits_model *m;
	int i;

	th_git_init(repo);
	for (i = 0; i < 11; i++) {
		char *f = bt_xasprintf("%s/f%d", repo, i);
		th_write(f, "x\n");
		th_git_commit(repo, "change");
		free(f);
	}
	cr_assert_eq(bt_git_resolve(sha[0], repo, "HEAD"), 0);
	for (i = 1; i < 12; i++) {
		char rev[16];
		snprintf(rev, sizeof(rev), "HEAD~%d", i);
		cr_assert_eq(bt_git_resolve(sha[i], repo, rev), 0);
	}
	/* Steady at 0.90 for the six oldest commits, then a drop to 0.80 from HEAD~5 on. */
	for (i = 11; i >= 0; i--)
		if (i != 3) /* HEAD~3 has no run */
			run_at(sha[i], i >= 6 ? 0.90 : 0.80, 0.005, 1000 + (12 - i));
	run_at(sha[0], 0.80, 0.005, 2000);
	cr_assert_eq(bt_commits_load(&m, store, repo, 50), 0, "%s", bt_error_last());
	cr_assert_eq(m->n, 12);
	cr_assert_str_eq(m->rows[0].sha, sha[0]);
	cr_assert_eq(m->rows[0].runs, 2);
	cr_assert_eq(m->rows[3].runs, 0);
	cr_assert_eq(m->rows[5].runs, 1);
	cr_assert_eq(m->nmetrics, 1);
	cr_assert_str_eq(m->metrics[0], "accuracy");
	for (i = 0; i < 12; i++) {
		if (i == 5) {
			cr_assert_eq(m->rows[i].nbadges, 1, "the drop is badged at HEAD~5");
			cr_assert(m->rows[i].regressed);
			cr_assert(m->rows[i].badges[0].worse);
			cr_assert_float_eq(m->rows[i].badges[0].from, 0.90, 1e-9);
			cr_assert_float_eq(m->rows[i].badges[0].to, 0.80, 1e-9);
			cr_assert_not_null(
			        strstr(m->rows[i].badges[0].what, "accuracy (knn on tabular)"));
		} else {
			cr_assert_eq(m->rows[i].nbadges, 0, "no badge at HEAD~%d", i);
		}
	}
	bt_commits_free(m);
	cr_assert_eq(bt_commits_load(&m, store, NULL, 50), BT_ENOTFOUND);
	free(repo);
}
