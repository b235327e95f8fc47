/* Unit tests of daemon/hooks.c: every shipped example body decodes into
 * the triggers runbooks expect, and every malformed one is refused with a
 * message that says where or what. Fixtures live in tests/fixtures/hooks
 * (KZ_FIXTURES overrides the directory). */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "model/hooks.h"
#include "common/sig.h"
#include "common/xmalloc.h"

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])
#define MAXCHECKS	20

/* The fixture directory: $KZ_FIXTURES, else next to this source file. */
static char *
th_fixture_path(const char *name)
{
	const char	*dir = getenv("KZ_FIXTURES"), *slash;

	if (dir != NULL)
		return xprintf("%s/%s", dir, name);
	slash = strrchr(__FILE__, '/');
	if (slash == NULL)
		return xprintf("../fixtures/hooks/%s", name);
	return xprintf("%.*s/../fixtures/hooks/%s", (int)(slash - __FILE__),
	    __FILE__, name);
}

static char *
th_read(const char *name, size_t *len)
{
	struct buf	 b = { 0 };
	char		*path, chunk[4096];
	size_t		 n;
	FILE		*f;

	path = th_fixture_path(name);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open fixture %s", path);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	free(path);
	*len = b.len;
	return buf_steal(&b);
}

/* Follows a dotted path; a numeric component indexes an array. */
static json_t *
th_get(json_t *doc, const char *path)
{
	char	*copy, *p, *dot, *end;
	long	 idx;

	copy = xstrdup(path);
	for (p = copy; doc != NULL && p != NULL; p = dot) {
		if ((dot = strchr(p, '.')) != NULL)
			*dot++ = '\0';
		if (json_is_array(doc)) {
			idx = strtol(p, &end, 10);
			doc = *end == '\0' ? json_array_get(doc, (size_t)idx) :
			    NULL;
		} else
			doc = json_object_get(doc, p);
	}
	free(copy);
	return doc;
}

struct th_check {
	const char	*path;
	const char	*json;	/* NULL: must be absent */
};

static void
th_check_fields(const char *what, json_t *doc, const struct th_check *c)
{
	json_t	*got, *want;
	char	*s;

	for (; c->path != NULL; c++) {
		got = th_get(doc, c->path);
		if (c->json == NULL) {
			if (got != NULL)
				fail_msg("%s: %s present", what, c->path);
			continue;
		}
		want = json_loads(c->json, JSON_DECODE_ANY, NULL);
		assert_non_null(want);
		if (got == NULL || !json_equal(got, want)) {
			s = got == NULL ? NULL : json_dumps(got,
			    JSON_ENCODE_ANY);
			fail_msg("%s: %s is %s, want %s", what, c->path,
			    s != NULL ? s : "(absent)", c->json);
		}
		json_decref(want);
	}
}

#define AM_GROUPKEY	"\"{}/{severity=\\\"critical\\\"}:" \
			"{alertname=\\\"PrimarySiteDown\\\"}\""
#define GF_GROUPKEY	"\"{}:{alertname=\\\"VPNCapacityLow\\\"}\""

