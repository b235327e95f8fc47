/* The daemon's side of the command table: a handler per command id, from
 * the one list in proto/commands.h, and the dispatcher every front end
 * calls. A write command runs inside an operation of the loop turn's
 * batch and is answered once that batch has committed. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/loop.h"
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

int
req_page(const struct kz_req *r, int64_t *limit, int64_t *after,
    json_t **body)
{
	*limit = KZ_PAGE_DEFAULT;
	*after = 0;
	if (json_object_get(r->params, "limit") != NULL &&
	    (req_id(r, "limit", limit) == -1 || *limit > KZ_PAGE_MAX)) {
		*body = kz_error("--limit takes a number from 1 to %d",
		    KZ_PAGE_MAX);
		return 400;
	}
	if (json_object_get(r->params, "after") != NULL &&
	    req_id(r, "after", after) == -1) {
		*body = kz_error("--after takes the cursor a previous page "
		    "ended with (a positive number)");
		return 400;
	}
	return 0;
}

void
req_page_end(struct kz_req *r, json_t *rows, int64_t limit, const char *key)
{
	json_t *last;

	if (rows == NULL || (int64_t)json_array_size(rows) <= limit)
		return;
	json_array_remove(rows, (size_t)limit);
	last = json_object_get(json_array_get(rows, (size_t)limit - 1), key);
	free(r->next);
	r->next = xprintf("%lld", (long long)json_integer_value(last));
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

static void	dispatch(struct kz_daemon *, struct kz_req *, kz_reply_fn,
		    void *);

/* A write request waiting for a batch with room: its own copy. */
struct waiting_req {
	struct kz_req	 r;
	kz_reply_fn	 fn;
	void		*arg;
};

static void
waiting_run(struct kz_daemon *d, void *arg)
{
	struct waiting_req *q = arg;

	dispatch(d, &q->r, q->fn, q->arg);
	free(q->r.actor);
	free(q->r.member);
	json_decref(q->r.params);
	free(q);
}

void
kz_dispatch(struct kz_daemon *d, struct kz_req *r, kz_reply_fn fn, void *arg)
{
	struct waiting_req *q;

	if (r->spec == NULL || !r->spec->write || d->stopping ||
	    !kz_batch_full(d)) {
		dispatch(d, r, fn, arg);
		return;
	}
	q = xcalloc(1, sizeof *q);
	q->r = *r;
	q->r.actor = r->actor != NULL ? xstrdup(r->actor) : NULL;
	q->r.member = r->member != NULL ? xstrdup(r->member) : NULL;
	q->r.params = json_incref(r->params);
	q->r.next = NULL;
	q->fn = fn;
	q->arg = arg;
	kz_later(d, waiting_run, q);
}

static void
dispatch(struct kz_daemon *d, struct kz_req *r, kz_reply_fn fn, void *arg)
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
	/* A page of a list says where the next begins (only a reply sent
	 * now: a list is a read). */
	if (!store_in_tx(d->store))
		d->reply_next = status < 300 ? r->next : NULL;
	kz_reply(d, fn, arg, status, body);
	d->reply_next = NULL;
	free(r->next);
	r->next = NULL;
}
