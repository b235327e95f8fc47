/* Shift teams and rotas (SPEC §16): who is on turn at many instants
 * (boundaries, month and year ends, a zone without and one with daylight
 * saving time), covers at their edges, teams out, the call-out order, the
 * pieces a calendar is made of, and the roster's refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <libical/ical.h>

#include "common/diag.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "model/roster.h"
#include "model/rota.h"

#define H	(3600 * 1000LL)
#define D	(24 * H)
#define W	(7 * D)

static const char roster_yaml[] =
    "timezone: Asia/Tokyo\n"
    "members:\n"
    "  - {id: tanaka}\n  - {id: suzuki}\n  - {id: sato}\n"
    "  - {id: ito}\n  - {id: kato}\n  - {id: yamada}\n"
    "  - {id: watanabe}\n"
    "teams:\n"
    "  - {id: a, title: A班, members: [tanaka, ito, kato]}\n"
    "  - {id: b, title: B班, members: [suzuki, sato, yamada]}\n"
    "rotas:\n"
    "  - {id: ops, teams: [a, b], start: \"2026-12-07T09:00:00+09:00\","
    " turn: 1w}\n"
    "  - {id: night, teams: [a, b], start: \"2026-12-31T21:00:00\","
    " turn: 12h}\n"
    "roles:\n"
    "  - {id: it-lead, members: [tanaka, suzuki, sato, watanabe],"
    " rota: ops}\n"
    "  - {id: plain, members: [sato, tanaka]}\n"
    "  - {id: nightops, members: [ito, yamada, kato], rota: night}\n";

static int64_t
T(const char *s)
{
	int64_t ms;

	if (rfc3339_parse(s, &ms) != 0)
		fail_msg("bad time %s", s);
	return ms;
}

static struct roster *
load(const char *yaml)
{
	struct diags	 d = { 0 };
	struct roster	*r = roster_parse("roster.yaml", yaml, strlen(yaml),
			    &d);
	size_t		 i;

	for (i = 0; i < d.n; i++)
		print_message("%s\n", d.msgs[i]);
	diag_free(&d);
	assert_non_null(r);
	return r;
}

/* Loads text expected to fail; returns every message joined. */
static char *
load_bad(const char *yaml)
{
	struct diags	 d = { 0 };
	struct roster	*r = roster_parse("roster.yaml", yaml, strlen(yaml),
			    &d);
	char		*all = xstrdup("");
	size_t		 i;

	assert_null(r);
	for (i = 0; i < d.n; i++) {
		char *x = xprintf("%s%s\n", all, d.msgs[i]);

		free(all);
		all = x;
	}
	diag_free(&d);
	return all;
}

static void
team_at(const struct roster *r, const char *rota, const char *when,
    const char *want)
{
	struct rota_turn tu;

	rota_turn_at(r, roster_rota(r, rota), T(when), &tu);
	if (want == NULL) {
		if (tu.team != NULL)
			fail_msg("%s at %s: %s on turn, want nobody", rota,
			    when, tu.team);
		return;
	}
	if (tu.team == NULL || strcmp(tu.team, want) != 0)
		fail_msg("%s at %s: %s on turn, want %s", rota, when,
		    tu.team ? tu.team : "nobody", want);
}

/* The call-out order as "a,b,c". */
static void
order_is(const struct roster *r, const struct rota_state *st,
    const char *role, int64_t t, const char *want)
{
	size_t		 n, i;
	const char	**v = rota_order(r, st, roster_role(r, role), t, &n);
	char		 got[256] = "";

	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(got, ",");
		strcat(got, v[i]);
	}
	assert_null(v[n]);
	free(v);
	if (strcmp(got, want) != 0) {
		char b[40];

		fail_msg("%s at %s: order %s, want %s", role,
		    rfc3339_buf(t, b, sizeof b), got, want);
	}
}

