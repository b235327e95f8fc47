/* Inbound monitoring webhooks: authentication per source, decoding,
 * activation matching, dedup, and the triggers table.
 *
 * A request is handled as one operation (savepoint) of the batch: either
 * every trigger it carries is recorded with what it did (started an
 * incident, joined one, matched nothing), or nothing is, and the sender
 * hears 202 only once the batch is committed. Refused requests (bad
 * credentials, malformed or mis-typed bodies) write nothing at all; they
 * are only counted in the metrics. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmd/cmd.h"
#include "model/config.h"
#include "core/daemon.h"
#include "model/hooks.h"
#include "front/ingest.h"
#include "common/log.h"
#include "core/maint.h"
#include "model/matcher.h"
#include "model/runbook.h"
#include "common/sig.h"
#include "core/sources.h"
#include "store/store.h"
#include "model/template.h"
#include "common/timeutil.h"
#include "common/xmalloc.h"
#include "common/jsonutil.h"
#include "core/batch.h"
#include "core/loop.h"
#include "core/apply.h"
#include "engine/engine.h"

#define INGEST_SLICE_NS	(4 * 1000000)	/* triggers per operation */

/* What one trigger did for one runbook (the triggers.status column). */
enum { IN_MATCHED, IN_JOINED, IN_UNMATCHED, IN_RESOLVED, IN_SUPPRESSED,
    IN_HEARTBEAT };
static const char *const ingest_status[] = {
	[IN_MATCHED] = "matched",	/* started an incident */
	[IN_JOINED] = "joined",		/* repeat, correction, resolution,
					   cancellation */
	[IN_UNMATCHED] = "unmatched",	/* no activation entry held */
	[IN_RESOLVED] = "resolved",	/* a resolution, nothing open */
	[IN_SUPPRESSED] = "suppressed",	/* held back by a maintenance
					   window (triggers.maintenance) */
	[IN_HEARTBEAT] = "heartbeat",	/* "alive": heard, not recorded */
};

/* One request in flight between its operation and the commit. A large
 * one is taken in slices (one operation of the batch each, across loop
 * turns); its 202 comes when the last is committed. */
struct ingest {
	struct kz_daemon	*d;
	char			*source;
	char			*idem;		/* webhook-id */
	size_t			 rows;		/* written so far */
	size_t			 rows0;		/* the first of this delivery */
	struct trigger		*tv;		/* decoded */
	size_t			 n;
	size_t			 next;		/* first not yet taken in */
	size_t			 committed;	/* in earlier slices */
	kz_reply_fn		 done;
	void			*arg;
	json_t			*incidents;	/* started or joined */
	json_t			*results;	/* status of each row */
	size_t			 accepted;
	int			 replay;	/* a repeated webhook-id */
	ingest_also_fn		 also;		/* a pull source's progress */
	void			*also_arg;
	size_t			 hb_gone;	/* resolved heartbeats */
};

/* Metrics: d->metrics.triggers is {source: {"accepted": n, "results":
 * {status: n}, "rejected": {reason: n}}}. */
static json_t *
ingest_msource(struct kz_daemon *d, const char *source)
{
	json_t *s;

	if (d->metrics.triggers == NULL)
		d->metrics.triggers = json_object();
	if ((s = json_object_get(d->metrics.triggers, source)) == NULL) {
		s = json_pack("{s:i,s:{},s:{}}", "accepted", 0, "results",
		    "rejected");
		json_object_set_new(d->metrics.triggers, source, s);
	}
	return s;
}

static void
ingest_bump(json_t *obj, const char *key, json_int_t by)
{
	json_object_set_new(obj, key, json_integer(json_integer_value(
	    json_object_get(obj, key)) + by));
}

void
ingest_count_rejected(struct kz_daemon *d, const char *source,
    const char *reason)
{
	/* Unknown names stay out of the labels: a scanner must not be able
	 * to grow the metrics without bound. */
	ingest_bump(json_object_get(ingest_msource(d, source ? source :
	    "_unknown"), "rejected"), reason, 1);
}

