/*
 * check.c - the regression gate (see check.h): choosing candidates and
 * baselines, loading metrics and per-example samples, testing and
 * deciding.  Reads the store and the repository; writes neither.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "git.h"
#include "metrics.h"
#include "runref.h"
#include "stats.h"
#include "util.h"

#define Z95 1.959963984540054

const char *bt_check_verdict_name(enum bt_check_verdict v)
{
	switch (v) {
	case BT_VERDICT_IMPROVED:
		return "improved";
	case BT_VERDICT_REGRESSED:
		return "regressed";
	case BT_VERDICT_UNCHANGED:
		break;
	}
	return "unchanged";
}

const char *bt_check_test_name(enum bt_check_test t)
{
	switch (t) {
	case BT_TEST_MCNEMAR:
		return "mcnemar";
	case BT_TEST_BOOTSTRAP:
		return "bootstrap";
	case BT_TEST_MANN_WHITNEY:
		return "mann-whitney";
	case BT_TEST_CI:
		return "ci";
	case BT_TEST_NONE:
		break;
	}
	return "none";
}

void bt_check_opts_defaults(struct bt_check_opts *o)
{
	if (!(o->alpha > 0))
		o->alpha = 0.01;
	if (!(o->min_delta >= 0))
		o->min_delta = 0;
	if (o->resamples <= 0)
		o->resamples = 10000;
}

/* --- the tests ------------------------------------------------------------------ */

void bt_check_test_mcnemar(struct bt_check_row *row, const signed char *base,
                           const signed char *cand, size_t n, int as_count)
{
	uint64_t lost = 0, gained = 0;
	size_t m = 0, i;
	double d, var, scale;

	for (i = 0; i < n; i++) {
		if (base[i] < 0 || cand[i] < 0)
			continue;
		m++;
		lost += base[i] && !cand[i];
		gained += !base[i] && cand[i];
	}
	row->test = BT_TEST_MCNEMAR;
	row->n = m;
	row->p_raw = bt_stats_mcnemar(lost, gained);
	if (!m) {
		row->ci_low = row->ci_high = NAN;
		return;
	}
	/* The paired difference and its Wald interval, in counts, then scaled. */
	d = (double)gained - (double)lost;
	var = ((double)gained + (double)lost) - d * d / (double)m;
	if (var < 0)
		var = 0;
	scale = as_count ? 1 : 1 / (double)m;
	row->ci_low = (d - Z95 * sqrt(var)) * scale;
	row->ci_high = (d + Z95 * sqrt(var)) * scale;
}

int bt_check_test_bootstrap(struct bt_check_row *row, const double *base, const double *cand,
                            size_t n, int resamples, uint64_t seed, int with_ci)
{
	struct bt_paired_result r;
	int rc = bt_stats_paired_bootstrap(base, cand, n, resamples, seed, 0.95, &r);

	if (rc)
		return rc;
	row->test = BT_TEST_BOOTSTRAP;
	row->n = r.n;
	row->p_raw = r.p_value;
	row->ci_low = with_ci ? r.ci_low : NAN;
	row->ci_high = with_ci ? r.ci_high : NAN;
	return 0;
}

void bt_check_test_mann_whitney(struct bt_check_row *row, const double *base, size_t nb,
                                const double *cand, size_t nc, double base_se, double cand_se)
{
	row->test = BT_TEST_MANN_WHITNEY;
	row->n = 0;
	row->p_raw = bt_stats_mann_whitney(base, nb, cand, nc, NULL);
	if (base_se == base_se && cand_se == cand_se) {
		double se = sqrt(base_se * base_se + cand_se * cand_se);
		row->ci_low = row->delta - Z95 * se;
		row->ci_high = row->delta + Z95 * se;
	} else {
		row->ci_low = row->ci_high = NAN;
	}
}

void bt_check_test_ci(struct bt_check_row *row, double base_se, double cand_se)
{
	row->n = 0;
	row->p_raw = bt_stats_ci_test(row->baseline, base_se, row->candidate, cand_se);
	if (row->p_raw != row->p_raw) {
		row->test = BT_TEST_NONE;
		row->ci_low = row->ci_high = NAN;
		return;
	}
	row->test = BT_TEST_CI;
	row->ci_low = row->delta - Z95 * sqrt(base_se * base_se + cand_se * cand_se);
	row->ci_high = row->delta + Z95 * sqrt(base_se * base_se + cand_se * cand_se);
}

