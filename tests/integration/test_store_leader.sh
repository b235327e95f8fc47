#!/bin/bash
# Issue 12 (SPEC §13): several keizokud instances on one PostgreSQL
# database, one leader. Two instances, A and B (two sites): both accept
# webhooks, REST and CLI changes, each applied once whichever gets it; only
# the leader (the holder of the advisory lock) fires timers, runs actions
# and delivers notifications, and is woken by the other's commits. kill -9
# of the leader: the other takes over by itself, fires what fell due
# meanwhile and resumes deliveries; then twenty kills of whoever leads,
# under mixed load on both: every acknowledged change is in the database,
# every timer fired once, every notification arrived (a resend keeps its
# webhook-id), and the takeover times are printed (p50, max).
. "$(dirname "$0")/lib.sh"
[ -n "${PG_DIR:-}" ] || { . "$KZ_TOP/tests/integration/lib-pg.sh"; pg_setup; }
SINK="$KZ_TOP/tests/integration/sink.py"
SPORT=$(free_port)
export KZ_TEST_DSN="$(pg_dsn)"

"$PY" "$SINK" --port "$SPORT" --log "$T/sink.log" --ready "$T/sink.ready" &
_pids="$_pids $!"
wait_file "$T/sink.ready" || { nok "the sink started"; exit 1; }

write_config ""	# the roster and runbooks directory
cat >"$T/runbooks/lead.yaml" <<YAML
runbook: lead
title: 代替サイト切替 / failover
owner: role:it-lead
activation:
  - {source: am, match: {labels.alertname: SiteDown}, key: "{{trigger.labels.site}}", window: 1h}
steps:
  - id: decide
    title: 判断 / decide
    assign: role:it-lead
    timeout: 30m
    on_timeout: fail
  - id: check
    title: 確認スクリプト / check script
    type: action
    action: exec
    needs: [decide]
    with: {argv: [sh, -c, "echo checked"]}
    timeout: 30s
  - id: report
    title: 報告 / report
    needs: [check]
    assign: role:operator
YAML
# site NAME: the directory, config and CLI of one instance.
site() {
	_d="$T/$1"; mkdir -p "$_d/state"
	cat >"$_d/keizokud.yaml" <<YAML
node: $1
state_dir: state
runbooks: $T/runbooks
plugins: $KZ_BUILD/plugins
roster: $T/roster.yaml
admins: [root]
control: {socket: keizoku.sock, mode: "0666"}
http: {listen: "127.0.0.1:$2"}
store: {backend: postgresql, dsn: "env:KZ_TEST_DSN"}
sources:
  am: {format: alertmanager, auth: {none: true}}
channels:
  sink: {type: webhook, url: "http://127.0.0.1:$SPORT/hook", retry: [1s], timeout: 5s}
notify:
  - {channel: sink, events: [incident.activated]}
YAML
}
PA=$(free_port); PB=$(free_port)
site a "$PA"; site b "$PB"
kza() { KEIZOKU_SOCKET="$T/a/keizoku.sock" "$KZ" "$@"; }
kzb() { KEIZOKU_SOCKET="$T/b/keizoku.sock" "$KZ" "$@"; }
# start NAME [test clock]: starts an instance, waits for its socket.
start() {
	( cd "$T/$1" && if [ -n "${2:-}" ]; then export KEIZOKU_TEST_CLOCK="$2"; fi
	  exec "$KZD" -c "$T/$1/keizokud.yaml" >>"$T/$1/kzd.log" 2>&1 ) &
	eval "PID_$1=$!"
	_pids="$_pids $!"
	_i=0
	while [ $_i -lt 600 ]; do
		KEIZOKU_SOCKET="$T/$1/keizoku.sock" "$KZ" status >/dev/null 2>&1 && return 0
		sleep 0.05; _i=$((_i + 1))
	done
	echo "# $1 did not start:"; sed 's/^/# /' "$T/$1/kzd.log" | tail -20
	return 1
}
role() { KEIZOKU_SOCKET="$T/$1/keizoku.sock" "$KZ" --json status 2>/dev/null | jq -r .role; }
kill9() { eval "_p=\$PID_$1"; { kill -9 "$_p"; wait "$_p"; } 2>/dev/null; }
# alert SITE PORT: one Alertmanager webhook for SITE to an instance; the
# HTTP status.
alert() {
	jq -c --arg s "$1" '.alerts[0].labels.site = $s | .commonLabels.site = $s |
	    .alerts[0].labels.alertname = "SiteDown" | .commonLabels.alertname = "SiteDown" |
	    .groupLabels.alertname = "SiteDown"' "$KZ_TOP/examples/alertmanager-v4.json" |
	curl -s -o "$T/alert-$1-$2.out" -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data-binary @- "http://127.0.0.1:$2/v1/hooks/am"
}
sink_ids() { grep -c '"status": 200' "$T/sink.log" 2>/dev/null || true; }
# fails INC: how many times its decide step failed (its timeout fired).
fails() { kz_sql "SELECT count(*) FROM events WHERE type = 'step.failed' AND incident = $1 AND step = 'decide'"; }

