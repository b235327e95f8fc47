/* The start of an action (store.h): steps.started says which attempt
 * has been started, so that no attempt starts twice, whichever instance
 * runs it. */
#include <jansson.h>

#include "store/store-int.h"
#include "store/store.h"

int
store_action_claim(struct store *s, int64_t incident, int step, int attempt)
{
	json_t	*p, *rows;
	int	 live, rc;

	p = json_pack("[I,i,i]", (json_int_t)incident, step, attempt);
	rows = store_query(s, "SELECT 1 AS one FROM steps WHERE incident = $1 "
	    "AND idx = $2 AND state = 'running' AND attempts = $3 AND started "
	    "< $3", p);
	live = json_array_size(rows) == 1;
	rc = rows == NULL ? -1 : live;
	json_decref(rows);
	if (rc == 1 && store_exec(s, "UPDATE steps SET started = $3 WHERE "
	    "incident = $1 AND idx = $2", p) == -1)
		rc = -1;
	json_decref(p);
	return rc;
}

int
store_action_unclaim(struct store *s, int64_t incident, int step,
    int attempt)
{
	return sexec(s, "UPDATE steps SET started = $3 - 1 WHERE incident = $1 "
	    "AND idx = $2 AND started = $3", json_pack("[I,i,i]",
	    (json_int_t)incident, step, attempt));
}
