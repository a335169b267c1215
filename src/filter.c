/*
 * filter.c - the filter language: a hand-written tokenizer and recursive
 * descent parser that resolve every field at parse time (so mistakes get a
 * caret where they are), and a compiler that emits constant SQL text with
 * `?` placeholders and the values beside it in a bt_sqlargs.
 *
 * No byte of the filter text ever reaches the SQL text.
 */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "error.h"
#include "filter.h"
#include "run.h"

enum op { OP_EQ, OP_NE, OP_GLOB, OP_LT, OP_LE, OP_GT, OP_GE };
static const char *const op_text[] = {"=", "!=", "~", "<", "<=", ">", ">="};
static const char *const op_sql[] = {"=", "!=", "GLOB", "<", "<=", ">", ">="};

/* What a field compares as. */
enum ftype {
	F_TEXT,     /* exact, glob */
	F_SHA,      /* prefix of a commit sha */
	F_INT,      /* number */
	F_TIME,     /* point in time */
	F_DURATION, /* seconds */
	F_BOOL,
	F_STATUS, /* run status, including the derived "stale" */
	F_TAG,
	F_PARAM,
	F_SINCE,
	F_UNTIL,
	F_METRIC,
};

struct field {
	const char *name;
	const char *sql; /* column expression over `r` */
	enum ftype type;
};

static const struct field fields[] = {
        {"id", "r.id", F_INT},
        {"uuid", "r.uuid", F_TEXT},
        {"name", "r.name", F_TEXT},
        {"kind", "r.kind", F_TEXT},
        {"status", "r.status", F_STATUS},
        {"reason", "r.status_reason", F_TEXT},
        {"suite", "r.suite", F_TEXT},
        {"suite_version", "r.suite_version", F_TEXT},
        {"suite_hash", "r.suite_hash", F_SHA},
        {"model", "r.model", F_TEXT},
        {"model_version", "r.model_version", F_TEXT},
        {"plugin_sha256", "r.plugin_sha256", F_SHA},
        {"branch", "r.git_branch", F_TEXT},
        {"commit", "r.git_sha", F_SHA},
        {"sha", "r.git_sha", F_SHA},
        {"dirty", "r.git_dirty", F_BOOL},
        {"host", "r.host", F_TEXT},
        {"user", "r.user", F_TEXT},
        {"pid", "r.pid", F_INT},
        {"seed", "r.seed", F_INT},
        {"note", "r.note", F_TEXT},
        {"cwd", "r.cwd", F_TEXT},
        {"started", "r.started_at", F_TIME},
        {"start", "r.started_at", F_TIME},
        {"time", "r.started_at", F_TIME},
        {"ended", "r.ended_at", F_TIME},
        {"end", "r.ended_at", F_TIME},
        {"duration", "(coalesce(r.ended_at, r.heartbeat_at, r.started_at) - r.started_at)",
         F_DURATION},
        {"exit", "r.exit_status", F_INT},
        {"shard", "r.shard_index", F_INT},
        {"tag", NULL, F_TAG},
        {"since", NULL, F_SINCE},
        {"until", NULL, F_UNTIL},
};

enum ntype { N_AND, N_OR, N_NOT, N_CMP, N_WORD };

struct bt_filter {
	enum ntype type;
	struct bt_filter *a, *b;
	/* N_CMP */
	const struct field *field; /* NULL for params and metrics */
	enum ftype ftype;
	char *name; /* field text as written (param key after "param.", metric name) */
	enum op op;
	char *value; /* N_CMP value, N_WORD word */
	double num;  /* parsed number, time or duration */
	int is_range;
	int end_of_day; /* times: a bare date means its last second */
};

/* --- tokens ---------------------------------------------------------------- */

enum tok { T_END, T_LPAREN, T_RPAREN, T_OP, T_WORD, T_STRING, T_AND, T_OR, T_NOT };

struct parser {
	const char *text;
	size_t pos;
	/* current token */
	enum tok tok;
	size_t start, len;
	enum op op;
	char *word; /* unquoted text of T_WORD / T_STRING */
	struct bt_filter_error *err;
	double now;
};

