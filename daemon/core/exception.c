/* The exceptions table (exception.h). An exception measure outlives its
 * incident, so it has a table of its own; its reminders are timers of
 * its incident on step "exception:ID" (engine/tkey.h). */
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/daemon.h"
#include "core/exception.h"
#include "engine/engine.h"
#include "store/store.h"

static json_t *
exc_row(struct kz_daemon *d, int64_t id, int *status)
{
	json_t *rows, *p, *row;

	rows = store_query(d->store, "SELECT * FROM exceptions WHERE id = $1",
	    p = json_pack("[I]", (json_int_t)id));
	json_decref(p);
	if (rows == NULL) {
		*status = 503;
		return NULL;
	}
	if (json_array_size(rows) != 1) {
		json_decref(rows);
		*status = 404;
		return NULL;
	}
	row = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	*status = 200;
	return row;
}

struct exc *
exc_get(struct kz_daemon *d, int64_t id, int *status)
{
	json_t		*row = exc_row(d, id, status);
	struct exc	*x;
	int		 st;

	if (row == NULL)
		return NULL;
	x = exc_new();
	x->id = jget_int(row, "id");
	x->incident = jget_int(row, "incident");
	x->step = jget_strdup(row, "step");
	x->title = jget_strdup(row, "title");
	x->policy = jget_strdup(row, "policy");
	x->reason = jget_strdup(row, "reason");
	x->state = (st = exc_state_parse(jget_str(row, "state"))) >= 0 ? st :
	    EXS_REJECTED;
	x->requested_by = jget_strdup(row, "requested_by");
	x->requested_actor = jget_strdup(row, "requested_actor");
	x->requested_at = jget_int(row, "requested_at");
	x->approved_by = jget_strdup(row, "approved_by");
	x->approved_at = jget_int(row, "approved_at");
	x->revert_by_at = jget_int(row, "revert_by_at");
	x->resolved_by = jget_strdup(row, "resolved_by");
	x->resolved_at = jget_int(row, "resolved_at");
	x->note = jget_strdup(row, "note");
	x->decision_note = jget_strdup(row, "decision_note");
	x->drill = jget_int(row, "drill") != 0;
	json_decref(row);
	return x;
}

int
exc_insert(struct kz_daemon *d, struct exc *x)
{
	json_t	*p;
	int	 rc;

	p = json_pack("[I,s?,s,s?,s?,s,s?,I,o,b,s?]", (json_int_t)x->incident,
	    x->step, x->title != NULL ? x->title : "", x->policy, x->reason,
	    exc_state_name(x->state), x->requested_by,
	    (json_int_t)x->requested_at, jint_or_null(x->revert_by_at),
	    x->drill, x->requested_actor);
	x->id = store_insert(d->store, "INSERT INTO exceptions(incident, step, "
	    "title, policy, reason, state, requested_by, requested_at, "
	    "revert_by_at, drill, requested_actor) VALUES ($1, $2, $3, $4, $5, "
	    "$6, $7, $8, $9, $10, $11) RETURNING id", p);
	json_decref(p);
	rc = x->id == -1 ? -1 : 0;
	return rc;
}

int
exc_update(struct kz_daemon *d, const struct exc *x)
{
	json_t	*p;
	int	 rc;

	p = json_pack("[s,s?,o,s?,o,s?,s?,I]", exc_state_name(x->state),
	    x->approved_by, jint_or_null(x->approved_at), x->resolved_by,
	    jint_or_null(x->resolved_at), x->note, x->decision_note,
	    (json_int_t)x->id);
	rc = store_exec(d->store, "UPDATE exceptions SET state = $1, "
	    "approved_by = $2, approved_at = $3, resolved_by = $4, "
	    "resolved_at = $5, note = $6, decision_note = $7 WHERE id = $8", p);
	json_decref(p);
	return rc;
}

