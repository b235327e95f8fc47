/*
 * webhook: one HTTP request per run (SPEC §3).
 *
 *   with: {url, method: POST, headers: {Name: value}, body: string | map,
 *          expect: status (default any 2xx)}
 *
 * A map body is sent as JSON. Success is the expected status; the note
 * reads "POST https://x/y -> 204".
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keizoku-plugin.h"

#define WH_NOTE_BODY	512	/* response text kept in a failure note */

struct wh_state {
	const struct kz_core	*core;
};

struct wh_run {
	struct wh_state	*st;
	struct kz_http	*http;
	char		*method;
	char		*url;
	long		 expect;	/* 0: any 2xx */
	kz_done_fn	 done;
	void		*done_arg;
};

/* Out of memory: give up as keizokud itself would. */
static void *
wh_need(void *p)
{
	if (p == NULL)
		abort();
	return p;
}

static char *
wh_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
wh_printf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	return wh_need(rc == -1 ? NULL : s);
}

/* ---- with: ---- */

static const char *const wh_methods[] = {
	"GET", "POST", "PUT", "PATCH", "DELETE", NULL
};

static char *
wh_strdup(const char *s)
{
	return wh_need(strdup(s));
}

static int
wh_is_url(const char *s)
{
	return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

static char *
wh_check_url(json_t *v)
{
	if (!json_is_string(v) || !wh_is_url(json_string_value(v)))
		return wh_strdup("url: must be an http:// or https:// URL");
	return NULL;
}

static char *
wh_check_method(json_t *v)
{
	const char *const	*m;

	for (m = wh_methods; json_is_string(v) && *m != NULL; m++)
		if (strcmp(json_string_value(v), *m) == 0)
			return NULL;
	return wh_strdup("method: must be one of GET, POST, PUT, PATCH, "
	    "DELETE");
}

static int
wh_header_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("!#$%&'*+-.^_`|~",
		    *s) == NULL)
			return 0;
	return 1;
}

static char *
wh_check_headers(json_t *v)
{
	const char	*k;
	json_t		*hv;

	if (!json_is_object(v))
		return wh_strdup("headers: must be a map of header names to "
		    "values");
	json_object_foreach(v, k, hv) {
		if (!wh_header_name_ok(k))
			return wh_printf("headers: \"%s\" is not a valid "
			    "header name", k);
		if (!json_is_string(hv) ||
		    strpbrk(json_string_value(hv), "\r\n") != NULL)
			return wh_printf("headers.%s: must be a single-line "
			    "string", k);
	}
	return NULL;
}

static char *
wh_check_body(json_t *v)
{
	if (!json_is_string(v) && !json_is_object(v) && !json_is_array(v))
		return wh_strdup("body: must be a string or a map (sent as "
		    "JSON)");
	return NULL;
}

static char *
wh_check_expect(json_t *v)
{
	if (!json_is_integer(v) || json_integer_value(v) < 100 ||
	    json_integer_value(v) > 599)
		return wh_strdup("expect: must be an HTTP status code "
		    "(100-599)");
	return NULL;
}

static const struct {
	const char	*key;
	int		 required;
	char		*(*valid)(json_t *);
} wh_keys[] = {
	{ "url",	1, wh_check_url },
	{ "method",	0, wh_check_method },
	{ "headers",	0, wh_check_headers },
	{ "body",	0, wh_check_body },
	{ "expect",	0, wh_check_expect },
};
#define WH_NKEYS	(sizeof wh_keys / sizeof wh_keys[0])

static int
wh_check(json_t *with, char **why)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	*why = NULL;
	if (with != NULL && !json_is_object(with)) {
		*why = wh_strdup("with: must be a map");
		return -1;
	}
	json_object_foreach(with, k, v) {
		for (i = 0; i < WH_NKEYS; i++)
			if (strcmp(k, wh_keys[i].key) == 0)
				break;
		if (i == WH_NKEYS) {
			*why = wh_printf("unknown key \"%s\" (webhook takes "
			    "url, method, headers, body, expect)", k);
			return -1;
		}
		if ((*why = wh_keys[i].valid(v)) != NULL)
			return -1;
	}
	for (i = 0; i < WH_NKEYS; i++) {
		if (wh_keys[i].required &&
		    json_object_get(with, wh_keys[i].key) == NULL) {
			*why = wh_printf("missing required key \"%s\"",
			    wh_keys[i].key);
			return -1;
		}
	}
	return 0;
}

/* ---- runs ---- */

static const char *
wh_method(json_t *with)
{
	json_t	*m = json_object_get(with, "method");

	return json_is_string(m) ? json_string_value(m) : "POST";
}

static char *
wh_describe(json_t *with)
{
	return wh_printf("%s %s", wh_method(with),
	    json_string_value(json_object_get(with, "url")));
}

static void
wh_run_free(struct wh_run *r)
{
	free(r->method);
	free(r->url);
	free(r);
}

