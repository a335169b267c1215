/*
 * test-plugin-host.c - the plugin loader, the host table and the bundled
 * plugins, on the real shared objects the build makes (plugins/.libs and
 * tests/plugins/.libs): every loading failure with its own message, params
 * with defaults, parse errors and suggestions, and each bundled model
 * learning from generated data, deterministically.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "helpers.h"
#include "plugin-check.h"
#include "plugin-host.h"
#include "util.h"

static char *dir, *bundled, *testdir;

static void setup(void)
{
	const char *top = getenv("top_builddir");
	char *path;

	dir = th_tmpdir();
	bundled = bt_path_join(top && *top ? top : ".", "plugins/.libs");
	testdir = bt_path_join(top && *top ? top : ".", "tests/plugins/.libs");
	path = bt_xasprintf("%s:%s", bundled, testdir);
	setenv("BENCHTOP_PLUGIN_PATH", path, 1);
	free(path);
}

static void teardown(void)
{
	th_rm_rf(dir);
	free(dir);
	free(bundled);
	free(testdir);
}

TestSuite(loader, .init = setup, .fini = teardown);
TestSuite(params, .init = setup, .fini = teardown);
TestSuite(models, .init = setup, .fini = teardown);
TestSuite(replay, .init = setup, .fini = teardown);
TestSuite(check, .init = setup, .fini = teardown);

static struct bt_plugin *load(const char *name)
{
	struct bt_plugin *p = NULL;

	cr_assert_eq(bt_plugin_load(&p, name), 0, "loading '%s': %s", name, bt_error_last());
	return p;
}

/* Load must fail with `code` and a message containing `want`. */
static void expect_load_error(const char *name, int code, const char *want)
{
	struct bt_plugin *p = NULL;
	int rc = bt_plugin_load(&p, name);

	cr_assert_eq(rc, code, "loading '%s' gave %d (%s), expected %d", name, rc, bt_error_last(),
	             code);
	cr_assert_null(p);
	cr_assert(strstr(bt_error_last(), want), "message '%s' lacks '%s'", bt_error_last(), want);
}

/* --- loading ------------------------------------------------------------------------- */

Test(loader, finds_a_plugin_by_name_and_by_path_and_hashes_the_file)
{
	struct bt_plugin *a = load("knn"), *b;
	char *path = bt_path_join(bundled, "knn.so"), sha[65];

	cr_assert_str_eq(bt_plugin_desc(a)->name, "knn");
	cr_assert_str_eq(bt_plugin_path(a), path);
	th_file_sha(path, sha);
	cr_assert_str_eq(bt_plugin_sha256(a), sha);
	b = load(path);
	cr_assert_str_eq(bt_plugin_sha256(b), sha);
	cr_assert_eq(bt_plugin_desc(b)->abi_major, BENCHTOP_PLUGIN_ABI_MAJOR);
	bt_plugin_unload(a);
	bt_plugin_unload(b);
	free(path);
}

Test(loader, finds_benchtop_prefixed_files_and_searches_the_path_in_order)
{
	char *d1 = bt_path_join(dir, "one"), *d2 = bt_path_join(dir, "two"), *env, *found;

	cr_assert_eq(th_sh("mkdir -p '%s' '%s' && cp '%s/gnb.so' '%s/benchtop-model.so' && "
	                   "cp '%s/ridge.so' '%s/model.so'",
	                   d1, d2, bundled, d1, bundled, d2),
	             0);
	env = bt_xasprintf("%s::%s", d1, d2); /* an empty entry is skipped */
	setenv("BENCHTOP_PLUGIN_PATH", env, 1);
	cr_assert_eq(bt_plugin_find(&found, "model"), 0, "%s", bt_error_last());
	cr_assert(strstr(found, "/one/benchtop-model.so"), "%s", found);
	free(found);
	free(env);
	free(d1);
	free(d2);
}

Test(loader, a_missing_name_lists_every_place_it_looked)
{
	char *want = bt_xasprintf("plugin 'nosuchmodel' not found in %s, %s, %s (as nosuchmodel.so "
	                          "or benchtop-nosuchmodel.so)",
	                          bundled, testdir, bt_plugin_default_dir());

	expect_load_error("nosuchmodel", BT_ENOTFOUND, want);
	free(want);
}

Test(loader, a_misspelt_name_gets_a_suggestion)
{
	expect_load_error("logrg", BT_ENOTFOUND, "did you mean 'logreg'?");
}

Test(loader, a_missing_path_says_so)
{
	expect_load_error("./no/such/model.so", BT_ENOTFOUND,
	                  "plugin './no/such/model.so' not found: No such file or directory");
}

Test(loader, a_text_file_is_not_a_shared_object)
{
	char *path = bt_path_join(dir, "x.so");

	th_write(path, "this is not a plugin\n");
	expect_load_error(path, BT_EFOREIGN, "is not a shared object");
	free(path);
}

Test(loader, a_library_without_the_entry_symbol_is_not_a_plugin)
{
	expect_load_error("noentry", BT_EFOREIGN,
	                  "is not a benchtop plugin: it does not export 'benchtop_plugin_entry'");
}

Test(loader, a_newer_abi_asks_for_an_upgrade)
{
	expect_load_error("abi2", BT_EVERSION,
	                  "plugin 'abi2' was built for plugin ABI 2; this benchtop supports ABI 1: "
	                  "upgrade benchtop");
}

Test(loader, a_descriptor_too_small_is_refused)
{
	char *want = bt_xasprintf("plugin 'small' has a %zu-byte descriptor, smaller than the %zu "
	                          "bytes of plugin ABI 1.0",
	                          sizeof(uint32_t) * 2 + sizeof(size_t) + sizeof(char *),
	                          sizeof(struct benchtop_plugin));

	expect_load_error("small", BT_EFOREIGN, want);
	free(want);
}

Test(loader, a_missing_callback_is_named)
{
	expect_load_error("nopredict", BT_EFOREIGN,
	                  "plugin 'nopredict' has no predict callback (it is required)");
}