static void
test_turns_tokyo(void **state)
{
	struct roster		*r = load(roster_yaml);
	const struct rota	*ops = roster_rota(r, "ops");
	struct rota_turn	 tu;
	int64_t			 s = T("2026-12-07T00:00:00Z");

	assert_string_equal(r->timezone, "Asia/Tokyo");
	assert_int_equal(ops->start, s);
	/* Before the first turn: nobody, the first team next. */
	team_at(r, "ops", "2026-12-06T23:59:59.999Z", NULL);
	rota_turn_at(r, ops, s - 1, &tu);
	assert_int_equal(tu.k, -1);
	assert_int_equal(tu.until, s);
	assert_string_equal(tu.next, "a");
	/* The boundary instant belongs to the incoming team. */
	team_at(r, "ops", "2026-12-07T09:00:00+09:00", "a");
	team_at(r, "ops", "2026-12-14T08:59:59.999+09:00", "a");
	team_at(r, "ops", "2026-12-14T09:00:00+09:00", "b");
	rota_turn_at(r, ops, s + W, &tu);
	assert_int_equal(tu.k, 1);
	assert_int_equal(tu.since, s + W);
	assert_int_equal(tu.until, s + 2 * W);
	assert_string_equal(tu.next, "a");
	/* Month and year ends. */
	team_at(r, "ops", "2026-12-31T23:59:59+09:00", "b");	/* k=3 */
	team_at(r, "ops", "2027-01-01T00:00:00+09:00", "b");
	team_at(r, "ops", "2027-01-04T08:59:59+09:00", "b");
	team_at(r, "ops", "2027-01-04T09:00:00+09:00", "a");	/* k=4 */
	team_at(r, "ops", "2027-01-31T23:59:59+09:00", "b");	/* k=7 */
	team_at(r, "ops", "2027-02-01T09:00:00+09:00", "a");	/* k=8 */
	team_at(r, "ops", "2027-12-31T23:59:59+09:00", "b");	/* k=55 */
	team_at(r, "ops", "2028-02-29T12:00:00+09:00", "a");	/* k=64 */
	/* 12-hour turns from 21:00 local on New Year's Eve (a start
	 * written without offset is read in the roster's zone). */
	team_at(r, "night", "2026-12-31T20:59:59.999+09:00", NULL);
	team_at(r, "night", "2026-12-31T21:00:00+09:00", "a");
	team_at(r, "night", "2027-01-01T00:00:00+09:00", "a");
	team_at(r, "night", "2027-01-01T09:00:00+09:00", "b");
	team_at(r, "night", "2027-01-01T21:00:00+09:00", "a");
	team_at(r, "night", "2027-01-31T20:59:59+09:00", "b");
	team_at(r, "night", "2027-01-31T21:00:00+09:00", "a");
	/* Every turn of a year: boundaries at 09:00 JST (00:00Z). */
	{
		long long k;

		for (k = 0; k < 53; k++) {
			int64_t b = rota_boundary(r, ops, k);

			assert_int_equal(b, s + k * W);
			rota_turn_at(r, ops, b, &tu);
			assert_int_equal(tu.k, k);
			rota_turn_at(r, ops, b - 1, &tu);
			assert_int_equal(tu.k, k - 1);
		}
	}
	roster_free(r);
}

static const char berlin_yaml[] =
    "timezone: Europe/Berlin\n"
    "members: [{id: m1}, {id: m2}, {id: m3}]\n"
    "teams: [{id: x, members: [m1]}, {id: y, members: [m2]},"
    " {id: z, members: [m3]}]\n"
    "rotas:\n"
    "  - {id: day, teams: [x, y], start: \"2027-03-26T09:00:00+01:00\","
    " turn: 1d}\n"
    "  - {id: half, teams: [x, y, z], start: \"2027-03-27T21:00:00\","
    " turn: 12h}\n"
    "roles: [{id: r, members: [m1, m2, m3], rota: half}]\n";

