/* Durable state in SQLite (WAL, synchronous=FULL) or PostgreSQL, through
 * the driver of store/db.h. Every change is made
 * inside the batch transaction the daemon commits once per loop turn
 * (group commit); each operation inside it is a savepoint, so a failed
 * operation leaves nothing half-written. A reply is sent only after
 * store_commit() succeeded. The rest of the daemon sees only this
 * interface. */
#ifndef KZ_STORE_H
#define KZ_STORE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

struct incident;
struct runbook;
struct store;

/* backend: "sqlite" (target: the file) or "postgresql" (a libpq DSN). */
struct store	*store_open(const char *backend, const char *target,
		    char **why);
/* The backend's name; what to call the database in messages (no
 * password). */
const char	*store_backend(const struct store *);
const char	*store_label(const struct store *);
/* Whether it is PostgreSQL: a database several instances may share. */
int		 store_is_pg(const struct store *);
void		 store_close(struct store *);
/* keizokud --import-sqlite: copies the SQLite state file (migrated to
 * this schema first) into the empty PostgreSQL store of dsn, in one
 * transaction; the rows per table to out. -1 with *why: nothing
 * written. */
int		 store_import_sqlite(const char *file, const char *dsn,
		    FILE *out, char **why);
const char	*store_errmsg(const struct store *);

/*
 * Leadership (PostgreSQL only; SPEC §13): a session of its own holding
 * an advisory lock while this instance leads, listening for the commits
 * of the others. Driven without blocking by core/leader.c: send, then
 * input when its socket is readable. store_lease_new is NULL on SQLite
 * (one instance: it always leads).
 */
#define KZ_PG_WRITE_LOCK	0x6b7a0001	/* every write transaction */
#define KZ_PG_LEADER_LOCK	0x6b7a0002	/* the leader's session */
#define KZ_PG_MIGRATE_LOCK	0x6b7a0003	/* schema migrations */
#define KZ_LEASE_SERVER_S	"6"	/* the server drops a silent session */
struct store_lease;
struct store_lease *store_lease_new(struct store *);
void		 store_lease_free(struct store_lease *);
int		 store_lease_connect(struct store_lease *);
int		 store_lease_connect_start(struct store_lease *);
int		 store_lease_connect_poll(struct store_lease *, int *want_write);
int		 store_lease_ready(const struct store_lease *);
int		 store_lease_connecting(const struct store_lease *);
void		 store_lease_drop(struct store_lease *);
int		 store_lease_send(struct store_lease *, int64_t now_ms);
int		 store_lease_input(struct store_lease *, int *others);
int		 store_lease_fd(const struct store_lease *);
int		 store_lease_held(const struct store_lease *);
int		 store_lease_busy(const struct store_lease *);
int64_t		 store_lease_sent(const struct store_lease *);
int64_t		 store_lease_confirmed(const struct store_lease *);
const char	*store_lease_error(const struct store_lease *);
/* The server process of the store's own session (0: none, SQLite). */
int		 store_backend_pid(struct store *);
/* Round trips to the PostgreSQL server so far (0 on SQLite). */
uint64_t	 store_round_trips(struct store *);
/* Whether the last failure was the storage (disk full, I/O, the
 * database server gone): answer 503. */
int		 store_failed(const struct store *);

/* Operation scope: opens the batch transaction if needed. */
int		 store_op_begin(struct store *);
int		 store_op_end(struct store *, int ok);	/* release/rollback */
int		 store_in_tx(const struct store *);
int		 store_in_op(const struct store *);	/* an operation open */
/* Commits the batch; -1 (rolled back) on failure. */
int		 store_commit(struct store *);
void		 store_rollback(struct store *);
/* 1 after a failed COMMIT until store_barrier has written over what it
 * may have left in the WAL. */
int		 store_suspect(const struct store *);
/* Commits a transaction of its own (outside a batch) so that the frames
 * of a failed COMMIT are never recovered; 0, or -1 while writes fail. */
int		 store_barrier(struct store *);

/* Runbook versions (content-addressed). */
int		 store_put_runbook(struct store *, const struct runbook *);
/* Source text of a version, allocated, with its file name; NULL if none. */
char		*store_runbook_source(struct store *, const char *hash,
		    char **file);

/* Incidents. A new one is inserted with the id store_incident_reserve
 * gave it, or reserved here when it has none. */
