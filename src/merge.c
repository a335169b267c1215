/*
 * merge.c - importing runs from other databases and combining shards (see
 * merge.h).
 *
 * Imports read the other database through ATTACH, after bt_store_open()
 * has checked that it is benchtop's and of this schema version; the
 * columns to copy come from the schema itself, so tables and columns that
 * later migrations add travel too.  Identifiers in the generated SQL come
 * from sqlite_master and are quoted; values are always bound.
 */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "merge.h"
#include "run.h"
#include "util.h"

/* --- the schema, as the copy sees it ----------------------------------------------- */

struct table {
	char *name;
	char **cols;
	size_t ncols;
	int id_col;    /* index of an INTEGER PRIMARY KEY `id`, or -1 */
	int run_col;   /* index of `run_id`, or -1 */
	int task_col;  /* index of `task_id`, or -1 */
	int has_rowid; /* a rowid table: copy in rowid order */
};

static void quote_ident(struct bt_buf *b, const char *name)
{
	bt_buf_putc(b, '"');
	for (; *name; name++) {
		if (*name == '"')
			bt_buf_putc(b, '"');
		bt_buf_putc(b, *name);
	}
	bt_buf_putc(b, '"');
}

static void free_tables(struct table *t, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < t[i].ncols; j++)
			free(t[i].cols[j]);
		free(t[i].cols);
		free(t[i].name);
	}
	free(t);
}

