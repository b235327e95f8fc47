/*
 * Leadership (leader.h). Every KZ_LEASE_TICK_MS the lease session either
 * tries the lock (a follower) or confirms it with a round trip (the
 * leader); answers are read when its socket is readable, so a slow or
 * cut link never holds the loop (only a connection attempt blocks, for at
 * most its connect_timeout, and it is tried at most every few seconds).
 *
 * The fence: the leader counts as leading only while its last confirmed
 * query was sent less than KZ_LEASE_VALID_MS ago. The server drops a
 * session silent for longer (lease-pg.c), and the lock with it, only
 * later: so a paused or cut-off leader has stopped firing and delivering
 * before another instance can take the lock. Whatever a deposed leader
 * still had in flight is safe twice over: a timer is fired by deleting
 * its row in a write transaction, which takes turns across instances
 * (store_op_begin), so a timer already fired elsewhere fires nothing; a
 * delivery keeps its webhook-id when it is sent again.
 */
#include <sys/select.h>

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/daemon.h"
#include "core/leader.h"
#include "core/loop.h"
#include "core/outbox.h"
#include "core/timer.h"
#include "core/apply.h"
#include "core/maint.h"
#include "core/plan-store.h"
#include "core/rota-live.h"
#include "core/sources.h"
#include "model/config.h"
#include "store/store.h"

#define LEASE_RETRY_MS	3000	/* between failed connection attempts */
#define LEASE_CONNECT_MS 3000	/* a connection attempt given up */

struct leader {
	struct kz_daemon	*d;
	struct store_lease	*lease;		/* NULL: SQLite, always leads */
	struct event		*tick;
	struct event		*rd;		/* the lease session's socket */
	struct event		*cev;		/* ... while it connects */
	int64_t			 connect_t0;
	struct event		*others;	/* another instance committed */
	int			 leading;
	int			 down_logged;
	char			 errbuf[64];
	int64_t			 connect_at;	/* next connection attempt */
	uint64_t		 takeovers;
	void			(*on_lead)(struct kz_daemon *, int);
};

static void	lease_read_cb(evutil_socket_t, short, void *);
static void	lease_connect_cb(evutil_socket_t, short, void *);

int
kz_leading(const struct kz_daemon *d)
{
	const struct leader *l = d->leader;

	if (l == NULL || l->lease == NULL)
		return 1;
	return l->leading && store_lease_held(l->lease) &&
	    mono_ms() - store_lease_confirmed(l->lease) < KZ_LEASE_VALID_MS;
}

const char *
kz_role(const struct kz_daemon *d)
{
	return kz_leading(d) ? "leader" : "follower";
}

uint64_t
kz_lead_count(const struct kz_daemon *d)
{
	return d->leader != NULL ? d->leader->takeovers : 0;
}

static void
step_down(struct leader *l, const char *why)
{
	if (!l->leading)
		return;
	l->leading = 0;
	log_warnx("leader: node %s is a follower now: %s; it fires, runs "
	    "and delivers nothing until it holds the lock again",
	    l->d->conf->node, why);
	if (l->on_lead != NULL)
		l->on_lead(l->d, 0);
}

static void
take_over(struct leader *l)
{
	l->leading = 1;
	l->takeovers++;
	log_info("leader: node %s leads now (it holds the advisory lock on "
	    "%s)", l->d->conf->node, store_label(l->d->store));
	if (l->on_lead != NULL)
		l->on_lead(l->d, 1);
}

static void
lease_events_free(struct leader *l)
{
	if (l->rd != NULL)
		event_free(l->rd);
	if (l->cev != NULL)
		event_free(l->cev);
	l->rd = l->cev = NULL;
}

/* The session is gone: the next tick connects again (a loss is often a
 * server restart, over at once); failures then wait LEASE_RETRY_MS. */
static void
lease_lost(struct leader *l, const char *what)
{
	log_warnx("leader: %s: %s", what, store_lease_error(l->lease));
	lease_events_free(l);
	store_lease_drop(l->lease);
	l->connect_at = mono_ms();
	step_down(l, "its lock session was lost");
}

static void
lease_connect_failed(struct leader *l)
{
	if (!l->down_logged)
		log_warnx("leader: cannot open the lock session: %s",
		    store_lease_error(l->lease));
	l->down_logged = 1;
	lease_events_free(l);
	store_lease_drop(l->lease);
	l->connect_at = mono_ms() + LEASE_RETRY_MS;
}

/* Connected: answers and notifications are read when they come. */
static void
lease_open(struct leader *l)
{
	if (l->down_logged)
		log_info("leader: the lock session is open again");
	l->down_logged = 0;
	lease_events_free(l);
	l->rd = event_new(l->d->base, store_lease_fd(l->lease),
	    EV_READ | EV_PERSIST, lease_read_cb, l);
	event_add(l->rd, NULL);
}

/* At start: connects and waits (at most connect_timeout). */
static int
lease_connect(struct leader *l)
{
	if (store_lease_connect(l->lease) == -1) {
		lease_connect_failed(l);
		return -1;
	}
	lease_open(l);
	return 0;
}

/* Later: without blocking, driven by the socket (libpq may try several
 * hosts of a multi-host DSN, on a new socket each). */
static void
lease_connect_wait(struct leader *l, int want_write)
{
	if (l->cev != NULL)
		event_free(l->cev);
	l->cev = event_new(l->d->base, store_lease_fd(l->lease),
	    want_write ? EV_WRITE : EV_READ, lease_connect_cb, l);
	event_add(l->cev, NULL);
}

