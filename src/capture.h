/*
 * capture.h - running a command the way `benchtop exec` does: its output
 * passed through in real time (through a pseudo-terminal when wanted, so
 * that progress bars and colours still work) and handed to a callback,
 * SIGINT/SIGTERM/SIGHUP forwarded, and its exit status and resource usage
 * collected with wait4().
 *
 * This module forks and execs but never touches the store (a SQLite
 * connection must not cross fork()), and writes only to the descriptors
 * it is given.  It installs its own signal handlers for the duration of
 * bt_child_run() and restores the previous ones before returning.
 */
#ifndef BT_CAPTURE_H
#define BT_CAPTURE_H

#include <stddef.h>

enum bt_child_stream { BT_CHILD_STDOUT = 1, BT_CHILD_STDERR = 2 };

struct bt_child_opts {
	char *const *argv; /* argv[0] as given; `path` is what runs */
	const char *path;  /* from bt_child_resolve() */
	char *const *envp; /* the child's whole environment */
	/*
	 * 0: the child inherits stdout and stderr (nothing is captured).
	 * 1: stdout (and stderr) are captured through pipes or a pty.
	 */
	int capture;
	int pty_stdout; /* capture stdout through a pseudo-terminal */
	int pty_stderr; /* stderr through the same pseudo-terminal */
	int out_fd;     /* where captured stdout is passed on (-1: nowhere) */
	int err_fd;     /* where captured stderr is passed on (-1: nowhere) */
	int term_fd;    /* the terminal whose size and modes the pty copies (-1: none) */
	/* Called with every piece of output, after it has been passed on. */
	void (*on_output)(enum bt_child_stream stream, const char *data, size_t n, void *payload);
	/* Called about every `tick` seconds while the child runs (0: never). */
	void (*on_tick)(void *payload);
	double tick;
	void *payload;
};

struct bt_child_result {
	int exit_status; /* exit code, or 128 + the signal that killed it */
	int signaled;    /* killed by a signal (term_signal) */
	int term_signal;
	int forwarded_signal; /* the last signal passed on to the child, 0 if none */
	double started_at, ended_at;
	double user_seconds, system_seconds;
	long max_rss_kib; /* peak resident set size of the child (and reaped descendants) */
	unsigned long long output_bytes;
};

/*
 * Find `file` as execvp() would (a name with a '/' is used as it is,
 * otherwise each PATH directory is tried).  BT_ENOTFOUND when there is no
 * such executable; *out is freed by the caller.
 */
int bt_child_resolve(const char *file, char **out);

/*
 * Run the child to completion.  Returns 0 once it has been waited for
 * (whatever its status), or a negative bt_status when it could not be
 * started (with the message set).
 */
int bt_child_run(const struct bt_child_opts *o, struct bt_child_result *res);

/* "SIGINT" for SIGINT; "signal N" for unknown numbers. */
const char *bt_signal_name(int sig, char buf[32]);

#endif
