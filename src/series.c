/*
 * series.c - interned series keys and batched insertion of points.
 *
 * Speed matters here (bulk ingestion must reach a million points a
 * second), so insertion uses multi-row INSERT statements prepared once,
 * and each batch is grouped by key before it reaches SQLite: the series
 * index is ordered by (run, key, step, ...), and points arriving
 * key-interleaved would otherwise land on a different index page with
 * every row.  Grouped, each key's points append to one run of pages.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "series.h"
#include "util.h"

/* ---- interned keys ------------------------------------------------------ */

struct bt_series_keys {
	struct bt_series_key **slots; /* open addressing, power-of-two size */
	size_t cap, count;
	/* Key structs and names are carved from blocks that never move. */
	char *block;
	size_t block_left;
	char **blocks;
	size_t nblocks, blocks_cap;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

struct bt_series_keys *bt_series_keys_new(void)
{
	struct bt_series_keys *k = bt_xcalloc(1, sizeof(*k));

	k->cap = 64;
	k->slots = bt_xcalloc(k->cap, sizeof(*k->slots));
	return k;
}

void bt_series_keys_free(struct bt_series_keys *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->nblocks; i++)
		free(k->blocks[i]);
	free(k->blocks);
	free(k->slots);
	free(k);
}

size_t bt_series_keys_count(const struct bt_series_keys *k)
{
	return k->count;
}

static void *carve(struct bt_series_keys *k, size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (n > k->block_left) {
		size_t size = n > 16384 ? n : 16384;
		bt_grow(&k->blocks, &k->blocks_cap, k->nblocks + 1, sizeof(*k->blocks));
		k->block = bt_xmalloc(size);
		k->blocks[k->nblocks++] = k->block;
		k->block_left = size;
	}
	p = k->block;
	k->block += n;
	k->block_left -= n;
	return p;
}

static void rehash(struct bt_series_keys *k)
{
	size_t ncap = k->cap * 2, i;
	struct bt_series_key **ns = bt_xcalloc(ncap, sizeof(*ns));

	for (i = 0; i < k->cap; i++) {
		struct bt_series_key *e = k->slots[i];
		size_t j;
		if (!e)
			continue;
		j = hash_bytes(e->name, e->len) & (ncap - 1);
		while (ns[j])
			j = (j + 1) & (ncap - 1);
		ns[j] = e;
	}
	free(k->slots);
	k->slots = ns;
	k->cap = ncap;
}

struct bt_series_key *bt_series_keys_intern(struct bt_series_keys *k, const char *name, size_t len)
{
	struct bt_series_key *e;
	uint64_t h;
	size_t j, i;
	char *copy;

	if (len == 0 || len > BT_SERIES_KEY_MAX) {
		if (len)
			bt_error_set(BT_EINPUT, "series key is longer than %d bytes",
			             BT_SERIES_KEY_MAX);
		else
			bt_error_set(BT_EINPUT, "empty series key");
		return NULL;
	}
	h = hash_bytes(name, len);
	for (j = h & (k->cap - 1); (e = k->slots[j]) != NULL; j = (j + 1) & (k->cap - 1))
		if (e->len == len && memcmp(e->name, name, len) == 0)
			return e;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f) {
			bt_error_set(BT_EINPUT, "series key contains a control character");
			return NULL;
		}
	}
	e = carve(k, sizeof(*e));
	memset(e, 0, sizeof(*e));
	copy = carve(k, len + 1);
	memcpy(copy, name, len);
	copy[len] = '\0';
	e->name = copy;
	e->len = len;
	k->slots[j] = e;
	if (++k->count * 2 > k->cap)
		rehash(k);
	return e;
}

/* ---- insertion ------------------------------------------------------------ */

/*
 * Rows per multi-row INSERT.  Past a few dozen rows the per-statement cost
 * is already amortised; 5 * ROWS parameters stay far below SQLite's limit.
 */
#define ROWS 64

