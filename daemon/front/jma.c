/*
 * Pollers of JMA disaster-prevention XML feeds (format: jma, SPEC §15).
 *
 * Each poller is a small state machine on the loop, one step in flight
 * at a time:
 *
 *   poll the feed (conditional GET: If-None-Match / If-Modified-Since)
 *     -> record every entry of a known type in feed_docs as pending (or
 *        stale, when older than max_age), the validators and the newest
 *        entry's time in feeds: one operation, committed
 *     -> fetch the oldest pending document, decode it, ingest its trigger
 *        and mark the document done: one operation, committed
 *     -> the next pending document ... until none is left
 *     -> wait for the next poll (interval after this one began)
 *
 * A failure (transport, HTTP status, a body that is not a feed) backs
 * off: interval doubled per consecutive failure, at most 16 intervals or
 * 10 minutes (never less than the interval), a longer Retry-After
 * honoured. After a failure, and at start, the backfill feed (a longer
 * one, such as JMA's eqvol_l.xml) is read first when configured, so that
 * what was published during the gap is still found.
 *
 * Nothing here blocks: requests go through curlev, commits through the
 * batch; a document is marked done in the same commit as the incidents
 * it started, so a kill -9 at any point leaves it pending (taken again)
 * or done (never again), never half.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "front/jma.h"
#include "model/config.h"
#include "core/curlev.h"
#include "core/leader.h"
#include "core/daemon.h"
#include "core/notify.h"
#include "front/ingest.h"
#include "model/jma.h"
#include "common/duration.h"
#include "common/log.h"
#include "core/sources.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "core/batch.h"

#define JP_DOC_TRIES	5		/* then a document is failed */
#define JP_MAX_BACKOFF	(600 * 1000LL)
#define JP_MAX_RETRY_AFTER (3600 * 1000LL)
#define JP_KEEP_MS	(14 * 86400 * 1000LL)	/* taken documents kept */

struct jma_poller {
	struct kz_daemon	*d;
	char			*name;
	struct event		*ev;		/* the next poll */
	struct curlev_xfer	*xfer;		/* the request in flight */
	int			 busy;		/* a request or commit in flight */
	int			 dead;		/* stopped while committing */
	int			 failures;	/* consecutive */
	int			 backfill;	/* read the backfill feed next */
	int			 reading_backfill;
	char			*doc;		/* the document in flight */
	char			*doc_key;	/* its trigger's dedup key */
	char			*doc_event;	/* its event id */
	char			*last_error;	/* to log once per change */
	int64_t			 retry_after_ms;
	int64_t			 started_ms;	/* when this poll began (real) */
};

struct jma_pollers {
	struct jma_poller	**v;
	size_t			  n;
};

static void	jp_poll(struct jma_poller *);
static void	jp_next_doc(struct jma_poller *);

/* Real time for scheduling: the test clock moves silences and dedup
 * windows, not the network. */
static int64_t
jp_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct source_conf *
jp_conf(const struct jma_poller *p)
{
	return config_source(p->d->conf, p->name);
}

static void
jp_free(struct jma_poller *p)
{
	if (p->ev != NULL)
		event_free(p->ev);
	free(p->name);
	free(p->doc);
	free(p->doc_key);
	free(p->doc_event);
	free(p->last_error);
	free(p);
}

static void
jp_schedule(struct jma_poller *p, int64_t ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(p->ev, &tv);
}

/* The next poll after a success: interval after this one began. */
static void
jp_schedule_next(struct jma_poller *p)
{
	const struct source_conf *s = jp_conf(p);

	jp_schedule(p, s->interval_s * 1000 - (jp_mono_ms() - p->started_ms));
}

/* After a failure: the interval doubled per consecutive failure, capped
 * at 16 intervals or 10 minutes (whichever is less, but never below the
 * interval); a longer Retry-After wins, up to an hour. */
static void
jp_schedule_backoff(struct jma_poller *p)
{
	const struct source_conf	*s = jp_conf(p);
	int64_t				 iv = s->interval_s * 1000, cap, ms;
	int				 k;

	cap = iv * 16 < JP_MAX_BACKOFF ? iv * 16 : JP_MAX_BACKOFF;
	if (cap < iv)
		cap = iv;
	ms = iv;
	for (k = 1; k < p->failures && ms < cap; k++)
		ms *= 2;
	if (ms > cap)
		ms = cap;
	if (p->retry_after_ms > ms)
		ms = p->retry_after_ms < JP_MAX_RETRY_AFTER ?
		    p->retry_after_ms : JP_MAX_RETRY_AFTER;
	p->retry_after_ms = 0;
	jp_schedule(p, ms);
}

