/*
 * fuzz-runref.c - libFuzzer target for run references, resolved against a
 * small in-memory-backed database with a few runs: any text must resolve
 * or fail cleanly.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "run.h"
#include "runref.h"
#include "store.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct bt_store *store;

static void setup(void)
{
	char path[] = "/tmp/bt-fuzz-runref-XXXXXX";
	int fd = mkstemp(path);
	const char *tags[] = {"nightly"};
	int i;

	if (fd < 0)
		abort();
	close(fd);
	unlink(path);
	if (bt_store_open(&store, path, BT_STORE_CREATE))
		abort();
	unlink(path); /* the open connection keeps it alive */
	for (i = 0; i < 3; i++) {
		struct bt_run r;
		memset(&r, 0, sizeof(r));
		r.started_at = 1000 + i;
		if (bt_run_create(store, &r, NULL, NULL, NULL, 0, tags, 1))
			abort();
		bt_run_release(&r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *ref = bt_xstrndup((const char *)data, size);
	int64_t id;

	if (!store)
		setup();
	/* "/nonexistent" as the repository: revisions resolve to nothing, fast. */
	bt_runref_resolve(store, ref, "/nonexistent", &id);
	free(ref);
	return 0;
}
