/* Hashes, HMACs and the two webhook signature schemes keizoku checks or
 * produces: Standard Webhooks (inbound sources and outbound "webhook"
 * channels) and Grafana's HMAC header. Everything that compares a secret
 * or a signature goes through ct_equal. */

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include "common/log.h"
#include "common/sig.h"
#include "common/xmalloc.h"

#define STDWH_PREFIX	"whsec_"
#define STDWH_VERSION	"v1,"
/* A unix time in seconds fits in 18 digits for the next 30 billion years;
 * refusing longer strings keeps parse_i64 and the arithmetic away from
 * overflow. */
#define SIG_TS_MAXDIGITS 18
/* EVP_EncodeBlock takes an int: encode in slices of whole 3-byte groups. */
#define SIG_B64_SLICE	(3 * 1024 * 1024)

int
ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return 0;
	if (alen == 0)
		return 1;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

void
hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* SHA-256 fetched once: EVP_sha256() makes every digest look the
 * algorithm up again (OpenSSL 3's implicit fetch: a lock and a search,
 * most of the cost of hashing an event of the log). */
static EVP_MD		*sig_sha256;
static pthread_once_t	 sig_sha256_once = PTHREAD_ONCE_INIT;

static void
sig_sha256_fetch(void)
{
	if ((sig_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		fatalx("EVP_MD_fetch(SHA256) failed");
}

void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;

	if (data == NULL)
		data = "";
	pthread_once(&sig_sha256_once, sig_sha256_fetch);
	if (!EVP_Digest(data, len, md, &mdlen, sig_sha256, NULL) ||
	    mdlen != 32)
		fatalx("EVP_Digest(sha256) failed");
	hex_encode(md, mdlen, out);
}

void
hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[32])
{
	static const unsigned char	 empty[1];
	unsigned int			 outlen = 0;

	/* OpenSSL treats a NULL key as "reuse the previous one"; an empty
	 * key must be a real pointer. */
	if (key == NULL || keylen == 0)
		key = empty;
	if (msg == NULL)
		msg = empty;
	if (keylen > INT_MAX)
		fatalx("hmac_sha256: key too long");
	if (HMAC(EVP_sha256(), key, (int)keylen, msg, len, out,
	    &outlen) == NULL || outlen != 32)
		fatalx("HMAC(sha256) failed");
}

char *
b64_encode(const unsigned char *in, size_t len)
{
	char	*out, *p;
	size_t	 slice;
	int	 n;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		fatalx("b64_encode: input too long");
	out = xmalloc((len + 2) / 3 * 4 + 1);
	p = out;
	*p = '\0';
	while (len > 0) {
		slice = len < SIG_B64_SLICE ? len : SIG_B64_SLICE;
		n = EVP_EncodeBlock((unsigned char *)p, in, (int)slice);
		p += n;
		in += slice;
		len -= slice;
	}
	return out;
}

static int
sig_b64_char(int c)
{
	return isascii(c) && (isalnum(c) || c == '+' || c == '/');
}

/* Checks the alphabet and the padding strictly (EVP_DecodeBlock would skip
 * whitespace and count the padding as data). Returns the number of
 * significant characters or -1. Unpadded input is accepted, as some
 * Standard Webhooks implementations emit it. */
static long
sig_b64_check(const char *in, size_t inlen)
{
	size_t	 i, sig;

	sig = inlen;
	while (sig > 0 && in[sig - 1] == '=')
		sig--;
	if (inlen - sig > 2 || (inlen != sig && inlen % 4 != 0))
		return -1;
	if (sig % 4 == 1)
		return -1;
	for (i = 0; i < sig; i++) {
		if (!sig_b64_char((unsigned char)in[i]))
			return -1;
	}
	if (sig > LONG_MAX)
		return -1;
	return (long)sig;
}

long
b64_decode(const char *in, size_t inlen, unsigned char *out)
{
	unsigned char	 tail[3];
	char		 quad[5];
	long		 sig;
	size_t		 full, rest, done;
	int		 n;

	if ((sig = sig_b64_check(in, inlen)) == -1)
		return -1;
	full = (size_t)sig / 4 * 4;
	rest = (size_t)sig - full;
	done = 0;
	while (full - done > 0) {
		size_t	slice = full - done;

		if (slice > SIG_B64_SLICE / 3 * 4)
			slice = SIG_B64_SLICE / 3 * 4;
		n = EVP_DecodeBlock(out + done / 4 * 3,
		    (const unsigned char *)in + done, (int)slice);
		if (n < 0)
			return -1;
		done += slice;
	}
	if (rest == 0)
		return (long)(full / 4 * 3);

	/* The last group goes through a private buffer: decoding it padded
	 * in place would write past the caller's 3/4 of inlen. */
	memcpy(quad, in + full, rest);
	memset(quad + rest, '=', 4 - rest);
	quad[4] = '\0';
	if (EVP_DecodeBlock(tail, (const unsigned char *)quad, 4) != 3)
		return -1;
	memcpy(out + full / 4 * 3, tail, rest - 1);
	return (long)(full / 4 * 3 + rest - 1);
}