static void
jp_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct jma_poller *p = arg;

	if (!p->busy)
		jp_poll(p);
}

/* Logs a failure once per change of what fails, and its end. */
static void
jp_log_state(struct jma_poller *p, const char *error)
{
	if (error == NULL) {
		if (p->last_error != NULL)
			log_info("jma %s: polling works again", p->name);
		free(p->last_error);
		p->last_error = NULL;
		return;
	}
	if (p->last_error == NULL || strcmp(p->last_error, error) != 0)
		log_warnx("jma %s: %s (retrying with backoff)", p->name, error);
	free(p->last_error);
	p->last_error = xstrdup(error);
}

/* A commit of this poller's finished: it may have been stopped
 * meanwhile. 1 when it is gone. */
static int
jp_settled(struct jma_poller *p)
{
	p->busy = 0;
	if (p->dead) {
		jp_free(p);
		return 1;
	}
	/* Stopping: start nothing more; jma_stop frees it. */
	return p->d->stopping;
}

static void
jp_error_committed(void *arg, int status, json_t *body)
{
	struct jma_poller *p = arg;

	json_decref(body);
	if (jp_settled(p))
		return;
	jp_schedule_backoff(p);
}

/* A poll or fetch failed: recorded (feeds.last_error, failures), then
 * backoff. A document that failed JP_DOC_TRIES times is given up. */
static void
jp_failed(struct jma_poller *p, const char *what, const char *error)
{
	struct kz_daemon	*d = p->d;
	char			*msg = xprintf("%s: %s", what, error);
	int64_t			 now = clock_now();
	int			 ok;

	p->failures++;
	p->backfill = 1;
	jp_log_state(p, msg);
	if (kz_op_begin(d) == -1) {
		free(msg);
		p->busy = 0;
		jp_schedule_backoff(p);
		return;
	}
	ok = store_feed_failed(d->store, p->name, jp_conf(p)->feed, now,
	    msg) == 0;
	if (ok && p->doc != NULL)
		ok = store_feed_doc_attempt(d->store, p->name, p->doc, msg,
		    JP_DOC_TRIES) == 0;
	free(msg);
	p->busy = 1;
	kz_op_end(d, ok, jp_error_committed, p);
}

/* Retry-After in seconds (the HTTP-date form is not worth a parser). */
static void
jp_retry_after(struct jma_poller *p, const struct http_resp *r)
{
	long long s;

	if (r->retry_after != NULL && parse_i64(r->retry_after, &s) == 0 &&
	    s > 0)
		p->retry_after_ms = s * 1000;
}

/* The failure of a response, or NULL when it is a usable 200 / 304. */
static char *
jp_resp_error(const struct http_resp *r)
{
	if (r->error != NULL)
		return xstrdup(r->error);
	if (r->status == 304 || (r->status == 200 && !r->truncated))
		return NULL;
	if (r->status == 200)
		return xprintf("larger than %d bytes", JMA_MAX_XML);
	return xprintf("HTTP status %ld", r->status);
}

static void
jp_request(struct jma_poller *p, const char *url, const char *const *hdrs,
    http_done_fn done)
{
	const struct source_conf	*s = jp_conf(p);
	struct http_req			 req;
	const char			*why;

	memset(&req, 0, sizeof req);
	req.method = "GET";
	req.url = url;
	req.headers = hdrs;
	req.timeout_ms = s->timeout_s * 1000;
	req.max_body = JMA_MAX_XML + 1;
	req.compressed = 1;
	p->busy = 1;
	if ((p->xfer = curlev_request(p->d->curl, &req, done, p, &why)) ==
	    NULL)
		jp_failed(p, url, why);
}

/* Records the entries of a feed: every one of a known type not seen
 * before, pending (stale when older than max_age). */
