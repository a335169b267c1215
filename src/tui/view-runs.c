/*
 * view-runs.c - the home view: the table of runs, newest first.
 *
 * The state is a runs model (model-runs.c) plus the selected column; this
 * file turns keys into model calls and draws the model's window.  Column
 * widths come from layout.c, recomputed from the state on every draw, so
 * a resize never leaves garbage: narrow terminals drop columns, lowest
 * priority first.
 */
#include "config.h"

#include <curses.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tui/draw.h"
#include "tui/layout.h"
#include "tui/model-runs.h"
#include "tui/text.h"
#include "tui/tui.h"
#include "util.h"

#define GUTTER 2 /* the mark glyph and a blank before the first column */
#define GAP    1
#define MAXCOL 64

struct runs_view {
	struct bt_runs_model *m;
	size_t col; /* the selected column (index into m->cols) */
	int loaded;
};

struct runs_layout {
	int width[MAXCOL], x[MAXCOL];
	size_t n;
};

static struct runs_view *state(struct bt_view *v)
{
	return v->state;
}

struct bt_runs_model *bt_view_runs_model(struct bt_view *v)
{
	return state(v)->m;
}

/*
 * Column widths for `total` cells: a pure function of the state.  Default
 * columns with nothing to show in any loaded row (progress when nothing
 * runs, a metric no run has) take no room; columns the user picked always
 * do.
 */
static void layout(const struct runs_view *rv, int total, struct runs_layout *out)
{
	const struct bt_runs_model *m = rv->m;
	struct bt_layout_col cols[MAXCOL] = {{0, 0, 0, 0, 0}};
	size_t map[MAXCOL], i, r, k = 0, metric = 0, n = m->ncols < MAXCOL ? m->ncols : MAXCOL;
	int x = GUTTER, w[MAXCOL];

	for (i = 0; i < n; i++) {
		const struct bt_rcol_def *d = bt_rcol_def(m->cols[i].kind);
		struct bt_layout_col *c = &cols[k];
		char title[64];
		int tw, content = 0, empty = 1;
		bt_runs_col_title(&m->cols[i], title, sizeof(title));
		tw = bt_text_width(title) + 1; /* room for the sort arrow */
		for (r = 0; r < m->n && (empty || (d->flex && content < d->want)); r++) {
			char cell[256];
			int cw;
			bt_runs_cell(m, &m->rows[r], i, d->want, 1, cell, sizeof(cell));
			cw = bt_text_width(cell);
			empty = empty && !cw;
			if (cw > content)
				content = cw;
		}
		if (m->cols[i].kind == BT_RC_METRIC)
			metric++;
		if (empty && m->n && !m->custom_cols && m->cols[i].kind != BT_RC_STATUS &&
		    m->cols[i].kind != BT_RC_ID && m->cols[i].kind != BT_RC_NAME)
			continue;
		c->min = d->min;
		c->want = d->want;
		c->priority = d->priority;
		c->flex = d->flex;
		if (m->cols[i].kind == BT_RC_METRIC) {
			/* Metrics earlier in the list matter more. */
			c->priority = d->priority + 6 - 2 * (int)metric;
			if (c->priority < 1)
				c->priority = 1;
			c->want = c->min = tw > 7 ? tw : 7;
		} else if (d->flex) {
			/* Text columns want what their content needs, within the default. */
			c->want = content > tw ? content : tw;
			if (c->want > d->want)
				c->want = d->want;
		} else if (c->want < tw) {
			c->want = tw;
		}
		if (c->min > c->want)
			c->min = c->want;
		map[k++] = i;
	}
	bt_layout_columns(cols, k, total - GUTTER, GAP, w);
	out->n = n;
	memset(out->width, 0, sizeof(out->width));
	for (i = 0; i < k; i++)
		out->width[map[i]] = w[i];
	for (i = 0; i < n; i++) {
		out->x[i] = x;
		if (out->width[i])
			x += out->width[i] + GAP;
	}
}

static int status_style(const struct bt_runs_row *r)
{
	if (r->stale)
		return bt_style_attr(BT_ST_STALE);
	switch (r->status) {
	case BT_RUN_RUNNING:
		return bt_style_attr(BT_ST_RUNNING);
	case BT_RUN_FINISHED:
		return bt_style_attr(BT_ST_FINISHED);
	case BT_RUN_FAILED:
		return bt_style_attr(BT_ST_FAILED);
	case BT_RUN_INTERRUPTED:
		return bt_style_attr(BT_ST_INTERRUPTED);
	}
	return bt_style_attr(BT_ST_NORMAL);
}

