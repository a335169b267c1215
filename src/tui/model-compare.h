/*
 * model-compare.h - what the compare view shows about two or more runs:
 * their metrics side by side with deltas against the first (the
 * baseline) and whether each delta is significant, the examples whose
 * outcome flipped, and the params and setup that differ.
 *
 * Significance.  When both runs have samples for a task on the same
 * examples (joined on task name and index, with equal example ids), the
 * test is paired: McNemar's exact test on the per-example `correct` for
 * accuracy-type metrics (accuracy, exact_match), and a paired bootstrap
 * of the per-example scores for metrics that are their mean (mae,
 * token_f1, mrr).  Other metrics, and runs without paired samples, are
 * tested with a z test on the two stored standard errors.  p-values are
 * corrected for the number of tests with Holm's method; a delta is
 * significant below alpha 0.05 after correction, and better or worse by
 * the metric's direction (bt_metrics_direction).
 *
 * Reads with single statements that finish inside bt_compare_load().  No
 * curses: tests/unit/test-tui-compare.c checks it on real databases.
 */
#ifndef BT_TUI_MODEL_COMPARE_H
#define BT_TUI_MODEL_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define BT_COMPARE_ALPHA 0.05

struct bt_cmp_run {
	int64_t id;
	char *name, *status, *suite, *suite_hash, *model, *model_version, *sha, *branch;
	int dirty, has_seed;
	int64_t seed;
};

enum bt_cmp_test {
	BT_TEST_NONE,      /* nothing to test with */
	BT_TEST_MCNEMAR,   /* exact McNemar on paired correct/wrong */
	BT_TEST_BOOTSTRAP, /* paired bootstrap of per-example scores */
	BT_TEST_CI,        /* z test on the two standard errors (unpaired) */
};
const char *bt_cmp_test_name(enum bt_cmp_test t);

/* One (task, metric) across the runs; index 0 is the baseline. */
struct bt_cmp_metric {
	char *task, *metric;
	double *value, *se; /* per run; NaN when the run lacks it */
	/* Against the baseline, per run (index 0 unused). */
	double *delta, *p; /* p is Holm-adjusted; NaN when untested */
	enum bt_cmp_test *test;
	int *sig;      /* 0 not significant, +1 better, -1 worse, 2 changed (no direction) */
	size_t *pairs; /* examples paired for the test */
};

/* An example whose outcome differs between the baseline and run `other`. */
struct bt_cmp_flip {
	size_t other;
	char *task;
	int64_t idx;
	char *example_id, *target, *pred_base, *pred_other;
	int correct_base, correct_other;
};

struct bt_cmp_param {
	char *key;
	char **value; /* per run; NULL when unset */
	int differs;
};

struct bt_compare {
	size_t nruns;
	struct bt_cmp_run *runs;
	struct bt_cmp_metric *metrics;
	size_t nmetrics;
	struct bt_cmp_flip *flips;
	size_t nflips;
	/* Per run (index 0 unused): flips found, and of them fixed (wrong -> right) in that run. */
	size_t *flips_total, *flips_fixed;
	struct bt_cmp_param *params;
	size_t nparams;
};

/*
 * Compare runs `ids[0..n)` (n >= 2; the first is the baseline).  At most
 * `max_flips` flipped examples are kept per pair (all are counted).
 * BT_ENOTFOUND when a run does not exist.
 */
int bt_compare_load(struct bt_compare **out, struct bt_store *s, const int64_t *ids, size_t n,
                    size_t max_flips);
void bt_compare_free(struct bt_compare *c);

#endif
