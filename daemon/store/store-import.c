/* keizokud --import-sqlite: a SQLite state file copied into an empty
 * PostgreSQL store, in one PostgreSQL transaction. The tables and their
 * columns are read from the file's own schema (sqlite_master,
 * pragma_table_info), not listed here, so that a table added by a later
 * migration is copied without a change here; a column the PostgreSQL
 * schema lacks stops the import. Rows keep their ids (the hash chain, the
 * incident numbers); identity sequences are then moved past the largest
 * id. Tables are copied parents first (pragma_foreign_key_list), and rows
 * in the order SQLite stored them (responses.ord is that order). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "store/db.h"
#include "store/store-int.h"
#include "store/store.h"

#define IMPORT_MAXCOLS	32

struct imp_table {
	char	*name;
	json_t	*cols;		/* column names, in the file's order */
	int	 rowid;		/* a rowid table (ordered by rowid) */
	int	 done;
	int64_t	 rows;
};

struct imp {
	struct db	*src;
	struct db	*dst;
	struct imp_table *t;
	size_t		 nt;
	char		**sql;		/* statements the drivers cache */
	size_t		 nsql;
	char		*why;
	/* the row being copied */
	struct imp_table *cur;
	const char	*ins;
	int64_t		 n;
};

/* Keeps a statement alive as long as the drivers (they cache the text). */
static const char *
imp_sql(struct imp *im, char *sql)
{
	im->sql = xreallocarray(im->sql, im->nsql + 1, sizeof *im->sql);
	im->sql[im->nsql++] = sql;
	return sql;
}

/* Table and column names go into SQL text: only plain ones. */
static int
imp_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_'))
			return 0;
	return 1;
}

static json_t *
imp_rows(struct db *db, const char *sql, json_t *params)
{
	json_t *rows = NULL;

	if (db->ops->run(db, sql, params, &rows) == -1)
		return NULL;
	return rows;
}

/* The file must be a keizoku database; the caller migrates it. Looked
 * at read-only, so that a file that is not one is left as it was. */
