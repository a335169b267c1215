/*
 * harness.c - evaluate a suite against a plugin (see harness.h).
 *
 * Shape of one task's evaluation:
 *
 *   main thread     prepare tasks ─ create run ─┬─ create/fit the model
 *   OpenMP team                                 ├─ predict units of examples ─┐
 *   writer thread                               │   samples, heartbeat  <──────┘ (queue)
 *   main thread                                 └─ metrics, task row, next task
 *
 * The model runs in worker processes by default, one per OpenMP thread
 * (isolate.h), or in this process with --no-isolate (an instance per
 * thread, or one shared by all when the plugin is thread-safe).
 * Predictions land in per-task outcome arrays indexed by example; each
 * finished unit is queued to the writer, which owns the SQLite connection
 * while predictions run and commits at most a second or 1,000 examples
 * apart.  Strings a plugin returns are copied into per-thread arenas
 * before the next predict call, as the ABI requires.  Resuming a run
 * rebuilds outcomes from its stored samples and predicts only the rest.
 */
#include "config.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "data.h"
#include "error.h"
#include "git.h"
#include "harness.h"
#include "isolate.h"
#include "lock.h"
#include "metrics.h"
#include "plugin-host.h"
#include "run.h"
#include "suite.h"
#include "util.h"

/* Commit samples at least this often (examples, seconds). */
#define COMMIT_EXAMPLES 1000
#define COMMIT_SECONDS  1.0
/* Examples per unit of scheduled work when the plugin does not batch. */
#define UNIT_MIN 64
/*
 * Samples are inserted ROWS_PER_INSERT to a statement: one multi-row INSERT
 * costs SQLite far less per row than as many single-row ones (1.25M against
 * 0.83M rows/s here), and the writer is what bounds the harness's speed.
 */
#define SAMPLE_COLS     11
#define ROWS_PER_INSERT 32
/*
 * Most rows have no error, detail or input; a statement without those
 * columns saves SQLite a fifth of its work per row.
 */
#define SAMPLE_LEAN_COLS 8
/* Largest n * k for which per-class scores are kept (doubles). */
#define MAX_SCORE_CELLS ((size_t)32 << 20)

struct task_state {
	struct bt_task task;
	int64_t task_id;
	size_t n, k;
	struct bt_outcomes o;
	unsigned char *ok;
	int32_t *y_true, *y_pred;
	double *scores;
	int has_scores;
	double *t_value, *p_value;
	const char **t_text;
	const char **p_text;
	int64_t *t_choice, *p_choice;
	const char ***ranking;
	size_t *n_ranking;
	const char *const **relevant;
	size_t *n_relevant;
	double *latency;
	const char **error;
	const char **annot;      /* what the plugin attached to each example (JSON objects) */
	struct bt_arena *arenas; /* one per thread */
	size_t *left;            /* examples still to predict (all, unless resuming) */
	size_t n_left;
	int nthreads;
	size_t errors; /* updated atomically */
	struct bt_metric_opts mopts;
	int complete; /* resuming: this task was already finished */
};

/* A finished unit of examples, waiting for the writer. */
struct range {
	size_t first, n;
};

struct writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct range *q;
	size_t qn, qcap;
	int closing;
	/* owned by the writer thread while it runs */
	struct bt_store *s;
	struct task_state *ts;
	const struct bt_harness_opts *opts;
	int64_t run_id;
	size_t task_index, ntasks;
	sqlite3_stmt *ins, *ins_many, *ins_lean, *beat;
	struct bt_checkpointer *ck;   /* takes WAL checkpoints off this thread */
	size_t pend[ROWS_PER_INSERT]; /* examples bound but not yet inserted */
	int npend;
	size_t done, pending;
	double last_commit, last_progress, started;
	int rc;
	char msg[512];
	volatile int failed;
};

static void report(const struct bt_harness_opts *o, enum benchtop_log_level level, const char *fmt,
                   ...) __attribute__((format(printf, 3, 4)));

