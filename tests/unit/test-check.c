/*
 * test-check.c - the regression gate: its decisions and their error rates
 * at the level of a whole candidate (tests, Holm-Bonferroni, min-delta,
 * directions, gates), and choosing candidates and baselines and comparing
 * runs in a real store on a real git repository.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check-report.h"
#include "check.h"
#include "error.h"
#include "git.h"
#include "helpers.h"
#include "run.h"
#include "stats.h"
#include "store.h"
#include "util.h"

static uint64_t rng_state;

static double uniform(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

static double gaussian(void)
{
	double u = uniform(), v = uniform();
	return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static void init_row(struct bt_check_row *r, const char *metric, double base, double cand,
                     int direction)
{
	memset(r, 0, sizeof(*r));
	r->metric = (char *)metric;
	r->task = (char *)"t";
	r->baseline = base;
	r->candidate = cand;
	r->delta = cand - base;
	r->direction = direction;
	r->alpha = 0.01;
	r->ci_low = r->ci_high = r->p_raw = r->p_value = NAN;
}

/* --- decisions ------------------------------------------------------------------- */

/*
 * One simulated candidate: accuracy from paired outcomes (candidate = the
 * baseline with per-example flips), plus three other metrics tested from
 * their intervals with no true difference, decided together.
 */
static int simulate_gate(double q_lose, double q_gain, enum bt_check_verdict *acc_verdict)
{
	signed char a[2000], b[2000];
	struct bt_check_row rows[4];
	long ra = 0, rb = 0;
	int i, any = 0;

	for (i = 0; i < 2000; i++) {
		a[i] = uniform() < 0.8;
		b[i] = a[i];
		if (a[i] && uniform() < q_lose)
			b[i] = 0;
		else if (!a[i] && uniform() < q_gain)
			b[i] = 1;
		ra += a[i];
		rb += b[i];
	}
	init_row(&rows[0], "accuracy", ra / 2000.0, rb / 2000.0, +1);
	bt_check_test_mcnemar(&rows[0], a, b, 2000, 0);
	for (i = 1; i < 4; i++) {
		init_row(&rows[i], i == 2 ? "log_loss" : "f1_macro", 0.7 + 0.01 * gaussian(),
		         0.7 + 0.01 * gaussian(), i == 2 ? -1 : +1);
		bt_check_test_ci(&rows[i], 0.01, 0.01);
	}
	bt_check_decide(rows, 4);
	for (i = 0; i < 4; i++)
		any |= rows[i].verdict == BT_VERDICT_REGRESSED;
	*acc_verdict = rows[0].verdict;
	return any;
}

Test(check, the_gate_flags_at_most_alpha_of_candidates_without_a_true_difference)
{
	const int trials = 3000;
	int t, flagged = 0;
	enum bt_check_verdict v;

	rng_state = 1;
	for (t = 0; t < trials; t++)
		flagged += simulate_gate(0.025, 0.1, &v);
	/* alpha 0.01 plus three standard errors of the observed rate. */
	cr_assert(flagged <= (0.01 + 3 * sqrt(0.01 * 0.99 / trials)) * trials,
	          "flagged %d of %d candidates", flagged, trials);
}

Test(check, the_gate_catches_a_two_point_drop_on_2000_examples)
{
	const int trials = 600;
	int t, caught = 0;
	enum bt_check_verdict v;

	rng_state = 2;
	for (t = 0; t < trials; t++) {
		simulate_gate(0.03, 0.02, &v);
		caught += v == BT_VERDICT_REGRESSED;
	}
	cr_assert(caught >= 0.95 * trials, "caught %d of %d", caught, trials);
}

