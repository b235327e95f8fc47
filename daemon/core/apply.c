/* Between the pure engine and the world: loads incidents with the
 * runbook version they started with, and stores every change the engine
 * decides (kz_apply: the incident, its events, timers, notifications,
 * exception measures) inside the current operation; starts actions once
 * their state is committed. No other module writes those. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "core/apply.h"
#include "core/batch.h"
#include "core/daemon.h"
#include "core/exception.h"
#include "core/notify.h"
#include "core/plugin.h"
#include "common/diag.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "engine/engine.h"
#include "model/config.h"
#include "model/plan.h"
#include "model/runbook.h"
#include "model/template.h"
#include "store/store.h"

struct runbook *
kz_runbook_by_hash(struct kz_daemon *d, const char *hash)
{
	struct runbook	*rb;
	struct diags	 dg = { 0 };
	char		*src, *file = NULL;
	size_t		 i;

	if (hash == NULL)
		return NULL;
	for (i = 0; d->rbs != NULL && i < d->rbs->n; i++)
		if (strcmp(d->rbs->v[i]->hash, hash) == 0)
			return runbook_ref(d->rbs->v[i]);
	for (i = 0; i < d->nrbcache; i++)
		if (strcmp(d->rbcache[i]->hash, hash) == 0)
			return runbook_ref(d->rbcache[i]);
	if ((src = store_runbook_source(d->store, hash, &file)) == NULL)
		return NULL;
	/* An old version: parse it as it was, without today's references
	 * (a member who left must not make a running incident unreadable). */
	rb = runbook_parse(file, src, strlen(src), NULL, &dg);
	if (rb == NULL)
		log_warnx("stored runbook version %s no longer parses: %s",
		    hash, dg.n > 0 ? dg.msgs[0] : "?");
	diag_free(&dg);
	free(src);
	free(file);
	if (rb == NULL)
		return NULL;
	d->rbcache = xreallocarray(d->rbcache, d->nrbcache + 1,
	    sizeof *d->rbcache);
	d->rbcache[d->nrbcache++] = runbook_ref(rb);
	return rb;
}

json_t *
kz_rtos(struct kz_daemon *d, const struct runbook *rb)
{
	json_t	*o = json_object();
	size_t	 i;

	for (i = 0; d->plan != NULL && rb->systems[i] != NULL; i++) {
		int64_t rto = plan_system_rto(d->plan, rb->systems[i]);

		if (rto > 0)
			json_object_set_new(o, rb->systems[i],
			    json_integer(rto));
	}
	return o;
}

static struct runbook *
lookup_cb(void *arg, const char *hash)
{
	return kz_runbook_by_hash(arg, hash);
}

struct incident *
kz_incident_load(struct kz_daemon *d, int64_t id, int *status)
{
	return store_incident_load(d->store, id, lookup_cb, d, status);
}

struct action_job {
	int64_t			 incident;
	int			 step;
	int			 attempt;
	int			 ok;
	char			*note;
	struct action_job	*next;	/* running, see running_jobs */
};

/* Jobs handed to a plugin and not finished: a stop cancels their runs
 * without calling back, so they are freed here (kz_actions_free). */
static struct action_job *running_jobs;

static void
job_unlink(struct action_job *j)
{
	struct action_job **pp;

	for (pp = &running_jobs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			return;
		}
}

void
kz_actions_free(void)
{
	struct action_job *j, *next;

	for (j = running_jobs; j != NULL; j = next) {
		next = j->next;
		free(j->note);
		free(j);
	}
	running_jobs = NULL;
}

static void action_finish(struct kz_daemon *, struct action_job *);

static struct kz_daemon *action_daemon;	/* for plugin callbacks */

static void
action_done_cb(void *arg, int ok, const char *note)
{
	struct action_job *j = arg;

	job_unlink(j);
	j->ok = ok;
	j->note = xstrdup(note ? note : "");
	action_finish(action_daemon, j);
}

static void
action_fail_later(evutil_socket_t fd, short ev, void *arg)
{
	action_finish(action_daemon, arg);
}

static void
action_finish(struct kz_daemon *d, struct action_job *j)
{
	struct incident	*inc;
	struct effects	 fx = { 0 };
	struct actx	 a;
	int		 status;

	kz_actx_init(d, &a, clock_now(), "keizokud");
	if (kz_op_begin(d) == 0) {
		int ok = 0;

		if ((inc = kz_incident_load(d, j->incident, &status)) != NULL) {
			engine_action_done(&a, inc, j->step, j->attempt, j->ok,
			    j->note, &fx);
			ok = kz_apply(d, &a, inc, &fx) == 0;
			incident_free(inc);
		}
		effects_free(&fx);
		if (kz_op_end(d, ok, NULL, NULL) == -1)
			log_warnx("incident %lld: the result of an action could "
			    "not be stored; it will be re-run after restart",
			    (long long)j->incident);
	}
	free(j->note);
	free(j);
}

