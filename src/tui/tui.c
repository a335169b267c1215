/*
 * tui.c - the dashboard's loop: the screen layout (tab bar, view area,
 * status line, prompts), the stack of views, key dispatch through the
 * tables in keys.c, and live updates.
 *
 * Live updates poll `PRAGMA data_version` once a second from a getch
 * timeout: the process sleeps in poll() between keys, so an idle dashboard
 * costs nothing, and the pragma only reads the WAL index, so it never
 * makes a writer wait.  A change reloads the view on top (others reload
 * when they come back on top).  Reads are single statements that finish
 * before the next key is read; nothing steps across user input.
 *
 * Drawing happens only in draw_screen(), from the views' draw operations;
 * key handlers change state and return what is needed next.
 */
#include "config.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "format.h"
#include "git.h"
#include "tui/draw.h"
#include "tui/layout.h"
#include "tui/model-runs.h"
#include "tui/text.h"
#include "tui/tui.h"
#include "util.h"

/* How long to sleep waiting for a key before polling the database again. */
#define TICK_MS 1000
/* Reload this often even without writes, so that ages and staleness stay true. */
#define REFRESH_SECONDS 30

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

struct bt_view *bt_tui_home(struct bt_tui *t)
{
	return t->depth ? t->stack[0] : NULL;
}

struct bt_view *bt_tui_top(struct bt_tui *t)
{
	return t->depth ? t->stack[t->depth - 1] : NULL;
}

void bt_tui_flash(struct bt_tui *t, int error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->flash, sizeof(t->flash), fmt, ap);
	va_end(ap);
	t->flash_error = error;
	t->dirty = 1;
}

static int load_view(struct bt_tui *t, struct bt_view *v)
{
	int rc = v->ops->load ? v->ops->load(v) : 0;

	v->stale = 0;
	if (rc)
		bt_tui_flash(t, 1, "%s", bt_error_last());
	t->dirty = 1;
	return rc;
}

int bt_tui_push(struct bt_tui *t, const struct bt_view_ops *ops, const void *arg)
{
	struct bt_view *v;
	int rc;

	if (t->depth >= (int)BT_ARRAY_SIZE(t->stack)) {
		bt_tui_flash(t, 1, "too many views open");
		return BT_ERROR;
	}
	v = bt_xcalloc(1, sizeof(*v));
	v->ops = ops;
	v->tui = t;
	v->height = t->rows > 3 ? t->rows - 2 : 1;
	v->width = t->cols;
	rc = ops->open ? ops->open(v, arg) : 0;
	if (!rc && ops->load)
		rc = ops->load(v);
	if (rc) {
		bt_tui_flash(t, 1, "%s", bt_error_last());
		if (ops->close)
			ops->close(v);
		free(v);
		return rc;
	}
	t->stack[t->depth++] = v;
	t->dirty = 1;
	return 0;
}

void bt_tui_pop(struct bt_tui *t)
{
	struct bt_view *v;

	if (t->depth <= 1)
		return;
	v = t->stack[--t->depth];
	if (v->ops->close)
		v->ops->close(v);
	free(v);
	v = bt_tui_top(t);
	if (v->stale)
		load_view(t, v);
	t->dirty = 1;
}

static void pop_to_home(struct bt_tui *t)
{
	while (t->depth > 1)
		bt_tui_pop(t);
}

static int current_tab(struct bt_tui *t)
{
	int i;

	for (i = t->depth - 1; i >= 0; i--)
		if (t->stack[i]->ops->tab >= 0)
			return t->stack[i]->ops->tab;
	return BT_TAB_RUNS;
}

