/* Unit tests of the JMA XML decoders (daemon/model/jma-*.c): every type
 * decodes into the P2P-shaped trigger runbooks match, the same as P2P's
 * own conversion of the same document; drills, corrections, cancellations
 * and lifted warnings are flagged; hostile XML is refused; the Atom feed
 * lists its entries with their types. Fixtures: tests/fixtures/jma
 * ($KZ_TOP/tests/fixtures/jma when KZ_TOP is set). */

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
#include "model/jma.h"
#include "model/matcher.h"
#include "common/xmalloc.h"
#include "common/ytree.h"

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])

static char *
tj_read(const char *name, size_t *len)
{
	const char	*top = getenv("KZ_TOP"), *slash;
	char		*path, *text;

	if (top != NULL)
		path = xprintf("%s/tests/fixtures/jma/%s", top, name);
	else if ((slash = strrchr(__FILE__, '/')) != NULL)
		path = xprintf("%.*s/../fixtures/jma/%s", (int)(slash -
		    __FILE__), __FILE__, name);
	else
		path = xprintf("../fixtures/jma/%s", name);
	if ((text = read_file(path, len)) == NULL)
		fail_msg("cannot read fixture %s", path);
	free(path);
	return text;
}

static struct trigger *
tj_decode(const char *name)
{
	struct trigger	*tv;
	size_t		 len, n;
	char		*xml = tj_read(name, &len), *why = NULL;

	if (jma_decode(xml, len, &tv, &n, &why) != 0)
		fail_msg("%s: %s", name, why);
	assert_int_equal(n, 1);
	assert_null(why);
	free(xml);
	return tv;
}

/* points sorted by (addr, pref), so that orders may differ */
static json_t *
tj_sorted_points(json_t *points)
{
	json_t	*c = json_deep_copy(points), *a, *b, *t;
	size_t	 i, j, n = json_array_size(c);

	for (i = 1; i < n; i++)
		for (j = i; j > 0; j--) {
			a = json_array_get(c, j - 1);
			b = json_array_get(c, j);
			if (strcmp(json_string_value(json_object_get(a, "addr")),
			    json_string_value(json_object_get(b, "addr"))) <= 0)
				break;
			t = json_incref(a);
			json_array_set(c, j - 1, b);
			json_array_set_new(c, j, t);
		}
	return c;
}

/* json_equal, except that 1 and 1.0 are the same number (JSON does not
 * tell them apart; jansson does). */