/* The HMAC key of a Standard Webhooks secret; *key allocated. */
static int
sig_stdwh_key(const char *secret, unsigned char **key, size_t *keylen)
{
	size_t	 plen = strlen(STDWH_PREFIX), slen;
	long	 n;

	slen = strlen(secret);
	if (strncmp(secret, STDWH_PREFIX, plen) != 0) {
		*key = (unsigned char *)xstrdup(secret);
		*keylen = slen;
		return 0;
	}
	*key = xmalloc((slen - plen) / 4 * 3 + 3);
	n = b64_decode(secret + plen, slen - plen, *key);
	if (n <= 0) {
		OPENSSL_cleanse(*key, (slen - plen) / 4 * 3 + 3);
		free(*key);
		*key = NULL;
		return -1;
	}
	*keylen = (size_t)n;
	return 0;
}

/* The bare base64 signature of msg_id.ts.body; allocated or NULL on a bad
 * secret. */
static char *
sig_stdwh_b64(const char *secret, const char *msg_id, const char *ts,
    const char *body, size_t len)
{
	struct buf	 content = { 0 };
	unsigned char	*key, mac[32];
	size_t		 keylen;
	char		*out;

	if (sig_stdwh_key(secret, &key, &keylen) == -1)
		return NULL;
	buf_adds(&content, msg_id);
	buf_addc(&content, '.');
	buf_adds(&content, ts);
	buf_addc(&content, '.');
	if (len > 0)
		buf_add(&content, body, len);
	hmac_sha256(key, keylen, content.s, content.len, mac);
	OPENSSL_cleanse(key, keylen);
	free(key);
	buf_free(&content);
	out = b64_encode(mac, sizeof mac);
	OPENSSL_cleanse(mac, sizeof mac);
	return out;
}

char *
stdwh_sign(const char *secret, const char *msg_id, int64_t ts,
    const char *body, size_t len)
{
	char	 tsbuf[32], *b64, *out;

	snprintf(tsbuf, sizeof tsbuf, "%lld", (long long)ts);
	if ((b64 = sig_stdwh_b64(secret, msg_id, tsbuf, body, len)) == NULL)
		return NULL;
	out = xprintf("%s%s", STDWH_VERSION, b64);
	free(b64);
	return out;
}

struct stdwh_key {
	EVP_MAC		*mac;
	EVP_MAC_CTX	*ctx;		/* keyed, never updated: copied */
};

struct stdwh_key *
stdwh_key_new(const char *secret)
{
	struct stdwh_key	*k;
	OSSL_PARAM		 params[2];
	unsigned char		*key;
	size_t			 keylen;
	int			 ok;

	if (sig_stdwh_key(secret, &key, &keylen) == -1)
		return NULL;
	k = xcalloc(1, sizeof *k);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = (k->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) != NULL &&
	    (k->ctx = EVP_MAC_CTX_new(k->mac)) != NULL &&
	    EVP_MAC_init(k->ctx, key, keylen, params) == 1;
	OPENSSL_cleanse(key, keylen);
	free(key);
	if (!ok)
		fatalx("HMAC(sha256): cannot set up a key");
	return k;
}

void
stdwh_key_free(struct stdwh_key *k)
{
	if (k == NULL)
		return;
	EVP_MAC_CTX_free(k->ctx);
	EVP_MAC_free(k->mac);
	free(k);
}

char *
stdwh_sign_key(const struct stdwh_key *k, const char *msg_id, int64_t ts,
    const char *body, size_t len)
{
	EVP_MAC_CTX	*c;
	unsigned char	 mac[32];
	char		 tsbuf[32], *b64, *out;
	size_t		 outlen = 0;
	int		 n;

	n = snprintf(tsbuf, sizeof tsbuf, ".%lld.", (long long)ts);
	if ((c = EVP_MAC_CTX_dup(k->ctx)) == NULL ||
	    EVP_MAC_update(c, (const unsigned char *)msg_id,
	    strlen(msg_id)) != 1 ||
	    EVP_MAC_update(c, (const unsigned char *)tsbuf, (size_t)n) != 1 ||
	    (len > 0 && EVP_MAC_update(c, (const unsigned char *)body,
	    len) != 1) ||
	    EVP_MAC_final(c, mac, &outlen, sizeof mac) != 1 || outlen != 32)
		fatalx("HMAC(sha256) failed");
	EVP_MAC_CTX_free(c);
	b64 = b64_encode(mac, sizeof mac);
	OPENSSL_cleanse(mac, sizeof mac);
	out = xprintf("%s%s", STDWH_VERSION, b64);
	free(b64);
	return out;
}

