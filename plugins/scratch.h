/*
 * scratch.h - per-thread buffers for the bundled plugins.
 *
 * What predict returns must stay valid until the same thread calls again,
 * and a thread-safe instance is shared by every predicting thread: each
 * thread gets a buffer of its own, found through a thread-specific key and
 * owned by the instance, which frees them all when it is destroyed.
 *
 * Static functions in a header, so that each plugin stays one shared
 * object that links nothing of benchtop's and serves as an example alone.
 */
#ifndef BT_PLUGIN_SCRATCH_H
#define BT_PLUGIN_SCRATCH_H

#include <pthread.h>
#include <stdlib.h>

struct scratch_buf {
	struct scratch_buf *next;
	void *buf;
	size_t cap;
};

struct scratch {
	pthread_key_t key;
	pthread_mutex_t mu; /* guards list */
	struct scratch_buf *list;
};

/* 0, or -1 when the system has no thread-specific key left. */
static int scratch_init(struct scratch *s)
{
	s->list = NULL;
	pthread_mutex_init(&s->mu, NULL);
	if (pthread_key_create(&s->key, NULL) != 0) {
		pthread_mutex_destroy(&s->mu);
		return -1;
	}
	return 0;
}

/* The calling thread's buffer, at least `bytes` long; NULL when out of memory. */
static void *scratch_get(struct scratch *s, size_t bytes)
{
	struct scratch_buf *b = pthread_getspecific(s->key);

	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return NULL;
		pthread_mutex_lock(&s->mu);
		b->next = s->list;
		s->list = b;
		pthread_mutex_unlock(&s->mu);
		pthread_setspecific(s->key, b);
	}
	if (b->cap < bytes) {
		void *p = realloc(b->buf, bytes);
		if (!p)
			return NULL;
		b->buf = p;
		b->cap = bytes;
	}
	return b->buf;
}

static void scratch_destroy(struct scratch *s)
{
	while (s->list) {
		struct scratch_buf *b = s->list;
		s->list = b->next;
		free(b->buf);
		free(b);
	}
	pthread_key_delete(s->key);
	pthread_mutex_destroy(&s->mu);
}

#endif
