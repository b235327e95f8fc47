/* Commands on rotas and teams (SPEC §16): oncall, rota show, override,
 * overrides, drop, ics, team out and back. Every change is one row of
 * the store and one event of the audit log (no incident), with the
 * member who made it; a refusal changes nothing.
 *
 * Who may change: an admin, a member of a proxy role, or a member of a
 * role that follows the rota (override, drop) or a rota the team takes
 * turns in (team out, back); a member may also enter a cover for
 * themselves (as the one covering or the one covered). */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/jsonutil.h"
#include "core/apply.h"
#include "engine/engine.h"
#include "common/duration.h"
#include "common/timeutil.h"
#include "common/weblink.h"
#include "common/xmalloc.h"
#include "common/ytree.h"
#include "core/batch.h"
#include "core/daemon.h"
#include "core/notify.h"
#include "model/config.h"
#include "core/rota-live.h"
#include "model/roster.h"
#include "model/rota.h"
#include "store/store.h"

#define ICS_DAYS	90
#define ICS_LINK_S	(366LL * 86400)	/* a calendar link lasts a year */

static const char *me_of(struct kz_req *);

/* rota ics --link: a signed link to member's feed, which a calendar app
 * subscribes to without a token (SPEC §16). */
static int
ics_link(struct kz_daemon *d, struct kz_req *r, const char *rota,
    const char *member, json_t **body)
{
	const struct web_conf	*w = &d->conf->web;
	const char		*me = me_of(r);
	struct wl_claims	 c;
	char			*tok, *url;

	if (member == NULL) {
		*body = kz_error("rota ics --link: name the member (--member)");
		return 400;
	}
	if (!r->admin && !roster_is_proxy(d->roster, me) && (me == NULL ||
	    strcmp(me, member) != 0)) {
		*body = kz_error("%s may not make %s's calendar link: the "
		    "member, proxy roles and admins may", me ? me : "this "
		    "caller", member);
		return 403;
	}
	if (w->secret == NULL || w->base_url == NULL) {
		*body = kz_error("rota ics --link needs web.secret and "
		    "web.base_url in the configuration");
		return 409;
	}
	memset(&c, 0, sizeof c);
	c.kind = 'k';
	kz_strlcpy(c.subject, member, sizeof c.subject);
	kz_strlcpy(c.scope, rota, sizeof c.scope);
	kz_strlcpy(c.nonce, "-", sizeof c.nonce);
	c.expires_s = clock_now() / 1000 + ICS_LINK_S;
	if ((tok = wl_sign(w->secret, &c)) == NULL) {
		*body = kz_error("rota ics --link: ids must be [A-Za-z0-9_-]");
		return 400;
	}
	url = xprintf("%s/v1/rotas/%s.ics?member=%s&key=%s", w->base_url, rota,
	    member, tok);
	*body = json_pack("{s:s,s:s,s:s,s:o}", "rota", rota, "member", member,
	    "link", url, "expires", jtime(c.expires_s * 1000));
	free(tok);
	free(url);
	return 200;
}

static const char *
me_of(struct kz_req *r)
{
	return r->member != NULL ? r->member : r->actor;
}

/* "2026-12-14T09:00:00+09:00", a wall-clock time in the roster's zone
 * ("2026-12-14T09:00"), or a duration from now ("3d"). */
static int
when(struct kz_daemon *d, const char *s, int64_t now, int64_t *ms)
{
	const char	*why;
	char		*z;
	int64_t		 secs;
	int		 rc;

	if (s == NULL)
		return -1;
	if (rfc3339_parse(s, ms) == 0)
		return 0;
	if (duration_parse(s, &secs, &why) == 0) {
		*ms = now + secs * 1000;
		return 0;
	}
	z = xprintf("%s%sZ", s, strlen(s) == 16 ? ":00" : "");
	rc = rfc3339_parse(z, ms);
	free(z);
	if (rc == 0)
		*ms = tz_to_utc(d->roster->timezone, *ms);
	return rc;
}

static int
bad_time(json_t **body, const char *flag, const char *s)
{
	*body = kz_error("%s %s: not a time (2026-12-14T09:00:00+09:00, "
	    "2026-12-14T09:00 in the roster's zone, or a duration such as 3d)",
	    flag, s ? s : "(missing)");
	return 400;
}

