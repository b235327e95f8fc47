/* Shift teams and rotas (SPEC §16). See rota.h. */
#include <libical/ical.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/diag.h"
#include "common/duration.h"
#include "common/timeutil.h"
#include "common/strmap.h"
#include "common/xmalloc.h"
#include "common/ytree.h"
#include "model/roster.h"
#include "model/rota.h"

static const char *const team_keys[] = { "id", "title", "members", NULL };
static const char *const rota_keys[] = {
	"id", "title", "teams", "start", "turn", NULL
};

/* --- time zones ------------------------------------------------------ */

static icaltimezone *
tz_get(const char *zone)
{
	static char		 last[64];
	static icaltimezone	*lastz;

	if (zone == NULL)
		zone = ROTA_ZONE_DEFAULT;
	if (lastz != NULL && strcmp(last, zone) == 0)
		return lastz;
	if (strcmp(zone, "UTC") == 0 || strcmp(zone, "Etc/UTC") == 0)
		return icaltimezone_get_utc_timezone();
	if (strstr(zone, "..") != NULL || zone[0] == '/' ||
	    strlen(zone) >= sizeof last)
		return NULL;
	if ((lastz = icaltimezone_get_builtin_timezone(zone)) != NULL)
		kz_strlcpy(last, zone, sizeof last);
	return lastz;
}

int
tz_known(const char *zone)
{
	return zone != NULL && tz_get(zone) != NULL;
}

static struct icaltimetype
tt_of(int64_t ms)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);

	return icaltime_from_timet_with_zone(t, 0, NULL);
}

int64_t
tz_offset(const char *zone, int64_t t)
{
	icaltimezone		*z = tz_get(zone);
	struct icaltimetype	 tt = tt_of(t);
	int			 dl;

	if (z == NULL)
		return 0;
	return (int64_t)icaltimezone_get_utc_offset_of_utc_time(z, &tt, &dl) *
	    1000;
}

int64_t
tz_to_utc(const char *zone, int64_t local)
{
	icaltimezone		*z = tz_get(zone);
	struct icaltimetype	 tt = tt_of(local);
	int			 dl;

	if (z == NULL)
		return local;
	return local - (int64_t)icaltimezone_get_utc_offset(z, &tt, &dl) *
	    1000;
}

/* --- loading --------------------------------------------------------- */

static void
load_team(struct roster *r, const char *file, const struct ynode *n,
    struct diags *d)
{
	struct team	*tm;
	struct ynode	*ms = NULL;
	const char	*s;
	size_t		 i;

	if (n->type != Y_MAP) {
		diag_node(d, file, n, "a team must be a map");
		return;
	}
	ycheck_keys(d, file, n, team_keys, "team");
	if (yget_str(d, file, n, "id", 1, &s) != 1)
		return;
	if (!valid_id(s)) {
		diag_node(d, file, ymap_get(n, "id"),
		    "team id \"%s\" must match [a-z0-9][a-z0-9_-]*", s);
		return;
	}
	if (roster_team(r, s) != NULL) {
		diag_node(d, file, ymap_get(n, "id"), "duplicate team id "
		    "\"%s\"", s);
		return;
	}
	r->teams = xreallocarray(r->teams, r->nteams + 1, sizeof *r->teams);
	tm = &r->teams[r->nteams++];
	memset(tm, 0, sizeof *tm);
	tm->id = xstrdup(s);
	tm->members = xcalloc(1, sizeof *tm->members);
	if (yget_str(d, file, n, "title", 0, &s) == 1)
		tm->title = xstrdup(s);
	if (yget_node(d, file, n, "members", Y_SEQ, 1, &ms) != 1)
		return;
	if (ms->n == 0)
		diag_node(d, file, ms, "team \"%s\" has no members", tm->id);
	for (i = 0; i < ms->n; i++) {
		const char	*mid = yscalar(ms->items[i]);
		struct member	*m;
		size_t		 j;

		if (mid == NULL) {
			diag_node(d, file, ms->items[i],
			    "team members must be member ids");
			continue;
		}
		for (j = 0, m = NULL; j < r->nmembers; j++)
			if (strcmp(r->members[j].id, mid) == 0)
				m = &r->members[j];
		if (m == NULL) {
			diag_node(d, file, ms->items[i],
			    "team \"%s\": unknown member \"%s\"", tm->id, mid);
			continue;
		}
		if (m->team >= 0) {
			diag_node(d, file, ms->items[i], "member \"%s\" is "
			    "already in team \"%s\": a member belongs to at "
			    "most one team", mid, r->teams[m->team].id);
			continue;
		}
		m->team = (int)(r->nteams - 1);
		tm->members = xreallocarray(tm->members, tm->nmembers + 2,
		    sizeof *tm->members);
		tm->members[tm->nmembers++] = xstrdup(mid);
		tm->members[tm->nmembers] = NULL;
	}
}

