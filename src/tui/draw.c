/*
 * draw.c - the only place where the dashboard's text reaches curses.
 *
 * Every string goes through bt_sanitize() first, whatever its origin: C0
 * and C1 controls, DEL and bidirectional overrides become visible escapes,
 * so a model output or a run name cannot move the cursor, retitle the
 * window or reorder a line.  Widths come from wcwidth (text.c), so wide
 * characters never push a column out of line; under a locale that is not
 * UTF-8 non-ASCII text is shown as '?' and glyphs fall back to ASCII.
 */
#include "config.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "format.h"
#include "tui/draw.h"
#include "tui/text.h"
#include "util.h"

static int use_utf8, use_color;

enum { PAIR_RED = 1, PAIR_GREEN, PAIR_YELLOW, PAIR_BLUE, PAIR_MAGENTA, PAIR_CYAN, PAIR_TITLE };

void bt_draw_init(int color, int utf8)
{
	use_utf8 = utf8;
	use_color = color && has_colors();
	if (!use_color)
		return;
	start_color();
	use_default_colors();
	init_pair(PAIR_RED, COLOR_RED, -1);
	init_pair(PAIR_GREEN, COLOR_GREEN, -1);
	init_pair(PAIR_YELLOW, COLOR_YELLOW, -1);
	init_pair(PAIR_BLUE, COLOR_BLUE, -1);
	init_pair(PAIR_MAGENTA, COLOR_MAGENTA, -1);
	init_pair(PAIR_CYAN, COLOR_CYAN, -1);
	init_pair(PAIR_TITLE, COLOR_WHITE, COLOR_BLUE);
}

int bt_draw_utf8(void)
{
	return use_utf8;
}

int bt_draw_color(void)
{
	return use_color;
}

int bt_style_attr(enum bt_style s)
{
	/* Without colour every style still differs from plain text where it matters. */
	static const attr_t mono[BT_ST_COUNT] = {
	        [BT_ST_NORMAL] = A_NORMAL,
	        [BT_ST_HEADER] = A_BOLD | A_UNDERLINE,
	        [BT_ST_HEADER_SEL] = A_BOLD | A_REVERSE,
	        [BT_ST_CURSOR] = A_REVERSE,
	        [BT_ST_MARKED] = A_BOLD,
	        [BT_ST_DIM] = A_DIM,
	        [BT_ST_TITLE] = A_REVERSE,
	        [BT_ST_TAB_ACTIVE] = A_BOLD,
	        [BT_ST_STATUS] = A_REVERSE,
	        [BT_ST_HEADING] = A_BOLD | A_UNDERLINE,
	        [BT_ST_ERROR] = A_BOLD,
	        [BT_ST_GOOD] = A_BOLD,
	        [BT_ST_BAD] = A_BOLD | A_UNDERLINE,
	        [BT_ST_RUNNING] = A_BOLD,
	        [BT_ST_FINISHED] = A_NORMAL,
	        [BT_ST_FAILED] = A_BOLD,
	        [BT_ST_INTERRUPTED] = A_NORMAL,
	        [BT_ST_STALE] = A_DIM,
	};
	static const int colored[BT_ST_COUNT] = {
	        [BT_ST_ERROR] = PAIR_RED,
	        [BT_ST_GOOD] = PAIR_GREEN,
	        [BT_ST_BAD] = PAIR_RED,
	        [BT_ST_RUNNING] = PAIR_CYAN,
	        [BT_ST_FINISHED] = PAIR_GREEN,
	        [BT_ST_FAILED] = PAIR_RED,
	        [BT_ST_INTERRUPTED] = PAIR_YELLOW,
	        [BT_ST_STALE] = PAIR_MAGENTA,
	        [BT_ST_SERIES0] = PAIR_CYAN,
	        [BT_ST_SERIES1] = PAIR_YELLOW,
	        [BT_ST_SERIES2] = PAIR_MAGENTA,
	        [BT_ST_SERIES3] = PAIR_GREEN,
	        [BT_ST_SERIES4] = PAIR_RED,
	        [BT_ST_SERIES5] = PAIR_BLUE,
	        [BT_ST_TITLE] = PAIR_TITLE,
	};

	if ((unsigned)s >= BT_ST_COUNT)
		return A_NORMAL;
	if (!use_color)
		return (int)mono[s];
	if (s == BT_ST_TITLE)
		return (int)COLOR_PAIR(PAIR_TITLE);
	if (s == BT_ST_TAB_ACTIVE)
		return (int)(A_BOLD | A_REVERSE);
	if (colored[s])
		return (int)(COLOR_PAIR(colored[s]) |
		             (s == BT_ST_BAD || s == BT_ST_GOOD || s == BT_ST_FAILED ? A_BOLD
		                                                                     : A_NORMAL));
	return (int)mono[s];
}

enum bt_style bt_series_style(int i)
{
	return (enum bt_style)(BT_ST_SERIES0 + (i < 0 ? 0 : i % 6));
}

