#!/bin/bash
# Issue 21 (SPEC §17): two sites' keizokuds watch each other. Each has a
# source of format heartbeat (bearer auth) for the other, and pings the
# other's /v1/hooks/NAME with its own heartbeat: (each instance pings the
# URL of its own config). Both run on test clocks of their own. Tokyo's
# pings keep Osaka's source heard; while Tokyo's store cannot commit it
# pings .../fail, which Osaka does not count as heard, and after
# silent_after Osaka activates peer-site-lost, once; Tokyo recovers:
# source.heard. kill -9 of Tokyo: a new silence, a new activation. GET
# and POST pings both work; a wrong token is 401; an alert source takes
# no GET (405).
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fault/lib-fault.sh"

SHIM=$(fault_shim) || { nok "ioshim.so builds"; exit 1; }
export KZ_FAULT_CTL="$T/fault.ctl" KZ_FAULT_DIR="$T/tokyo/state" KZ_FAULT_LOG="$T/fault.log"
fault() { echo "$*" >"$KZ_FAULT_CTL"; }
clear_fault() { rm -f "$KZ_FAULT_CTL"; }

TPORT=$(free_port)
OPORT=$(free_port)
export TOKYO_TOKEN="tokyo-pings-osaka-0123456789" OSAKA_TOKEN="osaka-pings-tokyo-0123456789"
write_config	# the roster in $T
site() {	# site NAME PORT PEER PEER_PORT: a config in $T/NAME
	mkdir -p "$T/$1/state" "$T/$1/runbooks"
	cat >"$T/$1/runbooks/peer.yaml" <<YAML
runbook: peer-site-lost
title: 相手サイトの途絶 / The other site has gone silent
owner: role:it-lead
steps:
  - {id: check, title: 相手サイトの確認 / Check the other site, assign: role:it-lead}
YAML
	cat >"$T/$1/keizokud.yaml" <<YAML
state_dir: state
runbooks: runbooks
plugins: $KZ_BUILD/plugins
roster: ../roster.yaml
admins: [root]
control: {socket: keizoku.sock, mode: "0666"}
http: {listen: "127.0.0.1:$2"}
sources:
  $3:
    format: heartbeat
    auth: {bearer: "env:$(echo "$3" | tr a-z A-Z)_TOKEN"}
    silent_after: 3m
    on_silent: peer-site-lost
  am:
    format: alertmanager
    auth: {bearer: "env:$(echo "$3" | tr a-z A-Z)_TOKEN"}
heartbeat:
  url: "http://127.0.0.1:$4/v1/hooks/$1"
  every: 1m
  token: "env:$(echo "$1" | tr a-z A-Z)_TOKEN"
YAML
}
site tokyo "$TPORT" osaka "$OPORT"
site osaka "$OPORT" tokyo "$TPORT"
start_site() {	# start_site NAME CLOCK [LD_PRELOAD]
	LD_PRELOAD=${3:-} KEIZOKU_TEST_CLOCK=$2 "$KZD" -c "$T/$1/keizokud.yaml" >>"$T/$1.log" 2>&1 &
	eval "${1}_pid=$!"
	_pids="$_pids $!"
	_i=0
	while ! KEIZOKU_SOCKET="$T/$1/keizoku.sock" "$KZ" status >/dev/null 2>&1; do
		sleep 0.05; _i=$((_i + 1))
		[ $_i -lt 400 ] || { nok "$1 starts"; sed 's/^/# /' "$T/$1.log"; exit 1; }
	done
}
at() { _s=$1; shift; KEIZOKU_SOCKET="$T/$_s/keizoku.sock" "$KZ" "$@"; }
clock() { at "$1" --json _clock --advance "$2" 2>/dev/null | jq -r .now; }
peer() { at "$1" --json sources | jq -r ".[] | select(.name == \"$2\") | $3"; }
heard_at() { [ "$(peer "$1" "$2" .last_heard_at)" = "$3" ]; }
nev() { sqlite3 "$T/$1/state/keizoku.db" "SELECT count(*) FROM events WHERE type = '$2'"; }
ninc() { at "$1" --json incidents --all | jq length; }

start_site osaka 2026-11-20T00:00:00Z
start_site tokyo 2026-11-20T00:00:00Z "$SHIM"
o=$(clock osaka 1m)
clock tokyo 1m >/dev/null
wait_for "Tokyo's ping is heard by Osaka (at Osaka's time)" 10 heard_at osaka tokyo "$o"
t=$(clock tokyo 1m)
clock osaka 1m >/dev/null
wait_for "and Osaka's by Tokyo" 10 heard_at tokyo osaka "$t"
expect_eq "a heartbeat source is listed as such" "$(peer osaka tokyo '"\(.format) \(.heartbeat) \(.silent_after_s) \(.on_silent)"')" "heartbeat true 180 peer-site-lost"

