/*
 * The services keizokud gives action plugins (keizoku-plugin.h, struct
 * kz_core): log lines, HTTP requests on the loop, timers and child
 * processes (pidfd, output through non-blocking pipes, a deadline, then
 * SIGTERM and SIGKILL). Every result passes through here, made valid
 * UTF-8 and bounded, before a plugin sees it.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "core/curlev.h"
#include "core/plugin-int.h"
#include "common/ytree.h"

static struct plugins *
pl_from_core(const struct kz_core *core)
{
	return (struct plugins *)(uintptr_t)((const char *)core -
	    offsetof(struct plugins, core));
}

static int64_t
pl_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pl_ms_tv(int64_t ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

/* ---- text from plugins and children ---- */

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t
pl_utf8_len(const unsigned char *p, size_t n)
{
	size_t		len, i;
	uint32_t	cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* len, less an incomplete character at the end of s (a capture cut
 * at a byte limit). */
static size_t
pl_utf8_trim(const char *s, size_t len)
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

/* A copy of a note that is valid UTF-8 (bad bytes become U+FFFD) and
 * at most PL_NOTE_MAX bytes plus the truncation mark. */
char *
pl_note_clean(const char *s)
{
	struct buf	 b = { 0 };
	size_t		 n, len;
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	n = strlen((const char *)p);
	while (n > 0) {
		if ((len = pl_utf8_len(p, n)) == 0) {
			len = 1;
			if (b.len + 3 > PL_NOTE_MAX)
				break;
			buf_adds(&b, "\xef\xbf\xbd");
		} else {
			if (b.len + len > PL_NOTE_MAX)
				break;
			buf_add(&b, (const char *)p, len);
		}
		p += len;
		n -= len;
	}
	if (n > 0)
		buf_adds(&b, PL_TRUNCATED);
	return buf_steal(&b);
}

/* ---- core: log, HTTP, timers ---- */

static void	core_log(const struct kz_core *, enum kz_log_level,
		    const char *, ...) __attribute__((format(printf, 3, 4)));

static void
core_log(const struct kz_core *core, enum kz_log_level level,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvprintf(fmt, ap);
	va_end(ap);
	switch (level) {
	case KZ_LOG_DEBUG:
		log_debug("plugin: %s", msg);
		break;
	case KZ_LOG_INFO:
		log_info("plugin: %s", msg);
		break;
	default:
		log_warnx("plugin: %s", msg);
		break;
	}
	free(msg);
}

static void
core_http_done(const struct http_resp *r, void *arg)
{
	struct kz_http		*h = arg;
	struct kz_http_resp	 kr;

	TAILQ_REMOVE(&h->ps->https, h, entry);
	memset(&kr, 0, sizeof kr);
	kr.status = r->status;
	kr.body = r->body;
	kr.body_len = r->body_len;
	kr.retry_after = r->retry_after;
	kr.error = r->error;
	kr.elapsed_ms = r->elapsed_ms;
	h->cb(&kr, h->arg);
	free(h);
}

static struct kz_http *
core_http_request(const struct kz_core *core, const struct kz_http_req *kq,
    kz_http_done_fn cb, void *arg, const char **why)
{
	struct plugins	*ps = pl_from_core(core);
	struct kz_http	*h;
	struct http_req	 r;

	*why = NULL;
	if (ps->curl == NULL) {
		*why = "no HTTP client in this process";
		return NULL;
	}
	memset(&r, 0, sizeof r);
	r.method = kq->method;
	r.url = kq->url;
	r.headers = kq->headers;
	r.body = kq->body;
	r.body_len = kq->body_len;
	r.timeout_ms = kq->timeout_ms;
	h = xcalloc(1, sizeof *h);
	h->ps = ps;
	h->cb = cb;
	h->arg = arg;
	if ((h->xfer = curlev_request(ps->curl, &r, core_http_done, h,
	    why)) == NULL) {
		free(h);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&ps->https, h, entry);
	return h;
}

static void
core_http_cancel(const struct kz_core *core, struct kz_http *h)
{
	if (h == NULL)
		return;
	TAILQ_REMOVE(&h->ps->https, h, entry);
	curlev_cancel(h->ps->curl, h->xfer);
	free(h);
}

static void
core_timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct kz_timer	*t = arg;
	kz_timer_fn	 cb = t->cb;
	void		*cbarg = t->arg;

	TAILQ_REMOVE(&t->ps->timers, t, entry);
	free(t);
	cb(cbarg);
}

