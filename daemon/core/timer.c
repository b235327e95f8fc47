/* Durable timers. Their truth is the timers table; in memory there is
 * only one libevent timer, armed for the earliest due time. Timers that
 * fell due while the daemon was down fire at once on start. */
#include <event2/event.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/beat.h"
#include "core/daemon.h"
#include "core/exception.h"
#include "core/rota-live.h"
#include "core/maint.h"
#include "core/sources.h"
#include "common/log.h"
#include "model/runbook.h"
#include "store/store.h"
#include "common/timeutil.h"

#define TIMER_BATCH	256
#define TIMER_BUDGET_MS	20	/* per loop turn: the rest on the next */
#define WORK_BUDGET_MS	25	/* batches of a call-out per loop turn */
#define TIMER_RETRY_MS	1000	/* after a failed commit */


void
kz_timers_rearm(struct kz_daemon *d)
{
	int64_t		due, now;
	struct timeval	tv;

	if (d->stopping)
		return;
	due = store_timer_next(d->store);
	d->timer_due = due;
	evtimer_del(d->timer_ev);
	/* The batches of a large call-out go on whatever the clock (the
	 * test clock too): one per loop turn, after the turn's I/O. */
	if (d->work_ev != NULL && !store_suspect(d->store)) {
		json_t *w = store_timers_kind(d->store, "fanout", 1);

		if (w != NULL && json_array_size(w) > 0) {
			struct timeval zero = { 0, 0 };

			evtimer_add(d->work_ev, &zero);
		}
		json_decref(w);
	}
	if (clock_is_test())
		return;
	now = clock_now();
	/* A commit failed (disk full, I/O error): what fell due is due
	 * still, and firing it at once would spin on the disk. Try again
	 * in a while, starting with the barrier (kz_timer_cb). */
	if (store_suspect(d->store))
		due = now + TIMER_RETRY_MS;
	if (due == INT64_MAX)
		return;
	if (due < now)
		due = now;
	tv.tv_sec = (due - now) / 1000;
	tv.tv_usec = (due - now) % 1000 * 1000;
	/* Never sleep past a day: the clock may have been stepped. */
	if (tv.tv_sec > 86400)
		tv.tv_sec = 86400;
	evtimer_add(d->timer_ev, &tv);
}

static void
fire(struct kz_daemon *d, json_t *t, int64_t now)
{
	int64_t		 id = json_integer_value(json_object_get(t, "id"));
	int64_t		 incid = json_integer_value(json_object_get(t,
			    "incident"));
	const char	*step = json_string_value(json_object_get(t, "step"));
	const char	*kind = json_string_value(json_object_get(t, "kind"));
	struct incident	*inc;
	struct effects	 fx = { 0 };
	struct actx	 a;
	int		 status, ok = 1;

	memset(&a, 0, sizeof a);
	a.roster = d->roster;
	a.now = now;
	a.actor = "keizokud";
	if (kz_op_begin(d) == -1)
		return;
	if (store_timer_delete(d->store, id) == -1)
		ok = 0;
	else if (strcmp(kind, "repeats") == 0)
		ok = kz_repeat_timer(d, incid, kind, t, now) == 0;
	else if (strncmp(kind, "exc-", 4) == 0)
		/* Exception reminders outlive the incident: not the
		 * engine's business. */
		ok = kz_exception_timer(d, incid, step, kind, now) == 0;
	else if (strcmp(kind, ROTA_TURN_TIMER) == 0)
		/* A rota's turn boundary: about every open incident. */
		ok = kz_rota_turn(d, step, now) == 0;
	else if (strcmp(kind, SOURCE_SILENT_TIMER) == 0)
		/* A source's silence: about no incident. */
		ok = source_silence_due(d, step, now) == 0;
	else if (strncmp(kind, MAINT_TIMER_PREFIX,
	    strlen(MAINT_TIMER_PREFIX)) == 0)
		ok = maint_timer(d, step, kind, now) == 0;
	else if ((inc = kz_incident_load(d, incid, &status)) != NULL) {
		int idx = step && *step ? runbook_step_index(inc->rb, step) : -1;

		log_debug("timer %s fired for incident %lld step %s", kind,
		    (long long)incid, step);
		if (strncmp(kind, "inject:", 7) == 0) {
			const char	*ds = json_string_value(json_object_get(
					    t, "data"));
			json_t		*data = ds ? json_loads(ds, 0, NULL) : NULL;

			if (data == NULL)
				data = json_object();
			engine_inject(&a, inc, data, &fx);
			json_decref(data);
		} else
			engine_timer(&a, inc, idx, kind, &fx);
		ok = kz_apply(d, &a, inc, &fx) == 0;
		incident_free(inc);
	} else if (status != 404)
		ok = 0;
	effects_free(&fx);
	kz_op_end(d, ok, NULL, NULL);
}

