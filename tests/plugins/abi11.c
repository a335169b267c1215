/*
 * abi11.c - a test plugin that uses every service of plugin ABI 1.1, so
 * the CLI tests can see what the host does with each:
 *
 *   create    lists the params given (host->param_keys) without reading
 *             them, reads `file` and `key` (default "model.sha256") and
 *             records the file (host->record_file), and leaves a file
 *             "touched" in its cache directory (host->cache_dir)
 *   predict   answers with the example's prompt (host->prompt): the text
 *             for generation, the first label, choice 0 or 0.0 otherwise;
 *             and annotates every example (host->annotate) with its
 *             prompt, the param keys, the task's stop/target_delimiter/
 *             max_tokens, and "refusals": "ok" when the host refused an
 *             example outside the call, invalid JSON and a reserved key
 *
 * For the tests' failure cases, from the environment (which workers
 * inherit): $BT_ABI11_FAIL_TASK names a task whose create fails, and
 * $BT_ABI11_UNSTABLE makes each create record a file of its own making
 * with different contents, as a model file changing under a run would.
 *
 * Not thread-safe: one instance per thread, batches of 4.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchtop/plugin.h"

struct m {
	const struct benchtop_host *host;
	const struct benchtop_task_info *task;
	char *keys_json, *task_json;
	char **texts; /* the last predict's answers */
	size_t n_texts;
	char error[256];
};

/* A growable string, enough for this plugin's JSON. */
struct str {
	char *p;
	size_t n, cap;
};

static void put(struct str *s, const char *t, size_t n)
{
	if (s->n + n + 1 > s->cap) {
		s->cap = (s->n + n + 1) * 2;
		s->p = realloc(s->p, s->cap);
		if (!s->p)
			abort();
	}
	memcpy(s->p + s->n, t, n);
	s->n += n;
	s->p[s->n] = '\0';
}

static void puts_(struct str *s, const char *t)
{
	put(s, t, strlen(t));
}

static void put_json_string(struct str *s, const char *t)
{
	puts_(s, "\"");
	for (; *t; t++) {
		unsigned char c = (unsigned char)*t;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(s, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			puts_(s, esc);
		} else {
			put(s, (const char *)&c, 1);
		}
	}
	puts_(s, "\"");
}

static int create(void **instance, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	struct m *m = calloc(1, sizeof(*m));
	struct str s = {0};
	const char *const *keys;
	const char *file, *key, *dir;
	size_t n, i;
	int bad;

	*instance = m;
	if (!m)
		return -1;
	m->host = host;
	m->task = task;
	if (!BENCHTOP_HOST_HAS(host, cache_dir) || !BENCHTOP_TASK_HAS(task, max_tokens)) {
		snprintf(m->error, sizeof(m->error), "this host does not have ABI 1.1");
		return -1;
	}
	/* Listed, not read: the host still reports the ones never read. */
	n = host->param_keys(host, &keys);
	puts_(&s, "[");
	for (i = 0; i < n; i++) {
		if (i)
			puts_(&s, ",");
		put_json_string(&s, keys[i]);
	}
	puts_(&s, "]");
	m->keys_json = s.p;

	memset(&s, 0, sizeof(s));
	puts_(&s, "{\"stop\":[");
	for (i = 0; i < task->n_stop; i++) {
		if (i)
			puts_(&s, ",");
		put_json_string(&s, task->stop[i]);
	}
	puts_(&s, "],\"target_delimiter\":");
	put_json_string(&s, task->target_delimiter ? task->target_delimiter : "(null)");
	{
		char num[32];
		snprintf(num, sizeof(num), ",\"max_tokens\":%zu}", task->max_tokens);
		puts_(&s, num);
	}
	m->task_json = s.p;

	bad = host->param_string(host, "file", NULL, &file);
	bad |= host->param_string(host, "key", "model.sha256", &key);
	if (bad)
		return -1;
	if (getenv("BT_ABI11_FAIL_TASK") && strcmp(getenv("BT_ABI11_FAIL_TASK"), task->name) == 0) {
		snprintf(m->error, sizeof(m->error), "told to fail on task '%s'", task->name);
		return -1;
	}
	dir = host->cache_dir(host);
	if (getenv("BT_ABI11_UNSTABLE") && dir) {
		static int creates;
		char path[4096];
		FILE *f;
		snprintf(path, sizeof(path), "%s/unstable-%ld-%d", dir, (long)getpid(), ++creates);
		f = fopen(path, "w");
		if (f) {
			fprintf(f, "%s\n", path);
			fclose(f);
		}
		file = path;
		if (host->record_file(host, key, file) != 0) {
			snprintf(m->error, sizeof(m->error), "cannot record '%s'", file);
			return -1;
		}
	} else if (file && host->record_file(host, key, file) != 0) {
		snprintf(m->error, sizeof(m->error), "cannot record '%s'", file);
		return -1;
	}
	if (dir) {
		char path[4096];
		FILE *f;
		snprintf(path, sizeof(path), "%s/touched", dir);
		f = fopen(path, "a");
		if (f) {
			fputs("x\n", f);
			fclose(f);
		}
	}
	host->log(host, BENCHTOP_LOG_INFO, "cache_dir %s", dir ? dir : "(none)");
	return 0;
}

