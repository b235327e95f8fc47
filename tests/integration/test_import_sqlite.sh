#!/bin/bash
# Issue 12 (SPEC §13), moving in: `keizokud -c CONFIG --import-sqlite FILE`
# copies a pilot's SQLite state into an empty PostgreSQL store. Real
# state made by keizokud on SQLite (an incident acked and done, a webhook
# trigger, an exception request, a notification queued for a channel
# that does not answer, a timer pending on the test clock), keizokud
# killed -9, the file imported, keizokud started on PostgreSQL: the same
# hash chain head, the same incident, the timer fires, new incidents get
# new ids, the notification is still queued. After a clean stop too.
# Bad input: a store that is not empty (refused, untouched), a missing
# file, a file that is not keizoku's, a config whose backend is sqlite.
. "$(dirname "$0")/lib.sh"
[ "$(type -t pg_setup)" = function ] || { . "$KZ_TOP/tests/integration/lib-pg.sh"; pg_setup; }
KZ_STORE_YAML=""	# the pilot runs on SQLite, whatever the pass
HP=$(free_port)
DEAD=$(free_port)	# nothing listens there
KZ_HTTP_LISTEN="127.0.0.1:$HP"
body="channels:
  dead: {type: webhook, url: \"http://127.0.0.1:$DEAD/hook\", retry: [1h]}
notify:
  - {channel: dead, events: [incident.activated]}
sources:
  mon: {format: json, auth: {none: true}}
exceptions: {approver_role: it-lead}"
write_config "$body"
cp "$T/keizokud.yaml" "$T/sqlite.yaml"
KZ_STORE_YAML="store: {backend: postgresql, dsn: \"$(pg_dsn)\"}"
write_config "$body"
cp "$T/keizokud.yaml" "$T/pg.yaml"
cp "$T/sqlite.yaml" "$T/keizokud.yaml"
cat >"$T/runbooks/f.yaml" <<'YAML'
runbook: failover
title: 代替サイトへの切り替え
owner: role:it-lead
activation:
  - {source: mon, match: {alert: {exists: true}}, key: "{{trigger.alert}}"}
steps:
  - {id: decide, title: 判断, assign: role:it-lead}
  - {id: dns, title: DNS 切り替え, needs: [decide], assign: role:operator, timeout: 30m, on_timeout: fail}
  - {id: call, title: 責任者の参集, type: assemble, with: {roles: {it-lead: 1}, escalate_after: 2m}}
YAML
DB="$T/state/keizoku.db"

# The pilot, on SQLite.
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1
id=$("$KZ" --json activate failover | jq -r .incident)
expect_eq "sqlite: an incident" "$id" 1
expect_rc "sqlite: ack" 0 "$KZ" ack "$id" decide
expect_rc "sqlite: done" 0 "$KZ" done "$id" decide
code=$(curl -s -o "$T/h.out" -w '%{http_code}' -H 'Content-Type: application/json' -d '{"alert": "東京サイト停止"}' "http://127.0.0.1:$HP/v1/hooks/mon")
expect_eq "sqlite: a webhook trigger is taken" "$code" 202
expect_rc "sqlite: an exception request" 0 as_uid 1101 "$KZ" exception add "$id" --title "未登録者の入室" --policy "物理的対策 3.2" --reason "復旧作業" --revert-by 48h
advance 5m
npend=$(sqlite3 "$DB" "SELECT count(*) FROM notifications WHERE state = 'pending'")
check "sqlite: the notifications wait for the dead channel" [ "$npend" -ge 2 ]
expect_eq "sqlite: the call-outs went on to the deputies" "$("$KZ" --json show "$id" | jq -c '[.assembly["it-lead"].members[] | .member + ":" + .answer]')" '["tanaka:no_answer","suzuki:called"]'

expect_eq "sqlite: the dns timeout is pending" "$(sqlite3 "$DB" "SELECT count(*) FROM timers WHERE incident = $id AND step = 'dns'")" 1
now=$(clock_now)
head=$("$KZ" --json verify | jq -r .head)
"$KZ" --json show "$id" | jq -S . >"$T/show-sqlite.json"
"$KZ" --json exceptions | jq -S . >"$T/exc-sqlite.json"
nev=$(sqlite3 "$DB" "SELECT count(*) FROM events")
maxid=$(sqlite3 "$DB" "SELECT max(id) FROM incidents")
kill9_kzd

# Bad input first: nothing is written by any of these.
expect_rc "backend sqlite in the config: refused" 1 "$KZD" -c "$T/sqlite.yaml" --import-sqlite "$DB"
check "... saying it copies into PostgreSQL" grep -q 'copies into PostgreSQL, but .*sqlite.yaml has store backend sqlite' "$T/err"
expect_rc "a missing file: refused" 1 "$KZD" -c "$T/pg.yaml" --import-sqlite "$T/nosuch.db"
check "... with the path and the reason" grep -q "$T/nosuch.db: cannot import: No such file or directory" "$T/err"
echo "not a database, just text" >"$T/text.db"
expect_rc "a file that is no database: refused" 1 "$KZD" -c "$T/pg.yaml" --import-sqlite "$T/text.db"
check "... saying so" grep -q "$T/text.db: cannot import: not a SQLite database (file is not a database)" "$T/err"
sqlite3 "$T/other.db" "CREATE TABLE things(a INTEGER); INSERT INTO things VALUES (1)"
expect_rc "a SQLite file that is not keizoku's: refused" 1 "$KZD" -c "$T/pg.yaml" --import-sqlite "$T/other.db"
check "... saying so" grep -q "$T/other.db: cannot import: a SQLite database, but not keizoku's" "$T/err"
expect_eq "... and left as it was" "$(sqlite3 "$T/other.db" "SELECT group_concat(name) FROM sqlite_master")" things

# keizokud started once on the empty PostgreSQL database (to try the
# config) keeps its runbook versions there: no incident, no event, so the
# import may replace them.
cp "$T/pg.yaml" "$T/keizokud.yaml"
KEIZOKU_TEST_CLOCK=$now start_kzd || exit 1
stop_kzd
cp "$T/sqlite.yaml" "$T/keizokud.yaml"
expect_eq "a first start on PostgreSQL stored the runbook" "$(pg_sql "SELECT count(*) FROM runbook_versions")" 1

# The import, after the kill -9.
expect_rc "import after kill -9: exit 0" 0 "$KZD" -c "$T/pg.yaml" --import-sqlite "$DB"
sed 's/^/# /' "$T/out"
expect_eq "the summary counts the events" "$(awk '$1 == "events" {print $2}' "$T/out")" "$nev"
check "the summary names every table of the file" sh -c "[ \$(grep -vc '^total ' '$T/out') -eq \$(sqlite3 '$DB' \"SELECT count(*) FROM sqlite_master WHERE type = 'table'\") ]"
expect_eq "every event is in PostgreSQL" "$(pg_sql "SELECT count(*) FROM events")" "$nev"
bad=""
for t in $(sqlite3 "$DB" "SELECT name FROM sqlite_master WHERE type = 'table'"); do
	[ "$(sqlite3 "$DB" "SELECT count(*) FROM $t")" = "$(pg_sql "SELECT count(*) FROM $t")" ] || bad="$bad $t"
done
expect_eq "every table has as many rows in PostgreSQL as in the file" "$bad" ""
expect_eq "the ids are kept" "$(pg_sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM incidents")" "$(sqlite3 "$DB" "SELECT group_concat(id, ',') FROM (SELECT id FROM incidents ORDER BY id)")"