void bt_check_decide(struct bt_check_row *rows, size_t n)
{
	double *p = bt_xmalloc((n ? n : 1) * sizeof(*p));
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = rows[i].p_raw;
	bt_stats_holm(p, n);
	for (i = 0; i < n; i++) {
		struct bt_check_row *r = &rows[i];
		double need =
		        r->min_delta_relative ? r->min_delta * fabs(r->baseline) : r->min_delta;
		double signed_effect = (double)r->direction * r->delta;

		r->p_value = p[i];
		r->verdict = BT_VERDICT_UNCHANGED;
		if (!(r->p_value <= r->alpha) || !(fabs(r->delta) >= need) || r->delta == 0)
			continue;
		if (signed_effect < 0)
			r->verdict = BT_VERDICT_REGRESSED;
		else if (signed_effect > 0)
			r->verdict = BT_VERDICT_IMPROVED;
	}
	free(p);
}

/* The current error, re-filed as the user's mistake (exit status 2). */
static int as_input_error(void)
{
	char *msg = bt_xstrdup(bt_error_last());
	int rc = bt_error_set(BT_EINPUT, "%s", msg);

	free(msg);
	return rc;
}

static int gate_matches(const struct bt_gate *g, const char *task, const char *metric)
{
	size_t tl = strlen(task);

	if (!g->metric)
		return 0;
	if (strcmp(g->metric, metric) == 0)
		return 1;
	return strncmp(g->metric, task, tl) == 0 && g->metric[tl] == '/' &&
	       strcmp(g->metric + tl + 1, metric) == 0;
}

const struct bt_gate *bt_check_suite_gate(const struct bt_suite *suite, const char *task,
                                          const char *metric)
{
	size_t i, j;

	if (!suite)
		return NULL;
	for (i = 0; i < suite->ntasks; i++) {
		const struct bt_task_spec *t = &suite->tasks[i];
		if (!t->name || strcmp(t->name, task) != 0)
			continue;
		for (j = 0; j < t->n_gates; j++)
			if (gate_matches(&t->gates[j], task, metric))
				return &t->gates[j];
	}
	for (j = 0; j < suite->n_gates; j++)
		if (gate_matches(&suite->gates[j], task, metric))
			return &suite->gates[j];
	return NULL;
}

/* --- choosing runs ------------------------------------------------------------- */

/* Runs that stand for a commit: eval, unsharded. */
#define WHOLE_EVAL "r.kind = 'eval' AND coalesce(r.shard_count, 0) = 0"

static int collect_ids(struct bt_store *s, sqlite3_stmt *st, int64_t **ids, size_t *n)
{
	size_t cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		bt_grow(ids, &cap, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	return rc == SQLITE_DONE ? 0 : bt_store_error(s, rc, "cannot choose runs");
}

int bt_check_candidates(struct bt_store *s, const struct bt_check_opts *o, int64_t **ids, size_t *n,
                        char head[41], char **branch)
{
	static const char sql[] =
	        "SELECT r.id FROM runs r WHERE r.git_sha = ?1 AND " WHOLE_EVAL
	        " AND r.status != 'running' AND r.suite IS NOT NULL AND r.model IS NOT NULL "
	        "AND r.id = (SELECT r2.id FROM runs r2 WHERE r2.git_sha = r.git_sha "
	        "AND r2.suite = r.suite AND r2.model = r.model AND r2.kind = 'eval' "
	        "AND coalesce(r2.shard_count, 0) = 0 AND r2.status != 'running' "
	        "ORDER BY r2.started_at DESC, r2.id DESC LIMIT 1) "
	        "ORDER BY r.suite, r.model";
	struct bt_git_info git;
	sqlite3_stmt *st;
	size_t i;
	int rc;

	*ids = NULL;
	*n = 0;
	head[0] = '\0';
	*branch = NULL;
	if (o->ncandidates) {
		for (i = 0; i < o->ncandidates; i++) {
			struct bt_run r;
			int64_t id;
			rc = bt_runref_resolve(s, o->candidates[i], o->repo_path, &id);
			if (!rc)
				rc = bt_run_load(s, id, &r);
			if (rc) {
				free(*ids);
				*ids = NULL;
				*n = 0;
				return rc == BT_ENOTFOUND ? as_input_error() : rc;
			}
			if (r.status == BT_RUN_RUNNING) {
				rc = bt_error_set(BT_EINPUT, "run %lld is still running",
				                  (long long)r.id);
				bt_run_release(&r);
				free(*ids);
				*ids = NULL;
				*n = 0;
				return rc;
			}
			bt_run_release(&r);
			*ids = bt_xrealloc(*ids, (*n + 1) * sizeof(**ids));
			(*ids)[(*n)++] = id;
		}
		return 0;
	}

	rc = bt_git_capture(&git, o->repo_path);
	if (rc)
		return rc;
	if (!git.sha[0]) {
		bt_git_info_release(&git);
		return bt_error_set(BT_EINPUT,
		                    "not in a git repository with commits: name the runs to check");
	}
	memcpy(head, git.sha, 41);
	*branch = git.branch ? bt_xstrdup(git.branch) : NULL;
	bt_git_info_release(&git);
	rc = bt_store_prepare(s, &st, sql);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, head, -1, SQLITE_STATIC);
	rc = collect_ids(s, st, ids, n);
	sqlite3_finalize(st);
	if (!rc && *n == 0)
		rc = bt_error_set(BT_ENOTFOUND, "no evaluation runs at HEAD (%.8s) to check", head);
	if (rc) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		free(*branch);
		*branch = NULL;
	}
	return rc;
}

