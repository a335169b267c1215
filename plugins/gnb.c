/*
 * gnb.c - Gaussian naive Bayes.
 *
 * Each class is a product of independent normal distributions, one per
 * feature, with the class's train mean and variance; priors are the train
 * class frequencies.  As in scikit-learn's GaussianNB, every variance is
 * increased by var_smoothing times the largest feature variance of the
 * whole train split, which keeps constant features from dividing by zero.
 * A missing value (NaN) leaves its feature out of the product, both in fit
 * and in predict.  Classes absent from the train split get probability 0.
 *
 * Params:
 *   var_smoothing=1e-9
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchtop/plugin.h"
#include "scratch.h"

struct gnb {
	const struct benchtop_task_info *task;
	char error[256];
	double var_smoothing;
	size_t d, nl;
	double *log_prior;      /* nl; -inf for classes absent from train */
	double *mean, *var;     /* nl * d */
	struct scratch scratch; /* per-thread result buffers (scratch.h) */
};

static int fail(struct gnb *m, const char *fmt, const char *arg)
{
	snprintf(m->error, sizeof(m->error), fmt, arg);
	return -1;
}

static int create(void **out, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	struct gnb *m = calloc(1, sizeof(*m));

	*out = m;
	if (!m)
		return -1;
	m->task = task;
	if (scratch_init(&m->scratch) != 0) {
		*out = NULL;
		free(m);
		return -1;
	}
	if (host->param_double(host, "var_smoothing", 1e-9, &m->var_smoothing))
		return fail(m, "%s", "bad param");
	if (m->var_smoothing < 0)
		return fail(m, "%s", "var_smoothing must not be negative");
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

static int fit(void *inst, const struct benchtop_example *ex, size_t n)
{
	struct gnb *m = inst;
	size_t nl = m->task->n_labels, d = m->task->n_features;
	double *cnt, epsilon = 0;
	size_t *nclass;

	if (n == 0)
		return fail(m, "%s", "no train examples");
	if (nl == 0)
		return fail(m, "%s", "the task has no labels");
	m->d = d;
	m->nl = nl;
	m->log_prior = calloc(nl, sizeof(*m->log_prior));
	m->mean = calloc(nl * d + 1, sizeof(*m->mean));
	m->var = calloc(nl * d + 1, sizeof(*m->var));
	cnt = calloc(nl * d + 1, sizeof(*cnt));
	nclass = calloc(nl, sizeof(*nclass));
	if (!m->log_prior || !m->mean || !m->var || !cnt || !nclass) {
		free(cnt);
		free(nclass);
		return fail(m, "%s", "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		int64_t l = ex[i].target ? label_index(m->task, ex[i].target) : -1;
		if (l < 0 || ex[i].n_features != d) {
			free(cnt);
			free(nclass);
			return fail(
			        m,
			        !ex[i].target ? "train example '%s' has no target"
			        : l < 0 ? "train example '%s' has a label outside the task's labels"
			                : "train example '%s' has the wrong number of features",
			        ex[i].id);
		}
		nclass[l]++;
		for (size_t j = 0; j < d; j++)
			if (!isnan(ex[i].features[j])) {
				m->mean[l * d + j] += ex[i].features[j];
				cnt[l * d + j]++;
			}
	}
	for (size_t q = 0; q < nl * d; q++)
		m->mean[q] = cnt[q] > 0 ? m->mean[q] / cnt[q] : 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = (size_t)label_index(m->task, ex[i].target);
		for (size_t j = 0; j < d; j++)
			if (!isnan(ex[i].features[j])) {
				double dv = ex[i].features[j] - m->mean[l * d + j];
				m->var[l * d + j] += dv * dv;
			}
	}
	for (size_t q = 0; q < nl * d; q++)
		m->var[q] = cnt[q] > 0 ? m->var[q] / cnt[q] : 0;
	/* scikit-learn: epsilon = var_smoothing * max over features of the variance of X. */
	for (size_t j = 0; j < d; j++) {
		double sum = 0, ss = 0, mean;
		size_t c = 0;
		for (size_t i = 0; i < n; i++)
			if (!isnan(ex[i].features[j])) {
				sum += ex[i].features[j];
				c++;
			}
		mean = c ? sum / (double)c : 0;
		for (size_t i = 0; i < n; i++)
			if (!isnan(ex[i].features[j]))
				ss += (ex[i].features[j] - mean) * (ex[i].features[j] - mean);
		if (c && ss / (double)c > epsilon)
			epsilon = ss / (double)c;
	}
	epsilon *= m->var_smoothing;
	for (size_t q = 0; q < nl * d; q++)
		m->var[q] += epsilon;
	for (size_t l = 0; l < nl; l++)
		m->log_prior[l] = nclass[l] ? log((double)nclass[l] / (double)n) : -INFINITY;
	free(cnt);
	free(nclass);
	return 0;
}

static int predict(void *inst, const struct benchtop_example *ex, size_t n,
                   struct benchtop_prediction *out)
{
	struct gnb *m = inst;
	size_t nl = m->nl, d = m->d;
	double *scores = scratch_get(&m->scratch, (n * nl + 1) * sizeof(double));

	if (!scores)
		return fail(m, "%s", "out of memory");
	for (size_t i = 0; i < n; i++) {
		double *s = scores + i * nl, max = -INFINITY, sum = 0;
		size_t best = 0;
		if (ex[i].n_features != d) {
			out[i].error = "the example has the wrong number of features";
			continue;
		}
		for (size_t l = 0; l < nl; l++) {
			double jll = m->log_prior[l];
			for (size_t j = 0; isfinite(jll) && j < d; j++) {
				double x = ex[i].features[j], v = m->var[l * d + j];
				if (isnan(x))
					continue;
				/* A zero variance (var_smoothing=0, constant feature): exact match or nothing. */
				if (v <= 0)
					jll = x == m->mean[l * d + j] ? jll : -INFINITY;
				else
					jll -= 0.5 * (log(2 * M_PI * v) +
					              (x - m->mean[l * d + j]) *
					                      (x - m->mean[l * d + j]) / v);
			}
			s[l] = jll;
			if (jll > max)
				max = jll;
		}
		/* Probabilities through log-sum-exp; if every class is impossible, the prior decides. */
		for (size_t l = 0; l < nl; l++) {
			s[l] = isfinite(max)
			               ? exp(s[l] - max)
			               : (isfinite(m->log_prior[l]) ? exp(m->log_prior[l]) : 0);
			sum += s[l];
		}
		for (size_t l = 0; l < nl; l++) {
			s[l] /= sum;
			if (s[l] > s[best])
				best = l;
		}
		out[i].label = m->task->labels[best];
		out[i].scores = s;
		out[i].n_scores = nl;
	}
	return 0;
}

static void destroy(void *inst)
{
	struct gnb *m = inst;

	scratch_destroy(&m->scratch);
	free(m->log_prior);
	free(m->mean);
	free(m->var);
	free(m);
}

static const char *last_error(void *inst)
{
	const struct gnb *m = inst;

	return m && m->error[0] ? m->error : NULL;
}

static const struct benchtop_plugin descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = BENCHTOP_PLUGIN_ABI_MINOR,
        .size = sizeof(struct benchtop_plugin),
        .name = "gnb",
        .version = "1.0.0",
        .description = "Gaussian naive Bayes (scikit-learn's var_smoothing)",
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
