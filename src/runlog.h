/*
 * runlog.h - the captured output of an `exec` run: collecting it under a
 * size cap (keeping the head and the tail), storing it, reading it back,
 * and rendering it for a terminal.
 */
#ifndef BT_RUNLOG_H
#define BT_RUNLOG_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "util.h"

/*
 * Output collected under a cap of `max` bytes: the first max/2 bytes, and
 * a ring of the last max - max/2 bytes.  When the output fits, nothing is
 * dropped.
 */
struct bt_logcap {
	size_t max;
	char *head;
	size_t head_len, head_cap;
	char *ring;
	size_t ring_cap, ring_len, ring_pos; /* ring_pos: where the next byte goes */
	uint64_t total;
	int pty;
};

void bt_logcap_init(struct bt_logcap *c, size_t max, int pty);
void bt_logcap_add(struct bt_logcap *c, const char *data, size_t n);
void bt_logcap_release(struct bt_logcap *c);

/* A stored log. */
struct bt_runlog {
	char *head; /* NUL-terminated copies; the lengths count the bytes */
	size_t head_len;
	char *tail;
	size_t tail_len;
	int64_t total_bytes, max_bytes;
	int pty;
};

/* Store (insert or replace) run `run_id`'s log; no transaction of its own. */
int bt_runlog_store(struct bt_store *s, int64_t run_id, const struct bt_logcap *c);
/* Load it; BT_ENOTFOUND when the run has no captured output. */
int bt_runlog_load(struct bt_store *s, int64_t run_id, struct bt_runlog *out);
void bt_runlog_release(struct bt_runlog *l);
/* Bytes dropped from the middle. */
int64_t bt_runlog_omitted(const struct bt_runlog *l);

/* Record an exec run's exit status (exit code, or 128 + signal). */
int bt_runlog_set_exit(struct bt_store *s, int64_t run_id, int exit_status);

/*
 * Render output for a terminal as the terminal would have ended up
 * showing it: escape sequences removed, "\r\n" as "\n", and of a line
 * redrawn with '\r' (progress bars) only its last state.  The result
 * still needs bt_sanitize() for any remaining control bytes.
 */
void bt_log_render(const char *in, size_t n, struct bt_buf *out);

#endif
