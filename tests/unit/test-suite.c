/*
 * test-suite.c - suite files (suite.c) and task preparation (task.c):
 * every bad suite under tests/data/suites/ with its exact location and
 * message, the bundled suites, and the examples a task builds (features,
 * labels, choices, retrieval, few-shot, shards, limits, example JSON).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "helpers.h"
#include "suite.h"
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

TestSuite(suite, .init = setup, .fini = teardown);

static const char *srcdir(void)
{
	static char *abs;
	const char *s = getenv("top_srcdir");

	if (!abs)
		abs = realpath(s && *s ? s : "..", NULL);
	cr_assert_not_null(abs);
	return abs;
}

static char *write_file(const char *name, const char *text)
{
	char *path = bt_path_join(dir, name);
	char *parent = bt_dirname(path);

	bt_mkdir_p(parent, 0755);
	free(parent);
	th_write(path, text);
	return path;
}

/* Load a suite written into the temporary directory; it must load. */
static struct bt_suite *load_text(const char *text)
{
	char *path = write_file("suite.yaml", text);
	struct bt_suite *s;

	cr_assert_eq(bt_suite_load(&s, path), 0, "%s", bt_error_last());
	free(path);
	return s;
}

static void prepare(struct bt_task *t, const struct bt_suite *s, const char *task,
                    const struct bt_task_opts *o)
{
	int i = bt_suite_task(s, task);

	cr_assert_geq(i, 0, "no task %s", task);
	cr_assert_eq(bt_task_prepare(t, s, (size_t)i, o), 0, "%s", bt_error_last());
}

/* --- bad suites ------------------------------------------------------------------ */

static const struct {
	const char *file, *message; /* {d} stands for the directory of the file */
} bad[] = {
        {"syntax", "{d}/syntax.yaml:4:10: YAML syntax error: mapping values are not allowed in "
                   "this context"},
        {"unknown-key", "{d}/unknown-key.yaml:9:5: unknown key 'metrcs' (did you mean 'metrics'?)"},
        {"unknown-top-key", "{d}/unknown-top-key.yaml:2:1: unknown key 'taks' (did you mean "
                            "'tasks'?)"},
        {"tasks-not-list", "{d}/tasks-not-list.yaml:2:8: 'tasks' must be a list of tasks, not a "
                           "scalar"},
        {"tasks-empty", "{d}/tasks-empty.yaml:2:8: 'tasks' is empty: a suite needs at least one "
                        "task"},
        {"no-name", "{d}/no-name.yaml:1:1: a suite needs a 'name'"},
        {"no-target", "{d}/no-target.yaml:3:5: task 't' needs a 'target' field"},
        {"unknown-type", "{d}/unknown-type.yaml:4:11: unknown task type 'clasification' (did you "
                         "mean 'classification'?)"},
        {"unknown-metric", "{d}/unknown-metric.yaml:9:25: unknown metric 'acuracy' for "
                           "classification (did you mean 'accuracy'?)"},
        {"duplicate-task", "{d}/duplicate-task.yaml:9:11: duplicate task name 't' (first at line "
                           "3)"},
        {"duplicate-key", "{d}/duplicate-key.yaml:2:1: duplicate key 'name' (first at line 1)"},
        {"missing-data", "{d}/missing-data.yaml:6:13: data file '{d}/data/nope.csv' does not "
                         "exist"},
        {"url-no-sha", "{d}/url-no-sha.yaml:7:9: remote data needs a sha256 (the url's file is "
                       "checked against it)"},
        {"bad-sha", "{d}/bad-sha.yaml:8:17: 'sha256' must be 64 hexadecimal digits"},
        {"bootstrap-word", "{d}/bootstrap-word.yaml:10:18: 'bootstrap' must be a whole number, "
                           "not 'many'"},
        {"seed-negative", "{d}/seed-negative.yaml:9:21: 'seed' must be a whole number, not '-1'"},
        {"option-in-task", "{d}/option-in-task.yaml:9:5: unknown key 'bootstrap' in a task (it "
                           "belongs under 'options')"},
        {"labels-regression", "{d}/labels-regression.yaml:9:5: 'labels' applies only to "
                              "classification tasks"},
        {"normalize-not-generation", "{d}/normalize-not-generation.yaml:9:15: 'normalize' "
                                     "applies only to generation tasks"},
        {"target-input", "{d}/target-input.yaml:9:18: the target 'label' cannot also be an "
                         "input"},
        {"inputs-mapping", "{d}/inputs-mapping.yaml:9:13: 'inputs' must be a list of names, not "
                           "a mapping"},
        {"few-shot-no-train", "{d}/few-shot-no-train.yaml:8:25: few_shot 3 needs a train split "
                              "to draw from"},
        {"empty", "{d}/empty.yaml:1:1: the suite file is empty"},
        {"bad-alpha", "{d}/bad-alpha.yaml:11:16: 'alpha' must be between 0 and 1, not 2"},
        {"bad-task-name", "{d}/bad-task-name.yaml:3:11: task name 'a/b' may only contain "
                          "letters, digits, '_', '-' and '.'"},
        {"retrieval-no-train", "{d}/retrieval-no-train.yaml:5:11: retrieval task 'r' needs a "
                               "'train' split: its records are the documents"},
        /* found when the task's data is read */
        {"target-typo", "{d}/target-typo.yaml:8:13: target 'lable' is not a field of test data "
                        "'{d}/data/small-test.csv' (did you mean 'label'?)"},
        {"input-typo", "{d}/input-typo.yaml:9:18: input 'x3' is not a field of test data "
                       "'{d}/data/small-test.csv' (did you mean 'x1'?)"},
        {"reg-not-number", "{d}/data/reg-bad.csv:4:5: target 'y' is 'abc', not a number"},
        {"label-outside", "{d}/data/label-out.csv:3:17: label 'd' is not one of the task's "
                          "labels (declared at line 9 of '{d}/label-outside.yaml')"},
        {"missing-target-value", "{d}/data/missing-target.csv:3:17: missing target 'label'"},
        {"nan-input", "{d}/data/nan-input.csv:4:4: field 'x1' is 'nan': numeric inputs must be "
                      "finite numbers (leave the value empty or null when it is missing)"},
        {"duplicate-ids", "{d}/data/dup-ids.csv:5:1: duplicate id 't2' (first on line 3)"},
        {"not-fetched", "{d}/not-fetched.yaml:7:9: data 'https://example.com/t.csv' has not "
                        "been fetched"},
        {"mc-answer", "{d}/data/mc-bad.jsonl:2:81: answer 'purple' is not one of the example's "
                      "choices"},
        {"retrieval-unknown-doc", "{d}/data/queries-bad.jsonl:2:46: relevant document 'd9' is "
                                  "not in the train split (the documents, "
                                  "'{d}/data/docs.jsonl')"},
        {"sha-mismatch", "{d}/sha-mismatch.yaml:7:9: data '{d}/data/small-test.csv' has sha256 "
                         "a36ce8b1f4778810b1815c08b6f95bbf58ac5fc9c31738beb9fbcb7307373fad, but "
                         "the suite expects "
                         "0000000000000000000000000000000000000000000000000000000000000000"},
};

