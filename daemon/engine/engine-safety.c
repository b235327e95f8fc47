/* Safety confirmation (安否確認, SPEC §18): a safety step asks every
 * member of its roles at once (or those whose area was shaken enough),
 * in batches of ENGINE_FANOUT_BATCH from a "fanout" timer; reminds those
 * not heard from every `remind`, at most `max_reminders` times; is done
 * when `done_at` of those asked have answered. The members' rows live in
 * the safety table, outside the incident: the engine keeps counts on the
 * step (asked, answered, a cursor, reminder rounds) and says with
 * EF_SAFETY effects which rows to write. Pure. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine-int.h"
#include "model/roster.h"
#include "model/safety.h"
#include "common/xmalloc.h"

static const char *const statuses[] = { "safe", "injured", "unsafe", NULL };

int
safety_status_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && statuses[i] != NULL; i++)
		if (strcmp(statuses[i], s) == 0)
			return i;
	return -1;
}

static json_t *
counts(const struct incident *inc, int i)
{
	const struct step_st *s = &inc->steps[i];

	return json_pack("{s:s,s:s,s:i,s:i}", "step", inc->rb->steps[i].id,
	    "title", inc->rb->steps[i].title, "asked", s->asked, "answered",
	    s->answered);
}

/* Done at done_at, once everyone was asked. */
static void
check_done(const struct actx *a, struct incident *inc, int i,
    struct effects *fx)
{
	struct step_st	*s = &inc->steps[i];
	int		 pct = inc->rb->steps[i].u.safety.done_pct;

	if (s->state != SS_READY || (s->rounds == 0 && s->cursor < s->asked))
		return;
	if (pct <= 0)
		pct = 100;
	if ((int64_t)s->answered * 100 < (int64_t)pct * s->asked)
		return;
	eng_finish(a, inc, i, SS_DONE, "keizokud", "answers in", fx);
	eng_event(fx, EV_SAFETY_COMPLETE, i, counts(inc, i));
	eng_event(fx, EV_STEP_DONE, i, json_pack("{s:s}", "reason",
	    "answered"));
	eng_emit(fx, EF_SAFETY, i, json_pack("{s:s}", "reason",
	    "done"))->op = SFO_SUMMARY;
	eng_advance(a, inc, fx);
}

/* The next batch of the round under way (asking, or reminding). */
static void
more(const struct actx *a, struct incident *inc, int i, struct effects *fx)
{
	struct step_st		*s = &inc->steps[i];
	const char *const	*m;
	const char		*why;
	size_t			 n, k, end;

	if (s->cursor >= s->asked)
		return;
	/* The roster's list (made once), of which this batch is a slice. */
	m = safety_members_memo(a->roster, inc->rb->steps[i].u.safety.roles,
	    inc->rb->steps[i].u.safety.min_scale, inc->trigger, &n, &why);
	end = (size_t)s->cursor + ENGINE_FANOUT_BATCH;
	if (end > n)
		end = n;
	for (k = (size_t)s->cursor; k < end; k++)
		eng_emit(fx, EF_SAFETY, i, json_pack("{s:s,s:i}", "member",
		    m[k], "round", s->rounds))->op = s->rounds == 0 ?
		    SFO_ASK : SFO_REMIND;
	/* The roster may have changed since the round began: what is
	 * beyond its end now is done. */
	s->cursor = end < n ? (int)end : s->asked;
	s->dirty = 1;
	if (s->cursor < s->asked)
		eng_timer_set(fx, TK_FANOUT, i, a->now);
	else if (s->rounds == 0)
		check_done(a, inc, i, fx);
}

void
eng_safety_start(const struct actx *a, struct incident *inc, int i,
    struct effects *fx)
{
	const struct rb_step	*rs = &inc->rb->steps[i];
	struct step_st		*s = &inc->steps[i];
	const char		**m, *why;
	size_t			 n;
	int64_t			 remind = rs->u.safety.remind_s * 1000;
	json_t			*d;

	m = safety_members(a->roster, rs->u.safety.roles,
	    rs->u.safety.min_scale, inc->trigger, &n, &why);
	free(m);
	s->asked = (int)n;
	s->answered = 0;
	s->cursor = 0;
	s->rounds = 0;
	s->dirty = 1;
	d = counts(inc, i);
	if (rs->u.safety.areas != NULL) {
		json_object_set(d, "areas", rs->u.safety.areas);
		if (why != NULL)
			json_object_set_new(d, "everyone", json_string(why));
	}
	eng_event(fx, EV_SAFETY_ASKED, i, d);
	if (remind > 0 && rs->u.safety.max_reminders > 0)
		eng_timer_set(fx, TK_SREMIND, i, a->now + remind);
	if (n == 0) {
		check_done(a, inc, i, fx);
		return;
	}
	more(a, inc, i, fx);
}

