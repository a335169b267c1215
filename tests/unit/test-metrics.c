/*
 * test-metrics.c - metric values and their bootstrap intervals.
 *
 * Values are checked against scikit-learn's (and numpy's) on the stored
 * fixtures in tests/fixtures/sklearn/ (made once by
 * tests/fixtures/make-sklearn-fixtures.py) to 1e-9 relative, and against
 * cases computed by hand where scikit-learn has no such metric.  The
 * random machinery is checked against numpy's Philox and the exact
 * binomial law; the bootstrap for determinism over thread counts and
 * for agreement between its exact shortcuts and plain example resampling.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#else
#define omp_set_num_threads(n) ((void)(n))
#endif
#include <stdlib.h>
#include <string.h>

#include "bootstrap.h"
#include "error.h"
#include "metrics.h"
#include "util.h"

#ifndef BT_SKLEARN_FIXTURES
#error "BT_SKLEARN_FIXTURES must name the fixture directory"
#endif

/* ------------------------------------------------------------------------ */
/* helpers                                                                      */
/* ------------------------------------------------------------------------ */

static int close_rel(double a, double b, double rel)
{
	if (a == b)
		return 1;
	if (isnan(a) || isnan(b))
		return 0;
	return fabs(a - b) <= rel * fmax(fabs(a), fabs(b));
}

