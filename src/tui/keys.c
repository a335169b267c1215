/*
 * keys.c - the tables behind keys.h: every action once, with its help text,
 * and every keymap's bindings.  To add a key, add a row here; dispatch, the
 * help view and the manual check (tests/unit/test-tui-keys.c) follow.
 *
 * Must not include curses: tui.c translates terminal codes to BT_KEY_*.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tui/keys.h"
#include "util.h"

static const struct {
	const char *name, *help;
} actions[BT_A_COUNT] = {
        [BT_A_NONE] = {"none", ""},
        [BT_A_UP] = {"up", "move up one line"},
        [BT_A_DOWN] = {"down", "move down one line"},
        [BT_A_PAGE_UP] = {"page-up", "move up one screen"},
        [BT_A_PAGE_DOWN] = {"page-down", "move down one screen"},
        [BT_A_TOP] = {"top", "go to the first line"},
        [BT_A_BOTTOM] = {"bottom", "go to the last line"},
        [BT_A_LEFT] = {"left", "select the column to the left"},
        [BT_A_RIGHT] = {"right", "select the column to the right"},
        [BT_A_SCROLL_UP] = {"scroll-up", "scroll up three lines"},
        [BT_A_SCROLL_DOWN] = {"scroll-down", "scroll down three lines"},
        [BT_A_CLICK] = {"click", "move the cursor to the line under the pointer"},
        [BT_A_OPEN] = {"open", "open the item under the cursor"},
        [BT_A_BACK] = {"back", "go back to the previous view (quits from the runs view)"},
        [BT_A_QUIT] = {"quit", "quit the dashboard"},
        [BT_A_HELP] = {"help", "show the keys of the current view"},
        [BT_A_NEXT_VIEW] = {"next-view", "switch to the next view"},
        [BT_A_PREV_VIEW] = {"prev-view", "switch to the previous view"},
        [BT_A_VIEW_RUNS] = {"view-runs", "switch to the runs view"},
        [BT_A_VIEW_DETAIL] = {"view-detail", "switch to the detail of the run under the cursor"},
        [BT_A_VIEW_COMPARE] = {"view-compare", "switch to the comparison of the marked runs"},
        [BT_A_VIEW_CHARTS] = {"view-charts", "switch to the charts of the marked runs"},
        [BT_A_VIEW_COMMITS] = {"view-commits", "switch to the commits view"},
        [BT_A_REFRESH] = {"refresh", "reload from the database"},
        [BT_A_REDRAW] = {"redraw", "redraw the screen"},
        [BT_A_FILTER] = {"filter", "filter runs (the language of benchtop ls)"},
        [BT_A_SORT] = {"sort", "sort by the selected column; again to reverse"},
        [BT_A_SORT_RESET] = {"sort-reset", "sort newest first again"},
        [BT_A_MARK] = {"mark", "mark or unmark the run and move down"},
        [BT_A_UNMARK_ALL] = {"unmark-all", "unmark every run"},
        [BT_A_COMPARE] = {"compare", "compare the marked runs"},
        [BT_A_TAG] = {"tag", "add a tag (or -TAG to remove one) to the marked or current run"},
        [BT_A_NOTE] = {"note", "edit the run's note"},
        [BT_A_DELETE] = {"delete", "delete the marked or current run, after confirmation"},
        [BT_A_COLUMNS] = {"columns", "pick and order the visible columns"},
        [BT_A_PATCH] = {"patch", "show the run's dirty-tree patch"},
        [BT_A_WRONG_ONLY] = {"wrong-only", "show only wrong examples (again: all)"},
        [BT_A_ERRORS_ONLY] = {"errors-only", "show only examples that failed (again: all)"},
        [BT_A_TOGGLE] = {"toggle", "show or hide the column"},
        [BT_A_MOVE_UP] = {"move-up", "move the column earlier"},
        [BT_A_MOVE_DOWN] = {"move-down", "move the column later"},
        [BT_A_CHART_MODE] = {"chart-mode", "switch between metric by step and metric by commit"},
        [BT_A_NEXT_KEY] = {"next-metric", "chart the next metric"},
        [BT_A_PREV_KEY] = {"prev-metric", "chart the previous metric"},
        [BT_A_EDIT_ACCEPT] = {"accept", "accept the text"},
        [BT_A_EDIT_CANCEL] = {"cancel", "cancel and keep what was there before"},
        [BT_A_EDIT_LEFT] = {"cursor-left", "move the text cursor left"},
        [BT_A_EDIT_RIGHT] = {"cursor-right", "move the text cursor right"},
        [BT_A_EDIT_HOME] = {"line-start", "move to the start of the text"},
        [BT_A_EDIT_END] = {"line-end", "move to the end of the text"},
        [BT_A_EDIT_BACKSPACE] = {"delete-back", "delete the character before the cursor"},
        [BT_A_EDIT_DELETE] = {"delete-char", "delete the character under the cursor"},
        [BT_A_EDIT_KILL] = {"kill-line", "delete the whole text"},
        [BT_A_EDIT_KILL_WORD] = {"kill-word", "delete the word before the cursor"},
        [BT_A_CONFIRM] = {"confirm", "answer yes (any other key answers no)"},
};

#define K(...)              \
	{                   \
		__VA_ARGS__ \
	}
#define G(a, k, h)                    \
	{                             \
		BT_KM_GLOBAL, a, k, h \
	}
#define R(a, k, h)                  \
	{                           \
		BT_KM_RUNS, a, k, h \
	}
#define D(a, k, h)                    \
	{                             \
		BT_KM_DETAIL, a, k, h \
	}
#define SA(a, k, h)                    \
	{                              \
		BT_KM_SAMPLES, a, k, h \
	}
#define PG(a, k, h)                  \
	{                            \
		BT_KM_PAGER, a, k, h \
	}
#define CMP(a, k, h)                   \
	{                              \
		BT_KM_COMPARE, a, k, h \
	}
#define CH(a, k, h)                   \
	{                             \
		BT_KM_CHARTS, a, k, h \
	}
#define CO(a, k, h)                    \
	{                              \
		BT_KM_COMMITS, a, k, h \
	}
#define COL(a, k, h)                   \
	{                              \
		BT_KM_COLUMNS, a, k, h \
	}
#define HLP(a, k, h)                \
	{                           \
		BT_KM_HELP, a, k, h \
	}
#define P(a, k, h)                    \
	{                             \
		BT_KM_PROMPT, a, k, h \
	}
#define CONF(a, k, h)                  \
	{                              \
		BT_KM_CONFIRM, a, k, h \
	}

/* Grouped by keymap, each group in the order help lists it. */
static const struct bt_binding bindings[] = {
        G(BT_A_UP, K('k', BT_KEY_UP), NULL),
        G(BT_A_DOWN, K('j', BT_KEY_DOWN), NULL),
        G(BT_A_PAGE_UP, K(BT_KEY_PGUP, BT_KEY_CTRL('b')), NULL),
        G(BT_A_PAGE_DOWN, K(BT_KEY_PGDN, BT_KEY_CTRL('f')), NULL),
        G(BT_A_TOP, K('g', BT_KEY_HOME), NULL),
        G(BT_A_BOTTOM, K('G', BT_KEY_END), NULL),
        G(BT_A_SCROLL_UP, K(BT_KEY_WHEEL_UP), NULL),
        G(BT_A_SCROLL_DOWN, K(BT_KEY_WHEEL_DOWN), NULL),
        G(BT_A_CLICK, K(BT_KEY_CLICK), NULL),
        G(BT_A_BACK, K(BT_KEY_ESC, 'q'), NULL),
        G(BT_A_QUIT, K('Q'), NULL),
        G(BT_A_HELP, K('?'), NULL),
        G(BT_A_NEXT_VIEW, K(BT_KEY_TAB), NULL),
        G(BT_A_PREV_VIEW, K(BT_KEY_BTAB), NULL),
        G(BT_A_VIEW_RUNS, K('1'), NULL),
        G(BT_A_VIEW_DETAIL, K('2'), NULL),
        G(BT_A_VIEW_COMPARE, K('3'), NULL),
        G(BT_A_VIEW_CHARTS, K('4'), NULL),
        G(BT_A_VIEW_COMMITS, K('5'), NULL),
        G(BT_A_REFRESH, K('r'), NULL),
        G(BT_A_REDRAW, K(BT_KEY_CTRL('l')), NULL),

        R(BT_A_OPEN, K(BT_KEY_ENTER), "show the run's details"),
        R(BT_A_LEFT, K('h', BT_KEY_LEFT), NULL),
        R(BT_A_RIGHT, K('l', BT_KEY_RIGHT), NULL),
        R(BT_A_FILTER, K('/'), NULL),
        R(BT_A_SORT, K('s'), NULL),
        R(BT_A_SORT_RESET, K('S'), NULL),
        R(BT_A_MARK, K(' '), NULL),
        R(BT_A_UNMARK_ALL, K('u'), NULL),
        R(BT_A_COMPARE, K('c'), NULL),
        R(BT_A_TAG, K('t'), NULL),
        R(BT_A_NOTE, K('e'), NULL),
        R(BT_A_DELETE, K('d'), NULL),
        R(BT_A_COLUMNS, K('C'), NULL),

        D(BT_A_OPEN, K(BT_KEY_ENTER), "list the samples of the task under the cursor"),
        D(BT_A_PATCH, K('p'), NULL),
        D(BT_A_TAG, K('t'), "add a tag (or -TAG to remove one) to this run"),
        D(BT_A_NOTE, K('e'), NULL),
        D(BT_A_DELETE, K('d'), "delete this run, after confirmation"),

        SA(BT_A_OPEN, K(BT_KEY_ENTER), "show the whole example in the pager"),
        SA(BT_A_WRONG_ONLY, K('w'), NULL),
        SA(BT_A_ERRORS_ONLY, K('x'), NULL),

        PG(BT_A_OPEN, K(BT_KEY_ENTER), "move down one line"),

        CMP(BT_A_OPEN, K(BT_KEY_ENTER), "show the flipped example under the cursor in the pager"),

        CH(BT_A_CHART_MODE, K('m'), NULL),
        CH(BT_A_NEXT_KEY, K('n', BT_KEY_RIGHT, 'l'), NULL),
        CH(BT_A_PREV_KEY, K('N', BT_KEY_LEFT, 'h'), NULL),

        CO(BT_A_OPEN, K(BT_KEY_ENTER), "list the runs made at the commit"),

        COL(BT_A_TOGGLE, K(' '), NULL),
        COL(BT_A_MOVE_UP, K('K'), NULL),
        COL(BT_A_MOVE_DOWN, K('J'), NULL),
        COL(BT_A_OPEN, K(BT_KEY_ENTER), "apply the columns and go back"),

        HLP(BT_A_OPEN, K(BT_KEY_ENTER), "go back"),

        P(BT_A_EDIT_ACCEPT, K(BT_KEY_ENTER), NULL),
        P(BT_A_EDIT_CANCEL, K(BT_KEY_ESC, BT_KEY_CTRL('c'), BT_KEY_CTRL('g')), NULL),
        P(BT_A_EDIT_LEFT, K(BT_KEY_LEFT, BT_KEY_CTRL('b')), NULL),
        P(BT_A_EDIT_RIGHT, K(BT_KEY_RIGHT, BT_KEY_CTRL('f')), NULL),
        P(BT_A_EDIT_HOME, K(BT_KEY_HOME, BT_KEY_CTRL('a')), NULL),
        P(BT_A_EDIT_END, K(BT_KEY_END, BT_KEY_CTRL('e')), NULL),
        P(BT_A_EDIT_BACKSPACE, K(BT_KEY_BACKSPACE, BT_KEY_CTRL('h')), NULL),
        P(BT_A_EDIT_DELETE, K(BT_KEY_DELETE, BT_KEY_CTRL('d')), NULL),
        P(BT_A_EDIT_KILL, K(BT_KEY_CTRL('u')), NULL),
        P(BT_A_EDIT_KILL_WORD, K(BT_KEY_CTRL('w')), NULL),

        CONF(BT_A_CONFIRM, K('y', 'Y'), NULL),
};

