/*
 * history.c - a metric along the first-parent git history (see history.h):
 * one point per commit from the latest matching finished run there, gaps
 * where there is none, and change points from stats.c.
 *
 * Reads the store and the repository; never writes either.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "git.h"
#include "history.h"
#include "stats.h"
#include "util.h"

#define Z95 1.959963984540054

struct walk {
	struct bt_store *store;
	const struct bt_history_query *q;
	sqlite3_stmt *runs, *value;
	struct bt_history_point *pts;
	size_t n, cap;
	int rc;
};

static double col_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* The value of the chosen run: one task's row, or the mean over its tasks. */
static int fill_value(struct walk *w, struct bt_history_point *p)
{
	double sum = 0, se2 = 0, lo = 0, hi = 0, first_lo = NAN, first_hi = NAN;
	size_t k = 0, with_se = 0, with_ci = 0;
	int rc;

	sqlite3_reset(w->value);
	sqlite3_bind_int64(w->value, 1, p->run_id);
	while ((rc = sqlite3_step(w->value)) == SQLITE_ROW) {
		double v = col_real(w->value, 0), l = col_real(w->value, 1),
		       h = col_real(w->value, 2), se = col_real(w->value, 3);
		/* A stored interval without a standard error still implies one. */
		if (se != se && l == l && h == h)
			se = (h - l) / (2 * Z95);
		if (k == 0) {
			first_lo = l;
			first_hi = h;
		}
		sum += v;
		k++;
		if (se == se) {
			se2 += se * se;
			with_se++;
		}
		if (l == l && h == h) {
			lo += l;
			hi += h;
			with_ci++;
		}
	}
	if (rc != SQLITE_DONE)
		return bt_store_error(w->store, rc, "cannot read metrics");
	p->n_tasks = k;
	if (!k)
		return 0;
	p->has_value = 1;
	p->value = sum / (double)k;
	if (k == 1) {
		p->ci_low = first_lo;
		p->ci_high = first_hi;
		p->se = with_se ? sqrt(se2) : NAN;
		return 0;
	}
	if (with_se == k) {
		p->se = sqrt(se2) / (double)k;
		p->ci_low = p->value - Z95 * p->se;
		p->ci_high = p->value + Z95 * p->se;
	} else if (with_ci == k) {
		p->ci_low = lo / (double)k;
		p->ci_high = hi / (double)k;
	}
	return 0;
}

static int visit(const struct bt_git_commit *c, void *payload)
{
	struct walk *w = payload;
	struct bt_history_point *p;
	int rc;

	bt_grow(&w->pts, &w->cap, w->n + 1, sizeof(*w->pts));
	p = &w->pts[w->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->sha, sizeof(p->sha), "%s", c->sha);
	p->summary = bt_xstrdup(c->summary ? c->summary : "");
	p->author_time = c->author_time;
	p->value = p->ci_low = p->ci_high = p->se = NAN;

	sqlite3_reset(w->runs);
	sqlite3_bind_text(w->runs, 1, c->sha, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(w->runs)) == SQLITE_ROW) {
		if (p->n_runs++ == 0)
			p->run_id = sqlite3_column_int64(w->runs, 0);
	}
	if (rc != SQLITE_DONE)
		return w->rc = bt_store_error(w->store, rc, "cannot find runs for history");
	if (p->n_runs) {
		rc = fill_value(w, p);
		if (rc)
			return w->rc = rc;
	}
	return 0;
}

int bt_history_load(struct bt_store *s, const char *repo_path, const struct bt_history_query *q,
                    struct bt_history_point **out, size_t *n)
{
	static const char runs_sql[] =
	        "SELECT r.id FROM runs r WHERE r.git_sha = ?1 AND r.status = 'finished' "
	        "AND coalesce(r.git_dirty, 0) = 0 AND coalesce(r.shard_count, 0) = 0 "
	        "AND (?2 IS NULL OR r.suite = ?2) AND (?3 IS NULL OR r.model = ?3) "
	        "AND EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = r.id AND m.metric = ?4 "
	        "AND (?5 IS NULL OR m.task = ?5) AND m.value IS NOT NULL) "
	        "ORDER BY r.started_at DESC, r.id DESC";
	static const char value_sql[] =
	        "SELECT value, ci_low, ci_high, stderr FROM metrics WHERE run_id = ?1 "
	        "AND metric = ?2 AND (?3 IS NULL OR task = ?3) AND value IS NOT NULL "
	        "ORDER BY rowid";
	struct walk w;
	double *values = NULL, *se = NULL;
	unsigned char *flags = NULL;
	size_t i;
	int rc;

	*out = NULL;
	*n = 0;
	if (!q || !q->metric || !*q->metric)
		return bt_error_set(BT_EUSAGE, "history needs a metric name");
	memset(&w, 0, sizeof(w));
	w.store = s;
	w.q = q;
	rc = bt_store_prepare(s, &w.runs, runs_sql);
	if (!rc)
		rc = bt_store_prepare(s, &w.value, value_sql);
	if (rc)
		goto out;
	bind_opt(w.runs, 2, q->suite);
	bind_opt(w.runs, 3, q->model);
	bind_opt(w.runs, 4, q->metric);
	bind_opt(w.runs, 5, q->task);
	bind_opt(w.value, 2, q->metric);
	bind_opt(w.value, 3, q->task);

	rc = bt_git_walk_first_parent(repo_path, q->start,
	                              q->max_commits > 0 ? q->max_commits : 200, visit, &w);
	if (w.rc)
		rc = w.rc;
	if (rc)
		goto out;

	/* Change points read the series oldest first. */
	if (w.n) {
		values = bt_xmalloc(w.n * sizeof(*values));
		se = bt_xmalloc(w.n * sizeof(*se));
		flags = bt_xmalloc(w.n);
		for (i = 0; i < w.n; i++) {
			const struct bt_history_point *p = &w.pts[w.n - 1 - i];
			values[i] = p->has_value ? p->value : NAN;
			se[i] = p->has_value ? p->se : NAN;
		}
		bt_stats_change_points(values, se, w.n, flags);
		for (i = 0; i < w.n; i++)
			w.pts[w.n - 1 - i].change_point = flags[i];
	}
	*out = w.pts;
	*n = w.n;
	w.pts = NULL;
	w.n = 0;
out:
	free(values);
	free(se);
	free(flags);
	sqlite3_finalize(w.runs);
	sqlite3_finalize(w.value);
	bt_history_free(w.pts, w.n);
	return rc;
}

void bt_history_free(struct bt_history_point *p, size_t n)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < n; i++)
		free(p[i].summary);
	free(p);
}
