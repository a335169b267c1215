#!/bin/sh
# t0701-exec-signals: a child killed by a signal, and SIGINT/SIGTERM sent
# to benchtop during exec (forwarded; the run ends interrupted with all
# output captured so far; benchtop exits with the child's status).
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"

expect_rc 137 exec -- sh -c 'echo step=1 loss=0.5; kill -9 $$'
expect_rc 0 show --format json @
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["status"] == "failed" and r["exit_status"] == 137, r
assert r["reason"] == "killed by SIGKILL", r
assert r["series"]["loss"]["count"] == 1, r
' || fail "a killed child"
ok "a child killed by a signal: failed, 128+9"

cat >slow.py <<'PY'
import signal, sys, time
step = 0
try:
    while True:
        print(f"step={step} loss={1.0 / (step + 1)}", flush=True)
        step += 1
        time.sleep(0.02)
except KeyboardInterrupt:
    print("caught interrupt at step", step, flush=True)
    sys.exit(130)
PY

# Ctrl-C: SIGINT to benchtop while the child is printing.
"$BENCHTOP" exec --name ctrlc -- python3 slow.py >"$TEST_DIR/o" 2>"$TEST_DIR/e" &
pid=$!
n=0
until grep -q 'step=20 ' "$TEST_DIR/o" 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 300 ] || { kill $pid; fail "the child never got to step 20"; }
	sleep 0.05
done
kill -INT $pid
set +e
wait $pid
rc=$?
set -e
[ "$rc" = 130 ] || fail "benchtop exited $rc after SIGINT, expected the child's 130"
grep -q "caught interrupt" "$TEST_DIR/o" || fail "SIGINT was not forwarded"
grep -q "run 2 interrupted" "$TEST_DIR/e" || fail "no interrupted summary: $(cat "$TEST_DIR/e")"
last=$(sed -n 's/^step=\([0-9]*\) .*/\1/p' "$TEST_DIR/o" | tail -1)
expect_rc 0 show --format json 2
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
last = int(sys.argv[1])
assert r["status"] == "interrupted", r
assert r["reason"].startswith("interrupted by SIGINT"), r
assert r["exit_status"] == 130, r
assert r["series"]["loss"]["count"] == last + 1, (r["series"], last)
assert r["series"]["loss"]["last_step"] == last, r["series"]
' "$last" || fail "the interrupted run lacks what was captured"
expect_rc 0 show --log 2
expect_out "caught interrupt"
ok "SIGINT during exec: forwarded, interrupted, everything captured, status 130"

# SIGTERM to benchtop: a child that dies of it gives 143.
"$BENCHTOP" exec -- sh -c 'echo ready; exec sleep 30' >"$TEST_DIR/o2" 2>/dev/null &
pid=$!
n=0
until grep -q ready "$TEST_DIR/o2" 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 200 ] || { kill $pid; fail "no ready"; }
	sleep 0.05
done
kill -TERM $pid
set +e
wait $pid
rc=$?
set -e
[ "$rc" = 143 ] || fail "benchtop exited $rc after SIGTERM, expected 143"
expect_rc 0 show --format json @
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["status"] == "interrupted" and r["exit_status"] == 143, r
' || fail "SIGTERM run"
ok "SIGTERM is forwarded and the status is 128+15"
