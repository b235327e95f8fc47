/* Templates: rendering of every JSON type, missing values, the path
 * checker (unknown roots), malformed holes, JSON bodies, Japanese. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/actionwith.h"
#include "model/template.h"
#include "common/xmalloc.h"

#define NITEMS(a) (sizeof (a) / sizeof (a)[0])

static const char *tt_ctx_text =
    "{\"trigger\": {\"labels\": {\"alertname\": \"PrimarySiteDown\","
    " \"site\": \"東京\"}, \"count\": 3, \"neg\": -5, \"ratio\": 0.1,"
    " \"big\": 2.0, \"huge\": 1e21, \"firing\": true, \"off\": false,"
    " \"nothing\": null, \"tags\": [\"a\", \"b\"],"
    " \"obj\": {\"k\": \"v\", \"日本\": \"語\"}},"
    " \"vars\": {\"alt_site\": \"osaka\"},"
    " \"incident\": {\"id\": \"INC-1\", \"title\": \"本社停電\"},"
    " \"steps\": {\"switch-dns\": {\"state\": \"done\", \"by\": \"tanaka\"}}}";

static json_t *
tt_json(const char *text)
{
	json_error_t	 err;
	json_t		*j = json_loads(text, JSON_DECODE_ANY, &err);

	if (j == NULL)
		fail_msg("bad test JSON: %s", err.text);
	return j;
}

/* The runbook loader's rule, in small: only these roots exist. */
static int
tt_check(const char *path, void *arg, char **why)
{
	static const char *roots[] = { "trigger", "vars", "incident",
	    "runbook", "steps" };
	size_t	len = strcspn(path, ".");
	size_t	i;

	for (i = 0; i < NITEMS(roots); i++)
		if (strlen(roots[i]) == len &&
		    strncmp(roots[i], path, len) == 0)
			return 0;
	*why = xprintf("unknown root \"%.*s\"", (int)len, path);
	return -1;
}

/* Refuses everything and says nothing, to test the fallback message. */
static int
tt_refuse(const char *path, void *arg, char **why)
{
	return -1;
}

static void
test_render(void **state)
{
	static const struct {
		const char	*tmpl;
		const char	*want;
	} cases[] = {
		{ "", "" },
		{ "plain text", "plain text" },
		{ "{{vars.alt_site}}", "osaka" },
		{ "{{ vars.alt_site }}", "osaka" },
		{ "{{\tvars.alt_site  }}", "osaka" },
		{ "Switch to {{vars.alt_site}} for {{incident.id}}.",
		    "Switch to osaka for INC-1." },
		{ "{{vars.alt_site}}{{vars.alt_site}}", "osakaosaka" },
		{ "{{trigger.count}}", "3" },
		{ "{{trigger.neg}}", "-5" },
		{ "{{trigger.ratio}}", "0.1" },
		{ "{{trigger.big}}", "2" },
		{ "{{trigger.huge}}", "1e+21" },
		{ "{{trigger.firing}}/{{trigger.off}}", "true/false" },
		{ "[{{trigger.nothing}}]", "[]" },
		{ "[{{vars.nope}}]", "[]" },
		{ "[{{trigger.labels.alertname.x}}]", "[]" },
		{ "{{trigger.tags}}", "[\"a\",\"b\"]" },
		{ "{{trigger.tags.1}}", "b" },
		{ "{{trigger.obj}}", "{\"k\":\"v\",\"日本\":\"語\"}" },
		{ "{{steps.switch-dns.state}} by {{steps.switch-dns.by}}",
		    "done by tanaka" },
		{ "a }} b {x} {", "a }} b {x} {" },
		{ "{{incident.title}}が発生しました（{{trigger.labels.site}}）",
		    "本社停電が発生しました（東京）" },
		{ "拠点: {{ vars.alt_site }} へ切替", "拠点: osaka へ切替" },
	};
	json_t		*ctx = tt_json(tt_ctx_text);
	struct tmpl	*t;
	char		*why, *out;
	size_t		 i;

	for (i = 0; i < NITEMS(cases); i++) {
		t = tmpl_compile(cases[i].tmpl, tt_check, NULL, &why);
		if (t == NULL)
			fail_msg("case %zu \"%s\": %s", i, cases[i].tmpl, why);
		assert_null(why);
		out = tmpl_render(t, ctx);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, out,
			    cases[i].want);
		free(out);
		/* A NULL context renders every hole empty. */
		free(tmpl_render(t, NULL));
		tmpl_free(t);
	}
	json_decref(ctx);
}