/* The first-parent walk looking for a baseline. */
struct base_walk {
	struct bt_store *s;
	sqlite3_stmt *st;
	const char *skip; /* the candidate's own commit */
	int64_t found;
	int rc;
};

static int base_visit(const struct bt_git_commit *c, void *payload)
{
	struct base_walk *w = payload;
	int rc;

	if (w->skip && strcmp(c->sha, w->skip) == 0)
		return 0;
	sqlite3_reset(w->st);
	sqlite3_bind_text(w->st, 1, c->sha, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(w->st);
	if (rc == SQLITE_ROW) {
		w->found = sqlite3_column_int64(w->st, 0);
		return 1;
	}
	if (rc != SQLITE_DONE) {
		w->rc = bt_store_error(w->s, rc, "cannot look for a baseline");
		return 1;
	}
	return 0;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int history_baseline(struct bt_store *s, const struct bt_check_opts *o,
                            const struct bt_run *cand, int64_t *out)
{
	static const char at_commit[] =
	        "SELECT r.id FROM runs r WHERE r.git_sha = ?1 AND " WHOLE_EVAL
	        " AND r.status = 'finished' AND coalesce(r.git_dirty, 0) = 0 AND r.suite IS ?2 "
	        "AND r.suite_hash IS ?3 AND r.model IS ?4 ORDER BY r.started_at DESC, r.id DESC "
	        "LIMIT 1";
	static const char any[] =
	        "SELECT count(*) FROM runs r WHERE " WHOLE_EVAL
	        " AND r.status = 'finished' AND coalesce(r.git_dirty, 0) = 0 AND r.suite IS ?1 "
	        "AND r.suite_hash IS ?2 AND r.model IS ?3 AND r.git_sha IS NOT NULL "
	        "AND r.git_sha IS NOT ?4";
	struct base_walk w;
	sqlite3_stmt *st;
	int64_t count = 0;
	int rc;

	if (!cand->git_sha)
		return bt_error_set(BT_ENOTFOUND, "run %lld was not made in a git repository",
		                    (long long)cand->id);
	/* Most baselines are missing because nothing was ever run: ask once. */
	rc = bt_store_prepare(s, &st, any);
	if (rc)
		return rc;
	bind_opt(st, 1, cand->suite);
	bind_opt(st, 2, cand->suite_hash);
	bind_opt(st, 3, cand->model);
	bind_opt(st, 4, cand->git_sha);
	if (sqlite3_step(st) == SQLITE_ROW)
		count = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (count == 0)
		goto missing;

	memset(&w, 0, sizeof(w));
	w.s = s;
	w.skip = cand->git_sha;
	rc = bt_store_prepare(s, &w.st, at_commit);
	if (rc)
		return rc;
	bind_opt(w.st, 2, cand->suite);
	bind_opt(w.st, 3, cand->suite_hash);
	bind_opt(w.st, 4, cand->model);
	rc = bt_git_walk_first_parent(o->repo_path, cand->git_sha, 0, base_visit, &w);
	sqlite3_finalize(w.st);
	if (w.rc)
		return w.rc;
	if (rc < 0)
		return rc;
	if (w.found) {
		*out = w.found;
		return 0;
	}
missing:
	return bt_error_set(BT_ENOTFOUND,
	                    "no finished run of suite '%s' with model '%s' on the same suite "
	                    "data at an earlier commit of %.8s's first-parent history",
	                    cand->suite ? cand->suite : "", cand->model ? cand->model : "",
	                    cand->git_sha);
}

/* The run of cand's suite and model at commit `sha` (a git revision given by the user). */
static int baseline_at(struct bt_store *s, const struct bt_run *cand, const char *sha,
                       const char *ref, int64_t *out)
{
	static const char sql[] =
	        "SELECT r.id FROM runs r WHERE r.git_sha = ?1 AND " WHOLE_EVAL
	        " AND r.status = 'finished' AND r.suite IS ?2 AND r.model IS ?3 AND r.id != ?5 "
	        "ORDER BY (r.suite_hash IS ?4) DESC, coalesce(r.git_dirty, 0), r.started_at DESC, "
	        "r.id DESC LIMIT 1";
	sqlite3_stmt *st;
	int rc = bt_store_prepare(s, &st, sql);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
	bind_opt(st, 2, cand->suite);
	bind_opt(st, 3, cand->model);
	bind_opt(st, 4, cand->suite_hash);
	sqlite3_bind_int64(st, 5, cand->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return bt_store_error(s, rc, "cannot look for a baseline");
	return bt_error_set(
	        BT_ENOTFOUND, "no finished run of suite '%s' with model '%s' at '%s' (%.8s)",
	        cand->suite ? cand->suite : "", cand->model ? cand->model : "", ref, sha);
}

static int baseline_tagged(struct bt_store *s, const struct bt_run *cand, const char *tag,
                           int64_t *out)
{
	static const char sql[] =
	        "SELECT r.id FROM runs r JOIN tags t ON t.run_id = r.id WHERE t.tag = ?1 AND "
	        "r.status = 'finished' AND r.suite IS ?2 AND r.model IS ?3 AND r.id != ?5 "
	        "AND coalesce(r.shard_count, 0) = 0 "
	        "ORDER BY (r.suite_hash IS ?4) DESC, r.started_at DESC, r.id DESC LIMIT 1";
	sqlite3_stmt *st;
	int rc = bt_store_prepare(s, &st, sql);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, tag, -1, SQLITE_STATIC);
	bind_opt(st, 2, cand->suite);
	bind_opt(st, 3, cand->model);
	bind_opt(st, 4, cand->suite_hash);
	sqlite3_bind_int64(st, 5, cand->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return bt_store_error(s, rc, "cannot look for a baseline");
	return bt_error_set(BT_ENOTFOUND,
	                    "no finished run of suite '%s' with model '%s' has tag '%s'",
	                    cand->suite ? cand->suite : "", cand->model ? cand->model : "", tag);
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int bt_check_baseline(struct bt_store *s, const struct bt_check_opts *o, const struct bt_run *cand,
                      int64_t *out)
{
	const char *ref = o->against;
	char sha[41];
	int64_t id;
	int rc;

	*out = 0;
	if (!ref)
		return history_baseline(s, o, cand, out);
	if (bt_starts_with(ref, "tag:")) {
		if (!ref[4])
			return bt_error_set(BT_EINPUT, "bad run reference '%s': empty tag", ref);
		return baseline_tagged(s, cand, ref + 4, out);
	}
	rc = bt_runref_resolve(s, ref, o->repo_path, &id);
	if (rc == 0 && !all_digits(ref) && ref[0] != '@') {
		/* A uuid prefix names that run; a git revision, a commit. */
		struct bt_run r;
		int by_uuid;
		char *lower = bt_xstrdup(ref);
		for (char *p = lower; *p; p++)
			if (*p >= 'A' && *p <= 'F')
				*p = (char)(*p - 'A' + 'a');
		rc = bt_run_load(s, id, &r);
		if (rc) {
			free(lower);
			return rc;
		}
		by_uuid = bt_starts_with(r.uuid, lower);
		bt_run_release(&r);
		free(lower);
		if (!by_uuid)
			rc = BT_ENOTFOUND;
	}
	if (rc == 0) {
		*out = id;
		return 0;
	}
	if (rc != BT_ENOTFOUND || all_digits(ref) || ref[0] == '@')
		return rc == BT_ENOTFOUND ? as_input_error() : rc;
	if (bt_git_resolve(sha, o->repo_path, ref) != 0)
		return bt_error_set(BT_EINPUT,
		                    "'%s' is not a run: no run id, uuid, tag or git revision "
		                    "matches",
		                    ref);
	return baseline_at(s, cand, sha, ref, out);
}

/* --- comparing two runs --------------------------------------------------------------- */

struct mrow {
	char *task, *metric;
	double value, lo, hi, se;
	int64_t n;
};

static double col_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static int load_metrics(struct bt_store *s, int64_t run, struct mrow **out, size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = bt_store_prepare(s, &st,
	                          "SELECT task, metric, value, ci_low, ci_high, stderr, n FROM "
	                          "metrics WHERE run_id = ? AND value IS NOT NULL ORDER BY rowid");

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct mrow *m;
		bt_grow(out, &cap, *n + 1, sizeof(**out));
		m = &(*out)[(*n)++];
		m->task = bt_xstrdup((const char *)sqlite3_column_text(st, 0));
		m->metric = bt_xstrdup((const char *)sqlite3_column_text(st, 1));
		m->value = col_real(st, 2);
		m->lo = col_real(st, 3);
		m->hi = col_real(st, 4);
		m->se = col_real(st, 5);
		m->n = sqlite3_column_type(st, 6) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 6);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : bt_store_error(s, rc, "cannot read metrics");
}

static void free_metrics(struct mrow *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(m[i].task);
		free(m[i].metric);
	}
	free(m);
}

static int is_timing(const char *metric)
{
	return bt_starts_with(metric, "latency_") || strcmp(metric, "throughput") == 0;
}

static int is_rate(const char *metric)
{
	return strcmp(metric, "accuracy") == 0 || strcmp(metric, "exact_match") == 0;
}

/* A metric's standard error: stored, else from its interval, else binomial for a rate. */
static double metric_se(const struct mrow *m)
{
	if (m->se == m->se && m->se >= 0)
		return m->se;
	if (m->lo == m->lo && m->hi == m->hi && m->hi >= m->lo)
		return (m->hi - m->lo) / (2 * Z95);
	if (is_rate(m->metric) && m->n > 0 && m->value >= 0 && m->value <= 1)
		return sqrt(m->value * (1 - m->value) / (double)m->n);
	return NAN;
}

struct sample {
	int64_t idx;
	char *example_id;
	signed char correct; /* -1: no notion of correct */
	signed char errored;
	double score, latency;
};

struct task_samples {
	struct sample *v;
	size_t n;
};

static void free_samples(struct task_samples *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].example_id);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static int load_samples(struct bt_store *s, int64_t run, const char *task, struct task_samples *out)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = bt_store_prepare(s, &st,
	                          "SELECT s.idx, s.example_id, s.correct, s.score, s.latency, "
	                          "s.error IS NOT NULL FROM samples s JOIN tasks t ON t.id = "
	                          "s.task_id WHERE t.run_id = ? AND t.name = ? ORDER BY s.idx");

	out->v = NULL;
	out->n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, task, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sample *x;
		bt_grow(&out->v, &cap, out->n + 1, sizeof(*out->v));
		x = &out->v[out->n++];
		x->idx = sqlite3_column_int64(st, 0);
		x->example_id = bt_xstrdup((const char *)sqlite3_column_text(st, 1));
		x->correct = sqlite3_column_type(st, 2) == SQLITE_NULL
		                     ? -1
		                     : (signed char)(sqlite3_column_int(st, 2) != 0);
		x->score = col_real(st, 3);
		x->latency = col_real(st, 4);
		x->errored = (signed char)sqlite3_column_int(st, 5);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free_samples(out);
		return bt_store_error(s, rc, "cannot read samples");
	}
	return 0;
}

