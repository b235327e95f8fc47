/*
 * bench_rota: `keizoku oncall` computed for a large roster (issue 20):
 * 1,000 members in 50 teams of 20, 20 rotas of 2 to 5 teams (12 h, 1 d
 * and 1 w turns) started a year ago, 100 roles of 10 to 50 members each
 * following a rota, 500 covers and 20 teams out spread over the year.
 * One call is the whole answer of oncall (every rota's turn, every
 * role's call-out order, the outs and covers in force) as JSON text, at a
 * time drawn over the year. The baseline is the roster's own JSON (what
 * `keizoku roster` answers) for the same roster, in the same run.
 *
 * usage: bench_rota [-n CALLS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/diag.h"
#include "common/xmalloc.h"
#include "model/roster.h"
#include "model/rota.h"

#define NMEMBERS	1000
#define NTEAMS		50
#define NROTAS		20
#define NROLES		100
#define NCOVERS		500
#define NOUTS		20
#define YEAR_MS		(365LL * 86400 * 1000)
#define ROUND		100
/* 2026-12-07T00:00:00Z */
#define T0		1796601600000LL

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *
roster_text(void)
{
	static const char *const turns[] = { "12h", "1d", "1w" };
	char	*s = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&s, &len);
	int	 i, j;

	fprintf(f, "timezone: Asia/Tokyo\nmembers:\n");
	for (i = 0; i < NMEMBERS; i++)
		fprintf(f, "  - {id: m%d}\n", i);
	fprintf(f, "teams:\n");
	for (i = 0; i < NTEAMS; i++) {
		fprintf(f, "  - {id: t%d, members: [", i);
		for (j = 0; j < NMEMBERS / NTEAMS; j++)
			fprintf(f, "%sm%d", j ? ", " : "",
			    i * (NMEMBERS / NTEAMS) + j);
		fprintf(f, "]}\n");
	}
	fprintf(f, "rotas:\n");
	for (i = 0; i < NROTAS; i++) {
		int n = 2 + i % 4;

		fprintf(f, "  - {id: r%d, teams: [", i);
		for (j = 0; j < n; j++)
			fprintf(f, "%st%d", j ? ", " : "", (i * 3 + j) % NTEAMS);
		fprintf(f, "], start: \"2025-12-07T09:00:00+09:00\", "
		    "turn: %s}\n", turns[i % 3]);
	}
	fprintf(f, "roles:\n");
	for (i = 0; i < NROLES; i++) {
		int n = 10 + (i * 7) % 41;

		fprintf(f, "  - {id: role%d, rota: r%d, members: [", i,
		    i % NROTAS);
		for (j = 0; j < n; j++)
			fprintf(f, "%sm%d", j ? ", " : "",
			    (i * 37 + j * 11) % NMEMBERS);
		fprintf(f, "]}\n");
	}
	fclose(f);
	return s;
}

int
main(int argc, char **argv)
{
	struct diags		 d = { 0 };
	struct roster		*r;
	struct rota_state	 st;
	char			*text, *j;
	int			 c, n = 2000, i;
	double			 t, oncall, base, order;
	size_t			 bytes = 0;

	while ((c = getopt(argc, argv, "n:")) != -1)
		if (c == 'n')
			n = atoi(optarg);
	text = roster_text();
	if ((r = roster_parse("bench.yaml", text, strlen(text), &d)) == NULL) {
		for (i = 0; i < (int)d.n; i++)
			fprintf(stderr, "%s\n", d.msgs[i]);
		return 1;
	}
	memset(&st, 0, sizeof st);
	st.ov = xcalloc(NCOVERS, sizeof *st.ov);
	st.out = xcalloc(NOUTS, sizeof *st.out);
	srandom(20);
	for (i = 0; i < NCOVERS; i++) {
		struct rota_override	*o = &st.ov[st.nov++];
		const struct rota	*ro = &r->rotas[i % NROTAS];
		const struct team	*tm = roster_team(r,
					    ro->teams[i % ro->nteams]);

		o->id = i + 1;
		o->rota = xstrdup(ro->id);
		o->replaces = xstrdup(tm->members[i % tm->nmembers]);
		o->member = xprintf("m%d", (i * 13 + 7) % NMEMBERS);
		o->from = T0 + (random() % 365) * 86400000LL;
		o->until = o->from + 86400000LL;
	}
	for (i = 0; i < NOUTS; i++) {
		struct team_out *o = &st.out[st.nout++];

		o->team = xprintf("t%d", (i * 7) % NTEAMS);
		o->from = T0 + (random() % 365) * 86400000LL;
		o->until = o->from + 3 * 86400000LL;
	}
	/* Warm the zone data, then measure in rounds of ROUND calls: the
	 * best round counts (on a shared machine the slow rounds measure
	 * the neighbours), for oncall and the baseline alike. */
	json_decref(rota_oncall_json(r, &st, T0));
	oncall = 1e9;
	for (i = 0; i < n; i += ROUND) {
		int k;

		t = now_s();
		for (k = 0; k < ROUND; k++) {
			json_t *o = rota_oncall_json(r, &st, T0 + random() %
			    YEAR_MS);

			j = json_dumps(o, JSON_COMPACT);
			bytes += strlen(j);
			free(j);
			json_decref(o);
		}
		t = (now_s() - t) / ROUND * 1e3;
		if (t < oncall)
			oncall = t;
	}
	/* One role's order, as a call-out computes it. */
	t = now_s();
	for (i = 0; i < n * 10; i++) {
		const char **v = rota_order(r, &st, &r->roles[i % NROLES],
		    T0 + random() % YEAR_MS, NULL);

		free(v);
	}
	order = (now_s() - t) / (n * 10) * 1e6;
	base = 1e9;
	for (i = 0; i < n; i += ROUND) {
		int k;

		t = now_s();
		for (k = 0; k < ROUND; k++) {
			json_t *o = roster_json(r);

			j = json_dumps(o, JSON_COMPACT);
			free(j);
			json_decref(o);
		}
		t = (now_s() - t) / ROUND * 1e3;
		if (t < base)
			base = t;
	}
	printf("| oncall, 1,000 members / 50 teams / 20 rotas / 100 roles, "
	    "a year of turns and covers (ms per call, best round of 100) "
	    "| %.3f | %.3f (roster JSON) | %.2f |\n", oncall, base,
	    oncall / base);
	printf("| call-out order of one role of 10-50 members at a time "
	    "(us per call) | %.1f | | |\n", order);
	fprintf(stderr, "bench_rota: %d calls, %.3f ms per oncall (%zu bytes "
	    "avg), %.3f ms per roster JSON\n", n, oncall, bytes /
	    (size_t)(n > 0 ? n : 1),
	    base);
	rota_state_free(&st);
	roster_free(r);
	free(text);
	diag_free(&d);
	return oncall < 5.0 ? 0 : 1;
}
