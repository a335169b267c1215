/*
 * abi10.c - a plugin built against the ABI 1.0 header (tests/plugins/abi10/,
 * which comes first on its include path), as plugins built before ABI 1.1
 * are: its descriptor says 1.0 and it knows nothing of the task info's and
 * host's newer fields.  Generation: answers the example's text input;
 * classification: the first label.
 */
#include <stddef.h>

#include "benchtop/plugin.h"

#if BENCHTOP_PLUGIN_ABI_MINOR != 0
#error "abi10.c must be built against the ABI 1.0 header"
#endif

static int create(void **instance, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	(void)host;
	*instance = (void *)task;
	return 0;
}

static int predict(void *instance, const struct benchtop_example *examples, size_t n,
                   struct benchtop_prediction *out)
{
	const struct benchtop_task_info *task = instance;

	for (size_t i = 0; i < n; i++) {
		if (task->type == BENCHTOP_TASK_CLASSIFICATION)
			out[i].label = task->labels[0];
		else
			out[i].text = examples[i].text ? examples[i].text : "";
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
        .name = "abi10",
        .version = "1.0.0",
        .description = "Test plugin: built against the ABI 1.0 header",
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_GENERATION),
        .create = create,
        .predict = predict,
        .destroy = destroy,
        .last_error = last_error,
};

const struct benchtop_plugin *benchtop_plugin_entry(void)
{
	return &descriptor;
}
