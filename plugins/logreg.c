/*
 * logreg.c - multinomial logistic regression, trained in fit.
 *
 * Features are standardised with the train mean and standard deviation
 * (missing values count as the mean).  Training minimises the mean
 * cross-entropy plus an L2 penalty on the weights (not the intercepts),
 *
 *     f(W, b) = 1/n sum_i -log softmax(W x_i + b)[y_i] + lambda/2 |W|^2,
 *
 * with lambda = 1 / (C n), which has the same minimiser as scikit-learn's
 * LogisticRegression(C=C), or lambda = l2 when given instead.  The
 * optimiser is L-BFGS (10 pairs) with a backtracking Armijo line search,
 * all in a fixed order, so the same data always gives the same model.
 * Classes absent from the train split get probability 0.
 *
 * Params:
 *   C=1.0        inverse regularisation strength (scikit-learn's meaning)
 *   l2           penalty on the mean loss instead of C
 *   max_iter=500 L-BFGS iterations at most
 *   tol=1e-6     stop when every gradient component is below this
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchtop/plugin.h"
#include "scratch.h"

#define HISTORY 10

struct logreg {
	const struct benchtop_host *host;
	const struct benchtop_task_info *task;
	char error[256];
	double lambda, C, l2, tol;
	int64_t max_iter;
	size_t d;               /* features */
	size_t k;               /* classes present in the train split */
	size_t *cls;            /* k: index of each into task->labels */
	double *center, *scale; /* d */
	double *w;              /* k rows of d weights then the intercept */
	struct scratch scratch; /* per-thread result buffers (scratch.h) */
};

static int fail(struct logreg *m, const char *fmt, const char *arg)
{
	snprintf(m->error, sizeof(m->error), fmt, arg);
	return -1;
}

