/*
 * test-runref.c - run references: ids, @ and @~N, tag:NAME, uuid
 * prefixes, git revisions, and the errors for each when nothing matches.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "git.h"
#include "helpers.h"
#include "run.h"
#include "runref.h"
#include "store.h"
#include "util.h"

static char *dir, *repo;
static struct bt_store *s;

static void setup(void)
{
	char *db;

	dir = th_tmpdir();
	repo = bt_path_join(dir, "repo");
	th_git_init(repo);
	db = bt_path_join(dir, "t.db");
	cr_assert_eq(bt_store_open(&s, db, BT_STORE_CREATE), 0);
	free(db);
}

static void teardown(void)
{
	bt_store_close(s);
	th_rm_rf(dir);
	free(repo);
	free(dir);
}

TestSuite(runref, .init = setup, .fini = teardown);

/* A run at the repository's current commit, started at `t`. */
static int64_t make_run(double t, const char *tag, char uuid_out[37])
{
	struct bt_git_info g;
	struct bt_run r;
	int64_t id;

	memset(&r, 0, sizeof(r));
	r.started_at = t;
	cr_assert_eq(bt_git_capture(&g, repo), 0);
	cr_assert_eq(bt_run_create(s, &r, &g, NULL, NULL, 0, tag ? &tag : NULL, tag ? 1 : 0), 0,
	             "%s", bt_error_last());
	id = r.id;
	if (uuid_out)
		memcpy(uuid_out, r.uuid, 37);
	bt_run_release(&r);
	bt_git_info_release(&g);
	return id;
}

static int64_t resolve(const char *ref)
{
	int64_t id = -1;

	cr_assert_eq(bt_runref_resolve(s, ref, repo, &id), 0, "'%s': %s", ref, bt_error_last());
	return id;
}

Test(runref, integer_ids_name_runs_directly)
{
	int64_t a = make_run(1000, NULL, NULL);
	int64_t out;

	cr_assert_eq(resolve("1"), a);
	cr_assert_eq(bt_runref_resolve(s, "99", repo, &out), BT_ENOTFOUND);
	cr_assert(strstr(bt_error_last(), "no run with id 99"), "%s", bt_error_last());
}

Test(runref, at_sign_counts_back_from_the_latest)
{
	int64_t a = make_run(1000, NULL, NULL);
	int64_t b = make_run(3000, NULL, NULL);
	int64_t c = make_run(2000, NULL, NULL);
	int64_t out;

	cr_assert_eq(resolve("@"), b);
	cr_assert_eq(resolve("@~1"), c);
	cr_assert_eq(resolve("@~"), c);
	cr_assert_eq(resolve("@~2"), a);
	cr_assert_eq(bt_runref_resolve(s, "@~3", repo, &out), BT_ENOTFOUND);
	cr_assert_eq(bt_runref_resolve(s, "@x", repo, &out), BT_EINPUT);
}

Test(runref, tags_name_their_latest_run)
{
	int64_t a = make_run(1000, "nightly", NULL);
	int64_t out;

	make_run(2000, "other", NULL);
	cr_assert_eq(resolve("tag:nightly"), a);
	int64_t b = make_run(3000, "nightly", NULL);
	cr_assert_eq(resolve("tag:nightly"), b);
	cr_assert_eq(bt_runref_resolve(s, "tag:none", repo, &out), BT_ENOTFOUND);
	cr_assert(strstr(bt_error_last(), "'none'"));
}

Test(runref, a_unique_uuid_prefix_names_a_run)
{
	char ua[37], ub[37], prefix[16];
	int64_t a = make_run(1000, NULL, ua);
	int64_t b = make_run(1000, NULL, ub);
	size_t n = 0;

	/* Find the shortest prefix (>= 8) telling them apart. */
	while (n < 36 && ua[n] == ub[n])
		n++;
	n = n + 1 < 8 ? 8 : n + 1;
	memcpy(prefix, ua, n);
	prefix[n] = '\0';
	cr_assert_eq(resolve(prefix), a);
	cr_assert_eq(resolve(ub), b);
}

Test(runref, an_ambiguous_uuid_prefix_is_refused)
{
	char ua[37], ub[37], prefix[16];
	int64_t out;
	size_t n = 0;

	make_run(1000, NULL, ua);
	make_run(1000, NULL, ub);
	while (n < 36 && ua[n] == ub[n])
		n++;
	if (n < 4)
		return; /* uuid7 prefixes share the time stamp; they will share 4+ chars */
	memcpy(prefix, ua, 4);
	prefix[4] = '\0';
	cr_assert_eq(bt_runref_resolve(s, prefix, repo, &out), BT_EAMBIGUOUS);
	cr_assert(strstr(bt_error_last(), "ambiguous"));
}

Test(runref, a_git_revision_names_the_latest_run_at_that_commit)
{
	int64_t first, second, later_at_first;
	int64_t out;

	first = make_run(1000, NULL, NULL);
	th_write_in(repo, "b.txt", "b\n");
	th_git_commit(repo, "second");
	second = make_run(2000, NULL, NULL);
	cr_assert_eq(resolve("HEAD"), second);
	cr_assert_eq(resolve("main"), second);
	cr_assert_eq(resolve("HEAD~1"), first);
	cr_assert_eq(th_sh("git -C '%s' checkout -q HEAD~1", repo), 0);
	later_at_first = make_run(3000, NULL, NULL);
	cr_assert_eq(resolve("main~1"), later_at_first);
	th_write_in(repo, "c.txt", "c\n");
	th_git_commit(repo, "third, no runs");
	cr_assert_eq(bt_runref_resolve(s, "HEAD", repo, &out), BT_ENOTFOUND);
	cr_assert(strstr(bt_error_last(), "no run was made at commit"), "%s", bt_error_last());
	cr_assert_eq(bt_runref_resolve(s, "nonsense-ref", repo, &out), BT_ENOTFOUND);
	cr_assert(strstr(bt_error_last(), "is not a run"), "%s", bt_error_last());
}
