/* Commands on incidents: activate, confirm, dismiss, close, incidents,
 * show, log, and the step actions. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/daemon.h"
#include "common/duration.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "common/jsonutil.h"
#include "model/event.h"
#include "core/apply.h"
#include "engine/engine.h"

static int
load(struct kz_daemon *d, struct kz_req *r, const char *member,
    struct incident **inc, json_t **body)
{
	int64_t	id;
	int	status;

	if (req_id(r, "incident", &id) == -1) {
		*body = kz_error("incident must be a positive number, not "
		    "\"%s\"", req_str(r, "incident") ? req_str(r, "incident") :
		    "");
		return 400;
	}
	*inc = member != NULL ? kz_incident_load_for(d, id, member, &status) :
	    kz_incident_load(d, id, &status);
	if (*inc == NULL) {
		*body = status == 404 ? kz_error("no incident %lld",
		    (long long)id) : kz_error("cannot load incident %lld: %s",
		    (long long)id, store_errmsg(d->store));
		return status;
	}
	return 200;
}

int
cmd_activate(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	const char	*name = req_str(r, "runbook");
	struct runbook	*rb = rbset_find(d->rbs, name ? name : "");
	json_t		*vars, *list = json_object_get(r->params, "var");
	struct actx	 a;
	char		*why = NULL;
	int64_t		 id;
	size_t		 i;
	int		 status;

	if (rb == NULL) {
		*body = kz_error("no runbook \"%s\" (see keizoku runbooks)",
		    name ? name : "");
		return 404;
	}
	kz_actx(d, r, &a);
	if (!runbook_may_activate(rb, d->roster, a.member ? a.member : a.actor,
	    a.admin && a.member == NULL)) {
		char *who = runbook_activators_text(rb);

		*body = kz_error("only %s or an admin may activate %s (the "
		    "runbook's activators:)", who, rb->id);
		free(who);
		return 403;
	}
	vars = json_deep_copy(rb->vars);
	for (i = 0; json_is_array(list) && i < json_array_size(list); i++) {
		const char	*kv = json_string_value(json_array_get(list, i));
		const char	*eq = kv ? strchr(kv, '=') : NULL;
		char		*k;

		if (eq == NULL) {
			*body = kz_error("--var takes K=V, not \"%s\"",
			    kv ? kv : "");
			json_decref(vars);
			return 400;
		}
		k = xstrndup(kv, (size_t)(eq - kv));
		if (json_object_get(rb->vars, k) == NULL) {
			*body = kz_error("runbook %s has no variable \"%s\" "
			    "(declared: see its vars:)", rb->id, k);
			free(k);
			json_decref(vars);
			return 400;
		}
		json_object_set_new(vars, k, json_string(eq + 1));
		free(k);
	}
	status = kz_start_incident(d, &a, &(struct kz_start){ .rb = rb,
	    .drill = req_bool(r, "drill"), .vars = vars, .note = req_str(r,
	    "note") }, &id, &why);
	json_decref(vars);
	if (status != 200) {
		*body = kz_error("%s", why);
		free(why);
		return status;
	}
	*body = json_pack("{s:I,s:s}", "incident", (json_int_t)id, "state",
	    "active");
	return 201;
}

typedef int (*inc_fn)(const struct actx *, struct incident *,
    struct kz_req *, struct effects *, char **);

/* With partial, the incident is first loaded with only the call-outs
 * of the member acting (an answer to a call-out of 10,000 reads one
 * row); if fn needs them all, its result is thrown away and it runs
 * again on the whole incident, at the same time. */
static int
with_incident(struct kz_daemon *d, struct kz_req *r, json_t **body,
    inc_fn fn, json_t *(*result)(struct incident *, struct kz_req *),
    int partial)
{
	struct incident	*inc;
	struct effects	 fx = { 0 };
	struct actx	 a;
	char		*why = NULL;
	int		 status;

	kz_actx(d, r, &a);
	for (;;) {
		if ((status = load(d, r, partial ? (a.member != NULL ?
		    a.member : a.actor) : NULL, &inc, body)) != 200)
			return status;
		a.rtos = kz_rtos(d, inc->rb);
		status = fn(&a, inc, r, &fx, &why);
		if (inc->part == NULL || !inc->part->need_full)
			break;
		json_decref(a.rtos);
		effects_free(&fx);
		free(why);
		why = NULL;
		incident_free(inc);
		partial = 0;
	}
	if (status == 200 && kz_apply(d, &a, inc, &fx) == -1) {
		status = 503;
		why = kz_storage_why(d);
	}
	json_decref(a.rtos);
	if (status == 200)
		*body = result(inc, r);
	else {
		*body = kz_error("%s", why ? why : "failed");
		free(why);
	}
	effects_free(&fx);
	incident_free(inc);
	return status;
}

