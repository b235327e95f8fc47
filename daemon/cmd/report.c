/* The post-incident review as data (SPEC §8). Everything comes from what
 * is already stored: the incident and its steps, the engine's views of
 * staff assembly and RTO clocks, the notifications and exceptions
 * tables, and the hash-chained event log, whose hashes the report
 * carries so that a printed copy can be checked against the log later. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/daemon.h"
#include "core/exception.h"
#include "core/maint.h"
#include "model/config.h"
#include "model/event.h"
#include "model/report.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "common/jsonutil.h"
#include "core/apply.h"
#include "engine/engine.h"

/* Step states after which a step needs nothing more. */
static const char *const final_states[] = { "done", "failed", "skipped",
    NULL };

static int
in_list(const char *const *list, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* Milliseconds of an RFC 3339 field; 0 when absent. */
static int64_t
ms_of(json_t *o, const char *k)
{
	int64_t ms;

	if (jget_str(o, k) == NULL || rfc3339_parse(jget_str(o, k), &ms) == -1)
		return 0;
	return ms;
}

static json_t *
secs_between(int64_t from, int64_t to)
{
	return from != 0 && to != 0 ? json_integer((to - from) / 1000) :
	    json_null();
}

/* The incident's timeline as `keizoku log` shows it: the same rows and
 * texts, so the review and the log cannot disagree. */
static json_t *
timeline(struct kz_daemon *d, struct incident *inc)
{
	struct kz_req	 r;
	json_t		*rows = NULL;
	int		 status;

	memset(&r, 0, sizeof r);
	r.params = json_pack("{s:I}", "incident", (json_int_t)inc->id);
	status = cmd_log(d, &r, &rows);
	json_decref(r.params);
	if (status != 200 || !json_is_array(rows)) {
		json_decref(rows);
		return NULL;
	}
	return rows;
}

static json_t *
first_event(json_t *tl, enum kz_event ev)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(tl, i, e)
		if (event_parse(jget_str(e, "type")) == (int)ev)
			return e;
	return NULL;
}

/* Events that belong in the escalations section. */
static int
is_escalation(const char *type)
{
	switch (event_parse(type)) {
	case EV_STEP_ESCALATED:
	case EV_STEP_OVERDUE:
	case EV_ASSEMBLY_SHORT:
	case EV_RTO_WARNING:
	case EV_RTO_BREACHED:
		return 1;
	default:
		return 0;
	}
}

/* A trigger that came again for this incident. */
static int
is_trigger_repeat(const char *type)
{
	switch (event_parse(type)) {
	case EV_TRIGGER_REPEATED:
	case EV_TRIGGER_RESOLVED:
	case EV_TRIGGER_CORRECTED:
		return 1;
	default:
		return 0;
	}
}

/* {"at", "by", "actor", "on_behalf", "note"} of an event, or null. */
static json_t *
event_ref(json_t *e)
{
	json_t *data;

	if (e == NULL)
		return json_null();
	data = json_object_get(e, "data");
	return json_pack("{s:O,s:s?,s:O,s:O,s:s?}", "at", json_object_get(e,
	    "at"), "by", jget_str(e, "on_behalf") ? jget_str(e, "on_behalf") : jget_str(e,
	    "actor"), "actor", json_object_get(e, "actor"), "on_behalf",
	    json_object_get(e, "on_behalf"), "note", jget_str(data, "note"));
}

static json_t *
incident_part(const struct incident *inc, int64_t now)
{
	const struct runbook *rb = inc->rb;

	return json_pack("{s:I,s:s,s:s,s:s?,s:s,s:s?,s:s?,s:s,s:b,s:o,s:o,"
	    "s:o,s:s?,s:s?,s:s?}", "id", (json_int_t)inc->id, "title",
	    inc->title != NULL ? inc->title : rb->id, "runbook", rb->id,
	    "runbook_title", rb->title, "runbook_version", rb->hash, "kind", rb->kind, "owner", rb->owner,
	    "state", inc_state_name(inc->state), "drill", inc->drill,
	    "started_at", jtime(inc->started_at), "closed_at",
	    jtime(inc->closed_at), "duration_s", secs_between(inc->started_at,
	    inc->closed_at ? inc->closed_at : now), "activated_by",
	    inc->activated_by, "note", inc->note, "source", inc->source);
}

