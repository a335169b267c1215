/*
 * knn.c - k nearest neighbours over the train split.
 *
 * Numeric inputs (the example's features): distances after standardising
 * each feature with the train mean and standard deviation (missing values
 * count as the train mean).  Text inputs (tasks without numeric features,
 * and every generation, multiple-choice and retrieval task): hashed
 * character-trigram TF-IDF vectors compared by cosine similarity, with
 * the distance taken as 1 - similarity.
 *
 *   classification    weighted vote of the k nearest; scores are the vote
 *                     shares (probabilities)
 *   regression        weighted mean of the k nearest targets
 *   generation        the target text of the nearest train example
 *   multiple_choice   the choice with the highest sum of two cosine
 *                     similarities: to the correct answers of the k nearest
 *                     train questions (their mean, each weighted by its
 *                     question's similarity, so a near-duplicate question
 *                     decides and unrelated ones barely count), and to the
 *                     question itself; ties go to the lowest index
 *   retrieval         the train records are the corpus: up to `depth`
 *                     document ids ranked by cosine similarity to the query
 *
 * Neighbours are ordered by distance, then by train position, so results
 * never depend on the batch or the thread.  Params:
 *   k=5                neighbours
 *   metric=euclidean   euclidean, manhattan or cosine (numeric inputs)
 *   standardize=true   standardise numeric features
 *   weights=uniform    uniform or distance (1/d; exact matches take all)
 *   depth=100          documents ranked per retrieval query
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchtop/plugin.h"
#include "scratch.h"

#define DIM (1u << 18) /* hashed trigram space */

enum metric { EUCLIDEAN, MANHATTAN, COSINE };

/* An L2-normalised sparse vector, indices ascending. */
struct sparse {
	uint32_t *idx;
	double *val;
	size_t n;
};

struct knn {
	const struct benchtop_host *host;
	const struct benchtop_task_info *task;
	char error[256];
	int64_t k, depth;
	enum metric metric;
	int standardize, distance_weights;
	int text; /* compare text, not features */
	size_t n; /* train examples */
	/* numeric inputs: x is n * d, transformed */
	size_t d;
	double *x, *center, *scale, *impute;
	/* targets */
	int64_t *label;
	double *value;
	char **target_text; /* generation */
	char **ids;         /* retrieval */
	/* text inputs: idf, document vectors, and an inverted index over them */
	double *idf;
	struct sparse *docs, *answers;
	size_t *post_start; /* DIM + 1 */
	uint32_t *post_doc;
	double *post_w;
	/* per-thread results */
	struct scratch scratch; /* per-thread result buffers (scratch.h) */
};

static int fail(struct knn *m, const char *fmt, const char *arg)
{
	snprintf(m->error, sizeof(m->error), fmt, arg);
	return -1;
}

static int create(void **out, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	struct knn *m = calloc(1, sizeof(*m));
	const char *metric, *weights;

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
	if (host->param_int(host, "k", 5, &m->k) ||
	    host->param_string(host, "metric", "euclidean", &metric) ||
	    host->param_bool(host, "standardize", 1, &m->standardize) ||
	    host->param_string(host, "weights", "uniform", &weights) ||
	    host->param_int(host, "depth", 100, &m->depth))
		return fail(m, "%s", "bad param");
	if (m->k < 1)
		return fail(m, "%s", "k must be at least 1");
	if (m->depth < 1)
		return fail(m, "%s", "depth must be at least 1");
	if (strcmp(metric, "euclidean") == 0)
		m->metric = EUCLIDEAN;
	else if (strcmp(metric, "manhattan") == 0)
		m->metric = MANHATTAN;
	else if (strcmp(metric, "cosine") == 0)
		m->metric = COSINE;
	else
		return fail(m, "metric must be euclidean, manhattan or cosine, not '%s'", metric);
	if (strcmp(weights, "uniform") == 0)
		m->distance_weights = 0;
	else if (strcmp(weights, "distance") == 0)
		m->distance_weights = 1;
	else
		return fail(m, "weights must be uniform or distance, not '%s'", weights);
	m->text = task->type == BENCHTOP_TASK_GENERATION ||
	          task->type == BENCHTOP_TASK_MULTIPLE_CHOICE ||
	          task->type == BENCHTOP_TASK_RETRIEVAL || task->n_features == 0;
	return 0;
}

