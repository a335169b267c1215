/*
 * edit.c - the dashboard's only writes: tagging, notes and deleting runs.
 *
 * Each is asked for with a prompt and done in single short write
 * transactions (bt_run_add_tag and friends), so a running evaluation waits
 * at most milliseconds for the dashboard.  Deleting asks for confirmation.
 * The views then reload: our own writes do not change PRAGMA data_version
 * on our connection, so the loop would not notice them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "run.h"
#include "tui/model-runs.h"
#include "tui/tui.h"
#include "util.h"

/* The runs a pending prompt acts on (one prompt is open at a time). */
static struct {
	int64_t *ids;
	size_t n;
} pending;

static void set_pending(const int64_t *ids, size_t n)
{
	free(pending.ids);
	pending.ids = bt_xmalloc((n ? n : 1) * sizeof(*ids));
	memcpy(pending.ids, ids, n * sizeof(*ids));
	pending.n = n;
}

void bt_tui_edit_release(void)
{
	free(pending.ids);
	pending.ids = NULL;
	pending.n = 0;
}

/* Everything on the stack reloads: the top now, the others when they are back on top. */
static void reload_all(struct bt_tui *t)
{
	int i;

	for (i = 0; i < t->depth - 1; i++)
		t->stack[i]->stale = 1;
	if (t->depth && t->stack[t->depth - 1]->ops->load) {
		struct bt_view *top = t->stack[t->depth - 1];
		if (top->ops->load(top))
			bt_tui_flash(t, 1, "%s", bt_error_last());
		top->stale = 0;
	}
	t->dirty = 1;
}

static void describe(char *out, size_t n, const char *verb)
{
	if (pending.n == 1)
		snprintf(out, n, "%s run %lld", verb, (long long)pending.ids[0]);
	else
		snprintf(out, n, "%s %zu marked runs", verb, pending.n);
}

static int do_tag(struct bt_view *v, const char *text, void *payload)
{
	struct bt_store *s = v->tui->store;
	char *copy = bt_xstrdup(text), *tok, *save = NULL, what[64];
	size_t i, added = 0, removed = 0;
	int rc = 0;

	BT_UNUSED(payload);
	for (tok = strtok_r(copy, " \t", &save); tok && !rc; tok = strtok_r(NULL, " \t", &save)) {
		int remove = tok[0] == '-';
		const char *tag = remove ? tok + 1 : tok;
		if (!*tag)
			continue;
		for (i = 0; i < pending.n && !rc; i++)
			rc = remove ? bt_run_remove_tag(s, pending.ids[i], tag)
			            : bt_run_add_tag(s, pending.ids[i], tag);
		if (remove)
			removed++;
		else
			added++;
	}
	free(copy);
	if (rc) {
		bt_tui_prompt_error(v->tui, bt_error_last(), 0, 0, 0);
		return 1;
	}
	if (!added && !removed) {
		bt_tui_prompt_error(v->tui, "type a tag, or -TAG to remove one", 0, 0, 0);
		return 1;
	}
	describe(what, sizeof(what), "tagged");
	bt_tui_flash(v->tui, 0, "%s", what);
	reload_all(v->tui);
	return 0;
}

void bt_tui_tag_runs(struct bt_view *v, const int64_t *ids, size_t n)
{
	char label[96];

	set_pending(ids, n);
	describe(label, sizeof(label), "tag");
	strncat(label, " (-TAG removes):", sizeof(label) - strlen(label) - 1);
	bt_tui_prompt(v->tui, v, label, "", do_tag, NULL);
}

/* Notes may span lines; the one-line editor shows a newline as \n and a backslash as \\. */
static char *escape_note(const char *s)
{
	struct bt_buf b = BT_BUF_INIT;

	for (; s && *s; s++) {
		if (*s == '\n')
			bt_buf_puts(&b, "\\n");
		else if (*s == '\\')
			bt_buf_puts(&b, "\\\\");
		else
			bt_buf_putc(&b, *s);
	}
	return bt_buf_detach(&b);
}

static char *unescape_note(const char *s)
{
	struct bt_buf b = BT_BUF_INIT;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			bt_buf_putc(&b, '\n');
			s++;
		} else if (s[0] == '\\' && s[1] == '\\') {
			bt_buf_putc(&b, '\\');
			s++;
		} else {
			bt_buf_putc(&b, *s);
		}
	}
	return bt_buf_detach(&b);
}

static int do_note(struct bt_view *v, const char *text, void *payload)
{
	char *note = unescape_note(text);
	int rc;

	BT_UNUSED(payload);
	rc = bt_run_set_note(v->tui->store, pending.ids[0], note);
	free(note);
	if (rc) {
		bt_tui_prompt_error(v->tui, bt_error_last(), 0, 0, 0);
		return 1;
	}
	bt_tui_flash(v->tui, 0, *text ? "note saved on run %lld" : "note removed from run %lld",
	             (long long)pending.ids[0]);
	reload_all(v->tui);
	return 0;
}

void bt_tui_edit_note(struct bt_view *v, int64_t id)
{
	struct bt_run run;
	char label[64], *initial = NULL;

	if (bt_run_load(v->tui->store, id, &run) != 0) {
		bt_tui_flash(v->tui, 1, "%s", bt_error_last());
		return;
	}
	initial = escape_note(run.note);
	bt_run_release(&run);
	set_pending(&id, 1);
	snprintf(label, sizeof(label), "note for run %lld:", (long long)id);
	bt_tui_prompt(v->tui, v, label, initial, do_note, NULL);
	free(initial);
}

static int do_delete(struct bt_view *v, const char *text, void *payload)
{
	struct bt_tui *t = v->tui;
	struct bt_runs_model *m = bt_view_runs_model(bt_tui_home(t));
	size_t i, done = 0;
	int rc = 0;

	BT_UNUSED(text);
	BT_UNUSED(payload);
	/* One transaction per run: each is short, and a failure leaves the rest done. */
	for (i = 0; i < pending.n && !rc; i++) {
		rc = bt_run_delete(t->store, pending.ids[i]);
		if (!rc) {
			bt_runs_unmark(m, pending.ids[i]);
			done++;
		}
	}
	/* Views about the deleted runs have nothing left to show. */
	while (t->depth > 1 && v != bt_tui_home(t)) {
		bt_tui_pop(t);
		v = bt_tui_top(t);
	}
	if (rc)
		bt_tui_flash(t, 1, "%s", bt_error_last());
	else
		bt_tui_flash(t, 0, "deleted %zu run%s", done, done == 1 ? "" : "s");
	reload_all(t);
	return 0;
}

void bt_tui_delete_runs(struct bt_view *v, const int64_t *ids, size_t n)
{
	char q[96];

	set_pending(ids, n);
	describe(q, sizeof(q), "delete");
	strncat(q, "?", sizeof(q) - strlen(q) - 1);
	bt_tui_confirm(v->tui, v, q, do_delete, NULL);
}
