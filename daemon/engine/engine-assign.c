/* Who holds a step that is assigned through a role ("tasks follow
 * answers"): when the incident has called the role out, a member who
 * answered available or arrived; otherwise (or while none has) a member
 * in call-out order who is not out and has not answered unavailable.
 * Among those, the fewest open steps in the incident first, then
 * call-out order. An "unavailable" answer moves the member's open steps
 * at once; other answers spread the role's waiting steps over those who
 * can come. `keizoku assign` hands a step to a member by name (pinned:
 * the rule leaves it there until that member answers unavailable).
 * Pure, like the rest of the engine. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine-int.h"
#include "model/roster.h"
#include "model/rota.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

/*
 * The call-out order of a role (SPEC §16): with a rota, its members on
 * turn (a cover in the place of the one covered), then the others, each
 * in order of precedence; minus members whose team is out. Staff
 * assembly, role assignment and escalation all read it here, when they
 * call (model/rota.c computes it, with the covers and outs in force).
 */
char **
eng_callout_order(const struct actx *a, const char *role, size_t *n)
{
	const struct role	*ro = roster_role(a->roster, role);
	const char		**o;
	char			**v;
	size_t			 i;

	*n = 0;
	if (ro == NULL)
		return xcalloc(1, sizeof(char *));
	o = rota_order(a->roster, a->roster->live, ro, a->now, n);
	v = xcalloc(*n + 1, sizeof *v);
	for (i = 0; i < *n; i++)
		v[i] = (char *)(uintptr_t)o[i];
	free(o);
	return v;
}

/* The member's latest answer in the incident, whichever call-out it
 * answered (an answer is about the person, not the role). AN_CALLED
 * when none. */
enum answer
eng_answer_of(const struct incident *inc, const char *member)
{
	enum answer	ans = AN_CALLED;
	int64_t		at = -1;
	size_t		i;

	if (incident_partial(inc, member))
		return AN_CALLED;

	for (i = 0; i < inc->ncallouts; i++) {
		const struct callout *c = &inc->callouts[i];

		if (strcmp(c->member, member) != 0 || (c->answer !=
		    AN_AVAILABLE && c->answer != AN_ARRIVED && c->answer !=
		    AN_UNAVAILABLE) || c->answered_at < at)
			continue;
		ans = c->answer;
		at = c->answered_at;
	}
	return ans;
}

static int
role_called(const struct incident *inc, const char *role)
{
	size_t i;

	if (incident_partial(inc, NULL))
		return 0;
	for (i = 0; i < inc->ncallouts; i++)
		if (strcmp(inc->callouts[i].role, role) == 0)
			return 1;
	return 0;
}

/* Every member's latest answer in the incident, {"sato": AN_...}: one
 * pass over the call-outs, however many members a role has. */
static json_t *
answers_map(const struct incident *inc)
{
	json_t	*m = json_object(), *at = json_object();
	size_t	 i;

	incident_partial(inc, NULL);

	for (i = 0; i < inc->ncallouts; i++) {
		const struct callout *c = &inc->callouts[i];

		if (c->answer != AN_AVAILABLE && c->answer != AN_ARRIVED &&
		    c->answer != AN_UNAVAILABLE)
			continue;
		if (json_object_get(at, c->member) != NULL &&
		    json_integer_value(json_object_get(at, c->member)) >
		    c->answered_at)
			continue;
		json_object_set_new(at, c->member,
		    json_integer(c->answered_at));
		json_object_set_new(m, c->member, json_integer(c->answer));
	}
	json_decref(at);
	return m;
}

static enum answer
answer_in(json_t *map, const char *member)
{
	json_t *v = json_object_get(map, member);

	return v != NULL ? (enum answer)json_integer_value(v) : AN_CALLED;
}