/* Parses a timestamp header (decimal unix seconds, nothing else) and
 * checks it lies within tolerance of now. */
static int
sig_check_ts(const char *ts, int64_t now_s, int64_t tolerance_s,
    int64_t *out, const char **why)
{
	long long	 v;
	int64_t		 diff;
	size_t		 i, len;

	len = strlen(ts);
	if (len == 0 || len > SIG_TS_MAXDIGITS) {
		*why = "timestamp is not an integer";
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (ts[i] < '0' || ts[i] > '9') {
			*why = "timestamp is not an integer";
			return -1;
		}
	}
	if (parse_i64(ts, &v) == -1) {
		*why = "timestamp is not an integer";
		return -1;
	}
	if (tolerance_s < 0)
		tolerance_s = 0;
	if (__builtin_sub_overflow(now_s, (int64_t)v, &diff) ||
	    diff > tolerance_s) {
		*why = "timestamp too old";
		return -1;
	}
	if (diff < -tolerance_s) {
		*why = "timestamp in the future";
		return -1;
	}
	*out = v;
	return 0;
}

int
stdwh_verify(const char *secret, const char *msg_id, const char *ts_header,
    const char *sig_header, const char *body, size_t len, int64_t now_s,
    int64_t tolerance_s, const char **why)
{
	const char	*p, *end;
	char		*want;
	size_t		 vlen = strlen(STDWH_VERSION), wlen, toklen;
	int64_t		 ts;
	int		 seen = 0, ok = 0;

	if (msg_id == NULL || *msg_id == '\0') {
		*why = "missing webhook-id";
		return -1;
	}
	if (ts_header == NULL || *ts_header == '\0') {
		*why = "missing webhook-timestamp";
		return -1;
	}
	if (sig_header == NULL || *sig_header == '\0') {
		*why = "missing webhook-signature";
		return -1;
	}
	if (sig_check_ts(ts_header, now_s, tolerance_s, &ts, why) == -1)
		return -1;
	want = sig_stdwh_b64(secret, msg_id, ts_header, body, len);
	if (want == NULL) {
		*why = "invalid webhook secret";
		return -1;
	}
	wlen = strlen(want);

	/* Every candidate is compared, so the time taken says nothing about
	 * which one (if any) matched. */
	for (p = sig_header; *p != '\0'; p = end) {
		while (*p == ' ')
			p++;
		end = p;
		while (*end != '\0' && *end != ' ')
			end++;
		toklen = (size_t)(end - p);
		if (toklen <= vlen || strncmp(p, STDWH_VERSION, vlen) != 0)
			continue;
		seen = 1;
		ok |= ct_equal(p + vlen, toklen - vlen, want, wlen);
	}
	free(want);
	if (!seen) {
		*why = "no v1 signature in webhook-signature";
		return -1;
	}
	if (!ok) {
		*why = "signature mismatch";
		return -1;
	}
	return 0;
}

int
grafana_hmac_verify(const char *secret, const char *sig_header,
    const char *ts_header, const char *body, size_t len, int64_t now_s,
    int64_t window_s, const char **why)
{
	struct buf	 content = { 0 };
	unsigned char	 mac[32];
	char		 want[65], got[65];
	size_t		 i, glen;
	int64_t		 ts;
	int		 ok;

	if (sig_header == NULL || *sig_header == '\0') {
		*why = "missing signature header";
		return -1;
	}
	if (ts_header != NULL) {
		if (sig_check_ts(ts_header, now_s, window_s, &ts, why) == -1)
			return -1;
		buf_adds(&content, ts_header);
		buf_addc(&content, ':');
	}
	if (len > 0)
		buf_add(&content, body, len);
	hmac_sha256(secret, strlen(secret), content.s, content.len, mac);
	buf_free(&content);
	hex_encode(mac, sizeof mac, want);
	OPENSSL_cleanse(mac, sizeof mac);

	/* Hex is case-insensitive: fold the received value (not secret) to
	 * lower case, then compare in constant time. */
	glen = strlen(sig_header);
	if (glen != 64) {
		*why = "signature mismatch";
		return -1;
	}
	for (i = 0; i < glen; i++)
		got[i] = (char)tolower((unsigned char)sig_header[i]);
	got[glen] = '\0';
	ok = ct_equal(got, glen, want, 64);
	OPENSSL_cleanse(want, sizeof want);
	if (!ok) {
		*why = "signature mismatch";
		return -1;
	}
	return 0;
}
