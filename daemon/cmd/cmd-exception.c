/* Commands on exception measures (SPEC §5, §7): exception add, approve,
 * reject, resolve, and the exceptions list. The rules are the engine's
 * (engine-exception.c); every change is stored by kz_apply with the
 * events of the incident's log and the notifications to the people who
 * must act, in one operation. */
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
#include "core/exception.h"
#include "engine/engine.h"
#include "store/store.h"

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
load(struct kz_daemon *d, struct kz_req *r, struct exc **x,
    struct incident **inc, json_t **body)
{
	int64_t	id;
	int	status;

	*x = NULL;
	*inc = NULL;
	if (req_id(r, "id", &id) == -1) {
		*body = kz_error("an exception is named by its number, not "
		    "\"%s\" (see keizoku exceptions)", req_str(r, "id") ?
		    req_str(r, "id") : "");
		return 400;
	}
	if ((*x = exc_get(d, id, &status)) == NULL) {
		if (status == 404) {
			*body = kz_error("no exception %lld", (long long)id);
			return 404;
		}
		*body = kz_storage_error(d);
		return 503;
	}
	return load_incident(d, (*x)->incident, inc, body);
}

/* Runs a change the engine decided and answers with the exception as
 * `exceptions` shows it. */
static int
apply(struct kz_daemon *d, const struct actx *a, struct incident *inc,
    struct effects *fx, int status, char *why, const struct exc *x,
    json_t **body)
{
	if (status >= 400)
		*body = kz_error("%s", why ? why : "failed");
	else if (kz_apply(d, a, inc, fx) == -1) {
		*body = kz_storage_error(d);
		status = 503;
	} else if ((*body = exc_view(d, x->id, a->now, &status)) == NULL) {
		*body = json_pack("{s:I}", "id", (json_int_t)x->id);
		status = 200;
	}
	free(why);
	effects_free(fx);
	return status;
}

/* The request's fields of `exception add`, checked: 200, or 400. */
static int
add_fields(struct kz_req *r, struct exc *x, int64_t now, json_t **body)
{
	static const char *const need[] = { "title", "policy", "reason",
	    "revert_by" };
	const char	*why = NULL;
	int64_t		 secs = 0;
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
	if (duration_parse(req_str(r, "revert_by"), &secs, &why) == -1 ||
	    secs <= 0) {
		*body = kz_error("--revert-by %s: %s", req_str(r, "revert_by"),
		    secs <= 0 && why == NULL ? "must be after now" : why);
		return 400;
	}
	x->step = req_str(r, "step") != NULL ? xstrdup(req_str(r, "step")) :
	    NULL;
	x->title = xstrdup(req_str(r, "title"));
	x->policy = xstrdup(req_str(r, "policy"));
	x->reason = xstrdup(req_str(r, "reason"));
	x->revert_by_at = now + secs * 1000;
	x->measure = json_pack("{s:s,s:s,s:s,s:s}", "title", x->title,
	    "policy", x->policy, "reason", x->reason, "revert_by",
	    req_str(r, "revert_by"));
	return 200;
}

int
cmd_exception_add(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	struct incident	*inc;
	struct effects	 fx = { 0 };
	struct actx	 a;
	struct exc	*x;
	char		*why = NULL;
	int64_t		 incid;
	int		 status;

	if (req_id(r, "incident", &incid) == -1) {
		*body = kz_error("incident must be a positive number, not "
		    "\"%s\"", req_str(r, "incident") ? req_str(r, "incident") :
		    "");
		return 400;
	}
	if ((status = load_incident(d, incid, &inc, body)) != 200)
		return status;
	kz_actx(d, r, &a);
	x = exc_new();
	if ((status = add_fields(r, x, a.now, body)) != 200) {
		exc_free(x);
		incident_free(inc);
		return status;
	}
	/* x is the effect's now (freed on refusal); stored, it has its
	 * id. */
	status = engine_exception_add(&a, inc, x, &fx, &why);
	status = apply(d, &a, inc, &fx, status, why, x, body);
	incident_free(inc);
	return status == 200 ? 201 : status;
}

/* What a command does to a measure the engine has loaded. */
typedef int exc_fn(const struct actx *, struct incident *, struct exc *,
    struct kz_req *, struct effects *, char **);

static int
with_exception(struct kz_daemon *d, struct kz_req *r, json_t **body,
    exc_fn *fn)
{
	struct incident	*inc;
	struct effects	 fx = { 0 };
	struct actx	 a;
	struct exc	*x;
	char		*why = NULL;
	int		 status;

	if ((status = load(d, r, &x, &inc, body)) == 200) {
		kz_actx(d, r, &a);
		status = fn(&a, inc, x, r, &fx, &why);
		status = apply(d, &a, inc, &fx, status, why, x, body);
	}
	exc_free(x);
	incident_free(inc);
	return status;
}

static int
do_decide(const struct actx *a, struct incident *inc, struct exc *x,
    struct kz_req *r, struct effects *fx, char **why)
{
	const char *note = req_str(r, "note");

	return engine_exception_decide(a, inc, x, r->spec->id ==
	    KZ_CMD_EXCEPTION_APPROVE, note != NULL && *note != '\0' ? note :
	    NULL, fx, why);
}

/* exception approve ID / exception reject ID --note WHY. */
int
cmd_exception_decide(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	return with_exception(d, r, body, do_decide);
}

static int
do_resolve(const struct actx *a, struct incident *inc, struct exc *x,
    struct kz_req *r, struct effects *fx, char **why)
{
	return engine_exception_resolve(a, inc, x, req_bool(r, "reverted") ?
	    EXS_REVERTED : EXS_ADOPTED, req_str(r, "note"), fx, why);
}

/* exception resolve ID --reverted|--adopted --note HOW. */
int
cmd_exception_resolve(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	int		 rev = req_bool(r, "reverted"), adopt = req_bool(r,
			    "adopted");
	const char	*note = req_str(r, "note");

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
	return with_exception(d, r, body, do_resolve);
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
	    clock_now(), after, limit + 1)) == NULL) {
		*body = kz_storage_error(d);
		return 503;
	}
	req_page_end(r, *body, limit, "id");
	return 200;
}
