#!/bin/bash
# Issue 4, items 1-3: notifications reach slack, teams and webhook
# channels in their formats, rendered in Japanese and English with the
# roster's mentions, routed by the config, drills marked, webhooks signed
# per Standard Webhooks (verified here with hmac), and shown by
# `keizoku notifications`.
. "$(dirname "$0")/lib.sh"
SINK="$KZ_TOP/tests/integration/sink.py"
PORT=$(free_port)
"$PY" "$SINK" --port "$PORT" --log "$T/sink.log" --ready "$T/sink.ready" &
_pids="$_pids $!"
export AUDIT_SECRET="whsec_$(printf 'keizoku-test-secret-0123456789ab' | base64)"
U="http://127.0.0.1:$PORT"
cat >"$T/roster.yaml" <<'YAML'
members:
  - {id: tanaka, name: 田中 太郎, unix_user: "1101", contacts: [{channel: ops, mention: "<@U012AB3CD>"}]}
  - {id: suzuki, name: 鈴木 花子, unix_user: "1102"}
  - {id: sato, name: 佐藤 次郎, unix_user: "1103", contacts: [{channel: ops, mention: "<@U0SATO>"}]}
  - {id: ito, name: 伊藤 一郎, unix_user: "1105"}
roles:
  - {id: it-lead, title: 情報システム責任者, members: [tanaka, suzuki, sato]}
  - {id: operator, title: 担当者, members: [sato, ito]}
