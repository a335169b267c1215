#!/bin/sh
# t0705-exec-pty: with a terminal, the command writes to a pseudo-terminal
# (so it sees a tty and progress bars work) and Ctrl-C typed at the terminal
# is forwarded.  Runs benchtop inside tmux, which provides the terminal.
. "$top_srcdir/tests/cli/lib.sh"

command -v tmux >/dev/null 2>&1 || fail "tmux is needed (apt-get install tmux)"
export BENCHTOP_DB="$TEST_DIR/db/bench.db"
sock="$TEST_DIR/tmux.sock"
cat >tty.py <<'PY'
import sys, time
print("isatty", sys.stdout.isatty(), flush=True)
for i in range(5):
    sys.stdout.write(f"\r{i * 20}%|progress| loss={1 / (i + 1):.3f}")
    sys.stdout.flush()
print()
try:
    while True:
        time.sleep(0.05)
except KeyboardInterrupt:
    print("got ctrl-c", flush=True)
    sys.exit(130)
PY
tmux -S "$sock" new-session -d -x 100 -y 20 \
	"cd '$REPO' && BENCHTOP_DB='$BENCHTOP_DB' '$BENCHTOP' exec -- python3 tty.py; echo \"exit=\$?\"; sleep 30"
trap 'tmux -S "$sock" kill-server 2>/dev/null || true; cleanup' EXIT
n=0
until tmux -S "$sock" capture-pane -p | grep -q "loss=0.200"; do
	n=$((n + 1))
	[ $n -lt 200 ] || fail "no progress on the screen: $(tmux -S "$sock" capture-pane -p)"
	sleep 0.05
done
tmux -S "$sock" send-keys C-c
n=0
until tmux -S "$sock" capture-pane -p | grep -q "exit="; do
	n=$((n + 1))
	[ $n -lt 200 ] || fail "benchtop did not end after Ctrl-C: $(tmux -S "$sock" capture-pane -p)"
	sleep 0.05
done
screen=$(tmux -S "$sock" capture-pane -p)
tmux -S "$sock" kill-server
case $screen in *"isatty True"*) ;; *) fail "the child did not get a terminal: $screen" ;; esac
case $screen in *"got ctrl-c"*) ;; *) fail "Ctrl-C did not reach the child: $screen" ;; esac
case $screen in *"exit=130"*) ;; *) fail "exit status: $screen" ;; esac
ok "the child gets a pseudo-terminal and Ctrl-C"

expect_rc 0 show --format json @
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["status"] == "interrupted" and r["exit_status"] == 130, r
assert r["series"]["loss"]["count"] == 5, r["series"]
' || fail "the pty run"
expect_rc 0 show --log @
expect_out "got ctrl-c"
printf '%s' "$out" | grep -q "$(printf '\r')" || fail "the raw log keeps the terminal's bytes"
ok "the pty run is interrupted with its progress scalars and raw output"
