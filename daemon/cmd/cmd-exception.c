/* Commands on exception measures (SPEC §5, §7): exception add, approve,
 * reject, resolve, and the exceptions list. Every change is logged in
 * the incident's hash-chained event log and told to the people who must
 * act, in the same operation. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "model/config.h"
#include "core/daemon.h"
#include "common/duration.h"
#include "core/exception.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

/* A change to one exception: the row, its incident and who acts. */
struct exc_op {
	json_t		*row;
	struct incident	*inc;
	struct actx	 a;
	int64_t		 id;
};

static int64_t
num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int
storage(struct kz_daemon *d, json_t **body)
{
	*body = kz_error("storage unavailable: %s", store_errmsg(d->store));
	return 503;
}

static int
load_incident(struct kz_daemon *d, int64_t id, struct incident **inc,
    json_t **body)
{
	int status;

	if ((*inc = kz_incident_load(d, id, &status)) != NULL)
		return 200;
	if (status == 404)
		*body = kz_error("no incident %lld", (long long)id);
	else
		*body = kz_error("cannot load incident %lld: %s",
		    (long long)id, store_errmsg(d->store));
	return status;
}

/* Loads the exception named by the id param and its incident. */
static int
op_begin(struct kz_daemon *d, struct kz_req *r, struct exc_op *op,
    json_t **body)
{
	int status;

	memset(op, 0, sizeof *op);
	if (req_id(r, "id", &op->id) == -1) {
		*body = kz_error("an exception is named by its number, not "
		    "\"%s\" (see keizoku exceptions)", req_str(r, "id") ?
		    req_str(r, "id") : "");
		return 400;
	}
	if ((op->row = exc_load(d, op->id, &status)) == NULL) {
		if (status == 404) {
			*body = kz_error("no exception %lld", (long long)op->id);
			return 404;
		}
		return storage(d, body);
	}
	if ((status = load_incident(d, num(op->row, "incident"), &op->inc,
	    body)) != 200)
		return status;
	kz_actx(d, r, &op->a);
	return 200;
}

static void
op_end(struct exc_op *op)
{
	json_decref(op->row);
	incident_free(op->inc);
}

static const char *
who(const struct actx *a)
{
	return a->member != NULL ? a->member : a->actor;
}

/* Writes the event of a change to the exception's incident log. */
static int
log_event(struct kz_daemon *d, struct exc_op *op, const char *type,
    json_t *data)
{
	int rc;

	rc = store_event(d->store, op->inc->id, op->a.now, op->a.actor,
	    op->a.member, type, str(op->row, "step"), data);
	json_decref(data);
	return rc;
}

/* The reply to every change: the exception as `exceptions` shows it. */
static json_t *
reply(struct kz_daemon *d, int64_t id, int64_t now)
{
	json_t	*row;
	json_t	*out;
	int	 status;

	if ((row = exc_load(d, id, &status)) == NULL)
		return json_pack("{s:I}", "id", (json_int_t)id);
	out = exc_json(row, now);
	json_decref(row);
	return out;
}

static int
add_check(struct kz_daemon *d, struct kz_req *r, const struct incident *inc,
    int64_t *secs, json_t **body)
{
	static const char *const need[] = { "title", "policy", "reason",
	    "revert_by" };
	const char	*step = req_str(r, "step"), *why = NULL;
	size_t		 i;

	for (i = 0; i < sizeof need / sizeof need[0]; i++) {
		const char *v = req_str(r, need[i]);

		if (v == NULL || *v == '\0') {
			*body = kz_error("exception add needs --title, "
			    "--policy, --reason and --revert-by (missing "
			    "--%s)", strcmp(need[i], "revert_by") == 0 ?
			    "revert-by" : need[i]);
			return 400;
		}
	}
	if (duration_parse(req_str(r, "revert_by"), secs, &why) == -1 ||
	    *secs <= 0) {
		*body = kz_error("--revert-by %s: %s", req_str(r, "revert_by"),
		    *secs <= 0 && why == NULL ? "must be after now" : why);
		return 400;
	}
	if (step != NULL && runbook_step_index(inc->rb, step) < 0) {
		*body = kz_error("incident %lld has no step \"%s\"",
		    (long long)inc->id, step);
		return 404;
	}
	if (inc->state != IS_ACTIVE && inc->state != IS_CLOSED) {
		*body = kz_error("incident %lld is %s: exception measures "
		    "belong to active (or closed) incidents",
		    (long long)inc->id, inc_state_name(inc->state));
		return 409;
	}
	return 200;
}

