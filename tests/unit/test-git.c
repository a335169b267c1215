/*
 * test-git.c - git capture on real repositories made by each test: clean,
 * dirty (staged and unstaged), detached, unborn, no repository; revision
 * lookup, commit metadata and first-parent walks.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "git.h"
#include "helpers.h"
#include "util.h"

static char *dir, *repo;

static void setup(void)
{
	dir = th_tmpdir();
	repo = bt_path_join(dir, "repo");
	th_git_init(repo);
}

static void teardown(void)
{
	th_rm_rf(dir);
	free(repo);
	free(dir);
}

TestSuite(git, .init = setup, .fini = teardown);

/* What `git rev-parse REV` says, for comparing with libgit2's answers. */
static void rev_parse(const char *rev, char out[41])
{
	char *file = bt_path_join(dir, "rev");
	char *text;

	cr_assert_eq(th_sh("git -C '%s' rev-parse '%s' > '%s'", repo, rev, file), 0);
	text = th_read(file, NULL);
	cr_assert_not_null(text);
	cr_assert_geq(strlen(text), 40);
	memcpy(out, text, 40);
	out[40] = '\0';
	free(text);
	free(file);
}

Test(git, a_clean_tree_records_head_and_branch)
{
	struct bt_git_info g;
	char sha[41];

	rev_parse("HEAD", sha);
	cr_assert_eq(bt_git_capture(&g, repo), 0, "%s", bt_error_last());
	cr_assert_str_eq(g.sha, sha);
	cr_assert_str_eq(g.branch, "main");
	cr_assert_eq(g.detached, 0);
	cr_assert_eq(g.dirty, 0);
	cr_assert_null(g.patch);
	cr_assert_str_eq(g.workdir, repo);
	bt_git_info_release(&g);
}

Test(git, capture_works_from_a_subdirectory)
{
	char *sub = bt_path_join(repo, "a/b");
	struct bt_git_info g;

	cr_assert_eq(bt_mkdir_p(sub, 0755), 0);
	cr_assert_eq(bt_git_capture(&g, sub), 0);
	cr_assert_str_eq(g.workdir, repo);
	cr_assert_eq(strlen(g.sha), 40);
	bt_git_info_release(&g);
	free(sub);
}

Test(git, a_modified_file_makes_the_tree_dirty_with_a_patch)
{
	char *file = bt_path_join(repo, "a.txt");
	struct bt_git_info g;
	char want[65];

	th_write(file, "one\ntwo\n");
	cr_assert_eq(bt_git_capture(&g, repo), 0, "%s", bt_error_last());
	cr_assert_eq(g.dirty, 1);
	cr_assert_not_null(g.patch);
	cr_assert(strstr(g.patch, "+two"), "patch: %s", g.patch);
	cr_assert(strstr(g.patch, "a.txt"), "patch: %s", g.patch);
	bt_sha256_hex(want, g.patch, strlen(g.patch));
	cr_assert_str_eq(g.patch_sha256, want);

	/* The patch reproduces the tree: applied to a clean checkout it gives the same file. */
	{
		char *patch = bt_path_join(dir, "p.diff");
		char *clone = bt_path_join(dir, "clone");
		char *copy;
		th_write(patch, g.patch);
		cr_assert_eq(th_sh("git clone -q '%s' '%s' && git -C '%s' apply '%s'", repo, clone,
		                   clone, patch),
		             0, "git apply failed");
		free(file);
		file = bt_path_join(clone, "a.txt");
		copy = th_read(file, NULL);
		cr_assert_str_eq(copy, "one\ntwo\n");
		free(copy);
		free(clone);
		free(patch);
	}
	bt_git_info_release(&g);
	free(file);
}

Test(git, a_staged_change_is_dirty_too)
{
	char *file = bt_path_join(repo, "new.txt");
	struct bt_git_info g;

	th_write(file, "added\n");
	cr_assert_eq(th_sh("git -C '%s' add new.txt", repo), 0);
	cr_assert_eq(bt_git_capture(&g, repo), 0);
	cr_assert_eq(g.dirty, 1);
	cr_assert(strstr(g.patch, "+added"), "patch: %s", g.patch);
	bt_git_info_release(&g);
	free(file);
}

Test(git, untracked_files_do_not_make_the_tree_dirty)
{
	char *file = bt_path_join(repo, "scratch.log");
	struct bt_git_info g;

	th_write(file, "noise\n");
	cr_assert_eq(bt_git_capture(&g, repo), 0);
	cr_assert_eq(g.dirty, 0);
	bt_git_info_release(&g);
	free(file);
}

