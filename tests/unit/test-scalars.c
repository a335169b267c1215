/*
 * test-scalars.c - the scalar-line parser on real-world log line shapes,
 * JSON objects, custom patterns and malformed input.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "scalars.h"
#include "util.h"

static struct bt_scalar_line sl;

static void setup(void)
{
	memset(&sl, 0, sizeof(sl));
}

static void teardown(void)
{
	bt_scalar_line_release(&sl);
}

TestSuite(scalars, .init = setup, .fini = teardown);

/* The value of `key` in the last parse, asserting it is there exactly once. */
static double get(const char *key)
{
	size_t i, found = 0;
	double v = NAN;

	for (i = 0; i < sl.n; i++)
		if (strlen(key) == sl.v[i].key_len &&
		    memcmp(sl.v[i].key, key, sl.v[i].key_len) == 0) {
			v = sl.v[i].value;
			found++;
		}
	cr_assert_eq(found, 1, "key '%s' found %zu times", key, found);
	return v;
}

static size_t parse(const char *line)
{
	return bt_scalars_parse(NULL, line, strlen(line), &sl);
}

Test(scalars, finds_plain_key_value_pairs_and_the_step)
{
	cr_assert_eq(parse("step=12 loss=0.4312 lr=3e-4"), 2);
	cr_assert(sl.has_step);
	cr_assert_eq(sl.step, 12);
	cr_assert_float_eq(get("loss"), 0.4312, 1e-12);
	cr_assert_float_eq(get("lr"), 3e-4, 1e-15);
}

Test(scalars, finds_key_colon_value_pairs_in_keras_epoch_summaries)
{
	cr_assert_eq(
	        parse("1875/1875 [==============================] - 3s 1ms/step - loss: 0.2980 "
	              "- accuracy: 0.9134 - val_loss: 0.1432 - val_accuracy: 0.9571"),
	        4);
	cr_assert(!sl.has_step, "1ms/step is not a step");
	cr_assert_float_eq(get("loss"), 0.2980, 1e-12);
	cr_assert_float_eq(get("val_accuracy"), 0.9571, 1e-12);
}

Test(scalars, finds_the_postfix_of_tqdm_and_lightning_progress_bars)
{
	cr_assert_eq(parse("Epoch 3:  45%|████▌     | 450/1000 [00:12<00:15, 36.2it/s, loss=0.234, "
	                   "v_num=0, train_acc_step=0.875]"),
	             3);
	cr_assert_float_eq(get("loss"), 0.234, 1e-12);
	cr_assert_float_eq(get("train_acc_step"), 0.875, 1e-12);
	cr_assert_eq(parse("100%|██████████| 50/50 [00:01<00:00, 45.2it/s]"), 0);
}

Test(scalars, finds_lightning_metric_table_rows)
{
	cr_assert_eq(parse("│         test_loss         │    0.5020387768745422     │"), 1);
	cr_assert_float_eq(get("test_loss"), 0.5020387768745422, 1e-15);
	cr_assert_eq(parse("|  val/acc  |  97.5  |"), 1);
	cr_assert_float_eq(get("val/acc"), 97.5, 1e-12);
	cr_assert_eq(parse("┃        Test metric        ┃       DataLoader 0        ┃"), 0);
	cr_assert_eq(parse("| a | 1 | 2 |"), 0);
}

Test(scalars, finds_quoted_keys_as_python_prints_dictionaries)
{
	cr_assert_eq(parse("{'loss': 0.6931, 'learning_rate': 4.5e-05, 'epoch': 0.1}"), 3);
	cr_assert_float_eq(get("learning_rate"), 4.5e-05, 1e-18);
	cr_assert_float_eq(get("epoch"), 0.1, 1e-12);
}

Test(scalars, reads_json_object_lines_with_nesting)
{
	cr_assert_eq(
	        parse("  {\"step\": 10, \"loss\": 0.42, \"val\": {\"acc\": 0.9, \"n\": 3}, "
	              "\"name\": \"x\", \"ok\": true, \"list\": [1, {\"z\": 2}], \"none\": null}"),
	        3);
	cr_assert_eq(sl.step, 10);
	cr_assert_float_eq(get("loss"), 0.42, 1e-12);
	cr_assert_float_eq(get("val/acc"), 0.9, 1e-12);
	cr_assert_float_eq(get("val/n"), 3, 1e-12);
}