/* The members a step of role may go to now, in call-out order. */
static char **
eligible(const struct actx *a, const struct incident *inc, const char *role,
    size_t *n)
{
	json_t	 *ans = answers_map(inc);
	char	**order, **v;
	size_t	  no, i;
	int	  answered = 0;

	order = eng_callout_order(a, role, &no);
	v = xcalloc(no + 1, sizeof *v);
	*n = 0;
	if (role_called(inc, role)) {
		for (i = 0; i < no; i++) {
			enum answer an = answer_in(ans, order[i]);

			if (an == AN_AVAILABLE || an == AN_ARRIVED)
				v[(*n)++] = order[i];
		}
		answered = *n > 0;
	}
	for (i = 0; !answered && i < no; i++)
		if (answer_in(ans, order[i]) != AN_UNAVAILABLE)
			v[(*n)++] = order[i];
	json_decref(ans);
	free(order);
	return v;
}

/* The role of a step assigned through one ("role:X"), else NULL. */
static const char *
step_role(const struct rb_step *rs)
{
	if (rs->assign != NULL && strncmp(rs->assign, "role:", 5) == 0)
		return rs->assign + 5;
	return NULL;
}

static int
is_open(enum step_state s)
{
	return s == SS_READY || s == SS_ACKED || s == SS_RUNNING;
}

/* Who holds a step: whoever took it, else whoever it went to. */
const char *
eng_holder(const struct step_st *s)
{
	if (s->state == SS_ACKED && s->acked_by != NULL)
		return s->acked_by;
	return s->assignee;
}

/* Open steps per member ({"sato": 2}), leaving out those in skip. */
static json_t *
open_counts(const struct incident *inc, const int *skip)
{
	json_t	*c = json_object();
	size_t	 i;

	for (i = 0; i < inc->rb->nsteps; i++) {
		const char *h = eng_holder(&inc->steps[i]);

		if ((skip != NULL && skip[i]) || !is_open(inc->steps[i].state) ||
		    h == NULL)
			continue;
		json_object_set_new(c, h, json_integer(json_integer_value(
		    json_object_get(c, h)) + 1));
	}
	return c;
}

/* The fewest open steps first, then the current holder (no pointless
 * move), then call-out order. */
static const char *
pick(char **cand, size_t n, json_t *counts, const char *current)
{
	const char	*best = NULL;
	json_int_t	 bc = 0;
	size_t		 i;

	for (i = 0; i < n; i++) {
		json_int_t c = json_integer_value(json_object_get(counts,
		    cand[i]));

		if (best == NULL || c < bc || (c == bc && current != NULL &&
		    strcmp(cand[i], current) == 0)) {
			best = cand[i];
			bc = c;
		}
	}
	return best;
}

const char *
eng_pick(const struct actx *a, const struct incident *inc, int i)
{
	const struct rb_step	*rs = &inc->rb->steps[i];
	const char		*role = step_role(rs), *best;
	char			**cand;
	json_t			*counts;
	size_t			 n;

	if (role == NULL)
		return rs->assign;	/* a member by name, or nobody */
	cand = eligible(a, inc, role, &n);
	counts = open_counts(inc, NULL);
	best = pick(cand, n, counts, NULL);
	json_decref(counts);
	free(cand);
	return best;
}

/* (Re)arms the calls of a step that changed hands: its new holder gets
 * the time the runbook gives anyone to take it. */
static void
rearm(const struct actx *a, struct incident *inc, int i, struct effects *fx)
{
	const struct rb_step *rs = &inc->rb->steps[i];

	if (rs->escalate_after_s > 0)
		eng_timer_set(fx, TK_ESCALATE, i, a->now +
		    rs->escalate_after_s * 1000);
	if (rs->remind_s > 0)
		eng_timer_set(fx, TK_REMIND, i, a->now + rs->remind_s * 1000);
}

/* Hands step i to member to (NULL: nobody is left, the owner must act),
 * logging why. */
