#!/bin/bash
# Issue 21 (SPEC §17): maintenance windows, against a real Prometheus
# Alertmanager (repeat interval 2 s) and keizokud on the test clock.
# A window on PrimarySiteDown holds it back (202, recorded as suppressed
# with the window's id, nothing activated) while DiskFull from the same
# source still starts its runbook; a window opened on DiskFull leaves the
# running incident untouched; heartbeats still count; the window ends by
# itself on the test clock and the held alert then starts its runbook;
# `maintenance end` ends one early. Durable across kill -9, audited,
# listed in the post-incident report. Who may open one: admins and
# maintenance.role. Bad input is refused and changes nothing.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
AMBIN=${KZ_ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
if [ ! -x "$AMBIN" ]; then
	echo "ok 1 # SKIP $AMBIN is not installed (apt-get install prometheus-alertmanager)"
	exit 0
fi

export KZ_AM_TOKEN="am-maint-$$"
TANAKA_TOKEN="tanaka-api-token-0123456789"
ITO_TOKEN="ito-api-token-0123456789"
write_config "sources:
  alertmanager:
    format: alertmanager
    auth: {bearer: \"env:KZ_AM_TOKEN\"}
    heartbeat: {match: {labels.alertname: Watchdog}}
    silent_after: 5m
    on_silent: monitoring-lost
  quake:
    format: p2pquake
    auth: {none: true}
maintenance: {role: it-lead}
tokens:
  - {member: tanaka, sha256: \"$(sha256 "$TANAKA_TOKEN")\"}
  - {member: ito, sha256: \"$(sha256 "$ITO_TOKEN")\"}"
cp "$KZ_TOP/runbooks/monitoring-lost.yaml" "$T/runbooks/"
cat >"$T/runbooks/failover.yaml" <<'YAML'
runbook: failover
title: 代替サイトへの切り替え / Fail over
owner: role:it-lead
activation:
  - source: alertmanager
    match: {labels.alertname: PrimarySiteDown}
    window: 6h
steps:
  - {id: decide, title: 判断 / Decide, assign: role:it-lead}
YAML
cat >"$T/runbooks/disk.yaml" <<'YAML'
runbook: disk
title: ディスク逼迫 / Disk full
owner: role:it-lead
activation:
  - source: alertmanager
    match: {labels.alertname: DiskFull}
    window: 6h
steps:
  - {id: clean, title: 整理 / Clean up, assign: role:operator}
YAML
export KEIZOKU_TEST_CLOCK=2026-11-20T00:00:00Z
start_kzd || exit 1

mlist() { "$KZ" --json maintenance list --all; }
nwin() { mlist | jq length; }
nev() { sql "SELECT count(*) FROM events WHERE type = '$1'"; }
held() { mlist | jq ".[] | select(.id == $1) | .suppressed"; }
held_ge() { [ "$(held "$1")" -ge "$2" ]; }
ninc() { "$KZ" --json incidents --all | jq "[.[] | select(.runbook == \"$1\")] | length"; }
has_inc() { [ "$(ninc "$1")" -ge 1 ]; }
src() { "$KZ" --json sources | jq -r ".[] | select(.name == \"alertmanager\") | $1"; }
heard_at() { [ "$(src .last_heard_at)" = "$1" ]; }
clock() { "$KZ" --json _clock --advance "$1" | jq -r .now; }
api() {	# api TOKEN METHOD PATH [JSON]: status; the reply in $T/resp
	curl -s -o "$T/resp" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
	    -H 'Content-Type: application/json' ${4:+--data-binary "$4"} "$URL$3"
}

# --- bad input: refused, nothing written ---
expect_rc "until before from is refused" 1 "$KZ" maintenance add --source alertmanager \
    --from 2026-11-20T03:00:00Z --until 2026-11-20T02:00:00Z --note 工事
check "  and says why" grep -q "until must be after from" "$T/err"
expect_rc "a window longer than 30 days is refused" 1 "$KZ" maintenance add --source alertmanager --until 31d --note 工事
check "  and says why" grep -q "30 days at most" "$T/err"
expect_rc "30 days exactly is fine (then ended)" 0 "$KZ" --json maintenance add --source quake --until 30d --note 長期工事
long=$(jq .id "$T/out")
expect_rc "  (ended)" 0 "$KZ" maintenance end "$long"
expect_rc "a matcher on a path alertmanager never has is refused" 1 "$KZ" maintenance add \
    --source alertmanager --match labelz.alertname=X --until 1h --note 工事
check "  and names it" grep -q 'a trigger of format alertmanager never has "labelz.alertname"' "$T/err"
expect_rc "nor p2pquake" 1 "$KZ" maintenance add --source quake --match labels.alertname=X --until 1h --note 工事
expect_rc "an unknown source is refused" 1 "$KZ" maintenance add --source nosuch --until 1h --note 工事
expect_rc "a window without a note is refused" 1 "$KZ" maintenance add --source alertmanager --until 1h
expect_rc "without --until" 1 "$KZ" maintenance add --source alertmanager --note 工事
expect_rc "a --match without =" 1 "$KZ" maintenance add --source alertmanager --match labels.alertname --until 1h --note 工事
expect_rc "an until in the past" 1 "$KZ" maintenance add --source alertmanager --from 2026-11-19T00:00:00Z --until 2026-11-19T01:00:00Z --note 工事
expect_rc "a member outside maintenance.role may not open one" 1 as_uid 1105 "$KZ" maintenance add --source alertmanager --until 1h --note 工事
check "  (403: admins and it-lead)" grep -q "only admins and members of role it-lead" "$T/err"
st=$(api "$ITO_TOKEN" POST /v1/maintenance '{"source": "alertmanager", "until": "1h", "note": "x"}')
expect_eq "nor over REST: 403 with a JSON error" "$st $(jq -r '.error | length > 0' "$T/resp")" "403 true"
st=$(api "$TANAKA_TOKEN" POST /v1/maintenance '{"source": "alertmanager", "until": "1h", "note": "x", "match": ["labelz.nope=1"]}')
expect_eq "REST: a bad matcher is 400 with a JSON error" "$st $(jq -r .error "$T/resp")" '400 --match labelz.nope: a trigger of format alertmanager never has "labelz.nope" (source alertmanager)'
st=$(api "$TANAKA_TOKEN" POST /v1/maintenance '{"source": "alertmanager", "until": "1h"')
expect_eq "REST: malformed JSON is 400" "$st $(jq -r '.error | length > 0' "$T/resp")" "400 true"
expect_eq "nothing refused was written" "$(nwin)/$(nev maintenance.started)" 1/1

# --- a window on PrimarySiteDown, opened by the IT lead ---
expect_rc "the IT lead (maintenance.role) opens a window" 0 as_uid 1101 "$KZ" --json maintenance add \
    --source alertmanager --match labels.alertname=PrimarySiteDown --until 10m --note "本番サイト 電源設備点検"
w1=$(jq .id "$T/out")
expect_eq "  it answers {\"id\"}" "$(jq -c 'keys' "$T/out")" '["id"]'
expect_eq "listed, in force, by tanaka" "$("$KZ" --json maintenance list | jq -r ".[] | select(.id == $w1) | \"\(.source) \(.match[\"labels.alertname\"]) \(.state) \(.by) \(.until) \(.suppressed)\"")" \
    "alertmanager PrimarySiteDown in force tanaka 2026-11-20T00:10:00Z 0"
expect_eq "maintenance.started is in the audit log, by tanaka" "$(sql "SELECT actor FROM events WHERE type = 'maintenance.started' ORDER BY seq DESC LIMIT 1")" tanaka
expect_eq "keizoku sources says the source is under maintenance" "$(src '"\(.suppressed) \(.windows)"' | tr -d ' \n')" "true[$w1]"

. "$KZ_TOP/tests/integration/lib-am.sh"
am_setup
alert() {	# alert NAME...: posts these alerts, firing for an hour
	_now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	_ends=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
	printf '[' >"$T/alerts.json"
	_sep=
	for _a in "$@"; do
		printf '%s{"labels": {"alertname": "%s", "severity": "critical", "site": "本社"}, "annotations": {"summary": "%s"}, "startsAt": "%s", "endsAt": "%s"}' \
		    "$_sep" "$_a" "$_a の通知" "$_now" "$_ends" >>"$T/alerts.json"
		_sep=,
	done
	printf ']' >>"$T/alerts.json"
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data-binary @"$T/alerts.json" "$AM/api/v2/alerts"
}
am_run
expect_eq "PrimarySiteDown, DiskFull and Watchdog are posted to Alertmanager" "$(alert PrimarySiteDown DiskFull Watchdog)" 200
wait_for "DiskFull, outside the window, starts its runbook" 20 has_inc disk
wait_for "PrimarySiteDown is held back by the window, repeatedly" 20 held_ge "$w1" 2
expect_eq "it activated nothing" "$(ninc failover)" 0
expect_eq "each is recorded as suppressed with the window's id" \
    "$(sql "SELECT count(*) FROM triggers WHERE doc LIKE '%PrimarySiteDown%' AND NOT (status = 'suppressed' AND maintenance = $w1 AND incident IS NULL)") $(sql "SELECT CASE WHEN count(*) > 0 THEN 'some' END FROM triggers WHERE doc LIKE '%PrimarySiteDown%'")" "0 some"
check "and logged with it" grep -q "held back by maintenance window $w1" "$T/kzd.log"
check "Alertmanager saw its deliveries accepted" sh -c "! grep -qi 'Notify for alerts failed' '$T/am.log'"
t=$(clock 4m)
wait_for "heartbeats still count: Watchdog is heard during the window" 20 heard_at "$t"
disk=$("$KZ" --json incidents | jq '.[] | select(.runbook == "disk") | .id')

# --- a window on DiskFull while its incident runs: not touched ---
expect_rc "admins may open windows too (root)" 0 "$KZ" --json maintenance add --source alertmanager \
    --match labels.alertname=DiskFull --until 1h --note "ストレージ増設"
w2=$(jq .id "$T/out")
wait_for "DiskFull's repeats are held back by the new window" 20 held_ge "$w2" 1
reps() { "$KZ" --json log "$disk" | jq '[.[] | select(.type | startswith("trigger."))] | length'; }
r0=$(reps)
n=$(held "$w2")
wait_for "more repeats held back" 20 held_ge "$w2" $((n + 2))
expect_eq "the running incident is not touched (no repeat joins it)" "$(reps)" "$r0"
expect_eq "still open" "$("$KZ" --json show "$disk" | jq -r .state)" active

# --- kill -9: the windows are durable ---
now=$(clock 0s)
kill9_kzd
KEIZOKU_TEST_CLOCK=$now start_kzd || exit 1
n=$(held "$w1")
wait_for "after kill -9 and a restart, the window still holds PrimarySiteDown" 20 held_ge "$w1" $((n + 1))
expect_eq "and nothing was activated" "$(ninc failover)" 0

# --- the first window ends by itself on the test clock ---
t=$(clock 3m)
wait_for "heard (Watchdog)" 20 heard_at "$t"
t=$(clock 3m)
expect_eq "10m after it opened: maintenance.ended, by keizokud" \
    "$(sql "SELECT actor FROM events WHERE type = 'maintenance.ended' ORDER BY seq DESC LIMIT 1") $(sql "SELECT data FROM events WHERE type = 'maintenance.ended' ORDER BY seq DESC LIMIT 1" | jq -r .id)" "keizokud $w1"
expect_eq "it is ended in the list, no longer in force" "$(mlist | jq -r ".[] | select(.id == $w1) | .state")/$("$KZ" --json maintenance list | jq "[.[] | select(.id == $w1)] | length")" ended/0
wait_for "PrimarySiteDown, repeated by Alertmanager, now starts its runbook" 20 has_inc failover
expect_eq "once" "$(ninc failover)" 1

# --- ended early by hand ---
expect_rc "a member outside the role may not end one" 1 as_uid 1105 "$KZ" maintenance end "$w2"
st=$(api "$TANAKA_TOKEN" POST "/v1/maintenance/$w2/end")
expect_eq "the IT lead ends the DiskFull window over REST" "$st $(jq -r .state "$T/resp")" "200 ended"
expect_eq "  audited as tanaka" "$(sql "SELECT actor FROM events WHERE type = 'maintenance.ended' ORDER BY seq DESC LIMIT 1")" tanaka
expect_rc "ending it twice is a conflict" 1 "$KZ" maintenance end "$w2"
check "  (409)" grep -q "has ended already" "$T/err"
expect_rc "an unknown window" 1 "$KZ" maintenance end 999
wait_for "DiskFull's repeats join the incident again" 20 sh -c "[ \"\$('$KZ' --json log $disk | jq '[.[] | select(.type | startswith(\"trigger.\"))] | length')\" -gt $r0 ]"

# --- a scheduled window, and GET /v1/maintenance ---
expect_rc "a window from 1h to 2h is scheduled" 0 "$KZ" --json maintenance add --source alertmanager --from 1h --until 2h --note 夜間作業
w3=$(jq .id "$T/out")
st=$(api "$TANAKA_TOKEN" GET /v1/maintenance)
expect_eq "GET /v1/maintenance lists it as scheduled" "$st $(jq -r ".[] | select(.id == $w3) | .state" "$T/resp")" "200 scheduled"
expect_eq "maintenance.scheduled is audited" "$(nev maintenance.scheduled)" 1
expect_eq "the source is not under maintenance yet" "$(src .suppressed)" false
expect_rc "cancelled before it starts" 0 "$KZ" maintenance end "$w3"

# --- a window on the whole source holds back its silence too ---
expect_rc "a window on the whole source" 0 "$KZ" --json maintenance add --source alertmanager --until 30m --note "監視サーバ更新"
w4=$(jq .id "$T/out")
kill -TERM "$AM_PID"; wait "$AM_PID" 2>/dev/null
clock 6m >/dev/null
expect_eq "Alertmanager stopped for the work: silent, but monitoring-lost is held back" \
    "$(src .silent)/$(ninc monitoring-lost)" true/0
expect_eq "the source.silent event says by which window" "$(sql "SELECT data FROM events WHERE type = 'source.silent'" | jq -r .held_by)" "$w4"

# --- the post-incident report lists the windows that held triggers ---
"$KZ" --json report "$disk" --format json >"$T/report.json"
expect_eq "the report of the DiskFull incident lists the windows that held triggers meanwhile (the silence's too)" \
    "$(jq -c '[.maintenance[] | [.id, .source, (.held > 0)]]' "$T/report.json")" "[[$w1,\"alertmanager\",true],[$w2,\"alertmanager\",true],[$w4,\"alertmanager\",true]]"
"$KZ" report "$disk" >"$T/report.md"
check "the Markdown report has the section" grep -q "計画作業による保留 / Maintenance windows that held back triggers" "$T/report.md"
check "  with the window's note" grep -q "ストレージ増設" "$T/report.md"
"$KZ" report "$disk" --format html >"$T/report.html"
check "and the HTML one" grep -q "計画作業による保留" "$T/report.html"
expect_eq "every window change is audited" "$(nev maintenance.started)/$(nev maintenance.ended)" 4/4
expect_rc "the audit chain verifies" 0 "$KZ" verify
stop_clean
exit $_failed
