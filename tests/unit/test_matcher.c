/* Matchers: every operator both ways, missing paths, `any` over a
 * P2PQuake-shaped payload, whole-string regexes, load errors with their
 * positions, the path checker and the JSON form. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/diag.h"
#include "model/matcher.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

#define NITEMS(a) (sizeof (a) / sizeof (a)[0])

static const char *tm_ctx_text =
    "{\"labels\": {\"alertname\": \"PrimarySiteDown\","
    " \"severity\": \"critical\", \"count\": \"55\", \"site\": \"東京\"},"
    " \"n\": 55, \"r\": 2.5, \"flag\": true, \"off\": false,"
    " \"nul\": null, \"s\": \"abc\", \"list\": [1, 2, 3],"
    " \"points\": [{\"pref\": \"東京都\", \"scale\": 60},"
    " {\"pref\": \"神奈川県\", \"scale\": 50}, {\"pref\": \"x\"},"
    " {\"pref\": \"埼玉県\", \"scale\": 45}]}";

/* The shape of a P2PQuake code 551 (earthquake information) event. */
static const char *tm_quake_text =
    "{\"code\": 551, \"issue\": {\"source\": \"気象庁\","
    " \"type\": \"DetailScale\"},"
    " \"earthquake\": {\"maxScale\": 60, \"domesticTsunami\": \"None\","
    " \"hypocenter\": {\"name\": \"東京都２３区\", \"magnitude\": 7.1}},"
    " \"points\": ["
    " {\"pref\": \"東京都\", \"addr\": \"東京千代田区大手町\", \"scale\": 60},"
    " {\"pref\": \"東京都\", \"addr\": \"東京新宿区西新宿\", \"scale\": 55},"
    " {\"pref\": \"神奈川県\", \"addr\": \"横浜中区山手町\", \"scale\": 50},"
    " {\"pref\": \"埼玉県\", \"addr\": \"さいたま浦和区高砂\", \"scale\": 45}"
    "]}";

struct tm_case {
	const char	*yaml;
	int		 want;
};

static json_t *
tm_json(const char *text)
{
	json_error_t	 err;
	json_t		*j = json_loads(text, 0, &err);

	if (j == NULL)
		fail_msg("bad test JSON: %s", err.text);
	return j;
}

/* Refuses the root "foo", as the runbook loader refuses unknown roots. */
static int
tm_check(const char *path, void *arg, char **why)
{
	int *calls = arg;

	if (calls != NULL)
		(*calls)++;
	if (strcmp(path, "foo") == 0 || strncmp(path, "foo.", 4) == 0) {
		*why = xstrdup("unknown root \"foo\"");
		return -1;
	}
	return 0;
}

/* Compiles the root (or the value of "m" when sub is set) of a YAML
 * snippet named t.yaml. */
static struct matcher *
tm_compile(const char *yaml, int sub, struct diags *d, void *arg)
{
	struct ydoc	*doc;
	struct matcher	*m;

	doc = ydoc_parse("t.yaml", yaml, strlen(yaml), d);
	if (doc == NULL || doc->root == NULL)
		fail_msg("bad test YAML: %s", d->n ? d->msgs[0] : yaml);
	m = matcher_compile(sub ? ymap_get(doc->root, "m") : doc->root,
	    "t.yaml", d, tm_check, arg);
	ydoc_free(doc);
	return m;
}

static void
tm_run(const struct tm_case *cases, size_t n, const char *ctxtext)
{
	json_t		*ctx = tm_json(ctxtext);
	struct matcher	*m;
	struct diags	 d = { 0 };
	size_t		 i;

	for (i = 0; i < n; i++) {
		m = tm_compile(cases[i].yaml, 0, &d, NULL);
		if (m == NULL)
			fail_msg("case %zu \"%s\": %s", i, cases[i].yaml,
			    d.n ? d.msgs[0] : "?");
		if (matcher_eval(m, ctx) != cases[i].want)
			fail_msg("case %zu \"%s\": want %d", i, cases[i].yaml,
			    cases[i].want);
		matcher_free(m);
	}
	assert_int_equal(d.n, 0);
	diag_free(&d);
	json_decref(ctx);
}