/* Do two runs' samples of a task cover exactly the same examples? */
static int same_examples(const struct task_samples *a, const struct task_samples *b)
{
	size_t i;

	if (a->n == 0 || a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->v[i].idx != b->v[i].idx ||
		    strcmp(a->v[i].example_id, b->v[i].example_id) != 0)
			return 0;
	return 1;
}

static int metric_selected(const struct bt_check_opts *o, const char *task, const char *metric)
{
	size_t i, tl = strlen(task);

	if (!o->nmetrics)
		return 1;
	for (i = 0; i < o->nmetrics; i++) {
		const char *m = o->metrics[i];
		if (strcmp(m, metric) == 0)
			return 1;
		if (strncmp(m, task, tl) == 0 && m[tl] == '/' && strcmp(m + tl + 1, metric) == 0)
			return 1;
	}
	return 0;
}

static const struct mrow *find_metric(const struct mrow *m, size_t n, const char *task,
                                      const char *metric)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(m[i].task, task) == 0 && strcmp(m[i].metric, metric) == 0)
			return &m[i];
	return NULL;
}

static const char note_unpaired[] = "no per-example samples on the same examples";
static const char note_untested[] = "no samples and no confidence intervals to test with";
static const char note_hash[] = "suite data differ: compared without pairing samples";

