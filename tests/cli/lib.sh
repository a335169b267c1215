# lib.sh - sourced by every tests/cli/t*.sh script (in the manner of git's
# t/test-lib.sh).  Each script gets a fresh temporary directory holding a
# real git repository, and the helpers below.  `make check` sets BENCHTOP
# (the built binary), top_srcdir and top_builddir.
#
#   run_bt ARGS...          run benchtop; output in $out and $err, status in $rc
#   expect_rc N ARGS...     run benchtop and fail unless it exits N
#   expect_out TEXT         fail unless $out contains TEXT (fixed string)
#   expect_err TEXT         fail unless $err contains TEXT (fixed string)
#   expect_no_out TEXT      fail if $out contains TEXT
#   git_commit MSG          commit everything in the current repository
#   fail MSG                report and stop
set -eu

: "${BENCHTOP:?BENCHTOP must point at the benchtop binary (run through make check)}"
: "${top_srcdir:?top_srcdir must be set (run through make check)}"
: "${top_builddir:=$(dirname "$BENCHTOP")}"

TEST_NAME=$(basename "$0" .sh)
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/benchtop-$TEST_NAME-XXXXXX")
export HOME="$TEST_DIR/home"
export XDG_DATA_HOME="$HOME/.local/share"
export XDG_CACHE_HOME="$HOME/.cache"
export GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=test@example.com
export LC_ALL=C.UTF-8
export BENCHTOP_PLUGIN_PATH="$top_builddir/plugins/.libs:$top_builddir/tests/plugins/.libs"
unset BENCHTOP_DB BENCHTOP_WEBHOOK BENCHTOP_WEBHOOK_HEADERS BENCHTOP_RUN || true
mkdir -p "$HOME"

cleanup() {
	rc_=$?
	if [ "$rc_" = 0 ] || [ -z "${KEEP_TEST_DIR:-}" ]; then
		rm -rf "$TEST_DIR"
	else
		echo "kept $TEST_DIR" >&2
	fi
	return $rc_
}
trap cleanup EXIT

fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	if [ -n "${out_file:-}" ] && [ -f "$out_file" ]; then
		echo "--- stdout" >&2
		head -c 4000 "$out_file" >&2
		echo "--- stderr" >&2
		head -c 4000 "$err_file" >&2
	fi
	exit 1
}

ok() {
	echo "ok: $*"
}

out_file="$TEST_DIR/out"
err_file="$TEST_DIR/err"
out=
err=
rc=0

# run_bt ARGS... : run the binary, capture stdout/stderr/status without stopping.
run_bt() {
	set +e
	"$BENCHTOP" "$@" >"$out_file" 2>"$err_file" </dev/null
	rc=$?
	set -e
	out=$(cat "$out_file")
	err=$(cat "$err_file")
}

expect_rc() {
	want_rc_=$1
	shift
	run_bt "$@"
	[ "$rc" = "$want_rc_" ] || fail "benchtop $* exited $rc, expected $want_rc_"
}

expect_out() {
	case $out in
	*"$1"*) ;;
	*) fail "stdout lacks '$1'" ;;
	esac
}

expect_no_out() {
	case $out in
	*"$1"*) fail "stdout should not contain '$1'" ;;
	*) ;;
	esac
}

expect_err() {
	case $err in
	*"$1"*) ;;
	*) fail "stderr lacks '$1'" ;;
	esac
}

git_commit() {
	git add -A >/dev/null
	git -c commit.gpgsign=false commit -q -m "$1"
}

# A real repository to work in, with one commit.
REPO="$TEST_DIR/repo"
mkdir -p "$REPO"
cd "$REPO"
git init -q -b main . 2>/dev/null || { git init -q . && git checkout -q -b main; }
echo "seed" >README
git_commit "initial commit"
