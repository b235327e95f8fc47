/*
 * Leadership on PostgreSQL (store.h, SPEC §13): a second session of its
 * own, apart from the one that reads and writes, holds a session-level
 * advisory lock while this instance leads. The session is driven without
 * blocking: a query is sent (the lock tried, or the session confirmed
 * with a round trip) and its answer read when the socket is readable;
 * the caller (core/leader.c) owns the timing.
 *
 * The same session LISTENs on the channel every write transaction
 * notifies (store_op_begin): another instance's commit wakes the leader
 * up to re-arm its timers, read the outbox again and start actions.
 *
 * The server's side of the fence: the session sets idle_session_timeout
 * and TCP keepalives and tcp_user_timeout for the server's end, so that a
 * leader that stops confirming (a paused process, a cut link) loses the
 * session, and its lock, on the server within LEASE_SERVER_S; it never
 * confirms, and never fires, for longer than LEASE_VALID_MS after its
 * last confirmed query was sent (core/leader.c), which is shorter.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "store/db.h"
#include "store/store-int.h"
#include "store/store.h"

enum lease_phase {
	LP_NONE,			/* no session */
	LP_CONNECTING,			/* PQconnectPoll under way */
	LP_SETUP,			/* the SETs and LISTEN sent */
	LP_READY
};

struct store_lease {
	struct store	*s;
	PGconn		*conn;
	enum lease_phase phase;
	int		 busy;		/* a query is under way */
	int		 trying;	/* ... and it tries the lock */
	int		 held;
	int64_t		 sent_ms;	/* when the query was sent */
	int64_t		 ok_ms;		/* sent_ms of the last one answered */
	char		 err[300];
};

static void
lease_oneline(char *m)
{
	char *p;

	for (p = m; *p != '\0'; p++)
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
	while (p > m && p[-1] == ' ')
		*--p = '\0';
}

static void
lease_seterr(struct store_lease *l, const char *what)
{
	snprintf(l->err, sizeof l->err, "%s: %s", what, l->conn != NULL ?
	    PQerrorMessage(l->conn) : "no connection");
	lease_oneline(l->err);
}

struct store_lease *
store_lease_new(struct store *s)
{
	struct store_lease *l;

	if (!store_is_pg(s))
		return NULL;
	l = xcalloc(1, sizeof *l);
	l->s = s;
	return l;
}

void
store_lease_drop(struct store_lease *l)
{
	if (l->conn != NULL)
		PQfinish(l->conn);
	l->conn = NULL;
	l->phase = LP_NONE;
	l->busy = l->trying = l->held = 0;
}

void
store_lease_free(struct store_lease *l)
{
	if (l == NULL)
		return;
	store_lease_drop(l);
	free(l);
}

const char *
store_lease_error(const struct store_lease *l)
{
	return l->err;
}

int
store_lease_fd(const struct store_lease *l)
{
	return l->conn != NULL ? PQsocket(l->conn) : -1;
}

int
store_lease_ready(const struct store_lease *l)
{
	return l->phase == LP_READY;
}

int
store_lease_connecting(const struct store_lease *l)
{
	return l->phase == LP_CONNECTING || l->phase == LP_SETUP;
}

int
store_lease_held(const struct store_lease *l)
{
	return l->held;
}

int
store_lease_busy(const struct store_lease *l)
{
	return l->busy;
}

int64_t
store_lease_sent(const struct store_lease *l)
{
	return l->sent_ms;
}

int64_t
store_lease_confirmed(const struct store_lease *l)
{
	return l->ok_ms;
}

static const char *const lease_keys[] = {
	"application_name", "connect_timeout", "keepalives",
	"keepalives_idle", "keepalives_interval", "keepalives_count",
	"tcp_user_timeout", "dbname", NULL
};

/* The server drops a session that says nothing for LEASE_SERVER_S (a
 * paused or cut-off leader), and with it the lock. */
static const char lease_setup[] = "SET client_min_messages = warning; "
    "SET idle_session_timeout = '" KZ_LEASE_SERVER_S "s'; "
    "SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1; "
    "SET tcp_keepalives_count = 4; "
    "SET tcp_user_timeout = '" KZ_LEASE_SERVER_S "s'; "
    "LISTEN keizoku";

static PGconn *
lease_start(struct store_lease *l, int async)
{
	const char *vals[] = {
		"keizokud leader", "3", "1", "2", "1", "3", "5000",
		store_db(l->s)->target, NULL
	};

	return async ? PQconnectStartParams(lease_keys, vals, 1) :
	    PQconnectdbParams(lease_keys, vals, 1);
}

/* Connects (blocking, at most connect_timeout: at start only), sets the
 * server's side of the fence and listens. 0, or -1 with the reason in
 * store_lease_error. */