static int
jp_record_entries(struct jma_poller *p, const struct jma_feed *f,
    int64_t now)
{
	const struct source_conf	*s = jp_conf(p);
	const struct jma_entry		*e;
	size_t				 i;
	int				 stale, rc = 0;

	for (i = 0; rc == 0 && i < f->n; i++) {
		e = &f->v[i];
		if (e->type == JMA_OTHER)
			continue;
		stale = e->updated != 0 && e->updated < now - s->max_age_s *
		    1000;
		rc = store_feed_doc_seen(p->d->store, p->name, e->url,
		    jma_type_name(e->type), e->updated, now, stale);
	}
	return rc;
}

static json_t *
jp_stale_data(struct jma_poller *p, int64_t fresh, int64_t since,
    int64_t until)
{
	char	*f = duration_fmt((until - fresh) / 1000);
	json_t	*v;

	v = json_pack("{s:s,s:s,s:o,s:o,s:s,s:I}", "source", p->name,
	    "feed", jp_conf(p)->feed, "fresh_at", jtime(fresh), "stale_since",
	    jtime(since), "stale_for", f, "stale_for_s", (json_int_t)((until -
	    fresh) / 1000));
	free(f);
	return v;
}

/* A feed that answers but brings nothing new for stale_after is stale
 * (SPEC §15: a dead feed is not a quiet earth): one feed.stale, and one
 * feed.fresh when something new comes. Checked at each successful poll;
 * fresh_at is when the feed last brought something new (our clock). */
static int
jp_freshness(struct jma_poller *p, const struct feed_state *row, int news,
    int64_t now)
{
	const struct source_conf	*s = jp_conf(p);
	int64_t				 fresh, since;
	json_t				*data;
	enum kz_event			 type;
	int				 rc;

	fresh = row->fresh_at;
	since = row->stale_since;
	if (news || fresh == 0) {
		rc = store_feed_fresh(p->d->store, p->name, now);
		if (rc != 0 || since == 0)
			return rc;
		data = jp_stale_data(p, fresh, since, now);
		type = EV_FEED_FRESH;
		log_info("jma %s: something new again after %s", p->name,
		    json_string_value(json_object_get(data, "stale_for")));
	} else if (since == 0 && s->stale_after_s > 0 &&
	    now - fresh >= s->stale_after_s * 1000) {
		since = fresh + s->stale_after_s * 1000;
		rc = store_feed_stale(p->d->store, p->name, since);
		if (rc != 0)
			return rc;
		data = jp_stale_data(p, fresh, since, now);
		type = EV_FEED_STALE;
		log_warnx("jma %s: nothing new for %s: stale", p->name,
		    json_string_value(json_object_get(data, "stale_for")));
	} else
		return 0;
	rc = store_event(p->d->store, 0, now, "keizokud", NULL,
	    event_name(type), NULL, data);
	if (rc == 0)
		rc = notify_system(p->d, type, data);
	json_decref(data);
	return rc;
}

/* One successful poll (200 with a feed, or 304: f NULL), in the current
 * operation. */
static int
jp_record_poll(struct jma_poller *p, const struct jma_feed *f,
    const struct http_resp *r, int64_t now)
{
	const struct source_conf	*s = jp_conf(p);
	struct store			*st = p->d->store;
	struct feed_state		 row;
	int				 rc, main_feed = !p->reading_backfill;
	int				 news = 0, known;

	known = store_feed_get(st, p->name, &row) == 1;
	rc = store_feed_polled(st, p->name, s->feed, now, !known);
	/* The validators belong to the main feed's URL. */
	if (rc == 0 && main_feed && r->status == 200)
		rc = store_feed_validators(st, p->name, r->etag,
		    r->last_modified);
	/* A successful poll: the source is heard (SPEC §17). */
	if (rc == 0)
		rc = source_heard(p->d, p->name, now);
	if (rc == 0 && f != NULL) {
		rc = jp_record_entries(p, f, now);
		/* Something new in the feed: it is fresh. */
		if (rc == 0 && f->newest > row.newest_doc_at) {
			news = 1;
			rc = store_feed_newest(st, p->name, f->newest);
		}
	}
	/* The backfill feed is read only now and then: it may bring
	 * news, it does not say the main feed is stale. */
	if (rc == 0 && (main_feed || news))
		rc = jp_freshness(p, &row, news, now);
	if (rc == 0)
		rc = store_feed_docs_purge(st, p->name, now - JP_KEEP_MS);
	store_feed_state_free(&row);
	return rc;
}

