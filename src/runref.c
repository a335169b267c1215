/*
 * runref.c - resolve run references (see runref.h for the forms).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "git.h"
#include "runref.h"
#include "util.h"

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int is_uuidish(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isxdigit((unsigned char)*s) && *s != '-')
			return 0;
	return n >= 4;
}

/* Run a query that yields run ids; *out gets the first, *count how many (up to 2). */
static int query_ids(struct bt_store *s, const char *sql, const char *text, int64_t num,
                     int64_t *out, int *count)
{
	sqlite3_stmt *st;
	int rc = bt_store_prepare(s, &st, sql);

	*count = 0;
	if (rc)
		return rc;
	if (text)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
	if (sqlite3_bind_parameter_count(st) >= (text ? 2 : 1))
		sqlite3_bind_int64(st, text ? 2 : 1, num);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*count == 0)
			*out = sqlite3_column_int64(st, 0);
		if (++*count >= 2)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		rc = bt_store_error(s, rc, "cannot resolve run");
	else
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

int bt_runref_resolve(struct bt_store *s, const char *ref, const char *repo_path, int64_t *out)
{
	char sha[41];
	int64_t n = 0;
	int count = 0, rc;

	*out = 0;
	if (!ref || !*ref)
		return bt_error_set(BT_EUSAGE, "empty run reference");

	if (all_digits(ref)) {
		if (bt_parse_int64(ref, &n) != 0)
			return bt_error_set(BT_EINPUT, "run id '%s' is out of range", ref);
		rc = query_ids(s, "SELECT id FROM runs WHERE id = ?", NULL, n, out, &count);
		if (rc)
			return rc;
		if (!count)
			return bt_error_set(BT_ENOTFOUND, "no run with id %s", ref);
		return 0;
	}

	if (ref[0] == '@') {
		const char *rest = ref + 1;
		if (*rest == '~') {
			rest++;
			if (!*rest)
				n = 1;
			else if (!all_digits(rest) || bt_parse_int64(rest, &n) != 0)
				return bt_error_set(BT_EINPUT,
				                    "bad run reference '%s' (expected @ or @~N)",
				                    ref);
		} else if (*rest) {
			return bt_error_set(BT_EINPUT, "bad run reference '%s' (expected @ or @~N)",
			                    ref);
		}
		rc = query_ids(
		        s, "SELECT id FROM runs ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET ?",
		        NULL, n, out, &count);
		if (rc)
			return rc;
		if (!count) {
			/* Say which is true: no runs at all, or too few of them. */
			int64_t total = 0;
			sqlite3_stmt *st;
			if (bt_store_prepare(s, &st, "SELECT count(*) FROM runs") == 0) {
				if (sqlite3_step(st) == SQLITE_ROW)
					total = sqlite3_column_int64(st, 0);
				sqlite3_finalize(st);
			}
			if (!total)
				return bt_error_set(BT_ENOTFOUND, "there are no runs yet");
			return bt_error_set(BT_ENOTFOUND,
			                    "no run '%s': there %s %lld run%s before the latest",
			                    ref, total - 1 == 1 ? "is" : "are",
			                    (long long)(total - 1), total - 1 == 1 ? "" : "s");
		}
		return 0;
	}

	if (bt_starts_with(ref, "tag:")) {
		if (!ref[4])
			return bt_error_set(BT_EINPUT, "bad run reference '%s': empty tag", ref);
		rc = query_ids(
		        s,
		        "SELECT r.id FROM runs r JOIN tags t ON t.run_id = r.id WHERE t.tag = ? "
		        "ORDER BY r.started_at DESC, r.id DESC LIMIT 1",
		        ref + 4, 0, out, &count);
		if (rc)
			return rc;
		if (!count)
			return bt_error_set(BT_ENOTFOUND, "no run has tag '%s'", ref + 4);
		return 0;
	}

	if (is_uuidish(ref)) {
		/* substr() rather than LIKE: the prefix is exact and case-sensitive. */
		char *lower = bt_xstrdup(ref);
		for (char *p = lower; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		rc = query_ids(s,
		               "SELECT id FROM runs WHERE substr(uuid, 1, length(?1)) = ?1 LIMIT 2",
		               lower, 0, out, &count);
		free(lower);
		if (rc)
			return rc;
		if (count > 1)
			return bt_error_set(
			        BT_EAMBIGUOUS,
			        "run reference '%s' is ambiguous: several run uuids start "
			        "with it",
			        ref);
		if (count == 1)
			return 0;
	}

	rc = bt_git_resolve(sha, repo_path, ref);
	if (rc) {
		bt_error_set(BT_ENOTFOUND,
		             "'%s' is not a run: no run id, uuid, tag or git revision matches",
		             ref);
		return BT_ENOTFOUND;
	}
	rc = query_ids(s,
	               "SELECT id FROM runs WHERE git_sha = ? ORDER BY started_at DESC, id DESC "
	               "LIMIT 1",
	               sha, 0, out, &count);
	if (rc)
		return rc;
	if (!count)
		return bt_error_set(BT_ENOTFOUND, "no run was made at commit %.12s ('%s')", sha,
		                    ref);
	return 0;
}
