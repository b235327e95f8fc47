/* Exception measures (例外措置, SPEC §7), pure like the rest of the
 * engine: requested by a person or an exception step, approved or
 * rejected by someone with the authority who did not ask for it, and
 * once in force reminded of before and after its revert-by deadline
 * until it is reverted or adopted. The guideline (2.8.2(3)-2,
 * 2.9.2(1)-2) wants them managed while in force and, once the crisis is
 * over, either undone or folded into normal procedure; hence reminders
 * that outlive the incident. The caller stores the measure (EF_EXCEPTION,
 * EF_EXC_SAVE) with the other effects, in one operation. */
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "engine/engine-int.h"
#include "model/roster.h"
#include "model/template.h"

#define DAY_MS		(86400 * 1000LL)

static const int64_t default_remind_s[] = { 86400 };

static const char *const exc_states[] = {
	"requested", "active", "rejected", "reverted", "adopted",
	"drill-closed", NULL
};

const char *
exc_state_name(enum exc_state s)
{
	return exc_states[s];
}

int
exc_state_parse(const char *s)
{
	return s != NULL ? eng_lookup(exc_states, s) : -1;
}

struct exc *
exc_new(void)
{
	return xcalloc(1, sizeof(struct exc));
}

static char *
dup0(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct exc *
exc_dup(const struct exc *x)
{
	struct exc *c = xmalloc(sizeof *c);

	*c = *x;
	c->step = dup0(x->step);
	c->title = dup0(x->title);
	c->policy = dup0(x->policy);
	c->reason = dup0(x->reason);
	c->requested_by = dup0(x->requested_by);
	c->requested_actor = dup0(x->requested_actor);
	c->approved_by = dup0(x->approved_by);
	c->resolved_by = dup0(x->resolved_by);
	c->note = dup0(x->note);
	c->decision_note = dup0(x->decision_note);
	c->measure = x->measure != NULL ? json_incref(x->measure) : NULL;
	return c;
}

void
exc_free(struct exc *x)
{
	if (x == NULL)
		return;
	free(x->step);
	free(x->title);
	free(x->policy);
	free(x->reason);
	free(x->requested_by);
	free(x->requested_actor);
	free(x->approved_by);
	free(x->resolved_by);
	free(x->note);
	free(x->decision_note);
	json_decref(x->measure);
	free(x);
}

char *
exc_approver(const struct actx *a, const struct incident *inc)
{
	if (a->excp.approver_role != NULL && *a->excp.approver_role != '\0')
		return xprintf("role:%s", a->excp.approver_role);
	/* Without a configured approver the runbook's owner (作業実施責任者)
	 * is the nearest authority over the incident. */
	return inc->rb->owner != NULL ? xstrdup(inc->rb->owner) : NULL;
}

/* The step of the incident a measure belongs to, or -1. */
static int
exc_step(const struct incident *inc, const struct exc *x)
{
	return x->step != NULL ? runbook_step_index(inc->rb, x->step) : -1;
}

/* What notifications about a measure carry: the note of the decision
 * for an approval or rejection, else the disposition's. */
static json_t *
exc_data(enum kz_event ev, const struct exc *x)
{
	char		 ts[40];
	const char	*note = ev == EV_EXCEPTION_APPROVED ||
			    ev == EV_EXCEPTION_REJECTED ? x->decision_note :
			    x->note;

	return json_pack("{s:I,s:s,s:s?,s:s?,s:s?,s:s?,s:s,s:s?}", "id",
	    (json_int_t)x->id, "title", x->title != NULL ? x->title : "",
	    "policy", x->policy, "revert_by_at", x->revert_by_at != 0 ?
	    rfc3339_buf(x->revert_by_at, ts, sizeof ts) : NULL,
	    "requested_by", x->requested_by, "approved_by", x->approved_by,
	    "state", exc_state_name(x->state), "note", note);
}

static void
exc_notify(struct effects *fx, enum kz_event ev, const char *to,
    const struct exc *x)
{
	eng_notify(fx, ev, -1, to, exc_data(ev, x));
}

static void
exc_save(struct effects *fx, const struct exc *x)
{
	eng_emit(fx, EF_EXC_SAVE, -1, NULL)->exc = exc_dup(x);
}

static void
exc_timer_set(struct effects *fx, const struct exc *x, enum tk_kind kind,
    int64_t due)
{
	eng_timer_set_key(fx, (struct tkey){ .kind = kind, .n = x->id }, -1,
	    due);
}

/* Removes its reminders (rejected or disposed of). */
static void
exc_disarm(struct effects *fx, const struct exc *x)
{
	eng_timer_clear_key(fx, (struct tkey){ .kind = TK_EXC_BEFORE,
	    .n = x->id }, -1);
	eng_timer_clear_key(fx, (struct tkey){ .kind = TK_EXC_AFTER,
	    .n = x->id }, -1);
}

static const int64_t *
remind_offsets(const struct actx *a, size_t *n)
{
	if (a->excp.nremind > 0) {
		*n = a->excp.nremind;
		return a->excp.remind_s;
	}
	*n = sizeof default_remind_s / sizeof default_remind_s[0];
	return default_remind_s;
}

/* The earliest "before" reminder still ahead of now; 0 if none. */
static int64_t
next_before(const struct actx *a, int64_t revert, int64_t now)
{
	const int64_t	*off;
	int64_t		 best = 0;
	size_t		 i, n;

	off = remind_offsets(a, &n);
	for (i = 0; i < n; i++) {
		int64_t t = revert - off[i] * 1000;

		if (off[i] > 0 && t > now && t < revert && (best == 0 ||
		    t < best))
			best = t;
	}
	return best;
}

/* Overdue reminders repeat daily from revert_by; after downtime only
 * the next one is set, not every missed day. */
static int64_t
next_after(int64_t revert, int64_t now)
{
	if (now < revert)
		return revert;
	return revert + ((now - revert) / DAY_MS + 1) * DAY_MS;
}

/* Arms the reminders of a measure now in force. */
static void
exc_arm(const struct actx *a, struct effects *fx, const struct exc *x)
{
	int64_t before;

	if (x->revert_by_at == 0)
		return;
	if ((before = next_before(a, x->revert_by_at, a->now)) != 0)
		exc_timer_set(fx, x, TK_EXC_BEFORE, before);
	exc_timer_set(fx, x, TK_EXC_AFTER, next_after(x->revert_by_at,
	    a->now));
}

/* An exception step became ready: its anticipated measure, rendered,
 * is requested in the step's name. */
void
eng_exception_from_step(const struct actx *a, struct incident *inc, int i,
    struct effects *fx)
{
	const struct rb_step	*rs = &inc->rb->steps[i];
	const struct step_st	*s = &inc->steps[i];
	struct exc		*x = exc_new();
	json_t			*ctx = engine_context(inc), *w;
	const char		*req;

	w = tmpl_render_json(rs->with, ctx);
	json_decref(ctx);
	/* The runbook asks for it; the member who answers for the step,
	 * else for the runbook (its owner), requests it: not whoever or
	 * whatever activated the incident. */
	req = s->assignee != NULL ? s->assignee : eng_responsible(a, inc,
	    inc->rb->owner);
	json_object_set_new(w, "requested_by", json_string(req ? req :
	    inc->activated_by ? inc->activated_by : "keizokud"));
	x->incident = inc->id;
	x->step = xstrdup(rs->id);
	x->title = xstrdup(json_string_value(json_object_get(w, "title")) ?:
	    "");
	x->policy = dup0(json_string_value(json_object_get(w, "policy")));
	x->reason = dup0(json_string_value(json_object_get(w, "reason")));
	x->state = EXS_REQUESTED;
	x->requested_by = dup0(json_string_value(json_object_get(w,
	    "requested_by")));
	x->requested_at = a->now;
	x->revert_by_at = rs->u.exception.revert_by_s > 0 ? a->now +
	    rs->u.exception.revert_by_s * 1000 : 0;
	x->drill = inc->drill;
	x->measure = w;
	eng_emit(fx, EF_EXCEPTION, i, NULL)->exc = x;
}

int
engine_exception_add(const struct actx *a, struct incident *inc,
    struct exc *x, struct effects *fx, char **why)
{
	if (x->step != NULL && exc_step(inc, x) < 0) {
		*why = xprintf("incident %lld has no step \"%s\"",
		    (long long)inc->id, x->step);
		exc_free(x);
		return 404;
	}
	if (inc->state != IS_ACTIVE && inc->state != IS_CLOSED) {
		*why = xprintf("incident %lld is %s: exception measures "
		    "belong to active (or closed) incidents",
		    (long long)inc->id, inc_state_name(inc->state));
		exc_free(x);
		return 409;
	}
	x->incident = inc->id;
	x->state = EXS_REQUESTED;
	x->requested_by = dup0(eng_who(a));
	x->requested_actor = dup0(a->actor);
	x->requested_at = a->now;
	x->drill = inc->drill;
	if (x->measure == NULL)
		x->measure = json_object();
	json_object_set_new(x->measure, "requested_by", json_string(
	    x->requested_by));
	eng_emit(fx, EF_EXCEPTION, exc_step(inc, x), NULL)->exc = x;
	return 200;
}

void
engine_exception_requested(const struct actx *a, const struct incident *inc,
    const struct exc *x, struct effects *fx)
{
	char *to, *text;

	text = xprintf("exception %lld requested: %s", (long long)x->id,
	    x->title != NULL ? x->title : "");
	eng_event(fx, EV_EXCEPTION_REQUESTED, exc_step(inc, x), json_pack(
	    "{s:I,s:O,s:s}", "exception", (json_int_t)x->id, "measure",
	    x->measure, "text", text));
	free(text);
	to = exc_approver(a, inc);
	exc_notify(fx, EV_EXCEPTION_REQUESTED, to, x);
	free(to);
}

/* Separation of duties: someone who had a hand in the request (the
 * member it was made for, or the person who typed it, a proxy with --as)
 * may not decide it, neither as themselves nor for someone else, and no
 * one may decide it on behalf of either. NULL, or a message. */
static char *
conflicted(const struct actx *a, const struct exc *x, const char *verb,
    const char *ref)
{
	const char	*reqs[2], *deciders[2];
	size_t		 i, j;

	reqs[0] = x->requested_by;
	reqs[1] = x->requested_actor;
	deciders[0] = a->actor;		/* the person acting */
	deciders[1] = a->member;	/* the person acted for */
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++) {
			if (deciders[j] == NULL || reqs[i] == NULL ||
			    strcmp(deciders[j], reqs[i]) != 0)
				continue;
			if (i == 0)
				return xprintf("%s requested exception %lld "
				    "and may not %s it, in person or through "
				    "someone acting for them: another member "
				    "of %s must (self-approval is not allowed)",
				    reqs[0], (long long)x->id, verb, ref);
			return xprintf("%s made the request for exception "
			    "%lld (on behalf of %s) and may not %s it, in "
			    "person or on anyone's behalf: another member of "
			    "%s must (separation of duties)", reqs[1],
			    (long long)x->id, reqs[0] ? reqs[0] : "-", verb,
			    ref);
		}
	return NULL;
}

