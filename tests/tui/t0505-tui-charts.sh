#!/bin/sh
# t0505-tui-charts: 4 charts a series by step for the marked runs (braille
# on UTF-8, ASCII under LANG=C), m a metric along the git history with the
# commits as the x axis, n/N the other series.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/tui/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
"$MKRUN" --db "$BENCHTOP_DB" --name one --suite s --model knn --started 1700000000 \
	--metric t/accuracy=0.80:0.78:0.82 \
	--series loss=1:0.9,2:0.7,3:0.5,4:0.45,5:0.4 --series lr=1:0.1,5:0.01 >/dev/null
first=$(git rev-parse --short=8 HEAD)
echo change >>README
git_commit "second"
"$MKRUN" --db "$BENCHTOP_DB" --name two --suite s --model knn --started 1700000100 \
	--metric t/accuracy=0.85:0.83:0.87 \
	--series loss=1:1.0,2:0.6,3:0.3,4:0.25,5:0.2 >/dev/null
second=$(git rev-parse --short=8 HEAD)

tui_start 100x30 tui
tui_wait "run 1 of 2"
tui_keys Space Space 4
tui_wait "loss by step"
tui_expect "1 of 2; n/N"
tui_expect "1 run 1 knn one"
tui_expect "2 run 2 knn two"
# Braille dots, y tick labels and the step axis.
# Braille patterns are U+2800..U+28FF: E2 A0..A3 xx in UTF-8.
braille=$(printf '\342[\240-\243]')
printf '%s\n' "$screen" | LC_ALL=C grep -q "$braille" || tui_fail "no braille in the chart"
tui_expect "1.0 │"
tui_expect "└──"
printf '%s\n' "$screen" | grep -qE '^ +1 +2 +3 +4 +5 *$' || tui_fail "no step labels 1..5"
tui_expect "2 runs, 2 lines, 10 points"
ok "a series by step, overlaid for the marked runs, in braille"

tui_keys n
tui_wait "lr by step"
tui_expect "1 line"
tui_keys N
tui_wait "loss by step"
ok "n and N chart the other series"

tui_keys m
tui_wait "accuracy by commit"
tui_expect "knn on s"
tui_expect "$first"
tui_expect "$second"
tui_expect "whiskers are 95% intervals"
ok "m charts a metric along the commits"

tui_finish
export LC_ALL=C
tui_start 100x30 tui
tui_wait "run 1 of 2"
tui_keys Space Space 4
tui_wait "loss by step"
tui_expect "1.0 |"
tui_expect "+---"
printf '%s\n' "$screen" | grep -q '[*+].*[*+]' || tui_fail "no ASCII markers"
if printf '%s\n' "$screen" | LC_ALL=C grep -q "$braille"; then
	tui_fail "braille under LANG=C"
fi
ok "under LANG=C charts are ASCII"
tui_finish
