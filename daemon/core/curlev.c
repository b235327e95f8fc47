/*
 * Asynchronous HTTP client: libcurl's multi interface driven by the
 * libevent loop. libcurl tells us which sockets to watch (socket
 * callback) and when to wake it (timer callback); libevent tells libcurl
 * what happened (curl_multi_socket_action); after every action finished
 * transfers are collected and their callbacks run. The shape is that of
 * curl's hiperfifo example.
 *
 * Callbacks run from the loop only: a transfer never completes inside
 * curlev_request, and one that cannot even be handed to libcurl is
 * failed through an active event. A callback may start, cancel or free
 * (curlev_free) freely; the dispatch loop notices.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "core/curlev.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"

#ifndef KZ_VERSION
#define KZ_VERSION "0"
#endif

#define CURLEV_MAX_BODY		(64 * 1024)
#define CURLEV_DEFAULT_TIMEOUT	10000L
#define CURLEV_MAX_CONNECT	10000L
#define CURLEV_MAX_HEADER	256	/* bytes kept of a captured header */
#define CURLEV_POOL		64	/* easy handles kept for reuse */

/* The response headers a caller may need, by index into x->hdr. */
enum { CH_RETRY_AFTER, CH_ETAG, CH_LAST_MODIFIED, CH_N };
static const char *const curlev_hdr_names[CH_N] = {
	[CH_RETRY_AFTER] = "retry-after:",
	[CH_ETAG] = "etag:",
	[CH_LAST_MODIFIED] = "last-modified:",
};

/*
 * A socket libcurl asked us to watch. When it says REMOVE of a
 * connection's socket (a transfer ended; the connection waits in
 * libcurl's cache for the next) the event stays registered, marked
 * idle: the next transfer on that connection asks for the same socket
 * again, and then no epoll_ctl is needed. An idle socket that becomes
 * ready (the server closed it) is no longer watched. Only sockets
 * opened through curlev_open_fn are kept so, because libcurl closes
 * them through curlev_close_fn, which forgets them before the
 * descriptor can be reused; any other (a resolver's) goes at REMOVE.
 */
struct curlev_sock {
	TAILQ_ENTRY(curlev_sock) entry;
	struct curlev		*cv;
	curl_socket_t		 fd;
	struct event		 ev;
	short			 kind;		/* what ev watches */
	int			 armed;
	int			 idle;		/* libcurl said REMOVE */
	int			 conn;		/* opened by curlev_open_fn */
};

struct curlev_xfer {
	TAILQ_ENTRY(curlev_xfer) entry;
	struct curlev		*cv;
	CURL			*easy;
	struct curl_slist	*headers;
	char			*body;		/* request body (our copy) */
	struct buf		 resp;		/* the first max_body bytes */
	size_t			 max_body;
	int			 truncated;
	char			*hdr[CH_N];	/* captured headers */
	size_t			 body_len;
	size_t			 upoff;		/* SMTP: uploaded so far */
	int			 smtp;
	struct curl_slist	*rcpt;
	char			 errbuf[CURL_ERROR_SIZE];
	const char		*failed;	/* set: complete via `defer` */
	struct event		 defer;
	int			 added;		/* in the multi handle */
	int64_t			 started_ms;
	http_done_fn		 done;
	void			*arg;
};

struct curlev {
	struct event_base		*base;
	CURLM				*multi;
	struct event			 timer;
	TAILQ_HEAD(, curlev_xfer)	 xfers;
	TAILQ_HEAD(, curlev_sock)	 socks;
	size_t				 n;
	CURL				*pool[CURLEV_POOL];
	size_t				 npool;	/* easy handles to reuse */
	int				 depth;	/* inside a dispatch */
	int				 dying;	/* freed during dispatch */
};

static void	curlev_destroy(struct curlev *);

static void
curlev_hdr_clear(struct curlev_xfer *x)
{
	size_t	i;

	for (i = 0; i < CH_N; i++) {
		free(x->hdr[i]);
		x->hdr[i] = NULL;
	}
}

