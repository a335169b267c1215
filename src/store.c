/*
 * store.c - open, identify and migrate the SQLite results store.
 *
 * The rule that matters most here: a file that is not ours, or is from a
 * newer benchtop, is never written to.  Identification therefore happens on
 * a connection that has issued no write of any kind (not even the WAL
 * pragma), and only then do we switch journal modes or migrate.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "git.h"
#include "store.h"
#include "util.h"

/*
 * How long a statement waits for another connection's lock.  Writers hold
 * locks for milliseconds, so reaching this means something is badly stuck;
 * it is long so that "database is locked" never reaches a user of a busy
 * but healthy database.
 */
#define BUSY_TIMEOUT_MS 60000

struct bt_store {
	sqlite3 *db;
	char *path;
	int version;
	int in_txn;
};

int bt_store_latest_version(void)
{
	return bt_migrations[bt_migrations_count - 1].version;
}

int bt_store_error(struct bt_store *s, int rc, const char *what)
{
	const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	const char *path = s ? s->path : "";

	/* A write refused for size (ENOSPC, or EFBIG past RLIMIT_FSIZE) is a full disk to users. */
	if ((rc & 0xff) == SQLITE_IOERR && s && s->db) {
		int e = sqlite3_system_errno(s->db);
		if (e == ENOSPC || e == EFBIG || e == EDQUOT)
			rc = SQLITE_FULL;
	}
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return bt_error_set(
		        BT_ENOSPC,
		        "%s: disk full (or file size limit reached) writing database '%s'; "
		        "nothing was half-written: free space and retry",
		        what, path);
	case SQLITE_READONLY:
		return bt_error_set(BT_EREADONLY, "%s: database '%s' is read-only", what, path);
	case SQLITE_NOTADB:
		return bt_error_set(BT_EFOREIGN, "%s: '%s' is not a SQLite database", what, path);
	case SQLITE_CORRUPT:
		return bt_error_set(BT_EDB, "%s: database '%s' is damaged: %s", what, path, msg);
	case SQLITE_NOMEM:
		return bt_error_set(BT_ENOMEM, "%s: out of memory", what);
	case SQLITE_INTERRUPT:
		return bt_error_set(BT_EINTR, "%s: interrupted", what);
	default:
		return bt_error_set(BT_EDB, "%s: %s", what, msg);
	}
}

static int exec_sql(struct bt_store *s, const char *sql, const char *what)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : bt_store_error(s, rc, what);
}

static int pragma_int(struct bt_store *s, const char *sql, int *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return bt_store_error(s, rc, "cannot read database header");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	else
		*out = 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return bt_store_error(s, rc, "cannot read database header");
	return 0;
}

/*
 * Is the file empty?  An empty file is a database to initialise; anything
 * else must identify itself to SQLite (see bt_store_open).
 *
 * Only stat(): opening and closing the file ourselves would release every
 * POSIX lock this process holds on it (fcntl locks belong to the process,
 * not the descriptor), and another connection of ours - the harness's
 * heartbeat, a library in the same program - may hold SQLite's locks on it
 * at this very moment.  Losing them lets concurrent writers lose updates.
 */
static int check_file(const char *path, int *empty)
{
	struct stat st;

	*empty = 0;
	if (stat(path, &st) != 0)
		return bt_error_set(errno == ENOENT ? BT_ENOTFOUND : BT_EIO,
		                    "cannot open database '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bt_error_set(BT_EFOREIGN, "'%s' is not a regular file; refusing to use it",
		                    path);
	*empty = st.st_size == 0;
	return 0;
}

