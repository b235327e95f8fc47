#include <event2/event.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <openssl/rand.h>

#include "config.h"
#include "curlev.h"
#include "daemon.h"
#include "log.h"
#include "outbox.h"
#include "sig.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

#define OUTBOX_INFLIGHT	32

struct delivery {
	struct outbox		*ob;
	int64_t			 id;
	struct curlev_xfer	*xfer;
	struct delivery		*next;
};

struct outbox {
	struct kz_daemon	*d;
	struct event		*timer;
	struct delivery		*inflight;
	size_t			 ninflight;
};

static void kick_cb(evutil_socket_t, short, void *);

struct outbox *
outbox_new(struct kz_daemon *d)
{
	struct outbox *ob = xcalloc(1, sizeof *ob);

	ob->d = d;
	ob->timer = evtimer_new(d->base, kick_cb, ob);
	return ob;
}

void
outbox_free(struct outbox *ob)
{
	struct delivery *dl, *next;

	if (ob == NULL)
		return;
	for (dl = ob->inflight; dl != NULL; dl = next) {
		next = dl->next;
		curlev_cancel(ob->d->curl, dl->xfer);
		free(dl);
	}
	event_free(ob->timer);
	free(ob);
}

static int
is_inflight(struct outbox *ob, int64_t id)
{
	struct delivery *dl;

	for (dl = ob->inflight; dl != NULL; dl = dl->next)
		if (dl->id == id)
			return 1;
	return 0;
}

static void
unlink_delivery(struct outbox *ob, struct delivery *dl)
{
	struct delivery **pp;

	for (pp = &ob->inflight; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == dl) {
			*pp = dl->next;
			ob->ninflight--;
			return;
		}
	}
}

/* The delay before attempt n+1, with +-20% jitter so that a receiver
 * coming back is not hit by every sender at the same instant. */
static int64_t
backoff_ms(const struct channel_conf *ch, int attempts)
{
	int64_t		base;
	unsigned int	r = 0;
	size_t		i = attempts > 0 ? (size_t)attempts - 1 : 0;

	if (ch == NULL || ch->nretry == 0)
		base = 60;
	else
		base = ch->retry_s[i < ch->nretry ? i : ch->nretry - 1];
	base *= 1000;
	if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
		r = 0;
	return base * 8 / 10 + (int64_t)(r % 1000) * base * 4 / 10 / 1000;
}

static int64_t
retry_after_ms(const char *h, int64_t now)
{
	long long	s;
	int64_t		at;

	if (h == NULL)
		return 0;
	if (parse_i64(h, &s) == 0 && s >= 0 && s < 86400 * 7)
		return s * 1000;
	/* An HTTP date: RFC 3339 is not it; accept what curl can parse. */
	at = (int64_t)curl_getdate(h, NULL) * 1000;
	return at > now ? at - now : 0;
}

static void
record(struct kz_daemon *d, struct delivery *dl, const struct http_resp *r)
{
	json_t				*rows, *row;
	const struct channel_conf	*ch;
	int64_t				 now = clock_now(), created, next;
	int				 attempts;
	char				*err = NULL;
	const char			*state;
	int				 ok;

	rows = store_query(d->store, "SELECT channel, attempts, created_at "
	    "FROM notifications WHERE id = ?", row = json_pack("[I]",
	    (json_int_t)dl->id));
	json_decref(row);
	if (rows == NULL || json_array_size(rows) != 1) {
		json_decref(rows);
		return;
	}
	row = json_array_get(rows, 0);
	ch = config_channel(d->conf, json_string_value(json_object_get(row,
	    "channel")));
	attempts = (int)json_integer_value(json_object_get(row,
	    "attempts")) + 1;
	created = json_integer_value(json_object_get(row, "created_at"));
	json_decref(rows);
	ok = r->status >= 200 && r->status < 300;
	if (ok) {
		state = "delivered";
		next = now;
	} else {
		if (r->status != 0)
			err = xprintf("HTTP %ld%s%.200s", r->status,
			    r->body && *r->body ? ": " : "", r->body ?
			    r->body : "");
		else
			err = xprintf("%s", r->error ? r->error :
			    "no response");
		next = now + backoff_ms(ch, attempts);
		if (r->status == 429 || r->status == 503) {
			int64_t ra = retry_after_ms(r->retry_after, now);

			if (now + ra > next)
				next = now + ra;
		}
		state = now - created >= (ch ? ch->max_age_s : 86400) * 1000 ?
		    "dead" : "pending";
		if (strcmp(state, "dead") == 0)
			log_warnx("notification %lld to %s is dead after %d "
			    "attempts: %s", (long long)dl->id, ch ? ch->name :
			    "?", attempts, err);
	}
	if (kz_op_begin(d) == 0) {
		json_t *p = json_pack("[s,i,I,s?,o,I]", state, attempts,
		    (json_int_t)next, err, ok ? json_integer(now) : json_null(),
		    (json_int_t)dl->id);
		int rc = store_exec(d->store, "UPDATE notifications SET state = "
		    "?, attempts = ?, next_attempt_at = ?, last_error = ?, "
		    "delivered_at = ? WHERE id = ?", p);

		json_decref(p);
		kz_op_end(d, rc == 0, NULL, NULL);
	}
	free(err);
}

