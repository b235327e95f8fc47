/* Round-trip latency of control-socket requests (the path `keizoku done`
 * takes, without process start-up), and a raw SQLite baseline: one
 * INSERT + COMMIT with the same durability settings keizokud uses.
 *
 *   ctlbench ctl SOCKET INCIDENTS STEPS    done every step, print p50/p99
 *   ctlbench sqlite DIR N                  N single-row commits
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto/proto.h"
#include "common/xmalloc.h"

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
report(const char *what, double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp);
	printf("%s n=%zu p50=%.3f p99=%.3f ms\n", what, n, v[n / 2],
	    v[n * 99 / 100]);
}

static int
readn(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int
request(int fd, json_t *req, int *status)
{
	char		*t = json_dumps(req, JSON_COMPACT), *resp;
	unsigned char	 hdr[4];
	uint32_t	 len;
	json_t		*r;

	kz_put_be32(hdr, (uint32_t)strlen(t));
	if (write(fd, hdr, 4) != 4 || write(fd, t, strlen(t)) !=
	    (ssize_t)strlen(t)) {
		free(t);
		return -1;
	}
	free(t);
	if (readn(fd, hdr, 4) == -1)
		return -1;
	len = kz_get_be32(hdr);
	resp = malloc(len + 1);
	if (readn(fd, resp, len) == -1)
		return -1;
	r = json_loadb(resp, len, 0, NULL);
	free(resp);
	*status = (int)json_integer_value(json_object_get(r, "status"));
	json_decref(r);
	return 0;
}

static int
ctl(const char *path, int incidents, int steps)
{
	struct sockaddr_un	 sun;
	int			 fd, i, s, st, bad = 0;
	double			*lat = calloc((size_t)incidents * steps,
				    sizeof *lat);
	size_t			 n = 0;
	char			 inc[32], step[32];

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		perror(path);
		return 1;
	}
	for (i = 1; i <= incidents; i++) {
		for (s = 1; s <= steps; s++) {
			json_t	*req;
			double	 t0;

			snprintf(inc, sizeof inc, "%d", i);
			snprintf(step, sizeof step, "s%d", s);
			req = json_pack("{s:i,s:s,s:{s:s,s:s},s:n}", "v",
			    KZ_PROTO_VERSION, "cmd", "done", "params",
			    "incident", inc, "step", step, "as");
			t0 = now_ms();
			if (request(fd, req, &st) == -1)
				return 1;
			lat[n++] = now_ms() - t0;
			if (st != 200)
				bad++;
			json_decref(req);
		}
	}
	report("done", lat, n);
	close(fd);
	free(lat);
	return bad != 0;
}

static int
raw_sqlite(const char *dir, int n)
{
	char		 path[4096];
	sqlite3		*db;
	sqlite3_stmt	*st;
	double		*lat = calloc((size_t)n, sizeof *lat);
	int		 i;

	snprintf(path, sizeof path, "%s/baseline.db", dir);
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return 1;
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)", NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES (?)", -1, &st, NULL);
	for (i = 0; i < n; i++) {
		double t0 = now_ms();

		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		sqlite3_bind_text(st, 1, "step done", -1, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_reset(st);
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		lat[i] = now_ms() - t0;
	}
	report("sqlite-commit", lat, (size_t)n);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(lat);
	return 0;
}

static int
activate(const char *path, const char *runbook, int n)
{
	struct sockaddr_un	 sun;
	int			 fd, i, st;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		perror(path);
		return 1;
	}
	for (i = 0; i < n; i++) {
		json_t *req = json_pack("{s:i,s:s,s:{s:s},s:n}", "v",
		    KZ_PROTO_VERSION, "cmd", "activate", "params", "runbook",
		    runbook, "as");

		if (request(fd, req, &st) == -1 || st >= 300)
			return 1;
		json_decref(req);
	}
	close(fd);
	return 0;
}

static int
num(const char *s)
{
	long long v;

	if (parse_i64(s, &v) == -1 || v < 0 || v > 10000000) {
		fprintf(stderr, "not a count: %s\n", s);
		exit(2);
	}
	return (int)v;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "ctl") == 0)
		return ctl(argv[2], num(argv[3]), num(argv[4]));
	if (argc == 5 && strcmp(argv[1], "activate") == 0)
		return activate(argv[2], argv[3], num(argv[4]));
	if (argc == 4 && strcmp(argv[1], "sqlite") == 0)
		return raw_sqlite(argv[2], num(argv[3]));
	fprintf(stderr, "usage: ctlbench ctl SOCKET INCIDENTS STEPS | "
	    "sqlite DIR N\n");
	return 2;
}
