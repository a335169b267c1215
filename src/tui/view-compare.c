/*
 * view-compare.c - two or more marked runs side by side: metrics with
 * deltas against the first run coloured by significance (not by sign),
 * the examples whose outcome flipped (Enter shows one in the pager), and
 * the params and setup that differ.
 *
 * The state is a struct bt_compare (model-compare.c) and a list of lines
 * that point into it; draw() formats those lines, so colours come from the
 * model's significance and never from the text.
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
#include "tui/model-compare.h"
#include "tui/text.h"
#include "tui/tui.h"
#include "util.h"

#define MAX_FLIPS 500

enum ckind {
	L_BLANK,
	L_HEADING,  /* text */
	L_NOTE,     /* text, dim */
	L_RUN,      /* index: run */
	L_MHEAD,    /* metric table header */
	L_METRIC,   /* index: metric */
	L_FLIPHEAD, /* index: other run */
	L_FLIP,     /* index: flip */
	L_PHEAD,    /* params table header */
	L_PARAM,    /* index: param */
	L_SETUP,    /* index: which setup row */
};

enum { S_COMMIT, S_BRANCH, S_SUITE, S_SUITE_HASH, S_MODEL, S_MODEL_VERSION, S_SEED, S_COUNT };

struct cline {
	enum ckind kind;
	size_t index;
	char *text;
};

struct compare_view {
	int64_t *ids;
	size_t nids;
	struct bt_compare *c;
	struct cline *lines;
	size_t n;
	struct bt_scroll sc;
};

static void add(struct compare_view *cv, enum ckind kind, size_t index, const char *text)
{
	cv->lines = bt_xrealloc(cv->lines, (cv->n + 1) * sizeof(*cv->lines));
	cv->lines[cv->n].kind = kind;
	cv->lines[cv->n].index = index;
	cv->lines[cv->n].text = text ? bt_xstrdup(text) : NULL;
	cv->n++;
}

static void clear_lines(struct compare_view *cv)
{
	size_t i;

	for (i = 0; i < cv->n; i++)
		free(cv->lines[i].text);
	free(cv->lines);
	cv->lines = NULL;
	cv->n = 0;
}

static char run_letter(size_t i)
{
	return (char)('A' + (i % 26));
}

static const char *setup_value(const struct bt_cmp_run *r, int which, char *buf, size_t n)
{
	switch (which) {
	case S_COMMIT:
		if (!r->sha)
			return "-";
		snprintf(buf, n, "%.12s%s", r->sha, r->dirty ? "*" : "");
		return buf;
	case S_BRANCH:
		return r->branch ? r->branch : "-";
	case S_SUITE:
		return r->suite ? r->suite : "-";
	case S_SUITE_HASH:
		if (!r->suite_hash)
			return "-";
		snprintf(buf, n, "%.12s", r->suite_hash);
		return buf;
	case S_MODEL:
		return r->model ? r->model : "-";
	case S_MODEL_VERSION:
		return r->model_version ? r->model_version : "-";
	case S_SEED:
		if (!r->has_seed)
			return "-";
		snprintf(buf, n, "%lld", (long long)r->seed);
		return buf;
	}
	return "-";
}

static const char *const setup_names[S_COUNT] = {"commit", "branch",        "suite", "data sha256",
                                                 "model",  "model version", "seed"};

