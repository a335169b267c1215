/*
 * run.c - runs and what hangs off them, in the results store.
 *
 * Every statement here is constant SQL with bound parameters.  Listing
 * accepts a WHERE clause compiled by filter.c, which is itself constant
 * text plus bound arguments, never user text.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "filter.h"
#include "run.h"
#include "util.h"

static const char *const status_names[] = {"running", "finished", "failed", "interrupted"};

const char *bt_run_status_name(enum bt_run_status s)
{
	return (unsigned)s < BT_ARRAY_SIZE(status_names) ? status_names[s] : "unknown";
}

int bt_run_status_parse(const char *name)
{
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(status_names); i++)
		if (strcmp(name, status_names[i]) == 0)
			return (int)i;
	return -1;
}

void bt_run_release(struct bt_run *r)
{
	free(r->kind);
	free(r->name);
	free(r->status_reason);
	free(r->suite);
	free(r->suite_version);
	free(r->suite_hash);
	free(r->suite_path);
	free(r->model);
	free(r->model_version);
	free(r->plugin_sha256);
	free(r->command);
	free(r->cwd);
	free(r->git_sha);
	free(r->git_branch);
	free(r->git_patch);
	free(r->git_patch_sha256);
	free(r->git_workdir);
	free(r->host);
	free(r->user);
	free(r->shard_group);
	free(r->note);
	memset(r, 0, sizeof(*r));
}

static void bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (s)
		sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, idx);
}

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? bt_xstrdup((const char *)t) : NULL;
}

static double col_time(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_double(st, i);
}

const char bt_run_columns[] =
        "r.id, r.uuid, r.kind, r.name, r.status, r.status_reason, r.suite, r.suite_version, "
        "r.suite_hash, r.suite_path, r.model, r.model_version, r.plugin_sha256, r.command, "
        "r.cwd, r.seed, r.git_sha, r.git_branch, r.git_dirty, r.git_patch, r.git_patch_sha256, "
        "r.git_workdir, r.host, r.user, r.pid, r.started_at, r.ended_at, r.heartbeat_at, "
        "r.progress_done, r.progress_total, r.exit_status, r.shard_index, r.shard_count, "
        "r.shard_group, r.note";

void bt_run_from_row(struct bt_run *r, sqlite3_stmt *st)
{
	const char *uuid = (const char *)sqlite3_column_text(st, 1);
	const char *status = (const char *)sqlite3_column_text(st, 4);
	int s;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	snprintf(r->uuid, sizeof(r->uuid), "%s", uuid ? uuid : "");
	r->kind = col_text(st, 2);
	r->name = col_text(st, 3);
	s = status ? bt_run_status_parse(status) : -1;
	r->status = s < 0 ? BT_RUN_FAILED : (enum bt_run_status)s;
	r->status_reason = col_text(st, 5);
	r->suite = col_text(st, 6);
	r->suite_version = col_text(st, 7);
	r->suite_hash = col_text(st, 8);
	r->suite_path = col_text(st, 9);
	r->model = col_text(st, 10);
	r->model_version = col_text(st, 11);
	r->plugin_sha256 = col_text(st, 12);
	r->command = col_text(st, 13);
	r->cwd = col_text(st, 14);
	r->has_seed = sqlite3_column_type(st, 15) != SQLITE_NULL;
	r->seed = sqlite3_column_int64(st, 15);
	r->git_sha = col_text(st, 16);
	r->git_branch = col_text(st, 17);
	r->git_dirty = sqlite3_column_int(st, 18);
	r->git_patch = col_text(st, 19);
	r->git_patch_sha256 = col_text(st, 20);
	r->git_workdir = col_text(st, 21);
	r->host = col_text(st, 22);
	r->user = col_text(st, 23);
	r->pid = sqlite3_column_int64(st, 24);
	r->started_at = col_time(st, 25);
	r->ended_at = col_time(st, 26);
	r->heartbeat_at = col_time(st, 27);
	r->progress_done = sqlite3_column_int64(st, 28);
	r->progress_total = sqlite3_column_int64(st, 29);
	r->has_exit_status = sqlite3_column_type(st, 30) != SQLITE_NULL;
	r->exit_status = sqlite3_column_int64(st, 30);
	r->shard_index = sqlite3_column_int64(st, 31);
	r->shard_count = sqlite3_column_int64(st, 32);
	r->shard_group = col_text(st, 33);
	r->note = col_text(st, 34);
}

static int insert_pairs(struct bt_store *s, const char *sql, int64_t id, const char *const *a,
                        const char *const *b, size_t n, const char *what)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = bt_store_prepare(s, &st, sql);

	for (i = 0; !rc && i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		bind_text(st, 2, a[i]);
		if (b)
			bind_text(st, 3, b[i]);
		rc = bt_store_step_done(s, st, what);
	}
	sqlite3_finalize(st);
	return rc;
}

int bt_run_create(struct bt_store *s, struct bt_run *r, const struct bt_git_info *git,
                  const char *const *keys, const char *const *values, size_t nparams,
                  const char *const *tags, size_t ntags)
{
	static const char sql[] =
	        "INSERT INTO runs (uuid, kind, name, status, suite, suite_version, suite_hash, "
	        "suite_path, model, model_version, plugin_sha256, command, cwd, seed, git_sha, "
	        "git_branch, git_dirty, git_patch, git_patch_sha256, git_workdir, host, user, pid, "
	        "started_at, heartbeat_at, progress_total, shard_index, shard_count, shard_group, "
	        "note) VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	        "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?23, ?24, ?25, ?26, ?27, ?28)";
	sqlite3_stmt *st = NULL;
	int rc;

	if (!r->uuid[0])
		bt_uuid7(r->uuid);
	if (!r->kind)
		r->kind = bt_xstrdup("eval");
	if (r->started_at <= 0)
		r->started_at = bt_now();
	if (!r->host)
		r->host = bt_hostname();
	if (!r->user)
		r->user = bt_username();
	if (!r->pid)
		r->pid = (int64_t)getpid();
	if (git && git->sha[0]) {
		free(r->git_sha);
		r->git_sha = bt_xstrdup(git->sha);
		free(r->git_branch);
		r->git_branch = git->branch ? bt_xstrdup(git->branch) : NULL;
		r->git_dirty = git->dirty;
		free(r->git_patch);
		r->git_patch = git->patch ? bt_xstrdup(git->patch) : NULL;
		free(r->git_patch_sha256);
		r->git_patch_sha256 = git->patch ? bt_xstrdup(git->patch_sha256) : NULL;
	}
	if (git && git->workdir) {
		free(r->git_workdir);
		r->git_workdir = bt_xstrdup(git->workdir);
	}
	r->status = BT_RUN_RUNNING;

	rc = bt_store_begin(s);
	if (rc)
		return rc;
	rc = bt_store_prepare(s, &st, sql);
	if (rc)
		goto fail;
	bind_text(st, 1, r->uuid);
	bind_text(st, 2, r->kind);
	bind_text(st, 3, r->name);
	bind_text(st, 4, r->suite);
	bind_text(st, 5, r->suite_version);
	bind_text(st, 6, r->suite_hash);
	bind_text(st, 7, r->suite_path);
	bind_text(st, 8, r->model);
	bind_text(st, 9, r->model_version);
	bind_text(st, 10, r->plugin_sha256);
	bind_text(st, 11, r->command);
	bind_text(st, 12, r->cwd);
	if (r->has_seed)
		sqlite3_bind_int64(st, 13, r->seed);
	bind_text(st, 14, r->git_sha);
	bind_text(st, 15, r->git_branch);
	if (r->git_sha)
		sqlite3_bind_int(st, 16, r->git_dirty);
	bind_text(st, 17, r->git_patch);
	bind_text(st, 18, r->git_patch_sha256);
	bind_text(st, 19, r->git_workdir);
	bind_text(st, 20, r->host);
	bind_text(st, 21, r->user);
	sqlite3_bind_int64(st, 22, r->pid);
	sqlite3_bind_double(st, 23, r->started_at);
	if (r->progress_total)
		sqlite3_bind_int64(st, 24, r->progress_total);
	if (r->shard_count) {
		sqlite3_bind_int64(st, 25, r->shard_index);
		sqlite3_bind_int64(st, 26, r->shard_count);
	}
	bind_text(st, 27, r->shard_group);
	bind_text(st, 28, r->note);
	rc = bt_store_step_done(s, st, "cannot insert run");
	if (rc)
		goto fail;
	r->id = sqlite3_last_insert_rowid(bt_store_handle(s));
	rc = insert_pairs(s, "INSERT OR REPLACE INTO params (run_id, key, value) VALUES (?, ?, ?)",
	                  r->id, keys, values, nparams, "cannot insert params");
	if (!rc)
		rc = insert_pairs(s, "INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?, ?)",
		                  r->id, tags, NULL, ntags, "cannot insert tags");
	if (rc)
		goto fail;
	sqlite3_finalize(st);
	return bt_store_commit(s);
fail:
	sqlite3_finalize(st);
	bt_store_rollback(s);
	return rc;
}

int bt_run_load(struct bt_store *s, int64_t id, struct bt_run *out)
{
	struct bt_buf sql = BT_BUF_INIT;
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	bt_buf_printf(&sql, "SELECT %s FROM runs r WHERE r.id = ?", bt_run_columns);
	rc = bt_store_prepare(s, &st, sql.ptr);
	bt_buf_free(&sql);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		bt_run_from_row(out, st);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = bt_error_set(BT_ENOTFOUND, "no run %lld", (long long)id);
	} else {
		rc = bt_store_error(s, rc, "cannot load run");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Run one UPDATE/DELETE on a run in its own short transaction. */
