#!/bin/sh
# t0100-run: benchtop run end to end on the bundled suites with the bundled
# models: quality levels, one sample per test example, determinism across
# thread counts and isolation, and the run's lifecycle on failures.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/bench.db"
cp -r "$top_srcdir/suites" "$REPO/suites"
chmod -R u+w "$REPO/suites"
git_commit "add suites"
sha=$(git rev-parse HEAD)

metric() { # run metric task -> value
	"$BENCHTOP" show --format json "$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(repr(r["metrics"][sys.argv[2]][sys.argv[1]]["value"]))' "$2" "$3"
}
at_least() { # value floor what
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2" ||
		fail "$3 is $1, below $2"
}

expect_rc 0 run suites/tabular.yaml -m knn -t quality
knn=$(printf '%s\n' "$out" | sed -n 's/^run \([0-9]*\) .*/\1/p')
[ -n "$knn" ] || fail "run did not print its id"
expect_out "iris"
expect_out "accuracy"
at_least "$(metric "$knn" accuracy iris)" 0.90 "kNN accuracy on iris"
at_least "$(metric "$knn" accuracy digits)" 0.95 "kNN accuracy on digits"
expect_rc 0 run suites/tabular.yaml -m logreg
logreg=$(printf '%s\n' "$out" | sed -n 's/^run \([0-9]*\) .*/\1/p')
at_least "$(metric "$logreg" accuracy breast_cancer)" 0.93 "logistic regression accuracy on breast cancer"
expect_err "skipping task 'diabetes': plugin 'logreg' does not do regression tasks"
expect_rc 0 run suites/tabular.yaml -m ridge --task diabetes
ridge=$(printf '%s\n' "$out" | sed -n 's/^run \([0-9]*\) .*/\1/p')
at_least "$(metric "$ridge" r2 diabetes)" 0.35 "ridge R² on diabetes"
for m in gnb majority; do
	expect_rc 0 run suites/tabular.yaml -m "$m"
done
ok "the bundled models reach their quality levels on the bundled split"