static void
ingest_count_accepted(struct ingest *in)
{
	json_t	*s = ingest_msource(in->d, in->source);
	json_t	*v;
	size_t	 i;

	ingest_bump(s, "accepted", (json_int_t)in->accepted);
	if (in->replay) {
		ingest_bump(json_object_get(s, "results"), "duplicate",
		    (json_int_t)in->accepted);
		return;
	}
	json_array_foreach(in->results, i, v)
		ingest_bump(json_object_get(s, "results"),
		    json_string_value(v), 1);
}

int
ingest_json_ctype(const char *ct)
{
	static const char	 want[] = "application/json";
	const char		*p, *cs;
	size_t			 n = sizeof want - 1;

	if (ct == NULL)
		return 0;
	ct += strspn(ct, " \t");
	if (strncasecmp(ct, want, n) != 0)
		return 0;
	p = ct + n + strspn(ct + n, " \t");
	if (*p == '\0')
		return 1;
	if (*p != ';')
		return 0;
	/* JSON is UTF-8 (RFC 8259); any other declared charset is a sender
	 * that would have its Japanese mangled. */
	if ((cs = strcasestr(p, "charset=")) == NULL)
		return 1;
	cs += strlen("charset=");
	if (*cs == '"')
		cs++;
	if (strncasecmp(cs, "utf-8", 5) == 0)
		cs += 5;
	else if (strncasecmp(cs, "utf8", 4) == 0)
		cs += 4;
	else
		return 0;
	return strchr("\"; \t", *cs) != NULL;	/* '\0' is found too */
}

/* Authentication schemes, by the source's auth kind. Each returns 0 or
 * -1 with *why (static). */
typedef int (*ingest_auth_fn)(const struct source_conf *,
    const struct ingest_req *, int64_t now_s, const char **why);

static int
ingest_auth_none(const struct source_conf *s, const struct ingest_req *r,
    int64_t now_s, const char **why)
{
	return 0;
}

static int
ingest_auth_bearer(const struct source_conf *s, const struct ingest_req *r,
    int64_t now_s, const char **why)
{
	const char	*h = r->header(r->harg, "Authorization");
	int		 ok;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		*why = "missing bearer token (Authorization: Bearer ...)";
		return -1;
	}
	h += 7;
	h += strspn(h, " ");
	ok = ct_equal(h, strlen(h), s->secret, strlen(s->secret));
	if (!ok)
		*why = "bad bearer token";
	return ok ? 0 : -1;
}

static int
ingest_auth_hmac(const struct source_conf *s, const struct ingest_req *r,
    int64_t now_s, const char **why)
{
	const char *ts = NULL;

	if (s->ts_header != NULL &&
	    (ts = r->header(r->harg, s->ts_header)) == NULL) {
		*why = "missing signature timestamp header";
		return -1;
	}
	return grafana_hmac_verify(s->secret, r->header(r->harg, s->header),
	    ts, r->body, r->len, now_s, s->window_s, why);
}

static int
ingest_auth_stdwh(const struct source_conf *s, const struct ingest_req *r,
    int64_t now_s, const char **why)
{
	return stdwh_verify(s->secret, r->header(r->harg, "webhook-id"),
	    r->header(r->harg, "webhook-timestamp"),
	    r->header(r->harg, "webhook-signature"), r->body, r->len, now_s,
	    s->window_s, why);
}

static const struct {
	enum auth_kind	 kind;
	ingest_auth_fn	 fn;
} ingest_auths[] = {
	{ AUTH_NONE, ingest_auth_none },
	{ AUTH_BEARER, ingest_auth_bearer },
	{ AUTH_HMAC, ingest_auth_hmac },
	{ AUTH_STDWH, ingest_auth_stdwh },
};

