/*
 * tui.h - the dashboard: its state, and the operations every view fills in.
 *
 * A view is one file (view-*.c) that fills a struct bt_view_ops: open
 * (take arguments, allocate state), load (query the store into that
 * state), draw (read the state and draw it; never query, never change
 * state), key (change the state for an action and say what is needed
 * next) and close.  tui.c owns the loop, the screen layout (tab bar, view
 * area, status line, prompts), the stack of open views and the live
 * polling of the database.
 *
 * This is a front end: it may use curses and cli.h; the core never
 * includes this header.
 */
#ifndef BT_TUI_H
#define BT_TUI_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "filter.h"
#include "store.h"
#include "tui/keys.h"

struct bt_tui;
struct bt_view;

/* What a key handler needs next. */
enum bt_key_result {
	BT_KEY_UNHANDLED = 0, /* not for this view: try the global meaning */
	BT_KEY_HANDLED,       /* done; nothing on screen changed */
	BT_KEY_REDRAW,        /* the view's state changed: draw again */
	BT_KEY_RELOAD,        /* the data changed: load again, then draw */
	BT_KEY_QUIT,          /* leave the dashboard */
};

/* A key as the view receives it: the action, the key and, for clicks, the cell. */
struct bt_event {
	enum bt_action action;
	int key;
	int y, x; /* mouse position relative to the view's area */
};

/* The part of the screen a view draws in. */
struct bt_area {
	int y, x, h, w;
};

/*
 * The tabs: top-level views reached with Tab and the number keys.  Others
 * (samples, pager, columns, help) are pushed above them.
 */
enum bt_tab {
	BT_TAB_RUNS,
	BT_TAB_DETAIL,
	BT_TAB_COMPARE,
	BT_TAB_CHARTS,
	BT_TAB_COMMITS,
	BT_TAB_COUNT
};

struct bt_view_ops {
	const char *name;      /* "runs", for messages */
	enum bt_keymap keymap; /* its key bindings (keys.c) */
	int tab;               /* the tab it is, or -1 for a pushed view */
	/*
	 * Reload by itself when the database changes (runs, detail, samples:
	 * what evaluations are writing).  Others (compare, charts, commits)
	 * are snapshots that reload on r, or when opened again.
	 */
	int live;
	/* Take the arguments (each view documents its own); may fail. */
	int (*open)(struct bt_view *v, const void *arg);
	/* (Re)load from the store.  Called after open, on reload and when the data changed. */
	int (*load)(struct bt_view *v);
	/* Draw the state in `a`.  Must not query the store or change the state. */
	void (*draw)(struct bt_view *v, const struct bt_area *a);
	/* Act on a key. */
	enum bt_key_result (*key)(struct bt_view *v, const struct bt_event *ev);
	/* Free the state. */
	void (*close)(struct bt_view *v);
	/* Optional: the view's part of the status line. */
	void (*status)(struct bt_view *v, char *out, size_t n);
	/*
	 * Optional: work to do while no key is waiting (counting); returns 1 to
	 * redraw.  Its queries are interrupted (BT_EINTR) when a key arrives or
	 * after a time budget (then bt_tui_idle_expired() is 1): it is called
	 * again after the next key, so it should give up on work that expired.
	 */
	int (*idle)(struct bt_view *v);
	/* Optional: the view's title in the tab bar or header. */
	void (*title)(struct bt_view *v, char *out, size_t n);
};

struct bt_view {
	const struct bt_view_ops *ops;
	struct bt_tui *tui;
	void *state;
	int stale;  /* the data changed while another view was on top */
	int height; /* size of the area it was last drawn in (for paging and clicks) */
	int width;
};

/* A prompt at the bottom of the screen: a line of text, or a yes/no question. */
typedef int (*bt_prompt_cb)(struct bt_view *v, const char *text, void *payload);

struct bt_prompt {
	int active;
	int confirm; /* a yes/no question rather than a line of text */
	char label[128];
	char *text;              /* UTF-8, being edited */
	size_t len, cap, cursor; /* bytes */
	bt_prompt_cb done;
	void *payload;
	struct bt_view *view;
	/* An error to show above the prompt, with a caret under [err_off, err_off + err_len). */
	char err[256];
	size_t err_off, err_len;
	int has_caret;
};