static void
test_compile_errors(void **state)
{
	static const struct {
		const char	*tmpl;
		path_check_fn	 check;
		const char	*want;
	} cases[] = {
		{ "Hello {{name", NULL,
		    "unterminated \"{{\" in \"Hello {{name\"" },
		{ "ok {{vars.x}} then {{", NULL,
		    "unterminated \"{{\" in \"ok {{vars.x}} then {{\"" },
		{ "{{vars.x}", NULL, "unterminated \"{{\"" },
		{ "{{}}", NULL, "empty \"{{}}\" in \"{{}}\"" },
		{ "a {{  }} b", NULL, "empty \"{{}}\" in \"a {{  }} b\"" },
		{ "{{a b}}", NULL, "bad path (use letters" },
		{ "{{東京}}", NULL, "bad path (use letters" },
		{ "{{{vars.x}}}", NULL, "bad path (use letters" },
		{ "{{a..b}}", NULL, "bad path (empty part between dots)" },
		{ "{{.a}}", NULL, "bad path (empty part" },
		{ "{{a.}}", NULL, "bad path (empty part" },
		{ "{{foo.bar}}", tt_check,
		    "unknown root \"foo\" in \"{{foo.bar}}\"" },
		{ "{{vars.a}} {{ trigger }} {{bogus}}", tt_check,
		    "unknown root \"bogus\" in " },
		{ "{{x.y}}", tt_refuse,
		    "path \"x.y\" not allowed here in \"{{x.y}}\"" },
	};
	struct tmpl	*t;
	char		*why;
	size_t		 i;

	for (i = 0; i < NITEMS(cases); i++) {
		t = tmpl_compile(cases[i].tmpl, cases[i].check, NULL, &why);
		if (t != NULL)
			fail_msg("case %zu \"%s\" should not compile", i,
			    cases[i].tmpl);
		if (why == NULL || strncmp(why, cases[i].want,
		    strlen(cases[i].want)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i,
			    why ? why : "(null)", cases[i].want);
		free(why);
	}
}

/* Long templates are shortened in messages without splitting a UTF-8
 * sequence: the message must still be valid UTF-8. */
static void
test_long_message(void **state)
{
	struct buf	 b = { 0 };
	struct tmpl	*t;
	json_t		*j;
	char		*s, *why;
	int		 i;

	for (i = 0; i < 40; i++)
		buf_adds(&b, "東京都");
	buf_adds(&b, "{{vars.x");
	s = buf_steal(&b);
	t = tmpl_compile(s, NULL, NULL, &why);
	assert_null(t);
	assert_non_null(why);
	assert_true(strlen(why) < 140);
	assert_non_null(strstr(why, "...\""));
	j = json_string(why);
	assert_non_null(j);
	json_decref(j);
	free(why);
	free(s);
}

static void
test_check_json(void **state)
{
	static const struct {
		const char	*json;
		const char	*why;		/* NULL: valid */
	} cases[] = {
		{ "{\"url\": \"https://dns.example/{{vars.alt_site}}\","
		    " \"body\": {\"site\": \"{{vars.alt_site}}\", \"n\": 5,"
		    " \"list\": [\"{{incident.id}}\", null, true]}}", NULL },
		{ "\"{{incident.title}}\"", NULL },
		{ "42", NULL },
		{ "{\"{{foo}}\": \"keys are not templates\"}", NULL },
		{ "{\"body\": {\"site\": \"{{foo.bar}}\"}}",
		    "body.site: unknown root \"foo\" in \"{{foo.bar}}\"" },
		{ "[\"ok\", \"{{vars.x\"]",
		    "1: unterminated \"{{\" in \"{{vars.x\"" },
		{ "{\"argv\": [\"/bin/echo\", \"{{ }}\"]}",
		    "argv.1: empty \"{{}}\" in \"{{ }}\"" },
		{ "\"{{foo}}\"", "unknown root \"foo\" in \"{{foo}}\"" },
		{ "{\"text\": \"{{incident.title}}：{{場所}}\"}",
		    "text: bad path" },
	};
	json_t	*j;
	char	*why;
	size_t	 i;
	int	 r;

	for (i = 0; i < NITEMS(cases); i++) {
		j = tt_json(cases[i].json);
		r = tmpl_check_json(j, tt_check, NULL, &why);
		json_decref(j);
		if (cases[i].why == NULL) {
			if (r != 0)
				fail_msg("case %zu: %s", i, why);
			assert_null(why);
			continue;
		}
		assert_int_equal(r, -1);
		if (why == NULL || strncmp(why, cases[i].why,
		    strlen(cases[i].why)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i,
			    why ? why : "(null)", cases[i].why);
		free(why);
	}
}

static void
test_render_json(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "{\"text\": \"{{incident.title}}: {{trigger.count}}\","
		    " \"n\": 5, \"r\": 1.5, \"arr\": [\"{{vars.alt_site}}\", true,"
		    " null, [\"{{trigger.tags.0}}\"]], \"{{k}}\": \"v\"}",
		  "{\"text\": \"本社停電: 3\", \"n\": 5, \"r\": 1.5,"
		    " \"arr\": [\"osaka\", true, null, [\"a\"]], \"{{k}}\": \"v\"}" },
		/* Paths are ASCII; a malformed one is kept as written. */
		{ "\"{{trigger.obj.日本}}\"", "\"{{trigger.obj.日本}}\"" },
		{ "\"{{trigger.obj}}\"", "\"{\\\"k\\\":\\\"v\\\",\\\"日本\\\":\\\"語\\\"}\"" },
		{ "\"{{vars.nope}}\"", "\"\"" },
		{ "\"bad {{x\"", "\"bad {{x\"" },
		{ "[]", "[]" },
		{ "false", "false" },
	};
	json_t	*ctx = tt_json(tt_ctx_text), *in, *copy, *want, *out;
	size_t	 i;

	for (i = 0; i < NITEMS(cases); i++) {
		in = json_loads(cases[i].in, JSON_DECODE_ANY, NULL);
		want = json_loads(cases[i].want, JSON_DECODE_ANY, NULL);
		assert_non_null(in);
		assert_non_null(want);
		copy = json_deep_copy(in);
		out = tmpl_render_json(in, ctx);
		if (!json_equal(out, want)) {
			char *s = json_dumps(out, JSON_ENCODE_ANY);

			fail_msg("case %zu: got %s", i, s);
		}
		/* The input is left alone, and containers are not shared
		 * (true, false and null are jansson singletons). */
		assert_true(json_equal(in, copy));
		if (json_is_object(in) || json_is_array(in))
			assert_true(out != in);
		json_decref(in);
		json_decref(copy);
		json_decref(want);
		json_decref(out);
	}
	assert_null(tmpl_render_json(NULL, ctx));
	json_decref(ctx);
}

