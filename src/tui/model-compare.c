/*
 * model-compare.c - runs side by side with paired significance tests and
 * flipped examples (see model-compare.h for the statistics).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "metrics.h"
#include "run.h"
#include "stats.h"
#include "tui/model-compare.h"
#include "util.h"

/* Fixed, so that the same comparison always shows the same p-values. */
#define BOOT_SEED      0x62656e6368746f70ULL
#define BOOT_RESAMPLES 2000

const char *bt_cmp_test_name(enum bt_cmp_test t)
{
	switch (t) {
	case BT_TEST_MCNEMAR:
		return "McNemar";
	case BT_TEST_BOOTSTRAP:
		return "paired bootstrap";
	case BT_TEST_CI:
		return "z on CIs";
	default:
		return "-";
	}
}

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? bt_xstrdup((const char *)t) : NULL;
}

/* Metrics that are the share of correct examples: paired with McNemar. */
static int accuracy_type(const char *metric)
{
	return strcmp(metric, "accuracy") == 0 || strcmp(metric, "exact_match") == 0;
}

/* Metrics that are the mean of the per-example score stored with each sample. */
static int score_mean(const char *metric)
{
	return strcmp(metric, "mae") == 0 || strcmp(metric, "token_f1") == 0 ||
	       strcmp(metric, "mrr") == 0;
}

/* --- loading ---------------------------------------------------------------------- */

static int load_runs(struct bt_compare *c, struct bt_store *s, const int64_t *ids)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < c->nruns && !rc; i++) {
		struct bt_run r;
		struct bt_cmp_run *cr = &c->runs[i];
		rc = bt_run_load(s, ids[i], &r);
		if (rc)
			break;
		cr->id = r.id;
		cr->name = r.name ? bt_xstrdup(r.name) : NULL;
		cr->status = bt_xstrdup(bt_run_display_status(&r, bt_now()));
		cr->suite = r.suite ? bt_xstrdup(r.suite) : NULL;
		cr->suite_hash = r.suite_hash ? bt_xstrdup(r.suite_hash) : NULL;
		cr->model = r.model ? bt_xstrdup(r.model) : NULL;
		cr->model_version = r.model_version ? bt_xstrdup(r.model_version) : NULL;
		cr->sha = r.git_sha ? bt_xstrdup(r.git_sha) : NULL;
		cr->branch = r.git_branch ? bt_xstrdup(r.git_branch) : NULL;
		cr->dirty = r.git_dirty;
		cr->has_seed = r.has_seed;
		cr->seed = r.seed;
		bt_run_release(&r);
	}
	return rc;
}

static struct bt_cmp_metric *find_metric(struct bt_compare *c, const char *task, const char *metric)
{
	size_t i;

	for (i = 0; i < c->nmetrics; i++)
		if (strcmp(c->metrics[i].task, task) == 0 &&
		    strcmp(c->metrics[i].metric, metric) == 0)
			return &c->metrics[i];
	return NULL;
}

static struct bt_cmp_metric *add_metric(struct bt_compare *c, const char *task, const char *metric)
{
	struct bt_cmp_metric *m;
	size_t i, n = c->nruns;

	c->metrics = bt_xrealloc(c->metrics, (c->nmetrics + 1) * sizeof(*c->metrics));
	m = &c->metrics[c->nmetrics++];
	memset(m, 0, sizeof(*m));
	m->task = bt_xstrdup(task);
	m->metric = bt_xstrdup(metric);
	m->value = bt_xmalloc(n * sizeof(double));
	m->se = bt_xmalloc(n * sizeof(double));
	m->delta = bt_xmalloc(n * sizeof(double));
	m->p = bt_xmalloc(n * sizeof(double));
	m->test = bt_xcalloc(n, sizeof(*m->test));
	m->sig = bt_xcalloc(n, sizeof(int));
	m->pairs = bt_xcalloc(n, sizeof(size_t));
	for (i = 0; i < n; i++)
		m->value[i] = m->se[i] = m->delta[i] = m->p[i] = NAN;
	return m;
}

