/*
 * check.h - the regression gate behind `benchtop check`: which runs to
 * check, what to compare them with, and per task and metric whether the
 * candidate regressed, improved or stayed the same.
 *
 * A decision needs two things: significance at alpha after Holm-Bonferroni
 * over the metrics tested for one candidate, and an effect of at least
 * min_delta (absolute, or relative to the baseline) in the metric's worse
 * direction.  The test depends on what the two runs recorded:
 *
 *   accuracy, exact_match    exact McNemar on the per-example `correct`
 *   errors                   exact McNemar on the per-example error flag
 *   mae, mse, rmse, token_f1, mrr
 *                            paired bootstrap on the per-example `score`
 *                            (mse and rmse: on its square)
 *   latency_p50/p95/p99      Mann-Whitney U on the per-example latencies
 *   anything else, or runs without samples on the same examples
 *                            z test on the two runs' confidence intervals
 *
 * Samples are paired on (task name, idx), and only when both runs hold the
 * same examples.  Timing metrics (latency_*, throughput) are compared only
 * when named in bt_check_opts.metrics or gated by the suite: they follow
 * the machine's load as much as the commit.  Nothing here prints: results come back as a report that
 * the front end renders (check-report.c: table, JSON, JUnit, Markdown).
 */
#ifndef BT_CHECK_H
#define BT_CHECK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "run.h"
#include "store.h"
#include "suite.h"

enum bt_check_verdict {
	BT_VERDICT_UNCHANGED,
	BT_VERDICT_IMPROVED,
	BT_VERDICT_REGRESSED,
};
const char *bt_check_verdict_name(enum bt_check_verdict v);

enum bt_check_test {
	BT_TEST_NONE, /* nothing to test with: no samples, no intervals */
	BT_TEST_MCNEMAR,
	BT_TEST_BOOTSTRAP,
	BT_TEST_MANN_WHITNEY,
	BT_TEST_CI,
};
const char *bt_check_test_name(enum bt_check_test t);

/* One compared task x metric. */
struct bt_check_row {
	char *task, *metric;
	int direction;              /* +1 higher is better, -1 lower is better */
	double baseline, candidate; /* the runs' recorded values */
	double delta;               /* candidate - baseline */
	double ci_low, ci_high;     /* 95% interval of the difference; NaN when none */
	double p_raw, p_value;      /* unadjusted and Holm-adjusted; NaN: untested */
	enum bt_check_test test;
	size_t n;         /* paired examples behind the test; 0 when unpaired */
	double alpha;     /* the level this row is decided at */
	double min_delta; /* required effect; relative: a fraction of the baseline */
	int min_delta_relative;
	enum bt_check_verdict verdict;
	const char *note; /* static text saying why a row is untested or unpaired; NULL */
};

enum bt_check_outcome {
	BT_CHECK_COMPARED,    /* rows hold the comparison */
	BT_CHECK_NO_BASELINE, /* nothing to compare with; message says why */
	BT_CHECK_FAILED_RUN,  /* the candidate run failed or was interrupted */
};

/* One candidate run and what came of it. */
struct bt_check_item {
	struct bt_run candidate;
	struct bt_run baseline; /* id 0 when there is none */
	enum bt_check_outcome outcome;
	char *message; /* for NO_BASELINE and FAILED_RUN; also a warning when unpaired */
	struct bt_check_row *rows;
	size_t nrows, cap;
	size_t regressed, improved, unchanged;
};

struct bt_check_report {
	struct bt_check_item *items;
	size_t n, cap;
	size_t regressed, improved, unchanged; /* rows over every item */
	size_t failed, missing;                /* items that failed or had no baseline */
	double alpha, min_delta;
	int min_delta_relative;
	char head[41]; /* HEAD when the candidates were chosen by default ("" otherwise) */
	char *branch;  /* its branch, NULL when detached or unknown */
};

/*
 * A per-metric gate from the suite file, for candidate `run`'s task `task`:
 * its own direction, min_delta and alpha override the defaults where set.
 * Returns NULL when the suite sets none.  The gate must stay valid until
 * bt_check_compare() returns.
 */
typedef const struct bt_gate *(*bt_check_gate_fn)(const struct bt_run *run, const char *task,
                                                  const char *metric, void *payload);