Test(loader, a_plugin_written_in_cxx_loads_and_learns)
{
	struct bt_plugin *p = load("cxx");
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_CLASSIFICATION, 1);
	struct benchtop_prediction *out = calloc(d->n_test, sizeof(*out));
	struct bt_instance *inst;

	cr_assert_eq(bt_instance_create(&inst, p, NULL, &d->info, NULL), 0, "%s", bt_error_last());
	cr_assert_eq(bt_instance_fit(inst, d->train, d->n_train), 0, "%s", bt_error_last());
	cr_assert_eq(bt_instance_predict(inst, d->test, d->n_test, out), 0, "%s", bt_error_last());
	cr_assert_geq(bt_check_data_score(d, out), 0.95);
	bt_instance_destroy(inst);
	bt_plugin_unload(p);
	bt_check_data_free(d);
	free(out);
}

/* --- creating instances ---------------------------------------------------------------- */

struct logged {
	int n;
	enum benchtop_log_level level;
	char plugin[64], message[256];
};

static void record_log(void *payload, enum benchtop_log_level level, const char *plugin,
                       const char *message)
{
	struct logged *l = payload;

	l->n++;
	l->level = level;
	snprintf(l->plugin, sizeof(l->plugin), "%s", plugin);
	snprintf(l->message, sizeof(l->message), "%s", message);
}

static int create(struct bt_instance **inst, const char *plugin, struct bt_plugin **p,
                  const struct bt_params *params, const struct benchtop_task_info *task,
                  const struct bt_host_config *cfg)
{
	*p = load(plugin);
	return bt_instance_create(inst, *p, params, task, cfg);
}

Test(loader, create_failure_carries_the_plugins_own_message)
{
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_CLASSIFICATION, 0);
	struct bt_instance *inst = NULL;
	struct bt_plugin *p;

	d->info.name = "iris";
	cr_assert_eq(create(&inst, "failcreate", &p, NULL, &d->info, NULL), BT_EPLUGIN);
	cr_assert_null(inst);
	cr_assert_str_eq(bt_error_last(),
	                 "plugin 'failcreate' could not create an instance for task 'iris': model "
	                 "weights 'weights.bin' are missing");
	bt_plugin_unload(p);
	bt_check_data_free(d);
}

Test(loader, create_failure_without_an_instance_reports_the_logged_error)
{
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_CLASSIFICATION, 0);
	struct bt_params params = {0};
	struct logged l = {0};
	struct bt_host_config cfg = {record_log, &l, NULL, NULL};
	struct bt_instance *inst = NULL;
	struct bt_plugin *p;

	bt_params_add(&params, "mode", "log");
	cr_assert_eq(create(&inst, "failcreate", &p, &params, &d->info, &cfg), BT_EPLUGIN);
	cr_assert(strstr(bt_error_last(), ": no licence server at localhost:27000"), "%s",
	          bt_error_last());
	cr_assert_eq(l.n, 1);
	cr_assert_eq(l.level, BENCHTOP_LOG_ERROR);
	cr_assert_str_eq(l.plugin, "failcreate");
	bt_params_release(&params);
	bt_plugin_unload(p);
	bt_check_data_free(d);
}

Test(loader, refuses_a_task_type_the_plugin_does_not_do)
{
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_REGRESSION, 0);
	struct bt_instance *inst = NULL;
	struct bt_plugin *p;

	cr_assert_eq(create(&inst, "logreg", &p, NULL, &d->info, NULL), BT_EUSAGE);
	cr_assert_str_eq(bt_error_last(),
	                 "plugin 'logreg' does not do regression tasks (it does classification)");
	bt_plugin_unload(p);
	bt_check_data_free(d);
}

Test(loader, a_plugin_that_needs_training_refuses_to_predict_untrained)
{
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_CLASSIFICATION, 0);
	struct benchtop_prediction out[1];
	struct bt_instance *inst;
	struct bt_plugin *p;

	cr_assert_eq(create(&inst, "knn", &p, NULL, &d->info, NULL), 0, "%s", bt_error_last());
	cr_assert_eq(bt_instance_fit(inst, d->train, 0), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "needs a train split"), "%s", bt_error_last());
	cr_assert_eq(bt_instance_predict(inst, d->test, 1, out), BT_EINPUT);
	bt_instance_destroy(inst);
	bt_plugin_unload(p);
	bt_check_data_free(d);
}

/* --- params ---------------------------------------------------------------------------- */

/* Create echo for regression with `kv` ("k=v" strings) and predict one value. */
static int echo_value(double *value, const char *const *kv, size_t n, const volatile int *cancel,
                      struct logged *l)
{
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_REGRESSION, 0);
	struct bt_host_config cfg = {record_log, l, cancel, NULL};
	struct bt_params params = {0};
	struct benchtop_prediction out[1];
	struct bt_instance *inst = NULL;
	struct bt_plugin *p;
	int rc;

	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(kv[i], '='), *k = bt_xstrndup(kv[i], (size_t)(eq - kv[i]));
		bt_params_add(&params, k, eq + 1);
		free(k);
	}
	rc = create(&inst, "echo", &p, &params, &d->info, &cfg);
	if (rc == 0) {
		cr_assert_eq(bt_instance_predict(inst, d->test, 1, out), 0, "%s", bt_error_last());
		*value = out[0].value;
	}
	bt_instance_destroy(inst);
	bt_plugin_unload(p);
	bt_params_release(&params);
	bt_check_data_free(d);
	return rc;
}

Test(params, getters_return_defaults_when_not_given)
{
	struct logged l = {0};
	double v;

	cr_assert_eq(echo_value(&v, NULL, 0, NULL, &l), 0, "%s", bt_error_last());
	cr_assert_float_eq(v, 7.5, 1e-12);
	cr_assert_str_eq(l.message, "created with s=dflt i=7 d=0.5 b=0");
	cr_assert_eq(l.level, BENCHTOP_LOG_INFO);
	cr_assert_str_eq(l.plugin, "echo");
}

Test(params, getters_parse_given_values_and_the_last_one_wins)
{
	static const char *const kv[] = {"i=1", "s=hello", "d=-2.25", "b=yes", "i=40"};
	struct logged l = {0};
	double v;

	cr_assert_eq(echo_value(&v, kv, 5, NULL, &l), 0, "%s", bt_error_last());
	cr_assert_float_eq(v, 40 - 2.25 + 100, 1e-12);
	cr_assert_str_eq(l.message, "created with s=hello i=40 d=-2.25 b=1");
}

