/* Covers (one member in another's place for a time) and teams out, as
 * entered by `keizoku rota override`, `drop`, `team out` and `back`
 * (SPEC §16). Rows are never deleted: a dropped cover and a team back
 * keep who ended them and when, for the audit. */
#include "model/rota.h"
#include "store/store-int.h"
#include "store/store.h"

int
store_rota_override_add(struct store *s, const struct rota_override *o,
    const char *by, int64_t at, int64_t *id)
{
	json_t	*p;

	p = json_pack("[s,s,s,I,I,s?,s,I]", o->rota, o->member, o->replaces,
	    (json_int_t)o->from, (json_int_t)o->until, o->note, by,
	    (json_int_t)at);
	*id = store_insert(s, "INSERT INTO rota_overrides(rota, member, "
	    "replaces, from_at, until_at, note, created_by, created_at) VALUES "
	    "($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id", p);
	json_decref(p);
	return *id == -1 ? -1 : 0;
}

int
store_rota_override_drop(struct store *s, int64_t id, const char *by,
    int64_t at)
{
	return sexec(s, "UPDATE rota_overrides SET dropped_at = $1, "
	    "dropped_by = $2 WHERE id = $3", json_pack("[I,s,I]",
	    (json_int_t)at, by, (json_int_t)id));
}

int
store_team_out_add(struct store *s, const struct team_out *t, int64_t at)
{
	return sexec(s, "INSERT INTO team_outs(team, from_at, until_at, note, "
	    "created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
	    json_pack("[s,I,I,s,s,I]", t->team, (json_int_t)t->from,
	    (json_int_t)t->until, t->note, t->by, (json_int_t)at));
}

int
store_team_back(struct store *s, const char *team, const char *by,
    int64_t at)
{
	return sexec(s, "UPDATE team_outs SET until_at = $1, back_at = $1, "
	    "back_by = $2 WHERE team = $3 AND from_at <= $4 AND until_at > $4",
	    json_pack("[I,s,s,I]", (json_int_t)at, by, team, (json_int_t)at));
}
