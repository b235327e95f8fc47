/*
 * The plugin loader and the three shipped plugins, run for real: the
 * .so files the Makefile built (KZ_PLUGIN_DIR, or $KZ_BUILD/plugins),
 * the ABI-99 fixture (KZ_BADABI_SO, or
 * $KZ_BUILD/fixtures/plugins/badabi.so), child processes, and an
 * evhttp server on 127.0.0.1 in the same event_base.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "core/curlev.h"
#include "common/diag.h"
#include "core/plugin.h"
#include "common/xmalloc.h"

struct p_env {
	struct event_base	*base;
	struct evhttp		*http;
	struct curlev		*cv;
	struct plugins		*ps;
	struct diags		 diags;
	char			 base_url[64];
	int			 closed_port;
	/* the server */
	int			 hook_hits;
	int			 hook_status;
	char			*hook_method;
	char			*hook_body;
	char			*hook_ctype;
	int			 ready_hits;
	/* the action's outcome */
	int			 calls;
	int			 ok;
	char			*note;
	int			 timed_out;
};

static char	p_dir[4096];
static char	p_badabi[4096];

/* Where the Makefile put the plugins; NULL when not told. */
static const char *
p_plugin_dir(void)
{
	const char	*s;

	if ((s = getenv("KZ_PLUGIN_DIR")) != NULL && *s != '\0')
		return s;
	if ((s = getenv("KZ_BUILD")) != NULL && *s != '\0') {
		snprintf(p_dir, sizeof p_dir, "%s/plugins", s);
		return p_dir;
	}
	return NULL;
}

static const char *
p_badabi_so(void)
{
	const char	*s;

	if ((s = getenv("KZ_BADABI_SO")) != NULL && *s != '\0')
		return s;
	if ((s = getenv("KZ_BUILD")) != NULL && *s != '\0') {
		snprintf(p_badabi, sizeof p_badabi,
		    "%s/fixtures/plugins/badabi.so", s);
		return p_badabi;
	}
	return NULL;
}

static int64_t
p_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the server ---- */

static void
p_reply(struct evhttp_request *req, int code, const char *body)
{
	struct evbuffer	*b = evbuffer_new();

	evbuffer_add(b, body, strlen(body));
	evhttp_send_reply(req, code, "Status", b);
	evbuffer_free(b);
}

static const char *
p_method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	default:
		return "OTHER";
	}
}

static void
p_hook(struct p_env *env, struct evhttp_request *req)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	size_t		 len = evbuffer_get_length(in);
	const char	*ct;

	env->hook_hits++;
	free(env->hook_body);
	env->hook_body = xmalloc(len + 1);
	evbuffer_remove(in, env->hook_body, len);
	env->hook_body[len] = '\0';
	free(env->hook_method);
	env->hook_method = xstrdup(p_method_name(
	    evhttp_request_get_command(req)));
	ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	free(env->hook_ctype);
	env->hook_ctype = xstrdup(ct != NULL ? ct : "");
	p_reply(req, env->hook_status, "hook reply");
}

static void
p_serve(struct evhttp_request *req, void *arg)
{
	struct p_env	*env = arg;
	const char	*uri = evhttp_request_get_uri(req);

	if (strcmp(uri, "/hook") == 0)
		p_hook(env, req);
	else if (strcmp(uri, "/ready") == 0) {
		/* Comes up on the third poll. */
		if (++env->ready_hits < 3)
			p_reply(req, 503, "starting");
		else
			p_reply(req, 200, "ready 準備完了");
	} else if (strcmp(uri, "/down") == 0)
		p_reply(req, 503, "down");
	else
		p_reply(req, 404, "not here");
}

static int
p_port_of(int fd)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;

	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	return ntohs(sin.sin_port);
}

/* A port nobody listens on (it was free a moment ago). */
static int
p_closed_port(void)
{
	struct sockaddr_in	sin = { 0 };
	int			fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		port = -1;
	else
		port = p_port_of(fd);
	close(fd);
	return port;
}

