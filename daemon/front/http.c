/* The HTTP(S) front end (SPEC §11), on libevent's evhttp: inbound
 * webhooks (handed to ingest.c), the REST API (every client command, by
 * its route in the command table, proto/commands.h, through the same
 * kz_dispatch as the control socket), /healthz and /metrics.
 *
 * Replies to writes are deferred until the batch commits, so a request
 * outlives the callback that received it; if its client goes away in the
 * meantime, evhttp frees the request and the close callback tells us not
 * to touch it. */
#include <sys/queue.h>
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "model/config.h"
#include "cmd/cmd.h"
#include "core/leader.h"
#include "core/daemon.h"
#include "front/http.h"
#include "front/httpconn.h"
#include "front/httperr.h"
#include "front/ingest.h"
#include "front/listen.h"
#include "front/web.h"
#include "common/log.h"
#include "model/roster.h"
#include "common/sig.h"
#include "core/sources.h"
#include "store/store.h"
#include "common/timeutil.h"
#include "common/weblink.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

#define HTTP_MAX_HEADERS	(16 * 1024)
#define HTTP_JSON		"application/json; charset=utf-8"
#define HTTP_PROM		"text/plain; version=0.0.4; charset=utf-8"

struct httpd {
	struct kz_daemon	*d;
	struct evhttp		*eh;
	SSL_CTX			*ssl;
	struct lguard		*lg;
	struct hconns		*conns;
};

/* One request between its arrival and its reply. */
struct hreq {
	struct kz_daemon		*d;
	struct evhttp_request		*req;	/* NULL: gone */
	struct hconn			*conn;	/* NULL: gone or untracked */
	struct evhttp_connection	*evcon;	/* untracked: closecb is ours */
	struct timespec			 t0;
};

typedef void (*http_handler)(struct hreq *, json_t *params);

static void	http_healthz(struct hreq *, json_t *);
static void	http_metrics(struct hreq *, json_t *);
static void	http_hook(struct hreq *, json_t *);
static void	http_hook_fail(struct hreq *, json_t *);

/* The daemon's own endpoints; the REST API follows kz_cmdspecs. */
static const struct {
	enum evhttp_cmd_type	 method;
	const char		*path;
	http_handler		 fn;
} http_routes[] = {
	{ EVHTTP_REQ_GET, "/healthz", http_healthz },
	{ EVHTTP_REQ_GET, "/metrics", http_metrics },
	{ EVHTTP_REQ_POST, "/v1/hooks/{source}", http_hook },
	/* A source of format heartbeat takes pings (SPEC §17). */
	{ EVHTTP_REQ_GET, "/v1/hooks/{source}", http_hook },
	{ EVHTTP_REQ_POST, "/v1/hooks/{source}/fail", http_hook_fail },
	{ EVHTTP_REQ_GET, "/v1/hooks/{source}/fail", http_hook_fail },
};

/* Upper bounds of the latency histogram's buckets; +Inf follows. */
static const double http_buckets[] = {
	.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5,
};
_Static_assert(sizeof http_buckets / sizeof http_buckets[0] + 1 ==
    sizeof ((struct kz_metrics *)0)->hist / sizeof (uint64_t),
    "one counter per bucket and one for +Inf in struct kz_metrics");

static const struct {
	enum evhttp_cmd_type	 cmd;
	const char		*name;
} http_methods[] = {
	{ EVHTTP_REQ_GET, "GET" }, { EVHTTP_REQ_POST, "POST" },
	{ EVHTTP_REQ_PUT, "PUT" }, { EVHTTP_REQ_DELETE, "DELETE" },
	{ EVHTTP_REQ_PATCH, "PATCH" }, { EVHTTP_REQ_OPTIONS, "OPTIONS" },
};

static const char *
http_method_name(enum evhttp_cmd_type cmd)
{
	size_t i;

	for (i = 0; i < sizeof http_methods / sizeof http_methods[0]; i++)
		if (http_methods[i].cmd == cmd)
			return http_methods[i].name;
	return "?";
}

static void
http_observe(struct kz_daemon *d, const struct timespec *t0)
{
	struct kz_metrics	*m = &d->metrics;
	struct timespec		 t1;
	double			 s;
	size_t			 i;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
	for (i = 0; i < sizeof http_buckets / sizeof http_buckets[0]; i++)
		if (s <= http_buckets[i])
			break;
	m->hist[i]++;
	m->hist_sum += s;
	m->requests++;
}

/* Sends the reply (if the client is still there) and ends the request. */
static void
http_send(struct hreq *hr, int status, const char *ctype, const char *text,
    size_t len)
{
	struct evkeyvalq	*h;
	struct evbuffer		*buf;

	if (hr->req != NULL) {
		if (hr->evcon != NULL)
			evhttp_connection_set_closecb(hr->evcon, NULL, NULL);
		h = evhttp_request_get_output_headers(hr->req);
		evhttp_add_header(h, "Content-Type", ctype);
		evhttp_add_header(h, "Cache-Control", "no-store");
		if ((buf = evbuffer_new()) == NULL)
			fatalx("evbuffer_new: out of memory");
		evbuffer_add(buf, text, len);
		evhttp_send_reply(hr->req, status, NULL, buf);
		evbuffer_free(buf);
		/* The next request on this connection has its own deadline. */
		if (hr->conn != NULL)
			hconn_replied(hr->conn);
	}
	http_observe(hr->d, &hr->t0);
	free(hr);
}

