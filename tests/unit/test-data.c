/*
 * test-data.c - the CSV and JSON Lines readers (data.h) on real files in a
 * temporary directory: values and their types, source positions, gzip,
 * parallel parsing against serial parsing, and every rejection with its
 * exact file:line:col.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "data.h"
#include "error.h"
#include "helpers.h"
#include "util.h"

static char *dir;

static void setup(void)
{
	dir = th_tmpdir();
}

static void teardown(void)
{
	th_rm_rf(dir);
	free(dir);
}

TestSuite(data, .init = setup, .fini = teardown);

/* Write `len` bytes to dir/name and return the path (caller frees). */
static char *put(const char *name, const char *bytes, size_t len)
{
	char *path = bt_path_join(dir, name);
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(bytes, 1, len, f), len);
	fclose(f);
	return path;
}

static char *puts_file(const char *name, const char *text)
{
	return put(name, text, strlen(text));
}

static char *put_gz(const char *name, const char *text)
{
	char *path = bt_path_join(dir, name);
	gzFile g = gzopen(path, "wb");

	cr_assert_not_null(g);
	cr_assert_eq(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
	gzclose(g);
	return path;
}

/* Read a file that must fail, and check the whole message after the directory. */
static void expect_error(const char *name, const char *bytes, size_t len, int code,
                         const char *message)
{
	char *path = put(name, bytes, len);
	char *want = bt_xasprintf("%s:%s", path, message);
	struct bt_split s;
	int rc = bt_data_read(&s, path, BT_DATA_AUTO, 0);

	cr_assert_eq(rc, code, "%s: rc %d (%s)", name, rc, bt_error_last());
	cr_assert_str_eq(bt_error_last(), want);
	cr_assert_eq(s.n, 0);
	cr_assert_null(s.values);
	free(want);
	free(path);
}

#define EXPECT_ERROR(name, text, message) \
	expect_error(name, text, sizeof(text) - 1, BT_EINPUT, message)

static const struct bt_value *at(const struct bt_split *s, size_t i, const char *col)
{
	int c = bt_split_col(s, col);

	cr_assert_geq(c, 0, "no column %s", col);
	return bt_split_at(s, i, c);
}

Test(data, reads_csv_with_quotes_embedded_newlines_and_doubled_quotes)
{
	char *p = puts_file("a.csv", "id,text,n\n"
	                             "a1,\"hello, world\",1.5\n"
	                             "a2,\"two\nlines\",-2\n"
	                             "a3,\"say \"\"hi\"\"\",\n"
	                             "a4,plain,7\n");
	struct bt_split s;
	uint32_t line, col;

	cr_assert_eq(bt_data_read(&s, p, BT_DATA_AUTO, 0), 0, "%s", bt_error_last());
	cr_assert_eq(s.ncols, 3);
	cr_assert_str_eq(s.cols[0], "id");
	cr_assert_str_eq(s.cols[2], "n");
	cr_assert_eq(s.n, 4);
	cr_assert_str_eq(at(&s, 0, "text")->text, "hello, world");
	cr_assert_str_eq(at(&s, 1, "text")->text, "two\nlines");
	cr_assert_str_eq(at(&s, 2, "text")->text, "say \"hi\"");
	cr_assert_eq(at(&s, 2, "text")->text_len, 8);
	cr_assert_eq(at(&s, 2, "n")->type, BENCHTOP_FIELD_NULL);
	cr_assert_eq(at(&s, 0, "n")->type, BENCHTOP_FIELD_NUMBER);
	cr_assert_eq(at(&s, 0, "n")->number, 1.5);
	cr_assert_eq(at(&s, 1, "n")->number, -2);
	/* records start on lines 2, 3, 5 (the quoted newline takes one), 6 */
	cr_assert_eq(s.lines[0], 2);
	cr_assert_eq(s.lines[1], 3);
	cr_assert_eq(s.lines[2], 5);
	cr_assert_eq(s.lines[3], 6);
	/* a value after the embedded newline is on the next line */
	bt_split_pos(&s, 1, 2, &line, &col);
	cr_assert_eq(line, 4);
	cr_assert_eq(col, 8);
	bt_split_pos(&s, 1, 1, &line, &col);
	cr_assert_eq(line, 3);
	cr_assert_eq(col, 4);
	bt_split_pos(&s, 3, 2, &line, &col);
	cr_assert_eq(line, 6);
	cr_assert_eq(col, 10);
	bt_split_release(&s);
	free(p);
}

Test(data, reads_crlf_and_a_byte_order_mark_and_counts_characters_not_bytes)
{
	char *p = puts_file("b.csv", "\xEF\xBB\xBFnom,café\r\n"
	                             "été,x\r\n"
	                             "\r\n"
	                             "ü,\"y\"\r\n");
	struct bt_split s;
	uint32_t line, col;

	cr_assert_eq(bt_data_read(&s, p, BT_DATA_AUTO, 0), 0, "%s", bt_error_last());
	cr_assert_str_eq(s.cols[0], "nom");
	cr_assert_str_eq(s.cols[1], "café");
	cr_assert_eq(s.n, 2, "the blank line is not a record");
	cr_assert_str_eq(s.values[1].text, "x");
	cr_assert_str_eq(s.values[3].text, "y");
	cr_assert_eq(s.lines[1], 4);
	bt_split_pos(&s, 0, 1, &line, &col);
	cr_assert_eq(line, 2);
	cr_assert_eq(col, 5, "'été,' is four characters (six bytes)");
	bt_split_release(&s);
	free(p);
}

Test(data, types_csv_cells_numbers_only_when_finite_and_whole)
{
	char *p = puts_file("c.csv", "v\n007\n-1e3\n.5\nnan\ninf\n1e999\n 3\n0x10\n+2\n");
	struct bt_split s;
	size_t i;
	struct {
		int type;
		double num;
		const char *text;
	} want[] = {
	        {BENCHTOP_FIELD_NUMBER, 7, "007"},  {BENCHTOP_FIELD_NUMBER, -1000, "-1e3"},
	        {BENCHTOP_FIELD_NUMBER, 0.5, ".5"}, {BENCHTOP_FIELD_TEXT, 0, "nan"},
	        {BENCHTOP_FIELD_TEXT, 0, "inf"},    {BENCHTOP_FIELD_TEXT, 0, "1e999"},
	        {BENCHTOP_FIELD_TEXT, 0, " 3"},     {BENCHTOP_FIELD_TEXT, 0, "0x10"},
	        {BENCHTOP_FIELD_NUMBER, 2, "+2"},
	};

	cr_assert_eq(bt_data_read(&s, p, BT_DATA_AUTO, 0), 0, "%s", bt_error_last());
	cr_assert_eq(s.n, BT_ARRAY_SIZE(want));
	for (i = 0; i < s.n; i++) {
		cr_assert_eq(s.values[i].type, want[i].type, "row %zu", i);
		cr_assert_str_eq(s.values[i].text, want[i].text);
		if (want[i].type == BENCHTOP_FIELD_NUMBER)
			cr_assert_eq(s.values[i].number, want[i].num, "row %zu", i);
	}
	bt_split_release(&s);
	free(p);
}

Test(data, reads_gzip_by_magic_bytes_whatever_the_name)
{
	char *p = put_gz("g.csv.gz", "a,b\n1,x\n2,y\n");
	char *q = put_gz("plain-name.jsonl", "{\"a\": 1}\n{\"a\": 2}\n");
	struct bt_split s;

	cr_assert_eq(bt_data_read(&s, p, BT_DATA_AUTO, 0), 0, "%s", bt_error_last());
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.values[3].text, "y");
	cr_assert_eq(s.lines[1], 3);
	bt_split_release(&s);
	cr_assert_eq(bt_data_read(&s, q, BT_DATA_AUTO, 0), 0, "%s", bt_error_last());
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.values[1].number, 2);
	bt_split_release(&s);
	free(p);
	free(q);
}

