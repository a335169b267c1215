/*
 * model-runs.c - the runs table's view model (see model-runs.h): filter,
 * sort, columns, marks, and keyset pagination over the runs table.
 *
 * Pagination works on the ordering (sort expression, id).  A page after
 * the row (k0, id0) is fetched with a WHERE clause that admits only rows
 * that sort after it, and the same ORDER BY ... LIMIT; before a row, with
 * the order reversed.  NULL sort values sort last in either direction, as
 * `benchtop ls` does.  For columns that are never NULL (id, start time,
 * duration) the clause is written as `E <= ?k0 AND (E < ?k0 OR id < ?id0)`
 * so that SQLite walks an index (runs_started for the default order)
 * instead of sorting every match.
 *
 * Every statement is stepped to its end and finalised inside the function
 * that prepared it.  Must not draw or know about curses.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"
#include "metrics.h"
#include "tui/model-runs.h"
#include "tui/text.h"
#include "util.h"

static const struct bt_rcol_def defs[BT_RC_NKINDS] = {
        [BT_RC_STATUS] = {"status", "STATUS", 6, 11, 0, 0, 0, 0},
        [BT_RC_PROGRESS] = {"progress", "PROGRESS", 8, 26, 8, 1, 0, 1},
        [BT_RC_ID] = {"id", "ID", 2, 6, 0, 0, 1, 1},
        [BT_RC_AGE] = {"age", "AGE", 4, 5, 14, 0, 1, 1},
        [BT_RC_COMMIT] = {"commit", "COMMIT", 9, 9, 12, 0, 0, 0},
        [BT_RC_BRANCH] = {"branch", "BRANCH", 6, 16, 10, 1, 0, 0},
        [BT_RC_KIND] = {"kind", "KIND", 4, 4, 4, 0, 0, 0},
        [BT_RC_SUITE] = {"suite", "SUITE", 5, 16, 16, 1, 0, 0},
        [BT_RC_MODEL] = {"model", "MODEL", 5, 16, 18, 1, 0, 0},
        [BT_RC_NAME] = {"name", "NAME", 4, 24, 20, 1, 0, 0},
        [BT_RC_DURATION] = {"duration", "DURATION", 8, 8, 9, 0, 1, 1},
        [BT_RC_TAGS] = {"tags", "TAGS", 4, 16, 6, 1, 0, 0},
        [BT_RC_HOST] = {"host", "HOST", 4, 12, 3, 1, 0, 0},
        [BT_RC_USER] = {"user", "USER", 4, 10, 2, 1, 0, 0},
        [BT_RC_NOTE] = {"note", "NOTE", 4, 24, 1, 1, 0, 0},
        [BT_RC_STARTED] = {"started", "STARTED", 16, 16, 5, 0, 1, 1},
        [BT_RC_METRIC] = {"metric", "METRIC", 6, 8, 13, 0, 1, 1},
};

/* The SQL expression each column sorts by, and whether it can be NULL. */
static const struct {
	const char *sql;
	int notnull;
} sort_sql[BT_RC_NKINDS] = {
        [BT_RC_STATUS] = {"r.status", 1},
        [BT_RC_PROGRESS] = {"(CAST(r.progress_done AS REAL) / r.progress_total)", 0},
        [BT_RC_ID] = {"r.id", 1},
        [BT_RC_AGE] = {"r.started_at", 1},
        [BT_RC_COMMIT] = {"r.git_sha", 0},
        [BT_RC_BRANCH] = {"r.git_branch", 0},
        [BT_RC_KIND] = {"r.kind", 1},
        [BT_RC_SUITE] = {"r.suite", 0},
        [BT_RC_MODEL] = {"r.model", 0},
        [BT_RC_NAME] = {"r.name", 0},
        [BT_RC_DURATION] = {"(coalesce(r.ended_at, r.heartbeat_at, r.started_at) - r.started_at)",
                            1},
        [BT_RC_TAGS] = {"(SELECT min(t.tag) FROM tags t WHERE t.run_id = r.id)", 0},
        [BT_RC_HOST] = {"r.host", 0},
        [BT_RC_USER] = {"r.user", 0},
        [BT_RC_NOTE] = {"r.note", 0},
        [BT_RC_STARTED] = {"r.started_at", 1},
        [BT_RC_METRIC] = {NULL, 0},
};

/* Operational metrics every task reports: never picked as key metrics. */
static const char operational[] =
        "('errors', 'latency_p50', 'latency_p95', 'latency_p99', 'throughput')";

#define ROW_COLUMNS                                                                              \
	"r.id, r.name, r.kind, r.suite, r.model, r.git_branch, r.git_sha, r.git_dirty, r.host, " \
	"r.user, r.note, r.status, r.started_at, r.ended_at, r.heartbeat_at, r.progress_done, "  \
	"r.progress_total, r.pid"
#define ROW_NCOLS 18

const struct bt_rcol_def *bt_rcol_def(enum bt_rcol_kind kind)
{
	return (unsigned)kind < BT_RC_NKINDS ? &defs[kind] : &defs[BT_RC_NAME];
}

int bt_rcol_kind_parse(const char *key)
{
	int i;

	for (i = 0; i < BT_RC_NKINDS; i++)
		if (strcmp(defs[i].key, key) == 0)
			return i;
	return -1;
}

/* --- rows and keys ----------------------------------------------------------- */

static void key_release(struct bt_runs_key *k)
{
	free(k->s);
	memset(k, 0, sizeof(*k));
	k->type = SQLITE_NULL;
}