# keizokud on PostgreSQL, at the time the pilot stopped.
cp "$T/pg.yaml" "$T/keizokud.yaml"
KEIZOKU_TEST_CLOCK=$now start_kzd || exit 1
expect_eq "status: the store is postgresql" "$("$KZ" --json status | jq -r .store)" postgresql
expect_rc "verify: the hash chain is whole" 0 "$KZ" verify
expect_eq "verify: the same head as on SQLite" "$("$KZ" --json verify | jq -r .head)" "$head"
"$KZ" --json show "$id" | jq -S . >"$T/show-pg.json"
check "show: the incident is the same" cmp -s "$T/show-sqlite.json" "$T/show-pg.json"
cmp -s "$T/show-sqlite.json" "$T/show-pg.json" || diff "$T/show-sqlite.json" "$T/show-pg.json" | head -20 | sed 's/^/# /'
"$KZ" --json exceptions | jq -S . >"$T/exc-pg.json"
check "exceptions: the same" cmp -s "$T/exc-sqlite.json" "$T/exc-pg.json"
expect_eq "the trigger is there" "$(pg_sql "SELECT source || ' ' || status || ' ' || incident FROM triggers")" "$(sqlite3 "$DB" "SELECT source || ' ' || status || ' ' || incident FROM triggers")"
expect_eq "the notifications are still queued" "$(pg_sql "SELECT count(*) FROM notifications WHERE state = 'pending'")" "$npend"
advance 26m
expect_eq "the dns timeout still fires on the test clock" "$("$KZ" --json show "$id" | jq -r '.steps[1].state')" failed
expect_eq "the call-out goes on to the next deputy" "$("$KZ" --json show "$id" | jq -c '[.assembly["it-lead"].members[] | .member + ":" + .answer]')" '["tanaka:no_answer","suzuki:no_answer","sato:called"]'
expect_eq "the call-outs keep their order (responses.ord)" "$(pg_sql "SELECT string_agg(member, ',' ORDER BY ord) FROM responses WHERE incident = $id")" "tanaka,suzuki,sato"
id3=$("$KZ" --json activate failover | jq -r .incident)
expect_eq "a new incident gets the next id (the sequence moved)" "$id3" "$((maxid + 1))"
expect_rc "exception add: the next exception id" 0 as_uid 1101 "$KZ" exception add "$id3" --title T --policy P --reason R --revert-by 1d
check "... is 2" grep -q '^exception 2 requested' "$T/out"
expect_rc "verify after new events" 0 "$KZ" verify
nev2=$(pg_sql "SELECT count(*) FROM events")
stop_kzd

