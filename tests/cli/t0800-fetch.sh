#!/bin/sh
# t0800-fetch: `benchtop suite fetch` against a real HTTP server and file://
# URLs: verification, cache reuse without the network, offline mode,
# retries, redirects, timeouts, gzip kept compressed, parallel downloads.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/lib-fetch.sh"

make_data 64 1 >"$WWW/iris.csv"
cp "$WWW/iris.csv" "$WWW/bad.csv"
for f in flaky broken missing hops toomany slow crawl; do
	cp "$WWW/iris.csv" "$WWW/$f.csv"
done
S=$(sha "$WWW/iris.csv")
start_httpd web --rule /bad.csv=corrupt --rule /flaky.csv=fail:2:file \
	--rule /broken.csv=status:503 --rule /hops.csv=redirect:3 --rule /toomany.csv=redirect:11 \
	--rule /slow.csv=slow:5 --rule /crawl.csv=slow:1500

expect_rc 0 suite fetch --url "$BASE/iris.csv" --sha256 "$S"
[ "$out" = "$CACHE/$S.csv" ] || fail "printed '$out', expected the cache path"
cmp "$WWW/iris.csv" "$CACHE/$S.csv" || fail "cached bytes differ"
[ "$(gets /iris.csv)" = 1 ] || fail "expected one request"
expect_err "fetched '$BASE/iris.csv'"
[ "$(cache_files)" = "$CACHE/$S.csv" ] || fail "cache holds more than the file: $(cache_files)"
ok "a download is verified and lands under its sha256 in the default cache"

expect_rc 0 suite fetch --url "$BASE/iris.csv" --sha256 "$S"
[ "$(gets /iris.csv)" = 1 ] || fail "the cached file was requested again"
expect_err "1 already in the cache"
stop_httpd web
expect_rc 0 suite fetch --url "$BASE/iris.csv" --sha256 "$S"
[ "$out" = "$CACHE/$S.csv" ] || fail "no path with the server stopped"
expect_rc 0 suite fetch --offline --url "$BASE/iris.csv" --sha256 "$S"
ok "a cached file is used without any request, even with the server gone"

start_httpd web --rule /bad.csv=corrupt --rule /flaky.csv=fail:2:file \
	--rule /broken.csv=status:503 --rule /hops.csv=redirect:3 --rule /toomany.csv=redirect:11 \
	--rule /slow.csv=slow:5 --rule /crawl.csv=slow:1500
Z=$(printf '%064d' 7)
expect_rc 2 suite fetch --offline --url "$BASE/missing.csv" --sha256 "$Z"
expect_err "'$BASE/missing.csv' is not in the cache"
expect_err "offline"
[ "$(wc -l <"$LOG")" = 0 ] || fail "offline mode made a request"
ok "offline, a missing file is an error naming its URL, and nothing is requested"

