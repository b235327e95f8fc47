/* An action step's `with:` rendered for its run, each string escaped for
 * where it goes, because trigger data (an alert's labels, a report's
 * place names) must never reshape the request or the command it feeds:
 *
 *   url	a URL (TC_URL): values past the host percent-encoded; before
 *		it only the runbook's vars, and the rendered origin must be
 *		the one the runbook's own vars give (an activation that
 *		overrides them cannot send the request elsewhere)
 *   body	a string that is JSON text (it starts with { or [): values
 *		JSON-escaped (TC_JSON), and the result must parse
 *   argv	each argument as is, but a value may not begin an argument
 *		with "-" (an option) unless the runbook wrote the "-" itself
 *		or a literal "--" came before it
 *   the rest	as is (TC_TEXT)
 *
 * The keys are those of the shipped actions (SPEC §3); a plugin's own
 * keys of these names get the same care. */
#ifndef KZ_ACTIONWITH_H
#define KZ_ACTIONWITH_H

#include <jansson.h>

/* Load time: the URL templates of with (0, or -1 and *why). */
int	 action_with_check(json_t *with, char **why);
/* ctx: the incident's template context; rbctx: the same with the
 * runbook's own vars. A new object, or NULL and *why. *origin, when not
 * NULL, gets the origin the runbook's vars give the url (to compare what
 * a URL parser makes of both), or NULL without a url. */
json_t	*action_with_render(json_t *with, json_t *ctx, json_t *rbctx,
	    char **origin, char **why);

#endif
