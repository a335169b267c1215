#!/bin/sh
# t0500-tui-open: the dashboard opens on a terminal (benchtop with no
# command, and benchtop tui), moves, opens a run's detail and quits; without
# a terminal it refuses and benchtop lists runs instead.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/tui/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
a=$("$MKRUN" --db "$BENCHTOP_DB" --name alpha --suite tabular --model knn \
	--metric iris/accuracy=0.95:0.91:0.98 --started 1700000000)
b=$("$MKRUN" --db "$BENCHTOP_DB" --name beta --suite tabular --model logreg \
	--metric iris/accuracy=0.90 --started 1700000100)
echo "a dirty line" >>README
c=$("$MKRUN" --db "$BENCHTOP_DB" --name gamma --suite text --model majority \
	--metric qa/exact_match=0.7 --status failed --reason boom --started 1700000200)
git checkout -q README

tui_start 120x30
tui_wait "1 Runs"
tui_wait "run 1 of 3"
tui_expect "ACCURACY"
tui_expect "EXACT_MATCH"
# Newest first: gamma, beta, alpha.
[ "$(tui_line 2 | grep -c gamma)" = 1 ] || tui_fail "gamma is not the first row"
[ "$(tui_line 4 | grep -c alpha)" = 1 ] || tui_fail "alpha is not the third row"
tui_expect "0.9500"
tui_expect "failed"
ok "benchtop with no command opens the dashboard on a terminal, newest first"

tui_keys j
tui_wait "run 2 of 3"
tui_keys j j j
tui_wait "run 3 of 3"
tui_keys k
tui_wait "run 2 of 3"
tui_keys G
tui_wait "run 3 of 3"
tui_keys g
tui_wait "run 1 of 3"
ok "j, k, G and g move the cursor"

tui_keys j Enter
tui_wait "Run $b  finished"
tui_expect "beta"
tui_expect "logreg"
tui_expect "Metrics (95% bootstrap"
tui_expect "0.9000"
tui_keys Escape
tui_wait "run 2 of 3"
tui_keys 2
tui_wait "Run $b  finished"
tui_keys 1
tui_wait "run 2 of 3"
ok "Enter and 2 open the run under the cursor; Esc and 1 come back"

tui_keys g Enter
tui_wait "Run $c  failed"
tui_expect "reason     boom"
tui_expect "dirty: press p for the patch"
tui_keys p
tui_wait "+a dirty line"
tui_expect "run $c  patch"
tui_keys q q
tui_wait "run 1 of 3"
ok "p shows the dirty patch of a run made on a dirty tree"

tui_keys q
tui_exit_status
[ "$tui_rc" = 0 ] || tui_fail "q exited $tui_rc"
ok "q on the runs view quits with status 0"

tui_finish
tui_start 100x20 tui 'model=knn'
tui_wait "run 1 of 1"
tui_expect "alpha"
tui_expect_not "beta"
tui_expect "filter: model=knn"
tui_keys Q
tui_exit_status
[ "$tui_rc" = 0 ] || tui_fail "Q exited $tui_rc"
ok "benchtop tui FILTER opens on the matching runs"

tui_finish
tui_start 100x20 tui 'accuracy>>'
tui_exit_status
[ "$tui_rc" = 2 ] || tui_fail "a bad filter exited $tui_rc, not 2"
tui_expect "expected a value after '>'"
tui_expect "             ^"
ok "a bad filter on the command line is refused with a caret"
tui_cleanup

expect_rc 2 tui
expect_err "needs a terminal"
expect_rc 0
expect_out alpha
expect_out gamma
ok "without a terminal, tui refuses and benchtop lists runs"