const char *bt_glyph(enum bt_glyph g)
{
	static const char *const utf8[BT_G_COUNT] = {
	        [BT_G_HLINE] = "\xe2\x94\x80",   [BT_G_VLINE] = "\xe2\x94\x82",
	        [BT_G_CORNER] = "\xe2\x94\x94",  [BT_G_TEE] = "\xe2\x94\xa4",
	        [BT_G_MARK] = "\xe2\x97\x8f",    [BT_G_ELLIPSIS] = "\xe2\x80\xa6",
	        [BT_G_SORT_UP] = "\xe2\x96\xb2", [BT_G_SORT_DOWN] = "\xe2\x96\xbc",
	        [BT_G_BETTER] = "\xe2\x96\xb2",  [BT_G_WORSE] = "\xe2\x96\xbc",
	        [BT_G_CHECK] = "\xe2\x9c\x93",   [BT_G_CROSS] = "\xe2\x9c\x97",
	        [BT_G_SHIFT] = "\xe2\x97\x86",
	};
	static const char *const ascii[BT_G_COUNT] = {
	        [BT_G_HLINE] = "-",   [BT_G_VLINE] = "|",     [BT_G_CORNER] = "+",
	        [BT_G_TEE] = "|",     [BT_G_MARK] = "*",      [BT_G_ELLIPSIS] = "~",
	        [BT_G_SORT_UP] = "^", [BT_G_SORT_DOWN] = "v", [BT_G_BETTER] = "+",
	        [BT_G_WORSE] = "-",   [BT_G_CHECK] = "y",     [BT_G_CROSS] = "n",
	        [BT_G_SHIFT] = "!",
	};

	if ((unsigned)g >= BT_G_COUNT)
		return "?";
	return use_utf8 ? utf8[g] : ascii[g];
}

/*
 * Code points the terminal cannot measure (wcwidth() < 0: unassigned,
 * noncharacters) become U+FFFD, so that what curses draws takes the cells
 * we counted.
 */
static char *printable(const char *s)
{
	struct bt_buf b = BT_BUF_INIT;
	unsigned cp;

	bt_buf_grow(&b, strlen(s));
	while (*s) {
		size_t n = bt_text_decode(s, &cp);
		if (cp >= 0x80 && wcwidth((wchar_t)cp) < 0)
			bt_buf_puts(&b, "\xef\xbf\xbd");
		else
			bt_buf_add(&b, s, n);
		s += n;
	}
	return bt_buf_detach(&b);
}

/* Sanitised, locale-safe text, clipped to w cells. */
static char *prepare(const char *s, int w, int ell, int *used)
{
	char *clean = bt_sanitize(s ? s : "", 0), *shown, *clip;

	shown = use_utf8 ? printable(clean) : bt_text_ascii(clean);
	free(clean);
	clip = bt_text_clip(shown, w, ell ? bt_glyph(BT_G_ELLIPSIS) : NULL, used);
	free(shown);
	return clip;
}

static void put(int y, int x, const char *s, int attr)
{
	attr_t old;
	short pair;

	wattr_get(stdscr, &old, &pair, NULL);
	wattrset(stdscr, (attr_t)attr);
	if (use_utf8) {
		size_t n = strlen(s) + 1;
		wchar_t *ws = bt_xmalloc(n * sizeof(wchar_t));
		size_t k = mbstowcs(ws, s, n);
		if (k != (size_t)-1)
			mvaddnwstr(y, x, ws, (int)k);
		free(ws);
	} else {
		mvaddstr(y, x, s);
	}
	wattr_set(stdscr, old, pair, NULL);
}

int bt_draw_text(int y, int x, int w, const char *s, int attr, int ell)
{
	int used = 0;
	char *t;

	if (w <= 0 || y < 0 || x < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + w > COLS)
		w = COLS - x;
	t = prepare(s, w, ell, &used);
	put(y, x, t, attr);
	free(t);
	return used;
}

int bt_draw_text_right(int y, int x, int w, const char *s, int attr)
{
	int used = 0;
	char *t;

	if (w <= 0 || y < 0 || x < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + w > COLS)
		w = COLS - x;
	t = prepare(s, w, 1, &used);
	put(y, x + w - used, t, attr);
	free(t);
	return used;
}

void bt_draw_fill(int y, int x, int w, int attr)
{
	attr_t old;
	short pair;

	if (w <= 0 || y < 0 || y >= LINES || x >= COLS)
		return;
	if (x + w > COLS)
		w = COLS - x;
	wattr_get(stdscr, &old, &pair, NULL);
	wattrset(stdscr, (attr_t)attr);
	mvhline(y, x, ' ', w);
	wattr_set(stdscr, old, pair, NULL);
}

void bt_draw_hline(int y, int x, int w, int attr)
{
	struct bt_buf b = BT_BUF_INIT;
	int i;

	if (w <= 0)
		return;
	for (i = 0; i < w; i++)
		bt_buf_puts(&b, bt_glyph(BT_G_HLINE));
	bt_draw_text(y, x, w, b.ptr, attr, 0);
	bt_buf_free(&b);
}

int bt_draw_printf(int y, int x, int w, int attr, const char *fmt, ...)
{
	struct bt_buf b = BT_BUF_INIT;
	va_list ap;
	int n;

	va_start(ap, fmt);
	bt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	n = bt_draw_text(y, x, w, bt_buf_cstr(&b), attr, 1);
	bt_buf_free(&b);
	return n;
}
