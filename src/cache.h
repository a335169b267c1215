/*
 * cache.h - the data cache directory: its layout, the per-file locks that
 * downloads take, listing and removing what it holds, and finding which
 * suites name which file (benchtop-fetch(7)).
 *
 * Layout of a cache directory DIR:
 *   DIR/<sha256><suffix>          a verified file ("<sha256>.csv.gz")
 *   DIR/.tmp/<name>.part          a partial download of <name>, resumable
 *   DIR/.tmp/<name>.lock          the lock its downloader holds (flock)
 *   DIR/.tmp/hash-XXXXXX.part     a download of unknown hash (suite hash
 *                                 URL), locked through its own descriptor
 * Nothing else in DIR is benchtop's, and nothing here touches it.
 *
 * Downloading itself lives in fetch.c.  Nothing here prints.
 */
#ifndef BT_CACHE_H
#define BT_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* The subdirectory for partial files and locks. */
#define BT_CACHE_TMPDIR ".tmp"

/*
 * Is `name` a cache file name: 64 lower-case hex digits, optionally
 * followed by a suffix of '.'-separated alphanumeric extensions?  When it
 * is, its hash goes to `sha` (65 bytes, may be NULL).
 */
int bt_cache_name_parse(const char *name, char *sha);

/*
 * Take the exclusive lock at `path` (created when missing).  With `block`
 * 0, a lock held elsewhere returns 0 at once; otherwise this waits.
 * A holder removes the lock file when it is done, so a lock taken on a
 * file that is no longer at `path` is dropped and taken again.
 *
 * @param[out] fd_out  the descriptor holding the lock (1 returned)
 * @return 1 taken, 0 busy, or a negative bt_status (BT_EIO)
 */
int bt_cache_lock(const char *path, int block, int *fd_out);
/* Remove the lock file and release the lock (in that order). */
void bt_cache_unlock(const char *path, int fd);

enum bt_cache_kind {
	BT_CACHE_FILE,    /* a verified file */
	BT_CACHE_PARTIAL, /* a partial download under .tmp/ */
};

struct bt_cache_entry {
	enum bt_cache_kind kind;
	char *name;      /* relative to the cache directory (".tmp/x.part" for partials) */
	char *path;      /* the full path */
	char sha256[65]; /* from the name; "" for a partial of unknown hash */
	int64_t size;
	double mtime;
	int busy; /* partial: a download is writing it now */
};

/*
 * List the cache: verified files sorted by name, then partials.  A
 * missing directory is an empty cache.  Free with bt_cache_entries_free().
 */
int bt_cache_list(const char *dir, struct bt_cache_entry **out, size_t *n);
void bt_cache_entries_free(struct bt_cache_entry *e, size_t n);

/*
 * Remove one entry.  A partial whose download is running is left alone
 * (BT_EBUSY); a verified file can always be removed (a reader that has it
 * open keeps reading it).
 */
int bt_cache_remove(const char *dir, const struct bt_cache_entry *e);

/* Remove the lock files under .tmp/ that nobody holds; counts them in *removed. */
int bt_cache_prune_locks(const char *dir, size_t *removed);

/*
 * What a suite file says about cached data: every mapping in the YAML
 * that has a `sha256` key (64 hex digits) gives one (sha256, url) pair,
 * url NULL when the mapping has none, whatever the mapping's place in the
 * file.  This reads no data and needs no suite parser, so listing and
 * collecting the cache work even for a suite that no longer validates.
 */
struct bt_cache_suite {
	char *path;
	char *name; /* the top-level `name:` value, else the file's name */
	char **sha256;
	char **url;
	size_t n;
};

/* BT_ENOTFOUND for a missing file, BT_EINPUT ("path:line:col: ...") for bad YAML. */
int bt_cache_scan_suite(struct bt_cache_suite *out, const char *path);
void bt_cache_suite_release(struct bt_cache_suite *s);

/* A byte count for people: "512 B", "1.4 KiB", "12.0 MiB". */
void bt_cache_format_size(char *out, size_t n, int64_t bytes);

#endif
