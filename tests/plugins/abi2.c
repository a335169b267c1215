/*
 * abi2.c - a plugin built for a future plugin ABI (major 2), which this
 * benchtop must refuse with a message saying to upgrade benchtop.  Only
 * the first three fields of a descriptor are stable across majors.
 */
#include "benchtop/plugin.h"

static const struct benchtop_plugin descriptor = {
        .abi_major = 2,
        .abi_minor = 0,
        .size = sizeof(struct benchtop_plugin) + 64,
        .name = "abi2",
        .version = "2.0",
        .description = "Test plugin: built for plugin ABI 2",
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION),
};

const struct benchtop_plugin *benchtop_plugin_entry(void)
{
	return &descriptor;
}
