#!/bin/sh
# t0602-check-notify: check --notify POSTs the result to a real HTTP server
# (tests/helpers/httpd.py on 127.0.0.1): the Slack-style text and the
# structured results, extra headers that never show up anywhere else,
# retries on 5xx, bounded time against a server that never answers, and a
# gate whose exit status does not depend on the notification.
. "$top_srcdir/tests/cli/lib.sh"

LOG="$TEST_DIR/requests.log"
srv=
trap 'rc_keep=$?; [ -n "$srv" ] && kill "$srv" 2>/dev/null; (exit $rc_keep); cleanup' EXIT
python3 "$HTTPD" --root "$TEST_DIR" --log "$LOG" --port-file "$TEST_DIR/port" \
	--rule /flaky=fail:2:status:200 --rule /down=status:500 --rule /gone=status:404 \
	--rule /hang=hang &
srv=$!
i=0
while [ ! -s "$TEST_DIR/port" ]; do
	i=$((i + 1))
	[ $i -lt 400 ] || fail "httpd.py did not start"
	sleep 0.05
done
URL="http://127.0.0.1:$(cat "$TEST_DIR/port")"

posts() { # posts PATH: how many POSTs reached PATH
	[ -f "$LOG" ] || { echo 0; return; }
	grep -c "\"path\": \"$1\"" "$LOG" || true
}

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
expect_rc 0 init
"$MKRUN" --db "$BENCHTOP_DB" --suite tabular --model knn --suite-hash h1 \
	--samples iris:2000:0.9:4 >/dev/null
echo two >>README
git_commit "degrade the model"
bad=$("$MKRUN" --db "$BENCHTOP_DB" --suite tabular --model knn --suite-hash h1 \
	--samples iris:2000:0.85:4)

expect_rc 1 check --notify "$URL/hook" --header 'Authorization: Bearer tok-123-secret'
[ "$(posts /hook)" = 1 ] || fail "expected one POST to /hook"
python3 - "$LOG" <<'EOF' || fail "the notification is not what was decided"
import json, sys
req = [json.loads(l) for l in open(sys.argv[1]) if '"/hook"' in l][0]
assert req["method"] == "POST"
h = {k.lower(): v for k, v in req["headers"].items()}
assert h["authorization"] == "Bearer tok-123-secret", h
assert h["content-type"] == "application/json", h
body = json.loads(req["body"])
assert body["text"].startswith("benchtop check: FAIL: 1 regressed"), body["text"]
assert "tabular/knn iris/accuracy regressed" in body["text"], body["text"]
assert "main" in body["text"], body["text"]
res = body["benchtop"]
assert res["passed"] is False and res["counts"]["regressed"] == 1, res
assert res["results"][0]["comparisons"][0]["verdict"] == "regressed"
EOF
case "$out$err" in *tok-123*) fail "the header value was echoed" ;; esac
if cat "$BENCHTOP_DB"* | grep -q tok-123; then fail "the header value reached the database"; fi
ok "the result is POSTed with its headers, which go nowhere else"

BENCHTOP_WEBHOOK="$URL/env" BENCHTOP_WEBHOOK_HEADERS=$(printf 'X-Token: t1\nX-Team: ml') \
	run_bt check
[ "$rc" = 1 ] || fail "exit $rc"
[ "$(posts /env)" = 1 ] || fail "BENCHTOP_WEBHOOK was not used"
grep '"/env"' "$LOG" | grep -q '"X-Token": "t1"' || fail "BENCHTOP_WEBHOOK_HEADERS line 1"
grep '"/env"' "$LOG" | grep -q '"X-Team": "ml"' || fail "BENCHTOP_WEBHOOK_HEADERS line 2"
BENCHTOP_WEBHOOK="$URL/env" BENCHTOP_WEBHOOK_HEADERS='broken header' run_bt check
[ "$rc" = 2 ] || fail "a malformed BENCHTOP_WEBHOOK_HEADERS exited $rc"
case $err in *"broken header"*) fail "the header text was echoed: $err" ;; esac
ok "BENCHTOP_WEBHOOK and BENCHTOP_WEBHOOK_HEADERS"

expect_rc 1 check --notify "$URL/flaky"
[ "$(posts /flaky)" = 3 ] || fail "expected 500, 500, then 200: $(posts /flaky) POSTs"
case $err in *"not delivered"*) fail "delivered on the third attempt, yet: $err" ;; esac
ok "500 twice then 200 is delivered on the third attempt"

expect_rc 1 check --notify "$URL/down" --notify-retries 1
[ "$(posts /down)" = 2 ] || fail "expected two attempts at /down"
expect_err "notification not delivered"
expect_err "HTTP status 500 (after 2 attempts)"
expect_rc 1 check --notify "$URL/gone"
[ "$(posts /gone)" = 1 ] || fail "a 404 was retried"
# A passing gate stays passing when the notification fails.
expect_rc 0 check "$bad" --against "$bad" --notify "$URL/down" --notify-retries 0
expect_err "notification not delivered"
ok "an undeliverable notification is reported and changes no exit status"

start=$(date +%s)
expect_rc 1 check --notify "$URL/hang" --notify-timeout 1 --notify-retries 1
took=$(($(date +%s) - start))
[ "$took" -lt 20 ] || fail "a hanging server held check for ${took}s"
[ "$(posts /hang)" = 2 ] || fail "expected two attempts at /hang"
expect_err "notification not delivered"
expect_err "Timeout"
ok "a server that never answers costs bounded time (${took}s)"

expect_rc 1 check --notify "http://127.0.0.1:1/refused" --notify-retries 0
expect_err "cannot deliver the notification to 'http://127.0.0.1:1'"
ok "nothing listening"
