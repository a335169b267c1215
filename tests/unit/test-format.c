/*
 * test-format.c - output formats and terminal sanitising: what each format
 * writes for the same table, width fitting, and that no control sequence
 * survives into text output while JSON stays lossless.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"
#include "util.h"

static void utf8_locale(void)
{
	/* wcwidth() needs a UTF-8 locale to know East Asian widths. */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "en_US.UTF-8");
}

TestSuite(format, .init = utf8_locale);

static void expect_clean(const char *in, const char *want)
{
	char *got = bt_sanitize(in, 0);

	cr_assert_str_eq(got, want, "sanitising %s", in);
	free(got);
}

Test(format, sanitising_makes_c0_and_del_visible)
{
	expect_clean("plain text", "plain text");
	expect_clean("\033[31mred\033[0m", "^[[31mred^[[0m");
	expect_clean("bell\a", "bell^G");
	expect_clean("a\tb\nc\rd", "a^Ib^Jc^Md");
	expect_clean("del\x7f", "del^?");
}

Test(format, sanitising_keeps_newlines_only_when_asked)
{
	char *got = bt_sanitize("a\tb\nc\033", BT_SANITIZE_KEEP_NEWLINES);

	cr_assert_str_eq(got, "a\tb\nc^[");
	free(got);
}

Test(format, sanitising_escapes_c1_bidi_and_invalid_utf8)
{
	/* U+009B is CSI to terminals that honour 8-bit controls. */
	expect_clean("x\xc2\x9b"
	             "31m",
	             "x<U+009B>31m");
	/* A right-to-left override would reorder what follows on screen. */
	expect_clean("abc\xe2\x80\xae"
	             "def",
	             "abc<U+202E>def");
	expect_clean("\xe2\x81\xa6iso", "<U+2066>iso");
	expect_clean("bad\xff\xfe", "bad\\xff\\xfe");
	/* An overlong encoding of '/' and a lone surrogate are not UTF-8. */
	expect_clean("\xc0\xaf", "\\xc0\\xaf");
	expect_clean("\xed\xa0\x80", "\\xed\\xa0\\x80");
	/* Ordinary non-ASCII text passes untouched. */
	expect_clean("naïve 東京 🙂", "naïve 東京 🙂");
}

Test(format, sanitising_handles_embedded_nul)
{
	char *got = bt_sanitize_n("a\0b", 3, 0);

	cr_assert_str_eq(got, "a^@b");
	free(got);
}

Test(format, display_width_counts_wide_characters_twice)
{
	cr_assert_eq(bt_display_width("abc"), 3);
	cr_assert_eq(bt_display_width("東京"), 4);
	cr_assert_eq(bt_display_width("é"), 1);
}

/* Render a table into a string. */
static char *render(const struct bt_table *t, enum bt_format fmt, int width)
{
	struct bt_output_opts o = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	o.width = width;
	o.now = 1800000000;
	cr_assert_eq(bt_table_write(t, f, fmt, &o), 0);
	fclose(f);
	return buf;
}

static struct bt_table *sample_table(void)
{
	struct bt_table *t = bt_table_new();
	int id = bt_table_column(t, "id", NULL, BT_COL_INT, 0);
	int name = bt_table_column(t, "name", NULL, BT_COL_TEXT, 0);
	int acc = bt_table_column(t, "accuracy", NULL, BT_COL_REAL, 0);
	int start = bt_table_column(t, "started_at", "STARTED", BT_COL_AGE, 1);
	int sha = bt_table_column(t, "git_sha", "COMMIT", BT_COL_SHA, 2);

	bt_table_row(t);
	bt_table_int(t, id, 1);
	bt_table_text(t, name, "plain, \"quoted\"");
	bt_table_real(t, acc, 0.96);
	bt_table_real(t, start, 1800000000 - 7200);
	bt_table_text(t, sha, "0123456789abcdef0123456789abcdef01234567");
	bt_table_row(t);
	bt_table_int(t, id, 22);
	bt_table_text(t, name, "evil\033]0;pwned\a|*");
	bt_table_real(t, acc, NAN);
	bt_table_real(t, start, 1800000000 - 30);
	return t;
}

Test(format, table_aligns_columns_and_shows_short_forms)
{
	struct bt_table *t = sample_table();
	char *s = render(t, BT_FMT_TABLE, 0);

	cr_assert(strstr(s, "ID  NAME"), "%s", s);
	cr_assert(strstr(s, " 1  plain, \"quoted\""), "%s", s);
	cr_assert(strstr(s, "22  evil^[]0;pwned^G|*"), "%s", s);
	cr_assert(strstr(s, "0.9600"), "%s", s);
	cr_assert(strstr(s, "2h ago"), "%s", s);
	cr_assert(strstr(s, "30s ago"), "%s", s);
	cr_assert(strstr(s, "01234567\n"), "short sha expected: %s", s);
	cr_assert_null(strchr(s, '\033'), "an escape reached the output");
	free(s);
	bt_table_free(t);
}

