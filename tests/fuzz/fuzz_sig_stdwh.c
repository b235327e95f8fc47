/* Fuzzes the Standard Webhooks check (stdwh_verify, the p2pquake
 * source's scheme) and the base64 it rests on. The input is lines:
 * secret, webhook-id, webhook-timestamp, webhook-signature, then the
 * body (the rest, any bytes). Besides surviving any input, a signature
 * made by stdwh_sign must verify, among other candidates, and base64
 * must round-trip. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sig.h"
#include "common/xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_NOW	1795136523LL	/* 2026-11-20T01:02:03Z */
#define FUZZ_NFIELDS	4

/* Cuts the first n lines off the input into NUL-terminated strings (a
 * line with a NUL byte ends there, as a C header value would); the rest
 * is the body. */
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

static void
fuzz_b64(const char *body, size_t blen)
{
	unsigned char	*out;
	char		*enc;
	long		 n;

	/* Exactly the 3/4 of the input sig.h asks for: no slack for an
	 * overrun to hide in. */
	out = xmalloc(blen * 3 / 4 + 1);
	b64_decode(body, blen, out);
	free(out);

	enc = b64_encode((const unsigned char *)body, blen);
	out = xmalloc(strlen(enc) * 3 / 4 + 1);
	n = b64_decode(enc, strlen(enc), out);
	if (n != (long)blen || memcmp(out, body, blen) != 0)
		abort();
	free(out);
	free(enc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*f[FUZZ_NFIELDS], *good, *hdr, ts[32];
	const char	*body, *why;
	size_t		 blen, i;

	fuzz_fields(data, size, f, FUZZ_NFIELDS, &body, &blen);
	why = NULL;
	if (stdwh_verify(f[0], f[1], f[2], f[3], body, blen, FUZZ_NOW, 300,
	    &why) == -1 && why == NULL)
		abort();

	good = stdwh_sign(f[0], f[1], FUZZ_NOW, body, blen);
	if (good != NULL && f[1][0] != '\0') {
		hdr = xprintf("%s %s", f[3], good);
		snprintf(ts, sizeof ts, "%lld", FUZZ_NOW - 10);
		/* Signed at NOW, checked with a timestamp 10 s off: must
		 * fail on the signature, not pass. */
		if (stdwh_verify(f[0], f[1], ts, good, body, blen, FUZZ_NOW,
		    300, &why) == 0)
			abort();
		snprintf(ts, sizeof ts, "%lld", FUZZ_NOW);
		if (stdwh_verify(f[0], f[1], ts, hdr, body, blen, FUZZ_NOW,
		    300, &why) != 0)
			abort();
		free(hdr);
	}
	free(good);
	fuzz_b64(body, blen);
	for (i = 0; i < FUZZ_NFIELDS; i++)
		free(f[i]);
	return 0;
}
