/*
 * model-samples.c - the samples of one task, a window at a time (see
 * model-samples.h).  Pages are `idx > ?` / `idx < ?` ranges on the
 * (task_id, idx) primary key, so each costs a few index steps.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tui/model-samples.h"
#include "util.h"

static char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? bt_xstrdup((const char *)t) : NULL;
}

static void sample_release(struct bt_sample *s)
{
	free(s->example_id);
	free(s->prediction);
	free(s->target);
	free(s->error);
	memset(s, 0, sizeof(*s));
}

static void clear(struct bt_samples_model *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		sample_release(&m->rows[i]);
	m->n = m->cur = m->top = 0;
	m->more_before = m->more_after = 0;
}

int bt_samples_open(struct bt_samples_model **out, struct bt_store *s, int64_t run_id,
                    const char *task)
{
	struct bt_samples_model *m;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	rc = bt_store_prepare(s, &st,
	                      "SELECT id, type, n_examples, n_errors FROM tasks WHERE run_id = ? "
	                      "AND name = ?");
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, task, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? bt_error_set(BT_ENOTFOUND, "run %lld has no task '%s'",
		                                      (long long)run_id, task)
		                       : bt_store_error(s, rc, "cannot read tasks");
		sqlite3_finalize(st);
		return rc;
	}
	m = bt_xcalloc(1, sizeof(*m));
	m->store = s;
	m->run_id = run_id;
	m->task = bt_xstrdup(task);
	m->task_id = sqlite3_column_int64(st, 0);
	m->type = col_text(st, 1);
	m->n_examples = sqlite3_column_int64(st, 2);
	m->n_errors = sqlite3_column_int64(st, 3);
	m->page = 100;
	m->max_rows = 400;
	m->count = -1;
	sqlite3_finalize(st);
	*out = m;
	return 0;
}

void bt_samples_free(struct bt_samples_model *m)
{
	if (!m)
		return;
	clear(m);
	free(m->rows);
	free(m->task);
	free(m->type);
	free(m);
}

void bt_samples_set_mode(struct bt_samples_model *m, enum bt_samples_mode mode)
{
	m->mode = mode;
	m->count = -1;
}

static const char *mode_sql(enum bt_samples_mode mode)
{
	switch (mode) {
	case BT_SAMPLES_WRONG:
		return " AND correct = 0";
	case BT_SAMPLES_ERRORS:
		return " AND error IS NOT NULL";
	default:
		return "";
	}
}

enum how { FIRST, LAST, AFTER, BEFORE, FROM };

static int fetch(struct bt_samples_model *m, enum how how, int64_t idx, size_t limit,
                 struct bt_sample **out, size_t *nout)
{
	struct bt_buf sql = BT_BUF_INIT;
	struct bt_sample *rows = NULL;
	size_t n = 0, cap = 0, i;
	sqlite3_stmt *st;
	int rc, rev = how == LAST || how == BEFORE;

	*out = NULL;
	*nout = 0;
	bt_buf_printf(&sql,
	              "SELECT idx, example_id, prediction, target, correct, score, latency, error "
	              "FROM samples WHERE task_id = ?1%s%s ORDER BY idx %s LIMIT ?3",
	              mode_sql(m->mode),
	              how == AFTER    ? " AND idx > ?2"
	              : how == BEFORE ? " AND idx < ?2"
	              : how == FROM   ? " AND idx >= ?2"
	                              : "",
	              rev ? "DESC" : "ASC");
	rc = bt_store_prepare(m->store, &st, sql.ptr);
	bt_buf_free(&sql);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, m->task_id);
	if (how == AFTER || how == BEFORE || how == FROM)
		sqlite3_bind_int64(st, 2, idx);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct bt_sample *s;
		bt_grow(&rows, &cap, n + 1, sizeof(*rows));
		s = &rows[n++];
		s->idx = sqlite3_column_int64(st, 0);
		s->example_id = col_text(st, 1);
		s->prediction = col_text(st, 2);
		s->target = col_text(st, 3);
		s->correct =
		        sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 4);
		s->score = sqlite3_column_type(st, 5) == SQLITE_NULL ? NAN
		                                                     : sqlite3_column_double(st, 5);
		s->latency = sqlite3_column_type(st, 6) == SQLITE_NULL
		                     ? NAN
		                     : sqlite3_column_double(st, 6);
		s->error = col_text(st, 7);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		for (i = 0; i < n; i++)
			sample_release(&rows[i]);
		free(rows);
		return bt_store_error(m->store, rc, "cannot read samples");
	}
	if (rev)
		for (i = 0; i < n / 2; i++) {
			struct bt_sample t = rows[i];
			rows[i] = rows[n - 1 - i];
			rows[n - 1 - i] = t;
		}
	*out = rows;
	*nout = n;
	return 0;
}

static void replace(struct bt_samples_model *m, struct bt_sample *rows, size_t n)
{
	clear(m);
	free(m->rows);
	m->rows = rows;
	m->n = m->cap = n;
}

int bt_samples_load_first(struct bt_samples_model *m)
{
	struct bt_sample *rows;
	size_t n;
	int rc = fetch(m, FIRST, 0, m->page, &rows, &n);

	if (rc)
		return rc;
	replace(m, rows, n);
	m->more_after = n == m->page;
	return 0;
}

int bt_samples_load_last(struct bt_samples_model *m)
{
	struct bt_sample *rows;
	size_t n;
	int rc = fetch(m, LAST, 0, m->page, &rows, &n);

	if (rc)
		return rc;
	replace(m, rows, n);
	m->more_before = n == m->page;
	m->cur = n ? n - 1 : 0;
	return 0;
}

int bt_samples_reload(struct bt_samples_model *m)
{
	struct bt_sample *rows;
	size_t n, i, offset, want;
	int64_t cur_idx, anchor;
	int rc, before, at_top;

	if (!m->n)
		return bt_samples_load_first(m);
	/* At the top, start from the first sample again: a running task may add some. */
	at_top = !m->more_before && m->top == 0;
	cur_idx = m->rows[m->cur].idx;
	offset = m->cur - m->top;
	anchor = m->rows[m->top].idx;
	before = !at_top && (m->more_before || m->top > 0);
	want = m->n - m->top + m->page;
	rc = fetch(m, at_top ? FIRST : FROM, anchor, want, &rows, &n);
	if (rc)
		return rc;
	if (!n)
		return bt_samples_load_last(m);
	replace(m, rows, n);
	m->more_before = before;
	m->more_after = n == want;
	for (i = 0; i < n && rows[i].idx != cur_idx; i++)
		;
	m->cur = i < n ? i : (offset < n ? offset : n - 1);
	m->top = 0;
	return 0;
}

