/*
 * stats.h - the statistics behind comparisons and the regression gate:
 * paired tests on per-example samples, tests on two independent samples,
 * multiple-testing correction and change points along a history.
 *
 * Pure functions over arrays: no store, no terminal.  Every random draw is
 * seeded and counter-based, so results do not depend on thread count.
 */
#ifndef BT_STATS_H
#define BT_STATS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Exact two-sided McNemar test on paired binary outcomes: b examples right
 * in A and wrong in B, c the other way round.  Returns the p-value of the
 * exact binomial test of b against Binomial(b + c, 1/2) (1 when b + c = 0).
 */
double bt_stats_mcnemar(uint64_t b, uint64_t c);

/*
 * Paired bootstrap of the difference mean(y) - mean(x) over n paired
 * per-example scores (NaN pairs are skipped).  Fills the observed delta,
 * its percentile interval at `level` and a two-sided p-value (the share of
 * resampled deltas on the other side of zero, doubled, with the +1
 * correction).  Returns 0, or BT_EINPUT when fewer than 2 pairs remain.
 */
struct bt_paired_result {
	double delta, ci_low, ci_high, p_value;
	size_t n;
};
int bt_stats_paired_bootstrap(const double *x, const double *y, size_t n, int resamples,
                              uint64_t seed, double level, struct bt_paired_result *out);

/*
 * Mann-Whitney U test (two-sided, normal approximation with tie
 * correction and continuity correction) of x[0..nx) against y[0..ny).
 * Returns the p-value; *u receives U for x.
 */
double bt_stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, double *u);

/*
 * Holm-Bonferroni: adjust m p-values in place (adjusted p-values, monotone,
 * capped at 1), so that comparing each with alpha controls the
 * family-wise error rate.
 */
void bt_stats_holm(double *p, size_t m);

/*
 * Do two independent estimates with confidence intervals differ?  Used
 * when samples are missing: returns an approximate two-sided p-value from
 * the standard errors (z-test on the difference).
 */
double bt_stats_ci_test(double a, double a_se, double b, double b_se);

/*
 * Change points along a series ordered oldest first: values[i] with
 * standard errors se[i] (NaN where unknown).  Marks flags[i] = 1 when the
 * series shifted between i-1 and i beyond its noise (binary segmentation
 * on a penalised Gaussian likelihood, shifts also checked against the
 * points' own intervals).  Returns the number of change points.
 */
size_t bt_stats_change_points(const double *values, const double *se, size_t n,
                              unsigned char *flags);

/* Regularised incomplete beta and normal distribution helpers, exposed for tests. */
double bt_stats_normal_cdf(double z);
double bt_stats_binom_cdf(uint64_t k, uint64_t n, double p);

#endif
