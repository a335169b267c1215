/*
 * cmd-suite-fetch.c - `benchtop suite fetch` (download a suite's data into
 * the cache, verified) and `benchtop suite hash` (the sha256 to put in a
 * suite for a file or URL).  The work is fetch.c's; this file parses
 * options, shows progress and prints results.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "cli.h"
#include "error.h"
#include "fetch.h"
#include "suite.h"
#include "format.h"
#include "util.h"

static const char fetch_usage[] =
        "usage: benchtop suite fetch [--cache-dir DIR] [--offline] [-j N] SUITE...\n"
        "       benchtop suite fetch [OPTIONS] --url URL --sha256 HEX...\n"
        "\n"
        "Download every data file the suites name by URL into the data cache, check\n"
        "each against its sha256, and print where each file is.  Files already in the\n"
        "cache are used without any network access.  See benchtop-fetch(7).\n"
        "\n"
        "      --cache-dir DIR   the data cache (default: $BENCHTOP_CACHE, else\n"
        "                        $XDG_CACHE_HOME/benchtop/data or ~/.cache/benchtop/data)\n"
        "      --offline         never download: a file not in the cache is an error\n"
        "  -j, --jobs N          download up to N files at once (default 4)\n"
        "      --url URL --sha256 HEX\n"
        "                        fetch this file as well (repeatable, in pairs)\n"
        "\n"
        "TLS certificates are always verified; there is no option to turn that off.\n";

static const char hash_usage[] =
        "usage: benchtop suite hash [--cache-dir DIR] [--no-cache] FILE|URL...\n"
        "\n"
        "Print the sha256 of a local file or of the data at a URL: the value to put\n"
        "in a suite beside the file's path or url.  With several arguments each line\n"
        "is 'SHA256  ARGUMENT'.  A URL is downloaded (verified TLS, redirects,\n"
        "retries) and kept in the data cache, so a later 'suite fetch' needs no\n"
        "second download.\n"
        "\n"
        "      --cache-dir DIR   the data cache (default: as for 'suite fetch')\n"
        "      --no-cache        do not keep downloaded files in the cache\n";

/*
 * Progress on stderr: a bar on a terminal (unless -q), a line for each
 * file fetched, resumed, waited for or retried, and an error line for each
 * file that failed.  Shared with other commands through cli.h.
 */
struct bt_cli_fetch_progress {
	struct bt_ctx *ctx;
	int bar;
	int print_paths;
	size_t n; /* files seen: the highest event index + 1 */
	size_t cap, finished, downloaded, cached, failed;
	int64_t *done, *total, bytes;
	int first_failure; /* the status of the first failure, for the exit code */
	double last_draw;
	int drawn;
};

struct bt_cli_fetch_progress *bt_cli_fetch_progress_new(struct bt_ctx *ctx, int print_paths)
{
	struct bt_cli_fetch_progress *p = bt_xcalloc(1, sizeof(*p));

	p->ctx = ctx;
	p->bar = ctx->stderr_tty && !ctx->quiet;
	p->print_paths = print_paths;
	return p;
}

static void see_index(struct bt_cli_fetch_progress *p, size_t i)
{
	size_t old = p->cap, k;

	if (i < p->n)
		return;
	if (i >= p->cap) {
		bt_grow(&p->done, &old, i + 1, sizeof(*p->done));
		bt_grow(&p->total, &p->cap, i + 1, sizeof(*p->total));
	}
	for (k = p->n; k <= i; k++) {
		p->done[k] = 0;
		p->total[k] = -1;
	}
	p->n = i + 1;
}

static void bar_clear(struct bt_cli_fetch_progress *p)
{
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		p->drawn = 0;
	}
}