int bt_tui_switch_tab(struct bt_tui *t, enum bt_tab tab)
{
	struct bt_runs_model *m = bt_view_runs_model(bt_tui_home(t));
	const struct bt_runs_row *cur = bt_runs_current(m);
	struct bt_ids_arg ids;
	int64_t one, *marks = NULL;
	int rc = 0;

	switch (tab) {
	case BT_TAB_RUNS:
		pop_to_home(t);
		return 0;
	case BT_TAB_DETAIL:
		if (!cur) {
			bt_tui_flash(t, 1, "no run to show");
			return BT_ENOTFOUND;
		}
		one = cur->id;
		pop_to_home(t);
		return bt_tui_push(t, &bt_view_detail, &one);
	case BT_TAB_COMPARE:
		if (m->nmarks < 2) {
			bt_tui_flash(t, 1, "mark two or more runs with Space to compare them");
			return BT_EUSAGE;
		}
		/* Copy: the marks may change while the view is open. */
		marks = bt_xmalloc(m->nmarks * sizeof(*marks));
		memcpy(marks, m->marks, m->nmarks * sizeof(*marks));
		ids.ids = marks;
		ids.n = m->nmarks;
		pop_to_home(t);
		rc = bt_tui_push(t, &bt_view_compare, &ids);
		free(marks);
		return rc;
	case BT_TAB_CHARTS:
		if (m->nmarks) {
			marks = bt_xmalloc(m->nmarks * sizeof(*marks));
			memcpy(marks, m->marks, m->nmarks * sizeof(*marks));
			ids.ids = marks;
			ids.n = m->nmarks;
		} else if (cur) {
			one = cur->id;
			ids.ids = &one;
			ids.n = 1;
		} else {
			bt_tui_flash(t, 1, "no runs to chart");
			return BT_ENOTFOUND;
		}
		pop_to_home(t);
		rc = bt_tui_push(t, &bt_view_charts, &ids);
		free(marks);
		return rc;
	case BT_TAB_COMMITS:
		pop_to_home(t);
		return bt_tui_push(t, &bt_view_commits, NULL);
	case BT_TAB_COUNT:
		break;
	}
	return 0;
}

enum bt_key_result bt_tui_scroll_key(struct bt_scroll *s, const struct bt_event *ev, int height)
{
	int page = height > 2 ? height - 1 : 1;

	switch (ev->action) {
	case BT_A_UP:
		bt_scroll_move(s, -1, height);
		break;
	case BT_A_DOWN:
		bt_scroll_move(s, 1, height);
		break;
	case BT_A_SCROLL_UP:
		bt_scroll_move(s, -3, height);
		break;
	case BT_A_SCROLL_DOWN:
		bt_scroll_move(s, 3, height);
		break;
	case BT_A_PAGE_UP:
		bt_scroll_move(s, -page, height);
		break;
	case BT_A_PAGE_DOWN:
		bt_scroll_move(s, page, height);
		break;
	case BT_A_TOP:
		bt_scroll_to(s, 0, height);
		break;
	case BT_A_BOTTOM:
		bt_scroll_to(s, s->n ? s->n - 1 : 0, height);
		break;
	default:
		return BT_KEY_UNHANDLED;
	}
	return BT_KEY_REDRAW;
}

/* --- prompts ----------------------------------------------------------------------- */

static void prompt_reset(struct bt_prompt *p)
{
	free(p->text);
	memset(p, 0, sizeof(*p));
}

static void prompt_set_text(struct bt_prompt *p, const char *s)
{
	p->len = strlen(s);
	bt_grow(&p->text, &p->cap, p->len + 1, 1);
	memcpy(p->text, s, p->len + 1);
	p->cursor = p->len;
}

void bt_tui_prompt(struct bt_tui *t, struct bt_view *v, const char *label, const char *initial,
                   bt_prompt_cb done, void *payload)
{
	struct bt_prompt *p = &t->prompt;

	prompt_reset(p);
	p->active = 1;
	snprintf(p->label, sizeof(p->label), "%s", label);
	prompt_set_text(p, initial ? initial : "");
	p->done = done;
	p->payload = payload;
	p->view = v;
	t->dirty = 1;
}

void bt_tui_confirm(struct bt_tui *t, struct bt_view *v, const char *question, bt_prompt_cb done,
                    void *payload)
{
	bt_tui_prompt(t, v, question, "", done, payload);
	t->prompt.confirm = 1;
}

void bt_tui_prompt_error(struct bt_tui *t, const char *msg, int caret, size_t off, size_t len)
{
	struct bt_prompt *p = &t->prompt;

	snprintf(p->err, sizeof(p->err), "%s", msg);
	p->has_caret = caret;
	p->err_off = off;
	p->err_len = len ? len : 1;
	t->dirty = 1;
}