/* Whether the caller may change rota (or, rota NULL, a rota of team). */
static int
may_change(struct kz_daemon *d, struct kz_req *r, const char *rota,
    const char *team)
{
	const char	*me = me_of(r);
	size_t		 i, j;

	if (r->admin || roster_is_proxy(d->roster, me))
		return 1;
	for (i = 0; i < d->roster->nroles; i++) {
		const struct role	*ro = &d->roster->roles[i];
		const struct rota	*rt = roster_rota(d->roster, ro->rota);

		if (rt == NULL || !strv_has(ro->members, me))
			continue;
		if (rota != NULL && strcmp(rt->id, rota) == 0)
			return 1;
		for (j = 0; team != NULL && j < rt->nteams; j++)
			if (strcmp(rt->teams[j], team) == 0)
				return 1;
	}
	return 0;
}

static int
denied(json_t **body, struct kz_req *r, const char *what)
{
	*body = kz_error("%s may not %s: admins, proxy roles and members of a "
	    "role that follows the rota may", me_of(r) ? me_of(r) : "this "
	    "caller", what);
	return 403;
}

/* The audit log's line (no incident); takes data. */
static int
audit(struct kz_daemon *d, struct kz_req *r, enum kz_event ev, json_t *data)
{
	int rc = store_event(d->store, 0, clock_now(), r->actor, r->member,
	    event_name(ev), NULL, data);

	json_decref(data);
	return rc;
}

static int
storage(struct kz_daemon *d, json_t **body)
{
	*body = kz_storage_error(d);
	return 503;
}

int
cmd_oncall(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	const char	*at = req_str(r, "at");
	int64_t		 t = clock_now();

	if (at != NULL && when(d, at, t, &t) == -1)
		return bad_time(body, "--at", at);
	*body = rota_oncall_json(d->roster, d->rota, t);
	return 200;
}

int
cmd_rota_show(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	const char		*id = req_str(r, "rota"), *ds = req_str(r, "days");
	const struct rota	*rt = roster_rota(d->roster, id);
	struct rota_turn	 tu;
	long long		 days = 28;
	int64_t			 t = clock_now(), end;

	if (rt == NULL) {
		*body = kz_error("no rota \"%s\" in the roster", id ? id : "");
		return 404;
	}
	if (ds != NULL && (parse_i64(ds, &days) == -1 || days < 1 ||
	    days > 366)) {
		*body = kz_error("--days %s: a number of days from 1 to 366",
		    ds);
		return 400;
	}
	end = t + days * 86400000LL;
	*body = json_array();
	while (t < end) {
		rota_turn_at(d->roster, rt, t, &tu);
		if (tu.team != NULL)
			json_array_append_new(*body, json_pack("{s:s,s:o,s:o}",
			    "team", tu.team, "from", jtime(tu.since), "until",
			    jtime(tu.until)));
		t = tu.until;
	}
	return 200;
}

static json_t *
override_json(const struct rota_override *o)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:o,s:o,s:s?,s:s?}", "id",
	    (json_int_t)o->id, "rota", o->rota, "member", o->member,
	    "replaces", o->replaces, "from", jtime(o->from), "until",
	    jtime(o->until), "note", o->note, "by", o->by);
}

int
cmd_rota_override(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	struct rota_override	 o;
	int64_t			 now = clock_now();
	const char		*me = me_of(r), *fs = req_str(r, "from");
	char			*why = NULL;

	memset(&o, 0, sizeof o);
	o.rota = (char *)(uintptr_t)req_str(r, "rota");
	o.member = (char *)(uintptr_t)req_str(r, "member");
	o.replaces = (char *)(uintptr_t)req_str(r, "replaces");
	o.note = (char *)(uintptr_t)req_str(r, "note");
	o.by = (char *)(uintptr_t)me;
	if (o.rota == NULL || o.member == NULL || o.replaces == NULL) {
		*body = kz_error("rota override ROTA --member M --replaces N "
		    "--from T --until T: all of them are needed");
		return 400;
	}
	o.from = now;
	if (fs != NULL && when(d, fs, now, &o.from) == -1)
		return bad_time(body, "--from", fs);
	if (when(d, req_str(r, "until"), now, &o.until) == -1)
		return bad_time(body, "--until", req_str(r, "until"));
	if (!may_change(d, r, o.rota, NULL) && (me == NULL ||
	    (strcmp(me, o.member) != 0 && strcmp(me, o.replaces) != 0)))
		return denied(body, r, "cover in this rota");
	if (rota_override_check(d->roster, d->rota, &o, now, &why) == -1) {
		*body = kz_error("rota override: %s", why);
		free(why);
		return 400;
	}
	if (store_rota_override_add(d->store, &o, me ? me : r->actor, now,
	    &o.id) == -1)
		return storage(d, body);
	if (audit(d, r, EV_ROTA_OVERRIDE, override_json(&o)) == -1 ||
	    kz_rota_load(d) == -1)
		return storage(d, body);
	*body = json_pack("{s:I}", "id", (json_int_t)o.id);
	return 200;
}