/* Approving a departure from policy needs someone else with the
 * authority: a member of the approver role who had no hand in asking
 * for it. The member is the one on whose behalf it is done (--as): that
 * member answers for the decision, and the log names both. An admin who
 * is not such a member must act --as one (as for approval steps). */
static int
may_decide(const struct actx *a, const struct incident *inc,
    const struct exc *x, int approved, char **why)
{
	const char	*me = eng_who(a);
	const char	*verb = approved ? "approve" : "reject";
	const char	*done = approved ? "approved" : "rejected";
	char		*ref = exc_approver(a, inc);
	int		 status = 200;

	if (ref == NULL) {
		*why = xprintf("nobody may %s exception %lld: set "
		    "exceptions.approver_role in the config", verb,
		    (long long)x->id);
		status = 403;
	} else if ((*why = conflicted(a, x, verb, ref)) != NULL) {
		status = 403;
	} else if (!roster_matches(a->roster, ref, me) && a->admin &&
	    a->member == NULL) {
		*why = xprintf("exception %lld can only be %s by a member "
		    "of %s: act --as a member of %s", (long long)x->id, done,
		    ref, ref);
		status = 403;
	} else if (!roster_matches(a->roster, ref, me)) {
		*why = xprintf("exception %lld can only be %s by a member "
		    "of %s; %s is not one", (long long)x->id, done, ref,
		    me ? me : "this caller");
		status = 403;
	}
	free(ref);
	return status;
}

