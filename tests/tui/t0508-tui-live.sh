#!/bin/sh
# t0508-tui-live: runs written while the dashboard is open appear without
# a key; running runs show progress, rate and ETA from their heartbeat; a
# run whose process is gone shows as stale.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/tui/lib.sh"

export BENCHTOP_DB="$TEST_DIR/db/bench.db"
"$MKRUN" --db "$BENCHTOP_DB" --name old --started 1700000000 >/dev/null

tui_start 140x20 tui
tui_wait "run 1 of 1"

"$MKRUN" --db "$BENCHTOP_DB" --name newcomer --model fresh >/dev/null
tui_wait "newcomer"
tui_wait "run 2 of 2"
ok "a run made while the dashboard is open appears by itself"

# A running run whose process (this shell's child) lives, with progress.
sleep 300 &
pid=$!
id=$("$MKRUN" --db "$BENCHTOP_DB" --name inflight --status running --pid "$pid")
python3 - "$BENCHTOP_DB" "$id" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = time.time()
db.execute("UPDATE runs SET started_at = ?, heartbeat_at = ?, progress_done = 500, "
           "progress_total = 1000 WHERE id = ?", (now - 50, now, int(sys.argv[2])))
db.commit()
PY
tui_wait "inflight"
tui_wait " 50% 10.0/s 50s"
tui_expect "running"
ok "a running run shows its progress bar, examples per second and ETA"

kill "$pid"
wait "$pid" 2>/dev/null || true
python3 - "$BENCHTOP_DB" "$id" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", (time.time(), int(sys.argv[2])))
db.commit()
PY
tui_wait "stale"
tui_wait_gone " 50% "
ok "a run whose process died shows as stale"
tui_finish
