/*
 * The HTTP server's connections (httpconn.h).
 *
 * evhttp makes each connection's bufferevent through the callback set
 * with evhttp_set_bevcb, which is where a connection is first seen; the
 * evhttp_connection that owns it is learnt a moment later, before any
 * byte is read (the bufferevent's callback argument, once evhttp has set
 * it), and its close callback tells when it is freed. A connection is
 * timed out or displaced by raising a timeout on its bufferevent, which
 * evhttp handles as its own: it drops the connection and frees it.
 *
 * A freed connection's socket is closed a little later, by the
 * bufferevent's finaliser, which libevent runs in the same turn of the
 * loop: until the turn is over its descriptor is counted as still open.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "front/httpconn.h"
#include "front/listen.h"

static struct hconns *hc_server;	/* for kz_http_closecb */

/* A connection that has not sent a byte since its accept is spared at
 * the cap while younger than this, if one that has (or an older one) can
 * go instead: a client that trickles its request has sent some of it,
 * one that has not yet been scheduled to send (a loaded machine) or is
 * in a TLS handshake (a slow network) has not. A flood of connections
 * that send nothing is displaced as before, the oldest first. */
#define HC_GRACE_MS	1000

enum hc_state {
	HC_NEW,		/* accepted, its evhttp connection not yet known */
	HC_READING,	/* waiting for a whole request */
	HC_BUSY,	/* a request is being served */
};

struct hconn {
	TAILQ_ENTRY(hconn)		 entry;	/* in fresh, reading or busy */
	struct hconns			*hs;
	struct bufferevent		*bev;
	struct evhttp_connection	*evcon;
	enum hc_state			 state;
	struct event			 deadline;
	int64_t				 due;	/* test clock: the deadline */
	void				(*gone)(void *);
	void				*gone_arg;
	void				(*user_cb)(struct evhttp_connection *,
					    void *);
	void				*user_arg;
	int				 in_cb;	/* inside its own deadline */
	int				 closed;
	int64_t				 born;	/* monotonic ms, at accept */
	struct evbuffer_cb_entry	*incb;	/* until a byte comes */
	int				 heard;	/* a byte came */
};
TAILQ_HEAD(hconn_list, hconn);

struct hconns {
	struct event_base	*base;
	struct evhttp		*eh;
	struct lguard		*lg;
	int			 max;
	int64_t			 deadline_ms;
	hconn_bev_fn		 mkbev;
	void			*mkarg;
	struct hconn_list	 fresh;
	struct hconn_list	 reading;	/* longest reading first */
	struct hconn_list	 busy;
	int			 n;		/* accepted and not freed */
	int			 nreading;
	int			 closing;	/* freed this turn */
	uint64_t		 dropped;
	struct event		*resolve_ev;
	struct event		*settle_ev;	/* the turn is over */
};

static struct hconn_list *
hc_list(struct hconns *hs, enum hc_state st)
{
	return st == HC_NEW ? &hs->fresh : st == HC_READING ? &hs->reading :
	    &hs->busy;
}

/* At the cap, accepting waits while no connection can make room. Past
 * it, up to KZ_ACCEPT_BATCH are accepted in one go (kz_fdbudget keeps
 * descriptors for them), no more than there are reading connections for
 * them to displace once they are known (hc_resolve_cb); then accepting
 * waits until the descriptors of those displaced are closed, at the end
 * of the turn. libevent accepts everything queued in one go unless its
 * listener is held. */
static void
hc_update_full(struct hconns *hs)
{
	int extra = hs->nreading < KZ_ACCEPT_BATCH ? hs->nreading :
	    KZ_ACCEPT_BATCH;

	lguard_full(hs->lg, hs->n + hs->closing >= hs->max + extra);
}

static void
hc_settle_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct hconns *hs = arg;

	hs->closing = 0;
	hc_update_full(hs);
}

static int64_t
hc_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
hc_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct hconn *c = arg;

	if (info->n_added > 0)
		c->heard = 1;
}

/* Before the bufferevent goes (evhttp frees it after its close
 * callback). */
static void
hc_unwatch(struct hconn *c)
{
	if (c->incb != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_input(c->bev),
		    c->incb);
	c->incb = NULL;
}

static void
hc_move(struct hconn *c, enum hc_state st)
{
	struct hconns	*hs = c->hs;
	struct timeval	 tv;

	TAILQ_REMOVE(hc_list(hs, c->state), c, entry);
	if (c->state == HC_READING)
		hs->nreading--;
	c->state = st;
	TAILQ_INSERT_TAIL(hc_list(hs, st), c, entry);
	if (st == HC_READING)
		hs->nreading++;
	if (st == HC_READING && clock_is_test())
		/* Under the test clock the deadline is its time, reached by
		 * `_clock --advance` (hconns_clock), not the machine's. */
		c->due = clock_now() + hs->deadline_ms;
	else if (st == HC_READING) {
		tv.tv_sec = hs->deadline_ms / 1000;
		tv.tv_usec = hs->deadline_ms % 1000 * 1000;
		evtimer_add(&c->deadline, &tv);
	} else
		evtimer_del(&c->deadline);
	hc_update_full(hs);
}

