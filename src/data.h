/*
 * data.h - reading a split of a dataset into memory: CSV (RFC 4180, header
 * row) and JSON Lines, either optionally gzip-compressed (read through zlib,
 * never unpacked to disk).
 *
 * A split is a table: named columns, one record per data row.  Every
 * value keeps the type the data gave it (CSV cells are text, and also
 * numbers when the whole cell parses as one), and every record remembers
 * its source line so later checks can point at it.  Errors name
 * file:line:column.  Nothing here knows about tasks or models.
 */
#ifndef BT_DATA_H
#define BT_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "benchtop/plugin.h"

/* A bump allocator: many small allocations, freed at once. */
struct bt_arena {
	struct bt_arena_block *head;
	size_t used_total;
};
void *bt_arena_alloc(struct bt_arena *a, size_t n); /* 8-byte aligned, never NULL */
/*
 * The same, but a large piece (a block of its own) is not mapped up front:
 * for arrays that threads fill in parts, each mapping its part with
 * bt_prefault() (util.h).
 */
void *bt_arena_alloc_lazy(struct bt_arena *a, size_t n);
char *bt_arena_strndup(struct bt_arena *a, const char *s, size_t n);
void bt_arena_free(struct bt_arena *a);

/*
 * One value.  For CSV every non-empty cell is TEXT; a cell that is a
 * complete number is NUMBER with `text` still holding the cell as written
 * (so ids like "007" survive).  An empty CSV cell, a JSON null and a key a
 * JSON line lacks are NULL.  A JSON array of numbers is VECTOR; any other
 * array or object is JSON with its compact serialisation in `text`.  JSON
 * true/false are NUMBER 1/0 with text "true"/"false".
 */
struct bt_value {
	enum benchtop_field_type type;
	double number;
	const char *text; /* NUL-terminated; NULL for NULL values */
	size_t text_len;
	const double *vector;
	size_t vector_len;
};

enum bt_data_format {
	BT_DATA_AUTO = 0, /* from the file name: .csv, .jsonl, .ndjson, .json, each maybe .gz */
	BT_DATA_CSV,
	BT_DATA_JSONL,
};

struct bt_split {
	char *path;   /* as given, for messages */
	size_t ncols; /* columns: CSV header, or JSON keys in first-seen order */
	char **cols;
	size_t n;                /* records */
	struct bt_value *values; /* n * ncols, row-major: values[i * ncols + c] */
	uint32_t *lines;         /* source line (1-based) of each record */
	uint32_t *columns;       /* n * ncols: source column (1-based) of each value, 0 if absent */
	/*
	 * n * ncols: the line of each value, only for CSV files where a quoted
	 * field spans lines (NULL otherwise: every value is on its record's
	 * line).  Use bt_split_pos() rather than reading it directly.
	 */
	uint32_t *value_lines;
	struct bt_arena arena; /* owns every string and vector above */
};

/*
 * Read the file at `path` (format by extension unless given; gzip detected
 * by its magic bytes, whatever the name) into `out`.  `limit` > 0 stops
 * after that many records.  Errors (BT_EINPUT for malformed data, with
 * "path:line:col: message"; BT_ENOTFOUND, BT_EIO) leave `out` empty.
 * Rejected: invalid UTF-8, ragged CSV rows, bad quoting, a JSON line that
 * is not an object or is truncated, and a file with no records.  Only
 * finite numbers become NUMBER: a CSV cell "nan" or "inf" stays TEXT, so
 * that the task check can say which field of which line is not a number.
 * JSON Lines files of 1 MiB or more are parsed in an OpenMP parallel
 * region (mind TRAPS.md on fork() after OpenMP); `limit` parses serially.
 */
int bt_data_read(struct bt_split *out, const char *path, enum bt_data_format fmt, size_t limit);
/*
 * The same for `size` bytes in memory (gzip data too): `name` stands for
 * the path in messages and, with BT_DATA_AUTO, gives the format.  The
 * bytes are copied; the caller keeps them.
 */
int bt_data_read_mem(struct bt_split *out, const char *name, const void *data, size_t size,
                     enum bt_data_format fmt, size_t limit);
void bt_split_release(struct bt_split *s);

/*
 * The format a file name implies: .csv, .jsonl, .ndjson or .json, each
 * maybe followed by .gz; BT_DATA_AUTO when the name implies none.
 */
enum bt_data_format bt_data_format_guess(const char *name);

/* Index of a column by name, or -1. */
int bt_split_col(const struct bt_split *s, const char *name);

/* The value at record i, column c (c may be -1: a NULL value). */
const struct bt_value *bt_split_at(const struct bt_split *s, size_t i, int c);

/*
 * Where the value at record i, column c was written: its line and column;
 * for a value the record lacks (or c == -1), the record's line and column 1.
 */
void bt_split_pos(const struct bt_split *s, size_t i, int c, uint32_t *line, uint32_t *col);

#endif
