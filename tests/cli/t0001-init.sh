#!/bin/sh
# t0001-init: where the database goes, and that it is private.
. "$top_srcdir/tests/cli/lib.sh"

# Inside a work tree: .benchtop/benchtop.db at its top, even from a subdirectory.
mkdir -p sub/dir
cd sub/dir
expect_rc 0 init
expect_out "$REPO/.benchtop/benchtop.db"
cd "$REPO"
[ -f .benchtop/benchtop.db ] || fail "no database at the top of the work tree"
[ "$(stat -c %a .benchtop)" = 700 ] || fail ".benchtop is not private: $(stat -c %a .benchtop)"
[ "$(stat -c %a .benchtop/benchtop.db)" = 600 ] || fail "database is not private"
[ -z "$(git status --porcelain)" ] || fail "the store shows up in git status: $(git status --porcelain)"
ok "a private store at the top of the work tree, invisible to git"

# init is idempotent.
expect_rc 0 init
expect_out "schema version"

# Outside any repository: XDG_DATA_HOME, else ~/.local/share.
mkdir "$TEST_DIR/plain"
cd "$TEST_DIR/plain"
expect_rc 0 init
expect_out "$XDG_DATA_HOME/benchtop/benchtop.db"
unset XDG_DATA_HOME
expect_rc 0 init
expect_out "$HOME/.local/share/benchtop/benchtop.db"
ok "outside a repository the store goes to the XDG data directory"

# --db and BENCHTOP_DB override; --db wins; -C changes directory first.
expect_rc 0 --db "$TEST_DIR/x/one.db" init
expect_out "$TEST_DIR/x/one.db"
BENCHTOP_DB="$TEST_DIR/two.db" run_bt init
expect_out "$TEST_DIR/two.db"
BENCHTOP_DB="$TEST_DIR/two.db" run_bt --db "$TEST_DIR/three.db" init
expect_out "$TEST_DIR/three.db"
expect_rc 0 -C "$REPO/sub" init
expect_out "$REPO/.benchtop/benchtop.db"
ok "--db, BENCHTOP_DB and -C"

# Reading commands do not create a database.
expect_rc 2 --db "$TEST_DIR/none.db" ls
expect_err "no database at '$TEST_DIR/none.db'"
[ ! -e "$TEST_DIR/none.db" ] || fail "ls created a database"
ok "reading a missing database is an error and creates nothing"
