#!/bin/sh
# t0620-merge: benchtop merge imports the runs of other databases (shards
# written on other nodes) with new ids and the same uuids, twice without
# changing anything, refuses what is not a benchtop database, and finds the
# shard groups to combine.
. "$top_srcdir/tests/cli/lib.sh"

ALL="$TEST_DIR/all.db"

# Shard K of 4 of one evaluation in node K's own database: examples idx = 4 i + K.
shard() {
	db="$TEST_DIR/node$1.db"
	"$MKRUN" --db "$db" --suite tabular --model knn --suite-hash h1 --param k=5 \
		--samples "iris:25:0.9:$1" >/dev/null
	python3 - "$db" "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
k = int(sys.argv[2])
with db:
    db.execute("UPDATE runs SET shard_index = ?, shard_count = 4, shard_group = 'job-42'", (k,))
    # In two steps: no moment where two examples share an idx.
    db.execute("UPDATE samples SET idx = idx * 4 + ? + 1000000", (k,))
    db.execute("UPDATE samples SET idx = idx - 1000000")
EOF
}

# A digest of every row of every table, to prove that nothing changed.
digest() {
	python3 - "$1" <<'EOF'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
h = hashlib.sha256()
for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
    for row in db.execute('SELECT * FROM "%s" ORDER BY 1, 2' % t):
        h.update(repr(row).encode())
print(h.hexdigest())
EOF
}

for k in 0 1 2 3; do shard $k; done
"$MKRUN" --db "$TEST_DIR/node0.db" --suite text --model majority --metric qa/exact_match=0.5 \
	--series loss=1:0.9,2:0.5 --tag nightly >/dev/null
"$MKRUN" --db "$TEST_DIR/node1.db" --suite text --model majority --status running >/dev/null
"$MKRUN" --db "$ALL" --name local >/dev/null

# These shards were made by hand, without a suite file to recompute their
# metrics from: the group is found but cannot be combined, which is reported
# (and makes the exit status 2) without stopping the import.
expect_rc 2 --db "$ALL" merge "$TEST_DIR/node0.db" "$TEST_DIR/node1.db" "$TEST_DIR/node2.db" \
	"$TEST_DIR/node3.db"
expect_err "imported 2 runs from '$TEST_DIR/node0.db' (0 already here, 0 still running)"
expect_err "imported 1 run from '$TEST_DIR/node1.db' (0 already here, 1 still running)"
expect_err "not combined: 4 shards of suite 'tabular' with model 'knn' at"
expect_err "records no suite file"
ok "runs imported; the shard group found, and why it cannot be combined"

python3 - "$ALL" "$TEST_DIR" <<'EOF' || fail "the imported runs are not the originals"
import sqlite3, sys
all_ = sqlite3.connect(sys.argv[1])
assert all_.execute("SELECT count(*) FROM runs").fetchone()[0] == 6
for k in range(4):
    node = sqlite3.connect("%s/node%d.db" % (sys.argv[2], k))
    for uuid, status in node.execute("SELECT uuid, status FROM runs"):
        row = all_.execute("SELECT id, shard_index, shard_group FROM runs WHERE uuid = ?",
                           (uuid,)).fetchone()
        if status == "running":
            assert row is None, "a running run was imported"
            continue
        assert row is not None, uuid
        theirs = sorted(node.execute(
            "SELECT s.idx, s.example_id, s.correct, s.latency FROM samples s JOIN tasks t "
            "ON t.id = s.task_id JOIN runs r ON r.id = t.run_id WHERE r.uuid = ?", (uuid,)))
        ours = sorted(all_.execute(
            "SELECT s.idx, s.example_id, s.correct, s.latency FROM samples s JOIN tasks t "
            "ON t.id = s.task_id WHERE t.run_id = ?", (row[0],)))
        assert theirs == ours, uuid
# The local run kept id 1; imported ids follow.
assert all_.execute("SELECT name FROM runs WHERE id = 1").fetchone()[0] == "local"
text = all_.execute("SELECT id FROM runs WHERE suite = 'text'").fetchone()[0]
assert all_.execute("SELECT count(*) FROM series WHERE run_id = ?", (text,)).fetchone()[0] == 2
assert all_.execute("SELECT tag FROM tags WHERE run_id = ?", (text,)).fetchone()[0] == "nightly"
assert all_.execute("SELECT group_concat(shard_index) FROM (SELECT shard_index FROM runs "
                    "WHERE shard_count = 4 ORDER BY shard_index)").fetchone()[0] == "0,1,2,3"
EOF
ok "samples, params, tags, series and shard fields travel with their runs"

before=$(digest "$ALL")
expect_rc 2 --db "$ALL" merge "$TEST_DIR/node0.db" "$TEST_DIR/node1.db" "$TEST_DIR/node2.db" \
	"$TEST_DIR/node3.db"
expect_err "imported 0 runs from '$TEST_DIR/node0.db' (2 already here, 0 still running)"
[ "$(digest "$ALL")" = "$before" ] || fail "merging the same databases again changed the database"
ok "merging twice changes nothing"

# Three shards of another evaluation: incomplete.
for k in 0 1 2; do
	rm -f "$TEST_DIR/node$k.db"*
	shard $k
	python3 -c "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute(\"UPDATE runs SET shard_group = 'job-43'\"); db.commit()" "$TEST_DIR/node$k.db"
done
expect_rc 2 --db "$ALL" merge "$TEST_DIR/node0.db" "$TEST_DIR/node1.db" "$TEST_DIR/node2.db"
expect_err "incomplete: 4 shards of suite 'tabular' with model 'knn'"
expect_err "missing 3"
ok "an incomplete shard group is reported, not combined"

# Single shards are never candidates.
expect_rc 0 --db "$ALL" check
expect_out "suite 'text' with model 'majority'"
expect_no_out tabular
ok "a single shard is not a run to check"

expect_rc 2 --db "$ALL" merge --into 999
expect_err "no run with id 999"
expect_rc 2 --db "$ALL" merge --into 1
expect_err "no complete set of shards has run 1's suite data, model and commit"
echo "my notes" >"$TEST_DIR/notes.txt"
sum=$(sha256sum "$TEST_DIR/notes.txt")
expect_rc 2 --db "$ALL" merge "$TEST_DIR/notes.txt"
expect_err "notes.txt"
[ "$(sha256sum "$TEST_DIR/notes.txt")" = "$sum" ] || fail "a foreign file was modified"
expect_rc 2 --db "$ALL" merge "$ALL"
expect_err "is the database being merged into"
expect_rc 2 --db "$ALL" merge "$TEST_DIR/none.db"
python3 -c "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute('PRAGMA user_version = 999')" \
	"$TEST_DIR/node0.db"
expect_rc 2 --db "$ALL" merge "$TEST_DIR/node0.db"
expect_err "schema version 999"
[ "$(python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM runs').fetchone()[0])" "$ALL")" = 9 ] ||
	fail "a refused merge wrote runs"
ok "refuses itself, foreign files and newer databases, unchanged"

expect_rc 0 --db "$TEST_DIR/fresh/new.db" merge "$TEST_DIR/node1.db"
expect_err "imported 1 run"
expect_rc 0 merge --help
expect_out "usage: benchtop merge"
ok "merging into a new database creates it"
