/*
 * test-notify.c - webhook delivery through libcurl to a real HTTP server
 * on 127.0.0.1 (tests/helpers/httpd.py, located by $HTTPD), whose request
 * log says what arrived: retries on 5xx, no retries on 4xx, bounded time
 * against a server that never answers, headers sent but never quoted.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "helpers.h"
#include "notify.h"
#include "util.h"

static char *dir;
static pid_t server;
static int port;

static void setup(void)
{
	dir = th_tmpdir();
	server = 0;
}

static void teardown(void)
{
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
	}
	th_rm_rf(dir);
	free(dir);
}

TestSuite(notify, .init = setup, .fini = teardown);

/* Start httpd.py with `rules` (NULL-terminated "PATH=BEHAVIOUR"). */
static void start_server(const char *const *rules)
{
	const char *httpd = getenv("HTTPD");
	char *log = bt_path_join(dir, "requests.log"), *pf = bt_path_join(dir, "port");
	char *argv[32];
	int argc = 0, i;

	if (!httpd || access(httpd, R_OK) != 0)
		cr_skip_test("HTTPD is not set (run through make check)");
	argv[argc++] = "python3";
	argv[argc++] = (char *)httpd;
	argv[argc++] = "--root";
	argv[argc++] = dir;
	argv[argc++] = "--log";
	argv[argc++] = log;
	argv[argc++] = "--port-file";
	argv[argc++] = pf;
	for (i = 0; rules && rules[i] && argc < 28; i++) {
		argv[argc++] = "--rule";
		argv[argc++] = (char *)rules[i];
	}
	argv[argc] = NULL;
	server = fork();
	cr_assert_geq(server, 0);
	if (server == 0) {
		execvp("python3", argv);
		_exit(127);
	}
	for (i = 0; i < 400; i++) {
		char *text = th_read(pf, NULL);
		if (text) {
			port = atoi(text);
			free(text);
			break;
		}
		usleep(25000);
	}
	cr_assert_gt(port, 0, "httpd.py did not start");
	free(log);
	free(pf);
}

static char *url(const char *path)
{
	return bt_xasprintf("http://127.0.0.1:%d%s", port, path);
}

/* How many requests reached the server, and the log's text. */
static int requests(char **text)
{
	char *log = bt_path_join(dir, "requests.log");
	char *s = th_read(log, NULL);
	int n = 0;

	free(log);
	for (const char *p = s; p && *p; p++)
		n += *p == '\n';
	if (text)
		*text = s ? s : bt_xstrdup("");
	else
		free(s);
	return n;
}

Test(notify, posts_json_with_its_headers)
{
	const char *headers[] = {"Authorization: Bearer s3cret-token", "X-Team: ml"};
	struct bt_notify_opts o = {0};
	struct bt_notify_result res;
	char *u, *log;

	start_server(NULL);
	u = url("/hook");
	o.url = u;
	o.headers = headers;
	o.nheaders = 2;
	o.retries = 0;
	cr_assert_eq(bt_notify_post(&o, "{\"text\":\"hi\"}", 13, &res), 0, "%s", bt_error_last());
	cr_assert_eq(res.status, 200);
	cr_assert_eq(res.attempts, 1);
	cr_assert_eq(requests(&log), 1);
	cr_assert(strstr(log, "\"method\": \"POST\""), "%s", log);
	cr_assert(strstr(log, "\"path\": \"/hook\""), "%s", log);
	cr_assert(strstr(log, "\"body\": \"{\\\"text\\\":\\\"hi\\\"}\""), "%s", log);
	cr_assert(strstr(log, "\"Authorization\": \"Bearer s3cret-token\""), "%s", log);
	cr_assert(strstr(log, "\"X-Team\": \"ml\""), "%s", log);
	cr_assert(strstr(log, "\"Content-Type\": \"application/json\""), "%s", log);
	free(log);
	free(u);
}

Test(notify, retries_server_errors_with_backoff_until_delivered)
{
	const char *rules[] = {"/hook=fail:2:status:200", NULL};
	struct bt_notify_opts o = {0};
	struct bt_notify_result res;
	char *u;

	start_server(rules);
	u = url("/hook");
	o.url = u;
	o.retries = 3;
	o.backoff = 0.05;
	cr_assert_eq(bt_notify_post(&o, "{}", 2, &res), 0, "%s", bt_error_last());
	cr_assert_eq(res.attempts, 3);
	cr_assert_eq(res.status, 200);
	cr_assert_eq(requests(NULL), 3);
	free(u);
}

