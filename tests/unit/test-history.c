/*
 * test-history.c - a metric along the first-parent history, on a real git
 * repository with runs made at its commits in a real store.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "git.h"
#include "helpers.h"
#include "history.h"
#include "run.h"
#include "store.h"
#include "util.h"

static char *dir, *repo, *dbpath;
static struct bt_store *store;
static int file_no;

static void setup(void)
{
	dir = th_tmpdir();
	repo = bt_path_join(dir, "repo");
	dbpath = bt_path_join(dir, "b.db");
	th_git_init(repo);
	cr_assert_eq(bt_store_open(&store, dbpath, BT_STORE_CREATE), 0, "%s", bt_error_last());
	file_no = 0;
}

static void teardown(void)
{
	bt_store_close(store);
	th_rm_rf(dir);
	free(dir);
	free(repo);
	free(dbpath);
}

TestSuite(history, .init = setup, .fini = teardown);

static void commit(const char *msg)
{
	char name[32];
	char *path;

	snprintf(name, sizeof(name), "f%d.txt", ++file_no);
	path = bt_path_join(repo, name);
	th_write(path, msg);
	free(path);
	th_git_commit(repo, msg);
}

struct spec {
	const char *suite, *model;
	const char *task;
	double value, se; /* se NaN: no interval */
	enum bt_run_status status;
	int dirty, shard;
	double started;
};

/* A run at the repository's HEAD. */
static int64_t mkrun(const struct spec *sp)
{
	struct bt_git_info git;
	struct bt_run r;
	struct bt_metric_row m = {0};
	int64_t id;

	cr_assert_eq(bt_git_capture(&git, repo), 0, "%s", bt_error_last());
	git.dirty = sp->dirty;
	memset(&r, 0, sizeof(r));
	r.suite = bt_xstrdup(sp->suite ? sp->suite : "tabular");
	r.model = bt_xstrdup(sp->model ? sp->model : "knn");
	r.started_at = sp->started;
	if (sp->shard) {
		r.shard_index = 0;
		r.shard_count = 2;
	}
	cr_assert_eq(bt_run_create(store, &r, &git, NULL, NULL, 0, NULL, 0), 0, "%s",
	             bt_error_last());
	m.task = sp->task ? sp->task : "iris";
	m.metric = "accuracy";
	m.value = sp->value;
	m.n = 2000;
	if (sp->se == sp->se) {
		m.has_ci = 1;
		m.stderr_ = sp->se;
		m.ci_low = sp->value - 1.96 * sp->se;
		m.ci_high = sp->value + 1.96 * sp->se;
	}
	cr_assert_eq(bt_run_put_metric(store, r.id, &m), 0, "%s", bt_error_last());
	cr_assert_eq(bt_run_finish(store, r.id, sp->status, NULL), 0);
	id = r.id;
	bt_run_release(&r);
	bt_git_info_release(&git);
	return id;
}

static int64_t simple(double value)
{
	struct spec sp = {NULL, NULL, NULL, value, 0.005, BT_RUN_FINISHED, 0, 0, 0};
	return mkrun(&sp);
}

Test(history, one_point_per_commit_newest_first_with_gaps_and_the_latest_run)
{
	struct bt_history_query q = {"accuracy", NULL, NULL, NULL, NULL, 0};
	struct bt_history_point *p;
	size_t n;
	int64_t first, second;
	char head[41];

	simple(0.90); /* at "first" */
	commit("two");
	commit("three"); /* no run: a gap at "two" */
	first = simple(0.91);
	second = simple(0.92);
	{
		struct spec sp = {NULL, NULL, NULL, 0.10, 0.005, BT_RUN_FAILED, 0, 0, 0};
		mkrun(&sp); /* failed runs never count */
	}
	cr_assert_eq(bt_history_load(store, repo, &q, &p, &n), 0, "%s", bt_error_last());
	cr_assert_eq(n, 3);
	cr_assert_eq(bt_git_resolve(head, repo, "HEAD"), 0);
	cr_assert_str_eq(p[0].sha, head);
	cr_assert_str_eq(p[0].summary, "three");
	cr_assert_str_eq(p[1].summary, "two");
	cr_assert_str_eq(p[2].summary, "first");
	cr_assert(p[0].has_value);
	cr_assert_eq(p[0].run_id, second, "took run %lld, not the latest %lld",
	             (long long)p[0].run_id, (long long)second);
	cr_assert_neq(p[0].run_id, first);
	cr_assert_eq(p[0].n_runs, 2);
	cr_assert_eq(p[0].value, 0.92);
	cr_assert_eq(p[0].se, 0.005);
	cr_assert(fabs(p[0].ci_low - (0.92 - 1.96 * 0.005)) < 1e-12);
	cr_assert_not(p[1].has_value);
	cr_assert(isnan(p[1].value));
	cr_assert_eq(p[1].n_runs, 0);
	cr_assert_eq(p[2].value, 0.90);
	cr_assert_gt(p[2].author_time, 0);
	bt_history_free(p, n);
}