static void
test_turns_dst(void **state)
{
	struct roster		*r = load(berlin_yaml);
	const struct rota	*day = roster_rota(r, "day");
	const struct rota	*half = roster_rota(r, "half");
	struct rota_turn	 tu;

	/* Daylight saving time begins 2027-03-28 02:00 local: turns stay at
	 * 09:00 on the wall clock, so that day's turn is 23 hours long. */
	assert_int_equal(rota_boundary(r, day, 1), T("2027-03-27T08:00:00Z"));
	assert_int_equal(rota_boundary(r, day, 2), T("2027-03-28T07:00:00Z"));
	assert_int_equal(rota_boundary(r, day, 3), T("2027-03-29T07:00:00Z"));
	team_at(r, "day", "2027-03-28T06:59:59.999Z", "y");
	team_at(r, "day", "2027-03-28T07:00:00Z", "x");
	team_at(r, "day", "2027-03-28T09:00:00+02:00", "x");
	/* 21:00 to 09:00 over the change is 11 hours. */
	assert_int_equal(rota_boundary(r, half, 0), T("2027-03-27T20:00:00Z"));
	assert_int_equal(rota_boundary(r, half, 1), T("2027-03-28T07:00:00Z"));
	assert_int_equal(rota_boundary(r, half, 2), T("2027-03-28T19:00:00Z"));
	team_at(r, "half", "2027-03-28T03:30:00+02:00", "x");
	team_at(r, "half", "2027-03-28T09:00:00+02:00", "y");
	team_at(r, "half", "2027-03-28T21:00:00+02:00", "z");
	/* Back to standard time on 2027-10-31: the night turn is 13 h. */
	rota_turn_at(r, half, T("2027-10-31T02:30:00Z"), &tu);
	assert_int_equal(tu.since, T("2027-10-30T19:00:00Z"));
	assert_int_equal(tu.until, T("2027-10-31T08:00:00Z"));
	/* Every instant of a year hour by hour: the turn found holds it and
	 * its boundaries are the rota's. */
	{
		int64_t t, t0 = T("2027-03-27T20:00:00Z");

		for (t = t0; t < t0 + 366 * D; t += H + 7) {
			rota_turn_at(r, half, t, &tu);
			assert_true(tu.since <= t && t < tu.until);
			assert_int_equal(tu.since, rota_boundary(r, half,
			    tu.k));
			assert_int_equal(tu.until, rota_boundary(r, half,
			    tu.k + 1));
			assert_int_equal(strcmp(tu.team, half->teams[tu.k % 3]),
			    0);
		}
	}
	order_is(r, NULL, "r", T("2027-03-28T09:00:00+02:00"), "m2,m1,m3");
	roster_free(r);
}

static void
test_order(void **state)
{
	struct roster		*r = load(roster_yaml);
	struct rota_override	 ov[2];
	struct team_out		 out[1];
	struct rota_state	 st = { ov, 0, out, 0 };
	int64_t			 s = T("2026-12-07T00:00:00Z");

	/* Before the start nobody is on turn: the role's own order. */
	order_is(r, NULL, "it-lead", s - 1, "tanaka,suzuki,sato,watanabe");
	order_is(r, NULL, "it-lead", s, "tanaka,suzuki,sato,watanabe");
	/* Team b's week: its members first, precedence kept. */
	order_is(r, NULL, "it-lead", s + W - 1, "tanaka,suzuki,sato,watanabe");
	order_is(r, NULL, "it-lead", s + W, "suzuki,sato,tanaka,watanabe");
	order_is(r, NULL, "it-lead", s + 2 * W, "tanaka,suzuki,sato,watanabe");
	/* A role without a rota keeps its order. */
	order_is(r, NULL, "plain", s + W, "sato,tanaka");

	/* ito covers tanaka on the second day: in tanaka's place, edges
	 * half-open; tanaka stays among the others. */
	memset(ov, 0, sizeof ov);
	ov[0] = (struct rota_override){ 1, (char *)"ops", (char *)"ito", (char *)"tanaka", s + D,
	    s + 2 * D, NULL, (char *)"admin" };
	st.nov = 1;
	order_is(r, &st, "it-lead", s + D - 1, "tanaka,suzuki,sato,watanabe");
	order_is(r, &st, "it-lead", s + D, "ito,tanaka,suzuki,sato,watanabe");
	order_is(r, &st, "it-lead", s + 2 * D - 1,
	    "ito,tanaka,suzuki,sato,watanabe");
	order_is(r, &st, "it-lead", s + 2 * D, "tanaka,suzuki,sato,watanabe");
	assert_true(rota_on_turn(r, &st, roster_rota(r, "ops"), "ito",
	    s + D));
	assert_false(rota_on_turn(r, &st, roster_rota(r, "ops"), "tanaka",
	    s + D));
	assert_true(rota_on_turn(r, &st, roster_rota(r, "ops"), "tanaka",
	    s + 2 * D));
	/* A cover outside the replaced member's turn changes nothing. */
	ov[1] = (struct rota_override){ 2, (char *)"ops", (char *)"watanabe", (char *)"suzuki",
	    s + D, s + W + 2 * D, NULL, (char *)"admin" };
	st.nov = 2;
	order_is(r, &st, "it-lead", s + D, "ito,tanaka,suzuki,sato,watanabe");
	assert_false(rota_on_turn(r, &st, roster_rota(r, "ops"), "watanabe",
	    s + D));
	/* ... and in it, the cover comes first. */
	order_is(r, &st, "it-lead", s + W + D,
	    "watanabe,sato,tanaka,suzuki");
	st.nov = 0;

	/* Team a out for three days: its members are not called at all,
	 * in any role, rota or not. */
	out[0] = (struct team_out){ (char *)"a", s, s + 3 * D, (char *)"感染者", (char *)"admin" };
	st.nout = 1;
	order_is(r, &st, "it-lead", s, "suzuki,sato,watanabe");
	order_is(r, &st, "plain", s + D, "sato");
	order_is(r, &st, "nightops", s + D, "yamada");
	order_is(r, &st, "it-lead", s + 3 * D, "tanaka,suzuki,sato,watanabe");
	assert_non_null(rota_member_out(r, &st, "kato", s + 3 * D - 1));
	assert_null(rota_member_out(r, &st, "kato", s + 3 * D));
	assert_null(rota_member_out(r, &st, "watanabe", s));
	{
		size_t		 n;
		const char	**v = rota_order_ref(r, &st, "tanaka", s, &n);

		assert_int_equal(n, 0);
		free(v);
		v = rota_order_ref(r, &st, "role:plain", s, &n);
		assert_int_equal(n, 1);
		assert_string_equal(v[0], "sato");
		free(v);
	}
	roster_free(r);
}

