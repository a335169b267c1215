#!/bin/sh
# t0005-export: complete runs as JSON, tidy metrics as CSV.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/bench.db"
a=$("$MKRUN" --db "$BENCHTOP_DB" --name a --model knn --metric iris/accuracy=0.9:0.8:0.95 \
	--metric wine/accuracy=0.7 --samples t:5:1.0)
b=$("$MKRUN" --db "$BENCHTOP_DB" --name b --model logreg --metric iris/accuracy=0.8)

expect_rc 0 export
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "jsonl should have one line per run"
printf '%s\n' "$out" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert [r["name"] for r in rows] == ["a", "b"], rows
assert rows[0]["metrics"]["iris"]["accuracy"]["value"] == 0.9
assert "samples" not in rows[0]
' || fail "export jsonl"
expect_rc 0 export --samples --format json model=knn
printf '%s' "$out" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert len(rows) == 1
assert len(rows[0]["samples"]["t"]) == 5, rows[0]["samples"]
assert rows[0]["samples"]["t"][0]["correct"] == 1
' || fail "export json with samples"
ok "json and jsonl exports carry whole runs"

expect_rc 0 export --format csv
[ "$(printf '%s\n' "$out" | head -n 1 | tr -d '\r')" = "run_id,uuid,started_at,git_sha,git_branch,suite,model,name,task,metric,value,ci_low,ci_high,stderr,n" ] || fail "csv header: $(printf '%s\n' "$out" | head -n 1)"
[ "$(printf '%s\n' "$out" | grep -c ',iris,accuracy,')" = 2 ] || fail "csv rows"
ok "csv is one row per run, task and metric"

expect_rc 0 export -o "$TEST_DIR/out.jsonl" name=b
[ "$(wc -l <"$TEST_DIR/out.jsonl")" = 1 ] || fail "-o FILE"
ls "$TEST_DIR" | grep -q 'tmp' && fail "a temporary file was left behind"
expect_rc 3 export -o "$TEST_DIR/no/such/dir/out.jsonl"
expect_err "cannot write"
expect_rc 2 export --format table
ok "writing to a file, and its errors"