# A store that is not empty: refused, untouched.
expect_rc "a store holding incidents: refused" 1 "$KZD" -c "$T/pg.yaml" --import-sqlite "$DB"
check "... never merged" grep -q 'already holds 3 incidents and [0-9]* events: the import is only into an empty store' "$T/err"
expect_eq "... and untouched" "$(pg_sql "SELECT count(*) FROM events")" "$nev2"

# A row PostgreSQL refuses (SQLite keeps text in an INTEGER column), and a
# column the PostgreSQL schema lacks: all rolled back, saying where.
pg_sql "CREATE DATABASE keizoku3" >/dev/null
sed 's/dbname=keizoku /dbname=keizoku3 /' "$T/pg.yaml" >"$T/pg3.yaml"
cp "$DB" "$T/bad.db"
sqlite3 "$T/bad.db" "UPDATE timers SET due = 'soon'"
expect_rc "a row PostgreSQL refuses: exit 1" 1 "$KZD" -c "$T/pg3.yaml" --import-sqlite "$T/bad.db"
check "... naming the table and the row" grep -q "bad.db: import into postgresql://.*/keizoku3 failed, nothing was written: table timers, row 1 (id = [0-9]*): .*bigint" "$T/err"
sed 's/^/# /' "$T/err" | tail -2
p3() { _pg "$PG_BIN/psql" -h "$PG_DIR/sock" -p "$PG_PORT" -U postgres -qAt -c "$1" keizoku3; }
expect_eq "... and nothing was written" "$(p3 "SELECT (SELECT count(*) FROM incidents) + (SELECT count(*) FROM events) + (SELECT count(*) FROM meta)")" 0
cp "$DB" "$T/bad.db"
sqlite3 "$T/bad.db" "ALTER TABLE incidents ADD COLUMN colour TEXT"
expect_rc "a column PostgreSQL lacks: exit 1" 1 "$KZD" -c "$T/pg3.yaml" --import-sqlite "$T/bad.db"
sed "s/^/# /" "$T/err" | tail -2
check "... naming it" grep -q "table incidents: column colour is not in the PostgreSQL schema" "$T/err"
expect_eq "... and nothing was written" "$(p3 "SELECT count(*) FROM events")" 0

# After a clean stop, into a second database.
cp "$T/sqlite.yaml" "$T/keizokud.yaml"
KEIZOKU_TEST_CLOCK=$now start_kzd || exit 1
expect_rc "sqlite again: done dns" 0 "$KZ" done "$id" dns
head2=$("$KZ" --json verify | jq -r .head)
stop_kzd
pg_sql "CREATE DATABASE keizoku2" >/dev/null
sed 's/dbname=keizoku /dbname=keizoku2 /' "$T/pg.yaml" >"$T/pg2.yaml"
expect_rc "import after a clean stop: exit 0" 0 "$KZD" -c "$T/pg2.yaml" --import-sqlite "$DB"
cp "$T/pg2.yaml" "$T/keizokud.yaml"
KEIZOKU_TEST_CLOCK=$now start_kzd || exit 1
expect_eq "verify: the same head again" "$("$KZ" --json verify | jq -r '[.ok, .head] | join(" ")')" "true $head2"
stop_kzd
check "the import is logged" grep -q 'import: .* rows in [0-9]* tables copied into postgresql://' "$T/kzd.log" "$T/err" "$T/out"
exit $_failed