static char *expand(const char *pattern, const char *d)
{
	struct bt_buf b = BT_BUF_INIT;
	const char *p;

	for (p = pattern; *p; p++) {
		if (strncmp(p, "{d}", 3) == 0) {
			bt_buf_puts(&b, d);
			p += 2;
		} else {
			bt_buf_putc(&b, *p);
		}
	}
	return bt_buf_detach(&b);
}

Test(suite, rejects_each_bad_suite_with_its_file_line_column_and_message)
{
	char *d = bt_path_join(srcdir(), "tests/data/suites");
	size_t i, k;

	for (i = 0; i < BT_ARRAY_SIZE(bad); i++) {
		char *name = bt_xasprintf("%s.yaml", bad[i].file);
		char *path = bt_path_join(d, name);
		char *want = expand(bad[i].message, d);
		struct bt_suite *s = NULL;
		int rc = bt_suite_load(&s, path);
		char hash[65];

		if (rc == 0) {
			/* a data problem: found by preparing the tasks or hashing */
			for (k = 0; rc == 0 && k < s->ntasks; k++) {
				struct bt_task t;
				rc = bt_task_prepare(&t, s, k, NULL);
				if (rc == 0)
					bt_task_release(&t);
			}
			if (rc == 0)
				rc = bt_suite_hash(s, hash);
			bt_suite_free(s);
		}
		cr_expect_eq(rc, BT_EINPUT, "%s: rc %d: %s", bad[i].file, rc, bt_error_last());
		cr_expect_str_eq(bt_error_last(), want, "%s", bad[i].file);
		free(want);
		free(path);
		free(name);
	}
	free(d);
}

Test(suite, says_when_the_suite_file_does_not_exist)
{
	struct bt_suite *s;

	cr_assert_eq(bt_suite_load(&s, "/nonexistent/suite.yaml"), BT_ENOTFOUND);
	cr_assert_str_eq(bt_error_last(), "suite file '/nonexistent/suite.yaml' does not exist");
	cr_assert_null(s);
}

/* --- valid suites ------------------------------------------------------------------ */

