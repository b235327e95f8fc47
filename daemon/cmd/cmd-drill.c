/* Drills (SPEC §10): `drill start SCENARIO` and `drill list`. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "model/config.h"
#include "core/daemon.h"
#include "common/diag.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "model/scenario.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

static int
start_injects(struct kz_daemon *d, const struct scenario *sc, int64_t id,
    int64_t now)
{
	size_t i;

	for (i = 0; i < sc->ninjects; i++) {
		const struct inject	*in = &sc->injects[i];
		char			 kind[32];
		json_t			*data;
		int			 rc;

		snprintf(kind, sizeof kind, "inject:%zu", i + 1);
		data = json_pack("{s:i,s:s,s:s?,s:I}", "n", (int)i + 1, "text",
		    in->text, "to", in->to, "at_s", (json_int_t)in->at_s);
		rc = store_timer_set(d->store, id, "", kind, now +
		    in->at_s * 1000, data);
		json_decref(data);
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
cmd_drill_start(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	const char	*name = req_str(r, "scenario");
	struct diags	 dg = { 0 };
	struct scenario	*sc;
	struct runbook	*rb;
	struct actx	 a;
	json_t		*vars, *v;
	const char	*k;
	char		*why = NULL, *note;
	int64_t		 id;
	int		 status;

	sc = scenario_find(d->conf->scenarios, name ? name : "", d->rbs,
	    d->roster, &dg);
	if (sc == NULL) {
		*body = dg.n > 0 ? kz_error("scenario %s is invalid: %s", name,
		    dg.msgs[0]) : kz_error("no scenario \"%s\" in %s (see "
		    "keizoku drill list)", name ? name : "",
		    d->conf->scenarios);
		status = dg.n > 0 ? 400 : 404;
		diag_free(&dg);
		return status;
	}
	diag_free(&dg);
	kz_actx(d, r, &a);
	rb = rbset_find(d->rbs, sc->runbook);
	if (!runbook_may_activate(rb, d->roster, a.member ? a.member : a.actor,
	    a.admin && a.member == NULL)) {
		char *who = runbook_activators_text(rb);

		*body = kz_error("only %s or an admin may start a drill of %s "
		    "(the runbook's activators:)", who, rb->id);
		free(who);
		scenario_free(sc);
		return 403;
	}
	vars = json_deep_copy(rb->vars);
	json_object_foreach(sc->vars, k, v) {
		if (json_object_get(rb->vars, k) == NULL) {
			*body = kz_error("%s: runbook %s has no variable "
			    "\"%s\"", sc->file, rb->id, k);
			json_decref(vars);
			scenario_free(sc);
			return 400;
		}
		json_object_set_new(vars, k, json_is_string(v) ?
		    json_incref(v) : json_string(""));
	}
	note = xprintf("シナリオ訓練 / scenario drill: %s", sc->title);
	status = kz_start_incident(d, &a, rb, 1, sc->trigger, vars, NULL, NULL,
	    0, NULL, note, &id, &why);
	free(note);
	json_decref(vars);
	if (status == 200 && (start_injects(d, sc, id, a.now) == -1 ||
	    store_event(d->store, id, a.now, a.actor, a.member,
	    "drill.scenario", NULL, v = json_pack("{s:s,s:s,s:I}", "scenario",
	    sc->id, "title", sc->title, "injects",
	    (json_int_t)sc->ninjects)) == -1)) {
		status = 503;
		why = xstrdup("storage unavailable");
	}
	if (status != 200) {
		*body = kz_error("%s", why);
		free(why);
		scenario_free(sc);
		return status;
	}
	json_decref(v);
	*body = json_pack("{s:I,s:s,s:s,s:I,s:b}", "incident", (json_int_t)id,
	    "state", "active", "scenario", sc->id, "injects",
	    (json_int_t)sc->ninjects, "drill", 1);
	scenario_free(sc);
	return 201;
}

int
cmd_drill_list(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	json_t	*drills = store_query(d->store, "SELECT id, runbook, title, "
	    "state, drill, started_at, closed_at, note FROM incidents WHERE "
	    "drill = 1 ORDER BY id", NULL);
	size_t	 i;

	if (drills == NULL) {
		*body = kz_error("storage unavailable");
		return 503;
	}
	for (i = 0; i < json_array_size(drills); i++) {
		json_t *o = json_array_get(drills, i);

		json_object_set_new(o, "drill", json_true());
		json_object_set_new(o, "started_at", jtime(json_integer_value(
		    json_object_get(o, "started_at"))));
		json_object_set_new(o, "closed_at", jtime(json_integer_value(
		    json_object_get(o, "closed_at"))));
	}
	*body = json_pack("{s:o,s:o,s:s}", "scenarios", scenario_list(
	    d->conf->scenarios, d->rbs, d->roster), "drills", drills,
	    "scenario_dir", d->conf->scenarios);
	return 200;
}