static void report(const struct bt_harness_opts *o, enum benchtop_log_level level, const char *fmt,
                   ...)
{
	char buf[1024];
	va_list ap;

	if (!o->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	o->log(o->payload, level, buf);
}

static int cancelled(const struct bt_harness_opts *o)
{
	return o->cancel && *o->cancel;
}

/* --- outcomes ------------------------------------------------------------------ */

static void outcomes_init(struct task_state *ts, int nthreads)
{
	struct bt_task *t = &ts->task;
	size_t n = t->n_test, i;

	ts->n = n;
	ts->k = t->n_labels;
	ts->nthreads = nthreads;
	ts->arenas = bt_xcalloc((size_t)nthreads, sizeof(*ts->arenas));
	ts->ok = bt_xcalloc(n, 1);
	ts->left = bt_xcalloc(n + 1, sizeof(size_t));
	for (i = 0; i < n; i++)
		ts->left[i] = i;
	ts->n_left = n;
	ts->latency = bt_xcalloc(n, sizeof(double));
	ts->error = bt_xcalloc(n, sizeof(char *));
	ts->annot = bt_xcalloc(n, sizeof(char *));
	memset(&ts->o, 0, sizeof(ts->o));
	ts->o.type = t->info.type;
	ts->o.n = n;
	ts->o.ok = ts->ok;
	ts->o.latency = ts->latency;

	switch (t->info.type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		ts->y_true = bt_xcalloc(n, sizeof(int32_t));
		ts->y_pred = bt_xcalloc(n, sizeof(int32_t));
		ts->p_text = bt_xcalloc(n, sizeof(char *));
		for (i = 0; i < n; i++) {
			ts->y_true[i] = (int32_t)t->test_targets[i].label_index;
			ts->y_pred[i] = -1;
		}
		if (ts->k && n * ts->k <= MAX_SCORE_CELLS) {
			ts->scores = bt_xmalloc(n * ts->k * sizeof(double));
			for (i = 0; i < n * ts->k; i++)
				ts->scores[i] = NAN;
		}
		ts->o.k = ts->k;
		ts->o.y_true = ts->y_true;
		ts->o.y_pred = ts->y_pred;
		break;
	case BENCHTOP_TASK_REGRESSION:
		ts->t_value = bt_xcalloc(n, sizeof(double));
		ts->p_value = bt_xcalloc(n, sizeof(double));
		for (i = 0; i < n; i++)
			ts->t_value[i] = t->test_targets[i].value;
		ts->o.t_value = ts->t_value;
		ts->o.p_value = ts->p_value;
		break;
	case BENCHTOP_TASK_GENERATION:
		ts->t_text = bt_xcalloc(n, sizeof(char *));
		ts->p_text = bt_xcalloc(n, sizeof(char *));
		for (i = 0; i < n; i++)
			ts->t_text[i] = t->test_targets[i].text;
		ts->o.t_text = ts->t_text;
		ts->o.p_text = ts->p_text;
		break;
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		ts->t_choice = bt_xcalloc(n, sizeof(int64_t));
		ts->p_choice = bt_xcalloc(n, sizeof(int64_t));
		for (i = 0; i < n; i++) {
			ts->t_choice[i] = t->test_targets[i].choice;
			ts->p_choice[i] = -1;
		}
		ts->o.t_choice = ts->t_choice;
		ts->o.p_choice = ts->p_choice;
		break;
	case BENCHTOP_TASK_RETRIEVAL:
		ts->ranking = bt_xcalloc(n, sizeof(char **));
		ts->n_ranking = bt_xcalloc(n, sizeof(size_t));
		ts->relevant = bt_xcalloc(n, sizeof(char **));
		ts->n_relevant = bt_xcalloc(n, sizeof(size_t));
		for (i = 0; i < n; i++) {
			ts->relevant[i] = t->test_targets[i].relevant;
			ts->n_relevant[i] = t->test_targets[i].n_relevant;
		}
		ts->o.ranking = (const char *const *const *)ts->ranking;
		ts->o.n_ranking = ts->n_ranking;
		ts->o.relevant = ts->relevant;
		ts->o.n_relevant = ts->n_relevant;
		break;
	}
}

static void outcomes_release(struct task_state *ts)
{
	int i;

	for (i = 0; i < ts->nthreads; i++)
		bt_arena_free(&ts->arenas[i]);
	free(ts->arenas);
	free(ts->left);
	free(ts->ok);
	free(ts->latency);
	free(ts->error);
	free(ts->annot);
	free(ts->y_true);
	free(ts->y_pred);
	free(ts->scores);
	free(ts->t_value);
	free(ts->p_value);
	free(ts->t_text);
	free(ts->p_text);
	free(ts->t_choice);
	free(ts->p_choice);
	free(ts->ranking);
	free(ts->n_ranking);
	free(ts->relevant);
	free(ts->n_relevant);
}

static const char *arena_str(struct bt_arena *a, const char *s)
{
	return bt_arena_strndup(a, s, strlen(s));
}

static int32_t label_index(const struct task_state *ts, const char *label)
{
	size_t i;

	/* Plugins usually return a pointer into task->labels: try that first. */
	for (i = 0; i < ts->k; i++)
		if (ts->task.labels[i] == label)
			return (int32_t)i;
	for (i = 0; i < ts->k; i++)
		if (strcmp(ts->task.labels[i], label) == 0)
			return (int32_t)i;
	return -1;
}

/*
 * Copy one prediction into the outcome arrays.  Returns NULL when it is
 * usable, or why not (then the example counts as an error).
 */
static const char *take(struct task_state *ts, size_t i, const struct benchtop_prediction *p,
                        const struct benchtop_example *ex, struct bt_arena *a)
{
	size_t j;

	switch (ts->task.info.type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		if (!p->label)
			return "the plugin returned no label";
		/* A label outside the set is wrong, and kept to be shown as given. */
		ts->y_pred[i] = label_index(ts, p->label);
		if (ts->y_pred[i] < 0)
			ts->p_text[i] = arena_str(a, p->label);
		if (p->n_scores) {
			if (p->n_scores != ts->k || !p->scores)
				return "the plugin returned a score vector of the wrong length";
			for (j = 0; j < ts->k; j++)
				if (!isfinite(p->scores[j]))
					return "the plugin returned a non-finite score";
			if (ts->scores) {
				memcpy(ts->scores + i * ts->k, p->scores, ts->k * sizeof(double));
				ts->has_scores = 1;
			}
		}
		return NULL;
	case BENCHTOP_TASK_REGRESSION:
		if (!isfinite(p->value))
			return "the plugin returned a non-finite value";
		ts->p_value[i] = p->value;
		return NULL;
	case BENCHTOP_TASK_GENERATION:
		if (!p->text)
			return "the plugin returned no text";
		ts->p_text[i] = arena_str(a, p->text);
		return NULL;
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		if (p->choice < 0 || (size_t)p->choice >= ex->n_choices)
			return "the plugin chose a choice out of range";
		ts->p_choice[i] = p->choice;
		return NULL;
	case BENCHTOP_TASK_RETRIEVAL: {
		const char **r;
		if (p->n_ranking && !p->ranking)
			return "the plugin returned no ranking";
		r = bt_arena_alloc(a, (p->n_ranking ? p->n_ranking : 1) * sizeof(char *));
		for (j = 0; j < p->n_ranking; j++) {
			if (!p->ranking[j])
				return "the plugin returned a null id in its ranking";
			r[j] = arena_str(a, p->ranking[j]);
		}
		ts->ranking[i] = r;
		ts->n_ranking[i] = p->n_ranking;
		return NULL;
	}
	}
	return "unknown task type";
}

/* --- the writer ------------------------------------------------------------------ */

static void writer_fail(struct writer *w, int rc)
{
	if (!w->rc) {
		w->rc = rc;
		snprintf(w->msg, sizeof(w->msg), "%s", bt_error_last());
	}
	w->failed = 1;
}

static int write_commit(struct writer *w, double now)
{
	int rc = 0;

	if (w->beat) {
		sqlite3_reset(w->beat);
		sqlite3_bind_double(w->beat, 1, now);
		sqlite3_bind_int64(w->beat, 2, (int64_t)w->done);
		sqlite3_bind_int64(w->beat, 3, (int64_t)w->ts->n);
		sqlite3_bind_int64(w->beat, 4, w->run_id);
		rc = bt_store_step_done(w->s, w->beat, "cannot record progress");
	}
	if (!rc)
		rc = bt_store_commit(w->s);
	w->pending = 0;
	w->last_commit = now;
	return rc;
}

/* Text forms of predictions and targets, as samples store them. */
static const char *format_number(char *buf, size_t n, double v)
{
	int prec;

	for (prec = 15; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return buf;
}

static char *json_list(const char *const *items, size_t n)
{
	json_t *a = json_array();
	char *s;
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(items[i]));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

/* One sample's column values; the strings live until the row is stepped. */
struct sample_row {
	const char *pred, *target, *error, *detail, *input;
	int correct;
	double score;
	char pbuf[40], tbuf[40];
	char *owned[3];
};

/* The row of sample `i` (release with sample_row_release). */
static void sample_row(struct writer *w, size_t i, struct sample_row *r)
{
	struct task_state *ts = w->ts;
	const struct bt_task *t = &ts->task;
	const struct benchtop_example *ex = &t->test[i];

	r->pred = r->target = r->detail = NULL;
	r->owned[0] = r->owned[1] = r->owned[2] = NULL;
	r->correct = -1;
	r->score = NAN;
	r->input = ex->text;
	r->error = ts->ok[i] ? NULL : (ts->error[i] ? ts->error[i] : "failed");
	if (ts->ok[i])
		bt_metrics_sample(&ts->o, i, &ts->mopts, &r->correct, &r->score);
	switch (t->info.type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		r->target = t->test_targets[i].label;
		if (ts->ok[i]) {
			r->pred = ts->y_pred[i] >= 0
			                  ? t->labels[ts->y_pred[i]]
			                  : (ts->p_text && ts->p_text[i] ? ts->p_text[i] : "?");
			if (ts->has_scores && !isnan(ts->scores[i * ts->k])) {
				json_t *d = json_object(), *a = json_array();
				for (size_t j = 0; j < ts->k; j++)
					json_array_append_new(a,
					                      json_real(ts->scores[i * ts->k + j]));
				json_object_set_new(d, "scores", a);
				r->detail = r->owned[0] =
				        json_dumps(d, JSON_COMPACT | JSON_REAL_PRECISION(17));
				json_decref(d);
			}
		}
		break;
	case BENCHTOP_TASK_REGRESSION:
		r->target = format_number(r->tbuf, sizeof(r->tbuf), ts->t_value[i]);
		if (ts->ok[i])
			r->pred = format_number(r->pbuf, sizeof(r->pbuf), ts->p_value[i]);
		break;
	case BENCHTOP_TASK_GENERATION:
		r->target = ts->t_text[i];
		if (ts->ok[i])
			r->pred = ts->p_text[i];
		break;
	case BENCHTOP_TASK_MULTIPLE_CHOICE: {
		int64_t tc = ts->t_choice[i];
		if (tc >= 0 && (size_t)tc < ex->n_choices)
			r->target = ex->choices[tc];
		if (ts->ok[i]) {
			r->pred = ex->choices[ts->p_choice[i]];
			r->detail = r->owned[0] =
			        bt_xasprintf("{\"choice\":%lld,\"target_choice\":%lld}",
			                     (long long)ts->p_choice[i], (long long)tc);
		}
		break;
	}
	case BENCHTOP_TASK_RETRIEVAL:
		r->target = r->owned[1] = json_list(ts->relevant[i], ts->n_relevant[i]);
		if (ts->ok[i])
			r->pred = r->owned[2] = json_list(ts->ranking[i], ts->n_ranking[i]);
		break;
	}
	/*
	 * The plugin's annotations join the host's own keys in one object:
	 * both are compact JSON objects, the host's never empty and the
	 * annotations never using its keys (bt_detail_key_reserved), so
	 * "{host...}" + "," + "annotations...}" is exact and costs no parse.
	 */
	if (ts->annot[i]) {
		if (r->detail) {
			char *both = bt_xasprintf("%.*s,%s", (int)strlen(r->detail) - 1, r->detail,
			                          ts->annot[i] + 1);
			free(r->owned[0]);
			r->detail = r->owned[0] = both;
		} else {
			r->detail = ts->annot[i];
		}
	}
}

static void sample_row_release(struct sample_row *r)
{
	free(r->owned[0]);
	free(r->owned[1]);
	free(r->owned[2]);
}

/* A row needs the full statement only when it has an error, detail or input. */
static int sample_row_lean(const struct sample_row *r)
{
	return !r->error && !r->detail && !r->input;
}

static void bind_text(sqlite3_stmt *st, int col, const char *text)
{
	if (text)
		sqlite3_bind_text(st, col, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

/*
 * Bind sample `i` (its values in r) as row `row` of `st`, a statement of
 * `cols` columns per row: SAMPLE_COLS, or SAMPLE_LEAN_COLS, which leaves
 * out error, detail and input.  Every column is bound exactly once, NULL
 * included, so no value stays behind from the row bound there before.
 */
static void bind_sample(struct writer *w, sqlite3_stmt *st, int cols, int row, size_t i,
                        const struct sample_row *r)
{
	const struct bt_task *t = &w->ts->task;
	int b = row * cols;

	sqlite3_bind_int64(st, b + 1, w->ts->task_id);
	sqlite3_bind_int64(st, b + 2, (int64_t)t->test_index[i]);
	sqlite3_bind_text(st, b + 3, t->test[i].id, -1, SQLITE_STATIC);
	bind_text(st, b + 4, r->pred);
	bind_text(st, b + 5, r->target);
	if (r->correct >= 0)
		sqlite3_bind_int(st, b + 6, r->correct);
	else
		sqlite3_bind_null(st, b + 6);
	if (isfinite(r->score))
		sqlite3_bind_double(st, b + 7, r->score);
	else
		sqlite3_bind_null(st, b + 7);
	sqlite3_bind_double(st, b + 8, w->ts->latency[i]);
	if (cols == SAMPLE_COLS) {
		bind_text(st, b + 9, r->error);
		bind_text(st, b + 10, r->detail);
		bind_text(st, b + 11, r->input);
	}
}

/*
 * Insert the examples waiting in w->pend: one multi-row statement when
 * full, the lean one when no row needs the columns it leaves out.
 */
static int flush_samples(struct writer *w)
{
	struct sample_row rows[ROWS_PER_INSERT];
	int r, rc = 0, lean = 1;

	if (!w->npend)
		return 0;
	for (r = 0; r < w->npend; r++) {
		sample_row(w, w->pend[r], &rows[r]);
		lean &= sample_row_lean(&rows[r]);
	}
	if (w->npend == ROWS_PER_INSERT) {
		sqlite3_stmt *st = lean ? w->ins_lean : w->ins_many;
		int cols = lean ? SAMPLE_LEAN_COLS : SAMPLE_COLS;
		for (r = 0; r < w->npend; r++)
			bind_sample(w, st, cols, r, w->pend[r], &rows[r]);
		rc = bt_store_step_done(w->s, st, "cannot store samples");
		sqlite3_reset(st);
	} else {
		for (r = 0; r < w->npend && !rc; r++) {
			bind_sample(w, w->ins, SAMPLE_COLS, 0, w->pend[r], &rows[r]);
			rc = bt_store_step_done(w->s, w->ins, "cannot store sample");
			sqlite3_reset(w->ins);
		}
	}
	for (r = 0; r < w->npend; r++)
		sample_row_release(&rows[r]);
	w->npend = 0;
	return rc;
}

static void writer_progress(struct writer *w, double now, int force)
{
	struct bt_progress p;

	if (!w->opts->progress || (!force && now - w->last_progress < 0.1))
		return;
	w->last_progress = now;
	memset(&p, 0, sizeof(p));
	p.task = w->ts->task.spec->name;
	p.task_index = w->task_index;
	p.ntasks = w->ntasks;
	p.done = w->done;
	p.total = w->ts->n;
	p.errors = __atomic_load_n(&w->ts->errors, __ATOMIC_RELAXED);
	p.elapsed = now - w->started;
	p.phase = BT_PHASE_PREDICT;
	w->opts->progress(w->opts->payload, &p);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct range *batch = NULL;
	size_t nbatch = 0, cap = 0, i, j;
	int closing, rc;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->qn && !w->closing) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) != 0)
				break;
		}
		if (w->qn) {
			bt_grow(&batch, &cap, w->qn, sizeof(*batch));
			memcpy(batch, w->q, w->qn * sizeof(*batch));
		}
		nbatch = w->qn;
		w->qn = 0;
		closing = w->closing;
		pthread_mutex_unlock(&w->mu);

		double now = bt_monotonic();
		for (i = 0; i < nbatch && !w->failed; i++) {
			for (j = 0; j < batch[i].n && !w->failed; j++) {
				if (!w->pending) {
					rc = bt_store_begin(w->s);
					if (rc) {
						writer_fail(w, rc);
						break;
					}
					w->pending = 0;
				}
				if (w->ins) {
					w->pend[w->npend++] = w->ts->left[batch[i].first + j];
					rc = w->npend == ROWS_PER_INSERT ? flush_samples(w) : 0;
					if (rc) {
						bt_store_rollback(w->s);
						writer_fail(w, rc);
						break;
					}
				}
				w->pending++;
				w->done++;
				if (w->pending >= COMMIT_EXAMPLES) {
					rc = flush_samples(w);
					if (!rc)
						rc = write_commit(w, bt_now());
					if (rc)
						writer_fail(w, rc);
				}
			}
		}
		now = bt_monotonic();
		if (w->pending && !w->failed &&
		    (closing || now - w->last_commit >= COMMIT_SECONDS)) {
			rc = flush_samples(w);
			if (!rc)
				rc = write_commit(w, bt_now());
			if (rc)
				writer_fail(w, rc);
			w->last_commit = now;
		}
		writer_progress(w, now, 0);
		if (closing && !w->qn) {
			pthread_mutex_lock(&w->mu);
			int empty = w->qn == 0;
			pthread_mutex_unlock(&w->mu);
			if (empty)
				break;
		}
	}
	if (w->pending && !w->failed) {
		rc = flush_samples(w);
		if (!rc)
			rc = write_commit(w, bt_now());
		if (rc)
			writer_fail(w, rc);
	}
	writer_progress(w, bt_monotonic(), 1);
	free(batch);
	return NULL;
}

