/* Safety confirmation (SPEC §18) between the engine and the store: the
 * rows of the safety table an EF_SAFETY effect asks for, the messages to
 * each member asked (or reminded), and the owner's summary. */
#include <stdlib.h>
#include <string.h>

#include "core/daemon.h"
#include "core/notify.h"
#include "core/safety.h"
#include "engine/engine.h"
#include "model/roster.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

#define SUMMARY_NAMES	100	/* names in the owner's summary */

static int
notify(struct kz_daemon *d, struct incident *inc, int step,
    enum kz_event ev, const char *to, json_t *data)
{
	struct effect	e;
	int		rc;

	memset(&e, 0, sizeof e);
	e.kind = EF_NOTIFY;
	e.ev = ev;
	e.step = step;
	e.data = data;
	e.to = (char *)to;
	rc = notify_enqueue(d, inc, &e);
	json_decref(data);
	return rc;
}

static int
summary(struct kz_daemon *d, struct incident *inc, const struct effect *e)
{
	const char	*step = inc->rb->steps[e->step].id;
	json_t		*t = store_safety_tally(d->store, inc->id, step);
	json_t		*un = store_safety_unheard(d->store, inc->id, step,
			    SUMMARY_NAMES), *r, *names;
	struct buf_s { char *p; } nb = { NULL };
	size_t		 i;
	int		 rc;

	if (t == NULL || un == NULL) {
		json_decref(t);
		json_decref(un);
		return -1;
	}
	names = json_array();
	json_array_foreach(un, i, r) {
		const char *n = json_string_value(json_object_get(r, "name"));

		json_array_append_new(names, json_string(n != NULL ? n :
		    json_string_value(json_object_get(r, "member"))));
	}
	for (i = 0; i < json_array_size(names); i++) {
		char *x = xprintf("%s%s%s", nb.p ? nb.p : "", nb.p ? "、" :
		    "", json_string_value(json_array_get(names, i)));

		free(nb.p);
		nb.p = x;
	}
	json_object_set_new(t, "not_heard", names);
	json_object_set_new(t, "not_heard_text", json_string(nb.p ? nb.p :
	    "-"));
	json_object_set_new(t, "not_heard_count", json_integer(
	    json_integer_value(json_object_get(t, "asked")) -
	    json_integer_value(json_object_get(t, "answered"))));
	json_object_set(t, "reason", json_object_get(e->data, "reason"));
	json_object_set_new(t, "title", json_string(
	    inc->rb->steps[e->step].title));
	free(nb.p);
	json_decref(un);
	rc = store_event(d->store, inc->id, clock_now(), "keizokud", NULL,
	    event_name(EV_SAFETY_SUMMARY), step, t);
	if (rc == 0)
		rc = notify(d, inc, e->step, EV_SAFETY_SUMMARY, inc->rb->owner,
		    json_incref(t));
	json_decref(t);
	return rc;
}

int
kz_safety_effect(struct kz_daemon *d, const struct actx *a,
    struct incident *inc, const struct effect *e)
{
	const char		*step = inc->rb->steps[e->step].id;
	const char		*member = json_string_value(json_object_get(
				    e->data, "member"));
	const struct member	*m;
	int			 rc;

	switch (e->op) {
	case SFO_SUMMARY:
		return summary(d, inc, e);
	case SFO_ANSWER:
		return store_safety_answer(d->store, inc->id, step, member,
		    e->data, a->now);
	case SFO_ASK:
		m = roster_member(d->roster, member);
		rc = store_safety_ask(d->store, inc->id, step, member,
		    m ? m->name : NULL, m ? m->site : NULL, m ? m->area : NULL,
		    a->now);
		break;
	case SFO_REMIND:
	default:
		rc = store_safety_remind(d->store, inc->id, step, member,
		    (int)json_integer_value(json_object_get(e->data,
		    "round")));
		break;
	}
	if (rc <= 0)
		return rc;
	/* Asked (or reminded) once: to the member alone. */
	return notify(d, inc, e->step, EV_SAFETY_ASK, member, json_pack(
	    "{s:s,s:s,s:O}", "member", member, "title",
	    inc->rb->steps[e->step].title, "round", json_object_get(e->data,
	    "round")));
}
