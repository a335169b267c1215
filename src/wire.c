/*
 * wire.c - frames and encodings between the harness and its workers
 * (see wire.h).  Little-endian throughout; strings carry a presence byte,
 * a 32-bit length and a terminating NUL so the reader can use them in
 * place.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "data.h"
#include "error.h"
#include "prompt.h"
#include "wire.h"

/* Frames larger than this are a protocol error, not data. */
#define MAX_FRAME ((uint32_t)1 << 30)

void bt_wire_u8(struct bt_buf *b, uint8_t v)
{
	bt_buf_add(b, &v, 1);
}

void bt_wire_u32(struct bt_buf *b, uint32_t v)
{
	unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
	                      (unsigned char)(v >> 24)};
	bt_buf_add(b, c, 4);
}

void bt_wire_u64(struct bt_buf *b, uint64_t v)
{
	bt_wire_u32(b, (uint32_t)v);
	bt_wire_u32(b, (uint32_t)(v >> 32));
}

void bt_wire_f64(struct bt_buf *b, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	bt_wire_u64(b, u);
}

void bt_wire_strn(struct bt_buf *b, const char *s, size_t n)
{
	if (!s) {
		bt_wire_u8(b, 0);
		return;
	}
	bt_wire_u8(b, 1);
	bt_wire_u32(b, (uint32_t)n);
	bt_buf_add(b, s, n);
	bt_wire_u8(b, 0);
}

void bt_wire_str(struct bt_buf *b, const char *s)
{
	bt_wire_strn(b, s, s ? strlen(s) : 0);
}

static int need(struct bt_wire_reader *r, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return 0;
	}
	return 1;
}

uint8_t bt_wire_get_u8(struct bt_wire_reader *r)
{
	uint8_t v;

	if (!need(r, 1))
		return 0;
	v = (uint8_t)*r->p;
	r->p++;
	return v;
}

uint32_t bt_wire_get_u32(struct bt_wire_reader *r)
{
	const unsigned char *c = (const unsigned char *)r->p;

	if (!need(r, 4))
		return 0;
	r->p += 4;
	return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
}

uint64_t bt_wire_get_u64(struct bt_wire_reader *r)
{
	uint64_t lo = bt_wire_get_u32(r);

	return lo | (uint64_t)bt_wire_get_u32(r) << 32;
}

