/* The PostgreSQL driver over libpq: one connection, statements prepared
 * once per connection and cached by SQL text, parameters sent as text
 * (the server infers their types from the SQL), rows turned into JSON by
 * column type. TCP keepalives and tcp_user_timeout bound how long a dead
 * server can hold the loop. A lost connection fails the operation (and
 * the batch transaction: the caller answers 503, never a false success);
 * the next operation outside a transaction connects again. */
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "store/db.h"
#include "store/store-int.h"

/* Type OIDs (pg_type.h is server-side). */
#define PG_BOOL		16
#define PG_INT8		20
#define PG_INT2		21
#define PG_INT4		23
#define PG_FLOAT4	700
#define PG_FLOAT8	701
#define PG_NUMERIC	1700

struct pg_stmt {
	const char	*sql;
	char		 name[16];
};

/* A statement held for the next round trip (db.h's later()). */
struct pg_pend {
	char		 name[16];	/* prepared (a copy: the cache
					   moves); "": sql, no parameters */
	char		*sql;
	char		**v;
	int		 n;
	void		(*cb)(void *, json_t *);
	void		*arg;
};

/* Held statements go out at the latest when this many wait. */
#define PG_PEND_MAX	128

struct db_pg {
	struct db	 db;	/* first */
	PGconn		*conn;
	struct pg_stmt	*cache;
	size_t		 ncache;
	unsigned	 nprep;
	int64_t		 changes;
	int		 down;	/* logged that the server is gone */
	int		 tx;	/* a transaction was begun */
	struct pg_pend	 pend[PG_PEND_MAX];
	int		 npend;
	uint64_t	 trips;	/* round trips, for the bench */
};

/* Whether a failed statement was the server or the connection (503) and
 * not the statement (a bug or a constraint). */
static int
pg_storage_error(struct db_pg *p, const PGresult *res)
{
	const char *state;

	if (PQstatus(p->conn) != CONNECTION_OK)
		return 1;
	state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state == NULL)
		return 1;
	return strncmp(state, "08", 2) == 0 ||	/* connection */
	    strncmp(state, "53", 2) == 0 ||	/* resources: disk full */
	    strncmp(state, "57", 2) == 0 ||	/* shut down, cancelled */
	    strncmp(state, "58", 2) == 0 ||	/* I/O */
	    strncmp(state, "XX", 2) == 0 ||	/* internal */
	    strcmp(state, "25006") == 0 ||	/* a read-only standby */
	    strcmp(state, "55P03") == 0 ||	/* lock_timeout: another
						   instance holds the write
						   lock (leader.c) */
	    strcmp(state, "40001") == 0 ||	/* serialization */
	    strcmp(state, "40P01") == 0;	/* deadlock */
}

/* libpq's messages span lines (a hint on a tab-indented line): one line,
 * for the log and for the reply. */