/* --- text: hashed character trigrams -------------------------------------------- */

static uint32_t trigram_hash(const unsigned char *t)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (int i = 0; i < 3; i++)
		h = (h ^ t[i]) * 16777619u;
	return h & (DIM - 1);
}

/*
 * The trigrams of each word padded with one space on each side (as
 * scikit-learn's char_wb analyser does), after lower-casing ASCII and
 * treating ASCII punctuation as space.  Bytes of UTF-8 sequences are kept
 * as they are.  *out (caller frees) receives the hashes, repeated.
 */
static size_t trigrams(const char *text, uint32_t **out)
{
	size_t len = text ? strlen(text) : 0, n = 0;
	unsigned char *w = malloc(len + 3);
	uint32_t *h = malloc((len * 3 + 1) * sizeof(*h));
	size_t i = 0;

	*out = h;
	if (!w || !h) {
		free(w);
		return 0;
	}
	while (i < len) {
		size_t wl = 0;
		while (i < len) {
			unsigned char c = (unsigned char)text[i];
			if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			                  (c >= 'A' && c <= 'Z')))
				break;
			w[1 + wl++] = (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
			i++;
		}
		if (wl) {
			w[0] = ' ';
			w[wl + 1] = ' ';
			for (size_t j = 0; j + 3 <= wl + 2; j++)
				h[n++] = trigram_hash(w + j);
		}
		while (i < len) {
			unsigned char c = (unsigned char)text[i];
			if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z'))
				break;
			i++;
		}
	}
	free(w);
	return n;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Term counts of `text` as a sparse vector (not yet weighted). */
static int term_counts(const char *text, struct sparse *v)
{
	uint32_t *h;
	size_t n = trigrams(text, &h), k = 0;

	memset(v, 0, sizeof(*v));
	if (!h)
		return -1;
	qsort(h, n, sizeof(*h), cmp_u32);
	v->idx = malloc((n + 1) * sizeof(*v->idx));
	v->val = malloc((n + 1) * sizeof(*v->val));
	if (!v->idx || !v->val) {
		free(h);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && v->idx[k - 1] == h[i]) {
			v->val[k - 1] += 1;
		} else {
			v->idx[k] = h[i];
			v->val[k++] = 1;
		}
	}
	v->n = k;
	free(h);
	return 0;
}

/* Weight counts by idf and normalise to unit length. */
static void weigh(const struct knn *m, struct sparse *v)
{
	double norm = 0;

	for (size_t i = 0; i < v->n; i++) {
		v->val[i] *= m->idf[v->idx[i]];
		norm += v->val[i] * v->val[i];
	}
	norm = sqrt(norm);
	for (size_t i = 0; norm > 0 && i < v->n; i++)
		v->val[i] /= norm;
}

static int vectorize(const struct knn *m, const char *text, struct sparse *v)
{
	if (term_counts(text, v))
		return -1;
	weigh(m, v);
	return 0;
}

static void sparse_free(struct sparse *v)
{
	free(v->idx);
	free(v->val);
	memset(v, 0, sizeof(*v));
}

static double sparse_dot(const struct sparse *a, const struct sparse *b)
{
	size_t i = 0, j = 0;
	double s = 0;

	while (i < a->n && j < b->n) {
		if (a->idx[i] < b->idx[j])
			i++;
		else if (a->idx[i] > b->idx[j])
			j++;
		else
			s += a->val[i++] * b->val[j++];
	}
	return s;
}

/* Cosine similarity of the query to every train record, through the inverted index. */
static void similarities(const struct knn *m, const struct sparse *q, double *sim)
{
	memset(sim, 0, m->n * sizeof(*sim));
	for (size_t t = 0; t < q->n; t++) {
		uint32_t h = q->idx[t];
		for (size_t p = m->post_start[h]; p < m->post_start[h + 1]; p++)
			sim[m->post_doc[p]] += q->val[t] * m->post_w[p];
	}
}

/*
 * The text an example stands for (caller frees): its first text input;
 * for retrieval documents, every text field joined (a title and a body);
 * failing those, every text field, then the example as JSON.  NULL when
 * the example has nothing at all.
 */
