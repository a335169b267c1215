/*
 * bootstrap.c - counter-based random numbers, an exact binomial sampler,
 * and the three resampling schemes behind metric intervals: examples,
 * multinomial cells, and order statistics.
 *
 * Determinism is the point of the design: every resample seeds its own
 * generator from (seed, stream, resample index), keeps its draws to
 * itself and writes its statistics to its own row, so the distribution is
 * bit-identical for any number of threads.  Nothing here allocates
 * through anything but bt_x*, prints, or knows what a metric is.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "bootstrap.h"
#include "util.h"

/* --- Philox4x64-10 --------------------------------------------------------- */

#define PHILOX_M0 UINT64_C(0xD2E7470EE14C6C93)
#define PHILOX_M1 UINT64_C(0xCA5A826395121157)
#define PHILOX_W0 UINT64_C(0x9E3779B97F4A7C15)
#define PHILOX_W1 UINT64_C(0xBB67AE8584CAA73B)

/* Second key word, so that a seed of 0 is not an all-zero key. */
#define KEY_CONSTANT UINT64_C(0x62656e6368746f70) /* "benchtop" */

__extension__ typedef unsigned __int128 u128;

static inline uint64_t mulhilo(uint64_t a, uint64_t b, uint64_t *hi)
{
	u128 p = (u128)a * b;
	*hi = (uint64_t)(p >> 64);
	return (uint64_t)p;
}

void bt_philox4x64_10(const uint64_t ctr[4], const uint64_t key[2], uint64_t out[4])
{
	uint64_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
	uint64_t k0 = key[0], k1 = key[1];
	int round;

	for (round = 0; round < 10; round++) {
		uint64_t hi0, hi1, lo0, lo1;

		if (round > 0) {
			k0 += PHILOX_W0;
			k1 += PHILOX_W1;
		}
		lo0 = mulhilo(PHILOX_M0, c0, &hi0);
		lo1 = mulhilo(PHILOX_M1, c2, &hi1);
		c0 = hi1 ^ c1 ^ k0;
		c1 = lo1;
		c2 = hi0 ^ c3 ^ k1;
		c3 = lo0;
	}
	out[0] = c0;
	out[1] = c1;
	out[2] = c2;
	out[3] = c3;
}

void bt_rng_init(struct bt_rng *r, uint64_t seed, uint64_t stream, uint64_t resample, uint64_t sub)
{
	r->key[0] = seed;
	r->key[1] = KEY_CONSTANT;
	r->ctr[0] = 0;
	r->ctr[1] = resample;
	r->ctr[2] = stream;
	r->ctr[3] = sub;
	r->pos = 4;
}

uint64_t bt_rng_next(struct bt_rng *r)
{
	if (r->pos == 4) {
		bt_philox4x64_10(r->ctr, r->key, r->buf);
		r->ctr[0]++;
		r->pos = 0;
	}
	return r->buf[r->pos++];
}

