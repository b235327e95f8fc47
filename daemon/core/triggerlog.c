/*
 * The upkeep of what triggers leave behind.
 *
 * Repeats: an alert that storms repeats many times a minute, and each
 * repeat of an open incident's trigger would be a message to every
 * channel (3,000 repeats, 9,000 messages). The first repeat is told at
 * once; the ones that follow within triggers.repeat_summary are counted
 * in a durable timer (kind "repeats", its data the counts) and told as
 * one summary when it falls due, again every period while they keep
 * coming. Every repeat is still on the incident's timeline.
 *
 * Retention: rows of the triggers table older than triggers.retention
 * are deleted, a bounded batch per operation, at start, on reload and
 * every hour (incidents keep their own copy of their trigger).
 */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "common/jsonutil.h"
#include "core/apply.h"
#include "core/batch.h"
#include "core/daemon.h"
#include "core/loop.h"
#include "core/notify.h"
#include "core/triggerlog.h"
#include "engine/engine.h"
#include "engine/tkey.h"
#include "model/config.h"
#include "store/store.h"

#define TL_KIND		tkey_name(TK_REPEATS)
#define TL_PRUNE_BATCH	1000		/* rows per operation */
#define TL_PRUNE_EVERY	3600		/* s */

/* The counts waiting in the incident's repeats timer; NULL when none is
 * armed. */
/* The counts waiting in the incident's repeats timer; NULL when none is
 * armed (or the store failed: the next repeat is told on its own). */
static json_t *
tl_pending(struct kz_daemon *d, int64_t incident, int64_t *due)
{
	json_t *data;

	if (store_timer_get(d->store, incident, "", TL_KIND, due, &data) != 1)
		return NULL;
	return data;
}

int
kz_repeat_notify(struct kz_daemon *d, const struct incident *inc,
    const struct effect *e)
{
	int64_t		 every = d->conf->repeat_summary_s * 1000, due = 0;
	int64_t		 now = clock_now();
	const char	*kind;
	json_t		*counts;
	int		 rc;

	if (every <= 0)
		return notify_enqueue(d, inc, e);
	if ((counts = tl_pending(d, inc->id, &due)) == NULL) {
		/* The first of a run: told now, the rest summed up. */
		counts = json_pack("{s:i}", "count", 0);
		rc = notify_enqueue(d, inc, e);
		if (rc == 0)
			rc = store_timer_set(d->store, inc->id, "", TL_KIND,
			    now + every, counts);
		json_decref(counts);
		return rc;
	}
	kind = json_string_value(json_object_get(e->data, "kind"));
	json_object_set_new(counts, "count", json_integer(json_integer_value(
	    json_object_get(counts, "count")) + 1));
	if (kind != NULL)
		json_object_set_new(counts, kind, json_integer(
		    json_integer_value(json_object_get(counts, kind)) + 1));
	rc = store_timer_set(d->store, inc->id, "", TL_KIND, due, counts);
	json_decref(counts);
	return rc;
}

int
kz_repeat_timer(struct kz_daemon *d, int64_t incident, json_t *t,
    int64_t now)
{
	struct incident	*inc;
	struct effect	 e;
	const char	*s = json_string_value(json_object_get(t, "data"));
	json_t		*counts = s != NULL ? json_loads(s, 0, NULL) : NULL;
	int64_t		 n = json_integer_value(json_object_get(counts,
			    "count"));
	int		 status, rc = 0;

	/* The fired timer is deleted already: none come, the run is over
	 * (the next repeat is told at once). */
	if (n <= 0 || (inc = kz_incident_load(d, incident, &status)) == NULL) {
		json_decref(counts);
		return 0;
	}
	if (inc->state == IS_PENDING || inc->state == IS_ACTIVE) {
		memset(&e, 0, sizeof e);
		e.kind = EF_NOTIFY;
		e.ev = EV_TRIGGER_REPEATED;
		e.step = -1;
		e.to = inc->rb->owner;
		e.data = json_pack("{s:s,s:I,s:I,s:O}", "kind", "summary",
		    "count", (json_int_t)n, "period_s",
		    (json_int_t)d->conf->repeat_summary_s, "counts", counts);
		rc = notify_enqueue(d, inc, &e);
		json_decref(e.data);
		/* Another period, to see whether they keep coming. */
		if (rc == 0) {
			json_t *zero = json_pack("{s:i}", "count", 0);

			rc = store_timer_set(d->store, incident, "", TL_KIND,
			    now + d->conf->repeat_summary_s * 1000, zero);
			json_decref(zero);
		}
	}
	incident_free(inc);
	json_decref(counts);
	return rc;
}

/* ---- retention ---- */

static void
tl_prune_cb(evutil_socket_t fd, short ev, void *arg)
{
	kz_triggers_prune(arg);
}

void
kz_triggers_prune(struct kz_daemon *d)
{
	int64_t		 before;
	int64_t		 n = 0;
	int		 ok, more;
	static int	 said;

	if (d->conf->trigger_retention_s <= 0 || d->stopping)
		return;
	before = clock_now() - d->conf->trigger_retention_s * 1000;
	do {
		if (kz_op_begin(d) == -1)
			return;
		n = store_triggers_prune(d->store, before, TL_PRUNE_BATCH);
		ok = n != -1;
		kz_op_end(d, ok, NULL, NULL);
		more = ok && n == TL_PRUNE_BATCH;
		if (n > 0 && !said) {
			log_info("triggers: deleting rows older than "
			    "triggers.retention (%lld days)", (long long)
			    (d->conf->trigger_retention_s / 86400));
			said = 1;
		}
	} while (more && !kz_batch_full(d));
	/* Past this turn's share: the rest in the next. */
	if (more)
		event_base_once(d->base, -1, EV_TIMEOUT, tl_prune_cb, d, NULL);
}

/* From inside an operation (the reload command): at the next turn. */
void
kz_triggers_prune_soon(struct kz_daemon *d)
{
	event_base_once(d->base, -1, EV_TIMEOUT, tl_prune_cb, d, NULL);
}

struct event *
kz_triggers_prune_start(struct kz_daemon *d)
{
	struct event	*ev = event_new(d->base, -1, EV_PERSIST, tl_prune_cb, d);
	struct timeval	 tv = { TL_PRUNE_EVERY, 0 };

	event_add(ev, &tv);
	kz_triggers_prune(d);
	return ev;
}
