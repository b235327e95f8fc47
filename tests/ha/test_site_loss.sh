#!/bin/bash
# make test-ha (issue 12, SPEC §13): the loss of a whole site. Three etcd
# members (e1 at site A, e2 at site B, e3 the witness), two PostgreSQL
# nodes under Patroni (pgA, pgB; synchronous_mode), two keizokud (site A,
# site B), each given the multi-host DSN of both nodes. An incident is
# started and a step done at site A; then site A dies at once (kill -9 of
# its keizokud, Patroni, PostgreSQL and etcd member). Patroni promotes
# pgB by itself, keizokud B takes changes again without being touched,
# a step is completed there, the timer armed at site A fires at B (test
# clock), notifications reach the sink, and the hash chain verifies. The
# times from the kill to pgB being primary and to the first change B
# accepts are printed.
. "$(dirname "$0")/../integration/lib.sh"
. "$KZ_TOP/tests/ha/lib-ha.sh"
ha_exit() {
	if [ "$_failed" -ne 0 ]; then
		for f in "$T"/site?/kzd.log "$T"/pg?/patroni.out "$T"/sink.log; do
			[ -f "$f" ] || continue
			echo "# --- $f"; tail -n 30 "$f" | sed 's/^/# /'
		done
	fi
	ha_stop 2>/dev/null
	cleanup
}
trap ha_exit EXIT
for c in etcd patroni setpriv "$PG_BIN/initdb"; do
	command -v "$c" >/dev/null 2>&1 || {
		echo "not ok - $c is not installed (make deps: etcd-server, patroni, postgresql-15)"
		exit 1; }
done
# dt A B: B - A in seconds, one decimal.
dt() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# --- etcd: three members ---
etcd_ports
for i in 1 2 3; do etcd_start $i; done
wait_for "etcd: three members, one cluster" 60 sh -c \
    "curl -sf -m 2 http://127.0.0.1:$ETCD_C1/health | jq -e '.health == \"true\"'"

# --- Patroni: pgA first (it bootstraps the cluster), then pgB ---
PATRONI_RA=$(free_port) PATRONI_RB=$(free_port)
PG_PORT_A=$(free_port) PG_PORT_B=$(free_port)
patroni_start A
primary() { case "$(patroni_role "$1")" in primary|master) return 0 ;; esac; return 1; }
wait_for "Patroni: pgA bootstraps and is the primary" 120 primary A || exit 1
pgx_sql A "CREATE DATABASE keizoku" postgres >/dev/null
patroni_start B
wait_for "Patroni: pgB is its synchronous standby" 120 patroni_sync B || exit 1
echo "# etcd 127.0.0.1:$ETCD_C1,$ETCD_C2,$ETCD_C3; PostgreSQL pgA :$PG_PORT_A, pgB :$PG_PORT_B (Patroni $(patroni --version | awk '{print $2}'), synchronous_mode, ttl 10 s)"

# --- keizokud at both sites ---
SINK_PORT=$(free_port)
"$PY" "$KZ_TOP/tests/integration/sink.py" --port "$SINK_PORT" \
    --log "$T/sink.log" --ready "$T/sink.ready" &
_pids="$_pids $!"
wait_file "$T/sink.ready" || { nok "the sink did not start"; exit 1; }
write_config ""	# the roster and the runbooks directory
cat >"$T/runbooks/dr.yaml" <<'YAML'
runbook: dr
title: 本社被災・大阪へ切り替え / Fail over to Osaka
owner: role:it-lead
steps:
  - {id: decide, title: 切り替えの判断, assign: role:it-lead}
  - {id: switch, title: DNS 切り替え, needs: [decide], assign: role:operator, timeout: 30m, on_timeout: fail}
  - {id: comms, title: 社内連絡, needs: [decide], assign: role:operator}
YAML
DSN="host=127.0.0.1,127.0.0.1 port=$PG_PORT_A,$PG_PORT_B dbname=keizoku user=postgres target_session_attrs=read-write connect_timeout=3"
for x in A B; do
	mkdir -p "$T/site$x/state"
	eval "HP_$x=$(free_port)"
	eval "_hp=\$HP_$x"
	cat >"$T/site$x/keizokud.yaml" <<YAML
node: site-$(echo $x | tr AB ab)
state_dir: $T/site$x/state
runbooks: $T/runbooks
plugins: $KZ_BUILD/plugins
roster: $T/roster.yaml
admins: [root]
control: {socket: $T/site$x/keizoku.sock, mode: "0666"}
http: {listen: "127.0.0.1:$_hp"}
store: {backend: postgresql, dsn: "$DSN"}
sources:
  gen: {format: json, auth: {none: true}}
channels:
  ops: {type: webhook, url: "http://127.0.0.1:$SINK_PORT/hook"}
notify:
  - {channel: ops, events: ["incident.*", "step.*"]}