/* Runs due timers, in due order, within this loop turn's batch; bounded:
 * only until the batch has taken in its share (the rest fire at the next
 * turn: the commit re-arms for what is due). */
static void
timers_run(struct kz_daemon *d, int bounded)
{
	int64_t	 now = clock_now(), t0 = mono_ms();
	json_t	*due;
	size_t	 i, n;

	due = store_timers_due(d->store, now, TIMER_BATCH);
	if (due == NULL) {
		beat_tick(d);
		return;
	}
	n = json_array_size(due);
	for (i = 0; i < n && (i == 0 || !bounded || (!kz_batch_full(d) &&
	    mono_ms() - t0 < TIMER_BUDGET_MS)); i++)
		fire(d, json_array_get(due, i), now);
	json_decref(due);
	/* keizokud's own heartbeat: when it is due. */
	beat_tick(d);
}

/* Under the test clock, `_clock --advance` runs everything due before
 * it replies. */
void
kz_timers_run_all(struct kz_daemon *d)
{
	int64_t	 now = clock_now();
	json_t	*due;
	size_t	 i, n;

	do {
		due = store_timers_due(d->store, now, TIMER_BATCH);
		if (due == NULL)
			break;
		n = json_array_size(due);
		for (i = 0; i < n; i++)
			fire(d, json_array_get(due, i), now);
		json_decref(due);
	} while (n == TIMER_BATCH && !store_suspect(d->store));
	/* keizokud's own heartbeat, pings included (SPEC §17). */
	beat_tick(d);
}

/* Whether the engine asked for another batch. */
static int
wants_more(const struct effects *fx)
{
	size_t i;

	for (i = 0; i < fx->n; i++)
		if (fx->v[i].kind == EF_TIMER_SET && fx->v[i].type != NULL &&
		    strcmp(fx->v[i].type, "fanout") == 0)
			return 1;
	return 0;
}

/* Batches of a large call-out (see kz_timers_rearm): the incident is
 * loaded once, then batch after batch is applied for at most
 * WORK_BUDGET_MS, and the turn's commit takes them all. What is left
 * stays a "fanout" timer: the next turn, or the next start after a
 * crash, goes on from there (every member is called exactly once: the
 * call-outs and the cursor commit together). */
void
kz_work_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct kz_daemon	*d = arg;
	struct incident		*inc;
	struct actx		 a;
	json_t			*w, *t;
	int64_t			 t0 = mono_ms(), incid;
	const char		*step;
	int			 status, ok = 1, idx, more = 1;

	if (d->stopping || store_suspect(d->store))
		return;
	w = store_timers_kind(d->store, "fanout", 1);
	if (w == NULL || json_array_size(w) == 0) {
		json_decref(w);
		return;
	}
	t = json_array_get(w, 0);
	incid = json_integer_value(json_object_get(t, "incident"));
	step = json_string_value(json_object_get(t, "step"));
	memset(&a, 0, sizeof a);
	a.roster = d->roster;
	a.now = clock_now();
	a.actor = "keizokud";
	if (kz_op_begin(d) == -1) {
		json_decref(w);
		return;
	}
	if (store_timer_delete(d->store, json_integer_value(json_object_get(
	    t, "id"))) == -1)
		ok = 0;
	else if ((inc = kz_incident_load(d, incid, &status)) != NULL) {
		idx = runbook_step_index(inc->rb, step);
		while (ok && more && idx >= 0) {
			struct effects fx = { 0 };

			engine_timer(&a, inc, idx, "fanout", &fx);
			more = wants_more(&fx);
			ok = kz_apply(d, &a, inc, &fx) == 0;
			effects_free(&fx);
			if (mono_ms() - t0 >= WORK_BUDGET_MS)
				break;
		}
		incident_free(inc);
	} else if (status != 404)
		ok = 0;
	json_decref(w);
	kz_op_end(d, ok, NULL, NULL);
}

void
kz_timers_run(struct kz_daemon *d)
{
	timers_run(d, 0);
}

void
kz_timer_cb(evutil_socket_t fd, short ev, void *arg)
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
	timers_run(d, 1);
	if (!store_in_tx(d->store))
		kz_timers_rearm(d);
}
