/* Exception measures (例外措置, SPEC §7): temporary departures from the
 * security policy, recorded so they cannot be forgotten. The guideline
 * (2.8.2(3)-2, 2.9.2(1)-2) wants them managed while in force and, once
 * the crisis is over, either reverted or folded into normal procedure;
 * hence durable reminders before and after the revert-by deadline that
 * keep going after the incident is closed. */
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "core/daemon.h"
#include "common/duration.h"
#include "core/exception.h"
#include "common/log.h"
#include "model/runbook.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

#define DAY_MS		(86400 * 1000LL)

static const int64_t default_remind_s[] = { 86400 };

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

json_t *
exc_load(struct kz_daemon *d, int64_t id, int *status)
{
	json_t *rows, *p, *row;

	rows = store_query(d->store, "SELECT * FROM exceptions WHERE id = ?",
	    p = json_pack("[I]", (json_int_t)id));
	json_decref(p);
	if (rows == NULL) {
		*status = 503;
		return NULL;
	}
	if (json_array_size(rows) != 1) {
		json_decref(rows);
		*status = 404;
		return NULL;
	}
	row = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	*status = 200;
	return row;
}

json_t *
exc_json(json_t *row, int64_t now)
{
	static const char *const times[] = { "requested_at", "approved_at",
	    "revert_by_at", "resolved_at" };
	const char	*state = str(row, "state");
	int64_t		 approved = num(row, "approved_at");
	int64_t		 resolved = num(row, "resolved_at");
	int64_t		 revert = num(row, "revert_by_at");
	json_t		*o = json_deep_copy(row), *in_force = json_null();
	int		 active = state != NULL && strcmp(state, "active") == 0;
	size_t		 i;

	for (i = 0; i < sizeof times / sizeof times[0]; i++)
		json_object_set_new(o, times[i], jtime(num(row, times[i])));
	json_object_set_new(o, "drill", json_boolean(num(row, "drill")));
	/* Each decision's own note: approval (condition) or rejection, and
	 * the disposition's. */
	json_object_set(o, "resolution_note", json_object_get(row, "note") ?
	    json_object_get(row, "note") : json_null());
	if (json_object_get(o, "decision_note") == NULL)
		json_object_set_new(o, "decision_note", json_null());
	/* Who typed a request for someone else is in the event log (actor,
	 * on_behalf); the list keeps its shape. */
	json_object_del(o, "requested_actor");
	/* How long the departure from policy has been (or was) in force. */
	if (active && approved != 0)
		in_force = json_integer((now - approved) / 1000);
	else if (approved != 0 && resolved != 0 && strcmp(state,
	    "rejected") != 0)
		in_force = json_integer((resolved - approved) / 1000);
	json_object_set_new(o, "in_force_s", in_force);
	json_object_set_new(o, "overdue", json_boolean(active && revert != 0 &&
	    now >= revert));
	return o;
}

json_t *
kz_exceptions_list(struct kz_daemon *d, int64_t incident, int open,
    int64_t now, int64_t after, int64_t limit)
{
	json_t	*rows, *p;
	size_t	 i;

	/* Oldest first; a page starts past the cursor's place in that
	 * order. */
	rows = store_query(d->store, "SELECT * FROM exceptions WHERE "
	    "(?1 = 0 OR incident = ?1) AND (?2 = 0 OR state IN ('requested', "
	    "'active')) AND (?3 = 0 OR (requested_at, id) > (SELECT "
	    "requested_at, id FROM exceptions WHERE id = ?3)) ORDER BY "
	    "requested_at, id LIMIT ?4", p = json_pack("[I,b,I,I]",
	    (json_int_t)incident, open, (json_int_t)after, (json_int_t)limit));
	json_decref(p);
	if (rows == NULL)
		return NULL;
	for (i = 0; i < json_array_size(rows); i++)
		json_array_set_new(rows, i, exc_json(json_array_get(rows, i),
		    now));
	return rows;
}

char *
exc_approver(struct kz_daemon *d, const struct incident *inc)
{
	if (d->conf->approver_role != NULL && *d->conf->approver_role != '\0')
		return xprintf("role:%s", d->conf->approver_role);
	/* Without a configured approver the runbook's owner (作業実施責任者)
	 * is the nearest authority over the incident. */
	return inc->rb->owner != NULL ? xstrdup(inc->rb->owner) : NULL;
}

