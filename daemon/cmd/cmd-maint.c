/* Commands about sources (SPEC §17): `sources`, and the maintenance
 * windows `maintenance add|list|end`. The windows themselves are
 * core/maint.c's; here the parameters are read and checked. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/duration.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "common/jsonutil.h"
#include "core/apply.h"
#include "engine/engine.h"
#include "core/daemon.h"
#include "core/maint.h"
#include "core/sources.h"
#include "model/config.h"
#include "store/store.h"

int
cmd_sources(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	if ((*body = sources_list(d)) == NULL) {
		*body = kz_error("storage unavailable: %s",
		    store_errmsg(d->store));
		return 503;
	}
	return 200;
}

/* A time: RFC 3339, or a duration from now ("2h"). */
static int
maint_when(const char *s, int64_t now, int64_t *out)
{
	const char	*why;
	int64_t		 secs;

	if (s == NULL || *s == '\0')
		return -1;
	if (rfc3339_parse(s, out) == 0)
		return 0;
	if (duration_parse(s, &secs, &why) == 0) {
		*out = now + secs * 1000;
		return 0;
	}
	return -1;
}

/* --match PATH=VALUE (repeatable) as {"PATH": "VALUE"}; the matcher's
 * equality compares "551" and 551 alike. */
static int
maint_matchers(json_t *given, json_t **out, json_t **err)
{
	const char	*kv, *eq;
	json_t		*list, *v;
	char		*path;
	size_t		 i;
	int		 rc = 0;

	*out = json_object();
	if (given == NULL || json_is_null(given))
		return 0;
	/* One --match over HTTP may come as a plain string. */
	list = json_is_string(given) ? json_pack("[O]", given) :
	    json_incref(given);
	if (!json_is_array(list)) {
		*err = kz_error("match must be a list of PATH=VALUE");
		rc = -1;
	}
	for (i = 0; rc == 0 && i < json_array_size(list); i++) {
		v = json_array_get(list, i);
		kv = json_string_value(v);
		eq = kv != NULL ? strchr(kv, '=') : NULL;
		if (eq == NULL || eq == kv) {
			*err = kz_error("--match takes PATH=VALUE (e.g. "
			    "labels.alertname=PrimarySiteDown), not \"%s\"",
			    kv ? kv : "");
			rc = -1;
			break;
		}
		path = xstrndup(kv, (size_t)(eq - kv));
		if (json_object_get(*out, path) != NULL) {
			*err = kz_error("--match %s is given twice", path);
			rc = -1;
		} else
			json_object_set_new(*out, path, json_string(eq + 1));
		free(path);
	}
	json_decref(list);
	return rc;
}

int
cmd_maint_add(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	struct maint_req	 q;
	struct actx		 a;
	const char		*from = req_str(r, "from");
	int64_t			 id;
	int			 status;

	kz_actx(d, r, &a);
	if (!maint_may(d, &a)) {
		*body = kz_error("only admins%s%s may open maintenance windows",
		    d->conf->maint_role ? " and members of role " : "",
		    d->conf->maint_role ? d->conf->maint_role : "");
		return 403;
	}
	memset(&q, 0, sizeof q);
	q.source = req_str(r, "source");
	q.note = req_str(r, "note");
	if (q.source == NULL || *q.source == '\0') {
		*body = kz_error("--source S: which source the window is for");
		return 400;
	}
	q.from = a.now;
	if (from != NULL && maint_when(from, a.now, &q.from) == -1) {
		*body = kz_error("--from %s: a time (2026-12-01T09:00:00+09:00) "
		    "or a duration from now (2h)", from);
		return 400;
	}
	if (maint_when(req_str(r, "until"), a.now, &q.until) == -1) {
		*body = kz_error("--until is needed: a time "
		    "(2026-12-01T18:00:00+09:00) or a duration from now (2h)");
		return 400;
	}
	if (maint_matchers(json_object_get(r->params, "match"), &q.match,
	    body) == -1) {
		json_decref(q.match);
		return 400;
	}
	status = maint_add(d, &a, &q, &id, body);
	json_decref(q.match);
	if (status == 200)
		*body = json_pack("{s:I}", "id", (json_int_t)id);
	return status;
}

int
cmd_maint_list(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	if ((*body = maint_list(d, req_bool(r, "all"), clock_now())) == NULL) {
		*body = kz_error("storage unavailable: %s",
		    store_errmsg(d->store));
		return 503;
	}
	return 200;
}

int
cmd_maint_end(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	struct actx	a;
	int64_t		id;
	int		status;

	kz_actx(d, r, &a);
	if (!maint_may(d, &a)) {
		*body = kz_error("only admins%s%s may end maintenance windows",
		    d->conf->maint_role ? " and members of role " : "",
		    d->conf->maint_role ? d->conf->maint_role : "");
		return 403;
	}
	if (req_id(r, "id", &id) == -1) {
		*body = kz_error("the window id must be a positive number, not "
		    "\"%s\"", req_str(r, "id") ? req_str(r, "id") : "");
		return 400;
	}
	if ((status = maint_end(d, &a, id, body)) == 200)
		*body = json_pack("{s:I,s:s}", "id", (json_int_t)id, "state",
		    "ended");
	return status;
}