static const struct th_example {
	const char	*file;
	const char	*format;
	size_t		 n;		/* triggers expected */
	size_t		 idx;		/* the one inspected */
	const char	*fingerprint;
	int		 resolved;
	int		 drill;
	int		 correction;
	struct th_check	 checks[MAXCHECKS];
} th_examples[] = {
	{ "alertmanager-v4.json", "alertmanager", 1, 0, "5b1c0f9e2a7d4c31",
	  0, 0, 0, {
		{ "status", "\"firing\"" },
		{ "labels.alertname", "\"PrimarySiteDown\"" },
		{ "labels.instance", "\"probe-1\"" },
		{ "annotations.description",
		  "\"blackbox probes to hq failed for 5m\"" },
		{ "startsAt", "\"2026-11-20T01:02:03.456Z\"" },
		{ "endsAt", "\"0001-01-01T00:00:00Z\"" },
		{ "fingerprint", "\"5b1c0f9e2a7d4c31\"" },
		{ "groupKey", AM_GROUPKEY },
		{ "groupLabels", "{\"alertname\": \"PrimarySiteDown\"}" },
		{ "commonLabels.site", "\"hq\"" },
		{ "commonAnnotations.summary",
		  "\"Primary data centre unreachable from all probes\"" },
		{ "externalURL", "\"http://127.0.0.1:9093\"" },
		{ "receiver", "\"keizoku\"" },
		{ "truncatedAlerts", "0" },
		{ "groupStatus", "\"firing\"" },
		{ "version", "\"4\"" },
		{ "notification_reason", NULL },
		{ "alerts", NULL },
		{ NULL, NULL } } },
	{ "alertmanager-multi.json", "alertmanager", 3, 0,
	  "aa11bb22cc33dd44", 0, 0, 0, {
		{ "labels.site", "\"本社\"" },
		{ "annotations.summary", "\"本社ビル 停電 / HQ power outage\"" },
		{ "truncatedAlerts", "2" },
		{ "groupStatus", "\"firing\"" },
		{ "futureGroupField", NULL },
		{ NULL, NULL } } },
	/* no fingerprint: sha256 of the sorted compact labels */
	{ "alertmanager-multi.json", "alertmanager", 3, 1,
	  "cbffa9697499eb13561952c46d7f5995be7563d0a49f16c01c313a2cd80f6f18",
	  1, 0, 0, {
		{ "status", "\"resolved\"" },
		{ "groupStatus", "\"firing\"" },
		{ "labels.site", "\"大阪\"" },
		{ "fingerprint", NULL },
		{ NULL, NULL } } },
	/* empty fingerprint: same; unknown alert members ride along */
	{ "alertmanager-multi.json", "alertmanager", 3, 2,
	  "8f0273ccee074f449bd89ed46f29c4e56fa4f9ccf2c1d28c4218325f0d935d43",
	  0, 1, 0, {
		{ "labels.keizoku_drill", "\"true\"" },
		{ "futureAlertField", "42" },
		{ NULL, NULL } } },
	{ "grafana-v1.json", "grafana", 1, 0, "c6eadffa33fcdf37", 0, 0, 0, {
		{ "status", "\"firing\"" },
		{ "labels.grafana_folder", "\"continuity\"" },
		{ "values", "{\"B\": 0.92, \"C\": 1}" },
		{ "valueString", "\"[ var='B' labels={} value=0.92 ], "
		  "[ var='C' labels={} value=1 ]\"" },
		{ "silenceURL",
		  "\"http://127.0.0.1:3000/alerting/silence/new\"" },
		{ "dashboardURL", "\"\"" },
		{ "panelURL", "\"\"" },
		{ "groupKey", GF_GROUPKEY },
		{ "groupStatus", "\"firing\"" },
		{ "title", "\"[FIRING:1] VPNCapacityLow continuity "
		  "(warning)\"" },
		{ "state", "\"alerting\"" },
		{ "message", "\"**Firing**\\n\\nVPN concentrator at 92% of "
		  "licensed sessions\"" },
		{ "orgId", "1" },
		{ "version", "\"1\"" },
		{ "receiver", "\"keizoku\"" },
		{ "commonLabels.severity", "\"warning\"" },
		{ "externalURL", "\"http://127.0.0.1:3000/\"" },
		{ "truncatedAlerts", "0" },
		{ NULL, NULL } } },
	{ "grafana-resolved.json", "grafana", 1, 0, "c6eadffa33fcdf37",
	  1, 1, 0, {
		{ "groupStatus", "\"resolved\"" },
		{ "state", "\"ok\"" },
		{ "values", "null" },
		{ "annotations.summary", "\"VPN 同時接続数 正常化\"" },
		{ NULL, NULL } } },
	{ "p2pquake-551.json", "p2pquake", 1, 0,
	  "quake:2026/11/20 03:12", 0, 0, 0, {
		{ "code", "551" },
		{ "earthquake.maxScale", "60" },
		{ "earthquake.hypocenter.name", "\"東京都２３区\"" },
		{ "earthquake.hypocenter.magnitude", "7.1" },
		{ "issue.source", "\"気象庁\"" },
		{ "issue.type", "\"DetailScale\"" },
		{ "points.0.pref", "\"東京都\"" },
		{ "points.0.addr", "\"東京千代田区大手町\"" },
		{ "points.0.scale", "60" },
		{ "points.3.pref", "\"埼玉県\"" },
		{ "points.4", NULL },
		{ NULL, NULL } } },
	/* a later correction of the same quake: same fingerprint, no
	 * "points" in the body but an empty array in the document */
	{ "p2pquake-551-correction.json", "p2pquake", 1, 0,
	  "quake:2026/11/20 03:12", 0, 0, 1, {
		{ "issue.correct", "\"ScaleOnly\"" },
		{ "earthquake.maxScale", "70" },
		{ "points", "[]" },
		{ NULL, NULL } } },
	{ "p2pquake-551-drill.json", "p2pquake", 1, 0,
	  "quake:2026/11/20 09:58", 0, 1, 0, {
		{ "control.status", "\"訓練\"" },
		{ "points.0.isArea", "true" },
		{ NULL, NULL } } },
	/* tsunami forecasts: the graded areas, one key for all of them */
	{ "p2pquake-552.json", "p2pquake", 1, 0, "tsunami", 0, 0, 0, {
		{ "areas.0.grade", "\"Watch\"" },
		{ "areas.0.name", "\"東京湾内湾\"" },
		{ "cancelled", "false" },
		{ NULL, NULL } } },
	/* every advisory lifted (解除): a resolution */
	{ "p2pquake-552-lifted.json", "p2pquake", 1, 0, "tsunami", 1, 0, 0, {
		{ "areas", "[]" },
		{ NULL, NULL } } },
	/* EEW warning: per-area forecast intensity ranges, keyed like the
	 * reports of the quake that follow */
	{ "p2pquake-556.json", "p2pquake", 1, 0, "quake:2024/01/16 18:42", 0,
	  0, 0, {
		{ "areas.0.name", "\"石川県能登\"" },
		{ "areas.0.scaleFrom", "40" },
		{ "areas.0.scaleTo", "45" },
		{ "areas.1.arrivalTime", "\"2024/01/16 18:42:31\"" },
		{ "earthquake.hypocenter.magnitude", "5.7" },
		{ "issue.eventId", "\"20240116184216\"" },
		{ NULL, NULL } } },
	{ "p2pquake-554.json", "p2pquake", 0, 0, NULL, 0, 0, 0, {
		{ NULL, NULL } } },
	{ "json-generic.json", "json", 1, 0,
	  "198ff9a5cb45b297c40a15805b341734561f64b18f6c34ca9452239b91a11ce3",
	  0, 0, 0, {
		{ "site", "\"本社\"" },
		{ "details.floors.2", "5" },
		{ "details.message", "\"避難指示 / evacuate\"" },
		{ NULL, NULL } } },
	/* any object decodes as json, even another format's body */
	{ "alertmanager-v4.json", "json", 1, 0, NULL, 0, 0, 0, {
		{ "alerts.0.labels.site", "\"hq\"" },
		{ "notification_reason", "\"first notification\"" },
		{ NULL, NULL } } },
};