static void free_texts(struct m *m)
{
	for (size_t i = 0; i < m->n_texts; i++)
		free(m->texts[i]);
	free(m->texts);
	m->texts = NULL;
	m->n_texts = 0;
}

/* Does the host refuse what it must?  Each of these must return -1. */
static int refusals_ok(struct m *m, const struct benchtop_example *ex)
{
	struct benchtop_example copy = *ex;

	return m->host->annotate(m->host, &copy, "x", "1") == -1 &&
	       m->host->annotate(m->host, ex, "x", "{not json") == -1 &&
	       m->host->annotate(m->host, ex, "scores", "[1]") == -1 &&
	       m->host->annotate(m->host, ex, "", "1") == -1;
}

static int predict(void *instance, const struct benchtop_example *ex, size_t n,
                   struct benchtop_prediction *out)
{
	struct m *m = instance;
	const struct benchtop_host *h = m->host;
	const char *refusals = refusals_ok(m, &ex[0]) ? "\"ok\"" : "\"failed\"";

	free_texts(m);
	m->texts = calloc(n + 1, sizeof(*m->texts));
	if (!m->texts)
		return -1;
	m->n_texts = n;
	for (size_t i = 0; i < n; i++) {
		const char *prompt = h->prompt(h, &ex[i]);
		struct str s = {0};
		if (!prompt) {
			out[i].error = "no prompt";
			continue;
		}
		m->texts[i] = strdup(prompt);
		put_json_string(&s, prompt);
		h->annotate(h, &ex[i], "prompt", s.p);
		free(s.p);
		h->annotate(h, &ex[i], "param_keys", m->keys_json);
		h->annotate(h, &ex[i], "task", m->task_json);
		h->annotate(h, &ex[i], "refusals", refusals);
		switch (m->task->type) {
		case BENCHTOP_TASK_GENERATION:
			out[i].text = m->texts[i];
			break;
		case BENCHTOP_TASK_CLASSIFICATION:
			out[i].label = m->task->labels[0];
			break;
		case BENCHTOP_TASK_MULTIPLE_CHOICE:
			out[i].choice = 0;
			break;
		default:
			out[i].value = 0;
			break;
		}
	}
	return 0;
}

static void destroy(void *instance)
{
	struct m *m = instance;

	free_texts(m);
	free(m->keys_json);
	free(m->task_json);
	free(m);
}

static const char *last_error(void *instance)
{
	struct m *m = instance;

	return m && m->error[0] ? m->error : NULL;
}

static const struct benchtop_plugin descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = BENCHTOP_PLUGIN_ABI_MINOR,
        .size = sizeof(struct benchtop_plugin),
        .name = "abi11",
        .version = "1.1.0",
        .description = "Test plugin: uses every service of plugin ABI 1.1",
        .flags = BENCHTOP_PLUGIN_BATCH,
        .preferred_batch = 4,
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_REGRESSION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_GENERATION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_MULTIPLE_CHOICE),
        .create = create,
        .predict = predict,
        .destroy = destroy,
        .last_error = last_error,
};

const struct benchtop_plugin *benchtop_plugin_entry(void)
{
	return &descriptor;
}
