/* Durable timers. Their truth is the timers table; in memory there is
 * only one libevent timer, armed for the earliest due time. Timers that
 * fell due while the daemon was down fire at once on start. */
#include <event2/event.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/apply.h"
#include "core/beat.h"
#include "core/daemon.h"
#include "core/exception.h"
#include "core/leader.h"
#include "core/timer.h"
#include "core/triggerlog.h"
#include "core/loop.h"
#include "core/batch.h"
#include "core/rota-live.h"
#include "core/maint.h"
#include "core/sources.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "model/runbook.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "engine/engine.h"

#define TIMER_BATCH	256
#define TIMER_BUDGET_MS	20	/* per loop turn: the rest on the next */
#define WORK_BUDGET_MS	8	/* batches of a call-out per loop turn */
#define TIMER_RETRY_MS	1000	/* after a failed commit */


/* Whether d->timer_due (and d->fanout_waiting) still say what the table
 * holds: nothing written to it since the last look (most commits: a
 * trigger joining an incident, an answer, a delivery's result), and the
 * timer still armed for what that look found. Then it stands, without a
 * statement after every commit. */
static int
timers_stand(struct kz_daemon *d)
{
	return d->timers_known && d->timers_seen ==
	    store_timer_writes(d->store) && !store_suspect(d->store) &&
	    (clock_is_test() || d->timer_due == INT64_MAX ||
	    evtimer_pending(d->timer_ev, NULL));
}

/* Reads the earliest due time and whether a call-out's batches wait. */
static void
timers_look(struct kz_daemon *d)
{
	int fanout = 0;

	d->timers_seen = store_timer_writes(d->store);
	d->timers_known = !store_suspect(d->store);
	if (d->work_ev != NULL && !store_suspect(d->store)) {
		if ((d->timer_due = store_timer_next_kind(d->store,
		    tkey_name(TK_FANOUT), &fanout)) == -1) {
			d->timer_due = INT64_MAX;
			d->timers_known = 0;	/* again at the next commit */
		}
	} else {
		d->timer_due = store_timer_next(d->store);
		d->timers_known = 0;
	}
	d->fanout_waiting = fanout;
}