int		 store_incident_save(struct store *, struct incident *);
/* The id a new incident will have, without writing its row (the engine
 * needs it before the row is complete): SQLite's next rowid inside the
 * writer's transaction, PostgreSQL's sequence. 0, or -1. */
int		 store_incident_reserve(struct store *, struct incident *);
/* Loads the incident's row and steps; the caller supplies the runbook for
 * its version through lookup. NULL with *status 404 or 503. */
struct incident	*store_incident_load(struct store *, int64_t id,
		    struct runbook *(*lookup)(void *, const char *hash),
		    void *arg, int *status);
/* The same, partial (struct cpart): only member's call-outs, with the
 * counts of all of them per step and role. */
struct incident	*store_incident_load_for(struct store *, int64_t id,
		    const char *member,
		    struct runbook *(*lookup)(void *, const char *hash),
		    void *arg, int *status);
/* The same with the counts and no call-out (a fan-out batch of an
 * assemble step: engine_fanout_slice names the call-outs to load), and
 * those call-outs: members' in every step, added as loaded ones. */
struct incident	*store_incident_load_head(struct store *, int64_t id,
		    struct runbook *(*lookup)(void *, const char *hash),
		    void *arg, int *status);
int		 store_callouts_load(struct store *, struct incident *,
		    const char *const *members, size_t n);
/* A page of incidents (open ones, or all), by id after after. */
json_t		*store_incidents(struct store *, int all, int64_t after,
		    int64_t limit);
/* Open (pending/active) incident of runbook with key, started after
 * since, drill or not; 0 if none. */
int64_t		 store_find_open(struct store *, const char *runbook,
		    const char *key, int64_t since, int drill);
/* Every open incident id (for recovery). */
json_t		*store_open_incidents(struct store *);
/* Steps in state running: [{"incident","idx","step","attempts",
 * "started"}]. */
json_t		*store_running_steps(struct store *);
json_t		*store_counts(struct store *, const char *table,
		    const char *column);

/* The hash-chained event log. */
int		 store_event(struct store *, int64_t incident, int64_t at,
		    const char *actor, const char *on_behalf,
		    const char *type, const char *step, json_t *data);
json_t		*store_events(struct store *, int64_t incident);
json_t		*store_events_page(struct store *, int64_t incident,
		    int64_t after, int64_t limit);
/* {"ok","events","head","first_bad"}. */
json_t		*store_verify(struct store *);
const char	*store_head(const struct store *);

/* Timers: one per (incident, step, kind); step "" for the incident. */
int		 store_timer_set(struct store *, int64_t incident,
		    const char *step, const char *kind, int64_t due,
		    json_t *data);
/* kind NULL: all of the step; step NULL: all of the incident. */
int		 store_timer_clear(struct store *, int64_t incident,
		    const char *step, const char *kind);
int64_t		 store_timer_next(struct store *);	/* INT64_MAX: none */
/* The same, and whether a timer of kind waits (one statement); -1 when
 * the statement failed. */
int64_t		 store_timer_next_kind(struct store *, const char *kind,
		    int *waiting);
/* How many statements have written the timers table through this store
 * (set, clear, delete; committed or not): unchanged, the table is as
 * this instance last read it. */
uint64_t	 store_timer_writes(const struct store *);
/* Due timers, oldest first: [{"id","incident","step","kind","due",
 * "data"}], at most limit. */
json_t		*store_timers_due(struct store *, int64_t now, int limit);
/* Timers of one kind whether due or not, oldest first (the same rows). */
json_t		*store_timers_kind(struct store *, const char *kind,
		    int limit);
/* Deletes a timer (firing it): 1, 0 when it was gone already (cleared,
 * or fired by another instance), -1. */
int		 store_timer_delete(struct store *, int64_t id);
int64_t		 store_timer_count(struct store *);

/* The meta table: what the daemon remembers by name. get: allocated, NULL
 * when unset (or the storage failed). */
char		*store_meta_get(struct store *, const char *key);
int		 store_meta_set(struct store *, const char *key,
		    const char *value);
/* For the test clock and health checks. */
int		 store_ping(struct store *);

/* Safety confirmation (SPEC §18). ask: 1 when the row is new, 0 when
 * the member was asked already; remind: 1 when a reminder is due. */
int	 store_safety_ask(struct store *, int64_t incident, const char *step,
	    const char *member, const char *name, const char *site,
	    const char *area, int64_t now);
int	 store_safety_remind(struct store *, int64_t incident,
	    const char *step, const char *member, int round);