static void
load_rota(struct roster *r, const char *file, const struct ynode *n,
    struct diags *d)
{
	struct rota	*ro;
	struct ynode	*ts = NULL, *sn;
	const char	*s;
	char		*buf;
	size_t		 i;
	int64_t		 turn;

	if (n->type != Y_MAP) {
		diag_node(d, file, n, "a rota must be a map");
		return;
	}
	ycheck_keys(d, file, n, rota_keys, "rota");
	if (yget_str(d, file, n, "id", 1, &s) != 1)
		return;
	if (!valid_id(s)) {
		diag_node(d, file, ymap_get(n, "id"),
		    "rota id \"%s\" must match [a-z0-9][a-z0-9_-]*", s);
		return;
	}
	if (roster_rota(r, s) != NULL) {
		diag_node(d, file, ymap_get(n, "id"), "duplicate rota id "
		    "\"%s\"", s);
		return;
	}
	r->rotas = xreallocarray(r->rotas, r->nrotas + 1, sizeof *r->rotas);
	ro = &r->rotas[r->nrotas++];
	memset(ro, 0, sizeof *ro);
	ro->id = xstrdup(s);
	ro->teams = xcalloc(1, sizeof *ro->teams);
	ro->turn = 7 * 86400 * 1000LL;
	if (yget_str(d, file, n, "title", 0, &s) == 1)
		ro->title = xstrdup(s);
	if (yget_node(d, file, n, "teams", Y_SEQ, 1, &ts) == 1 &&
	    ts->n == 0)
		diag_node(d, file, ts, "rota \"%s\" has no teams: a rota "
		    "takes turns between teams", ro->id);
	for (i = 0; ts != NULL && i < ts->n; i++) {
		const char *tid = yscalar(ts->items[i]);

		if (tid == NULL || roster_team(r, tid) == NULL) {
			diag_node(d, file, ts->items[i], "rota \"%s\": unknown "
			    "team \"%s\"", ro->id, tid ? tid : "?");
			continue;
		}
		ro->teams = xreallocarray(ro->teams, ro->nteams + 2,
		    sizeof *ro->teams);
		ro->tix = xreallocarray(ro->tix, ro->nteams + 1,
		    sizeof *ro->tix);
		ro->tix[ro->nteams] = (int)(roster_team(r, tid) - r->teams);
		ro->teams[ro->nteams++] = xstrdup(tid);
		ro->teams[ro->nteams] = NULL;
	}
	if (yget_duration(d, file, n, "turn", 1, &turn) == 1) {
		if (turn <= 0 || turn * 1000 > ROTA_TURN_MAX_MS)
			diag_node(d, file, ymap_get(n, "turn"), "rota \"%s\": "
			    "a turn must be longer than 0 and at most 31 days",
			    ro->id);
		else
			ro->turn = turn * 1000;
	}
	if (yget_str(d, file, n, "start", 1, &s) != 1)
		return;
	sn = ymap_get(n, "start");
	if (rfc3339_parse(s, &ro->start) == 0 && strlen(s) > 10) {
		ro->start_local = ro->start + tz_offset(r->timezone,
		    ro->start);
		return;
	}
	/* A wall-clock time without offset is read in the roster's zone. */
	buf = xprintf("%sZ", s);
	if (strlen(s) > 10 && rfc3339_parse(buf, &ro->start_local) == 0)
		ro->start = tz_to_utc(r->timezone, ro->start_local);
	else
		diag_node(d, file, sn, "rota \"%s\": start \"%s\" must be a "
		    "time such as 2026-12-07T09:00:00+09:00", ro->id, s);
	free(buf);
}

void
rota_parse(struct roster *r, const char *file, const struct ynode *root,
    struct diags *d)
{
	struct ynode	*ts, *rs;
	const char	*s;
	size_t		 i, j;

