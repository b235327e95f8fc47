/* The SQLite driver: one connection in WAL mode with synchronous=FULL;
 * statements prepared once (persistent) and cached by their SQL text.
 * The WAL is copied back into the database (checkpointed) by a thread
 * with a connection of its own, not in the loop's COMMIT: a checkpoint
 * of a large call-out's pages was a turn of 100-250 ms on a busy disk.
 * Parameters are named $1, $2… and bound by name, so that their order of
 * appearance in the text does not matter and one may appear twice. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "store/db.h"
#include "store/store-int.h"

struct stmt_cache {
	const char	*sql;
	sqlite3_stmt	*st;
	int		 rowid;	/* "... RETURNING id" run as its INSERT */
	int		*param;	/* parameter i+1 is params[param[i]] */
	int		 nparam;
};

struct db_sqlite {
	struct db		 db;	/* first */
	sqlite3			*h;
	struct stmt_cache	*cache;
	size_t			 ncache;

	/* The checkpointer (ckpt_main): woken by the WAL hook. */
	char			*path;
	pthread_t		 ckpt;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 ckpt_on;
	int			 ckpt_want;
	int			 ckpt_stop;
};

/* WAL frames (pages) after which a checkpoint is asked for: SQLite's
 * own default for its automatic one. */
#define CKPT_FRAMES	1000

/* A PASSIVE checkpoint never waits for the writer, and the writer never
 * waits for it; a failed one (busy, an I/O error) is tried again at the
 * next request, and the WAL only grows meanwhile (commits stay durable:
 * they are synced into the WAL). */
static void *
ckpt_main(void *arg)
{
	struct db_sqlite	*s = arg;
	sqlite3			*h = NULL;

	if (sqlite3_open_v2(s->path, &h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(h, 100);
		sqlite3_exec(h, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
	}
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->ckpt_want && !s->ckpt_stop)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->ckpt_stop)
			break;
		s->ckpt_want = 0;
		pthread_mutex_unlock(&s->mu);
		if (h != NULL)
			sqlite3_wal_checkpoint_v2(h, NULL,
			    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	sqlite3_close(h);
	return NULL;
}

static int
wal_hook(void *arg, sqlite3 *h, const char *db, int frames)
{
	struct db_sqlite *s = arg;

	if (frames >= CKPT_FRAMES) {
		pthread_mutex_lock(&s->mu);
		s->ckpt_want = 1;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
	}
	return SQLITE_OK;
}

static void
ckpt_start(struct db_sqlite *s)
{
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->ckpt, NULL, ckpt_main, s) != 0)
		return;		/* SQLite's automatic checkpoint stays */
	s->ckpt_on = 1;
	sqlite3_wal_hook(s->h, wal_hook, s);	/* replaces it */
}

static void
ckpt_end(struct db_sqlite *s)
{
	if (!s->ckpt_on)
		return;
	pthread_mutex_lock(&s->mu);
	s->ckpt_stop = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->ckpt, NULL);
	s->ckpt_on = 0;
}

static void
sl_err(struct db_sqlite *s, int rc, const char *what)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_CORRUPT:
	case SQLITE_NOMEM:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		s->db.failed = 1;
		break;
	default:
		break;
	}
	db_seterr(&s->db, "%s: %s", what, sqlite3_errmsg(s->h));
}

#define SL_RETURNING_ID	" RETURNING id"

/* The prepared statement of sql, with what binding it needs: its
 * parameters' places in the params array (worked out once: SQLite finds a
 * parameter's name by a walk of the statement's list of names), and
 * whether it is a plain INSERT whose "RETURNING id" was left off: SQLite
 * runs RETURNING through a temporary table, and the row's id is
 * sqlite3_last_insert_rowid's (store_insert's statements are all plain
 * INSERTs). */