void
eng_move(const struct actx *a, struct incident *inc, int i, const char *to,
    const char *reason, struct effects *fx)
{
	struct step_st	*s = &inc->steps[i];
	char		*from = eng_holder(s) ? xstrdup(eng_holder(s)) : NULL;
	json_t		*d;

	if (s->state == SS_ACKED) {
		s->state = SS_READY;
		eng_set_str(&s->acked_by, NULL);
		s->acked_at = 0;
	}
	eng_set_str(&s->assignee, to);
	s->pinned = strcmp(reason, "assign") == 0 && to != NULL;
	s->dirty = 1;
	d = eng_step_data(inc, i);
	json_object_set_new(d, "from", from ? json_string(from) : json_null());
	json_object_set_new(d, "to", to ? json_string(to) : json_null());
	json_object_set_new(d, "reason", json_string(reason));
	eng_event(fx, EV_STEP_ASSIGNED, i, json_deep_copy(d));
	if (to != NULL) {
		rearm(a, inc, i, fx);
		eng_notify(fx, EV_STEP_ASSIGNED, i, to, d);
	} else {
		eng_timer_clear(fx, TK_ESCALATE, i);
		eng_timer_clear(fx, TK_REMIND, i);
		json_object_set_new(d, "exhausted", json_true());
		json_object_set_new(d, "to", inc->rb->owner ?
		    json_string(inc->rb->owner) : json_null());
		eng_notify(fx, EV_STEP_ESCALATED, i, inc->rb->owner, d);
	}
	free(from);
}

static int
among(char **cand, size_t n, const char *m)
{
	size_t i;

	for (i = 0; m != NULL && i < n; i++)
		if (strcmp(cand[i], m) == 0)
			return 1;
	return 0;
}

static json_int_t
count_of(json_t *counts, const char *m)
{
	return json_integer_value(json_object_get(counts, m));
}

static void
count_add(json_t *counts, const char *m, int by)
{
	json_object_set_new(counts, m, json_integer(count_of(counts, m) + by));
}

/*
 * Spreads the steps of role again after an answer. A step waiting for
 * someone (ready, not taken, not handed to a member by name) whose
 * holder may no longer have it, and every step the member who answered
 * unavailable held, goes to the member the rule picks; a waiting step
 * whose holder may keep it moves only when that holder has at least two
 * open steps more than someone else who may have it (no pointless
 * moves).
 */
void
eng_rebalance(const struct actx *a, struct incident *inc, const char *role,
    const char *unavailable, struct effects *fx)
{
	const struct runbook	*rb = inc->rb;
	int			*mov = xcalloc(rb->nsteps + 1, sizeof *mov);
	json_t			*counts;
	char			**cand;
	size_t			 i, n;

	/* Nothing of role to spread: no pass over the answers (an answer
	 * to a call-out of 10,000 would read every one). */
	for (i = 0; i < rb->nsteps; i++) {
		const char *r = step_role(&rb->steps[i]);

		if ((inc->steps[i].state == SS_READY ||
		    inc->steps[i].state == SS_ACKED) && r != NULL &&
		    strcmp(r, role) == 0)
			break;
	}
	if (i == rb->nsteps) {
		free(mov);
		return;
	}
	cand = eligible(a, inc, role, &n);
	for (i = 0; i < rb->nsteps; i++) {
		const struct step_st	*s = &inc->steps[i];
		const char		*h = eng_holder(s);
		const char		*r = step_role(&rb->steps[i]);

		if ((s->state != SS_READY && s->state != SS_ACKED) ||
		    r == NULL || strcmp(r, role) != 0)
			continue;
		if (unavailable != NULL && h != NULL && strcmp(h,
		    unavailable) == 0)
			mov[i] = 2;		/* must go */
		else if (s->state == SS_READY && !s->pinned)
			mov[i] = among(cand, n, h) ? 1 : 2;
	}
	/* What each member holds that stays where it is, or may. */
	for (i = 0; i < rb->nsteps; i++)
		if (mov[i] == 2)
			mov[i] = 3;
	counts = open_counts(inc, NULL);
	for (i = 0; i < rb->nsteps; i++)
		if (mov[i] == 3 && eng_holder(&inc->steps[i]) != NULL)
			count_add(counts, eng_holder(&inc->steps[i]), -1);
	for (i = 0; i < rb->nsteps; i++) {
		const char	*h = eng_holder(&inc->steps[i]), *to;
		int		 gone;

		if (mov[i] == 0)
			continue;
		if (mov[i] == 1) {
			count_add(counts, h, -1);
			to = pick(cand, n, counts, h);
			if (count_of(counts, to) >= count_of(counts, h))
				to = h;
			count_add(counts, to, 1);
			if (strcmp(to, h) != 0)
				eng_move(a, inc, (int)i, to, "answer", fx);
			continue;
		}
		gone = unavailable != NULL && h != NULL && strcmp(h,
		    unavailable) == 0;
		if ((to = pick(cand, n, counts, NULL)) != NULL)
			count_add(counts, to, 1);
		else if (!gone)
			continue;	/* nobody better: it stays */
		eng_move(a, inc, (int)i, to, gone ? "unavailable" : "answer",
		    fx);
	}
	free(cand);
	json_decref(counts);
	free(mov);
}

