/* Fuzzes the runbook loader (runbook_parse) with a roster and a list of
 * sources to check references against, as the daemon loads them. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "common/diag.h"
#include "model/roster.h"
#include "model/runbook.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The roles the shipped runbooks assign to, one member each. */
static const char fuzz_roster_text[] =
	"members:\n"
	"  - {id: tanaka, name: 田中, unix_user: tanaka}\n"
	"  - {id: sato, name: 佐藤, unix_user: '1000'}\n"
	"roles:\n"
	"  - {id: ciso, members: [tanaka]}\n"
	"  - {id: executive, members: [tanaka]}\n"
	"  - {id: it-lead, members: [tanaka, sato]}\n"
	"  - {id: operator, members: [sato]}\n"
	"  - {id: network, members: [sato]}\n"
	"  - {id: csirt, members: [tanaka]}\n"
	"  - {id: secretariat, members: [sato], proxy: true}\n"
	"  - {id: contractor, members: [sato]}\n";
static char src_am[] = "alertmanager", src_gr[] = "grafana",
    src_qk[] = "quake", src_js[] = "json";
static char *const fuzz_sources[] = { src_am, src_gr, src_qk, src_js, NULL };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct roster	*roster;
	struct diags		 d = { 0 }, rd = { 0 };
	struct rb_context	 ctx = { 0 };
	struct runbook		*rb;
	size_t			 i;

	if (roster == NULL &&
	    (roster = roster_parse("roster.yaml", fuzz_roster_text,
	    sizeof fuzz_roster_text - 1, &rd)) == NULL)
		abort();
	diag_free(&rd);
	ctx.roster = roster;
	ctx.sources = fuzz_sources;
	rb = runbook_parse("fuzz.yaml", (const char *)data, size, &ctx, &d);
	if (rb != NULL) {
		if (d.nerrors != 0)
			abort();
		json_decref(runbook_json(rb));
		for (i = 0; i < rb->nsteps; i++)
			if (runbook_step_index(rb, rb->steps[i].id) != (int)i)
				abort();
		runbook_unref(rb);
	} else if (d.nerrors == 0)
		abort();	/* refused without saying why */
	diag_free(&d);
	return 0;
}