static const char *const keymap_titles[BT_KM_COUNT] = {
        [BT_KM_GLOBAL] = "Every view", [BT_KM_RUNS] = "Runs view",
        [BT_KM_DETAIL] = "Run detail", [BT_KM_SAMPLES] = "Samples",
        [BT_KM_PAGER] = "Pager",       [BT_KM_COMPARE] = "Compare view",
        [BT_KM_CHARTS] = "Charts",     [BT_KM_COMMITS] = "Commits view",
        [BT_KM_COLUMNS] = "Columns",   [BT_KM_HELP] = "Help",
        [BT_KM_PROMPT] = "Prompts",    [BT_KM_CONFIRM] = "Confirmations",
};

const char *bt_action_name(enum bt_action a)
{
	return (unsigned)a < BT_A_COUNT && actions[a].name ? actions[a].name : "unknown";
}

const char *bt_action_help(enum bt_action a)
{
	return (unsigned)a < BT_A_COUNT && actions[a].help ? actions[a].help : "";
}

const char *bt_keymap_title(enum bt_keymap km)
{
	return (unsigned)km < BT_KM_COUNT ? keymap_titles[km] : "";
}

const struct bt_binding *bt_keys_bindings(enum bt_keymap km, size_t *n)
{
	size_t i, first = BT_ARRAY_SIZE(bindings);

	*n = 0;
	for (i = 0; i < BT_ARRAY_SIZE(bindings); i++) {
		if (bindings[i].keymap != km)
			continue;
		if (first == BT_ARRAY_SIZE(bindings))
			first = i;
		++*n;
	}
	return *n ? &bindings[first] : NULL;
}

