/*
 * test-tui-layout.c - fitting columns into a width at several terminal
 * sizes, and scrolled lists.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "tui/layout.h"

/* A runs-like table: status, id, name (flex), model (flex), two metrics, kind. */
static const struct bt_layout_col cols[] = {
        {6, 11, 0, 0, 0},  /* status: never dropped */
        {2, 6, 0, 0, 0},   /* id: never dropped */
        {4, 24, 0, 20, 1}, /* name */
        {5, 16, 0, 18, 1}, /* model */
        {8, 8, 0, 17, 0},  /* metric 1 */
        {8, 8, 0, 15, 0},  /* metric 2 */
        {4, 4, 0, 4, 0},   /* kind */
};
#define N (sizeof(cols) / sizeof(cols[0]))

static int used(const int *w, size_t n, int gap)
{
	int u = 0, k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i]) {
			u += w[i];
			k++;
		}
	return u + (k > 1 ? (k - 1) * gap : 0);
}

Test(tui_layout, wide_terminals_show_everything_at_its_wanted_width)
{
	int w[N];
	size_t i;

	cr_assert_eq(bt_layout_columns(cols, N, 200, 1, w), N);
	for (i = 0; i < N; i++)
		cr_assert_eq(w[i], cols[i].want, "column %zu", i);
}

Test(tui_layout, every_width_fits_and_keeps_the_essential_columns)
{
	int total, w[N];

	for (total = 20; total <= 200; total++) {
		bt_layout_columns(cols, N, total, 1, w);
		cr_assert_leq(used(w, N, 1), total, "width %d overflows", total);
		cr_assert_gt(w[0], 0, "status dropped at %d", total);
		cr_assert_gt(w[1], 0, "id dropped at %d", total);
	}
}

Test(tui_layout, at_80_columns_text_shrinks_before_columns_go)
{
	int w[N];

	/* Wanted: 77 cells + 6 gaps = 83 > 80: shortening names is enough. */
	cr_assert_eq(bt_layout_columns(cols, N, 80, 1, w), N);
	cr_assert_lt(w[2] + w[3], 24 + 16);
	cr_assert_eq(w[4], 8);
	cr_assert_eq(w[6], 4);
}

Test(tui_layout, narrow_terminals_drop_the_least_important_first)
{
	int w[N];

	bt_layout_columns(cols, N, 60, 1, w);
	cr_assert_eq(w[6], 0, "kind (priority 4) goes first");
	cr_assert_gt(w[2], 0, "name stays");
	bt_layout_columns(cols, N, 40, 1, w);
	cr_assert_eq(w[6], 0);
	cr_assert_eq(w[5], 0, "the second metric before the first");
	cr_assert_gt(w[2], 0, "name (priority 20) is the last optional column to go");
	bt_layout_columns(cols, N, 24, 1, w);
	cr_assert_gt(w[0], 0);
	cr_assert_gt(w[1], 0);
	cr_assert_leq(used(w, N, 1), 24);
}

Test(tui_layout, only_essential_columns_are_cut_from_the_right)
{
	static const struct bt_layout_col two[] = {{10, 10, 0, 0, 0}, {10, 10, 0, 0, 0}};
	int w[2];

	cr_assert_eq(bt_layout_columns(two, 2, 15, 1, w), 1);
	cr_assert_eq(w[0], 10);
	cr_assert_eq(w[1], 0);
	cr_assert_eq(bt_layout_columns(two, 2, 6, 1, w), 1);
	cr_assert_eq(w[0], 6);
}

Test(tui_layout, cursor_lists_follow_the_cursor)
{
	struct bt_scroll s = {100, 0, 0, 1};

	bt_scroll_move(&s, 15, 10);
	cr_assert_eq(s.cur, 15);
	cr_assert_eq(s.top, 6);
	bt_scroll_move(&s, -100, 10);
	cr_assert_eq(s.cur, 0);
	cr_assert_eq(s.top, 0);
	bt_scroll_to(&s, 99, 10);
	cr_assert_eq(s.cur, 99);
	cr_assert_eq(s.top, 90);
	s.n = 50; /* the list shrank under the cursor */
	bt_scroll_fix(&s, 10);
	cr_assert_eq(s.cur, 49);
	cr_assert_eq(s.top, 40);
}

Test(tui_layout, text_lists_stop_with_the_last_line_at_the_bottom)
{
	struct bt_scroll s = {30, 0, 0, 0};

	bt_scroll_move(&s, 100, 10);
	cr_assert_eq(s.top, 20);
	bt_scroll_move(&s, -5, 10);
	cr_assert_eq(s.top, 15);
	s.n = 5;
	bt_scroll_fix(&s, 10);
	cr_assert_eq(s.top, 0);
}