static void
done_cb(const struct http_resp *r, void *arg)
{
	struct delivery	*dl = arg;
	struct outbox	*ob = dl->ob;

	unlink_delivery(ob, dl);
	record(ob->d, dl, r);
	free(dl);
}

static void
start(struct outbox *ob, json_t *row)
{
	struct kz_daemon		*d = ob->d;
	const struct channel_conf	*ch;
	struct delivery			*dl;
	struct http_req			 req;
	const char			*hdrs[6];
	const char			*body, *why = NULL;
	char				*h_id = NULL, *h_ts = NULL, *h_sig = NULL;
	const char			*msg_id;
	int64_t				 ts = clock_now() / 1000;
	size_t				 nh = 0;

	ch = config_channel(d->conf, json_string_value(json_object_get(row,
	    "channel")));
	if (ch == NULL)
		return;	/* channel removed from the config: keep it queued */
	body = json_string_value(json_object_get(row, "payload"));
	msg_id = json_string_value(json_object_get(row, "msg_id"));
	hdrs[nh++] = "Content-Type: application/json";
	if (strcmp(ch->type, "webhook") == 0) {
		h_id = xprintf("webhook-id: %s", msg_id);
		h_ts = xprintf("webhook-timestamp: %lld", (long long)ts);
		hdrs[nh++] = h_id;
		hdrs[nh++] = h_ts;
		if (ch->secret != NULL) {
			char *sig = stdwh_sign(ch->secret, msg_id, ts, body,
			    strlen(body));

			if (sig != NULL) {
				h_sig = xprintf("webhook-signature: %s", sig);
				hdrs[nh++] = h_sig;
				free(sig);
			}
		}
	}
	hdrs[nh] = NULL;
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = ch->url;
	req.headers = hdrs;
	req.body = body;
	req.body_len = strlen(body);
	req.timeout_ms = ch->timeout_s * 1000;
	dl = xcalloc(1, sizeof *dl);
	dl->ob = ob;
	dl->id = json_integer_value(json_object_get(row, "id"));
	if ((dl->xfer = curlev_request(d->curl, &req, done_cb, dl, &why)) ==
	    NULL) {
		log_warnx("notification %lld: cannot start: %s",
		    (long long)dl->id, why ? why : "?");
		free(dl);
	} else {
		dl->next = ob->inflight;
		ob->inflight = dl;
		ob->ninflight++;
	}
	free(h_id);
	free(h_ts);
	free(h_sig);
}

static void
kick(struct outbox *ob)
{
	struct kz_daemon	*d = ob->d;
	json_t			*rows, *p;
	int64_t			 now = clock_now(), next = INT64_MAX;
	size_t			 i;
	struct timeval		 tv;

	if (d->stopping || store_in_tx(d->store))
		return;
	rows = store_query(d->store, "SELECT id, channel, msg_id, payload, "
	    "next_attempt_at FROM notifications WHERE state = 'pending' ORDER "
	    "BY next_attempt_at, id LIMIT ?", p = json_pack("[i]",
	    OUTBOX_INFLIGHT * 4));
	json_decref(p);
	for (i = 0; rows != NULL && i < json_array_size(rows); i++) {
		json_t	*row = json_array_get(rows, i);
		int64_t	 id = json_integer_value(json_object_get(row, "id"));
		int64_t	 at = json_integer_value(json_object_get(row,
		    "next_attempt_at"));

		if (is_inflight(ob, id))
			continue;
		if (at > now) {
			if (at < next)
				next = at;
			continue;
		}
		if (ob->ninflight >= OUTBOX_INFLIGHT) {
			next = now + 50;
			break;
		}
		start(ob, row);
	}
	if (rows != NULL && json_array_size(rows) == OUTBOX_INFLIGHT * 4 &&
	    ob->ninflight < OUTBOX_INFLIGHT)
		next = now + 10;
	json_decref(rows);
	evtimer_del(ob->timer);
	if (next != INT64_MAX) {
		int64_t ms = next - now;

		if (ms < 0)
			ms = 0;
		if (ms > 3600 * 1000)
			ms = 3600 * 1000;
		tv.tv_sec = ms / 1000;
		tv.tv_usec = ms % 1000 * 1000;
		evtimer_add(ob->timer, &tv);
	}
}

static void
kick_cb(evutil_socket_t fd, short ev, void *arg)
{
	kick(arg);
}

void
outbox_kick(struct kz_daemon *d)
{
	if (d->outbox != NULL)
		kick(d->outbox);
}
