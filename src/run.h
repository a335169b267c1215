/*
 * run.h - the run model: creating, loading, updating and deleting runs and
 * what hangs off them (params, tags, notes, metric summaries), and listing
 * runs through a compiled filter.
 *
 * A run is one evaluation (`eval`) or one tracked command (`exec`).  Its
 * status moves from running to finished, failed or interrupted; only a
 * resumed evaluation goes back to running.  All writes here are single
 * short transactions.
 */
#ifndef BT_RUN_H
#define BT_RUN_H

#include <stdint.h>

#include "git.h"
#include "store.h"

enum bt_run_status {
	BT_RUN_RUNNING,
	BT_RUN_FINISHED,
	BT_RUN_FAILED,
	BT_RUN_INTERRUPTED,
};

const char *bt_run_status_name(enum bt_run_status s);
/* Parse a status name; -1 when unknown. */
int bt_run_status_parse(const char *name);

struct bt_run {
	int64_t id;
	char uuid[37];
	char *kind; /* "eval" or "exec" */
	char *name;
	enum bt_run_status status;
	char *status_reason;
	char *suite, *suite_version, *suite_hash, *suite_path;
	char *model, *model_version, *plugin_sha256;
	char *command; /* JSON array of arguments */
	char *cwd;
	int64_t seed;
	int has_seed;
	char *git_sha; /* NULL outside a repository */
	char *git_branch;
	int git_dirty;
	char *git_patch;
	char *git_patch_sha256;
	char *git_workdir;
	char *host, *user;
	int64_t pid;
	double started_at, ended_at, heartbeat_at; /* 0 when unset */
	int64_t progress_done, progress_total;
	int64_t exit_status;
	int has_exit_status;
	int64_t shard_index, shard_count; /* shard_count 0: not sharded */
	char *shard_group;
	char *note;
};

void bt_run_release(struct bt_run *run);

/*
 * Insert a new run in status `running`, filling in id, uuid, started_at,
 * host, user and pid when they are unset, and the git fields from `git`
 * (which may be NULL).  Params (`keys`/`values`, `nparams` of them) and
 * tags are written in the same transaction.
 */
int bt_run_create(struct bt_store *s, struct bt_run *run, const struct bt_git_info *git,
                  const char *const *keys, const char *const *values, size_t nparams,
                  const char *const *tags, size_t ntags);

/* Load run `id`; BT_ENOTFOUND when there is none. */
int bt_run_load(struct bt_store *s, int64_t id, struct bt_run *out);

/* Move a run to its final status (sets ended_at). */
int bt_run_finish(struct bt_store *s, int64_t id, enum bt_run_status status, const char *reason);

/*
 * Put a run that ended (interrupted or failed) back in `running`, owned by
 * this process, for resuming it.
 */
int bt_run_reopen(struct bt_store *s, int64_t id);

/* Record liveness and progress of a running run. */
int bt_run_heartbeat(struct bt_store *s, int64_t id, int64_t done, int64_t total);

/* Delete a run and everything that belongs to it. */
int bt_run_delete(struct bt_store *s, int64_t id);

int bt_run_set_note(struct bt_store *s, int64_t id, const char *note);
int bt_run_add_tag(struct bt_store *s, int64_t id, const char *tag);
int bt_run_remove_tag(struct bt_store *s, int64_t id, const char *tag);
int bt_run_set_param(struct bt_store *s, int64_t id, const char *key, const char *value);

/* Store (insert or replace) one metric summary. */
struct bt_metric_row {
	const char *task;
	const char *metric;
	double value, ci_low, ci_high, stderr_;
	int64_t n;
	int has_ci; /* 0: ci_low/ci_high/stderr_ are stored as NULL */
};
int bt_run_put_metric(struct bt_store *s, int64_t run_id, const struct bt_metric_row *m);

/* Cache a commit's metadata in the commits table (insert or ignore). */
int bt_run_cache_commit(struct bt_store *s, const struct bt_git_commit *c);

/*
 * Is a `running` run stale: its process is gone from this host, or its
 * heartbeat is older than BT_RUN_STALE_SECONDS?  Only meaningful for
 * running runs.
 */
#define BT_RUN_STALE_SECONDS 300
int bt_run_is_stale(const struct bt_run *run, double now);

/* The run's status as users see it: "stale" for a dead running run. */
const char *bt_run_display_status(const struct bt_run *run, double now);

/*
 * Listing.  `filter` (NULL: every run) is compiled with filter.c; `sort`
 * names a run field (id, started, ended, duration, name, suite, model,
 * status, branch, kind, host, user) or a metric, whose value is its mean
 * over the run's tasks (runs without it sort last).  The default order is
 * newest first.  `limit` 0 means no limit.
 */
struct bt_filter;
struct bt_run_query {
	const struct bt_filter *filter;
	const char *sort;
	int ascending;
	int64_t limit, offset;
	double now; /* for relative times in the filter; 0: now */
};
typedef int (*bt_run_cb)(const struct bt_run *run, void *payload);
int bt_run_query(struct bt_store *s, const struct bt_run_query *q, bt_run_cb cb, void *payload);

/* Does `sort` name a run field (1) rather than a metric (0)? */
int bt_run_sort_is_field(const char *sort);

/* The SELECT list that bt_run_from_row() expects, for custom queries. */
extern const char bt_run_columns[];
void bt_run_from_row(struct bt_run *out, sqlite3_stmt *st);

/*
 * Everything known about a run as one JSON object: its fields, params,
 * tags, tasks (with confusion matrices), metric summaries and series
 * summaries; with BT_RUN_JSON_PATCH the dirty patch, with
 * BT_RUN_JSON_SAMPLES every sample.  Used by `show --format json` and
 * `export`, so both describe a run the same way.
 */
enum {
	BT_RUN_JSON_PATCH = 1 << 0,
	BT_RUN_JSON_SAMPLES = 1 << 1,
};
typedef struct json_t json_t;
int bt_run_json(struct bt_store *s, const struct bt_run *run, unsigned flags, json_t **out);

#endif
