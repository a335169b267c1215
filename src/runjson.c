/*
 * runjson.c - one run, everything about it, as a JSON object.
 *
 * This is the single description of a run that `show --format json`,
 * `export` and the reports share; keep its keys stable, they are an
 * interface (documented in benchtop(1), EXPORT FORMAT).  The header lines
 * that `show` and the dashboard draw from it are composed here too
 * (bt_run_header_each), as text only: this file prints nothing.
 */
#include "config.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "format.h"
#include "plugin-host.h"
#include "run.h"
#include "runjson.h"
#include "util.h"

static void set_text(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, v ? json_string_nocheck(v) : json_null());
}

static void set_time(json_t *o, const char *key, double t)
{
	char buf[40];

	if (t <= 0) {
		json_object_set_new(o, key, json_null());
		return;
	}
	bt_format_iso8601(buf, sizeof(buf), t);
	json_object_set_new(o, key, json_string(buf));
}

static json_t *col_json(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	case SQLITE_TEXT:
		return json_stringn_nocheck((const char *)sqlite3_column_text(st, i),
		                            (size_t)sqlite3_column_bytes(st, i));
	default:
		return json_null();
	}
}

/* Parse a JSON text column, or null when absent or unparseable. */
static json_t *col_parsed(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	json_t *v;

	if (!t)
		return json_null();
	v = json_loads(t, JSON_DECODE_ANY, NULL);
	return v ? v : json_string_nocheck(t);
}

static int each_row(struct bt_store *s, const char *sql, int64_t id,
                    void (*fn)(sqlite3_stmt *st, json_t *acc), json_t *acc)
{
	sqlite3_stmt *st;
	int rc = bt_store_prepare(s, &st, sql);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(st, acc);
	rc = rc == SQLITE_DONE ? 0 : bt_store_error(s, rc, "cannot read run details");
	sqlite3_finalize(st);
	return rc;
}

static void add_param(sqlite3_stmt *st, json_t *o)
{
	json_object_set_new(o, (const char *)sqlite3_column_text(st, 0), col_json(st, 1));
}

static void add_tag(sqlite3_stmt *st, json_t *a)
{
	json_array_append_new(a, col_json(st, 0));
}

static void add_task(sqlite3_stmt *st, json_t *a)
{
	json_t *t = json_object();

	json_object_set_new(t, "name", col_json(st, 0));
	json_object_set_new(t, "type", col_json(st, 1));
	json_object_set_new(t, "n_examples", col_json(st, 2));
	json_object_set_new(t, "n_errors", col_json(st, 3));
	json_object_set_new(t, "labels", col_parsed(st, 4));
	json_object_set_new(t, "confusion", col_parsed(st, 5));
	json_array_append_new(a, t);
}

static void add_metric(sqlite3_stmt *st, json_t *o)
{
	const char *task = (const char *)sqlite3_column_text(st, 0);
	json_t *per_task = json_object_get(o, task);
	json_t *m = json_object();

	if (!per_task) {
		per_task = json_object();
		json_object_set_new(o, task, per_task);
	}
	json_object_set_new(m, "value", col_json(st, 2));
	json_object_set_new(m, "ci_low", col_json(st, 3));
	json_object_set_new(m, "ci_high", col_json(st, 4));
	json_object_set_new(m, "stderr", col_json(st, 5));
	json_object_set_new(m, "n", col_json(st, 6));
	json_object_set_new(per_task, (const char *)sqlite3_column_text(st, 1), m);
}

static void add_series(sqlite3_stmt *st, json_t *o)
{
	json_t *v = json_object();

	json_object_set_new(v, "count", col_json(st, 1));
	json_object_set_new(v, "first_step", col_json(st, 2));
	json_object_set_new(v, "last_step", col_json(st, 3));
	json_object_set_new(v, "last", col_json(st, 4));
	json_object_set_new(v, "min", col_json(st, 5));
	json_object_set_new(v, "max", col_json(st, 6));
	json_object_set_new(o, (const char *)sqlite3_column_text(st, 0), v);
}

