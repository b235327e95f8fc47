#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/sig.h"
#include "common/weblink.h"
#include "common/xmalloc.h"

#define WL_MAC_LEN	43	/* b64url of 32 bytes */

char *
b64url_encode(const unsigned char *p, size_t n)
{
	static const char	 al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	struct buf		 b = { 0 };
	size_t			 i;
	uint32_t		 v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		buf_addc(&b, al[v >> 18 & 63]);
		buf_addc(&b, al[v >> 12 & 63]);
		buf_addc(&b, al[v >> 6 & 63]);
		buf_addc(&b, al[v & 63]);
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		buf_addc(&b, al[v >> 18 & 63]);
		buf_addc(&b, al[v >> 12 & 63]);
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		buf_addc(&b, al[v >> 18 & 63]);
		buf_addc(&b, al[v >> 12 & 63]);
		buf_addc(&b, al[v >> 6 & 63]);
	}
	return buf_steal(&b);
}

char *
wl_random(size_t n)
{
	unsigned char	r[64];

	if (n > sizeof r)
		n = sizeof r;
	if (RAND_bytes(r, (int)n) != 1)
		fatalx("RAND_bytes failed: no randomness for web tokens");
	return b64url_encode(r, n);
}

void
wl_binding(const char *s, char out[23])
{
	unsigned char	 h[SHA256_DIGEST_LENGTH];
	char		*e;

	SHA256((const unsigned char *)s, strlen(s), h);
	e = b64url_encode(h, sizeof h);
	memcpy(out, e, 22);
	out[22] = '\0';
	free(e);
}

static int
wl_field_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < WL_FIELD_MAX && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static char *
wl_mac(const char *secret, const char *payload)
{
	unsigned char mac[32];

	hmac_sha256(secret, strlen(secret), payload, strlen(payload), mac);
	return b64url_encode(mac, sizeof mac);
}

char *
wl_sign(const char *secret, const struct wl_claims *c)
{
	char	*nonce, *payload, *mac, *tok;

	nonce = c->nonce[0] != '\0' ? xstrdup(c->nonce) : wl_random(16);
	if (!wl_field_ok(c->subject) || !wl_field_ok(c->scope) ||
	    !wl_field_ok(nonce) || c->expires_s < 0) {
		free(nonce);
		return NULL;
	}
	payload = xprintf("%c1.%s.%s.%lld.%s", c->kind, c->subject, c->scope,
	    (long long)c->expires_s, nonce);
	mac = wl_mac(secret, payload);
	tok = xprintf("%s.%s", payload, mac);
	free(nonce);
	free(payload);
	free(mac);
	return tok;
}

/* Splits token into its six fields (in place in a copy). */
static int
wl_split(char *s, char *f[6])
{
	size_t	i;
	char	*dot;

	for (i = 0; i < 6; i++) {
		f[i] = s;
		dot = strchr(s, '.');
		if (i < 5) {
			if (dot == NULL)
				return -1;
			*dot = '\0';
			s = dot + 1;
		} else if (dot != NULL)
			return -1;
	}
	return 0;
}

int
wl_verify(const char *secret, const char *token, char kind, int64_t now_s,
    struct wl_claims *out, const char **why)
{
	char		*copy, *f[6], *payload, *mac;
	long long	 exp;
	size_t		 plen;
	int		 rc = -1;

	*why = "malformed";
	if (token == NULL || strlen(token) > 6 * WL_FIELD_MAX)
		return -1;
	copy = xstrdup(token);
	if (wl_split(copy, f) == -1 || strlen(f[0]) != 2 || f[0][1] != '1' ||
	    !wl_field_ok(f[1]) || !wl_field_ok(f[2]) || !wl_field_ok(f[4]) ||
	    parse_i64(f[3], &exp) == -1 || exp < 0 ||
	    strlen(f[5]) != WL_MAC_LEN) {
		free(copy);
		return -1;
	}
	/* The MAC covers everything before its dot. */
	plen = (size_t)(f[5] - copy) - 1;
	payload = xstrndup(token, plen);
	mac = wl_mac(secret, payload);
	if (!ct_equal(mac, strlen(mac), f[5], strlen(f[5])))
		*why = "bad signature";
	else if (f[0][0] != kind)
		*why = "wrong kind";
	else if (exp <= now_s)
		*why = "expired";
	else {
		memset(out, 0, sizeof *out);
		out->kind = f[0][0];
		kz_strlcpy(out->subject, f[1], sizeof out->subject);
		kz_strlcpy(out->scope, f[2], sizeof out->scope);
		out->expires_s = exp;
		kz_strlcpy(out->nonce, f[4], sizeof out->nonce);
		*why = NULL;
		rc = 0;
	}
	free(mac);
	free(payload);
	free(copy);
	return rc;
}