static int
p_setup(void **state)
{
	struct p_env			*env = xcalloc(1, sizeof *env);
	struct evhttp_bound_socket	*bs;
	const char			*dir = p_plugin_dir();

	setenv("no_proxy", "*", 1);
	env->base = event_base_new();
	env->http = evhttp_new(env->base);
	evhttp_set_allowed_methods(env->http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT);
	evhttp_set_gencb(env->http, p_serve, env);
	bs = evhttp_bind_socket_with_handle(env->http, "127.0.0.1", 0);
	assert_non_null(bs);
	snprintf(env->base_url, sizeof env->base_url, "http://127.0.0.1:%d",
	    p_port_of(evhttp_bound_socket_get_fd(bs)));
	env->closed_port = p_closed_port();
	env->hook_status = 200;
	env->cv = curlev_new(env->base);
	if (dir != NULL)
		env->ps = plugins_load(dir, env->base, env->cv, &env->diags);
	*state = env;
	return 0;
}

static int
p_teardown(void **state)
{
	struct p_env	*env = *state;

	plugins_free(env->ps);
	curlev_free(env->cv);
	evhttp_free(env->http);
	event_base_free(env->base);
	diag_free(&env->diags);
	free(env->hook_method);
	free(env->hook_body);
	free(env->hook_ctype);
	free(env->note);
	free(env);
	return 0;
}

/* Skips a test that needs the built plugins when nobody said where. */
static void
p_need_plugins(void)
{
	if (p_plugin_dir() == NULL) {
		print_message("KZ_PLUGIN_DIR (or KZ_BUILD) is not set: the "
		    "built plugins are needed; skipped\n");
		skip();
	}
}

/* ---- running actions ---- */

static void
p_done(void *arg, int ok, const char *note)
{
	struct p_env	*env = arg;

	env->calls++;
	env->ok = ok;
	free(env->note);
	env->note = xstrdup(note);
	event_base_loopbreak(env->base);
}

static void
p_watchdog(evutil_socket_t fd, short what, void *arg)
{
	struct p_env	*env = arg;

	env->timed_out = 1;
	event_base_loopbreak(env->base);
}

/* Runs the loop until an action reports or ms pass. */
static void
p_run(struct p_env *env, long ms)
{
	struct event	*wd = evtimer_new(env->base, p_watchdog, env);
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	env->timed_out = 0;
	evtimer_add(wd, &tv);
	event_base_dispatch(env->base);
	event_free(wd);
}

/* fmt with each %s replaced by the server's base URL. */
static char *
p_subst(struct p_env *env, const char *fmt)
{
	struct buf	 b = { 0 };
	const char	*p;

	while ((p = strstr(fmt, "%s")) != NULL) {
		buf_add(&b, fmt, p - fmt);
		buf_adds(&b, env->base_url);
		fmt = p + 2;
	}
	buf_adds(&b, fmt);
	return buf_steal(&b);
}

static json_t *
p_with(struct p_env *env, const char *fmt)
{
	json_error_t	 err;
	char		*text = p_subst(env, fmt);
	json_t		*with = json_loads(text, 0, &err);

	if (with == NULL)
		fail_msg("bad test JSON %s: %s", text, err.text);
	free(text);
	return with;
}

static struct action_run *
p_start(struct p_env *env, const char *action, const char *with_fmt,
    int64_t timeout_ms, int dry)
{
	json_t			*with = p_with(env, with_fmt);
	struct action_run	*run;
	char			*why = NULL;

	env->calls = 0;
	run = plugins_start(env->ps, action, with, timeout_ms, dry, p_done,
	    env, &why);
	json_decref(with);
	if (run == NULL)
		fail_msg("%s did not start: %s", action, why);
	/* Never called back from inside plugins_start. */
	assert_int_equal(env->calls, 0);
	return run;
}

static void
p_assert_has(const char *note, const char *const *want)
{
	for (; *want != NULL; want++)
		if (strstr(note, *want) == NULL)
			fail_msg("note \"%s\" lacks \"%s\"", note, *want);
}

