/*
 * helpers.c - fixtures for the unit tests (see helpers.h).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "util.h"

char *th_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = bt_xasprintf("%s/benchtop-test-XXXXXX", base && *base ? base : "/tmp");

	cr_assert_not_null(mkdtemp(tmpl), "mkdtemp failed");
	return tmpl;
}

void th_rm_rf(const char *path)
{
	if (path && *path)
		th_sh("rm -rf '%s'", path);
}

int th_sh(const char *fmt, ...)
{
	struct bt_buf b = BT_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	bt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	rc = system(b.ptr);
	bt_buf_free(&b);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

void th_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

void th_write_in(const char *dir, const char *name, const char *text)
{
	char *path = bt_path_join(dir, name);

	th_write(path, text);
	free(path);
}

char *th_read(const char *path, size_t *len)
{
	char *s = NULL;

	if (bt_read_file(&s, len, path) != 0)
		return NULL;
	return s;
}

void th_file_sha(const char *path, char out[65])
{
	cr_assert_eq(bt_sha256_file(out, path), 0, "cannot hash %s", path);
}

#define GIT                                                                                \
	"git -c user.name=Test -c user.email=test@example.com -c init.defaultBranch=main " \
	"-c commit.gpgsign=false"

void th_git_init(const char *dir)
{
	char *file = bt_path_join(dir, "a.txt");

	cr_assert_eq(th_sh(GIT " init -q '%s'", dir), 0, "git init failed");
	th_write(file, "one\n");
	free(file);
	th_git_commit(dir, "first");
}

void th_git_commit(const char *dir, const char *msg)
{
	cr_assert_eq(th_sh("cd '%s' && " GIT " add -A && " GIT " commit -q -m '%s'", dir, msg), 0,
	             "git commit failed");
}