Test(scalars, decodes_escaped_json_keys_and_takes_wall_time)
{
	const char *s = "{\"a\\u00e9\\\"b\": -1.5e2, \"wall_time\": 1700000000.25}";

	cr_assert_eq(bt_scalars_parse_json(s, strlen(s), &sl), 1);
	cr_assert_eq(sl.n, 1);
	cr_assert_float_eq(get("a\xc3\xa9\"b"), -150, 1e-12);
	cr_assert(sl.has_wall);
	cr_assert_float_eq(sl.wall, 1700000000.25, 1e-6);
}

Test(scalars, refuses_malformed_json_objects)
{
	static const char *const bad[] = {
	        "{",
	        "{\"a\": 1",
	        "{\"a\": 1,}",
	        "{\"a\" 1}",
	        "{'a': 1}",
	        "{\"a\": 01}",
	        "{\"a\": 1.}",
	        "{\"a\": .5}",
	        "{\"a\": nan}",
	        "{\"a\": 1} x",
	        "{\"step\": 1.5, \"a\": 1}",
	        "{\"a\": \"\\ud800\"}",
	        "{\"a\": [1, 2}",
	        "{\"a\": \"unterminated}",
	        "{\"a\": tru}",
	        "[1, 2]",
	        "",
	};
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(bad); i++) {
		cr_assert_eq(bt_scalars_parse_json(bad[i], strlen(bad[i]), &sl), 0, "accepted '%s'",
		             bad[i]);
		cr_assert_eq(sl.n, 0);
	}
}

Test(scalars, a_deeply_nested_object_is_refused_without_crashing)
{
	struct bt_buf b = BT_BUF_INIT;
	int i;

	for (i = 0; i < 100000; i++)
		bt_buf_puts(&b, "{\"a\":");
	bt_buf_puts(&b, "1");
	for (i = 0; i < 100000; i++)
		bt_buf_putc(&b, '}');
	cr_assert_eq(bt_scalars_parse_json(b.ptr, b.len, &sl), 0);
	/* As text, only the innermost "a":1 is a pair. */
	cr_assert_leq(parse(b.ptr), 1);
	bt_buf_free(&b);
}

Test(scalars, ignores_things_that_only_look_like_values)
{
	static const char *const none[] = {
	        "time=3s",
	        "started at 12:30:01",
	        "ratio: 1/10",
	        "version=0.5.1",
	        "url http://localhost:8080/x",
	        "host:8080",
	        "a==1",
	        "loss=information",
	        "loss = ",
	        "x=1e",
	        "Epoch 1/10",
	        "=5",
	        "'quoted key' : 1",
	};
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(none); i++)
		cr_assert_eq(parse(none[i]), 0, "found %zu scalars in '%s'", sl.n, none[i]);
}

Test(scalars, reads_percentages_signs_nan_and_inf)
{
	cr_assert_eq(parse("acc=97.5% delta=-0.25 grad: nan best = +inf"), 4);
	cr_assert_float_eq(get("acc"), 97.5, 1e-12);
	cr_assert_float_eq(get("delta"), -0.25, 1e-12);
	cr_assert(isnan(get("grad")));
	cr_assert(isinf(get("best")));
}

Test(scalars, ignores_escape_sequences_and_keeps_exact_numbers)
{
	cr_assert_eq(parse("\033[32mloss\033[0m=\033[1m0.1\033[0m "
	                   "\033]0;title\007acc=0.30000000000000004"),
	             2);
	cr_assert_eq(get("loss"), 0.1);
	cr_assert_eq(get("acc"), 0.30000000000000004);
	cr_assert_eq(parse("x=123456789012345678901234567890"), 1);
	cr_assert_eq(get("x"), 123456789012345678901234567890.0);
}

Test(scalars, survives_binary_garbage)
{
	char buf[4096];
	unsigned long long s = 7;
	int round;
	size_t i;

	for (round = 0; round < 200; round++) {
		for (i = 0; i < sizeof(buf); i++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			static const char set[] = "a=1 :{}\"'|\033[\r\n.e-+5x\xe2\x94\x82";
			buf[i] = set[(s >> 33) % (sizeof(set) - 1)];
			if ((s >> 20) % 97 == 0)
				buf[i] = (char)(s >> 40);
		}
		bt_scalars_parse(NULL, buf, sizeof(buf), &sl);
		bt_scalars_parse_json(buf, sizeof(buf), &sl);
	}
}