struct bt_series_inserter {
	struct bt_store *store;
	sqlite3_stmt *many, *one, *last_step;
	struct bt_series_point *tmp;
	size_t tmp_cap;
	struct bt_series_key **distinct;
	size_t distinct_cap;
	size_t *count;
	size_t ndistinct; /* keys of the last batch */
	uint64_t stamp;
};

int bt_series_inserter_new(struct bt_series_inserter **out, struct bt_store *s)
{
	struct bt_series_inserter *ins = bt_xcalloc(1, sizeof(*ins));
	struct bt_buf sql = BT_BUF_INIT;
	int i, rc;

	*out = NULL;
	ins->store = s;
	bt_buf_puts(&sql,
	            "INSERT OR REPLACE INTO series (run_id, key, step, value, wall_time) VALUES ");
	for (i = 0; i < ROWS; i++)
		bt_buf_puts(&sql, i ? ",(?,?,?,?,?)" : "(?,?,?,?,?)");
	rc = bt_store_prepare(s, &ins->many, sql.ptr);
	bt_buf_free(&sql);
	if (!rc)
		rc = bt_store_prepare(
		        s, &ins->one,
		        "INSERT OR REPLACE INTO series (run_id, key, step, value, wall_time) "
		        "VALUES (?,?,?,?,?)");
	if (!rc)
		rc = bt_store_prepare(s, &ins->last_step,
		                      "SELECT max(step) FROM series WHERE run_id = ? AND key = ?");
	if (rc) {
		bt_series_inserter_free(ins);
		return rc;
	}
	*out = ins;
	return 0;
}

void bt_series_inserter_free(struct bt_series_inserter *ins)
{
	if (!ins)
		return;
	sqlite3_finalize(ins->many);
	sqlite3_finalize(ins->one);
	sqlite3_finalize(ins->last_step);
	free(ins->tmp);
	free(ins->distinct);
	free(ins->count);
	free(ins);
}

static int cmp_keys(const void *a, const void *b)
{
	const struct bt_series_key *x = *(struct bt_series_key *const *)a;
	const struct bt_series_key *y = *(struct bt_series_key *const *)b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The step after the key's last one in the store (0 when it has none). */
static int load_next_step(struct bt_series_inserter *ins, int64_t run_id, struct bt_series_key *key)
{
	sqlite3_stmt *st = ins->last_step;
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, key->name, (int)key->len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = bt_store_error(ins->store, rc, "cannot read series");
		sqlite3_reset(st);
		return rc;
	}
	key->next_step =
	        sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0) + 1;
	key->has_next = 1;
	sqlite3_reset(st);
	return 0;
}

/* Group points by key (keys in name order, the index's order), stably. */
static void group_by_key(struct bt_series_inserter *ins, struct bt_series_point *p, size_t n,
                         size_t *ndistinct)
{
	size_t i, nd = 0, off;

	ins->stamp++;
	for (i = 0; i < n; i++) {
		struct bt_series_key *k = p[i].key;
		if (k->mark != ins->stamp) {
			k->mark = ins->stamp;
			bt_grow(&ins->distinct, &ins->distinct_cap, nd + 1, sizeof(*ins->distinct));
			ins->distinct[nd++] = k;
		}
	}
	*ndistinct = nd;
	ins->ndistinct = nd;
	if (nd < 2)
		return;
	qsort(ins->distinct, nd, sizeof(*ins->distinct), cmp_keys);
	ins->count = bt_xrealloc(ins->count, nd * sizeof(*ins->count));
	for (i = 0; i < nd; i++) {
		ins->distinct[i]->slot = i;
		ins->count[i] = 0;
	}
	for (i = 0; i < n; i++)
		ins->count[p[i].key->slot]++;
	for (i = 0, off = 0; i < nd; i++) {
		size_t c = ins->count[i];
		ins->count[i] = off;
		off += c;
	}
	if (ins->tmp_cap < n) {
		free(ins->tmp);
		ins->tmp = bt_xmalloc(n * sizeof(*ins->tmp));
		ins->tmp_cap = n;
	}
	for (i = 0; i < n; i++)
		ins->tmp[ins->count[p[i].key->slot]++] = p[i];
	memcpy(p, ins->tmp, n * sizeof(*p));
}