static void writer_finalize(struct writer *w)
{
	sqlite3_finalize(w->ins);
	sqlite3_finalize(w->ins_many);
	sqlite3_finalize(w->ins_lean);
	sqlite3_finalize(w->beat);
}

#define SAMPLE_COLUMNS                                                                           \
	"task_id, idx, example_id, prediction, target, correct, score, latency, error, detail, " \
	"input"
#define SAMPLE_LEAN_COLUMNS "task_id, idx, example_id, prediction, target, correct, score, latency"

/* INSERT INTO samples (columns) VALUES (?, ...), ... for `rows` rows of `cols` values. */
static int prepare_insert(struct bt_store *s, sqlite3_stmt **st, const char *columns, int cols,
                          int rows)
{
	struct bt_buf sql = BT_BUF_INIT;
	int r, c, rc;

	bt_buf_puts(&sql, "INSERT INTO samples (");
	bt_buf_puts(&sql, columns);
	bt_buf_puts(&sql, ") VALUES ");
	for (r = 0; r < rows; r++) {
		bt_buf_puts(&sql, r ? ", (" : "(");
		for (c = 0; c < cols; c++)
			bt_buf_puts(&sql, c ? ", ?" : "?");
		bt_buf_puts(&sql, ")");
	}
	rc = bt_store_prepare(s, st, sql.ptr);
	bt_buf_free(&sql);
	return rc;
}

static int writer_start(struct writer *w, struct bt_store *s, struct task_state *ts,
                        const struct bt_harness_opts *o, int64_t run_id, size_t task_index,
                        size_t ntasks)
{
	int rc = 0;

	memset(w, 0, sizeof(*w));
	w->s = s;
	w->ts = ts;
	w->opts = o;
	w->run_id = run_id;
	w->task_index = task_index;
	w->ntasks = ntasks;
	w->started = w->last_commit = bt_monotonic();
	w->done = ts->n - ts->n_left; /* a resumed task starts with what it had */
	if (!o->no_samples) {
		rc = prepare_insert(s, &w->ins, SAMPLE_COLUMNS, SAMPLE_COLS, 1);
		if (!rc)
			rc = prepare_insert(s, &w->ins_many, SAMPLE_COLUMNS, SAMPLE_COLS,
			                    ROWS_PER_INSERT);
		if (!rc)
			rc = prepare_insert(s, &w->ins_lean, SAMPLE_LEAN_COLUMNS, SAMPLE_LEAN_COLS,
			                    ROWS_PER_INSERT);
	}
	if (!rc)
		rc = bt_store_prepare(s, &w->beat,
		                      "UPDATE runs SET heartbeat_at = ?, progress_done = ?, "
		                      "progress_total = ? WHERE id = ?");
	if (rc) {
		writer_finalize(w);
		return rc;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (!o->no_samples)
		w->ck = bt_checkpointer_start(s);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		bt_checkpointer_stop(w->ck);
		writer_finalize(w);
		return bt_error_set(BT_ERROR, "cannot start the sample writer thread");
	}
	return 0;
}

static void writer_push(struct writer *w, size_t first, size_t n)
{
	pthread_mutex_lock(&w->mu);
	bt_grow(&w->q, &w->qcap, w->qn + 1, sizeof(*w->q));
	w->q[w->qn].first = first;
	w->q[w->qn].n = n;
	w->qn++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Stop the writer after it drained the queue; returns its status. */
static int writer_finish(struct writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->closing = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	bt_checkpointer_stop(w->ck);
	writer_finalize(w);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->q);
	if (w->rc)
		return bt_error_set(w->rc, "%s", w->msg);
	return 0;
}

/* --- one task ----------------------------------------------------------------------- */

struct run_ctx {
	struct bt_store *s;
	const struct bt_harness_opts *o;
	struct bt_plugin *plugin;
	const struct benchtop_plugin *desc;
	int64_t run_id;
	int nthreads;
	size_t batch;
	size_t errors_total;
	size_t examples_total;
	volatile int stop; /* cancellation or too many errors */
	int too_many_errors;
	/*
	 * Files the model recorded (host->record_file), from this process or
	 * any worker: key -> sha256, each key once; rec[0..rec_stored) are in
	 * the run's params.  A key recorded with two values (or with another
	 * value than -p gave it) is a conflict that fails the run.
	 */
	pthread_mutex_t rec_mu;
	struct bt_params rec;
	size_t rec_stored;
	char *rec_conflict;
};

static void host_log(void *payload, enum benchtop_log_level level, const char *plugin,
                     const char *message)
{
	const struct bt_harness_opts *o = payload;

	report(o, level, "%s: %s", plugin, message);
}

/* The sink of host->record_file (bt_host_config.record, bt_pool_opts.record). */
static int record_file(void *payload, const char *key, const char *sha256)
{
	struct run_ctx *rc = payload;
	const char *given = rc->o->params ? bt_params_get(rc->o->params, key) : NULL;
	const char *had;
	char *conflict = NULL;
	int r = 0;

	pthread_mutex_lock(&rc->rec_mu);
	had = bt_params_get(&rc->rec, key);
	if (given && strcmp(given, sha256) != 0)
		conflict = bt_xasprintf("plugin '%s' recorded param '%s' as %s, but -p gave it %s",
		                        rc->desc->name, key, sha256, given);
	else if (had && strcmp(had, sha256) != 0)
		conflict = bt_xasprintf("plugin '%s' recorded param '%s' as %s and as %s: the file "
		                        "changed during the run",
		                        rc->desc->name, key, had, sha256);
	else if (!had && !given)
		bt_params_add(&rc->rec, key, sha256);
	if (conflict) {
		r = bt_error_set(BT_EINPUT, "%s", conflict);
		if (!rc->rec_conflict)
			rc->rec_conflict = conflict;
		else
			free(conflict);
	}
	pthread_mutex_unlock(&rc->rec_mu);
	return r;
}