int
cmd_exception_add(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	struct exc_op	 op;
	int64_t		 secs = 0, incid;
	json_t		*p;
	char		*to, *text;
	int		 status, rc;

	memset(&op, 0, sizeof op);
	if (req_id(r, "incident", &incid) == -1) {
		*body = kz_error("incident must be a positive number, not "
		    "\"%s\"", req_str(r, "incident") ? req_str(r, "incident") :
		    "");
		return 400;
	}
	if ((status = load_incident(d, incid, &op.inc, body)) != 200)
		return status;
	if ((status = add_check(d, r, op.inc, &secs, body)) != 200) {
		op_end(&op);
		return status;
	}
	kz_actx(d, r, &op.a);
	rc = store_exec(d->store, "INSERT INTO exceptions(incident, step, "
	    "title, policy, reason, state, requested_by, requested_at, "
	    "revert_by_at, drill, requested_actor) VALUES (?, ?, ?, ?, ?, "
	    "'requested', ?, ?, ?, ?, ?)", p = json_pack("[I,s?,s,s,s,s,I,I,b,"
	    "s?]", (json_int_t)incid, req_str(r, "step"), req_str(r, "title"),
	    req_str(r, "policy"), req_str(r, "reason"), who(&op.a),
	    (json_int_t)op.a.now, (json_int_t)(op.a.now + secs * 1000),
	    op.inc->drill, op.a.actor));
	json_decref(p);
	if (rc == 0) {
		op.id = store_last_id(d->store);
		op.row = exc_load(d, op.id, &status);
	}
	if (op.row == NULL) {
		op_end(&op);
		return storage(d, body);
	}
	text = xprintf("exception %lld requested: %s", (long long)op.id,
	    req_str(r, "title"));
	rc = log_event(d, &op, "exception.requested", json_pack("{s:I,s:{s:s,"
	    "s:s,s:s,s:s,s:s},s:s}", "exception", (json_int_t)op.id, "measure",
	    "title", req_str(r, "title"), "policy", req_str(r, "policy"),
	    "reason", req_str(r, "reason"), "revert_by", req_str(r,
	    "revert_by"), "requested_by", who(&op.a), "text", text));
	free(text);
	to = exc_approver(d, op.inc);
	if (rc == 0)
		rc = exc_notify(d, op.inc, "exception.requested", to, op.row);
	free(to);
	op_end(&op);
	if (rc == -1)
		return storage(d, body);
	*body = reply(d, op.id, op.a.now);
	return 201;
}

/* Separation of duties: someone who had a hand in the request (the
 * member it was made for, or the person who typed it, a proxy with --as)
 * may not decide it, neither as themselves nor for someone else, and no
 * one may decide it on behalf of either. NULL, or a message. */
static char *
conflicted(const struct exc_op *op, const char *verb, const char *ref)
{
	const char	*reqs[2], *deciders[2];
	size_t		 i, j;

	reqs[0] = str(op->row, "requested_by");
	reqs[1] = str(op->row, "requested_actor");
	deciders[0] = op->a.actor;		/* the person acting */
	deciders[1] = op->a.member;		/* the person acted for */
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++) {
			if (deciders[j] == NULL || reqs[i] == NULL ||
			    strcmp(deciders[j], reqs[i]) != 0)
				continue;
			if (i == 0)
				return xprintf("%s requested exception %lld "
				    "and may not %s it, in person or through "
				    "someone acting for them: another member "
				    "of %s must (self-approval is not allowed)",
				    reqs[0], (long long)op->id, verb, ref);
			return xprintf("%s made the request for exception "
			    "%lld (on behalf of %s) and may not %s it, in "
			    "person or on anyone's behalf: another member of "
			    "%s must (separation of duties)", reqs[1],
			    (long long)op->id, reqs[0] ? reqs[0] : "-", verb,
			    ref);
		}
	return NULL;
}

/* Approving a departure from policy needs someone else with the
 * authority: a member of the approver role who had no hand in asking
 * for it. The member is the one on whose behalf it is done (--as): that
 * member answers for the decision, and the log names both. An admin who
 * is not such a member must act --as one (as for approval steps). */
