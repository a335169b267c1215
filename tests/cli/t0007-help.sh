#!/bin/sh
# t0007-help: every command answers --help; usage errors exit 2.
. "$top_srcdir/tests/cli/lib.sh"

expect_rc 0 --version
expect_out "benchtop "
expect_rc 0 --help
for c in $(printf '%s\n' "$out" | sed -n '/^Commands:/,/^$/p' | awk 'NF >= 2 {print $1}' | grep -v Commands:); do
	expect_rc 0 "$c" --help
	expect_out "usage: benchtop"
	expect_rc 0 help "$c"
	expect_out "usage: benchtop"
	# Every command has a manual page, or a section in benchtop(1).
	if [ ! -f "$top_srcdir/man/benchtop-$c.1" ]; then
		grep -q "^\.It Cm $c" "$top_srcdir/man/benchtop.1" || fail "no manual for '$c'"
	fi
done
ok "every command has --help and a manual entry"

expect_rc 2 frobnicate
expect_err "'frobnicate' is not a benchtop command"
expect_rc 2 shw
expect_err "did you mean 'show'"
expect_rc 2 --colour=sometimes ls
expect_err "--color must be auto, always or never"
expect_rc 2 --no-such-option
expect_err "unknown option"
# a command's long options are suggested from its own usage text
expect_rc 2 ls --formt json
expect_err "unknown option '--formt' (did you mean '--format'?)"
expect_rc 2 run --limt=3 suite.yaml -m knn
expect_err "unknown option '--limt=3' (did you mean '--limit'?)"
expect_rc 2 check --alpah 0.1
expect_err "(did you mean '--alpha'?)"
expect_rc 2 --colr=never ls
expect_err "unknown option '--colr=never' (did you mean '--color'?)"
expect_rc 2 ls --zzzzzz
case $err in *"did you mean"*) fail "a suggestion for nothing like an option: $err" ;; esac
ok "unknown commands and options exit 2 with a suggestion"

# With no command and no terminal, benchtop lists runs.
export BENCHTOP_DB="$TEST_DIR/db.sqlite"
"$MKRUN" --db "$BENCHTOP_DB" --name listed >/dev/null
expect_rc 0
expect_out listed
ok "no command means ls when not on a terminal"