static const struct bt_metric_value *find(const struct bt_metric_value *v, size_t n,
                                          const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static struct bt_metric_opts opts_with(int resamples)
{
	struct bt_metric_opts o;

	memset(&o, 0, sizeof(o));
	o.resamples = resamples;
	o.seed = 12345;
	o.level = 0.95;
	o.k = 10;
	return o;
}

/* A fixture's inputs, owning every array the outcomes point at. */
struct fixture {
	json_t *doc;
	struct bt_outcomes o;
	unsigned char *ok;
	int32_t *yt, *yp;
	double *scores, *t, *p, *lat;
	const char ***ranking, ***relevant;
	size_t *nrank, *nrel;
};

static json_t *load_json(const char *name)
{
	char *path = bt_xasprintf("%s/%s.json", BT_SKLEARN_FIXTURES, name);
	json_error_t err;
	json_t *doc = json_load_file(path, 0, &err);

	cr_assert_not_null(doc, "%s: %s", path, err.text);
	free(path);
	return doc;
}

static double *doubles(json_t *arr, size_t n)
{
	double *v = bt_xmalloc(n * sizeof(*v));
	size_t i;

	cr_assert_eq(json_array_size(arr), n);
	for (i = 0; i < n; i++)
		v[i] = json_number_value(json_array_get(arr, i));
	return v;
}

static const char **strings(json_t *arr, size_t *n)
{
	const char **v;
	size_t i;

	*n = json_array_size(arr);
	v = bt_xmalloc((*n ? *n : 1) * sizeof(*v));
	for (i = 0; i < *n; i++)
		v[i] = json_string_value(json_array_get(arr, i));
	return v;
}

static void fixture_load(struct fixture *f, const char *name)
{
	const char *type;
	size_t n, i, j;

	memset(f, 0, sizeof(*f));
	f->doc = load_json(name);
	type = json_string_value(json_object_get(f->doc, "type"));
	n = (size_t)json_integer_value(json_object_get(f->doc, "n"));
	f->o.n = n;
	f->ok = bt_xmalloc(n);
	for (i = 0; i < n; i++)
		f->ok[i] = (unsigned char)json_integer_value(
		        json_array_get(json_object_get(f->doc, "ok"), i));
	f->o.ok = f->ok;
	f->lat = doubles(json_object_get(f->doc, "latency"), n);
	f->o.latency = f->lat;
	f->o.wall_seconds = json_number_value(json_object_get(f->doc, "wall_seconds"));
	if (strcmp(type, "classification") == 0) {
		json_t *sc = json_object_get(f->doc, "scores");
		size_t k = (size_t)json_integer_value(json_object_get(f->doc, "k"));

		f->o.type = BENCHTOP_TASK_CLASSIFICATION;
		f->o.k = k;
		f->yt = bt_xmalloc(n * sizeof(*f->yt));
		f->yp = bt_xmalloc(n * sizeof(*f->yp));
		for (i = 0; i < n; i++) {
			f->yt[i] = (int32_t)json_integer_value(
			        json_array_get(json_object_get(f->doc, "y_true"), i));
			f->yp[i] = (int32_t)json_integer_value(
			        json_array_get(json_object_get(f->doc, "y_pred"), i));
		}
		f->o.y_true = f->yt;
		f->o.y_pred = f->yp;
		if (sc) {
			f->scores = bt_xmalloc(n * k * sizeof(double));
			for (i = 0; i < n; i++)
				for (j = 0; j < k; j++)
					f->scores[i * k + j] = json_number_value(
					        json_array_get(json_array_get(sc, i), j));
			f->o.scores = f->scores;
		}
	} else if (strcmp(type, "regression") == 0) {
		f->o.type = BENCHTOP_TASK_REGRESSION;
		f->t = doubles(json_object_get(f->doc, "t_value"), n);
		f->p = doubles(json_object_get(f->doc, "p_value"), n);
		f->o.t_value = f->t;
		f->o.p_value = f->p;
	} else {
		cr_assert_str_eq(type, "retrieval");
		f->o.type = BENCHTOP_TASK_RETRIEVAL;
		f->ranking = bt_xmalloc(n * sizeof(*f->ranking));
		f->relevant = bt_xmalloc(n * sizeof(*f->relevant));
		f->nrank = bt_xmalloc(n * sizeof(*f->nrank));
		f->nrel = bt_xmalloc(n * sizeof(*f->nrel));
		for (i = 0; i < n; i++) {
			f->ranking[i] =
			        strings(json_array_get(json_object_get(f->doc, "ranking"), i),
			                &f->nrank[i]);
			f->relevant[i] =
			        strings(json_array_get(json_object_get(f->doc, "relevant"), i),
			                &f->nrel[i]);
		}
		f->o.ranking = (const char *const *const *)f->ranking;
		f->o.n_ranking = f->nrank;
		f->o.relevant = (const char *const *const *)f->relevant;
		f->o.n_relevant = f->nrel;
	}
}

static void fixture_free(struct fixture *f)
{
	size_t i;

	if (f->ranking)
		for (i = 0; i < f->o.n; i++) {
			free(f->ranking[i]);
			free(f->relevant[i]);
		}
	free(f->ranking);
	free(f->relevant);
	free(f->nrank);
	free(f->nrel);
	free(f->ok);
	free(f->yt);
	free(f->yp);
	free(f->scores);
	free(f->t);
	free(f->p);
	free(f->lat);
	json_decref(f->doc);
}

/*
 * Compute every metric the fixture has a reference value for and compare;
 * returns how many were compared (so a test cannot pass by comparing none).
 */
static size_t check_fixture(const char *name)
{
	struct fixture f;
	struct bt_metric_opts opts = opts_with(0);
	json_t *expected, *v;
	const char *key, **names;
	struct bt_metric_value *vals;
	int64_t *confusion = NULL;
	size_t nnames = 0, nvals, compared = 0;

	fixture_load(&f, name);
	expected = json_object_get(f.doc, "expected");
	names = bt_xmalloc(json_object_size(expected) * sizeof(*names));
	json_object_foreach(expected, key, v) names[nnames++] = key;
	cr_assert_eq(
	        bt_metrics_compute(&f.o, names, nnames, &opts, &vals, &nvals,
	                           f.o.type == BENCHTOP_TASK_CLASSIFICATION ? &confusion : NULL),
	        0, "%s: %s", name, bt_error_last());
	json_object_foreach(expected, key, v)
	{
		const struct bt_metric_value *got = find(vals, nvals, key);
		double want = json_number_value(v);

		cr_assert_not_null(got, "%s: no '%s' in the output", name, key);
		cr_expect(close_rel(got->value, want, 1e-9), "%s: %s is %.17g, %s says %.17g", name,
		          key, got->value,
		          json_string_value(json_object_get(json_object_get(f.doc, "source"), key)),
		          want);
		compared++;
	}
	if (confusion) {
		json_t *cm = json_object_get(f.doc, "confusion");
		size_t r, c, k = f.o.k;

		for (r = 0; r < k; r++)
			for (c = 0; c < k; c++)
				cr_expect_eq(confusion[r * k + c],
				             json_integer_value(
				                     json_array_get(json_array_get(cm, r), c)),
				             "%s: confusion[%zu][%zu]", name, r, c);
		compared++;
	}
	free(confusion);
	free(vals);
	free(names);
	fixture_free(&f);
	return compared;
}

/* ------------------------------------------------------------------------ */
/* agreement with scikit-learn                                                  */
/* ------------------------------------------------------------------------ */

Test(metrics, classification_agrees_with_sklearn)
{
	static const char *const sets[] = {
	        "binary-scores", "binary-no-scores", "multiclass-scores", "multiclass-no-scores",
	        "imbalanced",    "never-predicted",  "outside-label-set", "absent-from-truth",
	};
	size_t i, total = 0;

	for (i = 0; i < BT_ARRAY_SIZE(sets); i++)
		total += check_fixture(sets[i]);
	/* 5 common + 11 confusion-matrix metrics + the matrix, plus score metrics */
	cr_assert_geq(total, BT_ARRAY_SIZE(sets) * 17 + 3 * 3 + 2 * 2);
}

Test(metrics, regression_agrees_with_sklearn)
{
	cr_assert_eq(check_fixture("regression"), 9);
	cr_assert_eq(check_fixture("regression-small"), 9);
}

Test(metrics, ndcg_agrees_with_sklearn)
{
	cr_assert_eq(check_fixture("ranking"), 9);
}

Test(metrics, brier_is_sklearns_binary_definition)
{
	/* y = (1, 0), p1 = (0.8, 0.3): ((0.2)^2 + (0.3)^2) / 2, not doubled */
	int32_t yt[] = {1, 0}, yp[] = {1, 0};
	double sc[] = {0.2, 0.8, 0.7, 0.3};
	struct bt_outcomes o = {.type = BENCHTOP_TASK_CLASSIFICATION,
	                        .n = 2,
	                        .k = 2,
	                        .y_true = yt,
	                        .y_pred = yp,
	                        .scores = sc};
	struct bt_metric_opts opts = opts_with(0);
	const char *names[] = {"brier"};
	struct bt_metric_value *v;
	size_t nv;

	cr_assert_eq(bt_metrics_compute(&o, names, 1, &opts, &v, &nv, NULL), 0);
	cr_expect(close_rel(v[0].value, (0.04 + 0.09) / 2, 1e-12), "%.17g", v[0].value);
	free(v);
}

/* ------------------------------------------------------------------------ */
/* metrics scikit-learn lacks, by hand                                          */
/* ------------------------------------------------------------------------ */

static double generation_metric(const char *const *pred, const char *const *gold, size_t n,
                                const char *name, int normalize)
{
	struct bt_outcomes o = {
	        .type = BENCHTOP_TASK_GENERATION, .n = n, .t_text = gold, .p_text = pred};
	struct bt_metric_opts opts = opts_with(0);
	struct bt_metric_value *v;
	size_t nv;
	double x;

	opts.normalize = normalize;
	cr_assert_eq(bt_metrics_compute(&o, &name, 1, &opts, &v, &nv, NULL), 0, "%s",
	             bt_error_last());
	cr_assert_str_eq(v[0].name, name);
	x = v[0].value;
	free(v);
	return x;
}

static double chrf1(const char *hyp, const char *ref)
{
	return generation_metric(&hyp, &ref, 1, "chrf", 0);
}

Test(metrics, chrf_matches_sacrebleu_examples)
{
	/* sacreBLEU 2.x corpus_score values published with the HuggingFace chrF metric card */
	const char *h1[] = {
	        "The relationship between Obama and Netanyahu is not exactly friendly."};
	const char *r1[] = {"The ties between Obama and Netanyahu are not particularly friendly."};
	const char *h2[] = {"The relationship between cats and dogs is not exactly friendly.",
	                    "a good bookshop is just a genteel black hole that knows how to read."};
	const char *r2[] = {"The relationship between dogs and cats is not exactly friendly.",
	                    "A good bookshop is just a genteel Black Hole that knows how to read."};

	cr_expect(close_rel(generation_metric(h1, r1, 1, "chrf", 0), 61.576379378113785, 1e-12));
	cr_expect(close_rel(generation_metric(h2, r2, 2, "chrf", 0), 84.64214891738334, 1e-12),
	          "%.17g", generation_metric(h2, r2, 2, "chrf", 0));
}

Test(metrics, chrf_by_hand)
{
	/* "ab" vs "abc": orders 1-2 effective; P = 1, R = (2/3 + 1/2) / 2 = 7/12; F2 = 7/11 */
	cr_expect(close_rel(chrf1("ab", "abc"), 100.0 * 7 / 11, 1e-12), "%.17g",
	          chrf1("ab", "abc"));
	/* the reference has no trigram: the hypothesis' trigrams are not counted (sacreBLEU 2.x) */
	cr_expect(close_rel(chrf1("abcdefgh", "ab"), 55.0, 1e-12), "%.17g",
	          chrf1("abcdefgh", "ab"));
	/* white space is removed before n-grams are taken */
	cr_expect_eq(chrf1("a b\tc", "abc"), 100.0);
	/* characters are code points, not bytes: 5 effective orders, P = R = 49/150 */
	cr_expect(close_rel(chrf1("h\xc3\xa9llo", "hello"), 100.0 * 49 / 150, 1e-12), "%.17g",
	          chrf1("h\xc3\xa9llo", "hello"));
	cr_expect_eq(chrf1("xyz", "abc"), 0.0);
	cr_expect_eq(chrf1("", "abc"), 0.0);
	cr_expect_eq(chrf1("", ""), 0.0);
	{
		/* corpus level: statistics are summed, not scores averaged: 55/71 */
		const char *h[] = {"ab", "a b"}, *r[] = {"abc", "ab"};

		cr_expect(close_rel(generation_metric(h, r, 2, "chrf", 0), 100.0 * 55 / 71, 1e-12));
	}
}

Test(metrics, normalize_follows_squad)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	        {"  The  quick, brown fox!  ", "quick brown fox"},
	        {"An apple a day; theatre", "apple day theatre"},
	        {"A_B", "ab"},
	        {"a\xc2\xa0"
	         "cat",
	         "cat"}, /* NBSP is white space */
	        {"fox\xe2\x80\x94jumps",
	         "fox\xe2\x80\x94jumps"}, /* non-ASCII punctuation is kept */
	        {"the", ""},
	        {"", ""},
	        {"THE END.", "end"},
	};
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(cases); i++) {
		char *s = bt_metrics_normalize(cases[i].in);

		cr_expect_str_eq(s, cases[i].out, "normalize(\"%s\")", cases[i].in);
		free(s);
	}
}

