/*
 * format.c - typed tables rendered as aligned text, JSON, JSON Lines, CSV,
 * TSV or Markdown, and the sanitising that keeps text from data, models and
 * the database from acting on a terminal.
 *
 * Human formats (table, markdown, csv, tsv) sanitise every text cell; the
 * JSON formats keep values exact and escape what a terminal would obey.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "error.h"
#include "format.h"
#include "util.h"

const char bt_format_names[] = "table|json|jsonl|csv|tsv|markdown";

int bt_format_parse(const char *name, enum bt_format *out)
{
	static const struct {
		const char *name;
		enum bt_format fmt;
	} names[] = {
	        {"table", BT_FMT_TABLE}, {"json", BT_FMT_JSON}, {"jsonl", BT_FMT_JSONL},
	        {"csv", BT_FMT_CSV},     {"tsv", BT_FMT_TSV},   {"markdown", BT_FMT_MARKDOWN},
	        {"md", BT_FMT_MARKDOWN},
	};
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(names); i++) {
		if (strcmp(name, names[i].name) == 0) {
			*out = names[i].fmt;
			return 0;
		}
	}
	return bt_error_set(BT_EUSAGE, "unknown format '%s' (expected one of %s)", name,
	                    bt_format_names);
}

/* --- UTF-8 and sanitising ----------------------------------------------- */

/*
 * Decode one UTF-8 sequence strictly (no overlongs, surrogates or values
 * past U+10FFFF).  Returns its length, or 0 when s[0] does not start a
 * valid sequence.
 */
static size_t utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
	unsigned c = s[0], min, n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		min = 0x80;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		min = 0x800;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		min = 0x10000;
		c &= 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static int is_bidi_control(unsigned cp)
{
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

char *bt_sanitize_n(const char *str, size_t len, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)str;
	struct bt_buf b = BT_BUF_INIT;
	size_t i = 0;

	bt_buf_grow(&b, len);
	while (i < len) {
		unsigned cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (!n) {
			bt_buf_printf(&b, "\\x%02x", s[i]);
			i++;
			continue;
		}
		if (cp < 0x20 || cp == 0x7f) {
			if ((cp == '\n' || cp == '\t') && (flags & BT_SANITIZE_KEEP_NEWLINES))
				bt_buf_putc(&b, (char)cp);
			else {
				bt_buf_putc(&b, '^');
				bt_buf_putc(&b, cp == 0x7f ? '?' : (char)(cp + 0x40));
			}
		} else if ((cp >= 0x80 && cp <= 0x9f) || is_bidi_control(cp)) {
			bt_buf_printf(&b, "<U+%04X>", cp);
		} else {
			bt_buf_add(&b, s + i, n);
		}
		i += n;
	}
	/* bt_buf_grow() allocates without terminating: an empty input must still give "". */
	b.ptr[b.len] = '\0';
	return bt_buf_detach(&b);
}

char *bt_sanitize(const char *s, unsigned flags)
{
	return bt_sanitize_n(s ? s : "", s ? strlen(s) : 0, flags);
}

static int cp_width(unsigned cp)
{
	int w;

	if (cp < 0x80)
		return 1;
	w = wcwidth((wchar_t)cp);
	/* Outside a UTF-8 locale wcwidth() knows nothing: assume one cell. */
	return w < 0 ? 1 : w;
}

size_t bt_display_width(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strlen(str), i = 0, w = 0;

	while (i < len) {
		unsigned cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (!n) {
			w++;
			i++;
			continue;
		}
		w += (size_t)cp_width(cp);
		i += n;
	}
	return w;
}

/* Cut `s` to at most `width` cells, ending in an ellipsis when cut. */
static char *truncate_to(const char *str, size_t width)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strlen(str), i = 0, w = 0;

	if (bt_display_width(str) <= width)
		return bt_xstrdup(str);
	if (width == 0)
		return bt_xstrdup("");
	while (i < len) {
		unsigned cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		int cw = n ? cp_width(cp) : 1;
		if (!n)
			n = 1;
		if (w + (size_t)cw > width - 1)
			break;
		w += (size_t)cw;
		i += n;
	}
	return bt_xasprintf("%.*s\xe2\x80\xa6", (int)i, str);
}

/* --- human forms of numbers and times ------------------------------------ */

