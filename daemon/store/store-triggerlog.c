/* What core/triggerlog.c keeps (store.h): the counts of a run of repeated
 * triggers, waiting in a timer's data, and the pruning of old triggers. */
#include <jansson.h>

#include "common/jsonutil.h"
#include "store/store-int.h"
#include "store/store.h"

int
store_timer_get(struct store *s, int64_t incident, const char *step,
    const char *kind, int64_t *due, json_t **data)
{
	json_t		*rows, *r;
	const char	*text;

	*data = NULL;
	rows = squery(s, "SELECT due, data FROM timers WHERE incident = $1 AND "
	    "step = $2 AND kind = $3", json_pack("[I,s,s]",
	    (json_int_t)incident, step, kind));
	if (rows == NULL)
		return -1;
	if (json_array_size(rows) != 1) {
		json_decref(rows);
		return 0;
	}
	r = json_array_get(rows, 0);
	*due = jget_int(r, "due");
	/* Data that does not parse is no data. */
	if ((text = jget_str(r, "data")) == NULL ||
	    (*data = json_loads(text, 0, NULL)) == NULL)
		*data = json_object();
	json_decref(rows);
	return 1;
}

int64_t
store_triggers_prune(struct store *s, int64_t before, int64_t limit)
{
	if (sexec(s, "DELETE FROM triggers WHERE id IN (SELECT id FROM "
	    "triggers WHERE received_at < $1 ORDER BY id LIMIT $2)",
	    json_pack("[I,I]", (json_int_t)before, (json_int_t)limit)) == -1)
		return -1;
	return store_changes(s);
}
