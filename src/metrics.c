/*
 * metrics.c - computing the metrics of a task from its outcomes, each with
 * a bootstrap interval and standard error (metrics.h says what and why).
 *
 * Three kinds of uncertainty, one per kind of metric:
 *   - confusion-matrix metrics (accuracy, balanced accuracy, precision,
 *     recall and F1 in every averaging) resample the matrix's cells as a
 *     multinomial: exact, and independent of the number of examples;
 *   - latency percentiles resample order statistics (bootstrap.c explains
 *     how), again exactly and in O(log n) per resample;
 *   - everything else resamples examples, in parallel.  Each such metric
 *     is written once as a function of per-example weights; the point
 *     estimate is that function with every weight 1, so estimate and
 *     resamples can never disagree about a definition.
 * The random machinery lives in bootstrap.c.  Nothing here touches the
 * store, plugins or the terminal.
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap.h"
#include "error.h"
#include "metrics.h"
#include "util.h"

/* Independent random streams of one task's bootstrap (see bt_rng_init). */
enum {
	STREAM_EXAMPLES = 1,
	STREAM_CELLS = 2,
	STREAM_LATENCY = 3, /* + 0, 1, 2 for p50, p95, p99 */
};

#define DEFAULT_RESAMPLES 1000
#define DEFAULT_LEVEL     0.95
#define DEFAULT_CUTOFF    10
#define CHRF_ORDER        6
#define CHRF_BETA         2

enum metric_id {
	/* the confusion-matrix metrics, in the order cm_metrics() fills them */
	M_ACCURACY,
	M_BALANCED_ACCURACY,
	M_PRECISION_MACRO,
	M_RECALL_MACRO,
	M_F1_MACRO,
	M_PRECISION_MICRO,
	M_RECALL_MICRO,
	M_F1_MICRO,
	M_PRECISION_WEIGHTED,
	M_RECALL_WEIGHTED,
	M_F1_WEIGHTED,
	N_CM_METRICS,
	M_LOG_LOSS = N_CM_METRICS,
	M_BRIER,
	M_ROC_AUC,
	M_MAE,
	M_MSE,
	M_RMSE,
	M_R2,
	M_EXACT_MATCH,
	M_TOKEN_F1,
	M_CHRF,
	M_MC_ACCURACY,
	M_RECALL_AT,
	M_MRR,
	M_NDCG_AT,
	M_ERRORS,
	M_LATENCY_P50,
	M_LATENCY_P95,
	M_LATENCY_P99,
	M_THROUGHPUT,
};

static const struct {
	const char *name;
	enum metric_id id;
} metric_ids[] = {
        {"accuracy", M_ACCURACY},
        {"balanced_accuracy", M_BALANCED_ACCURACY},
        {"precision_macro", M_PRECISION_MACRO},
        {"recall_macro", M_RECALL_MACRO},
        {"f1_macro", M_F1_MACRO},
        {"precision_micro", M_PRECISION_MICRO},
        {"recall_micro", M_RECALL_MICRO},
        {"f1_micro", M_F1_MICRO},
        {"precision_weighted", M_PRECISION_WEIGHTED},
        {"recall_weighted", M_RECALL_WEIGHTED},
        {"f1_weighted", M_F1_WEIGHTED},
        {"log_loss", M_LOG_LOSS},
        {"brier", M_BRIER},
        {"roc_auc", M_ROC_AUC},
        {"mae", M_MAE},
        {"mse", M_MSE},
        {"rmse", M_RMSE},
        {"r2", M_R2},
        {"exact_match", M_EXACT_MATCH},
        {"token_f1", M_TOKEN_F1},
        {"chrf", M_CHRF},
        {"mrr", M_MRR},
        {"errors", M_ERRORS},
        {"latency_p50", M_LATENCY_P50},
        {"latency_p95", M_LATENCY_P95},
        {"latency_p99", M_LATENCY_P99},
        {"throughput", M_THROUGHPUT},
};

/* One metric to report: its id, its cutoff (retrieval "@K") and where it goes in the output. */
struct request {
	enum metric_id id;
	int cutoff;
	struct bt_metric_value *out;
};

/* ========================================================================== */
/* Text: UTF-8, whitespace, SQuAD normalisation                                 */
/* ========================================================================== */

/*
 * Decode one code point leniently: a byte that does not start a valid
 * sequence stands for itself as U+DC80 + byte (Python's surrogateescape),
 * so malformed text still has characters to count.
 */
static size_t utf8_next(const unsigned char *s, unsigned *cp)
{
	unsigned c = s[0], need, min, v, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		min = 0x80;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		min = 0x800;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		min = 0x10000;
		v = c & 0x07;
	} else {
		goto bad;
	}
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		goto bad;
	*cp = v;
	return need + 1;
bad:
	*cp = 0xdc00 + c;
	return 1;
}

/* Python's str.isspace(), which is what str.split() splits on. */
static int unicode_space(unsigned cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 ||
	       cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Python's string.punctuation. */
static int ascii_punct(unsigned char c)
{
	return c < 0x80 && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) && c != '\0';
}

/*
 * A character of a word for the articles' \b: ASCII letters and digits,
 * and any non-ASCII character that is not white space (Python would also
 * call non-ASCII punctuation a boundary; we do not have its tables).
 */
static int word_char(unsigned cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		       (cp >= '0' && cp <= '9') || cp == '_';
	return !unicode_space(cp);
}

