/*
 * isolate.c - worker processes for model plugins (see isolate.h).
 *
 * Parent side: a pool of lanes, each owning at most one worker; INIT is
 * encoded once per task and replayed to every worker started.  Worker side:
 * bt_worker_main(), which loads the plugin, creates and fits one instance
 * and then answers BATCH frames until QUIT or end of input.
 *
 * Workers are started with posix_spawn (vfork and exec underneath), never
 * with a bare fork: the parent may already have run OpenMP regions, after
 * which a forked child that used OpenMP would hang (TRAPS.md, item 1).
 */
/* pipe2(): pipes must be close-on-exec from birth, or a worker started by
 * another lane in the same instant inherits them and EOF never comes. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "data.h"
#include "error.h"
#include "isolate.h"
#include "util.h"
#include "wire.h"

extern char **environ;

/* The descriptors a worker reads requests from and writes replies to. */
#define WORKER_IN_FD  3
#define WORKER_OUT_FD 4

/* --- the parent side ------------------------------------------------------------------- */

struct lane {
	pid_t pid;    /* 0: no worker */
	int to, from; /* our ends of the pipes */
	struct bt_buf in, out;
	struct bt_arena arena;
	int killed; /* we sent SIGKILL (timeout), so the death is ours */
};

struct bt_pool {
	struct bt_pool_opts o;
	struct sigaction old_pipe; /* restored by bt_pool_stop */
	char *exe;
	struct bt_buf init; /* the INIT payload, encoded once */
	struct lane *lanes;
	int nlanes;
};

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "SIGSEGV";
	case SIGABRT:
		return "SIGABRT";
	case SIGBUS:
		return "SIGBUS";
	case SIGFPE:
		return "SIGFPE";
	case SIGILL:
		return "SIGILL";
	case SIGKILL:
		return "SIGKILL";
	case SIGTERM:
		return "SIGTERM";
	case SIGPIPE:
		return "SIGPIPE";
	case SIGXCPU:
		return "SIGXCPU";
	case SIGTRAP:
		return "SIGTRAP";
	case SIGSYS:
		return "SIGSYS";
	default:
		return "signal";
	}
}

static void format_size(char *buf, size_t n, uint64_t bytes)
{
	if (bytes >= (1ULL << 30) && bytes % (1ULL << 30) == 0)
		snprintf(buf, n, "%lluG", (unsigned long long)(bytes >> 30));
	else if (bytes >= (1ULL << 20))
		snprintf(buf, n, "%lluM", (unsigned long long)(bytes >> 20));
	else
		snprintf(buf, n, "%llu bytes", (unsigned long long)bytes);
}

/* Reap a dead (or killed) worker and describe how it ended. */
static void reap(struct bt_pool *p, struct lane *l, char *why, size_t n)
{
	struct rusage ru;
	int status = 0;
	pid_t r;

	if (l->to >= 0)
		close(l->to);
	if (l->from >= 0)
		close(l->from);
	l->to = l->from = -1;
	if (!l->pid)
		return;
	do
		r = wait4(l->pid, &status, 0, &ru);
	while (r < 0 && errno == EINTR);
	l->pid = 0;
	if (!why)
		return;
	if (r < 0) {
		snprintf(why, n, "worker lost: %s", strerror(errno));
		return;
	}
	if (p->o.max_memory && !l->killed &&
	    ((uint64_t)ru.ru_maxrss * 1024 >= p->o.max_memory / 4 * 3 ||
	     (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))) {
		char size[32];
		format_size(size, sizeof(size), p->o.max_memory);
		snprintf(why, n, "out of memory (limit %s)", size);
	} else if (WIFSIGNALED(status)) {
		if (WTERMSIG(status) == SIGKILL && !l->killed)
			snprintf(why, n, "signal 9 (SIGKILL), probably the kernel's OOM killer");
		else
			snprintf(why, n, "signal %d (%s)", WTERMSIG(status),
			         signal_name(WTERMSIG(status)));
	} else if (WIFEXITED(status)) {
		snprintf(why, n, "exit status %d", WEXITSTATUS(status));
	} else {
		snprintf(why, n, "worker ended unexpectedly");
	}
}

