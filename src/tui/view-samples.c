/*
 * view-samples.c - every example of one task of a run: id, target,
 * prediction, correct, score, latency and error, optionally only the wrong
 * ones or only the failures; Enter shows one whole in the pager.
 *
 * The state is a samples model (model-samples.c); drawing reads it.
 */
#include "config.h"

#include <curses.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"
#include "tui/draw.h"
#include "tui/layout.h"
#include "tui/model-samples.h"
#include "tui/text.h"
#include "tui/tui.h"
#include "util.h"

enum { C_IDX, C_ID, C_OK, C_TARGET, C_PRED, C_SCORE, C_LATENCY, C_ERROR, C_COUNT };

static const struct {
	const char *title;
	struct bt_layout_col lay;
	int right;
} cols[C_COUNT] = {
        [C_IDX] = {"IDX", {3, 6, 0, 0, 0}, 1},
        [C_ID] = {"ID", {4, 14, 0, 9, 1}, 0},
        [C_OK] = {"OK", {2, 2, 0, 0, 0}, 0},
        [C_TARGET] = {"TARGET", {6, 24, 0, 8, 1}, 0},
        [C_PRED] = {"PREDICTION", {10, 40, 0, 10, 1}, 0},
        [C_SCORE] = {"SCORE", {6, 6, 0, 3, 0}, 1},
        [C_LATENCY] = {"LATENCY", {7, 7, 0, 2, 0}, 1},
        [C_ERROR] = {"ERROR", {5, 30, 0, 5, 1}, 0},
};

struct samples_view {
	struct bt_samples_model *m;
};

static void cell(const struct bt_sample *s, int c, char *out, size_t n)
{
	out[0] = '\0';
	switch (c) {
	case C_IDX:
		snprintf(out, n, "%lld", (long long)s->idx);
		break;
	case C_ID:
		snprintf(out, n, "%s", s->example_id ? s->example_id : "");
		break;
	case C_OK:
		if (s->correct >= 0)
			snprintf(out, n, "%s", bt_glyph(s->correct ? BT_G_CHECK : BT_G_CROSS));
		break;
	case C_TARGET:
		snprintf(out, n, "%s", s->target ? s->target : "");
		break;
	case C_PRED:
		snprintf(out, n, "%s", s->prediction ? s->prediction : "");
		break;
	case C_SCORE:
		if (s->score == s->score)
			bt_format_real(out, n, s->score, 3);
		break;
	case C_LATENCY:
		if (s->latency == s->latency)
			snprintf(out, n, "%.0fms", s->latency * 1000);
		break;
	case C_ERROR:
		snprintf(out, n, "%s", s->error ? s->error : "");
		break;
	}
}

