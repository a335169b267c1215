#!/bin/bash
# t0111-resume: a run killed with kill -9 at a random moment, or stopped with
# SIGINT, keeps what it committed, never damages the database, and
# `run --resume` finishes it with exactly the metrics of an uninterrupted run.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/bench.db"
python3 - <<'PY'
import json, random
random.seed(11)
with open("test.jsonl", "w") as f:
    for i in range(400):
        x = [random.random() for _ in range(3)]
        f.write(json.dumps({"id": "e%d" % i, "x": x, "y": sum(x), "c": "ab"[i % 2]}) + "\n")
PY
cat >suite.yaml <<'YAML'
name: resumable
tasks:
  - name: sums
    type: regression
    data: {test: test.jsonl}
    inputs: [x]
    target: y
    metrics: [mae, rmse, r2]
  - name: parity
    type: classification
    data: {test: test.jsonl}
    inputs: [x]
    target: c
    metrics: [accuracy, f1_macro]
YAML
git_commit "a resumable suite"
# 400 examples a task at 8 ms each over 2 workers: about 1.6 s a task, long
# enough for commits (at most a second or 1,000 examples apart) inside it.
args="suite.yaml -m crashy -p noise=true -p delay_ms=8 --batch-size 8 -j 2"

# quality RUN: every metric but timings, with its interval and n
quality() {
	"$BENCHTOP" show --format json "$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)
for task, ms in sorted(r["metrics"].items()):
    for m, v in sorted(ms.items()):
        if not (m.startswith("latency") or m == "throughput"):
            print(task, m, repr(v["value"]), repr(v["ci_low"]), repr(v["ci_high"]), v["n"])'
}
samples() {
	sqlite3 "$BENCHTOP_DB" "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $1"
}

# shellcheck disable=SC2086
expect_rc 0 -q run $args
base=$(sqlite3 "$BENCHTOP_DB" 'SELECT max(id) FROM runs')
expected=$(quality "$base")
[ -n "$expected" ] || fail "no metrics"

# kill_when LOW HIGH: start the run, and kill -9 it as soon as the newest
# run holds between LOW and HIGH committed samples (polled, not timed, so
# that slow sanitizer builds land where fast ones do).  Prints the count.
kill_when() {
	# shellcheck disable=SC2086
	"$BENCHTOP" -q run $args >/dev/null 2>&1 &
	pid=$!
	n=-1
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 1200 ]; do
		n=$(sqlite3 "$BENCHTOP_DB" "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id
			WHERE t.run_id = (SELECT max(id) FROM runs)" 2>/dev/null || echo -1)
		[ "$n" -ge "$1" ] && [ "$n" -le "$2" ] && break
		i=$((i + 1))
		sleep 0.02
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

for window in "0 0" "1 399" "401 799"; do
	# shellcheck disable=SC2086
	kill_when $window
	id=$(sqlite3 "$BENCHTOP_DB" 'SELECT max(id) FROM runs')
	[ "$(sqlite3 "$BENCHTOP_DB" 'PRAGMA integrity_check')" = ok ] || fail "database damaged by kill -9"
	kept=$(samples "$id")
	[ "$kept" -ge "${window% *}" ] && [ "$kept" -le "${window#* }" ] ||
		fail "meant to kill with ${window% *} to ${window#* } samples committed, killed with $kept"
	expect_rc 0 show "$id"
	expect_out "stale"
	expect_rc 0 -q run --resume "$id"
	[ "$(sqlite3 "$BENCHTOP_DB" "SELECT status FROM runs WHERE id = $id")" = finished ] || fail "not finished"
	[ "$(samples "$id")" = 800 ] || fail "resumed run has $(samples "$id") samples"
	[ "$(quality "$id")" = "$expected" ] || fail "resumed after kill -9 with $kept samples kept:
$(quality "$id")
expected
$expected"
	ok "killed with $kept samples committed; resumed to the same metrics"
done

# SIGINT: what was predicted is flushed and the run is interrupted.  The
# signal comes half a second after the run exists (predictions start then),
# before its first commit, so what it keeps is what the flush wrote.
before=$(sqlite3 "$BENCHTOP_DB" 'SELECT max(id) FROM runs')
# shellcheck disable=SC2086
"$BENCHTOP" -q run $args >/dev/null 2>"$TEST_DIR/int.err" &
pid=$!
i=0
until [ "$(sqlite3 "$BENCHTOP_DB" 'SELECT max(id) FROM runs' 2>/dev/null)" != "$before" ] ||
	[ $i -ge 1500 ]; do
	i=$((i + 1))
	sleep 0.02
done
sleep 0.5
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" = 3 ] || fail "an interrupted run should exit 3, not $rc: $(cat "$TEST_DIR/int.err")"
id=$(sqlite3 "$BENCHTOP_DB" 'SELECT max(id) FROM runs')
[ "$(sqlite3 "$BENCHTOP_DB" "SELECT status FROM runs WHERE id = $id")" = interrupted ] || fail "not interrupted"
kept=$(samples "$id")
[ "$kept" -gt 0 ] || fail "nothing was flushed on SIGINT"
expect_rc 0 -q run --resume "$id"
[ "$(quality "$id")" = "$expected" ] || fail "resumed after SIGINT: different metrics"
ok "SIGINT flushes and marks the run interrupted ($kept samples); resume completes it identically"

expect_rc 2 run --resume "$base"
expect_err "is finished: there is nothing to resume"
before=$(sqlite3 "$BENCHTOP_DB" 'SELECT count(*) FROM runs')
# shellcheck disable=SC2086
"$BENCHTOP" -q run $args >/dev/null 2>&1 &
pid=$!
# Killed once its run exists (the model is created first, which a slow build takes long over).
until [ "$(sqlite3 "$BENCHTOP_DB" 'SELECT count(*) FROM runs')" -gt "$before" ]; do
	kill -0 "$pid" 2>/dev/null || fail "the run ended before it was killed"
	sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
id=$(sqlite3 "$BENCHTOP_DB" 'SELECT max(id) FROM runs')
echo '{"id": "extra", "x": [0, 0, 0], "y": 0, "c": "a"}' >>test.jsonl
expect_rc 2 run --resume "$id"
expect_err "the suite or its data changed since"
expect_rc 2 run --resume "$id" suite.yaml
expect_err "--resume RUN takes nothing else"
ok "resume refuses finished runs and changed data"
