/* Polled feeds (SPEC §15): per source, the validators of the last
 * answer, the polls and failures, the newest entry and freshness
 * (feeds); every document of a known type and what became of it,
 * pending, done, failed or stale (feed_docs). */
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "store/store-int.h"
#include "store/store.h"

int
store_feed_get(struct store *s, const char *source, struct feed_state *f)
{
	json_t	*rows, *r;

	memset(f, 0, sizeof *f);
	rows = squery(s, "SELECT url, etag, last_modified, newest_doc_at, "
	    "fresh_at, stale_since, last_poll_at, last_ok_at, last_error, "
	    "failures, polls FROM feeds WHERE source = $1",
	    json_pack("[s]", source));
	if (rows == NULL)
		return -1;
	if (json_array_size(rows) != 1) {
		json_decref(rows);
		return 0;
	}
	r = json_array_get(rows, 0);
	f->url = jget_strdup(r, "url");
	f->etag = jget_strdup(r, "etag");
	f->last_modified = jget_strdup(r, "last_modified");
	f->newest_doc_at = jget_int(r, "newest_doc_at");
	f->fresh_at = jget_int(r, "fresh_at");
	f->stale_since = jget_int(r, "stale_since");
	f->last_poll_at = jget_int(r, "last_poll_at");
	f->last_ok_at = jget_int(r, "last_ok_at");
	f->last_error = jget_strdup(r, "last_error");
	f->failures = jget_int(r, "failures");
	f->polls = jget_int(r, "polls");
	json_decref(rows);
	return 1;
}

void
store_feed_state_free(struct feed_state *f)
{
	free(f->url);
	free(f->etag);
	free(f->last_modified);
	free(f->last_error);
	memset(f, 0, sizeof *f);
}

int
store_feed_polled(struct store *s, const char *source, const char *url,
    int64_t at, int create)
{
	if (create && sexec(s, "INSERT INTO feeds(source, url) VALUES ($1, "
	    "$2)", json_pack("[s,s]", source, url)) == -1)
		return -1;
	return sexec(s, "UPDATE feeds SET url = $1, last_poll_at = $2, "
	    "last_ok_at = $3, last_error = NULL, failures = 0, polls = polls + "
	    "1 WHERE source = $4", json_pack("[s,I,I,s]", url, (json_int_t)at,
	    (json_int_t)at, source));
}

int
store_feed_validators(struct store *s, const char *source,
    const char *etag, const char *last_modified)
{
	return sexec(s, "UPDATE feeds SET etag = $1, last_modified = $2 WHERE "
	    "source = $3", json_pack("[s?,s?,s]", etag, last_modified,
	    source));
}

int
store_feed_newest(struct store *s, const char *source, int64_t newest)
{
	return sexec(s, "UPDATE feeds SET newest_doc_at = $1 WHERE source = "
	    "$2", json_pack("[I,s]", (json_int_t)newest, source));
}

int
store_feed_fresh(struct store *s, const char *source, int64_t at)
{
	return sexec(s, "UPDATE feeds SET fresh_at = $1, stale_since = NULL "
	    "WHERE source = $2", json_pack("[I,s]", (json_int_t)at, source));
}

int
store_feed_stale(struct store *s, const char *source, int64_t since)
{
	return sexec(s, "UPDATE feeds SET stale_since = $1 WHERE source = $2",
	    json_pack("[I,s]", (json_int_t)since, source));
}

int
store_feed_failed(struct store *s, const char *source, const char *url,
    int64_t at, const char *error)
{
	return sexec(s, "INSERT INTO feeds(source, url, last_poll_at, "
	    "last_error, failures, polls) VALUES ($1, $2, $3, $4, 1, 1) "
	    "ON CONFLICT(source) DO UPDATE SET last_poll_at = "
	    "excluded.last_poll_at, last_error = excluded.last_error, "
	    "failures = feeds.failures + 1, polls = feeds.polls + 1",
	    json_pack("[s,s,I,s]", source, url, (json_int_t)at, error));
}

int
store_feed_doc_seen(struct store *s, const char *source, const char *url,
    const char *type, int64_t updated, int64_t at, int stale)
{
	return sexec(s, "INSERT INTO feed_docs(source, url, type, updated_at, "
	    "seen_at, state) VALUES ($1, $2, $3, $4, $5, $6) ON "
	    "CONFLICT(source, url) DO NOTHING", json_pack("[s,s,s,I,I,s]",
	    source, url, type, (json_int_t)updated, (json_int_t)at, stale ?
	    "stale" : "pending"));
}

/* The oldest first, so that reports of one event go in their order. */
char *
store_feed_doc_next(struct store *s, const char *source)
{
	json_t	*rows;
	char	*url;

	rows = squery(s, "SELECT url FROM feed_docs WHERE source = $1 AND "
	    "state = 'pending' ORDER BY updated_at, url LIMIT 1",
	    json_pack("[s]", source));
	url = jget_strdup(json_array_get(rows, 0), "url");
	json_decref(rows);
	return url;
}

int
store_feed_doc_done(struct store *s, const char *source, const char *url,
    int64_t at, const char *event_id, const char *key)
{
	return sexec(s, "UPDATE feed_docs SET state = 'done', done_at = $1, "
	    "attempts = attempts + 1, error = NULL, event_id = $2, key = $3 "
	    "WHERE source = $4 AND url = $5", json_pack("[I,s?,s?,s,s]",
	    (json_int_t)at, event_id, key, source, url));
}

int
store_feed_doc_refused(struct store *s, const char *source, const char *url,
    const char *why)
{
	return sexec(s, "UPDATE feed_docs SET state = 'failed', attempts = "
	    "attempts + 1, error = $1 WHERE source = $2 AND url = $3",
	    json_pack("[s,s,s]", why, source, url));
}

int
store_feed_doc_attempt(struct store *s, const char *source, const char *url,
    const char *error, int tries)
{
	return sexec(s, "UPDATE feed_docs SET attempts = attempts + 1, error = "
	    "$1, state = CASE WHEN attempts + 1 >= $2 THEN 'failed' ELSE state "
	    "END WHERE source = $3 AND url = $4", json_pack("[s,i,s,s]", error,
	    tries, source, url));
}

int
store_feed_docs_purge(struct store *s, const char *source, int64_t before)
{
	return sexec(s, "DELETE FROM feed_docs WHERE source = $1 AND state <> "
	    "'pending' AND seen_at < $2", json_pack("[s,I]", source,
	    (json_int_t)before));
}

char *
store_feed_event_key(struct store *s, const char *event_id,
    const char *type)
{
	json_t	*rows;
	char	*key;

	rows = squery(s, "SELECT key FROM feed_docs WHERE event_id = $1 AND "
	    "substr(type, 1, 4) = substr($2, 1, 4) AND key IS NOT NULL ORDER "
	    "BY done_at LIMIT 1", json_pack("[s,s]", event_id, type));
	key = jget_strdup(json_array_get(rows, 0), "key");
	json_decref(rows);
	return key;
}
