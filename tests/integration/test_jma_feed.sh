#!/bin/bash
# Issue 17 (SPEC §15): a JMA XML feed as a trigger source. keizokud polls
# a local stand-in for JMA's feed server; each earthquake and tsunami
# document is fetched once and becomes a trigger runbooks match like
# P2P's; the same quake from P2P joins the incident JMA started;
# corrections and cancellations land on its timeline; 訓練 documents start
# drills; hostile XML (billion laughs, external entities) is refused
# without a request leaving the parser; a feed answering 304, 500,
# garbage or nothing at all is survived, shown in status and /metrics.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-jma.sh"

HTTP_PORT=$(free_port)
KZ_HTTP_LISTEN=127.0.0.1:$HTTP_PORT
write_feed feed.xml
write_config "sources:
  jma:
    format: jma
    feed: \"$BASE/feed.xml\"
    interval: 1s
    timeout: 2s
  p2p:
    format: p2pquake
    auth: {none: true}
channels:
  ops: {type: webhook, url: \"http://127.0.0.1:9/hooks\", retry: [1h]}"
cat >"$T/runbooks/quake.yaml" <<'YAML'
runbook: quake
title: 地震対応 / Earthquake response
kind: staff-assembly
owner: role:it-lead
activation:
  - source: jma
    match: {earthquake.maxScale: {">=": 30}}
  - source: p2p
    match: {earthquake.maxScale: {">=": 30}}
steps:
  - {id: check, title: 被害確認 / Check, assign: role:it-lead}
YAML
cat >"$T/runbooks/tsunami.yaml" <<'YAML'
runbook: tsunami
title: 津波対応 / Tsunami response
kind: generic
owner: role:it-lead
activation:
  - source: jma
    match: {areas: {any: {grade: {in: [MajorWarning, Warning, Watch]}}}}
steps:
  - {id: evacuate, title: 避難 / Evacuate, assign: role:it-lead}
YAML
export KEIZOKU_TEST_CLOCK=2026-11-20T00:00:00Z
start_kzd || exit 1

wait_for "the empty feed is polled" 20 polled_ok
expect_eq "status: no document yet, not silent" "$(feed '[.documents.done, .silent, .last_error] | @tsv')" "0	false	"

# --- a 震度速報 starts the quake runbook, shaped like P2P's 551 ---
publish 20210217140808_0_VXSE51_010000.xml 20210217140808_0_VXSE51_010000.xml 2026-11-19T23:50:00Z 震度速報
wait_for "the VXSE51 document is taken" 20 docs_settled 1
expect_eq "one incident of quake" "$("$KZ" --json incidents | jq -r '[.[] | .runbook] | join(",")')" "quake"
expect_eq "its trigger reads like P2P's (maxScale, time, points)" \
    "$("$KZ" --json show 1 | jq -r '.trigger | [.code, .earthquake.maxScale, .earthquake.time, .points[0].pref, .points[0].isArea] | @tsv')" \
    "551	30	2021/02/17 23:06:00	宮城県	true"
expect_eq "with jma: {type, status, info_type, event_id, serial}" \
    "$("$KZ" --json show 1 | jq -c '.trigger.jma | [.type, .status, .info_type, .event_id, .serial, (.url | endswith("VXSE51_010000.xml"))]')" \
    '["VXSE51","通常","発表","20210217230627",null,true]'

# --- the same quake relayed by P2P joins the incident JMA started ---
st=$(curl -s -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @"$FIX/derived-p2pquake-551-20210217.json" "http://$KZ_HTTP_LISTEN/v1/hooks/p2p")
expect_eq "P2P's 551 of the same quake joins incident 1" "$st $(jq -c .incidents "$T/resp")" "202 [1]"
expect_eq "still one incident" "$(ninc)" 1

# --- the detailed reports and a correction join too ---
publish 20210217140847_0_VXSE52_010000.xml 20210217140847_0_VXSE52_010000.xml 2026-11-19T23:51:00Z 震源に関する情報
publish 20210217140958_0_VXSE53_010000.xml 20210217140958_0_VXSE53_010000.xml 2026-11-19T23:52:00Z 震源・震度に関する情報
publish 20210217142011_0_VXSE53_010000.xml derived-20210217142011_0_VXSE53_010000-correction.xml 2026-11-19T23:53:00Z 震源・震度に関する情報
wait_for "the VXSE52, VXSE53 and the correction are taken" 30 docs_settled 4
expect_eq "all of them joined incident 1" "$(ninc)" 1
types=$("$KZ" --json log 1 | jq -r '[.[] | select(.type | startswith("trigger.")) | .type] | join(",")')
# The 震源に関する情報 lists no intensity: it matches nothing and is
# recorded as unmatched; the rest join.
expect_eq "timeline: P2P repeat, VXSE53 repeat, the correction" "$types" \
    "trigger.repeated,trigger.repeated,trigger.corrected"
expect_eq "the correction replaced the trigger" \
    "$("$KZ" --json show 1 | jq -r '.trigger | [.jma.info_type, .issue.correct, .jma.serial, (.points | length)] | @tsv')" \
    "訂正	ScaleAndDestination	2	$(jq '.points | length' "$FIX/20210217140958395-17230627.json")"

# --- a cancellation (取消) withdraws it: on the timeline, to the owner ---
publish 20210217142530_0_VXSE53_010000.xml derived-20210217142530_0_VXSE53_010000-cancel.xml 2026-11-19T23:54:00Z 震源・震度に関する情報
wait_for "the cancellation is taken" 20 docs_settled 5
expect_eq "it joined incident 1 as trigger.cancelled, the incident left open" \
    "$("$KZ" --json log 1 | jq -r '[.[] | .type] | map(select(. == "trigger.cancelled")) | length')/$("$KZ" --json show 1 | jq -r .state)/$(ninc)" \
    "1/active/1"
expect_eq "the owner hears of it" "$("$KZ" --json notifications | jq '[.[] | select(.event == "trigger.cancelled")] | length')" 1

# A cancellation of a quake nobody saw starts nothing.
publish 20220509152500_0_VXSE51_010000.xml 32-35_10_01_220510_VXSE51.xml 2026-11-19T23:55:00Z 震度速報
wait_for "a stray cancellation is taken" 20 docs_settled 6
expect_eq "and starts nothing" "$(ninc)" 1

# --- 訓練: drills only ---
publish 20091001134800_0_VXSE53_010000.xml 32-35_01_03_240613_VXSE53.xml 2026-11-19T23:56:00Z 震源・震度に関する情報
wait_for "a 訓練 VXSE53 (82 KB) is taken" 20 docs_settled 7
expect_eq "it started a drill incident, never a real one" \
    "$("$KZ" --json incidents | jq -r '[.[] | "\(.runbook):\(.drill)"] | join(",")')" "quake:false,quake:true"

# --- tsunami: warning kinds by area; lifted, then withdrawn ---
publish 20220918154907_0_VTSE41_010000.xml 20220918154907_08013775_VTSE41.xml 2026-11-19T23:57:00Z 津波警報・注意報・予報a
wait_for "a VTSE41 is taken" 20 docs_settled 8
tinc=$("$KZ" --json incidents | jq -r '.[] | select(.runbook == "tsunami") | .id')
expect_eq "the tsunami runbook started, areas by grade" \
    "$("$KZ" --json show "$tinc" | jq -r '.trigger | [.code, .areas[0].name, .areas[0].grade, .areas[0].kind, .jma.type] | @tsv')" \
    "552	宮古島・八重山地方	Watch	津波注意報	VTSE41"
publish 20151114061900_0_VTSE51_010000.xml 38-39_02_03_250206_VTSE51.xml 2026-11-19T23:57:10Z 津波情報a
publish 20151114065500_0_VTSE41_010000.xml 38-39_02_04_250206_VTSE41.xml 2026-11-19T23:57:20Z 津波警報・注意報・予報a
publish 20210805104000_0_VTSE41_010000.xml 38-39_03_01_210805_VTSE41.xml 2026-11-19T23:57:30Z 津波警報・注意報・予報a
wait_for "the VTSE51, the lifting and a withdrawal are taken" 30 docs_settled 11
expect_eq "timeline: observations, all lifted (resolved), withdrawn" \
    "$("$KZ" --json log "$tinc" | jq -r '[.[] | select(.type | startswith("trigger.")) | .type] | join(",")')" \
    "trigger.repeated,trigger.resolved,trigger.cancelled"
expect_eq "VTSE51 brings the observed heights" \
    "$("$KZ" --json log "$tinc" | jq -r '[.[] | select(.type == "trigger.repeated")][0].data.trigger | [.jma.type, .observations[0].name, .observations[0].maxHeight.value] | @tsv')" \
    "VTSE51	中之島	0.3"

# --- other types in the feed are ignored; each document fetched once ---
publish 20261119235800_0_VFVO52_460100.xml 32-35_04_03_240613_VXSE52.xml 2026-11-19T23:58:00Z 噴火に関する火山観測報
# Two more polls, each seeing it: nothing may fetch it, nor the others again.
n=$(feed .polls)
polls_past() { [ "$(feed .polls)" -ge "$1" ]; }
wait_for "the feed listing a volcano report is polled twice" 20 polls_past $((n + 2))
expect_eq "a volcano report (VFVO52) is never fetched" "$(fetches 20261119235800_0_VFVO52_460100.xml)" 0
again=0
for f in "$S"/docs/2*_V[XT]SE*; do
	[ "$(fetches "$(basename "$f")")" -eq 1 ] || again=$((again + 1))
done
expect_eq "every earthquake and tsunami document was fetched exactly once" "$again" 0
expect_eq "conditional GET: polls carry If-None-Match" \
    "$(grep -c '^GET /feed.xml "' "$S/requests.log" | awk '{print ($1 > 0)}')" 1

# --- hostile XML: refused, nothing fetched on its behalf ---
publish 20261119235900_0_VXSE51_010000.xml hostile-billion-laughs.xml 2026-11-19T23:59:00Z 震度速報
publish 20261119235910_0_VXSE51_010000.xml hostile-xxe.xml 2026-11-19T23:59:10Z 震度速報
wait_for "billion laughs and XXE documents are settled" 20 docs_settled 13
expect_eq "both failed, refused for their DTD" "$(feed .documents.failed)" 2
expect_eq "the external DTD and entity were never requested" "$(grep -c evil "$S/requests.log")" 0
check "the refusal is logged with why" grep -q "a DTD or entity declaration is not allowed" "$T/kzd.log"
expect_eq "and no incident came of them" "$(ninc)" 3

# --- a feed answering 500, garbage, 304, or nothing ---
mode 500
wait_for "500: status shows the failure" 20 err_has 'HTTP status 500'
check "the loop keeps answering during failures" quiet "$KZ" status
mode garbage
wait_for "garbage: status says it is not a feed" 40 err_has 'not an Atom feed: XML error at line 1'
mode hang
wait_for "a hanging feed times out (timeout: 2s)" 40 err_has 'timed out'
# The loop answers while a fetch is held: a status that returns between
# a held request's start and its end (the server logs both), whatever
# the machine's speed. A poll may end meanwhile: then try again.
holding() { [ "$(grep -c HOLD "$S/held.log")" -gt "$(grep -c GONE "$S/held.log")" ]; }
status_during_hold() {
	for _k in $(seq 10); do
		_e=$((SECONDS + 20))
		until holding || [ "$SECONDS" -gt "$_e" ]; do sleep 0.05; done
		_h=$(grep -c HOLD "$S/held.log")
		"$KZ" status >/dev/null || return 1
		holding && [ "$(grep -c HOLD "$S/held.log")" = "$_h" ] && return 0
	done
	return 1
}
check "keizoku status answers while the feed hangs" status_during_hold
mode 304
wait_for "304: polls succeed again" 60 healthy
expect_eq "a 304 fetches no document" "$(grep -c ' /data/' "$S/requests.log")" 13
mode ok
publish 20261120000000_0_VXSE51_010000.xml 32-35_01_01_100806_VXSE51.xml 2026-11-19T23:59:50Z 震度速報
wait_for "after the outage a new report is taken" 40 docs_settled 14
expect_eq "the 震度6弱 report started another incident" "$(ninc)" 4

# --- metrics ---
curl -s "http://$KZ_HTTP_LISTEN/metrics" >"$T/metrics"
check "metrics: last successful poll per feed" grep -Eq '^keizoku_feed_last_success_timestamp_seconds\{source="jma"\} [1-9]' "$T/metrics"
check "metrics: age of the newest document per feed" grep -Eq '^keizoku_feed_newest_document_age_seconds\{source="jma"\} [0-9]' "$T/metrics"
check "metrics: documents by state" grep -q '^keizoku_feed_documents{source="jma",state="failed"} 2' "$T/metrics"
check "metrics: when each source was last heard" grep -Eq '^keizoku_source_last_heard_timestamp_seconds\{source="jma"\} [1-9]' "$T/metrics"
"$KZ" status >"$T/status.txt"
check "keizoku status prints the feed" grep -q '^  jma: last good poll .*newest document .* old, 12 taken, 0 pending, 2 failed' "$T/status.txt"

# --- nobody posts to a pull source ---
st=$(curl -s -o "$T/resp" -w '%{http_code}' -H 'Content-Type: application/json' -d '{}' "http://$KZ_HTTP_LISTEN/v1/hooks/jma")
expect_eq "POST /v1/hooks/jma is refused" "$st $(jq -r .error "$T/resp")" '403 source "jma" is polled by keizokud (format jma): nothing is posted to it'

stop_kzd
expect_eq "keizokud stops cleanly" "$KZD_RC" 0
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/kzd.log"; then
	nok "sanitizer report in the log"
else
	ok "no sanitizer report"
fi

# --- config errors say where and why (keizokud -t) ---
badconf() {	# yaml of the sources map; prints the diagnostics
	printf 'state_dir: state\nrunbooks: norunbooks\nroster: roster.yaml\nsources:\n%s\n' "$1" >"$T/bad.yaml"
	mkdir -p "$T/norunbooks"
	"$KZD" -t -c "$T/bad.yaml" 2>&1
}
out=$(badconf '  jma: {format: jma}')
check "a jma source without feed is refused" sh -c "echo '$out' | grep -q 'bad.yaml:5:8: .*feed'"
out=$(badconf '  jma: {format: jma, feed: "ftp://x/feed.xml", interval: 0s}')
check "feed must be http(s)" sh -c "echo '$out' | grep -q 'feed must start with http:// or https://'"
check "interval must be at least 1s" sh -c "echo '$out' | grep -q 'interval must be at least 1s'"
out=$(badconf '  jma: {format: jma, feed: "https://x/f.xml", auth: {none: true}}')
check "a polled source takes no auth" sh -c "echo '$out' | grep -q 'is polled by keizokud (format jma): it takes no auth'"
out=$(badconf '  am: {format: alertmanager, auth: {none: true}, interval: 5s}')
check "interval is only for a polled source" sh -c "echo '$out' | grep -q 'interval is only for a polled source'"
out=$(badconf '  jma: {format: jma, feed: "https://x/f.xml", interval: 1s, silent_after: 10m}')
check "interval 1s is accepted as it is" sh -c "echo '$out' | grep -q ': ok'"
exit $_failed
