/* Per-source health: the last time each source was heard, and silences.
 * The truth is the source_state table and one durable timer per source
 * (kind "source-silent", incident 0, step = the source's name), due
 * silent_after after the source was last heard; the test clock moves it
 * like every other timer. This is the one place that knows when a
 * source was heard: webhooks (ingest.c) and polled feeds (jma.c) both
 * report here. */
#include <stdlib.h>
#include <string.h>

#include "core/sources.h"
#include "common/duration.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "model/config.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/batch.h"
#include "core/notify.h"

static json_t *
src_row(struct kz_daemon *d, const char *source)
{
	json_t	*p = json_pack("[s]", source), *rows, *r = NULL;

	rows = store_query(d->store, "SELECT last_heard_at, silent_since "
	    "FROM source_state WHERE source = ?", p);
	json_decref(p);
	if (rows != NULL && json_array_size(rows) == 1)
		r = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return r;
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

static int
src_exec(struct kz_daemon *d, const char *sql, json_t *p)
{
	int rc = store_exec(d->store, sql, p);

	json_decref(p);
	return rc;
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

int
source_heard(struct kz_daemon *d, const char *source, int64_t at)
{
	const struct source_conf	*s = config_source(d->conf, source);
	int64_t				 after = src_silent_after_ms(s), since;
	json_t				*r, *data;
	int				 rc = 0;

	r = src_row(d, source);
	if (r == NULL)
		rc = src_exec(d, "INSERT INTO source_state(source, "
		    "last_heard_at) VALUES (?, ?)", json_pack("[s,I]", source,
		    (json_int_t)at));
	else if ((since = jget_int(r, "silent_since")) != 0) {
		/* The silence ends: once, with how long it lasted. */
		data = src_event_data(s, source, at, since, at);
		rc = src_exec(d, "UPDATE source_state SET last_heard_at = ?, "
		    "silent_since = NULL WHERE source = ?", json_pack("[I,s]",
		    (json_int_t)at, source));
		if (rc == 0)
			rc = store_event(d->store, 0, at, "keizokud", NULL,
			    event_name(EV_SOURCE_HEARD), NULL, data);
		if (rc == 0)
			rc = notify_system(d, EV_SOURCE_HEARD, data);
		log_info("source %s: heard again after a silence", source);
		json_decref(data);
	} else if (at > jget_int(r, "last_heard_at"))
		rc = src_exec(d, "UPDATE source_state SET last_heard_at = ? "
		    "WHERE source = ?", json_pack("[I,s]", (json_int_t)at,
		    source));
	if (rc == 0 && after > 0 && (r == NULL || at >= jget_int(r,
	    "last_heard_at")))
		rc = store_timer_set(d->store, 0, source, SOURCE_SILENT_TIMER,
		    at + after, NULL);
	json_decref(r);
	return rc;
}

int
source_silence_due(struct kz_daemon *d, const char *source, int64_t now)
{
	const struct source_conf	*s = config_source(d->conf, source);
	int64_t				 after = src_silent_after_ms(s), due;
	json_t				*r, *data;
	int				 rc;

	if (after == 0)
		return 0;	/* no longer watched: the timer was stale */
	if ((r = src_row(d, source)) == NULL)
		return source_heard(d, source, now);
	due = jget_int(r, "last_heard_at") + after;
	if (jget_int(r, "silent_since") != 0 || now < due) {
		rc = jget_int(r, "silent_since") != 0 ? 0 : store_timer_set(
		    d->store, 0, source, SOURCE_SILENT_TIMER, due, NULL);
		json_decref(r);
		return rc;
	}
	data = src_event_data(s, source, jget_int(r, "last_heard_at"),
	    jget_int(r, "last_heard_at"), due);
	json_object_set_new(data, "silent_since", jtime(due));
	rc = src_exec(d, "UPDATE source_state SET silent_since = ? WHERE "
	    "source = ?", json_pack("[I,s]", (json_int_t)due, source));
	if (rc == 0)
		rc = store_event(d->store, 0, now, "keizokud", NULL,
		    event_name(EV_SOURCE_SILENT), NULL, data);
	if (rc == 0)
		rc = notify_system(d, EV_SOURCE_SILENT, data);
	if (rc == 0)
		log_warnx("source %s: nothing new for %s: silent", source,
		    json_string_value(json_object_get(data, "silent_for")));
	json_decref(data);
	json_decref(r);
	return rc;
}

void
sources_arm(struct kz_daemon *d)
{
	const struct source_conf	*s;
	int64_t				 now = clock_now(), after;
	json_t				*r;
	size_t				 i;
	int				 rc = 0, own;

	/* From `keizoku reload` this runs inside the command's operation. */
	own = !store_in_op(d->store);
	if (own && kz_op_begin(d) == -1)
		return;
	for (i = 0; rc == 0 && i < d->conf->nsources; i++) {
		s = &d->conf->sources[i];
		if ((after = src_silent_after_ms(s)) == 0) {
			rc = store_timer_clear(d->store, 0, s->name,
			    SOURCE_SILENT_TIMER);
			continue;
		}
		/* Watching starts now for a source never heard. */
		if ((r = src_row(d, s->name)) == NULL) {
			rc = source_heard(d, s->name, now);
			continue;
		}
		if (jget_int(r, "silent_since") == 0)
			rc = store_timer_set(d->store, 0, s->name,
			    SOURCE_SILENT_TIMER, jget_int(r, "last_heard_at") +
			    after, NULL);
		json_decref(r);
	}
	if (own)
		kz_op_end(d, rc == 0, NULL, NULL);
}

json_t *
sources_state(struct kz_daemon *d)
{
	json_t	*out = json_object(), *r;
	size_t	 i;

	for (i = 0; i < d->conf->nsources; i++) {
		r = src_row(d, d->conf->sources[i].name);
		json_object_set_new(out, d->conf->sources[i].name, json_pack(
		    "{s:o,s:b,s:o}", "last_heard_at", jtime(jget_int(r,
		    "last_heard_at")), "silent", jget_int(r, "silent_since") !=
		    0, "silent_since", jtime(jget_int(r, "silent_since"))));
		json_decref(r);
	}
	return out;
}

static json_t *
src_doc_counts(struct kz_daemon *d, const char *source)
{
	static const char *const states[] = { "pending", "done", "failed",
	    "stale", NULL };
	json_t	*p = json_pack("[s]", source), *rows, *out = json_object();
	json_t	*row;
	size_t	 i;

	for (i = 0; states[i] != NULL; i++)
		json_object_set_new(out, states[i], json_integer(0));
	rows = store_query(d->store, "SELECT state, count(*) AS n FROM "
	    "feed_docs WHERE source = ? GROUP BY state", p);
	json_decref(p);
	json_array_foreach(rows, i, row)
		json_object_set(out, json_string_value(json_object_get(row,
		    "state")), json_object_get(row, "n"));
	json_decref(rows);
	return out;
}

json_t *
sources_feeds(struct kz_daemon *d)
{
	const struct source_conf	*s;
	json_t				*out = json_array(), *p, *rows, *f, *st;
	int64_t				 now = clock_now(), newest;
	size_t				 i;

	for (i = 0; i < d->conf->nsources; i++) {
		s = &d->conf->sources[i];
		if (!s->pull)
			continue;
		p = json_pack("[s]", s->name);
		rows = store_query(d->store, "SELECT * FROM feeds WHERE "
		    "source = ?", p);
		json_decref(p);
		f = json_array_get(rows, 0);
		newest = jget_int(f, "newest_doc_at");
		st = src_row(d, s->name);
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:b,s:o,"
		    "s:o,s:O,s:I,s:I,s:o,s:o,s:o,s:o,s:b,s:o}", "source",
		    s->name, "format", s->format, "feed", s->feed, "enabled",
		    s->enabled, "last_poll_at", jtime(jget_int(f,
		    "last_poll_at")), "last_ok_at", jtime(jget_int(f,
		    "last_ok_at")), "last_error", f != NULL &&
		    json_object_get(f, "last_error") != NULL ?
		    json_object_get(f, "last_error") : json_null(), "failures",
		    (json_int_t)jget_int(f, "failures"), "polls",
		    (json_int_t)jget_int(f, "polls"), "newest_doc_at",
		    jtime(newest), "newest_doc_age_s", newest != 0 ?
		    json_integer((now > newest ? now - newest : 0) / 1000) :
		    json_null(), "documents", src_doc_counts(d, s->name),
		    "last_heard_at", jtime(jget_int(st, "last_heard_at")),
		    "silent", jget_int(st, "silent_since") != 0,
		    "silent_since", jtime(jget_int(st, "silent_since"))));
		json_decref(st);
		json_decref(rows);
	}
	return out;
}