static int
ingest_auth(const struct source_conf *s, const struct ingest_req *r,
    const char **why)
{
	/* Signatures are about real time, whatever the test clock says. */
	int64_t	now_s = (int64_t)time(NULL);
	size_t	i;

	if (s->auth != AUTH_NONE && (s->secret == NULL || *s->secret == '\0')) {
		*why = "the source has no secret configured";
		return -1;
	}
	for (i = 0; i < sizeof ingest_auths / sizeof ingest_auths[0]; i++)
		if (ingest_auths[i].kind == s->auth)
			return ingest_auths[i].fn(s, r, now_s, why);
	*why = "unknown authentication scheme";
	return -1;
}

static int
ingest_truthy(json_t *v)
{
	const char *s = json_string_value(v);

	if (json_is_true(v))
		return 1;
	return s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 ||
	    strcasecmp(s, "yes") == 0);
}

/* A drill: the decoder saw one, the source is a drill source, or the
 * source's drill_label (a field, or a label of an alert) says so. */
static int
ingest_is_drill(const struct source_conf *s, const struct trigger *t)
{
	json_t	*labels;

	if (t->drill || s->drill)
		return 1;
	if (s->drill_label == NULL)
		return 0;
	labels = json_object_get(t->doc, "labels");
	return ingest_truthy(json_path(t->doc, s->drill_label)) ||
	    ingest_truthy(json_object_get(labels, s->drill_label));
}

/* Writes one row of the triggers table (held: the maintenance window
 * that held it back, or 0). */
static int
ingest_record_held(struct ingest *in, const struct trigger *t, int drill,
    int status, int64_t incident, const char *key, int64_t held)
{
	struct trigger_row	 row;
	int			 rc;

	memset(&row, 0, sizeof row);
	row.source = in->source;
	row.received_at = clock_now();
	row.key = key;
	row.status = ingest_status[status];
	row.incident = incident;
	row.drill = drill;
	row.doc = t->doc;
	row.doc_text = t->text;
	row.delivery = in->idem;	/* its webhook-id, if it has one */
	row.delivery_row = in->rows;
	row.maintenance = held;
	rc = store_trigger_record(in->d->store, &row);
	in->rows++;
	json_array_append_new(in->results, json_string(ingest_status[status]));
	if (incident > 0)
		jarray_add_id(in->incidents, incident);
	return rc;
}

static int
ingest_record(struct ingest *in, const struct trigger *t, int drill,
    int status, int64_t incident, const char *key)
{
	return ingest_record_held(in, t, drill, status, incident, key, 0);
}

static void
ingest_actx(struct kz_daemon *d, const char *actor, struct actx *a)
{
	kz_actx_init(d, a, clock_now(), actor);
}

/* A repeat, resolution, correction or cancellation lands on the open
 * incident's timeline (a correction also replaces its trigger). */
static int
ingest_join(struct ingest *in, const struct trigger *t, int64_t id)
{
	struct kz_daemon	*d = in->d;
	struct incident		*inc;
	struct effects		 fx = { 0 };
	struct actx		 a;
	char			*actor = xprintf("hook:%s", in->source);
	int			 status, rc;

	ingest_actx(d, actor, &a);
	if ((inc = kz_incident_load(d, id, &status)) == NULL) {
		free(actor);
		return -1;
	}
	a.rtos = kz_rtos(d, inc->rb);
	if (t->cancelled)
		engine_trigger_cancelled(&a, inc, t->doc, &fx);
	else
		engine_trigger_repeat(&a, inc, t->doc, t->resolved,
		    t->correction, &fx);
	rc = kz_apply(d, &a, inc, &fx);
	json_decref(a.rtos);
	effects_free(&fx);
	incident_free(inc);
	free(actor);
	return rc;
}

