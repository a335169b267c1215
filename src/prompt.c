/*
 * prompt.c - prompt templates and their rendering (see prompt.h).
 *
 * Rendering runs once per example in whichever thread (or worker process)
 * the plugin asks from, so it allocates nothing but the output's growth,
 * and formats numbers in the C locale whatever LC_NUMERIC says.
 */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "prompt.h"

/* --- templates --------------------------------------------------------------------------- */

static void add_part(struct bt_prompt *p, size_t *cap, int field, const char *text, size_t len)
{
	struct bt_prompt_part *part;

	/* Adjacent literal pieces ("a{{b" is "a", "{", "b") become one. */
	if (!field && p->n && !p->parts[p->n - 1].field) {
		part = &p->parts[p->n - 1];
		part->text = bt_xrealloc(part->text, part->len + len + 1);
		memcpy(part->text + part->len, text, len);
		part->len += len;
		part->text[part->len] = '\0';
		return;
	}
	bt_grow(&p->parts, cap, p->n + 1, sizeof(*p->parts));
	part = &p->parts[p->n++];
	part->field = field;
	part->text = bt_xstrndup(text, len);
	part->len = len;
}

static void init_delimiters(struct bt_prompt *p)
{
	p->fewshot_delimiter = bt_xstrdup(BT_PROMPT_FEWSHOT_DELIMITER);
	p->target_delimiter = bt_xstrdup(BT_PROMPT_TARGET_DELIMITER);
}

int bt_prompt_parse(struct bt_prompt *out, const char *tmpl, size_t *err_offset)
{
	size_t cap = 0, i = 0, lit = 0, at = 0;
	const char *why = NULL;

	memset(out, 0, sizeof(*out));
	while (tmpl[i]) {
		if (tmpl[i] == '{' && tmpl[i + 1] == '{') {
			add_part(out, &cap, 0, tmpl + lit, i - lit);
			add_part(out, &cap, 0, "{", 1);
			i += 2;
			lit = i;
		} else if (tmpl[i] == '}' && tmpl[i + 1] == '}') {
			add_part(out, &cap, 0, tmpl + lit, i - lit);
			add_part(out, &cap, 0, "}", 1);
			i += 2;
			lit = i;
		} else if (tmpl[i] == '}') {
			at = i;
			why = "'}' closes no placeholder (write '}}' for a literal brace)";
			break;
		} else if (tmpl[i] == '{') {
			size_t j = i + 1;
			while (tmpl[j] && tmpl[j] != '}' && tmpl[j] != '{')
				j++;
			if (tmpl[j] != '}') {
				at = i;
				why = "'{' is not closed by '}' (write '{{' for a literal brace)";
				break;
			}
			if (j == i + 1) {
				at = i;
				why = "'{}' names no field (write '{{}}' for literal braces)";
				break;
			}
			add_part(out, &cap, 0, tmpl + lit, i - lit);
			add_part(out, &cap, 1, tmpl + i + 1, j - i - 1);
			i = j + 1;
			lit = i;
		} else {
			i++;
		}
	}
	if (why) {
		bt_prompt_release(out);
		if (err_offset)
			*err_offset = at;
		return bt_error_set(BT_EINPUT, "%s", why);
	}
	if (i > lit)
		add_part(out, &cap, 0, tmpl + lit, i - lit);
	init_delimiters(out);
	return 0;
}

void bt_prompt_default(struct bt_prompt *out, const char *const *fields, size_t n)
{
	size_t cap = 0, i;

	memset(out, 0, sizeof(*out));
	if (n == 1) {
		add_part(out, &cap, 1, fields[0], strlen(fields[0]));
	} else {
		for (i = 0; i < n; i++) {
			if (i)
				add_part(out, &cap, 0, "\n", 1);
			add_part(out, &cap, 0, fields[i], strlen(fields[i]));
			add_part(out, &cap, 0, ": ", 2);
			add_part(out, &cap, 1, fields[i], strlen(fields[i]));
		}
	}
	init_delimiters(out);
}

void bt_prompt_set_delimiters(struct bt_prompt *p, const char *fewshot, const char *target)
{
	if (fewshot) {
		free(p->fewshot_delimiter);
		p->fewshot_delimiter = bt_xstrdup(fewshot);
	}
	if (target) {
		free(p->target_delimiter);
		p->target_delimiter = bt_xstrdup(target);
	}
}

void bt_prompt_copy(struct bt_prompt *dst, const struct bt_prompt *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->parts = bt_xcalloc(src->n ? src->n : 1, sizeof(*dst->parts));
	for (i = 0; i < src->n; i++) {
		dst->parts[i].field = src->parts[i].field;
		dst->parts[i].text = bt_xstrndup(src->parts[i].text, src->parts[i].len);
		dst->parts[i].len = src->parts[i].len;
	}
	dst->n = src->n;
	dst->fewshot_delimiter = bt_xstrdup(src->fewshot_delimiter ? src->fewshot_delimiter
	                                                           : BT_PROMPT_FEWSHOT_DELIMITER);
	dst->target_delimiter = bt_xstrdup(src->target_delimiter ? src->target_delimiter
	                                                         : BT_PROMPT_TARGET_DELIMITER);
}

