/*
 * layout.h - fitting table columns into a width, for the dashboard's
 * tables (runs, samples, commits).
 *
 * Columns have a minimum, a wanted and a maximum width and a priority.
 * When the wanted widths do not fit, text columns shrink towards their
 * minimum first (widest first); when even the minimums do not fit, whole
 * columns are dropped, lowest priority first, so a narrow terminal shows
 * fewer columns rather than garbage.  Spare width is left at the right:
 * a column never grows past what its content wants.  Pure arithmetic:
 * tested without a terminal.
 */
#ifndef BT_TUI_LAYOUT_H
#define BT_TUI_LAYOUT_H

#include <stddef.h>

struct bt_layout_col {
	int min, want, max; /* cells; max 0 means no limit */
	int priority;       /* dropped lowest first when nothing else helps; 0 never */
	int flex;           /* 1: may shrink from `want` down to `min` (text columns) */
};

/*
 * Fill width[i] for each of the `n` columns (0: hidden) so that the shown
 * widths plus `gap` cells between neighbours fit in `total`.  Returns the
 * number of columns shown.
 */
size_t bt_layout_columns(const struct bt_layout_col *cols, size_t n, int total, int gap,
                         int *width);

/*
 * A scrolled list of `n` lines shown `height` at a time.  With a cursor
 * (`cursor` 1) moves go line by line and the view follows the cursor;
 * without (pagers, help) they scroll the text itself and stop when the
 * last line is at the bottom.
 */
struct bt_scroll {
	size_t n, top, cur;
	int cursor;
};

/* Move by `delta` lines (negative: up), clamped. */
void bt_scroll_move(struct bt_scroll *s, long long delta, int height);
/* Put the cursor (or the top line) on line `i`. */
void bt_scroll_to(struct bt_scroll *s, size_t i, int height);
/* Re-establish the invariants after n or height changed. */
void bt_scroll_fix(struct bt_scroll *s, int height);

#endif
