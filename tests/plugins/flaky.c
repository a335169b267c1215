/*
 * flaky.c - a stateless regression plugin (its instance is NULL) that
 * reports an error for every 10th example (index 9, 19, ...) and predicts
 * the sum of the features otherwise: per-example errors must be recorded
 * and counted, not fail the run.
 */
#include <stddef.h>

#include "benchtop/plugin.h"

static int create(void **instance, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	(void)host;
	(void)task;
	*instance = NULL;
	return 0;
}

static int predict(void *instance, const struct benchtop_example *examples, size_t n,
                   struct benchtop_prediction *out)
{
	(void)instance;
	for (size_t i = 0; i < n; i++) {
		double sum = 0;
		if (examples[i].index % 10 == 9) {
			out[i].error = "simulated failure (every 10th example)";
			continue;
		}
		for (size_t j = 0; j < examples[i].n_features; j++)
			if (examples[i].features[j] == examples[i].features[j])
				sum += examples[i].features[j];
		out[i].value = sum;
	}
	return 0;
}

static void destroy(void *instance)
{
	(void)instance;
}

static const char *last_error(void *instance)
{
	(void)instance;
	return NULL;
}

static const struct benchtop_plugin descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = BENCHTOP_PLUGIN_ABI_MINOR,
        .size = sizeof(struct benchtop_plugin),
        .name = "flaky",
        .version = "0.1",
        .description = "Test plugin: fails every 10th example",
        .flags = BENCHTOP_PLUGIN_THREAD_SAFE,
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_REGRESSION),
        .create = create,
        .predict = predict,
        .destroy = destroy,
        .last_error = last_error,
};

const struct benchtop_plugin *benchtop_plugin_entry(void)
{
	return &descriptor;
}