/*
 * After a model was created (or ran): fail on a conflict among the
 * recorded files, else store the ones the run does not hold yet.  Only
 * while no writer thread owns the connection.
 */
static int recorded_flush(struct run_ctx *rc)
{
	int r = 0;

	pthread_mutex_lock(&rc->rec_mu);
	if (rc->rec_conflict)
		r = bt_error_set(BT_EINPUT, "%s", rc->rec_conflict);
	for (; !r && rc->run_id && rc->rec_stored < rc->rec.n; rc->rec_stored++)
		r = bt_run_set_param(rc->s, rc->run_id, rc->rec.keys[rc->rec_stored],
		                     rc->rec.values[rc->rec_stored]);
	pthread_mutex_unlock(&rc->rec_mu);
	return r;
}

static int insert_task_row(struct run_ctx *rc, struct task_state *ts)
{
	sqlite3_stmt *st;
	char *labels = NULL;
	int r;

	if (ts->task.info.type == BENCHTOP_TASK_CLASSIFICATION)
		labels = json_list((const char *const *)ts->task.labels, ts->task.n_labels);
	r = bt_store_prepare(
	        rc->s, &st,
	        "INSERT INTO tasks (run_id, name, type, n_examples, labels, started_at) "
	        "VALUES (?, ?, ?, ?, ?, ?)");
	if (!r) {
		sqlite3_bind_int64(st, 1, rc->run_id);
		sqlite3_bind_text(st, 2, ts->task.spec->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, bt_task_type_name(ts->task.info.type), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (int64_t)ts->n);
		if (labels)
			sqlite3_bind_text(st, 5, labels, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 6, bt_now());
		r = bt_store_step_done(rc->s, st, "cannot record task");
		sqlite3_finalize(st);
	}
	free(labels);
	if (!r)
		ts->task_id = sqlite3_last_insert_rowid(bt_store_handle(rc->s));
	return r;
}

static int create_instances(struct run_ctx *rc, struct task_state *ts, struct bt_instance ***out,
                            int *ninst)
{
	struct bt_host_config cfg;
	struct bt_instance **inst;
	int shared = (rc->desc->flags & BENCHTOP_PLUGIN_THREAD_SAFE) != 0;
	int n = shared ? 1 : rc->nthreads, i, r = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.log = host_log;
	cfg.log_payload = (void *)rc->o;
	cfg.cancel = rc->o->cancel;
	cfg.record = record_file;
	cfg.record_payload = rc;
	cfg.prompt = &ts->task.prompt;
	inst = bt_xcalloc((size_t)n, sizeof(*inst));
	*out = inst;
	*ninst = n;
	if (!(rc->desc->tasks & BENCHTOP_TASK_BIT(ts->task.info.type)))
		return bt_error_set(BT_EINPUT, "plugin '%s' does not support %s tasks (task '%s')",
		                    rc->desc->name, bt_task_type_name(ts->task.info.type),
		                    ts->task.spec->name);
	if ((rc->desc->flags & BENCHTOP_PLUGIN_NEEDS_TRAIN) && !ts->task.n_train)
		return bt_error_set(
		        BT_EINPUT,
		        "plugin '%s' needs training data but task '%s' has no train split",
		        rc->desc->name, ts->task.spec->name);
	for (i = 0; i < n && !r; i++) {
		r = bt_instance_create(&inst[i], rc->plugin, rc->o->params, &ts->task.info, &cfg);
		if (r)
			break;
		if (ts->task.n_train)
			r = bt_instance_fit(inst[i], ts->task.train, ts->task.n_train);
		if (!r && cancelled(rc->o))
			r = bt_error_set(BT_EINTR, "interrupted while training");
	}
	return r;
}

static void destroy_instances(struct bt_instance **inst, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (inst[i])
			bt_instance_destroy(inst[i]);
	free(inst);
}

/* Where the outcomes of one scheduled unit go. */
struct unit {
	struct task_state *ts;
	const size_t *map; /* example index of each position of the batch */
	struct bt_arena *arena;
	size_t errs;
};

static void record(struct unit *u, size_t j, const struct benchtop_prediction *p, const char *error,
                   double latency, const char *annotation)
{
	struct task_state *ts = u->ts;
	size_t i = u->map[j];
	const char *why;

	ts->latency[i] = latency;
	ts->annot[i] = annotation ? arena_str(u->arena, annotation) : NULL;
	if (error)
		why = arena_str(u->arena, error);
	else if (p->error)
		why = arena_str(u->arena, p->error);
	else
		why = take(ts, i, p, &ts->task.test[i], u->arena);
	if (why) {
		ts->error[i] = why;
		u->errs++;
		return;
	}
	ts->ok[i] = 1;
}

static void pool_cb(void *payload, size_t j, const struct benchtop_prediction *p, const char *error,
                    double latency, const char *annotation)
{
	record(payload, j, p, error, latency, annotation);
}

/*
 * Predict the examples ts->left[0..n_left) (all of them, unless resuming):
 * units of work shared out dynamically over the team; each thread uses its
 * own instance (or the shared one), or in isolated mode its own lane of
 * worker processes.  A batch is contiguous in the split when nothing is
 * skipped, and gathered into a scratch array otherwise.
 */
static void predict_all(struct run_ctx *rc, struct task_state *ts, struct bt_instance **inst,
                        int ninst, struct bt_pool *pool, struct writer *w)
{
	const struct bt_task *t = &ts->task;
	size_t batch = rc->batch, unit = batch < UNIT_MIN ? UNIT_MIN : batch;
	size_t nunits = (ts->n_left + unit - 1) / unit;
	int64_t max_errors = rc->o->max_errors;

#pragma omp parallel num_threads(rc->nthreads)
	{
		int tid = 0;
#ifdef _OPENMP
		tid = omp_get_thread_num();
#endif
		struct bt_instance *mine = inst ? inst[ninst == 1 ? 0 : tid] : NULL;
		struct benchtop_prediction *pred = bt_xcalloc(batch, sizeof(*pred));
		struct benchtop_example *gather = bt_xcalloc(batch, sizeof(*gather));
		struct unit u;

		u.ts = ts;
		u.arena = &ts->arenas[tid];
#pragma omp for schedule(dynamic, 1)
		for (size_t k = 0; k < nunits; k++) {
			size_t first = k * unit;
			size_t n = ts->n_left - first < unit ? ts->n_left - first : unit;
			size_t off, j;

			if (rc->stop || w->failed || cancelled(rc->o))
				continue;
			u.errs = 0;
			for (off = 0; off < n; off += batch) {
				size_t m = n - off < batch ? n - off : batch;
				const size_t *map = ts->left + first + off;
				const struct benchtop_example *ex = &t->test[map[0]];
				if (map[m - 1] - map[0] != m - 1) {
					for (j = 0; j < m; j++)
						gather[j] = t->test[map[j]];
					ex = gather;
				}
				u.map = map;
				if (pool) {
					bt_pool_predict(pool, tid, ex, m, pool_cb, &u);
					continue;
				}
				double t0 = bt_monotonic(), per;
				int r = bt_instance_predict(mine, ex, m, pred);
				per = (bt_monotonic() - t0) / (double)m;
				for (j = 0; j < m; j++)
					record(&u, j, r ? NULL : &pred[j],
					       r ? bt_error_last() : NULL, per,
					       bt_instance_annotation(j));
			}
			if (u.errs) {
				size_t total =
				        __atomic_add_fetch(&ts->errors, u.errs, __ATOMIC_RELAXED);
				if (max_errors >= 0 &&
				    rc->errors_total + total > (size_t)max_errors) {
					rc->too_many_errors = 1;
					rc->stop = 1;
				}
			}
			writer_push(w, first, n);
		}
		free(gather);
		free(pred);
	}
}

/* A task's metrics, computed from its outcomes alone (no database needed). */
struct task_metrics {
	struct bt_metric_value *vals;
	size_t n;
	int64_t *confusion;
};

/*
 * The task's metrics into m.  The writer may still be reading ts->o (for
 * each sample's correct and score), so the scores and wall time go into a
 * copy: what a sample stores must not depend on when it was written.
 */
static int compute_metrics(struct task_state *ts, double wall, struct task_metrics *m)
{
	const struct bt_task_spec *spec = ts->task.spec;
	const char *const *names = (const char *const *)spec->metrics;
	size_t nnames = spec->n_metrics;
	struct bt_outcomes o = ts->o;

	if (!nnames)
		names = bt_metrics_defaults(ts->task.info.type, &nnames);
	o.scores = ts->has_scores ? ts->scores : NULL;
	o.wall_seconds = wall;
	return bt_metrics_compute(&o, names, nnames, &ts->mopts, &m->vals, &m->n,
	                          ts->task.info.type == BENCHTOP_TASK_CLASSIFICATION ? &m->confusion
	                                                                             : NULL);
}

static void task_metrics_release(struct task_metrics *m)
{
	free(m->vals);
	free(m->confusion);
	memset(m, 0, sizeof(*m));
}

