/* Guards a listening socket (HTTP or the control socket) against running
 * out of file descriptors: an accept() that fails with EMFILE or ENFILE
 * pauses the listener and tries again after a backoff instead of failing
 * again at once in a busy loop, and the failure is logged once per
 * interval with a count, not once per try. A front end also holds the
 * listener while it is at its connection cap.
 *
 * While accepting waits, connections queue in the kernel, in a backlog
 * of KZ_LISTEN_BACKLOG (evhttp listens with 128, and libevent with 128
 * or what it is given): clients that connect while the queue is full
 * have their SYN dropped and try again 1, 3, 7 s later, so a flood of
 * connections that keeps a short queue full keeps a legitimate client
 * out for as long as it lasts. In a long queue each waits its turn,
 * however fast the others reconnect. */
#ifndef KZ_LISTEN_H
#define KZ_LISTEN_H

struct event_base;
struct evconnlistener;
struct lguard;

#define KZ_LISTEN_BACKLOG	4096	/* the kernel lowers it to somaxconn */

/* Also lengthens the listener's queue to KZ_LISTEN_BACKLOG. */
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
	int	http_max;	/* HTTP connections at once, beside up to
				   KZ_ACCEPT_BATCH accepted past the cap */
	int	ctl_max;	/* control connections at once */
};
#define KZ_FD_RESERVE	192	/* database, log, loop, listeners, outbound
				   requests (64) and children's pipes */
/* At its cap the HTTP server accepts up to this many connections in one
 * go, each displacing one that is reading, rather than one per turn of
 * the loop: a flood is drained faster, and the queue behind it with it.
 * Their descriptors are counted apart from http_max. */
#define KZ_ACCEPT_BATCH	8

void	kz_fdbudget(int want_http, int want_ctl, struct kz_fdbudget *);

#endif