static void
wh_http_done(const struct kz_http_resp *resp, void *arg)
{
	struct wh_run	*r = arg;
	char		*note, expected[16];
	int		 ok;
	size_t		 n;

	if (resp->error != NULL) {
		note = wh_printf("%s %s: %s", r->method, r->url, resp->error);
		ok = 0;
	} else {
		ok = r->expect != 0 ? resp->status == r->expect :
		    resp->status >= 200 && resp->status <= 299;
		if (r->expect != 0)
			snprintf(expected, sizeof expected, "%ld", r->expect);
		else
			snprintf(expected, sizeof expected, "2xx");
		n = resp->body_len < WH_NOTE_BODY ? resp->body_len :
		    WH_NOTE_BODY;
		if (ok)
			note = wh_printf("%s %s -> %ld", r->method, r->url,
			    resp->status);
		else
			note = wh_printf("%s %s -> %ld (expected %s)%s%.*s",
			    r->method, r->url, resp->status, expected,
			    n > 0 ? "\n" : "", (int)n, resp->body);
	}
	r->done(r->done_arg, ok, note);
	free(note);
	wh_run_free(r);
}

static int
wh_has_header(json_t *headers, const char *name)
{
	const char	*k;
	json_t		*v;

	json_object_foreach(headers, k, v)
		if (strcasecmp(k, name) == 0)
			return 1;
	return 0;
}

/* "Name: value" lines, NULL-terminated; a Content-Type for the body
 * unless one was given. */
static char **
wh_headers(json_t *with, json_t *body)
{
	json_t		*h = json_object_get(with, "headers"), *v;
	const char	*k;
	char		**lines;
	size_t		 n = 0;

	lines = wh_need(calloc(json_object_size(h) + 2, sizeof *lines));
	json_object_foreach(h, k, v)
		lines[n++] = wh_printf("%s: %s", k, json_string_value(v));
	if (body != NULL && !wh_has_header(h, "Content-Type"))
		lines[n++] = wh_strdup(json_is_string(body) ?
		    "Content-Type: text/plain; charset=utf-8" :
		    "Content-Type: application/json");
	return lines;
}

static void
wh_strv_free(char **v)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void *
wh_start(void *state, json_t *with, int64_t timeout_ms, kz_done_fn done,
    void *done_arg, char **why)
{
	struct wh_state		*st = state;
	struct wh_run		*r;
	struct kz_http_req	 req;
	json_t			*body = json_object_get(with, "body");
	json_t			*expect = json_object_get(with, "expect");
	char			*text = NULL, **headers;
	const char		*err = NULL;

	r = wh_need(calloc(1, sizeof *r));
	r->st = st;
	r->method = wh_strdup(wh_method(with));
	r->url = wh_strdup(json_string_value(json_object_get(with, "url")));
	r->expect = json_is_integer(expect) ? (long)json_integer_value(expect)
	    : 0;
	r->done = done;
	r->done_arg = done_arg;
	if (json_is_string(body))
		text = wh_strdup(json_string_value(body));
	else if (body != NULL)
		text = wh_need(json_dumps(body, JSON_COMPACT));
	headers = wh_headers(with, body);
	memset(&req, 0, sizeof req);
	req.method = r->method;
	req.url = r->url;
	req.headers = (const char *const *)headers;
	req.body = text;
	req.body_len = text != NULL ? strlen(text) : 0;
	req.timeout_ms = timeout_ms < LONG_MAX ? (long)timeout_ms : LONG_MAX;
	r->http = st->core->http_request(st->core, &req, wh_http_done, r, &err);
	free(text);
	wh_strv_free(headers);
	if (r->http == NULL) {
		*why = wh_printf("%s %s: %s", r->method, r->url,
		    err != NULL ? err : "cannot start");
		wh_run_free(r);
		return NULL;
	}
	return r;
}

static void
wh_cancel(void *state, void *run)
{
	struct wh_state	*st = state;
	struct wh_run	*r = run;

	st->core->http_cancel(st->core, r->http);
	wh_run_free(r);
}

/* ---- the plugin ---- */

static int
wh_init(const struct kz_core *core, void **state)
{
	struct wh_state	*st;

	if (core->struct_size < KZ_CORE_SIZE_1_0)
		return -1;
	st = wh_need(calloc(1, sizeof *st));
	st->core = core;
	*state = st;
	return 0;
}

static void
wh_fini(void *state)
{
	free(state);
}

static const struct kz_action wh_action = {
	.struct_size = sizeof(struct kz_action),
	.name = "webhook",
	.check = wh_check,
	.start = wh_start,
	.cancel = wh_cancel,
	.describe = wh_describe,
};

static const struct kz_action *const wh_actions[] = { &wh_action, NULL };

static const struct kz_plugin wh_plugin = {
	.abi_major = KZ_PLUGIN_ABI_MAJOR,
	.abi_minor = KZ_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(struct kz_plugin),
	.name = "webhook",
	.version = "1.0.0",
	.init = wh_init,
	.fini = wh_fini,
	.actions = wh_actions,
};

const struct kz_plugin *
keizoku_plugin(void)
{
	return &wh_plugin;
}
