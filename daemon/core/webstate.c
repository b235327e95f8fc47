#include <stdlib.h>
#include <string.h>

#include "common/sig.h"
#include "common/timeutil.h"
#include "common/weblink.h"
#include "common/xmalloc.h"
#include "core/daemon.h"
#include "core/webstate.h"
#include "model/config.h"
#include "store/store.h"

#define WEB_ZONE_DEFAULT	"Asia/Tokyo"

const char *
kz_timezone(const struct kz_daemon *d)
{
	/* The config's timezone: (its default is Asia/Tokyo too). */
	if (d->conf != NULL && d->conf->timezone != NULL)
		return d->conf->timezone;
	return WEB_ZONE_DEFAULT;
}

const char *
kz_local(const struct kz_daemon *d, int64_t ms, int with_date, char *buf,
    size_t len)
{
	return local_time_fmt(kz_timezone(d), ms, with_date ? "%m/%d %H:%M" :
	    "%H:%M", buf, len);
}

static char *
web_link(struct kz_daemon *d, char kind, const char *member,
    const char *scope, int64_t ttl_s, const char *path)
{
	const struct web_conf	*w = &d->conf->web;
	struct wl_claims	 c;
	char			*tok, *url;

	if (w->secret == NULL || w->base_url == NULL)
		return NULL;
	memset(&c, 0, sizeof c);
	c.kind = kind;
	kz_strlcpy(c.subject, member, sizeof c.subject);
	kz_strlcpy(c.scope, scope, sizeof c.scope);
	c.expires_s = clock_now() / 1000 + ttl_s;
	if (kind == 'r')
		kz_strlcpy(c.nonce, "-", sizeof c.nonce);
	if ((tok = wl_sign(w->secret, &c)) == NULL)
		return NULL;
	url = xprintf("%s/%s/%s", w->base_url, path, tok);
	free(tok);
	return url;
}

char *
web_answer_link(struct kz_daemon *d, const char *member, int64_t incident)
{
	char scope[24];

	snprintf(scope, sizeof scope, "%lld", (long long)incident);
	return web_link(d, 'r', member, scope, d->conf->web.link_ttl_s, "r");
}

char *
web_login_link(struct kz_daemon *d, const char *member)
{
	return web_link(d, 'l', member, "0", d->conf->web.login_ttl_s,
	    "login");
}

int
web_session_new(struct kz_daemon *d, const char *member, const char *via,
    char **cookie)
{
	char	 hex[65];
	int64_t	 now = clock_now();

	*cookie = wl_random(32);
	sha256_hex(*cookie, strlen(*cookie), hex);
	if (store_web_session_add(d->store, hex, member, via, now,
	    now + d->conf->web.session_ttl_s * 1000) == -1) {
		free(*cookie);
		*cookie = NULL;
		return -1;
	}
	return 0;
}

char *
web_session_member(struct kz_daemon *d, const char *cookie)
{
	char hex[65];

	if (cookie == NULL || strlen(cookie) != 43)
		return NULL;
	sha256_hex(cookie, strlen(cookie), hex);
	return store_web_session_member(d->store, hex, clock_now());
}

int
web_session_end(struct kz_daemon *d, const char *cookie)
{
	char hex[65];

	sha256_hex(cookie, strlen(cookie), hex);
	return store_web_session_end(d->store, hex);
}

int
web_nonce_use(struct kz_daemon *d, const char *nonce, const char *kind,
    const char *member, int64_t expires_ms)
{
	return store_web_nonce_use(d->store, nonce, kind, member, clock_now(),
	    expires_ms);
}
