/*
 * test-stats.c - the statistics of the regression gate: values against
 * references computed once with SciPy 1.10 (stored here, so the tests need
 * no Python), and, above all, error rates measured by simulation: with no
 * true difference the tests flag at most alpha of the pairs (plus sampling
 * slack), and a true drop of 2 points of accuracy on 2,000 examples is
 * flagged at least 95% of the time.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "error.h"
#include "stats.h"
#include "util.h"

/* A seeded generator for simulations (SplitMix64). */
static uint64_t rng_state;

static uint64_t next_u64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uniform(void)
{
	return (double)(next_u64() >> 11) / 9007199254740992.0;
}

static double gaussian(void)
{
	double u = uniform(), v = uniform();

	if (u < 1e-300)
		u = 1e-300;
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static void assert_rel(double got, double want, double tol, const char *what)
{
	double err = fabs(got - want) / (fabs(want) > 1e-300 ? fabs(want) : 1);

	cr_assert(err <= tol, "%s: got %.17g, want %.17g (relative error %.3g)", what, got, want,
	          err);
}

/* Upper bound for an observed rate when the true rate is at most `rate`. */
static double slack_bound(double rate, int trials)
{
	return rate + 3 * sqrt(rate * (1 - rate) / trials);
}

/* --- reference values ------------------------------------------------------------ */

Test(stats, binomial_cdf_matches_scipy)
{
	static const struct {
		uint64_t k, n;
		double p, want;
	} cases[] = {
	        {0, 10, 0.5, 0.0009765625},
	        {3, 10, 0.5, 0.171875},
	        {5, 10, 0.3, 0.9526510126000001},
	        {10, 100, 0.5, 1.5316450877189923e-17},
	        {40, 100, 0.5, 0.02844396682049044},
	        {450, 1000, 0.5, 0.0008652680424881512},
	        {100, 1000, 0.2, 8.731206511212326e-18},
	        {0, 1, 0.7, 0.30000000000000004},
	        {20, 2000, 0.02, 0.0003312649267028513},
	        {5, 200, 0.1, 3.8711932462676235e-05},
	        {30000, 100000, 0.3, 0.5015600059172559},
	};
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(cases); i++) {
		char what[64];
		snprintf(what, sizeof(what), "binom_cdf(%llu, %llu, %g)",
		         (unsigned long long)cases[i].k, (unsigned long long)cases[i].n,
		         cases[i].p);
		assert_rel(bt_stats_binom_cdf(cases[i].k, cases[i].n, cases[i].p), cases[i].want,
		           1e-9, what);
	}
	cr_assert_eq(bt_stats_binom_cdf(10, 10, 0.3), 1);
	cr_assert_eq(bt_stats_binom_cdf(3, 10, 0), 1);
	cr_assert_eq(bt_stats_binom_cdf(3, 10, 1), 0);
	cr_assert(isnan(bt_stats_binom_cdf(3, 10, 1.5)));
}

Test(stats, exact_mcnemar_matches_scipy_binomtest)
{
	static const struct {
		uint64_t b, c;
		double want;
	} cases[] = {
	        {0, 5, 0.0625},
	        {3, 12, 0.03515625},
	        {45, 5, 4.209852022540872e-09},
	        {130, 100, 0.05561357778139239},
	        {1000, 900, 0.0231088451089012},
	        {1, 0, 1.0},
	        {0, 40, 1.8189894035458565e-12},
	        {20, 21, 1.0},
	};
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(cases); i++) {
		char what[64];
		snprintf(what, sizeof(what), "mcnemar(%llu, %llu)", (unsigned long long)cases[i].b,
		         (unsigned long long)cases[i].c);
		assert_rel(bt_stats_mcnemar(cases[i].b, cases[i].c), cases[i].want, 1e-9, what);
	}
	cr_assert_eq(bt_stats_mcnemar(0, 0), 1);
	cr_assert_eq(bt_stats_mcnemar(7, 7), 1);
	/* Symmetric in its arguments. */
	cr_assert_eq(bt_stats_mcnemar(3, 12), bt_stats_mcnemar(12, 3));
}

Test(stats, normal_cdf_matches_scipy_deep_into_the_tail)
{
	static const double cases[][2] = {
	        {-1.96, 0.024997895148220435}, {0, 0.5},
	        {1, 0.8413447460685429},       {-8, 6.22096057427174e-16},
	        {-30, 4.906713927147908e-198}, {3, 0.9986501019683699},
	};
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(cases); i++)
		assert_rel(bt_stats_normal_cdf(cases[i][0]), cases[i][1], 1e-12, "normal_cdf");
}