Test(data, reads_concatenated_gzip_members_and_rejects_truncated_gzip)
{
	char *a = put_gz("a.gz.part", "x\n1\n");
	char *b = put_gz("b.gz.part", "2\n3\n");
	char *both = bt_path_join(dir, "both.csv.gz");
	char *cut = bt_path_join(dir, "cut.csv.gz");
	struct bt_split s;
	char *want;

	cr_assert_eq(th_sh("cat '%s' '%s' > '%s'", a, b, both), 0);
	cr_assert_eq(bt_data_read(&s, both, BT_DATA_AUTO, 0), 0, "%s", bt_error_last());
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.values[2].number, 3);
	bt_split_release(&s);

	cr_assert_eq(th_sh("head -c 20 '%s' > '%s'", a, cut), 0);
	cr_assert_eq(bt_data_read(&s, cut, BT_DATA_AUTO, 0), BT_EINPUT);
	want = bt_xasprintf("data '%s': truncated gzip data", cut);
	cr_assert_str_eq(bt_error_last(), want);
	free(want);
	free(a);
	free(b);
	free(both);
	free(cut);
}

Test(data, reads_json_lines_with_every_kind_of_value)
{
	char *p = puts_file("t.jsonl",
	                    "{\"id\": \"e1\", \"x\": [0.1, 2, -3e2], \"s\": \"caf\\u00e9 "
	                    "\\ud83d\\ude00\\n\\\"q\\\"\","
	                    " \"b\": true, \"n\": null, \"o\": {\"k\": [1, \"two\"], \"e\": {}}, "
	                    "\"l\": [\"a\", 1]}\n"
	                    "\n"
	                    "  {\"id\": 7, \"late\": false, \"x\": [], \"s\": \"\"}  \r\n");
	struct bt_split s;
	const struct bt_value *v;

	cr_assert_eq(bt_data_read(&s, p, BT_DATA_AUTO, 0), 0, "%s", bt_error_last());
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.ncols, 8);
	cr_assert_str_eq(s.cols[0], "id");
	cr_assert_str_eq(s.cols[7], "late", "keys in first-seen order");
	v = at(&s, 0, "x");
	cr_assert_eq(v->type, BENCHTOP_FIELD_VECTOR);
	cr_assert_eq(v->vector_len, 3);
	cr_assert_eq(v->vector[0], 0.1);
	cr_assert_eq(v->vector[2], -300);
	v = at(&s, 0, "s");
	cr_assert_eq(v->type, BENCHTOP_FIELD_TEXT);
	cr_assert_str_eq(v->text, "caf\xC3\xA9 \xF0\x9F\x98\x80\n\"q\"");
	cr_assert_eq(v->text_len, strlen(v->text));
	v = at(&s, 0, "b");
	cr_assert_eq(v->type, BENCHTOP_FIELD_NUMBER);
	cr_assert_eq(v->number, 1);
	cr_assert_str_eq(v->text, "true");
	cr_assert_eq(at(&s, 0, "n")->type, BENCHTOP_FIELD_NULL);
	v = at(&s, 0, "o");
	cr_assert_eq(v->type, BENCHTOP_FIELD_JSON);
	cr_assert_str_eq(v->text, "{\"k\":[1,\"two\"],\"e\":{}}");
	v = at(&s, 0, "l");
	cr_assert_eq(v->type, BENCHTOP_FIELD_JSON);
	cr_assert_str_eq(v->text, "[\"a\",1]");
	v = at(&s, 1, "id");
	cr_assert_eq(v->type, BENCHTOP_FIELD_NUMBER);
	cr_assert_str_eq(v->text, "7");
	cr_assert_eq(at(&s, 1, "x")->type, BENCHTOP_FIELD_VECTOR);
	cr_assert_eq(at(&s, 1, "x")->vector_len, 0);
	cr_assert_eq(at(&s, 1, "s")->type, BENCHTOP_FIELD_TEXT);
	cr_assert_str_eq(at(&s, 1, "s")->text, "");
	cr_assert_eq(at(&s, 1, "o")->type, BENCHTOP_FIELD_NULL, "a key a line lacks is null");
	cr_assert_eq(at(&s, 0, "late")->type, BENCHTOP_FIELD_NULL);
	/* positions: the blank line still counts */
	cr_assert_eq(s.lines[0], 1);
	cr_assert_eq(s.lines[1], 3);
	cr_assert_eq(s.columns[0 * s.ncols + 1], 19);
	cr_assert_eq(s.columns[1 * s.ncols + 0], 10);
	cr_assert_eq(s.columns[1 * s.ncols + 3], 0, "absent values have column 0");
	bt_split_release(&s);
	free(p);
}

