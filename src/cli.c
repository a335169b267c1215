/*
 * cli.c - helpers shared by the front-end commands: the store for this
 * invocation, error and usage printing, tables on stdout, filters with
 * carets, run references.
 */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "runref.h"
#include "util.h"

int bt_cli_store(struct bt_ctx *ctx, struct bt_store **out)
{
	int rc;

	if (ctx->store) {
		*out = ctx->store;
		return 0;
	}
	if (!ctx->db_path) {
		if (ctx->db_arg && *ctx->db_arg) {
			ctx->db_path = bt_xstrdup(ctx->db_arg);
		} else {
			rc = bt_store_default_path(&ctx->db_path, ctx->cwd);
			if (rc)
				return rc;
		}
	}
	rc = bt_store_open(&ctx->store, ctx->db_path,
	                   ctx->cmd && (ctx->cmd->flags & BT_CMD_DB_CREATE) ? BT_STORE_CREATE : 0);
	if (rc)
		return rc;
	if (ctx->verbose)
		fprintf(stderr, "benchtop: using database '%s'\n", ctx->db_path);
	*out = ctx->store;
	return 0;
}

static void prefix(struct bt_ctx *ctx, const char *what, const char *color)
{
	if (ctx->color_stderr)
		fprintf(stderr, "benchtop: %s%s:\033[0m ", color, what);
	else
		fprintf(stderr, "benchtop: %s: ", what);
}

void bt_cli_puts_safe(FILE *f, const char *s, int keep_newlines)
{
	char *clean = bt_sanitize(s ? s : "", keep_newlines ? BT_SANITIZE_KEEP_NEWLINES : 0);

	fputs(clean, f);
	free(clean);
}

int bt_cli_fail(struct bt_ctx *ctx, int status)
{
	const char *msg = bt_error_last();

	if (status == 0)
		return 0;
	prefix(ctx, "error", "\033[1;31m");
	/* Messages quote names from files and databases: keep them inert. */
	bt_cli_puts_safe(stderr, *msg ? msg : "unknown error", 1);
	fputc('\n', stderr);
	return bt_status_exit_code(status);
}

void bt_cli_print_usage(FILE *f, const char *usage)
{
	fputs(usage, f);
	if (usage[0] && usage[strlen(usage) - 1] != '\n')
		fputc('\n', f);
}

int bt_cli_usage_error(struct bt_ctx *ctx, const char *usage, const char *fmt, ...)
{
	va_list ap;

	prefix(ctx, "error", "\033[1;31m");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (usage) {
		/* Only the synopsis lines: the full help is one --help away. */
		const char *end = strstr(usage, "\n\n");
		fprintf(stderr, "%.*s\n", end ? (int)(end - usage) : (int)strlen(usage), usage);
		if (ctx->cmd)
			fprintf(stderr, "Try 'benchtop %s --help' for more.\n", ctx->cmd->name);
	}
	return BT_EXIT_USAGE;
}