Test(stats, mann_whitney_matches_scipy_with_ties_and_continuity)
{
	static const double x[] = {1.2, 3.4, 2.2, 5.0, 2.2, 7.1, 0.4, 3.3, 3.3, 9.0};
	static const double y[] = {2.5, 3.3, 6.6, 8.8, 9.1, 4.4, 3.3, 10.2, 7.7, 6.0, 5.5, 12.0};
	static const double x2[] = {1, 1, 1, 2, 2, 3};
	static const double y2[] = {2, 3, 3, 3, 4, 4, 4};
	double u, p;

	p = bt_stats_mann_whitney(x, BT_ARRAY_SIZE(x), y, BT_ARRAY_SIZE(y), &u);
	cr_assert_eq(u, 27.0);
	assert_rel(p, 0.0315810943338473, 1e-9, "mann_whitney");
	p = bt_stats_mann_whitney(x2, BT_ARRAY_SIZE(x2), y2, BT_ARRAY_SIZE(y2), &u);
	cr_assert_eq(u, 3.5);
	assert_rel(p, 0.012229014202192332, 1e-9, "mann_whitney with heavy ties");
	/* Every value tied: no evidence of a difference. */
	p = bt_stats_mann_whitney(x2, 3, x2, 3, &u);
	cr_assert_eq(p, 1);
	cr_assert(isnan(bt_stats_mann_whitney(x, 0, y, 3, &u)));
}

Test(stats, holm_adjusts_monotonically_and_caps_at_one)
{
	double p[] = {0.01, 0.04, 0.03, 0.005};
	double q[] = {0.5, NAN, 0.2};

	bt_stats_holm(p, 4);
	/* Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, made monotone. */
	assert_rel(p[3], 0.02, 1e-15, "holm[3]");
	assert_rel(p[0], 0.03, 1e-15, "holm[0]");
	assert_rel(p[2], 0.06, 1e-15, "holm[2]");
	assert_rel(p[1], 0.06, 1e-15, "holm[1]");
	/* NaN is no test: it stays NaN and does not count. */
	bt_stats_holm(q, 3);
	assert_rel(q[2], 0.4, 1e-15, "holm with NaN");
	cr_assert_eq(q[0], 0.5);
	cr_assert(isnan(q[1]));
	q[0] = 0.9;
	q[2] = 0.8;
	bt_stats_holm(q, 3);
	cr_assert_eq(q[0], 1);
	cr_assert_eq(q[2], 1);
}

Test(stats, ci_test_is_a_z_test_on_the_difference)
{
	assert_rel(bt_stats_ci_test(0.80, 0.01, 0.77, 0.01), 0.03389485352468927, 1e-12, "ci_test");
	cr_assert_eq(bt_stats_ci_test(0.8, 0, 0.8, 0), 1);
	cr_assert_eq(bt_stats_ci_test(0.8, 0, 0.7, 0), 0);
	cr_assert(isnan(bt_stats_ci_test(0.8, NAN, 0.7, 0.01)));
}

/* --- the paired bootstrap ------------------------------------------------------------ */

Test(stats, paired_bootstrap_reports_the_observed_delta_and_an_interval_around_it)
{
	double x[400], y[400];
	struct bt_paired_result r;
	size_t i;

	rng_state = 7;
	for (i = 0; i < 400; i++) {
		x[i] = uniform();
		y[i] = x[i] + 0.05 + 0.1 * gaussian();
	}
	x[10] = NAN; /* skipped with its partner */
	cr_assert_eq(bt_stats_paired_bootstrap(x, y, 400, 2000, 1, 0.95, &r), 0);
	cr_assert_eq(r.n, 399);
	{
		double s = 0;
		for (i = 0; i < 400; i++)
			if (i != 10)
				s += y[i] - x[i];
		assert_rel(r.delta, s / 399, 1e-12, "delta");
	}
	cr_assert(r.ci_low < r.delta && r.delta < r.ci_high, "[%g, %g] around %g", r.ci_low,
	          r.ci_high, r.delta);
	/* The standard error of the mean difference is 0.1 / sqrt(399) = 0.005. */
	cr_assert(r.ci_high - r.ci_low > 0.015 && r.ci_high - r.ci_low < 0.025, "width %g",
	          r.ci_high - r.ci_low);
	/* Far from zero: the smallest p-value 2000 resamples can give. */
	assert_rel(r.p_value, 2.0 / 2001, 1e-12, "p");

	cr_assert_eq(bt_stats_paired_bootstrap(x, y, 1, 100, 1, 0.95, &r), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "at least 2 pairs"), "%s", bt_error_last());
}

