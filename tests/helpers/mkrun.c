/*
 * mkrun.c - make runs for tests through the real core (bt_run_create and
 * friends), without a model: the fixture maker for CLI and dashboard tests.
 *
 *   mkrun --db PATH [--name N] [--kind eval|exec] [--suite S] [--model M]
 *         [--status S] [--reason R] [--started EPOCH] [--duration SECONDS]
 *         [--param K=V]... [--tag T]... [--note TEXT] [--suite-hash H]
 *         [--metric TASK/METRIC=VALUE[:LOW:HIGH]]...
 *         [--series KEY=STEP:VALUE[,STEP:VALUE...]]...
 *         [--samples TASK:N:ACCURACY[:SEED]]... [--pid N] [--host H] [--no-git]
 *
 * Git state is captured from the current directory unless --no-git.
 * Prints the new run's id.  Samples are classification samples whose
 * correctness is drawn with the given accuracy from a seeded generator, so
 * two runs with the same seed share outcomes example by example.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "git.h"
#include "run.h"
#include "store.h"
#include "util.h"

static void die(const char *what)
{
	fprintf(stderr, "mkrun: %s: %s\n", what, bt_error_last());
	exit(1);
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void add_samples(struct bt_store *s, int64_t run, const char *spec)
{
	char task[128];
	long n = 0;
	double acc = 0;
	unsigned long long seed = 1;
	sqlite3_stmt *st;
	int64_t task_id;
	int64_t correct = 0;
	uint64_t state;
	long i;

	if (sscanf(spec, "%127[^:]:%ld:%lf:%llu", task, &n, &acc, &seed) < 3) {
		fprintf(stderr, "mkrun: bad --samples '%s'\n", spec);
		exit(2);
	}
	if (bt_store_begin(s))
		die("begin");
	if (bt_store_prepare(s, &st,
	                     "INSERT INTO tasks (run_id, name, type, n_examples, labels) "
	                     "VALUES (?, ?, 'classification', ?, '[\"no\",\"yes\"]')"))
		die("prepare");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, task, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, n);
	if (bt_store_step_done(s, st, "insert task"))
		die("insert task");
	sqlite3_finalize(st);
	task_id = sqlite3_last_insert_rowid(bt_store_handle(s));
	if (bt_store_prepare(s, &st,
	                     "INSERT INTO samples (task_id, idx, example_id, prediction, "
	                     "target, correct, latency) VALUES (?, ?, ?, ?, 'yes', ?, ?)"))
		die("prepare");
	state = seed;
	for (i = 0; i < n; i++) {
		char id[32];
		/* Per-example draws: the same seed gives the same outcome per example. */
		uint64_t r = rng_next(&state);
		int ok = (double)(r >> 11) / 9007199254740992.0 < acc;
		correct += ok;
		snprintf(id, sizeof(id), "ex%ld", i);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, task_id);
		sqlite3_bind_int64(st, 2, i);
		sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, ok ? "yes" : "no", -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 5, ok);
		sqlite3_bind_double(st, 6, 0.001 + (double)(r & 1023) / 1e6);
		if (bt_store_step_done(s, st, "insert sample"))
			die("insert sample");
	}
	sqlite3_finalize(st);
	{
		struct bt_metric_row m = {
		        task, "accuracy", n ? (double)correct / (double)n : 0, 0, 0, 0, n, 0};
		if (bt_run_put_metric(s, run, &m))
			die("metric");
	}
	if (bt_store_commit(s))
		die("commit");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"name", required_argument, NULL, 'n'},
	        {"kind", required_argument, NULL, 'k'},
	        {"suite", required_argument, NULL, 's'},
	        {"model", required_argument, NULL, 'm'},
	        {"status", required_argument, NULL, 'S'},
	        {"reason", required_argument, NULL, 'R'},
	        {"started", required_argument, NULL, 't'},
	        {"duration", required_argument, NULL, 'D'},
	        {"param", required_argument, NULL, 'p'},
	        {"tag", required_argument, NULL, 'T'},
	        {"note", required_argument, NULL, 'N'},
	        {"metric", required_argument, NULL, 'M'},
	        {"series", required_argument, NULL, 'x'},
	        {"samples", required_argument, NULL, 'a'},
	        {"pid", required_argument, NULL, 'P'},
	        {"host", required_argument, NULL, 'H'},
	        {"no-git", no_argument, NULL, 'G'},
	        {"suite-hash", required_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *status = "finished", *reason = NULL, *pkeys[64], *pvals[64],
	           *tags[64], *metrics[64], *series[64], *samples[64];
	size_t np = 0, nt = 0, nm = 0, ns = 0, nsa = 0, i;
	double started = 0, duration = 1;
	int use_git = 1, c, st;
	struct bt_git_info git;
	struct bt_store *s;
	struct bt_run r;

	memset(&r, 0, sizeof(r));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'n':
			r.name = bt_xstrdup(optarg);
			break;
		case 'k':
			r.kind = bt_xstrdup(optarg);
			break;
		case 's':
			r.suite = bt_xstrdup(optarg);
			break;
		case 'm':
			r.model = bt_xstrdup(optarg);
			break;
		case 'S':
			status = optarg;
			break;
		case 'R':
			reason = optarg;
			break;
		case 't':
			started = atof(optarg);
			break;
		case 'D':
			duration = atof(optarg);
			break;
		case 'p': {
			char *eq = strchr(optarg, '=');
			if (!eq || np >= 64)
				return 2;
			*eq = '\0';
			pkeys[np] = optarg;
			pvals[np++] = eq + 1;
			break;
		}
		case 'T':
			if (nt < 64)
				tags[nt++] = optarg;
			break;
		case 'N':
			r.note = bt_xstrdup(optarg);
			break;
		case 'M':
			if (nm < 64)
				metrics[nm++] = optarg;
			break;
		case 'x':
			if (ns < 64)
				series[ns++] = optarg;
			break;
		case 'a':
			if (nsa < 64)
				samples[nsa++] = optarg;
			break;
		case 'P':
			r.pid = atoll(optarg);
			break;
		case 'H':
			r.host = bt_xstrdup(optarg);
			break;
		case 'G':
			use_git = 0;
			break;
		case 'h':
			r.suite_hash = bt_xstrdup(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!db) {
		fprintf(stderr, "mkrun: --db is required\n");
		return 2;
	}
	memset(&git, 0, sizeof(git));
	if (use_git && bt_git_capture(&git, ".") != 0)
		die("git");
	if (started > 0)
		r.started_at = started;
	if (bt_store_open(&s, db, BT_STORE_CREATE))
		die("open");
	if (bt_run_create(s, &r, use_git ? &git : NULL, pkeys, pvals, np, tags, nt))
		die("create");
	for (i = 0; i < nm; i++) {
		char task[128], name[128];
		double v, lo = 0, hi = 0;
		int k = sscanf(metrics[i], "%127[^/]/%127[^=]=%lf:%lf:%lf", task, name, &v, &lo,
		               &hi);
		struct bt_metric_row m = {task, name, v, lo, hi, (hi - lo) / 4, 100, k == 5};
		if (k < 3) {
			fprintf(stderr, "mkrun: bad --metric '%s'\n", metrics[i]);
			return 2;
		}
		if (bt_run_put_metric(s, r.id, &m))
			die("metric");
	}
	for (i = 0; i < ns; i++) {
		char *eq = strchr(series[i], '='), *tok, *save = NULL;
		sqlite3_stmt *q;
		if (!eq)
			return 2;
		*eq = '\0';
		if (bt_store_prepare(s, &q,
		                     "INSERT INTO series (run_id, key, step, value, wall_time) "
		                     "VALUES (?, ?, ?, ?, ?)"))
			die("prepare");
		for (tok = strtok_r(eq + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			long step;
			double v;
			if (sscanf(tok, "%ld:%lf", &step, &v) != 2)
				return 2;
			sqlite3_reset(q);
			sqlite3_bind_int64(q, 1, r.id);
			sqlite3_bind_text(q, 2, series[i], -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(q, 3, step);
			sqlite3_bind_double(q, 4, v);
			sqlite3_bind_double(q, 5, r.started_at + (double)step);
			if (bt_store_step_done(s, q, "series"))
				die("series");
		}
		sqlite3_finalize(q);
	}
	for (i = 0; i < nsa; i++)
		add_samples(s, r.id, samples[i]);
	st = bt_run_status_parse(status);
	if (st < 0) {
		fprintf(stderr, "mkrun: bad --status '%s'\n", status);
		return 2;
	}
	if (st != BT_RUN_RUNNING) {
		sqlite3_stmt *q;
		if (bt_run_finish(s, r.id, (enum bt_run_status)st, reason))
			die("finish");
		/* A fixed duration keeps listings deterministic. */
		if (bt_store_prepare(s, &q,
		                     "UPDATE runs SET ended_at = started_at + ? WHERE id = ?"))
			die("prepare");
		sqlite3_bind_double(q, 1, duration);
		sqlite3_bind_int64(q, 2, r.id);
		if (bt_store_step_done(s, q, "duration"))
			die("duration");
		sqlite3_finalize(q);
	}
	printf("%lld\n", (long long)r.id);
	bt_run_release(&r);
	bt_git_info_release(&git);
	bt_store_close(s);
	return 0;
}
