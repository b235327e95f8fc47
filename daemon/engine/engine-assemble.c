/* Staff assembly (参集, SPEC §6): an assemble step calls out members of
 * each named role in order of precedence until the quota can be met; no
 * answer within escalate_after, or "unavailable", calls the next deputy.
 * The step is done when every role has its quota of available or arrived
 * members. Pure: the caller persists the callouts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/duration.h"
#include "engine/engine-int.h"
#include "model/roster.h"
#include "model/rota.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

#define SHOW_MEMBERS	100	/* members listed per role in show */

static const char *const answers[] = {
	"called", "no_answer", "available", "unavailable", "arrived", NULL
};

const char *
answer_name(enum answer a)
{
	return answers[a];
}

int
answer_parse(const char *s)
{
	return eng_lookup(answers, s);
}

/* The index of call-outs by step and member, built when first needed
 * (linear) and brought up to date with the call-outs pushed since (new
 * ones, a fan-out's slice loaded): every lookup is O(1), so calling N
 * members costs O(N), not O(N^2) as a scan per lookup did. */
static struct strmap *
cindex(struct incident *inc, int step)
{
	size_t i;

	if (inc->cidx == NULL) {
		inc->cidx = xcalloc(inc->rb->nsteps + 1, sizeof *inc->cidx);
		inc->nindexed = 0;
	}
	for (i = inc->nindexed; i < inc->ncallouts; i++)
		strmap_put(&inc->cidx[inc->callouts[i].step],
		    inc->callouts[i].member, i);
	inc->nindexed = inc->ncallouts;
	return &inc->cidx[step];
}

void
incident_part_count(struct cpart *p, int step, const char *role,
    enum answer ans, int n)
{
	size_t i;

	for (i = 0; i < p->nt; i++)
		if (p->t[i].step == step && strcmp(p->t[i].role, role) == 0)
			break;
	if (i == p->nt) {
		p->t = xreallocarray(p->t, p->nt + 1, sizeof *p->t);
		memset(&p->t[i], 0, sizeof p->t[i]);
		p->t[i].step = step;
		p->t[i].role = xstrdup(role);
		p->nt++;
	}
	p->t[i].n[ans] += n;
}

void
incident_part_free(struct cpart *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nt; i++)
		free(p->t[i].role);
	free(p->t);
	free(p->member);
	strmap_clear(&p->loaded);
	for (i = 0; i < p->nkeys; i++)
		free(p->keys[i]);
	free(p->keys);
	free(p);
}

int
incident_partial(const struct incident *inc, const char *member)
{
	const struct cpart	*p = inc->part;
	size_t			 x;

	if (p == NULL || (member != NULL && ((p->member != NULL &&
	    strcmp(member, p->member) == 0) || strmap_get(&p->loaded, member,
	    &x))))
		return 0;
	inc->part->need_full = 1;
	return 1;
}

static struct callout *
find(struct incident *inc, int step, const char *member)
{
	size_t i;

	if (incident_partial(inc, member))
		return NULL;
	if (strmap_get(cindex(inc, step), member, &i))
		return &inc->callouts[i];
	return NULL;
}

struct tally {
	int	available;	/* answered available (not yet arrived) */
	int	arrived;
	int	unavailable;
	int	waiting;	/* called, not yet answered */
	int	no_answer;
};

static void
tally_add(struct tally *t, enum answer ans, int by)
{
	switch (ans) {
	case AN_ARRIVED:
		t->arrived += by;
		break;
	case AN_AVAILABLE:
		t->available += by;
		break;
	case AN_UNAVAILABLE:
		t->unavailable += by;
		break;
	case AN_CALLED:
		t->waiting += by;
		break;
	case AN_NOANSWER:
		t->no_answer += by;
		break;
	}
}

/* On a partial load: the stored counts, with the loaded call-outs'
 * changes since (their stored answer out, their answer now in). */
static void
tally(const struct incident *inc, int step, const char *role, struct tally *t)
{
	const struct cpart	*p = inc->part;
	size_t			 i;
	int			 k;

	memset(t, 0, sizeof *t);
	for (i = 0; p != NULL && i < p->nt; i++)
		if (p->t[i].step == step && strcmp(p->t[i].role, role) == 0)
			for (k = 0; k < AN_COUNT; k++)
				tally_add(t, (enum answer)k, p->t[i].n[k]);
	for (i = 0; i < inc->ncallouts; i++) {
		const struct callout *c = &inc->callouts[i];

		if (c->step != step || strcmp(c->role, role) != 0)
			continue;
		if (p != NULL && c->counted)
			tally_add(t, c->counted_as, -1);
		tally_add(t, c->answer, 1);
	}
}

