/*
 * stats.c - the statistics behind comparisons and the regression gate
 * (see stats.h): exact McNemar, a seeded paired bootstrap, Mann-Whitney U,
 * Holm-Bonferroni, a z test on two intervals and change points.
 *
 * Pure arithmetic over arrays: no store, no terminal, no global state.
 * Random draws come from a counter-based generator keyed by (seed,
 * resample, draw), so a bootstrap gives the same answer bit for bit
 * whatever the number of OpenMP threads that computed it.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "stats.h"
#include "util.h"

/* --- distributions -------------------------------------------------------- */

double bt_stats_normal_cdf(double z)
{
	/* erfc keeps full relative precision far into the lower tail. */
	return 0.5 * erfc(-z / M_SQRT2);
}

/* Two-sided normal p-value for |z|, precise for large |z|. */
static double normal_two_sided(double z)
{
	double p;

	if (z != z)
		return NAN;
	p = erfc(fabs(z) / M_SQRT2);
	return p > 1 ? 1 : p;
}

/*
 * Continued fraction for the regularised incomplete beta function
 * (modified Lentz), valid for x < (a + 1) / (a + b + 2).
 */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300, eps = 1e-16;
	double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap, h;
	int m;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	h = d;
	for (m = 1; m <= 1000000; m++) {
		double m2 = 2.0 * m, aa, del;

		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < eps)
			break;
	}
	return h;
}

/* The regularised incomplete beta function I_x(a, b), for a, b > 0. */
static double incomplete_beta(double a, double b, double x)
{
	double lbt;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
	/* Evaluate whichever side converges; the other follows by symmetry. */
	if (x < (a + 1) / (a + b + 2))
		return exp(lbt) * beta_cf(a, b, x) / a;
	return 1 - exp(lbt) * beta_cf(b, a, 1 - x) / b;
}

double bt_stats_binom_cdf(uint64_t k, uint64_t n, double p)
{
	if (p != p || p < 0 || p > 1)
		return NAN;
	if (k >= n)
		return 1;
	if (p <= 0)
		return 1;
	if (p >= 1)
		return 0;
	/* P(X <= k) = I_{1-p}(n - k, k + 1). */
	return incomplete_beta((double)(n - k), (double)k + 1, 1 - p);
}

/* --- paired binary outcomes ------------------------------------------------ */

double bt_stats_mcnemar(uint64_t b, uint64_t c)
{
	uint64_t n = b + c, k = b < c ? b : c;
	double p;

	if (n == 0 || b == c)
		return 1;
	/* Binomial(n, 1/2) is symmetric: the two tails are equal. */
	p = 2 * bt_stats_binom_cdf(k, n, 0.5);
	return p > 1 ? 1 : p;
}

/* --- the counter-based generator ------------------------------------------ */

/* SplitMix64's finaliser: a bijective 64-bit mix. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The key of resample r under `seed`: every (seed, r) has its own stream. */
static uint64_t stream_key(uint64_t seed, uint64_t r)
{
	return mix64(mix64(seed ^ 0x6a09e667f3bcc909ULL) ^ (r * 0xd1b54a32d192ed03ULL));
}

/* Draw i of a stream, uniform in [0, n) (Lemire's multiply-shift). */
static size_t stream_index(uint64_t key, uint64_t i, size_t n)
{
	uint64_t u = mix64(key + (i + 1) * 0x9e3779b97f4a7c15ULL);

	return (size_t)(((unsigned __int128)u * (unsigned __int128)n) >> 64);
}

/* --- paired bootstrap -------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* Quantile of sorted v[0..n) with linear interpolation (numpy's default). */
static double quantile_sorted(const double *v, size_t n, double q)
{
	double h = (double)(n - 1) * q, f = floor(h);
	size_t lo = (size_t)f;

	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (h - f) * (v[lo + 1] - v[lo]);
}

int bt_stats_paired_bootstrap(const double *x, const double *y, size_t n, int resamples,
                              uint64_t seed, double level, struct bt_paired_result *out)
{
	double *d, *deltas, sum = 0;
	size_t m = 0, i, beyond = 0;
	long r, nr;

	memset(out, 0, sizeof(*out));
	out->ci_low = out->ci_high = out->p_value = NAN;
	d = bt_xmalloc((n ? n : 1) * sizeof(*d));
	for (i = 0; i < n; i++) {
		if (x[i] != x[i] || y[i] != y[i])
			continue;
		d[m++] = y[i] - x[i];
	}
	out->n = m;
	if (m < 2) {
		free(d);
		return bt_error_set(BT_EINPUT, "a paired bootstrap needs at least 2 pairs, got %zu",
		                    m);
	}
	for (i = 0; i < m; i++)
		sum += d[i];
	out->delta = sum / (double)m;
	if (resamples < 1) {
		free(d);
		return 0;
	}
	if (!(level > 0 && level < 1))
		level = 0.95;
	nr = resamples;
	deltas = bt_xmalloc((size_t)nr * sizeof(*deltas));
	/*
	 * Each resample owns its stream and sums in index order, so its value
	 * does not depend on which thread computed it.
	 */
#pragma omp parallel for schedule(static)
	for (r = 0; r < nr; r++) {
		uint64_t key = stream_key(seed, (uint64_t)r);
		double s = 0;
		size_t j;

		for (j = 0; j < m; j++)
			s += d[stream_index(key, j, m)];
		deltas[r] = s / (double)m;
	}
	qsort(deltas, (size_t)nr, sizeof(*deltas), cmp_double);
	out->ci_low = quantile_sorted(deltas, (size_t)nr, (1 - level) / 2);
	out->ci_high = quantile_sorted(deltas, (size_t)nr, (1 + level) / 2);
	if (out->delta == 0) {
		out->p_value = 1;
	} else {
		for (r = 0; r < nr; r++)
			if (out->delta > 0 ? deltas[r] <= 0 : deltas[r] >= 0)
				beyond++;
		out->p_value = 2.0 * ((double)beyond + 1) / ((double)nr + 1);
		if (out->p_value > 1)
			out->p_value = 1;
	}
	free(deltas);
	free(d);
	return 0;
}