static void
lease_connect_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct leader	*l = arg;
	int		 ww, rc;

	rc = store_lease_connect_poll(l->lease, &ww);
	if (rc == -1)
		lease_connect_failed(l);
	else if (rc == 0)
		lease_connect_wait(l, ww);
	else
		lease_open(l);
}

static void
lease_connect_start(struct leader *l, int64_t now)
{
	l->connect_t0 = now;
	if (store_lease_connect_start(l->lease) == -1) {
		lease_connect_failed(l);
		return;
	}
	lease_connect_wait(l, 1);
}

/* Another instance committed: the leader looks at the tables again. */
static void
others_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct leader		*l = arg;
	struct kz_daemon	*d = l->d;

	if (d->stopping)
		return;
	if (store_in_tx(d->store)) {	/* after this turn's commit */
		struct timeval zero = { 0, 0 };

		evtimer_add(l->others, &zero);
		return;
	}
	/* What every instance keeps in memory of the tables. */
	if (maint_load(d) == -1 || kz_rota_load(d) == -1)
		log_warnx("leader: cannot read what another instance changed: "
		    "%s", store_errmsg(d->store));
	sources_forget(d);
	plan_store_refresh(d);
	if (!kz_leading(d))
		return;
	kz_actions_adopt(d);
	kz_timers_rearm(d);
	outbox_rescan(d);
}

static void
lease_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct leader	*l = arg;
	int		 others = 0, rc;

	rc = store_lease_input(l->lease, &others);
	if (rc == -1) {
		lease_lost(l, "the lock session ended");
		return;
	}
	if (others) {
		struct timeval zero = { 0, 0 };

		evtimer_add(l->others, &zero);
	}
	if (rc == 2 && store_lease_send(l->lease, mono_ms()) == -1)
		lease_lost(l, "the lock session failed");
	else if (rc == 1 && store_lease_held(l->lease) && !l->leading)
		take_over(l);
}

static void
tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct leader	*l = arg;
	int64_t		 now = mono_ms();

	if (l->d->stopping)
		return;
	if (store_lease_fd(l->lease) == -1) {
		if (now >= l->connect_at)
			lease_connect_start(l, now);
		return;
	}
	if (!store_lease_ready(l->lease)) {
		if (store_lease_connecting(l->lease) && now - l->connect_t0 >=
		    LEASE_CONNECT_MS) {
			snprintf(l->errbuf, sizeof l->errbuf, "no answer in "
			    "%d ms", LEASE_CONNECT_MS);
			log_warnx("leader: cannot open the lock session: %s",
			    l->errbuf);
			l->down_logged = 1;
			lease_events_free(l);
			store_lease_drop(l->lease);
			l->connect_at = now + LEASE_RETRY_MS;
		}
		return;
	}
	if (store_lease_busy(l->lease)) {
		if (now - store_lease_sent(l->lease) >= KZ_LEASE_LOST_MS) {
			log_warnx("leader: no answer from the lock session for "
			    "%lld ms", (long long)(now - store_lease_sent(
			    l->lease)));
			lease_lost(l, "the lock session does not answer");
		}
	} else if (store_lease_send(l->lease, now) == -1)
		lease_lost(l, "the lock session failed");
	/* The fence: unconfirmed for too long, this instance stops. */
	if (l->leading && !kz_leading(l->d))
		step_down(l, "its lock was not confirmed in time");
}

void
leader_start(struct kz_daemon *d, void (*on_lead)(struct kz_daemon *, int))
{
	struct leader	*l = xcalloc(1, sizeof *l);
	struct timeval	 tv = { KZ_LEASE_TICK_MS / 1000,
			    KZ_LEASE_TICK_MS % 1000 * 1000 };
	int64_t		 t0;
	int		 others;

	l->d = d;
	l->on_lead = on_lead;
	d->leader = l;
	if ((l->lease = store_lease_new(d->store)) == NULL) {
		/* SQLite: the only instance. */
		l->leading = 1;
		return;
	}
	l->others = evtimer_new(d->base, others_cb, l);
	l->tick = event_new(d->base, -1, EV_PERSIST, tick_cb, l);
	event_add(l->tick, &tv);
	/* A first try now, waiting for its answer: an instance alone on
	 * its database leads from its start. */
	if (lease_connect(l) == -1)
		return;
	t0 = mono_ms();
	if (store_lease_send(l->lease, t0) == -1) {
		lease_lost(l, "the lock session failed");
		return;
	}
	while (store_lease_busy(l->lease) && mono_ms() - t0 <
	    KZ_LEASE_LOST_MS) {
		struct timeval w = { 0, 20000 };

		select(0, NULL, NULL, NULL, &w);
		if (store_lease_input(l->lease, &others) == -1) {
			lease_lost(l, "the lock session ended");
			return;
		}
	}
	if (store_lease_held(l->lease))
		take_over(l);
	else
		log_info("leader: node %s follows: another instance holds "
		    "the lock", d->conf->node);
}

void
leader_stop(struct kz_daemon *d)
{
	struct leader *l = d->leader;

	if (l == NULL)
		return;
	if (l->tick != NULL)
		event_free(l->tick);
	lease_events_free(l);
	if (l->others != NULL)
		event_free(l->others);
	/* Closing the session gives the lock to the next at once. */
	store_lease_free(l->lease);
	free(l);
	d->leader = NULL;
}