struct bt_tui {
	struct bt_ctx *ctx;
	struct bt_store *store;
	int rows, cols;
	int utf8, color;
	struct bt_view *stack[16];
	int depth;
	struct bt_prompt prompt;
	char flash[256]; /* a message on the status line until the next key */
	int flash_error;
	int64_t data_version;
	int quit;
	int dirty;  /* redraw before waiting for the next key */
	int mouse;  /* mouse events are reported */
	char *repo; /* the git work tree for commit history (NULL: none) */
};

/* The view at the bottom of the stack (runs) and at the top. */
struct bt_view *bt_tui_home(struct bt_tui *t);
struct bt_view *bt_tui_top(struct bt_tui *t);

/*
 * Open a view above the current one.  On failure nothing is pushed and a
 * message is flashed; returns the status.
 */
int bt_tui_push(struct bt_tui *t, const struct bt_view_ops *ops, const void *arg);
/* Close the top view (never the home view). */
void bt_tui_pop(struct bt_tui *t);
/* Switch tab: close every view above home, then open the tab's view. */
int bt_tui_switch_tab(struct bt_tui *t, enum bt_tab tab);

/* Did the last idle work run out of time (rather than give way to a key)? */
int bt_tui_idle_expired(void);

/* Show a message on the status line until the next key. */
void bt_tui_flash(struct bt_tui *t, int error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * Ask for a line of text, prefilled with `initial`.  On Enter `done` is
 * called with the text: it returns 0 to close the prompt, or non-zero to
 * keep it open (after setting an error with bt_tui_prompt_error).
 */
void bt_tui_prompt(struct bt_tui *t, struct bt_view *v, const char *label, const char *initial,
                   bt_prompt_cb done, void *payload);
/* Ask a yes/no question; `done` is called (with "y") only on yes. */
void bt_tui_confirm(struct bt_tui *t, struct bt_view *v, const char *question, bt_prompt_cb done,
                    void *payload);
/* Show an error above the open prompt, with a caret under a span when `caret`. */
void bt_tui_prompt_error(struct bt_tui *t, const char *msg, int caret, size_t off, size_t len);

/*
 * Run the dashboard on `store` until the user quits.  `filter` is the
 * initial filter text (may be NULL).  Returns an exit code.
 */
int bt_tui_main(struct bt_ctx *ctx, struct bt_store *store, const char *filter);

/* The views (one file each). */
extern const struct bt_view_ops bt_view_runs;    /* arg: const char *filter text */
extern const struct bt_view_ops bt_view_detail;  /* arg: const int64_t *run id */
extern const struct bt_view_ops bt_view_samples; /* arg: const struct bt_samples_arg * */
extern const struct bt_view_ops bt_view_pager;   /* arg: const struct bt_pager_arg * */
extern const struct bt_view_ops bt_view_compare; /* arg: const struct bt_ids_arg * */
extern const struct bt_view_ops bt_view_charts;  /* arg: const struct bt_ids_arg * */
extern const struct bt_view_ops bt_view_commits; /* arg: NULL */
extern const struct bt_view_ops bt_view_columns; /* arg: struct bt_runs_model * */
extern const struct bt_view_ops bt_view_help;    /* arg: const enum bt_keymap * */

struct bt_samples_arg {
	int64_t run_id;
	const char *task;
};

struct bt_ids_arg {
	const int64_t *ids;
	size_t n;
};

struct bt_pager_section {
	const char *heading; /* NULL: none */
	const char *body;    /* raw: the pager sanitises it, keeping newlines */
};

struct bt_pager_arg {
	const char *title;
	const struct bt_pager_section *sections;
	size_t n;
};

/*
 * The movement actions (up, down, pages, top, bottom, wheel) applied to a
 * scrolled list; BT_KEY_UNHANDLED for any other action.
 */
struct bt_scroll;
enum bt_key_result bt_tui_scroll_key(struct bt_scroll *s, const struct bt_event *ev, int height);

/* Free what edit.c keeps for an open prompt (at exit). */
void bt_tui_edit_release(void);

/* The runs view's model, for views that act on its cursor and marks. */
struct bt_runs_model *bt_view_runs_model(struct bt_view *runs);
/* Show runs matching `filter` in the runs view (the commits view's Enter). */
int bt_view_runs_set_filter(struct bt_view *runs, const char *filter);

/*
 * Actions shared by the runs and detail views: tag, note and delete the
 * runs in `ids`, each a single short write transaction.
 */
void bt_tui_tag_runs(struct bt_view *v, const int64_t *ids, size_t n);
void bt_tui_edit_note(struct bt_view *v, int64_t id);
void bt_tui_delete_runs(struct bt_view *v, const int64_t *ids, size_t n);

#endif
