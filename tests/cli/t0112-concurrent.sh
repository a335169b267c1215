#!/bin/bash
# t0112-concurrent: eight `benchtop run` processes write to one database
# while readers list it in a loop and the dashboard watches it live: no
# "database is locked" ever reaches a user, every sample of every run is
# there, and readers are never stalled for more than a moment.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/tui/lib.sh"

export BENCHTOP_DB="$TEST_DIR/bench.db"
cp -r "$top_srcdir/suites" suites
chmod -R u+w suites
git_commit "suites"
expect_rc 0 init
tui_start 120x30 tui
tui_wait "No runs yet" 20

pids=
for i in 1 2 3 4 5 6 7 8; do
	model=knn
	[ $((i % 2)) = 0 ] && model=ridge
	"$BENCHTOP" run suites/tabular.yaml -m $model -j 1 --name "w$i" --tag stress \
		>"$TEST_DIR/run$i.out" 2>"$TEST_DIR/run$i.err" &
	pids="$pids $!"
done

# Readers: ls and show in a loop while the writers work; each call timed.
reads=0
slowest=0
while kill -0 $pids 2>/dev/null; do
	t0=$(date +%s%N)
	"$BENCHTOP" ls --format jsonl >/dev/null 2>"$TEST_DIR/ls.err" || fail "ls failed: $(cat "$TEST_DIR/ls.err")"
	"$BENCHTOP" show @ >/dev/null 2>>"$TEST_DIR/ls.err" || true
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	[ "$ms" -gt "$slowest" ] && slowest=$ms
	reads=$((reads + 1))
	grep -qi "locked\|busy" "$TEST_DIR/ls.err" && fail "a reader saw: $(cat "$TEST_DIR/ls.err")"
done
status=0
for p in $pids; do
	wait "$p" || status=$?
done
[ "$status" = 0 ] || fail "a writer failed: $(cat "$TEST_DIR"/run*.err)"
if grep -qi "locked\|busy" "$TEST_DIR"/run*.err; then
	fail "a writer saw: $(grep -hi "locked\|busy" "$TEST_DIR"/run*.err)"
fi
ok "8 concurrent writers and $reads reads: no lock error reached anyone (slowest read ${slowest} ms)"
# A read is a moment: seconds would mean a reader waited on a writer's lock.
[ "$slowest" -lt 3000 ] || fail "a read took ${slowest} ms"

# Every run finished with every sample.
[ "$(sqlite3 "$BENCHTOP_DB" "SELECT count(*) FROM runs r JOIN tags t ON t.run_id = r.id
	WHERE t.tag = 'stress' AND r.status = 'finished'")" = 8 ] || fail "not every run finished"
for i in 1 2 3 4 5 6 7 8; do
	n=$(sqlite3 "$BENCHTOP_DB" "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id
		JOIN runs r ON r.id = t.run_id WHERE r.name = 'w$i'")
	want_n=943
	[ $((i % 2)) = 0 ] && want_n=943
	[ "$n" = "$want_n" ] || fail "run w$i has $n samples, expected $want_n"
done
[ "$(sqlite3 "$BENCHTOP_DB" 'PRAGMA integrity_check')" = ok ] || fail "integrity"
ok "every run finished with every sample; the database is intact"

# The dashboard saw them arrive, live, and is still well.
for i in 1 2 3 4 5 6 7 8; do
	tui_wait "w$i " 20
done
tui_finish
ok "the dashboard followed the writers live and exits cleanly"