static int
do_respond(const struct actx *a, struct incident *inc, struct kz_req *r,
    struct effects *fx, char **why)
{
	static const char *const flags[] = { "available", "unavailable",
	    "arrived" };
	static const enum answer ans[] = { AN_AVAILABLE, AN_UNAVAILABLE,
	    AN_ARRIVED };
	const char	*eta = req_str(r, "eta"), *err;
	int64_t		 eta_s = 0;
	int		 n = 0, k = 0, i;

	for (i = 0; i < 3; i++)
		if (req_bool(r, flags[i])) {
			n++;
			k = i;
		}
	if (n != 1) {
		*why = xstrdup("give exactly one of --available, --unavailable "
		    "or --arrived");
		return 400;
	}
	if (eta != NULL && duration_parse(eta, &eta_s, &err) == -1) {
		*why = xprintf("--eta %s: %s", eta, err);
		return 400;
	}
	if (eta != NULL && ans[k] != AN_AVAILABLE) {
		*why = xstrdup("--eta goes with --available");
		return 400;
	}
	return engine_respond(a, inc, a->member ? a->member : a->actor, ans[k],
	    eta ? a->now + eta_s * 1000 : 0, req_str(r, "note"), fx, why);
}

static json_t *
respond_result(struct incident *inc, struct kz_req *r)
{
	const char	*me = r->member ? r->member : r->actor;
	size_t		 i;

	for (i = 0; i < inc->ncallouts; i++) {
		const struct callout	*c = &inc->callouts[i];
		char			 ts[40];

		if (strcmp(c->member, me) == 0 && c->answered_at != 0)
			return json_pack("{s:I,s:s,s:s,s:s,s:s?,s:s}",
			    "incident", (json_int_t)inc->id, "member", me,
			    "role", c->role, "answer", answer_name(c->answer),
			    "eta_at", c->eta_at ? rfc3339_buf(c->eta_at, ts,
			    sizeof ts) : NULL, "step",
			    inc->rb->steps[c->step].id);
	}
	return json_pack("{s:I,s:s}", "incident", (json_int_t)inc->id,
	    "member", me);
}

int
cmd_respond(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	return with_incident(d, r, body, do_respond, respond_result, 1);
}

static json_t *
inc_result(struct incident *inc, struct kz_req *r)
{
	return json_pack("{s:I,s:s}", "incident", (json_int_t)inc->id,
	    "state", inc_state_name(inc->state));
}

static int
do_confirm(const struct actx *a, struct incident *inc, struct kz_req *r,
    struct effects *fx, char **why)
{
	return engine_confirm(a, inc, r->spec->id == KZ_CMD_CONFIRM,
	    req_str(r, "note"), fx, why);
}

static int
do_close(const struct actx *a, struct incident *inc, struct kz_req *r,
    struct effects *fx, char **why)
{
	return engine_close(a, inc, req_str(r, "note"), req_bool(r, "force"),
	    fx, why);
}

static int
do_step(const struct actx *a, struct incident *inc, struct kz_req *r,
    struct effects *fx, char **why)
{
	enum step_act act;

	switch (r->spec->id) {
	case KZ_CMD_ACK:
		act = SA_ACK;
		break;
	case KZ_CMD_DONE:
		act = SA_DONE;
		break;
	case KZ_CMD_SKIP:
		act = SA_SKIP;
		break;
	case KZ_CMD_FAIL:
		act = SA_FAIL;
		break;
	case KZ_CMD_APPROVE:
		act = SA_APPROVE;
		break;
	case KZ_CMD_REJECT:
		act = SA_REJECT;
		break;
	default:
		*why = xstrdup("unknown step action");
		return 400;
	}
	return engine_step(a, inc, req_str(r, "step") ? req_str(r, "step") :
	    "", act, req_str(r, "note"), fx, why);
}

static json_t *
step_result(struct incident *inc, struct kz_req *r)
{
	int i = runbook_step_index(inc->rb, req_str(r, "step"));

	return json_pack("{s:I,s:s,s:s}", "incident", (json_int_t)inc->id,
	    "step", req_str(r, "step"), "state", i >= 0 ?
	    step_state_name(inc->steps[i].state) : "?");
}

static int
do_assign(const struct actx *a, struct incident *inc, struct kz_req *r,
    struct effects *fx, char **why)
{
	return engine_assign(a, inc, req_str(r, "step") ? req_str(r, "step") :
	    "", req_str(r, "member"), fx, why);
}