static void key_from_column(struct bt_runs_key *k, sqlite3_stmt *st, int i)
{
	memset(k, 0, sizeof(*k));
	k->type = sqlite3_column_type(st, i);
	switch (k->type) {
	case SQLITE_INTEGER:
		k->i = sqlite3_column_int64(st, i);
		break;
	case SQLITE_FLOAT:
		k->d = sqlite3_column_double(st, i);
		break;
	case SQLITE_TEXT:
	case SQLITE_BLOB:
		k->type = SQLITE_TEXT;
		k->s = bt_xstrdup((const char *)sqlite3_column_text(st, i));
		break;
	default:
		k->type = SQLITE_NULL;
		break;
	}
}

static void key_push(struct bt_sqlargs *a, const struct bt_runs_key *k)
{
	switch (k->type) {
	case SQLITE_INTEGER:
		bt_sqlargs_int(a, k->i);
		break;
	case SQLITE_FLOAT:
		bt_sqlargs_real(a, k->d);
		break;
	case SQLITE_TEXT:
		bt_sqlargs_text(a, k->s);
		break;
	default: {
		struct bt_sqlval *v;
		bt_sqlargs_int(a, 0);
		v = &a->v[a->n - 1];
		v->type = BT_SQL_NULL;
		break;
	}
	}
}

static void row_release(struct bt_runs_row *r)
{
	free(r->name);
	free(r->kind);
	free(r->suite);
	free(r->model);
	free(r->branch);
	free(r->sha);
	free(r->host);
	free(r->user);
	free(r->note);
	free(r->tags);
	free(r->metric);
	key_release(&r->key);
	memset(r, 0, sizeof(*r));
}

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? bt_xstrdup((const char *)t) : NULL;
}

static double col_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_double(st, i);
}

static size_t metric_count(const struct bt_runs_model *m)
{
	size_t i, k = 0;

	for (i = 0; i < m->ncols; i++)
		k += m->cols[i].kind == BT_RC_METRIC;
	return k;
}

static void row_from_stmt(struct bt_runs_model *m, struct bt_runs_row *r, sqlite3_stmt *st)
{
	const char *status = (const char *)sqlite3_column_text(st, 11);
	size_t i, nm = metric_count(m);
	int s;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->name = col_text(st, 1);
	r->kind = col_text(st, 2);
	r->suite = col_text(st, 3);
	r->model = col_text(st, 4);
	r->branch = col_text(st, 5);
	r->sha = col_text(st, 6);
	r->dirty = sqlite3_column_int(st, 7);
	r->host = col_text(st, 8);
	r->user = col_text(st, 9);
	r->note = col_text(st, 10);
	s = status ? bt_run_status_parse(status) : -1;
	r->status = s < 0 ? BT_RUN_FAILED : (enum bt_run_status)s;
	r->started = col_real(st, 12);
	r->ended = col_real(st, 13);
	r->heartbeat = col_real(st, 14);
	r->done = sqlite3_column_int64(st, 15);
	r->total = sqlite3_column_int64(st, 16);
	r->pid = sqlite3_column_int64(st, 17);
	key_from_column(&r->key, st, ROW_NCOLS);
	r->metric = bt_xmalloc((nm ? nm : 1) * sizeof(double));
	for (i = 0; i < nm; i++)
		r->metric[i] = NAN;
	if (r->status == BT_RUN_RUNNING) {
		/* bt_run_is_stale wants a struct bt_run; lend it the fields it reads. */
		struct bt_run tmp;
		memset(&tmp, 0, sizeof(tmp));
		tmp.status = r->status;
		tmp.host = r->host;
		tmp.pid = r->pid;
		tmp.started_at = r->started;
		tmp.heartbeat_at = r->heartbeat;
		r->stale = bt_run_is_stale(&tmp, m->now);
	}
}

/* --- the model ------------------------------------------------------------------ */

struct bt_runs_model *bt_runs_model_new(struct bt_store *s)
{
	struct bt_runs_model *m = bt_xcalloc(1, sizeof(*m));

	m->store = s;
	m->filter_text = bt_xstrdup("");
	m->sort.kind = BT_RC_AGE;
	m->ascending = 0;
	m->page = 100;
	m->max_rows = 400;
	m->count = -1;
	m->now = bt_now();
	bt_runs_default_columns(m);
	return m;
}

static void clear_rows(struct bt_runs_model *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		row_release(&m->rows[i]);
	m->n = 0;
	m->cur = m->top = 0;
	m->more_before = m->more_after = 0;
	m->pos = 0;
}

static void free_cols(struct bt_rcol *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(c[i].metric);
	free(c);
}

void bt_runs_model_free(struct bt_runs_model *m)
{
	if (!m)
		return;
	clear_rows(m);
	free(m->rows);
	free_cols(m->cols, m->ncols);
	free(m->sort.metric);
	bt_filter_free(m->filter);
	free(m->filter_text);
	free(m->marks);
	free(m);
}

int bt_runs_set_filter(struct bt_runs_model *m, const char *text, struct bt_filter_error *err)
{
	struct bt_filter *f = NULL;
	int rc = bt_filter_parse(&f, text ? text : "", err);

	if (rc)
		return rc;
	bt_filter_free(m->filter);
	m->filter = f;
	free(m->filter_text);
	m->filter_text = bt_xstrdup(text ? text : "");
	m->count = -1;
	return 0;
}

static int same_col(const struct bt_rcol *a, const struct bt_rcol *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind != BT_RC_METRIC)
		return 1;
	return a->metric && b->metric && strcmp(a->metric, b->metric) == 0;
}

int bt_runs_sorted_by(const struct bt_runs_model *m, const struct bt_rcol *col, int *ascending)
{
	int same = same_col(&m->sort, col) ||
	           (m->sort.kind == BT_RC_AGE && col->kind == BT_RC_STARTED) ||
	           (m->sort.kind == BT_RC_STARTED && col->kind == BT_RC_AGE);

	if (same && ascending)
		*ascending = m->ascending;
	return same;
}