static void bar_draw(struct bt_cli_fetch_progress *p, int force)
{
	char have[32], want[32];
	int64_t done = 0, total = 0;
	int known = 1, width = 24, fill = 0, i;
	double now = bt_monotonic();
	size_t k;

	if (!p->bar || (!force && now - p->last_draw < 0.1))
		return;
	p->last_draw = now;
	for (k = 0; k < p->n; k++) {
		done += p->done[k];
		if (p->total[k] < 0)
			known = 0;
		total += p->total[k] > 0 ? p->total[k] : 0;
	}
	known = known && total > 0;
	bt_cache_format_size(have, sizeof(have), done);
	if (known) {
		bt_cache_format_size(want, sizeof(want), total);
		fill = (int)((double)done / (double)total * width);
		if (fill > width)
			fill = width;
	}
	fprintf(stderr, "\r\033[Kfetching: %zu done  %s%s%s  [", p->finished, have,
	        known ? " / " : "", known ? want : "");
	for (i = 0; i < width; i++)
		fputc(i < fill ? '#' : (known ? '.' : ' '), stderr);
	fputc(']', stderr);
	fflush(stderr);
	p->drawn = 1;
}

/* Text from a suite (URLs) and from servers (messages) is kept inert on the terminal. */
static void info_safe(struct bt_cli_fetch_progress *p, const char *what, const char *text,
                      const char *tail)
{
	char *clean;

	if (p->ctx->quiet)
		return;
	bar_clear(p);
	clean = bt_sanitize(text ? text : "", 0);
	fprintf(stderr, "%s '%s'%s\n", what, clean, tail ? tail : "");
	free(clean);
}

int bt_cli_fetch_progress(const struct bt_fetch_event *ev, void *payload)
{
	struct bt_cli_fetch_progress *p = payload;
	char size[32], tail[96];
	size_t i = ev->index;

	see_index(p, i);
	switch (ev->kind) {
	case BT_FETCH_EV_CACHED:
		p->finished++;
		p->cached++;
		if (p->ctx->verbose)
			info_safe(p, "in the cache:", ev->url, NULL);
		break;
	case BT_FETCH_EV_WAITING:
		info_safe(p, "waiting for another process downloading", ev->url, NULL);
		break;
	case BT_FETCH_EV_START:
		p->done[i] = ev->done;
		p->total[i] = -1;
		if (ev->resumed_from > 0) {
			bt_cache_format_size(size, sizeof(size), ev->resumed_from);
			snprintf(tail, sizeof(tail), " from %s", size);
			info_safe(p, "resuming", ev->url, tail);
		} else if (p->ctx->verbose) {
			info_safe(p, "downloading", ev->url, NULL);
		}
		break;
	case BT_FETCH_EV_PROGRESS:
		p->done[i] = ev->done;
		p->total[i] = ev->total;
		break;
	case BT_FETCH_EV_RETRY: {
		char *why = bt_sanitize(ev->message ? ev->message : "", 0);
		char *url = bt_sanitize(ev->url ? ev->url : "", 0);
		bar_clear(p);
		bt_cli_warn(p->ctx, "'%s': %s; retrying in %.3g s", url, why, ev->delay);
		free(why);
		free(url);
		break;
	}
	case BT_FETCH_EV_DONE:
		p->finished++;
		p->downloaded++;
		p->done[i] = p->total[i] = ev->done;
		p->bytes += ev->done;
		bt_cache_format_size(size, sizeof(size), ev->done);
		snprintf(tail, sizeof(tail), " (%s)", size);
		info_safe(p, "fetched", ev->url, tail);
		break;
	case BT_FETCH_EV_FAILED:
		p->finished++;
		p->failed++;
		bar_clear(p);
		bt_error_set(BT_ERROR, "%s", ev->message ? ev->message : "download failed");
		bt_cli_fail(p->ctx, BT_ERROR);
		break;
	}
	if ((ev->kind == BT_FETCH_EV_CACHED || ev->kind == BT_FETCH_EV_DONE) && p->print_paths &&
	    ev->path) {
		bar_clear(p);
		printf("%s\n", ev->path);
		fflush(stdout);
	}
	bar_draw(p, ev->kind != BT_FETCH_EV_PROGRESS);
	return 0;
}