# ---- 1. one leader, one follower (test clock) ----
C0=2026-11-20T03:00:00Z
start a "$C0" || exit 1
start b "$C0" || exit 1
expect_eq "the first to start leads; the second follows" "$(role a) $(role b)" "leader follower"
expect_eq "status: node, role, store of B" "$(kzb --json status | jq -r '[.node, .role, .store] | join(" ")')" "b follower postgresql"
check "/metrics of B: follower, keizoku_leader 0" sh -c "curl -s http://127.0.0.1:$PB/metrics | grep -qx 'keizoku_node_info{node=\"b\",role=\"follower\",store=\"postgresql\"} 1' && curl -s http://127.0.0.1:$PB/metrics | grep -qx 'keizoku_leader 0'"
check "/metrics of A: keizoku_leader 1" sh -c "curl -s http://127.0.0.1:$PA/metrics | grep -qx 'keizoku_leader 1'"
check "B's log says it follows" grep -q 'leader: node b follows' "$T/b/kzd.log"

# A change through the follower: applied, visible through both.
id=$(kzb --json activate lead | jq -r .incident)
expect_eq "activate through B: incident 1" "$id" 1
expect_eq "A shows it" "$(kza --json show "$id" | jq -r .runbook)" lead
expect_rc "ack through B" 0 kzb ack "$id" decide
expect_eq "A sees the ack" "$(kza --json show "$id" | jq -r '.steps[0].state')" acked
# The notification of an incident opened on B: delivered by A, once.
wait_for "the leader delivers what the follower queued" 20 sh -c "[ \$(grep -c '\"status\": 200' '$T/sink.log') -ge 1 ]"
expect_eq "... delivered once" "$(sink_ids)" 1
# A step done on B makes an action due: the leader runs it.
expect_rc "done through B" 0 kzb done "$id" decide
wait_for "the leader runs the action a follower's change made due" 20 sh -c "[ \"\$(KEIZOKU_SOCKET='$T/a/keizoku.sock' '$KZ' --json show $id | jq -r '.steps[1].state')\" = done ]"
check "... A's log says so" grep -q 'made due on another instance' "$T/a/kzd.log"
expect_eq "... and the follower ran nothing (no action.started from b)" "$(kz_sql "SELECT count(*) FROM events WHERE incident = $id AND type = 'action.started'")" 1

# The same alert to both at once, ten times over: one incident per site.
_w=""
for i in $(seq 1 10); do
	alert "dc$i" "$PA" >"$T/ra$i" & _w="$_w $!"
	alert "dc$i" "$PB" >"$T/rb$i" & _w="$_w $!"
