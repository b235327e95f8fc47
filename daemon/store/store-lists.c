/* What the commands and pages list: rows that go into a reply or a page
 * as they are (the documents of `keizoku drill list`, `notifications`,
 * `show`, the report and the board), and the ids of open incidents the
 * inbox and the board walk through a page at a time. */
#include "common/jsonutil.h"
#include "store/store-int.h"
#include "store/store.h"

json_t *
store_drills(struct store *s)
{
	return squery(s, "SELECT id, runbook, title, state, drill, "
	    "started_at, closed_at, note FROM incidents WHERE drill = 1 ORDER "
	    "BY id", NULL);
}

json_t *
store_notifications_page(struct store *s, int pending, int64_t incident,
    int64_t after, int64_t limit)
{
	return squery(s, "SELECT id, incident, step, channel, event, state, "
	    "attempts, created_at, next_attempt_at, delivered_at, last_error, "
	    "msg_id AS webhook_id, drill, text, recipient AS \"to\" FROM "
	    "notifications WHERE ($1 = 0 OR state = 'pending') AND ($2 = 0 OR "
	    "incident = $3) AND id > $4 ORDER BY id LIMIT $5", json_pack(
	    "[b,I,I,I,I]", pending, (json_int_t)incident, (json_int_t)incident,
	    (json_int_t)after, (json_int_t)limit));
}

json_t *
store_incident_notifications(struct store *s, int64_t incident)
{
	return squery(s, "SELECT id, step, channel, event, state, attempts, "
	    "created_at, delivered_at, last_error, drill FROM notifications "
	    "WHERE incident = $1 ORDER BY id", json_pack("[I]",
	    (json_int_t)incident));
}

json_t *
store_incident_exception_ids(struct store *s, int64_t incident)
{
	json_t	*rows, *ids, *r;
	size_t	 i;

	rows = squery(s, "SELECT id FROM exceptions WHERE incident = $1 ORDER "
	    "BY id", json_pack("[I]", (json_int_t)incident));
	if (rows == NULL)
		return NULL;
	ids = json_array();
	json_array_foreach(rows, i, r)
		json_array_append(ids, json_object_get(r, "id"));
	json_decref(rows);
	return ids;
}

json_t *
store_board_exceptions(struct store *s)
{
	return squery(s, "SELECT id, incident, title, state, revert_by_at, "
	    "requested_by, drill FROM exceptions WHERE state IN ('requested', "
	    "'active') ORDER BY revert_by_at, id", NULL);
}

/* Each row's id into ids. */
static int
ids_of(json_t *rows, int64_t *ids, size_t max, size_t *n)
{
	size_t	i;

	*n = 0;
	if (rows == NULL)
		return -1;
	for (i = 0; i < json_array_size(rows) && i < max; i++)
		ids[(*n)++] = jget_int(json_array_get(rows, i), "id");
	json_decref(rows);
	return 0;
}

int
store_inbox_incidents(struct store *s, int64_t after, int64_t *ids,
    size_t max, size_t *n)
{
	return ids_of(squery(s, "SELECT id FROM incidents WHERE state IN "
	    "('pending', 'active') AND id > $1 ORDER BY id LIMIT $2",
	    json_pack("[I,I]", (json_int_t)after, (json_int_t)max)), ids, max,
	    n);
}

/* One range of the partial index incidents_board per call. */
int
store_board_incidents(struct store *s, int drill, int64_t before,
    int64_t *ids, size_t max, size_t *n)
{
	return ids_of(squery(s, "SELECT id FROM incidents WHERE state IN "
	    "('pending', 'active') AND drill = $1 AND id < $2 ORDER BY id DESC "
	    "LIMIT $3", json_pack("[i,I,I]", drill, (json_int_t)before,
	    (json_int_t)max)), ids, max, n);
}

int64_t
store_open_count(struct store *s)
{
	json_t	*rows;
	int64_t	 n;

	rows = squery(s, "SELECT count(*) AS n FROM incidents WHERE state IN "
	    "('pending', 'active')", NULL);
	if (rows == NULL)
		return -1;
	n = jget_int(json_array_get(rows, 0), "n");
	json_decref(rows);
	return n;
}