static int store_metrics(struct run_ctx *rc, struct task_state *ts, const struct task_metrics *m)
{
	const struct bt_task_spec *spec = ts->task.spec;
	const struct bt_metric_value *vals = m->vals;
	const int64_t *confusion = m->confusion;
	size_t nout = m->n, i;
	char *conf_json = NULL;
	sqlite3_stmt *st;
	int r;

	if (confusion) {
		json_t *mat = json_array();
		for (size_t a = 0; a < ts->k; a++) {
			json_t *row = json_array();
			for (size_t b = 0; b < ts->k; b++)
				json_array_append_new(row, json_integer(confusion[a * ts->k + b]));
			json_array_append_new(mat, row);
		}
		conf_json = json_dumps(mat, JSON_COMPACT);
		json_decref(mat);
	}
	r = bt_store_begin(rc->s);
	if (r)
		goto out;
	for (i = 0; i < nout && !r; i++) {
		struct bt_metric_row row;
		row.task = spec->name;
		row.metric = vals[i].name;
		row.value = vals[i].value;
		row.ci_low = vals[i].ci_low;
		row.ci_high = vals[i].ci_high;
		row.stderr_ = vals[i].se;
		row.n = (int64_t)vals[i].n;
		row.has_ci = 1;
		r = bt_run_put_metric(rc->s, rc->run_id, &row);
	}
	if (!r)
		r = bt_store_prepare(rc->s, &st,
		                     "UPDATE tasks SET n_errors = ?, confusion = ?, ended_at = ? "
		                     "WHERE id = ?");
	if (!r) {
		sqlite3_bind_int64(st, 1, (int64_t)ts->errors);
		if (conf_json)
			sqlite3_bind_text(st, 2, conf_json, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 3, bt_now());
		sqlite3_bind_int64(st, 4, ts->task_id);
		r = bt_store_step_done(rc->s, st, "cannot record task results");
		sqlite3_finalize(st);
	}
	if (!r)
		r = bt_store_commit(rc->s);
	else
		bt_store_rollback(rc->s);
out:
	free(conf_json);
	return r;
}

static void progress_phase(struct run_ctx *rc, struct task_state *ts, size_t ti, size_t nt,
                           int phase)
{
	struct bt_progress p;

	if (!rc->o->progress)
		return;
	memset(&p, 0, sizeof(p));
	p.task = ts->task.spec->name;
	p.task_index = ti;
	p.ntasks = nt;
	p.total = ts->n;
	p.done = phase == BT_PHASE_FIT ? 0 : ts->n;
	p.errors = ts->errors;
	p.phase = phase;
	rc->o->progress(rc->o->payload, &p);
}

/* The message of the last errored example, for failure reasons. */
static const char *last_error_of(const struct task_state *ts)
{
	size_t i = ts->n;

	while (i-- > 0)
		if (!ts->ok[i] && ts->error[i])
			return ts->error[i];
	return "unknown";
}

/* --- resuming -------------------------------------------------------------------------- */