static size_t utf8_prev(const char *s, size_t i)
{
	if (i == 0)
		return 0;
	do
		i--;
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80);
	return i;
}

static size_t utf8_next(const char *s, size_t len, size_t i)
{
	if (i >= len)
		return len;
	do
		i++;
	while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80);
	return i;
}

static void prompt_delete(struct bt_prompt *p, size_t from, size_t to)
{
	memmove(p->text + from, p->text + to, p->len - to + 1);
	p->len -= to - from;
	p->cursor = from;
}

static void prompt_insert(struct bt_prompt *p, int cp)
{
	char enc[4];
	size_t n;

	if (cp < 0x80) {
		enc[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		enc[0] = (char)(0xc0 | (cp >> 6));
		enc[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		enc[0] = (char)(0xe0 | (cp >> 12));
		enc[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		enc[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		enc[0] = (char)(0xf0 | (cp >> 18));
		enc[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		enc[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		enc[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	bt_grow(&p->text, &p->cap, p->len + n + 1, 1);
	memmove(p->text + p->cursor + n, p->text + p->cursor, p->len - p->cursor + 1);
	memcpy(p->text + p->cursor, enc, n);
	p->len += n;
	p->cursor += n;
}

static void prompt_key(struct bt_tui *t, int key)
{
	struct bt_prompt *p = &t->prompt;
	enum bt_action a;
	int rc;

	t->dirty = 1;
	if (p->confirm) {
		struct bt_view *v = p->view;
		bt_prompt_cb done = p->done;
		void *payload = p->payload;
		a = bt_keys_lookup(BT_KM_CONFIRM, key);
		prompt_reset(p);
		if (a == BT_A_CONFIRM)
			done(v, "y", payload);
		else
			bt_tui_flash(t, 0, "cancelled");
		return;
	}
	a = bt_keys_lookup(BT_KM_PROMPT, key);
	switch (a) {
	case BT_A_EDIT_ACCEPT: {
		char *text = bt_xstrdup(p->text);
		p->err[0] = '\0';
		rc = p->done(p->view, text, p->payload);
		free(text);
		if (!rc)
			prompt_reset(p);
		return;
	}
	case BT_A_EDIT_CANCEL:
		prompt_reset(p);
		return;
	case BT_A_EDIT_LEFT:
		p->cursor = utf8_prev(p->text, p->cursor);
		return;
	case BT_A_EDIT_RIGHT:
		p->cursor = utf8_next(p->text, p->len, p->cursor);
		return;
	case BT_A_EDIT_HOME:
		p->cursor = 0;
		return;
	case BT_A_EDIT_END:
		p->cursor = p->len;
		return;
	case BT_A_EDIT_BACKSPACE:
		if (p->cursor > 0)
			prompt_delete(p, utf8_prev(p->text, p->cursor), p->cursor);
		return;
	case BT_A_EDIT_DELETE:
		if (p->cursor < p->len)
			prompt_delete(p, p->cursor, utf8_next(p->text, p->len, p->cursor));
		return;
	case BT_A_EDIT_KILL:
		prompt_set_text(p, "");
		return;
	case BT_A_EDIT_KILL_WORD: {
		size_t i = p->cursor;
		while (i > 0 && p->text[i - 1] == ' ')
			i--;
		while (i > 0 && p->text[i - 1] != ' ')
			i--;
		prompt_delete(p, i, p->cursor);
		return;
	}
	default:
		break;
	}
	/* Anything else printable is typed; control and function keys are ignored. */
	if (key >= 0x20 && key != 0x7f && key < BT_KEY_BASE && !(key >= 0x80 && key < 0xa0))
		prompt_insert(p, key);
}

/* --- drawing ------------------------------------------------------------------------- */

static void draw_tabs(struct bt_tui *t)
{
	static const char *const names[BT_TAB_COUNT] = {"Runs", "Detail", "Compare", "Charts",
	                                                "Commits"};
	int x = 0, i, tab = current_tab(t), title = bt_style_attr(BT_ST_TITLE);
	struct bt_view *top = bt_tui_top(t);
	char buf[256];

	bt_draw_fill(0, 0, t->cols, title);
	x += bt_draw_text(0, x, t->cols - x, " benchtop ", title | A_BOLD, 0);
	for (i = 0; i < BT_TAB_COUNT && x < t->cols; i++) {
		char label[32];
		snprintf(label, sizeof(label), " %d %s ", i + 1, names[i]);
		x += bt_draw_text(0, x, t->cols - x, label,
		                  i == tab ? bt_style_attr(BT_ST_TAB_ACTIVE) : title, 0);
	}
	if (top && top->ops->title) {
		buf[0] = '\0';
		top->ops->title(top, buf, sizeof(buf));
		if (buf[0] && t->cols - x > 6)
			bt_draw_text_right(0, x + 2, t->cols - x - 3, buf, title);
	}
}

static void draw_prompt(struct bt_tui *t, int y)
{
	struct bt_prompt *p = &t->prompt;
	int attr = bt_style_attr(BT_ST_NORMAL);
	int lw, avail, before_w, start_w = 0, cx;
	char *before, *clean_before, *shown;

	bt_draw_fill(y, 0, t->cols, attr);
	lw = bt_draw_text(y, 0, t->cols, p->label, attr | A_BOLD, 1);
	if (p->confirm) {
		lw += bt_draw_text(y, lw, t->cols - lw, " [y/N] ", attr, 0);
		move(y, lw < t->cols ? lw : t->cols - 1);
		return;
	}
	lw += bt_draw_text(y, lw, t->cols - lw, " ", attr, 0);
	avail = t->cols - lw - 1;
	if (avail < 1)
		return;
	/* Scroll the text so that the cursor stays on screen. */
	before = bt_xstrndup(p->text, p->cursor);
	clean_before = bt_sanitize(before, 0);
	before_w = bt_text_width(clean_before);
	if (before_w > avail)
		start_w = before_w - avail;
	{
		char *clean = bt_sanitize(p->text, 0);
		const char *s = clean;
		int w = 0;
		unsigned cp;
		while (*s && w < start_w) {
			s += bt_text_decode(s, &cp);
			w += bt_text_cp_width(cp);
		}
		start_w = w;
		shown = bt_xstrdup(s);
		free(clean);
	}
	bt_draw_text(y, lw, avail, shown, attr, 0);
	cx = lw + before_w - start_w;
	if (p->err[0] && y >= 2) {
		bt_draw_fill(y - 2, 0, t->cols, attr);
		bt_draw_text(y - 2, 0, t->cols, p->err, bt_style_attr(BT_ST_ERROR), 1);
		bt_draw_fill(y - 1, 0, t->cols, attr);
		if (p->has_caret) {
			/* The caret goes under the fault's column, as the CLI prints it. */
			char *upto =
			        bt_xstrndup(p->text, p->err_off < p->len ? p->err_off : p->len);
			char *cu = bt_sanitize(upto, 0);
			int col = lw + bt_text_width(cu) - start_w;
			struct bt_buf b = BT_BUF_INIT;
			size_t i;
			bt_buf_putc(&b, '^');
			for (i = 1; i < p->err_len && i < 40; i++)
				bt_buf_putc(&b, '~');
			if (col >= 0 && col < t->cols)
				bt_draw_text(y - 1, col, t->cols - col, b.ptr,
				             bt_style_attr(BT_ST_ERROR), 0);
			bt_buf_free(&b);
			free(cu);
			free(upto);
		}
	}
	move(y, cx < t->cols ? cx : t->cols - 1);
	free(shown);
	free(clean_before);
	free(before);
}

static void draw_status(struct bt_tui *t, int y)
{
	struct bt_view *top = bt_tui_top(t);
	int attr = bt_style_attr(BT_ST_STATUS);
	char buf[512];
	int right;

	bt_draw_fill(y, 0, t->cols, attr);
	right = bt_draw_text_right(y, 0, t->cols, "? help  q back ", attr);
	if (t->flash[0]) {
		bt_draw_text(y, 1, t->cols - right - 2, t->flash,
		             t->flash_error ? (int)(attr | A_BOLD) : attr, 1);
		return;
	}
	buf[0] = '\0';
	if (top && top->ops->status)
		top->ops->status(top, buf, sizeof(buf));
	bt_draw_text(y, 1, t->cols - right - 2, buf, attr, 1);
}

static void draw_screen(struct bt_tui *t)
{
	struct bt_view *top = bt_tui_top(t);
	struct bt_area a;
	int extra;

	getmaxyx(stdscr, t->rows, t->cols);
	erase();
	if (t->rows < 4 || t->cols < 16) {
		bt_draw_text(0, 0, t->cols, t->cols >= 18 ? "terminal too small" : "too small",
		             A_BOLD, 1);
		curs_set(0);
		refresh();
		return;
	}
	draw_tabs(t);
	extra = t->prompt.active && t->prompt.err[0] ? 2 : 0;
	a.y = 1;
	a.x = 0;
	a.h = t->rows - 2 - extra;
	a.w = t->cols;
	if (a.h < 1)
		a.h = 1;
	if (top) {
		top->height = a.h;
		top->width = a.w;
		top->ops->draw(top, &a);
	}
	if (t->prompt.active) {
		curs_set(1);
		draw_prompt(t, t->rows - 1);
	} else {
		curs_set(0);
		draw_status(t, t->rows - 1);
	}
	refresh();
}

/* --- input ---------------------------------------------------------------------------- */

/* Turn what wget_wch returned into a BT_KEY_* code or a code point; 0 to ignore. */
static int translate(int rc, wint_t ch, int *my, int *mx)
{
	if (rc == KEY_CODE_YES) {
		switch (ch) {
		case KEY_UP:
			return BT_KEY_UP;
		case KEY_DOWN:
			return BT_KEY_DOWN;
		case KEY_LEFT:
			return BT_KEY_LEFT;
		case KEY_RIGHT:
			return BT_KEY_RIGHT;
		case KEY_PPAGE:
			return BT_KEY_PGUP;
		case KEY_NPAGE:
			return BT_KEY_PGDN;
		case KEY_HOME:
			return BT_KEY_HOME;
		case KEY_END:
			return BT_KEY_END;
		case KEY_ENTER:
			return BT_KEY_ENTER;
		case KEY_BACKSPACE:
			return BT_KEY_BACKSPACE;
		case KEY_DC:
			return BT_KEY_DELETE;
		case KEY_BTAB:
			return BT_KEY_BTAB;
		case KEY_RESIZE:
			return BT_KEY_RESIZE;
		case KEY_MOUSE: {
			MEVENT me;
			if (getmouse(&me) != OK)
				return 0;
			*my = me.y;
			*mx = me.x;
			if (me.bstate & BUTTON4_PRESSED)
				return BT_KEY_WHEEL_UP;
#ifdef BUTTON5_PRESSED
			if (me.bstate & BUTTON5_PRESSED)
				return BT_KEY_WHEEL_DOWN;
#endif
			if (me.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))
				return BT_KEY_CLICK;
			return 0;
		}
		default:
			return 0;
		}
	}
	switch (ch) {
	case '\r':
	case '\n':
		return BT_KEY_ENTER;
	case 27:
		return BT_KEY_ESC;
	case '\t':
		return BT_KEY_TAB;
	case 127:
		return BT_KEY_BACKSPACE;
	default:
		return (int)ch;
	}
}

static void global_action(struct bt_tui *t, const struct bt_event *ev)
{
	struct bt_view *top = bt_tui_top(t);
	int tab, i;

	switch (ev->action) {
	case BT_A_BACK:
		if (t->depth > 1)
			bt_tui_pop(t);
		else
			t->quit = 1;
		break;
	case BT_A_QUIT:
		t->quit = 1;
		break;
	case BT_A_HELP:
		if (top->ops != &bt_view_help) {
			enum bt_keymap km = top->ops->keymap;
			bt_tui_push(t, &bt_view_help, &km);
		}
		break;
	case BT_A_NEXT_VIEW:
	case BT_A_PREV_VIEW:
		tab = current_tab(t);
		/* Skip tabs that cannot open now (no marks to compare, say). */
		for (i = 1; i < BT_TAB_COUNT; i++) {
			int next = (tab + (ev->action == BT_A_NEXT_VIEW ? i : BT_TAB_COUNT - i)) %
			           BT_TAB_COUNT;
			t->flash[0] = '\0';
			if (bt_tui_switch_tab(t, (enum bt_tab)next) == 0)
				break;
		}
		break;
	case BT_A_VIEW_RUNS:
	case BT_A_VIEW_DETAIL:
	case BT_A_VIEW_COMPARE:
	case BT_A_VIEW_CHARTS:
	case BT_A_VIEW_COMMITS:
		bt_tui_switch_tab(t, (enum bt_tab)(ev->action - BT_A_VIEW_RUNS));
		break;
	case BT_A_REFRESH:
		for (i = 0; i < t->depth - 1; i++)
			t->stack[i]->stale = 1;
		load_view(t, top);
		break;
	case BT_A_REDRAW:
		clearok(curscr, TRUE);
		t->dirty = 1;
		break;
	case BT_A_SCROLL_UP:
	case BT_A_SCROLL_DOWN: {
		/* Views without their own wheel handling scroll as if moved three lines. */
		struct bt_event e = *ev;
		e.action = ev->action == BT_A_SCROLL_UP ? BT_A_UP : BT_A_DOWN;
		for (i = 0; i < 3; i++)
			if (top->ops->key(top, &e) != BT_KEY_UNHANDLED)
				t->dirty = 1;
		break;
	}
	case BT_A_NONE: {
		char name[32];
		bt_key_name(ev->key, name, sizeof(name));
		bt_tui_flash(t, 0, "%s does nothing here; press ? for the keys of this view", name);
		break;
	}
	default:
		break;
	}
}

static void handle_key(struct bt_tui *t, int key, int my, int mx)
{
	struct bt_view *top = bt_tui_top(t);
	struct bt_event ev;
	enum bt_key_result r;

	if (key == BT_KEY_RESIZE) {
		t->dirty = 1;
		return;
	}
	if (t->prompt.active) {
		prompt_key(t, key);
		return;
	}
	if (t->flash[0]) {
		t->flash[0] = '\0';
		t->dirty = 1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.key = key;
	ev.action = bt_keys_lookup(top->ops->keymap, key);
	ev.y = my - 1; /* the view area starts below the tab bar */
	ev.x = mx;
	r = ev.action != BT_A_NONE ? top->ops->key(top, &ev) : BT_KEY_UNHANDLED;
	switch (r) {
	case BT_KEY_UNHANDLED:
		global_action(t, &ev);
		break;
	case BT_KEY_HANDLED:
		break;
	case BT_KEY_REDRAW:
		t->dirty = 1;
		break;
	case BT_KEY_RELOAD:
		/* The view changed data (tag, note, delete): others must reload too. */
		for (int i = 0; i < t->depth; i++)
			if (t->stack[i] != bt_tui_top(t))
				t->stack[i]->stale = 1;
		load_view(t, bt_tui_top(t));
		break;
	case BT_KEY_QUIT:
		t->quit = 1;
		break;
	}
}

/* --- live updates ------------------------------------------------------------------------ */

static int64_t data_version(struct bt_tui *t, sqlite3_stmt *st)
{
	int64_t v = t->data_version;

	if (!st)
		return v;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

static void data_changed(struct bt_tui *t)
{
	struct bt_view *top = bt_tui_top(t);
	int i;

	for (i = 0; i < t->depth - 1; i++)
		if (t->stack[i]->ops->live)
			t->stack[i]->stale = 1;
	if (!top->ops->live)
		return;
	/* A prompt may be editing something about the current view: reload after it. */
	if (t->prompt.active) {
		top->stale = 1;
		return;
	}
	load_view(t, top);
}

/* --- idle work ---------------------------------------------------------------------------- */

/*
 * Idle work (counting the runs that match) must never keep a key waiting:
 * SQLite calls this every few thousand instructions and the statement is
 * interrupted as soon as a key is waiting, or when the work has taken too
 * long to be worth it (the view then gives up, see bt_tui_idle_expired).
 */
#define IDLE_BUDGET_SECONDS 2.0

static double idle_deadline;
static int idle_expired;

static int idle_progress(void *payload)
{
	struct pollfd pfd;

	BT_UNUSED(payload);
	pfd.fd = STDIN_FILENO;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) > 0)
		return 1;
	if (bt_monotonic() > idle_deadline) {
		idle_expired = 1;
		return 1;
	}
	return 0;
}

int bt_tui_idle_expired(void)
{
	return idle_expired;
}

static int run_idle(struct bt_tui *t, struct bt_view *v)
{
	sqlite3 *db = bt_store_handle(t->store);
	int r;

	idle_deadline = bt_monotonic() + IDLE_BUDGET_SECONDS;
	idle_expired = 0;
	sqlite3_progress_handler(db, 10000, idle_progress, NULL);
	r = v->ops->idle(v);
	sqlite3_progress_handler(db, 0, NULL, NULL);
	return r;
}

/* --- the loop ------------------------------------------------------------------------- */

static char *find_repo(struct bt_tui *t)
{
	char *top = NULL;
	sqlite3_stmt *st;

	if (bt_git_workdir(&top, t->ctx->cwd) == 0)
		return top;
	bt_error_clear();
	/* Outside a work tree: the one the newest run was made in, if it still exists. */
	if (bt_store_prepare(t->store, &st,
	                     "SELECT git_workdir FROM runs WHERE git_workdir IS NOT NULL ORDER BY "
	                     "started_at DESC LIMIT 1") == 0) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *w = (const char *)sqlite3_column_text(st, 0);
			if (!w || bt_git_workdir(&top, w) != 0)
				top = NULL;
		}
		sqlite3_finalize(st);
	}
	bt_error_clear();
	return top;
}

int bt_tui_main(struct bt_ctx *ctx, struct bt_store *store, const char *filter)
{
	struct bt_tui t;
	struct sigaction sa, old_int, old_term, old_hup;
	sqlite3_stmt *dv = NULL;
	double last_load;
	int rc = 0, idle_pending = 1;
	const char *codeset;

	memset(&t, 0, sizeof(t));
	t.ctx = ctx;
	t.store = store;
	codeset = nl_langinfo(CODESET);
	t.utf8 = codeset && strcmp(codeset, "UTF-8") == 0;
	t.color = ctx->color;
	t.repo = find_repo(&t);
	if (bt_store_prepare(store, &dv, "PRAGMA data_version") == 0)
		t.data_version = data_version(&t, dv);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);

	if (!initscr()) {
		rc = bt_error_set(BT_ERROR, "cannot start the terminal interface");
		goto out_signals;
	}
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
	                      | BUTTON5_PRESSED
#endif
	              ,
	              NULL) != 0) {
		mouseinterval(0);
		t.mouse = 1;
	}
	bt_draw_init(t.color, t.utf8);
	getmaxyx(stdscr, t.rows, t.cols);

	rc = bt_tui_push(&t, &bt_view_runs, filter);
	if (rc) {
		endwin();
		goto out_signals;
	}
	last_load = bt_monotonic();
	t.dirty = 1;
	while (!t.quit && !got_signal) {
		wint_t ch;
		int r, key, my = 0, mx = 0;
		struct bt_view *top = bt_tui_top(&t);

		if (t.dirty) {
			t.dirty = 0;
			draw_screen(&t);
		}
		/* Idle work (counting) runs only when no key is waiting. */
		wtimeout(stdscr, idle_pending && top->ops->idle ? 0 : TICK_MS);
		r = wget_wch(stdscr, &ch);
		if (r == ERR) {
			int64_t v;
			if (got_signal)
				break;
			if (idle_pending && top->ops->idle) {
				idle_pending = 0;
				if (run_idle(&t, top))
					t.dirty = 1;
				continue;
			}
			v = data_version(&t, dv);
			if (v != t.data_version || bt_monotonic() - last_load > REFRESH_SECONDS) {
				t.data_version = v;
				last_load = bt_monotonic();
				data_changed(&t);
				idle_pending = 1;
			}
			continue;
		}
		key = translate(r, ch, &my, &mx);
		if (!key)
			continue;
		handle_key(&t, key, my, mx);
		idle_pending = 1;
	}
	endwin();
	while (t.depth) {
		struct bt_view *v = t.stack[--t.depth];
		if (v->ops->close)
			v->ops->close(v);
		free(v);
	}
out_signals:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	sqlite3_finalize(dv);
	prompt_reset(&t.prompt);
	bt_tui_edit_release();
	free(t.repo);
	if (rc)
		return rc;
	return 0;
}