/* Test one row from the two tasks' samples, when they pair; 1 when tested. */
static int test_paired(struct bt_check_row *row, const struct task_samples *a,
                       const struct task_samples *b, const struct bt_check_opts *o, double base_se,
                       double cand_se)
{
	const char *m = row->metric;
	size_t n = a->n, i;
	int rc = 0;

	if (is_rate(m) || strcmp(m, "errors") == 0) {
		int errors = strcmp(m, "errors") == 0;
		signed char *x = bt_xmalloc(n + 1), *y = bt_xmalloc(n + 1);
		size_t defined = 0;
		for (i = 0; i < n; i++) {
			x[i] = errors ? a->v[i].errored : a->v[i].correct;
			y[i] = errors ? b->v[i].errored : b->v[i].correct;
			defined += x[i] >= 0 && y[i] >= 0;
		}
		if (defined)
			bt_check_test_mcnemar(row, x, y, n, errors);
		free(x);
		free(y);
		return defined > 0;
	}
	if (!strcmp(m, "mae") || !strcmp(m, "mse") || !strcmp(m, "rmse") ||
	    !strcmp(m, "token_f1") || !strcmp(m, "mrr")) {
		int square = !strcmp(m, "mse") || !strcmp(m, "rmse");
		double *x = bt_xmalloc((n + 1) * sizeof(*x)), *y = bt_xmalloc((n + 1) * sizeof(*y));
		for (i = 0; i < n; i++) {
			x[i] = square ? a->v[i].score * a->v[i].score : a->v[i].score;
			y[i] = square ? b->v[i].score * b->v[i].score : b->v[i].score;
		}
		/* rmse is tested through mse; an mse interval is not in rmse's unit. */
		rc = bt_check_test_bootstrap(row, x, y, n, o->resamples, o->seed,
		                             strcmp(m, "rmse") != 0);
		free(x);
		free(y);
		return rc == 0;
	}
	if (bt_starts_with(m, "latency_p")) {
		double *x = bt_xmalloc((n + 1) * sizeof(*x)), *y = bt_xmalloc((n + 1) * sizeof(*y));
		size_t nx = 0, ny = 0;
		for (i = 0; i < n; i++) {
			if (a->v[i].latency == a->v[i].latency)
				x[nx++] = a->v[i].latency;
			if (b->v[i].latency == b->v[i].latency)
				y[ny++] = b->v[i].latency;
		}
		if (nx && ny)
			bt_check_test_mann_whitney(row, x, nx, y, ny, base_se, cand_se);
		free(x);
		free(y);
		return nx && ny;
	}
	return 0;
}

