/*
 * scalars.c - the scalar-line parser (see scalars.h for the shapes).
 *
 * Output lines are untrusted bytes: every scan here is bounded by the
 * length it was given, never by a NUL, and anything that does not fit a
 * shape exactly is skipped rather than guessed at.  Numbers are parsed in
 * the C locale whatever the program's locale is ("0.5" is never "0,5").
 */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "scalars.h"
#include "series.h"
#include "util.h"

/* JSON objects nested deeper than this are malformed for our purposes. */
#define JSON_MAX_DEPTH 16

/* ---- the line's scalars ---------------------------------------------------------- */

void bt_scalar_line_release(struct bt_scalar_line *l)
{
	free(l->v);
	free(l->offs);
	bt_buf_free(&l->keys);
	bt_buf_free(&l->clean);
	bt_buf_free(&l->jpath);
	bt_buf_free(&l->jkey);
	memset(l, 0, sizeof(*l));
}

static void line_reset(struct bt_scalar_line *l)
{
	l->n = 0;
	l->has_step = 0;
	l->step = 0;
	l->has_wall = 0;
	l->wall = 0;
	bt_buf_reset(&l->keys);
}

/* Add a scalar whose key is prefix + name (keys are copied: lines are transient). */
static void add_scalar(struct bt_scalar_line *l, const char *prefix, size_t plen, const char *name,
                       size_t nlen, double value)
{
	if (plen + nlen == 0 || plen + nlen > BT_SERIES_KEY_MAX)
		return;
	bt_grow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	bt_grow(&l->offs, &l->offs_cap, l->n + 1, sizeof(*l->offs));
	l->offs[l->n] = l->keys.len;
	bt_buf_add(&l->keys, prefix, plen);
	bt_buf_add(&l->keys, name, nlen);
	bt_buf_putc(&l->keys, '\0');
	l->v[l->n].key_len = plen + nlen;
	l->v[l->n].value = value;
	l->n++;
}

/* Point keys into the key buffer once it has stopped moving. */
static void finish_keys(struct bt_scalar_line *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		l->v[i].key = l->keys.ptr + l->offs[i];
}

/* ---- numbers ----------------------------------------------------------------------- */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int word_at(const char *s, size_t n, size_t i, const char *w)
{
	size_t k = strlen(w), j;

	if (n - i < k)
		return 0;
	for (j = 0; j < k; j++)
		if (lower((unsigned char)s[i + j]) != w[j])
			return 0;
	return 1;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/*
 * Scan a number at s[0..n): [+-]? (digits [. digits?] | . digits)
 * ([eE] [+-]? digits)?, or nan, inf, infinity.  Sets *used to the bytes
 * taken; returns 0 when there is no number.  Exact for every input: the
 * common short decimals by Clinger's fast path, the rest by strtod_l.
 */
static int scan_number(const char *s, size_t n, size_t *used, double *out)
{
	size_t i = 0, digits = 0, frac_digits = 0, sig = 0;
	uint64_t mant = 0;
	int neg = 0, exp10 = 0, eneg = 0, e = 0, exact = 1;
	char tmp[128];

	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i < n && !is_digit((unsigned char)s[i]) && s[i] != '.') {
		if (word_at(s, n, i, "infinity")) {
			*used = i + 8;
			*out = neg ? -INFINITY : INFINITY;
			return 1;
		}
		if (word_at(s, n, i, "inf")) {
			*used = i + 3;
			*out = neg ? -INFINITY : INFINITY;
			return 1;
		}
		if (word_at(s, n, i, "nan")) {
			*used = i + 3;
			*out = NAN;
			return 1;
		}
		return 0;
	}
	while (i < n && is_digit((unsigned char)s[i])) {
		if (sig < 19) {
			mant = mant * 10 + (uint64_t)(s[i] - '0');
			if (mant)
				sig++;
		} else {
			exact = 0;
		}
		digits++;
		i++;
	}
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && is_digit((unsigned char)s[i])) {
			if (sig < 19) {
				mant = mant * 10 + (uint64_t)(s[i] - '0');
				if (mant)
					sig++;
				exp10--;
			} else {
				exact = 0;
			}
			frac_digits++;
			i++;
		}
	}
	if (digits + frac_digits == 0)
		return 0;
	if (i + 1 < n && (s[i] == 'e' || s[i] == 'E') &&
	    (is_digit((unsigned char)s[i + 1]) ||
	     ((s[i + 1] == '+' || s[i + 1] == '-') && i + 2 < n &&
	      is_digit((unsigned char)s[i + 2])))) {
		i++;
		if (s[i] == '+' || s[i] == '-')
			eneg = s[i++] == '-';
		while (i < n && is_digit((unsigned char)s[i])) {
			if (e < 100000)
				e = e * 10 + (s[i] - '0');
			i++;
		}
		exp10 += eneg ? -e : e;
	}
	*used = i;
	if (exact && mant < (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
		double v = (double)mant;
		v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
		*out = neg ? -v : v;
		return 1;
	}
	if (i >= sizeof(tmp))
		return 0;
	memcpy(tmp, s, i);
	tmp[i] = '\0';
	pthread_once(&c_locale_once, make_c_locale);
	if (!c_locale)
		return 0;
	{
		locale_t old = uselocale(c_locale);
		*out = strtod(tmp, NULL);
		uselocale(old);
	}
	return 1;
}