static int fail(struct parser *p, size_t off, size_t len, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, size_t off, size_t len, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err) {
		p->err->offset = off;
		p->err->length = len ? len : 1;
		snprintf(p->err->message, sizeof(p->err->message), "%s", msg);
	}
	return bt_error_set(BT_EINPUT, "bad filter: %s", msg);
}

static int is_op_char(char c)
{
	return c == '=' || c == '!' || c == '~' || c == '<' || c == '>';
}

static int is_word_char(char c)
{
	return c && !isspace((unsigned char)c) && c != '(' && c != ')' && !is_op_char(c) &&
	       c != '"' && c != '\'';
}

static int read_quoted(struct parser *p)
{
	const char *t = p->text;
	char q = t[p->pos];
	struct bt_buf b = BT_BUF_INIT;
	size_t i = p->pos + 1;

	while (t[i] && t[i] != q) {
		if (t[i] == '\\' && (t[i + 1] == q || t[i + 1] == '\\'))
			i++;
		bt_buf_putc(&b, t[i]);
		i++;
	}
	if (!t[i]) {
		bt_buf_free(&b);
		return fail(p, p->pos, 1, "unterminated quoted string");
	}
	p->tok = T_STRING;
	p->len = i + 1 - p->pos;
	p->word = bt_buf_detach(&b);
	p->pos = i + 1;
	return 0;
}

/* Advance to the next token.  `value` reads a comparison's right-hand side. */
static int next(struct parser *p, int value)
{
	const char *t = p->text;
	size_t i;

	free(p->word);
	p->word = NULL;
	while (isspace((unsigned char)t[p->pos]))
		p->pos++;
	p->start = p->pos;
	p->len = 1;
	if (!t[p->pos]) {
		p->tok = T_END;
		p->len = 0;
		return 0;
	}
	if (t[p->pos] == '"' || t[p->pos] == '\'')
		return read_quoted(p);
	if (value) {
		/* A value runs to the next blank or parenthesis; it may hold '=' and friends. */
		if (is_op_char(t[p->pos]) || t[p->pos] == '(' || t[p->pos] == ')') {
			p->tok = T_END;
			return 0;
		}
		for (i = p->pos;
		     t[i] && !isspace((unsigned char)t[i]) && t[i] != '(' && t[i] != ')'; i++)
			;
		p->tok = T_WORD;
		p->len = i - p->pos;
		p->word = bt_xstrndup(t + p->pos, p->len);
		p->pos = i;
		return 0;
	}
	switch (t[p->pos]) {
	case '(':
		p->tok = T_LPAREN;
		p->pos++;
		return 0;
	case ')':
		p->tok = T_RPAREN;
		p->pos++;
		return 0;
	case '=':
	case '~':
		p->tok = T_OP;
		p->op = t[p->pos] == '=' ? OP_EQ : OP_GLOB;
		p->pos++;
		return 0;
	case '!':
		if (t[p->pos + 1] != '=')
			return fail(p, p->pos, 1, "unexpected '!' (use 'not' to negate)");
		p->tok = T_OP;
		p->op = OP_NE;
		p->len = 2;
		p->pos += 2;
		return 0;
	case '<':
	case '>': {
		int eq = t[p->pos + 1] == '=';
		p->tok = T_OP;
		p->op = t[p->pos] == '<' ? (eq ? OP_LE : OP_LT) : (eq ? OP_GE : OP_GT);
		p->len = eq ? 2 : 1;
		p->pos += p->len;
		return 0;
	}
	}
	for (i = p->pos; is_word_char(t[i]); i++)
		;
	p->len = i - p->pos;
	p->word = bt_xstrndup(t + p->pos, p->len);
	p->pos = i;
	if (strcasecmp(p->word, "and") == 0)
		p->tok = T_AND;
	else if (strcasecmp(p->word, "or") == 0)
		p->tok = T_OR;
	else if (strcasecmp(p->word, "not") == 0)
		p->tok = T_NOT;
	else
		p->tok = T_WORD;
	return 0;
}

