/*
 * Action plugins, the daemon side: loading shared objects that speak
 * plugins/keizoku-plugin.h and the runs of their actions (the core
 * services they are given are plugin-core.c's).
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
#include "core/plugin-int.h"
#include "core/spawn.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

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
	size_t			 i, left;

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
	if ((left = core_reap(ps)) > 0)
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
