#!/bin/sh
# t0510-tui-commits: 5 shows the git log with run counts and a badge where
# a metric regressed; Enter lists the commit's runs through the filter.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/tui/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
t=1700000000
# Eight commits at 0.90, then four at 0.70: a regression at the ninth.
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	echo "$i" >>README
	git_commit "commit number $i"
	v=0.90:0.89:0.91
	[ "$i" -le 8 ] || v=0.70:0.69:0.71
	"$MKRUN" --db "$BENCHTOP_DB" --name "r$i" --suite s --model m --started $((t + i)) \
		--metric "t/accuracy=$v" >/dev/null
done
ninth=$(git rev-parse --short=8 HEAD~3)
"$MKRUN" --db "$BENCHTOP_DB" --name extra --suite s --model m --started $((t + 100)) \
	--metric "t/accuracy=0.70:0.69:0.71" >/dev/null

tui_start 140x30 tui
tui_wait "run 1 of 13"
tui_keys 5
tui_wait "commit number 12"
tui_expect "initial commit"
line=$(printf '%s\n' "$screen" | grep "commit number 12")
case $line in
*"  2  commit number 12"*) ;;
*) tui_fail "HEAD should have 2 runs: '$line'" ;;
esac
line=$(printf '%s\n' "$screen" | grep "$ninth")
case $line in
*"▼ accuracy (m on s) 0.900→0.700"*) ;;
*) tui_fail "no regression badge at the ninth commit: '$line'" ;;
esac
tui_expect "1 with regressions"
ok "the commits view counts runs and badges the regression"

tui_keys Enter
tui_wait "filter: commit="
tui_wait "run 1 of 2"
tui_expect extra
tui_expect r12
tui_expect_not r11
ok "Enter lists the commit's runs"
tui_finish