static json_t *
assign_result(struct incident *inc, struct kz_req *r)
{
	int i = runbook_step_index(inc->rb, req_str(r, "step"));

	return json_pack("{s:I,s:s,s:s,s:s?}", "incident", (json_int_t)inc->id,
	    "step", req_str(r, "step"), "state", i >= 0 ?
	    step_state_name(inc->steps[i].state) : "?", "assignee", i >= 0 ?
	    inc->steps[i].assignee : NULL);
}

int
cmd_assign(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	return with_incident(d, r, body, do_assign, assign_result, 0);
}

int
cmd_confirm(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	return with_incident(d, r, body, do_confirm, inc_result, 0);
}

int
cmd_close(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	return with_incident(d, r, body, do_close, inc_result, 0);
}

int
cmd_step(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	return with_incident(d, r, body, do_step, step_result, 0);
}

int
cmd_incidents(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	static const char *const times[] = { "started_at", "closed_at",
	    NULL };
	json_t	*rows;
	int64_t	 limit, after;
	int	 status;

	if ((status = req_page(r, &limit, &after, body)) != 0)
		return status;
	rows = store_incidents(d->store, req_bool(r, "all"), after, limit + 1);
	req_page_end(r, rows, limit, "id");
	if (rows == NULL) {
		*body = kz_storage_error(d);
		return 503;
	}
	kz_rows_view(rows, times);
	*body = rows;
	return 200;
}

json_t *
kz_show_json(struct kz_daemon *d, struct incident *inc)
{
	const struct runbook	*rb = inc->rb;
	json_t			*steps = json_array(), *sys = json_array();
	json_t			*ids, *out;
	size_t			 i;

	json_t			*ctx = engine_context(inc);

	for (i = 0; i < rb->nsteps; i++) {
		const struct rb_step	*rs = &rb->steps[i];
		const struct step_st	*s = &inc->steps[i];
		json_t			*needs = json_array();
		char			*title = engine_step_title(inc, (int)i,
					    ctx);
		size_t			 j;

		for (j = 0; j < rs->nneeds; j++)
			json_array_append_new(needs, json_string(rs->needs[j]));
		json_array_append_new(steps, json_pack("{s:s,s:s,s:s,s:s,s:s?,"
		    "s:s?,s:s?,s:s?,s:o,s:o,s:o,s:i,s:s?,s:o,s:o,s:s?,s:i}",
		    "id", rs->id, "title", title, "type",
		    step_type_name(rs->type), "state",
		    step_state_name(s->state), "role", rs->assign, "assignee",
		    s->assignee, "acked_by", s->acked_by, "done_by", s->done_by,
		    "ready_at", jtime(s->ready_at), "done_at", jtime(s->done_at),
		    "deadline_at", jtime(s->deadline_at), "escalation_level",
		    s->esc_level, "note", s->note, "needs", needs, "timeout_s",
		    rs->timeout_s ? json_integer(rs->timeout_s) : json_null(),
		    "guidance", rs->note, "attempts", s->attempts));
		free(title);
	}
	json_decref(ctx);
	json_decref(sys);
	sys = engine_systems_json(inc, clock_now());
	/* Unread (the storage failed): shown as none, as before. */
	if ((ids = store_incident_exception_ids(d->store, inc->id)) == NULL)
		ids = json_array();
	out = json_pack("{s:I,s:s,s:s,s:s,s:s,s:b,s:o,s:o,s:O,s:O,s:s?,s:s?,"
	    "s:s?,s:o,s:o,s:o,s:o}", "id", (json_int_t)inc->id, "runbook",
	    rb->id, "runbook_version", rb->hash, "title", inc->title, "state",
	    inc_state_name(inc->state), "drill", inc->drill, "started_at",
	    jtime(inc->started_at), "closed_at", jtime(inc->closed_at),
	    "trigger", inc->trigger, "vars", inc->vars, "activated_by",
	    inc->activated_by, "note", inc->note, "source", inc->source,
	    "steps", steps, "systems", sys, "assembly", engine_assembly_json(inc),
	    "exceptions", ids);
	/* Safety confirmation (SPEC §18): counts, never rows. */
	for (i = 0; i < rb->nsteps; i++)
		if (rb->steps[i].type == ST_SAFETY) {
			json_t *t = store_safety_tally(d->store, inc->id, NULL);

			if (t != NULL)
				json_object_set_new(out, "safety", t);
			break;
		}
	return out;
}

int
cmd_show(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	struct incident	*inc;
	int		 status;

	if ((status = load(d, r, NULL, &inc, body)) != 200)
		return status;
	*body = kz_show_json(d, inc);
	incident_free(inc);
	return 200;
}