Test(metrics, exact_match_and_token_f1_by_hand)
{
	const char *pred[] = {"The cat sat on the mat.", "cat sat", "x x y", "", "the", "Paris"};
	const char *gold[] = {"a cat sat on a mat", "the cat sat down", "x y y", "", "", "paris"};
	/* token F1 per pair: 1, 0.8, 2/3, 1 (both empty), 1 (both empty once normalised), 1 */
	double f1 = (1 + 0.8 + 2.0 / 3 + 1 + 1 + 1) / 6;

	cr_expect(close_rel(generation_metric(pred, gold, 6, "token_f1", 0), f1, 1e-12));
	/* raw exact match: only "" == "" */
	cr_expect(close_rel(generation_metric(pred, gold, 6, "exact_match", 0), 1.0 / 6, 1e-12));
	/* normalised: all but "cat sat", "x x y" */
	cr_expect(close_rel(generation_metric(pred, gold, 6, "exact_match", 1), 4.0 / 6, 1e-12));
	{
		const char *p1[] = {"cat"}, *g1[] = {"the dog"};

		cr_expect_eq(generation_metric(p1, g1, 1, "token_f1", 0), 0.0);
	}
}

static struct bt_metric_value *retrieval_case(size_t *nv, const char **names, size_t nnames)
{
	static const char *r0[] = {"d3", "d1", "d2"}, *l0[] = {"d1"};
	static const char *r1[] = {"x", "y", "z"}, *l1[] = {"z", "w"};
	static const char *r2[] = {"p"}, *l2[] = {NULL};
	static const char *r3[] = {"a", "a", "b"}, *l3[] = {"a", "a"};
	static const char *r4[] = {"q"}, *l4[] = {"q"};
	static const char *const *rank[] = {r0, r1, r2, r3, r4};
	static const char *const *rel[] = {l0, l1, l2, l3, l4};
	static const size_t nrank[] = {3, 3, 1, 3, 1}, nrel[] = {1, 2, 0, 2, 1};
	static const unsigned char ok[] = {1, 1, 1, 1, 0};
	struct bt_outcomes o = {.type = BENCHTOP_TASK_RETRIEVAL,
	                        .n = 5,
	                        .ok = ok,
	                        .ranking = rank,
	                        .n_ranking = nrank,
	                        .relevant = rel,
	                        .n_relevant = nrel};
	struct bt_metric_opts opts = opts_with(0);
	struct bt_metric_value *v;

	cr_assert_eq(bt_metrics_compute(&o, names, nnames, &opts, &v, nv, NULL), 0, "%s",
	             bt_error_last());
	return v;
}

Test(metrics, retrieval_by_hand)
{
	/*
	 * Query 0: first relevant at rank 2.  Query 1: relevant {z, w}, z at
	 * rank 3.  Query 2 has no relevant ids and is left out.  Query 3
	 * lists "a" twice in both lists: one relevant id, found at rank 1.
	 * Query 4 errored.
	 */
	const char *names[] = {"mrr", "recall@1", "recall@2", "recall@3", "ndcg@3"};
	size_t nv;
	struct bt_metric_value *v = retrieval_case(&nv, names, 5);
	double ndcg1 = (1 / (log(3) / log(2))) / 1.0;
	double ndcg2 = (1 / (log(4) / log(2))) / (1 + 1 / (log(3) / log(2)));

	cr_expect(close_rel(find(v, nv, "mrr")->value, (0.5 + 1.0 / 3 + 1) / 3, 1e-12));
	cr_expect_eq(find(v, nv, "mrr")->n, 3);
	cr_expect(close_rel(find(v, nv, "recall@1")->value, 1.0 / 3, 1e-12));
	cr_expect(close_rel(find(v, nv, "recall@2")->value, 2.0 / 3, 1e-12));
	cr_expect(close_rel(find(v, nv, "recall@3")->value, (1 + 0.5 + 1) / 3, 1e-12));
	cr_expect(close_rel(find(v, nv, "ndcg@3")->value, (ndcg1 + ndcg2 + 1) / 3, 1e-12));
	cr_expect_eq(find(v, nv, "errors")->value, 1);
	free(v);
}

