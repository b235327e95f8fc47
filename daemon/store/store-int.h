/* Internal to the store. */
#ifndef KZ_STORE_INT_H
#define KZ_STORE_INT_H

#include <jansson.h>
#include <stdint.h>

struct store;

extern const char *const store_migrations[];
extern const char *const store_pg_migrations[];

/* A statement with packed params (jansson format; params are taken). */
int	 sexec(struct store *, const char *sql, json_t *params);
json_t	*squery(struct store *, const char *sql, json_t *params);
/* A read whose rows go to cb (which owns them) with the next round trip
 * (db.h: later): at the latest when the next statement that needs its
 * result runs, so cb may point into the caller's frame only if such a
 * statement follows before the caller returns. Takes params. */
int	 store_later(struct store *, const char *sql, json_t *params,
	    void (*cb)(void *, json_t *), void *arg);
/* Sets what store_errmsg says. */
void	 store_seterr(struct store *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Statements, for the store's own files only (the layers above call the
 * typed functions of store.h; make layers checks): JSON-array
 * parameters, rows as an array of objects. Statements are prepared once
 * and cached by SQL text, which must outlive the store (a literal). The
 * SQL is portable to both engines: parameters $1, $2…, ON CONFLICT,
 * COALESCE, no rowid or json_each. store_exec's statement may wait for
 * the next round trip (PostgreSQL: db.h's later). */
json_t	*store_query(struct store *, const char *sql, json_t *params);
int	 store_exec(struct store *, const char *sql, json_t *params);
/* An INSERT … RETURNING id: the new id, or -1. */
int64_t	 store_insert(struct store *, const char *sql, json_t *params);
/* Rows changed by the last statement. */
int64_t	 store_changes(struct store *);
/* Runs sql and calls cb per row with its columns as text (NULL for
 * NULL); no JSON per row. */
int	 store_each(struct store *, const char *sql, json_t *params,
	    int (*cb)(void *, int, const char *const *), void *arg);
/* The driver under the store (the importer copies through it). */
struct db *store_db(struct store *);
/* db-pg.c: the server process of the connection (0: not connected). */
int	 db_pg_backend_pid(struct db *);
uint64_t db_pg_trips(struct db *);

#endif
