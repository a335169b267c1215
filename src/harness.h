/*
 * harness.h - evaluating a suite against a model plugin and recording it.
 *
 * One call does the whole job: read and check the suite and all of its
 * data, load the plugin, then (and only then, so bad input writes nothing)
 * create the run tagged with the git state, and for each task create and
 * fit instances, predict every test example in parallel (OpenMP), store
 * every prediction as a sample in batched transactions, compute metrics
 * with confidence intervals, and finish the run.  A failure after the run
 * exists marks it failed with the reason; a cancellation marks it
 * interrupted after flushing what was done.
 *
 * The harness never prints: progress and log lines go to callbacks.
 */
#ifndef BT_HARNESS_H
#define BT_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "benchtop/plugin.h"
#include "plugin-host.h"
#include "fetch.h"
#include "store.h"

/* Progress of the task being evaluated, reported a few times a second. */
struct bt_progress {
	const char *task;
	size_t task_index, ntasks;
	size_t done, total; /* examples of this task */
	size_t errors;
	double elapsed; /* seconds since the task's predictions started */
	int phase;      /* BT_PHASE_* */
};

enum {
	BT_PHASE_FIT = 1,     /* training (done/total not meaningful) */
	BT_PHASE_PREDICT = 2, /* predicting */
	BT_PHASE_METRICS = 3, /* computing metrics */
	BT_PHASE_DONE = 4,    /* the task is finished */
};

struct bt_harness_opts {
	const char *suite_path;
	const char *plugin; /* name or path, see plugin-host.h */
	const struct bt_params *params;
	int threads;              /* 0: the number of processors */
	size_t batch_size;        /* 0: the plugin's preference (1 for non-batch plugins) */
	size_t limit;             /* 0: the suite's own limit */
	const char *const *tasks; /* only these tasks (NULL: all) */
	size_t ntasks;
	uint64_t seed;
	int has_seed;
	const char *name;
	const char *const *tags;
	size_t ntags;
	int no_samples;     /* do not store per-example samples */
	int64_t max_errors; /* fail the run past this many errored examples; < 0: no limit */
	uint32_t shard_index, shard_count; /* shard_count 0: no sharding */
	const char *shard_group;
	const char *command_json; /* the command line, as a JSON array */
	/*
	 * Resume this run (an interrupted or failed one): only examples without
	 * a sample are predicted, with the same suite data, plugin, params and
	 * seed (checked), and metrics are computed over all of them.
	 */
	int64_t resume_id;
	/*
	 * Take the database's lock for this suite x model first (lock.h): with
	 * lock_wait 0 a held lock fails at once with BT_EBUSY, > 0 waits that
	 * many seconds, < 0 waits as long as it takes.
	 */
	int lock;
	double lock_wait;
	/* How to fetch data a suite names by URL (NULL: defaults, no progress). */
	const struct bt_fetch_opts *fetch;
	int no_isolate;      /* run the plugin in this process (for debugging) */
	double timeout;      /* isolated: seconds per predict call; <= 0 none */
	uint64_t max_memory; /* isolated: address-space limit per worker; 0 none */
	const char *cwd;

	/* Callbacks (any may be NULL), called from any thread. */
	void (*progress)(void *payload, const struct bt_progress *p);
	void (*log)(void *payload, enum benchtop_log_level level, const char *message);
	void *payload;
	const volatile int *cancel; /* becomes non-zero on SIGINT/SIGTERM */
};

struct bt_harness_result {
	int64_t run_id;
	char uuid[37];
	int status; /* final bt_run_status */
	size_t examples;
	size_t errors;
};

/*
 * Run the evaluation.  Returns 0 when the run finished; BT_EFAIL when it
 * failed its own criteria (--max-errors); BT_EINTR when cancelled (the run
 * is then `interrupted`); other negative statuses for input and runtime
 * errors.  `out->run_id` is set whenever a run was created.
 */
int bt_harness_run(struct bt_store *s, const struct bt_harness_opts *o,
                   struct bt_harness_result *out);

/*
 * Recompute the metrics, intervals and confusion matrices of run `run_id`
 * from its samples, exactly as bt_harness_run computes them (same suite
 * options, seed and example order), and store them.  Used to combine the
 * shards of one evaluation (merge.h).  The suite file and its data must be
 * readable (`fetch` may be NULL); every example of each task must have a
 * sample, else BT_EINPUT.
 */
int bt_harness_recompute(struct bt_store *s, int64_t run_id, const struct bt_fetch_opts *fetch);

#endif
