#!/bin/bash
# Issue 16: one message per member per change. When one change makes
# several steps of one member ready at once, the member's own channels
# (an e-mail, a direct-message hook) get one message listing them all with
# one personal link, where they got one per step; a step made ready alone
# later is one message as before; a shared channel still hears one
# message per step (its webhook body names the step), and so does a
# member's direct hook of type webhook, and a notify step's message (its
# author's text) stays a message of its own.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
. "$KZ_TOP/tests/integration/lib-web.sh"
SINK="$KZ_TOP/tests/integration/sink.py"
SINK_PORT=$(free_port)
start_smtpd || { nok "smtpd did not start"; exit 1; }
"$PY" "$SINK" --port "$SINK_PORT" --log "$T/sink.log" --ready "$T/sink.ready" &
_pids="$_pids $!"
wait_file "$T/sink.ready" || { nok "sink did not start"; exit 1; }
cat >"$T/roster.yaml" <<'YAML'
members:
  - {id: sato, name: 佐藤 次郎, unix_user: "1103", email: sato@example.go.jp,
     contacts: [{channel: sato-dm, direct: true}]}
  - {id: ito, name: 伊藤 一郎, unix_user: "1105", email: ito@example.go.jp,
     contacts: [{channel: ito-hook, direct: true}]}
  - {id: tanaka, name: 田中 太郎, unix_user: "1101", email: tanaka@example.go.jp}
roles:
  - {id: it-lead, title: 情報システム責任者, members: [tanaka]}
  - {id: operator, title: 運用担当, members: [sato]}
YAML
write_config "$(web_config)
  sato-dm: {type: slack, url: \"http://127.0.0.1:$SINK_PORT/dm/sato\"}
  ito-hook: {type: webhook, url: \"http://127.0.0.1:$SINK_PORT/dm/ito\"}
  ops: {type: webhook, url: \"http://127.0.0.1:$SINK_PORT/ops\"}
notify:
  - {channel: mail, events: [step.*]}
  - {channel: sato-dm, events: [step.*]}
  - {channel: ito-hook, events: [step.*]}
  - {channel: ops, events: [step.ready]}"
cat >"$T/runbooks/dc.yaml" <<'YAML'
runbook: dc
title: "代替サイト切替 / Fail over <!channel>"
owner: role:it-lead
steps:
  - {id: dns, title: DNS 切替 / Switch DNS, assign: sato}
  - {id: db, title: DB 昇格 / Promote the DB, assign: role:operator}
  - {id: lb, title: LB 切替 / Switch the LB, assign: sato}
  - {id: web, title: Web 確認 / Check the web, assign: ito}
  - {id: app, title: AP 確認 / Check the apps, assign: ito}
  - {id: report, title: 報告 / Report, assign: sato, needs: [dns]}
  - {id: decide, title: 方針決定 / Decide, assign: tanaka}
  - {id: page, type: notify, with: {channels: [mail], to: role:operator, text: "至急 / Urgent"}}
YAML
export KEIZOKU_TEST_CLOCK=2026-12-07T00:00:00Z
start_kzd || exit 1

expect_rc "activate" 0 "$KZ" activate dc
INC=1
delivered() {
	"$KZ" notifications --json | jq -e '[.[] | select(.state != "delivered")] | length == 0' >/dev/null
}
wait_for "every notification is delivered" 20 delivered
check "sato's mail arrived" wait_mail sato@example.go.jp 1
check "tanaka's mail arrived" wait_mail tanaka@example.go.jp 1
check "sato's mails arrived" wait_mail sato@example.go.jp 2
expect_eq "sato: one mail for the three steps ready at once, one for the notify step" \
    "$(mail_count sato@example.go.jp)" 2
expect_eq "the notify step's mail is its own, its text the subject" \
    "$(mails -r '[.[] | select(.rcpt_tos == ["sato@example.go.jp"]) | select(.body | contains("DNS") | not)] | first | .subject')" \
    "至急 / Urgent"
M=$(mails '[.[] | select(.rcpt_tos == ["sato@example.go.jp"]) | select(.body | contains("DNS"))] | first')
expect_eq "its subject counts them" \
    "$(echo "$M" | jq -r '.subject | contains("3 steps for you")')" true
expect_eq "its body lists each of the three" \
    "$(echo "$M" | jq -r '[.body | (contains("DNS 切替"), contains("DB 昇格"), contains("LB 切替"))] | all')" true
expect_eq "and no other member's step" \
    "$(echo "$M" | jq -r '.body | contains("Web 確認") or contains("方針決定")')" false
expect_eq "one personal link in it" \
    "$(echo "$M" | jq -r .body | grep -o "$URL/r/[A-Za-z0-9._-]*" | wc -l | tr -d ' ')" 1
expect_eq "ito has no e-mail channel message of sato's" \
    "$(mails '[.[] | select(.rcpt_tos == ["ito@example.go.jp"]) | select(.body | contains("DNS"))] | length')" 0
expect_eq "ito: one mail for the two steps" "$(mail_count ito@example.go.jp)" 1
expect_eq "tanaka: a lone step is one mail, as before" \
    "$(mails -r '[.[] | select(.rcpt_tos == ["tanaka@example.go.jp"])] | first | .subject | contains("steps for you")')" false
expect_eq "the notifications list: four mail rows (sato 2, ito 1, tanaka 1)" \
    "$("$KZ" notifications --json | jq -c '[.[] | select(.channel == "mail")] | length')" 4
expect_eq "sato's direct chat hook: one message too" \
    "$(jq -s '[.[] | select(.path == "/dm/sato")] | length' "$T/sink.log")" 1
expect_eq "listing the three steps" \
    "$(jq -rs '[.[] | select(.path == "/dm/sato")][0].body | fromjson | .text | (contains("DNS 切替") and contains("DB 昇格") and contains("LB 切替"))' "$T/sink.log")" true
expect_eq "the runbook's title is escaped for the chat (no @channel)" \
    "$(jq -rs '[.[] | select(.path == "/dm/sato")][0].body | fromjson | .text | [contains("&lt;!channel&gt;"), contains("<!channel>")] | @tsv' "$T/sink.log")" \
    "$(printf 'true\tfalse')"
expect_eq "ito's direct hook of type webhook: one per step (the body names it)" \
    "$(jq -rs '[.[] | select(.path == "/dm/ito") | .body | fromjson | .step] | sort | join(",")' "$T/sink.log")" "app,web"
expect_eq "the shared channel: one message per step" \
    "$(jq -rs '[.[] | select(.path == "/ops") | .body | fromjson | .step] | sort | join(",")' "$T/sink.log")" \
    "app,db,decide,dns,lb,web"

# A step made ready alone later: one message of its own, naming it.
expect_rc "sato finishes dns" 0 "$KZ" --as sato done $INC dns
wait_for "delivered again" 20 delivered
check "another mail to sato" wait_mail sato@example.go.jp 3
M=$(mails '[.[] | select(.rcpt_tos == ["sato@example.go.jp"])] | last')
expect_eq "it is about the report step alone" \
    "$(echo "$M" | jq -r '[(.body | contains("報告")), (.subject | contains("steps for you"))] | @tsv')" \
    "$(printf 'true\tfalse')"
expect_eq "its row names the step" \
    "$("$KZ" notifications --json | jq -r '[.[] | select(.channel == "mail")] | last | .event')" step.ready
[ -n "${KZ_KEEP_MAIL:-}" ] && cp "$T/mail.log" "$KZ_KEEP_MAIL"
stop_kzd
exit $_failed
