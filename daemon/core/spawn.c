/* Child processes on the loop (spawn.h). */
#include <sys/queue.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "common/ytree.h"
#include "core/spawn.h"

#define SP_KILL_AFTER_MS	2000		/* SIGTERM, then SIGKILL */
#define SP_WAIT_POLL_MS		50		/* without pidfd_open */
#define SP_TRUNCATED		"…[truncated]"
#define SP_DEFAULT_PATH		"/usr/bin:/bin"

struct kz_child {
	TAILQ_ENTRY(kz_child)	 entry;
	struct spawner		*sp;
	char			**argv;
	char			**env;
	char			*cwd;
	long			 timeout_ms;
	int			 running;	/* else waiting */
	pid_t			 pid;		/* 0: none (exec failed) */
	int			 exec_err;
	int			 pidfd;		/* -1: poll with waitpid */
	int			 outfd;
	struct event		 ev_out;
	struct event		 ev_exit;
	struct event		 ev_kill;
	struct buf		 out;
	size_t			 max_output;
	int			 truncated;
	int			 timed_out;
	int			 terminated;	/* SIGTERM sent */
	int			 cancelled;	/* reap silently */
	int64_t			 started_ms;
	kz_spawn_done_fn	 cb;
	void			*arg;
};
TAILQ_HEAD(kz_children, kz_child);

struct spawner {
	struct event_base	*base;
	int			 max;
	struct kz_children	 running;
	struct kz_children	 waiting;
	size_t			 nrunning;
	size_t			 nwaiting;
};

static void	sp_start_next(struct spawner *);

static int64_t
sp_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sp_ms_tv(int64_t ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

/* len, less an incomplete UTF-8 character at the end of s (a capture
 * cut at a byte limit). */
static size_t
sp_utf8_trim(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = len, need;

	while (i > 0 && len - i < 3 && (p[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || p[i - 1] < 0xc0)
		return len;
	need = p[i - 1] >= 0xf0 ? 4 : p[i - 1] >= 0xe0 ? 3 : 2;
	return len - (i - 1) < need ? i - 1 : len;
}

static void
child_signal(struct kz_child *c, int sig)
{
	if (c->pid <= 0)
		return;
	/* The group first: a script's own children go too. */
	if (kill(-c->pid, sig) == -1)
		kill(c->pid, sig);
}

static void
child_read(struct kz_child *c)
{
	char	chunk[4096];
	ssize_t	n;
	size_t	room;

	if (c->outfd == -1)
		return;
	for (;;) {
		n = read(c->outfd, chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* EOF or error: nothing more will come. */
			if (n == 0 || errno != EAGAIN)
				event_del(&c->ev_out);
			return;
		}
		room = c->out.len < c->max_output ?
		    c->max_output - c->out.len : 0;
		if ((size_t)n > room)
			c->truncated = 1;
		else
			room = (size_t)n;
		if (room > 0)
			buf_add(&c->out, chunk, room);
	}
}

static void
child_out_cb(evutil_socket_t fd, short what, void *arg)
{
	child_read(arg);
}

static void
child_free(struct kz_child *c)
{
	struct spawner *sp = c->sp;

	if (c->running) {
		TAILQ_REMOVE(&sp->running, c, entry);
		sp->nrunning--;
		event_del(&c->ev_out);
		event_del(&c->ev_exit);
		event_del(&c->ev_kill);
		if (c->pidfd != -1)
			close(c->pidfd);
		if (c->outfd != -1)
			close(c->outfd);
	} else {
		TAILQ_REMOVE(&sp->waiting, c, entry);
		sp->nwaiting--;
	}
	strv_free(c->argv);
	strv_free(c->env);
	free(c->cwd);
	buf_free(&c->out);
	free(c);
}

static void
child_report(struct kz_child *c, int status)
{
	struct kz_spawn_result	 r;
	struct buf		 out = { 0 };
	char			*error = NULL;
	size_t			 cut;

	memset(&r, 0, sizeof r);
	r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	r.timed_out = c->timed_out;
	if (c->exec_err != 0)
		error = xprintf("cannot execute %s: %s", c->argv[0],
		    strerror(c->exec_err));
	r.error = error;
	cut = c->out.len;
	if (c->truncated)
		cut = sp_utf8_trim(c->out.s, c->out.len);
	buf_add(&out, c->out.s != NULL ? c->out.s : "", cut);
	if (c->truncated)
		buf_adds(&out, SP_TRUNCATED);
	r.output = out.s != NULL ? out.s : "";
	r.output_len = out.len;
	r.elapsed_ms = (long)(sp_mono_ms() - c->started_ms);
	c->cb(&r, c->arg);
	buf_free(&out);
	free(error);
}

static void
child_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kz_child	*c = arg;
	struct spawner	*sp = c->sp;
	int		 status = 127 << 8;	/* exec failed */
	pid_t		 r = 1;

	while (c->pid > 0 && (r = waitpid(c->pid, &status, WNOHANG)) == -1 &&
	    errno == EINTR)
		;
	if (r == 0)
		return;			/* still running (polling) */
	if (r == -1) {
		/* Reaped behind our back (SIGCHLD ignored?). */
		log_warn("waitpid %ld", (long)c->pid);
		status = 0xff << 8;
	}
	if (!c->cancelled) {
		/* What it wrote before exiting is in the pipe already. */
		child_read(c);
		child_report(c, status);
	}
	child_free(c);
	sp_start_next(sp);
}

static void
child_kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kz_child	*c = arg;
	struct timeval	 tv;

	if (!c->terminated) {
		c->terminated = 1;
		c->timed_out = 1;
		child_signal(c, SIGTERM);
		sp_ms_tv(SP_KILL_AFTER_MS, &tv);
		evtimer_add(&c->ev_kill, &tv);
	} else
		child_signal(c, SIGKILL);
}

/* The files execve will try: argv0 itself when it has a slash, else
 * each directory of PATH (from env, default /usr/bin:/bin). */
static char **
child_candidates(const char *argv0, char *const *env)
{
	const char	*path = SP_DEFAULT_PATH, *p, *colon;
	char		**v = NULL;
	size_t		 n = 0, len;

	if (strchr(argv0, '/') != NULL) {
		v = xcalloc(2, sizeof *v);
		v[0] = xstrdup(argv0);
		return v;
	}
	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, "PATH=", 5) == 0)
			path = *env + 5;
	for (p = path;; p = colon + 1) {
		colon = strchr(p, ':');
		len = colon != NULL ? (size_t)(colon - p) : strlen(p);
		v = xreallocarray(v, n + 2, sizeof *v);
		v[n++] = len == 0 ? xprintf("./%s", argv0) :
		    xprintf("%.*s/%s", (int)len, p, argv0);
		if (colon == NULL)
			break;
	}
	v[n] = NULL;
	return v;
}

