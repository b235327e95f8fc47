/* Unit tests of daemon/sig.c: digests, base64, constant-time compare and
 * the Standard Webhooks and Grafana HMAC schemes. Expected values come
 * from published vectors (Standard Webhooks, RFC 4231, RFC 4648) or were
 * computed independently with Python's hmac module. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/sig.h"

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])

/* The Standard Webhooks reference vector. */
#define SW_SECRET	"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID		"msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_TS		1614265330
#define SW_TS_S		"1614265330"
#define SW_BODY		"{\"test\": 2432232314}"
#define SW_SIG		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

/* Grafana HMAC, secret "gf-secret". */
#define GF_SECRET	"gf-secret"
#define GF_BODY		"{\"receiver\":\"keizoku\",\"status\":\"firing\"," \
			"\"title\":\"東京 停電\"}"
#define GF_SIG		"ead2b7ee61341ede2e6950f37822805903b164395a8ad5979ea72aa3144777d7"
#define GF_SIG_UPPER	"EAD2B7EE61341EDE2E6950F37822805903B164395A8AD5979EA72AA3144777D7"
#define GF_TS_S		"1700000000"
#define GF_TS		1700000000
#define GF_SIG_TS	"6adf56f5f2ca4411d2f505e65c1e26dcaca0ccdc272265f16617d7a0fd8398f3"

static void
test_sha256_hmac(void **state)
{
	static const struct {
		const char	*key;	/* NULL: plain SHA-256 */
		const char	*msg;
		const char	*hex;
	} cases[] = {
		{ NULL, "",
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ NULL, "abc",
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "Jefe", "what do ya want for nothing?",	/* RFC 4231 #2 */
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ "", "",
		  "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad" },
	};
	unsigned char	 mac[32];
	char		 hex[65];
	size_t		 i;

	for (i = 0; i < NELEM(cases); i++) {
		if (cases[i].key == NULL)
			sha256_hex(cases[i].msg, strlen(cases[i].msg), hex);
		else {
			hmac_sha256(cases[i].key, strlen(cases[i].key),
			    cases[i].msg, strlen(cases[i].msg), mac);
			hex_encode(mac, sizeof mac, hex);
		}
		assert_string_equal(hex, cases[i].hex);
	}
}

static void
test_ct_equal(void **state)
{
	static const struct {
		const char	*a;
		size_t		 alen;
		const char	*b;
		size_t		 blen;
		int		 want;
	} cases[] = {
		{ "abc", 3, "abc", 3, 1 },
		{ "abc", 3, "abd", 3, 0 },
		{ "abc", 3, "abcd", 4, 0 },	/* prefix, different length */
		{ "abcd", 4, "abc", 3, 0 },
		{ "", 0, "", 0, 1 },
		{ "", 0, "a", 1, 0 },
		{ "a\0b", 3, "a\0c", 3, 0 },	/* not a string compare */
		{ "a\0b", 3, "a\0b", 3, 1 },
		{ "訓練", 6, "訓練", 6, 1 },
		{ "訓練", 6, "試験", 6, 0 },
	};
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++) {
		assert_int_equal(ct_equal(cases[i].a, cases[i].alen,
		    cases[i].b, cases[i].blen), cases[i].want);
	}
}

static void
test_b64_vectors(void **state)
{
	static const struct {
		const char	*plain;
		const char	*b64;
	} cases[] = {		/* RFC 4648 §10 */
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
		{ "地震", "5Zyw6ZyH" },
	};
	unsigned char	 out[64];
	char		*enc;
	long		 n;
	size_t		 i;

	for (i = 0; i < NELEM(cases); i++) {
		enc = b64_encode((const unsigned char *)cases[i].plain,
		    strlen(cases[i].plain));
		assert_string_equal(enc, cases[i].b64);
		free(enc);
		n = b64_decode(cases[i].b64, strlen(cases[i].b64), out);
		assert_int_equal(n, (long)strlen(cases[i].plain));
		assert_memory_equal(out, cases[i].plain, (size_t)n);
	}
}