/* ---- loading ---- */

static void
test_load_shipped(void **state)
{
	static const char *const actions[] = { "exec", "http_check",
	    "webhook" };
	struct p_env	*env = *state;
	json_t		*list, *e;
	size_t		 i;

	p_need_plugins();
	for (i = 0; i < env->diags.n; i++)
		print_message("diag: %s\n", env->diags.msgs[i]);
	assert_int_equal(env->diags.nerrors, 0);
	for (i = 0; i < 3; i++)
		assert_true(plugins_has(env->ps, actions[i]));
	assert_false(plugins_has(env->ps, "nope"));
	list = plugins_list(env->ps);
	assert_int_equal(json_array_size(list), 3);
	json_array_foreach(list, i, e) {
		assert_non_null(json_string_value(json_object_get(e,
		    "plugin")));
		assert_non_null(json_string_value(json_object_get(e,
		    "version")));
		assert_non_null(strstr(json_string_value(json_object_get(e,
		    "file")), ".so"));
	}
	json_decref(list);
}

enum p_src { SRC_EXEC, SRC_WEBHOOK, SRC_BADABI, SRC_NOSYM, SRC_JUNK };

struct p_file {
	enum p_src	 src;
	const char	*name;
	mode_t		 mode;
};

static const struct {
	const char	*what;
	mode_t		 dir_mode;	/* 0: no directory at all */
	struct p_file	 files[3];
	const char	*diag;		/* expected, after "DIR/" */
	int		 nerrors;
	const char	*loaded;	/* an action that still loads */
} p_refusals[] = {
	{ "world-writable file", 0755, { { SRC_EXEC, "exec.so", 0666 } },
	  "exec.so:0:0: refusing plugin: file is world-writable (chmod go-w)",
	  1, NULL },
	{ "group-writable file", 0755, { { SRC_EXEC, "exec.so", 0664 } },
	  "exec.so:0:0: refusing plugin: file is group-writable (chmod go-w)",
	  1, NULL },
	{ "ABI 99", 0755, { { SRC_BADABI, "badabi.so", 0755 },
	    { SRC_EXEC, "exec.so", 0755 } },
	  "badabi.so:0:0: plugin ABI 99.0, this keizokud speaks 1.x",
	  1, "exec" },
	{ "no symbol", 0755, { { SRC_NOSYM, "nosym.so", 0755 },
	    { SRC_EXEC, "exec.so", 0755 } },
	  "nosym.so:0:0: refusing plugin: no keizoku_plugin symbol",
	  1, "exec" },
	{ "not ELF", 0755, { { SRC_JUNK, "junk.so", 0644 },
	    { SRC_WEBHOOK, "webhook.so", 0755 } },
	  "junk.so:0:0: refusing plugin: ", 1, "webhook" },
	{ "duplicate action", 0755, { { SRC_WEBHOOK, "a.so", 0755 },
	    { SRC_WEBHOOK, "b.so", 0755 } },
	  "b.so:0:0: refusing plugin: action \"webhook\" is already provided",
	  1, "webhook" },
	{ "writable directory", 0777, { { SRC_EXEC, "exec.so", 0755 } },
	  ":0:0: refusing plugins: directory is world-writable", 1, NULL },
	{ "missing directory", 0, { { 0 } },
	  ":0:0: warning: plugin directory: No such file or directory",
	  0, NULL },
};

static void
p_copy(const char *from, const char *to)
{
	FILE	*in = fopen(from, "rb"), *out = fopen(to, "wb");
	char	 b[8192];
	size_t	 n;

	if (in == NULL || out == NULL)
		fail_msg("copy %s to %s failed", from, to);
	while ((n = fread(b, 1, sizeof b, in)) > 0)
		assert_int_equal(fwrite(b, 1, n, out), n);
	fclose(in);
	fclose(out);
}

