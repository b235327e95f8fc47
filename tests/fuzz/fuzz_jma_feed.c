/* Fuzzes the JMA Atom feed parser (jma_feed_parse): any feed gives
 * entries that each have a URL and the type its file name says, or an
 * error that says why; no DTD or entity is ever loaded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/jma.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jma_feed	 f;
	char		*why = NULL;
	size_t		 i;

	if (jma_feed_parse((const char *)data, size, &f, &why) == 0) {
		if (why != NULL)
			abort();
		for (i = 0; i < f.n; i++) {
			if (f.v[i].url == NULL || *f.v[i].url == '\0' ||
			    f.v[i].id == NULL ||
			    f.v[i].type != jma_type_from_url(f.v[i].url) ||
			    f.v[i].updated > f.newest)
				abort();
		}
		jma_feed_free(&f);
	} else {
		if (why == NULL || f.n != 0)
			abort();
		free(why);
	}
	return 0;
}