Test(check, min_delta_and_direction_decide_what_counts)
{
	struct bt_check_row r;

	/* Significant, but smaller than an absolute min-delta. */
	init_row(&r, "accuracy", 0.90, 0.895, +1);
	r.p_raw = 1e-6;
	r.min_delta = 0.01;
	bt_check_decide(&r, 1);
	cr_assert_eq(r.verdict, BT_VERDICT_UNCHANGED);
	r.min_delta = 0.005;
	bt_check_decide(&r, 1);
	cr_assert_eq(r.verdict, BT_VERDICT_REGRESSED);
	/* Relative: 1% of 0.90 is 0.009. */
	r.min_delta = 0.01;
	r.min_delta_relative = 1;
	bt_check_decide(&r, 1);
	cr_assert_eq(r.verdict, BT_VERDICT_UNCHANGED);
	r.min_delta = 0.005;
	bt_check_decide(&r, 1);
	cr_assert_eq(r.verdict, BT_VERDICT_REGRESSED);

	/* Lower is better: a rise in error is a regression, a fall an improvement. */
	init_row(&r, "mae", 1.0, 1.2, -1);
	r.p_raw = 0.001;
	bt_check_decide(&r, 1);
	cr_assert_eq(r.verdict, BT_VERDICT_REGRESSED);
	init_row(&r, "mae", 1.2, 1.0, -1);
	r.p_raw = 0.001;
	bt_check_decide(&r, 1);
	cr_assert_eq(r.verdict, BT_VERDICT_IMPROVED);

	/* Not significant at alpha, or untested: unchanged whatever the effect. */
	init_row(&r, "accuracy", 0.9, 0.5, +1);
	r.p_raw = 0.02;
	bt_check_decide(&r, 1);
	cr_assert_eq(r.verdict, BT_VERDICT_UNCHANGED);
	r.alpha = 0.05;
	bt_check_decide(&r, 1);
	cr_assert_eq(r.verdict, BT_VERDICT_REGRESSED);
	r.p_raw = NAN;
	bt_check_decide(&r, 1);
	cr_assert_eq(r.verdict, BT_VERDICT_UNCHANGED);
}

Test(check, holm_counts_every_metric_tested)
{
	struct bt_check_row r[5];
	int i;

	init_row(&r[0], "accuracy", 0.9, 0.85, +1);
	r[0].p_raw = 0.004;
	bt_check_decide(r, 1);
	cr_assert_eq(r[0].verdict, BT_VERDICT_REGRESSED);
	for (i = 1; i < 5; i++) {
		init_row(&r[i], "f1_macro", 0.9, 0.9, +1);
		r[i].p_raw = 0.5;
	}
	bt_check_decide(r, 5);
	cr_assert(fabs(r[0].p_value - 0.02) < 1e-12, "adjusted %g", r[0].p_value);
	cr_assert_eq(r[0].p_raw, 0.004);
	cr_assert_eq(r[0].verdict, BT_VERDICT_UNCHANGED);
	/* Untested rows are not part of the family. */
	for (i = 1; i < 5; i++)
		r[i].p_raw = NAN;
	bt_check_decide(r, 5);
	cr_assert_eq(r[0].p_value, 0.004);
}

Test(check, tests_report_intervals_in_the_metrics_units)
{
	signed char a[] = {1, 1, 1, 1, 0, 0, 1, -1}, b[] = {0, 0, 1, 1, 0, 1, 1, 1};
	double x[] = {1, 2, 3, 4, 5, 6}, y[] = {1.5, 2.5, 3.5, 4.5, 5.5, 6.5};
	double lat_a[] = {1, 2, 3, 4, 5}, lat_b[] = {6, 7, 8, 9, 10};
	struct bt_check_row r;

	init_row(&r, "accuracy", 5 / 7.0, 5 / 7.0, +1);
	bt_check_test_mcnemar(&r, a, b, 8, 0);
	cr_assert_eq(r.test, BT_TEST_MCNEMAR);
	cr_assert_eq(r.n, 7);
	cr_assert_eq(r.p_raw, bt_stats_mcnemar(2, 1));
	cr_assert(r.ci_low < 0 && r.ci_high > 0 && r.ci_high < 1);
	init_row(&r, "errors", 0, 1, -1);
	bt_check_test_mcnemar(&r, a, b, 8, 1);
	cr_assert(r.ci_high > 1, "an interval in examples, not a rate: %g", r.ci_high);

	init_row(&r, "mae", 3.5, 4.0, -1);
	cr_assert_eq(bt_check_test_bootstrap(&r, x, y, 6, 999, 1, 1), 0);
	cr_assert_eq(r.test, BT_TEST_BOOTSTRAP);
	cr_assert_eq(r.ci_low, 0.5);
	cr_assert_eq(r.ci_high, 0.5);
	cr_assert(fabs(r.p_raw - 2.0 / 1000) < 1e-12);
	cr_assert_eq(bt_check_test_bootstrap(&r, x, y, 6, 999, 1, 0), 0);
	cr_assert(isnan(r.ci_low));

	init_row(&r, "latency_p50", 3, 8, -1);
	bt_check_test_mann_whitney(&r, lat_a, 5, lat_b, 5, NAN, NAN);
	cr_assert_eq(r.test, BT_TEST_MANN_WHITNEY);
	cr_assert(r.p_raw < 0.05);
	cr_assert(isnan(r.ci_low));
	bt_check_test_mann_whitney(&r, lat_a, 5, lat_b, 5, 0.5, 0.5);
	cr_assert(fabs(r.ci_low - (5 - 1.959963984540054 * sqrt(0.5))) < 1e-12);

	init_row(&r, "f1_macro", 0.8, 0.77, +1);
	bt_check_test_ci(&r, 0.01, 0.01);
	cr_assert_eq(r.test, BT_TEST_CI);
	cr_assert(fabs(r.p_raw - 0.03389485352468927) < 1e-12);
	bt_check_test_ci(&r, NAN, 0.01);
	cr_assert_eq(r.test, BT_TEST_NONE);
}