/* Puts one file of a refusal case in place. */
static void
p_place(const struct p_file *f, const char *dir)
{
	char		*to = xprintf("%s/%s", dir, f->name), *from = NULL;
	Dl_info		 info;
	FILE		*fp;

	switch (f->src) {
	case SRC_EXEC:
	case SRC_WEBHOOK:
		from = xprintf("%s/%s", p_plugin_dir(),
		    f->src == SRC_EXEC ? "exec.so" : "webhook.so");
		break;
	case SRC_BADABI:
		if (p_badabi_so() == NULL) {
			print_message("KZ_BADABI_SO is not set; skipped\n");
			skip();
		}
		from = xstrdup(p_badabi_so());
		break;
	case SRC_NOSYM:
		/* A real shared object that is not a plugin: jansson. */
		assert_true(dladdr((void *)json_object, &info) != 0);
		from = xstrdup(info.dli_fname);
		break;
	case SRC_JUNK:
		fp = fopen(to, "w");
		fputs("not a shared object\n", fp);
		fclose(fp);
		break;
	}
	if (from != NULL)
		p_copy(from, to);
	assert_int_equal(chmod(to, f->mode), 0);
	free(from);
	free(to);
}

static void
p_unplace(const struct p_file *files, const char *dir)
{
	char	*path;
	size_t	 i;

	for (i = 0; i < 3 && files[i].name != NULL; i++) {
		path = xprintf("%s/%s", dir, files[i].name);
		unlink(path);
		free(path);
	}
	rmdir(dir);
}

static void
test_refusals(void **state)
{
	struct p_env	*env = *state;
	struct diags	 d;
	struct plugins	*ps;
	json_t		*list;
	char		 dir[] = "/tmp/kz-plugin-test-XXXXXX";
	size_t		 i, j, found;

	p_need_plugins();
	for (i = 0; i < sizeof p_refusals / sizeof p_refusals[0]; i++) {
		memset(&d, 0, sizeof d);
		kz_strlcpy(dir, "/tmp/kz-plugin-test-XXXXXX", sizeof dir);
		assert_non_null(mkdtemp(dir));
		for (j = 0; j < 3 && p_refusals[i].files[j].name != NULL; j++)
			p_place(&p_refusals[i].files[j], dir);
		if (p_refusals[i].dir_mode != 0)
			assert_int_equal(chmod(dir, p_refusals[i].dir_mode), 0);
		else
			p_unplace(p_refusals[i].files, dir);
		ps = plugins_load(dir, env->base, env->cv, &d);
		for (j = 0, found = 0; j < d.n; j++)
			if (strstr(d.msgs[j], p_refusals[i].diag) != NULL &&
			    strncmp(d.msgs[j], dir, strlen(dir)) == 0)
				found++;
		if (found != 1)
			fail_msg("%s: no diag \"%s\" (%zu diags, first: %s)",
			    p_refusals[i].what, p_refusals[i].diag, d.n,
			    d.n > 0 ? d.msgs[0] : "none");
		assert_int_equal(d.nerrors, p_refusals[i].nerrors);
		if (p_refusals[i].loaded != NULL)
			assert_true(plugins_has(ps, p_refusals[i].loaded));
		list = plugins_list(ps);
		if (p_refusals[i].loaded == NULL)
			assert_int_equal(json_array_size(list), 0);
		json_decref(list);
		plugins_free(ps);
		diag_free(&d);
		p_unplace(p_refusals[i].files, dir);
	}
}

/* ---- check() ---- */

