/*
 * test-fetch.c - the data cache: names, settings, verified downloads from
 * file:// URLs and a real local HTTP server (tests/helpers/httpd.py), the
 * events a caller sees, locks, batches, suites, and the cache listing.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache.h"
#include "error.h"
#include "fetch.h"
#include "helpers.h"
#include "suite.h"
#include "util.h"

static char *dir, *cache;
static pid_t httpd_pid = -1;
static int httpd_port;

static void setup(void)
{
	dir = th_tmpdir();
	cache = bt_path_join(dir, "cache");
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("all_proxy");
	unsetenv("BENCHTOP_CACHE");
	unsetenv("BENCHTOP_FETCH_TIMEOUT");
	unsetenv("BENCHTOP_FETCH_RETRIES");
	unsetenv("BENCHTOP_FETCH_BACKOFF");
	unsetenv("BENCHTOP_FETCH_LOW_SPEED");
	unsetenv("BENCHTOP_CA_BUNDLE");
}

static void teardown(void)
{
	if (httpd_pid > 0) {
		kill(httpd_pid, SIGTERM);
		waitpid(httpd_pid, NULL, 0);
		httpd_pid = -1;
	}
	th_rm_rf(dir);
	free(dir);
	free(cache);
}

TestSuite(fetch, .init = setup, .fini = teardown);
TestSuite(cache, .init = setup, .fini = teardown);

/* Options for tests: the private cache, quick retries. */
static void test_opts(struct bt_fetch_opts *o)
{
	cr_assert_eq(bt_fetch_opts_init(o), 0, "%s", bt_error_last());
	o->cache_dir = cache;
	o->backoff = 0.01;
	o->connect_timeout = 5;
	o->low_speed_time = 5;
}

/* A data file of `n` bytes under dir/www; returns its path (caller frees). */
static char *make_file(const char *name, size_t n, char sha[65])
{
	char *www = bt_path_join(dir, "www"), *path = bt_path_join(www, name);
	char *data = bt_xmalloc(n + 1);
	FILE *f;
	size_t i;

	bt_mkdir_p(www, 0755);
	for (i = 0; i < n; i++)
		data[i] = (char)('a' + (i * 7 + i / 13) % 26);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, n, f), n);
	fclose(f);
	bt_sha256_hex(sha, data, n);
	free(data);
	free(www);
	return path;
}