/* The position of the example with split index `idx` (test_index is increasing), or -1. */
static ssize_t position_of(const struct bt_task *t, int64_t idx)
{
	size_t lo = 0, hi = t->n_test;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((int64_t)t->test_index[mid] < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->n_test && (int64_t)t->test_index[lo] == idx ? (ssize_t)lo : -1;
}

/* Rebuild one example's outcome from its stored sample (the inverse of bind_sample). */
static void restore_sample(struct task_state *ts, size_t i, sqlite3_stmt *st, struct bt_arena *a)
{
	const char *pred = (const char *)sqlite3_column_text(st, 1);
	const char *error = (const char *)sqlite3_column_text(st, 3);
	const char *detail = (const char *)sqlite3_column_text(st, 4);
	json_t *d = detail ? json_loads(detail, 0, NULL) : NULL;
	size_t j;

	ts->latency[i] = sqlite3_column_double(st, 2);
	if (error) {
		ts->error[i] = arena_str(a, error);
		ts->errors++;
		json_decref(d);
		return;
	}
	ts->ok[i] = 1;
	switch (ts->task.info.type) {
	case BENCHTOP_TASK_CLASSIFICATION: {
		json_t *sc = json_object_get(d, "scores");
		ts->y_pred[i] = pred ? label_index(ts, pred) : -1;
		if (ts->y_pred[i] < 0)
			ts->p_text[i] = arena_str(a, pred ? pred : "");
		if (json_array_size(sc) == ts->k && ts->scores) {
			for (j = 0; j < ts->k; j++)
				ts->scores[i * ts->k + j] =
				        json_number_value(json_array_get(sc, j));
			ts->has_scores = 1;
		}
		break;
	}
	case BENCHTOP_TASK_REGRESSION:
		/* Stored with the shortest exact decimal form: strtod gives the same double. */
		ts->p_value[i] = pred ? strtod(pred, NULL) : NAN;
		break;
	case BENCHTOP_TASK_GENERATION:
		ts->p_text[i] = arena_str(a, pred ? pred : "");
		break;
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		ts->p_choice[i] = json_integer_value(json_object_get(d, "choice"));
		break;
	case BENCHTOP_TASK_RETRIEVAL: {
		json_t *r = pred ? json_loads(pred, 0, NULL) : NULL;
		const char **ids = bt_arena_alloc(a, (json_array_size(r) + 1) * sizeof(char *));
		for (j = 0; j < json_array_size(r); j++)
			ids[j] = arena_str(a, json_string_value(json_array_get(r, j)));
		ts->ranking[i] = ids;
		ts->n_ranking[i] = json_array_size(r);
		json_decref(r);
		break;
	}
	}
	json_decref(d);
}

/*
 * Resuming: pick up what the run already holds for this task.  A finished
 * task (it has its metrics) is complete and skipped; an unfinished one gets
 * its stored samples back as outcomes and predicts only the rest.
 */
static int restore_task(struct run_ctx *rc, struct task_state *ts, int even_if_ended)
{
	sqlite3_stmt *st;
	int64_t id = 0;
	int r, ended = 0;

	r = bt_store_prepare(rc->s, &st,
	                     "SELECT id, ended_at FROM tasks WHERE run_id = ? AND name = ?");
	if (r)
		return r;
	sqlite3_bind_int64(st, 1, rc->run_id);
	sqlite3_bind_text(st, 2, ts->task.spec->name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		ended = sqlite3_column_type(st, 1) != SQLITE_NULL;
	}
	sqlite3_finalize(st);
	if (!id)
		return 0; /* never started: a fresh task */
	ts->task_id = id;
	if (ended && !even_if_ended) {
		ts->complete = 1;
		return 0;
	}
	r = bt_store_prepare(rc->s, &st,
	                     "SELECT idx, prediction, latency, error, detail FROM samples "
	                     "WHERE task_id = ? ORDER BY idx");
	if (r)
		return r;
	sqlite3_bind_int64(st, 1, id);
	memset(ts->left, 0xff, ts->n * sizeof(size_t)); /* (size_t)-1: not yet known */
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		ssize_t i = position_of(&ts->task, sqlite3_column_int64(st, 0));
		if (i < 0)
			continue;
		restore_sample(ts, (size_t)i, st, &ts->arenas[0]);
		ts->left[i] = 0; /* done */
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return bt_store_error(rc->s, r, "cannot read the run's samples");
	{
		size_t i, n = 0;
		for (i = 0; i < ts->n; i++)
			if (ts->left[i] == (size_t)-1)
				ts->left[n++] = i;
		ts->n_left = n;
	}
	return 0;
}

/* What predicts a task: in-process instances, or a pool of worker processes. */
struct executor {
	struct bt_instance **inst;
	int ninst;
	struct bt_pool *pool;
	int started;
};

/* Create (and fit) the task's model, in this process or in workers. */
static int executor_start(struct run_ctx *rc, struct task_state *ts, struct executor *ex)
{
	struct bt_pool_opts po;

	memset(ex, 0, sizeof(*ex));
	ex->started = 1;
	if (rc->o->no_isolate)
		return create_instances(rc, ts, &ex->inst, &ex->ninst);
	memset(&po, 0, sizeof(po));
	po.plugin_path = bt_plugin_path(rc->plugin);
	po.params = rc->o->params;
	po.task = &ts->task.info;
	po.train = ts->task.train;
	po.n_train = ts->task.n_train;
	po.timeout = rc->o->timeout;
	po.max_memory = rc->o->max_memory;
	po.log = rc->o->log;
	po.log_payload = rc->o->payload;
	po.record = record_file;
	po.record_payload = rc;
	po.prompt = &ts->task.prompt;
	return bt_pool_start(&ex->pool, &po, rc->nthreads);
}

static void executor_stop(struct executor *ex)
{
	bt_pool_stop(ex->pool);
	if (ex->inst)
		destroy_instances(ex->inst, ex->ninst);
	memset(ex, 0, sizeof(*ex));
}

/*
 * Evaluate one task.  `ex` may come already started (the first task's is
 * started before the run exists, so that a model that cannot even be
 * created writes nothing); run_task stops it either way.
 */
static int run_task(struct run_ctx *rc, struct task_state *ts, size_t ti, size_t nt,
                    struct executor *ex)
{
	struct writer w;
	struct task_metrics m = {0};
	int r, mr = 0, computed = 0;
	double t0, wall;

	outcomes_init(ts, rc->nthreads);
	if (rc->o->resume_id) {
		r = restore_task(rc, ts, 0);
		if (r || ts->complete)
			goto out;
	}
	if (!ts->task_id) {
		r = insert_task_row(rc, ts);
		if (r)
			goto out;
	}
	if (!ex->started && ts->n_left) {
		progress_phase(rc, ts, ti, nt, BT_PHASE_FIT);
		r = executor_start(rc, ts, ex);
		if (!r)
			r = recorded_flush(rc);
		if (r)
			goto out;
	}
	r = writer_start(&w, rc->s, ts, rc->o, rc->run_id, ti, nt);
	if (r)
		goto out;
	t0 = bt_monotonic();
	predict_all(rc, ts, ex->inst, ex->ninst, ex->pool, &w);
	wall = bt_monotonic() - t0;
	/*
	 * The metrics need the outcomes, not the stored samples: compute them
	 * while the writer drains its queue (the bootstrap and the writer then
	 * share the cores instead of taking turns), unless the task is about to
	 * fail anyway.  Throughput is examples per second of predicting,
	 * storing excluded.  No progress report here: the writer thread
	 * reports until it is finished.
	 */
	if (!rc->too_many_errors && !cancelled(rc->o)) {
		mr = compute_metrics(ts, wall, &m);
		computed = 1;
	}
	r = writer_finish(&w);
	/* A worker started during the task may have found a changed file. */
	if (!r)
		r = recorded_flush(rc);
	if (r)
		goto out;
	rc->errors_total += ts->errors;
	rc->examples_total += ts->n;
	if (rc->too_many_errors) {
		r = bt_error_set(BT_EFAIL,
		                 "more than %lld examples failed (--max-errors %lld); the last "
		                 "error, in task '%s', was: %s",
		                 (long long)rc->o->max_errors, (long long)rc->o->max_errors,
		                 ts->task.spec->name, last_error_of(ts));
		goto out;
	}
	if (cancelled(rc->o)) {
		r = bt_error_set(BT_EINTR, "interrupted during task '%s'", ts->task.spec->name);
		goto out;
	}
	progress_phase(rc, ts, ti, nt, BT_PHASE_METRICS);
	r = computed ? mr : compute_metrics(ts, wall, &m);
	if (!r)
		r = store_metrics(rc, ts, &m);
	if (!r)
		progress_phase(rc, ts, ti, nt, BT_PHASE_DONE);
out:
	task_metrics_release(&m);
	executor_stop(ex);
	return r;
}

/* --- heartbeat ------------------------------------------------------------------------- */

/*
 * While a run is alive its heartbeat moves, even through a long fit when no
 * sample is written: a thread with its own connection touches the run every
 * BEAT_SECONDS, so that `ls` and the dashboard only call a run stale when
 * its process is really gone.
 */
#define BEAT_SECONDS 10.0

struct beat {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop, started;
	struct bt_store *s;
	int64_t run_id;
};

static void *beat_main(void *arg)
{
	struct beat *b = arg;

	pthread_mutex_lock(&b->mu);
	while (!b->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)BEAT_SECONDS;
		if (pthread_cond_timedwait(&b->cv, &b->mu, &ts) == 0 || b->stop)
			continue;
		pthread_mutex_unlock(&b->mu);
		{
			sqlite3_stmt *st;
			if (bt_store_prepare(b->s, &st,
			                     "UPDATE runs SET heartbeat_at = ? WHERE id = ?") ==
			    0) {
				sqlite3_bind_double(st, 1, bt_now());
				sqlite3_bind_int64(st, 2, b->run_id);
				/* A missed beat is harmless; the next one comes soon. */
				bt_store_step_done(b->s, st, "heartbeat");
				sqlite3_finalize(st);
			}
		}
		pthread_mutex_lock(&b->mu);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

static void beat_start(struct beat *b, const char *path, int64_t run_id)
{
	memset(b, 0, sizeof(*b));
	b->run_id = run_id;
	if (bt_store_open(&b->s, path, 0) != 0) {
		bt_error_clear();
		return;
	}
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	if (pthread_create(&b->thread, NULL, beat_main, b) != 0) {
		bt_store_close(b->s);
		return;
	}
	b->started = 1;
}

static void beat_stop(struct beat *b)
{
	if (!b->started)
		return;
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	bt_store_close(b->s);
	b->started = 0;
}

/* --- the whole run -------------------------------------------------------------------- */

static int select_tasks(const struct bt_suite *suite, const struct bt_harness_opts *o, size_t **out,
                        size_t *n)
{
	size_t i, j;

	*out = bt_xcalloc(suite->ntasks + 1, sizeof(size_t));
	*n = 0;
	if (!o->ntasks) {
		for (i = 0; i < suite->ntasks; i++)
			(*out)[(*n)++] = i;
		return 0;
	}
	for (j = 0; j < o->ntasks; j++) {
		int idx = bt_suite_task(suite, o->tasks[j]);
		if (idx < 0) {
			const char **names = bt_xcalloc(suite->ntasks + 1, sizeof(char *));
			const char *s;
			for (i = 0; i < suite->ntasks; i++)
				names[i] = suite->tasks[i].name;
			s = bt_suggest(o->tasks[j], names, suite->ntasks);
			free(names);
			if (s)
				return bt_error_set(
				        BT_EUSAGE,
				        "suite '%s' has no task '%s' (did you mean '%s'?)",
				        suite->name, o->tasks[j], s);
			return bt_error_set(BT_EUSAGE, "suite '%s' has no task '%s'", suite->name,
			                    o->tasks[j]);
		}
		for (i = 0; i < *n; i++)
			if ((*out)[i] == (size_t)idx)
				break;
		if (i == *n)
			(*out)[(*n)++] = (size_t)idx;
	}
	return 0;
}

/*
 * May run `old` be resumed with these options?  Everything that shapes its
 * results must be as it was: the suite's data, the plugin binary, the
 * params and the seed.  A param of the run that was not given now goes to
 * `deferred`: it may be a file the model recorded (host->record_file),
 * which only creating the model can tell (check_recorded).
 */
static int check_resume(struct bt_store *s, const struct bt_harness_opts *o,
                        const struct bt_run *old, const char *hash, const char *plugin_sha,
                        const char *model, struct bt_params *deferred)
{
	sqlite3_stmt *st;
	size_t n = 0, i;
	int r;

	if (old->status == BT_RUN_FINISHED)
		return bt_error_set(BT_EINPUT, "run %lld is finished: there is nothing to resume",
		                    (long long)old->id);
	if (old->status == BT_RUN_RUNNING && !bt_run_is_stale(old, bt_now()))
		return bt_error_set(BT_EINPUT,
		                    "run %lld is still running (pid %lld on %s); resume it once it "
		                    "has stopped",
		                    (long long)old->id, (long long)old->pid,
		                    old->host ? old->host : "?");
	if (!old->kind || strcmp(old->kind, "eval") != 0)
		return bt_error_set(BT_EINPUT, "run %lld is not an evaluation", (long long)old->id);
	if (!old->suite_hash || strcmp(old->suite_hash, hash) != 0)
		return bt_error_set(BT_EINPUT,
		                    "cannot resume run %lld: the suite or its data changed since "
		                    "(sha256 %.12s then, %.12s now)",
		                    (long long)old->id, old->suite_hash ? old->suite_hash : "?",
		                    hash);
	if (!old->plugin_sha256 || strcmp(old->plugin_sha256, plugin_sha) != 0)
		return bt_error_set(BT_EINPUT,
		                    "cannot resume run %lld: plugin '%s' is not the binary it was "
		                    "made with (sha256 %.12s then, %.12s now)",
		                    (long long)old->id, model,
		                    old->plugin_sha256 ? old->plugin_sha256 : "?", plugin_sha);
	if (old->has_seed != o->has_seed || (o->has_seed && old->seed != (int64_t)o->seed))
		return bt_error_set(BT_EINPUT, "cannot resume run %lld: it was made with %s",
		                    (long long)old->id,
		                    old->has_seed ? "another --seed" : "no --seed");
	r = bt_store_prepare(s, &st, "SELECT key, value FROM params WHERE run_id = ?");
	if (r)
		return r;
	sqlite3_bind_int64(st, 1, old->id);
	while (!r && sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);
		const char *now = o->params ? bt_params_get(o->params, k) : NULL;
		if (!now) {
			bt_params_add(deferred, k, v);
			continue;
		}
		n++;
		if (strcmp(now, v) != 0)
			r = bt_error_set(BT_EINPUT,
			                 "cannot resume run %lld: it had param %s=%s, not %s",
			                 (long long)old->id, k, v, now ? now : "unset");
	}
	sqlite3_finalize(st);
	for (i = 0; !r && o->params && i < o->params->n; i++)
		if (i >= n)
			r = bt_error_set(BT_EINPUT, "cannot resume run %lld: it had no param '%s'",
			                 (long long)old->id, o->params->keys[i]);
	return r;
}

/*
 * Resuming, once the model was created: each param of the run that was not
 * given must be one the model recorded again, with the same value (else
 * the model file changed since).  Those are in the run already.
 */
static int check_recorded(struct run_ctx *rc, int64_t id, const struct bt_params *deferred)
{
	size_t i, j;
	int r = 0;

	pthread_mutex_lock(&rc->rec_mu);
	for (i = 0; !r && i < deferred->n; i++) {
		const char *now = bt_params_get(&rc->rec, deferred->keys[i]);
		if (!now || strcmp(now, deferred->values[i]) != 0)
			r = bt_error_set(BT_EINPUT,
			                 "cannot resume run %lld: it had param %s=%s, not %s",
			                 (long long)id, deferred->keys[i], deferred->values[i],
			                 now ? now : "unset");
	}
	/* What the run holds goes first, so that recorded_flush stores only the rest. */
	for (i = 0; !r && i < rc->rec.n; i++)
		if (bt_params_get(deferred, rc->rec.keys[i])) {
			for (j = i; j > rc->rec_stored; j--) {
				char *k = rc->rec.keys[j], *v = rc->rec.values[j];
				rc->rec.keys[j] = rc->rec.keys[j - 1];
				rc->rec.values[j] = rc->rec.values[j - 1];
				rc->rec.keys[j - 1] = k;
				rc->rec.values[j - 1] = v;
			}
			rc->rec_stored++;
		}
	pthread_mutex_unlock(&rc->rec_mu);
	return r;
}

/* Resuming: the first selected task the run has not finished (ntasks when none). */
static size_t first_unfinished(struct bt_store *s, int64_t id, const struct task_state *tasks,
                               size_t ntasks)
{
	sqlite3_stmt *st;
	size_t i;

	if (bt_store_prepare(s, &st,
	                     "SELECT 1 FROM tasks WHERE run_id = ? AND name = ? AND "
	                     "ended_at IS NOT NULL") != 0)
		return 0;
	for (i = 0; i < ntasks; i++) {
		int done;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, tasks[i].task.spec->name, -1, SQLITE_STATIC);
		done = sqlite3_step(st) == SQLITE_ROW;
		if (!done)
			break;
	}
	sqlite3_finalize(st);
	bt_error_clear();
	return i;
}

