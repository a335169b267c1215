/*
 * fuzz-suite.c - libFuzzer target for suite files: any bytes must either
 * load (and then every task whose data lies in the bundled suites/
 * directory is prepared against that real data) or fail with a message
 * naming the file.  The suite "lives" in BT_FUZZ_SRCDIR/suites, so its
 * relative data paths find the bundled data.  Crashes, leaks and
 * undefined behaviour are the findings.
 */
#include "config.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "suite.h"
#include "util.h"

#ifndef BT_FUZZ_SRCDIR
#define BT_FUZZ_SRCDIR "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Only data inside the suites directory is read: never a path the input invents. */
static int inside(const char *dir, const struct bt_data_ref *r)
{
	size_t n = strlen(dir);

	if (!r->path)
		return !r->url; /* no split at all is fine; an unfetched URL is not */
	return strncmp(r->path, dir, n) == 0 && r->path[n] == '/' && !strstr(r->path, "..");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char dir[] = BT_FUZZ_SRCDIR "/suites";
	struct bt_suite *s = NULL;
	size_t i;

	if (bt_suite_load_mem(&s, BT_FUZZ_SRCDIR "/suites/fuzz.yaml", (const char *)data, size) !=
	    0) {
		/* every failure names the file, or says the file is missing */
		assert(s == NULL);
		assert(strstr(bt_error_last(), "fuzz.yaml") || strstr(bt_error_last(), "data"));
		return 0;
	}
	assert(s->ntasks > 0);
	for (i = 0; i < s->ntasks; i++) {
		const struct bt_task_spec *spec = &s->tasks[i];
		struct bt_task_opts opts;
		struct bt_task t;

		assert(spec->n_metrics > 0);
		assert(bt_suite_task(s, spec->name) == (int)i);
		if (!inside(dir, &spec->test) || !inside(dir, &spec->train))
			continue;
		memset(&opts, 0, sizeof(opts));
		opts.limit = 20;
		if (bt_task_prepare(&t, s, i, &opts) == 0) {
			assert(t.n_test > 0 && t.n_test <= 20);
			bt_task_release(&t);
		}
	}
	bt_suite_free(s);
	return 0;
}
