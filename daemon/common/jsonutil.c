/* Small helpers over jansson (jsonutil.h). */
#include <stdarg.h>
#include <stdlib.h>

#include "common/jsonutil.h"
#include "common/xmalloc.h"

json_t *
kz_error(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	json_t	*j;

	va_start(ap, fmt);
	msg = xvprintf(fmt, ap);
	va_end(ap);
	j = json_pack("{s:s}", "error", msg);
	free(msg);
	return j;
}

int64_t
jget_int(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

const char *
jget_str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

char *
jget_strdup(const json_t *o, const char *k)
{
	return jget_str(o, k) != NULL ? xstrdup(jget_str(o, k)) : NULL;
}

json_t *
jstr_or_null(const char *s)
{
	json_t *j = s != NULL ? json_string(s) : NULL;

	return j != NULL ? j : json_null();
}

void
jarray_add_id(json_t *ids, json_int_t id)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(ids, i, v)
		if (json_integer_value(v) == id)
			return;
	json_array_append_new(ids, json_integer(id));
}

json_t *
jint_or_null(int64_t v)
{
	return v != 0 ? json_integer(v) : json_null();
}
