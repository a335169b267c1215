/*
 * echo.c - a plugin that shows what the host gave it, for testing the
 * host table: params s (string, default "dflt"), i (int, 7), d (double,
 * 0.5) and b (bool, false), read in create and logged at INFO.
 *
 *   regression   value = i + d + 100 b, plus 1000 once the run is cancelled
 *   generation   text = host->example_json() of the example
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchtop/plugin.h"

struct echo {
	const struct benchtop_host *host;
	const struct benchtop_task_info *task;
	const char *s;
	int64_t i;
	double d;
	int b;
	char **texts; /* the last predict's, freed by the next */
	size_t n_texts;
};

static int create(void **instance, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	struct echo *m = calloc(1, sizeof(*m));
	int bad;

	*instance = m;
	if (!m)
		return -1;
	m->host = host;
	m->task = task;
	/* Every getter is called even after a failure, so all are known. */
	bad = host->param_string(host, "s", "dflt", &m->s);
	bad |= host->param_int(host, "i", 7, &m->i);
	bad |= host->param_double(host, "d", 0.5, &m->d);
	bad |= host->param_bool(host, "b", 0, &m->b);
	host->log(host, BENCHTOP_LOG_INFO, "created with s=%s i=%lld d=%g b=%d", m->s,
	          (long long)m->i, m->d, m->b);
	return bad ? -1 : 0;
}

static void free_texts(struct echo *m)
{
	for (size_t i = 0; i < m->n_texts; i++)
		free(m->texts[i]);
	free(m->texts);
	m->texts = NULL;
	m->n_texts = 0;
}

static int predict(void *instance, const struct benchtop_example *ex, size_t n,
                   struct benchtop_prediction *out)
{
	struct echo *m = instance;

	free_texts(m);
	if (m->task->type == BENCHTOP_TASK_GENERATION) {
		m->texts = calloc(n + 1, sizeof(*m->texts));
		if (!m->texts)
			return -1;
		m->n_texts = n;
	}
	for (size_t i = 0; i < n; i++) {
		if (m->task->type == BENCHTOP_TASK_REGRESSION) {
			out[i].value = (double)m->i + m->d + 100.0 * m->b +
			               (m->host->cancelled(m->host) ? 1000.0 : 0.0);
		} else {
			/* example_json's string lasts until this thread's next call: copy it. */
			m->texts[i] = strdup(m->host->example_json(m->host, &ex[i]));
			out[i].text = m->texts[i];
		}
	}
	return 0;
}

static void destroy(void *instance)
{
	free_texts(instance);
	free(instance);
}

static const char *last_error(void *instance)
{
	(void)instance;
	return "a param did not parse";
}

static const struct benchtop_plugin descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = BENCHTOP_PLUGIN_ABI_MINOR,
        .size = sizeof(struct benchtop_plugin),
        .name = "echo",
        .version = "0.1",
        .description = "Test plugin: echoes params and examples",
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_REGRESSION) |
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
