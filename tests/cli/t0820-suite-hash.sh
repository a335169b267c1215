#!/bin/sh
# t0820-suite-hash: `benchtop suite hash FILE|URL` prints the sha256 to put
# in a suite; a URL is downloaded once and kept in the cache, so the next
# `suite fetch` makes no request.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/lib-fetch.sh"

make_data 24 7 >"$WWW/d.csv"
printf 'id,x\n1,2\n' >"$TEST_DIR/small.csv"
S=$(sha "$WWW/d.csv")
start_httpd web --rule /flaky.csv=fail:1:file
cp "$WWW/d.csv" "$WWW/flaky.csv"

expect_rc 0 suite hash "$WWW/d.csv"
[ "$out" = "$S" ] || fail "hash of a file: '$out'"
expect_rc 0 suite hash "$WWW/d.csv" "$TEST_DIR/small.csv"
[ "$out" = "$S  $WWW/d.csv
$(sha "$TEST_DIR/small.csv")  $TEST_DIR/small.csv" ] || fail "several files: '$out'"
[ -z "$(cache_files)" ] || fail "hashing a local file touched the cache"
ok "a local file's hash, one per line with names for several"

expect_rc 0 suite hash "$BASE/d.csv"
[ "$out" = "$S" ] || fail "hash of a URL: '$out'"
[ "$(gets /d.csv)" = 1 ] || fail "expected one request"
[ "$(cache_files)" = "$CACHE/$S.csv" ] || fail "the download was not kept: $(cache_files)"
expect_rc 0 suite fetch --url "$BASE/d.csv" --sha256 "$out"
[ "$(gets /d.csv)" = 1 ] || fail "suite fetch downloaded again"
ok "a URL's hash; the download is kept and reused by suite fetch"

rm -rf "$CACHE"
expect_rc 0 suite hash --no-cache "$BASE/flaky.csv"
[ "$out" = "$S" ] || fail "hash after a retry: '$out'"
[ "$(gets /flaky.csv)" = 2 ] || fail "the 500 was not retried"
[ -z "$(cache_files)" ] || fail "--no-cache kept files: $(cache_files)"
ok "--no-cache hashes without keeping anything, retrying like fetch"

expect_rc 2 suite hash "$TEST_DIR/nope.csv"
expect_err "cannot open '$TEST_DIR/nope.csv'"
expect_rc 3 suite hash "$BASE/nope.csv"
expect_err "HTTP 404"
[ "$(printf '%s\n' "$err" | grep -c '^benchtop: error:')" = 1 ] || fail "error printed twice: $err"
[ -z "$(cache_files)" ] || fail "a failed hash left files: $(cache_files)"
expect_rc 2 suite hash "ftp://127.0.0.1/x"
expect_err "only http, https and file URLs"
expect_rc 2 suite hash
expect_rc 2 suite hash -k "$BASE/d.csv"
expect_err "TLS verification cannot be turned off"
ok "missing files, failed downloads and other schemes are errors"

expect_rc 2 suite
expect_err "needs a subcommand"
expect_rc 2 suite fecth
expect_err "did you mean 'fetch'"
expect_rc 0 suite --help
expect_out "suite hash"
expect_rc 0 suite hash --help
expect_out "--no-cache"
expect_rc 0 help suite
expect_out "suite fetch"
ok "the suite dispatcher routes, suggests and helps"
