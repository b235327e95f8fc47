/* The outbox (store.h): the notifications table. A row is written in the
 * transaction of the event it tells of; each delivery attempt is recorded
 * before it goes (sending) and its result after. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "store/store-int.h"
#include "store/store.h"

int
store_notification_add(struct store *s, const struct notification_row *n,
    int64_t *id)
{
	json_t *p;

	/* The payload and the text are keizoku's own renderings (valid
	 * UTF-8, often a kilobyte): taken as they are, not checked and
	 * copied again. */
	p = json_pack("[o,s?,s,s,s,o,o?,b,I,I,s?,i]", jint_or_null(n->incident),
	    n->step, n->channel, n->event, n->msg_id,
	    json_stringn_nocheck(n->payload, strlen(n->payload)),
	    n->text != NULL ? json_stringn_nocheck(n->text, strlen(n->text)) :
	    NULL, n->drill, (json_int_t)n->created, (json_int_t)n->created,
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

/* store_each's rows of store_outbox_due, as text. */
struct so_due {
	struct outbox_row	*v;
	size_t			 n, size;
};

static int64_t
so_int(const char *s)
{
	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

static int
so_due_row(void *arg, int ncol, const char *const *col)
{
	struct so_due		*d = arg;
	struct outbox_row	*r;

	if (ncol != 7)
		return -1;
	if (d->n == d->size) {
		d->size = d->size == 0 ? 64 : d->size * 2;
		d->v = xreallocarray(d->v, d->size + 1, sizeof *d->v);
	}
	r = &d->v[d->n++];
	memset(r, 0, sizeof *r);
	r->id = so_int(col[0]);
	r->msg_id = xstrdup(col[1] != NULL ? col[1] : "");
	r->payload = xstrdup(col[2] != NULL ? col[2] : "");
	r->due = so_int(col[3]);
	r->sending = so_int(col[4]);
	r->attempts = so_int(col[5]);
	r->resend = so_int(col[6]) != 0;
	return 0;
}

int
store_outbox_due(struct store *s, const char *channel, int64_t now,
    int64_t after_at, int64_t after_id, size_t limit,
    struct outbox_row **v, size_t *n)
{
	struct so_due	 d = { NULL, 0, 0 };
	json_t		*p;
	int		 rc;

	*v = NULL;
	*n = 0;
	/* Rows as text, no JSON object a row: this read runs for every
	 * OB_PREFETCH / 2 deliveries. */
	p = json_pack("[s,I,I,I,I]", channel, (json_int_t)now,
	    (json_int_t)after_at, (json_int_t)after_id, (json_int_t)limit);
	rc = store_each(s, "SELECT id, msg_id, payload, next_attempt_at, "
	    "sending, attempts, resend FROM notifications WHERE state = "
	    "'pending' AND channel = $1 AND next_attempt_at <= $2 AND "
	    "(next_attempt_at, id) > ($3, $4) ORDER BY next_attempt_at, id "
	    "LIMIT $5", p, so_due_row, &d);
	json_decref(p);
	if (rc == -1) {
		store_outbox_rows_free(d.v, d.n);
		return -1;
	}
	*v = d.v != NULL ? d.v : xcalloc(1, sizeof **v);
	*n = d.n;
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
store_notification_unsend(struct store *s, int64_t id)
{
	return sexec(s, "UPDATE notifications SET sending = attempts WHERE "
	    "id = $1", json_pack("[I]", (json_int_t)id));
}

/*
 * Many rows in one statement: the ids in an IN list of one of a few
 * fixed sizes (each a statement prepared once), the last list filled up
 * by repeating its last id (a row is updated once however often its id
 * is listed). Portable: the same SQL on SQLite and PostgreSQL.
 */
static const size_t so_sizes[] = { 1, 4, 16, 64 };
#define SO_NSIZES	(sizeof so_sizes / sizeof so_sizes[0])
#define SO_MAX		64

/* The delivered rows: ($1 id, $2 its time), ... joined as a list of
 * values (UPDATE ... FROM: a lookup per row, not a CASE of every id). */
static char	so_delivered_sql[SO_NSIZES][256 + SO_MAX * 48];
/* The attempts about to be made ($1..$n). */
static char	so_sending_sql[SO_NSIZES][160 + SO_MAX * 8];

static void
so_add(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
so_add(char *buf, size_t size, const char *fmt, ...)
{
	size_t	len = strlen(buf);
	va_list	ap;

	va_start(ap, fmt);
	if ((size_t)vsnprintf(buf + len, size - len, fmt, ap) >= size - len)
		fatalx("store: a statement too long for its buffer");
	va_end(ap);
}

static void
so_build(void)
{
	static int	 built;
	size_t		 i, j, k;
	char		*b;

	if (built)
		return;
	built = 1;
	for (i = 0; i < SO_NSIZES; i++) {
		b = so_delivered_sql[i];
		so_add(b, sizeof so_delivered_sql[i], "UPDATE notifications "
		    "SET state = 'delivered', attempts = attempts + 1, "
		    "delivered_at = v.column2, next_attempt_at = v.column2 "
		    "FROM (VALUES ");
		for (j = 0; j < so_sizes[i]; j++)
			so_add(b, sizeof so_delivered_sql[i], "%s(CAST($%zu AS "
			    "BIGINT), CAST($%zu AS BIGINT))", j > 0 ? ", " : "",
			    2 * j + 1, 2 * j + 2);
		so_add(b, sizeof so_delivered_sql[i], ") AS v WHERE "
		    "notifications.id = v.column1");

		/* A row whose earlier recorded attempt has no result
		 * becomes a resend. */
		b = so_sending_sql[i];
		so_add(b, sizeof so_sending_sql[i], "UPDATE notifications SET "
		    "resend = CASE WHEN resend <> 0 OR sending > attempts "
		    "THEN 1 ELSE 0 END, sending = attempts + 1 WHERE id IN (");
		for (k = 0; k < so_sizes[i]; k++)
			so_add(b, sizeof so_sending_sql[i], "%s$%zu", k > 0 ?
			    ", " : "", k + 1);
		so_add(b, sizeof so_sending_sql[i], ")");
	}
}

/* The size of list for n ids left: the least that holds them all, or
 * the largest. */
static size_t
so_size(size_t n)
{
	size_t i;

	for (i = 0; i < SO_NSIZES - 1; i++)
		if (so_sizes[i] >= n)
			break;
	return i;
}

/* ids (with their times at, when delivered) in lists of the fixed
 * sizes: the statements of so_delivered_sql when at is given, else of
 * so_sending_sql. */
static int
so_lists(struct store *s, const int64_t *ids, const int64_t *at, size_t n)
{
	json_t	*p;
	size_t	 done, i, j, k, r;

	so_build();
	for (done = 0; done < n; done += k) {
		i = so_size(n - done);
		k = n - done < so_sizes[i] ? n - done : so_sizes[i];
		p = json_array();
		for (j = 0; j < so_sizes[i]; j++) {
			r = done + (j < k ? j : k - 1);
			json_array_append_new(p, json_integer(ids[r]));
			if (at != NULL)
				json_array_append_new(p, json_integer(at[r]));
		}
		if (sexec(s, at != NULL ? so_delivered_sql[i] :
		    so_sending_sql[i], p) == -1)
			return -1;
	}
	return 0;
}

int
store_notifications_delivered(struct store *s, const int64_t *ids,
    const int64_t *at, size_t n)
{
	return so_lists(s, ids, at, n);
}

int
store_notifications_sending(struct store *s, const int64_t *ids, size_t n)
{
	return so_lists(s, ids, NULL, n);
}