static char *example_text(const struct knn *m, const struct benchtop_example *e, int document)
{
	size_t len = 0, at = 0;
	char *s;

	if (e->text && !document)
		return strdup(e->text);
	for (size_t i = 0; i < e->n_fields; i++)
		if (e->fields[i].type == BENCHTOP_FIELD_TEXT && e->fields[i].text)
			len += e->fields[i].text_len + 1;
	if (len == 0) {
		const char *json = e->text                 ? e->text
		                   : m->host->example_json ? m->host->example_json(m->host, e)
		                                           : NULL;
		return json && strcmp(json, "{}") != 0 ? strdup(json) : NULL;
	}
	s = malloc(len + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < e->n_fields; i++)
		if (e->fields[i].type == BENCHTOP_FIELD_TEXT && e->fields[i].text) {
			if (at)
				s[at++] = ' ';
			memcpy(s + at, e->fields[i].text, e->fields[i].text_len);
			at += e->fields[i].text_len;
		}
	s[at] = '\0';
	return s;
}

static int fit_text(struct knn *m, const struct benchtop_example *ex, size_t n)
{
	size_t *df = calloc(DIM, sizeof(*df)), total = 0;

	m->idf = malloc(DIM * sizeof(*m->idf));
	m->docs = calloc(n, sizeof(*m->docs));
	m->post_start = calloc(DIM + 1, sizeof(*m->post_start));
	if (!df || !m->idf || !m->docs || !m->post_start)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		char *text = example_text(m, &ex[i], m->task->type == BENCHTOP_TASK_RETRIEVAL);
		int rc = term_counts(text ? text : "", &m->docs[i]);
		free(text);
		if (rc)
			goto oom;
		for (size_t t = 0; t < m->docs[i].n; t++)
			df[m->docs[i].idx[t]]++;
		total += m->docs[i].n;
	}
	/* scikit-learn's smoothed idf: ln((1 + n) / (1 + df)) + 1 */
	for (size_t h = 0; h < DIM; h++)
		m->idf[h] = log((1.0 + (double)n) / (1.0 + (double)df[h])) + 1.0;
	m->post_doc = malloc((total + 1) * sizeof(*m->post_doc));
	m->post_w = malloc((total + 1) * sizeof(*m->post_w));
	if (!m->post_doc || !m->post_w)
		goto oom;
	for (size_t h = 0; h < DIM; h++)
		m->post_start[h + 1] = m->post_start[h] + df[h];
	memset(df, 0, DIM * sizeof(*df)); /* now: postings filled per term */
	for (size_t i = 0; i < n; i++) {
		weigh(m, &m->docs[i]);
		for (size_t t = 0; t < m->docs[i].n; t++) {
			uint32_t h = m->docs[i].idx[t];
			size_t p = m->post_start[h] + df[h]++;
			m->post_doc[p] = (uint32_t)i;
			m->post_w[p] = m->docs[i].val[t];
		}
	}
	if (m->task->type == BENCHTOP_TASK_MULTIPLE_CHOICE) {
		m->answers = calloc(n, sizeof(*m->answers));
		if (!m->answers)
			goto oom;
		for (size_t i = 0; i < n; i++) {
			int64_t c = ex[i].target->choice;
			const char *a =
			        c >= 0 && (size_t)c < ex[i].n_choices ? ex[i].choices[c] : "";
			if (vectorize(m, a, &m->answers[i]))
				goto oom;
		}
	}
	free(df);
	return 0;
oom:
	free(df);
	return fail(m, "%s", "out of memory");
}

/* --- numeric inputs -------------------------------------------------------------- */

