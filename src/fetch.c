/*
 * fetch.c - downloads into the data cache with libcurl's multi interface:
 * locks, resume, retries, verification, and the rename that makes a file
 * visible only once it is whole and verified (see fetch.h, cache.h).
 *
 * One transfer ("xfer") per distinct cache file moves through
 *   NEW -> (cached) DONE | WAIT (lock busy) | READY -> ACTIVE -> DONE,
 * with ACTIVE -> READY again for a retry or a clean restart.  The loop in
 * run_batch() drives them all from one thread.  Must not print, must never
 * turn off TLS verification, and must never decompress what it stores.
 */
#include "config.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "error.h"
#include "fetch.h"
#include "suite.h"
#include "util.h"

/* Lock holders are polled this often, and progress reported at most this often. */
#define POLL_INTERVAL 0.1
/* No backoff grows past this (seconds). */
#define BACKOFF_MAX 60.0

/* --- options and names ------------------------------------------------------------ */

static int env_number(const char *name, double min, double max, double *out)
{
	const char *v = getenv(name);

	if (!v || !*v)
		return 0;
	if (bt_parse_double(v, out) || !(*out >= min && *out <= max))
		return bt_error_set(BT_EINPUT, "%s must be a number from %g to %g, not '%s'", name,
		                    min, max, v);
	return 1;
}

int bt_fetch_opts_init(struct bt_fetch_opts *o)
{
	const char *v;
	double d;
	int rc;

	memset(o, 0, sizeof(*o));
	o->jobs = 4;
	o->connect_timeout = 30;
	o->low_speed_time = 30;
	o->low_speed_limit = 1;
	o->retries = 5;
	o->backoff = 1;
	o->max_redirects = 10;
	v = getenv("BENCHTOP_CACHE");
	if (v && *v)
		o->cache_dir = v;
	v = getenv("BENCHTOP_CA_BUNDLE");
	if (v && *v)
		o->ca_file = v;
	if ((rc = env_number("BENCHTOP_FETCH_TIMEOUT", 0.001, 86400, &d)) < 0)
		return rc;
	if (rc) {
		o->connect_timeout = d;
		o->low_speed_time = (long)ceil(d);
	}
	if ((rc = env_number("BENCHTOP_FETCH_LOW_SPEED", 1, 1e12, &d)) < 0)
		return rc;
	if (rc)
		o->low_speed_limit = (long)d;
	if ((rc = env_number("BENCHTOP_FETCH_RETRIES", 0, 100, &d)) < 0)
		return rc;
	if (rc)
		o->retries = (int)d;
	if ((rc = env_number("BENCHTOP_FETCH_BACKOFF", 0, 3600, &d)) < 0)
		return rc;
	if (rc)
		o->backoff = d;
	return 0;
}

int bt_fetch_default_dir(char **out)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	struct passwd *pw;

	*out = NULL;
	/* The XDG specification ignores relative values. */
	if (xdg && xdg[0] == '/') {
		*out = bt_xasprintf("%s/benchtop/data", xdg);
		return 0;
	}
	if (!home || !*home) {
		pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home || !*home)
		return bt_error_set(BT_EUSAGE, "cannot find a home directory for the data cache: "
		                               "set BENCHTOP_CACHE or use --cache-dir");
	*out = bt_xasprintf("%s/.cache/benchtop/data", home);
	return 0;
}

int bt_fetch_cache_dir(const struct bt_fetch_opts *o, char **out)
{
	if (o && o->cache_dir && *o->cache_dir) {
		*out = bt_xstrdup(o->cache_dir);
		return 0;
	}
	return bt_fetch_default_dir(out);
}

static int scheme_of(const char *url, char **scheme, char **path)
{
	CURLU *u = curl_url();
	char *s = NULL, *p = NULL;
	int ok;

	if (!u)
		return bt_error_set(BT_ENOMEM, "out of memory parsing a URL");
	ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	     curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK &&
	     curl_url_get(u, CURLUPART_PATH, &p, 0) == CURLUE_OK;
	curl_url_cleanup(u);
	if (!ok) {
		curl_free(s);
		curl_free(p);
		return bt_error_set(BT_EINPUT, "'%s' is not a valid URL", url);
	}
	*scheme = bt_xstrdup(s);
	if (path)
		*path = bt_xstrdup(p);
	curl_free(s);
	curl_free(p);
	return 0;
}

/*
 * A file:// URL names a data file.  A FIFO would block the transfer for
 * ever and a device such as /dev/zero would fill the cache without end, so
 * anything that exists and is not a regular file is refused (a missing
 * file is left to the transfer, which reports it).
 */