static const struct {
	const char	*action;
	const char	*with;
	const char	*why;		/* NULL: valid */
} p_checks[] = {
	{ "webhook", "{\"url\": \"https://x.example/h\"}", NULL },
	{ "webhook", "{\"url\": \"https://x.example/h\", \"method\": \"PUT\", "
	  "\"headers\": {\"X-A\": \"b\"}, \"body\": {\"a\": 1}, "
	  "\"expect\": 204}", NULL },
	{ "webhook", "{}", "\"url\"" },
	{ "webhook", "{\"url\": \"https://x/\", \"bogus\": 1}", "\"bogus\"" },
	{ "webhook", "{\"url\": 5}", "url:" },
	{ "webhook", "{\"url\": \"ftp://x/\"}", "url:" },
	{ "webhook", "{\"url\": \"http://x/\", \"method\": \"BREW\"}",
	  "method:" },
	{ "webhook", "{\"url\": \"http://x/\", \"headers\": [1]}", "headers:" },
	{ "webhook", "{\"url\": \"http://x/\", \"headers\": {\"A\": \"x\\r\\n"
	  "B: y\"}}", "headers.A:" },
	{ "webhook", "{\"url\": \"http://x/\", \"body\": 3}", "body:" },
	{ "webhook", "{\"url\": \"http://x/\", \"expect\": \"2xx\"}",
	  "expect:" },
	{ "exec", "{\"argv\": [\"true\"]}", NULL },
	{ "exec", "{\"argv\": [\"/bin/echo\", \"継続\"], \"env\": {\"A\": "
	  "\"1\", \"B\": 2}, \"cwd\": \"/tmp\"}", NULL },
	{ "exec", "{}", "\"argv\"" },
	{ "exec", "{\"argv\": []}", "argv:" },
	{ "exec", "{\"argv\": \"ls -l\"}", "argv:" },
	{ "exec", "{\"argv\": [\"ls\", 3]}", "argv[1]:" },
	{ "exec", "{\"argv\": [\"ls\"], \"shell\": true}", "\"shell\"" },
	{ "exec", "{\"argv\": [\"ls\"], \"env\": {\"A\": [1]}}", "env.A:" },
	{ "exec", "{\"argv\": [\"ls\"], \"env\": {\"1A\": \"x\"}}", "env:" },
	{ "exec", "{\"argv\": [\"ls\"], \"cwd\": \"tmp\"}", "cwd:" },
	{ "http_check", "{\"url\": \"http://x/\", \"status\": 204, "
	  "\"body_match\": \"^ok\", \"interval\": \"1m30s\"}", NULL },
	{ "http_check", "{\"url\": \"http://x/\", \"interval\": \"250ms\"}",
	  NULL },
	{ "http_check", "{\"status\": 200}", "\"url\"" },
	{ "http_check", "{\"url\": \"http://x/\", \"retries\": 3}",
	  "\"retries\"" },
	{ "http_check", "{\"url\": \"http://x/\", \"status\": \"ok\"}",
	  "status:" },
	{ "http_check", "{\"url\": \"http://x/\", \"body_match\": \"(\"}",
	  "body_match:" },
	{ "http_check", "{\"url\": \"http://x/\", \"interval\": \"soon\"}",
	  "interval:" },
	{ "http_check", "{\"url\": \"http://x/\", \"interval\": \"10\"}",
	  "interval:" },
	{ "http_check", "{\"url\": \"http://x/\", \"interval\": \"10ms\"}",
	  "interval:" },
	{ "http_check", "{\"url\": \"http://x/\", \"interval\": \"5s1m\"}",
	  "interval:" },
	{ "teleport", "{}", "unknown action \"teleport\"" },
};

static void
test_check(void **state)
{
	struct p_env	*env = *state;
	json_t		*with;
	char		*why;
	size_t		 i;
	int		 rc;

	p_need_plugins();
	for (i = 0; i < sizeof p_checks / sizeof p_checks[0]; i++) {
		with = p_with(env, p_checks[i].with);
		why = NULL;
		rc = plugins_check(env->ps, p_checks[i].action, with, &why);
		if (p_checks[i].why == NULL && rc != 0)
			fail_msg("%s %s: unexpected error %s",
			    p_checks[i].action, p_checks[i].with, why);
		if (p_checks[i].why != NULL && (rc != -1 || why == NULL ||
		    strstr(why, p_checks[i].why) == NULL))
			fail_msg("%s %s: want an error naming %s, got %s",
			    p_checks[i].action, p_checks[i].with,
			    p_checks[i].why, why ? why : "none");
		free(why);
		json_decref(with);
	}
}