static void
action_start(struct kz_daemon *d, void *arg)
{
	struct action_job	*j = arg;
	struct incident		*inc;
	const struct rb_step	*rs;
	json_t			*ctx, *with;
	char			*why = NULL;
	int			 status, dry;

	action_daemon = d;
	if ((inc = kz_incident_load(d, j->incident, &status)) == NULL) {
		free(j);
		return;
	}
	rs = &inc->rb->steps[j->step];
	ctx = engine_context(inc);
	with = tmpl_render_json(rs->with, ctx);
	json_decref(ctx);
	dry = inc->drill && !rs->drill_run;
	if (d->plugins == NULL || plugins_start(d->plugins, rs->action, with,
	    rs->timeout_s * 1000, dry, action_done_cb, j, &why) == NULL) {
		j->ok = 0;
		j->note = why != NULL ? why : xprintf("action %s is not "
		    "available (no plugin provides it)", rs->action);
		event_base_once(d->base, -1, EV_TIMEOUT, action_fail_later, j,
		    NULL);
	} else {
		j->next = running_jobs;
		running_jobs = j;
	}
	json_decref(with);
	incident_free(inc);
}

static void
action_drop(void *arg)
{
	free(arg);
}

static int
timer_effect(struct kz_daemon *d, struct incident *inc,
    const struct effect *e)
{
	char	*step = tkey_step(&e->tk, e->step >= 0 ?
		    inc->rb->steps[e->step].id : NULL);
	char	*kind = tkey_format(&e->tk);
	int	 rc;

	if (e->kind == EF_TIMER_SET)
		rc = store_timer_set(d->store, inc->id, step, kind, e->due,
		    json_object_size(e->data) > 0 ? e->data : NULL);
	else
		rc = store_timer_clear(d->store, inc->id, e->step >= 0 ||
		    kind != NULL ? step : NULL, kind);
	free(step);
	free(kind);
	return rc;
}

static int apply_effects(struct kz_daemon *, const struct actx *,
    struct incident *, struct effects *);

/* A new exception measure: stored first (the events name its id), then
 * requested as the engine says. */
static int
exception_effect(struct kz_daemon *d, const struct actx *a,
    struct incident *inc, struct exc *x)
{
	struct effects	fx = { 0 };
	int		rc;

	if (exc_insert(d, x) == -1)
		return -1;
	engine_exception_requested(a, inc, x, &fx);
	rc = apply_effects(d, a, inc, &fx);
	effects_free(&fx);
	return rc;
}

/* A drill closed: each of its measures not yet disposed of ends with it,
 * as the engine says. */
static int
drill_closed_effect(struct kz_daemon *d, const struct actx *a,
    struct incident *inc)
{
	struct effects	 fx = { 0 };
	struct exc	*x;
	int64_t		*ids;
	size_t		 n, i;
	int		 rc = 0, status;

	if (exc_open_ids(d, inc->id, &ids, &n) == -1)
		return -1;
	for (i = 0; rc == 0 && i < n; i++) {
		if ((x = exc_get(d, ids[i], &status)) == NULL) {
			rc = -1;
			break;
		}
		engine_exception_drill_closed(a, inc, x, &fx);
		rc = apply_effects(d, a, inc, &fx);
		effects_free(&fx);
		exc_free(x);
	}
	free(ids);
	return rc;
}

static int
apply_effects(struct kz_daemon *d, const struct actx *a, struct incident *inc,
    struct effects *fx)
{
	char	who[128];
	size_t	i;

