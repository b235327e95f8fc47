#!/bin/bash
# Issue 4, items 1-3: notifications reach slack, teams and webhook
# channels in their formats, rendered in Japanese and English with the
# roster's mentions, routed by the config, drills marked, webhooks signed
# per Standard Webhooks (verified here with hmac), and shown by
# `keizoku notifications`.
. "$(dirname "$0")/lib.sh"
SINK="$KZ_TOP/tests/integration/sink.py"
PORT=$(free_port)
python3 "$SINK" --port "$PORT" --log "$T/sink.log" --ready "$T/sink.ready" &
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
  incident.closed: \"閉じました #{{incident.id}} / closed\"
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
_i=0; while [ ! -f "$T/sink.ready" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
start_kzd || exit 1

# sinkq 'python expression over recs' : recs is the list of log records.
sinkq() {
	python3 - "$T/sink.log" "$1" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")] if __import__("os").path.exists(sys.argv[1]) else []
for r in recs:
    try: r["json"] = json.loads(r["body"])
    except Exception: r["json"] = None
v = eval(sys.argv[2])
print(json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list, bool)) or v is None else v)
PY
}
sink_count() { [ "$(sinkq "len(recs)")" -ge "$1" ]; }

expect_rc "activate" 0 "$KZ" activate failover
# incident.activated: ops, execs, audit (plain hears step.* only);
# step.ready decide: ops, audit, plain.
wait_for "six notifications arrive" 10 sink_count 6
sleep 0.3
expect_eq "by path" "$(sinkq 'sorted(r["path"] for r in recs)' | tr -d ' ')" \
    '["/hook","/hook","/plain","/slack","/slack","/teams"]'
expect_eq "slack posts only {text}" "$(sinkq '[sorted(r["json"].keys()) for r in recs if r["path"]=="/slack"]' | tr -d ' ')" '[["text"],["text"]]'
expect_eq "slack text: Japanese, then English" "$(sinkq '[r["json"]["text"] for r in recs if r["path"]=="/slack" and "発動" in r["json"]["text"]][0]')" \
    "$(printf '【発動】代替サイトへの切り替え / Fail over（#1）を発動しました。<@U012AB3CD> @鈴木 花子 <@U0SATO>\nActivated: 代替サイトへの切り替え / Fail over (#1) <@U012AB3CD> @鈴木 花子 <@U0SATO>')"
expect_eq "step.ready mentions the primary by the roster's slack id" \
    "$(sinkq '[r["json"]["text"] for r in recs if r["path"]=="/slack" and "対応依頼" in r["json"]["text"]][0]')" \
    "$(printf '【対応依頼】#1 切り替えの判断 / Decide <@U012AB3CD>\nTo do: #1 切り替えの判断 / Decide <@U012AB3CD>')"
expect_eq "teams posts a MessageCard, Japanese only (lang: ja)" \
    "$(sinkq '[[r["json"]["@type"], r["json"]["@context"], r["json"]["title"], "Activated" in r["body"]] for r in recs if r["path"]=="/teams"][0]')" \
    '["MessageCard", "https://schema.org/extensions", "【発動】代替サイトへの切り替え / Fail over（#1）を発動しました。@田中 太郎 @鈴木 花子 @佐藤 次郎", false]'
expect_eq "webhook envelope has exactly the SPEC fields" \
    "$(sinkq 'sorted(set(k for r in recs if r["path"]=="/hook" for k in r["json"]))' | tr -d ' ')" \
    '["drill","id","incident","step","text","time","type"]'
expect_eq "webhook types, steps, drill flag" \
    "$(sinkq 'sorted((r["json"]["type"], r["json"]["step"], r["json"]["drill"], r["json"]["incident"]) for r in recs if r["path"]=="/hook")' | tr -d ' ')" \
    '[["incident.activated",null,false,1],["step.ready","decide",false,1]]'
expect_eq "a member without a contact on the channel is @name" \
    "$(sinkq '[r["json"]["text"].split(chr(10))[0] for r in recs if r["path"]=="/hook" and r["json"]["type"]=="step.ready"][0]')" \
    '【対応依頼】#1 切り替えの判断 / Decide @田中 太郎'