Test(format, narrow_tables_drop_optional_columns_then_truncate)
{
	struct bt_table *t = sample_table();
	char *s = render(t, BT_FMT_TABLE, 30);
	char *line, *save = NULL;

	cr_assert_null(strstr(s, "COMMIT"), "lowest-priority column kept: %s", s);
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		cr_assert_leq(bt_display_width(line), 30, "line too wide: '%s'", line);
	free(s);
	bt_table_free(t);
}

Test(format, json_is_valid_typed_and_lossless)
{
	struct bt_table *t = sample_table();
	char *s = render(t, BT_FMT_JSON, 0);
	json_error_t err;
	json_t *v = json_loads(s, 0, &err);

	cr_assert_not_null(v, "invalid JSON (%s): %s", err.text, s);
	cr_assert_eq(json_array_size(v), 2);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(v, 1), "id")), 22);
	cr_assert_float_eq(json_real_value(json_object_get(json_array_get(v, 0), "accuracy")), 0.96,
	                   1e-15);
	cr_assert(json_is_null(json_object_get(json_array_get(v, 1), "accuracy")));
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 1), "name")),
	                 "evil\033]0;pwned\a|*");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 0), "started_at")),
	                 "2027-01-15T06:00:00.000Z");
	cr_assert_eq(strlen(json_string_value(json_object_get(json_array_get(v, 0), "git_sha"))),
	             40);
	/* The escape travels as \u001b, never raw. */
	cr_assert_null(strchr(s, '\033'));
	cr_assert(strstr(s, "\\u001b"), "%s", s);
	json_decref(v);
	free(s);
	bt_table_free(t);
}

Test(format, json_escapes_c1_and_bidi_but_keeps_their_meaning)
{
	json_t *v = json_pack("{s:s}", "t",
	                      "a\xc2\x9b"
	                      "b\xe2\x80\xae"
	                      "c");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *back;

	cr_assert_eq(bt_json_write(f, v, 0), 0);
	fclose(f);
	cr_assert(strstr(buf, "\\u009b"), "%s", buf);
	cr_assert(strstr(buf, "\\u202e"), "%s", buf);
	back = json_loads(buf, 0, NULL);
	cr_assert_str_eq(json_string_value(json_object_get(back, "t")),
	                 json_string_value(json_object_get(v, "t")));
	json_decref(back);
	json_decref(v);
	free(buf);
}

Test(format, jsonl_writes_one_object_per_line)
{
	struct bt_table *t = sample_table();
	char *s = render(t, BT_FMT_JSONL, 0);
	char *line, *save = NULL;
	int n = 0;

	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *v = json_loads(line, 0, NULL);
		cr_assert(json_is_object(v), "line %d: %s", n, line);
		json_decref(v);
		n++;
	}
	cr_assert_eq(n, 2);
	free(s);
	bt_table_free(t);
}

Test(format, csv_quotes_per_rfc4180)
{
	struct bt_table *t = sample_table();
	char *s = render(t, BT_FMT_CSV, 0);

	cr_assert(bt_starts_with(s, "id,name,accuracy,started_at,git_sha\r\n"), "%s", s);
	cr_assert(strstr(s, "1,\"plain, \"\"quoted\"\"\",0.96,"), "%s", s);
	cr_assert(strstr(s, "22,evil^[]0;pwned^G|*,,"), "%s", s);
	free(s);
	bt_table_free(t);
}

Test(format, tsv_and_markdown_keep_rows_on_one_line)
{
	struct bt_table *t = bt_table_new();
	int c = bt_table_column(t, "note", NULL, BT_COL_TEXT, 0);
	char *s;

	bt_table_row(t);
	bt_table_text(t, c, "two\nlines\twith | pipe");
	s = render(t, BT_FMT_TSV, 0);
	cr_assert_str_eq(s, "note\ntwo^Jlines^Iwith | pipe\n");
	free(s);
	s = render(t, BT_FMT_MARKDOWN, 0);
	cr_assert_str_eq(s, "| NOTE |\n| --- |\n| two^Jlines^Iwith \\| pipe |\n");
	free(s);
	bt_table_free(t);
}

Test(format, format_names_parse_and_unknown_ones_are_usage_errors)
{
	enum bt_format f;

	cr_assert_eq(bt_format_parse("jsonl", &f), 0);
	cr_assert_eq(f, BT_FMT_JSONL);
	cr_assert_eq(bt_format_parse("md", &f), 0);
	cr_assert_eq(f, BT_FMT_MARKDOWN);
	cr_assert_eq(bt_format_parse("xml", &f), BT_EUSAGE);
	cr_assert(strstr(bt_error_last(), "unknown format 'xml'"));
}

Test(format, human_durations_and_ages)
{
	char buf[32];

	bt_format_duration(buf, sizeof(buf), 3.14159);
	cr_assert_str_eq(buf, "3.14s");
	bt_format_duration(buf, sizeof(buf), 92);
	cr_assert_str_eq(buf, "1m32s");
	bt_format_duration(buf, sizeof(buf), 7322);
	cr_assert_str_eq(buf, "2h02m");
	bt_format_age(buf, sizeof(buf), 1000, 1000 + 3 * 86400 + 5);
	cr_assert_str_eq(buf, "3d ago");
}
