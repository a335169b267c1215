/*
 * cmd-cache.c - `benchtop cache ls|rm|gc`: show the data cache with sizes
 * and the suites that use each file, remove files, and collect what no
 * known suite uses.
 *
 * The known suites are those named with --suite FILE plus every suite
 * recorded in the results store (runs.suite_path, relative paths taken
 * from the run's cwd) that still exists.  Which files a suite uses is read
 * with the cache's suite scan (cache.h), so the cache can be listed and
 * collected even when a suite no longer validates.
 *
 * `cache requests` shows and clears the other cache: the answers HTTP
 * model plugins keep (reqcache.h).
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "cli.h"
#include "error.h"
#include "fetch.h"
#include "format.h"
#include "plugin-host.h"
#include "reqcache.h"
#include "store.h"
#include "util.h"

static const char usage[] =
        "usage: benchtop cache [ls] [--cache-dir DIR] [--suite FILE]... [-f FORMAT] [--no-header]\n"
        "       benchtop cache rm [--cache-dir DIR] HASH|FILE... | --all\n"
        "       benchtop cache gc [--cache-dir DIR] [--suite FILE]... [-n]\n"
        "       benchtop cache requests [ls] [-f FORMAT] [--no-header]\n"
        "       benchtop cache requests rm --all | [--base-url URL] [--model NAME]\n"
        "\n"
        "The data cache holds the files suites name by URL, each named by its sha256\n"
        "(see benchtop-fetch(7)).\n"
        "\n"
        "  ls   list the cached files with their sizes and the suites that use them,\n"
        "       then partial downloads\n"
        "  rm   remove cached files named by a hash prefix or file name, or --all\n"
        "  gc   remove the files no known suite uses, partial downloads no process\n"
        "       is writing, and stale locks\n"
        "  requests  the answers that model plugins such as openai keep from HTTP APIs\n"
        "       (benchtop-openai(7)): list them by server and model, or remove them\n"
        "\n"
        "      --cache-dir DIR   the data cache (default: $BENCHTOP_CACHE, else\n"
        "                        $XDG_CACHE_HOME/benchtop/data or ~/.cache/benchtop/data)\n"
        "      --suite FILE      a suite whose files count as used (repeatable); the\n"
        "                        suites recorded in the results store always count\n"
        "  -f, --format FORMAT   ls: table, json, jsonl, csv, tsv or markdown\n"
        "      --no-header       ls: omit the header row\n"
        "      --all             rm: remove everything in the cache\n"
        "  -n, --dry-run         gc: only say what would be removed\n"
        "      --base-url URL    requests rm: only the answers of this server\n"
        "      --model NAME      requests rm: only the answers of this model\n";

struct known {
	struct bt_cache_suite *suites;
	size_t n;
};

static void known_free(struct known *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		bt_cache_suite_release(&k->suites[i]);
	free(k->suites);
	k->suites = NULL;
	k->n = 0;
}

static int known_has_path(const struct known *k, const char *path)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->suites[i].path, path) == 0)
			return 1;
	return 0;
}

/*
 * Scan one suite into `k`.  A missing recorded suite is skipped (it uses
 * nothing any more); one that cannot be read or parsed is an error for gc
 * (it might use anything) and a warning otherwise.
 */
static int known_add(struct bt_ctx *ctx, struct known *k, const char *path, int recorded,
                     int strict)
{
	struct bt_cache_suite s;
	int rc;

	if (known_has_path(k, path))
		return 0;
	rc = bt_cache_scan_suite(&s, path);
	if (rc == BT_ENOTFOUND && recorded) {
		if (ctx->verbose)
			bt_cli_warn(ctx, "recorded suite '%s' no longer exists", path);
		bt_cache_suite_release(&s);
		return 0;
	}
	if (rc) {
		bt_cache_suite_release(&s);
		if (strict)
			return bt_error_prefix("cannot tell which files a suite uses: ");
		bt_cli_warn(ctx, "%s", bt_error_last());
		return 0;
	}
	k->suites = bt_xrealloc(k->suites, (k->n + 1) * sizeof(*k->suites));
	k->suites[k->n++] = s;
	return 0;
}

