/*
 * view-detail.c - everything about one run: how it was made (command,
 * params, git, host, times), tags and note, live progress while it runs,
 * per-task metrics with confidence intervals and n, confusion matrices and
 * logged series.  Enter on a task's line lists its samples; p shows the
 * dirty patch.
 *
 * load() turns the run's JSON description (bt_run_json, the one `show`
 * prints) into lines of text; draw() only shows them.
 */
#include "config.h"

#include <curses.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"
#include "run.h"
#include "runjson.h"
#include "tui/draw.h"
#include "tui/layout.h"
#include "tui/text.h"
#include "tui/tui.h"
#include "util.h"

struct dline {
	enum bt_style style;
	char *text;   /* sanitised */
	char *task;   /* Enter opens this task's samples; NULL: nothing */
	int progress; /* the live progress line: drawn with a bar */
};

struct detail_view {
	int64_t id;
	struct bt_run run;
	int loaded;
	struct dline *lines;
	size_t n, cap;
	struct bt_scroll sc;
	double now;
};

static void add(struct detail_view *d, enum bt_style style, const char *task, const char *text)
{
	struct dline *l;

	bt_grow(&d->lines, &d->cap, d->n + 1, sizeof(*d->lines));
	l = &d->lines[d->n++];
	memset(l, 0, sizeof(*l));
	l->style = style;
	l->text = bt_sanitize(text ? text : "", 0);
	l->task = task ? bt_xstrdup(task) : NULL;
}

static void addf(struct detail_view *d, enum bt_style style, const char *task, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void addf(struct detail_view *d, enum bt_style style, const char *task, const char *fmt, ...)
{
	struct bt_buf b = BT_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	bt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	add(d, style, task, b.ptr);
	bt_buf_free(&b);
}

/* "label      value", with multi-line values continued under the value. */
static void field(struct detail_view *d, const char *label, const char *value)
{
	char *copy, *line, *save = NULL;
	int first = 1;

	if (!value || !*value)
		return;
	copy = bt_xstrdup(value);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		addf(d, BT_ST_NORMAL, NULL, "  %-10s %s", first ? label : "", line);
		first = 0;
	}
	free(copy);
}

static void clear_lines(struct detail_view *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->lines[i].text);
		free(d->lines[i].task);
	}
	d->n = 0;
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/*
 * A small aligned table: `nc` columns, titles, and cells (sanitised here),
 * each row optionally tied to a task.
 */
struct table {
	size_t nc, nr;
	const char *const *titles;
	const int *right;
	char **cells; /* nr * nc */
	char **tasks;
};

static void table_add(struct table *t, const char *task, char **row)
{
	size_t c;

	t->cells = bt_xrealloc(t->cells, (t->nr + 1) * t->nc * sizeof(char *));
	t->tasks = bt_xrealloc(t->tasks, (t->nr + 1) * sizeof(char *));
	for (c = 0; c < t->nc; c++)
		t->cells[t->nr * t->nc + c] = bt_sanitize(row[c] ? row[c] : "", 0);
	t->tasks[t->nr] = task ? bt_xstrdup(task) : NULL;
	t->nr++;
}

static void table_emit(struct detail_view *d, struct table *t)
{
	int w[16] = {0};
	size_t r, c;
	struct bt_buf b = BT_BUF_INIT;

	for (c = 0; c < t->nc && c < 16; c++) {
		w[c] = bt_text_width(t->titles[c]);
		for (r = 0; r < t->nr; r++) {
			int cw = bt_text_width(t->cells[r * t->nc + c]);
			if (cw > w[c])
				w[c] = cw > 40 ? 40 : cw;
		}
	}
	for (r = 0; r <= t->nr; r++) {
		bt_buf_reset(&b);
		bt_buf_puts(&b, "  ");
		for (c = 0; c < t->nc && c < 16; c++) {
			const char *s = r == 0 ? t->titles[c] : t->cells[(r - 1) * t->nc + c];
			char *clip = bt_text_clip(s, w[c], "~", NULL);
			int pad = w[c] - bt_text_width(clip), i;
			if (t->right[c])
				for (i = 0; i < pad; i++)
					bt_buf_putc(&b, ' ');
			bt_buf_puts(&b, clip);
			if (!t->right[c] && c + 1 < t->nc)
				for (i = 0; i < pad; i++)
					bt_buf_putc(&b, ' ');
			if (c + 1 < t->nc)
				bt_buf_puts(&b, "  ");
			free(clip);
		}
		add(d, r == 0 ? BT_ST_HEADER : BT_ST_NORMAL, r == 0 ? NULL : t->tasks[r - 1],
		    b.ptr);
	}
	bt_buf_free(&b);
	for (r = 0; r < t->nr * t->nc; r++)
		free(t->cells[r]);
	for (r = 0; r < t->nr; r++)
		free(t->tasks[r]);
	free(t->cells);
	free(t->tasks);
	t->cells = NULL;
	t->tasks = NULL;
	t->nr = 0;
}

