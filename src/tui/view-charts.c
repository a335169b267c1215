/*
 * view-charts.c - two charts of the marked runs (or the run under the
 * cursor), switched with m:
 *
 *   by step    a logged series (training curves) against its step, one
 *              line per run, overlaid;
 *   by commit  a metric along the first-parent git history (history.c),
 *              one line per suite and model of the marked runs, with each
 *              point's confidence interval as a whisker, commits without
 *              runs as gaps, and the commits where it shifted marked.
 *
 * Drawn with braille dots when the locale is UTF-8 and ASCII markers
 * otherwise (chart.c does the arithmetic).  load() queries; draw() only
 * renders what load() left in the state.
 */
#include "config.h"

#include <curses.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"
#include "history.h"
#include "tui/chart.h"
#include "tui/draw.h"
#include "tui/text.h"
#include "tui/tui.h"
#include "util.h"

#define MAX_SERIES  6
#define MAX_COMMITS 120

enum mode { M_STEPS, M_COMMITS };

struct series {
	char *label;
	size_t n;
	double *x, *y, *lo, *hi; /* lo/hi NaN when unknown; y NaN: a gap */
	unsigned char *shift;    /* per point: a change point (commit mode) */
};

struct charts_view {
	int64_t *ids;
	size_t nids;
	enum mode mode;
	char **names[2]; /* series keys (steps) and metric names (commits) */
	size_t nnames[2], cur[2];
	struct series s[MAX_SERIES];
	size_t ns;
	/* commit mode: the commits along x, oldest first */
	char (*shas)[9];
	size_t ncommits;
	char message[256]; /* shown instead of a chart when there is nothing to draw */
};

static void free_series(struct charts_view *cv)
{
	size_t i;

	for (i = 0; i < cv->ns; i++) {
		free(cv->s[i].label);
		free(cv->s[i].x);
		free(cv->s[i].y);
		free(cv->s[i].lo);
		free(cv->s[i].hi);
		free(cv->s[i].shift);
	}
	memset(cv->s, 0, sizeof(cv->s));
	cv->ns = 0;
	free(cv->shas);
	cv->shas = NULL;
	cv->ncommits = 0;
}

static void free_names(struct charts_view *cv, int which)
{
	size_t i;

	for (i = 0; i < cv->nnames[which]; i++)
		free(cv->names[which][i]);
	free(cv->names[which]);
	cv->names[which] = NULL;
	cv->nnames[which] = 0;
}

/* "?, ?, ?" for the runs' ids; bind_ids() binds them from parameter 1. */
static void ids_sql(const struct charts_view *cv, struct bt_buf *sql)
{
	size_t i;

	for (i = 0; i < cv->nids; i++)
		bt_buf_puts(sql, i ? ", ?" : "?");
}

static void bind_ids(const struct charts_view *cv, sqlite3_stmt *st)
{
	size_t i;

	for (i = 0; i < cv->nids; i++)
		sqlite3_bind_int64(st, (int)i + 1, cv->ids[i]);
}