static void
pg_oneline(char *msg)
{
	char	*r, *w;
	size_t	 n;

	for (r = w = msg; *r != '\0'; r++) {
		if (*r == '\n' || *r == '\t' || *r == '\r') {
			if (w > msg && w[-1] != ' ')
				*w++ = ' ';
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == ' ')
		msg[--n] = '\0';
}

/* Notices (the server's "terminating connection" on its way down) go to
 * the log, not to stderr. */
static void
pg_notice(void *arg, const char *message)
{
	char m[400];

	kz_strlcpy(m, message, sizeof m);
	pg_oneline(m);
	log_info("store: PostgreSQL says: %s", m);
}

static void
pg_err(struct db_pg *p, const PGresult *res, const char *what)
{
	const char	*m = res != NULL ? PQresultErrorMessage(res) : "";
	const char	*state = res != NULL ?
			    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char		 msg[400];

	if (state == NULL)
		state = "";
	if (m == NULL || *m == '\0')
		m = PQerrorMessage(p->conn);
	kz_strlcpy(msg, m != NULL ? m : "", sizeof msg);
	pg_oneline(msg);
	if (pg_storage_error(p, res))
		p->db.failed = 1;
	if (PQstatus(p->conn) != CONNECTION_OK)
		db_seterr(&p->db, "%s: the PostgreSQL server does not answer: "
		    "%s", what, msg);
	else if (strcmp(state, "55P03") == 0)
		db_seterr(&p->db, "another session has held the write lock "
		    "for 2 s (an instance stuck in its transaction?): %s", msg);
	else if (strcmp(state, "25006") == 0)
		db_seterr(&p->db, "%s: %s (the server is a read-only standby: "
		    "give keizokud the primary, or every node with "
		    "target_session_attrs=read-write)", what, msg);
	else
		db_seterr(&p->db, "%s: %s", what, msg);
}

static void
pg_forget(struct db_pg *p)
{
	p->ncache = 0;
}

/*
 * The session's settings, at each connection. Several instances take
 * turns writing (store_op_begin): one paused or cut off in the middle of
 * its transaction must not stop the others for long. The server ends a
 * transaction left idle for 10 s (and with it the write lock), and a
 * wait for the lock gives up after 2 s (the batch fails with 503: never
 * a false success, nor a loop held for longer).
 */
static int
pg_session_setup(struct db_pg *p)
{
	PGresult	*res;
	int		 ok;

	res = PQexec(p->conn, "SET client_min_messages = warning; "
	    "SET lock_timeout = '2s'; "
	    "SET idle_in_transaction_session_timeout = '10s'");
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		pg_err(p, res, "session set-up");
	PQclear(res);
	return ok ? 0 : -1;
}

/* Connects again when the connection was lost, but never inside a
 * transaction: that was lost with it, and what follows must fail until
 * the store rolls back and begins again. */
static int
pg_ensure(struct db_pg *p)
{
	if (PQstatus(p->conn) == CONNECTION_OK)
		return 0;
	if (p->tx) {
		p->db.failed = 1;
		snprintf(p->db.errmsg, sizeof p->db.errmsg, "the connection "
		    "to PostgreSQL was lost in a transaction: %s",
		    PQerrorMessage(p->conn));
		pg_oneline(p->db.errmsg);
		return -1;
	}
	PQreset(p->conn);
	pg_forget(p);
	if (PQstatus(p->conn) == CONNECTION_OK && pg_session_setup(p) == -1)
		return -1;
	if (PQstatus(p->conn) != CONNECTION_OK) {
		p->db.failed = 1;
		if (!p->down)
			pg_err(p, NULL, "connect");
		else {
			snprintf(p->db.errmsg, sizeof p->db.errmsg, "connect: "
			    "the PostgreSQL server does not answer: %s",
			    PQerrorMessage(p->conn));
			pg_oneline(p->db.errmsg);
		}
		p->down = 1;
		return -1;
	}
	if (p->down)
		log_info("store: connected to PostgreSQL again");
	p->down = 0;
	return 0;
}

static const char *
pg_prep(struct db_pg *p, const char *sql)
{
	PGresult	*res;
	size_t		 i;

	for (i = 0; i < p->ncache; i++)
		if (p->cache[i].sql == sql)
			return p->cache[i].name;
	for (i = 0; i < p->ncache; i++)
		if (strcmp(p->cache[i].sql, sql) == 0)
			return p->cache[i].name;
	p->cache = xreallocarray(p->cache, p->ncache + 1, sizeof *p->cache);
	snprintf(p->cache[p->ncache].name, sizeof p->cache[p->ncache].name,
	    "kz%u", p->nprep++);
	res = PQprepare(p->conn, p->cache[p->ncache].name, sql, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_err(p, res, "prepare");
		log_warnx("store: cannot prepare: %s", sql);
		PQclear(res);
		return NULL;
	}
	PQclear(res);
	p->cache[p->ncache].sql = sql;
	return p->cache[p->ncache++].name;
}

/* The parameters as text; NULL for SQL NULL. */
static char **
pg_params(json_t *params, int *n)
{
	char	**v;
	json_t	 *x;
	size_t	  i;

	*n = (int)json_array_size(params);
	v = xcalloc((size_t)*n + 1, sizeof *v);
	json_array_foreach(params, i, x) {
		switch (json_typeof(x)) {
		case JSON_INTEGER:
			v[i] = xprintf("%lld", (long long)json_integer_value(x));
			break;
		case JSON_REAL:
			v[i] = xprintf("%.17g", json_real_value(x));
			break;
		case JSON_STRING:
			v[i] = xstrdup(json_string_value(x));
			break;
		case JSON_TRUE:
			v[i] = xstrdup("1");
			break;
		case JSON_FALSE:
			v[i] = xstrdup("0");
			break;
		case JSON_NULL:
			v[i] = NULL;
			break;
		default:
			v[i] = json_dumps(x, JSON_COMPACT);
			break;
		}
	}
	return v;
}

static void
pg_params_free(char **v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static json_t *
pg_value(const PGresult *res, int r, int c)
{
	const char	*v;
	char		*end;

	if (PQgetisnull(res, r, c))
		return json_null();
	v = PQgetvalue(res, r, c);
	switch (PQftype(res, c)) {
	case PG_INT2:
	case PG_INT4:
	case PG_INT8:
		return json_integer(strtoll(v, NULL, 10));
	case PG_BOOL:
		return json_integer(*v == 't');
	case PG_NUMERIC:
		if (strpbrk(v, ".eE") == NULL)
			return json_integer(strtoll(v, NULL, 10));
		/* FALLTHROUGH */
	case PG_FLOAT4:
	case PG_FLOAT8:
		return json_real(strtod(v, &end));
	default:
		return json_stringn(v, (size_t)PQgetlength(res, r, c));
	}
}

/* The rows of a result as JSON objects. */
static json_t *
pg_rows(const PGresult *res)
{
	json_t	*rows = json_array();
	int	 r, c, nr = PQntuples(res), nc = PQnfields(res);

	for (r = 0; r < nr; r++) {
		json_t *row = json_object();

		for (c = 0; c < nc; c++)
			json_object_set_new(row, PQfname(res, c),
			    pg_value(res, r, c));
		json_array_append_new(rows, row);
	}
	return rows;
}

static void
pg_pend_clear(struct db_pg *p)
{
	int i;

	for (i = 0; i < p->npend; i++) {
		pg_params_free(p->pend[i].v, p->pend[i].n);
		free(p->pend[i].sql);
	}
	p->npend = 0;
}

/* COMMIT of a transaction that had failed rolls it back and says so
 * (its tag is ROLLBACK): never a success. */
static int
pg_committed(struct db_pg *p, const char *sql, const PGresult *res)
{
	if (sql == NULL || strcmp(sql, "COMMIT") != 0 ||
	    strcmp(PQcmdStatus((PGresult *)res), "COMMIT") == 0)
		return 1;
	p->db.failed = 1;
	db_seterr(&p->db, "COMMIT: the transaction had failed, and the "
	    "server rolled it back");
	return 0;
}

/* One held statement's result: its rows to its callback. */
static int
pg_pend_done(struct db_pg *p, struct pg_pend *e, PGresult *res, int rc)
{
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		if (e != NULL && e->sql != NULL)	/* BEGIN, RELEASE… */
			return pg_committed(p, e->sql, res) ? rc : -1;
		p->changes = strtoll(PQcmdTuples(res), NULL, 10);
		if (e != NULL && e->cb != NULL)
			e->cb(e->arg, pg_rows(res));
		return rc;
	case PGRES_PIPELINE_ABORTED:	/* skipped after the failure */
		return -1;
	default:
		if (rc == 0)
			pg_err(p, res, e != NULL && e->sql != NULL ? e->sql :
			    "step");
		return -1;
	}
}

static int
pg_send(PGconn *c, const struct pg_pend *e)
{
	if (e->name[0] != '\0')
		return PQsendQueryPrepared(c, e->name, e->n,
		    (const char *const *)e->v, NULL, NULL, 0);
	return PQsendQueryParams(c, e->sql, 0, NULL, NULL, NULL, NULL, 0);
}

/*
 * The held statements, then name (prepared, if not NULL), in one round
 * trip: libpq's pipeline mode, one sync at the end. The server runs them
 * in order and skips what follows a failure; the first failure is the
 * error. The result of name goes to *last when all went through.
 */
static int
pg_pipe(struct db_pg *p, const char *name, char **v, int n, PGresult **last)
{
	PGconn		*c = p->conn;
	PGresult	*res;
	struct pg_pend	*e;
	int		 total = p->npend + (name != NULL), sent = 0, i, rc = 0;

	if (last != NULL)
		*last = NULL;
	p->trips++;
	if (!PQenterPipelineMode(c)) {
		pg_err(p, NULL, "pipeline");
		pg_pend_clear(p);
		return -1;
	}
	for (; sent < p->npend; sent++)
		if (!pg_send(c, &p->pend[sent]))
			break;
	if (sent == p->npend && name != NULL &&
	    PQsendQueryPrepared(c, name, n, (const char *const *)v, NULL,
	    NULL, 0))
		sent++;
	if (sent < total || PQpipelineSync(c) == 0) {
		pg_err(p, NULL, "send");
		rc = -1;
		if (PQstatus(c) != CONNECTION_OK)
			sent = 0;	/* nothing to read */
		else if (PQpipelineSync(c) == 0)
			sent = 0;
	}
	/* Each statement's result, then NULL; then the sync. */
	for (i = 0; i <= sent && (sent > 0 || rc == 0);) {
		if ((res = PQgetResult(c)) == NULL) {
			if (PQstatus(c) != CONNECTION_OK) {
				if (rc == 0)
					pg_err(p, NULL, "pipeline");
				rc = -1;
				break;
			}
			i++;
			continue;
		}
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		if (i < sent) {
			e = i < p->npend ? &p->pend[i] : NULL;
			rc = pg_pend_done(p, e, res, rc);
			if (e == NULL && rc == 0 && last != NULL) {
				*last = res;
				continue;
			}
		}
		PQclear(res);
	}
	if (PQpipelineStatus(c) != PQ_PIPELINE_OFF && !PQexitPipelineMode(c)
	    && rc == 0) {
		pg_err(p, NULL, "pipeline");
		rc = -1;
	}
	pg_pend_clear(p);
	if (rc == -1 && last != NULL && *last != NULL) {
		PQclear(*last);
		*last = NULL;
	}
	return rc;
}

/* Holds a statement for the next round trip; sends when too many wait. */
static int
pg_hold(struct db_pg *p, const char *name, const char *sql, json_t *params,
    void (*cb)(void *, json_t *), void *arg)
{
	struct pg_pend *e = &p->pend[p->npend++];

	kz_strlcpy(e->name, name != NULL ? name : "", sizeof e->name);
	e->sql = sql != NULL ? xstrdup(sql) : NULL;
	e->v = pg_params(params, &e->n);
	e->cb = cb;
	e->arg = arg;
	return p->npend < PG_PEND_MAX ? 0 : pg_pipe(p, NULL, NULL, 0, NULL);
}

static PGresult *
pg_exec(struct db_pg *p, const char *sql, json_t *params)
{
	const char	*name;
	PGresult	*res;
	char		**v;
	int		  n;

	if (pg_ensure(p) == -1) {
		pg_pend_clear(p);
		return NULL;
	}
	if ((name = pg_prep(p, sql)) == NULL) {
		/* What waits goes now all the same: its callbacks may
		 * point into a frame about to return. */
		if (p->npend > 0)
			(void)pg_pipe(p, NULL, NULL, 0, NULL);
		return NULL;
	}
	v = pg_params(params, &n);
	if (p->npend > 0) {
		if (pg_pipe(p, name, v, n, &res) == -1)
			res = NULL;
		pg_params_free(v, n);
		return res;
	}
	p->trips++;
	res = PQexecPrepared(p->conn, name, n, (const char *const *)v, NULL,
	    NULL, 0);
	pg_params_free(v, n);
	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_COMMAND_OK) {
		pg_err(p, res, "step");
		PQclear(res);
		return NULL;
	}
	p->changes = strtoll(PQcmdTuples(res), NULL, 10);
	return res;
}