static void
jp_feed_committed(void *arg, int status, json_t *body)
{
	struct jma_poller	*p = arg;
	int			 was_backfill = p->reading_backfill;

	json_decref(body);
	if (jp_settled(p))
		return;
	if (status != 200) {
		p->failures++;
		jp_schedule_backoff(p);
		return;
	}
	p->failures = 0;
	jp_log_state(p, NULL);
	if (was_backfill) {
		/* Then the main feed, for its validators and the latest. */
		p->reading_backfill = 0;
		jp_poll(p);
		return;
	}
	jp_next_doc(p);
}

static void
jp_feed_done(const struct http_resp *r, void *arg)
{
	struct jma_poller	*p = arg;
	struct jma_feed		 f;
	const char		*url;
	char			*err, *why = NULL;
	int64_t			 now = clock_now();
	int			 ok, parsed = 0;

	p->xfer = NULL;
	url = p->reading_backfill ? jp_conf(p)->backfill : jp_conf(p)->feed;
	jp_retry_after(p, r);
	if ((err = jp_resp_error(r)) != NULL) {
		jp_failed(p, url, err);
		free(err);
		return;
	}
	if (r->status == 200) {
		if (jma_feed_parse(r->body, r->body_len, &f, &why) == -1) {
			err = xprintf("not an Atom feed: %s", why);
			jp_failed(p, url, err);
			free(err);
			free(why);
			return;
		}
		parsed = 1;
	}
	if (kz_op_begin(p->d) == -1) {
		if (parsed)
			jma_feed_free(&f);
		p->busy = 0;
		p->failures++;
		jp_schedule_backoff(p);
		return;
	}
	ok = jp_record_poll(p, parsed ? &f : NULL, r, now) == 0;
	if (parsed)
		jma_feed_free(&f);
	kz_op_end(p->d, ok, jp_feed_committed, p);
}

static void
jp_poll(struct jma_poller *p)
{
	const struct source_conf	*s = jp_conf(p);
	const char			*hdrs[3] = { NULL, NULL, NULL };
	char				*inm = NULL, *ims = NULL;
	struct feed_state		 row;
	size_t				 n = 0;

	if (s == NULL || p->d->stopping)
		return;
	p->started_ms = jp_mono_ms();
	free(p->doc);		/* no document is in flight now */
	p->doc = NULL;
	p->reading_backfill = p->backfill && s->backfill != NULL;
	p->backfill = 0;
	if (p->reading_backfill) {
		jp_request(p, s->backfill, NULL, jp_feed_done);
		return;
	}
	/* Conditional GET with what the feed said last time, if it is
	 * still the same feed. */
	if (store_feed_get(p->d->store, p->name, &row) == 1 &&
	    row.url != NULL && strcmp(row.url, s->feed) == 0) {
		if (row.etag != NULL)
			hdrs[n++] = inm = xprintf("If-None-Match: %s",
			    row.etag);
		if (row.last_modified != NULL)
			hdrs[n++] = ims = xprintf("If-Modified-Since: %s",
			    row.last_modified);
	}
	store_feed_state_free(&row);
	jp_request(p, s->feed, hdrs, jp_feed_done);
	free(inm);
	free(ims);
}

/* Inside the document's ingestion operation: the document is taken. */
static int
jp_doc_also(struct kz_daemon *d, void *arg)
{
	struct jma_poller *p = arg;

	return store_feed_doc_done(d->store, p->name, p->doc, clock_now(),
	    p->doc_event, p->doc_key);
}

static void
jp_doc_committed(void *arg, int status, json_t *body)
{
	struct jma_poller *p = arg;

	json_decref(body);
	if (jp_settled(p))
		return;
	if (status != 202) {
		/* Storage: the document stays pending for the next poll. */
		p->failures++;
		jp_schedule_backoff(p);
		return;
	}
	jp_next_doc(p);
}

static void
jp_refused_committed(void *arg, int status, json_t *body)
{
	jp_doc_committed(arg, status == 200 ? 202 : status, body);
}

/* A document that cannot be decoded will not get better: failed, with
 * why, and on to the next. */
static void
jp_doc_refused(struct jma_poller *p, const char *why)
{
	int ok;

	log_warnx("jma %s: %s: %s; the document is skipped", p->name, p->doc,
	    why);
	if (kz_op_begin(p->d) == -1) {
		p->busy = 0;
		jp_schedule_backoff(p);
		return;
	}
	ok = store_feed_doc_refused(p->d->store, p->name, p->doc, why) == 0;
	kz_op_end(p->d, ok, jp_refused_committed, p);
}

