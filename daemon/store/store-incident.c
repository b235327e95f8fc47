/* Incidents in SQLite (store.h): the incident row, its steps and its
 * staff call-outs (table responses), saved where they changed and loaded
 * with the runbook version they started with. */
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/xmalloc.h"
#include "engine/engine.h"
#include "model/runbook.h"
#include "store/store-int.h"
#include "store/store.h"

static int
save_step(struct store *s, struct incident *inc, size_t i)
{
	struct step_st	*st = &inc->steps[i];
	json_t		*p;
	int		 insert = !st->stored;

	p = json_pack("[o,o,o,o,o,o,o,o,o,i,i,b,i,i,i,i,I,I,s]",
	    json_string(step_state_name(st->state)),
	    jstr_or_null(st->assignee), jstr_or_null(st->acked_by),
	    jstr_or_null(st->done_by), jstr_or_null(st->note),
	    jint_or_null(st->ready_at), jint_or_null(st->acked_at),
	    jint_or_null(st->done_at), jint_or_null(st->deadline_at),
	    st->esc_level, st->attempts, st->pinned,
	    st->asked, st->answered, st->cursor, st->rounds,
	    (json_int_t)inc->id, (json_int_t)i, inc->rb->steps[i].id);
	st->dirty = 0;
	st->stored = 1;
	if (insert)
		return sexec(s, "INSERT INTO steps(state, assignee, acked_by, "
		    "done_by, note, ready_at, acked_at, done_at, deadline_at, "
		    "esc_level, attempts, pinned, asked, answered, cursor, "
		    "rounds, incident, idx, id) VALUES ($1, $2, $3, $4, $5, "
		    "$6, $7, $8, "
		    "$9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)", p);
	json_array_remove(p, 18);
	return sexec(s, "UPDATE steps SET state = $1, assignee = $2, "
	    "acked_by = $3, done_by = $4, note = $5, ready_at = $6, acked_at = "
	    "$7, "
	    "done_at = $8, deadline_at = $9, esc_level = $10, attempts = $11, "
	    "pinned = $12, asked = $13, answered = $14, cursor = $15, rounds = "
	    "$16 "
	    "WHERE incident = $17 AND idx = $18", p);
}

static int
save_callouts(struct store *s, struct incident *inc)
{
	size_t i;

	for (i = 0; i < inc->ncallouts; i++) {
		struct callout *c = &inc->callouts[i];

		if (!c->dirty)
			continue;
		if (sexec(s, "INSERT INTO responses(incident, step, role, "
		    "member, "
		    "answer, eta_at, called_at, answered_at, entered_by) "
		    "VALUES "
		    "($1, $2, $3, $4, $5, $6, $7, $8, $9) ON "
		    "CONFLICT(incident, step, role, "
		    "member) DO UPDATE SET answer = excluded.answer, eta_at = "
		    "excluded.eta_at, called_at = excluded.called_at, "
		    "answered_at = excluded.answered_at, entered_by = "
		    "excluded.entered_by", json_pack("[I,s,s,s,s,o,o,o,s?]",
		    (json_int_t)inc->id, inc->rb->steps[c->step].id, c->role,
		    c->member, answer_name(c->answer), jint_or_null(c->eta_at),
		    jint_or_null(c->called_at), jint_or_null(c->answered_at),
		    c->entered_by)) == -1)
			return -1;
		c->dirty = 0;
		c->is_new = 0;
	}
	return 0;
}