static void
curlev_xfer_free(struct curlev_xfer *x)
{
	struct curlev *cv = x->cv;

	if (x->added)
		curl_multi_remove_handle(cv->multi, x->easy);
	/* Kept for the next transfer: a handle is large, and set up anew
	 * (curl_easy_reset) costs less than made anew. */
	if (x->easy != NULL && !cv->dying && cv->npool < CURLEV_POOL) {
		curl_easy_reset(x->easy);
		cv->pool[cv->npool++] = x->easy;
	} else if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	event_del(&x->defer);
	curl_slist_free_all(x->headers);
	curl_slist_free_all(x->rcpt);
	free(x->body);
	curlev_hdr_clear(x);
	buf_free(&x->resp);
	free(x);
}

/* Unlinks x, calls its callback once and frees it. */
static void
curlev_finish(struct curlev_xfer *x, long status, const char *error)
{
	struct curlev	*cv = x->cv;
	struct http_resp r;

	TAILQ_REMOVE(&cv->xfers, x, entry);
	cv->n--;
	if (x->added) {
		curl_multi_remove_handle(cv->multi, x->easy);
		x->added = 0;
	}
	memset(&r, 0, sizeof r);
	r.status = status;
	r.body = x->resp.s != NULL ? x->resp.s : "";
	r.body_len = x->resp.len;
	r.truncated = x->truncated;
	r.retry_after = x->hdr[CH_RETRY_AFTER];
	r.etag = x->hdr[CH_ETAG];
	r.last_modified = x->hdr[CH_LAST_MODIFIED];
	r.error = error;
	r.elapsed_ms = (long)(mono_ms() - x->started_ms);
	x->done(&r, x->arg);
	curlev_xfer_free(x);
}

/* Collects every finished transfer. Run after each socket action. */
static void
curlev_check_done(struct curlev *cv)
{
	CURLMsg			*msg;
	int			 left;
	struct curlev_xfer	*x;
	long			 status;
	char			*priv;
	const char		*error;

	cv->depth++;
	while (!cv->dying && (msg = curl_multi_info_read(cv->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		x = (struct curlev_xfer *)priv;
		status = 0;
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		error = NULL;
		if (msg->data.result != CURLE_OK) {
			error = x->errbuf[0] != '\0' ? x->errbuf :
			    curl_easy_strerror(msg->data.result);
			if (x->smtp)	/* the last code may be a 250 */
				status = 0;
		}
		curlev_finish(x, status, error);
	}
	cv->depth--;
	if (cv->depth == 0 && cv->dying)
		curlev_destroy(cv);
}

static void
curlev_action(struct curlev *cv, curl_socket_t fd, int what)
{
	int		running;
	CURLMcode	rc;

	rc = curl_multi_socket_action(cv->multi, fd, what, &running);
	if (rc != CURLM_OK)
		log_warnx("curl_multi_socket_action: %s",
		    curl_multi_strerror(rc));
	curlev_check_done(cv);
}

static void	curlev_sock_free(struct curlev_sock *);

static void
curlev_sock_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct curlev_sock	*s = arg;
	int			 what = 0;

	if (s->idle) {		/* not watched by libcurl now */
		event_del(&s->ev);
		s->armed = 0;
		return;
	}
	if (kind & EV_READ)
		what |= CURL_CSELECT_IN;
	if (kind & EV_WRITE)
		what |= CURL_CSELECT_OUT;
	curlev_action(s->cv, fd, what);
}

static void
curlev_timer_cb(evutil_socket_t fd, short kind, void *arg)
{
	curlev_action(arg, CURL_SOCKET_TIMEOUT, 0);
}

static void
curlev_sock_free(struct curlev_sock *s)
{
	if (s->armed)
		event_del(&s->ev);
	TAILQ_REMOVE(&s->cv->socks, s, entry);
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: libcurl says what to watch on a socket. */
static struct curlev_sock *
curlev_sock_find(struct curlev *cv, curl_socket_t fd)
{
	struct curlev_sock *s;

	TAILQ_FOREACH(s, &cv->socks, entry)
		if (s->fd == fd)
			return s;
	return NULL;
}

static int
curlev_socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *sockp)
{
	struct curlev		*cv = userp;
	struct curlev_sock	*s = sockp;
	short			 kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			curl_multi_assign(cv->multi, fd, NULL);
			if (s->conn)
				s->idle = 1;	/* kept, see curlev_sock */
			else
				curlev_sock_free(s);
		}
		return 0;
	}
	if (s == NULL && (s = curlev_sock_find(cv, fd)) == NULL) {
		s = xcalloc(1, sizeof *s);
		s->cv = cv;
		s->fd = fd;
		TAILQ_INSERT_TAIL(&cv->socks, s, entry);
	}
	if (s->idle) {
		s->idle = 0;
		curl_multi_assign(cv->multi, fd, s);
	} else if (sockp == NULL)
		curl_multi_assign(cv->multi, fd, s);
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (s->armed && s->kind == kind)
		return 0;	/* watched as it should be */
	if (s->armed) {
		event_del(&s->ev);
		s->armed = 0;
	}
	event_assign(&s->ev, cv->base, fd, kind, curlev_sock_cb, s);
	s->kind = kind;
	if (event_add(&s->ev, NULL) == 0)
		s->armed = 1;
	else
		log_warnx("curlev: cannot watch socket %d", (int)fd);
	return 0;
}

