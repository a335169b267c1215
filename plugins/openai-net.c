/*
 * openai-net.c - the HTTP side of the `openai` plugin (openai.h): a
 * libcurl multi loop that keeps many requests in flight, retries what
 * deserves a retry, honours Retry-After, stops when the run is cancelled;
 * a limit on requests in flight shared by every worker process of a run;
 * and the request cache, one SQLite file in the plugin's cache directory.
 *
 * Nothing here knows what a task or a prompt is: requests come in with
 * their bodies built, and leave with the server's answer or a sanitised
 * reason.  The API key goes into one header and nowhere else: not into
 * cache keys, logs or messages (server text is scrubbed of it).
 */
/* F_OFD_SETLK: open-file-description locks, Linux's per-descriptor record locks. */
#define _GNU_SOURCE 1

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "openai.h"
#include "reqcache.h"

/* Longest answer kept in memory: more is a runaway server, not a completion. */
#define MAX_ANSWER (256u << 20)
/* First retry delay, doubled per attempt up to MAX_BACKOFF (seconds). */
#define BASE_BACKOFF 0.5
#define MAX_BACKOFF  30.0
/* Longest Retry-After honoured: past that, the run would look hung. */
#define MAX_RETRY_AFTER 600.0
/* How often a waiting loop looks at the cancellation flag (seconds). */
#define CANCEL_POLL 0.05
/* How often a loop waiting for a free slot held by another process retries. */
#define SLOT_POLL 0.002

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- sanitising server text ------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80             ? 1
	             : (s[0] & 0xe0) == 0xc0 ? 2
	             : (s[0] & 0xf0) == 0xe0 ? 3
	             : (s[0] & 0xf8) == 0xf0 ? 4
	                                     : 0;

	if (!len || len > n || (len == 2 && s[0] < 0xc2))
		return 0;
	for (size_t k = 1; k < len; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

char *oa_sanitize(const char *text, size_t len, const char *api_key, size_t max)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t klen = api_key ? strlen(api_key) : 0, o = 0, i = 0;
	char *out = malloc(max + 4);

	if (!out)
		return NULL;
	while (i < len && o < max) {
		size_t n = utf8_len(s + i, len - i);
		if (klen >= 8 && len - i >= klen && memcmp(s + i, api_key, klen) == 0) {
			if (o + 3 > max)
				break;
			memcpy(out + o, "***", 3);
			o += 3;
			i += klen;
			continue;
		}
		if (n == 1 && (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) {
			out[o++] = ' ';
		} else if (n == 1 && (s[i] < 0x20 || s[i] == 0x7f)) {
			out[o++] = '?';
		} else if (n == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0) {
			out[o++] = '?'; /* C1 controls, which some terminals obey */
		} else if (n == 3 && s[i] == 0xe2 &&
		           ((s[i + 1] == 0x80 && s[i + 2] >= 0xaa && s[i + 2] <= 0xae) ||
		            (s[i + 1] == 0x81 && s[i + 2] >= 0xa6 && s[i + 2] <= 0xa9))) {
			out[o++] = '?'; /* bidirectional overrides and isolates */
		} else if (n == 0) {
			out[o++] = '?';
			n = 1;
		} else {
			if (o + n > max)
				break;
			memcpy(out + o, s + i, n);
			o += n;
		}
		i += n ? n : 1;
	}
	/* Trailing spaces (from newlines) say nothing. */
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

/*
 * What the server said in an error answer: OpenAI's {"error": {"message"}},
 * {"error": "..."}, {"message"}, FastAPI's {"detail"}, else the raw text.
 */
static char *server_message(const char *body, size_t len, const char *api_key)
{
	json_t *j = body && len ? json_loadb(body, len, 0, NULL) : NULL, *e, *v = NULL;
	char *msg = NULL;

	if (j && json_is_object(j)) {
		e = json_object_get(j, "error");
		if (json_is_object(e))
			v = json_object_get(e, "message");
		else if (json_is_string(e))
			v = e;
		if (!json_is_string(v))
			v = json_object_get(j, "message");
		if (!json_is_string(v))
			v = json_object_get(j, "detail");
		if (json_is_string(v)) {
			msg = oa_sanitize(json_string_value(v), json_string_length(v), api_key,
			                  500);
		} else if (v) {
			char *d = json_dumps(v, JSON_COMPACT);
			if (d)
				msg = oa_sanitize(d, strlen(d), api_key, 500);
			free(d);
		}
	}
	json_decref(j);
	if (!msg)
		msg = oa_sanitize(body ? body : "", body ? len : 0, api_key, 500);
	if (msg && !*msg) {
		free(msg);
		msg = strdup("(no message)");
	}
	return msg;
}

/* --- the request cache ------------------------------------------------------------ */

struct cache {
	sqlite3 *db;
	sqlite3_stmt *get, *put, *del;
	pthread_mutex_t mu; /* one connection, shared by the instance's threads */
	int warned;
};

static void cache_close(struct cache *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->get);
	sqlite3_finalize(c->put);
	sqlite3_finalize(c->del);
	sqlite3_close(c->db);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/*
 * Open (creating, 0600) DIR/requests.sqlite in WAL mode, so that every
 * worker of a run, and other runs, can share it.  NULL with a reason in
 * err when it cannot be used; the plugin then runs without a cache.
 */
static struct cache *cache_open(const char *dir, char *err, size_t errn)
{
	struct cache *c = calloc(1, sizeof(*c));
	char *path = NULL;
	sqlite3_stmt *st = NULL;
	int fd, version = -1, rc;

	if (!c || asprintf(&path, "%s/%s", dir, BT_REQCACHE_FILE) < 0) {
		snprintf(err, errn, "out of memory");
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	/* Created private before SQLite sees it: its -wal and -shm files follow its mode. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errn, "cannot open '%s': %s", path, strerror(errno));
		goto fail;
	}
	close(fd);
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		goto sql_fail;
	sqlite3_busy_timeout(c->db, 30000);
	/*
	 * A fully cached run is one lookup per example: read through a memory
	 * map and a large page cache, not a pread per page.
	 */
	if (sqlite3_exec(c->db,
	                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
	                 "PRAGMA mmap_size=268435456; PRAGMA cache_size=-32768",
	                 NULL, NULL, NULL) != SQLITE_OK)
		goto sql_fail;
	if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		goto sql_fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > BT_REQCACHE_VERSION) {
		snprintf(err, errn, "'%s' was written by a newer benchtop (format %d)", path,
		         version);
		goto fail;
	}
	if (version < BT_REQCACHE_VERSION) {
		/* Several workers may get here at once: the schema is idempotent. */
		rc = sqlite3_exec(c->db,
		                  "BEGIN IMMEDIATE; " BT_REQCACHE_SCHEMA
		                  "; PRAGMA user_version = " BT_REQCACHE_VERSION_STR "; COMMIT",
		                  NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
			goto sql_fail;
		}
	}
	if (sqlite3_prepare_v2(c->db, "SELECT response FROM responses WHERE key = ?", -1, &c->get,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db,
	                       "INSERT OR REPLACE INTO responses (key, base_url, model, endpoint, "
	                       "request, response, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
	                       -1, &c->put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "DELETE FROM responses WHERE key = ?", -1, &c->del, NULL) !=
	            SQLITE_OK)
		goto sql_fail;
	free(path);
	return c;
sql_fail:
	snprintf(err, errn, "cannot use '%s': %s", path,
	         c->db ? sqlite3_errmsg(c->db) : "out of memory");
fail:
	free(path);
	cache_close(c);
	return NULL;
}

/* Look every request up, in one read transaction; returns how many were found. */
static size_t cache_lookup(struct cache *c, struct oa_request *reqs, size_t n)
{
	size_t hits = 0;

	pthread_mutex_lock(&c->mu);
	sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		if (reqs[i].error || reqs[i].response)
			continue;
		sqlite3_reset(c->get);
		sqlite3_bind_text(c->get, 1, reqs[i].key, 64, SQLITE_STATIC);
		if (sqlite3_step(c->get) == SQLITE_ROW) {
			const char *v = (const char *)sqlite3_column_text(c->get, 0);
			if (v && (reqs[i].response = strdup(v)) != NULL) {
				reqs[i].cached = 1;
				hits++;
			}
		}
	}
	sqlite3_reset(c->get);
	sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	pthread_mutex_unlock(&c->mu);
	return hits;
}

static void cache_store(struct cache *c, const struct oa_net_config *cfg,
                        const struct oa_request *r)
{
	int rc;

	pthread_mutex_lock(&c->mu);
	sqlite3_reset(c->put);
	sqlite3_bind_text(c->put, 1, r->key, 64, SQLITE_STATIC);
	sqlite3_bind_text(c->put, 2, cfg->base_url, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->put, 3, cfg->model, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->put, 4, r->endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->put, 5, r->body, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->put, 6, r->response, -1, SQLITE_STATIC);
	sqlite3_bind_double(c->put, 7, wall());
	rc = sqlite3_step(c->put);
	sqlite3_reset(c->put);
	if (rc != SQLITE_DONE && !c->warned) {
		c->warned = 1;
		cfg->host->log(cfg->host, BENCHTOP_LOG_WARN,
		               "cannot store an answer in the request cache: %s",
		               sqlite3_errmsg(c->db));
	}
	pthread_mutex_unlock(&c->mu);
}

/* --- the run-wide limit on requests in flight ------------------------------------ */

/*
 * `concurrency` slots shared by every worker process of one run: slot i
 * is byte i of a lock file in the cache directory, held with an
 * open-file-description lock while a request is in flight.  The kernel
 * drops the locks of a process that dies, so a crashed worker never
 * leaks a slot.  The file is named after the harness process (the
 * parent of a `benchtop __worker`, else this process), so two runs never
 * share a limit.  Without a cache directory, the limit is per process.
 */
struct slots {
	int fd;
	char *path;
	long n;
	unsigned char *held; /* held[i]: this instance holds slot i */
	long next;
	pthread_mutex_t mu;
};

/* Are we a worker process started by the harness (`benchtop __worker`)? */
static int is_worker(void)
{
	char buf[512];
	ssize_t len;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	/* argv[1], after argv[0]'s terminating NUL */
	return strlen(buf) + 1 < (size_t)len && strcmp(buf + strlen(buf) + 1, "__worker") == 0;
}

/* Remove lock files of runs whose harness process is gone. */
static void slots_prune(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		long pid;
		char *end, path[4096];
		if (strncmp(e->d_name, "inflight-", 9) != 0)
			continue;
		pid = strtol(e->d_name + 9, &end, 10);
		if (pid <= 0 || strcmp(end, ".lock") != 0)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

static int slots_init(struct slots *s, const char *dir, long n)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->n = n;
	s->held = calloc((size_t)n, 1);
	if (!s->held)
		return -1;
	pthread_mutex_init(&s->mu, NULL);
	if (!dir)
		return 0;
	slots_prune(dir);
	if (asprintf(&s->path, "%s/inflight-%ld.lock", dir,
	             (long)(is_worker() ? getppid() : getpid())) < 0) {
		s->path = NULL;
		return 0;
	}
	s->fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	return 0;
}

/* Lock (F_WRLCK) or unlock (F_UNLCK) len bytes from start (len 0: to the end), without waiting. */
static int lock_bytes(int fd, short type, off_t start, off_t len)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl)); /* l_pid must be 0 for open-file-description locks */
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	fl.l_len = len;
	return fcntl(fd, F_OFD_SETLK, &fl);
}