/* Start httpd.py serving dir/www with the given rules (NULL-terminated). */
static void start_httpd(const char *const *rules)
{
	const char *script = getenv("HTTPD");
	char *www = bt_path_join(dir, "www"), *log = bt_path_join(dir, "httpd.log");
	char *portf = bt_path_join(dir, "httpd.port"), *port = NULL;
	const char *argv[32];
	int n = 0, i;

	if (!script || !*script)
		cr_skip_test("HTTPD is not set (run through make check)");
	bt_mkdir_p(www, 0755);
	argv[n++] = "python3";
	argv[n++] = script;
	argv[n++] = "--root";
	argv[n++] = www;
	argv[n++] = "--log";
	argv[n++] = log;
	argv[n++] = "--port-file";
	argv[n++] = portf;
	for (i = 0; rules && rules[i] && n < 30; i++) {
		argv[n++] = "--rule";
		argv[n++] = rules[i];
	}
	argv[n] = NULL;
	httpd_pid = fork();
	cr_assert_geq(httpd_pid, 0);
	if (httpd_pid == 0) {
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	for (i = 0; i < 200 && !(port = th_read(portf, NULL)); i++)
		usleep(20000);
	cr_assert_not_null(port, "httpd did not start");
	httpd_port = atoi(port);
	free(port);
	free(www);
	free(log);
	free(portf);
}

/* Every event, as one line each ("start 1 0", "retry 1", ...). */
struct trace {
	struct bt_buf b;
	int stop_on; /* stop when this kind arrives (-1: never) */
	int waiting_then_finish;
	const char *lock_path;
	int lock_fd;
	const char *src, *final;
};

static int record(const struct bt_fetch_event *ev, void *payload)
{
	static const char *const names[] = {"cached", "waiting", "start", "progress",
	                                    "retry",  "done",    "failed"};
	struct trace *t = payload;

	if (ev->kind == BT_FETCH_EV_PROGRESS)
		return 0;
	bt_buf_printf(&t->b, "%s %zu %d %lld\n", names[ev->kind], ev->index, ev->attempt,
	              (long long)ev->resumed_from);
	if (ev->kind == BT_FETCH_EV_WAITING && t->waiting_then_finish) {
		/* Play the other process: finish the file, then let go of the lock. */
		cr_assert_eq(th_sh("cp '%s' '%s'", t->src, t->final), 0);
		bt_cache_unlock(t->lock_path, t->lock_fd);
	}
	return (int)ev->kind == t->stop_on;
}

static void trace_init(struct trace *t)
{
	memset(t, 0, sizeof(*t));
	t->stop_on = -1;
}

Test(fetch, names_a_file_by_its_hash_and_the_urls_extensions)
{
	const char *sha = "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789";
	const char *lower = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
	static const struct {
		const char *url, *suffix;
	} cases[] = {
	        {"https://example.org/d/iris.csv.gz?download=1#x", ".csv.gz"},
	        {"file:///data/Train.JSONL", ".jsonl"},
	        {"http://h/archive.tar.gz", ".tar.gz"},
	        {"http://h/a.b.c.csv", ".csv"},
	        {"http://h/noext", ""},
	        {"http://h/.hidden", ""},
	        {"http://h/x.c$v", ""},
	        {"http://h/", ""},
	        {"http://h/set.gz", ".gz"},
	};
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(cases); i++) {
		char *name = NULL, *want = bt_xasprintf("%s%s", lower, cases[i].suffix);
		cr_assert_eq(bt_fetch_cache_name(&name, cases[i].url, sha), 0);
		cr_assert_str_eq(name, want, "%s", cases[i].url);
		cr_assert(bt_cache_name_parse(name, NULL), "%s does not parse back", name);
		free(name);
		free(want);
	}
	cr_assert_eq(bt_fetch_cache_name(&(char *){NULL}, "http://h/x", "abc"), BT_EINPUT);
	cr_assert_eq(bt_fetch_cache_name(&(char *){NULL}, "http://h/x", lower + 1), BT_EINPUT);
	cr_assert_not(bt_cache_name_parse("notahash.csv", NULL));
	cr_assert_not(bt_cache_name_parse(
	        "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789.", NULL));
}

Test(fetch, accepts_only_http_https_and_file_urls)
{
	cr_assert_eq(bt_fetch_check_url("http://127.0.0.1/x"), 0);
	cr_assert_eq(bt_fetch_check_url("HTTPS://example.org/x"), 0);
	cr_assert_eq(bt_fetch_check_url("file:///tmp/x"), 0);
	cr_assert_eq(bt_fetch_check_url("ftp://example.org/x"), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "only http, https and file"));
	cr_assert_eq(bt_fetch_check_url("example.org/x"), BT_EINPUT);
	cr_assert_eq(bt_fetch_check_url("gopher://x/"), BT_EINPUT);
	cr_assert_eq(bt_fetch_check_url(""), BT_EINPUT);
}

