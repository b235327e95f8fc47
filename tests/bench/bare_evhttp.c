/* The baseline for trigger ingestion: a bare evhttp server that answers
 * every POST 202 {"accepted": 1} without looking at it or storing it.
 *
 *   bare_evhttp PORT */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/xmalloc.h"

static void
handler(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add_printf(b, "{\"accepted\": 1, \"incidents\": []}");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, 202, "Accepted", b);
	evbuffer_free(b);
}

int
main(int argc, char **argv)
{
	struct event_base	*base = event_base_new();
	struct evhttp		*http = evhttp_new(base);
	long long		 port;

	if (argc != 2 || parse_i64(argv[1], &port) == -1) {
		fprintf(stderr, "usage: bare_evhttp PORT\n");
		return 2;
	}
	evhttp_set_gencb(http, handler, NULL);
	if (evhttp_bind_socket(http, "127.0.0.1", (unsigned short)port) != 0) {
		perror("bind");
		return 1;
	}
	event_base_dispatch(base);
	return 0;
}
