/*
 * chart.h - the arithmetic of the dashboard's charts: "nice" axis scales
 * and a canvas of dots that renders as braille characters (2x4 dots per
 * cell) on terminals that can show them, or one marker per cell in ASCII.
 *
 * No curses here: view-charts.c draws what the canvas renders, and
 * tests/unit/test-tui-chart.c checks scaling and rendering directly.
 */
#ifndef BT_TUI_CHART_H
#define BT_TUI_CHART_H

#include <stddef.h>

/*
 * An axis from lo to hi with ticks every `step`, all three "nice" numbers
 * (1, 2 or 5 times a power of ten), covering the data.
 */
struct bt_scale {
	double lo, hi, step;
	int digits; /* decimals that tick labels need */
};

/*
 * A nice scale covering [min, max] with at most `max_ticks` ticks.  NaN or
 * infinite bounds are ignored; a single value gets a small range around
 * it; no data at all gives [0, 1].
 */
void bt_scale_nice(struct bt_scale *out, double min, double max, int max_ticks);

/*
 * Where `v` falls on `pixels` pixels of the scale: 0 for lo, pixels - 1
 * for hi, clamped; -1 for NaN.
 */
int bt_scale_pixel(const struct bt_scale *s, double v, int pixels);

/* Number of ticks and the value of tick i (lo + i * step). */
int bt_scale_ticks(const struct bt_scale *s);
double bt_scale_tick(const struct bt_scale *s, int i);

/* A tick label with the scale's decimals ("0.85", "1200"). */
void bt_scale_label(const struct bt_scale *s, double v, char *out, size_t n);

/*
 * A canvas of w x h cells.  With braille, each cell holds 2 x 4 dots, so
 * the canvas is 2w x 4h pixels; without, one pixel per cell.  Each cell
 * remembers the series (colour) that last drew in it.
 */
struct bt_canvas {
	int w, h, braille;
	unsigned char *dots; /* per cell: braille dot bits, or non-zero when set */
	signed char *series; /* per cell: last series drawn there, -1 none */
	char *mark;          /* per cell: an explicit character (ASCII), 0 none */
};

void bt_canvas_init(struct bt_canvas *c, int w, int h, int braille);
void bt_canvas_release(struct bt_canvas *c);
/* Pixel size: 2w x 4h with braille, else w x h. */
int bt_canvas_px_w(const struct bt_canvas *c);
int bt_canvas_px_h(const struct bt_canvas *c);

/* Set the pixel (x, y), y counted from the top; outside pixels are ignored. */
void bt_canvas_set(struct bt_canvas *c, int x, int y, int series);
/* A straight line of pixels between two points (Bresenham). */
void bt_canvas_line(struct bt_canvas *c, int x0, int y0, int x1, int y1, int series);
/* Put an explicit character in a cell (a change-point marker, a label). */
void bt_canvas_mark(struct bt_canvas *c, int cx, int cy, char ch, int series);

/*
 * What cell (cx, cy) shows, as UTF-8 in `out` (at least 5 bytes): a
 * braille pattern, an ASCII marker for the series ("*+ox#@%&"), an explicit
 * mark, or a space.  Returns the series of the cell, -1 when empty.
 */
int bt_canvas_cell(const struct bt_canvas *c, int cx, int cy, char *out);

/* The ASCII marker of series i. */
char bt_canvas_marker(int series);

#endif