void bt_format_age(char *out, size_t n, double then, double now)
{
	double d = now - then;

	if (then <= 0) {
		snprintf(out, n, "-");
		return;
	}
	if (d < 0)
		d = 0;
	if (d < 60)
		snprintf(out, n, "%ds ago", (int)d);
	else if (d < 3600)
		snprintf(out, n, "%dm ago", (int)(d / 60));
	else if (d < 86400)
		snprintf(out, n, "%dh ago", (int)(d / 3600));
	else if (d < 86400 * 60)
		snprintf(out, n, "%dd ago", (int)(d / 86400));
	else
		bt_format_time(out, n, then);
}

void bt_format_duration(char *out, size_t n, double s)
{
	long t;

	if (!(s >= 0)) {
		snprintf(out, n, "-");
		return;
	}
	if (s < 10) {
		snprintf(out, n, "%.2fs", s);
		return;
	}
	t = (long)(s + 0.5);
	if (t < 60)
		snprintf(out, n, "%lds", t);
	else if (t < 3600)
		snprintf(out, n, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(out, n, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
}

void bt_format_time(char *out, size_t n, double t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !localtime_r(&tt, &tm)) {
		snprintf(out, n, "-");
		return;
	}
	strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

void bt_format_iso8601(char *out, size_t n, double t)
{
	time_t tt = (time_t)floor(t);
	int ms = (int)((t - floor(t)) * 1000.0);
	struct tm tm;
	char base[32];

	if (!gmtime_r(&tt, &tm)) {
		snprintf(out, n, "%s", "");
		return;
	}
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%03dZ", base, ms > 999 ? 999 : ms);
}

void bt_format_real(char *out, size_t n, double v, int digits)
{
	double a = fabs(v);

	if (v != v)
		snprintf(out, n, "nan");
	else if (isinf(v))
		snprintf(out, n, v > 0 ? "inf" : "-inf");
	else if (a != 0 && (a < 1e-3 || a >= 1e9))
		snprintf(out, n, "%.*g", digits, v);
	else
		snprintf(out, n, "%.*f", digits, v);
}

/* --- JSON ------------------------------------------------------------------ */

static void json_put_string(struct bt_buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	bt_buf_putc(b, '"');
	while (i < len) {
		unsigned cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (!n) {
			bt_buf_puts(b, "\\ufffd");
			i++;
			continue;
		}
		switch (cp) {
		case '"':
			bt_buf_puts(b, "\\\"");
			break;
		case '\\':
			bt_buf_puts(b, "\\\\");
			break;
		case '\n':
			bt_buf_puts(b, "\\n");
			break;
		case '\t':
			bt_buf_puts(b, "\\t");
			break;
		case '\r':
			bt_buf_puts(b, "\\r");
			break;
		default:
			if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
			    is_bidi_control(cp))
				bt_buf_printf(b, "\\u%04x", cp);
			else
				bt_buf_add(b, s + i, n);
		}
		i += n;
	}
	bt_buf_putc(b, '"');
}

/* The shortest decimal that reads back as the same double. */
static void json_put_real(struct bt_buf *b, double v)
{
	char tmp[40];
	int prec;

	if (v != v || isinf(v)) {
		bt_buf_puts(b, "null");
		return;
	}
	for (prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	if (!strpbrk(tmp, ".eEn"))
		strcat(tmp, ".0");
	bt_buf_puts(b, tmp);
}

static void json_indent(struct bt_buf *b, int indent, int depth)
{
	if (indent <= 0)
		return;
	bt_buf_putc(b, '\n');
	for (int i = 0; i < indent * depth; i++)
		bt_buf_putc(b, ' ');
}

static void json_put(struct bt_buf *b, const json_t *v, int indent, int depth)
{
	size_t i, n;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *val;
		int first = 1;
		bt_buf_putc(b, '{');
		json_object_foreach((json_t *)v, key, val)
		{
			if (!first)
				bt_buf_putc(b, ',');
			first = 0;
			json_indent(b, indent, depth + 1);
			json_put_string(b, key, strlen(key));
			bt_buf_puts(b, indent > 0 ? ": " : ":");
			json_put(b, val, indent, depth + 1);
		}
		if (!first)
			json_indent(b, indent, depth);
		bt_buf_putc(b, '}');
		break;
	}
	case JSON_ARRAY:
		n = json_array_size(v);
		bt_buf_putc(b, '[');
		for (i = 0; i < n; i++) {
			if (i)
				bt_buf_putc(b, ',');
			json_indent(b, indent, depth + 1);
			json_put(b, json_array_get(v, i), indent, depth + 1);
		}
		if (n)
			json_indent(b, indent, depth);
		bt_buf_putc(b, ']');
		break;
	case JSON_STRING:
		json_put_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		bt_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		json_put_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		bt_buf_puts(b, "true");
		break;
	case JSON_FALSE:
		bt_buf_puts(b, "false");
		break;
	case JSON_NULL:
		bt_buf_puts(b, "null");
		break;
	}
}