Test(suite, parses_every_key_with_defaults_and_inherited_options)
{
	struct bt_suite *s;
	const struct bt_task_spec *a, *b, *c;
	char *data = write_file("d/t.csv", "id,x,y\n1,2,3\n");

	(void)data;
	s = load_text("name: full\n"
	              "version: 2.10\n"
	              "description: every key\n"
	              "options: {bootstrap: 200, seed: 18446744073709551615, few_shot: 1}\n"
	              "gates:\n"
	              "  - {metric: accuracy, min_delta: 2%, alpha: 0.05}\n"
	              "tasks:\n"
	              "  - name: a\n"
	              "    type: classification\n"
	              "    description: first\n"
	              "    data:\n"
	              "      test: d/t.csv\n"
	              "      train: {path: d/t.csv, format: csv}\n"
	              "    inputs: x\n"
	              "    target: y\n"
	              "    id: id\n"
	              "    labels: [\"3\", \"4\"]\n"
	              "    options: {limit: 5}\n"
	              "    gates:\n"
	              "      - {metric: f1_macro, direction: lower, min_delta: 0.5}\n"
	              "  - name: b\n"
	              "    type: retrieval\n"
	              "    data:\n"
	              "      test: {url: 'https://example.com/q.jsonl.gz?x=1', sha256: "
	              "ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD}\n"
	              "      train: {url: 'file:///srv/docs', sha256: "
	              "abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd, format: "
	              "jsonl}\n"
	              "    target: relevant\n"
	              "    options: {k: 5, bootstrap: 0}\n"
	              "  - name: c.3\n"
	              "    type: generation\n"
	              "    data: {test: d/t.csv}\n"
	              "    target: y\n"
	              "    options: {normalize: false}\n"
	              "    metrics: exact_match\n");
	cr_assert_str_eq(s->name, "full");
	cr_assert_str_eq(s->version, "2.10", "versions keep their text");
	cr_assert_str_eq(s->description, "every key");
	cr_assert_eq(s->n_gates, 1);
	cr_assert_str_eq(s->gates[0].metric, "accuracy");
	cr_assert_float_eq(s->gates[0].min_delta, 0.02, 1e-15);
	cr_assert_eq(s->gates[0].min_delta_relative, 1);
	cr_assert_eq(s->gates[0].alpha, 0.05);
	cr_assert_eq(s->gates[0].direction, 0);
	cr_assert_eq(s->ntasks, 3);

	a = &s->tasks[0];
	cr_assert_str_eq(a->name, "a");
	cr_assert_eq(a->type, BENCHTOP_TASK_CLASSIFICATION);
	cr_assert_str_eq(a->description, "first");
	cr_assert_not_null(strstr(a->test.path, "/d/t.csv"));
	cr_assert_eq(a->test.format, BT_DATA_CSV);
	cr_assert_eq(a->train.format, BT_DATA_CSV);
	cr_assert_eq(a->n_inputs, 1, "a single name is a list of one");
	cr_assert_str_eq(a->inputs[0], "x");
	cr_assert_str_eq(a->target, "y");
	cr_assert_str_eq(a->id_field, "id");
	cr_assert_eq(a->n_labels, 2);
	cr_assert_eq(a->bootstrap, 200, "inherited from the suite's options");
	cr_assert_eq(a->seed, UINT64_MAX);
	cr_assert_eq(a->has_seed, 1);
	cr_assert_eq(a->limit, 5);
	cr_assert_eq(a->few_shot, 1);
	cr_assert_eq(a->k, 10);
	cr_assert_eq(a->normalize, 1);
	cr_assert_eq(a->n_metrics, 10, "classification's defaults");
	cr_assert_str_eq(a->metrics[0], "accuracy");
	cr_assert_eq(a->n_gates, 1);
	cr_assert_eq(a->gates[0].direction, -1);
	cr_assert_eq(a->gates[0].min_delta, 0.5);
	cr_assert_eq(a->gates[0].min_delta_relative, 0);
	cr_assert(isnan(a->gates[0].alpha));
	cr_assert_eq(a->target_pos.line, 15);
	cr_assert_eq(a->target_pos.col, 13);

	b = &s->tasks[1];
	cr_assert_null(b->test.path, "a URL alone is not fetched yet");
	cr_assert_str_eq(b->test.url, "https://example.com/q.jsonl.gz?x=1");
	cr_assert_str_eq(b->test.sha256,
	                 "abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd");
	cr_assert_eq(b->test.format, BT_DATA_JSONL, "from the URL's name, without the query");
	cr_assert_eq(b->train.format, BT_DATA_JSONL);
	cr_assert_eq(b->bootstrap, 0);
	cr_assert_eq(b->few_shot, 0, "retrieval takes no few-shot examples");
	cr_assert_eq(b->n_metrics, 3);
	cr_assert_str_eq(b->metrics[0], "recall@5", "defaults follow k");
	cr_assert_str_eq(b->metrics[1], "mrr");
	cr_assert_str_eq(b->metrics[2], "ndcg@5");

	c = &s->tasks[2];
	cr_assert_str_eq(c->name, "c.3");
	cr_assert_eq(c->normalize, 0);
	cr_assert_eq(c->n_metrics, 1);
	cr_assert_eq(bt_suite_task(s, "c.3"), 2);
	cr_assert_eq(bt_suite_task(s, "zzz"), -1);
	bt_suite_free(s);
	free(data);
}

Test(suite, names_task_types_both_ways)
{
	size_t n;

	cr_assert_eq(bt_task_type_parse("multiple_choice"), BENCHTOP_TASK_MULTIPLE_CHOICE);
	cr_assert_eq(bt_task_type_parse("Classification"), -1);
	cr_assert_str_eq(bt_task_type_name(BENCHTOP_TASK_RETRIEVAL), "retrieval");
	cr_assert_not_null(bt_task_default_metrics(BENCHTOP_TASK_REGRESSION, &n));
	cr_assert_eq(n, 4);
}

Test(suite, hashes_the_suite_file_and_its_data_files_in_order)
{
	char *test = write_file("d/test.csv", "id,x,y\n1,2,a\n");
	char *train = write_file("d/train.csv", "id,x,y\n5,6,b\n");
	struct bt_suite *s = load_text("name: h\n"
	                               "tasks:\n"
	                               "  - name: t\n"
	                               "    type: classification\n"
	                               "    data: {test: d/test.csv, train: d/train.csv}\n"
	                               "    target: y\n");
	char h1[65], h2[65], a[65], b[65], c[65], want[65];
	char *lines;

	cr_assert_eq(bt_suite_hash(s, h1), 0, "%s", bt_error_last());
	bt_sha256_file(a, s->path);
	bt_sha256_file(b, test);
	bt_sha256_file(c, train);
	lines = bt_xasprintf("%s\n%s\n%s\n", a, b, c);
	bt_sha256_hex(want, lines, strlen(lines));
	cr_assert_str_eq(h1, want);
	th_write(train, "id,x,y\n5,6,c\n");
	cr_assert_eq(bt_suite_hash(s, h2), 0);
	cr_assert_str_neq(h1, h2, "changing a data file changes the hash");
	bt_suite_free(s);
	free(lines);
	free(test);
	free(train);
}

/* --- preparing tasks ----------------------------------------------------------------- */

