/* SQLite storage. One connection; statements prepared once and cached by
 * their SQL text; the batch transaction and per-operation savepoints
 * implement group commit without ever exposing a half-done operation.
 * Here: the connection, transactions, runbook versions, the hash-chained
 * event log and the timers; incidents are store-incident.c's. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "model/runbook.h"
#include "common/sig.h"
#include "store/db.h"
#include "store/store-int.h"
#include "store/store.h"
#include "common/xmalloc.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

struct store {
	struct db		*db;
	int			 in_tx;
	int			 in_op;
	int			 failed;	/* storage-level failure seen */
	int			 broken;	/* the batch tx was lost */
	int			 suspect;	/* a COMMIT failed since the
						   last barrier */
	int			 head_ok;	/* head read from the database */
	char			 errmsg[512];
	char			 head[65];	/* hash of the last event */
	int64_t			 head_seq;
	char			 op_head[65];
	int64_t			 op_head_seq;
	uint64_t		 timer_writes;	/* statements that wrote
						   the timers table */
};

/* After a failed driver call: its message, and whether the storage failed
 * or the batch transaction was lost behind our back. */
static void
db_failed(struct store *s)
{
	kz_strlcpy(s->errmsg, s->db->errmsg, sizeof s->errmsg);
	if (s->db->failed)
		s->failed = 1;
	if (s->in_tx && !s->db->ops->in_tx(s->db))
		s->broken = 1;
}

void
store_seterr(struct store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
	va_end(ap);
}

const char *
store_errmsg(const struct store *s)
{
	return s->errmsg;
}

int
store_failed(const struct store *s)
{
	return s->failed || s->broken;
}

const char *
store_backend(const struct store *s)
{
	return s->db->ops->name;
}

const char *
store_label(const struct store *s)
{
	return s->db->label;
}

struct db *
store_db(struct store *s)
{
	return s->db;
}

int
store_is_pg(const struct store *s)
{
	return s->db->backend == DB_POSTGRESQL;
}

int
store_backend_pid(struct store *s)
{
	return store_is_pg(s) ? db_pg_backend_pid(s->db) : 0;
}

uint64_t
store_round_trips(struct store *s)
{
	return store_is_pg(s) ? db_pg_trips(s->db) : 0;
}

/* Runs sql with params; rows (if wanted) as objects. */
static int
run(struct store *s, const char *sql, json_t *params, json_t **rows)
{
	if (s->db->ops->run(s->db, sql, params, rows) == -1) {
		db_failed(s);
		return -1;
	}
	return 0;
}

int
store_each(struct store *s, const char *sql, json_t *params,
    int (*cb)(void *, int, const char *const *), void *arg)
{
	if (s->db->ops->each(s->db, sql, params, cb, arg) == -1) {
		db_failed(s);
		return -1;
	}
	return 0;
}

json_t *
store_query(struct store *s, const char *sql, json_t *params)
{
	json_t *rows = NULL;

	run(s, sql, params, &rows);
	return rows;
}

/* A statement run when convenient (db.h's later): on PostgreSQL with the
 * next round trip, its rows (if cb) to cb; a failure fails the operation
 * at its end. */
static int
run_later(struct store *s, const char *sql, json_t *params,
    void (*cb)(void *, json_t *), void *arg)
{
	if (s->db->ops->later(s->db, sql, params, cb, arg) == -1) {
		db_failed(s);
		return -1;
	}
	return 0;
}

int
store_exec(struct store *s, const char *sql, json_t *params)
{
	return run_later(s, sql, params, NULL, NULL);
}

int64_t
store_insert(struct store *s, const char *sql, json_t *params)
{
	json_t	*rows = NULL;
	int64_t	 id = -1;

	if (run(s, sql, params, &rows) == -1)
		return -1;
	if (json_array_size(rows) == 1)
		id = json_integer_value(json_object_get(json_array_get(rows, 0),
		    "id"));
	json_decref(rows);
	if (id <= 0) {
		store_seterr(s, "insert returned no id: %s", sql);
		return -1;
	}
	return id;
}

