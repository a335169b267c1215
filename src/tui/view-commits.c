/*
 * view-commits.c - the first-parent git log (like tig's main view) with,
 * per commit, its number of runs and a badge where a key metric regressed
 * (or improved) beyond its noise.  Enter lists the commit's runs in the
 * runs view, as the filter commit=SHA.
 */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"
#include "tui/draw.h"
#include "tui/layout.h"
#include "tui/model-commits.h"
#include "tui/text.h"
#include "tui/tui.h"
#include "util.h"

#define MAX_COMMITS 300

struct commits_view {
	struct bt_commits_model *m;
	struct bt_scroll sc;
	char message[256];
};

static int commits_open(struct bt_view *v, const void *arg)
{
	struct commits_view *cv = bt_xcalloc(1, sizeof(*cv));

	BT_UNUSED(arg);
	v->state = cv;
	cv->sc.cursor = 1;
	return 0;
}

static int commits_load(struct bt_view *v)
{
	struct commits_view *cv = v->state;
	struct bt_commits_model *m;
	char sha[41] = "";
	size_t i;
	int rc;

	if (!v->tui->repo) {
		snprintf(cv->message, sizeof(cv->message),
		         "Not in a git repository: run the dashboard inside a work tree to see its "
		         "history.");
		return 0;
	}
	rc = bt_commits_load(&m, v->tui->store, v->tui->repo, MAX_COMMITS);
	if (rc)
		return rc;
	if (cv->m && cv->sc.cur < cv->m->n)
		snprintf(sha, sizeof(sha), "%s", cv->m->rows[cv->sc.cur].sha);
	bt_commits_free(cv->m);
	cv->m = m;
	cv->sc.n = m->n;
	/* Keep the cursor on the same commit when new ones arrive. */
	for (i = 0; sha[0] && i < m->n; i++)
		if (strcmp(m->rows[i].sha, sha) == 0)
			cv->sc.cur = i;
	bt_scroll_fix(&cv->sc, v->height - 1);
	return 0;
}

static void badge_text(const struct bt_commit_row *r, char *out, size_t n)
{
	struct bt_buf b = BT_BUF_INIT;
	size_t i;

	for (i = 0; i < r->nbadges; i++) {
		char from[32], to[32];
		bt_format_real(from, sizeof(from), r->badges[i].from, 3);
		bt_format_real(to, sizeof(to), r->badges[i].to, 3);
		bt_buf_printf(&b, "%s%s %s %s%s%s", i ? "  " : "",
		              bt_glyph(r->badges[i].worse ? BT_G_WORSE : BT_G_BETTER),
		              r->badges[i].what, from, bt_draw_utf8() ? "\xe2\x86\x92" : "->", to);
	}
	snprintf(out, n, "%s", bt_buf_cstr(&b));
	bt_buf_free(&b);
}

static void commits_draw(struct bt_view *v, const struct bt_area *a)
{
	struct commits_view *cv = v->state;
	struct bt_layout_col lay[6] = {
	        {8, 8, 0, 0, 0},   /* sha */
	        {10, 10, 0, 4, 0}, /* date */
	        {6, 14, 0, 2, 1},  /* author */
	        {4, 4, 0, 0, 0},   /* runs */
	        {10, 50, 0, 6, 1}, /* summary */
	        {8, 60, 0, 5, 1},  /* badges */
	};
	static const char *const titles[6] = {"COMMIT", "DATE",    "AUTHOR",
	                                      "RUNS",   "SUMMARY", "METRICS"};
	int width[6], x[6], c, y, pos = 2;
	size_t r;

	if (cv->message[0] || !cv->m) {
		bt_draw_text(a->y + 1, a->x + 2, a->w - 4, cv->message, bt_style_attr(BT_ST_DIM),
		             1);
		return;
	}
	bt_layout_columns(lay, 6, a->w - 2, 2, width);
	for (c = 0; c < 6; c++) {
		x[c] = pos;
		if (width[c])
			pos += width[c] + 2;
	}
	bt_draw_fill(a->y, a->x, a->w, bt_style_attr(BT_ST_HEADER));
	for (c = 0; c < 6; c++)
		if (width[c]) {
			if (c == 3)
				bt_draw_text_right(a->y, a->x + x[c], width[c], titles[c],
				                   bt_style_attr(BT_ST_HEADER));
			else
				bt_draw_text(a->y, a->x + x[c], width[c], titles[c],
				             bt_style_attr(BT_ST_HEADER), 1);
		}
	for (y = 1, r = cv->sc.top; y < a->h && r < cv->m->n; y++, r++) {
		const struct bt_commit_row *row = &cv->m->rows[r];
		int cursor = r == cv->sc.cur;
		int base = bt_style_attr(cursor ? BT_ST_CURSOR : BT_ST_NORMAL);
		char buf[1024];
		bt_draw_fill(a->y + y, a->x, a->w, base);
		if (row->regressed)
			bt_draw_text(a->y + y, a->x, 1, bt_glyph(BT_G_WORSE),
			             cursor ? base : bt_style_attr(BT_ST_BAD), 0);
		snprintf(buf, sizeof(buf), "%.8s", row->sha);
		bt_draw_text(a->y + y, a->x + x[0], width[0], buf,
		             cursor ? base : bt_style_attr(BT_ST_DIM), 0);
		if (width[1]) {
			bt_format_time(buf, sizeof(buf), row->time);
			buf[10] = '\0';
			bt_draw_text(a->y + y, a->x + x[1], width[1], buf, base, 0);
		}
		if (width[2])
			bt_draw_text(a->y + y, a->x + x[2], width[2], row->author, base, 1);
		if (row->runs) {
			snprintf(buf, sizeof(buf), "%lld", (long long)row->runs);
			bt_draw_text_right(a->y + y, a->x + x[3], width[3], buf, base | A_BOLD);
		}
		if (width[4])
			bt_draw_text(a->y + y, a->x + x[4], width[4], row->summary, base, 1);
		if (width[5] && row->nbadges) {
			badge_text(row, buf, sizeof(buf));
			bt_draw_text(
			        a->y + y, a->x + x[5], width[5], buf,
			        cursor ? base
			               : bt_style_attr(row->regressed ? BT_ST_BAD : BT_ST_GOOD),
			        1);
		}
	}
}

