#!/bin/bash
# Issue 12 (SPEC §13), the single-instance foundation: keizokud on
# PostgreSQL. store: and node: checked by -t; status and /metrics say
# node, role and store; a reply means committed in PostgreSQL (kill -9);
# the database going away mid-run: changes get exit 1 / 503 with a clear
# message, the daemon keeps running, and when the server is back it
# connects again by itself and goes on; the hash chain stays whole.
. "$(dirname "$0")/lib.sh"
[ "$(type -t pg_setup)" = function ] || { . "$KZ_TOP/tests/integration/lib-pg.sh"; pg_setup; }
echo "# store: postgresql (this test always runs on it)"
HP=$(free_port)
KZ_HTTP_LISTEN="127.0.0.1:$HP"
write_config "node: tokyo-1
store: {backend: postgresql, dsn: \"env:KZ_TEST_DSN\"}
tokens:
  - {member: tanaka, sha256: $(printf tok | sha256sum | cut -c1-64)}"
export KZ_TEST_DSN="$(pg_dsn)"
cat >"$T/runbooks/f.yaml" <<'YAML'
runbook: failover
title: 代替サイトへの切り替え
owner: role:it-lead
steps:
  - id: decide
    title: 判断
    assign: role:it-lead
  - id: dns
    title: DNS 切り替え
    needs: [decide]
    assign: role:operator
    timeout: 30m
    on_timeout: fail
YAML

# -t: the store keys.
ckt() { "$KZD" -t -c "$1" >"$T/t.out" 2>&1; echo $?; }
sed 's/backend: postgresql/backend: oracle/' "$T/keizokud.yaml" >"$T/bad1.yaml"
expect_eq "-t: an unknown backend is an error" "$(ckt "$T/bad1.yaml")" 1
check "... saying where and which are known" grep -q 'bad1.yaml:[0-9]*:[0-9]*: .*backend: "oracle" is not a store backend (sqlite or postgresql)' "$T/t.out"
sed 's/, dsn: "env:KZ_TEST_DSN"//' "$T/keizokud.yaml" >"$T/bad2.yaml"
expect_eq "-t: postgresql without a dsn is an error" "$(ckt "$T/bad2.yaml")" 1
check "... saying so" grep -q 'backend postgresql needs a dsn' "$T/t.out"
sed 's/KZ_TEST_DSN/KZ_NO_SUCH_DSN/' "$T/keizokud.yaml" >"$T/bad3.yaml"
expect_eq "-t: a dsn from an unset variable is an error" "$(ckt "$T/bad3.yaml")" 1
check "... naming it" grep -q 'KZ_NO_SUCH_DSN is not set' "$T/t.out"
expect_eq "-t: the good config passes" "$(ckt "$T/keizokud.yaml")" 0

# A wrong DSN: keizokud does not start, and says why.
sed "s/env:KZ_TEST_DSN/host=127.0.0.1 port=$(free_port) dbname=keizoku user=postgres connect_timeout=2/" "$T/keizokud.yaml" >"$T/bad4.yaml"
"$KZD" -c "$T/bad4.yaml" >"$T/bad4.log" 2>&1
expect_eq "a server that does not answer: keizokud exits 1" "$?" 1
check "... saying it cannot connect to PostgreSQL" grep -q 'cannot connect to PostgreSQL' "$T/bad4.log"

KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1
st=$("$KZ" --json status)
expect_eq "status: node, role, store" "$(echo "$st" | jq -r '[.node, .role, .store] | join(" ")')" "tokyo-1 leader postgresql"
check "/metrics: node, role and store" sh -c "curl -s http://127.0.0.1:$HP/metrics | grep -qx 'keizoku_node_info{node=\"tokyo-1\",role=\"leader\",store=\"postgresql\"} 1'"
expect_eq "the schema is at the daemon's version" "$(kz_sql 'SELECT version FROM schema_version')" 13

id=$("$KZ" --json activate failover | jq -r .incident)
expect_eq "activate: an incident" "$id" 1
expect_rc "ack" 0 "$KZ" ack "$id" decide
expect_eq "the ack is in PostgreSQL" "$(kz_sql "SELECT state FROM steps WHERE incident = $id AND id = 'decide'")" acked

# kill -9 right after a reply: the reply meant committed.
expect_rc "done" 0 "$KZ" done "$id" decide
kill9_kzd
expect_eq "after kill -9 the done is in PostgreSQL" "$(kz_sql "SELECT state FROM steps WHERE incident = $id AND id = 'decide'")" done
KEIZOKU_TEST_CLOCK=2026-11-20T03:13:00Z start_kzd || exit 1
expect_eq "restart: dns is ready" "$("$KZ" --json show "$id" | jq -r '.steps[1].state')" ready

# The database goes away (a crash of the server).
pg_stop immediate
expect_rc "database down: a change exits 1" 1 "$KZ" ack "$id" dns
check "... with a clear message" grep -qi 'storage unavailable.*PostgreSQL\|PostgreSQL.*not answer\|storage unavailable' "$T/err"
sed 's/^/# /' "$T/err"
code=$(curl -s -o "$T/h.out" -w '%{http_code}' -H 'Authorization: Bearer tok' -X POST "http://127.0.0.1:$HP/v1/incidents/$id/steps/dns/ack")
expect_eq "database down: REST gets 503" "$code" 503
check "... with a JSON error" sh -c "jq -e '.error | length > 0' '$T/h.out' >/dev/null"
check "the daemon keeps running" kill -0 "$KZD_PID"
# Its lock session went down with the server: it fires nothing meanwhile.
wait_for "... and no longer leads (its lock went with the server)" 20 sh -c "[ \"\$('$KZ' --json status | jq -r .role)\" = follower ]"
expect_rc "a second try fails the same way" 1 "$KZ" ack "$id" dns

# Back: it connects again by itself at the next operation.
pg_start || exit 1
expect_rc "database back: the change goes through" 0 "$KZ" ack "$id" dns
expect_eq "... and is in PostgreSQL" "$(kz_sql "SELECT state FROM steps WHERE incident = $id AND id = 'dns'")" acked
grep -q 'connected to PostgreSQL again' "$T/kzd.log" && ok "the reconnection is logged" || nok "the reconnection is logged"
wait_for "... and leads again by itself" 30 sh -c "[ \"\$('$KZ' --json status | jq -r .role)\" = leader ]"
grep -q 'leader: node tokyo-1 leads now' "$T/kzd.log" && ok "... which the log says" || nok "... which the log says"
expect_rc "done" 0 "$KZ" done "$id" dns
expect_eq "nothing refused was written: one ack of dns in the log" "$(kz_sql "SELECT count(*) FROM events WHERE incident = $id AND type = 'step.acked' AND step = 'dns'")" 1
expect_rc "close" 0 "$KZ" close "$id"

# Timers with the test clock on PostgreSQL.
id2=$("$KZ" --json activate failover | jq -r .incident)
"$KZ" done "$id2" decide >/dev/null
advance 31m
expect_eq "the dns timeout fired (test clock)" "$("$KZ" --json show "$id2" | jq -r '.steps[1].state')" failed

expect_rc "verify: the hash chain is whole" 0 "$KZ" verify
expect_eq "verify --json: ok, every event" "$("$KZ" --json verify | jq -r '[.ok, (.events > 5)] | join(" ")')" "true true"
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" 0

# A database of a newer schema is refused, untouched.
kz_sql "UPDATE schema_version SET version = 99" >/dev/null
"$KZD" -c "$T/keizokud.yaml" >"$T/new.log" 2>&1
expect_eq "a newer schema: keizokud exits 1" "$?" 1
check "... saying so" grep -q 'database schema 99 is newer than this keizokud (13); refusing to touch it' "$T/new.log"
expect_eq "... and leaves it as it was" "$(kz_sql 'SELECT version FROM schema_version')" 99
exit $_failed