Test(stats, paired_bootstrap_is_reproducible_and_independent_of_thread_count)
{
	double x[997], y[997];
	struct bt_paired_result a, b, c;
	size_t i;

	rng_state = 11;
	for (i = 0; i < 997; i++) {
		x[i] = uniform();
		y[i] = x[i] + 0.1 * gaussian();
	}
#ifdef _OPENMP
	omp_set_num_threads(1);
#endif
	cr_assert_eq(bt_stats_paired_bootstrap(x, y, 997, 3001, 42, 0.9, &a), 0);
#ifdef _OPENMP
	omp_set_num_threads(4);
#endif
	cr_assert_eq(bt_stats_paired_bootstrap(x, y, 997, 3001, 42, 0.9, &b), 0);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0, "thread count changed the result");
	cr_assert_eq(bt_stats_paired_bootstrap(x, y, 997, 3001, 43, 0.9, &c), 0);
	cr_assert_eq(a.delta, c.delta);
	cr_assert(a.ci_low != c.ci_low || a.ci_high != c.ci_high, "the seed is ignored");
}

/* --- error rates --------------------------------------------------------------------- */

/*
 * One simulated pair of runs on n examples: the baseline is right with
 * probability `acc`; the candidate shares its outcomes except that a right
 * example turns wrong with probability q_lose and a wrong one right with
 * q_gain (successive commits of one model share most predictions).  Fills
 * McNemar's b (right only in the baseline) and c (right only in the
 * candidate) and returns the candidate minus baseline accuracy.
 */
static double simulate_pair(size_t n, double acc, double q_lose, double q_gain, uint64_t *b,
                            uint64_t *c)
{
	size_t i;
	long right_a = 0, right_b = 0;

	*b = *c = 0;
	for (i = 0; i < n; i++) {
		int a = uniform() < acc, cand = a;
		if (a && uniform() < q_lose)
			cand = 0;
		else if (!a && uniform() < q_gain)
			cand = 1;
		right_a += a;
		right_b += cand;
		*b += a && !cand;
		*c += !a && cand;
	}
	return (double)(right_b - right_a) / (double)n;
}

/* The gate's rule for one accuracy-type metric (higher is better). */
static int regressed(uint64_t b, uint64_t c, double delta, double alpha)
{
	return bt_stats_mcnemar(b, c) <= alpha && delta < 0;
}

Test(stats, mcnemar_gate_flags_at_most_alpha_without_a_true_difference)
{
	const int trials = 4000;
	const double alpha = 0.01;
	int t, flagged = 0, significant = 0, flagged_indep = 0;

	rng_state = 2026;
	for (t = 0; t < trials; t++) {
		uint64_t b, c;
		/* 0.8 * 0.025 = 0.2 * 0.1: the candidate is no worse on average. */
		double d = simulate_pair(2000, 0.8, 0.025, 0.1, &b, &c);
		flagged += regressed(b, c, d, alpha);
		significant += bt_stats_mcnemar(b, c) <= alpha;
	}
	cr_assert(flagged <= slack_bound(alpha, trials) * trials, "flagged %d of %d", flagged,
	          trials);
	cr_assert(significant <= slack_bound(alpha, trials) * trials,
	          "two-sided: %d of %d significant", significant, trials);

	/* Two unrelated models of equal accuracy: many discordant pairs. */
	for (t = 0; t < 1000; t++) {
		uint64_t b = 0, c = 0;
		long ra = 0, rb = 0;
		for (int i = 0; i < 2000; i++) {
			int a = uniform() < 0.8, bb = uniform() < 0.8;
			ra += a;
			rb += bb;
			b += a && !bb;
			c += !a && bb;
		}
		flagged_indep += regressed(b, c, (double)(rb - ra) / 2000, alpha);
	}
	cr_assert(flagged_indep <= slack_bound(alpha, 1000) * 1000, "independent: flagged %d",
	          flagged_indep);
}

