/*
 * lock.c - per database and suite x model job locks with flock(2) (see
 * lock.h).  Waiting polls with LOCK_NB rather than blocking in flock, so
 * a deadline needs no signals and a waiting process stays interruptible.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "format.h"
#include "lock.h"
#include "util.h"

struct bt_lock {
	int fd;
	char *path;
};

static void put_name(struct bt_buf *b, const char *s)
{
	size_t n = 0;

	for (; s && *s && n < 40; s++, n++) {
		unsigned char c = (unsigned char)*s;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		         (c >= '0' && c <= '9') || c == '_' || c == '-';
		bt_buf_putc(b, ok ? (char)c : '_');
	}
	if (n == 0)
		bt_buf_putc(b, '_');
}

char *bt_lock_path(const char *db_path, const char *suite, const char *model)
{
	struct bt_buf b = BT_BUF_INIT, key = BT_BUF_INIT;
	char hex[65];

	bt_buf_puts(&key, suite ? suite : "");
	bt_buf_putc(&key, '\0');
	bt_buf_puts(&key, model ? model : "");
	bt_sha256_hex(hex, key.ptr, key.len);
	bt_buf_free(&key);
	bt_buf_printf(&b, "%s.lock.", db_path);
	put_name(&b, suite);
	bt_buf_putc(&b, '.');
	put_name(&b, model);
	bt_buf_printf(&b, ".%.8s", hex);
	return bt_buf_detach(&b);
}

/* Who holds the lock, as its holder wrote it ("" when unreadable). */
static void read_holder(int fd, char *out, size_t n)
{
	ssize_t r = pread(fd, out, n - 1, 0);
	size_t len = r > 0 ? (size_t)r : 0;

	out[len] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

static void write_holder(int fd, const char *what)
{
	char when[32], *host = bt_hostname();
	char *line;

	bt_format_iso8601(when, sizeof(when), bt_now());
	line = bt_xasprintf("pid %ld on host '%s' (%s, since %s)\n", (long)getpid(), host,
	                    what ? what : "benchtop", when);
	/* Best effort: the lock holds whether or not the note is written. */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, line, strlen(line), 0) < 0)
		errno = 0;
	free(line);
	free(host);
}

static void nap(double s)
{
	struct timespec ts = {0, (long)(s * 1e9)};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int bt_lock_acquire(struct bt_lock **out, const char *db_path, const char *suite, const char *model,
                    double wait, const char *what)
{
	char *path = bt_lock_path(db_path, suite, model);
	double deadline = wait > 0 ? bt_monotonic() + wait : 0, pause = 0.02;
	int fd;

	*out = NULL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		int rc =
		        bt_error_set(BT_EIO, "cannot create lock file '%s': %s", path, strerror(e));
		free(path);
		return rc;
	}
	for (;;) {
		char holder[256];
		int rc;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			int e = errno;
			rc = bt_error_set(BT_EIO, "cannot lock '%s': %s", path, strerror(e));
			close(fd);
			free(path);
			return rc;
		}
		if (wait < 0 || (wait > 0 && bt_monotonic() < deadline)) {
			nap(pause);
			if (pause < 0.25)
				pause *= 2;
			continue;
		}
		read_holder(fd, holder, sizeof(holder));
		if (wait > 0)
			rc = bt_error_set(
			        BT_EBUSY,
			        "gave up after %gs waiting for the lock on suite '%s' with "
			        "model '%s', held by %s",
			        wait, suite ? suite : "", model ? model : "",
			        *holder ? holder : "another process");
		else
			rc = bt_error_set(
			        BT_EBUSY,
			        "another job holds the lock on suite '%s' with model '%s' "
			        "(%s; lock file '%s')",
			        suite ? suite : "", model ? model : "",
			        *holder ? holder : "another process", path);
		close(fd);
		free(path);
		return rc;
	}
	write_holder(fd, what);
	*out = bt_xcalloc(1, sizeof(**out));
	(*out)->fd = fd;
	(*out)->path = path;
	return 0;
}

void bt_lock_release(struct bt_lock *l)
{
	if (!l)
		return;
	/* Leave the file: a waiter may hold it open (see lock.h). */
	if (ftruncate(l->fd, 0) != 0)
		errno = 0;
	flock(l->fd, LOCK_UN);
	close(l->fd);
	free(l->path);
	free(l);
}
