/* What the web pages keep durable (SPEC §14), beside the rest of the
 * state in the store: sign-in sessions, nonces used once (CSRF values and
 * sign-in links: a restart does not make a used one work again) and the
 * personal links that notifications carry. Writers run inside an
 * operation (kz_op_begin/kz_op_end). */
#ifndef KZ_WEBSTATE_H
#define KZ_WEBSTATE_H

#include <stddef.h>
#include <stdint.h>

struct kz_daemon;

/* The zone that pages, mails and reports show times in: the config's
 * timezone when it has one, else Asia/Tokyo. The one place to ask. */
const char	*kz_timezone(const struct kz_daemon *);
/* "12/07 09:15" (with_date) or "09:15" in kz_timezone. */
const char	*kz_local(const struct kz_daemon *, int64_t ms, int with_date,
		    char *buf, size_t len);

/* {web.base_url}/r/{token} for member on incident, valid link_ttl from
 * now; NULL when web.base_url or web.secret is not set. */
char		*web_answer_link(struct kz_daemon *, const char *member,
		    int64_t incident);
/* {web.base_url}/login/{token}: a one-time sign-in link. */
char		*web_login_link(struct kz_daemon *, const char *member);

/* A new session of member; its cookie value (allocated) in *cookie.
 * *cookie is NULL when it returns -1. */
int		 web_session_new(struct kz_daemon *, const char *member,
		    const char *via, char **cookie);
/* The member of a live session (allocated), or NULL. */
char		*web_session_member(struct kz_daemon *, const char *cookie);
int		 web_session_end(struct kz_daemon *, const char *cookie);
/* Records nonce as used: 0 the first time, 1 when it was used before
 * (nothing written), -1 when the store failed. Expired rows are pruned
 * on the way. */
int		 web_nonce_use(struct kz_daemon *, const char *nonce,
		    const char *kind, const char *member, int64_t expires_ms);

#endif
