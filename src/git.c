/*
 * git.c - libgit2 capture: HEAD, branch, dirty state and patch, revision
 * lookup, commit metadata and first-parent walks.
 *
 * libgit2's errors are converted to bt_status here, once.  The library is
 * initialised on first use and shut down at exit.
 */
#include "config.h"

#include <git2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "git.h"
#include "util.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void shutdown_libgit2(void)
{
	git_libgit2_shutdown();
}

static void init_libgit2(void)
{
	git_libgit2_init();
	/* Frees libgit2's per-thread error state, which leak checkers otherwise report. */
	atexit(shutdown_libgit2);
}

static int git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();

	return bt_error_set(code, "%s: %s", what, e && e->message ? e->message : "unknown error");
}

/* Open the repository containing `path`; 1 when there is none. */
static int open_repo(git_repository **out, const char *path)
{
	int rc;

	pthread_once(&init_once, init_libgit2);
	rc = git_repository_open_ext(out, path ? path : ".", 0, NULL);
	if (rc == GIT_ENOTFOUND)
		return 1;
	if (rc < 0)
		return git_fail(BT_ERROR, "cannot open git repository");
	return 0;
}

static char *workdir_of(git_repository *repo)
{
	const char *wd = git_repository_workdir(repo);
	size_t n;

	if (!wd)
		wd = git_repository_path(repo); /* bare: use the git dir */
	n = strlen(wd);
	while (n > 1 && wd[n - 1] == '/')
		n--;
	return bt_xstrndup(wd, n);
}

int bt_git_workdir(char **out, const char *path)
{
	git_repository *repo;
	int rc = open_repo(&repo, path);

	*out = NULL;
	if (rc == 1)
		return bt_error_set(BT_ENOTFOUND, "not in a git repository");
	if (rc)
		return rc;
	*out = workdir_of(repo);
	git_repository_free(repo);
	return 0;
}

static int patch_cb(const git_diff_delta *delta, const git_diff_hunk *hunk,
                    const git_diff_line *line, void *payload)
{
	struct bt_buf *b = payload;

	BT_UNUSED(delta);
	BT_UNUSED(hunk);
	if (line->origin == GIT_DIFF_LINE_CONTEXT || line->origin == GIT_DIFF_LINE_ADDITION ||
	    line->origin == GIT_DIFF_LINE_DELETION)
		bt_buf_putc(b, line->origin);
	bt_buf_add(b, line->content, line->content_len);
	return 0;
}

/*
 * Dirty means what `git describe --dirty` means: tracked content (staged
 * or not) differs from HEAD.  Untracked files are not part of it; they
 * would drag build products and data into every patch.  The patch is HEAD
 * against the work tree through the index, so `git apply` on a clean
 * checkout of the sha reproduces the tree.
 */
static int capture_dirty(struct bt_git_info *out, git_repository *repo, git_commit *head)
{
	git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
	struct bt_buf b = BT_BUF_INIT;
	git_tree *tree = NULL;
	git_diff *diff = NULL;
	int rc;

	opts.flags = GIT_DIFF_SHOW_BINARY;
	if (head && git_commit_tree(&tree, head) < 0)
		return git_fail(BT_ERROR, "cannot read HEAD's tree");
	if (git_diff_tree_to_workdir_with_index(&diff, repo, tree, &opts) < 0) {
		rc = git_fail(BT_ERROR, "cannot diff the work tree");
		goto out;
	}
	rc = 0;
	if (git_diff_num_deltas(diff) == 0)
		goto out;
	out->dirty = 1;
	if (git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, patch_cb, &b) < 0) {
		rc = git_fail(BT_ERROR, "cannot format the work-tree patch");
		goto out;
	}
	bt_sha256_hex(out->patch_sha256, bt_buf_cstr(&b), b.len);
	out->patch = bt_buf_detach(&b);
out:
	bt_buf_free(&b);
	git_diff_free(diff);
	git_tree_free(tree);
	return rc;
}

int bt_git_capture(struct bt_git_info *out, const char *path)
{
	git_repository *repo = NULL;
	git_reference *head_ref = NULL;
	git_commit *head = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = open_repo(&repo, path);
	if (rc == 1)
		return 0;
	if (rc)
		return rc;
	out->workdir = workdir_of(repo);
	if (git_repository_is_bare(repo))
		goto out;

	rc = git_repository_head(&head_ref, repo);
	if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND) {
		/* No commit yet: there is a branch name but nothing to tag with. */
		rc = 0;
		goto out;
	}
	if (rc < 0) {
		rc = git_fail(BT_ERROR, "cannot read HEAD");
		goto out;
	}
	out->detached = git_repository_head_detached(repo) == 1;
	if (!out->detached && git_reference_is_branch(head_ref))
		out->branch = bt_xstrdup(git_reference_shorthand(head_ref));
	if (git_reference_peel((git_object **)&head, head_ref, GIT_OBJECT_COMMIT) < 0) {
		rc = git_fail(BT_ERROR, "cannot resolve HEAD to a commit");
		goto out;
	}
	git_oid_tostr(out->sha, sizeof(out->sha), git_commit_id(head));
	rc = capture_dirty(out, repo, head);