static json_t *
activation_part(const struct incident *inc, json_t *tl)
{
	json_t	*e, *end;
	size_t	 i, repeats = 0;

	json_array_foreach(tl, i, e)
		if (is_trigger_repeat(jget_str(e, "type")))
			repeats++;
	end = first_event(tl, EV_INCIDENT_CLOSED);
	if (end == NULL)
		end = first_event(tl, EV_INCIDENT_DISMISSED);
	return json_pack("{s:s,s:s?,s:O,s:o,s:s?,s:s?,s:o,s:o,s:o,s:o,s:I}",
	    "how", inc->source != NULL ? "trigger" : "manual", "source",
	    inc->source, "trigger", inc->trigger, "activated_at",
	    jtime(inc->started_at), "activated_by", inc->activated_by,
	    "confirm_by", inc->confirm_by, "pending", event_ref(first_event(tl,
	    EV_INCIDENT_PENDING)), "confirmed", event_ref(first_event(tl,
	    EV_INCIDENT_CONFIRMED)), "activated", event_ref(first_event(tl,
	    EV_INCIDENT_ACTIVATED)), "closed", event_ref(end), "trigger_repeats",
	    (json_int_t)repeats);
}

static json_t *
step_json(const struct incident *inc, size_t i, int64_t at)
{
	const struct rb_step	*rs = &inc->rb->steps[i];
	const struct step_st	*s = &inc->steps[i];
	const char		*state = step_state_name(s->state);
	int			 fin = in_list(final_states, state);
	json_t			*dur = fin ? secs_between(s->ready_at,
				    s->done_at) : json_null();
	json_t			*within = json_null(), *j;
	char			*title = engine_step_title(inc, (int)i, NULL);

	if (rs->timeout_s > 0 && json_is_integer(dur))
		within = json_boolean(json_integer_value(dur) <= rs->timeout_s);
	j = json_pack("{s:s,s:s?,s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:o,s:o,s:o,"
	    "s:o,s:o,s:o,s:o,s:b,s:i,s:i,s:s?}", "id", rs->id, "title",
	    title, "type", step_type_name(rs->type), "state", state,
	    "role", rs->assign, "assignee", s->assignee, "acked_by",
	    s->acked_by, "done_by", s->done_by, "ready_at", jtime(s->ready_at),
	    "acked_at", jtime(s->acked_at), "done_at", jtime(s->done_at),
	    "deadline_at", jtime(s->deadline_at), "duration_s", dur,
	    "timeout_s", rs->timeout_s ? json_integer(rs->timeout_s) :
	    json_null(), "within_timeout", within, "overdue", !fin &&
	    s->deadline_at != 0 && at > s->deadline_at, "escalation_level",
	    s->esc_level, "attempts", s->attempts, "note", s->note);
	free(title);
	return j;
}

/* A member of o (a new reference), null when absent. */
static json_t *
member(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return v != NULL ? json_incref(v) : json_null();
}

/* The log has no words for an overdue step: say what the runbook does
 * about it. */
static json_t *
escalation_text(json_t *e, json_t *data)
{
	char	*t;
	json_t	*j;

	if (jget_str(e, "text") != NULL && *jget_str(e, "text") != '\0')
		return json_string(jget_str(e, "text"));
	if (jget_str(data, "on_timeout") == NULL)
		return json_string("");
	t = xprintf("timed out (on_timeout: %s)", jget_str(data, "on_timeout"));
	j = json_string(t);
	free(t);
	return j;
}