static int
ingest_start(struct ingest *in, struct runbook *rb,
    const struct rb_activation *act, const struct trigger *t, int drill,
    const char *key, int64_t *id)
{
	struct kz_daemon	*d = in->d;
	struct actx		 a;
	json_t			*vars = json_deep_copy(rb->vars);
	char			*actor = xprintf("hook:%s", in->source);
	char			*why = NULL;
	int			 status;

	ingest_actx(d, actor, &a);
	status = kz_start_incident(d, &a, &(struct kz_start){ .rb = rb,
	    .drill = drill, .pending = act->mode == AM_CONFIRM, .trigger =
	    t->doc, .trigger_text = t->text, .vars = vars, .source =
	    in->source, .key = key,
	    .confirm_by = act->confirm_by }, id, &why);
	json_decref(vars);
	free(actor);
	if (status != 200) {
		log_warnx("hook %s: cannot start %s: %s", in->source, rb->id,
		    why ? why : "?");
		free(why);
		return -1;
	}
	log_info("hook %s: started %s incident %lld of %s (key %s)%s",
	    in->source, act->mode == AM_CONFIRM ? "pending" : "active",
	    (long long)*id, rb->id, key, drill ? " as a drill" : "");
	return 0;
}

/* What a trigger does for one activation entry: join the open incident
 * id (when not 0), start one, or record a resolution that found nothing
 * open. 0 or -1 (storage). */
static int
ingest_act(struct ingest *in, struct runbook *rb,
    const struct rb_activation *act, const struct trigger *t, int drill,
    const char *key, int64_t id)
{
	if (id > 0) {
		log_info("hook %s: %s joins incident %lld of %s", in->source,
		    t->cancelled ? "cancellation" : t->correction ?
		    "correction" : t->resolved ? "resolution" : "repeat",
		    (long long)id, rb->id);
		if (ingest_join(in, t, id) == -1)
			return -1;
		return ingest_record(in, t, drill, IN_JOINED, id, key);
	}
	if (t->resolved)
		return ingest_record(in, t, drill, IN_RESOLVED, 0, key);
	if (ingest_start(in, rb, act, t, drill, key, &id) == -1)
		return -1;
	return ingest_record(in, t, drill, IN_MATCHED, id, key);
}

/* The first activation entry of rb for this source that applies decides
 * what the trigger does for rb: 1 when one did, 0 when none applied, -1
 * on a storage failure. */
static int
ingest_runbook(struct ingest *in, struct runbook *rb,
    const struct trigger *t, int drill, json_t *ctx)
{
	const struct rb_activation	*act;
	size_t				 i;
	int64_t				 id;
	char				*key;
	int				 matched, rc;

	for (i = 0; i < rb->nacts; i++) {
		act = &rb->acts[i];
		if (act->source == NULL || strcmp(act->source, in->source) != 0)
			continue;
		/* A cancellation never starts anything, whatever it would
		 * match. */
		matched = !t->cancelled && (act->match == NULL ||
		    matcher_eval(act->match, t->doc));
		/* A correction updates its incident even when the corrected
		 * report would no longer start one, a resolution (a tsunami
		 * warning lifted: no area left to match) ends what started
		 * it, and a cancellation withdraws it. */
		if (!matched && !t->correction && !t->resolved &&
		    !t->cancelled)
			continue;
		key = act->key != NULL ? tmpl_render(act->key, ctx) :
		    xstrdup(t->fingerprint);
		id = store_find_open(in->d->store, rb->id, key, clock_now() -
		    act->window_s * 1000, drill);
		if (id == 0 && !matched) {
			free(key);
			continue;
		}
		rc = ingest_act(in, rb, act, t, drill, key, id);
		free(key);
		return rc == 0 ? 1 : -1;
	}
	return 0;
}

/* One trigger against every runbook; 0 or -1 (storage). */
static int
ingest_trigger(struct ingest *in, const struct source_conf *s,
    const struct trigger *t)
{
	struct kz_daemon	*d = in->d;
	json_t			*ctx;
	int			 drill, any = 0, rc = 0;
	int64_t			 held;
	size_t			 i;

	drill = ingest_is_drill(s, t);
	/* Planned work: recorded, starts nothing, joins nothing. */
	if ((held = maint_holds(d, s->name, t->doc, clock_now())) != 0) {
		log_info("hook %s: a trigger held back by maintenance window "
		    "%lld (key %s)", in->source, (long long)held,
		    t->fingerprint);
		if (maint_held(d, held) == -1)
			return -1;
		return ingest_record_held(in, t, drill, IN_SUPPRESSED, 0,
		    t->fingerprint, held);
	}
	ctx = json_pack("{s:O}", "trigger", t->doc);

	for (i = 0; d->rbs != NULL && i < d->rbs->n && rc != -1; i++) {
		rc = ingest_runbook(in, d->rbs->v[i], t, drill, ctx);
		any |= rc == 1;
	}
	json_decref(ctx);
	if (rc == -1)
		return -1;
	if (!any) {
		log_info("hook %s: a trigger matched no runbook (key %s)",
		    in->source, t->fingerprint);
		return ingest_record(in, t, drill, IN_UNMATCHED, 0,
		    t->fingerprint);
	}
	return 0;
}