/* CURLOPT_OPENSOCKETFUNCTION: a connection's socket, as libcurl would
 * open it, known from now until curlev_close_fn. */
static curl_socket_t
curlev_open_fn(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct curlev		*cv = arg;
	struct curlev_sock	*s;
	curl_socket_t		 fd;

	if ((fd = socket(a->family, a->socktype, a->protocol)) == -1)
		return CURL_SOCKET_BAD;
	if ((s = curlev_sock_find(cv, fd)) != NULL)
		curlev_sock_free(s);	/* a descriptor closed elsewhere */
	s = xcalloc(1, sizeof *s);
	s->cv = cv;
	s->fd = fd;
	s->conn = 1;
	s->idle = 1;
	TAILQ_INSERT_TAIL(&cv->socks, s, entry);
	return fd;
}

/* CURLOPT_CLOSESOCKETFUNCTION: libcurl closes a socket; stop watching
 * it first (it may be idle and still registered). */
static int
curlev_close_fn(void *arg, curl_socket_t fd)
{
	struct curlev		*cv = arg;
	struct curlev_sock	*s;

	if ((s = curlev_sock_find(cv, fd)) != NULL)
		curlev_sock_free(s);
	return close(fd);
}

/* CURLMOPT_TIMERFUNCTION: libcurl wants a wake-up in ms (-1: none).
 * socket_action must not be called from here, hence the timer even
 * for 0. */
static int
curlev_timer_fn(CURLM *multi, long ms, void *userp)
{
	struct curlev	*cv = userp;
	struct timeval	 tv;

	if (ms < 0) {
		evtimer_del(&cv->timer);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&cv->timer, &tv);
	return 0;
}

static size_t
curlev_write_fn(char *p, size_t size, size_t n, void *arg)
{
	struct curlev_xfer	*x = arg;
	size_t			 len = size * n, room;

	/* Keep the start, discard the rest but let the transfer finish:
	 * a status is more useful than a write error. */
	room = x->max_body - x->resp.len;
	if (len > room)
		x->truncated = 1;
	if (room > 0)
		buf_add(&x->resp, p, len < room ? len : room);
	return len;
}

