/* Fuzzes the "alertmanager" webhook decoder (hook_decode): any body must give
 * triggers that are whole, or an error that says why. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "model/hooks.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trigger	*t = NULL;
	size_t		 n = 0, i;
	char		*why = NULL;

	if (hook_decode("alertmanager", (const char *)data, size, &t, &n, &why) == 0) {
		if (why != NULL || (n > 0 && t == NULL))
			abort();
		for (i = 0; i < n; i++) {
			if (t[i].doc == NULL || t[i].fingerprint == NULL)
				abort();
			free(json_dumps(t[i].doc, JSON_COMPACT));
		}
		triggers_free(t, n);
	} else {
		if (why == NULL)
			abort();
		free(why);
	}
	return 0;
}