/* Metrics in the baseline's reporting order, then any only the others have. */
static int load_metrics(struct bt_compare *c, struct bt_store *s)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = bt_store_prepare(s, &st,
	                          "SELECT m.task, m.metric, m.value, m.stderr FROM metrics m LEFT "
	                          "JOIN tasks t ON t.run_id = m.run_id AND t.name = m.task WHERE "
	                          "m.run_id = ? ORDER BY coalesce(t.id, 0), m.task, m.rowid");

	if (rc)
		return rc;
	for (i = 0; i < c->nruns && !rc; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, c->runs[i].id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *task = (const char *)sqlite3_column_text(st, 0);
			const char *metric = (const char *)sqlite3_column_text(st, 1);
			struct bt_cmp_metric *m;
			if (!task || !metric)
				continue;
			m = find_metric(c, task, metric);
			if (!m)
				m = add_metric(c, task, metric);
			if (sqlite3_column_type(st, 2) != SQLITE_NULL)
				m->value[i] = sqlite3_column_double(st, 2);
			if (sqlite3_column_type(st, 3) != SQLITE_NULL)
				m->se[i] = sqlite3_column_double(st, 3);
		}
		rc = rc == SQLITE_DONE ? 0 : bt_store_error(s, rc, "cannot read metrics");
	}
	sqlite3_finalize(st);
	return rc;
}

/* The paired samples of one task between the baseline and run `other`. */
struct pairs {
	size_t n;
	int same_examples; /* every pair has equal example ids and no example is unpaired */
	int *ca, *cb;      /* correct: 1, 0, -1 unknown */
	double *sa, *sb;   /* scores, NaN unknown */
};

static void pairs_release(struct pairs *p)
{
	free(p->ca);
	free(p->cb);
	free(p->sa);
	free(p->sb);
	memset(p, 0, sizeof(*p));
}

static int load_pairs(struct bt_store *s, int64_t base, int64_t other, const char *task,
                      struct pairs *p)
{
	sqlite3_stmt *st;
	size_t cap = 0, na = 0, nb = 0;
	int rc, mismatch = 0;

	memset(p, 0, sizeof(*p));
	/* How many samples each side has, to tell "the same examples" from a subset. */
	rc = bt_store_prepare(s, &st,
	                      "SELECT (SELECT count(*) FROM samples WHERE task_id = ta.id), "
	                      "(SELECT count(*) FROM samples WHERE task_id = tb.id) FROM tasks ta "
	                      "JOIN tasks tb ON tb.run_id = ?2 AND tb.name = ta.name WHERE "
	                      "ta.run_id = ?1 AND ta.name = ?3");
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, base);
	sqlite3_bind_int64(st, 2, other);
	sqlite3_bind_text(st, 3, task, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		na = (size_t)sqlite3_column_int64(st, 0);
		nb = (size_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (!na || !nb)
		return 0;
	rc = bt_store_prepare(s, &st,
	                      "SELECT sa.correct, sb.correct, sa.score, sb.score, "
	                      "sa.example_id = sb.example_id FROM tasks ta JOIN tasks tb ON "
	                      "tb.run_id = ?2 AND tb.name = ta.name JOIN samples sa ON sa.task_id "
	                      "= ta.id JOIN samples sb ON sb.task_id = tb.id AND sb.idx = sa.idx "
	                      "WHERE ta.run_id = ?1 AND ta.name = ?3 ORDER BY sa.idx");
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, base);
	sqlite3_bind_int64(st, 2, other);
	sqlite3_bind_text(st, 3, task, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (p->n == cap) {
			cap = cap ? cap * 2 : 256;
			p->ca = bt_xrealloc(p->ca, cap * sizeof(int));
			p->cb = bt_xrealloc(p->cb, cap * sizeof(int));
			p->sa = bt_xrealloc(p->sa, cap * sizeof(double));
			p->sb = bt_xrealloc(p->sb, cap * sizeof(double));
		}
		p->ca[p->n] =
		        sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 0);
		p->cb[p->n] =
		        sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 1);
		p->sa[p->n] = sqlite3_column_type(st, 2) == SQLITE_NULL
		                      ? NAN
		                      : sqlite3_column_double(st, 2);
		p->sb[p->n] = sqlite3_column_type(st, 3) == SQLITE_NULL
		                      ? NAN
		                      : sqlite3_column_double(st, 3);
		mismatch += !sqlite3_column_int(st, 4);
		p->n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		pairs_release(p);
		return bt_store_error(s, rc, "cannot read samples");
	}
	p->same_examples = p->n > 0 && !mismatch && p->n == na && p->n == nb;
	return 0;
}

