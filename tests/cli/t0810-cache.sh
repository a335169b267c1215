#!/bin/sh
# t0810-cache: `benchtop cache ls|rm|gc`: sizes, the suites that use each
# file (named with --suite or recorded in the results store), removal by
# hash prefix or name, and collection of unused files, stale partials and
# locks (never of a partial a process is writing).
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/lib-fetch.sh"

expect_rc 0 cache ls
expect_err "is empty"
ok "an empty cache says so"

make_data 8 1 >"$WWW/a.csv"
make_data 16 2 >"$WWW/b.jsonl"
make_data 4 3 >"$WWW/c.csv"
A=$(sha "$WWW/a.csv")
B=$(sha "$WWW/b.jsonl")
C=$(sha "$WWW/c.csv")
expect_rc 0 suite fetch --url "file://$WWW/a.csv" --sha256 "$A" \
	--url "file://$WWW/b.jsonl" --sha256 "$B" --url "file://$WWW/c.csv" --sha256 "$C"

mkdir -p suites
cat >suites/one.yaml <<YAML
name: first-suite
tasks:
  - name: t1
    test: {url: "file://$WWW/a.csv", sha256: $A}
YAML
cat >suites/two.yaml <<YAML
name: second-suite
tasks:
  - name: t2
    test:
      path: local.csv
    train:
      url: file://$WWW/b.jsonl
      sha256: $B
  - name: t3
    test: {url: "file://$WWW/a.csv", sha256: $A}
YAML

expect_rc 0 cache ls --suite suites/one.yaml
expect_out "first-suite"
expect_no_out "second-suite"
expect_out "8.0 KiB"
expect_out "$(printf '%s' "$A" | cut -c1-8)"
expect_out " csv "
expect_err "3 files"
expect_rc 0 cache ls --suite suites/one.yaml --suite suites/two.yaml --format json
printf '%s' "$out" | python3 -c '
import json, sys
rows = {r["file"]: r for r in json.load(sys.stdin)}
a, b, c = sys.argv[1:4]
assert rows[a + ".csv"]["suites"] == ["first-suite", "second-suite"], rows
assert rows[b + ".jsonl"]["suites"] == ["second-suite"], rows
assert rows[c + ".csv"]["suites"] == [], rows
assert rows[a + ".csv"]["size"] == 8192 or rows[a + ".csv"]["size"] > 8000, rows
assert all(r["state"] == "cached" for r in rows.values())
assert rows[b + ".jsonl"]["path"].endswith("/" + b + ".jsonl")
' "$A" "$B" "$C" || fail "cache ls --format json: $out"
ok "ls shows each file with its size and the suites that use it"

# A suite recorded in the results store (relative to the run's cwd) counts too.
export BENCHTOP_DB="$TEST_DIR/db/bench.db"
expect_rc 0 init
id=$("$MKRUN" --db "$BENCHTOP_DB" --suite second-suite --model m)
sqlite3 "$BENCHTOP_DB" "UPDATE runs SET suite_path = 'suites/two.yaml', cwd = '$REPO' WHERE id = $id"
cd "$TEST_DIR"
expect_rc 0 cache ls --format csv
expect_out "second-suite"
cd "$REPO"
ok "suites recorded in the results store count as users"

# A stale partial, a stale lock, and a partial whose download is running.
mkdir -p "$CACHE/.tmp"
Z=$(printf '%064d' 1)
Y=$(printf '%064d' 2)
head -c 100 "$WWW/a.csv" >"$CACHE/.tmp/$Z.csv.part"
: >"$CACHE/.tmp/$Z.csv.lock"
: >"$CACHE/.tmp/$(printf '%064d' 3).csv.lock"
head -c 100 "$WWW/a.csv" >"$CACHE/.tmp/$Y.csv.part"
# A holder like a running download: the lock is held by the process itself.
(
	exec 9>"$CACHE/.tmp/$Y.csv.lock"
	flock 9
	exec sleep 30
) &
holder=$!
i=0
while ! [ -e "$CACHE/.tmp/$Y.csv.lock" ] || flock -n "$CACHE/.tmp/$Y.csv.lock" true; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "the lock holder did not start"
	sleep 0.02
