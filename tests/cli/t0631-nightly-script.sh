#!/bin/sh
# t0631-nightly-script: contrib/benchtop-nightly.sh over four commits, one of
# which degrades the model through its committed parameters file.  The
# evaluation itself is a stand-in (`benchtop run` is replaced by a script
# that records runs with mkrun, more accurate with standardize=true), so
# that the script's plumbing and the real check, reports, webhook and
# history are tested without the harness; t0690 does it with the harness.
. "$top_srcdir/tests/cli/lib.sh"

command -v xmllint >/dev/null 2>&1 || {
	echo "xmllint is not installed (apt-get install libxml2-utils)" >&2
	exit 77
}
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
export BENCHTOP_WEBHOOK="http://127.0.0.1:$(cat "$TEST_DIR/port")/hook"
export BENCHTOP_WEBHOOK_HEADERS="Authorization: Bearer nightly-token"
export BENCHTOP_DB="$TEST_DIR/db/bench.db"

mkdir -p "$TEST_DIR/bin"
cat >"$TEST_DIR/bin/benchtop" <<'EOF'
#!/bin/sh
# run SUITE -m MODEL [--tag T] [--lock] [--wait=S] [-p K=V]...: a stand-in evaluation.
[ "$1" = run ] || exec "$REAL_BENCHTOP" "$@"
printf '%s\n' "$*" >>"$RUN_LOG"
shift 2
model= tag= acc=0.90
while [ $# -gt 0 ]; do
	case $1 in
	-m) model=$2; shift 2 ;;
	--tag) tag=$2; shift 2 ;;
	-p) [ "$2" = standardize=false ] && acc=0.86; shift 2 ;;
	*) shift ;;
	esac
done
exec "$MKRUN" --db "$BENCHTOP_DB" --suite tabular --model "$model" --suite-hash h1 \
	--tag "$tag" --samples "wine:2000:$acc:3" >/dev/null
EOF
chmod +x "$TEST_DIR/bin/benchtop"
export RUN_LOG="$TEST_DIR/runs.log" REAL_BENCHTOP="$BENCHTOP"

nightly() { # nightly N: run the script for night N, status in $rc
	set +e
	BENCHTOP="$TEST_DIR/bin/benchtop" sh "$NIGHTLY" -s suites/tabular.yaml -m knn \
		-P model.params -r "$TEST_DIR/reports/$1" >"$TEST_DIR/night$1.out" \
		2>"$TEST_DIR/night$1.err"
	rc=$?
	set -e
}

printf 'k=5\nstandardize=true  # scale the features\n' >model.params
git_commit "night 1: knn"
nightly 1
[ "$rc" = 0 ] || fail "night 1 exited $rc: $(cat "$TEST_DIR/night1.err")"
grep -q 'has no baseline, passing' "$TEST_DIR/night1.err" || fail "night 1 had a baseline?"
grep -q -- '-p k=5 -p standardize=true' "$RUN_LOG" || fail "params file: $(cat "$RUN_LOG")"
grep -q -- 'run suites/tabular.yaml -m knn --tag nightly --lock --wait=3600' "$RUN_LOG" ||
	fail "run: $(cat "$RUN_LOG")"
grep -q '^20[0-9-]*T[0-9:]*Z benchtop-nightly: evaluating' "$TEST_DIR/night1.err" ||
	fail "no timestamped log lines: $(cat "$TEST_DIR/night1.err")"

echo "docs" >NOTES
git_commit "night 2: documentation only"
nightly 2
[ "$rc" = 0 ] || fail "night 2 exited $rc: $(cat "$TEST_DIR/night2.out")"

sed -i 's/standardize=true/standardize=false/' model.params
git_commit "night 3: skip feature scaling"
bad=$(git rev-parse HEAD)
nightly 3
[ "$rc" = 1 ] || fail "night 3 exited $rc: $(cat "$TEST_DIR/night3.out")"
grep -q 'FAILED: regression or failed evaluation' "$TEST_DIR/night3.err" || fail "night 3 log"

echo "more docs" >>NOTES
git_commit "night 4: documentation again"
nightly 4
[ "$rc" = 0 ] || fail "night 4 exited $rc: $(cat "$TEST_DIR/night4.out")"
ok "the gate fails on the degrading night only"

xmllint --noout --schema "$top_srcdir/tests/junit.xsd" "$TEST_DIR/reports/3/junit.xml" ||
	fail "night 3's JUnit does not validate"
grep -q '<failure message="accuracy regressed' "$TEST_DIR/reports/3/junit.xml" ||
	fail "night 3's JUnit has no failure"
grep -q '<failure' "$TEST_DIR/reports/4/junit.xml" && fail "night 4's JUnit has a failure"
grep -q '^| wine | accuracy | .* | \*\*regressed\*\* |$' "$TEST_DIR/reports/3/summary.md" ||
	fail "night 3's Markdown: $(cat "$TEST_DIR/reports/3/summary.md")"
ok "JUnit and Markdown reports for every night"

[ "$(grep -c '"path": "/hook"' "$LOG")" = 4 ] || fail "expected four notifications"
python3 - "$LOG" <<'EOF' || fail "notifications"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
texts = [json.loads(r["body"])["text"] for r in reqs]
assert [t.startswith("benchtop check: FAIL") for t in texts] == [False, False, True, False], texts
assert all(r["headers"].get("Authorization") == "Bearer nightly-token" for r in reqs)
EOF
for n in 1 2 3 4; do
	grep -q nightly-token "$TEST_DIR/night$n.err" "$TEST_DIR/night$n.out" &&
		fail "the token reached night $n's log"
done
ok "each night notified the webhook; the token stayed out of the logs"

expect_rc 0 history accuracy --task wine --model knn --format json
printf '%s' "$out" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
cps = [r["sha"] for r in rows if r["change_point"]]
assert cps == [sys.argv[1]], (cps, sys.argv[1])
' "$bad" || fail "history does not mark the degrading commit"
ok "benchtop history marks the degrading commit"
