#!/bin/sh
# t0702-exec-output: a child that floods its output (the cap keeps the head
# and the tail), one that closes stdout early, and --no-capture.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"

cat >flood.py <<'PY'
import sys
out = sys.stdout
out.write("FIRST LINE\n")
for i in range(200000):
    out.write(f"line {i} padding padding padding padding\n")
out.write("LAST LINE step=5 loss=0.125\n")
PY
expect_rc 0 exec --max-log 64K -- python3 flood.py
total=$(wc -c <"$out_file")
[ "$total" -gt 1000000 ] || fail "the flood did not pass through whole ($total bytes)"
expect_rc 0 show --log @
expect_out "FIRST LINE"
expect_out "LAST LINE step=5"
expect_out "bytes omitted ...]"
size=$(wc -c <"$out_file")
[ "$size" -lt 70000 ] || fail "the stored log is $size bytes, over the 64K cap"
sqlite3 "$BENCHTOP_DB" "SELECT length(head), length(tail), total_bytes FROM run_logs" |
	grep -q "^32768|32768|$total\$" || fail "head/tail split: $(sqlite3 "$BENCHTOP_DB" 'SELECT length(head), length(tail), total_bytes FROM run_logs')"
expect_rc 0 show --series loss --format csv @
expect_out "5,0.125,"
ok "a flood is passed through whole and stored as head and tail within the cap"

cat >early.py <<'PY'
import os, sys, time
print("step=1 loss=0.5", flush=True)
os.close(1)
time.sleep(0.3)
print("still running step=2 loss=0.25", file=sys.stderr, flush=True)
sys.exit(4)
PY
expect_rc 4 exec -- python3 early.py
expect_err "still running"
expect_rc 0 show --format json @
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["exit_status"] == 4 and r["series"]["loss"]["count"] == 2, r
' || fail "a child that closes stdout early"
ok "a child that closes stdout early is still followed to its end"

expect_rc 0 exec --no-capture -- sh -c 'echo step=1 loss=9'
expect_out "step=1 loss=9"
expect_rc 0 show --format json @
printf '%s' "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["series"] == {}, r' ||
	fail "--no-capture parsed output"
expect_rc 2 show --log @
expect_err "no captured output"
ok "--no-capture stores nothing"

# Output with no line end at all, and a last line without one.
expect_rc 0 exec -- sh -c 'printf "loss=1\rloss=2\rloss=3"'
expect_rc 0 show --series loss --format csv @
[ "$(printf '%s\n' "$out" | wc -l)" = 4 ] || fail "carriage-return updates: $out"
ok "progress lines redrawn with \\r each count"