static void
test_expand(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "{{incident.id}}: {{incident.title}}", "INC-1: 本社停電" },
		{ "no holes", "no holes" },
		{ "broken {{incident.id", "broken {{incident.id" },
		{ "{{}} kept", "{{}} kept" },
		{ "{{anything.at.all}}", "" },
	};
	json_t	*ctx = tt_json(tt_ctx_text);
	char	*s;
	size_t	 i;

	for (i = 0; i < NITEMS(cases); i++) {
		s = tmpl_expand(cases[i].in, ctx);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
	/* Compiled texts are kept: the same text again, in another
	 * context, and many more texts than the table holds (each pushing
	 * out another) still render as written. */
	for (i = 0; i < NITEMS(cases); i++) {
		s = tmpl_expand_in(cases[i].in, ctx, TC_CHAT);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
	for (i = 0; i < 1000; i++) {
		char in[64], want[64];

		snprintf(in, sizeof in, "%zu {{incident.id}} %zu", i, i % 7);
		snprintf(want, sizeof want, "%zu INC-1 %zu", i, i % 7);
		s = tmpl_expand(in, ctx);
		assert_string_equal(s, want);
		free(s);
		s = tmpl_expand(cases[i % NITEMS(cases)].in, ctx);
		assert_string_equal(s, cases[i % NITEMS(cases)].want);
		free(s);
	}
	tmpl_cache_clear();
	s = tmpl_expand(cases[0].in, ctx);
	assert_string_equal(s, cases[0].want);
	free(s);
	tmpl_cache_clear();
	json_decref(ctx);
}

/* Issue 18: where a value lands decides how it is escaped. */
static const char *tt_hostile_text =
    "{\"trigger\": {\"labels\": {\"host\": \"../../admin/delete?"
    "confirm=yes&x=\", \"at\": \"@other-host:1/x?\", \"dots\": "
    "\"..\", \"jp\": \"東京 本社\"}, \"summary\": \"x\\\", \\\"admin"
    "\\\": true, \\\"y\\\": \\\"\", \"n\": 5, \"chat\": \"<!channel> "
    "<https://evil.example/login|気象庁> & [見て](javascript:alert(1)) "
    "@here\"}, \"vars\": {\"host\": \"127.0.0.1:8053\"}, "
    "\"mention\": \"<@U012AB3CD>\"}";

static void
test_contexts(void **state)
{
	static const struct {
		const char		*tmpl;
		enum tmpl_context	 ctx;
		const char		*want;
	} cases[] = {
		/* Filters, in plain text. */
		{ "{{trigger.labels.host|url}}", TC_TEXT,
		    "..%2F..%2Fadmin%2Fdelete%3Fconfirm%3Dyes%26x%3D" },
		{ "{{ trigger.labels.jp | url }}", TC_TEXT,
		    "%E6%9D%B1%E4%BA%AC%20%E6%9C%AC%E7%A4%BE" },
		{ "{{trigger.labels.dots|url}}", TC_TEXT, "%2E%2E" },
		{ "{{trigger.labels.jp|json}}", TC_TEXT, "\"東京 本社\"" },
		{ "{{trigger.n|json}}", TC_TEXT, "5" },
		{ "{{trigger.none|json}}", TC_TEXT, "null" },
		{ "{{trigger.labels.host}}", TC_TEXT,
		    "../../admin/delete?confirm=yes&x=" },
		/* URLs: the path and query encoded; the host from vars. */
		{ "http://{{vars.host}}/api/hosts/{{trigger.labels.host}}/"
		    "restart", TC_URL, "http://127.0.0.1:8053/api/hosts/"
		    "..%2F..%2Fadmin%2Fdelete%3Fconfirm%3Dyes%26x%3D/restart" },
		{ "http://h/x?q={{trigger.labels.at}}", TC_URL,
		    "http://h/x?q=%40other-host%3A1%2Fx%3F" },
		{ "http://h/{{trigger.labels.dots}}/x", TC_URL,
		    "http://h/%2E%2E/x" },
		{ "http://h/{{trigger.labels.jp|url}}", TC_URL,
		    "http://h/%E6%9D%B1%E4%BA%AC%20%E6%9C%AC%E7%A4%BE" },
		/* JSON text: inside a string escaped, outside a value. */
		{ "{\"summary\": \"{{trigger.summary}}\"}", TC_JSON,
		    "{\"summary\": \"x\\\", \\\"admin\\\": true, "
		    "\\\"y\\\": \\\"\"}" },
		{ "{\"n\": {{trigger.n}}, \"s\": {{trigger.labels.jp}}, "
		    "\"z\": {{trigger.none}}}", TC_JSON,
		    "{\"n\": 5, \"s\": \"東京 本社\", \"z\": null}" },
		{ "{\"esc\": \"a\\\"{{trigger.n}}\"}", TC_JSON,
		    "{\"esc\": \"a\\\"5\"}" },
		/* Chat: markup escaped, the roster's mention as written. */
		{ "【発動】{{trigger.chat}} {{mention}}", TC_CHAT,
		    "【発動】&lt;!channel&gt; &lt;https://evil.example/login|"
		    "気象庁&gt; &amp; [見て]\xe2\x81\xa0(javascript:alert(1)) "
		    "@\xe2\x81\xa0here <@U012AB3CD>" },
	};
	json_t	*ctx = tt_json(tt_hostile_text);
	size_t	 i;

	for (i = 0; i < NITEMS(cases); i++) {
		char		*why = NULL, *got;
		struct tmpl	*t = tmpl_compile(cases[i].tmpl, NULL, NULL,
				    &why);

		if (t == NULL)
			fail_msg("%s: %s", cases[i].tmpl, why);
		got = tmpl_render_in(t, ctx, cases[i].ctx);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s (context %d):\n got  %s\n want %s",
			    cases[i].tmpl, cases[i].ctx, got, cases[i].want);
		free(got);
		tmpl_free(t);
	}
	json_decref(ctx);
}