int	 store_safety_answer(struct store *, int64_t incident,
	    const char *step, const char *member, json_t *data, int64_t now);
/* heard: the member's rows of an incident ({step, status, can_come,
 * eta_s, note, answered_at}); answered_at is null until they answered. */
json_t	*store_safety_heard(struct store *, int64_t incident,
	    const char *member);
json_t	*store_safety_tally(struct store *, int64_t incident,
	    const char *step);
json_t	*store_safety_list(struct store *, int64_t incident,
	    const char *step, int unanswered, const char *after, int limit);
json_t	*store_callout_list(struct store *, int64_t incident,
	    const char *step, int unanswered, const char *after, int limit);
json_t	*store_safety_unheard(struct store *, int64_t incident,
	    const char *step, int limit);
json_t	*store_safety_times(struct store *, int64_t incident,
	    const char *step);

/*
 * Typed functions of the core (daemon/core/): the tables its modules
 * own. Each runs inside the caller's operation; -1 (or NULL) with
 * store_errmsg when the storage fails.
 */

/* The web pages (core/webstate.c): sessions by the SHA-256 (hex) of
 * their cookie; session_add prunes the ended ones first. */
int		 store_web_session_add(struct store *, const char *hash,
		    const char *member, const char *via, int64_t now,
		    int64_t expires);
/* The member of a live session (allocated), or NULL. */
char		*store_web_session_member(struct store *, const char *hash,
		    int64_t now);
int		 store_web_session_end(struct store *, const char *hash);
/* Records nonce as used: 0 the first time, 1 when it was used before
 * (nothing written), -1. Expired nonces are pruned on the way. */
int		 store_web_nonce_use(struct store *, const char *nonce,
		    const char *kind, const char *member, int64_t now,
		    int64_t expires);

/* Actions (core/apply.c). claim: records that attempt of the step is
 * starting; 1 when it does, 0 when it started already or the step is no
 * longer running it (nothing written), -1. unclaim: takes the record
 * back (a stop before it ran). */
int		 store_action_claim(struct store *, int64_t incident,
		    int step, int attempt);
int		 store_action_unclaim(struct store *, int64_t incident,
		    int step, int attempt);

/* Exception measures (core/exception.c): the exceptions table. get: NULL
 * with *status 404 or 503; the measure is the caller's to exc_free. add
 * stores a new one (its id to *id). page: the measures of an incident (0:
 * every one), open ones only or all, oldest requested first, past the
 * measure after; open: an incident's open ones by id. Both give an
 * allocated array of n measures, freed with store_exceptions_free. */
struct exc;
struct exc	*store_exception_get(struct store *, int64_t id, int *status);
int		 store_exception_add(struct store *, const struct exc *,
		    int64_t *id);
int		 store_exception_save(struct store *, const struct exc *);
int		 store_exceptions_page(struct store *, int64_t incident,
		    int open, int64_t after, int64_t limit, struct exc ***v,
		    size_t *n);
int		 store_exceptions_open(struct store *, int64_t incident,
		    struct exc ***v, size_t *n);
void		 store_exceptions_free(struct exc **, size_t n);

/* Rotas in force (core/rota-live.c). live: the covers not dropped and
 * the teams out that end after since, by start, into st (the caller's
 * to rota_state_free; left empty on -1). turn: 1 with the last turn of
 * rota handed over in *k, 0 when none was yet; turn_set records one. */
struct rota_state;
int		 store_rota_live(struct store *, int64_t since,
		    struct rota_state *);
int		 store_rota_turn(struct store *, const char *rota,
		    long long *k);
int		 store_rota_turn_set(struct store *, const char *rota,
		    long long k, int64_t at);

/* Plan revisions (core/plan-store.c). latest: 1 with the newest revision
 * (imported by by from file, when by is not NULL) in *rev, cleared with
 * store_plan_rev_clear; 0 when there is none. add: -1 and store_failed
 * false when text is not UTF-8. newest: the newest revision's id, 0 when
 * there is none. */
struct plan_rev {
	int64_t		 id;
	int64_t		 imported_at;
	char		*imported_by;	/* NULL: not known */
	char		*file;
	char		*hash;		/* SHA-256 of source, hex */
	char		*source;	/* the text, len bytes and a NUL */
	size_t		 len;
};
int		 store_plan_latest(struct store *, const char *by,
		    const char *file, struct plan_rev *);
