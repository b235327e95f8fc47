/* The database driver under the store: one connection to SQLite or to
 * PostgreSQL, statements with JSON-array parameters ($1, $2… in the SQL
 * text, the same on both), rows as JSON objects, transactions and
 * savepoints. Statements are prepared once and cached by SQL text. The
 * SQL itself is written once, portable to both engines; nothing here
 * rewrites it. Only the store uses this. */
#ifndef KZ_DB_H
#define KZ_DB_H

#include <jansson.h>
#include <stdint.h>

struct db;

enum db_backend {
	DB_SQLITE,
	DB_POSTGRESQL
};

struct db_ops {
	const char	*name;
	struct db	*(*open)(const char *target, char **why);
	void		 (*close)(struct db *);
	/* Runs one statement; rows (if wanted) as an array of objects. */
	int		 (*run)(struct db *, const char *sql, json_t *params,
			    json_t **rows);
	/* Runs one statement and calls cb per row with its columns as
	 * text (NULL for NULL), without building JSON; cb returns 0 to go
	 * on, -1 to stop. */
	int		 (*each)(struct db *, const char *sql, json_t *params,
			    int (*cb)(void *, int, const char *const *),
			    void *arg);
	/* Runs one statement when convenient inside the transaction:
	 * PostgreSQL sends it with the next statement whose result is
	 * needed, or with RELEASE/COMMIT, in one round trip (pipeline
	 * mode); SQLite and a statement outside a transaction run at once.
	 * cb (may be NULL) gets the rows, and then owns them. A failure
	 * shows at that later statement, which then fails: an operation
	 * learns it at its end (RELEASE), a batch at its COMMIT. */
	int		 (*later)(struct db *, const char *sql, json_t *params,
			    void (*cb)(void *, json_t *), void *arg);
	/* Sends what later() holds now; -1 if any of it failed. */
	int		 (*flush)(struct db *);
	/* Rows changed by the last statement run. */
	int64_t		 (*changes)(struct db *);
	/* Statements without parameters (several, ;-separated). */
	int		 (*raw)(struct db *, const char *sql);
	/* BEGIN (IMMEDIATE on SQLite: the write lock now). */
	int		 (*begin)(struct db *);
	/* Whether a transaction is open on the connection. */
	int		 (*in_tx)(struct db *);
	/* The schema version and its update (inside the migration's
	 * transaction). */
	int		 (*version)(struct db *, int *v);
	int		 (*set_version)(struct db *, int v);
	/* The migrations of this engine, NULL-terminated. */
	const char *const *migrations;
};

struct db {
	const struct db_ops	*ops;
	enum db_backend		 backend;
	char			*target;	/* path, or the DSN */
	char			*label;		/* what to name in messages */
	char			 errmsg[512];
	int			 failed;	/* storage or connection failure */
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

/* SQLite's process-wide settings, before its first use (db-sqlite.c). */
void		 db_sqlite_setup(void);

/* Opens the backend named by name ("sqlite", "postgresql"). */
struct db	*db_open(const char *name, const char *target, char **why);
void		 db_close(struct db *);
/* Sets the error message (and logs it). */
void		 db_seterr(struct db *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* The index (0-based) of the parameter named $N, or -1. */
int		 db_param_index(const char *name);

#endif
