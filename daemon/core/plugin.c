/*
 * Action plugins, the daemon side: loading shared objects that speak
 * plugins/keizoku-plugin.h, the core services they are given (log,
 * HTTP, child processes, timers), and the runs of their actions.
 *
 * The loader trusts a plugin only as far as it must: the file and its
 * directory must not be writable by others, the descriptor must speak
 * ABI 1.x, and every run result passes through here so that a plugin
 * cannot call back twice, call back from inside start, overstay its
 * timeout or hand the daemon text that is not UTF-8.
 */
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <dlfcn.h>
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

#include <event2/event.h>
#include <event2/event_struct.h>

#include "core/curlev.h"
#include "common/diag.h"
#include "common/duration.h"
#include "keizoku-plugin.h"
#include "common/log.h"
#include "core/plugin.h"
#include "core/spawn.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

#define PL_DEFAULT_TIMEOUT	(5 * 60 * 1000)	/* a step without timeout */
#define PL_GRACE_MS		5000		/* past it: cancelled */
#define PL_NOTE_MAX		8192
#define PL_KILL_AFTER_MS	2000		/* SIGTERM, then SIGKILL */
#define PL_WAIT_POLL_MS		50		/* without pidfd_open */
#define PL_TRUNCATED		"…[truncated]"
#define PL_DEFAULT_PATH		"/usr/bin:/bin"

struct plugin {
	char			*path;
	void			*dl;
	const struct kz_plugin	*desc;
	void			*state;
};

struct action_ent {
	const char		*name;
	const struct kz_action	*act;
	struct plugin		*pl;
};

struct kz_http {
	TAILQ_ENTRY(kz_http)	 entry;
	struct plugins		*ps;
	struct curlev_xfer	*xfer;
	kz_http_done_fn		 cb;
	void			*arg;
};

struct kz_timer {
	TAILQ_ENTRY(kz_timer)	 entry;
	struct plugins		*ps;
	struct event		 ev;
	kz_timer_fn		 cb;
	void			*arg;
};

struct action_run {
	TAILQ_ENTRY(action_run)	 entry;
	struct plugins		*ps;
	const struct action_ent	*ae;
	void			*prun;		/* the plugin's handle */
	int64_t			 timeout_ms;
	int			 finished;	/* result known */
	int			 ok;
	char			*note;
	struct event		 deadline;
	struct event		 deliver;
	action_done_fn		 done;
	void			*arg;
};

struct plugins {
	struct kz_core			 core;	/* plugins hold &core */
	struct event_base		*base;
	struct curlev			*curl;
	struct plugin			**pl;
	size_t				 npl;
	struct action_ent		*acts;
	size_t				 nacts;
	TAILQ_HEAD(, action_run)	 runs;
	TAILQ_HEAD(, kz_http)		 https;
	struct spawner			*sp;
	TAILQ_HEAD(, kz_timer)		 timers;
};

static struct plugins *
pl_from_core(const struct kz_core *core)
{
	return (struct plugins *)(uintptr_t)((const char *)core -
	    offsetof(struct plugins, core));
}

static void
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
static char *
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

static void
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

/* ---- loading ---- */

static const struct action_ent *
pl_find(const struct plugins *ps, const char *name)
{
	size_t	i;

	for (i = 0; ps != NULL && i < ps->nacts; i++)
		if (strcmp(ps->acts[i].name, name) == 0)
			return &ps->acts[i];
	return NULL;
}

static const char *
pl_writable(mode_t mode)
{
	if (mode & S_IWOTH)
		return "world";
	if (mode & S_IWGRP)
		return "group";
	return NULL;
}

/* Refuses files others could have replaced. */
static int
pl_check_file(const char *path, struct diags *d)
{
	struct stat	 st;
	const char	*who;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		diag_error(d, path, 0, 0, "refusing plugin: %s",
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		diag_error(d, path, 0, 0, "refusing plugin: not a regular "
		    "file");
		return -1;
	}
	if ((who = pl_writable(st.st_mode)) != NULL) {
		diag_error(d, path, 0, 0, "refusing plugin: file is "
		    "%s-writable (chmod go-w)", who);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		diag_error(d, path, 0, 0, "refusing plugin: owned by uid %ld, "
		    "not root or uid %ld", (long)st.st_uid, (long)geteuid());
		return -1;
	}
	return 0;
}