/* ---- exec ---- */

static const struct {
	const char	*with;
	int64_t		 timeout_ms;
	int		 ok;
	const char	*want[4];
	long		 max_ms;
} p_execs[] = {
	{ "{\"argv\": [\"sh\", \"-c\", \"echo こんにちは; "
	  "echo err >&2\"]}",
	  5000, 1, { "exit 0\n", "こんにちは", "err" }, 3000 },
	{ "{\"argv\": [\"sh\", \"-c\", \"echo failing; exit 3\"]}",
	  5000, 0, { "exit 3\nfailing" }, 3000 },
	{ "{\"argv\": [\"sleep\", \"10\"]}",
	  300, 0, { "timed out after 300ms (killed by SIGTERM)" }, 2000 },
	{ "{\"argv\": [\"sh\", \"-c\", \"echo \\\"$GREETING $PATH\\\"; pwd; "
	  "echo home=[$HOME]\"], \"env\": {\"GREETING\": \"おはよう\"}, "
	  "\"cwd\": \"/tmp\"}",
	  5000, 1, { "おはよう /usr/bin:/bin\n/tmp\nhome=[]" }, 3000 },
	{ "{\"argv\": [\"no-such-command-kz\"]}",
	  5000, 0, { "cannot execute no-such-command-kz: No such file" },
	  3000 },
	{ "{\"argv\": [\"sh\", \"-c\", \"kill -9 $$\"]}",
	  5000, 0, { "killed by signal 9 (SIGKILL)" }, 3000 },
	{ "{\"argv\": [\"sh\", \"-c\", \"printf '\\\\377ok'\"]}",
	  5000, 1, { "exit 0\n\xef\xbf\xbdok" }, 3000 },
};

static void
test_exec(void **state)
{
	struct p_env	*env = *state;
	int64_t		 t0;
	size_t		 i;

	p_need_plugins();
	for (i = 0; i < sizeof p_execs / sizeof p_execs[0]; i++) {
		t0 = p_now_ms();
		p_start(env, "exec", p_execs[i].with, p_execs[i].timeout_ms, 0);
		p_run(env, 10000);
		assert_int_equal(env->calls, 1);
		if (env->ok != p_execs[i].ok)
			fail_msg("%s: ok=%d, note: %s", p_execs[i].with,
			    env->ok, env->note);
		p_assert_has(env->note, p_execs[i].want);
		assert_true(p_now_ms() - t0 < p_execs[i].max_ms);
	}
}

static void
test_exec_truncation(void **state)
{
	struct p_env	*env = *state;
	json_t		*s;

	p_need_plugins();
	/* 7-byte lines: the 4 KiB cut falls inside a character. */
	p_start(env, "exec", "{\"argv\": [\"sh\", \"-c\", \"yes 継続 | "
	    "head -c 100000\"]}", 5000, 0);
	p_run(env, 10000);
	assert_int_equal(env->calls, 1);
	assert_int_equal(env->ok, 1);
	assert_non_null(strstr(env->note, "…[truncated]"));
	assert_true(strlen(env->note) <= 4096 + 64);
	/* Still UTF-8 (jansson refuses anything else). */
	s = json_string(env->note);
	assert_non_null(s);
	json_decref(s);
}

static void
test_cancel(void **state)
{
	struct p_env		*env = *state;
	struct action_run	*run;

	p_need_plugins();
	run = p_start(env, "exec", "{\"argv\": [\"sleep\", \"10\"]}", 5000, 0);
	p_run(env, 100);
	plugins_cancel(env->ps, run);
	/* Cancelled before its result was delivered. */
	run = p_start(env, "webhook", "{\"url\": \"%s/hook\"}", 5000, 1);
	plugins_cancel(env->ps, run);
	run = p_start(env, "http_check", "{\"url\": \"%s/down\", "
	    "\"interval\": \"100ms\"}", 5000, 0);
	p_run(env, 250);
	plugins_cancel(env->ps, run);
	p_run(env, 300);
	assert_true(env->timed_out);
	assert_int_equal(env->calls, 0);
}

