/* The loop owner. keizokud is one libevent loop; the callbacks of one
 * turn (requests, webhooks, timers, action and delivery results) write
 * inside operations of one batch (batch.h). Like redis's beforeSleep,
 * one place decides what happens once the turn's callbacks have run:
 * kz_loop_flush commits the batch, runs its after-commit effects, sends
 * its replies, re-arms the timer and kicks the outbox, in that order. */
#ifndef KZ_LOOP_H
#define KZ_LOOP_H

struct kz_daemon;

/* Creates the commit event (activated by the first operation of a turn,
 * it runs after the turn's other callbacks) and the timer event. */
void	 kz_loop_init(struct kz_daemon *);
void	 kz_loop_free(struct kz_daemon *);
/* The end of a turn, now (also at start and at shutdown). */
void	 kz_loop_flush(struct kz_daemon *);

#endif
