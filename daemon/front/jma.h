/* Pull sources (SPEC §15): keizokud polls each `format: jma` source's
 * Atom feed over libcurl on the loop, fetches every new earthquake or
 * tsunami document once, and hands its trigger to the same ingestion
 * webhooks use. Progress lives in the store (feeds, feed_docs), so a
 * restart neither takes a document twice nor misses one. */
#ifndef KZ_FRONT_JMA_H
#define KZ_FRONT_JMA_H

#include "core/daemon.h"

/* Starts a poller for every enabled pull source of d->conf; the first
 * poll is at once. */
void	 jma_start(struct kz_daemon *);
/* Stops every poller: requests in flight are abandoned (their documents
 * stay pending, and are taken after the next start). */
void	 jma_stop(struct kz_daemon *);

#endif
