/* The outbox (store.h): the notifications table. A row is written in the
 * transaction of the event it tells of; each delivery attempt is recorded
 * before it goes (sending) and its result after. */
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/xmalloc.h"
#include "store/store-int.h"
#include "store/store.h"

int
store_notification_add(struct store *s, const struct notification_row *n,
    int64_t *id)
{
	json_t *p;

	p = json_pack("[o,s?,s,s,s,s,s,b,I,I,s?,i]", jint_or_null(n->incident),
	    n->step, n->channel, n->event, n->msg_id, n->payload, n->text,
	    n->drill, (json_int_t)n->created, (json_int_t)n->created,
	    n->recipient, n->sending);
	*id = store_insert(s, "INSERT INTO notifications(incident, step, "
	    "channel, event, msg_id, payload, text, drill, state, attempts, "
	    "created_at, next_attempt_at, recipient, sending) VALUES ($1, $2, "
	    "$3, $4, $5, $6, $7, $8, 'pending', 0, $9, $10, $11, $12) "
	    "RETURNING id", p);
	json_decref(p);
	return *id == -1 ? -1 : 0;
}

int64_t
store_notifications_withdraw(struct store *s, int64_t incident, int drill,
    int64_t now)
{
	/* A drill's exception reminders go with it; a real incident's stay:
	 * the measures outlive it. */
	if (sexec(s, "UPDATE notifications SET state = 'cancelled', "
	    "next_attempt_at = $1 WHERE incident = $2 AND state = 'pending' "
	    "AND ($3 = 1 OR event NOT LIKE 'exception.%')", json_pack("[I,I,b]",
	    (json_int_t)now, (json_int_t)incident, drill)) == -1)
		return -1;
	return store_changes(s);
}

int64_t
store_outbox_next(struct store *s, int64_t now)
{
	json_t	*rows;
	int64_t	 at;

	rows = squery(s, "SELECT min(next_attempt_at) AS t FROM notifications "
	    "WHERE state = 'pending' AND next_attempt_at > $1",
	    json_pack("[I]", (json_int_t)now));
	at = jget_int(json_array_get(rows, 0), "t");
	json_decref(rows);
	return at;
}

int
store_outbox_due(struct store *s, const char *channel, int64_t now,
    int64_t after_at, int64_t after_id, size_t limit,
    struct outbox_row **v, size_t *n)
{
	json_t	*rows, *r;
	size_t	 i;

	*v = NULL;
	*n = 0;
	rows = squery(s, "SELECT id, msg_id, payload, next_attempt_at, "
	    "sending, attempts, resend FROM notifications WHERE state = "
	    "'pending' AND channel = $1 AND next_attempt_at <= $2 AND "
	    "(next_attempt_at, id) > ($3, $4) ORDER BY next_attempt_at, id "
	    "LIMIT $5", json_pack("[s,I,I,I,I]", channel, (json_int_t)now,
	    (json_int_t)after_at, (json_int_t)after_id, (json_int_t)limit));
	if (rows == NULL)
		return -1;
	*n = json_array_size(rows);
	*v = xcalloc(*n + 1, sizeof **v);
	json_array_foreach(rows, i, r) {
		(*v)[i].id = jget_int(r, "id");
		(*v)[i].due = jget_int(r, "next_attempt_at");
		(*v)[i].attempts = jget_int(r, "attempts");
		(*v)[i].sending = jget_int(r, "sending");
		(*v)[i].resend = jget_int(r, "resend") != 0;
		(*v)[i].msg_id = xstrdup(jget_str(r, "msg_id") ?: "");
		(*v)[i].payload = xstrdup(jget_str(r, "payload") ?: "");
	}
	json_decref(rows);
	return 0;
}

void
store_outbox_rows_free(struct outbox_row *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].msg_id);
		free(v[i].payload);
	}
	free(v);
}

int
store_notification_age(struct store *s, int64_t id, int64_t *attempts,
    int64_t *created)
{
	json_t	*rows, *r;
	int	 rc;

	rows = squery(s, "SELECT attempts, created_at FROM notifications "
	    "WHERE id = $1", json_pack("[I]", (json_int_t)id));
	if (rows == NULL)
		return -1;
	if ((rc = json_array_size(rows) == 1)) {
		r = json_array_get(rows, 0);
		*attempts = jget_int(r, "attempts");
		*created = jget_int(r, "created_at");
	}
	json_decref(rows);
	return rc;
}

int
store_notification_result(struct store *s, int64_t id, const char *state,
    int attempts, int64_t next, const char *error, int64_t delivered_at)
{
	/* A row withdrawn while its attempt was in flight stays
	 * cancelled. */
	return sexec(s, "UPDATE notifications SET state = $1, attempts = $2, "
	    "next_attempt_at = $3, last_error = coalesce($4, last_error), "
	    "delivered_at = $5 WHERE id = $6 AND state = 'pending'",
	    json_pack("[s,i,I,s?,o,I]", state, attempts, (json_int_t)next,
	    error, jint_or_null(delivered_at), (json_int_t)id));
}

int
store_notification_delivered(struct store *s, int64_t id, int64_t at)
{
	return sexec(s, "UPDATE notifications SET state = 'delivered', "
	    "attempts = attempts + 1, delivered_at = $1, next_attempt_at = $1 "
	    "WHERE id = $2", json_pack("[I,I]", (json_int_t)at,
	    (json_int_t)id));
}

int
store_notification_sending(struct store *s, int64_t id)
{
	/* A row whose earlier recorded attempt has no result becomes a
	 * resend. */
	return sexec(s, "UPDATE notifications SET resend = CASE WHEN resend "
	    "<> 0 OR sending > attempts THEN 1 ELSE 0 END, sending = attempts "
	    "+ 1 WHERE id = $1", json_pack("[I]", (json_int_t)id));
}

int
store_notification_unsend(struct store *s, int64_t id)
{
	return sexec(s, "UPDATE notifications SET sending = attempts WHERE "
	    "id = $1", json_pack("[I]", (json_int_t)id));
}