static void add_sample(sqlite3_stmt *st, json_t *o)
{
	const char *task = (const char *)sqlite3_column_text(st, 0);
	json_t *list = json_object_get(o, task);
	json_t *v = json_object();
	static const char *const keys[] = {"idx",     "id",    "prediction", "target",
	                                   "correct", "score", "latency",    "error"};
	int i;

	if (!list) {
		list = json_array();
		json_object_set_new(o, task, list);
	}
	for (i = 0; i < 8; i++)
		json_object_set_new(v, keys[i], col_json(st, i + 1));
	/*
	 * What the model attached to the sample (host->annotate): the detail's
	 * keys but the host's own, present only when there are some.
	 */
	if (sqlite3_column_type(st, 9) == SQLITE_TEXT) {
		json_t *d = json_loads((const char *)sqlite3_column_text(st, 9), 0, NULL),
		       *a = NULL;
		const char *key;
		json_t *val;
		json_object_foreach(d, key, val)
		{
			if (bt_detail_key_reserved(key))
				continue;
			if (!a)
				a = json_object();
			json_object_set(a, key, val);
		}
		if (a)
			json_object_set_new(v, "annotations", a);
		json_decref(d);
	}
	json_array_append_new(list, v);
}

int bt_run_json(struct bt_store *s, const struct bt_run *r, unsigned flags, json_t **out)
{
	json_t *o = json_object(), *v;
	double now = bt_now();
	int rc;

	*out = NULL;
	json_object_set_new(o, "id", json_integer(r->id));
	set_text(o, "uuid", r->uuid);
	set_text(o, "kind", r->kind);
	set_text(o, "name", r->name);
	set_text(o, "status", bt_run_display_status(r, now));
	set_text(o, "reason", r->status_reason);
	set_text(o, "suite", r->suite);
	set_text(o, "suite_version", r->suite_version);
	set_text(o, "suite_hash", r->suite_hash);
	set_text(o, "suite_path", r->suite_path);
	set_text(o, "model", r->model);
	set_text(o, "model_version", r->model_version);
	set_text(o, "plugin_sha256", r->plugin_sha256);
	v = r->command ? json_loads(r->command, 0, NULL) : NULL;
	json_object_set_new(o, "command", v ? v : json_null());
	set_text(o, "cwd", r->cwd);
	json_object_set_new(o, "seed", r->has_seed ? json_integer(r->seed) : json_null());
	set_text(o, "git_sha", r->git_sha);
	set_text(o, "git_branch", r->git_branch);
	json_object_set_new(o, "git_dirty", r->git_sha ? json_boolean(r->git_dirty) : json_null());
	set_text(o, "git_patch_sha256", r->git_patch_sha256);
	if (flags & BT_RUN_JSON_PATCH)
		set_text(o, "git_patch", r->git_patch);
	set_text(o, "git_workdir", r->git_workdir);
	set_text(o, "host", r->host);
	set_text(o, "user", r->user);
	json_object_set_new(o, "pid", json_integer(r->pid));
	set_time(o, "started_at", r->started_at);
	set_time(o, "ended_at", r->ended_at);
	set_time(o, "heartbeat_at", r->heartbeat_at);
	if (r->ended_at > 0)
		json_object_set_new(o, "duration", json_real(r->ended_at - r->started_at));
	else
		json_object_set_new(o, "duration", json_null());
	if (r->progress_total > 0)
		json_object_set_new(o, "progress",
		                    json_pack("{sIsI}", "done", (json_int_t)r->progress_done,
		                              "total", (json_int_t)r->progress_total));
	json_object_set_new(o, "exit_status",
	                    r->has_exit_status ? json_integer(r->exit_status) : json_null());
	if (r->shard_count > 0)
		json_object_set_new(o, "shard",
		                    json_pack("{sIsIss?}", "index", (json_int_t)r->shard_index,
		                              "count", (json_int_t)r->shard_count, "group",
		                              r->shard_group));
	set_text(o, "note", r->note);

	v = json_object();
	json_object_set_new(o, "params", v);
	rc = each_row(s, "SELECT key, value FROM params WHERE run_id = ? ORDER BY key", r->id,
	              add_param, v);
	if (rc)
		goto fail;
	v = json_array();
	json_object_set_new(o, "tags", v);
	rc = each_row(s, "SELECT tag FROM tags WHERE run_id = ? ORDER BY tag", r->id, add_tag, v);
	if (rc)
		goto fail;
	v = json_array();
	json_object_set_new(o, "tasks", v);
	rc = each_row(s,
	              "SELECT name, type, n_examples, n_errors, labels, confusion FROM tasks "
	              "WHERE run_id = ? ORDER BY id",
	              r->id, add_task, v);
	if (rc)
		goto fail;
	v = json_object();
	json_object_set_new(o, "metrics", v);
	rc = each_row(s,
	              "SELECT m.task, m.metric, m.value, m.ci_low, m.ci_high, m.stderr, m.n "
	              "FROM metrics m LEFT JOIN tasks t ON t.run_id = m.run_id AND t.name = m.task "
	              "WHERE m.run_id = ? ORDER BY coalesce(t.id, 0), m.task, m.rowid",
	              r->id, add_metric, v);
	if (rc)
		goto fail;
	v = json_object();
	json_object_set_new(o, "series", v);
	rc = each_row(
	        s,
	        "SELECT key, count(*), min(step), max(step), "
	        "(SELECT s2.value FROM series s2 WHERE s2.run_id = s.run_id AND s2.key = s.key "
	        "ORDER BY s2.step DESC LIMIT 1), min(value), max(value) "
	        "FROM series s WHERE run_id = ? GROUP BY key ORDER BY key",
	        r->id, add_series, v);
	if (rc)
		goto fail;
	if (flags & BT_RUN_JSON_SAMPLES) {
		v = json_object();
		json_object_set_new(o, "samples", v);
		rc = each_row(
		        s,
		        "SELECT t.name, s.idx, s.example_id, s.prediction, s.target, s.correct, "
		        "s.score, s.latency, s.error, s.detail FROM samples s JOIN tasks t ON t.id "
		        "= "
		        "s.task_id WHERE t.run_id = ? ORDER BY t.id, s.idx",
		        r->id, add_sample, v);
		if (rc)
			goto fail;
	}
	*out = o;
	return 0;
fail:
	json_decref(o);
	return rc;
}