/* --- values ------------------------------------------------------------------ */

static int parse_date(const char *s, int end_of_day, double *out)
{
	struct tm tm;
	const char *rest;
	int utc = 0, has_time = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	rest = strptime(s, "%Y-%m-%d", &tm);
	if (!rest)
		return BT_EINPUT;
	if (*rest == 'T' || *rest == 't') {
		const char *r2 = strptime(rest + 1, "%H:%M:%S", &tm);
		if (!r2)
			r2 = strptime(rest + 1, "%H:%M", &tm);
		if (!r2)
			return BT_EINPUT;
		rest = r2;
		has_time = 1;
	}
	if (*rest == 'Z' || *rest == 'z') {
		utc = 1;
		rest++;
	}
	if (*rest)
		return BT_EINPUT;
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1)
		return BT_EINPUT;
	*out = (double)t + (!has_time && end_of_day ? 86399.999 : 0);
	return 0;
}

int bt_filter_parse_duration(const char *s, double *out)
{
	char *end;
	double v, mul = 1;

	if (!s || !*s)
		return BT_EINPUT;
	v = strtod(s, &end);
	if (end == s || v < 0 || v != v)
		return BT_EINPUT;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		mul = 1;
	else if (strcmp(end, "ms") == 0)
		mul = 0.001;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mul = 60;
	else if (strcmp(end, "h") == 0)
		mul = 3600;
	else if (strcmp(end, "d") == 0)
		mul = 86400;
	else if (strcmp(end, "w") == 0)
		mul = 7 * 86400;
	else
		return BT_EINPUT;
	*out = v * mul;
	return 0;
}

int bt_filter_parse_time(const char *s, double now, int end_of_day, double *out)
{
	double d;
	time_t tt = (time_t)now;
	struct tm tm;

	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
		localtime_r(&tt, &tm);
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		if (strcmp(s, "yesterday") == 0)
			tm.tm_mday--;
		tm.tm_isdst = -1;
		*out = (double)mktime(&tm) + (end_of_day ? 86399.999 : 0);
		return 0;
	}
	if (parse_date(s, end_of_day, out) == 0)
		return 0;
	/* A relative age needs a unit: a bare number is epoch seconds. */
	if (isdigit((unsigned char)s[0]) && !isdigit((unsigned char)s[strlen(s) - 1]) &&
	    bt_filter_parse_duration(s, &d) == 0) {
		*out = now - d;
		return 0;
	}
	if (bt_parse_double(s, &d) == 0 && d >= 0) {
		*out = d;
		return 0;
	}
	return BT_EINPUT;
}

static int is_date_only(const char *s)
{
	struct tm tm;
	const char *rest = strptime(s, "%Y-%m-%d", &tm);

	return (rest && !*rest) || strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0;
}

static const struct field *find_field(const char *name)
{
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(fields); i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

static const char *suggest_field(const char *name)
{
	const char *names[BT_ARRAY_SIZE(fields) + 1];
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(fields); i++)
		names[i] = fields[i].name;
	names[i] = "param.";
	return bt_suggest(name, names, BT_ARRAY_SIZE(names));
}

static const char *ftype_noun(enum ftype t)
{
	switch (t) {
	case F_TEXT:
	case F_TAG:
		return "text";
	case F_SHA:
		return "a commit or hash";
	case F_BOOL:
		return "true or false";
	case F_STATUS:
		return "a status";
	default:
		return "a number";
	}
}

static int is_hex(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return 0;
	return 1;
}

/*
 * Check a comparison and parse its value.  `foff`/`flen` locate the field,
 * `voff`/`vlen` the value, `ooff`/`olen` the operator, for carets.
 */
