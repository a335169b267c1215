/*
 * majority.c - the baseline every model must beat: predict what was most
 * common in the train split, whatever the input.
 *
 *   classification    the most frequent train label (ties: the first in the
 *                     task's label order), with the train label frequencies
 *                     as probabilities
 *   regression        the mean of the train targets
 *   generation        the most frequent train target text (ties: the first
 *                     seen)
 *   multiple_choice   the most frequent index of the correct choice (ties:
 *                     the lowest), clamped to the example's choices
 *   retrieval         documents ranked by how often train examples list them
 *                     as relevant (ties: first seen), then the remaining
 *                     train documents in train order
 *
 * Predict only reads what fit stored, so one instance serves every thread.
 * Takes no params.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchtop/plugin.h"

struct majority {
	const struct benchtop_task_info *task;
	char error[256];
	int64_t label;  /* classification: index into task->labels */
	double *scores; /* classification: n_labels train frequencies */
	double mean;    /* regression */
	char *text;     /* generation */
	int64_t choice; /* multiple_choice */
	char **ranking; /* retrieval: ids, most often relevant first */
	size_t n_ranking;
};

static int fail(struct majority *m, const char *msg)
{
	snprintf(m->error, sizeof(m->error), "%s", msg);
	return -1;
}

static int create(void **out, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	struct majority *m = calloc(1, sizeof(*m));

	(void)host;
	*out = m;
	if (!m)
		return -1;
	m->task = task;
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

/* Distinct strings with counts, in first-seen order, found through a hash index. */
struct counter {
	char **keys;
	size_t *counts;
	size_t n, cap;
	size_t *slots; /* index + 1 into keys, 0 for empty; nslots a power of two */
	size_t nslots;
};

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return (size_t)h;
}

/* The key's index, or -1 when absent. */
static long counter_find(const struct counter *c, const char *key)
{
	size_t mask = c->nslots - 1, i;

	if (!c->nslots)
		return -1;
	for (i = hash(key) & mask; c->slots[i]; i = (i + 1) & mask)
		if (strcmp(c->keys[c->slots[i] - 1], key) == 0)
			return (long)(c->slots[i] - 1);
	return -1;
}

static int counter_rehash(struct counter *c)
{
	size_t n = c->nslots ? c->nslots * 2 : 256, *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t k = 0; k < c->n; k++) {
		size_t i = hash(c->keys[k]) & (n - 1);
		while (slots[i])
			i = (i + 1) & (n - 1);
		slots[i] = k + 1;
	}
	free(c->slots);
	c->slots = slots;
	c->nslots = n;
	return 0;
}

/* Add `by` to key's count, adding the key when new. */
static int count(struct counter *c, const char *key, size_t by)
{
	long k = counter_find(c, key);
	size_t i;

	if (k >= 0) {
		c->counts[k] += by;
		return 0;
	}
	if ((c->n + 1) * 2 > c->nslots && counter_rehash(c))
		return -1;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		char **keys = realloc(c->keys, cap * sizeof(*keys));
		size_t *counts;
		if (!keys)
			return -1;
		c->keys = keys;
		counts = realloc(c->counts, cap * sizeof(*counts));
		if (!counts)
			return -1;
		c->counts = counts;
		c->cap = cap;
	}
	c->keys[c->n] = strdup(key);
	if (!c->keys[c->n])
		return -1;
	c->counts[c->n] = by;
	for (i = hash(key) & (c->nslots - 1); c->slots[i]; i = (i + 1) & (c->nslots - 1))
		;
	c->slots[i] = ++c->n;
	return 0;
}

static void counter_free(struct counter *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->keys[i]);
	free(c->keys);
	free(c->counts);
	free(c->slots);
}

