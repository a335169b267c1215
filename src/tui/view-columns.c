/*
 * view-columns.c - pick and order the runs table's columns: every field
 * and the metrics seen in recent runs, the shown ones first in their
 * order.  Space shows or hides, K and J move, Enter applies; Esc leaves
 * the table as it was.
 */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tui/draw.h"
#include "tui/layout.h"
#include "tui/model-runs.h"
#include "tui/tui.h"
#include "util.h"

struct entry {
	struct bt_rcol col;
	int shown;
};

struct columns_view {
	struct bt_runs_model *m;
	struct entry *e;
	size_t n;
	struct bt_scroll sc;
};

static int has(const struct columns_view *cv, enum bt_rcol_kind kind, const char *metric)
{
	size_t i;

	for (i = 0; i < cv->n; i++)
		if (cv->e[i].col.kind == kind &&
		    (kind != BT_RC_METRIC || strcmp(cv->e[i].col.metric, metric) == 0))
			return 1;
	return 0;
}

static void add(struct columns_view *cv, enum bt_rcol_kind kind, const char *metric, int shown)
{
	if (has(cv, kind, metric))
		return;
	cv->e = bt_xrealloc(cv->e, (cv->n + 1) * sizeof(*cv->e));
	cv->e[cv->n].col.kind = kind;
	cv->e[cv->n].col.metric = metric ? bt_xstrdup(metric) : NULL;
	cv->e[cv->n].shown = shown;
	cv->n++;
}

static int columns_open(struct bt_view *v, const void *arg)
{
	struct columns_view *cv = bt_xcalloc(1, sizeof(*cv));
	char **metrics = NULL;
	size_t nm = 0, i;
	int k, rc;

	v->state = cv;
	cv->m = (struct bt_runs_model *)arg;
	cv->sc.cursor = 1;
	for (i = 0; i < cv->m->ncols; i++)
		add(cv, cv->m->cols[i].kind, cv->m->cols[i].metric, 1);
	for (k = 0; k < BT_RC_METRIC; k++)
		add(cv, (enum bt_rcol_kind)k, NULL, 0);
	rc = bt_runs_recent_metrics(cv->m, &metrics, &nm);
	for (i = 0; i < nm; i++) {
		add(cv, BT_RC_METRIC, metrics[i], 0);
		free(metrics[i]);
	}
	free(metrics);
	cv->sc.n = cv->n;
	return rc;
}

static void columns_draw(struct bt_view *v, const struct bt_area *a)
{
	struct columns_view *cv = v->state;
	size_t i;
	int y;

	bt_draw_text(a->y, a->x + 1, a->w - 2,
	             "Columns of the runs table: Space shows or hides, K and J move, Enter applies",
	             bt_style_attr(BT_ST_HEADING), 1);
	for (y = 1, i = cv->sc.top; y < a->h && i < cv->n; y++, i++) {
		char title[96], line[160];
		int attr = bt_style_attr(i == cv->sc.cur ? BT_ST_CURSOR : BT_ST_NORMAL);
		bt_runs_col_title(&cv->e[i].col, title, sizeof(title));
		snprintf(line, sizeof(line), "  [%s] %s%s", cv->e[i].shown ? "x" : " ", title,
		         cv->e[i].col.kind == BT_RC_METRIC ? "  (metric)" : "");
		bt_draw_fill(a->y + y, a->x, a->w, attr);
		bt_draw_text(a->y + y, a->x, a->w, line, attr, 1);
	}
}

static void apply(struct bt_view *v)
{
	struct columns_view *cv = v->state;
	struct bt_rcol *cols = bt_xcalloc(cv->n ? cv->n : 1, sizeof(*cols));
	size_t i, n = 0;

	for (i = 0; i < cv->n; i++)
		if (cv->e[i].shown)
			cols[n++] = cv->e[i].col;
	if (!n) {
		free(cols);
		bt_tui_flash(v->tui, 1, "show at least one column");
		return;
	}
	bt_runs_set_columns(cv->m, cols, n);
	free(cols);
	if (bt_runs_load_first(cv->m))
		bt_tui_flash(v->tui, 1, "%s", bt_error_last());
	bt_tui_pop(v->tui);
}

static enum bt_key_result columns_key(struct bt_view *v, const struct bt_event *ev)
{
	struct columns_view *cv = v->state;
	enum bt_key_result r = bt_tui_scroll_key(&cv->sc, ev, v->height - 1);
	size_t i = cv->sc.cur;

	if (r != BT_KEY_UNHANDLED)
		return r;
	switch (ev->action) {
	case BT_A_TOGGLE:
		if (i < cv->n)
			cv->e[i].shown = !cv->e[i].shown;
		return BT_KEY_REDRAW;
	case BT_A_MOVE_UP:
	case BT_A_MOVE_DOWN: {
		size_t j = ev->action == BT_A_MOVE_UP ? i - 1 : i + 1;
		struct entry t;
		if ((ev->action == BT_A_MOVE_UP && i == 0) || j >= cv->n)
			return BT_KEY_HANDLED;
		t = cv->e[i];
		cv->e[i] = cv->e[j];
		cv->e[j] = t;
		bt_scroll_to(&cv->sc, j, v->height - 1);
		return BT_KEY_REDRAW;
	}
	case BT_A_CLICK:
		if (ev->y >= 1)
			bt_scroll_to(&cv->sc, cv->sc.top + (size_t)(ev->y - 1), v->height - 1);
		return BT_KEY_REDRAW;
	case BT_A_OPEN:
		apply(v);
		return BT_KEY_REDRAW;
	default:
		return BT_KEY_UNHANDLED;
	}
}

static void columns_status(struct bt_view *v, char *out, size_t n)
{
	struct columns_view *cv = v->state;
	size_t i, shown = 0;

	for (i = 0; i < cv->n; i++)
		shown += cv->e[i].shown;
	snprintf(out, n, "%zu of %zu columns shown; Esc leaves them as they were", shown, cv->n);
}

static void columns_title(struct bt_view *v, char *out, size_t n)
{
	BT_UNUSED(v);
	snprintf(out, n, "columns");
}

static void columns_close(struct bt_view *v)
{
	struct columns_view *cv = v->state;
	size_t i;

	if (!cv)
		return;
	for (i = 0; i < cv->n; i++)
		free(cv->e[i].col.metric);
	free(cv->e);
	free(cv);
}

const struct bt_view_ops bt_view_columns = {
        .name = "columns",
        .keymap = BT_KM_COLUMNS,
        .tab = -1,
        .open = columns_open,
        .draw = columns_draw,
        .key = columns_key,
        .close = columns_close,
        .status = columns_status,
        .title = columns_title,
};
