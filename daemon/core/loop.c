/* The loop owner (loop.h): the commit event that ends a loop turn and
 * the timer event, and the one sequence that follows a turn. */
#include <event2/event.h>

#include "common/log.h"
#include "core/batch.h"
#include "core/daemon.h"
#include "core/loop.h"
#include "core/outbox.h"
#include "core/timer.h"
#include "store/store.h"

void
kz_loop_flush(struct kz_daemon *d)
{
	int ok;

	ok = kz_batch_commit(d) == 0;
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
	kz_timers_run(d);
	if (!store_in_tx(d->store))
		kz_timers_rearm(d);
}

void
kz_loop_init(struct kz_daemon *d)
{
	d->commit_ev = event_new(d->base, -1, 0, commit_cb, d);
	d->timer_ev = evtimer_new(d->base, timer_cb, d);
}

void
kz_loop_free(struct kz_daemon *d)
{
	event_free(d->commit_ev);
	event_free(d->timer_ev);
	d->commit_ev = d->timer_ev = NULL;
}
