#!/bin/sh
# t0300-plugin: `benchtop plugin info|check|ls` on every bundled plugin, and
# each way a plugin can be broken failing with its own message and status.
. "$top_srcdir/tests/cli/lib.sh"

libs="$top_builddir/plugins/.libs"
for m in majority knn logreg gnb ridge; do
	expect_rc 0 plugin info "$m"
	expect_out "name:        $m"
	expect_out "path:        $libs/$m.so"
	sha=$(sha256sum "$libs/$m.so" | cut -d' ' -f1)
	expect_out "sha256:      $sha"
	expect_rc 0 plugin check "$m"
	expect_out "plugin '$m': all "
	expect_out "checks passed"
	expect_no_out "FAIL"
done
expect_rc 0 plugin check knn
for t in classification regression generation multiple_choice retrieval; do
	expect_out "ok   $t/threads: 4 threads sharing one instance agree"
done
ok "info and check pass on every bundled model, each task type included"

expect_rc 0 plugin check logreg -t classification
expect_out "ok   classification/predict: 60 examples, accuracy 1.000"
expect_rc 0 plugin check ridge -p alpha=0.5 -t regression --seed 7 --threads 2
expect_out "regression/predict: 50 examples, r2 0.99"
expect_out "ok   regression/threads: 2 threads"
expect_no_out "classification"
ok "check takes params, task types, a seed and a thread count"

expect_rc 0 plugin info -f json gnb
printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["name"] == "gnb", d
assert d["tasks"] == ["classification"], d
assert set(d["flags"]) == {"thread_safe", "batch", "needs_train"}, d
assert d["abi"] == "1.1" and len(d["sha256"]) == 64, d
' || fail "plugin info -f json"
ok "info as json"

# replay needs predictions: one line per generated test id, for every task type.
i=0
while [ $i -lt 60 ]; do
	printf '{"id": "ex-%d", "label": "b", "scores": {"a": 0.2, "b": 0.5, "c": 0.3}, "value": %d.5, "text": "t%d", "choice": 1, "ranking": ["doc-%d", "doc-0"]}\n' \
		$i $i $i $((i % 20 + 1))
	i=$((i + 1))
done >preds.jsonl
expect_rc 0 plugin check replay -p predictions=preds.jsonl
expect_out "plugin 'replay': all "
expect_rc 1 plugin check replay
expect_out "FAIL classification/create"
expect_out "param 'predictions' is required"
head -n 5 preds.jsonl >short.jsonl
echo '{"id": "ex-77", "label": ' >>short.jsonl
expect_rc 1 plugin check replay -p predictions=short.jsonl -t regression
expect_out "short.jsonl:6:"
head -n 5 preds.jsonl >short.jsonl
expect_rc 1 plugin check replay -p predictions=short.jsonl -t regression
expect_out "45 of 50 examples reported an error; example 'ex-5': no prediction for id 'ex-5' in short.jsonl"
expect_rc 2 plugin check replay -p prediction=preds.jsonl
expect_err "unknown param 'prediction' for plugin 'replay' (did you mean 'predictions'?)"
ok "replay passes with a full predictions file and names missing ids and bad lines"

expect_rc 0 plugin check cxx
expect_out "plugin 'cxx': all "
expect_rc 0 plugin check trivial
expect_no_out "skip"
ok "a C++ plugin and the benchmark's trivial plugin pass"

expect_rc 1 plugin check drift
expect_out "FAIL classification/batch size: example"
expect_out "FAIL regression/batch size: example"
expect_out "plugin 'drift': "
expect_rc 1 plugin check drift -p mode=random -t regression
expect_out "FAIL regression/repeat: example 'ex-0': value"
expect_out "FAIL regression/fresh instance"
expect_rc 1 plugin check flaky
expect_out "FAIL regression/predict: 5 of 50 examples reported an error; example 'ex-9': simulated failure"
ok "check catches drift with the batch size, nondeterminism and per-example errors"