/* Test metric m of run i against the baseline; p is raw (adjusted later). */
static void test_metric(struct bt_cmp_metric *m, size_t i, const struct pairs *p)
{
	size_t k, b = 0, cc = 0, used = 0;

	m->delta[i] = m->value[i] - m->value[0];
	if (p && p->same_examples && accuracy_type(m->metric)) {
		for (k = 0; k < p->n; k++) {
			if (p->ca[k] < 0 || p->cb[k] < 0)
				continue;
			used++;
			if (p->ca[k] && !p->cb[k])
				b++;
			else if (!p->ca[k] && p->cb[k])
				cc++;
		}
		if (used) {
			m->test[i] = BT_TEST_MCNEMAR;
			m->p[i] = bt_stats_mcnemar(b, cc);
			m->pairs[i] = used;
			if (m->delta[i] != m->delta[i])
				m->delta[i] = ((double)cc - (double)b) / (double)used;
			return;
		}
	}
	if (p && p->same_examples && score_mean(m->metric)) {
		struct bt_paired_result r;
		if (bt_stats_paired_bootstrap(p->sa, p->sb, p->n, BOOT_RESAMPLES, BOOT_SEED, 0.95,
		                              &r) == 0) {
			m->test[i] = BT_TEST_BOOTSTRAP;
			m->p[i] = r.p_value;
			m->pairs[i] = r.n;
			if (m->delta[i] != m->delta[i])
				m->delta[i] = r.delta;
			return;
		}
		bt_error_clear();
	}
	m->p[i] = bt_stats_ci_test(m->value[0], m->se[0], m->value[i], m->se[i]);
	m->test[i] = m->p[i] == m->p[i] ? BT_TEST_CI : BT_TEST_NONE;
}

static int task_has_samples(struct bt_store *s, int64_t run, const char *task)
{
	sqlite3_stmt *st;
	int has = 0;

	if (bt_store_prepare(s, &st,
	                     "SELECT EXISTS (SELECT 1 FROM samples sa JOIN tasks t ON t.id = "
	                     "sa.task_id WHERE t.run_id = ? AND t.name = ?)"))
		return 0;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, task, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		has = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return has;
}

static int run_tests(struct bt_compare *c, struct bt_store *s)
{
	size_t i, k, j;
	double *p;
	int rc = 0;

	for (i = 1; i < c->nruns && !rc; i++) {
		/* Pairs are loaded once per task, shared by that task's metrics. */
		for (k = 0; k < c->nmetrics && !rc; k++) {
			struct bt_cmp_metric *m = &c->metrics[k];
			struct pairs pr;
			int paired;
			if (k > 0 && strcmp(c->metrics[k - 1].task, m->task) == 0)
				continue;
			paired = task_has_samples(s, c->runs[0].id, m->task) &&
			         task_has_samples(s, c->runs[i].id, m->task);
			memset(&pr, 0, sizeof(pr));
			if (paired)
				rc = load_pairs(s, c->runs[0].id, c->runs[i].id, m->task, &pr);
			for (j = k;
			     !rc && j < c->nmetrics && strcmp(c->metrics[j].task, m->task) == 0;
			     j++)
				test_metric(&c->metrics[j], i, paired ? &pr : NULL);
			pairs_release(&pr);
		}
		/* Holm over this run's tests, then significance by direction. */
		p = bt_xmalloc((c->nmetrics ? c->nmetrics : 1) * sizeof(double));
		for (k = 0; k < c->nmetrics; k++)
			p[k] = c->metrics[k].p[i];
		bt_stats_holm(p, c->nmetrics);
		for (k = 0; k < c->nmetrics; k++) {
			struct bt_cmp_metric *m = &c->metrics[k];
			const char *name = m->metric;
			int dir = bt_metrics_direction(name);
			m->p[i] = p[k];
			m->sig[i] = 0;
			if (p[k] == p[k] && p[k] < BT_COMPARE_ALPHA && m->delta[i] == m->delta[i] &&
			    m->delta[i] != 0)
				m->sig[i] = dir == 0 ? 2 : (m->delta[i] * dir > 0 ? 1 : -1);
		}
		free(p);
	}
	return rc;
}

static int load_flips(struct bt_compare *c, struct bt_store *s, size_t max_flips)
{
	sqlite3_stmt *st;
	size_t i, kept;
	int rc = bt_store_prepare(
	        s, &st,
	        "SELECT ta.name, sa.idx, sa.example_id, sa.target, sa.prediction, sb.prediction, "
	        "sa.correct, sb.correct FROM tasks ta JOIN tasks tb ON tb.run_id = ?2 AND tb.name "
	        "= ta.name JOIN samples sa ON sa.task_id = ta.id JOIN samples sb ON sb.task_id = "
	        "tb.id AND sb.idx = sa.idx WHERE ta.run_id = ?1 AND sa.correct IS NOT NULL AND "
	        "sb.correct IS NOT NULL AND sa.correct != sb.correct ORDER BY ta.id, sa.idx");

	if (rc)
		return rc;
	for (i = 1; i < c->nruns && !rc; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, c->runs[0].id);
		sqlite3_bind_int64(st, 2, c->runs[i].id);
		kept = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct bt_cmp_flip *f;
			int cb = sqlite3_column_int(st, 7);
			c->flips_total[i]++;
			c->flips_fixed[i] += cb != 0;
			if (kept >= max_flips)
				continue;
			c->flips = bt_xrealloc(c->flips, (c->nflips + 1) * sizeof(*c->flips));
			f = &c->flips[c->nflips++];
			f->other = i;
			f->task = col_text(st, 0);
			f->idx = sqlite3_column_int64(st, 1);
			f->example_id = col_text(st, 2);
			f->target = col_text(st, 3);
			f->pred_base = col_text(st, 4);
			f->pred_other = col_text(st, 5);
			f->correct_base = sqlite3_column_int(st, 6);
			f->correct_other = cb;
			kept++;
		}
		rc = rc == SQLITE_DONE ? 0 : bt_store_error(s, rc, "cannot read samples");
	}
	sqlite3_finalize(st);
	return rc;
}