int64_t
store_changes(struct store *s)
{
	return s->db->ops->changes(s->db);
}

/* Convenience: a statement with packed params (jansson format). */
int
sexec(struct store *s, const char *sql, json_t *params)
{
	return store_later(s, sql, params, NULL, NULL);
}

int
store_later(struct store *s, const char *sql, json_t *params,
    void (*cb)(void *, json_t *), void *arg)
{
	int rc = run_later(s, sql, params, cb, arg);

	json_decref(params);
	return rc;
}

json_t *
squery(struct store *s, const char *sql, json_t *params)
{
	json_t *rows = NULL;

	run(s, sql, params, &rows);
	json_decref(params);
	return rows;
}

static int
raw(struct store *s, const char *sql)
{
	if (s->db->ops->raw(s->db, sql) == -1) {
		db_failed(s);
		return -1;
	}
	return 0;
}

/* The head of the chain; when the database does not answer, it is read
 * again before the next operation. */
#define HEAD_SQL	"SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1"

/* The head from its row (rows NULL: not read). It is read as a
 * transaction begins, before any operation of it appends, so it is
 * also where the first operation would go back to. */
static void
head_rows(void *arg, json_t *rows)
{
	struct store *s = arg;

	kz_strlcpy(s->head, GENESIS, sizeof s->head);
	s->head_seq = 0;
	s->head_ok = rows != NULL;
	if (rows != NULL && json_array_size(rows) == 1) {
		json_t *r = json_array_get(rows, 0);

		kz_strlcpy(s->head, json_string_value(json_object_get(r,
		    "hash")), sizeof s->head);
		s->head_seq = json_integer_value(json_object_get(r, "seq"));
	}
	json_decref(rows);
	memcpy(s->op_head, s->head, sizeof s->head);
	s->op_head_seq = s->head_seq;
}

static int
load_head(struct store *s)
{
	head_rows(s, squery(s, HEAD_SQL, NULL));
	return s->head_ok ? 0 : -1;
}

static int
migrate(struct store *s, char **why)
{
	const char *const	*m = s->db->ops->migrations;
	int			 version = 0, n, i;

	/* Instances starting together on one PostgreSQL database migrate
	 * it one at a time (the lock is the session's until the end). */
	if (store_is_pg(s) && sexec(s, "SELECT pg_advisory_lock($1)",
	    json_pack("[I]", (json_int_t)KZ_PG_MIGRATE_LOCK)) == -1) {
		*why = xprintf("%s: cannot lock the schema: %s", s->db->label,
		    s->db->errmsg);
		return -1;
	}
	if (s->db->ops->version(s->db, &version) == -1) {
		*why = xprintf("%s: cannot read the schema version: %s",
		    s->db->label, s->db->errmsg);
		return -1;
	}
	for (n = 0; m[n] != NULL; n++)
		;
	if (version > n) {
		*why = xprintf("%s: database schema %d is newer than this "
		    "keizokud (%d); refusing to touch "
		    "it", s->db->label, version,
		    n);
		return -1;
	}
	for (i = version; i < n; i++) {
		if (s->db->ops->begin(s->db) == -1)
			goto fail;
		if ((*m[i] != '\0' && raw(s, m[i]) == -1) ||
		    s->db->ops->set_version(s->db, i + 1) == -1 ||
		    raw(s, "COMMIT") == -1) {
			s->db->ops->raw(s->db, "ROLLBACK");
			goto fail;
		}
		log_info("store: %s migrated to schema "
		    "%d", s->db->label, i + 1);
	}
	if (store_is_pg(s))
		sexec(s, "SELECT pg_advisory_unlock($1)", json_pack("[I]",
		    (json_int_t)KZ_PG_MIGRATE_LOCK));
	return 0;
fail:
	*why = xprintf("%s: schema migration failed: %s", s->db->label,
	    s->db->errmsg);
	return -1;
}