void		 store_plan_rev_clear(struct plan_rev *);
int		 store_plan_add(struct store *, int64_t at, const char *by,
		    const char *file, const char *hash, const char *text,
		    size_t len, int64_t *id);
int64_t		 store_plan_newest(struct store *);

/* Trigger repeats and retention (core/triggerlog.c). timer_get: 1 with
 * the due time and data (a new reference; {} when it had none) of the
 * timer (incident, step, kind), 0 when none is armed. triggers_prune:
 * deletes at most limit of the oldest triggers received before before;
 * how many it deleted. */
int		 store_timer_get(struct store *, int64_t incident,
		    const char *step, const char *kind, int64_t *due,
		    json_t **data);
int64_t		 store_triggers_prune(struct store *, int64_t before,
		    int64_t limit);

/* The outbox (core/notify.c, core/outbox.c): the notifications table.
 * notification_add writes a pending row (sending 1: its first attempt
 * recorded with it); notifications_withdraw cancels the pending rows of
 * an incident (of a real one, not its exception reminders) and says how
 * many. */
struct notification_row {
	int64_t		 incident;	/* 0: about no incident */
	const char	*step;		/* NULL: none */
	const char	*channel;
	const char	*event;
	const char	*msg_id;
	const char	*payload;
	const char	*text;
	int		 drill;
	int64_t		 created;	/* and its first attempt's time */
	const char	*recipient;	/* NULL: a shared channel */
	int		 sending;
};
int		 store_notification_add(struct store *,
		    const struct notification_row *, int64_t *id);
int64_t		 store_notifications_withdraw(struct store *,
		    int64_t incident, int drill, int64_t now);
/* The earliest pending row due after now; 0 when none. */
int64_t		 store_outbox_next(struct store *, int64_t now);
/* At most limit pending rows of channel due at now, past the cursor
 * (after_at, after_id) in (due, id) order: an allocated array of n,
 * freed with store_outbox_rows_free. */
struct outbox_row {
	int64_t		 id;
	int64_t		 due;		/* next_attempt_at */
	int64_t		 attempts;	/* made and answered */
	int64_t		 sending;	/* the attempt last recorded */
	int		 resend;
	char		*msg_id;
	char		*payload;
};
int		 store_outbox_due(struct store *, const char *channel,
		    int64_t now, int64_t after_at, int64_t after_id,
		    size_t limit, struct outbox_row **v, size_t *n);
void		 store_outbox_rows_free(struct outbox_row *, size_t n);
/* What only a failure needs: 1 with the attempts so far and the time
 * the row was written, 0 when it is gone. */
int		 store_notification_age(struct store *, int64_t id,
		    int64_t *attempts, int64_t *created);
/* An attempt's result (a row cancelled meanwhile stays so); error NULL
 * keeps the last one, delivered_at 0 is none. */
int		 store_notification_result(struct store *, int64_t id,
		    const char *state, int attempts, int64_t next,
		    const char *error, int64_t delivered_at);
/* n rows delivered, ids[i] at at[i], in a few statements. */
int		 store_notifications_delivered(struct store *,
		    const int64_t *ids, const int64_t *at, size_t n);
/* sending: records the attempts about to be made (n rows, in a few
 * statements); unsend takes one record back (the attempt did not go). */
int		 store_notifications_sending(struct store *,
		    const int64_t *ids, size_t n);
int		 store_notification_unsend(struct store *, int64_t id);

/* Maintenance windows (core/maint.c). get: 1 with the window in *w
 * (cleared with store_maint_clear), 0 when there is none. open: the
 * windows not ended, by id; list: those or all, newest first; during:
 * the windows that held back triggers received in [from, to], with how
 * many (held), by id. Each gives an allocated array of n, freed with
 * store_maint_free. */
struct maint_window {
	int64_t		 id;
	char		*source;
	char		*match;		/* JSON object text: --match */
	int64_t		 from;
	int64_t		 until;
	char		*note;
	char		*opened_by;
	char		*on_behalf;
	int64_t		 created_at;
	int		 started;
	int64_t		 ended_at;	/* 0: not ended */
	char		*ended_by;	/* NULL: its time was up */
	int64_t		 suppressed;	/* triggers held back */
	int64_t		 held;		/* ... of them in a span (during) */
};
int		 store_maint_get(struct store *, int64_t id,
		    struct maint_window *);
void		 store_maint_clear(struct maint_window *);
int		 store_maint_open(struct store *, struct maint_window **v,
		    size_t *n);