static void
test_b64_unpadded(void **state)
{
	static const struct {
		const char	*b64;
		const char	*plain;
	} cases[] = {
		{ "Zg", "f" },
		{ "Zm8", "fo" },
		{ "Zm9vYg", "foob" },
		{ "Zm9vYmE", "fooba" },
	};
	unsigned char	 out[64];
	long		 n;
	size_t		 i;

	for (i = 0; i < NELEM(cases); i++) {
		n = b64_decode(cases[i].b64, strlen(cases[i].b64), out);
		assert_int_equal(n, (long)strlen(cases[i].plain));
		assert_memory_equal(out, cases[i].plain, (size_t)n);
	}
}

static void
test_b64_invalid(void **state)
{
	static const char *const cases[] = {
		"Z",		/* one leftover character carries no byte */
		"Zg=",		/* padding must complete the group */
		"Zg===",
		"Zm9v====",
		"Zm=v",		/* padding in the middle */
		"Zm9v\n",	/* whitespace is not base64 */
		" Zm9v",
		"Zm9v!A==",
		"Zm9v-_==",	/* the URL-safe alphabet is another encoding */
		"=",
	};
	unsigned char	 out[64];
	size_t		 i;

	for (i = 0; i < NELEM(cases); i++)
		assert_int_equal(b64_decode(cases[i], strlen(cases[i]), out),
		    -1);
}

