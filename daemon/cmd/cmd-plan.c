/* The planning module's commands (SPEC §9): plan import, export, check,
 * show and report. Everything but import reads the plan in force. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/diag.h"
#include "core/daemon.h"
#include "model/plan.h"
#include "model/roster.h"
#include "model/rota.h"
#include "model/runbook.h"
#include "core/plan-store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "common/jsonutil.h"
#include "core/batch.h"
#include "core/plan-due.h"

/* 404 when no plan was ever imported: every reader starts with this. */
static int
no_plan(struct kz_daemon *d, json_t **body)
{
	if (d->plan != NULL)
		return 0;
	*body = kz_error("no plan imported yet: keizoku plan import FILE, or "
	    "set plan: in the config");
	return 404;
}

/* A new plan may list drills that are already due. */
static void
drills_after_import(struct kz_daemon *d, void *arg)
{
	kz_plan_drills_check(d);
}

int
cmd_plan_import(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	json_t		*content = json_object_get(r->params, "content");
	json_t		*result = NULL;
	const char	*file = req_str(r, "file");
	char		*why = NULL;
	int		 status;

	/* The plan steers every recovery decision: like reload, only an
	 * admin changes it. */
	if (!r->admin) {
		*body = kz_error("only admins may import a plan (%s is not in "
		    "admins: of the config)", r->actor ? r->actor :
		    "this caller");
		return 403;
	}
	if (file == NULL || *file == '\0' || !json_is_string(content)) {
		*body = kz_error("plan import needs the file's name and content "
		    "(keizoku plan import FILE)");
		return 400;
	}
	status = plan_store_import(d, file, json_string_value(content),
	    json_string_length(content), r->actor, &result, &why);
	if (status == 200)
		kz_after_commit(d, drills_after_import, NULL, NULL);
	if (status == 200) {
		*body = result;
		return 200;
	}
	*body = kz_error("%s", why);
	if (status == 400 && result != NULL)
		json_object_set_new(*body, "diagnostics", result);
	else
		json_decref(result);
	free(why);
	return status;
}

static json_t *
content_body(const char *format, char *content)
{
	json_t *j = json_pack("{s:s,s:s}", "format", format, "content",
	    content);

	free(content);
	return j;
}

int
cmd_plan_export(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	char	*yaml;
	int	 status;

	if ((status = no_plan(d, body)) != 0)
		return status;
	if ((yaml = plan_export_yaml(d->plan)) == NULL) {
		*body = kz_error("cannot write the plan as YAML (libyaml's "
		    "emitter failed)");
		return 500;
	}
	*body = content_body("yaml", yaml);
	return 200;
}

/* plan check FILE: the file's text as the client read it, checked as
 * an import or a reload would take it; nothing is stored. */
static int
check_file(struct kz_daemon *d, struct kz_req *r, json_t *content,
    json_t **body)
{
	struct diags	 dg = { 0 };
	struct plan	*p;
	json_t		*check = NULL, *pos = json_array();
	const char	*file = req_str(r, "file");
	size_t		 i;

	p = plan_parse_checked(file != NULL ? file : "plan", json_string_value(
	    content), json_string_length(content), clock_now(), &dg, &check);
	for (i = 0; i < dg.n; i++)
		json_array_append_new(pos, json_string(dg.msgs[i]));
	plan_free(p);
	diag_free(&dg);
	*body = check;
	json_object_set_new(*body, "file", json_string(file != NULL ? file :
	    ""));
	/* FILE:LINE:COL: message of each error, for people. */
	json_object_set_new(*body, "diagnostics", pos);
	return 200;
}

/* SPEC §16: each assemble step's quota against each team of the role's
 * rota alone. */
static void
team_coverage(struct kz_daemon *d, json_t *warnings)
{
	size_t i, j;

	for (i = 0; d->rbs != NULL && d->roster != NULL && i < d->rbs->n;
	    i++) {
		const struct runbook *rb = d->rbs->v[i];

		for (j = 0; j < rb->nsteps; j++) {
			const struct rb_step	*st = &rb->steps[j];
			size_t			 k;
			char			*where;

			if (st->type != ST_ASSEMBLE)
				continue;
			/* The quotas as typed at load (u.assemble). */
			where = xprintf("runbook %s step %s", rb->id, st->id);
			for (k = 0; k < st->u.assemble.nroles; k++)
				rota_team_coverage(d->roster,
				    st->u.assemble.roles[k].role,
				    st->u.assemble.roles[k].quota, where,
				    warnings);
			free(where);
		}
	}
}

int
cmd_plan_check(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	json_t	*content = json_object_get(r->params, "content");
	int	 status;

	if (json_is_string(content))
		status = check_file(d, r, content, body);
	else if ((status = no_plan(d, body)) != 0)
		return status;
	else
		*body = plan_check(d->plan, clock_now());
	if (status == 200 || status == 0)
		team_coverage(d, json_object_get(*body, "warnings"));
	/* The client's exit code depends on it (warnings fail --strict). */
	json_object_set_new(*body, "strict", json_boolean(req_bool(r,
	    "strict")));
	return 200;
}

int
cmd_plan_show(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	const char	*what = req_str(r, "what"), *why = NULL;
	int		 status;

	if ((status = no_plan(d, body)) != 0)
		return status;
	if ((*body = plan_show(d->plan, what, &why)) == NULL) {
		*body = kz_error("plan show %s: no such part of the plan; %s",
		    what != NULL ? what : "", why);
		return 404;
	}
	return 200;
}

int
cmd_plan_report(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	const char	*format = req_str(r, "format"), *why = NULL;
	char		*doc;
	int		 status;

	if ((status = no_plan(d, body)) != 0)
		return status;
	if (format == NULL)
		format = "md";
	if ((doc = plan_report(d->plan, format, clock_now(), &why)) == NULL) {
		*body = kz_error("%s", why);
		return 400;
	}
	*body = content_body(format, doc);
	return 200;
}