/* A free slot's index, or -1 when all are taken (here or by other workers). */
static long slot_take(struct slots *s)
{
	long got = -1;

	pthread_mutex_lock(&s->mu);
	for (long k = 0; k < s->n && got < 0; k++) {
		long i = (s->next + k) % s->n;
		if (s->held[i])
			continue;
		if (s->fd >= 0 && lock_bytes(s->fd, F_WRLCK, i, 1) != 0)
			continue;
		s->held[i] = 1;
		s->next = i + 1;
		got = i;
	}
	pthread_mutex_unlock(&s->mu);
	return got;
}

static void slot_give(struct slots *s, long i)
{
	if (i < 0)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->fd >= 0)
		lock_bytes(s->fd, F_UNLCK, i, 1);
	s->held[i] = 0;
	pthread_mutex_unlock(&s->mu);
}

static void slots_release(struct slots *s)
{
	if (s->fd >= 0) {
		/* The last one out (nobody holds any byte) removes the file. */
		if (lock_bytes(s->fd, F_WRLCK, 0, 0) == 0 && s->path)
			unlink(s->path);
		close(s->fd);
	}
	free(s->path);
	free(s->held);
	pthread_mutex_destroy(&s->mu);
}

/* --- the client ------------------------------------------------------------------ */

/* A multi handle and its connections, used by one predict call at a time. */
struct session {
	struct session *next;
	CURLM *multi;
};

