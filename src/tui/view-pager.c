/*
 * view-pager.c - long text (an example's prediction and target, a dirty
 * patch) wrapped to the screen, with control characters made visible
 * (^M, ^[, <U+202E>) so that nothing in it can act on the terminal.
 *
 * The state is the sanitised text of each section and the scroll
 * position; wrapping is recomputed from the width when needed.
 */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "tui/draw.h"
#include "tui/layout.h"
#include "tui/text.h"
#include "tui/tui.h"
#include "util.h"

struct pager_section {
	char *heading;
	char *body; /* sanitised, newlines kept, tabs expanded */
};

struct pager_line {
	size_t section;
	int heading;
	size_t off, len; /* in the section's body */
};

struct pager_view {
	char *title;
	struct pager_section *sections;
	size_t nsections;
	struct bt_scroll sc;
};

/* The wrapped lines for `width` (caller frees). */
static size_t wrap(const struct pager_view *p, int width, struct pager_line **out)
{
	struct pager_line *lines = NULL;
	size_t n = 0, cap = 0, s, i;

	for (s = 0; s < p->nsections; s++) {
		struct bt_text_line *tl;
		size_t k;
		if (p->sections[s].heading) {
			if (n) {
				bt_grow(&lines, &cap, n + 1, sizeof(*lines));
				lines[n++] = (struct pager_line){s, 0, 0, 0};
			}
			bt_grow(&lines, &cap, n + 1, sizeof(*lines));
			lines[n++] = (struct pager_line){s, 1, 0, 0};
		}
		k = bt_text_wrap(p->sections[s].body, width, &tl);
		bt_grow(&lines, &cap, n + k, sizeof(*lines));
		for (i = 0; i < k; i++)
			lines[n++] = (struct pager_line){s, 0, tl[i].off, tl[i].len};
		free(tl);
	}
	*out = lines;
	return n;
}

static int text_width(const struct bt_view *v)
{
	return v->width > 4 ? v->width - 2 : 2;
}

static int pager_open(struct bt_view *v, const void *arg)
{
	const struct bt_pager_arg *a = arg;
	struct pager_view *p = bt_xcalloc(1, sizeof(*p));
	struct pager_line *lines;
	size_t i;

	v->state = p;
	p->title = bt_xstrdup(a->title ? a->title : "");
	p->sections = bt_xcalloc(a->n ? a->n : 1, sizeof(*p->sections));
	p->nsections = a->n;
	for (i = 0; i < a->n; i++) {
		char *clean = bt_sanitize(a->sections[i].body ? a->sections[i].body : "",
		                          BT_SANITIZE_KEEP_NEWLINES);
		p->sections[i].heading =
		        a->sections[i].heading ? bt_xstrdup(a->sections[i].heading) : NULL;
		p->sections[i].body = bt_text_expand_tabs(clean);
		free(clean);
	}
	p->sc.n = wrap(p, text_width(v), &lines);
	free(lines);
	return 0;
}

static void pager_draw(struct bt_view *v, const struct bt_area *a)
{
	struct pager_view *p = v->state;
	struct pager_line *lines;
	size_t n = wrap(p, a->w > 4 ? a->w - 2 : 2, &lines), i;
	int y;

	for (y = 0, i = p->sc.top; y < a->h && i < n; y++, i++) {
		const struct pager_section *s = &p->sections[lines[i].section];
		char *text;
		if (lines[i].heading) {
			bt_draw_text(a->y + y, a->x + 1, a->w - 2, s->heading,
			             bt_style_attr(BT_ST_HEADING), 1);
			continue;
		}
		text = bt_xstrndup(s->body + lines[i].off, lines[i].len);
		bt_draw_text(a->y + y, a->x + 1, a->w - 2, text, bt_style_attr(BT_ST_NORMAL), 0);
		free(text);
	}
	free(lines);
}

static enum bt_key_result pager_key(struct bt_view *v, const struct bt_event *ev)
{
	struct pager_view *p = v->state;
	struct pager_line *lines;
	struct bt_event e = *ev;

	/* The line count depends on the width, which may have changed since the last key. */
	p->sc.n = wrap(p, text_width(v), &lines);
	free(lines);
	if (e.action == BT_A_OPEN)
		e.action = BT_A_DOWN;
	return bt_tui_scroll_key(&p->sc, &e, v->height);
}

static void pager_status(struct bt_view *v, char *out, size_t n)
{
	struct pager_view *p = v->state;
	size_t last = p->sc.top + (size_t)(v->height > 0 ? v->height : 1);

	if (last > p->sc.n)
		last = p->sc.n;
	snprintf(out, n, "lines %zu-%zu of %zu", p->sc.n ? p->sc.top + 1 : 0, last, p->sc.n);
}

static void pager_title(struct bt_view *v, char *out, size_t n)
{
	struct pager_view *p = v->state;

	snprintf(out, n, "%s", p->title);
}

static void pager_close(struct bt_view *v)
{
	struct pager_view *p = v->state;
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nsections; i++) {
		free(p->sections[i].heading);
		free(p->sections[i].body);
	}
	free(p->sections);
	free(p->title);
	free(p);
}

const struct bt_view_ops bt_view_pager = {
        .name = "pager",
        .keymap = BT_KM_PAGER,
        .tab = -1,
        .open = pager_open,
        .draw = pager_draw,
        .key = pager_key,
        .close = pager_close,
        .status = pager_status,
        .title = pager_title,
};