void bt_runs_set_sort(struct bt_runs_model *m, const struct bt_rcol *col, int toggle)
{
	if (toggle && same_col(&m->sort, col)) {
		m->ascending = !m->ascending;
		return;
	}
	free(m->sort.metric);
	m->sort.kind = col->kind;
	m->sort.metric = col->metric ? bt_xstrdup(col->metric) : NULL;
	m->ascending = !bt_rcol_def(col->kind)->desc_first;
	if (col->kind == BT_RC_METRIC && col->metric) {
		/* Best first: descending unless lower is better. */
		const char *name = strchr(col->metric, '/');
		m->ascending = bt_metrics_direction(name ? name + 1 : col->metric) < 0;
	}
}

void bt_runs_reset_sort(struct bt_runs_model *m)
{
	free(m->sort.metric);
	m->sort.metric = NULL;
	m->sort.kind = BT_RC_AGE;
	m->ascending = 0;
}

static void set_cols(struct bt_runs_model *m, const struct bt_rcol *cols, size_t n)
{
	struct bt_rcol *c = bt_xcalloc(n ? n : 1, sizeof(*c));
	size_t i;

	for (i = 0; i < n; i++) {
		c[i].kind = cols[i].kind;
		c[i].metric = cols[i].metric ? bt_xstrdup(cols[i].metric) : NULL;
	}
	free_cols(m->cols, m->ncols);
	m->cols = c;
	m->ncols = n;
	/* Rows carry one value per metric column: their arrays no longer fit. */
	clear_rows(m);
}

void bt_runs_set_columns(struct bt_runs_model *m, const struct bt_rcol *cols, size_t n)
{
	set_cols(m, cols, n);
	m->custom_cols = 1;
}

static void default_cols(struct bt_runs_model *m, char **metrics, size_t nmetrics)
{
	static const enum bt_rcol_kind base[] = {
	        BT_RC_STATUS, BT_RC_PROGRESS, BT_RC_ID,    BT_RC_AGE,   BT_RC_COMMIT,
	        BT_RC_BRANCH, BT_RC_KIND,     BT_RC_SUITE, BT_RC_MODEL, BT_RC_NAME,
	};
	struct bt_rcol c[BT_ARRAY_SIZE(base) + 8];
	size_t n = 0, i;

	for (i = 0; i < BT_ARRAY_SIZE(base); i++) {
		c[n].kind = base[i];
		c[n++].metric = NULL;
	}
	c[n].kind = BT_RC_DURATION;
	c[n++].metric = NULL;
	for (i = 0; i < nmetrics && i < 3; i++) {
		c[n].kind = BT_RC_METRIC;
		c[n++].metric = metrics[i];
	}
	set_cols(m, c, n);
}

void bt_runs_default_columns(struct bt_runs_model *m)
{
	default_cols(m, NULL, 0);
	m->custom_cols = 0;
}

/* --- queries ---------------------------------------------------------------------- */

/*
 * Append the sort expression (and its arguments, in textual order).
 *
 * The unary + on metric (and task) keeps SQLite off metrics_metric (metric,
 * value) here and in fill_details(): these queries look up a few runs by
 * id, and walking every row of a metric instead costs 100 ms on 100,000
 * runs.  The run's own rows come from the (run_id, task, metric) index.
 */
static void sort_expr(const struct bt_runs_model *m, struct bt_buf *sql, struct bt_sqlargs *args)
{
	const char *slash;

	if (m->sort.kind != BT_RC_METRIC || !m->sort.metric) {
		bt_buf_puts(sql,
		            sort_sql[m->sort.kind == BT_RC_METRIC ? BT_RC_AGE : m->sort.kind].sql);
		return;
	}
	slash = strchr(m->sort.metric, '/');
	if (slash) {
		char *task = bt_xstrndup(m->sort.metric, (size_t)(slash - m->sort.metric));
		bt_buf_puts(sql, "(SELECT avg(m.value) FROM metrics m WHERE m.run_id = r.id AND "
		                 "+m.task = ? AND +m.metric = ?)");
		bt_sqlargs_text(args, task);
		bt_sqlargs_text(args, slash + 1);
		free(task);
	} else {
		bt_buf_puts(sql, "(SELECT avg(m.value) FROM metrics m WHERE m.run_id = r.id AND "
		                 "+m.metric = ?)");
		bt_sqlargs_text(args, m->sort.metric);
	}
}

static int sort_notnull(const struct bt_runs_model *m)
{
	return m->sort.kind != BT_RC_METRIC && sort_sql[m->sort.kind].notnull;
}

enum fetch { F_FIRST, F_LAST, F_AFTER, F_BEFORE, F_FROM };

/*
 * The keyset clause for rows after (F_AFTER, F_FROM: at or after) or
 * before `k` in the current order.
 */
static void keyset(const struct bt_runs_model *m, enum fetch how, const struct bt_runs_key *k,
                   int64_t id, struct bt_buf *sql, struct bt_sqlargs *args)
{
	/* "later" in the listing's own order */
	int fwd = how != F_BEFORE;
	int up = m->ascending ? fwd : !fwd; /* later means larger values */
	const char *op = up ? ">" : "<";
	const char *idop = how == F_FROM ? (up ? ">=" : "<=") : op;

	bt_buf_puts(sql, " AND ");
	if (sort_notnull(m)) {
		bt_buf_puts(sql, "(");
		sort_expr(m, sql, args);
		bt_buf_printf(sql, " %s= ? AND (", op);
		key_push(args, k);
		sort_expr(m, sql, args);
		bt_buf_printf(sql, " %s ? OR r.id %s ?))", op, idop);
		key_push(args, k);
		bt_sqlargs_int(args, id);
		return;
	}
	if (k->type == SQLITE_NULL) {
		/* Among the NULLs (which sort last), order is by id alone. */
		bt_buf_puts(sql, "(");
		sort_expr(m, sql, args);
		bt_buf_printf(sql, fwd ? " IS NULL AND r.id %s ?)" : " IS NOT NULL OR r.id %s ?)",
		              idop);
		bt_sqlargs_int(args, id);
		return;
	}
	bt_buf_puts(sql, "(");
	sort_expr(m, sql, args);
	bt_buf_puts(sql, fwd ? " IS NULL OR " : " IS NOT NULL AND (");
	sort_expr(m, sql, args);
	bt_buf_printf(sql, " %s ? OR (", op);
	key_push(args, k);
	sort_expr(m, sql, args);
	bt_buf_printf(sql, " = ? AND r.id %s ?))%s", idop, fwd ? "" : ")");
	key_push(args, k);
	bt_sqlargs_int(args, id);
}

