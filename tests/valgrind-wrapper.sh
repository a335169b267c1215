#!/bin/sh
# valgrind-wrapper.sh - benchtop under valgrind, for `make check-valgrind`:
# the CLI tests run this as $BENCHTOP, and it runs the real binary
# ($BENCHTOP_VALGRIND_BIN) under memcheck.  An error or a definite or
# indirect leak makes the command exit 1 and leaves a report in
# $BENCHTOP_VALGRIND_LOGS (one file per process, empty when clean), which
# check-valgrind reads afterwards: a command expected to exit 1 cannot hide
# an error.  The reports never reach the command's own stderr, which the
# tests read.
#
# Children are not traced (--trace-children=no): `benchtop exec` runs the
# user's programs, and `benchtop run` starts its isolated workers by
# re-executing itself (/proc/self/exe, src/isolate.c) to run the plugin,
# other people's code by design.  Under valgrind a worker could not honour
# --max-memory (RLIMIT_AS leaves valgrind no room to start) or --timeout as
# the tests mean them; the plugin host and the bundled plugins are still
# checked in-process (--no-isolate runs, `plugin check`), and workers are
# instrumented in the ASan build.
#
# tests/valgrind.supp suppresses reports from third-party libraries only.
: "${BENCHTOP_VALGRIND_BIN:?set by make check-valgrind}"
: "${BENCHTOP_VALGRIND_LOGS:?set by make check-valgrind}"
here=$(cd "$(dirname "$0")" && pwd)
exec valgrind -q --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
	--errors-for-leak-kinds=definite,indirect --error-exitcode=1 --trace-children=no \
	--num-callers=40 --suppressions="$here/valgrind.supp" \
	--log-file="$BENCHTOP_VALGRIND_LOGS/vg.%p.log" \
	"$BENCHTOP_VALGRIND_BIN" "$@"