YAML
done
kzA() { KEIZOKU_SOCKET="$T/siteA/keizoku.sock" "$KZ" "$@"; }
kzB() { KEIZOKU_SOCKET="$T/siteB/keizoku.sock" "$KZ" "$@"; }
# Both at once on the empty database (the schema is created once).
start_site() {
	KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z "$KZD" -c "$T/site$1/keizokud.yaml" \
	    >>"$T/site$1/kzd.log" 2>&1 &
	eval "KZD_$1=$!"
	_pids="$_pids $!"
}
start_site A
start_site B
wait_for "keizokud site A answers" 60 kzA status || exit 1
wait_for "keizokud site B answers" 60 kzB status || exit 1
expect_eq "status B: node and store" "$(kzB --json status | jq -r '[.node, .store] | join(" ")')" "site-b postgresql"

# --- the plan starts at site A ---
id=$(kzA --json activate dr | jq -r .incident)
expect_eq "site A: an incident" "$id" 1
expect_rc "site A: decide acknowledged" 0 kzA ack "$id" decide
expect_rc "site A: decide done (switch ready, its 30 m timer armed)" 0 kzA done "$id" decide
expect_eq "site B sees it (one database)" "$(kzB --json show "$id" | jq -r '[.steps[] | .state] | join(" ")')" "done ready ready"
# sink_has 'jq condition' [N]: N (default 1) notifications that meet it
# reached the sink.
sink_has() {
	touch "$T/sink.log"
	[ "$(jq -s "[.[] | .body | try fromjson catch null | objects | select($1)] | length" "$T/sink.log")" -ge "${2:-1}" ]
}
wait_for "site A delivers: step.acked of decide reaches the sink" 60 sink_has '.type == "step.acked" and .step == "decide"'

# --- site A dies at once ---
{
	kill -9 "$KZD_A" "$PATRONI_PIDA" "$ETCD_PID1"
	pgx_kill A
	t_kill=$EPOCHREALTIME
	wait "$KZD_A" "$PATRONI_PIDA" "$ETCD_PID1"
} 2>/dev/null
ok "site A killed: keizokud, Patroni, PostgreSQL and etcd member e1 (kill -9)"

# Site B: changes are refused clearly until pgB is primary, then taken.
n=0; t_pg=""; t_acc=""; bad=0
_e=$((SECONDS + 120))
while [ $SECONDS -le $_e ]; do
	[ -z "$t_pg" ] && primary B && t_pg=$EPOCHREALTIME
	n=$((n + 1))
	code=$(curl -s -m 30 -o "$T/h.out" -w '%{http_code}' \
	    -H 'Content-Type: application/json' --data "{\"probe\": $n}" \
	    "http://127.0.0.1:$HP_B/v1/hooks/gen")
	if [ "$code" = 202 ]; then t_acc=$EPOCHREALTIME; break; fi
	if [ "$code" != 503 ] || ! jq -e '.error | length > 0' "$T/h.out" >/dev/null 2>&1; then
		bad=$((bad + 1)); echo "# unexpected reply $code: $(head -c 200 "$T/h.out")"
	fi
	sleep 0.2
done
[ -z "$t_pg" ] && primary B && t_pg=$EPOCHREALTIME
check "Patroni promoted pgB by itself" test -n "$t_pg"
check "keizokud B accepts changes again by itself" test -n "$t_acc"
expect_eq "meanwhile every refusal was a 503 with a JSON error ($((n - 1)) refused)" "$bad" 0
[ -n "$t_pg" ] && echo "# site A killed -> pgB primary: $(dt "$t_kill" "$t_pg") s"
[ -n "$t_acc" ] && echo "# site A killed -> first change accepted at site B: $(dt "$t_kill" "$t_acc") s"
check "keizokud B is still the same process" kill -0 "$KZD_B"

leads() { [ "$(kzB --json status | jq -r .role)" = leader ]; }
wait_for "keizokud B leads (the leader lock)" 60 leads

# --- the plan goes on at site B ---
expect_rc "site B: comms acknowledged" 0 kzB ack "$id" comms
expect_rc "site B: comms done" 0 kzB done "$id" comms
kzB _clock --advance 31m >/dev/null || nok "site B: _clock --advance 31m"
expect_eq "site B: the timer armed at site A fires (switch failed, test clock)" "$(kzB --json show "$id" | jq -r '.steps[] | select(.id == "switch") | .state')" failed
wait_for "site B delivers: step.acked of comms reaches the sink" 60 sink_has '.type == "step.acked" and .step == "comms"'
wait_for "site B delivers: step.failed of switch reaches the sink" 60 sink_has '.type == "step.failed" and .step == "switch"'
pending() { [ "$(kzB --json notifications --pending | jq length)" = 0 ]; }
wait_for "site B: no notification left pending" 60 pending
expect_rc "site B: verify, the hash chain is whole" 0 kzB verify
expect_eq "site B: verify --json ok" "$(kzB --json verify | jq -r .ok)" true
expect_eq "the events are in pgB" "$(pgx_sql B "SELECT count(*) > 0 FROM events WHERE incident = $id AND type = 'step.failed'")" t
exit $_failed