Test(scalars, custom_patterns_use_named_groups)
{
	struct bt_scalars *p = bt_scalars_new();
	const char *line = "step    7/74: train loss 4.6771 (acc 4.6%) lr 0.0003";

	cr_assert_eq(bt_scalars_add_pattern(
	                     p, "step +(?<step>[0-9]+)/[0-9]+: train loss (?<loss>[0-9.]+)"),
	             0, "%s", bt_error_last());
	cr_assert_eq(bt_scalars_add_pattern(p, "(?P<key>lr|acc) (?<value>[0-9.]+)"), 0, "%s",
	             bt_error_last());
	cr_assert_eq(bt_scalars_parse(p, line, strlen(line), &sl), 3);
	cr_assert_eq(sl.step, 7);
	cr_assert_float_eq(get("loss"), 4.6771, 1e-12);
	cr_assert_float_eq(get("acc"), 4.6, 1e-12);
	cr_assert_float_eq(get("lr"), 0.0003, 1e-12);
	/* A line no pattern matches still gets the built-in shapes. */
	cr_assert_eq(bt_scalars_parse(p, "loss=1", 6, &sl), 1);
	bt_scalars_free(p);
}

Test(scalars, refuses_bad_patterns)
{
	struct bt_scalars *p = bt_scalars_new();

	cr_assert_eq(bt_scalars_add_pattern(p, "loss ([0-9.]+)"), BT_EUSAGE);
	cr_assert(strstr(bt_error_last(), "named group"), "%s", bt_error_last());
	cr_assert_eq(bt_scalars_add_pattern(p, "(?<key>[a-z]+)=1"), BT_EUSAGE);
	cr_assert_eq(bt_scalars_add_pattern(p, "(?:x)(?<a>1)"), BT_EUSAGE);
	cr_assert_eq(bt_scalars_add_pattern(p, "(?<a>[0-9"), BT_EUSAGE);
	cr_assert_eq(bt_scalars_add_pattern(p, "(?<>1)"), BT_EUSAGE);
	cr_assert_eq(bt_scalars_add_pattern(p, "[(](?<a>[0-9]+)[)]"), 0, "%s", bt_error_last());
	cr_assert_eq(bt_scalars_parse(p, "(42)", 4, &sl), 1);
	cr_assert_float_eq(get("a"), 42, 1e-12);
	bt_scalars_free(p);
}

/* glibc's regcomp() copies repeated atoms: these would take gigabytes to compile. */
Test(scalars, refuses_patterns_that_expand_without_bound)
{
	struct bt_scalars *p = bt_scalars_new();

	cr_assert_eq(bt_scalars_add_pattern(p, "(?<a>1+++++++++++++++++++++++++++++++++++)"),
	             BT_EUSAGE);
	cr_assert(strstr(bt_error_last(), "too complex"), "%s", bt_error_last());
	cr_assert_eq(bt_scalars_add_pattern(p, "(?<a>((1{0,200}){0,200}){0,200})"), BT_EUSAGE);
	/* stacked intervals multiply too (this one ran for minutes) */
	cr_assert_eq(bt_scalars_add_pattern(p, "(?<a>1{200}{200}{200}{200})"), BT_EUSAGE);
	/* a brace that opens no interval is left to regcomp() to judge */
	cr_assert_eq(bt_scalars_add_pattern(p, "(?<a>[0-9]+)x{y"), BT_EUSAGE);
	cr_assert(strstr(bt_error_last(), "bad pattern"), "%s", bt_error_last());
	cr_assert_eq(bt_scalars_add_pattern(p, "(?<a>[0-9]{1,3}(\\.[0-9]+)?)"), 0, "%s",
	             bt_error_last());
	cr_assert_eq(bt_scalars_parse(p, "x 12.5", 6, &sl), 1);
	cr_assert_float_eq(get("a"), 12.5, 1e-12);
	bt_scalars_free(p);
}