/* One line of bt_run_header_each, and the live progress under "started". */
static void header_line(const char *label, const char *value, void *payload)
{
	struct detail_view *d = payload;

	field(d, label, value);
	if (strcmp(label, "started") == 0 && d->run.status == BT_RUN_RUNNING &&
	    d->run.progress_total > 0) {
		/* Drawn with a bar; the text is the fallback and the search target. */
		add(d, BT_ST_RUNNING, NULL, "");
		d->lines[d->n - 1].progress = 1;
	}
}

static void build_header(struct detail_view *d, json_t *o)
{
	const struct bt_run_header_opts opts = {BT_RUN_HEADER_LOCAL_TIME, "press p for the patch",
	                                        d->now};

	addf(d, BT_ST_HEADING, NULL, "Run %lld  %s  %s", (long long)d->id, str(o, "status"),
	     d->run.uuid);
	bt_run_header_each(o, &opts, header_line, d);
}

static void build_metrics(struct detail_view *d, json_t *o)
{
	static const char *const titles[] = {"TASK",    "METRIC", "VALUE", "CI LOW",
	                                     "CI HIGH", "SE",     "N"};
	static const int right[] = {0, 0, 1, 1, 1, 1, 1};
	struct table t = {7, 0, titles, right, NULL, NULL};
	json_t *metrics = json_object_get(o, "metrics"), *per, *m;
	const char *task, *name;

	if (!json_object_size(metrics))
		return;
	add(d, BT_ST_NORMAL, NULL, "");
	add(d, BT_ST_HEADING, NULL,
	    "Metrics (95% bootstrap confidence intervals; Enter on a task lists its samples)");
	json_object_foreach(metrics, task, per)
	{
		json_object_foreach(per, name, m)
		{
			char v[32] = "", lo[32] = "", hi[32] = "", se[32] = "", n[32] = "";
			char *row[7];
			if (num(m, "value") == num(m, "value"))
				bt_format_real(v, sizeof(v), num(m, "value"), 4);
			if (num(m, "ci_low") == num(m, "ci_low"))
				bt_format_real(lo, sizeof(lo), num(m, "ci_low"), 4);
			if (num(m, "ci_high") == num(m, "ci_high"))
				bt_format_real(hi, sizeof(hi), num(m, "ci_high"), 4);
			if (num(m, "stderr") == num(m, "stderr"))
				bt_format_real(se, sizeof(se), num(m, "stderr"), 4);
			if (json_is_integer(json_object_get(m, "n")))
				snprintf(n, sizeof(n), "%lld",
				         (long long)json_integer_value(json_object_get(m, "n")));
			row[0] = (char *)task;
			row[1] = (char *)name;
			row[2] = v;
			row[3] = lo;
			row[4] = hi;
			row[5] = se;
			row[6] = n;
			table_add(&t, task, row);
		}
	}
	table_emit(d, &t);
}

static void build_tasks(struct detail_view *d, json_t *o)
{
	static const char *const titles[] = {"TASK", "TYPE", "EXAMPLES", "ERRORS"};
	static const int right[] = {0, 0, 1, 1};
	struct table t = {4, 0, titles, right, NULL, NULL};
	json_t *tasks = json_object_get(o, "tasks");
	size_t i, r, c;

	if (!json_array_size(tasks))
		return;
	add(d, BT_ST_NORMAL, NULL, "");
	add(d, BT_ST_HEADING, NULL, "Tasks (Enter lists the samples)");
	for (i = 0; i < json_array_size(tasks); i++) {
		json_t *task = json_array_get(tasks, i);
		char ne[32], nerr[32];
		char *row[4];
		snprintf(ne, sizeof(ne), "%lld",
		         (long long)json_integer_value(json_object_get(task, "n_examples")));
		snprintf(nerr, sizeof(nerr), "%lld",
		         (long long)json_integer_value(json_object_get(task, "n_errors")));
		row[0] = (char *)str(task, "name");
		row[1] = (char *)str(task, "type");
		row[2] = ne;
		row[3] = nerr;
		table_add(&t, str(task, "name"), row);
	}
	table_emit(d, &t);
	/* Confusion matrices: rows are targets, columns predictions. */
	for (i = 0; i < json_array_size(tasks); i++) {
		json_t *task = json_array_get(tasks, i);
		json_t *labels = json_object_get(task, "labels");
		json_t *conf = json_object_get(task, "confusion");
		const char **ctitles;
		int *cright;
		struct table ct;
		size_t k = json_array_size(labels);
		if (!json_is_array(conf) || !k || k > 12)
			continue;
		add(d, BT_ST_NORMAL, NULL, "");
		addf(d, BT_ST_HEADING, str(task, "name"),
		     "Confusion matrix: %s (rows: target, columns: prediction)", str(task, "name"));
		ctitles = bt_xcalloc(k + 1, sizeof(*ctitles));
		cright = bt_xcalloc(k + 1, sizeof(*cright));
		ctitles[0] = "";
		for (c = 0; c < k; c++) {
			ctitles[c + 1] = json_string_value(json_array_get(labels, c));
			if (!ctitles[c + 1])
				ctitles[c + 1] = "?";
			cright[c + 1] = 1;
		}
		memset(&ct, 0, sizeof(ct));
		ct.nc = k + 1;
		ct.titles = ctitles;
		ct.right = cright;
		for (r = 0; r < json_array_size(conf) && r < k; r++) {
			json_t *row = json_array_get(conf, r);
			char **cells = bt_xcalloc(k + 1, sizeof(*cells));
			cells[0] = bt_xstrdup(ctitles[r + 1]);
			for (c = 0; c < k; c++)
				cells[c + 1] = bt_xasprintf(
				        "%lld",
				        (long long)json_integer_value(json_array_get(row, c)));
			table_add(&ct, str(task, "name"), cells);
			for (c = 0; c <= k; c++)
				free(cells[c]);
			free(cells);
		}
		table_emit(d, &ct);
		free(ctitles);
		free(cright);
	}
}