static int fit_classification(struct majority *m, const struct benchtop_example *ex, size_t n)
{
	size_t nl = m->task->n_labels, *counts;

	if (nl == 0)
		return fail(m, "the task has no labels");
	counts = calloc(nl, sizeof(*counts));
	m->scores = calloc(nl, sizeof(*m->scores));
	if (!counts || !m->scores) {
		free(counts);
		return fail(m, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		int64_t l = label_index(m->task, ex[i].target);
		if (l < 0) {
			free(counts);
			snprintf(m->error, sizeof(m->error),
			         "train example '%s' has a label outside the task's labels",
			         ex[i].id);
			return -1;
		}
		counts[l]++;
	}
	m->label = 0;
	for (size_t l = 0; l < nl; l++) {
		m->scores[l] = (double)counts[l] / (double)n;
		if (counts[l] > counts[m->label])
			m->label = (int64_t)l;
	}
	free(counts);
	return 0;
}

static int fit_generation(struct majority *m, const struct benchtop_example *ex, size_t n)
{
	struct counter c = {0};
	size_t best = 0;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		rc = count(&c, ex[i].target->text ? ex[i].target->text : "", 1);
	if (rc == 0) {
		for (size_t i = 1; i < c.n; i++)
			if (c.counts[i] > c.counts[best])
				best = i;
		m->text = strdup(c.n ? c.keys[best] : "");
		rc = m->text ? 0 : -1;
	}
	counter_free(&c);
	return rc ? fail(m, "out of memory") : 0;
}

static int fit_choice(struct majority *m, const struct benchtop_example *ex, size_t n)
{
	size_t counts[64] = {0}, best = 0;

	/* Indices past 63 are rare enough to count as 63: they can only lose. */
	for (size_t i = 0; i < n; i++) {
		int64_t c = ex[i].target->choice;
		if (c >= 0)
			counts[c < 63 ? c : 63]++;
	}
	for (size_t i = 1; i < 64; i++)
		if (counts[i] > counts[best])
			best = i;
	m->choice = (int64_t)best;
	return 0;
}

static int fit_retrieval(struct majority *m, const struct benchtop_example *ex, size_t n)
{
	struct counter c = {0};
	size_t *order = NULL;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++)
		for (size_t j = 0; ex[i].target && j < ex[i].target->n_relevant && rc == 0; j++)
			rc = count(&c, ex[i].target->relevant[j], 1);
	/* Every train record is a document too: those never relevant follow, count 0. */
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = count(&c, ex[i].id, 0);
	if (rc == 0 && (order = malloc((c.n + 1) * sizeof(*order))) == NULL)
		rc = -1;
	if (rc == 0) {
		/* A stable insertion sort by count, descending: ties keep first-seen order. */
		for (size_t i = 0; i < c.n; i++) {
			size_t j = i;
			while (j > 0 && c.counts[order[j - 1]] < c.counts[i]) {
				order[j] = order[j - 1];
				j--;
			}
			order[j] = i;
		}
		m->ranking = calloc(c.n + 1, sizeof(*m->ranking));
		if (!m->ranking)
			rc = -1;
	}
	if (rc == 0) {
		for (size_t i = 0; i < c.n; i++) {
			m->ranking[i] = c.keys[order[i]];
			c.keys[order[i]] = NULL;
		}
		m->n_ranking = c.n;
	}
	free(order);
	counter_free(&c);
	return rc ? fail(m, "out of memory") : 0;
}

static int fit(void *inst, const struct benchtop_example *ex, size_t n)
{
	struct majority *m = inst;
	double sum = 0;

	if (n == 0)
		return fail(m, "no train examples");
	/* Retrieval's train records are documents, which may have no target. */
	for (size_t i = 0; i < n && m->task->type != BENCHTOP_TASK_RETRIEVAL; i++)
		if (!ex[i].target) {
			snprintf(m->error, sizeof(m->error), "train example '%s' has no target",
			         ex[i].id);
			return -1;
		}
	switch (m->task->type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		return fit_classification(m, ex, n);
	case BENCHTOP_TASK_REGRESSION:
		for (size_t i = 0; i < n; i++)
			sum += ex[i].target->value;
		m->mean = sum / (double)n;
		return 0;
	case BENCHTOP_TASK_GENERATION:
		return fit_generation(m, ex, n);
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		return fit_choice(m, ex, n);
	case BENCHTOP_TASK_RETRIEVAL:
		return fit_retrieval(m, ex, n);
	}
	return fail(m, "unsupported task type");
}

static int predict(void *inst, const struct benchtop_example *ex, size_t n,
                   struct benchtop_prediction *out)
{
	const struct majority *m = inst;

	for (size_t i = 0; i < n; i++) {
		switch (m->task->type) {
		case BENCHTOP_TASK_CLASSIFICATION:
			out[i].label = m->task->labels[m->label];
			out[i].scores = m->scores;
			out[i].n_scores = m->task->n_labels;
			break;
		case BENCHTOP_TASK_REGRESSION:
			out[i].value = m->mean;
			break;
		case BENCHTOP_TASK_GENERATION:
			out[i].text = m->text;
			break;
		case BENCHTOP_TASK_MULTIPLE_CHOICE:
			if (ex[i].n_choices == 0)
				out[i].error = "the example has no choices";
			else if ((size_t)m->choice >= ex[i].n_choices)
				out[i].choice = (int64_t)ex[i].n_choices - 1;
			else
				out[i].choice = m->choice;
			break;
		case BENCHTOP_TASK_RETRIEVAL:
			out[i].ranking = (const char *const *)m->ranking;
			out[i].n_ranking = m->n_ranking;
			break;
		}
	}
	return 0;
}

static void destroy(void *inst)
{
	struct majority *m = inst;

	for (size_t i = 0; i < m->n_ranking; i++)
		free(m->ranking[i]);
	free(m->ranking);
	free(m->scores);
	free(m->text);
	free(m);
}

static const char *last_error(void *inst)
{
	const struct majority *m = inst;

	return m && m->error[0] ? m->error : NULL;
}

static const struct benchtop_plugin descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = BENCHTOP_PLUGIN_ABI_MINOR,
        .size = sizeof(struct benchtop_plugin),
        .name = "majority",
        .version = "1.0.0",
        .description = "Baseline: predicts the most frequent train target",
        .flags = BENCHTOP_PLUGIN_THREAD_SAFE | BENCHTOP_PLUGIN_BATCH | BENCHTOP_PLUGIN_NEEDS_TRAIN,
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_REGRESSION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_GENERATION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_MULTIPLE_CHOICE) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_RETRIEVAL),
        .preferred_batch = 1024,
        .create = create,
        .fit = fit,
        .predict = predict,
        .destroy = destroy,
        .last_error = last_error,
};

BENCHTOP_PLUGIN_EXPORT const struct benchtop_plugin *benchtop_plugin_entry(void)
{
	return &descriptor;
}
