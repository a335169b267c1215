/*
 * util.c - allocation, buffers, clocks, hashing, uuids, files and the few
 * string helpers every module needs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

static void oom(size_t n)
{
	fprintf(stderr, "benchtop: fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

/*
 * Large blocks are filled right away by their callers (a data file, the
 * table parsed from it, the examples built from that), so their pages are
 * mapped in one call rather than by a page fault each: in a VM a fault
 * costs microseconds, and a million-example suite touches 100,000 pages.
 * Kernels before 5.14 refuse the advice, which changes nothing.
 */
#define PREFAULT_MIN (1u << 20)

void bt_prefault(void *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t page, a, b;

	/* every allocation passes here: the small ones must cost nothing */
	if (n < PREFAULT_MIN)
		return;
	page = (uintptr_t)sysconf(_SC_PAGESIZE);
	a = ((uintptr_t)p + page - 1) & ~(page - 1);
	b = ((uintptr_t)p + n) & ~(page - 1);
	if (b > a)
		madvise((void *)a, b - a, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)n;
#endif
}

void *bt_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	bt_prefault(p, n);
	return p;
}

void *bt_xmalloc_lazy(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *bt_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom(nmemb * size);
	bt_prefault(p, nmemb * size);
	return p;
}

void *bt_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *bt_xstrdup(const char *s)
{
	return bt_xstrndup(s, strlen(s));
}

