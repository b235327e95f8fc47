/* keizoku safety (SPEC §18): a member's answer to a safety check, or,
 * with --list, a page of the members asked and their answers (with
 * --step, of an assemble step's members). */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/duration.h"
#include "common/jsonutil.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/apply.h"
#include "core/batch.h"
#include "core/daemon.h"
#include "engine/engine.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "store/store.h"

#define LIST_DEFAULT	100
#define LIST_MAX	1000

static json_t *
list_rows(struct kz_daemon *d, struct incident *inc, struct kz_req *r,
    json_t **body)
{
	const char	*step = req_str(r, "step"), *lim = req_str(r, "limit");
	json_t		*rows, *row, *v;
	long long	 limit = LIST_DEFAULT;
	size_t		 i;
	int		 si = -1;

	if (json_is_integer(json_object_get(r->params, "limit")))
		limit = json_integer_value(json_object_get(r->params, "limit"));
	else if (lim != NULL && parse_i64(lim, &limit) == -1)
		limit = -1;
	if (limit < 1 || limit > LIST_MAX) {
		*body = kz_error("--limit must be a number from 1 to %d",
		    LIST_MAX);
		return NULL;
	}
	if (step != NULL && (si = runbook_step_index(inc->rb, step)) < 0) {
		*body = kz_error("incident %lld has no step \"%s\"",
		    (long long)inc->id, step);
		return NULL;
	}
	if (si >= 0 && inc->rb->steps[si].type == ST_ASSEMBLE) {
		rows = store_callout_list(d->store, inc->id, step,
		    req_bool(r, "unanswered"), req_str(r, "after"), (int)limit);
		json_array_foreach(rows, i, row) {
			const struct member *m = roster_member(d->roster,
			    json_string_value(json_object_get(row, "member")));

			json_object_set_new(row, "name", m && m->name ?
			    json_string(m->name) : json_null());
			json_object_set_new(row, "site", m && m->site ?
			    json_string(m->site) : json_null());
			json_object_set_new(row, "area", m && m->area ?
			    json_string(m->area) : json_null());
			json_object_set_new(row, "status", json_incref(
			    json_object_get(row, "answer")));
			json_object_set_new(row, "eta_at", jtime(
			    json_integer_value(json_object_get(row, "eta_at"))));
			json_object_set_new(row, "called_at", jtime(
			    json_integer_value(json_object_get(row,
			    "called_at"))));
			json_object_set_new(row, "answered_at", jtime(
			    json_integer_value(json_object_get(row,
			    "answered_at"))));
		}
	} else if (si >= 0 && inc->rb->steps[si].type != ST_SAFETY) {
		*body = kz_error("step \"%s\" is a %s step: --list pages the "
		    "members of a safety or assemble step", step,
		    step_type_name(inc->rb->steps[si].type));
		return NULL;
	} else {
		rows = store_safety_list(d->store, inc->id, step,
		    req_bool(r, "unanswered"), req_str(r, "after"), (int)limit);
		json_array_foreach(rows, i, row) {
			v = json_object_get(row, "can_come");
			json_object_set_new(row, "can_come", json_is_string(v) ?
			    json_boolean(strcmp(json_string_value(v), "true") ==
			    0) : json_null());
			json_object_set_new(row, "answered_at", jtime(
			    json_integer_value(json_object_get(row,
			    "answered_at"))));
			json_object_set_new(row, "asked_at", jtime(
			    json_integer_value(json_object_get(row,
			    "asked_at"))));
		}
	}
	if (rows == NULL)
		*body = kz_error("storage unavailable: %s",
		    store_errmsg(d->store));
	return rows;
}

/* The answer's fields from the CLI's flags or REST's JSON. */
static int
answer_args(struct kz_req *r, const char **status, int *can_come,
    int64_t *eta_s, json_t **body)
{
	static const char *const st[] = { "safe", "injured", "unsafe" };
	json_t		*cc = json_object_get(r->params, "can_come");
	json_t		*eta = json_object_get(r->params, "eta_s");
	const char	*etas = req_str(r, "eta"), *err;
	int		 i, n = 0;

	*status = req_str(r, "status");
	for (i = 0; i < 3; i++)
		if (req_bool(r, st[i])) {
			n++;
			*status = st[i];
		}
	if (n > 1 || (n == 1 && req_str(r, "status") != NULL)) {
		*body = kz_error("give one of --safe, --injured or --unsafe");
		return 400;
	}
	if (*status == NULL) {
		*body = kz_error("say how you are: --safe, --injured or "
		    "--unsafe (REST: \"status\")");
		return 400;
	}
	*can_come = -1;
	if (json_is_boolean(cc))
		*can_come = json_is_true(cc);
	else if (req_bool(r, "can_come") && req_bool(r, "cannot_come")) {
		*body = kz_error("--can-come or --cannot-come, not both");
		return 400;
	} else if (req_bool(r, "can_come"))
		*can_come = 1;
	else if (req_bool(r, "cannot_come"))
		*can_come = 0;
	*eta_s = 0;
	if (json_is_integer(eta))
		*eta_s = json_integer_value(eta);
	else if (etas != NULL && duration_parse(etas, eta_s, &err) == -1) {
		*body = kz_error("--eta %s: %s", etas, err);
		return 400;
	}
	if (*eta_s < 0 || (*eta_s > 0 && *can_come != 1)) {
		*body = kz_error("--eta goes with --can-come");
		return 400;
	}
	return 0;
}