int
store_incident_save(struct store *s, struct incident *inc)
{
	size_t	 i;
	int	 rc = 0, blobs;
	char	*trig, *vars, *sys;
	json_t	*p;

	/* Nothing of the row changed: nothing is serialized. The trigger
	 * (an Alertmanager group: kilobytes) and the vars are written with
	 * the row's INSERT and again only when replaced. */
	if (inc->is_new || inc->dirty) {
		blobs = inc->is_new || inc->trigger != inc->stored_trigger ||
		    inc->vars != inc->stored_vars;
		if (!blobs)
			trig = NULL;
		else if (inc->is_new && inc->trigger_text != NULL)
			trig = xstrdup(inc->trigger_text);
		else
			trig = json_dumps(inc->trigger, JSON_COMPACT |
			    JSON_ENCODE_ANY);
		vars = blobs ? json_dumps(inc->vars, JSON_COMPACT) : NULL;
		sys = json_dumps(inc->systems, JSON_COMPACT);
		p = json_pack("[s,s,s?,s,b,o,o,s?,s?,s?,s?,s?,s?,s?,s?]",
		    inc->rb->id, inc->rb->hash, inc->title,
		    inc_state_name(inc->state), inc->drill,
		    jint_or_null(inc->started_at), jint_or_null(inc->closed_at),
		    trig, vars, inc->source, inc->dedup_key, inc->confirm_by,
		    inc->activated_by, inc->note, sys);
		free(trig);
		free(vars);
		free(sys);
		if (inc->is_new) {
			/* One INSERT with the id the engine was given
			 * (store_incident_reserve), no reply needed. */
			json_array_append_new(p, json_integer((json_int_t)
			    inc->rb->nsteps));
			if ((inc->id <= 0 && store_incident_reserve(s, inc) ==
			    -1) || store_put_runbook(s, inc->rb) == -1) {
				json_decref(p);
				return -1;
			}
			json_array_append_new(p, json_integer(inc->id));
			if (sexec(s, "INSERT INTO "
			    "incidents(runbook, rb_hash, title, state, drill, "
			    "started_at, closed_at, trigger, vars, source, "
			    "dedup_key, confirm_by, activated_by, note, "
			    "systems, nsteps, id) VALUES ($1, $2, $3, $4, $5, "
			    "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
			    "$17)", p) == -1)
				return -1;
			inc->is_new = 0;
		} else {
			json_array_append_new(p, json_integer(inc->id));
			/* NULL for the trigger and vars: as they are. */
			if (sexec(s, "UPDATE incidents SET runbook = $1, "
			    "rb_hash = $2, title = $3, state = $4, drill = $5, "
			    "started_at = $6, closed_at = $7, trigger = "
			    "COALESCE($8, trigger), vars = COALESCE($9, vars), "
			    "source = $10, dedup_key = $11, confirm_by = $12, "
			    "activated_by = $13, note = $14, systems = $15 "
			    "WHERE id = $16", p) == -1)
				return -1;
		}
		inc->dirty = 0;
		if (blobs) {
			json_decref(inc->stored_trigger);
			json_decref(inc->stored_vars);
			inc->stored_trigger = json_incref(inc->trigger);
			inc->stored_vars = json_incref(inc->vars);
		}
	}
	/* A step's row is written once it changes (the engine marks what
	 * it changes dirty): a step as it began (blocked, nothing set) has
	 * none, and the load takes a missing row for that. A new incident's
	 * 20 steps cost the rows of those its activation made ready. */
	for (i = 0; i < inc->rb->nsteps && rc == 0; i++)
		if (inc->steps[i].dirty)
			rc = save_step(s, inc, i);
	return rc == 0 ? save_callouts(s, inc) : rc;
}

int
store_incident_reserve(struct store *s, struct incident *inc)
{
	json_t	*rows;
	int64_t	 id;

	/* SQLite: the writer's transaction is open (one writer), and the
	 * row is inserted in this operation, before the next reserves. */
	rows = squery(s, store_is_pg(s) ?
	    "SELECT nextval(pg_get_serial_sequence('incidents', 'id')) AS id" :
	    "SELECT COALESCE(max(id), 0) + 1 AS id FROM incidents", NULL);
	if (rows == NULL)
		return -1;
	id = jget_int(json_array_get(rows, 0), "id");
	json_decref(rows);
	if (id <= 0) {
		store_seterr(s, "no id for a new incident");
		return -1;
	}
	inc->id = id;
	return 0;
}

static json_t *
load_json(json_t *o, const char *k, json_t *def)
{
	const char	*t = json_string_value(json_object_get(o, k));
	json_t		*v;

	if (t == NULL || (v = json_loads(t, JSON_DECODE_ANY, NULL)) == NULL)
		return def;
	json_decref(def);
	return v;
}

static int
callout_row(void *arg, int n, const char *const *v)
{
	struct incident	*inc = arg;
	struct callout	*c;
	int		 step, ans;

	if (n < 8 || v[0] == NULL || v[1] == NULL || v[2] == NULL ||
	    v[3] == NULL)
		return 0;
	step = runbook_step_index(inc->rb, v[0]);
	ans = answer_parse(v[3]);
	if (step < 0 || ans < 0)
		return 0;
	c = incident_callout_push(inc, step, v[1], v[2]);
	c->answer = (enum answer)ans;
	c->eta_at = v[4] != NULL ? strtoll(v[4], NULL, 10) : 0;
	c->called_at = v[5] != NULL ? strtoll(v[5], NULL, 10) : 0;
	c->answered_at = v[6] != NULL ? strtoll(v[6], NULL, 10) : 0;
	c->entered_by = v[7] != NULL ? xstrdup(v[7]) : NULL;
	return 0;
}

