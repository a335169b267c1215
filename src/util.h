/*
 * util.h - small helpers shared by every module: allocation that cannot
 * fail quietly, a growable byte buffer, time, hashing, uuids and files.
 * Nothing here knows about the terminal or the command line.
 */
#ifndef BT_UTIL_H
#define BT_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BT_UNUSED(x)     ((void)(x))

/*
 * Allocation.  Like git's xmalloc(), these abort with a message on
 * exhaustion: every caller would otherwise have to unwind the same way and
 * none can do anything useful without memory.
 */
void *bt_xmalloc(size_t n);
void *bt_xcalloc(size_t nmemb, size_t size);
void *bt_xrealloc(void *p, size_t n);
/*
 * Blocks of 1 MiB and more from bt_xmalloc/bt_xcalloc come with their
 * pages mapped (see util.c).  bt_xmalloc_lazy leaves that to the caller,
 * for a block that threads fill in parts: each calls bt_prefault on its
 * own part, and the mapping happens on every core at once.
 */
void *bt_xmalloc_lazy(size_t n);
void bt_prefault(void *p, size_t n);
char *bt_xstrdup(const char *s);
char *bt_xstrndup(const char *s, size_t n);
char *bt_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *items (of *cap elements of `size` bytes) to hold at least `want`. */
void bt_grow(void *itemsp, size_t *cap, size_t want, size_t size);

/* A growable, always NUL-terminated byte buffer (git's strbuf). */
struct bt_buf {
	char *ptr;
	size_t len;
	size_t cap;
};
#define BT_BUF_INIT        \
	{                  \
		NULL, 0, 0 \
	}

void bt_buf_grow(struct bt_buf *b, size_t extra);
void bt_buf_add(struct bt_buf *b, const void *data, size_t len);
void bt_buf_puts(struct bt_buf *b, const char *s);
void bt_buf_putc(struct bt_buf *b, char c);
void bt_buf_printf(struct bt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bt_buf_vprintf(struct bt_buf *b, const char *fmt, va_list ap);
void bt_buf_reset(struct bt_buf *b);
/* Hand over the string (never NULL) and leave the buffer empty. */
char *bt_buf_detach(struct bt_buf *b);
void bt_buf_free(struct bt_buf *b);
/* The contents as a C string ("" for an empty, unallocated buffer). */
const char *bt_buf_cstr(const struct bt_buf *b);

/* Wall-clock time in seconds since the epoch, with sub-second precision. */
double bt_now(void);
/* A monotonic clock in seconds, for durations. */
double bt_monotonic(void);

/* Lower-case hex SHA-256 of a buffer; `out` holds 65 bytes. */
void bt_sha256_hex(char out[65], const void *data, size_t len);
/* SHA-256 of a file's contents. */
int bt_sha256_file(char out[65], const char *path);

/* Incremental SHA-256, for data that arrives in pieces. */
struct bt_sha256;
struct bt_sha256 *bt_sha256_new(void);
void bt_sha256_update(struct bt_sha256 *h, const void *data, size_t len);
/* Finish, write the hex digest and free the context. */
void bt_sha256_final(struct bt_sha256 *h, char out[65]);

/*
 * A new version-7 UUID (time-ordered, RFC 9562) in its 36-character text
 * form; `out` holds 37 bytes.  Time ordering keeps uuid prefixes of runs
 * made close together distinct only in their random tail, which is why run
 * references accept any unique prefix.
 */
void bt_uuid7(char out[37]);

/* Read a whole file; *out is NUL-terminated, *len excludes the NUL. */
int bt_read_file(char **out, size_t *len, const char *path);
/* Create `path` and any missing parents with `mode`. */
int bt_mkdir_p(const char *path, unsigned mode);
/* Join two path components with exactly one slash. */
char *bt_path_join(const char *a, const char *b);
/* The directory part of a path ("." when it has none); caller frees. */
char *bt_dirname(const char *path);

/* Parse a whole string as a number; 0 on success, BT_EINPUT otherwise. */
int bt_parse_double(const char *s, double *out);
int bt_parse_int64(const char *s, int64_t *out);

/*
 * Parse a size in bytes: a whole number, optionally followed by K, M, G or T
 * (binary multiples; "KiB", "MB" and the like are accepted too), at most
 * 2^50.  BT_EINPUT when it is not one.
 */
int bt_parse_size(const char *s, uint64_t *out);

/* Case-sensitive prefix test. */
int bt_starts_with(const char *s, const char *prefix);

/*
 * Levenshtein distance between two short strings, used for
 * "did you mean" suggestions.
 */
size_t bt_edit_distance(const char *a, const char *b);
/* The candidate closest to `word` when close enough to suggest, or NULL. */
const char *bt_suggest(const char *word, const char *const *candidates, size_t n);

/* The host name and the user name, never NULL (caller frees). */
char *bt_hostname(void);
char *bt_username(void);

#endif