/* --- runs in a store ---------------------------------------------------------------- */

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

TestSuite(db, .init = setup, .fini = teardown);

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
	const char *suite, *model, *hash;
	enum bt_run_status status;
	int dirty, shard;
	const char *tag;
};

static const struct spec plain = {"tabular", "knn", "h1", BT_RUN_FINISHED, 0, 0, NULL};

static int64_t mkrun(const struct spec *sp)
{
	struct bt_git_info git;
	struct bt_run r;
	const char *tags[1];
	int64_t id;

	cr_assert_eq(bt_git_capture(&git, repo), 0);
	git.dirty = sp->dirty;
	memset(&r, 0, sizeof(r));
	r.suite = sp->suite ? bt_xstrdup(sp->suite) : NULL;
	r.model = sp->model ? bt_xstrdup(sp->model) : NULL;
	r.suite_hash = sp->hash ? bt_xstrdup(sp->hash) : NULL;
	if (sp->shard) {
		r.shard_index = 1;
		r.shard_count = 4;
	}
	tags[0] = sp->tag;
	cr_assert_eq(bt_run_create(store, &r, &git, NULL, NULL, 0, tags, sp->tag ? 1 : 0), 0, "%s",
	             bt_error_last());
	if (sp->status != BT_RUN_RUNNING)
		cr_assert_eq(bt_run_finish(store, r.id, sp->status, "boom"), 0);
	id = r.id;
	bt_run_release(&r);
	bt_git_info_release(&git);
	return id;
}

static void put_metric(int64_t run, const char *task, const char *metric, double v, double se)
{
	struct bt_metric_row m = {task,          metric, v,    v - 1.96 * se,
	                          v + 1.96 * se, se,     2000, se == se};
	cr_assert_eq(bt_run_put_metric(store, run, &m), 0, "%s", bt_error_last());
}

static void exec_sql(const char *sql)
{
	char *err = NULL;
	cr_assert_eq(sqlite3_exec(bt_store_handle(store), sql, NULL, NULL, &err), SQLITE_OK, "%s",
	             err);
}

/*
 * Samples for `task` of run `run`: n examples, right with probability
 * `acc` from a stream that `seed` fixes per example (runs with one seed
 * differ only where their accuracies do); score = i/n + shift; latency.
 */
static void put_samples(int64_t run, const char *task, int n, double acc, uint64_t seed,
                        double shift, double latency)
{
	sqlite3_stmt *st;
	int64_t task_id;
	int i;

	cr_assert_eq(bt_store_prepare(store, &st,
	                              "INSERT INTO tasks (run_id, name, type, n_examples) "
	                              "VALUES (?, ?, 'classification', ?)"),
	             0);
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, task, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, n);
	cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	task_id = sqlite3_last_insert_rowid(bt_store_handle(store));
	exec_sql("BEGIN");
	cr_assert_eq(bt_store_prepare(store, &st,
	                              "INSERT INTO samples (task_id, idx, example_id, correct, "
	                              "score, latency) VALUES (?, ?, ?, ?, ?, ?)"),
	             0);
	rng_state = seed;
	for (i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof(id), "ex%d", i);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, task_id);
		sqlite3_bind_int(st, 2, i);
		sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 4, uniform() < acc);
		sqlite3_bind_double(st, 5, (double)i / n + shift);
		sqlite3_bind_double(st, 6, latency * (1 + 0.2 * uniform()));
		cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
	}
	sqlite3_finalize(st);
	exec_sql("COMMIT");
}