static int ensure_parent(const char *path)
{
	char *dir = bt_dirname(path);
	const char *base = strrchr(dir, '/');
	struct stat st;
	int rc = 0;

	base = base ? base + 1 : dir;
	if (stat(dir, &st) == 0)
		goto out;
	/* Directories we create hold results: private to the user. */
	rc = bt_mkdir_p(dir, 0700);
	if (rc)
		goto out;
	if (strcmp(base, ".benchtop") == 0) {
		/* Keep the store out of `git status` without touching .gitignore. */
		char *ignore = bt_path_join(dir, ".gitignore");
		int fd = open(ignore, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			static const char text[] =
			        "# created by benchtop: keep the results store out of git\n*\n";
			if (write(fd, text, sizeof(text) - 1) < 0)
				rc = bt_error_set(BT_EIO, "cannot write '%s': %s", ignore,
				                  strerror(errno));
			close(fd);
		}
		free(ignore);
	}
out:
	free(dir);
	return rc;
}

static int create_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0 && errno != EEXIST)
		return bt_error_set(BT_EIO, "cannot create database '%s': %s", path,
		                    strerror(errno));
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Is there anything at all in the schema? */
static int count_objects(struct bt_store *s, int *out)
{
	return pragma_int(s, "SELECT count(*) FROM sqlite_master", out);
}

static int migrate(struct bt_store *s)
{
	int rc, version, i;

	rc = bt_store_begin(s);
	if (rc)
		return rc;
	/* Another process may have migrated while we waited for the lock. */
	rc = pragma_int(s, "PRAGMA user_version", &version);
	if (rc)
		goto fail;
	for (i = 0; i < bt_migrations_count; i++) {
		const struct bt_migration *m = &bt_migrations[i];
		if (m->version <= version)
			continue;
		rc = exec_sql(s, m->sql, "cannot apply schema migration");
		if (rc) {
			bt_error_prefix("%s: ", m->name);
			goto fail;
		}
		version = m->version;
	}
	{
		char sql[96];
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d",
		         BT_STORE_APPLICATION_ID, version);
		rc = exec_sql(s, sql, "cannot record schema version");
		if (rc)
			goto fail;
	}
	rc = bt_store_commit(s);
	if (rc)
		goto fail;
	s->version = version;
	return 0;
fail:
	bt_store_rollback(s);
	return rc;
}

int bt_store_open(struct bt_store **out, const char *path, unsigned flags)
{
	struct bt_store *s;
	int rc, empty = 0, app_id = 0, version = 0, objects = 0, oflags;
	int readonly = (flags & BT_STORE_READONLY) != 0;

	*out = NULL;
	if (access(path, F_OK) != 0) {
		if (!(flags & BT_STORE_CREATE) || readonly)
			return bt_error_set(
			        BT_ENOTFOUND,
			        "no database at '%s' (run 'benchtop init' to create one)", path);
		rc = ensure_parent(path);
		if (!rc)
			rc = create_file(path);
		if (rc)
			return rc;
	}
	rc = check_file(path, &empty);
	if (rc)
		return rc;
	if (!readonly && access(path, W_OK) != 0)
		readonly = 1;

	s = bt_xcalloc(1, sizeof(*s));
	s->path = bt_xstrdup(path);
	oflags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
	rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		rc = bt_store_error(s, rc, "cannot open database");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);

	/* Identify the file before anything can write to it. */
	if (!empty) {
		rc = pragma_int(s, "PRAGMA application_id", &app_id);
		if (!rc)
			rc = pragma_int(s, "PRAGMA user_version", &version);
		if (!rc)
			rc = count_objects(s, &objects);
		if (rc) {
			if ((sqlite3_errcode(s->db) & 0xff) == SQLITE_NOTADB)
				rc = bt_error_set(
				        BT_EFOREIGN,
				        "'%s' is not a SQLite database; refusing to use it", path);
			else if (bt_error_code() == BT_EFOREIGN || bt_error_code() == BT_EDB)
				rc = bt_error_set(BT_EFOREIGN,
				                  "'%s' is not a usable SQLite database: %s", path,
				                  sqlite3_errmsg(s->db));
			goto fail;
		}
	}
	if (app_id != BT_STORE_APPLICATION_ID && (app_id != 0 || version != 0 || objects != 0)) {
		rc = bt_error_set(BT_EFOREIGN,
		                  "'%s' is a SQLite database but not a benchtop one; refusing to "
		                  "touch it",
		                  path);
		goto fail;
	}
	if (version > bt_store_latest_version()) {
		rc = bt_error_set(
		        BT_EVERSION,
		        "database '%s' was written by a newer benchtop (schema version %d; "
		        "this benchtop knows versions up to %d); upgrade benchtop to use it",
		        path, version, bt_store_latest_version());
		goto fail;
	}
	s->version = version;

	if (!readonly) {
		rc = exec_sql(s, "PRAGMA journal_mode = WAL", "cannot enable WAL mode");
		if (rc)
			goto fail;
	}
	/*
	 * NORMAL is durable across application crashes in WAL mode (kill -9
	 * loses nothing committed); only power loss can roll back the last
	 * transactions, and never corrupts.
	 */
	rc = exec_sql(s, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL",
	              "cannot configure database");
	if (rc)
		goto fail;
	if (version < bt_store_latest_version()) {
		if (readonly) {
			rc = bt_error_set(
			        BT_EREADONLY,
			        "database '%s' needs an upgrade from schema version %d to %d "
			        "but is read-only",
			        path, version, bt_store_latest_version());
			goto fail;
		}
		rc = migrate(s);
		if (rc)
			goto fail;
	}
	*out = s;
	return 0;