static int check_cmp(struct parser *p, struct bt_filter *n, size_t foff, size_t flen, size_t ooff,
                     size_t olen, size_t voff, size_t vlen)
{
	const char *v = n->value;
	int numeric_op = n->op >= OP_LT;
	static const char *const statuses[] = {"running", "finished", "failed", "interrupted",
	                                       "stale"};
	size_t i;

	switch (n->ftype) {
	case F_TEXT:
	case F_TAG:
	case F_SHA:
	case F_BOOL:
	case F_STATUS:
		if (numeric_op)
			return fail(p, ooff, olen, "'%s' cannot compare %s; use =, != or ~",
			            op_text[n->op], ftype_noun(n->ftype));
		break;
	default:
		break;
	}
	switch (n->ftype) {
	case F_SHA:
		if (n->op != OP_GLOB && !is_hex(v))
			return fail(p, voff, vlen, "'%s' is not a hexadecimal sha", v);
		break;
	case F_BOOL:
		if (n->op == OP_GLOB)
			return fail(p, ooff, olen, "'~' cannot compare true or false");
		if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
			n->num = 1;
		else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
			n->num = 0;
		else
			return fail(p, voff, vlen, "'%s' is not true or false", v);
		break;
	case F_STATUS:
		if (n->op == OP_GLOB)
			break;
		for (i = 0; i < BT_ARRAY_SIZE(statuses); i++)
			if (!strcmp(v, statuses[i]))
				break;
		if (i == BT_ARRAY_SIZE(statuses)) {
			const char *s = bt_suggest(v, statuses, BT_ARRAY_SIZE(statuses));
			return fail(p, voff, vlen, "unknown status '%s'%s%s%s", v,
			            s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
		}
		break;
	case F_INT:
	case F_METRIC:
		if (n->op == OP_GLOB)
			return fail(p, ooff, olen, "'~' cannot compare numbers");
		if (bt_parse_double(v, &n->num) != 0 || isnan(n->num)) {
			if (n->ftype == F_METRIC && !strchr(n->name, '/')) {
				const char *s = suggest_field(n->name);
				return fail(p, foff, flen, "unknown field '%s'%s%s%s", n->name,
				            s ? " (did you mean '" : "", s ? s : "",
				            s ? "'?)" : "");
			}
			return fail(p, voff, vlen, "'%s' compares numbers; '%s' is not a number",
			            n->name, v);
		}
		break;
	case F_DURATION:
		if (n->op == OP_GLOB)
			return fail(p, ooff, olen, "'~' cannot compare durations");
		if (bt_filter_parse_duration(v, &n->num) != 0)
			return fail(p, voff, vlen,
			            "bad duration '%s' (expected 90, 90s, 5m, 2h, 1d)", v);
		break;
	case F_TIME:
	case F_SINCE:
	case F_UNTIL: {
		int eod;
		if (n->ftype != F_TIME && n->op != OP_EQ)
			return fail(p, ooff, olen, "'%s' takes '=' and a time, e.g. %s=7d", n->name,
			            n->name);
		if (n->op == OP_GLOB)
			return fail(p, ooff, olen, "'~' cannot compare times");
		/* A bare date covers its whole day, so each operator picks its end. */
		eod = n->ftype == F_UNTIL || n->op == OP_LE || n->op == OP_GT;
		n->end_of_day = eod;
		if (bt_filter_parse_time(v, p->now, eod, &n->num) != 0)
			return fail(
			        p, voff, vlen,
			        "bad time '%s' (expected 2026-11-01, 2026-11-01T14:00, 7d, 12h, "
			        "today)",
			        v);
		if (n->ftype == F_TIME && (n->op == OP_EQ || n->op == OP_NE) && is_date_only(v))
			n->is_range = 1;
		break;
	}
	case F_PARAM:
		if (numeric_op && bt_parse_double(v, &n->num) != 0)
			return fail(p, voff, vlen, "'%s' compares numbers; '%s' is not a number",
			            op_text[n->op], v);
		break;
	case F_TEXT:
	case F_TAG:
		break;
	}
	return 0;
}

/* --- parser ----------------------------------------------------------------- */

static struct bt_filter *node(enum ntype type)
{
	struct bt_filter *n = bt_xcalloc(1, sizeof(*n));

	n->type = type;
	return n;
}

static int parse_or(struct parser *p, struct bt_filter **out);

static int parse_term(struct parser *p, struct bt_filter **out)
{
	struct bt_filter *n;
	size_t foff, flen, ooff, olen;
	char *name;
	int rc, quoted = p->tok == T_STRING;

	*out = NULL;
	foff = p->start;
	flen = p->len;
	name = p->word;
	p->word = NULL;
	rc = next(p, 0);
	if (rc)
		goto fail_name;
	if (p->tok != T_OP || quoted) {
		n = node(N_WORD);
		n->value = name;
		*out = n;
		return 0;
	}
	n = node(N_CMP);
	n->name = name;
	n->op = p->op;
	ooff = p->start;
	olen = p->len;
	if (bt_starts_with(name, "param.") && name[6]) {
		n->ftype = F_PARAM;
		memmove(n->name, name + 6, strlen(name + 6) + 1);
	} else if ((n->field = find_field(name)) != NULL) {
		n->ftype = n->field->type;
	} else {
		n->ftype = F_METRIC;
	}
	rc = next(p, 1);
	if (rc)
		goto fail;
	if (p->tok != T_WORD && p->tok != T_STRING) {
		if (p->text[p->start])
			rc = fail(p, p->start, 1, "expected a value after '%s', found '%c'",
			          op_text[n->op], p->text[p->start]);
		else
			rc = fail(p, p->start, 1, "expected a value after '%s'", op_text[n->op]);
		goto fail;
	}
	n->value = p->word;
	p->word = NULL;
	rc = check_cmp(p, n, foff, flen, ooff, olen, p->start, p->len);
	if (!rc)
		rc = next(p, 0);
	if (rc)
		goto fail;
	*out = n;
	return 0;
fail:
	bt_filter_free(n);
	return rc;
fail_name:
	free(name);
	return rc;
}

static int parse_unary(struct parser *p, struct bt_filter **out)
{
	struct bt_filter *n;
	size_t open;
	int rc;

	*out = NULL;
	switch (p->tok) {
	case T_NOT:
		rc = next(p, 0);
		if (rc)
			return rc;
		if (p->tok == T_END || p->tok == T_RPAREN || p->tok == T_AND || p->tok == T_OR)
			return fail(p, p->start, p->len, "expected a term after 'not'");
		n = node(N_NOT);
		rc = parse_unary(p, &n->a);
		if (rc) {
			bt_filter_free(n);
			return rc;
		}
		*out = n;
		return 0;
	case T_LPAREN:
		open = p->start;
		rc = next(p, 0);
		if (rc)
			return rc;
		if (p->tok == T_RPAREN)
			return fail(p, open, p->start + 1 - open, "empty parentheses");
		rc = parse_or(p, out);
		if (rc)
			return rc;
		if (p->tok != T_RPAREN) {
			bt_filter_free(*out);
			*out = NULL;
			if (p->tok == T_END)
				return fail(p, open, 1, "missing ')' for this '('");
			return fail(p, p->start, p->len, "expected ')'");
		}
		rc = next(p, 0);
		if (rc) {
			/* Every parse function leaves *out NULL when it fails. */
			bt_filter_free(*out);
			*out = NULL;
		}
		return rc;
	case T_WORD:
	case T_STRING:
		return parse_term(p, out);
	case T_OP:
		return fail(p, p->start, p->len, "'%s' needs a field on its left", op_text[p->op]);
	case T_RPAREN:
		return fail(p, p->start, 1, "unexpected ')'");
	case T_AND:
	case T_OR:
		return fail(p, p->start, p->len, "'%s' needs a term on its left", p->word);
	case T_END:
	default:
		return fail(p, p->start, 1, "expected a term");
	}
}

static int parse_and(struct parser *p, struct bt_filter **out)
{
	struct bt_filter *left = NULL, *right, *n;
	int rc = parse_unary(p, &left);

	while (!rc) {
		if (p->tok == T_AND) {
			size_t at = p->start, len = p->len;
			rc = next(p, 0);
			if (rc)
				break;
			if (p->tok == T_END || p->tok == T_RPAREN || p->tok == T_OR) {
				rc = fail(p, at, len, "expected a term after 'and'");
				break;
			}
		} else if (p->tok == T_END || p->tok == T_RPAREN || p->tok == T_OR) {
			break;
		}
		rc = parse_unary(p, &right);
		if (rc)
			break;
		n = node(N_AND);
		n->a = left;
		n->b = right;
		left = n;
	}
	if (rc) {
		bt_filter_free(left);
		left = NULL;
	}
	*out = left;
	return rc;
}

static int parse_or(struct parser *p, struct bt_filter **out)
{
	struct bt_filter *left = NULL, *right, *n;
	int rc = parse_and(p, &left);

	while (!rc && p->tok == T_OR) {
		size_t at = p->start, len = p->len;
		rc = next(p, 0);
		if (rc)
			break;
		if (p->tok == T_END || p->tok == T_RPAREN) {
			rc = fail(p, at, len, "expected a term after 'or'");
			break;
		}
		rc = parse_and(p, &right);
		if (rc)
			break;
		n = node(N_OR);
		n->a = left;
		n->b = right;
		left = n;
	}
	if (rc) {
		bt_filter_free(left);
		left = NULL;
	}
	*out = left;
	return rc;
}

int bt_filter_parse(struct bt_filter **out, const char *text, struct bt_filter_error *err)
{
	struct parser p;
	int rc;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.text = text ? text : "";
	p.err = err;
	p.now = bt_now();
	if (err)
		memset(err, 0, sizeof(*err));
	rc = next(&p, 0);
	if (!rc && p.tok == T_END)
		goto out;
	if (!rc)
		rc = parse_or(&p, out);
	if (!rc && p.tok != T_END) {
		if (p.tok == T_RPAREN)
			rc = fail(&p, p.start, 1, "unexpected ')'");
		else
			rc = fail(&p, p.start, p.len, "unexpected '%.*s'", (int)p.len,
			          p.text + p.start);
		bt_filter_free(*out);
		*out = NULL;
	}
out:
	free(p.word);
	return rc;
}

void bt_filter_free(struct bt_filter *f)
{
	if (!f)
		return;
	bt_filter_free(f->a);
	bt_filter_free(f->b);
	free(f->name);
	free(f->value);
	free(f);
}

/* --- compiler ----------------------------------------------------------------- */

/* `x LIKE ?` pattern for a case-insensitive substring, with LIKE's specials escaped. */
static char *like_pattern(const char *s)
{
	struct bt_buf b = BT_BUF_INIT;

	bt_buf_putc(&b, '%');
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			bt_buf_putc(&b, '\\');
		bt_buf_putc(&b, *s);
	}
	bt_buf_putc(&b, '%');
	return bt_buf_detach(&b);
}