/* An exception step waits for the decision on its measure: finish it
 * too. */
static void
decide_step(const struct actx *a, struct incident *inc, const struct exc *x,
    int approved, const char *note, struct effects *fx)
{
	int		 i = exc_step(inc, x);
	struct step_st	*s;

	if (i < 0 || inc->rb->steps[i].type != ST_EXCEPTION ||
	    inc->state != IS_ACTIVE)
		return;
	s = &inc->steps[i];
	if (s->state != SS_READY && s->state != SS_ACKED)
		return;
	eng_finish(a, inc, i, approved ? SS_DONE : SS_FAILED, eng_who(a), note,
	    fx);
	eng_event(fx, approved ? EV_STEP_DONE : EV_STEP_FAILED, i, json_pack(
	    "{s:I,s:s}", "exception", (json_int_t)x->id, "reason",
	    approved ? "exception approved" : "exception rejected"));
	if (!approved)
		eng_notify(fx, EV_STEP_FAILED, i, inc->rb->owner,
		    eng_step_data(inc, i));
	eng_advance(a, inc, fx);
}

/* A measure ends (rejected, reverted or adopted) by who acts now. */
static void
exc_dispose(const struct actx *a, struct exc *x, enum exc_state to,
    const char *note)
{
	x->state = to;
	eng_set_str(&x->resolved_by, eng_who(a));
	x->resolved_at = a->now;
	eng_set_str(&x->note, note);
}