static void
test_examples(void **state)
{
	const struct th_example	*e;
	struct trigger		*tv;
	char			*body, *why, what[128];
	size_t			 i, n, len;

	for (i = 0; i < NELEM(th_examples); i++) {
		e = &th_examples[i];
		snprintf(what, sizeof what, "%s as %s [%zu]", e->file,
		    e->format, e->idx);
		body = th_read(e->file, &len);
		if (hook_decode(e->format, body, len, &tv, &n, &why) != 0)
			fail_msg("%s: %s", what, why);
		assert_null(why);
		if (n != e->n)
			fail_msg("%s: %zu triggers, want %zu", what, n, e->n);
		if (n == 0)
			assert_null(tv);
		else {
			assert_non_null(tv[e->idx].doc);
			assert_non_null(tv[e->idx].fingerprint);
			if (e->fingerprint != NULL)
				assert_string_equal(tv[e->idx].fingerprint,
				    e->fingerprint);
			assert_int_equal(tv[e->idx].resolved, e->resolved);
			assert_int_equal(tv[e->idx].drill, e->drill);
			assert_int_equal(tv[e->idx].correction,
			    e->correction);
			th_check_fields(what, tv[e->idx].doc, e->checks);
		}
		triggers_free(tv, n);
		free(body);
	}
}

/* The label fingerprint depends on the labels, not on their order or
 * the whitespace of the body. */
