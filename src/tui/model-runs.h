/*
 * model-runs.h - the runs table's view model: the filter (the CLI's
 * language), the sort, the columns, the marks, and a window of rows over
 * the matching runs fetched by keyset pagination.
 *
 * The model never holds more than a few pages of runs, however many match:
 * moving past either end of the window fetches the next page with a query
 * that starts after (or before) the sort key of the last row it has, so
 * scrolling through 100,000 runs costs the same as through 100.  Every
 * query is a single statement stepped to its end and finalised before the
 * function returns: no read transaction outlives a call, so a running
 * evaluation never waits for the dashboard.
 *
 * No curses here; tests/unit/test-tui-runs.c drives it on real databases.
 */
#ifndef BT_TUI_MODEL_RUNS_H
#define BT_TUI_MODEL_RUNS_H

#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "run.h"
#include "store.h"

/* The kinds of column the runs table can show. */
enum bt_rcol_kind {
	BT_RC_STATUS,
	BT_RC_PROGRESS,
	BT_RC_ID,
	BT_RC_AGE,
	BT_RC_COMMIT,
	BT_RC_BRANCH,
	BT_RC_KIND,
	BT_RC_SUITE,
	BT_RC_MODEL,
	BT_RC_NAME,
	BT_RC_DURATION,
	BT_RC_TAGS,
	BT_RC_HOST,
	BT_RC_USER,
	BT_RC_NOTE,
	BT_RC_STARTED,
	BT_RC_METRIC, /* a metric (mean over tasks) or TASK/METRIC */
	BT_RC_NKINDS
};

/* A column: its kind and, for BT_RC_METRIC, the metric's name. */
struct bt_rcol {
	enum bt_rcol_kind kind;
	char *metric;
};

/* What the view needs to know about a kind of column. */
struct bt_rcol_def {
	const char *key;   /* "status", "age", ...; "metric" for metrics */
	const char *title; /* "STATUS" */
	int min, want;     /* cells */
	int priority;      /* layout priority (layout.h); 0 never dropped */
	int flex;          /* text that may be shortened */
	int right;         /* right-aligned (numbers) */
	int desc_first;    /* the first `s` on this column sorts descending */
};
const struct bt_rcol_def *bt_rcol_def(enum bt_rcol_kind kind);
/* Find a kind by its key ("status"); -1 when there is none. */
int bt_rcol_kind_parse(const char *key);

/* A sort key value, copied out of SQLite with its type. */
struct bt_runs_key {
	int type; /* SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT or SQLITE_TEXT */
	int64_t i;
	double d;
	char *s;
};

/* One run as the table shows it.  Text is raw: drawing sanitises it. */
struct bt_runs_row {
	int64_t id;
	char *name, *kind, *suite, *model, *branch, *sha, *host, *user, *note, *tags;
	int dirty;
	enum bt_run_status status;
	int stale; /* a running run whose process is gone (bt_run_is_stale) */
	double started, ended, heartbeat;
	int64_t done, total, pid;
	double *metric; /* one value per metric column (NaN: none) */
	struct bt_runs_key key;
};

struct bt_runs_model {
	struct bt_store *store;

	/* The query. */
	char *filter_text; /* as typed ("" for none) */
	struct bt_filter *filter;
	struct bt_rcol sort; /* BT_RC_AGE descending is newest first, the default */
	int ascending;

	/* The columns, in display order, and whether the user chose them. */
	struct bt_rcol *cols;
	size_t ncols;
	int custom_cols;

	/* The window of fetched rows. */
	struct bt_runs_row *rows;
	size_t n, cap;
	int more_before, more_after; /* rows exist beyond each end of the window */
	int64_t pos;                 /* index of rows[0] among all matching runs */
	size_t cur, top;             /* cursor and first visible row (window indices) */
	size_t page;                 /* rows per fetch */
	size_t max_rows;             /* the window never grows past this */

	/*
	 * Matching runs; -1 until counted (counting waits until idle), or
	 * BT_RUNS_UNCOUNTED when it was given up as too slow.
	 */
	int64_t count;