/*
 * posix_spawn the child: stdin from /dev/null, stdout and stderr into
 * the pipe, nothing else of the daemon's open, every signal at its
 * default and none blocked, in a process group of its own (a timeout
 * kills the group). posix_spawn reports a failed exec itself; each
 * candidate of PATH is tried in turn. 0, or an errno.
 */
static int
child_exec(struct kz_child *c, int outw)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 none, dfl;
	char				**cands, **p;
	int				 devnull, rc, err = ENOENT;

	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, devnull, 0);
	posix_spawn_file_actions_adddup2(&fa, outw, 1);
	posix_spawn_file_actions_adddup2(&fa, outw, 2);
	if (c->cwd != NULL)
		posix_spawn_file_actions_addchdir_np(&fa, c->cwd);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&dfl);
	sigdelset(&dfl, SIGKILL);
	sigdelset(&dfl, SIGSTOP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	cands = child_candidates(c->argv[0], c->env);
	for (p = cands; *p != NULL; p++) {
		rc = posix_spawn(&c->pid, *p, &fa, &at, c->argv, c->env);
		if (rc == 0) {
			err = 0;
			break;
		}
		c->pid = 0;
		if (rc == EACCES)
			err = rc;
		else if (rc != ENOENT && rc != ENOTDIR) {
			err = rc;
			break;
		}
	}
	strv_free(cands);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(devnull);
	return err;
}

/* Watches the child's exit: pidfd when the kernel has it, else polls. */
static void
child_watch(struct kz_child *c)
{
	struct event_base	*base = c->sp->base;
	struct timeval		 tv;

	c->pidfd = -1;
	if (c->pid > 0)
		c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (c->pidfd != -1) {
		event_assign(&c->ev_exit, base, c->pidfd, EV_READ | EV_PERSIST,
		    child_exit_cb, c);
		event_add(&c->ev_exit, NULL);
	} else {
		/* Polled; at once when there is no process to wait for. */
		event_assign(&c->ev_exit, base, -1, EV_PERSIST, child_exit_cb,
		    c);
		sp_ms_tv(c->pid > 0 ? SP_WAIT_POLL_MS : 0, &tv);
		event_add(&c->ev_exit, &tv);
	}
	evtimer_assign(&c->ev_kill, base, child_kill_cb, c);
	if (c->outfd != -1) {
		event_assign(&c->ev_out, base, c->outfd, EV_READ | EV_PERSIST,
		    child_out_cb, c);
		event_add(&c->ev_out, NULL);
	} else
		event_assign(&c->ev_out, base, -1, 0, child_out_cb, c);
	if (c->timeout_ms > 0 && c->pid > 0) {
		sp_ms_tv(c->timeout_ms, &tv);
		evtimer_add(&c->ev_kill, &tv);
	}
}

