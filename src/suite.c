/*
 * suite.c - loading a benchmark suite file (benchtop-suite(5)) with
 * libyaml and validating everything that can be checked without reading
 * data: keys (with "did you mean"), types, task types, metric names,
 * options, gates and data references.  Every error names
 * "file:line:col", from libyaml's marks (which count characters from 1
 * once shifted).  Reading and checking the data itself is task.c's job.
 *
 * Nothing here prints or touches the results store.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "error.h"
#include "metrics.h"
#include "prompt.h"
#include "suite.h"
#include "util.h"

struct loader {
	const char *path;
	yaml_document_t doc;
	struct bt_suite *suite;
};

/* Options as read from one `options:` mapping; a task starts from the suite's. */
struct opts {
	int bootstrap, has_bootstrap;
	uint64_t seed;
	int has_seed;
	size_t limit;
	int has_limit;
	size_t few_shot;
	int has_few_shot;
	struct bt_srcpos few_shot_pos;
	int normalize, has_normalize;
	int k, has_k;
	/*
	 * What a language model is given (plugin ABI 1.1), checked here and
	 * kept as the document's nodes until the task copies them: `stop` is
	 * a string or a list of strings.
	 */
	yaml_node_t *prompt, *fewshot_delimiter, *target_delimiter, *stop;
	size_t max_tokens;
};

static const char *const suite_keys[] = {"name",    "version", "description",
                                         "options", "gates",   "tasks"};
static const char *const task_keys[] = {"name",   "type",    "description", "data",
                                        "inputs", "target",  "id",          "choices",
                                        "labels", "metrics", "options",     "gates"};
static const char *const option_keys[] = {
        "bootstrap", "seed", "limit",      "few_shot",          "normalize",       "k",
        "prompt",    "stop", "max_tokens", "fewshot_delimiter", "target_delimiter"};
static const char *const data_keys[] = {"test", "train"};
static const char *const ref_keys[] = {"path", "url", "sha256", "format"};
static const char *const gate_keys[] = {"metric", "direction", "min_delta", "alpha"};

static const char *const type_names[] = {
        NULL, "classification", "regression", "generation", "multiple_choice", "retrieval",
};

const char *bt_task_type_name(enum benchtop_task_type type)
{
	if ((int)type >= 1 && (size_t)type < BT_ARRAY_SIZE(type_names))
		return type_names[type];
	return "unknown";
}