static void
test_checks(void **state)
{
	struct roster		*r = load(roster_yaml);
	struct rota_override	 ov[1], o;
	struct team_out		 out[1];
	struct rota_state	 st = { ov, 1, out, 0 };
	int64_t			 s = T("2026-12-07T00:00:00Z");
	char			*why = NULL;
	json_t			*empty;

	ov[0] = (struct rota_override){ 7, (char *)"ops", (char *)"ito", (char *)"tanaka", s + D,
	    s + 2 * D, NULL, (char *)"admin" };
#define REFUSED(ovr, now, text) do {					\
	o = (ovr);							\
	assert_int_equal(rota_override_check(r, &st, &o, now, &why), -1); \
	if (strstr(why, text) == NULL)					\
		fail_msg("why \"%s\" lacks \"%s\"", why, text);		\
	free(why);							\
	why = NULL;							\
} while (0)
	REFUSED(((struct rota_override){ 0, (char *)"ops", (char *)"ito", (char *)"kato",
	    s + 2 * D - 1, s + 3 * D, NULL, NULL }), s, "overlaps override 7");
	REFUSED(((struct rota_override){ 0, (char *)"ops", (char *)"sato", (char *)"tanaka",
	    s, s + D + 1, NULL, NULL }), s, "overlaps override 7");
	REFUSED(((struct rota_override){ 0, (char *)"ops", (char *)"ito", (char *)"kato",
	    s, s + D, NULL, NULL }), s + D, "in the past");
	REFUSED(((struct rota_override){ 0, (char *)"ops", (char *)"ito", (char *)"kato",
	    s + D, s + D, NULL, NULL }), s, "before --until");
	REFUSED(((struct rota_override){ 0, (char *)"nope", (char *)"ito", (char *)"kato",
	    s, s + D, NULL, NULL }), s, "unknown rota");
	REFUSED(((struct rota_override){ 0, (char *)"ops", (char *)"nobody", (char *)"kato",
	    s, s + D, NULL, NULL }), s, "unknown member \"nobody\"");
	REFUSED(((struct rota_override){ 0, (char *)"ops", (char *)"ito", (char *)"watanabe",
	    s, s + D, NULL, NULL }), s, "takes no turns");
	REFUSED(((struct rota_override){ 0, (char *)"ops", (char *)"ito", (char *)"ito",
	    s, s + D, NULL, NULL }), s, "themselves");
	/* Touching at an edge is not overlapping. */
	o = (struct rota_override){ 0, (char *)"ops", (char *)"ito", (char *)"kato", s + 2 * D,
	    s + 3 * D, NULL, NULL };
	assert_int_equal(rota_override_check(r, &st, &o, s, &why), 0);
	o = (struct rota_override){ 0, (char *)"ops", (char *)"kato", (char *)"tanaka", s, s + D,
	    NULL, NULL };
	assert_int_equal(rota_override_check(r, &st, &o, s, &why), 0);

	/* Team out: b alone leaves every role someone; a and b leave plain
	 * and nightops empty (watanabe is in no team). */
	assert_int_equal(rota_out_check(r, &st, "b", s + D, s, &empty, &why),
	    0);
	assert_int_equal(json_array_size(empty), 0);
	json_decref(empty);
	out[0] = (struct team_out){ (char *)"a", s, s + 3 * D, NULL, NULL };
	st.nout = 1;
	assert_int_equal(rota_out_check(r, &st, "b", s + D, s, &empty, &why),
	    0);
	assert_int_equal(json_array_size(empty), 2);
	assert_string_equal(json_string_value(json_array_get(empty, 0)),
	    "plain");
	assert_string_equal(json_string_value(json_array_get(empty, 1)),
	    "nightops");
	json_decref(empty);
	assert_int_equal(rota_out_check(r, &st, "b", s, s, &empty, &why), -1);
	assert_non_null(strstr(why, "in the past"));
	free(why);
	assert_int_equal(rota_out_check(r, &st, "c", s + D, s, &empty, &why),
	    -1);
	assert_non_null(strstr(why, "unknown team"));
	free(why);
	roster_free(r);
}

