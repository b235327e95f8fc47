/* E-mail messages (RFC 5322 + MIME), composed as pure code: the outbox
 * stores the finished message, so that every retry sends the same bytes
 * (the same Message-ID and Date). Text from triggers, notes and names
 * never reaches a header as it is: display names and the subject become
 * RFC 2047 encoded-words (UTF-8, base64) after control characters are
 * turned into spaces, addresses must pass mail_addr_ok, and the body is
 * base64 (UTF-8 text/plain). */
#ifndef KZ_MAIL_H
#define KZ_MAIL_H

#include <stdint.h>

struct mail {
	const char	*from;		/* addr-spec */
	const char	*from_name;	/* display name (UTF-8) or NULL */
	const char	*to;		/* addr-spec: the only recipient */
	const char	*to_name;
	const char	*subject;	/* UTF-8, any text */
	const char	*text;		/* UTF-8 body */
	const char	*msg_id;	/* without <>: "msg_...@host" */
	int64_t		 date_ms;
	const char	*incident;	/* X-Keizoku-Incident, or NULL */
	const char	*event;		/* X-Keizoku-Event, or NULL */
};

/* Whether s is an addr-spec we accept: local@domain in printable ASCII,
 * no space, quote, angle bracket, comma, semicolon or backslash, one @,
 * at most 254 bytes. Never a list: one recipient per message. */
int	 mail_addr_ok(const char *s);
/* The domain of an address (after the @), or "localhost". */
const char *mail_domain(const char *addr);
/* The message with CRLF line ends, or NULL and *why (allocated) when an
 * address is not acceptable. */
char	*mail_compose(const struct mail *, char **why);
/* A header value as RFC 2047 encoded-words folded to 76 columns, the
 * first line already holding used columns ("Subject: " = 9); ASCII
 * without controls is left as it is. Allocated. */
char	*mail_encode_header(const char *utf8, int used);
/* RFC 5322 date: "Mon, 07 Dec 2026 00:15:00 +0000". */
void	 mail_date(int64_t ms, char *buf, size_t len);

#endif