/* The connection is freed; its socket is closed later in this turn. */
static void
hc_free(struct hconn *c)
{
	struct hconns	*hs = c->hs;
	struct timeval	 now = { 0, 0 };

	TAILQ_REMOVE(hc_list(hs, c->state), c, entry);
	if (c->state == HC_READING)
		hs->nreading--;
	evtimer_del(&c->deadline);
	free(c);
	hs->n--;
	/* Counted as open until a timer due at once fires: on the next turn,
	 * after every finaliser of this one. */
	hs->closing++;
	evtimer_add(hs->settle_ev, &now);
	hc_update_full(hs);
}

/* evhttp frees the connection: whatever it was doing is over. */
static void
hc_closed(struct evhttp_connection *evcon, void *arg)
{
	struct hconn *c = arg;

	hc_unwatch(c);
	if (c->gone != NULL) {
		c->gone(c->gone_arg);
		c->gone = NULL;
	}
	if (c->user_cb != NULL) {
		c->user_cb(evcon, c->user_arg);
		c->user_cb = NULL;
	}
	c->closed = 1;
	if (!c->in_cb)
		hc_free(c);
}

/* Ends a connection as evhttp ends one that timed out; 1 when it is gone
 * (and freed). */
static int
hc_drop(struct hconn *c)
{
	evutil_socket_t fd;

	c->in_cb = 1;
	c->hs->dropped++;
	bufferevent_trigger_event(c->bev, BEV_EVENT_READING |
	    BEV_EVENT_TIMEOUT, 0);
	c->in_cb = 0;
	if (c->closed) {
		hc_free(c);
		return 1;
	}
	/* evhttp had no request to fail on it: cut the socket, and evhttp
	 * frees it when it reads the end. */
	if ((fd = bufferevent_getfd(c->bev)) != -1)
		shutdown(fd, SHUT_RDWR);
	evtimer_del(&c->deadline);
	return 0;
}

static void
hc_deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct hconn *c = arg;

	log_debug("http: a client took longer than http.request_timeout to "
	    "send its request; dropping it");
	hc_drop(c);
}

/* Whom to displace: the connection reading longest that has sent a
 * byte or is past its grace, else the one reading longest; never one of
 * those just accepted (from first on). */
static struct hconn *
hc_victim(struct hconns *hs, struct hconn *first, int64_t now)
{
	struct hconn *c;

	TAILQ_FOREACH(c, &hs->reading, entry) {
		if (c == first)
			break;
		if (c->heard || now - c->born >= HC_GRACE_MS)
			return c;
	}
	c = TAILQ_FIRST(&hs->reading);
	return c != first ? c : NULL;
}

/* Makes room under the cap; when none is reading, accepting waits until
 * one closes. */
static void
hc_make_room(struct hconns *hs, struct hconn *first)
{
	struct hconn	*c;
	int64_t		 now = hc_mono_ms();

	while (hs->n > hs->max && (c = hc_victim(hs, first, now)) != NULL)
		hc_drop(c);
	hc_update_full(hs);
}

/* Learns the evhttp connection of each new bufferevent. */
static void
hc_resolve_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct hconns	*hs = arg;
	struct hconn	*c, *first = NULL;
	void		*cbarg;

	while ((c = TAILQ_FIRST(&hs->fresh)) != NULL) {
		cbarg = NULL;
		bufferevent_getcb(c->bev, NULL, NULL, NULL, &cbarg);
		/* Our reference kept it readable; evhttp's may be gone. */
		if (cbarg == NULL)
			hc_unwatch(c);
		bufferevent_decref(c->bev);
		if (cbarg == NULL) {
			hc_free(c);
			continue;
		}
		c->evcon = cbarg;
		evhttp_connection_set_closecb(c->evcon, hc_closed, c);
		hc_move(c, HC_READING);
		if (first == NULL)
			first = c;
	}
	hc_make_room(hs, first);
}

static struct bufferevent *
hc_bevcb(struct event_base *base, void *arg)
{
	struct hconns		*hs = arg;
	struct hconn		*c = xcalloc(1, sizeof *c);
	struct bufferevent	*bev;

	bev = hs->mkbev != NULL ? hs->mkbev(base, hs->mkarg) :
	    bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		fatalx("cannot create a bufferevent: out of memory");
	c->hs = hs;
	c->bev = bev;
	c->state = HC_NEW;
	c->born = hc_mono_ms();
	c->incb = evbuffer_add_cb(bufferevent_get_input(bev), hc_input_cb, c);
	evtimer_assign(&c->deadline, base, hc_deadline_cb, c);
	/* evhttp sets its callbacks on bev once we return; until we have
	 * looked, our reference keeps bev from being freed under us. */
	bufferevent_incref(bev);
	TAILQ_INSERT_TAIL(&hs->fresh, c, entry);
	hs->n++;
	hc_update_full(hs);
	event_active(hs->resolve_ev, EV_TIMEOUT, 0);
	return bev;
}