size_t bt_cli_fetch_progress_end(struct bt_cli_fetch_progress *p, int summary)
{
	char size[32], failed_text[48] = "";
	size_t failed;

	if (!p)
		return 0;
	bar_clear(p);
	if (summary && !p->ctx->quiet && p->n) {
		bt_cache_format_size(size, sizeof(size), p->bytes);
		if (p->failed)
			snprintf(failed_text, sizeof(failed_text), ", %zu failed", p->failed);
		bt_cli_info(p->ctx, "%zu file%s: %zu downloaded (%s), %zu already in the cache%s",
		            p->finished, p->finished == 1 ? "" : "s", p->downloaded, size,
		            p->cached, failed_text);
	}
	failed = p->failed;
	free(p->done);
	free(p->total);
	free(p);
	return failed;
}

/*
 * The (url, sha256) pairs of a suite file's tasks, from the suite parser, so
 * that a suite that does not validate is reported as such before anything
 * is downloaded.  The refs point into *suite, which the caller frees.
 */
static int suite_refs(const char *path, struct bt_suite **suite, struct bt_fetch_ref **refs,
                      size_t *n)
{
	size_t i;
	int rc = bt_suite_load(suite, path);

	if (rc)
		return rc;
	for (i = 0; i < (*suite)->ntasks; i++) {
		const struct bt_task_spec *t = &(*suite)->tasks[i];
		const struct bt_data_ref *d[2] = {&t->test, &t->train};
		for (int k = 0; k < 2; k++) {
			if (!d[k]->url)
				continue;
			*refs = bt_xrealloc(*refs, (*n + 1) * sizeof(**refs));
			memset(&(*refs)[*n], 0, sizeof(**refs));
			(*refs)[*n].url = d[k]->url;
			(*refs)[*n].sha256 = d[k]->sha256;
			(*n)++;
		}
	}
	return 0;
}

static int parse_jobs(const char *arg, int *out)
{
	int64_t v;

	if (bt_parse_int64(arg, &v) || v < 1 || v > 64)
		return -1;
	*out = (int)v;
	return 0;
}

int cmd_suite_fetch(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {
	        {"cache-dir", required_argument, NULL, 'c'},
	        {"offline", no_argument, NULL, 'o'},
	        {"jobs", required_argument, NULL, 'j'},
	        {"url", required_argument, NULL, 'u'},
	        {"sha256", required_argument, NULL, 's'},
	        {"insecure", no_argument, NULL, 'k'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct bt_fetch_opts o;
	struct bt_fetch_ref *refs = NULL;
	struct bt_suite **scans = NULL;
	struct bt_cli_fetch_progress *p;
	size_t n = 0, nscans = 0, i;
	const char *pending_url = NULL;
	int c, rc, code = 0;

	rc = bt_fetch_opts_init(&o);
	if (rc)
		return bt_cli_fail(ctx, rc);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":j:kh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.cache_dir = optarg;
			break;
		case 'o':
			o.offline = 1;
			break;
		case 'j':
			if (parse_jobs(optarg, &o.jobs)) {
				free(refs);
				return bt_cli_usage_error(
				        ctx, fetch_usage,
				        "--jobs needs a number from 1 to 64, not '%s'", optarg);
			}
			break;
		case 'u':
			if (pending_url) {
				free(refs);
				return bt_cli_usage_error(ctx, fetch_usage,
				                          "--url '%s' needs a --sha256",
				                          pending_url);
			}
			pending_url = optarg;
			break;
		case 's':
			if (!pending_url) {
				free(refs);
				return bt_cli_usage_error(ctx, fetch_usage,
				                          "--sha256 needs a --url before it");
			}
			refs = bt_xrealloc(refs, (n + 1) * sizeof(*refs));
			memset(&refs[n], 0, sizeof(*refs));
			refs[n].url = pending_url;
			refs[n].sha256 = optarg;
			n++;
			pending_url = NULL;
			break;
		case 'k':
			free(refs);
			return bt_cli_usage_error(ctx, fetch_usage,
			                          "TLS verification cannot be turned off");
		case 'h':
			bt_cli_print_usage(stdout, fetch_usage);
			free(refs);
			return 0;
		default:
			free(refs);
			return bt_cli_bad_option(ctx, fetch_usage, c, argv);
		}
	}
	if (pending_url) {
		free(refs);
		return bt_cli_usage_error(ctx, fetch_usage, "--url '%s' needs a --sha256",
		                          pending_url);
	}
	if (optind >= argc && n == 0)
		return bt_cli_usage_error(ctx, fetch_usage, "name a suite (or --url and --sha256)");
	scans = bt_xcalloc((size_t)(argc - optind) + 1, sizeof(*scans));
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		rc = suite_refs(argv[i], &scans[nscans], &refs, &n);
		if (scans[nscans])
			nscans++;
		if (rc) {
			code = bt_cli_fail(ctx, rc);
			goto out;
		}
	}
	if (n == 0) {
		bt_cli_info(ctx, "no data files with a URL to fetch");
		goto out;
	}
	p = bt_cli_fetch_progress_new(ctx, 1);
	o.progress = bt_cli_fetch_progress;
	o.payload = p;
	/* Every failure has been printed by the progress callback as it happened. */
	rc = bt_fetch_refs(&o, refs, n);
	if (bt_cli_fetch_progress_end(p, 1) == 0 && rc)
		code = bt_cli_fail(ctx, rc);
	else if (rc)
		code = bt_status_exit_code(rc);
	bt_fetch_refs_release(refs, n);