out:
	git_commit_free(head);
	git_reference_free(head_ref);
	git_repository_free(repo);
	if (rc)
		bt_git_info_release(out);
	return rc;
}

void bt_git_info_release(struct bt_git_info *info)
{
	free(info->branch);
	free(info->patch);
	free(info->workdir);
	memset(info, 0, sizeof(*info));
}

/* Resolve a revision to a commit object (caller frees); < 0 when it names none. */
static int resolve_commit(git_object **out, git_repository *repo, const char *rev)
{
	git_object *obj = NULL;
	int rc;

	*out = NULL;
	rc = git_revparse_single(&obj, repo, rev);
	if (rc < 0)
		return rc;
	/* Peeling returns a new object; the tag or commit we had must still be freed. */
	rc = git_object_peel(out, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	return rc;
}

int bt_git_resolve(char out[41], const char *path, const char *rev)
{
	git_repository *repo;
	git_object *obj = NULL;
	int rc = open_repo(&repo, path);

	out[0] = '\0';
	if (rc == 1)
		return bt_error_set(BT_ENOTFOUND, "'%s' is not a revision: not in a git repository",
		                    rev);
	if (rc)
		return rc;
	if (resolve_commit(&obj, repo, rev) < 0) {
		rc = bt_error_set(BT_ENOTFOUND, "'%s' does not name a commit", rev);
	} else {
		git_oid_tostr(out, 41, git_object_id(obj));
	}
	git_object_free(obj);
	git_repository_free(repo);
	return rc;
}

void bt_git_commit_release(struct bt_git_commit *c)
{
	free(c->parents);
	free(c->author_name);
	free(c->author_email);
	free(c->summary);
	memset(c, 0, sizeof(*c));
}

static void fill_commit(struct bt_git_commit *out, git_commit *c)
{
	const git_signature *a = git_commit_author(c);
	struct bt_buf parents = BT_BUF_INIT;
	const char *summary = git_commit_summary(c);
	unsigned i, n = git_commit_parentcount(c);

	memset(out, 0, sizeof(*out));
	git_oid_tostr(out->sha, sizeof(out->sha), git_commit_id(c));
	for (i = 0; i < n; i++) {
		char sha[41];
		git_oid_tostr(sha, sizeof(sha), git_commit_parent_id(c, i));
		if (i)
			bt_buf_putc(&parents, ' ');
		bt_buf_puts(&parents, sha);
	}
	out->parents = bt_buf_detach(&parents);
	out->author_name = bt_xstrdup(a && a->name ? a->name : "");
	out->author_email = bt_xstrdup(a && a->email ? a->email : "");
	out->author_time = a ? (double)a->when.time : 0;
	out->summary = bt_xstrdup(summary ? summary : "");
}

int bt_git_commit_lookup(struct bt_git_commit *out, const char *path, const char *sha)
{
	git_repository *repo;
	git_commit *c = NULL;
	git_oid oid;
	int rc = open_repo(&repo, path);

	memset(out, 0, sizeof(*out));
	if (rc == 1)
		return bt_error_set(BT_ENOTFOUND, "not in a git repository");
	if (rc)
		return rc;
	if (git_oid_fromstr(&oid, sha) < 0 || git_commit_lookup(&c, repo, &oid) < 0)
		rc = bt_error_set(BT_ENOTFOUND, "no commit '%s' in the repository", sha);
	else
		fill_commit(out, c);
	git_commit_free(c);
	git_repository_free(repo);
	return rc;
}

int bt_git_walk_first_parent(const char *path, const char *start, int max, bt_git_commit_cb cb,
                             void *payload)
{
	git_repository *repo;
	git_revwalk *walk = NULL;
	git_object *obj = NULL;
	git_oid oid;
	int rc = open_repo(&repo, path), count = 0;

	if (rc == 1)
		return bt_error_set(BT_ENOTFOUND, "not in a git repository");
	if (rc)
		return rc;
	if (resolve_commit(&obj, repo, start ? start : "HEAD") < 0) {
		rc = bt_error_set(BT_ENOTFOUND, "'%s' does not name a commit",
		                  start ? start : "HEAD");
		goto out;
	}
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, git_object_id(obj)) < 0) {
		rc = git_fail(BT_ERROR, "cannot walk history");
		goto out;
	}
	git_revwalk_simplify_first_parent(walk);
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL);
	while (git_revwalk_next(&oid, walk) == 0) {
		struct bt_git_commit info;
		git_commit *c;
		if (git_commit_lookup(&c, repo, &oid) < 0) {
			rc = git_fail(BT_ERROR, "cannot read commit");
			break;
		}
		fill_commit(&info, c);
		git_commit_free(c);
		rc = cb(&info, payload);
		bt_git_commit_release(&info);
		if (rc || (max > 0 && ++count >= max))
			break;
	}
out:
	git_revwalk_free(walk);
	git_object_free(obj);
	git_repository_free(repo);
	return rc;
}