Test(history, the_commit_that_degrades_the_metric_is_a_change_point)
{
	struct bt_history_query q = {"accuracy", "iris", "tabular", "knn", NULL, 0};
	struct bt_history_point *p;
	size_t n, i, marked = 0;
	char bad[41];

	simple(0.90);
	for (i = 0; i < 4; i++) {
		commit("fine");
		simple(0.90 + (i % 2 ? 0.002 : -0.002));
	}
	commit("degrade the model");
	cr_assert_eq(bt_git_resolve(bad, repo, "HEAD"), 0);
	simple(0.85);
	for (i = 0; i < 3; i++) {
		commit("after");
		simple(0.85 + (i % 2 ? 0.002 : -0.002));
	}
	cr_assert_eq(bt_history_load(store, repo, &q, &p, &n), 0, "%s", bt_error_last());
	cr_assert_eq(n, 9);
	for (i = 0; i < n; i++) {
		if (p[i].change_point) {
			marked++;
			cr_assert_str_eq(p[i].sha, bad, "marked '%s'", p[i].summary);
		}
	}
	cr_assert_eq(marked, 1);
	bt_history_free(p, n);
}

Test(history, filters_by_suite_model_and_task_and_averages_tasks)
{
	struct bt_history_query q = {"accuracy", NULL, NULL, NULL, NULL, 0};
	struct bt_history_point *p;
	size_t n;
	int64_t id;

	{
		struct spec sp = {"tabular", "knn", "iris", 0.9, 0.01, BT_RUN_FINISHED, 0, 0, 0};
		id = mkrun(&sp);
		struct bt_metric_row m = {"wine",       "accuracy", 0.7, 0.7 - 0.0392,
		                          0.7 + 0.0392, 0.02,       100, 1};
		cr_assert_eq(bt_run_put_metric(store, id, &m), 0);
	}
	{
		struct spec sp = {"tabular",       "logreg", "iris", 0.5, 0.01,
		                  BT_RUN_FINISHED, 0,        0,      10};
		mkrun(&sp); /* older, another model */
	}
	q.model = "knn";
	cr_assert_eq(bt_history_load(store, repo, &q, &p, &n), 0, "%s", bt_error_last());
	cr_assert_eq(n, 1);
	cr_assert_eq(p[0].run_id, id);
	cr_assert_eq(p[0].n_tasks, 2);
	cr_assert(fabs(p[0].value - 0.8) < 1e-12, "mean over tasks %g", p[0].value);
	cr_assert(fabs(p[0].se - sqrt(0.01 * 0.01 + 0.02 * 0.02) / 2) < 1e-12, "se %g", p[0].se);
	bt_history_free(p, n);

	q.task = "wine";
	cr_assert_eq(bt_history_load(store, repo, &q, &p, &n), 0);
	cr_assert_eq(p[0].n_tasks, 1);
	cr_assert_eq(p[0].value, 0.7);
	cr_assert_eq(p[0].se, 0.02);
	bt_history_free(p, n);

	q.model = "logreg";
	cr_assert_eq(bt_history_load(store, repo, &q, &p, &n), 0);
	cr_assert_not(p[0].has_value, "logreg has no 'wine' task");
	bt_history_free(p, n);

	q.task = NULL;
	q.suite = "text";
	cr_assert_eq(bt_history_load(store, repo, &q, &p, &n), 0);
	cr_assert_not(p[0].has_value);
	bt_history_free(p, n);

	q.suite = NULL;
	q.metric = "f1_macro";
	cr_assert_eq(bt_history_load(store, repo, &q, &p, &n), 0);
	cr_assert_not(p[0].has_value);
	bt_history_free(p, n);
}

Test(history, dirty_runs_and_single_shards_do_not_represent_a_commit)
{
	struct bt_history_query q = {"accuracy", NULL, NULL, NULL, NULL, 0};
	struct bt_history_point *p;
	size_t n;
	int64_t clean;

	clean = simple(0.9);
	{
		struct spec sp = {NULL, NULL, NULL, 0.2, 0.01, BT_RUN_FINISHED, 1, 0, 0};
		mkrun(&sp);
		struct spec sh = {NULL, NULL, NULL, 0.3, 0.01, BT_RUN_FINISHED, 0, 1, 0};
		mkrun(&sh);
	}
	cr_assert_eq(bt_history_load(store, repo, &q, &p, &n), 0);
	cr_assert_eq(p[0].run_id, clean);
	cr_assert_eq(p[0].n_runs, 1);
	bt_history_free(p, n);
}

Test(history, walks_from_a_revision_and_stops_at_the_limit)
{
	struct bt_history_query q = {"accuracy", NULL, NULL, NULL, "HEAD~1", 2};
	struct bt_history_point *p;
	size_t n;

	commit("b");
	commit("c");
	commit("d");
	cr_assert_eq(bt_history_load(store, repo, &q, &p, &n), 0, "%s", bt_error_last());
	cr_assert_eq(n, 2);
	cr_assert_str_eq(p[0].summary, "c");
	cr_assert_str_eq(p[1].summary, "b");
	bt_history_free(p, n);

	q.start = "no-such-branch";
	cr_assert_eq(bt_history_load(store, repo, &q, &p, &n), BT_ENOTFOUND);
	cr_assert_null(p);
	q.start = NULL;
	cr_assert_eq(bt_history_load(store, dir, &q, &p, &n), BT_ENOTFOUND);
	q.metric = NULL;
	cr_assert_eq(bt_history_load(store, repo, &q, &p, &n), BT_EUSAGE);
}