int
cmd_safety(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	struct incident	*inc;
	struct effects	 fx = { 0 };
	struct actx	 a;
	json_t		*heard, *row;
	const char	*status, *member = req_str(r, "member");
	char		*why = NULL;
	int		*h, can_come, rc, partial;
	int64_t		 id, eta_s;
	const char	*who;
	size_t		 i;

	if (req_id(r, "incident", &id) == -1) {
		*body = kz_error("incident must be a positive number");
		return 400;
	}
	/* The answering member's staff call-outs only (an incident that
	 * also calls out 10,000 people): if the answer needs them all (it
	 * finishes the step and an assemble step follows), it runs again on
	 * the whole incident. */
	kz_actx(d, r, &a);
	who = member != NULL && (a.actor == NULL || strcmp(member,
	    a.actor) != 0) ? member : a.member != NULL ? a.member : a.actor;
	for (partial = who != NULL && !req_bool(r, "list");; partial = 0) {
		inc = partial ? kz_incident_load_for(d, id, who, &rc) :
		    kz_incident_load(d, id, &rc);
		if (inc == NULL) {
			*body = rc == 404 ? kz_error("no incident %lld",
			    (long long)id) : kz_error("cannot load incident "
			    "%lld: %s", (long long)id, store_errmsg(d->store));
			return rc;
		}
		if (req_bool(r, "list")) {
			*body = list_rows(d, inc, r, body);
			incident_free(inc);
			return *body != NULL && json_is_array(*body) ? 200 :
			    400;
		}
		/* REST's "member" is --as: admins and proxies only. */
		if (member != NULL && (a.actor == NULL ||
		    strcmp(member, a.actor) != 0)) {
			if (!a.admin && !roster_is_proxy(d->roster,
			    a.actor)) {
				*body = kz_error("%s may not answer for %s "
				    "(only admins and members of proxy roles "
				    "may)", a.actor ? a.actor : "this caller",
				    member);
				incident_free(inc);
				return 403;
			}
			a.member = member;
		}
		if ((rc = answer_args(r, &status, &can_come, &eta_s,
		    body)) != 0) {
			incident_free(inc);
			return rc;
		}
		member = a.member != NULL ? a.member : a.actor;
		h = xcalloc(inc->rb->nsteps + 1, sizeof *h);
		heard = member != NULL ? store_safety_heard(d->store, inc->id,
		    member) : json_array();
		json_array_foreach(heard, i, row) {
			int si = runbook_step_index(inc->rb,
			    json_string_value(json_object_get(row, "step")));

			if (si >= 0)
				h[si] = json_is_integer(json_object_get(row,
				    "answered_at")) ? 2 : 1;
		}
		json_decref(heard);
		rc = engine_safety_answer(&a, inc, member, h, status,
		    can_come, eta_s, req_str(r, "note"), &fx, &why);
		free(h);
		if (inc->part == NULL || !inc->part->need_full)
			break;
		effects_free(&fx);
		free(why);
		why = NULL;
		incident_free(inc);
	}
	if (rc == 200 && kz_apply(d, &a, inc, &fx) == -1) {
		rc = 503;
		why = kz_storage_why(d);
	}
	if (rc == 200)
		*body = json_pack("{s:I,s:s,s:s,s:o,s:o}", "incident",
		    (json_int_t)inc->id, "member", member, "status", status,
		    "can_come", can_come < 0 ? json_null() :
		    json_boolean(can_come), "eta_s", eta_s > 0 ?
		    json_integer(eta_s) : json_null());
	else {
		*body = kz_error("%s", why ? why : "failed");
		free(why);
	}
	effects_free(&fx);
	incident_free(inc);
	return rc;
}