/* The suites recorded in the results store, when there is one. */
static int known_from_store(struct bt_ctx *ctx, struct known *k, int strict)
{
	struct bt_store *store;
	sqlite3_stmt *st;
	int rc = bt_cli_store(ctx, &store);

	if (rc == BT_ENOTFOUND) {
		bt_error_clear();
		return 0;
	}
	if (rc)
		return rc;
	rc = bt_store_prepare(store, &st,
	                      "SELECT DISTINCT suite_path, cwd FROM runs "
	                      "WHERE suite_path IS NOT NULL AND suite_path <> ''");
	if (rc)
		return rc;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);
		const char *cwd = (const char *)sqlite3_column_text(st, 1);
		char *full = p[0] == '/' || !cwd ? bt_xstrdup(p) : bt_path_join(cwd, p);
		rc = known_add(ctx, k, full, 1, strict);
		free(full);
	}
	sqlite3_finalize(st);
	return rc;
}

static int known_load(struct bt_ctx *ctx, struct known *k, char **suites, size_t nsuites,
                      int strict)
{
	size_t i;
	int rc;

	for (i = 0; i < nsuites; i++) {
		rc = known_add(ctx, k, suites[i], 0, 1);
		if (rc)
			return rc;
	}
	return known_from_store(ctx, k, strict);
}

/* The names of the known suites naming `sha`, comma-separated ("" for none); caller frees. */
static json_t *suites_using(const struct known *k, const char *sha)
{
	json_t *names = json_array();
	size_t i, j, m;

	for (i = 0; i < k->n; i++) {
		for (j = 0; j < k->suites[i].n; j++) {
			if (strcmp(k->suites[i].sha256[j], sha) != 0)
				continue;
			for (m = 0; m < json_array_size(names); m++)
				if (strcmp(json_string_value(json_array_get(names, m)),
				           k->suites[i].name) == 0)
					break;
			if (m == json_array_size(names))
				json_array_append_new(names, json_string(k->suites[i].name));
			break;
		}
	}
	return names;
}

static int known_uses(const struct known *k, const char *sha)
{
	size_t i, j;

	for (i = 0; i < k->n; i++)
		for (j = 0; j < k->suites[i].n; j++)
			if (strcmp(k->suites[i].sha256[j], sha) == 0)
				return 1;
	return 0;
}

static const char *entry_state(const struct bt_cache_entry *e)
{
	if (e->kind == BT_CACHE_FILE)
		return "cached";
	return e->busy ? "downloading" : "partial";
}

/* "csv.gz" for "<sha>.csv.gz", "csv.part" for a partial; "-" without a suffix. */
static const char *entry_type(const struct bt_cache_entry *e)
{
	const char *base = strrchr(e->name, '/') ? strrchr(e->name, '/') + 1 : e->name;

	if (strlen(base) > 64 && base[64] == '.' && e->sha256[0])
		return base + 65;
	return e->sha256[0] ? "-" : base;
}

/*
 * Print a listing.  A table with no rows prints "EMPTY 'DIR' is empty" on
 * standard error instead, and a table with rows is followed there by
 * "SUMMARY 'DIR'".
 */
static int write_listing(struct bt_ctx *ctx, struct bt_table *t, enum bt_format fmt, int no_header,
                         const char *empty, const char *summary, const char *dir)
{
	struct bt_output_opts oo = {0};
	int rc = 0;

	if (fmt == BT_FMT_TABLE && bt_table_rows(t) == 0) {
		if (!ctx->quiet) {
			fprintf(stderr, "%s '", empty);
			bt_cli_puts_safe(stderr, dir, 0);
			fputs("' is empty\n", stderr);
		}
		return 0;
	}
	oo.width = ctx->stdout_tty ? ctx->width : 0;
	oo.color = ctx->color;
	oo.no_header = no_header;
	rc = bt_table_write(t, stdout, fmt, &oo);
	if (!rc && fmt == BT_FMT_TABLE && !ctx->quiet) {
		fprintf(stderr, "%s '", summary);
		bt_cli_puts_safe(stderr, dir, 0);
		fputs("'\n", stderr);
	}
	return rc;
}

