/* The loop owner. keizokud is one libevent loop; the callbacks of one
 * turn (requests, webhooks, timers, action and delivery results) write
 * inside operations of one batch (batch.h). Like redis's beforeSleep,
 * one place decides what happens once the turn's callbacks have run:
 * kz_loop_flush commits the batch, runs its after-commit effects, sends
 * its replies, re-arms the timer and kicks the outbox, in that order. */
#ifndef KZ_LOOP_H
#define KZ_LOOP_H

#include <stddef.h>

struct kz_daemon;

/* Creates the commit event (activated by the first operation of a turn,
 * it runs after the turn's other callbacks), the timer event and the
 * work queues. kz_loop_free drops what is still queued. */
void	 kz_loop_init(struct kz_daemon *);
void	 kz_loop_free(struct kz_daemon *);
/* A heavy after-commit effect (batch.c): runs from the work queue, a
 * slice of it per loop turn; drop(arg) if keizokud stops first. */
void	 kz_work_add(struct kz_daemon *, void (*fn)(struct kz_daemon *,
	    void *), void *arg, void (*drop)(void *));
size_t	 kz_work_pending(const struct kz_daemon *);
/* Stopping: drops what is still queued (its state is on disk; a restart
 * takes it up) after running the waiting requests (they refuse). */
void	 kz_work_free(struct kz_daemon *);
/* Whether this batch has taken in its share of work (or requests are
 * waiting already): a new write should wait its turn with kz_later,
 * which runs fn(d, arg) once a batch has room, in arrival order. */
int	 kz_batch_full(const struct kz_daemon *);
void	 kz_later(struct kz_daemon *, void (*fn)(struct kz_daemon *, void *),
	    void *arg);
/* Shutting down: every waiting request runs now (they see d->stopping
 * and refuse). */
void	 kz_later_flush(struct kz_daemon *);
/* The end of a turn, now (also at start and at shutdown). */
void	 kz_loop_flush(struct kz_daemon *);

#endif
