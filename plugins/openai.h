/*
 * openai.h - what the two halves of the `openai` plugin share.
 *
 * openai.c is the model: params, prompts, request bodies, reading answers
 * and turning log-likelihoods into predictions.  openai-net.c moves
 * requests: a libcurl multi loop with retries, the run-wide limit on
 * requests in flight, and the SQLite request cache.  Neither half links
 * anything of benchtop's: everything from the host comes through
 * struct benchtop_host.
 */
#ifndef BT_PLUGIN_OPENAI_H
#define BT_PLUGIN_OPENAI_H

#include <stddef.h>

#include "benchtop/plugin.h"

/* One HTTP request and what became of it. */
struct oa_request {
	const char *endpoint; /* "completions" or "chat/completions" (static) */
	char *body;           /* the canonical JSON body (owned) */
	char key[65];         /* the cache key: hex sha256 of base_url, model and body */

	/* Filled by oa_net_run: exactly one of response and error is set. */
	char *response; /* the body of the 200 answer (owned) */
	char *error;    /* why the request failed for good, sanitised (owned) */
	int cached;     /* the response came from the cache */
	int attempts;   /* requests sent for it (0 when cached) */

	/* oa_net_run's own state. */
	double not_before; /* monotonic time before which it is not retried */
	double retry_after;
	char *buf;
	size_t len, cap;
	int slot;
	void *easy;
};

struct oa_net_config {
	const char *base_url; /* without a trailing slash */
	const char *model;
	const char *api_key; /* NULL: no Authorization header */
	double timeout;      /* seconds per request */
	long max_retries;
	long concurrency; /* requests in flight for the whole run */
	int cache;        /* use the request cache */
	const struct benchtop_host *host;
};

struct oa_net;

/*
 * Prepare the HTTP side: check that the server accepts connections (one
 * TCP connect, no HTTP request, so a fully cached run sends nothing),
 * open the cache and the run-wide limiter.  On failure returns -1 with
 * the reason in err.
 */
int oa_net_open(struct oa_net **out, const struct oa_net_config *cfg, char *err, size_t errn);
void oa_net_close(struct oa_net *net);

/* Fill r->key from the base URL, the model and r->body. */
void oa_net_key(const struct oa_net *net, struct oa_request *r);

/*
 * Answer every request: from the cache, else over HTTP with at most
 * `concurrency` in flight across the run, retrying 429 and 5xx answers
 * and transport failures with exponential backoff (honouring
 * Retry-After), and storing each 200 answer in the cache as it arrives.
 * Returns when every request has a response or an error, or soon after
 * the host says the run is being cancelled.  Thread-safe.
 */
void oa_net_run(struct oa_net *net, struct oa_request *reqs, size_t n);

/*
 * Drop r's answer from the cache: the server said 200, but with nothing
 * the plugin can use (not JSON, no choices, no log-probabilities), so the
 * question is asked again next time instead of failing from the cache.
 */
void oa_net_forget(struct oa_net *net, const struct oa_request *r);

/* Free what oa_net_run and the caller put in r. */
void oa_request_release(struct oa_request *r);

/*
 * Make server text safe to store and show: control characters, C1
 * codes, bidirectional overrides and invalid UTF-8 become '?', the API
 * key (when given) becomes "***", and the result is cut to `max` bytes
 * on a character boundary.  A new string.
 */
char *oa_sanitize(const char *s, size_t len, const char *api_key, size_t max);

#endif