static void
test_label_fingerprint(void **state)
{
	static const char *const bodies[] = {
		"{\"alerts\":[{\"status\":\"firing\",\"labels\":"
		    "{\"a\":\"1\",\"b\":\"2\"}}]}",
		"{\"alerts\": [ {\"labels\": {\"b\": \"2\", \"a\": \"1\"},"
		    " \"status\": \"resolved\"} ] }",
		"{\"alerts\":[{\"status\":\"firing\",\"fingerprint\":7,"
		    "\"labels\":{\"b\":\"2\",\"a\":\"1\"}}]}",
	};
	const char	*want =
	    "21f76dfbfe6dfe21f762080ef484112cf2952974cef30741fd1931e1c6d92112";
	struct trigger	*tv;
	char		*why;
	size_t		 i, n;

	for (i = 0; i < NELEM(bodies); i++) {
		assert_int_equal(hook_decode("alertmanager", bodies[i],
		    strlen(bodies[i]), &tv, &n, &why), 0);
		assert_int_equal(n, 1);
		assert_string_equal(tv[0].fingerprint, want);
		triggers_free(tv, n);
	}
}

static void
test_invalid_json(void **state)
{
	static const struct {
		const char	*body;
		const char	*why;
	} cases[] = {
		{ "", "invalid JSON at line 1 column 0: " },
		{ "{", "invalid JSON at line 1 column 1: " },
		{ "{\"a\":1,}", "invalid JSON at line 1 column 8: " },
		{ "{\n  \"alerts\": [\n    {\"status\": firing}\n  ]\n}",
		  "invalid JSON at line 3 column 21: invalid token" },
		{ "{\"a\":1}\n{\"b\":2}",
		  "invalid JSON at line 2 column 1: end of file expected" },
		{ "{\"a\":1,\"a\":2}",
		  "invalid JSON at line 1 column 10: duplicate object key" },
		/* columns count characters, not bytes */
		{ "{\"名前\": \"東京\", x}", "invalid JSON at line 1 column 14: " },
		{ "\xff", "invalid JSON at line 1 column 0: " },
		{ "{\"a\":\"\\u0000\"}", "invalid JSON at line 1 column 13: " },
	};
	static const char *const formats[] = {
		"alertmanager", "grafana", "p2pquake", "json",
	};
	struct trigger	*tv;
	char		*why;
	size_t		 i, j, n;

	for (i = 0; i < NELEM(cases); i++) {
		for (j = 0; j < NELEM(formats); j++) {
			assert_int_equal(hook_decode(formats[j], cases[i].body,
			    strlen(cases[i].body), &tv, &n, &why), -1);
			assert_null(tv);
			assert_int_equal(n, 0);
			assert_non_null(why);
			if (strncmp(why, cases[i].why, strlen(cases[i].why)))
				fail_msg("case %zu: \"%s\", want \"%s...\"", i,
				    why, cases[i].why);
			free(why);
		}
	}
}