struct store *
store_open(const char *backend, const char *target, char **why)
{
	struct store	*s;
	struct db	*db;

	if ((db = db_open(backend, target, why)) == NULL)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->db = db;
	if (migrate(s, why) == -1) {
		store_close(s);
		return NULL;
	}
	s->failed = 0;
	db->failed = 0;
	if (load_head(s) == -1) {
		*why = xprintf("%s: cannot read the event log: %s", db->label,
		    s->errmsg);
		store_close(s);
		return NULL;
	}
	return s;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	db_close(s->db);
	free(s);
}

int
store_in_tx(const struct store *s)
{
	return s->in_tx;
}

int
store_in_op(const struct store *s)
{
	return s->in_op;
}

int
store_op_begin(struct store *s)
{
	if (s->broken)
		return -1;
	if (!s->in_tx) {
		s->failed = 0;
		s->db->failed = 0;
		if (s->db->ops->begin(s->db) == -1) {
			db_failed(s);
			return -1;
		}
		s->in_tx = 1;
		/* Several instances on one PostgreSQL database: their write
		 * transactions take turns (a transaction lock, released by
		 * COMMIT or ROLLBACK), so each reads what the others
		 * committed, a change is applied once, and the chain's head
		 * is read again. The commit wakes the leader (lease-pg.c). */
		/* On PostgreSQL BEGIN, the lock, the head and the
		 * savepoint go with the operation's first statement, in one
		 * round trip (db-pg.c). */
		if (store_is_pg(s)) {
			s->head_ok = 0;
			if (sexec(s, "SELECT pg_advisory_xact_lock($1), "
			    "pg_notify('keizoku', '')", json_pack("[I]",
			    (json_int_t)KZ_PG_WRITE_LOCK)) == -1 ||
			    s->db->ops->later(s->db, HEAD_SQL, NULL, head_rows,
			    s) == -1) {
				db_failed(s);
				store_rollback(s);
				s->failed = 1;
				return -1;
			}
		} else if (!s->head_ok && load_head(s) == -1) {
			store_rollback(s);
			s->failed = 1;
			return -1;
		}
	}
	if (raw(s, "SAVEPOINT op") == -1)
		return -1;
	s->in_op = 1;
	if (s->head_ok) {	/* else head_rows sets it */
		memcpy(s->op_head, s->head, sizeof s->head);
		s->op_head_seq = s->head_seq;
	}
	return 0;
}

int
store_op_end(struct store *s, int ok)
{
	char	why[sizeof s->errmsg];
	int	rc = 0;

	if (!s->in_op)
		return -1;
	s->in_op = 0;
	if (s->broken)
		return -1;
	if (ok && raw(s, "RELEASE op") == 0)
		return 0;
	kz_strlcpy(why, s->errmsg, sizeof why);
	/* Undo just this operation; the rest of the batch stands. When
	 * that fails too (on PostgreSQL: the statement that failed was the
	 * transaction's BEGIN or its write lock, sent with the operation's
	 * first read), the transaction cannot go on: nothing of it may be
	 * committed, and the reason stays the first failure's. */
	if (raw(s, "ROLLBACK TO op") == -1 || raw(s, "RELEASE op") == -1) {
		kz_strlcpy(s->errmsg, why, sizeof s->errmsg);
		s->broken = 1;
		rc = -1;
	}
	memcpy(s->head, s->op_head, sizeof s->head);
	s->head_seq = s->op_head_seq;
	return ok ? -1 : rc;
}

int
store_commit(struct store *s)
{
	if (!s->in_tx)
		return 0;
	if (s->broken || raw(s, "COMMIT") == -1) {
		store_rollback(s);
		s->suspect = 1;
		return -1;
	}
	s->in_tx = 0;
	return 0;
}

int
store_suspect(const struct store *s)
{
	return s->suspect;
}

char *
store_meta_get(struct store *s, const char *key)
{
	json_t	*p = json_pack("[s]", key), *rows;
	char	*v = NULL;

	rows = store_query(s, "SELECT value FROM meta WHERE key = $1", p);
	json_decref(p);
	if (rows != NULL && json_array_size(rows) == 1 &&
	    json_string_value(json_object_get(json_array_get(rows, 0),
	    "value")) != NULL)
		v = xstrdup(json_string_value(json_object_get(json_array_get(
		    rows, 0), "value")));
	json_decref(rows);
	return v;
}

