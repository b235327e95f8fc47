#include <jansson.h>
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
	json_t	*p;
	int	 rc;

	/* Sessions that ended go when a new one begins. */
	p = json_pack("[I]", (json_int_t)now);
	rc = store_exec(d->store, "DELETE FROM web_sessions WHERE expires_at "
	    "<= $1", p);
	json_decref(p);
	*cookie = NULL;
	if (rc == -1)
		return -1;
	*cookie = wl_random(32);
	sha256_hex(*cookie, strlen(*cookie), hex);
	p = json_pack("[s,s,I,I,s]", hex, member, (json_int_t)now,
	    (json_int_t)(now + d->conf->web.session_ttl_s * 1000), via);
	rc = store_exec(d->store, "INSERT INTO web_sessions(hash, member, "
	    "created_at, expires_at, via) VALUES ($1, $2, $3, $4, $5)", p);
	json_decref(p);
	if (rc == -1) {
		free(*cookie);
		*cookie = NULL;
	}
	return rc;
}

char *
web_session_member(struct kz_daemon *d, const char *cookie)
{
	char	 hex[65], *m = NULL;
	json_t	*rows, *p;

	if (cookie == NULL || strlen(cookie) != 43)
		return NULL;
	sha256_hex(cookie, strlen(cookie), hex);
	rows = store_query(d->store, "SELECT member FROM web_sessions WHERE "
	    "hash = $1 AND expires_at > $2", p = json_pack("[s,I]", hex,
	    (json_int_t)clock_now()));
	json_decref(p);
	if (json_array_size(rows) == 1)
		m = xstrdup(json_string_value(json_object_get(json_array_get(
		    rows, 0), "member")));
	json_decref(rows);
	return m;
}

int
web_session_end(struct kz_daemon *d, const char *cookie)
{
	char	 hex[65];
	json_t	*p;
	int	 rc;

	sha256_hex(cookie, strlen(cookie), hex);
	rc = store_exec(d->store, "DELETE FROM web_sessions WHERE hash = $1",
	    p = json_pack("[s]", hex));
	json_decref(p);
	return rc;
}

int
web_nonce_use(struct kz_daemon *d, const char *nonce, const char *kind,
    const char *member, int64_t expires_ms)
{
	int64_t	 now = clock_now();
	json_t	*rows, *p;
	int	 used;

	rows = store_query(d->store, "SELECT 1 AS x FROM web_used WHERE "
	    "nonce = $1", p = json_pack("[s]", nonce));
	json_decref(p);
	if (rows == NULL)
		return -1;
	used = json_array_size(rows) > 0;
	json_decref(rows);
	if (used)
		return 1;
	if (store_exec(d->store, "DELETE FROM web_used WHERE expires_at < $1",
	    p = json_pack("[I]", (json_int_t)now)) == -1) {
		json_decref(p);
		return -1;
	}
	json_decref(p);
	p = json_pack("[s,s,s?,I,I]", nonce, kind, member, (json_int_t)now,
	    (json_int_t)expires_ms);
	used = store_exec(d->store, "INSERT INTO web_used(nonce, kind, member, "
	    "used_at, expires_at) VALUES ($1, $2, $3, $4, $5)", p);
	json_decref(p);
	return used == -1 ? -1 : 0;
}