const char *bt_binding_help(const struct bt_binding *b)
{
	return b->help ? b->help : bt_action_help(b->action);
}

static enum bt_action find(enum bt_keymap km, int key)
{
	size_t i, j;

	for (i = 0; i < BT_ARRAY_SIZE(bindings); i++) {
		if (bindings[i].keymap != km)
			continue;
		for (j = 0; j < BT_KEYS_MAX && bindings[i].keys[j]; j++)
			if (bindings[i].keys[j] == key)
				return bindings[i].action;
	}
	return BT_A_NONE;
}

enum bt_action bt_keys_lookup(enum bt_keymap km, int key)
{
	enum bt_action a = find(km, key);

	if (a != BT_A_NONE || km == BT_KM_PROMPT || km == BT_KM_CONFIRM || km == BT_KM_GLOBAL)
		return a;
	return find(BT_KM_GLOBAL, key);
}

void bt_key_name(int key, char *out, size_t n)
{
	static const char *const names[] = {
	        [BT_KEY_UP - BT_KEY_BASE] = "Up",
	        [BT_KEY_DOWN - BT_KEY_BASE] = "Down",
	        [BT_KEY_LEFT - BT_KEY_BASE] = "Left",
	        [BT_KEY_RIGHT - BT_KEY_BASE] = "Right",
	        [BT_KEY_PGUP - BT_KEY_BASE] = "PgUp",
	        [BT_KEY_PGDN - BT_KEY_BASE] = "PgDn",
	        [BT_KEY_HOME - BT_KEY_BASE] = "Home",
	        [BT_KEY_END - BT_KEY_BASE] = "End",
	        [BT_KEY_ENTER - BT_KEY_BASE] = "Enter",
	        [BT_KEY_ESC - BT_KEY_BASE] = "Esc",
	        [BT_KEY_TAB - BT_KEY_BASE] = "Tab",
	        [BT_KEY_BTAB - BT_KEY_BASE] = "Shift-Tab",
	        [BT_KEY_BACKSPACE - BT_KEY_BASE] = "Backspace",
	        [BT_KEY_DELETE - BT_KEY_BASE] = "Delete",
	        [BT_KEY_WHEEL_UP - BT_KEY_BASE] = "wheel-up",
	        [BT_KEY_WHEEL_DOWN - BT_KEY_BASE] = "wheel-down",
	        [BT_KEY_CLICK - BT_KEY_BASE] = "click",
	        [BT_KEY_RESIZE - BT_KEY_BASE] = "resize",
	};

	if (key > BT_KEY_BASE && key - BT_KEY_BASE < (int)BT_ARRAY_SIZE(names) &&
	    names[key - BT_KEY_BASE])
		snprintf(out, n, "%s", names[key - BT_KEY_BASE]);
	else if (key == ' ')
		snprintf(out, n, "Space");
	else if (key > 0 && key < 0x20)
		snprintf(out, n, "Ctrl-%c", key + 0x40);
	else if (key > 0x20 && key < 0x7f)
		snprintf(out, n, "%c", key);
	else
		snprintf(out, n, "U+%04X", (unsigned)key);
}

void bt_binding_keys(const struct bt_binding *b, char *out, size_t n)
{
	size_t j, len = 0;

	if (n)
		out[0] = '\0';
	for (j = 0; j < BT_KEYS_MAX && b->keys[j]; j++) {
		char name[32];
		bt_key_name(b->keys[j], name, sizeof(name));
		if (len < n)
			len += (size_t)snprintf(out + len, n - len, "%s%s", j ? ", " : "", name);
	}
}
