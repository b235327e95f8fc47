/* Per-source health: the last time each source was heard, and silences.
 * The truth is the source_state table and one durable timer per source
 * (kind "source-silent", incident 0, step = the source's name), due
 * silent_after after the source was last heard; the test clock moves it
 * like every other timer. This is the one place that knows when a
 * source was heard: webhooks and pings (ingest.c) and polled feeds
 * (jma.c) all report here.
 *
 * In memory, per source: what was last heard and what the table holds.
 * A request heard within SRC_WRITE_MS of the last write costs no SQL at
 * all; the timer stays where it is and, when it fires, re-arms itself
 * for the later time if the source was heard meanwhile. Whatever an
 * operation wrote here is forgotten (read again from the table) when
 * that operation or its batch does not commit. */
#include <stdlib.h>
#include <string.h>

#include "core/sources.h"
#include "engine/engine.h"
#include "core/apply.h"
#include "core/batch.h"
#include "core/maint.h"
#include "core/notify.h"
#include "common/duration.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "model/config.h"
#include "model/runbook.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

struct src_health {
	char	*name;
	int	 loaded;	/* read from the table since the last undo */
	int	 row;		/* the table has a row */
	int64_t	 heard;		/* last heard, this batch included */
	int64_t	 stored;	/* last_heard_at in the table */
	int64_t	 since;		/* silent since; 0: not silent */
	int	 failing;	/* a peer's /fail pings: logged on change */
};

struct src_table {
	struct src_health	*v;
	size_t			 n;
};

/* An operation wrote a source's row: forget the memory if it is undone. */
struct src_undo {
	struct kz_daemon	*d;
	char			*name;
};

static int
src_load(struct kz_daemon *d, struct src_health *h)
{
	int rc;

	if ((rc = store_source_get(d->store, h->name, &h->heard,
	    &h->since)) == -1)
		return -1;
	h->row = rc;
	h->stored = h->heard;
	h->loaded = 1;
	return 0;
}

/* The memory of a source, read from the table when needed; NULL when
 * storage fails. The pointer is valid until the next src_get. */
static struct src_health *
src_get(struct kz_daemon *d, const char *name)
{
	struct src_table	*t;
	struct src_health	*h = NULL;
	size_t			 i;

	if ((t = d->sources) == NULL)
		t = d->sources = xcalloc(1, sizeof *t);
	for (i = 0; i < t->n && h == NULL; i++)
		if (strcmp(t->v[i].name, name) == 0)
			h = &t->v[i];
	if (h == NULL) {
		t->v = xreallocarray(t->v, t->n + 1, sizeof *t->v);
		h = &t->v[t->n++];
		memset(h, 0, sizeof *h);
		h->name = xstrdup(name);
	}
	if (!h->loaded && src_load(d, h) == -1)
		return NULL;
	return h;
}

static void
src_undo_drop(void *arg)
{
	struct src_undo		*u = arg;
	struct src_table	*t = u->d->sources;
	size_t			 i;

	for (i = 0; t != NULL && i < t->n; i++)
		if (strcmp(t->v[i].name, u->name) == 0)
			t->v[i].loaded = 0;
	free(u->name);
	free(u);
}

static void
src_undo_keep(struct kz_daemon *d, void *arg)
{
	struct src_undo *u = arg;

	free(u->name);
	free(u);
}

static void
src_written(struct kz_daemon *d, const struct src_health *h)
{
	struct src_undo *u = xcalloc(1, sizeof *u);

	u->d = d;
	u->name = xstrdup(h->name);
	kz_after_commit(d, src_undo_keep, u, src_undo_drop);
}

/* A source is watched for silence when it has silent_after and, if it
 * is polled, polling is on. */
static int64_t
src_silent_after_ms(const struct source_conf *s)
{
	if (s == NULL || s->silent_after_s <= 0 || (s->pull && !s->enabled))
		return 0;
	return s->silent_after_s * 1000;
}

static json_t *
src_event_data(const struct source_conf *s, const char *source,
    int64_t heard, int64_t since, int64_t until)
{
	char	*f = duration_fmt((until - since) / 1000);
	json_t	*v;

	v = json_pack("{s:s,s:s,s:o,s:o,s:s,s:I}", "source", source, "format",
	    s != NULL ? s->format : "", "last_heard_at", jtime(heard),
	    "silent_since", jtime(since), "silent_for", f, "silent_for_s",
	    (json_int_t)((until - since) / 1000));
	free(f);
	return v;
}

static int
src_end_silence(struct kz_daemon *d, const struct source_conf *s,
    struct src_health *h, int64_t at, int64_t after)
{
	json_t	*data;
	int	 rc;

