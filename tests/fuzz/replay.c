/*
 * replay.c - run a fuzz target over files, without libFuzzer: `make check`
 * replays every committed corpus input (seeds and past crashes) through the
 * normal (or sanitizer) build, so a fixed crash stays fixed.
 *
 *   fuzz-replay-TARGET FILE|DIR...
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path, int *count)
{
	struct stat st;
	char *data;
	size_t len;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: cannot stat %s\n", path);
		return 1;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		int rc = 0;
		if (!d)
			return 1;
		while ((e = readdir(d)) != NULL) {
			char *sub;
			if (e->d_name[0] == '.')
				continue;
			sub = bt_path_join(path, e->d_name);
			rc |= replay(sub, count);
			free(sub);
		}
		closedir(d);
		return rc;
	}
	if (bt_read_file(&data, &len, path) != 0) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	(*count)++;
	return 0;
}

int main(int argc, char **argv)
{
	int i, rc = 0, count = 0;

	for (i = 1; i < argc; i++)
		rc |= replay(argv[i], &count);
	printf("replayed %d inputs\n", count);
	return rc || count == 0;
}
