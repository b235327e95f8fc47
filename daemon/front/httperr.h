/* The answers evhttp makes by itself (a request it cannot parse, a body
 * over the limit, a method it does not know) in the JSON of every other
 * error (SPEC §11), instead of libevent's HTML page. */
#ifndef KZ_HTTPERR_H
#define KZ_HTTPERR_H

#include <stdint.h>

/* max_body: named in the message of 413. */
void	http_errors_init(int64_t max_body);

#endif