expect_rc 1 plugin check failcreate
expect_out "FAIL classification/create: plugin 'failcreate' could not create an instance for task 'classification': model weights 'weights.bin' are missing"
expect_rc 1 plugin check failcreate -p mode=log
expect_err "benchtop: error: failcreate: no licence server at localhost:27000"
expect_out "no licence server at localhost:27000"
expect_rc 2 plugin check knn -p kk=3
expect_err "unknown param 'kk' for plugin 'knn' (did you mean 'k'?)"
expect_rc 2 plugin check knn -p k=many
expect_err "param 'k' for plugin 'knn': 'many' is not an integer"
expect_rc 2 plugin info abi2
expect_err "plugin 'abi2' was built for plugin ABI 2; this benchtop supports ABI 1: upgrade benchtop"
expect_rc 2 plugin check small
expect_err "plugin 'small' has a 24-byte descriptor"
expect_rc 2 plugin info noentry
expect_err "is not a benchtop plugin: it does not export 'benchtop_plugin_entry'"
expect_rc 2 plugin info nopredict
expect_err "plugin 'nopredict' has no predict callback"
echo "not an ELF file" >x.so
expect_rc 2 plugin info x.so
expect_err "'./x.so' is not a shared object"
expect_rc 2 plugin check logistic
expect_err "plugin 'logistic' not found in $libs, $top_builddir/tests/plugins/.libs,"
expect_rc 2 plugin info rige
expect_err "did you mean 'ridge'?"
expect_rc 2 plugin info ./missing/model.so
expect_err "plugin './missing/model.so' not found"
ok "every broken plugin fails with its own message and status"

expect_rc 0 plugin ls
for m in majority knn logreg gnb ridge replay trivial cxx; do
	printf '%s\n' "$out" | grep -q "^$m  *[0-9]" || fail "plugin ls does not list $m"
done
printf '%s\n' "$out" | grep "^abi2 " | grep -q "broken" || fail "abi2 is not listed as broken"
expect_rc 0 plugin ls -f json
printf '%s' "$out" | python3 -c '
import json, sys
rows = {r["name"]: r for r in json.load(sys.stdin)}
assert rows["knn"]["status"] == "ok" and "retrieval" in rows["knn"]["tasks"], rows["knn"]
assert rows["small"]["status"] == "broken" and "descriptor" in rows["small"]["error"], rows["small"]
' || fail "plugin ls -f json"
mkdir -p more
cp "$libs/gnb.so" more/knn.so
path=$BENCHTOP_PLUGIN_PATH
BENCHTOP_PLUGIN_PATH="$path:$PWD/more"
expect_rc 0 plugin ls -f csv
printf '%s\n' "$out" | grep "more/knn.so" | grep -q shadowed || fail "a second knn is not shadowed"
BENCHTOP_PLUGIN_PATH="$PWD/more"
expect_rc 0 plugin info knn
expect_out "name:        gnb"
BENCHTOP_PLUGIN_PATH=/nonexistent
expect_rc 0 plugin ls
[ -n "$out" ] || expect_err "no plugins found in: /nonexistent"
BENCHTOP_PLUGIN_PATH=$path
ok "ls lists what the search path holds, broken and shadowed ones marked"

expect_rc 2 plugin
expect_err "plugin needs a subcommand"
expect_rc 2 plugin chek knn
expect_err "did you mean 'check'?"
expect_rc 2 plugin check
expect_err "plugin check needs exactly one PLUGIN"
expect_rc 2 plugin check knn -t regresion
expect_err "unknown task type 'regresion' (did you mean 'regression'?)"
expect_rc 2 plugin check logreg -t regression
expect_err "plugin 'logreg' does not do regression tasks"
expect_rc 2 plugin info -f yaml knn
expect_rc 2 plugin check knn -p novalue
expect_err "expected key=value"
expect_rc 0 plugin --help
expect_out "usage: benchtop plugin info"
expect_rc 0 help plugin
expect_out "benchtop plugin check"
expect_rc 0 --help
expect_out "plugin"
ok "usage errors exit 2; help is there"
