/* Pure state transitions of incidents and their steps (see engine.h).
 * No I/O, no clock: everything the outside world must do is an effect. */
#include <stdlib.h>
#include <string.h>

#include "common/duration.h"
#include "engine/engine.h"
#include "engine/engine-int.h"
#include "model/matcher.h"
#include "model/roster.h"
#include "model/scenario.h"
#include "model/template.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

static const char *const step_states[] = {
	"blocked", "ready", "acked", "running", "done", "failed", "skipped",
	NULL
};
static const char *const inc_states[] = {
	"pending", "active", "closed", "dismissed", NULL
};
static const char *const step_acts[] = {
	"ack", "done", "skip", "fail", "approve", "reject", NULL
};

const char *
step_state_name(enum step_state s)
{
	return step_states[s];
}

const char *
inc_state_name(enum inc_state s)
{
	return inc_states[s];
}

const char *
step_act_name(enum step_act a)
{
	return step_acts[a];
}

int
eng_lookup(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

int
step_state_parse(const char *s)
{
	return eng_lookup(step_states, s);
}

int
inc_state_parse(const char *s)
{
	return eng_lookup(inc_states, s);
}

struct incident *
incident_new(struct runbook *rb, int drill, json_t *trigger, json_t *vars)
{
	struct incident *inc = xcalloc(1, sizeof *inc);

	inc->rb = runbook_ref(rb);
	inc->drill = drill;
	inc->title = xstrdup(rb->title);
	inc->trigger = trigger ? json_incref(trigger) : json_null();
	inc->vars = vars ? json_incref(vars) : json_object();
	inc->steps = xcalloc(rb->nsteps + 1, sizeof *inc->steps);
	inc->systems = json_object();
	inc->is_new = 1;
	inc->dirty = 1;
	return inc;
}

void
incident_free(struct incident *inc)
{
	size_t i;

	if (inc == NULL)
		return;
	for (i = 0; i < inc->rb->nsteps; i++) {
		free(inc->steps[i].assignee);
		free(inc->steps[i].acked_by);
		free(inc->steps[i].done_by);
		free(inc->steps[i].note);
	}
	free(inc->steps);
	for (i = 0; i < inc->ncallouts; i++) {
		free(inc->callouts[i].role);
		free(inc->callouts[i].member);
		free(inc->callouts[i].entered_by);
	}
	free(inc->callouts);
	for (i = 0; inc->cidx != NULL && i < inc->rb->nsteps; i++)
		strmap_clear(&inc->cidx[i]);
	free(inc->cidx);
	incident_part_free(inc->part);
	json_decref(inc->systems);
	runbook_unref(inc->rb);
	free(inc->title);
	free(inc->note);
	free(inc->activated_by);
	free(inc->source);
	free(inc->dedup_key);
	free(inc->confirm_by);
	json_decref(inc->trigger);
	json_decref(inc->vars);
	json_decref(inc->stored_trigger);
	json_decref(inc->stored_vars);
	free(inc);
}

void
effects_free(struct effects *fx)
{
	size_t i;

	for (i = 0; i < fx->n; i++) {
		json_decref(fx->v[i].data);
		free(fx->v[i].to);
		tkey_free(&fx->v[i].tk);
		exc_free(fx->v[i].exc);
	}
	free(fx->v);
	fx->v = NULL;
	fx->n = 0;
}

struct effect *
eng_emit(struct effects *fx, enum eff_kind kind, int step, json_t *data)
{
	struct effect *e;

	fx->v = xreallocarray(fx->v, fx->n + 1, sizeof *fx->v);
	e = &fx->v[fx->n++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->step = step;
	e->data = data != NULL ? data : json_object();
	return e;
}

void
eng_event(struct effects *fx, enum kz_event ev, int step, json_t *data)
{
	eng_emit(fx, EF_EVENT, step, data)->ev = ev;
}

void
eng_notify(struct effects *fx, enum kz_event ev, int step, const char *to,
    json_t *data)
{
	struct effect *e = eng_emit(fx, EF_NOTIFY, step, data);

	e->ev = ev;
	e->to = to != NULL ? xstrdup(to) : NULL;
}

void
eng_timer_set(struct effects *fx, enum tk_kind kind, int step, int64_t due)
{
	struct effect *e = eng_emit(fx, EF_TIMER_SET, step, NULL);

	e->tk.kind = kind;
	e->due = due;
}

void
eng_timer_clear(struct effects *fx, enum tk_kind kind, int step)
{
	eng_emit(fx, EF_TIMER_CLEAR, step, NULL)->tk.kind = kind;
}

void
eng_timer_set_key(struct effects *fx, struct tkey k, int step, int64_t due)
{
	struct effect *e = eng_emit(fx, EF_TIMER_SET, step, NULL);

	e->tk = k;
	e->due = due;
}

void
eng_timer_clear_key(struct effects *fx, struct tkey k, int step)
{
	eng_emit(fx, EF_TIMER_CLEAR, step, NULL)->tk = k;
}

void
eng_set_str(char **p, const char *v)
{
	free(*p);
	*p = v != NULL ? xstrdup(v) : NULL;
}

const char *
eng_who(const struct actx *a)
{
	return a->member != NULL ? a->member : a->actor;
}

/* The context of templates and matchers; with_steps 0 leaves out
 * {{steps.*}} (an object of every step), for a template that names none. */
static json_t *
eng_context(const struct incident *inc, int with_steps)
{
	const struct runbook	*rb = inc->rb;
	json_t			*steps = json_object();
	char			 ts[40];
	size_t			 i;

	for (i = 0; with_steps && i < rb->nsteps; i++) {
		const struct step_st *s = &inc->steps[i];

		json_object_set_new(steps, rb->steps[i].id, json_pack(
		    "{s:s,s:s?,s:s?,s:s,s:s?}", "state",
		    step_state_name(s->state), "by", s->done_by ? s->done_by :
		    s->acked_by, "note", s->note, "title", rb->steps[i].title,
		    "done_at", s->done_at ? rfc3339_buf(s->done_at, ts,
		    sizeof ts) : NULL));
	}
	return json_pack("{s:O,s:O,s:{s:I,s:s,s:b,s:s,s:s,s:s?,s:s?,s:s},"
	    "s:{s:s,s:s,s:s,s:s?},s:o}",
	    "trigger", inc->trigger, "vars", inc->vars,
	    "incident", "id", (json_int_t)inc->id, "title", inc->title,
	    "drill", inc->drill, "started_at", rfc3339_buf(inc->started_at,
	    ts, sizeof ts), "runbook", rb->id, "note", inc->note,
	    "activated_by", inc->activated_by, "state",
	    inc_state_name(inc->state),
	    "runbook", "id", rb->id, "title", rb->title, "kind", rb->kind,
	    "owner", rb->owner, "steps", steps);
}

json_t *
engine_context(const struct incident *inc)
{
	return eng_context(inc, 1);
}

json_t *
engine_context_steps(const struct incident *inc, int with_steps)
{
	return eng_context(inc, with_steps);
}

int
engine_names_steps(const char *t)
{
	return t != NULL && strstr(t, "steps") != NULL;
}

char *
engine_step_title(const struct incident *inc, int i, json_t *ctx)
{
	const char	*t = inc->rb->steps[i].title;
	json_t		*own = NULL;
	char		*r;

	if (t == NULL)
		return xstrdup(inc->rb->steps[i].id);
	if (strstr(t, "{{") == NULL)
		return xstrdup(t);
	/* A title is rendered per step and per notification: building
	 * every step's state for each would cost O(steps) each time. */
	if (ctx == NULL)
		ctx = own = eng_context(inc, engine_names_steps(t));
	r = tmpl_expand(t, ctx);
	json_decref(own);
	return r;
}

/* The step's data of its events; ctx: the incident's context for its
 * title, or NULL to build one. */
static json_t *
step_data(const struct incident *inc, int i, json_t *ctx)
{
	const struct rb_step	*rs = &inc->rb->steps[i];
	char			*title = engine_step_title(inc, i, ctx);
	json_t			*d;

	d = json_pack("{s:s,s:s,s:s}", "step", rs->id, "title", title,
	    "type", step_type_name(rs->type));
	free(title);
	return d;
}

json_t *
eng_step_data(const struct incident *inc, int i)
{
	return step_data(inc, i, NULL);
}


void
eng_finish(const struct actx *a, struct incident *inc, int i,
    enum step_state to, const char *by, const char *note,
    struct effects *fx)
{
	struct step_st *s = &inc->steps[i];

	s->state = to;
	s->done_at = a->now;
	eng_set_str(&s->done_by, by);
	if (note != NULL && *note != '\0')
		eng_set_str(&s->note, note);
	s->dirty = 1;
	eng_timer_clear(fx, TK_ANY, i);
	if (to == SS_DONE)
		eng_rto_restored(a, inc, i, fx);
}

static void
start_action(const struct actx *a, struct incident *inc, int i,
    struct effects *fx)
{
	struct step_st	*s = &inc->steps[i];
	json_t		*d = eng_step_data(inc, i);

	s->state = SS_RUNNING;
	s->attempts++;
	s->dirty = 1;
	json_object_set_new(d, "attempt", json_integer(s->attempts));
	json_object_set_new(d, "action", json_string(inc->rb->steps[i].action));
	eng_event(fx, EV_ACTION_STARTED, i, json_deep_copy(d));
	eng_emit(fx, EF_ACTION, i, d)->due = s->attempts;
}

/* The incident's context without steps, built once per eng_advance. */
static json_t *
eng_shared_context(const struct incident *inc, json_t **ctx)
{
	if (*ctx == NULL)
		*ctx = eng_context(inc, 0);
	return *ctx;
}

/* eng_step_data with the incident's context (without steps) built once
 * per eng_advance: a runbook making twenty steps ready rendered each
 * title with a context of its own. A title naming steps gets them. */
static json_t *
step_data_shared(const struct incident *inc, int i, json_t **ctx)
{
	const char *t = inc->rb->steps[i].title;

	if (t == NULL || strstr(t, "{{") == NULL || engine_names_steps(t))
		return step_data(inc, i, NULL);
	return step_data(inc, i, eng_shared_context(inc, ctx));
}

static void
make_ready(const struct actx *a, struct incident *inc, int i,
    struct effects *fx, json_t **shared)
{
	const struct rb_step	*rs = &inc->rb->steps[i];
	struct step_st		*s = &inc->steps[i];

	s->state = SS_READY;
	s->ready_at = a->now;
	s->dirty = 1;
	s->esc_level = 0;
	if (rs->timeout_s > 0) {
		s->deadline_at = a->now + rs->timeout_s * 1000;
		eng_timer_set(fx, TK_TIMEOUT, i, s->deadline_at);
	}
	/* Handed to someone by name before it was ready: theirs, unless
	 * they have answered unavailable since. */
	if (s->pinned && s->assignee != NULL &&
	    eng_answer_of(inc, s->assignee) == AN_UNAVAILABLE)
		s->pinned = 0;
	if (!s->pinned || s->assignee == NULL)
		eng_set_str(&s->assignee, eng_pick(a, inc, i));
	if (rs->escalate_after_s > 0 && rs->assign != NULL)
		eng_timer_set(fx, TK_ESCALATE, i, a->now +
		    rs->escalate_after_s * 1000);
	if (rs->remind_s > 0 && rs->assign != NULL)
		eng_timer_set(fx, TK_REMIND, i, a->now + rs->remind_s * 1000);
	eng_event(fx, EV_STEP_READY, i, json_pack("{s:s?,s:s?}", "assignee",
	    s->assignee, "role", rs->assign));

	switch (rs->type) {
	case ST_NOTIFY: {
		/* A text naming no step renders with the context shared by
		 * this advance: a runbook of n notify steps built every
		 * step's state n times. */
		json_t	*ctx = engine_names_steps(rs->u.notify.text) ?
			    engine_context(inc) : json_incref(eng_shared_context(
			    inc, shared));
		char	*text = tmpl_expand(rs->u.notify.text, ctx);
		json_t	*d = step_data_shared(inc, i, shared);

		json_object_set_new(d, "text", json_string(text));
		if (rs->u.notify.channels != NULL)
			json_object_set(d, "channels", rs->u.notify.channels);
		eng_event(fx, EV_STEP_NOTIFY, i, json_deep_copy(d));
		eng_notify(fx, EV_STEP_NOTIFY, i, rs->u.notify.to, d);
		eng_finish(a, inc, i, SS_DONE, "keizokud", text, fx);
		eng_event(fx, EV_STEP_DONE, i, NULL);
		free(text);
		json_decref(ctx);
		return;
	}
	case ST_WAIT:
		eng_timer_set(fx, TK_WAIT, i, a->now +
		    rs->u.wait.duration_s * 1000);
		break;
	case ST_ACTION:
		start_action(a, inc, i, fx);
		break;
	case ST_ASSEMBLE:
		eng_assemble_start(a, inc, i, fx);
		return;
	case ST_SAFETY:
		eng_safety_start(a, inc, i, fx);
		return;
	case ST_EXCEPTION:
		eng_exception_from_step(a, inc, i, fx);
		break;
	default:
		break;
	}
	eng_notify(fx, EV_STEP_READY, i, rs->assign, step_data_shared(inc, i,
	    shared));
}

/* Makes blocked steps whose needs are met ready (or skips them when
 * `when` is false), until nothing changes. */
void
eng_advance(const struct actx *a, struct incident *inc, struct effects *fx)
{
	const struct runbook	*rb = inc->rb;
	json_t			*shared = NULL;	/* step_data_shared */
	int			 changed = 1;
	size_t			 i, j;

	if (inc->state != IS_ACTIVE)
		return;
	while (changed) {
		changed = 0;
		for (i = 0; i < rb->nsteps; i++) {
			const struct rb_step	*rs = &rb->steps[i];
			int			 met = 1;

			if (inc->steps[i].state != SS_BLOCKED)
				continue;
			for (j = 0; j < rs->nneeds; j++) {
				enum step_state ns =
				    inc->steps[rs->need_idx[j]].state;

				if (ns != SS_DONE && ns != SS_SKIPPED)
					met = 0;
			}
			if (!met)
				continue;
			changed = 1;
			if (rs->when != NULL) {
				json_t	*ctx = engine_context(inc);
				int	 ok = matcher_eval(rs->when, ctx);

				json_decref(ctx);
				if (!ok) {
					eng_finish(a, inc, (int)i, SS_SKIPPED,
					    "keizokud", "when: condition not "
					    "met", fx);
					eng_event(fx, EV_STEP_SKIPPED, (int)i,
					    json_pack("{s:s}", "reason",
					    "when"));
					continue;
				}
			}
			make_ready(a, inc, (int)i, fx, &shared);
		}
	}
	json_decref(shared);
}

int
engine_activate(const struct actx *a, struct incident *inc, int pending,
    struct effects *fx, char **why)
{
	inc->started_at = a->now;
	eng_set_str(&inc->activated_by, eng_who(a));
	inc->dirty = 1;
	if (pending) {
		inc->state = IS_PENDING;
		eng_event(fx, EV_INCIDENT_PENDING, -1, json_pack("{s:s?,s:b}",
		    "confirm_by", inc->confirm_by, "drill", inc->drill));
		eng_notify(fx, EV_INCIDENT_PENDING, -1, inc->confirm_by,
		    json_pack("{s:s?}", "confirm_by", inc->confirm_by));
		return 200;
	}
	inc->state = IS_ACTIVE;
	eng_event(fx, EV_INCIDENT_ACTIVATED, -1, json_pack("{s:s,s:s,s:b,s:s?,"
	    "s:O}", "runbook", inc->rb->id, "version", inc->rb->hash, "drill",
	    inc->drill, "note", inc->note, "vars", inc->vars));
	eng_notify(fx, EV_INCIDENT_ACTIVATED, -1, inc->rb->owner, json_pack(
	    "{s:s?}", "note", inc->note));
	eng_rto_start(a, inc, fx);
	eng_advance(a, inc, fx);
	return 200;
}

/* Whether the caller may act for ref ("role:X" / member); admins act
 * directly unless approval_only, which needs a real member. */
static int
may_act(const struct actx *a, const char *ref, int member_only)
{
	if (a->admin && a->member == NULL && !member_only)
		return 1;
	if (ref == NULL)
		return a->admin || eng_who(a) != NULL;
	return roster_matches(a->roster, ref, eng_who(a));
}

int
engine_confirm(const struct actx *a, struct incident *inc, int confirm,
    const char *note, struct effects *fx, char **why)
{
	const char *ref = inc->confirm_by ? inc->confirm_by : inc->rb->owner;

	if (inc->state != IS_PENDING) {
		*why = xprintf("incident %lld is %s, not pending",
		    (long long)inc->id, inc_state_name(inc->state));
		return 409;
	}
	if (!may_act(a, ref, 0) && !(ref != NULL && roster_matches(a->roster,
	    inc->rb->owner, eng_who(a)))) {
		*why = xprintf("only %s may %s incident %lld", ref,
		    confirm ? "confirm" : "dismiss", (long long)inc->id);
		return 403;
	}
	inc->dirty = 1;
	if (!confirm) {
		inc->state = IS_DISMISSED;
		inc->closed_at = a->now;
		eng_emit(fx, EF_WITHDRAW, -1, NULL);
		eng_event(fx, EV_INCIDENT_DISMISSED, -1, json_pack("{s:s?}",
		    "note", note));
		eng_notify(fx, EV_INCIDENT_DISMISSED, -1, inc->rb->owner,
		    json_pack("{s:s?}", "note", note));
		return 200;
	}
	inc->state = IS_ACTIVE;
	eng_event(fx, EV_INCIDENT_CONFIRMED, -1, json_pack("{s:s?}", "note",
	    note));
	eng_notify(fx, EV_INCIDENT_ACTIVATED, -1, inc->rb->owner,
	    json_pack("{s:s?}", "note", note));
	eng_rto_start(a, inc, fx);
	eng_advance(a, inc, fx);
	return 200;
}

int
engine_close(const struct actx *a, struct incident *inc, const char *note,
    int force, struct effects *fx, char **why)
{
	json_t	*open;
	size_t	 i;
	char	*list;

	if (inc->state == IS_PENDING)
		return engine_confirm(a, inc, 0, note, fx, why);
	if (inc->state != IS_ACTIVE) {
		*why = xprintf("incident %lld is already %s",
		    (long long)inc->id, inc_state_name(inc->state));
		return 409;
	}
	if (!may_act(a, inc->rb->owner, 0)) {
		*why = xprintf("only the runbook owner (%s) or an admin may "
		    "close incident %lld", inc->rb->owner, (long long)inc->id);
		return 403;
	}
	open = json_array();
	for (i = 0; i < inc->rb->nsteps; i++) {
		enum step_state s = inc->steps[i].state;

		if (s != SS_DONE && s != SS_SKIPPED)
			json_array_append_new(open, json_string(
			    inc->rb->steps[i].id));
	}
	/* Deactivating the plan with work left undone is a decision the
	 * review must be able to read. */
	if (json_array_size(open) > 0 && !force && (note == NULL ||
	    *note == '\0')) {
		list = json_dumps(open, JSON_COMPACT);
		*why = xprintf("incident %lld has %zu open step%s %s: close "
		    "with --note saying why (or --force)", (long long)inc->id,
		    json_array_size(open), json_array_size(open) == 1 ? "" :
		    "s", list);
		free(list);
		json_decref(open);
		return 409;
	}
	inc->state = IS_CLOSED;
	inc->closed_at = a->now;
	inc->dirty = 1;
	/* Step and RTO timers end with the incident; exception reminders
	 * do not (exceptions outlive their incident). */
	for (i = 0; i < inc->rb->nsteps; i++)
		eng_timer_clear(fx, TK_ANY, (int)i);
	eng_rto_stop(inc, fx);
	/* Nothing more about it may reach anyone, bar the closing notice;
	 * a drill's exception measures end with it. */
	eng_emit(fx, EF_WITHDRAW, -1, NULL);
	if (inc->drill)
		eng_emit(fx, EF_DRILL_CLOSED, -1, NULL);
	eng_event(fx, EV_INCIDENT_CLOSED, -1, json_pack("{s:s?,s:o,s:b}",
	    "note", note, "open_steps", open, "forced", force &&
	    json_array_size(open) > 0));
	eng_notify(fx, EV_INCIDENT_CLOSED, -1, inc->rb->owner,
	    json_pack("{s:s?}", "note", note));
	return 200;
}

static int
step_refuse(const struct incident *inc, int i, const char *act,
    char **why)
{
	*why = xprintf("cannot %s step \"%s\": it is %s", act,
	    inc->rb->steps[i].id, step_state_name(inc->steps[i].state));
	return 409;
}

int
engine_step(const struct actx *a, struct incident *inc, const char *id,
    enum step_act act, const char *note, struct effects *fx, char **why)
{
	const struct rb_step	*rs;
	struct step_st		*s;
	int			 i = runbook_step_index(inc->rb, id);
	enum step_state		 st;
	const char		*by = eng_who(a);

	if (i < 0) {
		*why = xprintf("incident %lld has no step \"%s\"",
		    (long long)inc->id, id);
		return 404;
	}
	if (inc->state != IS_ACTIVE) {
		*why = xprintf("incident %lld is %s", (long long)inc->id,
		    inc_state_name(inc->state));
		return 409;
	}
	rs = &inc->rb->steps[i];
	s = &inc->steps[i];
	st = s->state;
	if (rs->type == ST_EXCEPTION && act != SA_SKIP) {
		*why = xprintf("step \"%s\" records an exception measure: "
		    "decide it with keizoku exception approve|reject ID (see "
		    "keizoku exceptions --incident %lld)", id,
		    (long long)inc->id);
		return 409;
	}
	if (act == SA_APPROVE || act == SA_REJECT) {
		if (rs->type != ST_APPROVAL) {
			*why = xprintf("step \"%s\" is a %s step, not an "
			    "approval", id, step_type_name(rs->type));
			return 409;
		}
		if (!may_act(a, rs->assign ? rs->assign : inc->rb->owner, 1)) {
			*why = xprintf("step \"%s\" can only be %s by a member "
			    "of %s%s", id, act == SA_APPROVE ? "approved" :
			    "rejected", rs->assign ? rs->assign :
			    inc->rb->owner ? inc->rb->owner : "the roster",
			    a->admin && a->member == NULL ? " (act --as one "
			    "of them)" : "");
			return 403;
		}
	} else if (!may_act(a, rs->assign, 0) &&
	    !may_act(a, inc->rb->owner, 0) && !(s->assignee != NULL &&
	    by != NULL && strcmp(s->assignee, by) == 0)) {
		*why = xprintf("step \"%s\" is assigned to %s; %s is not "
		    "among them%s%s%s", id, rs->assign ? rs->assign :
		    s->assignee, by ? by : "you", s->assignee ? " (it is with " :
		    "", s->assignee ? s->assignee : "", s->assignee ? ")" : "");
		return 403;
	}
	/* Leaving a step undone, or failing it, is a decision the review
	 * must be able to read: say why. */
	if ((act == SA_SKIP || act == SA_FAIL || act == SA_REJECT) &&
	    (note == NULL || *note == '\0')) {
		*why = xprintf("%s needs --note saying why (step \"%s\")",
		    step_act_name(act), id);
		return 400;
	}
	switch (act) {
	case SA_ACK:
		if (rs->type != ST_TASK && rs->type != ST_APPROVAL) {
			*why = xprintf("step \"%s\" is a %s step; it completes "
			    "by itself", id, step_type_name(rs->type));
			return 409;
		}
		if (st != SS_READY)
			return step_refuse(inc, i, "ack", why);
		s->state = SS_ACKED;
		s->acked_at = a->now;
		eng_set_str(&s->acked_by, by);
		s->dirty = 1;
		eng_timer_clear(fx, TK_ESCALATE, i);
		eng_timer_clear(fx, TK_REMIND, i);
		eng_event(fx, EV_STEP_ACKED, i, json_pack("{s:s?}", "note",
		    note));
		eng_notify(fx, EV_STEP_ACKED, i, NULL, eng_step_data(inc, i));
		return 200;
	case SA_DONE:
		if (rs->type == ST_APPROVAL) {
			*why = xprintf("step \"%s\" is an approval: use "
			    "approve or reject", id);
			return 409;
		}
		if (st != SS_READY && st != SS_ACKED && st != SS_RUNNING &&
		    st != SS_FAILED)
			return step_refuse(inc, i, "finish", why);
		eng_finish(a, inc, i, SS_DONE, by, note, fx);
		eng_event(fx, EV_STEP_DONE, i, json_pack("{s:s?,s:s?}", "note",
		    note, "from", st != SS_READY && st != SS_ACKED ?
		    step_state_name(st) : NULL));
		break;
	case SA_APPROVE:
	case SA_REJECT:
		if (st != SS_READY && st != SS_ACKED)
			return step_refuse(inc, i, act == SA_APPROVE ?
			    "approve" : "reject", why);
		eng_finish(a, inc, i, act == SA_APPROVE ? SS_DONE : SS_FAILED,
		    by, note, fx);
		eng_event(fx, act == SA_APPROVE ? EV_STEP_APPROVED :
		    EV_STEP_REJECTED, i, json_pack("{s:s?}", "note", note));
		if (act == SA_REJECT)
			eng_notify(fx, EV_STEP_FAILED, i, inc->rb->owner,
			    eng_step_data(inc, i));
		break;
	case SA_SKIP:
		if (st == SS_DONE || st == SS_SKIPPED)
			return step_refuse(inc, i, "skip", why);
		eng_finish(a, inc, i, SS_SKIPPED, by, note, fx);
		eng_event(fx, EV_STEP_SKIPPED, i, json_pack("{s:s?}", "note",
		    note));
		break;
	case SA_FAIL:
		if (st != SS_READY && st != SS_ACKED && st != SS_RUNNING)
			return step_refuse(inc, i, "fail", why);
		eng_finish(a, inc, i, SS_FAILED, by, note, fx);
		eng_event(fx, EV_STEP_FAILED, i, json_pack("{s:s?}", "note",
		    note));
		eng_notify(fx, EV_STEP_FAILED, i, inc->rb->owner,
		    eng_step_data(inc, i));
		break;
	}
	eng_advance(a, inc, fx);
	return 200;
}

int
engine_assign(const struct actx *a, struct incident *inc, const char *id,
    const char *member, struct effects *fx, char **why)
{
	const struct rb_step	*rs;
	struct step_st		*s;
	int			 i = runbook_step_index(inc->rb, id);

	if (i < 0) {
		*why = xprintf("incident %lld has no step \"%s\"",
		    (long long)inc->id, id);
		return 404;
	}
	if (inc->state != IS_ACTIVE) {
		*why = xprintf("incident %lld is %s", (long long)inc->id,
		    inc_state_name(inc->state));
		return 409;
	}
	if (!(a->admin && a->member == NULL) && !(inc->rb->owner != NULL &&
	    roster_matches(a->roster, inc->rb->owner, eng_who(a)))) {
		*why = xprintf("only the runbook owner (%s) or an admin may "
		    "hand steps to members", inc->rb->owner ? inc->rb->owner :
		    "none");
		return 403;
	}
	rs = &inc->rb->steps[i];
	s = &inc->steps[i];
	if (member == NULL || roster_member(a->roster, member) == NULL) {
		*why = xprintf("no member \"%s\" in the roster (see keizoku "
		    "roster)", member ? member : "");
		return 404;
	}
	if (rs->type != ST_TASK && rs->type != ST_APPROVAL) {
		*why = xprintf("step \"%s\" is a %s step; it completes by "
		    "itself and has nobody to hand it to", id,
		    step_type_name(rs->type));
		return 409;
	}
	if (s->state != SS_BLOCKED && s->state != SS_READY &&
	    s->state != SS_ACKED)
		return step_refuse(inc, i, "assign", why);
	if (rs->type == ST_APPROVAL && !roster_matches(a->roster, rs->assign ?
	    rs->assign : inc->rb->owner, member)) {
		*why = xprintf("step \"%s\" is an approval by %s; %s is not "
		    "one of them", id, rs->assign ? rs->assign :
		    inc->rb->owner, member);
		return 409;
	}
	if (eng_answer_of(inc, member) == AN_UNAVAILABLE) {
		*why = xprintf("%s answered unavailable in incident %lld; "
		    "hand the step to someone who can act", member,
		    (long long)inc->id);
		return 409;
	}
	if (s->state == SS_BLOCKED) {
		/* Theirs once it becomes ready (make_ready keeps it). */
		eng_set_str(&s->assignee, member);
		s->pinned = 1;
		s->dirty = 1;
		eng_event(fx, EV_STEP_ASSIGNED, i, json_pack("{s:s,s:s?,s:s,"
		    "s:s}", "step", rs->id, "from", NULL, "to", member,
		    "reason", "assign"));
		return 200;
	}
	if (eng_holder(s) != NULL && strcmp(eng_holder(s), member) == 0 &&
	    s->state == SS_READY) {
		s->pinned = 1;
		s->dirty = 1;
		return 200;
	}
	eng_move(a, inc, i, member, "assign", fx);
	return 200;
}

static void
escalate(const struct actx *a, struct incident *inc, int i,
    struct effects *fx)
{
	const struct rb_step	*rs = &inc->rb->steps[i];
	struct step_st		*s = &inc->steps[i];
	const char		*next = eng_next_deputy(a, inc, i);
	json_t			*d;
	char			*from = s->assignee ? xstrdup(s->assignee) :
				    NULL;

	s->esc_level++;
	s->dirty = 1;
	d = eng_step_data(inc, i);
	json_object_set_new(d, "from", from ? json_string(from) : json_null());
	json_object_set_new(d, "level", json_integer(s->esc_level));
	if (next != NULL) {
		eng_set_str(&s->assignee, next);
		s->pinned = 0;
		json_object_set_new(d, "to", json_string(s->assignee));
		eng_event(fx, EV_STEP_ESCALATED, i, json_deep_copy(d));
		eng_notify(fx, EV_STEP_ESCALATED, i, s->assignee, d);
		eng_timer_set(fx, TK_ESCALATE, i, a->now +
		    rs->escalate_after_s * 1000);
	} else {
		/* Every deputy was called: the owner must act. */
		json_object_set_new(d, "to", inc->rb->owner ?
		    json_string(inc->rb->owner) : json_null());
		json_object_set_new(d, "exhausted", json_true());
		eng_event(fx, EV_STEP_ESCALATED, i, json_deep_copy(d));
		eng_notify(fx, EV_STEP_ESCALATED, i, inc->rb->owner, d);
	}
	free(from);
}

/* A step's timeout: overdue, then what on_timeout says. */
static void
step_timeout(const struct actx *a, struct incident *inc, int i,
    struct effects *fx)
{
	const struct rb_step	*rs = &inc->rb->steps[i];
	enum step_state		 st = inc->steps[i].state;
	json_t			*d;

	if (rs->type == ST_ASSEMBLE)
		eng_assemble_shortage(a, inc, i, fx);
	if (rs->type == ST_SAFETY)
		eng_safety_timeout(a, inc, i, fx);
	d = eng_step_data(inc, i);
	json_object_set_new(d, "on_timeout",
	    json_string(on_timeout_name(rs->on_timeout)));
	eng_event(fx, EV_STEP_OVERDUE, i, json_deep_copy(d));
	eng_notify(fx, EV_STEP_OVERDUE, i, inc->rb->owner, d);
	switch (rs->on_timeout) {
	case OT_ESCALATE:
		if (rs->assign != NULL && st == SS_READY)
			escalate(a, inc, i, fx);
		break;
	case OT_FAIL:
		eng_finish(a, inc, i, SS_FAILED, "keizokud", "timed out",
		    fx);
		eng_event(fx, EV_STEP_FAILED, i, json_pack("{s:s}",
		    "reason", "timeout"));
		eng_notify(fx, EV_STEP_FAILED, i, inc->rb->owner,
		    eng_step_data(inc, i));
		break;
	case OT_SKIP:
		eng_finish(a, inc, i, SS_SKIPPED, "keizokud", "timed out",
		    fx);
		eng_event(fx, EV_STEP_SKIPPED, i, json_pack("{s:s}",
		    "reason", "timeout"));
		eng_advance(a, inc, fx);
		break;
	case OT_CONTINUE:
		break;
	}
}

int
engine_timer(const struct actx *a, struct incident *inc, int i,
    const struct tkey *k, struct effects *fx)
{
	const struct rb_step	*rs;
	struct step_st		*s;
	enum step_state		 st;

	if (inc->state != IS_ACTIVE)
		return 200;
	if (k->kind == TK_RTO) {
		eng_rto_timer(a, inc, k, fx);
		return 200;
	}
	if (i < 0 || (size_t)i >= inc->rb->nsteps)
		return 200;
	rs = &inc->rb->steps[i];
	s = &inc->steps[i];
	st = s->state;
	switch (k->kind) {
	case TK_CALLOUT:
		eng_assemble_timer(a, inc, i, k, fx);
		break;
	case TK_ESCALATE:
		if (st == SS_READY)
			escalate(a, inc, i, fx);
		break;
	case TK_REMIND:
		if (st == SS_READY) {
			json_t *d = eng_step_data(inc, i);

			eng_event(fx, EV_STEP_REMINDER, i, json_pack("{s:s?}",
			    "to", s->assignee));
			eng_notify(fx, EV_STEP_REMINDER, i, s->assignee ?
			    s->assignee : rs->assign, d);
			eng_timer_set(fx, TK_REMIND, i, a->now + rs->remind_s *
			    1000);
		}
		break;
	case TK_WAIT:
		if (st == SS_READY) {
			eng_finish(a, inc, i, SS_DONE, "keizokud", NULL, fx);
			eng_event(fx, EV_STEP_DONE, i, json_pack("{s:s}",
			    "reason", "waited"));
			eng_advance(a, inc, fx);
		}
		break;
	case TK_RETRY:
		if (st == SS_RUNNING)
			start_action(a, inc, i, fx);
		break;
	case TK_FANOUT:
		if (rs->type == ST_ASSEMBLE)
			eng_assemble_more(a, inc, i, fx);
		else if (rs->type == ST_SAFETY)
			eng_safety_timer(a, inc, i, k->kind, fx);
		break;
	case TK_SREMIND:
		if (rs->type == ST_SAFETY)
			eng_safety_timer(a, inc, i, k->kind, fx);
		break;
	case TK_TIMEOUT:
		if (st == SS_READY || st == SS_ACKED || st == SS_RUNNING)
			step_timeout(a, inc, i, fx);
		break;
	default:	/* the incident's (RTO) or not the engine's */
		break;
	}
	return 200;
}

int
engine_action_done(const struct actx *a, struct incident *inc, int i,
    int attempt, int ok, const char *note, struct effects *fx)
{
	const struct rb_step	*rs;
	struct step_st		*s;
	json_t			*d;

	if (i < 0 || (size_t)i >= inc->rb->nsteps)
		return 404;
	rs = &inc->rb->steps[i];
	s = &inc->steps[i];
	d = eng_step_data(inc, i);
	json_object_set_new(d, "attempt", json_integer(attempt));
	json_object_set_new(d, "note", json_string(note ? note : ""));
	if (inc->state != IS_ACTIVE || s->state != SS_RUNNING ||
	    attempt != s->attempts) {
		/* Overridden by hand, or the incident ended: keep the record
		 * of what the action did, change nothing. */
		json_object_set_new(d, "ok", json_boolean(ok));
		eng_event(fx, EV_ACTION_LATE, i, d);
		return 200;
	}
	if (ok) {
		eng_event(fx, EV_ACTION_SUCCEEDED, i, d);
		eng_finish(a, inc, i, SS_DONE, "keizokud", note, fx);
		eng_event(fx, EV_STEP_DONE, i, NULL);
		eng_advance(a, inc, fx);
		return 200;
	}
	eng_set_str(&s->note, note);
	s->dirty = 1;
	if (s->attempts < rs->retry_attempts) {
		json_object_set_new(d, "retry_in_s",
		    json_integer(rs->retry_backoff_s));
		eng_event(fx, EV_ACTION_FAILED, i, d);
		if (rs->retry_backoff_s > 0)
			eng_timer_set(fx, TK_RETRY, i, a->now +
			    rs->retry_backoff_s * 1000);
		else
			start_action(a, inc, i, fx);
		return 200;
	}
	eng_event(fx, EV_ACTION_FAILED, i, d);
	eng_finish(a, inc, i, SS_FAILED, "keizokud", note, fx);
	eng_event(fx, EV_STEP_FAILED, i, json_pack("{s:s}", "reason",
	    "action"));
	eng_notify(fx, EV_STEP_FAILED, i, inc->rb->owner, eng_step_data(inc,
	    i));
	return 200;
}

int
engine_action_interrupted(const struct actx *a, struct incident *inc, int i,
    struct effects *fx)
{
	struct step_st *s = &inc->steps[i];

	if (inc->state != IS_ACTIVE || s->state != SS_RUNNING)
		return 200;
	eng_event(fx, EV_ACTION_INTERRUPTED, i, json_pack("{s:i}", "attempt",
	    s->attempts));
	return engine_action_done(a, inc, i, s->attempts, 0,
	    "interrupted: keizokud stopped while the action ran (it may have "
	    "finished: check before running it again)", fx);
}

void
engine_trigger_repeat(const struct actx *a, struct incident *inc,
    json_t *doc, int resolved, int correction, struct effects *fx)
{
	enum kz_event type = correction ? EV_TRIGGER_CORRECTED : resolved ?
	    EV_TRIGGER_RESOLVED : EV_TRIGGER_REPEATED;

	if (correction) {
		json_decref(inc->trigger);
		inc->trigger = json_incref(doc);
		inc->dirty = 1;
	}
	eng_event(fx, type, -1, json_pack("{s:O}", "trigger", doc));
	eng_notify(fx, EV_TRIGGER_REPEATED, -1, inc->rb->owner,
	    json_pack("{s:s}", "kind", correction ? "correction" : resolved ?
	    "resolved" : "repeat"));
}

void
engine_trigger_cancelled(const struct actx *a, struct incident *inc,
    json_t *doc, struct effects *fx)
{
	eng_event(fx, EV_TRIGGER_CANCELLED, -1, json_pack("{s:O}", "trigger",
	    doc));
	eng_notify(fx, EV_TRIGGER_CANCELLED, -1, inc->rb->owner,
	    json_object());
}

void
engine_drill_start(const struct actx *a, struct incident *inc,
    const struct scenario *sc, struct effects *fx)
{
	size_t i;

	for (i = 0; i < sc->ninjects; i++) {
		const struct inject	*in = &sc->injects[i];
		struct effect		*e;

		e = eng_emit(fx, EF_TIMER_SET, -1, json_pack("{s:i,s:s,s:s?,"
		    "s:I}", "n", (int)i + 1, "text", in->text, "to", in->to,
		    "at_s", (json_int_t)in->at_s));
		e->tk.kind = TK_INJECT;
		e->tk.n = (int64_t)i + 1;
		e->due = a->now + in->at_s * 1000;
	}
	eng_event(fx, EV_DRILL_SCENARIO, -1, json_pack("{s:s,s:s,s:I}",
	    "scenario", sc->id, "title", sc->title, "injects",
	    (json_int_t)sc->ninjects));
}

int
engine_inject(const struct actx *a, struct incident *inc, json_t *data,
    struct effects *fx)
{
	/* An inject belongs to a running drill; a closed one reveals none. */
	if (inc->state != IS_ACTIVE || !inc->drill)
		return 200;
	eng_event(fx, EV_DRILL_INJECT, -1, json_deep_copy(data));
	eng_notify(fx, EV_DRILL_INJECT, -1, json_string_value(json_object_get(
	    data, "to")), json_deep_copy(data));
	return 200;
}