static void http_add_header(struct hreq *, const char *, const char *);

/* A list with more to follow: the cursor, and the next page's URL (this
 * one's query with after set). */
static void
http_next(struct hreq *hr, const char *next)
{
	const struct evhttp_uri	*u = evhttp_request_get_evhttp_uri(hr->req);
	struct evkeyvalq	 kv;
	struct evkeyval		*e;
	struct buf		 b = { 0 };
	char			*esc;

	http_add_header(hr, "X-Keizoku-Next", next);
	TAILQ_INIT(&kv);
	if (u == NULL || evhttp_uri_get_path(u) == NULL || (evhttp_uri_get_query(
	    u) != NULL && evhttp_parse_query_str(evhttp_uri_get_query(u),
	    &kv) == -1))
		return;
	buf_printf(&b, "<%s?", evhttp_uri_get_path(u));
	TAILQ_FOREACH(e, &kv, next) {
		if (strcmp(e->key, "after") == 0)
			continue;
		esc = evhttp_encode_uri(e->key);
		buf_printf(&b, "%s=", esc);
		free(esc);
		esc = evhttp_encode_uri(e->value);
		buf_printf(&b, "%s&", esc);
		free(esc);
	}
	buf_printf(&b, "after=%s>; rel=\"next\"", next);
	http_add_header(hr, "Link", b.s);
	buf_free(&b);
	evhttp_clear_headers(&kv);
}

/* kz_reply_fn: a JSON reply; takes body. */
static void
http_reply(void *arg, int status, json_t *body)
{
	struct hreq	*hr = arg;
	char		*text;

	if (body == NULL)
		body = json_object();
	if (hr->d->reply_next != NULL && hr->req != NULL)
		http_next(hr, hr->d->reply_next);
	/* A calendar (rota ics) goes out as what it is. */
	if (status == 200 && json_is_string(json_object_get(body, "content")) &&
	    strcmp(json_string_value(json_object_get(body, "format")) ?
	    json_string_value(json_object_get(body, "format")) : "", "ics") ==
	    0) {
		json_t *c = json_object_get(body, "content");

		http_send(hr, 200, "text/calendar; charset=utf-8",
		    json_string_value(c), json_string_length(c));
		json_decref(body);
		return;
	}
	text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(body);
	if (text == NULL) {
		status = 500;
		text = xstrdup("{\"error\":\"cannot encode the reply\"}");
	}
	http_send(hr, status, HTTP_JSON, text, strlen(text));
	free(text);
}

static void
http_error(struct hreq *hr, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
http_error(struct hreq *hr, int status, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvprintf(fmt, ap);
	va_end(ap);
	http_reply(hr, status, json_pack("{s:s}", "error", msg));
	free(msg);
}

static void
http_add_header(struct hreq *hr, const char *name, const char *value)
{
	if (hr->req != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(hr->req),
		    name, value);
}

/* The connection closed before the reply: evhttp frees the request. */
static void
http_gone(void *arg)
{
	struct hreq *hr = arg;

	hr->req = NULL;
	hr->conn = NULL;
}

static void
http_gone_evcon(struct evhttp_connection *evcon, void *arg)
{
	http_gone(arg);
}

static const char *
http_header(void *arg, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(arg), name);
}

/* The request body; never NULL (an empty body is ""). */
static const char *
http_body(struct evhttp_request *req, size_t *len)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	const char	*p;

	*len = evbuffer_get_length(in);
	if (*len == 0)
		return "";
	p = (const char *)evbuffer_pullup(in, -1);
	return p != NULL ? p : "";
}

/* A URL-decoded path segment as a JSON string; NULL when it holds a NUL
 * or is not UTF-8. */
static json_t *
http_decoded(const char *raw, size_t rawlen)
{
	char	*s = xstrndup(raw, rawlen), *dec;
	size_t	 len = 0;
	json_t	*v = NULL;

	dec = evhttp_uridecode(s, 0, &len);
	free(s);
	if (dec != NULL && strlen(dec) == len)
		v = json_stringn(dec, len);
	free(dec);
	return v;
}

/* Matches path against a route template; "{name}" segments capture into
 * params. 1 on a match, 0 if none, -1 when a capture is not text. */
static int
http_match(const char *tmpl, const char *path, json_t *params)
{
	json_t	*caps = json_object(), *v;
	size_t	 tl, pl;
	int	 rc = 0;

	for (;;) {
		if (*tmpl == '\0' || *path == '\0') {
			rc = *tmpl == '\0' && *path == '\0';
			break;
		}
		if (*tmpl++ != '/' || *path++ != '/')
			break;
		tl = strcspn(tmpl, "/");
		pl = strcspn(path, "/");
		if (tl > 2 && tmpl[0] == '{' && memchr(tmpl, '}', tl) != NULL) {
			char	*name;
			size_t	 nl = (size_t)((char *)memchr(tmpl, '}', tl) -
				    tmpl) + 1, sl = tl - nl;

			/* "{rota}.ics": a capture, then a fixed suffix. */
			if (pl <= sl || strncmp(path + pl - sl, tmpl + nl, sl) != 0)
				break;
			pl -= sl;
			tl = nl;
			if ((v = http_decoded(path, pl)) == NULL) {
				rc = -1;
				break;
			}
			name = xstrndup(tmpl + 1, tl - 2);
			json_object_set_new(caps, name, v);
			free(name);
			tl += sl;
			pl += sl;
		} else if (tl != pl || strncmp(tmpl, path, tl) != 0)
			break;
		tmpl += tl;
		path += pl;
	}
	if (rc == 1)
		json_object_update(params, caps);
	json_decref(caps);
	return rc;
}