static void build(struct compare_view *cv)
{
	struct bt_compare *c = cv->c;
	size_t i, k;
	char buf[256];

	clear_lines(cv);
	add(cv, L_HEADING, 0, "Runs");
	for (i = 0; i < c->nruns; i++)
		add(cv, L_RUN, i, NULL);
	add(cv, L_BLANK, 0, NULL);
	if (c->nmetrics) {
		snprintf(buf, sizeof(buf),
		         "Metrics: deltas against A; significant at %.2f after Holm's correction "
		         "(%s better, %s worse)",
		         BT_COMPARE_ALPHA, bt_glyph(BT_G_BETTER), bt_glyph(BT_G_WORSE));
		add(cv, L_HEADING, 0, buf);
		add(cv, L_MHEAD, 0, NULL);
		for (k = 0; k < c->nmetrics; k++)
			add(cv, L_METRIC, k, NULL);
	} else {
		add(cv, L_NOTE, 0, "None of these runs has metrics.");
	}
	for (i = 1; i < c->nruns; i++) {
		add(cv, L_BLANK, 0, NULL);
		add(cv, L_FLIPHEAD, i, NULL);
		if (!c->flips_total[i])
			add(cv, L_NOTE, 0,
			    "  No example changed between right and wrong (or no paired samples).");
		for (k = 0; k < c->nflips; k++)
			if (c->flips[k].other == i)
				add(cv, L_FLIP, k, NULL);
		if (c->flips_total[i] > MAX_FLIPS) {
			snprintf(buf, sizeof(buf), "  ... and %zu more",
			         c->flips_total[i] - MAX_FLIPS);
			add(cv, L_NOTE, 0, buf);
		}
	}
	add(cv, L_BLANK, 0, NULL);
	{
		size_t differ = 0;
		for (k = 0; k < c->nparams; k++)
			differ += c->params[k].differs;
		add(cv, L_HEADING, 0, "Params that differ");
		if (!differ) {
			add(cv, L_NOTE, 0,
			    c->nparams ? "  All params are the same." : "  No params.");
		} else {
			add(cv, L_PHEAD, 0, NULL);
			for (k = 0; k < c->nparams; k++)
				if (c->params[k].differs)
					add(cv, L_PARAM, k, NULL);
		}
	}
	add(cv, L_BLANK, 0, NULL);
	add(cv, L_HEADING, 0, "Setup (rows that differ are bold)");
	add(cv, L_PHEAD, 1, NULL);
	for (k = 0; k < S_COUNT; k++)
		add(cv, L_SETUP, k, NULL);
	cv->sc.n = cv->n;
}

static int compare_open(struct bt_view *v, const void *arg)
{
	const struct bt_ids_arg *a = arg;
	struct compare_view *cv = bt_xcalloc(1, sizeof(*cv));

	v->state = cv;
	cv->ids = bt_xmalloc(a->n * sizeof(*cv->ids));
	memcpy(cv->ids, a->ids, a->n * sizeof(*cv->ids));
	cv->nids = a->n;
	cv->sc.cursor = 1;
	return 0;
}

static int compare_load(struct bt_view *v)
{
	struct compare_view *cv = v->state;
	struct bt_compare *c;
	int rc = bt_compare_load(&c, v->tui->store, cv->ids, cv->nids, MAX_FLIPS);

	if (rc)
		return rc;
	bt_compare_free(cv->c);
	cv->c = c;
	build(cv);
	bt_scroll_fix(&cv->sc, v->height);
	return 0;
}

/* Widths of the metric table's first columns and of a value column. */
struct widths {
	int task, metric, value, delta;
};

static void widths(const struct compare_view *cv, struct widths *w)
{
	size_t k, i;

	w->task = 4;
	w->metric = 6;
	w->value = 7;
	w->delta = 14;
	for (k = 0; k < cv->c->nmetrics; k++) {
		int tw = bt_text_width(cv->c->metrics[k].task);
		int mw = bt_text_width(cv->c->metrics[k].metric);
		if (tw > w->task)
			w->task = tw > 24 ? 24 : tw;
		if (mw > w->metric)
			w->metric = mw > 24 ? 24 : mw;
	}
	for (k = 0; k < cv->c->nparams; k++) {
		int kw = bt_text_width(cv->c->params[k].key);
		if (kw > w->task + w->metric + 1)
			w->task = (kw > 40 ? 40 : kw) - w->metric - 1;
		for (i = 0; i < cv->c->nruns; i++)
			if (cv->c->params[k].value[i]) {
				int vw = bt_text_width(cv->c->params[k].value[i]);
				if (vw > w->value)
					w->value = vw > 16 ? 16 : vw;
			}
	}
	if (w->value < 13)
		w->value = 13; /* commit shas */
}