static void runs_draw(struct bt_view *v, const struct bt_area *a)
{
	struct runs_view *rv = state(v);
	struct bt_runs_model *m = rv->m;
	struct runs_layout lay;
	size_t i, r;
	int y;

	layout(rv, a->w, &lay);
	/* The header: titles, the sort arrow, the selected column reversed. */
	bt_draw_fill(a->y, a->x, a->w, bt_style_attr(BT_ST_HEADER));
	for (i = 0; i < lay.n; i++) {
		char title[96], t2[100];
		int asc, sel = i == rv->col;
		const struct bt_rcol_def *d = bt_rcol_def(m->cols[i].kind);
		if (!lay.width[i])
			continue;
		bt_runs_col_title(&m->cols[i], title, sizeof(title));
		if (bt_runs_sorted_by(m, &m->cols[i], &asc))
			snprintf(t2, sizeof(t2), "%s%s", title,
			         bt_glyph(asc ? BT_G_SORT_UP : BT_G_SORT_DOWN));
		else
			snprintf(t2, sizeof(t2), "%s", title);
		if (d->right)
			bt_draw_text_right(a->y, a->x + lay.x[i], lay.width[i], t2,
			                   bt_style_attr(sel ? BT_ST_HEADER_SEL : BT_ST_HEADER));
		else
			bt_draw_text(a->y, a->x + lay.x[i], lay.width[i], t2,
			             bt_style_attr(sel ? BT_ST_HEADER_SEL : BT_ST_HEADER), 1);
	}
	if (!m->n) {
		bt_draw_text(a->y + 2, a->x + 2, a->w - 4,
		             m->filter ? "No runs match the filter.  Press / to change it."
		                       : "No runs yet.  Make one with 'benchtop run' or "
		                         "'benchtop exec'.",
		             bt_style_attr(BT_ST_DIM), 1);
		return;
	}
	for (y = 1, r = m->top; y < a->h && r < m->n; y++, r++) {
		const struct bt_runs_row *row = &m->rows[r];
		int cursor = r == m->cur, marked = bt_runs_is_marked(m, row->id);
		int base = cursor ? bt_style_attr(BT_ST_CURSOR)
		                  : bt_style_attr(marked ? BT_ST_MARKED : BT_ST_NORMAL);
		bt_draw_fill(a->y + y, a->x, a->w, base);
		if (marked)
			bt_draw_text(a->y + y, a->x, 1, bt_glyph(BT_G_MARK), base | A_BOLD, 0);
		for (i = 0; i < lay.n; i++) {
			char cell[512];
			const struct bt_rcol_def *d = bt_rcol_def(m->cols[i].kind);
			int attr = base;
			if (!lay.width[i])
				continue;
			bt_runs_cell(m, row, i, lay.width[i], bt_draw_utf8(), cell, sizeof(cell));
			if (!cell[0])
				continue;
			if (m->cols[i].kind == BT_RC_STATUS || m->cols[i].kind == BT_RC_PROGRESS)
				attr = cursor ? base
				              : status_style(row) | (marked ? (int)A_BOLD : 0);
			if (d->right)
				bt_draw_text_right(a->y + y, a->x + lay.x[i], lay.width[i], cell,
				                   attr);
			else
				bt_draw_text(a->y + y, a->x + lay.x[i], lay.width[i], cell, attr,
				             1);
		}
	}
}

static void runs_status(struct bt_view *v, char *out, size_t n)
{
	struct bt_runs_model *m = state(v)->m;
	struct bt_buf b = BT_BUF_INIT;

	if (m->n) {
		bt_buf_printf(&b, "run %lld", (long long)bt_runs_cursor_index(m) + 1);
		if (m->count >= 0)
			bt_buf_printf(&b, " of %lld", (long long)m->count);
		else if (m->count == BT_RUNS_UNCOUNTED)
			bt_buf_puts(&b, " of many (too slow to count)");
	} else {
		bt_buf_puts(&b, "no runs");
	}
	if (m->nmarks)
		bt_buf_printf(&b, "  %zu marked", m->nmarks);
	if (m->filter_text[0])
		bt_buf_printf(&b, "  filter: %s", m->filter_text);
	snprintf(out, n, "%s", bt_buf_cstr(&b));
	bt_buf_free(&b);
}