int
exc_notify(struct kz_daemon *d, const struct incident *inc, const char *type,
    const char *to, json_t *row)
{
	struct effect	e;
	char		ts[40];
	int		rc;

	memset(&e, 0, sizeof e);
	e.kind = EF_NOTIFY;
	e.type = type;
	e.step = -1;
	e.to = to != NULL ? xstrdup(to) : NULL;
	e.data = json_pack("{s:I,s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?}", "id",
	    (json_int_t)num(row, "id"), "title", str(row, "title") ?
	    str(row, "title") : "", "policy", str(row, "policy"),
	    "revert_by_at", num(row, "revert_by_at") ? rfc3339_buf(num(row,
	    "revert_by_at"), ts, sizeof ts) : NULL, "requested_by", str(row,
	    "requested_by"), "approved_by", str(row, "approved_by"), "state",
	    str(row, "state"), "note", strcmp(type, "exception.approved") ==
	    0 || strcmp(type, "exception.rejected") == 0 ?
	    str(row, "decision_note") : str(row, "note"));
	rc = notify_enqueue(d, inc, &e);
	json_decref(e.data);
	free(e.to);
	return rc;
}

static const int64_t *
remind_offsets(struct kz_daemon *d, size_t *n)
{
	if (d->conf->nexc_remind > 0) {
		*n = d->conf->nexc_remind;
		return d->conf->exc_remind_s;
	}
	*n = sizeof default_remind_s / sizeof default_remind_s[0];
	return default_remind_s;
}

/* The earliest "before" reminder still ahead of now; 0 if none. */
static int64_t
next_before(struct kz_daemon *d, int64_t revert, int64_t now)
{
	const int64_t	*off;
	int64_t		 best = 0;
	size_t		 i, n;

	off = remind_offsets(d, &n);
	for (i = 0; i < n; i++) {
		int64_t t = revert - off[i] * 1000;

		if (off[i] > 0 && t > now && t < revert && (best == 0 ||
		    t < best))
			best = t;
	}
	return best;
}

/* Overdue reminders repeat daily from revert_by; after downtime only
 * the next one is set, not every missed day. */
static int64_t
next_after(int64_t revert, int64_t now)
{
	if (now < revert)
		return revert;
	return revert + ((now - revert) / DAY_MS + 1) * DAY_MS;
}

static int
set_timer(struct kz_daemon *d, json_t *row, const char *kind, int64_t due)
{
	char	*step = xprintf(EXC_STEP_PREFIX "%lld", (long long)num(row,
		    "id"));
	int	 rc;

	rc = store_timer_set(d->store, num(row, "incident"), step, kind, due,
	    NULL);
	free(step);
	return rc;
}

int
exc_arm(struct kz_daemon *d, json_t *row, int64_t now)
{
	int64_t revert = num(row, "revert_by_at"), before;

	if (revert == 0)
		return 0;
	if ((before = next_before(d, revert, now)) != 0 &&
	    set_timer(d, row, EXC_KIND_BEFORE, before) == -1)
		return -1;
	return set_timer(d, row, EXC_KIND_AFTER, next_after(revert, now));
}

int
exc_disarm(struct kz_daemon *d, int64_t incident, int64_t id)
{
	char	*step = xprintf(EXC_STEP_PREFIX "%lld", (long long)id);
	int	 rc;

	rc = store_timer_clear(d->store, incident, step, NULL);
	free(step);
	return rc;
}

/* Logs a reminder and tells both the requester and the approver. */
static int
remind(struct kz_daemon *d, struct incident *inc, json_t *row,
    const char *type, int64_t now)
{
	const char	*req = str(row, "requested_by");
	const char	*appr = str(row, "approved_by");
	long long	 id = num(row, "id");
	char		 ts[40], *text;
	json_t		*data;
	int		 rc;

	rfc3339_buf(num(row, "revert_by_at"), ts, sizeof ts);
	text = strcmp(type, "exception.overdue") == 0 ? xprintf("exception "
	    "%lld is past its revert-by deadline (%s): revert or adopt it",
	    id, ts) : xprintf("exception %lld must be reverted by %s", id, ts);
	data = json_pack("{s:I,s:s,s:s,s:s}", "exception", (json_int_t)id,
	    "title", str(row, "title"), "revert_by_at", ts, "text", text);
	free(text);
	rc = store_event(d->store, inc->id, now, "keizokud", NULL, type,
	    str(row, "step"), data);
	json_decref(data);
	if (rc == -1 || exc_notify(d, inc, type, req, row) == -1)
		return -1;
	if (appr != NULL && (req == NULL || strcmp(appr, req) != 0))
		return exc_notify(d, inc, type, appr, row);
	return 0;
}