static void order_by(const struct bt_runs_model *m, int reversed, struct bt_buf *sql,
                     struct bt_sqlargs *args)
{
	int asc = reversed ? !m->ascending : m->ascending;
	const char *dir = asc ? "ASC" : "DESC";

	bt_buf_puts(sql, " ORDER BY ");
	if (!sort_notnull(m)) {
		/* NULLs last in the listing: first when reading it backwards. */
		sort_expr(m, sql, args);
		bt_buf_printf(sql, " IS NULL %s, ", reversed ? "DESC" : "ASC");
	}
	sort_expr(m, sql, args);
	bt_buf_printf(sql, " %s, r.id %s", dir, dir);
}

/* Fetch up to `limit` rows; *out is in listing order whatever the direction. */
static int fetch(struct bt_runs_model *m, enum fetch how, const struct bt_runs_row *from,
                 size_t limit, struct bt_runs_row **out, size_t *nout)
{
	struct bt_buf sql = BT_BUF_INIT;
	struct bt_sqlargs args = BT_SQLARGS_INIT;
	struct bt_runs_row *rows = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	int rc, reversed = how == F_LAST || how == F_BEFORE;

	*out = NULL;
	*nout = 0;
	bt_buf_puts(&sql, "SELECT " ROW_COLUMNS ", ");
	sort_expr(m, &sql, &args);
	bt_buf_puts(&sql, " FROM runs r WHERE ");
	rc = bt_filter_compile(m->filter, m->now, &sql, &args);
	if (rc)
		goto out;
	if (from && (how == F_AFTER || how == F_BEFORE || how == F_FROM))
		keyset(m, how, &from->key, from->id, &sql, &args);
	order_by(m, reversed, &sql, &args);
	bt_buf_puts(&sql, " LIMIT ?");
	bt_sqlargs_int(&args, (int64_t)limit);
	rc = bt_store_prepare(m->store, &st, sql.ptr);
	if (!rc)
		rc = bt_sqlargs_bind(st, &args);
	if (rc)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		bt_grow(&rows, &cap, n + 1, sizeof(*rows));
		row_from_stmt(m, &rows[n++], st);
	}
	rc = rc == SQLITE_DONE ? 0 : bt_store_error(m->store, rc, "cannot list runs");
	if (rc) {
		while (n)
			row_release(&rows[--n]);
		free(rows);
		rows = NULL;
		goto out;
	}
	if (reversed) {
		size_t i;
		for (i = 0; i < n / 2; i++) {
			struct bt_runs_row t = rows[i];
			rows[i] = rows[n - 1 - i];
			rows[n - 1 - i] = t;
		}
	}
	*out = rows;
	*nout = n;
out:
	sqlite3_finalize(st);
	bt_sqlargs_release(&args);
	bt_buf_free(&sql);
	return rc;
}

/* "?, ?, ?" for n ids, and the ids as arguments. */
static void id_list(struct bt_buf *sql, struct bt_sqlargs *args, const struct bt_runs_row *rows,
                    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		bt_buf_puts(sql, i ? ", ?" : "?");
		bt_sqlargs_int(args, rows[i].id);
	}
}

static struct bt_runs_row *find_row(struct bt_runs_row *rows, size_t n, int64_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rows[i].id == id)
			return &rows[i];
	return NULL;
}

/* Run a (run_id, value) query and store values into the rows' metric slot `slot`. */
static int fill_metric_query(struct bt_runs_model *m, const char *sql, struct bt_sqlargs *args,
                             struct bt_runs_row *rows, size_t n, size_t slot)
{
	sqlite3_stmt *st = NULL;
	int rc = bt_store_prepare(m->store, &st, sql);

	if (!rc)
		rc = bt_sqlargs_bind(st, args);
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct bt_runs_row *r = find_row(rows, n, sqlite3_column_int64(st, 0));
		if (r && sqlite3_column_type(st, 1) != SQLITE_NULL)
			r->metric[slot] = sqlite3_column_double(st, 1);
		rc = 0;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = bt_store_error(m->store, rc, "cannot read metrics");
	sqlite3_finalize(st);
	return rc;
}

/*
 * Metric columns and tags for a batch of rows: one query per metric column
 * (and one for series values where a run has no such metric), one for tags.
 */