static void samples_draw(struct bt_view *v, const struct bt_area *a)
{
	struct samples_view *sv = v->state;
	struct bt_samples_model *m = sv->m;
	struct bt_layout_col lay[C_COUNT];
	int width[C_COUNT], x[C_COUNT], c, y, pos = 1;
	size_t r;

	for (c = 0; c < C_COUNT; c++)
		lay[c] = cols[c].lay;
	bt_layout_columns(lay, C_COUNT, a->w - 1, 1, width);
	for (c = 0; c < C_COUNT; c++) {
		x[c] = pos;
		if (width[c])
			pos += width[c] + 1;
	}
	bt_draw_fill(a->y, a->x, a->w, bt_style_attr(BT_ST_HEADER));
	for (c = 0; c < C_COUNT; c++) {
		if (!width[c])
			continue;
		if (cols[c].right)
			bt_draw_text_right(a->y, a->x + x[c], width[c], cols[c].title,
			                   bt_style_attr(BT_ST_HEADER));
		else
			bt_draw_text(a->y, a->x + x[c], width[c], cols[c].title,
			             bt_style_attr(BT_ST_HEADER), 1);
	}
	if (!m->n) {
		bt_draw_text(a->y + 2, a->x + 2, a->w - 4,
		             m->mode == BT_SAMPLES_ALL ? "This task has no samples."
		             : m->mode == BT_SAMPLES_WRONG
		                     ? "No wrong examples.  Press w to show all."
		                     : "No examples failed.  Press x to show all.",
		             bt_style_attr(BT_ST_DIM), 1);
		return;
	}
	for (y = 1, r = m->top; y < a->h && r < m->n; y++, r++) {
		const struct bt_sample *s = &m->rows[r];
		int base = bt_style_attr(r == m->cur ? BT_ST_CURSOR : BT_ST_NORMAL);
		bt_draw_fill(a->y + y, a->x, a->w, base);
		for (c = 0; c < C_COUNT; c++) {
			char buf[512];
			int attr = base;
			if (!width[c])
				continue;
			cell(s, c, buf, sizeof(buf));
			if (r != m->cur && c == C_OK && s->correct >= 0)
				attr = bt_style_attr(s->correct ? BT_ST_GOOD : BT_ST_BAD);
			if (r != m->cur && c == C_ERROR)
				attr = bt_style_attr(BT_ST_ERROR);
			if (cols[c].right)
				bt_draw_text_right(a->y + y, a->x + x[c], width[c], buf, attr);
			else
				bt_draw_text(a->y + y, a->x + x[c], width[c], buf, attr, 1);
		}
	}
}

static int samples_open(struct bt_view *v, const void *arg)
{
	const struct bt_samples_arg *a = arg;
	struct samples_view *sv = bt_xcalloc(1, sizeof(*sv));

	v->state = sv;
	return bt_samples_open(&sv->m, v->tui->store, a->run_id, a->task);
}

static int samples_load(struct bt_view *v)
{
	struct samples_view *sv = v->state;
	int rc = bt_samples_reload(sv->m);

	sv->m->count = -1;
	bt_samples_scroll(sv->m, v->height - 1);
	return rc;
}

static int samples_idle(struct bt_view *v)
{
	struct samples_view *sv = v->state;
	int rc;

	if (sv->m->count != -1)
		return 0;
	rc = bt_samples_count(sv->m);
	if (rc == BT_EINTR) {
		bt_error_clear();
		if (!bt_tui_idle_expired())
			return 0; /* a key is waiting: count later */
	}
	if (rc)
		sv->m->count = -2; /* not worth counting: the status line leaves it out */
	return 1;
}

static void open_pager(struct bt_view *v, const struct bt_sample *s)
{
	struct samples_view *sv = v->state;
	struct bt_pager_section sec[4];
	struct bt_buf head = BT_BUF_INIT;
	char title[160], score[32];
	size_t n = 0;

	bt_buf_printf(&head, "example %s (index %lld)", s->example_id ? s->example_id : "?",
	              (long long)s->idx);
	if (s->correct >= 0)
		bt_buf_printf(&head, ", %s", s->correct ? "correct" : "wrong");
	if (s->score == s->score) {
		bt_format_real(score, sizeof(score), s->score, 4);
		bt_buf_printf(&head, ", score %s", score);
	}
	if (s->latency == s->latency)
		bt_buf_printf(&head, ", %.1f ms", s->latency * 1000);
	sec[n++] = (struct bt_pager_section){NULL, head.ptr};
	sec[n++] = (struct bt_pager_section){"Target", s->target ? s->target : "(none)"};
	sec[n++] =
	        (struct bt_pager_section){"Prediction", s->prediction ? s->prediction : "(none)"};
	if (s->error)
		sec[n++] = (struct bt_pager_section){"Error", s->error};
	snprintf(title, sizeof(title), "run %lld %s #%lld", (long long)sv->m->run_id, sv->m->task,
	         (long long)s->idx);
	bt_tui_push(v->tui, &bt_view_pager,
	            &(struct bt_pager_arg){.title = title, .sections = sec, .n = n});
	bt_buf_free(&head);
}

