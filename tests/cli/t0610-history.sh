#!/bin/sh
# t0610-history: benchtop history along a real repository's first-parent
# history: one row per commit, gaps, intervals, and the degrading commit
# marked as a change point.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
expect_rc 0 init

mk() {
	"$MKRUN" --db "$BENCHTOP_DB" --suite tabular --suite-hash h1 "$@" >/dev/null
}

# Eight commits: accuracy 0.90 (+-0.004 wobble), then one degrades it to 0.85.
n=0
for v in 0.902 0.898 0.901 0.899 0.850 0.852 0.848; do
	n=$((n + 1))
	echo "$n" >>README
	if [ "$v" = 0.850 ]; then
		git_commit "swap the distance function"
		bad=$(git rev-parse HEAD)
	else
		git_commit "commit $n"
	fi
	lo=$(python3 -c "print($v - 0.013)")
	hi=$(python3 -c "print($v + 0.013)")
	mk --model knn --metric "iris/accuracy=$v:$lo:$hi" --metric "wine/accuracy=0.7:0.68:0.72"
	mk --model logreg --metric "iris/accuracy=0.5:0.48:0.52"
done
echo gap >>README
git_commit "docs only: no run"

expect_rc 0 history accuracy --task iris --model knn
printf '%s\n' "$out" | head -n 1 | grep -q '^COMMIT *DATE *VALUE *95% CI *RUNS *RUN *CHANGE *SUMMARY' ||
	fail "header: $out"
[ "$(printf '%s\n' "$out" | grep -c '<- ')" = 1 ] || fail "expected one change point: $out"
printf '%s\n' "$out" | grep '<- ' | grep -q "^$(echo "$bad" | cut -c1-8) .*0\.8500 .*<- -0\.0490 *swap the distance function$" ||
	fail "the degrading commit is not the change point: $out"
printf '%s\n' "$out" | grep -q 'docs only: no run$' || fail "the gap is missing: $out"
expect_out "9 commits, 7 with a value, 1 change point"
ok "the degrading commit is marked"

expect_rc 0 history accuracy --task iris --model knn --format json
printf '%s' "$out" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
bad = sys.argv[1]
assert len(rows) == 9, len(rows)
assert rows[0]["value"] is None and rows[0]["runs"] == 0, rows[0]
cps = [r for r in rows if r["change_point"]]
assert [r["sha"] for r in cps] == [bad], cps
assert abs(cps[0]["shift"] + 0.049) < 1e-9, cps[0]
assert abs(cps[0]["ci_low"] - 0.837) < 1e-9, cps[0]
assert rows[-1]["summary"] == "initial commit" and rows[-1]["value"] is None
' "$bad" || fail "history json"
ok "json rows carry sha, interval and the change point"

# Without a task: the mean over tasks.
expect_rc 0 history accuracy --model knn --format csv --no-header
# (0.848 + 0.7) / 2 at commit 7.
printf '%s\n' "$out" | sed -n 2p | cut -d, -f3 | grep -q '^0\.774$' || fail "mean over tasks: $out"
expect_rc 0 history accuracy --model logreg --format jsonl
printf '%s\n' "$out" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert len(rows) == 9 and not any(r["change_point"] for r in rows), rows
' || fail "logreg never changed"
ok "the mean over tasks, and a flat series without change points"

git checkout -q -b feature HEAD~3
echo f >>README
git_commit "feature work"
mk --model knn --metric "iris/accuracy=0.95:0.94:0.96"
expect_rc 0 history accuracy --task iris --model knn --branch main --format json
printf '%s' "$out" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert len(rows) == 9 and rows[0]["summary"] == "docs only: no run", rows[0]
'  || fail "--branch main"
expect_rc 0 history accuracy --task iris --model knn -n 2 --format json
printf '%s' "$out" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert len(rows) == 2 and rows[0]["summary"] == "feature work" and rows[0]["value"] == 0.95
' || fail "HEAD on the feature branch, limited to 2"
ok "--branch walks another history; --limit bounds it"

expect_rc 2 history acuracy
expect_err "no run has a metric 'acuracy' (did you mean 'accuracy'?)"
expect_rc 2 history accuracy --branch no-such-branch
expect_err "'no-such-branch' does not name a commit"
expect_rc 2 history
expect_err "history needs a metric name"
expect_rc 2 history accuracy --limit 0
expect_rc 0 history accuracy --suite nothing-like-it
expect_err "no finished run with 'accuracy'"
expect_rc 0 history --help
expect_out "usage: benchtop history"
ok "errors and help"
