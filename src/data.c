/*
 * data.c - reading one split of a dataset (CSV or JSON Lines, maybe
 * gzip-compressed) into a table of typed values (data.h).
 *
 * The file is read whole into memory (inflated through zlib when it starts
 * with gzip's magic bytes; nothing is written to disk) and parsed by the
 * hand-written readers below, which keep the source line of every record
 * and the column of every value, and put every string and vector into the
 * split's arena rather than a malloc() each.  JSON Lines files above
 * PARALLEL_MIN bytes are cut into newline-aligned chunks parsed in
 * parallel with OpenMP; the chunks are merged in file order so the result
 * (values, column order, the first error reported) is exactly that of a
 * serial parse.  Columns count characters (UTF-8 code points) from 1, as
 * libyaml's marks do, so an editor's column matches the message.
 *
 * The JSON reader is written here rather than built on jansson: jansson
 * takes about 1.1 us for a typical benchmark line on the project's
 * machines (a malloc per value and a hash table per object) and knows no
 * positions of values, where this reader does the whole split at about
 * 0.2 us a line on two cores.  jansson still reads the rare JSON lists
 * kept as text (task.c).
 *
 * Nothing here knows about tasks, models or the terminal.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "data.h"
#include "error.h"
#include "util.h"

/* Files at least this large are parsed in parallel chunks (JSON Lines only). */
#define PARALLEL_MIN (1u << 20)
/* Zero bytes after the data, so scanners may look one byte past the end. */
#define PAD 64
/* Lines and columns are 32-bit: refuse data beyond this size. */
#define MAX_DATA ((size_t)UINT32_MAX)
/* Nesting limit for JSON values inside a record. */
#define MAX_DEPTH 256

/* --- the arena ------------------------------------------------------------- */

struct bt_arena_block {
	struct bt_arena_block *next;
	size_t used, cap;
	/* 24 bytes of header keep data 8-byte aligned within malloc's alignment */
	unsigned char data[];
};

#define ARENA_FIRST (4u << 10)
#define ARENA_MAX   (1u << 20)

static void *arena_alloc(struct bt_arena *a, size_t n, int lazy)
{
	struct bt_arena_block *b = a->head, *nb;
	size_t cap;
	void *p;

	if (n > SIZE_MAX / 2)
		abort();
	n = n ? (n + 7) & ~(size_t)7 : 8;
	if (!b || b->cap - b->used < n) {
		cap = b ? b->cap * 2 : ARENA_FIRST;
		if (cap > ARENA_MAX)
			cap = ARENA_MAX;
		if (n > cap / 4) {
			/* A large piece gets a block of its own behind the current one,
			 * which keeps its free space for the small pieces to come. */
			nb = lazy ? bt_xmalloc_lazy(sizeof(*nb) + n) : bt_xmalloc(sizeof(*nb) + n);
			nb->cap = nb->used = n;
			if (b) {
				nb->next = b->next;
				b->next = nb;
			} else {
				nb->next = NULL;
				a->head = nb;
			}
			a->used_total += n;
			return nb->data;
		}
		nb = bt_xmalloc(sizeof(*nb) + cap);
		nb->cap = cap;
		nb->used = 0;
		nb->next = b;
		a->head = b = nb;
	}
	p = b->data + b->used;
	b->used += n;
	a->used_total += n;
	return p;
}

void *bt_arena_alloc(struct bt_arena *a, size_t n)
{
	return arena_alloc(a, n, 0);
}

void *bt_arena_alloc_lazy(struct bt_arena *a, size_t n)
{
	return arena_alloc(a, n, 1);
}

