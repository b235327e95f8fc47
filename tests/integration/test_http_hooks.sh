#!/bin/bash
# Issue 3, items 2-4: POST /v1/hooks/{source} for every format and every
# auth scheme (good, forged, stale, replayed signatures), activation with
# auto and confirm modes, dedup into the open incident, resolutions and
# p2pquake corrections on the timeline, unmatched triggers recorded, and
# drills kept apart.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
FIX=$KZ_TOP/tests/fixtures/hooks

export KZ_AM_TOKEN="am-token-東京-1"
export KZ_GF_SECRET="grafana-secret"
export KZ_QUAKE_SECRET="whsec_$(printf 'quake-key-0123456789abcdef' | base64)"
write_config "sources:
  am:
    format: alertmanager
    auth: {bearer: \"env:KZ_AM_TOKEN\"}
  gf:
    format: grafana
    auth: {hmac: {secret: \"env:KZ_GF_SECRET\", header: X-Grafana-Alerting-Signature, timestamp_header: X-Grafana-Alerting-Signature-Timestamp, window: 5m}}
  gfplain:
    format: grafana
    auth: {hmac: {secret: \"env:KZ_GF_SECRET\", header: X-Signature}}
  quake:
    format: p2pquake
    auth: {standard_webhooks: \"env:KZ_QUAKE_SECRET\"}
  generic:
    format: json
    auth: {bearer: \"env:KZ_AM_TOKEN\"}
  drillsrc:
    format: json
    drill: true
    auth: {none: true}"
cat >"$T/runbooks/failover.yaml" <<'YAML'
runbook: failover
title: 代替サイトへの切り替え / Fail over
kind: failover
owner: role:it-lead
activation:
  - source: am
    match:
      labels.alertname: PrimarySiteDown
      labels.severity: {in: [critical, page]}
    window: 1h
steps:
  - {id: decide, title: 切り替えの判断, type: approval, assign: role:it-lead}
  - {id: switch, title: 切り替え, needs: [decide], assign: role:it-lead}
YAML
cat >"$T/runbooks/vpn.yaml" <<'YAML'
runbook: vpn
title: VPN 増強 / Add VPN capacity
owner: role:it-lead
activation:
  - source: gf
    match: {labels.alertname: VPNCapacityLow}
    mode: confirm
    confirm_by: role:it-lead
    key: "{{trigger.groupKey}}"
  - source: gfplain
    match: {labels.alertname: VPNCapacityLow}
steps:
  - {id: add, title: ライセンス追加, assign: role:operator}
YAML
cat >"$T/runbooks/quake.yaml" <<'YAML'
runbook: quake
title: 震度5弱以上 (東京都) / Earthquake in Tokyo
kind: staff-assembly
owner: role:it-lead
activation:
  - source: quake
    match:
      points: {any: {pref: 東京都, scale: {">=": 50}}}
steps:
  - {id: safety, title: 安否確認, assign: role:it-lead}
YAML
cat >"$T/runbooks/generic.yaml" <<'YAML'
runbook: generic
title: 汎用 / Generic
owner: role:it-lead
activation:
  - source: generic
    match: {event: building_evacuation}
    key: "{{trigger.site}}"
    window: 1h
  - source: drillsrc
    match: {event: building_evacuation}
    key: "{{trigger.site}}"
steps:
  - {id: count, title: 人数確認, assign: role:it-lead}
YAML
start_kzd || exit 1
AUTH="Authorization: Bearer $KZ_AM_TOKEN"
ninc() { sql "SELECT count(*) FROM incidents"; }
ntrig() { sql "SELECT count(*) FROM triggers"; }
nev() { sql "SELECT count(*) FROM events"; }
# forge HEX: the same signature with its first digit changed.
forge() { case $1 in 1*) echo "0${1#?}" ;; *) echo "1${1#?}" ;; esac; }

# --- bearer (Alertmanager) ---
st=$(post /v1/hooks/am "$FIX/alertmanager-v4.json")
expect_resp "bearer: no token is 401" "$st" 401
st=$(post /v1/hooks/am "$FIX/alertmanager-v4.json" -H "Authorization: Bearer wrong")
expect_resp "bearer: a wrong token is 401" "$st" 401
st=$(post /v1/hooks/am "$FIX/alertmanager-v4.json" -H "Authorization: Bearer ${KZ_AM_TOKEN}x")
expect_resp "bearer: a token with a suffix is 401" "$st" 401
expect_eq "a refused request writes nothing" "$(ninc)/$(ntrig)/$(nev)" "0/0/0"
st=$(post /v1/hooks/am "$FIX/alertmanager-v4.json" -H "$AUTH")
expect_resp "bearer: the alert starts an incident (202 after commit)" "$st" 202 '.' '{"accepted":1,"incidents":[1]}'
show=$("$KZ" --json show 1)
expect_eq "incident 1 is failover, active, from source am" "$(echo "$show" | jq -c '[.runbook, .state, .source, .drill]' | tr -d ' ')" '["failover","active","am",false]'
expect_eq "the trigger is the alert with the group beside it" "$(echo "$show" | jq -c '.trigger | [.labels.instance, .groupKey[:2], .groupStatus]' | tr -d ' ')" '["probe-1","{}","firing"]'
expect_eq "the trigger row says matched" "$(sql "SELECT status, incident, key FROM triggers")" "matched|1|5b1c0f9e2a7d4c31"
st=$(post /v1/hooks/am "$FIX/alertmanager-v4.json" -H "$AUTH")
expect_resp "the repeat joins incident 1" "$st" 202 '.incidents' '[1]'
expect_eq "still one incident" "$(ninc)" 1
expect_eq "the repeat is on the timeline" "$("$KZ" --json log 1 | jq '[.[] | select(.type == "trigger.repeated")] | length')" 1
jq '.status = "resolved" | .alerts[0].status = "resolved" |
    .alerts[0].endsAt = "2026-11-20T02:00:00Z"' "$FIX/alertmanager-v4.json" >"$T/am-resolved.json"
st=$(post /v1/hooks/am "$T/am-resolved.json" -H "$AUTH")
expect_resp "the resolution joins incident 1" "$st" 202 '.incidents' '[1]'
expect_eq "the resolution is on the timeline and the incident stays active" "$("$KZ" --json log 1 | jq 'any(.[]; .type == "trigger.resolved")')/$("$KZ" --json show 1 | jq -r '.state')" "true/active"
st=$(post /v1/hooks/am "$FIX/alertmanager-multi.json" -H "$AUTH")
expect_resp "an alert that matches no runbook is accepted" "$st" 202 '[.accepted, .incidents]' '[3,[]]'
expect_eq "and recorded as unmatched, one row per alert" "$(sql "SELECT count(*) FROM triggers WHERE status='unmatched'")" 3

# --- hmac with a timestamp (Grafana) ---
now=$(date +%s)
sig=$($SIGN hmac "$KZ_GF_SECRET" "$now" "$FIX/grafana-v1.json")
GFH="X-Grafana-Alerting-Signature-Timestamp: $now"
st=$(post /v1/hooks/gf "$FIX/grafana-v1.json" -H "$GFH" -H "X-Grafana-Alerting-Signature: $(forge "$sig")")
expect_resp "hmac: a forged signature is 401" "$st" 401
st=$(post /v1/hooks/gf "$FIX/grafana-v1.json" -H "X-Grafana-Alerting-Signature: $sig")
expect_resp "hmac: a missing timestamp is 401" "$st" 401
st=$(post /v1/hooks/gf "$FIX/grafana-v1.json" -H "$GFH")
expect_resp "hmac: a missing signature is 401" "$st" 401
old=$((now - 600))
oldsig=$($SIGN hmac "$KZ_GF_SECRET" "$old" "$FIX/grafana-v1.json")
st=$(post /v1/hooks/gf "$FIX/grafana-v1.json" -H "X-Grafana-Alerting-Signature-Timestamp: $old" -H "X-Grafana-Alerting-Signature: $oldsig")
expect_resp "hmac: a stale (replayed, 10 min old) request is 401" "$st" 401 '.error' "timestamp too old"
fut=$((now + 600))
futsig=$($SIGN hmac "$KZ_GF_SECRET" "$fut" "$FIX/grafana-v1.json")
st=$(post /v1/hooks/gf "$FIX/grafana-v1.json" -H "X-Grafana-Alerting-Signature-Timestamp: $fut" -H "X-Grafana-Alerting-Signature: $futsig")
expect_resp "hmac: a timestamp from the future is 401" "$st" 401
st=$(post /v1/hooks/gf "$FIX/grafana-v1.json" -H "X-Grafana-Alerting-Signature-Timestamp: $((now + 1))" -H "X-Grafana-Alerting-Signature: $sig")
expect_resp "hmac: the signature covers the timestamp" "$st" 401
expect_eq "refused hmac requests wrote nothing" "$(ninc)" 1
st=$(post /v1/hooks/gf "$FIX/grafana-v1.json" -H "$GFH" -H "X-Grafana-Alerting-Signature: $(echo "$sig" | tr a-f A-F)")
expect_resp "hmac: a good signature (any hex case) starts a pending incident" "$st" 202 '.incidents' '[2]'
expect_eq "mode confirm: pending" "$("$KZ" --json show 2 | jq -r '.state')" pending
st=$(post /v1/hooks/gf "$FIX/grafana-v1.json" -H "$GFH" -H "X-Grafana-Alerting-Signature: $sig")
expect_resp "hmac: a replay within the window is a repeat of the same incident" "$st" 202 '.incidents' '[2]'
expect_eq "and starts nothing" "$(ninc)" 2
expect_rc "an operator (not in confirm_by) may not confirm" 1 as_uid 1105 "$KZ" confirm 2
expect_rc "suzuki of it-lead confirms" 0 as_uid 1102 "$KZ" confirm 2
expect_eq "confirmed: active" "$("$KZ" --json show 2 | jq -r '.state')" active

# --- hmac without a timestamp ---
sig=$($SIGN hmac "$KZ_GF_SECRET" "" "$FIX/grafana-v1.json")
st=$(post /v1/hooks/gfplain "$FIX/grafana-v1.json" -H "X-Signature: $(forge "$sig")")
expect_resp "hmac (no timestamp): forged is 401" "$st" 401
st=$(post /v1/hooks/gfplain "$FIX/grafana-v1.json" -H "X-Signature: $sig")
expect_resp "hmac (no timestamp): good starts an auto incident" "$st" 202 '.incidents' '[3]'
expect_eq "mode auto: active" "$("$KZ" --json show 3 | jq -r '.state')" active

# --- Standard Webhooks (p2pquake) ---
swh() {	# swh FILE ID TS [SIG]: posts FILE to quake signed (or with SIG)
	_s=${4:-$($SIGN stdwh "$KZ_QUAKE_SECRET" "$2" "$3" "$1")}
	post /v1/hooks/quake "$1" -H "webhook-id: $2" -H "webhook-timestamp: $3" -H "webhook-signature: $_s"
}
now=$(date +%s)
st=$(swh "$FIX/p2pquake-551.json" msg_1 "$now" "v1,$(printf 'forged-signature-000000000000000' | base64)")
expect_resp "standard webhooks: a forged signature is 401" "$st" 401
st=$(post /v1/hooks/quake "$FIX/p2pquake-551.json")
expect_resp "standard webhooks: no signature is 401" "$st" 401
st=$(swh "$FIX/p2pquake-551.json" msg_1 "$((now - 400))")
expect_resp "standard webhooks: a stale timestamp (over 5 min) is 401" "$st" 401
st=$(swh "$FIX/p2pquake-551.json" msg_1 "$now" "$($SIGN stdwh "$KZ_QUAKE_SECRET" msg_other "$now" "$FIX/p2pquake-551.json")")
expect_resp "standard webhooks: the signature covers webhook-id" "$st" 401
expect_eq "refused quake requests wrote nothing" "$(ninc)/$(sql "SELECT count(*) FROM triggers WHERE source='quake'")" "3/0"
qsig=$($SIGN stdwh "$KZ_QUAKE_SECRET" msg_1 "$now" "$FIX/p2pquake-551.json")
st=$(swh "$FIX/p2pquake-551.json" msg_1 "$now" "v1,bm90LXRoaXMtb25l $qsig")
expect_resp "p2pquake: 震度6弱 in 東京都 starts the quake runbook (one good signature of several)" "$st" 202 '.' '{"accepted":1,"incidents":[4]}'
expect_eq "incident 4 is the quake runbook" "$("$KZ" --json show 4 | jq -c '[.runbook, .trigger.earthquake.maxScale]' | tr -d ' ')" '["quake",60]'
events=$(nev); trows=$(ntrig)
st=$(swh "$FIX/p2pquake-551.json" msg_1 "$now" "$qsig")
expect_resp "standard webhooks: a replayed webhook-id answers the original result" "$st" 202 '.' '{"accepted":1,"incidents":[4]}'
expect_eq "and changes nothing" "$(nev)/$(ntrig)/$(ninc)" "$events/$trows/4"
jq '.earthquake.time = "2026/11/21 10:00:00" | .earthquake.maxScale = 45 |
    .points |= map(.scale = (if .pref == "東京都" then ([.scale, 45] | min) else 50 end))' \
    "$FIX/p2pquake-551.json" >"$T/quake-weak.json"
st=$(swh "$T/quake-weak.json" msg_2 "$now")
expect_resp "p2pquake: 震度4 in 東京都 (5弱 elsewhere) matches nothing" "$st" 202 '.' '{"accepted":1,"incidents":[]}'
expect_eq "and is recorded as unmatched" "$(sql "SELECT status FROM triggers WHERE source='quake' ORDER BY id DESC LIMIT 1")" unmatched
st=$(swh "$FIX/p2pquake-551-correction.json" msg_3 "$now")
expect_resp "p2pquake: a correction updates incident 4 instead of starting one" "$st" 202 '.incidents' '[4]'
show=$("$KZ" --json show 4)
expect_eq "the incident's trigger is the corrected report" "$(echo "$show" | jq -c '.trigger | [.earthquake.maxScale, .issue.correct]' | tr -d ' ')" '[70,"ScaleOnly"]'
expect_eq "the correction is on the timeline" "$("$KZ" --json log 4 | jq 'any(.[]; .type == "trigger.corrected")')" true
expect_eq "no new incident" "$(ninc)" 4
st=$(swh "$FIX/p2pquake-551-drill.json" msg_4 "$now")
expect_resp "p2pquake: a 訓練 report starts a drill" "$st" 202 '.incidents' '[5]'
expect_eq "incident 5 is a drill" "$("$KZ" --json show 5 | jq '.drill')" true
st=$(swh "$FIX/p2pquake-552.json" msg_5 "$now")
expect_resp "p2pquake: a tsunami report (552) is a trigger; no runbook here matches it" "$st" 202 '.' '{"accepted":1,"incidents":[]}'

# --- json, key template, drill source ---
st=$(post /v1/hooks/generic "$FIX/json-generic.json" -H "$AUTH")
expect_resp "json: any object; the key template names the site" "$st" 202 '.incidents' '[6]'
expect_eq "the dedup key is the rendered template" "$(sql "SELECT dedup_key FROM incidents WHERE id=6")" "本社"
sed 's/"避難指示 \/ evacuate"/"続報"/' "$FIX/json-generic.json" >"$T/generic2.json"
st=$(post /v1/hooks/generic "$T/generic2.json" -H "$AUTH")
expect_resp "json: a different document with the same key joins" "$st" 202 '.incidents' '[6]'
st=$(post /v1/hooks/drillsrc "$FIX/json-generic.json")
expect_resp "a drill source starts a drill, never joining the real incident" "$st" 202 '.incidents' '[7]'
expect_eq "incident 7 is a drill with the same key" "$(sql "SELECT drill, dedup_key FROM incidents WHERE id=7")" "1|本社"
st=$(post /v1/hooks/drillsrc "$FIX/json-generic.json")
expect_resp "drills dedup among themselves" "$st" 202 '.incidents' '[7]'
jq -n '{version: "4", groupKey: "g", status: "firing", receiver: "r",
    groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: "",
    alerts: [("dc-east", "dc-west", "dc-east") as $s | {status: "firing",
        labels: {alertname: "PrimarySiteDown", severity: "page", site: $s},
        annotations: {}, fingerprint: $s}]}' >"$T/multi.json"
st=$(post /v1/hooks/am "$T/multi.json" -H "$AUTH")
expect_resp "alertmanager: each alert matched on its own; duplicates in one request join" "$st" 202 '.' '{"accepted":3,"incidents":[8,9]}'

# --- health and metrics ---
st=$(get /healthz)
expect_resp "/healthz is 200 ok" "$st" 200 '.ok' true
st=$(get /metrics)
expect_eq "/metrics is 200" "$st" 200
check "metrics: incidents by state and drill" grep -q '^keizoku_incidents{state="active",drill="false"} 7$' "$T/resp"
check "metrics: drill incidents apart" grep -q '^keizoku_incidents{state="active",drill="true"} 2$' "$T/resp"
check "metrics: steps by state" grep -q '^keizoku_steps{state="ready",drill="false"}' "$T/resp"
# Steps still blocked as they began have no row of their own (an
# activation writes the steps it changes): they are counted all the same,
# as `show` lists them.
want=0
for id in $("$KZ" --json incidents | jq -r '.[] | select(.state == "active" and .drill == false) | .id'); do
	want=$((want + $("$KZ" --json show "$id" | jq '[.steps[] | select(.state == "blocked")] | length')))
done
check "metrics: blocked steps counted, rows or not ($want)" grep -q "^keizoku_steps{state=\"blocked\",drill=\"false\"} $want\$" "$T/resp"
check "... and some of them are blocked (the check means something)" test "$want" -gt 0
check "metrics: triggers matched by source" grep -q '^keizoku_triggers_total{source="am",result="matched"} 3$' "$T/resp"
check "metrics: unmatched counted" grep -q '^keizoku_triggers_total{source="am",result="unmatched"} 3$' "$T/resp"
check "metrics: replays counted as duplicate" grep -q '^keizoku_triggers_total{source="quake",result="duplicate"} 1$' "$T/resp"
check "metrics: rejected by reason" grep -q '^keizoku_triggers_rejected_total{source="am",reason="auth"} 3$' "$T/resp"
check "metrics: latency histogram" grep -q '^keizoku_http_request_duration_seconds_bucket{le="+Inf"} [0-9]' "$T/resp"
check "metrics: content type" sh -c "curl -s -D - -o /dev/null '$URL/metrics' | grep -qi '^content-type: text/plain; version=0.0.4'"
stop_clean
exit $_failed
