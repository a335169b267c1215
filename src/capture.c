/*
 * capture.c - fork, exec and watch a command (see capture.h).
 *
 * One poll() loop reads the child's output, a self-pipe fed by our signal
 * handlers (SIGCHLD, the signals we forward, SIGWINCH) and a timer.  Between
 * fork() and execve() the child only makes async-signal-safe calls, since
 * the parent may have other threads (the series writer).
 *
 * Forwarding.  With a pseudo-terminal the child leads its own session, so
 * a Ctrl-C typed at benchtop's terminal reaches only benchtop and must be
 * forwarded (to the child's whole process group, as a terminal would).
 * With pipes the child shares benchtop's process group, so a signal the
 * terminal sends (si_code SI_KERNEL) has already reached it; only signals
 * sent to benchtop by a process (kill) are forwarded.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "capture.h"
#include "error.h"
#include "util.h"

/* After the child exits, keep reading for this long once output goes quiet... */
#define DRAIN_QUIET 0.05
/* ...and never longer than this (a grandchild may hold the output open). */
#define DRAIN_MAX 2.0

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};

const char *bt_signal_name(int sig, char buf[32])
{
	static const struct {
		int sig;
		const char *name;
	} names[] = {
	        {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"},
	        {SIGILL, "SIGILL"},   {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"},
	        {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},   {SIGKILL, "SIGKILL"},
	        {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
	        {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},
	        {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"},
	};
	size_t i;

	for (i = 0; i < BT_ARRAY_SIZE(names); i++)
		if (names[i].sig == sig)
			return names[i].name;
	snprintf(buf, 32, "signal %d", sig);
	return buf;
}

int bt_child_resolve(const char *file, char **out)
{
	const char *path, *p, *colon;
	struct stat st;

	*out = NULL;
	if (!*file)
		return bt_error_set(BT_EUSAGE, "empty command name");
	if (strchr(file, '/')) {
		if (access(file, X_OK) != 0)
			return bt_error_set(errno == ENOENT ? BT_ENOTFOUND : BT_EIO,
			                    "cannot run '%s': %s", file, strerror(errno));
		*out = bt_xstrdup(file);
		return 0;
	}
	path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = colon + 1) {
		char *cand;
		colon = strchr(p, ':');
		if (colon == p || !*p)
			cand = bt_xstrdup(file); /* an empty entry means the current directory */
		else
			cand = bt_xasprintf("%.*s/%s", colon ? (int)(colon - p) : (int)strlen(p), p,
			                    file);
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			*out = cand;
			return 0;
		}
		free(cand);
		if (!colon)
			break;
	}
	return bt_error_set(BT_ENOTFOUND, "cannot run '%s': command not found", file);
}

/* ---- signals -------------------------------------------------------------------- */

struct sigmsg {
	int sig;
	int from_process; /* sent with kill() rather than by the kernel */
};

static int self_pipe[2] = {-1, -1};

static void on_signal(int sig, siginfo_t *info, void *ctx)
{
	struct sigmsg m;
	int saved = errno;

	BT_UNUSED(ctx);
	m.sig = sig;
	m.from_process = info ? info->si_code <= 0 : 1;
	if (self_pipe[1] >= 0 && write(self_pipe[1], &m, sizeof(m)) < 0) {
		/* A full pipe already holds a wake-up; nothing else to do. */
	}
	errno = saved;
}

struct saved_handlers {
	struct sigaction act[6];
	int sig[6];
	int n;
};

static void install(struct saved_handlers *h, int sig, int ignore)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	if (ignore) {
		sa.sa_handler = SIG_IGN;
	} else {
		sa.sa_sigaction = on_signal;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
	}
	h->sig[h->n] = sig;
	sigaction(sig, &sa, &h->act[h->n]);
	h->n++;
}

static void restore(struct saved_handlers *h)
{
	while (h->n > 0) {
		h->n--;
		sigaction(h->sig[h->n], &h->act[h->n], NULL);
	}
}

/* ---- the child ---------------------------------------------------------------------- */

/* In the child between fork and exec: async-signal-safe calls only. */
static void child_exec(const struct bt_child_opts *o, int slave, int out_w, int err_w, int report)
{
	struct sigaction dfl;
	sigset_t none;
	size_t i;
	int e;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (i = 0; i < BT_ARRAY_SIZE(forwarded); i++)
		sigaction(forwarded[i], &dfl, NULL);
	sigaction(SIGCHLD, &dfl, NULL);
	sigaction(SIGWINCH, &dfl, NULL);
	sigaction(SIGPIPE, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (slave >= 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
	}
	if (o->capture) {
		if (o->pty_stdout)
			dup2(slave, STDOUT_FILENO);
		else
			dup2(out_w, STDOUT_FILENO);
		if (o->pty_stderr)
			dup2(slave, STDERR_FILENO);
		else
			dup2(err_w, STDERR_FILENO);
	}
	if (slave > STDERR_FILENO)
		close(slave);
	if (out_w > STDERR_FILENO)
		close(out_w);
	if (err_w > STDERR_FILENO)
		close(err_w);
	execve(o->path, o->argv, o->envp);
	e = errno;
	if (write(report, &e, sizeof(e)) < 0) {
		/* the parent will see exit status 127 */
	}
	_exit(127);
}

/* ---- the parent ------------------------------------------------------------------------- */

/*
 * pipe2() is a GNU extension.  The window between pipe() and FD_CLOEXEC
 * only matters if another thread forks meanwhile, and none of ours does.
 */
static int cloexec_pipe(int p[2], int nonblock)
{
	int i;

	if (pipe(p) != 0)
		return -1;
	for (i = 0; i < 2; i++) {
		fcntl(p[i], F_SETFD, FD_CLOEXEC);
		if (nonblock)
			fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
	}
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pf = {fd, POLLOUT, 0};
				poll(&pf, 1, 100);
				continue;
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int open_pty(int *master, int *slave, int term_fd)
{
	const char *name;
	struct termios tio;
	struct winsize ws;

	*master = *slave = -1;
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) != 0 || unlockpt(*master) != 0 ||
	    (name = ptsname(*master)) == NULL)
		goto fail;
	*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0)
		goto fail;
	if (term_fd >= 0) {
		if (tcgetattr(term_fd, &tio) == 0)
			tcsetattr(*slave, TCSANOW, &tio);
		if (ioctl(term_fd, TIOCGWINSZ, &ws) == 0)
			ioctl(*slave, TIOCSWINSZ, &ws);
	}
	return 0;
fail:
	if (*master >= 0)
		close(*master);
	*master = -1;
	return bt_error_set(BT_EIO, "cannot open a pseudo-terminal: %s", strerror(errno));
}

