#!/bin/sh
# t0003-show: one run in full, by every kind of reference.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/bench.db"
a=$("$MKRUN" --db "$BENCHTOP_DB" --name first --suite tabular --model knn --param k=5 \
	--tag nightly --metric iris/accuracy=0.9667:0.93:0.99 --metric iris/f1_macro=0.96 \
	--series loss=1:0.9,2:0.5,3:0.25 --note "the baseline")
first_sha=$(git rev-parse HEAD)
echo "dirty" >>README
b=$("$MKRUN" --db "$BENCHTOP_DB" --name second --suite tabular --model logreg --started 1)
git checkout -q README
echo more >file && git_commit "second commit"

expect_rc 0 show "$a"
expect_out "run $a"
expect_out "first"
expect_out "knn"
expect_out "k=5"
expect_out "nightly"
expect_out "the baseline"
expect_out "$first_sha (main)"
expect_out "accuracy"
expect_out "0.9667"
expect_out "0.9300"
expect_out "loss"
ok "show prints fields, params, tags, note, metrics with intervals and series"

expect_rc 0 show @
expect_out "run $a"
expect_rc 0 show @~1
expect_out "run $b"
expect_rc 0 show tag:nightly
expect_out "run $a"
uuid=$("$BENCHTOP" show "$a" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["uuid"])')
expect_rc 0 show "$(printf %.13s "$uuid")"
expect_out "run $a"
expect_rc 0 show HEAD~1
expect_out "run $a"
ok "ids, @, @~N, tag:, uuid prefixes and git revisions"

expect_rc 0 show "$b"
expect_out "dirty"
expect_rc 0 show --patch "$b"
expect_out "+dirty"
expect_rc 0 show --patch "$a"
expect_err "clean tree"
ok "dirty runs carry their patch"

expect_rc 0 show --format json "$a"
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["name"] == "first" and r["model"] == "knn", r
assert r["params"] == {"k": "5"}, r["params"]
assert r["metrics"]["iris"]["accuracy"]["ci_low"] == 0.93, r["metrics"]
assert r["series"]["loss"]["last"] == 0.25 and r["series"]["loss"]["count"] == 3, r["series"]
assert len(r["git_sha"]) == 40 and r["git_dirty"] is False
' || fail "show --format json"
ok "json form"

expect_rc 2 show 999
expect_err "no run with id 999"
expect_rc 2 show tag:nope
expect_err "no run has tag 'nope'"
expect_rc 2 show no-such-thing
expect_err "'no-such-thing' is not a run"
expect_rc 2 show
expect_err "show needs exactly one run"
ok "bad references exit 2"

# Text from the database is made inert before it reaches the terminal.
evil=$(printf 'name\033]0;pwned\007')
c=$("$MKRUN" --db "$BENCHTOP_DB" --name "$evil" --note "$(printf 'line\033[2J')")
expect_rc 0 show "$c"
case $out in *"$(printf '\033')"*) fail "an escape sequence reached the output" ;; esac
expect_out 'name^[]0;pwned^G'
expect_rc 0 ls
case $out in *"$(printf '\033')"*) fail "an escape sequence reached ls output" ;; esac
ok "control sequences are shown inert"