static int
pg_run(struct db *db, const char *sql, json_t *params, json_t **rows)
{
	struct db_pg	*p = (struct db_pg *)db;
	PGresult	*res;

	if (rows != NULL)
		*rows = NULL;
	if ((res = pg_exec(p, sql, params)) == NULL)
		return -1;
	if (rows != NULL)
		*rows = pg_rows(res);
	PQclear(res);
	return 0;
}

/* Inside a transaction: held for the next round trip. */
static int
pg_later(struct db *db, const char *sql, json_t *params,
    void (*cb)(void *, json_t *), void *arg)
{
	struct db_pg	*p = (struct db_pg *)db;
	const char	*name;
	json_t		*rows = NULL;

	if (!p->tx || PQstatus(p->conn) != CONNECTION_OK) {
		if (pg_run(db, sql, params, cb != NULL ? &rows : NULL) == -1)
			return -1;
		if (cb != NULL)
			cb(arg, rows);
		return 0;
	}
	if ((name = pg_prep(p, sql)) == NULL)
		return -1;
	return pg_hold(p, name, NULL, params, cb, arg);
}

static int
pg_flush(struct db *db)
{
	struct db_pg *p = (struct db_pg *)db;

	return p->npend > 0 ? pg_pipe(p, NULL, NULL, 0, NULL) : 0;
}

