/* Between the pure engine and the world: loads incidents with the
 * runbook version they started with, and stores every change the engine
 * decides (kz_apply: the incident, its events, timers, notifications,
 * exception measures) inside the current operation; starts actions once
 * their state is committed (at most ACTIONS_MAX at once, the start
 * recorded before the launch). No other module writes those. */
#include <curl/curl.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "core/apply.h"
#include "core/leader.h"
#include "core/batch.h"
#include "core/daemon.h"
#include "core/exception.h"
#include "core/loop.h"
#include "core/notify.h"
#include "core/plugin.h"
#include "core/safety.h"
#include "core/spawn.h"
#include "core/triggerlog.h"
#include "common/diag.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "model/actionwith.h"
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

struct incident *
kz_incident_load_for(struct kz_daemon *d, int64_t id, const char *member,
    int *status)
{
	return store_incident_load_for(d->store, id, member, lookup_cb, d,
	    status);
}

struct incident *
kz_incident_load_head(struct kz_daemon *d, int64_t id, int *status)
{
	return store_incident_load_head(d->store, id, lookup_cb, d, status);
}

struct action_job {
	int64_t			 incident;
	int			 step;
	int			 attempt;
	int			 ok;
	char			*note;
	int			 slot;	/* holds one of ACTIONS_MAX */
	struct action_job	*next;	/* running, see running_jobs */
	struct action_job	*all;	/* every job in memory (jobs) */
};

/* Every job from its creation to its end: what kz_actions_adopt must not
 * start a second time. */
static struct action_job	*jobs;

static struct action_job *
job_new(int64_t incident, int step, int attempt)
{
	struct action_job *j = xcalloc(1, sizeof *j);

	j->incident = incident;
	j->step = step;
	j->attempt = attempt;
	j->all = jobs;
	jobs = j;
	return j;
}

static void
job_free(struct action_job *j)
{
	struct action_job **pp;

	for (pp = &jobs; *pp != NULL; pp = &(*pp)->all)
		if (*pp == j) {
			*pp = j->all;
			break;
		}
	free(j->note);
	free(j);
}

static int
job_known(int64_t incident, int step, int attempt)
{
	struct action_job *j;

	for (j = jobs; j != NULL; j = j->all)
		if (j->incident == incident && j->step == step &&
		    j->attempt == attempt)
			return 1;
	return 0;
}

/*
 * At most ACTIONS_MAX actions between the record of their start and their
 * end: the others wait here, before anything is recorded, so that every
 * start on disk is a run under way (after a crash, those waiting were
 * never started and simply start; a run recorded and then queued for a
 * free child process would be called interrupted without having run).
 */
#define ACTIONS_MAX	SPAWN_MAX_RUNNING

static int			 slots_used;
static struct action_job	*waiting_head, **waiting_tail = &waiting_head;

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

int
kz_actions_running(void)
{
	struct action_job	*j;
	int			 n = 0;

	for (j = running_jobs; j != NULL; j = j->next)
		n++;
	return n;
}

