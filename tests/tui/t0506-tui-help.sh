#!/bin/sh
# t0506-tui-help: ? shows the keys of the current view (from the key
# tables), then those of every view; q comes back.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/tui/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
"$MKRUN" --db "$BENCHTOP_DB" --name alpha --samples iris:10:0.5 >/dev/null

tui_start 100x60 tui
tui_wait "run 1 of 1"
tui_keys "?"
tui_wait "keys of the Runs view"
tui_expect " Runs view"
tui_expect "/                     filter runs (the language of benchtop ls)"
tui_expect "Space                 mark or unmark the run and move down"
tui_expect " Every view"
tui_expect "k, Up                 move up one line"
tui_expect " Prompts"
tui_expect "Ctrl-U                delete the whole text"
tui_keys q
tui_wait "run 1 of 1"
ok "? in the runs view lists its keys, the global ones and the prompt's"

tui_keys Enter
tui_wait "Tasks (Enter lists"
tui_keys "?"
tui_wait "keys of the Run detail"
tui_expect "p                     show the run's dirty-tree patch"
tui_expect_not "filter runs"
tui_keys Escape Enter
tui_wait "IDX ID"
tui_keys "?"
tui_wait "keys of the Samples"
tui_expect "w                     show only wrong examples"
tui_keys q q q
tui_wait "run 1 of 1"
ok "each view's help lists its own keys"

tui_keys z
tui_wait "z does nothing here; press ? for the keys of this view"
ok "an unbound key says where to look"
tui_finish