/* The suite's path as recorded: relative to the work tree's top when inside it. */
static char *recorded_path(const char *path, const char *workdir)
{
	char *abs = realpath(path, NULL);
	size_t n;

	if (!abs)
		return bt_xstrdup(path);
	if (workdir && (n = strlen(workdir)) && strncmp(abs, workdir, n) == 0 && abs[n] == '/') {
		char *rel = bt_xstrdup(abs + n + 1);
		free(abs);
		return rel;
	}
	return abs;
}

static void metric_opts(struct task_state *ts, const struct bt_harness_opts *o, int nthreads)
{
	const struct bt_task_spec *spec = ts->task.spec;

	memset(&ts->mopts, 0, sizeof(ts->mopts));
	ts->mopts.resamples = spec->bootstrap;
	ts->mopts.seed = o->has_seed ? o->seed : spec->has_seed ? spec->seed : 0;
	ts->mopts.level = 0.95;
	ts->mopts.normalize = spec->normalize;
	ts->mopts.k = spec->k > 0 ? spec->k : 10;
	ts->mopts.threads = nthreads;
}

/* Linux's SCHED_IDLE, which <sched.h> only names for _GNU_SOURCE. */
#ifdef SCHED_IDLE
#define BT_SCHED_IDLE SCHED_IDLE
#else
#define BT_SCHED_IDLE 5
#endif

/*
 * The suite hash reads every data file again, so it runs on a thread of
 * its own while the data is prepared, at idle priority: the parse uses
 * every core, and the checks after it leave one free.
 */
struct suite_hasher {
	pthread_t thread;
	const struct bt_suite *suite;
	char hash[65];
	int rc, started;
	char msg[1024];
};

static void *hasher_main(void *arg)
{
	struct suite_hasher *h = arg;
	struct sched_param idle = {0};

	/* Only on a core nothing else wants: the parse runs on all of them. */
	pthread_setschedparam(pthread_self(), BT_SCHED_IDLE, &idle);
	h->rc = bt_suite_hash(h->suite, h->hash);
	if (h->rc)
		snprintf(h->msg, sizeof(h->msg), "%s", bt_error_last());
	return NULL;
}

static void hasher_start(struct suite_hasher *h, const struct bt_suite *suite)
{
	memset(h, 0, sizeof(*h));
	h->suite = suite;
	h->started = pthread_create(&h->thread, NULL, hasher_main, h) == 0;
}

/* The hash in out[65]; hashes here when the thread could not start. */
static int hasher_finish(struct suite_hasher *h, char out[65])
{
	if (!h->started)
		return bt_suite_hash(h->suite, out);
	pthread_join(h->thread, NULL);
	h->started = 0;
	if (h->rc)
		return bt_error_set(h->rc, "%s", h->msg);
	memcpy(out, h->hash, sizeof(h->hash));
	return 0;
}

int bt_harness_run(struct bt_store *s, const struct bt_harness_opts *o,
                   struct bt_harness_result *out)
{
	struct bt_suite *suite = NULL;
	struct task_state *tasks = NULL;
	struct bt_git_info git;
	struct bt_run run;
	struct run_ctx rc;
	struct bt_task_opts topts;
	struct executor first = {0};
	struct suite_hasher hasher = {0};
	struct beat beat = {0};
	struct bt_lock *lock = NULL;
	struct bt_params deferred = {0};
	size_t *sel = NULL, nsel = 0, i, prepared = 0, first_at = 0;
	char hash[65];
	int r;

	memset(out, 0, sizeof(*out));
	memset(&git, 0, sizeof(git));
	memset(&run, 0, sizeof(run));
	memset(&rc, 0, sizeof(rc));
	rc.s = s;
	rc.o = o;
	pthread_mutex_init(&rc.rec_mu, NULL);

	/* Everything that can be wrong with the input is found before the run exists. */
	r = bt_suite_load(&suite, o->suite_path);
	if (r)
		goto out;
	/* Data named by URL comes from the verified cache (fetched now if missing). */
	for (i = 0; i < suite->ntasks; i++)
		if (suite->tasks[i].test.url || suite->tasks[i].train.url)
			break;
	if (i < suite->ntasks) {
		struct bt_fetch_opts defaults;
		const struct bt_fetch_opts *fo = o->fetch;
		if (!fo) {
			r = bt_fetch_opts_init(&defaults);
			if (r)
				goto out;
			fo = &defaults;
		}
		r = bt_fetch_suite(fo, suite);
		if (r)
			goto out;
	}
	r = select_tasks(suite, o, &sel, &nsel);
	if (r)
		goto out;
	hasher_start(&hasher, suite);
	memset(&topts, 0, sizeof(topts));
	topts.limit = o->limit;
	topts.shard_index = o->shard_index;
	topts.shard_count = o->shard_count;
	topts.seed = o->has_seed ? o->seed : 0;
	tasks = bt_xcalloc(nsel, sizeof(*tasks));
	for (i = 0; i < nsel; i++) {
		r = bt_task_prepare(&tasks[i].task, suite, sel[i], &topts);
		if (r)
			goto out;
		prepared++;
	}
	r = bt_plugin_load(&rc.plugin, o->plugin);
	if (r)
		goto out;
	rc.desc = bt_plugin_desc(rc.plugin);
	/*
	 * Tasks of a type the plugin cannot do: an error when asked for by name,
	 * otherwise skipped with a warning, so one suite can serve models of
	 * different kinds (a classifier skips the regression task).
	 */
	for (i = 0; i < nsel; i++) {
		const struct bt_task *t = &tasks[i].task;
		if (rc.desc->tasks & BENCHTOP_TASK_BIT(t->info.type))
			continue;
		if (o->ntasks) {
			r = bt_error_set(
			        BT_EINPUT, "plugin '%s' does not support %s tasks (task '%s')",
			        rc.desc->name, bt_task_type_name(t->info.type), t->spec->name);
			goto out;
		}
		report(o, BENCHTOP_LOG_WARN, "skipping task '%s': plugin '%s' does not do %s tasks",
		       t->spec->name, rc.desc->name, bt_task_type_name(t->info.type));
		bt_task_release(&tasks[i].task);
		memmove(&tasks[i], &tasks[i + 1], (nsel - i - 1) * sizeof(*tasks));
		nsel--;
		prepared--;
		i--;
	}
	if (!nsel) {
		r = bt_error_set(BT_EINPUT, "plugin '%s' can do none of the tasks of suite '%s'",
		                 rc.desc->name, suite->name);
		goto out;
	}
	for (i = 0; i < nsel; i++) {
		const struct bt_task *t = &tasks[i].task;
		if ((rc.desc->flags & BENCHTOP_PLUGIN_NEEDS_TRAIN) && !t->n_train) {
			r = bt_error_set(
			        BT_EINPUT,
			        "plugin '%s' needs training data but task '%s' has no train "
			        "split",
			        rc.desc->name, t->spec->name);
			goto out;
		}
	}
	if (o->lock) {
		r = bt_lock_acquire(&lock, bt_store_path(s), suite->name, rc.desc->name,
		                    o->lock_wait, "benchtop run");
		if (r)
			goto out;
	}
	r = hasher_finish(&hasher, hash);
	if (r)
		goto out;
	r = bt_git_capture(&git, o->cwd);
	if (r)
		goto out;

	rc.nthreads = o->threads;
#ifdef _OPENMP
	if (rc.nthreads <= 0)
		rc.nthreads = omp_get_num_procs();
#endif
	if (rc.nthreads <= 0)
		rc.nthreads = 1;
	rc.batch = o->batch_size;
	if (!rc.batch)
		rc.batch = (rc.desc->flags & BENCHTOP_PLUGIN_BATCH)
		                   ? (rc.desc->preferred_batch ? rc.desc->preferred_batch : 256)
		                   : 1;