static void draw_metric(struct compare_view *cv, const struct bt_cmp_metric *m, int y, int x0,
                        int w, const struct widths *wd, int base, int cursor)
{
	struct bt_compare *c = cv->c;
	int x = x0 + 2;
	size_t i;
	char buf[96];

	bt_draw_text(y, x, wd->task, m->task, base, 1);
	x += wd->task + 2;
	bt_draw_text(y, x, wd->metric, m->metric, base, 1);
	x += wd->metric + 2;
	for (i = 0; i < c->nruns && x < x0 + w; i++) {
		if (m->value[i] == m->value[i])
			bt_format_real(buf, sizeof(buf), m->value[i], 4);
		else
			snprintf(buf, sizeof(buf), "-");
		bt_draw_text_right(y, x, wd->value, buf, base);
		x += wd->value + 2;
	}
	for (i = 1; i < c->nruns && x < x0 + w; i++) {
		char d[48], pv[32];
		int attr = base;
		const char *mark = "";
		if (m->delta[i] == m->delta[i]) {
			bt_format_real(d, sizeof(d), m->delta[i], 4);
			if (m->delta[i] > 0)
				memmove(d + 1, d, strlen(d) + 1), d[0] = '+';
		} else {
			snprintf(d, sizeof(d), "-");
		}
		/* Colour and a glyph say significance, so it survives NO_COLOR. */
		if (m->sig[i] == 1) {
			mark = bt_glyph(BT_G_BETTER);
			attr = cursor ? base : bt_style_attr(BT_ST_GOOD);
		} else if (m->sig[i] == -1) {
			mark = bt_glyph(BT_G_WORSE);
			attr = cursor ? base : bt_style_attr(BT_ST_BAD);
		} else if (m->sig[i] == 2) {
			mark = "*";
			attr = cursor ? base : bt_style_attr(BT_ST_HEADING);
		} else if (!cursor) {
			attr = bt_style_attr(BT_ST_DIM);
		}
		snprintf(buf, sizeof(buf), "%s %s", d, mark[0] ? mark : " ");
		bt_draw_text_right(y, x, wd->delta, buf,
		                   attr | ((m->sig[i] && cursor) ? A_BOLD : 0));
		x += wd->delta + 2;
		if (c->nruns == 2) {
			if (m->p[1] == m->p[1]) {
				if (m->p[1] < 0.001)
					snprintf(pv, sizeof(pv), "<0.001");
				else
					snprintf(pv, sizeof(pv), "%.3f", m->p[1]);
			} else {
				snprintf(pv, sizeof(pv), "-");
			}
			bt_draw_text_right(y, x, 7, pv, base);
			x += 9;
			if (m->test[1] != BT_TEST_NONE)
				snprintf(buf, sizeof(buf), "%s, n=%zu",
				         bt_cmp_test_name(m->test[1]), m->pairs[1]);
			else
				snprintf(buf, sizeof(buf), "no test");
			if (m->test[1] == BT_TEST_CI)
				snprintf(buf, sizeof(buf), "%s", bt_cmp_test_name(m->test[1]));
			bt_draw_text(y, x, x0 + w - x, buf, base, 1);
		}
	}
}

