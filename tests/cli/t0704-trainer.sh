#!/bin/sh
# t0704-trainer: the C trainer in contrib/trainer logs its loss curve
# through libbenchtop, alone (its own run) and under exec (exec's run).
. "$top_srcdir/tests/cli/lib.sh"

: "${TRAINER:?TRAINER must point at contrib/trainer/logreg}"
export BENCHTOP_DB="$TEST_DIR/db/bench.db"
expect_rc 0 init

"$TRAINER" --steps 400 --eval 100 >"$TEST_DIR/o" || fail "the trainer failed"
grep -q "step 400: loss" "$TEST_DIR/o" || fail "trainer output"
expect_rc 0 show --format json @
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["kind"] == "exec" and r["name"] == "logreg" and r["status"] == "finished", r
assert r["command"][1:] == ["--steps", "400", "--eval", "100"], r["command"]
assert r["params"]["lr"] == "0.10000000000000001", r["params"]
assert r["tags"] == ["logreg"], r
s = r["series"]
assert s["train/loss"]["count"] == 400 and s["train/loss"]["last_step"] == 399, s
assert s["eval/accuracy"]["count"] == 4 and s["eval/accuracy"]["last"] > 0.8, s
assert s["eval/loss"]["last"] < s["train/loss"]["max"], s
assert r["git_sha"], r
' || fail "the trainer's own run"
ok "the C trainer makes its own run with its loss curve"

expect_rc 0 exec --name wrapped -- "$TRAINER" --steps 1000000 --eval 250000
expect_rc 0 show --format json @
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["name"] == "wrapped" and r["status"] == "finished", r
s = r["series"]
assert s["train/loss"]["count"] == 1000000, s["train/loss"]
assert s["eval/loss"]["count"] == 4, s
' || fail "the trainer under exec"
[ "$(sqlite3 "$BENCHTOP_DB" "SELECT count(*) FROM runs")" = 2 ] || fail "exec and the library made two runs"
ok "under exec the library logs into exec's run: 1,000,000 points, all there"

"$TRAINER" --steps 10 --fail >/dev/null && fail "--fail exited 0"
expect_rc 0 show --format json @
printf '%s' "$out" | python3 -c 'import json,sys; assert json.load(sys.stdin)["status"] == "failed"' ||
	fail "a failed training run"
ok "a trainer can end its run failed"