int bt_task_type_parse(const char *name)
{
	size_t i;

	for (i = 1; i < BT_ARRAY_SIZE(type_names); i++)
		if (strcmp(name, type_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *const *bt_task_default_metrics(enum benchtop_task_type type, size_t *n)
{
	return bt_metrics_defaults(type, n);
}

/* --- errors and node helpers --------------------------------------------------- */

static struct bt_srcpos pos_of(const yaml_node_t *n)
{
	struct bt_srcpos p = {0, 0};

	if (n) {
		p.line = (int)n->start_mark.line + 1;
		p.col = (int)n->start_mark.column + 1;
	}
	return p;
}

static int fail_at(struct loader *L, const yaml_node_t *n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int fail_at(struct loader *L, const yaml_node_t *n, const char *fmt, ...)
{
	struct bt_buf b = BT_BUF_INIT;
	struct bt_srcpos p = pos_of(n);
	va_list ap;

	va_start(ap, fmt);
	bt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	bt_error_set(BT_EINPUT, "%s:%d:%d: %s", L->path, p.line, p.col, b.ptr);
	bt_buf_free(&b);
	return BT_EINPUT;
}

static const char *kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* An empty plain scalar, "~" or "null": the key is as good as absent. */
static int is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

static yaml_node_t *node(struct loader *L, int id)
{
	return yaml_document_get_node(&L->doc, id);
}

/* The value of `key` in mapping `m`, or NULL (a null value counts as absent). */
static yaml_node_t *get(struct loader *L, yaml_node_t *m, const char *key, yaml_node_t **keynode)
{
	yaml_node_pair_t *p;

	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(L, p->key);
		const char *ks = scalar(k);
		if (ks && strcmp(ks, key) == 0) {
			yaml_node_t *v = node(L, p->value);
			if (keynode)
				*keynode = k;
			return is_null(v) ? NULL : v;
		}
	}
	return NULL;
}

/*
 * Check a mapping's keys: every key a known name, none twice.  `hint`
 * (may be NULL) names keys that belong under `hint_parent`.
 */
static int check_keys(struct loader *L, yaml_node_t *m, const char *what, const char *const *known,
                      size_t n, const char *const *hint, size_t nhint, const char *hint_parent)
{
	yaml_node_pair_t *p, *q;
	size_t i;

	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(L, p->key);
		const char *ks = scalar(k), *s;
		int found = 0;
		if (!ks)
			return fail_at(L, k, "keys of %s must be names, not %s", what,
			               kind_name(k));
		for (i = 0; i < n && !found; i++)
			found = strcmp(ks, known[i]) == 0;
		if (!found) {
			for (i = 0; i < nhint; i++)
				if (strcmp(ks, hint[i]) == 0)
					return fail_at(
					        L, k,
					        "unknown key '%s' in %s (it belongs under '%s')",
					        ks, what, hint_parent);
			s = bt_suggest(ks, known, n);
			if (s)
				return fail_at(L, k, "unknown key '%s' (did you mean '%s'?)", ks,
				               s);
			{
				struct bt_buf b = BT_BUF_INIT;
				for (i = 0; i < n; i++)
					bt_buf_printf(&b, "%s%s", i ? ", " : "", known[i]);
				fail_at(L, k, "unknown key '%s' in %s (known keys: %s)", ks, what,
				        b.ptr);
				bt_buf_free(&b);
				return BT_EINPUT;
			}
		}
		for (q = m->data.mapping.pairs.start; q < p; q++) {
			const char *qs = scalar(node(L, q->key));
			if (qs && strcmp(qs, ks) == 0)
				return fail_at(L, k, "duplicate key '%s' (first at line %d)", ks,
				               pos_of(node(L, q->key)).line);
		}
	}
	return 0;
}

static int want_mapping(struct loader *L, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(L, n, "%s must be a mapping, not %s", what, kind_name(n));
	return 0;
}

/* A string value: any scalar (numbers as written), not a list or mapping. */
static int get_string(struct loader *L, yaml_node_t *n, const char *key, char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail_at(L, n, "'%s' must be a string, not %s", key, kind_name(n));
	*out = bt_xstrdup(scalar(n));
	return 0;
}

/* A name: a non-empty string without control characters (*out NULL when not). */
static int get_name(struct loader *L, yaml_node_t *n, const char *key, char **out)
{
	const unsigned char *s;

	if (get_string(L, n, key, out))
		return BT_EINPUT;
	if (!**out) {
		fail_at(L, n, "'%s' must not be empty", key);
		goto bad;
	}
	for (s = (const unsigned char *)*out; *s; s++)
		if (*s < 0x20 || *s == 0x7f) {
			fail_at(L, n, "'%s' must not contain control characters", key);
			goto bad;
		}
	return 0;
bad:
	free(*out);
	*out = NULL;
	return BT_EINPUT;
}

static int get_uint(struct loader *L, yaml_node_t *n, const char *key, uint64_t max, uint64_t *out)
{
	const char *s = scalar(n), *p;
	uint64_t v = 0;

	if (!s)
		return fail_at(L, n, "'%s' must be a whole number, not %s", key, kind_name(n));
	for (p = s; *p; p++) {
		uint64_t d = (uint64_t)(*p - '0');
		if (*p < '0' || *p > '9')
			break;
		if (v > (UINT64_MAX - d) / 10)
			return fail_at(L, n, "'%s' is too large: %s", key, s);
		v = v * 10 + d;
	}
	if (!*s || *p)
		return fail_at(L, n, "'%s' must be a whole number, not '%s'", key, s);
	if (v > max)
		return fail_at(L, n, "'%s' must be at most %llu, not %s", key,
		               (unsigned long long)max, s);
	*out = v;
	return 0;
}

static int get_bool(struct loader *L, yaml_node_t *n, const char *key, int *out)
{
	const char *s = scalar(n);

	if (s && (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")))
		*out = 1;
	else if (s && (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")))
		*out = 0;
	else if (s)
		return fail_at(L, n, "'%s' must be true or false, not '%s'", key, s);
	else
		return fail_at(L, n, "'%s' must be true or false, not %s", key, kind_name(n));
	return 0;
}

static int get_number(struct loader *L, yaml_node_t *n, const char *key, double *out)
{
	const char *s = scalar(n);

	if (!s)
		return fail_at(L, n, "'%s' must be a number, not %s", key, kind_name(n));
	if (bt_parse_double(s, out) || !isfinite(*out))
		return fail_at(L, n, "'%s' must be a number, not '%s'", key, s);
	return 0;
}

/*
 * A set of names for finding repeats in linear time: lists of names can be
 * long (labels), and comparing each with all before it made a 1 MB suite
 * take minutes.  Names are not copied.
 */
struct nameset {
	const char **names; /* in the order added */
	size_t *slots;      /* index into names + 1; 0 for an empty slot */
	size_t n, names_cap, nslots;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* Add `name` unless it is there: the index of the earlier one, or -1 once added. */
static long nameset_add(struct nameset *s, const char *name)
{
	size_t i, k, mask;

	if (2 * (s->n + 1) > s->nslots) {
		size_t ns = s->nslots ? 2 * s->nslots : 16;
		size_t *slots = bt_xcalloc(ns, sizeof(*slots));
		for (k = 0; k < s->n; k++) {
			for (i = name_hash(s->names[k]) & (ns - 1); slots[i];
			     i = (i + 1) & (ns - 1))
				;
			slots[i] = k + 1;
		}
		free(s->slots);
		s->slots = slots;
		s->nslots = ns;
	}
	mask = s->nslots - 1;
	for (i = name_hash(name) & mask; s->slots[i]; i = (i + 1) & mask)
		if (strcmp(s->names[s->slots[i] - 1], name) == 0)
			return (long)(s->slots[i] - 1);
	bt_grow(&s->names, &s->names_cap, s->n + 1, sizeof(*s->names));
	s->names[s->n] = name;
	s->slots[i] = ++s->n;
	return -1;
}

static void nameset_free(struct nameset *s)
{
	free(s->names);
	free(s->slots);
}

/* A list of names (a single scalar counts as a list of one). */
static int get_names(struct loader *L, yaml_node_t *n, const char *key, char ***out, size_t *nout,
                     struct bt_srcpos **pos)
{
	yaml_node_item_t *it;
	struct nameset seen = {0};
	size_t k = 0, cap;
	int rc = 0;

	if (n->type == YAML_MAPPING_NODE)
		return fail_at(L, n, "'%s' must be a list of names, not a mapping", key);
	cap = n->type == YAML_SCALAR_NODE
	              ? 1
	              : (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	*out = bt_xcalloc(cap ? cap : 1, sizeof(**out));
	if (pos)
		*pos = bt_xcalloc(cap ? cap : 1, sizeof(**pos));
	*nout = 0;
	if (n->type == YAML_SCALAR_NODE) {
		*nout = 1;
		if (get_name(L, n, key, &(*out)[0]))
			return BT_EINPUT;
		if (pos)
			(*pos)[0] = pos_of(n);
		return 0;
	}
	if (cap == 0)
		return fail_at(L, n, "'%s' must not be an empty list", key);
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *v = node(L, *it);
		if (v->type != YAML_SCALAR_NODE || is_null(v)) {
			rc = fail_at(L, v, "each of '%s' must be a name, not %s", key,
			             is_null(v) ? "null" : kind_name(v));
			break;
		}
		*nout = k + 1; /* counted first: the caller frees what is there on any error */
		if ((rc = get_name(L, v, key, &(*out)[k])) != 0)
			break;
		if (nameset_add(&seen, (*out)[k]) >= 0) {
			rc = fail_at(L, v, "'%s' lists '%s' twice", key, (*out)[k]);
			break;
		}
		if (pos)
			(*pos)[k] = pos_of(v);
		k++;
	}
	nameset_free(&seen);
	return rc;
}

/* --- pieces ------------------------------------------------------------------------ */

/* A string option: any scalar, empty included (a quoted "" is not null). */
static int want_string(struct loader *L, yaml_node_t *v, const char *key)
{
	if (v->type != YAML_SCALAR_NODE)
		return fail_at(L, v, "'%s' must be a string, not %s", key, kind_name(v));
	return 0;
}

/* The options a language model is given: prompt, delimiters, stop, max_tokens. */
static int parse_model_options(struct loader *L, yaml_node_t *m, struct opts *o)
{
	yaml_node_t *v;
	yaml_node_item_t *it;
	uint64_t u;

	if ((v = get(L, m, "prompt", NULL))) {
		struct bt_prompt p;
		size_t at = 0;
		if (want_string(L, v, "prompt"))
			return BT_EINPUT;
		if (bt_prompt_parse(&p, scalar(v), &at) != 0) {
			/* The message names the brace; the offset finds it in a long template. */
			char *why = bt_xstrdup(bt_error_last());
			fail_at(L, v, "bad 'prompt' template: %s, at character %zu", why, at + 1);
			free(why);
			return BT_EINPUT;
		}
		bt_prompt_release(&p);
		o->prompt = v;
	}
	if ((v = get(L, m, "fewshot_delimiter", NULL))) {
		if (want_string(L, v, "fewshot_delimiter"))
			return BT_EINPUT;
		o->fewshot_delimiter = v;
	}
	if ((v = get(L, m, "target_delimiter", NULL))) {
		if (want_string(L, v, "target_delimiter"))
			return BT_EINPUT;
		o->target_delimiter = v;
	}
	if ((v = get(L, m, "stop", NULL))) {
		if (v->type == YAML_MAPPING_NODE)
			return fail_at(L, v,
			               "'stop' must be a string or a list of strings, not a "
			               "mapping");
		if (v->type == YAML_SCALAR_NODE && !*scalar(v))
			return fail_at(L, v, "a stop sequence must not be empty");
		for (it = v->type == YAML_SEQUENCE_NODE ? v->data.sequence.items.start : NULL;
		     it && it < v->data.sequence.items.top; it++) {
			yaml_node_t *e = node(L, *it);
			if (e->type != YAML_SCALAR_NODE || is_null(e))
				return fail_at(L, e, "each of 'stop' must be a string, not %s",
				               is_null(e) ? "null" : kind_name(e));
			if (!*scalar(e))
				return fail_at(L, e, "a stop sequence must not be empty");
		}
		o->stop = v;
	}
	if ((v = get(L, m, "max_tokens", NULL))) {
		if (get_uint(L, v, "max_tokens", 100000000, &u))
			return BT_EINPUT;
		if (u == 0)
			return fail_at(L, v, "'max_tokens' must be at least 1");
		o->max_tokens = (size_t)u;
	}
	return 0;
}

static int parse_options(struct loader *L, yaml_node_t *m, struct opts *o)
{
	yaml_node_t *v;
	uint64_t u;

	if (want_mapping(L, m, "'options'") ||
	    check_keys(L, m, "options", option_keys, BT_ARRAY_SIZE(option_keys), NULL, 0, NULL))
		return BT_EINPUT;
	if ((v = get(L, m, "bootstrap", NULL))) {
		if (get_uint(L, v, "bootstrap", 1000000, &u))
			return BT_EINPUT;
		o->bootstrap = (int)u;
		o->has_bootstrap = 1;
	}
	if ((v = get(L, m, "seed", NULL))) {
		if (get_uint(L, v, "seed", UINT64_MAX, &o->seed))
			return BT_EINPUT;
		o->has_seed = 1;
	}
	if ((v = get(L, m, "limit", NULL))) {
		if (get_uint(L, v, "limit", SIZE_MAX, &u))
			return BT_EINPUT;
		o->limit = (size_t)u;
		o->has_limit = 1;
	}
	if ((v = get(L, m, "few_shot", NULL))) {
		if (get_uint(L, v, "few_shot", 1000, &u))
			return BT_EINPUT;
		o->few_shot = (size_t)u;
		o->has_few_shot = 1;
		o->few_shot_pos = pos_of(v);
	}
	if ((v = get(L, m, "normalize", NULL))) {
		if (get_bool(L, v, "normalize", &o->normalize))
			return BT_EINPUT;
		o->has_normalize = 1;
	}
	if ((v = get(L, m, "k", NULL))) {
		if (get_uint(L, v, "k", 100000, &u))
			return BT_EINPUT;
		if (u == 0)
			return fail_at(L, v, "'k' must be at least 1");
		o->k = (int)u;
		o->has_k = 1;
	}
	return parse_model_options(L, m, o);
}

/* Is `name` a metric of any task type?  Sets the error (with a suggestion) when not. */
static int any_metric(const char *name)
{
	const char *all[128];
	const char *s;
	size_t n = 0, i, k;
	int t;

	for (t = 1; t < (int)BT_ARRAY_SIZE(type_names); t++) {
		const char *const *names = bt_metrics_supported((enum benchtop_task_type)t, &k);
		if (bt_metrics_check((enum benchtop_task_type)t, name) == 0)
			return 0;
		for (i = 0; i < k && n < BT_ARRAY_SIZE(all); i++)
			all[n++] = names[i];
	}
	s = bt_suggest(name, all, n);
	if (s)
		return bt_error_set(BT_EINPUT, "unknown metric '%s' (did you mean '%s'?)", name, s);
	return bt_error_set(BT_EINPUT, "unknown metric '%s'", name);
}

/* Gates; `type` 0 for suite-wide ones (any task type's metric). */
static int parse_gates(struct loader *L, yaml_node_t *n, int type, struct bt_gate **out,
                       size_t *nout)
{
	yaml_node_item_t *it;
	size_t cap;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(L, n, "'gates' must be a list of gates, not %s", kind_name(n));
	cap = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	*out = bt_xcalloc(cap ? cap : 1, sizeof(**out));
	*nout = 0;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *g = node(L, *it), *v;
		struct bt_gate *gate = &(*out)[*nout];
		const char *s;

		gate->min_delta = NAN;
		gate->alpha = NAN;
		gate->pos = pos_of(g);
		(*nout)++;
		if (want_mapping(L, g, "a gate") ||
		    check_keys(L, g, "a gate", gate_keys, BT_ARRAY_SIZE(gate_keys), NULL, 0, NULL))
			return BT_EINPUT;
		v = get(L, g, "metric", NULL);
		if (!v)
			return fail_at(L, g, "a gate needs a 'metric'");
		if (get_name(L, v, "metric", &gate->metric))
			return BT_EINPUT;
		if ((type ? bt_metrics_check((enum benchtop_task_type)type, gate->metric)
		          : any_metric(gate->metric)) != 0) {
			struct bt_srcpos p = pos_of(v);
			return bt_error_prefix("%s:%d:%d: ", L->path, p.line, p.col);
		}
		if ((v = get(L, g, "direction", NULL))) {
			s = scalar(v);
			if (s && strcmp(s, "higher") == 0)
				gate->direction = 1;
			else if (s && strcmp(s, "lower") == 0)
				gate->direction = -1;
			else
				return fail_at(L, v, "'direction' must be 'higher' or 'lower'");
		}
		if ((v = get(L, g, "min_delta", NULL))) {
			s = scalar(v);
			if (s && *s && s[strlen(s) - 1] == '%') {
				char *num = bt_xstrndup(s, strlen(s) - 1);
				int bad = bt_parse_double(num, &gate->min_delta) ||
				          !isfinite(gate->min_delta);
				free(num);
				if (bad)
					return fail_at(
					        L, v,
					        "'min_delta' must be a number or a percentage, "
					        "not '%s'",
					        s);
				gate->min_delta /= 100;
				gate->min_delta_relative = 1;
			} else if (get_number(L, v, "min_delta", &gate->min_delta)) {
				return BT_EINPUT;
			}
			if (gate->min_delta < 0)
				return fail_at(L, v, "'min_delta' must not be negative");
		}
		if ((v = get(L, g, "alpha", NULL))) {
			if (get_number(L, v, "alpha", &gate->alpha))
				return BT_EINPUT;
			if (!(gate->alpha > 0 && gate->alpha < 1))
				return fail_at(L, v, "'alpha' must be between 0 and 1, not %s",
				               scalar(v));
		}
	}
	return 0;
}

static int is_hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return i == 64;
}

static int parse_format(struct loader *L, yaml_node_t *v, enum bt_data_format *out)
{
	const char *s = scalar(v);

	if (s && strcmp(s, "csv") == 0)
		*out = BT_DATA_CSV;
	else if (s && (strcmp(s, "jsonl") == 0 || strcmp(s, "ndjson") == 0))
		*out = BT_DATA_JSONL;
	else
		return fail_at(L, v, "'format' must be 'csv' or 'jsonl', not %s%s%s", s ? "'" : "",
		               s ? s : kind_name(v), s ? "'" : "");
	return 0;
}

/* A data reference: "path" or {path, url, sha256, format}. */
static int parse_ref(struct loader *L, yaml_node_t *n, const char *split, struct bt_data_ref *r)
{
	yaml_node_t *v, *pathnode = NULL;
	char *path = NULL;
	const char *name_for_format;
	struct stat st;

	r->pos = pos_of(n);
	if (n->type == YAML_SEQUENCE_NODE)
		return fail_at(L, n,
		               "'%s' must be a file name or a mapping with 'path' or 'url', "
		               "not a list",
		               split);
	if (n->type == YAML_SCALAR_NODE) {
		pathnode = n;
	} else {
		if (check_keys(L, n, "a data file", ref_keys, BT_ARRAY_SIZE(ref_keys), NULL, 0,
		               NULL))
			return BT_EINPUT;
		pathnode = get(L, n, "path", NULL);
		if ((v = get(L, n, "url", NULL))) {
			const char *u;
			if (get_name(L, v, "url", &r->url))
				return BT_EINPUT;
			u = r->url;
			if (!bt_starts_with(u, "http://") && !bt_starts_with(u, "https://") &&
			    !bt_starts_with(u, "file://"))
				return fail_at(L, v,
				               "url '%s' must start with http://, https:// or "
				               "file://",
				               u);
		}
		if ((v = get(L, n, "sha256", NULL))) {
			char *p;
			if (get_name(L, v, "sha256", &r->sha256))
				return BT_EINPUT;
			if (!is_hex64(r->sha256))
				return fail_at(L, v, "'sha256' must be 64 hexadecimal digits");
			for (p = r->sha256; *p; p++)
				if (*p >= 'A' && *p <= 'F')
					*p = (char)(*p - 'A' + 'a');
		}
		if ((v = get(L, n, "format", NULL)) && parse_format(L, v, &r->format))
			return BT_EINPUT;
		if (r->url && !r->sha256)
			return fail_at(L, n,
			               "remote data needs a sha256 (the url's file is checked "
			               "against it)");
		if (!pathnode && !r->url)
			return fail_at(L, n, "'%s' needs a 'path' or a 'url'", split);
	}
	if (pathnode && get_name(L, pathnode, "path", &path))
		return BT_EINPUT;
	name_for_format = path ? path : r->url;
	if (r->format == BT_DATA_AUTO) {
		/* a URL's query and fragment are not part of its name; a path has neither */
		const char *u = name_for_format, *q = path ? NULL : strpbrk(u, "?#");
		char *name = q ? bt_xstrndup(u, (size_t)(q - u)) : bt_xstrdup(u);
		r->format = bt_data_format_guess(name);
		free(name);
		if (r->format == BT_DATA_AUTO) {
			/* name_for_format may be `path`: report before freeing it */
			fail_at(L, pathnode ? pathnode : n,
			        "cannot tell the format of '%s' from its name (use .csv, "
			        ".jsonl or .ndjson, maybe with .gz, or give a 'format')",
			        name_for_format);
			free(path);
			return BT_EINPUT;
		}
	}
	if (path) {
		r->path = path[0] == '/' || strcmp(L->suite->dir, ".") == 0
		                  ? bt_xstrdup(path)
		                  : bt_path_join(L->suite->dir, path);
		int missing = stat(r->path, &st) != 0, err = missing ? errno : 0;
		/* a FIFO or a device (/dev/zero) would hang or never end: data is a file */
		if (!missing && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
			fail_at(L, pathnode, "data file '%s' is not a regular file", r->path);
			free(path);
			return BT_EINPUT;
		}
		if (missing || S_ISDIR(st.st_mode)) {
			if (r->url) {
				/* not fetched yet */
				free(r->path);
				r->path = NULL;
			} else {
				fail_at(L, pathnode, "data file '%s' %s", r->path,
				        !missing        ? "is a directory"
				        : err == ENOENT ? "does not exist"
				                        : strerror(err));
				free(path);
				return BT_EINPUT;
			}
		}
		free(path);
	}
	return 0;
}

static int parse_task(struct loader *L, yaml_node_t *t, const struct opts *suite_opts,
                      struct bt_task_spec *spec)
{
	static const char *const option_hint[] = {
	        "bootstrap", "seed", "limit",      "few_shot",          "normalize",       "k",
	        "prompt",    "stop", "max_tokens", "fewshot_delimiter", "target_delimiter"};
	yaml_node_t *v, *data, *k;
	struct opts o = *suite_opts;
	const char *s;
	size_t i, n;
	int type, task_few_shot = 0;

	spec->pos = pos_of(t);
	if (want_mapping(L, t, "a task") ||
	    check_keys(L, t, "a task", task_keys, BT_ARRAY_SIZE(task_keys), option_hint,
	               BT_ARRAY_SIZE(option_hint), "options"))
		return BT_EINPUT;
	v = get(L, t, "name", NULL);
	if (!v)
		return fail_at(L, t, "a task needs a 'name'");
	if (get_name(L, v, "name", &spec->name))
		return BT_EINPUT;
	spec->name_pos = pos_of(v);
	for (s = spec->name; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return fail_at(L, v,
			               "task name '%s' may only contain letters, digits, '_', '-' "
			               "and '.'",
			               spec->name);

	v = get(L, t, "type", NULL);
	if (!v)
		return fail_at(L, t, "task '%s' needs a 'type'", spec->name);
	s = scalar(v);
	if (!s)
		return fail_at(L, v, "'type' must be a task type, not %s", kind_name(v));
	type = bt_task_type_parse(s);
	if (type < 0) {
		const char *sug = bt_suggest(s, type_names + 1, BT_ARRAY_SIZE(type_names) - 1);
		if (sug)
			return fail_at(L, v, "unknown task type '%s' (did you mean '%s'?)", s, sug);
		return fail_at(L, v,
		               "unknown task type '%s' (expected classification, regression, "
		               "generation, multiple_choice or retrieval)",
		               s);
	}
	spec->type = (enum benchtop_task_type)type;

	if ((v = get(L, t, "description", NULL)) &&
	    get_string(L, v, "description", &spec->description))
		return BT_EINPUT;

	data = get(L, t, "data", &k);
	if (!data)
		return fail_at(L, t, "task '%s' needs 'data' (a test split at least)", spec->name);
	if (want_mapping(L, data, "'data'") ||
	    check_keys(L, data, "'data'", data_keys, BT_ARRAY_SIZE(data_keys), NULL, 0, NULL))
		return BT_EINPUT;
	v = get(L, data, "test", NULL);
	if (!v)
		return fail_at(L, data, "task '%s' needs a 'test' split in its 'data'", spec->name);
	if (parse_ref(L, v, "test", &spec->test))
		return BT_EINPUT;
	if ((v = get(L, data, "train", NULL)) && parse_ref(L, v, "train", &spec->train))
		return BT_EINPUT;

	if ((v = get(L, t, "inputs", NULL)) &&
	    get_names(L, v, "inputs", &spec->inputs, &spec->n_inputs, &spec->inputs_pos))
		return BT_EINPUT;
	v = get(L, t, "target", NULL);
	if (!v)
		return fail_at(L, t, "task '%s' needs a 'target' field", spec->name);
	if (get_name(L, v, "target", &spec->target))
		return BT_EINPUT;
	spec->target_pos = pos_of(v);
	for (i = 0; i < spec->n_inputs; i++)
		if (strcmp(spec->inputs[i], spec->target) == 0) {
			v = NULL;
			return bt_error_set(BT_EINPUT,
			                    "%s:%d:%d: the target '%s' cannot also be an input",
			                    L->path, spec->inputs_pos[i].line,
			                    spec->inputs_pos[i].col, spec->target);
		}
	if ((v = get(L, t, "id", NULL))) {
		if (get_name(L, v, "id", &spec->id_field))
			return BT_EINPUT;
		spec->id_pos = pos_of(v);
		if (strcmp(spec->id_field, spec->target) == 0)
			return fail_at(L, v, "the id field cannot also be the target");
	}
	if ((v = get(L, t, "choices", &k))) {
		if (spec->type != BENCHTOP_TASK_MULTIPLE_CHOICE)
			return fail_at(L, k, "'choices' applies only to multiple_choice tasks");
		if (get_name(L, v, "choices", &spec->choices))
			return BT_EINPUT;
		spec->choices_pos = pos_of(v);
	} else if (spec->type == BENCHTOP_TASK_MULTIPLE_CHOICE) {
		spec->choices = bt_xstrdup("choices");
		spec->choices_pos = spec->pos;
	}
	if (spec->choices)
		for (i = 0; i < spec->n_inputs; i++)
			if (strcmp(spec->inputs[i], spec->choices) == 0)
				return bt_error_set(BT_EINPUT,
				                    "%s:%d:%d: the choices field '%s' is given to "
				                    "models as the "
				                    "example's choices; do not list it as an input",
				                    L->path, spec->inputs_pos[i].line,
				                    spec->inputs_pos[i].col, spec->choices);
	if ((v = get(L, t, "labels", &k))) {
		if (spec->type != BENCHTOP_TASK_CLASSIFICATION)
			return fail_at(L, k, "'labels' applies only to classification tasks");
		if (v->type == YAML_SCALAR_NODE)
			return fail_at(L, v, "'labels' must be a list of labels, not a scalar");
		if (get_names(L, v, "labels", &spec->labels, &spec->n_labels, NULL))
			return BT_EINPUT;
		spec->labels_pos = pos_of(v);
	}

	if ((v = get(L, t, "metrics", NULL))) {
		struct bt_srcpos *mpos = NULL;
		if (get_names(L, v, "metrics", &spec->metrics, &spec->n_metrics, &mpos)) {
			free(mpos);
			return BT_EINPUT;
		}
		for (i = 0; i < spec->n_metrics; i++)
			if (bt_metrics_check(spec->type, spec->metrics[i]) != 0) {
				int rc = bt_error_prefix("%s:%d:%d: ", L->path, mpos[i].line,
				                         mpos[i].col);
				free(mpos);
				return rc;
			}
		free(mpos);
	}

	if ((v = get(L, t, "options", NULL))) {
		yaml_node_t *kk;
		if (parse_options(L, v, &o))
			return BT_EINPUT;
		if (get(L, v, "normalize", &kk) && spec->type != BENCHTOP_TASK_GENERATION)
			return fail_at(L, kk, "'normalize' applies only to generation tasks");
		if (get(L, v, "k", &kk) && spec->type != BENCHTOP_TASK_RETRIEVAL)
			return fail_at(L, kk, "'k' applies only to retrieval tasks");
		task_few_shot = get(L, v, "few_shot", NULL) != NULL;
		if (get(L, v, "few_shot", &kk) && (spec->type == BENCHTOP_TASK_RETRIEVAL ||
		                                   spec->type == BENCHTOP_TASK_REGRESSION))
			return fail_at(L, kk, "'few_shot' does not apply to %s tasks",
			               bt_task_type_name(spec->type));
	}
	spec->bootstrap = o.has_bootstrap ? o.bootstrap : 1000;
	spec->seed = o.seed;
	spec->has_seed = o.has_seed;
	spec->limit = o.limit;
	spec->few_shot =
	        spec->type == BENCHTOP_TASK_RETRIEVAL || spec->type == BENCHTOP_TASK_REGRESSION
	                ? 0
	                : o.few_shot;
	spec->few_shot_pos = o.few_shot_pos;
	spec->normalize = o.has_normalize ? o.normalize : 1;
	spec->k = o.has_k ? o.k : 10;
	if (o.prompt) {
		spec->prompt = bt_xstrdup(scalar(o.prompt));
		spec->prompt_pos = pos_of(o.prompt);
	}
	spec->fewshot_delimiter = bt_xstrdup(o.fewshot_delimiter ? scalar(o.fewshot_delimiter)
	                                                         : BT_PROMPT_FEWSHOT_DELIMITER);
	spec->target_delimiter = bt_xstrdup(o.target_delimiter ? scalar(o.target_delimiter)
	                                                       : BT_PROMPT_TARGET_DELIMITER);
	if (o.stop && o.stop->type == YAML_SCALAR_NODE) {
		spec->stop = bt_xcalloc(1, sizeof(*spec->stop));
		spec->stop[spec->n_stop++] = bt_xstrdup(scalar(o.stop));
	} else if (o.stop) {
		yaml_node_item_t *it;
		spec->stop = bt_xcalloc((size_t)(o.stop->data.sequence.items.top -
		                                 o.stop->data.sequence.items.start) +
		                                1,
		                        sizeof(*spec->stop));
		for (it = o.stop->data.sequence.items.start; it < o.stop->data.sequence.items.top;
		     it++)
			spec->stop[spec->n_stop++] = bt_xstrdup(scalar(node(L, *it)));
	}
	spec->max_tokens = o.max_tokens;
	/* the suite's few_shot is for the tasks that have examples to show */
	if (spec->few_shot && !spec->train.path && !spec->train.url && !task_few_shot)
		spec->few_shot = 0;
	if (spec->few_shot && !spec->train.path && !spec->train.url)
		return bt_error_set(
		        BT_EINPUT, "%s:%d:%d: few_shot %zu needs a train split to draw from",
		        L->path, o.few_shot_pos.line, o.few_shot_pos.col, spec->few_shot);
	if (spec->type == BENCHTOP_TASK_RETRIEVAL && !spec->train.path && !spec->train.url)
		return fail_at(L, data,
		               "retrieval task '%s' needs a 'train' split: its records "
		               "are the documents",
		               spec->name);

	if (!spec->n_metrics) {
		const char *const *d = bt_task_default_metrics(spec->type, &n);
		spec->metrics = bt_xcalloc(n, sizeof(*spec->metrics));
		for (i = 0; i < n; i++) {
			const char *at = strchr(d[i], '@');
			spec->metrics[i] =
			        at ? bt_xasprintf("%.*s@%d", (int)(at - d[i]), d[i], spec->k)
			           : bt_xstrdup(d[i]);
		}
		spec->n_metrics = n;
	}

	if ((v = get(L, t, "gates", NULL)) && parse_gates(L, v, type, &spec->gates, &spec->n_gates))
		return BT_EINPUT;
	return 0;
}

static int parse_suite(struct loader *L, yaml_node_t *root)
{
	struct bt_suite *s = L->suite;
	struct opts o;
	yaml_node_t *v, *tasks;
	yaml_node_item_t *it;
	struct nameset names = {0};
	size_t n;
	int rc = 0;

	memset(&o, 0, sizeof(o));
	if (root->type != YAML_MAPPING_NODE)
		return fail_at(L, root, "a suite must be a mapping with 'name' and 'tasks', not %s",
		               kind_name(root));
	if (check_keys(L, root, "a suite", suite_keys, BT_ARRAY_SIZE(suite_keys), NULL, 0, NULL))
		return BT_EINPUT;
	v = get(L, root, "name", NULL);
	if (!v)
		return fail_at(L, root, "a suite needs a 'name'");
	if (get_name(L, v, "name", &s->name))
		return BT_EINPUT;
	if ((v = get(L, root, "version", NULL)) && get_string(L, v, "version", &s->version))
		return BT_EINPUT;
	if ((v = get(L, root, "description", NULL)) &&
	    get_string(L, v, "description", &s->description))
		return BT_EINPUT;
	if ((v = get(L, root, "options", NULL)) && parse_options(L, v, &o))
		return BT_EINPUT;
	if ((v = get(L, root, "gates", NULL)) && parse_gates(L, v, 0, &s->gates, &s->n_gates))
		return BT_EINPUT;
	tasks = get(L, root, "tasks", NULL);
	if (!tasks)
		return fail_at(L, root, "a suite needs 'tasks' (a list)");
	if (tasks->type != YAML_SEQUENCE_NODE)
		return fail_at(L, tasks, "'tasks' must be a list of tasks, not %s",
		               kind_name(tasks));
	n = (size_t)(tasks->data.sequence.items.top - tasks->data.sequence.items.start);
	if (n == 0)
		return fail_at(L, tasks, "'tasks' is empty: a suite needs at least one task");
	s->tasks = bt_xcalloc(n, sizeof(*s->tasks));
	for (it = tasks->data.sequence.items.start; it < tasks->data.sequence.items.top; it++) {
		struct bt_task_spec *spec = &s->tasks[s->ntasks++];
		long first;
		if (parse_task(L, node(L, *it), &o, spec)) {
			rc = BT_EINPUT;
			break;
		}
		if ((first = nameset_add(&names, spec->name)) >= 0) {
			rc = bt_error_set(BT_EINPUT,
			                  "%s:%d:%d: duplicate task name '%s' (first at line %d)",
			                  L->path, spec->name_pos.line, spec->name_pos.col,
			                  spec->name, s->tasks[first].name_pos.line);
			break;
		}
	}
	nameset_free(&names);
	return rc;
}

/*
 * Suites are small text files.  A FIFO with no writer must not block the
 * open (O_NONBLOCK, cleared once open so that a pipe with a writer, as in
 * `suite check <(generate)`, is read as usual: without one it reads as
 * empty), and a device such as /dev/zero must not be read without end.
 */
#define MAX_SUITE_BYTES (16u << 20)

static int read_suite(const char *path, char **out, size_t *len)
{
	struct bt_buf b = BT_BUF_INIT;
	char chunk[1 << 16];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), flags, rc = 0;

	*out = NULL;
	*len = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return bt_error_set(BT_ENOTFOUND, "suite file '%s' does not exist", path);
		return bt_error_set(BT_EIO, "cannot open '%s': %s", path, strerror(errno));
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return bt_error_set(BT_EINPUT, "suite file '%s' is a directory", path);
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = bt_error_set(BT_EIO, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		if (b.len + (size_t)n > MAX_SUITE_BYTES) {
			rc = bt_error_set(BT_EINPUT, "suite file '%s' is larger than %u MiB", path,
			                  MAX_SUITE_BYTES >> 20);
			break;
		}
		bt_buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (rc) {
		bt_buf_free(&b);
		return rc;
	}
	*len = b.len;
	*out = bt_buf_detach(&b);
	return 0;
}

int bt_suite_load(struct bt_suite **out, const char *path)
{
	char *text = NULL;
	size_t len;
	int rc;

	*out = NULL;
	rc = read_suite(path, &text, &len);
	if (rc)
		return rc;
	rc = bt_suite_load_mem(out, path, text, len);
	free(text);
	return rc;
}

/*
 * Suites nest a few levels; libyaml's scanner checks every open flow level
 * for each token, so "[[[[..." 100,000 deep took minutes to load.  One
 * cheap pass over the events stops at MAX_DEPTH, before yaml_parser_load()
 * builds anything.  Syntax errors are left to the load, which reports them.
 */
#define MAX_DEPTH 64

static int check_depth(const char *path, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, rc = 0, done = 0;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && yaml_parser_parse(&p, &ev)) {
		done = ev.type == YAML_STREAM_END_EVENT;
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > MAX_DEPTH) {
				rc = bt_error_set(
				        BT_EINPUT,
				        "%s:%d:%d: lists and mappings nest more than %d deep", path,
				        (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
				        MAX_DEPTH);
				done = 1;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT ||
		           ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

/*
 * A suite holds plain values, lists and mappings.  Other YAML tags
 * (!!python/object:..., !ruby/object, local !tags) ask a loader to build
 * objects or run code: benchtop never does, and says so rather than
 * reading such a node as the text it happens to hold.
 */
static int check_tags(struct loader *L)
{
	static const char *const core[] = {"str", "int", "float", "bool", "null", "seq", "map"};
	static const char yaml_prefix[] = "tag:yaml.org,2002:";
	yaml_node_t *n;
	size_t i;

	for (n = L->doc.nodes.start; n < L->doc.nodes.top; n++) {
		const char *tag = (const char *)n->tag;
		int known = 0;
		if (!tag)
			continue;
		if (bt_starts_with(tag, yaml_prefix))
			for (i = 0; i < BT_ARRAY_SIZE(core); i++)
				if (strcmp(tag + sizeof(yaml_prefix) - 1, core[i]) == 0)
					known = 1;
		if (!known)
			return fail_at(L, n,
			               "YAML tag '%s%s' is not allowed (a suite holds only plain "
			               "values, lists and mappings)",
			               bt_starts_with(tag, yaml_prefix) ? "!!" : "",
			               bt_starts_with(tag, yaml_prefix)
			                       ? tag + sizeof(yaml_prefix) - 1
			                       : tag);
	}
	return 0;
}

int bt_suite_load_mem(struct bt_suite **out, const char *path, const char *text, size_t len)
{
	struct loader L;
	yaml_parser_t parser;
	yaml_node_t *root;
	int rc;

	*out = NULL;
	memset(&L, 0, sizeof(L));
	L.path = path;
	L.suite = bt_xcalloc(1, sizeof(*L.suite));
	L.suite->path = bt_xstrdup(path);
	L.suite->dir = bt_dirname(path);

	rc = check_depth(path, text, len);
	if (rc) {
		bt_suite_free(L.suite);
		return rc;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &L.doc)) {
		struct bt_buf b = BT_BUF_INIT;
		bt_buf_printf(&b, "%s", parser.problem ? parser.problem : "cannot parse YAML");
		if (parser.context)
			bt_buf_printf(&b, " (%s at line %d, column %d)", parser.context,
			              (int)parser.context_mark.line + 1,
			              (int)parser.context_mark.column + 1);
		rc = bt_error_set(BT_EINPUT, "%s:%d:%d: YAML syntax error: %s", path,
		                  (int)parser.problem_mark.line + 1,
		                  (int)parser.problem_mark.column + 1, b.ptr);
		bt_buf_free(&b);
		yaml_parser_delete(&parser);
		bt_suite_free(L.suite);
		return rc;
	}
	yaml_parser_delete(&parser);
	root = yaml_document_get_root_node(&L.doc);
	if (!root)
		rc = bt_error_set(BT_EINPUT, "%s:1:1: the suite file is empty", path);
	else if ((rc = check_tags(&L)) == 0)
		rc = parse_suite(&L, root);
	yaml_document_delete(&L.doc);
	if (rc) {
		bt_suite_free(L.suite);
		return rc;
	}
	*out = L.suite;
	return 0;
}

static void ref_free(struct bt_data_ref *r)
{
	free(r->path);
	free(r->url);
	free(r->sha256);
}

static void strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void gates_free(struct bt_gate *g, size_t n)
{
	size_t i;

	for (i = 0; g && i < n; i++)
		free(g[i].metric);
	free(g);
}

void bt_suite_free(struct bt_suite *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->ntasks; i++) {
		struct bt_task_spec *t = &s->tasks[i];
		free(t->name);
		free(t->description);
		ref_free(&t->test);
		ref_free(&t->train);
		strv_free(t->inputs, t->n_inputs);
		free(t->inputs_pos);
		free(t->target);
		free(t->id_field);
		free(t->choices);
		strv_free(t->labels, t->n_labels);
		strv_free(t->metrics, t->n_metrics);
		gates_free(t->gates, t->n_gates);
		free(t->prompt);
		free(t->fewshot_delimiter);
		free(t->target_delimiter);
		strv_free(t->stop, t->n_stop);
	}
	free(s->tasks);
	gates_free(s->gates, s->n_gates);
	free(s->path);
	free(s->dir);
	free(s->name);
	free(s->version);
	free(s->description);
	free(s);
}

int bt_suite_task(const struct bt_suite *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ntasks; i++)
		if (strcmp(s->tasks[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The sha256 of one data file for the suite hash (see suite.h). */
static int ref_sha(const struct bt_suite *s, const struct bt_data_ref *r, char out[65])
{
	int rc;

	if (!r->path) {
		memcpy(out, r->sha256, 65);
		return 0;
	}
	rc = bt_sha256_file(out, r->path);
	if (rc)
		return rc;
	if (r->sha256 && strcmp(out, r->sha256) != 0)
		return bt_error_set(BT_EINPUT,
		                    "%s:%d:%d: data '%s' has sha256 %s, but the suite expects %s",
		                    s->path, r->pos.line, r->pos.col, r->path, out, r->sha256);
	return 0;
}

int bt_suite_hash(const struct bt_suite *s, char out[65])
{
	struct bt_buf b = BT_BUF_INIT;
	char h[65];
	size_t i;
	int rc;

	rc = bt_sha256_file(h, s->path);
	if (rc)
		goto out;
	bt_buf_printf(&b, "%s\n", h);
	for (i = 0; i < s->ntasks; i++) {
		const struct bt_task_spec *t = &s->tasks[i];
		rc = ref_sha(s, &t->test, h);
		if (rc)
			goto out;
		bt_buf_printf(&b, "%s\n", h);
		if (t->train.path || t->train.url) {
			rc = ref_sha(s, &t->train, h);
			if (rc)
				goto out;
			bt_buf_printf(&b, "%s\n", h);
		}
	}
	bt_sha256_hex(out, b.ptr, b.len);
out:
	bt_buf_free(&b);
	return rc;
}