static int
pg_each(struct db *db, const char *sql, json_t *params,
    int (*cb)(void *, int, const char *const *), void *arg)
{
	struct db_pg	*p = (struct db_pg *)db;
	PGresult	*res;
	const char	*v[32];
	int		 r, c, nr, nc;

	if ((res = pg_exec(p, sql, params)) == NULL)
		return -1;
	nr = PQntuples(res);
	nc = PQnfields(res);
	if (nc > 32)
		nc = 32;
	for (r = 0; r < nr; r++) {
		for (c = 0; c < nc; c++)
			v[c] = PQgetisnull(res, r, c) ? NULL :
			    PQgetvalue(res, r, c);
		if (cb(arg, nc, v) == -1)
			break;
	}
	PQclear(res);
	return 0;
}

/* What a held statement changed is known once it has run: a failure
 * shows at the operation's end, and counts as nothing changed here. */
static int64_t
pg_changes(struct db *db)
{
	struct db_pg *p = (struct db_pg *)db;

	if (p->npend > 0 && pg_pipe(p, NULL, NULL, 0, NULL) == -1)
		return 0;
	return p->changes;
}

/* The statements of every operation that need no answer of their own
 * wait for the next round trip; RELEASE and COMMIT go with what waits. */
static int
pg_raw(struct db *db, const char *sql)
{
	struct db_pg	*p = (struct db_pg *)db;
	PGresult	*res;
	int		 ok, rc;
	int		 end = strcmp(sql, "COMMIT") == 0 ||
			    strcmp(sql, "ROLLBACK") == 0;

	if (strcmp(sql, "ROLLBACK") == 0) {
		pg_pend_clear(p);	/* never sent: nothing to undo */
		if (PQstatus(p->conn) != CONNECTION_OK ||
		    PQtransactionStatus(p->conn) == PQTRANS_IDLE) {
			p->tx = 0;
			return 0;
		}
	} else if (p->tx && PQstatus(p->conn) == CONNECTION_OK) {
		if (strcmp(sql, "SAVEPOINT op") == 0)
			return pg_hold(p, NULL, sql, NULL, NULL, NULL);
		if (strcmp(sql, "RELEASE op") == 0 || end) {
			rc = pg_hold(p, NULL, sql, NULL, NULL, NULL);
			if (rc == 0 && p->npend > 0)
				rc = pg_pipe(p, NULL, NULL, 0, NULL);
			if (end)
				p->tx = 0;
			return rc;
		}
		/* ROLLBACK TO op after a failure: what waits goes first
		 * (it may hold the savepoint), whatever became of it; any
		 * other statement below fails with what waits. */
		if (p->npend > 0 && strcmp(sql, "ROLLBACK TO op") == 0)
			(void)pg_pipe(p, NULL, NULL, 0, NULL);
	}
	if (pg_ensure(p) == -1) {
		if (end)
			p->tx = 0;
		return -1;
	}
	if (p->npend > 0 && pg_pipe(p, NULL, NULL, 0, NULL) == -1) {
		if (end)
			p->tx = 0;
		return -1;
	}
	p->trips++;
	res = PQexec(p->conn, sql);
	if (end)
		p->tx = 0;
	ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok)
		pg_err(p, res, sql);
	else if (!pg_committed(p, sql, res))
		ok = 0;
	PQclear(res);
	return ok ? 0 : -1;
}

