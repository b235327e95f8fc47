/* Fuzzes the roster loader (roster_parse) and the lookups the daemon
 * makes on a loaded roster. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "common/diag.h"
#include "model/roster.h"
#include "common/xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_roster_use(const struct roster *r)
{
	char	*ref, *why;
	size_t	 i, n;

	json_decref(roster_json(r));
	for (i = 0; i < r->nroles; i++) {
		if (roster_role(r, r->roles[i].id) == NULL)
			abort();
		ref = xprintf("role:%s", r->roles[i].id);
		why = NULL;
		if (roster_check_ref(r, ref, &why) != 0)
			abort();
		roster_candidates(r, ref, &n);
		if (r->roles[i].nmembers > 0)
			roster_matches(r, ref, r->roles[i].members[0]);
		free(ref);
	}
	for (i = 0; i < r->nmembers; i++) {
		if (roster_member(r, r->members[i].id) == NULL)
			abort();
		roster_is_proxy(r, r->members[i].id);
		if (r->members[i].unix_user != NULL)
			roster_by_unix(r, r->members[i].unix_user, 0);
	}
	roster_by_unix(r, "nobody", 65534);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diags	 d = { 0 };
	struct roster	*r;

	r = roster_parse("roster.yaml", (const char *)data, size, &d);
	if (r != NULL) {
		fuzz_roster_use(r);
		roster_free(r);
	} else if (d.nerrors == 0)
		abort();
	diag_free(&d);
	return 0;
}
