/* Drills (SPEC §10): `drill start SCENARIO` and `drill list`. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/engine.h"
#include "model/config.h"
#include "core/daemon.h"
#include "common/diag.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "model/scenario.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "common/jsonutil.h"
#include "core/apply.h"

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
	status = kz_start_incident(d, &a, &(struct kz_start){ .rb = rb,
	    .drill = 1, .trigger = sc->trigger, .vars = vars, .note = note,
	    .scenario = sc }, &id, &why);
	free(note);
	json_decref(vars);
	if (status != 200) {
		*body = kz_error("%s", why);
		free(why);
		scenario_free(sc);
		return status;
	}
	*body = json_pack("{s:I,s:s,s:s,s:I,s:b}", "incident", (json_int_t)id,
	    "state", "active", "scenario", sc->id, "injects",
	    (json_int_t)sc->ninjects, "drill", 1);
	scenario_free(sc);
	return 201;
}

int
cmd_drill_list(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	static const char *const times[] = { "started_at", "closed_at",
	    NULL };
	json_t	*drills = store_drills(d->store);

	if (drills == NULL) {
		*body = kz_storage_error(d);
		return 503;
	}
	kz_rows_view(drills, times);
	*body = json_pack("{s:o,s:o,s:s}", "scenarios", scenario_list(
	    d->conf->scenarios, d->rbs, d->roster), "drills", drills,
	    "scenario_dir", d->conf->scenarios);
	return 200;
}