done
wait $_w
expect_eq "twenty posts answered 202" "$(cat "$T"/ra* "$T"/rb* | grep -o 202 | wc -l)" 20
for f in "$T"/ra* "$T"/rb*; do [ "$(cat "$f")" = 202 ] || echo "# ${f##*/}: $(cat "$f")"; done
expect_eq "one incident per key, whichever instance got it" "$(kz_sql "SELECT count(*) FROM incidents WHERE dedup_key LIKE 'dc%'") $(kz_sql "SELECT count(DISTINCT dedup_key) FROM incidents WHERE dedup_key LIKE 'dc%'")" "10 10"
expect_eq "... the hash chain is whole" "$(kzb --json verify | jq -r .ok)" true

# Timers: the follower fires none; the leader fires each once.
id2=$(kzb --json activate lead | jq -r .incident)
kzb _clock --advance 31m >/dev/null
expect_eq "the follower's clock passed the timeout: nothing fired" "$(kza --json show "$id2" | jq -r '.steps[0].state')" ready
kza _clock --advance 31m >/dev/null
expect_eq "the leader's did: the timeout fired" "$(kza --json show "$id2" | jq -r '.steps[0].state')" failed
expect_eq "... once" "$(fails "$id2")" 1

# ---- 2. the leader dies: B takes over, fires what fell due ----
id3=$(kza --json activate lead | jq -r .incident)
kill9 a
t0=$(date +%s.%N)
kzb _clock --advance 31m >/dev/null	# due while nobody leads
_i=0; while [ "$(role b)" != leader ] && [ $_i -lt 600 ]; do sleep 0.05; _i=$((_i + 1)); done
t1=$(date +%s.%N)
expect_eq "kill -9 of the leader: B leads" "$(role b)" leader
echo "# takeover after kill -9: $(echo "$t1 - $t0" | bc) s"
check "B's log says it leads" grep -q 'leader: node b leads now' "$T/b/kzd.log"
wait_for "the timeout that fell due meanwhile fired" 20 sh -c "[ \"\$(KEIZOKU_SOCKET='$T/b/keizoku.sock' '$KZ' --json show $id3 | jq -r '.steps[0].state')\" = failed ]"
expect_eq "... once" "$(fails "$id3")" 1
nd=$(sink_ids)
id4=$(kzb --json activate lead | jq -r .incident)
wait_for "B delivers now" 20 sh -c "[ \$(grep -c '\"status\": 200' '$T/sink.log') -gt $nd ]"
start a "$C0" || exit 1
expect_eq "A back: it follows" "$(role a) $(role b)" "follower leader"
expect_rc "and takes changes" 0 kza ack "$id4" decide
kill9 a; kill9 b

# ---- 3. twenty kills of the leader under mixed load (real clock) ----
cat >"$T/runbooks/tick.yaml" <<'YAML'
runbook: tick
title: 定時確認 / tick
owner: role:it-lead
activation:
  - {source: am, match: {labels.alertname: SiteDown, labels.kind: tick}, key: "tick-{{trigger.labels.site}}", window: 1h}
steps:
  - id: decide
    title: 判断 / decide
    assign: role:it-lead
    timeout: 2s
    on_timeout: fail
YAML
alert_tick() {
	jq -c --arg s "$1" '.alerts[0].labels = {alertname: "SiteDown", kind: "tick", site: $s} |
	    .commonLabels = .alerts[0].labels | .groupLabels = {alertname: "SiteDown"}' \
	    "$KZ_TOP/examples/alertmanager-v4.json" |
	curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data-binary @- "http://127.0.0.1:$2/v1/hooks/am"
}
start a || exit 1
start b || exit 1
# The load: alerts and CLI activations spread over both, each one
# acknowledged (202 / exit 0) written down; until $T/stop appears.
(
	n=0
	while [ ! -e "$T/stop" ]; do
		n=$((n + 1))
		if [ $((n % 2)) = 0 ]; then p=$PA; s=a; else p=$PB; s=b; fi
		[ "$(alert_tick "k$n" "$p")" = 202 ] && echo "k$n" >>"$T/acked-alerts"
		if [ $((n % 3)) = 0 ]; then
			i=$(KEIZOKU_SOCKET="$T/$s/keizoku.sock" "$KZ" --json activate tick 2>/dev/null | jq -r '.incident // empty')
			[ -n "$i" ] && echo "$i" >>"$T/acked-cli"
		fi
		sleep 0.05
	done
) &
LOAD=$!
: >"$T/takeovers"
for k in $(seq 1 20); do
	if [ "$(role a)" = leader ]; then L=a; F=b; else L=b; F=a; fi
	sleep 0.3
	kill9 "$L"
	t0=$(date +%s%N)
	_i=0; while [ "$(role $F)" != leader ] && [ $_i -lt 600 ]; do sleep 0.02; _i=$((_i + 1)); done
	t1=$(date +%s%N)
	[ "$(role $F)" = leader ] || { nok "kill $k: $F did not take over"; break; }
	echo $(( (t1 - t0) / 1000000 )) >>"$T/takeovers"
	start "$L" || { nok "kill $k: $L did not start again"; break; }
