#!/bin/sh
# t0692-gates: per-metric gates written in the suite file (`gates:`) decide
# what `benchtop check` calls a regression, over the command-line defaults.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/bench.db"
mkdir -p suites
cp -r "$top_srcdir/suites/data" suites/
chmod -R u+w suites
write_suite() { # min_delta for iris accuracy
	cat >suites/gated.yaml <<YAML
name: gated
tasks:
  - name: iris
    type: classification
    data: {test: data/iris-test.csv, train: data/iris-train.csv}
    target: species
    metrics: [accuracy, f1_macro]
    gates:
      - {metric: accuracy, min_delta: $1}
YAML
}
write_suite 0.9
git_commit "a gated suite"
expect_rc 0 run suites/gated.yaml -m knn
echo "worse" >>README
git_commit "a commit that makes the model worse"
# The same model, much worse: kNN over all 105 training examples predicts the
# majority class.
expect_rc 0 run suites/gated.yaml -m knn -p k=105
expect_rc 0 check --metric accuracy
printf '%s\n' "$out" | grep -q '^iris  accuracy .* unchanged$' || fail "accuracy should be unchanged"
expect_out "0 regressed"
ok "a drop smaller than the suite's min_delta for accuracy is not a regression"

write_suite 0.01
expect_rc 1 check --metric accuracy
printf '%s\n' "$out" | grep -q '^iris  accuracy .* REGRESSED$' || fail "accuracy should regress"
ok "with a small min_delta in the suite, the same drop is a regression"