static struct bt_check_opts opts(void)
{
	struct bt_check_opts o = {0};
	o.repo_path = repo;
	o.resamples = 2000;
	bt_check_opts_defaults(&o);
	return o;
}

static int64_t baseline_of(struct bt_check_opts *o, int64_t cand_id, int *rc)
{
	struct bt_run cand;
	int64_t out = 0;

	cr_assert_eq(bt_run_load(store, cand_id, &cand), 0);
	*rc = bt_check_baseline(store, o, &cand, &out);
	bt_run_release(&cand);
	return out;
}

Test(db, candidates_are_the_latest_run_of_each_suite_and_model_at_head)
{
	struct bt_check_opts o = opts();
	struct spec sp = plain;
	int64_t *ids, a, b, c, running_id;
	size_t n;
	char head[41], *branch;

	mkrun(&plain); /* at the first commit: not HEAD */
	commit("two");
	mkrun(&plain);
	a = mkrun(&plain);
	sp.model = "logreg";
	sp.status = BT_RUN_FAILED;
	b = mkrun(&sp); /* a failed candidate is still a candidate */
	sp.status = BT_RUN_RUNNING;
	sp.model = "knn";
	running_id = mkrun(&sp); /* running: not yet */
	sp.status = BT_RUN_FINISHED;
	sp.shard = 1;
	mkrun(&sp); /* a shard: only part of an evaluation */
	sp.shard = 0;
	sp.suite = "text";
	c = mkrun(&sp);

	cr_assert_eq(bt_check_candidates(store, &o, &ids, &n, head, &branch), 0, "%s",
	             bt_error_last());
	cr_assert_eq(n, 3);
	cr_assert_eq(ids[0], a);
	cr_assert_eq(ids[1], b);
	cr_assert_eq(ids[2], c);
	cr_assert_eq(strlen(head), 40);
	cr_assert_str_eq(branch, "main");
	free(ids);
	free(branch);

	commit("three");
	cr_assert_eq(bt_check_candidates(store, &o, &ids, &n, head, &branch), BT_ENOTFOUND);
	cr_assert(strstr(bt_error_last(), "no evaluation runs at HEAD"), "%s", bt_error_last());

	{
		const char *refs[] = {"1"};
		char *running = bt_xasprintf("%lld", (long long)running_id);
		o.candidates = refs;
		o.ncandidates = 1;
		cr_assert_eq(bt_check_candidates(store, &o, &ids, &n, head, &branch), 0);
		cr_assert_eq(n, 1);
		cr_assert_eq(ids[0], 1);
		free(ids);
		refs[0] = running;
		cr_assert_eq(bt_check_candidates(store, &o, &ids, &n, head, &branch), BT_EINPUT);
		cr_assert(strstr(bt_error_last(), "still running"), "%s", bt_error_last());
		refs[0] = "999";
		cr_assert_eq(bt_check_candidates(store, &o, &ids, &n, head, &branch), BT_EINPUT);
		free(running);
	}
}

Test(db, the_baseline_is_the_latest_comparable_run_down_the_first_parent_history)
{
	struct bt_check_opts o = opts();
	struct spec sp = plain;
	int64_t base, cand, got;
	int rc;

	base = mkrun(&plain);
	mkrun(&plain);
	base = mkrun(&plain); /* the latest at that commit wins */
	commit("two");
	sp.hash = "h2"; /* other suite data */
	mkrun(&sp);
	sp.hash = "h1";
	sp.dirty = 1; /* a dirty tree is not that commit */
	mkrun(&sp);
	sp.dirty = 0;
	sp.model = "logreg";
	mkrun(&sp);
	sp.model = "knn";
	sp.status = BT_RUN_FAILED;
	mkrun(&sp);
	commit("three"); /* no runs */
	commit("four");
	mkrun(&plain); /* a rerun at the candidate's commit is not a baseline */
	cand = mkrun(&plain);

	got = baseline_of(&o, cand, &rc);
	cr_assert_eq(rc, 0, "%s", bt_error_last());
	cr_assert_eq(got, base);

	/* A side branch's runs are not on the first-parent history. */
	cr_assert_eq(
	        th_sh("cd '%s' && git checkout -q -b side HEAD~3 && git checkout -q main", repo),
	        0);
	sp = plain;
	sp.hash = "h9";
	cand = mkrun(&sp);
	got = baseline_of(&o, cand, &rc);
	cr_assert_eq(rc, BT_ENOTFOUND);
	cr_assert(strstr(bt_error_last(), "no finished run of suite 'tabular' with model 'knn'"),
	          "%s", bt_error_last());
}