static size_t
curlev_header_fn(char *p, size_t size, size_t n, void *arg)
{
	struct curlev_xfer	*x = arg;
	size_t			 len = size * n, start, end, i, nl;

	/* A new status line (after 100 Continue): forget earlier headers. */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		curlev_hdr_clear(x);
		return len;
	}
	for (i = 0; i < CH_N; i++) {
		nl = strlen(curlev_hdr_names[i]);
		if (len >= nl && strncasecmp(p, curlev_hdr_names[i], nl) == 0)
			break;
	}
	if (i == CH_N)
		return len;
	start = nl;
	end = len;
	while (start < end && (p[start] == ' ' || p[start] == '\t'))
		start++;
	while (end > start && (p[end - 1] == '\r' || p[end - 1] == '\n' ||
	    p[end - 1] == ' ' || p[end - 1] == '\t'))
		end--;
	if (end - start > CURLEV_MAX_HEADER)
		end = start + CURLEV_MAX_HEADER;
	free(x->hdr[i]);
	x->hdr[i] = xstrndup(p + start, end - start);
	return len;
}

static void
curlev_defer_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct curlev_xfer	*x = arg;
	struct curlev		*cv = x->cv;

	cv->depth++;
	curlev_finish(x, 0, x->failed);
	cv->depth--;
	if (cv->depth == 0 && cv->dying)
		curlev_destroy(cv);
}

static int
curlev_has_header(const char *const *h, const char *name)
{
	size_t	len = strlen(name);

	for (; h != NULL && *h != NULL; h++)
		if (strncasecmp(*h, name, len) == 0 && (*h)[len] == ':')
			return 1;
	return 0;
}

/* Sets the method and body. Returns 0 or a curl error. */
static CURLcode
curlev_set_method(struct curlev_xfer *x, const struct http_req *req)
{
	const char	*m = req->method != NULL ? req->method : "POST";
	CURL		*e = x->easy;
	CURLcode	 rc;

	if (strcmp(m, "GET") == 0 && req->body == NULL)
		return curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	if (strcmp(m, "HEAD") == 0)
		return curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	if (req->body != NULL || strcmp(m, "POST") == 0) {
		x->body = xmalloc(req->body_len + 1);
		if (req->body_len > 0)
			memcpy(x->body, req->body, req->body_len);
		x->body[req->body_len] = '\0';
		if ((rc = curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len)) != CURLE_OK)
			return rc;
		if ((rc = curl_easy_setopt(e, CURLOPT_POSTFIELDS,
		    x->body)) != CURLE_OK)
			return rc;
	}
	if (strcmp(m, "POST") == 0)
		return CURLE_OK;
	return curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
}

static CURLcode
curlev_set_headers(struct curlev_xfer *x, const struct http_req *req)
{
	const char *const	*h;
	struct curl_slist	*l;

	for (h = req->headers; h != NULL && *h != NULL; h++) {
		if ((l = curl_slist_append(x->headers, *h)) == NULL)
			return CURLE_OUT_OF_MEMORY;
		x->headers = l;
	}
	/* Waiting for 100 Continue only adds a round trip to our posts. */
	if (!curlev_has_header(req->headers, "Expect")) {
		if ((l = curl_slist_append(x->headers, "Expect:")) == NULL)
			return CURLE_OUT_OF_MEMORY;
		x->headers = l;
	}
	return curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
}

/* Sets an option unless one before it failed (rc). */
#define SET(opt, val)	do {						\
		if (rc == CURLE_OK)					\
			rc = curl_easy_setopt(e, opt, val);		\
	} while (0)

/* What every transfer sets: x as its private pointer and error buffer,
 * the URL, the whole timeout (connecting within at most
 * CURLEV_MAX_CONNECT of it), no signals, and the protocols allowed. */
static CURLcode
curlev_setup_base(struct curlev_xfer *x, const char *url, long timeout,
    const char *protocols)
{
	CURL		*e = x->easy;
	long		 connect;
	CURLcode	 rc = CURLE_OK;

	connect = timeout < CURLEV_MAX_CONNECT ? timeout : CURLEV_MAX_CONNECT;
	SET(CURLOPT_PRIVATE, (char *)x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, timeout);
	SET(CURLOPT_CONNECTTIMEOUT_MS, connect);
	SET(CURLOPT_PROTOCOLS_STR, protocols);
	SET(CURLOPT_OPENSOCKETFUNCTION, curlev_open_fn);
	SET(CURLOPT_OPENSOCKETDATA, x->cv);
	SET(CURLOPT_CLOSESOCKETFUNCTION, curlev_close_fn);
	SET(CURLOPT_CLOSESOCKETDATA, x->cv);
	return rc;
}