int
store_meta_set(struct store *s, const char *key, const char *value)
{
	return sexec(s, "INSERT INTO meta(key, value) VALUES ($1, $2) ON "
	    "CONFLICT(key) DO UPDATE SET value = excluded.value",
	    json_pack("[s,s]", key, value));
}

/*
 * A COMMIT that failed may leave the frames of its transaction in the
 * WAL file after the last valid one (their write went through, the sync
 * did not): recovery after a crash would bring back a batch that was
 * answered 503. The frames of any later commit overwrite them; this
 * makes one, as small as can be.
 */
int
store_barrier(struct store *s)
{
	if (s->in_tx)
		return -1;
	if (s->db->ops->begin(s->db) == -1) {
		db_failed(s);
		return -1;
	}
	if (sexec(s, "INSERT INTO meta(key, value) VALUES "
	    "('write_fault_at', $1) ON CONFLICT(key) DO "
	    "UPDATE SET value = excluded.value", json_pack("[o]",
	    json_sprintf("%lld", (long long)time(NULL)))) == -1 ||
	    raw(s, "COMMIT") == -1) {
		store_rollback(s);
		return -1;
	}
	s->suspect = 0;
	s->failed = 0;
	return 0;
}

void
store_rollback(struct store *s)
{
	if (s->db->ops->in_tx(s->db))
		s->db->ops->raw(s->db, "ROLLBACK");
	s->in_tx = 0;
	s->in_op = 0;
	s->broken = 0;
	load_head(s);
}

int
store_ping(struct store *s)
{
	json_t	*r = squery(s, "SELECT 1 AS one", NULL);
	int	 ok = r != NULL;

	json_decref(r);
	return ok ? 0 : -1;
}

/* Every incident's INSERT stores its runbook's version first. On SQLite
 * a lookup by hash when it is there already (the common case: binding
 * the source, kilobytes, for an INSERT that does nothing cost more than
 * the rest of the row); on PostgreSQL the INSERT alone, which needs no
 * answer and goes with the next statement (a lookup would be a round
 * trip). In the transaction: a rolled back INSERT is not taken for
 * stored. */
int
store_put_runbook(struct store *s, const struct runbook *rb)
{
	json_t	*rows;
	size_t	 n;

	if (!store_is_pg(s)) {
		if ((rows = squery(s, "SELECT 1 AS one FROM runbook_versions "
		    "WHERE hash = $1", json_pack("[s]", rb->hash))) == NULL)
			return -1;
		n = json_array_size(rows);
		json_decref(rows);
		if (n > 0)
			return 0;
	}
	return sexec(s, "INSERT INTO runbook_versions(hash, runbook, file, "
	    "source, stored_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT(hash) "
	    "DO NOTHING", json_pack("[s,s,s,s,I]", rb->hash, rb->id, rb->file,
	    rb->source, (json_int_t)time(NULL)));
}

char *
store_runbook_source(struct store *s, const char *hash, char **file)
{
	json_t	*rows = squery(s, "SELECT file, source FROM runbook_versions "
	    "WHERE hash = $1", json_pack("[s]", hash));
	char	*src = NULL;

	if (rows != NULL && json_array_size(rows) == 1) {
		json_t *r = json_array_get(rows, 0);

		src = xstrdup(json_string_value(json_object_get(r, "source")));
		*file = xstrdup(json_string_value(json_object_get(r, "file")) ?
		    json_string_value(json_object_get(r, "file")) : hash);
	}
	json_decref(rows);
	return src;
}