/* BEGIN waits for the first statement; a lost connection is found (and
 * made again) here, outside any transaction. */
static int
pg_begin(struct db *db)
{
	struct db_pg *p = (struct db_pg *)db;

	p->tx = 0;	/* whatever was open is gone */
	pg_pend_clear(p);
	if (pg_ensure(p) == -1)
		return -1;
	p->tx = 1;
	return pg_hold(p, NULL, "BEGIN", NULL, NULL, NULL);
}

static int
pg_in_tx(struct db *db)
{
	struct db_pg *p = (struct db_pg *)db;

	if (!p->tx || PQstatus(p->conn) != CONNECTION_OK)
		return 0;
	if (p->npend > 0)
		return 1;	/* BEGIN waits to be sent */
	switch (PQtransactionStatus(p->conn)) {
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR:
	case PQTRANS_ACTIVE:
		return 1;
	default:
		return 0;
	}
}

static int
pg_version(struct db *db, int *v)
{
	json_t *rows = NULL;

	*v = 0;
	if (pg_raw(db, "CREATE TABLE IF NOT EXISTS schema_version("
	    "version INTEGER NOT NULL)") == -1 ||
	    pg_run(db, "SELECT max(version) AS version FROM schema_version",
	    NULL, &rows) == -1)
		return -1;
	if (json_array_size(rows) == 1)
		*v = (int)json_integer_value(json_object_get(json_array_get(
		    rows, 0), "version"));
	json_decref(rows);
	return 0;
}

