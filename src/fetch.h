/*
 * fetch.h - the verified, resumable download cache for data files that a
 * suite names by URL (benchtop-fetch(7)).
 *
 * A file is identified by its sha256 and stored in the cache directory as
 * "<sha256><suffix>", the suffix being the URL's extensions (".csv.gz"),
 * so the data reader still sees the format and two suites naming the same
 * data share one file.  Downloads go through libcurl (http, https, file),
 * always with TLS verification, into a partial file under DIR/.tmp/ that
 * keeps a stable name (so a later process resumes it with a Range
 * request), hashed while streaming, and renamed into place only when the
 * hash matches: nobody ever sees a partial or unverified file under a
 * final name.  A lock per target (flock) makes two processes fetching the
 * same file download it once.  Bytes are stored exactly as served: a .gz
 * stays compressed.
 *
 * Nothing here prints: progress goes to the caller's callback.
 */
#ifndef BT_FETCH_H
#define BT_FETCH_H

#include <stddef.h>
#include <stdint.h>

struct bt_suite;

enum bt_fetch_event_kind {
	BT_FETCH_EV_CACHED,   /* already in the cache: used without any network access */
	BT_FETCH_EV_WAITING,  /* another process holds the file's lock: waiting for it */
	BT_FETCH_EV_START,    /* a request begins (attempt, resumed_from) */
	BT_FETCH_EV_PROGRESS, /* bytes arrived (at most about ten times a second per file) */
	BT_FETCH_EV_RETRY,    /* an attempt failed; the next starts after `delay` seconds */
	BT_FETCH_EV_DONE,     /* downloaded, verified and renamed into the cache */
	BT_FETCH_EV_FAILED,   /* given up; `message` says why */
};

struct bt_fetch_event {
	enum bt_fetch_event_kind kind;
	size_t index;         /* which ref of the batch */
	const char *url;      /* as given */
	const char *sha256;   /* the expected hash; NULL while hashing an unknown file */
	const char *path;     /* the cache file (CACHED, DONE); NULL otherwise */
	int64_t done;         /* bytes of the file held so far, a resumed prefix included */
	int64_t total;        /* the file's whole size; -1 while unknown */
	int64_t resumed_from; /* START: bytes kept from an earlier attempt (0: from the start) */
	int attempt;          /* 1 for the first request of this file in this call */
	double delay;         /* RETRY: seconds until the next attempt */
	const char *message;  /* RETRY, FAILED: why */
};

/*
 * Progress callback.  Return 0 to go on; anything else stops every
 * transfer of the call, which then fails with BT_EINTR (partial files are
 * kept for a later resume).
 */
typedef int (*bt_fetch_cb)(const struct bt_fetch_event *ev, void *payload);

struct bt_fetch_opts {
	const char *cache_dir;  /* NULL: bt_fetch_default_dir() */
	int offline;            /* never use the network: a file not cached is an error */
	int jobs;               /* transfers at once in a batch; default 4 */
	double connect_timeout; /* seconds; default 30 */
	long low_speed_time;    /* seconds below low_speed_limit before a transfer is */
	long low_speed_limit;   /*   abandoned as stalled; defaults 30 s and 1 byte/s */
	int retries;            /* further attempts after a timeout, a dropped connection, */
	                        /*   a failed connect or an HTTP 5xx/408/429; default 5 */
	double backoff;         /* seconds before the first retry, doubled each time; default 1 */
	int max_redirects;      /* default 10 */
	const char *ca_file;    /* a PEM bundle to trust instead of the system's; NULL: system */
	bt_fetch_cb progress;   /* may be NULL */
	void *payload;
};

/*
 * Fill `o` with the defaults above, then apply the environment:
 * BENCHTOP_CACHE (cache_dir), BENCHTOP_FETCH_TIMEOUT (seconds, for both
 * connect_timeout and low_speed_time), BENCHTOP_FETCH_LOW_SPEED
 * (bytes/s), BENCHTOP_FETCH_RETRIES, BENCHTOP_FETCH_BACKOFF (seconds),
 * BENCHTOP_CA_BUNDLE (ca_file).  Callers then override fields from their
 * own options (--cache-dir, --offline, --jobs).  The strings point into
 * the environment.  BT_EINPUT names a malformed variable.
 */