struct pieces {
	char	buf[2048];
	int64_t	base;
};

static void
piece(void *arg, const char *team, const char *member, const char *repl,
    int64_t from, int64_t until)
{
	struct pieces	*p = arg;
	size_t		 len = strlen(p->buf);

	snprintf(p->buf + len, sizeof p->buf - len, "%s%s%s%s@%lld-%lld;",
	    team, member ? ":" : "", member ? member : "", repl ? "/" : "",
	    (long long)((from - p->base) / H), (long long)((until - p->base) /
	    H));
	if (repl != NULL) {
		len = strlen(p->buf) - 1;
		snprintf(p->buf + len, sizeof p->buf - len, "(%s);", repl);
	}
}

static void
test_pieces(void **state)
{
	struct roster		*r = load(roster_yaml);
	const struct rota	*ops = roster_rota(r, "ops");
	struct rota_override	 ov[1];
	struct rota_state	 st = { ov, 1, NULL, 0 };
	int64_t			 s = T("2026-12-07T00:00:00Z");
	struct pieces		 p;

	ov[0] = (struct rota_override){ 1, (char *)"ops", (char *)"ito", (char *)"tanaka", s + D,
	    s + 2 * D, NULL, (char *)"admin" };
	memset(&p, 0, sizeof p);
	p.base = s;
	rota_pieces(r, &st, ops, NULL, s - D, s + 3 * W, piece, &p);
	assert_string_equal(p.buf, "a@0-168;b@168-336;a@336-504;");
	memset(p.buf, 0, sizeof p.buf);
	rota_pieces(r, &st, ops, "tanaka", s, s + 3 * W, piece, &p);
	assert_string_equal(p.buf, "a:tanaka@0-24;a:tanaka@48-168;"
	    "a:tanaka@336-504;");
	memset(p.buf, 0, sizeof p.buf);
	rota_pieces(r, &st, ops, "ito", s, s + W, piece, &p);
	assert_string_equal(p.buf, "a:ito@0-24;a:ito/@24-48(tanaka);"
	    "a:ito@48-168;");
	memset(p.buf, 0, sizeof p.buf);
	rota_pieces(r, &st, ops, "watanabe", s, s + 3 * W, piece, &p);
	assert_string_equal(p.buf, "");
	roster_free(r);
}

