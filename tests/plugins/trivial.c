/*
 * trivial.c - the smallest useful plugin: every example gets the task's
 * first label.  The harness benchmark uses it to measure benchtop itself,
 * so it must cost next to nothing: no allocation, no state but the task.
 */
#include <stddef.h>

#include "benchtop/plugin.h"

static int create(void **instance, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	(void)host;
	/* The task info outlives the instance: it is all the state needed. */
	*instance = (void *)task;
	return task->n_labels > 0 ? 0 : -1;
}

static int predict(void *instance, const struct benchtop_example *examples, size_t n,
                   struct benchtop_prediction *out)
{
	const struct benchtop_task_info *task = instance;

	(void)examples;
	for (size_t i = 0; i < n; i++)
		out[i].label = task->labels[0];
	return 0;
}

static void destroy(void *instance)
{
	(void)instance;
}

static const char *last_error(void *instance)
{
	const struct benchtop_task_info *task = instance;

	return task && task->n_labels == 0 ? "the task has no labels" : NULL;
}

static const struct benchtop_plugin descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = BENCHTOP_PLUGIN_ABI_MINOR,
        .size = sizeof(struct benchtop_plugin),
        .name = "trivial",
        .version = "1.0.0",
        .description = "Predicts the first label (for benchmarking the harness)",
        .flags = BENCHTOP_PLUGIN_THREAD_SAFE | BENCHTOP_PLUGIN_BATCH,
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION),
        .preferred_batch = 4096,
        .create = create,
        .predict = predict,
        .destroy = destroy,
        .last_error = last_error,
};

const struct benchtop_plugin *benchtop_plugin_entry(void)
{
	return &descriptor;
}