static int check_file_url(const char *url)
{
	CURLU *u = curl_url();
	char *path = NULL;
	struct stat st;
	int rc = 0;

	if (!u)
		return bt_error_set(BT_ENOMEM, "out of memory parsing a URL");
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) == CURLUE_OK &&
	    stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		rc = bt_error_set(BT_EINPUT, "'%s' does not name a regular file", url);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

int bt_fetch_check_url(const char *url)
{
	char *scheme = NULL;
	int rc, ok;

	if (!url || !*url)
		return bt_error_set(BT_EINPUT, "empty URL");
	/* curl would guess "http" for a bare host name; a suite must say. */
	if (!strstr(url, "://"))
		return bt_error_set(BT_EINPUT,
		                    "'%s' is not a URL (expected http://, https:// or "
		                    "file://)",
		                    url);
	rc = scheme_of(url, &scheme, NULL);
	if (rc)
		return rc;
	ok = strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
	     strcmp(scheme, "file") == 0;
	if (ok && strcmp(scheme, "file") == 0)
		rc = check_file_url(url);
	free(scheme);
	if (!ok)
		return bt_error_set(
		        BT_EINPUT,
		        "unsupported URL '%s': only http, https and file URLs are fetched", url);
	return rc;
}

int bt_fetch_check_sha256(const char *sha256, char out[65])
{
	size_t i;

	for (i = 0; sha256 && i < 64; i++) {
		char c = sha256[i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			break;
		out[i] = c;
	}
	if (!sha256 || i < 64 || sha256[64]) {
		out[0] = '\0';
		return bt_error_set(BT_EINPUT, "'%s' is not a sha256 (64 hexadecimal digits)",
		                    sha256 ? sha256 : "");
	}
	out[64] = '\0';
	return 0;
}

static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Is s[0..n) one plain extension (1 to 10 letters or digits)? */
static int plain_ext(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > 10)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]))
			return 0;
	return 1;
}

static int compression_ext(const char *s, size_t n)
{
	static const char *const names[] = {"gz", "bz2", "xz", "zst", "lz4"};
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == n && strncasecmp(s, names[i], n) == 0)
			return 1;
	return 0;
}