static int create(void **out, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	struct logreg *m = calloc(1, sizeof(*m));

	*out = m;
	if (!m)
		return -1;
	m->host = host;
	m->task = task;
	if (scratch_init(&m->scratch) != 0) {
		*out = NULL;
		free(m);
		return -1;
	}
	if (host->param_double(host, "C", NAN, &m->C) ||
	    host->param_double(host, "l2", NAN, &m->l2) ||
	    host->param_int(host, "max_iter", 500, &m->max_iter) ||
	    host->param_double(host, "tol", 1e-6, &m->tol))
		return fail(m, "%s", "bad param");
	if (!isnan(m->C) && !isnan(m->l2))
		return fail(m, "%s", "give C or l2, not both");
	if (isnan(m->C))
		m->C = 1.0;
	if (m->C <= 0)
		return fail(m, "%s", "C must be positive");
	if (!isnan(m->l2) && m->l2 < 0)
		return fail(m, "%s", "l2 must not be negative");
	if (m->max_iter < 1)
		return fail(m, "%s", "max_iter must be at least 1");
	if (!(m->tol > 0))
		return fail(m, "%s", "tol must be positive");
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

/* Softmax probabilities p[0..k) of standardised x under weights w; p is also the logits' workspace. */
static void probabilities(const double *w, size_t k, size_t d, const double *x, double *p)
{
	double max = -INFINITY, sum = 0;

	for (size_t c = 0; c < k; c++) {
		const double *wc = w + c * (d + 1);
		double z = wc[d];
		for (size_t j = 0; j < d; j++)
			z += wc[j] * x[j];
		p[c] = z;
		if (z > max)
			max = z;
	}
	for (size_t c = 0; c < k; c++) {
		p[c] = exp(p[c] - max);
		sum += p[c];
	}
	for (size_t c = 0; c < k; c++)
		p[c] /= sum;
}

/* The objective and its gradient g (same shape as w) at w. */
static double objective(const struct logreg *m, const double *x, const size_t *y, size_t n,
                        const double *w, double *g, double *p)
{
	size_t k = m->k, d = m->d, np = k * (d + 1);
	double f = 0;

	memset(g, 0, np * sizeof(*g));
	for (size_t i = 0; i < n; i++) {
		const double *xi = x + i * d;
		probabilities(w, k, d, xi, p);
		f -= log(p[y[i]] > 1e-300 ? p[y[i]] : 1e-300);
		for (size_t c = 0; c < k; c++) {
			double r = p[c] - (c == y[i]);
			double *gc = g + c * (d + 1);
			for (size_t j = 0; j < d; j++)
				gc[j] += r * xi[j];
			gc[d] += r;
		}
	}
	f /= (double)n;
	for (size_t q = 0; q < np; q++)
		g[q] /= (double)n;
	for (size_t c = 0; c < k; c++)
		for (size_t j = 0; j < d; j++) {
			double v = w[c * (d + 1) + j];
			f += 0.5 * m->lambda * v * v;
			g[c * (d + 1) + j] += m->lambda * v;
		}
	return f;
}

static double dot(const double *a, const double *b, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

static double max_abs(const double *a, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		if (fabs(a[i]) > s)
			s = fabs(a[i]);
	return s;
}

/* L-BFGS from w = 0.  Returns 0, or -1 when cancelled. */
static int lbfgs(struct logreg *m, const double *x, const size_t *y, size_t n, double *p)
{
	size_t np = m->k * (m->d + 1), nhist = 0, head = 0;
	double *g = calloc(np, sizeof(*g)), *gn = calloc(np, sizeof(*gn));
	double *dir = calloc(np, sizeof(*dir)), *wn = calloc(np, sizeof(*wn));
	double *s = calloc(HISTORY * np, sizeof(*s)), *yv = calloc(HISTORY * np, sizeof(*yv));
	double rho[HISTORY], alpha[HISTORY], f, fn;
	int64_t it;
	int rc = 0;

	if (!g || !gn || !dir || !wn || !s || !yv) {
		rc = fail(m, "%s", "out of memory");
		goto out;
	}
	f = objective(m, x, y, n, m->w, g, p);
	for (it = 0; it < m->max_iter; it++) {
		double gd, step, gamma = 1;
		int accepted = 0;

		if (max_abs(g, np) <= m->tol)
			break;
		if (m->host->cancelled(m->host)) {
			rc = fail(m, "%s", "cancelled");
			goto out;
		}
		/* The two-loop recursion: dir = -H g. */
		for (size_t q = 0; q < np; q++)
			dir[q] = -g[q];
		for (size_t h = 0; h < nhist; h++) {
			size_t i = (head + HISTORY - 1 - h) % HISTORY;
			alpha[i] = rho[i] * dot(s + i * np, dir, np);
			for (size_t q = 0; q < np; q++)
				dir[q] -= alpha[i] * yv[i * np + q];
		}
		if (nhist) {
			size_t i = (head + HISTORY - 1) % HISTORY;
			gamma = dot(s + i * np, yv + i * np, np) /
			        dot(yv + i * np, yv + i * np, np);
		} else {
			gamma = 1 / sqrt(dot(g, g, np));
		}
		for (size_t q = 0; q < np; q++)
			dir[q] *= gamma;
		for (size_t h = nhist; h-- > 0;) {
			size_t i = (head + HISTORY - 1 - h) % HISTORY;
			double b = rho[i] * dot(yv + i * np, dir, np);
			for (size_t q = 0; q < np; q++)
				dir[q] += s[i * np + q] * (alpha[i] - b);
		}
		gd = dot(g, dir, np);
		if (!(gd < 0)) { /* not a descent direction: restart from the gradient */
			nhist = 0;
			for (size_t q = 0; q < np; q++)
				dir[q] = -g[q];
			gd = -dot(g, g, np);
		}
		for (step = 1; step > 1e-20; step *= 0.5) {
			for (size_t q = 0; q < np; q++)
				wn[q] = m->w[q] + step * dir[q];
			fn = objective(m, x, y, n, wn, gn, p);
			if (fn <= f + 1e-4 * step * gd) {
				accepted = 1;
				break;
			}
		}
		if (!accepted)
			break; /* no progress is possible at this precision */
		{
			double *si = s + head * np, *yi = yv + head * np, sy;
			for (size_t q = 0; q < np; q++) {
				si[q] = wn[q] - m->w[q];
				yi[q] = gn[q] - g[q];
			}
			sy = dot(si, yi, np);
			if (sy > 1e-12 * dot(yi, yi, np)) {
				rho[head] = 1 / sy;
				head = (head + 1) % HISTORY;
				if (nhist < HISTORY)
					nhist++;
			}
		}
		memcpy(m->w, wn, np * sizeof(*wn));
		memcpy(g, gn, np * sizeof(*gn));
		if (f - fn <= 1e-15 * (fabs(f) > 1 ? fabs(f) : 1)) {
			f = fn;
			break;
		}
		f = fn;
	}
	if (it >= m->max_iter)
		m->host->log(
		        m->host, BENCHTOP_LOG_WARN,
		        "no convergence within max_iter=%lld (largest gradient %.3g > tol %.3g)",
		        (long long)m->max_iter, max_abs(g, np), m->tol);
	else
		m->host->log(m->host, BENCHTOP_LOG_DEBUG,
		             "trained in %lld iterations: loss %.6g, largest gradient %.3g",
		             (long long)it, f, max_abs(g, np));
out:
	free(g);
	free(gn);
	free(dir);
	free(wn);
	free(s);
	free(yv);
	return rc;
}

static int fit(void *inst, const struct benchtop_example *ex, size_t n)
{
	struct logreg *m = inst;
	size_t nl = m->task->n_labels, d = m->task->n_features;
	size_t *of_label = NULL, *y = NULL;
	double *x = NULL, *p = NULL;
	int rc = -1;

	if (n == 0)
		return fail(m, "%s", "no train examples");
	if (nl == 0)
		return fail(m, "%s", "the task has no labels");
	m->d = d;
	m->lambda = isnan(m->l2) ? 1.0 / (m->C * (double)n) : m->l2;
	of_label = calloc(nl, sizeof(*of_label)); /* label -> class + 1 */
	m->cls = calloc(nl, sizeof(*m->cls));
	y = calloc(n, sizeof(*y));
	x = calloc(n * d + 1, sizeof(*x));
	p = calloc(nl, sizeof(*p));
	m->center = calloc(d + 1, sizeof(*m->center));
	m->scale = calloc(d + 1, sizeof(*m->scale));
	if (!of_label || !m->cls || !y || !x || !p || !m->center || !m->scale) {
		fail(m, "%s", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t l = ex[i].target ? label_index(m->task, ex[i].target) : -1;
		if (!ex[i].target) {
			fail(m, "train example '%s' has no target", ex[i].id);
			goto out;
		}
		if (l < 0) {
			fail(m, "train example '%s' has a label outside the task's labels",
			     ex[i].id);
			goto out;
		}
		if (ex[i].n_features != d) {
			fail(m, "train example '%s' has the wrong number of features", ex[i].id);
			goto out;
		}
		of_label[l] = 1;
	}
	/* Classes in label order, so their order never depends on the data's. */
	for (size_t l = 0; l < nl; l++)
		if (of_label[l]) {
			m->cls[m->k] = l;
			of_label[l] = ++m->k;
		}
	for (size_t i = 0; i < n; i++)
		y[i] = of_label[label_index(m->task, ex[i].target)] - 1;
	for (size_t j = 0; j < d; j++) {
		double sum = 0, ss = 0, sd;
		size_t cnt = 0;
		for (size_t i = 0; i < n; i++)
			if (!isnan(ex[i].features[j])) {
				sum += ex[i].features[j];
				cnt++;
			}
		m->center[j] = cnt ? sum / (double)cnt : 0;
		for (size_t i = 0; i < n; i++)
			if (!isnan(ex[i].features[j]))
				ss += (ex[i].features[j] - m->center[j]) *
				      (ex[i].features[j] - m->center[j]);
		sd = cnt ? sqrt(ss / (double)cnt) : 0;
		m->scale[j] = sd > 0 ? sd : 1;
		for (size_t i = 0; i < n; i++) {
			double v = ex[i].features[j];
			x[i * d + j] = isnan(v) ? 0 : (v - m->center[j]) / m->scale[j];
		}
	}
	m->w = calloc(m->k * (d + 1), sizeof(*m->w));
	if (!m->w) {
		fail(m, "%s", "out of memory");
		goto out;
	}
	rc = m->k > 1 ? lbfgs(m, x, y, n, p) : 0;
out:
	free(of_label);
	free(y);
	free(x);
	free(p);
	return rc;
}

static int predict(void *inst, const struct benchtop_example *ex, size_t n,
                   struct benchtop_prediction *out)
{
	struct logreg *m = inst;
	size_t nl = m->task->n_labels, d = m->d;
	double *scores = scratch_get(&m->scratch, (n * nl + 1) * sizeof(double));
	double *x = malloc((d + 1) * sizeof(*x)), *p = malloc((m->k + 1) * sizeof(*p));

	if (!scores || !x || !p) {
		free(x);
		free(p);
		return fail(m, "%s", "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		double *s = scores + i * nl;
		size_t best = 0;
		if (ex[i].n_features != d) {
			out[i].error = "the example has the wrong number of features";
			continue;
		}
		for (size_t j = 0; j < d; j++) {
			double v = ex[i].features[j];
			x[j] = isnan(v) ? 0 : (v - m->center[j]) / m->scale[j];
		}
		probabilities(m->w, m->k, d, x, p);
		memset(s, 0, nl * sizeof(*s));
		for (size_t c = 0; c < m->k; c++)
			s[m->cls[c]] = p[c];
		for (size_t l = 1; l < nl; l++)
			if (s[l] > s[best])
				best = l;
		out[i].label = m->task->labels[best];
		out[i].scores = s;
		out[i].n_scores = nl;
	}
	free(x);
	free(p);
	return 0;
}

static void destroy(void *inst)
{
	struct logreg *m = inst;

	scratch_destroy(&m->scratch);
	free(m->cls);
	free(m->center);
	free(m->scale);
	free(m->w);
	free(m);
}

static const char *last_error(void *inst)
{
	const struct logreg *m = inst;

	return m && m->error[0] ? m->error : NULL;
}

static const struct benchtop_plugin descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = BENCHTOP_PLUGIN_ABI_MINOR,
        .size = sizeof(struct benchtop_plugin),
        .name = "logreg",
        .version = "1.0.0",
        .description = "Multinomial logistic regression (L2, L-BFGS) on standardised features",
        .flags = BENCHTOP_PLUGIN_THREAD_SAFE | BENCHTOP_PLUGIN_BATCH | BENCHTOP_PLUGIN_NEEDS_TRAIN,
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION),
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
