/* Asynchronous HTTP client: libcurl's multi interface driven by the
 * libevent loop (socket and timer callbacks, as curl's hiperfifo example).
 * Nothing here blocks. Used by the notification outbox and by plugins. */
#ifndef KZ_CURLEV_H
#define KZ_CURLEV_H

#include <stddef.h>

struct event_base;
struct curlev;

struct http_req {
	const char	 *method;	/* "POST" when NULL */
	const char	 *url;
	const char *const *headers;	/* "Name: value", NULL-terminated */
	const char	 *body;		/* may be NULL */
	size_t		  body_len;
	long		  timeout_ms;	/* whole request; 0: 10 s */
	size_t		  max_body;	/* response bytes kept; 0: 64 KiB */
	int		  compressed;	/* offer gzip/deflate (Accept-Encoding) */
};

struct http_resp {
	long		 status;	/* 0 when no HTTP response */
	const char	*body;		/* first max_body bytes, NUL-terminated */
	size_t		 body_len;
	int		 truncated;	/* the body was longer than max_body */
	const char	*retry_after;	/* Retry-After header value or NULL */
	const char	*etag;		/* ETag header value or NULL */
	const char	*last_modified;	/* Last-Modified header value or NULL */
	const char	*error;		/* transport error text or NULL */
	long		 elapsed_ms;
};

/* Called exactly once per request, from the loop, never from inside
 * curlev_request. The response is valid only during the call. */
typedef void (*http_done_fn)(const struct http_resp *, void *arg);

struct curlev	*curlev_new(struct event_base *);
/* Aborts in-flight requests without calling their callbacks. */
void		 curlev_free(struct curlev *);
/* Copies everything it needs from req. Returns a handle usable with
 * curlev_cancel, or NULL (and *why, static) when it cannot start. */
struct curlev_xfer *curlev_request(struct curlev *, const struct http_req *,
		    http_done_fn, void *arg, const char **why);
/* One message to one recipient over SMTP (smtp:// upgrades with STARTTLS
 * when the server offers it, and must when a username is given: AUTH is
 * never sent in clear; smtps:// is TLS from the start). The
 * callback's status is the server's last reply code (250: accepted), or
 * 0 with error when the conversation failed. */
struct smtp_req {
	const char	*url;		/* smtp://host:port */
	const char	*from;		/* MAIL FROM */
	const char	*rcpt;		/* RCPT TO: exactly one */
	const char	*username;	/* AUTH, or NULL */
	const char	*password;
	const char	*ca_file;	/* NULL: the system's CAs */
	const char	*message;	/* RFC 5322, CRLF line ends */
	size_t		 len;
	long		 timeout_ms;
};
struct curlev_xfer *curlev_smtp(struct curlev *, const struct smtp_req *,
		    http_done_fn, void *arg, const char **why);
/* Cancels one request; its callback is not called. */
void		 curlev_cancel(struct curlev *, struct curlev_xfer *);
size_t		 curlev_inflight(const struct curlev *);

#endif