/* ".csv.gz" from ".../iris.csv.gz": the extensions the data reader needs to see. */
static char *url_suffix(const char *url)
{
	char *scheme = NULL, *path = NULL, *out;
	const char *base, *last, *prev, *start;
	size_t i;

	if (scheme_of(url, &scheme, &path)) {
		bt_error_clear();
		return bt_xstrdup("");
	}
	free(scheme);
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	/* The first character never starts an extension: ".hidden" has none. */
	last = strrchr(base + (base[0] != '\0'), '.');
	start = NULL;
	if (last && last > base && plain_ext(last + 1, strlen(last + 1))) {
		start = last;
		if (compression_ext(last + 1, strlen(last + 1))) {
			for (prev = last - 1; prev > base && *prev != '.'; prev--)
				;
			if (prev > base && plain_ext(prev + 1, (size_t)(last - prev - 1)))
				start = prev;
		}
	}
	out = bt_xstrdup(start ? start : "");
	for (i = 0; out[i]; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	free(path);
	return out;
}

int bt_fetch_cache_name(char **out, const char *url, const char *sha256)
{
	char sha[65], *suffix;
	int rc = bt_fetch_check_sha256(sha256, sha);

	*out = NULL;
	if (rc)
		return rc;
	suffix = url_suffix(url);
	*out = bt_xasprintf("%s%s", sha, suffix);
	free(suffix);
	return 0;
}

/* --- transfers -------------------------------------------------------------------- */

enum xstate { X_NEW, X_WAIT, X_READY, X_ACTIVE, X_DONE };

struct batch;

struct xfer {
	struct batch *b;
	size_t index; /* the first ref this transfer serves */
	const char *url;
	char sha[65];  /* expected; "" when hashing an unknown file */
	int hash_mode; /* bt_fetch_hash_url(): the name is known only at the end */
	int keep;      /* hash mode: keep the file in the cache */
	char *suffix;
	char *name, *final, *part, *lockp; /* name, final and lockp NULL in hash mode until known */
	int lockfd, fd;
	struct bt_sha256 *h; /* the hash of the part file's first `have` bytes */
	int64_t have;
	int64_t resume_from; /* the Range start of the current attempt */
	int64_t total;
	int had_prefix; /* bytes kept from an earlier attempt or process */
	int restarted;  /* a resumed file failed to verify and was fetched again whole */
	int attempt;
	double not_before;
	double last_progress;
	int waiting_reported;
	enum xstate state;
	CURL *easy;
	char range[32];
	char errbuf[CURL_ERROR_SIZE];
	int64_t cr_start; /* the current response's Content-Range start; -1 without one */
	int body_checked; /* the current response was checked before its first byte */
	int werr;         /* errno of a failed write; -1 for a range answered from elsewhere */
	int status;       /* once DONE */
	char *error;      /* once DONE with a failure */
	int downloaded;   /* came over the network in this call */
	char got[65];     /* hash mode: the result */
};

struct batch {
	const struct bt_fetch_opts *o;
	char *dir, *tmpdir;
	struct xfer *x;
	size_t n;
	CURLM *multi;
	int stop; /* the callback asked to stop */
};

static int emit(struct xfer *x, enum bt_fetch_event_kind kind, double delay, const char *message)
{
	const struct bt_fetch_opts *o = x->b->o;
	struct bt_fetch_event ev;

	if (!o->progress || x->b->stop)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.index = x->index;
	ev.url = x->url;
	ev.sha256 = x->sha[0] ? x->sha : NULL;
	ev.path = (kind == BT_FETCH_EV_CACHED || kind == BT_FETCH_EV_DONE) ? x->final : NULL;
	ev.done = x->have;
	ev.total = x->total;
	ev.resumed_from = x->resume_from;
	ev.attempt = x->attempt;
	ev.delay = delay;
	ev.message = message;
	if (o->progress(&ev, o->payload) != 0)
		x->b->stop = 1;
	return x->b->stop;
}

static void x_close(struct xfer *x)
{
	char dummy[65];

	if (x->easy) {
		curl_multi_remove_handle(x->b->multi, x->easy);
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	if (x->h) {
		bt_sha256_final(x->h, dummy);
		x->h = NULL;
	}
	if (x->fd >= 0) {
		close(x->fd);
		x->fd = -1;
	}
	if (x->lockfd >= 0) {
		bt_cache_unlock(x->lockp, x->lockfd);
		x->lockfd = -1;
	}
}

static void x_fail(struct xfer *x, int status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void x_fail(struct xfer *x, int status, const char *fmt, ...)
{
	struct bt_buf b = BT_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	bt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	/* An unknown file cannot be resumed by name later, an empty one need not be. */
	if (x->part && x->fd >= 0 && (x->hash_mode || x->have == 0))
		unlink(x->part);
	x_close(x);
	x->status = status;
	x->error = bt_buf_detach(&b);
	x->state = X_DONE;
	emit(x, BT_FETCH_EV_FAILED, 0, x->error);
}

static void x_cached(struct xfer *x)
{
	x_close(x);
	x->status = 0;
	x->state = X_DONE;
	emit(x, BT_FETCH_EV_CACHED, 0, NULL);
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * The same data may be cached under another suffix (a URL named it
 * differently): link it under this name rather than download it again.
 */
static int link_alias(struct batch *b, struct xfer *x)
{
	DIR *d = opendir(b->dir);
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		char *from;
		if (strncmp(de->d_name, x->sha, 64) != 0 || strcmp(de->d_name, x->name) == 0 ||
		    !bt_cache_name_parse(de->d_name, NULL))
			continue;
		from = bt_path_join(b->dir, de->d_name);
		if (is_file(from) && (link(from, x->final) == 0 || errno == EEXIST))
			found = 1;
		free(from);
	}
	closedir(d);
	return found;
}

static void x_try_lock(struct xfer *x)
{
	int rc = bt_cache_lock(x->lockp, 0, &x->lockfd);

	if (rc < 0) {
		x_fail(x, rc, "%s", bt_error_last());
		return;
	}
	if (rc == 0) {
		x->state = X_WAIT;
		if (!x->waiting_reported) {
			x->waiting_reported = 1;
			emit(x, BT_FETCH_EV_WAITING, 0, NULL);
		}
		return;
	}
	/* Whoever held the lock may have just finished it. */
	if (is_file(x->final)) {
		x_cached(x);
		return;
	}
	x->state = X_READY;
	x->not_before = 0;
}

static void x_begin(struct xfer *x)
{
	const struct bt_fetch_opts *o = x->b->o;

	if (x->hash_mode) {
		if (o->offline) {
			x_fail(x, BT_ENOTFOUND, "cannot download '%s': offline", x->url);
			return;
		}
		x->state = X_READY;
		return;
	}
	if (is_file(x->final) || link_alias(x->b, x)) {
		x_cached(x);
		return;
	}
	if (o->offline) {
		x_fail(x, BT_ENOTFOUND,
		       "'%s' is not in the cache (sha256 %s) and downloads are off (offline)",
		       x->url, x->sha);
		return;
	}
	x_try_lock(x);
}

static void hash_reset(struct xfer *x)
{
	char dummy[65];

	if (x->h)
		bt_sha256_final(x->h, dummy);
	x->h = bt_sha256_new();
	x->have = 0;
}

/* Start over from byte 0: the kept prefix cannot be used. */
static int x_truncate(struct xfer *x)
{
	if (ftruncate(x->fd, 0) != 0) {
		x_fail(x, BT_EIO, "cannot truncate '%s': %s", x->part, strerror(errno));
		return -1;
	}
	hash_reset(x);
	x->had_prefix = 0;
	return 0;
}

/* Hash what an earlier attempt or process left in the part file. */
static int hash_existing(struct xfer *x)
{
	unsigned char buf[1 << 16];
	ssize_t n;

	hash_reset(x);
	for (;;) {
		n = pread(x->fd, buf, sizeof(buf), (off_t)x->have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			x_fail(x, BT_EIO, "cannot read '%s': %s", x->part, strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		bt_sha256_update(x->h, buf, (size_t)n);
		x->have += n;
	}
	x->had_prefix = x->have > 0;
	return 0;
}

static int check_response(struct xfer *x)
{
	long code = 0;
	curl_off_t len = -1;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	if (x->resume_from > 0 && code == 206) {
		/* A 206 for another range would splice the wrong bytes in. */
		if (x->cr_start != x->resume_from) {
			x->werr = -1;
			return 0;
		}
	} else if (x->resume_from > 0 && code != 0) {
		/* The server ignored the Range and sends the whole file: start clean. */
		if (ftruncate(x->fd, 0) != 0) {
			x->werr = errno;
			return 0;
		}
		hash_reset(x);
		x->had_prefix = 0;
		x->resume_from = 0;
	}
	/* file:// (code 0) honours ranges itself. */
	x->total = len >= 0 ? x->have + (int64_t)len : -1;
	return 1;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *payload)
{
	struct xfer *x = payload;
	size_t n = size * nmemb, off = 0;
	double now;

	if (x->b->stop)
		return 0;
	if (!x->body_checked) {
		x->body_checked = 1;
		if (!check_response(x))
			return 0;
	}
	while (off < n) {
		ssize_t w = pwrite(x->fd, data + off, n - off, (off_t)(x->have + (int64_t)off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			x->werr = w < 0 ? errno : EIO;
			/* Keep what did reach the disk hashed, for a resume. */
			bt_sha256_update(x->h, data, off);
			x->have += (int64_t)off;
			return 0;
		}
		off += (size_t)w;
	}
	bt_sha256_update(x->h, data, n);
	x->have += (int64_t)n;
	now = bt_monotonic();
	if (now - x->last_progress >= POLL_INTERVAL) {
		x->last_progress = now;
		if (emit(x, BT_FETCH_EV_PROGRESS, 0, NULL))
			return 0;
	}
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *payload)
{
	struct xfer *x = payload;
	size_t n = size * nmemb;
	char line[160];
	const char *p;

	/* Each response of a redirect chain starts with its status line. */
	if (n >= 5 && strncasecmp(data, "HTTP/", 5) == 0) {
		x->cr_start = -1;
		return n;
	}
	if (n < 14 || strncasecmp(data, "Content-Range:", 14) != 0)
		return n;
	snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), data);
	for (p = line + 14; *p == ' ' || *p == '\t'; p++)
		;
	if (strncasecmp(p, "bytes", 5) == 0) {
		char *end;
		long long v;
		for (p += 5; *p == ' ' || *p == '\t'; p++)
			;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (end != p && *end == '-' && errno == 0)
			x->cr_start = v;
	}
	return n;
}

static int x_setup_easy(struct xfer *x)
{
	const struct bt_fetch_opts *o = x->b->o;
	CURL *e = curl_easy_init();

	if (!e) {
		x_fail(x, BT_ENOMEM, "cannot start a transfer for '%s'", x->url);
		return -1;
	}
	x->easy = e;
	x->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)x);
	/* file:// is for a suite's own URLs; a server may only redirect to http(s). */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	                 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)o->max_redirects);
	/* Always verified: nothing in a suite or an option can change these two. */
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->connect_timeout * 1000.0));
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_limit);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, o->low_speed_time);
	/* 4xx and 5xx are errors, and their bodies never reach the file. */
	curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "benchtop/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, (void *)x);
	/*
	 * Not set, on purpose: CURLOPT_ACCEPT_ENCODING (the bytes are stored
	 * as served, a .gz stays compressed) and CURLOPT_PROXY/NOPROXY (libcurl
	 * reads http_proxy, https_proxy, all_proxy and no_proxy itself).
	 */
	if (x->have > 0) {
		snprintf(x->range, sizeof(x->range), "%lld-", (long long)x->have);
		curl_easy_setopt(e, CURLOPT_RANGE, x->range);
	}
	return 0;
}

