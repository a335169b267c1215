#!/bin/sh
# t0509-tui-edit: the dashboard's only writes: t tags (marked runs, or the
# current one; -TAG removes), e edits the note, d deletes after a yes.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/tui/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
a=$("$MKRUN" --db "$BENCHTOP_DB" --name alpha --tag old --note "first line" --started 1700000000)
b=$("$MKRUN" --db "$BENCHTOP_DB" --name beta --started 1700000100)
c=$("$MKRUN" --db "$BENCHTOP_DB" --name gamma --started 1700000200)

tags_of() {
	python3 - "$BENCHTOP_DB" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(",".join(t for (t,) in db.execute(
    "SELECT tag FROM tags WHERE run_id = ? ORDER BY tag", (int(sys.argv[2]),))))
PY
}

note_of() {
	python3 - "$BENCHTOP_DB" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
(n,) = db.execute("SELECT coalesce(note, '<none>') FROM runs WHERE id = ?",
                  (int(sys.argv[2]),)).fetchone()
print(n, end="")
PY
}

tui_start 120x20 tui
tui_wait "run 1 of 3"
# Mark beta and alpha, tag them both, remove alpha's old tag.
tui_keys j Space Space t
tui_wait "tag 2 marked runs (-TAG removes):"
tui_type "shiny -old"
tui_keys Enter
tui_wait "tagged 2 marked runs"
[ "$(tags_of "$a")" = shiny ] || fail "alpha's tags are '$(tags_of "$a")'"
[ "$(tags_of "$b")" = shiny ] || fail "beta's tags are '$(tags_of "$b")'"
[ "$(tags_of "$c")" = "" ] || fail "gamma was tagged"
ok "t tags the marked runs and -TAG removes"

tui_keys u g t
tui_wait "tag run $c"
tui_keys Escape
tui_wait_gone "tag run $c"
[ "$(tags_of "$c")" = "" ] || fail "Esc still tagged"
ok "Esc cancels a tag"

# The note prompt starts with the note; a line break is written \n.
tui_keys G e
tui_wait "note for run $a: first line"
tui_keys End
tui_type '\nsecond line'
tui_keys Enter
tui_wait "note saved on run $a"
[ "$(note_of "$a")" = "$(printf 'first line\nsecond line')" ] || fail "note is '$(note_of "$a")'"
tui_keys Enter
tui_wait "second line"
tui_expect "first line"
tui_keys Escape
ok "e edits the note, with \\n for a line break"

tui_keys g d
tui_wait "delete run $c? [y/N]"
tui_keys n
tui_wait "cancelled"
tui_expect gamma
tui_keys d
tui_wait "delete run $c? [y/N]"
tui_keys y
tui_wait "deleted 1 run"
tui_wait_gone gamma
tui_keys g
tui_wait "run 1 of 2"
expect_rc 0 ls --format jsonl
expect_no_out gamma
expect_out alpha
ok "d deletes the run after y, and only then"
tui_finish
