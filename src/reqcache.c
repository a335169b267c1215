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
#include <unistd.h>

#include "error.h"
#include "reqcache.h"
#include "util.h"

/* The cache files under root, sorted by plugin name: name and path pairs. */
static int find_caches(const char *root, char ***names, char ***paths, size_t *n)
{
	DIR *d = opendir(root);
	struct dirent *e;
	size_t cap = 0, cap2 = 0;

	*names = *paths = NULL;
	*n = 0;
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return bt_error_set(BT_EIO, "cannot read '%s': %s", root, strerror(errno));
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char *dir, *file;
		if (e->d_name[0] == '.')
			continue;
		dir = bt_path_join(root, e->d_name);
		file = bt_path_join(dir, BT_REQCACHE_FILE);
		free(dir);
		if (stat(file, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(file);
			continue;
		}
		bt_grow(names, &cap, *n + 1, sizeof(**names));
		bt_grow(paths, &cap2, *n + 1, sizeof(**paths));
		(*names)[*n] = bt_xstrdup(e->d_name);
		(*paths)[(*n)++] = file;
	}
	closedir(d);
	/* Insertion sort by name: a handful of plugins at most. */
	for (size_t i = 1; i < *n; i++)
		for (size_t j = i; j > 0 && strcmp((*names)[j - 1], (*names)[j]) > 0; j--) {
			char *t = (*names)[j];
			(*names)[j] = (*names)[j - 1];
			(*names)[j - 1] = t;
			t = (*paths)[j];
			(*paths)[j] = (*paths)[j - 1];
			(*paths)[j - 1] = t;
		}
	return 0;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
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

int bt_reqcache_list(const char *root, struct bt_reqcache_group **out, size_t *n)
{
	char **names, **paths;
	size_t nc, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = find_caches(root, &names, &paths, &nc);
	if (rc)
		return rc;
	for (size_t i = 0; i < nc && !rc; i++) {
		sqlite3 *db;
		sqlite3_stmt *st = NULL;
		rc = open_cache(paths[i], &db);
		if (rc || !db)
			continue;
		if (sqlite3_prepare_v2(db,
		                       "SELECT base_url, model, count(*), "
		                       "sum(length(request) + length(response)), min(created), "
		                       "max(created) FROM responses GROUP BY base_url, model "
		                       "ORDER BY base_url, model",
		                       -1, &st, NULL) != SQLITE_OK) {
			rc = bt_error_set(BT_EDB, "cannot read the request cache '%s': %s",
			                  paths[i], sqlite3_errmsg(db));
		}
		while (!rc && sqlite3_step(st) == SQLITE_ROW) {
			struct bt_reqcache_group *g;
			bt_grow(out, &cap, *n + 1, sizeof(**out));
			g = &(*out)[(*n)++];
			g->plugin = bt_xstrdup(names[i]);
			g->path = bt_xstrdup(paths[i]);
			g->base_url = bt_xstrdup((const char *)sqlite3_column_text(st, 0));
			g->model = bt_xstrdup((const char *)sqlite3_column_text(st, 1));
			g->responses = sqlite3_column_int64(st, 2);
			g->bytes = sqlite3_column_int64(st, 3);
			g->oldest = sqlite3_column_double(st, 4);
			g->newest = sqlite3_column_double(st, 5);
		}
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	free_list(names, nc);
	free_list(paths, nc);
	if (rc) {
		bt_reqcache_groups_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
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

int bt_reqcache_clear(const char *root, const char *base_url, const char *model, int64_t *removed)
{
	char **names, **paths;
	size_t nc;
	int rc;

	*removed = 0;
	rc = find_caches(root, &names, &paths, &nc);
	if (rc)
		return rc;
	for (size_t i = 0; i < nc && !rc; i++) {
		sqlite3 *db;
		sqlite3_stmt *st = NULL;
		rc = open_cache(paths[i], &db);
		if (rc || !db)
			continue;
		if (sqlite3_prepare_v2(db,
		                       "DELETE FROM responses WHERE (?1 IS NULL OR base_url = ?1) "
		                       "AND (?2 IS NULL OR model = ?2)",
		                       -1, &st, NULL) != SQLITE_OK) {
			rc = bt_error_set(BT_EDB, "cannot clear the request cache '%s': %s",
			                  paths[i], sqlite3_errmsg(db));
		} else {
			if (base_url)
				sqlite3_bind_text(st, 1, base_url, -1, SQLITE_STATIC);
			if (model)
				sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				rc = bt_error_set(BT_EDB, "cannot clear the request cache '%s': %s",
				                  paths[i], sqlite3_errmsg(db));
			else
				*removed += sqlite3_changes(db);
		}
		sqlite3_finalize(st);
		if (!rc) {
			/*
			 * Give the space back when nobody is reading the cache; a run
			 * using it now keeps its file as it is (and is not waited for).
			 */
			sqlite3_busy_timeout(db, 0);
			if (sqlite3_exec(db, "VACUUM", NULL, NULL, NULL) == SQLITE_OK)
				sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
				             NULL);
		}
		sqlite3_close(db);
	}
	free_list(names, nc);
	free_list(paths, nc);
	return rc;
}
