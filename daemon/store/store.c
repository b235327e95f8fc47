/* SQLite storage. One connection; statements prepared once and cached by
 * their SQL text; the batch transaction and per-operation savepoints
 * implement group commit without ever exposing a half-done operation.
 * Here: the connection, transactions, runbook versions, the hash-chained
 * event log and the timers; incidents are store-incident.c's. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "model/runbook.h"
#include "common/sig.h"
#include "store/store-int.h"
#include "store/store.h"
#include "common/xmalloc.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

struct stmt_cache {
	const char	*sql;
	sqlite3_stmt	*st;
};

struct store {
	sqlite3			*db;
	char			*path;
	struct stmt_cache	*cache;
	size_t			 ncache;
	int			 in_tx;
	int			 in_op;
	int			 failed;	/* disk-level failure seen */
	int			 broken;	/* the batch tx was lost */
	int			 suspect;	/* a COMMIT failed since the
						   last barrier */
	char			 errmsg[512];
	char			 head[65];	/* hash of the last event */
	int64_t			 head_seq;
	char			 op_head[65];
	int64_t			 op_head_seq;
};

static void
set_err(struct store *s, int rc, const char *what)
{
	snprintf(s->errmsg, sizeof s->errmsg, "%s: %s", what,
	    sqlite3_errmsg(s->db));
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_CORRUPT:
	case SQLITE_NOMEM:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		s->failed = 1;
		break;
	default:
		break;
	}
	/* Some errors roll the whole transaction back behind our back. */
	if (s->in_tx && sqlite3_get_autocommit(s->db))
		s->broken = 1;
	log_warnx("store: %s", s->errmsg);
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

static sqlite3_stmt *
prep(struct store *s, const char *sql)
{
	sqlite3_stmt	*st;
	size_t		 i;
	int		 rc;

	for (i = 0; i < s->ncache; i++)
		if (s->cache[i].sql == sql)
			return s->cache[i].st;
	for (i = 0; i < s->ncache; i++)
		if (strcmp(s->cache[i].sql, sql) == 0)
			return s->cache[i].st;
	if ((rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &st, NULL)) != SQLITE_OK) {
		set_err(s, rc, "prepare");
		log_warnx("store: cannot prepare: %s", sql);
		return NULL;
	}
	s->cache = xreallocarray(s->cache, s->ncache + 1, sizeof *s->cache);
	s->cache[s->ncache].sql = sql;
	s->cache[s->ncache++].st = st;
	return st;
}

sqlite3_stmt *
store_prep(struct store *s, const char *sql)
{
	return prep(s, sql);
}

void
store_set_err(struct store *s, int rc, const char *what)
{
	set_err(s, rc, what);
}

static int
bind_json(sqlite3_stmt *st, int i, json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		return sqlite3_bind_int64(st, i, json_integer_value(v));
	case JSON_REAL:
		return sqlite3_bind_double(st, i, json_real_value(v));
	case JSON_STRING:
		return sqlite3_bind_text(st, i, json_string_value(v),
		    (int)json_string_length(v), SQLITE_TRANSIENT);
	case JSON_TRUE:
		return sqlite3_bind_int(st, i, 1);
	case JSON_FALSE:
		return sqlite3_bind_int(st, i, 0);
	case JSON_NULL:
		return sqlite3_bind_null(st, i);
	default: {
		char	*t = json_dumps(v, JSON_COMPACT);
		int	 rc = sqlite3_bind_text(st, i, t, -1, SQLITE_TRANSIENT);

		free(t);
		return rc;
	}
	}
}

static json_t *
column_json(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	case SQLITE_TEXT:
		return json_stringn((const char *)sqlite3_column_text(st, i),
		    (size_t)sqlite3_column_bytes(st, i));
	case SQLITE_NULL:
	default:
		return json_null();
	}
}

