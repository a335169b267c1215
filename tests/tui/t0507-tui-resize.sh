#!/bin/sh
# t0507-tui-resize: the dashboard redraws at any size; below 80x24 it drops
# columns rather than drawing garbage, and grows them back.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/tui/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
for i in 1 2 3 4 5 6; do
	"$MKRUN" --db "$BENCHTOP_DB" --name "run-number-$i" --suite tabular \
		--model "model-$i" --metric t/accuracy=0.9$i --started "170000000$i" >/dev/null
done

# The longest line in characters (the screen has no wide characters here).
widest() {
	printf '%s\n' "$screen" | python3 -c 'import sys; print(max(len(l) for l in sys.stdin.read().split("\n")))'
}

tui_start 140x30 tui
tui_wait "run 1 of 6"
tui_expect "DURATION"
tui_expect "KIND"
tui_expect "run-number-6"
ok "wide: every default column"

tmux -L "$TUI_SOCKET" resize-window -t t -x 60 -y 15
tui_wait_gone "DURATION"
tui_wait "run 1 of 6"
tui_expect "ID"
tui_expect "STATUS"
tui_expect_not "KIND"
[ "$(widest)" -le 60 ] || tui_fail "a line is wider than 60 columns"
[ "$(printf '%s\n' "$screen" | wc -l)" -le 15 ] || tui_fail "more than 15 lines"
ok "60x15: fewer columns, nothing past the edge"

tmux -L "$TUI_SOCKET" resize-window -t t -x 30 -y 8
tui_wait_gone "ACCURACY"
tui_wait "finished"
[ "$(widest)" -le 30 ] || tui_fail "a line is wider than 30 columns"
tui_keys j j
tui_wait "run 3 of 6"
ok "30x8: still usable"

tmux -L "$TUI_SOCKET" resize-window -t t -x 12 -y 3
tui_wait "too small"
tmux -L "$TUI_SOCKET" resize-window -t t -x 140 -y 30
tui_wait "DURATION"
tui_expect "run 3 of 6"
tui_expect "run-number-6"
ok "back to 140x30: the columns and the cursor come back"
tui_finish
