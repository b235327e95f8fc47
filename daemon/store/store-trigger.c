/* Triggers taken in: one row of the triggers table per trigger and
 * runbook, matched or not, and the rows of a webhook delivery by its id.
 *
 * A delivery's rows are written as id + DELIVERY_SEP + n, so that the
 * unique index (source, idem) holds; when the last slice of a delivery
 * is taken in, its first row is renamed to the bare id: a delivery is a
 * replay only once it was taken in whole (one cut short by a crash is
 * taken in again, its rows numbered on). The rows of an id are one range
 * of the index: [id, id + DELIVERY_END). */
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/xmalloc.h"
#include "store/store-int.h"
#include "store/store.h"

#define DELIVERY_SEP	"\x1f"
#define DELIVERY_END	"\x20"

int
store_trigger_record(struct store *s, const struct trigger_row *t)
{
	json_t	*idem = json_null();

	if (t->delivery != NULL)
		idem = json_sprintf("%s" DELIVERY_SEP "%zu", t->delivery,
		    t->delivery_row);
	return sexec(s, "INSERT INTO triggers(source, received_at, key, "
	    "status, incident, drill, doc, idem, maintenance) VALUES ($1, $2, "
	    "$3, $4, $5, $6, $7, $8, $9)", json_pack("[s,I,s,s,o,b,o,o,o]",
	    t->source, (json_int_t)t->received_at, t->key, t->status,
	    t->incident > 0 ? json_integer(t->incident) : json_null(),
	    t->drill, t->doc_text != NULL ? json_stringn_nocheck(t->doc_text,
	    strlen(t->doc_text)) : json_incref(t->doc), idem,
	    t->maintenance > 0 ?
	    json_integer(t->maintenance) : json_null()));
}

int
store_trigger_last(struct store *s, const char *source,
    struct trigger_last *t)
{
	json_t	*rows, *r;

	rows = squery(s, "SELECT received_at, status, incident FROM triggers "
	    "WHERE source = $1 ORDER BY id DESC LIMIT 1", json_pack("[s]",
	    source));
	if (rows == NULL)
		return -1;
	if ((r = json_array_get(rows, 0)) == NULL) {
		json_decref(rows);
		return 0;
	}
	t->received_at = jget_int(r, "received_at");
	t->status = jget_strdup(r, "status");
	t->incident = jget_int(r, "incident");
	json_decref(rows);
	return 1;
}

int
store_delivery_done(struct store *s, const char *source,
    const char *delivery)
{
	json_t	*rows;
	int	 done;

	rows = squery(s, "SELECT 1 AS one FROM triggers WHERE source = $1 AND "
	    "idem = $2", json_pack("[s,s]", source, delivery));
	if (rows == NULL)
		return -1;
	done = json_array_size(rows) > 0;
	json_decref(rows);
	return done;
}

/* The rows of a delivery's range of the index, or their count. */
static json_t *
delivery_range(struct store *s, const char *source, const char *delivery,
    int count)
{
	char	*end = xprintf("%s" DELIVERY_END, delivery);
	json_t	*rows;

	rows = squery(s, count ?
	    "SELECT count(*) AS n FROM triggers WHERE source = $1 AND "
	    "idem >= $2 AND idem < $3" :
	    "SELECT incident, idem FROM triggers WHERE source = $1 AND "
	    "idem >= $2 AND idem < $3 ORDER BY id", json_pack("[s,s,s]",
	    source, delivery, end));
	free(end);
	return rows;
}

int64_t
store_delivery_rows(struct store *s, const char *source,
    const char *delivery)
{
	json_t	*rows = delivery_range(s, source, delivery, 1);
	int64_t	 n;

	if (rows == NULL)
		return -1;
	n = jget_int(json_array_get(rows, 0), "n");
	json_decref(rows);
	return n;
}

json_t *
store_delivery_incidents(struct store *s, const char *source,
    const char *delivery)
{
	json_t		*rows, *ids, *row;
	const char	*idem;
	size_t		 i, len = strlen(delivery);

	if ((rows = delivery_range(s, source, delivery, 0)) == NULL)
		return NULL;
	ids = json_array();
	json_array_foreach(rows, i, row) {
		/* Only this id's rows: not another id that merely starts
		 * with it and a control character. */
		idem = jget_str(row, "idem");
		if (idem == NULL || (idem[len] != '\0' &&
		    idem[len] != DELIVERY_SEP[0]))
			continue;
		if (json_is_integer(json_object_get(row, "incident")))
			jarray_add_id(ids, json_integer_value(json_object_get(row,
			    "incident")));
	}
	json_decref(rows);
	return ids;
}

int
store_delivery_complete(struct store *s, const char *source,
    const char *delivery, size_t first)
{
	char	*row = xprintf("%s" DELIVERY_SEP "%zu", delivery, first);
	int	 rc;

	rc = sexec(s, "UPDATE triggers SET idem = $1 WHERE source = $2 AND "
	    "idem = $3", json_pack("[s,s,s]", delivery, source, row));
	free(row);
	return rc;
}