static int run_write(struct bt_store *s, const char *sql, int64_t id, const char *a, const char *b,
                     int must_change, const char *what)
{
	sqlite3_stmt *st;
	int rc = bt_store_prepare(s, &st, sql);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_bind_parameter_count(st) >= 2)
		bind_text(st, 2, a);
	if (sqlite3_bind_parameter_count(st) >= 3)
		bind_text(st, 3, b);
	rc = bt_store_step_done(s, st, what);
	if (!rc && must_change && sqlite3_changes(bt_store_handle(s)) == 0)
		rc = bt_error_set(BT_ENOTFOUND, "no run %lld", (long long)id);
	sqlite3_finalize(st);
	return rc;
}

int bt_run_finish(struct bt_store *s, int64_t id, enum bt_run_status status, const char *reason)
{
	static const char sql[] = "UPDATE runs SET status = ?2, status_reason = ?3, "
	                          "ended_at = ?4, heartbeat_at = ?4 WHERE id = ?1";
	sqlite3_stmt *st;
	int rc = bt_store_prepare(s, &st, sql);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, bt_run_status_name(status));
	bind_text(st, 3, reason);
	sqlite3_bind_double(st, 4, bt_now());
	rc = bt_store_step_done(s, st, "cannot update run status");
	sqlite3_finalize(st);
	return rc;
}