int
kz_exception_timer(struct kz_daemon *d, int64_t incident, const char *step,
    const char *kind, int64_t now)
{
	struct incident	*inc;
	json_t		*row;
	long long	 id;
	int64_t		 revert, next;
	int		 status, rc = 0;

	if (step == NULL || strncmp(step, EXC_STEP_PREFIX,
	    strlen(EXC_STEP_PREFIX)) != 0 || parse_i64(step +
	    strlen(EXC_STEP_PREFIX), &id) == -1)
		return 0;	/* not ours: a stale or foreign row */
	if ((row = exc_load(d, id, &status)) == NULL)
		return status == 404 ? 0 : -1;
	revert = num(row, "revert_by_at");
	/* Only a measure in force needs reverting; decided ones lost their
	 * timers already, and this one is stale. */
	if (strcmp(str(row, "state"), "active") != 0 || revert == 0 ||
	    num(row, "incident") != incident) {
		json_decref(row);
		return 0;
	}
	if ((inc = kz_incident_load(d, incident, &status)) == NULL) {
		json_decref(row);
		return status == 404 ? 0 : -1;
	}
	log_debug("exception %lld: reminder %s", id, kind);
	if (strcmp(kind, EXC_KIND_BEFORE) == 0) {
		if (now < revert)
			rc = remind(d, inc, row, "exception.reminder", now);
		if (rc == 0 && (next = next_before(d, revert, now)) != 0)
			rc = set_timer(d, row, EXC_KIND_BEFORE, next);
	} else if (strcmp(kind, EXC_KIND_AFTER) == 0) {
		rc = remind(d, inc, row, "exception.overdue", now);
		if (rc == 0)
			rc = set_timer(d, row, EXC_KIND_AFTER, next_after(revert,
			    now));
	}
	incident_free(inc);
	json_decref(row);
	return rc;
}

/* An exception step became ready: record its anticipated measure as
 * requested, in the same operation, and ask the approver. */
int
kz_exception_from_step(struct kz_daemon *d, const struct actx *a,
    struct incident *inc, const struct effect *e)
{
	json_t		*w = e->data, *p, *row;
	const char	*rb = json_string_value(json_object_get(w, "revert_by"));
	const char	*why;
	char		*to, *text;
	int64_t		 secs = 0, id;
	int		 rc, status;

	if (rb != NULL && duration_parse(rb, &secs, &why) == -1)
		secs = 0;
	rc = store_exec(d->store, "INSERT INTO exceptions(incident, step, "
	    "title, policy, reason, state, requested_by, requested_at, "
	    "revert_by_at, drill) VALUES (?, ?, ?, ?, ?, 'requested', ?, ?, ?, "
	    "?)", p = json_pack("[I,s,s,s?,s?,s,I,o,b]", (json_int_t)inc->id,
	    inc->rb->steps[e->step].id, json_string_value(json_object_get(w,
	    "title")) ?: "", json_string_value(json_object_get(w, "policy")),
	    json_string_value(json_object_get(w, "reason")),
	    json_string_value(json_object_get(w, "requested_by")),
	    (json_int_t)a->now, secs > 0 ? json_integer(a->now + secs * 1000) :
	    json_null(), inc->drill));
	json_decref(p);
	if (rc == -1)
		return -1;
	id = store_last_id(d->store);
	text = xprintf("exception %lld requested: %s", (long long)id,
	    json_string_value(json_object_get(w, "title")) ?: "");
	rc = store_event(d->store, inc->id, a->now, a->actor, a->member,
	    "exception.requested", inc->rb->steps[e->step].id, p = json_pack(
	    "{s:I,s:O,s:s}", "exception", (json_int_t)id, "measure", w,
	    "text", text));
	json_decref(p);
	free(text);
	if (rc == -1 || (row = exc_load(d, id, &status)) == NULL)
		return -1;
	to = exc_approver(d, inc);
	rc = exc_notify(d, inc, "exception.requested", to, row);
	free(to);
	json_decref(row);
	return rc;
}

int
kz_exceptions_drill_closed(struct kz_daemon *d, const struct actx *a,
    const struct incident *inc)
{
	static const char note[] = "訓練の終了とともに破棄 / disposed of "
	    "when the drill closed";
	json_t	*rows, *p, *row;
	size_t	 i;
	int	 rc = 0;

	rows = store_query(d->store, "SELECT id, step, title FROM exceptions "
	    "WHERE incident = ? AND state IN ('requested', 'active') ORDER BY "
	    "id", p = json_pack("[I]", (json_int_t)inc->id));
	json_decref(p);
	if (rows == NULL)
		return -1;
	json_array_foreach(rows, i, row) {
		int64_t	 id = num(row, "id");
		char	*text;

		rc = store_exec(d->store, "UPDATE exceptions SET state = "
		    "'drill-closed', resolved_by = ?, resolved_at = ?, note = ? "
		    "WHERE id = ?", p = json_pack("[s,I,s,I]", a->member ?
		    a->member : a->actor, (json_int_t)a->now, note,
		    (json_int_t)id));
		json_decref(p);
		if (rc == 0)
			rc = exc_disarm(d, inc->id, id);
		if (rc == -1)
			break;
		text = xprintf("exception %lld closed with the drill: %s",
		    (long long)id, str(row, "title"));
		rc = store_event(d->store, inc->id, a->now, a->actor, a->member,
		    "exception.drill_closed", str(row, "step"), p = json_pack(
		    "{s:I,s:s,s:s}", "exception", (json_int_t)id, "title",
		    str(row, "title"), "text", text));
		json_decref(p);
		free(text);
		if (rc == -1)
			break;
	}
	json_decref(rows);
	return rc;
}