static int load_params(struct bt_compare *c, struct bt_store *s)
{
	sqlite3_stmt *st;
	size_t i, k, j;
	int rc = bt_store_prepare(s, &st,
	                          "SELECT key, value FROM params WHERE run_id = ? ORDER BY key");

	if (rc)
		return rc;
	for (i = 0; i < c->nruns && !rc; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, c->runs[i].id);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *key = (const char *)sqlite3_column_text(st, 0);
			struct bt_cmp_param *p = NULL;
			for (k = 0; k < c->nparams; k++)
				if (strcmp(c->params[k].key, key) == 0)
					p = &c->params[k];
			if (!p) {
				c->params = bt_xrealloc(c->params,
				                        (c->nparams + 1) * sizeof(*c->params));
				p = &c->params[c->nparams++];
				p->key = bt_xstrdup(key);
				p->value = bt_xcalloc(c->nruns, sizeof(char *));
				p->differs = 0;
			}
			free(p->value[i]);
			p->value[i] = col_text(st, 1);
		}
		rc = rc == SQLITE_DONE ? 0 : bt_store_error(s, rc, "cannot read params");
	}
	sqlite3_finalize(st);
	for (k = 0; k < c->nparams; k++) {
		struct bt_cmp_param *p = &c->params[k];
		for (j = 1; j < c->nruns; j++) {
			const char *a = p->value[0], *b = p->value[j];
			if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
				p->differs = 1;
		}
	}
	return rc;
}

int bt_compare_load(struct bt_compare **out, struct bt_store *s, const int64_t *ids, size_t n,
                    size_t max_flips)
{
	struct bt_compare *c;
	int rc;

	*out = NULL;
	if (n < 2)
		return bt_error_set(BT_EUSAGE, "comparing needs two or more runs");
	c = bt_xcalloc(1, sizeof(*c));
	c->nruns = n;
	c->runs = bt_xcalloc(n, sizeof(*c->runs));
	c->flips_total = bt_xcalloc(n, sizeof(size_t));
	c->flips_fixed = bt_xcalloc(n, sizeof(size_t));
	rc = load_runs(c, s, ids);
	if (!rc)
		rc = load_metrics(c, s);
	if (!rc)
		rc = run_tests(c, s);
	if (!rc)
		rc = load_flips(c, s, max_flips);
	if (!rc)
		rc = load_params(c, s);
	if (rc) {
		bt_compare_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void bt_compare_free(struct bt_compare *c)
{
	size_t i, j;

	if (!c)
		return;
	for (i = 0; i < c->nruns; i++) {
		struct bt_cmp_run *r = &c->runs[i];
		free(r->name);
		free(r->status);
		free(r->suite);
		free(r->suite_hash);
		free(r->model);
		free(r->model_version);
		free(r->sha);
		free(r->branch);
	}
	free(c->runs);
	for (i = 0; i < c->nmetrics; i++) {
		struct bt_cmp_metric *m = &c->metrics[i];
		free(m->task);
		free(m->metric);
		free(m->value);
		free(m->se);
		free(m->delta);
		free(m->p);
		free(m->test);
		free(m->sig);
		free(m->pairs);
	}
	free(c->metrics);
	for (i = 0; i < c->nflips; i++) {
		struct bt_cmp_flip *f = &c->flips[i];
		free(f->task);
		free(f->example_id);
		free(f->target);
		free(f->pred_base);
		free(f->pred_other);
	}
	free(c->flips);
	free(c->flips_total);
	free(c->flips_fixed);
	for (i = 0; i < c->nparams; i++) {
		for (j = 0; j < c->nruns; j++)
			free(c->params[i].value[j]);
		free(c->params[i].value);
		free(c->params[i].key);
	}
	free(c->params);
	free(c);
}