/* GET parameters; repeated names become arrays. NULL when malformed. */
static json_t *
http_query(const char *q)
{
	struct evkeyvalq	 kv;
	struct evkeyval		*e;
	json_t			*o = json_object(), *v, *old;

	if (q == NULL)
		return o;
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(q, &kv) == -1) {
		json_decref(o);
		return NULL;
	}
	TAILQ_FOREACH(e, &kv, next) {
		/* Names and values alike must be text (UTF-8). */
		if ((v = json_string(e->key)) == NULL || (json_decref(v),
		    v = json_string(e->value)) == NULL) {
			json_decref(o);
			o = NULL;
			break;
		}
		if ((old = json_object_get(o, e->key)) == NULL)
			json_object_set_new(o, e->key, v);
		else if (json_is_array(old))
			json_array_append_new(old, v);
		else
			json_object_set_new(o, e->key, json_pack("[O,o]", old,
			    v));
	}
	evhttp_clear_headers(&kv);
	return o;
}

/* POST parameters: a JSON object (an empty body is {}). NULL after
 * replying with the error. */
static json_t *
http_json_body(struct hreq *hr)
{
	json_error_t	 err;
	json_t		*o;
	size_t		 len;
	const char	*body = http_body(hr->req, &len);

	if (len == 0)
		return json_object();
	if (!ingest_json_ctype(http_header(hr->req, "Content-Type"))) {
		http_error(hr, 415, "Content-Type must be application/json");
		return NULL;
	}
	if ((o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err)) ==
	    NULL) {
		http_error(hr, 400, "invalid JSON at line %d column %d: %s",
		    err.line, err.column, err.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		http_error(hr, 400, "the request body must be a JSON object");
		return NULL;
	}
	return o;
}

/* The roster member a bearer token belongs to. 0, or the status to
 * refuse with (the error already sent). */
static int
http_token(struct hreq *hr, const struct member **m)
{
	const struct config	*c = hr->d->conf;
	const char		*h = http_header(hr->req, "Authorization");
	const char		*who = NULL;
	char			 hex[65];
	size_t			 i;

	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7 + strspn(h + 7, " ");
		sha256_hex(h, strlen(h), hex);
		/* Every token is compared, found or not. */
		for (i = 0; i < c->ntokens; i++)
			if (ct_equal(hex, 64, c->tokens[i].sha256, 64) &&
			    who == NULL)
				who = c->tokens[i].member;
	}
	if (who == NULL) {
		http_add_header(hr, "WWW-Authenticate",
		    "Bearer realm=\"keizoku\"");
		http_error(hr, 401, h == NULL ? "missing bearer token "
		    "(Authorization: Bearer TOKEN)" : "bad bearer token");
		return 401;
	}
	if ((*m = roster_member(hr->d->roster, who)) == NULL) {
		http_error(hr, 403, "the token's member %s is not in the "
		    "roster", who);
		return 403;
	}
	return 0;
}

/* GET /v1/rotas/{rota}.ics?member=M&key=K (SPEC §16): the key signs the
 * member and the rota (rota ics --link). 1 when handled (answered or
 * refused), 0 when there is no key (a token is needed then). */
static int
http_ics_key(struct hreq *hr, json_t *caps)
{
	const struct evhttp_uri	*u = evhttp_request_get_evhttp_uri(hr->req);
	const char		*secret = hr->d->conf->web.secret, *why = NULL;
	json_t			*q = http_query(evhttp_uri_get_query(u));
	const char		*key = json_string_value(json_object_get(q,
				    "key"));
	const char		*member = json_string_value(json_object_get(q,
				    "member"));
	const char		*rota = json_string_value(json_object_get(caps,
				    "rota"));
	struct wl_claims	 c;
	struct kz_req		 r;

	if (key == NULL) {
		json_decref(q);
		return 0;
	}
	if (secret == NULL || wl_verify(secret, key, 'k', clock_now() / 1000,
	    &c, &why) == -1 || member == NULL || rota == NULL ||
	    strcmp(c.subject, member) != 0 || strcmp(c.scope, rota) != 0) {
		json_decref(q);
		http_error(hr, 403, "this calendar link is not valid (%s)",
		    secret == NULL ? "no web.secret" : why != NULL ? why :
		    "not for this member and rota");
		return 1;
	}
	memset(&r, 0, sizeof r);
	r.spec = kz_cmdspec_byname("rota ics");
	r.params = json_pack("{s:s,s:s}", "rota", rota, "member", member);
	r.actor = xstrdup(member);
	r.via = "http";
	json_decref(q);
	kz_dispatch(hr->d, &r, http_reply, hr);
	free(r.actor);
	json_decref(r.params);
	return 1;
}