/* After member's answer: the steps of each of their roles, and, when
 * they cannot come, of every role of a step they hold (one handed to
 * them outside their roles goes too). */
void
eng_answer_moves(const struct actx *a, struct incident *inc,
    const char *member, enum answer ans, struct effects *fx)
{
	const struct roster	*ro = a->roster;
	json_t			*roles = json_object(), *v;
	const char		*r;
	size_t			 i;

	for (i = 0; ro != NULL && i < ro->nroles; i++)
		if (strv_has(ro->roles[i].members, member))
			json_object_set_new(roles, ro->roles[i].id,
			    json_true());
	for (i = 0; ans == AN_UNAVAILABLE && i < inc->rb->nsteps; i++) {
		const struct step_st *s = &inc->steps[i];

		if ((s->state == SS_READY || s->state == SS_ACKED) &&
		    eng_holder(s) != NULL && strcmp(eng_holder(s), member) ==
		    0 && (r = step_role(&inc->rb->steps[i])) != NULL)
			json_object_set_new(roles, r, json_true());
	}
	json_object_foreach(roles, r, v)
		eng_rebalance(a, inc, r, ans == AN_UNAVAILABLE ? member : NULL,
		    fx);
	json_decref(roles);
}

/*
 * The deputy an unanswered step escalates to: the member after its
 * holder in the role's escalation order, which is those who answered
 * available or arrived, then the others who have not answered
 * unavailable, each in call-out order. NULL when the holder was the last
 * (every deputy was called: the owner must act).
 */
const char *
eng_next_deputy(const struct actx *a, const struct incident *inc, int i)
{
	const char	*role = step_role(&inc->rb->steps[i]), *cur;
	const char	*next = NULL;
	char		**order, **l;
	json_t		 *ans;
	size_t		  no, n = 0, k, pass;

	if (role == NULL)
		return NULL;
	cur = eng_holder(&inc->steps[i]);
	ans = answers_map(inc);
	order = eng_callout_order(a, role, &no);
	l = xcalloc(no + 1, sizeof *l);
	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < no; k++) {
			enum answer an = answer_in(ans, order[k]);
			int avail = an == AN_AVAILABLE || an == AN_ARRIVED;

			if (an != AN_UNAVAILABLE && avail == (pass == 0))
				l[n++] = order[k];
		}
	for (k = 0; cur != NULL && k < n; k++)
		if (strcmp(l[k], cur) == 0)
			break;
	if (cur == NULL || k == n)
		next = n > 0 && (cur == NULL || strcmp(l[0], cur) != 0) ? l[0] :
		    NULL;
	else if (k + 1 < n)
		next = l[k + 1];
	json_decref(ans);
	free(l);
	free(order);
	return next;
}

/* Who answers for what the runbook itself asks (an anticipated exception
 * measure): the first member of ref ("role:X", in call-out order, among
 * those who can act) or the member ref names; NULL for none. */
const char *
eng_responsible(const struct actx *a, const struct incident *inc,
    const char *ref)
{
	const char	*who = NULL;
	char		**cand;
	size_t		  n;

	if (ref == NULL)
		return NULL;
	if (strncmp(ref, "role:", 5) != 0)
		return ref;
	cand = eligible(a, inc, ref + 5, &n);
	if (n > 0)
		who = cand[0];
	free(cand);
	return who;
}