static int
tj_equal(json_t *a, json_t *b)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach(a, k, v)
			if (!tj_equal(v, json_object_get(b, k)))
				return 0;
		return 1;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach(a, i, v)
			if (!tj_equal(v, json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal(a, b);
}

/* JMA's document and P2P地震情報's conversion of the same document (both
 * published, see tests/fixtures/README) agree on earthquake and points
 * (or areas), member for member. */
static void
test_same_as_p2p(void **state)
{
	static const struct {
		const char	*xml, *json, *key;
	} pairs[] = {
		{ "20210217140808_0_VXSE51_010000.xml",
		  "20210217140807353-17230627.json", "points" },
		{ "20210217140958_0_VXSE53_010000.xml",
		  "20210217140958395-17230627.json", "points" },
		{ "20220918154907_08013775_VTSE41.xml",
		  "20220918154907_08013775_VTSE41.json", "areas" },
	};
	struct trigger	*t;
	json_t		*p2p, *a, *b, *v;
	json_error_t	 err;
	char		*text, *sa, *sb;
	size_t		 i, k, len;

	for (i = 0; i < NELEM(pairs); i++) {
		t = tj_decode(pairs[i].xml);
		text = tj_read(pairs[i].json, &len);
		if ((p2p = json_loadb(text, len, 0, &err)) == NULL)
			fail_msg("%s: %s", pairs[i].json, err.text);
		free(text);
		if (strcmp(pairs[i].key, "points") == 0) {
			assert_true(tj_equal(json_object_get(t->doc,
			    "earthquake"), json_object_get(p2p, "earthquake")));
			a = tj_sorted_points(json_object_get(t->doc, "points"));
			b = tj_sorted_points(json_object_get(p2p, "points"));
		} else {
			/* Our areas carry JMA's code and kind besides. */
			a = json_deep_copy(json_object_get(t->doc, "areas"));
			json_array_foreach(a, k, v) {
				json_object_del(v, "code");
				json_object_del(v, "kind");
				json_object_del(v, "kind_code");
			}
			b = json_incref(json_object_get(p2p, "areas"));
			assert_true(json_equal(json_object_get(t->doc,
			    "cancelled"), json_object_get(p2p, "cancelled")));
		}
		if (!tj_equal(a, b)) {
			sa = json_dumps(a, JSON_COMPACT);
			sb = json_dumps(b, JSON_COMPACT);
			fail_msg("%s: %.300s\n  P2P: %.300s", pairs[i].xml, sa,
			    sb);
		}
		json_decref(a);
		json_decref(b);
		json_decref(p2p);
		triggers_free(t, 1);
	}
}

/* What each fixture decodes into: type, flags, key, a few members. */
static void
test_documents(void **state)
{
	static const struct {
		const char	*file, *type, *key;
		int		 drill, correction, cancelled, resolved;
		const char	*path, *want;	/* JSON of one member */
	} cases[] = {
		{ "32-35_01_01_100806_VXSE51.xml", "VXSE51",
		  "quake:2009/08/11 05:07", 0, 0, 0, 0,
		  "earthquake.maxScale", "55" },
		{ "32-39_11_01_120615_VXSE51.xml", "VXSE51",
		  "quake:2011/03/11 14:46", 0, 0, 0, 0,
		  "issue.type", "\"ScalePrompt\"" },
		{ "32-35_04_03_240613_VXSE52.xml", "VXSE52",
		  "quake:2010/01/25 16:15", 0, 0, 0, 0,
		  "earthquake.hypocenter.depth", "50" },
		{ "32-35_04_03_240613_VXSE52.xml", "VXSE52", NULL, 0, 0, 0, 0,
		  "earthquake.domesticTsunami", "\"None\"" },
		{ "32-35_04_04_240613_VXSE53.xml", "VXSE53",
		  "quake:2010/01/25 16:15", 0, 0, 0, 0,
		  "earthquake.hypocenter.magnitude", "5.3" },
		/* 訓練: a drill, whatever it says */
		{ "32-35_01_02_240613_VXSE52.xml", "VXSE52", NULL, 1, 0, 0, 0,
		  "jma.status", "\"訓練\"" },
		{ "32-35_01_03_240613_VXSE53.xml", "VXSE53", NULL, 1, 0, 0, 0,
		  "earthquake.maxScale", "45" },
		/* 訂正 */
		{ "derived-20210217142011_0_VXSE53_010000-correction.xml",
		  "VXSE53", "quake:2021/02/17 23:06", 0, 1, 0, 0,
		  "issue.correct", "\"ScaleAndDestination\"" },
		/* 取消: keyed by the event id, no earthquake */
		{ "32-35_10_01_220510_VXSE51.xml", "VXSE51",
		  "quake:2022/05/09 15:23", 0, 0, 1, 0, "earthquake", NULL },
		{ "32-35_06_02_100915_VXSE52.xml", "VXSE52",
		  "quake:2008/06/14 08:43", 0, 0, 1, 0, "text",
		  "\"先ほどの、震源に関する情報を取り消します。\"" },
		/* tsunami */
		{ "32-39_11_02_250206_VTSE41.xml", "VTSE41", "tsunami",
		  0, 0, 0, 0, "areas.0.grade", "\"MajorWarning\"" },
		{ "32-39_11_02_250206_VTSE41.xml", "VTSE41", NULL,
		  0, 0, 0, 0, "earthquake.hypocenter.name", "\"三陸沖\"" },
		{ "38-39_02_01_250206_VTSE41.xml", "VTSE41", NULL,
		  0, 0, 0, 0, "areas.0.kind", "\"津波注意報\"" },
		{ "32-39_13_02_250206_VTSE41.xml", "VTSE41", NULL,
		  1, 0, 0, 0, "jma.status", "\"訓練\"" },
		/* every warning lifted: P2P's "cancelled", a resolution */
		{ "38-39_02_04_250206_VTSE41.xml", "VTSE41", "tsunami",
		  0, 0, 0, 1, "cancelled", "true" },
		{ "38-39_02_02_250206_VTSE51.xml", "VTSE51", NULL,
		  0, 0, 0, 0, "observations", "[]" },
		{ "38-39_02_03_250206_VTSE51.xml", "VTSE51", NULL,
		  0, 0, 0, 0, "observations.0.initial", "\"押し\"" },
		{ "38-39_02_03_250206_VTSE51.xml", "VTSE51", NULL,
		  0, 0, 0, 0, "jma.event_id",
		  "\"20151114055157 20151114061750\"" },
		{ "38-39_03_01_210805_VTSE41.xml", "VTSE41", "tsunami",
		  0, 0, 1, 0, "areas", "[]" },
		{ "38-39_03_02_210805_VTSE51.xml", "VTSE51", "tsunami",
		  0, 0, 1, 0, "jma.info_type", "\"取消\"" },
	};
	struct trigger	*t;
	json_t		*v, *want;
	char		*s;
	size_t		 i;

	for (i = 0; i < NELEM(cases); i++) {
		t = tj_decode(cases[i].file);
		assert_string_equal(json_string_value(json_object_get(
		    json_object_get(t->doc, "jma"), "type")), cases[i].type);
		if (cases[i].key != NULL)
			assert_string_equal(t->fingerprint, cases[i].key);
		if (t->drill != cases[i].drill || t->correction !=
		    cases[i].correction || t->cancelled != cases[i].cancelled ||
		    t->resolved != cases[i].resolved)
			fail_msg("%s: drill %d correction %d cancelled %d "
			    "resolved %d", cases[i].file, t->drill,
			    t->correction, t->cancelled, t->resolved);
		v = json_path(t->doc, cases[i].path);
		if (cases[i].want == NULL) {
			if (v != NULL)
				fail_msg("%s: %s present", cases[i].file,
				    cases[i].path);
		} else {
			want = json_loads(cases[i].want, JSON_DECODE_ANY, NULL);
			assert_non_null(want);
			if (v == NULL || !json_equal(v, want)) {
				s = v != NULL ? json_dumps(v, JSON_ENCODE_ANY) :
				    NULL;
				fail_msg("%s: %s is %s, want %s", cases[i].file,
				    cases[i].path, s ? s : "(absent)",
				    cases[i].want);
			}
			json_decref(want);
		}
		triggers_free(t, 1);
	}
}

/* Nothing that declares a DTD or an entity is read; malformed input and
 * documents of other kinds say why. */
static void
test_refused(void **state)
{
	static const struct {
		const char	*xml;
		const char	*why;	/* prefix */
	} cases[] = {
		{ "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"x\">]><r>&a;</r>",
		  "a DTD or entity declaration is not allowed" },
		{ "<!DOCTYPE Report SYSTEM \"http://127.0.0.1:1/x.dtd\"><Report/>",
		  "a DTD or entity declaration is not allowed" },
		{ "<Report>&xxe;</Report>",
		  "XML error at line 1 column 14: Entity 'xxe' not defined" },
		{ "", "XML error at line 1 column 1" },
		{ "<Report><Control>", "XML error at line 1" },
		{ "<feed/>", "not a JMA document" },
		{ "<Report><Control><Title>天気概況</Title><Status>通常</Status>"
		  "</Control><Head><InfoType>発表</InfoType></Head></Report>",
		  "a JMA document of another kind (\"天気概況\")" },
		{ "<Report><Control><Title>震度速報</Title></Control><Head/>"
		  "</Report>", "a JMA document without Control/Status" },
		{ "<Report><Control><Title>震源に関する情報</Title><Status>通常"
		  "</Status></Control><Head><InfoType>発表</InfoType></Head>"
		  "<Body/></Report>", "VXSE52 without Body/Earthquake" },
		{ "<Report><Control><Title>津波情報a</Title><Status>通常"
		  "</Status></Control><Head><InfoType>発表</InfoType></Head>"
		  "<Body/></Report>", "VTSE51 without Body/Tsunami" },
	};
	static const char *const files[] = { "hostile-billion-laughs.xml",
	    "hostile-xxe.xml" };
	struct trigger	*tv;
	struct jma_feed	 f;
	size_t		 i, n, len;
	char		*why, *xml;

	for (i = 0; i < NELEM(cases); i++) {
		why = NULL;
		assert_int_equal(jma_decode(cases[i].xml, strlen(cases[i].xml),
		    &tv, &n, &why), -1);
		assert_null(tv);
		assert_non_null(why);
		if (strncmp(why, cases[i].why, strlen(cases[i].why)) != 0)
			fail_msg("case %zu: \"%s\", want \"%s...\"", i, why,
			    cases[i].why);
		free(why);
	}
	for (i = 0; i < NELEM(files); i++) {
		xml = tj_read(files[i], &len);
		assert_int_equal(jma_decode(xml, len, &tv, &n, &why), -1);
		assert_non_null(strstr(why, "not allowed"));
		free(why);
		free(xml);
	}
	xml = tj_read("hostile-xxe-feed.xml", &len);
	assert_int_equal(jma_feed_parse(xml, len, &f, &why), -1);
	assert_non_null(strstr(why, "not allowed"));
	free(why);
	free(xml);
	/* more than JMA_MAX_XML is refused before parsing */
	xml = xcalloc(1, JMA_MAX_XML + 2);
	memset(xml, ' ', JMA_MAX_XML + 1);
	assert_int_equal(jma_decode(xml, JMA_MAX_XML + 1, &tv, &n, &why), -1);
	assert_non_null(strstr(why, "more than"));
	free(why);
	free(xml);
}

static void
test_feed(void **state)
{
	static const char feed[] =
	    "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	    "<feed xmlns=\"http://www.w3.org/2005/Atom\" lang=\"ja\">"
	    "<title>高頻度（地震火山）</title>"
	    "<entry><title>震度速報</title>"
	    "<id>https://x/data/20240101161200_0_VXSE51_010000.xml</id>"
	    "<updated>2024-01-01T07:12:00Z</updated>"
	    "<link type=\"application/xml\" "
	    "href=\"https://x/data/20240101161200_0_VXSE51_010000.xml\"/>"
	    "</entry>"
	    "<entry><title>津波情報a</title>"
	    "<id>urn:uuid:1</id><updated>2024-01-01T07:30:00+00:00</updated>"
	    "<link href=\"https://x/data/20240101163000_0_VTSE51_010000.xml\"/>"
	    "</entry>"
	    "<entry><title>噴火速報</title>"
	    "<id>https://x/data/20240101160000_0_VFVO56_010000.xml</id>"
	    "<updated>2024-01-01T07:00:00Z</updated></entry>"
	    "<entry><title>no link</title><id>urn:uuid:2</id></entry>"
	    "</feed>";
	struct jma_feed	 f;
	char		*why = NULL;

	assert_int_equal(jma_feed_parse(feed, strlen(feed), &f, &why), 0);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.v[0].type, JMA_VXSE51);
	assert_int_equal(f.v[1].type, JMA_VTSE51);
	assert_string_equal(f.v[1].id, "urn:uuid:1");
	assert_int_equal(f.v[2].type, JMA_OTHER);
	/* an entry without a link is found by its http id */
	assert_string_equal(f.v[2].url,
	    "https://x/data/20240101160000_0_VFVO56_010000.xml");
	assert_true(f.newest == 1704094200000LL);
	jma_feed_free(&f);
	assert_int_equal(jma_feed_parse("<rss/>", 6, &f, &why), -1);
	assert_string_equal(why, "not an Atom feed (the root element is not "
	    "<feed>)");
	free(why);
	assert_int_equal(jma_type_from_url("https://x/20240101_0_VXSE53_1.xml"),
	    JMA_VXSE53);
	assert_int_equal(jma_type_from_url("https://x/VXSE53/1_VXSE5_1.xml"),
	    JMA_OTHER);
	assert_int_equal(jma_type_from_url(NULL), JMA_OTHER);
}

/* P2P and JMA share the quake key: origin time to the minute, JST. */
static void
test_quake_key(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "2024/01/01 16:10:09", "quake:2024/01/01 16:10" },
		{ "2024/01/01 16:10", "quake:2024/01/01 16:10" },
		{ "2024-01-01 16:10:09", NULL },
		{ "2024/01/01 16:1", NULL },
		{ "", NULL },
		{ NULL, NULL },
	};
	char	*k;
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++) {
		k = hook_quake_key(cases[i].in);
		if (cases[i].want == NULL)
			assert_null(k);
		else
			assert_string_equal(k, cases[i].want);
		free(k);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_p2p),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_feed),
		cmocka_unit_test(test_quake_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