YAML
write_config "channels:
  ops: {type: slack, url: \"$U/slack\"}
  execs: {type: teams, url: \"$U/teams\", lang: ja}
  audit: {type: webhook, url: \"$U/hook\", secret: \"env:AUDIT_SECRET\"}
  plain: {type: webhook, url: \"$U/plain\", lang: en}
notify:
  - {channel: execs, events: [incident.activated, incident.closed]}
  - {channel: plain, events: [\"step.*\"]}
templates:
  incident.closed: \"閉じました #{{incident.id}} / closed ({{steps.decide.state}})\"
  step.acked: {ja: \"【着手】{{step.title}} を {{incident.id}} 番で着手\", en: \"Started {{step.title}} on #{{incident.id}}\"}"
cat >"$T/runbooks/failover.yaml" <<'YAML'
runbook: failover
title: 代替サイトへの切り替え / Fail over
kind: failover
owner: role:it-lead
vars: {site: 大阪}
steps:
  - id: decide
    title: 切り替えの判断 / Decide
    assign: role:it-lead
  - id: tell
    needs: [decide]
    type: notify
    with: {channels: [ops], to: role:operator, text: "{{vars.site}} へ切り替えました (#{{incident.id}})"}
YAML
wait_file "$T/sink.ready"
start_kzd || exit 1

# sinkq 'jq filter': over the array of the sink's records in arrival
# order, each with .json, its body parsed (null if it is not JSON).
sinkq() {
	touch "$T/sink.log"
	jq -rsc 'map(.json = (.body | try fromjson catch null)) | '"$1" "$T/sink.log"
}
sink_count() { [ "$(sinkq length)" -ge "$1" ]; }

expect_rc "activate" 0 "$KZ" activate failover
# incident.activated: ops, execs, audit (plain hears step.* only);
# step.ready decide: ops, audit, plain.
wait_for "six notifications arrive" 10 sink_count 6
outbox_idle	# and no more: all that was queued is delivered
expect_eq "by path" "$(sinkq '[.[].path] | sort')" \
    '["/hook","/hook","/plain","/slack","/slack","/teams"]'
expect_eq "slack posts only {text}" "$(sinkq '[.[] | select(.path == "/slack") | .json | keys]')" '[["text"],["text"]]'
expect_eq "slack text: Japanese, then English" "$(sinkq '[.[] | select(.path == "/slack" and (.json.text | contains("発動"))) | .json.text][0]')" \
    "$(printf '【発動】代替サイトへの切り替え / Fail over（#1）を発動しました。<@U012AB3CD> @鈴木 花子 <@U0SATO>\nActivated: 代替サイトへの切り替え / Fail over (#1) <@U012AB3CD> @鈴木 花子 <@U0SATO>')"
expect_eq "step.ready mentions the primary by the roster's slack id" \
    "$(sinkq '[.[] | select(.path == "/slack" and (.json.text | contains("対応依頼"))) | .json.text][0]')" \
    "$(printf '【対応依頼】#1 切り替えの判断 / Decide <@U012AB3CD>\nTo do: #1 切り替えの判断 / Decide <@U012AB3CD>')"
expect_eq "teams posts a MessageCard, Japanese only (lang: ja)" \
    "$(sinkq '[.[] | select(.path == "/teams") | [.json["@type"], .json["@context"], .json.title, (.body | contains("Activated"))]][0]')" \
    '["MessageCard","https://schema.org/extensions","【発動】代替サイトへの切り替え / Fail over（#1）を発動しました。@田中 太郎 @鈴木 花子 @佐藤 次郎",false]'
expect_eq "webhook envelope has exactly the SPEC fields" \
    "$(sinkq '[.[] | select(.path == "/hook") | .json | keys[]] | unique')" \
    '["drill","id","incident","step","text","time","type"]'
expect_eq "webhook types, steps, drill flag" \
    "$(sinkq '[.[] | select(.path == "/hook") | .json | [.type, .step, .drill, .incident]] | sort')" \
    '[["incident.activated",null,false,1],["step.ready","decide",false,1]]'
expect_eq "a member without a contact on the channel is @name" \
    "$(sinkq '[.[] | select(.path == "/hook" and .json.type == "step.ready") | .json.text | split("\n")[0]][0]')" \
    '【対応依頼】#1 切り替えの判断 / Decide @田中 太郎'

# verify_sigs path: every request to path carries webhook-id = body id and
# a valid Standard Webhooks signature with a fresh timestamp.
verify_sigs() {
	"$PY" - "$T/sink.log" "$1" "$AUDIT_SECRET" <<'PY'
import base64, hashlib, hmac, json, sys, time
log, path, sec = sys.argv[1:4]
key = base64.b64decode(sec[len("whsec_"):])
n = 0
for line in open(log, encoding="utf-8"):
    r = json.loads(line)
    if r["path"] != path:
        continue
    h = r["headers"]
    mid, ts, sig = h["webhook-id"], h["webhook-timestamp"], h["webhook-signature"]
    assert json.loads(r["body"])["id"] == mid, "webhook-id differs from the body's id"
    assert abs(int(ts) - r["t"]) < 30, "stale timestamp"
    want = base64.b64encode(hmac.new(key, f"{mid}.{ts}.{r['body']}".encode(), hashlib.sha256).digest()).decode()
    assert any(s.split(",", 1) == ["v1", want] for s in sig.split(" ")), "bad signature"
    n += 1
assert n > 0
PY
}
check "audit deliveries carry valid Standard Webhooks signatures" verify_sigs /hook
expect_eq "unsigned channel: no webhook-signature, but a webhook-id" \
    "$(sinkq '[.[] | select(.path == "/plain") | [(.headers | has("webhook-signature")), .headers["webhook-id"] == .json.id]]')" '[[false,true]]'
expect_eq "lang: en renders English only, mention included" \
    "$(sinkq '[.[] | select(.path == "/plain") | .json.text][0]')" 'To do: #1 切り替えの判断 / Decide @田中 太郎'

expect_rc "tanaka acks" 0 as_uid 1101 "$KZ" ack 1 decide
wait_for "step.acked to ops, audit and plain" 10 sink_count 9
expect_eq "the config's template overrides the built-in text" \
    "$(sinkq '[.[] | select(.path == "/slack") | .json.text][-1]')" \
    "$(printf '【着手】切り替えの判断 / Decide を 1 番で着手\nStarted 切り替えの判断 / Decide on #1')"
expect_rc "tanaka is done" 0 as_uid 1101 "$KZ" done 1 decide
wait_for "the notify step posts to its own channel list only" 10 sink_count 10
outbox_idle
expect_eq "notify step text with the role's mentions, ops only" \
    "$(sinkq '[.[9:][] | [.path, .json.text]]')" \
    '[["/slack","大阪 へ切り替えました (#1) <@U0SATO> @伊藤 一郎"]]'
expect_rc "close" 0 "$KZ" close 1 --force
wait_for "incident.closed to ops, execs and audit" 10 sink_count 13
expect_eq "a one-string template is one line in every language" \
    "$(sinkq '[.[] | select(.path == "/slack") | .json.text][-1]')" "閉じました #1 / closed (done)"
expect_eq "execs heard only what its route lists" \
    "$(sinkq '[.[] | select(.path == "/teams") | .json.title[:6]]' | tr -d ' ')" '["【発動】代替","閉じました"]'

# A drill: every text starts with the mark, webhooks say drill: true.
expect_rc "activate --drill" 0 "$KZ" activate failover --drill
wait_for "drill notifications arrive" 10 sink_count 19
outbox_idle
expect_eq "every drill text is marked [訓練 DRILL]" \
    "$(sinkq 'all(.[13:][]; (.json.text // .json.title) | startswith("[訓練 DRILL] "))')" 'true'
expect_eq "drill webhooks carry drill: true" \
    "$(sinkq '[.[13:][] | select(.path == "/hook" or .path == "/plain") | .json.drill]')" '[true,true,true]'
expect_eq "teams drill cards are grey" \
    "$(sinkq '[.[13:][] | select(.path == "/teams") | .json.themeColor]')" '["808080"]'
check "drill webhooks are signed too" verify_sigs /hook

# The outbox as the CLI shows it.
outbox_idle	# results are written in batches
out=$("$KZ" --json notifications)
expect_eq "notifications lists every delivery, delivered once" \
    "$(echo "$out" | jq -c '[length, ([.[] | [.state, .attempts]] | unique)]')" '[19,[["delivered",1]]]'
expect_eq "notifications has the SPEC fields" \
    "$(echo "$out" | jq 'all(.[]; . as $n | all("id","channel","event","state","attempts","next_attempt_at","last_error"; . as $k | $n | has($k)))')" "true"
expect_eq "one webhook-id per notification, as the sink saw them" \
    "$(echo "$out" | jq '[.[].webhook_id] | unique | length')" "19"
expect_eq "ids seen by the sink are the outbox's" \
    "$(sinkq '[.[].headers["webhook-id"]] | unique | length')" "19"
expect_eq "notifications --pending is empty" "$("$KZ" --json notifications --pending | jq 'length')" "0"
check "notifications in text mode" sh -c "'$KZ' notifications | grep -q delivered"
expect_eq "status counts delivered notifications" \
    "$("$KZ" --json status | jq -c '.notifications | [.pending // 0, .delivered // 0, .dead // 0]')" '[0,19,0]'
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" "0"
exit $_failed