static void
test_b64_roundtrip(void **state)
{
	unsigned char	 in[300], out[400];
	char		*enc;
	size_t		 len, i;
	long		 n;

	for (i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (len = 0; len <= sizeof in; len++) {
		enc = b64_encode(in, len);
		assert_int_equal(strlen(enc), (len + 2) / 3 * 4);
		/* out holds 3/4 of the encoded length, no more is needed */
		n = b64_decode(enc, strlen(enc), out);
		assert_int_equal(n, (long)len);
		assert_memory_equal(out, in, len);
		free(enc);
	}
}

static void
test_stdwh_sign(void **state)
{
	static const struct {
		const char	*secret;
		const char	*id;
		int64_t		 ts;
		const char	*body;
		const char	*want;	/* NULL: refused */
	} cases[] = {
		{ SW_SECRET, SW_ID, SW_TS, SW_BODY, SW_SIG },
		/* a secret without whsec_ is used as raw bytes */
		{ "plain-secret", "msg_1", 1700000000,
		  "{\"text\":\"地震発生\"}",
		  "v1,Zh3btFMsTB+S4BwiMONbT42C+/jFadHtXdy4UT3Gk9k=" },
		{ "whsec_", "msg_1", 1, "{}", NULL },
		{ "whsec_not base64!", "msg_1", 1, "{}", NULL },
	};
	struct stdwh_key	*k;
	char			*sig;
	size_t			 i, j;

	for (i = 0; i < NELEM(cases); i++) {
		sig = stdwh_sign(cases[i].secret, cases[i].id, cases[i].ts,
		    cases[i].body, strlen(cases[i].body));
		if (cases[i].want == NULL)
			assert_null(sig);
		else
			assert_string_equal(sig, cases[i].want);
		free(sig);
		/* The key set up once signs the same, every time. */
		k = stdwh_key_new(cases[i].secret);
		if (cases[i].want == NULL) {
			assert_null(k);
			continue;
		}
		assert_non_null(k);
		for (j = 0; j < 3; j++) {
			sig = stdwh_sign_key(k, cases[i].id, cases[i].ts,
			    cases[i].body, strlen(cases[i].body));
			assert_string_equal(sig, cases[i].want);
			free(sig);
		}
		stdwh_key_free(k);
	}
}

static void
test_stdwh_verify(void **state)
{
	static const struct {
		const char	*name;
		const char	*secret;
		const char	*id;
		const char	*ts;
		const char	*sig;
		const char	*body;
		int64_t		 now;
		const char	*why;	/* NULL: accepted */
	} cases[] = {
		{ "vector", SW_SECRET, SW_ID, SW_TS_S, SW_SIG, SW_BODY,
		  SW_TS, NULL },
		{ "tampered body", SW_SECRET, SW_ID, SW_TS_S, SW_SIG,
		  "{\"test\": 2432232315}", SW_TS, "signature mismatch" },
		{ "tampered id", SW_SECRET, "msg_other", SW_TS_S, SW_SIG,
		  SW_BODY, SW_TS, "signature mismatch" },
		{ "wrong secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx",
		  SW_ID, SW_TS_S, SW_SIG, SW_BODY, SW_TS,
		  "signature mismatch" },
		{ "tampered ts within tolerance", SW_SECRET, SW_ID,
		  "1614265331", SW_SIG, SW_BODY, SW_TS, "signature mismatch" },
		{ "stale", SW_SECRET, SW_ID, SW_TS_S, SW_SIG, SW_BODY,
		  SW_TS + 301, "timestamp too old" },
		{ "future", SW_SECRET, SW_ID, SW_TS_S, SW_SIG, SW_BODY,
		  SW_TS - 301, "timestamp in the future" },
		{ "edge old", SW_SECRET, SW_ID, SW_TS_S, SW_SIG, SW_BODY,
		  SW_TS + 300, NULL },
		{ "edge future", SW_SECRET, SW_ID, SW_TS_S, SW_SIG, SW_BODY,
		  SW_TS - 300, NULL },
		{ "second of several", SW_SECRET, SW_ID, SW_TS_S,
		  "v1,Zm9vYmFy v1a,abcd " SW_SIG, SW_BODY, SW_TS, NULL },
		{ "first of several", SW_SECRET, SW_ID, SW_TS_S,
		  SW_SIG " v1,Zm9vYmFy", SW_BODY, SW_TS, NULL },
		{ "extra spaces", SW_SECRET, SW_ID, SW_TS_S,
		  "  " SW_SIG "  ", SW_BODY, SW_TS, NULL },
		{ "several, none right", SW_SECRET, SW_ID, SW_TS_S,
		  "v1,Zm9vYmFy v1,g0hM9SsE", SW_BODY, SW_TS,
		  "signature mismatch" },
		{ "no v1", SW_SECRET, SW_ID, SW_TS_S,
		  "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v2,x",
		  SW_BODY, SW_TS, "no v1 signature in webhook-signature" },
		{ "bare base64", SW_SECRET, SW_ID, SW_TS_S,
		  "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", SW_BODY,
		  SW_TS, "no v1 signature in webhook-signature" },
		{ "fractional ts", SW_SECRET, SW_ID, "1614265330.0", SW_SIG,
		  SW_BODY, SW_TS, "timestamp is not an integer" },
		{ "word ts", SW_SECRET, SW_ID, "now", SW_SIG, SW_BODY, SW_TS,
		  "timestamp is not an integer" },
		{ "spaced ts", SW_SECRET, SW_ID, " 1614265330", SW_SIG,
		  SW_BODY, SW_TS, "timestamp is not an integer" },
		{ "signed ts", SW_SECRET, SW_ID, "+1614265330", SW_SIG,
		  SW_BODY, SW_TS, "timestamp is not an integer" },
		{ "huge ts", SW_SECRET, SW_ID, "99999999999999999999999",
		  SW_SIG, SW_BODY, SW_TS, "timestamp is not an integer" },
		{ "missing id", SW_SECRET, NULL, SW_TS_S, SW_SIG, SW_BODY,
		  SW_TS, "missing webhook-id" },
		{ "missing ts", SW_SECRET, SW_ID, NULL, SW_SIG, SW_BODY,
		  SW_TS, "missing webhook-timestamp" },
		{ "missing sig", SW_SECRET, SW_ID, SW_TS_S, "", SW_BODY,
		  SW_TS, "missing webhook-signature" },
		{ "bad secret", "whsec_***", SW_ID, SW_TS_S, SW_SIG, SW_BODY,
		  SW_TS, "invalid webhook secret" },
	};
	const char	*why;
	size_t		 i;
	int		 rc;

	for (i = 0; i < NELEM(cases); i++) {
		why = NULL;
		rc = stdwh_verify(cases[i].secret, cases[i].id, cases[i].ts,
		    cases[i].sig, cases[i].body, strlen(cases[i].body),
		    cases[i].now, 300, &why);
		if (cases[i].why == NULL) {
			if (rc != 0)
				fail_msg("%s: rejected: %s", cases[i].name,
				    why);
		} else {
			if (rc != -1)
				fail_msg("%s: accepted", cases[i].name);
			assert_non_null(why);
			if (strcmp(why, cases[i].why) != 0)
				fail_msg("%s: why \"%s\", want \"%s\"",
				    cases[i].name, why, cases[i].why);
		}
	}
}

/* What stdwh_sign produces, stdwh_verify accepts: the outbound channel
 * and an inbound source agree with each other, Japanese bodies too. */
static void
test_stdwh_roundtrip(void **state)
{
	static const char *const bodies[] = {
		"",
		"{}",
		"{\"text\":\"[訓練 DRILL] 本番サイト被災\",\"drill\":true}",
	};
	const char	*why;
	char		*sig;
	size_t		 i;

	for (i = 0; i < NELEM(bodies); i++) {
		sig = stdwh_sign(SW_SECRET, "msg_rt", 1700000000, bodies[i],
		    strlen(bodies[i]));
		assert_non_null(sig);
		assert_int_equal(stdwh_verify(SW_SECRET, "msg_rt",
		    "1700000000", sig, bodies[i], strlen(bodies[i]),
		    1700000005, 300, &why), 0);
		free(sig);
	}
}

static void
test_grafana_hmac(void **state)
{
	static const struct {
		const char	*name;
		const char	*secret;
		const char	*sig;
		const char	*ts;	/* NULL: no timestamp header */
		const char	*body;
		int64_t		 now;
		const char	*why;	/* NULL: accepted */
	} cases[] = {
		{ "body only", GF_SECRET, GF_SIG, NULL, GF_BODY, GF_TS, NULL },
		{ "upper-case hex", GF_SECRET, GF_SIG_UPPER, NULL, GF_BODY,
		  GF_TS, NULL },
		{ "tampered body", GF_SECRET, GF_SIG, NULL,
		  "{\"receiver\":\"keizoku\",\"status\":\"resolved\"}", GF_TS,
		  "signature mismatch" },
		{ "wrong secret", "gf-secreT", GF_SIG, NULL, GF_BODY, GF_TS,
		  "signature mismatch" },
		{ "truncated", GF_SECRET, "ead2b7ee61341ede", NULL, GF_BODY,
		  GF_TS, "signature mismatch" },
		{ "prefixed", GF_SECRET, "sha256=" GF_SIG, NULL, GF_BODY,
		  GF_TS, "signature mismatch" },
		{ "missing", GF_SECRET, NULL, NULL, GF_BODY, GF_TS,
		  "missing signature header" },
		{ "with timestamp", GF_SECRET, GF_SIG_TS, GF_TS_S, GF_BODY,
		  GF_TS + 10, NULL },
		{ "timestamp dropped", GF_SECRET, GF_SIG_TS, NULL, GF_BODY,
		  GF_TS, "signature mismatch" },
		{ "timestamp added", GF_SECRET, GF_SIG, GF_TS_S, GF_BODY,
		  GF_TS, "signature mismatch" },
		{ "timestamp changed", GF_SECRET, GF_SIG_TS, "1700000001",
		  GF_BODY, GF_TS, "signature mismatch" },
		{ "stale", GF_SECRET, GF_SIG_TS, GF_TS_S, GF_BODY,
		  GF_TS + 301, "timestamp too old" },
		{ "future", GF_SECRET, GF_SIG_TS, GF_TS_S, GF_BODY,
		  GF_TS - 301, "timestamp in the future" },
		{ "non-integer ts", GF_SECRET, GF_SIG_TS, "1700000000.5",
		  GF_BODY, GF_TS, "timestamp is not an integer" },
		{ "empty ts", GF_SECRET, GF_SIG_TS, "", GF_BODY, GF_TS,
		  "timestamp is not an integer" },
	};
	const char	*why;
	size_t		 i;
	int		 rc;

	for (i = 0; i < NELEM(cases); i++) {
		why = NULL;
		rc = grafana_hmac_verify(cases[i].secret, cases[i].sig,
		    cases[i].ts, cases[i].body, strlen(cases[i].body),
		    cases[i].now, 300, &why);
		if (cases[i].why == NULL) {
			if (rc != 0)
				fail_msg("%s: rejected: %s", cases[i].name,
				    why);
		} else {
			if (rc != -1)
				fail_msg("%s: accepted", cases[i].name);
			assert_non_null(why);
			if (strcmp(why, cases[i].why) != 0)
				fail_msg("%s: why \"%s\", want \"%s\"",
				    cases[i].name, why, cases[i].why);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_hmac),
		cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64_unpadded),
		cmocka_unit_test(test_b64_invalid),
		cmocka_unit_test(test_b64_roundtrip),
		cmocka_unit_test(test_stdwh_sign),
		cmocka_unit_test(test_stdwh_verify),
		cmocka_unit_test(test_stdwh_roundtrip),
		cmocka_unit_test(test_grafana_hmac),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