	r->timezone = xstrdup(ROTA_ZONE_DEFAULT);
	if (yget_str(d, file, root, "timezone", 0, &s) == 1) {
		if (!tz_known(s))
			diag_node(d, file, ymap_get(root, "timezone"),
			    "unknown time zone \"%s\" (a name of the zone "
			    "database such as Asia/Tokyo)", s);
		else {
			free(r->timezone);
			r->timezone = xstrdup(s);
		}
	}
	if (yget_node(d, file, root, "teams", Y_SEQ, 0, &ts) == 1)
		for (i = 0; i < ts->n; i++)
			load_team(r, file, ts->items[i], d);
	if (yget_node(d, file, root, "rotas", Y_SEQ, 0, &rs) == 1)
		for (i = 0; i < rs->n; i++)
			load_rota(r, file, rs->items[i], d);
	/* Roles name rotas; each role keeps its members' teams. */
	for (i = 0; i < r->nroles; i++) {
		struct role *ro = &r->roles[i];

		ro->mteam = xcalloc(ro->nmembers + 1, sizeof *ro->mteam);
		for (j = 0; j < ro->nmembers; j++)
			ro->mteam[j] = roster_member(r, ro->members[j])->team;
	}
	if (yget_node(d, file, root, "roles", Y_SEQ, 0, &rs) != 1)
		return;
	for (i = 0; i < rs->n; i++) {
		struct ynode		*rn = ymap_get(rs->items[i], "rota");
		const struct role	*ro;

		ro = roster_role(r, yscalar(ymap_get(rs->items[i], "id")));
		if (ro != NULL && ro->rota != NULL &&
		    roster_rota(r, ro->rota) == NULL)
			diag_node(d, file, rn, "role \"%s\": unknown rota "
			    "\"%s\"", ro->id, ro->rota);
	}
}

void
rota_free_roster(struct roster *r)
{
	size_t i;

	for (i = 0; i < r->nteams; i++) {
		free(r->teams[i].id);
		free(r->teams[i].title);
		strv_free(r->teams[i].members);
	}
	for (i = 0; i < r->nrotas; i++) {
		free(r->rotas[i].id);
		free(r->rotas[i].title);
		strv_free(r->rotas[i].teams);
		free(r->rotas[i].tix);
	}
	for (i = 0; i < r->nroles; i++)
		free(r->roles[i].mteam);
	free(r->teams);
	free(r->rotas);
	free(r->timezone);
	rota_order_memo_clear(r);
}

void
rota_roster_json(const struct roster *r, json_t *o)
{
	json_t	*ts = json_array(), *rs = json_array();
	size_t	 i, j;
	char	 b[40];

	for (i = 0; i < r->nteams; i++) {
		json_t *ms = json_array();

		for (j = 0; j < r->teams[i].nmembers; j++)
			json_array_append_new(ms,
			    json_string(r->teams[i].members[j]));
		json_array_append_new(ts, json_pack("{s:s,s:s?,s:o}", "id",
		    r->teams[i].id, "title", r->teams[i].title, "members",
		    ms));
	}
	for (i = 0; i < r->nrotas; i++) {
		const struct rota	*ro = &r->rotas[i];
		json_t			*tm = json_array();
		char			*turn = duration_fmt(ro->turn / 1000);

		for (j = 0; j < ro->nteams; j++)
			json_array_append_new(tm, json_string(ro->teams[j]));
		json_array_append_new(rs, json_pack("{s:s,s:s?,s:o,s:s,s:s}",
		    "id", ro->id, "title", ro->title, "teams", tm, "start",
		    rfc3339_buf(ro->start, b, sizeof b), "turn", turn));
		free(turn);
	}
	json_object_set_new(o, "timezone", json_string(r->timezone ?
	    r->timezone : ROTA_ZONE_DEFAULT));
	json_object_set_new(o, "teams", ts);
	json_object_set_new(o, "rotas", rs);
}

const struct team *
roster_team(const struct roster *r, const char *id)
{
	size_t i;

	for (i = 0; r != NULL && id != NULL && i < r->nteams; i++)
		if (strcmp(r->teams[i].id, id) == 0)
			return &r->teams[i];
	return NULL;
}

