/* keizoku sitrep INC [--send CHANNEL] [--format md|html] (SPEC §14): the
 * next numbered situation report (第N報) of an incident. It is stored
 * with its number (both forms, and the last event it covers, so that the
 * next report tells what changed since), logged, and sent by a channel
 * when asked: an email channel mails it to each member of the runbook's
 * owner, any other channel posts it. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/daemon.h"
#include "core/webstate.h"
#include "model/config.h"
#include "model/roster.h"
#include "model/sitrep.h"
#include "store/store.h"
#include "common/jsonutil.h"
#include "core/apply.h"
#include "core/notify.h"
#include "engine/engine.h"

/* Who did it, by name: "佐藤 次郎 (web)", "田中 太郎 (by root)". */
static char *
sitrep_who(struct kz_daemon *d, const char *actor, const char *behalf)
{
	const struct member	*m;
	const char		*web;
	char			*id, *who;

	if (actor == NULL || strcmp(actor, "keizokud") == 0)
		return xstrdup("keizoku");
	web = strstr(actor, " (web)");
	id = web != NULL ? xstrndup(actor, (size_t)(web - actor)) :
	    xstrdup(actor);
	if (behalf != NULL) {
		m = roster_member(d->roster, behalf);
		who = xprintf("%s (by %s)", m && m->name ? m->name : behalf,
		    actor);
	} else {
		m = roster_member(d->roster, id);
		who = xprintf("%s%s", m && m->name ? m->name : id, web ? web :
		    "");
	}
	free(id);
	return who;
}

/* What changed since the event seq after: [{"at", "who", "text"}]; the
 * last seq in *last. */
static json_t *
sitrep_changes(struct kz_daemon *d, int64_t inc, int64_t after,
    int64_t *last)
{
	json_t	*rows = store_events(d->store, inc), *out = json_array(), *o;
	size_t	 i;

	*last = after;
	json_array_foreach(rows, i, o) {
		int64_t		 seq = json_integer_value(json_object_get(o,
				    "seq"));
		const char	*ds = json_string_value(json_object_get(o,
				    "data"));
		const char	*type = json_string_value(json_object_get(o,
				    "type"));
		const char	*step = json_string_value(json_object_get(o,
				    "step"));
		const char	*actor = json_string_value(json_object_get(o,
				    "actor"));
		const char	*behalf = json_string_value(json_object_get(o,
				    "on_behalf"));
		json_t		*data = ds != NULL ? json_loads(ds, 0, NULL) :
				    NULL;
		char		*text, *line, *who;

		if (seq > *last)
			*last = seq;
		if (seq <= after || type == NULL ||
		    event_parse(type) == EV_SITREP_ISSUED) {
			json_decref(data);
			continue;
		}
		text = kz_event_text(type, data != NULL ? data : json_null());
		line = xprintf("%s%s%s%s%s", type, step ? " " : "", step ?
		    step : "", *text ? ": " : "", text);
		who = sitrep_who(d, actor, behalf);
		json_array_append_new(out, json_pack("{s:O,s:s,s:s}", "at",
		    json_object_get(o, "at"), "who", who, "text", line));
		free(who);
		free(line);
		free(text);
		json_decref(data);
	}
	json_decref(rows);
	return out;
}

static json_t *
sitrep_names(struct kz_daemon *d, json_t **roles)
{
	json_t	*names = json_object();
	size_t	 i;

	*roles = json_object();
	for (i = 0; i < d->roster->nmembers; i++)
		json_object_set_new(names, d->roster->members[i].id,
		    json_string(d->roster->members[i].name ?
		    d->roster->members[i].name : d->roster->members[i].id));
	for (i = 0; i < d->roster->nroles; i++)
		if (d->roster->roles[i].title != NULL)
			json_object_set_new(*roles, d->roster->roles[i].id,
			    json_string(d->roster->roles[i].title));
	return names;
}