Test(notify, gives_up_after_the_retries_and_never_quotes_secrets)
{
	const char *rules[] = {"/T000/B000/s3cretpath=status:503", NULL};
	const char *headers[] = {"Authorization: Bearer s3cret-token"};
	struct bt_notify_opts o = {0};
	struct bt_notify_result res;
	char *u = NULL;

	start_server(rules);
	u = bt_xasprintf("http://user:pw@127.0.0.1:%d/T000/B000/s3cretpath", port);
	o.url = u;
	o.headers = headers;
	o.nheaders = 1;
	o.retries = 2;
	o.backoff = 0.01;
	cr_assert_eq(bt_notify_post(&o, "{}", 2, &res), BT_ENET);
	cr_assert_eq(res.attempts, 3);
	cr_assert_eq(res.status, 503);
	cr_assert_eq(requests(NULL), 3);
	cr_assert(strstr(bt_error_last(), "HTTP status 503 (after 3 attempts)"), "%s",
	          bt_error_last());
	cr_assert(strstr(bt_error_last(), "http://127.0.0.1:"), "%s", bt_error_last());
	cr_assert_null(strstr(bt_error_last(), "s3cret"), "%s", bt_error_last());
	cr_assert_null(strstr(bt_error_last(), "pw"), "%s", bt_error_last());
	free(u);
}

Test(notify, client_errors_are_not_retried)
{
	const char *rules[] = {"/hook=status:404", NULL};
	struct bt_notify_opts o = {0};
	struct bt_notify_result res;
	char *u;

	start_server(rules);
	u = url("/hook");
	o.url = u;
	o.retries = 3;
	o.backoff = 0.01;
	cr_assert_eq(bt_notify_post(&o, "{}", 2, &res), BT_ENET);
	cr_assert_eq(res.attempts, 1);
	cr_assert_eq(requests(NULL), 1);
	free(u);
}

Test(notify, a_server_that_never_answers_costs_bounded_time)
{
	const char *rules[] = {"/hook=hang", NULL};
	struct bt_notify_opts o = {0};
	struct bt_notify_result res;
	char *u;
	double t0;

	start_server(rules);
	u = url("/hook");
	o.url = u;
	o.timeout = 0.5;
	o.retries = 1;
	o.backoff = 0.01;
	t0 = bt_monotonic();
	cr_assert_eq(bt_notify_post(&o, "{}", 2, &res), BT_ENET);
	/* Two attempts of half a second: bounded (generously, for loaded machines). */
	cr_assert_lt(bt_monotonic() - t0, 30);
	cr_assert_eq(res.attempts, 2);
	cr_assert_eq(res.status, 0);
	cr_assert(strstr(bt_error_last(), "Timeout"), "%s", bt_error_last());
	free(u);
}

Test(notify, nothing_listening_is_retried_then_reported)
{
	struct bt_notify_opts o = {0};
	struct bt_notify_result res;

	/* Port 1 on loopback: connections are refused. */
	o.url = "http://127.0.0.1:1/hook";
	o.retries = 1;
	o.backoff = 0.01;
	cr_assert_eq(bt_notify_post(&o, "{}", 2, &res), BT_ENET);
	cr_assert_eq(res.attempts, 2);
	cr_assert(strstr(bt_error_last(), "http://127.0.0.1:1'"), "%s", bt_error_last());
}

Test(notify, refuses_other_schemes_and_malformed_headers)
{
	const char *bad[] = {"Authorization Bearer x"};
	const char *inject[] = {"X-A: b\r\nX-Evil: 1"};
	struct bt_notify_opts o = {0};
	char **hs;
	size_t n;

	o.url = "file:///etc/passwd";
	cr_assert_eq(bt_notify_post(&o, "{}", 2, NULL), BT_EINPUT);
	o.url = "ftp://example.com/x";
	cr_assert_eq(bt_notify_post(&o, "{}", 2, NULL), BT_EINPUT);
	o.url = "http://127.0.0.1:1/";
	o.headers = bad;
	o.nheaders = 1;
	cr_assert_eq(bt_notify_post(&o, "{}", 2, NULL), BT_EINPUT);
	o.headers = inject;
	cr_assert_eq(bt_notify_post(&o, "{}", 2, NULL), BT_EINPUT);
	cr_assert_null(strstr(bt_error_last(), "Evil"), "%s", bt_error_last());

	cr_assert_eq(bt_notify_split_headers("Authorization: Bearer t\r\n\n  X-B: 2\n", &hs, &n),
	             0);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(hs[0], "Authorization: Bearer t");
	cr_assert_str_eq(hs[1], "X-B: 2");
	cr_assert_null(hs[2]);
	free(hs[0]);
	free(hs[1]);
	free(hs);
	cr_assert_eq(bt_notify_split_headers("A: 1\nnot a header\n", &hs, &n), BT_EINPUT);
	cr_assert_null(hs);
}

Test(notify, urls_are_redacted_to_their_host)
{
	char *r = bt_notify_redact_url("https://hooks.example.com/services/T0/B0/XyZ?token=1");
	cr_assert_str_eq(r, "https://hooks.example.com");
	free(r);
	r = bt_notify_redact_url("http://u:p@10.0.0.1:8080");
	cr_assert_str_eq(r, "http://10.0.0.1:8080");
	free(r);
}
