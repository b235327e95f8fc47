/* The exceptions table (exception.h). An exception measure outlives its
 * incident, so it has a table of its own (store-exception.c); its
 * reminders are timers of its incident on step "exception:ID"
 * (engine/tkey.h). */
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/daemon.h"
#include "core/exception.h"
#include "engine/engine.h"
#include "store/store.h"

struct exc *
exc_get(struct kz_daemon *d, int64_t id, int *status)
{
	return store_exception_get(d->store, id, status);
}

int
exc_insert(struct kz_daemon *d, struct exc *x)
{
	return store_exception_add(d->store, x, &x->id);
}

int
exc_update(struct kz_daemon *d, const struct exc *x)
{
	return store_exception_save(d->store, x);
}

/* A measure as `exceptions` shows it: the stored columns in their order,
 * then what is measured at now. */
static json_t *
exc_json(const struct exc *x, int64_t now)
{
	int	 active = x->state == EXS_ACTIVE;
	json_t	*o, *in_force = json_null();

	o = json_pack("{s:I,s:I,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o,"
	    "s:o,s:o,s:b,s:o}", "id", (json_int_t)x->id, "incident",
	    (json_int_t)x->incident, "step", jstr_or_null(x->step), "title",
	    jstr_or_null(x->title), "policy", jstr_or_null(x->policy),
	    "reason", jstr_or_null(x->reason), "state",
	    exc_state_name(x->state), "requested_by",
	    jstr_or_null(x->requested_by), "requested_at",
	    jtime(x->requested_at), "approved_by",
	    jstr_or_null(x->approved_by), "approved_at", jtime(x->approved_at),
	    "revert_by_at", jtime(x->revert_by_at), "resolved_by",
	    jstr_or_null(x->resolved_by), "resolved_at", jtime(x->resolved_at),
	    "note", jstr_or_null(x->note), "drill", x->drill,
	    "decision_note", jstr_or_null(x->decision_note));
	/* Each decision's own note: approval (condition) or rejection, and
	 * the disposition's. Who typed a request for someone else is in the
	 * event log (actor, on_behalf); the list keeps its shape. */
	json_object_set_new(o, "resolution_note", jstr_or_null(x->note));
	/* How long the departure from policy has been (or was) in force. */
	if (active && x->approved_at != 0)
		in_force = json_integer((now - x->approved_at) / 1000);
	else if (x->approved_at != 0 && x->resolved_at != 0 &&
	    x->state != EXS_REJECTED)
		in_force = json_integer((x->resolved_at - x->approved_at) /
		    1000);
	json_object_set_new(o, "in_force_s", in_force);
	json_object_set_new(o, "overdue", json_boolean(active &&
	    x->revert_by_at != 0 && now >= x->revert_by_at));
	return o;
}

json_t *
exc_view(struct kz_daemon *d, int64_t id, int64_t now, int *status)
{
	struct exc	*x = exc_get(d, id, status);
	json_t		*out;

	if (x == NULL)
		return NULL;
	out = exc_json(x, now);
	exc_free(x);
	return out;
}

json_t *
kz_exceptions_list(struct kz_daemon *d, int64_t incident, int open,
    int64_t now, int64_t after, int64_t limit)
{
	struct exc	**v;
	json_t		 *out;
	size_t		  i, n;

	if (store_exceptions_page(d->store, incident, open, after, limit, &v,
	    &n) == -1)
		return NULL;
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(out, exc_json(v[i], now));
	store_exceptions_free(v, n);
	return out;
}

int
exc_open_ids(struct kz_daemon *d, int64_t incident, int64_t **ids,
    size_t *n)
{
	struct exc	**v;
	size_t		  i;

	if (store_exceptions_open(d->store, incident, &v, n) == -1)
		return -1;
	*ids = xcalloc(*n + 1, sizeof **ids);
	for (i = 0; i < *n; i++)
		(*ids)[i] = v[i]->id;
	store_exceptions_free(v, *n);
	return 0;
}