done
touch "$T/stop"; wait $LOAD
expect_eq "twenty kills of the leader: twenty takeovers" "$(wc -l <"$T/takeovers")" 20
sort -n "$T/takeovers" >"$T/tk.sorted"
p50=$(sed -n 10p "$T/tk.sorted"); max=$(tail -1 "$T/tk.sorted")
echo "# takeover after kill -9 of the leader, 20 times: p50 ${p50} ms, max ${max} ms (all: $(tr '\n' ' ' <"$T/takeovers"))"
check "every takeover within 10 s (SPEC §13)" [ "$max" -le 10000 ]
na=$(sort -u "$T/acked-alerts" | wc -l); nc=$(sort -u "$T/acked-cli" | wc -l)
echo "# under load: $na alerts and $nc CLI activations acknowledged"
check "the load ran (alerts and CLI activations acknowledged)" [ "$na" -ge 20 ] && [ "$nc" -ge 5 ]
# Every acknowledged alert made exactly one incident; every acknowledged
# activation exists.
sort -u "$T/acked-alerts" | sed 's/^/tick-/' >"$T/want-keys"
kz_sql "SELECT dedup_key FROM incidents WHERE runbook = 'tick' AND dedup_key LIKE 'tick-k%'" | sort >"$T/have-keys"
expect_eq "every acknowledged alert is an incident" "$(comm -23 "$T/want-keys" "$T/have-keys" | wc -l)" 0
expect_eq "... exactly one each" "$(kz_sql "SELECT count(*) FROM (SELECT dedup_key FROM incidents WHERE runbook = 'tick' AND dedup_key IS NOT NULL GROUP BY dedup_key HAVING count(*) > 1) x")" 0
missing=0
for i in $(sort -u "$T/acked-cli"); do
	[ "$(kz_sql "SELECT count(*) FROM incidents WHERE id = $i AND runbook = 'tick'")" = 1 ] || missing=$((missing + 1))
