#!/bin/sh
# t0008-gc: runs whose process died show as stale and gc marks them interrupted.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/bench.db"
sleep 60 &
live_pid=$!
live=$("$MKRUN" --db "$BENCHTOP_DB" --name live --status running --pid "$live_pid")
# A pid above the kernel's default pid_max: no such process.
dead=$("$MKRUN" --db "$BENCHTOP_DB" --name dead --status running --pid 4194305)
old=$("$MKRUN" --db "$BENCHTOP_DB" --name elsewhere --status running --host other-machine \
	--pid 1 --started $(($(date +%s) - 3600)))
done_=$("$MKRUN" --db "$BENCHTOP_DB" --name done)

expect_rc 0 ls --format tsv --no-header
status_of() { printf '%s\n' "$out" | awk -F'\t' -v id="$1" '$1 == id { print $3 }'; }
[ "$(status_of "$dead")" = stale ] || fail "dead run not shown stale: $out"
[ "$(status_of "$old")" = stale ] || fail "silent remote run not shown stale"
[ "$(status_of "$live")" = running ] || fail "live run not shown running"
[ "$(status_of "$done_")" = finished ] || fail "finished run"
expect_rc 0 ls status=stale --format tsv --no-header
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "status=stale (heartbeat-based) should match the remote run: $out"
ok "ls shows dead running runs as stale"

expect_rc 0 gc --stale --dry-run
expect_out "would mark run $dead"
expect_out "would mark run $old"
expect_no_out "run $live:"
expect_rc 0 show "$dead"
expect_out "stale"
expect_rc 0 gc
expect_out "marked run $dead: stale: process 4194305"
expect_out "marked run $old: stale: no heartbeat"
expect_rc 0 show --format json "$dead"
expect_out '"status": "interrupted"'
expect_rc 0 show --format json "$live"
expect_out '"status": "running"'
expect_rc 0 gc
expect_out "no stale runs"
expect_rc 0 gc --vacuum
expect_out "vacuumed"
kill "$live_pid"
ok "gc marks exactly the stale runs interrupted, with the reason"