/* Checks the descriptor and its actions against ABI 1.x and the
 * actions loaded so far. */
static int
pl_check_desc(struct plugins *ps, const char *path,
    const struct kz_plugin *desc, struct diags *d)
{
	const struct kz_action *const	*a, *const *b;
	const struct action_ent		*dup;

	if (desc->abi_major != KZ_PLUGIN_ABI_MAJOR) {
		diag_error(d, path, 0, 0, "plugin ABI %d.%d, this keizokud "
		    "speaks %d.x", desc->abi_major, desc->abi_minor,
		    KZ_PLUGIN_ABI_MAJOR);
		return -1;
	}
	if (desc->struct_size < KZ_PLUGIN_SIZE_1_0 || desc->name == NULL ||
	    desc->version == NULL || desc->init == NULL ||
	    desc->fini == NULL || desc->actions == NULL ||
	    desc->actions[0] == NULL) {
		diag_error(d, path, 0, 0, "refusing plugin: incomplete "
		    "descriptor (ABI 1.0 needs name, version, init, fini and "
		    "at least one action)");
		return -1;
	}
	for (a = desc->actions; *a != NULL; a++) {
		if ((*a)->struct_size < KZ_ACTION_SIZE_1_0 ||
		    !valid_id((*a)->name) || (*a)->check == NULL ||
		    (*a)->start == NULL || (*a)->cancel == NULL) {
			diag_error(d, path, 0, 0, "refusing plugin: action "
			    "\"%s\" is incomplete or badly named",
			    (*a)->name != NULL ? (*a)->name : "(null)");
			return -1;
		}
		if ((dup = pl_find(ps, (*a)->name)) != NULL) {
			diag_error(d, path, 0, 0, "refusing plugin: action "
			    "\"%s\" is already provided by %s", (*a)->name,
			    dup->pl->path);
			return -1;
		}
		for (b = desc->actions; b != a; b++)
			if (strcmp((*a)->name, (*b)->name) == 0) {
				diag_error(d, path, 0, 0, "refusing plugin: "
				    "action \"%s\" is defined twice",
				    (*a)->name);
				return -1;
			}
	}
	return 0;
}

static void
pl_register(struct plugins *ps, struct plugin *pl)
{
	const struct kz_action *const	*a;
	struct action_ent		*e;

	ps->pl = xreallocarray(ps->pl, ps->npl + 1, sizeof *ps->pl);
	ps->pl[ps->npl++] = pl;
	for (a = pl->desc->actions; *a != NULL; a++) {
		ps->acts = xreallocarray(ps->acts, ps->nacts + 1,
		    sizeof *ps->acts);
		e = &ps->acts[ps->nacts++];
		e->name = (*a)->name;
		e->act = *a;
		e->pl = pl;
	}
}

static void
pl_load_one(struct plugins *ps, const char *path, struct diags *d)
{
	const struct kz_plugin	*(*entry)(void);
	const struct kz_plugin	*desc;
	struct plugin		*pl;
	void			*dl, *state = NULL;

	if (pl_check_file(path, d) == -1)
		return;
	if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		diag_error(d, path, 0, 0, "refusing plugin: %s", dlerror());
		return;
	}
	entry = (const struct kz_plugin *(*)(void))dlsym(dl, KZ_PLUGIN_SYMBOL);
	if (entry == NULL) {
		diag_error(d, path, 0, 0, "refusing plugin: no %s symbol (not "
		    "a keizoku plugin?)", KZ_PLUGIN_SYMBOL);
		goto fail;
	}
	if ((desc = entry()) == NULL) {
		diag_error(d, path, 0, 0, "refusing plugin: %s() returned "
		    "NULL", KZ_PLUGIN_SYMBOL);
		goto fail;
	}
	if (pl_check_desc(ps, path, desc, d) == -1)
		goto fail;
	if (desc->init(&ps->core, &state) != 0) {
		diag_error(d, path, 0, 0, "refusing plugin: %s %s failed to "
		    "initialise", desc->name, desc->version);
		goto fail;
	}
	pl = xcalloc(1, sizeof *pl);
	pl->path = xstrdup(path);
	pl->dl = dl;
	pl->desc = desc;
	pl->state = state;
	pl_register(ps, pl);
	log_debug("plugin %s %s loaded from %s", desc->name, desc->version,
	    path);
	return;
