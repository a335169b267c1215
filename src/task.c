/*
 * task.c - preparing one task of a suite for evaluation: read its data
 * (data.h), check it against the task (targets, labels, choices, ids,
 * numeric inputs) and build the examples, targets and task info that
 * plugins receive (benchtop/plugin.h).  Every data error names the data
 * file's line and column; errors in how the suite names fields name the
 * suite file's.
 *
 * Which input fields are numeric: a field is numeric when more of its
 * values (test and train together) are numbers than text; a text value in
 * a numeric field ("nan", "inf", "n/a", a typo) is then an error rather
 * than a silently dropped feature.  Vectors must keep one length.
 *
 * Nothing here runs a model or touches the results store.
 */
#include "config.h"

#include <jansson.h>
#include <locale.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "suite.h"
#include "util.h"

/* How an input field's values are read. */
enum kind { K_NONE = 0, K_NUMBER, K_VECTOR, K_TEXT, K_JSON };

struct field {
	const char *name;
	int col;        /* in the split, -1 when the split lacks it */
	enum kind kind; /* over test and train together */
	size_t width;   /* features it contributes */
};

/* One split's view of the task's fields. */
struct view {
	struct bt_split *split;
	const char *role; /* "test" or "train" */
	struct field *fields;
	size_t nfields, nfeatures;
	int id_col, target_col, choices_col;
	int csv;
};

struct prep {
	struct bt_task *t;
	const struct bt_suite *suite;
	const struct bt_task_spec *spec;
	struct view test, train, docs; /* docs: retrieval's train split */
};

