/* Exception measures (store.h): the exceptions table. A measure outlives
 * its incident, so it has a table of its own. */
#include <stdlib.h>

#include "common/jsonutil.h"
#include "common/xmalloc.h"
#include "engine/engine.h"
#include "store/store-int.h"
#include "store/store.h"

static struct exc *
exc_from_row(json_t *row)
{
	struct exc	*x = exc_new();
	int		 st;

	x->id = jget_int(row, "id");
	x->incident = jget_int(row, "incident");
	x->step = jget_strdup(row, "step");
	x->title = jget_strdup(row, "title");
	x->policy = jget_strdup(row, "policy");
	x->reason = jget_strdup(row, "reason");
	/* A state this version does not know decides nothing. */
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
	return x;
}

/* The rows as measures; -1 when rows is NULL (the query failed). */
static int
exc_from_rows(json_t *rows, struct exc ***v, size_t *n)
{
	size_t i;

	*v = NULL;
	*n = 0;
	if (rows == NULL)
		return -1;
	*n = json_array_size(rows);
	*v = xcalloc(*n + 1, sizeof **v);
	for (i = 0; i < *n; i++)
		(*v)[i] = exc_from_row(json_array_get(rows, i));
	json_decref(rows);
	return 0;
}

struct exc *
store_exception_get(struct store *s, int64_t id, int *status)
{
	json_t		*rows;
	struct exc	*x;

	rows = squery(s, "SELECT * FROM exceptions WHERE id = $1",
	    json_pack("[I]", (json_int_t)id));
	if (rows == NULL) {
		*status = 503;
		return NULL;
	}
	if (json_array_size(rows) != 1) {
		json_decref(rows);
		*status = 404;
		return NULL;
	}
	x = exc_from_row(json_array_get(rows, 0));
	json_decref(rows);
	*status = 200;
	return x;
}

int
store_exception_add(struct store *s, const struct exc *x, int64_t *id)
{
	json_t *p;

	p = json_pack("[I,s?,s,s?,s?,s,s?,I,o,b,s?]", (json_int_t)x->incident,
	    x->step, x->title != NULL ? x->title : "", x->policy, x->reason,
	    exc_state_name(x->state), x->requested_by,
	    (json_int_t)x->requested_at, jint_or_null(x->revert_by_at),
	    x->drill, x->requested_actor);
	*id = store_insert(s, "INSERT INTO exceptions(incident, step, title, "
	    "policy, reason, state, requested_by, requested_at, revert_by_at, "
	    "drill, requested_actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
	    "$9, $10, $11) RETURNING id", p);
	json_decref(p);
	return *id == -1 ? -1 : 0;
}

int
store_exception_save(struct store *s, const struct exc *x)
{
	return sexec(s, "UPDATE exceptions SET state = $1, approved_by = $2, "
	    "approved_at = $3, resolved_by = $4, resolved_at = $5, note = $6, "
	    "decision_note = $7 WHERE id = $8",
	    json_pack("[s,s?,o,s?,o,s?,s?,I]", exc_state_name(x->state),
	    x->approved_by, jint_or_null(x->approved_at), x->resolved_by,
	    jint_or_null(x->resolved_at), x->note, x->decision_note,
	    (json_int_t)x->id));
}

int
store_exceptions_page(struct store *s, int64_t incident, int open,
    int64_t after, int64_t limit, struct exc ***v, size_t *n)
{
	/* Oldest first; a page starts past the cursor's place in that
	 * order. */
	return exc_from_rows(squery(s, "SELECT * FROM exceptions WHERE ($1 = 0 "
	    "OR incident = $1) AND ($2 = 0 OR state IN ('requested', "
	    "'active')) AND ($3 = 0 OR (requested_at, id) > (SELECT "
	    "requested_at, id FROM exceptions WHERE id = $3)) ORDER BY "
	    "requested_at, id LIMIT $4", json_pack("[I,b,I,I]",
	    (json_int_t)incident, open, (json_int_t)after, (json_int_t)limit)),
	    v, n);
}

int
store_exceptions_open(struct store *s, int64_t incident, struct exc ***v,
    size_t *n)
{
	return exc_from_rows(squery(s, "SELECT * FROM exceptions WHERE "
	    "incident = $1 AND state IN ('requested', 'active') ORDER BY id",
	    json_pack("[I]", (json_int_t)incident)), v, n);
}

void
store_exceptions_free(struct exc **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		exc_free(v[i]);
	free(v);
}
