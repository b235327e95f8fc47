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
#include "core/spawn.h"
#include "common/ytree.h"

static struct plugins *
pl_from_core(const struct kz_core *core)
{
	return (struct plugins *)(uintptr_t)((const char *)core -
	    offsetof(struct plugins, core));
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

/* ---- core: child processes (spawn.c) ---- */

static struct kz_child *
core_spawn(const struct kz_core *core, const char *const *argv,
    const char *const *env, const char *cwd, long timeout_ms,
    size_t max_output, kz_spawn_done_fn cb, void *arg, char **why)
{
	return spawner_spawn(pl_from_core(core)->sp, argv, env, cwd,
	    timeout_ms, max_output, cb, arg, why);
}

static void
core_spawn_cancel(const struct kz_core *core, struct kz_child *c)
{
	spawner_cancel(pl_from_core(core)->sp, c);
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
	left += spawner_free(ps->sp);
	ps->sp = NULL;
	return left;
}