const struct rota *
roster_rota(const struct roster *r, const char *id)
{
	size_t i;

	for (i = 0; r != NULL && id != NULL && i < r->nrotas; i++)
		if (strcmp(r->rotas[i].id, id) == 0)
			return &r->rotas[i];
	return NULL;
}

const struct team *
roster_team_of(const struct roster *r, const char *member)
{
	const struct member *m = roster_member(r, member);

	return m != NULL && m->team >= 0 ? &r->teams[m->team] : NULL;
}

/* --- turns ----------------------------------------------------------- */

int64_t
rota_boundary(const struct roster *r, const struct rota *ro, long long k)
{
	return tz_to_utc(r->timezone, ro->start_local + k * ro->turn);
}

static long long
floordiv(int64_t a, int64_t b)
{
	return (long long)(a >= 0 ? a / b : -((-a + b - 1) / b));
}

void
rota_turn_at(const struct roster *r, const struct rota *ro, int64_t t,
    struct rota_turn *out)
{
	long long	k;
	int64_t		local = t + tz_offset(r->timezone, t);

	memset(out, 0, sizeof *out);
	if (ro->nteams == 0) {
		out->k = -1;
		return;
	}
	if (t < ro->start) {
		out->k = -1;
		out->until = ro->start;
		out->next = ro->teams[0];
		return;
	}
	k = floordiv(local - ro->start_local, ro->turn);
	if (k < 0)
		k = 0;
	while (k > 0 && rota_boundary(r, ro, k) > t)
		k--;
	while (rota_boundary(r, ro, k + 1) <= t)
		k++;
	out->k = k;
	out->since = rota_boundary(r, ro, k);
	out->until = rota_boundary(r, ro, k + 1);
	out->team = ro->teams[k % (long long)ro->nteams];
	out->next = ro->teams[(k + 1) % (long long)ro->nteams];
}

static int
team_ix_on(const struct roster *r, const struct rota_turn *tu, int ix)
{
	return ix >= 0 && tu->team != NULL &&
	    strcmp(r->teams[ix].id, tu->team) == 0;
}

static int
member_team_on(const struct roster *r, const struct rota *ro,
    const struct rota_turn *tu, const char *member)
{
	const struct member *m = roster_member(r, member);

	(void)ro;
	return m != NULL && team_ix_on(r, tu, m->team);
}

static const struct rota_override *
active_ov(const struct rota_state *st, const struct rota *ro, const char
    *member, const char *replaces, int64_t t)
{
	size_t i;

	for (i = 0; st != NULL && i < st->nov; i++) {
		const struct rota_override *o = &st->ov[i];

		if (o->from > t || t >= o->until || strcmp(o->rota, ro->id))
			continue;
		if (member != NULL && strcmp(o->member, member) == 0)
			return o;
		if (replaces != NULL && strcmp(o->replaces, replaces) == 0)
			return o;
	}
	return NULL;
}

static int
on_turn(const struct roster *r, const struct rota_state *st,
    const struct rota *ro, const struct rota_turn *tu, const char *member,
    int64_t t)
{
	const struct rota_override *o;

	/* Covering someone whose team is on turn. */
	if ((o = active_ov(st, ro, member, NULL, t)) != NULL &&
	    member_team_on(r, ro, tu, o->replaces))
		return 1;
	if (!member_team_on(r, ro, tu, member))
		return 0;
	return active_ov(st, ro, NULL, member, t) == NULL;
}

int
rota_on_turn(const struct roster *r, const struct rota_state *st,
    const struct rota *ro, const char *member, int64_t t)
{
	struct rota_turn tu;

	rota_turn_at(r, ro, t, &tu);
	return on_turn(r, st, ro, &tu, member, t);
}

const struct team_out *
rota_member_out(const struct roster *r, const struct rota_state *st,
    const char *member, int64_t t)
{
	const struct team	*tm = roster_team_of(r, member);
	size_t			 i;

	for (i = 0; tm != NULL && st != NULL && i < st->nout; i++)
		if (strcmp(st->out[i].team, tm->id) == 0 &&
		    st->out[i].from <= t && t < st->out[i].until)
			return &st->out[i];
	return NULL;
}

/* Adds id to the order once: seen maps each id taken to its place, so
 * that ordering a role of N members costs O(N), not O(N^2). ix is the
 * member's index in the role, or SIZE_MAX for a cover from outside. */