/* The hash covers every column of the row and the previous hash. */
static void
event_hash(const char *prev, int64_t seq, int64_t incident, int64_t at,
    const char *actor, const char *on_behalf, const char *type,
    const char *step, const char *data, char out[65])
{
	struct buf b = { 0 };

	buf_printf(&b, "%s\x1f%lld\x1f%lld\x1f%lld\x1f%s\x1f%s\x1f%s\x1f%s"
	    "\x1f%s", prev, (long long)seq, (long long)incident, (long long)at,
	    actor ? actor : "", on_behalf ? on_behalf : "", type,
	    step ? step : "", data ? data : "");
	sha256_hex(b.s, b.len, out);
	buf_free(&b);
}

int
store_event(struct store *s, int64_t incident, int64_t at, const char *actor,
    const char *on_behalf, const char *type, const char *step, json_t *data)
{
	char	*d = data != NULL ? json_dumps(data, JSON_COMPACT |
	    JSON_SORT_KEYS) : NULL;
	char	 hash[65];
	int64_t	 seq;
	int	 rc;

	/* The head read with the transaction's first round trip. */
	if (!s->head_ok && (s->db->ops->flush(s->db) == -1 || !s->head_ok)) {
		db_failed(s);
		free(d);
		return -1;
	}
	seq = s->head_seq + 1;
	event_hash(s->head, seq, incident, at, actor, on_behalf, type, step, d,
	    hash);
	rc = sexec(s, "INSERT INTO events(seq, incident, at, actor, on_behalf,"
	    " type, step, data, prev, hash) VALUES ($1, $2, $3, $4, $5, $6, "
	    "$7, $8, $9, "
	    "$10)", json_pack("[I,o,I,s?,s?,s,s?,s?,s,s]", (json_int_t)seq,
	    incident ? json_integer(incident) : json_null(), (json_int_t)at,
	    actor, on_behalf, type, step, d, s->head, hash));
	free(d);
	if (rc == 0) {
		memcpy(s->head, hash, sizeof hash);
		s->head_seq = seq;
	}
	return rc;
}

json_t *
store_events(struct store *s, int64_t incident)
{
	return store_events_page(s, incident, 0, INT64_MAX);
}

json_t *
store_events_page(struct store *s, int64_t incident, int64_t after,
    int64_t limit)
{
	return squery(s, "SELECT seq, at, actor, on_behalf, type, step, data, "
	    "hash FROM events WHERE incident = $1 AND seq > $2 ORDER BY seq "
	    "LIMIT $3", json_pack("[I,I,I]", (json_int_t)incident,
	    (json_int_t)after, (json_int_t)limit));
}

const char *
store_head(const struct store *s)
{
	return s->head;
}

struct verify {
	char		 prev[65];
	int64_t		 n, expect;
	json_t		*bad;
};

static int
verify_row(void *arg, int nc, const char *const *v)
{
	struct verify	*vf = arg;
	char		 hash[65];
	int64_t		 seq = v[0] ? strtoll(v[0], NULL, 10) : 0;
	int64_t		 inc = v[1] ? strtoll(v[1], NULL, 10) : 0;
	const char	*reason = NULL;

	if (nc < 10)
		return -1;
	vf->n++;
	event_hash(vf->prev, seq, inc, v[2] ? strtoll(v[2], NULL, 10) : 0,
	    v[3], v[4], v[5], v[6], v[7], hash);
	if (seq != vf->expect)
		reason = "a gap in the sequence: events were deleted";
	else if (v[8] == NULL || strcmp(v[8], vf->prev) != 0)
		reason = "its link to the previous event was changed";
	else if (v[9] == NULL || strcmp(v[9], hash) != 0)
		reason = "its content was edited after it was written";
	if (reason != NULL) {
		vf->bad = json_pack("{s:I,s:o,s:s}", "seq", (json_int_t)seq,
		    "incident", inc ? json_integer(inc) : json_null(),
		    "reason", reason);
		return -1;
	}
	kz_strlcpy(vf->prev, v[9], sizeof vf->prev);
	vf->expect = seq + 1;
	return 0;
}

