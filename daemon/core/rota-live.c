/* Rotas in the daemon (SPEC §16): the covers and teams out in force, read
 * from the store into the roster's view (roster->live) after every
 * change; one durable timer per rota at its next turn boundary, which
 * hands the open work over and tells each member their turn began. The
 * rota_turns table remembers the last turn handled, in the same
 * transaction as the handover, so a boundary is handled once, also when
 * it passed while keizokud was down or it was killed at the boundary. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/apply.h"
#include "core/batch.h"
#include "core/daemon.h"
#include "core/notify.h"
#include "core/rota-live.h"
#include "engine/engine.h"
#include "model/roster.h"
#include "model/rota.h"
#include "store/store.h"

/* Covers and outs older than this are history: not read back. */
#define ROTA_KEEP_MS	(90LL * 86400 * 1000)

static int64_t
jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

int
kz_rota_load(struct kz_daemon *d)
{
	struct rota_state st;

	if (store_rota_live(d->store, clock_now() - ROTA_KEEP_MS, &st) == -1)
		return -1;
	if (d->rota == NULL)
		d->rota = xcalloc(1, sizeof *d->rota);
	/* The kept call-out orders point into the state replaced. */
	rota_order_memo_clear(d->roster);
	rota_state_free(d->rota);
	*d->rota = st;
	if (d->roster != NULL)
		d->roster->live = d->rota;
	return 0;
}

void
kz_rota_free(struct kz_daemon *d)
{
	if (d->rota != NULL)
		rota_state_free(d->rota);
	free(d->rota);
	d->rota = NULL;
}

static int
arm_one(struct kz_daemon *d, const struct rota *rt, long long k)
{
	return store_timer_set(d->store, 0, rt->id, ROTA_TURN_TIMER,
	    rota_boundary(d->roster, rt, k + 1), NULL);
}

void
kz_rota_arm(struct kz_daemon *d)
{
	int64_t	now = clock_now();
	size_t	i;
	int	rc = 0, own, have;

	own = !store_in_op(d->store);
	if (own && kz_op_begin(d) == -1)
		return;
	if (kz_rota_load(d) == -1)
		rc = -1;
	for (i = 0; rc == 0 && d->roster != NULL && i < d->roster->nrotas;
	    i++) {
		const struct rota	*rt = &d->roster->rotas[i];
		struct rota_turn	 tu;
		long long		 k = -1;

		if ((have = store_rota_turn(d->store, rt->id, &k)) == -1) {
			rc = -1;
			break;
		}
		if (have == 0) {
			/* A rota seen for the first time: its current turn
			 * began before us; the next boundary is handed over. */
			rota_turn_at(d->roster, rt, now, &tu);
			k = tu.k;
			rc = store_rota_turn_set(d->store, rt->id, k, now);
		}
		if (rc == 0)
			rc = arm_one(d, rt, k);
	}
	if (rc == -1)
		log_warnx("rotas: cannot arm turn timers: %s",
		    store_errmsg(d->store));
	if (own)
		kz_op_end(d, rc == 0, NULL, NULL);
}

static void
time_local(struct kz_daemon *d, int64_t t, char *buf, size_t len)
{
	int64_t	l = t + tz_offset(d->roster->timezone, t);

	rfc3339_buf(l, buf, len);
	/* "2026-12-14T09:00:00Z" -> "2026-12-14 09:00" */
	if (strlen(buf) >= 16) {
		buf[10] = ' ';
		buf[16] = '\0';
	}
}

static const char *
team_title(const struct roster *r, const char *id)
{
	const struct team *t = roster_team(r, id);

	return t != NULL && t->title != NULL ? t->title : id;
}