static void runs_title(struct bt_view *v, char *out, size_t n)
{
	snprintf(out, n, "%s", bt_store_path(v->tui->store));
}

static int runs_open(struct bt_view *v, const void *arg)
{
	struct runs_view *rv = bt_xcalloc(1, sizeof(*rv));
	const char *filter = arg;
	int rc;

	rv->m = bt_runs_model_new(v->tui->store);
	v->state = rv;
	if (filter && *filter) {
		rc = bt_runs_set_filter(rv->m, filter, NULL);
		if (rc)
			return rc;
	}
	return 0;
}

static int runs_load(struct bt_view *v)
{
	struct runs_view *rv = state(v);
	int rc;

	if (!rv->loaded) {
		rc = bt_runs_load_first(rv->m);
		rv->loaded = !rc;
	} else {
		rc = bt_runs_reload(rv->m);
	}
	if (rv->col >= rv->m->ncols)
		rv->col = rv->m->ncols ? rv->m->ncols - 1 : 0;
	bt_runs_scroll(rv->m, v->height - 1);
	return rc;
}

static int runs_idle(struct bt_view *v)
{
	struct runs_view *rv = state(v);
	int rc;

	if (rv->m->count != -1)
		return 0;
	rc = bt_runs_count(rv->m);
	if (rc == BT_EINTR) {
		/* A key is waiting: count again later, unless counting is hopeless. */
		bt_error_clear();
		if (!bt_tui_idle_expired())
			return 0;
		rv->m->count = BT_RUNS_UNCOUNTED;
	} else if (rc) {
		rv->m->count = BT_RUNS_UNCOUNTED;
		bt_tui_flash(v->tui, 1, "%s", bt_error_last());
	}
	return 1;
}

static int apply_filter(struct bt_view *v, const char *text, void *payload)
{
	struct runs_view *rv = state(v);
	struct bt_filter_error err;
	int rc;

	BT_UNUSED(payload);
	rc = bt_runs_set_filter(rv->m, text, &err);
	if (rc) {
		/* Keep the prompt open on the text, with the fault under a caret. */
		bt_tui_prompt_error(v->tui, bt_error_last(), 1, err.offset, err.length);
		return 1;
	}
	rc = bt_runs_load_first(rv->m);
	if (rc)
		bt_tui_flash(v->tui, 1, "%s", bt_error_last());
	if (rv->col >= rv->m->ncols)
		rv->col = rv->m->ncols ? rv->m->ncols - 1 : 0;
	bt_runs_scroll(rv->m, v->height - 1);
	return 0;
}

int bt_view_runs_set_filter(struct bt_view *v, const char *filter)
{
	return apply_filter(v, filter, NULL);
}

static void selected_ids(struct bt_runs_model *m, int64_t **ids, size_t *n)
{
	const struct bt_runs_row *cur = bt_runs_current(m);

	*ids = NULL;
	*n = 0;
	if (m->nmarks) {
		*ids = bt_xmalloc(m->nmarks * sizeof(**ids));
		memcpy(*ids, m->marks, m->nmarks * sizeof(**ids));
		*n = m->nmarks;
	} else if (cur) {
		*ids = bt_xmalloc(sizeof(**ids));
		(*ids)[0] = cur->id;
		*n = 1;
	}
}

static enum bt_key_result moved(struct bt_view *v, int rc)
{
	if (rc)
		bt_tui_flash(v->tui, 1, "%s", bt_error_last());
	return BT_KEY_REDRAW;
}

static enum bt_key_result runs_key(struct bt_view *v, const struct bt_event *ev)
{
	struct runs_view *rv = state(v);
	struct bt_runs_model *m = rv->m;
	const struct bt_runs_row *cur = bt_runs_current(m);
	int h = v->height - 1; /* rows below the header */
	struct runs_layout lay;
	int64_t *ids;
	size_t n, i;