static int
may_decide(struct kz_daemon *d, struct exc_op *op, const char *verb,
    json_t **body)
{
	const char	*me = who(&op->a);
	char		*why;
	const char	*done = strcmp(verb, "approve") == 0 ? "approved" :
			    "rejected";
	char		*ref = exc_approver(d, op->inc);
	int		 status = 200;

	if (ref == NULL) {
		*body = kz_error("nobody may %s exception %lld: set "
		    "exceptions.approver_role in the config", verb,
		    (long long)op->id);
		status = 403;
	} else if ((why = conflicted(op, verb, ref)) != NULL) {
		*body = kz_error("%s", why);
		free(why);
		status = 403;
	} else if (!roster_matches(d->roster, ref, me) && op->a.admin &&
	    op->a.member == NULL) {
		*body = kz_error("exception %lld can only be %s by a member "
		    "of %s: act --as a member of %s", (long long)op->id, done,
		    ref, ref);
		status = 403;
	} else if (!roster_matches(d->roster, ref, me)) {
		*body = kz_error("exception %lld can only be %s by a member "
		    "of %s; %s is not one", (long long)op->id, done, ref,
		    me ? me : "this caller");
		status = 403;
	}
	free(ref);
	return status;
}

/* An exception step waits for the decision: finish it too. */
static int
decide_step(struct kz_daemon *d, struct exc_op *op, int approved,
    const char *note)
{
	const char	*step = str(op->row, "step");
	struct effects	 fx = { 0 };
	int		 i, rc;

	i = step != NULL ? runbook_step_index(op->inc->rb, step) : -1;
	if (i < 0 || op->inc->rb->steps[i].type != ST_EXCEPTION)
		return 0;
	op->a.rtos = kz_rtos(d, op->inc->rb);
	engine_exception_decided(&op->a, op->inc, i, op->id, approved, note,
	    &fx);
	rc = kz_apply(d, &op->a, op->inc, &fx);
	effects_free(&fx);
	json_decref(op->a.rtos);
	op->a.rtos = NULL;
	return rc;
}

static int
decide(struct kz_daemon *d, struct exc_op *op, int approved,
    const char *note)
{
	const char	*type = approved ? "exception.approved" :
			    "exception.rejected";
	json_t		*p;
	char		*text;
	int		 rc, status;

	/* The decision keeps its own note (a condition of approval, the
	 * reason for a rejection); a later resolution does not overwrite
	 * it. A rejection also ends the measure: its reason is the note of
	 * that end too. */
	if (approved)
		rc = store_exec(d->store, "UPDATE exceptions SET state = "
		    "'active', approved_by = ?, approved_at = ?, decision_note "
		    "= ? WHERE id = ?", p = json_pack("[s,I,s?,I]",
		    who(&op->a), (json_int_t)op->a.now, note,
		    (json_int_t)op->id));
	else
		rc = store_exec(d->store, "UPDATE exceptions SET state = "
		    "'rejected', resolved_by = ?, resolved_at = ?, note = ?, "
		    "decision_note = ? WHERE id = ?", p = json_pack("[s,I,s,s,I]",
		    who(&op->a), (json_int_t)op->a.now, note, note,
		    (json_int_t)op->id));
	json_decref(p);
	json_decref(op->row);
	if (rc == -1 || (op->row = exc_load(d, op->id, &status)) == NULL)
		return -1;
	text = xprintf("exception %lld %s by %s%s%s", (long long)op->id,
	    approved ? "approved" : "rejected", who(&op->a), note ? ": " : "",
	    note ? note : "");
	rc = log_event(d, op, type, json_pack("{s:I,s:s,s:s?,s:s}",
	    "exception", (json_int_t)op->id, "title", str(op->row, "title"),
	    "note", note, "text", text));
	free(text);
	if (rc == -1 || exc_notify(d, op->inc, type, str(op->row,
	    "requested_by"), op->row) == -1)
		return -1;
	if ((approved ? exc_arm(d, op->row, op->a.now) : exc_disarm(d,
	    op->inc->id, op->id)) == -1)
		return -1;
	return decide_step(d, op, approved, note);
}

/* exception approve ID / exception reject ID --note WHY. */
int
cmd_exception_decide(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	int		 approved = strcmp(r->spec->name, "exception approve") ==
			    0;
	const char	*note = req_str(r, "note"), *verb = approved ?
			    "approve" : "reject";
	struct exc_op	 op;
	int		 status;

	if (note != NULL && *note == '\0')
		note = NULL;
	if ((status = op_begin(d, r, &op, body)) != 200) {
		op_end(&op);
		return status;
	}
	if (strcmp(str(op.row, "state"), "requested") != 0) {
		*body = kz_error("exception %lld is %s: only a requested one "
		    "can be %s", (long long)op.id, str(op.row, "state"),
		    approved ? "approved" : "rejected");
		status = 409;
	} else if ((status = may_decide(d, &op, verb, body)) != 200)
		;
	else if (!approved && note == NULL) {
		*body = kz_error("say why with --note when rejecting exception "
		    "%lld", (long long)op.id);
		status = 400;
	} else if (decide(d, &op, approved, note) == -1)
		status = storage(d, body);
	else
		*body = reply(d, op.id, op.a.now);
	op_end(&op);
	return status;
}