/* --- reading it back: the header lines -------------------------------------- */

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Hand over a line, unless there is nothing in it. */
static void emit_str(bt_run_header_cb emit, void *payload, const char *label, const char *value)
{
	if (value && *value)
		emit(label, value, payload);
}

/* The same for a line composed in `b`, which is left empty for the next. */
static void emit_buf(bt_run_header_cb emit, void *payload, const char *label, struct bt_buf *b)
{
	if (b->len)
		emit(label, b->ptr, payload);
	bt_buf_reset(b);
}

/*
 * The time set_time() wrote, back as seconds since the epoch; 0 when there
 * is none.  It keeps milliseconds (cut, not rounded), so a duration taken
 * from it can come out up to a millisecond longer than from the run.
 */
static double parse_time(const char *s)
{
	struct tm tm;
	const char *rest;
	double frac = 0;
	time_t t;

	if (!s)
		return 0;
	memset(&tm, 0, sizeof(tm));
	rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return 0;
	if (*rest == '.')
		frac = strtod(rest, NULL);
	t = timegm(&tm);
	return t == (time_t)-1 ? 0 : (double)t + frac;
}

/* The argv of the command, joined, with words the shell would split quoted. */
static void command_text(struct bt_buf *b, json_t *cmd)
{
	size_t i;

	for (i = 0; i < json_array_size(cmd); i++) {
		const char *a = json_string_value(json_array_get(cmd, i));
		if (i)
			bt_buf_putc(b, ' ');
		if (a && (!*a || strpbrk(a, " \t'\"\\$`*?><|&;()")))
			bt_buf_printf(b, "'%s'", a);
		else
			bt_buf_puts(b, a ? a : "");
	}
}

static void started_text(struct bt_buf *b, json_t *o, const struct bt_run_header_opts *opts)
{
	const char *status = str(o, "status");
	json_t *progress = json_object_get(o, "progress");
	double started = parse_time(str(o, "started_at"));
	char tmp[64];

	if (opts->flags & BT_RUN_HEADER_LOCAL_TIME) {
		bt_format_time(tmp, sizeof(tmp), started);
		bt_buf_puts(b, tmp);
	} else {
		bt_buf_puts(b, str(o, "started_at") ? str(o, "started_at") : "?");
	}
	if (json_is_number(json_object_get(o, "duration"))) {
		bt_format_duration(tmp, sizeof(tmp),
		                   json_number_value(json_object_get(o, "duration")));
		bt_buf_printf(b, ", took %s", tmp);
	} else if (opts->now > 0 && status &&
	           (strcmp(status, "running") == 0 || strcmp(status, "stale") == 0)) {
		/* A stale run is still running as far as the store knows. */
		bt_format_duration(tmp, sizeof(tmp), opts->now - started);
		bt_buf_printf(b, ", running for %s", tmp);
	}
	if ((opts->flags & BT_RUN_HEADER_LONG) && json_is_object(progress))
		bt_buf_printf(b, ", %lld/%lld examples done",
		              (long long)json_integer_value(json_object_get(progress, "done")),
		              (long long)json_integer_value(json_object_get(progress, "total")));
}