Test(params, values_that_do_not_parse_fail_create_naming_the_param)
{
	static const char *const bad_int[] = {"i=seven"}, *const bad_double[] = {"d=nan"},
	                         *const bad_bool[] = {"b=maybe"};
	struct logged l = {0};
	double v;

	cr_assert_eq(echo_value(&v, bad_int, 1, NULL, &l), BT_EUSAGE);
	cr_assert_str_eq(bt_error_last(), "param 'i' for plugin 'echo': 'seven' is not an integer");
	cr_assert_eq(echo_value(&v, bad_double, 1, NULL, &l), BT_EUSAGE);
	cr_assert_str_eq(bt_error_last(),
	                 "param 'd' for plugin 'echo': 'nan' is not a finite number");
	cr_assert_eq(echo_value(&v, bad_bool, 1, NULL, &l), BT_EUSAGE);
	cr_assert(strstr(bt_error_last(), "'maybe' is not a boolean"), "%s", bt_error_last());
}

Test(params, unknown_params_fail_create_with_a_suggestion)
{
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_CLASSIFICATION, 0);
	struct bt_params params = {0};
	struct bt_instance *inst = NULL;
	struct bt_plugin *p;

	bt_params_add(&params, "kk", "3");
	cr_assert_eq(create(&inst, "knn", &p, &params, &d->info, NULL), BT_EUSAGE);
	cr_assert_str_eq(bt_error_last(),
	                 "unknown param 'kk' for plugin 'knn' (did you mean 'k'?)");
	cr_assert_null(inst);
	bt_plugin_unload(p);
	bt_params_release(&params);

	bt_params_add(&params, "zzzzzz", "3");
	cr_assert_eq(create(&inst, "knn", &p, &params, &d->info, NULL), BT_EUSAGE);
	cr_assert_str_eq(bt_error_last(), "unknown param 'zzzzzz' for plugin 'knn' (it takes k, "
	                                  "metric, standardize, weights, depth)");
	bt_plugin_unload(p);
	cr_assert_eq(create(&inst, "majority", &p, &params, &d->info, NULL), BT_EUSAGE);
	cr_assert_str_eq(bt_error_last(),
	                 "unknown param 'zzzzzz' for plugin 'majority' (it takes no params)");
	bt_plugin_unload(p);
	bt_params_release(&params);
	bt_check_data_free(d);
}

Test(params, a_misspelt_required_param_is_reported_before_the_create_failure)
{
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_CLASSIFICATION, 0);
	struct bt_params params = {0};
	struct bt_instance *inst = NULL;
	struct bt_plugin *p;

	bt_params_add(&params, "prediction", "x.jsonl");
	cr_assert_eq(create(&inst, "replay", &p, &params, &d->info, NULL), BT_EUSAGE);
	cr_assert_str_eq(bt_error_last(), "unknown param 'prediction' for plugin 'replay' (did you "
	                                  "mean 'predictions'?)");
	bt_plugin_unload(p);
	bt_params_release(&params);
	bt_check_data_free(d);
}

Test(params, the_cancellation_flag_reaches_the_plugin)
{
	volatile int cancel = 1;
	struct logged l = {0};
	double v;

	cr_assert_eq(echo_value(&v, NULL, 0, &cancel, &l), 0, "%s", bt_error_last());
	cr_assert_float_eq(v, 1007.5, 1e-12);
}

Test(params, example_json_serialises_the_fields_when_the_harness_gives_no_function)
{
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_GENERATION, 0);
	struct benchtop_field f[3] = {
	        {.name = "n", .type = BENCHTOP_FIELD_NUMBER, .number = 3},
	        {.name = "v", .type = BENCHTOP_FIELD_VECTOR},
	        {.name = "j",
	         .type = BENCHTOP_FIELD_JSON,
	         .text = "{\"a\": [1, null]}",
	         .text_len = 16},
	};
	const double vec[2] = {0.5, -1};
	struct benchtop_example ex[2];
	struct benchtop_prediction out[2];
	struct bt_instance *inst;
	struct bt_plugin *p;
	char *want;

	f[1].vector = vec;
	f[1].vector_len = 2;
	memset(ex, 0, sizeof(ex));
	ex[0] = d->test[0];
	ex[1].fields = f;
	ex[1].n_fields = 3;
	cr_assert_eq(create(&inst, "echo", &p, NULL, &d->info, NULL), 0, "%s", bt_error_last());
	cr_assert_eq(bt_instance_predict(inst, ex, 2, out), 0, "%s", bt_error_last());
	want = bt_xasprintf("{\"question\":\"%s\"}", d->test[0].text);
	cr_assert_str_eq(out[0].text, want);
	cr_assert_str_eq(out[1].text, "{\"n\":3,\"v\":[0.5,-1.0],\"j\":{\"a\":[1,null]}}");
	free(want);
	bt_instance_destroy(inst);
	bt_plugin_unload(p);
	bt_check_data_free(d);
}

/* --- the bundled models learn ---------------------------------------------------------- */

/* Train `plugin` on generated data of `type` and return its score on the test split. */
static double score(const char *plugin, enum benchtop_task_type type, const char *param)
{
	struct bt_check_data *d = bt_check_data_make(type, 3);
	struct benchtop_prediction *out = calloc(d->n_test, sizeof(*out));
	struct bt_params params = {0};
	struct bt_instance *inst;
	struct bt_plugin *p;
	double s;

	if (param) {
		char *eq = strchr(param, '='), *k = bt_xstrndup(param, (size_t)(eq - param));
		bt_params_add(&params, k, eq + 1);
		free(k);
	}
	cr_assert_eq(create(&inst, plugin, &p, &params, &d->info, NULL), 0, "%s", bt_error_last());
	cr_assert_eq(bt_instance_fit(inst, d->train, d->n_train), 0, "%s", bt_error_last());
	cr_assert_eq(bt_instance_predict(inst, d->test, d->n_test, out), 0, "%s", bt_error_last());
	for (size_t i = 0; i < d->n_test; i++) {
		char *why = bt_check_prediction(d, &d->test[i], &out[i]);
		cr_assert_null(why, "%s: example %zu: %s", plugin, i, why);
		cr_assert_null(out[i].error, "%s: example %zu: %s", plugin, i, out[i].error);
	}
	s = bt_check_data_score(d, out);
	bt_instance_destroy(inst);
	bt_plugin_unload(p);
	bt_params_release(&params);
	bt_check_data_free(d);
	free(out);
	return s;
}