static void build_series(struct detail_view *d, json_t *o)
{
	static const char *const titles[] = {"KEY",  "POINTS", "FIRST STEP", "LAST STEP",
	                                     "LAST", "MIN",    "MAX"};
	static const int right[] = {0, 1, 1, 1, 1, 1, 1};
	struct table t = {7, 0, titles, right, NULL, NULL};
	json_t *series = json_object_get(o, "series"), *s;
	const char *key;

	if (!json_object_size(series))
		return;
	add(d, BT_ST_NORMAL, NULL, "");
	add(d, BT_ST_HEADING, NULL, "Series (press 4 for charts)");
	json_object_foreach(series, key, s)
	{
		char cnt[32], first[32], last[32], lv[32], mn[32], mx[32];
		char *row[7];
		snprintf(cnt, sizeof(cnt), "%lld",
		         (long long)json_integer_value(json_object_get(s, "count")));
		snprintf(first, sizeof(first), "%lld",
		         (long long)json_integer_value(json_object_get(s, "first_step")));
		snprintf(last, sizeof(last), "%lld",
		         (long long)json_integer_value(json_object_get(s, "last_step")));
		bt_format_real(lv, sizeof(lv), num(s, "last"), 4);
		bt_format_real(mn, sizeof(mn), num(s, "min"), 4);
		bt_format_real(mx, sizeof(mx), num(s, "max"), 4);
		row[0] = (char *)key;
		row[1] = cnt;
		row[2] = first;
		row[3] = last;
		row[4] = lv;
		row[5] = mn;
		row[6] = mx;
		table_add(&t, NULL, row);
	}
	table_emit(d, &t);
}

static int detail_open(struct bt_view *v, const void *arg)
{
	struct detail_view *d = bt_xcalloc(1, sizeof(*d));

	v->state = d;
	d->id = *(const int64_t *)arg;
	d->sc.cursor = 1;
	return 0;
}

static int detail_load(struct bt_view *v)
{
	struct detail_view *d = v->state;
	json_t *o = NULL;
	size_t cur = d->sc.cur, top = d->sc.top;
	int rc;

	bt_run_release(&d->run);
	rc = bt_run_load(v->tui->store, d->id, &d->run);
	if (!rc)
		rc = bt_run_json(v->tui->store, &d->run, 0, &o);
	if (rc)
		return rc;
	d->now = bt_now();
	clear_lines(d);
	build_header(d, o);
	build_metrics(d, o);
	build_tasks(d, o);
	build_series(d, o);
	json_decref(o);
	d->sc.n = d->n;
	if (!d->loaded) {
		/* Start on the first line that leads somewhere (a task), if any. */
		size_t i;
		for (i = 0; i < d->n && !d->lines[i].task; i++)
			;
		cur = i < d->n ? i : 0;
		top = 0;
		d->loaded = 1;
	}
	d->sc.cur = cur;
	d->sc.top = top;
	bt_scroll_fix(&d->sc, v->height);
	return 0;
}