static int cache_ls(struct bt_ctx *ctx, const char *dir, struct known *k, enum bt_format fmt,
                    int no_header)
{
	struct bt_cache_entry *e = NULL;
	struct bt_table *t;
	size_t n = 0, i;
	int64_t total = 0;
	int machine, c_sha, c_size_h, c_size, c_state, c_mod, c_suites, c_type, c_file, c_path, rc;

	rc = bt_cache_list(dir, &e, &n);
	if (rc)
		return bt_cli_fail(ctx, rc);
	machine =
	        fmt == BT_FMT_JSON || fmt == BT_FMT_JSONL || fmt == BT_FMT_CSV || fmt == BT_FMT_TSV;
	t = bt_table_new();
	c_sha = bt_table_column(t, "sha256", NULL, BT_COL_SHA, 0);
	c_size_h = bt_table_column(t, "size_h", "SIZE", BT_COL_TEXT, 0);
	bt_table_column_human_only(t, c_size_h);
	c_size = bt_table_column(t, "size", NULL, BT_COL_INT, 0);
	bt_table_column_machine_only(t, c_size);
	/* A table has the hash prefix already: the rest of the name is its type. */
	c_type = bt_table_column(t, "type", NULL, BT_COL_TEXT, 1);
	bt_table_column_human_only(t, c_type);
	c_state = bt_table_column(t, "state", NULL, BT_COL_TEXT, 3);
	c_mod = bt_table_column(t, "modified", NULL, BT_COL_AGE, 2);
	c_suites = bt_table_column(t, "suites", NULL, machine ? BT_COL_JSON : BT_COL_TEXT, 4);
	c_file = bt_table_column(t, "file", NULL, BT_COL_TEXT, 1);
	bt_table_column_machine_only(t, c_file);
	c_path = bt_table_column(t, "path", NULL, BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, c_path);
	for (i = 0; i < n; i++) {
		char size[32];
		json_t *names = e[i].sha256[0] ? suites_using(k, e[i].sha256) : json_array();
		bt_table_row(t);
		bt_table_text(t, c_sha, e[i].sha256[0] ? e[i].sha256 : NULL);
		bt_cache_format_size(size, sizeof(size), e[i].size);
		bt_table_text(t, c_size_h, size);
		bt_table_int(t, c_size, e[i].size);
		bt_table_text(t, c_state, entry_state(&e[i]));
		bt_table_real(t, c_mod, e[i].mtime);
		if (machine) {
			bt_table_json(t, c_suites, names);
		} else {
			struct bt_buf b = BT_BUF_INIT;
			size_t j;
			for (j = 0; j < json_array_size(names); j++) {
				if (j)
					bt_buf_puts(&b, ", ");
				bt_buf_puts(&b, json_string_value(json_array_get(names, j)));
			}
			bt_table_text(t, c_suites, b.len ? b.ptr : "-");
			bt_buf_free(&b);
			json_decref(names);
		}
		bt_table_text(t, c_type, entry_type(&e[i]));
		bt_table_text(t, c_file, e[i].name);
		bt_table_text(t, c_path, e[i].path);
		total += e[i].size;
	}
	{
		char size[32], summary[128];
		bt_cache_format_size(size, sizeof(size), total);
		snprintf(summary, sizeof(summary), "%zu file%s, %s in", n, n == 1 ? "" : "s", size);
		rc = write_listing(ctx, t, fmt, no_header, "the data cache", summary, dir);
	}
	bt_table_free(t);
	bt_cache_entries_free(e, n);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}

static int is_hex_prefix(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return i >= 4 && i <= 64;
}

static void say_removed(struct bt_ctx *ctx, const struct bt_cache_entry *e, const char *verb)
{
	char size[32];

	bt_cache_format_size(size, sizeof(size), e->size);
	printf("%s %s (%s)\n", verb, e->name, size);
	BT_UNUSED(ctx);
}