/* --- Mann-Whitney U ------------------------------------------------------------ */

struct ranked {
	double v;
	int from_x;
};

static int cmp_ranked(const void *a, const void *b)
{
	return cmp_double(&((const struct ranked *)a)->v, &((const struct ranked *)b)->v);
}

double bt_stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, double *u)
{
	struct ranked *all;
	size_t n = 0, i, j, mx = 0, my = 0;
	double rank_x = 0, ties = 0, mu, var, ux, z;

	if (u)
		*u = NAN;
	all = bt_xmalloc((nx + ny + 1) * sizeof(*all));
	for (i = 0; i < nx; i++)
		if (x[i] == x[i]) {
			all[n].v = x[i];
			all[n++].from_x = 1;
			mx++;
		}
	for (i = 0; i < ny; i++)
		if (y[i] == y[i]) {
			all[n].v = y[i];
			all[n++].from_x = 0;
			my++;
		}
	if (mx == 0 || my == 0) {
		free(all);
		return NAN;
	}
	qsort(all, n, sizeof(*all), cmp_ranked);
	/* Average ranks over runs of ties; sum t^3 - t for the variance. */
	for (i = 0; i < n; i = j) {
		double avg, t;
		for (j = i + 1; j < n && all[j].v == all[i].v; j++)
			;
		avg = ((double)i + 1 + (double)j) / 2;
		t = (double)(j - i);
		ties += t * t * t - t;
		for (size_t k = i; k < j; k++)
			if (all[k].from_x)
				rank_x += avg;
	}
	free(all);
	ux = rank_x - (double)mx * ((double)mx + 1) / 2;
	if (u)
		*u = ux;
	mu = (double)mx * (double)my / 2;
	var = (double)mx * (double)my / 12 *
	      (((double)n + 1) - ties / ((double)n * ((double)n - 1)));
	if (!(var > 0))
		return 1;
	z = (fabs(ux - mu) - 0.5) / sqrt(var);
	if (z < 0)
		z = 0;
	return normal_two_sided(z);
}

/* --- Holm-Bonferroni -------------------------------------------------------------- */

