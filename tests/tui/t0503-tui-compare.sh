#!/bin/sh
# t0503-tui-compare: mark two runs with Space and compare them with c:
# significance-marked deltas from a paired McNemar test, the flipped
# examples (openable in the pager), params and setup differences.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/tui/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
# The same seed gives both runs the same draws per example, so every example
# right at 0.70 is right at 0.90 too: B fixes about 20% and breaks none.
a=$("$MKRUN" --db "$BENCHTOP_DB" --name base --suite tabular --model knn --param k=5 \
	--samples iris:400:0.70:11 --started 1700000000)
echo change >>README
git_commit "second"
b=$("$MKRUN" --db "$BENCHTOP_DB" --name better --suite tabular --model logreg --param k=7 \
	--samples iris:400:0.90:11 --started 1700000100)
"$MKRUN" --db "$BENCHTOP_DB" --name other --model x --started 1700000200 >/dev/null

tui_start 120x40 tui
tui_wait "run 1 of 3"
tui_keys c
tui_wait "mark two or more runs"
ok "c without two marked runs says what to do"

tui_keys j Space Space
tui_wait "2 marked"
tui_keys c
tui_wait "Flipped examples, A to B"
tui_expect "A  run $a  finished  knn"
tui_expect "B  run $b  finished  logreg"
tui_expect "(baseline)"
row=$(printf '%s\n' "$screen" | grep 'iris  *accuracy')
case $row in
*"+0."*"▲"*"<0.001"*"McNemar, n=400"*) ;;
*) tui_fail "accuracy row lacks a significant McNemar delta: '$row'" ;;
esac
tui_expect "fixed in B, 0 broken"
tui_expect "1 significantly better, 0 significantly worse"
ok "compare shows a significant paired delta with the test used"

flips=$(printf '%s\n' "$screen" | grep -c 'iris #[0-9]* ex[0-9]*  target: yes  A: no ✗  B: yes ✓')
[ "$flips" -ge 10 ] || tui_fail "expected flipped examples, saw $flips"
tui_keys G
tui_wait "Params that differ"
printf '%s\n' "$screen" | grep -q '^  k  .* 5 .* 7' || tui_fail "param k=5 vs k=7 not shown"
printf '%s\n' "$screen" | grep -q 'model  .* knn .* logreg' || tui_fail "setup lacks models"
ok "flipped examples, differing params and setup are listed"

# The first flipped example is the tenth line: runs (4), metrics (4), blank, heading.
tui_keys g j j j j j j j j j
tui_keys Enter
tui_wait "Prediction of A (run $a, knn): wrong"
tui_expect "Prediction of B (run $b, logreg): right"
tui_expect "Target"
tui_keys q
tui_wait "Flipped examples, A to B"
ok "Enter opens a flipped example in the pager"

tui_keys 1 u
tui_wait_gone "2 marked"
tui_keys Tab
tui_wait "Run $a  finished"
tui_keys Tab
tui_wait "charts of 1 run"
ok "Tab goes through the views, skipping compare when nothing is marked"
tui_finish
