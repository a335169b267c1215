/*
 * scalars.h - finding scalars (a name and a number) in lines of program
 * output, and in JSON objects.
 *
 * Built-in shapes, several per line:
 *   key=value, key = value         loss=0.42  lr=1e-3  acc=97.5%
 *   key: value (a space after ':') loss: 0.2980 - accuracy: 0.9134 (Keras)
 *   'key': value, "key": value     {'loss': 0.69, 'epoch': 0.1} (Hugging Face)
 *   a two-cell table row           |  test_loss  |  0.502  | (Lightning, also with box-drawing bars)
 *   a whole JSON object            {"step": 10, "loss": 0.42, "val": {"acc": 0.9}}
 * Keys are made of letters, digits and _ . / @ - and start with a letter
 * or '_'; nested JSON objects give "val/acc".  A key named `step` with an
 * integer value gives the line's step instead of a scalar.  Values are
 * decimal numbers (with exponent), nan or inf, optionally followed by '%',
 * and must end at a space or punctuation: "3s", "12:30", "1/10" and
 * "0.5.1" are not values.  ANSI escape sequences are ignored.
 *
 * Custom patterns are POSIX extended regular expressions with named groups
 * (?<name>...) (or (?P<name>...)): a group named `step` gives the step,
 * `key` and `value` together give one scalar, any other name gives a
 * scalar of that name.  Every match in the line counts; when a custom
 * pattern matches a line, the built-in shapes are not tried on it.
 *
 * Nothing here allocates per call once buffers have grown, and no input
 * can make it read outside the line it was given.
 */
#ifndef BT_SCALARS_H
#define BT_SCALARS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct bt_scalar {
	const char *key; /* points into the line's key buffer; valid until the next parse */
	size_t key_len;
	double value;
};

/* What one line held.  Reuse it across lines; release it at the end. */
struct bt_scalar_line {
	struct bt_scalar *v;
	size_t n, cap;
	int has_step;
	int64_t step;
	int has_wall; /* a JSON object's "wall_time" (seconds since the epoch) */
	double wall;
	/* private */
	struct bt_buf keys;
	struct bt_buf clean;
	struct bt_buf jpath, jkey;
	size_t *offs;
	size_t offs_cap;
};
void bt_scalar_line_release(struct bt_scalar_line *l);

struct bt_scalars;
struct bt_scalars *bt_scalars_new(void);
void bt_scalars_free(struct bt_scalars *p);

/*
 * Add a custom pattern.  BT_EUSAGE (with a message) when it does not
 * compile, has no named group, or has `key` without `value`.
 */
int bt_scalars_add_pattern(struct bt_scalars *p, const char *regex);

/*
 * Parse one line (without its line end; it may contain any bytes).
 * Returns the number of scalars found; `out` is reset first.  `p` may be
 * NULL for the built-in shapes only.
 */
size_t bt_scalars_parse(const struct bt_scalars *p, const char *line, size_t len,
                        struct bt_scalar_line *out);

/*
 * Parse `s` as exactly one JSON object (surrounding white space allowed)
 * and collect its numbers, as described above.  Returns 1 when it was a
 * well-formed object (even one without numbers), 0 when it was not, in
 * which case `out` holds nothing.  A "step" that is not an integer makes
 * the object malformed.
 */
int bt_scalars_parse_json(const char *s, size_t len, struct bt_scalar_line *out);

/* Parse a whole string as a number the way the parser does (C locale); 0 or BT_EINPUT. */
int bt_scalars_number(const char *s, size_t len, double *out);

#endif