struct callout *
incident_callout_push(struct incident *inc, int step, const char *role,
    const char *member)
{
	struct callout *c;

	if (inc->ncallouts >= inc->ccap) {
		inc->ccap = inc->ccap * 2 + 16;
		inc->callouts = xreallocarray(inc->callouts, inc->ccap,
		    sizeof *inc->callouts);
	}
	c = &inc->callouts[inc->ncallouts++];
	memset(c, 0, sizeof *c);
	c->step = step;
	c->role = xstrdup(role);
	c->member = xstrdup(member);
	return c;
}

static struct callout *
add(struct incident *inc, int step, const char *role, const char *member)
{
	struct callout *c = incident_callout_push(inc, step, role, member);

	c->is_new = 1;
	c->dirty = 1;
	cindex(inc, step);	/* indexes it */
	return c;
}

/* Calls the next member of role not yet called in this step, in the
 * order cand gives (rota_order_memo), from *cur on and before n: the
 * members before it were all called, and the cursor only moves forward,
 * so calling N members is linear. */
static int
call_next(const struct actx *a, struct incident *inc, int i, const char *role,
    const char *const *cand, size_t n, size_t *cur, struct effects *fx)
{
	const struct rb_step	*rs = &inc->rb->steps[i];
	char			*title;
	size_t			 k;
	int64_t			 esc = rs->u.assemble.callout_s * 1000;

	for (k = *cur; k < n; k++) {
		struct callout *c;

		if (find(inc, i, cand[k]) != NULL)
			continue;
		*cur = k + 1;
		c = add(inc, i, role, cand[k]);
		c->answer = AN_CALLED;
		c->called_at = a->now;
		eng_event(fx, EV_ASSEMBLY_CALLED, i, json_pack("{s:s,s:s,s:i}",
		    "role", role, "member", cand[k], "order", (int)k + 1));
		title = engine_step_title(inc, i, NULL);
		eng_notify(fx, EV_ASSEMBLY_CALLOUT, i, cand[k], json_pack(
		    "{s:s,s:s,s:s}", "role", role, "member", cand[k], "title",
		    title));
		free(title);
		if (esc > 0)
			eng_timer_set_key(fx, (struct tkey){ .kind = TK_CALLOUT,
			    .a = xstrdup(role), .b = xstrdup(cand[k]) }, i,
			    a->now + esc);
		return 1;
	}
	*cur = k;
	return 0;
}

/* The role's call-out order (kept in the roster: rota_order_memo) and
 * where to walk it: from the step's cursor when it counts in this very
 * order (same fingerprint), else from the first member. On a fan-out's
 * partial load only up to the end of the slice loaded (*lim), and only
 * from the cursor: anything else needs the whole incident. 0: none. */
static int
order_at(const struct actx *a, struct incident *inc, int i, const char *role,
    const char *const **cand, size_t *n, unsigned *fp, size_t *cur,
    size_t *lim)
{
	static const char *const none[] = { NULL };
	const struct role	*ro = roster_role(a->roster, role);
	const struct step_st	*s = &inc->steps[i];
	const struct cpart	*p = inc->part;

	*n = 0;
	*fp = 0;
	*cand = none;
	if (ro != NULL)
		*cand = rota_order_memo(a->roster, a->roster->live, ro, a->now,
		    n, fp);
	if (p != NULL) {
		if (!p->sliced || p->slice_step != i || p->slice_fp != *fp ||
		    (size_t)s->cursor > *n) {
			incident_partial(inc, NULL);	/* sets need_full */
			return 0;
		}
		*cur = (size_t)s->cursor;
		*lim = p->slice_end < *n ? p->slice_end : *n;
		return 1;
	}
	*cur = (unsigned)s->rounds == *fp && s->cursor >= 0 &&
	    (size_t)s->cursor <= *n ? (size_t)s->cursor : 0;
	*lim = *n;
	return 1;
}

/* Tops every role up with calls, and finishes the step at quota. At
 * most ENGINE_FANOUT_BATCH members are called per call: the rest follow
 * from a "fanout" timer due at once, each batch its own transaction, so
 * that a call-out of 10,000 never holds the loop. The step's cursor
 * keeps the place in the order walked last: a batch (or a call after a
 * decline) walks on from there, so a call-out of N is linear in N. */