Test(fetch, reads_its_settings_from_the_environment)
{
	struct bt_fetch_opts o;
	char *d = NULL;

	cr_assert_eq(bt_fetch_opts_init(&o), 0);
	cr_assert_eq(o.retries, 5);
	cr_assert_eq(o.max_redirects, 10);
	cr_assert_null(o.cache_dir);
	setenv("BENCHTOP_FETCH_TIMEOUT", "2.5", 1);
	setenv("BENCHTOP_FETCH_RETRIES", "0", 1);
	setenv("BENCHTOP_CACHE", "/somewhere/else", 1);
	cr_assert_eq(bt_fetch_opts_init(&o), 0);
	cr_assert_float_eq(o.connect_timeout, 2.5, 1e-9);
	cr_assert_eq(o.low_speed_time, 3);
	cr_assert_eq(o.retries, 0);
	cr_assert_str_eq(o.cache_dir, "/somewhere/else");
	setenv("BENCHTOP_FETCH_RETRIES", "lots", 1);
	cr_assert_eq(bt_fetch_opts_init(&o), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "BENCHTOP_FETCH_RETRIES"));

	setenv("XDG_CACHE_HOME", "/xdg", 1);
	cr_assert_eq(bt_fetch_default_dir(&d), 0);
	cr_assert_str_eq(d, "/xdg/benchtop/data");
	free(d);
	/* A relative XDG_CACHE_HOME is ignored, as the specification says. */
	setenv("XDG_CACHE_HOME", "rel", 1);
	setenv("HOME", "/home/u", 1);
	cr_assert_eq(bt_fetch_default_dir(&d), 0);
	cr_assert_str_eq(d, "/home/u/.cache/benchtop/data");
	free(d);
}

Test(fetch, verifies_a_file_url_and_then_uses_the_cache)
{
	struct bt_fetch_opts o;
	struct trace t;
	char sha[65], *src = make_file("d.csv", 100000, sha), *url, *path = NULL, *want;

	test_opts(&o);
	trace_init(&t);
	o.progress = record;
	o.payload = &t;
	url = bt_xasprintf("file://%s", src);
	cr_assert_eq(bt_fetch_ensure(&o, url, sha, &path), 0, "%s", bt_error_last());
	want = bt_xasprintf("%s/%s.csv", cache, sha);
	cr_assert_str_eq(path, want);
	cr_assert_eq(th_sh("cmp -s '%s' '%s'", src, path), 0);
	cr_assert_str_eq(bt_buf_cstr(&t.b), "start 0 1 0\ndone 0 1 0\n");
	free(path);

	bt_buf_reset(&t.b);
	cr_assert_eq(bt_fetch_ensure(&o, url, sha, &path), 0);
	cr_assert_str_eq(bt_buf_cstr(&t.b), "cached 0 0 0\n");
	free(path);
	bt_buf_free(&t.b);
	free(want);
	free(url);
	free(src);
}

Test(fetch, refuses_a_mismatch_and_leaves_nothing_in_the_cache)
{
	struct bt_fetch_opts o;
	char sha[65], other[65], *src = make_file("d.csv", 5000, sha), *url, *path = NULL;
	char *listing;

	test_opts(&o);
	memset(other, 'e', 64);
	other[64] = '\0';
	url = bt_xasprintf("file://%s", src);
	cr_assert_eq(bt_fetch_ensure(&o, url, other, &path), BT_EINPUT);
	cr_assert_null(path);
	cr_assert(strstr(bt_error_last(), other), "%s", bt_error_last());
	cr_assert(strstr(bt_error_last(), sha), "%s", bt_error_last());
	cr_assert_eq(th_sh("test -z \"$(find '%s' -type f)\"", cache), 0);
	listing = bt_xasprintf("%s/%s.csv", cache, other);
	cr_assert_neq(access(listing, F_OK), 0);
	free(listing);
	free(url);
	free(src);
}

Test(fetch, uses_a_cached_file_without_the_network)
{
	struct bt_fetch_opts o;
	struct trace t;
	char sha[65], *src = make_file("d.csv", 300, sha), *path = NULL;

	test_opts(&o);
	trace_init(&t);
	o.progress = record;
	o.payload = &t;
	bt_mkdir_p(cache, 0755);
	cr_assert_eq(th_sh("cp '%s' '%s/%s.csv'", src, cache, sha), 0);
	/* Nothing listens on port 1: any attempt would fail. */
	cr_assert_eq(bt_fetch_ensure(&o, "http://127.0.0.1:1/d.csv", sha, &path), 0, "%s",
	             bt_error_last());
	cr_assert_str_eq(bt_buf_cstr(&t.b), "cached 0 0 0\n");
	free(path);
	/* The same data under another extension is linked, not fetched. */
	bt_buf_reset(&t.b);
	cr_assert_eq(bt_fetch_ensure(&o, "http://127.0.0.1:1/d.txt", sha, &path), 0, "%s",
	             bt_error_last());
	cr_assert(strstr(path, ".txt"));
	cr_assert_eq(th_sh("cmp -s '%s' '%s'", src, path), 0);
	cr_assert_str_eq(bt_buf_cstr(&t.b), "cached 0 0 0\n");
	free(path);
	bt_buf_free(&t.b);
	free(src);
}

