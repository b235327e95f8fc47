/*
 * http_check: poll a URL until it answers as expected (SPEC §3).
 *
 *   with: {url, status: 200, body_match: ERE, interval: 10s}
 *
 * GET url every interval until the status is right and, when given, the
 * body (its first 64 KiB) matches the POSIX extended regex. The step's
 * timeout ends the run as a failure saying what was last seen.
 */
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keizoku-plugin.h"

#define HC_DEFAULT_INTERVAL	10000
#define HC_MIN_INTERVAL		100
#define HC_REQUEST_TIMEOUT	10000	/* one poll, at most */

struct hc_state {
	const struct kz_core	*core;
};

struct hc_run {
	struct hc_state		*st;
	char			*url;
	long			 want;
	regex_t			 re;
	char			*re_src;	/* NULL: status only */
	long			 interval_ms;
	long			 timeout_ms;
	struct kz_http		*http;
	struct kz_timer		*poll;
	struct kz_timer		*deadline;
	int			 polls;
	long			 last_status;	/* 0: no answer yet */
	char			*last_error;
	int			 last_mismatch;	/* right status, wrong body */
	kz_done_fn		 done;
	void			*done_arg;
};

/* Out of memory: give up as keizokud itself would. */
static void *
hc_need(void *p)
{
	if (p == NULL)
		abort();
	return p;
}

static char *
hc_strdup(const char *s)
{
	return hc_need(strdup(s));
}

static char *
hc_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
hc_printf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	return hc_need(rc == -1 ? NULL : s);
}

/* "10s", "500ms", "1m30s": milliseconds. Units from largest to
 * smallest, each once, as everywhere in keizoku, plus ms. */
static int
hc_duration_ms(const char *s, long long *out)
{
	static const struct {
		const char	*unit;
		long long	 ms;
	} units[] = {
		{ "w", 604800000LL }, { "d", 86400000LL }, { "h", 3600000LL },
		{ "ms", 1 }, { "m", 60000 }, { "s", 1000 },
	};
	/* Rank of each unit above, largest first: w d h m s ms. */
	static const int	order[] = { 0, 1, 2, 5, 3, 4 };
	long long		total = 0, n;
	int			last = -1, digits;
	size_t			i, len;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		for (n = 0, digits = 0; *s >= '0' && *s <= '9'; s++, digits++) {
			if (n > (LLONG_MAX - 9) / 10)
				return -1;
			n = n * 10 + (*s - '0');
		}
		if (digits == 0)
			return -1;
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			len = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, len) == 0)
				break;
		}
		if (i == sizeof units / sizeof units[0] || order[i] <= last ||
		    n > LLONG_MAX / units[i].ms ||
		    total > LLONG_MAX - n * units[i].ms)
			return -1;
		last = order[i];
		total += n * units[i].ms;
		s += strlen(units[i].unit);
	}
	*out = total;
	return 0;
}

/* ---- with: ---- */

static char *
hc_check_url(json_t *v)
{
	const char	*s = json_string_value(v);

	if (s == NULL || (strncmp(s, "http://", 7) != 0 &&
	    strncmp(s, "https://", 8) != 0))
		return hc_strdup("url: must be an http:// or https:// URL");
	return NULL;
}

static char *
hc_check_status(json_t *v)
{
	if (!json_is_integer(v) || json_integer_value(v) < 100 ||
	    json_integer_value(v) > 599)
		return hc_strdup("status: must be an HTTP status code "
		    "(100-599)");
	return NULL;
}