int bt_scalars_number(const char *s, size_t len, double *out)
{
	size_t used;

	if (!scan_number(s, len, &used, out) || used != len)
		return BT_EINPUT;
	return 0;
}

/* An integral value that fits a step. */
static int as_step(double v, int64_t *out)
{
	if (!(v >= -9.0e15 && v <= 9.0e15) || v != floor(v))
		return 0;
	*out = (int64_t)v;
	return 1;
}

/* ---- JSON objects ---------------------------------------------------------------------- */

struct jp {
	const char *s;
	size_t n, i;
	struct bt_scalar_line *out;
	struct bt_buf *path; /* "a/b/" prefix of the object being read */
	struct bt_buf *key;  /* the key just read */
	int quiet;           /* inside an array: collect nothing */
};

static void jp_ws(struct jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
	                       p->s[p->i] == '\r'))
		p->i++;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int jp_hex4(struct jp *p, unsigned *out)
{
	unsigned v = 0;
	int k, h;

	if (p->n - p->i < 4)
		return 0;
	for (k = 0; k < 4; k++) {
		h = hexval((unsigned char)p->s[p->i + k]);
		if (h < 0)
			return 0;
		v = v * 16 + (unsigned)h;
	}
	p->i += 4;
	*out = v;
	return 1;
}

static void put_utf8(struct bt_buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	bt_buf_add(b, u, n);
}

