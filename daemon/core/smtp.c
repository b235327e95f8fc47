/* The e-mail channel's transport (SPEC §14): a row of the outbox whose
 * channel is `type: email` holds the finished message and its one
 * recipient, {"rcpt": ADDRESS, "message": TEXT} (notify.c composes it
 * with model/mail.c); this sends it through libcurl's SMTP on the loop,
 * and the outbox retries it on the channel's schedule like any other
 * delivery. The message is the same on every attempt: same Message-ID,
 * same Date. */
#include <jansson.h>
#include <string.h>

#include "core/curlev.h"
#include "core/outbox.h"
#include "model/config.h"

struct curlev_xfer *
smtp_send(struct curlev *cv, const struct channel_conf *ch,
    const char *payload, http_done_fn done, void *arg, const char **why)
{
	struct smtp_req		 req;
	struct curlev_xfer	*x;
	json_t			*p = json_loads(payload, 0, NULL);

	if (!json_is_string(json_object_get(p, "rcpt")) ||
	    !json_is_string(json_object_get(p, "message"))) {
		json_decref(p);
		*why = "the stored message is not readable";
		return NULL;
	}
	memset(&req, 0, sizeof req);
	req.url = ch->url;
	req.from = ch->from;
	req.rcpt = json_string_value(json_object_get(p, "rcpt"));
	req.username = ch->username;
	req.password = ch->password;
	req.ca_file = ch->tls_ca;
	req.message = json_string_value(json_object_get(p, "message"));
	req.len = json_string_length(json_object_get(p, "message"));
	req.timeout_ms = ch->timeout_s > 0 ? ch->timeout_s * 1000 : 60000;
	x = curlev_smtp(cv, &req, done, arg, why);
	json_decref(p);
	return x;
}
