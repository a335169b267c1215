/*
 * test-tui-keys.c - the dashboard's key tables: dispatch, names, no key
 * bound twice where it is pressed, and the manual (benchtop-tui(1))
 * listing exactly the keys of every keymap.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/keys.h"
#include "util.h"

Test(tui_keys, dispatch_uses_the_view_keymap_then_the_global_one)
{
	cr_assert_eq(bt_keys_lookup(BT_KM_RUNS, '/'), BT_A_FILTER);
	cr_assert_eq(bt_keys_lookup(BT_KM_RUNS, 'j'), BT_A_DOWN);
	cr_assert_eq(bt_keys_lookup(BT_KM_RUNS, BT_KEY_DOWN), BT_A_DOWN);
	cr_assert_eq(bt_keys_lookup(BT_KM_RUNS, ' '), BT_A_MARK);
	cr_assert_eq(bt_keys_lookup(BT_KM_RUNS, 'q'), BT_A_BACK);
	cr_assert_eq(bt_keys_lookup(BT_KM_DETAIL, '/'), BT_A_NONE);
	cr_assert_eq(bt_keys_lookup(BT_KM_DETAIL, BT_KEY_ENTER), BT_A_OPEN);
	cr_assert_eq(bt_keys_lookup(BT_KM_CHARTS, 'l'), BT_A_NEXT_KEY);
	cr_assert_eq(bt_keys_lookup(BT_KM_HELP, '4'), BT_A_VIEW_CHARTS);
}

Test(tui_keys, prompts_do_not_fall_back_to_global_keys)
{
	/* Typing "q" or "j" in the filter prompt must insert them, not quit or move. */
	cr_assert_eq(bt_keys_lookup(BT_KM_PROMPT, 'q'), BT_A_NONE);
	cr_assert_eq(bt_keys_lookup(BT_KM_PROMPT, 'j'), BT_A_NONE);
	cr_assert_eq(bt_keys_lookup(BT_KM_PROMPT, BT_KEY_ENTER), BT_A_EDIT_ACCEPT);
	cr_assert_eq(bt_keys_lookup(BT_KM_PROMPT, BT_KEY_ESC), BT_A_EDIT_CANCEL);
	cr_assert_eq(bt_keys_lookup(BT_KM_CONFIRM, 'y'), BT_A_CONFIRM);
	cr_assert_eq(bt_keys_lookup(BT_KM_CONFIRM, 'n'), BT_A_NONE);
	cr_assert_eq(bt_keys_lookup(BT_KM_CONFIRM, 'q'), BT_A_NONE);
}

Test(tui_keys, no_key_is_bound_twice_where_it_is_pressed)
{
	int km;

	for (km = 0; km < BT_KM_COUNT; km++) {
		size_t n, i, j, a, b, gn;
		const struct bt_binding *bs = bt_keys_bindings((enum bt_keymap)km, &n);
		const struct bt_binding *g = bt_keys_bindings(BT_KM_GLOBAL, &gn);
		cr_assert(n > 0, "keymap %d has no bindings", km);
		for (i = 0; i < n; i++)
			for (a = 0; a < BT_KEYS_MAX && bs[i].keys[a]; a++) {
				for (j = 0; j < n; j++)
					for (b = 0; b < BT_KEYS_MAX && bs[j].keys[b]; b++)
						cr_assert(i == j && a == b
						                  ? 1
						                  : bs[i].keys[a] != bs[j].keys[b],
						          "%s: key %d bound twice",
						          bt_keymap_title(km), bs[i].keys[a]);
				/* A view's key hiding a global one would make the help lie. */
				if (km == BT_KM_GLOBAL || km == BT_KM_PROMPT || km == BT_KM_CONFIRM)
					continue;
				for (j = 0; j < gn; j++)
					for (b = 0; b < BT_KEYS_MAX && g[j].keys[b]; b++)
						cr_assert_neq(bs[i].keys[a], g[j].keys[b],
						              "%s rebinds a global key (%d)",
						              bt_keymap_title(km), g[j].keys[b]);
			}
	}
}

