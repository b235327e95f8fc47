/* Listening sockets that survive file descriptor exhaustion (listen.h). */
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xmalloc.h"
#include "front/listen.h"

#define LG_BACKOFF_MIN_MS	50
#define LG_BACKOFF_MAX_MS	1000
#define LG_LOG_EVERY_S		10	/* at most one line per interval */

struct lguard {
	struct evconnlistener	*lev;
	char			*name;
	struct event		*retry;
	int			 paused;	/* after an accept error */
	int			 full;		/* at the connection cap */
	long			 backoff_ms;
	long			 failures;	/* since the last line */
	time_t			 logged_at;
	struct lguard		*next;
};

/* The error callback gets the listener's user data, which belongs to its
 * owner (evhttp's is the evhttp): the guard is found by listener. */
static struct lguard *lguards;

static void
lg_apply(struct lguard *g)
{
	if (g->paused || g->full)
		evconnlistener_disable(g->lev);
	else
		evconnlistener_enable(g->lev);
}

static void
lg_retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct lguard *g = arg;

	g->paused = 0;
	lg_apply(g);
}

static void
lg_error_cb(struct evconnlistener *lev, void *arg)
{
	struct lguard	*g;
	struct timeval	 tv;
	int		 err = errno;
	time_t		 now = time(NULL);

	for (g = lguards; g != NULL && g->lev != lev; g = g->next)
		;
	if (g == NULL)
		return;
	g->failures++;
	if (now - g->logged_at >= LG_LOG_EVERY_S) {
		log_warnx("%s: accept: %s (%ld failure%s since the last "
		    "report); pausing accepts for up to %d ms at a time",
		    g->name, strerror(err), g->failures, g->failures == 1 ?
		    "" : "s", LG_BACKOFF_MAX_MS);
		g->logged_at = now;
		g->failures = 0;
	}
	/* Out of descriptors (EMFILE, ENFILE) or kernel memory (ENOBUFS,
	 * ENOMEM): trying again at once fails again at once. */
	g->backoff_ms = g->backoff_ms == 0 ? LG_BACKOFF_MIN_MS :
	    g->backoff_ms * 2 > LG_BACKOFF_MAX_MS ? LG_BACKOFF_MAX_MS :
	    g->backoff_ms * 2;
	g->paused = 1;
	lg_apply(g);
	tv.tv_sec = g->backoff_ms / 1000;
	tv.tv_usec = g->backoff_ms % 1000 * 1000;
	evtimer_add(g->retry, &tv);
}

struct lguard *
lguard_new(struct event_base *base, struct evconnlistener *lev,
    const char *name)
{
	struct lguard *g = xcalloc(1, sizeof *g);

	/* Linux takes a second listen() on a listening socket as a new
	 * backlog. */
	if (listen(evconnlistener_get_fd(lev), KZ_LISTEN_BACKLOG) == -1)
		log_warn("%s: cannot lengthen the listen queue", name);
	g->lev = lev;
	g->name = xstrdup(name);
	g->retry = evtimer_new(base, lg_retry_cb, g);
	g->next = lguards;
	lguards = g;
	evconnlistener_set_error_cb(lev, lg_error_cb);
	return g;
}

void
lguard_free(struct lguard *g)
{
	struct lguard **pp;

	if (g == NULL)
		return;
	for (pp = &lguards; *pp != NULL; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	event_free(g->retry);
	free(g->name);
	free(g);
}

void
lguard_full(struct lguard *g, int full)
{
	if (g->full == full)
		return;
	g->full = full;
	/* A successful accept since the last error: start the backoff
	 * afresh next time. */
	if (!full && !g->paused)
		g->backoff_ms = 0;
	lg_apply(g);
}

void
kz_fdbudget(int want_http, int want_ctl, struct kz_fdbudget *b)
{
	struct rlimit	rl;
	long		room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		/* What systemd and most shells hand out is 1024 soft over a
		 * much larger hard limit: take the hard one (up to 64k). */
		rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	b->nofile = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 65536;
	room = b->nofile - KZ_FD_RESERVE;
	b->ctl_max = want_ctl;
	if (b->ctl_max > room / 4)
		b->ctl_max = (int)(room / 4);
	if (b->ctl_max < 4)
		b->ctl_max = 4;
	room -= b->ctl_max + KZ_ACCEPT_BATCH;
	b->http_max = want_http;
	if (b->http_max > room)
		b->http_max = (int)room;
	if (b->http_max < 8)
		b->http_max = 8;
	if (b->http_max < want_http || b->ctl_max < want_ctl)
		log_warnx("file descriptor limit %ld: at most %d HTTP and %d "
		    "control connections at once (%d descriptors kept for the "
		    "database, outbound requests and children, %d for "
		    "connections accepted past the cap); raise LimitNOFILE to "
		    "allow more", b->nofile, b->http_max, b->ctl_max,
		    KZ_FD_RESERVE, KZ_ACCEPT_BATCH);
}
