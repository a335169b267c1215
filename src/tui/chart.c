/*
 * chart.c - nice scales and the braille/ASCII canvas (see chart.h).  No
 * curses: tested by tests/unit/test-tui-chart.c.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/chart.h"
#include "util.h"

/* The nice number (1, 2, 5 x 10^k) nearest `x` (round) or not below it. */
static double nice_number(double x, int round_it)
{
	double e = floor(log10(x)), f = x / pow(10, e), nf;

	if (round_it)
		nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
	else
		nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
	return nf * pow(10, e);
}

void bt_scale_nice(struct bt_scale *s, double min, double max, int max_ticks)
{
	double range, step;

	if (max_ticks < 2)
		max_ticks = 2;
	if (!isfinite(min) && !isfinite(max)) {
		min = 0;
		max = 1;
	} else if (!isfinite(min)) {
		min = max;
	} else if (!isfinite(max)) {
		max = min;
	}
	if (min > max) {
		double t = min;
		min = max;
		max = t;
	}
	if (max == min) {
		/* One value: a range around it that still reads well. */
		double pad = fabs(min) > 0 ? fabs(min) * 0.1 : 1;
		min -= pad;
		max += pad;
	}
	range = nice_number(max - min, 0);
	step = nice_number(range / (max_ticks - 1), 1);
	s->lo = floor(min / step) * step;
	s->hi = ceil(max / step) * step;
	/* Rounding can leave one tick too many; a coarser step then fits. */
	while ((int)floor((s->hi - s->lo) / step + 0.5) + 1 > max_ticks) {
		step = nice_number(step * 1.5, 0);
		s->lo = floor(min / step) * step;
		s->hi = ceil(max / step) * step;
	}
	s->step = step;
	s->digits = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
	if (s->digits > 9)
		s->digits = 9;
}

int bt_scale_pixel(const struct bt_scale *s, double v, int pixels)
{
	double t;
	int p;

	if (v != v || pixels <= 0)
		return -1;
	t = s->hi > s->lo ? (v - s->lo) / (s->hi - s->lo) : 0.5;
	p = (int)floor(t * (pixels - 1) + 0.5);
	return p < 0 ? 0 : p >= pixels ? pixels - 1 : p;
}

int bt_scale_ticks(const struct bt_scale *s)
{
	return s->step > 0 ? (int)floor((s->hi - s->lo) / s->step + 0.5) + 1 : 1;
}

double bt_scale_tick(const struct bt_scale *s, int i)
{
	return s->lo + i * s->step;
}

void bt_scale_label(const struct bt_scale *s, double v, char *out, size_t n)
{
	if (fabs(v) < s->step * 1e-9)
		v = 0; /* no "-0.00" */
	if (fabs(v) >= 1e6 || (fabs(v) > 0 && fabs(v) < 1e-4))
		snprintf(out, n, "%.3g", v);
	else
		snprintf(out, n, "%.*f", s->digits, v);
}

void bt_canvas_init(struct bt_canvas *c, int w, int h, int braille)
{
	size_t cells;

	c->w = w > 0 ? w : 0;
	c->h = h > 0 ? h : 0;
	c->braille = braille;
	cells = (size_t)c->w * (size_t)c->h;
	c->dots = bt_xcalloc(cells ? cells : 1, 1);
	c->series = bt_xmalloc(cells ? cells : 1);
	memset(c->series, -1, cells ? cells : 1);
	c->mark = bt_xcalloc(cells ? cells : 1, 1);
}

void bt_canvas_release(struct bt_canvas *c)
{
	free(c->dots);
	free(c->series);
	free(c->mark);
	memset(c, 0, sizeof(*c));
}

int bt_canvas_px_w(const struct bt_canvas *c)
{
	return c->braille ? c->w * 2 : c->w;
}

int bt_canvas_px_h(const struct bt_canvas *c)
{
	return c->braille ? c->h * 4 : c->h;
}

void bt_canvas_set(struct bt_canvas *c, int x, int y, int series)
{
	/* Braille dot numbering: column 0 holds dots 1,2,3,7; column 1 dots 4,5,6,8. */
	static const unsigned char bits[4][2] = {
	        {0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
	int cx, cy;
	size_t i;

	if (x < 0 || y < 0 || x >= bt_canvas_px_w(c) || y >= bt_canvas_px_h(c))
		return;
	cx = c->braille ? x / 2 : x;
	cy = c->braille ? y / 4 : y;
	i = (size_t)cy * (size_t)c->w + (size_t)cx;
	c->dots[i] |= c->braille ? bits[y % 4][x % 2] : 1;
	c->series[i] = (signed char)series;
}

void bt_canvas_line(struct bt_canvas *c, int x0, int y0, int x1, int y1, int series)
{
	int dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
	int dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
	int err = dx + dy;

	for (;;) {
		bt_canvas_set(c, x0, y0, series);
		if (x0 == x1 && y0 == y1)
			break;
		int e2 = 2 * err;
		if (e2 >= dy) {
			err += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			err += dx;
			y0 += sy;
		}
	}
}

void bt_canvas_mark(struct bt_canvas *c, int cx, int cy, char ch, int series)
{
	size_t i;

	if (cx < 0 || cy < 0 || cx >= c->w || cy >= c->h)
		return;
	i = (size_t)cy * (size_t)c->w + (size_t)cx;
	c->mark[i] = ch;
	c->series[i] = (signed char)series;
}

char bt_canvas_marker(int series)
{
	static const char markers[] = "*+ox#@%&";

	return series < 0 ? '.' : markers[series % (int)(sizeof(markers) - 1)];
}

int bt_canvas_cell(const struct bt_canvas *c, int cx, int cy, char *out)
{
	size_t i;
	unsigned cp;

	out[0] = ' ';
	out[1] = '\0';
	if (cx < 0 || cy < 0 || cx >= c->w || cy >= c->h)
		return -1;
	i = (size_t)cy * (size_t)c->w + (size_t)cx;
	if (c->mark[i]) {
		out[0] = c->mark[i];
		return c->series[i];
	}
	if (!c->dots[i])
		return -1;
	if (!c->braille) {
		out[0] = bt_canvas_marker(c->series[i]);
		return c->series[i];
	}
	cp = 0x2800u + c->dots[i];
	out[0] = (char)(0xe0 | (cp >> 12));
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	out[3] = '\0';
	return c->series[i];
}
