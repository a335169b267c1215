/*
 * layout.c - fit table columns into a width (see layout.h).  No curses:
 * tested by tests/unit/test-tui-layout.c.
 */
#include "config.h"

#include <string.h>

#include "tui/layout.h"

static int used_width(const int *width, const int *shown, size_t n, int gap)
{
	int used = 0, k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (shown[i]) {
			used += width[i];
			k++;
		}
	return used + (k > 1 ? (k - 1) * gap : 0);
}

static void reset(const struct bt_layout_col *c, size_t n, int *width)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int w = c[i].want;
		if (w < c[i].min)
			w = c[i].min;
		if (c[i].max > 0 && w > c[i].max)
			w = c[i].max;
		width[i] = w;
	}
}

/*
 * Take cells from the flex column with the most room above its floor: half
 * of what it wants (`soft`, before any column is dropped), or its minimum.
 */
static int shrink(const struct bt_layout_col *c, size_t n, const int *shown, int *width, int excess,
                  int soft)
{
	while (excess > 0) {
		size_t i, best = n;
		int room = 0;
		for (i = 0; i < n; i++) {
			int floor = c[i].min;
			if (soft && c[i].want / 2 > floor)
				floor = c[i].want / 2;
			if (shown[i] && c[i].flex && width[i] - floor > room) {
				room = width[i] - floor;
				best = i;
			}
		}
		if (best == n)
			break;
		width[best]--;
		excess--;
	}
	return excess;
}

size_t bt_layout_columns(const struct bt_layout_col *c, size_t n, int total, int gap, int *width)
{
	int shown[256];
	size_t i, count = 0;

	if (n > 256)
		n = 256;
	if (total < 0)
		total = 0;
	for (i = 0; i < n; i++)
		shown[i] = 1;
	reset(c, n, width);
	for (;;) {
		int excess = used_width(width, shown, n, gap) - total;
		size_t drop = n;
		if (excess <= 0)
			break;
		/* Shorten text to half of what it wants before giving up whole columns... */
		excess = shrink(c, n, shown, width, excess, 1);
		if (excess <= 0)
			break;
		/* ...then drop the least important column (the rightmost of equals) and retry. */
		for (i = 0; i < n; i++)
			if (shown[i] && c[i].priority > 0 &&
			    (drop == n || c[i].priority <= c[drop].priority))
				drop = i;
		if (drop == n) {
			excess = shrink(c, n, shown, width, excess, 0);
			if (excess <= 0)
				break;
			/* Only essential columns are left: cut from the right. */
			for (i = n; i-- > 0;)
				if (shown[i])
					break;
			if (i == (size_t)-1)
				break;
			{
				int k = 0;
				size_t j;
				for (j = 0; j < n; j++)
					k += shown[j];
				if (k == 1) {
					width[i] = total;
					break;
				}
			}
			drop = i;
		}
		shown[drop] = 0;
		reset(c, n, width);
	}
	for (i = 0; i < n; i++) {
		if (!shown[i])
			width[i] = 0;
		else
			count++;
	}
	return count;
}

void bt_scroll_fix(struct bt_scroll *s, int height)
{
	size_t h = height > 0 ? (size_t)height : 1;

	if (!s->cursor) {
		size_t max = s->n > h ? s->n - h : 0;
		if (s->top > max)
			s->top = max;
		s->cur = s->top;
		return;
	}
	if (s->n == 0) {
		s->cur = s->top = 0;
		return;
	}
	if (s->cur >= s->n)
		s->cur = s->n - 1;
	if (s->cur < s->top)
		s->top = s->cur;
	if (s->cur >= s->top + h)
		s->top = s->cur - h + 1;
	if (s->top + h > s->n)
		s->top = s->n > h ? s->n - h : 0;
}

void bt_scroll_move(struct bt_scroll *s, long long delta, int height)
{
	long long pos = (long long)(s->cursor ? s->cur : s->top) + delta;

	if (pos < 0)
		pos = 0;
	if (s->cursor)
		s->cur = (size_t)pos;
	else
		s->top = (size_t)pos;
	bt_scroll_fix(s, height);
}

void bt_scroll_to(struct bt_scroll *s, size_t i, int height)
{
	if (s->cursor)
		s->cur = i;
	else
		s->top = i;
	bt_scroll_fix(s, height);
}