static void
test_json_path(void **state)
{
	static const struct {
		const char	*path;
		const char	*want;	/* compact JSON, NULL when absent */
	} cases[] = {
		{ "labels.alertname", "\"PrimarySiteDown\"" },
		{ "labels.site", "\"東京\"" },
		{ "n", "55" },
		{ "nul", "null" },
		{ "points.0.pref", "\"東京都\"" },
		{ "points.3.scale", "45" },
		{ "points.1", "{\"pref\":\"神奈川県\",\"scale\":50}" },
		{ "list.2", "3" },
		{ "list.3", NULL },
		{ "list.-1", NULL },
		{ "list.x", NULL },
		{ "list.9999999999", NULL },
		{ "points.2.scale", NULL },
		{ "labels.nope", NULL },
		{ "s.x", NULL },
		{ "n.0", NULL },
		{ "", NULL },
		{ ".labels", NULL },
		{ "labels.", NULL },
		{ "labels..alertname", NULL },
	};
	json_t	*ctx = tm_json(tm_ctx_text), *v;
	char	*s;
	size_t	 i;

	for (i = 0; i < NITEMS(cases); i++) {
		v = json_path(ctx, cases[i].path);
		if (cases[i].want == NULL) {
			if (v != NULL)
				fail_msg("\"%s\" should be absent",
				    cases[i].path);
			continue;
		}
		if (v == NULL)
			fail_msg("\"%s\" not found", cases[i].path);
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
	assert_null(json_path(NULL, "n"));
	json_decref(ctx);
}

static void
test_equality(void **state)
{
	static const struct tm_case cases[] = {
		{ "labels.alertname: PrimarySiteDown", 1 },
		{ "labels.alertname: primarysitedown", 0 },
		{ "labels.alertname: Other", 0 },
		{ "labels.missing: x", 0 },
		{ "labels.site: 東京", 1 },
		{ "labels.site: 大阪", 0 },
		{ "n: 55", 1 },
		{ "n: 56", 0 },
		{ "n: \"55\"", 1 },
		{ "n: 55.0", 1 },
		{ "labels.count: 55", 1 },
		{ "labels.count: 55.0", 1 },
		{ "labels.count: \"55.0\"", 0 },
		{ "r: 2.5", 1 },
		{ "flag: true", 1 },
		{ "flag: false", 0 },
		{ "flag: \"true\"", 1 },
		{ "off: false", 1 },
		{ "flag: 1", 0 },
		{ "nul: null", 1 },
		{ "nul: ~", 1 },
		{ "nul: x", 0 },
		{ "nope: null", 0 },
		{ "s: abc", 1 },
		{ "s: ABC", 0 },
		{ "list: [1, 2, 3]", 1 },
		{ "list: [1, 2]", 0 },
		{ "points.0.pref: 東京都", 1 },
		{ "points.9.pref: 東京都", 0 },
		{ "{labels.alertname: PrimarySiteDown, labels.severity: critical}",
		    1 },
		{ "{labels.alertname: PrimarySiteDown, labels.severity: page}",
		    0 },
		{ "labels.alertname: {\"=\": PrimarySiteDown}", 1 },
		{ "labels.alertname: {\"=\": Other}", 0 },
		{ "labels.alertname: {\"!=\": Other}", 1 },
		{ "labels.alertname: {\"!=\": PrimarySiteDown}", 0 },
		{ "labels.nope: {\"!=\": x}", 1 },
		{ "n: {\"!=\": \"55\"}", 0 },
	};

	tm_run(cases, NITEMS(cases), tm_ctx_text);
}

static void
test_regex(void **state)
{
	static const struct tm_case cases[] = {
		{ "labels.alertname: {=~: \"Primary.*\"}", 1 },
		{ "labels.alertname: {=~: \"Site\"}", 0 },
		{ "labels.alertname: {=~: \".*Site.*\"}", 1 },
		{ "labels.alertname: {=~: \"primary.*\"}", 0 },
		{ "labels.alertname: {=~: \"Foo|PrimarySiteDown\"}", 1 },
		{ "labels.alertname: {=~: \"PrimarySiteDown|Foo\"}", 1 },
		{ "labels.alertname: {=~: \"Primary|Down\"}", 0 },
		{ "labels.alertname: {=~: \"[A-Z][a-z]+SiteDown\"}", 1 },
		{ "labels.site: {=~: \"東.*\"}", 1 },
		{ "labels.site: {=~: \"京\"}", 0 },
		{ "labels.nope: {=~: \".*\"}", 0 },
		{ "n: {=~: \"5+\"}", 1 },
		{ "n: {=~: 55}", 1 },
		{ "r: {=~: \"2\\\\.5\"}", 1 },
		{ "flag: {=~: \"t.*\"}", 1 },
		{ "nul: {=~: \".*\"}", 0 },
		{ "list: {=~: \".*\"}", 0 },
		{ "labels.alertname: {\"!~\": \"Site\"}", 1 },
		{ "labels.alertname: {\"!~\": \"Primary.*\"}", 0 },
		{ "labels.nope: {\"!~\": \"x\"}", 0 },
		{ "labels.severity: {=~: \"crit.*\", \"!~\": \".*al\"}", 0 },
		{ "labels.severity: {=~: \"crit.*\", \"!~\": \"page\"}", 1 },
	};

	tm_run(cases, NITEMS(cases), tm_ctx_text);
}

static void
test_compare(void **state)
{
	static const struct tm_case cases[] = {
		{ "n: {\">\": 50}", 1 },
		{ "n: {\">\": 55}", 0 },
		{ "n: {\">=\": 55}", 1 },
		{ "n: {\">=\": 56}", 0 },
		{ "n: {\"<\": 55}", 0 },
		{ "n: {\"<\": 100}", 1 },
		{ "n: {\"<=\": 55}", 1 },
		{ "n: {\"<=\": 54.9}", 0 },
		{ "n: {\">\": \"50\"}", 1 },
		{ "n: {\">\": 50, \"<\": 60}", 1 },
		{ "n: {\">\": 50, \"<\": 55}", 0 },
		{ "r: {\">\": 2}", 1 },
		{ "r: {\"<\": 2.6}", 1 },
		{ "r: {\">=\": 2.5, \"<=\": 2.5}", 1 },
		{ "labels.count: {\">=\": 50}", 1 },
		{ "labels.count: {\"<\": 50}", 0 },
		{ "labels.alertname: {\">\": 1}", 0 },
		{ "labels.alertname: {\"<\": 1}", 0 },
		{ "flag: {\">\": 0}", 0 },
		{ "nul: {\">=\": 0}", 0 },
		{ "labels.nope: {\">\": 0}", 0 },
		{ "labels.nope: {\"<\": 0}", 0 },
	};

	tm_run(cases, NITEMS(cases), tm_ctx_text);
}

static void
test_in_exists(void **state)
{
	static const struct tm_case cases[] = {
		{ "labels.severity: {in: [critical, page]}", 1 },
		{ "labels.severity: {in: [warning]}", 0 },
		{ "labels.severity: {in: []}", 0 },
		{ "labels.nope: {in: [x]}", 0 },
		{ "n: {in: [1, 55]}", 1 },
		{ "labels.count: {in: [55, 56]}", 1 },
		{ "labels.site: {in: [大阪, 東京]}", 1 },
		{ "labels.severity: {not_in: [warning, info]}", 1 },
		{ "labels.severity: {not_in: [critical]}", 0 },
		{ "labels.nope: {not_in: [x]}", 1 },
		{ "n: {not_in: [\"55\"]}", 0 },
		{ "labels.severity: {exists: true}", 1 },
		{ "labels.severity: {exists: false}", 0 },
		{ "labels.nope: {exists: false}", 1 },
		{ "labels.nope: {exists: true}", 0 },
		{ "nul: {exists: true}", 1 },
		{ "points.3: {exists: true}", 1 },
		{ "points.4: {exists: true}", 0 },
		{ "labels.severity: {exists: true, in: [critical], \"!=\": x}",
		    1 },
	};

	tm_run(cases, NITEMS(cases), tm_ctx_text);
}

static void
test_any(void **state)
{
	static const struct tm_case cases[] = {
		{ "points: {any: {pref: 東京都, scale: {\">=\": 50}}}", 1 },
		{ "points: {any: {pref: 東京都, scale: {\">=\": 70}}}", 0 },
		{ "points: {any: {pref: 大阪府}}", 0 },
		{ "points: {any: {pref: 神奈川県, scale: {\">=\": 50}}}", 1 },
		/* Both conditions must hold for the same element. */
		{ "points: {any: {pref: 神奈川県, scale: {\">=\": 55}}}", 0 },
		{ "points: {any: {addr: {=~: \"東京.*\"}, scale: 55}}", 1 },
		{ "points: {any: {scale: {\"<\": 45}}}", 0 },
		{ "points: {any: {scale: {\"<=\": 45}}}", 1 },
		{ "points: {any: {pref: {in: [埼玉県, 千葉県]}}}", 1 },
		{ "{code: 551, earthquake.maxScale: {\">=\": 55},"
		    " points: {any: {pref: {in: [東京都, 神奈川県]},"
		    " scale: {\">=\": 55}}}}", 1 },
		{ "{code: 552, points: {any: {pref: 東京都}}}", 0 },
		{ "issue.type: {=~: \"Detail.*\"}", 1 },
		{ "earthquake.hypocenter.name: {=~: \"東京都.*\"}", 1 },
		{ "earthquake.hypocenter.magnitude: {\">=\": 7}", 1 },
		{ "earthquake.domesticTsunami: {not_in: [Warning, Watch]}", 1 },
		{ "issue: {any: {type: DetailScale}}", 0 },
		{ "nope: {any: {pref: 東京都}}", 0 },
		{ "points.0: {any: {pref: 東京都}}", 0 },
	};

	tm_run(cases, NITEMS(cases), tm_quake_text);
}

static void
test_load_errors(void **state)
{
	static const struct {
		const char	*yaml;
		const char	*want;	/* prefix of the first message */
		size_t		 nerrors;
	} cases[] = {
		{ "m:\n  a: 1\n  b:\n    \"~=\": 1\n",
		    "t.yaml:4:5: unknown operator \"~=\" for \"b\" (known: =, "
		    "!=, =~, !~, >, >=, <, <=, in, not_in, exists, any)", 1 },
		{ "m:\n  a:\n    \"~=\": 1\n",
		    "t.yaml:3:5: unknown operator \"~=\" for \"a\"", 1 },
		{ "m:\n  a:\n    =~: \"(unclosed\"\n",
		    "t.yaml:3:9: bad regular expression \"(unclosed\" for "
		    "\"a\": ", 1 },
		{ "m:\n  a:\n    =~: ~\n",
		    "t.yaml:3:9: \"=~\" for \"a\" needs a regular expression, "
		    "not null", 1 },
		{ "m:\n  a:\n    in: x\n",
		    "t.yaml:3:9: \"in\" for \"a\" needs a list, not a string",
		    1 },
		{ "m:\n  a:\n    not_in: 5\n",
		    "t.yaml:3:13: \"not_in\" for \"a\" needs a list, not a "
		    "number", 1 },
		{ "m:\n  a:\n    in: [x, {y: 1}]\n",
		    "t.yaml:3:13: items of \"in\" for \"a\" must be plain "
		    "values, not a map", 1 },
		{ "m:\n  a:\n    exists: maybe\n",
		    "t.yaml:3:13: \"exists\" for \"a\" must be true or false, "
		    "not a string", 1 },
		{ "m:\n  a:\n    exists: \"true\"\n",
		    "t.yaml:3:13: \"exists\" for \"a\" must be true or false", 1 },
		{ "m:\n  a:\n    \">=\": high\n",
		    "t.yaml:3:11: \">=\" for \"a\" needs a number, not a string",
		    1 },
		{ "m:\n  a:\n    \"<\": [1]\n",
		    "t.yaml:3:10: \"<\" for \"a\" needs a number, not a list", 1 },
		{ "m:\n  a:\n    \"=\": {b: 1}\n",
		    "t.yaml:3:10: \"=\" for \"a\" takes a value, not a map", 1 },
		{ "m:\n  a:\n    any: x\n",
		    "t.yaml:3:10: \"any\" for \"a\" needs a map of paths", 1 },
		{ "m:\n  points:\n    any: {scale: {\">>\": 5}}\n",
		    "t.yaml:3:19: unknown operator \">>\" for \"scale\"", 1 },
		{ "m:\n  points:\n    any: {}\n",
		    "t.yaml:3:10: empty matcher", 1 },
		{ "m: {}\n", "t.yaml:1:4: empty matcher", 1 },
		{ "m: [a, b]\n",
		    "t.yaml:1:4: a matcher must be a map of paths, not a list",
		    1 },
		{ "m: x\n",
		    "t.yaml:1:4: a matcher must be a map of paths, not a value",
		    1 },
		{ "m:\n  a: {}\n", "t.yaml:2:6: empty operator map for \"a\"", 1 },
		{ "m:\n  a..b: 1\n", "t.yaml:2:3: bad path \"a..b\"", 1 },
		{ "m:\n  labels.a: 1\n  foo.bar: 2\n",
		    "t.yaml:3:3: unknown root \"foo\"", 1 },
		{ "m:\n  foo: 1\n  a:\n    \"~\": 1\n    in: 3\n",
		    "t.yaml:2:3: unknown root \"foo\"", 3 },
	};
	struct diags	 d = { 0 };
	struct matcher	*m;
	size_t		 i;

	for (i = 0; i < NITEMS(cases); i++) {
		m = tm_compile(cases[i].yaml, 1, &d, NULL);
		if (m != NULL)
			fail_msg("case %zu should not compile", i);
		if (d.n == 0)
			fail_msg("case %zu: no message", i);
		if (strncmp(d.msgs[0], cases[i].want,
		    strlen(cases[i].want)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i,
			    d.msgs[0], cases[i].want);
		assert_int_equal(d.nerrors, cases[i].nerrors);
		diag_free(&d);
	}
}

/* Only top-level paths reach the checker; inside `any` they are relative
 * to the element and would be refused as unknown roots. */
static void
test_check_callback(void **state)
{
	struct diags	 d = { 0 };
	struct matcher	*m;
	int		 calls = 0;

	m = tm_compile("{labels.a: 1, points: {any: {foo: 1, foo.x: 2}}}", 0,
	    &d, &calls);
	assert_non_null(m);
	assert_int_equal(calls, 2);
	assert_int_equal(d.n, 0);
	matcher_free(m);
	assert_int_equal(matcher_eval(NULL, NULL), 1);
}

static void
test_compile_json(void **state)
{
	static const struct {
		const char	*json;
		int		 want;		/* -1: compile error */
		const char	*why;		/* prefix */
	} cases[] = {
		{ "{\"labels.severity\": {\"in\": [\"critical\"]}}", 1, NULL },
		{ "{\"labels.severity\": \"critical\"}", 1, NULL },
		{ "{\"labels.severity\": \"page\"}", 0, NULL },
		{ "{\"n\": {\">\": 50, \"<=\": 55}}", 1, NULL },
		{ "{\"n\": {\"=~\": 55}}", 1, NULL },
		{ "{\"labels.alertname\": {\"=~\": \"Site\"}}", 0, NULL },
		{ "{\"points\": {\"any\": {\"pref\": \"東京都\","
		    " \"scale\": {\">=\": 60}}}}", 1, NULL },
		{ "{\"points\": {\"any\": {\"scale\": {\">\": 60}}}}", 0, NULL },
		{ "{\"labels.nope\": {\"exists\": false}}", 1, NULL },
		{ "{\"a\": {\"~=\": 1}}", -1,
		    "unknown operator \"~=\" for \"a\" (known: =, !=" },
		{ "{\"a\": {\"=~\": \"(x\"}}", -1,
		    "bad regular expression \"(x\" for \"a\": " },
		{ "{\"a\": {\"in\": \"x\"}}", -1,
		    "\"in\" for \"a\" needs a list, not a string" },
		{ "{\"a\": {\"exists\": 1}}", -1,
		    "\"exists\" for \"a\" must be true or false, not a number" },
		{ "{\"a\": {\">\": \"x\"}}", -1,
		    "\">\" for \"a\" needs a number, not a string" },
		{ "{\"a\": {\"any\": []}}", -1,
		    "\"any\" for \"a\" needs a map of paths" },
		{ "{\"a\": {}}", -1, "empty operator map for \"a\"" },
		{ "{}", -1, "empty matcher" },
		{ "[]", -1, "a matcher must be a map of paths, not a list" },
		{ "{\"a..b\": 1, \"c\": {\"~\": 1}}", -1, "bad path \"a..b\"" },
	};
	json_t		*ctx = tm_json(tm_ctx_text), *j;
	struct matcher	*m;
	char		*why;
	size_t		 i;

	for (i = 0; i < NITEMS(cases); i++) {
		j = tm_json(cases[i].json);
		m = matcher_compile_json(j, &why);
		json_decref(j);
		if (cases[i].want == -1) {
			if (m != NULL || why == NULL)
				fail_msg("case %zu should not compile", i);
			if (strncmp(why, cases[i].why, strlen(cases[i].why)))
				fail_msg("case %zu: got \"%s\"", i, why);
			free(why);
			continue;
		}
		if (m == NULL)
			fail_msg("case %zu: %s", i, why);
		assert_null(why);
		if (matcher_eval(m, ctx) != cases[i].want)
			fail_msg("case %zu: want %d", i, cases[i].want);
		matcher_free(m);
	}
	assert_null(matcher_compile_json(NULL, &why));
	free(why);
	json_decref(ctx);
}

/* A matcher stored as the JSON its YAML became behaves the same. */
static void
test_yaml_json_roundtrip(void **state)
{
	static const char *yaml =
	    "{labels.alertname: {=~: \"Primary.*\"}, n: {\">=\": 55},"
	    " labels.count: 55, points: {any: {pref: 東京都}},"
	    " labels.site: {=~: 東京}}";
	struct diags	 d = { 0 };
	struct ydoc	*doc;
	struct matcher	*m;
	json_t		*ctx = tm_json(tm_ctx_text), *j;
	char		*why;

	doc = ydoc_parse("t.yaml", yaml, strlen(yaml), &d);
	assert_non_null(doc);
	j = ynode_json(doc->root);
	ydoc_free(doc);
	m = matcher_compile_json(j, &why);
	json_decref(j);
	assert_non_null(m);
	assert_int_equal(matcher_eval(m, ctx), 1);
	matcher_free(m);
	json_decref(ctx);
	diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_path),
		cmocka_unit_test(test_equality),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_in_exists),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_check_callback),
		cmocka_unit_test(test_compile_json),
		cmocka_unit_test(test_yaml_json_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