/* A REST call: the command of spec with its params (path captures win
 * over body or query), on behalf of the token's member. */
static void
http_rest(struct hreq *hr, const struct kz_cmdspec *spec, json_t *caps)
{
	struct kz_daemon	*d = hr->d;
	const struct member	*m;
	const char		*as;
	struct kz_req		 r;
	json_t			*params, *asj = NULL;

	/* A member's calendar feed by its signed link: no token. */
	if (strcmp(spec->name, "rota ics") == 0 && http_ics_key(hr, caps))
		return;
	if (http_token(hr, &m) != 0)
		return;
	if (strcmp(spec->method, "GET") == 0) {
		const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(
		    hr->req);

		if ((params = http_query(evhttp_uri_get_query(u))) == NULL) {
			http_error(hr, 400, "malformed query string (not "
			    "UTF-8?)");
			return;
		}
	} else if ((params = http_json_body(hr)) == NULL)
		return;
	json_object_update(params, caps);
	if ((as = http_header(hr->req, "X-Keizoku-As")) != NULL &&
	    (asj = json_string(as)) == NULL) {
		json_decref(params);
		http_error(hr, 400, "X-Keizoku-As is not UTF-8");
		return;
	}
	json_decref(asj);
	memset(&r, 0, sizeof r);
	r.spec = spec;
	r.params = params;
	r.actor = xstrdup(m->id);
	r.member = as != NULL && *as != '\0' ? xstrdup(as) : NULL;
	r.admin = m->unix_user != NULL && strv_has(d->conf->admins,
	    m->unix_user);
	r.via = "http";
	kz_dispatch(d, &r, http_reply, hr);
	free(r.actor);
	free(r.member);
	json_decref(r.params);
}

static void
http_hook(struct hreq *hr, json_t *params)
{
	struct ingest_req r;

	memset(&r, 0, sizeof r);
	r.source = json_string_value(json_object_get(params, "source"));
	r.ctype = http_header(hr->req, "Content-Type");
	r.body = http_body(hr->req, &r.len);
	r.header = http_header;
	r.harg = hr->req;
	r.get = evhttp_request_get_command(hr->req) == EVHTTP_REQ_GET;
	r.fail = json_is_true(json_object_get(params, "_fail"));
	if (r.get && !r.fail) {
		const struct source_conf *s = config_source(hr->d->conf,
		    r.source ? r.source : "");

		if (s != NULL && !s->pings) {
			http_add_header(hr, "Allow", "POST");
			http_error(hr, 405, "GET is not allowed on the hook of "
			    "source %s (format %s): POST its alerts; only a "
			    "source of format heartbeat takes GET", s->name,
			    s->format);
			return;
		}
	}
	ingest_hook(hr->d, &r, http_reply, hr);
}

/* A ping to .../fail: the sender's loop turns, its store cannot commit
 * (Healthchecks' convention). */
static void
http_hook_fail(struct hreq *hr, json_t *params)
{
	json_object_set_new(params, "_fail", json_true());
	http_hook(hr, params);
}

static void
http_healthz(struct hreq *hr, json_t *params)
{
	struct kz_daemon *d = hr->d;

	if (d->stopping)
		http_reply(hr, 503, json_pack("{s:b,s:s}", "ok", 0, "error",
		    "shutting down"));
	else if (store_ping(d->store) == -1)
		http_reply(hr, 503, json_pack("{s:b,s:s}", "ok", 0, "error",
		    store_errmsg(d->store)));
	else if (store_suspect(d->store))
		/* Reads work, writes do not: not healthy. */
		http_reply(hr, 503, json_pack("{s:b,s:s}", "ok", 0, "error",
		    "writes are failing (disk full or I/O errors)"));
	else
		http_reply(hr, 200, json_pack("{s:b}", "ok", 1));
}

/* Prometheus label values: backslash, quote and newline escaped. */
static void
prom_label(struct buf *b, const char *name, const char *value)
{
	const char *p;

	buf_printf(b, "%s=\"", name);
	for (p = value; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			buf_addc(b, '\\');
		if (*p == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *p);
	}
	buf_addc(b, '"');
}

