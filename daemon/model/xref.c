/* Cross-references between config and roster (see xref.h). */
#include <stddef.h>

#include "common/diag.h"
#include "model/config.h"
#include "model/roster.h"
#include "model/xref.h"

int
xref_config(const struct config *c, const struct roster *ro,
    struct diags *d)
{
	size_t	before = d->nerrors, i;

	if (c == NULL || ro == NULL)
		return 0;
	if (c->approver_role != NULL && *c->approver_role != '\0' &&
	    roster_role(ro, c->approver_role) == NULL)
		diag_error(d, c->path, c->approver_line, c->approver_col,
		    "exceptions.approver_role: unknown role \"%s\" (not in "
		    "%s): nobody could approve an exception measure",
		    c->approver_role, ro->file ? ro->file : "the roster");
	for (i = 0; i < c->ntokens; i++)
		if (roster_member(ro, c->tokens[i].member) == NULL)
			diag_error(d, c->path, c->tokens[i].line,
			    c->tokens[i].col, "token for unknown member \"%s\" "
			    "(not in %s)", c->tokens[i].member, ro->file ?
			    ro->file : "the roster");
	return (int)(d->nerrors - before);
}

int
xref_roster(const struct roster *ro, const struct config *c,
    struct diags *d)
{
	size_t	before = d->nerrors, i, k;

	if (c == NULL || ro == NULL)
		return 0;
	for (i = 0; i < ro->nmembers; i++) {
		const struct member *m = &ro->members[i];

		for (k = 0; k < m->ncontacts; k++)
			if (config_channel(c, m->contacts[k].channel) == NULL)
				diag_error(d, ro->file, m->contacts[k].line,
				    m->contacts[k].col, "member \"%s\": "
				    "contact on unknown channel \"%s\" (not "
				    "under channels: in %s)", m->id,
				    m->contacts[k].channel, c->path);
	}
	return (int)(d->nerrors - before);
}