/* A webhook-id taken in whole before: the incidents of that delivery.
 * NULL when it is new, or was cut short (then in->rows numbers on).
 * How a delivery's rows are kept is the store's (store-trigger.c). */
static json_t *
ingest_replayed(struct ingest *in)
{
	struct store	*st = in->d->store;
	json_t		*ids;
	int64_t		 n;

	if (store_delivery_done(st, in->source, in->idem) != 1) {
		n = store_delivery_rows(st, in->source, in->idem);
		in->rows = n > 0 ? (size_t)n : 0;
		return NULL;
	}
	if ((ids = store_delivery_incidents(st, in->source, in->idem)) == NULL)
		ids = json_array();
	return ids;
}

static void
ingest_free(struct ingest *in)
{
	triggers_free(in->tv, in->n);
	free(in->source);
	free(in->idem);
	json_decref(in->incidents);
	json_decref(in->results);
	free(in);
}

/* After the batch: 202 with the result, or what went wrong. */
static void
ingest_committed(void *arg, int status, json_t *body)
{
	struct ingest *in = arg;

	if (status == 200) {
		json_decref(body);
		ingest_count_accepted(in);
		in->done(in->arg, 202, json_pack("{s:I,s:O}", "accepted",
		    (json_int_t)in->accepted, "incidents", in->incidents));
	} else {
		ingest_count_rejected(in->d, in->source, "unavailable");
		json_decref(body);
		if (in->committed == 0) {
			char *why = kz_storage_why(in->d);

			body = kz_error("%s; nothing was recorded, send it "
			    "again", why);
			free(why);
		} else {
			char *why = kz_storage_why(in->d);

			body = kz_error("%s; %zu of the %zu triggers were "
			    "recorded; send it again (repeats join their "
			    "incidents)", why, in->committed, in->n);
			free(why);
		}
		in->done(in->arg, 503, body);
	}
	ingest_free(in);
}

/* Checks before anything is written: source, credentials, content type,
 * body. Returns the status to refuse with (*body set), or 0 with the
 * decoded triggers. */
static int
ingest_check(struct kz_daemon *d, const struct ingest_req *r,
    const struct source_conf **sp, struct trigger **tv, size_t *n,
    json_t **body)
{
	const struct source_conf	*s;
	const char			*why = NULL;
	char				*dwhy = NULL;

	if ((s = config_source(d->conf, r->source)) == NULL) {
		ingest_count_rejected(d, NULL, "unknown_source");
		*body = kz_error("no source \"%s\" is configured", r->source);
		return 404;
	}
	*sp = s;
	if (s->pull) {
		ingest_count_rejected(d, s->name, "pull_source");
		*body = kz_error("source \"%s\" is polled by keizokud (format "
		    "%s): nothing is posted to it", s->name, s->format);
		return 403;
	}
	if ((r->get || r->fail) && !s->pings) {
		ingest_count_rejected(d, s->name, "method");
		*body = kz_error("source \"%s\" takes POST of %s alerts; only "
		    "a source of format heartbeat takes GET and /fail",
		    s->name, s->format);
		return r->fail ? 404 : 405;
	}
	if (ingest_auth(s, r, &why) == -1) {
		log_warnx("hook %s: refused: %s", s->name, why);
		ingest_count_rejected(d, s->name, "auth");
		*body = kz_error("%s", why);
		return 401;
	}
	/* A ping: whatever it carries, it only says "alive". */
	if (s->pings)
		return 0;
	if (!ingest_json_ctype(r->ctype)) {
		ingest_count_rejected(d, s->name, "content_type");
		*body = kz_error("Content-Type must be application/json, not "
		    "\"%s\"", r->ctype ? r->ctype : "");
		return 415;
	}
	if (hook_decode(s->format, r->body, r->len, tv, n, &dwhy) == -1) {
		ingest_count_rejected(d, s->name, strncmp(dwhy, "invalid JSON",
		    12) == 0 ? "malformed" : "format");
		*body = kz_error("%s", dwhy);
		free(dwhy);
		return 400;
	}
	return 0;
}

