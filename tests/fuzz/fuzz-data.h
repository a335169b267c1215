/*
 * fuzz-data.h - the checks shared by the CSV and JSON Lines fuzz targets:
 * read the bytes as a split (whole, then with a record limit) and check
 * that what was read is a consistent table.
 */
#ifndef BT_FUZZ_DATA_H
#define BT_FUZZ_DATA_H

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "data.h"
#include "error.h"

static void check_split(const struct bt_split *s)
{
	size_t i, c;

	assert(s->n > 0);
	for (c = 0; c < s->ncols; c++)
		assert(s->cols[c] && bt_split_col(s, s->cols[c]) == (int)c);
	for (i = 0; i < s->n; i++) {
		assert(s->lines[i] >= 1);
		assert(i == 0 || s->lines[i] > s->lines[i - 1]);
		for (c = 0; c < s->ncols; c++) {
			const struct bt_value *v = bt_split_at(s, i, (int)c);
			uint32_t line, col;
			bt_split_pos(s, i, (int)c, &line, &col);
			assert(line >= s->lines[i] && col >= 1);
			switch (v->type) {
			case BENCHTOP_FIELD_NULL:
				assert(v->text == NULL);
				break;
			case BENCHTOP_FIELD_NUMBER:
				assert(isfinite(v->number));
				assert(v->text && strlen(v->text) <= v->text_len);
				break;
			case BENCHTOP_FIELD_VECTOR:
				assert(v->vector || v->vector_len == 0);
				for (size_t k = 0; k < v->vector_len; k++)
					assert(isfinite(v->vector[k]));
				break;
			default:
				assert(v->text && strlen(v->text) <= v->text_len);
				break;
			}
		}
	}
}

static void fuzz_split(const char *name, const uint8_t *data, size_t size)
{
	struct bt_split s;

	if (bt_data_read_mem(&s, name, data, size, BT_DATA_AUTO, 0) == 0) {
		size_t n = s.n;
		check_split(&s);
		bt_split_release(&s);
		/* a limit reads a prefix of the same records */
		assert(bt_data_read_mem(&s, name, data, size, BT_DATA_AUTO, 1) == 0);
		assert(s.n == 1 && n >= 1);
		check_split(&s);
		bt_split_release(&s);
	} else {
		assert(s.n == 0 && s.values == NULL && s.path == NULL);
		assert(strncmp(bt_error_last(), name, strlen(name)) == 0 ||
		       strstr(bt_error_last(), name));
	}
}

#endif