static void
test_check_url(void **state)
{
	static const struct {
		const char	*url;
		const char	*why;	/* NULL: accepted */
	} cases[] = {
		{ "http://{{vars.host}}/x/{{trigger.labels.host}}", NULL },
		{ "https://api.example/v1/{{trigger.x}}?q={{trigger.y}}", NULL },
		{ "http://{{vars.dns_api}}", NULL },
		{ "http://{{trigger.labels.host}}/x", "would let it choose" },
		{ "http://a.example{{trigger.x}}/y", "would let it choose" },
		{ "http://{{vars.host}}{{incident.id}}/", "would let it choose" },
		{ "http://u:{{trigger.p}}@h/", "would let it choose" },
		{ "{{vars.base}}/x", "starts with http://" },
		{ "ftp://h/{{trigger.x}}", "starts with http://" },
		{ "http://h/{{trigger.x|nope}}", "unknown filter" },
	};
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		char	*why = NULL;
		int	 rc = tmpl_check_url(cases[i].url, &why);

		if (cases[i].why == NULL && rc != 0)
			fail_msg("%s: refused: %s", cases[i].url, why);
		if (cases[i].why != NULL && (rc != -1 || why == NULL ||
		    strstr(why, cases[i].why) == NULL))
			fail_msg("%s: want an error with \"%s\", got %s",
			    cases[i].url, cases[i].why, why ? why : "none");
		free(why);
	}
}