static const char small_suite[] = "name: small\n"
                                  "tasks:\n"
                                  "  - name: t\n"
                                  "    type: classification\n"
                                  "    data:\n"
                                  "      test: %s/tests/data/suites/data/small-test.csv\n"
                                  "      train: %s/tests/data/suites/data/small-train.csv\n"
                                  "    target: label\n";

Test(suite, builds_features_text_labels_and_targets)
{
	char *text = bt_xasprintf(small_suite, srcdir(), srcdir());
	struct bt_suite *s = load_text(text);
	struct bt_task t;
	const struct benchtop_example *e;

	prepare(&t, s, "t", NULL);
	cr_assert_eq(t.n_test, 6);
	cr_assert_eq(t.n_train, 8);
	cr_assert_eq(t.info.n_inputs, 3, "every field but id and target");
	cr_assert_str_eq(t.info.inputs[0], "x1");
	cr_assert_str_eq(t.info.inputs[2], "color");
	cr_assert_eq(t.info.n_features, 2, "color is text");
	cr_assert_eq(t.info.n_labels, 3);
	cr_assert_str_eq(t.info.labels[0], "a");
	cr_assert_str_eq(t.info.labels[2], "c");
	cr_assert_str_eq(t.info.name, "t");
	cr_assert_str_eq(t.info.suite, "small");
	cr_assert_eq(t.info.size, sizeof(struct benchtop_task_info));
	cr_assert_eq(t.info.n_test, 6);
	cr_assert_eq(t.info.n_train, 8);

	e = &t.test[1];
	cr_assert_str_eq(e->id, "t2");
	cr_assert_eq(e->index, 1);
	cr_assert_eq(e->n_features, 2);
	cr_assert_eq(e->features[0], 1.5);
	cr_assert(isnan(e->features[1]), "an empty cell is a missing feature");
	cr_assert_str_eq(e->text, "blue");
	cr_assert_eq(e->n_fields, 3);
	cr_assert_eq(e->fields[1].type, BENCHTOP_FIELD_NULL);
	cr_assert_str_eq(e->fields[2].name, "color");
	cr_assert_null(e->target, "test examples never carry their target");
	cr_assert_str_eq(t.test_targets[1].label, "b");
	cr_assert_eq(t.test_targets[1].label_index, 1);
	cr_assert_eq(t.test_index[1], 1);
	cr_assert_not_null(t.train[7].target);
	cr_assert_str_eq(t.train[7].target->label, "b");
	cr_assert_str_eq(t.train[7].id, "r8");
	cr_assert_str_eq(bt_task_example_json(e), "{\"x1\":1.5,\"x2\":null,\"color\":\"blue\"}");
	cr_assert_str_eq(bt_task_example_json(&t.test[0]), "{\"x1\":1,\"x2\":2,\"color\":\"red\"}");
	bt_task_release(&t);
	bt_suite_free(s);
	free(text);
}