Test(stats, mcnemar_gate_catches_a_two_point_drop_on_2000_examples)
{
	const int trials = 1000;
	const double alpha = 0.01;
	int t, caught = 0, caught_churn = 0;
	double mean_drop = 0;

	rng_state = 99;
	for (t = 0; t < trials; t++) {
		uint64_t b, c;
		/* 0.8 * 0.03 - 0.2 * 0.02 = 0.02: two points lost on average. */
		double d = simulate_pair(2000, 0.8, 0.03, 0.02, &b, &c);
		mean_drop += d;
		caught += regressed(b, c, d, alpha);
		/* More churn, same drop: 0.8 * 0.035 - 0.2 * 0.04 = 0.02. */
		d = simulate_pair(2000, 0.8, 0.035, 0.04, &b, &c);
		caught_churn += regressed(b, c, d, alpha);
	}
	mean_drop /= trials;
	cr_assert(fabs(mean_drop + 0.02) < 0.002, "the simulation drops %g, not 0.02", mean_drop);
	cr_assert(caught >= 0.95 * trials, "caught %d of %d", caught, trials);
	cr_assert(caught_churn >= 0.95 * trials, "with churn: caught %d of %d", caught_churn,
	          trials);
}

Test(stats, paired_bootstrap_flags_at_most_alpha_without_a_true_difference)
{
	const int trials = 400, n = 200;
	const double alpha = 0.05;
	double x[200], y[200];
	int t, flagged = 0, caught = 0;

	rng_state = 5;
	for (t = 0; t < trials; t++) {
		struct bt_paired_result r;
		for (int i = 0; i < n; i++) {
			x[i] = uniform();
			y[i] = x[i] + 0.2 * (uniform() - 0.5);
		}
		cr_assert_eq(bt_stats_paired_bootstrap(x, y, n, 500, (uint64_t)t, 0.95, &r), 0);
		flagged += r.p_value <= alpha;
		/* The same pairs shifted by 1.5 standard errors' worth... */
		for (int i = 0; i < n; i++)
			y[i] -= 0.02;
		cr_assert_eq(bt_stats_paired_bootstrap(x, y, n, 500, (uint64_t)t, 0.95, &r), 0);
		caught += r.p_value <= alpha && r.delta < 0;
	}
	cr_assert(flagged <= slack_bound(alpha, trials) * trials, "flagged %d of %d", flagged,
	          trials);
	/* ...0.02 / (0.0577 / sqrt(200)) = 4.9 standard errors: nearly always caught. */
	cr_assert(caught >= 0.95 * trials, "caught %d of %d", caught, trials);
}

Test(stats, mann_whitney_flags_at_most_alpha_without_a_true_difference)
{
	const int trials = 2000;
	const double alpha = 0.05;
	double x[100], y[120];
	int t, flagged = 0, flagged_ties = 0, caught = 0;

	rng_state = 17;
	for (t = 0; t < trials; t++) {
		for (int i = 0; i < 100; i++)
			x[i] = -log(uniform() + 1e-300);
		for (int i = 0; i < 120; i++)
			y[i] = -log(uniform() + 1e-300);
		flagged += bt_stats_mann_whitney(x, 100, y, 120, NULL) <= alpha;
		/* Latencies rounded to a coarse clock: many ties. */
		for (int i = 0; i < 100; i++)
			x[i] = floor(x[i] * 2);
		for (int i = 0; i < 120; i++)
			y[i] = floor(y[i] * 2);
		flagged_ties += bt_stats_mann_whitney(x, 100, y, 120, NULL) <= alpha;
		/* A candidate 60% slower. */
		for (int i = 0; i < 120; i++)
			y[i] = -log(uniform() + 1e-300) * 1.6;
		for (int i = 0; i < 100; i++)
			x[i] = -log(uniform() + 1e-300);
		caught += bt_stats_mann_whitney(x, 100, y, 120, NULL) <= alpha;
	}
	cr_assert(flagged <= slack_bound(alpha, trials) * trials, "flagged %d of %d", flagged,
	          trials);
	cr_assert(flagged_ties <= slack_bound(alpha, trials) * trials, "with ties: flagged %d",
	          flagged_ties);
	cr_assert(caught >= 0.8 * trials, "caught %d of %d", caught, trials);
}