static int load_tables(struct bt_store *s, struct table **out, size_t *n)
{
	sqlite3 *db = bt_store_handle(s);
	sqlite3_stmt *st = NULL, *ti = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = bt_store_prepare(s, &st,
	                      "SELECT name FROM main.sqlite_master WHERE type = 'table' AND "
	                      "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
	if (!rc)
		rc = bt_store_prepare(s, &ti,
		                      "SELECT name, pk, upper(type) FROM pragma_table_info(?1, "
		                      "'main') ORDER BY cid");
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct table *t;
		struct bt_buf probe = BT_BUF_INIT;
		sqlite3_stmt *p;
		size_t ccap = 0;

		bt_grow(out, &cap, *n + 1, sizeof(**out));
		t = &(*out)[(*n)++];
		memset(t, 0, sizeof(*t));
		t->name = bt_xstrdup((const char *)sqlite3_column_text(st, 0));
		t->id_col = t->run_col = t->task_col = -1;
		sqlite3_reset(ti);
		sqlite3_bind_text(ti, 1, t->name, -1, SQLITE_STATIC);
		while (sqlite3_step(ti) == SQLITE_ROW) {
			const char *c = (const char *)sqlite3_column_text(ti, 0);
			const char *type = (const char *)sqlite3_column_text(ti, 2);
			int idx = (int)t->ncols;
			bt_grow(&t->cols, &ccap, t->ncols + 1, sizeof(*t->cols));
			t->cols[t->ncols++] = bt_xstrdup(c);
			if (strcmp(c, "id") == 0 && sqlite3_column_int(ti, 1) == 1 && type &&
			    strcmp(type, "INTEGER") == 0)
				t->id_col = idx;
			else if (strcmp(c, "run_id") == 0)
				t->run_col = idx;
			else if (strcmp(c, "task_id") == 0)
				t->task_col = idx;
		}
		/* WITHOUT ROWID tables have no rowid to order by. */
		bt_buf_puts(&probe, "SELECT rowid FROM main.");
		quote_ident(&probe, t->name);
		t->has_rowid = sqlite3_prepare_v2(db, probe.ptr, -1, &p, NULL) == SQLITE_OK;
		sqlite3_finalize(p);
		bt_buf_free(&probe);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(ti);
	if (rc) {
		free_tables(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static const struct table *find_table(const struct table *t, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

/*
 * "INSERT INTO main.T (cols) SELECT cols FROM SRC.T WHERE KEY = ?2": the
 * id column left out (new ids), the key column `subst` replaced by ?1.
 */
static char *copy_sql(const struct table *t, const char *src, int subst, int key)
{
	struct bt_buf b = BT_BUF_INIT;
	size_t i;
	int first = 1;

	bt_buf_puts(&b, "INSERT INTO main.");
	quote_ident(&b, t->name);
	bt_buf_puts(&b, " (");
	for (i = 0; i < t->ncols; i++) {
		if ((int)i == t->id_col)
			continue;
		if (!first)
			bt_buf_puts(&b, ", ");
		quote_ident(&b, t->cols[i]);
		first = 0;
	}
	bt_buf_puts(&b, ") SELECT ");
	first = 1;
	for (i = 0; i < t->ncols; i++) {
		if ((int)i == t->id_col)
			continue;
		if (!first)
			bt_buf_puts(&b, ", ");
		if ((int)i == subst)
			bt_buf_puts(&b, "?1");
		else
			quote_ident(&b, t->cols[i]);
		first = 0;
	}
	bt_buf_printf(&b, " FROM %s.", src);
	quote_ident(&b, t->name);
	bt_buf_puts(&b, " WHERE ");
	quote_ident(&b, t->cols[key]);
	bt_buf_puts(&b, " = ?2");
	if (t->has_rowid)
		bt_buf_puts(&b, " ORDER BY rowid");
	return bt_buf_detach(&b);
}

/* Run a copy statement for (new key, old key). */
static int copy_rows(struct bt_store *s, sqlite3_stmt *st, int64_t new_key, int64_t old_key,
                     const char *what)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, new_key);
	sqlite3_bind_int64(st, 2, old_key);
	return bt_store_step_done(s, st, what);
}

/* --- import ------------------------------------------------------------------------------ */

/* Are two paths the same file (a database merged into itself)? */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

struct importer {
	struct bt_store *s;
	struct table *tables;
	size_t ntables;
	const struct table *runs, *tasks;
	sqlite3_stmt **run_copy;  /* per table with run_id (NULL for others) */
	sqlite3_stmt **task_copy; /* per table with task_id */
	sqlite3_stmt *run_insert, *task_insert, *task_list;
};

static void importer_release(struct importer *im)
{
	size_t i;

	for (i = 0; i < im->ntables; i++) {
		if (im->run_copy)
			sqlite3_finalize(im->run_copy[i]);
		if (im->task_copy)
			sqlite3_finalize(im->task_copy[i]);
	}
	free(im->run_copy);
	free(im->task_copy);
	sqlite3_finalize(im->run_insert);
	sqlite3_finalize(im->task_insert);
	sqlite3_finalize(im->task_list);
	free_tables(im->tables, im->ntables);
}

/* Prepare every copy statement from schema `src` ("src" for imports). */
static int importer_prepare(struct importer *im, struct bt_store *s, const char *src)
{
	size_t i;
	int rc;

	memset(im, 0, sizeof(*im));
	im->s = s;
	rc = load_tables(s, &im->tables, &im->ntables);
	if (rc)
		return rc;
	im->runs = find_table(im->tables, im->ntables, "runs");
	im->tasks = find_table(im->tables, im->ntables, "tasks");
	if (!im->runs || !im->tasks || im->runs->id_col < 0 || im->tasks->id_col < 0 ||
	    im->tasks->run_col < 0)
		return bt_error_set(BT_ERROR, "unexpected schema: no runs or tasks table");
	im->run_copy = bt_xcalloc(im->ntables, sizeof(*im->run_copy));
	im->task_copy = bt_xcalloc(im->ntables, sizeof(*im->task_copy));
	for (i = 0; !rc && i < im->ntables; i++) {
		const struct table *t = &im->tables[i];
		char *sql = NULL;
		if (t == im->runs || t == im->tasks)
			continue;
		if (t->run_col >= 0) {
			sql = copy_sql(t, src, t->run_col, t->run_col);
			rc = bt_store_prepare(s, &im->run_copy[i], sql);
		} else if (t->task_col >= 0) {
			sql = copy_sql(t, src, t->task_col, t->task_col);
			rc = bt_store_prepare(s, &im->task_copy[i], sql);
		}
		free(sql);
	}
	if (!rc) {
		/* The run itself: every column but id, selected by id (?1 unused). */
		char *sql = copy_sql(im->runs, src, -1, im->runs->id_col);
		rc = bt_store_prepare(s, &im->run_insert, sql);
		free(sql);
	}
	if (!rc) {
		char *sql = copy_sql(im->tasks, src, im->tasks->run_col, im->tasks->id_col);
		rc = bt_store_prepare(s, &im->task_insert, sql);
		free(sql);
	}
	if (!rc) {
		struct bt_buf b = BT_BUF_INIT;
		bt_buf_printf(&b, "SELECT id FROM %s.tasks WHERE run_id = ? ORDER BY id", src);
		rc = bt_store_prepare(s, &im->task_list, b.ptr);
		bt_buf_free(&b);
	}
	return rc;
}

/* Copy one task's rows of every task_id table. */
static int copy_task_rows(struct importer *im, int64_t new_task, int64_t old_task)
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < im->ntables; i++)
		if (im->task_copy[i])
			rc = copy_rows(im->s, im->task_copy[i], new_task, old_task,
			               "cannot copy samples");
	return rc;
}

/* Copy run `old` (in the source) with everything hanging off it; *out is its new id. */
static int copy_run(struct importer *im, int64_t old, int64_t *out)
{
	sqlite3 *db = bt_store_handle(im->s);
	int64_t *old_tasks = NULL;
	size_t ntasks = 0, cap = 0, i;
	int rc;

	sqlite3_reset(im->run_insert);
	sqlite3_bind_null(im->run_insert, 1);
	sqlite3_bind_int64(im->run_insert, 2, old);
	rc = bt_store_step_done(im->s, im->run_insert, "cannot copy run");
	if (rc)
		return rc;
	*out = sqlite3_last_insert_rowid(db);
	for (i = 0; !rc && i < im->ntables; i++)
		if (im->run_copy[i])
			rc = copy_rows(im->s, im->run_copy[i], *out, old, "cannot copy run data");
	if (rc)
		return rc;
	sqlite3_reset(im->task_list);
	sqlite3_bind_int64(im->task_list, 1, old);
	while ((rc = sqlite3_step(im->task_list)) == SQLITE_ROW) {
		bt_grow(&old_tasks, &cap, ntasks + 1, sizeof(*old_tasks));
		old_tasks[ntasks++] = sqlite3_column_int64(im->task_list, 0);
	}
	rc = rc == SQLITE_DONE ? 0 : bt_store_error(im->s, rc, "cannot list tasks");
	for (i = 0; !rc && i < ntasks; i++) {
		rc = copy_rows(im->s, im->task_insert, *out, old_tasks[i], "cannot copy task");
		if (!rc)
			rc = copy_task_rows(im, sqlite3_last_insert_rowid(db), old_tasks[i]);
	}
	free(old_tasks);
	return rc;
}

static int exec(struct bt_store *s, const char *sql, const char *text, const char *what)
{
	sqlite3_stmt *st;
	int rc = bt_store_prepare(s, &st, sql);

	if (rc)
		return rc;
	if (text)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	rc = bt_store_step_done(s, st, what);
	sqlite3_finalize(st);
	return rc;
}

int bt_merge_import(struct bt_store *s, const char *path, struct bt_merge_stats *stats)
{
	struct bt_store *other;
	struct importer im;
	sqlite3_stmt *list = NULL, *exists = NULL;
	int rc, attached = 0, began = 0;

	if (same_file(path, bt_store_path(s)))
		return bt_error_set(BT_EINPUT, "'%s' is the database being merged into", path);
	/* Refuses files that are not benchtop's, or of another schema version, unchanged. */
	rc = bt_store_open(&other, path, BT_STORE_READONLY);
	if (rc)
		return bt_error_prefix("'%s': ", path);
	rc = bt_store_schema_version(other) == bt_store_latest_version()
	             ? 0
	             : bt_error_set(BT_EVERSION,
	                            "'%s' has schema version %d; upgrade it first with "
	                            "'benchtop --db %s init'",
	                            path, bt_store_schema_version(other), path);
	bt_store_close(other);
	if (rc)
		return rc;

	rc = exec(s, "ATTACH DATABASE ?1 AS src", path, "cannot attach database");
	if (rc)
		return bt_error_prefix("'%s': ", path);
	attached = 1;
	rc = importer_prepare(&im, s, "src");
	if (!rc)
		rc = bt_store_prepare(s, &list,
		                      "SELECT id, uuid, status FROM src.runs ORDER BY id");
	if (!rc)
		rc = bt_store_prepare(s, &exists, "SELECT 1 FROM main.runs WHERE uuid = ?");
	if (!rc)
		rc = bt_store_begin(s);
	began = !rc;
	while (!rc && (rc = sqlite3_step(list)) == SQLITE_ROW) {
		int64_t old = sqlite3_column_int64(list, 0), new_id;
		const char *uuid = (const char *)sqlite3_column_text(list, 1);
		const char *status = (const char *)sqlite3_column_text(list, 2);
		int present;

		rc = 0;
		if (status && strcmp(status, "running") == 0) {
			stats->running++;
			continue;
		}
		sqlite3_reset(exists);
		sqlite3_bind_text(exists, 1, uuid, -1, SQLITE_TRANSIENT);
		present = sqlite3_step(exists) == SQLITE_ROW;
		if (present) {
			stats->present++;
			continue;
		}
		rc = copy_run(&im, old, &new_id);
		if (!rc)
			stats->imported++;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = bt_store_error(s, rc, "cannot read runs");
	if (!rc) {
		const struct table *c = find_table(im.tables, im.ntables, "commits");
		if (c) {
			struct bt_buf b = BT_BUF_INIT;
			bt_buf_puts(&b,
			            "INSERT OR IGNORE INTO main.commits SELECT * FROM src.commits");
			rc = exec(s, b.ptr, NULL, "cannot copy commits");
			bt_buf_free(&b);
		}
	}
	sqlite3_finalize(list);
	sqlite3_finalize(exists);
	importer_release(&im);
	if (began) {
		if (rc)
			bt_store_rollback(s);
		else
			rc = bt_store_commit(s);
	}
	if (attached) {
		/* Statements on src are finalized: detaching cannot fail for them. */
		int drc = exec(s, "DETACH DATABASE src", NULL, "cannot detach database");
		if (!rc)
			rc = drc;
	}
	if (rc)
		bt_error_prefix("'%s': ", path);
	return rc;
}

/* --- shard groups -------------------------------------------------------------------- */

static char *params_json(struct bt_store *s, int64_t run)
{
	json_t *o = json_object();
	sqlite3_stmt *st;
	char *out;

	if (bt_store_prepare(s, &st,
	                     "SELECT key, value FROM params WHERE run_id = ? ORDER BY key") == 0) {
		sqlite3_bind_int64(st, 1, run);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_object_set_new(
			        o, (const char *)sqlite3_column_text(st, 0),
			        json_string_nocheck((const char *)sqlite3_column_text(st, 1)));
		sqlite3_finalize(st);
	}
	out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return out ? out : bt_xstrdup("{}");
}

static json_t *jstr(const char *s)
{
	return s ? json_string_nocheck(s) : json_null();
}

/* The group's identity as canonical text, and the uuid derived from it. */
static char *group_key(const struct bt_run *r, const char *params)
{
	json_t *a =
	        json_pack("[o o o o s I]", jstr(r->suite_hash), jstr(r->model), jstr(r->git_sha),
	                  jstr(r->shard_group), params, (json_int_t)r->shard_count);
	char *k = json_dumps(a, JSON_COMPACT);

	json_decref(a);
	return k;
}

static void group_uuid(char out[37], const char *key)
{
	struct bt_buf b = BT_BUF_INIT;
	char hex[65];

	bt_buf_puts(&b, "benchtop shard group\n");
	bt_buf_puts(&b, key);
	bt_sha256_hex(hex, b.ptr, b.len);
	bt_buf_free(&b);
	/* RFC 9562 version 8 (custom) with the RFC variant bits. */
	hex[12] = '8';
	hex[16] = "89ab"[(hex[16] >= 'a' ? hex[16] - 'a' + 10 : hex[16] - '0') & 3];
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

void bt_merge_groups_free(struct bt_merge_group *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(g[i].suite);
		free(g[i].suite_hash);
		free(g[i].model);
		free(g[i].git_sha);
		free(g[i].shard_group);
		free(g[i].params);
		free(g[i].shards);
	}
	free(g);
}

int bt_merge_groups(struct bt_store *s, struct bt_merge_group **out, size_t *n)
{
	sqlite3_stmt *st, *done;
	char **keys = NULL;
	size_t cap = 0, kcap = 0, i;
	int rc;

	*out = NULL;
	*n = 0;
	rc = bt_store_prepare(s, &st,
	                      "SELECT id FROM runs WHERE shard_count > 0 AND status = 'finished' "
	                      "ORDER BY started_at, id");
	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct bt_run r;
		struct bt_merge_group *g = NULL;
		char *params, *key;

		if (bt_run_load(s, sqlite3_column_int64(st, 0), &r))
			continue;
		if (r.shard_index < 0 || r.shard_index >= r.shard_count) {
			bt_run_release(&r);
			continue;
		}
		params = params_json(s, r.id);
		key = group_key(&r, params);
		for (i = 0; i < *n; i++)
			if (strcmp(keys[i], key) == 0)
				g = &(*out)[i];
		if (!g) {
			bt_grow(out, &cap, *n + 1, sizeof(**out));
			bt_grow(&keys, &kcap, *n + 1, sizeof(*keys));
			g = &(*out)[*n];
			memset(g, 0, sizeof(*g));
			keys[(*n)++] = key;
			key = NULL;
			g->suite = r.suite ? bt_xstrdup(r.suite) : NULL;
			g->suite_hash = r.suite_hash ? bt_xstrdup(r.suite_hash) : NULL;
			g->model = r.model ? bt_xstrdup(r.model) : NULL;
			g->git_sha = r.git_sha ? bt_xstrdup(r.git_sha) : NULL;
			g->shard_group = r.shard_group ? bt_xstrdup(r.shard_group) : NULL;
			g->params = params;
			params = NULL;
			g->shard_count = r.shard_count;
			g->shards = bt_xcalloc((size_t)r.shard_count, sizeof(*g->shards));
			group_uuid(g->uuid, keys[*n - 1]);
		}
		/* Oldest first: a shard evaluated again replaces the earlier one. */
		g->shards[r.shard_index] = r.id;
		free(params);
		free(key);
		bt_run_release(&r);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = bt_store_error(s, rc, "cannot list shards");
		goto out;
	}
	rc = bt_store_prepare(s, &done,
	                      "SELECT id FROM runs WHERE uuid = ? AND status = 'finished'");
	if (rc)
		goto out;
	for (i = 0; i < *n; i++) {
		struct bt_merge_group *g = &(*out)[i];
		int64_t k;
		g->complete = 1;
		for (k = 0; k < g->shard_count; k++)
			if (!g->shards[k])
				g->complete = 0;
		sqlite3_reset(done);
		sqlite3_bind_text(done, 1, g->uuid, -1, SQLITE_STATIC);
		if (sqlite3_step(done) == SQLITE_ROW)
			g->combined = sqlite3_column_int64(done, 0);
	}
	sqlite3_finalize(done);
out:
	for (i = 0; i < *n; i++)
		free(keys[i]);
	free(keys);
	if (rc) {
		bt_merge_groups_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/* --- combining ---------------------------------------------------------------------- */

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The labels and confusion matrix of a task combined from its shards:
 * identical label lists sum cell by cell; otherwise the sorted union, with
 * each shard's cells moved to their labels' places.  NULL (no matrix) when
 * any shard has none.
 */
static void combine_confusion(json_t **labels_in, json_t **conf_in, size_t n, char **labels_out,
                              char **conf_out)
{
	const char **names = NULL;
	size_t nn = 0, cap = 0, i, j, k;
	int same = 1, have_conf = 1;
	int64_t *m;
	json_t *lab, *conf;

	*labels_out = *conf_out = NULL;
	for (i = 0; i < n; i++) {
		if (!json_is_array(labels_in[i]))
			return;
		if (!json_is_array(conf_in[i]))
			have_conf = 0;
		if (i && !json_equal(labels_in[i], labels_in[0]))
			same = 0;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < json_array_size(labels_in[i]); j++) {
			const char *l = json_string_value(json_array_get(labels_in[i], j));
			int seen = 0;
			if (!l)
				continue;
			for (k = 0; k < nn; k++)
				seen |= strcmp(names[k], l) == 0;
			if (!seen) {
				bt_grow(&names, &cap, nn + 1, sizeof(*names));
				names[nn++] = l;
			}
		}
	if (!same)
		qsort(names, nn, sizeof(*names), cmp_cstr);
	else if (n) {
		/* Keep the shards' own order. */
		for (k = 0; k < nn; k++)
			names[k] = json_string_value(json_array_get(labels_in[0], k));
	}
	lab = json_array();
	for (k = 0; k < nn; k++)
		json_array_append_new(lab, json_string_nocheck(names[k]));
	*labels_out = json_dumps(lab, JSON_COMPACT);
	json_decref(lab);
	if (!have_conf || !nn) {
		free(names);
		return;
	}
	m = bt_xcalloc(nn * nn, sizeof(*m));
	for (i = 0; i < n; i++) {
		size_t ni = json_array_size(labels_in[i]);
		size_t *map = bt_xcalloc(ni + 1, sizeof(*map));
		for (j = 0; j < ni; j++) {
			const char *l = json_string_value(json_array_get(labels_in[i], j));
			for (k = 0; k < nn; k++)
				if (l && strcmp(names[k], l) == 0)
					map[j] = k;
		}
		for (j = 0; j < ni && j < json_array_size(conf_in[i]); j++) {
			json_t *row = json_array_get(conf_in[i], j);
			for (k = 0; k < ni && k < json_array_size(row); k++)
				m[map[j] * nn + map[k]] +=
				        json_integer_value(json_array_get(row, k));
		}
		free(map);
	}
	conf = json_array();
	for (j = 0; j < nn; j++) {
		json_t *row = json_array();
		for (k = 0; k < nn; k++)
			json_array_append_new(row, json_integer(m[j * nn + k]));
		json_array_append_new(conf, row);
	}
	*conf_out = json_dumps(conf, JSON_COMPACT);
	json_decref(conf);
	free(m);
	free(names);
}

struct shard_task {
	int64_t id;
	char *name, *type;
	int64_t n_examples, n_errors;
	json_t *labels, *confusion;
	double started, ended; /* 0 when unset */
};

static void free_shard_tasks(struct shard_task *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(t[i].name);
		free(t[i].type);
		json_decref(t[i].labels);
		json_decref(t[i].confusion);
	}
	free(t);
}

static int load_shard_tasks(struct bt_store *s, int64_t run, struct shard_task **out, size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = bt_store_prepare(s, &st,
	                          "SELECT id, name, type, n_examples, n_errors, labels, confusion, "
	                          "started_at, ended_at FROM tasks WHERE run_id = ? ORDER BY id");

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct shard_task *t;
		const char *l = (const char *)sqlite3_column_text(st, 5);
		const char *c = (const char *)sqlite3_column_text(st, 6);
		bt_grow(out, &cap, *n + 1, sizeof(**out));
		t = &(*out)[(*n)++];
		t->id = sqlite3_column_int64(st, 0);
		t->name = bt_xstrdup((const char *)sqlite3_column_text(st, 1));
		t->type = bt_xstrdup((const char *)sqlite3_column_text(st, 2));
		t->n_examples = sqlite3_column_int64(st, 3);
		t->n_errors = sqlite3_column_int64(st, 4);
		t->labels = l ? json_loads(l, 0, NULL) : NULL;
		t->confusion = c ? json_loads(c, 0, NULL) : NULL;
		t->started = sqlite3_column_double(st, 7);
		t->ended = sqlite3_column_double(st, 8);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : bt_store_error(s, rc, "cannot read tasks");
}

/* Write the combined tasks and their samples into run `dst`. */
static int combine_tasks(struct bt_store *s, struct importer *im, const struct bt_merge_group *g,
                         int64_t dst)
{
	struct shard_task **tasks = bt_xcalloc((size_t)g->shard_count, sizeof(*tasks));
	size_t *ntasks = bt_xcalloc((size_t)g->shard_count, sizeof(*ntasks));
	sqlite3_stmt *ins = NULL;
	int64_t k;
	size_t i, j;
	int rc = 0;

	for (k = 0; !rc && k < g->shard_count; k++)
		rc = load_shard_tasks(s, g->shards[k], &tasks[k], &ntasks[k]);
	if (!rc)
		rc = bt_store_prepare(
		        s, &ins,
		        "INSERT INTO tasks (run_id, name, type, n_examples, n_errors, "
		        "labels, confusion, started_at, ended_at) "
		        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
	/* Tasks in the order shard 0 ran them, then any that only other shards have. */
	for (k = 0; !rc && k < g->shard_count; k++) {
		for (i = 0; !rc && i < ntasks[k]; i++) {
			const char *name = tasks[k][i].name;
			json_t **labels = bt_xcalloc((size_t)g->shard_count, sizeof(*labels));
			json_t **conf = bt_xcalloc((size_t)g->shard_count, sizeof(*conf));
			int64_t *ids = bt_xcalloc((size_t)g->shard_count, sizeof(*ids));
			int64_t n_ex = 0, n_err = 0, m, seen = 0, new_task;
			double started = 0, ended = 0;
			char *lab, *cm;
			size_t have = 0;

			for (m = 0; m < k && !seen; m++)
				for (j = 0; j < ntasks[m]; j++)
					seen |= strcmp(tasks[m][j].name, name) == 0;
			if (seen) {
				free(labels);
				free(conf);
				free(ids);
				continue;
			}
			for (m = k; m < g->shard_count; m++)
				for (j = 0; j < ntasks[m]; j++) {
					struct shard_task *t = &tasks[m][j];
					if (strcmp(t->name, name) != 0)
						continue;
					ids[m] = t->id;
					labels[have] = t->labels;
					conf[have++] = t->confusion;
					n_ex += t->n_examples;
					n_err += t->n_errors;
					if (t->started > 0 &&
					    (started == 0 || t->started < started))
						started = t->started;
					if (t->ended > ended)
						ended = t->ended;
				}
			combine_confusion(labels, conf, have, &lab, &cm);
			sqlite3_reset(ins);
			sqlite3_bind_int64(ins, 1, dst);
			sqlite3_bind_text(ins, 2, name, -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 3, tasks[k][i].type, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 4, n_ex);
			sqlite3_bind_int64(ins, 5, n_err);
			if (lab)
				sqlite3_bind_text(ins, 6, lab, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(ins, 6);
			if (cm)
				sqlite3_bind_text(ins, 7, cm, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(ins, 7);
			if (started > 0)
				sqlite3_bind_double(ins, 8, started);
			else
				sqlite3_bind_null(ins, 8);
			if (ended > 0)
				sqlite3_bind_double(ins, 9, ended);
			else
				sqlite3_bind_null(ins, 9);
			free(lab);
			free(cm);
			rc = bt_store_step_done(s, ins, "cannot write task");
			new_task = sqlite3_last_insert_rowid(bt_store_handle(s));
			for (m = 0; !rc && m < g->shard_count; m++) {
				if (!ids[m])
					continue;
				rc = copy_task_rows(im, new_task, ids[m]);
				if (rc && sqlite3_extended_errcode(bt_store_handle(s)) ==
				                  SQLITE_CONSTRAINT_PRIMARYKEY)
					rc = bt_error_set(BT_EINPUT,
					                  "shards overlap: task '%s' of run %lld "
					                  "repeats examples of another shard",
					                  name, (long long)g->shards[m]);
			}
			free(labels);
			free(conf);
			free(ids);
		}
	}
	sqlite3_finalize(ins);
	for (k = 0; k < g->shard_count; k++)
		free_shard_tasks(tasks[k], ntasks[k]);
	free(tasks);
	free(ntasks);
	return rc;
}

static int same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Make the run that receives the combination: new (uuid from the group) or `into`. */
static int prepare_target(struct bt_store *s, const struct bt_merge_group *g,
                          const struct bt_run *first, int64_t into, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if (into) {
		struct bt_run r;
		char *params;
		rc = bt_run_load(s, into, &r);
		if (rc)
			return rc;
		params = params_json(s, into);
		if (r.shard_count > 0)
			rc = bt_error_set(BT_EINPUT, "run %lld is itself a shard", (long long)into);
		else if (!same_text(r.suite_hash, g->suite_hash) || !same_text(r.model, g->model) ||
		         !same_text(r.git_sha, g->git_sha) || strcmp(params, g->params) != 0)
			rc = bt_error_set(
			        BT_EINPUT,
			        "run %lld is not the same evaluation as the shards (suite "
			        "data, model, params or commit differ)",
			        (long long)into);
		free(params);
		bt_run_release(&r);
		if (rc)
			return rc;
		rc = bt_store_begin(s);
		if (rc)
			return rc;
		rc = bt_store_prepare(s, &st, "DELETE FROM tasks WHERE run_id = ?1");
		if (!rc) {
			sqlite3_bind_int64(st, 1, into);
			rc = bt_store_step_done(s, st, "cannot clear run");
			sqlite3_finalize(st);
		}
		if (!rc)
			rc = bt_store_prepare(s, &st, "DELETE FROM metrics WHERE run_id = ?1");
		if (!rc) {
			sqlite3_bind_int64(st, 1, into);
			rc = bt_store_step_done(s, st, "cannot clear run");
			sqlite3_finalize(st);
		}
		if (!rc)
			rc = bt_store_prepare(
			        s, &st,
			        "UPDATE runs SET status = 'running', status_reason = NULL, "
			        "ended_at = NULL, shard_group = ?2 WHERE id = ?1");
		if (!rc) {
			sqlite3_bind_int64(st, 1, into);
			if (g->shard_group)
				sqlite3_bind_text(st, 2, g->shard_group, -1, SQLITE_STATIC);
			rc = bt_store_step_done(s, st, "cannot update run");
			sqlite3_finalize(st);
		}
		if (rc) {
			bt_store_rollback(s);
			return rc;
		}
		*out = into;
		return bt_store_commit(s);
	}

	/* A leftover of an attempt that did not finish is replaced. */
	rc = bt_store_prepare(s, &st, "SELECT id FROM runs WHERE uuid = ?");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, g->uuid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		int64_t old = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		rc = bt_run_delete(s, old);
		if (rc)
			return rc;
	} else {
		sqlite3_finalize(st);
	}
	{
		struct bt_run r;
		const char **keys = NULL, **values = NULL, **tags = NULL;
		size_t np = 0, nt = 0, pcap = 0, vcap = 0, tcap = 0, i;
		sqlite3_stmt *q;
		double started = first->started_at;
		int64_t k;

		for (k = 0; k < g->shard_count; k++) {
			struct bt_run sh;
			if (bt_run_load(s, g->shards[k], &sh) == 0) {
				if (sh.started_at > 0 && sh.started_at < started)
					started = sh.started_at;
				bt_run_release(&sh);
			}
		}
		memset(&r, 0, sizeof(r));
		memcpy(r.uuid, g->uuid, sizeof(r.uuid));
#define COPY(f) r.f = first->f ? bt_xstrdup(first->f) : NULL
		COPY(kind);
		COPY(name);
		COPY(suite);
		COPY(suite_version);
		COPY(suite_hash);
		COPY(suite_path);
		COPY(model);
		COPY(model_version);
		COPY(plugin_sha256);
		COPY(command);
		COPY(cwd);
		COPY(git_sha);
		COPY(git_branch);
		COPY(git_patch);
		COPY(git_patch_sha256);
		COPY(git_workdir);
		COPY(shard_group);
#undef COPY
		r.seed = first->seed;
		r.has_seed = first->has_seed;
		r.git_dirty = first->git_dirty;
		r.started_at = started;
		/* Params of the group; tags of every shard. */
		rc = bt_store_prepare(s, &q, "SELECT key, value FROM params WHERE run_id = ?");
		if (!rc) {
			sqlite3_bind_int64(q, 1, first->id);
			while (sqlite3_step(q) == SQLITE_ROW) {
				bt_grow(&keys, &pcap, np + 1, sizeof(*keys));
				bt_grow(&values, &vcap, np + 1, sizeof(*values));
				keys[np] = bt_xstrdup((const char *)sqlite3_column_text(q, 0));
				values[np++] = bt_xstrdup((const char *)sqlite3_column_text(q, 1));
			}
			sqlite3_finalize(q);
		}
		if (!rc)
			rc = bt_store_prepare(
			        s, &q,
			        "SELECT DISTINCT tag FROM tags WHERE run_id IN (SELECT "
			        "value FROM json_each(?)) ORDER BY tag");
		if (!rc) {
			json_t *ids = json_array();
			char *text;
			for (k = 0; k < g->shard_count; k++)
				json_array_append_new(ids, json_integer(g->shards[k]));
			text = json_dumps(ids, JSON_COMPACT);
			json_decref(ids);
			sqlite3_bind_text(q, 1, text, -1, SQLITE_TRANSIENT);
			free(text);
			while (sqlite3_step(q) == SQLITE_ROW) {
				bt_grow(&tags, &tcap, nt + 1, sizeof(*tags));
				tags[nt++] = bt_xstrdup((const char *)sqlite3_column_text(q, 0));
			}
			sqlite3_finalize(q);
		}
		if (!rc)
			rc = bt_run_create(s, &r, NULL, keys, values, np, tags, nt);
		*out = r.id;
		for (i = 0; i < np; i++) {
			free((char *)keys[i]);
			free((char *)values[i]);
		}
		for (i = 0; i < nt; i++)
			free((char *)tags[i]);
		free(keys);
		free(values);
		free(tags);
		bt_run_release(&r);
	}
	return rc;
}

int bt_merge_combine(struct bt_store *s, const struct bt_merge_group *g, int64_t into,
                     bt_merge_recompute_fn recompute, void *payload, int64_t *out)
{
	struct importer im;
	struct bt_run first;
	double ended = 0;
	int64_t dst = 0, k;
	int rc;

	*out = 0;
	if (!g->complete)
		return bt_error_set(BT_EINPUT,
		                    "the shard group of suite '%s' with model '%s' is "
		                    "incomplete",
		                    g->suite ? g->suite : "", g->model ? g->model : "");
	if (!recompute)
		return bt_error_set(BT_ERROR, "combining shards needs their metrics recomputed, "
		                              "which this build cannot do");
	rc = bt_run_load(s, g->shards[0], &first);
	if (rc)
		return rc;
	for (k = 0; k < g->shard_count; k++) {
		struct bt_run sh;
		if (bt_run_load(s, g->shards[k], &sh) == 0) {
			if (sh.ended_at > ended)
				ended = sh.ended_at;
			bt_run_release(&sh);
		}
	}
	rc = prepare_target(s, g, &first, into, &dst);
	bt_run_release(&first);
	if (rc) {
		if (dst && !into)
			bt_run_delete(s, dst);
		return rc;
	}
	/* Samples copy within the database: the "main" schema is the source too. */
	rc = importer_prepare(&im, s, "main");
	if (!rc)
		rc = bt_store_begin(s);
	if (!rc) {
		rc = combine_tasks(s, &im, g, dst);
		if (rc)
			bt_store_rollback(s);
		else
			rc = bt_store_commit(s);
	}
	importer_release(&im);
	if (!rc)
		rc = recompute(s, dst, payload);
	if (rc) {
		char *why = bt_xstrdup(bt_error_last());
		if (into)
			bt_run_finish(s, dst, BT_RUN_FAILED, why);
		else
			bt_run_delete(s, dst);
		bt_error_set(rc, "%s", why);
		free(why);
		return rc;
	}
	rc = bt_run_finish(s, dst, BT_RUN_FINISHED, NULL);
	if (!rc && ended > 0) {
		sqlite3_stmt *st;
		rc = bt_store_prepare(s, &st, "UPDATE runs SET ended_at = ? WHERE id = ?");
		if (!rc) {
			sqlite3_bind_double(st, 1, ended);
			sqlite3_bind_int64(st, 2, dst);
			rc = bt_store_step_done(s, st, "cannot update run");
			sqlite3_finalize(st);
		}
	}
	*out = dst;
	return rc;
}