Test(git, a_detached_head_has_no_branch)
{
	struct bt_git_info g;
	char first[41];

	rev_parse("HEAD", first);
	th_write_in(repo, "b.txt", "b\n");
	th_git_commit(repo, "second");
	cr_assert_eq(th_sh("git -C '%s' checkout -q --detach HEAD~1", repo), 0);
	cr_assert_eq(bt_git_capture(&g, repo), 0);
	cr_assert_eq(g.detached, 1);
	cr_assert_null(g.branch);
	cr_assert_str_eq(g.sha, first);
	bt_git_info_release(&g);
}

Test(git, outside_a_repository_everything_is_empty)
{
	char *plain = bt_path_join(dir, "plain");
	struct bt_git_info g;
	char *top = NULL;
	char sha[41];

	cr_assert_eq(bt_mkdir_p(plain, 0755), 0);
	cr_assert_eq(bt_git_capture(&g, plain), 0);
	cr_assert_str_eq(g.sha, "");
	cr_assert_null(g.branch);
	cr_assert_null(g.workdir);
	cr_assert_eq(g.dirty, 0);
	bt_git_info_release(&g);
	cr_assert_eq(bt_git_workdir(&top, plain), BT_ENOTFOUND);
	cr_assert_eq(bt_git_resolve(sha, plain, "HEAD"), BT_ENOTFOUND);
	free(plain);
}

Test(git, a_repository_without_commits_has_no_sha)
{
	char *empty = bt_path_join(dir, "empty");
	struct bt_git_info g;

	cr_assert_eq(th_sh("git init -q '%s'", empty), 0);
	cr_assert_eq(bt_git_capture(&g, empty), 0, "%s", bt_error_last());
	cr_assert_str_eq(g.sha, "");
	cr_assert_not_null(g.workdir);
	bt_git_info_release(&g);
	free(empty);
}

Test(git, revisions_resolve_like_git_rev_parse)
{
	char got[41], want[41];

	th_write_in(repo, "b.txt", "b\n");
	th_git_commit(repo, "second");
	th_write_in(repo, "c.txt", "c\n");
	th_git_commit(repo, "third");
	rev_parse("HEAD~2", want);
	cr_assert_eq(bt_git_resolve(got, repo, "HEAD~2"), 0);
	cr_assert_str_eq(got, want);
	rev_parse("main", want);
	cr_assert_eq(bt_git_resolve(got, repo, "main"), 0);
	cr_assert_str_eq(got, want);
	{
		char prefix[9];
		memcpy(prefix, want, 8);
		prefix[8] = '\0';
		cr_assert_eq(bt_git_resolve(got, repo, prefix), 0);
		cr_assert_str_eq(got, want);
	}
	cr_assert_eq(bt_git_resolve(got, repo, "no-such-branch"), BT_ENOTFOUND);
	cr_assert(strstr(bt_error_last(), "no-such-branch"));
}

struct walk {
	int n;
	char summaries[8][64];
};

static int collect(const struct bt_git_commit *c, void *payload)
{
	struct walk *w = payload;

	if (w->n < 8)
		snprintf(w->summaries[w->n], sizeof(w->summaries[0]), "%s", c->summary);
	w->n++;
	return 0;
}

Test(git, the_walk_follows_first_parents_newest_first)
{
	struct walk w;
	struct bt_git_commit c;
	char sha[41];

	th_write_in(repo, "b.txt", "b\n");
	th_git_commit(repo, "second");
	/* A side branch merged back: its commit is not on the first-parent line. */
	cr_assert_eq(th_sh("cd '%s' && git checkout -q -b side && echo s > s.txt && git add s.txt "
	                   "&& git -c user.name=T -c user.email=t@e commit -q -m side-work && "
	                   "git checkout -q main && git -c user.name=T -c user.email=t@e merge -q "
	                   "--no-ff -m merged side",
	                   repo),
	             0);
	memset(&w, 0, sizeof(w));
	cr_assert_eq(bt_git_walk_first_parent(repo, NULL, 0, collect, &w), 0, "%s",
	             bt_error_last());
	cr_assert_eq(w.n, 3, "walked %d commits", w.n);
	cr_assert_str_eq(w.summaries[0], "merged");
	cr_assert_str_eq(w.summaries[1], "second");
	cr_assert_str_eq(w.summaries[2], "first");

	memset(&w, 0, sizeof(w));
	cr_assert_eq(bt_git_walk_first_parent(repo, "HEAD", 2, collect, &w), 0);
	cr_assert_eq(w.n, 2);

	rev_parse("HEAD", sha);
	cr_assert_eq(bt_git_commit_lookup(&c, repo, sha), 0);
	cr_assert_str_eq(c.summary, "merged");
	cr_assert_eq(strlen(c.parents), 81, "two parents expected: '%s'", c.parents);
	cr_assert_gt(c.author_time, 1e9);
	bt_git_commit_release(&c);
}
