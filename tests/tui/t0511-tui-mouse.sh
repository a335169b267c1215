#!/bin/sh
# t0511-tui-mouse: a click moves the cursor to the row under the pointer (or
# selects the column under it in the heading), the wheel scrolls.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/tui/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
for i in 1 2 3 4 5 6 7 8; do
	"$MKRUN" --db "$BENCHTOP_DB" --name "n$i" --model "m$((9 - i))" --started "170000000$i" \
		>/dev/null
done

tui_start 100x20 tui
tui_wait "run 1 of 8"
# Screen row 4 is the third run (row 0 tabs, row 1 heading).
tui_click 10 4
tui_wait "run 3 of 8"
tui_mouse 65 10 4
tui_wait "run 6 of 8"
tui_mouse 64 10 4
tui_wait "run 3 of 8"
ok "a click moves the cursor and the wheel scrolls three lines"

# Click MODEL in the heading, then sort by it.
col=$(tui_line 1 | python3 -c 'import sys; print(sys.stdin.read().find("MODEL"))')
[ "$col" -gt 0 ] || tui_fail "no MODEL heading"
tui_click "$col" 1
tui_keys s
tui_wait "MODEL▲"
case $(tui_line 2) in
*m1*n8*) ;;
*) tui_fail "sorted by model, m1 comes first" ;;
esac
ok "a click in the heading selects the column that s sorts by"
tui_finish
