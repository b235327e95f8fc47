/* Internal to the store. */
#ifndef KZ_STORE_INT_H
#define KZ_STORE_INT_H

#include <jansson.h>
#include <sqlite3.h>

struct store;

extern const char *const store_migrations[];

/* A statement with packed params (jansson format; params are taken). */
int	 sexec(struct store *, const char *sql, json_t *params);
json_t	*squery(struct store *, const char *sql, json_t *params);
/* Sets what store_errmsg says. */
void	 store_seterr(struct store *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* A prepared statement, cached by the store (reset after use); NULL
 * with the error set. */
sqlite3_stmt *store_prep(struct store *, const char *sql);
/* Sets the error of a failed SQLite call rc (what: the context). */
void	 store_set_err(struct store *, int rc, const char *what);

#endif
