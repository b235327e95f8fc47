#!/bin/bash
# Issue 18, item 2: a burst of activations with action steps does not
# stall the loop. Replies come first (committed), the actions start from
# a queue drained a slice per loop turn; /healthz answers throughout; a
# request carrying 1,000 alerts is taken in slices; SIGTERM in the middle
# of a burst is prompt, and what was queued is started after a restart.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
KZA=$KZ_BUILD/tools/kzattack
export KZ_HOOK_TOKEN=tok-burst

write_config "sources:
  mon: {format: json, auth: {bearer: \"env:KZ_HOOK_TOKEN\"}}
  am: {format: alertmanager, auth: {bearer: \"env:KZ_HOOK_TOKEN\"}}"
# Every action appends a line: how many ran, whatever the daemon says.
cat >"$T/runbooks/a.yaml" <<YAML
runbook: a
title: 三つの自動処理 / Three actions
owner: role:it-lead
activation:
  - {source: mon, match: {alert: {exists: true}}}
steps:
  - {id: one, type: action, action: exec, with: {argv: [sh, -c, "echo one >> $T/ran"]}}
  - {id: two, type: action, action: webhook, with: {url: "http://127.0.0.1:9/closed"}}
  - {id: three, type: action, action: exec, with: {argv: [sh, -c, "echo three >> $T/ran"]}}
YAML
# The 1,000 alerts of one request start one action each: the request is
# what is under test there, and the three kinds of action are above
# (3,000 actions took a minute of a loaded machine for nothing more).
cat >"$T/runbooks/b.yaml" <<YAML
runbook: b
title: 一つの自動処理 / One action
owner: role:it-lead
activation:
  - {source: am, match: {labels.alertname: {exists: true}}}
steps:
  - {id: one, type: action, action: exec, with: {argv: [sh, -c, "echo am >> $T/ran"]}}
YAML
# An action under way when SIGTERM comes: the stop waits for it.
cat >"$T/runbooks/c.yaml" <<YAML
runbook: c
title: 時間のかかる処理 / A slow action
owner: role:it-lead
steps:
  - {id: slow, type: action, action: exec, with: {argv: [sh, -c, "echo go >> $T/slow; sleep 1; echo done >> $T/slow"]}}
YAML
start_kzd || exit 1
touch "$T/ran"
field() { sed 's/.* '"$1"'=\([0-9.]*\).*/\1/' "$2"; }

# --- 300 triggers, 50 connections at once, /healthz every 10 ms ---
"$KZA" burst "$HTTP_PORT" /v1/hooks/mon "$KZ_HOOK_TOKEN" 300 50 /healthz >"$T/b1"
echo "# burst: $(cat "$T/b1")"
expect_eq "every trigger got its 202" "$(field ok "$T/b1")" 300
expect_eq "/healthz never failed meanwhile" "$(field probe_fail "$T/b1")" 0
check "/healthz answered during the burst ($(field probes "$T/b1") times)" \
    [ "$(field probes "$T/b1")" -ge 3 ]
expect_eq "300 incidents are committed" "$(sql "SELECT count(*) FROM incidents")" 300
all_ran() { [ "$(wc -l <"$T/ran")" -ge "$1" ]; }
wait_for "then every exec action runs" 120 all_ran 600
settled() { [ "$(sql "SELECT count(*) FROM steps WHERE state IN ('blocked', 'ready', 'running')")" = 0 ]; }
wait_for "and every step settles" 120 settled
expect_eq "each exec action ran once" "$(sort "$T/ran" | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')" "300 "
: >"$T/ran"

# --- one request with 1,000 alerts ---
"$KZA" alerts "$HTTP_PORT" /v1/hooks/am "$KZ_HOOK_TOKEN" 1000 /healthz >"$T/b2"
echo "# alerts: $(cat "$T/b2")"
expect_eq "the request got its 202" "$(field ok "$T/b2")" 1
expect_eq "/healthz never failed while it was taken in" "$(field probe_fail "$T/b2")" 0
check "/healthz answered meanwhile ($(field probes "$T/b2") times)" \
    [ "$(field probes "$T/b2")" -ge 3 ]
expect_eq "1,000 more incidents, one per alert" "$(sql "SELECT count(*) FROM incidents")" 1300
expect_eq "and 1,000 trigger rows" "$(sql "SELECT count(*) FROM triggers WHERE source = 'am'")" 1000
wait_for "their actions run too" 300 settled
expect_eq "one for each alert, once" "$(sort "$T/ran" | uniq -c | awk '{print $1, $2}')" "1000 am"

# --- SIGTERM in the middle of a burst ---
: >"$T/ran"
"$KZA" burst "$HTTP_PORT" /v1/hooks/mon "$KZ_HOOK_TOKEN" 400 50 >"$T/b3" 2>&1 &
b=$!
until [ "$(sql "SELECT count(*) FROM incidents")" -gt 1400 ]; do sleep 0.05; done
kill -TERM "$KZD_PID"
wait "$KZD_PID"
expect_eq "keizokud stopped with exit 0 in the middle of the burst" "$?" 0
KZD_PID=""
wait "$b"
n=$(sql "SELECT count(*) FROM incidents")
ran=$(wc -l <"$T/ran")
echo "# at the stop: $((n - 1300)) incidents of the burst committed, $ran exec actions ran"
start_kzd || exit 1
want=$(( (n - 1300) * 2 ))
wait_for "after a restart every committed incident's actions run" 120 all_ran "$want"
wait_for "and settle" 120 settled
expect_eq "none ran twice" "$(sort "$T/ran" | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')" "$((n - 1300)) "
expect_eq "none of those never started is called interrupted" \
    "$(sql "SELECT count(*) FROM events WHERE type = 'action.interrupted'")" 0

# --- SIGTERM while an action runs: its result is waited for ---
ic=$("$KZ" --json activate c | jq .incident)
going() { grep -q go "$T/slow" 2>/dev/null; }
wait_for "the slow action is under way" 60 going
kill -TERM "$KZD_PID"
wait "$KZD_PID"
expect_eq "keizokud stopped with exit 0 after it" "$?" 0
KZD_PID=""
expect_eq "the action ran to its end first" "$(tr '\n' ' ' <"$T/slow")" "go done "
start_kzd || exit 1
expect_eq "its result is recorded: the step is done" \
    "$(sql "SELECT state FROM steps WHERE incident = $ic AND idx = 0")" done
expect_eq "and it is not called interrupted" \
    "$(sql "SELECT count(*) FROM events WHERE type = 'action.interrupted'")" 0
stop_clean
