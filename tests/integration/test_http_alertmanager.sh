#!/bin/bash
# Issue 3: a real Prometheus Alertmanager delivers to keizokud. An alert
# posted to its v2 API starts the matching incident; its repeat
# notifications join it instead of starting another; its resolution lands
# on the timeline without closing the incident.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
AMBIN=${KZ_ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
if [ ! -x "$AMBIN" ]; then
	echo "not ok 1 - $AMBIN is not installed (apt-get install prometheus-alertmanager) # SKIP"
	exit 0
fi

export KZ_AM_TOKEN="am-secret-$$"
write_config "sources:
  alertmanager:
    format: alertmanager
    auth: {bearer: \"env:KZ_AM_TOKEN\"}"
cat >"$T/runbooks/failover.yaml" <<'YAML'
runbook: failover
title: 本番サイト被災時の代替サイト切り替え / Fail over
kind: failover
owner: role:it-lead
activation:
  - source: alertmanager
    match:
      labels.alertname: PrimarySiteDown
      labels.severity: {in: [critical, page]}
    window: 1h
steps:
  - {id: decide, title: 切り替えの判断, type: approval, assign: role:it-lead}
YAML
start_kzd || exit 1

. "$KZ_TOP/tests/integration/lib-am.sh"
am_setup
am_run

alert() {	# alert ENDS_AT: posts the alert, firing or (ends in the past) resolved
	_e=""
	[ "$1" = past ] && _e=$(date -u -d '1 second ago' +%Y-%m-%dT%H:%M:%SZ)
	jq -n --arg s "$(date -u -d '5 minutes ago' +%Y-%m-%dT%H:%M:%SZ)" --arg e "$_e" \
	    '[{labels: {alertname: "PrimarySiteDown", severity: "critical", site: "本社"},
	      annotations: {summary: "本番サイトに到達できません"}, startsAt: $s,
	      generatorURL: "http://127.0.0.1:9090/graph"} +
	     (if $e != "" then {endsAt: $e} else {} end)]' >"$T/alert.json"
	curl -s -o "$T/am-resp" -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data-binary @"$T/alert.json" "$AM/api/v2/alerts"
}
nevents() { "$KZ" --json log 1 2>/dev/null | jq --arg t "$1" '[.[] | select(.type == $t)] | length'; }

expect_eq "the alert is posted to Alertmanager" "$(alert firing)" 200
wait_for "Alertmanager's notification starts incident 1" 20 sh -c "'$KZ' --json incidents | grep -q '\"id\": *1'"
show=$("$KZ" --json show 1)
expect_eq "incident 1 is failover, active, from source alertmanager" "$(echo "$show" | jq -c '[.runbook, .state, .source]' | tr -d ' ')" '["failover","active","alertmanager"]'
expect_eq "its trigger is the alert with Alertmanager's group fields" "$(echo "$show" | jq -r '.trigger | [.labels.site, .receiver, .version] | join("|")')" '本社|keizoku|4'
repeats_ge() { [ "$(nevents trigger.repeated)" -ge "$1" ]; }
wait_for "repeat notifications arrive (twice)" 20 repeats_ge 2
expect_eq "the repeats started no second incident" "$("$KZ" --json incidents --all | jq 'length')" 1
expect_eq "every notification was recorded" "$(sql "SELECT count(*) FROM triggers WHERE status NOT IN ('matched', 'joined')") $(sql "SELECT CASE WHEN count(*) >= 3 THEN 'three or more' END FROM triggers")" "0 three or more"
expect_eq "the alert is resolved in Alertmanager" "$(alert past)" 200
wait_for "the resolution lands on the timeline" 20 sh -c "'$KZ' --json log 1 | grep -q trigger.resolved"
expect_eq "the incident stays active (a resolution does not close it)" "$("$KZ" --json show 1 | jq -r '.state')" active
expect_eq "still one incident" "$("$KZ" --json incidents --all | jq 'length')" 1
expect_eq "no delivery was refused" "$(curl -s "$URL/metrics" | grep -c 'keizoku_triggers_rejected_total{source="alertmanager"')" 0
check "Alertmanager logged no failed notification" sh -c "! grep -qi 'notify retry canceled\|Notify for alerts failed' '$T/am.log'"
kill -TERM "$AM_PID" 2>/dev/null
wait "$AM_PID" 2>/dev/null
stop_clean
exit $_failed
