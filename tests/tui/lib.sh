# lib.sh - sourced by the dashboard tests (tests/tui/t05*.sh) after
# tests/cli/lib.sh: drive the real binary in a tmux session of a fixed size
# and look at the screen, in the manner of tig's screen tests.
#
#   tui_start [WxH] ARGS...   run "benchtop ARGS..." in a fresh tmux server
#   tui_keys KEY...           tmux send-keys (key names: Enter, Escape, Space, C-u, ...)
#   tui_type TEXT             type TEXT literally
#   tui_screen                the screen as text, in $screen
#   tui_wait TEXT [SECONDS]   poll the screen until it shows TEXT (default 10 s)
#   tui_wait_gone TEXT [S]    poll until TEXT is no longer on screen
#   tui_line N                line N (0 = top) of the last captured screen
#   tui_exit_status           wait for the program to end; its exit status in $tui_rc
#   tui_finish                quit (Q) and fail unless the program exits 0, then
#                             kill the server (sanitizer builds report leaks here)
#
# Each test has its own tmux socket and kills its server on exit.  Waiting
# is bounded polling, never a fixed sleep, so tests are as fast as the
# dashboard and still patient under sanitizers.

if ! command -v tmux >/dev/null 2>&1; then
	echo "tmux is not installed (apt-get install tmux): skipping" >&2
	exit 77
fi

TUI_SOCKET="bt-$TEST_NAME-$$"
TUI_TARGET="t:0.0"
screen=

tui_cleanup() {
	tmux -L "$TUI_SOCKET" kill-server >/dev/null 2>&1 || true
	# The server leaves its socket behind.
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TUI_SOCKET"
}
trap 'rc__=$?; tui_cleanup; (exit $rc__); cleanup' EXIT

tui_start() {
	tui_size_=120x30
	case ${1:-} in
	[0-9]*x[0-9]*)
		tui_size_=$1
		shift
		;;
	esac
	# The command line, quoted for the shell tmux runs it with.
	tui_cmd_=
	for tui_arg_ in "$BENCHTOP" "$@"; do
		tui_cmd_="$tui_cmd_ '$(printf '%s' "$tui_arg_" | sed "s/'/'\\\\''/g")'"
	done
	tmux -L "$TUI_SOCKET" -f /dev/null new-session -d -s t -x "${tui_size_%x*}" \
		-y "${tui_size_#*x}" "$tui_cmd_; echo \"[exited \$?]\"; sleep 600"
	tmux -L "$TUI_SOCKET" set-option -g -t t remain-on-exit on >/dev/null 2>&1 || true
}

tui_keys() {
	tmux -L "$TUI_SOCKET" send-keys -t "$TUI_TARGET" "$@"
}

tui_type() {
	tmux -L "$TUI_SOCKET" send-keys -t "$TUI_TARGET" -l -- "$1"
}

tui_screen() {
	screen=$(tmux -L "$TUI_SOCKET" capture-pane -p -t "$TUI_TARGET" 2>/dev/null || true)
}

tui_fail() {
	tui_screen
	echo "--- screen" >&2
	printf '%s\n' "$screen" >&2
	fail "$@"
}

# A screen is only trusted once a second look, a moment later, agrees: a
# capture can fall in the middle of a redraw (after a resize, say).
tui_settled() {
	sleep 0.03
	tui_screen
}

tui_wait() {
	tui_limit_=$(( ${2:-10} * 20 ))
	tui_i_=0
	while [ $tui_i_ -lt $tui_limit_ ]; do
		tui_screen
		case $screen in
		*"$1"*)
			tui_settled
			case $screen in
			*"$1"*) return 0 ;;
			esac
			;;
		esac
		sleep 0.05
		tui_i_=$((tui_i_ + 1))
	done
	tui_fail "the screen never showed '$1'"
}

tui_wait_gone() {
	tui_limit_=$(( ${2:-10} * 20 ))
	tui_i_=0
	while [ $tui_i_ -lt $tui_limit_ ]; do
		tui_screen
		case $screen in
		*"$1"*) ;;
		*)
			tui_settled
			case $screen in
			*"$1"*) ;;
			*) return 0 ;;
			esac
			;;
		esac
		sleep 0.05
		tui_i_=$((tui_i_ + 1))
	done
	tui_fail "'$1' stayed on the screen"
}

tui_line() {
	printf '%s\n' "$screen" | sed -n "$(($1 + 1))p"
}

# Fail unless the screen (as last captured) shows / does not show TEXT.
tui_expect() {
	case $screen in
	*"$1"*) ;;
	*) tui_fail "the screen lacks '$1'" ;;
	esac
}

tui_expect_not() {
	case $screen in
	*"$1"*) tui_fail "the screen should not show '$1'" ;;
	*) ;;
	esac
}

tui_exit_status() {
	tui_wait "[exited "
	tui_rc=$(printf '%s\n' "$screen" | sed -n 's/.*\[exited \([0-9]*\)\].*/\1/p' | tail -n 1)
}

tui_finish() {
	# Esc first: a prompt would take Q as text.
	tui_keys Escape
	tui_keys Q
	tui_exit_status
	[ "$tui_rc" = 0 ] || tui_fail "the dashboard exited $tui_rc"
	tui_cleanup
}

# A mouse event in the X10 encoding terminals send (ESC [ M b x y, each byte
# 32 + value, coordinates from 1): tui_mouse BUTTON COLUMN ROW, 0-based cells;
# BUTTON 0 is a left press, 3 a release, 64 wheel up, 65 wheel down.
tui_mouse() {
	tui_m_=$(printf '\033[M%b%b%b' "\\$(printf %o $((32 + $1)))" \
		"\\$(printf %o $((33 + $2)))" "\\$(printf %o $((33 + $3)))")
	tmux -L "$TUI_SOCKET" send-keys -t "$TUI_TARGET" -l -- "$tui_m_"
}

# A left click: press and release, as a terminal reports it.
tui_click() {
	tui_mouse 0 "$1" "$2"
	tui_mouse 3 "$1" "$2"
}
