#!/bin/sh
# t0501-tui-filter: / filters with the CLI's language; a bad filter shows
# the error with a caret under the fault and keeps the previous filter.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/tui/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
"$MKRUN" --db "$BENCHTOP_DB" --name alpha --suite tabular --model knn \
	--metric iris/accuracy=0.95 --tag nightly --started 1700000000 >/dev/null
"$MKRUN" --db "$BENCHTOP_DB" --name beta --suite tabular --model logreg \
	--metric iris/accuracy=0.40 --started 1700000100 >/dev/null
"$MKRUN" --db "$BENCHTOP_DB" --name gamma --suite text --model majority \
	--metric qa/exact_match=0.7 --started 1700000200 >/dev/null

tui_start 100x24 tui
tui_wait "run 1 of 3"

tui_keys /
tui_wait "filter:"
tui_type "accuracy>0.5 or model=majority"
tui_keys Enter
tui_wait "run 1 of 2"
tui_expect "filter: accuracy>0.5 or model=majority"
tui_expect alpha
tui_expect gamma
tui_expect_not beta
ok "a good filter narrows the table and shows in the status line"

# The prompt starts with the current filter; replace it with a bad one.
tui_keys /
tui_wait "filter: accuracy>0.5 or model=majority"
tui_keys C-u
tui_type "brnach=main"
tui_keys Enter
tui_wait "did you mean 'branch'"
# The caret sits under the fault: column 8 of the prompt line, after "filter: ".
caret=$(printf '%s\n' "$screen" | grep -n '^ *\^' | head -n 1)
[ -n "$caret" ] || tui_fail "no caret line"
case $caret in
*":        ^~~~~~"*) ;;
*) tui_fail "the caret is not under 'brnach': '$caret'" ;;
esac
tui_expect "filter: brnach=main"
ok "a bad filter keeps the prompt open with the error and a caret"

tui_keys C-a C-d C-d C-d C-d C-d C-d C-d C-d C-d C-d C-d
tui_type "accuracy>>"
tui_keys Enter
tui_wait "expected a value after '>'"
line=$(printf '%s\n' "$screen" | grep '^ *\^' | head -n 1)
[ "$line" = "                 ^" ] || tui_fail "caret line is '$line'"
tui_expect "filter: accuracy>>"
ok "the caret follows the edited text"

tui_keys Escape
tui_wait_gone "filter: accuracy>>"
tui_wait "run 1 of 2"
tui_expect "filter: accuracy>0.5 or model=majority"
tui_expect_not beta
ok "Esc leaves the previous filter in force"

tui_keys /
tui_wait "filter: accuracy"
tui_keys C-u Enter
tui_wait "run 1 of 3"
tui_expect beta
tui_keys / 
tui_type "nightly"
tui_keys Enter
tui_wait "run 1 of 1"
tui_expect alpha
tui_keys /
tui_type " and accuracy<0.5"
tui_keys Enter
tui_wait "No runs match the filter"
tui_wait "no runs"
ok "clearing, bare words, and a filter nothing matches"
tui_finish