Test(db, against_accepts_runs_tags_and_revisions)
{
	struct bt_check_opts o = opts();
	struct spec sp = plain;
	int64_t first, other, tagged, cand, got;
	struct bt_run r;
	char *prefix;
	int rc;

	first = mkrun(&plain);
	sp.model = "logreg";
	other = mkrun(&sp);
	commit("two");
	sp = plain;
	sp.tag = "nightly";
	tagged = mkrun(&sp);
	commit("three");
	cand = mkrun(&plain);

	o.against = "main~2";
	got = baseline_of(&o, cand, &rc);
	cr_assert_eq(rc, 0, "%s", bt_error_last());
	cr_assert_eq(got, first, "took run %lld at main~2, not the knn one", (long long)got);
	o.against = "tag:nightly";
	got = baseline_of(&o, cand, &rc);
	cr_assert_eq(rc, 0, "%s", bt_error_last());
	cr_assert_eq(got, tagged);
	/* A run named by id is that run, whatever its model: an A/B comparison. */
	prefix = bt_xasprintf("%lld", (long long)other);
	o.against = prefix;
	got = baseline_of(&o, cand, &rc);
	cr_assert_eq(rc, 0);
	cr_assert_eq(got, other);
	free(prefix);
	cr_assert_eq(bt_run_load(store, other, &r), 0);
	prefix = bt_xstrndup(r.uuid, 36);
	o.against = prefix;
	got = baseline_of(&o, cand, &rc);
	cr_assert_eq(rc, 0, "%s", bt_error_last());
	cr_assert_eq(got, other);
	free(prefix);
	bt_run_release(&r);

	/* A revision without a comparable run is a missing baseline, not an error. */
	o.against = "HEAD";
	baseline_of(&o, cand, &rc);
	cr_assert_eq(rc, BT_ENOTFOUND);
	o.against = "tag:weekly";
	baseline_of(&o, cand, &rc);
	cr_assert_eq(rc, BT_ENOTFOUND);
	/* A reference to nothing at all is the user's mistake. */
	o.against = "no-such-thing";
	baseline_of(&o, cand, &rc);
	cr_assert_eq(rc, BT_EINPUT);
	o.against = "424242";
	baseline_of(&o, cand, &rc);
	cr_assert_eq(rc, BT_EINPUT);
}

static struct bt_check_report *compare_head(struct bt_check_opts *o)
{
	struct bt_check_report *rep;
	int64_t *ids;
	size_t n;
	char head[41], *branch;

	cr_assert_eq(bt_check_candidates(store, o, &ids, &n, head, &branch), 0, "%s",
	             bt_error_last());
	cr_assert_eq(bt_check_compare(store, o, ids, n, &rep), 0, "%s", bt_error_last());
	free(ids);
	free(branch);
	return rep;
}

static const struct bt_check_row *row_of(const struct bt_check_item *it, const char *metric)
{
	size_t i;

	for (i = 0; i < it->nrows; i++)
		if (strcmp(it->rows[i].metric, metric) == 0)
			return &it->rows[i];
	cr_assert_fail("no row for %s", metric);
	return NULL;
}

