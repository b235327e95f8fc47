/* The plan's required drills (guideline 2.9.1, SPEC §10): when one falls
 * due, the daemon says so once, through the outbox, and records that it
 * did (meta "drill_due:TYPE" = the due date), so restarts and reloads do
 * not repeat it. Checked at start, after every (re)load and hourly. The
 * rule is the engine's (engine_plan_drill); this is when to ask it. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/apply.h"
#include "core/batch.h"
#include "core/daemon.h"
#include "core/plan-due.h"
#include "engine/engine.h"
#include "model/plan.h"
#include "store/store.h"

/* Each announcement in an operation of its own: one that fails does not
 * hold back the others (it is tried again within the hour). */
static void
announce(struct kz_daemon *d, const struct plan_drill *dr)
{
	struct effects	 fx = { 0 };
	struct actx	 a;
	char		 due[16], *key, *seen;
	int		 ok;

	kz_actx_init(d, &a, clock_now(), "keizokud");
	key = xprintf("drill_due:%s", plan_dtype_names[dr->type]);
	seen = store_meta_get(d->store, key);
	free(key);
	if (engine_plan_drill(&a, dr, seen, &fx, due) && kz_op_begin(d) == 0) {
		ok = kz_apply(d, &a, NULL, &fx) == 0;
		if (ok)
			log_info("plan: the %s drill fell due on %s",
			    plan_dtype_names[dr->type], due);
		kz_op_end(d, ok, NULL, NULL);
	}
	free(seen);
	effects_free(&fx);
}

void
kz_plan_drills_check(struct kz_daemon *d)
{
	size_t i;

	for (i = 0; d->plan != NULL && i < d->plan->ndrills; i++)
		announce(d, &d->plan->drills[i]);
}

static void
hourly_cb(evutil_socket_t fd, short ev, void *arg)
{
	kz_plan_drills_check(arg);
}

/* The hourly check; the result of each check is durable (meta), this
 * timer is only when to look again. */
struct event *
kz_plan_drills_start(struct kz_daemon *d)
{
	struct timeval	 tv = { 3600, 0 };
	struct event	*ev = event_new(d->base, -1, EV_PERSIST, hourly_cb, d);

	event_add(ev, &tv);
	kz_plan_drills_check(d);
	return ev;
}