static void x_start(struct xfer *x)
{
	struct batch *b = x->b;

	if (x->fd < 0) {
		if (x->hash_mode) {
			char *tmpl = bt_path_join(b->tmpdir, "hash-XXXXXX.part");
			x->fd = mkstemps(tmpl, 5);
			if (x->fd >= 0)
				fcntl(x->fd, F_SETFD, FD_CLOEXEC);
			if (x->fd < 0) {
				x_fail(x, BT_EIO, "cannot create a file in '%s': %s", b->tmpdir,
				       strerror(errno));
				free(tmpl);
				return;
			}
			x->part = tmpl;
			/* gc leaves a locked temp alone. */
			flock(x->fd, LOCK_EX | LOCK_NB);
		} else {
			x->fd = open(x->part, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
			if (x->fd < 0) {
				x_fail(x, BT_EIO, "cannot open '%s': %s", x->part, strerror(errno));
				return;
			}
		}
	}
	if (!x->h && hash_existing(x))
		return;
	x->attempt++;
	x->resume_from = x->have;
	x->cr_start = -1;
	x->body_checked = 0;
	x->werr = 0;
	x->total = -1;
	if (x_setup_easy(x))
		return;
	if (curl_multi_add_handle(b->multi, x->easy) != CURLM_OK) {
		x_fail(x, BT_ENET, "cannot start a transfer for '%s'", x->url);
		return;
	}
	x->state = X_ACTIVE;
	x->last_progress = bt_monotonic();
	emit(x, BT_FETCH_EV_START, 0, NULL);
}

static void x_retry_or_fail(struct xfer *x, const char *why)
{
	const struct bt_fetch_opts *o = x->b->o;
	double delay;

	if (x->attempt > o->retries) {
		x_fail(x, BT_ENET, "cannot download '%s': %s (after %d attempt%s)", x->url, why,
		       x->attempt, x->attempt == 1 ? "" : "s");
		return;
	}
	delay = o->backoff * pow(2.0, x->attempt - 1);
	if (delay > BACKOFF_MAX)
		delay = BACKOFF_MAX;
	x->state = X_READY;
	x->not_before = bt_monotonic() + delay;
	emit(x, BT_FETCH_EV_RETRY, delay, why);
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	fsync(fd);
	close(fd);
	return 0;
}

/* Put the verified part file in place as `final`. */
static int x_install(struct xfer *x)
{
	if (fsync(x->fd) != 0) {
		x_fail(x, errno == ENOSPC ? BT_ENOSPC : BT_EIO, "cannot write '%s': %s", x->part,
		       strerror(errno));
		return -1;
	}
	if (rename(x->part, x->final) != 0) {
		x_fail(x, BT_EIO, "cannot rename '%s' to '%s': %s", x->part, x->final,
		       strerror(errno));
		return -1;
	}
	fsync_dir(x->b->dir);
	return 0;
}

static void x_done_ok(struct xfer *x)
{
	x_close(x);
	x->status = 0;
	x->downloaded = 1;
	x->state = X_DONE;
	emit(x, BT_FETCH_EV_DONE, 0, NULL);
}

static void x_verify(struct xfer *x)
{
	char got[65];

	bt_sha256_final(x->h, got);
	x->h = NULL;
	if (x->hash_mode) {
		memcpy(x->got, got, sizeof(got));
		memcpy(x->sha, got, sizeof(got));
		if (!x->keep) {
			unlink(x->part);
			x_done_ok(x);
			return;
		}
		x->name = bt_xasprintf("%s%s", got, x->suffix);
		x->final = bt_path_join(x->b->dir, x->name);
		/* Same name, same bytes: a file already there is as good. */
		if (is_file(x->final))
			unlink(x->part);
		else if (x_install(x))
			return;
		x_done_ok(x);
		return;
	}
	if (strcmp(got, x->sha) != 0) {
		if (x->had_prefix && !x->restarted) {
			/* The kept prefix may be what is wrong (the file changed): once, start clean. */
			x->restarted = 1;
			if (x_truncate(x))
				return;
			x->state = X_READY;
			x->not_before = 0;
			emit(x, BT_FETCH_EV_RETRY, 0,
			     "the resumed file did not verify; downloading it whole");
			return;
		}
		unlink(x->part);
		x_fail(x, BT_EINPUT, "sha256 mismatch for '%s': expected %s, got %s", x->url,
		       x->sha, got);
		return;
	}
	if (x_install(x))
		return;
	x_done_ok(x);
}

static int retryable(CURLcode res, long code)
{
	switch (res) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	case CURLE_HTTP_RETURNED_ERROR:
		return code >= 500 || code == 408 || code == 429;
	default:
		return 0;
	}
}

