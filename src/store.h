/*
 * store.h - the SQLite results store: opening, identifying, migrating,
 * transactions and typed SQL arguments.
 *
 * One file holds everything benchtop records.  It is opened in WAL mode
 * with a busy timeout so that a nightly job can write while a dashboard
 * reads; write transactions are BEGIN IMMEDIATE and kept short.  This
 * module never prints and never builds SQL from user text: values always
 * travel as bound parameters (struct bt_sqlargs).
 */
#ifndef BT_STORE_H
#define BT_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct bt_store;

enum bt_store_flags {
	/* Create the file (and a private parent directory) when missing. */
	BT_STORE_CREATE = 1 << 0,
	/* Open for reading only; an outdated schema is then an error. */
	BT_STORE_READONLY = 1 << 1,
};

/* SQLite's application_id for benchtop databases: "BnTp". */
#define BT_STORE_APPLICATION_ID 0x426e5470

/* A numbered migration, compiled in from schemas/NNNN-*.sql. */
struct bt_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct bt_migration bt_migrations[];
extern const int bt_migrations_count;

/*
 * Open the database at `path`.
 *
 * A file that is not a SQLite database, or a SQLite database that is not
 * benchtop's, is refused with BT_EFOREIGN; one written by a newer benchtop
 * with BT_EVERSION.  In both cases the file is not modified.  An older
 * schema is migrated in one transaction.  With BT_STORE_CREATE a missing
 * file is created mode 0600, and a missing parent directory mode 0700;
 * without it a missing file is BT_ENOTFOUND.
 *
 * @param[out] out  the open store; close with bt_store_close()
 * @return 0, or a negative bt_status with the message set
 */
int bt_store_open(struct bt_store **out, const char *path, unsigned flags);
void bt_store_close(struct bt_store *s);

/* The raw handle, for core modules that prepare their own statements. */
sqlite3 *bt_store_handle(struct bt_store *s);
const char *bt_store_path(const struct bt_store *s);

/* The schema version of the open file, and the newest this build knows. */
int bt_store_schema_version(struct bt_store *s);
int bt_store_latest_version(void);

/*
 * Transactions.  bt_store_begin() starts a write transaction (BEGIN
 * IMMEDIATE, so lock waits happen up front, under the busy timeout);
 * rollback is safe to call when no transaction is open.
 */
int bt_store_begin(struct bt_store *s);
int bt_store_commit(struct bt_store *s);
void bt_store_rollback(struct bt_store *s);

/* Prepare a statement from constant SQL. */
int bt_store_prepare(struct bt_store *s, sqlite3_stmt **out, const char *sql);

/*
 * Turn a SQLite result code into a bt_status with a message that names
 * `what` (e.g. "cannot insert run") and SQLite's own explanation; full
 * disks, read-only files and corruption get their own statuses.
 */
int bt_store_error(struct bt_store *s, int rc, const char *what);

/* Step a statement expected to finish (INSERT/UPDATE/DELETE). */
int bt_store_step_done(struct bt_store *s, sqlite3_stmt *st, const char *what);

/*
 * Checkpoint the WAL from a thread of its own while `s` writes in bulk.
 *
 * Without it, the commit that takes the WAL past 1,000 pages copies them
 * into the database file before it returns, so a bulk writer stops every
 * few thousand rows to do I/O another core could do.  While a
 * checkpointer runs, `s` does no automatic checkpoints; the thread, on a
 * connection of its own, runs a PASSIVE checkpoint (which never blocks
 * writers or readers) whenever a commit leaves the WAL that long.
 * bt_checkpointer_stop() restores SQLite's automatic checkpoints.
 *
 * Starting never fails: NULL (when the thread or its connection cannot
 * start) leaves the automatic checkpoints in place, and stopping NULL does
 * nothing.  `s` must stay open until the checkpointer is stopped.
 */
struct bt_checkpointer;
struct bt_checkpointer *bt_checkpointer_start(struct bt_store *s);
void bt_checkpointer_stop(struct bt_checkpointer *c);

/*
 * Typed SQL arguments, produced by filter compilation and bound by the
 * store, so user text never becomes part of a statement.
 */
enum bt_sqltype { BT_SQL_NULL, BT_SQL_INT, BT_SQL_REAL, BT_SQL_TEXT };
struct bt_sqlval {
	enum bt_sqltype type;
	int64_t i;
	double d;
	char *s;
};
struct bt_sqlargs {
	struct bt_sqlval *v;
	size_t n, cap;
};
#define BT_SQLARGS_INIT    \
	{                  \
		NULL, 0, 0 \
	}

void bt_sqlargs_int(struct bt_sqlargs *a, int64_t i);
void bt_sqlargs_real(struct bt_sqlargs *a, double d);
void bt_sqlargs_text(struct bt_sqlargs *a, const char *s);
void bt_sqlargs_release(struct bt_sqlargs *a);
/* Bind every argument in order, starting at parameter index 1. */
int bt_sqlargs_bind(sqlite3_stmt *st, const struct bt_sqlargs *a);

/*
 * Where the database lives when neither --db nor BENCHTOP_DB says:
 * .benchtop/benchtop.db at the top of the git work tree that contains
 * `cwd`, or $XDG_DATA_HOME/benchtop/benchtop.db (~/.local/share/...)
 * outside any repository.
 */
int bt_store_default_path(char **out, const char *cwd);

#endif
