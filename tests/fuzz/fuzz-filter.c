/*
 * fuzz-filter.c - libFuzzer target for the filter language: any text must
 * either parse (and then compile to SQL whose text holds none of the input)
 * or fail with an offset inside the text.  Crashes, leaks and undefined
 * behaviour are the findings.
 */
#include "config.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "store.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = bt_xstrndup((const char *)data, size);
	struct bt_filter *f = NULL;
	struct bt_filter_error err;

	if (bt_filter_parse(&f, text, &err) == 0) {
		struct bt_buf sql = BT_BUF_INIT;
		struct bt_sqlargs args = BT_SQLARGS_INIT;
		char *dump = bt_filter_dump(f);
		bt_filter_compile(f, 1800000000.0, &sql, &args);
		bt_buf_free(&sql);
		bt_sqlargs_release(&args);
		free(dump);
		bt_filter_free(f);
	} else {
		assert(err.offset <= strlen(text));
		assert(err.length >= 1);
	}
	free(text);
	return 0;
}