static void x_attempt_done(struct xfer *x, CURLcode res)
{
	long code = 0;
	char why[CURL_ERROR_SIZE + 64];

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_multi_remove_handle(x->b->multi, x->easy);
	curl_easy_cleanup(x->easy);
	x->easy = NULL;
	if (x->b->stop)
		return;
	if (res == CURLE_OK) {
		x_verify(x);
		return;
	}
	if (res == CURLE_WRITE_ERROR && x->werr > 0) {
		x_fail(x, x->werr == ENOSPC ? BT_ENOSPC : BT_EIO, "cannot write '%s': %s", x->part,
		       strerror(x->werr));
		return;
	}
	if (res == CURLE_WRITE_ERROR && x->werr == -1) {
		if (x_truncate(x) == 0)
			x_retry_or_fail(x, "the server answered the range request from another "
			                   "offset");
		return;
	}
	if (res == CURLE_HTTP_RETURNED_ERROR && code == 416 && x->resume_from > 0) {
		/* Nothing left to send: the kept file may be whole already, else start clean. */
		char got[65];
		struct bt_sha256 *h = x->h;
		x->h = NULL;
		bt_sha256_final(h, got);
		x->h = bt_sha256_new();
		if (!x->hash_mode && strcmp(got, x->sha) == 0) {
			if (x_install(x) == 0)
				x_done_ok(x);
			return;
		}
		if (x_truncate(x) == 0)
			x_retry_or_fail(x, "the server refused to resume (HTTP 416)");
		return;
	}
	if (res == CURLE_HTTP_RETURNED_ERROR)
		snprintf(why, sizeof(why), "HTTP %ld", code);
	else
		snprintf(why, sizeof(why), "%s",
		         x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
	if (retryable(res, code))
		x_retry_or_fail(x, why);
	else
		x_fail(x, BT_ENET, "cannot download '%s': %s", x->url, why);
}

static void run_batch(struct batch *b)
{
	size_t i, left;
	int running, jobs = b->o->jobs > 0 ? b->o->jobs : 1;

	for (i = 0; i < b->n; i++)
		if (b->x[i].state == X_NEW)
			x_begin(&b->x[i]);
	for (;;) {
		double now = bt_monotonic(), next = now + POLL_INTERVAL;
		int active = 0;
		CURLMsg *msg;
		long timeout;

		for (i = 0; i < b->n && !b->stop; i++) {
			struct xfer *x = &b->x[i];
			if (x->state == X_WAIT)
				x_try_lock(x);
			if (x->state == X_ACTIVE)
				active++;
		}
		for (i = 0; i < b->n && !b->stop; i++) {
			struct xfer *x = &b->x[i];
			if (x->state != X_READY)
				continue;
			if (x->not_before > now) {
				if (x->not_before < next)
					next = x->not_before;
			} else if (active < jobs) {
				x_start(x);
				if (x->state == X_ACTIVE)
					active++;
			}
		}
		for (i = 0, left = 0; i < b->n; i++)
			left += b->x[i].state != X_DONE;
		if (!left || b->stop)
			break;
		curl_multi_perform(b->multi, &running);
		while ((msg = curl_multi_info_read(b->multi, &running)) != NULL) {
			char *p = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
			x_attempt_done((struct xfer *)(void *)p, msg->data.result);
		}
		if (b->stop)
			break;
		timeout = (long)((next - bt_monotonic()) * 1000.0);
		if (timeout < 0)
			timeout = 0;
		/* With no transfer running this simply sleeps: a lock or a backoff to wait for. */
		curl_multi_poll(b->multi, NULL, 0, (int)timeout, NULL);
	}
	if (b->stop)
		for (i = 0; i < b->n; i++)
			if (b->x[i].state != X_DONE)
				x_fail(&b->x[i], BT_EINTR, "download of '%s' interrupted",
				       b->x[i].url);
}

static int batch_open(struct batch *b, const struct bt_fetch_opts *o)
{
	int rc;

	memset(b, 0, sizeof(*b));
	b->o = o;
	rc = bt_fetch_cache_dir(o, &b->dir);
	if (rc)
		return rc;
	b->tmpdir = bt_path_join(b->dir, BT_CACHE_TMPDIR);
	return 0;
}

/* Create the directories and the multi handle: only when something may be downloaded. */
static int batch_prepare(struct batch *b)
{
	int rc;

	if (b->o->offline)
		return 0;
	/* The cache holds the user's data: private, like the results database. */
	rc = bt_mkdir_p(b->tmpdir, 0700);
	if (rc)
		return rc;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return bt_error_set(BT_ENET, "cannot initialise libcurl");
	b->multi = curl_multi_init();
	if (!b->multi) {
		curl_global_cleanup();
		return bt_error_set(BT_ENOMEM, "cannot initialise libcurl");
	}
	return 0;
}

static void batch_close(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct xfer *x = &b->x[i];
		x_close(x);
		free(x->suffix);
		free(x->name);
		free(x->final);
		free(x->part);
		free(x->lockp);
		free(x->error);
	}
	free(b->x);
	if (b->multi) {
		curl_multi_cleanup(b->multi);
		curl_global_cleanup();
	}
	free(b->dir);
	free(b->tmpdir);
}