Test(data, counts_columns_in_characters_on_lines_with_non_ascii_text)
{
	char *p = puts_file("u.jsonl", "{\"é\": \"ü\", \"b\": 1}\n");
	struct bt_split s;

	cr_assert_eq(bt_data_read(&s, p, BT_DATA_AUTO, 0), 0, "%s", bt_error_last());
	cr_assert_eq(s.columns[0], 7);
	cr_assert_eq(s.columns[1], 17);
	bt_split_release(&s);
	free(p);
}

Test(data, stops_at_the_limit)
{
	char *p = puts_file("l.jsonl", "{\"a\": 1}\n{\"a\": 2}\n{\"a\": 3}\nnot json\n");
	struct bt_split s;

	cr_assert_eq(bt_data_read(&s, p, BT_DATA_AUTO, 2), 0, "%s", bt_error_last());
	cr_assert_eq(s.n, 2);
	bt_split_release(&s);
	cr_assert_eq(bt_data_read(&s, p, BT_DATA_AUTO, 0), BT_EINPUT);
	free(p);
}

/* A JSON Lines file of a few MB whose keys change part-way, so chunks disagree. */
static char *big_jsonl(const char *name, long bad_line)
{
	struct bt_buf b = BT_BUF_INIT;
	char *p;
	long i;

	for (i = 1; i <= 60000; i++) {
		if (i == bad_line) {
			bt_buf_puts(&b, "{\"id\": \"broken\", \"x\": [1, 2\n");
			continue;
		}
		bt_buf_printf(&b, "{\"id\": \"e%ld\", \"x\": [%ld.5, %ld], \"label\": \"%c\"", i, i,
		              -i, "abc"[i % 3]);
		if (i > 45000)
			bt_buf_printf(&b, ", \"extra\": %ld", i);
		if (i % 7 == 0)
			bt_buf_puts(&b, ", \"note\": \"d\\u00e9j\\u00e0 vu\"");
		bt_buf_puts(&b, "}\n");
	}
	p = put(name, b.ptr, b.len);
	bt_buf_free(&b);
	return p;
}