	for (i = 0; i < fx->n; i++) {
		const struct effect	*e = &fx->v[i];
		const char		*step = inc != NULL && e->step >= 0 ?
					    inc->rb->steps[e->step].id : NULL;
		int			 rc = 0;

		if (inc == NULL && e->kind != EF_EVENT &&
		    e->kind != EF_NOTIFY && e->kind != EF_META)
			fatalx("%s: effect %d needs an incident", __func__,
			    e->kind);
		switch (e->kind) {
		case EF_EVENT:
			rc = store_event(d->store, inc != NULL ? inc->id : 0,
			    a->now, kz_who(a, who, sizeof who), a->member,
			    event_name(e->ev), step, e->data);
			break;
		case EF_TIMER_SET:
		case EF_TIMER_CLEAR:
			rc = timer_effect(d, inc, e);
			break;
		case EF_NOTIFY:
			rc = notify_enqueue(d, inc, e);
			break;
		case EF_EXCEPTION:
			rc = exception_effect(d, a, inc, e->exc);
			break;
		case EF_EXC_SAVE:
			rc = exc_update(d, e->exc);
			break;
		case EF_META:
			rc = store_meta_set(d->store, jget_str(e->data, "key"),
			    jget_str(e->data, "value"));
			break;
		case EF_WITHDRAW:
			rc = notify_withdraw(d, a, inc);
			break;
		case EF_DRILL_CLOSED:
			rc = drill_closed_effect(d, a, inc);
			break;
		case EF_ACTION: {
			struct action_job *j = xcalloc(1, sizeof *j);

			j->incident = inc->id;
			j->step = e->step;
			j->attempt = (int)e->due;
			kz_after_commit(d, action_start, j, action_drop);
			break;
		}
		}
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
kz_apply(struct kz_daemon *d, const struct actx *a, struct incident *inc,
    struct effects *fx)
{
	if (inc != NULL && store_incident_save(d->store, inc) == -1)
		return -1;
	return apply_effects(d, a, inc, fx);
}

void
kz_actx_init(struct kz_daemon *d, struct actx *a, int64_t now,
    const char *actor)
{
	memset(a, 0, sizeof *a);
	a->roster = d->roster;
	a->now = now;
	a->actor = actor;
	a->excp.approver_role = d->conf->approver_role;
	a->excp.remind_s = d->conf->exc_remind_s;
	a->excp.nremind = d->conf->nexc_remind;
}

int
kz_start_incident(struct kz_daemon *d, const struct actx *a,
    const struct kz_start *st, int64_t *id, char **why)
{
	struct incident	*inc = incident_new(st->rb, st->drill, st->trigger,
			    st->vars);
	struct effects	 fx = { 0 };
	struct actx	 ax = *a;
	int		 rc;

	ax.rtos = kz_rtos(d, st->rb);
	a = &ax;
	inc->source = st->source ? xstrdup(st->source) : NULL;
	inc->dedup_key = st->key ? xstrdup(st->key) : NULL;
	inc->confirm_by = st->confirm_by ? xstrdup(st->confirm_by) : NULL;
	inc->note = st->note ? xstrdup(st->note) : NULL;
	/* The id must exist before events reference it. */
	inc->started_at = a->now;
	inc->state = st->pending ? IS_PENDING : IS_ACTIVE;
	if (store_incident_save(d->store, inc) == -1) {
		incident_free(inc);
		*why = kz_storage_why(d);
		return 503;
	}
	engine_activate(a, inc, st->pending, &fx, why);
	if (st->scenario != NULL)
		engine_drill_start(a, inc, st->scenario, &fx);
	rc = kz_apply(d, a, inc, &fx) == -1 ? 503 : 200;
	*id = inc->id;
	effects_free(&fx);
	incident_free(inc);
	json_decref(ax.rtos);
	if (rc != 200)
		*why = kz_storage_why(d);
	return rc;
}

/* After a restart: actions that were running when the daemon stopped
 * are interrupted; the engine re-runs or fails them per the step. */
void
kz_actions_recover(struct kz_daemon *d)
{
	json_t	*rows = store_running_steps(d->store);
	size_t	 i;

	for (i = 0; rows != NULL && i < json_array_size(rows); i++) {
		json_t		*r = json_array_get(rows, i);
		struct incident	*inc;
		struct effects	 fx = { 0 };
		struct actx	 a;
		int		 status, ok = 0;

		kz_actx_init(d, &a, clock_now(), "keizokud");
		if (kz_op_begin(d) == -1)
			break;
		inc = kz_incident_load(d, json_integer_value(json_object_get(r,
		    "incident")), &status);
		if (inc != NULL) {
			engine_action_interrupted(&a, inc, (int)
			    json_integer_value(json_object_get(r, "idx")), &fx);
			ok = kz_apply(d, &a, inc, &fx) == 0;
			incident_free(inc);
		}
		effects_free(&fx);
		kz_op_end(d, ok, NULL, NULL);
	}
	json_decref(rows);
}

const char *
kz_who(const struct actx *a, char *buf, size_t len)
{
	if (a->via == NULL || strcmp(a->via, "web") != 0 || a->actor == NULL)
		return a->actor;
	snprintf(buf, len, "%s (web)", a->actor);
	return buf;
}