struct oa_net {
	struct oa_net_config cfg; /* strings copied below */
	char *base_url, *model, *api_key;
	char *url_completions, *url_chat;
	struct curl_slist *headers;
	struct cache *cache;
	struct slots slots;
	pthread_mutex_t mu; /* guards sessions, down, unauthorized, seed */
	struct session *sessions;
	char *down;         /* set once the server stayed unreachable: fail fast */
	char *unauthorized; /* set on a 401: every request would get one */
	uint64_t seed;      /* for jitter */
	EVP_MD *sha256;     /* fetched once: OpenSSL 3 looks EVP_sha256() up on every use */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void curl_init_once(void)
{
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void oa_net_key(const struct oa_net *net, struct oa_request *r)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	/* NUL-separated: no base URL or model name contains a NUL. */
	EVP_DigestInit_ex(ctx, net->sha256 ? net->sha256 : EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, net->base_url, strlen(net->base_url) + 1);
	EVP_DigestUpdate(ctx, net->model, strlen(net->model) + 1);
	EVP_DigestUpdate(ctx, r->body, strlen(r->body));
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < 32 && i < mdlen; i++) {
		r->key[2 * i] = hex[md[i] >> 4];
		r->key[2 * i + 1] = hex[md[i] & 15];
	}
	r->key[64] = '\0';
}

