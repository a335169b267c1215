/*
 * ridge.c - ridge regression (linear least squares with an L2 penalty),
 * solved in closed form.
 *
 * Features are standardised with the train mean and standard deviation
 * (missing values count as the mean); with fit_intercept the targets are
 * centred too and their mean becomes the intercept.  The weights solve
 *
 *     (X'X + alpha I) w = X'y
 *
 * by Cholesky factorisation, as scikit-learn's Ridge(alpha) does on the
 * same (standardised) features.  For classification, as scikit-learn's
 * RidgeClassifier, each class is a regression onto +1 (the class) / -1
 * (any other); the label is the class with the largest decision value,
 * and the decision values are given as scores (they are not
 * probabilities).
 *
 * Params:
 *   alpha=1.0            penalty strength (0: ordinary least squares)
 *   fit_intercept=true
 *   standardize=true     standardise features (otherwise only centre them
 *                        with fit_intercept)
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchtop/plugin.h"
#include "scratch.h"

struct ridge {
	const struct benchtop_task_info *task;
	char error[256];
	double alpha;
	int fit_intercept, standardize;
	size_t d, nout;                  /* features; outputs (1, or one per label) */
	double *center, *scale, *impute; /* d */
	double *w;                       /* nout rows of d weights */
	double *b;                       /* nout intercepts */
	struct scratch scratch;          /* per-thread result buffers (scratch.h) */
};

static int fail(struct ridge *m, const char *fmt, const char *arg)
{
	snprintf(m->error, sizeof(m->error), fmt, arg);
	return -1;
}

static int create(void **out, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	struct ridge *m = calloc(1, sizeof(*m));

	*out = m;
	if (!m)
		return -1;
	m->task = task;
	if (scratch_init(&m->scratch) != 0) {
		*out = NULL;
		free(m);
		return -1;
	}
	if (host->param_double(host, "alpha", 1.0, &m->alpha) ||
	    host->param_bool(host, "fit_intercept", 1, &m->fit_intercept) ||
	    host->param_bool(host, "standardize", 1, &m->standardize))
		return fail(m, "%s", "bad param");
	if (m->alpha < 0)
		return fail(m, "%s", "alpha must not be negative");
	if (task->type == BENCHTOP_TASK_CLASSIFICATION && task->n_labels == 0)
		return fail(m, "%s", "the task has no labels");
	return 0;
}

static int64_t label_index(const struct benchtop_task_info *task, const struct benchtop_target *t)
{
	if (t->label_index >= 0 && (size_t)t->label_index < task->n_labels)
		return t->label_index;
	for (size_t i = 0; t->label && i < task->n_labels; i++)
		if (strcmp(task->labels[i], t->label) == 0)
			return (int64_t)i;
	return -1;
}

/*
 * Solve A x = b for symmetric positive definite A (d x d, overwritten by its
 * Cholesky factor L) and `nrhs` right-hand sides in b (nrhs rows of d).
 * Returns -1 when A is not positive definite.
 */
static int cholesky_solve(double *a, size_t d, double *b, size_t nrhs)
{
	for (size_t j = 0; j < d; j++) {
		double s = a[j * d + j];
		for (size_t k = 0; k < j; k++)
			s -= a[j * d + k] * a[j * d + k];
		/* Relative to the diagonal: anything smaller is rounding noise. */
		if (!(s > 1e-12 * (a[j * d + j] > 1 ? a[j * d + j] : 1)))
			return -1;
		a[j * d + j] = sqrt(s);
		for (size_t i = j + 1; i < d; i++) {
			double t = a[i * d + j];
			for (size_t k = 0; k < j; k++)
				t -= a[i * d + k] * a[j * d + k];
			a[i * d + j] = t / a[j * d + j];
		}
	}
	for (size_t r = 0; r < nrhs; r++) {
		double *x = b + r * d;
		for (size_t i = 0; i < d; i++) { /* L z = b */
			for (size_t k = 0; k < i; k++)
				x[i] -= a[i * d + k] * x[k];
			x[i] /= a[i * d + i];
		}
		for (size_t i = d; i-- > 0;) { /* L' x = z */
			for (size_t k = i + 1; k < d; k++)
				x[i] -= a[k * d + i] * x[k];
			x[i] /= a[i * d + i];
		}
	}
	return 0;
}

