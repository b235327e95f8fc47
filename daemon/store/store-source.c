/* Source health (store.h): when each source was last heard and since when
 * it is silent (source_state), the triggers it sent, and what `keizoku
 * sources` shows of a polled feed. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/xmalloc.h"
#include "store/store-int.h"
#include "store/store.h"

int
store_source_get(struct store *s, const char *source, int64_t *heard,
    int64_t *since)
{
	json_t	*rows, *r;
	int	 rc;

	rows = squery(s, "SELECT last_heard_at, silent_since FROM source_state "
	    "WHERE source = $1", json_pack("[s]", source));
	if (rows == NULL)
		return -1;
	r = json_array_get(rows, 0);
	rc = r != NULL;
	*heard = jget_int(r, "last_heard_at");
	*since = jget_int(r, "silent_since");
	json_decref(rows);
	return rc;
}

int
store_source_first(struct store *s, const char *source, int64_t at)
{
	/* Another instance may have written the row since it was read
	 * (several instances on PostgreSQL). */
	return sexec(s, "INSERT INTO source_state(source, last_heard_at) "
	    "VALUES ($1, $2) ON CONFLICT(source) DO UPDATE SET last_heard_at = "
	    "excluded.last_heard_at", json_pack("[s,I]", source,
	    (json_int_t)at));
}

int
store_source_heard(struct store *s, const char *source, int64_t at)
{
	return sexec(s, "UPDATE source_state SET last_heard_at = $1 WHERE "
	    "source = $2", json_pack("[I,s]", (json_int_t)at, source));
}

int
store_source_back(struct store *s, const char *source, int64_t at)
{
	return sexec(s, "UPDATE source_state SET last_heard_at = $1, "
	    "silent_since = NULL WHERE source = $2", json_pack("[I,s]",
	    (json_int_t)at, source));
}

int
store_source_silent(struct store *s, const char *source, int64_t since,
    int64_t heard)
{
	return sexec(s, "UPDATE source_state SET silent_since = $1, "
	    "last_heard_at = $2 WHERE source = $3", json_pack("[I,I,s]",
	    (json_int_t)since, (json_int_t)heard, source));
}

int
store_source_documents(struct store *s, const char *source,
    struct source_docs *n)
{
	static const struct {
		const char	*state;
		size_t		 off;
	} states[] = {
		{ "pending", offsetof(struct source_docs, pending) },
		{ "done", offsetof(struct source_docs, done) },
		{ "failed", offsetof(struct source_docs, failed) },
		{ "stale", offsetof(struct source_docs, stale) },
	};
	json_t		*rows, *r;
	const char	*st;
	size_t		 i, j;

	memset(n, 0, sizeof *n);
	rows = squery(s, "SELECT state, count(*) AS n FROM feed_docs WHERE "
	    "source = $1 GROUP BY state", json_pack("[s]", source));
	if (rows == NULL)
		return -1;
	json_array_foreach(rows, i, r) {
		if ((st = jget_str(r, "state")) == NULL)
			continue;
		for (j = 0; j < sizeof states / sizeof states[0]; j++)
			if (strcmp(st, states[j].state) == 0)
				*(int64_t *)((char *)n + states[j].off) =
				    jget_int(r, "n");
	}
	json_decref(rows);
	return 0;
}
