#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/sig.h"
#include "common/xmalloc.h"
#include "model/mail.h"

/* Raw bytes per encoded-word: 52 base64 characters, a word of 64, which
 * fits after "Subject: " in 76 columns (RFC 2047 allows 75 a word). */
#define MAIL_WORD_BYTES	39
#define MAIL_LINE	76

int
mail_addr_ok(const char *s)
{
	const char	*at, *p;
	size_t		 n;

	if (s == NULL || (n = strlen(s)) < 3 || n > 254)
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("\"<>(),;:\\[]", *p) != NULL)
			return 0;
	if ((at = strchr(s, '@')) == NULL || at == s || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	return at - s <= 64 && at[1] != '.' && s[n - 1] != '.';
}

const char *
mail_domain(const char *addr)
{
	const char *at = addr != NULL ? strchr(addr, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : "localhost";
}

/* Length of the UTF-8 sequence starting at p, at least 1. */
static size_t
u8len(const unsigned char *p)
{
	size_t n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 1, i;

	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return i;
	return n;
}

/* s with every control character (CR and LF among them) a space, and
 * runs of blanks at the ends dropped. */
static char *
mail_clean(const char *s)
{
	char	*c = xstrdup(s != NULL ? s : ""), *p;
	size_t	 n;

	for (p = c; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	n = strlen(c);
	while (n > 0 && c[n - 1] == ' ')
		c[--n] = '\0';
	p = c + strspn(c, " ");
	memmove(c, p, strlen(p) + 1);
	return c;
}

static int
mail_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x7f || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

char *
mail_encode_header(const char *utf8, int used)
{
	char		*c = mail_clean(utf8), *e;
	struct buf	 b = { 0 };
	const char	*p;
	size_t		 n, k;
	int		 col = used;

	/* ASCII without "=?" (it would read as an encoded-word) may stay. */
	if (mail_plain(c) && strstr(c, "=?") == NULL &&
	    strlen(c) + (size_t)used <= 998)
		return c;
	for (p = c; *p != '\0'; p += n) {
		/* As many whole characters as fit in one word. */
		for (n = 0; p[n] != '\0'; n += k) {
			k = u8len((const unsigned char *)p + n);
			if (n + k > MAIL_WORD_BYTES)
				break;
		}
		e = b64_encode((const unsigned char *)p, n);
		if (p != c) {
			buf_adds(&b, "\r\n ");
			col = 1;
		}
		buf_printf(&b, "=?UTF-8?B?%s?=", e);
		col += 12 + (int)strlen(e);
		free(e);
	}
	free(c);
	(void)col;
	return buf_steal(&b);
}

void
mail_date(int64_t ms, char *buf, size_t len)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* "Name <addr>" with the name encoded, or the bare address. */
static void
mail_mailbox(struct buf *b, const char *hdr, const char *name,
    const char *addr)
{
	char *n;

	buf_printf(b, "%s: ", hdr);
	if (name != NULL && *name != '\0') {
		n = mail_encode_header(name, (int)strlen(hdr) + 2);
		/* A plain name with specials must be quoted. */
		if (mail_plain(n) && strpbrk(n, "()<>[]:;@\\,.\"") != NULL) {
			char *p;

			buf_addc(b, '"');
			for (p = n; *p != '\0'; p++) {
				if (*p == '"' || *p == '\\')
					buf_addc(b, '\\');
				buf_addc(b, *p);
			}
			buf_addc(b, '"');
		} else
			buf_adds(b, n);
		free(n);
		buf_printf(b, " <%s>\r\n", addr);
	} else
		buf_printf(b, "%s\r\n", addr);
}

/* The body as base64 in lines of 76. */
static void
mail_body(struct buf *b, const char *text)
{
	struct buf	 t = { 0 };
	const char	*p;
	char		*e;
	size_t		 i, n;

	/* Line ends as CRLF before encoding (RFC 2045 canonical form). */
	for (p = text; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n')
			buf_addc(&t, '\r');
		buf_addc(&t, *p);
	}
	e = b64_encode((const unsigned char *)(t.s ? t.s : ""), t.len);
	n = strlen(e);
	for (i = 0; i < n; i += MAIL_LINE) {
		buf_add(b, e + i, n - i < MAIL_LINE ? n - i : MAIL_LINE);
		buf_adds(b, "\r\n");
	}
	free(e);
	buf_free(&t);
}

char *
mail_compose(const struct mail *m, char **why)
{
	struct buf	 b = { 0 };
	char		 date[64], *s;

	if (!mail_addr_ok(m->from)) {
		*why = xstrdup("the sender address is not a plain address");
		return NULL;
	}
	if (!mail_addr_ok(m->to)) {
		*why = xstrdup("the recipient address is not a plain address");
		return NULL;
	}
	mail_date(m->date_ms, date, sizeof date);
	buf_printf(&b, "Date: %s\r\n", date);
	mail_mailbox(&b, "From", m->from_name, m->from);
	mail_mailbox(&b, "To", m->to_name, m->to);
	s = mail_encode_header(m->subject, 9);
	buf_printf(&b, "Subject: %s\r\n", s);
	free(s);
	buf_printf(&b, "Message-ID: <%s>\r\n", m->msg_id);
	if (m->incident != NULL && mail_plain(m->incident))
		buf_printf(&b, "X-Keizoku-Incident: %s\r\n", m->incident);
	if (m->event != NULL && mail_plain(m->event))
		buf_printf(&b, "X-Keizoku-Event: %s\r\n", m->event);
	buf_adds(&b, "Auto-Submitted: auto-generated\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n");
	mail_body(&b, m->text != NULL ? m->text : "");
	return buf_steal(&b);
}
