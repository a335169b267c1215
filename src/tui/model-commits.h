/*
 * model-commits.h - the commits view's model: the first-parent git log of
 * the repository (newest first), how many runs each commit has, and a
 * badge where a key metric shifted against the commits before it.
 *
 * Badges come from history.c: for each of the key metrics (the most
 * common among recent runs) and each suite and model of recent runs, the
 * metric's history along the same commits; a change point there whose
 * value moved in the metric's worse direction is a regression, in its
 * better direction an improvement.  No curses; tested by
 * tests/unit/test-tui-commits.c on a real repository.
 */
#ifndef BT_TUI_MODEL_COMMITS_H
#define BT_TUI_MODEL_COMMITS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct bt_commit_badge {
	char *what; /* "accuracy (knn on tabular)" */
	int worse;  /* 1 regression, 0 improvement */
	double from, to;
};

struct bt_commit_row {
	char sha[41];
	char *summary, *author;
	double time;
	int64_t runs;
	struct bt_commit_badge *badges;
	size_t nbadges;
	int regressed; /* any badge is a regression */
};

struct bt_commits_model {
	struct bt_commit_row *rows;
	size_t n;
	char **metrics; /* the metrics badges were computed for */
	size_t nmetrics;
};

/*
 * Walk up to `max` commits from HEAD of the repository at `repo` and fill
 * the model.  BT_ENOTFOUND outside a repository.
 */
int bt_commits_load(struct bt_commits_model **out, struct bt_store *s, const char *repo, int max);
void bt_commits_free(struct bt_commits_model *m);

#endif