Test(metrics, multiple_choice_accuracy_by_hand)
{
	int64_t t[] = {0, 1, 2, 3, 1}, p[] = {0, 2, 2, -1, 1};
	unsigned char ok[] = {1, 1, 1, 1, 0};
	double lat[] = {1, 2, 3, 4, NAN};
	struct bt_outcomes o = {.type = BENCHTOP_TASK_MULTIPLE_CHOICE,
	                        .n = 5,
	                        .ok = ok,
	                        .t_choice = t,
	                        .p_choice = p,
	                        .latency = lat,
	                        .wall_seconds = 2.5};
	struct bt_metric_opts opts = opts_with(0);
	struct bt_metric_value *v;
	size_t nv;

	cr_assert_eq(bt_metrics_compute(&o, NULL, 0, &opts, &v, &nv, NULL), 0);
	cr_assert_eq(nv, 6);
	cr_expect_str_eq(v[0].name, "accuracy");
	cr_expect_eq(v[0].value, 0.5);
	cr_expect_eq(v[0].n, 4);
	cr_expect_eq(v[0].higher_is_better, 1);
	cr_expect_str_eq(v[1].name, "errors");
	cr_expect_eq(v[1].value, 1);
	cr_expect_eq(v[1].higher_is_better, -1);
	/* numpy.percentile([1, 2, 3, 4], [50, 95, 99]); the NaN latency is left out */
	cr_expect_eq(find(v, nv, "latency_p50")->value, 2.5);
	cr_expect(close_rel(find(v, nv, "latency_p95")->value, 3.85, 1e-15));
	cr_expect(close_rel(find(v, nv, "latency_p99")->value, 3.97, 1e-15));
	cr_expect_eq(find(v, nv, "latency_p50")->n, 4);
	cr_expect_eq(find(v, nv, "throughput")->value, 2.0);
	cr_expect_eq(find(v, nv, "throughput")->higher_is_better, 0);
	cr_expect(isnan(find(v, nv, "throughput")->ci_low));
	cr_expect(isnan(find(v, nv, "errors")->se));
	free(v);
}

/* ------------------------------------------------------------------------ */
/* names, defaults, errors                                                      */
/* ------------------------------------------------------------------------ */

Test(metrics, score_metrics_are_omitted_by_default_without_scores)
{
	struct fixture f;
	struct bt_metric_opts opts = opts_with(0);
	struct bt_metric_value *v;
	const char *explicit[] = {"accuracy", "log_loss", "roc_auc"};
	size_t nv, i;

	fixture_load(&f, "binary-no-scores");
	cr_assert_eq(bt_metrics_compute(&f.o, NULL, 0, &opts, &v, &nv, NULL), 0);
	cr_expect_null(find(v, nv, "log_loss"));
	cr_expect_null(find(v, nv, "brier"));
	cr_expect_null(find(v, nv, "roc_auc"));
	cr_expect_not_null(find(v, nv, "f1_weighted"));
	/* the defaults first, in the registry's order, then the five every task has */
	cr_expect_str_eq(v[0].name, "accuracy");
	cr_expect_str_eq(v[nv - 1].name, "throughput");
	cr_expect_str_eq(v[nv - 5].name, "errors");
	for (i = 0; i < nv; i++)
		cr_expect(isfinite(v[i].value), "%s", v[i].name);
	free(v);

	cr_assert_eq(bt_metrics_compute(&f.o, explicit, 3, &opts, &v, &nv, NULL), 0);
	cr_assert_eq(nv, 8);
	cr_expect(isnan(find(v, nv, "log_loss")->value));
	cr_expect_eq(find(v, nv, "log_loss")->n, 0);
	cr_expect(isnan(find(v, nv, "roc_auc")->value));
	free(v);
	fixture_free(&f);
}

Test(metrics, rejects_unknown_names_and_bad_labels)
{
	int32_t yt[] = {0, 1}, yp[] = {0, 2};
	struct bt_outcomes o = {
	        .type = BENCHTOP_TASK_CLASSIFICATION, .n = 2, .k = 2, .y_true = yt, .y_pred = yp};
	struct bt_metric_opts opts = opts_with(0);
	const char *bad[] = {"acuracy"}, *good[] = {"accuracy"};
	struct bt_metric_value *v = NULL;
	size_t nv = 99;

	cr_assert_eq(bt_metrics_compute(&o, bad, 1, &opts, &v, &nv, NULL), BT_EINPUT);
	cr_expect_str_eq(bt_error_last(),
	                 "unknown metric 'acuracy' for classification (did you mean 'accuracy'?)");
	cr_expect_null(v);
	cr_expect_eq(nv, 0);
	cr_assert_eq(bt_metrics_compute(&o, good, 1, &opts, &v, &nv, NULL), BT_EINPUT);
	cr_expect(strstr(bt_error_last(), "out of range") != NULL, "%s", bt_error_last());
	opts.level = 1.5;
	yp[1] = 1;
	cr_assert_eq(bt_metrics_compute(&o, good, 1, &opts, &v, &nv, NULL), BT_EINPUT);
	o.y_pred = NULL;
	opts.level = 0.9;
	cr_assert_eq(bt_metrics_compute(&o, good, 1, &opts, &v, &nv, NULL), BT_EINPUT);
	cr_expect_str_eq(bt_error_last(), "outcomes lack y_true and y_pred");
}

/* ------------------------------------------------------------------------ */
/* edge cases                                                                   */
/* ------------------------------------------------------------------------ */

Test(metrics, roc_auc_is_nan_with_one_class_present)
{
	int32_t yt[] = {1, 1, 1}, yp[] = {1, 0, 1};
	double sc[] = {0.2, 0.8, 0.6, 0.4, 0.1, 0.9};
	struct bt_outcomes o = {.type = BENCHTOP_TASK_CLASSIFICATION,
	                        .n = 3,
	                        .k = 2,
	                        .y_true = yt,
	                        .y_pred = yp,
	                        .scores = sc};
	struct bt_metric_opts opts = opts_with(100);
	const char *names[] = {"roc_auc", "accuracy", "balanced_accuracy"};
	struct bt_metric_value *v;
	size_t nv;

	cr_assert_eq(bt_metrics_compute(&o, names, 3, &opts, &v, &nv, NULL), 0);
	cr_expect(isnan(v[0].value));
	cr_expect(isnan(v[0].ci_low) && isnan(v[0].ci_high) && isnan(v[0].se));
	cr_expect_eq(v[0].n, 3);
	cr_expect(close_rel(v[1].value, 2.0 / 3, 1e-15));
	cr_expect(close_rel(v[2].value, 2.0 / 3, 1e-15));
	free(v);
}

Test(metrics, all_examples_errored)
{
	struct fixture f;
	struct bt_metric_opts opts = opts_with(50);
	struct bt_metric_value *v;
	size_t nv, i;

	fixture_load(&f, "multiclass-scores");
	memset(f.ok, 0, f.o.n);
	cr_assert_eq(bt_metrics_compute(&f.o, NULL, 0, &opts, &v, &nv, NULL), 0);
	for (i = 0; i < nv; i++) {
		if (strncmp(v[i].name, "latency", 7) == 0 || strcmp(v[i].name, "errors") == 0 ||
		    strcmp(v[i].name, "throughput") == 0)
			continue;
		cr_expect(isnan(v[i].value), "%s = %g", v[i].name, v[i].value);
		cr_expect(isnan(v[i].ci_low), "%s", v[i].name);
		cr_expect_eq(v[i].n, 0, "%s", v[i].name);
	}
	cr_expect_eq(find(v, nv, "errors")->value, (double)f.o.n);
	/* latencies are still measured for errored examples */
	cr_expect(isfinite(find(v, nv, "latency_p95")->value));
	free(v);
	fixture_free(&f);
}

