#!/bin/sh
# t0803-fetch-tls-proxy: https is always verified (an untrusted certificate
# and a wrong host name are refused, a trusted one works) and proxies come
# from the usual environment variables.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/lib-fetch.sh"

TLS="$top_srcdir/tests/helpers/tls"
make_data 16 6 >"$WWW/t.csv"
S=$(sha "$WWW/t.csv")
start_httpd tls --tls-cert "$TLS/cert.pem" --tls-key "$TLS/key.pem"
HTTPS="https://localhost:$PORT"

expect_rc 3 suite fetch --url "$HTTPS/t.csv" --sha256 "$S"
expect_err "cannot download '$HTTPS/t.csv'"
expect_err "certificate"
[ -z "$(cache_files)" ] || fail "an unverified download left files"
ok "a certificate nobody trusts is refused"

export BENCHTOP_CA_BUNDLE="$TLS/cert.pem"
expect_rc 3 suite fetch --url "https://127.0.0.1:$PORT/t.csv" --sha256 "$S"
expect_err "127.0.0.1"
[ -z "$(cache_files)" ] || fail "a download from the wrong host name left files"
ok "a trusted certificate for another host name is refused"

expect_rc 0 suite fetch --url "$HTTPS/t.csv" --sha256 "$S"
cmp "$WWW/t.csv" "$CACHE/$S.csv" || fail "https download differs"
[ "$(gets /t.csv)" = 1 ] || fail "expected one request over TLS"
unset BENCHTOP_CA_BUNDLE
ok "a trusted certificate for the right host works"

# The proxy is a second server answering for any host; nothing listens on
# port 9 of 127.0.0.1, so only a proxied request can succeed.
start_httpd proxy
rm -rf "$CACHE"
http_proxy="http://127.0.0.1:$proxy_PORT" expect_rc 0 suite fetch --url "http://127.0.0.1:9/t.csv" --sha256 "$S"
grep -q '"path": "http://127.0.0.1:9/t.csv"' "$TEST_DIR/proxy.log" || fail "the proxy was not asked"
cmp "$WWW/t.csv" "$CACHE/$S.csv" || fail "proxied download differs"
rm -rf "$CACHE"
http_proxy="http://127.0.0.1:$proxy_PORT" no_proxy=127.0.0.1 \
	expect_rc 3 suite fetch --url "http://127.0.0.1:9/t.csv" --sha256 "$S"
[ "$(grep -c GET "$TEST_DIR/proxy.log")" = 1 ] || fail "no_proxy was not honoured"
ok "http_proxy and no_proxy from the environment are honoured"