static void
test_refusals(void **state)
{
	static const struct {
		const char	*yaml;
		const char	*want;
	} cases[] = {
		{ "members: [{id: a}]\nteams: [{id: t, members: [a]}]\n"
		  "rotas: [{id: r, teams: [t], start: \"2027-01-01T09:00:00Z\","
		  " turn: 0s}]\n", "roster.yaml:3:66: rota \"r\": a turn must "
		  "be longer than 0 and at most 31 days" },
		{ "members: [{id: a}]\nteams: [{id: t, members: [a]}]\n"
		  "rotas: [{id: r, teams: [t], start: \"2027-01-01T09:00:00Z\","
		  " turn: 32d}]\n", "at most 31 days" },
		{ "timezone: Asia/Nowhere\nmembers: [{id: a}]\n",
		  "roster.yaml:1:11: unknown time zone \"Asia/Nowhere\"" },
		{ "members: [{id: a}]\nteams: [{id: t, members: [a]},"
		  " {id: u, members: [a]}]\n",
		  "roster.yaml:2:50: member \"a\" is already in team \"t\"" },
		{ "members: [{id: a}]\nteams: [{id: t, members: [a]}]\n"
		  "rotas: [{id: r, teams: [t, x], start: \"2027-01-01\","
		  " turn: 1d}]\n", "rota \"r\": unknown team \"x\"" },
		{ "members: [{id: a}]\n"
		  "rotas: [{id: r, teams: [], start: \"2027-01-01T00:00:00Z\","
		  " turn: 1d}]\n", "rota \"r\" has no teams" },
		{ "members: [{id: a}]\nteams: [{id: t, members: [a]}]\n"
		  "rotas: [{id: r, teams: [t], start: tomorrow, turn: 1d}]\n",
		  "start \"tomorrow\" must be a time" },
		{ "members: [{id: a}]\nroles: [{id: x, members: [a],"
		  " rota: nope}]\n", "role \"x\": unknown rota \"nope\"" },
		{ "members: [{id: a}]\nteams: [{id: t, members: [b]}]\n",
		  "team \"t\": unknown member \"b\"" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *all = load_bad(cases[i].yaml);

		if (strstr(all, cases[i].want) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, all,
			    cases[i].want);
		free(all);
	}
	assert_false(tz_known("../etc/passwd"));
	assert_false(tz_known("Asia/Nowhere"));
	assert_true(tz_known("UTC"));
	assert_true(tz_known("America/New_York"));
}

static void
test_oncall_json(void **state)
{
	struct roster	*r = load(roster_yaml);
	json_t		*j = rota_oncall_json(r, NULL,
			    T("2026-12-14T09:00:00+09:00"));
	json_t		*ro = json_array_get(json_object_get(j, "rotas"), 0);

	assert_string_equal(json_string_value(json_object_get(ro, "team")),
	    "b");
	assert_string_equal(json_string_value(json_object_get(ro, "next")),
	    "a");
	assert_string_equal(json_string_value(json_object_get(ro, "since")),
	    "2026-12-14T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(ro, "until")),
	    "2026-12-21T00:00:00Z");
	ro = json_array_get(json_object_get(j, "roles"), 0);
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(ro, "order"), 0)), "suzuki");
	assert_int_equal(json_array_size(json_object_get(j, "roles")), 2);
	json_decref(j);
	roster_free(r);
}

/* The calendar read back by libical's parser: no errors, one VEVENT per
 * piece, a DST zone's VTIMEZONE with its change inside the window. */
static void
test_ics(void **state)
{
	struct roster		*r = load(berlin_yaml);
	struct rota_override	 ov[1];
	struct rota_state	 st = { ov, 1, NULL, 0 };
	int64_t			 s = T("2027-03-27T20:00:00Z");
	char			*text;
	icalcomponent		*c, *e, *tz;
	int			 n = 0;

	ov[0] = (struct rota_override){ 1, (char *)"half", (char *)"m3", (char *)"m1", s + H,
	    s + 2 * H, NULL, (char *)"admin" };
	text = rota_ics(r, &st, roster_rota(r, "half"), "m1", s, s + 3 * D,
	    s);
	c = icalparser_parse_string(text);
	assert_non_null(c);
	assert_int_equal(icalcomponent_count_errors(c), 0);
	for (e = icalcomponent_get_first_component(c, ICAL_VEVENT_COMPONENT);
	    e != NULL;
	    e = icalcomponent_get_next_component(c, ICAL_VEVENT_COMPONENT))
		n++;
	/* m1 (team x of three) holds turns 0 (less the cover's hour), 3
	 * and 6 of the three days: 4 pieces. */
	assert_int_equal(n, 4);
	tz = icalcomponent_get_first_component(c, ICAL_VTIMEZONE_COMPONENT);
	assert_non_null(tz);
	assert_non_null(icalcomponent_get_first_component(tz,
	    ICAL_XDAYLIGHT_COMPONENT));
	assert_non_null(strstr(text, "DTSTART;TZID=Europe/Berlin:"
	    "20270327T210000"));
	assert_non_null(strstr(text, "DTEND;TZID=Europe/Berlin:"
	    "20270327T220000"));
	assert_null(strstr(text, "RRULE"));
	icalcomponent_free(c);
	free(text);
	/* The rota's own feed: one event per turn; the night of the change
	 * is an hour short, so a seventh turn begins inside three days. */
	text = rota_ics(r, &st, roster_rota(r, "half"), NULL, s, s + 3 * D,
	    s);
	c = icalparser_parse_string(text);
	n = 0;
	for (e = icalcomponent_get_first_component(c, ICAL_VEVENT_COMPONENT);
	    e != NULL;
	    e = icalcomponent_get_next_component(c, ICAL_VEVENT_COMPONENT))
		n++;
	assert_int_equal(n, 7);
	icalcomponent_free(c);
	free(text);
	roster_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_turns_tokyo),
		cmocka_unit_test(test_turns_dst),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_oncall_json),
		cmocka_unit_test(test_ics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
