#!/bin/sh
# t0830-run-url: `benchtop run` on a suite whose data is only reachable by
# URL: fetched into an empty cache and verified, reused with no request at
# all the second time, refused when corrupted, an error when offline.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/lib-fetch.sh"

export BENCHTOP_DB="$TEST_DIR/bench.db"
cp "$top_srcdir/suites/data/iris-test.csv" "$top_srcdir/suites/data/iris-train.csv" "$WWW/"
chmod u+w "$WWW"/*
start_httpd web
cat >remote.yaml <<YAML
name: remote-iris
tasks:
  - name: iris
    type: classification
    data:
      test: {url: "$BASE/iris-test.csv", sha256: $(sha "$WWW/iris-test.csv")}
      train: {url: "$BASE/iris-train.csv", sha256: $(sha "$WWW/iris-train.csv")}
    target: species
    metrics: [accuracy]
YAML
[ -z "$(cache_files)" ] || fail "the cache is not empty"
expect_rc 0 run remote.yaml -m knn
expect_out "accuracy"
[ "$(gets /iris-test.csv)" = 1 ] && [ "$(gets /iris-train.csv)" = 1 ] ||
	fail "expected one GET per file: $(cat "$LOG")"
[ "$(cache_files | wc -l)" = 2 ] || fail "both files should be cached"
ok "a suite with URL-only data runs on an empty cache"

stop_httpd web
expect_rc 0 run remote.yaml -m logreg
expect_out "accuracy"
[ "$(gets /iris-test.csv)" = 1 ] || fail "the second run made a request"
ok "the second run uses the cache, with the server gone"

export BENCHTOP_CACHE="$TEST_DIR/empty-cache"
runs=$(sqlite3 "$BENCHTOP_DB" 'SELECT count(*) FROM runs')
expect_rc 2 run remote.yaml -m knn --offline
expect_err "$BASE/iris-test.csv"
[ "$(sqlite3 "$BENCHTOP_DB" 'SELECT count(*) FROM runs')" = "$runs" ] || fail "a run was written"
ok "offline, data not in the cache is an error naming the URL, and nothing is written"

start_httpd bad --rule /iris-test.csv=corrupt
sed "s|127.0.0.1:[0-9]*|127.0.0.1:$PORT|" remote.yaml >corrupt.yaml
expect_rc 2 run corrupt.yaml -m knn
expect_err "sha256"
[ -z "$(find "$BENCHTOP_CACHE" -type f -name "$(sha "$WWW/iris-test.csv")*")" ] ||
	fail "a corrupted download was cached"
[ "$(printf '%s\n' "$err" | grep -c 'sha256 mismatch')" = 1 ] || fail "the mismatch was reported twice: $err"
[ "$(sqlite3 "$BENCHTOP_DB" 'SELECT count(*) FROM runs')" = "$runs" ] || fail "a run was written"
ok "a corrupted download is refused and not cached"