void bt_stats_holm(double *p, size_t m)
{
	size_t *order, k = 0, i;
	double running = 0;

	if (m == 0)
		return;
	/* NaN (no test) takes no part: it stays NaN and does not count in m. */
	order = bt_xmalloc(m * sizeof(*order));
	for (i = 0; i < m; i++)
		if (p[i] == p[i])
			order[k++] = i;
	/* Insertion sort keyed by p: no global state, stable, m is small. */
	for (i = 1; i < k; i++) {
		size_t v = order[i], j = i;
		while (j > 0 && p[order[j - 1]] > p[v]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	for (i = 0; i < k; i++) {
		double adj = (double)(k - i) * p[order[i]];
		if (adj > 1)
			adj = 1;
		if (adj < running)
			adj = running;
		running = adj;
		p[order[i]] = adj;
	}
	free(order);
}

/* --- two intervals --------------------------------------------------------------- */

double bt_stats_ci_test(double a, double a_se, double b, double b_se)
{
	double se;

	if (a != a || b != b || a_se != a_se || b_se != b_se || a_se < 0 || b_se < 0)
		return NAN;
	se = sqrt(a_se * a_se + b_se * b_se);
	if (se == 0)
		return a == b ? 1 : 0;
	return normal_two_sided((b - a) / se);
}

/* --- change points ---------------------------------------------------------------- */

static double median_of(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct cp_series {
	const double *v;      /* finite values, oldest first */
	const double *s;      /* their noise (standard deviations, > 0) */
	double *c0, *c1, *c2; /* prefix sums of w, w v, w v^2 with w = 1/s^2 */
	size_t m;
	double penalty;
};

/* Weighted squared deviation of v[a..b) around its weighted mean. */
static double seg_cost(const struct cp_series *cs, size_t a, size_t b)
{
	double w = cs->c0[b] - cs->c0[a], wv = cs->c1[b] - cs->c1[a], wv2 = cs->c2[b] - cs->c2[a];
	double c = wv2 - wv * wv / w;

	return c > 0 ? c : 0;
}

static double seg_mean(const struct cp_series *cs, size_t a, size_t b)
{
	return (cs->c1[b] - cs->c1[a]) / (cs->c0[b] - cs->c0[a]);
}

/* Typical noise of one point in v[a..b): the median of its s. */
static double seg_noise(const struct cp_series *cs, size_t a, size_t b, double *scratch)
{
	size_t i;

	for (i = a; i < b; i++)
		scratch[i - a] = cs->s[i];
	return median_of(scratch, b - a);
}

/*
 * The best accepted split of v[a..b), or 0 when none: the split with the
 * largest likelihood gain among those whose gain beats the penalty and
 * whose shift in means exceeds the two sides' typical intervals.
 */
static size_t best_split(const struct cp_series *cs, size_t a, size_t b, double *scratch)
{
	double whole = seg_cost(cs, a, b), best_gain = 0;
	size_t k, best = 0;

	for (k = a + 1; k < b; k++) {
		double gain = whole - seg_cost(cs, a, k) - seg_cost(cs, k, b);
		double shift, nl, nr;

		if (!(gain > cs->penalty) || gain <= best_gain)
			continue;
		shift = fabs(seg_mean(cs, k, b) - seg_mean(cs, a, k));
		nl = seg_noise(cs, a, k, scratch);
		nr = seg_noise(cs, k, b, scratch);
		/* Visible against the points' own 95% intervals, not only in aggregate. */
		if (shift < 1.959963984540054 * sqrt(nl * nl + nr * nr))
			continue;
		best_gain = gain;
		best = k;
	}
	return best;
}

size_t bt_stats_change_points(const double *values, const double *se, size_t n,
                              unsigned char *flags)
{
	double *v, *s, *tmp, *scratch, known_se = NAN, spread = 0, scale = 0, floor_s;
	size_t *pos, *stack, m = 0, i, nk = 0, top = 0, count = 0;
	struct cp_series cs;

	if (n)
		memset(flags, 0, n);
	for (i = 0; i < n; i++)
		if (isfinite(values[i]))
			m++;
	if (m < 2)
		return 0;
	v = bt_xmalloc(m * sizeof(*v));
	s = bt_xmalloc(m * sizeof(*s));
	tmp = bt_xmalloc(m * sizeof(*tmp));
	scratch = bt_xmalloc(m * sizeof(*scratch));
	pos = bt_xmalloc(m * sizeof(*pos));
	for (i = 0, m = 0; i < n; i++) {
		if (!isfinite(values[i]))
			continue;
		v[m] = values[i];
		s[m] = se && isfinite(se[i]) && se[i] > 0 ? se[i] : NAN;
		if (s[m] == s[m])
			tmp[nk++] = s[m];
		if (fabs(v[m]) > scale)
			scale = fabs(v[m]);
		pos[m++] = i;
	}
	if (nk)
		known_se = median_of(tmp, nk);
	/*
	 * The series' own spread, robust to the shifts being looked for: the
	 * median absolute successive difference, scaled to a standard
	 * deviation of one point.  Commit-to-commit wobble larger than the
	 * reported intervals is noise too.
	 */
	for (i = 1; i < m; i++)
		tmp[i - 1] = fabs(v[i] - v[i - 1]);
	spread = median_of(tmp, m - 1) * 1.482602218505602 / M_SQRT2;
	floor_s = 1e-9 * (scale > 0 ? scale : 1);
	for (i = 0; i < m; i++) {
		double si = s[i] == s[i] ? s[i] : known_se;
		if (!(si >= spread))
			si = spread;
		if (!(si > floor_s))
			si = floor_s;
		s[i] = si;
	}

	cs.v = v;
	cs.s = s;
	cs.m = m;
	cs.c0 = bt_xcalloc(m + 1, sizeof(double));
	cs.c1 = bt_xcalloc(m + 1, sizeof(double));
	cs.c2 = bt_xcalloc(m + 1, sizeof(double));
	for (i = 0; i < m; i++) {
		double w = 1 / (s[i] * s[i]);
		cs.c0[i + 1] = cs.c0[i] + w;
		cs.c1[i + 1] = cs.c1[i] + w * v[i];
		cs.c2[i + 1] = cs.c2[i] + w * v[i] * v[i];
	}
	/* A modified BIC: each change point costs a mean and a location. */
	cs.penalty = 3 * log((double)(m < 3 ? 3 : m));

	/* Binary segmentation with an explicit stack of [a, b) segments. */
	stack = bt_xmalloc(2 * (m + 1) * sizeof(*stack));
	stack[top++] = 0;
	stack[top++] = m;
	while (top) {
		size_t b = stack[--top], a = stack[--top], k;
		if (b - a < 2)
			continue;
		k = best_split(&cs, a, b, scratch);
		if (!k)
			continue;
		flags[pos[k]] = 1;
		count++;
		stack[top++] = a;
		stack[top++] = k;
		stack[top++] = k;
		stack[top++] = b;
	}
	free(stack);
	free(cs.c0);
	free(cs.c1);
	free(cs.c2);
	free(pos);
	free(scratch);
	free(tmp);
	free(s);
	free(v);
	return count;
}