static void
child_start(struct kz_child *c)
{
	struct spawner	*sp = c->sp;
	int		 out[2];

	TAILQ_REMOVE(&sp->waiting, c, entry);
	sp->nwaiting--;
	TAILQ_INSERT_TAIL(&sp->running, c, entry);
	sp->nrunning++;
	c->running = 1;
	c->started_ms = sp_mono_ms();
	c->outfd = -1;
	if (pipe2(out, O_CLOEXEC) == -1)
		c->exec_err = errno;
	else {
		c->exec_err = child_exec(c, out[1]);
		close(out[1]);
		if (c->exec_err == 0) {
			fcntl(out[0], F_SETFL, O_NONBLOCK);
			c->outfd = out[0];
		} else
			close(out[0]);
	}
	/* A child that could not start reports from the loop, as one that
	 * ran would. */
	child_watch(c);
}

static void
sp_start_next(struct spawner *sp)
{
	struct kz_child *c;

	while (sp->nrunning < (size_t)sp->max &&
	    (c = TAILQ_FIRST(&sp->waiting)) != NULL)
		child_start(c);
}

static char **
strv_copy(const char *const *v)
{
	char	**out;
	size_t	 n = 0, i;

	while (v[n] != NULL)
		n++;
	out = xcalloc(n + 1, sizeof *out);
	for (i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

struct kz_child *
spawner_spawn(struct spawner *sp, const char *const *argv,
    const char *const *env, const char *cwd, long timeout_ms,
    size_t max_output, kz_spawn_done_fn cb, void *arg, char **why)
{
	static const char *const defenv[] = { "PATH=" SP_DEFAULT_PATH, NULL };
	struct kz_child *c;

	*why = NULL;
	if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0') {
		*why = xstrdup("empty argv");
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->sp = sp;
	c->argv = strv_copy(argv);
	c->env = strv_copy(env != NULL ? env : defenv);
	c->cwd = cwd != NULL ? xstrdup(cwd) : NULL;
	c->timeout_ms = timeout_ms;
	c->max_output = max_output;
	c->cb = cb;
	c->arg = arg;
	c->outfd = -1;
	c->pidfd = -1;
	TAILQ_INSERT_TAIL(&sp->waiting, c, entry);
	sp->nwaiting++;
	if (sp->nrunning < (size_t)sp->max)
		child_start(c);
	else if (sp->nwaiting == 1)
		log_info("%d child processes running; further actions wait "
		    "their turn", sp->max);
	return c;
}

void
spawner_cancel(struct spawner *sp, struct kz_child *c)
{
	if (c == NULL || c->cancelled)
		return;
	c->cancelled = 1;
	if (!c->running) {
		child_free(c);
		return;
	}
	child_signal(c, SIGKILL);
	event_del(&c->ev_out);
	event_del(&c->ev_kill);
	/* ev_exit stays: the child is reaped, then freed, silently. */
}

struct spawner *
spawner_new(struct event_base *base, int max_running)
{
	struct spawner *sp = xcalloc(1, sizeof *sp);

	sp->base = base;
	sp->max = max_running > 0 ? max_running : 1;
	TAILQ_INIT(&sp->running);
	TAILQ_INIT(&sp->waiting);
	return sp;
}

size_t
spawner_free(struct spawner *sp)
{
	struct kz_child	*c;
	size_t		 left = 0;

	if (sp == NULL)
		return 0;
	while ((c = TAILQ_FIRST(&sp->waiting)) != NULL) {
		left += !c->cancelled;
		child_free(c);
	}
	while ((c = TAILQ_FIRST(&sp->running)) != NULL) {
		left += !c->cancelled;
		child_signal(c, SIGKILL);
		/* Shutting down: a SIGKILLed child goes at once, and a
		 * zombie per reload would pile up. */
		while (c->pid > 0 && waitpid(c->pid, NULL, 0) == -1 &&
		    errno == EINTR)
			;
		child_free(c);
	}
	free(sp);
	return left;
}

size_t
spawner_running(const struct spawner *sp)
{
	return sp->nrunning;
}

size_t
spawner_waiting(const struct spawner *sp)
{
	return sp->nwaiting;
}
