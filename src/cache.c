/*
 * cache.c - the data cache directory: names, locks, listing, removal, and
 * the suite scan that says which suites name which file (see cache.h).
 * Downloads are fetch.c's.  Nothing here prints.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "cache.h"
#include "error.h"
#include "fetch.h"
#include "util.h"

static int is_lower_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int bt_cache_name_parse(const char *name, char *sha)
{
	const char *s;
	int i;

	for (i = 0; i < 64; i++)
		if (!is_lower_hex((unsigned char)name[i]))
			return 0;
	/* The suffix: ".ext" groups, each at least one alphanumeric. */
	for (s = name + 64; *s;) {
		if (*s != '.' || !is_alnum((unsigned char)s[1]))
			return 0;
		for (s++; is_alnum((unsigned char)*s); s++)
			;
	}
	if (sha) {
		memcpy(sha, name, 64);
		sha[64] = '\0';
	}
	return 1;
}

int bt_cache_lock(const char *path, int block, int *fd_out)
{
	struct stat a, b;
	int fd;

	*fd_out = -1;
	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return bt_error_set(BT_EIO, "cannot open lock '%s': %s", path,
			                    strerror(errno));
		while (flock(fd, LOCK_EX | (block ? 0 : LOCK_NB)) < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
			close(fd);
			if (err == EWOULDBLOCK)
				return 0;
			return bt_error_set(BT_EIO, "cannot lock '%s': %s", path, strerror(err));
		}
		/*
		 * The holder before us removes the file when done: a lock on an
		 * inode no longer at `path` guards nothing, so take it again.
		 */
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			*fd_out = fd;
			return 1;
		}
		close(fd);
	}
}

void bt_cache_unlock(const char *path, int fd)
{
	if (fd < 0)
		return;
	unlink(path);
	close(fd);
}

/* Is the lock at `path` held now?  Never creates the file. */
static int lock_busy(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), busy = 0;

	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		busy = errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* A partial's lock: <name>.lock beside <name>.part, or the file itself for hash-* temps. */
static char *partial_lock_path(const char *tmpdir, const char *file)
{
	char *base, *lock, *path;

	if (bt_starts_with(file, "hash-"))
		return NULL;
	base = bt_xstrndup(file, strlen(file) - strlen(".part"));
	lock = bt_xasprintf("%s.lock", base);
	path = bt_path_join(tmpdir, lock);
	free(base);
	free(lock);
	return path;
}