static struct kz_timer *
core_timer_add(const struct kz_core *core, long ms, kz_timer_fn cb,
    void *arg)
{
	struct plugins	*ps = pl_from_core(core);
	struct kz_timer	*t = xcalloc(1, sizeof *t);
	struct timeval	 tv;

	t->ps = ps;
	t->cb = cb;
	t->arg = arg;
	evtimer_assign(&t->ev, ps->base, core_timer_fire, t);
	pl_ms_tv(ms > 0 ? ms : 0, &tv);
	evtimer_add(&t->ev, &tv);
	TAILQ_INSERT_TAIL(&ps->timers, t, entry);
	return t;
}

static void
core_timer_cancel(const struct kz_core *core, struct kz_timer *t)
{
	if (t == NULL)
		return;
	evtimer_del(&t->ev);
	TAILQ_REMOVE(&t->ps->timers, t, entry);
	free(t);
}

/* ---- core: child processes ---- */

static void
child_signal(struct kz_child *c, int sig)
{
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
	TAILQ_REMOVE(&c->ps->children, c, entry);
	event_del(&c->ev_out);
	event_del(&c->ev_exit);
	event_del(&c->ev_kill);
	if (c->pidfd != -1)
		close(c->pidfd);
	close(c->outfd);
	close(c->errfd);
	buf_free(&c->out);
	free(c->argv0);
	free(c);
}

static void
child_report(struct kz_child *c, int status)
{
	struct kz_spawn_result	 r;
	struct buf		 out = { 0 };
	char			*error = NULL;
	int			 err;
	size_t			 cut;

	memset(&r, 0, sizeof r);
	r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	r.timed_out = c->timed_out;
	if (read(c->errfd, &err, sizeof err) == (ssize_t)sizeof err)
		error = xprintf("cannot execute %s: %s", c->argv0,
		    strerror(err));
	r.error = error;
	cut = c->out.len;
	if (c->truncated)
		cut = pl_utf8_trim(c->out.s, c->out.len);
	buf_add(&out, c->out.s != NULL ? c->out.s : "", cut);
	if (c->truncated)
		buf_adds(&out, PL_TRUNCATED);
	r.output = out.s != NULL ? out.s : "";
	r.output_len = out.len;
	r.elapsed_ms = (long)(pl_mono_ms() - c->started_ms);
	c->cb(&r, c->arg);
	buf_free(&out);
	free(error);
}

static void
child_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct kz_child	*c = arg;
	int		 status = 0;
	pid_t		 r;

	do {
		r = waitpid(c->pid, &status, WNOHANG);
	} while (r == -1 && errno == EINTR);
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
		pl_ms_tv(PL_KILL_AFTER_MS, &tv);
		evtimer_add(&c->ev_kill, &tv);
	} else
		child_signal(c, SIGKILL);
}

/* In the child, between fork and exec: async-signal-safe calls only
 * (libcurl's resolver may have threads in the parent). */
