#!/bin/sh
# t0101-replay-sklearn: predictions replayed through the whole harness
# (suite, data, replay plugin, isolation, samples, metrics) give
# scikit-learn's values to 1e-9, for the stored fixtures made with
# scikit-learn (tests/fixtures/make-sklearn-fixtures.py).  Fixture examples
# marked not ok become ids missing from the replay file: errors, excluded.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/bench.db"
fixtures="$top_srcdir/tests/fixtures/sklearn"

for fx in binary-scores binary-no-scores multiclass-scores multiclass-no-scores imbalanced \
	never-predicted absent-from-truth regression regression-small ranking; do
	dir="$TEST_DIR/$fx"
	mkdir -p "$dir"
	python3 - "$fixtures/$fx.json" "$dir" <<'PY' || fail "$fx: cannot build the suite"
import json, sys
fx = json.load(open(sys.argv[1]))
d = sys.argv[2]
n, t = fx["n"], fx["type"]
ok = fx["ok"]
metrics = [m for m in fx["expected"] if not m.startswith("latency") and m != "throughput"]
with open(d + "/test.jsonl", "w") as test, open(d + "/preds.jsonl", "w") as preds:
    for i in range(n):
        ex = {"id": "e%d" % i, "x": 0}
        p = {"id": "e%d" % i}
        if t == "classification":
            ex["label"] = "c%d" % fx["y_true"][i]
            p["label"] = "c%d" % fx["y_pred"][i]
            if "scores" in fx and fx["scores"][i] is not None:
                p["scores"] = {"c%d" % j: s for j, s in enumerate(fx["scores"][i])}
        elif t == "regression":
            ex["label"] = fx["t_value"][i]
            p["value"] = fx["p_value"][i]
        else:
            ex["q"] = "query %d" % i
            ex["label"] = fx["relevant"][i]
            p["ranking"] = fx["ranking"][i]
        test.write(json.dumps(ex) + "\n")
        if ok[i]:
            preds.write(json.dumps(p) + "\n")
spec = {"name": "t", "type": t, "data": {"test": "test.jsonl"}, "target": "label",
        "metrics": metrics, "options": {"bootstrap": 0}}
if t == "classification":
    spec["labels"] = ["c%d" % j for j in range(fx["k"])]
    spec["inputs"] = ["x"]
elif t == "regression":
    spec["inputs"] = ["x"]
else:
    docs = sorted({i for r in fx["ranking"] for i in r} | {i for r in fx["relevant"] for i in r})
    with open(d + "/docs.jsonl", "w") as f:
        for doc in docs:
            f.write(json.dumps({"id": doc, "text": doc}) + "\n")
    spec["data"]["train"] = "docs.jsonl"
    spec["inputs"] = ["q"]
with open(d + "/suite.yaml", "w") as f:
    json.dump({"name": sys.argv[1].rsplit("/", 1)[1], "tasks": [spec]}, f)  # JSON is YAML
PY
	expect_rc 0 run "$dir/suite.yaml" -m replay -p predictions="$dir/preds.jsonl"
	id=$(printf '%s\n' "$out" | sed -n 's/^run \([0-9]*\) .*/\1/p')
	"$BENCHTOP" show --format json "$id" >"$dir/run.json"
	python3 - "$fixtures/$fx.json" "$dir/run.json" <<'PY' || fail "$fx: metrics differ from scikit-learn"
import json, math, sys
fx = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))["metrics"]["t"]
checked = 0
for name, want in fx["expected"].items():
    if name.startswith("latency") or name == "throughput":
        continue
    have = got[name]["value"]
    if want is None or (isinstance(want, float) and math.isnan(want)):
        assert have is None, (name, have)
        continue
    assert have is not None, (name, "missing")
    assert math.isclose(have, want, rel_tol=1e-9, abs_tol=1e-12), (name, have, want)
    checked += 1
assert checked >= 1
print(sys.argv[1].rsplit("/", 1)[1], "checked", checked, "metrics")
PY
done
ok "replayed predictions reproduce scikit-learn's metric values"
