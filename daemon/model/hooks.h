/* Decoders of inbound monitoring webhooks (SPEC §2, §11): each turns one
 * request body into the trigger documents activation matchers see. Pure:
 * no I/O, no clock. */
#ifndef KZ_HOOKS_H
#define KZ_HOOKS_H

#include <jansson.h>
#include <stddef.h>

struct trigger {
	json_t	*doc;		/* what `match` paths and {{trigger.*}} see */
	char	*fingerprint;	/* default dedup key (never NULL) */
	int	 resolved;	/* an alert's "resolved" notification */
	int	 drill;		/* announces itself as a drill or test */
	int	 correction;	/* p2pquake issue.correct != None */
};

/* Known formats: "alertmanager", "grafana", "p2pquake", "json". */
int	 hook_format_known(const char *);
/* Decodes body. On success returns 0 with *out (array of *n triggers; a
 * format may yield zero, e.g. a p2pquake code that is not 551). On error
 * returns -1, *why allocated: for malformed JSON "invalid JSON at line L
 * column C: ...", for valid JSON of the wrong shape a message naming what
 * is missing ("alertmanager: missing \"alerts\" array"). */
int	 hook_decode(const char *format, const char *body, size_t len,
	    struct trigger **out, size_t *n, char **why);
void	 triggers_free(struct trigger *, size_t);

#endif
