/* Durable timers (timer.c): their truth is the timers table; in memory
 * there is one libevent timer (d->timer_ev), armed for the earliest. */
#ifndef KZ_TIMER_H
#define KZ_TIMER_H

struct kz_daemon;

/* Arms d->timer_ev for the earliest due timer (not with the test clock:
 * `_clock --advance` runs them). */
void	 kz_timers_rearm(struct kz_daemon *);
/* Fires every timer due now, each in its own operation of the current
 * batch. */
void	 kz_timers_run(struct kz_daemon *);
/* The same from the timer event: only until the batch has taken in its
 * share (the rest fire at the next turn). */
void	 kz_timers_run_bounded(struct kz_daemon *);
/* Under the test clock, `_clock --advance` runs everything due before
 * it replies. */
void	 kz_timers_run_all(struct kz_daemon *);
/* d->work_ev (armed by kz_timers_rearm while a TK_FANOUT timer waits):
 * the next batches of a large call-out or safety check, on the next
 * loop turn, whatever the clock; arg is the daemon. */
void	 kz_fanout_cb(int, short, void *);

#endif
