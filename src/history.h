/*
 * history.h - a metric along the first-parent git history: one point per
 * commit (the latest finished run at that commit matching the query), with
 * its confidence interval, and the commits after which it shifted beyond
 * its noise (change points, see stats.h).  Used by `benchtop history`, the
 * dashboard's commit chart and the commits view.
 */
#ifndef BT_HISTORY_H
#define BT_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct bt_history_query {
	const char *metric; /* required: a metric name */
	const char *task;   /* NULL: the mean over tasks (each point says how many) */
	const char *suite;  /* NULL: any */
	const char *model;  /* NULL: any */
	const char *start;  /* revision to walk from; NULL: HEAD */
	int max_commits;    /* 0: a default of 200 */
};

struct bt_history_point {
	char sha[41];
	char *summary;
	double author_time;
	int has_value;                     /* 0: no matching run at this commit (a gap) */
	double value, ci_low, ci_high, se; /* NaN where unknown */
	int64_t run_id;                    /* the run the value came from */
	size_t n_runs;                     /* matching finished runs at this commit */
	size_t n_tasks;                    /* tasks averaged into value (1 with a task) */
	int change_point; /* 1: the metric shifted between the previous point and this one */
};

/*
 * Walk the history of the repository containing `repo_path` and fill
 * *out with one point per commit, newest first.  Only finished runs made
 * on a clean work tree count, and never a single shard of a sharded run.
 * Without a task the value is the mean over the run's tasks, its standard
 * error sqrt(sum se^2) / k (tasks taken as independent).  Caller frees
 * with bt_history_free().  BT_ENOTFOUND outside a repository or when
 * `start` names no commit.
 */
int bt_history_load(struct bt_store *s, const char *repo_path, const struct bt_history_query *q,
                    struct bt_history_point **out, size_t *n);
void bt_history_free(struct bt_history_point *p, size_t n);

#endif