double bt_wire_get_f64(struct bt_wire_reader *r)
{
	uint64_t u = bt_wire_get_u64(r);
	double v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

const char *bt_wire_get_str(struct bt_wire_reader *r, size_t *len)
{
	uint32_t n;
	const char *s;

	if (len)
		*len = 0;
	if (!bt_wire_get_u8(r))
		return NULL;
	n = bt_wire_get_u32(r);
	if (!need(r, (size_t)n + 1) || r->p[n] != '\0') {
		r->bad = 1;
		return NULL;
	}
	s = r->p;
	r->p += n + 1;
	if (len)
		*len = n;
	return s;
}

static int write_all(int fd, const void *data, size_t n)
{
	const char *p = data;

	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return bt_error_set(BT_EIO, "cannot write to worker: %s", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int bt_wire_send(int fd, uint8_t type, const struct bt_buf *payload)
{
	struct bt_buf head = BT_BUF_INIT;
	size_t n = payload ? payload->len : 0;
	int rc;

	bt_wire_u32(&head, (uint32_t)n);
	bt_wire_u8(&head, type);
	rc = write_all(fd, head.ptr, head.len);
	if (!rc && n)
		rc = write_all(fd, payload->ptr, n);
	bt_buf_free(&head);
	return rc;
}

/* Read exactly n bytes before `deadline` (monotonic; < 0 none). */
static int read_all(int fd, void *data, size_t n, double deadline)
{
	char *p = data;

	while (n) {
		ssize_t r;
		if (deadline >= 0) {
			struct pollfd pfd = {fd, POLLIN, 0};
			double left = deadline - bt_monotonic();
			int ms = left <= 0 ? 0 : (int)(left * 1000) + 1, pr;
			pr = poll(&pfd, 1, ms);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr == 0)
				return bt_error_set(BT_EINTR, "timed out");
		}
		r = read(fd, p, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return bt_error_set(BT_EIO, "cannot read from worker: %s", strerror(errno));
		}
		if (r == 0)
			return bt_error_set(BT_EIO, "worker closed its pipe");
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int bt_wire_recv(int fd, uint8_t *type, struct bt_buf *buf, double timeout)
{
	double deadline = timeout < 0 ? -1 : bt_monotonic() + timeout;
	unsigned char head[5];
	uint32_t n;
	int rc;

	rc = read_all(fd, head, 5, deadline);
	if (rc)
		return rc;
	n = (uint32_t)head[0] | (uint32_t)head[1] << 8 | (uint32_t)head[2] << 16 |
	    (uint32_t)head[3] << 24;
	if (n > MAX_FRAME)
		return bt_error_set(BT_EIO, "worker sent a frame of %u bytes", n);
	*type = head[4];
	bt_buf_reset(buf);
	bt_buf_grow(buf, n);
	rc = read_all(fd, buf->ptr, n, deadline);
	if (rc)
		return rc;
	buf->len = n;
	buf->ptr[n] = '\0';
	return 0;
}

/* --- examples ----------------------------------------------------------------------- */

static void put_strings(struct bt_buf *b, const char *const *s, size_t n)
{
	size_t i;

	bt_wire_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		bt_wire_str(b, s[i]);
}

static const char **get_strings(struct bt_wire_reader *r, struct bt_arena *a, size_t *n)
{
	uint32_t k = bt_wire_get_u32(r), i;
	const char **s;

	*n = 0;
	if (r->bad || k > (uint32_t)(r->end - r->p))
		return r->bad = 1, NULL;
	s = bt_arena_alloc(a, ((size_t)k + 1) * sizeof(char *));
	for (i = 0; i < k; i++)
		s[i] = bt_wire_get_str(r, NULL);
	*n = k;
	return s;
}

static void put_doubles(struct bt_buf *b, const double *d, size_t n)
{
	size_t i;

	bt_wire_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		bt_wire_f64(b, d[i]);
}

static double *get_doubles(struct bt_wire_reader *r, struct bt_arena *a, size_t *n)
{
	uint32_t k = bt_wire_get_u32(r), i;
	double *d;

	*n = 0;
	if (r->bad || (size_t)k * 8 > (size_t)(r->end - r->p))
		return r->bad = 1, NULL;
	d = bt_arena_alloc(a, ((size_t)k + 1) * sizeof(double));
	for (i = 0; i < k; i++)
		d[i] = bt_wire_get_f64(r);
	*n = k;
	return d;
}

static void put_target(struct bt_buf *b, const struct benchtop_target *t)
{
	bt_wire_u8(b, t != NULL);
	if (!t)
		return;
	bt_wire_str(b, t->label);
	bt_wire_u64(b, (uint64_t)t->label_index);
	bt_wire_f64(b, t->value);
	bt_wire_str(b, t->text);
	bt_wire_u64(b, (uint64_t)t->choice);
	put_strings(b, t->relevant, t->n_relevant);
}

static const struct benchtop_target *get_target(struct bt_wire_reader *r, struct bt_arena *a)
{
	struct benchtop_target *t;

	if (!bt_wire_get_u8(r))
		return NULL;
	t = bt_arena_alloc(a, sizeof(*t));
	memset(t, 0, sizeof(*t));
	t->label = bt_wire_get_str(r, NULL);
	t->label_index = (int64_t)bt_wire_get_u64(r);
	t->value = bt_wire_get_f64(r);
	t->text = bt_wire_get_str(r, NULL);
	t->choice = (int64_t)bt_wire_get_u64(r);
	t->relevant = get_strings(r, a, &t->n_relevant);
	return t;
}

void bt_wire_put_examples(struct bt_buf *b, const struct benchtop_example *ex, size_t n,
                          int with_targets, const struct benchtop_example *shot_base)
{
	size_t i, j;

	bt_wire_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++) {
		const struct benchtop_example *e = &ex[i];
		bt_wire_str(b, e->id);
		bt_wire_u64(b, e->index);
		bt_wire_u32(b, (uint32_t)e->n_fields);
		for (j = 0; j < e->n_fields; j++) {
			const struct benchtop_field *f = &e->fields[j];
			bt_wire_str(b, f->name);
			bt_wire_u8(b, (uint8_t)f->type);
			bt_wire_f64(b, f->number);
			bt_wire_strn(b, f->text, f->text_len);
			put_doubles(b, f->vector,
			            f->type == BENCHTOP_FIELD_VECTOR ? f->vector_len : 0);
		}
		put_doubles(b, e->features, e->n_features);
		bt_wire_str(b, e->text);
		put_strings(b, e->choices, e->n_choices);
		put_target(b, with_targets ? e->target : NULL);
		/* Shots are train examples: send their positions in the train split. */
		bt_wire_u32(b, (uint32_t)(shot_base ? e->n_shots : 0));
		for (j = 0; shot_base && j < e->n_shots; j++)
			bt_wire_u64(b, (uint64_t)(&e->shots[j] - shot_base));
	}
}

int bt_wire_get_examples(struct bt_wire_reader *r, struct bt_arena *arena,
                         struct benchtop_example **out, size_t *n,
                         const struct benchtop_example *shot_base, size_t n_shot_base)
{
	uint32_t k = bt_wire_get_u32(r), i, j;
	struct benchtop_example *ex;

	*out = NULL;
	*n = 0;
	if (r->bad || k > (uint32_t)(r->end - r->p))
		return bt_error_set(BT_EIO, "malformed examples from the harness");
	ex = bt_arena_alloc(arena, ((size_t)k + 1) * sizeof(*ex));
	memset(ex, 0, ((size_t)k + 1) * sizeof(*ex));
	for (i = 0; i < k && !r->bad; i++) {
		struct benchtop_example *e = &ex[i];
		struct benchtop_field *f;
		uint32_t nf, ns;
		e->id = bt_wire_get_str(r, NULL);
		e->index = bt_wire_get_u64(r);
		nf = bt_wire_get_u32(r);
		if (r->bad || nf > (uint32_t)(r->end - r->p))
			break;
		f = bt_arena_alloc(arena, ((size_t)nf + 1) * sizeof(*f));
		for (j = 0; j < nf; j++) {
			f[j].name = bt_wire_get_str(r, NULL);
			f[j].type = (enum benchtop_field_type)bt_wire_get_u8(r);
			f[j].number = bt_wire_get_f64(r);
			f[j].text = bt_wire_get_str(r, &f[j].text_len);
			f[j].vector = get_doubles(r, arena, &f[j].vector_len);
		}
		e->fields = f;
		e->n_fields = nf;
		e->features = get_doubles(r, arena, &e->n_features);
		e->text = bt_wire_get_str(r, NULL);
		e->choices = get_strings(r, arena, &e->n_choices);
		e->target = get_target(r, arena);
		ns = bt_wire_get_u32(r);
		if (ns && shot_base) {
			struct benchtop_example *shots;
			if (ns > n_shot_base)
				r->bad = 1;
			shots = bt_arena_alloc(arena, ((size_t)ns + 1) * sizeof(*shots));
			for (j = 0; j < ns && !r->bad; j++) {
				uint64_t at = bt_wire_get_u64(r);
				if (at >= n_shot_base) {
					r->bad = 1;
					break;
				}
				shots[j] = shot_base[at];
			}
			e->shots = shots;
			e->n_shots = ns;
		}
	}
	if (r->bad)
		return bt_error_set(BT_EIO, "malformed examples from the harness");
	*out = ex;
	*n = k;
	return 0;
}

void bt_wire_put_predictions(struct bt_buf *b, const struct benchtop_prediction *p, size_t n)
{
	size_t i;

	bt_wire_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++) {
		bt_wire_str(b, p[i].error);
		bt_wire_str(b, p[i].label);
		put_doubles(b, p[i].scores, p[i].scores ? p[i].n_scores : 0);
		bt_wire_f64(b, p[i].value);
		bt_wire_str(b, p[i].text);
		bt_wire_u64(b, (uint64_t)p[i].choice);
		put_strings(b, p[i].ranking, p[i].ranking ? p[i].n_ranking : 0);
	}
}

int bt_wire_get_predictions(struct bt_wire_reader *r, struct bt_arena *arena,
                            struct benchtop_prediction **out, size_t *n)
{
	uint32_t k = bt_wire_get_u32(r), i;
	struct benchtop_prediction *p;

	*out = NULL;
	*n = 0;
	if (r->bad || k > (uint32_t)(r->end - r->p))
		return bt_error_set(BT_EIO, "malformed predictions from a worker");
	p = bt_arena_alloc(arena, ((size_t)k + 1) * sizeof(*p));
	memset(p, 0, ((size_t)k + 1) * sizeof(*p));
	for (i = 0; i < k && !r->bad; i++) {
		p[i].error = bt_wire_get_str(r, NULL);
		p[i].label = bt_wire_get_str(r, NULL);
		p[i].scores = get_doubles(r, arena, &p[i].n_scores);
		p[i].value = bt_wire_get_f64(r);
		p[i].text = bt_wire_get_str(r, NULL);
		p[i].choice = (int64_t)bt_wire_get_u64(r);
		p[i].ranking = get_strings(r, arena, &p[i].n_ranking);
	}
	if (r->bad)
		return bt_error_set(BT_EIO, "malformed predictions from a worker");
	*out = p;
	*n = k;
	return 0;
}

void bt_wire_put_task(struct bt_buf *b, const struct benchtop_task_info *t)
{
	bt_wire_str(b, t->suite);
	bt_wire_str(b, t->name);
	bt_wire_u32(b, (uint32_t)t->type);
	put_strings(b, t->labels, t->n_labels);
	put_strings(b, t->inputs, t->n_inputs);
	bt_wire_u64(b, t->n_features);
	bt_wire_u64(b, t->n_train);
	bt_wire_u64(b, t->n_test);
	bt_wire_u64(b, t->seed);
	/* ABI 1.1: the host built the struct, so these are always there. */
	put_strings(b, t->stop, t->n_stop);
	bt_wire_str(b, t->target_delimiter);
	bt_wire_u64(b, t->max_tokens);
}

int bt_wire_get_task(struct bt_wire_reader *r, struct bt_arena *arena,
                     struct benchtop_task_info *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->suite = bt_wire_get_str(r, NULL);
	out->name = bt_wire_get_str(r, NULL);
	out->type = (enum benchtop_task_type)bt_wire_get_u32(r);
	out->labels = get_strings(r, arena, &out->n_labels);
	out->inputs = get_strings(r, arena, &out->n_inputs);
	out->n_features = bt_wire_get_u64(r);
	out->n_train = bt_wire_get_u64(r);
	out->n_test = bt_wire_get_u64(r);
	out->seed = bt_wire_get_u64(r);
	out->stop = get_strings(r, arena, &out->n_stop);
	out->target_delimiter = bt_wire_get_str(r, NULL);
	out->max_tokens = bt_wire_get_u64(r);
	return r->bad ? bt_error_set(BT_EIO, "malformed task from the harness") : 0;
}

void bt_wire_put_strings(struct bt_buf *b, const char *const *s, size_t n)
{
	put_strings(b, s, n);
}

const char **bt_wire_get_strings(struct bt_wire_reader *r, struct bt_arena *arena, size_t *n)
{
	return get_strings(r, arena, n);
}

void bt_wire_put_prompt(struct bt_buf *b, const struct bt_prompt *p)
{
	size_t i;

	bt_wire_u8(b, p != NULL);
	if (!p)
		return;
	bt_wire_u32(b, (uint32_t)p->n);
	for (i = 0; i < p->n; i++) {
		bt_wire_u8(b, (uint8_t)p->parts[i].field);
		bt_wire_strn(b, p->parts[i].text, p->parts[i].len);
	}
	bt_wire_str(b, p->fewshot_delimiter);
	bt_wire_str(b, p->target_delimiter);
}

int bt_wire_get_prompt(struct bt_wire_reader *r, struct bt_prompt *p, int *out)
{
	uint32_t n, i;

	memset(p, 0, sizeof(*p));
	*out = bt_wire_get_u8(r);
	if (!*out)
		return r->bad ? bt_error_set(BT_EIO, "malformed prompt from the harness") : 0;
	n = bt_wire_get_u32(r);
	if (r->bad || n > (uint32_t)(r->end - r->p))
		return bt_error_set(BT_EIO, "malformed prompt from the harness");
	p->parts = bt_xcalloc((size_t)n + 1, sizeof(*p->parts));
	for (i = 0; i < n && !r->bad; i++) {
		const char *t;
		size_t len;
		p->parts[i].field = bt_wire_get_u8(r);
		t = bt_wire_get_str(r, &len);
		p->parts[i].text = bt_xstrndup(t ? t : "", t ? len : 0);
		p->parts[i].len = t ? len : 0;
		p->n = i + 1;
	}
	{
		const char *fs = bt_wire_get_str(r, NULL), *td = bt_wire_get_str(r, NULL);
		p->fewshot_delimiter = bt_xstrdup(fs ? fs : BT_PROMPT_FEWSHOT_DELIMITER);
		p->target_delimiter = bt_xstrdup(td ? td : BT_PROMPT_TARGET_DELIMITER);
	}
	if (r->bad) {
		bt_prompt_release(p);
		*out = 0;
		return bt_error_set(BT_EIO, "malformed prompt from the harness");
	}
	return 0;
}