/*
 * The gate a parsed suite sets for `metric` of task `task`: the task's own
 * gates first, then the suite-wide ones; a gate names METRIC or
 * TASK/METRIC.  NULL when none applies.  (For a bt_check_gate_fn that
 * loads each candidate's suite from its recorded suite_path.)
 */
const struct bt_gate *bt_check_suite_gate(const struct bt_suite *suite, const char *task,
                                          const char *metric);

struct bt_check_opts {
	const char *repo_path;         /* locates the git repository (the cwd) */
	const char *const *candidates; /* run references; none: the default at HEAD */
	size_t ncandidates;
	const char *against;        /* a run reference; NULL: the history default */
	const char *const *metrics; /* METRIC or TASK/METRIC; none: every metric */
	size_t nmetrics;
	double alpha;           /* default 0.01 */
	double min_delta;       /* default 0 */
	int min_delta_relative; /* min_delta is a fraction of the baseline */
	int resamples;          /* paired bootstrap; default 10000 */
	uint64_t seed;          /* bootstrap seed; default 0 */
	bt_check_gate_fn gate;  /* NULL: no per-metric gates */
	void *gate_payload;
};

/* Fill unset options (zero) with their defaults. */
void bt_check_opts_defaults(struct bt_check_opts *o);

/*
 * The candidate runs: each reference resolved, or by default the latest
 * run that is not running of each suite x model at HEAD (unsharded, eval).
 * Fills report->head and ->branch in the default case.
 * BT_ENOTFOUND when there are none; BT_EINPUT for a running candidate.
 */
int bt_check_candidates(struct bt_store *s, const struct bt_check_opts *o, int64_t **ids, size_t *n,
                        char head[41], char **branch);

/*
 * The baseline for `cand`: with `against` NULL, the most recent finished,
 * clean, unsharded run of the same suite, suite hash and model on an
 * earlier commit of cand's first-parent history; otherwise that reference
 * (a run id, uuid prefix or @~N is that very run; tag:NAME and git
 * revisions pick the run of the same suite and model carrying the tag or
 * made at that commit).  BT_ENOTFOUND, with a message, when there is none;
 * BT_EINPUT when the reference itself is wrong.
 */
int bt_check_baseline(struct bt_store *s, const struct bt_check_opts *o, const struct bt_run *cand,
                      int64_t *out);

/*
 * Compare the candidates `ids` (each against its baseline) into a new
 * report (free with bt_check_report_free).  Missing baselines and failed
 * candidates are items of the report, not errors.
 */
int bt_check_compare(struct bt_store *s, const struct bt_check_opts *o, const int64_t *ids,
                     size_t n, struct bt_check_report **out);
void bt_check_report_free(struct bt_check_report *r);

/*
 * The building blocks, exposed for the tests' error-rate simulations.
 * Each fills row->test, p_raw, ci_low, ci_high and n from paired data;
 * `base` and `cand` are per-example outcomes (1 right, 0 wrong, -1 no
 * outcome); with `as_count` the interval is in examples (the `errors`
 * metric), otherwise in a rate.  Bootstrap rows get an interval only
 * `with_ci` (rmse is tested through squared errors, whose interval is not
 * in rmse's unit).  Mann-Whitney rows take their interval from the runs'
 * standard errors (NaN: none).
 */
void bt_check_test_mcnemar(struct bt_check_row *row, const signed char *base,
                           const signed char *cand, size_t n, int as_count);
int bt_check_test_bootstrap(struct bt_check_row *row, const double *base, const double *cand,
                            size_t n, int resamples, uint64_t seed, int with_ci);
void bt_check_test_mann_whitney(struct bt_check_row *row, const double *base, size_t nb,
                                const double *cand, size_t nc, double base_se, double cand_se);
void bt_check_test_ci(struct bt_check_row *row, double base_se, double cand_se);

/*
 * Holm-Bonferroni over the tested rows of one candidate, then a verdict
 * for every row (see the top of this file).
 */
void bt_check_decide(struct bt_check_row *rows, size_t n);

/* The one-line summary ("check: FAIL: 1 regressed, ..."); caller frees. */
char *bt_check_summary(const struct bt_check_report *r);

/* The whole report as JSON (a new reference). */
json_t *bt_check_report_json(const struct bt_check_report *r);

#endif
