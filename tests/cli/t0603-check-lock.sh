#!/bin/sh
# t0603-check-lock: check --lock takes the flock of each suite and model
# next to the database: a second job exits 3 at once naming the holder, or
# waits with --wait; the lock dies with its holder.
. "$top_srcdir/tests/cli/lib.sh"

LOG="$TEST_DIR/requests.log"
srv=
holder=
trap 'rc_keep=$?; for p in $srv $holder; do kill "$p" 2>/dev/null; done; (exit $rc_keep); cleanup' EXIT

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
expect_rc 0 init
"$MKRUN" --db "$BENCHTOP_DB" --suite tabular --model knn --suite-hash h1 \
	--samples iris:500:0.9:4 >/dev/null
echo two >>README
git_commit two
"$MKRUN" --db "$BENCHTOP_DB" --suite tabular --model knn --suite-hash h1 \
	--samples iris:500:0.9:4 >/dev/null

expect_rc 0 check --lock
set -- "$BENCHTOP_DB".lock.tabular.knn.*
[ -f "$1" ] || fail "no lock file next to the database"
LOCK=$1
ok "the lock file lives next to the database: $(basename "$LOCK")"

# Another job (here one Python process) holds the lock.
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(60)' "$LOCK" &
holder=$!
free() { # is the lock free?
	python3 -c 'import fcntl, sys
f = open(sys.argv[1], "a")
try:
    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
except OSError:
    sys.exit(1)' "$LOCK"
}
i=0
while free; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "flock(1) never took the lock"
	sleep 0.05
done
start=$(date +%s)
expect_rc 3 check --lock
[ $(($(date +%s) - start)) -lt 5 ] || fail "a held lock did not fail at once"
expect_err "another job holds the lock on suite 'tabular' with model 'knn'"
[ -z "$out" ] || fail "a refused check printed results"
expect_rc 3 check --lock --wait=0.5
expect_err "gave up after 0.5s waiting for the lock"
expect_rc 0 check
ok "a held lock refuses check --lock at once (exit 3), not check without it"

kill "$holder"
wait "$holder" 2>/dev/null || true
holder=
expect_rc 0 check --lock
ok "the lock dies with its holder"

# Two benchtop jobs: the first holds the lock while it notifies a server
# that never answers; the second is refused, a third waits its turn.
python3 "$HTTPD" --root "$TEST_DIR" --log "$LOG" --port-file "$TEST_DIR/port" \
	--rule /hang=hang &
srv=$!
i=0
while [ ! -s "$TEST_DIR/port" ]; do
	i=$((i + 1))
	[ $i -lt 400 ] || fail "httpd.py did not start"
	sleep 0.05
done
"$BENCHTOP" check --lock --notify "http://127.0.0.1:$(cat "$TEST_DIR/port")/hang" \
	--notify-timeout 2 --notify-retries 0 >"$TEST_DIR/first.out" 2>&1 &
first=$!
i=0
until [ -s "$LOG" ]; do
	i=$((i + 1))
	[ $i -lt 400 ] || fail "the first check never notified"
	sleep 0.05
done
expect_rc 3 check --lock
expect_err "pid $first on host"
expect_err "benchtop check, since"
expect_rc 0 check --lock --wait=60
kill -0 "$first" 2>/dev/null && fail "the waiting check ran while the first held the lock"
wait "$first" || fail "the first check failed: $(cat "$TEST_DIR/first.out")"
ok "overlapping check --lock jobs never run at once"