# verify_sigs path: every request to path carries webhook-id = body id and
# a valid Standard Webhooks signature with a fresh timestamp.
verify_sigs() {
	python3 - "$T/sink.log" "$1" "$AUDIT_SECRET" <<'PY'
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
    "$(sinkq '[("webhook-signature" in r["headers"], r["headers"]["webhook-id"] == r["json"]["id"]) for r in recs if r["path"]=="/plain"]' | tr -d ' ')" '[[false,true]]'
expect_eq "lang: en renders English only, mention included" \
    "$(sinkq '[r["json"]["text"] for r in recs if r["path"]=="/plain"][0]')" 'To do: #1 切り替えの判断 / Decide @田中 太郎'

expect_rc "tanaka acks" 0 as_uid 1101 "$KZ" ack 1 decide
wait_for "step.acked to ops, audit and plain" 10 sink_count 9
expect_eq "the config's template overrides the built-in text" \
    "$(sinkq '[r["json"]["text"] for r in recs if r["path"]=="/slack"][-1]')" \
    "$(printf '【着手】切り替えの判断 / Decide を 1 番で着手\nStarted 切り替えの判断 / Decide on #1')"
expect_rc "tanaka is done" 0 as_uid 1101 "$KZ" done 1 decide
wait_for "the notify step posts to its own channel list only" 10 sink_count 10
sleep 0.3
expect_eq "notify step text with the role's mentions, ops only" \
    "$(sinkq '[(r["path"], r["json"].get("text")) for r in recs[9:]]')" \
    '[["/slack", "大阪 へ切り替えました (#1) <@U0SATO> @伊藤 一郎"]]'
expect_rc "close" 0 "$KZ" close 1
wait_for "incident.closed to ops, execs and audit" 10 sink_count 13
expect_eq "a one-string template is one line in every language" \
    "$(sinkq '[r["json"]["text"] for r in recs if r["path"]=="/slack"][-1]')" "閉じました #1 / closed"
expect_eq "execs heard only what its route lists" \
    "$(sinkq '[r["json"]["title"][:6] for r in recs if r["path"]=="/teams"]' | tr -d ' ')" '["【発動】代替","閉じました"]'

# A drill: every text starts with the mark, webhooks say drill: true.
expect_rc "activate --drill" 0 "$KZ" activate failover --drill
wait_for "drill notifications arrive" 10 sink_count 19
sleep 0.3
expect_eq "every drill text is marked [訓練 DRILL]" \
    "$(sinkq 'all((r["json"].get("text") or r["json"].get("title")).startswith("[訓練 DRILL] ") for r in recs[13:])')" 'true'
expect_eq "drill webhooks carry drill: true" \
    "$(sinkq '[r["json"]["drill"] for r in recs[13:] if r["path"] in ("/hook", "/plain")]' | tr -d ' ')" '[true,true,true]'
expect_eq "teams drill cards are grey" \
    "$(sinkq '[r["json"]["themeColor"] for r in recs[13:] if r["path"]=="/teams"]')" '["808080"]'
check "drill webhooks are signed too" verify_sigs /hook

# The outbox as the CLI shows it.
sleep 0.5	# results are written in batches
out=$("$KZ" --json notifications)
expect_eq "notifications lists every delivery, delivered once" \
    "$(echo "$out" | jget '[len(d), sorted(set((n["state"], n["attempts"]) for n in d))]' | tr -d ' ')" '[19,[["delivered",1]]]'
expect_eq "notifications has the SPEC fields" \
    "$(echo "$out" | jget 'all(all(k in n for k in ["id","channel","event","state","attempts","next_attempt_at","last_error"]) for n in d)')" "true"
expect_eq "one webhook-id per notification, as the sink saw them" \
    "$(echo "$out" | jget 'len(set(n["webhook_id"] for n in d))')" "19"
expect_eq "ids seen by the sink are the outbox's" \
    "$(sinkq 'len(set(r["headers"]["webhook-id"] for r in recs))')" "19"
expect_eq "notifications --pending is empty" "$("$KZ" --json notifications --pending | jget 'len(d)')" "0"
check "notifications in text mode" sh -c "'$KZ' notifications | grep -q delivered"
expect_eq "status counts delivered notifications" \
    "$("$KZ" --json status | jget '[d["notifications"].get(k, 0) for k in ("pending", "delivered", "dead")]' | tr -d ' ')" '[0,19,0]'
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" "0"
exit $_failed
