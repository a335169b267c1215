#!/bin/sh
# t0403-suite-executes-nothing: a suite file never makes benchtop execute
# anything, and never makes it hang.  YAML tags that ask a loader to build
# objects or call functions are refused with their position; shell text in
# paths, URLs and names stays text; data paths and URLs that name a FIFO or
# a device, suite files that are devices, deep nesting, alias bombs and
# long lists are refused or handled at once.  Every command runs under a
# timeout: a hang fails the test rather than stalling it.
. "$top_srcdir/tests/cli/lib.sh"

export BENCHTOP_DB="$TEST_DIR/bench.db"
PWNED="$TEST_DIR/pwned"
LIMIT=${SUITE_SAFE_TIMEOUT:-60}

# bt ARGS...: run_bt under a timeout; a timeout fails the test.
bt() {
	set +e
	timeout -k 5 "$LIMIT" "$BENCHTOP" "$@" >"$out_file" 2>"$err_file" </dev/null
	rc=$?
	set -e
	out=$(cat "$out_file")
	err=$(cat "$err_file")
	[ "$rc" != 124 ] && [ "$rc" != 137 ] || fail "benchtop $* did not finish within ${LIMIT}s"
}

nothing_ran() {
	[ ! -e "$PWNED" ] || fail "something from the suite was executed: $PWNED exists"
	[ -z "$(find "$TEST_DIR" -name 'pwned*' 2>/dev/null)" ] || fail "a pwned file appeared: $(find "$TEST_DIR" -name 'pwned*')"
}

printf 'id,x1,x2,label\nt1,1.0,2.0,a\nt2,1.5,0.5,b\nt3,3.0,0.5,a\n' >test.csv
printf 'id,x1,x2,label\nr1,1.0,2.5,a\nr2,1.5,0.0,b\nr3,2.5,0.5,a\nr4,0.5,0.5,b\n' >train.csv
# suite NAME-LINE TEST-LINE: a classification suite with these two lines
suite() {
	cat <<EOF
name: $1
tasks:
  - name: t
    type: classification
    data:
      test: $2
      train: train.csv
    target: label
EOF
}

# --- YAML tags --------------------------------------------------------------------
# Each would make a Python or Ruby loader run code; benchtop refuses them.
i=0
for tagged in \
	"!!python/object/apply:os.system [\"touch $PWNED\"]" \
	"!!python/object/new:subprocess.check_output [[\"touch\", \"$PWNED\"]]" \
	"!!python/name:os.system" \
	"!ruby/object:Gem::Installer {i: x}" \
	"!<tag:yaml.org,2002:python/object/apply:os.system> [\"touch $PWNED\"]" \
	"!!binary dG91Y2ggcHduZWQ=" \
	"!shell \"touch $PWNED\""; do
	i=$((i + 1))
	suite "$tagged" test.csv >"tag$i.yaml"
	bt suite check "tag$i.yaml"
	[ "$rc" = 2 ] || fail "tag$i.yaml ($tagged): suite check exited $rc, expected 2: $err"
	expect_err "tag$i.yaml:1:7: YAML tag '"
	expect_err "' is not allowed"
	bt run "tag$i.yaml" -m majority
	[ "$rc" = 2 ] || fail "tag$i.yaml ($tagged): run exited $rc, expected 2: $err"
	expect_err "tag$i.yaml:1:7: YAML tag '"
	nothing_ran
done
suite bad test.csv | sed 's/^tasks:/tasks:\n  - !!python\/object:__main__.Task {name: u}/' >tagtask.yaml
bt suite check tagtask.yaml
[ "$rc" = 2 ] || fail "a tagged task: exit $rc"
expect_err "tagtask.yaml:3:5: YAML tag '!!python/object:__main__.Task' is not allowed"
[ ! -s "$BENCHTOP_DB" ] || [ "$(sqlite3 "$BENCHTOP_DB" 'SELECT count(*) FROM runs')" = 0 ] ||
	fail "a refused suite made a run"
ok "YAML tags that build objects or call code are refused at their line and column"

# The core schema's own tags are plain values and stay allowed.
suite '!!str tagged' test.csv | sed 's/^tasks:/version: !!int 3\ntasks:/' >core.yaml
bt suite check core.yaml
[ "$rc" = 0 ] || fail "core tags (!!str, !!int) were refused: $err"
ok "the core schema's tags (!!str, !!int) are accepted"

# --- shell text stays text ---------------------------------------------------------
i=0
for path in "\"\$(touch $PWNED).csv\"" "\"\`touch $PWNED\`.csv\"" "\"x; touch $PWNED; y.csv\"" \
	"\"x | touch $PWNED > y.csv\"" "\"x.csv && touch $PWNED #.csv\""; do
	i=$((i + 1))
	suite shell "$path" >"shell$i.yaml"
	bt run "shell$i.yaml" -m majority
	[ "$rc" = 2 ] || fail "shell$i.yaml: exit $rc"
	expect_err "shell$i.yaml:6:13: data file '"
	expect_err "' does not exist"
	nothing_ran