fail:
	bt_store_close(s);
	return rc;
}

void bt_store_close(struct bt_store *s)
{
	if (!s)
		return;
	if (s->db)
		sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

sqlite3 *bt_store_handle(struct bt_store *s)
{
	return s->db;
}

const char *bt_store_path(const struct bt_store *s)
{
	return s->path;
}

int bt_store_schema_version(struct bt_store *s)
{
	return s->version;
}

int bt_store_begin(struct bt_store *s)
{
	int rc = exec_sql(s, "BEGIN IMMEDIATE", "cannot start a transaction");

	if (!rc)
		s->in_txn = 1;
	return rc;
}

int bt_store_commit(struct bt_store *s)
{
	int rc = exec_sql(s, "COMMIT", "cannot commit");

	if (rc)
		bt_store_rollback(s);
	s->in_txn = 0;
	return rc;
}

void bt_store_rollback(struct bt_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = 0;
}

int bt_store_prepare(struct bt_store *s, sqlite3_stmt **out, const char *sql)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, out, NULL);

	return rc == SQLITE_OK ? 0 : bt_store_error(s, rc, "cannot prepare statement");
}

int bt_store_step_done(struct bt_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	return bt_store_error(s, rc, what);
}

/* --- background checkpoints ---------------------------------------------- */

/* SQLite's own threshold (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT), kept as is. */
#define CHECKPOINT_PAGES 1000

struct bt_checkpointer {
	struct bt_store *writer;
	sqlite3 *db; /* the thread's own connection */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int wanted, stop;
	int asked_at; /* WAL pages when a checkpoint was last asked for */
};

/* Called by SQLite in the writer's thread after each commit. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct bt_checkpointer *c = arg;

	(void)db;
	(void)name;
	/*
	 * The WAL only starts over once a checkpoint has caught up, so its
	 * length keeps growing while one runs: ask again only when it grew
	 * by another threshold (or started over), not after every commit.
	 */
	if (pages < c->asked_at)
		c->asked_at = 0;
	if (pages - c->asked_at >= CHECKPOINT_PAGES) {
		c->asked_at = pages;
		pthread_mutex_lock(&c->mu);
		c->wanted = 1;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
	}
	return SQLITE_OK;
}