expect_rc 0 suite fetch --url "$BASE/bad.csv" --sha256 "$S"
[ "$(wc -l <"$LOG")" = 0 ] || fail "a file cached under its hash was requested again"
rm -rf "$CACHE"
expect_rc 2 suite fetch --url "$BASE/bad.csv" --sha256 "$S"
expect_err "sha256 mismatch for '$BASE/bad.csv': expected $S, got "
got=$(printf '%s\n' "$err" | sed -n 's/.*, got \([0-9a-f]*\).*/\1/p')
flipped=$(python3 -c '
import hashlib, sys
d = bytearray(open(sys.argv[1], "rb").read())
d[-1] ^= 0xFF
print(hashlib.sha256(d).hexdigest())' "$WWW/bad.csv")
[ "$got" = "$flipped" ] || fail "the message names '$got', not the hash of what was served"
[ -z "$(cache_files)" ] || fail "a corrupt download left something in the cache: $(cache_files)"
ok "a corrupt download is refused, naming both hashes, and nothing is cached"

expect_rc 0 suite fetch --url "$BASE/flaky.csv" --sha256 "$S"
[ "$(gets /flaky.csv)" = 3 ] || fail "expected 500, 500, 200: $(gets /flaky.csv) requests"
expect_err "HTTP 500; retrying in"
cmp "$WWW/iris.csv" "$CACHE/$S.csv" || fail "retried download differs"
rm -rf "$CACHE"
BENCHTOP_FETCH_RETRIES=2 expect_rc 3 suite fetch --url "$BASE/broken.csv" --sha256 "$S"
expect_err "cannot download '$BASE/broken.csv': HTTP 503 (after 3 attempts)"
[ "$(gets /broken.csv)" = 3 ] || fail "expected three attempts"
expect_rc 3 suite fetch --url "$BASE/nowhere.csv" --sha256 "$S"
expect_err "HTTP 404"
[ "$(gets /nowhere.csv)" = 1 ] || fail "a 404 was retried"
ok "5xx answers are retried with backoff, a 404 is not"

expect_rc 0 suite fetch --url "$BASE/hops.csv" --sha256 "$S"
[ "$(gets /hops.csv)" = 1 ] && [ "$(gets /r/1/hops.csv)" = 1 ] || fail "redirect chain not followed"
rm -rf "$CACHE"
expect_rc 3 suite fetch --url "$BASE/toomany.csv" --sha256 "$S"
expect_err "redirects"
[ "$(gets /r/2/toomany.csv)" = 1 ] && [ "$(gets /r/1/toomany.csv)" = 0 ] ||
	fail "the chain was not cut at ten redirects"
[ -z "$(cache_files)" ] || fail "a failed redirect left files"
ok "redirect chains are followed up to ten hops and refused beyond"

expect_rc 0 suite fetch --url "$BASE/slow.csv" --sha256 "$S"
rm -rf "$CACHE"
start=$(date +%s)
BENCHTOP_FETCH_TIMEOUT=1 BENCHTOP_FETCH_LOW_SPEED=4096 BENCHTOP_FETCH_RETRIES=1 \
	expect_rc 3 suite fetch --url "$BASE/crawl.csv" --sha256 "$S"
took=$(($(date +%s) - start))
expect_err "cannot download '$BASE/crawl.csv'"
expect_err "(after 2 attempts)"
[ "$(gets /crawl.csv)" = 2 ] || fail "the stalled transfer was not retried once"
[ $took -lt 20 ] || fail "the low-speed timeout took ${took}s"
ok "a slow transfer completes; one below the low-speed limit times out and is retried"

expect_rc 0 suite fetch --url "file://$WWW/iris.csv" --sha256 "$S"
[ "$out" = "$CACHE/$S.csv" ] || fail "file:// path"
rm -rf "$CACHE"
echo tampered >>"$WWW/bad.csv"
expect_rc 2 suite fetch --url "file://$WWW/bad.csv" --sha256 "$S"
expect_err "sha256 mismatch"
[ -z "$(cache_files)" ] || fail "file:// mismatch left files"
ok "file:// URLs are verified the same way"

gzip -c -n "$WWW/iris.csv" >"$WWW/iris.csv.gz"
G=$(sha "$WWW/iris.csv.gz")
expect_rc 0 suite fetch --url "$BASE/iris.csv.gz" --sha256 "$G"
[ "$out" = "$CACHE/$G.csv.gz" ] || fail "a .csv.gz is cached as '$out'"
cmp "$WWW/iris.csv.gz" "$CACHE/$G.csv.gz" || fail "the gzip file was not stored as served"
ok "gzip data stays compressed in the cache, with its suffix"

make_data 32 2 >"$WWW/a.jsonl"
make_data 32 3 >"$WWW/b.csv"
make_data 32 4 >"$WWW/c.csv"
rm -rf "$CACHE"
expect_rc 0 suite fetch -j 3 --url "$BASE/a.jsonl" --sha256 "$(sha "$WWW/a.jsonl")" \
	--url "$BASE/b.csv" --sha256 "$(sha "$WWW/b.csv")" \
	--url "$BASE/c.csv" --sha256 "$(sha "$WWW/c.csv")" \
	--url "$BASE/c.csv" --sha256 "$(sha "$WWW/c.csv" | tr a-f A-F)"
[ "$(cache_files | wc -l)" = 3 ] || fail "expected three cached files: $(cache_files)"
[ "$(gets /c.csv)" = 1 ] || fail "a file named twice was downloaded twice"
expect_err "3 files: 3 downloaded"
ok "several files are fetched in one batch, the same file once"

mkdir -p suites
cat >suites/tab.yaml <<YAML
name: tabular
tasks:
  - name: iris
    type: classification
    test: {url: "$BASE/iris.csv", sha256: $S}
    train:
      url: $BASE/b.csv
      sha256: $(sha "$WWW/b.csv")
YAML
rm -rf "$CACHE"
expect_rc 0 suite fetch suites/tab.yaml
[ "$(cache_files | wc -l)" = 2 ] || fail "the suite's two files were not fetched"
ok "suite fetch SUITE fetches what the suite names"

expect_rc 2 suite fetch --url "ftp://127.0.0.1/x.csv" --sha256 "$S"
expect_err "only http, https and file URLs"
expect_rc 2 suite fetch --url "$BASE/iris.csv" --sha256 abc
expect_err "'abc' is not a sha256"
expect_rc 2 suite fetch --url "ftp://127.0.0.1/x.csv" --sha256 "$S" --url "$BASE/iris.csv" --sha256 abc
[ "$(printf '%s\n' "$err" | grep -c '^benchtop: error:')" = 2 ] || fail "expected one error per file: $err"
expect_err "2 files: 0 downloaded (0 B), 0 already in the cache, 2 failed"
expect_rc 2 suite fetch --url "$BASE/iris.csv"
expect_err "needs a --sha256"
expect_rc 2 suite fetch --insecure --url "$BASE/iris.csv" --sha256 "$S"
expect_err "TLS verification cannot be turned off"
expect_rc 2 suite fetch -k suites/tab.yaml
expect_rc 2 suite fetch
expect_rc 0 suite fetch --help
expect_out "--offline"
BENCHTOP_FETCH_TIMEOUT=soon expect_rc 2 suite fetch suites/tab.yaml
expect_err "BENCHTOP_FETCH_TIMEOUT must be a number"
ok "bad URLs, hashes and options are usage errors"
