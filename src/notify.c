/*
 * notify.c - webhook POSTs through libcurl (see notify.h).
 *
 * TLS peer and host verification are libcurl's defaults and are never
 * turned off here.  Only http and https are allowed, redirects are not
 * followed (a redirected POST loses its body or changes its method), and
 * nothing from the headers or the URL's path reaches a message.
 */
#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "error.h"
#include "notify.h"
#include "util.h"

char *bt_notify_redact_url(const char *url)
{
	const char *p = strstr(url, "://"), *host, *end, *at;

	if (!p)
		return bt_xstrdup("(invalid url)");
	host = p + 3;
	end = host + strcspn(host, "/?#");
	/* user:password@ is a secret too. */
	at = memchr(host, '@', (size_t)(end - host));
	if (at)
		host = at + 1;
	return bt_xasprintf("%.*s://%.*s", (int)(p - url), url, (int)(end - host), host);
}

int bt_notify_check_header(const char *h)
{
	const char *colon = strchr(h, ':'), *p;

	if (!colon || colon == h)
		return bt_error_set(BT_EINPUT, "a header must read 'Name: value'");
	for (p = h; p < colon; p++) {
		/* RFC 9110 token characters. */
		if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-.^_`|~", *p))
			return bt_error_set(BT_EINPUT, "bad header name '%.*s'", (int)(colon - h),
			                    h);
	}
	if (strpbrk(h, "\r\n"))
		return bt_error_set(BT_EINPUT, "header '%.*s' contains a line break",
		                    (int)(colon - h), h);
	return 0;
}

int bt_notify_split_headers(const char *text, char ***out, size_t *n)
{
	const char *p = text;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	while (p && *p) {
		size_t len = strcspn(p, "\n");
		char *line = bt_xstrndup(p, len);
		size_t l = strlen(line);
		char *start = line;

		if (l && line[l - 1] == '\r')
			line[--l] = '\0';
		while (*start == ' ' || *start == '\t')
			start++;
		if (*start) {
			rc = bt_notify_check_header(start);
			if (rc) {
				free(line);
				for (size_t i = 0; i < *n; i++)
					free((*out)[i]);
				free(*out);
				*out = NULL;
				*n = 0;
				return rc;
			}
			bt_grow(out, &cap, *n + 2, sizeof(**out));
			(*out)[(*n)++] = bt_xstrdup(start);
			(*out)[*n] = NULL;
		}
		free(line);
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	BT_UNUSED(ptr);
	BT_UNUSED(userdata);
	return size * nmemb;
}

static void sleep_seconds(double s)
{
	struct timespec ts;

	if (!(s > 0))
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int url_scheme_ok(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

/* Transfer errors worth another attempt: the server may answer next time. */
static int transient(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
		return 1;
	default:
		return 0;
	}
}

int bt_notify_post(const struct bt_notify_opts *o, const char *body, size_t len,
                   struct bt_notify_result *res)
{
	static int curl_ready;
	struct bt_notify_result local;
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE];
	double connect_timeout = o->connect_timeout > 0 ? o->connect_timeout : 10;
	double timeout = o->timeout > 0 ? o->timeout : 30;
	double wait = o->backoff > 0 ? o->backoff : 1;
	int retries = o->retries >= 0 ? o->retries : 3;
	char *where = NULL, *last = NULL;
	CURL *c = NULL;
	size_t i;
	int rc = 0;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (!o->url || !url_scheme_ok(o->url))
		return bt_error_set(BT_EINPUT, "a webhook URL must start with http:// or https://");
	for (i = 0; i < o->nheaders; i++) {
		rc = bt_notify_check_header(o->headers[i]);
		if (rc)
			return rc;
	}
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return bt_error_set(BT_ENET, "cannot initialise libcurl");
		curl_ready = 1;
	}
	where = bt_notify_redact_url(o->url);
	c = curl_easy_init();
	if (!c) {
		rc = bt_error_set(BT_ENET, "cannot initialise libcurl");
		goto out;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip for a small body. */
	hdrs = curl_slist_append(hdrs, "Expect:");
	for (i = 0; i < o->nheaders; i++)
		hdrs = curl_slist_append(hdrs, o->headers[i]);

	curl_easy_setopt(c, CURLOPT_URL, o->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "benchtop/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)ceil(connect_timeout * 1000));
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ceil(timeout * 1000));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

	for (;;) {
		CURLcode cc;
		long status = 0;
		int again;

		errbuf[0] = '\0';
		res->attempts++;
		cc = curl_easy_perform(c);
		if (cc == CURLE_OK) {
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
			res->status = status;
			if (status >= 200 && status < 300) {
				rc = 0;
				break;
			}
			again = status >= 500 || status == 429;
			free(last);
			last = bt_xasprintf("HTTP status %ld", status);
		} else {
			again = transient(cc);
			free(last);
			/*
			 * curl's own text can quote the URL; its code's description
			 * cannot, so that is what goes into the message.
			 */
			last = bt_xstrdup(curl_easy_strerror(cc));
		}
		if (!again || res->attempts > retries) {
			char tail[48] = "";
			if (res->attempts > 1)
				snprintf(tail, sizeof(tail), " (after %d attempts)", res->attempts);
			rc = bt_error_set(BT_ENET, "cannot deliver the notification to '%s': %s%s",
			                  where, last, tail);
			break;
		}
		sleep_seconds(wait);
		wait *= 2;
	}
out:
	free(last);
	free(where);
	curl_slist_free_all(hdrs);
	if (c)
		curl_easy_cleanup(c);
	return rc;
}
