/* Situation reports (第N報, SPEC §14): the next numbered report of an
 * incident, rendered as Markdown or as printable HTML from what the
 * command gathered: the incident as `show` has it, what changed since
 * the previous report, the open exception measures. Pure. */
#ifndef KZ_SITREP_H
#define KZ_SITREP_H

#include <jansson.h>

/* in: {"n", "incident": <show>, "issued_at" (ms), "issued_by" (a name),
 * "zone", "prev_at" (ms or null), "changes": [{"at" (ms), "who", "text"}],
 * "exceptions": [{"id", "title", "state", "revert_by_at" (ms or null)}],
 * "names": {member: name}, "roles": {role: title}, "now" (ms)}.
 * format "md" or "html". Allocated. */
char	*sitrep_render(json_t *in, const char *format);

#endif