static struct bt_check_row *add_row(struct bt_check_item *it)
{
	struct bt_check_row *r;

	bt_grow(&it->rows, &it->cap, it->nrows + 1, sizeof(*it->rows));
	r = &it->rows[it->nrows++];
	memset(r, 0, sizeof(*r));
	r->ci_low = r->ci_high = r->p_raw = r->p_value = NAN;
	return r;
}

static int compare_runs(struct bt_store *s, const struct bt_check_opts *o, struct bt_check_item *it)
{
	struct mrow *bm = NULL, *cm = NULL;
	size_t nb = 0, nc = 0, i;
	struct task_samples sa = {0}, sb = {0};
	char *loaded_task = NULL;
	int paired_ok = 0, rc, same_data;

	same_data = it->baseline.suite_hash && it->candidate.suite_hash &&
	            strcmp(it->baseline.suite_hash, it->candidate.suite_hash) == 0;
	if (!same_data && (it->baseline.suite_hash || it->candidate.suite_hash))
		it->message = bt_xstrdup(note_hash);
	rc = load_metrics(s, it->baseline.id, &bm, &nb);
	if (!rc)
		rc = load_metrics(s, it->candidate.id, &cm, &nc);
	if (rc)
		goto out;
	for (i = 0; i < nc; i++) {
		const struct mrow *c = &cm[i], *b = find_metric(bm, nb, c->task, c->metric);
		const struct bt_gate *g;
		struct bt_check_row *row;
		int dir;
		double bse, cse;

		if (!b || !metric_selected(o, c->task, c->metric))
			continue;
		g = o->gate ? o->gate(&it->candidate, c->task, c->metric, o->gate_payload) : NULL;
		/*
		 * Timings say as much about the machine and its load as about the
		 * commit: they are gated only when asked for by name or by a gate.
		 */
		if (is_timing(c->metric) && !g && !o->nmetrics)
			continue;
		dir = g && g->direction ? g->direction : bt_metrics_direction(c->metric);
		if (!dir)
			continue; /* neither better nor worse either way: nothing to gate */
		row = add_row(it);
		row->task = bt_xstrdup(c->task);
		row->metric = bt_xstrdup(c->metric);
		row->direction = dir;
		row->baseline = b->value;
		row->candidate = c->value;
		row->delta = c->value - b->value;
		row->alpha = g && g->alpha == g->alpha ? g->alpha : o->alpha;
		if (g && g->min_delta == g->min_delta) {
			row->min_delta = g->min_delta;
			row->min_delta_relative = g->min_delta_relative;
		} else {
			row->min_delta = o->min_delta;
			row->min_delta_relative = o->min_delta_relative;
		}
		bse = metric_se(b);
		cse = metric_se(c);

		if (same_data && (!loaded_task || strcmp(loaded_task, c->task) != 0)) {
			free_samples(&sa);
			free_samples(&sb);
			free(loaded_task);
			loaded_task = bt_xstrdup(c->task);
			rc = load_samples(s, it->baseline.id, c->task, &sa);
			if (!rc)
				rc = load_samples(s, it->candidate.id, c->task, &sb);
			if (rc)
				goto out;
			paired_ok = same_examples(&sa, &sb);
		}
		if (same_data && paired_ok && test_paired(row, &sa, &sb, o, bse, cse))
			continue;
		bt_check_test_ci(row, bse, cse);
		if (row->test == BT_TEST_NONE)
			row->note = note_untested;
		else if (!same_data)
			row->note = note_hash;
		else if (!paired_ok)
			row->note = note_unpaired;
	}
	bt_check_decide(it->rows, it->nrows);
	for (i = 0; i < it->nrows; i++) {
		switch (it->rows[i].verdict) {
		case BT_VERDICT_REGRESSED:
			it->regressed++;
			break;
		case BT_VERDICT_IMPROVED:
			it->improved++;
			break;
		case BT_VERDICT_UNCHANGED:
			it->unchanged++;
			break;
		}
	}
out:
	free_samples(&sa);
	free_samples(&sb);
	free(loaded_task);
	free_metrics(bm, nb);
	free_metrics(cm, nc);
	return rc;
}

