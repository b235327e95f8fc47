/* Maintenance windows: planned work during which the triggers of a
 * source that match the window are recorded and start nothing.
 *
 * The maintenance table is the truth; every change to it is an event of
 * the audit log (incident 0): maintenance.scheduled when a window opens
 * in the future, maintenance.started when it comes into force,
 * maintenance.ended when it ends (at its until, by timer, or by
 * `maintenance end`). The windows not yet ended live in memory with
 * their compiled matchers; memory changes only once the change is
 * committed. Whether a window holds a trigger is decided from its from
 * and until, never from whether its timers have fired yet. */
#include <stdlib.h>
#include <string.h>

#include "core/maint.h"
#include "core/apply.h"
#include "core/batch.h"
#include "core/notify.h"
#include "common/jsonutil.h"
#include "engine/engine.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "model/config.h"
#include "model/hooks.h"
#include "model/matcher.h"
#include "model/roster.h"
#include "store/store.h"

#define MT_START	tkey_name(TK_MAINT_START)
#define MT_END		tkey_name(TK_MAINT_END)

struct mwin {
	int64_t		 id;
	char		*source;
	struct matcher	*m;		/* NULL: every trigger */
	int64_t		 from;
	int64_t		 until;
	/* The same PATH=VALUE pairs, for the fast path of maint_holds. */
	char		**kpath;
	char		**kval;
	size_t		 nkv;
};

/* The trigger's values of the paths already looked up in one call of
 * maint_holds: a hundred windows on labels.alertname cost one lookup. */
#define MLOOK_N	4
struct mlook {
	const char	*path[MLOOK_N];
	json_t		*v[MLOOK_N];
	size_t		 n;
};

struct maint {
	struct mwin	*v;
	size_t		 n;
};

/* A change of memory waiting for its commit. */
struct mchange {
	struct kz_daemon	*d;
	struct mwin		 w;	/* add (w.source set) or remove */
};

static void
mw_clear(struct mwin *w)
{
	size_t i;

	free(w->source);
	matcher_free(w->m);
	for (i = 0; i < w->nkv; i++) {
		free(w->kpath[i]);
		free(w->kval[i]);
	}
	free(w->kpath);
	free(w->kval);
	memset(w, 0, sizeof *w);
}

/* Keeps the string pairs of match beside the compiled matcher. */
static void
mw_pairs(struct mwin *w, json_t *match)
{
	const char	*path;
	json_t		*v;

	w->kpath = xcalloc(json_object_size(match) + 1, sizeof *w->kpath);
	w->kval = xcalloc(json_object_size(match) + 1, sizeof *w->kval);
	json_object_foreach(match, path, v) {
		if (!json_is_string(v))
			continue;	/* not from --match: matcher only */
		w->kpath[w->nkv] = xstrdup(path);
		w->kval[w->nkv++] = xstrdup(json_string_value(v));
	}
	/* Not all pairs: the matcher alone decides (nkv 0). */
	while (w->nkv != json_object_size(match) && w->nkv > 0) {
		w->nkv--;
		free(w->kpath[w->nkv]);
		free(w->kval[w->nkv]);
	}
}

static json_t *
mlook_get(struct mlook *lk, json_t *doc, const char *path)
{
	json_t	*v;
	size_t	 i;

	for (i = 0; i < lk->n; i++)
		if (strcmp(lk->path[i], path) == 0)
			return lk->v[i];
	v = json_path(doc, path);
	if (lk->n < MLOOK_N) {
		lk->path[lk->n] = path;
		lk->v[lk->n++] = v;
	}
	return v;
}

/* Whether window w holds doc. Every pair must hold; a string in the
 * trigger is compared bytewise, anything else (code=551 against a
 * number) is left to the matcher, whose equality is the runbooks'. */
static int
mw_holds(const struct mwin *w, json_t *doc, struct mlook *lk)
{
	json_t	*v;
	size_t	 i;

	if (w->m == NULL)
		return 1;
	if (w->nkv == 0)
		return matcher_eval(w->m, doc);
	for (i = 0; i < w->nkv; i++) {
		if ((v = mlook_get(lk, doc, w->kpath[i])) == NULL)
			return 0;
		if (!json_is_string(v))
			return matcher_eval(w->m, doc);
		if (strcmp(json_string_value(v), w->kval[i]) != 0)
			return 0;
	}
	return 1;
}

static struct maint *
mt_get(struct kz_daemon *d)
{
	if (d->maint == NULL)
		d->maint = xcalloc(1, sizeof *d->maint);
	return d->maint;
}