	/* The silence ends: once, with how long it lasted. */
	data = src_event_data(s, h->name, at, h->since, at);
	rc = store_source_back(d->store, h->name, at);
	if (rc == 0)
		rc = store_event(d->store, 0, at, "keizokud", NULL,
		    event_name(EV_SOURCE_HEARD), NULL, data);
	if (rc == 0)
		rc = notify_system(d, EV_SOURCE_HEARD, data);
	if (rc == 0 && after > 0)
		rc = store_timer_set(d->store, 0, h->name, SOURCE_SILENT_TIMER,
		    at + after, NULL);
	log_info("source %s: heard again after a silence of %s", h->name,
	    json_string_value(json_object_get(data, "silent_for")));
	json_decref(data);
	h->since = 0;
	h->heard = h->stored = at;
	src_written(d, h);
	return rc;
}

int
source_heard(struct kz_daemon *d, const char *source, int64_t at)
{
	const struct source_conf	*s = config_source(d->conf, source);
	int64_t				 after = src_silent_after_ms(s);
	struct src_health		*h;
	int				 rc;

	if ((h = src_get(d, source)) == NULL)
		return -1;
	if (h->since != 0)
		return src_end_silence(d, s, h, at, after);
	if (!h->row) {
		rc = store_source_first(d->store, source, at);
		if (rc == 0 && after > 0)
			rc = store_timer_set(d->store, 0, source,
			    SOURCE_SILENT_TIMER, at + after, NULL);
		h->row = 1;
		h->heard = h->stored = at;
		src_written(d, h);
		return rc;
	}
	if (at <= h->heard)
		return 0;
	h->heard = at;
	/* Several instances (PostgreSQL): the leader decides silence from
	 * the table, so what this one heard goes there at once. */
	if (at - h->stored < SRC_WRITE_MS && !store_is_pg(d->store))
		return 0;
	h->stored = at;
	src_written(d, h);
	return store_source_heard(d->store, source, at);
}

void
source_failing(struct kz_daemon *d, const char *source, int failing)
{
	struct src_health *h = src_get(d, source);

	if (h == NULL || h->failing == failing)
		return;
	h->failing = failing;
	if (failing)
		log_warnx("source %s: its sender reports that it cannot "
		    "commit (a ping to /fail): not counted as heard", source);
	else
		log_info("source %s: plain pings again", source);
}

/* The trigger an on_silent runbook is started with; also what a
 * maintenance window of the source is matched against. */
static json_t *
src_silence_trigger(const struct source_conf *s, json_t *data)
{
	return json_pack("{s:s,s:s,s:O,s:O,s:I}", "source", s->name,
	    "format", s->format, "silent_since", json_object_get(data,
	    "silent_since"), "last_heard_at", json_object_get(data,
	    "last_heard_at"), "silent_after_s", (json_int_t)s->silent_after_s);
}

static int
src_record(struct kz_daemon *d, const char *source, int64_t now,
    const char *key, const char *status, int64_t incident, int drill,
    json_t *doc, int64_t held)
{
	struct trigger_row row = {
		.source = source, .received_at = now, .key = key,
		.status = status, .incident = incident, .drill = drill,
		.doc = doc, .maintenance = held
	};

	return store_trigger_record(d->store, &row);
}

/* on_silent: one activation per silence, unless a maintenance window of
 * the source holds it back. What happened goes into the event's data. */
static int
src_on_silent(struct kz_daemon *d, const struct source_conf *s,
    json_t *data, int64_t now)
{
	struct runbook	*rb;
	struct actx	 a;
	json_t		*trig, *vars;
	char		*key, *why = NULL;
	int64_t		 held, id = 0;
	int		 rc = 0;

	trig = src_silence_trigger(s, data);
	key = xprintf("silent:%s:%s", s->name, json_string_value(
	    json_object_get(data, "silent_since")));
	if ((held = maint_holds(d, s->name, trig, now)) != 0) {
		log_info("source %s: on_silent %s held back by maintenance "
		    "window %lld", s->name, s->on_silent, (long long)held);
		json_object_set_new(data, "held_by", json_integer(held));
		rc = src_record(d, s->name, now, key, "suppressed", 0, s->drill,
		    trig, held);
		if (rc == 0)
			rc = maint_held(d, held);
	} else if ((rb = rbset_find(d->rbs, s->on_silent)) == NULL) {
		log_warnx("source %s: on_silent names runbook %s, which is not "
		    "loaded: nothing activated", s->name, s->on_silent);
		json_object_set_new(data, "on_silent_error", json_string(
		    "runbook not loaded"));
	} else {
		struct kz_start st = { 0 };

		kz_actx_init(d, &a, now, "keizokud");
		vars = json_deep_copy(rb->vars);
		st.rb = rb;
		st.drill = s->drill;
		st.trigger = trig;
		st.vars = vars;
		st.source = s->name;
		st.key = key;
		if (kz_start_incident(d, &a, &st, &id, &why) != 200)
			rc = -1;
		else
			rc = src_record(d, s->name, now, key, "matched", id,
			    s->drill, trig, 0);
		json_decref(vars);
		free(why);
		if (rc == 0) {
			json_object_set_new(data, "incident", json_integer(id));
			log_warnx("source %s: silent; started incident %lld of "
			    "%s", s->name, (long long)id, rb->id);
		}
	}
	json_object_set_new(data, "on_silent", json_string(s->on_silent));
	json_decref(trig);
	free(key);
	return rc;
}

