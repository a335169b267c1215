/*
 * fuzz-scalars.c - libFuzzer target for the scalar-line parser
 * (scalars.h).  The input is parsed whole as a log line and as a JSON
 * object; when it has a newline within its first 128 bytes, the text
 * before it is also tried as a custom pattern and, when that compiles,
 * the rest is parsed with it.  Every scalar found must have a key inside
 * the key buffer and of the stated length.
 */
#include "config.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "scalars.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct bt_scalar_line *l, size_t n)
{
	size_t i;

	assert(n == l->n);
	for (i = 0; i < l->n; i++) {
		assert(l->v[i].key && l->v[i].key_len > 0);
		assert(strlen(l->v[i].key) == l->v[i].key_len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct bt_scalar_line l;
	const char *nl;
	double d;
	size_t n;

	memset(&l, 0, sizeof(l));
	n = bt_scalars_parse(NULL, s, size, &l);
	check(&l, n);
	if (bt_scalars_parse_json(s, size, &l))
		check(&l, l.n);
	else
		assert(l.n == 0);
	bt_scalars_number(s, size, &d);

	nl = memchr(s, '\n', size < 128 ? size : 128);
	if (nl) {
		char *pattern = bt_xstrndup(s, (size_t)(nl - s));
		struct bt_scalars *p = bt_scalars_new();
		if (bt_scalars_add_pattern(p, pattern) == 0) {
			n = bt_scalars_parse(p, nl + 1, size - (size_t)(nl - s) - 1, &l);
			check(&l, n);
		} else {
			assert(*bt_error_last());
		}
		bt_scalars_free(p);
		free(pattern);
	}
	bt_scalar_line_release(&l);
	return 0;
}