static struct stmt_cache *
sl_prep(struct db_sqlite *s, const char *sql)
{
	struct stmt_cache *c;
	sqlite3_stmt	*st;
	size_t		 i, n = strlen(SL_RETURNING_ID), l;
	int		 rc, rid = 0, k;

	for (i = 0; i < s->ncache; i++)
		if (s->cache[i].sql == sql)
			return &s->cache[i];
	for (i = 0; i < s->ncache; i++)
		if (strcmp(s->cache[i].sql, sql) == 0)
			return &s->cache[i];
	l = strlen(sql);
	if (strncmp(sql, "INSERT ", 7) == 0 && l > n &&
	    strcmp(sql + l - n, SL_RETURNING_ID) == 0 &&
	    strstr(sql, " ON CONFLICT") == NULL)
		rid = 1;
	if ((rc = sqlite3_prepare_v3(s->h, sql, rid ? (int)(l - n) : -1,
	    SQLITE_PREPARE_PERSISTENT, &st, NULL)) != SQLITE_OK) {
		sl_err(s, rc, "prepare");
		db_seterr(&s->db, "cannot prepare: %s: "
		    "%s", sqlite3_errmsg(s->h),
		    sql);
		return NULL;
	}
	s->cache = xreallocarray(s->cache, s->ncache + 1, sizeof *s->cache);
	c = &s->cache[s->ncache++];
	c->sql = sql;
	c->st = st;
	c->rowid = rid;
	c->nparam = sqlite3_bind_parameter_count(st);
	c->param = xcalloc((size_t)c->nparam + 1, sizeof *c->param);
	for (k = 1; k <= c->nparam; k++) {
		c->param[k - 1] = db_param_index(
		    sqlite3_bind_parameter_name(st, k));
		if (c->param[k - 1] < 0)	/* an unnamed ?: the next */
			c->param[k - 1] = k - 1;
	}
	return c;
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
		/* Not copied: the parameters outlive the statement's run
		 * (sl_run and sl_each clear the bindings before they
		 * return). */
		return sqlite3_bind_text(st, i, json_string_value(v),
		    (int)json_string_length(v), SQLITE_STATIC);
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

/* Binds $N to params[N-1] (an unnamed ? to the next one). */
static void
sl_bind(const struct stmt_cache *c, json_t *params)
{
	size_t	np = params != NULL ? json_array_size(params) : 0;
	int	i;

	for (i = 0; i < c->nparam; i++)
		if ((size_t)c->param[i] < np)
			bind_json(c->st, i + 1, json_array_get(params,
			    (size_t)c->param[i]));
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

static int
sl_run(struct db *db, const char *sql, json_t *params, json_t **rows)
{
	struct db_sqlite	*s = (struct db_sqlite *)db;
	struct stmt_cache	*c;
	sqlite3_stmt		*st;
	int			 rc, rowid;

	if ((c = sl_prep(s, sql)) == NULL)
		return -1;
	st = c->st;
	rowid = c->rowid;
	sl_bind(c, params);
	if (rows != NULL)
		*rows = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t	*row;
		int	 col, n = sqlite3_column_count(st);

		if (rows == NULL)
			continue;
		row = json_object();
		for (col = 0; col < n; col++)
			json_object_set_new(row, sqlite3_column_name(st, col),
			    column_json(st, col));
		json_array_append_new(*rows, row);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		sl_err(s, rc, "step");
		if (rows != NULL) {
			json_decref(*rows);
			*rows = NULL;
		}
		return -1;
	}
	if (rowid && rows != NULL && sqlite3_changes(s->h) == 1)
		json_array_append_new(*rows, json_pack("{s:I}", "id",
		    (json_int_t)sqlite3_last_insert_rowid(s->h)));
	return 0;
}

static int
sl_each(struct db *db, const char *sql, json_t *params,
    int (*cb)(void *, int, const char *const *), void *arg)
{
	struct db_sqlite	*s = (struct db_sqlite *)db;
	struct stmt_cache	*sc;
	sqlite3_stmt		*st;
	const char		*v[32];
	int			 rc, c, n;

	if ((sc = sl_prep(s, sql)) == NULL)
		return -1;
	st = sc->st;
	sl_bind(sc, params);
	n = sqlite3_column_count(st);
	if (n > 32)
		n = 32;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (c = 0; c < n; c++)
			v[c] = (const char *)sqlite3_column_text(st, c);
		if (cb(arg, n, v) == -1) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		sl_err(s, rc, "step");
		return -1;
	}
	return 0;
}

/* SQLite's statements cost no round trip: now. */
static int
sl_later(struct db *db, const char *sql, json_t *params,
    void (*cb)(void *, json_t *), void *arg)
{
	json_t *rows = NULL;

	if (sl_run(db, sql, params, cb != NULL ? &rows : NULL) == -1)
		return -1;
	if (cb != NULL)
		cb(arg, rows);
	return 0;
}

static int
sl_flush(struct db *db)
{
	(void)db;
	return 0;
}

static int64_t
sl_changes(struct db *db)
{
	return sqlite3_changes(((struct db_sqlite *)db)->h);
}

/* The transaction-control statements of every operation, prepared once:
 * sqlite3_exec would parse them each time. */
static const char *const sl_ctl_sql[] = {
	"BEGIN IMMEDIATE", "SAVEPOINT op", "RELEASE op", "ROLLBACK TO op",
	"COMMIT", "ROLLBACK", NULL
};

