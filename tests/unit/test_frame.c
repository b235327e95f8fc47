/* Control-protocol request frames (frame.c): whole and partial frames,
 * the length limit, invalid JSON with its position, and every way a
 * request object can have the wrong shape. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/frame.h"
#include "proto/proto.h"
#include "common/xmalloc.h"

#define NITEMS(a) (sizeof (a) / sizeof (a)[0])

/* A frame of text: its length (or hdr when not 0), then the text. */
static unsigned char *
tf_frame(const char *text, uint32_t hdr, size_t *len)
{
	size_t		 tlen = strlen(text);
	unsigned char	*f = xmalloc(4 + tlen);

	kz_put_be32(f, hdr != 0 ? hdr : (uint32_t)tlen);
	memcpy(f + 4, text, tlen);
	*len = 4 + tlen;
	return f;
}

static void
test_frame_good(void **state)
{
	static const struct {
		const char	*text;
		const char	*cmd;
		const char	*as;	/* NULL: absent or null */
	} cases[] = {
		{ "{\"v\":1,\"cmd\":\"status\"}", "status", NULL },
		{ "{\"v\":1,\"cmd\":\"ack\",\"params\":{\"incident\":\"7\","
		    "\"note\":\"了解しました\"},\"as\":\"tanaka\"}", "ack",
		    "tanaka" },
		{ "{\"v\":1,\"cmd\":\"runbooks\",\"params\":{},\"as\":null}",
		    "runbooks", NULL },
		{ " {\"as\":\"佐藤\",\"cmd\":\"exception add\",\"v\":1,"
		    "\"extra\":[1]}\n", "exception add", "佐藤" },
	};
	unsigned char	*f;
	json_t		*msg;
	char		*why;
	size_t		 i, len, used;

	for (i = 0; i < NITEMS(cases); i++) {
		f = tf_frame(cases[i].text, 0, &len);
		msg = NULL;
		why = NULL;
		used = 0;
		if (frame_decode(f, len, &used, &msg, &why) != 1)
			fail_msg("case %zu: %s", i, why ? why : "?");
		assert_int_equal(used, len);
		assert_null(why);
		assert_string_equal(json_string_value(json_object_get(msg,
		    "cmd")), cases[i].cmd);
		if (cases[i].as != NULL)
			assert_string_equal(json_string_value(
			    json_object_get(msg, "as")), cases[i].as);
		json_decref(msg);
		free(f);
	}
}

/* Every prefix shorter than the frame asks for more bytes. */
static void
test_frame_partial(void **state)
{
	static const char *const texts[] = {
		"{\"v\":1,\"cmd\":\"status\"}",
		"{\"v\":1,\"cmd\":\"参集\"}",
		"not json at all",
	};
	unsigned char	*f;
	json_t		*msg = NULL;
	char		*why = NULL;
	size_t		 i, k, len, used = 99;

	for (i = 0; i < NITEMS(texts); i++) {
		f = tf_frame(texts[i], 0, &len);
		for (k = 0; k < len; k++) {
			if (frame_decode(f, k, &used, &msg, &why) != 0)
				fail_msg("case %zu: prefix %zu not partial",
				    i, k);
		}
		assert_int_equal(used, 99);
		assert_null(msg);
		assert_null(why);
		free(f);
	}
}

/* Two frames back to back come out one at a time. */
static void
test_frame_stream(void **state)
{
	static const char a[] = "{\"v\":1,\"cmd\":\"status\"}";
	static const char b[] = "{\"v\":1,\"cmd\":\"ack\",\"as\":null}";
	unsigned char	 s[256];
	json_t		*msg = NULL;
	char		*why = NULL;
	size_t		 n = 0, used = 0;

	kz_put_be32(s, sizeof a - 1);
	memcpy(s + 4, a, sizeof a - 1);
	n = 4 + sizeof a - 1;
	kz_put_be32(s + n, sizeof b - 1);
	memcpy(s + n + 4, b, sizeof b - 1);
	n += 4 + sizeof b - 1;

	assert_int_equal(frame_decode(s, n, &used, &msg, &why), 1);
	assert_int_equal(used, 4 + sizeof a - 1);
	assert_string_equal(json_string_value(json_object_get(msg, "cmd")),
	    "status");
	json_decref(msg);
	assert_int_equal(frame_decode(s + used, n - used, &used, &msg, &why),
	    1);
	assert_int_equal(used, 4 + sizeof b - 1);
	assert_string_equal(json_string_value(json_object_get(msg, "cmd")),
	    "ack");
	json_decref(msg);
}

