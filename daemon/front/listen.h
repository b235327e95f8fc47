/* Guards a listening socket (HTTP or the control socket) against running
 * out of file descriptors: an accept() that fails with EMFILE or ENFILE
 * pauses the listener and tries again after a backoff instead of failing
 * again at once in a busy loop, and the failure is logged once per
 * interval with a count, not once per try. A front end also holds the
 * listener while it is at its connection cap. */
#ifndef KZ_LISTEN_H
#define KZ_LISTEN_H

struct event_base;
struct evconnlistener;
struct lguard;

struct lguard	*lguard_new(struct event_base *, struct evconnlistener *,
		    const char *name);
void		 lguard_free(struct lguard *);
/* full: the front end is at its cap (accepting waits); 0: room again. */
void		 lguard_full(struct lguard *, int full);

/* File descriptors, decided once at start (daemon.c): the soft limit is
 * raised to the hard one, and the front ends get caps that leave room
 * for the database, outbound requests, children and the control socket
 * (SPEC: a reserve below the limit). */
struct kz_fdbudget {
	long	nofile;		/* the limit in force */
	int	http_max;	/* HTTP connections at once */
	int	ctl_max;	/* control connections at once */
};
#define KZ_FD_RESERVE	192	/* database, log, loop, listeners, outbound
				   requests (64) and children's pipes */

void	kz_fdbudget(int want_http, int want_ctl, struct kz_fdbudget *);

#endif
