/*
 * curlev against a tiny evhttp server on 127.0.0.1 in the same
 * event_base: statuses, bodies, Retry-After, timeouts, refused
 * connections, many requests at once, cancellation and freeing with
 * requests in flight. No threads: the loop runs until the expected
 * callbacks have arrived or a watchdog fires.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/curlev.h"
#include "common/xmalloc.h"

#define T_MAX_HELD	8
#define T_BIG		(200 * 1024)

struct t_env {
	struct event_base	*base;
	struct evhttp		*http;
	struct curlev		*cv;
	int			 port;
	int			 hits;
	struct evhttp_request	*held[T_MAX_HELD];	/* never answered */
	char			*last_body;		/* what /echo got */
	char			*last_header;		/* its X-Test */
	int			 expected;		/* callbacks awaited */
	int			 got;
	int			 timed_out;
};

struct t_result {
	struct t_env	*env;
	int		 calls;
	long		 status;
	char		*body;
	size_t		 body_len;
	char		*retry_after;
	char		*error;
	long		 elapsed_ms;
};

/* ---- the server ---- */

static void
t_reply(struct evhttp_request *req, int code, const char *body)
{
	struct evbuffer	*b = evbuffer_new();

	evbuffer_add(b, body, strlen(body));
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Status", b);
	evbuffer_free(b);
}

static void
t_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct t_env	*env = arg;
	int		 i;

	/* Requests still on this connection are freed with it. */
	for (i = 0; i < T_MAX_HELD; i++)
		if (env->held[i] != NULL &&
		    evhttp_request_get_connection(env->held[i]) == evcon)
			env->held[i] = NULL;
}

static void
t_hang(struct t_env *env, struct evhttp_request *req)
{
	int	i;

	for (i = 0; i < T_MAX_HELD; i++) {
		if (env->held[i] == NULL) {
			env->held[i] = req;
			evhttp_connection_set_closecb(
			    evhttp_request_get_connection(req), t_conn_closed,
			    env);
			return;
		}
	}
	t_reply(req, 503, "too many held");
}

static void
t_echo(struct t_env *env, struct evhttp_request *req)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	size_t		 len = evbuffer_get_length(in);
	const char	*h;

	free(env->last_body);
	env->last_body = xmalloc(len + 1);
	evbuffer_remove(in, env->last_body, len);
	env->last_body[len] = '\0';
	h = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Test");
	free(env->last_header);
	env->last_header = h != NULL ? xstrdup(h) : NULL;
	t_reply(req, 200, "echoed");
}

static void
t_big(struct evhttp_request *req)
{
	struct evbuffer	*b = evbuffer_new();
	char		 chunk[1024];
	int		 i;

	memset(chunk, 'x', sizeof chunk);
	for (i = 0; i < T_BIG / (int)sizeof chunk; i++)
		evbuffer_add(b, chunk, sizeof chunk);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
t_serve(struct evhttp_request *req, void *arg)
{
	struct t_env	*env = arg;
	const char	*uri = evhttp_request_get_uri(req);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	env->hits++;
	if (strcmp(uri, "/ok") == 0)
		t_reply(req, 200, "hello 日本語");
	else if (strcmp(uri, "/busy") == 0) {
		evhttp_add_header(out, "Retry-After", "7");
		t_reply(req, 429, "slow down");
	} else if (strcmp(uri, "/hang") == 0)
		t_hang(env, req);
	else if (strcmp(uri, "/echo") == 0)
		t_echo(env, req);
	else if (strcmp(uri, "/big") == 0)
		t_big(req);
	else
		t_reply(req, 404, "not here");
}

static int
t_bound_port(struct evhttp_bound_socket *bs)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;

	if (getsockname(evhttp_bound_socket_get_fd(bs),
	    (struct sockaddr *)&sin, &len) == -1)
		return -1;
	return ntohs(sin.sin_port);
}