struct hconns *
hconns_new(struct event_base *base, struct evhttp *eh, struct lguard *lg,
    int max, int64_t deadline_ms, hconn_bev_fn mkbev, void *mkarg)
{
	struct hconns *hs = xcalloc(1, sizeof *hs);

	hs->base = base;
	hs->eh = eh;
	hs->lg = lg;
	hs->max = max > 0 ? max : 1;
	hs->deadline_ms = deadline_ms > 0 ? deadline_ms : 10000;
	hs->mkbev = mkbev;
	hs->mkarg = mkarg;
	TAILQ_INIT(&hs->fresh);
	TAILQ_INIT(&hs->reading);
	TAILQ_INIT(&hs->busy);
	hs->resolve_ev = event_new(base, -1, 0, hc_resolve_cb, hs);
	hs->settle_ev = evtimer_new(base, hc_settle_cb, hs);
	evhttp_set_bevcb(eh, hc_bevcb, hs);
	hc_server = hs;
	return hs;
}

/* Called before evhttp_free, which closes what is left: their close
 * callbacks must find nothing. */
void
hconns_free(struct hconns *hs)
{
	struct hconn		*c;
	struct hconn_list	*lists[] = { &hs->reading, &hs->busy };
	size_t			 i;

	if (hs == NULL)
		return;
	while ((c = TAILQ_FIRST(&hs->fresh)) != NULL) {
		TAILQ_REMOVE(&hs->fresh, c, entry);
		hc_unwatch(c);
		bufferevent_decref(c->bev);
		free(c);
	}
	for (i = 0; i < sizeof lists / sizeof lists[0]; i++)
		while ((c = TAILQ_FIRST(lists[i])) != NULL) {
			TAILQ_REMOVE(lists[i], c, entry);
			evtimer_del(&c->deadline);
			hc_unwatch(c);
			evhttp_connection_set_closecb(c->evcon, NULL, NULL);
			if (c->gone != NULL)
				c->gone(c->gone_arg);
			if (c->user_cb != NULL)
				c->user_cb(c->evcon, c->user_arg);
			free(c);
		}
	event_free(hs->resolve_ev);
	event_free(hs->settle_ev);
	if (hc_server == hs)
		hc_server = NULL;
	free(hs);
}

int
hconns_open(const struct hconns *hs)
{
	return hs->n;
}

uint64_t
hconns_dropped(const struct hconns *hs)
{
	return hs->dropped;
}

static struct hconn *
hc_find(struct hconns *hs, struct evhttp_connection *evcon)
{
	struct hconn *c;

	TAILQ_FOREACH(c, &hs->reading, entry)
		if (c->evcon == evcon)
			return c;
	TAILQ_FOREACH(c, &hs->busy, entry)
		if (c->evcon == evcon)
			return c;
	return NULL;
}

struct hconn *
hconn_request(struct hconns *hs, struct evhttp_connection *evcon)
{
	struct hconn *c;

	if ((c = hc_find(hs, evcon)) == NULL)
		return NULL;
	if (c->state != HC_BUSY)
		hc_move(c, HC_BUSY);
	return c;
}

void
hconn_gone(struct hconn *c, void (*gone)(void *), void *arg)
{
	c->gone = gone;
	c->gone_arg = arg;
}

static void
hc_complete_cb(struct evhttp_request *req, void *arg)
{
	hconn_replied(arg);
}

void
hconn_reply_done(struct hconn *c, struct evhttp_request *req)
{
	if (req != NULL)
		evhttp_request_set_on_complete_cb(req, hc_complete_cb, c);
	/* (Cleared by the caller, on the request it set it on.) */
}

void
kz_http_closecb(struct evhttp_connection *evcon,
    void (*cb)(struct evhttp_connection *, void *), void *arg)
{
	struct hconn *c = hc_server != NULL ? hc_find(hc_server, evcon) :
	    NULL;

	if (c == NULL) {
		evhttp_connection_set_closecb(evcon, cb, arg);
		return;
	}
	c->user_cb = cb;
	c->user_arg = arg;
}

void
hconns_clock(struct hconns *hs)
{
	struct hconn	*c;
	int64_t		 now = clock_now();

	/* Longest reading first, so the first not due ends the walk. */
	while ((c = TAILQ_FIRST(&hs->reading)) != NULL && c->due <= now) {
		log_debug("http: a client took longer than "
		    "http.request_timeout to send its request (test clock)");
		if (hc_drop(c) == 0)	/* cut; freed once evhttp sees it */
			hc_move(c, HC_BUSY);
	}
}

int
kz_http_drop(struct evhttp_connection *evcon)
{
	struct hconn *c = hc_server != NULL ? hc_find(hc_server, evcon) :
	    NULL;

	if (c == NULL)
		return -1;
	hc_drop(c);
	return 0;
}

void
hconn_replied(struct hconn *c)
{
	c->gone = NULL;
	c->gone_arg = NULL;
	if (c->state == HC_BUSY)
		hc_move(c, HC_READING);
}