json_t *
store_verify(struct store *s)
{
	struct verify vf = { .expect = 1, .bad = NULL };

	kz_strlcpy(vf.prev, GENESIS, sizeof vf.prev);
	if (store_each(s, "SELECT seq, incident, at, actor, on_behalf, type, "
	    "step, data, prev, hash FROM events ORDER BY seq", NULL,
	    verify_row, &vf) == -1) {
		json_decref(vf.bad);
		return NULL;
	}
	return json_pack("{s:b,s:I,s:s,s:o}", "ok", vf.bad == NULL, "events",
	    (json_int_t)vf.n, "head", s->head, "first_bad", vf.bad != NULL ?
	    vf.bad : json_null());
}

int
store_timer_set(struct store *s, int64_t incident, const char *step,
    const char *kind, int64_t due, json_t *data)
{
	char	*d = data ? json_dumps(data, JSON_COMPACT) : NULL;
	int	 rc;

	s->timer_writes++;
	rc = sexec(s, "INSERT INTO timers(incident, step, kind, due, data) "
	    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT(incident, step, kind) DO "
	    "UPDATE "
	    "SET due = excluded.due, data = excluded.data",
	    json_pack("[I,s,s,I,s?]", (json_int_t)incident, step ? step : "",
	    kind, (json_int_t)due, d));
	free(d);
	return rc;
}

int
store_timer_clear(struct store *s, int64_t incident, const char *step,
    const char *kind)
{
	s->timer_writes++;
	if (step == NULL)
		return sexec(s, "DELETE FROM timers WHERE incident = $1",
		    json_pack("[I]", (json_int_t)incident));
	if (kind == NULL)
		return sexec(s, "DELETE FROM timers WHERE incident = $1 AND "
		    "step = "
		    "$2", json_pack("[I,s]", (json_int_t)incident, step));
	return sexec(s, "DELETE FROM timers WHERE incident = $1 AND step = $2 "
	    "AND kind = $3", json_pack("[I,s,s]", (json_int_t)incident, step,
	    kind));
}

int64_t
store_timer_next(struct store *s)
{
	json_t	*rows = squery(s, "SELECT min(due) AS due FROM timers", NULL);
	int64_t	 due = INT64_MAX;

	if (rows != NULL && json_array_size(rows) == 1 &&
	    json_is_integer(json_object_get(json_array_get(rows, 0), "due")))
		due = jget_int(json_array_get(rows, 0), "due");
	json_decref(rows);
	return due;
}

json_t *
store_timers_due(struct store *s, int64_t now, int limit)
{
	return squery(s, "SELECT id, incident, step, kind, due, data FROM "
	    "timers WHERE due <= $1 AND kind <> 'fanout' ORDER BY due, id "
	    "LIMIT $2",
	    json_pack("[I,i]", (json_int_t)now, limit));
}

/* The next due time and whether a timer of kind waits: one statement
 * (one round trip on PostgreSQL) after a commit that wrote timers (the
 * loop's kz_timers_rearm). Both by index. */
int64_t
store_timer_next_kind(struct store *s, const char *kind, int *waiting)
{
	json_t	*rows = squery(s, "SELECT (SELECT min(due) FROM timers) AS "
	    "due, EXISTS (SELECT 1 FROM timers WHERE kind = $1) AS waiting",
	    json_pack("[s]", kind));
	json_t	*r = json_array_get(rows, 0);
	int64_t	 due = INT64_MAX;

	*waiting = 0;
	if (rows == NULL)
		return -1;
	if (r != NULL && json_is_integer(json_object_get(r, "due")))
		due = jget_int(r, "due");
	if (r != NULL)
		*waiting = jget_int(r, "waiting") != 0;
	json_decref(rows);
	return due;
}

json_t *
store_timers_kind(struct store *s, const char *kind, int limit)
{
	return squery(s, "SELECT id, incident, step, kind, due, data FROM "
	    "timers WHERE kind = $1 ORDER BY due, id LIMIT $2",
	    json_pack("[s,i]", kind, limit));
}

int
store_timer_delete(struct store *s, int64_t id)
{
	s->timer_writes++;
	if (sexec(s, "DELETE FROM timers WHERE id = $1", json_pack("[I]",
	    (json_int_t)id)) == -1)
		return -1;
	return store_changes(s) > 0;
}