	switch (ev->action) {
	case BT_A_UP:
		return moved(v, bt_runs_move(m, -1, h));
	case BT_A_DOWN:
		return moved(v, bt_runs_move(m, 1, h));
	case BT_A_SCROLL_UP:
		return moved(v, bt_runs_move(m, -3, h));
	case BT_A_SCROLL_DOWN:
		return moved(v, bt_runs_move(m, 3, h));
	case BT_A_PAGE_UP:
		return moved(v, bt_runs_move(m, -(h > 1 ? h - 1 : 1), h));
	case BT_A_PAGE_DOWN:
		return moved(v, bt_runs_move(m, h > 1 ? h - 1 : 1, h));
	case BT_A_TOP: {
		int rc = bt_runs_load_first(m);
		bt_runs_scroll(m, h);
		return moved(v, rc);
	}
	case BT_A_BOTTOM: {
		int rc = bt_runs_load_last(m);
		bt_runs_scroll(m, h);
		return moved(v, rc);
	}
	case BT_A_LEFT:
	case BT_A_RIGHT:
		/* Step over columns the layout had to hide. */
		layout(rv, v->width, &lay);
		for (i = rv->col;;) {
			if (ev->action == BT_A_LEFT) {
				if (i == 0)
					break;
				i--;
			} else {
				if (i + 1 >= lay.n)
					break;
				i++;
			}
			if (lay.width[i]) {
				rv->col = i;
				break;
			}
		}
		return BT_KEY_REDRAW;
	case BT_A_CLICK:
		if (ev->y == 0) {
			layout(rv, v->width, &lay);
			for (i = 0; i < lay.n; i++)
				if (lay.width[i] && ev->x >= lay.x[i] &&
				    ev->x < lay.x[i] + lay.width[i])
					rv->col = i;
			return BT_KEY_REDRAW;
		}
		if (ev->y > 0 && m->top + (size_t)(ev->y - 1) < m->n)
			m->cur = m->top + (size_t)(ev->y - 1);
		return BT_KEY_REDRAW;
	case BT_A_OPEN:
		if (!cur)
			return BT_KEY_HANDLED;
		bt_tui_push(v->tui, &bt_view_detail, &cur->id);
		return BT_KEY_REDRAW;
	case BT_A_FILTER:
		bt_tui_prompt(v->tui, v, "filter:", m->filter_text, apply_filter, NULL);
		return BT_KEY_REDRAW;
	case BT_A_SORT:
		if (rv->col < m->ncols) {
			bt_runs_set_sort(m, &m->cols[rv->col], 1);
			return moved(v, bt_runs_load_first(m));
		}
		return BT_KEY_HANDLED;
	case BT_A_SORT_RESET:
		bt_runs_reset_sort(m);
		return moved(v, bt_runs_load_first(m));
	case BT_A_MARK:
		if (!cur)
			return BT_KEY_HANDLED;
		bt_runs_toggle_mark(m, cur->id);
		return moved(v, bt_runs_move(m, 1, h));
	case BT_A_UNMARK_ALL:
		bt_runs_clear_marks(m);
		return BT_KEY_REDRAW;
	case BT_A_COMPARE:
		bt_tui_switch_tab(v->tui, BT_TAB_COMPARE);
		return BT_KEY_REDRAW;
	case BT_A_TAG:
		selected_ids(m, &ids, &n);
		if (n)
			bt_tui_tag_runs(v, ids, n);
		free(ids);
		return BT_KEY_REDRAW;
	case BT_A_NOTE:
		if (cur)
			bt_tui_edit_note(v, cur->id);
		return BT_KEY_REDRAW;
	case BT_A_DELETE:
		selected_ids(m, &ids, &n);
		if (n)
			bt_tui_delete_runs(v, ids, n);
		free(ids);
		return BT_KEY_REDRAW;
	case BT_A_COLUMNS:
		bt_tui_push(v->tui, &bt_view_columns, m);
		return BT_KEY_REDRAW;
	default:
		return BT_KEY_UNHANDLED;
	}
}

static void runs_close(struct bt_view *v)
{
	struct runs_view *rv = state(v);

	if (!rv)
		return;
	bt_runs_model_free(rv->m);
	free(rv);
}

const struct bt_view_ops bt_view_runs = {
        .name = "runs",
        .keymap = BT_KM_RUNS,
        .live = 1,
        .tab = BT_TAB_RUNS,
        .open = runs_open,
        .load = runs_load,
        .draw = runs_draw,
        .key = runs_key,
        .close = runs_close,
        .status = runs_status,
        .idle = runs_idle,
        .title = runs_title,
};