Test(data, parses_large_json_lines_in_parallel_exactly_as_serially)
{
#ifdef _OPENMP
	char *p = big_jsonl("big.jsonl", 0);
	struct bt_split a, b;
	size_t i, c;

	omp_set_num_threads(1);
	cr_assert_eq(bt_data_read(&a, p, BT_DATA_AUTO, 0), 0, "%s", bt_error_last());
	omp_set_num_threads(5);
	cr_assert_eq(bt_data_read(&b, p, BT_DATA_AUTO, 0), 0, "%s", bt_error_last());
	cr_assert_eq(a.n, 60000);
	cr_assert_eq(b.n, a.n);
	cr_assert_eq(b.ncols, a.ncols);
	cr_assert_eq(a.ncols, 5);
	for (c = 0; c < a.ncols; c++)
		cr_assert_str_eq(a.cols[c], b.cols[c]);
	cr_assert_str_eq(a.cols[3], "note", "'note' appears on line 7, before 'extra'");
	for (i = 0; i < a.n; i++) {
		cr_assert_eq(a.lines[i], b.lines[i]);
		for (c = 0; c < a.ncols; c++) {
			const struct bt_value *x = &a.values[i * a.ncols + c];
			const struct bt_value *y = &b.values[i * b.ncols + c];
			cr_assert_eq(x->type, y->type, "row %zu col %zu", i, c);
			cr_assert_eq(a.columns[i * a.ncols + c], b.columns[i * b.ncols + c]);
			if (x->text)
				cr_assert_str_eq(x->text, y->text);
			if (x->type == BENCHTOP_FIELD_VECTOR)
				cr_assert(memcmp(x->vector, y->vector, x->vector_len * 8) == 0);
		}
	}
	cr_assert_eq(a.lines[59999], 60000);
	cr_assert_str_eq(at(&b, 59999, "id")->text, "e60000");
	cr_assert_eq(at(&b, 50000, "extra")->number, 50001);
	bt_split_release(&a);
	bt_split_release(&b);
	free(p);
#endif
}