/* A string at p->i (the opening quote); decoded into `dst` when not NULL. */
static int jp_string(struct jp *p, struct bt_buf *dst)
{
	size_t start;

	if (p->i >= p->n || p->s[p->i] != '"')
		return 0;
	p->i++;
	for (;;) {
		start = p->i;
		while (p->i < p->n && p->s[p->i] != '"' && p->s[p->i] != '\\' &&
		       (unsigned char)p->s[p->i] >= 0x20)
			p->i++;
		if (dst)
			bt_buf_add(dst, p->s + start, p->i - start);
		if (p->i >= p->n || (unsigned char)p->s[p->i] < 0x20)
			return 0;
		if (p->s[p->i] == '"') {
			p->i++;
			return 1;
		}
		/* an escape */
		if (++p->i >= p->n)
			return 0;
		switch (p->s[p->i++]) {
		case '"':
			if (dst)
				bt_buf_putc(dst, '"');
			break;
		case '\\':
			if (dst)
				bt_buf_putc(dst, '\\');
			break;
		case '/':
			if (dst)
				bt_buf_putc(dst, '/');
			break;
		case 'b':
			if (dst)
				bt_buf_putc(dst, '\b');
			break;
		case 'f':
			if (dst)
				bt_buf_putc(dst, '\f');
			break;
		case 'n':
			if (dst)
				bt_buf_putc(dst, '\n');
			break;
		case 'r':
			if (dst)
				bt_buf_putc(dst, '\r');
			break;
		case 't':
			if (dst)
				bt_buf_putc(dst, '\t');
			break;
		case 'u': {
			unsigned cp, lo;
			if (!jp_hex4(p, &cp))
				return 0;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->n - p->i < 6 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
					return 0;
				p->i += 2;
				if (!jp_hex4(p, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return 0;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return 0;
			}
			/* A NUL cannot be part of a key (keys are C strings): not a line for us. */
			if (cp == 0)
				return 0;
			if (dst)
				put_utf8(dst, cp);
			break;
		}
		default:
			return 0;
		}
	}
}

/* A JSON number, strictly: -?(0|[1-9]digits)(.digits)?([eE][+-]?digits)? */
static int jp_number(struct jp *p, double *out)
{
	size_t j = p->i, used;

	if (j < p->n && p->s[j] == '-')
		j++;
	if (j >= p->n || !is_digit((unsigned char)p->s[j]))
		return 0;
	if (p->s[j] == '0' && j + 1 < p->n && is_digit((unsigned char)p->s[j + 1]))
		return 0;
	if (!scan_number(p->s + p->i, p->n - p->i, &used, out))
		return 0;
	/* scan_number accepts "1." and ".5"; JSON does not. */
	for (j = p->i; j < p->i + used; j++)
		if (p->s[j] == '.' &&
		    (j + 1 >= p->i + used || !is_digit((unsigned char)p->s[j + 1])))
			return 0;
	p->i += used;
	return 1;
}

static int jp_value(struct jp *p, int depth, int top, const char *key, size_t klen);

static int jp_object(struct jp *p, int depth)
{
	size_t path_len = p->path->len;

	if (depth > JSON_MAX_DEPTH || p->i >= p->n || p->s[p->i] != '{')
		return 0;
	p->i++;
	jp_ws(p);
	if (p->i < p->n && p->s[p->i] == '}') {
		p->i++;
		return 1;
	}
	for (;;) {
		jp_ws(p);
		bt_buf_reset(p->key);
		bt_buf_grow(p->key, 0);
		if (!jp_string(p, p->key))
			return 0;
		jp_ws(p);
		if (p->i >= p->n || p->s[p->i] != ':')
			return 0;
		p->i++;
		jp_ws(p);
		/* The key buffer is reused by nested objects: jp_value copies what it keeps. */
		if (!jp_value(p, depth, depth == 0, p->key->ptr, p->key->len))
			return 0;
		p->path->len = path_len;
		if (p->path->ptr)
			p->path->ptr[path_len] = '\0';
		jp_ws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == '}') {
			p->i++;
			return 1;
		}
		return 0;
	}
}

static int jp_skip_array(struct jp *p, int depth)
{
	if (depth > JSON_MAX_DEPTH)
		return 0;
	p->i++; /* '[' */
	jp_ws(p);
	if (p->i < p->n && p->s[p->i] == ']') {
		p->i++;
		return 1;
	}
	for (;;) {
		int ok;
		jp_ws(p);
		p->quiet++;
		ok = jp_value(p, depth + 1, 0, NULL, 0);
		p->quiet--;
		if (!ok)
			return 0;
		jp_ws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == ']') {
			p->i++;
			return 1;
		}
		return 0;
	}
}