/* Who may dispose of a measure: whoever asked for it, whoever has the
 * authority to approve one, the runbook's owner, or an admin. */
static int
may_resolve(struct kz_daemon *d, struct exc_op *op, json_t **body)
{
	const char	*me = who(&op->a), *req = str(op->row, "requested_by");
	char		*ref = exc_approver(d, op->inc);
	int		 ok;

	ok = (op->a.admin && op->a.member == NULL) || (req != NULL &&
	    me != NULL && strcmp(req, me) == 0) || roster_matches(d->roster, ref, me) ||
	    roster_matches(d->roster, op->inc->rb->owner, me);
	if (!ok)
		*body = kz_error("exception %lld can be resolved by its "
		    "requester (%s), a member of %s, the runbook owner (%s) or "
		    "an admin; %s is none of them", (long long)op->id,
		    req ? req : "-", ref ? ref : "-", op->inc->rb->owner ?
		    op->inc->rb->owner : "-", me ? me : "this caller");
	free(ref);
	return ok ? 200 : 403;
}

static int
resolve(struct kz_daemon *d, struct exc_op *op, const char *how,
    const char *note)
{
	json_t	*p;
	char	*text;
	int	 rc, status;

	rc = store_exec(d->store, "UPDATE exceptions SET state = ?, "
	    "resolved_by = ?, resolved_at = ?, note = ? WHERE id = ?",
	    p = json_pack("[s,s,I,s,I]", how, who(&op->a),
	    (json_int_t)op->a.now, note, (json_int_t)op->id));
	json_decref(p);
	json_decref(op->row);
	if (rc == -1 || (op->row = exc_load(d, op->id, &status)) == NULL)
		return -1;
	text = xprintf("exception %lld %s: %s", (long long)op->id, how, note);
	rc = log_event(d, op, "exception.resolved", json_pack("{s:I,s:s,s:s,"
	    "s:s,s:s}", "exception", (json_int_t)op->id, "title", str(op->row,
	    "title"), "disposition", how, "note", note, "text", text));
	free(text);
	if (rc == -1 || exc_disarm(d, op->inc->id, op->id) == -1)
		return -1;
	return exc_notify(d, op->inc, "exception.resolved", str(op->row,
	    "approved_by"), op->row);
}

/* exception resolve ID --reverted|--adopted --note HOW. */
int
cmd_exception_resolve(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	int		 rev = req_bool(r, "reverted"), adopt = req_bool(r,
			    "adopted");
	const char	*note = req_str(r, "note");
	struct exc_op	 op;
	int		 status;

	if (rev == adopt) {
		*body = kz_error("give exactly one of --reverted (the measure "
		    "was undone) or --adopted (folded into normal procedure)");
		return 400;
	}
	if (note == NULL || *note == '\0') {
		*body = kz_error("say how it was %s with --note",
		    rev ? "reverted" : "adopted");
		return 400;
	}
	if ((status = op_begin(d, r, &op, body)) != 200) {
		op_end(&op);
		return status;
	}
	if (strcmp(str(op.row, "state"), "active") != 0) {
		*body = kz_error("exception %lld is %s: only an active one can "
		    "be resolved%s", (long long)op.id, str(op.row, "state"),
		    strcmp(str(op.row, "state"), "requested") == 0 ?
		    " (approve or reject it first)" : "");
		status = 409;
	} else if ((status = may_resolve(d, &op, body)) != 200)
		;
	else if (resolve(d, &op, rev ? "reverted" : "adopted", note) == -1)
		status = storage(d, body);
	else
		*body = reply(d, op.id, op.a.now);
	op_end(&op);
	return status;
}

int
cmd_exceptions(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	int64_t inc = 0, limit, after;
	int	status;

	if (req_str(r, "incident") != NULL && req_id(r, "incident", &inc) ==
	    -1) {
		*body = kz_error("--incident takes an incident number");
		return 400;
	}
	if ((status = req_page(r, &limit, &after, body)) != 0)
		return status;
	if ((*body = kz_exceptions_list(d, inc, req_bool(r, "open"),
	    clock_now(), after, limit + 1)) == NULL)
		return storage(d, body);
	req_page_end(r, *body, limit, "id");
	return 200;
}