static void compile_text(const struct bt_filter *n, const char *col, struct bt_buf *sql,
                         struct bt_sqlargs *args)
{
	switch (n->op) {
	case OP_EQ:
		bt_buf_printf(sql, "%s = ?", col);
		break;
	case OP_NE:
		bt_buf_printf(sql, "%s IS NOT ?", col);
		break;
	default:
		bt_buf_printf(sql, "coalesce(%s GLOB ?, 0)", col);
		break;
	}
	bt_sqlargs_text(args, n->value);
}

/*
 * A time's value against the compile-time `now`: relative times ("7d") are
 * only validated at parse time, so that a filter parsed once (say, in the
 * dashboard) means "the last seven days" whenever it runs.
 */
static double time_value(const struct bt_filter *n, double now, int end_of_day)
{
	double t = n->num;

	bt_filter_parse_time(n->value, now, end_of_day, &t);
	return t;
}

static void compile_number(const struct bt_filter *n, double now, const char *col,
                           struct bt_buf *sql, struct bt_sqlargs *args)
{
	double v = n->ftype == F_TIME ? time_value(n, now, n->end_of_day) : n->num;

	if (n->is_range) {
		bt_buf_printf(sql, "%s(%s BETWEEN ? AND ?)", n->op == OP_NE ? "NOT " : "", col);
		bt_sqlargs_real(args, time_value(n, now, 0));
		bt_sqlargs_real(args, time_value(n, now, 1));
		return;
	}
	if (n->op == OP_NE)
		bt_buf_printf(sql, "%s IS NOT ?", col);
	else
		bt_buf_printf(sql, "%s %s ?", col, op_sql[n->op]);
	bt_sqlargs_real(args, v);
}

