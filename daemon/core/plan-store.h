/* Plan revisions (SQLite table plan_revisions) and the plan in force
 * (d->plan). Every import that changes the text is a new revision, kept
 * with who imported it, when, from which file, its sha256 and its source;
 * the plan in force is always the latest revision that loads. */
#ifndef KZ_PLAN_STORE_H
#define KZ_PLAN_STORE_H

#include <jansson.h>
#include <stddef.h>

struct kz_daemon;
struct diags;

/* imported_by of the revisions taken from the config's plan: file. */
#define PLAN_STORE_CONFIG_ACTOR	"keizokud"

/* At start and on reload, after the config and roster are (re)read.
 * Imports the config's plan file (d->conf->plan, may be NULL) as a new
 * revision when its text changed since it was last imported from there;
 * then, if no plan is in force yet, loads the latest stored revision.
 * A file that cannot be read or has errors leaves the plan in force as it
 * was; every problem goes to diags as FILE:LINE:COL: message. Writes join
 * the current operation if there is one. Returns 0, or -1 when the
 * config's plan was not taken. */
int	 plan_store_load(struct kz_daemon *, struct diags *);
/* Another instance committed: its newer plan revision goes in force. */
void	 plan_store_refresh(struct kz_daemon *);

/* `plan import`: must run inside an operation (kz_op_begin). Parses text
 * as file, stores it as a new revision unless its hash is the latest
 * revision's, and puts it in force once the operation commits. Returns an
 * HTTP status:
 *   200: *result is {"revision", "hash", "file", "imported_by",
 *        "imported_at", "tasks", "systems", "errors", "warnings",
 *        "unchanged"}, errors and warnings being plan_check's findings;
 *   400: *why (caller frees) holds every diagnostic, one a line, and
 *        *result the array of them;
 *   503: *why says what the storage said. */
int	 plan_store_import(struct kz_daemon *, const char *file,
	    const char *text, size_t len, const char *actor, json_t **result,
	    char **why);

#endif
