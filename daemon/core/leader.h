/* Leadership (SPEC §13): on PostgreSQL several instances share one
 * database; one of them, the holder of an advisory lock on a session of
 * its own, fires timers, runs actions and delivers notifications. On
 * SQLite the one instance always leads. */
#ifndef KZ_LEADER_H
#define KZ_LEADER_H

#include <stdint.h>

struct kz_daemon;

#define KZ_LEASE_TICK_MS	1000	/* a try or a confirmation */
#define KZ_LEASE_VALID_MS	4000	/* leads this long after the last
					   confirmed query was sent (less
					   than KZ_LEASE_SERVER_S) */
#define KZ_LEASE_LOST_MS	5000	/* an unanswered query: the session
					   is given up */

/* Starts leadership: on SQLite it leads at once; on PostgreSQL the lock
 * is tried once before this returns (a lone instance leads from its
 * start), then every tick. on_lead is called when leadership is taken
 * (1) or lost (0). */
void		 leader_start(struct kz_daemon *,
		    void (*on_lead)(struct kz_daemon *, int));
void		 leader_stop(struct kz_daemon *);
/* Whether this instance may fire, run and deliver now: the lock is held
 * and was confirmed within KZ_LEASE_VALID_MS (the fence). */
int		 kz_leading(const struct kz_daemon *);
/* "leader" or "follower". */
const char	*kz_role(const struct kz_daemon *);
/* Takeovers by this instance. */
uint64_t	 kz_lead_count(const struct kz_daemon *);

#endif
