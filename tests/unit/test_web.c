/* Unit tests of the pure parts of the web pages and e-mail: signed tokens
 * (common/weblink.c), MIME composition and RFC 2047 encoded-words
 * (model/mail.c), local time in a named zone, and situation reports
 * (model/sitrep.c). Decoding goes through OpenSSL's base64, not ours. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "common/timeutil.h"
#include "common/weblink.h"
#include "common/xmalloc.h"
#include "model/mail.h"
#include "model/sitrep.h"

#define NELEM(a)	(sizeof (a) / sizeof (a)[0])
#define SECRET		"unit-test-secret-0123456789"

static char *
sign(char kind, const char *subject, const char *scope, int64_t exp,
    const char *nonce)
{
	struct wl_claims c;

	memset(&c, 0, sizeof c);
	c.kind = kind;
	strcpy(c.subject, subject);
	strcpy(c.scope, scope);
	c.expires_s = exp;
	strcpy(c.nonce, nonce);
	return wl_sign(SECRET, &c);
}

static void
test_token_roundtrip(void **state)
{
	struct wl_claims	 c;
	const char		*why;
	char			*t = sign('r', "sato", "12", 2000, "-");

	assert_non_null(t);
	assert_int_equal(wl_verify(SECRET, t, 'r', 1999, &c, &why), 0);
	assert_string_equal(c.subject, "sato");
	assert_string_equal(c.scope, "12");
	assert_int_equal(c.expires_s, 2000);
	free(t);
	/* A random nonce when none is given: two tokens differ. */
	t = sign('l', "sato", "0", 2000, "");
	assert_int_equal(wl_verify(SECRET, t, 'l', 1, &c, &why), 0);
	assert_true(strlen(c.nonce) >= 16);
	free(t);
}

static void
test_token_attacks(void **state)
{
	static const struct {
		const char	*what;
		int		 edit;	/* 0 none, 1 truncate, 2 member, 3
					   incident, 4 expiry, 5 kind */
		char		 kind;
		int64_t		 now;
		const char	*why;
	} cases[] = {
		{ "valid", 0, 'r', 1000, NULL },
		{ "expired", 0, 'r', 2000, "expired" },
		{ "long expired", 0, 'r', 99999, "expired" },
		{ "truncated", 1, 'r', 1000, "malformed" },
		{ "other member", 2, 'r', 1000, "bad signature" },
		{ "other incident", 3, 'r', 1000, "bad signature" },
		{ "later expiry", 4, 'r', 1000, "bad signature" },
		{ "another kind asked", 0, 'c', 1000, "wrong kind" },
		{ "kind swapped", 5, 'c', 1000, "bad signature" },
	};
	struct wl_claims	 c;
	const char		*why;
	size_t			 i;

	for (i = 0; i < NELEM(cases); i++) {
		char *t = sign('r', "sato", "12", 2000, "-"), *e = NULL;

		switch (cases[i].edit) {
		case 1:
			t[strlen(t) - 3] = '\0';
			break;
		case 2:
			e = xprintf("r1.ito.%s", t + strlen("r1.sato."));
			break;
		case 3:
			e = xprintf("r1.sato.13.%s", t + strlen("r1.sato.12."));
			break;
		case 4:
			e = xprintf("r1.sato.12.9000.%s", t +
			    strlen("r1.sato.12.2000."));
			break;
		case 5:
			t[0] = 'c';
			break;
		}
		why = NULL;
		assert_int_equal(wl_verify(SECRET, e ? e : t, cases[i].kind,
		    cases[i].now, &c, &why), cases[i].why ? -1 : 0);
		if (cases[i].why)
			assert_string_equal(why, cases[i].why);
		free(t);
		free(e);
	}
	/* Another secret. */
	{
		char *t = sign('r', "sato", "12", 2000, "-");

		assert_int_equal(wl_verify("another-secret-0123456789", t, 'r',
		    1000, &c, &why), -1);
		assert_string_equal(why, "bad signature");
		free(t);
	}
	/* Fields that cannot be in a token. */
	assert_null(sign('r', "sa.to", "12", 2000, "-"));
	assert_null(sign('r', "sato", "1 2", 2000, "-"));
	assert_null(sign('r', "", "12", 2000, "-"));
	assert_int_equal(wl_verify(SECRET, "", 'r', 1, &c, &why), -1);
	assert_int_equal(wl_verify(SECRET, "r1.a.b.c.d.e.f", 'r', 1, &c,
	    &why), -1);
	assert_int_equal(wl_verify(SECRET, NULL, 'r', 1, &c, &why), -1);
}