static void *checkpointer_main(void *arg)
{
	struct bt_checkpointer *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->wanted && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->wanted = 0;
		pthread_mutex_unlock(&c->mu);
		/* BUSY (another checkpoint under way) is fine: the next commit asks again. */
		sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

struct bt_checkpointer *bt_checkpointer_start(struct bt_store *s)
{
	struct bt_checkpointer *c;

	if (!s || !s->db || sqlite3_db_readonly(s->db, "main") != 0)
		return NULL;
	c = bt_xcalloc(1, sizeof(*c));
	c->writer = s;
	/*
	 * A connection that has read nothing does not know the file is in WAL
	 * mode, and its checkpoints would silently do nothing: read first.
	 */
	if (sqlite3_open_v2(s->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	            SQLITE_OK ||
	    sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) !=
	            SQLITE_OK) {
		sqlite3_close_v2(c->db);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		sqlite3_close_v2(c->db);
		free(c);
		return NULL;
	}
	/* Replaces the hook sqlite3_wal_autocheckpoint() installed. */
	sqlite3_wal_hook(s->db, wal_hook, c);
	return c;
}

void bt_checkpointer_stop(struct bt_checkpointer *c)
{
	if (!c)
		return;
	sqlite3_wal_autocheckpoint(c->writer->db, CHECKPOINT_PAGES);
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	sqlite3_close_v2(c->db);
	free(c);
}

static struct bt_sqlval *push(struct bt_sqlargs *a, enum bt_sqltype type)
{
	struct bt_sqlval *v;

	bt_grow(&a->v, &a->cap, a->n + 1, sizeof(*a->v));
	v = &a->v[a->n++];
	memset(v, 0, sizeof(*v));
	v->type = type;
	return v;
}

void bt_sqlargs_int(struct bt_sqlargs *a, int64_t i)
{
	push(a, BT_SQL_INT)->i = i;
}

void bt_sqlargs_real(struct bt_sqlargs *a, double d)
{
	push(a, BT_SQL_REAL)->d = d;
}

void bt_sqlargs_text(struct bt_sqlargs *a, const char *s)
{
	push(a, BT_SQL_TEXT)->s = bt_xstrdup(s);
}

void bt_sqlargs_release(struct bt_sqlargs *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i].s);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

int bt_sqlargs_bind(sqlite3_stmt *st, const struct bt_sqlargs *a)
{
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; i < a->n && rc == SQLITE_OK; i++) {
		const struct bt_sqlval *v = &a->v[i];
		int idx = (int)i + 1;
		switch (v->type) {
		case BT_SQL_NULL:
			rc = sqlite3_bind_null(st, idx);
			break;
		case BT_SQL_INT:
			rc = sqlite3_bind_int64(st, idx, v->i);
			break;
		case BT_SQL_REAL:
			rc = sqlite3_bind_double(st, idx, v->d);
			break;
		case BT_SQL_TEXT:
			rc = sqlite3_bind_text(st, idx, v->s, -1, SQLITE_TRANSIENT);
			break;
		}
	}
	return rc == SQLITE_OK ? 0 : bt_error_set(BT_EDB, "cannot bind query arguments");
}

int bt_store_default_path(char **out, const char *cwd)
{
	char *top = NULL;
	const char *xdg, *home;
	char *dir;

	if (bt_git_workdir(&top, cwd) == 0) {
		dir = bt_path_join(top, ".benchtop");
		*out = bt_path_join(dir, "benchtop.db");
		free(dir);
		free(top);
		return 0;
	}
	bt_error_clear();
	xdg = getenv("XDG_DATA_HOME");
	if (xdg && xdg[0] == '/') {
		dir = bt_path_join(xdg, "benchtop");
	} else {
		home = getenv("HOME");
		if (!home || !*home)
			return bt_error_set(BT_EUSAGE,
			                    "not in a git repository and HOME is not set: "
			                    "use --db PATH or BENCHTOP_DB");
		dir = bt_xasprintf("%s/.local/share/benchtop", home);
	}
	*out = bt_path_join(dir, "benchtop.db");
	free(dir);
	return 0;
}