Test(data, closes_the_gaps_blank_lines_leave_between_parallel_chunks)
{
#ifdef _OPENMP
	struct bt_buf b = BT_BUF_INIT;
	struct bt_split a, s;
	char *p;
	long i, n = 0;

	for (i = 1; i <= 90000; i++) {
		if (i % 1000 == 0) {
			bt_buf_puts(&b, "   \n");
			continue;
		}
		bt_buf_printf(&b, "{\"id\": \"r%ld\", \"v\": [%ld, 1.25]}\n", i, i);
		n++;
	}
	p = put("gaps.jsonl", b.ptr, b.len);
	omp_set_num_threads(3);
	cr_assert_eq(bt_data_read(&s, p, BT_DATA_AUTO, 0), 0, "%s", bt_error_last());
	omp_set_num_threads(1);
	cr_assert_eq(bt_data_read(&a, p, BT_DATA_AUTO, 0), 0, "%s", bt_error_last());
	cr_assert_eq(s.n, (size_t)n);
	cr_assert_eq(a.n, s.n);
	for (i = 0; i < (long)s.n; i++) {
		long line = i + 1 + i / 999;
		cr_assert_eq(s.lines[i], (uint32_t)line, "record %ld", i);
		cr_assert_eq(a.lines[i], s.lines[i]);
		cr_assert_eq(s.values[i * 2 + 1].vector[0], (double)line);
		cr_assert_str_eq(s.values[i * 2].text, a.values[i * 2].text);
	}
	bt_split_release(&s);
	bt_split_release(&a);
	bt_buf_free(&b);
	free(p);
#endif
}

Test(data, reports_the_first_error_of_a_parallel_parse_with_its_global_line)
{
#ifdef _OPENMP
	char *p = big_jsonl("bad.jsonl", 50001);
	struct bt_split s;
	char *want =
	        bt_xasprintf("%s:50001:28: unexpected end of line in a record (truncated?)", p);

	omp_set_num_threads(4);
	cr_assert_eq(bt_data_read(&s, p, BT_DATA_AUTO, 0), BT_EINPUT);
	cr_assert_str_eq(bt_error_last(), want);
	omp_set_num_threads(1);
	cr_assert_eq(bt_data_read(&s, p, BT_DATA_AUTO, 0), BT_EINPUT);
	cr_assert_str_eq(bt_error_last(), want);
	free(want);
	free(p);
#endif
}