# --- pings from anything else: GET or POST, any body; bearer auth ---
code() { curl -s -o "$T/resp" -w '%{http_code}' "$@"; }
expect_eq "a POST ping with any body is 202" "$(code -X POST -H "Authorization: Bearer $TOKYO_TOKEN" -H 'Content-Type: text/plain' --data '監視 ok' "http://127.0.0.1:$OPORT/v1/hooks/tokyo")" 202
expect_eq "a GET ping is 202" "$(code -H "Authorization: Bearer $TOKYO_TOKEN" "http://127.0.0.1:$OPORT/v1/hooks/tokyo")" 202
expect_eq "a wrong token is 401" "$(code -H "Authorization: Bearer nope" "http://127.0.0.1:$OPORT/v1/hooks/tokyo")" 401
expect_eq "no token is 401" "$(code "http://127.0.0.1:$OPORT/v1/hooks/tokyo")" 401
expect_eq "an alert source takes no GET (405)" "$(code -D "$T/hdr" -H "Authorization: Bearer $TOKYO_TOKEN" "http://127.0.0.1:$OPORT/v1/hooks/am")" 405
check "  with Allow: POST" grep -qi '^Allow: POST' "$T/hdr"
expect_eq "nor /fail (404)" "$(code -H "Authorization: Bearer $TOKYO_TOKEN" "http://127.0.0.1:$OPORT/v1/hooks/am/fail")" 404
expect_eq "no trigger rows for pings" "$(sqlite3 "$T/osaka/state/keizoku.db" "SELECT count(*) FROM triggers")" 0

# --- Tokyo's store cannot commit: it pings /fail; Osaka does not count it ---
fault ENOSPC write pwrite
o=$(clock osaka 1m)
clock tokyo 1m >/dev/null
wait_for "Tokyo says /fail: Osaka marks it failing" 10 sh -c "[ \"\$(KEIZOKU_SOCKET='$T/osaka/keizoku.sock' '$KZ' --json sources | jq -r '.[] | select(.name == \"tokyo\") | .failing')\" = true ]"
check "  and logs it once" sh -c "[ \"\$(grep -c 'source tokyo: its sender reports that it cannot commit' '$T/osaka.log')\" = 1 ]"
expect_eq "a /fail is not heard" "$(peer osaka tokyo .last_heard_at)" "2026-11-20T00:02:00Z"
clock osaka 1m >/dev/null
clock tokyo 1m >/dev/null
clock osaka 2m >/dev/null
expect_eq "3m after the last plain ping: Osaka finds Tokyo silent, once" "$(peer osaka tokyo .silent)/$(nev osaka source.silent)" true/1
expect_eq "peer-site-lost is activated once" "$(ninc osaka)" 1
expect_eq "with the source in its trigger" "$(at osaka --json show 1 | jq -r '"\(.trigger.source) \(.trigger.silent_since) \(.source)"')" \
    "tokyo 2026-11-20T00:05:00Z tokyo"
clear_fault
clock tokyo 1m >/dev/null
wait_for "Tokyo's store recovers: a plain ping ends the silence" 10 sh -c "[ \"\$(KEIZOKU_SOCKET='$T/osaka/keizoku.sock' '$KZ' --json sources | jq -r '.[] | select(.name == \"tokyo\") | .silent')\" = false ]"
expect_eq "one source.heard; no longer failing" "$(nev osaka source.heard)/$(peer osaka tokyo .failing)" 1/false
# Osaka's own pings failed while Tokyo's store did (503): logged once.
clock osaka 1m >/dev/null
wait_for "Osaka's pings get through to Tokyo again" 10 grep -q "heartbeat: http://127.0.0.1:$TPORT answers again" "$T/osaka.log"
expect_eq "Tokyo's 503s were logged once by Osaka" "$(grep -c "heartbeat: http://127.0.0.1:$TPORT answered HTTP 503" "$T/osaka.log")" 1

# --- Tokyo is lost for good (kill -9): a new silence, a new activation ---
lost() { grep -c "heartbeat: http://127.0.0.1:$TPORT: " "$T/osaka.log"; }
n0=$(lost)
{ kill -9 "$tokyo_pid"; wait "$tokyo_pid"; } 2>/dev/null
clock osaka 1m >/dev/null
expect_eq "2m after the last ping: not yet" "$(nev osaka source.silent)" 1
clock osaka 2m >/dev/null
expect_eq "4m: the second silence, the second activation" "$(nev osaka source.silent)/$(ninc osaka)" 2/2
clock osaka 10m >/dev/null
expect_eq "and no more while it lasts" "$(nev osaka source.silent)/$(ninc osaka)" 2/2
expect_eq "Osaka's failing pings to the lost Tokyo are logged once, not per ping" "$(lost)" $((n0 + 1))
at osaka verify >/dev/null
expect_eq "Osaka's audit chain verifies" "$?" 0
kill -TERM "$osaka_pid"; wait "$osaka_pid"
expect_eq "Osaka exits 0" "$?" 0
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/osaka.log" "$T/tokyo.log"; then
	nok "sanitizer report in a log"
else
	ok "no sanitizer report"
fi
exit $_failed