void bt_cli_warn(struct bt_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	prefix(ctx, "warning", "\033[1;33m");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void bt_cli_info(struct bt_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int bt_cli_print_table(struct bt_ctx *ctx, const struct bt_table *t, enum bt_format fmt)
{
	struct bt_output_opts o = {0};
	int rc;

	o.width = ctx->stdout_tty ? ctx->width : 0;
	o.color = ctx->color;
	rc = bt_table_write(t, stdout, fmt, &o);
	if (!rc && fflush(stdout) != 0)
		rc = bt_error_set(BT_EIO, "cannot write output");
	return rc;
}

void bt_cli_filter_error(struct bt_ctx *ctx, const char *text, const struct bt_filter_error *err)
{
	char *clean = bt_sanitize(text, 0), *before, *cb;
	size_t off = err->offset > strlen(text) ? strlen(text) : err->offset, col, i;

	prefix(ctx, "error", "\033[1;31m");
	bt_cli_puts_safe(stderr, bt_error_last(), 0);
	fputc('\n', stderr);
	/* The caret goes under the fault's display column in the sanitised text. */
	before = bt_xstrndup(text, off);
	cb = bt_sanitize(before, 0);
	col = bt_display_width(cb);
	fprintf(stderr, "    %s\n    ", clean);
	for (i = 0; i < col; i++)
		fputc(' ', stderr);
	fputc('^', stderr);
	for (i = 1; i < err->length && i < 40; i++)
		fputc('~', stderr);
	fputc('\n', stderr);
	free(before);
	free(cb);
	free(clean);
}

int bt_cli_filter(struct bt_ctx *ctx, int argc, char **argv, struct bt_filter **out)
{
	struct bt_filter_error err;
	char *text = bt_filter_join(argc, argv);
	int rc = bt_filter_parse(out, text, &err);

	if (rc) {
		bt_cli_filter_error(ctx, text, &err);
		free(text);
		return bt_status_exit_code(rc);
	}
	free(text);
	return 0;
}

int bt_cli_resolve(struct bt_ctx *ctx, const char *ref, int64_t *out)
{
	struct bt_store *s;
	int rc = bt_cli_store(ctx, &s);

	if (!rc)
		rc = bt_runref_resolve(s, ref, ctx->cwd, out);
	return rc ? bt_cli_fail(ctx, rc) : 0;
}

/*
 * The long option of `usage` closest to `opt` ("--foo" or "--foo=x"), for
 * a suggestion, or NULL.  The usage text lists every option a command
 * takes, so it is the one list that cannot fall out of step; names are
 * copied into buf.
 */
const char *bt_cli_closest_option(const char *usage, const char *opt, char *buf, size_t bufsize)
{
	char names[64][40], word[40];
	const char *cands[64], *p, *s;
	size_t n = 0, len;

	len = strcspn(opt + 2, "=");
	if (len >= sizeof(word))
		return NULL;
	memcpy(word, opt + 2, len);
	word[len] = '\0';
	for (p = usage; (p = strstr(p, "--")) != NULL && n < 64;) {
		/* an option starts a word: "  --jsonl", "[--run RUN]", "-r, --run" */
		int starts = p == usage || strchr(" [\n,(|", p[-1]) != NULL;
		p += 2;
		len = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-");
		if (starts && len && len < sizeof(names[0])) {
			memcpy(names[n], p, len);
			names[n][len] = '\0';
			cands[n] = names[n];
			n++;
		}
		p += len;
	}
	s = bt_suggest(word, cands, n);
	if (!s)
		return NULL;
	snprintf(buf, bufsize, "--%s", s);
	return buf;
}

int bt_cli_bad_option(struct bt_ctx *ctx, const char *usage, int c, char **argv)
{
	const char *opt = argv[optind - 1];
	char buf[48];

	if (c == ':')
		return bt_cli_usage_error(ctx, usage, "option '%s' needs a value", opt);
	if (optopt && opt[0] == '-' && opt[1] != '-')
		return bt_cli_usage_error(ctx, usage, "unknown option '-%c'", optopt);
	if (opt[0] == '-' && opt[1] == '-' && bt_cli_closest_option(usage, opt, buf, sizeof(buf)))
		return bt_cli_usage_error(ctx, usage, "unknown option '%s' (did you mean '%s'?)",
		                          opt, buf);
	return bt_cli_usage_error(ctx, usage, "unknown option '%s'", opt);
}

int bt_cli_split_kv(const char *arg, char **key, char **value)
{
	const char *eq = strchr(arg, '=');

	*key = *value = NULL;
	if (!eq || eq == arg)
		return bt_error_set(BT_EUSAGE, "expected key=value, got '%s'", arg);
	*key = bt_xstrndup(arg, (size_t)(eq - arg));
	*value = bt_xstrdup(eq + 1);
	return 0;
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

void bt_cli_print_metrics(struct bt_ctx *ctx, json_t *metrics, int heading)
{
	struct bt_table *t;
	const char *task, *name;
	json_t *per, *m;
	int ct, cm, cv, clo, chi, cse, cn;

	if (!json_object_size(metrics))
		return;
	if (heading) {
		if (ctx->color)
			printf("\n\033[1;4m%s\033[0m\n",
			       "Metrics (95% bootstrap confidence intervals)");
		else
			printf("\n%s\n", "Metrics (95% bootstrap confidence intervals)");
	}
	t = bt_table_new();
	ct = bt_table_column(t, "task", NULL, BT_COL_TEXT, 0);
	cm = bt_table_column(t, "metric", NULL, BT_COL_TEXT, 0);
	cv = bt_table_column(t, "value", NULL, BT_COL_REAL, 0);
	clo = bt_table_column(t, "ci_low", "CI LOW", BT_COL_REAL, 2);
	chi = bt_table_column(t, "ci_high", "CI HIGH", BT_COL_REAL, 2);
	cse = bt_table_column(t, "stderr", "SE", BT_COL_REAL, 1);
	cn = bt_table_column(t, "n", NULL, BT_COL_INT, 3);
	json_object_foreach(metrics, task, per)
	{
		json_object_foreach(per, name, m)
		{
			bt_table_row(t);
			bt_table_text(t, ct, task);
			bt_table_text(t, cm, name);
			bt_table_real(t, cv, num(m, "value"));
			bt_table_real(t, clo, num(m, "ci_low"));
			bt_table_real(t, chi, num(m, "ci_high"));
			bt_table_real(t, cse, num(m, "stderr"));
			if (json_is_integer(json_object_get(m, "n")))
				bt_table_int(t, cn, json_integer_value(json_object_get(m, "n")));
		}
	}
	bt_cli_print_table(ctx, t, BT_FMT_TABLE);
	bt_table_free(t);
}
