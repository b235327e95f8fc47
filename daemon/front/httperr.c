/*
 * evhttp's own error answers as JSON (httperr.h).
 *
 * libevent 2.1 writes them with evhttp_send_error() and offers no hook
 * (2.2 adds evhttp_set_errorcb). evhttp calls that function through the
 * library's procedure linkage table, so the definition below, exported
 * by keizokud (-rdynamic), is the one it reaches; it answers the same
 * status, as JSON, and closes the connection as libevent's does. Where
 * a libevent is built to bind its own calls directly, the only loss is
 * that these answers stay HTML.
 */
#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "front/httperr.h"

static int64_t httperr_max_body;

void
http_errors_init(int64_t max_body)
{
	httperr_max_body = max_body;
}

static const struct {
	int		 status;
	const char	*reason;
	const char	*message;
} httperr_texts[] = {
	{ 400, "Bad Request", "malformed HTTP request (request line, "
	    "headers or chunked body)" },
	{ 404, "Not Found", "no such endpoint" },
	{ 413, "Payload Too Large", NULL },
	{ 501, "Not Implemented", "method not implemented" },
	{ 503, "Service Unavailable", "keizokud cannot take the request "
	    "now" },
};

void	evhttp_send_error(struct evhttp_request *, int, const char *);

void
evhttp_send_error(struct evhttp_request *req, int error, const char *reason)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evbuffer		*buf;
	json_t			*o;
	const char		*msg = NULL;
	char			*text, *owned = NULL;
	size_t			 i;

	for (i = 0; i < sizeof httperr_texts / sizeof httperr_texts[0]; i++)
		if (httperr_texts[i].status == error) {
			msg = httperr_texts[i].message;
			if (reason == NULL)
				reason = httperr_texts[i].reason;
		}
	if (error == 413)
		msg = owned = xprintf("the request is larger than http.max_body "
		    "(%lld bytes)", (long long)httperr_max_body);
	if (msg == NULL)
		msg = reason != NULL ? reason : "error";
	o = json_pack("{s:s}", "error", msg);
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	evhttp_clear_headers(h);
	evhttp_add_header(h, "Content-Type", "application/json; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Connection", "close");
	if ((buf = evbuffer_new()) == NULL || text == NULL) {
		evbuffer_free(buf);
		free(text);
		free(owned);
		evhttp_send_reply(req, error, reason, NULL);
		return;
	}
	evbuffer_add(buf, text, strlen(text));
	evhttp_send_reply(req, error, reason, buf);
	evbuffer_free(buf);
	free(text);
	free(owned);
}