/* FNV-1a 64, written out again so the test does not trust the code under test. */
static uint64_t fnv(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

Test(suite, shards_partition_the_test_examples_by_a_stable_hash_of_their_ids)
{
	struct bt_buf b = BT_BUF_INIT;
	struct bt_suite *s;
	struct bt_task t;
	char *p, *text;
	int seen[200] = {0};
	uint32_t k, n = 3;
	size_t i;

	bt_buf_puts(&b, "id,x,y\n");
	for (i = 0; i < 200; i++)
		bt_buf_printf(&b, "ex-%zu,%zu,%c\n", i, i, "pq"[i % 2]);
	p = write_file("d/many.csv", b.ptr);
	text = bt_xasprintf("name: sh\ntasks:\n  - name: t\n    type: classification\n"
	                    "    data: {test: %s}\n    target: y\n",
	                    p);
	s = load_text(text);
	for (k = 0; k < n; k++) {
		struct bt_task_opts o = {.shard_index = k, .shard_count = n};
		prepare(&t, s, "t", &o);
		cr_assert_gt(t.n_test, 40);
		for (i = 0; i < t.n_test; i++) {
			uint64_t row = t.test_index[i];
			cr_assert_eq(fnv(t.test[i].id) % n, k,
			             "FNV-1a 64 of the id, modulo the count");
			cr_assert_eq(t.test[i].index, i);
			if (i)
				cr_assert_gt(row, t.test_index[i - 1], "shards keep file order");
			seen[row]++;
			cr_assert_str_eq(t.test_targets[i].label, "pq"[row % 2] == 'p' ? "p" : "q");
		}
		cr_assert_eq(t.n_labels, 2, "labels come from the whole split, not the shard");
		bt_task_release(&t);
	}
	for (i = 0; i < 200; i++)
		cr_assert_eq(seen[i], 1, "example %zu is in %d shards", i, seen[i]);
	{
		struct bt_task_opts o = {.shard_index = 1, .shard_count = n, .limit = 5};
		prepare(&t, s, "t", &o);
		cr_assert_eq(t.n_test, 5);
		cr_assert_eq(fnv(t.test[4].id) % n, 1);
		bt_task_release(&t);
	}
	bt_buf_free(&b);
	bt_suite_free(s);
	free(text);
	free(p);
}

Test(suite, builds_choices_from_csv_bars_json_lists_and_jsonl)
{
	char *c = write_file("d/mc.csv", "id,q,choices,answer\n"
	                                 "1,a?,x|y | z,y\n"
	                                 "2,b?,\"[\"\"10\"\", \"\"2\"\", 3]\",2\n"
	                                 "3,c?,10|20|30,2\n");
	char *j =
	        write_file("d/mc.jsonl", "{\"id\": \"a\", \"q\": \"?\", \"opts\": [\"5\", \"6\"], "
	                                 "\"answer\": 1}\n"
	                                 "{\"id\": \"b\", \"q\": \"?\", \"opts\": [\"5\", \"6\"], "
	                                 "\"answer\": \"5\"}\n");
	struct bt_suite *s = load_text("name: mc\n"
	                               "tasks:\n"
	                               "  - name: csv\n"
	                               "    type: multiple_choice\n"
	                               "    data: {test: d/mc.csv, train: d/mc.csv}\n"
	                               "    target: answer\n"
	                               "    options: {few_shot: 2}\n"
	                               "  - name: jsonl\n"
	                               "    type: multiple_choice\n"
	                               "    data: {test: d/mc.jsonl}\n"
	                               "    choices: opts\n"
	                               "    inputs: q\n"
	                               "    target: answer\n");
	struct bt_task t;

	prepare(&t, s, "csv", NULL);
	cr_assert_eq(t.info.n_inputs, 1, "the choices field is not an input");
	cr_assert_eq(t.test[0].n_choices, 3);
	cr_assert_str_eq(t.test[0].choices[1], "y");
	cr_assert_str_eq(t.test[0].choices[2], "z", "blanks around '|' are trimmed");
	cr_assert_eq(t.test_targets[0].choice, 1);
	cr_assert_eq(t.test[1].n_choices, 3);
	cr_assert_str_eq(t.test[1].choices[0], "10");
	cr_assert_str_eq(t.test[1].choices[2], "3");
	cr_assert_eq(t.test_targets[1].choice, 1, "in CSV a choice's text wins over an index");
	cr_assert_eq(t.test_targets[2].choice, 2, "else a whole number is an index");
	cr_assert_eq(t.test[0].n_shots, 2);
	cr_assert_eq(t.train[1].target->choice, 1);
	bt_task_release(&t);

	prepare(&t, s, "jsonl", NULL);
	cr_assert_eq(t.test_targets[0].choice, 1, "a JSON number is an index");
	cr_assert_eq(t.test_targets[1].choice, 0, "a JSON string is a choice's text");
	cr_assert_str_eq(t.test[1].choices[1], "6");
	bt_task_release(&t);
	bt_suite_free(s);
	free(c);
	free(j);
}

Test(suite, builds_queries_and_documents_for_retrieval)
{
	char *d = write_file("d/docs.jsonl",
	                     "{\"id\": \"d1\", \"title\": \"Cats\", \"text\": \"purr\"}\n"
	                     "{\"id\": 2, \"title\": \"Dogs\", \"text\": \"bark\"}\n"
	                     "{\"id\": \"d3\", \"title\": \"Cows\", \"text\": \"moo\"}\n");
	char *q = write_file("d/q.csv", "id,query,relevant\n"
	                                "q1,who purrs,d1\n"
	                                "q2,animals,2|d3\n"
	                                "q3,json list,\"[\"\"d3\"\", 2]\"\n");
	struct bt_suite *s = load_text("name: r\n"
	                               "tasks:\n"
	                               "  - name: r\n"
	                               "    type: retrieval\n"
	                               "    data: {test: d/q.csv, train: d/docs.jsonl}\n"
	                               "    target: relevant\n");
	struct bt_task t;

	prepare(&t, s, "r", NULL);
	cr_assert_eq(t.n_test, 3);
	cr_assert_eq(t.n_train, 3);
	cr_assert_str_eq(t.test[1].text, "animals");
	cr_assert_null(t.test[1].target);
	cr_assert_eq(t.test_targets[1].n_relevant, 2);
	cr_assert_str_eq(t.test_targets[1].relevant[0], "2");
	cr_assert_str_eq(t.test_targets[1].relevant[1], "d3");
	cr_assert_eq(t.test_targets[2].n_relevant, 2);
	cr_assert_str_eq(t.test_targets[2].relevant[1], "2");
	cr_assert_str_eq(t.train[1].id, "2");
	cr_assert_str_eq(t.train[1].text, "Dogs", "a document's text is its first text field");
	cr_assert_eq(t.train[1].n_fields, 2);
	cr_assert_null(t.train[1].target, "documents have no target");
	cr_assert_eq(t.info.n_features, 0);
	bt_task_release(&t);
	bt_suite_free(s);
	free(d);
	free(q);
}

Test(suite, picks_few_shot_windows_stably_and_independently_of_shards)
{
	struct bt_suite *s;
	struct bt_task t, u;
	size_t i;
	char *text =
	        bt_xasprintf("name: f\ntasks:\n  - name: t\n    type: classification\n"
	                     "    data:\n      test: %s/tests/data/suites/data/small-test.csv\n"
	                     "      train: %s/tests/data/suites/data/small-train.csv\n"
	                     "    target: label\n    options: {few_shot: 3, seed: 7}\n",
	                     srcdir(), srcdir());
	struct bt_task_opts o = {.shard_index = 0, .shard_count = 2};

	s = load_text(text);
	prepare(&t, s, "t", NULL);
	prepare(&u, s, "t", &o);
	for (i = 0; i < t.n_test; i++) {
		cr_assert_eq(t.test[i].n_shots, 3);
		cr_assert_geq(t.test[i].shots, t.train);
		cr_assert_leq(t.test[i].shots + 3, t.train + t.n_train);
		cr_assert_not_null(t.test[i].shots[0].target, "shots carry their targets");
	}
	for (i = 0; i < u.n_test; i++) {
		size_t row = u.test_index[i];
		cr_assert_eq(u.test[i].shots - u.train, t.test[row].shots - t.train,
		             "the same demonstrations whatever the shard");
	}
	bt_task_release(&t);
	bt_task_release(&u);
	bt_suite_free(s);
	free(text);
}

Test(suite, language_model_options_reach_the_task_info_and_its_prompt)
{
	struct bt_suite *s;
	struct bt_task t, u;
	struct bt_buf b = BT_BUF_INIT;
	char *path = write_file("qa.jsonl", "{\"id\": \"a\", \"q\": \"1+1?\", \"n\": 0.5, "
	                                    "\"ans\": \"2\"}\n");
	char *text = bt_xasprintf(
	        "name: lm\noptions: {stop: \"\\n\\n\", max_tokens: 9}\ntasks:\n"
	        "  - name: qa\n    type: generation\n    data: {test: %s, train: %s}\n"
	        "    target: ans\n    options:\n"
	        "      prompt: \"Q: {q} ({{n}}={n})\\nA:\"\n      few_shot: 1\n"
	        "      fewshot_delimiter: \"\\n---\\n\"\n      target_delimiter: \"\"\n"
	        "      stop: [\"Q:\", \"\\n\"]\n"
	        "  - name: plain\n    type: generation\n    data: {test: %s}\n    target: ans\n",
	        path, path, path);

	s = load_text(text);
	cr_assert_str_eq(s->tasks[0].prompt, "Q: {q} ({{n}}={n})\nA:");
	cr_assert_eq(s->tasks[0].n_stop, 2);
	cr_assert_str_eq(s->tasks[0].stop[1], "\n");
	cr_assert_eq(s->tasks[0].max_tokens, 9, "inherited from the suite's options");
	prepare(&t, s, "qa", NULL);
	cr_assert_eq(t.info.n_stop, 2);
	cr_assert_str_eq(t.info.stop[0], "Q:");
	cr_assert_str_eq(t.info.target_delimiter, "");
	cr_assert_eq(t.info.max_tokens, 9);
	cr_assert_eq(bt_prompt_render(&b, &t.prompt, t.info.type, &t.test[0]), 0);
	cr_assert_str_eq(bt_buf_cstr(&b), "Q: 1+1? ({n}=0.5)\nA:2\n---\nQ: 1+1? ({n}=0.5)\nA:");

	/* No options: the defaults, and the one-line-per-field template. */
	cr_assert_null(s->tasks[1].prompt);
	prepare(&u, s, "plain", NULL);
	cr_assert_eq(u.info.n_stop, 1);
	cr_assert_str_eq(u.info.stop[0], "\n\n");
	cr_assert_str_eq(u.info.target_delimiter, " ");
	cr_assert_str_eq(u.prompt.fewshot_delimiter, "\n\n");
	bt_buf_reset(&b);
	cr_assert_eq(bt_prompt_render(&b, &u.prompt, u.info.type, &u.test[0]), 0);
	cr_assert_str_eq(bt_buf_cstr(&b), "q: 1+1?\nn: 0.5");
	bt_buf_free(&b);
	bt_task_release(&t);
	bt_task_release(&u);
	bt_suite_free(s);
	free(text);
	free(path);
}

Test(suite, reads_vectors_and_numeric_majorities_into_features)
{
	char *p = write_file("d/v.jsonl", "{\"id\": \"a\", \"v\": [1, 2], \"n\": 3, \"t\": \"x\", "
	                                  "\"l\": \"p\"}\n"
	                                  "{\"id\": \"b\", \"v\": null, \"n\": 4, \"t\": 5, \"l\": "
	                                  "\"q\"}\n"
	                                  "{\"id\": \"c\", \"v\": [5, 6], \"t\": \"y\", \"l\": "
	                                  "\"p\"}\n");
	char *w = write_file("d/w.jsonl", "{\"v\": [1, 2], \"l\": \"p\"}\n{\"v\": [1, 2, 3], "
	                                  "\"l\": \"q\"}\n");
	struct bt_suite *s = load_text("name: v\n"
	                               "tasks:\n"
	                               "  - name: t\n"
	                               "    type: classification\n"
	                               "    data: {test: d/v.jsonl}\n"
	                               "    target: l\n"
	                               "  - name: w\n"
	                               "    type: classification\n"
	                               "    data: {test: d/w.jsonl}\n"
	                               "    target: l\n");
	struct bt_task t;
	char *want;

	prepare(&t, s, "t", NULL);
	cr_assert_eq(t.info.n_features, 3, "a 2-vector and a number; 't' is mostly text");
	cr_assert_eq(t.test[0].features[1], 2);
	cr_assert_eq(t.test[0].features[2], 3);
	cr_assert(isnan(t.test[1].features[0]));
	cr_assert(isnan(t.test[1].features[1]));
	cr_assert_eq(t.test[1].features[2], 4);
	cr_assert(isnan(t.test[2].features[2]));
	cr_assert_str_eq(t.test[0].text, "x");
	cr_assert_str_eq(t.test[1].text, "5", "a number in a text field is its text");
	cr_assert_str_eq(t.test[2].id, "c");
	cr_assert_str_eq(bt_task_example_json(&t.test[0]), "{\"v\":[1,2],\"n\":3,\"t\":\"x\"}");
	bt_task_release(&t);

	cr_assert_eq(bt_task_prepare(&t, s, 1, NULL), BT_EINPUT);
	want = bt_xasprintf("%s:2:7: field 'v' has 3 numbers here, but 2 on line 1 of '%s'", w, w);
	cr_assert_str_eq(bt_error_last(), want);
	free(want);
	bt_suite_free(s);
	free(p);
	free(w);
}

Test(suite, uses_row_numbers_as_ids_without_an_id_field)
{
	char *p = write_file("d/n.csv", "x,y\n1,a\n2,b\n");
	struct bt_suite *s = load_text("name: n\ntasks:\n  - name: t\n    type: regression\n"
	                               "    data: {test: d/n.csv}\n    target: x\n");
	struct bt_task t;

	prepare(&t, s, "t", NULL);
	cr_assert_str_eq(t.test[0].id, "1");
	cr_assert_str_eq(t.test[1].id, "2");
	cr_assert_eq(t.test_targets[1].value, 2);
	cr_assert_eq(t.info.n_features, 0);
	cr_assert_str_eq(t.test[1].text, "b");
	bt_task_release(&t);
	bt_suite_free(s);
	free(p);
}

/*
 * Ids of large splits are checked by several threads, each filling its own
 * part of one set: the duplicate reported must be the first in file order
 * (and its first occurrence), as a single pass finds it, with any number
 * of threads.  Rows 70,001 and 90,001 repeat the ids of rows 5 and 3.
 */
Test(suite, reports_the_first_duplicate_id_of_a_large_split_whatever_the_threads)
{
	struct bt_buf b = BT_BUF_INIT;
	struct bt_suite *s;
	struct bt_task t;
	char *p, *want;
	size_t i;
	int threads;

	bt_buf_puts(&b, "id,x,y\n");
	for (i = 1; i <= 100000; i++) {
		const char *id = i == 70001 ? "r5" : i == 90001 ? "r3" : NULL;
		if (id)
			bt_buf_printf(&b, "%s,%zu,%zu\n", id, i, i % 2);
		else
			bt_buf_printf(&b, "r%zu,%zu,%zu\n", i, i, i % 2);
	}
	p = write_file("d/big.csv", b.ptr);
	s = load_text("name: big\ntasks:\n  - name: t\n    type: regression\n"
	              "    data: {test: d/big.csv}\n    target: y\n");
	want = bt_xasprintf("%s:70002:1: duplicate id 'r5' (first on line 6)", p);
	for (threads = 1; threads <= 4; threads++) {
#ifdef _OPENMP
		omp_set_num_threads(threads);
#endif
		cr_assert_neq(bt_task_prepare(&t, s, 0, NULL), 0, "no error with %d threads",
		              threads);
		cr_expect_str_eq(bt_error_last(), want, "with %d threads", threads);
	}
#ifdef _OPENMP
	omp_set_num_threads(omp_get_num_procs());
#endif
	/* without the duplicates, every id is found again in the set */
	bt_buf_free(&b);
	bt_buf_puts(&b, "id,x,y\n");
	for (i = 1; i <= 100000; i++)
		bt_buf_printf(&b, "r%zu,%zu,%zu\n", i, i, i % 2);
	free(p);
	p = write_file("d/big.csv", b.ptr);
	prepare(&t, s, "t", NULL);
	cr_assert_eq(t.n_test, 100000);
	cr_expect_str_eq(t.test[99999].id, "r100000");
	bt_task_release(&t);
	bt_suite_free(s);
	bt_buf_free(&b);
	free(want);
	free(p);
}

/* Every input, feature and target of two preparations of one task, compared. */
static void expect_same_examples(const struct bt_task *a, const struct bt_task *b)
{
	size_t i, f;

	cr_assert_eq(a->n_test, b->n_test);
	for (i = 0; i < a->n_test; i++) {
		const struct benchtop_example *x = &a->test[i], *y = &b->test[i];
		cr_assert_str_eq(x->id, y->id);
		cr_assert_eq(x->index, y->index);
		cr_assert_eq(x->n_fields, y->n_fields);
		cr_assert_eq(x->n_features, y->n_features);
		for (f = 0; f < x->n_fields; f++) {
			cr_assert_str_eq(x->fields[f].name, y->fields[f].name);
			cr_assert_eq(x->fields[f].type, y->fields[f].type, "row %zu field %zu", i,
			             f);
		}
		for (f = 0; f < x->n_features; f++)
			cr_assert(x->features[f] == y->features[f] ||
			                  (isnan(x->features[f]) && isnan(y->features[f])),
			          "row %zu feature %zu: %g against %g", i, f, x->features[f],
			          y->features[f]);
		cr_assert_eq((x->text == NULL), (y->text == NULL));
		if (x->text)
			cr_assert_str_eq(x->text, y->text);
		cr_assert_eq(a->test_targets[i].value, b->test_targets[i].value, "row %zu", i);
	}
}

static void set_threads(int n)
{
#ifdef _OPENMP
	omp_set_num_threads(n > 0 ? n : omp_get_num_procs());
#else
	(void)n;
#endif
}

/*
 * Large splits are built by several threads: the examples are the same as
 * one thread builds, rows whose vector is missing get NaN features, and a
 * bad target is reported at the first bad row whatever the thread count.
 */
Test(suite, builds_large_splits_in_parallel_exactly_as_serially)
{
	struct bt_buf vec = BT_BUF_INIT, num = BT_BUF_INIT;
	struct bt_suite *s;
	struct bt_task one, many;
	char *pv, *pn, *want;
	size_t i;
	int threads;

	for (i = 1; i <= 70000; i++) {
		if (i % 1000 == 7)
			bt_buf_printf(&vec,
			              "{\"id\": \"v%zu\", \"y\": %zu.5, \"note\": \"n%zu\"}\n", i,
			              i, i);
		else
			bt_buf_printf(&vec,
			              "{\"id\": \"v%zu\", \"v\": [%zu, %zu.25], \"y\": %zu}\n", i,
			              i, i, i);
		bt_buf_printf(&num, "%s%zu,%zu,%s,%s\n", i == 1 ? "id,a,b,y\n" : "", i, i % 97,
		              i % 13 ? "2.5" : "", i == 50001 || i == 69001 ? "oops" : "1");
	}
	pv = write_file("d/vec.jsonl", vec.ptr);
	pn = write_file("d/num.csv", num.ptr);
	s = load_text("name: big\ntasks:\n"
	              "  - name: vec\n    type: regression\n"
	              "    data: {test: d/vec.jsonl}\n    inputs: [v, note]\n    target: y\n"
	              "  - name: num\n    type: regression\n"
	              "    data: {test: d/num.csv}\n    inputs: [a, b]\n    target: y\n");
	set_threads(1);
	prepare(&one, s, "vec", NULL);
	set_threads(2);
	prepare(&many, s, "vec", NULL);
	expect_same_examples(&one, &many);
	cr_expect(isnan(many.test[6].features[0]) && isnan(many.test[6].features[1]),
	          "a row without its vector has NaN features");
	cr_expect_eq(many.test[7].features[1], 8.25);
	cr_expect_str_eq(many.test[6].text, "n7");
	bt_task_release(&one);
	bt_task_release(&many);

	want = bt_xasprintf("%s:50002:14: target 'y' is 'oops', not a number", pn);
	for (threads = 1; threads <= 4; threads++) {
		set_threads(threads);
		cr_assert_neq(bt_task_prepare(&many, s, 1, NULL), 0, "no error with %d threads",
		              threads);
		cr_expect_str_eq(bt_error_last(), want, "with %d threads: %s", threads,
		                 bt_error_last());
	}
	set_threads(0);
	bt_suite_free(s);
	bt_buf_free(&vec);
	bt_buf_free(&num);
	free(want);
	free(pv);
	free(pn);
}

/* --- the bundled suites --------------------------------------------------------------- */

Test(suite, prepares_the_bundled_tabular_suite)
{
	char *path = bt_path_join(srcdir(), "suites/tabular.yaml");
	struct bt_suite *s;
	struct bt_task t;
	char hash[65];

	cr_assert_eq(bt_suite_load(&s, path), 0, "%s", bt_error_last());
	cr_assert_eq(s->ntasks, 5);
	cr_assert_eq(bt_suite_hash(s, hash), 0, "%s", bt_error_last());

	prepare(&t, s, "iris", NULL);
	cr_assert_eq(t.n_test + t.n_train, 150);
	cr_assert_eq(t.n_test, 45);
	cr_assert_eq(t.info.n_features, 4);
	cr_assert_str_eq(t.labels[0], "setosa");
	cr_assert_str_eq(t.labels[2], "virginica");
	bt_task_release(&t);

	prepare(&t, s, "digits", NULL);
	cr_assert_eq(t.n_test + t.n_train, 1797);
	cr_assert_eq(t.info.n_features, 64);
	cr_assert_eq(t.n_labels, 10);
	cr_assert_str_eq(t.labels[9], "9");
	cr_assert_geq(t.test_targets[0].label_index, 0);
	bt_task_release(&t);

	prepare(&t, s, "breast_cancer", NULL);
	cr_assert_eq(t.n_test + t.n_train, 569);
	cr_assert_eq(t.info.n_features, 30);
	bt_task_release(&t);

	prepare(&t, s, "wine", NULL);
	cr_assert_eq(t.n_test + t.n_train, 178);
	cr_assert_eq(t.info.n_features, 13);
	bt_task_release(&t);

	prepare(&t, s, "diabetes", NULL);
	cr_assert_eq(t.n_test + t.n_train, 442);
	cr_assert_eq(t.info.n_features, 10);
	cr_assert_gt(t.test_targets[0].value, 0);
	bt_task_release(&t);
	bt_suite_free(s);
	free(path);
}

Test(suite, prepares_the_bundled_text_suite)
{
	char *path = bt_path_join(srcdir(), "suites/text-demo.yaml");
	struct bt_suite *s;
	struct bt_task t;
	size_t i;

	cr_assert_eq(bt_suite_load(&s, path), 0, "%s", bt_error_last());
	prepare(&t, s, "capitals", NULL);
	cr_assert_geq(t.n_test, 40);
	cr_assert_eq(t.test[0].n_shots, 3);
	cr_assert_not_null(t.test[0].shots[0].target->text);
	cr_assert_not_null(strstr(t.test[0].text, "capital of"));
	bt_task_release(&t);

	prepare(&t, s, "trivia", NULL);
	cr_assert_geq(t.n_test, 30);
	for (i = 0; i < t.n_test; i++) {
		cr_assert_eq(t.test[i].n_choices, 4);
		cr_assert_lt(t.test_targets[i].choice, 4);
	}
	bt_task_release(&t);

	prepare(&t, s, "science-search", NULL);
	cr_assert_geq(t.n_test, 30);
	cr_assert_geq(t.n_train, 40);
	for (i = 0; i < t.n_test; i++)
		cr_assert_geq(t.test_targets[i].n_relevant, 1);
	bt_task_release(&t);
	bt_suite_free(s);
	free(path);
}