static int
imp_check_file(const char *file, char **why)
{
	struct stat	 sb;
	sqlite3		*h = NULL;
	sqlite3_stmt	*st = NULL;
	int		 rc, v = 0, n = 0;

	if (stat(file, &sb) == -1) {
		*why = xprintf("%s: cannot import: %s", file, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		*why = xprintf("%s: cannot import: not a regular file", file);
		return -1;
	}
	db_sqlite_setup();
	rc = sqlite3_open_v2(file, &h, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(h, "SELECT (SELECT user_version FROM "
		    "pragma_user_version), (SELECT count(*) FROM sqlite_master "
		    "WHERE type = 'table' AND name IN ('incidents', 'events', "
		    "'steps', 'meta'))", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = sqlite3_column_int(st, 0);
		n = sqlite3_column_int(st, 1);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		*why = xprintf("%s: cannot import: not a SQLite database (%s)",
		    file, h != NULL ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
	else if (v < 1 || n != 4)
		*why = xprintf("%s: cannot import: a SQLite database, but not "
		    "keizoku's (no incidents, events, steps and meta tables at "
		    "a schema version)", file);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return *why != NULL ? -1 : 0;
}

static int
imp_fail(struct imp *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
imp_fail(struct imp *im, const char *fmt, ...)
{
	va_list ap;

	if (im->why == NULL) {
		va_start(ap, fmt);
		im->why = xvprintf(fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The file's tables and columns, checked against PostgreSQL's. */
static int
imp_tables(struct imp *im)
{
	json_t		*rows, *r, *cols, *c, *pgc, *p;
	size_t		 i, j;
	const char	*name;
	struct imp_table *t;

	if ((rows = imp_rows(im->src, "SELECT name, wr FROM pragma_table_list"
	    " WHERE schema = 'main' AND type = 'table' AND name NOT LIKE "
	    "'sqlite_%' ORDER BY name", NULL)) == NULL)
		return imp_fail(im, "cannot list the tables: %s",
		    im->src->errmsg);
	json_array_foreach(rows, i, r) {
		name = json_string_value(json_object_get(r, "name"));
		if (name == NULL || !imp_name_ok(name)) {
			imp_fail(im, "table \"%s\": not a keizoku table name",
			    name ? name : "?");
			json_decref(rows);
			return -1;
		}
		im->t = xreallocarray(im->t, im->nt + 1, sizeof *im->t);
		t = &im->t[im->nt++];
		memset(t, 0, sizeof *t);
		t->name = xstrdup(name);
		t->rowid = json_integer_value(json_object_get(r, "wr")) == 0;
		t->cols = json_array();
		p = json_pack("[s]", name);
		cols = imp_rows(im->src, "SELECT name FROM pragma_table_info($1)"
		    " ORDER BY cid", p);
		pgc = imp_rows(im->dst, "SELECT column_name AS name FROM "
		    "information_schema.columns WHERE table_schema = "
		    "current_schema() AND table_name = $1", p);
		json_decref(p);
		if (cols == NULL || pgc == NULL || json_array_size(pgc) == 0) {
			if (cols == NULL || pgc == NULL)
				imp_fail(im, "table %s: cannot read its columns: "
				    "%s", name, cols == NULL ? im->src->errmsg :
				    im->dst->errmsg);
			else
				imp_fail(im, "table %s is not in the PostgreSQL "
				    "schema", name);
			json_decref(cols);
			json_decref(pgc);
			json_decref(rows);
			return -1;
		}
		json_array_foreach(cols, j, c) {
			const char	*cn = json_string_value(json_object_get(c,
					    "name"));
			json_t		*x;
			size_t		 k;
			int		 found = 0;

			json_array_foreach(pgc, k, x)
				if (cn != NULL && strcmp(cn, json_string_value(
				    json_object_get(x, "name"))) == 0)
					found = 1;
			if (cn == NULL || !imp_name_ok(cn) || !found) {
				imp_fail(im, "table %s: column %s is not in the "
				    "PostgreSQL schema", name, cn ? cn : "?");
				json_decref(cols);
				json_decref(pgc);
				json_decref(rows);
				return -1;
			}
			json_array_append_new(t->cols, json_string(cn));
		}
		json_decref(cols);
		json_decref(pgc);
		if (json_array_size(t->cols) > IMPORT_MAXCOLS) {
			imp_fail(im, "table %s: more than %d columns", name,
			    IMPORT_MAXCOLS);
			json_decref(rows);
			return -1;
		}
	}
	json_decref(rows);
	return 0;
}

/* Whether every table t refers to is copied already. */
static int
imp_ready(struct imp *im, struct imp_table *t)
{
	json_t		*p = json_pack("[s]", t->name), *rows, *r;
	size_t		 i, k;
	const char	*ref;
	int		 ready = 1;

	rows = imp_rows(im->src, "SELECT \"table\" AS ref FROM "
	    "pragma_foreign_key_list($1)", p);
	json_decref(p);
	json_array_foreach(rows, i, r) {
		ref = json_string_value(json_object_get(r, "ref"));
		if (ref == NULL || strcmp(ref, t->name) == 0)
			continue;
		for (k = 0; k < im->nt; k++)
			if (strcmp(im->t[k].name, ref) == 0 && !im->t[k].done)
				ready = 0;
	}
	json_decref(rows);
	return ready;
}

static int
imp_row(void *arg, int n, const char *const *v)
{
	struct imp	*im = arg;
	json_t		*p = json_array();
	int		 i, rc;

	for (i = 0; i < n; i++)
		json_array_append_new(p, v[i] != NULL ? json_string(v[i]) :
		    json_null());
	im->n++;
	rc = im->dst->ops->run(im->dst, im->ins, p, NULL);
	json_decref(p);
	if (rc == -1) {
		imp_fail(im, "table %s, row %lld (%s = %s): %s", im->cur->name,
		    (long long)im->n, json_string_value(json_array_get(
		    im->cur->cols, 0)), v[0] != NULL ? v[0] : "NULL",
		    im->dst->errmsg);
		return -1;
	}
	return 0;
}

static int
imp_copy(struct imp *im, struct imp_table *t)
{
	char		*list = xstrdup(""), *params = xstrdup(""), *x;
	const char	*sel;
	json_t		*c;
	size_t		 i;

	json_array_foreach(t->cols, i, c) {
		x = xprintf("%s%s%s", list, i ? ", " : "",
		    json_string_value(c));
		free(list);
		list = x;
		x = xprintf("%s%s$%zu", params, i ? ", " : "", i + 1);
		free(params);
		params = x;
	}
	sel = imp_sql(im, xprintf("SELECT %s FROM %s%s", list, t->name,
	    t->rowid ? " ORDER BY rowid" : ""));
	im->ins = imp_sql(im, xprintf("INSERT INTO %s(%s) OVERRIDING SYSTEM "
	    "VALUE VALUES (%s)", t->name, list, params));
	free(list);
	free(params);
	im->cur = t;
	im->n = 0;
	if (im->src->ops->each(im->src, sel, NULL, imp_row, im) == -1 ||
	    im->why != NULL)
		return imp_fail(im, "table %s: %s", t->name, im->src->errmsg);
	t->rows = im->n;
	return 0;
}

/* Identity sequences past the largest id copied. */
static int
imp_sequences(struct imp *im)
{
	json_t		*rows, *r;
	const char	*tn, *cn;
	size_t		 i;

	if ((rows = imp_rows(im->dst, "SELECT table_name AS t, column_name AS"
	    " c FROM information_schema.columns WHERE table_schema = "
	    "current_schema() AND is_identity = 'YES'", NULL)) == NULL)
		return imp_fail(im, "cannot list the identity columns: %s",
		    im->dst->errmsg);
	json_array_foreach(rows, i, r) {
		tn = json_string_value(json_object_get(r, "t"));
		cn = json_string_value(json_object_get(r, "c"));
		if (tn == NULL || cn == NULL || !imp_name_ok(tn) ||
		    !imp_name_ok(cn))
			continue;
		if (im->dst->ops->run(im->dst, imp_sql(im, xprintf("SELECT "
		    "setval(pg_get_serial_sequence('%s', '%s'), COALESCE("
		    "(SELECT max(%s) FROM %s), 0) + 1, false)", tn, cn, cn,
		    tn)), NULL, NULL) == -1) {
			imp_fail(im, "table %s: cannot move the sequence of %s: "
			    "%s", tn, cn, im->dst->errmsg);
			json_decref(rows);
			return -1;
		}
	}
	json_decref(rows);
	return 0;
}

/* Nothing of an incident's record may be there already; what a daemon
 * that never had one keeps (runbook versions stored at start, meta) is
 * replaced by the file's. */
static int
imp_empty(struct imp *im)
{
	json_t	*rows;
	int64_t	 ni, ne;
	size_t	 i;

	if ((rows = imp_rows(im->dst, "SELECT (SELECT count(*) FROM "
	    "incidents) AS i, (SELECT count(*) FROM events) AS e", NULL)) ==
	    NULL)
		return imp_fail(im, "%s", im->dst->errmsg);
	ni = json_integer_value(json_object_get(json_array_get(rows, 0), "i"));
	ne = json_integer_value(json_object_get(json_array_get(rows, 0), "e"));
	json_decref(rows);
	if (ni != 0 || ne != 0)
		return imp_fail(im, "%s already holds %lld incidents and %lld "
		    "events: the import is only into an empty store, never "
		    "merged into a live one", im->dst->label, (long long)ni,
		    (long long)ne);
	/* Children first: the reverse of the copy order. */
	for (i = im->nt; i-- > 0;)
		if (im->dst->ops->run(im->dst, imp_sql(im, xprintf("DELETE FROM "
		    "%s", im->t[i].name)), NULL, NULL) == -1)
			return imp_fail(im, "table %s: cannot empty it: %s",
			    im->t[i].name, im->dst->errmsg);
	return 0;
}

static int
imp_run(struct imp *im, FILE *out)
{
	size_t	 i, done = 0, k;
	int64_t	 total = 0;

	if (imp_tables(im) == -1)
		return -1;
	if (im->src->ops->begin(im->src) == -1)
		return imp_fail(im, "cannot read the file: %s",
		    im->src->errmsg);
	if (im->dst->ops->begin(im->dst) == -1)
		return imp_fail(im, "%s", im->dst->errmsg);
	/* The copy order: parents before the tables that refer to them. */
	{
		struct imp_table *ord = xcalloc(im->nt, sizeof *ord);

		while (done < im->nt) {
			k = done;
			for (i = 0; i < im->nt; i++)
				if (!im->t[i].done && imp_ready(im, &im->t[i])) {
					im->t[i].done = 1;
					ord[done++] = im->t[i];
				}
			if (k == done) {
				free(ord);
				return imp_fail(im, "the tables refer to each "
				    "other in a cycle");
			}
		}
		free(im->t);
		im->t = ord;
	}
	if (imp_empty(im) == -1)
		return -1;
	for (i = 0; i < im->nt; i++)
		if (imp_copy(im, &im->t[i]) == -1)
			return -1;
	if (imp_sequences(im) == -1)
		return -1;
	if (im->dst->ops->raw(im->dst, "COMMIT") == -1)
		return imp_fail(im, "COMMIT: %s", im->dst->errmsg);
	for (i = 0; i < im->nt; i++) {
		fprintf(out, "%-20s %lld\n", im->t[i].name,
		    (long long)im->t[i].rows);
		log_info("import: %s: %lld rows", im->t[i].name,
		    (long long)im->t[i].rows);
		total += im->t[i].rows;
	}
	fprintf(out, "%-20s %lld\n", "total", (long long)total);
	log_info("import: %lld rows in %zu tables copied into %s",
	    (long long)total, im->nt, im->dst->label);
	return 0;
}

int
store_import_sqlite(const char *file, const char *dsn, FILE *out,
    char **why)
{
	struct store	*src = NULL, *dst = NULL;
	struct imp	 im;
	size_t		 i;
	int		 rc = -1;

	memset(&im, 0, sizeof im);
	if (imp_check_file(file, why) == -1)
		return -1;
	if ((src = store_open("sqlite", file, why)) == NULL)
		return -1;
	if ((dst = store_open("postgresql", dsn, why)) == NULL) {
		store_close(src);
		return -1;
	}
	im.src = store_db(src);
	im.dst = store_db(dst);
	if (imp_run(&im, out) == 0)
		rc = 0;
	else {
		if (im.dst->ops->in_tx(im.dst))
			im.dst->ops->raw(im.dst, "ROLLBACK");
		*why = xprintf("%s: import into %s failed, nothing was "
		    "written: %s", file, im.dst->label, im.why ? im.why :
		    "unknown error");
	}
	if (im.src->ops->in_tx(im.src))
		im.src->ops->raw(im.src, "ROLLBACK");
	store_close(src);
	store_close(dst);
	for (i = 0; i < im.nt; i++) {
		free(im.t[i].name);
		json_decref(im.t[i].cols);
	}
	free(im.t);
	for (i = 0; i < im.nsql; i++)
		free(im.sql[i]);
	free(im.sql);
	free(im.why);
	return rc;
}
