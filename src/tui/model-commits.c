/*
 * model-commits.c - the git log with run counts and metric badges (see
 * model-commits.h).  Reads the store and the repository, never writes.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "git.h"
#include "history.h"
#include "metrics.h"
#include "tui/model-commits.h"
#include "util.h"

#define KEY_METRICS 3
#define GROUPS      4

struct walk {
	struct bt_commits_model *m;
	size_t cap;
};

static int add_commit(const struct bt_git_commit *c, void *payload)
{
	struct walk *w = payload;
	struct bt_commit_row *r;

	bt_grow(&w->m->rows, &w->cap, w->m->n + 1, sizeof(*w->m->rows));
	r = &w->m->rows[w->m->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->sha, sizeof(r->sha), "%s", c->sha);
	r->summary = bt_xstrdup(c->summary ? c->summary : "");
	r->author = bt_xstrdup(c->author_name ? c->author_name : "");
	r->time = c->author_time;
	return 0;
}

static int count_runs(struct bt_commits_model *m, struct bt_store *s)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = bt_store_prepare(s, &st, "SELECT count(*) FROM runs WHERE git_sha = ?");

	/* One indexed lookup per commit (runs_git): a few hundred microseconds in all. */
	for (i = 0; i < m->n && !rc; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, m->rows[i].sha, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			m->rows[i].runs = sqlite3_column_int64(st, 0);
			rc = 0;
		} else {
			rc = bt_store_error(s, rc, "cannot count runs");
		}
	}
	sqlite3_finalize(st);
	return rc;
}

static int key_metrics(struct bt_commits_model *m, struct bt_store *s)
{
	sqlite3_stmt *st;
	int rc = bt_store_prepare(
	        s, &st,
	        "SELECT metric, count(DISTINCT run_id) AS c, min(rowid) AS f FROM metrics WHERE "
	        "run_id IN (SELECT id FROM runs WHERE status = 'finished' AND git_sha IS NOT NULL "
	        "ORDER BY started_at DESC LIMIT 200) AND metric NOT IN ('errors', 'latency_p50', "
	        "'latency_p95', 'latency_p99', 'throughput') GROUP BY metric ORDER BY c DESC, f "
	        "LIMIT ?");

	if (rc)
		return rc;
	sqlite3_bind_int(st, 1, KEY_METRICS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		m->metrics = bt_xrealloc(m->metrics, (m->nmetrics + 1) * sizeof(char *));
		m->metrics[m->nmetrics++] = bt_xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : bt_store_error(s, rc, "cannot read metric names");
}

static struct bt_commit_row *find_row(struct bt_commits_model *m, size_t hint, const char *sha)
{
	size_t i;

	if (hint < m->n && strcmp(m->rows[hint].sha, sha) == 0)
		return &m->rows[hint];
	for (i = 0; i < m->n; i++)
		if (strcmp(m->rows[i].sha, sha) == 0)
			return &m->rows[i];
	return NULL;
}

/* Badges from one metric's history for one suite and model. */
static void badge_history(struct bt_commits_model *m, const struct bt_history_point *p, size_t n,
                          const char *metric, const char *suite, const char *model)
{
	int dir = bt_metrics_direction(metric);
	double last = NAN;
	size_t i;

	/* Points are newest first: walk from the oldest so `last` is the value before. */
	for (i = n; i-- > 0;) {
		struct bt_commit_row *r;
		struct bt_commit_badge *b;
		if (!p[i].has_value || p[i].value != p[i].value)
			continue;
		if (p[i].change_point && last == last && dir != 0 && p[i].value != last &&
		    (r = find_row(m, i, p[i].sha)) != NULL) {
			r->badges = bt_xrealloc(r->badges, (r->nbadges + 1) * sizeof(*r->badges));
			b = &r->badges[r->nbadges++];
			b->what = bt_xasprintf("%s (%s on %s)", metric, model ? model : "any model",
			                       suite ? suite : "any suite");
			b->worse = (p[i].value - last) * dir < 0;
			b->from = last;
			b->to = p[i].value;
			if (b->worse)
				r->regressed = 1;
		}
		last = p[i].value;
	}
}

static int badges(struct bt_commits_model *m, struct bt_store *s, const char *repo, int max)
{
	sqlite3_stmt *st;
	size_t k;
	int rc = bt_store_prepare(
	        s, &st,
	        "SELECT suite, model, max(started_at) AS last FROM (SELECT suite, model, "
	        "started_at FROM runs WHERE status = 'finished' AND git_sha IS NOT NULL ORDER BY "
	        "started_at DESC LIMIT 1000) GROUP BY suite, model ORDER BY last DESC LIMIT ?");

	if (rc)
		return rc;
	sqlite3_bind_int(st, 1, GROUPS);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *suite = (const char *)sqlite3_column_text(st, 0);
		const char *model = (const char *)sqlite3_column_text(st, 1);
		for (k = 0; k < m->nmetrics; k++) {
			struct bt_history_query q;
			struct bt_history_point *p;
			size_t n;
			memset(&q, 0, sizeof(q));
			q.metric = m->metrics[k];
			q.suite = suite;
			q.model = model;
			q.max_commits = max;
			if (bt_history_load(s, repo, &q, &p, &n) != 0) {
				/* A metric that cannot be followed only costs its badges. */
				bt_error_clear();
				continue;
			}
			badge_history(m, p, n, m->metrics[k], suite, model);
			bt_history_free(p, n);
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : bt_store_error(s, rc, "cannot read runs");
}

int bt_commits_load(struct bt_commits_model **out, struct bt_store *s, const char *repo, int max)
{
	struct bt_commits_model *m = bt_xcalloc(1, sizeof(*m));
	struct walk w = {m, 0};
	int rc;

	*out = NULL;
	if (!repo) {
		bt_commits_free(m);
		return bt_error_set(BT_ENOTFOUND, "not in a git repository");
	}
	rc = bt_git_walk_first_parent(repo, NULL, max, add_commit, &w);
	if (!rc)
		rc = count_runs(m, s);
	if (!rc)
		rc = key_metrics(m, s);
	if (!rc)
		rc = badges(m, s, repo, max);
	if (rc) {
		bt_commits_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void bt_commits_free(struct bt_commits_model *m)
{
	size_t i, j;

	if (!m)
		return;
	for (i = 0; i < m->n; i++) {
		for (j = 0; j < m->rows[i].nbadges; j++)
			free(m->rows[i].badges[j].what);
		free(m->rows[i].badges);
		free(m->rows[i].summary);
		free(m->rows[i].author);
	}
	free(m->rows);
	for (i = 0; i < m->nmetrics; i++)
		free(m->metrics[i]);
	free(m->metrics);
	free(m);
}
