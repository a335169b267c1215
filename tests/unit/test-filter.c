/*
 * test-filter.c - the filter language: what parses into which tree, what
 * fails and where (byte offset for the caret), and what the compiled SQL
 * selects from a real database.  The SQL text never contains user text.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "filter.h"
#include "helpers.h"
#include "run.h"
#include "store.h"
#include "util.h"

static char *dump(const char *text)
{
	struct bt_filter *f;
	struct bt_filter_error err;
	char *d;

	cr_assert_eq(bt_filter_parse(&f, text, &err), 0, "'%s': %s", text, err.message);
	d = bt_filter_dump(f);
	bt_filter_free(f);
	return d;
}

static void expect_tree(const char *text, const char *want)
{
	char *d = dump(text);

	cr_assert_str_eq(d, want, "'%s'", text);
	free(d);
}

static void expect_error(const char *text, size_t offset, const char *msg)
{
	struct bt_filter *f = NULL;
	struct bt_filter_error err;

	cr_assert_eq(bt_filter_parse(&f, text, &err), BT_EINPUT, "'%s' parsed", text);
	cr_assert_null(f);
	cr_assert_eq(err.offset, offset, "'%s': offset %zu, expected %zu (%s)", text, err.offset,
	             offset, err.message);
	cr_assert(strstr(err.message, msg), "'%s': message '%s' lacks '%s'", text, err.message,
	          msg);
	cr_assert(strstr(bt_error_last(), "bad filter:"), "%s", bt_error_last());
}

Test(filter, terms_side_by_side_must_all_hold)
{
	expect_tree("accuracy>0.5 branch=main",
	            "(and (metric accuracy > \"0.5\") (field branch = \"main\"))");
	expect_tree("a=1 and b=2", "(and (metric a = \"1\") (metric b = \"2\"))");
}

Test(filter, or_binds_looser_than_and)
{
	expect_tree("model=knn or model=logreg status=finished",
	            "(or (field model = \"knn\") (and (field model = \"logreg\") (field status = "
	            "\"finished\")))");
	expect_tree("(model=knn or model=logreg) status=finished",
	            "(and (or (field model = \"knn\") (field model = \"logreg\")) (field status = "
	            "\"finished\"))");
}

Test(filter, not_negates_the_next_term)
{
	expect_tree("not tag=wip knn", "(and (not (field tag = \"wip\")) (word \"knn\"))");
	expect_tree("NOT (a>1 OR b<2)", "(not (or (metric a > \"1\") (metric b < \"2\")))");
}

Test(filter, every_operator_and_value_form_parses)
{
	expect_tree("param.lr<=0.01", "(param lr <= \"0.01\")");
	expect_tree("name~'exp *'", "(field name ~ \"exp *\")");
	expect_tree("note=\"say \\\"hi\\\"\"", "(field note = \"say \"hi\"\")");
	expect_tree("iris/accuracy >= 0.9", "(metric iris/accuracy >= \"0.9\")");
	expect_tree("since=7d until=2026-11-01",
	            "(and (field since = \"7d\") (field until = \"2026-11-01\"))");
	expect_tree("param.opt=a=b", "(param opt = \"a=b\")");
	expect_tree("status!=failed", "(field status != \"failed\")");
	expect_tree("\"and\"", "(word \"and\")");
	expect_tree("   ", "(all)");
}

Test(filter, faults_are_located_for_the_caret)
{
	expect_error("accuracy>>", 9, "expected a value after '>'");
	expect_error("accuracy>", 9, "expected a value after '>'");
	expect_error("(a>1", 0, "missing ')'");
	expect_error("a>1)", 3, "unexpected ')'");
	expect_error("a>1 or", 4, "expected a term after 'or'");
	expect_error("and x", 0, "needs a term on its left");
	expect_error("not", 3, "expected a term after 'not'");
	expect_error("=3", 0, "needs a field on its left");
	expect_error("name='open", 5, "unterminated quoted string");
	expect_error("brnach=main", 0, "unknown field 'brnach' (did you mean 'branch'?)");
	expect_error("branch>main", 6, "'>' cannot compare text");
	expect_error("status=finishd", 7, "did you mean 'finished'");
	expect_error("since>7d", 5, "'since' takes '='");
	expect_error("since=someday", 6, "bad time 'someday'");
	expect_error("duration>forever", 9, "bad duration");
	expect_error("accuracy~0.5", 8, "'~' cannot compare numbers");
	expect_error("commit=xyz", 7, "not a hexadecimal sha");
	expect_error("a ! b", 2, "unexpected '!'");
	expect_error("()", 0, "empty parentheses");
}

Test(filter, times_and_durations_parse_in_every_documented_form)
{
	double now = 1800000000.0, t, d;

	cr_assert_eq(bt_filter_parse_time("7d", now, 0, &t), 0);
	cr_assert_float_eq(t, now - 7 * 86400, 1e-6);
	cr_assert_eq(bt_filter_parse_time("90s", now, 0, &t), 0);
	cr_assert_float_eq(t, now - 90, 1e-6);
	cr_assert_eq(bt_filter_parse_time("2026-11-01T12:30:00Z", now, 0, &t), 0);
	cr_assert_float_eq(t, 1793536200.0, 1e-6);
	cr_assert_eq(bt_filter_parse_time("2026-11-01Z", now, 1, &t), 0);
	cr_assert_float_eq(t, 1793491200.0 + 86399.999, 1e-3);
	cr_assert_eq(bt_filter_parse_time("now", now, 0, &t), 0);
	cr_assert_float_eq(t, now, 1e-6);
	cr_assert_eq(bt_filter_parse_time("1700000000", now, 0, &t), 0);
	cr_assert_float_eq(t, 1700000000.0, 1e-6);
	cr_assert_neq(bt_filter_parse_time("7x", now, 0, &t), 0);
	cr_assert_neq(bt_filter_parse_time("2026-13-01", now, 0, &t), 0);
	cr_assert_eq(bt_filter_parse_duration("5m", &d), 0);
	cr_assert_float_eq(d, 300, 1e-9);
	cr_assert_eq(bt_filter_parse_duration("1.5h", &d), 0);
	cr_assert_float_eq(d, 5400, 1e-9);
	cr_assert_neq(bt_filter_parse_duration("-3", &d), 0);
}

/* --- compiled filters against a real database ------------------------------------------ */

