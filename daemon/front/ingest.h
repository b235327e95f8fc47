/* Ingestion of inbound monitoring webhooks (SPEC §2, §3 activation, §11):
 * authenticate the request for its source, decode the body into
 * triggers, match each against every loaded runbook's activation entries
 * for that source, then start, join or record. One request is one
 * operation: every trigger of it is committed, or none is. Independent
 * of HTTP: the front end hands over the body and a header lookup. */
#ifndef KZ_INGEST_H
#define KZ_INGEST_H

#include <stddef.h>

#include "core/batch.h"
#include "core/daemon.h"
#include "model/hooks.h"

/* Returns the value of a request header (case-insensitive name), or
 * NULL when absent. */
typedef const char *(*ingest_header_fn)(void *arg, const char *name);

struct ingest_req {
	const char	*source;	/* the {source} of the path */
	const char	*ctype;		/* Content-Type, or NULL */
	const char	*body;
	size_t		 len;
	ingest_header_fn header;
	void		*harg;
	int		 get;		/* GET: only a heartbeat source */
	int		 fail;		/* .../fail: the sender's store fails */
};

/* Ingests one request. done(arg, status, body) is called exactly once,
 * possibly before ingest_hook returns: 202 {"accepted": N, "incidents":
 * [ids]} once the triggers are committed, else the error status (401,
 * 404, 405, 400, 415, 503) with {"error": "..."}. done owns body. A
 * source of format heartbeat takes GET or POST with any body: the
 * request is only heard (SPEC §17). */
void	 ingest_hook(struct kz_daemon *, const struct ingest_req *,
	    kz_reply_fn done, void *arg);

/* Runs inside a pull source's ingestion operation after its triggers:
 * records the source's own progress. 0, or -1 to roll it all back. */
typedef int (*ingest_also_fn)(struct kz_daemon *, void *arg);

/* A pull source's decoded triggers (a JMA document): matched, deduped
 * and recorded exactly as a webhook's, in one operation that also runs
 * also(d, also_arg) when not NULL, so that the document is marked taken
 * in the same commit as what it started. done as for ingest_hook (202
 * once committed, else 503). Takes tv. */
void	 ingest_triggers(struct kz_daemon *, const char *source,
	    struct trigger *tv, size_t n, ingest_also_fn also, void *also_arg,
	    kz_reply_fn done, void *arg);

/* Whether a Content-Type names JSON: application/json, with parameters
 * allowed (a charset must be UTF-8). */
int	 ingest_json_ctype(const char *);

/* Counts a refused webhook request in the metrics (source NULL: one
 * that named no configured source). */
void	 ingest_count_rejected(struct kz_daemon *, const char *source,
	    const char *reason);

#endif