static char *
hc_check_body_match(json_t *v)
{
	regex_t	re;
	char	err[256];
	int	rc;

	if (!json_is_string(v))
		return hc_strdup("body_match: must be a regular expression "
		    "(a string)");
	if ((rc = regcomp(&re, json_string_value(v),
	    REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, &re, err, sizeof err);
		return hc_printf("body_match: invalid regular expression: %s",
		    err);
	}
	regfree(&re);
	return NULL;
}

static char *
hc_check_interval(json_t *v)
{
	long long	ms;

	if (!json_is_string(v) || hc_duration_ms(json_string_value(v),
	    &ms) == -1)
		return hc_strdup("interval: must be a duration such as 10s, "
		    "1m or 500ms");
	if (ms < HC_MIN_INTERVAL || ms > LONG_MAX)
		return hc_strdup("interval: must be at least 100ms");
	return NULL;
}

static const struct {
	const char	*key;
	int		 required;
	char		*(*valid)(json_t *);
} hc_keys[] = {
	{ "url",	1, hc_check_url },
	{ "status",	0, hc_check_status },
	{ "body_match",	0, hc_check_body_match },
	{ "interval",	0, hc_check_interval },
};
#define HC_NKEYS	(sizeof hc_keys / sizeof hc_keys[0])

static int
hc_check(json_t *with, char **why)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	*why = NULL;
	if (with != NULL && !json_is_object(with)) {
		*why = hc_strdup("with: must be a map");
		return -1;
	}
	json_object_foreach(with, k, v) {
		for (i = 0; i < HC_NKEYS; i++)
			if (strcmp(k, hc_keys[i].key) == 0)
				break;
		if (i == HC_NKEYS) {
			*why = hc_printf("unknown key \"%s\" (http_check takes "
			    "url, status, body_match, interval)", k);
			return -1;
		}
		if ((*why = hc_keys[i].valid(v)) != NULL)
			return -1;
	}
	for (i = 0; i < HC_NKEYS; i++) {
		if (hc_keys[i].required &&
		    json_object_get(with, hc_keys[i].key) == NULL) {
			*why = hc_printf("missing required key \"%s\"",
			    hc_keys[i].key);
			return -1;
		}
	}
	return 0;
}

/* ---- runs ---- */

static long
hc_want(json_t *with)
{
	json_t	*v = json_object_get(with, "status");

	return json_is_integer(v) ? (long)json_integer_value(v) : 200;
}

static long
hc_interval(json_t *with)
{
	json_t		*v = json_object_get(with, "interval");
	long long	 ms;

	if (json_is_string(v) && hc_duration_ms(json_string_value(v),
	    &ms) == 0)
		return (long)ms;
	return HC_DEFAULT_INTERVAL;
}

static char *
hc_ms_text(long ms)
{
	if (ms % 1000 == 0)
		return hc_printf("%lds", ms / 1000);
	return hc_printf("%ldms", ms);
}

static char *
hc_describe(json_t *with)
{
	json_t	*re = json_object_get(with, "body_match");
	char	*every = hc_ms_text(hc_interval(with)), *s;

	s = hc_printf("poll GET %s every %s until it answers %ld%s%s%s",
	    json_string_value(json_object_get(with, "url")), every,
	    hc_want(with), re != NULL ? " with a body matching /" : "",
	    re != NULL ? json_string_value(re) : "", re != NULL ? "/" : "");
	free(every);
	return s;
}

static void
hc_run_free(struct hc_run *r)
{
	const struct kz_core	*core = r->st->core;

	if (r->http != NULL)
		core->http_cancel(core, r->http);
	if (r->poll != NULL)
		core->timer_cancel(core, r->poll);
	if (r->deadline != NULL)
		core->timer_cancel(core, r->deadline);
	if (r->re_src != NULL)
		regfree(&r->re);
	free(r->re_src);
	free(r->url);
	free(r->last_error);
	free(r);
}

static void
hc_finish(struct hc_run *r, int ok, char *note)
{
	r->done(r->done_arg, ok, note);
	free(note);
	hc_run_free(r);
}

static void	hc_poll(void *);

static void
hc_http_done(const struct kz_http_resp *resp, void *arg)
{
	struct hc_run	*r = arg;

	r->http = NULL;
	r->polls++;
	r->st->core->log(r->st->core, KZ_LOG_DEBUG, "http_check: GET %s -> "
	    "%ld%s%s", r->url, resp->status, resp->error != NULL ? ": " : "",
	    resp->error != NULL ? resp->error : "");
	free(r->last_error);
	r->last_error = resp->error != NULL ? hc_strdup(resp->error) : NULL;
	r->last_status = resp->status;
	r->last_mismatch = 0;
	if (resp->error == NULL && resp->status == r->want) {
		if (r->re_src == NULL || regexec(&r->re, resp->body, 0, NULL,
		    0) == 0) {
			hc_finish(r, 1, hc_printf("GET %s -> %ld after %d "
			    "poll%s", r->url, resp->status, r->polls,
			    r->polls == 1 ? "" : "s"));
			return;
		}
		r->last_mismatch = 1;
	}
	r->poll = r->st->core->timer_add(r->st->core, r->interval_ms, hc_poll,
	    r);
}

