#!/bin/sh
# t0290-bad-input: every case of the bad-input catalogue (tests/bad-input/,
# see its README.md) exits with its expected status and says what it
# expects on stderr.  Each case runs in a fresh copy of its directory, after
# its optional `setup` script, so generated files never reach the tree.
# After each case, the case's database (bench.db) holds no half-written
# run: none is still `running`, and every failed or interrupted one says why.
. "$top_srcdir/tests/cli/lib.sh"

command -v sqlite3 >/dev/null || fail "needs the sqlite3 command (apt-get install sqlite3)"

# Root ignores file permissions: run each command without the capabilities
# that bypass them, so a read-only database means for us what it means for
# every user.
as_user=
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || fail "running as root needs setpriv (util-linux)"
	as_user="setpriv --bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable"
fi

cases="$top_srcdir/tests/bad-input"
failed=0
count=0
for src in "$cases"/[0-9]*; do
	[ -d "$src" ] || continue
	name=$(basename "$src")
	work="$TEST_DIR/cases/$name"
	mkdir -p "$work"
	cp -R "$src/." "$work/"
	chmod -R u+w "$work"
	BENCHTOP_DB="$work/bench.db"
	export BENCHTOP_DB
	if [ -f "$work/setup" ]; then
		(cd "$work" && sh ./setup) || { echo "FAIL: $name: setup failed" >&2; failed=$((failed + 1)); continue; }
	fi
	[ -f "$work/cmd" ] && [ -f "$work/expect" ] || { echo "FAIL: $name: needs cmd and expect" >&2; failed=$((failed + 1)); continue; }
	had_db=0
	[ -e "$BENCHTOP_DB" ] && had_db=1

	# the command: benchtop's arguments, one per line
	set --
	while IFS= read -r arg || [ -n "$arg" ]; do
		set -- "$@" "$arg"
	done <"$work/cmd"
	set +e
	# a case that hangs fails (status 124) rather than stalling the suite
	(cd "$work" && timeout -k 10 "${BAD_INPUT_TIMEOUT:-120}" $as_user "$BENCHTOP" "$@" \
		>"$TEST_DIR/case.out" 2>"$TEST_DIR/case.err" </dev/null)
	got=$?
	set -e
	want=$(head -n 1 "$work/expect")
	ok_case=1
	if [ "$got" != "$want" ]; then
		echo "FAIL: $name: exit status $got, expected $want" >&2
		ok_case=0
	fi
	tail -n +2 "$work/expect" >"$TEST_DIR/case.want"
	while IFS= read -r line || [ -n "$line" ]; do
		[ -n "$line" ] || continue
		if ! grep -qF -- "$line" "$TEST_DIR/case.err"; then
			echo "FAIL: $name: stderr lacks: $line" >&2
			ok_case=0
		fi
	done <"$TEST_DIR/case.want"

	# No half-written run: nothing left `running`, no failure without its reason.
	if [ -e "$BENCHTOP_DB" ]; then
		if runs=$(sqlite3 -readonly "$BENCHTOP_DB" "SELECT id || ' ' || status FROM runs
			WHERE status = 'running' OR (status IN ('failed', 'interrupted')
			AND coalesce(status_reason, '') = '')" 2>"$TEST_DIR/case.sql"); then
			if [ -n "$runs" ]; then
				echo "FAIL: $name: half-written runs left in bench.db: $runs" >&2
				ok_case=0
			fi
		elif [ "$had_db" = 0 ]; then
			# a database the command made must be readable; only the
			# case's own broken database may stay unreadable
			echo "FAIL: $name: the command left an unreadable bench.db: $(cat "$TEST_DIR/case.sql")" >&2
			ok_case=0
		fi
	fi
	if [ -f "$work/check" ] && ! (cd "$work" && sh ./check) >"$TEST_DIR/case.check" 2>&1; then
		echo "FAIL: $name: check: $(cat "$TEST_DIR/case.check")" >&2
		ok_case=0
	fi

	if [ "$ok_case" = 1 ]; then
		ok "$name"
	else
		echo "--- stderr of $name:" >&2
		head -c 2000 "$TEST_DIR/case.err" >&2
		failed=$((failed + 1))
	fi
	count=$((count + 1))
	rm -rf "$work"
done
unset BENCHTOP_DB
[ "$count" -ge 80 ] || fail "only $count bad-input cases ran"
[ "$failed" = 0 ] || fail "$failed of $count bad-input cases failed"
echo "all $count bad-input cases gave their expected status and message"
