/*
 * prompt.h - an example's prompt for language models (the host->prompt
 * service of benchtop/plugin.h): the task's `prompt` template with each
 * {field} replaced by the example's field, preceded by its few-shot
 * demonstrations, each rendered with the same template and followed by
 * the target delimiter and its target (benchtop-suite(5)).
 *
 * A template is text with placeholders: `{name}` names an input field of
 * the example, `{{` and `}}` stand for literal braces.  Nothing here
 * prints, reads files or knows about suites beyond the template's text.
 */
#ifndef BT_PROMPT_H
#define BT_PROMPT_H

#include <stddef.h>

#include "benchtop/plugin.h"
#include "util.h"

/* One piece of a template: literal text, or a placeholder naming a field. */
struct bt_prompt_part {
	int field;  /* 0: literal text; 1: the field named `text` */
	char *text; /* NUL-terminated */
	size_t len;
};

struct bt_prompt {
	struct bt_prompt_part *parts;
	size_t n;
	char *fewshot_delimiter; /* between demonstrations; default "\n\n" */
	char *target_delimiter;  /* between a demonstration and its target; default " " */
};

#define BT_PROMPT_FEWSHOT_DELIMITER "\n\n"
#define BT_PROMPT_TARGET_DELIMITER  " "

/*
 * Compile `tmpl` into *out (with the default delimiters).  BT_EINPUT on a
 * '{' without its '}', a '}' that is neither "}}" nor the end of a
 * placeholder, or an empty placeholder, with the message set and
 * *err_offset (may be NULL) the byte offset of the faulty brace.
 */
int bt_prompt_parse(struct bt_prompt *out, const char *tmpl, size_t *err_offset);

/*
 * The template a task without `prompt` gets, for its input fields
 * `fields[0..n)`: the field itself when there is one ("{question}"),
 * else one "name: {name}" line per field, in order.
 */
void bt_prompt_default(struct bt_prompt *out, const char *const *fields, size_t n);

/* Replace the delimiters (NULL keeps the current one). */
void bt_prompt_set_delimiters(struct bt_prompt *p, const char *fewshot, const char *target);

/* A deep copy of src into *dst. */
void bt_prompt_copy(struct bt_prompt *dst, const struct bt_prompt *src);

/* The first placeholder that names none of names[0..n), or NULL. */
const char *bt_prompt_unknown_field(const struct bt_prompt *p, const char *const *names, size_t n);

/*
 * Append the prompt of `ex` to `out`: each of its shots rendered with the
 * template, then the target delimiter and the shot's target (the label,
 * the number, the reference text, the correct choice's text; retrieval
 * has none), each followed by the few-shot delimiter; then the example's
 * own rendering.  Field values: text as is, numbers in their shortest
 * exact form in the C locale ("true"/"false" for booleans), vectors and
 * other JSON values as compact JSON, missing fields as nothing.
 * BT_EINPUT (message set, `out` holding a partial text) when a
 * placeholder names a field the example does not have.
 */
int bt_prompt_render(struct bt_buf *out, const struct bt_prompt *p, enum benchtop_task_type type,
                     const struct benchtop_example *ex);

void bt_prompt_release(struct bt_prompt *p);

#endif
