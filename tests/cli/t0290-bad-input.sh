#!/bin/sh
# t0290-bad-input: every case of the bad-input catalogue (tests/bad-input/,
# see its README.md) exits with its expected status and says what it
# expects on stderr.  Each case runs in a fresh copy of its directory, after
# its optional `setup` script, so generated files never reach the tree.
. "$top_srcdir/tests/cli/lib.sh"

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
	if [ -f "$work/setup" ]; then
		(cd "$work" && sh ./setup) || { echo "FAIL: $name: setup failed" >&2; failed=$((failed + 1)); continue; }
	fi
	[ -f "$work/cmd" ] && [ -f "$work/expect" ] || { echo "FAIL: $name: needs cmd and expect" >&2; failed=$((failed + 1)); continue; }

	# the command: benchtop's arguments, one per line
	set --
	while IFS= read -r arg || [ -n "$arg" ]; do
		set -- "$@" "$arg"
	done <"$work/cmd"
	set +e
	(cd "$work" && "$BENCHTOP" "$@" >"$TEST_DIR/case.out" 2>"$TEST_DIR/case.err" </dev/null)
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
[ "$count" -ge 25 ] || fail "only $count bad-input cases ran"
[ "$failed" = 0 ] || fail "$failed of $count bad-input cases failed"
echo "all $count bad-input cases gave their expected status and message"