Test(models, classifiers_separate_well_separated_blobs)
{
	static const char *const plugins[] = {"knn", "logreg", "gnb", "ridge"};

	for (size_t i = 0; i < BT_ARRAY_SIZE(plugins); i++) {
		double s = score(plugins[i], BENCHTOP_TASK_CLASSIFICATION, NULL);
		cr_assert_geq(s, 0.95, "%s: accuracy %g", plugins[i], s);
	}
	cr_assert_geq(score("knn", BENCHTOP_TASK_CLASSIFICATION, "metric=manhattan"), 0.95);
	cr_assert_geq(score("knn", BENCHTOP_TASK_CLASSIFICATION, "metric=cosine"), 0.9);
	cr_assert_geq(score("knn", BENCHTOP_TASK_CLASSIFICATION, "weights=distance"), 0.95);
	cr_assert_geq(score("logreg", BENCHTOP_TASK_CLASSIFICATION, "l2=0.01"), 0.95);
}

Test(models, majority_is_the_baseline_to_beat)
{
	/* Three balanced classes: a constant guess gets a third. */
	double s = score("majority", BENCHTOP_TASK_CLASSIFICATION, NULL);

	cr_assert_float_eq(s, 1.0 / 3, 1e-9, "accuracy %g", s);
	cr_assert_lt(score("majority", BENCHTOP_TASK_REGRESSION, NULL), 0.05);
	cr_assert_lt(score("majority", BENCHTOP_TASK_GENERATION, NULL), 0.1);
}

Test(models, regressors_fit_a_linear_function)
{
	double r = score("ridge", BENCHTOP_TASK_REGRESSION, NULL);

	cr_assert_geq(r, 0.99, "ridge r2 %g", r);
	r = score("knn", BENCHTOP_TASK_REGRESSION, NULL);
	cr_assert_geq(r, 0.7, "knn r2 %g", r);
}

Test(models, knn_answers_text_tasks_from_similar_train_examples)
{
	double s = score("knn", BENCHTOP_TASK_GENERATION, NULL);

	cr_assert_geq(s, 0.9, "generation exact match %g", s);
	s = score("knn", BENCHTOP_TASK_MULTIPLE_CHOICE, NULL);
	cr_assert_geq(s, 0.9, "multiple choice accuracy %g", s);
	s = score("knn", BENCHTOP_TASK_RETRIEVAL, NULL);
	cr_assert_geq(s, 0.9, "retrieval mrr %g", s);
	/* A question with no similar train question still gets a valid choice. */
	cr_assert_geq(score("majority", BENCHTOP_TASK_MULTIPLE_CHOICE, NULL), 0.0);
	cr_assert_geq(score("majority", BENCHTOP_TASK_RETRIEVAL, NULL), 0.0);
}

/* Train `plugin` on (x, label/value) pairs of one feature and predict at `at`. */
static void predict_1d(const char *plugin, enum benchtop_task_type type, const double *x,
                       const double *y, size_t n, const double *at, size_t m, const char *param,
                       struct benchtop_prediction *out)
{
	static const char *const labels[] = {"a", "b"};
	static const char *const inputs[] = {"x"};
	struct benchtop_task_info info = {0};
	struct benchtop_example *ex = calloc(n + m, sizeof(*ex));
	struct benchtop_target *t = calloc(n, sizeof(*t));
	struct bt_params params = {0};
	struct bt_instance *inst;
	struct bt_plugin *p;

	info.size = sizeof(info);
	info.name = "1d";
	info.type = type;
	info.labels = labels;
	info.n_labels = type == BENCHTOP_TASK_CLASSIFICATION ? 2 : 0;
	info.inputs = inputs;
	info.n_inputs = 1;
	info.n_features = 1;
	for (size_t i = 0; i < n + m; i++) {
		ex[i].id = "x";
		ex[i].features = i < n ? &x[i] : &at[i - n];
		ex[i].n_features = 1;
		if (i < n) {
			ex[i].target = &t[i];
			t[i].label_index = (int64_t)y[i];
			t[i].label = labels[(int)y[i] & 1];
			t[i].value = y[i];
		}
	}
	if (param) {
		char *eq = strchr(param, '='), *k = bt_xstrndup(param, (size_t)(eq - param));
		bt_params_add(&params, k, eq + 1);
		free(k);
	}
	cr_assert_eq(create(&inst, plugin, &p, &params, &info, NULL), 0, "%s", bt_error_last());
	cr_assert_eq(bt_instance_fit(inst, ex, n), 0, "%s", bt_error_last());
	cr_assert_eq(bt_instance_predict(inst, ex + n, m, out), 0, "%s", bt_error_last());
	/* Keep what the test reads (scores) beyond destroy. */
	for (size_t i = 0; i < m; i++)
		if (out[i].scores) {
			double *s = malloc(out[i].n_scores * sizeof(*s));
			memcpy(s, out[i].scores, out[i].n_scores * sizeof(*s));
			out[i].scores = s;
		}
	bt_instance_destroy(inst);
	bt_plugin_unload(p);
	bt_params_release(&params);
	free(ex);
	free(t);
}