static void
prom_head(struct buf *b, const char *name, const char *type,
    const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Counts by state from store_counts: {state: [not drill, drill]}, every
 * known state present, and any other state the database holds too. */
static json_t *
prom_count(struct kz_daemon *d, const char *table,
    const char *const *states)
{
	json_t	*rows = store_counts(d->store, table, "state"), *r, *v;
	json_t	*out = json_object();
	size_t	 i;
	int	 drill;

	for (i = 0; states[i] != NULL; i++)
		json_object_set_new(out, states[i], json_pack("[i,i]", 0, 0));
	json_array_foreach(rows, i, r) {
		const char *k = json_string_value(json_object_get(r, "k"));

		if (k == NULL)
			continue;
		if ((v = json_object_get(out, k)) == NULL) {
			v = json_pack("[i,i]", 0, 0);
			json_object_set_new(out, k, v);
		}
		drill = json_integer_value(json_object_get(r, "drill")) != 0;
		json_array_set_new(v, drill, json_integer(json_integer_value(
		    json_array_get(v, drill)) + json_integer_value(
		    json_object_get(r, "n"))));
	}
	json_decref(rows);
	return out;
}

/* A gauge by state and drill (drills are kept apart, SPEC §10). */
static void
prom_states(struct buf *b, struct kz_daemon *d, const char *table,
    const char *name, const char *help, const char *const *states)
{
	json_t		*counts = prom_count(d, table, states), *v;
	const char	*k;
	int		 drill;

	prom_head(b, name, "gauge", help);
	json_object_foreach(counts, k, v) {
		for (drill = 0; drill < 2; drill++) {
			buf_printf(b, "%s{", name);
			prom_label(b, "state", k);
			buf_printf(b, ",drill=\"%s\"} %lld\n", drill ? "true" :
			    "false", (long long)json_integer_value(
			    json_array_get(v, drill)));
		}
	}
	json_decref(counts);
}

/* Configured sources are listed with zeros before their first trigger,
 * so that rate() sees the series from the start. */
static void
prom_triggers(struct buf *b, struct kz_daemon *d)
{
	static const char *const results[] = { "matched", "joined",
	    "unmatched", "resolved", "duplicate", "suppressed", "heartbeat",
	    "ping", "fail", NULL };
	json_t		*all, *s, *v;
	const char	*src, *k;
	size_t		 i;

	if ((all = json_deep_copy(d->metrics.triggers)) == NULL)
		all = json_object();
	for (i = 0; i < d->conf->nsources; i++)
		if (json_object_get(all, d->conf->sources[i].name) == NULL)
			json_object_set_new(all, d->conf->sources[i].name,
			    json_pack("{s:{},s:{}}", "results", "rejected"));
	prom_head(b, "keizoku_triggers_total", "counter",
	    "Webhook triggers accepted, by source and what they did.");
	json_object_foreach(all, src, s) {
		if (*src == '_')
			continue;	/* "_unknown": refusals only */
		for (i = 0; results[i] != NULL; i++) {
			buf_adds(b, "keizoku_triggers_total{");
			prom_label(b, "source", src);
			buf_addc(b, ',');
			prom_label(b, "result", results[i]);
			buf_printf(b, "} %lld\n", (long long)json_integer_value(
			    json_object_get(json_object_get(s, "results"),
			    results[i])));
		}
	}
	prom_head(b, "keizoku_triggers_rejected_total", "counter",
	    "Webhook requests refused, by source and reason.");
	json_object_foreach(all, src, s) {
		json_object_foreach(json_object_get(s, "rejected"), k, v) {
			buf_adds(b, "keizoku_triggers_rejected_total{");
			prom_label(b, "source", src);
			buf_addc(b, ',');
			prom_label(b, "reason", k);
			buf_printf(b, "} %lld\n",
			    (long long)json_integer_value(v));
		}
	}
	json_decref(all);
}

/* A time of the status JSON as Prometheus seconds; 0 when never. */
static double
prom_time(const json_t *v)
{
	int64_t ms;

	if (!json_is_string(v) || rfc3339_parse(json_string_value(v),
	    &ms) == -1)
		return 0;
	return ms / 1000.0;
}

static void
prom_feed_gauge(struct buf *b, json_t *feeds, const char *name,
    const char *type, const char *help, const char *key, int is_time)
{
	json_t		*f;
	size_t		 i;
	double		 v;

	prom_head(b, name, type, help);
	json_array_foreach(feeds, i, f) {
		v = is_time ? prom_time(json_object_get(f, key)) :
		    json_number_value(json_object_get(f, key));
		buf_printf(b, "%s{", name);
		prom_label(b, "source", json_string_value(json_object_get(f,
		    "source")));
		buf_printf(b, "} %.3f\n", v);
	}
}

/* Polled feeds (SPEC §15) and the last time each source was heard
 * (§17): a dead feed must not look like a quiet earth. */
static void
prom_sources(struct buf *b, struct kz_daemon *d)
{
	json_t		*feeds = sources_feeds(d), *st = sources_state(d), *f, *v;
	const char	*k, *src;
	size_t		 i;

	prom_feed_gauge(b, feeds, "keizoku_feed_last_poll_timestamp_seconds",
	    "gauge", "Last poll of each feed, successful or not.",
	    "last_poll_at", 1);
	prom_feed_gauge(b, feeds,
	    "keizoku_feed_last_success_timestamp_seconds", "gauge",
	    "Last successful poll of each feed (200 or 304).", "last_ok_at",
	    1);
	prom_feed_gauge(b, feeds,
	    "keizoku_feed_newest_document_timestamp_seconds", "gauge",
	    "Time of the newest entry seen in each feed.", "newest_doc_at", 1);
	prom_feed_gauge(b, feeds, "keizoku_feed_newest_document_age_seconds",
	    "gauge", "Age of the newest entry seen in each feed.",
	    "newest_doc_age_s", 0);
	prom_feed_gauge(b, feeds, "keizoku_feed_consecutive_failures", "gauge",
	    "Polls or fetches that failed in a row.", "failures", 0);
	prom_feed_gauge(b, feeds, "keizoku_feed_polls_total", "counter",
	    "Polls of each feed.", "polls", 0);
	prom_head(b, "keizoku_feed_documents", "gauge",
	    "Documents of a known type seen in each feed, by state.");
	json_array_foreach(feeds, i, f) {
		src = json_string_value(json_object_get(f, "source"));
		json_object_foreach(json_object_get(f, "documents"), k, v) {
			buf_adds(b, "keizoku_feed_documents{");
			prom_label(b, "source", src);
			buf_addc(b, ',');
			prom_label(b, "state", k);
			buf_printf(b, "} %lld\n", (long long)json_integer_value(
			    v));
		}
	}
	prom_head(b, "keizoku_source_last_heard_timestamp_seconds", "gauge",
	    "Last time each source brought something.");
	json_object_foreach(st, k, v) {
		buf_adds(b, "keizoku_source_last_heard_timestamp_seconds{");
		prom_label(b, "source", k);
		buf_printf(b, "} %.3f\n", prom_time(json_object_get(v,
		    "last_heard_at")));
	}
	prom_head(b, "keizoku_source_silent", "gauge",
	    "1 while a source is silent for longer than its silent_after.");
	json_object_foreach(st, k, v) {
		buf_adds(b, "keizoku_source_silent{");
		prom_label(b, "source", k);
		buf_printf(b, "} %d\n", json_is_true(json_object_get(v,
		    "silent")));
	}
	json_decref(feeds);
	json_decref(st);
}

static void
http_metrics(struct hreq *hr, json_t *params)
{
	static const char *const inc[] = { "pending", "active", "closed",
	    "dismissed", NULL };
	static const char *const steps[] = { "blocked", "ready", "acked",
	    "running", "done", "failed", "skipped", NULL };
	static const char *const nots[] = { "pending", "delivered", "dead",
	    "cancelled", NULL };
	struct kz_daemon	*d = hr->d;
	struct kz_metrics	*m = &d->metrics;
	struct buf		 b = { 0 };
	uint64_t		 cum = 0;
	size_t			 i;

	/* SPEC §13: the role of this instance (leader.c). */
	prom_head(&b, "keizoku_node_info", "gauge",
	    "This instance: its node name, role and store backend.");
	buf_printf(&b, "keizoku_node_info{");
	prom_label(&b, "node", d->conf->node);
	buf_printf(&b, ",role=\"%s\",", kz_role(d));
	prom_label(&b, "store", store_backend(d->store));
	buf_printf(&b, "} 1\n");
	prom_head(&b, "keizoku_leader", "gauge",
	    "1 while this instance is the leader.");
	buf_printf(&b, "keizoku_leader %d\n", kz_leading(d));
	prom_head(&b, "keizoku_leader_takeovers_total", "counter",
	    "Times this instance took the lead (its start included).");
	buf_printf(&b, "keizoku_leader_takeovers_total %llu\n",
	    (unsigned long long)kz_lead_count(d));
	if (store_is_pg(d->store)) {
		prom_head(&b, "keizoku_store_round_trips_total", "counter",
		    "Round trips to the PostgreSQL server (each holds the "
		    "loop for one network round trip).");
		buf_printf(&b, "keizoku_store_round_trips_total %llu\n",
		    (unsigned long long)store_round_trips(d->store));
	}
	prom_states(&b, d, "incidents", "keizoku_incidents",
	    "Incidents by state.", inc);
	prom_states(&b, d, "steps", "keizoku_steps",
	    "Steps of active incidents by state.", steps);
	prom_states(&b, d, "notifications", "keizoku_notifications",
	    "Outbound notifications by state.", nots);
	prom_triggers(&b, d);
	prom_sources(&b, d);
	prom_head(&b, "keizoku_http_request_duration_seconds", "histogram",
	    "Time from a request's arrival to its reply.");
	for (i = 0; i < sizeof http_buckets / sizeof http_buckets[0]; i++) {
		cum += m->hist[i];
		buf_printf(&b, "keizoku_http_request_duration_seconds_bucket"
		    "{le=\"%g\"} %llu\n", http_buckets[i],
		    (unsigned long long)cum);
	}
	cum += m->hist[i];
	buf_printf(&b, "keizoku_http_request_duration_seconds_bucket"
	    "{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	buf_printf(&b, "keizoku_http_request_duration_seconds_sum %.6f\n",
	    m->hist_sum);
	buf_printf(&b, "keizoku_http_request_duration_seconds_count %llu\n",
	    (unsigned long long)cum);
	if (d->http != NULL && d->http->conns != NULL) {
		prom_head(&b, "keizoku_http_connections", "gauge",
		    "HTTP connections open (http.max_connections caps it).");
		buf_printf(&b, "keizoku_http_connections %d\n",
		    hconns_open(d->http->conns));
		prom_head(&b, "keizoku_http_connections_dropped_total",
		    "counter", "HTTP connections closed for taking longer "
		    "than http.request_timeout or displaced at the cap.");
		buf_printf(&b, "keizoku_http_connections_dropped_total %llu\n",
		    (unsigned long long)hconns_dropped(d->http->conns));
	}
	prom_head(&b, "keizoku_commits_total", "counter",
	    "Batch transactions committed or attempted.");
	buf_printf(&b, "keizoku_commits_total %llu\n",
	    (unsigned long long)m->commits);
	prom_head(&b, "keizoku_commit_failures_total", "counter",
	    "Batch transactions that failed to commit.");
	buf_printf(&b, "keizoku_commit_failures_total %llu\n",
	    (unsigned long long)m->commit_failures);
	http_send(hr, 200, HTTP_PROM, b.s ? b.s : "", b.len);
	buf_free(&b);
}

/* Finds what serves method + path: one of the daemon's endpoints (*fn)
 * or a client command (*spec), with its path captures. Returns 200, 404,
 * 405 (the path exists with another method) or 400 (a capture that is
 * not text). */
static int
http_route(enum evhttp_cmd_type method, const char *path, json_t *caps,
    http_handler *fn, const struct kz_cmdspec **spec, struct buf *allow)
{
	const struct kz_cmdspec	*c;
	const char		*mname = http_method_name(method);
	size_t			 i;
	int			 rc, found = 404;

	for (i = 0; i < sizeof http_routes / sizeof http_routes[0]; i++) {
		if ((rc = http_match(http_routes[i].path, path, caps)) == -1)
			return 400;
		if (rc == 0)
			continue;
		if (http_routes[i].method == method) {
			*fn = http_routes[i].fn;
			return 200;
		}
		buf_printf(allow, "%s%s", allow->len ? ", " : "",
		    http_method_name(http_routes[i].method));
		found = 405;
	}
	for (c = kz_cmdspecs; c->name != NULL; c++) {
		if (c->path == NULL || (rc = http_match(c->path, path,
		    caps)) == 0)
			continue;
		if (rc == -1)
			return 400;
		if (strcmp(c->method, mname) == 0) {
			*spec = c;
			return 200;
		}
		buf_printf(allow, "%s%s", allow->len ? ", " : "", c->method);
		found = 405;
	}
	return found;
}

/* RFC 9112 §6.3: Content-Length headers that disagree, or one beside
 * Transfer-Encoding, make the framing ambiguous (request smuggling past
 * a proxy that reads it the other way). NULL when the framing is sound. */
static const char *
http_framing(struct evhttp_request *req)
{
	struct evkeyvalq	*h = evhttp_request_get_input_headers(req);
	struct evkeyval		*kv;
	const char		*cl = NULL;
	int			 te = 0;

	TAILQ_FOREACH(kv, h, next) {
		if (strcasecmp(kv->key, "Transfer-Encoding") == 0)
			te = 1;
		if (strcasecmp(kv->key, "Content-Length") != 0)
			continue;
		if (cl != NULL && strcmp(cl, kv->value) != 0)
			return "conflicting Content-Length headers";
		cl = kv->value;
	}
	if (te && cl != NULL)
		return "both Content-Length and Transfer-Encoding";
	return NULL;
}

static void
http_cb(struct evhttp_request *req, void *arg)
{
	struct httpd		*h = arg;
	struct hreq		*hr = xcalloc(1, sizeof *hr);
	const struct evhttp_uri	*u = evhttp_request_get_evhttp_uri(req);
	const char		*path = u ? evhttp_uri_get_path(u) : NULL;
	const struct kz_cmdspec	*spec = NULL;
	http_handler		 fn = NULL;
	struct buf		 allow = { 0 };
	json_t			*caps;
	struct hconn		*conn;
	const char		*why;
	int			 status;

	/* The request is in whole: no deadline on its connection until
	 * its reply is out (httpconn.c). */
	conn = hconn_request(h->conns, evhttp_request_get_connection(req));
	clock_gettime(CLOCK_MONOTONIC, &hr->t0);
	hr->d = h->d;
	hr->req = req;
	why = http_framing(req);
	/* The pages (SPEC §14) are web.c's; their connection reads its next
	 * request once their reply (a stream, perhaps) is over. */
	if (why == NULL && path != NULL) {
		if (conn != NULL)
			hconn_reply_done(conn, req);
		if (web_handle(h->d, req, path)) {
			free(hr);
			return;
		}
		if (conn != NULL)
			evhttp_request_set_on_complete_cb(req, NULL, NULL);
	}
	if ((hr->conn = conn) != NULL)
		hconn_gone(conn, http_gone, hr);
	else {
		/* Not one we track (it cannot be, but never dangle). */
		hr->evcon = evhttp_request_get_connection(req);
		evhttp_connection_set_closecb(hr->evcon, http_gone_evcon, hr);
	}
	if (why != NULL) {
		/* What follows on the connection cannot be trusted. */
		http_add_header(hr, "Connection", "close");
		http_error(hr, 400, "%s (RFC 9112 6.3)", why);
		return;
	}
	caps = json_object();
	if (path == NULL || *path == '\0')
		path = "/";
	status = http_route(evhttp_request_get_command(req), path, caps, &fn,
	    &spec, &allow);
	if (status == 405) {
		buf_addc(&allow, '\0');
		http_add_header(hr, "Allow", allow.s);
		http_error(hr, 405, "%s is not allowed on %s (allowed: %s)",
		    http_method_name(evhttp_request_get_command(req)), path,
		    allow.s);
	} else if (status == 404)
		http_error(hr, 404, "no such endpoint: %s", path);
	else if (status == 400)
		http_error(hr, 400, "a path segment is not UTF-8 text");
	else if (fn != NULL)
		fn(hr, caps);
	else
		http_rest(hr, spec, caps);
	buf_free(&allow);
	json_decref(caps);
}

/* The test clock moved: request deadlines it has reached. */
static void
http_clock(struct kz_daemon *d)
{
	if (d->http != NULL)
		hconns_clock(d->http->conns);
}

static char *
http_ssl_error(void)
{
	char buf[256];

	ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
	ERR_clear_error();
	return xstrdup(buf);
}

static SSL_CTX *
http_tls(const struct config *c, char **why)
{
	SSL_CTX	*ctx;
	char	*e;
	int	 mismatch;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		e = http_ssl_error();
		*why = xprintf("http.tls: cannot create a TLS context: %s", e);
		free(e);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
	if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1) {
		e = http_ssl_error();
		*why = xprintf("http.tls: cannot load the certificate %s: %s",
		    c->tls_cert, e);
	} else if (SSL_CTX_use_PrivateKey_file(ctx, c->tls_key,
	    SSL_FILETYPE_PEM) != 1) {
		mismatch = ERR_GET_REASON(ERR_peek_error()) ==
		    X509_R_KEY_VALUES_MISMATCH;
		e = http_ssl_error();
		*why = mismatch ? xprintf("http.tls: the key %s does not "
		    "belong to the certificate %s: %s", c->tls_key, c->tls_cert,
		    e) : xprintf("http.tls: cannot load the key %s: %s",
		    c->tls_key, e);
	} else if (SSL_CTX_check_private_key(ctx) != 1) {
		e = http_ssl_error();
		*why = xprintf("http.tls: the key %s does not belong to the "
		    "certificate %s: %s", c->tls_key, c->tls_cert, e);
	} else
		return ctx;
	free(e);
	SSL_CTX_free(ctx);
	return NULL;
}

