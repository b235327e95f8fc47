/* Fuzzes the web's signed tokens (wl_verify) and the mail header encoder
 * (mail_encode_header). For tokens: no input crashes the check, only a
 * token signed with the secret passes, and whatever passes has the form
 * that signing gives. For headers: the encoded value has no bare line
 * break and no byte outside printable ASCII, whatever the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/weblink.h"
#include "common/xmalloc.h"
#include "model/mail.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_SECRET	"fuzz-web-secret-0123456789"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wl_claims	 c;
	const char		*why;
	char			*s = xstrndup((const char *)data, size), *e, *p;
	char			*again;

	if (wl_verify(FUZZ_SECRET, s, s[0] != '\0' ? s[0] : 'r', 0, &c,
	    &why) == 0) {
		/* Only a genuine token passes: signing its claims again
		 * gives the same text. */
		again = wl_sign(FUZZ_SECRET, &c);
		if (again == NULL || strcmp(again, s) != 0)
			abort();
		free(again);
	}
	e = mail_encode_header(s, 9);
	for (p = e; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x7f || ((unsigned char)*p < 0x20 &&
		    *p != '\r' && *p != '\n'))
			abort();
		if (*p == '\r' && (p[1] != '\n' || p[2] != ' '))
			abort();
		if (*p == '\n' && (p == e || p[-1] != '\r'))
			abort();
	}
	free(e);
	free(s);
	return 0;
}
