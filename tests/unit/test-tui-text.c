/*
 * test-tui-text.c - cell-measured text for the dashboard: clipping wide
 * characters, wrapping for the pager, ASCII fallbacks, progress bars.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "tui/text.h"
#include "util.h"

static void utf8_locale(void)
{
	cr_assert_not_null(setlocale(LC_ALL, "C.UTF-8"), "no C.UTF-8 locale");
}

TestSuite(tui_text, .init = utf8_locale);

Test(tui_text, measures_cjk_and_emoji_as_two_cells)
{
	cr_assert_eq(bt_text_width("abc"), 3);
	cr_assert_eq(bt_text_width("\xe5\x90\x8d\xe5\x89\x8d"), 4); /* 名前 */
	cr_assert_eq(bt_text_width("\xf0\x9f\x98\x80x"), 3);        /* 😀x */
	cr_assert_eq(bt_text_width("e\xcc\x81"), 1);                /* e + combining acute */
}

Test(tui_text, clipping_never_splits_a_wide_character_or_overflows)
{
	int used = -1;
	char *s;

	s = bt_text_clip("\xe5\x90\x8d\xe5\x89\x8d\xe5\x90\x8d", 5, "~", &used); /* 名前名 in 5 */
	cr_assert_str_eq(s, "\xe5\x90\x8d\xe5\x89\x8d~");
	cr_assert_eq(used, 5);
	free(s);
	s = bt_text_clip("\xe5\x90\x8d\xe5\x89\x8d\xe5\x90\x8d", 4, NULL, &used);
	cr_assert_str_eq(s, "\xe5\x90\x8d\xe5\x89\x8d");
	cr_assert_eq(used, 4);
	free(s);
	/* A wide character that would straddle the edge is left out. */
	s = bt_text_clip("a\xe5\x90\x8d\xe5\x89\x8d", 4, "~", &used);
	cr_assert_str_eq(s, "a\xe5\x90\x8d~");
	cr_assert_eq(used, 4);
	free(s);
	s = bt_text_clip("short", 10, "~", &used);
	cr_assert_str_eq(s, "short");
	cr_assert_eq(used, 5);
	free(s);
	s = bt_text_clip("abc", 0, "~", &used);
	cr_assert_str_eq(s, "");
	cr_assert_eq(used, 0);
	free(s);
}

Test(tui_text, sanitised_escapes_stay_visible_and_measured)
{
	/* What draw.c does to model output: sanitise, then clip by cells. */
	char *clean = bt_sanitize("\x1b]0;pwned\x07 \xe2\x80\xae"
	                          "abc",
	                          0);
	char *clip = bt_text_clip(clean, 60, "~", NULL);

	cr_assert_null(strchr(clean, '\x1b'));
	cr_assert_not_null(strstr(clip, "^[]0;pwned^G"));
	cr_assert_not_null(strstr(clip, "<U+202E>abc"));
	cr_assert_eq(bt_text_width(clip), (int)strlen(clip));
	free(clip);
	free(clean);
}

Test(tui_text, ascii_fallback_keeps_columns_aligned)
{
	char *s = bt_text_ascii("a\xe5\x90\x8d"
	                        "b\xc3\xa9"
	                        "c");

	cr_assert_str_eq(s, "a??b?c");
	free(s);
}

static char *line(const char *s, const struct bt_text_line *l)
{
	return bt_xstrndup(s + l->off, l->len);
}

Test(tui_text, wraps_at_blanks_newlines_and_mid_word)
{
	const char *s = "the quick brown fox\njumps\n\nsupercalifragilistic";
	struct bt_text_line *l;
	size_t n = bt_text_wrap(s, 10, &l), i;
	const char *want[] = {"the quick", "brown fox", "jumps", "", "supercalif", "ragilistic"};
	char *got;

	cr_assert_eq(n, 6, "got %zu lines", n);
	for (i = 0; i < n; i++) {
		got = line(s, &l[i]);
		cr_assert_str_eq(got, want[i], "line %zu", i);
		free(got);
	}
	free(l);
}

Test(tui_text, wraps_wide_characters_by_cells)
{
	/* Five 2-cell characters in 5 cells: two per line. */
	const char *s = "\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d\xe5\x90\x8d";
	struct bt_text_line *l;
	size_t n = bt_text_wrap(s, 5, &l), i;

	cr_assert_eq(n, 3);
	for (i = 0; i < n; i++) {
		char *got = line(s, &l[i]);
		cr_assert_leq(bt_text_width(got), 5);
		free(got);
	}
	free(l);
	n = bt_text_wrap("", 10, &l);
	cr_assert_eq(n, 1);
	cr_assert_eq(l[0].len, 0);
	free(l);
	n = bt_text_wrap("one\n", 10, &l);
	cr_assert_eq(n, 1, "a trailing newline makes no empty line");
	free(l);
}

Test(tui_text, expands_tabs_to_eight_columns)
{
	char *s = bt_text_expand_tabs("a\tb\n\tc");

	cr_assert_str_eq(s, "a       b\n        c");
	free(s);
}

Test(tui_text, progress_gives_rate_and_eta)
{
	struct bt_progress p;

	bt_progress_compute(&p, 250, 1000, 100.0, 150.0);
	cr_assert_float_eq(p.fraction, 0.25, 1e-12);
	cr_assert_float_eq(p.rate, 5.0, 1e-12);
	cr_assert_float_eq(p.eta, 150.0, 1e-12);
	bt_progress_compute(&p, 0, 1000, 100.0, 100.0);
	cr_assert(isnan(p.rate) && isnan(p.eta));
	bt_progress_compute(&p, 10, 0, 100.0, 110.0);
	cr_assert(isnan(p.fraction) && isnan(p.eta));
	cr_assert_float_eq(p.rate, 1.0, 1e-12);
}

Test(tui_text, progress_bars_fill_their_width_exactly)
{
	char bar[256];

	bt_progress_bar(bar, sizeof(bar), 0.5, 10, 0);
	cr_assert_str_eq(bar, "#####-----");
	bt_progress_bar(bar, sizeof(bar), 1.5, 4, 0);
	cr_assert_str_eq(bar, "####");
	bt_progress_bar(bar, sizeof(bar), NAN, 3, 0);
	cr_assert_str_eq(bar, "---");
	bt_progress_bar(bar, sizeof(bar), 0.33, 10, 1);
	cr_assert_eq(bt_text_width(bar), 10);
	bt_format_rate(bar, sizeof(bar), 12.34);
	cr_assert_str_eq(bar, "12.3/s");
	bt_format_rate(bar, sizeof(bar), 2500);
	cr_assert_str_eq(bar, "2.5k/s");
	bt_format_rate(bar, sizeof(bar), NAN);
	cr_assert_str_eq(bar, "-");
}