/* Names to chart, most common first: series keys or (non-operational) metric names. */
static int load_names(struct bt_view *v, int which)
{
	struct charts_view *cv = v->state;
	struct bt_buf sql = BT_BUF_INIT;
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	free_names(cv, which);
	if (which == M_STEPS)
		bt_buf_puts(&sql, "SELECT key, count(DISTINCT run_id) AS c, "
		                  "min(coalesce(wall_time, step)) AS f FROM "
		                  "series WHERE run_id IN (");
	else
		bt_buf_puts(&sql,
		            "SELECT metric, count(DISTINCT run_id) AS c, min(rowid) AS f FROM "
		            "metrics WHERE metric NOT IN ('errors', 'latency_p50', "
		            "'latency_p95', 'latency_p99', 'throughput') AND run_id IN (");
	ids_sql(cv, &sql);
	bt_buf_printf(&sql, ") GROUP BY %s ORDER BY c DESC, f",
	              which == M_STEPS ? "key" : "metric");
	rc = bt_store_prepare(v->tui->store, &st, sql.ptr);
	bt_buf_free(&sql);
	if (rc)
		return rc;
	bind_ids(cv, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		bt_grow(&cv->names[which], &cap, cv->nnames[which] + 1, sizeof(char *));
		cv->names[which][cv->nnames[which]++] =
		        bt_xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return bt_store_error(v->tui->store, rc, "cannot read metric names");
	if (cv->cur[which] >= cv->nnames[which])
		cv->cur[which] = 0;
	return 0;
}

static int load_steps(struct bt_view *v)
{
	struct charts_view *cv = v->state;
	const char *key = cv->names[M_STEPS][cv->cur[M_STEPS]];
	sqlite3_stmt *st, *rs;
	size_t i;
	int rc;

	rc = bt_store_prepare(v->tui->store, &st,
	                      "SELECT step, value FROM series WHERE run_id = ? AND key = ? ORDER "
	                      "BY step");
	if (rc)
		return rc;
	rc = bt_store_prepare(v->tui->store, &rs, "SELECT name, model FROM runs WHERE id = ?");
	if (rc) {
		sqlite3_finalize(st);
		return rc;
	}
	for (i = 0; i < cv->nids && cv->ns < MAX_SERIES && !rc; i++) {
		struct series *s = &cv->s[cv->ns];
		size_t cap = 0;
		const char *name = NULL, *model = NULL;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, cv->ids[i]);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (s->n == cap) {
				cap = cap ? cap * 2 : 64;
				s->x = bt_xrealloc(s->x, cap * sizeof(double));
				s->y = bt_xrealloc(s->y, cap * sizeof(double));
			}
			s->x[s->n] = sqlite3_column_double(st, 0);
			s->y[s->n] = sqlite3_column_type(st, 1) == SQLITE_NULL
			                     ? NAN
			                     : sqlite3_column_double(st, 1);
			s->n++;
		}
		rc = rc == SQLITE_DONE ? 0
		                       : bt_store_error(v->tui->store, rc, "cannot read series");
		if (!s->n)
			continue;
		sqlite3_reset(rs);
		sqlite3_bind_int64(rs, 1, cv->ids[i]);
		if (sqlite3_step(rs) == SQLITE_ROW) {
			name = (const char *)sqlite3_column_text(rs, 0);
			model = (const char *)sqlite3_column_text(rs, 1);
		}
		s->label = bt_xasprintf("run %lld%s%s%s%s", (long long)cv->ids[i], model ? " " : "",
		                        model ? model : "", name ? " " : "", name ? name : "");
		sqlite3_reset(rs);
		cv->ns++;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(rs);
	return rc;
}