fail:
	dlclose(dl);
}

static int
pl_is_so(const struct dirent *de)
{
	size_t	len = strlen(de->d_name);

	return de->d_name[0] != '.' && len > 3 &&
	    strcmp(de->d_name + len - 3, ".so") == 0;
}

struct plugins *
plugins_load(const char *dir, struct event_base *base, struct curlev *curl,
    struct diags *d)
{
	struct plugins	 *ps = xcalloc(1, sizeof *ps);
	struct dirent	**names;
	struct stat	  st;
	const char	 *who;
	char		 *path;
	int		  n, i;

	core_init(&ps->core);
	ps->base = base;
	ps->curl = curl;
	TAILQ_INIT(&ps->runs);
	TAILQ_INIT(&ps->https);
	ps->sp = spawner_new(base, SPAWN_MAX_RUNNING);
	TAILQ_INIT(&ps->timers);
	if (stat(dir, &st) == -1) {
		diag_warn(d, dir, 0, 0, "plugin directory: %s; no actions "
		    "available", strerror(errno));
		return ps;
	}
	if (!S_ISDIR(st.st_mode)) {
		diag_error(d, dir, 0, 0, "plugin directory: not a directory");
		return ps;
	}
	if ((who = pl_writable(st.st_mode)) != NULL) {
		diag_error(d, dir, 0, 0, "refusing plugins: directory is "
		    "%s-writable (chmod go-w %s)", who, dir);
		return ps;
	}
	if ((n = scandir(dir, &names, pl_is_so, alphasort)) == -1) {
		diag_error(d, dir, 0, 0, "plugin directory: %s",
		    strerror(errno));
		return ps;
	}
	for (i = 0; i < n; i++) {
		path = xprintf("%s/%s", dir, names[i]->d_name);
		pl_load_one(ps, path, d);
		free(path);
		free(names[i]);
	}
	free(names);
	return ps;
}

static void run_free(struct action_run *);

void
plugins_free(struct plugins *ps)
{
	struct action_run	*r;
	struct kz_http		*h;
	struct kz_timer		*t;
	size_t			 i, left = 0;

	if (ps == NULL)
		return;
	while ((r = TAILQ_FIRST(&ps->runs)) != NULL) {
		if (!r->finished)
			r->ae->act->cancel(r->ae->pl->state, r->prun);
		run_free(r);
	}
	for (i = 0; i < ps->npl; i++)
		ps->pl[i]->desc->fini(ps->pl[i]->state);
	/* What the plugins left behind: nobody will be called back. */
	while ((h = TAILQ_FIRST(&ps->https)) != NULL) {
		core_http_cancel(&ps->core, h);
		left++;
	}
	while ((t = TAILQ_FIRST(&ps->timers)) != NULL) {
		core_timer_cancel(&ps->core, t);
		left++;
	}
	left += spawner_free(ps->sp);
	if (left > 0)
		log_warnx("plugins left %zu requests, timers or children "
		    "behind", left);
	for (i = 0; i < ps->npl; i++) {
		dlclose(ps->pl[i]->dl);
		free(ps->pl[i]->path);
		free(ps->pl[i]);
	}
	free(ps->pl);
	free(ps->acts);
	free(ps);
}

json_t *
plugins_list(const struct plugins *ps)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; ps != NULL && i < ps->nacts; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}",
		    "action", ps->acts[i].name,
		    "plugin", ps->acts[i].pl->desc->name,
		    "version", ps->acts[i].pl->desc->version,
		    "file", ps->acts[i].pl->path));
	return a;
}

int
plugins_has(const struct plugins *ps, const char *action)
{
	return pl_find(ps, action) != NULL;
}

int
plugins_check_action(const void *arg, const char *action, json_t *with,
    char **why)
{
	return plugins_check(arg, action, with, why);
}

int
plugins_check(const struct plugins *ps, const char *action, json_t *with,
    char **why)
{
	const struct action_ent	*ae;
	char			*msg = NULL;

	*why = NULL;
	if ((ae = pl_find(ps, action)) == NULL) {
		*why = xprintf("unknown action \"%s\" (no loaded plugin "
		    "provides it)", action);
		return -1;
	}
	if (ae->act->check(with, &msg) == 0) {
		free(msg);
		return 0;
	}
	*why = pl_note_clean(msg != NULL ? msg : "invalid with:");
	free(msg);
	return -1;
}