Test(metrics, a_single_example)
{
	double t[] = {3.0}, p[] = {2.5}, lat[] = {0.01};
	struct bt_outcomes o = {.type = BENCHTOP_TASK_REGRESSION,
	                        .n = 1,
	                        .t_value = t,
	                        .p_value = p,
	                        .latency = lat,
	                        .wall_seconds = 0.5};
	struct bt_metric_opts opts = opts_with(200);
	struct bt_metric_value *v;
	const struct bt_metric_value *mae;
	size_t nv;

	cr_assert_eq(bt_metrics_compute(&o, NULL, 0, &opts, &v, &nv, NULL), 0);
	mae = find(v, nv, "mae");
	cr_expect_eq(mae->value, 0.5);
	cr_expect_eq(mae->n, 1);
	cr_expect_eq(mae->ci_low, 0.5);
	cr_expect_eq(mae->ci_high, 0.5);
	cr_expect_eq(mae->se, 0.0);
	/* sklearn: R^2 is not defined below two samples */
	cr_expect(isnan(find(v, nv, "r2")->value));
	cr_expect_eq(find(v, nv, "latency_p99")->value, 0.01);
	cr_expect_eq(find(v, nv, "latency_p99")->ci_low, 0.01);
	cr_expect_eq(find(v, nv, "throughput")->value, 2.0);
	free(v);
}

Test(metrics, empty_strings)
{
	const char *pred[] = {"", "", "abc"}, *gold[] = {"", "abc", ""};
	const char *names[] = {"exact_match", "token_f1", "chrf"};
	struct bt_outcomes o = {
	        .type = BENCHTOP_TASK_GENERATION, .n = 3, .t_text = gold, .p_text = pred};
	struct bt_metric_opts opts = opts_with(100);
	struct bt_metric_value *v;
	size_t nv;

	cr_assert_eq(bt_metrics_compute(&o, names, 3, &opts, &v, &nv, NULL), 0);
	cr_expect(close_rel(v[0].value, 1.0 / 3, 1e-15));
	cr_expect(close_rel(v[1].value, 1.0 / 3, 1e-15));
	/* no order has n-grams on both sides: sacreBLEU scores 0 */
	cr_expect_eq(v[2].value, 0.0);
	cr_expect_eq(v[2].n, 3);
	free(v);
}

Test(metrics, no_examples_at_all)
{
	struct bt_outcomes o = {.type = BENCHTOP_TASK_CLASSIFICATION, .n = 0, .k = 0};
	struct bt_metric_opts opts = opts_with(10);
	struct bt_metric_value *v;
	int64_t *cm;
	size_t nv;

	cr_assert_eq(bt_metrics_compute(&o, NULL, 0, &opts, &v, &nv, &cm), 0);
	cr_expect(isnan(find(v, nv, "accuracy")->value));
	cr_expect_eq(find(v, nv, "errors")->value, 0);
	cr_expect(isnan(find(v, nv, "latency_p50")->value));
	free(v);
	free(cm);
}

/* ------------------------------------------------------------------------ */
/* per-example samples                                                          */
/* ------------------------------------------------------------------------ */

Test(metrics, sample_per_task_type)
{
	int correct;
	double score;
	struct bt_metric_opts opts = opts_with(0);

	{
		int32_t yt[] = {1, 0, 1}, yp[] = {1, -1, 0};
		double sc[] = {0.25, 0.75, 0.5, 0.5, 0.9, 0.1};
		unsigned char ok[] = {1, 1, 0};
		struct bt_outcomes o = {.type = BENCHTOP_TASK_CLASSIFICATION,
		                        .n = 3,
		                        .k = 2,
		                        .ok = ok,
		                        .y_true = yt,
		                        .y_pred = yp,
		                        .scores = sc};

		bt_metrics_sample(&o, 0, &opts, &correct, &score);
		cr_expect_eq(correct, 1);
		cr_expect_eq(score, 0.75);
		bt_metrics_sample(&o, 1, &opts, &correct, &score);
		cr_expect_eq(correct, 0);
		cr_expect_eq(score, 0.5);
		bt_metrics_sample(&o, 2, &opts, &correct, &score);
		cr_expect_eq(correct, 0);
		cr_expect(isnan(score));
		o.scores = NULL;
		bt_metrics_sample(&o, 0, &opts, &correct, &score);
		cr_expect(isnan(score));
	}
	{
		double t[] = {2.0}, p[] = {3.5};
		struct bt_outcomes o = {
		        .type = BENCHTOP_TASK_REGRESSION, .n = 1, .t_value = t, .p_value = p};

		bt_metrics_sample(&o, 0, &opts, &correct, &score);
		cr_expect_eq(correct, -1);
		cr_expect_eq(score, 1.5);
	}
	{
		const char *pt[] = {"The cat"}, *tt[] = {"cat sat"};
		struct bt_outcomes o = {
		        .type = BENCHTOP_TASK_GENERATION, .n = 1, .t_text = tt, .p_text = pt};

		bt_metrics_sample(&o, 0, &opts, &correct, &score);
		cr_expect_eq(correct, 0);
		cr_expect(close_rel(score, 2.0 / 3, 1e-15)); /* p = 1, r = 1/2 */
		pt[0] = "Cat sat!";
		bt_metrics_sample(&o, 0, &opts, &correct, &score);
		cr_expect_eq(correct, 0);
		opts.normalize = 1;
		bt_metrics_sample(&o, 0, &opts, &correct, &score);
		cr_expect_eq(correct, 1);
		cr_expect_eq(score, 1.0);
		opts.normalize = 0;
	}
	{
		int64_t t[] = {2, 1}, p[] = {2, -1};
		struct bt_outcomes o = {.type = BENCHTOP_TASK_MULTIPLE_CHOICE,
		                        .n = 2,
		                        .t_choice = t,
		                        .p_choice = p};

		bt_metrics_sample(&o, 0, &opts, &correct, &score);
		cr_expect_eq(correct, 1);
		cr_expect_eq(score, 1.0);
		bt_metrics_sample(&o, 1, &opts, &correct, &score);
		cr_expect_eq(correct, 0);
		cr_expect_eq(score, 0.0);
	}
	{
		const char *r0[] = {"a", "b", "c"}, *l0[] = {"c"};
		const char *const *rank[] = {r0}, *const * rel[] = {l0};
		size_t nr[] = {3}, nl[] = {1};
		struct bt_outcomes o = {.type = BENCHTOP_TASK_RETRIEVAL,
		                        .n = 1,
		                        .ranking = rank,
		                        .n_ranking = nr,
		                        .relevant = rel,
		                        .n_relevant = nl};

		bt_metrics_sample(&o, 0, &opts, &correct, &score);
		cr_expect_eq(correct, 1);
		cr_expect(close_rel(score, 1.0 / 3, 1e-15));
		opts.k = 2; /* hit within the top 2? */
		bt_metrics_sample(&o, 0, &opts, &correct, &score);
		cr_expect_eq(correct, 0);
	}
}