uint64_t
store_timer_writes(const struct store *s)
{
	return s->timer_writes;
}

int64_t
store_timer_count(struct store *s)
{
	json_t	*rows = squery(s, "SELECT count(*) AS n FROM timers", NULL);
	int64_t	 n = 0;

	if (rows != NULL && json_array_size(rows) == 1)
		n = jget_int(json_array_get(rows, 0), "n");
	json_decref(rows);
	return n;
}

/* Safety confirmation (SPEC §18): one row per member asked. */
int
store_safety_ask(struct store *s, int64_t incident, const char *step,
    const char *member, const char *name, const char *site,
    const char *area, int64_t now)
{
	if (sexec(s, "INSERT INTO safety(incident, step, member, "
	    "name, site, area, asked_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
	    "ON CONFLICT(incident, step, member) DO NOTHING",
	    json_pack("[I,s,s,s?,s?,s?,I]", (json_int_t)incident, step,
	    member, name, site, area, (json_int_t)now)) == -1)
		return -1;
	return (int)store_changes(s);
}

int
store_safety_remind(struct store *s, int64_t incident, const char *step,
    const char *member, int round)
{
	if (sexec(s, "UPDATE safety SET reminders = $1 WHERE incident = $2 AND "
	    "step = $3 AND member = $4 AND answered_at IS NULL AND reminders < "
	    "$5",
	    json_pack("[i,I,s,s,i]", round, (json_int_t)incident, step,
	    member, round)) == -1)
		return -1;
	return (int)store_changes(s);
}

int
store_safety_answer(struct store *s, int64_t incident, const char *step,
    const char *member, json_t *d, int64_t now)
{
	json_t *cc = json_object_get(d, "can_come");

	return sexec(s, "UPDATE safety SET status = $1, can_come = $2, "
	    "eta_s = $3, note = $4, entered_by = $5, answered_at = $6 WHERE "
	    "incident = $7 AND step = $8 AND member = "
	    "$9", json_pack("[O,o,O,O,O,"
	    "I,I,s,s]", json_object_get(d, "status"), json_is_boolean(cc) ?
	    json_integer(json_is_true(cc)) : json_null(), json_object_get(d,
	    "eta_s"), json_object_get(d, "note") ? json_object_get(d, "note") :
	    json_null(), json_object_get(d, "entered_by") ? json_object_get(d,
	    "entered_by") : json_null(), (json_int_t)now, (json_int_t)incident,
	    step, member));
}

json_t *
store_safety_heard(struct store *s, int64_t incident, const char *member)
{
	/* By key: the incident's steps name the key's middle part (without
	 * them, every row of the incident was read: 10,000 per answer). */
	return squery(s, "SELECT step, status, can_come, eta_s, note, "
	    "answered_at FROM safety WHERE incident = $1 AND step IN "
	    "(SELECT id FROM steps WHERE incident = $2) AND member = $3",
	    json_pack("[I,I,s]", (json_int_t)incident, (json_int_t)incident,
	    member));
}