	/* Marked runs, sorted by id. */
	int64_t *marks;
	size_t nmarks;

	double now; /* for ages, staleness and relative times in filters */
};

#define BT_RUNS_UNCOUNTED (-2)

struct bt_runs_model *bt_runs_model_new(struct bt_store *s);
void bt_runs_model_free(struct bt_runs_model *m);

/*
 * Parse and set the filter.  On error the previous filter stays, `err`
 * (may be NULL) locates the fault for a caret, and BT_EINPUT is returned.
 * Does not fetch: call bt_runs_load_first() after.
 */
int bt_runs_set_filter(struct bt_runs_model *m, const char *text, struct bt_filter_error *err);

/*
 * Sort by a column.  `toggle`: when already sorted by it, reverse;
 * otherwise start in the column's natural direction.  Does not fetch.
 */
void bt_runs_set_sort(struct bt_runs_model *m, const struct bt_rcol *col, int toggle);
/* Back to newest first. */
void bt_runs_reset_sort(struct bt_runs_model *m);
/* Is the table sorted by this column, and which way (1 ascending)? */
int bt_runs_sorted_by(const struct bt_runs_model *m, const struct bt_rcol *col, int *ascending);

/* Replace the columns (the model copies them); marks them as the user's choice. */
void bt_runs_set_columns(struct bt_runs_model *m, const struct bt_rcol *cols, size_t n);

/*
 * The default columns: status, progress, id, age, commit, branch, kind,
 * suite, model, name, duration and the key metrics of the rows at hand
 * (the three most common among them, in the order they were reported,
 * leaving out errors, latency and throughput).
 */
void bt_runs_default_columns(struct bt_runs_model *m);

/*
 * Fetching.  load_first starts at the first matching run (and, unless the
 * user chose columns, picks the key metrics from the first page);
 * load_last ends at the last one (and counts); reload keeps the window
 * anchored where it is, the cursor on the same run when it still
 * matches, and shows runs that appeared above when at the top.
 */
int bt_runs_load_first(struct bt_runs_model *m);
int bt_runs_load_last(struct bt_runs_model *m);
int bt_runs_reload(struct bt_runs_model *m);

/*
 * Move the cursor by `delta` rows (negative: up), fetching pages as
 * needed, and scroll so that it stays within `height` visible rows.
 */
int bt_runs_move(struct bt_runs_model *m, int64_t delta, int height);
/* Keep the cursor visible in `height` rows (after a resize). */
void bt_runs_scroll(struct bt_runs_model *m, int height);

/* Count the matching runs into m->count. */
int bt_runs_count(struct bt_runs_model *m);

/* The row under the cursor, or NULL when nothing matches. */
const struct bt_runs_row *bt_runs_current(const struct bt_runs_model *m);
/* Absolute index of the cursor among the matching runs. */
int64_t bt_runs_cursor_index(const struct bt_runs_model *m);

/* Marks. */
int bt_runs_is_marked(const struct bt_runs_model *m, int64_t id);
void bt_runs_toggle_mark(struct bt_runs_model *m, int64_t id);
void bt_runs_unmark(struct bt_runs_model *m, int64_t id);
void bt_runs_clear_marks(struct bt_runs_model *m);

/*
 * A cell's text for `width` cells (used for progress bars): the age,
 * duration, short sha with '*' when dirty, a metric with 4 decimals, ...
 * "" when the run has no value.  `utf8` chooses block or ASCII bars.
 */
void bt_runs_cell(const struct bt_runs_model *m, const struct bt_runs_row *r, size_t col, int width,
                  int utf8, char *out, size_t n);

/* A column's title ("ACCURACY" for a metric, "STATUS"). */
void bt_runs_col_title(const struct bt_rcol *c, char *out, size_t n);

/*
 * Metric names seen in the most recent runs (for the column picker),
 * most common first.  Caller frees the array and its strings.
 */
int bt_runs_recent_metrics(struct bt_runs_model *m, char ***out, size_t *n);

#endif
