/*
 * suite.h - benchmark suites: the YAML file (benchtop-suite(5)), its tasks,
 * and a task prepared for evaluation (examples built from the data, targets
 * checked, labels collected).
 *
 * Parsing validates everything that can be validated without reading data
 * (keys, types, task types, metric names, options) and reports each problem
 * as "file:line:col: message", with "did you mean" for misspelt keys.
 * Preparing a task reads its data (data.h) and validates it against the
 * task.  Nothing here runs a model or touches the results store.
 */
#ifndef BT_SUITE_H
#define BT_SUITE_H

#include <stddef.h>
#include <stdint.h>

#include "benchtop/plugin.h"
#include "data.h"
#include "prompt.h"

/* Where something was declared in the suite file (1-based; 0 when unknown). */
struct bt_srcpos {
	int line, col;
};

/*
 * A data file: local `path`, or `url` with its `sha256` (fetched into a
 * cache).  With both, `path` is kept only when that file exists; a fetcher
 * sets `path` to the verified file it fetched.
 */
struct bt_data_ref {
	char *path;   /* resolved against the suite's directory; NULL when only a URL */
	char *url;    /* NULL for local files */
	char *sha256; /* lower-case hex; required with url; checked for local files too */
	/*
	 * The `format:` given, else the one the path's (or the URL's) name
	 * implies; never BT_DATA_AUTO after loading, so a file cached under its
	 * hash is still read right.
	 */
	enum bt_data_format format;
	struct bt_srcpos pos;
};

/* A per-metric regression gate for `benchtop check` (optional). */
struct bt_gate {
	char *metric;
	int direction;          /* +1 higher is better, -1 lower is better, 0 the metric's own */
	double min_delta;       /* absolute; NaN when unset */
	int min_delta_relative; /* min_delta is a fraction of the baseline */
	double alpha;           /* NaN when unset */
	struct bt_srcpos pos;
};

struct bt_task_spec {
	char *name;
	enum benchtop_task_type type;
	struct bt_data_ref test;
	struct bt_data_ref train; /* train.path and train.url NULL when absent */
	char **inputs; /* input fields; none listed (n_inputs 0): every field but target, id and choices */
	size_t n_inputs;
	char *target;   /* target field (retrieval: list of relevant ids) */
	char *id_field; /* NULL: use "id" when present, else the row number */
	char *choices;  /* multiple_choice: the field holding the list of choices */
	char **labels;  /* classification: declared label set (optional) */
	size_t n_labels;
	char **metrics; /* as listed, else the type's defaults (retrieval: with @k): never empty */
	size_t n_metrics;
	/* options */
	int bootstrap; /* resamples; default 1000, 0 disables intervals */
	uint64_t seed; /* default 0 */
	int has_seed;
	size_t limit;    /* evaluate at most this many test examples; 0 all */
	size_t few_shot; /* train examples shown with each test example */
	int normalize;   /* generation: normalise text before exact match (default 1) */
	int k;           /* retrieval: cutoff for recall@k and nDCG@k (default 10) */
	/* what a language model is given (benchtop-suite(5), plugin ABI 1.1) */
	char *prompt;            /* the template; NULL: the default for the inputs (prompt.h) */
	char *fewshot_delimiter; /* never NULL: "\n\n" unless given */
	char *target_delimiter;  /* never NULL: " " unless given */
	char **stop;             /* stop sequences, none unless given */
	size_t n_stop;
	size_t max_tokens; /* 0: left to the model */
	struct bt_gate *gates;
	size_t n_gates;
	char *description;
	struct bt_srcpos pos; /* the task's mapping */
	/* where fields were named, for errors found when the data is read */
	struct bt_srcpos name_pos, target_pos, id_pos, choices_pos, labels_pos, few_shot_pos,
	        prompt_pos;
	struct bt_srcpos *inputs_pos; /* n_inputs */
};

struct bt_suite {
	char *path; /* as given */
	char *dir;  /* its directory, for resolving data paths */
	char *name;
	char *version;
	char *description;
	struct bt_task_spec *tasks;
	size_t ntasks;
	struct bt_gate *gates; /* suite-wide gates, applying to every task */
	size_t n_gates;
};

/*
 * Parse and validate a suite file.  BT_EINPUT with "file:line:col: ..." on
 * the first problem; BT_ENOTFOUND when the file is missing.
 */
int bt_suite_load(struct bt_suite **out, const char *path);
/*
 * The same for a suite already in memory (`len` bytes of `text`, which
 * need not end in a NUL): `path` names it in messages and its directory
 * is where relative data paths resolve.  Data files are still looked at.
 */
int bt_suite_load_mem(struct bt_suite **out, const char *path, const char *text, size_t len);
void bt_suite_free(struct bt_suite *s);

/* Index of a task by name, or -1. */
int bt_suite_task(const struct bt_suite *s, const char *name);

/*
 * The suite hash, so runs are only compared on identical data: the sha256
 * of a text made of one line per file, "<sha256 of the file's bytes>\n",
 * first the suite file, then each task's test and (when it has one) train
 * data, tasks in order.  A remote file not fetched yet counts with the
 * sha256 the suite declares for it (a fetched file is verified against
 * it); a local file with a declared sha256 must match it.
 */
int bt_suite_hash(const struct bt_suite *s, char out[65]);

/* The metrics a task type computes when the suite lists none. */
const char *const *bt_task_default_metrics(enum benchtop_task_type type, size_t *n);
const char *bt_task_type_name(enum benchtop_task_type type);
int bt_task_type_parse(const char *name); /* -1 when unknown */

/* Options for preparing a task. */
struct bt_task_opts {
	size_t limit; /* overrides the suite's limit when > 0 */
	/*
	 * Sharding: keep only test examples whose id hashes to shard_index
	 * modulo shard_count (shard_count 0: no sharding).  Stable across runs.
	 */
	uint32_t shard_index, shard_count;
	uint64_t seed; /* the run's seed, handed to plugins in the task info */
};

/*
 * A task ready to run: its test examples (targets withheld, in
 * test_targets), its train examples (targets attached), and the task info
 * a plugin's create receives.
 */
struct bt_task {
	const struct bt_suite *suite;
	const struct bt_task_spec *spec;
	struct benchtop_task_info info;
	struct bt_split test_split, train_split;
	struct benchtop_example *test;        /* n_test examples, target == NULL */
	struct benchtop_target *test_targets; /* n_test */
	size_t n_test;
	uint64_t *test_index; /* n_test: each example's position in the unsharded test split */
	struct benchtop_example *train; /* n_train examples, targets attached */
	size_t n_train;
	char **labels; /* classification: declared, else sorted unique train+test labels */
	size_t n_labels;
	struct bt_prompt prompt; /* the spec's template (or the default) and delimiters */
	struct bt_arena arena;
};

/*
 * Read a task's data and build its examples.  Errors name file:line:col:
 * a missing or non-numeric target (regression), a label outside the
 * declared set, a missing field, a non-finite number in a numeric input,
 * duplicate example ids (naming both lines), choices that are not a list,
 * an empty split, a prompt placeholder that names no input field (at the
 * `prompt` option).
 */
int bt_task_prepare(struct bt_task *out, const struct bt_suite *suite, size_t task_index,
                    const struct bt_task_opts *opts);
void bt_task_release(struct bt_task *t);

/*
 * The input fields of an example as one JSON object (the host's
 * example_json service).  Valid until the next call from the same thread.
 */
const char *bt_task_example_json(const struct benchtop_example *ex);

#endif