int
cmd_rota_overrides(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	int64_t	now = clock_now();
	size_t	i;

	*body = json_array();
	for (i = 0; d->rota != NULL && i < d->rota->nov; i++)
		if (d->rota->ov[i].until > now)
			json_array_append_new(*body,
			    override_json(&d->rota->ov[i]));
	return 200;
}

int
cmd_rota_drop(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	const struct rota_override	*o = NULL;
	int64_t				 id, now = clock_now();
	const char			*me = me_of(r);
	size_t				 i;

	if (req_id(r, "id", &id) == -1) {
		*body = kz_error("rota drop ID: ID must be a positive number");
		return 400;
	}
	for (i = 0; d->rota != NULL && i < d->rota->nov; i++)
		if (d->rota->ov[i].id == id)
			o = &d->rota->ov[i];
	if (o == NULL) {
		*body = kz_error("no override %lld in force", (long long)id);
		return 404;
	}
	if (!may_change(d, r, o->rota, NULL) && (me == NULL ||
	    (strcmp(me, o->member) != 0 && strcmp(me, o->replaces) != 0)))
		return denied(body, r, "drop this cover");
	if (store_rota_override_drop(d->store, id, me ? me : r->actor, now) ==
	    -1 || audit(d, r, EV_ROTA_DROP, override_json(o)) == -1)
		return storage(d, body);
	if (kz_rota_load(d) == -1)
		return storage(d, body);
	*body = json_pack("{s:I,s:b}", "id", (json_int_t)id, "dropped", 1);
	return 200;
}

int
cmd_rota_ics(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	const char		*id = req_str(r, "rota");
	const char		*member = req_str(r, "member");
	const struct rota	*rt = roster_rota(d->roster, id);
	int64_t			 now = clock_now();
	char			*ics;

	if (rt == NULL) {
		*body = kz_error("no rota \"%s\" in the roster", id ? id : "");
		return 404;
	}
	if (member != NULL && roster_member(d->roster, member) == NULL) {
		*body = kz_error("--member %s: no such member", member);
		return 404;
	}
	if (req_bool(r, "link"))
		return ics_link(d, r, rt->id, member, body);
	ics = rota_ics(d->roster, d->rota, rt, member, now, now + ICS_DAYS *
	    86400000LL, now);
	*body = json_pack("{s:s,s:s}", "format", "ics", "content", ics);
	free(ics);
	return 200;
}

/* Warns the owners of open incidents that a role is left empty. */
static int
warn_owners(struct kz_daemon *d, json_t *data)
{
	json_t	*ids = store_open_incidents(d->store);
	size_t	 i, j, n;
	int	 rc = 0;

	for (i = 0; rc == 0 && ids != NULL && i < json_array_size(ids); i++) {
		struct incident	*inc;
		const char	**v;
		int		 status;

		inc = kz_incident_load(d, json_integer_value(json_object_get(
		    json_array_get(ids, i), "id")), &status);
		if (inc == NULL)
			continue;
		v = rota_order_ref(d->roster, NULL, inc->rb->owner,
		    clock_now(), &n);
		for (j = 0; rc == 0 && j < n; j++)
			rc = notify_system_to(d, EV_TEAM_OUT, v[j], data);
		free(v);
		incident_free(inc);
	}
	json_decref(ids);
	return rc;
}