/* Every report of one JMA event joins what the first one started: a
 * cancellation, which carries no time, and a later report whose time
 * moved to the next minute take the key of the event's first document
 * of the same family (earthquake VXSE, tsunami VTSE). */
static void
jp_event_key(struct jma_poller *p, struct trigger *t, const char *type)
{
	char	*k;

	if (p->doc_event == NULL)
		return;
	k = store_feed_event_key(p->d->store, p->doc_event, type);
	if (k != NULL && strcmp(k, t->fingerprint) != 0) {
		free(t->fingerprint);
		t->fingerprint = k;
	} else
		free(k);
}

static void
jp_doc_done(const struct http_resp *r, void *arg)
{
	struct jma_poller	*p = arg;
	struct trigger		*tv;
	json_t			*jma;
	char			*err, *why = NULL;
	size_t			 n;

	p->xfer = NULL;
	jp_retry_after(p, r);
	if ((err = jp_resp_error(r)) == NULL && r->status != 200)
		err = xprintf("HTTP status %ld for a document", r->status);
	if (err != NULL) {
		jp_failed(p, p->doc, err);
		free(err);
		return;
	}
	if (jma_decode(r->body, r->body_len, &tv, &n, &why) == -1) {
		jp_doc_refused(p, why);
		free(why);
		return;
	}
	jma = json_object_get(tv[0].doc, "jma");
	json_object_set_new(jma, "url", json_string(p->doc));
	free(p->doc_event);
	free(p->doc_key);
	p->doc_event = json_string_value(json_object_get(jma, "event_id")) ?
	    xstrdup(json_string_value(json_object_get(jma, "event_id"))) :
	    NULL;
	jp_event_key(p, &tv[0], json_string_value(json_object_get(jma,
	    "type")));
	p->doc_key = xstrdup(tv[0].fingerprint);
	log_info("jma %s: %s %s (%s%s)", p->name, json_string_value(
	    json_object_get(jma, "type")), p->doc, json_string_value(
	    json_object_get(jma, "info_type")), tv[0].drill ? ", drill" : "");
	ingest_triggers(p->d, p->name, tv, n, jp_doc_also, p,
	    jp_doc_committed, p);
}

static void
jp_next_doc(struct jma_poller *p)
{
	free(p->doc);
	p->doc = store_feed_doc_next(p->d->store, p->name);
	if (p->doc == NULL) {
		p->busy = 0;
		jp_schedule_next(p);
		return;
	}
	jp_request(p, p->doc, NULL, jp_doc_done);
}

void
jma_start(struct kz_daemon *d)
{
	struct jma_pollers	*ps;
	struct jma_poller	*p;
	size_t			 i;

	/* The leader polls; a follower starts when it takes over. */
	if (!kz_leading(d) || d->jma != NULL)
		return;
	ps = xcalloc(1, sizeof *ps);
	for (i = 0; i < d->conf->nsources; i++) {
		const struct source_conf *s = &d->conf->sources[i];

		if (!s->pull)
			continue;
		if (!s->enabled) {
			log_info("jma %s: configured with enabled: false; not "
			    "polling %s", s->name, s->feed);
			continue;
		}
		p = xcalloc(1, sizeof *p);
		p->d = d;
		p->name = xstrdup(s->name);
		p->backfill = 1;
		p->ev = evtimer_new(d->base, jp_tick, p);
		ps->v = xreallocarray(ps->v, ps->n + 1, sizeof *ps->v);
		ps->v[ps->n++] = p;
		log_info("jma %s: polling %s every %llds", s->name, s->feed,
		    (long long)s->interval_s);
		jp_schedule(p, 0);
	}
	d->jma = ps;
}

void
jma_stop(struct kz_daemon *d)
{
	struct jma_pollers	*ps = d->jma;
	struct jma_poller	*p;
	size_t			 i;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->n; i++) {
		p = ps->v[i];
		evtimer_del(p->ev);
		if (p->xfer != NULL) {
			curlev_cancel(d->curl, p->xfer);
			p->xfer = NULL;
			p->busy = 0;
		}
		/* A commit in flight calls back later: it frees. */
		if (p->busy)
			p->dead = 1;
		else
			jp_free(p);
	}
	free(ps->v);
	free(ps);
	d->jma = NULL;
}