int
engine_exception_decide(const struct actx *a, struct incident *inc,
    struct exc *x, int approved, const char *note, struct effects *fx,
    char **why)
{
	char	*text;
	int	 status;

	if (x->state != EXS_REQUESTED) {
		*why = xprintf("exception %lld is %s: only a requested one "
		    "can be %s", (long long)x->id, exc_state_name(x->state),
		    approved ? "approved" : "rejected");
		return 409;
	}
	if ((status = may_decide(a, inc, x, approved, why)) != 200)
		return status;
	if (!approved && note == NULL) {
		*why = xprintf("say why with --note when rejecting exception "
		    "%lld", (long long)x->id);
		return 400;
	}
	if (approved) {
		x->state = EXS_ACTIVE;
		eng_set_str(&x->approved_by, eng_who(a));
		x->approved_at = a->now;
	} else
		exc_dispose(a, x, EXS_REJECTED, note);
	/* The decision keeps its own note (a condition of approval, the
	 * reason for a rejection); a later resolution does not overwrite
	 * it. A rejection also ends the measure: its reason is the note of
	 * that end too. */
	eng_set_str(&x->decision_note, note);
	exc_save(fx, x);
	text = xprintf("exception %lld %s by %s%s%s", (long long)x->id,
	    approved ? "approved" : "rejected", eng_who(a), note ? ": " : "",
	    note ? note : "");
	eng_event(fx, approved ? EV_EXCEPTION_APPROVED : EV_EXCEPTION_REJECTED,
	    exc_step(inc, x), json_pack("{s:I,s:s,s:s?,s:s}", "exception",
	    (json_int_t)x->id, "title", x->title, "note", note, "text", text));
	free(text);
	exc_notify(fx, approved ? EV_EXCEPTION_APPROVED : EV_EXCEPTION_REJECTED,
	    x->requested_by, x);
	if (approved)
		exc_arm(a, fx, x);
	else
		exc_disarm(fx, x);
	decide_step(a, inc, x, approved, note, fx);
	return 200;
}

/* Who may dispose of a measure: whoever asked for it, whoever has the
 * authority to approve one, the runbook's owner, or an admin. */
static int
may_resolve(const struct actx *a, const struct incident *inc,
    const struct exc *x, char **why)
{
	const char	*me = eng_who(a), *req = x->requested_by;
	char		*ref = exc_approver(a, inc);
	int		 ok;

	ok = (a->admin && a->member == NULL) || (req != NULL && me != NULL &&
	    strcmp(req, me) == 0) || roster_matches(a->roster, ref, me) ||
	    roster_matches(a->roster, inc->rb->owner, me);
	if (!ok)
		*why = xprintf("exception %lld can be resolved by its "
		    "requester (%s), a member of %s, the runbook owner (%s) or "
		    "an admin; %s is none of them", (long long)x->id,
		    req ? req : "-", ref ? ref : "-", inc->rb->owner ?
		    inc->rb->owner : "-", me ? me : "this caller");
	free(ref);
	return ok ? 200 : 403;
}