static void
hc_poll(void *arg)
{
	struct hc_run		*r = arg;
	const struct kz_core	*core = r->st->core;
	struct kz_http_req	 req;
	const char		*why = NULL;

	r->poll = NULL;
	memset(&req, 0, sizeof req);
	req.method = "GET";
	req.url = r->url;
	req.timeout_ms = r->timeout_ms < HC_REQUEST_TIMEOUT ? r->timeout_ms :
	    HC_REQUEST_TIMEOUT;
	r->http = core->http_request(core, &req, hc_http_done, r, &why);
	if (r->http == NULL) {
		free(r->last_error);
		r->last_error = hc_strdup(why != NULL ? why : "cannot start");
		r->poll = core->timer_add(core, r->interval_ms, hc_poll, r);
	}
}

/* What the last poll saw, for the failure note. */
static char *
hc_last_seen(const struct hc_run *r)
{
	if (r->last_error != NULL)
		return hc_printf("last GET %s: %s", r->url, r->last_error);
	if (r->polls == 0)
		return hc_printf("GET %s has not answered", r->url);
	if (r->last_mismatch)
		return hc_printf("last GET %s -> %ld but the body did not "
		    "match /%s/", r->url, r->last_status, r->re_src);
	return hc_printf("last GET %s -> %ld (want %ld)", r->url,
	    r->last_status, r->want);
}

static void
hc_deadline(void *arg)
{
	struct hc_run	*r = arg;
	char		*dur = hc_ms_text(r->timeout_ms);
	char		*seen = hc_last_seen(r);

	r->deadline = NULL;
	hc_finish(r, 0, hc_printf("not ready within %s after %d poll%s: %s",
	    dur, r->polls, r->polls == 1 ? "" : "s", seen));
	free(dur);
	free(seen);
}

static void *
hc_start(void *state, json_t *with, int64_t timeout_ms, kz_done_fn done,
    void *done_arg, char **why)
{
	struct hc_state		*st = state;
	const struct kz_core	*core = st->core;
	struct hc_run		*r;
	json_t			*re = json_object_get(with, "body_match");

	r = hc_need(calloc(1, sizeof *r));
	r->st = st;
	r->url = hc_strdup(json_string_value(json_object_get(with, "url")));
	r->want = hc_want(with);
	r->interval_ms = hc_interval(with);
	r->timeout_ms = timeout_ms < LONG_MAX ? (long)timeout_ms : LONG_MAX;
	r->done = done;
	r->done_arg = done_arg;
	if (json_is_string(re)) {
		if (regcomp(&r->re, json_string_value(re),
		    REG_EXTENDED | REG_NOSUB) != 0) {
			*why = hc_strdup("body_match: invalid regular "
			    "expression");
			hc_run_free(r);
			return NULL;
		}
		r->re_src = hc_strdup(json_string_value(re));
	}
	r->deadline = core->timer_add(core, r->timeout_ms, hc_deadline, r);
	hc_poll(r);
	return r;
}

static void
hc_cancel(void *state, void *run)
{
	hc_run_free(run);
}

/* ---- the plugin ---- */

static int
hc_init(const struct kz_core *core, void **state)
{
	struct hc_state	*st;

	if (core->struct_size < KZ_CORE_SIZE_1_0)
		return -1;
	st = hc_need(calloc(1, sizeof *st));
	st->core = core;
	*state = st;
	return 0;
}

static void
hc_fini(void *state)
{
	free(state);
}

static const struct kz_action hc_action = {
	.struct_size = sizeof(struct kz_action),
	.name = "http_check",
	.check = hc_check,
	.start = hc_start,
	.cancel = hc_cancel,
	.describe = hc_describe,
};

static const struct kz_action *const hc_actions[] = { &hc_action, NULL };

static const struct kz_plugin hc_plugin = {
	.abi_major = KZ_PLUGIN_ABI_MAJOR,
	.abi_minor = KZ_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(struct kz_plugin),
	.name = "http_check",
	.version = "1.0.0",
	.init = hc_init,
	.fini = hc_fini,
	.actions = hc_actions,
};

const struct kz_plugin *
keizoku_plugin(void)
{
	return &hc_plugin;
}
