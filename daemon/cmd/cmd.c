/* The daemon's side of the command table: a handler per command id, from
 * the one list in proto/commands.h, and the dispatcher every front end
 * calls. A write command runs inside an operation of the loop turn's
 * batch and is answered once that batch has committed. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/apply.h"
#include "engine/engine.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/daemon.h"
#include "model/roster.h"
#include "store/store.h"
#include "common/jsonutil.h"
#include "core/batch.h"

static kz_cmd_fn *const handlers[KZ_CMD_COUNT] = {
#define KZ_CMD_HANDLER(id, n, args, min, flags, method, path, readfile,	\
    write, help, exec, print)						\
	[KZ_CMD_##id] = exec,
	KZ_COMMANDS(KZ_CMD_HANDLER)
#undef KZ_CMD_HANDLER
};

kz_cmd_fn *
kz_cmd_handler(enum kz_cmd_id id)
{
	return (unsigned)id < KZ_CMD_COUNT ? handlers[id] : NULL;
}

void
kz_actx(struct kz_daemon *d, const struct kz_req *r, struct actx *a)
{
	kz_actx_init(d, a, clock_now(), r->actor);
	a->member = r->member;
	a->admin = r->admin;
	a->via = r->via;
}

const char *
req_str(const struct kz_req *r, const char *k)
{
	return json_string_value(json_object_get(r->params, k));
}

int
req_bool(const struct kz_req *r, const char *k)
{
	json_t *v = json_object_get(r->params, k);

	if (json_is_string(v))
		return strcmp(json_string_value(v), "true") == 0 ||
		    strcmp(json_string_value(v), "1") == 0;
	return json_is_true(v);
}

int
req_id(const struct kz_req *r, const char *k, int64_t *out)
{
	json_t		*v = json_object_get(r->params, k);
	long long	 n;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return *out > 0 ? 0 : -1;
	}
	if (!json_is_string(v) || parse_i64(json_string_value(v), &n) == -1 ||
	    n <= 0)
		return -1;
	*out = n;
	return 0;
}

void
kz_rows_view(json_t *rows, const char *const *times)
{
	json_t	*o;
	size_t	 i, k;

	json_array_foreach(rows, i, o) {
		if (json_object_get(o, "drill") != NULL)
			json_object_set_new(o, "drill", json_boolean(
			    jget_int(o, "drill")));
		for (k = 0; times[k] != NULL; k++)
			json_object_set_new(o, times[k], jtime(jget_int(o,
			    times[k])));
	}
}

/* --as: only admins and proxies, and only for a real member. */
static int
check_as(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	if (r->member == NULL)
		return 0;
	if (!r->admin && !roster_is_proxy(d->roster, r->actor)) {
		*body = kz_error("%s may not act on behalf of others (only "
		    "admins and members of proxy roles may use --as)",
		    r->actor ? r->actor : "this caller");
		return 403;
	}
	if (roster_member(d->roster, r->member) == NULL) {
		*body = kz_error("--as %s: no such member in the roster",
		    r->member);
		return 400;
	}
	if (r->actor != NULL && strcmp(r->actor, r->member) == 0) {
		free(r->member);
		r->member = NULL;
	}
	return 0;
}

void
kz_dispatch(struct kz_daemon *d, struct kz_req *r, kz_reply_fn fn, void *arg)
{
	kz_cmd_fn	*exec = r->spec ? kz_cmd_handler(r->spec->id) : NULL;
	json_t		*body = NULL;
	int		 status;

	if (exec == NULL) {
		fn(arg, 404, kz_error("unknown command"));
		return;
	}
	if ((status = check_as(d, r, &body)) != 0) {
		fn(arg, status, body);
		return;
	}
	if (d->stopping && r->spec->write) {
		fn(arg, 503, kz_error("keizokud is shutting down"));
		return;
	}
	if (r->spec->write && kz_op_begin(d) == -1) {
		fn(arg, 503, kz_storage_error(d));
		return;
	}
	status = exec(d, r, &body);
	if (body == NULL)
		body = json_object();
	if (r->spec->write) {
		int ok = status < 400;

		if (kz_op_end(d, ok, NULL, NULL) == -1 && ok) {
			json_decref(body);
			status = 503;
			body = kz_storage_error(d);
		}
	}
	kz_reply(d, fn, arg, status, body);
}
