/*
 * isolate.h - running a model plugin in worker processes, so that a crash,
 * a hang, a call to exit() or a runaway allocation costs one example and
 * not the run.
 *
 * A pool has one lane per harness thread; each lane owns at most one
 * worker process at a time (`benchtop __worker`, started with posix_spawn:
 * no fork of a process that has run OpenMP, see TRAPS.md), fed batches of
 * examples over a pipe (wire.h).  When a worker dies or times out in a
 * batch, the lane kills it and retries the batch one example at a time
 * with fresh workers, so the blame lands on the exact example, recorded
 * with its cause: "signal 11 (SIGSEGV)", "timeout after 5s",
 * "exit status 3", "out of memory (limit 256M)".
 *
 * The worker side is bt_worker_main(), run by the hidden command.
 */
#ifndef BT_ISOLATE_H
#define BT_ISOLATE_H

#include <stddef.h>
#include <stdint.h>

#include "benchtop/plugin.h"
#include "plugin-host.h"

struct bt_pool_opts {
	const char *plugin_path; /* resolved path of the plugin file */
	const struct bt_params *params;
	const struct benchtop_task_info *task;
	const struct benchtop_example *train; /* with targets */
	size_t n_train;
	double timeout;      /* seconds per predict call; <= 0: none */
	uint64_t max_memory; /* bytes of address space per worker; 0: no limit */
	void (*log)(void *payload, enum benchtop_log_level level, const char *message);
	void *log_payload;
	/* The task's prompt for host->prompt (NULL: the default, see plugin-host.h). */
	const struct bt_prompt *prompt;
	/*
	 * Files the model recorded (host->record_file) in any worker, as the
	 * worker hashed them; called from the lane's thread, so it must be
	 * thread-safe.  NULL: ignored.
	 */
	int (*record)(void *payload, const char *key, const char *sha256);
	void *record_payload;
};

struct bt_pool;

/*
 * Prepare a pool with `lanes` lanes.  Workers start on first use; the
 * first one is started here, so that a plugin that cannot be created or
 * trained fails at once with its own message (BT_EPLUGIN).
 */
int bt_pool_start(struct bt_pool **out, const struct bt_pool_opts *o, int lanes);

/*
 * The outcome of one example: `p` is its prediction, or NULL when the
 * example failed, with `error` saying why.  `latency` is its share of the
 * predict call's time in the worker.  `annotation` is what the plugin
 * attached to it (bt_instance_annotation()), or NULL.
 */
typedef void (*bt_pool_cb)(void *payload, size_t i, const struct benchtop_prediction *p,
                           const char *error, double latency, const char *annotation);

/*
 * Predict ex[0..n) on lane `lane` (one thread per lane), calling `cb` for
 * each example in order.  Returns 0, or a negative status when the pool
 * itself failed (a worker that cannot even start).
 */
int bt_pool_predict(struct bt_pool *pool, int lane, const struct benchtop_example *ex, size_t n,
                    bt_pool_cb cb, void *payload);

/* Stop every worker and free the pool. */
void bt_pool_stop(struct bt_pool *pool);

/* The worker process's main loop: requests on in_fd, replies on out_fd. */
int bt_worker_main(int in_fd, int out_fd);

#endif
