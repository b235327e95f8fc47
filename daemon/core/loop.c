/* The loop owner (loop.h): the commit event that ends a loop turn and
 * the timer event, the one sequence that follows a turn, the work queue
 * of heavy after-commit effects and the requests waiting for a batch
 * with room.
 *
 * Heavy effects (starting actions: loading the incident, a child
 * process, an HTTP request) run from a queue drained KZ_SLICE_NS per loop
 * turn, so that a burst delays no reply, no /healthz and no signal by
 * more than that. */
#include <event2/event.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "core/batch.h"
#include "core/daemon.h"
#include "core/loop.h"
#include "core/outbox.h"
#include "core/timer.h"
#include "common/xmalloc.h"
#include "store/store.h"

#define KZ_SLICE_NS	(3 * 1000000)	/* work per loop turn */

struct kz_job {
	void		(*fn)(struct kz_daemon *, void *);
	void		(*drop)(void *);
	void		*arg;
	struct kz_job	*next;
};

struct kz_work {
	/* Heavy effects, in commit order. */
	struct kz_job	*head, **tail;
	size_t		 n;
	struct event	*ev;
	/* Requests waiting for a batch with room, in arrival order. */
	struct kz_job	*later, **later_tail;
	size_t		 nlater;
	struct event	*later_ev;
};

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Runs queued effects for at most KZ_SLICE_NS, then yields to the loop
 * (a zero timeout comes after the next poll for I/O). */
static void
work_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct kz_daemon	*d = arg;
	struct kz_work		*w = d->work;
	struct kz_job		*p;
	int64_t			 end = mono_ns() + KZ_SLICE_NS;
	struct timeval		 zero = { 0, 0 };

	while (!d->stopping && (p = w->head) != NULL) {
		if ((w->head = p->next) == NULL)
			w->tail = &w->head;
		w->n--;
		p->fn(d, p->arg);
		free(p);
		if (mono_ns() >= end)
			break;
	}
	if (w->head != NULL && !d->stopping)
		evtimer_add(w->ev, &zero);
}

void
kz_work_add(struct kz_daemon *d, void (*fn)(struct kz_daemon *, void *),
    void *arg, void (*drop)(void *))
{
	struct kz_work	*w = d->work;
	struct kz_job	*p;
	struct timeval	 zero = { 0, 0 };

	if (w == NULL) {	/* no loop yet: at once */
		fn(d, arg);
		return;
	}
	p = xcalloc(1, sizeof *p);
	p->fn = fn;
	p->arg = arg;
	p->drop = drop;
	*w->tail = p;
	w->tail = &p->next;
	if (w->n++ == 0)
		evtimer_add(w->ev, &zero);
}

int
kz_batch_full(const struct kz_daemon *d)
{
	const struct kz_work *w = d->work;

	return w != NULL && (!kz_batch_has_room(d) || w->later != NULL);
}

static void
later_arm(struct kz_daemon *d)
{
	struct timeval zero = { 0, 0 };

	if (d->work != NULL && d->work->later != NULL)
		evtimer_add(d->work->later_ev, &zero);
}

/* Runs waiting requests while the batch has room; the rest wait for the
 * next (the end of the turn re-arms this). */
static void
later_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct kz_daemon	*d = arg;
	struct kz_work		*w = d->work;
	struct kz_job		*p;

	while ((p = w->later) != NULL && (d->stopping ||
	    kz_batch_has_room(d))) {
		if ((w->later = p->next) == NULL)
			w->later_tail = &w->later;
		w->nlater--;
		p->fn(d, p->arg);
		free(p);
	}
	/* Nothing opened a batch (every one was answered at once): go on at
	 * the next turn rather than wait for a commit. */
	if (w->later != NULL && !store_in_tx(d->store))
		later_arm(d);
}

void
kz_later(struct kz_daemon *d, void (*fn)(struct kz_daemon *, void *),
    void *arg)
{
	struct kz_work	*w = d->work;
	struct kz_job	*p = xcalloc(1, sizeof *p);

	p->fn = fn;
	p->arg = arg;
	*w->later_tail = p;
	w->later_tail = &p->next;
	if (w->nlater++ == 0 && !store_in_tx(d->store))
		later_arm(d);
}

void
kz_later_flush(struct kz_daemon *d)
{
	if (d->work != NULL)
		later_cb(-1, 0, d);
}

size_t
kz_work_pending(const struct kz_daemon *d)
{
	return d->work != NULL ? d->work->n : 0;
}

void
kz_loop_flush(struct kz_daemon *d)
{
	int ok;

	ok = kz_batch_commit(d) == 0;
	later_arm(d);		/* a new batch has room */
	kz_batch_settle(d, ok);
	kz_timers_rearm(d);
	outbox_kick(d);
}

static void
commit_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct kz_daemon *d = arg;

	d->commit_scheduled = 0;
	kz_loop_flush(d);
}

/* The earliest durable timer fell due. After a failed COMMIT the store
 * first needs its barrier (store_suspect): until that works, nothing is
 * fired, only retried later. */
static void
timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct kz_daemon *d = arg;

	if (store_suspect(d->store)) {
		if (store_in_tx(d->store) || store_barrier(d->store) == -1) {
			kz_timers_rearm(d);	/* in a while */
			return;
		}
		log_info("store: writes work again");
		outbox_kick(d);
	}
	kz_timers_run_bounded(d);
	if (!store_in_tx(d->store))
		kz_timers_rearm(d);
}

void
kz_loop_init(struct kz_daemon *d)
{
	d->commit_ev = event_new(d->base, -1, 0, commit_cb, d);
	d->timer_ev = evtimer_new(d->base, timer_cb, d);
	d->work_ev = evtimer_new(d->base, kz_fanout_cb, d);
	d->work = xcalloc(1, sizeof *d->work);
	d->work->tail = &d->work->head;
	d->work->ev = evtimer_new(d->base, work_cb, d);
	d->work->later_tail = &d->work->later;
	d->work->later_ev = evtimer_new(d->base, later_cb, d);
}

void
kz_loop_free(struct kz_daemon *d)
{
	event_free(d->commit_ev);
	event_free(d->timer_ev);
	event_free(d->work_ev);
	d->commit_ev = d->timer_ev = d->work_ev = NULL;
	kz_work_free(d);
}

void
kz_work_free(struct kz_daemon *d)
{
	struct kz_work	*w = d->work;
	struct kz_job	*p, *next;

	if (w == NULL)
		return;
	/* What is still queued at exit is dropped: its state is on disk,
	 * and a restart takes it up (actions not started are started
	 * then). */
	kz_later_flush(d);
	for (p = w->head; p != NULL; p = next) {
		next = p->next;
		if (p->drop != NULL)
			p->drop(p->arg);
		free(p);
	}
	event_free(w->ev);
	event_free(w->later_ev);
	free(w);
	d->work = NULL;
}
