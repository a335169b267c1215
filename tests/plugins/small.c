/*
 * small.c - a plugin whose descriptor is smaller than ABI 1.0's: the host
 * must refuse it after reading only the fields every descriptor has.
 */
#include <stddef.h>
#include <stdint.h>

#include "benchtop/plugin.h"

/* A truncated descriptor: the stable head and a name, nothing else. */
struct short_descriptor {
	uint32_t abi_major, abi_minor;
	size_t size;
	const char *name;
};

static const struct short_descriptor descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = 0,
        .size = sizeof(struct short_descriptor),
        .name = "small",
};

const struct benchtop_plugin *benchtop_plugin_entry(void)
{
	return (const struct benchtop_plugin *)(const void *)&descriptor;
}