static int fit_numeric(struct knn *m, const struct benchtop_example *ex, size_t n)
{
	size_t d = m->task->n_features;

	m->d = d;
	m->x = malloc((n * d + 1) * sizeof(*m->x));
	m->center = calloc(d + 1, sizeof(*m->center));
	m->scale = malloc((d + 1) * sizeof(*m->scale));
	m->impute = calloc(d + 1, sizeof(*m->impute));
	if (!m->x || !m->center || !m->scale || !m->impute)
		return fail(m, "%s", "out of memory");
	for (size_t i = 0; i < n; i++)
		if (ex[i].n_features != d)
			return fail(m, "train example '%s' has the wrong number of features",
			            ex[i].id);
	for (size_t j = 0; j < d; j++) {
		double sum = 0, ss = 0;
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
		m->scale[j] = 1;
		if (m->standardize) {
			double sd = cnt ? sqrt(ss / (double)cnt) : 0;
			m->center[j] = m->impute[j];
			m->scale[j] = sd > 0 ? sd : 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < d; j++) {
			double v = ex[i].features[j];
			m->x[i * d + j] =
			        ((isnan(v) ? m->impute[j] : v) - m->center[j]) / m->scale[j];
		}
	return 0;
}

static double distance(const struct knn *m, const double *a, const double *b)
{
	double s = 0, na = 0, nb = 0;

	switch (m->metric) {
	case MANHATTAN:
		for (size_t j = 0; j < m->d; j++)
			s += fabs(a[j] - b[j]);
		return s;
	case COSINE:
		for (size_t j = 0; j < m->d; j++) {
			s += a[j] * b[j];
			na += a[j] * a[j];
			nb += b[j] * b[j];
		}
		return na > 0 && nb > 0 ? 1 - s / (sqrt(na) * sqrt(nb)) : 1;
	case EUCLIDEAN:
	default:
		for (size_t j = 0; j < m->d; j++)
			s += (a[j] - b[j]) * (a[j] - b[j]);
		return sqrt(s);
	}
}

/* --- fit -------------------------------------------------------------------------- */

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
	struct knn *m = inst;
	enum benchtop_task_type type = m->task->type;

	if (n == 0)
		return fail(m, "%s", "no train examples");
	if (n > UINT32_MAX)
		return fail(m, "%s", "too many train examples");
	m->n = n;
	m->label = calloc(n, sizeof(*m->label));
	m->value = calloc(n, sizeof(*m->value));
	if (!m->label || !m->value)
		return fail(m, "%s", "out of memory");
	for (size_t i = 0; i < n; i++) {
		/* Retrieval's train records are documents: they have no target. */
		if (!ex[i].target) {
			if (type != BENCHTOP_TASK_RETRIEVAL)
				return fail(m, "train example '%s' has no target", ex[i].id);
			continue;
		}
		if (type == BENCHTOP_TASK_CLASSIFICATION) {
			m->label[i] = label_index(m->task, ex[i].target);
			if (m->label[i] < 0)
				return fail(
				        m,
				        "train example '%s' has a label outside the task's labels",
				        ex[i].id);
		}
		m->value[i] = ex[i].target->value;
	}
	if (type == BENCHTOP_TASK_GENERATION || type == BENCHTOP_TASK_RETRIEVAL) {
		char **s = calloc(n, sizeof(*s));
		if (!s)
			return fail(m, "%s", "out of memory");
		if (type == BENCHTOP_TASK_GENERATION)
			m->target_text = s;
		else
			m->ids = s;
		for (size_t i = 0; i < n; i++) {
			const char *v =
			        type == BENCHTOP_TASK_GENERATION ? ex[i].target->text : ex[i].id;
			if (!(s[i] = strdup(v ? v : "")))
				return fail(m, "%s", "out of memory");
		}
	}
	return m->text ? fit_text(m, ex, n) : fit_numeric(m, ex, n);
}

/* --- predict -------------------------------------------------------------------- */

/*
 * The `want` best of `score` (higher is better; ties: lower index) into
 * best[0..), best first.  Returns how many.
 */
static size_t top(const double *score, size_t n, size_t want, size_t *best)
{
	size_t have = 0;

	for (size_t i = 0; i < n && want > 0; i++) {
		size_t j;
		if (have == want && !(score[i] > score[best[have - 1]]))
			continue;
		j = have < want ? have++ : have - 1;
		while (j > 0 && score[i] > score[best[j - 1]]) {
			best[j] = best[j - 1];
			j--;
		}
		best[j] = i;
	}
	return have;
}

/* Neighbour weights from distances, as scikit-learn defines them. */
static void weights(const struct knn *m, const double *dist, size_t k, double *w)
{
	int exact = 0;

	for (size_t i = 0; i < k; i++)
		exact |= dist[i] == 0;
	for (size_t i = 0; i < k; i++)
		w[i] = !m->distance_weights ? 1.0 : exact ? (dist[i] == 0) : 1.0 / dist[i];
}

/*
 * The k nearest neighbours of one example: indices into the train split
 * and distances, nearest first.  `score` is n doubles of workspace.
 */
