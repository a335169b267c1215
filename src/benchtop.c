/*
 * benchtop.c - main(): global options, then the command table.
 *
 * Adding a command is one file (src/cmd-NAME.c) and one row below; the
 * table drives dispatch and `benchtop help`.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "store.h"
#include "util.h"

const struct bt_command bt_commands[] = {
        {"init", cmd_init, BT_CMD_DB_CREATE, "Create the results database"},
        {"ls", cmd_ls, 0, "List runs, filtered and sorted"},
        {"show", cmd_show, 0, "Show everything about one run"},
        {"rm", cmd_rm, 0, "Delete runs"},
        {"tag", cmd_tag, 0, "Add or remove tags on a run"},
        {"note", cmd_note, 0, "Set a run's note"},
        {"export", cmd_export, 0, "Export runs with their metrics (and samples)"},
        {"run", cmd_run, BT_CMD_DB_CREATE, "Evaluate a suite against a model plugin"},
        {"__worker", cmd_worker, BT_CMD_HIDDEN, "Run a plugin for an isolated evaluation"},
        {"gc", cmd_gc, 0, "Mark stale runs interrupted; compact the database"},
        {"suite", cmd_suite, 0, "Check suites, fetch their data, hash data files"},
        {"cache", cmd_cache, 0, "List, remove and collect cached data files"},
        {"plugin", cmd_plugin, 0, "Inspect, check and list model plugins"},
        {"exec", cmd_exec, BT_CMD_DB_CREATE, "Run any command as a tracked run"},
        {"log", cmd_log, BT_CMD_DB_CREATE, "Log scalars, params and tags to a run"},
        {"check", cmd_check, 0, "Gate: did these runs regress against their baselines?"},
        {"history", cmd_history, 0, "A metric along the git history, with change points"},
        {"merge", cmd_merge, BT_CMD_DB_CREATE, "Import runs from other databases; combine shards"},
        {"tui", cmd_tui, 0, "Open the dashboard (the default on a terminal)"},
        {"help", cmd_help, 0, "Show help for benchtop or a command"},
        {NULL, NULL, 0, NULL},
};

const struct bt_command *bt_command_find(const char *name)
{
	const struct bt_command *c;

	for (c = bt_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static const char usage[] =
        "usage: benchtop [--db PATH] [-C DIR] [--color WHEN] [-q] [-v] COMMAND [ARGS...]\n"
        "       benchtop --version | --help\n";

static void print_help(FILE *f)
{
	const struct bt_command *c;

	fputs(usage, f);
	fputs("\nGlobal options:\n"
	      "  --db PATH          use the database at PATH (default: .benchtop/benchtop.db\n"
	      "                     at the top of the git work tree; env BENCHTOP_DB)\n"
	      "  -C DIR             run as if started in DIR\n"
	      "  --color WHEN       colour output: auto, always or never (honours NO_COLOR)\n"
	      "  -q, --quiet        print only errors\n"
	      "  -v, --verbose      say more about what is happening\n"
	      "  --version          print the version and exit\n"
	      "  -h, --help         print this help and exit\n"
	      "\nCommands:\n",
	      f);
	for (c = bt_commands; c->name; c++)
		if (!(c->flags & BT_CMD_HIDDEN))
			fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fputs("\nWith no command, benchtop opens the dashboard ('benchtop tui') when standard\n"
	      "input and output are terminals, and lists runs ('benchtop ls') otherwise.\n"
	      "Run 'benchtop COMMAND --help' for a command's options; see benchtop(1).\n",
	      f);
}

int cmd_help(int argc, char **argv, struct bt_ctx *ctx)
{
	const struct bt_command *c;
	char *args[] = {NULL, "--help", NULL};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		/* "usage: benchtop ..." first, so `help --help` reads like every other command. */
		print_help(stdout);
		return 0;
	}
	c = bt_command_find(argv[1]);
	if (c && c->fn == cmd_help) {
		print_help(stdout);
		return 0;
	}
	if (!c) {
		bt_error_set(BT_EUSAGE, "no command '%s'; see 'benchtop help'", argv[1]);
		return bt_cli_fail(ctx, BT_EUSAGE);
	}
	args[0] = (char *)c->name;
	ctx->cmd = c;
	return c->fn(2, args, ctx);
}

static int terminal_width(void)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	int64_t n;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (cols && bt_parse_int64(cols, &n) == 0 && n > 0 && n < 10000)
		return (int)n;
	return 80;
}

static int want_color(const char *when, int tty)
{
	const char *no = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (strcmp(when, "always") == 0)
		return 1;
	if (strcmp(when, "never") == 0)
		return 0;
	if (no && *no)
		return 0;
	return tty && !(term && strcmp(term, "dumb") == 0);
}

