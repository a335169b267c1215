/*
 * crashy.c - a test plugin that misbehaves the way real model code does,
 * to prove that isolation costs exactly the example responsible.
 *
 *   -p mode=segv|abort|bus|exit|hang|oom|none   what to do on a bad example
 *   -p every=N    misbehave on examples whose index % N == N - 1 (default 100)
 *   -p at=I       misbehave on the example with index I only (overrides every)
 *   -p delay_ms=D sleep D milliseconds per example (to have time to kill a run)
 *   -p noise=true predict the sum plus 0.1 sin(index) (regression) and the label
 *                 of index modulo the number of labels (classification), so that
 *                 metrics are not trivial
 *
 * Otherwise it predicts the sum of the features (regression) or the first
 * label (classification).  It is thread-safe and batches, so a bad example
 * takes a whole batch down with it and the harness must find the culprit.
 */
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchtop/plugin.h"

struct crashy {
	char mode[16];
	int64_t every, at, delay_ms;
	int noise;
	const struct benchtop_task_info *task;
};

static int create(void **instance, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	struct crashy *c = calloc(1, sizeof(*c));
	const char *mode;

	if (!c)
		return 1;
	*instance = c;
	c->task = task;
	if (host->param_string(host, "mode", "none", &mode) ||
	    host->param_int(host, "every", 100, &c->every) ||
	    host->param_int(host, "at", -1, &c->at) ||
	    host->param_int(host, "delay_ms", 0, &c->delay_ms) ||
	    host->param_bool(host, "noise", 0, &c->noise))
		return 1;
	strncpy(c->mode, mode, sizeof(c->mode) - 1);
	if (c->every < 1)
		c->every = 1;
	return 0;
}

static int bad(const struct crashy *c, uint64_t index)
{
	if (c->at >= 0)
		return index == (uint64_t)c->at;
	return index % (uint64_t)c->every == (uint64_t)c->every - 1;
}

static void misbehave(const struct crashy *c)
{
	if (!strcmp(c->mode, "segv")) {
		/*
		 * A real invalid access where the build allows one; in sanitizer
		 * builds UBSan would stop at the null store first, so the signal
		 * is raised the way the kernel would deliver it.
		 */
#if defined(__SANITIZE_ADDRESS__)
		raise(SIGSEGV);
#else
		volatile int *p = NULL;
		*p = 1;
#endif
	} else if (!strcmp(c->mode, "abort")) {
		abort();
	} else if (!strcmp(c->mode, "bus")) {
		raise(SIGBUS);
	} else if (!strcmp(c->mode, "exit")) {
		exit(3);
	} else if (!strcmp(c->mode, "hang")) {
		for (;;)
			pause();
	} else if (!strcmp(c->mode, "oom")) {
		/* Allocate and touch without bound, as a runaway model does. */
		for (;;) {
			char *p = malloc(16 << 20);
			if (!p)
				abort();
			memset(p, 1, 16 << 20);
		}
	}
}

static int predict(void *instance, const struct benchtop_example *examples, size_t n,
                   struct benchtop_prediction *out)
{
	struct crashy *c = instance;

	for (size_t i = 0; i < n; i++) {
		double sum = 0;
		if (bad(c, examples[i].index))
			misbehave(c);
		if (c->delay_ms > 0)
			usleep((useconds_t)c->delay_ms * 1000);
		for (size_t j = 0; j < examples[i].n_features; j++)
			if (examples[i].features[j] == examples[i].features[j])
				sum += examples[i].features[j];
		out[i].value = c->noise ? sum + 0.1 * sin((double)examples[i].index) : sum;
		if (c->task->n_labels)
			out[i].label =
			        c->task->labels[c->noise ? examples[i].index % c->task->n_labels
			                                 : 0];
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
	return "crashy: bad params";
}

static const struct benchtop_plugin descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = BENCHTOP_PLUGIN_ABI_MINOR,
        .size = sizeof(struct benchtop_plugin),
        .name = "crashy",
        .version = "0.1",
        .description = "Test plugin: crashes, hangs, exits or eats memory on chosen examples",
        .flags = BENCHTOP_PLUGIN_THREAD_SAFE | BENCHTOP_PLUGIN_BATCH,
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_REGRESSION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION),
        .preferred_batch = 64,
        .create = create,
        .predict = predict,
        .destroy = destroy,
        .last_error = last_error,
};

BENCHTOP_PLUGIN_EXPORT const struct benchtop_plugin *benchtop_plugin_entry(void)
{
	return &descriptor;
}
