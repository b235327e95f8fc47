/* Commands about the daemon itself and read-only views. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "model/config.h"
#include "core/beat.h"
#include "core/leader.h"
#include "core/daemon.h"
#include "common/duration.h"
#include "core/plugin.h"
#include "core/sources.h"
#include "model/roster.h"
#include "model/runbook.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "common/jsonutil.h"
#include "core/apply.h"
#include "core/timer.h"
#include "core/load.h"
#include "core/outbox.h"
#include "engine/engine.h"

static json_t *
counts(struct kz_daemon *d, const char *table, const char *const *keys)
{
	json_t	*rows = store_counts(d->store, table, "state");
	json_t	*o = json_object();
	size_t	 i;

	for (i = 0; keys[i] != NULL; i++)
		json_object_set_new(o, keys[i], json_integer(0));
	for (i = 0; rows != NULL && i < json_array_size(rows); i++) {
		json_t		*r = json_array_get(rows, i);
		const char	*k = json_string_value(json_object_get(r, "k"));
		json_int_t	 n = json_integer_value(json_object_get(r,
				    "n"));

		if (k != NULL)
			json_object_set_new(o, k, json_integer(
			    json_integer_value(json_object_get(o, k)) + n));
	}
	json_decref(rows);
	return o;
}

int
cmd_status(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	static const char *const inc_keys[] = { "pending", "active", "closed",
	    "dismissed", NULL };
	static const char *const not_keys[] = { "pending", "delivered", "dead",
	    "cancelled", NULL };
	json_t	*errs = json_array();
	int64_t	 now = clock_now();
	size_t	 i;

	for (i = 0; d->load_errors != NULL && d->load_errors[i] != NULL; i++)
		json_array_append_new(errs, json_string(d->load_errors[i]));
	*body = json_pack("{s:s,s:o,s:I,s:s,s:o,s:I,s:o,s:o,s:I,s:o,s:b}",
	    "version", KZ_VERSION, "started_at", jtime(d->started_at),
	    "uptime_s", (json_int_t)((now - d->started_at) / 1000), "db",
	    d->conf->state_dir, "load_errors", errs, "runbooks",
	    (json_int_t)(d->rbs ? d->rbs->n : 0), "incidents", counts(d,
	    "incidents", inc_keys), "notifications", counts(d,
	    "notifications", not_keys), "timers",
	    (json_int_t)store_timer_count(d->store), "plugins", d->plugins ?
	    plugins_list(d->plugins) : json_array(), "test_clock",
	    clock_is_test());
	/* SPEC §13: this instance, its role (leader.c) and its store. */
	json_object_set_new(*body, "node", json_string(d->conf->node));
	json_object_set_new(*body, "role", json_string(kz_role(d)));
	json_object_set_new(*body, "store", json_string(store_backend(
	    d->store)));
	/* Polled feeds: a dead feed must not look like a quiet earth. */
	json_object_set_new(*body, "feeds", sources_feeds(d));
	/* keizokud's own dead-man's switch (SPEC §17). */
	json_object_set_new(*body, "heartbeat", beat_status(d));
	return 200;
}

int
cmd_runbooks(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; d->rbs != NULL && i < d->rbs->n; i++)
		json_array_append_new(a, runbook_json(d->rbs->v[i]));
	*body = a;
	return 200;
}

int
cmd_roster(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	*body = roster_json(d->roster);
	return 200;
}

int
cmd_reload(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	json_t *errors = NULL;

	if (!r->admin) {
		*body = kz_error("only admins may reload");
		return 403;
	}
	kz_reload(d, &errors);
	*body = json_pack("{s:b,s:o}", "ok", json_array_size(errors) == 0,
	    "errors", errors);
	return 200;
}

int
cmd_verify(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	if ((*body = store_verify(d->store)) == NULL) {
		*body = kz_error("cannot read the event log: %s",
		    store_errmsg(d->store));
		return 503;
	}
	return 200;
}

int
cmd_notifications(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	static const char *const times[] = { "created_at", "delivered_at",
	    "next_attempt_at", NULL };
	json_t	*rows, *o;
	int64_t	 inc = 0, limit, after;
	size_t	 i;
	int	 status;

	if (req_str(r, "incident") != NULL && req_id(r, "incident", &inc) ==
	    -1) {
		*body = kz_error("--incident takes an incident number");
		return 400;
	}
	if ((status = req_page(r, &limit, &after, body)) != 0)
		return status;
	rows = store_notifications_page(d->store, req_bool(r, "pending"), inc,
	    after, limit + 1);
	req_page_end(r, rows, limit, "id");
	if (rows == NULL) {
		*body = kz_storage_error(d);
		return 503;
	}
	kz_rows_view(rows, times);
	json_array_foreach(rows, i, o) {
		/* The error of a failed attempt is history once a later
		 * one got through: kept as last_failure, not last_error. */
		json_object_set(o, "last_failure", json_object_get(o,
		    "last_error"));
		if (strcmp(jget_str(o, "state"), "delivered") == 0)
			json_object_set_new(o, "last_error", json_null());
		/* Only a pending delivery has a next attempt. */
		if (strcmp(jget_str(o, "state"), "pending") != 0)
			json_object_set_new(o, "next_attempt_at", json_null());
	}
	*body = rows;
	return 200;
}

/* A step is the caller's while it waits for them: as the member it
 * went to (the assignment rule, an escalation or keizoku assign), the
 * one who acked it, or, when it went to nobody or failed, a member of
 * the assigned role. */