/* A stored row as `exceptions` shows it. */
static json_t *
row_view(json_t *row, int64_t now)
{
	static const char *const times[] = { "requested_at", "approved_at",
	    "revert_by_at", "resolved_at" };
	const char	*state = jget_str(row, "state");
	int64_t		 approved = jget_int(row, "approved_at");
	int64_t		 resolved = jget_int(row, "resolved_at");
	int64_t		 revert = jget_int(row, "revert_by_at");
	json_t		*o = json_deep_copy(row), *in_force = json_null();
	int		 active = state != NULL && strcmp(state, "active") == 0;
	size_t		 i;

	for (i = 0; i < sizeof times / sizeof times[0]; i++)
		json_object_set_new(o, times[i], jtime(jget_int(row,
		    times[i])));
	json_object_set_new(o, "drill", json_boolean(jget_int(row, "drill")));
	/* Each decision's own note: approval (condition) or rejection, and
	 * the disposition's. */
	json_object_set(o, "resolution_note", json_object_get(row, "note") ?
	    json_object_get(row, "note") : json_null());
	if (json_object_get(o, "decision_note") == NULL)
		json_object_set_new(o, "decision_note", json_null());
	/* Who typed a request for someone else is in the event log (actor,
	 * on_behalf); the list keeps its shape. */
	json_object_del(o, "requested_actor");
	/* Who typed a request for someone else is in the event log (actor,
	 * on_behalf); the list keeps its shape. */
	json_object_del(o, "requested_actor");
	/* How long the departure from policy has been (or was) in force. */
	if (active && approved != 0)
		in_force = json_integer((now - approved) / 1000);
	else if (approved != 0 && resolved != 0 && strcmp(state,
	    "rejected") != 0)
		in_force = json_integer((resolved - approved) / 1000);
	json_object_set_new(o, "in_force_s", in_force);
	json_object_set_new(o, "overdue", json_boolean(active && revert != 0 &&
	    now >= revert));
	return o;
}

json_t *
exc_view(struct kz_daemon *d, int64_t id, int64_t now, int *status)
{
	json_t *row = exc_row(d, id, status), *out;

	if (row == NULL)
		return NULL;
	out = row_view(row, now);
	json_decref(row);
	return out;
}

json_t *
kz_exceptions_list(struct kz_daemon *d, int64_t incident, int open,
    int64_t now, int64_t after, int64_t limit)
{
	json_t	*rows, *p;
	size_t	 i;

	/* Oldest first; a page starts past the cursor's place in that
	 * order. */
	rows = store_query(d->store, "SELECT * FROM exceptions WHERE "
	    "($1 = 0 OR incident = $1) AND ($2 = 0 OR state IN ('requested', "
	    "'active')) AND ($3 = 0 OR (requested_at, id) > (SELECT "
	    "requested_at, id FROM exceptions WHERE id = $3)) ORDER BY "
	    "requested_at, id LIMIT $4", p = json_pack("[I,b,I,I]",
	    (json_int_t)incident, open, (json_int_t)after, (json_int_t)limit));
	json_decref(p);
	if (rows == NULL)
		return NULL;
	for (i = 0; i < json_array_size(rows); i++)
		json_array_set_new(rows, i, row_view(json_array_get(rows, i),
		    now));
	return rows;
}

int
exc_open_ids(struct kz_daemon *d, int64_t incident, int64_t **ids,
    size_t *n)
{
	json_t	*rows, *p, *row;
	size_t	 i;

	rows = store_query(d->store, "SELECT id FROM exceptions WHERE "
	    "incident = $1 AND state IN ('requested', 'active') ORDER BY id",
	    p = json_pack("[I]", (json_int_t)incident));
	json_decref(p);
	if (rows == NULL)
		return -1;
	*n = json_array_size(rows);
	*ids = xcalloc(*n + 1, sizeof **ids);
	json_array_foreach(rows, i, row)
		(*ids)[i] = jget_int(row, "id");
	json_decref(rows);
	return 0;
}
