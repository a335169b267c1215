#!/bin/sh
# t0801-fetch-resume: interrupted downloads resume with a Range request,
# within one process (a dropped connection) and across processes (a killed
# download); a server that ignores Range, a stale prefix and a partial
# that is already whole all end in a verified file.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/lib-fetch.sh"

make_data 96 1 >"$WWW/big.csv"
S=$(sha "$WWW/big.csv")
SIZE=$(wc -c <"$WWW/big.csv")
for f in drop slow whole stale plain; do
	cp "$WWW/big.csv" "$WWW/$f.csv"
done
start_httpd web --rule /drop.csv=drop:40000 --rule /slow.csv=slow:40 --rule /whole.csv=norange

# xfer FIELD N PATH: FIELD of the Nth transfer of PATH in the transfer log
xfer() {
	python3 - "$1" "$2" "$3" "$XLOG" <<'PY'
import json, sys
field, n, path, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = [json.loads(l) for l in open(log)]
rows = [r for r in rows if r["path"] == path]
print(rows[n - 1][field] if len(rows) >= n else "none")
PY
}

expect_rc 0 suite fetch --url "$BASE/drop.csv" --sha256 "$S"
cmp "$WWW/big.csv" "$CACHE/$S.csv" || fail "the resumed file differs"
[ "$(gets /drop.csv)" = 2 ] || fail "expected two requests"
[ "$(xfer sent 1 /drop.csv)" = 40000 ] || fail "first transfer: $(xfer sent 1 /drop.csv)"
[ "$(xfer range 2 /drop.csv)" = "bytes=40000-" ] || fail "second request: $(xfer range 2 /drop.csv)"
[ "$(xfer status 2 /drop.csv)" = 206 ] || fail "second status $(xfer status 2 /drop.csv)"
[ "$(xfer sent 2 /drop.csv)" = $((SIZE - 40000)) ] || fail "the second request sent more than the rest"
expect_err "resuming '$BASE/drop.csv' from"
ok "a connection dropped half-way is resumed with Range, transferring only the rest"

rm -rf "$CACHE"
# About 1 KiB every 40 ms: killed after a few KiB, long before the end.
"$BENCHTOP" suite fetch --url "$BASE/slow.csv" --sha256 "$S" >/dev/null 2>&1 &
pid=$!
part="$CACHE/.tmp/$S.csv.part"
size_of() {
	if [ -f "$1" ]; then wc -c <"$1"; else echo 0; fi
}
i=0
while [ "$(size_of "$part")" -lt 8192 ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "the slow download did not start"
	sleep 0.05
done
kill -9 $pid
wait $pid 2>/dev/null || true
have=$(wc -c <"$part")
[ "$have" -lt "$SIZE" ] || fail "the download finished before it was killed"
[ ! -e "$CACHE/$S.csv" ] || fail "a killed download left a file under its final name"
stop_httpd web
start_httpd web2
expect_rc 0 suite fetch --url "$BASE/slow.csv" --sha256 "$S"
cmp "$WWW/big.csv" "$CACHE/$S.csv" || fail "the file resumed by another process differs"
[ "$(xfer range 1 /slow.csv)" = "bytes=$have-" ] || fail "asked for $(xfer range 1 /slow.csv), had $have"
[ "$(xfer sent 1 /slow.csv)" = $((SIZE - have)) ] || fail "sent $(xfer sent 1 /slow.csv)"
[ ! -e "$part" ] || fail "the partial file stayed behind"
ok "a download killed half-way is resumed by the next process from its partial file"

# A partial file made by hand: the first 30000 bytes.
mkdir -p "$CACHE/.tmp"
rm -f "$CACHE/$S.csv"
start_httpd web3 --rule /whole.csv=norange
head -c 30000 "$WWW/big.csv" >"$part"
expect_rc 0 suite fetch --url "$BASE/whole.csv" --sha256 "$S"
cmp "$WWW/big.csv" "$CACHE/$S.csv" || fail "restart after an ignored Range differs"
[ "$(xfer range 1 /whole.csv)" = "bytes=30000-" ] && [ "$(xfer status 1 /whole.csv)" = 200 ] ||
	fail "expected a Range request answered 200"
[ "$(gets /whole.csv)" = 1 ] || fail "an ignored Range needs no second request"
ok "a server that ignores Range sends the whole file and the download restarts cleanly"

rm -f "$CACHE/$S.csv"
head -c 30000 "$WWW/big.csv" | tr 'a-h' 'A-H' >"$part"
expect_rc 0 suite fetch --url "$BASE/stale.csv" --sha256 "$S"
cmp "$WWW/big.csv" "$CACHE/$S.csv" || fail "a stale prefix got into the file"
[ "$(xfer range 1 /stale.csv)" = "bytes=30000-" ] || fail "the partial was not resumed first"
[ "$(xfer range 2 /stale.csv)" = None ] || fail "the second request was not a whole download"
expect_err "did not verify; downloading it whole"
ok "a resumed file that does not verify is downloaded once more, whole"

rm -f "$CACHE/$S.csv"
cp "$WWW/big.csv" "$part"
expect_rc 0 suite fetch --url "$BASE/plain.csv" --sha256 "$S"
[ "$(xfer status 1 /plain.csv)" = 416 ] || fail "expected the server to refuse the range"
[ "$(gets /plain.csv)" = 1 ] || fail "a whole partial was downloaded again"
cmp "$WWW/big.csv" "$CACHE/$S.csv" || fail "the whole partial was not installed"
ok "a partial that is already whole is verified and installed after a 416"