static int neighbours(const struct knn *m, const struct benchtop_example *e, size_t k,
                      double *score, size_t *nb, double *dist, const char **err)
{
	size_t got;

	if (m->text) {
		struct sparse q;
		char *text = example_text(m, e, 0);
		int rc;
		if (!text) {
			*err = "the example has no text input";
			return -1;
		}
		rc = vectorize(m, text, &q);
		free(text);
		if (rc)
			return -2;
		similarities(m, &q, score);
		sparse_free(&q);
	} else {
		double *x = malloc((m->d + 1) * sizeof(*x));
		if (!x)
			return -2;
		if (e->n_features != m->d) {
			free(x);
			*err = "the example has the wrong number of features";
			return -1;
		}
		for (size_t j = 0; j < m->d; j++) {
			double v = e->features[j];
			x[j] = ((isnan(v) ? m->impute[j] : v) - m->center[j]) / m->scale[j];
		}
		for (size_t i = 0; i < m->n; i++)
			score[i] = -distance(m, x, m->x + i * m->d);
		free(x);
	}
	got = top(score, m->n, k, nb);
	for (size_t i = 0; i < got; i++)
		dist[i] = m->text ? 1 - score[nb[i]] : -score[nb[i]];
	/* Rounding can leave an identical text a hair above distance 0. */
	for (size_t i = 0; m->text && i < got; i++)
		if (dist[i] < 1e-12)
			dist[i] = 0;
	return 0;
}

struct term {
	uint32_t idx;
	double val;
};

static int cmp_term(const void *a, const void *b)
{
	uint32_t x = ((const struct term *)a)->idx, y = ((const struct term *)b)->idx;

	return x < y ? -1 : x > y;
}

/*
 * What a right answer looks like: the mean of the neighbours' correct
 * answers, each weighted by its question's similarity to this one.  Not
 * normalised: its length says how much the neighbours are worth.
 */
static int answer_profile(const struct knn *m, const size_t *nb, const double *dist, size_t k,
                          struct sparse *out)
{
	struct term *t;
	size_t total = 0, n = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < k; i++)
		total += m->answers[nb[i]].n;
	t = malloc((total + 1) * sizeof(*t));
	out->idx = malloc((total + 1) * sizeof(*out->idx));
	out->val = malloc((total + 1) * sizeof(*out->val));
	if (!t || !out->idx || !out->val) {
		free(t);
		sparse_free(out);
		return -1;
	}
	for (size_t i = 0; i < k; i++) {
		const struct sparse *a = &m->answers[nb[i]];
		for (size_t j = 0; j < a->n; j++) {
			t[n].idx = a->idx[j];
			t[n++].val = (1 - dist[i]) * a->val[j];
		}
	}
	/* Equal indices are summed in whatever order qsort leaves them: the same for the same input. */
	qsort(t, n, sizeof(*t), cmp_term);
	for (size_t i = 0; i < n; i++) {
		if (out->n > 0 && out->idx[out->n - 1] == t[i].idx) {
			out->val[out->n - 1] += t[i].val;
		} else {
			out->idx[out->n] = t[i].idx;
			out->val[out->n++] = t[i].val;
		}
	}
	for (size_t i = 0; k > 0 && i < out->n; i++)
		out->val[i] /= (double)k;
	free(t);
	return 0;
}

static int64_t pick_choice(const struct knn *m, const struct benchtop_example *e, const size_t *nb,
                           const double *dist, size_t k)
{
	struct sparse q, c, profile;
	double best_score = -INFINITY;
	int64_t best = 0;
	char *text = example_text(m, e, 0);
	int rc = text ? vectorize(m, text, &q) : -1;

	free(text);
	if (rc)
		return -1;
	if (answer_profile(m, nb, dist, k, &profile)) {
		sparse_free(&q);
		return -1;
	}
	for (size_t i = 0; i < e->n_choices; i++) {
		double score;
		if (vectorize(m, e->choices[i] ? e->choices[i] : "", &c)) {
			best = -1;
			break;
		}
		score = sparse_dot(&c, &profile) + sparse_dot(&c, &q);
		sparse_free(&c);
		if (score > best_score) {
			best_score = score;
			best = (int64_t)i;
		}
	}
	sparse_free(&profile);
	sparse_free(&q);
	return best;
}

