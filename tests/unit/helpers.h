/*
 * helpers.h - shared fixtures for the Criterion unit tests: temporary
 * directories, real git repositories made with the git program, and small
 * file utilities.
 */
#ifndef BT_TEST_HELPERS_H
#define BT_TEST_HELPERS_H

#include <stddef.h>

/* A fresh private directory under $TMPDIR (or /tmp); caller frees and removes. */
char *th_tmpdir(void);
/* Remove a tree (best effort). */
void th_rm_rf(const char *path);
/* Run a shell command built with printf; returns its exit status. */
int th_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write a file (creating parents is the caller's job). */
void th_write(const char *path, const char *text);
/* Write dir/name. */
void th_write_in(const char *dir, const char *name, const char *text);
/* A file's contents (caller frees); NULL when unreadable. */
char *th_read(const char *path, size_t *len);
/* sha256 of a file, for "left unchanged" checks. */
void th_file_sha(const char *path, char out[65]);
/* Make a git repository at `dir` with one commit of file a.txt. */
void th_git_init(const char *dir);
/* Commit everything in `dir` with message `msg`. */
void th_git_commit(const char *dir, const char *msg);

#endif