static int fill_details(struct bt_runs_model *m, struct bt_runs_row *rows, size_t n)
{
	size_t c, slot = 0, i;
	int rc = 0;

	if (!n)
		return 0;
	for (c = 0; c < m->ncols && !rc; c++) {
		struct bt_buf sql = BT_BUF_INIT;
		struct bt_sqlargs args = BT_SQLARGS_INIT;
		const char *name = m->cols[c].metric, *slash;
		size_t missing = 0;
		if (m->cols[c].kind != BT_RC_METRIC || !name)
			continue;
		slash = strchr(name, '/');
		if (slash) {
			char *task = bt_xstrndup(name, (size_t)(slash - name));
			bt_buf_puts(&sql,
			            "SELECT run_id, avg(value) FROM metrics WHERE +task = ? AND "
			            "+metric = ? AND run_id IN (");
			bt_sqlargs_text(&args, task);
			bt_sqlargs_text(&args, slash + 1);
			free(task);
		} else {
			bt_buf_puts(&sql,
			            "SELECT run_id, avg(value) FROM metrics WHERE +metric = ? "
			            "AND run_id IN (");
			bt_sqlargs_text(&args, name);
		}
		id_list(&sql, &args, rows, n);
		bt_buf_puts(&sql, ") GROUP BY run_id");
		rc = fill_metric_query(m, sql.ptr, &args, rows, n, slot);
		bt_buf_reset(&sql);
		bt_sqlargs_release(&args);
		for (i = 0; i < n; i++)
			missing += rows[i].metric[slot] != rows[i].metric[slot];
		if (!rc && missing && !slash) {
			/* Like the filter language: a metric name also means a series' last value. */
			bt_buf_puts(&sql,
			            "SELECT s.run_id, s.value FROM series s WHERE s.key = ? AND "
			            "s.run_id IN (");
			bt_sqlargs_text(&args, name);
			id_list(&sql, &args, rows, n);
			bt_buf_puts(&sql,
			            ") AND s.step = (SELECT max(s2.step) FROM series s2 WHERE "
			            "s2.run_id = s.run_id AND s2.key = s.key)");
			rc = fill_metric_query(m, sql.ptr, &args, rows, n, slot);
			bt_sqlargs_release(&args);
		}
		bt_buf_free(&sql);
		slot++;
	}
	if (!rc) {
		struct bt_buf sql = BT_BUF_INIT;
		struct bt_sqlargs args = BT_SQLARGS_INIT;
		sqlite3_stmt *st = NULL;
		bt_buf_puts(&sql, "SELECT run_id, group_concat(tag, ',') FROM (SELECT run_id, tag "
		                  "FROM tags WHERE run_id IN (");
		id_list(&sql, &args, rows, n);
		bt_buf_puts(&sql, ") ORDER BY run_id, tag) GROUP BY run_id");
		rc = bt_store_prepare(m->store, &st, sql.ptr);
		if (!rc)
			rc = bt_sqlargs_bind(st, &args);
		while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct bt_runs_row *r = find_row(rows, n, sqlite3_column_int64(st, 0));
			if (r) {
				free(r->tags);
				r->tags = col_text(st, 1);
			}
			rc = 0;
		}
		if (rc == SQLITE_DONE)
			rc = 0;
		else if (rc > 0)
			rc = bt_store_error(m->store, rc, "cannot read tags");
		sqlite3_finalize(st);
		bt_sqlargs_release(&args);
		bt_buf_free(&sql);
	}
	return rc;
}

/* The key metrics of a batch of runs: the most common, in reporting order. */
static int key_metrics(struct bt_runs_model *m, const struct bt_runs_row *rows, size_t n,
                       char ***out, size_t *nout, size_t max)
{
	struct bt_buf sql = BT_BUF_INIT;
	struct bt_sqlargs args = BT_SQLARGS_INIT;
	sqlite3_stmt *st = NULL;
	char **names = NULL;
	size_t k = 0, cap = 0;
	int rc, pass;

	*out = NULL;
	*nout = 0;
	if (!n)
		return 0;
	for (pass = 0; pass < 2 && k == 0; pass++) {
		/* Metrics first; runs that logged only series (exec runs) by their series keys. */
		if (pass == 0)
			bt_buf_printf(&sql,
			              "SELECT metric, count(DISTINCT run_id) AS c, min(rowid) AS f "
			              "FROM metrics WHERE metric NOT IN %s AND run_id IN (",
			              operational);
		else
			bt_buf_puts(&sql, "SELECT key, count(DISTINCT run_id) AS c, "
			                  "min(coalesce(wall_time, step)) AS f FROM series WHERE "
			                  "run_id IN (");
		id_list(&sql, &args, rows, n);
		bt_buf_printf(&sql, ") GROUP BY %s ORDER BY c DESC, f LIMIT ?",
		              pass == 0 ? "metric" : "key");
		bt_sqlargs_int(&args, (int64_t)max);
		rc = bt_store_prepare(m->store, &st, sql.ptr);
		if (!rc)
			rc = bt_sqlargs_bind(st, &args);
		while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			bt_grow(&names, &cap, k + 1, sizeof(*names));
			names[k++] = col_text(st, 0);
			rc = 0;
		}
		if (rc == SQLITE_DONE)
			rc = 0;
		else if (rc > 0)
			rc = bt_store_error(m->store, rc, "cannot read metric names");
		sqlite3_finalize(st);
		st = NULL;
		bt_sqlargs_release(&args);
		bt_buf_reset(&sql);
		if (rc)
			break;
	}
	bt_buf_free(&sql);
	if (rc) {
		while (k)
			free(names[--k]);
		free(names);
		return rc;
	}
	*out = names;
	*nout = k;
	return 0;
}

