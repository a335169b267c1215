/*
 * git.h - what benchtop needs from git, through libgit2: the commit a run
 * was made at, its branch, whether the work tree was dirty (and the patch
 * that makes it so), revision lookup and first-parent history walks.
 *
 * Outside a repository every capture succeeds with empty fields: benchtop
 * works without git, it just cannot tag runs with a commit.
 */
#ifndef BT_GIT_H
#define BT_GIT_H

#include <stdint.h>

struct bt_git_info {
	char sha[41]; /* HEAD commit; "" outside a repository or before the first commit */
	char *branch; /* short branch name; NULL when detached or no repository */
	int detached; /* 1 when HEAD is detached */
	int dirty;    /* 1 when tracked files differ from HEAD (index or work tree) */
	char *patch;  /* unified diff of HEAD against the work tree, when dirty */
	char patch_sha256[65];
	char *workdir; /* top of the work tree, without a trailing slash */
};

/*
 * Capture the state of the repository containing `path` (searching
 * upwards).  Not being in a repository is not an error: `out` is then
 * zeroed.  Release with bt_git_info_release().
 */
int bt_git_capture(struct bt_git_info *out, const char *path);
void bt_git_info_release(struct bt_git_info *info);

/* The top of the work tree containing `path`; BT_ENOTFOUND outside one. */
int bt_git_workdir(char **out, const char *path);

/*
 * Resolve a revision (`main`, `HEAD~3`, a sha prefix) in the repository
 * containing `path` to a full commit sha.  BT_ENOTFOUND when there is no
 * repository or the revision does not name a commit.
 */
int bt_git_resolve(char out[41], const char *path, const char *rev);

struct bt_git_commit {
	char sha[41];
	char *parents; /* space-separated shas, "" for a root commit */
	char *author_name;
	char *author_email;
	double author_time;
	char *summary;
};
void bt_git_commit_release(struct bt_git_commit *c);

/* Look up one commit's metadata. */
int bt_git_commit_lookup(struct bt_git_commit *out, const char *path, const char *sha);

/*
 * Walk the first-parent history from `start` (a revision; NULL for HEAD),
 * newest first, calling `cb` for at most `max` commits (0: no limit).  A
 * non-zero return from `cb` stops the walk and is returned.
 */
typedef int (*bt_git_commit_cb)(const struct bt_git_commit *c, void *payload);
int bt_git_walk_first_parent(const char *path, const char *start, int max, bt_git_commit_cb cb,
                             void *payload);

#endif