/* Queues the report on channel (inside the operation). */
static int
sitrep_send(struct kz_daemon *d, struct incident *inc, const char *channel,
    const char *md, long long n)
{
	struct effect	 e;
	int		 rc;

	memset(&e, 0, sizeof e);
	e.kind = EF_NOTIFY;
	e.ev = EV_SITREP_ISSUED;
	e.step = -1;
	e.to = inc->rb->owner;
	e.data = json_pack("{s:[s],s:s,s:I}", "channels", channel, "text", md,
	    "n", (json_int_t)n);
	rc = notify_enqueue(d, inc, &e);
	json_decref(e.data);
	return rc;
}

int
cmd_sitrep(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	const char	*fmt = req_str(r, "format"), *send = req_str(r, "send");
	const char	*me = r->member != NULL ? r->member : r->actor;
	struct incident	*inc;
	json_t		*in, *roles, *ev;
	struct sitrep_head	 prev;
	struct sitrep_row	 row;
	int64_t		 id, now = clock_now(), last;
	char		*md, *html, who[128];
	long long	 n;
	int		 status, has_prev;
	struct actx	 a;

	if (fmt == NULL)
		fmt = "md";
	if (strcmp(fmt, "md") != 0 && strcmp(fmt, "html") != 0) {
		*body = kz_error("--format %s: the formats are md and html",
		    fmt);
		return 400;
	}
	if (send != NULL && config_channel(d->conf, send) == NULL) {
		*body = kz_error("--send %s: no such channel in the config",
		    send);
		return 400;
	}
	if (!r->admin && (me == NULL || roster_member(d->roster, me) ==
	    NULL)) {
		*body = kz_error("only roster members and admins issue "
		    "situation reports");
		return 403;
	}
	if (req_id(r, "incident", &id) == -1) {
		*body = kz_error("incident must be a positive number");
		return 400;
	}
	if ((inc = kz_incident_load(d, id, &status)) == NULL) {
		*body = status == 404 ? kz_error("no incident %lld",
		    (long long)id) : kz_storage_error(d);
		return status;
	}
	memset(&prev, 0, sizeof prev);
	has_prev = store_sitrep_last(d->store, id, &prev) == 1;
	n = prev.n + 1;
	in = json_pack("{s:I,s:o,s:I,s:s,s:s,s:o,s:o,s:I}", "n", (json_int_t)n,
	    "incident", kz_show_json(d, inc), "issued_at", (json_int_t)now,
	    "issued_by", roster_member(d->roster, me ? me : "") ?
	    roster_member(d->roster, me)->name ?: me : me ? me : "admin",
	    "zone", kz_timezone(d), "prev_at", has_prev ?
	    json_integer(prev.created_at) : json_null(), "changes",
	    sitrep_changes(d, id, prev.last_seq, &last), "now",
	    (json_int_t)now);
	json_object_set_new(in, "names", sitrep_names(d, &roles));
	json_object_set_new(in, "roles", roles);
	json_object_set_new(in, "exceptions", store_sitrep_exceptions(d->store,
	    id));
	md = sitrep_render(in, "md");
	html = sitrep_render(in, "html");
	json_decref(in);
	kz_actx(d, r, &a);
	row.incident = id;
	row.n = n;
	row.created_at = now;
	row.created_by = kz_who(&a, who, sizeof who);
	row.last_seq = last;
	row.md = md;
	row.html = html;
	ev = json_pack("{s:I,s:s?}", "n", (json_int_t)n, "sent_to", send);
	status = store_sitrep_add(d->store, &row) == -1 ||
	    store_event(d->store, id, now, kz_who(&a, who, sizeof who),
	    a.member, event_name(EV_SITREP_ISSUED), NULL, ev) == -1 ||
	    (send != NULL && sitrep_send(d, inc, send, md, n) == -1) ? 503 :
	    201;
	json_decref(ev);
	incident_free(inc);
	if (status == 503)
		*body = kz_storage_error(d);
	else
		*body = json_pack("{s:I,s:I,s:s,s:s}", "incident",
		    (json_int_t)id, "n", (json_int_t)n, "format", fmt,
		    "content", strcmp(fmt, "html") == 0 ? html : md);
	free(md);
	free(html);
	return status;
}
