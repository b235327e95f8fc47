/* Fuzzes the JMA tsunami document decoder (jma_decode on VTSE41 and
 * VTSE51): any document gives one whole trigger or an error that
 * says why, and never loads a DTD or an entity (the corpus holds billion
 * laughs and XXE documents). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model/jma.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Scales are P2P's codes or -1 (unknown). */
static void
check_points(const json_t *points)
{
	static const int ok[] = { -1, 10, 20, 30, 40, 45, 46, 50, 55, 60, 70 };
	const json_t	*p;
	size_t		 i, k;
	json_int_t	 s;

	if (points == NULL)
		return;
	if (!json_is_array(points))
		abort();
	json_array_foreach(points, i, p) {
		s = json_integer_value(json_object_get(p, "scale"));
		for (k = 0; k < sizeof ok / sizeof ok[0] && ok[k] != s; k++)
			;
		if (k == sizeof ok / sizeof ok[0])
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trigger	*t = NULL;
	size_t		 n = 0;
	char		*why = NULL;

	if (jma_decode((const char *)data, size, &t, &n, &why) == 0) {
		if (why != NULL || n != 1 || t == NULL || t->doc == NULL ||
		    t->fingerprint == NULL ||
		    !json_is_string(json_object_get(json_object_get(t->doc,
		    "jma"), "type")))
			abort();
		check_points(json_object_get(t->doc, "points"));
		if (json_object_get(t->doc, "areas") != NULL &&
		    !json_is_array(json_object_get(t->doc, "areas")))
			abort();
		free(json_dumps(t->doc, JSON_COMPACT));
		triggers_free(t, n);
	} else {
		if (why == NULL || t != NULL || n != 0)
			abort();
		free(why);
	}
	return 0;
}