int
engine_exception_resolve(const struct actx *a, struct incident *inc,
    struct exc *x, enum exc_state how, const char *note, struct effects *fx,
    char **why)
{
	char	*text;
	int	 status;

	if (x->state != EXS_ACTIVE) {
		*why = xprintf("exception %lld is %s: only an active one can "
		    "be resolved%s", (long long)x->id,
		    exc_state_name(x->state), x->state == EXS_REQUESTED ?
		    " (approve or reject it first)" : "");
		return 409;
	}
	if ((status = may_resolve(a, inc, x, why)) != 200)
		return status;
	exc_dispose(a, x, how, note);
	exc_save(fx, x);
	text = xprintf("exception %lld %s: %s", (long long)x->id,
	    exc_state_name(how), note);
	eng_event(fx, EV_EXCEPTION_RESOLVED, exc_step(inc, x), json_pack(
	    "{s:I,s:s,s:s,s:s,s:s}", "exception", (json_int_t)x->id, "title",
	    x->title, "disposition", exc_state_name(how), "note", note,
	    "text", text));
	free(text);
	exc_disarm(fx, x);
	exc_notify(fx, EV_EXCEPTION_RESOLVED, x->approved_by, x);
	return 200;
}

/* Logs a reminder and tells both the requester and the approver. */
static void
remind(const struct actx *a, const struct incident *inc, const struct exc *x,
    enum kz_event ev, struct effects *fx)
{
	const char	*req = x->requested_by, *appr = x->approved_by;
	long long	 id = x->id;
	char		 ts[40], *text;

	rfc3339_buf(x->revert_by_at, ts, sizeof ts);
	text = ev == EV_EXCEPTION_OVERDUE ? xprintf("exception %lld is past "
	    "its revert-by deadline (%s): revert or adopt it", id, ts) :
	    xprintf("exception %lld must be reverted by %s", id, ts);
	eng_event(fx, ev, exc_step(inc, x), json_pack("{s:I,s:s,s:s,s:s}",
	    "exception", (json_int_t)id, "title", x->title, "revert_by_at",
	    ts, "text", text));
	free(text);
	exc_notify(fx, ev, req, x);
	if (appr != NULL && (req == NULL || strcmp(appr, req) != 0))
		exc_notify(fx, ev, appr, x);
}

void
engine_exception_timer(const struct actx *a, const struct incident *inc,
    struct exc *x, const struct tkey *k, struct effects *fx)
{
	int64_t revert = x->revert_by_at, next;

	/* Only a measure in force needs reverting; decided ones lost their
	 * timers already, and this one is stale. */
	if (x->state != EXS_ACTIVE || revert == 0 || x->incident != inc->id)
		return;
	if (k->kind == TK_EXC_BEFORE) {
		if (a->now < revert)
			remind(a, inc, x, EV_EXCEPTION_REMINDER, fx);
		if ((next = next_before(a, revert, a->now)) != 0)
			exc_timer_set(fx, x, TK_EXC_BEFORE, next);
	} else if (k->kind == TK_EXC_AFTER) {
		remind(a, inc, x, EV_EXCEPTION_OVERDUE, fx);
		exc_timer_set(fx, x, TK_EXC_AFTER, next_after(revert, a->now));
	}
}

void
engine_exception_drill_closed(const struct actx *a,
    const struct incident *inc, struct exc *x, struct effects *fx)
{
	char *text;

	if (x->state != EXS_REQUESTED && x->state != EXS_ACTIVE)
		return;
	exc_dispose(a, x, EXS_DRILL_CLOSED, "訓練の終了とともに破棄 / "
	    "disposed of when the drill closed");
	exc_save(fx, x);
	exc_disarm(fx, x);
	text = xprintf("exception %lld closed with the drill: %s",
	    (long long)x->id, x->title != NULL ? x->title : "");
	eng_event(fx, EV_EXCEPTION_DRILL_CLOSED, exc_step(inc, x), json_pack(
	    "{s:I,s:s,s:s}", "exception", (json_int_t)x->id, "title",
	    x->title != NULL ? x->title : "", "text", text));
	free(text);
}