/* Can we open a connection to the server at all?  One connect, no request. */
static int reachable(const struct oa_net *net, char *err, size_t errn)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	CURL *e = curl_easy_init();
	CURLcode rc;
	long os_errno = 0;

	if (!e) {
		snprintf(err, errn, "cannot start libcurl");
		return -1;
	}
	curl_easy_setopt(e, CURLOPT_URL, net->base_url);
	curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(1000 * (net->cfg.timeout < 30 ? net->cfg.timeout : 30)));
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_cleanup(e);
	if (rc == CURLE_OK)
		return 0;
	if (rc == CURLE_COULDNT_CONNECT && os_errno == ECONNREFUSED)
		snprintf(err, errn,
		         "cannot connect to %s: connection refused (is the server running? check "
		         "-p base_url)",
		         net->base_url);
	else
		snprintf(err, errn, "cannot connect to %s: %s", net->base_url,
		         ebuf[0] ? ebuf : curl_easy_strerror(rc));
	return -1;
}

int oa_net_open(struct oa_net **out, const struct oa_net_config *cfg, char *err, size_t errn)
{
	struct oa_net *net = calloc(1, sizeof(*net));
	const struct benchtop_host *host = cfg->host;
	const char *dir = NULL;
	char *auth = NULL;

	*out = NULL;
	if (!net) {
		snprintf(err, errn, "out of memory");
		return -1;
	}
	pthread_mutex_init(&net->mu, NULL);
	net->cfg = *cfg;
	net->base_url = strdup(cfg->base_url);
	net->model = strdup(cfg->model);
	net->api_key = cfg->api_key ? strdup(cfg->api_key) : NULL;
	net->cfg.base_url = net->base_url;
	net->cfg.model = net->model;
	net->cfg.api_key = net->api_key;
	net->seed = (uint64_t)getpid() * 0x9e3779b97f4a7c15u ^ (uint64_t)(mono() * 1e9);
	net->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (asprintf(&net->url_completions, "%s/completions", cfg->base_url) < 0)
		net->url_completions = NULL;
	if (asprintf(&net->url_chat, "%s/chat/completions", cfg->base_url) < 0)
		net->url_chat = NULL;
	if (!net->base_url || !net->model || (cfg->api_key && !net->api_key) ||
	    !net->url_completions || !net->url_chat) {
		snprintf(err, errn, "out of memory");
		goto fail;
	}
	pthread_once(&curl_once, curl_init_once);
	if (!curl_ok) {
		snprintf(err, errn, "cannot initialise libcurl");
		goto fail;
	}
	net->headers = curl_slist_append(NULL, "Content-Type: application/json");
	net->headers = curl_slist_append(net->headers, "Accept: application/json");
	/* No "Expect: 100-continue" round trip before large bodies. */
	net->headers = curl_slist_append(net->headers, "Expect:");
	if (net->api_key) {
		if (asprintf(&auth, "Authorization: Bearer %s", net->api_key) < 0)
			auth = NULL;
		if (auth)
			net->headers = curl_slist_append(net->headers, auth);
		/* The header list holds its own copy: wipe ours. */
		if (auth)
			explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	if (reachable(net, err, errn))
		goto fail;
	if (BENCHTOP_HOST_HAS(host, cache_dir) && host->cache_dir)
		dir = host->cache_dir(host); /* NULL: the host has said why */
	else if (cfg->cache)
		host->log(host, BENCHTOP_LOG_WARN,
		          "this benchtop gives plugins no cache directory: answers are not cached");
	if (cfg->cache && dir) {
		char why[1024];
		net->cache = cache_open(dir, why, sizeof(why));
		if (!net->cache)
			host->log(host, BENCHTOP_LOG_WARN, "answers are not cached: %s", why);
	}
	if (slots_init(&net->slots, dir, cfg->concurrency)) {
		snprintf(err, errn, "out of memory");
		goto fail;
	}
	*out = net;
	return 0;
fail:
	oa_net_close(net);
	return -1;
}

void oa_net_close(struct oa_net *net)
{
	if (!net)
		return;
	while (net->sessions) {
		struct session *s = net->sessions;
		net->sessions = s->next;
		curl_multi_cleanup(s->multi);
		free(s);
	}
	if (net->slots.held)
		slots_release(&net->slots);
	cache_close(net->cache);
	curl_slist_free_all(net->headers);
	EVP_MD_free(net->sha256);
	if (net->api_key)
		explicit_bzero(net->api_key, strlen(net->api_key));
	free(net->api_key);
	free(net->base_url);
	free(net->model);
	free(net->url_completions);
	free(net->url_chat);
	free(net->down);
	free(net->unauthorized);
	pthread_mutex_destroy(&net->mu);
	free(net);
}

static struct session *session_take(struct oa_net *net)
{
	struct session *s;

	pthread_mutex_lock(&net->mu);
	s = net->sessions;
	if (s)
		net->sessions = s->next;
	pthread_mutex_unlock(&net->mu);
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->multi = curl_multi_init();
	if (!s->multi) {
		free(s);
		return NULL;
	}
	/* Keep a connection per slot open between calls (the default keeps fewer). */
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, net->cfg.concurrency + 4);
	return s;
}