int bt_samples_count(struct bt_samples_model *m)
{
	struct bt_buf sql = BT_BUF_INIT;
	sqlite3_stmt *st;
	int rc;

	bt_buf_printf(&sql, "SELECT count(*) FROM samples WHERE task_id = ?%s", mode_sql(m->mode));
	rc = bt_store_prepare(m->store, &st, sql.ptr);
	bt_buf_free(&sql);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, m->task_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		m->count = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = bt_store_error(m->store, rc, "cannot count samples");
	}
	sqlite3_finalize(st);
	return rc;
}

static int fetch_after(struct bt_samples_model *m)
{
	struct bt_sample *rows;
	size_t n, drop, i;
	int rc = fetch(m, AFTER, m->rows[m->n - 1].idx, m->page, &rows, &n);

	if (rc)
		return rc;
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
			sample_release(&m->rows[i]);
		memmove(m->rows, m->rows + drop, (m->n - drop) * sizeof(*m->rows));
		m->n -= drop;
		m->cur -= drop;
		m->top -= drop;
		if (drop)
			m->more_before = 1;
	}
	return 0;
}

static int fetch_before(struct bt_samples_model *m, int height)
{
	struct bt_sample *rows;
	size_t n, keep, i;
	int rc = fetch(m, BEFORE, m->rows[0].idx, m->page, &rows, &n);

	if (rc)
		return rc;
	m->more_before = n == m->page;
	if (!n) {
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
	keep = m->top + (size_t)(height > 0 ? height : 1);
	if (keep < m->max_rows)
		keep = m->max_rows;
	if (m->n > keep) {
		for (i = keep; i < m->n; i++)
			sample_release(&m->rows[i]);
		m->n = keep;
		m->more_after = 1;
	}
	return 0;
}

void bt_samples_scroll(struct bt_samples_model *m, int height)
{
	if (height < 1)
		height = 1;
	if (!m->n) {
		m->cur = m->top = 0;
		return;
	}
	if (m->cur >= m->n)
		m->cur = m->n - 1;
	if (m->cur < m->top)
		m->top = m->cur;
	if (m->cur >= m->top + (size_t)height)
		m->top = m->cur - (size_t)height + 1;
	if (m->top + (size_t)height > m->n && !m->more_after)
		m->top = m->n > (size_t)height ? m->n - (size_t)height : 0;
}

int bt_samples_move(struct bt_samples_model *m, int64_t delta, int height)
{
	int64_t target = (int64_t)m->cur + delta;
	int rc = 0;

	while (!rc && m->n && target >= (int64_t)m->n && m->more_after) {
		size_t before = m->cur;
		rc = fetch_after(m);
		target -= (int64_t)(before - m->cur);
	}
	while (!rc && m->n && target < 0 && m->more_before) {
		size_t before = m->cur;
		rc = fetch_before(m, height);
		target += (int64_t)(m->cur - before);
	}
	if (target < 0)
		target = 0;
	if (m->n && target >= (int64_t)m->n)
		target = (int64_t)m->n - 1;
	m->cur = m->n ? (size_t)target : 0;
	bt_samples_scroll(m, height);
	return rc;
}

const struct bt_sample *bt_samples_current(const struct bt_samples_model *m)
{
	return m->n ? &m->rows[m->cur] : NULL;
}