static json_t *
escalations_part(json_t *tl)
{
	json_t	*out = json_array(), *e;
	size_t	 i;

	json_array_foreach(tl, i, e) {
		json_t *data = json_object_get(e, "data");

		if (!is_escalation(jget_str(e, "type")))
			continue;
		json_array_append_new(out, json_pack("{s:o,s:o,s:o,s:o,s:o,"
		    "s:o,s:o,s:o}", "seq", member(e, "seq"), "at", member(e,
		    "at"), "type", member(e, "type"), "step", member(e, "step"),
		    "text", escalation_text(e, data), "from", member(data,
		    "from"), "to", member(data, "to"), "level", member(data,
		    "level")));
	}
	return out;
}

/* Per role: counts, who answered, and how long the quota took. */
static json_t *
assembly_part(const struct incident *inc)
{
	json_t		*a = engine_assembly_json(inc), *out = json_array(), *v;
	const char	*role;

	json_object_foreach(a, role, v) {
		int	i = runbook_step_index(inc->rb, jget_str(v, "step"));
		int64_t	ready = i >= 0 ? inc->steps[i].ready_at : 0;
		json_t	*o = json_deep_copy(v);

		json_object_set_new(o, "role", json_string(role));
		json_object_set_new(o, "ready_at", jtime(ready));
		json_object_set_new(o, "time_to_quota_s", secs_between(ready,
		    ms_of(v, "quota_met_at")));
		json_array_append_new(out, o);
	}
	json_decref(a);
	return out;
}

static json_t *
systems_part(const struct incident *inc, int64_t at)
{
	json_t	*sys = engine_systems_json(inc, at), *v;
	size_t	 i;

	json_array_foreach(sys, i, v)
		json_object_set(v, "achieved_s", jget_str(v, "recovered_at") != NULL ?
		    json_object_get(v, "elapsed_s") : json_null());
	return sys;
}

static json_t *
notifications_part(struct kz_daemon *d, const struct incident *inc)
{
	static const char *const times[] = { "created_at", "delivered_at" };
	json_t	*rows, *n;
	size_t	 i, k;

	rows = store_incident_notifications(d->store, inc->id);
	json_array_foreach(rows, i, n) {
		for (k = 0; k < sizeof times / sizeof times[0]; k++)
			json_object_set_new(n, times[k], jtime(
			    json_integer_value(json_object_get(n, times[k]))));
		json_object_set_new(n, "drill", json_boolean(
		    json_integer_value(json_object_get(n, "drill"))));
		if (strcmp(jget_str(n, "state"), "delivered") == 0)
			json_object_set_new(n, "last_error", json_null());
	}
	return rows;
}

static void
open_item(json_t *out, const char *kind, json_t *id, const char *title,
    const char *state, json_t *due)
{
	json_array_append_new(out, json_pack("{s:s,s:O,s:s,s:s,s:o}", "kind",
	    kind, "id", id, "title", title ? title : "", "state", state ?
	    state : "", "due_at", due));
}

/* What still needs someone: unfinished steps, exceptions not disposed
 * of, undelivered notifications, systems not recovered. */
static json_t *
open_items(json_t *rep)
{
	json_t	*out = json_array(), *v;
	size_t	 i;

	json_array_foreach(json_object_get(rep, "steps"), i, v)
		if (!in_list(final_states, jget_str(v, "state")))
			open_item(out, "step", json_object_get(v, "id"),
			    jget_str(v, "title"), jget_str(v, "state"), json_incref(
			    json_object_get(v, "deadline_at")));
	json_array_foreach(json_object_get(rep, "exceptions"), i, v)
		if (strcmp(jget_str(v, "state"), "requested") == 0 ||
		    strcmp(jget_str(v, "state"), "active") == 0)
			open_item(out, "exception", json_object_get(v, "id"),
			    jget_str(v, "title"), json_is_true(json_object_get(v,
			    "overdue")) ? "overdue" : jget_str(v, "state"),
			    json_incref(json_object_get(v, "revert_by_at")));
	json_array_foreach(json_object_get(rep, "notifications"), i, v)
		if (strcmp(jget_str(v, "state"), "delivered") != 0 &&
		    strcmp(jget_str(v, "state"), "cancelled") != 0)
			open_item(out, "notification", json_object_get(v, "id"),
			    jget_str(v, "event"), jget_str(v, "state"), json_null());
	json_array_foreach(json_object_get(rep, "systems"), i, v)
		if (jget_str(v, "recovered_at") == NULL)
			open_item(out, "system", json_object_get(v, "id"),
			    jget_str(v, "id"), jget_str(v, "state"), json_incref(
			    json_object_get(v, "deadline_at")));
	return out;
}