Test(db, paired_samples_choose_the_test_and_decide)
{
	struct bt_check_opts o = opts();
	struct bt_check_report *rep;
	const struct bt_check_item *it;
	const struct bt_check_row *r;
	int64_t b, c;

	b = mkrun(&plain);
	put_samples(b, "iris", 2000, 0.90, 5, 0.0, 0.010);
	put_metric(b, "iris", "accuracy", 0.90, 0.0067);
	put_metric(b, "iris", "mrr", 0.50, 0.01);
	put_metric(b, "iris", "latency_p50", 0.011, 0.0005);
	put_metric(b, "iris", "f1_macro", 0.88, 0.01);
	put_metric(b, "iris", "throughput", 900, NAN);
	commit("two");
	c = mkrun(&plain);
	put_samples(c, "iris", 2000, 0.86, 5, -0.05, 0.020);
	put_metric(c, "iris", "accuracy", 0.86, 0.0078);
	put_metric(c, "iris", "mrr", 0.45, 0.01);
	put_metric(c, "iris", "latency_p50", 0.022, 0.0005);
	put_metric(c, "iris", "f1_macro", 0.875, 0.01);
	put_metric(c, "iris", "throughput", 450, NAN);

	/* By default timings are left out... */
	rep = compare_head(&o);
	cr_assert_eq(rep->items[0].nrows, 3);
	bt_check_report_free(rep);
	/* ...and compared when named. */
	{
		static const char *const every[] = {"accuracy", "mrr", "latency_p50", "f1_macro",
		                                    "throughput"};
		o.metrics = every;
		o.nmetrics = 5;
	}
	rep = compare_head(&o);
	cr_assert_eq(rep->n, 1);
	it = &rep->items[0];
	cr_assert_eq(it->outcome, BT_CHECK_COMPARED);
	cr_assert_eq(it->baseline.id, b);
	cr_assert_eq(it->candidate.id, c);
	cr_assert_eq(it->nrows, 4, "throughput has no better direction: not gated");
	r = row_of(it, "accuracy");
	cr_assert_eq(r->test, BT_TEST_MCNEMAR);
	cr_assert_eq(r->n, 2000);
	cr_assert_eq(r->verdict, BT_VERDICT_REGRESSED);
	cr_assert(r->delta < -0.039 && r->delta > -0.041);
	r = row_of(it, "mrr");
	cr_assert_eq(r->test, BT_TEST_BOOTSTRAP);
	cr_assert(fabs(r->ci_low + 0.05) < 1e-9 && fabs(r->ci_high + 0.05) < 1e-9);
	cr_assert_eq(r->verdict, BT_VERDICT_REGRESSED);
	r = row_of(it, "latency_p50");
	cr_assert_eq(r->test, BT_TEST_MANN_WHITNEY);
	cr_assert_eq(r->direction, -1);
	cr_assert_eq(r->verdict, BT_VERDICT_REGRESSED);
	r = row_of(it, "f1_macro");
	cr_assert_eq(r->test, BT_TEST_CI);
	cr_assert_eq(r->verdict, BT_VERDICT_UNCHANGED);
	cr_assert_eq(rep->regressed, 3);
	cr_assert_eq(rep->unchanged, 1);
	bt_check_report_free(rep);

	/* --metric narrows the comparison; TASK/METRIC works too. */
	{
		const char *m[] = {"iris/f1_macro", "mrr"};
		o.metrics = m;
		o.nmetrics = 2;
		rep = compare_head(&o);
		cr_assert_eq(rep->items[0].nrows, 2);
		bt_check_report_free(rep);
	}
}

Test(db, without_samples_on_the_same_examples_the_intervals_decide)
{
	struct bt_check_opts o = opts();
	struct bt_check_report *rep;
	const struct bt_check_row *r;
	int64_t b, c;

	b = mkrun(&plain);
	put_samples(b, "iris", 500, 0.90, 5, 0, 0.01);
	put_metric(b, "iris", "accuracy", 0.90, NAN);
	{
		/* No interval and no samples: the binomial error of a rate. */
		struct bt_metric_row m = {"wine", "accuracy", 0.9, 0, 0, 0, 2000, 0};
		cr_assert_eq(bt_run_put_metric(store, b, &m), 0);
	}
	put_metric(b, "wine", "r2", 0.5, NAN);
	commit("two");
	c = mkrun(&plain);
	put_samples(c, "iris", 400, 0.80, 5, 0, 0.01); /* a --limit run: other examples */
	put_metric(c, "iris", "accuracy", 0.80, NAN);
	{
		struct bt_metric_row m = {"wine", "accuracy", 0.85, 0, 0, 0, 2000, 0};
		cr_assert_eq(bt_run_put_metric(store, c, &m), 0);
	}
	put_metric(c, "wine", "r2", 0.1, NAN);
	rep = compare_head(&o);
	r = row_of(&rep->items[0], "accuracy");
	cr_assert_str_eq(r->task, "iris");
	/* 500 against 400 examples: not paired; the binomial error of each rate. */
	cr_assert_eq(r->test, BT_TEST_CI);
	cr_assert_str_eq(r->note, "no per-example samples on the same examples");
	cr_assert_eq(r->verdict, BT_VERDICT_REGRESSED);
	r = &rep->items[0].rows[1];
	cr_assert_str_eq(r->task, "wine");
	cr_assert_eq(r->test, BT_TEST_CI);
	cr_assert_eq(r->verdict, BT_VERDICT_REGRESSED);
	r = &rep->items[0].rows[2];
	cr_assert_str_eq(r->metric, "r2");
	cr_assert_eq(r->test, BT_TEST_NONE);
	cr_assert_str_eq(r->note, "no samples and no confidence intervals to test with");
	bt_check_report_free(rep);
}

