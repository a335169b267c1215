/*
 * runjson.h - reading the JSON description of a run (bt_run_json, declared
 * in run.h) back as the label/value lines that `show` and the dashboard's
 * run detail put at the top of a run.
 *
 * The lines are composed here once; a front end only decides how to draw
 * one.  Nothing here prints, sanitises or knows about terminals: values
 * come straight from the database, so a front end must make them inert
 * before they reach a screen.
 */
#ifndef BT_RUNJSON_H
#define BT_RUNJSON_H

#include <jansson.h>

/* What differs between the front ends' headers. */
enum {
	/*
	 * The long form `show` prints: the suite's path, the plugin's and the
	 * dirty patch's sha256 and, for a run that has progress, "N/M examples
	 * done".
	 */
	BT_RUN_HEADER_LONG = 1 << 0,
	/*
	 * "started" in local time to the minute, "-" when unknown; without
	 * it, the stored UTC ISO 8601 time, "?" when unknown.
	 */
	BT_RUN_HEADER_LOCAL_TIME = 1 << 1,
};

struct bt_run_header_opts {
	unsigned flags; /* BT_RUN_HEADER_* */
	/*
	 * How to get at a dirty tree's patch, said after "dirty: " on the
	 * commit line ("see --patch"); NULL: nothing.
	 */
	const char *patch_hint;
	/*
	 * The current time (bt_now()): a running run not yet ended says
	 * "running for" how long since it started.  0: it does not.
	 */
	double now;
};

/*
 * Called once for each header line, in order.  `label` is one of name,
 * kind, reason, suite, model, command, cwd, commit, host, started, seed,
 * exit, params, tags, note; `value` is never NULL, may hold newlines (the
 * note, or text from the database) and is not sanitised.
 */
typedef void (*bt_run_header_cb)(const char *label, const char *value, void *payload);

/*
 * Walk the header lines of `run`, a bt_run_json object, calling `emit` for
 * each one that has something to say: a line whose value would be empty
 * is left out, except the note, which is there whenever the run has one
 * (bt_run_set_note stores no empty note, but a database may hold one).
 * "host" and "started" are always there.  The strings passed to `emit`
 * live only until it returns.
 */
void bt_run_header_each(json_t *run, const struct bt_run_header_opts *opts, bt_run_header_cb emit,
                        void *payload);

#endif
