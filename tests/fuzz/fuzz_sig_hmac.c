/* Fuzzes Grafana's HMAC check (grafana_hmac_verify). The input is lines:
 * secret, signature header, timestamp header (an empty line: none), then
 * the body (the rest, any bytes). Besides surviving any input, the
 * right signature must verify in either case of hex, and a timestamp
 * must be part of what is signed. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sig.h"
#include "common/xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_NOW	1795136523LL	/* 2026-11-20T01:02:03Z */
#define FUZZ_NFIELDS	3

/* Cuts the first n lines off the input into NUL-terminated strings; the
 * rest is the body. */
static void
fuzz_fields(const uint8_t *data, size_t size, char **f, size_t n,
    const char **body, size_t *blen)
{
	const uint8_t	*nl;
	size_t		 i, l;

	for (i = 0; i < n; i++) {
		nl = memchr(data, '\n', size);
		l = nl != NULL ? (size_t)(nl - data) : size;
		f[i] = xstrndup((const char *)data, l);
		data += l;
		size -= l;
		if (nl != NULL) {
			data++;
			size--;
		}
	}
	*body = (const char *)data;
	*blen = size;
}

/* The signature over [ts ":"] body, as Grafana computes it. */
static void
fuzz_hmac_sign(const char *secret, const char *ts, const char *body,
    size_t blen, char hex[65])
{
	struct buf	 b = { 0 };
	unsigned char	 mac[32];

	if (ts != NULL) {
		buf_adds(&b, ts);
		buf_addc(&b, ':');
	}
	buf_add(&b, body, blen);
	hmac_sha256(secret, strlen(secret), b.s, b.len, mac);
	hex_encode(mac, sizeof mac, hex);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*f[FUZZ_NFIELDS], hex[65], ts[32];
	const char	*body, *why, *tsh;
	size_t		 blen, i;

	fuzz_fields(data, size, f, FUZZ_NFIELDS, &body, &blen);
	tsh = f[2][0] != '\0' ? f[2] : NULL;
	why = NULL;
	if (grafana_hmac_verify(f[0], f[1], tsh, body, blen, FUZZ_NOW, 300,
	    &why) == -1 && why == NULL)
		abort();

	snprintf(ts, sizeof ts, "%lld", FUZZ_NOW);
	fuzz_hmac_sign(f[0], NULL, body, blen, hex);
	if (grafana_hmac_verify(f[0], hex, NULL, body, blen, FUZZ_NOW, 300,
	    &why) != 0)
		abort();
	/* Without the timestamp in the MAC, a replayed body with a fresh
	 * timestamp header would pass. */
	if (grafana_hmac_verify(f[0], hex, ts, body, blen, FUZZ_NOW, 300,
	    &why) == 0)
		abort();
	fuzz_hmac_sign(f[0], ts, body, blen, hex);
	for (i = 0; i < 64; i++)
		hex[i] = (char)toupper((unsigned char)hex[i]);
	if (grafana_hmac_verify(f[0], hex, ts, body, blen, FUZZ_NOW, 300,
	    &why) != 0)
		abort();
	for (i = 0; i < FUZZ_NFIELDS; i++)
		free(f[i]);
	return 0;
}