Test(db, failed_candidates_and_missing_baselines_are_reported_not_errors)
{
	struct bt_check_opts o = opts();
	struct bt_check_report *rep;
	struct spec sp = plain;
	char *summary;

	commit("two");
	sp.status = BT_RUN_FAILED;
	mkrun(&sp);
	sp.status = BT_RUN_FINISHED;
	sp.model = "logreg";
	mkrun(&sp);
	rep = compare_head(&o);
	cr_assert_eq(rep->n, 2);
	cr_assert_eq(rep->failed, 1);
	cr_assert_eq(rep->missing, 1);
	cr_assert_eq(rep->items[0].outcome, BT_CHECK_FAILED_RUN);
	cr_assert(strstr(rep->items[0].message, "failed: boom"), "%s", rep->items[0].message);
	cr_assert_eq(rep->items[1].outcome, BT_CHECK_NO_BASELINE);
	summary = bt_check_summary(rep);
	cr_assert_str_eq(summary, "check: FAIL: 0 regressed, 0 improved, 0 unchanged in 0 runs; "
	                          "1 failed run; 1 without a baseline");
	free(summary);
	bt_check_report_free(rep);
}

static const struct bt_gate strict_gate = {(char *)"f1_macro", 0, 0.03, 0, 0.2, {0, 0}};

static const struct bt_gate *gate_for(const struct bt_run *run, const char *task,
                                      const char *metric, void *payload)
{
	BT_UNUSED(run);
	BT_UNUSED(task);
	BT_UNUSED(payload);
	return strcmp(metric, strict_gate.metric) == 0 ? &strict_gate : NULL;
}

Test(db, suite_gates_override_alpha_and_min_delta_per_metric)
{
	struct bt_check_opts o = opts();
	struct bt_check_report *rep;
	const struct bt_check_row *r;
	int64_t b, c;

	b = mkrun(&plain);
	put_metric(b, "iris", "f1_macro", 0.80, 0.01);
	put_metric(b, "iris", "balanced_accuracy", 0.80, 0.01);
	commit("two");
	c = mkrun(&plain);
	put_metric(c, "iris", "f1_macro", 0.765, 0.01);
	put_metric(c, "iris", "balanced_accuracy", 0.765, 0.01);
	o.gate = gate_for;
	rep = compare_head(&o);
	/* p = 0.013 (Holm: 0.026): significant at the gate's 0.2, not at 0.01. */
	r = row_of(&rep->items[0], "f1_macro");
	cr_assert_eq(r->alpha, 0.2);
	cr_assert_eq(r->min_delta, 0.03);
	cr_assert_eq(r->verdict, BT_VERDICT_REGRESSED, "p %g", r->p_value);
	r = row_of(&rep->items[0], "balanced_accuracy");
	cr_assert_eq(r->alpha, 0.01);
	cr_assert_eq(r->verdict, BT_VERDICT_UNCHANGED);
	bt_check_report_free(rep);
}

/* --- reports ------------------------------------------------------------------------- */