static void
person(json_t *people, const struct roster *ro, const char *id)
{
	const struct member *m;

	if (id != NULL && json_object_get(people, id) == NULL &&
	    (m = roster_member(ro, id)) != NULL && m->name != NULL)
		json_object_set_new(people, id, json_string(m->name));
}

/* {"sato": "佐藤 次郎"} for everyone the report names, so that the
 * documents say "佐藤 次郎 (sato)" rather than a login. */
static json_t *
people_part(struct kz_daemon *d, json_t *rep)
{
	static const char *const step_keys[] = { "assignee", "acked_by",
	    "done_by", NULL };
	static const char *const exc_keys[] = { "requested_by", "approved_by",
	    "resolved_by", NULL };
	json_t	*people = json_object(), *v;
	size_t	 i, k;

	person(people, d->roster, jget_str(json_object_get(rep, "incident"),
	    "activated_by"));
	json_array_foreach(json_object_get(rep, "steps"), i, v)
		for (k = 0; step_keys[k] != NULL; k++)
			person(people, d->roster, jget_str(v, step_keys[k]));
	json_array_foreach(json_object_get(rep, "exceptions"), i, v)
		for (k = 0; exc_keys[k] != NULL; k++)
			person(people, d->roster, jget_str(v, exc_keys[k]));
	json_array_foreach(json_object_get(rep, "timeline"), i, v) {
		person(people, d->roster, jget_str(v, "actor"));
		person(people, d->roster, jget_str(v, "on_behalf"));
	}
	return people;
}

/* Safety checks (SPEC §18): the tally and the times from the step's
 * start until 50, 90 and 100 % of those asked had answered. */
static json_t *
safety_part(struct kz_daemon *d, struct incident *inc)
{
	static const int pcts[] = { 50, 90, 100 };
	json_t	*out = json_array(), *t, *times;
	size_t	 i, k, n;

	for (i = 0; i < inc->rb->nsteps; i++) {
		const char	*id = inc->rb->steps[i].id;
		int64_t		 asked;

		if (inc->rb->steps[i].type != ST_SAFETY)
			continue;
		if ((t = store_safety_tally(d->store, inc->id, id)) == NULL)
			continue;
		times = store_safety_times(d->store, inc->id, id);
		asked = json_integer_value(json_object_get(t, "asked"));
		n = json_array_size(times);
		json_object_set_new(t, "step", json_string(id));
		for (k = 0; k < 3; k++) {
			int64_t need = (asked * pcts[k] + 99) / 100;
			char	key[16];

			snprintf(key, sizeof key, "t%d_s", pcts[k]);
			if (asked > 0 && need >= 1 && (size_t)need <= n)
				json_object_set_new(t, key, json_integer((
				    json_integer_value(json_object_get(
				    json_array_get(times, need - 1),
				    "answered_at")) - inc->steps[i].ready_at) /
				    1000));
			else
				json_object_set_new(t, key, json_null());
		}
		json_decref(times);
		json_array_append_new(out, t);
	}
	return out;
}

/* The report of inc generated at now: incident, activation, open_items,
 * steps, escalations, assembly, systems, notifications, exceptions,
 * timeline, verify, head_hash (the hash of the incident's last event)
 * and chain_head (the head of the whole log), people (names of the
 * members it names) and timezone; for a drill, score after incident.
 * NULL when storage fails. */