int
source_silence_due(struct kz_daemon *d, const char *source, int64_t now)
{
	const struct source_conf	*s = config_source(d->conf, source);
	int64_t				 after = src_silent_after_ms(s), due;
	struct src_health		*h;
	json_t				*data;
	int				 rc;

	if (after == 0)
		return 0;	/* no longer watched: the timer was stale */
	if ((h = src_get(d, source)) == NULL)
		return -1;
	if (!h->row)
		return source_heard(d, source, now);
	if (h->since != 0)
		return 0;
	if (now < (due = h->heard + after))
		return store_timer_set(d->store, 0, source,
		    SOURCE_SILENT_TIMER, due, NULL);
	data = src_event_data(s, source, h->heard, h->heard, due);
	json_object_set_new(data, "silent_since", jtime(due));
	rc = store_source_silent(d->store, source, due, h->heard);
	h->since = due;
	h->stored = h->heard;
	src_written(d, h);
	if (rc == 0 && s->on_silent != NULL)
		rc = src_on_silent(d, s, data, now);
	if (rc == 0)
		rc = store_event(d->store, 0, now, "keizokud", NULL,
		    event_name(EV_SOURCE_SILENT), NULL, data);
	if (rc == 0)
		rc = notify_system(d, EV_SOURCE_SILENT, data);
	if (rc == 0)
		log_warnx("source %s: nothing heard for %s: silent", source,
		    json_string_value(json_object_get(data, "silent_for")));
	json_decref(data);
	return rc;
}

/* What memory heard but the table does not have yet goes to the table
 * (inside an operation). */
static int
src_flush(struct kz_daemon *d)
{
	struct src_table	*t = d->sources;
	struct src_health	*h;
	size_t			 i;
	int			 rc = 0;

	for (i = 0; t != NULL && rc == 0 && i < t->n; i++) {
		h = &t->v[i];
		if (!h->loaded || !h->row || h->heard <= h->stored)
			continue;
		rc = store_source_heard(d->store, h->name, h->heard);
	}
	return rc;
}

/* Another instance committed (leader.c): what it heard is in the table;
 * read each source again when next needed, unless this instance heard
 * something it has not written yet. */
void
sources_forget(struct kz_daemon *d)
{
	struct src_table	*t = d->sources;
	size_t			 i;

	for (i = 0; t != NULL && i < t->n; i++)
		if (t->v[i].heard <= t->v[i].stored)
			t->v[i].loaded = 0;
}

void
sources_free(struct kz_daemon *d)
{
	struct src_table	*t = d->sources;
	size_t			 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	free(t);
	d->sources = NULL;
}

void
sources_arm(struct kz_daemon *d)
{
	const struct source_conf	*s;
	struct src_health		*h;
	int64_t				 now = clock_now(), after;
	size_t				 i;
	int				 rc = 0, own;

	/* From `keizoku reload` this runs inside the command's operation. */
	own = !store_in_op(d->store);
	if (own && kz_op_begin(d) == -1)
		return;
	rc = src_flush(d);
	/* The config may name other sources now: read them afresh. */
	sources_free(d);
	for (i = 0; rc == 0 && i < d->conf->nsources; i++) {
		s = &d->conf->sources[i];
		if ((after = src_silent_after_ms(s)) == 0) {
			rc = store_timer_clear(d->store, 0, s->name,
			    SOURCE_SILENT_TIMER);
			continue;
		}
		if ((h = src_get(d, s->name)) == NULL)
			rc = -1;
		/* Watching starts now for a source never heard. */
		else if (!h->row)
			rc = source_heard(d, s->name, now);
		else if (h->since == 0)
			rc = store_timer_set(d->store, 0, s->name,
			    SOURCE_SILENT_TIMER, h->heard + after, NULL);
	}
	if (own)
		kz_op_end(d, rc == 0, NULL, NULL);
}

