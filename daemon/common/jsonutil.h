/* Small helpers over jansson shared by every layer. */
#ifndef KZ_JSONUTIL_H
#define KZ_JSONUTIL_H

#include <jansson.h>
#include <stdint.h>

/* {"error": message}: the body of every refusal (SPEC §11). A new
 * reference. */
json_t		*kz_error(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));

/* A member of an object: its integer (0 when absent or not one), its
 * string (NULL when absent or not one). */
int64_t		 jget_int(json_t *obj, const char *key);
const char	*jget_str(json_t *obj, const char *key);

#endif
