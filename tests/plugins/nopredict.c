/*
 * nopredict.c - a descriptor of the right size that lacks a required
 * callback (predict): the host must refuse it by name.
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
        .name = "nopredict",
        .version = "0.1",
        .description = "Test plugin: no predict callback",
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION),
        .create = create,
        .destroy = destroy,
        .last_error = last_error,
};

const struct benchtop_plugin *benchtop_plugin_entry(void)
{
	return &descriptor;
}