static char *dir;
static struct bt_store *s;

static void db_setup(void)
{
	char *path;
	const char *k1[] = {"lr", "opt"}, *v1[] = {"0.01", "adam"};
	const char *k2[] = {"lr"}, *v2[] = {"0.1"};
	const char *t1[] = {"nightly", "baseline"};
	struct {
		const char *name, *model, *branch, *suite;
		double started, acc;
		const char *const *keys, *const *vals;
		size_t np;
		const char *const *tags;
		size_t nt;
	} runs[] = {
	        {"alpha", "knn", "main", "tabular", 1700000000, 0.95, k1, v1, 2, t1, 2},
	        {"beta", "logreg", "main", "tabular", 1700086400, 0.40, k2, v2, 1, NULL, 0},
	        {"gamma", "knn", "dev", "text", 1700172800, 0.80, NULL, NULL, 0, t1, 1},
	        {"100% sure_", "ridge", NULL, "tabular", 1700259200, -1, NULL, NULL, 0, NULL, 0},
	};
	size_t i;

	dir = th_tmpdir();
	path = bt_path_join(dir, "f.db");
	cr_assert_eq(bt_store_open(&s, path, BT_STORE_CREATE), 0);
	free(path);
	for (i = 0; i < BT_ARRAY_SIZE(runs); i++) {
		struct bt_run r;
		memset(&r, 0, sizeof(r));
		r.name = bt_xstrdup(runs[i].name);
		r.model = bt_xstrdup(runs[i].model);
		r.suite = bt_xstrdup(runs[i].suite);
		r.git_branch = runs[i].branch ? bt_xstrdup(runs[i].branch) : NULL;
		r.git_sha = bt_xasprintf("%040zu", i + 1);
		r.started_at = runs[i].started;
		cr_assert_eq(bt_run_create(s, &r, NULL, runs[i].keys, runs[i].vals, runs[i].np,
		                           runs[i].tags, runs[i].nt),
		             0, "%s", bt_error_last());
		if (runs[i].acc >= 0) {
			struct bt_metric_row m = {"iris", "accuracy", runs[i].acc, 0, 0, 0, 10, 0};
			cr_assert_eq(bt_run_put_metric(s, r.id, &m), 0);
		}
		cr_assert_eq(bt_run_finish(s, r.id, i == 1 ? BT_RUN_FAILED : BT_RUN_FINISHED, NULL),
		             0);
		bt_run_release(&r);
	}
	{
		/* A training curve for gamma: last loss 0.2 (an earlier point is 0.9). */
		sqlite3_stmt *st;
		cr_assert_eq(bt_store_prepare(s, &st,
		                              "INSERT INTO series (run_id, key, step, value) "
		                              "VALUES (3, 'loss', 1, 0.9), (3, 'loss', 2, "
		                              "0.2)"),
		             0);
		cr_assert_eq(bt_store_step_done(s, st, "series"), 0);
		sqlite3_finalize(st);
	}
}

