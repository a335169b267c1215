/*
 * text.c - cell-measured text for the dashboard (see text.h).  No curses
 * here: these functions are tested by tests/unit/test-tui-text.c.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "tui/text.h"
#include "util.h"

size_t bt_text_decode(const char *str, unsigned *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c = s[0];
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, c &= 0x07;
	else {
		*cp = s[0];
		return 1;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = s[0];
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*cp = c;
	return n;
}

int bt_text_cp_width(unsigned cp)
{
	int w;

	if (cp < 0x80)
		return cp < 0x20 || cp == 0x7f ? 0 : 1;
	w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

int bt_text_width(const char *s)
{
	int w = 0;
	unsigned cp;

	while (*s) {
		s += bt_text_decode(s, &cp);
		w += bt_text_cp_width(cp);
	}
	return w;
}

char *bt_text_clip(const char *s, int width, const char *ell, int *used)
{
	int total = bt_text_width(s), w = 0, ew = ell ? bt_text_width(ell) : 0;
	const char *p = s;
	unsigned cp;
	struct bt_buf b = BT_BUF_INIT;

	if (width < 0)
		width = 0;
	if (total <= width) {
		if (used)
			*used = total;
		return bt_xstrdup(s);
	}
	if (ew > width)
		ell = NULL, ew = 0;
	while (*p) {
		size_t n = bt_text_decode(p, &cp);
		int cw = bt_text_cp_width(cp);
		if (w + cw > width - ew)
			break;
		w += cw;
		p += n;
	}
	bt_buf_add(&b, s, (size_t)(p - s));
	if (ell) {
		bt_buf_puts(&b, ell);
		w += ew;
	}
	if (used)
		*used = w;
	return bt_buf_detach(&b);
}

char *bt_text_ascii(const char *s)
{
	struct bt_buf b = BT_BUF_INIT;
	unsigned cp;

	bt_buf_grow(&b, strlen(s));
	while (*s) {
		size_t n = bt_text_decode(s, &cp);
		if (cp < 0x80) {
			bt_buf_putc(&b, (char)cp);
		} else {
			/* A wide character keeps its two cells so that columns still line up. */
			bt_buf_putc(&b, '?');
			if (bt_text_cp_width(cp) == 2)
				bt_buf_putc(&b, '?');
		}
		s += n;
	}
	return bt_buf_detach(&b);
}

char *bt_text_expand_tabs(const char *s)
{
	struct bt_buf b = BT_BUF_INIT;
	int col = 0;
	unsigned cp;

	while (*s) {
		size_t n = bt_text_decode(s, &cp);
		if (cp == '\t') {
			do
				bt_buf_putc(&b, ' ');
			while (++col % 8);
		} else {
			bt_buf_add(&b, s, n);
			col = cp == '\n' ? 0 : col + bt_text_cp_width(cp);
		}
		s += n;
	}
	return bt_buf_detach(&b);
}

size_t bt_text_wrap(const char *s, int width, struct bt_text_line **out)
{
	struct bt_text_line *lines = NULL;
	size_t n = 0, cap = 0, start = 0, i = 0, len = strlen(s);

	if (width < 1)
		width = 1;
	while (1) {
		/* One line from `start`: up to a newline or `width` cells. */
		size_t brk = 0, end, next;
		int w = 0;
		unsigned cp;
		i = start;
		while (i < len && s[i] != '\n') {
			size_t k = bt_text_decode(s + i, &cp);
			int cw = bt_text_cp_width(cp);
			if (w + cw > width)
				break;
			w += cw;
			i += k;
			if (cp == ' ')
				brk = i;
		}
		end = next = i;
		if (i >= len) {
			next = len;
		} else if (s[i] == '\n') {
			next = i + 1;
		} else if (s[i] == ' ') {
			next = i + 1; /* the blank at the edge becomes the break */
		} else if (brk > start) {
			/* Break at the last blank that fits; it ends the line unseen. */
			end = brk - 1;
			next = brk;
		} else if (end == start) {
			end = next =
			        start + bt_text_decode(s + start, &cp); /* wider than the line */
		}
		bt_grow(&lines, &cap, n + 1, sizeof(*lines));
		lines[n].off = start;
		lines[n].len = end - start;
		n++;
		/* A trailing newline ends the text; it does not start an empty line. */
		if (next >= len)
			break;
		start = next;
	}
	*out = lines;
	return n;
}

void bt_progress_compute(struct bt_progress *p, int64_t done, int64_t total, double started,
                         double heartbeat)
{
	double elapsed = heartbeat - started;

	p->fraction = total > 0 ? (double)(done > total ? total : done) / (double)total : NAN;
	p->rate = done > 0 && elapsed > 0 ? (double)done / elapsed : NAN;
	p->eta = total > 0 && p->rate > 0 ? (double)(total - done) / p->rate : NAN;
	if (p->eta < 0)
		p->eta = 0;
}

void bt_progress_bar(char *out, size_t n, double fraction, int width, int utf8)
{
	static const char *const eighths[] = {"",
	                                      "\xe2\x96\x8f",
	                                      "\xe2\x96\x8e",
	                                      "\xe2\x96\x8d",
	                                      "\xe2\x96\x8c",
	                                      "\xe2\x96\x8b",
	                                      "\xe2\x96\x8a",
	                                      "\xe2\x96\x89"};
	struct bt_buf b = BT_BUF_INIT;
	int full, part, i, cells = 0;
	double f = fraction != fraction ? 0 : fraction < 0 ? 0 : fraction > 1 ? 1 : fraction;

	if (width < 1) {
		if (n)
			out[0] = '\0';
		return;
	}
	full = (int)(f * width);
	part = (int)((f * width - full) * 8);
	for (i = 0; i < full; i++, cells++)
		bt_buf_puts(&b, utf8 ? "\xe2\x96\x88" : "#");
	if (cells < width && part > 0 && utf8) {
		bt_buf_puts(&b, eighths[part]);
		cells++;
	}
	for (; cells < width; cells++)
		bt_buf_puts(&b, utf8 ? "\xe2\x96\x91" : "-");
	snprintf(out, n, "%s", bt_buf_cstr(&b));
	bt_buf_free(&b);
}

void bt_format_rate(char *out, size_t n, double r)
{
	if (r != r || r < 0)
		snprintf(out, n, "-");
	else if (r >= 10000)
		snprintf(out, n, "%.0fk/s", r / 1000);
	else if (r >= 1000)
		snprintf(out, n, "%.1fk/s", r / 1000);
	else if (r >= 100)
		snprintf(out, n, "%.0f/s", r);
	else
		snprintf(out, n, "%.1f/s", r);
}