out:
	for (i = 0; i < nscans; i++)
		bt_suite_free(scans[i]);
	free(scans);
	free(refs);
	return code;
}

static int looks_like_url(const char *s)
{
	const char *p = s;

	/* scheme "://" per RFC 3986: a letter, then letters, digits, '+', '-', '.' */
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '-' || *p == '.')
		p++;
	return strncmp(p, "://", 3) == 0;
}

int cmd_suite_hash(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {
	        {"cache-dir", required_argument, NULL, 'c'},
	        {"no-cache", no_argument, NULL, 'n'},
	        {"insecure", no_argument, NULL, 'k'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct bt_fetch_opts o;
	int c, rc, code = 0, keep = 1, several;
	char sha[65];

	rc = bt_fetch_opts_init(&o);
	if (rc)
		return bt_cli_fail(ctx, rc);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":kh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.cache_dir = optarg;
			break;
		case 'n':
			keep = 0;
			break;
		case 'k':
			return bt_cli_usage_error(ctx, hash_usage,
			                          "TLS verification cannot be turned off");
		case 'h':
			bt_cli_print_usage(stdout, hash_usage);
			return 0;
		default:
			return bt_cli_bad_option(ctx, hash_usage, c, argv);
		}
	}
	if (optind >= argc)
		return bt_cli_usage_error(ctx, hash_usage, "name a file or a URL");
	several = argc - optind > 1;
	for (; optind < argc; optind++) {
		const char *arg = argv[optind];
		if (looks_like_url(arg)) {
			struct bt_cli_fetch_progress *p = bt_cli_fetch_progress_new(ctx, 0);
			char *path = NULL;
			o.progress = bt_cli_fetch_progress;
			o.payload = p;
			rc = bt_fetch_hash_url(&o, arg, sha, keep ? &path : NULL);
			if (bt_cli_fetch_progress_end(p, 0) && rc) {
				/* Printed as it happened. */
				if (!code)
					code = bt_status_exit_code(rc);
				free(path);
				continue;
			}
			if (!rc && path && ctx->verbose)
				bt_cli_info(ctx, "kept in the cache as '%s'", path);
			free(path);
		} else {
			rc = bt_sha256_file(sha, arg);
		}
		if (rc) {
			int e = bt_cli_fail(ctx, rc);
			if (!code)
				code = e;
			continue;
		}
		if (several) {
			printf("%s  ", sha);
			bt_cli_puts_safe(stdout, arg, 0);
			putchar('\n');
		} else {
			printf("%s\n", sha);
		}
	}
	if (fflush(stdout) != 0 && !code)
		code = bt_cli_fail(ctx, bt_error_set(BT_EIO, "cannot write output"));
	return code;
}
