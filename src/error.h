/*
 * error.h - status codes and the per-thread last-error message.
 *
 * Every core function returns 0 on success and a negative bt_status on
 * failure, after recording a human-readable message with bt_error_set().
 * The front end prints that message once, at the top, and maps the status
 * to an exit code with bt_status_exit_code().  Nothing in the core prints.
 */
#ifndef BT_ERROR_H
#define BT_ERROR_H

#include <stdarg.h>

enum bt_status {
	BT_OK = 0,
	BT_ERROR = -1,      /* runtime failure not covered below */
	BT_ENOMEM = -2,     /* out of memory */
	BT_EUSAGE = -3,     /* bad command-line usage */
	BT_EINPUT = -4,     /* malformed input: a file, a filter, a value */
	BT_ENOTFOUND = -5,  /* a named run, file or plugin does not exist */
	BT_EAMBIGUOUS = -6, /* a reference matches more than one thing */
	BT_EIO = -7,        /* an operating-system I/O call failed */
	BT_EDB = -8,        /* SQLite reported an error */
	BT_EVERSION = -9,   /* written by a newer benchtop, or a newer ABI */
	BT_EFOREIGN = -10,  /* a file that is not ours (not benchtop's) */
	BT_EPLUGIN = -11,   /* a model plugin failed */
	BT_EBUSY = -12,     /* a lock is held by someone else */
	BT_EINTR = -13,     /* interrupted by a signal */
	BT_EFAIL = -14,     /* a check or an evaluation failed its criteria */
	BT_ENET = -15,      /* a network transfer failed */
	BT_EREADONLY = -16, /* the database cannot be written */
	BT_ENOSPC = -17,    /* the disk is full */
};

/*
 * Record a message for the calling thread and return `code`, so that
 * `return bt_error_set(BT_EINPUT, "...")` reads naturally.  Messages follow
 * git's conventions: lower case, no full stop, subjects in quotes.
 */
int bt_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int bt_error_setv(int code, const char *fmt, va_list ap);

/*
 * Prefix the current message with context ("suite 'x': " + old message).
 * Returns the current code, so it can be returned directly.
 */
int bt_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The calling thread's last message ("" when none) and its code. */
const char *bt_error_last(void);
int bt_error_code(void);
void bt_error_clear(void);

/*
 * Map a status to benchtop's documented exit codes: 0 success, 1 a check or
 * evaluation failed, 2 usage or input error, 3 runtime failure.
 */
int bt_status_exit_code(int status);

/* Exit codes, as documented in benchtop(1). */
enum {
	BT_EXIT_OK = 0,
	BT_EXIT_FAIL = 1,
	BT_EXIT_USAGE = 2,
	BT_EXIT_RUNTIME = 3,
	BT_EXIT_NO_BASELINE = 4,
};

#endif
