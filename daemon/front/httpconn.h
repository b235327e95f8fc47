/* The HTTP server's connections, which evhttp itself neither counts nor
 * times as a whole (libevent 2.1): a cap on how many are open at once
 * and a deadline for each request's head and body.
 *
 * A connection is "reading" from its accept (or the reply to its
 * previous request) until evhttp hands us a complete request; a reading
 * connection has until the deadline (http.request_timeout) to send it,
 * however slowly the bytes trickle in (evhttp's own timeout is reset by
 * every byte). At the cap, a new connection displaces the one that has
 * been reading longest, so clients that never finish a request cannot
 * keep out those that do; one that has not yet sent a byte is spared for
 * its first second if another can go (a client slow to be scheduled, or
 * in a TLS handshake, is not trickling); when none is reading, accepting
 * waits. */
#ifndef KZ_HTTPCONN_H
#define KZ_HTTPCONN_H

#include <stdint.h>

struct event_base;
struct evhttp;
struct evhttp_connection;
struct bufferevent;
struct evhttp_request;
struct lguard;
struct hconns;
struct hconn;

typedef struct bufferevent *(*hconn_bev_fn)(struct event_base *, void *);

/* mkbev makes each connection's bufferevent (plain or TLS), as evhttp's
 * bevcb would. */
struct hconns	*hconns_new(struct event_base *, struct evhttp *,
		    struct lguard *, int max, int64_t deadline_ms,
		    hconn_bev_fn mkbev, void *mkarg);
void		 hconns_free(struct hconns *);
/* Test clock: drops the connections whose deadline it has reached. */
void		 hconns_clock(struct hconns *);
/* How many are open; how many were displaced or timed out. */
int		 hconns_open(const struct hconns *);
uint64_t	 hconns_dropped(const struct hconns *);

/* A complete request arrived on evcon: its connection is no longer
 * reading. NULL when evcon is not known (then nothing is tracked). */
struct hconn	*hconn_request(struct hconns *, struct evhttp_connection *);
/* gone(arg) is called if the connection closes before hconn_replied
 * (NULL: nothing). */
void		 hconn_gone(struct hconn *, void (*gone)(void *), void *arg);
/* The reply went out: the connection reads its next request, against a
 * fresh deadline. */
void		 hconn_replied(struct hconn *);
/* The same, once req's reply has been written whole (req NULL: not any
 * more); for replies made elsewhere (the pages, event streams). */
void		 hconn_reply_done(struct hconn *, struct evhttp_request *);
/* What evhttp_connection_set_closecb does, for code that needs to hear
 * of a connection's end (the pages): the connection's own close callback
 * is httpconn.c's, which calls this one too. */
void		 kz_http_closecb(struct evhttp_connection *,
		    void (*)(struct evhttp_connection *, void *), void *arg);

/* Ends a connection as one that timed out (a silent reader of a stream):
 * its close callbacks run. -1 when httpconn.c does not know it. */
int		 kz_http_drop(struct evhttp_connection *);

#endif