static struct xfer *batch_add(struct batch *b, size_t *cap, size_t index, const char *url)
{
	struct xfer *x;

	bt_grow(&b->x, cap, b->n + 1, sizeof(*b->x));
	x = &b->x[b->n++];
	memset(x, 0, sizeof(*x));
	x->b = b;
	x->index = index;
	x->url = url;
	x->fd = x->lockfd = -1;
	x->total = -1;
	x->state = X_NEW;
	x->suffix = url_suffix(url);
	return x;
}

/* A ref refused before any transfer still reaches the callback as FAILED. */
static void emit_rejected(const struct bt_fetch_opts *o, size_t index, const char *url,
                          const char *message)
{
	struct bt_fetch_event ev;

	if (!o->progress)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = BT_FETCH_EV_FAILED;
	ev.index = index;
	ev.url = url;
	ev.total = -1;
	ev.message = message;
	o->progress(&ev, o->payload);
}

int bt_fetch_refs(const struct bt_fetch_opts *o, struct bt_fetch_ref *refs, size_t n)
{
	struct batch b;
	size_t *which = NULL, cap = 0, i, j, failed = 0, first = 0;
	int rc;

	for (i = 0; i < n; i++) {
		refs[i].path = refs[i].error = NULL;
		refs[i].status = 0;
		refs[i].downloaded = 0;
		refs[i].size = 0;
	}
	rc = batch_open(&b, o);
	if (rc) {
		for (i = 0; i < n; i++) {
			refs[i].status = rc;
			refs[i].error = bt_xstrdup(bt_error_last());
		}
		return rc;
	}
	which = bt_xcalloc(n ? n : 1, sizeof(*which));
	for (i = 0; i < n; i++) {
		char sha[65], *name = NULL;
		struct xfer *x;
		which[i] = (size_t)-1;
		if ((rc = bt_fetch_check_url(refs[i].url)) != 0 ||
		    (rc = bt_fetch_check_sha256(refs[i].sha256, sha)) != 0) {
			refs[i].status = rc;
			refs[i].error = bt_xstrdup(bt_error_last());
			emit_rejected(o, i, refs[i].url, refs[i].error);
			continue;
		}
		bt_fetch_cache_name(&name, refs[i].url, sha);
		/* Refs naming the same file share one transfer. */
		for (j = 0; j < b.n; j++)
			if (strcmp(b.x[j].name, name) == 0)
				break;
		if (j < b.n) {
			which[i] = j;
			free(name);
			continue;
		}
		x = batch_add(&b, &cap, i, refs[i].url);
		memcpy(x->sha, sha, sizeof(sha));
		x->name = name;
		x->final = bt_path_join(b.dir, name);
		x->part = bt_xasprintf("%s/%s.part", b.tmpdir, name);
		x->lockp = bt_xasprintf("%s/%s.lock", b.tmpdir, name);
		which[i] = b.n - 1;
	}
	rc = 0;
	if (b.n) {
		/* Everything may already be cached: then nothing is created or initialised. */
		int all_cached = 1;
		for (j = 0; j < b.n; j++)
			all_cached &= is_file(b.x[j].final);
		if (!all_cached)
			rc = batch_prepare(&b);
		if (rc) {
			for (j = 0; j < b.n; j++) {
				b.x[j].status = rc;
				b.x[j].error = bt_xstrdup(bt_error_last());
				b.x[j].state = X_DONE;
			}
		} else {
			run_batch(&b);
		}
	}
	for (i = 0; i < n; i++) {
		struct xfer *x = which[i] == (size_t)-1 ? NULL : &b.x[which[i]];
		struct stat st;
		if (x) {
			refs[i].status = x->status;
			if (x->status) {
				refs[i].error = bt_xstrdup(x->error);
			} else {
				refs[i].path = bt_xstrdup(x->final);
				refs[i].downloaded = x->downloaded && x->index == i;
				if (stat(x->final, &st) == 0)
					refs[i].size = (int64_t)st.st_size;
			}
		}
		if (refs[i].status && !failed++)
			first = i;
	}
	batch_close(&b);
	free(which);
	if (!failed)
		return 0;
	if (failed > 1)
		return bt_error_set(refs[first].status, "%s (and %zu more failed)",
		                    refs[first].error, failed - 1);
	return bt_error_set(refs[first].status, "%s", refs[first].error);
}