Test(models, gnb_computes_the_gaussian_posterior_with_var_smoothing)
{
	const double x[] = {0, 1, 2, 4, 5, 9}, y[] = {0, 0, 0, 1, 1, 1}, at[] = {3};
	struct benchtop_prediction out[1];
	/* By hand: class a mean 1 var 2/3; b mean 6 var 14/3; epsilon 1e-9 * var(x). */
	double all_mean = 21.0 / 6, all_var = 0, va, vb, la, lb, pa;

	for (int i = 0; i < 6; i++)
		all_var += (x[i] - all_mean) * (x[i] - all_mean) / 6;
	va = 2.0 / 3 + 1e-9 * all_var;
	vb = 14.0 / 3 + 1e-9 * all_var;
	la = log(0.5) - 0.5 * log(2 * M_PI * va) - (3 - 1.0) * (3 - 1.0) / (2 * va);
	lb = log(0.5) - 0.5 * log(2 * M_PI * vb) - (3 - 6.0) * (3 - 6.0) / (2 * vb);
	pa = 1 / (1 + exp(lb - la));
	predict_1d("gnb", BENCHTOP_TASK_CLASSIFICATION, x, y, 6, at, 1, NULL, out);
	cr_assert_eq(out[0].n_scores, 2);
	cr_assert_float_eq(out[0].scores[0], pa, 1e-12, "%.17g vs %.17g", out[0].scores[0], pa);
	cr_assert_float_eq(out[0].scores[1], 1 - pa, 1e-12);
	cr_assert_str_eq(out[0].label, pa > 0.5 ? "a" : "b");
	free((void *)out[0].scores);
}

Test(models, ridge_matches_the_closed_form)
{
	const double x[] = {1, 2, 3, 4, 5}, y[] = {3, 5, 7, 9, 11}, at[] = {10};
	struct benchtop_prediction out[1];
	/* Standardised x has sd sqrt(2); sum z^2 = 5, sum z y_c = 20 / sqrt(2). */
	double w = (20 / sqrt(2)) / (5 + 1.0), want = 7 + w * (10 - 3) / sqrt(2);

	predict_1d("ridge", BENCHTOP_TASK_REGRESSION, x, y, 5, at, 1, NULL, out);
	cr_assert_float_eq(out[0].value, want, 1e-9, "%.17g vs %.17g", out[0].value, want);
	predict_1d("ridge", BENCHTOP_TASK_REGRESSION, x, y, 5, at, 1, "alpha=0", out);
	cr_assert_float_eq(out[0].value, 21, 1e-9, "%.17g", out[0].value);
}

Test(models, logreg_gives_probabilities_that_sharpen_as_c_grows)
{
	const double x[] = {-3, -2, -1, -0.5, 0.5, 1, 2, 3}, y[] = {0, 0, 0, 1, 0, 1, 1, 1};
	const double at[] = {-2, 2};
	struct benchtop_prediction weak[2], strong[2];

	predict_1d("logreg", BENCHTOP_TASK_CLASSIFICATION, x, y, 8, at, 2, "C=0.01", weak);
	predict_1d("logreg", BENCHTOP_TASK_CLASSIFICATION, x, y, 8, at, 2, "C=100", strong);
	for (int i = 0; i < 2; i++) {
		cr_assert_float_eq(weak[i].scores[0] + weak[i].scores[1], 1, 1e-12);
		cr_assert_float_eq(strong[i].scores[0] + strong[i].scores[1], 1, 1e-12);
	}
	cr_assert_str_eq(strong[0].label, "a");
	cr_assert_str_eq(strong[1].label, "b");
	cr_assert_gt(strong[0].scores[0], weak[0].scores[0]);
	cr_assert_gt(strong[1].scores[1], weak[1].scores[1]);
	cr_assert_gt(weak[0].scores[0], 0.5);
	for (int i = 0; i < 2; i++) {
		free((void *)weak[i].scores);
		free((void *)strong[i].scores);
	}
}

/* --- replay ----------------------------------------------------------------------------- */

/* Replay `jsonl` for generated data of `type`; out[] for the first n test examples. */
static int replay(enum benchtop_task_type type, const char *jsonl, struct benchtop_prediction *out,
                  size_t n, char **file)
{
	struct bt_check_data *d = bt_check_data_make(type, 0);
	struct bt_params params = {0};
	struct bt_instance *inst;
	struct bt_plugin *p;
	int rc;

	*file = bt_path_join(dir, "preds.jsonl");
	th_write(*file, jsonl);
	bt_params_add(&params, "predictions", *file);
	rc = create(&inst, "replay", &p, &params, &d->info, NULL);
	if (rc == 0) {
		cr_assert_eq(bt_instance_predict(inst, d->test, n, out), 0, "%s", bt_error_last());
		/* Copy the strings the test reads: they live in the instance. */
		for (size_t i = 0; i < n; i++) {
			out[i].label = out[i].label ? bt_xstrdup(out[i].label) : NULL;
			out[i].error = out[i].error ? bt_xstrdup(out[i].error) : NULL;
			out[i].text = out[i].text ? bt_xstrdup(out[i].text) : NULL;
			if (out[i].scores) {
				double *s = malloc(out[i].n_scores * sizeof(*s));
				memcpy(s, out[i].scores, out[i].n_scores * sizeof(*s));
				out[i].scores = s;
			}
			if (out[i].ranking)
				out[i].ranking = NULL; /* checked through n_ranking only */
		}
		bt_instance_destroy(inst);
	}
	bt_plugin_unload(p);
	bt_params_release(&params);
	bt_check_data_free(d);
	return rc;
}

static void free_out(struct benchtop_prediction *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((void *)out[i].label);
		free((void *)out[i].error);
		free((void *)out[i].text);
		free((void *)out[i].scores);
	}
}

Test(replay, replays_labels_and_scores_and_reports_missing_ids)
{
	struct benchtop_prediction out[4];
	char *file, *want;

	cr_assert_eq(replay(BENCHTOP_TASK_CLASSIFICATION,
	                    "{\"id\": \"ex-0\", \"label\": \"b\", \"scores\": {\"a\": 0.25, \"b\": "
	                    "0.75}}\n"
	                    "\n"
	                    "{\"id\": \"ex-1\", \"label\": \"c\", \"extra\": [1, 2]}\n"
	                    "{\"id\": \"ex-2\", \"label\": \"zebra\"}\n",
	                    out, 4, &file),
	             0, "%s", bt_error_last());
	cr_assert_str_eq(out[0].label, "b");
	cr_assert_eq(out[0].n_scores, 3);
	cr_assert_float_eq(out[0].scores[0], 0.25, 0);
	cr_assert_float_eq(out[0].scores[1], 0.75, 0);
	cr_assert_float_eq(out[0].scores[2], 0, 0);
	cr_assert_str_eq(out[1].label, "c");
	cr_assert_eq(out[1].n_scores, 0);
	cr_assert_null(out[2].label);
	want = bt_xasprintf("label 'zebra' for id 'ex-2' (%s:4) is not one of the task's labels",
	                    file);
	cr_assert_str_eq(out[2].error, want);
	free(want);
	want = bt_xasprintf("no prediction for id 'ex-3' in %s", file);
	cr_assert_str_eq(out[3].error, want);
	free(want);
	free_out(out, 4);
	free(file);
}

