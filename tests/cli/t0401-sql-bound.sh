#!/bin/sh
# t0401-sql-bound: SQL takes its values as bound parameters.  Every place in
# src/ that formats SQL with printf-style functions is in
# tests/security/sql-format-allowlist with the reason it is safe; a new one
# fails this test.  sqlite3_mprintf/sqlite3_snprintf are never used, and
# sqlite3_exec runs only literal SQL outside src/store.c.  The scanner
# (tests/security/sql-scan.py) is tested first on planted mistakes.
. "$top_srcdir/tests/cli/lib.sh"

scan="$top_srcdir/tests/security/sql-scan.py"
allow="$top_srcdir/tests/security/sql-format-allowlist"

# The scanner catches what it must, across lines and joined literals.
mkdir -p "$TEST_DIR/planted/src"
cat >"$TEST_DIR/planted/src/bad.c" <<'EOF'
/* bt_buf_printf(&b, "SELECT %s FROM runs", x) in a comment is not code */
static void f(struct bt_buf *b, const char *name, sqlite3 *db, char *sql)
{
	char q[256];
	bt_buf_printf(b,
	              "SELECT id FROM runs "
	              "WHERE name = '%s'", name);
	snprintf(q, sizeof(q), "DELETE FROM tags WHERE tag = '%s'", name);
	bt_buf_printf(b, "%s", "SELECT 1"); /* constant: fine */
	bt_buf_printf(b, "cannot select run %d", 3); /* prose: fine */
	char *m = sqlite3_mprintf("SELECT %Q", name);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL); /* literal: fine */
	bt_buf_printf(b, name ? "SELECT 1 WHERE x = '%s'" : "SELECT 2", name);
}
EOF
printf 'src/bad.c\tPRAGMA x = %%d\tan entry that matches nothing\n' >"$TEST_DIR/planted/allow"
set +e
python3 "$scan" "$TEST_DIR/planted/allow" "$TEST_DIR/planted/src/bad.c" >"$TEST_DIR/planted.out" 2>&1
prc=$?
set -e
out=$(cat "$TEST_DIR/planted.out")
[ "$prc" = 1 ] || fail "the scanner exited $prc on planted mistakes: $out"
for want in \
	"src/bad.c:5: SQL built with bt_buf_printf(\"SELECT id FROM runs WHERE name = '%s'\")" \
	"src/bad.c:8: SQL built with snprintf(\"DELETE FROM tags WHERE tag = '%s'\")" \
	"src/bad.c:11: sqlite3_mprintf: use bound parameters" \
	"src/bad.c:12: sqlite3_exec with SQL that is not a literal: sql" \
	"src/bad.c:14: SQL built with bt_buf_printf(\"SELECT 1 WHERE x = '%s'\")" \
	"stale entry: no call in src/bad.c formats \"PRAGMA x = %d\"" \
	"4 formatted SQL calls, 1 allowlisted formats, 7 problems"; do
	expect_out "$want"
done
ok "the scanner finds formatted SQL (also chosen with ?:), SQLite's printf, non-literal sqlite3_exec and stale entries"

# The tree itself.
set +e
python3 "$scan" "$allow" $(cd "$top_srcdir" && find src -name '*.c' | sort | sed "s|^|$top_srcdir/|") \
	>"$TEST_DIR/tree.out" 2>&1
trc=$?
set -e
out=$(cat "$TEST_DIR/tree.out")
[ "$trc" = 0 ] || fail "SQL assembled with printf-style formatting outside the allowlist:
$out"
n=$(printf '%s\n' "$out" | sed -n 's/^\([0-9]*\) formatted SQL calls.*/\1/p')
[ "${n:-0}" -gt 0 ] || fail "the scanner found no formatted SQL at all (is it still looking?): $out"
ok "every formatted SQL statement in src/ is allowlisted with its reason ($out)"
