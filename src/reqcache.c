/*
 * reqcache.c - listing and clearing the request caches of HTTP model
 * plugins (reqcache.h).  The plugins write them; this only reads, deletes
 * and compacts, with bound parameters, and never prints.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "reqcache.h"
#include "util.h"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Open one cache.  *db is NULL (and 0 returned) for a file that holds no
 * table yet (a plugin created it and has not written its schema).
 */
static int open_cache(const char *path, sqlite3 **db)
{
	sqlite3_stmt *st = NULL;
	int version = 0, rc;

	*db = NULL;
	rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		rc = bt_error_set(BT_EDB, "cannot open the request cache '%s': %s", path,
		                  *db ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return rc;
	}
	/* Runs may be writing: wait for them rather than fail. */
	sqlite3_busy_timeout(*db, 10000);
	if (sqlite3_prepare_v2(*db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > BT_REQCACHE_VERSION) {
		sqlite3_close(*db);
		*db = NULL;
		return bt_error_set(BT_EVERSION,
		                    "the request cache '%s' was written by a newer benchtop "
		                    "(format %d; this one reads %d)",
		                    path, version, BT_REQCACHE_VERSION);
	}
	if (version < BT_REQCACHE_VERSION) {
		sqlite3_close(*db);
		*db = NULL;
	}
	return 0;
}

/*
 * Call fn for each plugin's cache under root, in the order of the
 * plugins' names, until one fails.  A missing root holds no cache.
 */
static int each_cache(const char *root,
                      int (*fn)(void *payload, const char *plugin, const char *path, sqlite3 *db),
                      void *payload)
{
	DIR *d = opendir(root);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0
		                       : bt_error_set(BT_EIO, "cannot read '%s': %s", root,
		                                      strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		bt_grow(&names, &cap, n + 1, sizeof(*names));
		names[n++] = bt_xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		char *dir = bt_path_join(root, names[i]),
		     *path = bt_path_join(dir, BT_REQCACHE_FILE);
		struct stat st;
		sqlite3 *db = NULL;
		if (!rc && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    (rc = open_cache(path, &db)) == 0 && db)
			rc = fn(payload, names[i], path, db);
		sqlite3_close(db);
		free(dir);
		free(path);
		free(names[i]);
	}
	free(names);
	return rc;
}

struct listing {
	struct bt_reqcache_group *g;
	size_t n, cap;
};

static int list_one(void *payload, const char *plugin, const char *path, sqlite3 *db)
{
	struct listing *l = payload;
	sqlite3_stmt *st = NULL;
	int r;

	if (sqlite3_prepare_v2(db,
	                       "SELECT base_url, model, count(*), "
	                       "sum(length(request) + length(response)), min(created), "
	                       "max(created) FROM responses GROUP BY base_url, model "
	                       "ORDER BY base_url, model",
	                       -1, &st, NULL) != SQLITE_OK)
		return bt_error_set(BT_EDB, "cannot read the request cache '%s': %s", path,
		                    sqlite3_errmsg(db));
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct bt_reqcache_group *g;
		bt_grow(&l->g, &l->cap, l->n + 1, sizeof(*l->g));
		g = &l->g[l->n++];
		g->plugin = bt_xstrdup(plugin);
		g->path = bt_xstrdup(path);
		g->base_url = bt_xstrdup((const char *)sqlite3_column_text(st, 0));
		g->model = bt_xstrdup((const char *)sqlite3_column_text(st, 1));
		g->responses = sqlite3_column_int64(st, 2);
		g->bytes = sqlite3_column_int64(st, 3);
		g->oldest = sqlite3_column_double(st, 4);
		g->newest = sqlite3_column_double(st, 5);
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return bt_error_set(BT_EDB, "cannot read the request cache '%s': %s", path,
		                    sqlite3_errmsg(db));
	return 0;
}

int bt_reqcache_list(const char *root, struct bt_reqcache_group **out, size_t *n)
{
	struct listing l = {NULL, 0, 0};
	int rc = each_cache(root, list_one, &l);

	if (rc) {
		bt_reqcache_groups_free(l.g, l.n);
		l.g = NULL;
		l.n = 0;
	}
	*out = l.g;
	*n = l.n;
	return rc;
}

void bt_reqcache_groups_free(struct bt_reqcache_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(g[i].plugin);
		free(g[i].path);
		free(g[i].base_url);
		free(g[i].model);
	}
	free(g);
}

struct clearing {
	const char *base_url, *model;
	int64_t removed;
};

static int clear_one(void *payload, const char *plugin, const char *path, sqlite3 *db)
{
	struct clearing *c = payload;
	sqlite3_stmt *st = NULL;
	int r;

	BT_UNUSED(plugin);
	if (sqlite3_prepare_v2(db,
	                       "DELETE FROM responses WHERE (?1 IS NULL OR base_url = ?1) "
	                       "AND (?2 IS NULL OR model = ?2)",
	                       -1, &st, NULL) != SQLITE_OK)
		return bt_error_set(BT_EDB, "cannot clear the request cache '%s': %s", path,
		                    sqlite3_errmsg(db));
	if (c->base_url)
		sqlite3_bind_text(st, 1, c->base_url, -1, SQLITE_STATIC);
	if (c->model)
		sqlite3_bind_text(st, 2, c->model, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return bt_error_set(BT_EDB, "cannot clear the request cache '%s': %s", path,
		                    sqlite3_errmsg(db));
	c->removed += sqlite3_changes(db);
	/*
	 * Give the space back when nobody is reading the cache; a run using it
	 * now keeps the file as it is (and is not waited for).
	 */
	sqlite3_busy_timeout(db, 0);
	if (sqlite3_exec(db, "VACUUM", NULL, NULL, NULL) == SQLITE_OK)
		sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	return 0;
}

int bt_reqcache_clear(const char *root, const char *base_url, const char *model, int64_t *removed)
{
	struct clearing c = {base_url, model, 0};
	int rc = each_cache(root, clear_one, &c);

	*removed = c.removed;
	return rc;
}
