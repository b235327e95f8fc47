/* Exception measures (例外措置, SPEC §7): temporary departures from the
 * security policy, recorded so they cannot be forgotten. */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "duration.h"
#include "store.h"
#include "xmalloc.h"

/* An exception step became ready: record its anticipated measure as
 * requested, in the same operation. */
int
kz_exception_from_step(struct kz_daemon *d, const struct actx *a,
    struct incident *inc, const struct effect *e)
{
	json_t		*w = e->data, *p;
	const char	*rb = json_string_value(json_object_get(w, "revert_by"));
	const char	*why;
	int64_t		 secs = 0, id;
	int		 rc;

	if (rb != NULL && duration_parse(rb, &secs, &why) == -1)
		secs = 0;
	rc = store_exec(d->store, "INSERT INTO exceptions(incident, step, "
	    "title, policy, reason, state, requested_by, requested_at, "
	    "revert_by_at, drill) VALUES (?, ?, ?, ?, ?, 'requested', ?, ?, ?, "
	    "?)", p = json_pack("[I,s,s,s?,s?,s,I,o,b]", (json_int_t)inc->id,
	    inc->rb->steps[e->step].id, json_string_value(json_object_get(w,
	    "title")) ?: "", json_string_value(json_object_get(w, "policy")),
	    json_string_value(json_object_get(w, "reason")),
	    json_string_value(json_object_get(w, "requested_by")),
	    (json_int_t)a->now, secs > 0 ? json_integer(a->now + secs * 1000) :
	    json_null(), inc->drill));
	json_decref(p);
	if (rc == -1)
		return -1;
	id = store_last_id(d->store);
	return store_event(d->store, inc->id, a->now, a->actor, a->member,
	    "exception.requested", inc->rb->steps[e->step].id, p = json_pack(
	    "{s:I,s:O}", "exception", (json_int_t)id, "measure", w)) == -1 ?
	    (json_decref(p), -1) : (json_decref(p), 0);
}