static void draw_line(struct compare_view *cv, const struct cline *l, int y, int x0, int w,
                      const struct widths *wd, int cursor)
{
	struct bt_compare *c = cv->c;
	int base = bt_style_attr(cursor ? BT_ST_CURSOR : BT_ST_NORMAL), x;
	size_t i;
	char buf[512];

	if (cursor)
		bt_draw_fill(y, x0, w, base);
	switch (l->kind) {
	case L_BLANK:
		break;
	case L_HEADING:
		bt_draw_text(y, x0, w, l->text, cursor ? base : bt_style_attr(BT_ST_HEADING), 1);
		break;
	case L_NOTE:
		bt_draw_text(y, x0, w, l->text, cursor ? base : bt_style_attr(BT_ST_DIM), 1);
		break;
	case L_RUN: {
		const struct bt_cmp_run *r = &c->runs[l->index];
		snprintf(buf, sizeof(buf), "  %c  run %lld  %s  %s  %s  %.8s%s  %s%s",
		         run_letter(l->index), (long long)r->id, r->status,
		         r->model ? r->model : "-", r->suite ? r->suite : "-", r->sha ? r->sha : "",
		         r->dirty ? "*" : "", r->name ? r->name : "",
		         l->index == 0 ? "  (baseline)" : "");
		bt_draw_text(y, x0, w, buf, base, 1);
		break;
	}
	case L_MHEAD:
	case L_PHEAD: {
		int attr = cursor ? base : bt_style_attr(BT_ST_HEADER);
		x = x0 + 2;
		if (l->kind == L_MHEAD) {
			bt_draw_text(y, x, wd->task, "TASK", attr, 1);
			x += wd->task + 2;
			bt_draw_text(y, x, wd->metric, "METRIC", attr, 1);
			x += wd->metric + 2;
		} else {
			bt_draw_text(y, x, wd->task + wd->metric + 2, l->index ? "" : "PARAM", attr,
			             1);
			x += wd->task + wd->metric + 4;
		}
		for (i = 0; i < c->nruns && x < x0 + w; i++) {
			snprintf(buf, sizeof(buf), "%c", run_letter(i));
			bt_draw_text_right(y, x, wd->value, buf, attr);
			x += wd->value + 2;
		}
		if (l->kind == L_MHEAD) {
			for (i = 1; i < c->nruns && x < x0 + w; i++) {
				snprintf(buf, sizeof(buf), "%c-A", run_letter(i));
				bt_draw_text_right(y, x, wd->delta - 2, buf, attr);
				x += wd->delta + 2;
			}
			if (c->nruns == 2) {
				bt_draw_text_right(y, x, 7, "p", attr);
				x += 9;
				bt_draw_text(y, x, x0 + w - x, "TEST", attr, 1);
			}
		}
		break;
	}
	case L_METRIC:
		draw_metric(cv, &c->metrics[l->index], y, x0, w, wd, base, cursor);
		break;
	case L_FLIPHEAD: {
		size_t o = l->index;
		snprintf(buf, sizeof(buf),
		         "Flipped examples, A to %c: %zu (%zu fixed in %c, %zu broken; Enter shows "
		         "one)",
		         run_letter(o), c->flips_total[o], c->flips_fixed[o], run_letter(o),
		         c->flips_total[o] - c->flips_fixed[o]);
		bt_draw_text(y, x0, w, buf, cursor ? base : bt_style_attr(BT_ST_HEADING), 1);
		break;
	}
	case L_FLIP: {
		const struct bt_cmp_flip *f = &c->flips[l->index];
		int fixed = f->correct_other && !f->correct_base;
		x = x0 + 2;
		bt_draw_text(y, x, 2, fixed ? bt_glyph(BT_G_BETTER) : bt_glyph(BT_G_WORSE),
		             cursor ? base : bt_style_attr(fixed ? BT_ST_GOOD : BT_ST_BAD), 0);
		x += 2;
		snprintf(buf, sizeof(buf), "%s #%lld %s", f->task, (long long)f->idx,
		         f->example_id ? f->example_id : "");
		x += bt_draw_text(y, x, 30 < x0 + w - x ? 30 : x0 + w - x, buf, base, 1) + 2;
		snprintf(buf, sizeof(buf), "target: %s", f->target ? f->target : "-");
		x += bt_draw_text(y, x, 24 < x0 + w - x ? 24 : x0 + w - x, buf, base, 1) + 2;
		snprintf(buf, sizeof(buf), "A: %s %s", f->pred_base ? f->pred_base : "-",
		         bt_glyph(f->correct_base ? BT_G_CHECK : BT_G_CROSS));
		x += bt_draw_text(y, x, 24 < x0 + w - x ? 24 : x0 + w - x, buf, base, 1) + 2;
		snprintf(buf, sizeof(buf), "%c: %s %s", run_letter(f->other),
		         f->pred_other ? f->pred_other : "-",
		         bt_glyph(f->correct_other ? BT_G_CHECK : BT_G_CROSS));
		bt_draw_text(y, x, x0 + w - x, buf, base, 1);
		break;
	}
	case L_PARAM:
	case L_SETUP: {
		int differs;
		const char *name;
		char vb[64];
		if (l->kind == L_PARAM) {
			name = c->params[l->index].key;
			differs = c->params[l->index].differs;
		} else {
			name = setup_names[l->index];
			differs = 0;
			for (i = 1; i < c->nruns; i++) {
				char a[64], b[64];
				if (strcmp(setup_value(&c->runs[0], (int)l->index, a, sizeof(a)),
				           setup_value(&c->runs[i], (int)l->index, b, sizeof(b))) !=
				    0)
					differs = 1;
			}
		}
		x = x0 + 2;
		bt_draw_text(y, x, wd->task + wd->metric + 2, name, base | (differs ? A_BOLD : 0),
		             1);
		x += wd->task + wd->metric + 4;
		for (i = 0; i < c->nruns && x < x0 + w; i++) {
			const char *val;
			if (l->kind == L_PARAM)
				val = c->params[l->index].value[i] ? c->params[l->index].value[i]
				                                   : "(unset)";
			else
				val = setup_value(&c->runs[i], (int)l->index, vb, sizeof(vb));
			bt_draw_text_right(y, x, wd->value, val, base | (differs ? A_BOLD : 0));
			x += wd->value + 2;
		}
		break;
	}
	}
}

static void compare_draw(struct bt_view *v, const struct bt_area *a)
{
	struct compare_view *cv = v->state;
	struct widths wd;
	size_t i;
	int y;

	if (!cv->c)
		return;
	widths(cv, &wd);
	for (y = 0, i = cv->sc.top; y < a->h && i < cv->n; y++, i++)
		draw_line(cv, &cv->lines[i], a->y + y, a->x, a->w, &wd, i == cv->sc.cur);
}