/* An action's with: rendered per key; what would be unsafe is refused. */
static void
test_action_with(void **state)
{
	static const struct {
		const char	*with;
		const char	*want;	/* compact JSON, or NULL: refused */
		const char	*why;
	} cases[] = {
		{ "{\"url\": \"http://{{vars.host}}/h/{{trigger.labels.at}}\","
		    " \"method\": \"POST\"}",
		    "{\"method\":\"POST\",\"url\":\"http://127.0.0.1:8053/h/"
		    "%40other-host%3A1%2Fx%3F\"}", NULL },
		{ "{\"url\": \"http://h/\", \"body\": \"{\\\"s\\\": "
		    "\\\"{{trigger.summary}}\\\"}\"}",
		    "{\"body\":\"{\\\"s\\\": \\\"x\\\\\\\", "
		    "\\\\\\\"admin\\\\\\\": true, \\\\\\\"y\\\\\\\": "
		    "\\\\\\\"\\\"}\",\"url\":\"http://h/\"}", NULL },
		{ "{\"body\": \"{\\\"s\\\": \\\"{{trigger.n}}\"}", NULL,
		    "body: the JSON it renders is not valid" },
		{ "{\"body\": \"plain {{trigger.labels.jp}}\"}",
		    "{\"body\":\"plain 東京 本社\"}", NULL },
		{ "{\"argv\": [\"/bin/x\", \"{{trigger.labels.opt}}\"]}", NULL,
		    "argv.1: the value of {{trigger.labels.opt}} begins with" },
		{ "{\"argv\": [\"/bin/x\", \"--\", \"{{trigger.labels.opt}}\"]}",
		    "{\"argv\":[\"/bin/x\",\"--\",\"-rf\"]}", NULL },
		{ "{\"argv\": [\"/bin/x\", \"--host={{trigger.labels.opt}}\"]}",
		    "{\"argv\":[\"/bin/x\",\"--host=-rf\"]}", NULL },
		{ "{\"argv\": [\"{{vars.cmd}}\", \"{{trigger.n}}\"]}",
		    "{\"argv\":[\"-c\",\"5\"]}", NULL },
	};
	json_t	*ctx = tt_json(tt_hostile_text), *rbctx;
	size_t	 i;

	json_object_set_new(json_object_get(ctx, "trigger") ? json_object_get(
	    json_object_get(ctx, "trigger"), "labels") : NULL, "opt",
	    json_string("-rf"));
	json_object_set_new(json_object_get(ctx, "vars"), "cmd",
	    json_string("-c"));
	rbctx = json_deep_copy(ctx);
	for (i = 0; i < NITEMS(cases); i++) {
		json_t	*with = tt_json(cases[i].with), *out;
		char	*why = NULL, *origin = NULL, *got;

		out = action_with_render(with, ctx, rbctx, &origin, &why);
		if (cases[i].want == NULL) {
			if (out != NULL || why == NULL ||
			    strstr(why, cases[i].why) == NULL)
				fail_msg("%s: want refused (%s), got %s",
				    cases[i].with, cases[i].why, why ? why :
				    "accepted");
		} else {
			if (out == NULL)
				fail_msg("%s: refused: %s", cases[i].with, why);
			got = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
			if (strcmp(got, cases[i].want) != 0)
				fail_msg("%s:\n got  %s\n want %s",
				    cases[i].with, got, cases[i].want);
			free(got);
		}
		free(why);
		free(origin);
		json_decref(out);
		json_decref(with);
	}
	/* An activation that moved the host: refused. */
	{
		json_t	*with = tt_json("{\"url\": \"http://{{vars.host}}/x\"}");
		char	*why = NULL, *origin = NULL;

		json_object_set_new(json_object_get(ctx, "vars"), "host",
		    json_string("evil.example:80"));
		assert_null(action_with_render(with, ctx, rbctx, &origin, &why));
		assert_non_null(strstr(why, "not to http://127.0.0.1:8053"));
		free(why);
		json_decref(with);
	}
	json_decref(rbctx);
	json_decref(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_long_message),
		cmocka_unit_test(test_check_json),
		cmocka_unit_test(test_render_json),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_contexts),
		cmocka_unit_test(test_check_url),
		cmocka_unit_test(test_action_with),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