# One sample per test example, every task, and the run tagged with the commit.
for t in iris:45 wine:54 breast_cancer:171 digits:540 diabetes:133; do
	n=$(sqlite3 "$BENCHTOP_DB" "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id
		WHERE t.run_id = $knn AND t.name = '${t%%:*}'")
	[ "$n" = "${t#*:}" ] || fail "task ${t%%:*} has $n samples, expected ${t#*:}"
done
[ "$(sqlite3 "$BENCHTOP_DB" "SELECT git_sha FROM runs WHERE id = $knn")" = "$sha" ] || fail "git sha"
# the run's suite hash (taken on a thread of its own) is the one suite check computes
run_hash=$(sqlite3 "$BENCHTOP_DB" "SELECT suite_hash FROM runs WHERE id = $knn")
expect_rc 0 suite check -f json suites/tabular.yaml
expect_out "\"suite_hash\": \"$run_hash\""
[ ${#run_hash} = 64 ] || fail "suite hash '$run_hash'"
[ "$(sqlite3 "$BENCHTOP_DB" "SELECT status FROM runs WHERE id = $knn")" = finished ] || fail "status"
expect_rc 0 show "$knn"
expect_out "Confusion matrix: iris"
expect_out "log_loss"
expect_rc 0 ls 'iris/accuracy>0.9 model=knn' --format jsonl
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "filter on the run's metrics"
ok "every example is stored as a sample; the run is finished and tagged with its commit"

# What a sample stores, on both of the writer's statements: rows with
# per-class scores (knn: the 11-column one) and rows without (trivial: the
# lean one).  Every classification sample has its prediction, target,
# correct and latency, and the stored correct agrees with the accuracy.
expect_rc 0 run suites/tabular.yaml -m trivial --task iris --task digits
trivial=$(printf '%s\n' "$out" | sed -n 's/^run \([0-9]*\) .*/\1/p')
for r in "$knn" "$trivial"; do
	bad=$(sqlite3 "$BENCHTOP_DB" "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id
		WHERE t.run_id = $r AND t.type = 'classification' AND (s.prediction IS NULL OR
		s.target IS NULL OR s.correct IS NULL OR s.latency IS NULL OR s.error IS NOT NULL)")
	[ "$bad" = 0 ] || fail "run $r: $bad classification samples lack a column"
	off=$(sqlite3 "$BENCHTOP_DB" "SELECT count(*) FROM tasks t JOIN metrics m
		ON m.run_id = t.run_id AND m.task = t.name AND m.metric = 'accuracy'
		WHERE t.run_id = $r AND abs(m.value - (SELECT avg(correct) FROM samples
		WHERE task_id = t.id)) > 1e-12")
	[ "$off" = 0 ] || fail "run $r: stored correct disagrees with accuracy on $off tasks"
done
[ "$(sqlite3 "$BENCHTOP_DB" "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id
	WHERE t.run_id = $knn AND t.name = 'iris' AND s.detail LIKE '{\"scores\":[%'")" = 45 ] ||
	fail "knn's per-class scores are not stored with its samples"
[ "$(sqlite3 "$BENCHTOP_DB" "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id
	WHERE t.run_id = $trivial AND (s.detail IS NOT NULL OR s.input IS NOT NULL)")" = 0 ] ||
	fail "trivial's samples have a detail or input they should not"
ok "samples with and without scores store every column, and correct agrees with accuracy"

# The same evaluation with 1 and 2 threads, isolated or not, gives the same numbers.
quality() { # run -> every quality metric with its interval, sorted
	"$BENCHTOP" show --format json "$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)
for task, ms in sorted(r["metrics"].items()):
    for m, v in sorted(ms.items()):
        if m.startswith("latency") or m == "throughput":
            continue
        print(task, m, repr(v["value"]), repr(v["ci_low"]), repr(v["ci_high"]))'
}
expect_rc 0 run suites/tabular.yaml -m knn -j 1 --no-isolate
a=$(printf '%s\n' "$out" | sed -n 's/^run \([0-9]*\) .*/\1/p')
expect_rc 0 run suites/tabular.yaml -m knn -j 2
b=$(printf '%s\n' "$out" | sed -n 's/^run \([0-9]*\) .*/\1/p')
[ "$(quality "$a")" = "$(quality "$knn")" ] || fail "-j 1 in-process differs from the default"
[ "$(quality "$b")" = "$(quality "$knn")" ] || fail "-j 2 isolated differs from the default"
[ "$(sqlite3 "$BENCHTOP_DB" "SELECT group_concat(prediction, ',') FROM (SELECT s.prediction
	FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $a ORDER BY t.name, s.idx)")" = \
  "$(sqlite3 "$BENCHTOP_DB" "SELECT group_concat(prediction, ',') FROM (SELECT s.prediction
	FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $b ORDER BY t.name, s.idx)")" ] ||
	fail "predictions differ between -j 1 and -j 2"
ok "results do not depend on the thread count or on isolation"

# The text paths: generation, multiple choice and retrieval.
expect_rc 0 run suites/text-demo.yaml -m knn
text=$(printf '%s\n' "$out" | sed -n 's/^run \([0-9]*\) .*/\1/p')
expect_out "exact_match"
expect_out "mrr"
at_least "$(metric "$text" mrr science-search)" 0.9 "kNN MRR on science-search"
[ "$(sqlite3 "$BENCHTOP_DB" "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id
	WHERE t.run_id = $text AND s.input IS NOT NULL")" -gt 0 ] || fail "text inputs are not stored"
expect_rc 0 run suites/text-demo.yaml -m majority
ok "generation, multiple choice and retrieval run end to end"

# Bad input writes nothing.
runs=$(sqlite3 "$BENCHTOP_DB" 'SELECT count(*) FROM runs')
expect_rc 2 run suites/tabular.yaml -m no-such-model
expect_err "plugin 'no-such-model' not found"
expect_rc 2 run suites/missing.yaml -m knn
expect_rc 2 run suites/tabular.yaml -m knn --task irsi
expect_err "did you mean 'iris'"
expect_rc 2 run suites/tabular.yaml -m knn -p kk=3
expect_err "unknown param 'kk' for plugin 'knn' (did you mean 'k'?)"
expect_rc 2 run suites/tabular.yaml -m knn -p k=many
expect_rc 2 run suites/tabular.yaml
expect_err "run needs a model"
[ "$(sqlite3 "$BENCHTOP_DB" 'SELECT count(*) FROM runs')" = "$runs" ] || fail "bad input left a run behind"
ok "bad suites, plugins and params are refused before anything is written"

# A plugin that fails in create fails at once, with its message, and writes nothing.
expect_rc 3 run suites/tabular.yaml -m failcreate --task iris
expect_err "plugin 'failcreate' could not create an instance for task 'iris': model weights"
[ "$(sqlite3 "$BENCHTOP_DB" 'SELECT count(*) FROM runs')" = "$runs" ] || fail "a run was left behind"
expect_rc 3 run suites/tabular.yaml -m failcreate --task iris --no-isolate
expect_err "model weights 'weights.bin' are missing"
ok "a plugin that cannot create its model fails at once with its own message"

# Per-example errors are counted; --max-errors fails the run past the limit.
expect_rc 0 run suites/tabular.yaml -m flaky --task diabetes --no-isolate
id=$(sqlite3 "$BENCHTOP_DB" 'SELECT max(id) FROM runs')
errs=$(sqlite3 "$BENCHTOP_DB" "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id
	WHERE t.run_id = $id AND s.error IS NOT NULL")
[ "$errs" = 13 ] || fail "flaky: $errs errored samples, expected 13 (indices 9, 19, ..., 129 of 133)"
[ "$(metric "$id" errors diabetes)" = 13.0 ] || fail "the errors metric"
expect_rc 1 run suites/tabular.yaml -m flaky --task diabetes --max-errors 5
expect_err "more than 5 examples failed"
id=$(sqlite3 "$BENCHTOP_DB" 'SELECT max(id) FROM runs')
[ "$(sqlite3 "$BENCHTOP_DB" "SELECT status FROM runs WHERE id = $id")" = failed ] || fail "not failed"
ok "per-example errors are recorded and counted; --max-errors fails the run"