/* Runs sql with params; rows (if wanted) as objects. */
static int
run(struct store *s, const char *sql, json_t *params, json_t **rows)
{
	sqlite3_stmt	*st;
	size_t		 i;
	int		 rc;

	if ((st = prep(s, sql)) == NULL)
		return -1;
	for (i = 0; params != NULL && i < json_array_size(params); i++)
		bind_json(st, (int)i + 1, json_array_get(params, i));
	if (rows != NULL)
		*rows = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t	*row;
		int	 c, n = sqlite3_column_count(st);

		if (rows == NULL)
			continue;
		row = json_object();
		for (c = 0; c < n; c++)
			json_object_set_new(row, sqlite3_column_name(st, c),
			    column_json(st, c));
		json_array_append_new(*rows, row);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		set_err(s, rc, "step");
		if (rows != NULL) {
			json_decref(*rows);
			*rows = NULL;
		}
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

int
store_exec(struct store *s, const char *sql, json_t *params)
{
	return run(s, sql, params, NULL);
}

int64_t
store_last_id(struct store *s)
{
	return sqlite3_last_insert_rowid(s->db);
}

/* Convenience: a statement with packed params (jansson format). */
int
sexec(struct store *s, const char *sql, json_t *params)
{
	int rc = run(s, sql, params, NULL);

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
	char	*err = NULL;
	int	 rc;

	if ((rc = sqlite3_exec(s->db, sql, NULL, NULL, &err)) != SQLITE_OK) {
		snprintf(s->errmsg, sizeof s->errmsg, "%s: %s", sql,
		    err ? err : sqlite3_errstr(rc));
		set_err(s, rc, sql);
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* A transaction-control statement of every operation (BEGIN, SAVEPOINT,
 * RELEASE, COMMIT), prepared once: sqlite3_exec would parse it each
 * time. */
static int
ctl(struct store *s, const char *sql)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = prep(s, sql)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(s->errmsg, sizeof s->errmsg, "%s: %s", sql,
		    sqlite3_errmsg(s->db));
		set_err(s, rc, sql);
		return -1;
	}
	return 0;
}

static void
load_head(struct store *s)
{
	json_t *rows = squery(s, "SELECT seq, hash FROM events ORDER BY seq "
	    "DESC LIMIT 1", NULL);

	kz_strlcpy(s->head, GENESIS, sizeof s->head);
	s->head_seq = 0;
	if (rows != NULL && json_array_size(rows) == 1) {
		json_t *r = json_array_get(rows, 0);

		kz_strlcpy(s->head, json_string_value(json_object_get(r,
		    "hash")), sizeof s->head);
		s->head_seq = json_integer_value(json_object_get(r, "seq"));
	}
	json_decref(rows);
}

static int
migrate(struct store *s, char **why)
{
	sqlite3_stmt	*st;
	int		 version = 0, n, i;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	for (n = 0; store_migrations[n] != NULL; n++)
		;
	if (version > n) {
		*why = xprintf("%s: database schema %d is newer than this "
		    "keizokud (%d); refusing to touch it", s->path, version, n);
		return -1;
	}
	for (i = version; i < n; i++) {
		char pragma[64];

		snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", i + 1);
		if (ctl(s, "BEGIN IMMEDIATE") == -1)
			goto fail;
		if (raw(s, store_migrations[i]) == -1 || raw(s, pragma) == -1 ||
		    ctl(s, "COMMIT") == -1) {
			raw(s, "ROLLBACK");
			goto fail;
		}
		log_info("store: %s migrated to schema %d", s->path, i + 1);
	}
	return 0;
fail:
	*why = xprintf("%s: schema migration failed: %s", s->path, s->errmsg);
	return -1;
}

struct store *
store_open(const char *path, char **why)
{
	struct store	*s = xcalloc(1, sizeof *s);
	int		 rc;

	s->path = xstrdup(path);
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		*why = xprintf("cannot open database %s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		store_close(s);
		return NULL;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	if (raw(s, "PRAGMA journal_mode=WAL") == -1 ||
	    raw(s, "PRAGMA synchronous=FULL") == -1 ||
	    raw(s, "PRAGMA foreign_keys=ON") == -1 ||
	    raw(s, "PRAGMA trusted_schema=OFF") == -1) {
		*why = xprintf("cannot configure database %s: %s", path,
		    s->errmsg);
		store_close(s);
		return NULL;
	}
	if (migrate(s, why) == -1) {
		store_close(s);
		return NULL;
	}
	s->failed = 0;
	load_head(s);
	return s;
}

void
store_close(struct store *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ncache; i++)
		sqlite3_finalize(s->cache[i].st);
	free(s->cache);
	if (s->db != NULL)
		sqlite3_close(s->db);
	free(s->path);
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
		if (ctl(s, "BEGIN IMMEDIATE") == -1)
			return -1;
		s->in_tx = 1;
	}
	if (ctl(s, "SAVEPOINT op") == -1)
		return -1;
	s->in_op = 1;
	memcpy(s->op_head, s->head, sizeof s->head);
	s->op_head_seq = s->head_seq;
	return 0;
}

