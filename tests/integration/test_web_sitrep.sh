#!/bin/bash
# Issue 13: situation reports (第N報) from the CLI: numbered, stored, what
# changed since the previous one, printable HTML, sent by a shared chat
# channel and by e-mail to the owner's members; shared channels carry the
# incident page's link and never a personal one, a direct-message hook
# carries the member's own; the new config and roster keys are checked
# by keizokud -t with their positions.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
. "$KZ_TOP/tests/integration/lib-web.sh"
start_smtpd || { nok "smtpd did not start"; exit 1; }
SINK_PORT=$(free_port)
"$PY" "$KZ_TOP/tests/integration/sink.py" --port "$SINK_PORT" --log "$T/sink.log" --ready "$T/sink.ready" &
_pids="$_pids $!"
S=http://127.0.0.1:$SINK_PORT
# An MTA without TLS that would take a password in clear.
PLAIN_PORT=$(free_port)
$SMTPD --port "$PLAIN_PORT" --log "$T/plain.log" --ready "$T/plain.ready" \
    --auth "$SMTP_USER:$SMTP_PASS" >>"$T/smtpd.log" 2>&1 &
_pids="$_pids $!"
cat >"$T/roster.yaml" <<'YAML'
members:
  - {id: tanaka, name: 田中 太郎, unix_user: "1101", email: tanaka@example.go.jp}
  - id: sato
    name: 佐藤 次郎
    unix_user: "1103"
    phone: "+81-90-0000-0000"
    contacts: [{channel: ops, mention: "<@USATO>"}, {channel: sato-dm, direct: true}]
roles:
  - {id: it-lead, title: 情報システム責任者, members: [tanaka]}
  - {id: operator, title: 運用担当, members: [sato]}