static void
order_add(const char **v, size_t *vix, size_t *n, struct strmap *seen,
    const char *id, size_t ix)
{
	size_t at;

	if (strmap_get(seen, id, &at))
		return;
	strmap_put(seen, id, *n);
	vix[*n] = ix;
	v[(*n)++] = id;
	v[*n] = NULL;
}

/* Whether team ix is out at t. */
static int
team_ix_out(const struct roster *r, const struct rota_state *st, int ix,
    int64_t t)
{
	size_t i;

	for (i = 0; ix >= 0 && st != NULL && i < st->nout; i++)
		if (st->out[i].from <= t && t < st->out[i].until &&
		    strcmp(st->out[i].team, r->teams[ix].id) == 0)
			return 1;
	return 0;
}

const char **
rota_order(const struct roster *r, const struct rota_state *st,
    const struct role *role, int64_t t, size_t *np)
{
	const struct rota		 *ro = roster_rota(r, role->rota);
	const struct rota_override	**act = NULL;
	const char			**v, **w;
	unsigned char			 *tout;
	size_t				  n = 0, nw = 0, nact = 0, i, j, *vix;
	struct rota_turn		  tu;
	struct strmap			  seen = { 0 };

	/* Which teams are out, and the covers in force, once per call. */
	tout = xcalloc(r->nteams + 1, 1);
	for (i = 0; i < r->nteams; i++)
		tout[i] = (unsigned char)team_ix_out(r, st, (int)i, t);
	/* Covers may add one member per role member. */
	v = xcalloc(2 * role->nmembers + 1, sizeof *v);
	vix = xcalloc(2 * role->nmembers + 1, sizeof *vix);
	if (ro != NULL) {
		rota_turn_at(r, ro, t, &tu);
		act = xcalloc((st ? st->nov : 0) + 1, sizeof *act);
		for (i = 0; st != NULL && i < st->nov; i++)
			if (st->ov[i].from <= t && t < st->ov[i].until &&
			    strcmp(st->ov[i].rota, ro->id) == 0)
				act[nact++] = &st->ov[i];
		for (i = 0; i < role->nmembers; i++) {
			const char *m = role->members[i];

			if (!team_ix_on(r, &tu, role->mteam[i]))
				continue;
			for (j = 0; j < nact; j++)
				if (strcmp(act[j]->replaces, m) == 0)
					break;
			if (j < nact)
				order_add(v, vix, &n, &seen, act[j]->member,
				    SIZE_MAX);
			else
				order_add(v, vix, &n, &seen, m, i);
		}
		free(act);
	}
	for (i = 0; i < role->nmembers; i++)
		order_add(v, vix, &n, &seen, role->members[i], i);
	strmap_clear(&seen);
	/* Minus those who are out. */
	w = xcalloc(n + 1, sizeof *w);
	for (i = 0; i < n; i++) {
		const struct member	*m;
		int			 ix = -1;

		if (vix[i] != SIZE_MAX)
			ix = role->mteam[vix[i]];
		else if ((m = roster_member(r, v[i])) != NULL)
			ix = m->team;
		if (ix < 0 || !tout[ix])
			w[nw++] = v[i];
	}
	free(tout);
	free(vix);
	free(v);
	if (np != NULL)
		*np = nw;
	return w;
}

/* --- the call-out order, kept (a fan-out's batches) ------------------ */

#define ORDER_MEMO	4	/* orders kept per roster */

struct rota_order_memo {
	struct {
		const struct role	 *role;
		const struct rota_state	 *st;
		int64_t			  from, until;
		const char		**v;
		size_t			  n;
		unsigned		  fp;
	}		 e[ORDER_MEMO];
	size_t		 next;		/* the entry replaced next */
};

static void
span_edge(int64_t e, int64_t t, int64_t *from, int64_t *until)
{
	if (e <= t) {
		if (e > *from)
			*from = e;
	} else if (e < *until)
		*until = e;
}

/* The span [from, until) around t in which the role's order stays what
 * it is at t: its rota's turn, and every cover's and out's edges (those
 * of other rotas and teams too: a shorter span is only a recompute). */