static void item_release(struct bt_check_item *it)
{
	size_t i;

	for (i = 0; i < it->nrows; i++) {
		free(it->rows[i].task);
		free(it->rows[i].metric);
	}
	free(it->rows);
	free(it->message);
	bt_run_release(&it->candidate);
	bt_run_release(&it->baseline);
}

void bt_check_report_free(struct bt_check_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		item_release(&r->items[i]);
	free(r->items);
	free(r->branch);
	free(r);
}

int bt_check_compare(struct bt_store *s, const struct bt_check_opts *o, const int64_t *ids,
                     size_t n, struct bt_check_report **out)
{
	struct bt_check_report *r = bt_xcalloc(1, sizeof(*r));
	size_t i;
	int rc = 0;

	r->alpha = o->alpha;
	r->min_delta = o->min_delta;
	r->min_delta_relative = o->min_delta_relative;
	for (i = 0; i < n && !rc; i++) {
		struct bt_check_item *it;
		int64_t base = 0;

		bt_grow(&r->items, &r->cap, r->n + 1, sizeof(*r->items));
		it = &r->items[r->n++];
		memset(it, 0, sizeof(*it));
		rc = bt_run_load(s, ids[i], &it->candidate);
		if (rc)
			break;
		if (it->candidate.status != BT_RUN_FINISHED) {
			it->outcome = BT_CHECK_FAILED_RUN;
			it->message = bt_xasprintf(
			        "run %lld %s%s%s", (long long)it->candidate.id,
			        bt_run_status_name(it->candidate.status),
			        it->candidate.status_reason ? ": " : "",
			        it->candidate.status_reason ? it->candidate.status_reason : "");
			r->failed++;
			continue;
		}
		rc = bt_check_baseline(s, o, &it->candidate, &base);
		if (rc == BT_ENOTFOUND) {
			it->outcome = BT_CHECK_NO_BASELINE;
			it->message = bt_xstrdup(bt_error_last());
			r->missing++;
			rc = 0;
			continue;
		}
		if (!rc)
			rc = bt_run_load(s, base, &it->baseline);
		if (!rc && it->baseline.status != BT_RUN_FINISHED)
			rc = bt_error_set(BT_EINPUT, "baseline run %lld is %s, not finished",
			                  (long long)base, bt_run_status_name(it->baseline.status));
		if (!rc)
			rc = compare_runs(s, o, it);
		if (rc)
			break;
		it->outcome = BT_CHECK_COMPARED;
		r->regressed += it->regressed;
		r->improved += it->improved;
		r->unchanged += it->unchanged;
	}
	if (rc) {
		bt_check_report_free(r);
		*out = NULL;
		return rc;
	}
	*out = r;
	return 0;
}

/* --- summaries ------------------------------------------------------------------------ */

char *bt_check_summary(const struct bt_check_report *r)
{
	struct bt_buf b = BT_BUF_INIT;
	size_t compared = r->n - r->failed - r->missing;

	bt_buf_printf(&b, "check: %s: %zu regressed, %zu improved, %zu unchanged in %zu run%s",
	              r->regressed || r->failed ? "FAIL" : "PASS", r->regressed, r->improved,
	              r->unchanged, compared, compared == 1 ? "" : "s");
	if (r->failed)
		bt_buf_printf(&b, "; %zu failed run%s", r->failed, r->failed == 1 ? "" : "s");
	if (r->missing)
		bt_buf_printf(&b, "; %zu without a baseline", r->missing);
	return bt_buf_detach(&b);
}

static json_t *num(double v)
{
	return v == v && isfinite(v) ? json_real(v) : json_null();
}

/* Text from the store may be anything: keep it as is; bt_json_write escapes it. */
static json_t *str(const char *s)
{
	return s ? json_string_nocheck(s) : json_null();
}