/* One trigger: a heartbeat (heard, never activates, not recorded; a
 * resolved one counted, since heartbeats that stopped are no sign of
 * life), or matched and recorded. 0, or -1 on a storage failure. */
static int
ingest_one(struct ingest *in, const struct source_conf *s,
    struct trigger *t)
{
	if (s->heartbeat == NULL || !matcher_eval(s->heartbeat, t->doc)) {
		/* Serialized once for its rows and its incident's (NULL if
		 * it cannot be: each row then tries on its own, as before). */
		if (t->text == NULL)
			t->text = json_dumps(t->doc, JSON_COMPACT |
			    JSON_ENCODE_ANY);
		return ingest_trigger(in, s, t);
	}
	json_array_append_new(in->results, json_string(
	    ingest_status[IN_HEARTBEAT]));
	in->hb_gone += t->resolved;
	return 0;
}

static void	ingest_step(struct kz_daemon *, struct ingest *);

static void
ingest_resume(struct kz_daemon *d, void *arg)
{
	ingest_step(d, arg);
}

/* After a slice that was not the last: the next, once a batch has room
 * (never from inside the commit that answered this). */
static void
ingest_sliced(void *arg, int status, json_t *body)
{
	struct ingest	*in = arg;
	char		*why;

	if (status == 200) {
		json_decref(body);
		in->committed = in->next;
		kz_later(in->d, ingest_resume, in);
		return;
	}
	ingest_count_rejected(in->d, in->source, "unavailable");
	json_decref(body);
	why = kz_storage_why(in->d);
	in->done(in->arg, 503, kz_error("%s; %zu of the %zu triggers were "
	    "recorded; send it again (repeats join their incidents)", why,
	    in->committed, in->n));
	free(why);
	ingest_free(in);
}

static int64_t
ingest_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Takes in the next slice of the request's triggers as one operation. */
static void
ingest_step(struct kz_daemon *d, struct ingest *in)
{
	const struct source_conf	*s;
	json_t				*orig;
	int64_t				 t0 = ingest_mono_ns();
	int				 ok = 1;

	if (d->stopping || (s = config_source(d->conf, in->source)) == NULL) {
		ingest_count_rejected(d, in->source, "unavailable");
		in->done(in->arg, 503, kz_error("%s; %zu of the %zu triggers "
		    "were recorded; send it again", d->stopping ? "keizokud is "
		    "shutting down" : "the source was removed by a reload",
		    in->committed, in->n));
		ingest_free(in);
		return;
	}
	if (kz_op_begin(d) == -1) {
		ingest_count_rejected(d, s->name, "unavailable");
		in->done(in->arg, 503, kz_storage_error(d));
		ingest_free(in);
		return;
	}
	if (in->next == 0 && in->idem != NULL &&
	    (orig = ingest_replayed(in)) != NULL) {
		log_info("hook %s: webhook-id %s seen before; answering with "
		    "the original result", s->name, in->idem);
		json_decref(in->incidents);
		in->incidents = orig;
		in->replay = 1;
		in->next = in->n;
		kz_op_end(d, 1, ingest_committed, in);
		return;
	}
	if (in->next == 0)
		in->rows0 = in->rows;
	/* A ping: whatever it carries, it only says "alive". */
	if (in->next == 0 && s->pings) {
		json_array_append_new(in->results, json_string("ping"));
		in->accepted = 1;
		in->next = in->n;
	}
	while (ok && in->next < in->n) {
		ok = ingest_one(in, s, &in->tv[in->next++]) == 0;
		/* A pull source's document and its progress: one operation. */
		if (in->also == NULL && ingest_mono_ns() - t0 >= INGEST_SLICE_NS)
			break;
	}
	if (ok && in->next == in->n && in->idem != NULL && in->rows > in->rows0)
		ok = store_delivery_complete(d->store, in->source, in->idem,
		    in->rows0) == 0;
	/* Every accepted request of a webhook source is heard (SPEC §17),
	 * unless all it brought is heartbeats saying they stopped; a polled
	 * source is heard on each successful poll (its poller says so). */
	if (ok && in->next == in->n && in->n > 0 && in->hb_gone == in->n)
		log_warnx("hook %s: heartbeat resolved: the monitoring behind "
		    "it has stopped (not counted as heard)", in->source);
	else if (ok && in->next == in->n && !s->pull)
		ok = source_heard(d, s->name, clock_now()) == 0;
	if (ok && in->next == in->n && in->also != NULL)
		ok = in->also(d, in->also_arg) == 0;
	if (ok && in->next < in->n)
		kz_op_end(d, ok, ingest_sliced, in);
	else
		kz_op_end(d, ok, ingest_committed, in);
}