done
# In a name and a description, shell text is printed as it is.
suite "\"\$(touch $PWNED)\"" test.csv | sed "s|^tasks:|description: \"\`touch $PWNED\`\"\ntasks:|" >named.yaml
bt suite check named.yaml
[ "$rc" = 0 ] || fail "named.yaml: $err"
expect_out "\$(touch /"
nothing_ran
# In a URL: fetched as a URL (and not found), never handed to a shell.
Z=$(printf '%064d' 7)
suite url "{url: \"file://$TEST_DIR/\$(touch $PWNED).csv\", sha256: $Z}" >url.yaml
bt suite fetch url.yaml
[ "$rc" != 0 ] || fail "a URL with shell text was fetched"
nothing_ran
ok "shell text in paths, URLs, names and descriptions is never executed"

# --- nothing to wait on, nothing without end ----------------------------------------
mkfifo fifo.csv
ln -s fifo.csv link-to-fifo.csv
for path in fifo.csv link-to-fifo.csv; do
	suite fifo "$path" >fifo.yaml
	bt suite check fifo.yaml
	[ "$rc" = 2 ] || fail "a FIFO ($path): exit $rc"
	expect_err "fifo.yaml:6:13: data file '$path' is not a regular file"
	bt run fifo.yaml -m majority
	[ "$rc" = 2 ] || fail "run with a FIFO ($path): exit $rc"
	expect_err "is not a regular file"
done
for dev in /dev/zero /dev/urandom /dev/stdin; do
	suite dev "{path: $dev, format: csv}" >dev.yaml
	bt run dev.yaml -m majority
	[ "$rc" = 2 ] || fail "$dev as data: exit $rc"
	expect_err "data file '$dev' is not a regular file"
	suite dev "{url: \"file://$dev\", format: csv, sha256: $Z}" >devurl.yaml
	bt suite fetch devurl.yaml
	[ "$rc" != 0 ] || fail "file://$dev was fetched"
	expect_err "'file://$dev' does not name a regular file"
done
[ -z "$(find "$XDG_CACHE_HOME" -type f -size +0 2>/dev/null)" ] || fail "a device filled the cache"
bt suite check /dev/zero
[ "$rc" = 2 ] || fail "/dev/zero as a suite: exit $rc"
expect_err "suite file '/dev/zero' is larger than 16 MiB"
mkfifo suite-fifo.yaml
bt suite check suite-fifo.yaml
[ "$rc" = 2 ] || fail "a FIFO as the suite: exit $rc"
expect_err "suite-fifo.yaml:1:1: the suite file is empty"
ok "FIFOs and devices, as data, as file:// URLs or as the suite, are refused without waiting"

# --- parser bombs ------------------------------------------------------------------------
{ printf 'name: deep\ntasks: '; head -c 1000000 /dev/zero | tr '\000' '['; } >deep.yaml
bt suite check deep.yaml
[ "$rc" = 2 ] || fail "deep nesting: exit $rc"
expect_err "deep.yaml:2:71: lists and mappings nest more than 64 deep"
python3 - >laughs.yaml <<'EOF'
print("name: laughs")
print("tasks:")
print("  - name: t")
print("    type: classification")
print("    data: {test: test.csv}")
print("    target: label")
print("    labels: &l0 [a, b, c, d, e, f, g, h, i, j]")
for k in range(1, 20):
    print("    x%d: &l%d [%s]" % (k, k, ", ".join(["*l%d" % (k - 1)] * 10)))
EOF
bt suite check laughs.yaml
[ "$rc" = 2 ] || fail "an alias bomb: exit $rc"
expect_err "laughs.yaml:8:5: unknown key 'x1'"
python3 -c "
print('name: long\ntasks:\n  - name: t\n    type: classification\n    data: {test: test.csv}')
print('    target: label\n    labels: [a, b, ' + ', '.join('l%d' % i for i in range(300000)) + ', a]')" >long.yaml
bt suite check long.yaml
[ "$rc" = 2 ] || fail "a long label list: exit $rc"
expect_err "long.yaml:7:"
expect_err "'labels' lists 'a' twice"
ok "deep nesting, alias bombs and 300,000 labels are refused at once"

# --- a suite names no code --------------------------------------------------------------
for key in plugin command exec script; do
	suite keys test.csv | sed "s|^tasks:|$key: \"touch $PWNED\"\ntasks:|" >key.yaml
	bt run key.yaml -m majority
	[ "$rc" = 2 ] || fail "'$key' in a suite: exit $rc"
	expect_err "key.yaml:2:1: unknown key '$key' in a suite"
	nothing_ran
done
ok "a suite cannot name a plugin, a command or a script"