/* Positive form of a comparison that tests existence; `!=` negates it. */
static void compile_exists(const struct bt_filter *n, struct bt_buf *sql, struct bt_sqlargs *args)
{
	enum op op = n->op == OP_NE ? OP_EQ : n->op;
	const char *slash;

	if (n->op == OP_NE)
		bt_buf_puts(sql, "NOT ");
	switch (n->ftype) {
	case F_TAG:
		bt_buf_printf(sql,
		              "EXISTS (SELECT 1 FROM tags t WHERE t.run_id = r.id AND t.tag %s ?)",
		              op == OP_GLOB ? "GLOB" : "=");
		bt_sqlargs_text(args, n->value);
		break;
	case F_PARAM:
		bt_buf_puts(
		        sql,
		        "EXISTS (SELECT 1 FROM params p WHERE p.run_id = r.id AND p.key = ? AND ");
		bt_sqlargs_text(args, n->name);
		if (op == OP_EQ || op == OP_GLOB) {
			bt_buf_printf(sql, "p.value %s ?)", op == OP_GLOB ? "GLOB" : "=");
			bt_sqlargs_text(args, n->value);
		} else {
			bt_buf_printf(sql, "CAST(p.value AS REAL) %s ?)", op_sql[op]);
			bt_sqlargs_real(args, n->num);
		}
		break;
	case F_METRIC:
		/* TASK/METRIC names a task's metric; any name may also be a series key. */
		slash = strchr(n->name, '/');
		bt_buf_puts(sql, "(EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = r.id AND ");
		if (slash) {
			char *task = bt_xstrndup(n->name, (size_t)(slash - n->name));
			bt_buf_puts(sql, "m.task = ? AND ");
			bt_sqlargs_text(args, task);
			bt_sqlargs_text(args, slash + 1);
			free(task);
		} else {
			bt_sqlargs_text(args, n->name);
		}
		bt_buf_printf(sql, "m.metric = ? AND m.value %s ?)", op_sql[op]);
		bt_sqlargs_real(args, n->num);
		bt_buf_printf(
		        sql,
		        " OR EXISTS (SELECT 1 FROM series s WHERE s.run_id = r.id AND s.key = ? "
		        "AND s.step = (SELECT max(s2.step) FROM series s2 WHERE s2.run_id = "
		        "r.id AND s2.key = s.key) AND s.value %s ?))",
		        op_sql[op]);
		bt_sqlargs_text(args, n->name);
		bt_sqlargs_real(args, n->num);
		break;
	default:
		break;
	}
}