int bt_fetch_opts_init(struct bt_fetch_opts *o);

/*
 * The default cache directory: $XDG_CACHE_HOME/benchtop/data, else
 * ~/.cache/benchtop/data.  (BENCHTOP_CACHE is applied by
 * bt_fetch_opts_init, --cache-dir by the caller.)  Caller frees.
 */
int bt_fetch_default_dir(char **out);

/* The cache directory `o` uses (its cache_dir, else the default).  Caller frees. */
int bt_fetch_cache_dir(const struct bt_fetch_opts *o, char **out);

/*
 * Check a URL before use: http, https or file, and nothing else.
 * BT_EINPUT otherwise.
 */
int bt_fetch_check_url(const char *url);

/*
 * Check a sha256 (64 hexadecimal digits, either case) and write it in
 * lower case to `out`.  BT_EINPUT otherwise.
 */
int bt_fetch_check_sha256(const char *sha256, char out[65]);

/*
 * The file name a (url, sha256) pair has in the cache: the lower-case hash
 * followed by the URL's last extensions, e.g. "<sha256>.csv.gz" (two when
 * the last is a compression suffix, else one; none when the name has no
 * plain extension).  Caller frees.
 */
int bt_fetch_cache_name(char **out, const char *url, const char *sha256);

/* One file of a batch. */
struct bt_fetch_ref {
	const char *url;    /* in */
	const char *sha256; /* in: the expected hash */
	char *path;         /* out: the verified file in the cache */
	int status;         /* out: 0, or a negative bt_status */
	char *error;        /* out: the message when status != 0 */
	int downloaded;     /* out: 1 when it came over the network in this call */
	int64_t size;       /* out: the file's size when status == 0 */
};

/*
 * Make every ref's file present in the cache: a cached file is used as it
 * is, without any network access; a missing one is downloaded (at most
 * o->jobs at once), verified and renamed into place.  Refs naming the same
 * file are fetched once.  Each ref gets its own status and message, and
 * each failure (a ref refused before any transfer too) reaches the
 * callback as a FAILED event; the call returns 0 when all succeeded, else
 * the first failure's status with its message (and how many more failed)
 * as the last error.
 *
 * Errors per ref: BT_EINPUT (bad URL or hash), BT_ENOTFOUND (offline and
 * not cached: the message names the URL), BT_EINPUT also when the
 * download's sha256 differs (the message names both hashes, and nothing is
 * left in the cache), BT_ENET (the transfer failed after its retries; a partial file
 * is kept for a later resume), BT_EIO/BT_ENOSPC (the cache directory),
 * BT_EINTR (the callback stopped the call).
 *
 * Free the outputs with bt_fetch_refs_release().
 */
int bt_fetch_refs(const struct bt_fetch_opts *o, struct bt_fetch_ref *refs, size_t n);
void bt_fetch_refs_release(struct bt_fetch_ref *refs, size_t n);

/*
 * The one-file form: ensure (url, sha256) is in the cache and return its
 * path in *path_out (caller frees).  Errors as bt_fetch_refs().
 */
int bt_fetch_ensure(const struct bt_fetch_opts *o, const char *url, const char *sha256,
                    char **path_out);

/*
 * Download `url` without knowing its hash and write the sha256 of its
 * bytes to `out` (for `benchtop suite hash URL`).  With `path_out`, the
 * file is also kept in the cache under its hash and its path returned
 * (caller frees); with NULL it is discarded.  Errors as bt_fetch_refs()
 * (BT_ENOTFOUND when offline).
 */
int bt_fetch_hash_url(const struct bt_fetch_opts *o, const char *url, char out[65],
                      char **path_out);

/*
 * Fetch every data file of a parsed suite that has a URL (each task's
 * test and train), in one batch, and point each such ref's `path` at its
 * cached file (replacing the previous value, which is freed).  A ref
 * that has both a path and a URL keeps its path when that file exists.
 * Errors as bt_fetch_refs(), the message prefixed with the task's name.
 */
int bt_fetch_suite(const struct bt_fetch_opts *o, struct bt_suite *s);

#endif