void
kz_timers_rearm(struct kz_daemon *d)
{
	int64_t		due, now;
	struct timeval	tv;
	int		stand;

	if (d->stopping)
		return;
	/* A follower fires nothing (the leader does: leader.c). */
	if (!kz_leading(d)) {
		evtimer_del(d->timer_ev);
		d->timer_due = INT64_MAX;
		d->timers_known = 0;	/* another instance writes */
		return;
	}
	if (!(stand = timers_stand(d)))
		timers_look(d);
	/* The batches of a large call-out go on whatever the clock (the
	 * test clock too): one per loop turn, after the turn's I/O. */
	if (d->fanout_waiting && d->work_ev != NULL) {
		struct timeval zero = { 0, 0 };

		evtimer_add(d->work_ev, &zero);
	}
	if (stand)
		return;
	due = d->timer_due;
	evtimer_del(d->timer_ev);
	if (clock_is_test())
		return;
	now = clock_now();
	/* A commit failed (disk full, I/O error): what fell due is due
	 * still, and firing it at once would spin on the disk. Try again
	 * in a while, starting with the barrier (timer_cb in loop.c). */
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

/* An exception's reminder: exceptions outlive their incident, so it is
 * loaded from its own table. 0, or -1 when the storage failed. */
static int
fire_exception(struct kz_daemon *d, const struct actx *a, int64_t incid,
    const struct tkey *k)
{
	struct incident	*inc;
	struct exc	*x;
	struct effects	 fx = { 0 };
	int		 status, rc;

	if ((x = exc_get(d, k->n, &status)) == NULL)
		return status == 404 ? 0 : -1;
	if (x->incident != incid) {	/* stale */
		exc_free(x);
		return 0;
	}
	if ((inc = kz_incident_load(d, incid, &status)) == NULL) {
		exc_free(x);
		return status == 404 ? 0 : -1;
	}
	log_debug("exception %lld: reminder %s", (long long)x->id,
	    k->kind == TK_EXC_BEFORE ? "before" : "after");
	engine_exception_timer(a, inc, x, k, &fx);
	rc = kz_apply(d, a, inc, &fx);
	effects_free(&fx);
	incident_free(inc);
	exc_free(x);
	return rc;
}

/* A step's or the incident's timer. 0, or -1 when the storage failed. */
static int
fire_incident(struct kz_daemon *d, const struct actx *a, int64_t incid,
    const char *step, const struct tkey *k, json_t *t)
{
	struct incident	*inc;
	struct effects	 fx = { 0 };
	json_t		*data;
	int		 status, rc, idx;

	if ((inc = kz_incident_load(d, incid, &status)) == NULL)
		return status == 404 ? 0 : -1;
	idx = step && *step ? runbook_step_index(inc->rb, step) : -1;
	log_debug("timer %s fired for incident %lld step %s",
	    jget_str(t, "kind"), (long long)incid, step);
	if (k->kind == TK_INJECT) {
		const char *ds = jget_str(t, "data");

		if ((data = ds ? json_loads(ds, 0, NULL) : NULL) == NULL)
			data = json_object();
		engine_inject(a, inc, data, &fx);
		json_decref(data);
	} else
		engine_timer(a, inc, idx, k, &fx);
	rc = kz_apply(d, a, inc, &fx);
	effects_free(&fx);
	incident_free(inc);
	return rc;
}

/* One due timer, in an operation of its own: the row goes, and what it
 * was for happens (or, for a row no code writes, nothing). */
static void
fire(struct kz_daemon *d, json_t *t, int64_t now)
{
	int64_t		 incid = jget_int(t, "incident");
	const char	*step = jget_str(t, "step");
	struct tkey	 k;
	struct actx	 a;
	int		 ok = 1, known, del;

	kz_actx_init(d, &a, now, "keizokud");
	if (kz_op_begin(d) == -1)
		return;
	known = tkey_parse(jget_str(t, "kind"), step, &k) == 0;
	if ((del = store_timer_delete(d->store, jget_int(t, "id"))) == -1)
		ok = 0;
	else if (del == 0)
		/* Gone meanwhile: cleared earlier in this batch, or fired
		 * by a leader deposed since (instances take turns writing,
		 * leader.c): once is enough. */
		log_debug("timer %lld is gone already", (long long)
		    jget_int(t, "id"));
	else if (!known)
		;
	else if (k.kind == TK_REPEATS)
		/* Repeats of a trigger summed up (triggerlog.c). */
		ok = kz_repeat_timer(d, incid, t, now) == 0;
	else if (tkey_is_exception(k.kind))
		ok = fire_exception(d, &a, incid, &k) == 0;
	else if (k.kind == TK_ROTA_TURN)
		/* A rota's turn boundary: about every open incident. */
		ok = kz_rota_turn(d, step, now) == 0;
	else if (k.kind == TK_SOURCE_SILENT)
		/* A source's silence: about no incident. */
		ok = source_silence_due(d, step, now) == 0;
	else if (k.kind == TK_MAINT_START || k.kind == TK_MAINT_END)
		/* A maintenance window opens or ends (maint.c). */
		ok = maint_timer(d, step, k.kind, now) == 0;
	else
		ok = fire_incident(d, &a, incid, step, &k, t) == 0;
	tkey_free(&k);
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

	/* A follower fires nothing; its own heartbeat it sends. */
	if (!kz_leading(d)) {
		beat_tick(d);
		return;
	}
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

	if (!kz_leading(d)) {
		beat_tick(d);
		return;
	}
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
		if (fx->v[i].kind == EF_TIMER_SET &&
		    fx->v[i].tk.kind == TK_FANOUT)
			return 1;
	return 0;
}

/* The incident for the batches of a call-out: for an assemble step only
 * its counts (each batch loads its slice of the call-outs), else all. */
static struct incident *
fanout_load(struct kz_daemon *d, int64_t incid, const char *step,
    int *status)
{
	struct incident	*inc = kz_incident_load_head(d, incid, status);
	int		 i;

	if (inc == NULL)
		return NULL;
	i = runbook_step_index(inc->rb, step);
	if (i >= 0 && inc->rb->steps[i].type == ST_ASSEMBLE)
		return inc;
	incident_free(inc);
	return kz_incident_load(d, incid, status);
}

/* Loads the call-outs the next batch of assemble step i needs
 * (engine_fanout_slice); when it needs them all, *incp becomes the whole
 * incident. 0 (and *ok 0) on a failed read. */
static int
fanout_slice(struct kz_daemon *d, const struct actx *a,
    struct incident **incp, int i, int *ok)
{
	struct incident	 *inc = *incp;
	const char	**m;
	size_t		  n;
	int64_t		  id = inc->id;
	int		  status;

	if ((m = engine_fanout_slice(a, inc, i, &n)) != NULL) {
		if (store_callouts_load(d->store, inc, m, n) == -1)
			*ok = 0;
		free(m);
		return *ok;
	}
	incident_free(inc);
	if ((*incp = kz_incident_load(d, id, &status)) == NULL)
		*ok = 0;
	return *ok;
}

/* Batches of a large call-out (see kz_timers_rearm): the incident is
 * loaded once, then batch after batch is applied for at most
 * WORK_BUDGET_MS, and the turn's commit takes them all. What is left
 * stays a "fanout" timer: the next turn, or the next start after a
 * crash, goes on from there (every member is called exactly once: the
 * call-outs and the cursor commit together). */
void
kz_fanout_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct kz_daemon	*d = arg;
	struct incident		*inc;
	struct actx		 a;
	struct tkey		 k = { .kind = TK_FANOUT };
	json_t			*w, *t;
	int64_t			 t0 = mono_ms(), incid;
	const char		*step;
	int			 status, ok = 1, idx, more = 1;

	if (d->stopping || store_suspect(d->store) || !kz_leading(d))
		return;
	w = store_timers_kind(d->store, tkey_name(TK_FANOUT), 1);
	if (w == NULL || json_array_size(w) == 0) {
		json_decref(w);
		return;
	}
	t = json_array_get(w, 0);
	incid = jget_int(t, "incident");
	step = jget_str(t, "step");
	kz_actx_init(d, &a, clock_now(), "keizokud");
	if (kz_op_begin(d) == -1) {
		json_decref(w);
		return;
	}
	if (store_timer_delete(d->store, jget_int(t, "id")) == -1)
		ok = 0;
	else if ((inc = fanout_load(d, incid, step, &status)) != NULL) {
		idx = runbook_step_index(inc->rb, step);
		while (ok && more && idx >= 0) {
			struct effects fx = { 0 };

			/* A batch of an assemble step: its slice of the
			 * call-outs, else the whole incident. */
			if (inc->part != NULL && !fanout_slice(d, &a, &inc,
			    idx, &ok))
				break;
			engine_timer(&a, inc, idx, &k, &fx);
			if (inc->part != NULL && inc->part->need_full) {
				/* Again, on the whole incident. */
				effects_free(&fx);
				incident_free(inc);
				if ((inc = kz_incident_load(d, incid,
				    &status)) == NULL)
					break;
				continue;
			}
			more = wants_more(&fx);
			ok = kz_apply(d, &a, inc, &fx) == 0;
			effects_free(&fx);
			if (mono_ms() - t0 >= WORK_BUDGET_MS)
				break;
		}
		if (inc == NULL && status != 404)
			ok = 0;
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
kz_timers_run_bounded(struct kz_daemon *d)
{
	timers_run(d, 1);
}