static void session_give(struct oa_net *net, struct session *s)
{
	pthread_mutex_lock(&net->mu);
	s->next = net->sessions;
	net->sessions = s;
	pthread_mutex_unlock(&net->mu);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct oa_request *r = userp;
	size_t n = size * nmemb;

	if (r->len + n + 1 > MAX_ANSWER)
		return 0; /* CURLE_WRITE_ERROR */
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *p;
		while (cap < r->len + n + 1)
			cap *= 2;
		p = realloc(r->buf, cap);
		if (!p)
			return 0;
		r->buf = p;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

/* Retry-After (seconds or an HTTP date) and retry-after-ms (OpenAI, Azure). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct oa_request *r = userp;
	size_t n = size * nmemb;
	char line[256], *v, *end;
	double secs;

	if (n >= sizeof(line) || n < 12)
		return n;
	memcpy(line, data, n);
	line[n] = '\0';
	v = strchr(line, ':');
	if (!v)
		return n;
	*v++ = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	end = v + strlen(v);
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	if (strcasecmp(line, "retry-after-ms") == 0) {
		/* Integer milliseconds: parsed by hand, never through the locale. */
		long ms = strtol(v, &end, 10);
		if (end != v && !*end && ms >= 0)
			r->retry_after = (double)ms / 1000.0;
	} else if (strcasecmp(line, "retry-after") == 0 && r->retry_after < 0) {
		long s = strtol(v, &end, 10);
		if (end != v && !*end && s >= 0) {
			secs = (double)s;
		} else {
			time_t t = curl_getdate(v, NULL);
			secs = t > 0 ? (double)t - (double)time(NULL) : -1;
			if (t > 0 && secs < 0)
				secs = 0;
		}
		if (secs >= 0)
			r->retry_after = secs;
	}
	return n;
}