static void
settle(const struct actx *a, struct incident *inc, int i, struct effects *fx)
{
	const struct rb_step	*rs = &inc->rb->steps[i];
	struct step_st		*s = &inc->steps[i];
	size_t			 r;
	int			 all = 1, called = 0, more = 0, sliced = 0;

	for (r = 0; r < rs->u.assemble.nroles && !sliced; r++) {
		const char		 *role = rs->u.assemble.roles[r].role;
		int			  quota = rs->u.assemble.roles[r].quota;
		struct tally		  t;
		size_t			  cur = 0, n = 0, lim = 0;
		const char *const	 *cand = NULL;
		unsigned		  fp = 0;

		tally(inc, i, role, &t);
		while (t.available + t.arrived + t.waiting < quota) {
			if (called >= ENGINE_FANOUT_BATCH) {
				more = 1;
				break;
			}
			/* The order only when someone is to be called: an
			 * answer that leaves the quota covered costs no
			 * pass over the role. */
			if (cand == NULL && !order_at(a, inc, i, role, &cand,
			    &n, &fp, &cur, &lim))
				break;
			if (!call_next(a, inc, i, role, cand, lim, &cur, fx)) {
				/* The end of a fan-out's slice: the next
				 * batch loads the next one (and goes on with
				 * the roles after this one). */
				if (lim < n)
					more = sliced = 1;
				break;
			}
			t.waiting++;
			called++;
		}
		if (cand != NULL && ((size_t)s->cursor != cur ||
		    (unsigned)s->rounds != fp)) {
			s->cursor = (int)cur;
			s->rounds = (int)fp;
			s->dirty = 1;
		}
		if (t.available + t.arrived < quota)
			all = 0;
	}
	if (sliced)
		all = 0;
	if (more)
		eng_timer_set(fx, TK_FANOUT, i, a->now);
	if (all && inc->steps[i].state == SS_READY) {
		eng_finish(a, inc, i, SS_DONE, "keizokud", "quota met", fx);
		eng_event(fx, EV_ASSEMBLY_COMPLETE, i,
		    engine_assembly_json(inc));
		eng_notify(fx, EV_ASSEMBLY_COMPLETE, i, inc->rb->owner,
		    eng_step_data(inc, i));
		eng_advance(a, inc, fx);
	}
}

/* Positions of the order a fan-out batch loads: its batch and as many
 * again (members who answered before being called are passed over). */
#define SLICE	(2 * ENGINE_FANOUT_BATCH)

const char **
engine_fanout_slice(const struct actx *a, struct incident *inc, int i,
    size_t *np)
{
	const struct rb_step	*rs = &inc->rb->steps[i];
	const struct step_st	*s = &inc->steps[i];
	struct cpart		*p = inc->part;
	size_t			 r;

	*np = 0;
	if (p == NULL || rs->type != ST_ASSEMBLE || s->state != SS_READY)
		return NULL;
	for (r = 0; r < rs->u.assemble.nroles; r++) {
		const char		 *role = rs->u.assemble.roles[r].role;
		const struct role	 *ro = roster_role(a->roster, role);
		const char *const	 *v;
		const char		**out;
		struct tally		  t;
		size_t			  n, k, end, x;
		unsigned		  fp;

		tally(inc, i, role, &t);
		if (t.available + t.arrived + t.waiting >=
		    rs->u.assemble.roles[r].quota)
			continue;
		/* The first role to call, as settle goes: its order must be
		 * the one the cursor counts in. */
		if (ro == NULL)
			return NULL;
		v = rota_order_memo(a->roster, a->roster->live, ro, a->now, &n,
		    &fp);
		if ((unsigned)s->rounds != fp || s->cursor < 0 ||
		    (size_t)s->cursor > n)
			return NULL;
		end = (size_t)s->cursor + SLICE < n ? (size_t)s->cursor +
		    SLICE : n;
		out = xcalloc(end - (size_t)s->cursor + 1, sizeof *out);
		for (k = (size_t)s->cursor; k < end; k++) {
			if (strmap_get(&p->loaded, v[k], &x))
				continue;
			p->keys = xreallocarray(p->keys, p->nkeys + 1,
			    sizeof *p->keys);
			p->keys[p->nkeys] = xstrdup(v[k]);
			strmap_put(&p->loaded, p->keys[p->nkeys], p->nkeys);
			p->nkeys++;
			out[(*np)++] = v[k];
		}
		p->sliced = 1;
		p->slice_step = i;
		p->slice_fp = fp;
		p->slice_end = end;
		return out;
	}
	return NULL;
}

void
eng_assemble_start(const struct actx *a, struct incident *inc, int i,
    struct effects *fx)
{
	settle(a, inc, i, fx);
}

