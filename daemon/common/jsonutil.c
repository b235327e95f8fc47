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
jget_int(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

const char *
jget_str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}