/* The counts of show: in all, by site and by area. */
json_t *
store_safety_tally(struct store *s, int64_t incident, const char *step)
{
	static const char *const sql[] = {
		"SELECT '' AS k, count(*) AS asked, count(answered_at) AS "
		"answered, count(CASE status WHEN 'safe' THEN 1 END) AS safe, "
		"count(CASE status WHEN 'injured' THEN 1 END) AS injured, "
		"count(CASE status WHEN 'unsafe' THEN 1 END) AS unsafe, "
		"count(CASE can_come WHEN 1 THEN 1 END) AS can_come, "
		"count(CASE can_come WHEN 0 THEN 1 END) AS cannot_come FROM "
		"safety WHERE incident = $1 AND (CAST($2 AS TEXT) IS NULL OR "
		"step = $3)",
		"SELECT coalesce(site, '') AS k, count(*) AS asked, "
		"count(answered_at) AS answered, count(CASE status WHEN 'safe' "
		"THEN 1 END) AS safe, count(CASE status WHEN 'injured' THEN 1 "
		"END) AS injured, count(CASE status WHEN 'unsafe' THEN 1 END) "
		"AS "
		"unsafe FROM safety WHERE incident = $1 AND (CAST($2 AS TEXT) "
		"IS NULL OR step = $3) GROUP BY 1 ORDER BY 1",
		"SELECT coalesce(area, '') AS k, count(*) AS asked, "
		"count(answered_at) AS answered, count(CASE status WHEN 'safe' "
		"THEN 1 END) AS safe, count(CASE status WHEN 'injured' THEN 1 "
		"END) AS injured, count(CASE status WHEN 'unsafe' THEN 1 END) "
		"AS "
		"unsafe FROM safety WHERE incident = $1 AND (CAST($2 AS TEXT) "
		"IS NULL OR step = $3) GROUP BY 1 ORDER BY 1",
	};
	json_t	*out = NULL, *rows, *r;
	size_t	 i, j;

	for (i = 0; i < 3; i++) {
		rows = squery(s, sql[i], json_pack("[I,s?,s?]",
		    (json_int_t)incident, step, step));
		if (rows == NULL) {
			json_decref(out);
			return NULL;
		}
		if (i == 0) {
			out = json_incref(json_array_get(rows, 0));
			json_object_del(out, "k");
		} else {
			json_t *o = json_object();

			json_array_foreach(rows, j, r) {
				const char *k = json_string_value(
				    json_object_get(r, "k"));

				json_object_set(o, *k ? k : "-", r);
				json_object_del(r, "k");
			}
			json_object_set_new(out, i == 1 ? "by_site" : "by_area",
			    o);
		}
		json_decref(rows);
	}
	return out;
}

/* A page of members, by member id after `after`. */
json_t *
store_safety_list(struct store *s, int64_t incident, const char *step,
    int unanswered, const char *after, int limit)
{
	return squery(s, "SELECT member, name, site, area, status, "
	    "CASE can_come WHEN 1 THEN 'true' WHEN 0 THEN 'false' END AS "
	    "can_come, eta_s, answered_at, asked_at, reminders, note, step "
	    "FROM safety WHERE incident = $1 AND (CAST($2 AS TEXT) IS NULL OR "
	    "step = $3) AND ($4 = 0 OR answered_at IS NULL) AND member > $5 "
	    "ORDER BY member, step LIMIT $6", json_pack("[I,s?,s?,i,s,i]", (json_int_t)incident,
	    step, step, unanswered, after != NULL ? after : "", limit));
}

/* The members of an assemble step the same way (responses). */
json_t *
store_callout_list(struct store *s, int64_t incident, const char *step,
    int unanswered, const char *after, int limit)
{
	return squery(s, "SELECT member, role, answer, eta_at, called_at, "
	    "answered_at, entered_by FROM responses WHERE incident = $1 AND "
	    "step = $2 AND ($3 = 0 OR answer IN ('called', 'no_answer')) AND "
	    "member > $4 ORDER BY member LIMIT $5", json_pack("[I,s,i,s,i]",
	    (json_int_t)incident, step, unanswered, after != NULL ? after :
	    "", limit));
}

/* Those not heard from, for the owner's summary. */
json_t *
store_safety_unheard(struct store *s, int64_t incident, const char *step,
    int limit)
{
	return squery(s, "SELECT member, name, site, area FROM safety WHERE "
	    "incident = $1 AND step = $2 AND answered_at IS NULL ORDER BY "
	    "member LIMIT $3", json_pack("[I,s,i]", (json_int_t)incident, step,
	    limit));
}

/* Times at which a share of those asked had answered (the report). */
json_t *
store_safety_times(struct store *s, int64_t incident, const char *step)
{
	return squery(s, "SELECT answered_at FROM safety WHERE incident = $1 "
	    "AND step = $2 AND answered_at IS NOT NULL ORDER BY answered_at",
	    json_pack("[I,s]", (json_int_t)incident, step));
}