Test(data, rejects_malformed_csv_with_positions)
{
	EXPECT_ERROR("r1.csv", "a,b,c\n1,2,3\n4,5\n",
	             "3:4: too few fields: 2 where the header has 3");
	EXPECT_ERROR("r2.csv", "a,b\n1,2,3\n", "2:5: too many fields: 3 where the header has 2");
	EXPECT_ERROR("r3.csv", "a,b\n1,\"open\n\n",
	             "2:3: unterminated quoted field (the quote opened here is never closed)");
	EXPECT_ERROR("r4.csv", "a,b\n1,x\"y\n",
	             "2:4: quote in an unquoted field (quote the whole field and double the "
	             "quotes inside)");
	EXPECT_ERROR("r5.csv", "a,b\n1,\"x\"y\n",
	             "2:6: unexpected text after a closing quote (a quote inside a quoted field "
	             "is written as two quotes)");
	EXPECT_ERROR("r6.csv", "a,b\n1,\xC3\x28\n", "2:3: invalid UTF-8");
	EXPECT_ERROR("r7.csv", "a,b\n1,\xED\xA0\x80\n", "2:3: invalid UTF-8");
	EXPECT_ERROR("r8.csv", "", "1:1: no header row (the file is empty)");
	EXPECT_ERROR("r9.csv", "a,b\n", "2:1: no records (the file has only a header row)");
	EXPECT_ERROR("r10.csv", "a,,c\n1,2,3\n", "1:3: empty column name in the header row");
	EXPECT_ERROR("r11.csv", "a,b,a\n1,2,3\n", "1:5: duplicate column 'a' (also column 1)");
	expect_error("r12.csv", "a,b\n1,x\0y\n", 10, BT_EINPUT, "2:4: NUL byte in CSV data");
}

Test(data, rejects_malformed_json_lines_with_positions)
{
	EXPECT_ERROR("j1.jsonl", "{\"a\": 1}\n{\"a\": 2\n",
	             "2:8: unexpected end of line in a record (truncated?)");
	EXPECT_ERROR("j2.jsonl", "{\"a\": 1}\n{\"a\": \"unterminated\n",
	             "2:20: unexpected end of line in a string (truncated?)");
	EXPECT_ERROR("j3.jsonl", "[1, 2]\n", "1:1: a record must be a JSON object, not an array");
	EXPECT_ERROR("j4.jsonl", "\"text\"\n", "1:1: a record must be a JSON object, not a string");
	EXPECT_ERROR("j5.jsonl", "{\"a\": 1} {\"b\": 2}\n",
	             "1:10: unexpected text after the record (one object per line)");
	EXPECT_ERROR("j6.jsonl", "{\"a\": 1, \"a\": 2}\n", "1:10: duplicate key 'a' in a record");
	EXPECT_ERROR("j7.jsonl", "{\"a\": \"\\q\"}\n", "1:8: invalid escape in a string");
	EXPECT_ERROR("j8.jsonl", "{\"a\": \"\\ud800x\"}\n",
	             "1:8: invalid \\u escape (unpaired surrogate)");
	EXPECT_ERROR("j9.jsonl", "{\"a\": \"tab\there\"}\n",
	             "1:11: control character in a string (escape it)");
	EXPECT_ERROR("j10.jsonl", "{\"a\": 1e999}\n", "1:7: number '1e999' is out of range");
	EXPECT_ERROR("j11.jsonl", "{\"a\": 01}\n", "1:8: unexpected '1'; expected ',' or '}'");
	EXPECT_ERROR("j12.jsonl", "{\"a\": tru}\n",
	             "1:7: invalid literal (expected true, false or null)");
	EXPECT_ERROR("j13.jsonl", "{\"a\": 1}\n{\"b\": \"\xFF\"}\n", "2:8: invalid UTF-8");
	EXPECT_ERROR("j14.jsonl", "{\"a\" 1}\n", "1:6: unexpected '1'; expected ':' after a key");
	EXPECT_ERROR("j15.jsonl", "{a: 1}\n",
	             "1:2: unexpected 'a'; expected a key in double quotes");
	EXPECT_ERROR("j16.jsonl", "\n\n", "3:1: no records (the file is empty)");
	EXPECT_ERROR("j17.jsonl", "{\"a\": \"\\u0000\"}\n",
	             "1:8: strings may not contain \\u0000 (a NUL character)");
	EXPECT_ERROR("j18.jsonl", "{\"a\": [1, {\"b\": ]}\n",
	             "1:17: unexpected ']'; expected a value");
	EXPECT_ERROR("j19.jsonl", "{\"a\": -}\n", "1:7: invalid number");
}

