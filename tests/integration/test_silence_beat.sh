#!/bin/bash
# Issue 21 (SPEC §17): keizokud's own dead-man's switch. heartbeat: {url,
# every, token} against a local receiver standing in for Healthchecks,
# keizokud on the test clock: a GET with the bearer token at start and
# then once per `every` as the clock moves (never before); url + "/fail"
# while the store cannot commit (writes fail with ENOSPC through the
# LD_PRELOAD shim of tests/fault), plain pings again once it can; a
# receiver that does not answer is logged once per change, not per ping.
# Also: a heartbeat URL that is not http(s) is refused with its position.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
. "$KZ_TOP/tests/fault/lib-fault.sh"

# --- bad input: the URL must be http(s) ---
printf 'state_dir: state\nrunbooks: rb\nroster: roster.yaml\nheartbeat:\n  url: "ftp://hc.example/ping/1"\n' >"$T/bad.yaml"
mkdir -p "$T/rb"
"$KZD" -t -c "$T/bad.yaml" >"$T/out" 2>&1
check "keizokud -t refuses a heartbeat URL that is not http(s), with its position" \
    grep -q 'bad.yaml:5:8: heartbeat url must start with http:// or https://' "$T/out"
export KZ_BAD_URL="file:///etc/passwd"
printf 'state_dir: state\nrunbooks: rb\nroster: roster.yaml\nheartbeat: {url: "env:KZ_BAD_URL", every: 0s}\n' >"$T/bad.yaml"
"$KZD" -t -c "$T/bad.yaml" >"$T/out" 2>&1
check "  also when it comes from the environment" grep -q 'heartbeat url must start with http:// or https:// (as read from the environment or file)' "$T/out"
check "  and every must be at least 1s" grep -q 'every must be at least 1s' "$T/out"
"$KZD" -c "$T/bad.yaml" >"$T/out" 2>&1
expect_eq "keizokud does not start with it" "$?" 1

SHIM=$(fault_shim) || { nok "ioshim.so builds"; exit 1; }
export KZ_FAULT_CTL="$T/fault.ctl" KZ_FAULT_DIR="$T/state" KZ_FAULT_LOG="$T/fault.log"
fault() { echo "$*" >"$KZ_FAULT_CTL"; }
clear_fault() { rm -f "$KZ_FAULT_CTL"; }

export KZ_HB_URL="http://127.0.0.1:$SINK_PORT/ping/5f3c-aa01?rid=tokyo"
export KZ_HB_TOKEN="hb-token-0123456789-$$"
write_config "heartbeat:
  url: \"env:KZ_HB_URL\"
  every: 1m
  token: \"env:KZ_HB_TOKEN\""
start_sink
SINK_PID=${_pids##* }
export KEIZOKU_TEST_CLOCK=2026-11-20T00:00:00Z
LD_PRELOAD="$SHIM" start_kzd || exit 1

# /fail goes before the query (Healthchecks' rid, a push URL's parameters)
pings() { grep -c "\"path\": \"/ping/5f3c-aa01${1:-}?rid=tokyo\"" "$T/sink.log"; }
npings() { [ "$(pings "${2:-}")" -ge "$1" ]; }
adv() { "$KZ" _clock --advance "$1" >/dev/null 2>&1; }
lines() { grep -c -- "$1" "$T/kzd.log"; }

wait_for "a ping at start" 10 npings 1
expect_eq "it is a GET with the bearer token" \
    "$(jq -r 'select(.path == "/ping/5f3c-aa01?rid=tokyo") | "\(.method) \(.headers.authorization)"' "$T/sink.log" | head -n 1)" \
    "GET Bearer $KZ_HB_TOKEN"
adv 30s
adv 30s
wait_for "a ping one minute later" 10 npings 2
expect_eq "none at the half minute: two pings in all" "$(pings)" 2
adv 1m
wait_for "and the next minute" 10 npings 3
adv 5m
wait_for "a jump of five minutes: one ping when it lands" 10 npings 4
expect_eq "not five" "$(pings)" 4
expect_eq "no /fail so far" "$(pings /fail)" 0
check "status shows the heartbeat (its URL without the path)" sh -c "'$KZ' --json status | jq -e '.heartbeat.url == \"http://127.0.0.1:$SINK_PORT\" and .heartbeat.failing == false and .heartbeat.every_s == 60' >/dev/null"

# --- the store cannot commit: url/fail ---
fault ENOSPC write pwrite
adv 1m
wait_for "the disk is full: the ping goes to /fail" 10 npings 1 /fail
adv 1m
wait_for "and again at the next minute" 10 npings 2 /fail
expect_eq "no plain ping meanwhile" "$(pings)" 4
expect_eq "the store's failure is logged once, not per ping" "$(lines 'heartbeat: the store cannot commit')" 1
check "status says so" sh -c "'$KZ' --json status | jq -e '.heartbeat.store_failing == true' >/dev/null"
clear_fault
adv 1m
wait_for "writes work again: plain pings" 10 npings 5
expect_eq "no more /fail" "$(pings /fail)" 2
expect_eq "the recovery is logged once" "$(lines 'heartbeat: the store commits again')" 1

# --- the receiver is gone: logged once per change ---
{ kill -9 "$SINK_PID"; wait "$SINK_PID"; } 2>/dev/null
adv 1m
adv 1m
adv 1m
wait_for "an unreachable receiver is logged" 10 sh -c "grep -q 'heartbeat: http://127.0.0.1:$SINK_PORT: ' '$T/kzd.log'"
adv 1m
expect_eq "once, not once per ping" "$(lines "heartbeat: http://127.0.0.1:$SINK_PORT: ")" 1
n=$(pings)
start_sink
adv 1m
wait_for "the receiver is back: pings get through" 10 npings $((n + 1))
wait_for "and that is logged once" 10 sh -c "[ \"\$(grep -c 'heartbeat: http://127.0.0.1:$SINK_PORT answers again' '$T/kzd.log')\" = 1 ]"
check "the token never appears in the log" sh -c "! grep -q '$KZ_HB_TOKEN' '$T/kzd.log'"
check "nor the URL's path" sh -c "! grep -q '5f3c-aa01' '$T/kzd.log'"
stop_clean
exit $_failed