int bt_run_reopen(struct bt_store *s, int64_t id)
{
	static const char sql[] =
	        "UPDATE runs SET status = 'running', status_reason = NULL, "
	        "ended_at = NULL, heartbeat_at = ?2, pid = ?3, host = ?4 "
	        "WHERE id = ?1 AND status IN ('interrupted', 'failed', 'running')";
	sqlite3_stmt *st;
	char *host = bt_hostname();
	int rc = bt_store_prepare(s, &st, sql);

	if (!rc) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_double(st, 2, bt_now());
		sqlite3_bind_int64(st, 3, (int64_t)getpid());
		sqlite3_bind_text(st, 4, host, -1, SQLITE_TRANSIENT);
		rc = bt_store_step_done(s, st, "cannot reopen run");
		if (!rc && sqlite3_changes(bt_store_handle(s)) == 0)
			rc = bt_error_set(BT_EINPUT, "run %lld cannot be resumed: it is finished",
			                  (long long)id);
		sqlite3_finalize(st);
	}
	free(host);
	return rc;
}

int bt_run_heartbeat(struct bt_store *s, int64_t id, int64_t done, int64_t total)
{
	static const char sql[] = "UPDATE runs SET heartbeat_at = ?2, progress_done = ?3, "
	                          "progress_total = ?4 WHERE id = ?1";
	sqlite3_stmt *st;
	int rc = bt_store_prepare(s, &st, sql);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_double(st, 2, bt_now());
	sqlite3_bind_int64(st, 3, done);
	sqlite3_bind_int64(st, 4, total);
	rc = bt_store_step_done(s, st, "cannot record heartbeat");
	sqlite3_finalize(st);
	return rc;
}