/* ------------------------------------------------------------------------ */
/* random machinery                                                             */
/* ------------------------------------------------------------------------ */

Test(bootstrap, philox_matches_numpy)
{
	/* numpy.random.Philox(key=..., counter=c).random_raw(4) is the block at counter c + 1 */
	const uint64_t k0[2] = {0, 0}, c0[4] = {1, 0, 0, 0};
	const uint64_t e0[4] = {UINT64_C(0x02f4ba6408e4d89b), UINT64_C(0x3dd62b0b9ca8c5b2),
	                        UINT64_C(0x1c8667a55d902e79), UINT64_C(0x907d7a052fd5b4dc)};
	const uint64_t k1[2] = {UINT64_C(0x0123456789abcdef), UINT64_C(0xfedcba9876543210)};
	const uint64_t c1[4] = {8, UINT64_C(0xffffffffffffffff), 3, UINT64_C(0x8000000000000000)};
	const uint64_t e1[4] = {UINT64_C(0x3f2f69f736dd0906), UINT64_C(0x8ef400e2a8f7a881),
	                        UINT64_C(0xb3324c53a7c8a8dc), UINT64_C(0x290f57b2ac015e33)};
	uint64_t out[4];
	int i;

	bt_philox4x64_10(c0, k0, out);
	for (i = 0; i < 4; i++)
		cr_expect_eq(out[i], e0[i], "word %d: %016llx", i, (unsigned long long)out[i]);
	bt_philox4x64_10(c1, k1, out);
	for (i = 0; i < 4; i++)
		cr_expect_eq(out[i], e1[i], "word %d: %016llx", i, (unsigned long long)out[i]);
}

/* log of the Binomial(n, p) probability of k */
static double binom_logpmf(uint64_t k, uint64_t n, double p)
{
	return lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1) +
	       (double)k * log(p) + (double)(n - k) * log1p(-p);
}

/*
 * Pearson's chi-square of `draws` samples against the exact law, over
 * bins of expected count >= 20 (tails merged).  Returns the statistic and
 * sets *df.
 */
static double binomial_chi2(uint64_t n, double p, size_t draws, uint64_t seed, size_t *df)
{
	struct bt_rng rng;
	uint64_t *hist = bt_xcalloc(n + 1, sizeof(*hist)), k;
	double chi2 = 0, exp_acc = 0, obs_acc = 0;
	size_t i, bins = 0;

	bt_rng_init(&rng, seed, 9, 0, 0);
	for (i = 0; i < draws; i++) {
		k = bt_rng_binomial(&rng, n, p);
		cr_assert_leq(k, n);
		hist[k]++;
	}
	for (k = 0; k <= n; k++) {
		exp_acc += (double)draws * exp(binom_logpmf(k, n, p));
		obs_acc += (double)hist[k];
		if (exp_acc >= 20 || k == n) {
			chi2 += (obs_acc - exp_acc) * (obs_acc - exp_acc) / fmax(exp_acc, 1e-300);
			bins++;
			exp_acc = obs_acc = 0;
		}
	}
	free(hist);
	*df = bins - 1;
	return chi2;
}

Test(bootstrap, binomial_sampler_follows_the_binomial_law)
{
	static const struct {
		uint64_t n;
		double p;
	} cases[] = {
	        {20, 0.3},    /* inversion */
	        {40, 0.2},    /* inversion, n p = 8 */
	        {30, 0.4},    /* BTRD near its lower limit */
	        {1000, 0.3},  /* BTRD */
	        {5000, 0.05}, /* BTRD, skewed */
	        {200, 0.85},  /* p > 1/2 by symmetry */
	        {100000, 0.5},
	};
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(cases); i++) {
		size_t df;
		double chi2 = binomial_chi2(cases[i].n, cases[i].p, 200000, 7 + i, &df);
		/* about 6 standard deviations of the chi-square law above its mean */
		double limit = (double)df + 6 * sqrt(2.0 * (double)df);

		cr_expect_lt(chi2, limit, "Binomial(%llu, %g): chi2 %.1f with %zu df",
		             (unsigned long long)cases[i].n, cases[i].p, chi2, df);
	}
}

Test(bootstrap, binomial_edge_cases)
{
	struct bt_rng rng;

	bt_rng_init(&rng, 1, 0, 0, 0);
	cr_expect_eq(bt_rng_binomial(&rng, 0, 0.5), 0);
	cr_expect_eq(bt_rng_binomial(&rng, 10, 0.0), 0);
	cr_expect_eq(bt_rng_binomial(&rng, 10, 1.0), 10);
	cr_expect_leq(bt_rng_binomial(&rng, UINT64_C(1) << 40, 1e-3), UINT64_C(1) << 40);
}

static void sum_counts(const uint64_t *counts, void *payload, double *out)
{
	BT_UNUSED(payload);
	out[0] = (double)counts[0];
	out[1] = (double)counts[1];
	out[2] = (double)counts[2];
	out[3] = (double)(counts[0] + counts[1] + counts[2] + counts[3]);
}

