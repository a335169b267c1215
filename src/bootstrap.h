/*
 * bootstrap.h - the random machinery behind metric confidence intervals
 * (internal to the core; metrics.c is its user, tests/unit/test-metrics.c
 * checks it directly).
 *
 * Every random number comes from Philox4x64-10 (Salmon et al., "Parallel
 * random numbers: as easy as 1, 2, 3", SC 2011), a counter-based
 * generator: the output is a pure function of (key, counter).  The key is
 * the user's seed; the counter says which bootstrap resample, which stream
 * (which use inside a resample) and which block of draws.  A resample's
 * numbers therefore never depend on which thread computes it or in what
 * order, which is what makes the intervals identical for any thread count.
 *
 * Nothing here knows about metrics, the store or the terminal.
 */
#ifndef BT_BOOTSTRAP_H
#define BT_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

/* One Philox4x64-10 block: out = philox(ctr, key).  Exposed for known-answer tests. */
void bt_philox4x64_10(const uint64_t ctr[4], const uint64_t key[2], uint64_t out[4]);

/*
 * A sequence of 64-bit words for one (seed, stream, resample, sub): block
 * j of the sequence is philox({j, resample, stream, sub}, {seed, C}) with a
 * fixed constant C.  Plain data: copy it, keep it on the stack.
 */
struct bt_rng {
	uint64_t key[2];
	uint64_t ctr[4];
	uint64_t buf[4];
	unsigned pos; /* next unused word of buf; 4 when buf is spent */
};

void bt_rng_init(struct bt_rng *r, uint64_t seed, uint64_t stream, uint64_t resample, uint64_t sub);
uint64_t bt_rng_next(struct bt_rng *r);
/* Uniform on the open interval (0, 1), with 53 random bits. */
double bt_rng_uniform(struct bt_rng *r);
/* Uniform integer in [0, n) without bias (Lemire's method); n > 0. */
uint64_t bt_rng_below(struct bt_rng *r, uint64_t n);
/*
 * Binomial(n, p), exact: inversion by sequential search when n*min(p,1-p)
 * < 10, otherwise Hörmann's BTRD (transformed rejection with squeeze, "The
 * generation of binomial random variates", J. Stat. Comput. Simul. 46,
 * 1993), which accepts each value with exactly its binomial probability.
 * Expected cost is bounded whatever n is.
 */
uint64_t bt_rng_binomial(struct bt_rng *r, uint64_t n, double p);

/* OpenMP threads to use for `requested` (0: OpenMP's default; 1 without OpenMP). */
int bt_boot_threads(int requested);

/*
 * Example resampling.  For each resample b (in parallel), draw n indices
 * uniformly with replacement from stream (seed, stream, b) and call
 * fn(w, payload, dist + b * nstat), where w[i] is how many times example i
 * was drawn.  fn must be safe to call from several threads at once and
 * must write nstat values (NaN where the statistic is undefined on that
 * resample).  n must be below 2^32.
 */
typedef void (*bt_boot_examples_fn)(const uint32_t *w, void *payload, double *out);
void bt_boot_examples(size_t n, int resamples, uint64_t seed, uint64_t stream, int threads,
                      bt_boot_examples_fn fn, void *payload, size_t nstat, double *dist);

/*
 * Multinomial resampling of a table of counts: each resample redistributes
 * total = sum(cells) draws over the cells with probabilities cells[j] /
 * total, exactly, by sequential conditional binomials over the non-zero
 * cells; cost O(ncells) per resample whatever the total.  Calls
 * fn(counts, payload, dist + b * nstat) with the resampled counts (aligned
 * with cells).
 */
typedef void (*bt_boot_counts_fn)(const uint64_t *counts, void *payload, double *out);
void bt_boot_multinomial(const uint64_t *cells, size_t ncells, int resamples, uint64_t seed,
                         uint64_t stream, int threads, bt_boot_counts_fn fn, void *payload,
                         size_t nstat, double *dist);

/*
 * The bootstrap distribution of the q-quantile (numpy's default linear
 * interpolation) of n sorted values, as resampling the n values with
 * replacement would give it, without resampling them: the resampled
 * order statistics needed are located by descending a binary split of the
 * sorted positions, drawing at each split how many of the draws fall to
 * the left (binomial), so a resample costs O(log n).  dist[b] receives
 * resample b's quantile.
 */
void bt_boot_quantile(const double *sorted, size_t n, double q, int resamples, uint64_t seed,
                      uint64_t stream, int threads, double *dist);

/*
 * numpy.quantile(x, q) with the default method ('linear'), bit for bit,
 * on sorted x[0..n); NaN when n is 0.
 */
double bt_quantile_sorted(const double *x, size_t n, double q);

/*
 * Summarise column `col` of a resamples x stride distribution: the
 * percentile interval at `level` (numpy linear quantiles of the finite
 * values at (1 - level) / 2 and (1 + level) / 2) and the standard error
 * (their standard deviation, ddof = 1).  NaN when fewer than 2 resamples
 * gave a finite value.
 */
void bt_boot_summary(const double *dist, size_t resamples, size_t stride, size_t col, double level,
                     double *lo, double *hi, double *se);

/* Sort doubles ascending (no NaN allowed), in O(n) passes (LSD radix). */
void bt_sort_doubles(double *x, size_t n);
/* Order idx[0..n) so that v[idx[i]] ascends (stable; no NaN in v). */
void bt_sort_index(const double *v, uint32_t *idx, size_t n);

#endif
