/*
 * reqcache.h - the request cache of the model plugins that call HTTP APIs
 * (the bundled `openai`): where it lives, its format, and listing and
 * clearing it for `benchtop cache requests`.
 *
 * A plugin keeps its cache in its own directory under the plugin cache
 * root (host->cache_dir; bt_plugin_cache_root() in plugin-host.h), as one
 * SQLite file in WAL mode shared by every worker and every run:
 *
 *   ROOT/NAME/requests.sqlite     NAME: the plugin ("openai")
 *
 * holding one row per request answered with a 200: the key is the hex
 * sha256 of the base URL, the model and the canonical request body (each
 * followed by a NUL, the body last), so the same question to the same
 * model at the same server is asked once.  The API key is not part of it
 * and is stored nowhere.
 *
 * The schema macros are shared with plugins/openai-net.c, which includes
 * this header for them alone (plugins link nothing of benchtop's).  The
 * functions below are the core's; nothing here prints.
 */
#ifndef BT_REQCACHE_H
#define BT_REQCACHE_H

#include <stddef.h>
#include <stdint.h>

#define BT_REQCACHE_FILE        "requests.sqlite"
#define BT_REQCACHE_VERSION     1 /* PRAGMA user_version of the file */
#define BT_REQCACHE_VERSION_STR "1"
#define BT_REQCACHE_SCHEMA                                                    \
	"CREATE TABLE IF NOT EXISTS responses ("                              \
	"key TEXT PRIMARY KEY NOT NULL, " /* hex sha256, see above */         \
	"base_url TEXT NOT NULL, "        /* as given, without a final '/' */ \
	"model TEXT NOT NULL, "                                               \
	"endpoint TEXT NOT NULL, " /* "completions", "chat/completions" */    \
	"request TEXT NOT NULL, "  /* the body sent */                        \
	"response TEXT NOT NULL, " /* the body of the 200 answer */           \
	"created REAL NOT NULL"    /* seconds since the epoch */              \
	") WITHOUT ROWID"

/* What one cache holds for one server and model. */
struct bt_reqcache_group {
	char *plugin; /* the directory the cache is in ("openai") */
	char *path;   /* the cache file */
	char *base_url;
	char *model;
	int64_t responses;
	int64_t bytes;         /* of request and response text */
	double oldest, newest; /* `created` of the oldest and newest answers */
};

/*
 * Every (cache, base URL, model) under `root`, sorted by plugin, base URL
 * and model.  A missing root is an empty list; a cache written by a newer
 * benchtop is BT_EVERSION.  Free with bt_reqcache_groups_free().
 */
int bt_reqcache_list(const char *root, struct bt_reqcache_group **out, size_t *n);
void bt_reqcache_groups_free(struct bt_reqcache_group *g, size_t n);

/*
 * Remove the cached answers of every cache under `root` that match
 * `base_url` and `model` (NULL matches any), and give the space back
 * when the cache is idle.  Safe while runs use the caches (they then ask
 * the server again).  *removed gets the number of answers removed.
 */
int bt_reqcache_clear(const char *root, const char *base_url, const char *model, int64_t *removed);

#endif
