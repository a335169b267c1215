/*
 * drift.c - a plugin with the bugs `benchtop plugin check` exists to
 * catch.  mode=batch (the default) normalises each feature by the mean of
 * the batch it arrives in, so its answers depend on the batch size (the
 * classic batch-statistics-at-inference bug).  mode=random adds a counter
 * shared by every instance, so no two runs agree.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "benchtop/plugin.h"

static atomic_uint calls;

struct drift {
	const struct benchtop_task_info *task;
	int random;
};

static int create(void **instance, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	struct drift *m = calloc(1, sizeof(*m));
	const char *mode;

	*instance = m;
	if (!m || host->param_string(host, "mode", "batch", &mode))
		return -1;
	m->task = task;
	m->random = strcmp(mode, "random") == 0;
	return strcmp(mode, "batch") == 0 || m->random ? 0 : -1;
}

static int predict(void *instance, const struct benchtop_example *ex, size_t n,
                   struct benchtop_prediction *out)
{
	const struct drift *m = instance;
	double mean = 0;

	for (size_t i = 0; i < n; i++)
		mean += ex[i].n_features ? ex[i].features[0] : 0;
	mean /= (double)n;
	for (size_t i = 0; i < n; i++) {
		double v = (ex[i].n_features ? ex[i].features[0] : 0) - (m->random ? 0 : mean);
		if (m->random)
			v += (double)atomic_fetch_add(&calls, 1);
		if (m->task->type == BENCHTOP_TASK_REGRESSION)
			out[i].value = v;
		else
			out[i].label = m->task->labels[v > 0 && m->task->n_labels > 1];
	}
	return 0;
}

static void destroy(void *instance)
{
	free(instance);
}

static const char *last_error(void *instance)
{
	(void)instance;
	return "mode must be batch or random";
}

static const struct benchtop_plugin descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = BENCHTOP_PLUGIN_ABI_MINOR,
        .size = sizeof(struct benchtop_plugin),
        .name = "drift",
        .version = "0.1",
        .description = "Test plugin: results drift with the batch size or the run",
        .flags = BENCHTOP_PLUGIN_THREAD_SAFE | BENCHTOP_PLUGIN_BATCH,
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_REGRESSION),
        .create = create,
        .predict = predict,
        .destroy = destroy,
        .last_error = last_error,
};

const struct benchtop_plugin *benchtop_plugin_entry(void)
{
	return &descriptor;
}