void bt_fetch_refs_release(struct bt_fetch_ref *refs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(refs[i].path);
		free(refs[i].error);
		refs[i].path = refs[i].error = NULL;
	}
}

int bt_fetch_ensure(const struct bt_fetch_opts *o, const char *url, const char *sha256,
                    char **path_out)
{
	struct bt_fetch_ref ref;
	int rc;

	memset(&ref, 0, sizeof(ref));
	ref.url = url;
	ref.sha256 = sha256;
	*path_out = NULL;
	rc = bt_fetch_refs(o, &ref, 1);
	if (!rc) {
		*path_out = ref.path;
		ref.path = NULL;
	}
	bt_fetch_refs_release(&ref, 1);
	return rc;
}

int bt_fetch_hash_url(const struct bt_fetch_opts *o, const char *url, char out[65], char **path_out)
{
	struct batch b;
	size_t cap = 0;
	struct xfer *x;
	int rc;

	out[0] = '\0';
	if (path_out)
		*path_out = NULL;
	rc = bt_fetch_check_url(url);
	if (rc)
		return rc;
	rc = batch_open(&b, o);
	if (rc)
		return rc;
	x = batch_add(&b, &cap, 0, url);
	x->hash_mode = 1;
	x->keep = path_out != NULL;
	rc = batch_prepare(&b);
	if (!rc) {
		/* Offline, x_begin() refuses with the message. */
		run_batch(&b);
		rc = x->status;
		if (rc) {
			bt_error_set(rc, "%s", x->error);
		} else {
			memcpy(out, x->got, 65);
			if (path_out)
				*path_out = bt_xstrdup(x->final);
		}
	}
	batch_close(&b);
	return rc;
}

