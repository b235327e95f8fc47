/* Maintenance windows (store.h): the maintenance table, and how many
 * triggers each window held back. */
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/xmalloc.h"
#include "store/store-int.h"
#include "store/store.h"

static void
maint_of(json_t *r, struct maint_window *w)
{
	w->id = jget_int(r, "id");
	w->source = jget_strdup(r, "source");
	w->match = jget_strdup(r, "match");
	w->from = jget_int(r, "from_at");
	w->until = jget_int(r, "until_at");
	w->note = jget_strdup(r, "note");
	w->opened_by = jget_strdup(r, "opened_by");
	w->on_behalf = jget_strdup(r, "on_behalf");
	w->created_at = jget_int(r, "created_at");
	w->started = jget_int(r, "started") != 0;
	w->ended_at = jget_int(r, "ended_at");
	w->ended_by = jget_strdup(r, "ended_by");
	w->suppressed = jget_int(r, "suppressed");
	w->held = jget_int(r, "held");
}

/* The rows as windows; -1 when rows is NULL (the query failed). */
static int
maint_rows(json_t *rows, struct maint_window **v, size_t *n)
{
	size_t i;

	*v = NULL;
	*n = 0;
	if (rows == NULL)
		return -1;
	*n = json_array_size(rows);
	*v = xcalloc(*n + 1, sizeof **v);
	for (i = 0; i < *n; i++)
		maint_of(json_array_get(rows, i), &(*v)[i]);
	json_decref(rows);
	return 0;
}

void
store_maint_clear(struct maint_window *w)
{
	free(w->source);
	free(w->match);
	free(w->note);
	free(w->opened_by);
	free(w->on_behalf);
	free(w->ended_by);
	memset(w, 0, sizeof *w);
}

void
store_maint_free(struct maint_window *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_maint_clear(&v[i]);
	free(v);
}

int
store_maint_get(struct store *s, int64_t id, struct maint_window *w)
{
	struct maint_window	*v;
	size_t			 n;

	memset(w, 0, sizeof *w);
	if (maint_rows(squery(s, "SELECT * FROM maintenance WHERE id = $1",
	    json_pack("[I]", (json_int_t)id)), &v, &n) == -1)
		return -1;
	if (n == 1) {
		*w = v[0];
		memset(&v[0], 0, sizeof v[0]);
	}
	store_maint_free(v, n);
	return n == 1;
}

int
store_maint_open(struct store *s, struct maint_window **v, size_t *n)
{
	return maint_rows(store_query(s, "SELECT * FROM maintenance WHERE "
	    "ended_at IS NULL ORDER BY id", NULL), v, n);
}

int
store_maint_list(struct store *s, int all, struct maint_window **v,
    size_t *n)
{
	return maint_rows(store_query(s, all ? "SELECT * FROM maintenance "
	    "ORDER BY id DESC" : "SELECT * FROM maintenance WHERE ended_at IS "
	    "NULL ORDER BY id DESC", NULL), v, n);
}

int
store_maint_during(struct store *s, int64_t from, int64_t to,
    struct maint_window **v, size_t *n)
{
	return maint_rows(squery(s, "SELECT m.*, count(t.id) AS held FROM "
	    "maintenance m JOIN triggers t ON t.maintenance = m.id WHERE "
	    "t.received_at >= $1 AND t.received_at <= $2 GROUP BY m.id "
	    "ORDER BY m.id", json_pack("[I,I]", (json_int_t)from,
	    (json_int_t)to)), v, n);
}

int
store_maint_add(struct store *s, const struct maint_window *w, int64_t *id)
{
	json_t *p;

	p = json_pack("[s,s,I,I,s,s?,s?,I,b]", w->source, w->match,
	    (json_int_t)w->from, (json_int_t)w->until, w->note, w->opened_by,
	    w->on_behalf, (json_int_t)w->created_at, w->started);
	*id = store_insert(s, "INSERT INTO maintenance(source, match, "
	    "from_at, until_at, note, opened_by, on_behalf, created_at, "
	    "started) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
	    p);
	json_decref(p);
	return *id == -1 ? -1 : 0;
}

int
store_maint_held(struct store *s, int64_t id)
{
	return sexec(s, "UPDATE maintenance SET suppressed = suppressed + 1 "
	    "WHERE id = $1", json_pack("[I]", (json_int_t)id));
}

int
store_maint_started(struct store *s, int64_t id)
{
	return sexec(s, "UPDATE maintenance SET started = 1 WHERE id = $1",
	    json_pack("[I]", (json_int_t)id));
}

int
store_maint_end(struct store *s, int64_t id, int64_t at, const char *by)
{
	return sexec(s, "UPDATE maintenance SET ended_at = $1, ended_by = $2 "
	    "WHERE id = $3", json_pack("[I,s?,I]", (json_int_t)at, by,
	    (json_int_t)id));
}