static void
mt_remove(struct kz_daemon *d, int64_t id)
{
	struct maint	*m = mt_get(d);
	size_t		 i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].id == id) {
			mw_clear(&m->v[i]);
			m->v[i] = m->v[--m->n];
			return;
		}
}

static void
mt_insert(struct kz_daemon *d, struct mwin *w)
{
	struct maint *m = mt_get(d);

	mt_remove(d, w->id);
	m->v = xreallocarray(m->v, m->n + 1, sizeof *m->v);
	m->v[m->n++] = *w;
	memset(w, 0, sizeof *w);
}

static void
mt_change_apply(struct kz_daemon *d, void *arg)
{
	struct mchange *c = arg;

	if (c->w.source != NULL)
		mt_insert(d, &c->w);
	else
		mt_remove(d, c->w.id);
	mw_clear(&c->w);
	free(c);
}

static void
mt_change_drop(void *arg)
{
	struct mchange *c = arg;

	mw_clear(&c->w);
	free(c);
}

static void
mt_after(struct kz_daemon *d, struct mwin *w, int64_t remove_id)
{
	struct mchange *c = xcalloc(1, sizeof *c);

	c->d = d;
	if (w != NULL) {
		c->w = *w;
		memset(w, 0, sizeof *w);
	} else
		c->w.id = remove_id;
	kz_after_commit(d, mt_change_apply, c, mt_change_drop);
}

/* A stored window as a window in memory; -1 if its matcher does not
 * compile (it did when it was stored). */
static int
mw_from_row(const struct maint_window *r, struct mwin *w)
{
	json_t	*mj;
	char	*why = NULL;

	memset(w, 0, sizeof *w);
	w->id = r->id;
	w->from = r->from;
	w->until = r->until;
	if (r->match != NULL && (mj = json_loads(r->match, 0, NULL)) != NULL) {
		if (json_object_size(mj) > 0 &&
		    (w->m = matcher_compile_json(mj, &why)) == NULL) {
			log_warnx("maintenance window %lld: %s", (long long)
			    w->id, why);
			free(why);
			json_decref(mj);
			return -1;
		}
		if (w->m != NULL)
			mw_pairs(w, mj);
		json_decref(mj);
	}
	w->source = xstrdup(r->source);
	return 0;
}