Test(db, reports_escape_what_came_from_the_store)
{
	struct bt_check_opts o = opts();
	struct bt_check_report *rep;
	struct bt_buf junit = BT_BUF_INIT, md = BT_BUF_INIT;
	struct spec sp = plain;
	char *text, *body;
	int64_t b, c;

	sp.suite = "a<b>&\"c\"|\033[31m";
	b = mkrun(&sp);
	put_samples(b, "t|<x>", 2000, 0.9, 3, 0, 0.01);
	put_metric(b, "t|<x>", "accuracy", 0.9, 0.006);
	commit("two");
	c = mkrun(&sp);
	put_samples(c, "t|<x>", 2000, 0.8, 3, 0, 0.01);
	put_metric(c, "t|<x>", "accuracy", 0.8, 0.009);
	rep = compare_head(&o);
	cr_assert_eq(rep->regressed, 1);

	bt_check_junit(rep, 1.8e9, &junit);
	cr_assert(strstr(junit.ptr, "<testsuite name=\"a&lt;b&gt;&amp;&quot;c&quot;|^[[31m\""),
	          "%s", junit.ptr);
	cr_assert(strstr(junit.ptr, "name=\"t|&lt;x&gt;/accuracy\""), "%s", junit.ptr);
	cr_assert(strstr(junit.ptr, "<failure message=\"accuracy regressed: 0.9000 -&gt; 0.8000"),
	          "%s", junit.ptr);
	cr_assert(strstr(junit.ptr, "tests=\"1\" failures=\"1\""), "%s", junit.ptr);
	cr_assert_null(strchr(junit.ptr, '\033'));

	bt_check_markdown(rep, &md);
	cr_assert(strstr(md.ptr, "| t\\|\\<x\\> | accuracy | 0.9000 | 0.8000 | -0.1000 |"), "%s",
	          md.ptr);
	cr_assert(strstr(md.ptr, "**regressed**"), "%s", md.ptr);
	cr_assert_null(strchr(md.ptr, '\033'));

	text = bt_check_notify_text(rep, 5);
	cr_assert(strstr(text, "benchtop check: FAIL: 1 regressed"), "%s", text);
	cr_assert(strstr(text, "a&lt;b&gt;&amp;"), "%s", text);
	body = bt_check_notify_body(rep);
	cr_assert(strstr(body, "\"text\":"), "%s", body);
	cr_assert(strstr(body, "\"verdict\":\"regressed\""), "%s", body);
	cr_assert_null(strchr(body, '\033'));
	free(text);
	free(body);
	bt_buf_free(&junit);
	bt_buf_free(&md);
	bt_check_report_free(rep);
}

Test(db, report_files_are_replaced_atomically)
{
	char *path = bt_path_join(dir, "report.xml"), *back, *missing;
	size_t len;
	struct stat st;

	th_write(path, "old contents\n");
	cr_assert_eq(bt_write_file_atomic(path, "new\n", 4), 0, "%s", bt_error_last());
	back = th_read(path, &len);
	cr_assert_str_eq(back, "new\n");
	free(back);
	cr_assert_eq(th_sh("ls '%s' | grep -q tmp", dir), 1, "a temporary file was left behind");
	cr_assert_eq(stat(path, &st), 0);
	missing = bt_path_join(dir, "no/such/dir/r.xml");
	cr_assert_eq(bt_write_file_atomic(missing, "x", 1), BT_EIO);
	cr_assert(strstr(bt_error_last(), "no/such/dir/r.xml"), "%s", bt_error_last());
	free(missing);
	free(path);
}

Test(check, suite_gates_are_found_task_first_then_suite_wide)
{
	struct bt_gate task_gates[] = {{(char *)"accuracy", 0, 0.02, 0, 0.05, {3, 5}}};
	struct bt_gate suite_gates[] = {{(char *)"accuracy", 0, 0.01, 0, NAN, {9, 3}},
	                                {(char *)"wine/log_loss", -1, NAN, 0, 0.1, {10, 3}}};
	struct bt_task_spec tasks[2];
	struct bt_suite suite;

	memset(tasks, 0, sizeof(tasks));
	memset(&suite, 0, sizeof(suite));
	tasks[0].name = (char *)"iris";
	tasks[0].gates = task_gates;
	tasks[0].n_gates = 1;
	tasks[1].name = (char *)"wine";
	suite.tasks = tasks;
	suite.ntasks = 2;
	suite.gates = suite_gates;
	suite.n_gates = 2;
	cr_assert_eq(bt_check_suite_gate(&suite, "iris", "accuracy"), &task_gates[0]);
	cr_assert_eq(bt_check_suite_gate(&suite, "wine", "accuracy"), &suite_gates[0]);
	cr_assert_eq(bt_check_suite_gate(&suite, "wine", "log_loss"), &suite_gates[1]);
	cr_assert_null(bt_check_suite_gate(&suite, "iris", "log_loss"));
	cr_assert_null(bt_check_suite_gate(&suite, "iris", "f1_macro"));
	cr_assert_null(bt_check_suite_gate(NULL, "iris", "accuracy"));
}