Test(stats, ci_test_and_holm_flag_at_most_alpha_without_a_true_difference)
{
	const int trials = 20000;
	const double alpha = 0.01;
	int t, flagged = 0, family = 0;

	rng_state = 31;
	for (t = 0; t < trials; t++) {
		double a = 0.8 + 0.01 * gaussian(), b = 0.8 + 0.01 * gaussian();
		double p[6];
		int any = 0;
		flagged += bt_stats_ci_test(a, 0.01, b, 0.01) <= alpha;
		/* Six metrics tested at once: Holm keeps the family-wise rate. */
		for (int i = 0; i < 6; i++)
			p[i] = bt_stats_ci_test(0.5 + 0.02 * gaussian(), 0.02,
			                        0.5 + 0.02 * gaussian(), 0.02);
		bt_stats_holm(p, 6);
		for (int i = 0; i < 6; i++)
			any |= p[i] <= alpha;
		family += any;
	}
	cr_assert(flagged <= slack_bound(alpha, trials) * trials, "flagged %d of %d", flagged,
	          trials);
	cr_assert(family <= slack_bound(alpha, trials) * trials,
	          "family-wise: %d of %d families flagged", family, trials);
}

/* --- change points ------------------------------------------------------------------- */

Test(stats, a_clear_drop_is_one_change_point_where_it_happens)
{
	double v[] = {0.90, 0.90, 0.90, 0.90, 0.90, 0.86, 0.86, 0.86, 0.86, 0.86};
	double se[10];
	unsigned char f[10];
	size_t i;

	for (i = 0; i < 10; i++)
		se[i] = 0.007;
	cr_assert_eq(bt_stats_change_points(v, se, 10, f), 1);
	for (i = 0; i < 10; i++)
		cr_assert_eq(f[i], i == 5, "flag %zu is %d", i, f[i]);
	/* Without intervals a noiseless series shifts beyond its noise too. */
	cr_assert_eq(bt_stats_change_points(v, NULL, 10, f), 1);
	cr_assert_eq(f[5], 1);
}

Test(stats, change_points_skip_gaps_and_find_several_shifts)
{
	double v[] = {0.9, NAN, 0.9, 0.905, 0.8, 0.8, NAN, 0.795, 0.95, 0.95};
	double se[10];
	unsigned char f[10];
	size_t i;

	for (i = 0; i < 10; i++)
		se[i] = 0.01;
	cr_assert_eq(bt_stats_change_points(v, se, 10, f), 2);
	for (i = 0; i < 10; i++)
		cr_assert_eq(f[i], i == 4 || i == 8, "flag %zu is %d", i, f[i]);
}

Test(stats, shifts_within_the_noise_are_not_change_points)
{
	double v[40], se[40];
	unsigned char f[40];
	int t, series_flagged = 0;

	/* A step of a third of an interval: real, perhaps, but within the noise. */
	{
		double w[] = {0.900, 0.900, 0.900, 0.905, 0.905, 0.905};
		double s[] = {0.01, 0.01, 0.01, 0.01, 0.01, 0.01};
		cr_assert_eq(bt_stats_change_points(w, s, 6, f), 0);
	}
	rng_state = 123;
	for (t = 0; t < 300; t++) {
		for (int i = 0; i < 40; i++) {
			v[i] = 0.85 + 0.01 * gaussian();
			se[i] = t % 2 ? 0.01 : NAN; /* with and without intervals */
		}
		series_flagged += bt_stats_change_points(v, se, 40, f) > 0;
	}
	cr_assert(series_flagged <= 15, "%d of 300 pure-noise series had a change point",
	          series_flagged);
	cr_assert_eq(bt_stats_change_points(v, se, 1, f), 0);
	cr_assert_eq(bt_stats_change_points(v, se, 0, f), 0);
}

Test(stats, a_drop_in_a_noisy_series_is_found)
{
	double v[30], se[30];
	unsigned char f[30];
	int t, found = 0;

	rng_state = 321;
	for (t = 0; t < 200; t++) {
		for (int i = 0; i < 30; i++) {
			v[i] = (i < 18 ? 0.90 : 0.86) + 0.007 * gaussian();
			se[i] = 0.007;
		}
		bt_stats_change_points(v, se, 30, f);
		found += f[18] || f[17] || f[19];
	}
	cr_assert(found >= 190, "found the drop in %d of 200 series", found);
}
