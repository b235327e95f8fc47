/* RTO clocks (SPEC §9): an incident of a runbook that names systems
 * tracks each one's recovery time objective from activation; warnings at
 * 50% and 80%, a breach at 100%; a step that restores a system stops its
 * clock. Pure, like the rest of the engine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine-int.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

static const int rto_pcts[] = { 50, 80, 100 };

void
eng_rto_start(const struct actx *a, struct incident *inc, struct effects *fx)
{
	char *const	*sys = inc->rb->systems;
	json_t		*started = json_array();
	size_t		 i, k;

	for (i = 0; sys != NULL && sys[i] != NULL; i++) {
		json_t	*r = a->rtos ? json_object_get(a->rtos, sys[i]) : NULL;
		int64_t	 rto = json_is_integer(r) ? json_integer_value(r) : 0;

		json_object_set_new(inc->systems, sys[i], json_pack(
		    "{s:o,s:I,s:o,s:n}", "rto_s", rto > 0 ? json_integer(rto) :
		    json_null(), "started_at", (json_int_t)a->now,
		    "deadline_at", rto > 0 ? json_integer(a->now + rto * 1000) :
		    json_null(), "recovered_at"));
		json_array_append_new(started, json_pack("{s:s,s:o}", "system",
		    sys[i], "rto_s", rto > 0 ? json_integer(rto) :
		    json_null()));
		for (k = 0; rto > 0 && k < sizeof rto_pcts / sizeof rto_pcts[0];
		    k++)
			eng_timer_set_key(fx, (struct tkey){ .kind = TK_RTO,
			    .n = rto_pcts[k], .a = xstrdup(sys[i]) }, -1,
			    a->now + rto * 10 * rto_pcts[k]);
	}
	inc->dirty = 1;
	if (json_array_size(started) > 0)
		eng_event(fx, EV_RTO_STARTED, -1, json_pack("{s:o}", "systems",
		    started));
	else
		json_decref(started);
}

void
eng_rto_timer(const struct actx *a, struct incident *inc,
    const struct tkey *k, struct effects *fx)
{
	const char	*sys = k->a;
	int		 pct = (int)k->n;
	json_t		*e, *d;
	char		 ts[40];

	e = json_object_get(inc->systems, sys);
	if (e == NULL || !json_is_null(json_object_get(e, "recovered_at")))
		return;
	d = json_pack("{s:s,s:i,s:O,s:s}", "system", sys, "pct", pct,
	    "rto_s", json_object_get(e, "rto_s"), "deadline_at",
	    rfc3339_buf(json_integer_value(json_object_get(e, "deadline_at")),
	    ts, sizeof ts));
	eng_event(fx, pct >= 100 ? EV_RTO_BREACHED : EV_RTO_WARNING, -1,
	    json_deep_copy(d));
	eng_notify(fx, pct >= 100 ? EV_RTO_BREACHED : EV_RTO_WARNING, -1,
	    inc->rb->owner, d);
}

static void
clear_clocks(struct effects *fx, const char *sys)
{
	size_t k;

	for (k = 0; k < sizeof rto_pcts / sizeof rto_pcts[0]; k++)
		eng_timer_clear_key(fx, (struct tkey){ .kind = TK_RTO,
		    .n = rto_pcts[k], .a = xstrdup(sys) }, -1);
}

void
eng_rto_restored(const struct actx *a, struct incident *inc, int i,
    struct effects *fx)
{
	char *const	*res = inc->rb->steps[i].restores;
	size_t		 j;

	for (j = 0; res != NULL && res[j] != NULL; j++) {
		json_t	*e = json_object_get(inc->systems, res[j]), *rto, *d;
		int64_t	 elapsed;

		if (e == NULL || !json_is_null(json_object_get(e,
		    "recovered_at")))
			continue;
		json_object_set_new(e, "recovered_at", json_integer(a->now));
		inc->dirty = 1;
		elapsed = (a->now - json_integer_value(json_object_get(e,
		    "started_at"))) / 1000;
		rto = json_object_get(e, "rto_s");
		d = json_pack("{s:s,s:I,s:O,s:o}", "system", res[j], "elapsed_s",
		    (json_int_t)elapsed, "rto_s", rto, "met", json_is_integer(
		    rto) ? json_boolean(elapsed <= json_integer_value(rto)) :
		    json_null());
		clear_clocks(fx, res[j]);
		eng_event(fx, EV_SYSTEM_RECOVERED, i, json_deep_copy(d));
		eng_notify(fx, EV_SYSTEM_RECOVERED, i, inc->rb->owner, d);
	}
}

void
eng_rto_stop(struct incident *inc, struct effects *fx)
{
	const char	*sys;
	json_t		*e;

	json_object_foreach(inc->systems, sys, e)
		if (json_is_null(json_object_get(e, "recovered_at")))
			clear_clocks(fx, sys);
}

json_t *
engine_systems_json(const struct incident *inc, int64_t now)
{
	json_t		*out = json_array(), *e;
	const char	*sys;
	char		*const *order = inc->rb->systems;
	size_t		 i;

	for (i = 0; order != NULL && order[i] != NULL; i++) {
		int64_t	 start, rec, dl;
		json_t	*rto;
		char	 b1[40], b2[40];

		sys = order[i];
		if ((e = json_object_get(inc->systems, sys)) == NULL) {
			json_array_append_new(out, json_pack("{s:s,s:n,s:n,s:n,"
			    "s:n,s:n,s:s}", "id", sys, "rto_s", "deadline_at",
			    "recovered_at", "elapsed_s", "met", "state",
			    "not started"));
			continue;
		}
		start = json_integer_value(json_object_get(e, "started_at"));
		rec = json_integer_value(json_object_get(e, "recovered_at"));
		dl = json_integer_value(json_object_get(e, "deadline_at"));
		rto = json_object_get(e, "rto_s");
		json_array_append_new(out, json_pack("{s:s,s:O,s:o,s:o,s:I,s:o,"
		    "s:s}", "id", sys, "rto_s", rto, "deadline_at", dl ?
		    json_string(rfc3339_buf(dl, b1, sizeof b1)) : json_null(),
		    "recovered_at", rec ? json_string(rfc3339_buf(rec, b2,
		    sizeof b2)) : json_null(), "elapsed_s", (json_int_t)(((rec ?
		    rec : now) - start) / 1000), "met", !json_is_integer(rto) ?
		    json_null() : rec ? json_boolean(rec <= dl) : now > dl ?
		    json_false() : json_null(), "state", rec ? "recovered" :
		    dl && now > dl ? "breached" : "running"));
	}
	return out;
}
