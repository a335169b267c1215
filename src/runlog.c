/*
 * runlog.c - captured output: head-and-tail capping, the run_logs table,
 * and rendering for terminals.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "runlog.h"
#include "util.h"

void bt_logcap_init(struct bt_logcap *c, size_t max, int pty)
{
	memset(c, 0, sizeof(*c));
	c->max = max;
	c->head_cap = max / 2;
	c->ring_cap = max - c->head_cap;
	c->pty = pty;
}

void bt_logcap_add(struct bt_logcap *c, const char *data, size_t n)
{
	size_t take;

	c->total += n;
	if (c->head_len < c->head_cap) {
		take = c->head_cap - c->head_len < n ? c->head_cap - c->head_len : n;
		if (!c->head)
			c->head = bt_xmalloc(c->head_cap);
		memcpy(c->head + c->head_len, data, take);
		c->head_len += take;
		data += take;
		n -= take;
	}
	if (n == 0 || c->ring_cap == 0)
		return;
	if (!c->ring)
		c->ring = bt_xmalloc(c->ring_cap);
	if (n >= c->ring_cap) {
		/* Only the last ring_cap bytes of this piece can survive. */
		memcpy(c->ring, data + n - c->ring_cap, c->ring_cap);
		c->ring_pos = 0;
		c->ring_len = c->ring_cap;
		return;
	}
	take = c->ring_cap - c->ring_pos < n ? c->ring_cap - c->ring_pos : n;
	memcpy(c->ring + c->ring_pos, data, take);
	memcpy(c->ring, data + take, n - take);
	c->ring_pos = (c->ring_pos + n) % c->ring_cap;
	c->ring_len = c->ring_len + n > c->ring_cap ? c->ring_cap : c->ring_len + n;
}

void bt_logcap_release(struct bt_logcap *c)
{
	free(c->head);
	free(c->ring);
	memset(c, 0, sizeof(*c));
}

/* The ring's contents in order. */
static void ring_bytes(const struct bt_logcap *c, struct bt_buf *b)
{
	if (c->ring_len == 0)
		return;
	if (c->ring_len < c->ring_cap) {
		bt_buf_add(b, c->ring, c->ring_len);
		return;
	}
	bt_buf_add(b, c->ring + c->ring_pos, c->ring_cap - c->ring_pos);
	bt_buf_add(b, c->ring, c->ring_pos);
}

int bt_runlog_store(struct bt_store *s, int64_t run_id, const struct bt_logcap *c)
{
	struct bt_buf head = BT_BUF_INIT, tail = BT_BUF_INIT;
	sqlite3_stmt *st;
	int rc;

	if (c->head_len)
		bt_buf_add(&head, c->head, c->head_len);
	if (c->total <= c->max)
		ring_bytes(c, &head); /* nothing dropped: one piece */
	else
		ring_bytes(c, &tail);
	rc = bt_store_prepare(s, &st,
	                      "INSERT OR REPLACE INTO run_logs (run_id, head, tail, total_bytes, "
	                      "max_bytes, pty) VALUES (?, ?, ?, ?, ?, ?)");
	if (rc)
		goto out;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_blob(st, 2, head.ptr ? head.ptr : "", (int)head.len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, tail.ptr ? tail.ptr : "", (int)tail.len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)c->total);
	sqlite3_bind_int64(st, 5, (int64_t)c->max);
	sqlite3_bind_int(st, 6, c->pty);
	rc = bt_store_step_done(s, st, "cannot store output");
	sqlite3_finalize(st);
out:
	bt_buf_free(&head);
	bt_buf_free(&tail);
	return rc;
}

static char *blob_copy(sqlite3_stmt *st, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);
	char *out = bt_xmalloc((size_t)n + 1);

	if (n > 0)
		memcpy(out, p, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	return out;
}

int bt_runlog_load(struct bt_store *s, int64_t run_id, struct bt_runlog *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = bt_store_prepare(s, &st,
	                      "SELECT head, tail, total_bytes, max_bytes, pty FROM run_logs "
	                      "WHERE run_id = ?");
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, run_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->head = blob_copy(st, 0, &out->head_len);
		out->tail = blob_copy(st, 1, &out->tail_len);
		out->total_bytes = sqlite3_column_int64(st, 2);
		out->max_bytes = sqlite3_column_int64(st, 3);
		out->pty = sqlite3_column_int(st, 4);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = bt_error_set(BT_ENOTFOUND, "run %lld has no captured output",
		                  (long long)run_id);
	} else {
		rc = bt_store_error(s, rc, "cannot read output");
	}
	sqlite3_finalize(st);
	return rc;
}

void bt_runlog_release(struct bt_runlog *l)
{
	free(l->head);
	free(l->tail);
	memset(l, 0, sizeof(*l));
}

int64_t bt_runlog_omitted(const struct bt_runlog *l)
{
	int64_t kept = (int64_t)(l->head_len + l->tail_len);

	return l->total_bytes > kept ? l->total_bytes - kept : 0;
}

int bt_runlog_set_exit(struct bt_store *s, int64_t run_id, int exit_status)
{
	sqlite3_stmt *st;
	int rc = bt_store_prepare(s, &st, "UPDATE runs SET exit_status = ? WHERE id = ?");

	if (rc)
		return rc;
	sqlite3_bind_int(st, 1, exit_status);
	sqlite3_bind_int64(st, 2, run_id);
	rc = bt_store_step_done(s, st, "cannot record exit status");
	sqlite3_finalize(st);
	return rc;
}

void bt_log_render(const char *in, size_t n, struct bt_buf *out)
{
	size_t i = 0, line_start = out->len;

	bt_buf_grow(out, n);
	while (i < n) {
		unsigned char c = (unsigned char)in[i];
		if (c == '\033') {
			/* skip CSI, OSC and two-byte escapes */
			i++;
			if (i < n && in[i] == '[') {
				i++;
				while (i < n && !((unsigned char)in[i] >= 0x40 &&
				                  (unsigned char)in[i] <= 0x7e))
					i++;
				if (i < n)
					i++;
			} else if (i < n && in[i] == ']') {
				while (i < n && in[i] != '\007' &&
				       !(in[i] == '\033' && i + 1 < n && in[i + 1] == '\\'))
					i++;
				if (i < n)
					i += in[i] == '\007' ? 1 : 2;
			} else if (i < n) {
				i++;
			}
			continue;
		}
		if (c == '\r') {
			if (i + 1 < n && in[i + 1] == '\n') {
				i++;
				continue; /* "\r\n" is a line end */
			}
			/* The line is redrawn: what follows replaces it (unless nothing does). */
			if (i + 1 < n) {
				out->len = line_start;
				out->ptr[out->len] = '\0';
			}
			i++;
			continue;
		}
		bt_buf_putc(out, (char)c);
		if (c == '\n')
			line_start = out->len;
		i++;
	}
}