/* What an incoming member needs to know of one open incident. */
static void
summary_of(struct kz_daemon *d, struct incident *inc, struct buf *b)
{
	struct exc	**xv;
	json_t		 *v;
	const char	 *sys;
	char		  t1[40];
	size_t		  i, nx;
	int		  any = 0;

	buf_printf(b, "#%lld %s\n", (long long)inc->id, inc->title ?
	    inc->title : inc->rb->id);
	for (i = 0; i < inc->rb->nsteps; i++) {
		const struct step_st *s = &inc->steps[i];

		if (s->state != SS_READY && s->state != SS_ACKED &&
		    s->state != SS_RUNNING)
			continue;
		if (!any++)
			buf_adds(b, " 未完了の作業:\n");
		buf_printf(b, "  - %s（担当 %s", inc->rb->steps[i].title ?
		    inc->rb->steps[i].title : inc->rb->steps[i].id,
		    s->acked_by ? s->acked_by : s->assignee ? s->assignee :
		    "なし");
		if (s->deadline_at > 0) {
			time_local(d, s->deadline_at, t1, sizeof t1);
			buf_printf(b, "、期限 %s", t1);
		}
		buf_adds(b, "）\n");
	}
	for (i = 0, any = 0; i < inc->ncallouts; i++) {
		const struct callout *c = &inc->callouts[i];

		if (c->answer != AN_CALLED)
			continue;
		if (!any++)
			buf_adds(b, " 回答待ちの呼出し:\n");
		buf_printf(b, "  - %s（%s）\n", c->member, c->role);
	}
	if (store_exceptions_open(d->store, inc->id, &xv, &nx) == -1)
		nx = 0;	/* the summary goes without them */
	for (i = 0; i < nx; i++) {
		if (i == 0)
			buf_adds(b, " 未解消の例外措置:\n");
		buf_printf(b, "  - %lld %s", (long long)xv[i]->id,
		    xv[i]->title ? xv[i]->title : "");
		if (xv[i]->revert_by_at > 0) {
			time_local(d, xv[i]->revert_by_at, t1, sizeof t1);
			buf_printf(b, "（復帰期限 %s）", t1);
		}
		buf_adds(b, "\n");
	}
	store_exceptions_free(xv, nx);
	any = 0;
	json_object_foreach(inc->systems, sys, v) {
		int64_t dl = jint(v, "deadline_at");

		if (jint(v, "recovered_at") > 0 || dl <= 0)
			continue;
		if (!any++)
			buf_adds(b, " RTO:\n");
		time_local(d, dl, t1, sizeof t1);
		buf_printf(b, "  - %s 期限 %s\n", sys, t1);
	}
}