Test(bootstrap, multinomial_cells_have_the_multinomial_moments)
{
	const uint64_t cells[4] = {700000, 0, 200000, 100000};
	const int B = 4000;
	double *dist = bt_xmalloc((size_t)B * 4 * sizeof(*dist)), mean[3] = {0}, var0 = 0;
	int b, j;

	bt_boot_multinomial(cells, 4, B, 3, 1, 0, sum_counts, NULL, 4, dist);
	for (b = 0; b < B; b++) {
		cr_assert_eq(dist[b * 4 + 3], 1e6, "resample %d has %g draws", b, dist[b * 4 + 3]);
		cr_assert_eq(dist[b * 4 + 1], 0);
		for (j = 0; j < 3; j++)
			mean[j] += dist[b * 4 + j] / B;
	}
	for (b = 0; b < B; b++)
		var0 += (dist[b * 4] - mean[0]) * (dist[b * 4] - mean[0]) / (B - 1);
	/* mean n p (sd of the mean: sqrt(n p q / B) ~ 7); variance n p q = 210000 */
	cr_expect(fabs(mean[0] - 700000) < 40, "%g", mean[0]);
	cr_expect(fabs(mean[2] - 200000) < 40, "%g", mean[2]);
	cr_expect(fabs(var0 / 210000 - 1) < 0.1, "%g", var0);
	free(dist);
}

Test(bootstrap, quantile_matches_numpy_linear)
{
	const double x[] = {1, 2, 3, 4, 10};

	cr_expect_eq(bt_quantile_sorted(x, 5, 0.5), 3.0);
	cr_expect_eq(bt_quantile_sorted(x, 5, 0.0), 1.0);
	cr_expect_eq(bt_quantile_sorted(x, 5, 1.0), 10.0);
	/* numpy.percentile([1, 2, 3, 4, 10], 90) */
	cr_expect(close_rel(bt_quantile_sorted(x, 5, 0.9), 7.6, 1e-15));
	cr_expect(isnan(bt_quantile_sorted(x, 0, 0.5)));
}

Test(bootstrap, sorting)
{
	double v[] = {3.5, -1, 0, -0.0, 1e300, -1e-300, 2, 2, INFINITY, -INFINITY};
	double s[BT_ARRAY_SIZE(v)];
	uint32_t idx[BT_ARRAY_SIZE(v)];
	size_t i, n = BT_ARRAY_SIZE(v);

	memcpy(s, v, sizeof(v));
	bt_sort_doubles(s, n);
	for (i = 1; i < n; i++)
		cr_expect_leq(s[i - 1], s[i]);
	bt_sort_index(v, idx, n);
	for (i = 1; i < n; i++)
		cr_expect_leq(v[idx[i - 1]], v[idx[i]]);
	/* stable: the two 2s keep their order */
	for (i = 0; i < n; i++)
		if (v[idx[i]] == 2)
			break;
	cr_expect_eq(idx[i], 6);
	cr_expect_eq(idx[i + 1], 7);
}

/* ------------------------------------------------------------------------ */
/* the bootstrap                                                                */
/* ------------------------------------------------------------------------ */

static struct bt_metric_value *compute_all(struct fixture *f, int resamples, int threads,
                                           size_t *nv)
{
	struct bt_metric_opts opts = opts_with(resamples);
	struct bt_metric_value *v;

	opts.threads = threads;
	cr_assert_eq(bt_metrics_compute(&f->o, NULL, 0, &opts, &v, nv, NULL), 0, "%s",
	             bt_error_last());
	return v;
}

Test(bootstrap, results_do_not_depend_on_the_thread_count)
{
	static const char *const sets[] = {"multiclass-scores", "regression", "ranking"};
	size_t s;

	for (s = 0; s < BT_ARRAY_SIZE(sets); s++) {
		struct fixture f;
		struct bt_metric_value *one, *two, *three;
		size_t n1, n2, n3;

		fixture_load(&f, sets[s]);
		omp_set_num_threads(1);
		one = compute_all(&f, 300, 0, &n1);
		omp_set_num_threads(2);
		two = compute_all(&f, 300, 0, &n2);
		three = compute_all(&f, 300, 3, &n3);
		cr_assert_eq(n1, n2);
		cr_assert_eq(n1, n3);
		/* bit for bit, intervals included */
		cr_expect_eq(memcmp(one, two, n1 * sizeof(*one)), 0, "%s: 1 vs 2 threads", sets[s]);
		cr_expect_eq(memcmp(one, three, n1 * sizeof(*one)), 0, "%s: 1 vs 3 threads",
		             sets[s]);
		free(one);
		free(two);
		free(three);
		fixture_free(&f);
	}
}

Test(bootstrap, seeds_change_the_intervals)
{
	struct fixture f;
	struct bt_metric_opts a = opts_with(200), b = opts_with(200);
	struct bt_metric_value *va, *vb;
	size_t na, nb;

	fixture_load(&f, "regression");
	b.seed = a.seed + 1;
	cr_assert_eq(bt_metrics_compute(&f.o, NULL, 0, &a, &va, &na, NULL), 0);
	cr_assert_eq(bt_metrics_compute(&f.o, NULL, 0, &b, &vb, &nb, NULL), 0);
	cr_expect_eq(va[0].value, vb[0].value);
	cr_expect_neq(va[0].ci_low, vb[0].ci_low);
	free(va);
	free(vb);
	fixture_free(&f);
}

Test(bootstrap, a_lower_level_gives_a_narrower_interval)
{
	struct fixture f;
	struct bt_metric_opts a = opts_with(500), b = opts_with(500);
	struct bt_metric_value *va, *vb;
	size_t na, nb, i;

	fixture_load(&f, "binary-scores");
	b.level = 0.8;
	cr_assert_eq(bt_metrics_compute(&f.o, NULL, 0, &a, &va, &na, NULL), 0);
	cr_assert_eq(bt_metrics_compute(&f.o, NULL, 0, &b, &vb, &nb, NULL), 0);
	for (i = 0; i < na; i++) {
		if (isnan(va[i].ci_low))
			continue;
		cr_expect_lt(vb[i].ci_high - vb[i].ci_low, va[i].ci_high - va[i].ci_low, "%s",
		             va[i].name);
		cr_expect_eq(vb[i].se, va[i].se, "%s: the same resamples", va[i].name);
	}
	free(va);
	free(vb);
	fixture_free(&f);
}

Test(bootstrap, intervals_contain_the_estimate)
{
	static const char *const sets[] = {"binary-scores", "multiclass-scores", "imbalanced",
	                                   "regression", "ranking"};
	size_t s, i;

	for (s = 0; s < BT_ARRAY_SIZE(sets); s++) {
		struct fixture f;
		struct bt_metric_value *v;
		size_t nv, with_ci = 0;

		fixture_load(&f, sets[s]);
		v = compute_all(&f, 1000, 0, &nv);
		for (i = 0; i < nv; i++) {
			if (strcmp(v[i].name, "errors") == 0 ||
			    strcmp(v[i].name, "throughput") == 0) {
				cr_expect(isnan(v[i].ci_low) && isnan(v[i].se), "%s", v[i].name);
				continue;
			}
			cr_expect(v[i].ci_low <= v[i].value && v[i].value <= v[i].ci_high,
			          "%s %s: %g not in [%g, %g]", sets[s], v[i].name, v[i].value,
			          v[i].ci_low, v[i].ci_high);
			cr_expect(v[i].ci_low < v[i].ci_high, "%s %s", sets[s], v[i].name);
			cr_expect(v[i].se > 0, "%s %s", sets[s], v[i].name);
			with_ci++;
		}
		cr_expect_geq(with_ci, 4, "%s", sets[s]);
		free(v);
		fixture_free(&f);
	}
}