static int cmp_entries(const void *a, const void *b)
{
	const struct bt_cache_entry *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void add_entries(const char *dir, const char *sub, enum bt_cache_kind kind,
                        struct bt_cache_entry **items, size_t *n, size_t *cap)
{
	char *where = sub ? bt_path_join(dir, sub) : bt_xstrdup(dir);
	DIR *d = opendir(where);
	struct dirent *de;

	if (!d) {
		free(where);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct bt_cache_entry e;
		struct stat st;
		char *path;

		memset(&e, 0, sizeof(e));
		if (kind == BT_CACHE_FILE && !bt_cache_name_parse(de->d_name, e.sha256))
			continue;
		if (kind == BT_CACHE_PARTIAL) {
			if (!has_suffix(de->d_name, ".part"))
				continue;
			if (!bt_starts_with(de->d_name, "hash-")) {
				char *base = bt_xstrndup(de->d_name, strlen(de->d_name) - 5);
				int ours = bt_cache_name_parse(base, e.sha256);
				free(base);
				if (!ours)
					continue;
			}
		}
		path = bt_path_join(where, de->d_name);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		e.kind = kind;
		e.path = path;
		e.name = sub ? bt_path_join(sub, de->d_name) : bt_xstrdup(de->d_name);
		e.size = (int64_t)st.st_size;
		e.mtime = (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9;
		if (kind == BT_CACHE_PARTIAL) {
			char *lock = partial_lock_path(where, de->d_name);
			e.busy = lock_busy(lock ? lock : path);
			free(lock);
		}
		bt_grow(items, cap, *n + 1, sizeof(**items));
		(*items)[(*n)++] = e;
	}
	closedir(d);
	free(where);
}

int bt_cache_list(const char *dir, struct bt_cache_entry **out, size_t *n)
{
	struct bt_cache_entry *items = NULL;
	size_t cap = 0;
	struct stat st;

	*out = NULL;
	*n = 0;
	if (stat(dir, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return bt_error_set(BT_EIO, "cannot read cache directory '%s': %s", dir,
		                    strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return bt_error_set(BT_EINPUT, "cache directory '%s' is not a directory", dir);
	add_entries(dir, NULL, BT_CACHE_FILE, &items, n, &cap);
	add_entries(dir, BT_CACHE_TMPDIR, BT_CACHE_PARTIAL, &items, n, &cap);
	if (*n)
		qsort(items, *n, sizeof(*items), cmp_entries);
	*out = items;
	return 0;
}

void bt_cache_entries_free(struct bt_cache_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].path);
	}
	free(e);
}

int bt_cache_remove(const char *dir, const struct bt_cache_entry *e)
{
	char *tmpdir, *lock;
	const char *file;
	int fd, rc = 0;

	if (e->kind == BT_CACHE_FILE) {
		if (unlink(e->path) != 0 && errno != ENOENT)
			return bt_error_set(BT_EIO, "cannot remove '%s': %s", e->path,
			                    strerror(errno));
		return 0;
	}
	tmpdir = bt_path_join(dir, BT_CACHE_TMPDIR);
	file = strrchr(e->path, '/') ? strrchr(e->path, '/') + 1 : e->path;
	lock = partial_lock_path(tmpdir, file);
	if (lock) {
		rc = bt_cache_lock(lock, 0, &fd);
		if (rc == 1) {
			if (unlink(e->path) != 0 && errno != ENOENT)
				rc = bt_error_set(BT_EIO, "cannot remove '%s': %s", e->path,
				                  strerror(errno));
			else
				rc = 0;
			bt_cache_unlock(lock, fd);
		} else if (rc == 0) {
			rc = bt_error_set(BT_EBUSY, "'%s' is being downloaded now", e->name);
		}
	} else {
		/* A hash-* temp is locked through its own descriptor. */
		fd = open(e->path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (flock(fd, LOCK_EX | LOCK_NB) == 0)
				unlink(e->path);
			else
				rc = bt_error_set(BT_EBUSY, "'%s' is being downloaded now",
				                  e->name);
			close(fd);
		}
	}
	free(lock);
	free(tmpdir);
	return rc;
}

int bt_cache_prune_locks(const char *dir, size_t *removed)
{
	char *tmpdir = bt_path_join(dir, BT_CACHE_TMPDIR);
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	int rc = 0;

	*removed = 0;
	if (!d) {
		free(tmpdir);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		char *path, *base, *part;
		struct stat st;
		int fd, got;

		if (!has_suffix(de->d_name, ".lock"))
			continue;
		path = bt_path_join(tmpdir, de->d_name);
		base = bt_xstrndup(path, strlen(path) - 5);
		part = bt_xasprintf("%s.part", base);
		/* A lock beside a partial stays with it; bt_cache_remove() takes both. */
		if (stat(part, &st) != 0) {
			got = bt_cache_lock(path, 0, &fd);
			if (got == 1) {
				bt_cache_unlock(path, fd);
				++*removed;
			} else if (got < 0) {
				rc = got;
			}
		}
		free(path);
		free(base);
		free(part);
	}
	closedir(d);
	free(tmpdir);
	return rc;
}

/* --- which suites name which file ------------------------------------------------------- */

struct scan_frame {
	int is_map;
	int want_key; /* a mapping's next node is a key */
	char *key;    /* the current key, while its value is read */
	char *url, *sha;
};

struct scan {
	struct scan_frame *stack;
	size_t depth, cap;
	struct bt_cache_suite *out;
	size_t cap_refs;
};

static void frame_value_done(struct scan_frame *f)
{
	free(f->key);
	f->key = NULL;
	f->want_key = 1;
}

static void scan_scalar(struct scan *s, const char *value)
{
	struct scan_frame *f = s->depth ? &s->stack[s->depth - 1] : NULL;

	if (!f || !f->is_map)
		return;
	if (f->want_key) {
		f->key = bt_xstrdup(value);
		f->want_key = 0;
		return;
	}
	if (f->key && strcmp(f->key, "url") == 0 && !f->url)
		f->url = bt_xstrdup(value);
	else if (f->key && strcmp(f->key, "sha256") == 0 && !f->sha)
		f->sha = bt_xstrdup(value);
	else if (f->key && strcmp(f->key, "name") == 0 && s->depth == 1 && !s->out->name)
		s->out->name = bt_xstrdup(value);
	frame_value_done(f);
}

static void scan_push(struct scan *s, int is_map)
{
	struct scan_frame *f = s->depth ? &s->stack[s->depth - 1] : NULL;

	/* A collection as a mapping's value ends that key; as a key, it is one. */
	if (f && f->is_map) {
		if (f->want_key)
			f->want_key = 0;
		else
			frame_value_done(f);
	}
	bt_grow(&s->stack, &s->cap, s->depth + 1, sizeof(*s->stack));
	memset(&s->stack[s->depth], 0, sizeof(*s->stack));
	s->stack[s->depth].is_map = is_map;
	s->stack[s->depth].want_key = 1;
	s->depth++;
}

static void scan_pop(struct scan *s)
{
	struct scan_frame *f;
	struct bt_cache_suite *o = s->out;
	char sha[65];

	if (!s->depth)
		return;
	f = &s->stack[--s->depth];
	if (f->sha && bt_fetch_check_sha256(f->sha, sha) == 0) {
		size_t cap = s->cap_refs;
		bt_grow(&o->sha256, &cap, o->n + 1, sizeof(*o->sha256));
		bt_grow(&o->url, &s->cap_refs, o->n + 1, sizeof(*o->url));
		o->sha256[o->n] = bt_xstrdup(sha);
		o->url[o->n] = f->url ? bt_xstrdup(f->url) : NULL;
		o->n++;
	}
	free(f->key);
	free(f->url);
	free(f->sha);
}

int bt_cache_scan_suite(struct bt_cache_suite *out, const char *path)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct scan s;
	FILE *f;
	char *err = NULL;
	int done = 0;
	const char *base;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	s.out = out;
	out->path = bt_xstrdup(path);
	f = fopen(path, "rb");
	if (!f)
		return bt_error_set(errno == ENOENT ? BT_ENOTFOUND : BT_EIO,
		                    "cannot open suite '%s': %s", path, strerror(errno));
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			err = bt_xasprintf("%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
			                   parser.problem_mark.column + 1,
			                   parser.problem ? parser.problem : "invalid YAML");
			break;
		}
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			scan_scalar(&s, (const char *)ev.data.scalar.value);
			break;
		case YAML_ALIAS_EVENT:
			/* An alias is a node like any other; its content is not followed. */
			if (s.depth && s.stack[s.depth - 1].is_map) {
				struct scan_frame *fr = &s.stack[s.depth - 1];
				if (fr->want_key)
					fr->want_key = 0;
				else
					frame_value_done(fr);
			}
			break;
		case YAML_MAPPING_START_EVENT:
			scan_push(&s, 1);
			break;
		case YAML_SEQUENCE_START_EVENT:
			scan_push(&s, 0);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			scan_pop(&s);
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	while (s.depth)
		scan_pop(&s);
	free(s.stack);
	yaml_parser_delete(&parser);
	fclose(f);
	if (!out->name) {
		base = strrchr(path, '/');
		out->name = bt_xstrdup(base ? base + 1 : path);
	}
	if (err) {
		bt_error_set(BT_EINPUT, "%s", err);
		free(err);
		return BT_EINPUT;
	}
	return 0;
}

void bt_cache_suite_release(struct bt_cache_suite *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->sha256[i]);
		free(s->url[i]);
	}
	free(s->sha256);
	free(s->url);
	free(s->path);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

void bt_cache_format_size(char *out, size_t n, int64_t bytes)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(out, n, "%lld B", (long long)bytes);
		return;
	}
	v /= 1024.0;
	while (v >= 1024.0 && u + 1 < BT_ARRAY_SIZE(units)) {
		v /= 1024.0;
		u++;
	}
	snprintf(out, n, "%.1f %s", v, units[u]);
}