Test(replay, replays_values_texts_choices_and_rankings)
{
	struct benchtop_prediction out[2];
	char *file, *want;

	cr_assert_eq(replay(BENCHTOP_TASK_REGRESSION, "{\"id\":\"ex-0\",\"value\":1.5}\n", out, 1,
	                    &file),
	             0, "%s", bt_error_last());
	cr_assert_float_eq(out[0].value, 1.5, 0);
	free_out(out, 1);
	free(file);
	cr_assert_eq(replay(BENCHTOP_TASK_GENERATION,
	                    "{\"id\":\"ex-0\",\"text\":\"Paris\"}\n{\"id\":\"ex-1\",\"value\":2}\n",
	                    out, 2, &file),
	             0, "%s", bt_error_last());
	cr_assert_str_eq(out[0].text, "Paris");
	want = bt_xasprintf("the prediction for id 'ex-1' (%s:2) has no \"text\"", file);
	cr_assert_str_eq(out[1].error, want);
	free(want);
	free_out(out, 2);
	free(file);
	cr_assert_eq(replay(BENCHTOP_TASK_MULTIPLE_CHOICE,
	                    "{\"id\":\"ex-0\",\"choice\":2}\n{\"id\":\"ex-1\",\"choice\":9}\n", out,
	                    2, &file),
	             0, "%s", bt_error_last());
	cr_assert_eq(out[0].choice, 2);
	cr_assert(strstr(out[1].error, "choice 9 for id 'ex-1'"), "%s", out[1].error);
	free_out(out, 2);
	free(file);
	cr_assert_eq(replay(BENCHTOP_TASK_RETRIEVAL,
	                    "{\"id\":\"ex-0\",\"ranking\":[\"doc-3\",\"doc-1\"]}\n", out, 1, &file),
	             0, "%s", bt_error_last());
	cr_assert_eq(out[0].n_ranking, 2);
	free_out(out, 1);
	free(file);
}

Test(replay, bad_lines_fail_create_with_file_and_line)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	        {"{\"id\":\"ex-0\",\"label\":\"a\"}\n[1, 2]\n", ":2: not a JSON object"},
	        {"{\"id\":\"ex-0\"}\n\n{\"label\":\"a\"}\n", ":3: no \"id\""},
	        {"{\"id\":\"ex-0\"}\n{\"id\":\"ex-0\"}\n",
	         ":2: duplicate id 'ex-0' (first on line 1)"},
	        {"{\"id\":\"ex-0\",\"value\":\"high\"}\n", ":1: \"value\" is not a number"},
	        {"{\"id\":\"ex-0\",\"scores\":{\"a\":\"x\"}}\n",
	         ":1: the score for 'a' is not a number"},
	        {"{\"id\":\"ex-0\",\"label\":\"a\"\n", ":1:"},
	};
	struct benchtop_prediction out[1];

	for (size_t i = 0; i < BT_ARRAY_SIZE(cases); i++) {
		char *file, *want;
		cr_assert_eq(replay(BENCHTOP_TASK_CLASSIFICATION, cases[i].text, out, 1, &file),
		             BT_EPLUGIN, "case %zu", i);
		want = bt_xasprintf("%s%s", file, cases[i].want);
		cr_assert(strstr(bt_error_last(), want), "case %zu: '%s' lacks '%s'", i,
		          bt_error_last(), want);
		free(want);
		free(file);
	}
}

/* --- plugin check ------------------------------------------------------------------------ */

struct tally {
	size_t ok, fail, skip;
	char first_fail[512];
};

static void count_item(const struct bt_check_item *it, void *payload)
{
	struct tally *t = payload;

	if (it->status == BT_CHECK_OK)
		t->ok++;
	else if (it->status == BT_CHECK_SKIP)
		t->skip++;
	else if (t->fail++ == 0)
		snprintf(t->first_fail, sizeof(t->first_fail), "%s/%s: %s",
		         bt_check_task_name(it->task), it->check, it->detail);
}

static size_t check_plugin(const char *name, const char *param, struct tally *t)
{
	struct bt_check_opts o = {0};
	struct bt_params params = {0};
	struct bt_plugin *p = load(name);
	size_t failed;

	memset(t, 0, sizeof(*t));
	if (param) {
		char *eq = strchr(param, '='), *k = bt_xstrndup(param, (size_t)(eq - param));
		bt_params_add(&params, k, eq + 1);
		free(k);
	}
	o.params = &params;
	o.threads = 3;
	cr_assert_eq(bt_plugin_check(p, &o, count_item, t, &failed), 0, "%s", bt_error_last());
	cr_assert_eq(failed, t->fail);
	bt_plugin_unload(p);
	bt_params_release(&params);
	return failed;
}

Test(check, every_bundled_model_passes)
{
	static const char *const plugins[] = {"majority", "knn", "logreg", "gnb", "ridge"};
	struct tally t;

	for (size_t i = 0; i < BT_ARRAY_SIZE(plugins); i++) {
		cr_assert_eq(check_plugin(plugins[i], NULL, &t), 0, "%s: %s", plugins[i],
		             t.first_fail);
		cr_assert_geq(t.ok, 6, "%s ran only %zu checks", plugins[i], t.ok);
		cr_assert_eq(t.skip, 0, "%s", plugins[i]);
	}
}

