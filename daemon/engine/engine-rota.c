/* Steps that follow the rota (SPEC §16): when a team goes out, the open
 * steps its members hold through a role move to the first member of the
 * role's call-out order; at a turn boundary, those held by a member of
 * the rota who is no longer on turn move to the first member on turn.
 * Steps handed to a member by name stay. Pure, like the engine. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/engine-int.h"
#include "model/roster.h"
#include "model/rota.h"
#include "common/xmalloc.h"

int
engine_rota_moves(const struct actx *a, struct incident *inc, int handover,
    json_t *moved, struct effects *fx)
{
	const struct roster	*r = a->roster;
	size_t			 i, n;
	int			 count = 0;

	if (inc->state != IS_ACTIVE)
		return 0;
	/* Assemblies call past those out, at once. */
	for (i = 0; i < inc->rb->nsteps; i++)
		if (inc->rb->steps[i].type == ST_ASSEMBLE)
			count += eng_assemble_out(a, inc, (int)i, fx);
	for (i = 0; i < inc->rb->nsteps; i++) {
		const struct rb_step	*rs = &inc->rb->steps[i];
		struct step_st		*s = &inc->steps[i];
		const struct role	*ro;
		const struct rota	*rt;
		const char		*h, *to, **order;
		char			*from;
		int			 out;

		/* Only steps held through a role; one handed to a member by
		 * name stays theirs. */
		if ((s->state != SS_READY && s->state != SS_ACKED) ||
		    s->pinned || rs->assign == NULL ||
		    strncmp(rs->assign, "role:", 5) != 0 ||
		    (ro = roster_role(r, rs->assign + 5)) == NULL ||
		    (h = eng_holder(s)) == NULL)
			continue;
		rt = roster_rota(r, ro->rota);
		out = rota_member_out(r, r->live, h, a->now) != NULL;
		if (!out && (!handover || rt == NULL ||
		    roster_team_of(r, h) == NULL ||
		    rota_on_turn(r, r->live, rt, h, a->now)))
			continue;
		/* Who takes it: the rule's pick; at a handover, someone on
		 * turn (the first of the order) if the pick is not. */
		to = eng_pick(a, inc, (int)i);
		if (!out) {
			order = rota_order(r, r->live, ro, a->now, &n);
			if (to == NULL || !rota_on_turn(r, r->live, rt, to,
			    a->now))
				to = n > 0 && rota_on_turn(r, r->live, rt,
				    order[0], a->now) ? order[0] : NULL;
			free(order);
			if (to == NULL)
				continue;	/* no one on turn: it stays */
		}
		if (to != NULL && strcmp(to, h) == 0)
			continue;
		from = xstrdup(h);
		eng_move(a, inc, (int)i, to, handover && !out ?
		    "rota.handover" : "team.out", fx);
		if (moved != NULL)
			json_array_append_new(moved, json_pack("{s:I,s:s,s:s,"
			    "s:s?}", "incident", (json_int_t)inc->id, "step",
			    rs->id, "from", from, "to", to));
		free(from);
		count++;
	}
	return count;
}
