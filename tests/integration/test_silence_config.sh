#!/bin/bash
# Issue 21 (SPEC §17): the config keys of silence, checked with their
# positions: a heartbeat matcher on a path the source's format never
# has, heartbeat: where it means nothing, on_silent naming an unknown
# runbook (keizokud -t exits 1; a running keizokud reports it as a load
# error in status, keeps running, and a silence then activates nothing),
# on_silent without silent_after, stale_after on a webhook source,
# maintenance.role that is not an id. The board marks a silent source and
# a window in force. A reload that fixes on_silent takes
# effect.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/rb"
cp "$KZ_TOP/runbooks/monitoring-lost.yaml" "$T/rb/"
badconf() {	# yaml of the sources map (and more); keeps the diagnostics and exit status
	printf 'state_dir: state\nrunbooks: rb\nroster: roster.yaml\nsources:\n%s\n' "$1" >"$T/bad.yaml"
	"$KZD" -t -c "$T/bad.yaml" >"$T/diag" 2>&1
	echo $?
}
said() { grep -q -- "$1" "$T/diag"; }	# the diagnostics say this
refused() { [ "$rc" -eq 1 ] && said "$1"; }	# exit 1, saying this
write_config	# the roster
rc=$(badconf '  am:
    format: alertmanager
    auth: {none: true}
    heartbeat: {match: {labelz.alertname: Watchdog}}')
check "a heartbeat matcher on a path alertmanager never has: refused where it is" \
    refused 'bad.yaml:8:25: .*a trigger of format alertmanager never has "labelz.alertname"'
rc=$(badconf '  q:
    format: p2pquake
    auth: {none: true}
    heartbeat: {match: {labels.alertname: Watchdog}}')
check "nor p2pquake a label" refused 'a trigger of format p2pquake never has "labels.alertname"'
rc=$(badconf '  j:
    format: json
    auth: {none: true}
    heartbeat: {match: {anything.goes: x}}')
check "format json may have any path" sh -c "[ $rc -eq 0 ]"
rc=$(badconf '  peer:
    format: heartbeat
    auth: {none: true}
    heartbeat: {match: {x: y}}')
check "heartbeat: on a heartbeat source means nothing: refused" refused 'bad.yaml:8:16: heartbeat: picks the alerts'
rc=$(badconf '  am:
    format: alertmanager
    auth: {none: true}
    silent_after: 5m
    on_silent: nosuch')
check "on_silent naming an unknown runbook: refused with the config's position" \
    refused 'bad.yaml:9:16: on_silent: no runbook "nosuch" is loaded from'
rc=$(badconf '  am:
    format: alertmanager
    auth: {none: true}
    on_silent: monitoring-lost')
check "on_silent without silent_after" refused 'bad.yaml:8:16: on_silent needs silent_after'
rc=$(badconf '  am:
    format: alertmanager
    auth: {none: true}
    silent_after: 0s')
check "silent_after must be positive" refused 'silent_after must be a positive duration'
rc=$(badconf '  am:
    format: alertmanager
    auth: {none: true}
    stale_after: 1h')
check "stale_after is for polled sources" refused 'bad.yaml:8:18: stale_after is only for a polled source'
rc=$(badconf '  am: {format: alertmanager, auth: {none: true}}
maintenance: {role: "Not An Id", who: x}')
check "maintenance.role must be an id" refused 'role must be a role id'
check "maintenance takes role only" refused 'unknown key "who" in maintenance'
rc=$(badconf '  x: {format: pager, auth: {none: true}}')
check "the formats are listed" refused 'json, jma or heartbeat'

# --- a running keizokud: a load error, and it keeps running ---
cp "$KZ_TOP/runbooks/monitoring-lost.yaml" "$T/runbooks/"
PORT=$(free_port)
export KZ_HTTP_LISTEN="127.0.0.1:$PORT" KEIZOKU_WEB_SECRET="test-web-secret-0123456789abcdef"
TOKEN=tanaka-api-token-0123456789
write_config "web: {base_url: \"http://127.0.0.1:$PORT\", secret: \"env:KEIZOKU_WEB_SECRET\"}
tokens:
  - {member: tanaka, sha256: \"$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)\"}
sources:
  am:
    format: alertmanager
    auth: {none: true}
    silent_after: 5m
    on_silent: nosuch
  quiet: {format: json, auth: {none: true}}"
export KEIZOKU_TEST_CLOCK=2026-11-20T00:00:00Z
start_kzd || exit 1
expect_eq "status shows the load error with its position" \
    "$("$KZ" --json status | jq -r '.load_errors[]' | grep -c 'keizokud.yaml:[0-9]*:[0-9]*: on_silent: no runbook "nosuch"')" 1
"$KZ" _clock --advance 6m >/dev/null
expect_eq "a silence is still noticed, and activates nothing" \
    "$("$KZ" --json sources | jq -r '.[] | select(.name == "am") | .silent')/$("$KZ" --json incidents --all | jq length)" true/0
check "the board marks the source silent" sh -c "curl -s -H 'Authorization: Bearer $TOKEN' 'http://127.0.0.1:$PORT/board' | grep -q '<td>am</td><td><b class=\"tag\">途絶 SILENT</b>'"
check "a source never heard and not watched: the board says so" sh -c "curl -s -H 'Authorization: Bearer $TOKEN' 'http://127.0.0.1:$PORT/board' | grep -q '<td>quiet</td><td>-</td><td>未受信 <small>never</small>'"
w=$("$KZ" --json maintenance add --source am --until 1h --note 電源工事 | jq -r .id)
check "and the window in force" sh -c "curl -s -H 'Authorization: Bearer $TOKEN' 'http://127.0.0.1:$PORT/board' | grep -q '計画作業 maintenance #$w'"
expect_rc "the window ended" 0 "$KZ" maintenance end "$w"
expect_eq "its event says why" "$(sqlite3 "$T/state/keizoku.db" "SELECT json_extract(data, '\$.on_silent_error') FROM events WHERE type = 'source.silent'")" "runbook not loaded"
sed -i 's/on_silent: nosuch/on_silent: monitoring-lost/' "$T/keizokud.yaml"
expect_rc "reload with the fixed config" 0 "$KZ" reload
expect_eq "no load error now" "$("$KZ" --json status | jq '.load_errors | length')" 0
expect_eq "the silence is not repeated by the reload" "$(sqlite3 "$T/state/keizoku.db" "SELECT count(*) FROM events WHERE type = 'source.silent'")" 1
st=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    --data '{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Watchdog"}}]}' \
    "http://127.0.0.1:$PORT/v1/hooks/am")
expect_eq "an alert is heard" "$st/$("$KZ" --json sources | jq -r '.[] | select(.name == "am") | .silent')" 202/false
"$KZ" _clock --advance 6m >/dev/null
expect_eq "the next silence activates the runbook the fixed config names" \
    "$("$KZ" --json incidents --all | jq -r '[.[].runbook] | join(",")')" monitoring-lost
stop_kzd
expect_eq "keizokud exits 0" "$KZD_RC" 0
exit $_failed