YAML
write_config "$(web_config)
  ops: {type: slack, url: \"$S/ops\"}
  sato-dm: {type: slack, url: \"$S/dm-sato\"}
  plainmail: {type: email, smtp_url: \"smtp://127.0.0.1:$PLAIN_PORT\", from: \"keizoku@example.go.jp\", username: \"env:SMTP_USER\", password: \"env:SMTP_PASS\", retry: [1h]}
notify:
  - {channel: plainmail, events: [sitrep.issued]}"
cat >"$T/runbooks/fail.yaml" <<'YAML'
runbook: failover
title: 代替サイト切替 / Failover
kind: failover
owner: role:it-lead
steps:
  - id: decide
    title: 切替の判断 / Decide
    assign: role:it-lead
  - id: switch
    title: 切替作業 / Switch
    needs: [decide]
    assign: role:operator
YAML
wait_file "$T/sink.ready"
export KEIZOKU_TEST_CLOCK=2026-12-07T00:00:00Z
start_kzd || exit 1
INC=$("$KZ" --json activate failover | jq -r .incident)

# --- reports ---
"$KZ" sitrep "$INC" >"$T/r1.md"
check "第1報" grep -q '^# 第1報 #1 代替サイト切替' "$T/r1.md"
check "in local time (09:00 in Tokyo)" grep -q '12/07 09:00（Asia/Tokyo）発表' "$T/r1.md"
check "since activation" grep -q '発動からの経過' "$T/r1.md"
check "open steps listed" grep -q '切替の判断 / Decide — ready — 田中 太郎' "$T/r1.md"
"$KZ" _clock --advance 20m >/dev/null
"$KZ" --as tanaka done "$INC" decide --note "大阪へ切替" >/dev/null
"$KZ" sitrep "$INC" >"$T/r2.md"
check "第2報" grep -q '^# 第2報' "$T/r2.md"
check "what changed since 第1報" grep -q '前報（12/07 09:00）からの変化' "$T/r2.md"
check "the change itself, by whom (a name)" grep -q '12/07 09:20 田中 太郎 (by root): step.done decide: 大阪へ切替' "$T/r2.md"
check "done steps" grep -q '切替の判断 / Decide（完了 done）田中 太郎 12/07 09:20' "$T/r2.md"
expect_eq "each report is stored with its number" "$(sql 'SELECT n FROM sitreps WHERE incident = 1 ORDER BY n' | paste -sd,)" "1,2"
expect_eq "and logged" "$("$KZ" log "$INC" --json | jq '[.[] | select(.type == "sitrep.issued")] | length')" 2
"$KZ" sitrep "$INC" --format html >"$T/r3.html"
check "printable HTML" grep -q '<!DOCTYPE html>' "$T/r3.html"
check "第3報 in HTML" grep -q '<h1>第3報' "$T/r3.html"
expect_rc "an unknown format is refused" 1 "$KZ" sitrep "$INC" --format pdf
expect_rc "an unknown channel is refused" 1 "$KZ" sitrep "$INC" --send nowhere
expect_eq "refusals store nothing" "$(sql 'SELECT count(*) FROM sitreps')" 3
expect_rc "an unknown incident" 1 "$KZ" sitrep 99

# --- sent by a shared channel and by mail ---
"$KZ" sitrep "$INC" --send ops >/dev/null
wait_for "第4報 posted to the shared channel" 10 sh -c "jq -e 'select(.path == \"/ops\") | .body | fromjson | .text | contains(\"第4報\")' '$T/sink.log'"
"$KZ" sitrep "$INC" --send mail >/dev/null
check "第5報 mailed to the owner's member" wait_mail tanaka@example.go.jp 1
expect_eq "its subject" "$(mails -r '[.[] | select(.rcpt_tos == ["tanaka@example.go.jp"])] | last | .subject')" "# 第5報 #1 代替サイト切替 / Failover"

"$KZ" sitrep "$INC" --send plainmail >/dev/null
wait_for "a server without STARTTLS never gets the password: the attempt fails" 15 sh -c \
    "$KZ notifications --json | jq -e '[.[] | select(.channel == \"plainmail\" and .attempts >= 1 and .state == \"pending\")] | length == 1'"
expect_eq "and says why" "$("$KZ" notifications --json | jq -r '[.[] | select(.channel == "plainmail")][0].last_error | test("SSL|TLS|STARTTLS"; "i")')" true
check "nothing reached that server" test ! -s "$T/plain.log"

# --- links: shared channels get the page, a direct hook the member's own ---
wait_for "the step call reaches sato's direct hook" 10 sh -c "grep -q '/dm-sato' '$T/sink.log'"
DM=$(jq -r 'select(.path == "/dm-sato") | .body | fromjson | .text' "$T/sink.log")
case "$DM" in *"$URL/r/r1.sato.1."*) ok "the direct hook carries sato's personal link" ;;
	*) nok "the direct hook carries sato's personal link: $DM" ;; esac
expect_eq "no personal link in any shared message" \
    "$(jq -r 'select(.path == "/ops") | .body' "$T/sink.log" | grep -c '/r/')" 0
check "shared messages link the incident page" sh -c "jq -r 'select(.path == \"/ops\") | .body' '$T/sink.log' | grep -q '$URL/i/1|#1 を開く'"
expect_eq "notifications name the recipient of personal ones" \
    "$("$KZ" notifications --json | jq -r '[.[] | select(.channel == "sato-dm") | .to] | unique | join(",")')" sato
expect_eq "and keep the personal link out of their text" \
    "$("$KZ" notifications --json | jq '[.[] | select(.text | contains("/r/"))] | length')" 0
stop_clean

# --- the new keys, checked with positions ---
cp "$T/keizokud.yaml" "$T/good.yaml"
sed -i 's/secret: "env:KEIZOKU_WEB_SECRET"/secret: "short", linkttl: 1h/' "$T/keizokud.yaml"
"$KZD" -t -c "$T/keizokud.yaml" >"$T/t.out" 2>&1
check "a short web secret is an error with its position" grep -q 'keizokud.yaml:[0-9]*:[0-9]*: .*at least 16 characters' "$T/t.out"
check "an unknown web key too" grep -q 'keizokud.yaml:[0-9]*:[0-9]*: unknown key "linkttl" in web' "$T/t.out"
cp "$T/good.yaml" "$T/keizokud.yaml"
sed -i 's|smtp_url: "smtp://|smtp_url: "http://|; s|from: "keizoku@example.go.jp"|from: "keizoku <x@y>"|' "$T/keizokud.yaml"
"$KZD" -t -c "$T/keizokud.yaml" >"$T/t.out" 2>&1
check "smtp_url must be smtp:// or smtps://" grep -q 'smtp_url must start with smtp://' "$T/t.out"
check "from must be a plain address" grep -q 'from must be a plain address' "$T/t.out"
cp "$T/good.yaml" "$T/keizokud.yaml"
sed -i 's|{id: tanaka, name: 田中 太郎, unix_user: "1101", email: tanaka@example.go.jp}|{id: tanaka, name: 田中 太郎, email: "tanaka@example.go.jp, evil@example.com"}|' "$T/roster.yaml"
"$KZD" -t -c "$T/keizokud.yaml" >"$T/t.out" 2>&1
check "a roster email must be one address" grep -q 'roster.yaml:2:[0-9]*: email must be one plain address' "$T/t.out"
exit $_failed