static void kill_worker(struct lane *l)
{
	if (l->pid) {
		l->killed = 1;
		kill(l->pid, SIGKILL);
	}
}

/*
 * Wait for the reply to a request, passing log frames through.  Returns 0
 * with the reply in l->in, BT_EINTR on timeout, BT_EIO when the worker died
 * or spoke nonsense.
 */
static int await(struct bt_pool *p, struct lane *l, uint8_t *type, double timeout)
{
	double deadline = timeout > 0 ? bt_monotonic() + timeout : -1;
	int rc;

	for (;;) {
		double left = deadline < 0 ? -1 : deadline - bt_monotonic();
		if (deadline >= 0 && left <= 0)
			return BT_EINTR;
		rc = bt_wire_recv(l->from, type, &l->in, left);
		if (rc)
			return rc;
		if (*type == BT_WIRE_RECORD) {
			struct bt_wire_reader r = {l->in.ptr, l->in.ptr + l->in.len, 0};
			const char *key = bt_wire_get_str(&r, NULL);
			const char *sha = bt_wire_get_str(&r, NULL);
			/* A conflict is the callback's to keep: the harness fails the run on it. */
			if (!r.bad && key && sha && p->o.record)
				p->o.record(p->o.record_payload, key, sha);
			continue;
		}
		if (*type != BT_WIRE_LOG)
			return 0;
		if (p->o.log) {
			struct bt_wire_reader r = {l->in.ptr, l->in.ptr + l->in.len, 0};
			uint8_t level = bt_wire_get_u8(&r);
			const char *msg = bt_wire_get_str(&r, NULL);
			if (!r.bad && msg)
				p->o.log(p->o.log_payload, (enum benchtop_log_level)level, msg);
		}
	}
}

/* Start a worker on lane `l` and take it through INIT.  `why` gets the failure. */
static int spawn(struct bt_pool *p, struct lane *l, char *why, size_t n)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = {p->exe, "__worker", NULL};
	int to[2] = {-1, -1}, from[2] = {-1, -1}, rc;
	uint8_t type;

	l->killed = 0;
	if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0) {
		snprintf(why, n, "cannot create pipes: %s", strerror(errno));
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, to[0], WORKER_IN_FD);
	posix_spawn_file_actions_adddup2(&fa, from[1], WORKER_OUT_FD);
	rc = posix_spawn(&l->pid, p->exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(to[0]);
	close(from[1]);
	to[0] = from[1] = -1;
	if (rc != 0) {
		l->pid = 0;
		snprintf(why, n, "cannot start a worker process: %s", strerror(rc));
		goto fail;
	}
	l->to = to[1];
	l->from = from[0];
	rc = bt_wire_send(l->to, BT_WIRE_INIT, &p->init);
	if (!rc)
		rc = await(p, l, &type, -1);
	if (rc) {
		char cause[256];
		reap(p, l, cause, sizeof(cause));
		snprintf(why, n,
		         "the plugin's worker died while creating and training the model: %s",
		         cause);
		return BT_EPLUGIN;
	}
	if (type == BT_WIRE_ERROR) {
		struct bt_wire_reader r = {l->in.ptr, l->in.ptr + l->in.len, 0};
		int code = -(int)bt_wire_get_u32(&r);
		const char *msg = bt_wire_get_str(&r, NULL);
		snprintf(why, n, "%s", msg ? msg : "the worker failed to start");
		bt_wire_send(l->to, BT_WIRE_QUIT, NULL);
		reap(p, l, NULL, 0);
		return r.bad || code >= 0 ? BT_EPLUGIN : code;
	}
	if (type != BT_WIRE_READY) {
		snprintf(why, n, "the worker answered INIT with frame type %u", type);
		kill_worker(l);
		reap(p, l, NULL, 0);
		return BT_EPLUGIN;
	}
	return 0;
fail:
	if (to[0] >= 0)
		close(to[0]);
	if (to[1] >= 0)
		close(to[1]);
	if (from[0] >= 0)
		close(from[0]);
	if (from[1] >= 0)
		close(from[1]);
	return BT_ERROR;
}