/* A value; when `key` is set, numbers become scalars and objects nest under it. */
static int jp_value(struct jp *p, int depth, int top, const char *key, size_t klen)
{
	double v;

	if (p->i >= p->n)
		return 0;
	switch (p->s[p->i]) {
	case '{':
		if (key) {
			size_t before = p->path->len;
			bt_buf_add(p->path, key, klen);
			bt_buf_putc(p->path, '/');
			if (!jp_object(p, depth + 1))
				return 0;
			p->path->len = before;
			return 1;
		}
		return jp_object(p, depth + 1);
	case '[':
		return jp_skip_array(p, depth + 1);
	case '"':
		return jp_string(p, NULL);
	case 't':
		if (p->n - p->i >= 4 && memcmp(p->s + p->i, "true", 4) == 0) {
			p->i += 4;
			return 1;
		}
		return 0;
	case 'f':
		if (p->n - p->i >= 5 && memcmp(p->s + p->i, "false", 5) == 0) {
			p->i += 5;
			return 1;
		}
		return 0;
	case 'n':
		if (p->n - p->i >= 4 && memcmp(p->s + p->i, "null", 4) == 0) {
			p->i += 4;
			return 1;
		}
		return 0;
	default:
		if (!jp_number(p, &v))
			return 0;
		if (!key || p->quiet)
			return 1;
		if (top && klen == 4 && memcmp(key, "step", 4) == 0) {
			if (!as_step(v, &p->out->step))
				return 0;
			p->out->has_step = 1;
		} else if (top && klen == 9 && memcmp(key, "wall_time", 9) == 0) {
			p->out->has_wall = 1;
			p->out->wall = v;
		} else {
			add_scalar(p->out, p->path->ptr ? p->path->ptr : "", p->path->len, key,
			           klen, v);
		}
		return 1;
	}
}

int bt_scalars_parse_json(const char *s, size_t len, struct bt_scalar_line *out)
{
	struct jp p = {s, len, 0, out, &out->jpath, &out->jkey, 0};
	int ok;

	line_reset(out);
	bt_buf_reset(&out->jpath);
	jp_ws(&p);
	ok = jp_object(&p, 0);
	if (ok) {
		jp_ws(&p);
		ok = p.i == p.n;
	}
	if (!ok) {
		line_reset(out);
		return 0;
	}
	finish_keys(out);
	return 1;
}

/* ---- text shapes ------------------------------------------------------------------------ */

