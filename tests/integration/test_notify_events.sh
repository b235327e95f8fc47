#!/bin/bash
# Issue 4, item 2: every event that notifies reaches the sink with its
# text: pending confirmation, activation on confirm, trigger repeated,
# dismissed, step ready (to the assignee), escalated (to the deputy),
# reminder, overdue, failed, closed; the notify routes' patterns.
. "$(dirname "$0")/lib.sh"
SINK="$KZ_TOP/tests/integration/sink.py"
PORT=$(free_port)
HPORT=$(free_port)
"$PY" "$SINK" --port "$PORT" --log "$T/sink.log" --ready "$T/sink.ready" &
_pids="$_pids $!"
U="http://127.0.0.1:$PORT"
KZ_HTTP_LISTEN="127.0.0.1:$HPORT" write_config "sources:
  mon: {format: json, auth: {none: true}}
channels:
  ops: {type: slack, url: \"$U/ops\", lang: ja}
  en: {type: slack, url: \"$U/en\", lang: en}
  steps: {type: webhook, url: \"$U/steps\"}
  quiet: {type: webhook, url: \"$U/quiet\"}
notify:
  - {channel: steps, events: [\"step.*\"]}
  - {channel: quiet, events: []}"
cat >"$T/runbooks/dc.yaml" <<'YAML'
runbook: dc
title: 被災対応 / Disaster response
owner: role:it-lead
activation:
  - source: mon
    match: {kind: down}
    mode: confirm
    confirm_by: role:it-lead
    key: "{{trigger.site}}"
steps:
  - id: call
    title: 呼び出し
    assign: role:it-lead
    escalate_after: 1s
  - id: nag
    title: 催促
    assign: role:operator
    remind: 1s
  - id: late
    title: 期限
    assign: role:operator
    timeout: 1s
    on_timeout: fail
YAML
# The timers follow the test clock; the sink is up before the daemon.
wait_file "$T/sink.ready"
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1
# sinkq 'jq filter': over the array of the sink's records; at(PATH) and
# types(PATH) pick a path's records and their event types.
sinkq() {
	touch "$T/sink.log"
	jq -rsc 'def at($p): map(select(.path == $p));
	    def types($p): [at($p)[].body | fromjson | .type]; '"$1" "$T/sink.log"
}
# has CHANNEL TEXT: a notification to the channel's path contains TEXT.
has() {
	touch "$T/sink.log"
	jq -se --arg p "/$1" --arg s "$2" \
	    'any(.[] | select(.path == $p) | .body | fromjson | .text; contains($s))' \
	    "$T/sink.log" >/dev/null
}
none_pending() { [ "$("$KZ" --json notifications --pending | jq 'length')" = 0 ]; }
post() {
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	    --data "$1" "http://127.0.0.1:$HPORT/v1/hooks/mon"
}

expect_eq "a trigger is accepted" "$(post '{"kind": "down", "site": "東京"}')" "202"
wait_for "pending confirmation is announced with who may confirm" 20 has ops '【発動確認】被災対応 / Disaster response（#1）の発動基準を満たしました。@田中 太郎 @鈴木 花子 @佐藤 次郎 確認してください: keizoku confirm 1'
wait_for "in English on the English channel" 20 has en 'Pending confirmation: 被災対応 / Disaster response (#1); confirm with: keizoku confirm 1 @田中 太郎 @鈴木 花子 @佐藤 次郎'
expect_eq "the same trigger again joins" "$(post '{"kind": "down", "site": "東京"}')" "202"
wait_for "trigger repeated" 20 has ops '【再通知】#1 被災対応 / Disaster response: 発動条件の通知が再度届きました（repeat）'
expect_rc "tanaka confirms" 0 as_uid 1101 "$KZ" confirm 1
wait_for "confirmation activates" 20 has ops '【発動】被災対応 / Disaster response（#1）を発動しました。'
wait_for "step ready to its assignee (the primary)" 20 has ops '【対応依頼】#1 呼び出し @田中 太郎'
advance 1s	# escalate_after, remind and timeout (1s) fall due
wait_for "escalated to the first deputy" 20 has ops '【エスカレーション】#1 呼び出し は応答がないため @鈴木 花子 に回しました'
wait_for "escalation in English" 20 has en 'Escalated: #1 呼び出し (no answer) to @鈴木 花子'
wait_for "reminder to the assignee" 20 has ops '【リマインド】#1 催促 @佐藤 次郎'
wait_for "overdue to the owner" 20 has ops '【期限超過】#1 期限 @田中 太郎 @鈴木 花子 @佐藤 次郎'
wait_for "failed (on_timeout fail) to the owner" 20 has ops '【失敗】#1 期限 @田中 太郎 @鈴木 花子 @佐藤 次郎'
expect_rc "close" 0 "$KZ" close 1 --force
wait_for "closed" 20 has ops '【発動解除】被災対応 / Disaster response（#1）を解除しました。'

expect_eq "another trigger is accepted" "$(post '{"kind": "down", "site": "大阪"}')" "202"
wait_for "the second pending incident is announced" 20 has ops '（#2）の発動基準を満たしました'
expect_rc "tanaka dismisses it" 0 as_uid 1101 "$KZ" dismiss 2 --note "誤報"
wait_for "dismissed" 20 has ops '【発動見送り】被災対応 / Disaster response（#2）'
wait_for "every notification is delivered" 20 none_pending
expect_eq "\"step.*\" routes only step events" \
    "$(sinkq 'types("/steps") | unique')" \
    '["step.escalated","step.failed","step.overdue","step.ready","step.reminder"]'
expect_eq "a channel routed no events hears nothing" "$(sinkq 'at("/quiet") | length')" "0"
expect_eq "unnamed channels hear everything, each event once per channel" \
    "$(sinkq '[(at("/ops") | length) == (at("/en") | length), ([.[].headers["webhook-id"]] | unique | length) == length]')" '[true,true]'
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" "0"
exit $_failed