static int
t_setup(void **state)
{
	struct t_env			*env = xcalloc(1, sizeof *env);
	struct evhttp_bound_socket	*bs;

	setenv("no_proxy", "*", 1);
	env->base = event_base_new();
	env->http = evhttp_new(env->base);
	evhttp_set_allowed_methods(env->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(env->http, t_serve, env);
	bs = evhttp_bind_socket_with_handle(env->http, "127.0.0.1", 0);
	assert_non_null(bs);
	env->port = t_bound_port(bs);
	assert_true(env->port > 0);
	env->cv = curlev_new(env->base);
	assert_non_null(env->cv);
	*state = env;
	return 0;
}

static int
t_teardown(void **state)
{
	struct t_env	*env = *state;
	int		 i;

	if (env->cv != NULL)
		curlev_free(env->cv);
	/* Requests whose client left were detached by evhttp: answering
	 * frees them. The rest go with their connections. */
	for (i = 0; i < T_MAX_HELD; i++)
		if (env->held[i] != NULL &&
		    evhttp_request_get_connection(env->held[i]) == NULL)
			evhttp_send_reply(env->held[i], 200, "late", NULL);
	evhttp_free(env->http);
	event_base_free(env->base);
	free(env->last_body);
	free(env->last_header);
	free(env);
	return 0;
}

/* ---- the client side ---- */

static void
t_done(const struct http_resp *r, void *arg)
{
	struct t_result	*res = arg;

	res->calls++;
	res->status = r->status;
	free(res->body);
	res->body = xmalloc(r->body_len + 1);
	memcpy(res->body, r->body, r->body_len + 1);
	res->body_len = r->body_len;
	free(res->retry_after);
	res->retry_after = r->retry_after ? xstrdup(r->retry_after) : NULL;
	free(res->error);
	res->error = r->error ? xstrdup(r->error) : NULL;
	res->elapsed_ms = r->elapsed_ms;
	if (++res->env->got >= res->env->expected)
		event_base_loopbreak(res->env->base);
}

static void
t_result_free(struct t_result *res)
{
	free(res->body);
	free(res->retry_after);
	free(res->error);
	memset(res, 0, sizeof *res);
}

static void
t_watchdog(evutil_socket_t fd, short what, void *arg)
{
	struct t_env	*env = arg;

	env->timed_out = 1;
	event_base_loopbreak(env->base);
}

/* Runs the loop until `n` callbacks arrived or ms passed. */
static void
t_run(struct t_env *env, int n, long ms)
{
	struct event	*wd;
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	env->expected = n;
	env->got = 0;
	env->timed_out = 0;
	wd = evtimer_new(env->base, t_watchdog, env);
	evtimer_add(wd, &tv);
	if (n > 0 || ms > 0)
		event_base_dispatch(env->base);
	event_free(wd);
}

static char *
t_url(struct t_env *env, const char *path)
{
	return xprintf("http://127.0.0.1:%d%s", env->port, path);
}

static struct curlev_xfer *
t_get(struct t_env *env, const char *url, long timeout_ms,
    struct t_result *res)
{
	struct http_req		 req = { 0 };
	struct curlev_xfer	*x;
	const char		*why = NULL;

	req.method = "GET";
	req.url = url;
	req.timeout_ms = timeout_ms;
	res->env = env;
	x = curlev_request(env->cv, &req, t_done, res, &why);
	assert_non_null(x);
	assert_null(why);
	/* Never from inside curlev_request. */
	assert_int_equal(res->calls, 0);
	return x;
}

static const struct {
	const char	*path;
	long		 timeout_ms;
	long		 status;
	const char	*body;
	const char	*retry_after;
	int		 error;
} t_cases[] = {
	{ "/ok",	0,	200, "hello 日本語",	NULL,	0 },
	{ "/missing",	0,	404, "not here",	NULL,	0 },
	{ "/busy",	0,	429, "slow down",	"7",	0 },
	{ "/hang",	300,	0,   NULL,		NULL,	1 },
};

static void
test_statuses(void **state)
{
	struct t_env	*env = *state;
	struct t_result	 res = { 0 };
	char		*url;
	size_t		 i;

	for (i = 0; i < sizeof t_cases / sizeof t_cases[0]; i++) {
		url = t_url(env, t_cases[i].path);
		t_get(env, url, t_cases[i].timeout_ms, &res);
		free(url);
		t_run(env, 1, 5000);
		assert_false(env->timed_out);
		assert_int_equal(res.calls, 1);
		assert_int_equal(res.status, t_cases[i].status);
		if (t_cases[i].body != NULL)
			assert_string_equal(res.body, t_cases[i].body);
		if (t_cases[i].retry_after != NULL)
			assert_string_equal(res.retry_after,
			    t_cases[i].retry_after);
		else
			assert_null(res.retry_after);
		if (t_cases[i].error) {
			assert_non_null(res.error);
			assert_true(res.elapsed_ms >= 250);
			assert_true(res.elapsed_ms < 3000);
		} else
			assert_null(res.error);
		assert_int_equal(curlev_inflight(env->cv), 0);
		t_result_free(&res);
	}
}

static void
test_refused(void **state)
{
	struct t_env		*env = *state;
	struct t_result		 res = { 0 };
	struct sockaddr_in	 sin = { 0 };
	socklen_t		 len = sizeof sin;
	char			*url;
	int			 fd;

	/* A port that was free a moment ago: nobody listens there. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	url = xprintf("http://127.0.0.1:%d/", ntohs(sin.sin_port));
	t_get(env, url, 2000, &res);
	free(url);
	t_run(env, 1, 5000);
	assert_false(env->timed_out);
	assert_int_equal(res.calls, 1);
	assert_int_equal(res.status, 0);
	assert_non_null(res.error);
	t_result_free(&res);
}

static void
test_bad_urls(void **state)
{
	static const char *const urls[] = {
		"ftp://127.0.0.1/x",		/* not http(s) */
		"file:///etc/passwd",
		"http://[::1",			/* malformed */
	};
	struct t_env	*env = *state;
	struct t_result	 res[3] = { 0 };
	size_t		 i;

	for (i = 0; i < 3; i++)
		t_get(env, urls[i], 1000, &res[i]);
	t_run(env, 3, 5000);
	assert_false(env->timed_out);
	for (i = 0; i < 3; i++) {
		assert_int_equal(res[i].calls, 1);
		assert_int_equal(res[i].status, 0);
		assert_non_null(res[i].error);
		t_result_free(&res[i]);
	}
}

