/*
 * failcreate.c - a plugin whose create always fails, to test that the
 * host reports the plugin's own reason.  With -p mode=log it fails the
 * other documented way: no instance, the reason logged as an error.
 */
#include <stdlib.h>
#include <string.h>

#include "benchtop/plugin.h"

struct inst {
	const char *error;
};

static int create(void **instance, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	const char *mode;
	struct inst *m;

	(void)task;
	*instance = NULL;
	if (host->param_string(host, "mode", "message", &mode))
		return -1;
	if (strcmp(mode, "log") == 0) {
		host->log(host, BENCHTOP_LOG_ERROR, "no licence server at %s", "localhost:27000");
		return -1;
	}
	m = malloc(sizeof(*m));
	if (!m)
		return -1;
	m->error = "model weights 'weights.bin' are missing";
	*instance = m;
	return -1;
}

static int predict(void *instance, const struct benchtop_example *examples, size_t n,
                   struct benchtop_prediction *out)
{
	(void)instance;
	(void)examples;
	(void)n;
	(void)out;
	return -1;
}

static void destroy(void *instance)
{
	free(instance);
}

static const char *last_error(void *instance)
{
	const struct inst *m = instance;

	return m ? m->error : NULL;
}

static const struct benchtop_plugin descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = BENCHTOP_PLUGIN_ABI_MINOR,
        .size = sizeof(struct benchtop_plugin),
        .name = "failcreate",
        .version = "0.1",
        .description = "Test plugin: create always fails",
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION),
        .create = create,
        .predict = predict,
        .destroy = destroy,
        .last_error = last_error,
};

const struct benchtop_plugin *benchtop_plugin_entry(void)
{
	return &descriptor;
}