/* Read straight from the statement (no JSON per row). In the order they
 * were made: rowid on SQLite, the ord column PostgreSQL's table has. A
 * partial load (member not NULL) reads only member's, by key. */
static int
load_callouts(struct store *s, struct incident *inc, const char *member)
{
	static const char *const q[2][2] = {
		{ "SELECT step, role, member, answer, eta_at, called_at, "
		    "answered_at, entered_by FROM responses WHERE incident = $1 "
		    "ORDER BY called_at, rowid",
		  "SELECT step, role, member, answer, eta_at, called_at, "
		    "answered_at, entered_by FROM responses WHERE incident = $1 "
		    "AND member = $2 ORDER BY called_at, rowid" },
		{ "SELECT step, role, member, answer, eta_at, called_at, "
		    "answered_at, entered_by FROM responses WHERE incident = $1 "
		    "ORDER BY called_at, ord",
		  "SELECT step, role, member, answer, eta_at, called_at, "
		    "answered_at, entered_by FROM responses WHERE incident = $1 "
		    "AND member = $2 ORDER BY called_at, ord" },
	};
	json_t	*p = member != NULL ? json_pack("[I,s]", (json_int_t)inc->id,
		    member) : json_pack("[I]", (json_int_t)inc->id);
	size_t	 i;
	int	 rc;

	rc = store_each(s, q[store_is_pg(s) != 0][member != NULL], p,
	    callout_row, inc);
	json_decref(p);
	for (i = 0; member != NULL && i < inc->ncallouts; i++) {
		inc->callouts[i].counted = 1;
		inc->callouts[i].counted_as = inc->callouts[i].answer;
	}
	return rc;
}

static int
count_row(void *arg, int n, const char *const *v)
{
	struct incident	*inc = arg;
	int		 step, ans;

	if (n < 4 || v[0] == NULL || v[1] == NULL || v[2] == NULL ||
	    v[3] == NULL)
		return 0;
	step = runbook_step_index(inc->rb, v[0]);
	ans = answer_parse(v[2]);
	if (step >= 0 && ans >= 0)
		incident_part_count(inc->part, step, v[1], (enum answer)ans,
		    (int)strtol(v[3], NULL, 10));
	return 0;
}

/* The counts by answer of every call-out per step and role, from the
 * index responses_tally (no row is read). */
static int
load_counts(struct store *s, struct incident *inc, const char *member)
{
	json_t	*p = json_pack("[I]", (json_int_t)inc->id);
	int	 rc;

	inc->part = xcalloc(1, sizeof *inc->part);
	inc->part->member = member != NULL ? xstrdup(member) : NULL;
	rc = store_each(s, "SELECT step, role, answer, count(*) AS n FROM "
	    "responses WHERE incident = $1 GROUP BY step, role, answer", p,
	    count_row, inc);
	json_decref(p);
	return rc;
}

static struct incident *load_inc(struct store *, int64_t, int,
    const char *, struct runbook *(*)(void *, const char *), void *, int *);

enum { LOAD_ALL, LOAD_MEMBER, LOAD_HEAD };

struct incident *
store_incident_load(struct store *s, int64_t id,
    struct runbook *(*lookup)(void *, const char *), void *arg, int *status)
{
	return load_inc(s, id, LOAD_ALL, NULL, lookup, arg, status);
}

struct incident *
store_incident_load_for(struct store *s, int64_t id, const char *member,
    struct runbook *(*lookup)(void *, const char *), void *arg, int *status)
{
	return load_inc(s, id, member != NULL ? LOAD_MEMBER : LOAD_ALL,
	    member, lookup, arg, status);
}

struct incident *
store_incident_load_head(struct store *s, int64_t id,
    struct runbook *(*lookup)(void *, const char *), void *arg, int *status)
{
	return load_inc(s, id, LOAD_HEAD, NULL, lookup, arg, status);
}

/* The call-outs of members (in every step), added to a partial load's
 * as loaded ones (counted: in its counts): one statement. */
