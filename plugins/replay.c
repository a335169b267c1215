/*
 * replay.c - replays predictions made elsewhere, so that benchtop's
 * metrics, intervals and comparisons apply to any model.
 *
 *     benchtop run SUITE -m replay -p predictions=FILE
 *
 * FILE is JSON Lines, one object per example, keyed by the example's id
 * (a string, or an integer for row-number ids), with what the task type
 * needs:
 *
 *   {"id": "a1", "label": "cat"}                     classification
 *   {"id": "a1", "label": "cat", "scores": {"cat": 0.9, "dog": 0.1}}
 *   {"id": "a1", "value": 1.5}                       regression
 *   {"id": "a1", "text": "Paris"}                    generation
 *   {"id": "a1", "choice": 2}                        multiple_choice (from 0)
 *   {"id": "a1", "ranking": ["d3", "d1"]}            retrieval
 *
 * One line may carry several of these; other keys are ignored.  Labels
 * missing from "scores" score 0.  The whole file is read and checked in
 * create: a line that is not a JSON object, lacks an id, repeats one, or
 * has a value of the wrong type fails create with FILE:LINE.  Examples
 * with no line, or whose line lacks what the task needs or names a label
 * outside the task's, are per-example errors.
 *
 * Params:
 *   predictions=FILE   (required)
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchtop/plugin.h"
#include "scratch.h"

/* One line of the file. */
struct rec {
	char *id;
	uint32_t line;
	char *label;       /* NULL: none */
	int64_t label_idx; /* index into the task's labels, -1 when not one */
	double *scores;    /* n_labels, or NULL */
	char *bad_class;   /* a "scores" key that is not a label */
	int has_value;
	double value;
	char *text;
	int has_choice;
	int64_t choice;
	char **ranking;
	size_t n_ranking;
	int has_ranking;
};

struct replay {
	const struct benchtop_task_info *task;
	char error[1024];
	char *file;
	struct rec *recs;
	size_t n, cap;
	size_t *slots; /* hash index: rec + 1, 0 for empty */
	size_t nslots;
	struct scratch scratch; /* per-thread result buffers (scratch.h) */
};

static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return (size_t)h;
}

static const struct rec *find(const struct replay *m, const char *id)
{
	size_t mask = m->nslots - 1;

	if (!m->nslots || !id)
		return NULL;
	for (size_t i = hash(id) & mask; m->slots[i]; i = (i + 1) & mask)
		if (strcmp(m->recs[m->slots[i] - 1].id, id) == 0)
			return &m->recs[m->slots[i] - 1];
	return NULL;
}

static int index_all(struct replay *m)
{
	size_t n = 16;

	while (n < m->n * 2)
		n *= 2;
	m->slots = calloc(n, sizeof(*m->slots));
	if (!m->slots)
		return -1;
	m->nslots = n;
	for (size_t r = 0; r < m->n; r++) {
		size_t i = hash(m->recs[r].id) & (n - 1);
		for (; m->slots[i]; i = (i + 1) & (n - 1))
			if (strcmp(m->recs[m->slots[i] - 1].id, m->recs[r].id) == 0) {
				snprintf(m->error, sizeof(m->error),
				         "%s:%u: duplicate id '%s' (first on line %u)", m->file,
				         m->recs[r].line, m->recs[r].id,
				         m->recs[m->slots[i] - 1].line);
				return -1;
			}
		m->slots[i] = r + 1;
	}
	return 0;
}

/* A string, or an integer written in decimal (ids and labels may be row numbers). */
static char *string_of(const json_t *v)
{
	char num[32];

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		return strdup(num);
	}
	return NULL;
}

static int bad(struct replay *m, uint32_t line, const char *what)
{
	snprintf(m->error, sizeof(m->error), "%s:%u: %s", m->file, line, what);
	return -1;
}