int
store_lease_connect(struct store_lease *l)
{
	PGresult	*res;
	int		 ok;

	store_lease_drop(l);
	l->conn = lease_start(l, 0);
	if (PQstatus(l->conn) != CONNECTION_OK) {
		lease_seterr(l, "connect");
		store_lease_drop(l);
		return -1;
	}
	res = PQexec(l->conn, lease_setup);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok || PQsetnonblocking(l->conn, 1) != 0) {
		lease_seterr(l, "set up the leader session");
		store_lease_drop(l);
		return -1;
	}
	l->phase = LP_READY;
	return 0;
}

/* Starts connecting without blocking: then store_lease_connect_poll
 * whenever the socket is ready as it asks. */
int
store_lease_connect_start(struct store_lease *l)
{
	store_lease_drop(l);
	if ((l->conn = lease_start(l, 1)) == NULL ||
	    PQstatus(l->conn) == CONNECTION_BAD) {
		lease_seterr(l, "connect");
		store_lease_drop(l);
		return -1;
	}
	l->phase = LP_CONNECTING;
	return 0;
}

/* -1: failed (the session dropped); 0: under way, *want_write says for
 * what to wait on store_lease_fd (which may change between calls); 1:
 * connected, the set-up sent (its answer comes through
 * store_lease_input, after which the session is ready). */
int
store_lease_connect_poll(struct store_lease *l, int *want_write)
{
	*want_write = 0;
	switch (PQconnectPoll(l->conn)) {
	case PGRES_POLLING_READING:
		return 0;
	case PGRES_POLLING_WRITING:
		*want_write = 1;
		return 0;
	case PGRES_POLLING_OK:
		break;
	default:
		lease_seterr(l, "connect");
		store_lease_drop(l);
		return -1;
	}
	if (PQsetnonblocking(l->conn, 1) != 0 ||
	    !PQsendQuery(l->conn, lease_setup)) {
		lease_seterr(l, "set up the leader session");
		store_lease_drop(l);
		return -1;
	}
	PQflush(l->conn);
	l->phase = LP_SETUP;
	l->busy = 1;
	l->trying = 0;
	return 1;
}

/* Sends the next query: the lock tried, or (held) a round trip that
 * confirms the session is alive, and with it the lock. */
int
store_lease_send(struct store_lease *l, int64_t now_ms)
{
	char q[96];

	if (l->conn == NULL || l->phase != LP_READY || l->busy)
		return l->conn != NULL ? 0 : -1;
	if (l->held)
		snprintf(q, sizeof q, "SELECT 1");
	else
		snprintf(q, sizeof q, "SELECT pg_try_advisory_lock(%lld)",
		    (long long)KZ_PG_LEADER_LOCK);
	if (!PQsendQuery(l->conn, q)) {
		lease_seterr(l, "send");
		return -1;
	}
	PQflush(l->conn);
	l->busy = 1;
	l->trying = !l->held;
	l->sent_ms = now_ms;
	return 0;
}

/*
 * Reads what the server sent. -1: the session is gone (the lock with
 * it); 0: nothing complete yet; 1: the query was answered (held tells
 * whether the lock is ours); 2: the session is set up and ready.
 * *others: another instance committed.
 */
int
store_lease_input(struct store_lease *l, int *others)
{
	PGresult	*res;
	PGnotify	*n;
	int		 mine, rc = 0;

	*others = 0;
	if (l->conn == NULL)
		return -1;
	if (!PQconsumeInput(l->conn)) {
		lease_seterr(l, "the leader session");
		return -1;
	}
	mine = store_backend_pid(l->s);
	while ((n = PQnotifies(l->conn)) != NULL) {
		if (n->be_pid != mine)
			*others = 1;
		PQfreemem(n);
	}
	while (l->busy && !PQisBusy(l->conn)) {
		if ((res = PQgetResult(l->conn)) == NULL) {
			l->busy = 0;
			rc = 1;
			if (l->phase == LP_SETUP) {
				l->phase = LP_READY;
				rc = 2;
			} else
				l->ok_ms = l->sent_ms;
			break;
		}
		if (PQresultStatus(res) != PGRES_TUPLES_OK &&
		    !(l->phase == LP_SETUP &&
		    PQresultStatus(res) == PGRES_COMMAND_OK)) {
			snprintf(l->err, sizeof l->err, "the leader session: %s",
			    PQresultErrorMessage(res));
			lease_oneline(l->err);
			PQclear(res);
			return -1;
		}
		if (l->trying)
			l->held = PQntuples(res) == 1 &&
			    strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
	}
	if (PQstatus(l->conn) != CONNECTION_OK) {
		lease_seterr(l, "the leader session");
		return -1;
	}
	return rc;
}
