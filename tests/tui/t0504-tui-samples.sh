#!/bin/sh
# t0504-tui-samples: from a run's detail, Enter on a task lists its samples;
# w and x keep only wrong or failed ones; Enter shows one in the pager with
# control characters visible; nothing from the data acts on the terminal.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/tui/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
id=$("$MKRUN" --db "$BENCHTOP_DB" --name "$(printf 'evil \033]0;pwned\007 \033[2J\342\200\256gnp.exe')" \
	--suite tabular --model knn --samples iris:60:0.75:3 --started 1700000000)
# One example failed, one has a long prediction full of escapes, CJK and newlines.
python3 - "$BENCHTOP_DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE samples SET prediction = NULL, correct = NULL, error = 'model timed out' "
           "WHERE idx = 4")
long = ("first line \x1b]0;pwned\x07 and \x1b[31mred\x1b[0m\r\n" + "名前 " * 40 +
        "\nlast line \u202eevil")
db.execute("UPDATE samples SET prediction = ?, correct = 0 WHERE idx = 5", (long,))
db.execute("UPDATE tasks SET n_errors = 1, confusion = '[[10,5],[3,42]]'")
db.commit()
PY

tui_start 100x30 tui
tui_wait "run 1 of 1"
tui_expect "evil ^[]0;pwn"
tui_keys Enter
tui_wait "Run $id"
tui_expect "name       evil ^[]0;pwned^G ^[[2J<U+202E>gnp.exe"
tui_expect "Confusion matrix: iris (rows: target, columns: prediction)"
printf '%s\n' "$screen" | grep -q '^  no   *10   *5$' || tui_fail "no confusion row for 'no'"
printf '%s\n' "$screen" | grep -q '^  yes   *3  *42$' || tui_fail "no confusion row for 'yes'"
tui_wait "Tasks (Enter lists the samples)"
# The cursor starts on the first task line; Enter lists its samples.
tui_keys Enter
tui_wait "IDX ID"
tui_wait "iris (classification)"
tui_expect "model timed out"
tui_expect "ex0"
ok "Enter on a task lists its samples"

tui_keys w
tui_wait "(wrong only)"
tui_expect_not "ex4 "
printf '%s\n' "$screen" | grep -q ' ex5 ' || tui_fail "example 5 is wrong and should be listed"
tui_keys x
tui_wait "(errors only)"
tui_expect "model timed out"
tui_wait "1 shown of 60"
tui_keys x
tui_wait_gone "(errors only)"
ok "w and x filter wrong and failed examples"

tui_keys w
tui_wait "(wrong only)"
# Move to example 5 and open it.
tui_screen
n=$(printf '%s\n' "$screen" | grep -n ' ex5 ' | cut -d: -f1)
i=3
while [ $i -lt "$n" ]; do
	tui_keys j
	i=$((i + 1))
done
tui_wait "example #5"
tui_keys Enter
tui_wait "example ex5 (index 5), wrong"
tui_expect "Prediction"
tui_expect "first line ^[]0;pwned^G and ^[[31mred^[[0m^M"
tui_expect "last line <U+202E>evil"
tui_expect "名前 名前"
# Wrapped at the screen's width: no line runs past it.
printf '%s\n' "$screen" | awk 'length($0) > 300 { exit 1 }' || tui_fail "a line overflowed"
tui_keys G
tui_wait "last line"
ok "the pager wraps long text and shows control characters"

tui_keys q q
tui_wait "Tasks (Enter lists the samples)"
title=$(tmux -L "$TUI_SOCKET" display-message -p -t "$TUI_TARGET" '#{pane_title}')
[ "$title" != pwned ] || fail "an escape sequence in the data retitled the terminal"
ok "escape sequences in data stay inert"
tui_finish
