#!/bin/sh
# t0703-log: every form of `benchtop log`.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"

expect_rc 2 log loss=1
expect_err "BENCHTOP_RUN"
expect_rc 0 log --start --name manual -t script lr=0.01
uuid=$out
[ ${#uuid} = 36 ] || fail "--start printed '$uuid'"
export BENCHTOP_RUN="$uuid"
expect_rc 0 log loss=1.5 acc=0.5
expect_rc 0 log loss=1.25
expect_rc 0 log --step 10 loss=1.0
expect_rc 0 log loss=0.75
expect_rc 0 log --param batch=32 opt=adam
expect_rc 0 log --tag extra
expect_rc 2 log loss=abc
expect_err "not a number"
expect_rc 2 log loss
expect_rc 2 log --finish --step 3
expect_rc 0 show --series loss --format csv "$uuid"
[ "$(printf '%s\n' "$out" | cut -d, -f1,2 | tr '\n' ' ')" = "step,value 0,1.5 1,1.25 10,1 11,0.75 " ] ||
	fail "steps: $out"
ok "scalars get explicit or counted steps"

cat >m.jsonl <<'JL'
{"step": 100, "loss": 0.5, "val": {"acc": 0.75}, "note": "text"}

{"step": 101, "loss": 0.25, "wall_time": 1700000000.5}
not json
{"loss": 0.125}
JL
expect_rc 2 log --jsonl m.jsonl
expect_err "1 malformed line skipped (the first is line 4)"
printf '{"step": 200, "stdin": 1}\n' | "$BENCHTOP" -q log --jsonl || fail "--jsonl from standard input"
expect_rc 0 show --format json "$uuid"
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["params"] == {"lr": "0.01", "batch": "32", "opt": "adam"}, r["params"]
assert sorted(r["tags"]) == ["extra", "script"], r["tags"]
assert r["series"]["val/acc"]["count"] == 1, r["series"]
assert r["series"]["stdin"]["last_step"] == 200, r["series"]
assert r["series"]["loss"]["last"] == 0.125, r["series"]["loss"]
assert r["status"] == "running", r
' || fail "what log stored"
sqlite3 "$BENCHTOP_DB" "SELECT step, wall_time FROM series WHERE step = 101" | grep -q '^101|1700000000.5$' ||
	fail "wall_time from the line"
sqlite3 "$BENCHTOP_DB" "SELECT step FROM series WHERE key = 'loss' AND value = 0.125" | grep -q '^102$' ||
	fail "a line without a step counts on from the key's last step"
ok "--jsonl ingests objects, nesting, wall_time; reports malformed lines"

python3 -c '
import json
for i in range(30000):
    print(json.dumps({"step": i, "a": i * 0.5, "b": -i}))
' >big.jsonl
expect_rc 0 log --jsonl big.jsonl
expect_err "60000 points from 30000 lines"
[ "$(sqlite3 "$BENCHTOP_DB" "SELECT count(*), sum(step) FROM series WHERE key = 'b'")" = "30000|449985000" ] ||
	fail "bulk ingestion lost points"
ok "bulk ingestion stores every point"

expect_rc 0 log --finish --status failed --reason "diverged"
expect_rc 0 show --format json "$uuid"
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["status"] == "failed" and r["reason"] == "diverged", r
' || fail "--finish"
expect_rc 2 log --finish --status running
expect_rc 0 log --run 1 --finish
ok "--finish ends the run"