static void free_names(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

int bt_runs_recent_metrics(struct bt_runs_model *m, char ***out, size_t *n)
{
	struct bt_runs_row *rows;
	size_t nrows;
	int rc;
	struct bt_filter *saved = m->filter;
	struct bt_rcol sort = m->sort;
	int asc = m->ascending;

	/* The newest 200 runs, whatever the filter and sort. */
	m->filter = NULL;
	m->sort.kind = BT_RC_AGE;
	m->sort.metric = NULL;
	m->ascending = 0;
	rc = fetch(m, F_FIRST, NULL, 200, &rows, &nrows);
	m->filter = saved;
	m->sort = sort;
	m->ascending = asc;
	if (rc)
		return rc;
	rc = key_metrics(m, rows, nrows, out, n, 64);
	while (nrows)
		row_release(&rows[--nrows]);
	free(rows);
	return rc;
}

/* --- the window -------------------------------------------------------------------- */

static void window_set(struct bt_runs_model *m, struct bt_runs_row *rows, size_t n)
{
	clear_rows(m);
	free(m->rows);
	m->rows = rows;
	m->n = m->cap = n;
}

int bt_runs_load_first(struct bt_runs_model *m)
{
	struct bt_runs_row *rows;
	size_t n;
	int rc;

	m->now = bt_now();
	rc = fetch(m, F_FIRST, NULL, m->page, &rows, &n);
	if (rc)
		return rc;
	if (!m->custom_cols) {
		/* The key metrics of what is on screen now; columns stay put while scrolling. */
		char **names;
		size_t k;
		rc = key_metrics(m, rows, n, &names, &k, 3);
		if (rc) {
			while (n)
				row_release(&rows[--n]);
			free(rows);
			return rc;
		}
		default_cols(m, names, k);
		free_names(names, k);
		/* The rows were made for the old columns: give them the new metric slots. */
		{
			size_t i, j, nm = metric_count(m);
			for (i = 0; i < n; i++) {
				free(rows[i].metric);
				rows[i].metric = bt_xmalloc((nm ? nm : 1) * sizeof(double));
				for (j = 0; j < nm; j++)
					rows[i].metric[j] = NAN;
			}
		}
	}
	rc = fill_details(m, rows, n);
	window_set(m, rows, n);
	m->more_after = n == m->page;
	m->more_before = 0;
	m->pos = 0;
	return rc;
}

int bt_runs_count(struct bt_runs_model *m)
{
	struct bt_buf sql = BT_BUF_INIT;
	struct bt_sqlargs args = BT_SQLARGS_INIT;
	sqlite3_stmt *st = NULL;
	int rc;

	bt_buf_puts(&sql, "SELECT count(*) FROM runs r WHERE ");
	rc = bt_filter_compile(m->filter, m->now, &sql, &args);
	if (!rc)
		rc = bt_store_prepare(m->store, &st, sql.ptr);
	if (!rc)
		rc = bt_sqlargs_bind(st, &args);
	if (!rc) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			m->count = sqlite3_column_int64(st, 0);
			rc = 0;
		} else {
			rc = bt_store_error(m->store, rc, "cannot count runs");
		}
	}
	sqlite3_finalize(st);
	bt_sqlargs_release(&args);
	bt_buf_free(&sql);
	return rc;
}

int bt_runs_load_last(struct bt_runs_model *m)
{
	struct bt_runs_row *rows;
	size_t n;
	int rc;

	m->now = bt_now();
	rc = bt_runs_count(m);
	if (!rc)
		rc = fetch(m, F_LAST, NULL, m->page, &rows, &n);
	if (rc)
		return rc;
	rc = fill_details(m, rows, n);
	window_set(m, rows, n);
	m->more_before = n == m->page;
	m->more_after = 0;
	m->pos = m->count - (int64_t)n;
	if (m->pos < 0)
		m->pos = 0;
	m->cur = n ? n - 1 : 0;
	return rc;
}

/* Append a page after the window; drop rows from the front beyond max_rows. */
static int fetch_after(struct bt_runs_model *m)
{
	struct bt_runs_row *rows;
	size_t n, i, drop;
	int rc;

	if (!m->n)
		return bt_runs_load_first(m);
	rc = fetch(m, F_AFTER, &m->rows[m->n - 1], m->page, &rows, &n);
	if (!rc)
		rc = fill_details(m, rows, n);
	if (rc) {
		while (n)
			row_release(&rows[--n]);
		free(rows);
		return rc;
	}
	m->more_after = n == m->page;
	if (!n) {
		free(rows);
		return 0;
	}
	bt_grow(&m->rows, &m->cap, m->n + n, sizeof(*m->rows));
	memcpy(m->rows + m->n, rows, n * sizeof(*rows));
	m->n += n;
	free(rows);
	if (m->n > m->max_rows) {
		drop = m->n - m->max_rows;
		if (drop > m->top)
			drop = m->top;
		for (i = 0; i < drop; i++)
			row_release(&m->rows[i]);
		memmove(m->rows, m->rows + drop, (m->n - drop) * sizeof(*m->rows));
		m->n -= drop;
		m->cur -= drop;
		m->top -= drop;
		m->pos += (int64_t)drop;
		if (drop)
			m->more_before = 1;
	}
	return 0;
}

/* Prepend a page before the window; drop rows from the back beyond max_rows. */
static int fetch_before(struct bt_runs_model *m, int height)
{
	struct bt_runs_row *rows;
	size_t n, i, keep;
	int rc;

	if (!m->n)
		return bt_runs_load_first(m);
	rc = fetch(m, F_BEFORE, &m->rows[0], m->page, &rows, &n);
	if (!rc)
		rc = fill_details(m, rows, n);
	if (rc) {
		while (n)
			row_release(&rows[--n]);
		free(rows);
		return rc;
	}
	m->more_before = n == m->page;
	if (!n) {
		/* Nothing above after all: this is the top, whatever pos guessed. */
		m->pos = 0;
		free(rows);
		return 0;
	}
	bt_grow(&m->rows, &m->cap, m->n + n, sizeof(*m->rows));
	memmove(m->rows + n, m->rows, m->n * sizeof(*m->rows));
	memcpy(m->rows, rows, n * sizeof(*rows));
	free(rows);
	m->n += n;
	m->cur += n;
	m->top += n;
	m->pos -= (int64_t)n;
	if (!m->more_before || m->pos < 0)
		m->pos = 0;
	if (m->n > m->max_rows) {
		/* Keep everything up to the end of the visible rows. */
		keep = m->max_rows;
		if (keep < m->top + (size_t)(height > 0 ? height : 1))
			keep = m->top + (size_t)(height > 0 ? height : 1);
		if (keep < m->n) {
			for (i = keep; i < m->n; i++)
				row_release(&m->rows[i]);
			m->n = keep;
			m->more_after = 1;
		}
	}
	return 0;
}