static int compile(const struct bt_filter *n, double now, struct bt_buf *sql,
                   struct bt_sqlargs *args)
{
	char *pat;

	switch (n->type) {
	case N_AND:
	case N_OR:
		bt_buf_putc(sql, '(');
		compile(n->a, now, sql, args);
		bt_buf_puts(sql, n->type == N_AND ? " AND " : " OR ");
		compile(n->b, now, sql, args);
		bt_buf_putc(sql, ')');
		return 0;
	case N_NOT:
		bt_buf_puts(sql, "NOT (");
		compile(n->a, now, sql, args);
		bt_buf_putc(sql, ')');
		return 0;
	case N_WORD:
		pat = like_pattern(n->value);
		bt_buf_puts(sql, "(r.name LIKE ? ESCAPE '\\' OR r.suite LIKE ? ESCAPE '\\' OR "
		                 "r.model LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM tags t WHERE "
		                 "t.run_id = r.id AND t.tag LIKE ? ESCAPE '\\'))");
		for (int i = 0; i < 4; i++)
			bt_sqlargs_text(args, pat);
		free(pat);
		return 0;
	case N_CMP:
		break;
	}
	bt_buf_putc(sql, '(');
	switch (n->ftype) {
	case F_TEXT:
		compile_text(n, n->field->sql, sql, args);
		break;
	case F_SHA:
		if (n->op == OP_GLOB) {
			compile_text(n, n->field->sql, sql, args);
		} else {
			/* A sha prefix; validated as hex, so LIKE's specials cannot occur. */
			char *prefix = bt_xasprintf("%s%%", n->value);
			bt_buf_printf(sql, "%s%s LIKE ?", n->op == OP_NE ? "NOT " : "",
			              n->field->sql);
			bt_sqlargs_text(args, prefix);
			free(prefix);
			if (n->op == OP_NE)
				bt_buf_printf(sql, " OR %s IS NULL", n->field->sql);
		}
		break;
	case F_BOOL:
		bt_buf_printf(sql, "coalesce(%s, 0) %s ?", n->field->sql,
		              n->op == OP_NE ? "!=" : "=");
		bt_sqlargs_int(args, (int64_t)n->num);
		break;
	case F_STATUS:
		if (n->op != OP_GLOB && strcmp(n->value, "stale") == 0) {
			bt_buf_printf(sql,
			              "%s(r.status = 'running' AND coalesce(r.heartbeat_at, "
			              "r.started_at) < ?)",
			              n->op == OP_NE ? "NOT " : "");
			bt_sqlargs_real(args, now - BT_RUN_STALE_SECONDS);
		} else {
			compile_text(n, n->field->sql, sql, args);
		}
		break;
	case F_INT:
	case F_TIME:
	case F_DURATION:
		compile_number(n, now, n->field->sql, sql, args);
		break;
	case F_SINCE:
		bt_buf_puts(sql, "r.started_at >= ?");
		bt_sqlargs_real(args, time_value(n, now, 0));
		break;
	case F_UNTIL:
		bt_buf_puts(sql, "r.started_at <= ?");
		bt_sqlargs_real(args, time_value(n, now, 1));
		break;
	case F_TAG:
	case F_PARAM:
	case F_METRIC:
		compile_exists(n, sql, args);
		break;
	}
	bt_buf_putc(sql, ')');
	return 0;
}