int		 store_maint_list(struct store *, int all,
		    struct maint_window **v, size_t *n);
int		 store_maint_during(struct store *, int64_t from, int64_t to,
		    struct maint_window **v, size_t *n);
void		 store_maint_free(struct maint_window *, size_t n);
/* add: from source, match, from, until, note, opened_by, on_behalf,
 * created_at and started of w; its id to *id. */
int		 store_maint_add(struct store *, const struct maint_window *,
		    int64_t *id);
int		 store_maint_held(struct store *, int64_t id);
int		 store_maint_started(struct store *, int64_t id);
int		 store_maint_end(struct store *, int64_t id, int64_t at,
		    const char *by);

/* Source health (core/sources.c). get: 1 with when the source was last
 * heard and since when it is silent (0: not), 0 when it has no row yet.
 * first: its row (heard at at); heard: heard at at; back: heard again
 * after a silence; silent: silent since since. */
int		 store_source_get(struct store *, const char *source,
		    int64_t *heard, int64_t *since);
int		 store_source_first(struct store *, const char *source,
		    int64_t at);
int		 store_source_heard(struct store *, const char *source,
		    int64_t at);
int		 store_source_back(struct store *, const char *source,
		    int64_t at);
int		 store_source_silent(struct store *, const char *source,
		    int64_t since, int64_t heard);
/* The feed's documents by state. */
struct source_docs {
	int64_t		 pending;
	int64_t		 done;
	int64_t		 failed;
	int64_t		 stale;
};
int		 store_source_documents(struct store *, const char *source,
		    struct source_docs *);

/*
 * The typed functions of the commands and the front ends (issue 12,
 * part cmd+front): no SQL outside the store. Each runs in the caller's
 * operation; -1 or NULL on failure, with store_errmsg saying why.
 */
struct rota_override;
struct team_out;

/* Situation reports (第N報, store-sitrep.c). */
struct sitrep_head {
	int64_t	 n;
	int64_t	 last_seq;	/* the last event it covered */
	int64_t	 created_at;
};
struct sitrep_row {
	int64_t		 incident;
	int64_t		 n;
	int64_t		 created_at;
	const char	*created_by;
	int64_t		 last_seq;
	const char	*md;
	const char	*html;
};
/* The latest report of the incident: 1 with *h, 0 when there is none. */
int	 store_sitrep_last(struct store *, int64_t incident,
	    struct sitrep_head *h);
int	 store_sitrep_add(struct store *, const struct sitrep_row *);
/* Report n's page, allocated; NULL when there is none. */
char	*store_sitrep_html(struct store *, int64_t incident, int64_t n);
/* The measures a report lists: the incident's requested and active
 * exceptions, [{"id","title","state","revert_by_at"}]. */
json_t	*store_sitrep_exceptions(struct store *, int64_t incident);

/* Covers and teams out (SPEC §16, store-cover.c). by: who entered it
 * (o->by is NULL when an admin acting as no member did). */
int	 store_rota_override_add(struct store *, const struct rota_override *o,
	    const char *by, int64_t at, int64_t *id);
int	 store_rota_override_drop(struct store *, int64_t id, const char *by,
	    int64_t at);
int	 store_team_out_add(struct store *, const struct team_out *,
	    int64_t at);
/* Ends the team's time out in force at at. */
int	 store_team_back(struct store *, const char *team, const char *by,
	    int64_t at);

/* Triggers taken in (store-trigger.c): one row per trigger and runbook.
 * delivery: the webhook-id of the request it came in, and its number
 * there (the rows of a delivery: SPEC §14's idempotency); NULL: none. */
struct trigger_row {
	const char	*source;
	int64_t		 received_at;
	const char	*key;
	const char	*status;
	int64_t		 incident;	/* 0: none */
	int		 drill;
	json_t		*doc;		/* the trigger, as decoded */
	const char	*doc_text;	/* doc serialized, or NULL */
	const char	*delivery;
	size_t		 delivery_row;
	int64_t		 maintenance;	/* the window that held it; 0 */
};
int	 store_trigger_record(struct store *, const struct trigger_row *);
/* A source's latest trigger: 1 with *t (status allocated), 0 none. */
struct trigger_last {
	int64_t	 received_at;
	char	*status;
	int64_t	 incident;
};
int	 store_trigger_last(struct store *, const char *source,
	    struct trigger_last *t);
