/*
 * format.h - tables of typed cells and the output formats every listing
 * offers (table, json, jsonl, csv, tsv, markdown), plus terminal
 * sanitising of text that came from data, models or the database.
 *
 * The caller says how wide the output may be and whether to colour it;
 * this module never asks the terminal itself.
 */
#ifndef BT_FORMAT_H
#define BT_FORMAT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

enum bt_format {
	BT_FMT_TABLE,
	BT_FMT_JSON,
	BT_FMT_JSONL,
	BT_FMT_CSV,
	BT_FMT_TSV,
	BT_FMT_MARKDOWN,
};

/* Parse a --format value; BT_EUSAGE (with a message) when unknown. */
int bt_format_parse(const char *name, enum bt_format *out);
/* "table|json|jsonl|csv|tsv|markdown", for help texts. */
extern const char bt_format_names[];

/* How a column's values are shown in the human formats. */
enum bt_col_kind {
	BT_COL_TEXT,     /* sanitised text, truncated with an ellipsis to fit */
	BT_COL_INT,      /* right-aligned integer */
	BT_COL_REAL,     /* right-aligned number, 4 significant decimals */
	BT_COL_SHA,      /* text shown as its first 8 characters */
	BT_COL_TIME,     /* epoch seconds: "2026-11-27 14:05" in tables, ISO 8601 in JSON */
	BT_COL_AGE,      /* epoch seconds: "3h ago" in tables, ISO 8601 in JSON */
	BT_COL_DURATION, /* seconds: "1m32s" in tables, a number in JSON */
	BT_COL_STATUS,   /* run status, coloured by value */
	BT_COL_JSON,     /* a JSON value: compact text in tables, nested in JSON */
};

enum bt_cell_type { BT_CELL_NULL, BT_CELL_TEXT, BT_CELL_INT, BT_CELL_REAL, BT_CELL_JSON };

struct bt_table;

struct bt_table *bt_table_new(void);
void bt_table_free(struct bt_table *t);

/*
 * Add a column.  `key` names it in JSON and CSV headers, `title` in tables
 * and Markdown (NULL: the key, upper-cased).  Columns with a lower
 * `priority` are dropped first when a table does not fit its width; 0 means
 * never drop.  Returns the column's index.
 */
int bt_table_column(struct bt_table *t, const char *key, const char *title, enum bt_col_kind kind,
                    int priority);
/* Show this column only in the human formats (table, markdown) or only in machine ones. */
void bt_table_column_human_only(struct bt_table *t, int col);
void bt_table_column_machine_only(struct bt_table *t, int col);

/* Start a new row; cells default to null. */
void bt_table_row(struct bt_table *t);
void bt_table_text(struct bt_table *t, int col, const char *s); /* NULL: null */
void bt_table_int(struct bt_table *t, int col, int64_t v);
void bt_table_real(struct bt_table *t, int col, double v); /* NaN: null */
/* Takes ownership of `v` (a jansson reference). */
void bt_table_json(struct bt_table *t, int col, json_t *v);

size_t bt_table_rows(const struct bt_table *t);

struct bt_output_opts {
	int width;     /* columns available to a table; 0 for unlimited */
	int color;     /* emit ANSI colours in table output */
	int no_header; /* omit the header row (table, csv, tsv) */
	double now;    /* reference time for BT_COL_AGE; 0 for the current time */
};

/* Write the table in `fmt`.  BT_EIO when the stream fails (a closed pipe). */
int bt_table_write(const struct bt_table *t, FILE *out, enum bt_format fmt,
                   const struct bt_output_opts *opts);

/*
 * Terminal sanitising.  Returns a new string (caller frees) in which
 * nothing can act on a terminal: C0 controls and DEL become "^X"-style
 * escapes (except tab and newline when BT_SANITIZE_KEEP_NEWLINES), C1
 * controls "<U+009B>", bidirectional overrides and isolates "<U+202E>",
 * and bytes that are not valid UTF-8 "\xNN".
 */
enum { BT_SANITIZE_KEEP_NEWLINES = 1 << 0 };
char *bt_sanitize(const char *s, unsigned flags);
/* The same for a buffer that may contain NUL bytes. */
char *bt_sanitize_n(const char *s, size_t len, unsigned flags);

/* Display width of (already sanitised) UTF-8 text, via wcwidth(). */
size_t bt_display_width(const char *s);

/* Compact human forms used by tables and views. */
void bt_format_age(char *out, size_t n, double then, double now);
void bt_format_duration(char *out, size_t n, double seconds);
void bt_format_time(char *out, size_t n, double t);    /* local "YYYY-MM-DD HH:MM" */
void bt_format_iso8601(char *out, size_t n, double t); /* UTC "YYYY-MM-DDTHH:MM:SSZ" */
/* A number with `digits` decimals, trailing zeros kept (aligned columns). */
void bt_format_real(char *out, size_t n, double v, int digits);

/*
 * Write a JSON value with every string escaped so that it is safe on a
 * terminal and still decodes to the same value: controls, C1 and bidi
 * characters as \uXXXX, invalid UTF-8 as U+FFFD.  `indent` > 0 pretty-prints.
 */
int bt_json_write(FILE *out, const json_t *v, int indent);

#endif
