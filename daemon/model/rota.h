/* Shift teams and rotas (SPEC §16): who is on turn at a time, covers
 * (overrides), whole teams out, and the call-out order of a role. Pure:
 * the roster holds the teams and rotas, a struct rota_state the durable
 * overrides and outs (read from the store by the caller); every question
 * takes the time it is asked for. Turns are local wall-clock turns in the
 * roster's time zone, half-open [from, until): the boundary instant
 * belongs to the incoming team. */
#ifndef KZ_ROTA_H
#define KZ_ROTA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct diags;
struct roster;
struct role;
struct ynode;

#define ROTA_ZONE_DEFAULT	"Asia/Tokyo"
#define ROTA_TURN_MAX_MS	(31LL * 86400 * 1000)

struct team {
	char	 *id;
	char	 *title;
	char	**members;	/* NULL-terminated */
	size_t	  nmembers;
};

struct rota {
	char	 *id;
	char	 *title;
	char	**teams;	/* NULL-terminated team ids, in turn order */
	size_t	  nteams;
	int	 *tix;		/* index of each team in roster->teams */
	int64_t	  start;	/* first turn's start, UTC ms */
	int64_t	  start_local;	/* the same as wall-clock ms in the zone */
	int64_t	  turn;		/* ms */
};

/* A cover: member takes replaces's place in rota during [from, until). */
struct rota_override {
	int64_t	 id;
	char	*rota;
	char	*member;
	char	*replaces;
	int64_t	 from;
	int64_t	 until;
	char	*note;
	char	*by;
};

/* A whole team unavailable during [from, until). */
struct team_out {
	char	*team;
	int64_t	 from;
	int64_t	 until;
	char	*note;
	char	*by;
};

struct rota_state {
	struct rota_override	*ov;
	size_t			 nov;
	struct team_out		*out;
	size_t			 nout;
};

struct rota_turn {
	long long	 k;	/* turn number from 0; -1 before the start */
	const char	*team;	/* on turn; NULL before the start */
	const char	*next;	/* the next team */
	int64_t		 since;	/* this turn's start (0 before the start) */
	int64_t		 until;	/* the next boundary */
};

/* Time zones (libical's copy of the zone database). */
int		 tz_known(const char *zone);
/* Offset of zone from UTC at the UTC instant t (ms). */
int64_t		 tz_offset(const char *zone, int64_t t);
/* The UTC instant of a wall-clock time in zone (ms "as if UTC"); a time
 * in a spring-forward gap is read with the offset before it. */
int64_t		 tz_to_utc(const char *zone, int64_t local);

/* Roster parts: called by roster_parse with the document's root map. */
void		 rota_parse(struct roster *, const char *file,
		    const struct ynode *root, struct diags *);
void		 rota_free_roster(struct roster *);
/* Adds timezone, teams and rotas to a roster's JSON. */
void		 rota_roster_json(const struct roster *, json_t *);

const struct team	*roster_team(const struct roster *, const char *);
const struct rota	*roster_rota(const struct roster *, const char *);
/* The team of a member, or NULL. */
const struct team	*roster_team_of(const struct roster *, const char *);

/* The start of turn k. */
int64_t		 rota_boundary(const struct roster *, const struct rota *,
		    long long k);
void		 rota_turn_at(const struct roster *, const struct rota *,
		    int64_t t, struct rota_turn *);
/* Whether member is on turn in rota at t (covers applied). */
int		 rota_on_turn(const struct roster *, const struct rota_state *,
		    const struct rota *, const char *member, int64_t t);
/* The team out that makes member unavailable at t, or NULL. */
const struct team_out	*rota_member_out(const struct roster *,
		    const struct rota_state *, const char *member, int64_t t);
/* The call-out order of a role at t: with a rota, its members on turn
 * (covers in the place of those they replace), then the others, in the
 * role's order; without, the role's order; minus members who are out.
 * Returns a NULL-terminated array of ids owned by roster and state; the
 * caller frees the array. */
const char	**rota_order(const struct roster *, const struct rota_state *,
		    const struct role *, int64_t t, size_t *n);
/* The same, kept: the last orders asked for stay in the roster while the
 * time asked for is in their span (a turn, the edges of covers and outs)
 * and the state is the same; the array belongs to the roster (valid
 * until a few other orders were asked for, or rota_order_memo_clear,
 * which whoever replaces the state's contents calls). *fp: the order's fingerprint (31 bits,
 * from the role's id and its members in order). */
const char *const *rota_order_memo(const struct roster *,
		    const struct rota_state *, const struct role *, int64_t t,
		    size_t *n, unsigned *fp);
void		 rota_order_memo_clear(struct roster *);
/* The same for an assignee ref ("role:X" or a member id). */
const char	**rota_order_ref(const struct roster *,
		    const struct rota_state *, const char *ref, int64_t t,
		    size_t *n);

/* A member's (or, member NULL, the rota's) turns overlapping [from,
 * until), split where a cover applies: cb gets each piece, with the
 * member who stands in it (NULL for a whole team's turn). */
typedef void	 rota_piece_cb(void *, const char *team, const char *member,
		    const char *replaces, int64_t from, int64_t until);
void		 rota_pieces(const struct roster *, const struct rota_state *,
		    const struct rota *, const char *member, int64_t from,
		    int64_t until, rota_piece_cb *, void *);

/* Checks of a new override and a team out against roster, state and now;
 * 0, or -1 with *why allocated. */
int		 rota_override_check(const struct roster *,
		    const struct rota_state *, const struct rota_override *,
		    int64_t now, char **why);
/* Roles that would be left with no one at now if team went out until
 * until: a JSON array of role ids (empty if none). -1 with *why when the
 * team or the time is wrong. */
int		 rota_out_check(const struct roster *, const struct rota_state *,
		    const char *team, int64_t until, int64_t now,
		    json_t **empty, char **why);

/* An RFC 5545 calendar (written by libical) of rota's turns in [from,
 * until), covers applied, one VEVENT per piece, times in the roster's
 * zone; only member's turns when member is not NULL. now is DTSTAMP. */
char		*rota_ics(const struct roster *, const struct rota_state *,
		    const struct rota *, const char *member, int64_t from,
		    int64_t until, int64_t now);

/* plan check's `team-coverage` (SPEC §16): appends a warning
 * {code, subject, message} to warnings when no single team of role's
 * rota holds quota of the role's members. where names the runbook step. */
void		 rota_team_coverage(const struct roster *, const char *role,
		    long long quota, const char *where, json_t *warnings);

void		 rota_state_free(struct rota_state *);
/* The whole picture at t, as `keizoku oncall --json` shows it. */
json_t		*rota_oncall_json(const struct roster *,
		    const struct rota_state *, int64_t t);

#endif
