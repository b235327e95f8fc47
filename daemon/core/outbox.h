/* Delivery of queued notifications (the notifications table, filled by
 * notify.c inside the transaction of the event that caused them) through
 * libcurl's multi interface on the loop: retries with backoff and
 * jitter from the channel's schedule, honours Retry-After on 429 and
 * 503, gives up ("dead") after the channel's max_age, and sends the same
 * webhook-id on every attempt. Delivery is at least once: a row leaves
 * "pending" only after its result is committed, so a crash or restart
 * sends again what was in flight. */
#ifndef KZ_OUTBOX_H
#define KZ_OUTBOX_H

#include <stdint.h>

struct kz_daemon;
struct outbox;

struct outbox	*outbox_new(struct kz_daemon *);
/* Cancels what is in flight (sent again after restart) and writes the
 * results not yet written; commits them itself. */
void		 outbox_free(struct outbox *);
/* Rows were queued in the current transaction: look for them once it
 * commits (outbox_kick, from the commit). */
void		 outbox_queued(struct outbox *);
/* Delivers what is due (after each commit, from the loop owner). */
void		 outbox_kick(struct kz_daemon *);
/* After the commit of withdrawn rows: forget what was read ahead. */
void		 outbox_withdrawn(struct kz_daemon *);
/* Leadership (leader.c): rows another instance wrote; leadership lost. */
void		 outbox_rescan(struct kz_daemon *);
void		 outbox_pause(struct kz_daemon *);
/* The fast path of a new row (notify.c's one writer asks, inside an
 * operation): 1 when the channel has room and no older row is waiting,
 * and then the row is written with its first attempt recorded
 * (sending = 1) and handed over by outbox_claimed, to be sent as soon as
 * its transaction commits: no read of the table and no second commit
 * before the request. 0: write it as queued (sending = 0). */
int		 outbox_claim(struct kz_daemon *, const char *channel);
void		 outbox_claimed(struct kz_daemon *, const char *channel,
		    int64_t id, const char *msg_id, const char *payload,
		    int64_t due);

/* The e-mail transport (smtp.c): sends an email channel's row. */
struct curlev;
struct curlev_xfer;
struct channel_conf;
struct http_resp;
struct curlev_xfer *smtp_send(struct curlev *, const struct channel_conf *,
		    const char *payload, void (*done)(const struct http_resp *,
		    void *), void *arg, const char **why);

#endif