done
expect_eq "every acknowledged CLI activation is in the database" "$missing" 0
# Every timer fires, once, whoever leads by then.
pend() { kz_sql "SELECT count(*) FROM steps s JOIN incidents i ON i.id = s.incident WHERE i.runbook = 'tick' AND s.id = 'decide' AND s.state <> 'failed'"; }
wait_for "every timeout fired" 60 sh -c "[ \"\$(runuser -u postgres -- $PG_BIN/psql -h $PG_DIR/sock -p $PG_PORT -U postgres -qAt -c \"SELECT count(*) FROM steps s JOIN incidents i ON i.id = s.incident WHERE i.runbook = 'tick' AND s.id = 'decide' AND s.state <> 'failed'\" keizoku)\" = 0 ]"
expect_eq "... each once" "$(kz_sql "SELECT count(*) FROM (SELECT e.incident FROM events e JOIN incidents i ON i.id = e.incident WHERE i.runbook = 'tick' AND e.type = 'step.failed' GROUP BY e.incident HAVING count(*) <> 1) x")" 0
# Every notification arrives; a repeat keeps its webhook-id and body.
wait_for "every notification delivered" 60 sh -c "[ \"\$(runuser -u postgres -- $PG_BIN/psql -h $PG_DIR/sock -p $PG_PORT -U postgres -qAt -c \"SELECT count(*) FROM notifications WHERE state <> 'delivered'\" keizoku)\" = 0 ]"
nrows=$(kz_sql "SELECT count(*) FROM notifications")
jq -r 'select(.status == 200) | [.headers["webhook-id"], (.body | @base64)] | @tsv' "$T/sink.log" | sort -u >"$T/pairs"
expect_eq "the receiver got every notification ($nrows)" "$(cut -f1 "$T/pairs" | sort -u | wc -l)" "$nrows"
expect_eq "... a repeat only with the same webhook-id and body" "$(cut -f1 "$T/pairs" | sort | uniq -d | wc -l)" 0
echo "# deliveries: $(jq -r 'select(.status == 200) | .headers["webhook-id"]' "$T/sink.log" | wc -l) for $nrows notifications"
expect_eq "the hash chain is whole" "$(kza --json verify | jq -r .ok)" true
# ---- 4. a paused leader (SIGSTOP), a write lock held elsewhere ----
if [ "$(role a)" = leader ]; then L=a; F=b; else L=b; F=a; fi
eval "_p=\$PID_$L"
kill -STOP "$_p"
t0=$(date +%s%N)
_i=0; while [ "$(role $F)" != leader ] && [ $_i -lt 1500 ]; do sleep 0.02; _i=$((_i + 1)); done
t1=$(date +%s%N)
expect_eq "a paused leader: the other takes over (the server ends the silent lock session)" "$(role $F)" leader
echo "# takeover after SIGSTOP of the leader: $(( (t1 - t0) / 1000000 )) ms (the server's idle_session_timeout is 6 s)"
kill -CONT "$_p"
wait_for "... and the paused one, resumed, follows" 20 sh -c "[ \"\$(KEIZOKU_SOCKET='$T/$L/keizoku.sock' '$KZ' --json status | jq -r .role)\" = follower ]"
check "... saying why in its log" grep -q "leader: node $L is a follower now" "$T/$L/kzd.log"
idx=$(KEIZOKU_SOCKET="$T/$F/keizoku.sock" "$KZ" --json activate lead | jq -r .incident)
# The write lock held by someone else (a session stuck in its transaction):
# a change waits 2 s at most, then fails clearly; the daemon goes on.
( printf 'BEGIN;\nSELECT pg_advisory_xact_lock(%d);\nSELECT pg_sleep(5);\nCOMMIT;\n' $((0x6b7a0001)) |
  runuser -u postgres -- "$PG_BIN/psql" -h "$PG_DIR/sock" -p "$PG_PORT" -U postgres -qAt keizoku >/dev/null 2>&1 ) &
HOLD=$!
sleep 1
KEIZOKU_SOCKET="$T/$F/keizoku.sock" "$KZ" ack "$idx" decide 2>"$T/lock.err"
expect_eq "the write lock held elsewhere: a change exits 1" "$?" 1
check "... saying the storage is unavailable" grep -q "storage unavailable.*lock" "$T/lock.err"
sed 's/^/# /' "$T/lock.err"
wait $HOLD
expect_rc "the lock released: the change goes through" 0 env KEIZOKU_SOCKET="$T/$F/keizoku.sock" "$KZ" ack "$idx" decide

# A stop of the leader hands the lock over at once; both exit 0.
if [ "$(role a)" = leader ]; then L=a; F=b; else L=b; F=a; fi
eval "_p=\$PID_$L"; kill -TERM "$_p"; wait "$_p"; rc1=$?
wait_for "SIGTERM of the leader: the other leads" 20 sh -c "[ \"\$(KEIZOKU_SOCKET='$T/$F/keizoku.sock' '$KZ' --json status | jq -r .role)\" = leader ]"
eval "_p=\$PID_$F"; kill -TERM "$_p"; wait "$_p"; rc2=$?
expect_eq "both exit 0 on SIGTERM" "$rc1 $rc2" "0 0"
exit $_failed