static CURLcode
curlev_setup(struct curlev_xfer *x, const struct http_req *req)
{
	CURL		*e = x->easy;
	CURLcode	 rc;

	rc = curlev_setup_base(x, req->url, req->timeout_ms > 0 ?
	    req->timeout_ms : CURLEV_DEFAULT_TIMEOUT, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_USERAGENT, "keizoku/" KZ_VERSION);
	SET(CURLOPT_WRITEFUNCTION, curlev_write_fn);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, curlev_header_fn);
	SET(CURLOPT_HEADERDATA, x);
	if (req->compressed)
		SET(CURLOPT_ACCEPT_ENCODING, "");
	if (rc == CURLE_OK)
		rc = curlev_set_method(x, req);
	if (rc == CURLE_OK)
		rc = curlev_set_headers(x, req);
	return rc;
}

struct curlev *
curlev_new(struct event_base *base)
{
	struct curlev	*cv;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	cv = xcalloc(1, sizeof *cv);
	cv->base = base;
	TAILQ_INIT(&cv->xfers);
	TAILQ_INIT(&cv->socks);
	if ((cv->multi = curl_multi_init()) == NULL) {
		free(cv);
		curl_global_cleanup();
		return NULL;
	}
	evtimer_assign(&cv->timer, base, curlev_timer_cb, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETFUNCTION, curlev_socket_fn);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETDATA, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERFUNCTION, curlev_timer_fn);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERDATA, cv);
	return cv;
}

static void
curlev_destroy(struct curlev *cv)
{
	struct curlev_xfer	*x;
	struct curlev_sock	*s;

	while ((x = TAILQ_FIRST(&cv->xfers)) != NULL) {
		TAILQ_REMOVE(&cv->xfers, x, entry);
		curlev_xfer_free(x);
	}
	while (cv->npool > 0)
		curl_easy_cleanup(cv->pool[--cv->npool]);
	curl_multi_cleanup(cv->multi);
	/* Whatever libcurl did not say REMOVE for. */
	while ((s = TAILQ_FIRST(&cv->socks)) != NULL)
		curlev_sock_free(s);
	evtimer_del(&cv->timer);
	free(cv);
	curl_global_cleanup();
}

void
curlev_free(struct curlev *cv)
{
	struct curlev_xfer	*x;

	if (cv == NULL)
		return;
	if (cv->depth == 0) {
		curlev_destroy(cv);
		return;
	}
	/* Called from a callback: drop the transfers now, the rest once
	 * the dispatch loop unwinds. */
	while ((x = TAILQ_FIRST(&cv->xfers)) != NULL) {
		TAILQ_REMOVE(&cv->xfers, x, entry);
		cv->n--;
		curlev_xfer_free(x);
	}
	cv->dying = 1;
}

/* CURLOPT_READFUNCTION: the message, for SMTP's DATA. */
static size_t
curlev_read_fn(char *p, size_t size, size_t n, void *arg)
{
	struct curlev_xfer	*x = arg;
	size_t			 room = size * n, left = x->body_len - x->upoff;

	if (left < room)
		room = left;
	memcpy(p, x->body + x->upoff, room);
	x->upoff += room;
	return room;
}