static void __attribute__((noreturn))
child_exec(char *const *cands, char *const *argv, char *const *envp,
    const char *cwd, int devnull, int outw, int errw)
{
	struct sigaction	sa;
	sigset_t		set;
	int			sig, err = ENOENT, e;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	setpgid(0, 0);
	if (cwd != NULL && chdir(cwd) == -1) {
		err = errno;
		goto fail;
	}
	if (dup2(devnull, 0) == -1 || dup2(outw, 1) == -1 ||
	    dup2(outw, 2) == -1) {
		err = errno;
		goto fail;
	}
	/* Whatever the daemon has open stays out of the child, but the
	 * error pipe must live until exec. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	for (; *cands != NULL; cands++) {
		execve(*cands, argv, envp);
		e = errno;
		if (e == EACCES)
			err = e;
		else if (e != ENOENT && e != ENOTDIR) {
			err = e;
			break;
		}
	}
fail:
	e = (int)write(errw, &err, sizeof err);
	(void)e;
	_exit(127);
}

/* The files execve will try: argv0 itself when it has a slash, else
 * each directory of PATH (from env, default /usr/bin:/bin). */
static char **
child_candidates(const char *argv0, const char *const *env)
{
	const char	*path = PL_DEFAULT_PATH, *p, *colon;
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

static int
child_pipes(int out[2], int err[2], int *devnull)
{
	out[0] = out[1] = err[0] = err[1] = -1;
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1 ||
	    (*devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		if (out[0] != -1) {
			close(out[0]);
			close(out[1]);
		}
		if (err[0] != -1) {
			close(err[0]);
			close(err[1]);
		}
		return -1;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	return 0;
}

/* Watches the child's exit: pidfd when the kernel has it, else polls. */
static void
child_watch(struct kz_child *c, struct event_base *base, long timeout_ms)
{
	struct timeval	tv;

	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (c->pidfd != -1) {
		event_assign(&c->ev_exit, base, c->pidfd, EV_READ | EV_PERSIST,
		    child_exit_cb, c);
		event_add(&c->ev_exit, NULL);
	} else {
		event_assign(&c->ev_exit, base, -1, EV_PERSIST, child_exit_cb,
		    c);
		pl_ms_tv(PL_WAIT_POLL_MS, &tv);
		event_add(&c->ev_exit, &tv);
	}
	event_assign(&c->ev_out, base, c->outfd, EV_READ | EV_PERSIST,
	    child_out_cb, c);
	event_add(&c->ev_out, NULL);
	evtimer_assign(&c->ev_kill, base, child_kill_cb, c);
	if (timeout_ms > 0) {
		pl_ms_tv(timeout_ms, &tv);
		evtimer_add(&c->ev_kill, &tv);
	}
}

static struct kz_child *
core_spawn(const struct kz_core *core, const char *const *argv,
    const char *const *env, const char *cwd, long timeout_ms,
    size_t max_output, kz_spawn_done_fn cb, void *arg, char **why)
{
	static const char *const defenv[] = { "PATH=" PL_DEFAULT_PATH, NULL };
	struct plugins	*ps = pl_from_core(core);
	struct kz_child	*c;
	int		 out[2], err[2], devnull;
	char		**cands;
	pid_t		 pid;

	*why = NULL;
	if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0') {
		*why = xstrdup("empty argv");
		return NULL;
	}
	if (env == NULL)
		env = defenv;
	if (child_pipes(out, err, &devnull) == -1) {
		*why = xprintf("pipe: %s", strerror(errno));
		return NULL;
	}
	cands = child_candidates(argv[0], env);
	if ((pid = fork()) == 0)
		child_exec(cands, (char *const *)argv, (char *const *)env, cwd,
		    devnull, out[1], err[1]);
	strv_free(cands);
	close(out[1]);
	close(err[1]);
	close(devnull);
	if (pid == -1) {
		*why = xprintf("fork: %s", strerror(errno));
		close(out[0]);
		close(err[0]);
		return NULL;
	}
	setpgid(pid, pid);	/* also here: no race with an early kill */
	c = xcalloc(1, sizeof *c);
	c->ps = ps;
	c->argv0 = xstrdup(argv[0]);
	c->pid = pid;
	c->outfd = out[0];
	c->errfd = err[0];
	c->max_output = max_output;
	c->started_ms = pl_mono_ms();
	c->cb = cb;
	c->arg = arg;
	TAILQ_INSERT_TAIL(&ps->children, c, entry);
	child_watch(c, ps->base, timeout_ms);
	return c;
}

static void
core_spawn_cancel(const struct kz_core *core, struct kz_child *c)
{
	if (c == NULL || c->cancelled)
		return;
	c->cancelled = 1;
	child_signal(c, SIGKILL);
	event_del(&c->ev_out);
	event_del(&c->ev_kill);
	/* ev_exit stays: the child is reaped, then freed, silently. */
}

void
core_init(struct kz_core *core)
{
	core->abi_major = KZ_PLUGIN_ABI_MAJOR;
	core->abi_minor = KZ_PLUGIN_ABI_MINOR;
	core->struct_size = sizeof *core;
	core->log = core_log;
	core->http_request = core_http_request;
	core->http_cancel = core_http_cancel;
	core->spawn = core_spawn;
	core->spawn_cancel = core_spawn_cancel;
	core->timer_add = core_timer_add;
	core->timer_cancel = core_timer_cancel;
}

size_t
core_reap(struct plugins *ps)
{
	struct kz_http	*h;
	struct kz_child	*c;
	struct kz_timer	*t;
	size_t		 left = 0;

	while ((h = TAILQ_FIRST(&ps->https)) != NULL) {
		core_http_cancel(&ps->core, h);
		left++;
	}
	while ((t = TAILQ_FIRST(&ps->timers)) != NULL) {
		core_timer_cancel(&ps->core, t);
		left++;
	}
	while ((c = TAILQ_FIRST(&ps->children)) != NULL) {
		if (!c->cancelled)
			left++;
		child_signal(c, SIGKILL);
		/* Shutting down: a SIGKILLed child goes at once, and a
		 * zombie per reload would pile up. */
		while (waitpid(c->pid, NULL, 0) == -1 && errno == EINTR)
			;
		child_free(c);
	}
	return left;
}