int bt_run_delete(struct bt_store *s, int64_t id)
{
	int rc = bt_store_begin(s);

	if (rc)
		return rc;
	/* Cascades through params, tags, tasks (and their samples), metrics, series. */
	rc = run_write(s, "DELETE FROM runs WHERE id = ?1", id, NULL, NULL, 1, "cannot delete run");
	if (rc) {
		bt_store_rollback(s);
		return rc;
	}
	return bt_store_commit(s);
}

int bt_run_set_note(struct bt_store *s, int64_t id, const char *note)
{
	return run_write(s, "UPDATE runs SET note = ?2 WHERE id = ?1", id,
	                 note && *note ? note : NULL, NULL, 1, "cannot set note");
}

int bt_run_add_tag(struct bt_store *s, int64_t id, const char *tag)
{
	return run_write(s, "INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?1, ?2)", id, tag,
	                 NULL, 0, "cannot add tag");
}

int bt_run_remove_tag(struct bt_store *s, int64_t id, const char *tag)
{
	return run_write(s, "DELETE FROM tags WHERE run_id = ?1 AND tag = ?2", id, tag, NULL, 0,
	                 "cannot remove tag");
}

int bt_run_set_param(struct bt_store *s, int64_t id, const char *key, const char *value)
{
	return run_write(s,
	                 "INSERT OR REPLACE INTO params (run_id, key, value) VALUES (?1, ?2, ?3)",
	                 id, key, value, 1, "cannot set param");
}

int bt_run_put_metric(struct bt_store *s, int64_t run_id, const struct bt_metric_row *m)
{
	static const char sql[] =
	        "INSERT OR REPLACE INTO metrics (run_id, task, metric, value, ci_low, ci_high, "
	        "stderr, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	int rc = bt_store_prepare(s, &st, sql);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, run_id);
	bind_text(st, 2, m->task);
	bind_text(st, 3, m->metric);
	/* NaN is stored as NULL: SQLite has no NaN, and "no value" is the truth. */
	if (m->value == m->value)
		sqlite3_bind_double(st, 4, m->value);
	if (m->has_ci) {
		if (m->ci_low == m->ci_low)
			sqlite3_bind_double(st, 5, m->ci_low);
		if (m->ci_high == m->ci_high)
			sqlite3_bind_double(st, 6, m->ci_high);
		if (m->stderr_ == m->stderr_)
			sqlite3_bind_double(st, 7, m->stderr_);
	}
	sqlite3_bind_int64(st, 8, m->n);
	rc = bt_store_step_done(s, st, "cannot store metric");
	sqlite3_finalize(st);
	return rc;
}

int bt_run_cache_commit(struct bt_store *s, const struct bt_git_commit *c)
{
	static const char sql[] =
	        "INSERT OR IGNORE INTO commits (sha, parents, author_name, author_email, "
	        "author_time, summary) VALUES (?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	int rc = bt_store_prepare(s, &st, sql);

	if (rc)
		return rc;
	bind_text(st, 1, c->sha);
	bind_text(st, 2, c->parents ? c->parents : "");
	bind_text(st, 3, c->author_name);
	bind_text(st, 4, c->author_email);
	sqlite3_bind_double(st, 5, c->author_time);
	bind_text(st, 6, c->summary);
	rc = bt_store_step_done(s, st, "cannot cache commit");
	sqlite3_finalize(st);
	return rc;
}