void
eng_assemble_more(const struct actx *a, struct incident *inc, int i,
    struct effects *fx)
{
	if (inc->steps[i].state == SS_READY)
		settle(a, inc, i, fx);
}

void
eng_assemble_timer(const struct actx *a, struct incident *inc, int i,
    const struct tkey *k, struct effects *fx)
{
	struct callout *c;

	if (inc->steps[i].state != SS_READY)
		return;
	c = find(inc, i, k->b);
	if (c != NULL && c->answer == AN_CALLED && strcmp(c->role, k->a) == 0) {
		c->answer = AN_NOANSWER;
		c->dirty = 1;
		eng_event(fx, EV_ASSEMBLY_NO_ANSWER, i, json_pack("{s:s,s:s}",
		    "role", k->a, "member", c->member));
		settle(a, inc, i, fx);
	}
}

/* A team went out (SPEC §16): its members still waiting to answer count
 * as not answering, and the next deputies are called at once. */
int
eng_assemble_out(const struct actx *a, struct incident *inc, int i,
    struct effects *fx)
{
	size_t	k;
	int	n = 0;

	if (inc->steps[i].state != SS_READY || incident_partial(inc, NULL))
		return 0;
	for (k = 0; k < inc->ncallouts; k++) {
		struct callout *c = &inc->callouts[k];

		if (c->step != i || c->answer != AN_CALLED ||
		    rota_member_out(a->roster, a->roster->live, c->member,
		    a->now) == NULL)
			continue;
		c->answer = AN_NOANSWER;
		c->dirty = 1;
		eng_timer_clear_key(fx, (struct tkey){ .kind = TK_CALLOUT,
		    .a = xstrdup(c->role), .b = xstrdup(c->member) }, i);
		eng_event(fx, EV_ASSEMBLY_NO_ANSWER, i, json_pack("{s:s,s:s,"
		    "s:s}", "role", c->role, "member", c->member, "reason",
		    "team.out"));
		n++;
	}
	if (n > 0)
		settle(a, inc, i, fx);
	return n;
}

void
eng_assemble_shortage(const struct actx *a, struct incident *inc, int i,
    struct effects *fx)
{
	const struct rb_step	*rs = &inc->rb->steps[i];
	json_t			*shortj = json_object();
	size_t			 r;
	char			*title;

	for (r = 0; r < rs->u.assemble.nroles; r++) {
		const char	*role = rs->u.assemble.roles[r].role;
		int		 quota = rs->u.assemble.roles[r].quota;
		struct tally	 t;

		tally(inc, i, role, &t);
		if (t.available + t.arrived < quota)
			json_object_set_new(shortj, role, json_pack("{s:i,s:i,"
			    "s:i}", "required", quota, "available",
			    t.available + t.arrived, "short", quota -
			    t.available - t.arrived));
	}
	if (json_object_size(shortj) == 0) {
		json_decref(shortj);
		return;
	}
	eng_event(fx, EV_ASSEMBLY_SHORT, i, json_pack("{s:O}", "short",
	    shortj));
	title = engine_step_title(inc, i, NULL);
	eng_notify(fx, EV_ASSEMBLY_SHORT, i, inc->rb->owner, json_pack("{s:o,"
	    "s:s}", "short", shortj, "title", title));
	free(title);
}

/* The assemble step a member answers to: a ready (else done) one where
 * they were called or whose roles include them. */
static int
pick_step(const struct actx *a, struct incident *inc, const char *member,
    char **role)
{
	size_t	i, pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < inc->rb->nsteps; i++) {
			const struct rb_step	*rs = &inc->rb->steps[i];
			enum step_state		 st = inc->steps[i].state;
			struct callout		*c;
			size_t			 r;

			if (rs->type != ST_ASSEMBLE || st != (pass == 0 ?
			    SS_READY : SS_DONE))
				continue;
			if ((c = find(inc, (int)i, member)) != NULL) {
				*role = xstrdup(c->role);
				return (int)i;
			}
			for (r = 0; r < rs->u.assemble.nroles; r++) {
				const char *ro = rs->u.assemble.roles[r].role;

				if (roster_in_role(a->roster, ro, member)) {
					*role = xstrdup(ro);
					return (int)i;
				}
			}
		}
	}
	return -1;
}