Test(fetch, offline_refuses_a_missing_file_naming_its_url)
{
	struct bt_fetch_opts o;
	char sha[65], *src = make_file("d.csv", 300, sha), *url, *path = NULL;

	test_opts(&o);
	o.offline = 1;
	url = bt_xasprintf("file://%s", src);
	cr_assert_eq(bt_fetch_ensure(&o, url, sha, &path), BT_ENOTFOUND);
	cr_assert(strstr(bt_error_last(), url), "%s", bt_error_last());
	cr_assert(strstr(bt_error_last(), "offline"));
	cr_assert_neq(access(cache, F_OK), 0, "offline mode created the cache");
	free(url);
	free(src);
}

Test(fetch, reports_each_ref_of_a_batch)
{
	struct bt_fetch_opts o;
	struct bt_fetch_ref refs[4];
	char sa[65], sb[65], *a = make_file("a.csv", 1000, sa), *b = make_file("b.csv", 2000, sb);
	char *ua = bt_xasprintf("file://%s", a), *ub = bt_xasprintf("file://%s", b);

	test_opts(&o);
	memset(refs, 0, sizeof(refs));
	refs[0].url = ua;
	refs[0].sha256 = sa;
	refs[1].url = ub;
	refs[1].sha256 = "not-a-hash";
	refs[2].url = ub;
	refs[2].sha256 = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
	refs[3].url = ua;
	refs[3].sha256 = sa;
	cr_assert_eq(bt_fetch_refs(&o, refs, 4), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "not-a-hash"), "%s", bt_error_last());
	cr_assert(strstr(bt_error_last(), "(and 1 more failed)"), "%s", bt_error_last());
	cr_assert_eq(refs[0].status, 0);
	cr_assert_eq(refs[0].downloaded, 1);
	cr_assert_eq(refs[0].size, 1000);
	cr_assert_eq(refs[1].status, BT_EINPUT);
	cr_assert_eq(refs[2].status, BT_EINPUT);
	cr_assert(strstr(refs[2].error, "sha256 mismatch"), "%s", refs[2].error);
	/* The same file twice: one transfer, both refs served. */
	cr_assert_eq(refs[3].status, 0);
	cr_assert_eq(refs[3].downloaded, 0);
	cr_assert_str_eq(refs[3].path, refs[0].path);
	bt_fetch_refs_release(refs, 4);
	free(ua);
	free(ub);
	free(a);
	free(b);
}

Test(fetch, waits_for_a_download_held_by_another_process)
{
	struct bt_fetch_opts o;
	struct trace t;
	char sha[65], *src = make_file("d.csv", 4000, sha), *url, *path = NULL;
	char *tmp = bt_path_join(cache, ".tmp");
	char *lock = bt_xasprintf("%s/%s.csv.lock", tmp, sha);
	char *final = bt_xasprintf("%s/%s.csv", cache, sha);

	test_opts(&o);
	trace_init(&t);
	bt_mkdir_p(tmp, 0755);
	cr_assert_eq(bt_cache_lock(lock, 0, &t.lock_fd), 1);
	t.waiting_then_finish = 1;
	t.lock_path = lock;
	t.src = src;
	t.final = final;
	o.progress = record;
	o.payload = &t;
	url = bt_xasprintf("file://%s", src);
	cr_assert_eq(bt_fetch_ensure(&o, url, sha, &path), 0, "%s", bt_error_last());
	cr_assert_str_eq(bt_buf_cstr(&t.b), "waiting 0 0 0\ncached 0 0 0\n");
	cr_assert_str_eq(path, final);
	free(path);
	bt_buf_free(&t.b);
	free(url);
	free(src);
	free(tmp);
	free(lock);
	free(final);
}