int bt_run_is_stale(const struct bt_run *r, double now)
{
	double last = r->heartbeat_at > 0 ? r->heartbeat_at : r->started_at;

	if (r->status != BT_RUN_RUNNING)
		return 0;
	if (r->host && r->pid > 0) {
		char *host = bt_hostname();
		int same = strcmp(host, r->host) == 0;
		free(host);
		if (same && kill((pid_t)r->pid, 0) < 0 && errno == ESRCH)
			return 1;
	}
	return now - last > BT_RUN_STALE_SECONDS;
}

const char *bt_run_display_status(const struct bt_run *r, double now)
{
	return bt_run_is_stale(r, now) ? "stale" : bt_run_status_name(r->status);
}

static const struct {
	const char *name, *expr;
} sort_fields[] = {
        {"id", "r.id"},
        {"started", "r.started_at"},
        {"ended", "r.ended_at"},
        {"duration", "(coalesce(r.ended_at, r.heartbeat_at, r.started_at) - r.started_at)"},
        {"name", "r.name"},
        {"suite", "r.suite"},
        {"model", "r.model"},
        {"status", "r.status"},
        {"branch", "r.git_branch"},
        {"kind", "r.kind"},
        {"host", "r.host"},
        {"user", "r.user"},
        {"commit", "r.git_sha"},
};

int bt_run_sort_is_field(const char *sort)
{
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(sort_fields); i++)
		if (strcmp(sort, sort_fields[i].name) == 0)
			return 1;
	return 0;
}

int bt_run_query(struct bt_store *s, const struct bt_run_query *q, bt_run_cb cb, void *payload)
{
	struct bt_buf sql = BT_BUF_INIT;
	struct bt_sqlargs args = BT_SQLARGS_INIT;
	const char *dir = q->ascending ? "ASC" : "DESC";
	const char *expr = NULL;
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;

	bt_buf_printf(&sql, "SELECT %s FROM runs r WHERE ", bt_run_columns);
	rc = bt_filter_compile(q->filter, q->now > 0 ? q->now : bt_now(), &sql, &args);
	if (rc)
		goto out;
	if (q->sort) {
		for (i = 0; i < BT_ARRAY_SIZE(sort_fields); i++)
			if (strcmp(q->sort, sort_fields[i].name) == 0)
				expr = sort_fields[i].expr;
		if (!expr) {
			/* A metric's mean over tasks, else a series' last value. */
			expr = "coalesce((SELECT avg(m.value) FROM metrics m WHERE m.run_id = r.id "
			       "AND m.metric = ?), (SELECT s.value FROM series s WHERE s.run_id = "
			       "r.id AND s.key = ? ORDER BY s.step DESC LIMIT 1))";
			/* The expression appears twice below: bind its names twice. */
			for (i = 0; i < 4; i++)
				bt_sqlargs_text(&args, q->sort);
		}
		bt_buf_printf(&sql, " ORDER BY %s IS NULL, %s %s, r.id %s", expr, expr, dir, dir);
	} else {
		bt_buf_printf(&sql, " ORDER BY r.started_at %s, r.id %s", dir, dir);
	}
	if (q->limit > 0 || q->offset > 0) {
		bt_buf_puts(&sql, " LIMIT ? OFFSET ?");
		bt_sqlargs_int(&args, q->limit > 0 ? q->limit : -1);
		bt_sqlargs_int(&args, q->offset);
	}
	rc = bt_store_prepare(s, &st, sql.ptr);
	if (!rc)
		rc = bt_sqlargs_bind(st, &args);
	if (rc)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct bt_run run;
		bt_run_from_row(&run, st);
		rc = cb(&run, payload);
		bt_run_release(&run);
		if (rc)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : bt_store_error(s, rc, "cannot list runs");
out:
	sqlite3_finalize(st);
	bt_sqlargs_release(&args);
	bt_buf_free(&sql);
	return rc;
}
