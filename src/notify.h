/*
 * notify.h - webhook notifications through libcurl: one JSON POST,
 * retried with backoff on server errors and timeouts, with TLS
 * verification always on.
 *
 * Extra headers usually carry tokens: they are sent and never copied into
 * an error message, a log line or the database.  Webhook URLs often embed
 * a secret in their path (Slack's do), so messages name only the scheme,
 * host and port.
 */
#ifndef BT_NOTIFY_H
#define BT_NOTIFY_H

#include <stddef.h>

struct bt_notify_opts {
	const char *url;            /* http:// or https:// */
	const char *const *headers; /* "Name: value" each */
	size_t nheaders;
	double connect_timeout; /* seconds per attempt; 0: 10 */
	double timeout;         /* seconds per attempt, all included; 0: 30 */
	int retries;            /* attempts after the first; < 0: 3 */
	double backoff;         /* seconds before the first retry, doubling; 0: 1 */
};

struct bt_notify_result {
	long status;  /* the last HTTP status, 0 when none arrived */
	int attempts; /* attempts made */
};

/*
 * POST `body` (JSON, `len` bytes) to o->url.  2xx is delivered; 5xx, 429,
 * timeouts and failed connections are retried up to o->retries times,
 * waiting o->backoff, then twice that, and so on; any other status fails
 * at once.  Returns 0, BT_EINPUT for a bad URL or header, or BT_ENET with a
 * message naming the host (never the path or the headers).
 */
int bt_notify_post(const struct bt_notify_opts *o, const char *body, size_t len,
                   struct bt_notify_result *res);

/*
 * Check one "Name: value" header: a token name, no line breaks.  Returns 0
 * or BT_EINPUT with a message that names the header but not its value.
 */
int bt_notify_check_header(const char *h);

/*
 * Split BENCHTOP_WEBHOOK_HEADERS-style text (one "Name: value" per line,
 * blank lines ignored) into a NULL-terminated array; caller frees each
 * string and the array.  BT_EINPUT on a malformed line.
 */
int bt_notify_split_headers(const char *text, char ***out, size_t *n);

/* "scheme://host[:port]" of a URL, for messages; caller frees. */
char *bt_notify_redact_url(const char *url);

#endif