done
expect_rc 0 cache ls --format tsv --no-header
printf '%s\n' "$out" | grep -q "	partial	" || fail "no idle partial in: $out"
printf '%s\n' "$out" | grep -q "	downloading	" || fail "no running partial in: $out"

expect_rc 0 cache gc -n
expect_out "would remove $C.csv"
expect_out "would remove .tmp/$Z.csv.part"
expect_no_out "$A.csv"
expect_no_out "$B.jsonl"
expect_no_out "$Y"
[ -e "$CACHE/$C.csv" ] || fail "gc -n removed a file"
expect_rc 0 cache gc
expect_out "removed $C.csv"
expect_out "removed .tmp/$Z.csv.part"
[ ! -e "$CACHE/$C.csv" ] && [ ! -e "$CACHE/.tmp/$Z.csv.part" ] || fail "gc kept unused files"
[ ! -e "$CACHE/.tmp/$Z.csv.lock" ] && [ ! -e "$CACHE/.tmp/$(printf '%064d' 3).csv.lock" ] ||
	fail "gc kept stale locks"
[ -e "$CACHE/$A.csv" ] && [ -e "$CACHE/$B.jsonl" ] || fail "gc removed a used file"
[ -e "$CACHE/.tmp/$Y.csv.part" ] && [ -e "$CACHE/.tmp/$Y.csv.lock" ] ||
	fail "gc removed a partial that is being written"
kill $holder
wait $holder 2>/dev/null || true
ok "gc removes unused files, stale partials and locks, and nothing in use"

unset BENCHTOP_DB
cd "$TEST_DIR"
expect_rc 0 cache gc
expect_err "no known suites"
[ -e "$CACHE/$A.csv" ] && [ -e "$CACHE/$B.jsonl" ] || fail "gc without suites removed files"
[ ! -e "$CACHE/.tmp/$Y.csv.part" ] || fail "an idle partial survived"
printf 'name: [broken\n' >"$TEST_DIR/broken.yaml"
expect_rc 2 cache gc --suite "$TEST_DIR/broken.yaml"
expect_err "cannot tell which files a suite uses"
[ -e "$CACHE/$A.csv" ] || fail "gc with a broken suite removed files"
cd "$REPO"
ok "gc with no known suite, or an unreadable one, keeps every cached file"

expect_rc 0 suite fetch --url "file://$WWW/c.csv" --sha256 "$C"
expect_rc 2 cache rm 0000000
expect_err "no cached file matches '0000000'"
expect_rc 0 cache rm "$(printf '%s' "$C" | cut -c1-10 | tr a-f A-F)"
expect_out "removed $C.csv"
[ ! -e "$CACHE/$C.csv" ] || fail "rm by prefix"
expect_rc 0 cache rm "$B.jsonl"
[ ! -e "$CACHE/$B.jsonl" ] && [ -e "$CACHE/$A.csv" ] || fail "rm by name"
: >"$CACHE/abcd$(printf '%060d' 1)"
: >"$CACHE/abcd$(printf '%060d' 2)"
expect_rc 2 cache rm abcd
expect_err "matches more than one cached file"
expect_rc 0 cache rm --all
[ -z "$(cache_files)" ] || fail "rm --all left $(cache_files)"
ok "rm removes by hash prefix or name, refuses ambiguity, and --all empties the cache"

expect_rc 2 cache frob
expect_rc 2 cache ls --all
expect_err "--all is for 'cache rm'"
expect_rc 2 cache rm
expect_rc 0 cache --help
expect_out "cache gc"
expect_rc 0 cache ls --cache-dir "$TEST_DIR/elsewhere"
expect_err "$TEST_DIR/elsewhere"
ok "bad subcommands and options are usage errors"

if [ -n "${MANDOC:-}" ]; then
	"$MANDOC" -T lint -W warning "$top_srcdir/man/benchtop-cache.1" \
		"$top_srcdir/man/benchtop-fetch.7" || fail "mandoc lint"
	ok "the manual pages lint clean"
fi
