/*
 * view-help.c - the keys of the view below, generated from the key tables
 * in keys.c (the same ones that dispatch them), then the keys of every
 * view and of prompts.
 */
#include "config.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "tui/draw.h"
#include "tui/keys.h"
#include "tui/layout.h"
#include "tui/tui.h"
#include "util.h"

struct help_line {
	int heading;
	char keys[64];
	const char *help;
};

struct help_view {
	enum bt_keymap km;
	struct help_line *lines;
	size_t n, cap;
	struct bt_scroll sc;
};

static void add(struct help_view *h, int heading, const char *keys, const char *help)
{
	struct help_line *l;

	bt_grow(&h->lines, &h->cap, h->n + 1, sizeof(*h->lines));
	l = &h->lines[h->n++];
	l->heading = heading;
	snprintf(l->keys, sizeof(l->keys), "%s", keys);
	l->help = help;
}

static void add_keymap(struct help_view *h, enum bt_keymap km)
{
	size_t n, i;
	const struct bt_binding *b = bt_keys_bindings(km, &n);

	if (h->n)
		add(h, 0, "", "");
	add(h, 1, bt_keymap_title(km), "");
	for (i = 0; i < n; i++) {
		char keys[64];
		bt_binding_keys(&b[i], keys, sizeof(keys));
		add(h, 0, keys, bt_binding_help(&b[i]));
	}
}

static int help_open(struct bt_view *v, const void *arg)
{
	struct help_view *h = bt_xcalloc(1, sizeof(*h));

	h->km = arg ? *(const enum bt_keymap *)arg : BT_KM_RUNS;
	v->state = h;
	if (h->km != BT_KM_GLOBAL)
		add_keymap(h, h->km);
	add_keymap(h, BT_KM_GLOBAL);
	if (h->km == BT_KM_RUNS || h->km == BT_KM_DETAIL) {
		add_keymap(h, BT_KM_PROMPT);
		add_keymap(h, BT_KM_CONFIRM);
	}
	h->sc.n = h->n;
	return 0;
}

static void help_draw(struct bt_view *v, const struct bt_area *a)
{
	struct help_view *h = v->state;
	size_t i;
	int y, kw = 22;

	for (y = 0, i = h->sc.top; y < a->h && i < h->n; y++, i++) {
		const struct help_line *l = &h->lines[i];
		if (l->heading) {
			bt_draw_text(a->y + y, a->x + 1, a->w - 2, l->keys,
			             bt_style_attr(BT_ST_HEADING), 1);
			continue;
		}
		bt_draw_text(a->y + y, a->x + 3, kw - 1, l->keys, A_BOLD, 1);
		bt_draw_text(a->y + y, a->x + 3 + kw, a->w - 4 - kw, l->help,
		             bt_style_attr(BT_ST_NORMAL), 1);
	}
}

static enum bt_key_result help_key(struct bt_view *v, const struct bt_event *ev)
{
	struct help_view *h = v->state;

	if (ev->action == BT_A_OPEN) {
		bt_tui_pop(v->tui);
		return BT_KEY_REDRAW;
	}
	return bt_tui_scroll_key(&h->sc, ev, v->height);
}

static void help_status(struct bt_view *v, char *out, size_t n)
{
	struct help_view *h = v->state;

	snprintf(out, n, "keys of the %s", bt_keymap_title(h->km));
}

static void help_title(struct bt_view *v, char *out, size_t n)
{
	BT_UNUSED(v);
	snprintf(out, n, "help");
}

static void help_close(struct bt_view *v)
{
	struct help_view *h = v->state;

	if (!h)
		return;
	free(h->lines);
	free(h);
}

const struct bt_view_ops bt_view_help = {
        .name = "help",
        .keymap = BT_KM_HELP,
        .tab = -1,
        .open = help_open,
        .draw = help_draw,
        .key = help_key,
        .close = help_close,
        .status = help_status,
        .title = help_title,
};
