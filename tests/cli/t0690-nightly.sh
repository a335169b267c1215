#!/bin/sh
# t0690-nightly: the scripted nightly end to end, with the real harness:
# contrib/benchtop-nightly.sh evaluates the bundled knn model on the
# tabular suite at four commits of a temporary repository; the third
# commit degrades the model (it stops standardising features, through the
# committed parameters file).  benchtop check must fail on that night only,
# write JUnit that xmllint validates and the Markdown table, and deliver
# every night's result to a local webhook; benchtop history must mark the
# degrading commit.
#
# Needs `benchtop run` (the harness) with --lock, the bundled knn plugin and
# suites/tabular.yaml: skipped (77) until they are in the build.
. "$top_srcdir/tests/cli/lib.sh"

skip() {
	echo "skipped: $*" >&2
	exit 77
}
"$BENCHTOP" run --help >"$TEST_DIR/run-help" 2>&1 || skip "this build has no 'benchtop run'"
grep -q -- '--lock' "$TEST_DIR/run-help" || skip "'benchtop run' has no --lock yet"
[ -f "$top_srcdir/suites/tabular.yaml" ] || skip "suites/tabular.yaml is not in the tree"
command -v xmllint >/dev/null 2>&1 || skip "xmllint is not installed (libxml2-utils)"

NIGHTLY="$top_srcdir/contrib/benchtop-nightly.sh"
LOG="$TEST_DIR/requests.log"
srv=
trap 'rc_keep=$?; [ -n "$srv" ] && kill "$srv" 2>/dev/null; (exit $rc_keep); cleanup' EXIT
python3 "$HTTPD" --root "$TEST_DIR" --log "$LOG" --port-file "$TEST_DIR/port" &
srv=$!
i=0
while [ ! -s "$TEST_DIR/port" ]; do
	i=$((i + 1))
	[ $i -lt 400 ] || fail "httpd.py did not start"
	sleep 0.05
done
export BENCHTOP_WEBHOOK="http://127.0.0.1:$(cat "$TEST_DIR/port")/nightly"
export BENCHTOP_DB="$TEST_DIR/db/bench.db"

# The suite and its data live in the repository, as they would in a project.
mkdir -p suites
cp "$top_srcdir/suites/tabular.yaml" suites/
cp -r "$top_srcdir/suites/data" suites/
printf 'k=5\nstandardize=true\n' >model.params
git_commit "add the tabular suite and the model's parameters"

nightly() { # nightly N: one night; status in $rc
	set +e
	BENCHTOP="$BENCHTOP" sh "$NIGHTLY" -s suites/tabular.yaml -m knn -P model.params \
		-r "$TEST_DIR/reports/$1" >"$TEST_DIR/night$1.out" 2>"$TEST_DIR/night$1.err"
	rc=$?
	set -e
}

nightly 1
[ "$rc" = 0 ] || fail "night 1 (no baseline yet) exited $rc: $(tail -n 20 "$TEST_DIR/night1.err")"

echo "notes" >NOTES
git_commit "night 2: documentation only"
nightly 2
[ "$rc" = 0 ] || fail "night 2 exited $rc: $(cat "$TEST_DIR/night2.out")"

sed -i 's/standardize=true/standardize=false/' model.params
git_commit "night 3: stop standardising features"
bad=$(git rev-parse HEAD)
nightly 3
[ "$rc" = 1 ] || fail "night 3 (degraded) exited $rc: $(cat "$TEST_DIR/night3.out")"

echo "more notes" >>NOTES
git_commit "night 4: documentation only"
nightly 4
[ "$rc" = 0 ] || fail "night 4 exited $rc: $(cat "$TEST_DIR/night4.out")"
ok "benchtop check fails at the degrading commit only"

expect_rc 0 ls --format json
printf '%s' "$out" | python3 -c '
import json, sys
runs = json.load(sys.stdin)
assert len(runs) == 4, len(runs)
assert all(r["status"] == "finished" and r["model"] == "knn" and r["tags"] == ["nightly"]
           for r in runs), runs
' || fail "four finished, tagged nightly runs"

for n in 1 2 3 4; do
	xmllint --noout --schema "$top_srcdir/tests/junit.xsd" "$TEST_DIR/reports/$n/junit.xml" \
		2>/dev/null || fail "night $n's JUnit does not validate"
	[ -s "$TEST_DIR/reports/$n/summary.md" ] || fail "night $n wrote no Markdown"
done
grep -q '<failure ' "$TEST_DIR/reports/3/junit.xml" || fail "night 3's JUnit has no failure"
grep -q '\*\*regressed\*\*' "$TEST_DIR/reports/3/summary.md" || fail "night 3's Markdown"
for n in 2 4; do
	grep -q '<failure ' "$TEST_DIR/reports/$n/junit.xml" && fail "night $n's JUnit has a failure"
done
ok "JUnit validates every night; Markdown tables written"

python3 - "$LOG" <<'EOF' || fail "the webhook did not get every night's result"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert [r["path"] for r in reqs] == ["/nightly"] * 4, [r["path"] for r in reqs]
bodies = [json.loads(r["body"]) for r in reqs]
assert [b["benchtop"]["passed"] for b in bodies] == [True, True, False, True], bodies
assert "regressed" in bodies[2]["text"], bodies[2]["text"]
EOF
ok "the webhook received the four results"

expect_rc 0 history accuracy --model knn --format json
printf '%s' "$out" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
cps = [r["sha"] for r in rows if r["change_point"]]
assert sys.argv[1] in cps, (cps, sys.argv[1])
' "$bad" || fail "benchtop history accuracy does not mark the degrading commit"
ok "benchtop history accuracy marks the degrading commit"