/* ---- runs ---- */

static void
run_free(struct action_run *r)
{
	TAILQ_REMOVE(&r->ps->runs, r, entry);
	event_del(&r->deadline);
	event_del(&r->deliver);
	free(r->note);
	free(r);
}

static void
run_deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct action_run	*r = arg;
	action_done_fn		 done = r->done;
	void			*done_arg = r->arg;
	char			*note = r->note;
	int			 ok = r->ok;

	r->note = NULL;
	run_free(r);
	done(done_arg, ok, note);
	free(note);
}

/* Records the result and delivers it from a fresh loop iteration, so
 * the daemon's callback never runs inside plugin code. */
static void
run_finish(struct action_run *r, int ok, const char *note)
{
	r->finished = 1;
	r->prun = NULL;
	r->ok = ok;
	r->note = pl_note_clean(note);
	event_del(&r->deadline);
	event_active(&r->deliver, EV_TIMEOUT, 1);
}

static void
run_done(void *arg, int ok, const char *note)
{
	struct action_run	*r = arg;

	if (r->finished) {
		log_warnx("plugin %s: action %s reported twice; ignored",
		    r->ae->pl->desc->name, r->ae->name);
		return;
	}
	run_finish(r, ok != 0, note);
}

static void
run_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct action_run	*r = arg;
	char			*note, *dur;

	r->ae->act->cancel(r->ae->pl->state, r->prun);
	if (r->timeout_ms % 1000 == 0) {
		dur = duration_fmt(r->timeout_ms / 1000);
		note = xprintf("timed out after %s: action %s did not finish",
		    dur, r->ae->name);
		free(dur);
	} else
		note = xprintf("timed out after %lldms: action %s did not "
		    "finish", (long long)r->timeout_ms, r->ae->name);
	run_finish(r, 0, note);
	free(note);
}

static char *
run_dry_note(const struct action_ent *ae, json_t *with)
{
	char	*what, *note;

	if (ae->act->describe != NULL &&
	    (what = ae->act->describe(with)) != NULL) {
		note = xprintf("dry run: would %s", what);
		free(what);
		return note;
	}
	what = with != NULL ? json_dumps(with, JSON_COMPACT) : NULL;
	note = xprintf("dry run: would run %s with %s", ae->name,
	    what != NULL ? what : "{}");
	free(what);
	return note;
}

struct action_run *
plugins_start(struct plugins *ps, const char *action, json_t *with,
    int64_t timeout_ms, int dry_run, action_done_fn done, void *arg,
    char **why)
{
	const struct action_ent	*ae;
	struct action_run	*r;
	struct timeval		 tv;
	char			*msg = NULL;
	void			*prun;

	if (plugins_check(ps, action, with, why) == -1)
		return NULL;
	ae = pl_find(ps, action);
	r = xcalloc(1, sizeof *r);
	r->ps = ps;
	r->ae = ae;
	r->timeout_ms = timeout_ms > 0 ? timeout_ms : PL_DEFAULT_TIMEOUT;
	r->done = done;
	r->arg = arg;
	evtimer_assign(&r->deadline, ps->base, run_deadline_cb, r);
	event_assign(&r->deliver, ps->base, -1, 0, run_deliver_cb, r);
	TAILQ_INSERT_TAIL(&ps->runs, r, entry);
	if (dry_run) {
		msg = run_dry_note(ae, with);
		run_finish(r, 1, msg);
		free(msg);
		return r;
	}
	/* A plugin that calls done inside start finds r ready for it. */
	prun = ae->act->start(ae->pl->state, with, r->timeout_ms, run_done, r,
	    &msg);
	if (!r->finished)
		r->prun = prun;
	if (prun == NULL && !r->finished) {
		*why = pl_note_clean(msg != NULL ? msg : "could not start");
		free(msg);
		run_free(r);
		return NULL;
	}
	free(msg);
	if (!r->finished) {
		pl_ms_tv(r->timeout_ms + PL_GRACE_MS, &tv);
		evtimer_add(&r->deadline, &tv);
	}
	return r;
}

void
plugins_cancel(struct plugins *ps, struct action_run *r)
{
	if (r == NULL)
		return;
	if (!r->finished)
		r->ae->act->cancel(r->ae->pl->state, r->prun);
	run_free(r);
}
