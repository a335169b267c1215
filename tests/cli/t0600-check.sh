#!/bin/sh
# t0600-check: the regression gate end to end on a real repository: default
# candidates and baselines, the table and JSON, exit statuses 0/1/2/4.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
expect_rc 0 init

mk() {
	"$MKRUN" --db "$BENCHTOP_DB" --suite tabular --suite-hash h1 "$@"
}

# Commit 1: the baseline.  2,000 examples, 90% right.
base=$(mk --model knn --samples iris:2000:0.90:7 --metric iris/f1_macro=0.88:0.86:0.90)
mk --model logreg --samples iris:2000:0.80:3 >/dev/null
echo two >>README
git_commit "commit two: nothing changes"
# The same outcomes example by example (same seed and accuracy): unchanged.
same=$(mk --model knn --samples iris:2000:0.90:7 --metric iris/f1_macro=0.88:0.86:0.90)
mk --model logreg --samples iris:2000:0.80:3 >/dev/null

expect_rc 0 check
expect_out "suite 'tabular' with model 'knn': run $same"
expect_out "against run $base"
expect_out "mcnemar"
expect_out "check: PASS: 0 regressed, 0 improved, 3 unchanged in 2 runs"
expect_no_out REGRESSED
ok "an unchanged commit passes"

echo three >>README
git_commit "commit three: degrade knn"
# Two points lower, on the same examples (the seed fixes each example's draw).
bad=$(mk --model knn --samples iris:2000:0.88:7 --metric iris/f1_macro=0.86:0.84:0.88)
mk --model logreg --samples iris:2000:0.80:3 >/dev/null
expect_rc 1 check
expect_out "run $bad"
expect_out "against run $same"
printf '%s\n' "$out" | grep -E '^iris +accuracy +0\.9[0-9]+ +0\.8[0-9]+ +-0\.0[0-9]+ +\[.*\] +<0\.0001 +mcnemar +REGRESSED$' >/dev/null ||
	fail "no regressed accuracy row in: $out"
expect_out "check: FAIL: 1 regressed, 0 improved, 2 unchanged in 2 runs"
ok "a two-point drop on 2,000 examples fails the gate"

expect_rc 1 check --format json
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["passed"] is False, r
assert r["counts"]["regressed"] == 1, r["counts"]
knn = [x for x in r["results"] if x["model"] == "knn"][0]
assert knn["outcome"] == "compared"
rows = {c["metric"]: c for c in knn["comparisons"]}
acc = rows["accuracy"]
assert acc["test"] == "mcnemar" and acc["verdict"] == "regressed", acc
assert acc["n"] == 2000, acc
assert acc["p_value"] < 0.01 and acc["ci_high"] < 0, acc
assert rows["f1_macro"]["test"] == "ci", rows["f1_macro"]
assert rows["f1_macro"]["verdict"] == "unchanged", rows["f1_macro"]
assert len(r["head"]) == 40 and r["branch"] == "main"
' || fail "check --format json does not describe the regression"
ok "json carries every comparison"

expect_rc 0 check --min-delta 0.05
expect_out "check: PASS"
expect_rc 0 check --min-delta 10%
expect_rc 1 check --min-delta 1%
expect_rc 0 check --alpha 1e-20
expect_rc 0 check --metric f1_macro
expect_no_out accuracy
expect_rc 1 check --metric iris/accuracy
ok "--min-delta (absolute and relative), --alpha and --metric"

# Explicit candidates and baselines.
expect_rc 0 check "$same"
expect_out "against run $base"
expect_rc 1 check "$bad" --against "$base"
expect_rc 0 check "$same" --against main~2
expect_out "against run $base"
"$BENCHTOP" tag "$base" nightly >/dev/null
expect_rc 1 check --against tag:nightly
expect_out "against run $base"
# The baseline of the improved run is the degraded one.
expect_rc 0 check "$same" --against "$bad"
expect_out "improved"
ok "explicit candidates and --against with ids, revisions and tags"

expect_rc 2 check --against no-such-ref
expect_err "'no-such-ref' is not a run"
expect_rc 2 check 9999
expect_err "no run with id 9999"
expect_rc 2 check --alpha 2
expect_err "--alpha needs a number between 0 and 1"
expect_rc 2 check --min-delta lots
expect_rc 2 check --format csv
expect_err "--format must be table or json"
expect_rc 2 check --missing-baseline maybe
expect_rc 2 check --wait=3
expect_err "--wait only makes sense with --lock"
expect_rc 2 check --notify ftp://example.com/x
expect_err "http:// or https://"
expect_rc 2 check --header 'no colon here' --notify http://127.0.0.1:1/
expect_rc 2 check --bogus
expect_err "unknown option '--bogus'"
ok "usage and input errors exit 2"

# A new suite has no history: pass with a warning, or exit 4 on request.
echo four >>README
git_commit "commit four: a new model"
mk --model forest --samples iris:500:0.7:1 >/dev/null
expect_rc 0 check
expect_err "has no baseline, passing"
expect_out "no baseline"
expect_out "1 without a baseline"
expect_rc 4 check --missing-baseline fail
expect_err "has no baseline"
ok "a missing baseline passes with a warning, or exits 4"

# A failed candidate fails the gate.
mk --model forest --status failed --reason "plugin crashed" >/dev/null
expect_rc 1 check
expect_err "failed: plugin crashed"
expect_out "FAILED: run"
expect_out "1 failed run"
ok "a failed candidate run exits 1"

echo five >>README
git_commit "commit five: no runs yet"
expect_rc 2 check
expect_err "no evaluation runs at HEAD"
ok "nothing to check at HEAD is an input error"

expect_rc 0 check --help
expect_out "usage: benchtop check"
expect_rc 1 -q check "$bad"
[ -z "$out" ] || fail "-q printed results: $out"
ok "-q prints nothing but errors"