static void
test_frame_bad(void **state)
{
	static const struct {
		const char	*text;
		const char	*why;	/* prefix */
	} cases[] = {
		{ "", "invalid JSON at line 1 column 0: " },
		{ "{\"v\":1,\"cmd\":", "invalid JSON at line 1 column 13: " },
		{ "{\"v\":1,\n \"cmd\": x}", "invalid JSON at line 2 column 9: " },
		{ "{\"v\":1,\"cmd\":\"a\"} {}", "invalid JSON at line 1 " },
		{ "{\"v\":1,\"v\":1,\"cmd\":\"a\"}", "invalid JSON at line 1 " },
		{ "{\"v\":1,\"cmd\":\"\\u0000\"}", "invalid JSON at line 1 " },
		{ "{\"v\":1,\"cmd\":\"\xff\"}", "invalid JSON at line 1 " },
		{ "[1]", "a request must be an object" },
		/* jansson wants an object or array at the top */
		{ "\"status\"", "invalid JSON at line 1 column 8: " },
		{ "{\"cmd\":\"status\"}", "a request needs the protocol version" },
		{ "{\"v\":\"1\",\"cmd\":\"status\"}",
		    "a request needs the protocol version" },
		{ "{\"v\":1.0,\"cmd\":\"status\"}",
		    "a request needs the protocol version" },
		{ "{\"v\":2,\"cmd\":\"status\"}", "protocol version 2, this "
		    "keizokud speaks 1: use a keizoku of the same version" },
		{ "{\"v\":0,\"cmd\":\"status\"}", "protocol version 0, " },
		{ "{\"v\":1}", "\"cmd\" must be a string" },
		{ "{\"v\":1,\"cmd\":null}", "\"cmd\" must be a string" },
		{ "{\"v\":1,\"cmd\":[\"ack\"]}", "\"cmd\" must be a string" },
		{ "{\"v\":1,\"cmd\":\"a\",\"params\":[]}",
		    "\"params\" must be an object" },
		{ "{\"v\":1,\"cmd\":\"a\",\"params\":null}",
		    "\"params\" must be an object" },
		{ "{\"v\":1,\"cmd\":\"a\",\"as\":5}",
		    "\"as\" must be a string or null" },
		{ "{\"v\":1,\"cmd\":\"a\",\"as\":{}}",
		    "\"as\" must be a string or null" },
	};
	unsigned char	*f;
	json_t		*msg;
	char		*why;
	size_t		 i, len, used;

	for (i = 0; i < NITEMS(cases); i++) {
		f = tf_frame(cases[i].text, 0, &len);
		msg = NULL;
		why = NULL;
		used = 0;
		if (frame_decode(f, len, &used, &msg, &why) != -1)
			fail_msg("case %zu: \"%s\" accepted", i,
			    cases[i].text);
		assert_null(msg);
		assert_non_null(why);
		if (strncmp(why, cases[i].why, strlen(cases[i].why)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i,
			    why, cases[i].why);
		/* The frame is skipped whole: the stream goes on. */
		assert_int_equal(used, len);
		free(why);
		free(f);
	}
}

/* A length over the limit is refused at once, before its bytes come,
 * and consumes nothing: the stream cannot be trusted after it. */
static void
test_frame_too_large(void **state)
{
	static const struct {
		uint32_t	 hdr;
		int		 want;
	} cases[] = {
		{ KZ_REQUEST_MAX + 1, -1 },
		{ 0xffffffffu, -1 },
		{ KZ_REQUEST_MAX, 0 },	/* allowed: waits for the bytes */
	};
	unsigned char	*f;
	json_t		*msg = NULL;
	char		*why;
	size_t		 i, len, used;

	for (i = 0; i < NITEMS(cases); i++) {
		f = tf_frame("{}", cases[i].hdr, &len);
		why = NULL;
		used = 99;
		assert_int_equal(frame_decode(f, len, &used, &msg, &why),
		    cases[i].want);
		assert_null(msg);
		if (cases[i].want == -1) {
			assert_int_equal(used, 0);
			assert_non_null(strstr(why, "over the limit"));
			free(why);
		} else
			assert_null(why);
		free(f);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_good),
		cmocka_unit_test(test_frame_partial),
		cmocka_unit_test(test_frame_stream),
		cmocka_unit_test(test_frame_bad),
		cmocka_unit_test(test_frame_too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
