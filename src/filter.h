/*
 * filter.h - the filter language shared by `ls`, `export`, `check` and the
 * dashboard: parsed into a tree, compiled to a SQL expression over the runs
 * table (alias `r`) with every value a bound parameter.
 *
 *   filter := or
 *   or     := and ("or" and)*
 *   and    := unary (["and"] unary)*        terms side by side must all hold
 *   unary  := "not" unary | "(" or ")" | term
 *   term   := FIELD OP VALUE | WORD
 *   OP     := "=" | "!=" | "~" | "<" | "<=" | ">" | ">="
 *
 * FIELD is a run field (status, branch, model, ...), `tag`, `param.KEY`,
 * `since`/`until`, or a metric name (`accuracy`, `TASK/METRIC`), which also
 * matches the last value of a logged series of that name.  A bare WORD
 * matches name, suite, model or a tag, case-insensitively, as a substring.
 * VALUE is a bare word or a quoted string ('...' or "...").
 */
#ifndef BT_FILTER_H
#define BT_FILTER_H

#include "store.h"
#include "util.h"

struct bt_filter;

/* Where a filter went wrong: a byte offset into the text and a message. */
struct bt_filter_error {
	size_t offset; /* byte offset of the fault (0-based) */
	size_t length; /* bytes the fault spans, at least 1 */
	char message[256];
};

/*
 * Parse `text`.  An empty or all-blank text is the filter that matches
 * every run (*out is then NULL).  On error returns BT_EINPUT, sets the
 * last-error message and fills `err` (which may be NULL).
 */
int bt_filter_parse(struct bt_filter **out, const char *text, struct bt_filter_error *err);
void bt_filter_free(struct bt_filter *f);

/*
 * Append a SQL boolean expression for `f` to `sql` and its arguments to
 * `args`.  Relative times (`since=7d`) are taken against `now`.  A NULL
 * filter compiles to "1".
 */
int bt_filter_compile(const struct bt_filter *f, double now, struct bt_buf *sql,
                      struct bt_sqlargs *args);

/* The tree as an S-expression, for tests and `--debug` output; caller frees. */
char *bt_filter_dump(const struct bt_filter *f);

/*
 * Join command-line words into one filter text, separated by spaces
 * (caller frees).  Offsets in errors refer to the joined text.
 */
char *bt_filter_join(int argc, char *const *argv);

/*
 * Parse a point in time as the filter language does: ISO dates and times
 * (`2026-11-01`, `2026-11-01T14:00`, local time unless suffixed `Z`),
 * relative ages (`90s`, `30m`, `12h`, `7d`, `2w`: that long before `now`),
 * `now`, `today`, `yesterday`, or epoch seconds.  `end_of_day` makes a bare
 * date mean its last second rather than its first.
 */
int bt_filter_parse_time(const char *s, double now, int end_of_day, double *out);

/* Parse a duration (`90`, `90s`, `5m`, `2h`, `1d`) in seconds. */
int bt_filter_parse_duration(const char *s, double *out);

#endif