static int key_start(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int key_char(int c)
{
	return key_start(c) || is_digit(c) || c == '.' || c == '/' || c == '@' || c == '-';
}

/* May a value end before this byte?  Not before letters, digits, '.', '/' or ':'. */
static int value_ends(const char *s, size_t n, size_t i)
{
	int c;

	if (i >= n)
		return 1;
	c = (unsigned char)s[i];
	if (key_char(c) || c == ':')
		return 0;
	return 1;
}

/* A value at s[i..n): a number, an optional '%', then a proper end.  Sets *end. */
static int text_value(const char *s, size_t n, size_t i, size_t *end, double *v)
{
	size_t used;

	if (!scan_number(s + i, n - i, &used, v))
		return 0;
	i += used;
	if (i < n && s[i] == '%')
		i++;
	if (!value_ends(s, n, i))
		return 0;
	*end = i;
	return 1;
}

static void take_pair(struct bt_scalar_line *out, const char *key, size_t klen, double v)
{
	int64_t step;

	if (klen == 4 && memcmp(key, "step", 4) == 0) {
		if (as_step(v, &step)) {
			out->has_step = 1;
			out->step = step;
		}
		return;
	}
	add_scalar(out, "", 0, key, klen, v);
}

/* key=value, key: value, 'key': value, "key": value anywhere in the line. */
static void parse_pairs(const char *s, size_t n, struct bt_scalar_line *out)
{
	size_t i = 0;

	while (i < n) {
		size_t ks, ke, j, end;
		int c = (unsigned char)s[i];
		int quoted = 0;
		double v;

		if ((c == '\'' || c == '"') && i + 1 < n && key_start((unsigned char)s[i + 1])) {
			/* a quoted key */
			ks = i + 1;
			ke = ks;
			while (ke < n && s[ke] != c && ke - ks <= BT_SERIES_KEY_MAX &&
			       ((unsigned char)s[ke] >= 0x20 && s[ke] != '\\'))
				ke++;
			if (ke >= n || s[ke] != c) {
				i++;
				continue;
			}
			j = ke + 1;
			quoted = 1;
		} else if (key_start(c) && (i == 0 || !key_char((unsigned char)s[i - 1]))) {
			ks = i;
			ke = i;
			while (ke < n && key_char((unsigned char)s[ke]))
				ke++;
			j = ke;
		} else {
			i++;
			continue;
		}
		/* the separator */
		if (j < n && s[j] == ':' &&
		    (quoted || (j + 1 < n && (s[j + 1] == ' ' || s[j + 1] == '\t')))) {
			j++;
		} else {
			size_t k = j;
			while (k < n && (s[k] == ' ' || s[k] == '\t'))
				k++;
			if (k < n && s[k] == '=' && !(k + 1 < n && s[k + 1] == '=')) {
				j = k + 1;
			} else {
				i = quoted ? ke + 1 : ke;
				continue;
			}
		}
		while (j < n && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (!text_value(s, n, j, &end, &v)) {
			i = quoted ? ke + 1 : ke;
			continue;
		}
		/* Trailing '.', '/', '-' are punctuation, not part of a key. */
		while (ke > ks && (s[ke - 1] == '.' || s[ke - 1] == '/' || s[ke - 1] == '-'))
			ke--;
		if (ke > ks && ke - ks <= BT_SERIES_KEY_MAX)
			take_pair(out, s + ks, ke - ks, v);
		i = end;
	}
}

/* Is s[i..) one of the cell bars: '|', U+2502 '│' or U+2503 '┃'? Sets *w to its width. */
static int bar_at(const char *s, size_t n, size_t i, size_t *w)
{
	if (i < n && s[i] == '|') {
		*w = 1;
		return 1;
	}
	if (n - i >= 3 && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x94 &&
	    ((unsigned char)s[i + 2] == 0x82 || (unsigned char)s[i + 2] == 0x83)) {
		*w = 3;
		return 1;
	}
	return 0;
}

static void trim(const char *s, size_t *a, size_t *b)
{
	while (*a < *b && (s[*a] == ' ' || s[*a] == '\t'))
		(*a)++;
	while (*b > *a && (s[*b - 1] == ' ' || s[*b - 1] == '\t'))
		(*b)--;
}

/* A table row of exactly two cells, a key and a number: "│ test_loss │ 0.502 │". */
static int parse_table_row(const char *s, size_t n, struct bt_scalar_line *out)
{
	size_t a = 0, b = n, w, cells[3][2], nc = 0, i, start;
	double v;

	trim(s, &a, &b);
	if (!bar_at(s, b, a, &w))
		return 0;
	start = a + w;
	for (i = start; i < b;) {
		size_t bw;
		if (bar_at(s, b, i, &bw)) {
			if (nc == 3)
				return 0;
			cells[nc][0] = start;
			cells[nc][1] = i;
			nc++;
			i += bw;
			start = i;
		} else {
			i++;
		}
	}
	if (start != b) {
		size_t x = start, y = b;
		trim(s, &x, &y);
		if (x != y)
			return 0; /* text after the last bar */
	}
	if (nc != 2)
		return 0;
	for (i = 0; i < 2; i++)
		trim(s, &cells[i][0], &cells[i][1]);
	if (cells[0][1] == cells[0][0] || !key_start((unsigned char)s[cells[0][0]]))
		return 0;
	for (i = cells[0][0]; i < cells[0][1]; i++)
		if (!key_char((unsigned char)s[i]))
			return 0;
	if (bt_scalars_number(s + cells[1][0], cells[1][1] - cells[1][0], &v))
		return 0;
	take_pair(out, s + cells[0][0], cells[0][1] - cells[0][0], v);
	return 1;
}

/*
 * Copy the line without ANSI escape sequences (CSI "ESC [ ... final",
 * OSC "ESC ] ... BEL or ESC \", and two-byte escapes), NUL-terminated.
 */
static void strip_ansi(const char *s, size_t n, struct bt_buf *out)
{
	size_t i = 0, start = 0;

	bt_buf_reset(out);
	bt_buf_grow(out, n);
	while (i < n) {
		if (s[i] != '\033') {
			i++;
			continue;
		}
		bt_buf_add(out, s + start, i - start);
		i++;
		if (i < n && s[i] == '[') {
			i++;
			while (i < n &&
			       !((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e))
				i++;
			if (i < n)
				i++;
		} else if (i < n && s[i] == ']') {
			while (i < n && s[i] != '\007' &&
			       !(s[i] == '\033' && i + 1 < n && s[i + 1] == '\\'))
				i++;
			if (i < n)
				i += s[i] == '\007' ? 1 : 2;
		} else if (i < n) {
			i++;
		}
		start = i;
	}
	bt_buf_add(out, s + start, n - start);
	if (!out->ptr)
		bt_buf_putc(out, '\0');
}

/* ---- custom patterns --------------------------------------------------------------------- */

struct pattern {
	regex_t re;
	size_t ngroups;
	char **names; /* names[g] for group g (1-based), NULL when unnamed */
	int has_key, has_value, has_other, has_step;
};

struct bt_scalars {
	struct pattern *pats;
	size_t n, cap;
};

struct bt_scalars *bt_scalars_new(void)
{
	return bt_xcalloc(1, sizeof(struct bt_scalars));
}

static void pattern_release(struct pattern *pt)
{
	size_t g;

	regfree(&pt->re);
	for (g = 0; g <= pt->ngroups; g++)
		free(pt->names[g]);
	free(pt->names);
}

void bt_scalars_free(struct bt_scalars *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		pattern_release(&p->pats[i]);
	free(p->pats);
	free(p);
}

/* The index just past the bracket expression that opens at pat[i], or 0 when unterminated. */
static size_t bracket_end(const char *pat, size_t i, size_t n)
{
	/* ']' first is literal, [:class:] nests */
	size_t j = i + 1;

	if (j < n && pat[j] == '^')
		j++;
	if (j < n && pat[j] == ']')
		j++;
	while (j < n && pat[j] != ']') {
		if (pat[j] == '[' && j + 1 < n &&
		    (pat[j + 1] == ':' || pat[j + 1] == '.' || pat[j + 1] == '=')) {
			char close = pat[j + 1];
			j += 2;
			while (j + 1 < n && !(pat[j] == close && pat[j + 1] == ']'))
				j++;
			j += 2;
			continue;
		}
		j++;
	}
	return j < n ? j + 1 : 0;
}

/*
 * Patterns may not expand past this many copies of their atoms.  glibc's
 * regcomp() copies a repeated atom for each repetition it must count
 * ('+' once, {m,n} up to n times), so stacked or nested repetitions such
 * as "a++++++++++++++++++++++++++++++" or "((a{0,200}){0,200}){0,200}"
 * would need gigabytes before regcomp() returns, and its closure
 * computation grows with the square of the copies of an atom that may be
 * empty ("a*" made 4096 copies by "a*++++++++++++" takes five seconds,
 * 512 a twentieth).  Patterns for log lines need a few dozen.
 */
#define PATTERN_MAX_EXPANSION 500.0

/* How many atom copies regcomp() makes of the ERE `pat` (an upper bound). */
static double ere_expansion(const char *pat)
{
	double stack[64], seq = 0, last = 0;
	size_t i = 0, n = strlen(pat), depth = 0;

	while (i < n) {
		char c = pat[i];
		double mult = 1;
		if (c == '\\') {
			seq += last = 1;
			i += 2;
			continue;
		}
		if (c == '[') {
			seq += last = 1;
			i = bracket_end(pat, i, n);
			if (!i)
				break;
			continue;
		}
		if (c == '(') {
			if (depth == BT_ARRAY_SIZE(stack))
				return PATTERN_MAX_EXPANSION * 2;
			stack[depth++] = seq;
			seq = last = 0;
			i++;
			continue;
		}
		if (c == ')' && depth) {
			last = seq ? seq : 1;
			seq = stack[--depth] + last;
			i++;
			continue;
		}
		if (c == '|') {
			last = 0;
			i++;
			continue;
		}
		if (c == '+') {
			mult = 2;
		} else if (c == '{') {
			double m = 0, k = 0;
			size_t j = i + 1;
			for (; j < n && pat[j] >= '0' && pat[j] <= '9'; j++)
				if (m < 1e6)
					m = m * 10 + (pat[j] - '0');
			if (j < n && pat[j] == ',')
				for (j++; j < n && pat[j] >= '0' && pat[j] <= '9'; j++)
					if (k < 1e6)
						k = k * 10 + (pat[j] - '0');
			if (j >= n || pat[j] != '}') {
				/* not an interval: regcomp() refuses it or takes '{' literally */
				seq += last = 1;
				i++;
				continue;
			}
			mult = (m > k ? m : k) + 1;
			i = j; /* the whole interval, so "a{9}{9}" multiplies the 'a' twice */
		} else if (c != '*' && c != '?') {
			seq += last = 1;
			i++;
			continue;
		}
		/* a repetition: the atom before it is copied `mult` times */
		seq += last * (mult - 1);
		last *= mult;
		if (seq > PATTERN_MAX_EXPANSION)
			return seq;
		i++;
	}
	while (depth)
		seq += stack[--depth];
	return seq;
}

/*
 * Rewrite (?<name>...) and (?P<name>...) as plain groups, remembering
 * which group number had which name.  POSIX ERE has no named groups, and
 * every '(' outside a bracket expression opens a numbered one.
 */
static int translate(const char *pat, struct bt_buf *out, char ***names, size_t *ngroups)
{
	size_t i = 0, n = strlen(pat), g = 0;
	char **nm = NULL;
	size_t nm_cap = 0;

	bt_grow(&nm, &nm_cap, 1, sizeof(*nm));
	nm[0] = NULL;
	while (i < n) {
		char c = pat[i];
		if (c == '\\') {
			bt_buf_add(out, pat + i, i + 1 < n ? 2 : 1);
			i += 2;
			continue;
		}
		if (c == '[') {
			/* copy the bracket expression whole */
			size_t j = bracket_end(pat, i, n);
			if (!j)
				goto bad_bracket;
			bt_buf_add(out, pat + i, j - i);
			i = j;
			continue;
		}
		if (c == '(') {
			g++;
			bt_grow(&nm, &nm_cap, g + 1, sizeof(*nm));
			nm[g] = NULL;
			if (i + 1 < n && pat[i + 1] == '?') {
				size_t s = i + 2, e;
				if (s < n && pat[s] == 'P')
					s++;
				if (s >= n || pat[s] != '<')
					goto unsupported;
				s++;
				for (e = s; e < n && pat[e] != '>'; e++)
					if (!key_char((unsigned char)pat[e]))
						goto bad_name;
				if (e >= n || e == s || !key_start((unsigned char)pat[s]))
					goto bad_name;
				nm[g] = bt_xstrndup(pat + s, e - s);
				bt_buf_putc(out, '(');
				i = e + 1;
				continue;
			}
		}
		bt_buf_putc(out, c);
		i++;
	}
	*names = nm;
	*ngroups = g;
	return 0;
bad_bracket:
	bt_error_set(BT_EUSAGE, "unterminated '[' in pattern '%s'", pat);
	goto fail;
unsupported:
	bt_error_set(BT_EUSAGE,
	             "pattern '%s': only named groups (?<name>...) are supported after '(?'", pat);
	goto fail;
bad_name:
	bt_error_set(BT_EUSAGE, "pattern '%s': bad group name", pat);
fail:
	for (i = 0; i <= g && i < nm_cap; i++)
		free(nm[i]);
	free(nm);
	return BT_EUSAGE;
}

int bt_scalars_add_pattern(struct bt_scalars *p, const char *regex)
{
	struct pattern pt;
	struct bt_buf ere = BT_BUF_INIT;
	size_t g;
	int rc;

	memset(&pt, 0, sizeof(pt));
	rc = translate(regex, &ere, &pt.names, &pt.ngroups);
	if (rc) {
		bt_buf_free(&ere);
		return rc;
	}
	if (ere_expansion(bt_buf_cstr(&ere)) > PATTERN_MAX_EXPANSION) {
		for (g = 0; g <= pt.ngroups; g++)
			free(pt.names[g]);
		free(pt.names);
		bt_buf_free(&ere);
		return bt_error_set(BT_EUSAGE,
		                    "pattern '%s' is too complex: its repetitions multiply it "
		                    "past %.0f copies",
		                    regex, PATTERN_MAX_EXPANSION);
	}
	rc = regcomp(&pt.re, bt_buf_cstr(&ere), REG_EXTENDED);
	bt_buf_free(&ere);
	if (rc) {
		char msg[200];
		regerror(rc, &pt.re, msg, sizeof(msg));
		for (g = 0; g <= pt.ngroups; g++)
			free(pt.names[g]);
		free(pt.names);
		return bt_error_set(BT_EUSAGE, "bad pattern '%s': %s", regex, msg);
	}
	for (g = 1; g <= pt.ngroups; g++) {
		const char *nm = pt.names[g];
		if (!nm)
			continue;
		if (strcmp(nm, "key") == 0)
			pt.has_key = 1;
		else if (strcmp(nm, "value") == 0)
			pt.has_value = 1;
		else if (strcmp(nm, "step") == 0)
			pt.has_step = 1;
		else
			pt.has_other = 1;
	}
	if (pt.has_key != pt.has_value || (!pt.has_key && !pt.has_other)) {
		pattern_release(&pt);
		return bt_error_set(BT_EUSAGE,
		                    "pattern '%s' needs a named group for a scalar: (?<loss>...), "
		                    "or both (?<key>...) and (?<value>...)",
		                    regex);
	}
	bt_grow(&p->pats, &p->cap, p->n + 1, sizeof(*p->pats));
	p->pats[p->n++] = pt;
	return 0;
}

/* Every match of one pattern in the (NUL-terminated) line; returns matches found. */
static size_t match_pattern(const struct pattern *pt, const char *line, size_t n,
                            struct bt_scalar_line *out)
{
	regmatch_t m[32];
	size_t nm = pt->ngroups + 1 < 32 ? pt->ngroups + 1 : 32;
	size_t off = 0, found = 0, g, guard = 0;

	while (off <= n && guard++ < 1000 &&
	       regexec(&pt->re, line + off, nm, m, off ? REG_NOTBOL : 0) == 0) {
		const char *key = NULL;
		size_t klen = 0;
		double value = 0;
		int have_value = 0;
		found++;
		for (g = 1; g < nm; g++) {
			const char *name = pt->names[g];
			const char *t;
			size_t len;
			double v;
			int64_t step;
			if (!name || m[g].rm_so < 0)
				continue;
			t = line + off + m[g].rm_so;
			len = (size_t)(m[g].rm_eo - m[g].rm_so);
			if (strcmp(name, "key") == 0) {
				key = t;
				klen = len;
				continue;
			}
			if (bt_scalars_number(t, len, &v))
				continue;
			if (strcmp(name, "value") == 0) {
				value = v;
				have_value = 1;
			} else if (strcmp(name, "step") == 0) {
				if (as_step(v, &step)) {
					out->has_step = 1;
					out->step = step;
				}
			} else {
				add_scalar(out, "", 0, name, strlen(name), v);
			}
		}
		if (key && klen && have_value) {
			size_t i;
			int ok = 1;
			for (i = 0; i < klen; i++)
				if ((unsigned char)key[i] < 0x20)
					ok = 0;
			if (ok)
				add_scalar(out, "", 0, key, klen, value);
		}
		if (m[0].rm_eo == m[0].rm_so)
			off += (size_t)m[0].rm_eo + 1;
		else
			off += (size_t)m[0].rm_eo;
	}
	return found;
}

size_t bt_scalars_parse(const struct bt_scalars *p, const char *line, size_t len,
                        struct bt_scalar_line *out)
{
	const char *s;
	size_t n, i, a = 0, b;
	int matched = 0;

	line_reset(out);
	strip_ansi(line, len, &out->clean);
	s = out->clean.ptr;
	n = out->clean.len;
	if (p && p->n && !memchr(s, '\0', n)) {
		for (i = 0; i < p->n; i++)
			if (match_pattern(&p->pats[i], s, n, out))
				matched = 1;
		if (matched) {
			finish_keys(out);
			return out->n;
		}
	}
	b = n;
	trim(s, &a, &b);
	if (b > a && s[a] == '{' && s[b - 1] == '}') {
		if (bt_scalars_parse_json(s + a, b - a, out))
			return out->n;
	}
	if (!parse_table_row(s, n, out))
		parse_pairs(s, n, out);
	finish_keys(out);
	return out->n;
}
