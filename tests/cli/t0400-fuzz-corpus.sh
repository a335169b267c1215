#!/bin/sh
# t0400-fuzz-corpus: every committed fuzz input (seeds and past crashes)
# runs cleanly through the normal build of its target.  Every corpus
# directory has its replay program, so no corpus goes unreplayed.
. "$top_srcdir/tests/cli/lib.sh"

n=0
for dir in "$top_srcdir"/tests/fuzz/corpus/*/; do
	t=$(basename "$dir")
	replay="$top_builddir/tests/fuzz/replay-$t"
	[ -x "$replay" ] || fail "corpus '$t' has no replay program ($replay): add it to FUZZ_TARGETS and check_PROGRAMS"
	"$replay" "$dir" >"$TEST_DIR/replay.out" 2>&1 ||
		{ cat "$TEST_DIR/replay.out" >&2; fail "replaying the $t corpus failed"; }
	ok "$t: $(cat "$TEST_DIR/replay.out")"
	n=$((n + 1))
done
[ "$n" -ge 6 ] || fail "only $n fuzz corpora replayed"
