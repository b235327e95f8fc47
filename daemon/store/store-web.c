/* The web pages' durable state (store.h): sign-in sessions by the
 * SHA-256 of their cookie, and nonces used once until they expire. */
#include <jansson.h>

#include "common/jsonutil.h"
#include "common/xmalloc.h"
#include "store/store-int.h"
#include "store/store.h"

int
store_web_session_add(struct store *s, const char *hash, const char *member,
    const char *via, int64_t now, int64_t expires)
{
	/* Sessions that ended go when a new one begins. */
	if (sexec(s, "DELETE FROM web_sessions WHERE expires_at <= $1",
	    json_pack("[I]", (json_int_t)now)) == -1)
		return -1;
	return sexec(s, "INSERT INTO web_sessions(hash, member, created_at, "
	    "expires_at, via) VALUES ($1, $2, $3, $4, $5)",
	    json_pack("[s,s,I,I,s]", hash, member, (json_int_t)now,
	    (json_int_t)expires, via));
}

char *
store_web_session_member(struct store *s, const char *hash, int64_t now)
{
	json_t	*rows;
	char	*m = NULL;

	rows = squery(s, "SELECT member FROM web_sessions WHERE hash = $1 AND "
	    "expires_at > $2", json_pack("[s,I]", hash, (json_int_t)now));
	if (json_array_size(rows) == 1)
		m = jget_strdup(json_array_get(rows, 0), "member");
	json_decref(rows);
	return m;
}

int
store_web_session_end(struct store *s, const char *hash)
{
	return sexec(s, "DELETE FROM web_sessions WHERE hash = $1",
	    json_pack("[s]", hash));
}

int
store_web_nonce_use(struct store *s, const char *nonce, const char *kind,
    const char *member, int64_t now, int64_t expires)
{
	json_t	*rows;
	int	 used;

	rows = squery(s, "SELECT 1 AS x FROM web_used WHERE nonce = $1",
	    json_pack("[s]", nonce));
	if (rows == NULL)
		return -1;
	used = json_array_size(rows) > 0;
	json_decref(rows);
	if (used)
		return 1;
	if (sexec(s, "DELETE FROM web_used WHERE expires_at < $1",
	    json_pack("[I]", (json_int_t)now)) == -1)
		return -1;
	return sexec(s, "INSERT INTO web_used(nonce, kind, member, used_at, "
	    "expires_at) VALUES ($1, $2, $3, $4, $5)", json_pack("[s,s,s?,I,I]",
	    nonce, kind, member, (json_int_t)now, (json_int_t)expires)) == -1 ?
	    -1 : 0;
}