char *bt_arena_strndup(struct bt_arena *a, const char *s, size_t n)
{
	char *p = bt_arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void bt_arena_free(struct bt_arena *a)
{
	struct bt_arena_block *b = a->head, *next;

	for (; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->used_total = 0;
}

/* Move every block of `src` into `dst` (behind dst's current block). */
static void arena_adopt(struct bt_arena *dst, struct bt_arena *src)
{
	struct bt_arena_block *tail;

	if (!src->head)
		return;
	if (!dst->head) {
		dst->head = src->head;
	} else {
		for (tail = src->head; tail->next; tail = tail->next)
			;
		tail->next = dst->head->next;
		dst->head->next = src->head;
	}
	dst->used_total += src->used_total;
	src->head = NULL;
	src->used_total = 0;
}

/* --- reading bytes ---------------------------------------------------------- */

static int read_raw(const char *path, char **out, size_t *len)
{
	struct stat st;
	size_t cap, n = 0;
	ssize_t r;
	char *buf;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below) */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return bt_error_set(errno == ENOENT ? BT_ENOTFOUND : BT_EIO,
		                    "cannot open data '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		int err = errno;
		close(fd);
		return bt_error_set(BT_EIO, "cannot read data '%s': %s", path, strerror(err));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return bt_error_set(BT_EINPUT, "data '%s' is a directory", path);
	}
	/*
	 * Data is a file: a FIFO would block or feed us another program's
	 * output, and a device such as /dev/zero never ends.
	 */
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return bt_error_set(BT_EINPUT, "data '%s' is not a regular file", path);
	}
	/* one spare byte beyond the size, so the read that sees the end needs no growth */
	cap = (size_t)st.st_size + PAD + 2;
	buf = bt_xmalloc(cap);
	for (;;) {
		if (cap - n <= PAD + 1) {
			if (cap > MAX_DATA + (size_t)PAD) {
				free(buf);
				close(fd);
				return bt_error_set(BT_EINPUT, "data '%s' is larger than 4 GiB",
				                    path);
			}
			cap *= 2;
			buf = bt_xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n - PAD - 1);
		if (r == 0)
			break;
		if (r < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
			free(buf);
			close(fd);
			return bt_error_set(BT_EIO, "cannot read data '%s': %s", path,
			                    strerror(err));
		}
		n += (size_t)r;
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
}

/* Inflate gzip data (one or more members) into a new padded buffer. */
static int gunzip(const char *path, const unsigned char *in, size_t in_len, char **out,
                  size_t *out_len)
{
	z_stream z;
	size_t cap = in_len < (1u << 14) ? (1u << 16) : in_len * 4, n = 0, fed = 0;
	char *buf;
	int ret;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return bt_error_set(BT_ERROR, "cannot start zlib for '%s'", path);
	buf = bt_xmalloc(cap + PAD + 1);
	for (;;) {
		if (z.avail_in == 0 && fed < in_len) {
			size_t take = in_len - fed > UINT_MAX ? UINT_MAX : in_len - fed;
			z.next_in = (unsigned char *)in + fed;
			z.avail_in = (uInt)take;
			fed += take;
		}
		if (cap == n) {
			if (cap > MAX_DATA) {
				ret = bt_error_set(BT_EINPUT,
				                   "data '%s' is larger than 4 GiB uncompressed",
				                   path);
				goto fail;
			}
			cap *= 2;
			buf = bt_xrealloc(buf, cap + PAD + 1);
		}
		z.next_out = (unsigned char *)buf + n;
		z.avail_out = (uInt)(cap - n > UINT_MAX ? UINT_MAX : cap - n);
		{
			uInt before = z.avail_out;
			ret = inflate(&z, Z_NO_FLUSH);
			n += before - z.avail_out;
		}
		if (ret == Z_STREAM_END) {
			/* Concatenated members are one stream (as gzip -d treats them). */
			if (z.avail_in == 0 && fed == in_len)
				break;
			if (z.avail_in >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
				inflateReset(&z);
				continue;
			}
			ret = bt_error_set(BT_EINPUT,
			                   "data '%s': unexpected bytes after the gzip data", path);
			goto fail;
		}
		if (ret == Z_OK)
			continue;
		if (ret == Z_BUF_ERROR && z.avail_in == 0 && fed == in_len) {
			ret = bt_error_set(BT_EINPUT, "data '%s': truncated gzip data", path);
			goto fail;
		}
		if (ret == Z_BUF_ERROR)
			continue;
		ret = bt_error_set(BT_EINPUT, "data '%s': corrupt gzip data (%s)", path,
		                   z.msg ? z.msg : "inflate failed");
		goto fail;
	}
	inflateEnd(&z);
	*out = buf;
	*out_len = n;
	return 0;
fail:
	inflateEnd(&z);
	free(buf);
	return ret;
}

/*
 * Make `raw` (n bytes in a buffer of at least n + PAD + 1, owned by the
 * caller until this returns 0) ready to parse: inflated when it is gzip
 * data, checked for size, and padded with zero bytes.
 */
static int finish_bytes(const char *path, char *raw, size_t n, char **out, size_t *len)
{
	int rc;

	if (n >= 2 && (unsigned char)raw[0] == 0x1f && (unsigned char)raw[1] == 0x8b) {
		rc = gunzip(path, (unsigned char *)raw, n, out, len);
		free(raw);
		if (rc)
			return rc;
	} else {
		*out = raw;
		*len = n;
	}
	if (*len > MAX_DATA) {
		free(*out);
		return bt_error_set(BT_EINPUT, "data '%s' is larger than 4 GiB", path);
	}
	memset(*out + *len, 0, PAD + 1);
	return 0;
}

static int load_bytes(const char *path, char **out, size_t *len)
{
	char *raw = NULL;
	size_t n = 0;
	int rc = read_raw(path, &raw, &n);

	if (rc)
		return rc;
	return finish_bytes(path, raw, n, out, len);
}

/* --- positions and UTF-8 ---------------------------------------------------- */

/* Characters (UTF-8 lead bytes and ASCII) in [a, b). */
static uint32_t char_count(const char *a, const char *b)
{
	uint32_t n = 0;

	for (; a < b; a++)
		n += ((unsigned char)*a & 0xC0) != 0x80;
	return n;
}

/* Line and character column of `pos`, counting from `start`, which is on line `line0`. */
static void locate(const char *start, const char *pos, uint32_t line0, uint32_t *line,
                   uint32_t *col)
{
	const char *ls = start, *q;

	*line = line0;
	while ((q = memchr(ls, '\n', (size_t)(pos - ls))) != NULL) {
		(*line)++;
		ls = q + 1;
	}
	*col = 1 + char_count(ls, pos);
}

/* The first byte of [p, end) that is not part of valid UTF-8, or NULL. */
static const char *utf8_invalid(const char *p, const char *end)
{
	const unsigned char *s = (const unsigned char *)p, *e = (const unsigned char *)end;

	while (s < e) {
		uint64_t w;
		unsigned c;

		if (e - s >= 8) {
			memcpy(&w, s, 8);
			if (!(w & 0x8080808080808080ull)) {
				s += 8;
				continue;
			}
		}
		c = *s;
		if (c < 0x80) {
			s++;
		} else if (c >= 0xC2 && c <= 0xDF) {
			if (e - s < 2 || (s[1] & 0xC0) != 0x80)
				return (const char *)s;
			s += 2;
		} else if (c >= 0xE0 && c <= 0xEF) {
			if (e - s < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
			    (c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
				return (const char *)s;
			s += 3;
		} else if (c >= 0xF0 && c <= 0xF4) {
			if (e - s < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
			    (s[3] & 0xC0) != 0x80 || (c == 0xF0 && s[1] < 0x90) ||
			    (c == 0xF4 && s[1] > 0x8F))
				return (const char *)s;
			s += 4;
		} else {
			return (const char *)s;
		}
	}
	return NULL;
}

/* --- numbers ------------------------------------------------------------------ */

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* strtod of [s, e) in the C locale, whatever the program's locale. */
static double strtod_c(const char *s, const char *e)
{
	char small[64], *tmp = small, *end;
	size_t n = (size_t)(e - s);
	locale_t old = (locale_t)0;
	double v;

	if (n >= sizeof(small))
		tmp = bt_xmalloc(n + 1);
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	pthread_once(&c_locale_once, c_locale_init);
	if (c_locale)
		old = uselocale(c_locale);
	v = strtod(tmp, &end);
	if (c_locale)
		uselocale(old);
	if (tmp != small)
		free(tmp);
	return v;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#define IS_DIGIT(c) ((unsigned)((c) - '0') < 10u)

/*
 * Scan a number at p.  JSON's grammar when `lenient` is 0; with it (CSV
 * cells) also a leading '+', leading zeros, ".5" and "5.".  Returns the
 * end of the number, or NULL when p does not start one; *value is the
 * correctly rounded double (Clinger's fast path, else strtod), possibly
 * infinite when out of range.
 */
static const char *scan_number(const char *p, int lenient, double *value)
{
	const char *s = p;
	uint64_t m = 0;
	int nd = 0, e10 = 0, exact = 1, neg = 0, digits = 0;
	long ex = 0;

	if (*p == '-' || (lenient && *p == '+')) {
		neg = *p == '-';
		p++;
	}
	if (!lenient && *p == '0') {
		p++;
		digits = 1;
	} else {
		if (!lenient && !IS_DIGIT(*p))
			return NULL;
		for (; IS_DIGIT(*p); p++, digits++) {
			if (nd < 19) {
				m = m * 10 + (uint64_t)(*p - '0');
				nd += m != 0;
			} else {
				exact = 0;
				e10++;
			}
		}
	}
	if (*p == '.') {
		const char *f = ++p;
		for (; IS_DIGIT(*p); p++) {
			if (nd < 19) {
				m = m * 10 + (uint64_t)(*p - '0');
				nd += m != 0;
				e10--;
			} else if (*p != '0') {
				exact = 0;
			}
		}
		if (p == f && (!lenient || !digits))
			return NULL;
		digits += (int)(p - f);
	}
	if (!digits)
		return NULL;
	if (*p == 'e' || *p == 'E') {
		int eneg = 0;
		p++;
		if (*p == '+' || *p == '-')
			eneg = *p++ == '-';
		if (!IS_DIGIT(*p))
			return NULL;
		for (; IS_DIGIT(*p); p++)
			if (ex < 100000)
				ex = ex * 10 + (*p - '0');
		ex = eneg ? -ex : ex;
	}
	ex += e10;
	if (exact && m <= (1ull << 53) && ex >= -22 && ex <= 22) {
		double d = (double)m;
		d = ex >= 0 ? d * pow10_exact[ex] : d / pow10_exact[-ex];
		*value = neg ? -d : d;
	} else if (m == 0 && exact) {
		*value = neg ? -0.0 : 0.0;
	} else {
		*value = strtod_c(s, p);
	}
	return p;
}

/* --- errors from parsers (possibly on other threads) ----------------------- */

struct perr {
	int code;        /* 0: none */
	const char *pos; /* where, in the data buffer */
	char msg[320];
};

static int perr_set(struct perr *e, const char *pos, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int perr_set(struct perr *e, const char *pos, const char *fmt, ...)
{
	va_list ap;

	e->code = BT_EINPUT;
	e->pos = pos;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return BT_EINPUT;
}

/* Turn a parser error into the thread's error, located from `base` (line 1, column 1). */
static int perr_raise(const struct perr *e, const char *path, const char *base)
{
	uint32_t line, col;

	locate(base, e->pos, 1, &line, &col);
	return bt_error_set(e->code, "%s:%u:%u: %s", path, line, col, e->msg);
}

/* --- columns ------------------------------------------------------------------ */

/* Names → indices (open addressing over FNV-1a; indices stored + 1). */
struct colmap {
	char **names;
	size_t *lens;
	uint64_t *hashes;
	size_t n, cap;
	uint32_t *slots;
	size_t nslots;
};

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void colmap_rehash(struct colmap *m)
{
	size_t i, j;

	free(m->slots);
	m->nslots = m->nslots ? m->nslots * 2 : 32;
	m->slots = bt_xcalloc(m->nslots, sizeof(*m->slots));
	for (i = 0; i < m->n; i++) {
		for (j = m->hashes[i] & (m->nslots - 1); m->slots[j]; j = (j + 1) & (m->nslots - 1))
			;
		m->slots[j] = (uint32_t)i + 1;
	}
}

static long colmap_find(const struct colmap *m, const char *s, size_t n, uint64_t h)
{
	size_t j;

	if (!m->nslots)
		return -1;
	for (j = h & (m->nslots - 1); m->slots[j]; j = (j + 1) & (m->nslots - 1)) {
		size_t c = m->slots[j] - 1;
		if (m->hashes[c] == h && m->lens[c] == n && memcmp(m->names[c], s, n) == 0)
			return (long)c;
	}
	return -1;
}

/* Add a name (copied into `arena`) and return its index. */
static size_t colmap_add(struct colmap *m, struct bt_arena *arena, const char *s, size_t n,
                         uint64_t h)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->names = bt_xrealloc(m->names, m->cap * sizeof(*m->names));
		m->lens = bt_xrealloc(m->lens, m->cap * sizeof(*m->lens));
		m->hashes = bt_xrealloc(m->hashes, m->cap * sizeof(*m->hashes));
	}
	m->names[m->n] = bt_arena_strndup(arena, s, n);
	m->lens[m->n] = n;
	m->hashes[m->n] = h;
	m->n++;
	if (m->n * 2 > m->nslots)
		colmap_rehash(m);
	else {
		size_t j;
		for (j = h & (m->nslots - 1); m->slots[j]; j = (j + 1) & (m->nslots - 1))
			;
		m->slots[j] = (uint32_t)m->n;
	}
	return m->n - 1;
}

static void colmap_free(struct colmap *m)
{
	free(m->names);
	free(m->lens);
	free(m->hashes);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* --- JSON Lines -------------------------------------------------------------- */

/* Byte classes inside a JSON string: 0 plain, else needs a look. */
enum { SC_PLAIN = 0, SC_QUOTE, SC_ESCAPE, SC_CONTROL, SC_HIGH };
static const unsigned char string_class[256] = {
        [0 ... 0x1f] = SC_CONTROL,
        ['"'] = SC_QUOTE,
        ['\\'] = SC_ESCAPE,
        [0x80 ... 0xff] = SC_HIGH,
};

/*
 * One newline-aligned piece of a JSON Lines buffer, parsed on its own
 * into a row-major table whose stride may exceed the columns seen so far
 * (it doubles when a record brings a new key, so late keys cost
 * amortised O(1) per row).
 */
struct jchunk {
	const char *start, *end; /* end is just past a '\n', or the end of the data */
	size_t limit;            /* stop after this many records (0: no limit) */
	struct colmap cols;
	size_t stride;
	struct bt_value *vals;
	uint32_t *vcols;
	uint32_t *lines; /* line within the chunk, from 0 */
	size_t n, cap;
	/*
	 * 0 while the table is the chunk's slice of one table shared by all
	 * chunks (sized from newline counts, with the first record's width),
	 * so the usual file needs no second copy; 1 once the chunk has had to
	 * move to a table of its own (a record with more keys than that).
	 */
	int owned;
	uint32_t nlines; /* newlines consumed */
	uint32_t *seen;  /* per column: 1 + the record that last set it */
	size_t *order;   /* the columns of the previous record, in key order */
	size_t norder;
	size_t seen_cap;
	int nonascii; /* the current line has non-ASCII text */
	double *scratch;
	size_t scratch_cap;
	struct bt_buf tmp;
	struct bt_arena arena;
	struct perr err;
};

#define JWS(p)                                                      \
	do {                                                        \
		while (*(p) == ' ' || *(p) == '\t' || *(p) == '\r') \
			(p)++;                                      \
	} while (0)

static int at_eol(const struct jchunk *c, const char *p)
{
	return *p == '\n' || p >= c->end;
}

static int jerr_unexpected(struct jchunk *c, const char *p, const char *what)
{
	if (at_eol(c, p))
		return perr_set(&c->err, p, "unexpected end of line in a record (truncated?)");
	if (*p == '\0')
		return perr_set(&c->err, p, "NUL byte in JSON data");
	if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
		return perr_set(&c->err, p, "unexpected character; expected %s", what);
	return perr_set(&c->err, p, "unexpected '%c'; expected %s", *p, what);
}

static int hexval(int c)
{
	if (IS_DIGIT(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_hex4(const char *p)
{
	int a = hexval(p[0]), b, c, d;

	if (a < 0 || (b = hexval(p[1])) < 0 || (c = hexval(p[2])) < 0 || (d = hexval(p[3])) < 0)
		return -1;
	return a << 12 | b << 8 | c << 4 | d;
}

static void put_utf8(struct bt_buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	bt_buf_add(b, u, n);
}

/*
 * A JSON string starting at the opening quote *pp.  With `decode`, its
 * value goes to *out and *len: a span of the input when it has no escapes
 * (*out points into the data, not NUL-terminated), else decoded into
 * c->tmp.  Without, it is only checked.  *pp moves past the closing quote.
 */
static int json_string(struct jchunk *c, const char **pp, int decode, const char **out, size_t *len)
{
	const char *p = *pp + 1, *s = p;
	int escaped = 0;

	for (;;) {
		unsigned char k;
		while ((k = string_class[(unsigned char)*p]) == SC_PLAIN)
			p++;
		if (k == SC_QUOTE)
			break;
		if (k == SC_HIGH) {
			c->nonascii = 1;
			p++;
			continue;
		}
		if (k == SC_CONTROL) {
			if (at_eol(c, p))
				return perr_set(&c->err, p,
				                "unexpected end of line in a string (truncated?)");
			return perr_set(&c->err, p, "control character in a string (escape it)");
		}
		/* an escape */
		if (decode && !escaped) {
			escaped = 1;
			bt_buf_reset(&c->tmp);
			bt_buf_add(&c->tmp, s, (size_t)(p - s));
		} else if (decode) {
			/* the plain run since the last escape (s tracks it) */
			bt_buf_add(&c->tmp, s, (size_t)(p - s));
		}
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
			if (decode)
				bt_buf_putc(&c->tmp, p[1]);
			p += 2;
			break;
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			if (decode)
				bt_buf_putc(&c->tmp, p[1] == 'b'   ? '\b'
				                     : p[1] == 'f' ? '\f'
				                     : p[1] == 'n' ? '\n'
				                     : p[1] == 'r' ? '\r'
				                                   : '\t');
			p += 2;
			break;
		case 'u': {
			int cp = read_hex4(p + 2);
			if (cp < 0)
				return perr_set(&c->err, p,
				                "invalid \\u escape (needs 4 hex digits)");
			p += 6;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				int lo = p[0] == '\\' && p[1] == 'u' ? read_hex4(p + 2) : -1;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return perr_set(&c->err, p - 6,
					                "invalid \\u escape (unpaired surrogate)");
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				p += 6;
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				return perr_set(&c->err, p - 6,
				                "invalid \\u escape (unpaired surrogate)");
			}
			if (cp == 0 && decode)
				return perr_set(
				        &c->err, p - 6,
				        "strings may not contain \\u0000 (a NUL character)");
			if (decode)
				put_utf8(&c->tmp, (unsigned)cp);
			break;
		}
		default:
			if (at_eol(c, p + 1))
				return perr_set(&c->err, p + 1,
				                "unexpected end of line in a string (truncated?)");
			return perr_set(&c->err, p, "invalid escape in a string");
		}
		s = p;
	}
	if (decode) {
		if (escaped) {
			bt_buf_add(&c->tmp, s, (size_t)(p - s));
			*out = c->tmp.ptr;
			*len = c->tmp.len;
		} else {
			*out = s;
			*len = (size_t)(p - s);
		}
	}
	*pp = p + 1;
	return 0;
}

/*
 * Check any JSON value at *pp and append its compact form (insignificant
 * blanks removed, strings as written) to c->tmp.
 */
static int json_generic(struct jchunk *c, const char **pp, int depth)
{
	const char *p = *pp, *s;
	double d;

	if (depth > MAX_DEPTH)
		return perr_set(&c->err, p, "JSON nested more than %d levels deep", MAX_DEPTH);
	switch (*p) {
	case '{':
	case '[': {
		char close = *p == '{' ? '}' : ']';
		int object = *p == '{';
		bt_buf_putc(&c->tmp, *p);
		p++;
		JWS(p);
		if (*p == close) {
			bt_buf_putc(&c->tmp, close);
			*pp = p + 1;
			return 0;
		}
		for (;;) {
			if (object) {
				if (*p != '"')
					return jerr_unexpected(c, p, "a key in double quotes");
				s = p;
				if (json_string(c, &p, 0, NULL, NULL))
					return BT_EINPUT;
				bt_buf_add(&c->tmp, s, (size_t)(p - s));
				JWS(p);
				if (*p != ':')
					return jerr_unexpected(c, p, "':'");
				bt_buf_putc(&c->tmp, ':');
				p++;
				JWS(p);
			}
			if (json_generic(c, &p, depth + 1))
				return BT_EINPUT;
			JWS(p);
			if (*p == ',') {
				bt_buf_putc(&c->tmp, ',');
				p++;
				JWS(p);
				continue;
			}
			if (*p == close) {
				bt_buf_putc(&c->tmp, close);
				p++;
				break;
			}
			return jerr_unexpected(c, p, object ? "',' or '}'" : "',' or ']'");
		}
		break;
	}
	case '"':
		s = p;
		if (json_string(c, &p, 0, NULL, NULL))
			return BT_EINPUT;
		bt_buf_add(&c->tmp, s, (size_t)(p - s));
		break;
	case 't':
	case 'f':
	case 'n': {
		const char *lit = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
		size_t n = strlen(lit);
		if (strncmp(p, lit, n) != 0)
			return perr_set(&c->err, p,
			                "invalid literal (expected true, false or null)");
		bt_buf_add(&c->tmp, lit, n);
		p += n;
		break;
	}
	default:
		if (*p == '-' || IS_DIGIT(*p)) {
			s = p;
			p = scan_number(p, 0, &d);
			if (!p)
				return perr_set(&c->err, s, "invalid number");
			bt_buf_add(&c->tmp, s, (size_t)(p - s));
			break;
		}
		return jerr_unexpected(c, p, "a value");
	}
	*pp = p;
	return 0;
}

/* A top-level value of a record into *v. */
static int json_value(struct jchunk *c, const char **pp, struct bt_value *v)
{
	const char *p = *pp, *s;
	size_t n;
	double d;

	switch (*p) {
	case '"':
		if (json_string(c, &p, 1, &s, &n))
			return BT_EINPUT;
		v->type = BENCHTOP_FIELD_TEXT;
		v->text = bt_arena_strndup(&c->arena, s, n);
		v->text_len = n;
		break;
	case 't':
	case 'f':
		if (strncmp(p, "true", 4) == 0) {
			v->number = 1;
			v->text = "true";
			v->text_len = 4;
			p += 4;
		} else if (strncmp(p, "false", 5) == 0) {
			v->number = 0;
			v->text = "false";
			v->text_len = 5;
			p += 5;
		} else {
			return perr_set(&c->err, p,
			                "invalid literal (expected true, false or null)");
		}
		v->type = BENCHTOP_FIELD_NUMBER;
		break;
	case 'n':
		if (strncmp(p, "null", 4) != 0)
			return perr_set(&c->err, p,
			                "invalid literal (expected true, false or null)");
		p += 4;
		break;
	case '[': {
		/* The common case, an array of numbers, becomes a vector directly. */
		const char *q = p + 1;
		size_t k = 0;
		JWS(q);
		if (*q == ']') {
			q++;
			goto vector;
		}
		for (;;) {
			if (*q != '-' && !IS_DIGIT(*q))
				goto generic;
			s = q;
			q = scan_number(q, 0, &d);
			if (!q)
				return perr_set(&c->err, s, "invalid number");
			if (!isfinite(d))
				return perr_set(&c->err, s, "number '%.*s' is out of range",
				                (int)(q - s > 40 ? 40 : q - s), s);
			if (k == c->scratch_cap) {
				c->scratch_cap = c->scratch_cap ? c->scratch_cap * 2 : 64;
				c->scratch = bt_xrealloc(c->scratch,
				                         c->scratch_cap * sizeof(*c->scratch));
			}
			c->scratch[k++] = d;
			JWS(q);
			if (*q == ',') {
				q++;
				JWS(q);
				continue;
			}
			if (*q == ']') {
				q++;
				break;
			}
			goto generic;
		}
	vector:
		v->type = BENCHTOP_FIELD_VECTOR;
		if (k) {
			double *vec = bt_arena_alloc(&c->arena, k * sizeof(double));
			memcpy(vec, c->scratch, k * sizeof(double));
			v->vector = vec;
		} else {
			v->vector = bt_arena_alloc(&c->arena, sizeof(double));
		}
		v->vector_len = k;
		p = q;
		break;
	}
	generic:
		/* fall through */
	case '{':
		bt_buf_reset(&c->tmp);
		if (json_generic(c, &p, 1))
			return BT_EINPUT;
		v->type = BENCHTOP_FIELD_JSON;
		v->text = bt_arena_strndup(&c->arena, c->tmp.ptr, c->tmp.len);
		v->text_len = c->tmp.len;
		break;
	default:
		if (*p == '-' || IS_DIGIT(*p)) {
			s = p;
			p = scan_number(p, 0, &d);
			if (!p)
				return perr_set(&c->err, s, "invalid number");
			if (!isfinite(d))
				return perr_set(&c->err, s, "number '%.*s' is out of range",
				                (int)(p - s > 40 ? 40 : p - s), s);
			v->type = BENCHTOP_FIELD_NUMBER;
			v->number = d;
			v->text = bt_arena_strndup(&c->arena, s, (size_t)(p - s));
			v->text_len = (size_t)(p - s);
			break;
		}
		return jerr_unexpected(c, p, "a value");
	}
	*pp = p;
	return 0;
}

/* Widen the chunk's table so a row holds `want` columns. */
static void jchunk_widen(struct jchunk *c, size_t want)
{
	size_t stride = c->stride ? c->stride : 4, r, cap = c->cap > 64 ? c->cap : 64;
	struct bt_value *vals;
	uint32_t *vcols, *lines;

	while (stride < want)
		stride *= 2;
	if (stride == c->stride)
		return;
	vals = bt_xcalloc(cap * stride, sizeof(*vals));
	vcols = bt_xcalloc(cap * stride, sizeof(*vcols));
	lines = bt_xcalloc(cap, sizeof(*lines));
	for (r = 0; r < c->n; r++) {
		memcpy(vals + r * stride, c->vals + r * c->stride, c->stride * sizeof(*vals));
		memcpy(vcols + r * stride, c->vcols + r * c->stride, c->stride * sizeof(*vcols));
	}
	if (c->n)
		memcpy(lines, c->lines, c->n * sizeof(*lines));
	if (c->owned) {
		free(c->vals);
		free(c->vcols);
		free(c->lines);
	}
	c->vals = vals;
	c->vcols = vcols;
	c->lines = lines;
	c->cap = cap;
	c->stride = stride;
	c->owned = 1;
}

static size_t jchunk_new_row(struct jchunk *c)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		if (!c->owned) /* cannot happen: the slice has a row for every line */
			jchunk_widen(c, c->stride + 1);
		c->vals = bt_xrealloc(c->vals, cap * c->stride * sizeof(*c->vals));
		c->vcols = bt_xrealloc(c->vcols, cap * c->stride * sizeof(*c->vcols));
		c->lines = bt_xrealloc(c->lines, cap * sizeof(*c->lines));
		c->cap = cap;
	}
	memset(c->vals + c->n * c->stride, 0, c->stride * sizeof(*c->vals));
	memset(c->vcols + c->n * c->stride, 0, c->stride * sizeof(*c->vcols));
	return c->n++;
}

/* The column of a key, learning new ones; `k` is the key's position in its record. */
static long jchunk_column(struct jchunk *c, const char *key, size_t n, size_t k)
{
	uint64_t h;
	long col;

	if (k < c->norder) {
		size_t guess = c->order[k];
		if (c->cols.lens[guess] == n && memcmp(c->cols.names[guess], key, n) == 0)
			return (long)guess;
	}
	h = fnv1a(key, n);
	col = colmap_find(&c->cols, key, n, h);
	if (col >= 0)
		return col;
	col = (long)colmap_add(&c->cols, &c->arena, key, n, h);
	if (c->cols.n > c->stride)
		jchunk_widen(c, c->cols.n);
	if (c->cols.n > c->seen_cap) {
		size_t old = c->seen_cap;
		c->seen_cap = c->stride;
		c->seen = bt_xrealloc(c->seen, c->seen_cap * sizeof(*c->seen));
		c->order = bt_xrealloc(c->order, c->seen_cap * sizeof(*c->order));
		memset(c->seen + old, 0, (c->seen_cap - old) * sizeof(*c->seen));
	}
	return col;
}

/* Parse one line at *pp (a record, or a blank line) and move past its newline. */
static int jchunk_line(struct jchunk *c, const char **pp)
{
	const char *p = *pp, *ls = p, *keyp, *key;
	size_t row, k = 0, klen;
	struct bt_value *vals;
	uint32_t *vcols;
	long col;

	JWS(p);
	if (at_eol(c, p))
		goto eol;
	if (*p != '{') {
		const char *what = *p == '['                   ? "an array"
		                   : *p == '"'                 ? "a string"
		                   : *p == '-' || IS_DIGIT(*p) ? "a number"
		                   : *p == 't' || *p == 'f'    ? "a boolean"
		                   : *p == 'n'                 ? "null"
		                                               : NULL;
		if (what)
			return perr_set(&c->err, p, "a record must be a JSON object, not %s", what);
		return jerr_unexpected(c, p, "'{' (a record is one JSON object per line)");
	}
	p++;
	c->nonascii = 0;
	row = jchunk_new_row(c);
	c->lines[row] = c->nlines;
	JWS(p);
	if (*p == '}') {
		p++;
		goto done;
	}
	for (;;) {
		if (*p != '"')
			return jerr_unexpected(c, p, "a key in double quotes");
		keyp = p;
		if (json_string(c, &p, 1, &key, &klen))
			return BT_EINPUT;
		col = jchunk_column(c, key, klen, k);
		if (c->seen[col] == row + 1)
			return perr_set(&c->err, keyp, "duplicate key '%.60s' in a record",
			                c->cols.names[col]);
		c->seen[col] = (uint32_t)row + 1;
		c->order[k++] = (size_t)col;
		JWS(p);
		if (*p != ':')
			return jerr_unexpected(c, p, "':' after a key");
		p++;
		JWS(p);
		vals = c->vals + row * c->stride;
		vcols = c->vcols + row * c->stride;
		vcols[col] = (uint32_t)(p - ls + 1);
		if (json_value(c, &p, &vals[col]))
			return BT_EINPUT;
		JWS(p);
		if (*p == ',') {
			p++;
			JWS(p);
			continue;
		}
		if (*p == '}') {
			p++;
			break;
		}
		return jerr_unexpected(c, p, "',' or '}'");
	}
done:
	c->norder = k;
	JWS(p);
	if (!at_eol(c, p))
		return perr_set(&c->err, p,
		                "unexpected text after the record (one object per line)");
	if (c->nonascii) {
		/* Byte offsets to character columns, walking the keys in line order. */
		const char *from = ls;
		uint32_t chars = 1, *vc = c->vcols + row * c->stride;
		size_t i;
		for (i = 0; i < k; i++) {
			const char *at = ls + vc[c->order[i]] - 1;
			chars += char_count(from, at);
			from = at;
			vc[c->order[i]] = chars;
		}
	}
eol:
	if (*p == '\n') {
		p++;
		c->nlines++;
	}
	*pp = p;
	return 0;
}

static void jchunk_parse(struct jchunk *c)
{
	const char *p = c->start, *bad, *bad_line = NULL;

	/*
	 * Text is checked for UTF-8 up front; the records before the line of
	 * the first bad byte are still parsed so that an earlier error wins,
	 * as it would for a reader going line by line.
	 */
	bad = utf8_invalid(c->start, c->end);
	if (bad)
		for (bad_line = bad; bad_line > c->start && bad_line[-1] != '\n'; bad_line--)
			;
	while (p < c->end) {
		if (bad && p >= bad_line) {
			perr_set(&c->err, bad, "invalid UTF-8");
			return;
		}
		if (jchunk_line(c, &p))
			return;
		if (c->limit && c->n >= c->limit)
			return;
	}
}

static void jchunk_free(struct jchunk *c)
{
	colmap_free(&c->cols);
	if (c->owned) {
		free(c->vals);
		free(c->vcols);
		free(c->lines);
	}
	free(c->seen);
	free(c->order);
	free(c->scratch);
	bt_buf_free(&c->tmp);
	bt_arena_free(&c->arena);
}

/* The number of keys of the first record, to size the shared table (1 if unknown). */
static size_t first_record_width(const char *start, const char *end)
{
	struct jchunk c;
	const char *p = start, *nl;
	size_t w;

	/* Only the first record's line: a parse checks the UTF-8 of all it is given. */
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	nl = memchr(p, '\n', (size_t)(end - p));
	memset(&c, 0, sizeof(c));
	c.start = start;
	c.end = nl ? nl + 1 : end;
	c.limit = 1;
	jchunk_widen(&c, 4);
	c.seen_cap = c.stride;
	c.seen = bt_xcalloc(c.seen_cap, sizeof(*c.seen));
	c.order = bt_xcalloc(c.seen_cap, sizeof(*c.order));
	jchunk_parse(&c);
	w = c.err.code || c.cols.n == 0 ? 1 : c.cols.n;
	jchunk_free(&c);
	return w;
}

static size_t count_newlines(const char *p, const char *end)
{
	size_t n = 0;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

static int jsonl_read(struct bt_split *out, const char *buf, size_t len, size_t limit)
{
	const char *start = buf, *end = buf + len;
	struct jchunk *ch;
	struct colmap global = {0};
	size_t nch = 1, k, i, total = 0, total_cap = 0, stride, **maps = NULL, *row0 = NULL, *base;
	struct bt_value *shared_vals;
	uint32_t *shared_cols, *shared_lines, *line0 = NULL;
	int rc = 0, fast;

	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		start += 3;
#ifdef _OPENMP
	if (!limit && len >= PARALLEL_MIN) {
		int t = omp_get_max_threads();
		nch = t > 1 ? (size_t)(t > 64 ? 64 : t) : 1;
	}
#endif
	ch = bt_xcalloc(nch, sizeof(*ch));
	base = bt_xcalloc(nch, sizeof(*base));
	for (k = 0; k < nch; k++) {
		const char *b = k ? ch[k - 1].end : start;
		const char *e = end;
		if (k + 1 < nch) {
			const char *cut = start + (size_t)(end - start) * (k + 1) / nch, *nl;
			if (cut < b)
				cut = b;
			nl = memchr(cut, '\n', (size_t)(end - cut));
			e = nl ? nl + 1 : end;
		}
		ch[k].start = b;
		ch[k].end = e;
		ch[k].limit = limit;
	}
	/*
	 * One table for every chunk: a row per line (the last line may lack
	 * its newline), as wide as the first record.  Each chunk fills its
	 * slice; one that meets a wider record moves to a table of its own.
	 */
#pragma omp parallel for schedule(static, 1) num_threads((int)nch) if (nch > 1)
	for (k = 0; k < nch; k++)
		ch[k].cap = count_newlines(ch[k].start, ch[k].end) + (k + 1 == nch);
	if (limit)
		ch[0].cap = ch[0].cap < limit ? ch[0].cap : limit;
	for (k = 0; k < nch; k++) {
		base[k] = total_cap;
		total_cap += ch[k].cap;
	}
	stride = first_record_width(start, end);
	/* mapped by the chunks' threads, each its own slice (below) */
	shared_vals = bt_xmalloc_lazy((total_cap ? total_cap : 1) * stride * sizeof(*shared_vals));
	shared_cols = bt_xmalloc_lazy((total_cap ? total_cap : 1) * stride * sizeof(*shared_cols));
	shared_lines = bt_xmalloc_lazy((total_cap ? total_cap : 1) * sizeof(*shared_lines));
	for (k = 0; k < nch; k++) {
		ch[k].stride = stride;
		ch[k].vals = shared_vals + base[k] * stride;
		ch[k].vcols = shared_cols + base[k] * stride;
		ch[k].lines = shared_lines + base[k];
		ch[k].seen_cap = stride;
		ch[k].seen = bt_xcalloc(stride, sizeof(*ch[k].seen));
		ch[k].order = bt_xcalloc(stride, sizeof(*ch[k].order));
	}
#pragma omp parallel for schedule(static, 1) num_threads((int)nch) if (nch > 1)
	for (k = 0; k < nch; k++) {
		bt_prefault(ch[k].vals, ch[k].cap * stride * sizeof(*ch[k].vals));
		bt_prefault(ch[k].vcols, ch[k].cap * stride * sizeof(*ch[k].vcols));
		bt_prefault(ch[k].lines, ch[k].cap * sizeof(*ch[k].lines));
		jchunk_parse(&ch[k]);
	}

	for (k = 0; k < nch; k++) {
		if (ch[k].err.code) {
			rc = perr_raise(&ch[k].err, out->path, start);
			goto out;
		}
	}

	/* Columns in the order a serial reader would have met them. */
	maps = bt_xcalloc(nch, sizeof(*maps));
	row0 = bt_xcalloc(nch, sizeof(*row0));
	line0 = bt_xcalloc(nch, sizeof(*line0));
	fast = 1;
	for (k = 0; k < nch; k++) {
		maps[k] = bt_xcalloc(ch[k].cols.n + 1, sizeof(**maps));
		for (i = 0; i < ch[k].cols.n; i++) {
			long g = colmap_find(&global, ch[k].cols.names[i], ch[k].cols.lens[i],
			                     ch[k].cols.hashes[i]);
			if (g < 0)
				g = (long)colmap_add(&global, &out->arena, ch[k].cols.names[i],
				                     ch[k].cols.lens[i], ch[k].cols.hashes[i]);
			maps[k][i] = (size_t)g;
			fast &= (size_t)g == i;
		}
		fast &= !ch[k].owned;
		row0[k] = total;
		line0[k] = k ? line0[k - 1] + ch[k - 1].nlines : 1;
		total += ch[k].n;
	}
	fast &= global.n == stride;
	if (total == 0) {
		struct perr e = {0};
		perr_set(&e, end, "no records (the file is empty)");
		rc = perr_raise(&e, out->path, start);
		goto out;
	}
	out->ncols = global.n;
	out->cols = bt_xcalloc(global.n ? global.n : 1, sizeof(*out->cols));
	for (i = 0; i < global.n; i++)
		out->cols[i] = global.names[i];
	out->n = total;
	if (fast) {
		/* The shared table is the split: close the gaps blank lines left. */
		for (k = 1; k < nch; k++) {
			if (row0[k] == base[k] || !ch[k].n)
				continue;
			memmove(shared_vals + row0[k] * stride, shared_vals + base[k] * stride,
			        ch[k].n * stride * sizeof(*shared_vals));
			memmove(shared_cols + row0[k] * stride, shared_cols + base[k] * stride,
			        ch[k].n * stride * sizeof(*shared_cols));
			memmove(shared_lines + row0[k], shared_lines + base[k],
			        ch[k].n * sizeof(*shared_lines));
		}
		out->values = shared_vals;
		out->columns = shared_cols;
		out->lines = shared_lines;
		shared_vals = NULL;
		shared_cols = shared_lines = NULL;
#pragma omp parallel for schedule(static, 1) num_threads((int)nch) if (nch > 1)
		for (k = 0; k < nch; k++)
			for (i = 0; i < ch[k].n; i++)
				out->lines[row0[k] + i] += line0[k];
		if (total < total_cap) {
			out->values =
			        bt_xrealloc(out->values, total * stride * sizeof(*out->values));
			out->columns =
			        bt_xrealloc(out->columns, total * stride * sizeof(*out->columns));
			out->lines = bt_xrealloc(out->lines, total * sizeof(*out->lines));
		}
	} else {
		size_t g = global.n;
		out->values = bt_xmalloc(total * (g ? g : 1) * sizeof(*out->values));
		out->columns = bt_xmalloc(total * (g ? g : 1) * sizeof(*out->columns));
		out->lines = bt_xmalloc(total * sizeof(*out->lines));
#pragma omp parallel for schedule(static, 1) num_threads((int)nch) if (nch > 1)
		for (k = 0; k < nch; k++) {
			struct jchunk *c = &ch[k];
			size_t r, l, nl = c->cols.n;
			int identity = 1;
			for (l = 0; l < nl; l++)
				identity &= maps[k][l] == l;
			for (r = 0; r < c->n; r++) {
				struct bt_value *dv = out->values + (row0[k] + r) * g;
				uint32_t *dc = out->columns + (row0[k] + r) * g;
				const struct bt_value *sv = c->vals + r * c->stride;
				const uint32_t *sc = c->vcols + r * c->stride;
				if (identity) {
					memcpy(dv, sv, nl * sizeof(*dv));
					memcpy(dc, sc, nl * sizeof(*dc));
					memset(dv + nl, 0, (g - nl) * sizeof(*dv));
					memset(dc + nl, 0, (g - nl) * sizeof(*dc));
				} else {
					memset(dv, 0, g * sizeof(*dv));
					memset(dc, 0, g * sizeof(*dc));
					for (l = 0; l < nl; l++) {
						dv[maps[k][l]] = sv[l];
						dc[maps[k][l]] = sc[l];
					}
				}
				out->lines[row0[k] + r] = line0[k] + c->lines[r];
			}
		}
	}
	for (k = 0; k < nch; k++)
		arena_adopt(&out->arena, &ch[k].arena);
out:
	for (k = 0; maps && k < nch; k++)
		free(maps[k]);
	free(maps);
	free(row0);
	free(line0);
	free(base);
	free(shared_vals);
	free(shared_cols);
	free(shared_lines);
	colmap_free(&global);
	for (k = 0; k < nch; k++)
		jchunk_free(&ch[k]);
	free(ch);
	return rc;
}

/* --- CSV ------------------------------------------------------------------------ */

struct cfield {
	const char *s; /* content (inside the quotes) */
	size_t n;
	int unescape; /* quoted with doubled quotes inside */
	int quoted;
	uint32_t line, col;
};

struct csvp {
	const char *p, *end, *buf;
	uint32_t line;
	const char *ls; /* start of the current line */
	const char *cpos;
	uint32_t ccol; /* character column at cpos */
	struct cfield *f;
	size_t nf, fcap;
	struct perr err;
};

static uint32_t csv_col(struct csvp *c, const char *at)
{
	if (c->cpos < c->ls) {
		c->cpos = c->ls;
		c->ccol = 1;
	}
	c->ccol += char_count(c->cpos, at);
	c->cpos = at;
	return c->ccol;
}

static void csv_newline(struct csvp *c, const char *after)
{
	c->line++;
	c->ls = after;
	c->cpos = after;
	c->ccol = 1;
}

/* Read one row into c->f; 1 when a row was read, 0 at the end, BT_EINPUT on error. */
static int csv_row(struct csvp *c)
{
	const char *p = c->p;

	/* Empty lines separate nothing and are skipped. */
	for (;;) {
		if (p >= c->end)
			return 0;
		if (*p == '\n') {
			csv_newline(c, ++p);
			continue;
		}
		if (*p == '\r' && p[1] == '\n') {
			p += 2;
			csv_newline(c, p);
			continue;
		}
		break;
	}
	c->nf = 0;
	for (;;) {
		struct cfield *f;
		if (c->nf == c->fcap) {
			c->fcap = c->fcap ? c->fcap * 2 : 16;
			c->f = bt_xrealloc(c->f, c->fcap * sizeof(*c->f));
		}
		f = &c->f[c->nf++];
		f->line = c->line;
		f->col = csv_col(c, p);
		f->unescape = 0;
		f->quoted = *p == '"';
		if (*p == '"') {
			const char *open = p;
			f->s = ++p;
			for (;;) {
				if (p >= c->end)
					return perr_set(
					        &c->err, open,
					        "unterminated quoted field (the quote opened here "
					        "is never closed)");
				if (*p == '"') {
					if (p[1] == '"') {
						f->unescape = 1;
						p += 2;
						continue;
					}
					break;
				}
				if (*p == '\n')
					csv_newline(c, p + 1);
				else if (*p == '\0')
					return perr_set(&c->err, p, "NUL byte in CSV data");
				p++;
			}
			f->n = (size_t)(p - f->s);
			p++;
			if (*p != ',' && *p != '\n' && !(*p == '\r' && p[1] == '\n') && p < c->end)
				return perr_set(
				        &c->err, p,
				        "unexpected text after a closing quote (a quote inside a "
				        "quoted field is written as two quotes)");
		} else {
			f->s = p;
			while (*p != ',' && *p != '\n' && p < c->end) {
				if (*p == '"')
					return perr_set(
					        &c->err, p,
					        "quote in an unquoted field (quote the whole field "
					        "and double the quotes inside)");
				if (*p == '\0')
					return perr_set(&c->err, p, "NUL byte in CSV data");
				p++;
			}
			f->n = (size_t)(p - f->s);
			if ((*p == '\n' || p >= c->end) && f->n && p[-1] == '\r')
				f->n--;
		}
		if (*p == ',') {
			p++;
			continue;
		}
		/* end of the row */
		if (*p == '\r')
			p++;
		if (*p == '\n') {
			p++;
			csv_newline(c, p);
		}
		break;
	}
	c->p = p;
	return 1;
}

static const char *field_text(struct bt_arena *a, const struct cfield *f, size_t *len)
{
	char *s, *d;
	size_t i;

	if (!f->unescape) {
		*len = f->n;
		return bt_arena_strndup(a, f->s, f->n);
	}
	s = d = bt_arena_alloc(a, f->n + 1);
	for (i = 0; i < f->n; i++) {
		*d++ = f->s[i];
		if (f->s[i] == '"')
			i++;
	}
	*d = '\0';
	*len = (size_t)(d - s);
	return s;
}

static int csv_read(struct bt_split *out, const char *buf, size_t len, size_t limit)
{
	struct csvp c;
	const char *bad;
	size_t cap = 0, i, ncols;
	int r, rc = 0;

	memset(&c, 0, sizeof(c));
	c.p = buf;
	c.end = buf + len;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		c.p += 3;
	c.buf = c.p; /* positions count from after a byte-order mark */
	c.line = 1;
	c.ls = c.p;
	c.cpos = c.p;
	c.ccol = 1;
	bad = utf8_invalid(buf, buf + len);
	if (bad) {
		perr_set(&c.err, bad, "invalid UTF-8");
		rc = perr_raise(&c.err, out->path, c.ls);
		goto out;
	}
	r = csv_row(&c);
	if (r < 0)
		goto fail;
	if (r == 0) {
		perr_set(&c.err, c.end, "no header row (the file is empty)");
		goto fail;
	}
	ncols = c.nf;
	out->ncols = ncols;
	out->cols = bt_xcalloc(ncols, sizeof(*out->cols));
	for (i = 0; i < ncols; i++) {
		size_t n, j;
		if (c.f[i].n == 0) {
			rc = bt_error_set(BT_EINPUT,
			                  "%s:%u:%u: empty column name in the header row",
			                  out->path, c.f[i].line, c.f[i].col);
			goto out;
		}
		out->cols[i] = (char *)field_text(&out->arena, &c.f[i], &n);
		for (j = 0; j < i; j++)
			if (strcmp(out->cols[j], out->cols[i]) == 0) {
				rc = bt_error_set(
				        BT_EINPUT,
				        "%s:%u:%u: duplicate column '%.60s' (also column %zu)",
				        out->path, c.f[i].line, c.f[i].col, out->cols[i], j + 1);
				goto out;
			}
	}
	while (!limit || out->n < limit) {
		uint32_t row_line;
		struct bt_value *vals;
		uint32_t *vcols;
		/* the row's line is that of its first non-empty line */
		r = csv_row(&c);
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		row_line = c.f[0].line;
		if (c.nf != ncols) {
			if (c.nf > ncols)
				rc = bt_error_set(
				        BT_EINPUT,
				        "%s:%u:%u: too many fields: %zu where the header has %zu",
				        out->path, c.f[ncols].line, c.f[ncols].col, c.nf, ncols);
			else
				rc = bt_error_set(
				        BT_EINPUT,
				        "%s:%u:%u: too few fields: %zu where the header has %zu",
				        out->path, c.f[c.nf - 1].line,
				        c.f[c.nf - 1].col +
				                (uint32_t)char_count(c.f[c.nf - 1].s,
				                                     c.f[c.nf - 1].s +
				                                             c.f[c.nf - 1].n) +
				                (c.f[c.nf - 1].quoted ? 2 : 0),
				        c.nf, ncols);
			goto out;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 256;
			out->values = bt_xrealloc(out->values, cap * ncols * sizeof(*out->values));
			out->columns =
			        bt_xrealloc(out->columns, cap * ncols * sizeof(*out->columns));
			out->lines = bt_xrealloc(out->lines, cap * sizeof(*out->lines));
			if (out->value_lines)
				out->value_lines = bt_xrealloc(
				        out->value_lines, cap * ncols * sizeof(*out->value_lines));
		}
		if (!out->value_lines && c.f[ncols - 1].line != row_line) {
			/* the first record spanning lines: from now on every value has its line */
			size_t rr, j;
			out->value_lines = bt_xmalloc(cap * ncols * sizeof(*out->value_lines));
			for (rr = 0; rr < out->n; rr++)
				for (j = 0; j < ncols; j++)
					out->value_lines[rr * ncols + j] = out->lines[rr];
		}
		if (out->value_lines)
			for (i = 0; i < ncols; i++)
				out->value_lines[out->n * ncols + i] = c.f[i].line;
		vals = out->values + out->n * ncols;
		vcols = out->columns + out->n * ncols;
		out->lines[out->n] = row_line;
		for (i = 0; i < ncols; i++) {
			struct bt_value *v = &vals[i];
			const struct cfield *f = &c.f[i];
			memset(v, 0, sizeof(*v));
			vcols[i] = f->col;
			if (f->n == 0)
				continue;
			v->text = field_text(&out->arena, f, &v->text_len);
			v->type = BENCHTOP_FIELD_TEXT;
			{
				double d;
				const char *e = scan_number(v->text, 1, &d);
				if (e && e == v->text + v->text_len && isfinite(d)) {
					v->type = BENCHTOP_FIELD_NUMBER;
					v->number = d;
				}
			}
		}
		out->n++;
	}
	if (out->n == 0) {
		perr_set(&c.err, c.end, "no records (the file has only a header row)");
		goto fail;
	}
	goto out;
fail:
	rc = perr_raise(&c.err, out->path, c.buf);
out:
	free(c.f);
	return rc;
}

/* --- the split ---------------------------------------------------------------- */

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && strncmp(s + n - k, suffix, k) == 0;
}

enum bt_data_format bt_data_format_guess(const char *name)
{
	size_t n = strlen(name);

	if (ends_with(name, n, ".gz"))
		n -= 3;
	if (ends_with(name, n, ".csv"))
		return BT_DATA_CSV;
	if (ends_with(name, n, ".jsonl") || ends_with(name, n, ".ndjson") ||
	    ends_with(name, n, ".json"))
		return BT_DATA_JSONL;
	return BT_DATA_AUTO;
}

/* Parse a loaded, padded buffer (freed here) into `out`. */
static int parse_bytes(struct bt_split *out, const char *path, char *buf, size_t len,
                       enum bt_data_format fmt, size_t limit)
{
	int rc;

	out->path = bt_xstrdup(path);
	rc = fmt == BT_DATA_CSV ? csv_read(out, buf, len, limit) : jsonl_read(out, buf, len, limit);
	free(buf);
	if (rc)
		bt_split_release(out);
	return rc;
}

static int guess_format(const char *path, enum bt_data_format *fmt)
{
	if (*fmt == BT_DATA_AUTO)
		*fmt = bt_data_format_guess(path);
	if (*fmt == BT_DATA_AUTO)
		return bt_error_set(BT_EINPUT,
		                    "cannot tell the format of data '%s' from its name (use .csv, "
		                    ".jsonl or .ndjson, maybe with .gz, or give a format)",
		                    path);
	return 0;
}

int bt_data_read(struct bt_split *out, const char *path, enum bt_data_format fmt, size_t limit)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = guess_format(path, &fmt);
	if (!rc)
		rc = load_bytes(path, &buf, &len);
	if (rc)
		return rc;
	return parse_bytes(out, path, buf, len, fmt, limit);
}

int bt_data_read_mem(struct bt_split *out, const char *name, const void *data, size_t size,
                     enum bt_data_format fmt, size_t limit)
{
	char *raw, *buf = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = guess_format(name, &fmt);
	if (rc)
		return rc;
	if (size > MAX_DATA)
		return bt_error_set(BT_EINPUT, "data '%s' is larger than 4 GiB", name);
	raw = bt_xmalloc(size + PAD + 1);
	if (size)
		memcpy(raw, data, size);
	rc = finish_bytes(name, raw, size, &buf, &len);
	if (rc)
		return rc;
	return parse_bytes(out, name, buf, len, fmt, limit);
}

void bt_split_release(struct bt_split *s)
{
	free(s->path);
	free(s->cols);
	free(s->values);
	free(s->lines);
	free(s->columns);
	free(s->value_lines);
	bt_arena_free(&s->arena);
	memset(s, 0, sizeof(*s));
}

int bt_split_col(const struct bt_split *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ncols; i++)
		if (strcmp(s->cols[i], name) == 0)
			return (int)i;
	return -1;
}

const struct bt_value *bt_split_at(const struct bt_split *s, size_t i, int c)
{
	static const struct bt_value null_value;

	if (c < 0 || (size_t)c >= s->ncols || i >= s->n)
		return &null_value;
	return &s->values[i * s->ncols + (size_t)c];
}

void bt_split_pos(const struct bt_split *s, size_t i, int c, uint32_t *line, uint32_t *col)
{
	*line = i < s->n ? s->lines[i] : 0;
	*col = 1;
	if (c < 0 || (size_t)c >= s->ncols || i >= s->n)
		return;
	if (s->columns[i * s->ncols + (size_t)c])
		*col = s->columns[i * s->ncols + (size_t)c];
	if (s->value_lines)
		*line = s->value_lines[i * s->ncols + (size_t)c];
}