static int write_buf(FILE *out, const struct bt_buf *b)
{
	if (b->len && fwrite(b->ptr, 1, b->len, out) != b->len)
		return bt_error_set(BT_EIO, "cannot write output");
	return 0;
}

int bt_json_write(FILE *out, const json_t *v, int indent)
{
	struct bt_buf b = BT_BUF_INIT;
	int rc;

	json_put(&b, v, indent, 0);
	bt_buf_putc(&b, '\n');
	rc = write_buf(out, &b);
	bt_buf_free(&b);
	return rc;
}

/* --- tables ---------------------------------------------------------------- */

struct cell {
	enum bt_cell_type type;
	int64_t i;
	double d;
	char *s;
	json_t *j;
};

struct column {
	char *key;
	char *title;
	enum bt_col_kind kind;
	int priority;
	int human_only, machine_only;
};

struct bt_table {
	struct column *cols;
	size_t ncols, cols_cap;
	struct cell *cells; /* nrows * ncols, row-major */
	size_t nrows, rows_cap;
};

struct bt_table *bt_table_new(void)
{
	return bt_xcalloc(1, sizeof(struct bt_table));
}

static void cell_clear(struct cell *c)
{
	free(c->s);
	if (c->j)
		json_decref(c->j);
	memset(c, 0, sizeof(*c));
}

void bt_table_free(struct bt_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		cell_clear(&t->cells[i]);
	for (i = 0; i < t->ncols; i++) {
		free(t->cols[i].key);
		free(t->cols[i].title);
	}
	free(t->cells);
	free(t->cols);
	free(t);
}