int bt_pool_start(struct bt_pool **out, const struct bt_pool_opts *o, int lanes)
{
	struct bt_pool *p;
	char exe[PATH_MAX], why[512];
	ssize_t len;
	size_t i;
	int rc;

	*out = NULL;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return bt_error_set(BT_ERROR, "cannot find the benchtop executable for workers: %s",
		                    strerror(errno));
	exe[len] = '\0';
	p = bt_xcalloc(1, sizeof(*p));
	p->o = *o;
	/*
	 * A worker that dies closes its pipe; writing to it must be an error we
	 * handle (EPIPE), not a SIGPIPE that kills the harness.
	 */
	{
		struct sigaction ign;
		memset(&ign, 0, sizeof(ign));
		ign.sa_handler = SIG_IGN;
		sigemptyset(&ign.sa_mask);
		sigaction(SIGPIPE, &ign, &p->old_pipe);
	}
	p->exe = bt_xstrdup(exe);
	p->nlanes = lanes < 1 ? 1 : lanes;
	p->lanes = bt_xcalloc((size_t)p->nlanes, sizeof(*p->lanes));
	for (i = 0; i < (size_t)p->nlanes; i++)
		p->lanes[i].to = p->lanes[i].from = -1;

	bt_wire_u32(&p->init, BT_WIRE_MAGIC);
	bt_wire_str(&p->init, o->plugin_path);
	bt_wire_u32(&p->init, (uint32_t)(o->params ? o->params->n : 0));
	for (i = 0; o->params && i < o->params->n; i++) {
		bt_wire_str(&p->init, o->params->keys[i]);
		bt_wire_str(&p->init, o->params->values[i]);
	}
	bt_wire_u64(&p->init, o->max_memory);
	bt_wire_put_task(&p->init, o->task);
	bt_wire_put_prompt(&p->init, o->prompt);
	bt_wire_put_examples(&p->init, o->train, o->n_train, 1, NULL);

	rc = spawn(p, &p->lanes[0], why, sizeof(why));
	if (rc) {
		bt_pool_stop(p);
		return bt_error_set(rc, "%s", why);
	}
	*out = p;
	return 0;
}

/* One request on a lane: 0 with predictions, or the failure's description. */
static int request(struct bt_pool *p, struct lane *l, const struct benchtop_example *ex, size_t n,
                   struct benchtop_prediction **pred, const char ***ann, double *elapsed, char *why,
                   size_t whyn, int *batch_error)
{
	struct bt_wire_reader r;
	uint8_t type;
	size_t got, nann = 0;
	int rc;

	*batch_error = 0;
	if (!l->pid) {
		rc = spawn(p, l, why, whyn);
		if (rc)
			return rc;
	}
	bt_buf_reset(&l->out);
	/* Shots are train examples: sent as positions in the train split INIT carried. */
	bt_wire_put_examples(&l->out, ex, n, 0, p->o.train);
	rc = bt_wire_send(l->to, BT_WIRE_BATCH, &l->out);
	if (!rc)
		rc = await(p, l, &type, p->o.timeout);
	if (rc == BT_EINTR) {
		kill_worker(l);
		reap(p, l, NULL, 0);
		snprintf(why, whyn, "timeout after %gs", p->o.timeout);
		return BT_EINTR;
	}
	if (rc) {
		reap(p, l, why, whyn);
		return BT_EIO;
	}
	r.p = l->in.ptr;
	r.end = l->in.ptr + l->in.len;
	r.bad = 0;
	if (type == BT_WIRE_ERROR) {
		const char *msg;
		bt_wire_get_u32(&r);
		msg = bt_wire_get_str(&r, NULL);
		snprintf(why, whyn, "%s", msg ? msg : "predict failed");
		*batch_error = 1;
		return BT_EPLUGIN;
	}
	*elapsed = bt_wire_get_f64(&r);
	bt_arena_free(&l->arena);
	if (type == BT_WIRE_RESULT && bt_wire_get_predictions(&r, &l->arena, pred, &got) == 0)
		*ann = bt_wire_get_strings(&r, &l->arena, &nann);
	if (type != BT_WIRE_RESULT || r.bad || got != n || nann != n) {
		snprintf(why, whyn, "the worker sent a malformed reply");
		kill_worker(l);
		reap(p, l, NULL, 0);
		return BT_EIO;
	}
	return 0;
}