static int predict(void *inst, const struct benchtop_example *ex, size_t n,
                   struct benchtop_prediction *out)
{
	struct knn *m = inst;
	enum benchtop_task_type type = m->task->type;
	size_t nl = m->task->n_labels, k = (size_t)m->k < m->n ? (size_t)m->k : m->n;
	size_t depth = (size_t)m->depth < m->n ? (size_t)m->depth : m->n;
	size_t want = type == BENCHTOP_TASK_RETRIEVAL ? depth : k, per = 0;
	double *score = malloc((m->n + 1) * sizeof(*score));
	double *dist = malloc((want + 1) * sizeof(*dist)), *w = malloc((want + 1) * sizeof(*w));
	size_t *nb = malloc((want + 1) * sizeof(*nb));
	char *results = NULL;
	int rc = 0;

	if (type == BENCHTOP_TASK_CLASSIFICATION)
		per = nl * sizeof(double);
	else if (type == BENCHTOP_TASK_RETRIEVAL)
		per = depth * sizeof(const char *);
	if (score && dist && w && nb)
		results = scratch_get(&m->scratch, n * per + 1);
	if (!results) {
		rc = fail(m, "%s", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *err = NULL;
		double sum = 0, wsum = 0;
		int r = neighbours(m, &ex[i], want, score, nb, dist, &err);
		if (r == -1) {
			out[i].error = err;
			continue;
		}
		if (r) {
			rc = fail(m, "%s", "out of memory");
			break;
		}
		switch (type) {
		case BENCHTOP_TASK_CLASSIFICATION: {
			double *s = (double *)(void *)(results + i * per);
			size_t best = 0;
			weights(m, dist, k, w);
			memset(s, 0, nl * sizeof(*s));
			for (size_t j = 0; j < k; j++) {
				s[m->label[nb[j]]] += w[j];
				wsum += w[j];
			}
			for (size_t l = 0; l < nl; l++) {
				s[l] /= wsum;
				if (s[l] > s[best])
					best = l;
			}
			out[i].label = m->task->labels[best];
			out[i].scores = s;
			out[i].n_scores = nl;
			break;
		}
		case BENCHTOP_TASK_REGRESSION:
			weights(m, dist, k, w);
			for (size_t j = 0; j < k; j++) {
				sum += w[j] * m->value[nb[j]];
				wsum += w[j];
			}
			out[i].value = sum / wsum;
			break;
		case BENCHTOP_TASK_GENERATION:
			out[i].text = m->target_text[nb[0]];
			break;
		case BENCHTOP_TASK_MULTIPLE_CHOICE:
			if (ex[i].n_choices == 0) {
				out[i].error = "the example has no choices";
				break;
			}
			out[i].choice = pick_choice(m, &ex[i], nb, dist, k);
			if (out[i].choice < 0)
				rc = fail(m, "%s", "out of memory");
			break;
		case BENCHTOP_TASK_RETRIEVAL: {
			const char **rank = (const char **)(void *)(results + i * per);
			for (size_t j = 0; j < depth; j++)
				rank[j] = m->ids[nb[j]];
			out[i].ranking = rank;
			out[i].n_ranking = depth;
			break;
		}
		}
	}
out:
	free(score);
	free(dist);
	free(w);
	free(nb);
	return rc;
}

static void destroy(void *inst)
{
	struct knn *m = inst;

	scratch_destroy(&m->scratch);
	for (size_t i = 0; i < m->n; i++) {
		if (m->docs)
			sparse_free(&m->docs[i]);
		if (m->answers)
			sparse_free(&m->answers[i]);
		if (m->target_text)
			free(m->target_text[i]);
		if (m->ids)
			free(m->ids[i]);
	}
	free(m->docs);
	free(m->answers);
	free(m->target_text);
	free(m->ids);
	free(m->idf);
	free(m->post_start);
	free(m->post_doc);
	free(m->post_w);
	free(m->x);
	free(m->center);
	free(m->scale);
	free(m->impute);
	free(m->label);
	free(m->value);
	free(m);
}

static const char *last_error(void *inst)
{
	const struct knn *m = inst;

	return m && m->error[0] ? m->error : NULL;
}

static const struct benchtop_plugin descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = BENCHTOP_PLUGIN_ABI_MINOR,
        .size = sizeof(struct benchtop_plugin),
        .name = "knn",
        .version = "1.0.0",
        .description = "k nearest neighbours (standardised features, or trigram TF-IDF text)",
        .flags = BENCHTOP_PLUGIN_THREAD_SAFE | BENCHTOP_PLUGIN_NEEDS_TRAIN,
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_REGRESSION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_GENERATION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_MULTIPLE_CHOICE) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_RETRIEVAL),
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
