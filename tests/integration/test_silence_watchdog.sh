#!/bin/bash
# Issue 21 (SPEC §17): silence is a signal. A real Prometheus Alertmanager
# sends its always-firing Watchdog alert every 2 s to a source with
# heartbeat: {match: {labels.alertname: Watchdog}}, silent_after: 5m and
# on_silent: monitoring-lost; keizokud runs on the test clock. Watchdog
# is heard and activates nothing; while it comes, the source is never
# silent. Alertmanager dies: one source.silent and one activation of
# monitoring-lost, with the trigger {source, silent_since}. kill -9 during
# the silence and a restart later on: no second event, no second
# activation. Watchdog resumes: one source.heard. A resolved Watchdog
# alone is no sign of life.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
AMBIN=${KZ_ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
if [ ! -x "$AMBIN" ]; then
	echo "ok 1 # SKIP $AMBIN is not installed (apt-get install prometheus-alertmanager)"
	exit 0
fi

export KZ_AM_TOKEN="am-watchdog-$$"
write_config "sources:
  alertmanager:
    format: alertmanager
    auth: {bearer: \"env:KZ_AM_TOKEN\"}
    heartbeat: {match: {labels.alertname: Watchdog}}
    silent_after: 5m
    on_silent: monitoring-lost"
cp "$KZ_TOP/runbooks/monitoring-lost.yaml" "$T/runbooks/"
# Any alert with a name would start this: Watchdog must not.
cat >"$T/runbooks/any.yaml" <<'YAML'
runbook: any-alert
title: 何かの警報 / Any alert
owner: role:it-lead
activation:
  - source: alertmanager
    match: {labels.alertname: {exists: true}}
steps:
  - {id: look, title: 確認 / Look, assign: role:operator}
YAML
export KEIZOKU_TEST_CLOCK=2026-11-20T00:00:00Z
start_kzd || exit 1

. "$KZ_TOP/tests/integration/lib-am.sh"
am_setup
am_start() {
	am_run
	# Prometheus's Watchdog rule, as kube-prometheus ships it: always
	# firing (the test plays Prometheus and keeps it from ending).
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	ends=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
	printf '[{"labels": {"alertname": "Watchdog", "severity": "none"}, "annotations": {"summary": "監視系が動いていることを示す常時発火の警報"}, "startsAt": "%s", "endsAt": "%s"}]' \
	    "$now" "$ends" >"$T/wd.json"
	expect_eq "Watchdog is posted to Alertmanager" "$(curl -s -o /dev/null -w '%{http_code}' \
	    -H 'Content-Type: application/json' --data-binary @"$T/wd.json" "$AM/api/v2/alerts")" 200
}
am_kill() { kill -TERM "$AM_PID" 2>/dev/null; wait "$AM_PID" 2>/dev/null; }

src() { "$KZ" --json sources | jq -r ".[] | select(.name == \"alertmanager\") | $1"; }
nev() { sql "SELECT count(*) FROM events WHERE type = '$1'"; }
ninc() { "$KZ" --json incidents --all | jq "[.[] | select(.runbook == \"${1:-monitoring-lost}\")] | length"; }
heard_at() { [ "$(src .last_heard_at)" = "$1" ]; }
clock() { "$KZ" --json _clock --advance "$1" | jq -r .now; }

am_start
# The clock stands still: a Watchdog heard after an advance is heard at
# the new time.
t=$(clock 1m)
wait_for "Watchdog is heard (last_heard_at follows the clock)" 20 heard_at "$t"
t=$(clock 4m)
wait_for "still heard 4m later" 20 heard_at "$t"
t=$(clock 4m)
wait_for "and 4m later again: 9m in all, more than silent_after" 20 heard_at "$t"
expect_eq "a heard source is not silent" "$(src .silent)/$(nev source.silent)" false/0
expect_eq "Watchdog activated nothing (not even a runbook matching any alert)" "$("$KZ" --json incidents --all | jq length)" 0
expect_eq "Watchdog's notifications are not recorded as triggers" "$(sql "SELECT count(*) FROM triggers")" 0
check "/metrics counts them as heartbeats" sh -c "curl -s '$URL/metrics' | grep -q 'keizoku_triggers_total{source=\"alertmanager\",result=\"heartbeat\"} [1-9]'"
expect_eq "/metrics: keizoku_source_last_heard_timestamp_seconds is the time heard" \
    "$(curl -s "$URL/metrics" | awk '/^keizoku_source_last_heard_timestamp_seconds\{source="alertmanager"\}/ {print $2}')" \
    "$(date -u -d "$t" +%s).000"
last=$t

# --- the site loses power: Alertmanager stops ---
am_kill
t=$(clock 4m)
expect_eq "4m of silence: not yet" "$(src .silent)/$(nev source.silent)/$(ninc)" false/0/0
t=$(clock 2m)
expect_eq "6m of silence: silent, one source.silent" "$(src .silent)/$(nev source.silent)" true/1
expect_eq "silent since last heard + 5m" "$(src .silent_since)" "$(date -u -d "$last 5 minutes" +%Y-%m-%dT%H:%M:%SZ)"
expect_eq "one activation of monitoring-lost" "$(ninc)" 1
inc=$("$KZ" --json incidents | jq '.[0].id')
expect_eq "its trigger names the source and since when" \
    "$("$KZ" --json show "$inc" | jq -r '"\(.trigger.source) \(.trigger.silent_since) \(.state)"')" \
    "alertmanager $(src .silent_since) active"
expect_eq "its first step asks to check the monitoring itself" \
    "$("$KZ" --json show "$inc" | jq -r '.steps[0] | "\(.id) \(.state)"')" "check-monitoring ready"
expect_eq "the event says which incident it started" "$(sql "SELECT data FROM events WHERE type = 'source.silent'" | jq -r .incident)" "$inc"
clock 30m >/dev/null
expect_eq "30m more: still one event, one activation" "$(nev source.silent)/$(ninc)" 1/1

# --- kill -9 during the silence; keizokud comes back an hour later ---
kill9_kzd
KEIZOKU_TEST_CLOCK=$(date -u -d "$last 90 minutes" +%Y-%m-%dT%H:%M:%SZ) start_kzd || exit 1
expect_eq "after kill -9 and a restart: still silent, nothing repeated" \
    "$(src .silent)/$(nev source.silent)/$(ninc)" true/1/1
clock 10m >/dev/null
expect_eq "nor after the clock moves on" "$(nev source.silent)/$(ninc)" 1/1

# A resolved Watchdog says that Prometheus stopped: no sign of life.
printf '{"version": "4", "status": "resolved", "receiver": "keizoku", "groupKey": "{}:{alertname=\\"Watchdog\\"}", "groupLabels": {"alertname": "Watchdog"}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "%s", "alerts": [{"status": "resolved", "labels": {"alertname": "Watchdog"}, "annotations": {}, "startsAt": "2026-11-20T00:00:00Z", "endsAt": "2026-11-20T00:20:00Z"}]}' "$AM" >"$T/resolved.json"
st=$(post /v1/hooks/alertmanager "$T/resolved.json" -H "Authorization: Bearer $KZ_AM_TOKEN")
expect_eq "a resolved Watchdog is accepted (202)" "$st" 202
expect_eq "but it does not end the silence" "$(src .silent)/$(nev source.heard)" true/0

# --- Alertmanager is back: Watchdog ends the silence, once ---
am_start
wait_for "Watchdog ends the silence" 20 sh -c "[ \"\$('$KZ' --json sources | jq -r '.[0].silent')\" = false ]"
expect_eq "one source.heard" "$(nev source.heard)" 1
expect_eq "it says how long the silence lasted" "$(sql "SELECT data FROM events WHERE type = 'source.heard'" | jq -r .silent_for)" "1h35m"
t=$(clock 1m)
wait_for "heard again after the next advance" 20 heard_at "$t"
expect_eq "still one source.heard, one silence, one activation" "$(nev source.heard)/$(nev source.silent)/$(ninc)" 1/1/1
expect_eq "and Watchdog never activated anything" "$(ninc any-alert)" 0
expect_rc "the audit chain verifies" 0 "$KZ" verify
am_kill
stop_clean
exit $_failed
