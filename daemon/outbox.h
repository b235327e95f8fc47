/* Delivery of queued notifications (the outbox table) through libcurl's
 * multi interface on the loop: retries with backoff and jitter, honours
 * Retry-After, gives up ("dead") after the channel's max_age. */
#ifndef KZ_OUTBOX_H
#define KZ_OUTBOX_H

struct kz_daemon;
struct outbox;

struct outbox	*outbox_new(struct kz_daemon *);
void		 outbox_free(struct outbox *);

#endif
