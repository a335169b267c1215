/*
 * plugin-check.h - exercising a model plugin on generated data (`benchtop
 * plugin check`) and listing the plugins on the search path (`benchtop
 * plugin ls`).
 *
 * The check builds a small, deterministic task of each type the plugin
 * claims and runs the plugin through create, fit, predict and destroy,
 * validating every prediction against the ABI's rules, then looks for the
 * failures that make scores irreproducible: answers that change between
 * two runs, with the batch size, or when threads share one instance.
 * Nothing here prints: each check's outcome goes to a callback.
 */
#ifndef BT_PLUGIN_CHECK_H
#define BT_PLUGIN_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "benchtop/plugin.h"
#include "plugin-host.h"

/*
 * A generated task: train and test examples with their targets.  The
 * data (documented in benchtop-plugin(1)):
 *   classification   labels "a", "b", "c": three well-separated Gaussian
 *                    blobs in 4 numeric fields x0..x3 (one test value missing)
 *   regression       y = 2 x0 - 3 x1 + 0.5 x2 + 1 + small noise, fields x0..x2
 *   generation       field "question" asking what a made-up word means; the
 *                    target is the word it is paired with in train
 *   multiple_choice  field "question" plus 4 choices, one the paired word
 *   retrieval        train records are documents "doc-N" (field "text");
 *                    each test query (field "query") has one relevant document
 * Test example ids are "ex-0", "ex-1", ...; train ids "train-0", ... (retrieval:
 * "doc-0", ...).  The same seed always gives the same data.  The task info's
 * target delimiter is " "; generation's stop sequence is "\n" and its
 * max_tokens 32 (none for the other types).
 */
struct bt_check_data {
	struct benchtop_task_info info;
	struct benchtop_example *train, *test;
	struct benchtop_target *train_targets, *test_targets;
	size_t n_train, n_test;
	/* everything above points into these */
	char **strings;
	size_t n_strings, cap_strings;
	void **blocks;
	size_t n_blocks, cap_blocks;
};

/* Generate a task of `type`.  Never fails (allocation aborts). */
struct bt_check_data *bt_check_data_make(enum benchtop_task_type type, uint64_t seed);
void bt_check_data_free(struct bt_check_data *d);

/*
 * How good the predictions out[0..n_test) are: accuracy (classification,
 * multiple_choice), R² (regression), exact match (generation), mean
 * reciprocal rank (retrieval).  Examples with an error count as wrong.
 */
double bt_check_data_score(const struct bt_check_data *d, const struct benchtop_prediction *out);
/* The name of that score: "accuracy", "r2", "exact_match" or "mrr". */
const char *bt_check_score_name(enum benchtop_task_type type);

/*
 * Why a prediction breaks the ABI's rules for the task (a label outside
 * the set, scores of the wrong length or not a distribution when they look
 * like one, a non-finite value, no text, a choice out of range, an empty
 * or repeating ranking, ...) as a new string, or NULL when it is valid.
 * Per-example errors (pred->error) are not judged here.
 */
char *bt_check_prediction(const struct bt_check_data *d, const struct benchtop_example *ex,
                          const struct benchtop_prediction *pred);

enum bt_check_status {
	BT_CHECK_OK,
	BT_CHECK_FAIL,
	BT_CHECK_SKIP, /* does not apply (e.g. threads for a plugin not thread-safe) */
};

/* One check's outcome, valid for the duration of the callback. */
struct bt_check_item {
	enum benchtop_task_type task;
	const char *check; /* "create", "fit", "predict", "untrained", "repeat",
	                      "fresh instance", "batch size", "threads" */
	enum bt_check_status status;
	const char *detail; /* what was found: a reason for FAIL, figures for OK */
};

struct bt_check_opts {
	const struct bt_params *params;
	uint32_t tasks; /* BENCHTOP_TASK_BIT()s to check; 0: every type the plugin does */
	int threads;    /* threads sharing one instance in the threads check; 0: 4 */
	uint64_t seed;  /* for the generated data */
	const struct bt_host_config *cfg;
};

/*
 * Run every check for each task type, calling `fn` as each finishes.
 * Returns 0 when the checks ran, with *failed the number that failed;
 * BT_EUSAGE when a requested type is not one the plugin does or when the
 * params are wrong for it (unknown, or a value that does not parse) -
 * nothing can be checked then.
 */
int bt_plugin_check(struct bt_plugin *p, const struct bt_check_opts *opts,
                    void (*fn)(const struct bt_check_item *item, void *payload), void *payload,
                    size_t *failed);

/* A plugin file found on the search path. */
struct bt_plugin_listing {
	char *name; /* as `-m NAME` would find it */
	char *path;
	int shadowed; /* an earlier directory has a plugin of the same name */
	char *error;  /* why it does not load, or NULL */
	/* from the descriptor, when it loads */
	char *version, *description;
	uint32_t abi_major, abi_minor, flags, tasks;
};

/*
 * Every *.so in the search path (bt_plugin_search_path()), each loaded to
 * read its descriptor, in search order and by name within a directory.
 * A file that does not load is listed with its error.
 */
int bt_plugin_list(struct bt_plugin_listing **out, size_t *n);
void bt_plugin_list_free(struct bt_plugin_listing *l, size_t n);

/* "classification", ... and back (-1 when unknown). */
const char *bt_check_task_name(enum benchtop_task_type type);
int bt_check_task_parse(const char *name);
/* The flags as words: "thread_safe,batch,needs_train" ("none" for 0); caller frees. */
char *bt_plugin_flags_string(uint32_t flags);

#endif
