/*
 * plugin-check.c - exercising a model plugin on generated data, and listing
 * the plugins on the search path (plugin-check.h).
 *
 * The generated tasks are small (tens of examples) so that a check takes
 * well under a second, but real enough that a model that learns scores
 * well on them.  Threads here are plain pthreads, not OpenMP: a check only
 * needs a few callers at once on one instance.
 */
#include "config.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "plugin-check.h"
#include "util.h"

static const char *const task_names[] = {
        [BENCHTOP_TASK_CLASSIFICATION] = "classification",
        [BENCHTOP_TASK_REGRESSION] = "regression",
        [BENCHTOP_TASK_GENERATION] = "generation",
        [BENCHTOP_TASK_MULTIPLE_CHOICE] = "multiple_choice",
        [BENCHTOP_TASK_RETRIEVAL] = "retrieval",
};
#define N_TASK_TYPES ((int)BT_ARRAY_SIZE(task_names))

const char *bt_check_task_name(enum benchtop_task_type type)
{
	if ((int)type > 0 && (int)type < N_TASK_TYPES)
		return task_names[type];
	return "unknown";
}

int bt_check_task_parse(const char *name)
{
	for (int t = 1; t < N_TASK_TYPES; t++)
		if (strcmp(name, task_names[t]) == 0)
			return t;
	return -1;
}

char *bt_plugin_flags_string(uint32_t flags)
{
	struct bt_buf b = BT_BUF_INIT;

	if (flags & BENCHTOP_PLUGIN_THREAD_SAFE)
		bt_buf_puts(&b, "thread_safe");
	if (flags & BENCHTOP_PLUGIN_BATCH)
		bt_buf_printf(&b, "%sbatch", b.len ? "," : "");
	if (flags & BENCHTOP_PLUGIN_NEEDS_TRAIN)
		bt_buf_printf(&b, "%sneeds_train", b.len ? "," : "");
	if (flags & ~(uint32_t)(BENCHTOP_PLUGIN_THREAD_SAFE | BENCHTOP_PLUGIN_BATCH |
	                        BENCHTOP_PLUGIN_NEEDS_TRAIN))
		bt_buf_printf(&b, "%sunknown(0x%x)", b.len ? "," : "", (unsigned)(flags & ~7u));
	if (!b.len)
		bt_buf_puts(&b, "none");
	return bt_buf_detach(&b);
}