int
store_callouts_load(struct store *s, struct incident *inc,
    const char *const *members, size_t n)
{
	static const char *const q[2] = {
		"SELECT step, role, member, answer, eta_at, called_at, "
		    "answered_at, entered_by FROM responses WHERE incident = $1 "
		    "AND member IN (SELECT value FROM json_each($2)) ORDER BY "
		    "called_at, rowid",
		"SELECT step, role, member, answer, eta_at, called_at, "
		    "answered_at, entered_by FROM responses WHERE incident = $1 "
		    "AND member IN (SELECT json_array_elements_text($2::json)) "
		    "ORDER BY called_at, ord",
	};
	json_t	*list = json_array(), *p;
	char	*text;
	size_t	 i, from = inc->ncallouts;
	int	 rc;

	if (n == 0) {
		json_decref(list);
		return 0;
	}
	for (i = 0; i < n; i++)
		json_array_append_new(list, json_string(members[i]));
	text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	p = json_pack("[I,s]", (json_int_t)inc->id, text);
	free(text);
	rc = store_each(s, q[store_is_pg(s) != 0], p, callout_row, inc);
	json_decref(p);
	for (i = from; i < inc->ncallouts; i++) {
		inc->callouts[i].counted = 1;
		inc->callouts[i].counted_as = inc->callouts[i].answer;
	}
	return rc;
}

static void
keep_rows(void *arg, json_t *rows)
{
	*(json_t **)arg = rows;
}

static struct incident *
load_inc(struct store *s, int64_t id, int mode, const char *member,
    struct runbook *(*lookup)(void *, const char *), void *arg, int *status)
{
	json_t		*rows, *r, *steps = NULL;
	struct runbook	*rb;
	struct incident	*inc;
	size_t		 i;

	/* The steps go with the incident's row: one round trip on
	 * PostgreSQL (store_later). */
	if (store_later(s, "SELECT * FROM steps WHERE incident = $1 ORDER BY "
	    "idx", json_pack("[I]", (json_int_t)id), keep_rows, &steps) == -1) {
		*status = 503;
		return NULL;
	}
	rows = squery(s, "SELECT * FROM incidents WHERE id = $1",
	    json_pack("[I]", (json_int_t)id));
	if (rows == NULL) {
		json_decref(steps);
		*status = 503;
		return NULL;
	}
	if (json_array_size(rows) != 1) {
		json_decref(rows);
		json_decref(steps);
		*status = 404;
		return NULL;
	}
	r = json_array_get(rows, 0);
	if ((rb = lookup(arg, json_string_value(json_object_get(r,
	    "rb_hash")))) == NULL) {
		store_seterr(s, "incident %lld: its runbook version is "
		    "missing", (long long)id);
		json_decref(rows);
		json_decref(steps);
		*status = 500;
		return NULL;
	}
	inc = incident_new(rb, (int)jget_int(r, "drill"), NULL, NULL);
	runbook_unref(rb);	/* incident_new took its own reference */
	inc->is_new = 0;
	inc->dirty = 0;
	inc->id = id;
	inc->state = inc_state_parse(json_string_value(json_object_get(r,
	    "state")));
	free(inc->title);
	inc->title = jget_strdup(r, "title");
	inc->note = jget_strdup(r, "note");
	inc->activated_by = jget_strdup(r, "activated_by");
	inc->source = jget_strdup(r, "source");
	inc->dedup_key = jget_strdup(r, "dedup_key");
	inc->confirm_by = jget_strdup(r, "confirm_by");
	inc->started_at = jget_int(r, "started_at");
	inc->closed_at = jget_int(r, "closed_at");
	inc->trigger = load_json(r, "trigger", inc->trigger);
	inc->vars = load_json(r, "vars", inc->vars);
	inc->stored_trigger = json_incref(inc->trigger);
	inc->stored_vars = json_incref(inc->vars);
	inc->systems = load_json(r, "systems", inc->systems);
	if (!json_is_object(inc->systems)) {
		json_decref(inc->systems);
		inc->systems = json_object();
	}
	json_decref(rows);
	if ((mode != LOAD_HEAD && load_callouts(s, inc, member) == -1) ||
	    (mode != LOAD_ALL && load_counts(s, inc, member) == -1)) {
		json_decref(steps);
		incident_free(inc);
		*status = 503;
		return NULL;
	}
	for (i = 0; steps != NULL && i < json_array_size(steps); i++) {
		json_t		*sr = json_array_get(steps, i);
		int64_t		 idx = jget_int(sr, "idx");
		struct step_st	*st;
		int		 state;

		if (idx < 0 || (size_t)idx >= rb->nsteps)
			continue;
		st = &inc->steps[idx];
		st->stored = 1;
		state = step_state_parse(json_string_value(json_object_get(sr,
		    "state")));
		st->state = state < 0 ? SS_BLOCKED : (enum step_state)state;
		st->assignee = jget_strdup(sr, "assignee");
		st->acked_by = jget_strdup(sr, "acked_by");
		st->done_by = jget_strdup(sr, "done_by");
		st->note = jget_strdup(sr, "note");
		st->ready_at = jget_int(sr, "ready_at");
		st->acked_at = jget_int(sr, "acked_at");
		st->done_at = jget_int(sr, "done_at");
		st->deadline_at = jget_int(sr, "deadline_at");
		st->esc_level = (int)jget_int(sr, "esc_level");
		st->attempts = (int)jget_int(sr, "attempts");
		st->pinned = jget_int(sr, "pinned") != 0;
		st->asked = (int)jget_int(sr, "asked");
		st->answered = (int)jget_int(sr, "answered");
		st->cursor = (int)jget_int(sr, "cursor");
		st->rounds = (int)jget_int(sr, "rounds");
	}
	if (steps == NULL) {
		incident_free(inc);
		*status = 503;
		return NULL;
	}
	json_decref(steps);
	*status = 200;
	return inc;
}