static void
test_wrong_shape(void **state)
{
	static const struct {
		const char	*format;
		const char	*body;
		const char	*why;
	} cases[] = {
		{ "json", "[]",
		  "json: the top-level JSON value is not an object" },
		{ "alertmanager", "\"alerts\"",
		  "alertmanager: the top-level JSON value is not an object" },
		{ "p2pquake", "551",
		  "p2pquake: the top-level JSON value is not an object" },
		{ "alertmanager", "{\"version\":\"4\",\"status\":\"firing\"}",
		  "alertmanager: missing \"alerts\" array" },
		{ "grafana", "{\"alerts\":null}",
		  "grafana: missing \"alerts\" array" },
		{ "alertmanager", "{\"alerts\":{}}",
		  "alertmanager: \"alerts\" is not an array" },
		{ "alertmanager", "{\"alerts\":[{\"status\":\"firing\","
		  "\"labels\":{}},{\"status\":\"firing\",\"labels\":{}},"
		  "\"oops\"]}", "alertmanager: alerts[2] is not an object" },
		{ "grafana", "{\"alerts\":[{\"status\":\"firing\"}]}",
		  "grafana: alerts[0] without \"labels\" object" },
		{ "alertmanager", "{\"alerts\":[{\"status\":\"firing\","
		  "\"labels\":[\"a\"]}]}",
		  "alertmanager: alerts[0] without \"labels\" object" },
		{ "alertmanager", "{\"alerts\":[{\"labels\":{}}]}",
		  "alertmanager: alerts[0] without \"status\" string" },
		{ "p2pquake", "{\"id\":\"x\"}",
		  "p2pquake: missing \"code\" integer" },
		{ "p2pquake", "{\"code\":\"551\"}",
		  "p2pquake: missing \"code\" integer" },
		{ "p2pquake", "{\"code\":551,\"issue\":{}}",
		  "p2pquake: code 551 report without \"earthquake\" object" },
		{ "p2pquake", "{\"code\":551,\"earthquake\":\"大地震\","
		  "\"issue\":{}}",
		  "p2pquake: code 551 report without \"earthquake\" object" },
		{ "p2pquake", "{\"code\":551,\"earthquake\":{}}",
		  "p2pquake: code 551 report without \"issue\" object" },
		{ "p2pquake", "{\"code\":551,\"earthquake\":{},\"issue\":{},"
		  "\"points\":{}}", "p2pquake: \"points\" is not an array" },
		{ "pagerduty", "{}", "unknown hook format \"pagerduty\"" },
	};
	struct trigger	*tv;
	char		*why;
	size_t		 i, n;

	for (i = 0; i < NELEM(cases); i++) {
		if (hook_decode(cases[i].format, cases[i].body,
		    strlen(cases[i].body), &tv, &n, &why) != -1)
			fail_msg("case %zu accepted", i);
		assert_null(tv);
		assert_int_equal(n, 0);
		assert_non_null(why);
		if (strcmp(why, cases[i].why) != 0)
			fail_msg("case %zu: \"%s\", want \"%s\"", i, why,
			    cases[i].why);
		free(why);
	}
}

static void
test_p2pquake_codes(void **state)
{
	static const int codes[] = { 554, 555, 561, 9611, 0, -1 };
	struct trigger	*tv;
	char		*why, *body;
	size_t		 i, n;

	for (i = 0; i < NELEM(codes); i++) {
		/* not 551: accepted without any shape requirement */
		body = xprintf("{\"code\": %d, \"id\": \"x\", \"test\": true}",
		    codes[i]);
		assert_int_equal(hook_decode("p2pquake", body, strlen(body),
		    &tv, &n, &why), 0);
		assert_int_equal(n, 0);
		assert_null(tv);
		assert_null(why);
		free(body);
	}
	/* 552 and 556 start things: shapes are checked, a lone 552 is a
	 * tsunami report listing no area, a test EEW a drill. */
	body = xstrdup("{\"code\": 552, \"test\": true}");
	assert_int_equal(hook_decode("p2pquake", body, strlen(body), &tv, &n,
	    &why), 0);
	assert_int_equal(n, 1);
	assert_int_equal(tv[0].drill, 1);
	assert_true(json_is_array(json_object_get(tv[0].doc, "areas")));
	triggers_free(tv, n);
	free(body);
	body = xstrdup("{\"code\": 556, \"areas\": []}");
	assert_int_equal(hook_decode("p2pquake", body, strlen(body), &tv, &n,
	    &why), -1);
	assert_string_equal(why, "p2pquake: code 556 report without "
	    "\"earthquake\" object");
	free(why);
	free(body);
	body = xstrdup("{\"code\": 552, \"areas\": {}}");
	assert_int_equal(hook_decode("p2pquake", body, strlen(body), &tv, &n,
	    &why), -1);
	assert_string_equal(why, "p2pquake: \"areas\" is not an array");
	free(why);
	free(body);
	/* a cancelled EEW withdraws; it needs no earthquake */
	body = th_read("p2pquake-556-cancel.json", &n);
	assert_int_equal(hook_decode("p2pquake", body, n, &tv, &n, &why), 0);
	assert_int_equal(tv[0].cancelled, 1);
	assert_string_equal(tv[0].fingerprint, "p2pquake:65a64fd1e2f3a4b5c6d7e802");
	triggers_free(tv, 1);
	free(body);
}

/* resolved / drill / correction flags and the fingerprint fallbacks of
 * small bodies written inline. */
