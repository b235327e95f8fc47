/* The outward heartbeat. A ping means "this keizokud's loop turns and
 * its store commits": so each ping follows a commit of its own (one row
 * of meta, heartbeat_at), and the URL depends on how that commit went.
 * The receiver (Healthchecks, Uptime Kuma, the other site's keizokud)
 * raises the alarm when pings stop or say /fail.
 *
 * The probe and the ping are both asynchronous: the probe is an
 * operation of the loop's batch, answered when the batch commits; the
 * ping is a libcurl transfer on the loop. A ping still in flight when
 * the next is due is abandoned for the new one. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "core/beat.h"
#include "core/curlev.h"
#include "core/batch.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "model/config.h"
#include "store/store.h"

#define BEAT_TIMEOUT_MS	10000L	/* one ping, at most */

struct beat {
	struct kz_daemon	*d;
	struct event		*ev;		/* real time: every `every` */
	int64_t			 every_ms;
	int64_t			 next;		/* due, by clock_now */
	struct curlev_xfer	*xfer;		/* the ping in flight */
	int			 probing;	/* a probe awaits its commit */
	int			 dead;		/* stopped while probing */
	int			 ping_state;	/* 1 ok, -1 failing, 0 none */
	int			 store_state;	/* 1 commits, -1 fails, 0 ? */
	int64_t			 last_ping;
	int64_t			 last_ok;
};

/* The URL without its path, for logs: a push URL's path is its secret. */
static char *
beat_site(const char *url)
{
	const char	*p = strstr(url, "://");
	size_t		 n;

	p = p != NULL ? p + 3 : url;
	n = strcspn(p, "/?#");
	return xprintf("%.*s", (int)(p - url + n), url);
}

static void
beat_done(const struct http_resp *r, void *arg)
{
	struct beat	*b = arg;
	char		*site = beat_site(b->d->conf->heartbeat.url);
	int		 ok = r->status >= 200 && r->status < 300;

	b->xfer = NULL;
	if (ok)
		b->last_ok = clock_now();
	if (ok && b->ping_state != 1)
		log_info("heartbeat: %s answers%s", site, b->ping_state == -1 ?
		    " again" : "");
	else if (!ok && b->ping_state != -1) {
		if (r->status != 0)
			log_warnx("heartbeat: %s answered HTTP %ld", site,
			    r->status);
		else
			log_warnx("heartbeat: %s: %s", site, r->error ?
			    r->error : "no answer");
	}
	b->ping_state = ok ? 1 : -1;
	free(site);
}

/* url + "/fail", before any query: a push URL such as
 * https://hc.example/ping/UUID?rid=tokyo becomes .../UUID/fail?rid=tokyo. */
static char *
beat_fail_url(const char *url)
{
	size_t	n = strcspn(url, "?#");

	while (n > 0 && url[n - 1] == '/')
		n--;
	return xprintf("%.*s/fail%s", (int)n, url, url + strcspn(url, "?#"));
}

static void
beat_ping(struct beat *b, int fail)
{
	const struct heartbeat_conf	*hc = &b->d->conf->heartbeat;
	const char			*hdrs[2] = { NULL, NULL };
	struct http_req			 req;
	const char			*why;
	char				*url, *auth = NULL, *site;

	if (hc->url == NULL)
		return;
	if ((fail ? -1 : 1) != b->store_state) {
		site = beat_site(hc->url);
		if (fail)
			log_warnx("heartbeat: the store cannot commit: pinging "
			    "%s/…/fail", site);
		else if (b->store_state == -1)
			log_info("heartbeat: the store commits again: plain "
			    "pings to %s", site);
		free(site);
		b->store_state = fail ? -1 : 1;
	}
	if (b->xfer != NULL) {
		curlev_cancel(b->d->curl, b->xfer);
		b->xfer = NULL;
	}
	url = fail ? beat_fail_url(hc->url) : xstrdup(hc->url);
	if (hc->token != NULL)
		hdrs[0] = auth = xprintf("Authorization: Bearer %s", hc->token);
	memset(&req, 0, sizeof req);
	req.method = "GET";
	req.url = url;
	req.headers = hdrs;
	req.timeout_ms = b->every_ms < BEAT_TIMEOUT_MS ? (long)b->every_ms :
	    BEAT_TIMEOUT_MS;
	req.max_body = 1024;
	b->last_ping = clock_now();
	if ((b->xfer = curlev_request(b->d->curl, &req, beat_done, b,
	    &why)) == NULL && b->ping_state != -1) {
		log_warnx("heartbeat: cannot ping: %s", why);
		b->ping_state = -1;
	}
	free(url);
	free(auth);
}