static void draw_progress(struct detail_view *d, int y, int x, int w, int attr)
{
	struct bt_progress p;
	char bar[256], rate[32], eta[32], line[384];
	int bw;

	bt_progress_compute(&p, d->run.progress_done, d->run.progress_total, d->run.started_at,
	                    d->run.heartbeat_at > 0 ? d->run.heartbeat_at : d->now);
	bt_format_rate(rate, sizeof(rate), p.rate);
	if (p.eta == p.eta)
		bt_format_duration(eta, sizeof(eta), p.eta);
	else
		snprintf(eta, sizeof(eta), "?");
	bw = w - 60;
	if (bw > 40)
		bw = 40;
	if (bw < 5)
		bw = 5;
	bt_progress_bar(bar, sizeof(bar), p.fraction, bw, bt_draw_utf8());
	snprintf(line, sizeof(line), "  %-10s %s %3.0f%%  %lld/%lld examples  %s  ETA %s",
	         "progress", bar, p.fraction * 100, (long long)d->run.progress_done,
	         (long long)d->run.progress_total, rate, eta);
	bt_draw_text(y, x, w, line, attr, 1);
}

static void detail_draw(struct bt_view *v, const struct bt_area *a)
{
	struct detail_view *d = v->state;
	size_t i;
	int y;

	for (y = 0, i = d->sc.top; y < a->h && i < d->n; y++, i++) {
		const struct dline *l = &d->lines[i];
		int attr = bt_style_attr(l->style);
		if (i == d->sc.cur) {
			attr = bt_style_attr(BT_ST_CURSOR);
			bt_draw_fill(a->y + y, a->x, a->w, attr);
		}
		if (l->progress)
			draw_progress(d, a->y + y, a->x, a->w, attr);
		else
			bt_draw_text(a->y + y, a->x, a->w, l->text, attr, 1);
	}
}

static void show_patch(struct bt_view *v)
{
	struct detail_view *d = v->state;
	struct bt_pager_section sec = {NULL, d->run.git_patch};
	char title[64];

	if (!d->run.git_patch) {
		bt_tui_flash(v->tui, 0, "run %lld was made on a clean tree: no patch",
		             (long long)d->id);
		return;
	}
	snprintf(title, sizeof(title), "run %lld  patch", (long long)d->id);
	bt_tui_push(v->tui, &bt_view_pager,
	            &(struct bt_pager_arg){.title = title, .sections = &sec, .n = 1});
}

static enum bt_key_result detail_key(struct bt_view *v, const struct bt_event *ev)
{
	struct detail_view *d = v->state;
	enum bt_key_result r = bt_tui_scroll_key(&d->sc, ev, v->height);

	if (r != BT_KEY_UNHANDLED)
		return r;
	switch (ev->action) {
	case BT_A_CLICK:
		if (ev->y >= 0)
			bt_scroll_to(&d->sc, d->sc.top + (size_t)ev->y, v->height);
		return BT_KEY_REDRAW;
	case BT_A_OPEN:
		if (d->sc.cur < d->n && d->lines[d->sc.cur].task) {
			struct bt_samples_arg arg = {d->id, d->lines[d->sc.cur].task};
			bt_tui_push(v->tui, &bt_view_samples, &arg);
		} else {
			bt_tui_flash(v->tui, 0, "move to a task's line to list its samples");
		}
		return BT_KEY_REDRAW;
	case BT_A_PATCH:
		show_patch(v);
		return BT_KEY_REDRAW;
	case BT_A_TAG:
		bt_tui_tag_runs(v, &d->id, 1);
		return BT_KEY_REDRAW;
	case BT_A_NOTE:
		bt_tui_edit_note(v, d->id);
		return BT_KEY_REDRAW;
	case BT_A_DELETE:
		bt_tui_delete_runs(v, &d->id, 1);
		return BT_KEY_REDRAW;
	default:
		return BT_KEY_UNHANDLED;
	}
}

static void detail_status(struct bt_view *v, char *out, size_t n)
{
	struct detail_view *d = v->state;

	snprintf(out, n, "run %lld  line %zu of %zu", (long long)d->id, d->n ? d->sc.cur + 1 : 0,
	         d->n);
}

static void detail_title(struct bt_view *v, char *out, size_t n)
{
	struct detail_view *d = v->state;

	snprintf(out, n, "run %lld%s%s", (long long)d->id, d->run.name ? "  " : "",
	         d->run.name ? d->run.name : "");
}

static void detail_close(struct bt_view *v)
{
	struct detail_view *d = v->state;

	if (!d)
		return;
	clear_lines(d);
	free(d->lines);
	bt_run_release(&d->run);
	free(d);
}

const struct bt_view_ops bt_view_detail = {
        .name = "detail",
        .keymap = BT_KM_DETAIL,
        .live = 1,
        .tab = BT_TAB_DETAIL,
        .open = detail_open,
        .load = detail_load,
        .draw = detail_draw,
        .key = detail_key,
        .close = detail_close,
        .status = detail_status,
        .title = detail_title,
};