static int start(struct oa_net *net, struct session *s, struct oa_request *r)
{
	CURL *e = curl_easy_init();
	const char *url =
	        strcmp(r->endpoint, "completions") == 0 ? net->url_completions : net->url_chat;

	if (!e)
		return -1;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, net->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(net->cfg.timeout * 1000));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(1000 * (net->cfg.timeout < 30 ? net->cfg.timeout : 30)));
	/*
	 * HTTP/2 where the server offers it over TLS, HTTP/1.1 otherwise.  Over
	 * TLS, wait for the first connection's handshake to say whether it can
	 * carry every request; over plain HTTP, which never multiplexes here,
	 * waiting would hold every request until the first one is answered.
	 */
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	if (strncmp(url, "https://", 8) == 0)
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "benchtop-openai/1.0");
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	r->len = 0;
	r->retry_after = -1;
	r->easy = e;
	r->attempts++;
	if (curl_multi_add_handle(s->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		r->easy = NULL;
		return -1;
	}
	return 0;
}

static double jitter(struct oa_net *net)
{
	uint64_t z;

	pthread_mutex_lock(&net->mu);
	z = (net->seed += 0x9e3779b97f4a7c15u); /* splitmix64 */
	pthread_mutex_unlock(&net->mu);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

static void set_once(struct oa_net *net, char **slot, const char *msg)
{
	pthread_mutex_lock(&net->mu);
	if (!*slot)
		*slot = strdup(msg);
	pthread_mutex_unlock(&net->mu);
}

/* Why every new request would fail now, copied; NULL when they may proceed. */
static char *fail_fast(struct oa_net *net)
{
	char *why = NULL;

	pthread_mutex_lock(&net->mu);
	if (net->unauthorized)
		why = strdup(net->unauthorized);
	else if (net->down)
		why = strdup(net->down);
	pthread_mutex_unlock(&net->mu);
	return why;
}

static int transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static void fail(struct oa_request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct oa_request *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&r->error, fmt, ap) < 0)
		r->error = strdup("out of memory");
	va_end(ap);
}

/*
 * A transfer ended: keep the answer, schedule a retry, or record why the
 * request failed.  Returns 1 when the request is finished.
 */
static int finish(struct oa_net *net, struct session *s, struct oa_request *r, CURLcode rc)
{
	long status = 0;
	char why[1024];
	int retry = 0, unreachable = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(s->multi, r->easy);
	curl_easy_cleanup(r->easy);
	r->easy = NULL;
	slot_give(&net->slots, r->slot);
	r->slot = -1;

	if (rc == CURLE_OK && status >= 200 && status < 300) {
		r->response = r->buf ? r->buf : strdup("");
		r->buf = NULL;
		r->len = r->cap = 0;
		if (net->cache)
			cache_store(net->cache, &net->cfg, r);
		return 1;
	}
	if (rc == CURLE_OK) {
		char *msg = server_message(r->buf, r->len, net->api_key);
		snprintf(why, sizeof(why), "HTTP %ld from %s: %s", status,
		         strcmp(r->endpoint, "completions") == 0 ? net->url_completions
		                                                 : net->url_chat,
		         msg ? msg : "(no message)");
		free(msg);
		retry = status == 429 || status >= 500;
		if (status == 401) {
			/* Every request would get the same: say so once, ask no more. */
			size_t len = strlen(why);
			snprintf(why + len, sizeof(why) - len,
			         " (check OPENAI_API_KEY or BENCHTOP_API_KEY)");
			set_once(net, &net->unauthorized, why);
		}
	} else {
		snprintf(why, sizeof(why), "cannot reach %s: %s",
		         strcmp(r->endpoint, "completions") == 0 ? net->url_completions
		                                                 : net->url_chat,
		         rc == CURLE_WRITE_ERROR ? "the answer is too large"
		                                 : curl_easy_strerror(rc));
		retry = transient(rc);
		unreachable = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST;
	}
	if (retry && r->attempts <= net->cfg.max_retries) {
		double backoff = BASE_BACKOFF *
		                 (double)(1u << (r->attempts - 1 < 16 ? r->attempts - 1 : 16));
		double delay;
		if (backoff > MAX_BACKOFF)
			backoff = MAX_BACKOFF;
		/* Honour the server's Retry-After; else back off exponentially with jitter. */
		if (r->retry_after >= 0)
			delay = (r->retry_after < MAX_RETRY_AFTER ? r->retry_after
			                                          : MAX_RETRY_AFTER) *
			        (1 + 0.1 * jitter(net));
		else
			delay = backoff * (0.5 + 0.5 * jitter(net));
		r->not_before = mono() + delay;
		return 0;
	}
	if (r->attempts > 1)
		fail(r, "%s (gave up after %d attempts)", why, r->attempts);
	else
		fail(r, "%s", why);
	if (unreachable)
		set_once(net, &net->down, r->error);
	return 1;
}

