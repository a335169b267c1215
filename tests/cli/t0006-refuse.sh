#!/bin/sh
# t0006-refuse: databases benchtop must not touch stay exactly as they were.
. "$top_srcdir/tests/cli/lib.sh"

db="$TEST_DIR/future.db"
"$MKRUN" --db "$db" --name old >/dev/null
sqlite3 "$db" 'PRAGMA journal_mode=DELETE; PRAGMA user_version=999;' >/dev/null
before=$(sha256sum "$db")
for cmd in ls "show 1" init "tag 1 x" "note 1 hi" "rm 1" export; do
	# shellcheck disable=SC2086
	expect_rc 2 --db "$db" $cmd
	expect_err "written by a newer benchtop (schema version 999"
done
[ "$(sha256sum "$db")" = "$before" ] || fail "a newer database was modified"
[ ! -e "$db-wal" ] || fail "a WAL file was created beside the newer database"
ok "a database from the future is refused unchanged, by every command"

echo "just some text" >"$TEST_DIR/notes.txt"
before=$(sha256sum "$TEST_DIR/notes.txt")
expect_rc 2 --db "$TEST_DIR/notes.txt" ls
expect_err "is not a SQLite database"
expect_rc 2 --db "$TEST_DIR/notes.txt" init
[ "$(sha256sum "$TEST_DIR/notes.txt")" = "$before" ] || fail "a text file was modified"
ok "a file that is not SQLite is refused unchanged"

sqlite3 "$TEST_DIR/other.db" 'CREATE TABLE t (x); INSERT INTO t VALUES (1);'
before=$(sha256sum "$TEST_DIR/other.db")
expect_rc 2 --db "$TEST_DIR/other.db" init
expect_err "not a benchtop one"
[ "$(sha256sum "$TEST_DIR/other.db")" = "$before" ] || fail "another application's database was modified"
ok "another application's SQLite database is refused unchanged"