/* --- generated data -------------------------------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15u); /* splitmix64 */

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static double rng_uniform(struct rng *r)
{
	return ((double)(rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal(struct rng *r)
{
	double u = rng_uniform(r), v = rng_uniform(r);

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static void *data_alloc(struct bt_check_data *d, size_t n)
{
	void *p = bt_xcalloc(1, n ? n : 1);

	bt_grow(&d->blocks, &d->cap_blocks, d->n_blocks + 1, sizeof(*d->blocks));
	d->blocks[d->n_blocks++] = p;
	return p;
}

static const char *data_str(struct bt_check_data *d, char *s)
{
	bt_grow(&d->strings, &d->cap_strings, d->n_strings + 1, sizeof(*d->strings));
	d->strings[d->n_strings++] = s;
	return s;
}

/*
 * A made-up word: three syllables picked by i (distinct for distinct i
 * below 4096, since 1031 is prime to 4096), with `salt` giving a second,
 * unrelated vocabulary.
 */
static char *word(size_t i, size_t salt)
{
	static const char *const syl[16] = {"ba", "ke", "li", "mo", "nu", "pa", "re", "si",
	                                    "to", "vu", "da", "fe", "gi", "ho", "ju", "ka"};
	size_t k = (i * 1031 + salt * 2311 + 7) % 4096;

	return bt_xasprintf("%s%s%s", syl[k / 256], syl[(k / 16) % 16], syl[k % 16]);
}

static void set_examples(struct bt_check_data *d, size_t n_train, size_t n_test)
{
	d->n_train = n_train;
	d->n_test = n_test;
	d->train = data_alloc(d, n_train * sizeof(*d->train));
	d->test = data_alloc(d, n_test * sizeof(*d->test));
	d->train_targets = data_alloc(d, n_train * sizeof(*d->train_targets));
	d->test_targets = data_alloc(d, n_test * sizeof(*d->test_targets));
	for (size_t i = 0; i < n_train; i++) {
		d->train[i].index = i;
		d->train[i].target = &d->train_targets[i];
		d->train[i].id = data_str(d, bt_xasprintf("train-%zu", i));
		d->train_targets[i].label_index = -1;
	}
	for (size_t i = 0; i < n_test; i++) {
		d->test[i].index = i;
		d->test[i].id = data_str(d, bt_xasprintf("ex-%zu", i));
		d->test_targets[i].label_index = -1;
	}
}

/* Numeric fields x0..x(dim-1) from ex->features (NaN: a missing, null field). */
static void numeric_fields(struct bt_check_data *d, struct benchtop_example *ex, size_t dim)
{
	struct benchtop_field *f = data_alloc(d, dim * sizeof(*f));

	for (size_t j = 0; j < dim; j++) {
		f[j].name = d->info.inputs[j];
		f[j].type = isnan(ex->features[j]) ? BENCHTOP_FIELD_NULL : BENCHTOP_FIELD_NUMBER;
		f[j].number = isnan(ex->features[j]) ? 0 : ex->features[j];
	}
	ex->fields = f;
	ex->n_fields = dim;
	ex->n_features = dim;
}

static void text_field(struct bt_check_data *d, struct benchtop_example *ex, const char *name,
                       char *text)
{
	struct benchtop_field *f = data_alloc(d, sizeof(*f));

	f->name = name;
	f->type = BENCHTOP_FIELD_TEXT;
	f->text = data_str(d, text);
	f->text_len = strlen(text);
	ex->fields = f;
	ex->n_fields = 1;
	ex->text = f->text;
}

static void inputs(struct bt_check_data *d, size_t n, const char *const *names)
{
	const char **in = data_alloc(d, n * sizeof(*in));

	for (size_t i = 0; i < n; i++)
		in[i] = names[i];
	d->info.inputs = in;
	d->info.n_inputs = n;
}

static void make_classification(struct bt_check_data *d, struct rng *r)
{
	static const char *const labels[] = {"a", "b", "c"};
	static const char *const names[] = {"x0", "x1", "x2", "x3"};
	const size_t dim = 4;

	d->info.labels = labels;
	d->info.n_labels = 3;
	d->info.n_features = dim;
	inputs(d, dim, names);
	set_examples(d, 120, 60);
	for (size_t i = 0; i < d->n_train + d->n_test; i++) {
		int train = i < d->n_train;
		struct benchtop_example *ex = train ? &d->train[i] : &d->test[i - d->n_train];
		struct benchtop_target *t =
		        train ? &d->train_targets[i] : &d->test_targets[i - d->n_train];
		size_t c = i % 3;
		double *x = data_alloc(d, dim * sizeof(*x));
		/* Centres 4 standard deviations apart along different axes. */
		for (size_t j = 0; j < dim; j++)
			x[j] = rng_normal(r) + (j == c ? 4.0 : 0.0) +
			       (j == 3 ? 2.0 * (double)c : 0);
		if (!train && i - d->n_train == 5)
			x[3] = NAN; /* a missing value, as real data has */
		ex->features = x;
		numeric_fields(d, ex, dim);
		t->label = labels[c];
		t->label_index = (int64_t)c;
	}
}

static void make_regression(struct bt_check_data *d, struct rng *r)
{
	static const char *const names[] = {"x0", "x1", "x2"};
	const size_t dim = 3;

	d->info.n_features = dim;
	inputs(d, dim, names);
	set_examples(d, 150, 50);
	for (size_t i = 0; i < d->n_train + d->n_test; i++) {
		int train = i < d->n_train;
		struct benchtop_example *ex = train ? &d->train[i] : &d->test[i - d->n_train];
		struct benchtop_target *t =
		        train ? &d->train_targets[i] : &d->test_targets[i - d->n_train];
		double *x = data_alloc(d, dim * sizeof(*x));
		for (size_t j = 0; j < dim; j++)
			x[j] = rng_normal(r);
		ex->features = x;
		numeric_fields(d, ex, dim);
		t->value = 2 * x[0] - 3 * x[1] + 0.5 * x[2] + 1 + 0.1 * rng_normal(r);
	}
}

static void make_generation(struct bt_check_data *d, struct rng *r)
{
	static const char *const names[] = {"question"};
	const size_t n = 24;

	(void)r;
	inputs(d, 1, names);
	set_examples(d, n, n);
	for (size_t i = 0; i < n; i++) {
		char *w = word(i, 0), *m = word(i, 1);
		text_field(d, &d->train[i], names[0], bt_xasprintf("what does %s mean?", w));
		d->train_targets[i].text = data_str(d, bt_xstrdup(m));
		/* Test questions are phrased differently and come in another order. */
		size_t k = (i * 7 + 3) % n;
		char *wk = word(k, 0);
		text_field(d, &d->test[i], names[0],
		           bt_xasprintf("Please tell me the meaning of the word '%s'.", wk));
		d->test_targets[i].text = data_str(d, word(k, 1));
		free(w);
		free(m);
		free(wk);
	}
}

static void make_choices(struct bt_check_data *d, struct benchtop_example *ex,
                         struct benchtop_target *t, size_t entity, size_t n, struct rng *r)
{
	const char **choices = data_alloc(d, 4 * sizeof(*choices));
	size_t correct = (size_t)(rng_next(r) % 4);

	for (size_t c = 0; c < 4; c++) {
		size_t other = (entity + 1 + c + (size_t)(rng_next(r) % 3) * 4) % n;
		if (other == entity)
			other = (entity + 13) % n;
		choices[c] = data_str(d, word(c == correct ? entity : other, 1));
	}
	ex->choices = choices;
	ex->n_choices = 4;
	t->choice = (int64_t)correct;
}

static void make_multiple_choice(struct bt_check_data *d, struct rng *r)
{
	static const char *const names[] = {"question"};
	const size_t n = 24;

	inputs(d, 1, names);
	set_examples(d, n, n);
	for (size_t i = 0; i < n; i++) {
		char *w = word(i, 0);
		size_t k = (i * 5 + 11) % n;
		char *wk = word(k, 0);
		text_field(d, &d->train[i], names[0],
		           bt_xasprintf("Which word is paired with %s?", w));
		make_choices(d, &d->train[i], &d->train_targets[i], i, n, r);
		text_field(d, &d->test[i], names[0], bt_xasprintf("%s goes with which word?", wk));
		make_choices(d, &d->test[i], &d->test_targets[i], k, n, r);
		free(w);
		free(wk);
	}
}

static void make_retrieval(struct bt_check_data *d, struct rng *r)
{
	static const char *const names[] = {"query"};
	const size_t n_docs = 30, n_queries = 20;

	(void)r;
	inputs(d, 1, names);
	set_examples(d, n_docs, n_queries);
	for (size_t i = 0; i < n_docs; i++) {
		char *w = word(i, 0), *m = word(i, 1);
		d->train[i].id = data_str(d, bt_xasprintf("doc-%zu", i));
		d->train[i].target = NULL; /* documents have no target, as in real suites */
		text_field(d, &d->train[i], "text",
		           bt_xasprintf("Notes on %s: in the old tongue it is said to mean %s.", w,
		                        m));
		free(w);
		free(m);
	}
	for (size_t q = 0; q < n_queries; q++) {
		size_t k = (q * 7 + 2) % n_docs;
		char *w = word(k, 0), *m = word(k, 1);
		const char **rel = data_alloc(d, sizeof(*rel));
		text_field(d, &d->test[q], names[0], bt_xasprintf("%s %s", m, w));
		rel[0] = d->train[k].id;
		d->test_targets[q].relevant = rel;
		d->test_targets[q].n_relevant = 1;
		free(w);
		free(m);
	}
}

struct bt_check_data *bt_check_data_make(enum benchtop_task_type type, uint64_t seed)
{
	struct bt_check_data *d = bt_xcalloc(1, sizeof(*d));
	struct rng r = {seed * 0x2545f4914f6cdd1du + (uint64_t)type};

	d->info.size = sizeof(d->info);
	d->info.suite = "plugin-check";
	d->info.name = bt_check_task_name(type);
	d->info.type = type;
	d->info.seed = seed;
	switch (type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		make_classification(d, &r);
		break;
	case BENCHTOP_TASK_REGRESSION:
		make_regression(d, &r);
		break;
	case BENCHTOP_TASK_GENERATION:
		make_generation(d, &r);
		break;
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		make_multiple_choice(d, &r);
		break;
	case BENCHTOP_TASK_RETRIEVAL:
		make_retrieval(d, &r);
		break;
	}
	d->info.n_train = d->n_train;
	d->info.n_test = d->n_test;
	/* ABI 1.1: what a language model needs, as a suite's defaults give it. */
	d->info.target_delimiter = " ";
	if (type == BENCHTOP_TASK_GENERATION) {
		static const char *const stop[] = {"\n"};
		d->info.stop = stop;
		d->info.n_stop = 1;
		d->info.max_tokens = 32;
	}
	return d;
}

void bt_check_data_free(struct bt_check_data *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_strings; i++)
		free(d->strings[i]);
	for (size_t i = 0; i < d->n_blocks; i++)
		free(d->blocks[i]);
	free(d->strings);
	free(d->blocks);
	free(d);
}

const char *bt_check_score_name(enum benchtop_task_type type)
{
	switch (type) {
	case BENCHTOP_TASK_REGRESSION:
		return "r2";
	case BENCHTOP_TASK_GENERATION:
		return "exact_match";
	case BENCHTOP_TASK_RETRIEVAL:
		return "mrr";
	default:
		return "accuracy";
	}
}

double bt_check_data_score(const struct bt_check_data *d, const struct benchtop_prediction *out)
{
	double sum = 0, mean = 0, ss_res = 0, ss_tot = 0;
	size_t n = d->n_test;

	if (n == 0)
		return NAN;
	if (d->info.type == BENCHTOP_TASK_REGRESSION) {
		for (size_t i = 0; i < n; i++)
			mean += d->test_targets[i].value;
		mean /= (double)n;
		for (size_t i = 0; i < n; i++) {
			double y = d->test_targets[i].value;
			double e = out[i].error || !isfinite(out[i].value) ? y - mean
			                                                   : y - out[i].value;
			ss_res += e * e;
			ss_tot += (y - mean) * (y - mean);
		}
		return ss_tot > 0 ? 1 - ss_res / ss_tot : NAN;
	}
	for (size_t i = 0; i < n; i++) {
		const struct benchtop_target *t = &d->test_targets[i];
		const struct benchtop_prediction *p = &out[i];
		if (p->error)
			continue;
		switch (d->info.type) {
		case BENCHTOP_TASK_CLASSIFICATION:
			sum += p->label && strcmp(p->label, t->label) == 0;
			break;
		case BENCHTOP_TASK_GENERATION:
			sum += p->text && strcmp(p->text, t->text) == 0;
			break;
		case BENCHTOP_TASK_MULTIPLE_CHOICE:
			sum += p->choice == t->choice;
			break;
		case BENCHTOP_TASK_RETRIEVAL:
			for (size_t k = 0; p->ranking && k < p->n_ranking; k++)
				if (p->ranking[k] && strcmp(p->ranking[k], t->relevant[0]) == 0) {
					sum += 1.0 / (double)(k + 1);
					break;
				}
			break;
		default:
			break;
		}
	}
	return sum / (double)n;
}

static int valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t len = *p < 0x80             ? 1
		             : (*p & 0xe0) == 0xc0 ? 2
		             : (*p & 0xf0) == 0xe0 ? 3
		             : (*p & 0xf8) == 0xf0 ? 4
		                                   : 0;
		if (!len || (len == 2 && *p < 0xc2))
			return 0;
		for (size_t k = 1; k < len; k++)
			if ((p[k] & 0xc0) != 0x80)
				return 0;
		p += len;
	}
	return 1;
}

char *bt_check_prediction(const struct bt_check_data *d, const struct benchtop_example *ex,
                          const struct benchtop_prediction *p)
{
	const struct benchtop_task_info *t = &d->info;

	switch (t->type) {
	case BENCHTOP_TASK_CLASSIFICATION: {
		size_t l;
		int probs = 1;
		double sum = 0;
		if (!p->label)
			return bt_xstrdup("no label");
		for (l = 0; l < t->n_labels; l++)
			if (strcmp(t->labels[l], p->label) == 0)
				break;
		if (l == t->n_labels)
			return bt_xasprintf("label '%s' is not one of the task's labels", p->label);
		if (p->n_scores == 0)
			return NULL;
		if (!p->scores)
			return bt_xasprintf("n_scores is %zu but scores is NULL", p->n_scores);
		if (p->n_scores != t->n_labels)
			return bt_xasprintf("%zu scores for %zu labels", p->n_scores, t->n_labels);
		for (l = 0; l < p->n_scores; l++) {
			if (!isfinite(p->scores[l]))
				return bt_xasprintf("the score for '%s' is not a finite number",
				                    t->labels[l]);
			probs &= p->scores[l] >= 0 && p->scores[l] <= 1;
			sum += p->scores[l];
		}
		/* In [0, 1] and summing to nearly 1: meant as probabilities, so must sum to 1. */
		if (probs && fabs(sum - 1) > 1e-6 && fabs(sum - 1) < 0.05)
			return bt_xasprintf("the scores look like probabilities but sum to %.9g",
			                    sum);
		return NULL;
	}
	case BENCHTOP_TASK_REGRESSION:
		return isfinite(p->value)
		               ? NULL
		               : bt_xasprintf("value %g is not a finite number", p->value);
	case BENCHTOP_TASK_GENERATION:
		if (!p->text)
			return bt_xstrdup("no text");
		return valid_utf8(p->text) ? NULL : bt_xstrdup("text is not valid UTF-8");
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		if (p->choice < 0 || (size_t)p->choice >= ex->n_choices)
			return bt_xasprintf(
			        "choice %lld is out of range: the example has %zu choices",
			        (long long)p->choice, ex->n_choices);
		return NULL;
	case BENCHTOP_TASK_RETRIEVAL:
		if (!p->ranking || p->n_ranking == 0)
			return bt_xstrdup("an empty ranking");
		for (size_t k = 0; k < p->n_ranking; k++) {
			size_t j;
			if (!p->ranking[k])
				return bt_xasprintf("ranking[%zu] is NULL", k);
			for (j = 0; j < d->n_train; j++)
				if (strcmp(d->train[j].id, p->ranking[k]) == 0)
					break;
			if (j == d->n_train)
				return bt_xasprintf(
				        "the ranking lists '%s', which is not a document",
				        p->ranking[k]);
			for (j = 0; j < k; j++)
				if (strcmp(p->ranking[j], p->ranking[k]) == 0)
					return bt_xasprintf("the ranking lists '%s' twice",
					                    p->ranking[k]);
		}
		return NULL;
	}
	return bt_xstrdup("unknown task type");
}

/* --- predictions kept after the call ----------------------------------------------- */

/* A deep copy of a prediction, so it survives the plugin's next call. */
struct kept {
	char *label;
	double *scores;
	size_t n_scores;
	double value;
	char *text;
	int64_t choice;
	char **ranking;
	size_t n_ranking;
	char *error;
};

static char *dup_or_null(const char *s)
{
	return s ? bt_xstrdup(s) : NULL;
}

static void keep(struct kept *k, const struct benchtop_prediction *p)
{
	memset(k, 0, sizeof(*k));
	k->label = dup_or_null(p->label);
	if (p->scores && p->n_scores) {
		k->scores = bt_xmalloc(p->n_scores * sizeof(*k->scores));
		memcpy(k->scores, p->scores, p->n_scores * sizeof(*k->scores));
		k->n_scores = p->n_scores;
	}
	k->value = p->value;
	k->text = dup_or_null(p->text);
	k->choice = p->choice;
	if (p->ranking && p->n_ranking) {
		k->ranking = bt_xcalloc(p->n_ranking, sizeof(*k->ranking));
		for (size_t i = 0; i < p->n_ranking; i++)
			k->ranking[i] = dup_or_null(p->ranking[i]);
		k->n_ranking = p->n_ranking;
	}
	k->error = dup_or_null(p->error);
}

static void kept_free(struct kept *k, size_t n)
{
	for (size_t i = 0; k && i < n; i++) {
		free(k[i].label);
		free(k[i].scores);
		free(k[i].text);
		for (size_t j = 0; j < k[i].n_ranking; j++)
			free(k[i].ranking[j]);
		free(k[i].ranking);
		free(k[i].error);
	}
	free(k);
}

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* How a differs from b (the reference) for the task type, or NULL when identical. */
static char *difference(enum benchtop_task_type type, const struct kept *a, const struct kept *b)
{
	if (!str_eq(a->error, b->error))
		return bt_xasprintf("error '%s' vs '%s'", a->error ? a->error : "(none)",
		                    b->error ? b->error : "(none)");
	switch (type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		if (!str_eq(a->label, b->label))
			return bt_xasprintf("label '%s' vs '%s'", a->label ? a->label : "(none)",
			                    b->label ? b->label : "(none)");
		if (a->n_scores != b->n_scores)
			return bt_xasprintf("%zu scores vs %zu", a->n_scores, b->n_scores);
		for (size_t i = 0; i < a->n_scores; i++)
			if (memcmp(&a->scores[i], &b->scores[i], sizeof(double)) != 0)
				return bt_xasprintf("score %zu is %.17g vs %.17g", i, a->scores[i],
				                    b->scores[i]);
		return NULL;
	case BENCHTOP_TASK_REGRESSION:
		if (memcmp(&a->value, &b->value, sizeof(double)) != 0)
			return bt_xasprintf("value %.17g vs %.17g", a->value, b->value);
		return NULL;
	case BENCHTOP_TASK_GENERATION:
		if (!str_eq(a->text, b->text))
			return bt_xasprintf("text '%s' vs '%s'", a->text ? a->text : "(none)",
			                    b->text ? b->text : "(none)");
		return NULL;
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		if (a->choice != b->choice)
			return bt_xasprintf("choice %lld vs %lld", (long long)a->choice,
			                    (long long)b->choice);
		return NULL;
	case BENCHTOP_TASK_RETRIEVAL:
		if (a->n_ranking != b->n_ranking)
			return bt_xasprintf("%zu ranked vs %zu", a->n_ranking, b->n_ranking);
		for (size_t i = 0; i < a->n_ranking; i++)
			if (!str_eq(a->ranking[i], b->ranking[i]))
				return bt_xasprintf("rank %zu is '%s' vs '%s'", i + 1,
				                    a->ranking[i] ? a->ranking[i] : "(none)",
				                    b->ranking[i] ? b->ranking[i] : "(none)");
		return NULL;
	}
	return NULL;
}

/* The first example where `got` differs from `ref`, described; NULL when none does. */
static char *compare(const struct bt_check_data *d, const struct kept *got, const struct kept *ref)
{
	for (size_t i = 0; i < d->n_test; i++) {
		char *why = difference(d->info.type, &got[i], &ref[i]);
		if (why) {
			char *s = bt_xasprintf("example '%s': %s", d->test[i].id, why);
			free(why);
			return s;
		}
	}
	return NULL;
}

/*
 * Predict the whole test split in batches of `batch` and keep copies.
 * NULL (with the error set) when a predict call fails as a whole.
 */
static struct kept *predict_all(struct bt_instance *inst, const struct bt_check_data *d,
                                size_t batch)
{
	struct benchtop_prediction *out = bt_xcalloc(d->n_test + 1, sizeof(*out));
	struct kept *k = bt_xcalloc(d->n_test + 1, sizeof(*k));

	if (batch == 0)
		batch = d->n_test;
	for (size_t i = 0; i < d->n_test; i += batch) {
		size_t n = d->n_test - i < batch ? d->n_test - i : batch;
		if (bt_instance_predict(inst, d->test + i, n, out + i) != 0) {
			free(out);
			kept_free(k, d->n_test);
			return NULL;
		}
		for (size_t j = i; j < i + n; j++)
			keep(&k[j], &out[j]);
	}
	free(out);
	return k;
}

/* --- the checks -------------------------------------------------------------------- */

struct checker {
	struct bt_plugin *p;
	const struct bt_check_opts *opts;
	void (*fn)(const struct bt_check_item *, void *);
	void *payload;
	size_t failed;
	enum benchtop_task_type type;
};

static void report(struct checker *c, const char *check, enum bt_check_status st, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

static void report(struct checker *c, const char *check, enum bt_check_status st, const char *fmt,
                   ...)
{
	struct bt_check_item item;
	struct bt_buf b = BT_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	bt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	item.task = c->type;
	item.check = check;
	item.status = st;
	item.detail = bt_buf_cstr(&b);
	if (st == BT_CHECK_FAIL)
		c->failed++;
	if (c->fn)
		c->fn(&item, c->payload);
	bt_buf_free(&b);
}

/*
 * Validate a full set of predictions: the "predict" (or "untrained")
 * check.  Returns 1 when it passed.
 */
static int validate(struct checker *c, const char *check, const struct bt_check_data *d,
                    const struct kept *k)
{
	struct benchtop_prediction *view = bt_xcalloc(d->n_test + 1, sizeof(*view));
	size_t n_err = 0, n_bad = 0, first_err = 0, first_bad = 0;
	char *bad = NULL;
	int ok;

	for (size_t i = 0; i < d->n_test; i++) {
		char *why;
		view[i].label = k[i].label;
		view[i].scores = k[i].scores;
		view[i].n_scores = k[i].n_scores;
		view[i].value = k[i].value;
		view[i].text = k[i].text;
		view[i].choice = k[i].choice;
		view[i].ranking = (const char *const *)k[i].ranking;
		view[i].n_ranking = k[i].n_ranking;
		view[i].error = k[i].error;
		if (k[i].error) {
			if (n_err++ == 0)
				first_err = i;
			continue;
		}
		why = bt_check_prediction(d, &d->test[i], &view[i]);
		if (why) {
			if (n_bad++ == 0) {
				first_bad = i;
				bad = why;
			} else {
				free(why);
			}
		}
	}
	ok = n_err == 0 && n_bad == 0;
	if (n_bad)
		report(c, check, BT_CHECK_FAIL,
		       "%zu of %zu predictions are invalid; example '%s': %s", n_bad, d->n_test,
		       d->test[first_bad].id, bad);
	else if (n_err)
		report(c, check, BT_CHECK_FAIL,
		       "%zu of %zu examples reported an error; example '%s': %s", n_err, d->n_test,
		       d->test[first_err].id, k[first_err].error);
	else
		report(c, check, BT_CHECK_OK, "%zu examples, %s %.3f", d->n_test,
		       bt_check_score_name(d->info.type), bt_check_data_score(d, view));
	free(bad);
	free(view);
	return ok;
}

struct thread_job {
	struct bt_instance *inst;
	const struct bt_check_data *d;
	size_t batch;
	int rounds;
	struct kept *got; /* the last round's */
	char *error;
};

static void *thread_main(void *arg)
{
	struct thread_job *j = arg;

	for (int r = 0; r < j->rounds && !j->error; r++) {
		struct kept *k = predict_all(j->inst, j->d, j->batch);
		if (!k) {
			j->error = bt_xstrdup(bt_error_last());
			break;
		}
		/* Any round differing is as bad as the last: keep the first that differs. */
		if (j->got) {
			char *why = compare(j->d, k, j->got);
			if (why) {
				kept_free(j->got, j->d->n_test);
				j->got = k;
				free(why);
				break;
			}
			kept_free(j->got, j->d->n_test);
		}
		j->got = k;
	}
	return NULL;
}

static void check_threads(struct checker *c, struct bt_instance *inst,
                          const struct bt_check_data *d, const struct kept *ref)
{
	int n = c->opts->threads > 0 ? c->opts->threads : 4;
	struct thread_job *jobs = bt_xcalloc((size_t)n, sizeof(*jobs));
	pthread_t *tids = bt_xcalloc((size_t)n, sizeof(*tids));
	char *why = NULL;
	int started = 0;

	if (!(bt_plugin_desc(c->p)->flags & BENCHTOP_PLUGIN_THREAD_SAFE)) {
		report(c, "threads", BT_CHECK_SKIP, "not declared thread-safe");
		free(jobs);
		free(tids);
		return;
	}
	for (int t = 0; t < n; t++) {
		static const size_t batches[] = {0, 1, 7, 16};
		jobs[t].inst = inst;
		jobs[t].d = d;
		jobs[t].batch = batches[t % 4];
		jobs[t].rounds = 3;
		if (pthread_create(&tids[t], NULL, thread_main, &jobs[t]) != 0)
			break;
		started++;
	}
	for (int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	for (int t = 0; t < started && !why; t++) {
		if (jobs[t].error)
			why = bt_xasprintf("thread %d: %s", t + 1, jobs[t].error);
		else if (jobs[t].got) {
			char *diff = compare(d, jobs[t].got, ref);
			if (diff) {
				why = bt_xasprintf("thread %d differs from a single thread: %s",
				                   t + 1, diff);
				free(diff);
			}
		}
	}
	if (started < n)
		report(c, "threads", BT_CHECK_FAIL, "could only start %d of %d threads", started,
		       n);
	else if (why)
		report(c, "threads", BT_CHECK_FAIL, "%s", why);
	else
		report(c, "threads", BT_CHECK_OK, "%d threads sharing one instance agree", n);
	for (int t = 0; t < n; t++) {
		kept_free(jobs[t].got, d->n_test);
		free(jobs[t].error);
	}
	free(why);
	free(jobs);
	free(tids);
}

/* Create and (when there is a fit) train an instance; reports failures itself. */
static int make_instance(struct checker *c, const struct bt_check_data *d, int train,
                         const char *what, struct bt_instance **out)
{
	int rc = bt_instance_create(out, c->p, c->opts->params, &d->info, c->opts->cfg);

	if (rc == BT_EUSAGE)
		return rc; /* params: not a finding about the plugin, nothing can be checked */
	if (rc) {
		report(c, what ? what : "create", BT_CHECK_FAIL, "%s", bt_error_last());
		return rc;
	}
	if (!what)
		report(c, "create", BT_CHECK_OK, "instance created");
	if (!train)
		return 0;
	rc = bt_instance_fit(*out, d->train, d->n_train);
	if (rc) {
		report(c, what ? what : "fit", BT_CHECK_FAIL, "%s", bt_error_last());
		bt_instance_destroy(*out);
		*out = NULL;
		return rc;
	}
	if (!what && bt_plugin_desc(c->p)->fit)
		report(c, "fit", BT_CHECK_OK, "trained on %zu examples", d->n_train);
	return 0;
}

static int check_type(struct checker *c, enum benchtop_task_type type)
{
	const struct benchtop_plugin *desc = bt_plugin_desc(c->p);
	struct bt_check_data *d = bt_check_data_make(type, c->opts->seed);
	struct bt_instance *a = NULL, *b = NULL;
	struct kept *ref = NULL, *k = NULL;
	char *why;
	int rc;

	c->type = type;
	if ((desc->flags & BENCHTOP_PLUGIN_NEEDS_TRAIN) && !desc->fit) {
		report(c, "fit", BT_CHECK_FAIL, "declares needs_train but has no fit callback");
		goto out;
	}
	rc = make_instance(c, d, 1, NULL, &a);
	if (rc == BT_EUSAGE) {
		bt_check_data_free(d);
		return rc;
	}
	if (rc)
		goto out;

	ref = predict_all(a, d, 0);
	if (!ref) {
		report(c, "predict", BT_CHECK_FAIL, "%s", bt_error_last());
		goto out;
	}
	validate(c, "predict", d, ref);

	/* The same instance asked again must say the same. */
	k = predict_all(a, d, 0);
	why = k ? compare(d, k, ref) : bt_xstrdup(bt_error_last());
	report(c, "repeat", why ? BT_CHECK_FAIL : BT_CHECK_OK, "%s",
	       why ? why : "a second predict on the same instance agrees");
	free(why);
	kept_free(k, d->n_test);

	/* A fresh instance trained on the same data must say the same: no hidden state. */
	if (make_instance(c, d, 1, "fresh instance", &b) == 0) {
		k = predict_all(b, d, 0);
		why = k ? compare(d, k, ref) : bt_xstrdup(bt_error_last());
		report(c, "fresh instance", why ? BT_CHECK_FAIL : BT_CHECK_OK, "%s",
		       why ? why : "a second instance, trained the same way, agrees");
		free(why);
		kept_free(k, d->n_test);
	}

	/* One example per call, then an odd batch size, against one batch of everything. */
	k = predict_all(a, d, 1);
	why = k ? compare(d, k, ref) : bt_xstrdup(bt_error_last());
	kept_free(k, d->n_test);
	if (!why) {
		k = predict_all(a, d, 7);
		why = k ? compare(d, k, ref) : bt_xstrdup(bt_error_last());
		kept_free(k, d->n_test);
	}
	report(c, "batch size", why ? BT_CHECK_FAIL : BT_CHECK_OK, "%s",
	       why ? why : "batches of 1, 7 and all examples agree");
	free(why);

	check_threads(c, a, d, ref);

	/* Without NEEDS_TRAIN, a task with no train split must still work. */
	if (desc->fit && !(desc->flags & BENCHTOP_PLUGIN_NEEDS_TRAIN)) {
		struct bt_instance *u = NULL;
		if (make_instance(c, d, 0, "untrained", &u) == 0) {
			k = predict_all(u, d, 0);
			if (k)
				validate(c, "untrained", d, k);
			else
				report(c, "untrained", BT_CHECK_FAIL,
				       "%s (declare needs_train if the plugin cannot do without)",
				       bt_error_last());
			kept_free(k, d->n_test);
			bt_instance_destroy(u);
		}
	}
out:
	kept_free(ref, d->n_test);
	bt_instance_destroy(a);
	bt_instance_destroy(b);
	bt_check_data_free(d);
	return 0;
}

int bt_plugin_check(struct bt_plugin *p, const struct bt_check_opts *opts,
                    void (*fn)(const struct bt_check_item *item, void *payload), void *payload,
                    size_t *failed)
{
	const struct benchtop_plugin *desc = bt_plugin_desc(p);
	struct checker c = {p, opts, fn, payload, 0, 0};
	uint32_t want = opts->tasks ? opts->tasks : desc->tasks;
	int rc = 0;

	*failed = 0;
	for (int t = 1; t < N_TASK_TYPES; t++)
		if ((want & BENCHTOP_TASK_BIT(t)) && !(desc->tasks & BENCHTOP_TASK_BIT(t)))
			return bt_error_set(BT_EUSAGE, "plugin '%s' does not do %s tasks",
			                    desc->name, task_names[t]);
	for (int t = 1; t < N_TASK_TYPES && rc == 0; t++)
		if (want & BENCHTOP_TASK_BIT(t))
			rc = check_type(&c, (enum benchtop_task_type)t);
	*failed = c.failed;
	return rc;
}

/* --- listing ---------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int bt_plugin_list(struct bt_plugin_listing **out, size_t *n)
{
	char **dirs = bt_plugin_search_path();
	struct bt_plugin_listing *l = NULL;
	size_t cap = 0;

	*n = 0;
	for (size_t i = 0; dirs[i]; i++) {
		DIR *dir = opendir(dirs[i]);
		struct dirent *e;
		char **files = NULL;
		size_t nfiles = 0, fcap = 0;
		if (!dir)
			continue;
		while ((e = readdir(dir)) != NULL) {
			size_t len = strlen(e->d_name);
			if (len > 3 && strcmp(e->d_name + len - 3, ".so") == 0) {
				bt_grow(&files, &fcap, nfiles + 1, sizeof(*files));
				files[nfiles++] = bt_xstrdup(e->d_name);
			}
		}
		closedir(dir);
		qsort(files, nfiles, sizeof(*files), cmp_str);
		for (size_t f = 0; f < nfiles; f++) {
			struct bt_plugin_listing *it;
			struct bt_plugin *p;
			const char *stem = files[f];
			bt_grow(&l, &cap, *n + 1, sizeof(*l));
			it = &l[(*n)++];
			memset(it, 0, sizeof(*it));
			if (bt_starts_with(stem, "benchtop-"))
				stem += 9;
			it->name = bt_xstrndup(stem, strlen(stem) - 3);
			it->path = bt_path_join(dirs[i], files[f]);
			for (size_t k = 0; k + 1 < *n; k++)
				if (strcmp(l[k].name, it->name) == 0)
					it->shadowed = 1;
			if (bt_plugin_load(&p, it->path) != 0) {
				it->error = bt_xstrdup(bt_error_last());
			} else {
				const struct benchtop_plugin *d = bt_plugin_desc(p);
				it->version = dup_or_null(d->version);
				it->description = dup_or_null(d->description);
				it->abi_major = d->abi_major;
				it->abi_minor = d->abi_minor;
				it->flags = d->flags;
				it->tasks = d->tasks;
				bt_plugin_unload(p);
			}
			free(files[f]);
		}
		free(files);
	}
	bt_plugin_search_path_free(dirs);
	bt_error_clear();
	*out = l;
	return 0;
}

void bt_plugin_list_free(struct bt_plugin_listing *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].name);
		free(l[i].path);
		free(l[i].error);
		free(l[i].version);
		free(l[i].description);
	}
	free(l);
}