int
cmd_team_out(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	const char		*team = req_str(r, "team"), *us = req_str(r,
				    "until"), *note = req_str(r, "note");
	const char		*me = me_of(r);
	const struct team	*tm = roster_team(d->roster, team);
	struct team_out		 t;
	int64_t			 now = clock_now(), until;
	json_t			*empty = NULL, *data, *moved;
	char			*why = NULL, ul[40];

	if (tm == NULL) {
		*body = kz_error("team out: unknown team \"%s\"", team ? team :
		    "");
		return 400;
	}
	if (when(d, us, now, &until) == -1)
		return bad_time(body, "--until", us);
	if (note == NULL || *note == '\0') {
		*body = kz_error("team out: --note says why (it is told to the "
		    "owners and kept in the log)");
		return 400;
	}
	if (!may_change(d, r, NULL, team))
		return denied(body, r, "send this team out");
	if (rota_out_check(d->roster, d->rota, team, until, now, &empty,
	    &why) == -1) {
		*body = kz_error("team out: %s", why);
		free(why);
		return 400;
	}
	if (json_array_size(empty) > 0 && !req_bool(r, "force")) {
		char *s = json_dumps(empty, JSON_COMPACT);

		*body = kz_error("team out %s would leave no one at all in "
		    "role(s) %s; --force sends it out anyway and warns the "
		    "owners of open incidents", team, s);
		json_object_set_new(*body, "empty", empty);
		free(s);
		return 409;
	}
	memset(&t, 0, sizeof t);
	t.team = (char *)(uintptr_t)team;
	t.from = now;
	t.until = until;
	t.note = (char *)(uintptr_t)note;
	t.by = (char *)(uintptr_t)(me ? me : r->actor);
	if (store_team_out_add(d->store, &t, now) == -1 ||
	    kz_rota_load(d) == -1) {
		json_decref(empty);
		return storage(d, body);
	}
	moved = json_array();
	rfc3339_buf(until + tz_offset(d->roster->timezone, until), ul,
	    sizeof ul);
	ul[16] = '\0';
	ul[10] = ' ';
	data = json_pack("{s:s,s:s,s:o,s:s,s:s,s:O,s:O}", "team", team,
	    "team_title", tm->title ? tm->title : team, "until", jtime(until),
	    "until_local", ul, "note", note, "empty", empty, "moved", moved);
	if (kz_rota_moves(d, r->actor, moved) == -1 ||
	    audit(d, r, EV_TEAM_OUT, json_pack("{s:s,s:o,s:s,s:O,s:O}",
	    "team", team, "until", jtime(until), "note", note, "moved", moved,
	    "empty", empty)) == -1 || notify_system(d, EV_TEAM_OUT, data) == -1 ||
	    (json_array_size(empty) > 0 && warn_owners(d, data) == -1)) {
		json_decref(data);
		json_decref(moved);
		json_decref(empty);
		return storage(d, body);
	}
	*body = json_pack("{s:s,s:o,s:O,s:O}", "team", team, "until",
	    jtime(until), "moved", moved, "empty", empty);
	json_decref(data);
	json_decref(moved);
	json_decref(empty);
	return 200;
}

int
cmd_team_back(struct kz_daemon *d, struct kz_req *r, json_t **body)
{
	const char		*team = req_str(r, "team"), *me = me_of(r);
	const struct team	*tm = roster_team(d->roster, team);
	int64_t			 now = clock_now();
	json_t			*data;
	int			 changed;

	if (tm == NULL) {
		*body = kz_error("team back: unknown team \"%s\"", team ? team :
		    "");
		return 400;
	}
	if (!may_change(d, r, NULL, team))
		return denied(body, r, "bring this team back");
	if (rota_member_out(d->roster, d->rota, tm->nmembers > 0 ?
	    tm->members[0] : "", now) == NULL) {
		*body = kz_error("team back: team %s is not out", team);
		return 409;
	}
	changed = store_team_back(d->store, team, me ? me : r->actor, now);
	data = json_pack("{s:s,s:s}", "team", team, "team_title", tm->title ?
	    tm->title : team);
	if (changed == -1 || kz_rota_load(d) == -1 || audit(d, r, EV_TEAM_BACK,
	    json_incref(data)) == -1 || notify_system(d, EV_TEAM_BACK, data) ==
	    -1) {
		json_decref(data);
		return storage(d, body);
	}
	json_decref(data);
	*body = json_pack("{s:s,s:b}", "team", team, "back", 1);
	return 200;
}
