/*
 * plugin-host.h - finding, loading and calling model plugins.
 *
 * A plugin is found by path (anything containing a '/' or ending in
 * ".so"), else by name as NAME.so (or benchtop-NAME.so) in each directory
 * of $BENCHTOP_PLUGIN_PATH, then in the installed plugin directory.  It is
 * loaded with RTLD_NOW | RTLD_LOCAL, its descriptor checked (ABI major,
 * size, required callbacks), and its file hashed so runs can record
 * exactly which model binary produced them.
 *
 * Every failure is distinct and says what to do: not found (listing where
 * it looked), not a shared object, no entry symbol, ABI too new, create
 * failed (with the plugin's own message).  Nothing here prints: plugin log
 * lines go to a callback the caller provides.
 */
#ifndef BT_PLUGIN_HOST_H
#define BT_PLUGIN_HOST_H

#include <stddef.h>

#include "benchtop/plugin.h"
#include "prompt.h"

struct bt_plugin;

/* The plugin directory this build installs to (BT_PLUGINDIR). */
const char *bt_plugin_default_dir(void);

/*
 * The directories searched for a plugin given by name, in order: each
 * non-empty entry of $BENCHTOP_PLUGIN_PATH (colon-separated), then
 * bt_plugin_default_dir().  A new NULL-terminated array of new strings;
 * free with bt_plugin_search_path_free().
 */
char **bt_plugin_search_path(void);
void bt_plugin_search_path_free(char **dirs);

/*
 * Resolve `name_or_path` to a file without loading it.  *out is a new
 * string; BT_ENOTFOUND names every place searched.
 */
int bt_plugin_find(char **out, const char *name_or_path);

/* Load a plugin (see above for the search).  Release with bt_plugin_unload(). */
int bt_plugin_load(struct bt_plugin **out, const char *name_or_path);
void bt_plugin_unload(struct bt_plugin *p);

const struct benchtop_plugin *bt_plugin_desc(const struct bt_plugin *p);
const char *bt_plugin_path(const struct bt_plugin *p);
const char *bt_plugin_sha256(const struct bt_plugin *p);

/* key=value params for create, in the order given on the command line. */
struct bt_params {
	char **keys;
	char **values;
	size_t n;
};
void bt_params_add(struct bt_params *p, const char *key, const char *value);
const char *bt_params_get(const struct bt_params *p, const char *key);
void bt_params_release(struct bt_params *p);

/*
 * Where plugin log lines and the cancellation flag come from.  `log` is
 * called on whichever thread the plugin logs from (predict may run on
 * several), with the message already formatted; it must be thread-safe.
 */
struct bt_host_config {
	void (*log)(void *payload, enum benchtop_log_level level, const char *plugin,
	            const char *message);
	void *log_payload;
	const volatile int *cancel; /* non-zero: cancel (may be NULL) */
	/*
	 * The host->example_json service.  The harness sets it to
	 * bt_task_example_json (suite.h), which serialises the example's
	 * source record.  NULL: the host serialises example->fields itself
	 * (numbers, text, vectors, and JSON fields embedded as values), which
	 * is what `plugin check` uses for its generated examples.
	 */
	const char *(*example_json)(const struct benchtop_example *ex);
	/*
	 * Where host->record_file's results go: `key` = `sha256` (hex) for the
	 * run.  Returns 0, or non-zero with the message set (a conflict with
	 * a value recorded before).  NULL: the file is hashed and the value
	 * only logged (`plugin check`).
	 */
	int (*record)(void *payload, const char *key, const char *sha256);
	void *record_payload;
	/*
	 * The task's prompt template and delimiters (prompt.h), copied at
	 * create.  NULL: the default template for the task's inputs, with the
	 * default few-shot delimiter and the task's target delimiter.
	 */
	const struct bt_prompt *prompt;
};

struct bt_instance;

/*
 * Create an instance for `task`.  Params no getter asked for, or values
 * that did not parse, fail creation with a message naming the param (and
 * the closest known one).  BT_EPLUGIN with the plugin's own message when
 * its create fails.
 */
int bt_instance_create(struct bt_instance **out, struct bt_plugin *p,
                       const struct bt_params *params, const struct benchtop_task_info *task,
                       const struct bt_host_config *cfg);
/*
 * Train on the task's train split: a no-op for plugins without fit and
 * for n == 0 (no train split), except that a plugin that needs training
 * then fails with BT_EINPUT.  BT_EPLUGIN with the plugin's own message.
 */
int bt_instance_fit(struct bt_instance *inst, const struct benchtop_example *ex, size_t n);
/*
 * Predict into out[0..n) (zeroed here first).  BT_EPLUGIN when the whole
 * call failed; per-example failures are in out[i].error.
 */
int bt_instance_predict(struct bt_instance *inst, const struct benchtop_example *ex, size_t n,
                        struct benchtop_prediction *out);
void bt_instance_destroy(struct bt_instance *inst);

/*
 * What the plugin attached with host->annotate to example `i` of the last
 * bt_instance_predict() on this thread: one JSON object (compact, keys in
 * the order first given), or NULL.  Valid until the next predict on this
 * thread.
 */
const char *bt_instance_annotation(size_t i);

/*
 * Is `key` one the host writes into a sample's detail itself ("scores",
 * "choice", "target_choice"; schemas/0003-sample-detail.sql)?  Plugins
 * cannot annotate under these names.
 */
int bt_detail_key_reserved(const char *key);

/*
 * The cache directory host->cache_dir gives the plugin `name` (see
 * benchtop/plugin.h), created 0700 when missing: a new string, or NULL
 * (message set) when there is no home for it or it cannot be created.
 */
char *bt_plugin_cache_dir(const char *name);
/* The directory holding every plugin's cache directory (not created); NULL as above. */
char *bt_plugin_cache_root(void);

#endif