static void
test_free_running(void **state)
{
	struct p_env	*env = *state;
	int64_t		 t0;

	p_need_plugins();
	p_start(env, "exec", "{\"argv\": [\"sleep\", \"10\"]}", 5000, 0);
	p_start(env, "http_check", "{\"url\": \"%s/down\", \"interval\": "
	    "\"100ms\"}", 5000, 0);
	p_run(env, 150);
	assert_int_equal(env->calls, 0);
	t0 = p_now_ms();
	plugins_free(env->ps);
	env->ps = NULL;
	assert_true(p_now_ms() - t0 < 1000);
	p_run(env, 300);
	assert_int_equal(env->calls, 0);
}

/* ---- webhook ---- */

static const struct {
	int		 server_status;
	const char	*with;
	int		 ok;
	const char	*note;		/* after the base URL */
	const char	*method;	/* what the server saw */
	const char	*body;
	const char	*ctype;
} p_hooks[] = {
	{ 200, "{\"url\": \"%s/hook\", \"body\": {\"site\": \"大阪\"}}",
	  1, "/hook -> 200", "POST", "{\"site\":\"大阪\"}",
	  "application/json" },
	{ 200, "{\"url\": \"%s/hook\", \"expect\": 201}",
	  0, "/hook -> 200 (expected 201)\nhook reply", "POST", "", "" },
	{ 500, "{\"url\": \"%s/hook\"}",
	  0, "/hook -> 500 (expected 2xx)\nhook reply", "POST", "", "" },
	{ 204, "{\"url\": \"%s/hook\", \"method\": \"PUT\", \"headers\": "
	  "{\"Content-Type\": \"text/x-kz\"}, \"body\": \"テキスト\", "
	  "\"expect\": 204}",
	  1, "/hook -> 204", "PUT", "テキスト", "text/x-kz" },
};

static void
test_webhook(void **state)
{
	struct p_env	*env = *state;
	char		*want;
	size_t		 i;

	p_need_plugins();
	for (i = 0; i < sizeof p_hooks / sizeof p_hooks[0]; i++) {
		env->hook_status = p_hooks[i].server_status;
		p_start(env, "webhook", p_hooks[i].with, 5000, 0);
		p_run(env, 5000);
		assert_int_equal(env->calls, 1);
		assert_int_equal(env->ok, p_hooks[i].ok);
		want = xprintf("%s %s%s", p_hooks[i].method, env->base_url,
		    p_hooks[i].note);
		assert_string_equal(env->note, want);
		free(want);
		assert_string_equal(env->hook_method, p_hooks[i].method);
		assert_string_equal(env->hook_body, p_hooks[i].body);
		if (*p_hooks[i].ctype != '\0')
			assert_string_equal(env->hook_ctype, p_hooks[i].ctype);
	}
	assert_int_equal(env->hook_hits, 4);
}

static void
test_webhook_refused(void **state)
{
	struct p_env	*env = *state;
	char		*with, *want;

	p_need_plugins();
	with = xprintf("{\"url\": \"http://127.0.0.1:%d/x\"}",
	    env->closed_port);
	p_start(env, "webhook", with, 3000, 0);
	free(with);
	p_run(env, 5000);
	assert_int_equal(env->calls, 1);
	assert_int_equal(env->ok, 0);
	want = xprintf("POST http://127.0.0.1:%d/x: ", env->closed_port);
	assert_non_null(strstr(env->note, want));
	free(want);
}

/* ---- http_check ---- */

