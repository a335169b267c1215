#!/bin/bash
# t0009-full-disk: when the disk fills (here: RLIMIT_FSIZE), writes fail with a
# clear error and the database stays intact and readable.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/bench.db"
a=$("$MKRUN" --db "$BENCHTOP_DB" --name before --metric t/accuracy=0.5)
sqlite3 "$BENCHTOP_DB" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
size=$(stat -c %s "$BENCHTOP_DB")
# A note far larger than the room left: the WAL cannot grow to hold it.
head -c 2000000 /dev/zero | tr '\0' x >"$TEST_DIR/big"
set +e
( ulimit -f $(( (size + 65536) / 1024 )); "$BENCHTOP" note "$a" - <"$TEST_DIR/big" ) \
	>"$out_file" 2>"$err_file"
rc=$?
set -e
err=$(cat "$err_file")
[ "$rc" = 3 ] || fail "note on a full disk exited $rc, expected 3"
expect_err "disk full"
[ "$(sqlite3 "$BENCHTOP_DB" 'PRAGMA integrity_check')" = ok ] || fail "database damaged"
expect_rc 0 show "$a"
expect_out "before"
expect_no_out "xxxxxxxx"
ok "a full disk gives a clear error (exit 3) and leaves the database intact"