static json_t *run_json(const struct bt_run *run)
{
	json_t *o;

	if (!run->id)
		return json_null();
	o = json_object();
	json_object_set_new(o, "id", json_integer((json_int_t)run->id));
	json_object_set_new(o, "uuid", json_string(run->uuid));
	json_object_set_new(o, "status", json_string(bt_run_status_name(run->status)));
	json_object_set_new(o, "name", str(run->name));
	json_object_set_new(o, "suite", str(run->suite));
	json_object_set_new(o, "suite_hash", str(run->suite_hash));
	json_object_set_new(o, "model", str(run->model));
	json_object_set_new(o, "git_sha", str(run->git_sha));
	json_object_set_new(o, "git_branch", str(run->git_branch));
	json_object_set_new(o, "git_dirty", json_boolean(run->git_dirty));
	return o;
}

static const char *outcome_name(enum bt_check_outcome o)
{
	switch (o) {
	case BT_CHECK_NO_BASELINE:
		return "no_baseline";
	case BT_CHECK_FAILED_RUN:
		return "failed";
	case BT_CHECK_COMPARED:
		break;
	}
	return "compared";
}

static json_t *row_json(const struct bt_check_row *w)
{
	json_t *o = json_object();

	json_object_set_new(o, "task", str(w->task));
	json_object_set_new(o, "metric", str(w->metric));
	json_object_set_new(o, "direction", json_integer(w->direction));
	json_object_set_new(o, "baseline", num(w->baseline));
	json_object_set_new(o, "candidate", num(w->candidate));
	json_object_set_new(o, "delta", num(w->delta));
	json_object_set_new(o, "ci_low", num(w->ci_low));
	json_object_set_new(o, "ci_high", num(w->ci_high));
	json_object_set_new(o, "p_value", num(w->p_value));
	json_object_set_new(o, "p_raw", num(w->p_raw));
	json_object_set_new(o, "test", json_string(bt_check_test_name(w->test)));
	json_object_set_new(o, "n", json_integer((json_int_t)w->n));
	json_object_set_new(o, "alpha", num(w->alpha));
	json_object_set_new(o, "min_delta", num(w->min_delta));
	json_object_set_new(o, "min_delta_relative", json_boolean(w->min_delta_relative));
	json_object_set_new(o, "verdict", json_string(bt_check_verdict_name(w->verdict)));
	json_object_set_new(o, "note", str(w->note));
	return o;
}

json_t *bt_check_report_json(const struct bt_check_report *r)
{
	json_t *items = json_array(), *root = json_object(), *counts = json_object();
	char *summary = bt_check_summary(r);
	size_t i, j;

	for (i = 0; i < r->n; i++) {
		const struct bt_check_item *it = &r->items[i];
		json_t *rows = json_array(), *o = json_object();
		for (j = 0; j < it->nrows; j++)
			json_array_append_new(rows, row_json(&it->rows[j]));
		json_object_set_new(o, "suite", str(it->candidate.suite));
		json_object_set_new(o, "model", str(it->candidate.model));
		json_object_set_new(o, "outcome", json_string(outcome_name(it->outcome)));
		json_object_set_new(o, "message", str(it->message));
		json_object_set_new(o, "candidate", run_json(&it->candidate));
		json_object_set_new(o, "baseline", run_json(&it->baseline));
		json_object_set_new(o, "regressed", json_integer((json_int_t)it->regressed));
		json_object_set_new(o, "improved", json_integer((json_int_t)it->improved));
		json_object_set_new(o, "unchanged", json_integer((json_int_t)it->unchanged));
		json_object_set_new(o, "comparisons", rows);
		json_array_append_new(items, o);
	}
	json_object_set_new(counts, "regressed", json_integer((json_int_t)r->regressed));
	json_object_set_new(counts, "improved", json_integer((json_int_t)r->improved));
	json_object_set_new(counts, "unchanged", json_integer((json_int_t)r->unchanged));
	json_object_set_new(counts, "failed_runs", json_integer((json_int_t)r->failed));
	json_object_set_new(counts, "missing_baselines", json_integer((json_int_t)r->missing));
	json_object_set_new(root, "summary", str(summary));
	json_object_set_new(root, "passed", json_boolean(!(r->regressed || r->failed)));
	json_object_set_new(root, "alpha", num(r->alpha));
	json_object_set_new(root, "min_delta", num(r->min_delta));
	json_object_set_new(root, "min_delta_relative", json_boolean(r->min_delta_relative));
	json_object_set_new(root, "head", r->head[0] ? json_string(r->head) : json_null());
	json_object_set_new(root, "branch", str(r->branch));
	json_object_set_new(root, "counts", counts);
	json_object_set_new(root, "results", items);
	free(summary);
	return root;
}