/* The operation shared by webhooks and pull sources: every trigger
 * matched and recorded, the source heard, the source's own progress
 * (also), then the batch; a webhook's many triggers in slices. Takes
 * tv. */
static void
ingest_run(struct kz_daemon *d, const struct source_conf *s,
    struct trigger *tv, size_t n, const char *idem, ingest_also_fn also,
    void *also_arg, kz_reply_fn done, void *arg)
{
	struct ingest	*in;

	in = xcalloc(1, sizeof *in);
	in->d = d;
	in->source = xstrdup(s->name);
	in->done = done;
	in->arg = arg;
	in->incidents = json_array();
	in->results = json_array();
	in->accepted = n;
	in->also = also;
	in->also_arg = also_arg;
	in->tv = tv;
	in->n = n;
	if (idem != NULL)
		in->idem = xstrdup(idem);
	if (kz_batch_full(d))
		kz_later(d, ingest_resume, in);
	else
		ingest_step(d, in);
}

void
ingest_hook(struct kz_daemon *d, const struct ingest_req *r,
    kz_reply_fn done, void *arg)
{
	const struct source_conf	*s = NULL;
	struct trigger			*tv = NULL;
	json_t				*body = NULL;
	size_t				 n = 0;
	int				 status;

	if (d->stopping) {
		done(arg, 503, kz_error("keizokud is shutting down; send it "
		    "again"));
		return;
	}
	if ((status = ingest_check(d, r, &s, &tv, &n, &body)) != 0) {
		done(arg, status, body);
		return;
	}
	if (s->pings) {
		source_failing(d, s->name, r->fail);
		if (r->fail) {
			/* Its loop turns, its store does not commit: that
			 * is not what "alive" means here. */
			ingest_bump(json_object_get(ingest_msource(d,
			    s->name), "results"), "fail", 1);
			done(arg, 202, json_pack("{s:i,s:[],s:b}", "accepted",
			    0, "incidents", "heard", 0));
			return;
		}
	}
	ingest_run(d, s, tv, n, s->auth == AUTH_STDWH ? r->header(r->harg,
	    "webhook-id") : NULL, NULL, NULL, done, arg);
}

void
ingest_triggers(struct kz_daemon *d, const char *source, struct trigger *tv,
    size_t n, ingest_also_fn also, void *also_arg, kz_reply_fn done,
    void *arg)
{
	const struct source_conf *s = config_source(d->conf, source);

	if (s == NULL || d->stopping) {
		triggers_free(tv, n);
		done(arg, 503, kz_error("source %s is gone or keizokud is "
		    "stopping", source));
		return;
	}
	ingest_run(d, s, tv, n, NULL, also, also_arg, done, arg);
}