static void
test_post_copies_request(void **state)
{
	struct t_env		*env = *state;
	struct t_result		 res = { 0 };
	struct http_req		 req = { 0 };
	char			*url = t_url(env, "/echo");
	char			 body[] = "{\"text\":\"地震\"}";
	char			 hdr[] = "X-Test: 継続";
	const char		*headers[] = { hdr, NULL };
	const char		*why;

	req.url = url;			/* method NULL: POST */
	req.headers = headers;
	req.body = body;
	req.body_len = strlen(body);
	res.env = env;
	assert_non_null(curlev_request(env->cv, &req, t_done, &res, &why));
	/* Everything was copied: scribble over the caller's memory. */
	memset(body, 'z', sizeof body - 1);
	memset(hdr, 'z', sizeof hdr - 1);
	memset(url, 'z', strlen(url));
	t_run(env, 1, 5000);
	free(url);
	assert_int_equal(res.status, 200);
	assert_string_equal(env->last_body, "{\"text\":\"地震\"}");
	assert_string_equal(env->last_header, "継続");
	t_result_free(&res);
}

static void
test_body_cap(void **state)
{
	struct t_env	*env = *state;
	struct t_result	 res = { 0 };
	char		*url = t_url(env, "/big");

	t_get(env, url, 5000, &res);
	free(url);
	t_run(env, 1, 5000);
	assert_int_equal(res.status, 200);
	assert_null(res.error);
	assert_int_equal(res.body_len, 64 * 1024);
	assert_int_equal(strlen(res.body), 64 * 1024);
	t_result_free(&res);
}