static void
test_addr(void **state)
{
	static const struct {
		const char	*addr;
		int		 ok;
	} cases[] = {
		{ "tanaka@example.go.jp", 1 },
		{ "a.b+c@x.jp", 1 },
		{ "tanaka@example.go.jp\r\nBcc: x@y", 0 },
		{ "tanaka@example.go.jp, x@y", 0 },
		{ "<tanaka@example.go.jp>", 0 },
		{ "\"q\"@x.jp", 0 },
		{ "noat", 0 },
		{ "a@b@c", 0 },
		{ "@x.jp", 0 },
		{ "a@", 0 },
		{ "田中@example.go.jp", 0 },
		{ "a b@x.jp", 0 },
	};
	size_t i;

	for (i = 0; i < NELEM(cases); i++)
		assert_int_equal(mail_addr_ok(cases[i].addr), cases[i].ok);
}

/* Decodes every "=?UTF-8?B?...?=" word of a header value. */
static char *
decode_words(const char *v)
{
	struct buf	 b = { 0 };
	const char	*p = v, *q;
	unsigned char	 out[256];
	int		 n;

	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		p += 10;
		q = strstr(p, "?=");
		assert_non_null(q);
		n = EVP_DecodeBlock(out, (const unsigned char *)p,
		    (int)(q - p));
		assert_true(n >= 0);
		while (q > p && q[-1] == '=') {	/* padding decodes to 0s */
			n--;
			q--;
		}
		buf_add(&b, (const char *)out, (size_t)n);
		p = strstr(p, "?=") + 2;
	}
	return buf_steal(&b);
}

static void
test_encode_header(void **state)
{
	static const char *const cases[] = {
		"【参集】#12 震度6弱 東京都 本部へ参集してください（日本語の長い件名"
		"が何行にも折り返される場合）",
		"警報\r\nBcc: evil@example.com",
		"=?UTF-8?B?Zm9v?= ascii that looks encoded",
		"e\xcc\x81 combining and 😀 four-byte",
	};
	size_t	i;
	char	*e, *d, *line;

	/* Plain ASCII stays as it is. */
	e = mail_encode_header("Plain subject", 9);
	assert_string_equal(e, "Plain subject");
	free(e);
	for (i = 0; i < NELEM(cases); i++) {
		e = mail_encode_header(cases[i], 9);
		/* No bare line break, every line within 76 columns. */
		for (line = e; line != NULL; ) {
			char *nl = strstr(line, "\r\n");
			size_t len = nl ? (size_t)(nl - line) : strlen(line);

			assert_true(len + (line == e ? 9 : 0) <= 76);
			if (nl != NULL)
				assert_true(nl[2] == ' ');
			line = nl ? nl + 2 : NULL;
		}
		assert_null(strchr(e, '\n') != NULL && strstr(e, "\r\n ") ==
		    NULL ? e : NULL);
		d = decode_words(e);
		if (i == 1)
			assert_string_equal(d, "警報  Bcc: evil@example.com");
		else
			assert_string_equal(d, cases[i]);
		free(d);
		free(e);
	}
}

static void
test_compose(void **state)
{
	struct mail	 m;
	char		*msg, *why = NULL, *body, *hdr;
	unsigned char	 dec[1024];
	int		 n;

	memset(&m, 0, sizeof m);
	m.from = "keizoku@example.go.jp";
	m.from_name = "keizoku";
	m.to = "sato@example.go.jp";
	m.to_name = "佐藤 次郎";
	m.subject = "【参集】#1 本部へ";
	m.text = "参集してください\nhttps://x/r/TOKEN\n";
	m.msg_id = "msg_abc@example.go.jp";
	m.date_ms = 1796601600000LL;	/* 2026-12-07T00:00:00Z */
	m.incident = "1";
	m.event = "assembly.callout";
	msg = mail_compose(&m, &why);
	assert_non_null(msg);
	body = strstr(msg, "\r\n\r\n");
	assert_non_null(body);
	hdr = xstrndup(msg, (size_t)(body - msg));
	assert_non_null(strstr(hdr, "Date: Mon, 07 Dec 2026 00:00:00 +0000\r\n"));
	assert_non_null(strstr(hdr, "Message-ID: <msg_abc@example.go.jp>\r\n"));
	assert_non_null(strstr(hdr, "From: keizoku <keizoku@example.go.jp>\r\n"));
	assert_non_null(strstr(hdr, "To: =?UTF-8?B?"));
	assert_non_null(strstr(hdr, "<sato@example.go.jp>\r\n"));
	assert_non_null(strstr(hdr, "Content-Type: text/plain; charset=UTF-8"));
	assert_non_null(strstr(hdr, "Content-Transfer-Encoding: base64"));
	assert_non_null(strstr(hdr, "X-Keizoku-Incident: 1\r\n"));
	/* Every header line is 7-bit. */
	for (n = 0; hdr[n] != '\0'; n++)
		assert_true((unsigned char)hdr[n] < 0x80);
	body += 4;
	{
		char	*flat = xstrdup(body), *p, *q;

		for (p = q = flat; *p != '\0'; p++)
			if (*p != '\r' && *p != '\n')
				*q++ = *p;
		*q = '\0';
		n = EVP_DecodeBlock(dec, (unsigned char *)flat,
		    (int)strlen(flat));
		assert_true(n > 0);
		dec[n] = '\0';
		assert_non_null(strstr((char *)dec, "参集してください\r\n"
		    "https://x/r/TOKEN\r\n"));
		free(flat);
	}
	free(hdr);
	free(msg);
	/* A recipient that is not one plain address is refused. */
	m.to = "sato@example.go.jp\r\nBcc: x@y";
	assert_null(mail_compose(&m, &why));
	assert_non_null(why);
	free(why);
}

