/* The cost of the store's driver on each backend (issue 12): one
 * statement inside a transaction (an INSERT like an event's, a SELECT by
 * key) and one group commit (BEGIN, SAVEPOINT, an INSERT, RELEASE,
 * COMMIT: what one loop turn with one change does), through the same
 * driver keizokud uses (store/db.h), with its durability settings.
 *
 *   storebench sqlite FILE N
 *   storebench postgresql DSN N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "store/db.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *backend, const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	printf("%s %s n=%d p50=%.3f p99=%.3f ms\n", backend, what, n,
	    v[n / 2], v[n * 99 / 100]);
}

static int
check(struct db *db, int rc)
{
	if (rc == -1) {
		fprintf(stderr, "storebench: %s\n", db->errmsg);
		exit(1);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static const char *ins = "INSERT INTO bench(k, at, data) VALUES "
	    "($1, $2, $3)";
	static const char *sel = "SELECT k, at, data FROM bench WHERE k = $1";
	struct db	*db;
	char		*why = NULL;
	double		*stmt, *query, *commit, t;
	json_t		*p, *rows;
	int		 n, i;

	if (argc != 4 || (n = atoi(argv[3])) < 10) {
		fprintf(stderr, "usage: storebench sqlite|postgresql TARGET "
		    "N\n");
		return 2;
	}
	if ((db = db_open(argv[1], argv[2], &why)) == NULL) {
		fprintf(stderr, "storebench: %s\n", why);
		return 1;
	}
	check(db, db->ops->raw(db, "DROP TABLE IF EXISTS bench"));
	check(db, db->ops->raw(db, "CREATE TABLE bench(k BIGINT PRIMARY KEY, "
	    "at BIGINT NOT NULL, data TEXT)"));
	stmt = calloc((size_t)n, sizeof *stmt);
	query = calloc((size_t)n, sizeof *query);
	commit = calloc((size_t)n, sizeof *commit);
	/* Statements inside one transaction. */
	check(db, db->ops->begin(db));
	for (i = 0; i < n; i++) {
		p = json_pack("[i,I,s]", i, (json_int_t)i * 1000,
		    "{\"text\":\"手順を完了しました\"}");
		t = now_ms();
		check(db, db->ops->run(db, ins, p, NULL));
		stmt[i] = now_ms() - t;
		json_decref(p);
	}
	for (i = 0; i < n; i++) {
		p = json_pack("[i]", i);
		t = now_ms();
		check(db, db->ops->run(db, sel, p, &rows));
		query[i] = now_ms() - t;
		json_decref(rows);
		json_decref(p);
	}
	check(db, db->ops->raw(db, "COMMIT"));
	/* A loop turn with one change: the group commit. */
	for (i = 0; i < n; i++) {
		p = json_pack("[i,I,s]", n + i, (json_int_t)i, "x");
		t = now_ms();
		check(db, db->ops->begin(db));
		check(db, db->ops->raw(db, "SAVEPOINT op"));
		/* As the store writes: with the next round trip. */
		check(db, db->ops->later(db, ins, p, NULL, NULL));
		check(db, db->ops->raw(db, "RELEASE op"));
		check(db, db->ops->raw(db, "COMMIT"));
		commit[i] = now_ms() - t;
		json_decref(p);
	}
	report(argv[1], "insert", stmt, n);
	report(argv[1], "select", query, n);
	report(argv[1], "commit", commit, n);
	check(db, db->ops->raw(db, "DROP TABLE bench"));
	db_close(db);
	free(stmt);
	free(query);
	free(commit);
	return 0;
}