/* --- small helpers ------------------------------------------------------------------ */

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* The shortest "%.Ng" that reads back as `v`, in the C locale. */
static void format_number(char out[40], double v)
{
	locale_t old = (locale_t)0;
	int prec;

	if (!isfinite(v)) {
		snprintf(out, 40, "null");
		return;
	}
	pthread_once(&c_locale_once, c_locale_init);
	if (c_locale)
		old = uselocale(c_locale);
	for (prec = 15; prec <= 17; prec++) {
		snprintf(out, 40, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	if (c_locale)
		uselocale(old);
}

static double parse_c(const char *s, int *ok)
{
	locale_t old = (locale_t)0;
	char *end;
	double v;

	pthread_once(&c_locale_once, c_locale_init);
	if (c_locale)
		old = uselocale(c_locale);
	v = strtod(s, &end);
	if (c_locale)
		uselocale(old);
	*ok = *s && !*end && isfinite(v);
	return v;
}

static uint64_t fnv1a(const void *data, size_t n, uint64_t h)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV_OFFSET 0xcbf29ce484222325ull

static const char *short_text(const char *s, char buf[64])
{
	size_t n = strlen(s);

	if (n < 48)
		return s;
	snprintf(buf, 64, "%.44s...", s);
	return buf;
}

/* An error at a value of a split: "file:line:col: message". */
static int data_error(const struct view *v, size_t row, int col, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int data_error(const struct view *v, size_t row, int col, const char *fmt, ...)
{
	struct bt_buf b = BT_BUF_INIT;
	uint32_t line, c;
	va_list ap;

	bt_split_pos(v->split, row, col, &line, &c);
	va_start(ap, fmt);
	bt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	bt_error_set(BT_EINPUT, "%s:%u:%u: %s", v->split->path, line, c, b.ptr);
	bt_buf_free(&b);
	return BT_EINPUT;
}

/* An error at a place in the suite file. */
static int suite_error(const struct prep *P, struct bt_srcpos pos, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int suite_error(const struct prep *P, struct bt_srcpos pos, const char *fmt, ...)
{
	struct bt_buf b = BT_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	bt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	bt_error_set(BT_EINPUT, "%s:%d:%d: %s", P->suite->path, pos.line ? pos.line : 1,
	             pos.col ? pos.col : 1, b.ptr);
	bt_buf_free(&b);
	return BT_EINPUT;
}

/* A field the split must have, with a suggestion when it lacks it. */
static int need_col(const struct prep *P, const struct view *v, const char *name,
                    struct bt_srcpos pos, const char *what, int *out)
{
	const char *s;

	*out = bt_split_col(v->split, name);
	if (*out >= 0)
		return 0;
	s = bt_suggest(name, (const char *const *)v->split->cols, v->split->ncols);
	if (s)
		return suite_error(P, pos,
		                   "%s '%s' is not a field of %s data '%s' (did you mean "
		                   "'%s'?)",
		                   what, name, v->role, v->split->path, s);
	return suite_error(P, pos, "%s '%s' is not a field of %s data '%s'", what, name, v->role,
	                   v->split->path);
}

/* --- id sets ---------------------------------------------------------------------------- */

/*
 * An open-addressing set of strings with the row each came from.  A slot
 * keeps 32 bits of the id's hash, so a probe compares strings only when
 * those match.  The table is split into 2^part_bits parts chosen by the
 * hash's top bits, each probed on its own: threads that insert only the
 * ids of their own part fill one set without locks (collect_ids).
 * Rows fit 32 bits: data is at most 4 GiB and a record takes two bytes.
 */
struct idslot {
	const char *id;
	uint32_t tag, row;
};

struct idset {
	struct idslot *slot;
	size_t part_cap; /* slots per part, a power of two */
	unsigned part_bits;
};

static uint64_t id_hash(const char *id)
{
	return fnv1a(id, strlen(id), FNV_OFFSET);
}

static unsigned id_part(const struct idset *s, uint64_t h)
{
	return s->part_bits ? (unsigned)(h >> (64 - s->part_bits)) : 0;
}

static void idset_init_parts(struct idset *s, size_t n, unsigned part_bits)
{
	size_t per = (n * 2) >> part_bits;

	s->part_bits = part_bits;
	s->part_cap = 16;
	while (s->part_cap < per)
		s->part_cap *= 2;
	s->slot = bt_xcalloc(s->part_cap << part_bits, sizeof(*s->slot));
}

static void idset_init(struct idset *s, size_t n)
{
	idset_init_parts(s, n, 0);
}

/* Insert `id` of hash h; returns the row already holding it, or (size_t)-1 when new. */
static size_t idset_put_h(struct idset *s, const char *id, uint64_t h, size_t row)
{
	struct idslot *part = s->slot + ((size_t)id_part(s, h) * s->part_cap);
	size_t mask = s->part_cap - 1, j = (size_t)h & mask;
	uint32_t tag = (uint32_t)(h >> 32);

	for (; part[j].id; j = (j + 1) & mask)
		if (part[j].tag == tag && strcmp(part[j].id, id) == 0)
			return part[j].row;
	part[j].id = id;
	part[j].tag = tag;
	part[j].row = (uint32_t)row;
	return (size_t)-1;
}

static size_t idset_put(struct idset *s, const char *id, size_t row)
{
	return idset_put_h(s, id, id_hash(id), row);
}

static int idset_has(const struct idset *s, const char *id)
{
	uint64_t h = id_hash(id);
	const struct idslot *part = s->slot + ((size_t)id_part(s, h) * s->part_cap);
	size_t mask = s->part_cap - 1, j = (size_t)h & mask;
	uint32_t tag = (uint32_t)(h >> 32);

	for (; part[j].id; j = (j + 1) & mask)
		if (part[j].tag == tag && strcmp(part[j].id, id) == 0)
			return 1;
	return 0;
}

static void idset_free(struct idset *s)
{
	free(s->slot);
}

/* --- reading the data ------------------------------------------------------------------- */

static int read_split(struct prep *P, const struct bt_data_ref *ref, const char *role,
                      struct bt_split *out, struct view *v)
{
	char sha[65];
	int rc;

	if (!ref->path)
		return suite_error(P, ref->pos, "data '%s' has not been fetched", ref->url);
	if (ref->sha256) {
		rc = bt_sha256_file(sha, ref->path);
		if (rc)
			return rc;
		if (strcmp(sha, ref->sha256) != 0)
			return suite_error(P, ref->pos,
			                   "data '%s' has sha256 %s, but the suite expects %s",
			                   ref->path, sha, ref->sha256);
	}
	rc = bt_data_read(out, ref->path, ref->format, 0);
	if (rc)
		return rc;
	memset(v, 0, sizeof(*v));
	v->split = out;
	v->role = role;
	v->csv = ref->format == BT_DATA_CSV;
	v->id_col = v->target_col = v->choices_col = -1;
	return 0;
}

/* The id column: the one the suite names, else "id" when present, else none. */
static int resolve_id(struct prep *P, struct view *v)
{
	if (P->spec->id_field)
		return need_col(P, v, P->spec->id_field, P->spec->id_pos, "id field", &v->id_col);
	v->id_col = bt_split_col(v->split, "id");
	return 0;
}

/* Decide each input field's kind over one or two views, and check every value against it. */
static int classify_fields(struct view *a, struct view *b)
{
	size_t f, i;
	int pass;

	for (f = 0; f < a->nfields; f++) {
		size_t nnum = 0, ntext = 0, width = 0;
		int have_vec = 0, have_num = 0, have_json = 0;
		struct view *vs[2] = {a, b};
		size_t vrow = 0;
		struct view *vview = NULL;

		for (pass = 0; pass < 2; pass++) {
			struct view *v = vs[pass];
			if (!v)
				continue;
			int c = v->fields[f].col;
			for (i = 0; c >= 0 && i < v->split->n; i++) {
				const struct bt_value *x = bt_split_at(v->split, i, c);
				switch (x->type) {
				case BENCHTOP_FIELD_NUMBER:
					nnum++;
					have_num = 1;
					break;
				case BENCHTOP_FIELD_VECTOR:
					nnum++;
					if (!have_vec) {
						have_vec = 1;
						width = x->vector_len;
						vrow = i;
						vview = v;
					} else if (x->vector_len != width) {
						uint32_t l, cc;
						bt_split_pos(vview->split, vrow, c, &l, &cc);
						return data_error(
						        v, i, c,
						        "field '%s' has %zu numbers here, but %zu "
						        "on line %u of '%s'",
						        v->fields[f].name, x->vector_len, width, l,
						        vview->split->path);
					}
					break;
				case BENCHTOP_FIELD_TEXT:
					ntext++;
					break;
				case BENCHTOP_FIELD_JSON:
					have_json = 1;
					ntext++;
					break;
				default:
					break;
				}
			}
		}
		if (have_vec && have_num) {
			/* find the first plain number to point at */
			for (pass = 0; pass < 2; pass++) {
				struct view *v = vs[pass];
				int c = v ? v->fields[f].col : -1;
				for (i = 0; v && c >= 0 && i < v->split->n; i++)
					if (bt_split_at(v->split, i, c)->type ==
					    BENCHTOP_FIELD_NUMBER)
						return data_error(
						        v, i, c,
						        "field '%s' is a single number here but a "
						        "list of numbers elsewhere",
						        v->fields[f].name);
			}
		}
		enum kind k = K_NONE;
		if (nnum > ntext)
			k = have_vec ? K_VECTOR : K_NUMBER;
		else if (ntext)
			k = have_json && !nnum ? K_JSON : K_TEXT;
		if (k == K_NUMBER || k == K_VECTOR) {
			for (pass = 0; pass < 2; pass++) {
				struct view *v = vs[pass];
				int c = v ? v->fields[f].col : -1;
				for (i = 0; v && c >= 0 && i < v->split->n; i++) {
					const struct bt_value *x = bt_split_at(v->split, i, c);
					char sb[64];
					int ok;
					if (x->type != BENCHTOP_FIELD_TEXT &&
					    x->type != BENCHTOP_FIELD_JSON)
						continue;
					parse_c(x->text, &ok);
					if (!ok && x->type == BENCHTOP_FIELD_TEXT &&
					    (strcasecmp(x->text, "nan") == 0 ||
					     strcasecmp(x->text, "inf") == 0 ||
					     strcasecmp(x->text, "-inf") == 0 ||
					     strcasecmp(x->text, "+inf") == 0 ||
					     strcasecmp(x->text, "infinity") == 0 ||
					     strcasecmp(x->text, "-infinity") == 0))
						return data_error(v, i, c,
						                  "field '%s' is '%s': numeric "
						                  "inputs must be finite "
						                  "numbers (leave the value empty "
						                  "or null when it is "
						                  "missing)",
						                  v->fields[f].name, x->text);
					return data_error(
					        v, i, c,
					        "field '%s' is '%s', not a number (its other "
					        "values are numbers)",
					        v->fields[f].name, short_text(x->text, sb));
				}
			}
		}
		for (pass = 0; pass < 2; pass++)
			if (vs[pass]) {
				vs[pass]->fields[f].kind = k;
				vs[pass]->fields[f].width = k == K_NUMBER   ? 1
				                            : k == K_VECTOR ? width
				                                            : 0;
			}
	}
	for (pass = 0; pass < 2; pass++) {
		struct view *v = pass ? b : a;
		if (!v)
			continue;
		v->nfeatures = 0;
		for (f = 0; f < v->nfields; f++)
			v->nfeatures += v->fields[f].width;
	}
	return 0;
}

/* The fields of a view: the given names (each must exist), or every field but the excluded. */
static int resolve_fields(struct prep *P, struct view *v, char *const *names, size_t n,
                          const struct bt_srcpos *pos, const char *const *exclude, size_t nex)
{
	size_t i, j;

	if (n) {
		v->fields = bt_xcalloc(n, sizeof(*v->fields));
		for (i = 0; i < n; i++) {
			v->fields[i].name = names[i];
			if (need_col(P, v, names[i], pos ? pos[i] : P->spec->pos, "input",
			             &v->fields[i].col))
				return BT_EINPUT;
		}
		v->nfields = n;
		return 0;
	}
	v->fields = bt_xcalloc(v->split->ncols ? v->split->ncols : 1, sizeof(*v->fields));
	for (i = 0; i < v->split->ncols; i++) {
		int skip = 0;
		for (j = 0; j < nex; j++)
			skip |= exclude[j] && strcmp(exclude[j], v->split->cols[i]) == 0;
		if (skip)
			continue;
		v->fields[v->nfields].name = v->split->cols[i];
		v->fields[v->nfields].col = (int)i;
		v->nfields++;
	}
	return 0;
}

/* --- building examples --------------------------------------------------------------------- */

static const char *example_id(struct bt_task *t, const struct view *v, size_t row, int *err)
{
	const struct bt_value *x;
	char buf[32];

	*err = 0;
	if (v->id_col < 0) {
		snprintf(buf, sizeof(buf), "%zu", row + 1);
		return bt_arena_strndup(&t->arena, buf, strlen(buf));
	}
	x = bt_split_at(v->split, row, v->id_col);
	if (x->type == BENCHTOP_FIELD_TEXT || x->type == BENCHTOP_FIELD_NUMBER)
		return x->text;
	*err = data_error(v, row, v->id_col,
	                  x->type == BENCHTOP_FIELD_NULL ? "record has no id ('%s' is missing)"
	                                                 : "id '%s' must be text or a number",
	                  v->split->cols[v->id_col]);
	return NULL;
}

/* Below this many ids one thread fills the set: threads would cost more. */
#define PARALLEL_IDS 65536

/*
 * Ids of a whole view, checked for duplicates; ids[i] for row i.  With
 * several threads each fills its own part of the set; a duplicate lies
 * within one part, so the earliest over all parts is the one a single
 * pass would have found, whatever the thread count.
 */
static int collect_ids(struct bt_task *t, const struct view *v, const char ***out,
                       struct idset *set)
{
	size_t n = v->split->n, i, dup = SIZE_MAX, dup_prev = 0;
	const char **ids = bt_xcalloc(n ? n : 1, sizeof(*ids));
	uint64_t *h;
	unsigned bits = 0;
	int err, nthreads = 1;

	for (i = 0; i < n; i++) {
		ids[i] = example_id(t, v, i, &err);
		if (err) {
			free(ids);
			return err;
		}
	}
#ifdef _OPENMP
	if (n >= PARALLEL_IDS)
		nthreads = omp_get_max_threads();
#endif
	while (nthreads > 1 && (1 << (bits + 1)) <= nthreads && bits < 6)
		bits++;
	nthreads = 1 << bits;
	idset_init_parts(set, n, bits);
	h = bt_xmalloc((n ? n : 1) * sizeof(*h));
#pragma omp parallel num_threads(nthreads) if (nthreads > 1)
	{
		size_t k, my_dup = SIZE_MAX, my_prev = 0;
		unsigned me = 0, nt = 1;
#ifdef _OPENMP
		/* the runtime may give fewer threads than asked: parts are dealt round */
		me = (unsigned)omp_get_thread_num();
		nt = (unsigned)omp_get_num_threads();
#endif
#pragma omp for schedule(static)
		for (k = 0; k < n; k++)
			h[k] = id_hash(ids[k]);
		for (k = 0; k < n; k++) {
			size_t prev;
			if (id_part(set, h[k]) % nt != me)
				continue;
			prev = idset_put_h(set, ids[k], h[k], k);
			if (prev != (size_t)-1) {
				my_dup = k;
				my_prev = prev;
				break;
			}
		}
#pragma omp critical(collect_ids)
		if (my_dup < dup) {
			dup = my_dup;
			dup_prev = my_prev;
		}
	}
	free(h);
	if (dup != SIZE_MAX) {
		char sb[64];
		uint32_t l, c;
		bt_split_pos(v->split, dup_prev, v->id_col, &l, &c);
		err = data_error(v, dup, v->id_col, "duplicate id '%s' (first on line %u)",
		                 short_text(ids[dup], sb), l);
		free(ids);
		return err;
	}
	*out = ids;
	return 0;
}

/*
 * The field of a view's only numeric input when that is one vector (the
 * examples then point at it rather than copy it), else -1.
 */
static int lone_vector(const struct view *v)
{
	size_t f, nvec = 0, nnum = 0;
	int vf = -1;

	if (!v->nfeatures)
		return -1;
	for (f = 0; f < v->nfields; f++) {
		if (v->fields[f].kind == K_VECTOR) {
			nvec++;
			vf = (int)f;
		} else if (v->fields[f].kind == K_NUMBER) {
			nnum++;
		}
	}
	return nvec == 1 && nnum == 0 ? vf : -1;
}

/*
 * Fill one example's fields, features and text from row `row` of view `v`
 * (`lone` from lone_vector()).  Features are copied into `feat` (room for
 * nfeatures), or into the arena when `feat` is NULL; but the arena is
 * single-threaded, so without `may_alloc` a row that needs it is left
 * without features and 1 returned, for the caller to redo.
 */
static int build_inputs(struct bt_task *t, const struct view *v, size_t row, int lone,
                        struct benchtop_example *ex, struct benchtop_field *fields, double *feat,
                        int may_alloc)
{
	size_t f, k = 0;

	ex->fields = fields;
	ex->n_fields = v->nfields;
	ex->n_features = v->nfeatures;
	if (v->nfeatures) {
		if (lone >= 0) {
			const struct bt_value *x = bt_split_at(v->split, row, v->fields[lone].col);
			if (x->type == BENCHTOP_FIELD_VECTOR)
				ex->features = x->vector;
		}
		if (ex->features) {
			feat = NULL;
		} else if (!feat) {
			if (!may_alloc)
				return 1;
			feat = bt_arena_alloc(&t->arena, v->nfeatures * sizeof(double));
		}
	} else {
		feat = NULL;
	}
	for (f = 0; f < v->nfields; f++) {
		const struct field *fd = &v->fields[f];
		const struct bt_value *x = bt_split_at(v->split, row, fd->col);
		struct benchtop_field *o = &fields[f];
		size_t j;

		o->name = fd->name;
		o->type = x->type;
		o->number = x->number;
		o->text = x->text;
		o->text_len = x->text_len;
		o->vector = x->vector;
		o->vector_len = x->vector_len;
		if (fd->kind == K_NUMBER) {
			if (feat)
				feat[k] = x->type == BENCHTOP_FIELD_NUMBER ? x->number : NAN;
			k++;
		} else if (fd->kind == K_VECTOR) {
			for (j = 0; j < fd->width; j++, k++)
				if (feat)
					feat[k] = x->type == BENCHTOP_FIELD_VECTOR ? x->vector[j]
					                                           : NAN;
		} else if (fd->kind == K_TEXT && !ex->text && x->type != BENCHTOP_FIELD_NULL) {
			ex->text = x->text;
		}
	}
	if (feat)
		ex->features = feat;
	return 0;
}

/*
 * A list of strings from a value: a JSON list (of strings or numbers), a
 * vector of numbers, or (CSV only, or a JSON string when `single_ok`) a
 * text split at '|'.  Strings go to the task's arena.
 */
static int value_list(struct bt_task *t, const struct view *v, size_t row, int col,
                      const char *what, int single_ok, const char ***out, size_t *n)
{
	const struct bt_value *x = bt_split_at(v->split, row, col);
	const char **items = NULL;
	size_t i, k = 0;
	char num[40];

	*out = NULL;
	*n = 0;
	if (x->type == BENCHTOP_FIELD_VECTOR) {
		items = bt_arena_alloc(&t->arena,
		                       (x->vector_len ? x->vector_len : 1) * sizeof(*items));
		for (i = 0; i < x->vector_len; i++) {
			format_number(num, x->vector[i]);
			items[k++] = bt_arena_strndup(&t->arena, num, strlen(num));
		}
	} else if ((x->type == BENCHTOP_FIELD_JSON || x->type == BENCHTOP_FIELD_TEXT) &&
	           x->text[0] == '[' && (x->type == BENCHTOP_FIELD_JSON || v->csv)) {
		json_error_t je;
		json_t *j = json_loadb(x->text, x->text_len, 0, &je), *e;
		if (!j || !json_is_array(j)) {
			json_decref(j);
			return data_error(v, row, col, "%s is not a valid JSON list: %s", what,
			                  j ? "not a list" : je.text);
		}
		items = bt_arena_alloc(&t->arena, (json_array_size(j) ? json_array_size(j) : 1) *
		                                          sizeof(*items));
		json_array_foreach(j, i, e)
		{
			if (json_is_string(e)) {
				items[k++] = bt_arena_strndup(&t->arena, json_string_value(e),
				                              json_string_length(e));
			} else if (json_is_number(e)) {
				format_number(num, json_number_value(e));
				items[k++] = bt_arena_strndup(&t->arena, num, strlen(num));
			} else {
				json_decref(j);
				return data_error(v, row, col,
				                  "%s must be a list of strings (item %zu is not)",
				                  what, i + 1);
			}
		}
		json_decref(j);
	} else if (x->type == BENCHTOP_FIELD_TEXT || x->type == BENCHTOP_FIELD_NUMBER) {
		const char *s = x->text, *bar;
		if (!v->csv && !single_ok)
			return data_error(v, row, col, "%s must be a JSON list of strings, not %s",
			                  what,
			                  x->type == BENCHTOP_FIELD_TEXT ? "a string" : "a number");
		if (!v->csv) {
			items = bt_arena_alloc(&t->arena, sizeof(*items));
			items[k++] = s;
		} else {
			size_t cnt = 1;
			for (bar = s; (bar = strchr(bar, '|')); bar++)
				cnt++;
			items = bt_arena_alloc(&t->arena, cnt * sizeof(*items));
			for (;;) {
				const char *e = strchr(s, '|'), *a = s, *z;
				if (!e)
					e = s + strlen(s);
				z = e;
				while (a < z && (*a == ' ' || *a == '\t'))
					a++;
				while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
					z--;
				if (a == z)
					return data_error(
					        v, row, col,
					        "%s has an empty item (items are separated by "
					        "'|')",
					        what);
				items[k++] = bt_arena_strndup(&t->arena, a, (size_t)(z - a));
				if (!*e)
					break;
				s = e + 1;
			}
		}
	} else if (x->type == BENCHTOP_FIELD_NULL) {
		return data_error(v, row, col, "%s is missing", what);
	} else {
		return data_error(v, row, col, "%s must be a list", what);
	}
	*out = items;
	*n = k;
	return 0;
}

/* --- targets ------------------------------------------------------------------------------- */

static int label_cmp_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int label_cmp_num(const void *a, const void *b)
{
	int ok;
	double x = parse_c(*(char *const *)a, &ok), y = parse_c(*(char *const *)b, &ok);

	if (x < y)
		return -1;
	if (x > y)
		return 1;
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *label_text(const struct view *v, size_t row, int *err)
{
	const struct bt_value *x = bt_split_at(v->split, row, v->target_col);

	*err = 0;
	if (x->type == BENCHTOP_FIELD_TEXT || x->type == BENCHTOP_FIELD_NUMBER)
		return x->text;
	if (x->type == BENCHTOP_FIELD_NULL)
		*err = data_error(v, row, v->target_col, "missing target '%s'",
		                  v->split->cols[v->target_col]);
	else
		*err = data_error(v, row, v->target_col, "target '%s' must be a label, not a list",
		                  v->split->cols[v->target_col]);
	return NULL;
}

/* The label set: declared, else the sorted unique labels of test and train. */
static int collect_labels(struct prep *P)
{
	struct bt_task *t = P->t;
	const struct bt_task_spec *spec = P->spec;
	struct view *vs[2] = {&P->test, P->train.split ? &P->train : NULL};
	struct idset seen;
	size_t i, n = 0, cap;
	int pass, err, numeric = 1, is_num;
	char **list;

	if (spec->n_labels) {
		t->labels = bt_arena_alloc(&t->arena, spec->n_labels * sizeof(*t->labels));
		for (i = 0; i < spec->n_labels; i++)
			t->labels[i] = spec->labels[i];
		t->n_labels = spec->n_labels;
		idset_init(&seen, spec->n_labels);
		for (i = 0; i < spec->n_labels; i++)
			idset_put(&seen, spec->labels[i], i);
		for (pass = 0; pass < 2; pass++)
			for (i = 0; vs[pass] && i < vs[pass]->split->n; i++) {
				const char *l = label_text(vs[pass], i, &err);
				char sb[64];
				if (err) {
					idset_free(&seen);
					return err;
				}
				if (!idset_has(&seen, l)) {
					idset_free(&seen);
					return data_error(
					        vs[pass], i, vs[pass]->target_col,
					        "label '%s' is not one of the task's labels "
					        "(declared at line %d of '%s')",
					        short_text(l, sb), spec->labels_pos.line,
					        P->suite->path);
				}
			}
		idset_free(&seen);
		return 0;
	}
	cap = 16;
	list = bt_xcalloc(cap, sizeof(*list));
	idset_init(&seen, 1024);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; vs[pass] && i < vs[pass]->split->n; i++) {
			const char *l = label_text(vs[pass], i, &err);
			if (err) {
				idset_free(&seen);
				free(list);
				return err;
			}
			if (idset_has(&seen, l))
				continue;
			if (n * 2 >= seen.part_cap) {
				/* grow the set */
				struct idset bigger;
				size_t j;
				idset_init(&bigger, seen.part_cap);
				for (j = 0; j < n; j++)
					idset_put(&bigger, list[j], j);
				idset_free(&seen);
				seen = bigger;
			}
			idset_put(&seen, l, n);
			if (n == cap) {
				cap *= 2;
				list = bt_xrealloc(list, cap * sizeof(*list));
			}
			list[n++] = (char *)l;
			parse_c(l, &is_num);
			numeric &= is_num;
		}
	idset_free(&seen);
	/* the task's arena owns the list, as it owns everything else */
	t->labels = bt_arena_alloc(&t->arena, (n ? n : 1) * sizeof(*t->labels));
	memcpy(t->labels, list, n * sizeof(*list));
	free(list);
	t->n_labels = n;
	qsort(t->labels, n, sizeof(*t->labels), numeric ? label_cmp_num : label_cmp_text);
	return 0;
}

static int64_t label_index(const struct bt_task *t, const char *l)
{
	size_t i;

	/* labels are few; a scan is plenty (declared labels are not sorted) */
	for (i = 0; i < t->n_labels; i++)
		if (strcmp(t->labels[i], l) == 0)
			return (int64_t)i;
	return -1;
}

/* The target of row `row` of view `v` into *tg. */
static int build_target(struct prep *P, const struct view *v, size_t row,
                        const char *const *choices, size_t n_choices, const struct idset *docs,
                        struct benchtop_target *tg)
{
	struct bt_task *t = P->t;
	int c = v->target_col, err;
	const struct bt_value *x = bt_split_at(v->split, row, c);
	const char *name = v->split->cols[c];
	char sb[64];
	size_t i;

	switch (P->spec->type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		tg->label = label_text(v, row, &err);
		if (err)
			return err;
		tg->label_index = label_index(t, tg->label);
		return 0;
	case BENCHTOP_TASK_REGRESSION:
		if (x->type == BENCHTOP_FIELD_NULL)
			return data_error(v, row, c, "missing target '%s'", name);
		if (x->type != BENCHTOP_FIELD_NUMBER ||
		    (x->text && (!strcmp(x->text, "true") || !strcmp(x->text, "false"))))
			return data_error(v, row, c, "target '%s' is '%s', not a number", name,
			                  x->text ? short_text(x->text, sb) : "a list");
		tg->value = x->number;
		return 0;
	case BENCHTOP_TASK_GENERATION:
		if (x->type == BENCHTOP_FIELD_NULL)
			return data_error(v, row, c, "missing target '%s'", name);
		if (x->type != BENCHTOP_FIELD_TEXT && x->type != BENCHTOP_FIELD_NUMBER)
			return data_error(v, row, c, "target '%s' must be text", name);
		tg->text = x->text;
		return 0;
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		if (x->type == BENCHTOP_FIELD_NULL)
			return data_error(v, row, c, "missing target '%s'", name);
		if (x->type == BENCHTOP_FIELD_TEXT || (v->csv && x->type == BENCHTOP_FIELD_NUMBER))
			for (i = 0; i < n_choices; i++)
				if (strcmp(choices[i], x->text) == 0) {
					tg->choice = (int64_t)i;
					return 0;
				}
		if (x->type == BENCHTOP_FIELD_NUMBER && x->number == floor(x->number) &&
		    strcmp(x->text, "true") && strcmp(x->text, "false")) {
			if (x->number >= 0 && x->number < (double)n_choices) {
				tg->choice = (int64_t)x->number;
				return 0;
			}
			return data_error(v, row, c,
			                  "answer %s is out of range: the example has %zu choices "
			                  "(indices from 0)",
			                  x->text, n_choices);
		}
		return data_error(v, row, c, "answer '%s' is not one of the example's choices",
		                  x->text ? short_text(x->text, sb) : "(a list)");
	case BENCHTOP_TASK_RETRIEVAL: {
		const char **rel;
		size_t n;
		if (value_list(t, v, row, c, "the relevant documents", 1, &rel, &n))
			return BT_EINPUT;
		if (n == 0)
			return data_error(v, row, c,
			                  "a query needs at least one relevant document");
		for (i = 0; i < n; i++)
			if (!idset_has(docs, rel[i]))
				return data_error(
				        v, row, c,
				        "relevant document '%s' is not in the train split "
				        "(the documents, '%s')",
				        short_text(rel[i], sb), P->docs.split->path);
		tg->relevant = rel;
		tg->n_relevant = n;
		return 0;
	}
	}
	return 0;
}

static int build_choices(struct prep *P, const struct view *v, size_t row, const char ***out,
                         size_t *n)
{
	size_t i, j;
	char sb[64];

	if (value_list(P->t, v, row, v->choices_col, "the choices", 0, out, n))
		return BT_EINPUT;
	if (*n < 2)
		return data_error(v, row, v->choices_col, "an example needs at least two choices");
	for (i = 0; i < *n; i++)
		for (j = 0; j < i; j++)
			if (strcmp((*out)[i], (*out)[j]) == 0)
				return data_error(v, row, v->choices_col,
				                  "choice '%s' is listed twice",
				                  short_text((*out)[i], sb));
	return 0;
}

/* Below this many rows one thread builds the examples: threads would cost more. */
#define PARALLEL_ROWS 65536

/*
 * The parallel build of build_examples(): each thread maps, zeroes and
 * fills its own slice of the arrays.  Only for views whose rows need no
 * arena (no choices, no lists) and whose errors a serial pass reports the
 * same way: each thread stops at its first bad target, the earliest of
 * those is built again on this thread for its message, and rows whose
 * missing vector needs a copy of NaNs get it afterwards.
 */
static int build_examples_parallel(struct prep *P, const struct view *v, const char **ids,
                                   const uint64_t *rows, size_t n, struct benchtop_example *ex,
                                   struct benchtop_target *tg, int nthreads)
{
	struct bt_task *t = P->t;
	size_t nf = v->nfields, nfeat = v->nfeatures, bad = SIZE_MAX, j;
	int lone = lone_vector(v), redo = 0;
	struct benchtop_field *fields =
	        bt_arena_alloc_lazy(&t->arena, (n * nf > 0 ? n * nf : 1) * sizeof(*fields));
	double *feats = lone < 0 && nfeat
	                        ? bt_arena_alloc_lazy(&t->arena, n * nfeat * sizeof(double))
	                        : NULL;

#pragma omp parallel num_threads(nthreads) reduction(| : redo)
	{
		size_t lo = 0, hi = n, k, my_bad = SIZE_MAX;
#ifdef _OPENMP
		size_t me = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
		lo = n * me / nt;
		hi = n * (me + 1) / nt;
#endif
		bt_prefault(ex + lo, (hi - lo) * sizeof(*ex));
		memset(ex + lo, 0, (hi - lo) * sizeof(*ex));
		if (tg) {
			bt_prefault(tg + lo, (hi - lo) * sizeof(*tg));
			memset(tg + lo, 0, (hi - lo) * sizeof(*tg));
		}
		bt_prefault(fields + lo * nf, (hi - lo) * nf * sizeof(*fields));
		if (feats)
			bt_prefault(feats + lo * nfeat, (hi - lo) * nfeat * sizeof(*feats));
		for (k = lo; k < hi; k++) {
			size_t i = rows ? (size_t)rows[k] : k;
			ex[k].id = ids[i];
			ex[k].index = k;
			ex[k].host_ref = t;
			redo |= build_inputs(t, v, i, lone, &ex[k], fields + k * nf,
			                     feats ? feats + k * nfeat : NULL, 0);
			if (tg && build_target(P, v, i, NULL, 0, NULL, &tg[k])) {
				my_bad = k;
				break;
			}
		}
#pragma omp critical(build_examples)
		if (my_bad < bad)
			bad = my_bad;
	}
	if (bad != SIZE_MAX) {
		struct benchtop_target scratch;
		/* again here, where the error message lands in this thread's buffer */
		return build_target(P, v, rows ? (size_t)rows[bad] : bad, NULL, 0, NULL, &scratch);
	}
	for (j = 0; redo && j < n; j++)
		if (!ex[j].features)
			build_inputs(t, v, rows ? (size_t)rows[j] : j, lone, &ex[j],
			             fields + j * nf, NULL, 1);
	return 0;
}

/*
 * Build the examples of rows rows[0..n) of a view (rows NULL: every row)
 * into ex[0..n), and their targets into tg[0..n) unless tg is NULL.
 */
static int build_examples(struct prep *P, const struct view *v, const char **ids,
                          const struct idset *docs, const uint64_t *rows, size_t n,
                          struct benchtop_example *ex, struct benchtop_target *tg)
{
	struct bt_task *t = P->t;
	struct benchtop_field *fields;
	int lone = lone_vector(v);
	size_t j;

#ifdef _OPENMP
	if (n >= PARALLEL_ROWS && v->choices_col < 0 && P->spec->type != BENCHTOP_TASK_RETRIEVAL &&
	    omp_get_max_threads() > 1)
		return build_examples_parallel(P, v, ids, rows, n, ex, tg, omp_get_max_threads());
#endif
	fields = bt_arena_alloc(&t->arena,
	                        (n * v->nfields > 0 ? n * v->nfields : 1) * sizeof(*fields));
	memset(ex, 0, n * sizeof(*ex));
	if (tg)
		memset(tg, 0, n * sizeof(*tg));
	for (j = 0; j < n; j++) {
		size_t i = rows ? (size_t)rows[j] : j;
		ex[j].id = ids[i];
		ex[j].index = j;
		ex[j].host_ref = t;
		build_inputs(t, v, i, lone, &ex[j], fields + j * v->nfields, NULL, 1);
		if (v->choices_col >= 0) {
			const char **ch;
			size_t nch;
			if (build_choices(P, v, i, &ch, &nch))
				return BT_EINPUT;
			ex[j].choices = ch;
			ex[j].n_choices = nch;
		}
		if (tg && build_target(P, v, i, ex[j].choices, ex[j].n_choices, docs, &tg[j]))
			return BT_EINPUT;
	}
	return 0;
}

/*
 * Check the targets (and choices) of the rows a shard or limit left out,
 * so that a data error is reported whichever shard runs.  `kept` is sorted.
 */
static int check_other_rows(struct prep *P, const struct view *v, const struct idset *docs,
                            const uint64_t *kept, size_t nkept)
{
	size_t i, k = 0;

	for (i = 0; i < v->split->n; i++) {
		struct benchtop_target tg;
		const char **ch = NULL;
		size_t nch = 0;
		if (k < nkept && kept[k] == i) {
			k++;
			continue;
		}
		memset(&tg, 0, sizeof(tg));
		if (v->choices_col >= 0 && build_choices(P, v, i, &ch, &nch))
			return BT_EINPUT;
		if (build_target(P, v, i, ch, nch, docs, &tg))
			return BT_EINPUT;
	}
	return 0;
}

/* --- the task ---------------------------------------------------------------------------- */

static void free_view(struct view *v)
{
	free(v->fields);
}

/*
 * The task's prompt: its template, whose placeholders must name input
 * fields (the error points at the `prompt` option), or the default.
 */
static int prepare_prompt(struct prep *P)
{
	const struct bt_task_spec *spec = P->spec;
	struct bt_task *t = P->t;
	const char *bad, *s;

	if (!spec->prompt) {
		bt_prompt_default(&t->prompt, t->info.inputs, t->info.n_inputs);
	} else if (bt_prompt_parse(&t->prompt, spec->prompt, NULL) != 0) {
		return suite_error(P, spec->prompt_pos, "bad 'prompt' template: %s",
		                   bt_error_last());
	} else if ((bad = bt_prompt_unknown_field(&t->prompt, t->info.inputs, t->info.n_inputs))) {
		struct bt_buf b = BT_BUF_INIT;
		int rc;
		if (strcmp(bad, spec->target) == 0) {
			bt_buf_puts(&b, "the task's target, which the model must not see");
		} else if (spec->choices && strcmp(bad, spec->choices) == 0) {
			bt_buf_puts(&b, "the choices field, which models get as the example's "
			                "choices, not as an input");
		} else {
			s = bt_suggest(bad, t->info.inputs, t->info.n_inputs);
			if (s) {
				bt_buf_printf(&b, "not an input field; did you mean '%s'?", s);
			} else {
				bt_buf_puts(&b, "not an input field (inputs: ");
				for (size_t i = 0; i < t->info.n_inputs; i++)
					bt_buf_printf(&b, "%s%s", i ? ", " : "", t->info.inputs[i]);
				bt_buf_puts(&b, ")");
			}
		}
		rc = suite_error(P, spec->prompt_pos, "the prompt of task '%s' names '{%s}', %s",
		                 spec->name, bad, bt_buf_cstr(&b));
		bt_buf_free(&b);
		return rc;
	}
	bt_prompt_set_delimiters(&t->prompt, spec->fewshot_delimiter, spec->target_delimiter);
	return 0;
}

int bt_task_prepare(struct bt_task *out, const struct bt_suite *suite, size_t task_index,
                    const struct bt_task_opts *opts)
{
	struct prep P;
	const struct bt_task_spec *spec;
	const char **test_ids = NULL, **train_ids = NULL;
	struct idset test_set = {0}, train_set = {0};
	const char *exclude[4];
	size_t i, n, limit;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&P, 0, sizeof(P));
	if (task_index >= suite->ntasks)
		return bt_error_set(BT_EUSAGE, "suite '%s' has no task %zu", suite->name,
		                    task_index);
	spec = &suite->tasks[task_index];
	P.t = out;
	P.suite = suite;
	P.spec = spec;
	out->suite = suite;
	out->spec = spec;

	rc = read_split(&P, &spec->test, "test", &out->test_split, &P.test);
	if (rc)
		goto fail;
	if (spec->train.path || spec->train.url) {
		rc = read_split(&P, &spec->train, "train", &out->train_split, &P.train);
		if (rc)
			goto fail;
	}

	/* fields of the test split (and of the train split, but for retrieval's documents) */
	if ((rc = resolve_id(&P, &P.test)) ||
	    (rc = need_col(&P, &P.test, spec->target, spec->target_pos, "target",
	                   &P.test.target_col)))
		goto fail;
	if (spec->choices && (rc = need_col(&P, &P.test, spec->choices, spec->choices_pos,
	                                    "choices field", &P.test.choices_col)))
		goto fail;
	exclude[0] = spec->target;
	exclude[1] = P.test.id_col >= 0 ? P.test.split->cols[P.test.id_col] : NULL;
	exclude[2] = spec->choices;
	if ((rc = resolve_fields(&P, &P.test, spec->inputs, spec->n_inputs, spec->inputs_pos,
	                         exclude, 3)))
		goto fail;
	if (P.test.nfields == 0) {
		rc = suite_error(&P, spec->pos,
		                 "task '%s' has no input fields: '%s' has only the "
		                 "target and id",
		                 spec->name, P.test.split->path);
		goto fail;
	}
	if (P.train.split && spec->type != BENCHTOP_TASK_RETRIEVAL) {
		char **names = bt_xcalloc(P.test.nfields, sizeof(*names));
		for (i = 0; i < P.test.nfields; i++)
			names[i] = (char *)P.test.fields[i].name;
		rc = resolve_id(&P, &P.train);
		if (!rc)
			rc = need_col(&P, &P.train, spec->target, spec->target_pos, "target",
			              &P.train.target_col);
		if (!rc && spec->choices)
			rc = need_col(&P, &P.train, spec->choices, spec->choices_pos,
			              "choices field", &P.train.choices_col);
		if (!rc)
			rc = resolve_fields(&P, &P.train, names, P.test.nfields,
			                    spec->n_inputs ? spec->inputs_pos : NULL, NULL, 0);
		free(names);
		if (rc)
			goto fail;
		rc = classify_fields(&P.test, &P.train);
	} else {
		rc = classify_fields(&P.test, NULL);
	}
	if (rc)
		goto fail;
	if (P.train.split && spec->type == BENCHTOP_TASK_RETRIEVAL) {
		/* the documents: every field of the train split but its id (and a target) */
		P.docs = P.train;
		memset(&P.train, 0, sizeof(P.train));
		if ((rc = resolve_id(&P, &P.docs)))
			goto fail;
		if (P.docs.id_col < 0) {
			rc = suite_error(
			        &P, spec->train.pos,
			        "the documents ('%s') need an id field ('id', or the task's "
			        "'id')",
			        P.docs.split->path);
			goto fail;
		}
		exclude[0] = spec->target;
		exclude[1] = P.docs.split->cols[P.docs.id_col];
		if ((rc = resolve_fields(&P, &P.docs, NULL, 0, NULL, exclude, 2)) ||
		    (rc = classify_fields(&P.docs, NULL)))
			goto fail;
		if (P.docs.nfields == 0) {
			rc = suite_error(&P, spec->train.pos,
			                 "the documents ('%s') have no text field",
			                 P.docs.split->path);
			goto fail;
		}
	}

	/* ids, labels, targets */
	if ((rc = collect_ids(out, &P.test, &test_ids, &test_set)))
		goto fail;
	if (P.train.split && (rc = collect_ids(out, &P.train, &train_ids, &train_set)))
		goto fail;
	if (P.docs.split && (rc = collect_ids(out, &P.docs, &train_ids, &train_set)))
		goto fail;
	if (spec->type == BENCHTOP_TASK_CLASSIFICATION && (rc = collect_labels(&P)))
		goto fail;

	/* which test examples run: a shard (by a stable hash of the id), then a limit */
	limit = opts && opts->limit ? opts->limit : spec->limit;
	n = P.test.split->n;
	out->test_index = bt_arena_alloc(&out->arena, n * sizeof(*out->test_index));
	for (i = 0; i < n && (!limit || out->n_test < limit); i++) {
		if (opts && opts->shard_count &&
		    fnv1a(test_ids[i], strlen(test_ids[i]), FNV_OFFSET) % opts->shard_count !=
		            opts->shard_index)
			continue;
		out->test_index[out->n_test++] = i;
	}
	/* mapped as they are filled, by the threads that fill them (build_examples) */
	out->test = bt_arena_alloc_lazy(&out->arena,
	                                (out->n_test ? out->n_test : 1) * sizeof(*out->test));
	out->test_targets = bt_arena_alloc_lazy(&out->arena, (out->n_test ? out->n_test : 1) *
	                                                             sizeof(*out->test_targets));
	if ((rc = build_examples(&P, &P.test, test_ids, &train_set, out->test_index, out->n_test,
	                         out->test, out->test_targets)))
		goto fail;
	if (out->n_test < n &&
	    (rc = check_other_rows(&P, &P.test, &train_set, out->test_index, out->n_test)))
		goto fail;

	if (P.train.split || P.docs.split) {
		const struct view *tv = P.train.split ? &P.train : &P.docs;
		struct benchtop_target *tg = NULL;
		out->n_train = tv->split->n;
		out->train = bt_arena_alloc_lazy(&out->arena, out->n_train * sizeof(*out->train));
		if (P.train.split)
			tg = bt_arena_alloc_lazy(&out->arena, out->n_train * sizeof(*tg));
		if ((rc = build_examples(&P, tv, train_ids, NULL, NULL, out->n_train, out->train,
		                         tg)))
			goto fail;
		for (i = 0; tg && i < out->n_train; i++)
			out->train[i].target = &tg[i];
	}
	if (spec->few_shot > out->n_train) {
		rc = suite_error(&P, spec->few_shot_pos,
		                 "few_shot %zu needs at least %zu train examples, '%s' has %zu",
		                 spec->few_shot, spec->few_shot, P.train.split->path, out->n_train);
		goto fail;
	}
	/* few-shot windows, from the task's seed and the example's id alone */
	for (i = 0; spec->few_shot && i < out->n_test; i++) {
		struct benchtop_example *ex = &out->test[i];
		uint64_t h = fnv1a(&spec->seed, sizeof(spec->seed), FNV_OFFSET);
		h = fnv1a(ex->id, strlen(ex->id), h);
		ex->shots = out->train + h % (out->n_train - spec->few_shot + 1);
		ex->n_shots = spec->few_shot;
	}

	/* what a plugin's create receives */
	out->info.size = sizeof(out->info);
	out->info.suite = suite->name;
	out->info.name = spec->name;
	out->info.type = spec->type;
	out->info.labels = (const char *const *)out->labels;
	out->info.n_labels = out->n_labels;
	{
		const char **names = bt_arena_alloc(&out->arena, P.test.nfields * sizeof(*names));
		for (i = 0; i < P.test.nfields; i++)
			names[i] = P.test.fields[i].name;
		out->info.inputs = names;
	}
	out->info.n_inputs = P.test.nfields;
	out->info.n_features = P.test.nfeatures;
	out->info.n_train = out->n_train;
	out->info.n_test = out->n_test;
	out->info.seed = opts ? opts->seed : 0;
	out->info.stop = (const char *const *)spec->stop;
	out->info.n_stop = spec->n_stop;
	out->info.target_delimiter = spec->target_delimiter;
	out->info.max_tokens = spec->max_tokens;
	if ((rc = prepare_prompt(&P)))
		goto fail;
	rc = 0;
	goto out;
fail:
	bt_task_release(out);
out:
	free(test_ids);
	free(train_ids);
	idset_free(&test_set);
	idset_free(&train_set);
	free_view(&P.test);
	free_view(&P.train);
	free_view(&P.docs);
	return rc;
}

void bt_task_release(struct bt_task *t)
{
	bt_prompt_release(&t->prompt);
	bt_split_release(&t->test_split);
	bt_split_release(&t->train_split);
	bt_arena_free(&t->arena);
	memset(t, 0, sizeof(*t));
}

/* --- example_json ------------------------------------------------------------------------- */

static void json_escape(struct bt_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	bt_buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		bt_buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
			bt_buf_puts(b, "\\\"");
			break;
		case '\\':
			bt_buf_puts(b, "\\\\");
			break;
		case '\n':
			bt_buf_puts(b, "\\n");
			break;
		case '\r':
			bt_buf_puts(b, "\\r");
			break;
		case '\t':
			bt_buf_puts(b, "\\t");
			break;
		default: {
			char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
			bt_buf_puts(b, u);
		}
		}
	}
	bt_buf_add(b, s + run, n - run);
	bt_buf_putc(b, '"');
}

static _Thread_local struct bt_buf example_buf;

const char *bt_task_example_json(const struct benchtop_example *ex)
{
	struct bt_buf *b = &example_buf;
	char num[40];
	size_t i, j;

	bt_buf_reset(b);
	bt_buf_putc(b, '{');
	for (i = 0; i < ex->n_fields; i++) {
		const struct benchtop_field *f = &ex->fields[i];
		if (i)
			bt_buf_putc(b, ',');
		json_escape(b, f->name, strlen(f->name));
		bt_buf_putc(b, ':');
		switch (f->type) {
		case BENCHTOP_FIELD_NUMBER:
			if (f->text && (!strcmp(f->text, "true") || !strcmp(f->text, "false"))) {
				bt_buf_puts(b, f->text);
			} else {
				format_number(num, f->number);
				bt_buf_puts(b, num);
			}
			break;
		case BENCHTOP_FIELD_TEXT:
			json_escape(b, f->text, f->text_len);
			break;
		case BENCHTOP_FIELD_VECTOR:
			bt_buf_putc(b, '[');
			for (j = 0; j < f->vector_len; j++) {
				if (j)
					bt_buf_putc(b, ',');
				format_number(num, f->vector[j]);
				bt_buf_puts(b, num);
			}
			bt_buf_putc(b, ']');
			break;
		case BENCHTOP_FIELD_JSON:
			bt_buf_add(b, f->text, f->text_len);
			break;
		default:
			bt_buf_puts(b, "null");
		}
	}
	bt_buf_putc(b, '}');
	return bt_buf_cstr(b);
}
