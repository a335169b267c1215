/*
 * metrics.h - metric definitions and their uncertainty.
 *
 * Given what a model predicted for every test example of a task (struct
 * bt_outcomes), compute the metrics a suite asks for, each with a seeded
 * percentile bootstrap confidence interval and standard error.  Metrics
 * that depend only on the confusion matrix are bootstrapped by resampling
 * the matrix's cells (multinomial), at a cost independent of the number of
 * examples; the others resample examples in parallel with OpenMP.  Every
 * random draw comes from a counter-based generator keyed by (seed,
 * resample), so results do not depend on the number of threads.
 *
 * Values agree with scikit-learn's to 1e-9 relative wherever scikit-learn
 * has the metric (tests/unit/test-metrics.c checks stored fixtures).
 * Nothing here touches the store, plugins or the terminal.
 */
#ifndef BT_METRICS_H
#define BT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "benchtop/plugin.h"

/*
 * What happened on each of a task's n test examples.  ok[i] is 0 for an
 * example that errored; such examples are left out of quality metrics and
 * counted in `errors`.  Only the arrays of the task's type need be set.
 */
struct bt_outcomes {
	enum benchtop_task_type type;
	size_t n;
	const unsigned char *ok;

	/* classification: label indices into k labels; y_pred -1 for a label outside the set */
	size_t k;
	const int32_t *y_true;
	const int32_t *y_pred;
	const double *scores; /* n * k per-class scores, or NULL; a row of NaN when absent */

	/* regression */
	const double *t_value, *p_value;

	/* generation: reference and produced text */
	const char *const *t_text, *const *p_text;

	/* multiple choice: correct and chosen index (-1 when out of range) */
	const int64_t *t_choice, *p_choice;

	/* retrieval: ranked ids produced, and the relevant ids, per example */
	const char *const *const *ranking;
	const size_t *n_ranking;
	const char *const *const *relevant;
	const size_t *n_relevant;

	/* every task */
	const double *latency; /* seconds in predict, per example (a batch's time split evenly) */
	double wall_seconds;   /* elapsed time of the whole task, for throughput */
};

/* Options; a NULL pointer means every default (1000 resamples, seed 0). */
struct bt_metric_opts {
	int resamples; /* bootstrap resamples; 0: no intervals (NaN) */
	uint64_t seed;
	double level;  /* confidence level; 0 means the default, 0.95 */
	int normalize; /* generation: normalise (bt_metrics_normalize) before exact match */
	/*
	 * Retrieval: the cutoff behind a sample's `correct` (a relevant id in
	 * the top k; default 10).  Metric names carry their own ("ndcg@5").
	 */
	int k;
	int threads; /* OpenMP threads for resampling; 0: OpenMP's default */
};

struct bt_metric_value {
	char name[48];              /* e.g. "accuracy", "f1_macro", "recall@10", "latency_p95" */
	double value;               /* NaN when undefined (e.g. ROC AUC with one class present) */
	double ci_low, ci_high, se; /* NaN without bootstrap or where meaningless */
	size_t n;                   /* examples behind the value */
	int higher_is_better;       /* +1, -1, or 0 for neutral (counts, throughput) */
};

/*
 * Names of the metrics a task type supports, and its defaults.  Retrieval
 * names carry their cutoff ("recall@10"); a suite may ask for any "@K".
 */
const char *const *bt_metrics_supported(enum benchtop_task_type type, size_t *n);
const char *const *bt_metrics_defaults(enum benchtop_task_type type, size_t *n);

/*
 * Is `name` a metric of `type`?  0, or BT_EINPUT with a message that
 * suggests the closest name ("unknown metric 'acuracy' for classification
 * (did you mean 'accuracy'?)").
 */
int bt_metrics_check(enum benchtop_task_type type, const char *name);

/* Which way is better for a metric name: +1, -1, or 0. */
int bt_metrics_direction(const char *name);

/*
 * Compute `names` (plus, always, errors, latency_p50/p95/p99 and
 * throughput) over `o`.  *out is an array of *nout values the caller
 * frees: the requested metrics in the order given (repeats dropped), then
 * the five every task has.  For classification *confusion (if not NULL)
 * receives a k*k matrix (rows true, columns predicted; predictions of -1
 * are in no column; caller frees).
 *
 * `names` NULL (or nnames 0) asks for the type's defaults, less log_loss,
 * brier and roc_auc when no example has scores; asked for by name, those
 * are reported as NaN with n 0 instead.  Without latencies (o->latency
 * NULL) the latency percentiles are NaN.  Definitions, their agreement
 * with scikit-learn and sacreBLEU, and the bootstrap: benchtop-metrics(7).
 *
 * Returns 0, or BT_EINPUT for an unknown metric name, a level outside
 * (0, 1), negative resamples, missing arrays for the task type, or a
 * label index out of range on a non-errored example.  Runs OpenMP
 * parallel regions (see TRAPS.md on fork()).
 */
int bt_metrics_compute(const struct bt_outcomes *o, const char *const *names, size_t nnames,
                       const struct bt_metric_opts *opts, struct bt_metric_value **out,
                       size_t *nout, int64_t **confusion);

/*
 * The per-example view stored with each sample: whether it was correct
 * (1/0, or -1 where the task has no such notion, as in regression) and a
 * per-example score (the true label's probability, absolute error, token
 * F1, reciprocal rank; NaN when there is none).  In detail:
 *   classification   correct: y_pred == y_true; score: the true label's
 *                    probability as log loss sees it (scores clipped to
 *                    [eps, 1 - eps] and renormalised), so -log(score) is
 *                    the example's log loss; NaN without scores
 *   regression       correct -1; score |p - t|
 *   generation       correct: exact match (normalised if opts->normalize);
 *                    score: token F1
 *   multiple_choice  correct: the right choice; score: 1 or 0
 *   retrieval        correct: a relevant id in the top opts->k; score: the
 *                    reciprocal rank of the first relevant id (0 if none;
 *                    NaN when the example has no relevant ids)
 * An errored example (ok[i] == 0) is not correct (0, or -1 for
 * regression) and has score NaN.
 */
void bt_metrics_sample(const struct bt_outcomes *o, size_t i, const struct bt_metric_opts *opts,
                       int *correct, double *score);

/*
 * Text normalisation used by exact match and token F1 (SQuAD's: lower
 * case, strip punctuation and the articles a/an/the, collapse blanks).
 * Case folding and punctuation are ASCII's; white space is Unicode's (as
 * Python's str.split()).  Returns a new string (never NULL; s may be NULL).
 */
char *bt_metrics_normalize(const char *s);

#endif