void bt_run_header_each(json_t *o, const struct bt_run_header_opts *opts, bt_run_header_cb emit,
                        void *payload)
{
	int long_form = (opts->flags & BT_RUN_HEADER_LONG) != 0;
	struct bt_buf b = BT_BUF_INIT;
	const char *key;
	json_t *v;
	size_t i;

	emit_str(emit, payload, "name", str(o, "name"));
	emit_str(emit, payload, "kind", str(o, "kind"));
	emit_str(emit, payload, "reason", str(o, "reason"));
	if (str(o, "suite")) {
		bt_buf_puts(&b, str(o, "suite"));
		if (str(o, "suite_version"))
			bt_buf_printf(&b, " %s", str(o, "suite_version"));
		if (long_form && str(o, "suite_path"))
			bt_buf_printf(&b, " (%s)", str(o, "suite_path"));
		if (str(o, "suite_hash"))
			bt_buf_printf(&b, ", data sha256 %.12s", str(o, "suite_hash"));
		emit_buf(emit, payload, "suite", &b);
	}
	if (str(o, "model")) {
		bt_buf_puts(&b, str(o, "model"));
		if (str(o, "model_version"))
			bt_buf_printf(&b, " %s", str(o, "model_version"));
		if (long_form && str(o, "plugin_sha256"))
			bt_buf_printf(&b, ", plugin sha256 %.12s", str(o, "plugin_sha256"));
		emit_buf(emit, payload, "model", &b);
	}
	command_text(&b, json_object_get(o, "command"));
	emit_buf(emit, payload, "command", &b);
	emit_str(emit, payload, "cwd", str(o, "cwd"));
	if (str(o, "git_sha")) {
		bt_buf_printf(&b, "%s (%s", str(o, "git_sha"),
		              str(o, "git_branch") ? str(o, "git_branch") : "detached");
		if (json_is_true(json_object_get(o, "git_dirty"))) {
			bt_buf_puts(&b, ", dirty");
			if (long_form || opts->patch_hint)
				bt_buf_puts(&b, ": ");
			if (long_form)
				bt_buf_printf(&b, "patch sha256 %.12s",
				              str(o, "git_patch_sha256")
				                      ? str(o, "git_patch_sha256")
				                      : "?");
			if (long_form && opts->patch_hint)
				bt_buf_puts(&b, "; ");
			if (opts->patch_hint)
				bt_buf_puts(&b, opts->patch_hint);
		}
		bt_buf_putc(&b, ')');
		emit_buf(emit, payload, "commit", &b);
	}
	bt_buf_printf(&b, "%s, user %s, pid %lld", str(o, "host") ? str(o, "host") : "?",
	              str(o, "user") ? str(o, "user") : "?",
	              (long long)json_integer_value(json_object_get(o, "pid")));
	emit_buf(emit, payload, "host", &b);
	started_text(&b, o, opts);
	emit_buf(emit, payload, "started", &b);
	if (json_is_integer(json_object_get(o, "seed"))) {
		bt_buf_printf(&b, "%lld",
		              (long long)json_integer_value(json_object_get(o, "seed")));
		emit_buf(emit, payload, "seed", &b);
	}
	if (json_is_integer(json_object_get(o, "exit_status"))) {
		bt_buf_printf(&b, "%lld",
		              (long long)json_integer_value(json_object_get(o, "exit_status")));
		emit_buf(emit, payload, "exit", &b);
	}
	json_object_foreach(json_object_get(o, "params"), key, v)
	{
		if (b.len)
			bt_buf_putc(&b, ' ');
		bt_buf_printf(&b, "%s=%s", key, json_string_value(v));
	}
	emit_buf(emit, payload, "params", &b);
	v = json_object_get(o, "tags");
	for (i = 0; i < json_array_size(v); i++)
		bt_buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(json_array_get(v, i)));
	emit_buf(emit, payload, "tags", &b);
	bt_buf_free(&b);
	if (str(o, "note"))
		emit("note", str(o, "note"), payload);
}