Test(fetch, stops_when_the_callback_says_so)
{
	struct bt_fetch_opts o;
	struct trace t;
	char sha[65], *src = make_file("d.csv", 4000, sha), *url, *path = NULL, *final;

	test_opts(&o);
	trace_init(&t);
	t.stop_on = BT_FETCH_EV_START;
	o.progress = record;
	o.payload = &t;
	url = bt_xasprintf("file://%s", src);
	cr_assert_eq(bt_fetch_ensure(&o, url, sha, &path), BT_EINTR);
	cr_assert(strstr(bt_error_last(), "interrupted"));
	final = bt_xasprintf("%s/%s.csv", cache, sha);
	cr_assert_neq(access(final, F_OK), 0);
	free(final);
	bt_buf_free(&t.b);
	free(url);
	free(src);
}

Test(fetch, hashes_a_url_of_unknown_content)
{
	struct bt_fetch_opts o;
	char sha[65], got[65], *src = make_file("d.jsonl", 7000, sha), *url, *path = NULL;
	char *want;

	test_opts(&o);
	url = bt_xasprintf("file://%s", src);
	cr_assert_eq(bt_fetch_hash_url(&o, url, got, NULL), 0, "%s", bt_error_last());
	cr_assert_str_eq(got, sha);
	cr_assert_eq(th_sh("test -z \"$(find '%s' -type f)\"", cache), 0, "kept without a path");
	cr_assert_eq(bt_fetch_hash_url(&o, url, got, &path), 0, "%s", bt_error_last());
	want = bt_xasprintf("%s/%s.jsonl", cache, sha);
	cr_assert_str_eq(path, want);
	cr_assert_eq(th_sh("cmp -s '%s' '%s'", src, path), 0);
	o.offline = 1;
	cr_assert_eq(bt_fetch_hash_url(&o, url, got, NULL), BT_ENOTFOUND);
	free(want);
	free(path);
	free(url);
	free(src);
}

Test(fetch, points_a_suites_url_data_at_the_cache)
{
	struct bt_fetch_opts o;
	struct bt_suite s;
	struct bt_task_spec task;
	char sha[65], tsha[65], *src = make_file("test.csv", 800, sha);
	char *local = make_file("train.csv", 900, tsha), *want;

	test_opts(&o);
	memset(&s, 0, sizeof(s));
	memset(&task, 0, sizeof(task));
	task.name = "t";
	task.test.url = bt_xasprintf("file://%s", src);
	task.test.sha256 = sha;
	/* A local path that exists wins over its URL, which is not even tried. */
	task.train.path = bt_xstrdup(local);
	task.train.url = "http://127.0.0.1:1/train.csv";
	task.train.sha256 = tsha;
	s.tasks = &task;
	s.ntasks = 1;
	cr_assert_eq(bt_fetch_suite(&o, &s), 0, "%s", bt_error_last());
	want = bt_xasprintf("%s/%s.csv", cache, sha);
	cr_assert_str_eq(task.test.path, want);
	cr_assert_str_eq(task.train.path, local);

	/* Offline, a missing file's error names the task and the URL. */
	free(task.train.path);
	task.train.path = NULL;
	o.offline = 1;
	cr_assert_eq(bt_fetch_suite(&o, &s), BT_ENOTFOUND);
	cr_assert(strstr(bt_error_last(), "task 't': 'http://127.0.0.1:1/train.csv'"), "%s",
	          bt_error_last());
	free(task.test.path);
	free(task.test.url);
	free(want);
	free(local);
	free(src);
}