void bt_runs_scroll(struct bt_runs_model *m, int height)
{
	if (height < 1)
		height = 1;
	if (m->n == 0) {
		m->cur = m->top = 0;
		return;
	}
	if (m->cur >= m->n)
		m->cur = m->n - 1;
	if (m->cur < m->top)
		m->top = m->cur;
	if (m->cur >= m->top + (size_t)height)
		m->top = m->cur - (size_t)height + 1;
	/* No empty rows at the bottom while there is something above to show. */
	if (m->top + (size_t)height > m->n && !m->more_after)
		m->top = m->n > (size_t)height ? m->n - (size_t)height : 0;
}

int bt_runs_move(struct bt_runs_model *m, int64_t delta, int height)
{
	int64_t target = (int64_t)m->cur + delta;
	int rc = 0;

	if (height < 1)
		height = 1;
	while (!rc && target >= (int64_t)m->n && m->more_after) {
		size_t before = m->cur;
		rc = fetch_after(m);
		target -= (int64_t)(before - m->cur); /* rows dropped at the front */
	}
	while (!rc && target < 0 && m->more_before) {
		size_t before = m->cur;
		rc = fetch_before(m, height);
		target += (int64_t)(m->cur - before);
	}
	/* Keep a page of look-ahead so that the next key rarely waits for a query. */
	if (!rc && m->more_after && target + height >= (int64_t)m->n) {
		size_t before = m->cur;
		rc = fetch_after(m);
		target -= (int64_t)(before - m->cur);
	}
	if (target < 0)
		target = 0;
	if (m->n && target >= (int64_t)m->n)
		target = (int64_t)m->n - 1;
	m->cur = m->n ? (size_t)target : 0;
	bt_runs_scroll(m, height);
	return rc;
}

int bt_runs_reload(struct bt_runs_model *m)
{
	struct bt_runs_row *rows, anchor;
	size_t n, want, i, offset;
	int64_t cur_id, pos;
	int rc, at_top = !m->more_before;

	if (!m->n || at_top) {
		/* At the top, new runs show up above: start from the first match again. */
		cur_id = m->n ? m->rows[m->cur].id : -1;
		offset = m->cur >= m->top ? m->cur - m->top : 0;
		want = m->n > m->page ? m->n : m->page;
		m->now = bt_now();
		rc = fetch(m, F_FIRST, NULL, want, &rows, &n);
		if (!rc)
			rc = fill_details(m, rows, n);
		if (rc)
			goto fail;
		window_set(m, rows, n);
		m->more_after = n == want;
		m->more_before = 0;
		m->pos = 0;
		if (m->count != BT_RUNS_UNCOUNTED)
			m->count = -1; /* count again, unless that was hopeless */
		for (i = 0; i < n; i++)
			if (rows[i].id == cur_id)
				break;
		if (i < n) {
			m->cur = i;
			m->top = i >= offset ? i - offset : 0;
		} else {
			m->cur = m->top = 0;
		}
		return 0;
	}
	/* Elsewhere, re-read from the first visible row on, keeping the cursor's offset. */
	cur_id = m->rows[m->cur].id;
	offset = m->cur - m->top;
	pos = m->pos + (int64_t)m->top;
	anchor = m->rows[m->top];
	want = m->n - m->top + m->page;
	m->now = bt_now();
	rc = fetch(m, F_FROM, &anchor, want, &rows, &n);
	if (!rc)
		rc = fill_details(m, rows, n);
	if (rc)
		goto fail;
	window_set(m, rows, n);
	m->more_after = n == want;
	m->more_before = 1;
	m->pos = pos;
	if (m->count != BT_RUNS_UNCOUNTED)
		m->count = -1;
	m->top = 0;
	m->cur = 0;
	for (i = 0; i < n; i++)
		if (rows[i].id == cur_id)
			break;
	m->cur = i < n ? i : (offset < n ? offset : (n ? n - 1 : 0));
	if (!n) {
		/* Everything from the anchor on is gone: show the end. */
		return bt_runs_load_last(m);
	}
	return 0;
fail:
	while (n)
		row_release(&rows[--n]);
	free(rows);
	return rc;
}

const struct bt_runs_row *bt_runs_current(const struct bt_runs_model *m)
{
	return m->n ? &m->rows[m->cur < m->n ? m->cur : m->n - 1] : NULL;
}

int64_t bt_runs_cursor_index(const struct bt_runs_model *m)
{
	return m->pos + (int64_t)m->cur;
}

/* --- marks ---------------------------------------------------------------------- */