#define T_MANY	100

static void
test_concurrent(void **state)
{
	struct t_env	*env = *state;
	struct t_result	*res = xcalloc(T_MANY, sizeof *res);
	char		*url = t_url(env, "/ok");
	int		 i;

	for (i = 0; i < T_MANY; i++)
		t_get(env, url, 10000, &res[i]);
	free(url);
	assert_int_equal(curlev_inflight(env->cv), T_MANY);
	t_run(env, T_MANY, 20000);
	assert_false(env->timed_out);
	for (i = 0; i < T_MANY; i++) {
		assert_int_equal(res[i].calls, 1);
		assert_int_equal(res[i].status, 200);
		t_result_free(&res[i]);
	}
	assert_int_equal(curlev_inflight(env->cv), 0);
	assert_int_equal(env->hits, T_MANY);
	free(res);
}

static void
test_cancel(void **state)
{
	struct t_env		*env = *state;
	struct t_result		 a = { 0 }, b = { 0 }, c = { 0 };
	struct curlev_xfer	*xa, *xc;
	char			*ok = t_url(env, "/ok");
	char			*hang = t_url(env, "/hang");

	/* Cancelled before the loop ever ran, and one mid-flight. */
	xa = t_get(env, ok, 5000, &a);
	t_get(env, ok, 5000, &b);
	xc = t_get(env, hang, 5000, &c);
	curlev_cancel(env->cv, xa);
	assert_int_equal(curlev_inflight(env->cv), 2);
	t_run(env, 1, 5000);
	assert_int_equal(b.calls, 1);
	t_run(env, 0, 200);		/* let /hang reach the server */
	curlev_cancel(env->cv, xc);
	assert_int_equal(curlev_inflight(env->cv), 0);
	t_run(env, 1, 500);
	assert_true(env->timed_out);
	assert_int_equal(a.calls, 0);
	assert_int_equal(c.calls, 0);
	free(ok);
	free(hang);
	t_result_free(&b);
}

static void
test_free_inflight(void **state)
{
	struct t_env	*env = *state;
	struct t_result	 res[4] = { 0 };
	char		*hang = t_url(env, "/hang");
	int		 i;

	for (i = 0; i < 4; i++)
		t_get(env, hang, 5000, &res[i]);
	free(hang);
	t_run(env, 0, 200);
	curlev_free(env->cv);
	env->cv = NULL;
	t_run(env, 1, 300);
	for (i = 0; i < 4; i++)
		assert_int_equal(res[i].calls, 0);
}

/* A callback that frees the whole client while others are pending. */
static void
t_done_free(const struct http_resp *r, void *arg)
{
	struct t_result	*res = arg;

	res->calls++;
	curlev_free(res->env->cv);
	res->env->cv = NULL;
	event_base_loopbreak(res->env->base);
}

static void
test_free_from_callback(void **state)
{
	struct t_env	*env = *state;
	struct t_result	 first = { 0 }, other = { 0 };
	struct http_req	 req = { 0 };
	char		*ok = t_url(env, "/ok");
	char		*hang = t_url(env, "/hang");
	const char	*why;

	t_get(env, hang, 5000, &other);
	req.method = "GET";
	req.url = ok;
	first.env = env;
	assert_non_null(curlev_request(env->cv, &req, t_done_free, &first,
	    &why));
	t_run(env, 1, 5000);
	assert_int_equal(first.calls, 1);
	assert_null(env->cv);
	t_run(env, 1, 300);
	assert_int_equal(other.calls, 0);
	free(ok);
	free(hang);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_statuses, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_refused, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_bad_urls, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_post_copies_request,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_body_cap, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_cancel, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_free_inflight, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_free_from_callback,
		    t_setup, t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