static void db_teardown(void)
{
	bt_store_close(s);
	th_rm_rf(dir);
	free(dir);
}

struct names {
	char buf[256];
};

static int collect(const struct bt_run *r, void *payload)
{
	struct names *n = payload;

	if (n->buf[0])
		strcat(n->buf, ",");
	strcat(n->buf, r->name);
	return 0;
}

/* The names the filter selects, oldest first. */
static void expect_match(const char *text, const char *want)
{
	struct bt_run_query q;
	struct bt_filter *f;
	struct bt_filter_error err;
	struct names n;

	cr_assert_eq(bt_filter_parse(&f, text, &err), 0, "'%s': %s", text, err.message);
	memset(&q, 0, sizeof(q));
	memset(&n, 0, sizeof(n));
	q.filter = f;
	q.ascending = 1;
	q.now = 1700300000;
	cr_assert_eq(bt_run_query(s, &q, collect, &n), 0, "'%s': %s", text, bt_error_last());
	cr_assert_str_eq(n.buf, want, "filter '%s'", text);
	bt_filter_free(f);
}

/* A recorded file's param (host->record_file) has a dotted key and a hex value. */
Test(filter, a_dotted_param_key_compares_its_whole_value, .init = db_setup, .fini = db_teardown)
{
	static const char sha[] =
	        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	char *f;

	expect_tree("param.model.sha256=9f86d0", "(param model.sha256 = \"9f86d0\")");
	cr_assert_eq(bt_run_set_param(s, 3, "model.sha256", sha), 0, "%s", bt_error_last());
	cr_assert_eq(bt_run_set_param(s, 1, "model.sha256", "0e5751c0"), 0, "%s", bt_error_last());
	f = bt_xasprintf("param.model.sha256=%s", sha);
	expect_match(f, "gamma");
	free(f);
	expect_match("param.model.sha256~'9f86d0*'", "gamma");
	expect_match("param.model.sha256!=0e5751c0", "beta,gamma,100% sure_");
	expect_match("param.model=9f86d0", "");
}

Test(filter, compiled_filters_select_the_right_runs, .init = db_setup, .fini = db_teardown)
{
	expect_match("", "alpha,beta,gamma,100% sure_");
	expect_match("accuracy>0.5", "alpha,gamma");
	expect_match("iris/accuracy<0.5", "beta");
	expect_match("other/accuracy<0.5", "");
	expect_match("accuracy>0.5 branch=main", "alpha");
	expect_match("model=knn or status=failed", "alpha,beta,gamma");
	expect_match("not model=knn", "beta,100% sure_");
	expect_match("branch!=main", "gamma,100% sure_");
	expect_match("tag=nightly", "alpha,gamma");
	expect_match("tag!=nightly", "beta,100% sure_");
	expect_match("param.lr=0.01", "alpha");
	expect_match("param.lr>0.05", "beta");
	expect_match("param.opt~'ad*'", "alpha");
	expect_match("name~'*a'", "alpha,beta,gamma");
	expect_match("loss<0.3", "gamma");
	expect_match("loss>0.5", "");
	expect_match("commit=0000", "alpha,beta,gamma,100% sure_");
	expect_match("sha=0000000000000000000000000000000000000003", "gamma");
	expect_match("since=2d", "gamma,100% sure_");
	expect_match("started<1700050000", "alpha");
	expect_match("KNN", "alpha,gamma");
	expect_match("text", "gamma");
	expect_match("baseline", "alpha");
}

Test(filter, like_wildcards_in_bare_words_are_literal, .init = db_setup, .fini = db_teardown)
{
	expect_match("'100%'", "100% sure_");
	expect_match("'%'", "100% sure_");
	expect_match("_", "100% sure_");
}

Test(filter, sql_carries_no_user_text)
{
	const char *texts[] = {"name='x'' OR 1=1 --'", "tag=\"; DROP TABLE runs; --\"",
	                       "param.k'=1", "robert');DROP"};
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(texts); i++) {
		struct bt_filter *f;
		struct bt_buf sql = BT_BUF_INIT;
		struct bt_sqlargs args = BT_SQLARGS_INIT;
		if (bt_filter_parse(&f, texts[i], NULL) != 0)
			continue;
		cr_assert_eq(bt_filter_compile(f, 0, &sql, &args), 0);
		cr_assert_null(strstr(sql.ptr, "DROP"), "%s", sql.ptr);
		cr_assert_null(strstr(sql.ptr, "OR 1=1"), "%s", sql.ptr);
		cr_assert_null(strstr(sql.ptr, "robert"), "%s", sql.ptr);
		cr_assert_gt(args.n, 0);
		bt_buf_free(&sql);
		bt_sqlargs_release(&args);
		bt_filter_free(f);
	}
}
