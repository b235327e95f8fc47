/* The database schema, as forward-only migrations indexed by
 * PRAGMA user_version. Never edit a migration that has shipped: add one. */
#include <stddef.h>

#include "store/store-int.h"

const char *const store_migrations[] = {
	/* 1: the spine */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE runbook_versions(hash TEXT PRIMARY KEY,"
	"  runbook TEXT NOT NULL, file TEXT, source TEXT NOT NULL,"
	"  stored_at INTEGER NOT NULL);"
	"CREATE TABLE incidents(id INTEGER PRIMARY KEY,"
	"  runbook TEXT NOT NULL,"
	"  rb_hash TEXT NOT NULL REFERENCES runbook_versions(hash),"
	"  title TEXT, state TEXT NOT NULL, drill INTEGER NOT NULL,"
	"  started_at INTEGER, closed_at INTEGER, trigger TEXT, vars TEXT,"
	"  source TEXT, dedup_key TEXT, confirm_by TEXT, activated_by TEXT,"
	"  note TEXT);"
	"CREATE INDEX incidents_open ON incidents(state, runbook);"
	"CREATE TABLE steps(incident INTEGER NOT NULL REFERENCES incidents(id),"
	"  idx INTEGER NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL,"
	"  assignee TEXT, acked_by TEXT, done_by TEXT, note TEXT,"
	"  ready_at INTEGER, acked_at INTEGER, done_at INTEGER,"
	"  deadline_at INTEGER, esc_level INTEGER NOT NULL DEFAULT 0,"
	"  attempts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(incident, idx));"
	"CREATE INDEX steps_state ON steps(state);"
	"CREATE TABLE events(seq INTEGER PRIMARY KEY, incident INTEGER,"
	"  at INTEGER NOT NULL, actor TEXT, on_behalf TEXT, type TEXT NOT NULL,"
	"  step TEXT, data TEXT, prev TEXT NOT NULL, hash TEXT NOT NULL);"
	"CREATE INDEX events_incident ON events(incident, seq);"
	"CREATE TABLE timers(id INTEGER PRIMARY KEY, incident INTEGER NOT NULL,"
	"  step TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL,"
	"  due INTEGER NOT NULL, data TEXT, UNIQUE(incident, step, kind));"
	"CREATE INDEX timers_due ON timers(due);"
	"CREATE TABLE notifications(id INTEGER PRIMARY KEY, incident INTEGER,"
	"  step TEXT, channel TEXT NOT NULL, event TEXT NOT NULL,"
	"  msg_id TEXT NOT NULL, payload TEXT NOT NULL, text TEXT,"
	"  drill INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'pending',"
	"  attempts INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,"
	"  next_attempt_at INTEGER NOT NULL, last_error TEXT,"
	"  delivered_at INTEGER);"
	"CREATE INDEX notifications_due ON notifications(state, next_attempt_at);"
	"CREATE TABLE triggers(id INTEGER PRIMARY KEY, source TEXT NOT NULL,"
	"  received_at INTEGER NOT NULL, key TEXT, status TEXT NOT NULL,"
	"  incident INTEGER, drill INTEGER NOT NULL DEFAULT 0, doc TEXT,"
	"  idem TEXT);"
	"CREATE UNIQUE INDEX triggers_idem ON triggers(source, idem)"
	"  WHERE idem IS NOT NULL;"
	"CREATE TABLE responses(incident INTEGER NOT NULL, step TEXT NOT NULL,"
	"  role TEXT NOT NULL, member TEXT NOT NULL, answer TEXT NOT NULL,"
	"  eta_at INTEGER, called_at INTEGER, answered_at INTEGER,"
	"  entered_by TEXT, PRIMARY KEY(incident, step, role, member));"
	"CREATE TABLE exceptions(id INTEGER PRIMARY KEY, incident INTEGER,"
	"  step TEXT, title TEXT NOT NULL, policy TEXT, reason TEXT,"
	"  state TEXT NOT NULL, requested_by TEXT, requested_at INTEGER,"
	"  approved_by TEXT, approved_at INTEGER, revert_by_at INTEGER,"
	"  resolved_by TEXT, resolved_at INTEGER, note TEXT, drill INTEGER"
	"  NOT NULL DEFAULT 0);"
	"CREATE TABLE plan_revisions(id INTEGER PRIMARY KEY,"
	"  imported_at INTEGER NOT NULL, imported_by TEXT, file TEXT,"
	"  hash TEXT NOT NULL, source TEXT NOT NULL);",
	/* 2: RTO clocks per incident */
	"ALTER TABLE incidents ADD COLUMN systems TEXT;",
	/* 3: the dedup lookup of every trigger (it scanned every open
	 * incident of the runbook) */
	"CREATE INDEX incidents_dedup ON incidents(runbook, dedup_key, drill,"
	"  started_at);",
	/* 4: per-source health (last heard, silences) and the progress of
	 * polled feeds (SPEC §15): conditional-GET validators, and every
	 * document of a known type with what became of it, so that none is
	 * taken twice and none is lost across a restart */
	"CREATE TABLE source_state(source TEXT PRIMARY KEY,"
	"  last_heard_at INTEGER, silent_since INTEGER);"
	"CREATE TABLE feeds(source TEXT PRIMARY KEY, url TEXT, etag TEXT,"
	"  last_modified TEXT, last_poll_at INTEGER, last_ok_at INTEGER,"
	"  last_error TEXT, failures INTEGER NOT NULL DEFAULT 0,"
	"  newest_doc_at INTEGER, polls INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE feed_docs(source TEXT NOT NULL, url TEXT NOT NULL,"
	"  type TEXT NOT NULL, updated_at INTEGER, seen_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
	"  done_at INTEGER, error TEXT, event_id TEXT, key TEXT,"
	"  PRIMARY KEY(source, url));"
	"CREATE INDEX feed_docs_state ON feed_docs(source, state, updated_at);"
	"CREATE INDEX feed_docs_event ON feed_docs(event_id);",
	/* 5: the web pages (SPEC §14): sign-in sessions (by the SHA-256 of
	 * the cookie), nonces used once (CSRF values, sign-in links) kept
	 * until they expire, and numbered situation reports (第N報) */
	"CREATE TABLE web_sessions(hash TEXT PRIMARY KEY, member TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	"  via TEXT NOT NULL);"
	"CREATE TABLE web_used(nonce TEXT PRIMARY KEY, kind TEXT NOT NULL,"
	"  member TEXT, used_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);"
	"CREATE INDEX web_used_expiry ON web_used(expires_at);"
	"CREATE TABLE sitreps(incident INTEGER NOT NULL REFERENCES incidents(id),"
	"  n INTEGER NOT NULL, created_at INTEGER NOT NULL, created_by TEXT,"
	"  last_seq INTEGER NOT NULL, md TEXT NOT NULL, html TEXT NOT NULL,"
	"  PRIMARY KEY(incident, n));"
	"CREATE INDEX incidents_board ON incidents(drill, id)"
	"  WHERE state IN ('pending', 'active');"
	"ALTER TABLE notifications ADD COLUMN recipient TEXT;",
	/* 6: a step handed to a member by name (keizoku assign) stays
	 * theirs; an exception's decision keeps its own note */
	"ALTER TABLE steps ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE exceptions ADD COLUMN decision_note TEXT;",
	/* 7: separation of duties: who asked for an exception measure, and
	 * who typed the request (a proxy, --as); neither may decide it */
	"ALTER TABLE exceptions ADD COLUMN requested_actor TEXT;",
	/* 8: at-least-once made visible. steps.started: the attempt of an
	 * action whose start was committed before it started (a running
	 * step short of it never started: after a restart it is started,
	 * not called interrupted). notifications.sending: the attempt that
	 * was committed as about to go out; past attempts, it may have gone
	 * out, and what follows is a resend (notifications.resend: Slack and
	 * Teams messages say so). What was running or in flight before this
	 * schema counts as started. */
	"ALTER TABLE steps ADD COLUMN started INTEGER NOT NULL DEFAULT 0;"
	"UPDATE steps SET started = attempts WHERE state = 'running';"
	"ALTER TABLE notifications ADD COLUMN sending INTEGER NOT NULL"
	"  DEFAULT 0;"
	"ALTER TABLE notifications ADD COLUMN resend INTEGER NOT NULL"
	"  DEFAULT 0;"
	"UPDATE notifications SET sending = attempts;",
	/* 9: rotas (SPEC §16): covers, teams out (a team back ends its
	 * row), and the last turn of each rota handed over (once each) */
	"CREATE TABLE rota_overrides(id INTEGER PRIMARY KEY,"
	"  rota TEXT NOT NULL, member TEXT NOT NULL, replaces TEXT NOT NULL,"
	"  from_at INTEGER NOT NULL, until_at INTEGER NOT NULL, note TEXT,"
	"  created_by TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  dropped_at INTEGER, dropped_by TEXT);"
	"CREATE TABLE team_outs(id INTEGER PRIMARY KEY, team TEXT NOT NULL,"
	"  from_at INTEGER NOT NULL, until_at INTEGER NOT NULL, note TEXT,"
	"  created_by TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  back_at INTEGER, back_by TEXT);"
	"CREATE TABLE rota_turns(rota TEXT PRIMARY KEY, k INTEGER NOT NULL,"
	"  at INTEGER NOT NULL);",
	/* 10: large call-outs (SPEC §18): the batches still to do are
	 * "fanout" timers, found by kind; safety confirmation, one row per
	 * member asked, with counters on the step */
	"CREATE INDEX timers_kind ON timers(kind, due);"
	"CREATE INDEX responses_step ON responses(incident, step, answer);"
	"CREATE TABLE safety(incident INTEGER NOT NULL REFERENCES"
	"  incidents(id), step TEXT NOT NULL, member TEXT NOT NULL,"
	"  name TEXT, site TEXT, area TEXT, status TEXT, can_come INTEGER,"
	"  eta_s INTEGER, note TEXT, asked_at INTEGER NOT NULL,"
	"  answered_at INTEGER, entered_by TEXT,"
	"  reminders INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY(incident, step, member)) WITHOUT ROWID;"
	"CREATE INDEX safety_open ON safety(incident, step, answered_at,"
	"  member);"
	"ALTER TABLE steps ADD COLUMN asked INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE steps ADD COLUMN answered INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE steps ADD COLUMN cursor INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE steps ADD COLUMN rounds INTEGER NOT NULL DEFAULT 0;",
	/* 11: silence as a signal (SPEC §17): maintenance windows, the
	 * window that held back a trigger, and when a polled feed last
	 * brought something new (and since when it is stale) */
	"CREATE TABLE maintenance(id INTEGER PRIMARY KEY,"
	"  source TEXT NOT NULL, match TEXT, from_at INTEGER NOT NULL,"
	"  until_at INTEGER NOT NULL, note TEXT NOT NULL, opened_by TEXT,"
	"  on_behalf TEXT, created_at INTEGER NOT NULL,"
	"  started INTEGER NOT NULL DEFAULT 0, ended_at INTEGER,"
	"  ended_by TEXT, suppressed INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX maintenance_open ON maintenance(ended_at);"
	"ALTER TABLE triggers ADD COLUMN maintenance INTEGER;"
	"CREATE INDEX triggers_held ON triggers(maintenance, received_at)"
	"  WHERE maintenance IS NOT NULL;"
	"ALTER TABLE feeds ADD COLUMN fresh_at INTEGER;"
	"ALTER TABLE feeds ADD COLUMN stale_since INTEGER;",
	/* 12: an answer to a large call-out reads the member's call-outs
	 * by key and counts the others from an index, not every row */
	"CREATE INDEX responses_member ON responses(incident, member);"
	"CREATE INDEX responses_tally ON responses(incident, step, role,"
	"  answer);",
	/* 13: a step's row is written once it changes (an activation
	 * writes the steps it makes ready, not every step); the incident
	 * knows how many steps it has, so that those without a row are
	 * still counted (blocked) */
	"ALTER TABLE incidents ADD COLUMN nsteps INTEGER NOT NULL DEFAULT 0;"
	"UPDATE incidents SET nsteps = (SELECT count(*) FROM steps WHERE"
	"  steps.incident = incidents.id);",
	NULL
};
