/*
 * keys.h - the dashboard's key bindings as data.
 *
 * Every action is listed once, with its name and help text; every keymap
 * (one per view, plus the global one and the prompt's) binds keys to
 * actions.  Dispatch (bt_keys_lookup), the help view and the test that
 * checks benchtop-tui(1) all read these same tables, so the help can never
 * drift from behaviour.  Nothing here touches the terminal: keys arrive as
 * the terminal-independent codes below (tui.c translates curses' codes).
 */
#ifndef BT_TUI_KEYS_H
#define BT_TUI_KEYS_H

#include <stddef.h>

/*
 * Key codes: a Unicode code point for a character key, or one of these
 * (past the end of Unicode, so they can never collide with a character).
 */
enum {
	BT_KEY_BASE = 0x110000,
	BT_KEY_UP,
	BT_KEY_DOWN,
	BT_KEY_LEFT,
	BT_KEY_RIGHT,
	BT_KEY_PGUP,
	BT_KEY_PGDN,
	BT_KEY_HOME,
	BT_KEY_END,
	BT_KEY_ENTER,
	BT_KEY_ESC,
	BT_KEY_TAB,
	BT_KEY_BTAB,
	BT_KEY_BACKSPACE,
	BT_KEY_DELETE,
	BT_KEY_WHEEL_UP, /* mouse wheel, where the terminal reports it */
	BT_KEY_WHEEL_DOWN,
	BT_KEY_CLICK, /* button 1 press; the event carries the cell */
	BT_KEY_RESIZE,
};
#define BT_KEY_CTRL(c) ((c)&0x1f)

/* What a key asks for.  BT_A_NONE: the key is not bound where it was pressed. */
enum bt_action {
	BT_A_NONE = 0,
	BT_A_UP,
	BT_A_DOWN,
	BT_A_PAGE_UP,
	BT_A_PAGE_DOWN,
	BT_A_TOP,
	BT_A_BOTTOM,
	BT_A_LEFT,
	BT_A_RIGHT,
	BT_A_SCROLL_UP,
	BT_A_SCROLL_DOWN,
	BT_A_CLICK,
	BT_A_OPEN,
	BT_A_BACK,
	BT_A_QUIT,
	BT_A_HELP,
	BT_A_NEXT_VIEW,
	BT_A_PREV_VIEW,
	BT_A_VIEW_RUNS,
	BT_A_VIEW_DETAIL,
	BT_A_VIEW_COMPARE,
	BT_A_VIEW_CHARTS,
	BT_A_VIEW_COMMITS,
	BT_A_REFRESH,
	BT_A_REDRAW,
	BT_A_FILTER,
	BT_A_SORT,
	BT_A_SORT_RESET,
	BT_A_MARK,
	BT_A_UNMARK_ALL,
	BT_A_COMPARE,
	BT_A_TAG,
	BT_A_NOTE,
	BT_A_DELETE,
	BT_A_COLUMNS,
	BT_A_PATCH,
	BT_A_WRONG_ONLY,
	BT_A_ERRORS_ONLY,
	BT_A_TOGGLE,
	BT_A_MOVE_UP,
	BT_A_MOVE_DOWN,
	BT_A_CHART_MODE,
	BT_A_NEXT_KEY,
	BT_A_PREV_KEY,
	/* the line editor of prompts */
	BT_A_EDIT_ACCEPT,
	BT_A_EDIT_CANCEL,
	BT_A_EDIT_LEFT,
	BT_A_EDIT_RIGHT,
	BT_A_EDIT_HOME,
	BT_A_EDIT_END,
	BT_A_EDIT_BACKSPACE,
	BT_A_EDIT_DELETE,
	BT_A_EDIT_KILL,
	BT_A_EDIT_KILL_WORD,
	/* confirmation prompts */
	BT_A_CONFIRM,
	BT_A_COUNT
};

/* The keymaps.  Every view uses its own and then the global one. */
enum bt_keymap {
	BT_KM_GLOBAL,
	BT_KM_RUNS,
	BT_KM_DETAIL,
	BT_KM_SAMPLES,
	BT_KM_PAGER,
	BT_KM_COMPARE,
	BT_KM_CHARTS,
	BT_KM_COMMITS,
	BT_KM_COLUMNS,
	BT_KM_HELP,
	BT_KM_PROMPT,  /* typing in a prompt; every other key inserts itself */
	BT_KM_CONFIRM, /* a yes/no question; every other key says no */
	BT_KM_COUNT
};

#define BT_KEYS_MAX 4

/* One binding: an action in a keymap, its keys and (optionally) help specific to that view. */
struct bt_binding {
	enum bt_keymap keymap;
	enum bt_action action;
	int keys[BT_KEYS_MAX]; /* 0-terminated when fewer */
	const char *help;      /* NULL: the action's own help text */
};

/* The action's name ("page-down") and its general help text. */
const char *bt_action_name(enum bt_action a);
const char *bt_action_help(enum bt_action a);

/* Human-readable title of a keymap ("Runs view"). */
const char *bt_keymap_title(enum bt_keymap km);

/*
 * The bindings of one keymap, in the order help lists them.
 * @param[out] n  how many
 */
const struct bt_binding *bt_keys_bindings(enum bt_keymap km, size_t *n);

/* The help text for a binding: its own, or its action's. */
const char *bt_binding_help(const struct bt_binding *b);

/*
 * Which action `key` triggers in keymap `km`: the keymap's own binding
 * first, then (for view keymaps, not for prompts) the global keymap's.
 */
enum bt_action bt_keys_lookup(enum bt_keymap km, int key);

/*
 * The name of a key as help and the manual show it: "j", "G", "/",
 * "Space", "Enter", "Esc", "Tab", "Shift-Tab", "Up", "PgDn", "Ctrl-L",
 * "Backspace", "wheel-up", "click".  `out` holds at least 16 bytes.
 */
void bt_key_name(int key, char *out, size_t n);

/*
 * "k, Up" - the keys of a binding joined for the help screen (`out` holds
 * at least 64 bytes).
 */
void bt_binding_keys(const struct bt_binding *b, char *out, size_t n);

#endif
