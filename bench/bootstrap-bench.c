/*
 * bootstrap-bench.c - how long the confusion-matrix bootstrap takes:
 * accuracy and macro-F1 of 1,000,000 classification examples with 10,000
 * resamples, timed through bt_metrics_compute() (building the confusion
 * table from the examples included).  Run by hand:
 *
 *     bench/bootstrap-bench [-a] [-s] [-l] [-n EXAMPLES] [-B RESAMPLES] [-k LABELS]
 *                           [-r REPEATS] [-j THREADS]
 *
 * By default the outcomes carry neither scores nor latencies and the
 * timed call computes accuracy and macro-F1 only.  -a computes every
 * default metric instead, -s gives the outcomes per-class scores (so log
 * loss, Brier and ROC AUC are computed, by example resampling) and -l
 * latencies (percentiles by order-statistic resampling): `-a -s -l` is
 * what a `benchtop run` of that size pays.  Prints the best and median
 * wall time of the repeats and the values found, for a look at their
 * sanity.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootstrap.h"
#include "error.h"
#include "metrics.h"
#include "util.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long n = 1000000, resamples = 10000, k = 3, repeats = 7, threads = 0;
	static const char *const names[] = {"accuracy", "f1_macro"};
	int all = 0, with_scores = 0, with_latency = 0;
	double *scores = NULL, *latency = NULL;
	struct bt_outcomes o;
	struct bt_metric_opts opts;
	struct bt_metric_value *vals = NULL;
	int32_t *yt, *yp;
	double *times;
	size_t nv, i;
	struct bt_rng rng;
	int c;
	long r;

	while ((c = getopt(argc, argv, "asln:B:k:r:j:")) != -1) {
		switch (c) {
		case 'a':
			all = 1;
			break;
		case 's':
			with_scores = 1;
			break;
		case 'l':
			with_latency = 1;
			break;
		case 'n':
			n = atol(optarg);
			break;
		case 'B':
			resamples = atol(optarg);
			break;
		case 'k':
			k = atol(optarg);
			break;
		case 'r':
			repeats = atol(optarg);
			break;
		case 'j':
			threads = atol(optarg);
			break;
		default:
			fprintf(stderr,
			        "usage: %s [-n EXAMPLES] [-B RESAMPLES] [-k LABELS] "
			        "[-r REPEATS] [-j THREADS]\n",
			        argv[0]);
			return 2;
		}
	}
	if (n < 1 || resamples < 1 || k < 2 || repeats < 1 || threads < 0) {
		fprintf(stderr, "%s: every count must be positive (k at least 2)\n", argv[0]);
		return 2;
	}

	/* a classifier right 80% of the time, wrong uniformly otherwise */
	yt = bt_xmalloc((size_t)n * sizeof(*yt));
	yp = bt_xmalloc((size_t)n * sizeof(*yp));
	bt_rng_init(&rng, 42, 0, 0, 0);
	for (i = 0; i < (size_t)n; i++) {
		yt[i] = (int32_t)bt_rng_below(&rng, (uint64_t)k);
		yp[i] = bt_rng_uniform(&rng) < 0.8
		                ? yt[i]
		                : (int32_t)((yt[i] + 1 +
		                             (int32_t)bt_rng_below(&rng, (uint64_t)k - 1)) %
		                            k);
	}
	memset(&o, 0, sizeof(o));
	o.type = BENCHTOP_TASK_CLASSIFICATION;
	o.n = (size_t)n;
	o.k = (size_t)k;
	o.y_true = yt;
	o.y_pred = yp;
	o.wall_seconds = 1;
	if (with_scores || with_latency) {
		/* scores leaning to the true label; latencies around a millisecond */
		scores = bt_xmalloc((size_t)n * (size_t)k * sizeof(*scores));
		latency = bt_xmalloc((size_t)n * sizeof(*latency));
		for (i = 0; i < (size_t)n; i++) {
			double sum = 0;
			long j;

			for (j = 0; j < k; j++) {
				double s = bt_rng_uniform(&rng) + (j == yp[i] ? 1.0 : 0.0);

				scores[i * (size_t)k + (size_t)j] = s;
				sum += s;
			}
			for (j = 0; j < k; j++)
				scores[i * (size_t)k + (size_t)j] /= sum;
			latency[i] = 1e-3 * -log(bt_rng_uniform(&rng));
		}
		if (with_scores)
			o.scores = scores;
		if (with_latency)
			o.latency = latency;
	}
	memset(&opts, 0, sizeof(opts));
	opts.resamples = (int)resamples;
	opts.seed = 1;
	opts.level = 0.95;
	opts.threads = (int)threads;

	times = bt_xmalloc((size_t)repeats * sizeof(*times));
	for (r = 0; r < repeats; r++) {
		double t0 = bt_monotonic();

		free(vals);
		if (bt_metrics_compute(&o, all ? NULL : names, all ? 0 : 2, &opts, &vals, &nv,
		                       NULL) != 0) {
			fprintf(stderr, "%s: %s\n", argv[0], bt_error_last());
			return 3;
		}
		times[r] = bt_monotonic() - t0;
	}
	qsort(times, (size_t)repeats, sizeof(*times), cmp_double);
	printf("bootstrap of %s%s%s: %ld examples, %ld labels, %ld resamples, %d threads\n",
	       all ? "every default metric" : "accuracy and macro-F1",
	       with_scores ? ", with scores" : "", with_latency ? ", with latencies" : "", n, k,
	       resamples, bt_boot_threads((int)threads));
	printf("  best %.2f ms, median %.2f ms over %ld runs\n", times[0] * 1e3,
	       times[repeats / 2] * 1e3, repeats);
	for (i = 0; i < nv; i++)
		printf("  %-8s %.8f  95%% CI [%.8f, %.8f]  se %.8f\n", vals[i].name, vals[i].value,
		       vals[i].ci_low, vals[i].ci_high, vals[i].se);
	free(vals);
	free(times);
	free(yt);
	free(yp);
	free(scores);
	free(latency);
	return 0;
}
