#!/bin/sh
# t0502-tui-sort: s sorts by the selected column (again to reverse), S
# restores newest first, C picks and orders columns.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/tui/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
"$MKRUN" --db "$BENCHTOP_DB" --name mike --model knn --metric t/accuracy=0.50 \
	--started 1700000000 >/dev/null
"$MKRUN" --db "$BENCHTOP_DB" --name alpha --model knn --metric t/accuracy=0.90 \
	--started 1700000100 >/dev/null
"$MKRUN" --db "$BENCHTOP_DB" --name zulu --model knn --metric t/accuracy=0.70 \
	--started 1700000200 >/dev/null
"$MKRUN" --db "$BENCHTOP_DB" --model knn --started 1700000300 >/dev/null

first_row() {
	tui_line 2
}

tui_start 120x20 tui
tui_wait "run 1 of 4"
tui_expect "AGE▼"
# Columns: STATUS ID AGE COMMIT BRANCH KIND MODEL NAME ... (empty ones hidden).
tui_keys l l l l l l l s
tui_wait "NAME▲"
case $(first_row) in
*alpha*) ;;
*) tui_fail "sorted by name, alpha should come first" ;;
esac
tui_line 5 | grep -q '  4 ' || tui_fail "the run without a name should sort last"
tui_keys s
tui_wait "NAME▼"
case $(first_row) in
*zulu*) ;;
*) tui_fail "reversed, zulu should come first" ;;
esac
tui_line 5 | grep -q '  4 ' || tui_fail "no name sorts last in both directions"
ok "s sorts by the selected column and again reverses; missing values last"

tui_keys l l s
tui_wait "ACCURACY▼"
case $(first_row) in
*alpha*0.9000*) ;;
*) tui_fail "by accuracy, the best (alpha) comes first" ;;
esac
tui_keys S
tui_wait "AGE▼"
tui_line 2 | grep -q '  4 ' || tui_fail "S should restore newest first"
ok "metrics sort best first; S restores newest first"

tui_keys C
tui_wait "Columns of the runs table"
tui_expect "[x] STATUS"
tui_expect "[ ] HOST"
# Hide STATUS (the first entry), show HOST, move it first, apply.
tui_keys Space
tui_wait "[ ] STATUS"
tui_keys G
tui_screen
n=$(printf '%s\n' "$screen" | grep -n '\[ \] HOST' | cut -d: -f1)
[ -n "$n" ] || tui_fail "no HOST entry"
tui_keys g
i=3
while [ $i -lt "$n" ]; do
	tui_keys j
	i=$((i + 1))
done
tui_keys Space
tui_wait "[x] HOST"
for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do tui_keys K; done
tui_keys Enter
tui_wait "run 1 of 4"
header=$(tui_line 1)
case $header in
*HOST*ID*) ;;
*) tui_fail "HOST should be the first column: '$header'" ;;
esac
case $header in
*STATUS*) tui_fail "STATUS should be hidden: '$header'" ;;
esac
ok "C hides, shows and reorders columns"
tui_finish