Test(fetch, resumes_a_dropped_http_transfer_with_range)
{
	static const char *const rules[] = {"/d.csv=drop:40000", NULL};
	struct bt_fetch_opts o;
	struct trace t;
	char sha[65], *src = make_file("d.csv", 100000, sha), *url, *path = NULL, *log;

	start_httpd(rules);
	test_opts(&o);
	trace_init(&t);
	o.progress = record;
	o.payload = &t;
	url = bt_xasprintf("http://127.0.0.1:%d/d.csv", httpd_port);
	cr_assert_eq(bt_fetch_ensure(&o, url, sha, &path), 0, "%s", bt_error_last());
	cr_assert_str_eq(bt_buf_cstr(&t.b),
	                 "start 0 1 0\nretry 0 1 0\nstart 0 2 40000\ndone 0 2 40000\n");
	cr_assert_eq(th_sh("cmp -s '%s' '%s'", src, path), 0);
	log = bt_path_join(dir, "httpd.log");
	cr_assert_eq(th_sh("grep -c '\"Range\": \"bytes=40000-\"' '%s' | grep -qx 1", log), 0);
	free(log);
	free(path);
	bt_buf_free(&t.b);
	free(url);
	free(src);
}

Test(fetch, retries_server_errors_and_gives_up_after_its_retries)
{
	static const char *const rules[] = {"/d.csv=fail:2:file", "/e.csv=status:502", NULL};
	struct bt_fetch_opts o;
	struct trace t;
	char sha[65], *src = make_file("d.csv", 3000, sha), *url, *path = NULL;

	start_httpd(rules);
	test_opts(&o);
	trace_init(&t);
	o.progress = record;
	o.payload = &t;
	url = bt_xasprintf("http://127.0.0.1:%d/d.csv", httpd_port);
	cr_assert_eq(bt_fetch_ensure(&o, url, sha, &path), 0, "%s", bt_error_last());
	cr_assert_str_eq(bt_buf_cstr(&t.b), "start 0 1 0\nretry 0 1 0\nstart 0 2 0\nretry 0 2 0\n"
	                                    "start 0 3 0\ndone 0 3 0\n");
	free(path);
	free(url);
	o.retries = 1;
	/* Files are known by hash: without this, the cached d.csv would answer. */
	th_rm_rf(cache);
	url = bt_xasprintf("http://127.0.0.1:%d/e.csv", httpd_port);
	cr_assert_eq(bt_fetch_ensure(&o, url, sha, &path), BT_ENET);
	cr_assert(strstr(bt_error_last(), "HTTP 502 (after 2 attempts)"), "%s", bt_error_last());
	bt_buf_free(&t.b);
	free(url);
	free(src);
}

Test(fetch, follows_redirects_up_to_the_limit)
{
	static const char *const rules[] = {"/d.csv=redirect:3", NULL};
	struct bt_fetch_opts o;
	char sha[65], *src = make_file("d.csv", 3000, sha), *url, *path = NULL;

	start_httpd(rules);
	test_opts(&o);
	url = bt_xasprintf("http://127.0.0.1:%d/d.csv", httpd_port);
	o.max_redirects = 3;
	cr_assert_eq(bt_fetch_ensure(&o, url, sha, &path), 0, "%s", bt_error_last());
	free(path);
	th_rm_rf(cache);
	o.max_redirects = 2;
	cr_assert_eq(bt_fetch_ensure(&o, url, sha, &path), BT_ENET);
	cr_assert(strstr(bt_error_last(), "redirects"), "%s", bt_error_last());
	free(url);
	free(src);
}

Test(cache, locks_exclude_each_other_and_vanish_when_released)
{
	char *lock = bt_path_join(dir, "x.lock");
	int a, b;

	cr_assert_eq(bt_cache_lock(lock, 0, &a), 1);
	cr_assert_eq(bt_cache_lock(lock, 0, &b), 0);
	bt_cache_unlock(lock, a);
	cr_assert_neq(access(lock, F_OK), 0);
	cr_assert_eq(bt_cache_lock(lock, 0, &b), 1);
	bt_cache_unlock(lock, b);
	free(lock);
}