static void open_flip(struct bt_view *v, const struct bt_cmp_flip *f)
{
	struct compare_view *cv = v->state;
	const struct bt_cmp_run *ra = &cv->c->runs[0], *rb = &cv->c->runs[f->other];
	struct bt_pager_section sec[4];
	char head[256], ha[128], hb[128], title[128];

	snprintf(head, sizeof(head), "example %s (index %lld) of task %s: %s in A, %s in %c",
	         f->example_id ? f->example_id : "?", (long long)f->idx, f->task,
	         f->correct_base ? "right" : "wrong", f->correct_other ? "right" : "wrong",
	         run_letter(f->other));
	snprintf(ha, sizeof(ha), "Prediction of A (run %lld, %s): %s", (long long)ra->id,
	         ra->model ? ra->model : "?", f->correct_base ? "right" : "wrong");
	snprintf(hb, sizeof(hb), "Prediction of %c (run %lld, %s): %s", run_letter(f->other),
	         (long long)rb->id, rb->model ? rb->model : "?",
	         f->correct_other ? "right" : "wrong");
	sec[0] = (struct bt_pager_section){NULL, head};
	sec[1] = (struct bt_pager_section){"Target", f->target ? f->target : "(none)"};
	sec[2] = (struct bt_pager_section){ha, f->pred_base ? f->pred_base : "(none)"};
	sec[3] = (struct bt_pager_section){hb, f->pred_other ? f->pred_other : "(none)"};
	snprintf(title, sizeof(title), "%s #%lld, run %lld vs %lld", f->task, (long long)f->idx,
	         (long long)ra->id, (long long)rb->id);
	bt_tui_push(v->tui, &bt_view_pager,
	            &(struct bt_pager_arg){.title = title, .sections = sec, .n = 4});
}

static enum bt_key_result compare_key(struct bt_view *v, const struct bt_event *ev)
{
	struct compare_view *cv = v->state;
	enum bt_key_result r = bt_tui_scroll_key(&cv->sc, ev, v->height);

	if (r != BT_KEY_UNHANDLED)
		return r;
	switch (ev->action) {
	case BT_A_CLICK:
		if (ev->y >= 0)
			bt_scroll_to(&cv->sc, cv->sc.top + (size_t)ev->y, v->height);
		return BT_KEY_REDRAW;
	case BT_A_OPEN: {
		size_t i = cv->sc.cur;
		if (i < cv->n && cv->lines[i].kind == L_FLIP)
			open_flip(v, &cv->c->flips[cv->lines[i].index]);
		else
			bt_tui_flash(v->tui, 0, "move to a flipped example to see it whole");
		return BT_KEY_REDRAW;
	}
	default:
		return BT_KEY_UNHANDLED;
	}
}

static void compare_status(struct bt_view *v, char *out, size_t n)
{
	struct compare_view *cv = v->state;
	size_t k, better = 0, worse = 0;

	if (!cv->c) {
		snprintf(out, n, "comparing");
		return;
	}
	for (k = 0; k < cv->c->nmetrics; k++) {
		size_t i;
		for (i = 1; i < cv->c->nruns; i++) {
			better += cv->c->metrics[k].sig[i] == 1;
			worse += cv->c->metrics[k].sig[i] == -1;
		}
	}
	snprintf(out, n, "%zu runs  %zu significantly better, %zu significantly worse", cv->nids,
	         better, worse);
}

static void compare_title(struct bt_view *v, char *out, size_t n)
{
	struct compare_view *cv = v->state;
	struct bt_buf b = BT_BUF_INIT;
	size_t i;

	bt_buf_puts(&b, "compare");
	for (i = 0; i < cv->nids && i < 6; i++)
		bt_buf_printf(&b, " %lld", (long long)cv->ids[i]);
	snprintf(out, n, "%s", b.ptr);
	bt_buf_free(&b);
}

static void compare_close(struct bt_view *v)
{
	struct compare_view *cv = v->state;

	if (!cv)
		return;
	clear_lines(cv);
	bt_compare_free(cv->c);
	free(cv->ids);
	free(cv);
}

const struct bt_view_ops bt_view_compare = {
        .name = "compare",
        .keymap = BT_KM_COMPARE,
        .tab = BT_TAB_COMPARE,
        .open = compare_open,
        .load = compare_load,
        .draw = compare_draw,
        .key = compare_key,
        .close = compare_close,
        .status = compare_status,
        .title = compare_title,
};