double bt_rng_uniform(struct bt_rng *r)
{
	/* The midpoint of one of 2^53 equal cells: never 0, never 1. */
	return ((double)(bt_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

uint64_t bt_rng_below(struct bt_rng *r, uint64_t n)
{
	u128 m = (u128)bt_rng_next(r) * n;
	uint64_t low = (uint64_t)m;

	if (low < n) {
		uint64_t threshold = (0 - n) % n;

		while (low < threshold) {
			m = (u128)bt_rng_next(r) * n;
			low = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* --- Binomial ------------------------------------------------------------------ */

/*
 * Sequential search from 0 (numpy's method for small means), restarting
 * in the far tail where rounding could otherwise run the search past n.
 */
static uint64_t binomial_inversion(struct bt_rng *r, uint64_t n, double p)
{
	double q = 1.0 - p, qn = exp((double)n * log1p(-p)), np = (double)n * p;
	double bound = fmin((double)n, np + 10.0 * sqrt(np * q + 1.0));
	double u = bt_rng_uniform(r), px = qn;
	uint64_t x = 0;

	while (u > px) {
		x++;
		if ((double)x > bound) {
			x = 0;
			px = qn;
			u = bt_rng_uniform(r);
		} else {
			u -= px;
			px = ((double)(n - x + 1) * p * px) / ((double)x * q);
		}
	}
	return x;
}

/* log(k!) - ((k + 1/2) log(k + 1) - (k + 1) + log(2 pi) / 2): Stirling's remainder. */
static double stirling_tail(double k)
{
	static const double small[10] = {
	        0.08106146679532726,  0.04134069595540929, 0.02767792568499834, 0.02079067210376509,
	        0.01664469118982119,  0.01387612882307075, 0.01189670994589177, 0.01041126526197209,
	        0.009255462182712733, 0.008330563433362871};
	double r, r2;

	if (k < 10)
		return small[(int)k];
	r = 1.0 / (k + 1.0);
	r2 = r * r;
	return (1.0 / 12 - (1.0 / 360 - r2 / 1260) * r2) * r;
}

/* Hörmann's BTRD for n*p >= 10 and p <= 1/2; step numbers follow the paper. */
static uint64_t binomial_btrd(struct bt_rng *r, uint64_t n_, double p)
{
	double n = (double)n_;
	double m = floor((n + 1) * p);
	double rr = p / (1 - p), nr = (n + 1) * rr, npq = n * p * (1 - p);
	double spq = sqrt(npq);
	double b = 1.15 + 2.53 * spq;
	double a = -0.0873 + 0.0248 * b + 0.01 * p;
	double c = n * p + 0.5;
	double alpha = (2.83 + 5.1 / b) * spq;
	double vr = 0.92 - 4.2 / b, urvr = 0.86 * vr;

	for (;;) {
		double u, v, us, k, km;

		/* 1: the triangular centre, accepted at once */
		v = bt_rng_uniform(r);
		if (v <= urvr) {
			u = v / vr - 0.43;
			return (uint64_t)floor((2 * a / (0.5 - fabs(u)) + b) * u + c);
		}
		/* 2: the tails, or the thin region beside the centre */
		if (v >= vr) {
			u = bt_rng_uniform(r) - 0.5;
		} else {
			u = v / vr - 0.93;
			u = (u < 0 ? -0.5 : 0.5) - u;
			v = bt_rng_uniform(r) * vr;
		}
		/* 3.0 */
		us = 0.5 - fabs(u);
		k = floor((2 * a / us + b) * u + c);
		if (k < 0 || k > n)
			continue;
		v = v * alpha / (a / (us * us) + b);
		km = fabs(k - m);
		if (km <= 15) {
			/* 3.1: f(k) / f(m) by recursion */
			double f = 1, i;

			if (m < k) {
				for (i = m + 1; i <= k; i++)
					f *= nr / i - rr;
			} else if (m > k) {
				for (i = k + 1; i <= m; i++)
					v *= nr / i - rr;
			}
			if (v <= f)
				return (uint64_t)k;
			continue;
		}
		/* 3.2: squeeze on log v */
		{
			double rho = (km / npq) * (((km / 3 + 0.625) * km + 1.0 / 6) / npq + 0.5);
			double t = -km * km / (2 * npq), nm, h, nk;

			v = log(v);
			if (v < t - rho)
				return (uint64_t)k;
			if (v > t + rho)
				continue;
			/* 3.3 and 3.4: the exact test with Stirling's remainders */
			nm = n - m + 1;
			h = (m + 0.5) * log((m + 1) / (rr * nm)) + stirling_tail(m) +
			    stirling_tail(n - m);
			nk = n - k + 1;
			if (v <= h + (n + 1) * log(nm / nk) + (k + 0.5) * log(nk * rr / (k + 1)) -
			                 stirling_tail(k) - stirling_tail(n - k))
				return (uint64_t)k;
		}
	}
}

uint64_t bt_rng_binomial(struct bt_rng *r, uint64_t n, double p)
{
	if (n == 0 || !(p > 0))
		return 0;
	if (p >= 1)
		return n;
	if (p > 0.5)
		return n - bt_rng_binomial(r, n, 1.0 - p);
	if ((double)n * p < 10)
		return binomial_inversion(r, n, p);
	return binomial_btrd(r, n, p);
}

/* --- Resampling schemes ---------------------------------------------------------- */

int bt_boot_threads(int requested)
{
#ifdef _OPENMP
	if (requested > 0)
		return requested;
	return omp_get_max_threads();
#else
	BT_UNUSED(requested);
	return 1;
#endif
}

void bt_boot_examples(size_t n, int resamples, uint64_t seed, uint64_t stream, int threads,
                      bt_boot_examples_fn fn, void *payload, size_t nstat, double *dist)
{
	int nt = bt_boot_threads(threads);

	BT_UNUSED(nt);
#pragma omp parallel num_threads(nt)
	{
		uint32_t *w = bt_xmalloc(n * sizeof(*w));
		int b;

#pragma omp for schedule(static)
		for (b = 0; b < resamples; b++) {
			struct bt_rng rng;
			size_t i;

			bt_rng_init(&rng, seed, stream, (uint64_t)b, 0);
			memset(w, 0, n * sizeof(*w));
			for (i = 0; i < n; i++)
				w[bt_rng_below(&rng, n)]++;
			fn(w, payload, dist + (size_t)b * nstat);
		}
		free(w);
	}
}

void bt_boot_multinomial(const uint64_t *cells, size_t ncells, int resamples, uint64_t seed,
                         uint64_t stream, int threads, bt_boot_counts_fn fn, void *payload,
                         size_t nstat, double *dist)
{
	int nt = bt_boot_threads(threads);
	uint64_t total = 0;
	size_t j;

	for (j = 0; j < ncells; j++)
		total += cells[j];
	BT_UNUSED(nt);
#pragma omp parallel num_threads(nt)
	{
		uint64_t *counts = bt_xmalloc(ncells * sizeof(*counts));
		int b;

#pragma omp for schedule(static)
		for (b = 0; b < resamples; b++) {
			struct bt_rng rng;
			uint64_t left = total, mass = total;
			size_t c;

			bt_rng_init(&rng, seed, stream, (uint64_t)b, 0);
			for (c = 0; c < ncells; c++) {
				uint64_t x;

				if (cells[c] == 0 || left == 0)
					x = 0;
				else if (cells[c] == mass)
					x = left; /* the last non-empty cell takes the rest */
				else
					x = bt_rng_binomial(&rng, left,
					                    (double)cells[c] / (double)mass);
				counts[c] = x;
				left -= x;
				mass -= cells[c];
			}
			fn(counts, payload, dist + (size_t)b * nstat);
		}
		free(counts);
	}
}

/*
 * Position (in the original sorted order) of rank r of a resample whose
 * `total` draws fell in positions [a, b).  Given the count in a range, the
 * counts of its two halves are a binomial split and, given that split,
 * independent multinomials again, so one path down the tree suffices.
 */
static uint64_t descend1(struct bt_rng *rng, uint64_t a, uint64_t b, uint64_t total, uint64_t r)
{
	while (b - a > 1) {
		uint64_t mid = a + (b - a) / 2;
		uint64_t left = bt_rng_binomial(rng, total, (double)(mid - a) / (double)(b - a));

		if (r < left) {
			b = mid;
			total = left;
		} else {
			a = mid;
			total -= left;
			r -= left;
		}
	}
	return a;
}

/* The same for two ranks r1 <= r2 of one resample: one path until they part. */
static void descend2(struct bt_rng *rng, uint64_t a, uint64_t b, uint64_t total, uint64_t r1,
                     uint64_t r2, uint64_t *j1, uint64_t *j2)
{
	while (b - a > 1) {
		uint64_t mid = a + (b - a) / 2;
		uint64_t left = bt_rng_binomial(rng, total, (double)(mid - a) / (double)(b - a));

		if (r2 < left) {
			b = mid;
			total = left;
		} else if (r1 >= left) {
			a = mid;
			total -= left;
			r1 -= left;
			r2 -= left;
		} else {
			*j1 = descend1(rng, a, mid, left, r1);
			*j2 = descend1(rng, mid, b, total - left, r2 - left);
			return;
		}
	}
	*j1 = *j2 = a;
}

/* numpy's _lerp: a + (b - a) t, computed from the nearer end. */
static double lerp(double a, double b, double t)
{
	double diff = b - a;

	if (t >= 0.5)
		return b - diff * (1 - t);
	return a + diff * t;
}

/* numpy's 'linear' method: virtual index (n - 1) q, clipped to the ends. */
static void quantile_index(size_t n, double q, size_t *lo, size_t *hi, double *gamma)
{
	double v = (double)(n - 1) * q, fl = floor(v);

	if (v >= (double)(n - 1)) {
		*lo = *hi = n - 1;
	} else if (v < 0) {
		*lo = *hi = 0;
	} else {
		*lo = (size_t)fl;
		*hi = *lo + 1;
	}
	*gamma = v - fl;
}

double bt_quantile_sorted(const double *x, size_t n, double q)
{
	size_t lo, hi;
	double gamma;

	if (n == 0)
		return NAN;
	quantile_index(n, q, &lo, &hi, &gamma);
	return lerp(x[lo], x[hi], gamma);
}

void bt_boot_quantile(const double *sorted, size_t n, double q, int resamples, uint64_t seed,
                      uint64_t stream, int threads, double *dist)
{
	int nt = bt_boot_threads(threads);
	size_t lo, hi;
	double gamma;
	int b;

	if (n == 0) {
		for (b = 0; b < resamples; b++)
			dist[b] = NAN;
		return;
	}
	quantile_index(n, q, &lo, &hi, &gamma);
	BT_UNUSED(nt);
#pragma omp parallel for schedule(static) num_threads(nt)
	for (b = 0; b < resamples; b++) {
		struct bt_rng rng;
		uint64_t j1, j2;

		bt_rng_init(&rng, seed, stream, (uint64_t)b, 0);
		descend2(&rng, 0, n, n, lo, hi, &j1, &j2);
		dist[b] = lerp(sorted[j1], sorted[j2], gamma);
	}
}

void bt_boot_summary(const double *dist, size_t resamples, size_t stride, size_t col, double level,
                     double *lo, double *hi, double *se)
{
	double *v = bt_xmalloc(resamples * sizeof(*v));
	double mean = 0, ss = 0, alpha = (1 - level) / 2;
	size_t m = 0, b;

	for (b = 0; b < resamples; b++) {
		double x = dist[b * stride + col];

		if (isfinite(x))
			v[m++] = x;
	}
	if (m < 2) {
		*lo = *hi = *se = NAN;
		free(v);
		return;
	}
	bt_sort_doubles(v, m);
	*lo = bt_quantile_sorted(v, m, alpha);
	*hi = bt_quantile_sorted(v, m, 1 - alpha);
	for (b = 0; b < m; b++)
		mean += v[b];
	mean /= (double)m;
	for (b = 0; b < m; b++)
		ss += (v[b] - mean) * (v[b] - mean);
	*se = sqrt(ss / (double)(m - 1));
	free(v);
}

/* --- Sorting ----------------------------------------------------------------------- */

/* An unsigned key that orders like the double it comes from. */
static inline uint64_t order_key(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return (u >> 63) ? ~u : u ^ (UINT64_C(1) << 63);
}

/*
 * Stable LSD radix sort of keys (with an optional payload), 8 bits a pass;
 * passes whose byte is the same in every key are skipped, which for
 * latencies or probabilities leaves about half of them.
 */
static void radix_sort(uint64_t *keys, uint32_t *pay, size_t n)
{
	uint64_t *src = keys, *dst, *scratch;
	uint32_t *psrc = pay, *pdst = NULL, *pscratch = NULL;
	size_t(*cnt)[256];
	size_t i;
	int pass;

	if (n < 2)
		return;
	cnt = bt_xcalloc(8, sizeof(*cnt));
	for (i = 0; i < n; i++)
		for (pass = 0; pass < 8; pass++)
			cnt[pass][(keys[i] >> (8 * pass)) & 0xff]++;
	dst = scratch = bt_xmalloc(n * sizeof(*dst));
	if (pay)
		pdst = pscratch = bt_xmalloc(n * sizeof(*pdst));
	for (pass = 0; pass < 8; pass++) {
		unsigned shift = 8 * (unsigned)pass;
		size_t pos[256], sum = 0, d;
		uint64_t *tk;
		uint32_t *tp;

		if (cnt[pass][(src[0] >> shift) & 0xff] == n)
			continue;
		for (d = 0; d < 256; d++) {
			pos[d] = sum;
			sum += cnt[pass][d];
		}
		for (i = 0; i < n; i++) {
			size_t at = pos[(src[i] >> shift) & 0xff]++;

			dst[at] = src[i];
			if (pay)
				pdst[at] = psrc[i];
		}
		tk = src;
		src = dst;
		dst = tk;
		tp = psrc;
		psrc = pdst;
		pdst = tp;
	}
	if (src != keys) {
		memcpy(keys, src, n * sizeof(*keys));
		if (pay)
			memcpy(pay, psrc, n * sizeof(*pay));
	}
	free(scratch);
	free(pscratch);
	free(cnt);
}

void bt_sort_doubles(double *x, size_t n)
{
	uint64_t *k = bt_xmalloc(n * sizeof(*k));
	size_t i;

	for (i = 0; i < n; i++)
		k[i] = order_key(x[i]);
	radix_sort(k, NULL, n);
	for (i = 0; i < n; i++) {
		uint64_t u = (k[i] >> 63) ? k[i] ^ (UINT64_C(1) << 63) : ~k[i];

		memcpy(&x[i], &u, sizeof(u));
	}
	free(k);
}

void bt_sort_index(const double *v, uint32_t *idx, size_t n)
{
	uint64_t *k = bt_xmalloc(n * sizeof(*k));
	size_t i;

	for (i = 0; i < n; i++) {
		k[i] = order_key(v[i]);
		idx[i] = (uint32_t)i;
	}
	radix_sort(k, idx, n);
	free(k);
}