static int parse_line(struct replay *m, struct rec *r, const char *text, uint32_t line)
{
	const struct benchtop_task_info *t = m->task;
	json_error_t jerr;
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr), *v;
	const char *key;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->line = line;
	r->label_idx = -1;
	if (!o) {
		snprintf(m->error, sizeof(m->error), "%s:%u:%d: %s", m->file, line, jerr.column,
		         jerr.text);
		return -1;
	}
	if (!json_is_object(o)) {
		bad(m, line, "not a JSON object");
		goto out;
	}
	if (!(r->id = string_of(json_object_get(o, "id")))) {
		bad(m, line, "no \"id\" (a string or an integer)");
		goto out;
	}
	if ((v = json_object_get(o, "label")) != NULL) {
		if (!(r->label = string_of(v))) {
			bad(m, line, "\"label\" is not a string");
			goto out;
		}
		for (size_t i = 0; i < t->n_labels; i++)
			if (strcmp(t->labels[i], r->label) == 0)
				r->label_idx = (int64_t)i;
	}
	if ((v = json_object_get(o, "scores")) != NULL) {
		json_t *s;
		if (!json_is_object(v)) {
			bad(m, line, "\"scores\" is not an object of label: number");
			goto out;
		}
		r->scores = calloc(t->n_labels + 1, sizeof(*r->scores));
		if (!r->scores) {
			bad(m, line, "out of memory");
			goto out;
		}
		json_object_foreach(v, key, s)
		{
			size_t i;
			if (!json_is_number(s) || !isfinite(json_number_value(s))) {
				snprintf(m->error, sizeof(m->error),
				         "%s:%u: the score for '%s' is not a number", m->file, line,
				         key);
				goto out;
			}
			for (i = 0; i < t->n_labels; i++)
				if (strcmp(t->labels[i], key) == 0)
					break;
			if (i < t->n_labels)
				r->scores[i] = json_number_value(s);
			else if (!r->bad_class && !(r->bad_class = strdup(key))) {
				bad(m, line, "out of memory");
				goto out;
			}
		}
	}
	if ((v = json_object_get(o, "value")) != NULL) {
		if (!json_is_number(v)) {
			bad(m, line, "\"value\" is not a number");
			goto out;
		}
		r->has_value = 1;
		r->value = json_number_value(v);
	}
	if ((v = json_object_get(o, "text")) != NULL) {
		if (!json_is_string(v)) {
			bad(m, line, "\"text\" is not a string");
			goto out;
		}
		if (!(r->text = strdup(json_string_value(v)))) {
			bad(m, line, "out of memory");
			goto out;
		}
	}
	if ((v = json_object_get(o, "choice")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			bad(m, line, "\"choice\" is not an index (an integer from 0)");
			goto out;
		}
		r->has_choice = 1;
		r->choice = json_integer_value(v);
	}
	if ((v = json_object_get(o, "ranking")) != NULL) {
		size_t i;
		json_t *e;
		if (!json_is_array(v)) {
			bad(m, line, "\"ranking\" is not an array of ids");
			goto out;
		}
		r->has_ranking = 1;
		r->ranking = calloc(json_array_size(v) + 1, sizeof(*r->ranking));
		if (!r->ranking) {
			bad(m, line, "out of memory");
			goto out;
		}
		json_array_foreach(v, i, e)
		{
			if (!(r->ranking[i] = string_of(e))) {
				bad(m, line, "\"ranking\" holds something that is not an id");
				goto out;
			}
			r->n_ranking = i + 1;
		}
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

static void rec_free(struct rec *r)
{
	free(r->id);
	free(r->label);
	free(r->scores);
	free(r->bad_class);
	free(r->text);
	for (size_t i = 0; i < r->n_ranking; i++)
		free(r->ranking[i]);
	free(r->ranking);
}

static int load(struct replay *m)
{
	FILE *f = fopen(m->file, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint32_t lineno = 0;
	int rc = 0;

	if (!f) {
		snprintf(m->error, sizeof(m->error), "cannot open '%s': %s", m->file,
		         strerror(errno));
		return -1;
	}
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		size_t k = 0;
		lineno++;
		while (k < (size_t)len &&
		       (line[k] == ' ' || line[k] == '\t' || line[k] == '\r' || line[k] == '\n'))
			k++;
		if (k == (size_t)len)
			continue; /* blank lines are allowed, as in most JSONL writers */
		if (m->n == m->cap) {
			size_t nc = m->cap ? m->cap * 2 : 1024;
			struct rec *nr = realloc(m->recs, nc * sizeof(*nr));
			if (!nr) {
				rc = bad(m, lineno, "out of memory");
				break;
			}
			m->recs = nr;
			m->cap = nc;
		}
		rc = parse_line(m, &m->recs[m->n], line, lineno);
		if (rc)
			rec_free(&m->recs[m->n]);
		else
			m->n++;
	}
	if (rc == 0 && ferror(f)) {
		snprintf(m->error, sizeof(m->error), "cannot read '%s': %s", m->file,
		         strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc ? rc : index_all(m);
}

static int create(void **out, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	struct replay *m = calloc(1, sizeof(*m));
	const char *file;

	*out = m;
	if (!m)
		return -1;
	m->task = task;
	if (scratch_init(&m->scratch) != 0) {
		*out = NULL;
		free(m);
		return -1;
	}
	if (host->param_string(host, "predictions", NULL, &file))
		return -1;
	if (!file || !*file) {
		snprintf(m->error, sizeof(m->error),
		         "param 'predictions' is required: -p predictions=FILE, a JSONL file of "
		         "predictions to replay");
		return -1;
	}
	m->file = strdup(file);
	if (!m->file)
		return -1;
	return load(m);
}

enum problem { OK, MISSING, NO_FIELD, BAD_LABEL, BAD_CLASS, BAD_CHOICE };

/* What is wrong with replaying `r` for `e`, if anything. */
static enum problem check(const struct replay *m, const struct rec *r,
                          const struct benchtop_example *e)
{
	if (!r)
		return MISSING;
	switch (m->task->type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		if (!r->label)
			return NO_FIELD;
		if (r->label_idx < 0)
			return BAD_LABEL;
		return r->bad_class ? BAD_CLASS : OK;
	case BENCHTOP_TASK_REGRESSION:
		return r->has_value ? OK : NO_FIELD;
	case BENCHTOP_TASK_GENERATION:
		return r->text ? OK : NO_FIELD;
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		if (!r->has_choice)
			return NO_FIELD;
		return (size_t)r->choice < e->n_choices ? OK : BAD_CHOICE;
	case BENCHTOP_TASK_RETRIEVAL:
		return r->has_ranking ? OK : NO_FIELD;
	}
	return NO_FIELD;
}

static int message(char *buf, size_t size, const struct replay *m, const struct rec *r,
                   const struct benchtop_example *e, enum problem p)
{
	static const char *const field[] = {"", "label", "value", "text", "choice", "ranking"};
	const char *id = e->id ? e->id : "";

	switch (p) {
	case MISSING:
		return snprintf(buf, size, "no prediction for id '%s' in %s", id, m->file);
	case NO_FIELD:
		return snprintf(buf, size, "the prediction for id '%s' (%s:%u) has no \"%s\"", id,
		                m->file, r->line, field[m->task->type]);
	case BAD_LABEL:
		return snprintf(buf, size,
		                "label '%s' for id '%s' (%s:%u) is not one of the task's labels",
		                r->label, id, m->file, r->line);
	case BAD_CLASS:
		return snprintf(buf, size,
		                "scores for id '%s' (%s:%u) name '%s', which is not one of the "
		                "task's labels",
		                id, m->file, r->line, r->bad_class);
	case BAD_CHOICE:
		return snprintf(buf, size,
		                "choice %lld for id '%s' (%s:%u) is out of range: the example has "
		                "%zu choices",
		                (long long)r->choice, id, m->file, r->line, e->n_choices);
	case OK:
		break;
	}
	return 0;
}

static int predict(void *inst, const struct benchtop_example *ex, size_t n,
                   struct benchtop_prediction *out)
{
	struct replay *m = inst;
	size_t need = 1, used = 0;
	char *msgs;

	/* Messages first (sized, then written), so that they all live in one buffer. */
	for (size_t i = 0; i < n; i++) {
		const struct rec *r = find(m, ex[i].id);
		enum problem p = check(m, r, &ex[i]);
		if (p != OK)
			need += (size_t)message(NULL, 0, m, r, &ex[i], p) + 1;
	}
	msgs = need > 1 ? scratch_get(&m->scratch, need) : NULL;
	if (need > 1 && !msgs) {
		snprintf(m->error, sizeof(m->error), "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct rec *r = find(m, ex[i].id);
		enum problem p = check(m, r, &ex[i]);
		if (p != OK) {
			out[i].error = msgs + used;
			used += (size_t)message(msgs + used, need - used, m, r, &ex[i], p) + 1;
			continue;
		}
		switch (m->task->type) {
		case BENCHTOP_TASK_CLASSIFICATION:
			out[i].label = m->task->labels[r->label_idx];
			if (r->scores) {
				out[i].scores = r->scores;
				out[i].n_scores = m->task->n_labels;
			}
			break;
		case BENCHTOP_TASK_REGRESSION:
			out[i].value = r->value;
			break;
		case BENCHTOP_TASK_GENERATION:
			out[i].text = r->text;
			break;
		case BENCHTOP_TASK_MULTIPLE_CHOICE:
			out[i].choice = r->choice;
			break;
		case BENCHTOP_TASK_RETRIEVAL:
			out[i].ranking = (const char *const *)r->ranking;
			out[i].n_ranking = r->n_ranking;
			break;
		}
	}
	return 0;
}

static void destroy(void *inst)
{
	struct replay *m = inst;

	scratch_destroy(&m->scratch);
	for (size_t i = 0; i < m->n; i++)
		rec_free(&m->recs[i]);
	free(m->recs);
	free(m->slots);
	free(m->file);
	free(m);
}

static const char *last_error(void *inst)
{
	const struct replay *m = inst;

	return m && m->error[0] ? m->error : NULL;
}

static const struct benchtop_plugin descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = BENCHTOP_PLUGIN_ABI_MINOR,
        .size = sizeof(struct benchtop_plugin),
        .name = "replay",
        .version = "1.0.0",
        .description = "Replays predictions from a JSONL file (-p predictions=FILE)",
        .flags = BENCHTOP_PLUGIN_THREAD_SAFE | BENCHTOP_PLUGIN_BATCH,
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_REGRESSION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_GENERATION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_MULTIPLE_CHOICE) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_RETRIEVAL),
        .preferred_batch = 4096,
        .create = create,
        .fit = NULL,
        .predict = predict,
        .destroy = destroy,
        .last_error = last_error,
};

const struct benchtop_plugin *benchtop_plugin_entry(void)
{
	return &descriptor;
}
