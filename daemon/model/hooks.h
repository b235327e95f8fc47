/* Decoders of inbound monitoring webhooks (SPEC §2, §11): each turns one
 * request body into the trigger documents activation matchers see. Pure:
 * no I/O, no clock. */
#ifndef KZ_HOOKS_H
#define KZ_HOOKS_H

#include <jansson.h>
#include <stddef.h>

struct trigger {
	json_t	*doc;		/* what `match` paths and {{trigger.*}} see */
	char	*text;		/* doc serialized as stored, or NULL (the
				   ingest makes it once for every row) */
	char	*fingerprint;	/* default dedup key (never NULL) */
	int	 resolved;	/* an alert's "resolved" notification */
	int	 drill;		/* announces itself as a drill or test */
	int	 correction;	/* p2pquake issue.correct != None, JMA 訂正 */
	int	 cancelled;	/* withdrawn by its sender: JMA 取消, an EEW
				   cancellation (P2P 556 "cancelled") */
};

/* The default dedup key of every report about one earthquake, whichever
 * relay it came through (P2P地震情報 551/556, JMA VXSE5x): "quake:" and
 * the origin time to the minute in JST, "quake:2024/01/01 16:10". P2P's
 * reports carry no JMA event id, and JMA publishes origin times to the
 * minute, so the minute is what both sides share. time is P2P's form
 * "YYYY/MM/DD hh:mm:ss"; NULL when it is not. */
char	*hook_quake_key(const char *time);
/* The default dedup key of tsunami reports (P2P 552, JMA VTSE41/51):
 * P2P's tsunami reports name no earthquake, so every tsunami report
 * within an activation's window is the same event. */
#define HOOK_TSUNAMI_KEY	"tsunami"


/* Known webhook formats: "alertmanager", "grafana", "p2pquake", "json".
 * (The pull format "jma" is not a webhook: see model/jma.h.) */
int	 hook_format_known(const char *);
/* Every format a source may have: the webhook formats above, "jma"
 * (polled, SPEC §15) and "heartbeat" (pings only, SPEC §17). */
int	 hook_source_format_known(const char *);
/* Whether a trigger document of format may have path (a matcher's
 * dotted path: "labels.alertname"): 1 when it may, 0 when the format
 * never has it. Format json may have any path, heartbeat none. */
int	 hook_path_known(const char *format, const char *path);
/* Decodes body. On success returns 0 with *out (array of *n triggers; a
 * format may yield zero, e.g. a p2pquake code that is not 551). On error
 * returns -1, *why allocated: for malformed JSON "invalid JSON at line L
 * column C: ...", for valid JSON of the wrong shape a message naming what
 * is missing ("alertmanager: missing \"alerts\" array"). */
int	 hook_decode(const char *format, const char *body, size_t len,
	    struct trigger **out, size_t *n, char **why);
void	 triggers_free(struct trigger *, size_t);

#endif