json_t *
sources_state(struct kz_daemon *d)
{
	struct src_health	*h;
	json_t			*out = json_object();
	size_t			 i;

	for (i = 0; i < d->conf->nsources; i++) {
		if ((h = src_get(d, d->conf->sources[i].name)) == NULL)
			continue;
		json_object_set_new(out, h->name, json_pack("{s:o,s:b,s:o}",
		    "last_heard_at", jtime(h->heard), "silent", h->since != 0,
		    "silent_since", jtime(h->since)));
	}
	return out;
}

/* A feed's row; all zero when it was never polled (or cannot be read:
 * the list goes on without it). */
static void
src_feed(struct kz_daemon *d, const char *source, struct feed_state *f)
{
	if (store_feed_get(d->store, source, f) == -1)
		memset(f, 0, sizeof *f);
}

json_t *
sources_list(struct kz_daemon *d)
{
	const struct source_conf	*s;
	struct src_health		*h;
	struct feed_state		 f;
	json_t				*out = json_array(), *o, *w;
	int64_t				 now = clock_now();
	size_t				 i;

	for (i = 0; i < d->conf->nsources; i++) {
		s = &d->conf->sources[i];
		if ((h = src_get(d, s->name)) == NULL) {
			json_decref(out);
			return NULL;
		}
		w = maint_in_force(d, s->name, now);
		o = json_pack("{s:s,s:s,s:o,s:b,s:o,s:b,s:o,s:o,s:o,s:b,s:b}",
		    "name", s->name, "format", s->format, "last_heard_at",
		    jtime(h->heard), "silent", h->since != 0, "silent_since",
		    jtime(h->since), "suppressed", json_array_size(w) > 0,
		    "windows", w, "silent_after_s", src_silent_after_ms(s) > 0 ?
		    json_integer(s->silent_after_s) : json_null(), "on_silent",
		    s->on_silent ? json_string(s->on_silent) : json_null(),
		    "heartbeat", s->heartbeat != NULL || s->pings, "failing",
		    h->failing);
		if (s->pull) {
			src_feed(d, s->name, &f);
			json_object_set_new(o, "stale", json_boolean(
			    f.stale_since != 0));
			json_object_set_new(o, "stale_since",
			    jtime(f.stale_since));
			store_feed_state_free(&f);
		}
		json_array_append_new(out, o);
	}
	return out;
}

static json_t *
src_doc_counts(struct kz_daemon *d, const char *source)
{
	struct source_docs n;

	/* Unreadable: counted as none. */
	store_source_documents(d->store, source, &n);
	return json_pack("{s:I,s:I,s:I,s:I}", "pending", (json_int_t)n.pending,
	    "done", (json_int_t)n.done, "failed", (json_int_t)n.failed,
	    "stale", (json_int_t)n.stale);
}

json_t *
sources_feeds(struct kz_daemon *d)
{
	const struct source_conf	*s;
	struct src_health		*h;
	struct feed_state		 f;
	json_t				*out = json_array();
	int64_t				 now = clock_now(), newest, heard;
	int64_t				 since;
	size_t				 i;

	for (i = 0; i < d->conf->nsources; i++) {
		s = &d->conf->sources[i];
		if (!s->pull)
			continue;
		src_feed(d, s->name, &f);
		newest = f.newest_doc_at;
		h = src_get(d, s->name);
		heard = h != NULL ? h->heard : 0;
		since = h != NULL ? h->since : 0;
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:b,s:o,"
		    "s:o,s:o,s:I,s:I,s:o,s:o,s:o,s:o,s:b,s:o,s:b,s:o}",
		    "source", s->name, "format", s->format, "feed", s->feed,
		    "enabled", s->enabled, "last_poll_at",
		    jtime(f.last_poll_at), "last_ok_at", jtime(f.last_ok_at),
		    "last_error", jstr_or_null(f.last_error), "failures",
		    (json_int_t)f.failures, "polls", (json_int_t)f.polls,
		    "newest_doc_at",
		    jtime(newest), "newest_doc_age_s", newest != 0 ?
		    json_integer((now > newest ? now - newest : 0) / 1000) :
		    json_null(), "documents", src_doc_counts(d, s->name),
		    "last_heard_at", jtime(heard), "silent", since != 0,
		    "silent_since", jtime(since), "stale", f.stale_since != 0,
		    "stale_since", jtime(f.stale_since)));
		store_feed_state_free(&f);
	}
	return out;
}
