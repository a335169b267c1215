#!/bin/sh
# t0700-exec: a Python script printing step=N loss=X becomes a run with
# its full loss curve, the commit, params, environment and exit status.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
cat >train.py <<'PY'
import json, os, sys
for step in range(50):
    print(f"step={step} loss={1.0 / (step + 1):.6f} acc: {step / 50:.3f}")
print(json.dumps({"step": 60, "val": {"loss": 0.01}}))
print("1875/1875 - 3s 1ms/step - loss: 0.2980 - accuracy: 0.9134", file=sys.stderr)
print("RUN=" + os.environ["BENCHTOP_RUN"])
print("DB=" + os.environ["BENCHTOP_DB"])
PY
git_commit "add train.py"
sha=$(git rev-parse HEAD)

CUDA_VISIBLE_DEVICES=1 MY_SETTING=abc expect_rc 0 exec --name first -p lr=0.1 -t demo \
	--env MY_SETTING -- python3 train.py
expect_out "step=49 loss=0.020000"
expect_out "DB=$BENCHTOP_DB"
expect_err "loss: 0.2980"
expect_err "run 1 finished (exit status 0"
ok "output passes through; the child sees BENCHTOP_RUN and BENCHTOP_DB"

uuid=$(printf '%s\n' "$out" | sed -n 's/^RUN=//p')
expect_rc 0 show --format json "$uuid"
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
sha = sys.argv[1]
assert r["kind"] == "exec" and r["name"] == "first", r
assert r["status"] == "finished" and r["exit_status"] == 0, r
assert r["git_sha"] == sha, (r["git_sha"], sha)
assert r["command"] == ["python3", "train.py"], r["command"]
assert r["params"]["lr"] == "0.1", r["params"]
assert r["params"]["env.CUDA_VISIBLE_DEVICES"] == "1", r["params"]
assert r["params"]["env.MY_SETTING"] == "abc", r["params"]
assert r["tags"] == ["demo"], r["tags"]
s = r["series"]
assert s["loss"]["count"] == 51, s["loss"]          # 50 from stdout, 1 from stderr
assert s["acc"]["count"] == 50 and s["acc"]["last_step"] == 49, s["acc"]
assert s["val/loss"]["first_step"] == 60, s
res = r["metrics"][""]
assert res["cpu_user_seconds"]["value"] > 0, res
assert res["peak_rss_mib"]["value"] > 1, res
' "$sha" || fail "the run is not what the script did"
ok "the loss curve, commit, params, environment and resources are stored"

expect_rc 0 show --series acc --format csv "$uuid"
[ "$(printf '%s\n' "$out" | head -1)" = "step,value,wall_time" ] || fail "csv header"
[ "$(printf '%s\n' "$out" | wc -l)" = 51 ] || fail "csv rows"
printf '%s\n' "$out" | sed -n 2p | grep -q '^0,0,' || fail "first point"
printf '%s\n' "$out" | sed -n 51p | grep -q '^49,0.98,' || fail "last point"
expect_rc 0 show --series acc --format jsonl "$uuid"
printf '%s\n' "$out" | python3 -c '
import json, sys
pts = [json.loads(l) for l in sys.stdin]
assert [p["step"] for p in pts] == list(range(50)), pts[:3]
assert abs(pts[10]["value"] - 0.2) < 1e-12 and pts[10]["wall_time"] > 1e9
' || fail "jsonl series dump"
expect_rc 0 show --series acc --format json "$uuid"
printf '%s' "$out" | python3 -c 'import json,sys; assert len(json.load(sys.stdin)) == 50' ||
	fail "json series dump"
expect_rc 2 show --series nope "$uuid"
expect_err "no series 'nope'"
ok "show --series dumps one series"

expect_rc 0 show --log "$uuid"
expect_out "step=0 loss=1.000000"
expect_out "loss: 0.2980"
ok "show --log prints the captured output"

# A second run with a lower final loss; ls sorts and filters on the series.
cat >train2.py <<'PY'
for step in range(3):
    print(f"step={step} loss={0.001 * (3 - step)}")
PY
expect_rc 0 exec --name second -- python3 train2.py
expect_rc 0 ls --sort loss --format jsonl
[ "$(printf '%s\n' "$out" | head -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')" = first ] ||
	fail "ls --sort loss: the largest last loss first"
expect_rc 0 ls --sort loss -r --format jsonl
[ "$(printf '%s\n' "$out" | head -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')" = second ] ||
	fail "ls --sort loss -r"
expect_rc 0 ls 'loss<0.005'
expect_out second
expect_no_out first
ok "ls sorts and filters on a series' last value"

# Exit status propagation and the run's status.
expect_rc 3 exec -- sh -c 'echo step=1 loss=2; exit 3'
expect_err "run 3 failed (exit status 3"
expect_rc 0 show --format json @
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["status"] == "failed" and r["exit_status"] == 3 and r["reason"] == "exit status 3", r
' || fail "a failing command"
expect_rc 127 exec -- no-such-command-anywhere
expect_err "command not found"
expect_rc 2 exec
expect_err "needs a command"
expect_rc 2 exec --scalars 'loss ([0-9]+)' -- true
expect_err "named group"
expect_rc 2 exec --max-log 12Q -- true
ok "exit statuses propagate; bad commands and options are refused"

# --scalars with named groups, as llm.c prints its progress.
cat >llm.sh <<'SH'
i=1
while [ $i -le 4 ]; do echo "step    $i/74: train loss 4.$i (acc 4.6%)"; i=$((i + 1)); done
SH
expect_rc 0 exec --scalars 'step +(?<step>[0-9]+)/[0-9]+: train loss (?<loss>[0-9.]+)' -- sh llm.sh
expect_rc 0 show --series loss --format tsv @
[ "$(printf '%s\n' "$out" | tail -1 | cut -f1,2)" = "$(printf '4\t4.4')" ] || fail "custom pattern"
expect_rc 0 exec --no-scalars -- sh llm.sh
expect_rc 0 show --format json @
printf '%s' "$out" | python3 -c 'import json,sys; assert json.load(sys.stdin)["series"] == {}' ||
	fail "--no-scalars still found scalars"
ok "--scalars adds patterns; --no-scalars keeps output only"

# The library and `benchtop log` attach to exec's run through BENCHTOP_RUN.
expect_rc 0 exec --name attach -- sh -c '"$BENCHTOP" log --step 7 extra=1.5 && "$BENCHTOP" log --param from=child'
expect_rc 0 show --format json @
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["name"] == "attach" and r["series"]["extra"]["last_step"] == 7, r
assert r["params"]["from"] == "child", r["params"]
' || fail "benchtop log inside exec did not reach exec's run"
ok "BENCHTOP_RUN attaches children to the run"