int
store_op_end(struct store *s, int ok)
{
	int rc = 0;

	if (!s->in_op)
		return -1;
	s->in_op = 0;
	if (s->broken)
		return -1;
	if (ok && ctl(s, "RELEASE op") == 0)
		return 0;
	/* Undo just this operation; the rest of the batch stands. */
	if (ctl(s, "ROLLBACK TO op") == -1 || ctl(s, "RELEASE op") == -1)
		rc = -1;
	memcpy(s->head, s->op_head, sizeof s->head);
	s->head_seq = s->op_head_seq;
	return ok ? -1 : rc;
}

int
store_commit(struct store *s)
{
	if (!s->in_tx)
		return 0;
	if (s->broken || ctl(s, "COMMIT") == -1) {
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

	rows = store_query(s, "SELECT value FROM meta WHERE key = ?", p);
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
	return sexec(s, "INSERT INTO meta(key, value) VALUES (?, ?) ON "
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
	if (s->in_tx || ctl(s, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (sexec(s, "INSERT INTO meta(key, value) VALUES "
	    "('write_fault_at', strftime('%s', 'now')) ON CONFLICT(key) DO "
	    "UPDATE SET value = excluded.value", NULL) == -1 ||
	    ctl(s, "COMMIT") == -1) {
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
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
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

int
store_put_runbook(struct store *s, const struct runbook *rb)
{
	return sexec(s, "INSERT OR IGNORE INTO runbook_versions(hash, runbook,"
	    " file, source, stored_at) VALUES (?, ?, ?, ?, strftime('%s','now'))",
	    json_pack("[s,s,s,s]", rb->hash, rb->id, rb->file, rb->source));
}

char *
store_runbook_source(struct store *s, const char *hash, char **file)
{
	json_t	*rows = squery(s, "SELECT file, source FROM runbook_versions "
	    "WHERE hash = ?", json_pack("[s]", hash));
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
	int64_t	 seq = s->head_seq + 1;
	int	 rc;

	event_hash(s->head, seq, incident, at, actor, on_behalf, type, step, d,
	    hash);
	rc = sexec(s, "INSERT INTO events(seq, incident, at, actor, on_behalf,"
	    " type, step, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?)", json_pack("[I,o,I,s?,s?,s,s?,s?,s,s]", (json_int_t)seq,
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
	    "hash FROM events WHERE incident = ? AND seq > ? ORDER BY seq "
	    "LIMIT ?", json_pack("[I,I,I]", (json_int_t)incident,
	    (json_int_t)after, (json_int_t)limit));
}

const char *
store_head(const struct store *s)
{
	return s->head;
}

json_t *
store_verify(struct store *s)
{
	sqlite3_stmt	*st;
	char		 prev[65], hash[65];
	int64_t		 n = 0, expect = 1;
	json_t		*bad = json_null();
	int		 rc;

	kz_strlcpy(prev, GENESIS, sizeof prev);
	if ((st = prep(s, "SELECT seq, incident, at, actor, on_behalf, type, "
	    "step, data, prev, hash FROM events ORDER BY seq")) == NULL)
		return NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t		 seq = sqlite3_column_int64(st, 0);
		int64_t		 inc = sqlite3_column_int64(st, 1);
		const char	*rprev = (const char *)sqlite3_column_text(st, 8);
		const char	*rhash = (const char *)sqlite3_column_text(st, 9);
		const char	*reason = NULL;

		n++;
		event_hash(prev, seq, inc, sqlite3_column_int64(st, 2),
		    (const char *)sqlite3_column_text(st, 3),
		    (const char *)sqlite3_column_text(st, 4),
		    (const char *)sqlite3_column_text(st, 5),
		    (const char *)sqlite3_column_text(st, 6),
		    (const char *)sqlite3_column_text(st, 7), hash);
		if (seq != expect)
			reason = "a gap in the sequence: events were deleted";
		else if (rprev == NULL || strcmp(rprev, prev) != 0)
			reason = "its link to the previous event was changed";
		else if (rhash == NULL || strcmp(rhash, hash) != 0)
			reason = "its content was edited after it was written";
		if (reason != NULL) {
			json_decref(bad);
			bad = json_pack("{s:I,s:o,s:s}", "seq", (json_int_t)seq,
			    "incident", inc ? json_integer(inc) : json_null(),
			    "reason", reason);
			break;
		}
		memcpy(prev, rhash, sizeof prev);
		expect = seq + 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		set_err(s, rc, "verify");
		json_decref(bad);
		return NULL;
	}
	return json_pack("{s:b,s:I,s:s,s:o}", "ok", json_is_null(bad), "events",
	    (json_int_t)n, "head", s->head, "first_bad", bad);
}

int
store_timer_set(struct store *s, int64_t incident, const char *step,
    const char *kind, int64_t due, json_t *data)
{
	char	*d = data ? json_dumps(data, JSON_COMPACT) : NULL;
	int	 rc;

	rc = sexec(s, "INSERT INTO timers(incident, step, kind, due, data) "
	    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(incident, step, kind) DO UPDATE "
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
	if (step == NULL)
		return sexec(s, "DELETE FROM timers WHERE incident = ?",
		    json_pack("[I]", (json_int_t)incident));
	if (kind == NULL)
		return sexec(s, "DELETE FROM timers WHERE incident = ? AND "
		    "step = ?", json_pack("[I,s]", (json_int_t)incident, step));
	return sexec(s, "DELETE FROM timers WHERE incident = ? AND step = ? "
	    "AND kind = ?", json_pack("[I,s,s]", (json_int_t)incident, step,
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
	    "timers WHERE due <= ? AND kind <> 'fanout' ORDER BY due, id "
	    "LIMIT ?",
	    json_pack("[I,i]", (json_int_t)now, limit));
}

json_t *
store_timers_kind(struct store *s, const char *kind, int limit)
{
	return squery(s, "SELECT id, incident, step, kind, due, data FROM "
	    "timers WHERE kind = ? ORDER BY due, id LIMIT ?",
	    json_pack("[s,i]", kind, limit));
}

int
store_timer_delete(struct store *s, int64_t id)
{
	return sexec(s, "DELETE FROM timers WHERE id = ?", json_pack("[I]",
	    (json_int_t)id));
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
	if (sexec(s, "INSERT OR IGNORE INTO safety(incident, step, member, "
	    "name, site, area, asked_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    json_pack("[I,s,s,s?,s?,s?,I]", (json_int_t)incident, step,
	    member, name, site, area, (json_int_t)now)) == -1)
		return -1;
	return sqlite3_changes(s->db);
}

int
store_safety_remind(struct store *s, int64_t incident, const char *step,
    const char *member, int round)
{
	if (sexec(s, "UPDATE safety SET reminders = ? WHERE incident = ? AND "
	    "step = ? AND member = ? AND answered_at IS NULL AND reminders < ?",
	    json_pack("[i,I,s,s,i]", round, (json_int_t)incident, step,
	    member, round)) == -1)
		return -1;
	return sqlite3_changes(s->db);
}

int
store_safety_answer(struct store *s, int64_t incident, const char *step,
    const char *member, json_t *d, int64_t now)
{
	json_t *cc = json_object_get(d, "can_come");

	return sexec(s, "UPDATE safety SET status = ?, can_come = ?, "
	    "eta_s = ?, note = ?, entered_by = ?, answered_at = ? WHERE "
	    "incident = ? AND step = ? AND member = ?", json_pack("[O,o,O,O,O,"
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
	return squery(s, "SELECT step, status, can_come, eta_s, note, "
	    "answered_at FROM safety WHERE incident = ? AND member = ?", json_pack("[I,s]",
	    (json_int_t)incident, member));
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
		"safety WHERE incident = ? AND (? IS NULL OR step = ?)",
		"SELECT coalesce(site, '') AS k, count(*) AS asked, "
		"count(answered_at) AS answered, count(CASE status WHEN 'safe' "
		"THEN 1 END) AS safe, count(CASE status WHEN 'injured' THEN 1 "
		"END) AS injured, count(CASE status WHEN 'unsafe' THEN 1 END) AS "
		"unsafe FROM safety WHERE incident = ? AND (? IS NULL OR step = "
		"?) GROUP BY 1 ORDER BY 1",
		"SELECT coalesce(area, '') AS k, count(*) AS asked, "
		"count(answered_at) AS answered, count(CASE status WHEN 'safe' "
		"THEN 1 END) AS safe, count(CASE status WHEN 'injured' THEN 1 "
		"END) AS injured, count(CASE status WHEN 'unsafe' THEN 1 END) AS "
		"unsafe FROM safety WHERE incident = ? AND (? IS NULL OR step = "
		"?) GROUP BY 1 ORDER BY 1",
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
	    "FROM safety WHERE incident = ? AND (? IS NULL OR step = ?) AND "
	    "(? = 0 OR answered_at IS NULL) AND member > ? ORDER BY member, "
	    "step LIMIT ?", json_pack("[I,s?,s?,i,s,i]", (json_int_t)incident,
	    step, step, unanswered, after != NULL ? after : "", limit));
}

/* The members of an assemble step the same way (responses). */
json_t *
store_callout_list(struct store *s, int64_t incident, const char *step,
    int unanswered, const char *after, int limit)
{
	return squery(s, "SELECT member, role, answer, eta_at, called_at, "
	    "answered_at, entered_by FROM responses WHERE incident = ? AND "
	    "step = ? AND (? = 0 OR answer IN ('called', 'no_answer')) AND "
	    "member > ? ORDER BY member LIMIT ?", json_pack("[I,s,i,s,i]",
	    (json_int_t)incident, step, unanswered, after != NULL ? after :
	    "", limit));
}

/* Those not heard from, for the owner's summary. */
json_t *
store_safety_unheard(struct store *s, int64_t incident, const char *step,
    int limit)
{
	return squery(s, "SELECT member, name, site, area FROM safety WHERE "
	    "incident = ? AND step = ? AND answered_at IS NULL ORDER BY "
	    "member LIMIT ?", json_pack("[I,s,i]", (json_int_t)incident, step,
	    limit));
}

/* Times at which a share of those asked had answered (the report). */
json_t *
store_safety_times(struct store *s, int64_t incident, const char *step)
{
	return squery(s, "SELECT answered_at FROM safety WHERE incident = ? "
	    "AND step = ? AND answered_at IS NOT NULL ORDER BY answered_at",
	    json_pack("[I,s]", (json_int_t)incident, step));
}