int bt_pool_predict(struct bt_pool *pool, int lane, const struct benchtop_example *ex, size_t n,
                    bt_pool_cb cb, void *payload)
{
	struct lane *l = &pool->lanes[lane];
	struct benchtop_prediction *pred;
	const char **ann = NULL;
	char why[512];
	double elapsed = 0;
	size_t i;
	int rc, batch_error;

	rc = request(pool, l, ex, n, &pred, &ann, &elapsed, why, sizeof(why), &batch_error);
	if (!rc) {
		for (i = 0; i < n; i++)
			cb(payload, i, &pred[i], NULL, elapsed / (double)n, ann[i]);
		return 0;
	}
	if (batch_error || n == 1) {
		/* The plugin said the call failed (or one example killed it): that is the answer. */
		for (i = 0; i < n; i++)
			cb(payload, i, NULL, why, elapsed / (double)n, NULL);
		return 0;
	}
	/* Something in the batch killed the worker: find which, one example at a time. */
	for (i = 0; i < n; i++) {
		elapsed = 0;
		rc = request(pool, l, &ex[i], 1, &pred, &ann, &elapsed, why, sizeof(why),
		             &batch_error);
		if (!rc)
			cb(payload, i, &pred[0], NULL, elapsed, ann[0]);
		else
			cb(payload, i, NULL, why, elapsed, NULL);
	}
	return 0;
}

void bt_pool_stop(struct bt_pool *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; i < p->nlanes; i++) {
		struct lane *l = &p->lanes[i];
		if (l->pid && l->to >= 0)
			bt_wire_send(l->to, BT_WIRE_QUIT, NULL);
		reap(p, l, NULL, 0);
		bt_buf_free(&l->in);
		bt_buf_free(&l->out);
		bt_arena_free(&l->arena);
	}
	free(p->lanes);
	bt_buf_free(&p->init);
	free(p->exe);
	sigaction(SIGPIPE, &p->old_pipe, NULL);
	free(p);
}

/* --- the worker side ---------------------------------------------------------------------- */

struct worker {
	int out;
};

static void worker_log(void *payload, enum benchtop_log_level level, const char *plugin,
                       const char *message)
{
	struct worker *w = payload;
	struct bt_buf b = BT_BUF_INIT;
	char *line = bt_xasprintf("%s: %s", plugin, message);

	bt_wire_u8(&b, (uint8_t)level);
	bt_wire_str(&b, line);
	bt_wire_send(w->out, BT_WIRE_LOG, &b);
	bt_buf_free(&b);
	free(line);
}

/* host->record_file in a worker: the parent stores the value, once for all workers. */
static int worker_record(void *payload, const char *key, const char *sha256)
{
	struct worker *w = payload;
	struct bt_buf b = BT_BUF_INIT;
	int rc;

	bt_wire_str(&b, key);
	bt_wire_str(&b, sha256);
	rc = bt_wire_send(w->out, BT_WIRE_RECORD, &b);
	bt_buf_free(&b);
	return rc;
}

/* An ERROR frame: the failure's bt_status (so usage errors stay usage errors) and message. */
static int worker_error(int fd, int code, const char *msg)
{
	struct bt_buf b = BT_BUF_INIT;

	bt_wire_u32(&b, (uint32_t)-code);
	bt_wire_str(&b, msg);
	bt_wire_send(fd, BT_WIRE_ERROR, &b);
	bt_buf_free(&b);
	return 0;
}