int
maint_load(struct kz_daemon *d)
{
	struct maint_window	*v;
	struct mwin		 w;
	size_t			 i, n;

	maint_free(d);
	if (store_maint_open(d->store, &v, &n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (mw_from_row(&v[i], &w) == 0)
			mt_insert(d, &w);
	store_maint_free(v, n);
	return 0;
}

void
maint_free(struct kz_daemon *d)
{
	size_t i;

	if (d->maint == NULL)
		return;
	for (i = 0; i < d->maint->n; i++)
		mw_clear(&d->maint->v[i]);
	free(d->maint->v);
	free(d->maint);
	d->maint = NULL;
}

int64_t
maint_holds(struct kz_daemon *d, const char *source, json_t *doc,
    int64_t now)
{
	struct maint	*m = d->maint;
	struct mwin	*w;
	struct mlook	 lk;
	int64_t		 best = 0;
	size_t		 i;

	lk.n = 0;
	for (i = 0; m != NULL && i < m->n; i++) {
		w = &m->v[i];
		if (now < w->from || now >= w->until ||
		    (best != 0 && w->id > best) ||
		    strcmp(w->source, source) != 0)
			continue;
		/* The oldest window that holds it takes the count. */
		if (mw_holds(w, doc, &lk))
			best = w->id;
	}
	return best;
}

int
maint_held(struct kz_daemon *d, int64_t id)
{
	return store_maint_held(d->store, id);
}

json_t *
maint_in_force(struct kz_daemon *d, const char *source, int64_t now)
{
	struct maint	*m = d->maint;
	json_t		*out = json_array();
	size_t		 i;

	for (i = 0; m != NULL && i < m->n; i++)
		if (now >= m->v[i].from && now < m->v[i].until &&
		    strcmp(m->v[i].source, source) == 0)
			json_array_append_new(out, json_integer(m->v[i].id));
	return out;
}

int
maint_may(struct kz_daemon *d, const struct actx *a)
{
	const char *who = a->member != NULL ? a->member : a->actor;

	if (a->admin && a->member == NULL)
		return 1;
	return who != NULL && d->conf->maint_role != NULL &&
	    roster_in_role(d->roster, d->conf->maint_role, who);
}

static json_t *
mt_row_json(const struct maint_window *r, int64_t now)
{
	json_t		*match = r->match ? json_loads(r->match, 0, NULL) :
			    NULL;
	const char	*state;

	if (r->ended_at != 0)
		state = "ended";
	else if (now < r->from)
		state = "scheduled";
	else if (now < r->until)
		state = "in force";
	else
		state = "ended";	/* its timer has yet to run */
	return json_pack("{s:I,s:s,s:o,s:o,s:o,s:s,s:o,s:o,s:I,s:s,s:o,s:o}",
	    "id", (json_int_t)r->id, "source", r->source, "match",
	    match != NULL ? match : json_object(), "from", jtime(r->from),
	    "until", jtime(r->until), "note", r->note, "by",
	    jstr_or_null(r->opened_by), "on_behalf",
	    jstr_or_null(r->on_behalf), "suppressed",
	    (json_int_t)r->suppressed, "state", state, "ended_at",
	    jtime(r->ended_at), "ended_by", jstr_or_null(r->ended_by));
}

/* The data of a window's events: what it is, and who opened it. */
static json_t *
mt_event_data(const struct maint_window *r, int64_t now)
{
	json_t *v = mt_row_json(r, now);

	json_object_del(v, "state");
	json_object_del(v, "ended_at");
	json_object_del(v, "ended_by");
	return v;
}

static int
mt_event(struct kz_daemon *d, const struct maint_window *row,
    enum kz_event type, const char *actor, const char *on_behalf,
    int64_t now)
{
	json_t	*data = mt_event_data(row, now);
	int	 rc;

	rc = store_event(d->store, 0, now, actor, on_behalf, event_name(type),
	    NULL, data);
	if (rc == 0)
		rc = notify_system(d, type, data);
	json_decref(data);
	return rc;
}

/* Checks a request: a configured source, matchers on paths its format
 * has, a sane span. 0, or the status with *err. */
static int
mt_check(struct kz_daemon *d, const struct maint_req *q, int64_t now,
    struct matcher **m, json_t **err)
{
	const struct source_conf	*s = config_source(d->conf, q->source);
	const char			*path;
	json_t				*v;
	char				*why = NULL;

	*m = NULL;
	if (s == NULL) {
		*err = kz_error("no source \"%s\" is configured", q->source);
		return 404;
	}
	if (q->note == NULL || *q->note == '\0') {
		*err = kz_error("a window needs --note: what the work is");
		return 400;
	}
	if (q->until <= q->from) {
		*err = kz_error("until must be after from");
		return 400;
	}
	if (q->until - q->from > MAINT_MAX_S * 1000) {
		*err = kz_error("a window may last 30 days at most (open "
		    "another when this one ends)");
		return 400;
	}
	if (q->until <= now) {
		*err = kz_error("until is in the past");
		return 400;
	}
	json_object_foreach(q->match, path, v) {
		if (!hook_path_known(s->format, path)) {
			*err = kz_error("--match %s: a trigger of format %s "
			    "never has \"%s\" (source %s)", path, s->format,
			    path, s->name);
			return 400;
		}
	}
	if (json_object_size(q->match) > 0 &&
	    (*m = matcher_compile_json(q->match, &why)) == NULL) {
		*err = kz_error("--match: %s", why);
		free(why);
		return 400;
	}
	return 0;
}

int
maint_add(struct kz_daemon *d, const struct actx *a,
    const struct maint_req *q, int64_t *id, json_t **err)
{
	struct matcher		*m;
	struct mwin		 w;
	struct maint_window	 row;
	char			*ms, step[24];
	int64_t			 now = a->now;
	int			 status, started, rc;

	if ((status = mt_check(d, q, now, &m, err)) != 0)
		return status;
	started = q->from <= now;
	ms = json_dumps(q->match != NULL ? q->match : json_object(),
	    JSON_COMPACT | JSON_SORT_KEYS);
	/* Borrowed for the insert: nothing of row is freed. */
	memset(&row, 0, sizeof row);
	row.source = (char *)q->source;
	row.match = ms;
	row.from = q->from;
	row.until = q->until;
	row.note = (char *)q->note;
	row.opened_by = (char *)a->actor;
	row.on_behalf = (char *)a->member;
	row.created_at = now;
	row.started = started;
	rc = store_maint_add(d->store, &row, id);
	free(ms);
	if (rc == -1)
		*id = 0;
	snprintf(step, sizeof step, "%lld", (long long)*id);
	if (rc == 0)
		rc = store_timer_set(d->store, 0, step, MT_END, q->until,
		    NULL);
	if (rc == 0 && !started)
		rc = store_timer_set(d->store, 0, step, MT_START, q->from,
		    NULL);
	/* The event tells the window as stored. */
	if (rc == 0 && store_maint_get(d->store, *id, &row) != 1)
		rc = -1;
	if (rc == 0) {
		rc = mt_event(d, &row, started ? EV_MAINTENANCE_STARTED :
		    EV_MAINTENANCE_SCHEDULED, a->actor, a->member, now);
		store_maint_clear(&row);
	}
	if (rc != 0) {
		matcher_free(m);
		*err = kz_error("storage unavailable: %s",
		    store_errmsg(d->store));
		return 503;
	}
	memset(&w, 0, sizeof w);
	w.id = *id;
	w.source = xstrdup(q->source);
	w.m = m;
	w.from = q->from;
	w.until = q->until;
	if (m != NULL)
		mw_pairs(&w, q->match);
	mt_after(d, &w, 0);
	log_info("maintenance window %lld on %s opened by %s, %s", (long long)
	    *id, q->source, a->actor ? a->actor : "?", started ?
	    "in force now" : "scheduled");
	return 200;
}

/* Ends window row at now (inside an operation): by NULL when its time
 * is up. */
static int
mt_close(struct kz_daemon *d, struct maint_window *row, const char *by,
    const char *on_behalf, int64_t now)
{
	char	step[24];
	int	rc;

	snprintf(step, sizeof step, "%lld", (long long)row->id);
	rc = store_maint_end(d->store, row->id, now, by);
	if (rc == 0)
		rc = store_timer_clear(d->store, 0, step, NULL);
	if (rc == 0) {
		row->ended_at = now;
		rc = mt_event(d, row, EV_MAINTENANCE_ENDED, by ? by :
		    "keizokud", on_behalf, now);
	}
	if (rc == 0) {
		mt_after(d, NULL, row->id);
		log_info("maintenance window %lld on %s ended%s%s", (long long)
		    row->id, row->source, by ? " by " : "", by ? by : "");
	}
	return rc;
}

int
maint_end(struct kz_daemon *d, const struct actx *a, int64_t id,
    json_t **err)
{
	struct maint_window	row;
	int			rc;

	/* A window that cannot be read is not there to end. */
	if (store_maint_get(d->store, id, &row) != 1) {
		*err = kz_error("no maintenance window %lld", (long long)id);
		return 404;
	}
	if (row.ended_at != 0) {
		*err = kz_error("maintenance window %lld has ended already",
		    (long long)id);
		store_maint_clear(&row);
		return 409;
	}
	rc = mt_close(d, &row, a->actor, a->member, a->now);
	store_maint_clear(&row);
	if (rc != 0) {
		*err = kz_error("storage unavailable: %s",
		    store_errmsg(d->store));
		return 503;
	}
	return 200;
}

int
maint_timer(struct kz_daemon *d, const char *step, enum tk_kind kind,
    int64_t now)
{
	struct maint_window	row;
	long long		id;
	int			rc = 0;

	if (step == NULL || parse_i64(step, &id) == -1)
		return 0;
	if (store_maint_get(d->store, id, &row) != 1)
		return 0;	/* gone: a stale timer */
	if (row.ended_at != 0)
		rc = 0;
	else if (kind == TK_MAINT_END)
		rc = mt_close(d, &row, NULL, NULL, now);
	else if (kind == TK_MAINT_START && !row.started) {
		rc = store_maint_started(d->store, id);
		if (rc == 0)
			rc = mt_event(d, &row, EV_MAINTENANCE_STARTED,
			    "keizokud", NULL, now);
	}
	store_maint_clear(&row);
	return rc;
}

json_t *
maint_list(struct kz_daemon *d, int all, int64_t now)
{
	struct maint_window	*v;
	json_t			*out;
	size_t			 i, n;

	if (store_maint_list(d->store, all, &v, &n) == -1)
		return NULL;
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(out, mt_row_json(&v[i], now));
	store_maint_free(v, n);
	return out;
}

json_t *
maint_during(struct kz_daemon *d, int64_t from, int64_t to)
{
	struct maint_window	*v;
	json_t			*out, *o;
	size_t			 i, n;

	if (store_maint_during(d->store, from, to, &v, &n) == -1)
		return NULL;
	out = json_array();
	for (i = 0; i < n; i++) {
		o = mt_row_json(&v[i], to);
		json_object_set_new(o, "held", json_integer(v[i].held));
		json_array_append_new(out, o);
	}
	store_maint_free(v, n);
	return out;
}
