#!/bin/sh
# t0004-edit: tag, note and rm change exactly what they say.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/bench.db"
a=$("$MKRUN" --db "$BENCHTOP_DB" --name a --metric t/accuracy=0.5 --samples t:20:0.5)
b=$("$MKRUN" --db "$BENCHTOP_DB" --name b)

expect_rc 0 tag "$a" best nightly
expect_rc 0 tag "$a"
[ "$out" = "best
nightly" ] || fail "tags: $out"
expect_rc 0 tag --remove "$a" best
expect_rc 0 tag "$a"
[ "$out" = "nightly" ] || fail "after remove: $out"
expect_rc 2 tag "$a" "has space"
expect_err "not a valid tag"
expect_rc 0 show tag:nightly
expect_out "run $a"
ok "tags are added, listed and removed"

expect_rc 0 note "$b" first try, "looks good"
expect_rc 0 show "$b"
expect_out "first try, looks good"
printf 'from\nstdin\n' | "$BENCHTOP" note "$b" - || fail "note from stdin"
expect_rc 0 show --format json "$b"
expect_out '"note": "from\nstdin"'
expect_rc 0 note --clear "$b"
expect_rc 0 show --format json "$b"
expect_out '"note": null'
ok "notes are set, read from stdin and cleared"

expect_rc 0 rm "$a"
expect_out "deleted run $a"
expect_rc 2 show "$a"
[ "$(sqlite3 "$BENCHTOP_DB" 'SELECT count(*) FROM samples')" = 0 ] || fail "samples survived rm"
[ "$(sqlite3 "$BENCHTOP_DB" 'SELECT count(*) FROM tags')" = 0 ] || fail "tags survived rm"
ok "rm deletes the run and everything it held"

r=$("$MKRUN" --db "$BENCHTOP_DB" --name live --status running --pid $$)
expect_rc 2 rm "$r"
expect_err "still running"
expect_rc 0 rm --force "$r"
expect_rc 2 rm 12345
expect_err "no run with id 12345"
ok "running runs need --force; unknown runs are errors"
