/*
 * wire.h - the framing and encodings between the harness and its isolated
 * worker processes (`benchtop __worker`).
 *
 * A frame is a 4-byte little-endian payload length, a 1-byte type and the
 * payload.  Payloads are built from a few primitives (u8, u32, u64, f64,
 * length-prefixed strings and arrays), and decoded in place: decoded
 * strings and arrays point into the received buffer, which stays alive
 * while they are used.  Both ends are the same binary, so there is no
 * versioning beyond a magic number in INIT.
 *
 * Nothing here knows about processes or files beyond file descriptors.
 */
#ifndef BT_WIRE_H
#define BT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "benchtop/plugin.h"
#include "data.h"
#include "util.h"

enum bt_wire_type {
	BT_WIRE_INIT = 1,   /* parent -> worker: plugin, params, task, train split */
	BT_WIRE_READY = 2,  /* worker -> parent: instance created and fitted */
	BT_WIRE_BATCH = 3,  /* parent -> worker: examples to predict */
	BT_WIRE_RESULT = 4, /* worker -> parent: their predictions */
	BT_WIRE_ERROR = 5,  /* worker -> parent: the last request failed, with a message */
	BT_WIRE_LOG = 6,    /* worker -> parent: a plugin log line */
	BT_WIRE_QUIT = 7,   /* parent -> worker: exit cleanly */
	BT_WIRE_RECORD = 8, /* worker -> parent: a file the model used (host->record_file) */
};

#define BT_WIRE_MAGIC 0x42745772u /* "BtWr" */

/* Writing: append primitives to a buffer, then send it as one frame. */
void bt_wire_u8(struct bt_buf *b, uint8_t v);
void bt_wire_u32(struct bt_buf *b, uint32_t v);
void bt_wire_u64(struct bt_buf *b, uint64_t v);
void bt_wire_f64(struct bt_buf *b, double v);
void bt_wire_str(struct bt_buf *b, const char *s); /* NULL is distinct from "" */
void bt_wire_strn(struct bt_buf *b, const char *s, size_t n);

/* Reading: a cursor over a received payload.  Overruns set `bad`. */
struct bt_wire_reader {
	const char *p, *end;
	int bad;
};
uint8_t bt_wire_get_u8(struct bt_wire_reader *r);
uint32_t bt_wire_get_u32(struct bt_wire_reader *r);
uint64_t bt_wire_get_u64(struct bt_wire_reader *r);
double bt_wire_get_f64(struct bt_wire_reader *r);
/* The string in place (NUL-terminated on the wire), or NULL. */
const char *bt_wire_get_str(struct bt_wire_reader *r, size_t *len);

/*
 * Send a frame (retrying short writes and EINTR).  BT_EIO when the peer is
 * gone.  `timeout` < 0 waits forever.
 */
int bt_wire_send(int fd, uint8_t type, const struct bt_buf *payload);
/*
 * Receive a frame into `buf` (replacing its contents): *type and the
 * payload.  Returns 0, BT_EIO at end of file or on a read error, BT_EINTR
 * when `timeout` seconds passed first (timeout < 0: wait forever).
 */
int bt_wire_recv(int fd, uint8_t *type, struct bt_buf *buf, double timeout);

/* Examples and predictions. */
void bt_wire_put_examples(struct bt_buf *b, const struct benchtop_example *ex, size_t n,
                          int with_targets, const struct benchtop_example *shot_base);
/*
 * Decode n examples.  Everything points into the reader's buffer or into
 * `arena`; shots refer into `shot_base` (the decoded train split).
 */
int bt_wire_get_examples(struct bt_wire_reader *r, struct bt_arena *arena,
                         struct benchtop_example **out, size_t *n,
                         const struct benchtop_example *shot_base, size_t n_shot_base);

void bt_wire_put_predictions(struct bt_buf *b, const struct benchtop_prediction *p, size_t n);
int bt_wire_get_predictions(struct bt_wire_reader *r, struct bt_arena *arena,
                            struct benchtop_prediction **out, size_t *n);

void bt_wire_put_task(struct bt_buf *b, const struct benchtop_task_info *t);
int bt_wire_get_task(struct bt_wire_reader *r, struct bt_arena *arena,
                     struct benchtop_task_info *out);

/* A list of strings (NULL entries allowed); decoded into `arena`. */
void bt_wire_put_strings(struct bt_buf *b, const char *const *s, size_t n);
const char **bt_wire_get_strings(struct bt_wire_reader *r, struct bt_arena *arena, size_t *n);

/* A prompt template (prompt.h), or its absence (NULL); decoded into a new one. */
struct bt_prompt;
void bt_wire_put_prompt(struct bt_buf *b, const struct bt_prompt *p);
/* *out is 1 with *p filled (release it), or 0 when none was sent. */
int bt_wire_get_prompt(struct bt_wire_reader *r, struct bt_prompt *p, int *out);

#endif
