/*
 * model-samples.h - the samples view's model: every example of one task of
 * one run, optionally only the wrong ones or only those that failed, in a
 * window fetched by keyset pagination on the example's index (the samples
 * table's primary key), so a task of a million examples scrolls like one
 * of ten.  Queries finish inside each call.  No curses.
 */
#ifndef BT_TUI_MODEL_SAMPLES_H
#define BT_TUI_MODEL_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum bt_samples_mode {
	BT_SAMPLES_ALL,
	BT_SAMPLES_WRONG,  /* correct = 0 */
	BT_SAMPLES_ERRORS, /* no prediction: the model failed on it */
};

struct bt_sample {
	int64_t idx;
	char *example_id, *prediction, *target, *error; /* raw; NULL when absent */
	int correct;                                    /* 1, 0, or -1 when unknown */
	double score, latency;                          /* NaN when absent */
};

struct bt_samples_model {
	struct bt_store *store;
	int64_t run_id, task_id;
	char *task, *type;
	int64_t n_examples, n_errors;
	enum bt_samples_mode mode;

	struct bt_sample *rows;
	size_t n, cap, cur, top, page, max_rows;
	int more_before, more_after;
	int64_t count; /* matching samples in this mode; -1 until counted */
};

/*
 * Open the samples of task `task` of run `run_id`.  BT_ENOTFOUND when the
 * run has no such task.
 */
int bt_samples_open(struct bt_samples_model **out, struct bt_store *s, int64_t run_id,
                    const char *task);
void bt_samples_free(struct bt_samples_model *m);

/* Change the mode (does not fetch). */
void bt_samples_set_mode(struct bt_samples_model *m, enum bt_samples_mode mode);

/* Fetch the first page; the last page; re-read from the first visible row. */
int bt_samples_load_first(struct bt_samples_model *m);
int bt_samples_load_last(struct bt_samples_model *m);
int bt_samples_reload(struct bt_samples_model *m);
int bt_samples_count(struct bt_samples_model *m);

/* Move the cursor by `delta`, fetching as needed, keeping it within `height` rows. */
int bt_samples_move(struct bt_samples_model *m, int64_t delta, int height);
void bt_samples_scroll(struct bt_samples_model *m, int height);

const struct bt_sample *bt_samples_current(const struct bt_samples_model *m);

#endif