/* An example-resampling bootstrap of accuracy and macro-F1, to compare with the cells one. */
struct cm_case {
	const int32_t *yt, *yp;
	size_t n, k;
};

static void weighted_acc_f1(const uint32_t *w, void *payload, double *out)
{
	const struct cm_case *c = payload;
	double tp[8] = {0}, pred[8] = {0}, truth[8] = {0}, total = 0, f1 = 0;
	size_t i, l, labels = 0;

	for (i = 0; i < c->n; i++) {
		if (!w[i])
			continue;
		truth[c->yt[i]] += w[i];
		pred[c->yp[i]] += w[i];
		if (c->yt[i] == c->yp[i])
			tp[c->yt[i]] += w[i];
		total += w[i];
	}
	out[0] = 0;
	for (l = 0; l < c->k; l++) {
		double p, r;

		out[0] += tp[l] / total;
		if (!truth[l] && !pred[l])
			continue;
		labels++;
		p = pred[l] ? tp[l] / pred[l] : 0;
		r = truth[l] ? tp[l] / truth[l] : 0;
		f1 += p + r > 0 ? 2 * p * r / (p + r) : 0;
	}
	out[1] = f1 / (double)labels;
}

Test(bootstrap, cell_resampling_agrees_with_example_resampling)
{
	const size_t n = 20000;
	const int B = 2000;
	int32_t *yt = bt_xmalloc(n * sizeof(*yt)), *yp = bt_xmalloc(n * sizeof(*yp));
	struct cm_case c = {yt, yp, n, 3};
	struct bt_outcomes o = {.type = BENCHTOP_TASK_CLASSIFICATION, .n = n, .k = 3};
	struct bt_metric_opts opts = opts_with(B);
	const char *names[] = {"accuracy", "f1_macro"};
	struct bt_metric_value *v;
	double *dist = bt_xmalloc((size_t)B * 2 * sizeof(*dist));
	struct bt_rng rng;
	size_t i, nv;
	int j;

	/* imbalanced labels, 75% right */
	bt_rng_init(&rng, 5, 0, 0, 0);
	for (i = 0; i < n; i++) {
		double u = bt_rng_uniform(&rng);

		yt[i] = u < 0.6 ? 0 : u < 0.9 ? 1 : 2;
		yp[i] = bt_rng_uniform(&rng) < 0.75
		                ? yt[i]
		                : (yt[i] + 1 + (int32_t)bt_rng_below(&rng, 2)) % 3;
	}
	o.y_true = yt;
	o.y_pred = yp;
	cr_assert_eq(bt_metrics_compute(&o, names, 2, &opts, &v, &nv, NULL), 0);
	bt_boot_examples(n, B, 99, 1, 0, weighted_acc_f1, &c, 2, dist);
	for (j = 0; j < 2; j++) {
		double lo, hi, se;

		bt_boot_summary(dist, (size_t)B, 2, (size_t)j, 0.95, &lo, &hi, &se);
		/* Monte Carlo error of a 2000-resample SE is about 1.6%, of an end about 0.06 SE */
		cr_expect(fabs(v[j].se / se - 1) < 0.1, "%s: se %g (cells) vs %g (examples)",
		          names[j], v[j].se, se);
		cr_expect(fabs(v[j].ci_low - lo) < 0.3 * se, "%s: low %g vs %g", names[j],
		          v[j].ci_low, lo);
		cr_expect(fabs(v[j].ci_high - hi) < 0.3 * se, "%s: high %g vs %g", names[j],
		          v[j].ci_high, hi);
	}
	/* and both agree with the binomial standard error of accuracy */
	cr_expect(fabs(v[0].se / sqrt(v[0].value * (1 - v[0].value) / (double)n) - 1) < 0.1);
	free(v);
	free(dist);
	free(yt);
	free(yp);
}

/* The 0.9-quantile of a resample, by brute force from its weights. */
struct q_case {
	const double *sorted;
	size_t n;
};

static void weighted_q90(const uint32_t *w, void *payload, double *out)
{
	const struct q_case *c = payload;
	double *v = bt_xmalloc(c->n * sizeof(*v));
	size_t i, m = 0;
	uint32_t j;

	for (i = 0; i < c->n; i++)
		for (j = 0; j < w[i]; j++)
			v[m++] = c->sorted[i];
	out[0] = bt_quantile_sorted(v, m, 0.9);
	free(v);
}

Test(bootstrap, order_statistic_resampling_agrees_with_example_resampling)
{
	const size_t n = 5000;
	const int B = 2000;
	double *x = bt_xmalloc(n * sizeof(*x));
	double *d1 = bt_xmalloc((size_t)B * sizeof(*d1)), *d2 = bt_xmalloc((size_t)B * sizeof(*d2));
	struct q_case c = {x, n};
	struct bt_rng rng;
	double lo1, hi1, se1, lo2, hi2, se2;
	size_t i;

	bt_rng_init(&rng, 8, 0, 0, 0);
	for (i = 0; i < n; i++)
		x[i] = -log(bt_rng_uniform(&rng)); /* exponential latencies */
	bt_sort_doubles(x, n);
	bt_boot_quantile(x, n, 0.9, B, 1, 2, 0, d1);
	bt_boot_examples(n, B, 2, 1, 0, weighted_q90, &c, 1, d2);
	bt_boot_summary(d1, (size_t)B, 1, 0, 0.95, &lo1, &hi1, &se1);
	bt_boot_summary(d2, (size_t)B, 1, 0, 0.95, &lo2, &hi2, &se2);
	cr_expect(fabs(se1 / se2 - 1) < 0.1, "se %g (order statistics) vs %g (examples)", se1, se2);
	cr_expect(fabs(lo1 - lo2) < 0.3 * se2, "low %g vs %g", lo1, lo2);
	cr_expect(fabs(hi1 - hi2) < 0.3 * se2, "high %g vs %g", hi1, hi2);
	/* and every resampled quantile lies between neighbouring data points */
	for (i = 0; i < (size_t)B; i++)
		cr_assert(d1[i] >= x[0] && d1[i] <= x[n - 1]);
	free(x);
	free(d1);
	free(d2);
}
