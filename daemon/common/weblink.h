/* Signed tokens of the web pages (SPEC §14): personal answer links,
 * one-time sign-in links and CSRF values. A token is readable text that
 * carries its claims and an HMAC-SHA256 over them, keyed by web.secret:
 *
 *	KIND.SUBJECT.SCOPE.EXPIRES.NONCE.MAC
 *
 *	r  member  incident   expiry (unix s)  "-"     personal answer link
 *	l  member  "0"        expiry           random  sign-in link (once)
 *	c  member  binding    expiry           random  CSRF value (once)
 *	k  member  rota       expiry           "-"     calendar feed (rota ics)
 *
 * Fields hold only [A-Za-z0-9_-] (member ids are [a-z0-9][a-z0-9_-]*),
 * so a token needs no escaping in a URL, a form or a cookie. The kind is
 * inside the MAC: a token of one kind never passes for another. What is
 * used once is recorded by the caller (the nonce); this file is pure. */
#ifndef KZ_WEBLINK_H
#define KZ_WEBLINK_H

#include <stddef.h>
#include <stdint.h>

#define WL_FIELD_MAX	64

struct wl_claims {
	char	kind;				/* 'r', 'l', 'c' */
	char	subject[WL_FIELD_MAX];		/* member id */
	char	scope[WL_FIELD_MAX];		/* incident id, binding */
	int64_t	expires_s;
	char	nonce[WL_FIELD_MAX];		/* "-": none */
};

/* A new token for the claims (nonce "" makes a random one); NULL when a
 * field holds a character outside [A-Za-z0-9_-] or is too long. */
char	*wl_sign(const char *secret, const struct wl_claims *);
/* Checks form, kind, MAC (constant time) and expiry against now_s.
 * 0 and *out filled, or -1 with *why (static): "malformed", "bad
 * signature", "expired", "wrong kind". */
int	 wl_verify(const char *secret, const char *token, char kind,
	    int64_t now_s, struct wl_claims *out, const char **why);
/* URL-safe base64 without padding of n random bytes; allocated. */
char	*wl_random(size_t n);
/* URL-safe base64 without padding; allocated. */
char	*b64url_encode(const unsigned char *, size_t);
/* The first 22 characters of b64url(SHA-256(s)): what a CSRF value is
 * bound to (a session id, a personal link), never the secret itself. */
void	 wl_binding(const char *s, char out[23]);

#endif