	run.kind = bt_xstrdup("eval");
	run.name = o->name ? bt_xstrdup(o->name) : NULL;
	run.suite = bt_xstrdup(suite->name);
	run.suite_version = suite->version ? bt_xstrdup(suite->version) : NULL;
	run.suite_hash = bt_xstrdup(hash);
	run.suite_path = recorded_path(o->suite_path, git.workdir);
	run.model = bt_xstrdup(rc.desc->name);
	run.model_version = rc.desc->version ? bt_xstrdup(rc.desc->version) : NULL;
	run.plugin_sha256 = bt_xstrdup(bt_plugin_sha256(rc.plugin));
	run.command = o->command_json ? bt_xstrdup(o->command_json) : NULL;
	run.cwd = o->cwd ? bt_xstrdup(o->cwd) : NULL;
	/* NULL when not given: then each task's own suite seed was used. */
	run.has_seed = o->has_seed;
	run.seed = (int64_t)o->seed;
	for (i = 0; i < nsel; i++)
		run.progress_total += (int64_t)tasks[i].task.n_test;
	if (o->shard_count) {
		run.shard_index = o->shard_index;
		run.shard_count = o->shard_count;
		run.shard_group = o->shard_group ? bt_xstrdup(o->shard_group) : NULL;
	}
	if (o->resume_id) {
		/* Resuming: the run exists; everything that shapes results must match it. */
		bt_run_release(&run);
		r = bt_run_load(s, o->resume_id, &run);
		if (!r)
			r = check_resume(s, o, &run, hash, bt_plugin_sha256(rc.plugin),
			                 rc.desc->name, &deferred);
		if (r)
			goto out;
		/*
		 * The model of the first task left is created (and trained) before
		 * the run is reopened, as for a new run, and so tells which of the
		 * run's params it records.
		 */
		first_at = first_unfinished(s, run.id, tasks, nsel);
		if (first_at < nsel) {
			progress_phase(&rc, &tasks[first_at], first_at, nsel, BT_PHASE_FIT);
			r = executor_start(&rc, &tasks[first_at], &first);
			if (!r)
				r = recorded_flush(&rc);
			if (!r)
				r = check_recorded(&rc, run.id, &deferred);
			if (r)
				goto out;
		}
		if (git.sha[0] && run.git_sha && strcmp(git.sha, run.git_sha) != 0)
			report(o, BENCHTOP_LOG_WARN,
			       "resuming run %lld made at commit %.12s while HEAD is %.12s; the "
			       "run "
			       "keeps its commit",
			       (long long)run.id, run.git_sha, git.sha);
		r = bt_run_reopen(s, run.id);
		if (r)
			goto out;
	} else {
		/* The first model is created (and trained) before the run exists: bad params write nothing. */
		struct bt_params all = {0};
		progress_phase(&rc, &tasks[0], 0, nsel, BT_PHASE_FIT);
		r = executor_start(&rc, &tasks[0], &first);
		if (!r)
			r = recorded_flush(&rc);
		if (r)
			goto out;
		/* The params given, then the files the model recorded. */
		for (i = 0; o->params && i < o->params->n; i++)
			bt_params_add(&all, o->params->keys[i], o->params->values[i]);
		pthread_mutex_lock(&rc.rec_mu);
		for (i = 0; i < rc.rec.n; i++)
			bt_params_add(&all, rc.rec.keys[i], rc.rec.values[i]);
		rc.rec_stored = rc.rec.n;
		pthread_mutex_unlock(&rc.rec_mu);
		r = bt_run_create(s, &run, &git, (const char *const *)all.keys,
		                  (const char *const *)all.values, all.n, o->tags, o->ntags);
		bt_params_release(&all);
		if (r)
			goto out;
	}
	rc.run_id = out->run_id = run.id;
	memcpy(out->uuid, run.uuid, sizeof(out->uuid));
	/* Resuming: what the model recorded that the run did not hold yet. */
	if (o->resume_id)
		r = recorded_flush(&rc);
	if (git.sha[0] && !o->resume_id) {
		struct bt_git_commit c;
		/* Commit metadata is a cache for views: failing to store it is not fatal. */
		if (bt_git_commit_lookup(&c, o->cwd, git.sha) == 0) {
			bt_run_cache_commit(s, &c);
			bt_git_commit_release(&c);
		}
		bt_error_clear();
	}

	beat_start(&beat, bt_store_path(s), run.id);
	for (i = 0; i < nsel && !r; i++) {
		struct executor later = {0};
		metric_opts(&tasks[i], o, rc.nthreads);
		r = run_task(&rc, &tasks[i], i, nsel, i == first_at ? &first : &later);
		if (tasks[i].ok)
			outcomes_release(&tasks[i]);
	}
	beat_stop(&beat);
	out->examples = rc.examples_total;
	out->errors = rc.errors_total;
	if (!r) {
		out->status = BT_RUN_FINISHED;
		r = bt_run_finish(s, run.id, BT_RUN_FINISHED, NULL);
	} else {
		/* Keep the failure's message: finishing the run may overwrite it. */
		char reason[1024];
		int code = r;
		snprintf(reason, sizeof(reason), "%s", bt_error_last());
		out->status = code == BT_EINTR ? BT_RUN_INTERRUPTED : BT_RUN_FAILED;
		bt_run_finish(s, run.id, (enum bt_run_status)out->status, reason);
		r = bt_error_set(code, "%s", reason);
	}
out:
	if (hasher.started)
		pthread_join(hasher.thread, NULL);
	executor_stop(&first);
	bt_lock_release(lock);
	if (rc.plugin)
		bt_plugin_unload(rc.plugin);
	for (i = 0; i < prepared; i++)
		bt_task_release(&tasks[i].task);
	free(tasks);
	free(sel);
	bt_run_release(&run);
	bt_git_info_release(&git);
	bt_suite_free(suite);
	bt_params_release(&deferred);
	bt_params_release(&rc.rec);
	free(rc.rec_conflict);
	pthread_mutex_destroy(&rc.rec_mu);
	return r;
}

/* --- recomputing a run's metrics from its samples ------------------------------------ */

int bt_harness_recompute(struct bt_store *s, int64_t run_id, const struct bt_fetch_opts *fetch)
{
	struct bt_harness_opts o;
	struct bt_suite *suite = NULL;
	struct bt_run run;
	struct run_ctx rc;
	struct bt_task_opts topts;
	sqlite3_stmt *st = NULL;
	char *path = NULL;
	int r, nthreads = 1;

	memset(&o, 0, sizeof(o));
	memset(&rc, 0, sizeof(rc));
	r = bt_run_load(s, run_id, &run);
	if (r)
		return r;
	if (!run.suite_path) {
		r = bt_error_set(BT_EINPUT, "run %lld records no suite file", (long long)run_id);
		goto out;
	}
	/* Recorded relative to the work tree's top (see recorded_path), else as given. */
	if (run.suite_path[0] == '/')
		path = bt_xstrdup(run.suite_path);
	else
		path = bt_path_join(run.git_workdir ? run.git_workdir
		                    : run.cwd       ? run.cwd
		                                    : ".",
		                    run.suite_path);
	r = bt_suite_load(&suite, path);
	if (!r && fetch)
		r = bt_fetch_suite(fetch, suite);
	if (r) {
		bt_error_prefix("cannot recompute run %lld: ", (long long)run_id);
		goto out;
	}
	o.has_seed = run.has_seed;
	o.seed = (uint64_t)run.seed;
	rc.s = s;
	rc.o = &o;
	rc.run_id = run_id;
#ifdef _OPENMP
	nthreads = omp_get_num_procs();
#endif
	memset(&topts, 0, sizeof(topts));
	topts.seed = (uint64_t)run.seed;
	r = bt_store_prepare(s, &st, "SELECT name FROM tasks WHERE run_id = ? ORDER BY id");
	if (r)
		goto out;
	sqlite3_bind_int64(st, 1, run_id);
	while (!r && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		struct task_state ts;
		double wall = 0;
		size_t i;
		int idx = bt_suite_task(suite, name);

		if (idx < 0) {
			r = bt_error_set(BT_EINPUT, "suite '%s' has no task '%s' any more",
			                 suite->name, name);
			break;
		}
		memset(&ts, 0, sizeof(ts));
		r = bt_task_prepare(&ts.task, suite, (size_t)idx, &topts);
		if (r)
			break;
		outcomes_init(&ts, nthreads);
		metric_opts(&ts, &o, nthreads);
		/* Every example must have a sample, exactly as an uninterrupted run has. */
		r = restore_task(&rc, &ts, 1);
		if (!r && ts.n_left)
			r = bt_error_set(
			        BT_EINPUT,
			        "run %lld has no sample for %zu of the %zu examples of task '%s'",
			        (long long)run_id, ts.n_left, ts.n, name);
		/* Throughput over the time spent predicting: the shards' wall clocks are gone. */
		for (i = 0; !r && i < ts.n; i++)
			wall += ts.latency[i];
		if (!r) {
			struct task_metrics m = {0};
			r = compute_metrics(&ts, wall, &m);
			if (!r)
				r = store_metrics(&rc, &ts, &m);
			task_metrics_release(&m);
		}
		outcomes_release(&ts);
		bt_task_release(&ts.task);
	}
out:
	sqlite3_finalize(st);
	bt_suite_free(suite);
	free(path);
	bt_run_release(&run);
	return r;
}