static void
order_span(const struct roster *r, const struct rota_state *st,
    const struct role *role, int64_t t, int64_t *from, int64_t *until)
{
	const struct rota	*ro = roster_rota(r, role->rota);
	struct rota_turn	 tu;
	size_t			 i;

	*from = INT64_MIN;
	*until = INT64_MAX;
	if (ro != NULL && ro->nteams > 0) {
		rota_turn_at(r, ro, t, &tu);
		if (tu.k >= 0)
			span_edge(tu.since, t, from, until);
		span_edge(tu.until, t, from, until);
	}
	for (i = 0; st != NULL && i < st->nov; i++) {
		span_edge(st->ov[i].from, t, from, until);
		span_edge(st->ov[i].until, t, from, until);
	}
	for (i = 0; st != NULL && i < st->nout; i++) {
		span_edge(st->out[i].from, t, from, until);
		span_edge(st->out[i].until, t, from, until);
	}
}

/* FNV-1a over the role's id and the members in order, 31 bits. */
static unsigned
order_fp(const struct role *role, const char *const *v, size_t n)
{
	uint32_t	 h = 2166136261u;
	const char	*p;
	size_t		 i;

	for (p = role->id; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (i = 0; i < n; i++) {
		h = (h ^ '\n') * 16777619u;
		for (p = v[i]; *p != '\0'; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
	}
	return h & 0x7fffffff;
}

const char *const *
rota_order_memo(const struct roster *r, const struct rota_state *st,
    const struct role *role, int64_t t, size_t *n, unsigned *fp)
{
	struct rota_order_memo	*mm = r->omemo;
	size_t			 i;

	if (mm == NULL)
		mm = ((struct roster *)r)->omemo = xcalloc(1, sizeof *mm);
	for (i = 0; i < ORDER_MEMO; i++)
		if (mm->e[i].v != NULL && mm->e[i].role == role &&
		    mm->e[i].st == st && mm->e[i].from <= t &&
		    t < mm->e[i].until)
			break;
	if (i == ORDER_MEMO) {
		i = mm->next;
		mm->next = (i + 1) % ORDER_MEMO;
		free(mm->e[i].v);
		mm->e[i].role = role;
		mm->e[i].st = st;
		order_span(r, st, role, t, &mm->e[i].from, &mm->e[i].until);
		mm->e[i].v = rota_order(r, st, role, t, &mm->e[i].n);
		mm->e[i].fp = order_fp(role, mm->e[i].v, mm->e[i].n);
	}
	*n = mm->e[i].n;
	*fp = mm->e[i].fp;
	return mm->e[i].v;
}

void
rota_order_memo_clear(struct roster *r)
{
	size_t i;

	if (r == NULL || r->omemo == NULL)
		return;
	for (i = 0; i < ORDER_MEMO; i++)
		free(r->omemo->e[i].v);
	free(r->omemo);
	r->omemo = NULL;
}

const char **
rota_order_ref(const struct roster *r, const struct rota_state *st,
    const char *ref, int64_t t, size_t *np)
{
	const struct role	*ro;
	const struct member	*m;
	const char		**v;

	if (ref != NULL && strncmp(ref, "role:", 5) == 0 &&
	    (ro = roster_role(r, ref + 5)) != NULL)
		return rota_order(r, st, ro, t, np);
	v = xcalloc(2, sizeof *v);
	if (np != NULL)
		*np = 0;
	if (ref != NULL && (m = roster_member(r, ref)) != NULL &&
	    rota_member_out(r, st, m->id, t) == NULL) {
		v[0] = m->id;
		if (np != NULL)
			*np = 1;
	}
	return v;
}

/* --- pieces (calendars, rota show) ----------------------------------- */

/* The member's (or team's) covers inside one turn, in time order. */
static void
turn_pieces(const struct roster *r, const struct rota_state *st,
    const struct rota *ro, const char *team, const char *member,
    int64_t from, int64_t until, rota_piece_cb *cb, void *arg)
{
	const struct team	*tm = roster_team_of(r, member);
	int64_t			 t = from;
	size_t			 i;

	if (member == NULL) {
		cb(arg, team, NULL, NULL, from, until);
		return;
	}
	/* Walk the turn from one cover edge to the next. */
	while (t < until) {
		int64_t		 next = until;
		int		 on;
		const struct rota_override *o;

		for (i = 0; st != NULL && i < st->nov; i++) {
			const struct rota_override *x = &st->ov[i];

			if (strcmp(x->rota, ro->id) != 0)
				continue;
			if (x->from > t && x->from < next)
				next = x->from;
			if (x->until > t && x->until < next)
				next = x->until;
		}
		o = active_ov(st, ro, member, NULL, t);
		if (o != NULL && strcmp(team, roster_team_of(r, o->replaces) ?
		    roster_team_of(r, o->replaces)->id : "") == 0)
			cb(arg, team, member, o->replaces, t, next);
		else {
			on = tm != NULL && strcmp(tm->id, team) == 0 &&
			    active_ov(st, ro, NULL, member, t) == NULL;
			if (on)
				cb(arg, team, member, NULL, t, next);
		}
		t = next;
	}
}

void
rota_pieces(const struct roster *r, const struct rota_state *st,
    const struct rota *ro, const char *member, int64_t from, int64_t until,
    rota_piece_cb *cb, void *arg)
{
	struct rota_turn	tu;
	int64_t			t = from;

	if (ro->nteams == 0)
		return;
	while (t < until) {
		int64_t a, b;

		rota_turn_at(r, ro, t, &tu);
		if (tu.team == NULL) {
			t = tu.until;
			continue;
		}
		a = tu.since;
		b = tu.until;
		if (member != NULL) {
			/* Pieces clipped to the window only at its ends. */
			turn_pieces(r, st, ro, tu.team, member, a, b, cb, arg);
		} else
			cb(arg, tu.team, NULL, NULL, a, b);
		t = b;
	}
}

/* --- checks ---------------------------------------------------------- */

int
rota_override_check(const struct roster *r, const struct rota_state *st,
    const struct rota_override *o, int64_t now, char **why)
{
	const struct rota	*ro = roster_rota(r, o->rota);
	const struct team	*tm;
	size_t			 i;
	char			 b1[40], b2[40];

	if (ro == NULL)
		return (*why = xprintf("unknown rota \"%s\"", o->rota)), -1;
	if (roster_member(r, o->member) == NULL)
		return (*why = xprintf("unknown member \"%s\"", o->member)), -1;
	if (roster_member(r, o->replaces) == NULL)
		return (*why = xprintf("unknown member \"%s\"", o->replaces)),
		    -1;
	if (strcmp(o->member, o->replaces) == 0)
		return (*why = xprintf("a member cannot cover for themselves")),
		    -1;
	tm = roster_team_of(r, o->replaces);
	for (i = 0; tm != NULL && i < ro->nteams; i++)
		if (strcmp(ro->teams[i], tm->id) == 0)
			break;
	if (tm == NULL || i == ro->nteams)
		return (*why = xprintf("\"%s\" takes no turns in rota \"%s\": "
		    "not in any of its teams", o->replaces, o->rota)), -1;
	if (o->from >= o->until)
		return (*why = xprintf("--from must be before --until")), -1;
	if (o->until <= now)
		return (*why = xprintf("--until %s is in the past",
		    rfc3339_buf(o->until, b1, sizeof b1))), -1;
	for (i = 0; st != NULL && i < st->nov; i++) {
		const struct rota_override *x = &st->ov[i];

		if (x->from >= o->until || o->from >= x->until)
			continue;
		if (strcmp(x->member, o->member) == 0 ||
		    strcmp(x->replaces, o->replaces) == 0 ||
		    strcmp(x->member, o->replaces) == 0 ||
		    strcmp(x->replaces, o->member) == 0)
			return (*why = xprintf("overlaps override %lld (%s "
			    "for %s, %s to %s)", (long long)x->id, x->member,
			    x->replaces, rfc3339_buf(x->from, b1, sizeof b1),
			    rfc3339_buf(x->until, b2, sizeof b2))), -1;
	}
	return 0;
}

int
rota_out_check(const struct roster *r, const struct rota_state *st,
    const char *team, int64_t until, int64_t now, json_t **empty, char **why)
{
	struct rota_state	 s2;
	size_t			 i, n;
	char			 b[40];

	*empty = NULL;
	if (roster_team(r, team) == NULL)
		return (*why = xprintf("unknown team \"%s\"", team)), -1;
	if (until <= now)
		return (*why = xprintf("--until %s is in the past",
		    rfc3339_buf(until, b, sizeof b))), -1;
	memset(&s2, 0, sizeof s2);
	s2.out = xcalloc((st ? st->nout : 0) + 1, sizeof *s2.out);
	for (i = 0; st != NULL && i < st->nout; i++)
		s2.out[s2.nout++] = st->out[i];
	s2.out[s2.nout].team = (char *)(uintptr_t)team;
	s2.out[s2.nout].from = now;
	s2.out[s2.nout++].until = until;
	*empty = json_array();
	for (i = 0; i < r->nroles; i++) {
		const char **v = rota_order(r, &s2, &r->roles[i], now, &n);

		if (n == 0)
			json_array_append_new(*empty,
			    json_string(r->roles[i].id));
		free(v);
	}
	free(s2.out);
	return 0;
}

void
rota_team_coverage(const struct roster *r, const char *role, long long quota,
    const char *where, json_t *warnings)
{
	const struct role	*ro = roster_role(r, role);
	const struct rota	*rt;
	size_t			 i, j;
	long long		 n;
	char			*msg;

	if (ro == NULL || (rt = roster_rota(r, ro->rota)) == NULL)
		return;
	for (i = 0; i < rt->nteams; i++) {
		for (j = 0, n = 0; j < ro->nmembers; j++)
			if (ro->mteam[j] == rt->tix[i])
				n++;
		if (n >= quota)
			continue;
		msg = xprintf("%s calls out %lld of role %s, but team %s of "
		    "rota %s has %lld of its members: while %s is on turn or "
		    "the other team is out, the quota needs the other team",
		    where, quota, role, rt->teams[i], rt->id, n, rt->teams[i]);
		json_array_append_new(warnings, json_pack("{s:s,s:s,s:s}",
		    "code", "team-coverage", "subject", role, "message", msg));
		free(msg);
	}
}

void
rota_state_free(struct rota_state *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nov; i++) {
		free(st->ov[i].rota);
		free(st->ov[i].member);
		free(st->ov[i].replaces);
		free(st->ov[i].note);
		free(st->ov[i].by);
	}
	for (i = 0; i < st->nout; i++) {
		free(st->out[i].team);
		free(st->out[i].note);
		free(st->out[i].by);
	}
	free(st->ov);
	free(st->out);
	memset(st, 0, sizeof *st);
}

json_t *
rota_oncall_json(const struct roster *r, const struct rota_state *st,
    int64_t t)
{
	json_t	*rotas = json_array(), *roles = json_array();
	json_t	*out = json_array(), *ovs = json_array();
	size_t	 i, j, n;

	for (i = 0; i < r->nrotas; i++) {
		struct rota_turn tu;

		rota_turn_at(r, &r->rotas[i], t, &tu);
		json_array_append_new(rotas, json_pack("{s:s,s:s?,s:o,s:o,"
		    "s:s?}", "id", r->rotas[i].id, "team", tu.team, "since",
		    jtime(tu.since), "until", jtime(tu.until), "next",
		    tu.next));
	}
	for (i = 0; i < r->nroles; i++) {
		const struct role	*ro = &r->roles[i];
		const char		**v;
		json_t			*o;

		if (ro->rota == NULL)
			continue;
		v = rota_order(r, st, ro, t, &n);
		o = json_array();
		for (j = 0; j < n; j++)
			json_array_append_new(o, json_string(v[j]));
		free(v);
		json_array_append_new(roles, json_pack("{s:s,s:s,s:o}", "id",
		    ro->id, "rota", ro->rota, "order", o));
	}
	for (i = 0; st != NULL && i < st->nout; i++)
		if (st->out[i].from <= t && t < st->out[i].until)
			json_array_append_new(out, json_pack("{s:s,s:o,s:s?}",
			    "team", st->out[i].team, "until",
			    jtime(st->out[i].until), "note",
			    st->out[i].note));
	for (i = 0; st != NULL && i < st->nov; i++) {
		const struct rota_override *o = &st->ov[i];

		if (o->from <= t && t < o->until)
			json_array_append_new(ovs, json_pack("{s:I,s:s,s:s,"
			    "s:s,s:o,s:o}", "id", (json_int_t)o->id, "rota",
			    o->rota, "member", o->member, "replaces",
			    o->replaces, "from", jtime(o->from), "until",
			    jtime(o->until)));
	}
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:s}", "at", jtime(t), "rotas",
	    rotas, "roles", roles, "out", out, "overrides", ovs, "timezone",
	    r->timezone);
}
