/*
 * text.h - terminal text measured in cells, for the dashboard: clipping to
 * a width, wrapping for the pager, ASCII fallbacks, progress bars and
 * human forms of rates and ETAs.
 *
 * Pure functions over strings: no curses, no store, so Criterion can test
 * them.  Text given to them must already have been through bt_sanitize()
 * (valid UTF-8, no controls except newline and tab where allowed); the
 * drawing layer (draw.c) does that for everything it shows.
 */
#ifndef BT_TUI_TEXT_H
#define BT_TUI_TEXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode the UTF-8 character at `s` (which must not be at its NUL) into
 * *cp; returns its length in bytes.  An invalid byte decodes as itself
 * with length 1 (sanitised text has none).
 */
size_t bt_text_decode(const char *s, unsigned *cp);

/*
 * Cells a code point takes: wcwidth(), with anything it cannot measure
 * (outside a UTF-8 locale, or unassigned) counted as one cell and
 * combining marks as zero.
 */
int bt_text_cp_width(unsigned cp);

/* Cells a whole string takes. */
int bt_text_width(const char *s);

/*
 * Copy as much of `s` as fits in `width` cells into a new string (caller
 * frees).  With `ellipsis` a string that does not fit ends in `ell` (one
 * cell, e.g. "…" or "~").  A wide character that would straddle the edge
 * is left out, so the result never exceeds `width`.  *used (if not NULL)
 * receives the cells of the result.
 */
char *bt_text_clip(const char *s, int width, const char *ell, int *used);

/*
 * Replace every non-ASCII character with '?', for terminals whose locale
 * cannot show it (LANG=C).  Returns a new string.
 */
char *bt_text_ascii(const char *s);

/* One line of wrapped text: bytes [off, off + len) of the input. */
struct bt_text_line {
	size_t off, len;
};

/*
 * Wrap `s` into lines of at most `width` cells: at newlines, then at the
 * last blank that fits, else mid-word.  Tabs must have been expanded
 * (bt_text_expand_tabs).  Returns the number of lines; *out (caller frees)
 * receives them.  An empty text is one empty line.
 */
size_t bt_text_wrap(const char *s, int width, struct bt_text_line **out);

/* Expand tabs to the next multiple of 8 cells; returns a new string. */
char *bt_text_expand_tabs(const char *s);

/*
 * Live progress of a running run, from its progress counters and times:
 * fraction done (NaN when the total is unknown), examples per second
 * (NaN before any example finished) and seconds left (NaN when unknown).
 */
struct bt_progress {
	double fraction, rate, eta;
};
void bt_progress_compute(struct bt_progress *out, int64_t done, int64_t total, double started,
                         double heartbeat);

/*
 * A bar of `width` cells for `fraction`: with `utf8` block elements
 * (eighths, so it moves smoothly), otherwise '#' and '-'.
 */
void bt_progress_bar(char *out, size_t n, double fraction, int width, int utf8);

/* "12.3/s", "0.4/s", "1.2k/s"; "-" for NaN. */
void bt_format_rate(char *out, size_t n, double per_second);

#endif