static enum bt_key_result samples_key(struct bt_view *v, const struct bt_event *ev)
{
	struct samples_view *sv = v->state;
	struct bt_samples_model *m = sv->m;
	int h = v->height - 1, rc = 0;

	switch (ev->action) {
	case BT_A_UP:
		rc = bt_samples_move(m, -1, h);
		break;
	case BT_A_DOWN:
		rc = bt_samples_move(m, 1, h);
		break;
	case BT_A_SCROLL_UP:
		rc = bt_samples_move(m, -3, h);
		break;
	case BT_A_SCROLL_DOWN:
		rc = bt_samples_move(m, 3, h);
		break;
	case BT_A_PAGE_UP:
		rc = bt_samples_move(m, -(h > 1 ? h - 1 : 1), h);
		break;
	case BT_A_PAGE_DOWN:
		rc = bt_samples_move(m, h > 1 ? h - 1 : 1, h);
		break;
	case BT_A_TOP:
		rc = bt_samples_load_first(m);
		bt_samples_scroll(m, h);
		break;
	case BT_A_BOTTOM:
		rc = bt_samples_load_last(m);
		bt_samples_scroll(m, h);
		break;
	case BT_A_CLICK:
		if (ev->y > 0 && m->top + (size_t)(ev->y - 1) < m->n)
			m->cur = m->top + (size_t)(ev->y - 1);
		break;
	case BT_A_WRONG_ONLY:
	case BT_A_ERRORS_ONLY: {
		enum bt_samples_mode want =
		        ev->action == BT_A_WRONG_ONLY ? BT_SAMPLES_WRONG : BT_SAMPLES_ERRORS;
		bt_samples_set_mode(m, m->mode == want ? BT_SAMPLES_ALL : want);
		rc = bt_samples_load_first(m);
		bt_samples_scroll(m, h);
		break;
	}
	case BT_A_OPEN:
		if (bt_samples_current(m))
			open_pager(v, bt_samples_current(m));
		break;
	default:
		return BT_KEY_UNHANDLED;
	}
	if (rc)
		bt_tui_flash(v->tui, 1, "%s", bt_error_last());
	return BT_KEY_REDRAW;
}

static void samples_status(struct bt_view *v, char *out, size_t n)
{
	struct samples_view *sv = v->state;
	struct bt_samples_model *m = sv->m;
	const struct bt_sample *s = bt_samples_current(m);
	const char *mode = m->mode == BT_SAMPLES_WRONG    ? " (wrong only)"
	                   : m->mode == BT_SAMPLES_ERRORS ? " (errors only)"
	                                                  : "";

	if (!s)
		snprintf(out, n, "no samples%s", mode);
	else if (m->count >= 0)
		snprintf(out, n, "example #%lld, %lld shown of %lld%s", (long long)s->idx,
		         (long long)m->count, (long long)m->n_examples, mode);
	else
		snprintf(out, n, "example #%lld%s", (long long)s->idx, mode);
}

static void samples_title(struct bt_view *v, char *out, size_t n)
{
	struct samples_view *sv = v->state;

	snprintf(out, n, "run %lld  %s (%s)", (long long)sv->m->run_id, sv->m->task,
	         sv->m->type ? sv->m->type : "?");
}

static void samples_close(struct bt_view *v)
{
	struct samples_view *sv = v->state;

	if (!sv)
		return;
	bt_samples_free(sv->m);
	free(sv);
}

const struct bt_view_ops bt_view_samples = {
        .name = "samples",
        .keymap = BT_KM_SAMPLES,
        .live = 1,
        .tab = -1,
        .open = samples_open,
        .load = samples_load,
        .draw = samples_draw,
        .key = samples_key,
        .close = samples_close,
        .status = samples_status,
        .idle = samples_idle,
        .title = samples_title,
};
