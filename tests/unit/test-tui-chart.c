/*
 * test-tui-chart.c - chart scaling (nice ticks, pixel mapping) and the
 * braille and ASCII canvases.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "tui/chart.h"

Test(tui_chart, nice_scales_cover_the_data_with_round_ticks)
{
	struct bt_scale s;
	char lab[32];

	bt_scale_nice(&s, 0.12, 0.87, 6);
	cr_assert_float_eq(s.lo, 0.0, 1e-12);
	cr_assert_float_eq(s.hi, 1.0, 1e-12);
	cr_assert_float_eq(s.step, 0.2, 1e-12);
	cr_assert_eq(s.digits, 1);
	cr_assert_leq(bt_scale_ticks(&s), 6);
	bt_scale_label(&s, bt_scale_tick(&s, 2), lab, sizeof(lab));
	cr_assert_str_eq(lab, "0.4");

	bt_scale_nice(&s, 120, 4370, 5);
	cr_assert_leq(s.lo, 120);
	cr_assert_geq(s.hi, 4370);
	cr_assert_leq(bt_scale_ticks(&s), 5);
	cr_assert_float_eq(s.step, 2000, 1e-9, "0..5000 by 1000 would be 6 ticks");
	cr_assert_eq(s.digits, 0);

	bt_scale_nice(&s, -0.031, 0.012, 5);
	cr_assert_leq(s.lo, -0.031);
	cr_assert_geq(s.hi, 0.012);
	bt_scale_label(&s, 0, lab, sizeof(lab));
	cr_assert_str_eq(lab, "0.00", "zero is not '-0.00': %s", lab);
}

Test(tui_chart, degenerate_data_still_gives_a_scale)
{
	struct bt_scale s;

	bt_scale_nice(&s, 0.5, 0.5, 5);
	cr_assert_lt(s.lo, 0.5);
	cr_assert_gt(s.hi, 0.5);
	bt_scale_nice(&s, INFINITY, -INFINITY, 5);
	cr_assert_float_eq(s.lo, 0, 1e-12);
	cr_assert_float_eq(s.hi, 1, 1e-12);
	bt_scale_nice(&s, NAN, 3, 5);
	cr_assert(s.lo < 3 && s.hi > 3);
}

Test(tui_chart, values_map_to_pixels_from_the_bottom)
{
	struct bt_scale s = {0, 1, 0.25, 2};

	cr_assert_eq(bt_scale_pixel(&s, 0, 41), 0);
	cr_assert_eq(bt_scale_pixel(&s, 1, 41), 40);
	cr_assert_eq(bt_scale_pixel(&s, 0.5, 41), 20);
	cr_assert_eq(bt_scale_pixel(&s, 7, 41), 40, "clamped");
	cr_assert_eq(bt_scale_pixel(&s, -7, 41), 0, "clamped");
	cr_assert_eq(bt_scale_pixel(&s, NAN, 41), -1);
}

Test(tui_chart, braille_cells_hold_two_by_four_dots)
{
	struct bt_canvas c;
	char cell[8];

	bt_canvas_init(&c, 3, 2, 1);
	cr_assert_eq(bt_canvas_px_w(&c), 6);
	cr_assert_eq(bt_canvas_px_h(&c), 8);
	cr_assert_eq(bt_canvas_cell(&c, 0, 0, cell), -1);
	cr_assert_str_eq(cell, " ");
	bt_canvas_set(&c, 0, 0, 2); /* dot 1 */
	cr_assert_eq(bt_canvas_cell(&c, 0, 0, cell), 2);
	cr_assert_str_eq(cell, "\xe2\xa0\x81"); /* U+2801 */
	bt_canvas_set(&c, 1, 3, 2);             /* dot 8 */
	bt_canvas_cell(&c, 0, 0, cell);
	cr_assert_str_eq(cell, "\xe2\xa2\x81"); /* U+2881 */
	bt_canvas_set(&c, 5, 7, 1);             /* the last pixel: cell (2, 1), dot 8 */
	cr_assert_eq(bt_canvas_cell(&c, 2, 1, cell), 1);
	cr_assert_str_eq(cell, "\xe2\xa2\x80"); /* U+2880 */
	bt_canvas_set(&c, 6, 0, 1);             /* outside: ignored */
	bt_canvas_set(&c, -1, 0, 1);
	bt_canvas_release(&c);
}

Test(tui_chart, lines_join_their_end_points)
{
	struct bt_canvas c;
	char cell[8];
	int x;

	bt_canvas_init(&c, 10, 1, 0);
	bt_canvas_line(&c, 0, 0, 9, 0, 0);
	for (x = 0; x < 10; x++) {
		cr_assert_eq(bt_canvas_cell(&c, x, 0, cell), 0);
		cr_assert_str_eq(cell, "*");
	}
	bt_canvas_release(&c);
	bt_canvas_init(&c, 4, 4, 0);
	bt_canvas_line(&c, 3, 3, 0, 0, 1);
	for (x = 0; x < 4; x++) {
		cr_assert_eq(bt_canvas_cell(&c, x, x, cell), 1);
		cr_assert_str_eq(cell, "+", "series 1 is marked '+' in ASCII");
	}
	cr_assert_eq(bt_canvas_cell(&c, 0, 3, cell), -1);
	bt_canvas_mark(&c, 0, 3, '!', 2);
	cr_assert_eq(bt_canvas_cell(&c, 0, 3, cell), 2);
	cr_assert_str_eq(cell, "!");
	bt_canvas_release(&c);
}
