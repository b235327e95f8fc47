/* Situation reports (第N報): numbered per incident, kept as written
 * (Markdown and the page) with the last event each covered, so that the
 * next one says what changed since. */
#include <stdlib.h>

#include "common/jsonutil.h"
#include "store/store-int.h"
#include "store/store.h"

int
store_sitrep_last(struct store *s, int64_t incident, struct sitrep_head *h)
{
	json_t	*rows, *r;

	rows = squery(s, "SELECT n, last_seq, created_at FROM sitreps WHERE "
	    "incident = $1 ORDER BY n DESC LIMIT 1", json_pack("[I]",
	    (json_int_t)incident));
	if (rows == NULL)
		return -1;
	if ((r = json_array_get(rows, 0)) == NULL) {
		json_decref(rows);
		return 0;
	}
	h->n = jget_int(r, "n");
	h->last_seq = jget_int(r, "last_seq");
	h->created_at = jget_int(r, "created_at");
	json_decref(rows);
	return 1;
}

int
store_sitrep_add(struct store *s, const struct sitrep_row *r)
{
	return sexec(s, "INSERT INTO sitreps(incident, n, created_at, "
	    "created_by, last_seq, md, html) VALUES ($1, $2, $3, $4, $5, $6, "
	    "$7)", json_pack("[I,I,I,s,I,s,s]", (json_int_t)r->incident,
	    (json_int_t)r->n, (json_int_t)r->created_at, r->created_by,
	    (json_int_t)r->last_seq, r->md, r->html));
}

char *
store_sitrep_html(struct store *s, int64_t incident, int64_t n)
{
	json_t	*rows;
	char	*html;

	rows = squery(s, "SELECT html FROM sitreps WHERE incident = $1 AND "
	    "n = $2", json_pack("[I,I]", (json_int_t)incident, (json_int_t)n));
	html = jget_strdup(json_array_get(rows, 0), "html");
	json_decref(rows);
	return html;
}

json_t *
store_sitrep_exceptions(struct store *s, int64_t incident)
{
	return squery(s, "SELECT id, title, state, revert_by_at FROM "
	    "exceptions WHERE incident = $1 AND state IN ('requested', "
	    "'active') ORDER BY id", json_pack("[I]", (json_int_t)incident));
}