static void
test_flags(void **state)
{
	static const struct {
		const char	*format;
		const char	*body;
		int		 resolved, drill, correction;
		const char	*fingerprint;	/* NULL: not checked */
	} cases[] = {
#define Q(x)	"{\"code\":551,\"issue\":{\"correct\":\"None\"}," \
		"\"earthquake\":{\"time\":\"2026/11/20 03:12:00\"}" x "}"
		{ "p2pquake", Q(""), 0, 0, 0, "quake:2026/11/20 03:12" },
		{ "p2pquake", Q(",\"status\":\"通常\""), 0, 0, 0, NULL },
		{ "p2pquake", Q(",\"status\":\"訓練\""), 0, 1, 0, NULL },
		{ "p2pquake", Q(",\"status\":\"試験\""), 0, 1, 0, NULL },
		{ "p2pquake", Q(",\"status\":\"DRILL\""), 0, 1, 0, NULL },
		{ "p2pquake", Q(",\"status\":\"Test\""), 0, 1, 0, NULL },
		{ "p2pquake", Q(",\"status\":\"testing\""), 0, 0, 0, NULL },
		{ "p2pquake", Q(",\"control\":{\"status\":\"試験\"}"),
		  0, 1, 0, NULL },
		{ "p2pquake", Q(",\"control\":{\"status\":\"通常\"}"),
		  0, 0, 0, NULL },
		{ "p2pquake", Q(",\"Control\":{\"Status\":\"訓練\"}"),
		  0, 1, 0, NULL },
		{ "p2pquake", Q(",\"control\":\"訓練\""), 0, 0, 0, NULL },
		{ "p2pquake", Q(",\"test\":true"), 0, 1, 0, NULL },
		{ "p2pquake", Q(",\"test\":false"), 0, 0, 0, NULL },
		{ "p2pquake", Q(",\"test\":\"true\""), 0, 0, 0, NULL },
#undef Q
		{ "p2pquake", "{\"code\":551,\"id\":\"abc\",\"issue\":"
		  "{\"correct\":\"ScaleAndDestination\"},\"earthquake\":{}}",
		  0, 0, 1, "p2pquake:abc" },
		{ "p2pquake", "{\"code\":551,\"id\":\"abc\",\"issue\":"
		  "{},\"earthquake\":{\"time\":\"\"}}",
		  0, 0, 0, "p2pquake:abc" },
		{ "p2pquake", "{\"code\":551,\"_id\":\"def\",\"issue\":"
		  "{\"correct\":null},\"earthquake\":{}}",
		  0, 0, 0, "p2pquake:def" },
		{ "json", "{\"status\":\"resolved\"}", 1, 0, 0, NULL },
		{ "json", "{\"status\":\"firing\",\"drill\":true}", 0, 1, 0,
		  NULL },
		{ "json", "{\"drill\":\"true\"}", 0, 0, 0, NULL },
		{ "json", "{\"b\":\"2\",\"a\":\"1\"}", 0, 0, 0,
		  "21f76dfbfe6dfe21f762080ef484112cf2952974cef30741fd1931e1c6d92112" },
		{ "alertmanager", "{\"alerts\":[{\"status\":\"resolved\","
		  "\"labels\":{\"keizoku_drill\":\"1\"}}]}", 1, 1, 0, NULL },
		{ "alertmanager", "{\"alerts\":[{\"status\":\"firing\","
		  "\"labels\":{\"keizoku_drill\":\"false\"}}]}", 0, 0, 0,
		  NULL },
		{ "grafana", "{\"alerts\":[{\"status\":\"firing\","
		  "\"labels\":{\"keizoku_drill\":true}}]}", 0, 0, 0, NULL },
	};
	struct trigger	*tv;
	char		*why;
	size_t		 i, n;

	for (i = 0; i < NELEM(cases); i++) {
		if (hook_decode(cases[i].format, cases[i].body,
		    strlen(cases[i].body), &tv, &n, &why) != 0)
			fail_msg("case %zu: %s", i, why);
		assert_int_equal(n, 1);
		if (tv[0].resolved != cases[i].resolved ||
		    tv[0].drill != cases[i].drill ||
		    tv[0].correction != cases[i].correction)
			fail_msg("case %zu: resolved %d drill %d correction "
			    "%d", i, tv[0].resolved, tv[0].drill,
			    tv[0].correction);
		if (cases[i].fingerprint != NULL)
			assert_string_equal(tv[0].fingerprint,
			    cases[i].fingerprint);
		triggers_free(tv, n);
	}
}

/* Japanese survives decoding byte for byte: the document dumps back to
 * the same UTF-8 text, not \u escapes, and not mangled. */