static CURLcode
curlev_smtp_setup(struct curlev_xfer *x, const struct smtp_req *req)
{
	CURL		*e = x->easy;
	CURLcode	 rc;

	x->body = xmalloc(req->len + 1);
	memcpy(x->body, req->message, req->len);
	x->body[req->len] = '\0';
	x->body_len = req->len;
	if ((x->rcpt = curl_slist_append(NULL, req->rcpt)) == NULL)
		return CURLE_OUT_OF_MEMORY;
	rc = curlev_setup_base(x, req->url, req->timeout_ms > 0 ?
	    req->timeout_ms : 60000L, "smtp,smtps");
	/* STARTTLS when offered; required before a password is sent. */
	SET(CURLOPT_USE_SSL, req->username != NULL ? (long)CURLUSESSL_ALL :
	    (long)CURLUSESSL_TRY);
	SET(CURLOPT_MAIL_FROM, req->from);
	SET(CURLOPT_MAIL_RCPT, x->rcpt);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->len);
	SET(CURLOPT_READFUNCTION, curlev_read_fn);
	SET(CURLOPT_READDATA, x);
	if (req->username != NULL) {
		SET(CURLOPT_USERNAME, req->username);
		SET(CURLOPT_PASSWORD, req->password != NULL ? req->password :
		    "");
	}
	if (req->ca_file != NULL)
		SET(CURLOPT_CAINFO, req->ca_file);
#undef SET
	return rc;
}

/* Hands x, set up by setup (rc), to libcurl. */
static struct curlev_xfer *
curlev_start(struct curlev *cv, struct curlev_xfer *x, CURLcode rc)
{
	CURLMcode mrc;

	if (rc != CURLE_OK)
		x->failed = curl_easy_strerror(rc);
	else if ((mrc = curl_multi_add_handle(cv->multi, x->easy)) != CURLM_OK)
		x->failed = curl_multi_strerror(mrc);
	else
		x->added = 1;
	if (x->failed != NULL)
		event_active(&x->defer, EV_TIMEOUT, 1);
	return x;
}

static struct curlev_xfer *
curlev_xfer_new(struct curlev *cv, http_done_fn done, void *arg,
    const char **why)
{
	struct curlev_xfer *x;

	*why = NULL;
	if (cv == NULL || cv->dying) {
		*why = "HTTP client is shutting down";
		return NULL;
	}
	x = xcalloc(1, sizeof *x);
	x->cv = cv;
	x->done = done;
	x->arg = arg;
	x->started_ms = mono_ms();
	x->max_body = CURLEV_MAX_BODY;
	event_assign(&x->defer, cv->base, -1, 0, curlev_defer_cb, x);
	if (cv->npool > 0)
		x->easy = cv->pool[--cv->npool];
	else if ((x->easy = curl_easy_init()) == NULL) {
		free(x);
		*why = "cannot create a curl handle";
		return NULL;
	}
	TAILQ_INSERT_TAIL(&cv->xfers, x, entry);
	cv->n++;
	return x;
}

struct curlev_xfer *
curlev_smtp(struct curlev *cv, const struct smtp_req *req, http_done_fn done,
    void *arg, const char **why)
{
	struct curlev_xfer *x;

	if (req->url == NULL || req->from == NULL || req->rcpt == NULL) {
		*why = "no SMTP server, sender or recipient";
		return NULL;
	}
	if ((x = curlev_xfer_new(cv, done, arg, why)) == NULL)
		return NULL;
	x->smtp = 1;
	return curlev_start(cv, x, curlev_smtp_setup(x, req));
}

struct curlev_xfer *
curlev_request(struct curlev *cv, const struct http_req *req,
    http_done_fn done, void *arg, const char **why)
{
	struct curlev_xfer *x;

	if (cv != NULL && !cv->dying && (req->url == NULL ||
	    *req->url == '\0')) {
		*why = "no URL";
		return NULL;
	}
	if ((x = curlev_xfer_new(cv, done, arg, why)) == NULL)
		return NULL;
	if (req->max_body > 0)
		x->max_body = req->max_body;
	return curlev_start(cv, x, curlev_setup(x, req));
}

void
curlev_cancel(struct curlev *cv, struct curlev_xfer *x)
{
	if (x == NULL)
		return;
	TAILQ_REMOVE(&cv->xfers, x, entry);
	cv->n--;
	curlev_xfer_free(x);
}

size_t
curlev_inflight(const struct curlev *cv)
{
	return cv->n;
}