int bt_fetch_suite(const struct bt_fetch_opts *o, struct bt_suite *s)
{
	struct bt_fetch_ref *refs;
	struct bt_data_ref **targets;
	const char **tasks;
	size_t n = 0, i, t, failed = 0, first = 0;
	int rc;

	refs = bt_xcalloc(2 * s->ntasks + 1, sizeof(*refs));
	targets = bt_xcalloc(2 * s->ntasks + 1, sizeof(*targets));
	tasks = bt_xcalloc(2 * s->ntasks + 1, sizeof(*tasks));
	for (t = 0; t < s->ntasks; t++) {
		struct bt_data_ref *both[2] = {&s->tasks[t].test, &s->tasks[t].train};
		for (i = 0; i < 2; i++) {
			struct bt_data_ref *r = both[i];
			if (!r->url)
				continue;
			if (r->path && access(r->path, R_OK) == 0)
				continue;
			refs[n].url = r->url;
			refs[n].sha256 = r->sha256;
			targets[n] = r;
			tasks[n] = s->tasks[t].name;
			n++;
		}
	}
	rc = n ? bt_fetch_refs(o, refs, n) : 0;
	for (i = 0; i < n; i++) {
		if (refs[i].status == 0) {
			free(targets[i]->path);
			targets[i]->path = refs[i].path;
			refs[i].path = NULL;
		} else if (!failed++) {
			first = i;
		}
	}
	if (rc) {
		if (failed > 1)
			bt_error_set(rc, "task '%s': %s (and %zu more failed)", tasks[first],
			             refs[first].error, failed - 1);
		else
			bt_error_set(rc, "task '%s': %s", tasks[first], refs[first].error);
	}
	bt_fetch_refs_release(refs, n);
	free(refs);
	free(targets);
	free(tasks);
	return rc;
}
