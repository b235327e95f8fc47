/* Per-source health (SPEC §15, §17): when each configured source was last
 * heard, and whether it has gone silent. One table (source_state) and
 * one durable timer per source with silent_after; a silence is one
 * source.silent event and notification, its end one source.heard, and
 * neither is repeated or forgotten across a restart. */
#ifndef KZ_SOURCES_H
#define KZ_SOURCES_H

#include <jansson.h>
#include <stdint.h>

#include "core/daemon.h"
#include "engine/tkey.h"

/* Its timer's kind (engine/tkey.h), dispatched by timer.c. */
#define SOURCE_SILENT_TIMER	tkey_name(TK_SOURCE_SILENT)

/* The source was heard at `at` (a webhook accepted, a new document in a
 * feed). Inside an operation; 0 or -1 (storage). */
int	 source_heard(struct kz_daemon *, const char *source, int64_t at);
/* After (re)load: a state row and a timer for every source with
 * silent_after, none for the others. Runs its own operation. */
void	 sources_arm(struct kz_daemon *);
/* The silence timer of a source fired (inside the timer's operation). */
int	 source_silence_due(struct kz_daemon *, const char *source,
	    int64_t now);
/* {"SOURCE": {"last_heard_at", "silent", "silent_since"}} of every
 * configured source. */
json_t	*sources_state(struct kz_daemon *);
/* Every polled feed: [{"source", "feed", "enabled", "last_poll_at",
 * "last_ok_at", "last_error", "failures", "polls", "newest_doc_at",
 * "newest_doc_age_s", "documents": {state: n}, "last_heard_at",
 * "silent", "silent_since"}]. */
json_t	*sources_feeds(struct kz_daemon *);

#endif