static void
test_local_time(void **state)
{
	char	b[64];

	/* 2026-12-07T00:00:00Z is 09:00 in Tokyo, 19:00 the day before in
	 * New York (EST). */
	assert_string_equal(local_time_fmt("Asia/Tokyo", 1796601600000LL,
	    "%Y-%m-%d %H:%M %z", b, sizeof b), "2026-12-07 09:00 +0900");
	assert_string_equal(local_time_fmt("America/New_York",
	    1796601600000LL, "%m/%d %H:%M", b, sizeof b), "12/06 19:00");
	assert_string_equal(local_time_fmt("UTC", 1796601600000LL, "%H:%M",
	    b, sizeof b), "00:00");
	/* The process's own zone is left as it was. */
	assert_null(getenv("TZ") != NULL && strcmp(getenv("TZ"), "Asia/Tokyo")
	    == 0 ? "" : NULL);
}

static void
test_sitrep(void **state)
{
	json_t	*in;
	char	*md, *html;

	in = json_pack("{s:i,s:{s:i,s:s,s:b,s:[{s:s,s:s,s:s,s:s?,s:s}],"
	    "s:{s:{s:i,s:i,s:i,s:i}},s:[]},s:I,s:s,s:s,s:I,"
	    "s:[{s:I,s:s,s:s}],s:[],s:{s:s},s:{s:s},s:I}",
	    "n", 2, "incident", "id", 7, "title", "震度6弱 <b>", "drill", 1,
	    "steps", "id", "verify", "title", "確認 <script>", "state", "ready",
	    "assignee", "sato", "deadline_at", "2026-12-07T00:30:00Z",
	    "assembly", "operator", "required", 2, "available", 1, "arrived", 1,
	    "unavailable", 0, "systems", "issued_at", (json_int_t)1796601600000LL,
	    "issued_by", "田中 太郎", "zone", "Asia/Tokyo", "prev_at",
	    (json_int_t)1796598000000LL, "changes", "at",
	    (json_int_t)1796599000000LL, "who", "sato (web)", "text",
	    "assembly.response: sato (operator): available", "exceptions",
	    "names", "sato", "佐藤 次郎", "roles", "operator", "運用担当", "now",
	    (json_int_t)1796604000000LL);
	md = sitrep_render(in, "md");
	html = sitrep_render(in, "html");
	assert_non_null(strstr(md, "# 【訓練 DRILL】第2報 #7 震度6弱 \\<b>"));
	assert_non_null(strstr(md, "前報（12/07 08:00）からの変化"));
	assert_non_null(strstr(md, "12/07 08:16 sato (web): assembly.response"));
	assert_non_null(strstr(md, "| 運用担当 | 2 | 1 | 1 | 0 |"));
	assert_non_null(strstr(md, "【期限超過 LATE】確認"));
	assert_non_null(strstr(md, "佐藤 次郎"));
	assert_non_null(strstr(html, "第2報"));
	assert_null(strstr(html, "<script>"));
	assert_non_null(strstr(html, "確認 &lt;script&gt;"));
	free(md);
	free(html);
	json_decref(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_roundtrip),
		cmocka_unit_test(test_token_attacks),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_encode_header),
		cmocka_unit_test(test_compose),
		cmocka_unit_test(test_local_time),
		cmocka_unit_test(test_sitrep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