void
kz_actions_free(void)
{
	struct action_job *j, *next;

	for (j = running_jobs; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
	running_jobs = NULL;
	/* Waiting: nothing recorded; a restart starts them. */
	for (j = waiting_head; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
	waiting_head = NULL;
	waiting_tail = &waiting_head;
	slots_used = 0;
}

static void action_intent(struct kz_daemon *, void *);

/* The end of a job: its slot goes to the next one waiting. */
static void
job_end(struct kz_daemon *d, struct action_job *j)
{
	struct action_job *next;

	if (j->slot) {
		slots_used--;
		if (d != NULL && !d->stopping && (next = waiting_head) !=
		    NULL) {
			if ((waiting_head = next->next) == NULL)
				waiting_tail = &waiting_head;
			next->next = NULL;
			kz_later(d, action_intent, next);
		}
	}
	job_free(j);
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
	job_end(d, j);
}

static void action_launch(struct kz_daemon *, void *);
static void action_drop(void *);

/* A URL parser's view of scheme, user, password, host and port. */
static int
url_parts(const char *url, char *out[5])
{
	static const CURLUPart parts[5] = { CURLUPART_SCHEME, CURLUPART_USER,
	    CURLUPART_PASSWORD, CURLUPART_HOST, CURLUPART_PORT };
	CURLU	*u = curl_url();
	size_t	 i;
	int	 rc = 0;

	memset(out, 0, 5 * sizeof *out);
	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		rc = -1;
	for (i = 0; rc == 0 && i < 5; i++) {
		char *v = NULL;

		if (curl_url_get(u, parts[i], &v, parts[i] == CURLUPART_PORT ?
		    CURLU_DEFAULT_PORT : 0) == CURLUE_OK) {
			out[i] = xstrdup(v);
			curl_free(v);
		}
	}
	curl_url_cleanup(u);
	return rc;
}

/* The rendered URL must go where the runbook's own vars send it: same
 * scheme, credentials, host and port, as libcurl reads them (the check
 * at load time and the encoding of values already see to it; this is
 * the last word before a request leaves). */
static int
same_origin(const char *url, const char *origin, char **why)
{
	char	*a[5], *b[5];
	size_t	 i;
	int	 rc = 0;

	if (url_parts(url, a) == -1 || url_parts(origin, b) == -1) {
		*why = xprintf("url: %s is not a URL libcurl accepts", url);
		rc = -1;
	}
	for (i = 0; rc == 0 && i < 5; i++)
		if ((a[i] == NULL) != (b[i] == NULL) || (a[i] != NULL &&
		    strcasecmp(a[i], b[i]) != 0)) {
			*why = xprintf("url: %s would not go to the host the "
			    "runbook names (%s); refused", url, origin);
			rc = -1;
		}
	for (i = 0; i < 5; i++) {
		free(a[i]);
		free(b[i]);
	}
	return rc;
}
static void action_unlaunched(void *);

/*
 * An action starts in two steps, both from the work queue: first its
 * start is committed (steps.started = the attempt), then it is launched.
 * After a crash, a running step whose start was never committed never
 * started, and is simply started; one whose start was committed may have
 * run (interrupted). The commit costs little: the batch takes the starts
 * of a burst together.
 */
static void
action_intent(struct kz_daemon *d, void *arg)
{
	struct action_job	*j = arg;
	int			 ok, live;

	action_daemon = d;
	if (d->stopping) {
		job_end(d, j);	/* not recorded: a restart starts it */
		return;
	}
	/* A follower records and runs nothing: the leader starts it when
	 * this commit wakes it (kz_actions_adopt). */
	if (!kz_leading(d)) {
		job_end(d, j);
		return;
	}
	if (!j->slot && slots_used >= ACTIONS_MAX) {
		j->next = NULL;
		*waiting_tail = j;
		waiting_tail = &j->next;
		return;
	}
	if (!j->slot) {
		j->slot = 1;
		slots_used++;
	}
	if (kz_op_begin(d) == -1) {
		/* Not started, and not recorded: a restart starts it. */
		log_warnx("incident %lld: cannot record the start of an action "
		    "(%s); it starts after a restart", (long long)j->incident,
		    store_errmsg(d->store));
		job_end(d, j);
		return;
	}
	/* Started already (by this instance or, before a takeover, by
	 * another): not again. */
	live = store_action_claim(d->store, j->incident, j->step,
	    j->attempt);
	ok = live != -1;
	/* A step overridden by hand meanwhile starts nothing. */
	if (ok && live)
		kz_after_commit_queued(d, action_launch, j,
		    action_unlaunched);
	else
		job_end(d, j);
	kz_op_end(d, ok, NULL, NULL);
}

static void
action_launch(struct kz_daemon *d, void *arg)
{
	struct action_job	*j = arg;
	struct incident		*inc;
	const struct rb_step	*rs;
	json_t			*ctx, *rbctx, *with;
	char			*why = NULL, *origin = NULL;
	int			 status, dry;

	action_daemon = d;
	if ((inc = kz_incident_load(d, j->incident, &status)) == NULL) {
		job_end(d, j);
		return;
	}
	rs = &inc->rb->steps[j->step];
	ctx = engine_context(inc);
	rbctx = json_deep_copy(ctx);
	json_object_set(rbctx, "vars", inc->rb->vars != NULL ? inc->rb->vars :
	    json_object());
	with = action_with_render(rs->with, ctx, rbctx, &origin, &why);
	json_decref(ctx);
	json_decref(rbctx);
	if (with != NULL && origin != NULL && same_origin(json_string_value(
	    json_object_get(with, "url")), origin, &why) == -1) {
		json_decref(with);
		with = NULL;
	}
	free(origin);
	dry = inc->drill && !rs->drill_run;
	if (with == NULL || d->plugins == NULL || plugins_start(d->plugins,
	    rs->action, with, rs->timeout_s * 1000, dry, action_done_cb, j,
	    &why) == NULL) {
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
	job_free(arg);
}

/* A launch dropped: its start was committed, but keizokud is stopping
 * before it ran (or the commit failed, and nothing was recorded). At a
 * stop the record is taken back, so that the restart starts it instead
 * of calling it interrupted. */
static void
action_unlaunched(void *arg)
{
	struct action_job	*j = arg;
	struct kz_daemon	*d = action_daemon;
	int			 ok;

	if (d != NULL && d->stopping && kz_op_begin(d) == 0) {
		ok = store_action_unclaim(d->store, j->incident, j->step,
		    j->attempt) == 0;
		kz_op_end(d, ok, NULL, NULL);
	}
	job_end(d, j);
}

void
kz_action_resume(struct kz_daemon *d, int64_t incident, int step,
    int attempt)
{
	struct action_job *j = job_new(incident, step, attempt);

	log_info("incident %lld: starting the action of step %d, attempt %d, "
	    "which had not started when keizokud stopped",
	    (long long)incident, step, attempt);
	kz_later(d, action_intent, j);
}

/* The leader, woken by another instance's commit: actions that instance
 * made due (a follower starts none) start here. */
void
kz_actions_adopt(struct kz_daemon *d)
{
	json_t	*rows;
	size_t	 i;

	if (!kz_leading(d) || (rows = store_running_steps(d->store)) == NULL)
		return;
	for (i = 0; i < json_array_size(rows); i++) {
		json_t	*r = json_array_get(rows, i);
		int64_t	 inc = jget_int(r, "incident");
		int	 idx = (int)jget_int(r, "idx");
		int	 att = (int)jget_int(r, "attempts");
		struct action_job *j;

		if (jget_int(r, "started") >= att || job_known(inc, idx, att))
			continue;
		j = job_new(inc, idx, att);
		log_info("incident %lld: starting the action of step %d, "
		    "attempt %d (made due on another instance)",
		    (long long)inc, idx, att);
		kz_later(d, action_intent, j);
	}
	json_decref(rows);
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
	char		 who[128];
	struct nt_batch	 nb = { 0 };	/* what notifications share */
	size_t		 i;

	for (i = 0; i < fx->n; i++) {
		const struct effect	*e = &fx->v[i];
		const char		*step = inc != NULL && e->step >= 0 ?
					    inc->rb->steps[e->step].id : NULL;
		int			 rc = 0;

		/* Effects other than these may change the incident (or
		 * withdraw its messages): what is held goes first. */
		if (e->kind != EF_NOTIFY && e->kind != EF_EVENT &&
		    e->kind != EF_TIMER_SET && e->kind != EF_TIMER_CLEAR &&
		    inc != NULL && notify_batch_flush(d, inc, &nb) == -1)
			return -1;

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
			rc = e->ev == EV_TRIGGER_REPEATED ?
			    kz_repeat_notify(d, inc, e) :
			    notify_enqueue_ctx(d, inc, e, &nb);
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
		case EF_SAFETY:
			rc = kz_safety_effect(d, a, inc, e) < 0 ? -1 : 0;
			break;
		case EF_ACTION: {
			struct action_job *j = job_new(inc->id, e->step,
			    (int)e->due);

			kz_after_commit_queued(d, action_intent, j,
			    action_drop);
			break;
		}
		}
		if (rc == -1) {
			notify_batch_free(&nb);
			return -1;
		}
	}
	/* The step messages held for each member, one message each. */
	if (inc != NULL && nb.nheld > 0 &&
	    notify_batch_flush(d, inc, &nb) == -1)
		return -1;
	notify_batch_free(&nb);
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
	inc->trigger_text = st->trigger_text;
	/* The id must exist before the engine names it (events, titles);
	 * the row is written once, complete, by kz_apply. */
	inc->started_at = a->now;
	inc->state = st->pending ? IS_PENDING : IS_ACTIVE;
	if (store_incident_reserve(d->store, inc) == -1) {
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
	json_t	*rows;
	size_t	 i;

	if (!kz_leading(d))	/* the leader does it when it takes over */
		return;
	rows = store_running_steps(d->store);
	for (i = 0; rows != NULL && i < json_array_size(rows); i++) {
		json_t		*r = json_array_get(rows, i);
		struct incident	*inc;
		struct effects	 fx = { 0 };
		struct actx	 a;
		int		 status, ok = 0;

		/* Its start was never committed: it never ran, and starts
		 * now. */
		if (jget_int(r, "started") < jget_int(r, "attempts")) {
			kz_action_resume(d, jget_int(r, "incident"),
			    (int)jget_int(r, "idx"), (int)jget_int(r,
			    "attempts"));
			continue;
		}
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