char *bt_xstrndup(const char *s, size_t n)
{
	char *p = bt_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *bt_xasprintf(const char *fmt, ...)
{
	struct bt_buf b = BT_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	bt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return bt_buf_detach(&b);
}

void bt_grow(void *itemsp, size_t *cap, size_t want, size_t size)
{
	void **items = itemsp;
	size_t n = *cap;

	if (want <= n)
		return;
	n = n ? n : 8;
	while (n < want)
		n = n / 2 * 3 + 8;
	*items = bt_xrealloc(*items, n * size);
	*cap = n;
}

void bt_buf_grow(struct bt_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	bt_grow(&b->ptr, &b->cap, b->len + extra + 1, 1);
	/* Keep the promise of a terminated string even before anything is added. */
	b->ptr[b->len] = '\0';
}

void bt_buf_add(struct bt_buf *b, const void *data, size_t len)
{
	bt_buf_grow(b, len);
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void bt_buf_puts(struct bt_buf *b, const char *s)
{
	bt_buf_add(b, s, strlen(s));
}

void bt_buf_putc(struct bt_buf *b, char c)
{
	bt_buf_grow(b, 1);
	b->ptr[b->len++] = c;
	b->ptr[b->len] = '\0';
}

void bt_buf_vprintf(struct bt_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	bt_buf_grow(b, 64);
	va_copy(cp, ap);
	n = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		bt_buf_grow(b, (size_t)n);
		vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void bt_buf_printf(struct bt_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bt_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void bt_buf_reset(struct bt_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

char *bt_buf_detach(struct bt_buf *b)
{
	char *s = b->ptr ? b->ptr : bt_xstrdup("");
	b->ptr = NULL;
	b->len = b->cap = 0;
	return s;
}

void bt_buf_free(struct bt_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

const char *bt_buf_cstr(const struct bt_buf *b)
{
	return b->ptr ? b->ptr : "";
}

double bt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bt_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hex(char *out, const unsigned char *md, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

struct bt_sha256 {
	EVP_MD_CTX *ctx;
};

struct bt_sha256 *bt_sha256_new(void)
{
	struct bt_sha256 *h = bt_xmalloc(sizeof(*h));

	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx)
		oom(sizeof(*h));
	EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
	return h;
}

void bt_sha256_update(struct bt_sha256 *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void bt_sha256_final(struct bt_sha256 *h, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	EVP_MD_CTX_free(h->ctx);
	free(h);
	hex(out, md, n);
}

void bt_sha256_hex(char out[65], const void *data, size_t len)
{
	struct bt_sha256 *h = bt_sha256_new();

	bt_sha256_update(h, data, len);
	bt_sha256_final(h, out);
}

int bt_sha256_file(char out[65], const char *path)
{
	unsigned char buf[1 << 16];
	struct bt_sha256 *h;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return bt_error_set(errno == ENOENT ? BT_ENOTFOUND : BT_EIO, "cannot open '%s': %s",
		                    path, strerror(errno));
	h = bt_sha256_new();
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			bt_sha256_final(h, out);
			return bt_error_set(BT_EIO, "cannot read '%s': %s", path, strerror(errno));
		}
		bt_sha256_update(h, buf, (size_t)n);
	}
	close(fd);
	bt_sha256_final(h, out);
	return 0;
}

void bt_uuid7(char out[37])
{
	unsigned char b[16];
	uint64_t ms = (uint64_t)(bt_now() * 1000.0);
	size_t got = 0;
	int i;

	while (got < 10) {
		ssize_t n = getrandom(b + 6 + got, 10 - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* No entropy source at all: fall back to time and pid. */
			uint64_t x = ms ^ ((uint64_t)getpid() << 32) ^ (uint64_t)clock();
			for (i = 6; i < 16; i++) {
				x = x * 6364136223846793005ULL + 1442695040888963407ULL;
				b[i] = (unsigned char)(x >> 56);
			}
			break;
		}
		got += (size_t)n;
	}
	for (i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
	b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}

int bt_read_file(char **out, size_t *len, const char *path)
{
	struct bt_buf b = BT_BUF_INIT;
	char chunk[1 << 16];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	if (len)
		*len = 0;
	if (fd < 0)
		return bt_error_set(errno == ENOENT ? BT_ENOTFOUND : BT_EIO, "cannot open '%s': %s",
		                    path, strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int err = errno;
			close(fd);
			bt_buf_free(&b);
			return bt_error_set(BT_EIO, "cannot read '%s': %s", path, strerror(err));
		}
		bt_buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (len)
		*len = b.len;
	*out = bt_buf_detach(&b);
	return 0;
}

int bt_mkdir_p(const char *path, unsigned mode)
{
	char *p = bt_xstrdup(path);
	char *s;
	int rc = 0;

	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
			rc = bt_error_set(BT_EIO, "cannot create directory '%s': %s", p,
			                  strerror(errno));
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

char *bt_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	if (!la)
		return bt_xstrdup(b);
	if (b[0] == '/')
		return bt_xstrdup(b);
	while (la > 1 && a[la - 1] == '/')
		la--;
	return bt_xasprintf("%.*s/%s", (int)la, a, b);
}

char *bt_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return bt_xstrdup(".");
	if (slash == path)
		return bt_xstrdup("/");
	return bt_xstrndup(path, (size_t)(slash - path));
}

int bt_parse_double(const char *s, double *out)
{
	char *end;

	if (!s || !*s)
		return BT_EINPUT;
	errno = 0;
	*out = strtod(s, &end);
	if (*end || errno == ERANGE || end == s)
		return BT_EINPUT;
	return 0;
}

int bt_parse_int64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return BT_EINPUT;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end || errno == ERANGE || end == s)
		return BT_EINPUT;
	*out = (int64_t)v;
	return 0;
}

int bt_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	unsigned long long v, mult = 1;
	const char *u;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return BT_EINPUT;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno == ERANGE)
		return BT_EINPUT;
	if (*end && (u = strchr(units, *end >= 'a' && *end <= 'z' ? *end - 32 : *end)) != NULL) {
		mult = 1ULL << (10 * (u - units + 1));
		end++;
		if (*end == 'i')
			end++;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > (1ULL << 50) / mult)
		return BT_EINPUT;
	*out = (uint64_t)(v * mult);
	return 0;
}

int bt_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

size_t bt_edit_distance(const char *a, const char *b)
{
	/*
	 * Optimal string alignment distance: Levenshtein plus transpositions
	 * of neighbours, so "irsi" is one step from "iris", as a typist sees it.
	 */
	size_t la = strlen(a), lb = strlen(b), i, j, d;
	size_t *m;

	if (la > 64 || lb > 64)
		return la > lb ? la : lb;
	m = bt_xmalloc((la + 1) * (lb + 1) * sizeof(*m));
#define M(x, y) m[(x) * (lb + 1) + (y)]
	for (i = 0; i <= la; i++)
		M(i, 0) = i;
	for (j = 0; j <= lb; j++)
		M(0, j) = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t best = M(i - 1, j - 1) + (a[i - 1] != b[j - 1]);
			if (M(i - 1, j) + 1 < best)
				best = M(i - 1, j) + 1;
			if (M(i, j - 1) + 1 < best)
				best = M(i, j - 1) + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    M(i - 2, j - 2) + 1 < best)
				best = M(i - 2, j - 2) + 1;
			M(i, j) = best;
		}
	}
	d = M(la, lb);
#undef M
	free(m);
	return d;
}

const char *bt_suggest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, i, limit;

	/* Like git's help.autocorrect: close relative to the word's length. */
	limit = strlen(word) <= 4 ? 1 : strlen(word) <= 8 ? 2 : 3;
	for (i = 0; i < n; i++) {
		size_t d = bt_edit_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

char *bt_hostname(void)
{
	char name[256];

	if (gethostname(name, sizeof(name)) < 0)
		return bt_xstrdup("");
	name[sizeof(name) - 1] = '\0';
	return bt_xstrdup(name);
}

char *bt_username(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *env;

	if (pw && pw->pw_name)
		return bt_xstrdup(pw->pw_name);
	env = getenv("USER");
	return bt_xstrdup(env ? env : "");
}