Test(cache, lists_files_and_partials_and_spares_a_running_download)
{
	char *tmp = bt_path_join(cache, ".tmp"), *lock;
	const char *h = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	struct bt_cache_entry *e = NULL;
	size_t n = 0, removed = 0;
	int fd;

	cr_assert_eq(bt_cache_list(cache, &e, &n), 0, "a missing cache is empty");
	cr_assert_eq(n, 0);
	bt_mkdir_p(tmp, 0755);
	cr_assert_eq(th_sh("printf 12345 >'%s/%s.csv' && printf 12 >'%s/%s.csv.part' && "
	                   "touch '%s/unrelated.txt' '%s/stale.lock'",
	                   cache, h, tmp, h, cache, tmp),
	             0);
	lock = bt_xasprintf("%s/%s.csv.lock", tmp, h);
	cr_assert_eq(bt_cache_lock(lock, 0, &fd), 1);
	cr_assert_eq(bt_cache_list(cache, &e, &n), 0);
	cr_assert_eq(n, 2);
	cr_assert_eq(e[0].kind, BT_CACHE_FILE);
	cr_assert_eq(e[0].size, 5);
	cr_assert_str_eq(e[0].sha256, h);
	cr_assert_eq(e[1].kind, BT_CACHE_PARTIAL);
	cr_assert_eq(e[1].busy, 1);
	cr_assert_eq(bt_cache_remove(cache, &e[1]), BT_EBUSY);
	cr_assert_eq(bt_cache_prune_locks(cache, &removed), 0);
	cr_assert_eq(removed, 1, "only the stale lock goes");
	bt_cache_unlock(lock, fd);
	cr_assert_eq(bt_cache_remove(cache, &e[1]), 0);
	cr_assert_eq(bt_cache_remove(cache, &e[0]), 0);
	bt_cache_entries_free(e, n);
	cr_assert_eq(bt_cache_list(cache, &e, &n), 0);
	cr_assert_eq(n, 0);
	free(lock);
	free(tmp);
}

Test(cache, finds_the_data_a_suite_names)
{
	char *path = bt_path_join(dir, "s.yaml");
	struct bt_cache_suite s;
	const char *a = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

	th_write(path,
	         "# a suite\n"
	         "name: demo\n"
	         "defaults: &d {bootstrap: 10}\n"
	         "tasks:\n"
	         "  - name: one\n"
	         "    options: *d\n"
	         "    test:\n"
	         "      url: https://example.org/a.csv\n"
	         "      sha256: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
	         "    train: {path: local.csv, sha256: "
	         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb}\n"
	         "  - name: two\n"
	         "    test: {url: x, sha256: short}\n");
	cr_assert_eq(bt_cache_scan_suite(&s, path), 0, "%s", bt_error_last());
	cr_assert_str_eq(s.name, "demo");
	cr_assert_eq(s.n, 2);
	cr_assert_str_neq(s.sha256[0], a, "hashes are lower-cased");
	cr_assert_eq(strspn(s.sha256[0], "a"), 64);
	cr_assert_str_eq(s.url[0], "https://example.org/a.csv");
	cr_assert_eq(strspn(s.sha256[1], "b"), 64);
	cr_assert_null(s.url[1]);
	bt_cache_suite_release(&s);

	th_write(path, "name: [unclosed\n");
	cr_assert_eq(bt_cache_scan_suite(&s, path), BT_EINPUT);
	cr_assert(strstr(bt_error_last(), "s.yaml:"), "%s", bt_error_last());
	bt_cache_suite_release(&s);
	free(path);
}

Test(cache, formats_sizes_for_people)
{
	char out[32];

	bt_cache_format_size(out, sizeof(out), 512);
	cr_assert_str_eq(out, "512 B");
	bt_cache_format_size(out, sizeof(out), 1536);
	cr_assert_str_eq(out, "1.5 KiB");
	bt_cache_format_size(out, sizeof(out), (int64_t)12 << 20);
	cr_assert_str_eq(out, "12.0 MiB");
}
