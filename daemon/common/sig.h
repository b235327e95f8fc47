/* Hashes, HMACs and signature schemes (OpenSSL libcrypto). Every
 * comparison of secrets or signatures is constant-time. */
#ifndef KZ_SIG_H
#define KZ_SIG_H

#include <stddef.h>
#include <stdint.h>

/* Constant-time equality of two byte strings of possibly different
 * lengths (the length itself may leak, the content does not). */
int	 ct_equal(const void *a, size_t alen, const void *b, size_t blen);
/* Lower-case hex SHA-256 (64 chars + NUL) into out. */
void	 sha256_hex(const void *, size_t, char out[65]);
void	 hmac_sha256(const void *key, size_t keylen, const void *msg,
	    size_t len, unsigned char out[32]);
void	 hex_encode(const unsigned char *, size_t, char *out);
/* Base64 (standard alphabet, padded); allocated. */
char	*b64_encode(const unsigned char *, size_t);
/* Returns decoded length or -1. out must hold 3/4 of inlen. */
long	 b64_decode(const char *, size_t, unsigned char *out);

/* Standard Webhooks (standardwebhooks.com): secret "whsec_<base64>" (a
 * secret without the prefix is used as raw bytes). Signs
 * "{msg_id}.{timestamp}.{body}"; returns "v1,<base64>" allocated. */
char	*stdwh_sign(const char *secret, const char *msg_id, int64_t ts,
	    const char *body, size_t len);
/* The same with the key set up once (a channel's secret): each signature
 * copies the keyed HMAC instead of fetching the algorithm and decoding
 * the secret again. key_new: NULL on a bad secret. */
struct stdwh_key;
struct stdwh_key *stdwh_key_new(const char *secret);
void	 stdwh_key_free(struct stdwh_key *);
char	*stdwh_sign_key(const struct stdwh_key *, const char *msg_id,
	    int64_t ts, const char *body, size_t len);
/* Verifies webhook-signature (space-separated "v1,..." list, any may
 * match) and that ts is within tolerance_s of now_s. 0 or -1 with *why
 * (static). */
int	 stdwh_verify(const char *secret, const char *msg_id,
	    const char *ts_header, const char *sig_header, const char *body,
	    size_t len, int64_t now_s, int64_t tolerance_s, const char **why);
/* Grafana's HMAC scheme: signature header = hex(HMAC-SHA256(secret,
 * [timestamp ":"] body)); with a timestamp header, the timestamp (unix
 * seconds) must be within window_s of now. 0 or -1 with *why (static). */
int	 grafana_hmac_verify(const char *secret, const char *sig_header,
	    const char *ts_header, const char *body, size_t len,
	    int64_t now_s, int64_t window_s, const char **why);

#endif