/* "--opt=value" or "--opt value"; advances *i past what it used. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (strcmp(argv[*i], name) == 0) {
		if (*i + 1 >= argc)
			return NULL;
		return argv[++*i];
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct bt_ctx ctx;
	const char *color = "auto", *v;
	const struct bt_command *c;
	char *default_argv[] = {"ls", NULL};
	int i, rc;

	setlocale(LC_ALL, "");
	/* Past a file size limit, let write() fail with EFBIG (a clear error) rather than kill us. */
	signal(SIGXFSZ, SIG_IGN);
	memset(&ctx, 0, sizeof(ctx));
	ctx.argv0 = argv[0];
	ctx.argc = argc;
	ctx.argv = argv;
	ctx.db_arg = getenv("BENCHTOP_DB");

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "--version") == 0) {
			printf("benchtop %s (schema version %d)\n", PACKAGE_VERSION,
			       bt_store_latest_version());
			return 0;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_help(stdout);
			return 0;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			ctx.quiet = 1;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			ctx.verbose++;
		} else if (strcmp(a, "--db") == 0 && i + 1 >= argc) {
			fprintf(stderr, "benchtop: error: --db needs a path\n%s", usage);
			return BT_EXIT_USAGE;
		} else if ((v = opt_value(argc, argv, &i, "--db")) != NULL) {
			ctx.db_arg = v;
		} else if ((v = opt_value(argc, argv, &i, "--color")) != NULL ||
		           (v = opt_value(argc, argv, &i, "--colour")) != NULL) {
			if (strcmp(v, "auto") && strcmp(v, "always") && strcmp(v, "never")) {
				fprintf(stderr,
				        "benchtop: error: --color must be auto, always or "
				        "never, not '%s'\n",
				        v);
				return BT_EXIT_USAGE;
			}
			color = v;
		} else if (strcmp(a, "-C") == 0 || (a[1] == 'C' && a[2])) {
			const char *dir = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
			if (!dir) {
				fprintf(stderr, "benchtop: error: -C needs a directory\n%s", usage);
				return BT_EXIT_USAGE;
			}
			if (chdir(dir) != 0) {
				fprintf(stderr, "benchtop: error: cannot change to '%s': %s\n", dir,
				        strerror(errno));
				return BT_EXIT_USAGE;
			}
		} else {
			char buf[48];
			const char *s = a[1] == '-'
			                        ? bt_cli_closest_option(usage, a, buf, sizeof(buf))
			                        : NULL;
			fprintf(stderr, "benchtop: error: unknown option '%s'", a);
			if (s)
				fprintf(stderr, " (did you mean '%s'?)", s);
			fprintf(stderr, "\n%s", usage);
			return BT_EXIT_USAGE;
		}
	}
	ctx.cwd = getcwd(NULL, 0);
	if (!ctx.cwd) {
		fprintf(stderr, "benchtop: error: cannot read the working directory: %s\n",
		        strerror(errno));
		return BT_EXIT_RUNTIME;
	}
	ctx.stdout_tty = isatty(STDOUT_FILENO);
	ctx.stderr_tty = isatty(STDERR_FILENO);
	ctx.stdin_tty = isatty(STDIN_FILENO);
	ctx.width = ctx.stdout_tty ? terminal_width() : 0;
	ctx.color = want_color(color, ctx.stdout_tty);
	ctx.color_stderr = want_color(color, ctx.stderr_tty);

	if (i >= argc) {
		/* The dashboard needs a terminal at both ends; anything else gets the table. */
		if (ctx.stdin_tty && ctx.stdout_tty)
			default_argv[0] = "tui";
		argv = default_argv;
		argc = 1;
		i = 0;
	}
	c = bt_command_find(argv[i]);
	if (!c) {
		const char *names[64];
		size_t n = 0;
		const char *s;
		for (const struct bt_command *k = bt_commands; k->name && n < 64; k++)
			names[n++] = k->name;
		s = bt_suggest(argv[i], names, n);
		fprintf(stderr, "benchtop: error: '%s' is not a benchtop command", argv[i]);
		if (s)
			fprintf(stderr, " (did you mean '%s'?)", s);
		fprintf(stderr, "\nSee 'benchtop --help'.\n");
		free(ctx.cwd);
		return BT_EXIT_USAGE;
	}
	ctx.cmd = c;
	rc = c->fn(argc - i, argv + i, &ctx);
	bt_store_close(ctx.store);
	free(ctx.db_path);
	free(ctx.cwd);
	return rc;
}