static void
test_japanese(void **state)
{
	static const struct {
		const char	*format;
		const char	*body;
		const char	*path;
		const char	*want;
	} cases[] = {
		{ "json", "{\"件名\":\"本社ビル 停電\"}", "件名", "本社ビル 停電" },
		{ "json", "{\"a\":\"\\u6771\\u4eac\"}", "a", "東京" },
		{ "p2pquake", "{\"code\":551,\"issue\":{},\"earthquake\":"
		  "{\"hypocenter\":{\"name\":\"能登半島沖\"}},\"points\":"
		  "[{\"pref\":\"石川県\",\"scale\":70}]}", "points.0.pref",
		  "石川県" },
		{ "alertmanager", "{\"alerts\":[{\"status\":\"firing\","
		  "\"labels\":{\"拠点\":\"大阪\"}}],\"receiver\":\"継続\"}",
		  "labels.拠点", "大阪" },
		{ "alertmanager", "{\"alerts\":[{\"status\":\"firing\","
		  "\"labels\":{}}],\"receiver\":\"継続\"}", "receiver",
		  "継続" },
	};
	struct trigger	*tv;
	char		*why, *dump;
	size_t		 i, n;

	for (i = 0; i < NELEM(cases); i++) {
		assert_int_equal(hook_decode(cases[i].format, cases[i].body,
		    strlen(cases[i].body), &tv, &n, &why), 0);
		assert_int_equal(n, 1);
		assert_string_equal(json_string_value(th_get(tv[0].doc,
		    cases[i].path)), cases[i].want);
		dump = json_dumps(tv[0].doc, JSON_COMPACT);
		assert_non_null(strstr(dump, cases[i].want));
		free(dump);
		triggers_free(tv, n);
	}
}

/* At most 1000 alerts in one request; each trigger carries its own copy
 * of the group fields. */
static void
test_alert_limit(void **state)
{
	static const struct {
		size_t	count;
		int	rc;
	} cases[] = { { 0, 0 }, { 1, 0 }, { 1000, 0 }, { 1001, -1 } };
	struct trigger	*tv;
	json_t		*root, *alerts;
	char		*body, *why;
	size_t		 i, j, n;

	for (i = 0; i < NELEM(cases); i++) {
		alerts = json_array();
		for (j = 0; j < cases[i].count; j++)
			json_array_append_new(alerts, json_pack(
			    "{s:s, s:{s:s, s:I}}", "status", "firing",
			    "labels", "alertname", "Many", "n", (json_int_t)j));
		root = json_pack("{s:s, s:o, s:{s:s}}", "groupKey", "g",
		    "alerts", alerts, "commonLabels", "alertname", "Many");
		body = json_dumps(root, JSON_COMPACT);
		json_decref(root);
		assert_int_equal(hook_decode("grafana", body, strlen(body),
		    &tv, &n, &why), cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(n, cases[i].count);
			for (j = 0; j < n; j++) {
				assert_string_equal(json_string_value(
				    th_get(tv[j].doc, "groupKey")), "g");
				assert_int_equal(json_integer_value(
				    th_get(tv[j].doc, "labels.n")), (long)j);
			}
			if (n > 1)
				assert_ptr_not_equal(th_get(tv[0].doc,
				    "commonLabels"), th_get(tv[1].doc,
				    "commonLabels"));
			triggers_free(tv, n);
		} else {
			assert_non_null(why);
			assert_string_equal(why, "grafana: 1001 alerts in one "
			    "request, at most 1000 allowed");
			free(why);
		}
		free(body);
	}
}

static void
test_format_known(void **state)
{
	static const struct {
		const char	*name;
		int		 known;
	} cases[] = {
		{ "alertmanager", 1 }, { "grafana", 1 }, { "p2pquake", 1 },
		{ "json", 1 }, { "Alertmanager", 0 }, { "", 0 }, { NULL, 0 },
		{ "prometheus", 0 },
	};
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++)
		assert_int_equal(hook_format_known(cases[i].name),
		    cases[i].known);
	triggers_free(NULL, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_label_fingerprint),
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_wrong_shape),
		cmocka_unit_test(test_p2pquake_codes),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_japanese),
		cmocka_unit_test(test_alert_limit),
		cmocka_unit_test(test_format_known),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
