#!/bin/sh
# t0110-isolation: model code that segfaults, aborts, calls exit(), hangs or
# allocates without bound costs exactly the examples responsible, each
# recorded with its cause; the run finishes with metrics over the rest.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/bench.db"
# Under AddressSanitizer, the sanitizer would catch the plugin's crashes in
# the worker (and report them as exit status 1): let the signals through, as
# in a normal build, and do not leak-check a worker the plugin exit()s from.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:handle_sigbus=0:handle_abort=0:detect_leaks=0"
python3 - <<'PY'
import json, random
random.seed(7)
with open("test.jsonl", "w") as f:
    for i in range(1000):
        x = [random.random() for _ in range(3)]
        f.write(json.dumps({"id": "e%d" % i, "x": x, "y": sum(x)}) + "\n")
PY
cat >suite.yaml <<'YAML'
name: crashes
tasks:
  - name: sums
    type: regression
    data: {test: test.jsonl}
    inputs: [x]
    target: y
    metrics: [mae, r2]
YAML

# errored PLUGIN-ARGS... : run, then print "idx<TAB>error" of every errored sample
errored() {
	expect_rc 0 run suite.yaml -m crashy -j 2 "$@"
	id=$(printf '%s\n' "$out" | sed -n 's/^run \([0-9]*\) .*/\1/p')
	[ -n "$id" ] || fail "no run id"
	echo "$id" >"$TEST_DIR/last_id"
	[ "$(sqlite3 "$BENCHTOP_DB" "SELECT status FROM runs WHERE id = $id")" = finished ] ||
		fail "run $id did not finish"
	[ "$(sqlite3 "$BENCHTOP_DB" "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id
		WHERE t.run_id = $id")" = 1000 ] || fail "run $id does not have 1000 samples"
	sqlite3 -separator '	' "$BENCHTOP_DB" "SELECT s.idx, s.error FROM samples s
		JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $id AND s.error IS NOT NULL
		ORDER BY s.idx"
}

got=$(errored -p mode=segv -p every=100)
want=$(for i in 99 199 299 399 499 599 699 799 899 999; do printf '%s\tsignal 11 (SIGSEGV)\n' $i; done)
[ "$got" = "$want" ] || fail "segv: errored samples are
$got"
# Metrics are over the 990 examples that succeeded: the plugin predicts exactly.
id=$(cat "$TEST_DIR/last_id")
[ "$(sqlite3 "$BENCHTOP_DB" "SELECT n, value FROM metrics WHERE run_id = $id AND metric = 'mae'")" = "990|0.0" ] ||
	fail "mae over the survivors: $(sqlite3 "$BENCHTOP_DB" "SELECT n, value FROM metrics WHERE run_id = $id AND metric = 'mae'")"
[ "$(sqlite3 "$BENCHTOP_DB" "SELECT value FROM metrics WHERE run_id = $id AND metric = 'errors'")" = 10.0 ] ||
	fail "errors metric"
ok "a plugin crashing on every 100th example costs exactly those 10 examples"

got=$(errored -p mode=abort -p every=400)
[ "$got" = "$(printf '399\tsignal 6 (SIGABRT)\n799\tsignal 6 (SIGABRT)')" ] || fail "abort: $got"
got=$(errored -p mode=bus -p at=5)
[ "$got" = "$(printf '5\tsignal 7 (SIGBUS)')" ] || fail "bus: $got"
got=$(errored -p mode=exit -p every=250)
[ "$got" = "$(printf '249\texit status 3\n499\texit status 3\n749\texit status 3\n999\texit status 3')" ] ||
	fail "exit: $got"
ok "abort, SIGBUS and exit(3) are attributed to their examples"

got=$(errored -p mode=hang -p at=500 --timeout 1)
[ "$got" = "$(printf '500\ttimeout after 1s')" ] || fail "hang: $got"
ok "a plugin that hangs on one example costs that example, after --timeout"

if [ -n "${BT_SANITIZERS:-}" ]; then
	echo "skip: --max-memory cannot be tested under AddressSanitizer (it needs the address space)"
else
	got=$(errored -p mode=oom -p at=300 --max-memory 256M --timeout 30)
	[ "$got" = "$(printf '300\tout of memory (limit 256M)')" ] || fail "oom: $got"
	ok "a plugin that allocates without bound costs one example under --max-memory"
fi

# In-process, the same crash takes the whole process: isolation is what saves the run.
set +e
"$BENCHTOP" run suite.yaml -m crashy -p mode=exit -p at=3 --no-isolate >"$out_file" 2>"$err_file"
rc=$?
set -e
[ "$rc" = 3 ] || fail "--no-isolate with exit(3) should end benchtop with 3, got $rc"
ok "--no-isolate runs the plugin in-process"