int bt_table_column(struct bt_table *t, const char *key, const char *title, enum bt_col_kind kind,
                    int priority)
{
	struct column *c;
	char *p;

	/* Columns come before rows: the cell grid is allocated per row. */
	if (t->nrows)
		abort();
	bt_grow(&t->cols, &t->cols_cap, t->ncols + 1, sizeof(*t->cols));
	c = &t->cols[t->ncols];
	memset(c, 0, sizeof(*c));
	c->key = bt_xstrdup(key);
	c->title = bt_xstrdup(title ? title : key);
	if (!title)
		for (p = c->title; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	c->kind = kind;
	c->priority = priority;
	return (int)t->ncols++;
}

void bt_table_column_human_only(struct bt_table *t, int col)
{
	t->cols[col].human_only = 1;
}

void bt_table_column_machine_only(struct bt_table *t, int col)
{
	t->cols[col].machine_only = 1;
}

void bt_table_row(struct bt_table *t)
{
	bt_grow(&t->cells, &t->rows_cap, (t->nrows + 1) * t->ncols, sizeof(*t->cells));
	memset(&t->cells[t->nrows * t->ncols], 0, t->ncols * sizeof(*t->cells));
	t->nrows++;
}

static struct cell *cur(struct bt_table *t, int col)
{
	struct cell *c;

	if (!t->nrows || col < 0 || (size_t)col >= t->ncols)
		abort();
	c = &t->cells[(t->nrows - 1) * t->ncols + (size_t)col];
	cell_clear(c);
	return c;
}

void bt_table_text(struct bt_table *t, int col, const char *s)
{
	struct cell *c = cur(t, col);

	if (s) {
		c->type = BT_CELL_TEXT;
		c->s = bt_xstrdup(s);
	}
}

void bt_table_int(struct bt_table *t, int col, int64_t v)
{
	struct cell *c = cur(t, col);

	c->type = BT_CELL_INT;
	c->i = v;
}

void bt_table_real(struct bt_table *t, int col, double v)
{
	struct cell *c = cur(t, col);

	if (v == v) {
		c->type = BT_CELL_REAL;
		c->d = v;
	}
}

void bt_table_json(struct bt_table *t, int col, json_t *v)
{
	struct cell *c = cur(t, col);

	if (v) {
		c->type = BT_CELL_JSON;
		c->j = v;
	}
}

size_t bt_table_rows(const struct bt_table *t)
{
	return t->nrows;
}

static const struct cell *cell_at(const struct bt_table *t, size_t row, size_t col)
{
	return &t->cells[row * t->ncols + col];
}

static double cell_number(const struct cell *c)
{
	return c->type == BT_CELL_INT ? (double)c->i : c->type == BT_CELL_REAL ? c->d : NAN;
}

/* A cell as display text for the human formats (unsanitised). */
static char *cell_human(const struct column *col, const struct cell *c, double now)
{
	char tmp[64];

	if (c->type == BT_CELL_NULL)
		return NULL;
	switch (col->kind) {
	case BT_COL_SHA:
		if (c->type == BT_CELL_TEXT)
			return bt_xstrndup(c->s, strlen(c->s) < 8 ? strlen(c->s) : 8);
		break;
	case BT_COL_TIME:
		bt_format_time(tmp, sizeof(tmp), cell_number(c));
		return bt_xstrdup(tmp);
	case BT_COL_AGE:
		bt_format_age(tmp, sizeof(tmp), cell_number(c), now);
		return bt_xstrdup(tmp);
	case BT_COL_DURATION:
		bt_format_duration(tmp, sizeof(tmp), cell_number(c));
		return bt_xstrdup(tmp);
	default:
		break;
	}
	switch (c->type) {
	case BT_CELL_TEXT:
		return bt_xstrdup(c->s);
	case BT_CELL_INT:
		snprintf(tmp, sizeof(tmp), "%lld", (long long)c->i);
		return bt_xstrdup(tmp);
	case BT_CELL_REAL:
		bt_format_real(tmp, sizeof(tmp), c->d, 4);
		return bt_xstrdup(tmp);
	case BT_CELL_JSON: {
		char *s = json_dumps(c->j, JSON_COMPACT | JSON_ENCODE_ANY);
		char *r = bt_xstrdup(s ? s : "");
		free(s);
		return r;
	}
	default:
		return NULL;
	}
}

static int right_aligned(enum bt_col_kind k)
{
	return k == BT_COL_INT || k == BT_COL_REAL || k == BT_COL_DURATION;
}

static const char *status_color(const char *s)
{
	if (strcmp(s, "finished") == 0)
		return "\033[32m";
	if (strcmp(s, "failed") == 0)
		return "\033[31m";
	if (strcmp(s, "running") == 0)
		return "\033[33m";
	if (strcmp(s, "interrupted") == 0 || strcmp(s, "stale") == 0)
		return "\033[35m";
	return NULL;
}

static void pad(struct bt_buf *b, size_t n)
{
	while (n--)
		bt_buf_putc(b, ' ');
}

static int write_table(const struct bt_table *t, FILE *out, const struct bt_output_opts *o)
{
	size_t nc = t->ncols, nr = t->nrows, r, c, total, used;
	char **text = bt_xcalloc(nr * nc + 1, sizeof(char *));
	size_t *w = bt_xcalloc(nc + 1, sizeof(size_t));
	int *show = bt_xcalloc(nc + 1, sizeof(int));
	double now = o && o->now > 0 ? o->now : bt_now();
	int width = o ? o->width : 0, color = o && o->color, rc;
	struct bt_buf b = BT_BUF_INIT;

	for (c = 0; c < nc; c++) {
		show[c] = !t->cols[c].machine_only;
		if (show[c])
			w[c] = bt_display_width(t->cols[c].title);
	}
	for (r = 0; r < nr; r++) {
		for (c = 0; c < nc; c++) {
			char *raw;
			if (!show[c])
				continue;
			raw = cell_human(&t->cols[c], cell_at(t, r, c), now);
			text[r * nc + c] = raw ? bt_sanitize(raw, 0) : bt_xstrdup("-");
			free(raw);
			size_t cw = bt_display_width(text[r * nc + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	}
	/* Long free text gets a generous but bounded column. */
	for (c = 0; c < nc; c++)
		if (show[c] && (t->cols[c].kind == BT_COL_TEXT || t->cols[c].kind == BT_COL_JSON) &&
		    w[c] > 60)
			w[c] = 60;

	/* Fit the width: drop optional columns (lowest priority first), then shrink text. */
	for (;;) {
		total = 0;
		used = 0;
		for (c = 0; c < nc; c++)
			if (show[c]) {
				total += w[c] + (used ? 2 : 0);
				used++;
			}
		if (width <= 0 || total <= (size_t)width)
			break;
		size_t drop = nc;
		for (c = 0; c < nc; c++)
			if (show[c] && t->cols[c].priority > 0 &&
			    (drop == nc || t->cols[c].priority < t->cols[drop].priority))
				drop = c;
		if (drop == nc)
			break;
		show[drop] = 0;
	}
	while (width > 0 && total > (size_t)width) {
		size_t widest = nc;
		for (c = 0; c < nc; c++)
			if (show[c] &&
			    (t->cols[c].kind == BT_COL_TEXT || t->cols[c].kind == BT_COL_JSON) &&
			    w[c] > 6 && (widest == nc || w[c] > w[widest]))
				widest = c;
		if (widest == nc)
			break;
		w[widest]--;
		total--;
	}

	for (r = 0; r <= nr; r++) {
		int first = 1;
		if (r == 0 && o && o->no_header)
			continue;
		for (c = 0; c < nc; c++) {
			const char *s, *clr = NULL;
			char *cut;
			size_t cw;
			if (!show[c])
				continue;
			if (!first)
				bt_buf_puts(&b, "  ");
			first = 0;
			s = r == 0 ? t->cols[c].title : text[(r - 1) * nc + c];
			cut = truncate_to(s, w[c]);
			cw = bt_display_width(cut);
			if (color && r == 0)
				clr = "\033[1m";
			else if (color && t->cols[c].kind == BT_COL_STATUS)
				clr = status_color(s);
			else if (color && strcmp(s, "-") == 0)
				clr = "\033[2m";
			if (right_aligned(t->cols[c].kind))
				pad(&b, w[c] - cw);
			if (clr)
				bt_buf_puts(&b, clr);
			bt_buf_puts(&b, cut);
			if (clr)
				bt_buf_puts(&b, "\033[0m");
			/* No trailing blanks after the last visible column. */
			if (!right_aligned(t->cols[c].kind)) {
				size_t k, last = 1;
				for (k = c + 1; k < nc; k++)
					if (show[k])
						last = 0;
				if (!last)
					pad(&b, w[c] - cw);
			}
			free(cut);
		}
		bt_buf_putc(&b, '\n');
	}
	rc = write_buf(out, &b);
	bt_buf_free(&b);
	for (r = 0; r < nr * nc; r++)
		free(text[r]);
	free(text);
	free(w);
	free(show);
	return rc;
}

/* A cell as a JSON value for the machine formats (new reference or NULL). */
static json_t *cell_json(const struct column *col, const struct cell *c)
{
	char tmp[64];

	switch (c->type) {
	case BT_CELL_NULL:
		return json_null();
	case BT_CELL_TEXT:
		return json_string_nocheck(c->s);
	case BT_CELL_JSON:
		return json_incref(c->j);
	case BT_CELL_INT:
	case BT_CELL_REAL:
		if (col->kind == BT_COL_TIME || col->kind == BT_COL_AGE) {
			bt_format_iso8601(tmp, sizeof(tmp), cell_number(c));
			return json_string(tmp);
		}
		return c->type == BT_CELL_INT ? json_integer(c->i) : json_real(c->d);
	}
	return json_null();
}

static int write_json(const struct bt_table *t, FILE *out, int lines)
{
	json_t *all = json_array();
	size_t r, c;
	int rc = 0;

	for (r = 0; r < t->nrows && !rc; r++) {
		json_t *obj = json_object();
		for (c = 0; c < t->ncols; c++) {
			if (t->cols[c].human_only)
				continue;
			json_object_set_new_nocheck(obj, t->cols[c].key,
			                            cell_json(&t->cols[c], cell_at(t, r, c)));
		}
		if (lines) {
			rc = bt_json_write(out, obj, 0);
			json_decref(obj);
		} else {
			json_array_append_new(all, obj);
		}
	}
	if (!lines && !rc)
		rc = bt_json_write(out, all, 2);
	json_decref(all);
	return rc;
}

/* Machine text of a cell for CSV/TSV: exact numbers, ISO times, compact JSON. */
static char *cell_plain(const struct column *col, const struct cell *c)
{
	json_t *j;
	char *s, *r;

	if (c->type == BT_CELL_NULL)
		return bt_xstrdup("");
	if (c->type == BT_CELL_TEXT)
		return bt_xstrdup(c->s);
	j = cell_json(col, c);
	if (json_is_string(j)) {
		r = bt_xstrdup(json_string_value(j));
	} else {
		struct bt_buf b = BT_BUF_INIT;
		json_put(&b, j, 0, 0);
		r = bt_buf_detach(&b);
	}
	json_decref(j);
	s = r;
	return s;
}

static void csv_field(struct bt_buf *b, const char *s)
{
	int quote =
	        strpbrk(s, ",\"\r\n") != NULL || (s[0] == ' ') || (s[0] && s[strlen(s) - 1] == ' ');

	if (!quote) {
		bt_buf_puts(b, s);
		return;
	}
	bt_buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			bt_buf_putc(b, '"');
		bt_buf_putc(b, *s);
	}
	bt_buf_putc(b, '"');
}

static int write_delimited(const struct bt_table *t, FILE *out, int tsv, int no_header)
{
	struct bt_buf b = BT_BUF_INIT;
	size_t r, c;
	int rc;

	for (r = no_header ? 1 : 0; r <= t->nrows; r++) {
		int first = 1;
		for (c = 0; c < t->ncols; c++) {
			char *raw, *clean;
			if (t->cols[c].human_only)
				continue;
			if (!first)
				bt_buf_putc(&b, tsv ? '\t' : ',');
			first = 0;
			raw = r == 0 ? bt_xstrdup(t->cols[c].key)
			             : cell_plain(&t->cols[c], cell_at(t, r - 1, c));
			/* CSV may carry newlines inside quotes; TSV cannot. */
			clean = bt_sanitize(raw, tsv ? 0 : BT_SANITIZE_KEEP_NEWLINES);
			if (tsv)
				bt_buf_puts(&b, clean);
			else
				csv_field(&b, clean);
			free(raw);
			free(clean);
		}
		bt_buf_puts(&b, tsv ? "\n" : "\r\n");
	}
	rc = write_buf(out, &b);
	bt_buf_free(&b);
	return rc;
}

static void md_cell(struct bt_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '|' || *s == '\\' || *s == '`' || *s == '*' || *s == '_' || *s == '<')
			bt_buf_putc(b, '\\');
		bt_buf_putc(b, *s);
	}
}

static int write_markdown(const struct bt_table *t, FILE *out, double now)
{
	struct bt_buf b = BT_BUF_INIT;
	size_t r, c;
	int rc;

	bt_buf_putc(&b, '|');
	for (c = 0; c < t->ncols; c++) {
		if (t->cols[c].machine_only)
			continue;
		bt_buf_putc(&b, ' ');
		md_cell(&b, t->cols[c].title);
		bt_buf_puts(&b, " |");
	}
	bt_buf_puts(&b, "\n|");
	for (c = 0; c < t->ncols; c++)
		if (!t->cols[c].machine_only)
			bt_buf_puts(&b, right_aligned(t->cols[c].kind) ? " ---: |" : " --- |");
	bt_buf_putc(&b, '\n');
	for (r = 0; r < t->nrows; r++) {
		bt_buf_putc(&b, '|');
		for (c = 0; c < t->ncols; c++) {
			char *raw, *clean;
			if (t->cols[c].machine_only)
				continue;
			raw = cell_human(&t->cols[c], cell_at(t, r, c), now);
			clean = bt_sanitize(raw ? raw : "", 0);
			bt_buf_putc(&b, ' ');
			md_cell(&b, clean);
			bt_buf_puts(&b, " |");
			free(raw);
			free(clean);
		}
		bt_buf_putc(&b, '\n');
	}
	rc = write_buf(out, &b);
	bt_buf_free(&b);
	return rc;
}

int bt_table_write(const struct bt_table *t, FILE *out, enum bt_format fmt,
                   const struct bt_output_opts *opts)
{
	int no_header = opts && opts->no_header;
	double now = opts && opts->now > 0 ? opts->now : bt_now();

	switch (fmt) {
	case BT_FMT_TABLE:
		return write_table(t, out, opts);
	case BT_FMT_JSON:
		return write_json(t, out, 0);
	case BT_FMT_JSONL:
		return write_json(t, out, 1);
	case BT_FMT_CSV:
		return write_delimited(t, out, 0, no_header);
	case BT_FMT_TSV:
		return write_delimited(t, out, 1, no_header);
	case BT_FMT_MARKDOWN:
		return write_markdown(t, out, now);
	}
	return bt_error_set(BT_EUSAGE, "unknown output format");
}