static int
inbox_step_mine(const struct kz_daemon *d, const struct rb_step *rs,
    const struct step_st *s, const char *me)
{
	switch (s->state) {
	case SS_READY:
		if (s->assignee != NULL)
			return strcmp(s->assignee, me) == 0;
		return roster_matches(d->roster, rs->assign, me);
	case SS_ACKED:
		return s->acked_by != NULL && strcmp(s->acked_by, me) == 0;
	case SS_FAILED:
		return (s->assignee && strcmp(s->assignee, me) == 0) ||
		    roster_matches(d->roster, rs->assign, me);
	default:
		return 0;
	}
}

static json_t *
inbox_step_row(const struct incident *inc, size_t j)
{
	const struct rb_step	*rs = &inc->rb->steps[j];
	const struct step_st	*s = &inc->steps[j];
	char			*title = engine_step_title(inc, (int)j, NULL);
	json_t			*row;

	row = json_pack("{s:s,s:I,s:s,s:b,s:s,s:s,s:s,s:s,s:s?,s:o}",
	    "kind", "step", "incident", (json_int_t)inc->id, "incident_title",
	    inc->title, "drill", inc->drill, "step", rs->id, "title",
	    title, "type", step_type_name(rs->type), "state",
	    step_state_name(s->state), "role", rs->assign != NULL &&
	    strncmp(rs->assign, "role:", 5) == 0 ? rs->assign + 5 : NULL,
	    "deadline_at", jtime(s->deadline_at));
	free(title);
	return row;
}

/* A call-out the member has not answered. Its deadline is when the next
 * deputy is called, or, once that has happened, the step's own deadline:
 * a late answer still counts while the step is short. */
static json_t *
inbox_callout_row(const struct incident *inc, const struct callout *c)
{
	const struct rb_step	*rs = &inc->rb->steps[c->step];
	const struct step_st	*s = &inc->steps[c->step];
	int64_t			 esc = rs->u.assemble.callout_s * 1000, due;
	char			*title = engine_step_title(inc, c->step, NULL);
	json_t			*row;

	due = c->answer == AN_CALLED && esc > 0 ? c->called_at + esc :
	    s->deadline_at;
	row = json_pack("{s:s,s:I,s:s,s:b,s:s,s:s,s:s,s:s,s:s,s:o,s:o}",
	    "kind", "callout", "incident", (json_int_t)inc->id,
	    "incident_title", inc->title, "drill", inc->drill, "step", rs->id,
	    "title", title, "type", step_type_name(rs->type), "state",
	    answer_name(c->answer), "role", c->role, "called_at",
	    jtime(c->called_at), "deadline_at", jtime(due));
	free(title);
	return row;
}

/* The caller's steps and unanswered call-outs of one incident, in step
 * order. */
static void
inbox_incident(const struct kz_daemon *d, const struct incident *inc,
    const char *me, json_t *out)
{
	size_t i, j;

	if (inc->state != IS_ACTIVE)
		return;
	for (j = 0; j < inc->rb->nsteps; j++) {
		if (inbox_step_mine(d, &inc->rb->steps[j], &inc->steps[j], me))
			json_array_append_new(out, inbox_step_row(inc, j));
		if (inc->rb->steps[j].type != ST_ASSEMBLE ||
		    inc->steps[j].state != SS_READY)
			continue;
		for (i = 0; i < inc->ncallouts; i++) {
			const struct callout *c = &inc->callouts[i];

			if (c->step == (int)j && strcmp(c->member, me) == 0 &&
			    (c->answer == AN_CALLED ||
			    c->answer == AN_NOANSWER))
				json_array_append_new(out,
				    inbox_callout_row(inc, c));
		}
	}
}

/* What waits for the caller (or the member named with --as) across open
 * incidents: steps to act on and staff call-outs to answer. A page holds
 * whole incidents: it ends after the incident that reaches the limit, or
 * after INBOX_SCAN of them however few items they had (the cursor is an
 * incident id). */
#define INBOX_SCAN	1000

int
cmd_inbox(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	const char	*me = r->member ? r->member : r->actor;
	json_t		*out;
	int64_t		 limit, after, id = 0, *ids;
	size_t		 i, n;
	int		 status;

	if ((status = req_page(r, &limit, &after, body)) != 0)
		return status;
	ids = xcalloc(INBOX_SCAN + 1, sizeof *ids);
	if (store_inbox_incidents(d->store, after, ids, INBOX_SCAN + 1, &n) ==
	    -1) {
		free(ids);
		*body = kz_storage_error(d);
		return 503;
	}
	out = json_array();
	for (i = 0; me != NULL && i < n && i < INBOX_SCAN &&
	    (int64_t)json_array_size(out) < limit; i++) {
		struct incident	*inc;

		id = ids[i];
		if ((inc = kz_incident_load(d, id, &status)) == NULL)
			continue;
		inbox_incident(d, inc, me, out);
		incident_free(inc);
	}
	if (i < n)
		r->next = xprintf("%lld", (long long)id);
	free(ids);
	*body = out;
	return 200;
}

/* Test clock only: moves time forward and runs what fell due. */
int
cmd_clock(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	const char	*by = req_str(r, "advance"), *why;
	int64_t		 s;

	if (!clock_is_test()) {
		*body = kz_error("the test clock is off (KEIZOKU_TEST_CLOCK)");
		return 404;
	}
	if (by == NULL || duration_parse(by, &s, &why) == -1) {
		*body = kz_error("advance takes a duration");
		return 400;
	}
	clock_advance(s * 1000);
	kz_timers_run_all(d);
	/* Deliveries whose next attempt fell due start now (and finish
	 * after the reply). What fired above kicks at its commit. */
	if (!store_in_tx(d->store))
		outbox_kick(d);
	/* HTTP request deadlines the test clock has reached. */
	if (d->on_clock != NULL)
		d->on_clock(d);
	*body = json_pack("{s:o}", "now", jtime(clock_now()));
	return 200;
}