static void
beat_free(struct beat *b)
{
	if (b->xfer != NULL)
		curlev_cancel(b->d->curl, b->xfer);
	if (b->ev != NULL)
		event_free(b->ev);
	free(b);
}

/* The probe's batch committed (200) or not. */
static void
beat_committed(void *arg, int status, json_t *body)
{
	struct beat *b = arg;

	json_decref(body);
	b->probing = 0;
	if (b->dead) {
		beat_free(b);
		return;
	}
	beat_ping(b, status != 200);
}

void
beat_tick(struct kz_daemon *d)
{
	struct beat	*b = d->beat;
	int64_t		 now = clock_now();
	char		 at[24];
	int		 rc;

	if (b == NULL || d->stopping || b->probing || now < b->next)
		return;
	b->next = now + b->every_ms;
	if (kz_op_begin(d) == -1) {
		beat_ping(b, 1);
		return;
	}
	snprintf(at, sizeof at, "%lld", (long long)now);
	rc = store_meta_set(d->store, "heartbeat_at", at);
	b->probing = 1;
	kz_op_end(d, rc == 0, beat_committed, b);
}

static void
beat_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct kz_daemon *d = arg;

	beat_tick(d);
}

void
beat_start(struct kz_daemon *d)
{
	const struct heartbeat_conf	*hc = &d->conf->heartbeat;
	struct beat			*b = d->beat;
	struct timeval			 tv;
	char				*site;

	if (hc->url == NULL) {
		beat_stop(d);
		return;
	}
	if (b == NULL) {
		b = d->beat = xcalloc(1, sizeof *b);
		b->d = d;
		b->next = clock_now();
		site = beat_site(hc->url);
		log_info("heartbeat: pinging %s every %llds", site,
		    (long long)hc->every_s);
		free(site);
	}
	b->every_ms = hc->every_s * 1000;
	if (b->next > clock_now() + b->every_ms)
		b->next = clock_now() + b->every_ms;
	if (b->ev != NULL)
		event_free(b->ev);
	b->ev = NULL;
	/* Under the test clock, _clock --advance drives it. */
	if (!clock_is_test()) {
		b->ev = event_new(d->base, -1, EV_PERSIST, beat_cb, d);
		tv.tv_sec = hc->every_s;
		tv.tv_usec = 0;
		event_add(b->ev, &tv);
	}
	beat_tick(d);
}

void
beat_stop(struct kz_daemon *d)
{
	struct beat *b = d->beat;

	if (b == NULL)
		return;
	d->beat = NULL;
	if (b->probing) {
		/* The batch's answer frees it. */
		if (b->ev != NULL)
			event_free(b->ev);
		b->ev = NULL;
		b->dead = 1;
		return;
	}
	beat_free(b);
}

json_t *
beat_status(struct kz_daemon *d)
{
	struct beat	*b = d->beat;
	char		*site;
	json_t		*v;

	if (b == NULL || d->conf->heartbeat.url == NULL)
		return json_null();
	site = beat_site(d->conf->heartbeat.url);
	v = json_pack("{s:s,s:I,s:o,s:o,s:b,s:b}", "url", site, "every_s",
	    (json_int_t)(b->every_ms / 1000), "last_ping_at",
	    jtime(b->last_ping), "last_ok_at", jtime(b->last_ok), "failing",
	    b->ping_state == -1, "store_failing", b->store_state == -1);
	free(site);
	return v;
}
