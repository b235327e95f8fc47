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
int64_t		 jget_int(const json_t *obj, const char *key);
const char	*jget_str(const json_t *obj, const char *key);
/* jget_str, allocated (NULL stays NULL). */
char		*jget_strdup(const json_t *obj, const char *key);

/* New values: a string, or null for NULL (or text that is not UTF-8);
 * an integer, or null for 0 (a time or count that is not set). */
json_t		*jstr_or_null(const char *);
json_t		*jint_or_null(int64_t);
/* Appends the integer id to the array unless it is there already. */
void		 jarray_add_id(json_t *ids, json_int_t id);

#endif