char *bt_metrics_normalize(const char *s)
{
	struct bt_buf a = BT_BUF_INIT, b = BT_BUF_INIT, out = BT_BUF_INIT;
	const unsigned char *p;
	size_t len;

	/* lower case (ASCII) and remove punctuation */
	for (p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (ascii_punct(*p))
			continue;
		bt_buf_putc(&a, (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p));
	}
	/* \b(a|an|the)\b -> ' ': a whole word that is an article becomes a blank */
	p = (const unsigned char *)bt_buf_cstr(&a);
	while (*p) {
		unsigned cp;
		size_t n = utf8_next(p, &cp);

		if (!word_char(cp)) {
			bt_buf_add(&b, p, n);
			p += n;
			continue;
		}
		len = 0;
		while (p[len]) {
			size_t m = utf8_next(p + len, &cp);

			if (!word_char(cp))
				break;
			len += m;
		}
		if ((len == 1 && memcmp(p, "a", 1) == 0) || (len == 2 && memcmp(p, "an", 2) == 0) ||
		    (len == 3 && memcmp(p, "the", 3) == 0))
			bt_buf_putc(&b, ' ');
		else
			bt_buf_add(&b, p, len);
		p += len;
	}
	/* ' '.join(text.split()) */
	p = (const unsigned char *)bt_buf_cstr(&b);
	while (*p) {
		unsigned cp;
		size_t n = utf8_next(p, &cp);

		if (unicode_space(cp)) {
			p += n;
			continue;
		}
		if (out.len)
			bt_buf_putc(&out, ' ');
		while (*p) {
			n = utf8_next(p, &cp);
			if (unicode_space(cp))
				break;
			bt_buf_add(&out, p, n);
			p += n;
		}
	}
	bt_buf_free(&a);
	bt_buf_free(&b);
	return bt_buf_detach(&out);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Split a normalised string (single blanks, none at the ends) in place. */
static size_t split_tokens(char *s, char ***out)
{
	size_t n = 0, cap = 0;
	char **v = NULL, *p = s;

	while (*p) {
		char *sp = strchr(p, ' ');

		bt_grow(&v, &cap, n + 1, sizeof(*v));
		v[n++] = p;
		if (!sp)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	*out = v;
	return n;
}

/*
 * SQuAD's token F1 on normalised text.  When either side has no tokens,
 * SQuAD 2.0's rule: 1 if both are empty, else 0.
 */
static double token_f1(const char *pred, const char *gold)
{
	char *np = bt_metrics_normalize(pred), *ng = bt_metrics_normalize(gold);
	char **tp, **tg;
	size_t lp = split_tokens(np, &tp), lg = split_tokens(ng, &tg), i = 0, j = 0, common = 0;
	double f1 = 0;

	if (lp == 0 || lg == 0) {
		f1 = (lp == 0 && lg == 0) ? 1.0 : 0.0;
	} else {
		qsort(tp, lp, sizeof(*tp), cmp_str);
		qsort(tg, lg, sizeof(*tg), cmp_str);
		while (i < lp && j < lg) {
			int c = strcmp(tp[i], tg[j]);

			if (c == 0) {
				common++;
				i++;
				j++;
			} else if (c < 0) {
				i++;
			} else {
				j++;
			}
		}
		if (common) {
			double precision = (double)common / (double)lp;
			double recall = (double)common / (double)lg;

			f1 = (2 * precision * recall) / (precision + recall);
		}
	}
	free(tp);
	free(tg);
	free(np);
	free(ng);
	return f1;
}

static int exact_match(const char *pred, const char *gold, int normalize)
{
	char *a, *b;
	int eq;

	if (!normalize)
		return strcmp(pred ? pred : "", gold ? gold : "") == 0;
	a = bt_metrics_normalize(pred);
	b = bt_metrics_normalize(gold);
	eq = strcmp(a, b) == 0;
	free(a);
	free(b);
	return eq;
}

/* --- chrF --------------------------------------------------------------------- */

/* The code points of s without white space (sacreBLEU: ''.join(s.split())). */
static size_t chrf_chars(const char *s, uint32_t **out)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = 0, cap = 0;
	uint32_t *v = NULL;

	while (*p) {
		unsigned cp;

		p += utf8_next(p, &cp);
		if (unicode_space(cp))
			continue;
		bt_grow(&v, &cap, n + 1, sizeof(*v));
		v[n++] = cp;
	}
	*out = v;
	return n;
}

/* An n-gram of up to six code points (21 bits each) packed into 128 bits. */
struct gram {
	uint64_t hi, lo;
};

static int cmp_gram(const void *a, const void *b)
{
	const struct gram *x = a, *y = b;

	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

static struct gram *grams(const uint32_t *c, size_t len, size_t order, size_t *count)
{
	size_t n = len >= order ? len - order + 1 : 0, i, j;
	struct gram *g = bt_xmalloc(n * sizeof(*g));

	for (i = 0; i < n; i++) {
		g[i].hi = g[i].lo = 0;
		for (j = 0; j < order; j++) {
			if (j < 3)
				g[i].hi |= (uint64_t)c[i + j] << (21 * (2 - j));
			else
				g[i].lo |= (uint64_t)c[i + j] << (21 * (5 - j));
		}
	}
	qsort(g, n, sizeof(*g), cmp_gram);
	*count = n;
	return g;
}

/*
 * sacreBLEU 2.x's chrF statistics of one segment: for each order 1..6,
 * [hypothesis n-grams, reference n-grams, clipped matches], with the
 * hypothesis count reported as 0 at orders where the reference has no
 * n-gram at all (sacreBLEU's `hyp_count if ref_ngrams else 0`).
 */
static void chrf_segment(const char *hyp, const char *ref, uint32_t stats[3 * CHRF_ORDER])
{
	uint32_t *h, *r;
	size_t lh = chrf_chars(hyp, &h), lr = chrf_chars(ref, &r), order;

	for (order = 1; order <= CHRF_ORDER; order++) {
		size_t nh, nr, i = 0, j = 0, match = 0;
		struct gram *gh = grams(h, lh, order, &nh), *gr = grams(r, lr, order, &nr);

		while (i < nh && j < nr) {
			int c = cmp_gram(&gh[i], &gr[j]);

			if (c == 0) {
				match++;
				i++;
				j++;
			} else if (c < 0) {
				i++;
			} else {
				j++;
			}
		}
		stats[3 * (order - 1)] = (uint32_t)(nr ? nh : 0);
		stats[3 * (order - 1) + 1] = (uint32_t)nr;
		stats[3 * (order - 1) + 2] = (uint32_t)match;
		free(gh);
		free(gr);
	}
	free(h);
	free(r);
}

/*
 * sacreBLEU's CHRF._compute_f_score without eps smoothing: precision and
 * recall averaged over the orders where both sides have n-grams, then
 * F-beta, on a 0-100 scale.
 */
static double chrf_score(const double st[3 * CHRF_ORDER])
{
	double avg_prec = 0, avg_rec = 0, factor = CHRF_BETA * CHRF_BETA, score;
	int i, effective = 0;

	for (i = 0; i < CHRF_ORDER; i++) {
		double nh = st[3 * i], nr = st[3 * i + 1], nm = st[3 * i + 2];

		if (nh > 0 && nr > 0) {
			avg_prec += nm / nh;
			avg_rec += nm / nr;
			effective++;
		}
	}
	if (effective == 0)
		return 0.0;
	avg_prec /= effective;
	avg_rec /= effective;
	if (avg_prec + avg_rec == 0)
		return 0.0;
	score = (1 + factor) * avg_prec * avg_rec;
	score /= (factor * avg_prec) + avg_rec;
	return 100 * score;
}

/* ========================================================================== */
/* Weighted statistics: one definition for the estimate and every resample      */
/* ========================================================================== */

enum stat_kind {
	ST_MEAN,      /* mean of v over the examples in `in` */
	ST_ROOT_MEAN, /* its square root */
	ST_R2,        /* coefficient of determination of (a = truth, b = prediction) */
	ST_AUC,       /* ROC AUC, binary or one-vs-rest macro */
	ST_CHRF,      /* corpus chrF from per-example statistics */
};

/*
 * What the weighted ROC AUC needs, laid out for one sequential pass per
 * class: the units that have scores, in ascending order of the class's
 * score, each with a flag saying whether it is of the class and whether it
 * is the last of a run of tied scores.
 */
enum { AUC_POSITIVE = 1, AUC_TIE_END = 2 };
struct auc_data {
	size_t nclass;              /* classes scored: 1 (label 1) when k == 2, else k */
	size_t ns;                  /* units with scores */
	const uint32_t *unit;       /* nclass x ns */
	const unsigned char *flags; /* nclass x ns, AUC_* bits */
};

struct stat {
	enum stat_kind kind;
	const unsigned char *in; /* which units count (NULL: all) */
	const double *a, *b;     /* per-unit values: v in a; r2: truth a, prediction b */
	const struct auc_data *auc;
	const uint32_t *chrf; /* per unit, 3 * CHRF_ORDER counts */
	int dense;            /* every unit counts and every a is finite: 0 * a is 0 */
	struct request *req;
};

struct stat_set {
	size_t m; /* resampling units (the task's non-errored examples) */
	struct stat *st;
	size_t nst;
};

static double weighted_mean(const struct stat *s, const uint32_t *w, size_t m)
{
	double sum = 0;
	uint64_t cnt = 0;
	size_t i;

	if (s->dense) {
		/* no branch: about a third of the weights of a resample are 0 */
		for (i = 0; i < m; i++) {
			sum += w[i] * s->a[i];
			cnt += w[i];
		}
	} else {
		for (i = 0; i < m; i++) {
			if (!w[i] || (s->in && !s->in[i]))
				continue;
			sum += w[i] * s->a[i];
			cnt += w[i];
		}
	}
	return cnt > 0 ? sum / (double)cnt : NAN;
}

/* sklearn's r2_score: NaN below two samples; 1 or 0 when the truth is constant. */
static double weighted_r2(const struct stat *s, const uint32_t *w, size_t m)
{
	double cnt = 0, mean = 0, ss_res = 0, ss_tot = 0;
	size_t i;

	for (i = 0; i < m; i++) {
		if (!w[i] || (s->in && !s->in[i]))
			continue;
		cnt += w[i];
		mean += w[i] * s->a[i];
	}
	if (cnt < 2)
		return NAN;
	mean /= cnt;
	for (i = 0; i < m; i++) {
		double d, e;

		if (!w[i] || (s->in && !s->in[i]))
			continue;
		d = s->a[i] - s->b[i];
		e = s->a[i] - mean;
		ss_res += w[i] * d * d;
		ss_tot += w[i] * e * e;
	}
	if (ss_tot == 0)
		return ss_res == 0 ? 1.0 : 0.0;
	return 1 - ss_res / ss_tot;
}

/*
 * ROC AUC as the Mann-Whitney statistic: walking the units in ascending
 * score order, each positive beats the negatives below it and ties with
 * the negatives at its own score (counted half), which is exactly the area
 * under sklearn's trapezoidal ROC curve.  Classes absent (or alone) in the
 * sample have no AUC and are left out of the macro average; NaN when no
 * class has one.
 */
static double weighted_auc(const struct auc_data *d, const uint32_t *w)
{
	double total = 0;
	size_t c, defined = 0;

	for (c = 0; c < d->nclass; c++) {
		const uint32_t *unit = d->unit + c * d->ns;
		const unsigned char *flags = d->flags + c * d->ns;
		double num = 0, below = 0, npos = 0, nneg = 0, pos = 0, neg = 0;
		size_t i;

		for (i = 0; i < d->ns; i++) {
			double wt = w[unit[i]], p = flags[i] & AUC_POSITIVE;

			/* no branch on the class: it is as good as random here */
			pos += p * wt;
			neg += wt - p * wt;
			if (flags[i] & AUC_TIE_END) {
				num += pos * below + 0.5 * pos * neg;
				below += neg;
				npos += pos;
				nneg += neg;
				pos = neg = 0;
			}
		}
		if (npos > 0 && nneg > 0) {
			total += num / (npos * nneg);
			defined++;
		}
	}
	return defined ? total / (double)defined : NAN;
}

static double weighted_chrf(const struct stat *s, const uint32_t *w, size_t m)
{
	double sum[3 * CHRF_ORDER] = {0};
	size_t i, j, any = 0;

	for (i = 0; i < m; i++) {
		if (!w[i] || (s->in && !s->in[i]))
			continue;
		any = 1;
		for (j = 0; j < 3 * CHRF_ORDER; j++)
			sum[j] += (double)w[i] * s->chrf[i * 3 * CHRF_ORDER + j];
	}
	return any ? chrf_score(sum) : NAN;
}

static void stat_set_eval(const uint32_t *w, void *payload, double *out)
{
	const struct stat_set *set = payload;
	size_t j;

	for (j = 0; j < set->nst; j++) {
		const struct stat *s = &set->st[j];

		switch (s->kind) {
		case ST_MEAN:
			out[j] = weighted_mean(s, w, set->m);
			break;
		case ST_ROOT_MEAN:
			out[j] = sqrt(weighted_mean(s, w, set->m));
			break;
		case ST_R2:
			out[j] = weighted_r2(s, w, set->m);
			break;
		case ST_AUC:
			out[j] = weighted_auc(s->auc, w);
			break;
		case ST_CHRF:
			out[j] = weighted_chrf(s, w, set->m);
			break;
		}
	}
}

static size_t count_in(const unsigned char *in, size_t m)
{
	size_t i, n = 0;

	if (!in)
		return m;
	for (i = 0; i < m; i++)
		n += in[i] != 0;
	return n;
}

static void stat_add(struct stat_set *set, size_t *cap, struct request *req, enum stat_kind kind,
                     const unsigned char *in, const double *a, const double *b)
{
	struct stat *s;

	bt_grow(&set->st, cap, set->nst + 1, sizeof(*set->st));
	s = &set->st[set->nst++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->in = count_in(in, set->m) == set->m ? NULL : in; /* every unit: no mask to test */
	s->a = a;
	s->b = b;
	s->req = req;
	if (!s->in && a) {
		size_t i;

		s->dense = 1;
		for (i = 0; i < set->m; i++)
			s->dense &= isfinite(a[i]) != 0;
	}
}

/*
 * Estimate every statistic of the set (all weights 1) and, with
 * resamples, bootstrap them together over the same example resamples.
 */
static void stat_set_run(struct stat_set *set, const struct bt_metric_opts *opts)
{
	uint32_t *ones = bt_xmalloc(set->m * sizeof(*ones));
	double *point = bt_xmalloc(set->nst * sizeof(*point));
	size_t i, j;

	for (i = 0; i < set->m; i++)
		ones[i] = 1;
	stat_set_eval(ones, set, point);
	for (j = 0; j < set->nst; j++) {
		struct bt_metric_value *v = set->st[j].req->out;

		v->value = point[j];
		v->n = set->st[j].kind == ST_AUC ? set->st[j].auc->ns
		                                 : count_in(set->st[j].in, set->m);
	}
	if (opts->resamples > 0 && set->nst > 0 && set->m > 0) {
		double *dist = bt_xmalloc((size_t)opts->resamples * set->nst * sizeof(*dist));

		bt_boot_examples(set->m, opts->resamples, opts->seed, STREAM_EXAMPLES,
		                 opts->threads, stat_set_eval, set, set->nst, dist);
		for (j = 0; j < set->nst; j++) {
			struct bt_metric_value *v = set->st[j].req->out;

			if (v->n > 0)
				bt_boot_summary(dist, (size_t)opts->resamples, set->nst, j,
				                opts->level, &v->ci_low, &v->ci_high, &v->se);
		}
		free(dist);
	}
	free(point);
	free(ones);
}

/* ========================================================================== */
/* Classification                                                               */
/* ========================================================================== */

/*
 * The confusion table: k rows (true label) by k + 1 columns, the last for
 * predictions outside the label set (y_pred -1).  Passed to the resampler
 * as its non-empty cells only.
 */
struct cm_cells {
	size_t k;
	size_t ncells;
	uint32_t *row, *col; /* of each non-empty cell */
};

/*
 * The eleven confusion-matrix metrics from cell counts, with
 * scikit-learn's semantics (1.2, default arguments):
 *   - the labels averaged over are those that occur as a true or a
 *     predicted label (sklearn's unique_labels(y_true, y_pred)); all
 *     predictions outside the set count as one extra label, which is
 *     wrong for every example and so has precision, recall and F1 0;
 *   - zero_division is sklearn's default "warn", which scores 0;
 *   - balanced accuracy averages recall over the labels that occur as
 *     true labels (sklearn drops the others with a warning).
 */
static void cm_metrics(const struct cm_cells *cm, const uint64_t *counts, double *out)
{
	size_t k = cm->k, c, j, nlabels = 0, nbal = 0;
	double *tp = bt_xcalloc(3 * (k + 1), sizeof(double));
	double *pred = tp + (k + 1), *truth = pred + (k + 1);
	double total = 0, correct = 0, bal = 0;
	double pm = 0, rm = 0, fm = 0, pw = 0, rw = 0, fw = 0;

	for (j = 0; j < cm->ncells; j++) {
		double x = (double)counts[j];

		if (cm->row[j] == cm->col[j])
			tp[cm->row[j]] += x;
		pred[cm->col[j]] += x;
		truth[cm->row[j]] += x;
		total += x;
	}
	if (total == 0) {
		for (j = 0; j < N_CM_METRICS; j++)
			out[j] = NAN;
		free(tp);
		return;
	}
	for (c = 0; c <= k; c++) {
		double p, r, f, denom;

		if (truth[c] == 0 && pred[c] == 0)
			continue;
		nlabels++;
		correct += tp[c];
		p = pred[c] > 0 ? tp[c] / pred[c] : 0;
		r = truth[c] > 0 ? tp[c] / truth[c] : 0;
		denom = p + r;
		f = 2 * p * r / (denom == 0 ? 1 : denom);
		pm += p;
		rm += r;
		fm += f;
		pw += p * truth[c];
		rw += r * truth[c];
		fw += f * truth[c];
		if (truth[c] > 0) {
			bal += r;
			nbal++;
		}
	}
	out[M_ACCURACY] = correct / total;
	out[M_BALANCED_ACCURACY] = bal / (double)nbal;
	out[M_PRECISION_MACRO] = pm / (double)nlabels;
	out[M_RECALL_MACRO] = rm / (double)nlabels;
	out[M_F1_MACRO] = fm / (double)nlabels;
	/* micro: every label pooled; pred and truth both sum to the total */
	{
		double p = correct / total, r = correct / total, denom = p + r;

		out[M_PRECISION_MICRO] = p;
		out[M_RECALL_MICRO] = r;
		out[M_F1_MICRO] = 2 * p * r / (denom == 0 ? 1 : denom);
	}
	out[M_PRECISION_WEIGHTED] = pw / total;
	out[M_RECALL_WEIGHTED] = rw / total;
	out[M_F1_WEIGHTED] = fw / total;
	free(tp);
}

static void cm_resample(const uint64_t *counts, void *payload, double *out)
{
	cm_metrics(payload, counts, out);
}

/* The true label's probability as log loss sees it: clipped to [eps, 1-eps], rows renormalised. */
static double true_prob(const double *row, size_t k, int32_t y)
{
	double sum = 0, py = 0;
	size_t c;

	for (c = 0; c < k; c++) {
		double p = fmin(fmax(row[c], DBL_EPSILON), 1 - DBL_EPSILON);

		sum += p;
		if ((int32_t)c == y)
			py = p;
	}
	return py / sum;
}

static int row_complete(const double *row, size_t k)
{
	size_t c;

	for (c = 0; c < k; c++)
		if (!isfinite(row[c]))
			return 0;
	return 1;
}

static int classification(const struct bt_outcomes *o, const size_t *units, size_t m,
                          struct request *reqs, size_t nreq, const struct bt_metric_opts *opts,
                          int64_t **confusion)
{
	size_t k = o->k, i, c, r;
	size_t ncols = k + 1;
	uint64_t *table = bt_xcalloc(k * ncols, sizeof(*table));
	struct cm_cells cm = {k, 0, NULL, NULL};
	uint64_t *cells;
	double point[N_CM_METRICS];
	int want_cm = 0;

	for (i = 0; i < m; i++) {
		int32_t t = o->y_true[units[i]], p = o->y_pred[units[i]];

		if (t < 0 || (size_t)t >= k || p < -1 || p >= (int64_t)k) {
			free(table);
			return bt_error_set(BT_EINPUT,
			                    "example %zu: label index out of range (true %d, "
			                    "predicted %d, %zu labels)",
			                    units[i], (int)t, (int)p, k);
		}
		table[(size_t)t * ncols + (p < 0 ? k : (size_t)p)]++;
	}
	if (confusion) {
		*confusion = bt_xcalloc(k * k, sizeof(**confusion));
		for (r = 0; r < k; r++)
			for (c = 0; c < k; c++)
				(*confusion)[r * k + c] = (int64_t)table[r * ncols + c];
	}

	/* confusion-matrix metrics: resample the non-empty cells */
	cells = bt_xmalloc(k * ncols * sizeof(*cells));
	cm.row = bt_xmalloc(k * ncols * sizeof(*cm.row));
	cm.col = bt_xmalloc(k * ncols * sizeof(*cm.col));
	for (r = 0; r < k; r++) {
		for (c = 0; c < ncols; c++) {
			if (!table[r * ncols + c])
				continue;
			cells[cm.ncells] = table[r * ncols + c];
			cm.row[cm.ncells] = (uint32_t)r;
			cm.col[cm.ncells] = (uint32_t)c;
			cm.ncells++;
		}
	}
	cm_metrics(&cm, cells, point);
	for (i = 0; i < nreq; i++) {
		if (reqs[i].id < N_CM_METRICS) {
			reqs[i].out->value = point[reqs[i].id];
			reqs[i].out->n = m;
			want_cm = 1;
		}
	}
	if (want_cm && m > 0 && opts->resamples > 0) {
		double *dist = bt_xmalloc((size_t)opts->resamples * N_CM_METRICS * sizeof(*dist));

		bt_boot_multinomial(cells, cm.ncells, opts->resamples, opts->seed, STREAM_CELLS,
		                    opts->threads, cm_resample, &cm, N_CM_METRICS, dist);
		for (i = 0; i < nreq; i++)
			if (reqs[i].id < N_CM_METRICS)
				bt_boot_summary(dist, (size_t)opts->resamples, N_CM_METRICS,
				                (size_t)reqs[i].id, opts->level,
				                &reqs[i].out->ci_low, &reqs[i].out->ci_high,
				                &reqs[i].out->se);
		free(dist);
	}
	free(cells);
	free(cm.row);
	free(cm.col);
	free(table);

	/* score metrics: resample examples */
	{
		struct stat_set set = {m, NULL, 0};
		size_t cap = 0, ns = 0;
		unsigned char *in = bt_xcalloc(m ? m : 1, 1);
		double *ll = bt_xmalloc(m * sizeof(double));
		double *brier = bt_xmalloc(m * sizeof(double));
		int32_t *y = bt_xmalloc(m * sizeof(*y));
		uint32_t *unit = NULL;
		unsigned char *flags = NULL;
		struct auc_data auc = {k == 2 ? 1 : k, 0, NULL, NULL};
		size_t *su = bt_xmalloc(m * sizeof(*su));

		/*
		 * The resampling units in the order of the first scored class's
		 * score (unscored last): the AUC's pass over that class then reads
		 * a resample's weights in memory order, not at random.
		 */
		memcpy(su, units, m * sizeof(*su));
		if (k >= 2 && o->scores) {
			double *key = bt_xmalloc(m * sizeof(*key));
			uint32_t *perm = bt_xmalloc(m * sizeof(*perm));

			for (i = 0; i < m; i++) {
				const double *row = o->scores + units[i] * k;

				key[i] = row_complete(row, k) ? row[k == 2 ? 1 : 0] : INFINITY;
			}
			bt_sort_index(key, perm, m);
			for (i = 0; i < m; i++)
				su[i] = units[perm[i]];
			free(key);
			free(perm);
		}
		units = su;
		for (i = 0; i < m; i++) {
			const double *row = o->scores ? o->scores + units[i] * k : NULL;

			y[i] = o->y_true[units[i]];
			ll[i] = brier[i] = NAN;
			if (!row || !row_complete(row, k))
				continue;
			in[i] = 1;
			ns++;
			ll[i] = -log(true_prob(row, k, y[i]));
			if (k == 2) {
				double d = row[1] - (y[i] == 1);

				brier[i] = d * d;
			} else {
				double s = 0;

				for (c = 0; c < k; c++) {
					double d = row[c] - ((int32_t)c == y[i]);

					s += d * d;
				}
				brier[i] = s;
			}
		}
		for (i = 0; i < nreq; i++) {
			if (reqs[i].id == M_LOG_LOSS)
				stat_add(&set, &cap, &reqs[i], ST_MEAN, in, ll, NULL);
			else if (reqs[i].id == M_BRIER)
				stat_add(&set, &cap, &reqs[i], ST_MEAN, in, brier, NULL);
			else if (reqs[i].id == M_ROC_AUC) {
				stat_add(&set, &cap, &reqs[i], ST_AUC, in, NULL, NULL);
				set.st[set.nst - 1].auc = &auc;
			}
		}
		if (set.nst) {
			/* per class, the scored units in order of the class's score */
			uint32_t *pos = bt_xmalloc(ns * sizeof(*pos)), *ord;
			double *col = bt_xmalloc(ns * sizeof(*col));
			size_t s = 0, j;

			for (i = 0; i < m; i++)
				if (in[i])
					pos[s++] = (uint32_t)i;
			ord = bt_xmalloc(ns * sizeof(*ord));
			unit = bt_xmalloc(auc.nclass * ns * sizeof(*unit));
			flags = bt_xmalloc(auc.nclass * ns);
			for (c = 0; c < auc.nclass; c++) {
				int32_t label = auc.nclass == 1 ? 1 : (int32_t)c;

				for (j = 0; j < ns; j++)
					col[j] = o->scores[units[pos[j]] * k + (size_t)label];
				bt_sort_index(col, ord, ns);
				for (j = 0; j < ns; j++) {
					uint32_t u = pos[ord[j]];

					unit[c * ns + j] = u;
					flags[c * ns + j] =
					        (unsigned char)((y[u] == label ? AUC_POSITIVE : 0) |
					                        (j + 1 == ns || col[ord[j + 1]] !=
					                                                 col[ord[j]]
					                                 ? AUC_TIE_END
					                                 : 0));
				}
			}
			auc.ns = ns;
			auc.unit = unit;
			auc.flags = flags;
			free(pos);
			free(col);
			free(ord);
			stat_set_run(&set, opts);
		}
		free(set.st);
		free(in);
		free(ll);
		free(brier);
		free(y);
		free(unit);
		free(flags);
		free(su);
	}
	return 0;
}

/* ========================================================================== */
/* The other task types                                                         */
/* ========================================================================== */

static int regression(const struct bt_outcomes *o, const size_t *units, size_t m,
                      struct request *reqs, size_t nreq, const struct bt_metric_opts *opts)
{
	double *t = bt_xmalloc(m * sizeof(double));
	double *p = bt_xmalloc(m * sizeof(double));
	double *ae = bt_xmalloc(m * sizeof(double));
	double *se = bt_xmalloc(m * sizeof(double));
	struct stat_set set = {m, NULL, 0};
	size_t cap = 0, i;

	for (i = 0; i < m; i++) {
		t[i] = o->t_value[units[i]];
		p[i] = o->p_value[units[i]];
		ae[i] = fabs(p[i] - t[i]);
		se[i] = (t[i] - p[i]) * (t[i] - p[i]);
	}
	for (i = 0; i < nreq; i++) {
		switch (reqs[i].id) {
		case M_MAE:
			stat_add(&set, &cap, &reqs[i], ST_MEAN, NULL, ae, NULL);
			break;
		case M_MSE:
			stat_add(&set, &cap, &reqs[i], ST_MEAN, NULL, se, NULL);
			break;
		case M_RMSE:
			stat_add(&set, &cap, &reqs[i], ST_ROOT_MEAN, NULL, se, NULL);
			break;
		case M_R2:
			stat_add(&set, &cap, &reqs[i], ST_R2, NULL, t, p);
			break;
		default:
			break;
		}
	}
	stat_set_run(&set, opts);
	free(set.st);
	free(t);
	free(p);
	free(ae);
	free(se);
	return 0;
}

static int generation(const struct bt_outcomes *o, const size_t *units, size_t m,
                      struct request *reqs, size_t nreq, const struct bt_metric_opts *opts)
{
	double *em = bt_xmalloc(m * sizeof(double));
	double *f1 = bt_xmalloc(m * sizeof(double));
	uint32_t *chrf = NULL;
	struct stat_set set = {m, NULL, 0};
	size_t cap = 0, i;
	int want_em = 0, want_f1 = 0, want_chrf = 0;

	for (i = 0; i < nreq; i++) {
		want_em |= reqs[i].id == M_EXACT_MATCH;
		want_f1 |= reqs[i].id == M_TOKEN_F1;
		want_chrf |= reqs[i].id == M_CHRF;
	}
	if (want_chrf)
		chrf = bt_xmalloc(m * 3 * CHRF_ORDER * sizeof(*chrf));
	for (i = 0; i < m; i++) {
		const char *pt = o->p_text[units[i]], *tt = o->t_text[units[i]];

		em[i] = want_em ? exact_match(pt, tt, opts->normalize) : 0;
		f1[i] = want_f1 ? token_f1(pt, tt) : 0;
		if (want_chrf)
			chrf_segment(pt, tt, chrf + i * 3 * CHRF_ORDER);
	}
	for (i = 0; i < nreq; i++) {
		if (reqs[i].id == M_EXACT_MATCH)
			stat_add(&set, &cap, &reqs[i], ST_MEAN, NULL, em, NULL);
		else if (reqs[i].id == M_TOKEN_F1)
			stat_add(&set, &cap, &reqs[i], ST_MEAN, NULL, f1, NULL);
		else if (reqs[i].id == M_CHRF) {
			stat_add(&set, &cap, &reqs[i], ST_CHRF, NULL, NULL, NULL);
			set.st[set.nst - 1].chrf = chrf;
		}
	}
	stat_set_run(&set, opts);
	free(set.st);
	free(em);
	free(f1);
	free(chrf);
	return 0;
}

static int multiple_choice(const struct bt_outcomes *o, const size_t *units, size_t m,
                           struct request *reqs, size_t nreq, const struct bt_metric_opts *opts)
{
	double *hit = bt_xmalloc(m * sizeof(double));
	struct stat_set set = {m, NULL, 0};
	size_t cap = 0, i;

	for (i = 0; i < m; i++)
		hit[i] = o->p_choice[units[i]] >= 0 &&
		         o->p_choice[units[i]] == o->t_choice[units[i]];
	for (i = 0; i < nreq; i++)
		if (reqs[i].id == M_MC_ACCURACY)
			stat_add(&set, &cap, &reqs[i], ST_MEAN, NULL, hit, NULL);
	stat_set_run(&set, opts);
	free(set.st);
	free(hit);
	return 0;
}

/* sklearn's DCG discount for 0-based rank i: 1 / (log(i + 2) / log(2)). */
static double discount(size_t i)
{
	return 1 / (log((double)i + 2) / log(2));
}

/*
 * One query's retrieval figures.  The relevant ids are a set (duplicates
 * ignored); a relevant id ranked twice counts once, at its first place.
 * Returns the number of distinct relevant ids; *first is the 0-based rank
 * of the first relevant id, or -1.  hits[j] and dcg[j] are for cutoff
 * cuts[j].
 */
static size_t retrieval_query(const char *const *ranking, size_t nrank, const char *const *relevant,
                              size_t nrel, const int *cuts, size_t ncuts, long *first, double *hits,
                              double *dcg)
{
	const char **rel = bt_xmalloc(nrel * sizeof(*rel));
	unsigned char *seen;
	size_t nr = 0, i, j;

	for (i = 0; i < nrel; i++)
		rel[i] = relevant[i] ? relevant[i] : "";
	qsort(rel, nrel, sizeof(*rel), cmp_str);
	for (i = 0; i < nrel; i++)
		if (nr == 0 || strcmp(rel[nr - 1], rel[i]) != 0)
			rel[nr++] = rel[i];
	seen = bt_xcalloc(nr ? nr : 1, 1);
	*first = -1;
	for (j = 0; j < ncuts; j++)
		hits[j] = dcg[j] = 0;
	for (i = 0; i < nrank && nr > 0; i++) {
		const char *id = ranking[i] ? ranking[i] : "";
		const char **f = bsearch(&id, rel, nr, sizeof(*rel), cmp_str);
		size_t at;

		if (!f)
			continue;
		at = (size_t)(f - rel);
		if (seen[at])
			continue;
		seen[at] = 1;
		if (*first < 0)
			*first = (long)i;
		for (j = 0; j < ncuts; j++) {
			if (i < (size_t)cuts[j]) {
				hits[j] += 1;
				dcg[j] += discount(i);
			}
		}
	}
	free(seen);
	free(rel);
	return nr;
}

static int retrieval(const struct bt_outcomes *o, const size_t *units, size_t m,
                     struct request *reqs, size_t nreq, const struct bt_metric_opts *opts)
{
	int *cuts = bt_xmalloc(nreq * sizeof(*cuts));
	double *vals = bt_xmalloc(m * nreq * sizeof(*vals));
	double *hits = bt_xmalloc(nreq * sizeof(*hits));
	double *dcg = bt_xmalloc(nreq * sizeof(*dcg));
	unsigned char *in = bt_xcalloc(m ? m : 1, 1);
	struct stat_set set = {m, NULL, 0};
	size_t cap = 0, i, j;

	/* one column of per-query values per request; vals is nreq x m */
	for (j = 0; j < nreq; j++)
		cuts[j] = reqs[j].id == M_RECALL_AT || reqs[j].id == M_NDCG_AT ? reqs[j].cutoff : 0;
	for (i = 0; i < m; i++) {
		size_t u = units[i];
		long first;
		size_t nr = retrieval_query(o->ranking[u], o->n_ranking[u], o->relevant[u],
		                            o->n_relevant[u], cuts, nreq, &first, hits, dcg);

		in[i] = nr > 0;
		for (j = 0; j < nreq; j++) {
			double v = NAN;

			if (nr > 0 && reqs[j].id == M_RECALL_AT) {
				v = hits[j] / (double)nr;
			} else if (nr > 0 && reqs[j].id == M_NDCG_AT) {
				double ideal = 0;
				size_t q;

				for (q = 0; q < nr && q < (size_t)cuts[j]; q++)
					ideal += discount(q);
				v = dcg[j] / ideal;
			} else if (nr > 0 && reqs[j].id == M_MRR) {
				v = first >= 0 ? 1.0 / (double)(first + 1) : 0.0;
			}
			vals[j * m + i] = v;
		}
	}
	for (j = 0; j < nreq; j++)
		if (reqs[j].id == M_RECALL_AT || reqs[j].id == M_NDCG_AT || reqs[j].id == M_MRR)
			stat_add(&set, &cap, &reqs[j], ST_MEAN, in, vals + j * m, NULL);
	stat_set_run(&set, opts);
	free(set.st);
	free(cuts);
	free(vals);
	free(hits);
	free(dcg);
	free(in);
	return 0;
}

/* ========================================================================== */
/* Every task: errors, latency, throughput                                      */
/* ========================================================================== */

static void common(const struct bt_outcomes *o, struct request *reqs, size_t nreq,
                   const struct bt_metric_opts *opts)
{
	static const double qs[3] = {0.50, 0.95, 0.99};
	double *lat = NULL;
	size_t nlat = 0, errors = 0, i, j;

	for (i = 0; i < o->n; i++)
		errors += o->ok && !o->ok[i];
	if (o->latency) {
		lat = bt_xmalloc(o->n * sizeof(*lat));
		for (i = 0; i < o->n; i++)
			if (isfinite(o->latency[i]))
				lat[nlat++] = o->latency[i];
		bt_sort_doubles(lat, nlat);
	}
	for (j = 0; j < nreq; j++) {
		struct bt_metric_value *v = reqs[j].out;

		switch (reqs[j].id) {
		case M_ERRORS:
			v->value = (double)errors;
			v->n = o->n;
			break;
		case M_THROUGHPUT:
			v->value = o->wall_seconds > 0 ? (double)o->n / o->wall_seconds : NAN;
			v->n = o->n;
			break;
		case M_LATENCY_P50:
		case M_LATENCY_P95:
		case M_LATENCY_P99: {
			int q = reqs[j].id - M_LATENCY_P50;

			v->value = bt_quantile_sorted(lat, nlat, qs[q]);
			v->n = nlat;
			if (nlat > 0 && opts->resamples > 0) {
				double *dist = bt_xmalloc((size_t)opts->resamples * sizeof(*dist));

				bt_boot_quantile(lat, nlat, qs[q], opts->resamples, opts->seed,
				                 STREAM_LATENCY + (uint64_t)q, opts->threads, dist);
				bt_boot_summary(dist, (size_t)opts->resamples, 1, 0, opts->level,
				                &v->ci_low, &v->ci_high, &v->se);
				free(dist);
			}
			break;
		}
		default:
			break;
		}
	}
	free(lat);
}

/* ========================================================================== */
/* Entry points                                                                 */
/* ========================================================================== */

static enum metric_id metric_id_of(enum benchtop_task_type type, const char *name, int *cutoff)
{
	size_t i;

	*cutoff = 0;
	if (strcmp(name, "accuracy") == 0 && type == BENCHTOP_TASK_MULTIPLE_CHOICE)
		return M_MC_ACCURACY;
	if (bt_starts_with(name, "recall@")) {
		*cutoff = atoi(name + 7);
		return M_RECALL_AT;
	}
	if (bt_starts_with(name, "ndcg@")) {
		*cutoff = atoi(name + 5);
		return M_NDCG_AT;
	}
	for (i = 0; i < BT_ARRAY_SIZE(metric_ids); i++)
		if (strcmp(name, metric_ids[i].name) == 0)
			return metric_ids[i].id;
	return M_ERRORS; /* not reached: names are checked first */
}

static int is_common(enum metric_id id)
{
	return id >= M_ERRORS;
}

static int check_arrays(const struct bt_outcomes *o)
{
	const char *missing = NULL;

	if (o->n == 0)
		return 0;
	switch (o->type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		if (!o->y_true || !o->y_pred)
			missing = "y_true and y_pred";
		else if (o->k == 0)
			missing = "a label set (k is 0)";
		break;
	case BENCHTOP_TASK_REGRESSION:
		if (!o->t_value || !o->p_value)
			missing = "t_value and p_value";
		break;
	case BENCHTOP_TASK_GENERATION:
		if (!o->t_text || !o->p_text)
			missing = "t_text and p_text";
		break;
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		if (!o->t_choice || !o->p_choice)
			missing = "t_choice and p_choice";
		break;
	case BENCHTOP_TASK_RETRIEVAL:
		if (!o->ranking || !o->n_ranking || !o->relevant || !o->n_relevant)
			missing = "ranking and relevant";
		break;
	default:
		return bt_error_set(BT_EINPUT, "unknown task type %d", (int)o->type);
	}
	if (missing)
		return bt_error_set(BT_EINPUT, "outcomes lack %s", missing);
	return 0;
}

int bt_metrics_compute(const struct bt_outcomes *o, const char *const *names, size_t nnames,
                       const struct bt_metric_opts *opts_in, struct bt_metric_value **out,
                       size_t *nout, int64_t **confusion)
{
	static const char *const always[] = {"errors", "latency_p50", "latency_p95", "latency_p99",
	                                     "throughput"};
	struct bt_metric_opts opts = {DEFAULT_RESAMPLES, 0, DEFAULT_LEVEL, 0, DEFAULT_CUTOFF, 0};
	struct bt_metric_value *vals = NULL;
	struct request *reqs = NULL;
	size_t nreq = 0, i, j, m = 0, *units = NULL;
	int implicit = 0, has_scores = 0, rc = 0;

	*out = NULL;
	*nout = 0;
	if (confusion)
		*confusion = NULL;
	if (opts_in)
		opts = *opts_in;
	if (opts.level == 0)
		opts.level = DEFAULT_LEVEL;
	if (opts.k <= 0)
		opts.k = DEFAULT_CUTOFF;
	if (!(opts.level > 0 && opts.level < 1))
		return bt_error_set(BT_EINPUT, "confidence level %g is not between 0 and 1",
		                    opts.level);
	if (opts.resamples < 0)
		return bt_error_set(BT_EINPUT, "negative number of bootstrap resamples (%d)",
		                    opts.resamples);
	if (o->n > UINT32_MAX)
		return bt_error_set(BT_EINPUT, "too many examples for one task (%zu)", o->n);
	rc = check_arrays(o);
	if (rc)
		return rc;
	if (!names || nnames == 0) {
		names = bt_metrics_defaults(o->type, &nnames);
		implicit = 1;
	}
	for (i = 0; i < nnames; i++) {
		rc = bt_metrics_check(o->type, names[i]);
		if (rc)
			return rc;
	}

	/* the non-errored examples are the units of every quality metric */
	units = bt_xmalloc(o->n * sizeof(*units));
	for (i = 0; i < o->n; i++) {
		if (o->ok && !o->ok[i])
			continue;
		units[m++] = i;
		if (o->type == BENCHTOP_TASK_CLASSIFICATION && o->scores &&
		    row_complete(o->scores + i * o->k, o->k))
			has_scores = 1;
	}

	/* the requested metrics in order, without repeats, then the ones every task gets */
	vals = bt_xcalloc(nnames + BT_ARRAY_SIZE(always), sizeof(*vals));
	reqs = bt_xcalloc(nnames + BT_ARRAY_SIZE(always), sizeof(*reqs));
	for (i = 0; i < nnames + BT_ARRAY_SIZE(always); i++) {
		const char *name = i < nnames ? names[i] : always[i - nnames];
		int cutoff, dup = 0;
		enum metric_id id = metric_id_of(o->type, name, &cutoff);

		if (i < nnames && is_common(id))
			continue; /* reported below, in its usual place */
		if (implicit && !has_scores &&
		    (id == M_LOG_LOSS || id == M_BRIER || id == M_ROC_AUC))
			continue; /* a default that this model cannot have */
		for (j = 0; j < nreq; j++)
			dup |= strcmp(vals[j].name, name) == 0;
		if (dup)
			continue;
		snprintf(vals[nreq].name, sizeof(vals[nreq].name), "%s", name);
		vals[nreq].value = vals[nreq].ci_low = vals[nreq].ci_high = vals[nreq].se = NAN;
		vals[nreq].n = 0;
		vals[nreq].higher_is_better = bt_metrics_direction(name);
		reqs[nreq].id = id;
		reqs[nreq].cutoff = cutoff;
		reqs[nreq].out = &vals[nreq];
		nreq++;
	}

	switch (o->type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		rc = classification(o, units, m, reqs, nreq, &opts, confusion);
		break;
	case BENCHTOP_TASK_REGRESSION:
		rc = regression(o, units, m, reqs, nreq, &opts);
		break;
	case BENCHTOP_TASK_GENERATION:
		rc = generation(o, units, m, reqs, nreq, &opts);
		break;
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		rc = multiple_choice(o, units, m, reqs, nreq, &opts);
		break;
	case BENCHTOP_TASK_RETRIEVAL:
		rc = retrieval(o, units, m, reqs, nreq, &opts);
		break;
	}
	if (rc == 0)
		common(o, reqs, nreq, &opts);
	free(units);
	free(reqs);
	if (rc) {
		free(vals);
		return rc;
	}
	*out = vals;
	*nout = nreq;
	return 0;
}

void bt_metrics_sample(const struct bt_outcomes *o, size_t i, const struct bt_metric_opts *opts,
                       int *correct, double *score)
{
	int normalize = opts ? opts->normalize : 0;
	int cutoff = opts && opts->k > 0 ? opts->k : DEFAULT_CUTOFF;
	int failed = o->ok && !o->ok[i];

	*correct = -1;
	*score = NAN;
	switch (o->type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		*correct = !failed && o->y_pred[i] >= 0 && o->y_pred[i] == o->y_true[i];
		if (!failed && o->scores && o->y_true[i] >= 0 && (size_t)o->y_true[i] < o->k &&
		    row_complete(o->scores + i * o->k, o->k))
			*score = true_prob(o->scores + i * o->k, o->k, o->y_true[i]);
		break;
	case BENCHTOP_TASK_REGRESSION:
		if (!failed)
			*score = fabs(o->p_value[i] - o->t_value[i]);
		break;
	case BENCHTOP_TASK_GENERATION:
		*correct = !failed && exact_match(o->p_text[i], o->t_text[i], normalize);
		if (!failed)
			*score = token_f1(o->p_text[i], o->t_text[i]);
		break;
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		*correct = !failed && o->p_choice[i] >= 0 && o->p_choice[i] == o->t_choice[i];
		if (!failed)
			*score = *correct;
		break;
	case BENCHTOP_TASK_RETRIEVAL: {
		long first;
		double hits, dcg;
		size_t nr;

		*correct = 0;
		if (failed)
			break;
		nr = retrieval_query(o->ranking[i], o->n_ranking[i], o->relevant[i],
		                     o->n_relevant[i], &cutoff, 1, &first, &hits, &dcg);
		*correct = hits > 0;
		if (nr > 0)
			*score = first >= 0 ? 1.0 / (double)(first + 1) : 0.0;
		break;
	}
	}
}
