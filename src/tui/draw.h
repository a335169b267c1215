/*
 * draw.h - drawing helpers for the dashboard's views: text that is always
 * sanitised (so nothing from data, models or the database can act on the
 * terminal) and measured in cells with wcwidth, styles that degrade to
 * bold/reverse on monochrome terminals and under NO_COLOR, and glyphs with
 * ASCII fallbacks for terminals whose locale is not UTF-8.
 *
 * Views draw only through these and only from their draw operation.
 */
#ifndef BT_TUI_DRAW_H
#define BT_TUI_DRAW_H

#include <stddef.h>

enum bt_style {
	BT_ST_NORMAL,
	BT_ST_HEADER,     /* table headings */
	BT_ST_HEADER_SEL, /* the selected column's heading */
	BT_ST_CURSOR,     /* the cursor line */
	BT_ST_MARKED,     /* a marked run */
	BT_ST_DIM,        /* less important text */
	BT_ST_TITLE,      /* the tab bar */
	BT_ST_TAB_ACTIVE, /* the current tab */
	BT_ST_STATUS,     /* the status line */
	BT_ST_HEADING,    /* section headings in detail and compare */
	BT_ST_ERROR,      /* error messages */
	BT_ST_GOOD,       /* a significant improvement */
	BT_ST_BAD,        /* a significant regression */
	BT_ST_RUNNING,
	BT_ST_FINISHED,
	BT_ST_FAILED,
	BT_ST_INTERRUPTED,
	BT_ST_STALE,
	BT_ST_SERIES0, /* chart series 0..5 */
	BT_ST_SERIES1,
	BT_ST_SERIES2,
	BT_ST_SERIES3,
	BT_ST_SERIES4,
	BT_ST_SERIES5,
	BT_ST_COUNT
};

enum bt_glyph {
	BT_G_HLINE,     /* ─ - */
	BT_G_VLINE,     /* │ | */
	BT_G_CORNER,    /* └ + */
	BT_G_TEE,       /* ┤ | */
	BT_G_MARK,      /* ● * : a marked run */
	BT_G_ELLIPSIS,  /* … ~ */
	BT_G_SORT_UP,   /* ▲ ^ */
	BT_G_SORT_DOWN, /* ▼ v */
	BT_G_BETTER,    /* ▲ + */
	BT_G_WORSE,     /* ▼ - */
	BT_G_CHECK,     /* ✓ y */
	BT_G_CROSS,     /* ✗ n */
	BT_G_SHIFT,     /* ◆ ! : a change point */
	BT_G_COUNT
};

/*
 * Set up colours (when `color` and the terminal has them) and choose
 * glyphs by `utf8`.  Call after initscr().
 */
void bt_draw_init(int color, int utf8);
int bt_draw_utf8(void);
int bt_draw_color(void);

/* The curses attributes of a style (an attr_t, as an int to keep curses out of callers). */
int bt_style_attr(enum bt_style s);
/* The style of series i in charts. */
enum bt_style bt_series_style(int i);
/* A glyph in the current mode. */
const char *bt_glyph(enum bt_glyph g);

/*
 * Draw `s` at (y, x) in at most `w` cells with attributes `attr`, after
 * sanitising it (and replacing non-ASCII under a non-UTF-8 locale).  With
 * `ell`, text that does not fit ends in an ellipsis.  Returns the cells
 * drawn.
 */
int bt_draw_text(int y, int x, int w, const char *s, int attr, int ell);
/* The same, right-aligned in the `w` cells. */
int bt_draw_text_right(int y, int x, int w, const char *s, int attr);
/* `w` blanks with `attr` (backgrounds of bars and cursor lines). */
void bt_draw_fill(int y, int x, int w, int attr);
/* A horizontal rule. */
void bt_draw_hline(int y, int x, int w, int attr);

/* printf into a buffer and draw it (sanitised like everything else). */
int bt_draw_printf(int y, int x, int w, int attr, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

#endif