static void bind_point(sqlite3_stmt *st, int base, int64_t run_id, const struct bt_series_point *p)
{
	sqlite3_bind_int64(st, base + 1, run_id);
	sqlite3_bind_text(st, base + 2, p->key->name, (int)p->key->len, SQLITE_STATIC);
	sqlite3_bind_int64(st, base + 3, p->step);
	if (isnan(p->value))
		sqlite3_bind_null(st, base + 4);
	else
		sqlite3_bind_double(st, base + 4, p->value);
	sqlite3_bind_double(st, base + 5, p->wall);
}

int bt_series_insert(struct bt_series_inserter *ins, int64_t run_id, struct bt_series_point *p,
                     size_t n)
{
	size_t i, j, nd;
	int rc;

	if (n == 0)
		return 0;
	group_by_key(ins, p, n, &nd);
	for (i = 0; i < n; i++) {
		struct bt_series_key *k = p[i].key;
		if (p[i].step == BT_SERIES_AUTO_STEP) {
			if (!k->has_next && (rc = load_next_step(ins, run_id, k)) != 0)
				return rc;
			p[i].step = k->next_step;
		}
		/* An explicit step moves the key's counter too: auto steps follow it. */
		k->next_step = p[i].step + 1;
		k->has_next = 1;
	}
	for (i = 0; i + ROWS <= n; i += ROWS) {
		for (j = 0; j < ROWS; j++)
			bind_point(ins->many, (int)j * 5, run_id, &p[i + j]);
		rc = sqlite3_step(ins->many);
		sqlite3_reset(ins->many);
		if (rc != SQLITE_DONE)
			return bt_store_error(ins->store, rc, "cannot insert series points");
	}
	for (; i < n; i++) {
		bind_point(ins->one, 0, run_id, &p[i]);
		rc = sqlite3_step(ins->one);
		sqlite3_reset(ins->one);
		if (rc != SQLITE_DONE)
			return bt_store_error(ins->store, rc, "cannot insert series points");
	}
	/* Keys are bound SQLITE_STATIC: never leave a statement pointing at them. */
	sqlite3_clear_bindings(ins->many);
	sqlite3_clear_bindings(ins->one);
	return 0;
}

void bt_series_inserter_forget(struct bt_series_inserter *ins)
{
	size_t i;

	for (i = 0; i < ins->ndistinct; i++)
		ins->distinct[i]->has_next = 0;
}

/* ---- reading ----------------------------------------------------------------- */

int bt_series_each(struct bt_store *s, int64_t run_id, const char *key, bt_series_cb cb,
                   void *payload)
{
	sqlite3_stmt *st;
	struct bt_series_row row;
	int rc, any = 0;

	rc = bt_store_prepare(s, &st,
	                      "SELECT step, value, wall_time FROM series WHERE run_id = ? AND "
	                      "key = ? ORDER BY step");
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		any = 1;
		row.step = sqlite3_column_int64(st, 0);
		row.value = sqlite3_column_type(st, 1) == SQLITE_NULL
		                    ? NAN
		                    : sqlite3_column_double(st, 1);
		row.wall = sqlite3_column_type(st, 2) == SQLITE_NULL ? 0
		                                                     : sqlite3_column_double(st, 2);
		rc = cb(&row, payload);
		if (rc) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	if (rc != SQLITE_DONE)
		rc = bt_store_error(s, rc, "cannot read series");
	else if (!any)
		rc = bt_error_set(BT_ENOTFOUND, "run %lld has no series '%s'", (long long)run_id,
		                  key);
	else
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}
