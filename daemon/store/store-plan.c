/* Plan revisions (store.h): every imported plan, with who, when and a
 * content hash. */
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/xmalloc.h"
#include "store/store-int.h"
#include "store/store.h"

#define REV_COLS	"SELECT id, imported_at, imported_by, file, hash, " \
			"source FROM plan_revisions "

int
store_plan_latest(struct store *s, const char *by, const char *file,
    struct plan_rev *rev)
{
	json_t	*rows, *r, *src;

	memset(rev, 0, sizeof *rev);
	rows = squery(s, by != NULL ? REV_COLS "WHERE imported_by = $1 AND "
	    "file = $2 ORDER BY id DESC LIMIT 1" : REV_COLS "ORDER BY id DESC "
	    "LIMIT 1", by != NULL ? json_pack("[s,s]", by, file) : NULL);
	if (rows == NULL)
		return -1;
	if ((r = json_array_get(rows, 0)) == NULL) {
		json_decref(rows);
		return 0;
	}
	rev->id = jget_int(r, "id");
	rev->imported_at = jget_int(r, "imported_at");
	rev->imported_by = jget_strdup(r, "imported_by");
	rev->file = jget_strdup(r, "file");
	rev->hash = jget_strdup(r, "hash");
	src = json_object_get(r, "source");
	rev->len = json_string_length(src);
	rev->source = xmalloc(rev->len + 1);
	memcpy(rev->source, json_string_value(src) ? json_string_value(src) :
	    "", rev->len);
	rev->source[rev->len] = '\0';
	json_decref(rows);
	return 1;
}

void
store_plan_rev_clear(struct plan_rev *rev)
{
	free(rev->imported_by);
	free(rev->file);
	free(rev->hash);
	free(rev->source);
	memset(rev, 0, sizeof *rev);
}

int
store_plan_add(struct store *s, int64_t at, const char *by, const char *file,
    const char *hash, const char *text, size_t len, int64_t *id)
{
	json_t *src = json_stringn(text, len);

	if (src == NULL) {
		store_seterr(s, "the plan is not UTF-8 text");
		return -1;
	}
	*id = store_insert(s, "INSERT INTO plan_revisions(imported_at, "
	    "imported_by, file, hash, source) VALUES ($1, $2, $3, $4, $5) "
	    "RETURNING id", src = json_pack("[I,s?,s,s,o]", (json_int_t)at, by,
	    file, hash, src));
	json_decref(src);
	return *id == -1 ? -1 : 0;
}

int64_t
store_plan_newest(struct store *s)
{
	json_t	*rows;
	int64_t	 id;

	rows = store_query(s, "SELECT max(id) AS id FROM plan_revisions",
	    NULL);
	if (rows == NULL)
		return -1;
	id = jget_int(json_array_get(rows, 0), "id");
	json_decref(rows);
	return id;
}
