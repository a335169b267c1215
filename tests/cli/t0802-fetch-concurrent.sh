#!/bin/sh
# t0802-fetch-concurrent: two processes fetching the same file at once
# download it once (a lock per file); both succeed, and neither ever sees
# a partial file under the final name.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/lib-fetch.sh"

make_data 48 5 >"$WWW/shared.csv"
S=$(sha "$WWW/shared.csv")
SIZE=$(wc -c <"$WWW/shared.csv")
# 48 KiB at about 1 KiB per 25 ms: over a second, so the two overlap.
start_httpd web --rule /shared.csv=slow:25
final="$CACHE/$S.csv"

"$BENCHTOP" suite fetch --url "$BASE/shared.csv" --sha256 "$S" >"$TEST_DIR/out1" 2>"$TEST_DIR/err1" &
p1=$!
# The second starts once the first has the lock and bytes are arriving.
i=0
while [ ! -s "$CACHE/.tmp/$S.csv.part" ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "the first download did not start"
	sleep 0.02
done
"$BENCHTOP" suite fetch --url "$BASE/shared.csv" --sha256 "$S" >"$TEST_DIR/out2" 2>"$TEST_DIR/err2" &
p2=$!

# Watch the final name while both run: it is absent, or whole.
seen=0
while kill -0 $p1 2>/dev/null || kill -0 $p2 2>/dev/null; do
	if [ -e "$final" ]; then
		[ "$(wc -c <"$final")" = "$SIZE" ] || fail "a partial file was visible under the final name"
		seen=1
	fi
	sleep 0.01
done
wait $p1 || fail "the first process failed: $(cat "$TEST_DIR/err1")"
wait $p2 || fail "the second process failed: $(cat "$TEST_DIR/err2")"
[ $seen = 1 ] || [ -e "$final" ] || fail "no file in the end"
cmp "$WWW/shared.csv" "$final" || fail "cached file differs"
[ "$(cat "$TEST_DIR/out1")" = "$final" ] && [ "$(cat "$TEST_DIR/out2")" = "$final" ] ||
	fail "the two processes printed different paths"
[ "$(gets /shared.csv)" = 1 ] || fail "downloaded $(gets /shared.csv) times"
grep -q "waiting for another process downloading" "$TEST_DIR/err2" ||
	fail "the second process did not wait: $(cat "$TEST_DIR/err2")"
grep -q "1 already in the cache" "$TEST_DIR/err2" || fail "the second process downloaded"
[ -z "$(find "$CACHE/.tmp" -type f)" ] || fail "locks or partials left: $(find "$CACHE/.tmp" -type f)"
ok "two processes fetching one file download it once and both succeed"