/* A delivery (webhook-id) is a replay only once it was taken in whole.
 * done: 1 when it was, 0 when it is new or was cut short; rows: the
 * rows one cut short left (so that numbering goes on); incidents: those
 * of a whole one, each once ([id, ...], the reply's "incidents");
 * complete: it is whole now, its rows numbered from first. */
int	 store_delivery_done(struct store *, const char *source,
	    const char *delivery);
int64_t	 store_delivery_rows(struct store *, const char *source,
	    const char *delivery);
json_t	*store_delivery_incidents(struct store *, const char *source,
	    const char *delivery);
int	 store_delivery_complete(struct store *, const char *source,
	    const char *delivery, size_t first);

/* Polled feeds and their documents (SPEC §15, store-feed.c). */
/* A polled feed's row: what the poller keeps (validators, freshness)
 * and what `keizoku sources` shows (polls, failures, the last error). */
struct feed_state {
	char	*url;		/* the feed the validators belong to */
	char	*etag;
	char	*last_modified;
	int64_t	 newest_doc_at;
	int64_t	 fresh_at;	/* when it last brought something new */
	int64_t	 stale_since;
	int64_t	 last_poll_at;
	int64_t	 last_ok_at;
	char	*last_error;
	int64_t	 failures;
	int64_t	 polls;
};
/* 1 with *f (free with store_feed_state_free), 0 when never polled. */
int	 store_feed_get(struct store *, const char *source,
	    struct feed_state *f);
void	 store_feed_state_free(struct feed_state *);
/* A poll that worked (create: the source has no row yet); validators:
 * the main feed's answer; newest: something new came. */
int	 store_feed_polled(struct store *, const char *source,
	    const char *url, int64_t at, int create);
int	 store_feed_validators(struct store *, const char *source,
	    const char *etag, const char *last_modified);
int	 store_feed_newest(struct store *, const char *source,
	    int64_t newest);
/* Freshness: fresh (something new at at) or stale since since. */
int	 store_feed_fresh(struct store *, const char *source, int64_t at);
int	 store_feed_stale(struct store *, const char *source, int64_t since);
/* A poll or a document fetch that failed. */
int	 store_feed_failed(struct store *, const char *source,
	    const char *url, int64_t at, const char *error);
/* Documents: seen (once, pending or stale), the next pending (url
 * allocated, NULL when none), done, given up (failed, or an attempt
 * failed: failed at tries attempts), and those taken that are older
 * than before forgotten. */
int	 store_feed_doc_seen(struct store *, const char *source,
	    const char *url, const char *type, int64_t updated, int64_t at,
	    int stale);
char	*store_feed_doc_next(struct store *, const char *source);
int	 store_feed_doc_done(struct store *, const char *source,
	    const char *url, int64_t at, const char *event_id,
	    const char *key);
int	 store_feed_doc_refused(struct store *, const char *source,
	    const char *url, const char *why);
int	 store_feed_doc_attempt(struct store *, const char *source,
	    const char *url, const char *error, int tries);
int	 store_feed_docs_purge(struct store *, const char *source,
	    int64_t before);
/* The key the first document of a JMA event took, for a later report
 * of the same family (type's first four letters); allocated, NULL. */
char	*store_feed_event_key(struct store *, const char *event_id,
	    const char *type);

/* What commands and pages list (store-lists.c). */
/* The rows of `keizoku drill list --json`'s "drills". */
json_t	*store_drills(struct store *);
/* The rows of `keizoku notifications --json` (pending only, of one
 * incident, 0: all), after the id after, at most limit. */
json_t	*store_notifications_page(struct store *, int pending,
	    int64_t incident, int64_t after, int64_t limit);
/* The rows of the report's "notifications" (report.c). */
json_t	*store_incident_notifications(struct store *, int64_t incident);
/* The "exceptions" of `keizoku show --json`: [id, ...]. */
json_t	*store_incident_exception_ids(struct store *, int64_t incident);
/* The board's open exceptions: [{"id","incident","title","state",
 * "revert_by_at","requested_by","drill"}]. */
json_t	*store_board_exceptions(struct store *);
/* Open incidents' ids into ids (at most max, *n of them): the inbox's,
 * by id after after; the board's, of drill or not, newest first below
 * before. */
int	 store_inbox_incidents(struct store *, int64_t after, int64_t *ids,
	    size_t max, size_t *n);
int	 store_board_incidents(struct store *, int drill, int64_t before,
	    int64_t *ids, size_t max, size_t *n);
int64_t	 store_open_count(struct store *);	/* -1: failed */

#endif