static json_t *
report_json(struct kz_daemon *d, struct incident *inc, int64_t now)
{
	json_t	*tl, *steps = json_array(), *rep, *exc, *notes, *ver, *last, *v;
	json_t	*held;
	int64_t	 at = inc->closed_at ? inc->closed_at : now;
	size_t	 i, n;

	tl = timeline(d, inc);
	exc = kz_exceptions_list(d, inc->id, 0, now, 0, INT64_MAX);
	notes = notifications_part(d, inc);
	ver = store_verify(d->store);
	/* Planned work that held triggers back while this went on. */
	held = maint_during(d, inc->started_at, at);
	if (tl == NULL || exc == NULL || notes == NULL || ver == NULL ||
	    held == NULL) {
		json_decref(held);
		json_decref(tl);
		json_decref(exc);
		json_decref(notes);
		json_decref(ver);
		json_decref(steps);
		return NULL;
	}
	for (i = 0; i < inc->rb->nsteps; i++)
		json_array_append_new(steps, step_json(inc, i, at));
	n = json_array_size(tl);
	last = n > 0 ? json_array_get(tl, n - 1) : NULL;
	json_object_del(ver, "head");
	/* Open items lead, as in the documents; they and a drill's score
	 * are drawn from the other sections, so their placeholders are
	 * filled in last. */
	rep = json_pack("{s:i,s:o,s:o,s:o*,s:[],s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
	    "s:o,s:o,s:O,s:s}", "report_version", REPORT_VERSION,
	    "generated_at", jtime(now), "incident", incident_part(inc, now),
	    "score", inc->drill ? json_null() : NULL, "open_items",
	    "activation", activation_part(inc, tl), "steps", steps,
	    "escalations", escalations_part(tl), "assembly",
	    assembly_part(inc), "systems", systems_part(inc, at),
	    "notifications", notes, "exceptions", exc, "timeline", tl,
	    "verify", ver, "head_hash", last != NULL ? json_object_get(last,
	    "hash") : json_null(), "chain_head", store_head(d->store));
	json_object_set_new(rep, "maintenance", held);
	if ((v = safety_part(d, inc)) != NULL && json_array_size(v) > 0)
		json_object_set_new(rep, "safety", v);
	else
		json_decref(v);
	json_object_set_new(rep, "open_items", open_items(rep));
	json_object_set_new(rep, "people", people_part(d, rep));
	json_object_set_new(rep, "timezone", json_string(d->conf->timezone));
	/* A drill is evaluated (guideline 2.9.1); a real incident's review
	 * stays as it was. */
	if (inc->drill)
		json_object_set_new(rep, "score", report_score(rep));
	return rep;
}

int
cmd_report(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	static const char *const formats[] = { "md", "html", "json", NULL };
	const char	*format = req_str(r, "format"), *why = NULL;
	struct incident	*inc;
	json_t		*rep;
	int64_t		 id;
	char		*doc;
	int		 status;

	if (format == NULL || *format == '\0')
		format = "md";
	if (!in_list(formats, format)) {
		*body = kz_error("--format %s: the formats are md, html and "
		    "json", format);
		return 400;
	}
	if (req_id(r, "incident", &id) == -1) {
		*body = kz_error("incident must be a positive number, not "
		    "\"%s\"", req_str(r, "incident") ? req_str(r, "incident") :
		    "");
		return 400;
	}
	if ((inc = kz_incident_load(d, id, &status)) == NULL) {
		*body = status == 404 ? kz_error("no incident %lld",
		    (long long)id) : kz_error("cannot load incident %lld: %s",
		    (long long)id, store_errmsg(d->store));
		return status;
	}
	rep = report_json(d, inc, clock_now());
	incident_free(inc);
	if (rep == NULL) {
		*body = kz_storage_error(d);
		return 503;
	}
	if (strcmp(format, "json") == 0) {
		*body = rep;
		return 200;
	}
	doc = report_render(rep, format, &why);
	json_decref(rep);
	if (doc == NULL) {
		*body = kz_error("%s", why);
		return 400;
	}
	*body = json_pack("{s:s,s:s}", "format", format, "content", doc);
	free(doc);
	return 200;
}
