/* Notifications (notify.c): the text of an event rendered for each
 * channel the config routes it to, one outbox row per channel, written
 * in the transaction of the event that caused it. Delivery is
 * outbox.c's. */
#ifndef KZ_NOTIFY_H
#define KZ_NOTIFY_H

#include <jansson.h>
#include <stdint.h>

#include "model/event.h"

struct kz_daemon;
struct effect;
struct incident;
struct member;
struct actx;

/* Queues the notification effect e of inc (NULL: about no incident, such
 * as a plan drill falling due) inside the current operation (from
 * kz_apply, and for a situation report sent on): 0, or -1 when the
 * storage failed. */
int	 notify_enqueue(struct kz_daemon *, const struct incident *,
	    const struct effect *);
/* What the notifications of one set of effects (one change) share:
 * the incident's context (made at the first need; reset base when the
 * incident changes) and the step messages held for each member, to go as
 * one message per member and channel (notify_batch_flush). Zeroed to
 * begin. */
struct nt_held;
struct nt_batch {
	json_t		*base;
	struct nt_held	*held;
	size_t		 nheld;
};
/* The same as notify_enqueue, inside a batch. */
int	 notify_enqueue_ctx(struct kz_daemon *, const struct incident *,
	    const struct effect *, struct nt_batch *);
/* Writes the messages held for inc's members, and empties the batch: 0,
 * or -1 when the storage failed. */
int	 notify_batch_flush(struct kz_daemon *, const struct incident *,
	    struct nt_batch *);
void	 notify_batch_free(struct nt_batch *);

/* A notification about no incident, written at once, outside kz_apply:
 * for core modules whose writes are not the engine's (sources.c). */
int	 notify_system(struct kz_daemon *, enum kz_event, json_t *data);
/* The same addressed to one member: shared channels naming them, their
 * own direct channel and their e-mail (a rota's news). */
int	 notify_system_to(struct kz_daemon *, enum kz_event,
	    const char *member, json_t *data);
/* The incident ended: its notifications still queued are withdrawn
 * (state cancelled, logged), except those about exception measures of a
 * real incident, which outlive it. Inside kz_apply (EF_WITHDRAW). */
int	 notify_withdraw(struct kz_daemon *, const struct actx *,
	    const struct incident *);
/* A mail of its own to one member (sign-in links, sitreps). */
int	 notify_mail(struct kz_daemon *, const char *channel,
	    const struct member *, int64_t incident, const char *event,
	    const char *subject, const char *text);

#endif