Test(check, catches_answers_that_drift_with_the_batch_or_the_run)
{
	struct tally t;

	cr_assert_gt(check_plugin("drift", NULL, &t), 0);
	cr_assert(strstr(t.first_fail, "classification/batch size: example"), "%s", t.first_fail);
	cr_assert_gt(check_plugin("drift", "mode=random", &t), 0);
	cr_assert(strstr(t.first_fail, "/repeat: example"), "%s", t.first_fail);
}

Test(check, counts_per_example_errors_as_a_failure)
{
	struct tally t;

	cr_assert_eq(check_plugin("flaky", NULL, &t), 1);
	cr_assert(strstr(t.first_fail, "regression/predict: 5 of 50 examples reported an error; "
	                               "example 'ex-9': simulated failure"),
	          "%s", t.first_fail);
}

Test(check, validates_predictions_against_the_abi)
{
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_CLASSIFICATION, 0);
	struct benchtop_prediction p = {0};
	double s[3] = {0.5, 0.3, 0.17};
	char *why;

	p.label = "d";
	why = bt_check_prediction(d, &d->test[0], &p);
	cr_assert_str_eq(why, "label 'd' is not one of the task's labels");
	free(why);
	p.label = "a";
	p.scores = s;
	p.n_scores = 3;
	why = bt_check_prediction(d, &d->test[0], &p);
	cr_assert_str_eq(why, "the scores look like probabilities but sum to 0.97");
	free(why);
	s[2] = 0.2;
	cr_assert_null(bt_check_prediction(d, &d->test[0], &p));
	p.n_scores = 2;
	why = bt_check_prediction(d, &d->test[0], &p);
	cr_assert_str_eq(why, "2 scores for 3 labels");
	free(why);
	bt_check_data_free(d);

	d = bt_check_data_make(BENCHTOP_TASK_RETRIEVAL, 0);
	{
		const char *r[] = {"doc-1", "doc-1"};
		struct benchtop_prediction q = {0};
		q.ranking = r;
		q.n_ranking = 2;
		why = bt_check_prediction(d, &d->test[0], &q);
		cr_assert_str_eq(why, "the ranking lists 'doc-1' twice");
		free(why);
		r[1] = "elsewhere";
		why = bt_check_prediction(d, &d->test[0], &q);
		cr_assert_str_eq(why, "the ranking lists 'elsewhere', which is not a document");
		free(why);
	}
	bt_check_data_free(d);
}

Test(check, lists_plugins_on_the_search_path_with_their_errors)
{
	struct bt_plugin_listing *l;
	size_t n, found = 0;

	cr_assert_eq(bt_plugin_list(&l, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(l[i].name, "knn") == 0) {
			found++;
			cr_assert_null(l[i].error);
			cr_assert_str_eq(l[i].version, "1.0.0");
			cr_assert(l[i].tasks & BENCHTOP_TASK_BIT(BENCHTOP_TASK_RETRIEVAL));
		}
		if (strcmp(l[i].name, "abi2") == 0) {
			found++;
			cr_assert(l[i].error && strstr(l[i].error, "upgrade benchtop"));
		}
	}
	cr_assert_eq(found, 2);
	bt_plugin_list_free(l, n);
}

/* --- ABI 1.1: the host's services, through tests/plugins/abi11.c ----------------------- */

TestSuite(abi11, .init = setup, .fini = teardown);

struct recorded {
	int n;
	char key[64], sha[65];
};

static int record_sink(void *payload, const char *key, const char *sha256)
{
	struct recorded *r = payload;

	r->n++;
	snprintf(r->key, sizeof(r->key), "%s", key);
	snprintf(r->sha, sizeof(r->sha), "%s", sha256);
	return 0;
}

Test(abi11, a_host_has_every_service_and_says_which_minor_it_is)
{
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_GENERATION, 0);
	struct bt_instance *inst;
	struct bt_plugin *p;

	/* abi11 refuses to be created by a host without ABI 1.1's fields. */
	setenv("BENCHTOP_PLUGIN_CACHE", dir, 1);
	cr_assert_eq(create(&inst, "abi11", &p, NULL, &d->info, NULL), 0, "%s", bt_error_last());
	bt_instance_destroy(inst);
	bt_plugin_unload(p);
	cr_assert_eq(BENCHTOP_PLUGIN_ABI_MINOR, 1);
	bt_check_data_free(d);
}

Test(abi11, param_keys_lists_without_reading_so_unknown_params_still_fail)
{
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_CLASSIFICATION, 0);
	struct bt_params params = {0};
	struct benchtop_prediction out[1];
	struct bt_instance *inst = NULL;
	struct bt_plugin *p;

	setenv("BENCHTOP_PLUGIN_CACHE", dir, 1);
	bt_params_add(&params, "key", "a.sha256");
	bt_params_add(&params, "kee", "1");
	cr_assert_eq(create(&inst, "abi11", &p, &params, &d->info, NULL), BT_EUSAGE);
	cr_assert_str_eq(bt_error_last(),
	                 "unknown param 'kee' for plugin 'abi11' (did you mean 'key'?)");
	cr_assert_null(inst);
	bt_plugin_unload(p);
	bt_params_release(&params);

	/* In command-line order, each key once however often it was given. */
	th_write_in(dir, "f", "x");
	{
		char *f = bt_path_join(dir, "f");
		bt_params_add(&params, "key", "a.sha256");
		bt_params_add(&params, "file", f);
		bt_params_add(&params, "key", "b.sha256");
		free(f);
	}
	cr_assert_eq(create(&inst, "abi11", &p, &params, &d->info, NULL), 0, "%s", bt_error_last());
	cr_assert_eq(bt_instance_predict(inst, d->test, 1, out), 0, "%s", bt_error_last());
	cr_assert(strstr(bt_instance_annotation(0), "\"param_keys\":[\"key\",\"file\"]"), "%s",
	          bt_instance_annotation(0));
	bt_instance_destroy(inst);
	bt_plugin_unload(p);
	bt_params_release(&params);
	bt_check_data_free(d);
}

