#!/bin/sh
# t0002-ls: listing runs, output formats and the filter language end to end.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
expect_rc 0 init
a=$("$MKRUN" --db "$BENCHTOP_DB" --name alpha --suite tabular --model knn \
	--metric iris/accuracy=0.95:0.91:0.98 --tag nightly --param k=5)
echo change >>README
b=$("$MKRUN" --db "$BENCHTOP_DB" --name beta --suite tabular --model logreg \
	--metric iris/accuracy=0.40 --status failed --reason "boom")
git checkout -q -b feature
c=$("$MKRUN" --db "$BENCHTOP_DB" --name gamma --suite text --model majority \
	--metric qa/exact_match=0.7)
sha=$(git rev-parse HEAD)

expect_rc 0 ls
expect_out alpha
expect_out beta
expect_out gamma
expect_out "${sha%"${sha#????????}"}"
ok "table lists every run with its short sha"

expect_rc 0 ls --format json
printf '%s' "$out" | python3 -c '
import json, sys
runs = json.load(sys.stdin)
assert len(runs) == 3, runs
for r in runs:
    assert len(r["git_sha"]) == 40, r
names = [r["name"] for r in runs]
assert names == ["gamma", "beta", "alpha"], names
assert runs[2]["metrics"]["iris"]["accuracy"] == 0.95
assert runs[2]["params"] == {"k": "5"}
assert runs[2]["tags"] == ["nightly"]
assert runs[1]["git_dirty"] is True
' || fail "ls --format json is not what was stored"
ok "json carries the full git sha of every run"

expect_rc 0 ls 'accuracy>0.5 branch=main'
expect_out alpha
expect_no_out beta
expect_no_out gamma
ok "metric and branch filters combine"

expect_rc 0 ls 'accuracy>0.5 or model=majority'
expect_out alpha
expect_out gamma
expect_no_out beta
expect_rc 0 ls 'not status=failed' '(knn or majority)'
expect_out alpha
expect_out gamma
expect_no_out beta
expect_rc 0 ls tag=nightly
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "tag filter"
expect_rc 0 ls param.k=5 --format jsonl
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "param filter"
expect_rc 0 ls iris/accuracy\<0.5 --format csv
expect_out beta
expect_no_out alpha
ok "or, not, parentheses, tags, params, task/metric"

expect_rc 2 ls 'accuracy>>'
expect_err "expected a value after '>'"
printf '%s\n' "$err" | grep -q '^             \^' || fail "no caret under column 10: $err"
expect_rc 2 ls 'brnach=main'
expect_err "did you mean 'branch'"
expect_rc 2 ls '(status=failed'
expect_err "missing ')'"
ok "bad filters exit 2 with a caret under the fault"

expect_rc 0 ls --sort accuracy --format tsv --no-header
first=$(printf '%s\n' "$out" | head -n 1 | cut -f1)
[ "$first" = "$a" ] || fail "sort by accuracy put run $first first, expected $a"
expect_rc 0 ls -n 1 --format jsonl
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "--limit"
expect_rc 0 ls --format markdown
expect_out '| ID |'
ok "sorting, limits and markdown"

expect_rc 0 ls --ci -M iris/accuracy name=alpha
expect_out "0.9500 [0.9100, 0.9800]"
expect_rc 0 ls --ci -M iris/accuracy name=alpha --format json
printf '%s' "$out" | python3 -c '
import json, sys
m = json.load(sys.stdin)[0]["metric:iris/accuracy"]
assert m == {"value": 0.95, "ci_low": 0.91, "ci_high": 0.98}, m
' || fail "ls --ci --format json"
ok "metric columns with confidence intervals"

expect_rc 2 ls --format yaml
expect_err "unknown format 'yaml'"
expect_rc 2 ls --bogus
expect_err "unknown option '--bogus'"
ok "bad options exit 2"