static int fit(void *inst, const struct benchtop_example *ex, size_t n)
{
	struct ridge *m = inst;
	int cls = m->task->type == BENCHTOP_TASK_CLASSIFICATION;
	size_t d = m->task->n_features, nout = cls ? m->task->n_labels : 1;
	double *x = NULL, *y = NULL, *a = NULL;
	int rc = -1;

	if (n == 0)
		return fail(m, "%s", "no train examples");
	m->d = d;
	m->nout = nout;
	m->center = calloc(d + 1, sizeof(*m->center));
	m->scale = calloc(d + 1, sizeof(*m->scale));
	m->impute = calloc(d + 1, sizeof(*m->impute));
	m->w = calloc(nout * d + 1, sizeof(*m->w));
	m->b = calloc(nout, sizeof(*m->b));
	x = calloc(n * d + 1, sizeof(*x));
	y = calloc(n * nout, sizeof(*y));
	a = calloc(d * d + 1, sizeof(*a));
	if (!m->center || !m->scale || !m->impute || !m->w || !m->b || !x || !y || !a) {
		fail(m, "%s", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (ex[i].n_features != d) {
			fail(m, "train example '%s' has the wrong number of features", ex[i].id);
			goto out;
		}
		if (!ex[i].target) {
			fail(m, "train example '%s' has no target", ex[i].id);
			goto out;
		}
		if (cls) {
			int64_t l = label_index(m->task, ex[i].target);
			if (l < 0) {
				fail(m, "train example '%s' has a label outside the task's labels",
				     ex[i].id);
				goto out;
			}
			for (size_t c = 0; c < nout; c++)
				y[c * n + i] = (int64_t)c == l ? 1 : -1;
		} else {
			y[i] = ex[i].target->value;
		}
	}
	for (size_t j = 0; j < d; j++) {
		double sum = 0, ss = 0, sd;
		size_t cnt = 0;
		for (size_t i = 0; i < n; i++)
			if (!isnan(ex[i].features[j])) {
				sum += ex[i].features[j];
				cnt++;
			}
		m->impute[j] = cnt ? sum / (double)cnt : 0;
		for (size_t i = 0; i < n; i++)
			if (!isnan(ex[i].features[j]))
				ss += (ex[i].features[j] - m->impute[j]) *
				      (ex[i].features[j] - m->impute[j]);
		sd = cnt ? sqrt(ss / (double)cnt) : 0;
		m->center[j] = m->fit_intercept || m->standardize ? m->impute[j] : 0;
		m->scale[j] = m->standardize && sd > 0 ? sd : 1;
		for (size_t i = 0; i < n; i++) {
			double v = ex[i].features[j];
			x[i * d + j] = ((isnan(v) ? m->impute[j] : v) - m->center[j]) / m->scale[j];
		}
	}
	for (size_t c = 0; c < nout && m->fit_intercept; c++) {
		double mean = 0;
		for (size_t i = 0; i < n; i++)
			mean += y[c * n + i];
		mean /= (double)n;
		m->b[c] = mean;
		for (size_t i = 0; i < n; i++)
			y[c * n + i] -= mean;
	}
	/* A = X'X + alpha I (lower triangle is all Cholesky reads); w = X'y. */
	for (size_t i = 0; i < n; i++) {
		const double *xi = x + i * d;
		for (size_t j = 0; j < d; j++) {
			for (size_t k = 0; k <= j; k++)
				a[j * d + k] += xi[j] * xi[k];
			for (size_t c = 0; c < nout; c++)
				m->w[c * d + j] += xi[j] * y[c * n + i];
		}
	}
	for (size_t j = 0; j < d; j++)
		a[j * d + j] += m->alpha;
	if (d > 0 && cholesky_solve(a, d, m->w, nout)) {
		fail(m, "%s",
		     "X'X + alpha I is singular (collinear or constant features): use alpha > 0");
		goto out;
	}
	rc = 0;
out:
	free(x);
	free(y);
	free(a);
	return rc;
}

static int predict(void *inst, const struct benchtop_example *ex, size_t n,
                   struct benchtop_prediction *out)
{
	struct ridge *m = inst;
	size_t d = m->d, nout = m->nout;
	int cls = m->task->type == BENCHTOP_TASK_CLASSIFICATION;
	double *scores = cls ? scratch_get(&m->scratch, (n * nout + 1) * sizeof(double)) : NULL;

	if (cls && !scores)
		return fail(m, "%s", "out of memory");
	for (size_t i = 0; i < n; i++) {
		double buf[1], *s = cls ? scores + i * nout : buf;
		size_t best = 0;
		if (ex[i].n_features != d) {
			out[i].error = "the example has the wrong number of features";
			continue;
		}
		for (size_t c = 0; c < nout; c++) {
			double z = m->b[c];
			for (size_t j = 0; j < d; j++) {
				double v = ex[i].features[j];
				z += m->w[c * d + j] *
				     ((isnan(v) ? m->impute[j] : v) - m->center[j]) / m->scale[j];
			}
			s[c] = z;
			if (z > s[best])
				best = c;
		}
		if (cls) {
			out[i].label = m->task->labels[best];
			out[i].scores = s;
			out[i].n_scores = nout;
		} else {
			out[i].value = s[0];
		}
	}
	return 0;
}

static void destroy(void *inst)
{
	struct ridge *m = inst;

	scratch_destroy(&m->scratch);
	free(m->center);
	free(m->scale);
	free(m->impute);
	free(m->w);
	free(m->b);
	free(m);
}

static const char *last_error(void *inst)
{
	const struct ridge *m = inst;

	return m && m->error[0] ? m->error : NULL;
}

static const struct benchtop_plugin descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = BENCHTOP_PLUGIN_ABI_MINOR,
        .size = sizeof(struct benchtop_plugin),
        .name = "ridge",
        .version = "1.0.0",
        .description = "Ridge regression (closed form, standardised features)",
        .flags = BENCHTOP_PLUGIN_THREAD_SAFE | BENCHTOP_PLUGIN_BATCH | BENCHTOP_PLUGIN_NEEDS_TRAIN,
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_REGRESSION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION),
        .preferred_batch = 256,
        .create = create,
        .fit = fit,
        .predict = predict,
        .destroy = destroy,
        .last_error = last_error,
};

const struct benchtop_plugin *benchtop_plugin_entry(void)
{
	return &descriptor;
}