Test(abi11, annotations_belong_to_the_calls_examples_and_last_until_the_next_call)
{
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_GENERATION, 0);
	struct benchtop_prediction out[3];
	struct bt_instance *inst;
	struct bt_plugin *p;
	char *want;

	setenv("BENCHTOP_PLUGIN_CACHE", dir, 1);
	cr_assert_eq(create(&inst, "abi11", &p, NULL, &d->info, NULL), 0, "%s", bt_error_last());
	cr_assert_null(bt_instance_annotation(0));
	cr_assert_eq(bt_instance_predict(inst, d->test, 3, out), 0, "%s", bt_error_last());
	for (int i = 0; i < 3; i++) {
		/* The default prompt of a one-field task is the field itself. */
		cr_assert_str_eq(out[i].text, d->test[i].text);
		want = bt_xasprintf("{\"prompt\":\"%s\",\"param_keys\":[],\"task\":{\"stop\":"
		                    "[\"\\n\"],\"target_delimiter\":\" \",\"max_tokens\":32},"
		                    "\"refusals\":\"ok\"}",
		                    d->test[i].text);
		cr_assert_str_eq(bt_instance_annotation(i), want);
		free(want);
	}
	cr_assert_null(bt_instance_annotation(3));
	cr_assert_eq(bt_instance_predict(inst, d->test + 5, 1, out), 0, "%s", bt_error_last());
	cr_assert(strstr(bt_instance_annotation(0), d->test[5].text));
	cr_assert_null(bt_instance_annotation(1));
	bt_instance_destroy(inst);
	bt_plugin_unload(p);
	bt_check_data_free(d);
}

Test(abi11, record_file_hashes_the_file_for_the_run_or_fails_create)
{
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_REGRESSION, 0);
	struct recorded r = {0};
	struct logged l = {0};
	struct bt_host_config cfg = {record_log, &l, NULL, NULL, record_sink, &r, NULL};
	struct bt_params params = {0};
	struct bt_instance *inst;
	struct bt_plugin *p;
	char *file = bt_path_join(dir, "weights.bin"), sha[65];

	setenv("BENCHTOP_PLUGIN_CACHE", dir, 1);
	th_write(file, "pretend these are weights\n");
	th_file_sha(file, sha);
	bt_params_add(&params, "file", file);
	cr_assert_eq(create(&inst, "abi11", &p, &params, &d->info, &cfg), 0, "%s", bt_error_last());
	cr_assert_eq(r.n, 1);
	cr_assert_str_eq(r.key, "model.sha256");
	cr_assert_str_eq(r.sha, sha);
	bt_instance_destroy(inst);
	bt_plugin_unload(p);

	unlink(file);
	cr_assert_eq(create(&inst, "abi11", &p, &params, &d->info, &cfg), BT_EPLUGIN);
	cr_assert(strstr(bt_error_last(), "cannot record"), "%s", bt_error_last());
	cr_assert_eq(r.n, 1);
	cr_assert_eq(l.level, BENCHTOP_LOG_ERROR);
	cr_assert(strstr(l.message, "weights.bin"), "%s", l.message);
	bt_plugin_unload(p);
	bt_params_release(&params);
	bt_check_data_free(d);
	free(file);
}

static void expect_private_dir(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "'%s' was not created", path);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0700, "'%s' has mode %o", path, st.st_mode & 0777);
}

Test(abi11, cache_dir_follows_the_environment_and_is_private)
{
	char *a = bt_path_join(dir, "a"), *want, *got;

	setenv("BENCHTOP_PLUGIN_CACHE", a, 1);
	setenv("XDG_CACHE_HOME", "/nonexistent-xdg", 1);
	got = bt_plugin_cache_dir("openai");
	want = bt_path_join(a, "openai");
	cr_assert_str_eq(got, want);
	expect_private_dir(want);
	free(got);
	free(want);

	unsetenv("BENCHTOP_PLUGIN_CACHE");
	setenv("XDG_CACHE_HOME", a, 1);
	got = bt_plugin_cache_dir("../x/y");
	want = bt_path_join(a, "benchtop/plugins/.._x_y");
	cr_assert_str_eq(got, want);
	expect_private_dir(want);
	free(got);
	free(want);

	/* A relative XDG_CACHE_HOME is invalid (XDG spec): HOME's is used. */
	setenv("XDG_CACHE_HOME", "relative", 1);
	setenv("HOME", a, 1);
	got = bt_plugin_cache_dir("python");
	want = bt_path_join(a, ".cache/benchtop/plugins/python");
	cr_assert_str_eq(got, want);
	expect_private_dir(want);
	free(got);
	free(want);

	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	cr_assert_null(bt_plugin_cache_dir("python"));
	cr_assert(strstr(bt_error_last(), "$HOME"), "%s", bt_error_last());
	free(a);
}

Test(abi11, the_harness_prompt_replaces_the_default)
{
	struct bt_check_data *d = bt_check_data_make(BENCHTOP_TASK_GENERATION, 0);
	struct benchtop_example ex = d->test[0];
	struct benchtop_prediction out[1];
	struct bt_host_config cfg = {0};
	struct bt_prompt tmpl;
	struct bt_instance *inst;
	struct bt_plugin *p;
	char *want;

	setenv("BENCHTOP_PLUGIN_CACHE", dir, 1);
	cr_assert_eq(bt_prompt_parse(&tmpl, "Q: {question}\nA:", NULL), 0);
	bt_prompt_set_delimiters(&tmpl, "\n--\n", " => ");
	cfg.prompt = &tmpl;
	ex.shots = d->train;
	ex.n_shots = 2;
	cr_assert_eq(create(&inst, "abi11", &p, NULL, &d->info, &cfg), 0, "%s", bt_error_last());
	bt_prompt_release(&tmpl); /* the instance keeps a copy */
	cr_assert_eq(bt_instance_predict(inst, &ex, 1, out), 0, "%s", bt_error_last());
	want = bt_xasprintf("Q: %s\nA: => %s\n--\nQ: %s\nA: => %s\n--\nQ: %s\nA:", d->train[0].text,
	                    d->train[0].target->text, d->train[1].text, d->train[1].target->text,
	                    ex.text);
	cr_assert_str_eq(out[0].text, want);
	free(want);
	bt_instance_destroy(inst);
	bt_plugin_unload(p);
	bt_check_data_free(d);
}