static int cache_rm(struct bt_ctx *ctx, const char *dir, int argc, char **argv, int all)
{
	struct bt_cache_entry *e = NULL;
	size_t n = 0, i, removed = 0, locks = 0;
	char *mark = NULL;
	int a, rc, code = 0;

	if (!all && argc == 0)
		return bt_cli_usage_error(ctx, usage, "name the files to remove (or --all)");
	if (all && argc > 0)
		return bt_cli_usage_error(ctx, usage, "--all takes no file names");
	rc = bt_cache_list(dir, &e, &n);
	if (rc)
		return bt_cli_fail(ctx, rc);
	mark = bt_xcalloc(n ? n : 1, 1);
	/* Resolve every argument before removing anything. */
	for (a = 0; a < argc; a++) {
		char lower[65], first[65] = "";
		size_t hits = 0;
		int ambiguous = 0, prefix = is_hex_prefix(argv[a]);
		for (i = 0; prefix && argv[a][i]; i++)
			lower[i] = (char)(argv[a][i] >= 'A' && argv[a][i] <= 'F'
			                          ? argv[a][i] - 'A' + 'a'
			                          : argv[a][i]);
		if (prefix)
			lower[i] = '\0';
		for (i = 0; i < n; i++) {
			int match =
			        strcmp(e[i].name, argv[a]) == 0 || strcmp(e[i].path, argv[a]) == 0;
			if (!match && prefix && e[i].sha256[0] &&
			    strncmp(e[i].sha256, lower, strlen(lower)) == 0) {
				/* A prefix names one hash: every file (and partial) of it. */
				if (first[0] && strcmp(first, e[i].sha256) != 0)
					ambiguous = 1;
				memcpy(first, e[i].sha256, 65);
				match = 1;
			}
			if (match) {
				mark[i] = 1;
				hits++;
			}
		}
		if (ambiguous) {
			rc = bt_error_set(BT_EAMBIGUOUS, "'%s' matches more than one cached file",
			                  argv[a]);
			code = bt_cli_fail(ctx, rc);
			goto out;
		}
		if (!hits) {
			rc = bt_error_set(BT_ENOTFOUND, "no cached file matches '%s'", argv[a]);
			code = bt_cli_fail(ctx, rc);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if (!all && !mark[i])
			continue;
		rc = bt_cache_remove(dir, &e[i]);
		if (rc == BT_EBUSY) {
			bt_cli_warn(ctx, "%s", bt_error_last());
			continue;
		}
		if (rc) {
			code = bt_cli_fail(ctx, rc);
			goto out;
		}
		say_removed(ctx, &e[i], "removed");
		removed++;
	}
	if (all && bt_cache_prune_locks(dir, &locks) != 0)
		bt_cli_warn(ctx, "%s", bt_error_last());
	bt_cli_info(ctx, "removed %zu file%s", removed, removed == 1 ? "" : "s");
out:
	free(mark);
	bt_cache_entries_free(e, n);
	return code;
}

static int cache_gc(struct bt_ctx *ctx, const char *dir, struct known *k, int dry_run)
{
	struct bt_cache_entry *e = NULL;
	size_t n = 0, i, removed = 0, kept = 0, locks = 0;
	int64_t freed = 0;
	char size[32];
	int rc, code = 0;

	rc = bt_cache_list(dir, &e, &n);
	if (rc)
		return bt_cli_fail(ctx, rc);
	if (k->n == 0)
		bt_cli_warn(ctx, "no known suites (none given with --suite, none recorded in the "
		                 "results store): keeping every cached file");
	for (i = 0; i < n; i++) {
		int drop;
		if (e[i].kind == BT_CACHE_FILE)
			drop = k->n > 0 && !known_uses(k, e[i].sha256);
		else
			drop = !e[i].busy;
		if (!drop) {
			kept++;
			continue;
		}
		if (!dry_run) {
			rc = bt_cache_remove(dir, &e[i]);
			if (rc == BT_EBUSY) {
				kept++;
				continue;
			}
			if (rc) {
				code = bt_cli_fail(ctx, rc);
				goto out;
			}
		}
		say_removed(ctx, &e[i], dry_run ? "would remove" : "removed");
		removed++;
		freed += e[i].size;
	}
	if (!dry_run && bt_cache_prune_locks(dir, &locks) != 0)
		bt_cli_warn(ctx, "%s", bt_error_last());
	bt_cache_format_size(size, sizeof(size), freed);
	bt_cli_info(ctx, "%s %zu file%s (%s), kept %zu", dry_run ? "would remove" : "removed",
	            removed, removed == 1 ? "" : "s", size, kept);
out:
	bt_cache_entries_free(e, n);
	return code;
}

/* --- the request cache of HTTP model plugins (reqcache.h) --------------------------- */

static int requests_ls(struct bt_ctx *ctx, const char *root, enum bt_format fmt, int no_header)
{
	struct bt_reqcache_group *g = NULL;
	struct bt_table *t;
	size_t n = 0, i;
	int64_t total = 0, answers = 0;
	int c_plugin, c_url, c_model, c_n, c_size_h, c_size, c_old, c_new, c_path, rc;

	rc = bt_reqcache_list(root, &g, &n);
	if (rc)
		return bt_cli_fail(ctx, rc);
	t = bt_table_new();
	c_plugin = bt_table_column(t, "plugin", NULL, BT_COL_TEXT, 1);
	c_url = bt_table_column(t, "base_url", NULL, BT_COL_TEXT, 0);
	c_model = bt_table_column(t, "model", NULL, BT_COL_TEXT, 0);
	c_n = bt_table_column(t, "responses", NULL, BT_COL_INT, 0);
	c_size_h = bt_table_column(t, "size_h", "SIZE", BT_COL_TEXT, 2);
	bt_table_column_human_only(t, c_size_h);
	c_size = bt_table_column(t, "bytes", NULL, BT_COL_INT, 0);
	bt_table_column_machine_only(t, c_size);
	c_old = bt_table_column(t, "oldest", NULL, BT_COL_AGE, 3);
	bt_table_column_machine_only(t, c_old);
	c_new = bt_table_column(t, "newest", NULL, BT_COL_AGE, 3);
	c_path = bt_table_column(t, "path", NULL, BT_COL_TEXT, 0);
	bt_table_column_machine_only(t, c_path);
	for (i = 0; i < n; i++) {
		char size[32];
		bt_table_row(t);
		bt_table_text(t, c_plugin, g[i].plugin);
		bt_table_text(t, c_url, g[i].base_url);
		bt_table_text(t, c_model, g[i].model);
		bt_table_int(t, c_n, g[i].responses);
		bt_cache_format_size(size, sizeof(size), g[i].bytes);
		bt_table_text(t, c_size_h, size);
		bt_table_int(t, c_size, g[i].bytes);
		bt_table_real(t, c_old, g[i].oldest);
		bt_table_real(t, c_new, g[i].newest);
		bt_table_text(t, c_path, g[i].path);
		total += g[i].bytes;
		answers += g[i].responses;
	}
	{
		char size[32], summary[128];
		bt_cache_format_size(size, sizeof(size), total);
		snprintf(summary, sizeof(summary), "%lld cached answer%s, %s under",
		         (long long)answers, answers == 1 ? "" : "s", size);
		rc = write_listing(ctx, t, fmt, no_header, "the request cache under", summary,
		                   root);
	}
	bt_table_free(t);
	bt_reqcache_groups_free(g, n);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}

/* `cache requests [ls|rm] ...`: argv[0] is "requests". */
static int cache_requests(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {
	        {"format", required_argument, NULL, 'f'},
	        {"no-header", no_argument, NULL, 'H'},
	        {"all", no_argument, NULL, 'a'},
	        {"base-url", required_argument, NULL, 'u'},
	        {"model", required_argument, NULL, 'm'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	enum bt_format fmt = BT_FMT_TABLE;
	const char *sub = "ls", *base_url = NULL, *model = NULL;
	char *root = NULL;
	int c, rc, code = 0, no_header = 0, all = 0, fmt_given = 0;
	int64_t removed = 0;

	if (argc > 1 && argv[1][0] != '-') {
		sub = argv[1];
		argc--;
		argv++;
	}
	if (strcmp(sub, "ls") != 0 && strcmp(sub, "rm") != 0)
		return bt_cli_usage_error(ctx, usage,
		                          "'%s' is not a 'cache requests' subcommand "
		                          "(ls or rm)",
		                          sub);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (bt_format_parse(optarg, &fmt))
				return bt_cli_usage_error(ctx, usage, "%s", bt_error_last());
			fmt_given = 1;
			break;
		case 'H':
			no_header = 1;
			break;
		case 'a':
			all = 1;
			break;
		case 'u':
			base_url = optarg;
			break;
		case 'm':
			model = optarg;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			return 0;
		default:
			return bt_cli_bad_option(ctx, usage, c, argv);
		}
	}
	if (optind < argc)
		return bt_cli_usage_error(ctx, usage, "unexpected argument '%s'", argv[optind]);
	if ((fmt_given || no_header) && strcmp(sub, "ls") != 0)
		return bt_cli_usage_error(ctx, usage,
		                          "--format and --no-header are for 'cache "
		                          "requests ls'");
	if ((all || base_url || model) && strcmp(sub, "rm") != 0)
		return bt_cli_usage_error(ctx, usage,
		                          "--all, --base-url and --model are for 'cache "
		                          "requests rm'");
	if (strcmp(sub, "rm") == 0 && all == (base_url || model))
		return bt_cli_usage_error(ctx, usage,
		                          all ? "--all removes everything: drop "
		                                "--base-url and --model"
		                              : "say what to remove: --all, or "
		                                "--base-url and/or --model");
	root = bt_plugin_cache_root();
	if (!root)
		return bt_cli_fail(ctx, bt_error_code());
	if (strcmp(sub, "ls") == 0) {
		code = requests_ls(ctx, root, fmt, no_header);
	} else {
		rc = bt_reqcache_clear(root, base_url, model, &removed);
		if (rc)
			code = bt_cli_fail(ctx, rc);
		else
			printf("removed %lld cached answer%s\n", (long long)removed,
			       removed == 1 ? "" : "s");
	}
	free(root);
	return code;
}

int cmd_cache(int argc, char **argv, struct bt_ctx *ctx)
{
	static const struct option opts[] = {
	        {"cache-dir", required_argument, NULL, 'c'},
	        {"suite", required_argument, NULL, 'S'},
	        {"format", required_argument, NULL, 'f'},
	        {"no-header", no_argument, NULL, 'H'},
	        {"all", no_argument, NULL, 'a'},
	        {"dry-run", no_argument, NULL, 'n'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct bt_fetch_opts o;
	struct known k = {NULL, 0};
	enum bt_format fmt = BT_FMT_TABLE;
	const char *sub = "ls";
	char **suites = NULL, *dir = NULL;
	size_t nsuites = 0;
	int c, rc, code = 0, no_header = 0, all = 0, dry_run = 0, fmt_given = 0;

	/* The subcommand comes first; none means ls. */
	if (argc > 1 && argv[1][0] != '-') {
		sub = argv[1];
		argc--;
		argv++;
	}
	if (strcmp(sub, "requests") == 0)
		return cache_requests(argc, argv, ctx);
	if (strcmp(sub, "ls") && strcmp(sub, "rm") && strcmp(sub, "gc")) {
		static const char *const names[] = {"ls", "rm", "gc", "requests"};
		const char *s = bt_suggest(sub, names, 4);
		if (s)
			return bt_cli_usage_error(ctx, usage,
			                          "'%s' is not a cache subcommand (did you mean "
			                          "'%s'?)",
			                          sub, s);
		return bt_cli_usage_error(ctx, usage, "'%s' is not a cache subcommand", sub);
	}
	rc = bt_fetch_opts_init(&o);
	if (rc)
		return bt_cli_fail(ctx, rc);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.cache_dir = optarg;
			break;
		case 'S':
			suites = bt_xrealloc(suites, (nsuites + 1) * sizeof(*suites));
			suites[nsuites++] = optarg;
			break;
		case 'f':
			if (bt_format_parse(optarg, &fmt)) {
				free(suites);
				return bt_cli_usage_error(ctx, usage, "%s", bt_error_last());
			}
			fmt_given = 1;
			break;
		case 'H':
			no_header = 1;
			break;
		case 'a':
			all = 1;
			break;
		case 'n':
			dry_run = 1;
			break;
		case 'h':
			bt_cli_print_usage(stdout, usage);
			free(suites);
			return 0;
		default:
			free(suites);
			return bt_cli_bad_option(ctx, usage, c, argv);
		}
	}
	/* Each option belongs to one subcommand: say so rather than ignore it. */
	if ((fmt_given || no_header) && strcmp(sub, "ls") != 0)
		code = bt_cli_usage_error(ctx, usage,
		                          "--format and --no-header are for 'cache ls'");
	else if (all && strcmp(sub, "rm") != 0)
		code = bt_cli_usage_error(ctx, usage, "--all is for 'cache rm'");
	else if (dry_run && strcmp(sub, "gc") != 0)
		code = bt_cli_usage_error(ctx, usage, "--dry-run is for 'cache gc'");
	else if (nsuites && strcmp(sub, "rm") == 0)
		code = bt_cli_usage_error(ctx, usage, "--suite is for 'cache ls' and 'cache gc'");
	else if (optind < argc && strcmp(sub, "rm") != 0)
		code = bt_cli_usage_error(ctx, usage, "unexpected argument '%s'", argv[optind]);
	if (code) {
		free(suites);
		return code;
	}
	rc = bt_fetch_cache_dir(&o, &dir);
	if (rc) {
		free(suites);
		return bt_cli_fail(ctx, rc);
	}
	if (strcmp(sub, "rm") == 0) {
		code = cache_rm(ctx, dir, argc - optind, argv + optind, all);
	} else {
		rc = known_load(ctx, &k, suites, nsuites, strcmp(sub, "gc") == 0);
		if (rc)
			code = bt_cli_fail(ctx, rc);
		else if (strcmp(sub, "ls") == 0)
			code = cache_ls(ctx, dir, &k, fmt, no_header);
		else
			code = cache_gc(ctx, dir, &k, dry_run);
	}
	known_free(&k);
	free(suites);
	free(dir);
	return code;
}