json_t *
store_incidents(struct store *s, int all, int64_t after, int64_t limit)
{
	return squery(s, all ?
	    "SELECT id, runbook, title, state, drill, started_at, closed_at "
	    "FROM incidents WHERE id > $1 ORDER BY id LIMIT $2" :
	    "SELECT id, runbook, title, state, drill, started_at, closed_at "
	    "FROM incidents WHERE state IN ('pending', 'active') AND id > $1 "
	    "ORDER BY id LIMIT $2", json_pack("[I,I]", (json_int_t)after,
	    (json_int_t)limit));
}

int64_t
store_find_open(struct store *s, const char *runbook, const char *key,
    int64_t since, int drill)
{
	json_t	*rows = squery(s, "SELECT id FROM incidents WHERE runbook = $1 "
	    "AND dedup_key = $2 AND state IN ('pending', 'active') AND "
	    "started_at >= $3 AND drill = $4 ORDER BY id DESC LIMIT 1",
	    json_pack("[s,s,I,b]", runbook, key, (json_int_t)since, drill));
	int64_t	 id = 0;

	if (rows != NULL && json_array_size(rows) == 1)
		id = jget_int(json_array_get(rows, 0), "id");
	json_decref(rows);
	return id;
}

json_t *
store_open_incidents(struct store *s)
{
	return squery(s, "SELECT id FROM incidents WHERE state IN "
	    "('pending', 'active') ORDER BY id", NULL);
}

json_t *
store_running_steps(struct store *s)
{
	return squery(s, "SELECT s.incident AS incident, s.idx AS idx, "
	    "s.id AS step, s.attempts AS attempts, s.started AS started FROM "
	    "steps s JOIN incidents i ON i.id = s.incident WHERE s.state = "
	    "'running' AND i.state = 'active' ORDER BY s.incident, s.idx",
	    NULL);
}

json_t *
store_counts(struct store *s, const char *table, const char *column)
{
	/* Only called with fixed identifiers from the daemon's code. */
	static const char *const allowed[][3] = {
		{ "incidents", "state", "SELECT state AS k, drill, count(*) AS "
		    "n "
		    "FROM incidents GROUP BY state, drill" },
		/* A step without a row is blocked as it began. */
		{ "steps", "state", "SELECT s.state AS k, i.drill AS drill, "
		    "count(*) AS n FROM steps s JOIN incidents i ON "
		    "i.id = s.incident WHERE i.state = 'active' GROUP BY "
		    "s.state, i.drill UNION ALL SELECT 'blocked' AS k, i.drill "
		    "AS drill, CAST(sum(i.nsteps - (SELECT count(*) FROM steps s "
		    "WHERE s.incident = i.id)) AS BIGINT) AS n FROM incidents i "
		    "WHERE "
		    "i.state = 'active' GROUP BY i.drill" },
		{ "notifications", "state", "SELECT state AS k, drill, "
		    "count(*) AS n FROM notifications GROUP BY state, drill" },
		{ "exceptions", "state", "SELECT state AS k, drill, count(*) "
		    "AS "
		    "n FROM exceptions GROUP BY state, drill" },
	};
	size_t i;

	for (i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		if (strcmp(allowed[i][0], table) == 0 &&
		    strcmp(allowed[i][1], column) == 0)
			return squery(s, allowed[i][2], NULL);
	return NULL;
}
