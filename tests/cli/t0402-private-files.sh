#!/bin/sh
# t0402-private-files: what benchtop writes is private to the user, whatever
# the umask: directories 0700 and files 0600 under .benchtop/ in a work tree,
# under $XDG_DATA_HOME/benchtop/ outside one, and in the dataset cache under
# $XDG_CACHE_HOME/benchtop/ - including SQLite's -wal and -shm files while a
# write is under way, and a download's partial file and lock while it runs.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/lib-fetch.sh"

# The most permissive umask: privacy must come from benchtop, not from it.
umask 000

# private DIR...: fail on anything under DIR that is not private, and list it.
private() {
	for d in "$@"; do
		[ -e "$d" ] || fail "'$d' does not exist"
		bad=$(find "$d" \( -type d ! -perm 700 \) -o \( -type f ! -perm 600 \) \
			-printf '%m %p\n' 2>/dev/null)
		[ -z "$bad" ] || fail "not private under $d:
$bad"
	done
}

# --- in a git work tree: .benchtop/ ------------------------------------------
expect_rc 0 init
private "$REPO/.benchtop"
[ -f "$REPO/.benchtop/.gitignore" ] || fail "no .gitignore in .benchtop"
ok "init makes .benchtop/ 0700 with its database and .gitignore 0600"

# While a command runs, SQLite's -wal and -shm exist: look from inside it.
expect_rc 0 exec -- sh -c 'find .benchtop -printf "%m %p\n" >inside.txt'
grep -q 'benchtop.db-wal$' inside.txt || fail "no -wal file seen during the write: $(cat inside.txt)"
grep -q 'benchtop.db-shm$' inside.txt || fail "no -shm file seen during the write: $(cat inside.txt)"
bad=$(grep -v -e '^700 .benchtop$' -e '^600 ' inside.txt || true)
[ -z "$bad" ] || fail "not private during a write:
$bad"
private "$REPO/.benchtop"
ok "-wal and -shm are 0600 while a write is under way"

# An evaluation run (worker processes, samples) and a job lock.
cp -r "$top_srcdir/suites" "$REPO/suites"
chmod -R u+w "$REPO/suites"
expect_rc 0 run suites/tabular.yaml -m majority --task iris
expect_rc 0 check --lock
ls "$REPO"/.benchtop/benchtop.db.lock.* >/dev/null 2>&1 || fail "check --lock made no lock file"
private "$REPO/.benchtop"
ok "an evaluation run and a check's job lock leave .benchtop/ private"

# --- outside a work tree: $XDG_DATA_HOME/benchtop/ -----------------------------
mkdir -p "$TEST_DIR/elsewhere"
cd "$TEST_DIR/elsewhere"
[ ! -e "$XDG_DATA_HOME" ] || fail "XDG_DATA_HOME exists before the test"
expect_rc 0 exec -- sh -c "find '$XDG_DATA_HOME/benchtop' -printf '%m %p\n' >'$TEST_DIR/inside.txt'"
grep -q 'benchtop.db-wal$' "$TEST_DIR/inside.txt" || fail "no -wal file seen: $(cat "$TEST_DIR/inside.txt")"
bad=$(grep -v -e "^700 $XDG_DATA_HOME/benchtop\$" -e '^600 ' "$TEST_DIR/inside.txt" || true)
[ -z "$bad" ] || fail "not private during a write:
$bad"
private "$XDG_DATA_HOME"
ok "outside a repository the database under \$XDG_DATA_HOME/benchtop is private (and its parents made 0700)"

# --- the dataset cache: $XDG_CACHE_HOME/benchtop/ -------------------------------
make_data 6 1 >"$WWW/slow.csv"
make_data 4 2 >"$WWW/quick.csv"
S=$(sha "$WWW/slow.csv")
Q=$(sha "$WWW/quick.csv")
start_httpd web --rule /slow.csv=slow:300
"$BENCHTOP" suite fetch --url "$BASE/slow.csv" --sha256 "$S" >/dev/null 2>"$TEST_DIR/fetch.err" &
fetch=$!
# While the download runs, its partial file and lock are in the cache's .tmp.
i=0
while [ -z "$(find "$XDG_CACHE_HOME" -name '*.part' 2>/dev/null)" ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "no partial file appeared: $(cat "$TEST_DIR/fetch.err")"
	sleep 0.02
done
find "$XDG_CACHE_HOME" -printf '%m %p\n' >"$TEST_DIR/during.txt"
wait "$fetch" || fail "the slow fetch failed: $(cat "$TEST_DIR/fetch.err")"
grep -q '\.lock$' "$TEST_DIR/during.txt" || fail "no lock seen during the download: $(cat "$TEST_DIR/during.txt")"
bad=$(grep -v -e '^700 ' -e '^600 ' "$TEST_DIR/during.txt" || true)
[ -z "$bad" ] || fail "not private during a download:
$bad"
expect_rc 0 suite fetch --url "file://$WWW/quick.csv" --sha256 "$Q"
[ -f "$CACHE/$S.csv" ] && [ -f "$CACHE/$Q.csv" ] || fail "the cache lacks its files: $(cache_files)"
private "$XDG_CACHE_HOME"
ok "the dataset cache, its downloads in flight and its files are private"
