# lib-fetch.sh - sourced after lib.sh by the t08xx data-cache tests: real
# HTTP servers on 127.0.0.1 (tests/helpers/httpd.py) and a few helpers.
#
#   start_httpd NAME [httpd.py ARGS...]  serve $WWW (fresh logs); sets PORT, BASE
#                      (http://127.0.0.1:PORT), LOG and XLOG (the request
#                      and transfer logs), and NAME_PORT for later use
#   stop_httpd NAME    stop that server (every server stops at exit anyway)
#   gets PATH [LOG]    how many GET requests for PATH the log holds
#   sha FILE           the file's sha256
#   cache_files        the regular files under the cache, one per line
#
# Downloads use short timeouts and backoffs so that the tests stay quick,
# and no proxy from the environment (t0803 sets its own).
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY \
	BENCHTOP_CACHE BENCHTOP_CA_BUNDLE BENCHTOP_FETCH_LOW_SPEED BENCHTOP_FETCH_RETRIES || true
export BENCHTOP_FETCH_TIMEOUT=5 BENCHTOP_FETCH_BACKOFF=0.05
CACHE="$XDG_CACHE_HOME/benchtop/data"
WWW="$TEST_DIR/www"
mkdir -p "$WWW"
HTTPD_PIDS=

: "${HTTPD:=$top_srcdir/tests/helpers/httpd.py}"

start_httpd() {
	name=$1
	shift
	rm -f "$TEST_DIR/$name.port" "$TEST_DIR/$name.log" "$TEST_DIR/$name.xlog"
	python3 "$HTTPD" --root "$WWW" --log "$TEST_DIR/$name.log" \
		--xfer-log "$TEST_DIR/$name.xlog" --port-file "$TEST_DIR/$name.port" "$@" \
		2>"$TEST_DIR/$name.stderr" &
	echo $! >"$TEST_DIR/$name.pid"
	HTTPD_PIDS="$HTTPD_PIDS $!"
	i=0
	while [ ! -s "$TEST_DIR/$name.port" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "httpd $name did not start: $(cat "$TEST_DIR/$name.stderr")"
		sleep 0.05
	done
	PORT=$(cat "$TEST_DIR/$name.port")
	BASE="http://127.0.0.1:$PORT"
	LOG="$TEST_DIR/$name.log"
	XLOG="$TEST_DIR/$name.xlog"
	touch "$LOG" "$XLOG"
	eval "${name}_PORT=\$PORT"
}

stop_httpd() {
	pid=$(cat "$TEST_DIR/$1.pid")
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

stop_all_httpd() {
	for p in $HTTPD_PIDS; do
		kill "$p" 2>/dev/null || true
	done
	for p in $HTTPD_PIDS; do
		wait "$p" 2>/dev/null || true
	done
}
trap 'rc__=$?; stop_all_httpd; (exit $rc__); cleanup' EXIT

gets() {
	python3 - "$1" "${2:-$LOG}" <<'PY'
import json, sys
path, log = sys.argv[1], sys.argv[2]
n = 0
for line in open(log):
    e = json.loads(line)
    p = e["path"]
    # a request through a proxy names the whole URL
    if p.startswith("http://") or p.startswith("https://"):
        p = "/" + p.split("://", 1)[1].partition("/")[2]
    if e["method"] == "GET" and p == path:
        n += 1
print(n)
PY
}

sha() {
	sha256sum "$1" | cut -d' ' -f1
}

cache_files() {
	if [ -d "$CACHE" ]; then
		find "$CACHE" -type f | sort
	fi
}

# A data file of N KiB of printable, incompressible-enough text.
make_data() {
	python3 -c '
import random, sys
r = random.Random(sys.argv[2])
n = int(sys.argv[1]) * 1024
rows = ["id,x,y"]
size = 7
i = 0
while size < n:
    row = "%d,%f,%s" % (i, r.random(), r.choice("abcdefgh"))
    rows.append(row)
    size += len(row) + 1
    i += 1
sys.stdout.write("\n".join(rows) + "\n")
' "$1" "${2:-1}"
}