Test(data, names_missing_files_and_unknown_formats)
{
	struct bt_split s;
	char *p = bt_path_join(dir, "nope.csv");
	char *q = puts_file("data.txt", "a\n1\n");

	cr_assert_eq(bt_data_read(&s, p, BT_DATA_AUTO, 0), BT_ENOTFOUND);
	cr_assert(strstr(bt_error_last(), "cannot open data '") != NULL, "%s", bt_error_last());
	cr_assert_eq(bt_data_read(&s, q, BT_DATA_AUTO, 0), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "cannot tell the format") != NULL);
	cr_assert_eq(bt_data_read(&s, q, BT_DATA_CSV, 0), 0, "%s", bt_error_last());
	cr_assert_eq(s.n, 1);
	bt_split_release(&s);
	cr_assert_eq(bt_data_format_guess("x.ndjson.gz"), BT_DATA_JSONL);
	cr_assert_eq(bt_data_format_guess("x.csv.gz"), BT_DATA_CSV);
	cr_assert_eq(bt_data_format_guess("x.gz"), BT_DATA_AUTO);
	free(p);
	free(q);
}

/* A FIFO with no writer would block, /dev/zero never ends: both are refused at once. */
Test(data, refuses_fifos_and_devices_without_waiting)
{
	struct bt_split s;
	char *fifo = bt_path_join(dir, "fifo.csv");

	cr_assert_eq(mkfifo(fifo, 0600), 0);
	cr_assert_eq(bt_data_read(&s, fifo, BT_DATA_AUTO, 0), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "fifo.csv' is not a regular file"), "%s",
	          bt_error_last());
	cr_assert_eq(bt_data_read(&s, "/dev/zero", BT_DATA_CSV, 0), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "data '/dev/zero' is not a regular file"), "%s",
	          bt_error_last());
	cr_assert_eq(bt_data_read(&s, dir, BT_DATA_CSV, 0), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "is a directory"), "%s", bt_error_last());
	free(fifo);
}

/* The in-memory reader reads what the file reader reads, gzip included. */
Test(data, reads_from_memory_as_from_a_file)
{
	static const char text[] = "id,x,label\nr1,1.5,a\nr2,2,b\n";
	struct bt_split s;
	char *gz, *bytes;
	size_t len;

	cr_assert_eq(bt_data_read_mem(&s, "mem.csv", text, sizeof(text) - 1, BT_DATA_AUTO, 0), 0,
	             "%s", bt_error_last());
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.path, "mem.csv");
	cr_assert_float_eq(bt_split_at(&s, 0, bt_split_col(&s, "x"))->number, 1.5, 1e-12);
	bt_split_release(&s);
	cr_assert_eq(bt_data_read_mem(&s, "mem.csv", text, 14, BT_DATA_AUTO, 0), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "mem.csv:"), "%s", bt_error_last());
	cr_assert_eq(bt_data_read_mem(&s, "mem", text, 3, BT_DATA_AUTO, 0), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "cannot tell the format"), "%s", bt_error_last());

	gz = put_gz("mem.csv.gz", text);
	cr_assert_eq(bt_read_file(&bytes, &len, gz), 0);
	cr_assert_eq(bt_data_read_mem(&s, "mem.csv.gz", bytes, len, BT_DATA_AUTO, 0), 0, "%s",
	             bt_error_last());
	cr_assert_eq(s.n, 2);
	bt_split_release(&s);
	free(bytes);
	free(gz);
}

Test(data, arena_aligns_and_keeps_every_piece)
{
	struct bt_arena a = {0};
	char *small[1000];
	void *big;
	size_t i;

	for (i = 0; i < 1000; i++) {
		small[i] = bt_arena_alloc(&a, 1 + i % 13);
		cr_assert_eq((uintptr_t)small[i] % 8, 0);
		memset(small[i], (int)(i & 0x7f), 1 + i % 13);
	}
	big = bt_arena_alloc(&a, 5u << 20);
	memset(big, 1, 5u << 20);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(small[i][0], (char)(i & 0x7f));
	cr_assert_str_eq(bt_arena_strndup(&a, "abcdef", 3), "abc");
	cr_assert_geq(a.used_total, 5u << 20);
	bt_arena_free(&a);
	cr_assert_null(a.head);
}
