/* Rotas in force (store.h): the covers and teams out the roster's view
 * reads back, and the last turn of each rota handed over. */
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/xmalloc.h"
#include "model/rota.h"
#include "store/store-int.h"
#include "store/store.h"

static void
rota_cover_of(json_t *r, struct rota_override *o)
{
	o->id = jget_int(r, "id");
	o->rota = jget_strdup(r, "rota");
	o->member = jget_strdup(r, "member");
	o->replaces = jget_strdup(r, "replaces");
	o->from = jget_int(r, "from_at");
	o->until = jget_int(r, "until_at");
	o->note = jget_strdup(r, "note");
	o->by = jget_strdup(r, "created_by");
}

static void
rota_out_of(json_t *r, struct team_out *o)
{
	o->team = jget_strdup(r, "team");
	o->from = jget_int(r, "from_at");
	o->until = jget_int(r, "until_at");
	o->note = jget_strdup(r, "note");
	o->by = jget_strdup(r, "created_by");
}

int
store_rota_live(struct store *s, int64_t since, struct rota_state *st)
{
	json_t	*p, *ov, *out;
	size_t	 i;

	memset(st, 0, sizeof *st);
	p = json_pack("[I]", (json_int_t)since);
	ov = store_query(s, "SELECT * FROM rota_overrides WHERE dropped_at IS "
	    "NULL AND until_at > $1 ORDER BY from_at, id", p);
	out = store_query(s, "SELECT * FROM team_outs WHERE until_at > $1 "
	    "ORDER BY from_at, id", p);
	json_decref(p);
	if (ov == NULL || out == NULL) {
		json_decref(ov);
		json_decref(out);
		return -1;
	}
	st->ov = xcalloc(json_array_size(ov) + 1, sizeof *st->ov);
	st->out = xcalloc(json_array_size(out) + 1, sizeof *st->out);
	for (i = 0; i < json_array_size(ov); i++)
		rota_cover_of(json_array_get(ov, i), &st->ov[st->nov++]);
	for (i = 0; i < json_array_size(out); i++)
		rota_out_of(json_array_get(out, i), &st->out[st->nout++]);
	json_decref(ov);
	json_decref(out);
	return 0;
}

int
store_rota_turn(struct store *s, const char *rota, long long *k)
{
	json_t	*rows;
	int	 rc;

	rows = squery(s, "SELECT k FROM rota_turns WHERE rota = $1",
	    json_pack("[s]", rota));
	if (rows == NULL)
		return -1;
	rc = json_array_size(rows) > 0;
	if (rc)
		*k = jget_int(json_array_get(rows, 0), "k");
	json_decref(rows);
	return rc;
}

int
store_rota_turn_set(struct store *s, const char *rota, long long k,
    int64_t at)
{
	return sexec(s, "INSERT INTO rota_turns(rota, k, at) VALUES ($1, $2, "
	    "$3) ON CONFLICT(rota) DO UPDATE SET k = $2, at = $3",
	    json_pack("[s,I,I]", rota, (json_int_t)k, (json_int_t)at));
}