/* The boundary of a turn: moves the open work and tells the members. */
static int
turn_started(struct kz_daemon *d, const struct rota *rt,
    const struct rota_turn *tu, int64_t now)
{
	const struct roster	*r = d->roster;
	struct buf		 text = { 0 };
	json_t			*ids, *data, *moved = json_array();
	char			 ul[40];
	size_t			 i;
	int			 rc = 0, open = 0;

	time_local(d, tu->until, ul, sizeof ul);
	data = json_pack("{s:s,s:s,s:s,s:s,s:I,s:o,s:o,s:s}", "rota", rt->id,
	    "rota_title", rt->title ? rt->title : rt->id, "team", tu->team,
	    "team_title", team_title(r, tu->team), "k", (json_int_t)tu->k,
	    "since", jtime(tu->since), "until", jtime(tu->until),
	    "until_local", ul);
	rc = store_event(d->store, 0, now, "keizokud", NULL,
	    event_name(EV_ROTA_TURN_STARTED), NULL, data);
	/* Handover: the open incidents' steps move, each is summarised. */
	ids = store_open_incidents(d->store);
	if (ids == NULL)
		rc = -1;
	for (i = 0; rc == 0 && i < json_array_size(ids); i++) {
		struct incident	*inc;
		struct effects	 fx = { 0 };
		struct actx	 a;
		json_t		*m = json_array();
		int		 status;

		inc = kz_incident_load(d, jint(json_array_get(ids, i), "id"),
		    &status);
		if (inc == NULL) {
			json_decref(m);
			rc = status == 404 ? 0 : -1;
			continue;
		}
		if (inc->state == IS_ACTIVE) {
			memset(&a, 0, sizeof a);
			a.roster = r;
			a.now = now;
			a.actor = "keizokud";
			engine_rota_moves(&a, inc, 1, m, &fx);
			if (kz_apply(d, &a, inc, &fx) == -1)
				rc = -1;
			else {
				json_t *ev = json_pack("{s:s,s:s,s:O}", "rota",
				    rt->id, "team", tu->team, "moved", m);

				rc = store_event(d->store, inc->id, now,
				    "keizokud", NULL, event_name(EV_ROTA_HANDOVER), NULL,
				    ev);
				json_decref(ev);
			}
			json_array_extend(moved, m);
			summary_of(d, inc, &text);
			open++;
		}
		effects_free(&fx);
		json_decref(m);
		incident_free(inc);
	}
	json_decref(ids);
	json_object_set_new(data, "text", json_string(text.len > 0 ? text.s :
	    ""));
	json_object_set(data, "moved", moved);
	/* Each member on turn now: their turn began; with work open, their
	 * handover message. */
	for (i = 0; rc == 0 && i < r->nmembers; i++) {
		const char *m = r->members[i].id;

		if (!rota_on_turn(r, r->live, rt, m, now))
			continue;
		rc = notify_system_to(d, EV_ROTA_TURN_STARTED, m, data);
		if (rc == 0 && open > 0)
			rc = notify_system_to(d, EV_ROTA_HANDOVER, m, data);
	}
	if (rc == 0)
		log_info("rota %s: turn %lld, team %s on until %s; %d open "
		    "incident(s), %zu step(s) moved", rt->id, tu->k, tu->team,
		    ul, open, json_array_size(moved));
	free(text.s);
	json_decref(moved);
	json_decref(data);
	return rc;
}

int
kz_rota_turn(struct kz_daemon *d, const char *rota, int64_t now)
{
	const struct rota	*rt = roster_rota(d->roster, rota);
	struct rota_turn	 tu;
	long long		 k = -1;
	int			 have;

	if (rt == NULL)
		return 0;	/* gone from the roster: its timer with it */
	if ((have = store_rota_turn(d->store, rt->id, &k)) == -1)
		return -1;
	rota_turn_at(d->roster, rt, now, &tu);
	/* Boundaries passed while down are handed over once: the turn
	 * now in force is the one that matters. */
	if (tu.team != NULL && (have == 0 || tu.k > k)) {
		if (store_rota_turn_set(d->store, rt->id, tu.k, now) == -1 ||
		    turn_started(d, rt, &tu, now) == -1)
			return -1;
		k = tu.k;
	}
	return arm_one(d, rt, k > tu.k ? k : tu.k);
}

int
kz_rota_moves(struct kz_daemon *d, const char *actor, json_t *moved)
{
	json_t	*ids = store_open_incidents(d->store);
	size_t	 i;
	int	 rc = 0;

	if (ids == NULL)
		return -1;
	for (i = 0; rc == 0 && i < json_array_size(ids); i++) {
		struct incident	*inc;
		struct effects	 fx = { 0 };
		struct actx	 a;
		int		 status;

		inc = kz_incident_load(d, jint(json_array_get(ids, i), "id"),
		    &status);
		if (inc == NULL) {
			rc = status == 404 ? 0 : -1;
			continue;
		}
		memset(&a, 0, sizeof a);
		a.roster = d->roster;
		a.now = clock_now();
		a.actor = actor;
		if (engine_rota_moves(&a, inc, 0, moved, &fx) > 0 &&
		    kz_apply(d, &a, inc, &fx) == -1)
			rc = -1;
		effects_free(&fx);
		incident_free(inc);
	}
	json_decref(ids);
	return rc;
}