/* A line a person can read for each event type. */
char *
kz_event_text(const char *type, json_t *data)
{
	const char	*note = jget_str(data, "note");
	const char	*text = jget_str(data, "text");
	const char	*to = jget_str(data, "to");
	const char	*member = jget_str(data, "member");
	const char	*role = jget_str(data, "role");
	const char	*sys = jget_str(data, "system");
	const char	*eta = jget_str(data, "eta_at");
	const char	*who = jget_str(data, "assignee");
	json_t		*met = json_object_get(data, "met");
	char		*t, *r;

	switch (event_parse(type)) {
	case EV_STEP_ESCALATED:
		return xprintf("escalated to %s (level %lld)%s", to ? to :
		    "the owner", (long long)jget_int(data, "level"),
		    json_is_true(json_object_get(data, "exhausted")) ?
		    ", every deputy was called" : "");
	case EV_ASSEMBLY_CALLED:
		return xprintf("called %s for %s", member, role);
	case EV_ASSEMBLY_NO_ANSWER:
		return xprintf("no answer from %s (%s): calling the next deputy",
		    member, role);
	case EV_ASSEMBLY_RESPONSE:
		return xprintf("%s (%s): %s%s%s", member, role,
		    jget_str(data, "answer"), eta ? ", eta " : "", eta ? eta :
		    "");
	case EV_SAFETY_ASKED:
		return xprintf("safety check: %lld members asked%s%s",
		    (long long)jget_int(data, "asked"), jget_str(data,
		    "everyone") ? "; areas not applied: " : "",
		    jget_str(data, "everyone") ? jget_str(data, "everyone") :
		    "");
	case EV_SAFETY_ANSWERED:
		return xprintf("%s: %s%s", member, jget_str(data, "status"),
		    json_is_true(json_object_get(data, "can_come")) ?
		    ", can come" : json_is_false(json_object_get(data,
		    "can_come")) ? ", cannot come" : "");
	case EV_SAFETY_REMINDED:
		return xprintf("reminder %lld to %lld not heard from",
		    (long long)jget_int(data, "round"),
		    (long long)jget_int(data, "not_heard"));
	case EV_SAFETY_COMPLETE:
	case EV_SAFETY_SUMMARY:
		return xprintf("%lld of %lld answered%s",
		    (long long)jget_int(data, "answered"),
		    (long long)jget_int(data, "asked"),
		    event_parse(type) == EV_SAFETY_SUMMARY ?
		    " (summary to the owner)" : "");
	case EV_ASSEMBLY_SHORT:
		t = json_dumps(json_object_get(data, "short"), JSON_COMPACT);
		r = xprintf("quota not met at the timeout: %s", t);
		free(t);
		return r;
	case EV_RTO_WARNING:
	case EV_RTO_BREACHED:
		return xprintf("%s: %lld%% of its RTO has passed", sys,
		    (long long)jget_int(data, "pct"));
	case EV_SYSTEM_RECOVERED:
		return xprintf("%s recovered after %llds (RTO %s): %s", sys,
		    (long long)jget_int(data, "elapsed_s"),
		    json_is_integer(json_object_get(data, "rto_s")) ? "set" :
		    "unknown", json_is_true(met) ? "met" : json_is_false(met) ?
		    "missed" : "-");
	case EV_EXCEPTION_REQUESTED:
		return xprintf("exception %lld requested",
		    (long long)jget_int(data, "exception"));
	case EV_STEP_READY:
		return xprintf("ready%s%s", who ? ", assigned to " : "",
		    who ? who : "");
	default:
		break;
	}
	if (text != NULL)
		return xstrdup(text);
	if (note != NULL)
		return xstrdup(note);
	if (jget_str(data, "reason") != NULL)
		return xprintf("(%s)", jget_str(data, "reason"));
	return xstrdup("");
}

int
cmd_log(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	struct incident	*inc;
	json_t		*rows;
	int64_t		 limit, after;
	size_t		 i;
	int		 status;

	if ((status = req_page(r, &limit, &after, body)) != 0)
		return status;
	if ((status = load(d, r, NULL, &inc, body)) != 200)
		return status;
	rows = store_events_page(d->store, inc->id, after, limit + 1);
	req_page_end(r, rows, limit, "seq");
	incident_free(inc);
	if (rows == NULL) {
		*body = kz_storage_error(d);
		return 503;
	}
	for (i = 0; i < json_array_size(rows); i++) {
		json_t		*o = json_array_get(rows, i);
		const char	*ds = json_string_value(json_object_get(o,
				    "data"));
		json_t		*data = ds ? json_loads(ds, 0, NULL) : NULL;
		char		*text;

		if (data == NULL)
			data = json_object();
		text = kz_event_text(json_string_value(json_object_get(o, "type")),
		    data);
		json_object_set_new(o, "at", jtime(json_integer_value(
		    json_object_get(o, "at"))));
		json_object_set_new(o, "data", data);
		json_object_set_new(o, "text", json_string(text));
		free(text);
	}
	*body = rows;
	return 200;
}