Test(tui_keys, every_action_bound_has_a_name_and_help)
{
	int km;

	for (km = 0; km < BT_KM_COUNT; km++) {
		size_t n, i;
		const struct bt_binding *bs = bt_keys_bindings((enum bt_keymap)km, &n);
		for (i = 0; i < n; i++) {
			cr_assert_neq(bs[i].action, BT_A_NONE);
			cr_assert_str_neq(bt_action_name(bs[i].action), "unknown");
			cr_assert(strlen(bt_binding_help(&bs[i])) > 5);
		}
	}
}

Test(tui_keys, keys_have_readable_names)
{
	char buf[32], keys[64];
	size_t n;
	const struct bt_binding *g = bt_keys_bindings(BT_KM_GLOBAL, &n);

	bt_key_name(' ', buf, sizeof(buf));
	cr_assert_str_eq(buf, "Space");
	bt_key_name(BT_KEY_CTRL('l'), buf, sizeof(buf));
	cr_assert_str_eq(buf, "Ctrl-L");
	bt_key_name(BT_KEY_PGDN, buf, sizeof(buf));
	cr_assert_str_eq(buf, "PgDn");
	bt_key_name(BT_KEY_BTAB, buf, sizeof(buf));
	cr_assert_str_eq(buf, "Shift-Tab");
	bt_key_name('G', buf, sizeof(buf));
	cr_assert_str_eq(buf, "G");
	bt_binding_keys(&g[0], keys, sizeof(keys));
	cr_assert_str_eq(keys, "k, Up");
}

/* --- the manual ------------------------------------------------------------------ */

/*
 * The keys benchtop-tui(1) lists under the subsection titled `title`: the
 * argument after every `Cm` on `.It` lines, as one space-separated string
 * with spaces around each key.
 */
static char *manual_keys(const char *page, const char *title)
{
	struct bt_buf out = BT_BUF_INIT;
	char *copy = bt_xstrdup(page), *line, *save = NULL;
	int in = 0;

	bt_buf_putc(&out, ' ');
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, ".Ss ", 4) == 0 || strncmp(line, ".Sh ", 4) == 0) {
			in = strcmp(line + 4, title) == 0;
			continue;
		}
		if (!in || strncmp(line, ".It ", 4) != 0)
			continue;
		for (char *p = strstr(line, "Cm "); p; p = strstr(p, "Cm ")) {
			char key[32];
			size_t k = 0;
			p += 3;
			if (strncmp(p, "\\&", 2) == 0)
				p += 2;
			while (*p && *p != ' ' && k < sizeof(key) - 1)
				key[k++] = *p++;
			key[k] = '\0';
			bt_buf_printf(&out, "%s ", key);
		}
	}
	free(copy);
	return bt_buf_detach(&out);
}

Test(tui_keys, the_manual_lists_exactly_the_keys_of_every_keymap)
{
	const char *top = getenv("top_srcdir");
	char *path, *page, *listed;
	size_t len;
	int km;

	path = bt_xasprintf("%s/man/benchtop-tui.1", top && *top ? top : "..");
	page = NULL;
	cr_assert_eq(bt_read_file(&page, &len, path), 0, "cannot read %s", path);
	for (km = 0; km < BT_KM_COUNT; km++) {
		size_t n, i, j, count = 0;
		const struct bt_binding *bs = bt_keys_bindings((enum bt_keymap)km, &n);
		listed = manual_keys(page, bt_keymap_title(km));
		for (i = 0; i < n; i++)
			for (j = 0; j < BT_KEYS_MAX && bs[i].keys[j]; j++) {
				char name[32], needle[40];
				bt_key_name(bs[i].keys[j], name, sizeof(name));
				snprintf(needle, sizeof(needle), " %s ", name);
				cr_expect_not_null(strstr(listed, needle),
				                   "benchtop-tui(1), %s: key '%s' (%s) is missing",
				                   bt_keymap_title(km), name,
				                   bt_action_name(bs[i].action));
				count++;
			}
		/* And nothing the tables do not bind. */
		{
			size_t listed_n = 0;
			char *p;
			for (p = listed; *p; p++)
				listed_n += *p == ' ';
			cr_expect_eq(listed_n - 1, count,
			             "benchtop-tui(1), %s lists %zu keys, the "
			             "tables bind %zu: '%s'",
			             bt_keymap_title(km), listed_n - 1, count, listed);
		}
		free(listed);
	}
	free(page);
	free(path);
}
