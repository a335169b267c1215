#!/bin/sh
# t0400-fuzz-corpus: every committed fuzz input (seeds and past crashes)
# runs cleanly through the normal build of its target.
. "$top_srcdir/tests/cli/lib.sh"

for replay in "$top_builddir"/tests/fuzz/replay-*; do
	[ -x "$replay" ] || continue
	t=${replay##*/replay-}
	"$replay" "$top_srcdir/tests/fuzz/corpus/$t" >"$TEST_DIR/replay.out" 2>&1 ||
		{ cat "$TEST_DIR/replay.out" >&2; fail "replaying the $t corpus failed"; }
	ok "$t: $(cat "$TEST_DIR/replay.out")"
done