void
eng_safety_timer(const struct actx *a, struct incident *inc, int i,
    enum tk_kind kind, struct effects *fx)
{
	const struct rb_step	*rs = &inc->rb->steps[i];
	struct step_st		*s = &inc->steps[i];
	int64_t			 remind = rs->u.safety.remind_s * 1000;

	if (kind == TK_FANOUT) {
		if (s->state == SS_READY || s->rounds == 0)
			more(a, inc, i, fx);
		return;
	}
	if (kind != TK_SREMIND || s->state != SS_READY)
		return;
	if (s->cursor < s->asked) {
		/* Still asking (or reminding): the next round later. */
		eng_timer_set(fx, TK_SREMIND, i, a->now + remind);
		return;
	}
	s->rounds++;
	s->cursor = 0;
	s->dirty = 1;
	eng_event(fx, EV_SAFETY_REMINDED, i, json_pack("{s:i,s:i,s:i}",
	    "round", s->rounds, "asked", s->asked, "not_heard",
	    s->asked - s->answered));
	if (s->rounds < rs->u.safety.max_reminders)
		eng_timer_set(fx, TK_SREMIND, i, a->now + remind);
	more(a, inc, i, fx);
}

int
engine_safety_answer(const struct actx *a, struct incident *inc,
    const char *member, const int *heard, const char *status, int can_come,
    int64_t eta_s, const char *note, struct effects *fx, char **why)
{
	size_t	i, pick = inc->rb->nsteps;

	if (inc->state != IS_ACTIVE) {
		*why = xprintf("incident %lld is %s: safety answers are no "
		    "longer taken", (long long)inc->id,
		    inc_state_name(inc->state));
		return 409;
	}
	if (safety_status_parse(status) < 0) {
		*why = xprintf("unknown status \"%s\" (safe, injured or "
		    "unsafe)", status ? status : "");
		return 400;
	}
	if (member == NULL || roster_member(a->roster, member) == NULL) {
		*why = xstrdup("only roster members answer a safety check (an "
		    "admin answers for someone with --as MEMBER)");
		return 400;
	}
	/* The step under way where the member was asked, else the last
	 * one that asked them. */
	for (i = 0; i < inc->rb->nsteps; i++) {
		if (inc->rb->steps[i].type != ST_SAFETY || heard[i] == 0)
			continue;
		if (pick == inc->rb->nsteps ||
		    inc->steps[i].state == SS_READY)
			pick = i;
	}
	if (pick == inc->rb->nsteps) {
		*why = xprintf("no safety check of incident %lld asked %s",
		    (long long)inc->id, member);
		return 409;
	}
	if (heard[pick] == 1) {
		inc->steps[pick].answered++;
		inc->steps[pick].dirty = 1;
	}
	eng_emit(fx, EF_SAFETY, (int)pick, json_pack("{s:s,s:s,s:o,s:o,s:s?,"
	    "s:s?}", "member", member, "status", status, "can_come",
	    can_come < 0 ? json_null() : json_boolean(can_come), "eta_s",
	    eta_s > 0 ? json_integer(eta_s) : json_null(), "note", note,
	    "entered_by", a->member != NULL ? a->actor : NULL))->op =
	    SFO_ANSWER;
	eng_event(fx, EV_SAFETY_ANSWERED, (int)pick, json_pack("{s:s,s:s,"
	    "s:o,s:o,s:s?,s:b}", "member", member, "status", status,
	    "can_come", can_come < 0 ? json_null() : json_boolean(can_come),
	    "eta_s", eta_s > 0 ? json_integer(eta_s) : json_null(), "note",
	    note, "first", heard[pick] == 1));
	check_done(a, inc, (int)pick, fx);
	return 200;
}

/* At the step's timeout: the owner gets who was not heard from. */
void
eng_safety_timeout(const struct actx *a, struct incident *inc, int i,
    struct effects *fx)
{
	eng_emit(fx, EF_SAFETY, i, json_pack("{s:s}", "reason",
	    "timeout"))->op = SFO_SUMMARY;
}