int bt_filter_compile(const struct bt_filter *f, double now, struct bt_buf *sql,
                      struct bt_sqlargs *args)
{
	if (!f) {
		bt_buf_putc(sql, '1');
		return 0;
	}
	return compile(f, now, sql, args);
}

static void dump(const struct bt_filter *n, struct bt_buf *b)
{
	switch (n->type) {
	case N_AND:
	case N_OR:
		bt_buf_puts(b, n->type == N_AND ? "(and " : "(or ");
		dump(n->a, b);
		bt_buf_putc(b, ' ');
		dump(n->b, b);
		bt_buf_putc(b, ')');
		break;
	case N_NOT:
		bt_buf_puts(b, "(not ");
		dump(n->a, b);
		bt_buf_putc(b, ')');
		break;
	case N_WORD:
		bt_buf_printf(b, "(word \"%s\")", n->value);
		break;
	case N_CMP: {
		const char *kind = n->ftype == F_PARAM    ? "param"
		                   : n->ftype == F_METRIC ? "metric"
		                                          : "field";
		bt_buf_printf(b, "(%s %s %s \"%s\")", kind, n->field ? n->field->name : n->name,
		              op_text[n->op], n->value);
		break;
	}
	}
}

char *bt_filter_dump(const struct bt_filter *f)
{
	struct bt_buf b = BT_BUF_INIT;

	if (!f)
		return bt_xstrdup("(all)");
	dump(f, &b);
	return bt_buf_detach(&b);
}

char *bt_filter_join(int argc, char *const *argv)
{
	struct bt_buf b = BT_BUF_INIT;
	int i;

	for (i = 0; i < argc; i++) {
		if (i)
			bt_buf_putc(&b, ' ');
		bt_buf_puts(&b, argv[i]);
	}
	return bt_buf_detach(&b);
}