static struct bufferevent *
http_bevcb(struct event_base *base, void *arg)
{
	struct httpd		*h = arg;
	struct bufferevent	*bev;
	SSL			*ssl;

	/* Returning NULL would make evhttp fall back to plain text. */
	if ((ssl = SSL_new(h->ssl)) == NULL)
		fatalx("SSL_new: out of memory");
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		fatalx("bufferevent_openssl_socket_new failed");
	/* Clients that just close the socket are no error for HTTP. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* "host:port", "[v6]:port" or ":port" (every address). */
static int
http_listen_addr(const char *listen, char **host, uint16_t *port,
    char **why)
{
	const char	*colon = strrchr(listen, ':');
	long long	 p;

	if (colon == NULL || parse_i64(colon + 1, &p) == -1 || p < 1 ||
	    p > 65535) {
		*why = xprintf("http.listen \"%s\": want HOST:PORT", listen);
		return -1;
	}
	*port = (uint16_t)p;
	if (colon == listen)
		*host = xstrdup("0.0.0.0");
	else if (listen[0] == '[' && colon[-1] == ']')
		*host = xstrndup(listen + 1, (size_t)(colon - listen - 2));
	else
		*host = xstrndup(listen, (size_t)(colon - listen));
	return 0;
}

int
kz_http_start(struct kz_daemon *d, char **why)
{
	const struct config		*c = d->conf;
	struct httpd			*h;
	struct evhttp_bound_socket	*bound;
	char				*host;
	uint16_t			 port;

	if (c->http_listen == NULL || *c->http_listen == '\0')
		return 0;
	if (http_listen_addr(c->http_listen, &host, &port, why) == -1)
		return -1;
	h = xcalloc(1, sizeof *h);
	h->d = d;
	if (c->tls_cert != NULL && c->tls_key != NULL &&
	    (h->ssl = http_tls(c, why)) == NULL) {
		free(host);
		free(h);
		return -1;
	}
	if ((h->eh = evhttp_new(d->base)) == NULL)
		fatalx("evhttp_new failed");
	evhttp_set_max_body_size(h->eh, c->max_body);
	evhttp_set_max_headers_size(h->eh, HTTP_MAX_HEADERS);
	evhttp_set_timeout(h->eh, (int)c->http_timeout_s);
	/* Read what is left of an oversized body, so the client hears 413
	 * instead of a reset. */
	evhttp_set_flags(h->eh, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_allowed_methods(h->eh, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
	    EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(h->eh, http_cb, h);
	if ((bound = evhttp_bind_socket_with_handle(h->eh, host, port)) ==
	    NULL) {
		*why = xprintf("cannot listen on %s: %s", c->http_listen,
		    strerror(errno));
		evhttp_free(h->eh);
		SSL_CTX_free(h->ssl);
		free(host);
		free(h);
		return -1;
	}
	h->lg = lguard_new(d->base, evhttp_bound_socket_get_listener(bound),
	    "http");
	h->conns = hconns_new(d->base, h->eh, h->lg, d->http_max,
	    c->http_request_timeout_s * 1000, h->ssl != NULL ? http_bevcb :
	    NULL, h);
	http_errors_init(c->max_body);
	log_info("listening on %s://%s", h->ssl ? "https" : "http",
	    c->http_listen);
	free(host);
	d->http = h;
	d->on_clock = http_clock;
	return 0;
}

void
kz_http_stop(struct kz_daemon *d)
{
	struct httpd *h = d->http;

	if (h == NULL)
		return;
	d->on_clock = NULL;
	hconns_free(h->conns);
	evhttp_free(h->eh);
	lguard_free(h->lg);
	SSL_CTX_free(h->ssl);
	free(h);
	d->http = NULL;
}