const char *bt_prompt_unknown_field(const struct bt_prompt *p, const char *const *names, size_t n)
{
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		if (!p->parts[i].field)
			continue;
		for (j = 0; j < n; j++)
			if (strcmp(p->parts[i].text, names[j]) == 0)
				break;
		if (j == n)
			return p->parts[i].text;
	}
	return NULL;
}

void bt_prompt_release(struct bt_prompt *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free(p->parts[i].text);
	free(p->parts);
	free(p->fewshot_delimiter);
	free(p->target_delimiter);
	memset(p, 0, sizeof(*p));
}

/* --- rendering ----------------------------------------------------------------------------- */

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/*
 * The shortest "%.Ng" (N from 15 to 17) that reads back as `v`, in the C
 * locale; "null" for NaN and infinities, which JSON cannot hold.
 */
static void put_number(struct bt_buf *out, double v)
{
	locale_t old = (locale_t)0;
	char buf[40];
	int prec;

	if (!isfinite(v)) {
		bt_buf_puts(out, "null");
		return;
	}
	pthread_once(&c_locale_once, c_locale_init);
	if (c_locale)
		old = uselocale(c_locale);
	for (prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (c_locale)
		uselocale(old);
	bt_buf_puts(out, buf);
}

/* JSON text without the blanks between its tokens (strings kept as written). */
static void put_compact_json(struct bt_buf *out, const char *s, size_t n)
{
	size_t i, run = 0;
	int in_string = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			bt_buf_add(out, s + run, i - run);
			run = i + 1;
		}
	}
	if (n > run)
		bt_buf_add(out, s + run, n - run);
}

static void put_field(struct bt_buf *out, const struct benchtop_field *f)
{
	size_t i;

	switch (f->type) {
	case BENCHTOP_FIELD_NUMBER:
		/* Booleans are numbers that remember how they were written. */
		if (f->text && (strcmp(f->text, "true") == 0 || strcmp(f->text, "false") == 0))
			bt_buf_puts(out, f->text);
		else
			put_number(out, f->number);
		break;
	case BENCHTOP_FIELD_TEXT:
		if (f->text)
			bt_buf_add(out, f->text, f->text_len);
		break;
	case BENCHTOP_FIELD_VECTOR:
		bt_buf_putc(out, '[');
		for (i = 0; i < f->vector_len; i++) {
			if (i)
				bt_buf_putc(out, ',');
			put_number(out, f->vector[i]);
		}
		bt_buf_putc(out, ']');
		break;
	case BENCHTOP_FIELD_JSON:
		if (f->text)
			put_compact_json(out, f->text, f->text_len);
		break;
	case BENCHTOP_FIELD_NULL:
	default:
		break;
	}
}

static int render_one(struct bt_buf *out, const struct bt_prompt *p,
                      const struct benchtop_example *ex)
{
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		const struct bt_prompt_part *part = &p->parts[i];
		if (!part->field) {
			bt_buf_add(out, part->text, part->len);
			continue;
		}
		for (j = 0; j < ex->n_fields; j++)
			if (ex->fields[j].name && strcmp(ex->fields[j].name, part->text) == 0)
				break;
		if (j == ex->n_fields)
			return bt_error_set(BT_EINPUT,
			                    "the prompt names field '%s', which example '%s' does "
			                    "not have",
			                    part->text, ex->id ? ex->id : "?");
		put_field(out, &ex->fields[j]);
	}
	return 0;
}

/* A demonstration's answer; 0 when the type has none to show. */
static int put_target(struct bt_buf *out, enum benchtop_task_type type,
                      const struct benchtop_example *shot)
{
	const struct benchtop_target *t = shot->target;

	if (!t)
		return 0;
	switch (type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		bt_buf_puts(out, t->label ? t->label : "");
		return 1;
	case BENCHTOP_TASK_REGRESSION:
		put_number(out, t->value);
		return 1;
	case BENCHTOP_TASK_GENERATION:
		bt_buf_puts(out, t->text ? t->text : "");
		return 1;
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		if (t->choice >= 0 && (size_t)t->choice < shot->n_choices &&
		    shot->choices[t->choice])
			bt_buf_puts(out, shot->choices[t->choice]);
		return 1;
	case BENCHTOP_TASK_RETRIEVAL:
	default:
		return 0;
	}
}

int bt_prompt_render(struct bt_buf *out, const struct bt_prompt *p, enum benchtop_task_type type,
                     const struct benchtop_example *ex)
{
	const char *fs = p->fewshot_delimiter ? p->fewshot_delimiter : BT_PROMPT_FEWSHOT_DELIMITER;
	const char *td = p->target_delimiter ? p->target_delimiter : BT_PROMPT_TARGET_DELIMITER;
	size_t i;
	int rc;

	/* Retrieval has no answers to demonstrate: its queries stand alone. */
	for (i = 0; type != BENCHTOP_TASK_RETRIEVAL && i < ex->n_shots; i++) {
		const struct benchtop_example *shot = &ex->shots[i];
		rc = render_one(out, p, shot);
		if (rc)
			return rc;
		if (shot->target) {
			size_t mark = out->len;
			bt_buf_puts(out, td);
			if (!put_target(out, type, shot)) {
				out->len = mark;
				out->ptr[mark] = '\0';
			}
		}
		bt_buf_puts(out, fs);
	}
	return render_one(out, p, ex);
}