struct stream {
	int fd;   /* what we read; -1 once at end of file */
	int dest; /* where it is passed on; -1 when that failed or is unwanted */
	enum bt_child_stream kind;
	int is_pty;
};

/* Read what is available on one stream; returns 0 at end of file. */
static int pump(const struct bt_child_opts *o, struct stream *s, struct bt_child_result *res)
{
	char buf[65536];
	ssize_t n = read(s->fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		/* A pty whose slave side is closed everywhere reads EIO: that is its end. */
		close(s->fd);
		s->fd = -1;
		return 0;
	}
	res->output_bytes += (unsigned long long)n;
	if (s->dest >= 0 && write_all(s->dest, buf, (size_t)n) != 0)
		s->dest = -1; /* e.g. `| head`: stop passing on, keep capturing */
	if (o->on_output)
		o->on_output(s->kind, buf, (size_t)n, o->payload);
	return 1;
}

static void forward(pid_t pid, int sig, int to_group, struct bt_child_result *res)
{
	if (to_group && kill(-pid, sig) == 0) {
		res->forwarded_signal = sig;
		return;
	}
	if (kill(pid, sig) == 0)
		res->forwarded_signal = sig;
}

int bt_child_run(const struct bt_child_opts *o, struct bt_child_result *res)
{
	struct saved_handlers h = {0};
	struct stream st[3];
	int master = -1, slave = -1, out_p[2] = {-1, -1}, err_p[2] = {-1, -1};
	int report[2] = {-1, -1};
	int rc = 0, reaped = 0, status = 0, e, nst = 0, i;
	double drain_start = 0, last_data = 0, next_tick;
	struct rusage ru;
	pid_t pid;
	size_t k;

	memset(res, 0, sizeof(*res));
	memset(&ru, 0, sizeof(ru));
	if (cloexec_pipe(self_pipe, 1) != 0)
		return bt_error_set(BT_EIO, "cannot create a pipe: %s", strerror(errno));
	if (cloexec_pipe(report, 0) != 0) {
		rc = bt_error_set(BT_EIO, "cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	if (o->capture && (o->pty_stdout || o->pty_stderr)) {
		rc = open_pty(&master, &slave, o->term_fd);
		if (rc)
			goto out;
	}
	if (o->capture && ((!o->pty_stdout && cloexec_pipe(out_p, 0) != 0) ||
	                   (!o->pty_stderr && cloexec_pipe(err_p, 0) != 0))) {
		rc = bt_error_set(BT_EIO, "cannot create a pipe: %s", strerror(errno));
		goto out;
	}

	for (k = 0; k < BT_ARRAY_SIZE(forwarded); k++)
		install(&h, forwarded[k], 0);
	install(&h, SIGCHLD, 0);
	install(&h, SIGWINCH, 0);
	/* A reader of our output that goes away must not kill us (and lose the run). */
	install(&h, SIGPIPE, 1);

	res->started_at = bt_now();
	pid = fork();
	if (pid < 0) {
		rc = bt_error_set(BT_EIO, "cannot fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(o, slave, out_p[1], err_p[1], report[1]);

	close(report[1]);
	report[1] = -1;
	if (read(report[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		/* exec failed: reap the child and say why */
		waitpid(pid, &status, 0);
		rc = bt_error_set(e == ENOENT ? BT_ENOTFOUND : BT_EIO, "cannot run '%s': %s",
		                  o->path, strerror(e));
		goto out;
	}
	if (slave >= 0) {
		close(slave);
		slave = -1;
	}
	if (out_p[1] >= 0) {
		close(out_p[1]);
		out_p[1] = -1;
	}
	if (err_p[1] >= 0) {
		close(err_p[1]);
		err_p[1] = -1;
	}
	if (o->capture) {
		if (master >= 0) {
			st[nst].fd = master;
			st[nst].dest = o->out_fd;
			st[nst].kind = BT_CHILD_STDOUT;
			st[nst].is_pty = 1;
			nst++;
			master = -1;
		}
		if (out_p[0] >= 0) {
			st[nst].fd = out_p[0];
			st[nst].dest = o->out_fd;
			st[nst].kind = BT_CHILD_STDOUT;
			st[nst].is_pty = 0;
			nst++;
			out_p[0] = -1;
		}
		if (err_p[0] >= 0) {
			st[nst].fd = err_p[0];
			st[nst].dest = o->err_fd;
			st[nst].kind = BT_CHILD_STDERR;
			st[nst].is_pty = 0;
			nst++;
			err_p[0] = -1;
		}
	}

	next_tick = o->tick > 0 ? bt_monotonic() + o->tick : 0;
	for (;;) {
		struct pollfd pf[3];
		int idx[3], np = 0, open_streams = 0, timeout = -1;
		double now = bt_monotonic();

		for (i = 0; i < nst; i++)
			if (st[i].fd >= 0)
				open_streams++;
		if (reaped) {
			if (!open_streams || now - last_data >= DRAIN_QUIET ||
			    now - drain_start >= DRAIN_MAX)
				break;
			timeout = (int)(DRAIN_QUIET * 1000) + 1;
		} else if (next_tick > 0) {
			timeout = now >= next_tick ? 0 : (int)((next_tick - now) * 1000) + 1;
		}
		/* revents stay as set here when poll() fails (EINTR): nothing is ready */
		pf[np].fd = self_pipe[0];
		pf[np].events = POLLIN;
		pf[np].revents = 0;
		idx[np++] = -1;
		for (i = 0; i < nst; i++) {
			if (st[i].fd < 0)
				continue;
			pf[np].fd = st[i].fd;
			pf[np].events = POLLIN;
			pf[np].revents = 0;
			idx[np++] = i;
		}
		if (poll(pf, (nfds_t)np, timeout) < 0 && errno != EINTR) {
			rc = bt_error_set(BT_EIO, "poll: %s", strerror(errno));
			break;
		}
		for (i = 1; i < np; i++)
			if (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				pump(o, &st[idx[i]], res);
				last_data = bt_monotonic();
			}
		if (pf[0].revents & POLLIN) {
			struct sigmsg m;
			while (read(self_pipe[0], &m, sizeof(m)) == (ssize_t)sizeof(m)) {
				if (m.sig == SIGWINCH) {
					struct winsize ws;
					for (i = 0; i < nst; i++)
						if (st[i].is_pty && st[i].fd >= 0 &&
						    o->term_fd >= 0 &&
						    ioctl(o->term_fd, TIOCGWINSZ, &ws) == 0)
							ioctl(st[i].fd, TIOCSWINSZ, &ws);
				} else if (m.sig != SIGCHLD && !reaped) {
					int pty = o->capture && (o->pty_stdout || o->pty_stderr);
					if (pty || m.from_process)
						forward(pid, m.sig, pty, res);
				}
			}
		}
		if (!reaped) {
			pid_t w = wait4(pid, &status, WNOHANG, &ru);
			if (w == pid) {
				reaped = 1;
				res->ended_at = bt_now();
				drain_start = last_data = bt_monotonic();
			}
		}
		if (!reaped && next_tick > 0 && bt_monotonic() >= next_tick) {
			if (o->on_tick)
				o->on_tick(o->payload);
			next_tick = bt_monotonic() + o->tick;
		}
	}
	if (!reaped) {
		/* Only a failed poll gets here: do not leave the child behind. */
		wait4(pid, &status, 0, &ru);
		res->ended_at = bt_now();
	}
	for (i = 0; i < nst; i++)
		if (st[i].fd >= 0)
			close(st[i].fd);
	if (WIFSIGNALED(status)) {
		res->signaled = 1;
		res->term_signal = WTERMSIG(status);
		res->exit_status = 128 + res->term_signal;
	} else {
		res->exit_status = WEXITSTATUS(status);
	}
	res->user_seconds = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	res->system_seconds = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	res->max_rss_kib = ru.ru_maxrss;
out:
	restore(&h);
	if (master >= 0)
		close(master);
	if (slave >= 0)
		close(slave);
	for (i = 0; i < 2; i++) {
		if (out_p[i] >= 0)
			close(out_p[i]);
		if (err_p[i] >= 0)
			close(err_p[i]);
		if (report[i] >= 0)
			close(report[i]);
	}
	close(self_pipe[0]);
	close(self_pipe[1]);
	self_pipe[0] = self_pipe[1] = -1;
	return rc;
}