int bt_worker_main(int in_fd, int out_fd)
{
	/* INIT's buffer stays alive: the task info and train split point into it. */
	struct bt_buf init = BT_BUF_INIT, in = BT_BUF_INIT, out = BT_BUF_INIT;
	struct bt_arena init_arena = {0}, batch_arena = {0};
	struct bt_params params = {0};
	struct bt_prompt prompt;
	struct benchtop_task_info task;
	struct benchtop_example *train = NULL, *ex;
	struct benchtop_prediction *pred = NULL;
	struct bt_plugin *plugin = NULL;
	struct bt_instance *inst = NULL;
	struct bt_host_config cfg;
	struct bt_wire_reader r;
	struct worker w = {out_fd};
	const char *path;
	uint64_t max_memory;
	size_t n_train = 0, n, cap = 0, acap = 0, j;
	const char **ann = NULL;
	uint32_t np, i;
	uint8_t type;
	int rc, has_prompt = 0;

	/* Stray prints from a plugin must not reach the protocol: stdout goes to stderr. */
	dup2(STDERR_FILENO, STDOUT_FILENO);
	signal(SIGPIPE, SIG_IGN);

	rc = bt_wire_recv(in_fd, &type, &init, -1);
	if (rc || type != BT_WIRE_INIT)
		return 3;
	r.p = init.ptr;
	r.end = init.ptr + init.len;
	r.bad = 0;
	if (bt_wire_get_u32(&r) != BT_WIRE_MAGIC)
		return 3;
	path = bt_wire_get_str(&r, NULL);
	np = bt_wire_get_u32(&r);
	for (i = 0; i < np && !r.bad; i++) {
		const char *k = bt_wire_get_str(&r, NULL), *v = bt_wire_get_str(&r, NULL);
		if (k && v)
			bt_params_add(&params, k, v);
	}
	max_memory = bt_wire_get_u64(&r);
	memset(&prompt, 0, sizeof(prompt));
	if (bt_wire_get_task(&r, &init_arena, &task) != 0 ||
	    bt_wire_get_prompt(&r, &prompt, &has_prompt) != 0 ||
	    bt_wire_get_examples(&r, &init_arena, &train, &n_train, NULL, 0) != 0 || !path) {
		bt_prompt_release(&prompt);
		worker_error(out_fd, BT_EIO, "malformed INIT from the harness");
		return 3;
	}
	task.n_train = n_train;
	if (max_memory) {
		struct rlimit rl = {(rlim_t)max_memory, (rlim_t)max_memory};
		setrlimit(RLIMIT_AS, &rl);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.log = worker_log;
	cfg.log_payload = &w;
	cfg.record = worker_record;
	cfg.record_payload = &w;
	cfg.prompt = has_prompt ? &prompt : NULL;
	rc = bt_plugin_load(&plugin, path);
	if (!rc)
		rc = bt_instance_create(&inst, plugin, &params, &task, &cfg);
	if (!rc && n_train)
		rc = bt_instance_fit(inst, train, n_train);
	if (rc) {
		worker_error(out_fd, rc, bt_error_last());
		goto out;
	}
	if (bt_wire_send(out_fd, BT_WIRE_READY, NULL))
		goto out;

	for (;;) {
		double t0;
		rc = bt_wire_recv(in_fd, &type, &in, -1);
		if (rc || type == BT_WIRE_QUIT)
			break;
		if (type != BT_WIRE_BATCH)
			break;
		r.p = in.ptr;
		r.end = in.ptr + in.len;
		r.bad = 0;
		bt_arena_free(&batch_arena);
		if (bt_wire_get_examples(&r, &batch_arena, &ex, &n, train, n_train) != 0) {
			worker_error(out_fd, BT_EIO, bt_error_last());
			continue;
		}
		bt_grow(&pred, &cap, n + 1, sizeof(*pred));
		t0 = bt_monotonic();
		rc = bt_instance_predict(inst, ex, n, pred);
		if (rc) {
			worker_error(out_fd, rc, bt_error_last());
			continue;
		}
		bt_buf_reset(&out);
		bt_wire_f64(&out, bt_monotonic() - t0);
		bt_wire_put_predictions(&out, pred, n);
		bt_grow(&ann, &acap, n + 1, sizeof(*ann));
		for (j = 0; j < n; j++)
			ann[j] = bt_instance_annotation(j);
		bt_wire_put_strings(&out, ann, n);
		if (bt_wire_send(out_fd, BT_WIRE_RESULT, &out))
			break;
	}
out:
	if (inst)
		bt_instance_destroy(inst);
	if (plugin)
		bt_plugin_unload(plugin);
	bt_params_release(&params);
	bt_arena_free(&batch_arena);
	bt_arena_free(&init_arena);
	bt_buf_free(&init);
	bt_buf_free(&in);
	bt_buf_free(&out);
	bt_prompt_release(&prompt);
	free(pred);
	free(ann);
	return 0;
}