static size_t mark_pos(const struct bt_runs_model *m, int64_t id)
{
	size_t lo = 0, hi = m->nmarks;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m->marks[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bt_runs_is_marked(const struct bt_runs_model *m, int64_t id)
{
	size_t i = mark_pos(m, id);

	return i < m->nmarks && m->marks[i] == id;
}

void bt_runs_toggle_mark(struct bt_runs_model *m, int64_t id)
{
	size_t i = mark_pos(m, id), cap = m->nmarks;

	if (i < m->nmarks && m->marks[i] == id) {
		memmove(m->marks + i, m->marks + i + 1, (m->nmarks - i - 1) * sizeof(*m->marks));
		m->nmarks--;
		return;
	}
	bt_grow(&m->marks, &cap, m->nmarks + 1, sizeof(*m->marks));
	memmove(m->marks + i + 1, m->marks + i, (m->nmarks - i) * sizeof(*m->marks));
	m->marks[i] = id;
	m->nmarks++;
}

void bt_runs_unmark(struct bt_runs_model *m, int64_t id)
{
	if (bt_runs_is_marked(m, id))
		bt_runs_toggle_mark(m, id);
}

void bt_runs_clear_marks(struct bt_runs_model *m)
{
	free(m->marks);
	m->marks = NULL;
	m->nmarks = 0;
}

/* --- cells ------------------------------------------------------------------------ */

void bt_runs_col_title(const struct bt_rcol *c, char *out, size_t n)
{
	size_t i;

	if (c->kind != BT_RC_METRIC || !c->metric) {
		snprintf(out, n, "%s", bt_rcol_def(c->kind)->title);
		return;
	}
	snprintf(out, n, "%s", c->metric);
	for (i = 0; out[i]; i++)
		if (out[i] >= 'a' && out[i] <= 'z')
			out[i] = (char)(out[i] - 'a' + 'A');
}

static void progress_cell(const struct bt_runs_model *m, const struct bt_runs_row *r, int width,
                          int utf8, char *out, size_t n)
{
	struct bt_progress p;
	char bar[128], rate[32], eta[32], tail[96];
	int bw;

	if (r->status != BT_RUN_RUNNING || r->stale || r->total <= 0) {
		out[0] = '\0';
		return;
	}
	bt_progress_compute(&p, r->done, r->total, r->started,
	                    r->heartbeat > 0 ? r->heartbeat : m->now);
	bt_format_rate(rate, sizeof(rate), p.rate);
	if (p.eta == p.eta)
		bt_format_duration(eta, sizeof(eta), p.eta);
	else
		snprintf(eta, sizeof(eta), "?");
	/* As much as fits: the percentage, then the rate, then the ETA. */
	snprintf(tail, sizeof(tail), " %3.0f%% %s %s", p.fraction * 100, rate, eta);
	bw = width - (int)strlen(tail);
	if (bw < 4) {
		snprintf(tail, sizeof(tail), " %3.0f%%", p.fraction * 100);
		bw = width - (int)strlen(tail);
	}
	if (bw < 1) {
		snprintf(out, n, "%.0f%%", p.fraction * 100);
		return;
	}
	if (bw > 40)
		bw = 40;
	bt_progress_bar(bar, sizeof(bar), p.fraction, bw, utf8);
	snprintf(out, n, "%s%s", bar, tail);
}

/* "42s", "5m", "3h", "4d", "6w", "5mo", "2y": an age in at most five cells. */
static void compact_age(char *out, size_t n, double d)
{
	if (d < 0)
		d = 0;
	if (d < 60)
		snprintf(out, n, "%ds", (int)d);
	else if (d < 3600)
		snprintf(out, n, "%dm", (int)(d / 60));
	else if (d < 86400)
		snprintf(out, n, "%dh", (int)(d / 3600));
	else if (d < 14 * 86400)
		snprintf(out, n, "%dd", (int)(d / 86400));
	else if (d < 61 * 86400)
		snprintf(out, n, "%dw", (int)(d / (7 * 86400)));
	else if (d < 365.25 * 86400)
		snprintf(out, n, "%dmo", (int)(d / (30.44 * 86400)));
	else
		snprintf(out, n, "%dy", (int)(d / (365.25 * 86400)));
}

void bt_runs_cell(const struct bt_runs_model *m, const struct bt_runs_row *r, size_t col, int width,
                  int utf8, char *out, size_t n)
{
	const struct bt_rcol *c = &m->cols[col];
	size_t i, slot = 0;

	out[0] = '\0';
	switch (c->kind) {
	case BT_RC_STATUS:
		snprintf(out, n, "%s", r->stale ? "stale" : bt_run_status_name(r->status));
		break;
	case BT_RC_PROGRESS:
		progress_cell(m, r, width, utf8, out, n);
		break;
	case BT_RC_ID:
		snprintf(out, n, "%lld", (long long)r->id);
		break;
	case BT_RC_AGE:
		compact_age(out, n, m->now - r->started);
		break;
	case BT_RC_STARTED:
		bt_format_time(out, n, r->started);
		break;
	case BT_RC_COMMIT:
		if (r->sha)
			snprintf(out, n, "%.8s%s", r->sha, r->dirty ? "*" : "");
		break;
	case BT_RC_BRANCH:
		snprintf(out, n, "%s", r->branch ? r->branch : "");
		break;
	case BT_RC_KIND:
		snprintf(out, n, "%s", r->kind ? r->kind : "");
		break;
	case BT_RC_SUITE:
		snprintf(out, n, "%s", r->suite ? r->suite : "");
		break;
	case BT_RC_MODEL:
		snprintf(out, n, "%s", r->model ? r->model : "");
		break;
	case BT_RC_NAME:
		snprintf(out, n, "%s", r->name ? r->name : "");
		break;
	case BT_RC_DURATION:
		if (r->ended > 0)
			bt_format_duration(out, n, r->ended - r->started);
		else if (r->status == BT_RUN_RUNNING && !r->stale)
			bt_format_duration(out, n, m->now - r->started);
		break;
	case BT_RC_TAGS:
		snprintf(out, n, "%s", r->tags ? r->tags : "");
		break;
	case BT_RC_HOST:
		snprintf(out, n, "%s", r->host ? r->host : "");
		break;
	case BT_RC_USER:
		snprintf(out, n, "%s", r->user ? r->user : "");
		break;
	case BT_RC_NOTE:
		snprintf(out, n, "%s", r->note ? r->note : "");
		break;
	case BT_RC_METRIC:
		for (i = 0; i < col; i++)
			slot += m->cols[i].kind == BT_RC_METRIC;
		if (r->metric && r->metric[slot] == r->metric[slot])
			bt_format_real(out, n, r->metric[slot], 4);
		break;
	case BT_RC_NKINDS:
		break;
	}
}