int
engine_respond(const struct actx *a, struct incident *inc, const char *member,
    enum answer ans, int64_t eta_at, const char *note, struct effects *fx,
    char **why)
{
	struct callout	*c;
	char		*role = NULL;
	int		 i;
	char		 ts[40];

	if (inc->state != IS_ACTIVE) {
		*why = xprintf("incident %lld is %s", (long long)inc->id,
		    inc_state_name(inc->state));
		return 409;
	}
	if (member == NULL || roster_member(a->roster, member) == NULL) {
		*why = xstrdup("only roster members answer call-outs (an "
		    "admin answers for someone with --as MEMBER)");
		return 400;
	}
	if ((i = pick_step(a, inc, member, &role)) < 0) {
		*why = xprintf("no staff call-out of incident %lld is for %s",
		    (long long)inc->id, member);
		return 409;
	}
	if ((c = find(inc, i, member)) == NULL) {
		c = add(inc, i, role, member);
		c->called_at = a->now;	/* answered before being called */
	}
	if (c->answer == AN_CALLED)
		eng_timer_clear_key(fx, (struct tkey){ .kind = TK_CALLOUT,
		    .a = xstrdup(c->role), .b = xstrdup(member) }, i);
	c->answer = ans;
	c->eta_at = eta_at;
	c->answered_at = a->now;
	eng_set_str(&c->entered_by, a->member != NULL ? a->actor : NULL);
	c->dirty = 1;
	eng_event(fx, EV_ASSEMBLY_RESPONSE, i, json_pack("{s:s,s:s,s:s,s:s?,"
	    "s:s?,s:s?}", "role", c->role, "member", member, "answer",
	    answer_name(ans), "eta_at", eta_at ? rfc3339_buf(eta_at, ts,
	    sizeof ts) : NULL, "entered_by", c->entered_by, "note", note));
	if (inc->steps[i].state == SS_READY)
		settle(a, inc, i, fx);
	/* Tasks follow answers: "unavailable" moves the member's open steps
	 * at once, other answers spread the waiting ones. */
	eng_answer_moves(a, inc, member, ans, fx);
	free(role);
	return 200;
}

json_t *
engine_assembly_json(const struct incident *inc)
{
	json_t	*out = json_object();
	size_t	 i, k;
	char	 b1[40], b2[40], b3[40];

	if (incident_partial(inc, NULL))
		return out;

	for (i = 0; i < inc->rb->nsteps; i++) {
		const struct rb_step	*rs = &inc->rb->steps[i];
		size_t			 r;

		if (rs->type != ST_ASSEMBLE)
			continue;
		for (r = 0; r < rs->u.assemble.nroles; r++) {
			const char	*role = rs->u.assemble.roles[r].role;
			int		 quota = rs->u.assemble.roles[r].quota;
			struct tally	 t;
			json_t		*ms = json_array();
			int64_t		 quota_at = 0;
			size_t		 listed = 0;

			tally(inc, (int)i, role, &t);
			for (k = 0; k < inc->ncallouts; k++) {
				const struct callout *c = &inc->callouts[k];

				if (c->step != (int)i ||
				    strcmp(c->role, role) != 0)
					continue;
				/* Counts, not rows, beyond the first
				 * SHOW_MEMBERS: show stays small at any size
				 * (keizoku safety --list --step pages them). */
				if (++listed > SHOW_MEMBERS)
					continue;
				json_array_append_new(ms, json_pack("{s:s,s:s,"
				    "s:s?,s:s?,s:s?,s:s?}", "member", c->member,
				    "answer", answer_name(c->answer), "eta_at",
				    c->eta_at ? rfc3339_buf(c->eta_at, b1,
				    sizeof b1) : NULL, "called_at",
				    c->called_at ? rfc3339_buf(c->called_at, b2,
				    sizeof b2) : NULL, "answered_at",
				    c->answered_at ? rfc3339_buf(c->answered_at,
				    b3, sizeof b3) : NULL, "entered_by",
				    c->entered_by));
			}
			if (t.available + t.arrived >= quota)
				quota_at = inc->steps[i].done_at;
			json_object_set_new(out, role, json_pack("{s:s,s:i,s:i,"
			    "s:i,s:i,s:i,s:i,s:o,s:o,s:I,s:b}", "step", rs->id,
			    "required", quota, "available", t.available,
			    "arrived", t.arrived, "unavailable", t.unavailable,
			    "waiting", t.waiting, "no_answer", t.no_answer,
			    "quota_met_at", quota_at ? json_string(rfc3339_buf(
			    quota_at, b1, sizeof b1)) : json_null(), "members",
			    ms, "called", (json_int_t)listed,
			    "members_truncated", listed > SHOW_MEMBERS));
		}
	}
	return out;
}
