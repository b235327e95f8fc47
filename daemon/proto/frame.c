#include <stdint.h>

#include "proto/frame.h"
#include "proto/proto.h"
#include "common/xmalloc.h"

/* Checks the shape of a request object; NULL when it is one, else the
 * reason (allocated). */
static char *
frame_check(json_t *msg)
{
	json_t	*v, *params, *as;

	if (!json_is_object(msg))
		return xstrdup("a request must be an object");
	v = json_object_get(msg, "v");
	if (!json_is_integer(v))
		return xprintf("a request needs the protocol version \"v\": "
		    "this keizokud speaks %d", KZ_PROTO_VERSION);
	if (json_integer_value(v) != KZ_PROTO_VERSION)
		return xprintf("protocol version %lld, this keizokud speaks "
		    "%d: use a keizoku of the same version",
		    (long long)json_integer_value(v), KZ_PROTO_VERSION);
	if (!json_is_string(json_object_get(msg, "cmd")))
		return xstrdup("\"cmd\" must be a string");
	params = json_object_get(msg, "params");
	if (params != NULL && !json_is_object(params))
		return xstrdup("\"params\" must be an object");
	as = json_object_get(msg, "as");
	if (as != NULL && !json_is_null(as) && !json_is_string(as))
		return xstrdup("\"as\" must be a string or null");
	return NULL;
}

int
frame_decode(const unsigned char *buf, size_t len, size_t *consumed,
    json_t **msg, char **why)
{
	json_error_t	 err;
	json_t		*m;
	uint32_t	 n;
	char		*bad;

	if (len < 4)
		return 0;
	n = kz_get_be32(buf);
	if (n > KZ_REQUEST_MAX) {
		*consumed = 0;
		*why = xprintf("request of %lu bytes is over the limit of %d",
		    (unsigned long)n, KZ_REQUEST_MAX);
		return -1;
	}
	if (len - 4 < n)
		return 0;
	*consumed = 4 + (size_t)n;
	/* Duplicate keys would make "as" or "cmd" mean whichever came
	 * last: refuse them rather than guess. */
	m = json_loadb((const char *)buf + 4, n, JSON_REJECT_DUPLICATES, &err);
	if (m == NULL) {
		*why = xprintf("invalid JSON at line %d column %d: %s",
		    err.line, err.column, err.text);
		return -1;
	}
	if ((bad = frame_check(m)) != NULL) {
		json_decref(m);
		*why = bad;
		return -1;
	}
	*msg = m;
	return 1;
}