static void
test_http_check_ready(void **state)
{
	struct p_env	*env = *state;

	p_need_plugins();
	p_start(env, "http_check", "{\"url\": \"%s/ready\", \"interval\": "
	    "\"100ms\", \"body_match\": \"準備.*完了\"}", 5000, 0);
	p_run(env, 5000);
	assert_int_equal(env->calls, 1);
	assert_int_equal(env->ok, 1);
	assert_int_equal(env->ready_hits, 3);
	assert_non_null(strstr(env->note, "/ready -> 200 after 3 polls"));
}

static const struct {
	const char	*with;
	const char	*want[3];
} p_hc_fails[] = {
	{ "{\"url\": \"%s/down\", \"interval\": \"100ms\"}",
	  { "not ready within 700ms", "/down -> 503 (want 200)" } },
	{ "{\"url\": \"%s/ready\", \"interval\": \"100ms\", \"body_match\": "
	  "\"^never$\"}",
	  { "not ready within 700ms", "-> 200 but the body did not match "
	    "/^never$/" } },
};

static void
test_http_check_timeout(void **state)
{
	struct p_env	*env = *state;
	int64_t		 t0;
	size_t		 i;

	p_need_plugins();
	for (i = 0; i < sizeof p_hc_fails / sizeof p_hc_fails[0]; i++) {
		t0 = p_now_ms();
		p_start(env, "http_check", p_hc_fails[i].with, 700, 0);
		p_run(env, 5000);
		assert_int_equal(env->calls, 1);
		assert_int_equal(env->ok, 0);
		p_assert_has(env->note, p_hc_fails[i].want);
		assert_true(p_now_ms() - t0 >= 650);
		assert_true(p_now_ms() - t0 < 2000);
	}
}

/* ---- dry runs and refusals to start ---- */

static const struct {
	const char	*action;
	const char	*with;
	const char	*note;		/* %s: base URL */
} p_dries[] = {
	{ "webhook", "{\"url\": \"%s/hook\", \"body\": {\"a\": 1}}",
	  "dry run: would POST %s/hook" },
	{ "http_check", "{\"url\": \"%s/ready\", \"body_match\": \"ok\"}",
	  "dry run: would poll GET %s/ready every 10s until it answers 200 "
	  "with a body matching /ok/" },
	{ "exec", "{\"argv\": [\"touch\", \"/tmp/kz dry run\"]}",
	  "dry run: would run touch '/tmp/kz dry run'" },
};

static void
test_dry_run(void **state)
{
	struct p_env	*env = *state;
	char		*want;
	size_t		 i;

	p_need_plugins();
	for (i = 0; i < sizeof p_dries / sizeof p_dries[0]; i++) {
		p_start(env, p_dries[i].action, p_dries[i].with, 0, 1);
		p_run(env, 2000);
		assert_int_equal(env->calls, 1);
		assert_int_equal(env->ok, 1);
		want = p_subst(env, p_dries[i].note);
		assert_string_equal(env->note, want);
		free(want);
	}
	assert_int_equal(env->hook_hits, 0);
	assert_int_equal(env->ready_hits, 0);
	assert_int_equal(access("/tmp/kz dry run", F_OK), -1);
}

static void
test_start_refused(void **state)
{
	struct p_env	*env = *state;
	json_t		*with;
	char		*why = NULL;

	p_need_plugins();
	with = json_pack("{s:s}", "url", "http://x/");
	assert_null(plugins_start(env->ps, "teleport", with, 0, 0, p_done, env,
	    &why));
	assert_non_null(strstr(why, "unknown action"));
	free(why);
	why = NULL;
	assert_null(plugins_start(env->ps, "exec", with, 0, 0, p_done, env,
	    &why));
	assert_non_null(strstr(why, "\"url\""));
	free(why);
	json_decref(with);
	assert_int_equal(env->calls, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, p_setup, p_teardown)
		T(test_load_shipped),
		T(test_refusals),
		T(test_check),
		T(test_exec),
		T(test_exec_truncation),
		T(test_cancel),
		T(test_free_running),
		T(test_webhook),
		T(test_webhook_refused),
		T(test_http_check_ready),
		T(test_http_check_timeout),
		T(test_dry_run),
		T(test_start_refused),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
