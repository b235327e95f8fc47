/* Safety answers over N keep-alive REST connections at once (issue 23):
 * each connection sends its next answer when the previous reply came, as
 * a phone would; member i (m00001 … mNNNNN, a total of COUNT) goes over
 * connection i mod N. libevent's HTTP client speaks HTTP.
 *
 *   answerbench PORT TOKEN COUNT CONNS [PATH]
 *
 * PATH (default /v1/incidents/1/safety) may be /healthz: GETs then, the
 * baseline. Prints "ANSWERS/S OK_COUNT" (answers a second, replies 200). */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct conn {
	struct evhttp_connection	*ec;
	int				 next;	/* the next member (1-based) */
};

static const char	*path = "/v1/incidents/1/safety";
static char		 auth[256];
static int		 total, nconns, done, ok, healthz;
static struct event_base *base;

static void	send_next(struct conn *);

static void
on_reply(struct evhttp_request *req, void *arg)
{
	struct conn	*c = arg;

	done++;
	if (req != NULL && evhttp_request_get_response_code(req) == 200)
		ok++;
	c->next += nconns;
	if (done == total)
		event_base_loopbreak(base);
	else if (c->next <= total)
		send_next(c);
}

static void
send_next(struct conn *c)
{
	struct evhttp_request	*req;
	struct evkeyvalq	*h;
	char			 body[128];

	req = evhttp_request_new(on_reply, c);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", "127.0.0.1");
	if (healthz) {
		evhttp_make_request(c->ec, req, EVHTTP_REQ_GET, path);
		return;
	}
	evhttp_add_header(h, "Authorization", auth);
	evhttp_add_header(h, "Content-Type", "application/json");
	snprintf(body, sizeof body, "{\"member\": \"m%05d\", \"status\": "
	    "\"safe\", \"can_come\": true}", c->next);
	evbuffer_add(evhttp_request_get_output_buffer(req), body,
	    strlen(body));
	evhttp_make_request(c->ec, req, EVHTTP_REQ_POST, path);
}

int
main(int argc, char **argv)
{
	struct conn	*cs;
	struct timespec	 t0, t1;
	double		 s;
	int		 i;

	if (argc < 5) {
		fprintf(stderr, "usage: answerbench PORT TOKEN COUNT CONNS "
		    "[PATH]\n");
		return 2;
	}
	snprintf(auth, sizeof auth, "Bearer %s", argv[2]);
	total = atoi(argv[3]);
	nconns = atoi(argv[4]);
	if (argc > 5)
		path = argv[5];
	healthz = strcmp(path, "/healthz") == 0;
	if (total < 1 || nconns < 1)
		return 2;
	if (nconns > total)
		nconns = total;
	base = event_base_new();
	cs = calloc((size_t)nconns, sizeof *cs);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nconns; i++) {
		cs[i].ec = evhttp_connection_base_new(base, NULL, "127.0.0.1",
		    (unsigned short)atoi(argv[1]));
		evhttp_connection_set_timeout(cs[i].ec, 600);
		cs[i].next = i + 1;
		send_next(&cs[i]);
	}
	event_base_dispatch(base);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.0f %d\n", total / (s > 0 ? s : 1e-9), ok);
	for (i = 0; i < nconns; i++)
		evhttp_connection_free(cs[i].ec);
	free(cs);
	event_base_free(base);
	return 0;
}