/* The distinct (suite, model) pairs of the runs: one history line each. */
static int load_commits(struct bt_view *v)
{
	struct charts_view *cv = v->state;
	struct bt_tui *t = v->tui;
	const char *metric = cv->names[M_COMMITS][cv->cur[M_COMMITS]];
	struct bt_buf sql = BT_BUF_INIT;
	sqlite3_stmt *st;
	int rc;

	if (!t->repo) {
		snprintf(cv->message, sizeof(cv->message),
		         "Not in a git repository: the commit chart needs one (run the dashboard "
		         "inside the work tree).");
		return 0;
	}
	bt_buf_puts(&sql, "SELECT DISTINCT suite, model FROM runs WHERE id IN (");
	ids_sql(cv, &sql);
	bt_buf_puts(&sql, ") ORDER BY suite, model");
	rc = bt_store_prepare(t->store, &st, sql.ptr);
	bt_buf_free(&sql);
	if (rc)
		return rc;
	bind_ids(cv, st);
	while (!rc && cv->ns < MAX_SERIES && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct bt_history_query q;
		struct bt_history_point *pts;
		struct series *s = &cv->s[cv->ns];
		const char *suite = (const char *)sqlite3_column_text(st, 0);
		const char *model = (const char *)sqlite3_column_text(st, 1);
		size_t n, i, any = 0;
		memset(&q, 0, sizeof(q));
		q.metric = metric;
		q.suite = suite;
		q.model = model;
		q.max_commits = MAX_COMMITS;
		rc = bt_history_load(t->store, t->repo, &q, &pts, &n);
		if (rc)
			break;
		if (!cv->shas) {
			/* x runs along the first series' commits, oldest on the left. */
			cv->shas = bt_xcalloc(n ? n : 1, sizeof(*cv->shas));
			cv->ncommits = n;
			for (i = 0; i < n; i++)
				snprintf(cv->shas[n - 1 - i], sizeof(cv->shas[0]), "%.8s",
				         pts[i].sha);
		}
		s->n = n < cv->ncommits ? n : cv->ncommits;
		s->x = bt_xmalloc((s->n ? s->n : 1) * sizeof(double));
		s->y = bt_xmalloc((s->n ? s->n : 1) * sizeof(double));
		s->lo = bt_xmalloc((s->n ? s->n : 1) * sizeof(double));
		s->hi = bt_xmalloc((s->n ? s->n : 1) * sizeof(double));
		s->shift = bt_xcalloc(s->n ? s->n : 1, 1);
		for (i = 0; i < s->n; i++) {
			const struct bt_history_point *p = &pts[s->n - 1 - i];
			s->x[i] = (double)i;
			s->y[i] = p->has_value ? p->value : NAN;
			s->lo[i] = p->has_value ? p->ci_low : NAN;
			s->hi[i] = p->has_value ? p->ci_high : NAN;
			s->shift[i] = (unsigned char)p->change_point;
			any += p->has_value;
		}
		bt_history_free(pts, n);
		if (!any) {
			free(s->x);
			free(s->y);
			free(s->lo);
			free(s->hi);
			free(s->shift);
			memset(s, 0, sizeof(*s));
			rc = 0;
			continue;
		}
		s->label = bt_xasprintf("%s on %s", model ? model : "?", suite ? suite : "?");
		cv->ns++;
		rc = 0;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	sqlite3_finalize(st);
	if (rc > 0)
		rc = bt_store_error(t->store, rc, "cannot read runs");
	if (!rc && !cv->ns)
		snprintf(cv->message, sizeof(cv->message),
		         "No finished run on a clean tree has '%s' along this branch's history "
		         "(the last %d commits).",
		         metric, MAX_COMMITS);
	return rc;
}

static int charts_load(struct bt_view *v)
{
	struct charts_view *cv = v->state;
	int rc;

	free_series(cv);
	cv->message[0] = '\0';
	rc = load_names(v, cv->mode);
	if (rc)
		return rc;
	if (!cv->nnames[cv->mode]) {
		snprintf(cv->message, sizeof(cv->message),
		         cv->mode == M_STEPS
		                 ? "These runs logged no series.  Press m to chart a metric by "
		                   "commit."
		                 : "These runs have no metrics.  Press m to chart series by step.");
		return 0;
	}
	return cv->mode == M_STEPS ? load_steps(v) : load_commits(v);
}

static int charts_open(struct bt_view *v, const void *arg)
{
	const struct bt_ids_arg *a = arg;
	struct charts_view *cv = bt_xcalloc(1, sizeof(*cv));

	v->state = cv;
	cv->ids = bt_xmalloc(a->n * sizeof(*cv->ids));
	memcpy(cv->ids, a->ids, a->n * sizeof(*cv->ids));
	cv->nids = a->n;
	/* Start where there is something to see: series if any run logged some. */
	if (load_names(v, M_STEPS))
		return BT_ERROR;
	cv->mode = cv->nnames[M_STEPS] ? M_STEPS : M_COMMITS;
	return 0;
}

/* Draw the chart of cv->s in the area below the legend. */
static void draw_chart(struct charts_view *cv, int y0, int x0, int h, int w)
{
	struct bt_scale xs, ys;
	struct bt_canvas c;
	double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
	int lw = 0, cw, ch, pw, ph, i, yt, k;
	size_t si, j;
	char lab[64];

	for (si = 0; si < cv->ns; si++)
		for (j = 0; j < cv->s[si].n; j++) {
			const struct series *s = &cv->s[si];
			if (s->x[j] < xmin)
				xmin = s->x[j];
			if (s->x[j] > xmax)
				xmax = s->x[j];
			if (s->y[j] == s->y[j]) {
				ymin = fmin(ymin, s->y[j]);
				ymax = fmax(ymax, s->y[j]);
			}
			if (s->lo && s->lo[j] == s->lo[j] && s->hi[j] == s->hi[j]) {
				ymin = fmin(ymin, s->lo[j]);
				ymax = fmax(ymax, s->hi[j]);
			}
		}
	ch = h - 2; /* the x axis and its labels */
	if (cv->mode == M_COMMITS)
		ch--; /* a row of change-point markers */
	if (ch < 2)
		return;
	bt_scale_nice(&ys, ymin, ymax, ch / 2 + 1 < 8 ? ch / 2 + 1 : 8);
	for (k = 0; k < bt_scale_ticks(&ys); k++) {
		bt_scale_label(&ys, bt_scale_tick(&ys, k), lab, sizeof(lab));
		if ((int)strlen(lab) > lw)
			lw = (int)strlen(lab);
	}
	cw = w - lw - 2;
	if (cw < 4)
		return;
	if (cv->mode == M_COMMITS) {
		xs.lo = 0;
		xs.hi = cv->ncommits > 1 ? (double)(cv->ncommits - 1) : 1;
		xs.step = 1;
		xs.digits = 0;
	} else {
		bt_scale_nice(&xs, xmin, xmax, cw / 10 > 2 ? cw / 10 : 2);
		if (xs.step < 1) {
			/* Steps are whole numbers: no tick between two of them. */
			xs.step = 1;
			xs.digits = 0;
			xs.lo = floor(xmin);
			xs.hi = ceil(xmax) > xs.lo ? ceil(xmax) : xs.lo + 1;
		}
	}
	bt_canvas_init(&c, cw, ch, bt_draw_utf8());
	pw = bt_canvas_px_w(&c);
	ph = bt_canvas_px_h(&c);
	for (si = 0; si < cv->ns; si++) {
		const struct series *s = &cv->s[si];
		int px0 = -1, py0 = -1;
		for (j = 0; j < s->n; j++) {
			int px = bt_scale_pixel(&xs, s->x[j], pw), py;
			if (s->y[j] != s->y[j]) {
				px0 = -1; /* a gap: commits without runs break the line */
				continue;
			}
			py = ph - 1 - bt_scale_pixel(&ys, s->y[j], ph);
			if (s->lo && s->lo[j] == s->lo[j] && s->hi[j] == s->hi[j])
				bt_canvas_line(&c, px, ph - 1 - bt_scale_pixel(&ys, s->lo[j], ph),
				               px, ph - 1 - bt_scale_pixel(&ys, s->hi[j], ph),
				               (int)si);
			if (px0 >= 0)
				bt_canvas_line(&c, px0, py0, px, py, (int)si);
			else
				bt_canvas_set(&c, px, py, (int)si);
			px0 = px;
			py0 = py;
		}
		if (!bt_draw_color() && s->n) {
			/* Without colour, number each line at its last point. */
			for (j = s->n; j-- > 0;)
				if (s->y[j] == s->y[j])
					break;
			if (j != (size_t)-1) {
				int px = bt_scale_pixel(&xs, s->x[j], pw);
				int py = ph - 1 - bt_scale_pixel(&ys, s->y[j], ph);
				bt_canvas_mark(&c, c.braille ? px / 2 : px, c.braille ? py / 4 : py,
				               (char)('1' + si), (int)si);
			}
		}
	}
	/* The y axis with its tick labels. */
	for (i = 0; i < ch; i++)
		bt_draw_text(y0 + i, x0 + lw + 1, 1, bt_glyph(BT_G_VLINE), bt_style_attr(BT_ST_DIM),
		             0);
	for (k = 0; k < bt_scale_ticks(&ys); k++) {
		double v = bt_scale_tick(&ys, k);
		int row = (ph - 1 - bt_scale_pixel(&ys, v, ph)) / (c.braille ? 4 : 1);
		bt_scale_label(&ys, v, lab, sizeof(lab));
		bt_draw_text_right(y0 + row, x0, lw, lab, bt_style_attr(BT_ST_DIM));
	}
	/* The canvas. */
	for (yt = 0; yt < ch; yt++)
		for (i = 0; i < cw; i++) {
			char cell[8];
			int s = bt_canvas_cell(&c, i, yt, cell);
			if (s >= 0)
				bt_draw_text(y0 + yt, x0 + lw + 2 + i, 1, cell,
				             bt_style_attr(bt_series_style(s)), 0);
		}
	/* The x axis and its labels. */
	bt_draw_text(y0 + ch, x0 + lw + 1, 1, bt_glyph(BT_G_CORNER), bt_style_attr(BT_ST_DIM), 0);
	bt_draw_hline(y0 + ch, x0 + lw + 2, cw, bt_style_attr(BT_ST_DIM));
	if (cv->mode == M_COMMITS) {
		int limit = cw;
		for (si = 0; si < cv->ns; si++)
			for (j = 0; j < cv->s[si].n; j++)
				if (cv->s[si].shift[j]) {
					int cx = bt_scale_pixel(&xs, (double)j, pw) /
					         (c.braille ? 2 : 1);
					bt_draw_text(y0 + ch + 1, x0 + lw + 2 + cx, 1,
					             bt_glyph(BT_G_SHIFT),
					             bt_style_attr(bt_series_style((int)si)) |
					                     A_BOLD,
					             0);
				}
		/* Labels from the newest (right) leftwards, as many as fit without touching. */
		for (j = cv->ncommits; j-- > 0;) {
			int cx = bt_scale_pixel(&xs, (double)j, pw) / (c.braille ? 2 : 1);
			if (cx + 8 > cw)
				cx = cw - 8;
			if (cx < 0 || cx + 8 > limit)
				continue;
			bt_draw_text(y0 + ch + 2, x0 + lw + 2 + cx, 8, cv->shas[j],
			             bt_style_attr(BT_ST_DIM), 0);
			limit = cx - 2;
		}
	} else {
		int limit = cw;
		for (k = bt_scale_ticks(&xs); k-- > 0;) {
			double v = bt_scale_tick(&xs, k);
			int cx = bt_scale_pixel(&xs, v, pw) / (c.braille ? 2 : 1), lwid;
			bt_scale_label(&xs, v, lab, sizeof(lab));
			lwid = (int)strlen(lab);
			if (cx + lwid > cw)
				cx = cw - lwid;
			if (cx < 0 || cx + lwid > limit)
				continue;
			bt_draw_text(y0 + ch + 1, x0 + lw + 2 + cx, lwid, lab,
			             bt_style_attr(BT_ST_DIM), 0);
			limit = cx - 2;
		}
	}
	bt_canvas_release(&c);
}

static void charts_draw(struct bt_view *v, const struct bt_area *a)
{
	struct charts_view *cv = v->state;
	const char *name =
	        cv->nnames[cv->mode] ? cv->names[cv->mode][cv->cur[cv->mode]] : "(nothing)";
	char title[256];
	int x = a->x + 1;
	size_t i;

	snprintf(title, sizeof(title), "%s by %s  (%zu of %zu; n/N: other %s, m: by %s)", name,
	         cv->mode == M_STEPS ? "step" : "commit",
	         cv->nnames[cv->mode] ? cv->cur[cv->mode] + 1 : 0, cv->nnames[cv->mode],
	         cv->mode == M_STEPS ? "series" : "metrics",
	         cv->mode == M_STEPS ? "commit" : "step");
	bt_draw_text(a->y, a->x + 1, a->w - 2, title, bt_style_attr(BT_ST_HEADING), 1);
	if (cv->message[0] || !cv->ns) {
		bt_draw_text(a->y + 2, a->x + 2, a->w - 4,
		             cv->message[0] ? cv->message : "Nothing to chart.",
		             bt_style_attr(BT_ST_DIM), 1);
		return;
	}
	/* The legend: one entry per line drawn, in its colour (numbered without colour). */
	for (i = 0; i < cv->ns && x < a->x + a->w; i++) {
		char entry[160];
		snprintf(entry, sizeof(entry), "%c %s",
		         bt_draw_color() ? bt_canvas_marker((int)i) : (char)('1' + i),
		         cv->s[i].label);
		x += bt_draw_text(a->y + 1, x, a->x + a->w - x, entry,
		                  bt_style_attr(bt_series_style((int)i)), 1) +
		     3;
	}
	if (cv->mode == M_COMMITS)
		bt_draw_printf(
		        a->y + a->h - 1, a->x + 1, a->w - 2, bt_style_attr(BT_ST_DIM),
		        "%s marks a commit where %s shifted beyond its noise; whiskers are 95%% "
		        "intervals; gaps are commits without runs",
		        bt_glyph(BT_G_SHIFT), name);
	draw_chart(cv, a->y + 2, a->x, a->h - 2 - (cv->mode == M_COMMITS), a->w - 1);
}

static enum bt_key_result charts_key(struct bt_view *v, const struct bt_event *ev)
{
	struct charts_view *cv = v->state;
	size_t n = cv->nnames[cv->mode];

	switch (ev->action) {
	case BT_A_CHART_MODE:
		cv->mode = cv->mode == M_STEPS ? M_COMMITS : M_STEPS;
		return BT_KEY_RELOAD;
	case BT_A_NEXT_KEY:
	case BT_A_PREV_KEY:
		if (n < 2)
			return BT_KEY_HANDLED;
		cv->cur[cv->mode] =
		        (cv->cur[cv->mode] + (ev->action == BT_A_NEXT_KEY ? 1 : n - 1)) % n;
		return BT_KEY_RELOAD;
	case BT_A_UP:
	case BT_A_DOWN:
	case BT_A_PAGE_UP:
	case BT_A_PAGE_DOWN:
	case BT_A_TOP:
	case BT_A_BOTTOM:
	case BT_A_SCROLL_UP:
	case BT_A_SCROLL_DOWN:
	case BT_A_CLICK:
		return BT_KEY_HANDLED; /* a chart does not scroll */
	default:
		return BT_KEY_UNHANDLED;
	}
}

static void charts_status(struct bt_view *v, char *out, size_t n)
{
	struct charts_view *cv = v->state;
	size_t i, points = 0;

	for (i = 0; i < cv->ns; i++)
		points += cv->s[i].n;
	snprintf(out, n, "%zu run%s, %zu line%s, %zu points", cv->nids, cv->nids == 1 ? "" : "s",
	         cv->ns, cv->ns == 1 ? "" : "s", points);
}

static void charts_title(struct bt_view *v, char *out, size_t n)
{
	struct charts_view *cv = v->state;

	snprintf(out, n, "charts of %zu run%s", cv->nids, cv->nids == 1 ? "" : "s");
}

static void charts_close(struct bt_view *v)
{
	struct charts_view *cv = v->state;

	if (!cv)
		return;
	free_series(cv);
	free_names(cv, M_STEPS);
	free_names(cv, M_COMMITS);
	free(cv->ids);
	free(cv);
}

const struct bt_view_ops bt_view_charts = {
        .name = "charts",
        .keymap = BT_KM_CHARTS,
        .tab = BT_TAB_CHARTS,
        .open = charts_open,
        .load = charts_load,
        .draw = charts_draw,
        .key = charts_key,
        .close = charts_close,
        .status = charts_status,
        .title = charts_title,
};
