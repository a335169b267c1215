#!/bin/sh
# t0200-suite: `benchtop suite check` on the bundled suites and on broken
# ones: what it prints, its exit codes, paths relative to the suite file,
# and the suite hash.
. "$top_srcdir/tests/cli/lib.sh"

expect_rc 0 suite check "$top_srcdir/suites/tabular.yaml" "$top_srcdir/suites/text-demo.yaml"
for task in iris wine breast_cancer digits diabetes capitals trivia science-search; do
	expect_out "$task"
done
expect_err "ok: 2 suites, 8 tasks"
ok "the bundled suites check out"

expect_rc 0 suite check -f tsv --no-header "$top_srcdir/suites/tabular.yaml"
rows=$(printf '%s\n' "$out" | cut -f 2,4-)
printf '%s\n' "$rows" | grep -q "^tabular	digits	classification	540	1257	10	64	accuracy," ||
	fail "digits row: $(printf '%s\n' "$rows" | grep digits)"
printf '%s\n' "$rows" | grep -q "^tabular	diabetes	regression	133	309		10	mae,mse,rmse,r2$" ||
	fail "diabetes row: $(printf '%s\n' "$rows" | grep diabetes)"
ok "per task: type, test and train sizes, labels, features and metrics (digits is gzipped)"

# paths in a suite are relative to the suite file, wherever benchtop runs
mkdir -p "$TEST_DIR/s/data" "$TEST_DIR/elsewhere"
cp "$top_srcdir/suites/data/iris-test.csv" "$top_srcdir/suites/data/iris-train.csv" "$TEST_DIR/s/data/"
cat >"$TEST_DIR/s/mine.yaml" <<'YAML'
name: mine
tasks:
  - name: iris
    type: classification
    data: {test: data/iris-test.csv, train: data/iris-train.csv}
    target: species
YAML
cd "$TEST_DIR/elsewhere"
expect_rc 0 suite check -f json ../s/mine.yaml
expect_out '"test": 45'
expect_out '"train": 105'
expect_out '"labels": 3'
hash1=$(printf '%s\n' "$out" | sed -n 's/.*"suite_hash": "\([0-9a-f]*\)".*/\1/p')
[ ${#hash1} = 64 ] || fail "no suite hash in: $out"
expect_rc 0 suite check -f json ../s/mine.yaml
hash2=$(printf '%s\n' "$out" | sed -n 's/.*"suite_hash": "\([0-9a-f]*\)".*/\1/p')
[ "$hash1" = "$hash2" ] || fail "the suite hash is not stable"
sed -i 's/^iris-002,4.9/iris-002,4.8/' "$TEST_DIR/s/data/iris-test.csv"
expect_rc 0 suite check -f json ../s/mine.yaml
hash3=$(printf '%s\n' "$out" | sed -n 's/.*"suite_hash": "\([0-9a-f]*\)".*/\1/p')
[ "$hash3" != "$hash1" ] || fail "changing a data file did not change the suite hash"
ok "data paths are relative to the suite file; the hash follows the data"

cd "$TEST_DIR/s"
printf 'name: broken\ntasks:\n  - name: iris\n    type: classification\n    data: {test: data/iris-test.csv}\n    target: species\n    metrcs: [accuracy]\n' >bad.yaml
expect_rc 2 suite check mine.yaml bad.yaml
expect_err "benchtop: error: bad.yaml:7:5: unknown key 'metrcs' (did you mean 'metrics'?)"
[ -z "$out" ] || fail "a failed check printed a table: $out"
printf 'id,sepal_length,sepal_width,petal_length,petal_width,species\nx1,1,2,3,4,setosa\nx2,1,2,3\n' >data/ragged.csv
sed 's/iris-test.csv/ragged.csv/; /metrcs/d' bad.yaml >ragged.yaml
expect_rc 2 suite check ragged.yaml
expect_err "benchtop: error: data/ragged.csv:3:9: too few fields: 4 where the header has 6"
expect_rc 2 suite check missing.yaml
expect_err "benchtop: error: suite file 'missing.yaml' does not exist"
ok "the first problem exits 2 with file:line:col"

expect_rc 2 suite
expect_err "suite needs a subcommand"
expect_rc 2 suite chekc mine.yaml
expect_err "'chekc' is not a suite subcommand (did you mean 'check'?)"
expect_rc 2 suite check
expect_err "suite check needs a suite file"
expect_rc 2 suite check --bogus mine.yaml
expect_err "unknown option '--bogus'"
expect_rc 0 suite --help
expect_out "check"
expect_rc 0 suite check --help
expect_out "usage: benchtop suite check"
expect_rc 0 help suite
expect_out "Subcommands:"
ok "usage errors exit 2; --help works"

# Large splits are checked by several threads; the duplicate id reported is
# the first in the file whatever the thread count or limit.
mkdir -p "$TEST_DIR/big"
awk 'BEGIN { print "id,x,y"; for (i = 1; i <= 100000; i++)
	printf "%s,%d,%d\n", (i == 70001 ? "r5" : i == 90001 ? "r3" : "r" i), i, i % 2 }' \
	>"$TEST_DIR/big/big.csv"
cat >"$TEST_DIR/big/big.yaml" <<'YAML'
name: big
tasks:
  - name: t
    type: regression
    data: {test: big.csv}
    target: y
YAML
for env in "OMP_NUM_THREADS=1" "OMP_NUM_THREADS=4" "OMP_NUM_THREADS=4 OMP_THREAD_LIMIT=1" \
	"OMP_NUM_THREADS=4 OMP_THREAD_LIMIT=3"; do
	# shellcheck disable=SC2086 # the assignments are split on purpose
	out=$(env $env "$BENCHTOP" suite check "$TEST_DIR/big/big.yaml" 2>&1) &&
		fail "$env: a duplicate id passed the check"
	case $out in
	*"big.csv:70002:1: duplicate id 'r5' (first on line 6)"*) ;;
	*) fail "$env: $out" ;;
	esac
done
ok "the first duplicate id of a large split, with 1 and 4 threads and under thread limits"
