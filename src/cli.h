/*
 * cli.h - what every front-end command shares: the context built from the
 * global options, opening the store, printing errors and tables, and the
 * filter words of a command line.  Only front-end files (benchtop.c,
 * cmd-*.c, tui/) include this.
 */
#ifndef BT_CLI_H
#define BT_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "filter.h"
#include "format.h"
#include "store.h"

struct bt_command;

struct bt_ctx {
	const char *argv0;
	const char *db_arg; /* --db, else BENCHTOP_DB, else NULL */
	char *cwd;          /* the working directory after -C */
	int color;          /* colour stdout */
	int color_stderr;   /* colour stderr */
	int quiet, verbose;
	int stdout_tty, stderr_tty, stdin_tty;
	int width; /* terminal width for tables; 0 when not a terminal */
	int argc;  /* the whole command line, for recording in runs */
	char **argv;
	const struct bt_command *cmd;
	struct bt_store *store;
	char *db_path;
};

enum bt_cmd_flags {
	BT_CMD_DB_CREATE = 1 << 0, /* opening the store may create it */
	BT_CMD_HIDDEN = 1 << 1,    /* internal: not listed by help */
};

struct bt_command {
	const char *name;
	int (*fn)(int argc, char **argv, struct bt_ctx *ctx);
	unsigned flags;
	const char *summary;
};

extern const struct bt_command bt_commands[];
const struct bt_command *bt_command_find(const char *name);

/* Open (once) the store this invocation uses, creating it when the command may. */
int bt_cli_store(struct bt_ctx *ctx, struct bt_store **out);

/*
 * Print the last error as "benchtop: error: ..." and return the exit code
 * for `status`.  A filter error also prints the filter with a caret.
 */
int bt_cli_fail(struct bt_ctx *ctx, int status);
/* Print a usage error followed by "usage: ..." and return 2. */
int bt_cli_usage_error(struct bt_ctx *ctx, const char *usage, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void bt_cli_warn(struct bt_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Informational message on stderr, unless -q. */
void bt_cli_info(struct bt_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print a table to stdout in `fmt`, sized and coloured for this terminal. */
int bt_cli_print_table(struct bt_ctx *ctx, const struct bt_table *t, enum bt_format fmt);

/*
 * Parse the filter words argv[0..argc) into *out, printing a caret under
 * the fault on error.  Returns 0 or an exit code.
 */
int bt_cli_filter(struct bt_ctx *ctx, int argc, char **argv, struct bt_filter **out);

/* Print a filter error with the text and a caret under the fault. */
void bt_cli_filter_error(struct bt_ctx *ctx, const char *text, const struct bt_filter_error *err);

/* Resolve a run reference, printing the error; returns 0 or an exit code. */
int bt_cli_resolve(struct bt_ctx *ctx, const char *ref, int64_t *out);

/*
 * Print a run's metrics object ({task: {metric: {value, ci_low, ...}}}, as
 * bt_run_json makes it) as a task x metric table with intervals.
 */
typedef struct json_t json_t;
void bt_cli_print_metrics(struct bt_ctx *ctx, json_t *metrics, int heading);

/* Print sanitised text (from data, models or the database) to `f`. */
void bt_cli_puts_safe(FILE *f, const char *s, int keep_newlines);

/* Standard option handling: a command's usage text and --help. */
void bt_cli_print_usage(FILE *f, const char *usage);

/*
 * Report what getopt_long() returned for a bad option ('?' unknown, ':'
 * missing argument; optstrings start with ':' and opterr is 0) and return
 * exit code 2.  An unknown long option close to one the usage text lists
 * gets a "did you mean".
 */
int bt_cli_bad_option(struct bt_ctx *ctx, const char *usage, int c, char **argv);
/* The option of `usage` closest to long option `opt` ("--name[=...]"), in buf, or NULL. */
const char *bt_cli_closest_option(const char *usage, const char *opt, char *buf, size_t bufsize);

/* Parse "key=value" into newly allocated halves; BT_EUSAGE when there is no '='. */
int bt_cli_split_kv(const char *arg, char **key, char **value);

/*
 * Data downloads on stderr (cmd-suite-fetch.c), for bt_fetch_opts.progress
 * with the payload from bt_cli_fetch_progress_new(): a bar on a terminal
 * (unless -q), a line per file fetched, resumed, waited for or retried,
 * an error line per file that failed, and with `print_paths` each cached
 * file's path on stdout.  _end() clears the bar, prints a summary when
 * asked, frees, and returns how many failures it printed (a caller prints
 * its error only when that is 0).
 */
struct bt_fetch_event;
struct bt_cli_fetch_progress;
struct bt_cli_fetch_progress *bt_cli_fetch_progress_new(struct bt_ctx *ctx, int print_paths);
int bt_cli_fetch_progress(const struct bt_fetch_event *ev, void *payload);
size_t bt_cli_fetch_progress_end(struct bt_cli_fetch_progress *p, int summary);

/* Commands, one file each. */
int cmd_init(int argc, char **argv, struct bt_ctx *ctx);
int cmd_ls(int argc, char **argv, struct bt_ctx *ctx);
int cmd_show(int argc, char **argv, struct bt_ctx *ctx);
int cmd_rm(int argc, char **argv, struct bt_ctx *ctx);
int cmd_tag(int argc, char **argv, struct bt_ctx *ctx);
int cmd_note(int argc, char **argv, struct bt_ctx *ctx);
int cmd_export(int argc, char **argv, struct bt_ctx *ctx);
int cmd_plugin(int argc, char **argv, struct bt_ctx *ctx);
int cmd_exec(int argc, char **argv, struct bt_ctx *ctx);
int cmd_log(int argc, char **argv, struct bt_ctx *ctx);
int cmd_help(int argc, char **argv, struct bt_ctx *ctx);
int cmd_tui(int argc, char **argv, struct bt_ctx *ctx);
int cmd_run(int argc, char **argv, struct bt_ctx *ctx);
int cmd_worker(int argc, char **argv, struct bt_ctx *ctx);
int cmd_gc(int argc, char **argv, struct bt_ctx *ctx);
int cmd_suite(int argc, char **argv, struct bt_ctx *ctx);
int cmd_suite_fetch(int argc, char **argv, struct bt_ctx *ctx);
int cmd_suite_hash(int argc, char **argv, struct bt_ctx *ctx);
int cmd_cache(int argc, char **argv, struct bt_ctx *ctx);
int cmd_check(int argc, char **argv, struct bt_ctx *ctx);
int cmd_history(int argc, char **argv, struct bt_ctx *ctx);
int cmd_merge(int argc, char **argv, struct bt_ctx *ctx);

#endif