static enum bt_key_result commits_key(struct bt_view *v, const struct bt_event *ev)
{
	struct commits_view *cv = v->state;
	struct bt_tui *t = v->tui;
	enum bt_key_result r;
	char filter[64];

	if (!cv->m)
		return BT_KEY_UNHANDLED;
	r = bt_tui_scroll_key(&cv->sc, ev, v->height - 1);
	if (r != BT_KEY_UNHANDLED)
		return r;
	switch (ev->action) {
	case BT_A_CLICK:
		if (ev->y >= 1)
			bt_scroll_to(&cv->sc, cv->sc.top + (size_t)(ev->y - 1), v->height - 1);
		return BT_KEY_REDRAW;
	case BT_A_OPEN:
		if (cv->sc.cur >= cv->m->n)
			return BT_KEY_HANDLED;
		if (!cv->m->rows[cv->sc.cur].runs) {
			bt_tui_flash(v->tui, 0, "no runs at this commit");
			return BT_KEY_REDRAW;
		}
		/*
		 * The runs view shows them through the filter language, so the filter
		 * says why.  Switching tabs closes this view: nothing of it is used after.
		 */
		snprintf(filter, sizeof(filter), "commit=%s", cv->m->rows[cv->sc.cur].sha);
		bt_tui_switch_tab(t, BT_TAB_RUNS);
		bt_view_runs_set_filter(bt_tui_home(t), filter);
		return BT_KEY_REDRAW;
	default:
		return BT_KEY_UNHANDLED;
	}
}

static void commits_status(struct bt_view *v, char *out, size_t n)
{
	struct commits_view *cv = v->state;
	struct bt_buf b = BT_BUF_INIT;
	size_t i, regressed = 0;

	if (!cv->m) {
		snprintf(out, n, "no history");
		return;
	}
	for (i = 0; i < cv->m->n; i++)
		regressed += cv->m->rows[i].regressed;
	bt_buf_printf(&b, "commit %zu of %zu  %zu with regressions", cv->m->n ? cv->sc.cur + 1 : 0,
	              cv->m->n, regressed);
	if (cv->m->nmetrics) {
		bt_buf_puts(&b, "  badges for:");
		for (i = 0; i < cv->m->nmetrics; i++)
			bt_buf_printf(&b, " %s", cv->m->metrics[i]);
	}
	snprintf(out, n, "%s", b.ptr);
	bt_buf_free(&b);
}

static void commits_title(struct bt_view *v, char *out, size_t n)
{
	snprintf(out, n, "%s", v->tui->repo ? v->tui->repo : "no repository");
}

static void commits_close(struct bt_view *v)
{
	struct commits_view *cv = v->state;

	if (!cv)
		return;
	bt_commits_free(cv->m);
	free(cv);
}

const struct bt_view_ops bt_view_commits = {
        .name = "commits",
        .keymap = BT_KM_COMMITS,
        .tab = BT_TAB_COMMITS,
        .open = commits_open,
        .load = commits_load,
        .draw = commits_draw,
        .key = commits_key,
        .close = commits_close,
        .status = commits_status,
        .title = commits_title,
};
