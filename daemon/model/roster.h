/* The roster (SPEC §4): members, their contacts and unix users, and
 * roles with members in order of precedence (primary, then deputies). */
#ifndef KZ_ROSTER_H
#define KZ_ROSTER_H

#include <jansson.h>
#include <sys/types.h>

#include "common/strmap.h"

struct diags;
struct rota_state;

struct contact {
	char	*channel;
	char	*mention;
	int	 direct;	/* the channel reaches this member alone (a
				   direct-message hook): personal links */
	int	 line, col;	/* of channel, for -t */
};

struct member {
	char		*id;
	char		*name;
	char		*unix_user;	/* a user name, or a numeric uid */
	char		*site;
	char		*area;		/* SPEC §18: as JMA / P2P points
					   name it (東京都, 千代田区), or NULL */
	char		*email;		/* SPEC §14, or NULL */
	char		*phone;
	struct contact	*contacts;
	size_t		 ncontacts;
	int		 team;		/* index in roster->teams, or -1 */
};

struct role {
	char	 *id;
	char	 *title;
	char	**members;	/* NULL-terminated, in order of precedence */
	size_t	  nmembers;
	int	  proxy;
	char	 *rota;		/* SPEC §16: on-turn members first, or NULL */
	int	 *mteam;	/* each member's team index, or -1 */
	struct strmap idx;	/* member id -> position */
};

struct roster {
	struct member	*members;
	size_t		 nmembers;
	struct role	*roles;
	size_t		 nroles;
	char		*file;
	char		*timezone;	/* turns and calendars (SPEC §16) */
	struct team	*teams;
	size_t		 nteams;
	struct rota	*rotas;
	size_t		 nrotas;
	/* The covers and teams out in force (the daemon's, read from its
	 * store), which call-out orders take into account; NULL: none. */
	const struct rota_state	*live;
	struct strmap	 byid;		/* member id -> index */
	struct strmap	 direct;	/* direct channel -> member index */
	/* The last lists of safety_members_memo (model/safety.c): a safety
	 * check's batches take their slice of one list, not a new one. */
	struct safety_memo	*smemo;
	/* The last call-out orders of rota_order_memo (model/rota.c): an
	 * assemble step's batches walk one order, not a new one each. */
	struct rota_order_memo	*omemo;
};

/* Loads and checks (unknown members, empty roles, duplicate ids with
 * positions). NULL when there were errors. */
struct roster		*roster_load(const char *path, struct diags *);
struct roster		*roster_parse(const char *file, const char *text,
			    size_t, struct diags *);
void			 roster_free(struct roster *);
const struct member	*roster_member(const struct roster *, const char *);
const struct role	*roster_role(const struct roster *, const char *);
int			 roster_in_role(const struct roster *,
			    const char *role, const char *member);
/* Member of any proxy role. */
int			 roster_is_proxy(const struct roster *, const char *);
/* The member whose unix_user is this name or this uid; NULL if none. */
const struct member	*roster_by_unix(const struct roster *,
			    const char *user, uid_t);
/* Checks an assignee: "role:X" names a role, else a member id. 0, or -1
 * with *why allocated. */
int			 roster_check_ref(const struct roster *, const char *,
			    char **why);
/* Whether member may act as the assignee ref ("role:X" or member). */
int			 roster_matches(const struct roster *, const char *ref,
			    const char *member);
/* The ordered candidates for ref: the role's members, or the member. */
char *const		*roster_candidates(const struct roster *,
			    const char *ref, size_t *n);
json_t			*roster_json(const struct roster *);
/* The member whose direct contact is channel; NULL if none. */
const struct member	*roster_direct(const struct roster *,
			    const char *channel);

#endif