static int cancelled(const struct oa_net *net)
{
	const struct benchtop_host *h = net->cfg.host;

	return h->cancelled && h->cancelled(h);
}

void oa_net_run(struct oa_net *net, struct oa_request *reqs, size_t n)
{
	struct session *s = NULL;
	size_t left = 0;

	for (size_t i = 0; i < n; i++) {
		reqs[i].slot = -1;
		reqs[i].easy = NULL;
		reqs[i].not_before = 0;
		left += !reqs[i].error && !reqs[i].response;
	}
	if (net->cache)
		left -= cache_lookup(net->cache, reqs, n);
	if (left)
		s = session_take(net);
	if (left && !s) {
		for (size_t i = 0; i < n; i++)
			if (!reqs[i].response && !reqs[i].error)
				fail(&reqs[i], "cannot start libcurl (out of memory)");
		return;
	}
	while (left > 0) {
		double now = mono(), wake = now + CANCEL_POLL;
		int stop = cancelled(net), starved = 0, running = 0;
		CURLMsg *msg;

		for (size_t i = 0; i < n && !starved; i++) {
			struct oa_request *r = &reqs[i];
			char *why;
			if (r->response || r->error || r->easy)
				continue;
			if (stop) {
				fail(r, "cancelled before the server answered");
				left--;
				continue;
			}
			if ((why = fail_fast(net)) != NULL) {
				r->error = why;
				left--;
				continue;
			}
			if (r->not_before > now) {
				if (r->not_before < wake)
					wake = r->not_before;
				continue;
			}
			if ((r->slot = (int)slot_take(&net->slots)) < 0) {
				starved = 1;
				break;
			}
			if (start(net, s, r)) {
				slot_give(&net->slots, r->slot);
				r->slot = -1;
				fail(r, "cannot start a request (out of memory)");
				left--;
			}
		}
		if (stop) {
			/* Abandon what is in flight: closing its connection tells the server. */
			for (size_t i = 0; i < n; i++) {
				struct oa_request *r = &reqs[i];
				if (!r->easy)
					continue;
				curl_multi_remove_handle(s->multi, r->easy);
				curl_easy_cleanup(r->easy);
				r->easy = NULL;
				slot_give(&net->slots, r->slot);
				r->slot = -1;
				fail(r, "cancelled before the server answered");
				left--;
			}
			break;
		}
		if (starved && now + SLOT_POLL < wake)
			wake = now + SLOT_POLL;
		curl_multi_perform(s->multi, &running);
		while ((msg = curl_multi_info_read(s->multi, &running)) != NULL) {
			char *p = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
			if (p && finish(net, s, (struct oa_request *)p, msg->data.result))
				left--;
		}
		if (left > 0) {
			double ms = (wake - mono()) * 1000;
			curl_multi_poll(s->multi, NULL, 0,
			                ms < 0      ? 0
			                : ms > 1000 ? 1000
			                            : (int)ms,
			                NULL);
		}
	}
	if (s) {
		/* Anything still attached (never, unless cancelled mid-way) goes. */
		for (size_t i = 0; i < n; i++)
			if (reqs[i].easy) {
				curl_multi_remove_handle(s->multi, reqs[i].easy);
				curl_easy_cleanup(reqs[i].easy);
				reqs[i].easy = NULL;
				slot_give(&net->slots, reqs[i].slot);
			}
		session_give(net, s);
	}
}

void oa_net_forget(struct oa_net *net, const struct oa_request *r)
{
	struct cache *c = net->cache;

	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	sqlite3_reset(c->del);
	sqlite3_bind_text(c->del, 1, r->key, 64, SQLITE_STATIC);
	sqlite3_step(c->del);
	sqlite3_reset(c->del);
	pthread_mutex_unlock(&c->mu);
}

void oa_request_release(struct oa_request *r)
{
	free(r->body);
	free(r->response);
	free(r->error);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}