static int
sl_ctl(struct db_sqlite *s, const char *sql)
{
	struct stmt_cache *c;
	sqlite3_stmt	*st;
	int		 rc;

	if ((c = sl_prep(s, sql)) == NULL)
		return -1;
	st = c->st;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		sl_err(s, rc, sql);
		return -1;
	}
	return 0;
}

static int
sl_raw(struct db *db, const char *sql)
{
	struct db_sqlite	*s = (struct db_sqlite *)db;
	char			*err = NULL;
	int			 rc, i;

	for (i = 0; sl_ctl_sql[i] != NULL; i++)
		if (strcmp(sql, sl_ctl_sql[i]) == 0)
			return sl_ctl(s, sl_ctl_sql[i]);
	if ((rc = sqlite3_exec(s->h, sql, NULL, NULL, &err)) != SQLITE_OK) {
		sl_err(s, rc, sql);
		db_seterr(db, "%s: %s", sql, err ? err : sqlite3_errstr(rc));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int
sl_begin(struct db *db)
{
	return sl_raw(db, "BEGIN IMMEDIATE");
}

static int
sl_in_tx(struct db *db)
{
	return !sqlite3_get_autocommit(((struct db_sqlite *)db)->h);
}

static int
sl_version(struct db *db, int *v)
{
	json_t *rows = NULL;

	*v = 0;
	if (sl_run(db, "PRAGMA user_version", NULL, &rows) == -1)
		return -1;
	if (json_array_size(rows) == 1)
		*v = (int)json_integer_value(json_object_get(json_array_get(
		    rows, 0), "user_version"));
	json_decref(rows);
	return 0;
}

static int
sl_set_version(struct db *db, int v)
{
	char pragma[64];

	snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", v);
	return sl_raw(db, pragma);
}

static void
sl_close(struct db *db)
{
	struct db_sqlite	*s = (struct db_sqlite *)db;
	size_t			 i;

	ckpt_end(s);
	for (i = 0; i < s->ncache; i++) {
		sqlite3_finalize(s->cache[i].st);
		free(s->cache[i].param);
	}
	free(s->cache);
	if (s->h != NULL)
		sqlite3_close(s->h);
	free(s->path);
	free(db->target);
	free(db->label);
	free(s);
}

/* Before SQLite's first use: no statistics of its memory (each of its
 * allocations took a global mutex to count itself; keizoku never asks
 * sqlite3_memory_used). Refused once SQLite is initialized: then as it
 * was. */
void
db_sqlite_setup(void)
{
	static int done;

	if (!done++)
		(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static struct db *
sl_open(const char *path, char **why)
{
	struct db_sqlite	*s = xcalloc(1, sizeof *s);
	int			 rc;

	db_sqlite_setup();
	s->db.ops = &db_sqlite_ops;
	s->db.backend = DB_SQLITE;
	s->db.target = xstrdup(path);
	s->db.label = xstrdup(path);
	rc = sqlite3_open_v2(path, &s->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		*why = xprintf("cannot open database %s: %s", path,
		    s->h ? sqlite3_errmsg(s->h) : sqlite3_errstr(rc));
		sl_close(&s->db);
		return NULL;
	}
	sqlite3_extended_result_codes(s->h, 1);
	sqlite3_busy_timeout(s->h, 5000);
	/* temp_store: the statement journal of each operation (a savepoint
	 * of the turn's batch) stays in memory; spilled to a temporary file
	 * it was hundreds of writes in one turn of a large call-out. */
	if (sl_raw(&s->db, "PRAGMA journal_mode=WAL") == -1 ||
	    sl_raw(&s->db, "PRAGMA synchronous=FULL") == -1 ||
	    sl_raw(&s->db, "PRAGMA foreign_keys=ON") == -1 ||
	    sl_raw(&s->db, "PRAGMA trusted_schema=OFF") == -1 ||
	    sl_raw(&s->db, "PRAGMA temp_store=MEMORY") == -1) {
		*why = xprintf("cannot configure database %s: %s", path,
		    s->db.errmsg);
		sl_close(&s->db);
		return NULL;
	}
	s->path = xstrdup(path);
	ckpt_start(s);
	return &s->db;
}

const struct db_ops db_sqlite_ops = {
	.name = "sqlite",
	.open = sl_open,
	.close = sl_close,
	.run = sl_run,
	.each = sl_each,
	.later = sl_later,
	.flush = sl_flush,
	.changes = sl_changes,
	.raw = sl_raw,
	.begin = sl_begin,
	.in_tx = sl_in_tx,
	.version = sl_version,
	.set_version = sl_set_version,
	.migrations = store_migrations,
};