static int
pg_set_version(struct db *db, int v)
{
	json_t	*p = json_pack("[i]", v);
	int	 rc;

	rc = pg_raw(db, "DELETE FROM schema_version");
	if (rc == 0)
		rc = pg_run(db, "INSERT INTO schema_version(version) VALUES "
		    "($1)",
		    p, NULL);
	json_decref(p);
	return rc;
}

static void
pg_close(struct db *db)
{
	struct db_pg *p = (struct db_pg *)db;

	pg_pend_clear(p);
	if (p->conn != NULL)
		PQfinish(p->conn);
	free(p->cache);
	free(db->target);
	free(db->label);
	free(p);
}

/* Our defaults come before the DSN, which may override any of them. */
static struct db *
pg_open(const char *dsn, char **why)
{
	static const char *const keys[] = {
		"application_name", "connect_timeout", "keepalives",
		"keepalives_idle", "keepalives_interval", "keepalives_count",
		"tcp_user_timeout", "dbname", NULL
	};
	const char	*vals[] = {
		"keizokud", "5", "1", "5", "2", "3", "10000", dsn, NULL
	};
	struct db_pg	*p = xcalloc(1, sizeof *p);
	PQconninfoOption *opts;
	const char	*host = NULL, *db = NULL;
	char		*err = NULL;

	p->db.ops = &db_pg_ops;
	p->db.backend = DB_POSTGRESQL;
	p->db.target = xstrdup(dsn);
	if ((opts = PQconninfoParse(dsn, &err)) == NULL) {
		*why = xprintf("store.dsn: not a PostgreSQL connection string: "
		    "%s", err != NULL ? err : "out of memory");
		PQfreemem(err);
		pg_close(&p->db);
		return NULL;
	}
	PQconninfoFree(opts);
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		char *m = xstrdup(PQerrorMessage(p->conn));

		pg_oneline(m);
		*why = xprintf("cannot connect to PostgreSQL: %s", m);
		free(m);
		pg_close(&p->db);
		return NULL;
	}
	PQsetNoticeProcessor(p->conn, pg_notice, NULL);
	host = PQhost(p->conn);
	db = PQdb(p->conn);
	p->db.label = xprintf("postgresql://%s%s%s/%s", host ? host : "",
	    PQport(p->conn) ? ":" : "", PQport(p->conn) ? PQport(p->conn) : "",
	    db ? db : "");
	if (pg_session_setup(p) == -1) {
		*why = xprintf("%s: %s", p->db.label, p->db.errmsg);
		pg_close(&p->db);
		return NULL;
	}
	return &p->db;
}

uint64_t
db_pg_trips(struct db *db)
{
	return ((struct db_pg *)db)->trips;
}

int
db_pg_backend_pid(struct db *db)
{
	struct db_pg *p = (struct db_pg *)db;

	return p->conn != NULL && PQstatus(p->conn) == CONNECTION_OK ?
	    PQbackendPID(p->conn) : 0;
}

const struct db_ops db_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.run = pg_run,
	.each = pg_each,
	.later = pg_later,
	.flush = pg_flush,
	.changes = pg_changes,
	.raw = pg_raw,
	.begin = pg_begin,
	.in_tx = pg_in_tx,
	.version = pg_version,
	.set_version = pg_set_version,
	.migrations = store_pg_migrations,
};
