#!/bin/bash
# Issue 14, items 9, 10, 12 and 13: what people read about an incident.
# Step titles with templates are rendered in show, inbox, the report and
# notifications; an approval's condition and the later resolution note
# are kept apart; reports and notifications use the config's timezone
# (default Asia/Tokyo) and name people ("田中 太郎 (tanaka)"); the trigger
# prints as readable JSON (35.7, not 35.700000000000003); an anticipated
# exception measure is requested by the runbook's responsible member, not
# by whatever activated the incident.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
SINK_PORT=$(free_port)
export KZ_TEST_WEB_SECRET=incident-texts-web-secret-0123456789
BOARD_TOKEN=incident-texts-board-token-0123456789
board() { curl -s -H "Authorization: Bearer $BOARD_TOKEN" "$URL/board" >"$T/board.html"; }
write_config "sources:
  mon: {format: json, auth: {none: true}}
channels:
  ops: {type: webhook, url: \"http://127.0.0.1:$SINK_PORT/ops\", retry: [1h]}
exceptions: {approver_role: it-lead}
web: {base_url: \"$URL\", secret: \"env:KZ_TEST_WEB_SECRET\"}
tokens:
  - {member: tanaka, sha256: \"$(sha256 "$BOARD_TOKEN")\"}"
cat >"$T/runbooks/t.yaml" <<'YAML'
runbook: t
title: 表示の確認 / Texts
owner: role:it-lead
vars: {site: osaka}
activation:
  - {source: mon, match: {kind: quake}}
steps:
  - id: first
    title: "最初の確認 {{vars.site}} / First check at {{vars.site}}"
    assign: role:operator
    timeout: 1h
  - id: exc
    type: exception
    with: {title: "入室制限の緩和（{{vars.site}}）", policy: 基準 3.1.1, reason: 要員不足, revert_by: 72h}
YAML
python3 "$KZ_TOP/tests/integration/sink.py" --port "$SINK_PORT" --log "$T/sink.jsonl" \
    --ready "$T/sink.ready" >"$T/sink.log" 2>&1 &
_pids="$_pids $!"
for _i in $(seq 100); do [ -e "$T/sink.ready" ] && break; sleep 0.05; done
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1

printf '{"kind": "quake", "magnitude": 35.7, "depth_km": 10.1}' >"$T/trig.json"
code=$(post /v1/hooks/mon "$T/trig.json")
expect_eq "the monitoring trigger starts incident 1" "$code:$(jq -c .incidents "$T/resp")" '202:[1]'

# --- templated titles ---
title='最初の確認 osaka / First check at osaka'
expect_eq "show --json renders the step title" "$("$KZ" --json show 1 | jq -r '.steps[0].title')" "$title"
check "show's table too" sh -c "'$KZ' show 1 | grep -qF '$title'"
check "and never the raw template" sh -c "! '$KZ' show 1 | grep -qF '{{'"
expect_eq "the inbox row" "$(as_uid 1103 "$KZ" --json inbox | jq -r '.[] | select(.step == "first") | .title')" "$title"
board
check "the board renders it" grep -qF "$title" "$T/board.html"
check "never the raw template" sh -c "! grep -qF '{{' '$T/board.html'"
check "the board's clock is Tokyo's (03:12Z is 12:12)" grep -q '12:12 (Asia/Tokyo)' "$T/board.html"
wait_for "the step's call reached the channel, rendered" 10 sh -c "jq -r '.body | fromjson | .text' '$T/sink.jsonl' | grep -qF '【対応依頼】#1 $title'"

# --- the trigger, readably ---
"$KZ" show 1 >"$T/show.txt"
check "show prints the trigger indented, 35.7 as sent" grep -qE '^ +"magnitude": 35\.7,$' "$T/show.txt"
check "no float noise" sh -c "! grep -q 35.700000000000003 '$T/show.txt'"
check "--json too" sh -c "'$KZ' --json show 1 | grep -q '\"magnitude\": 35.7,'"

# --- the anticipated exception's requester ---
expect_eq "requested by the it-lead primary, not by hook:mon" "$("$KZ" --json exceptions | jq -r '.[0].requested_by')" tanaka
expect_eq "its title is rendered too" "$("$KZ" --json exceptions | jq -r '.[0].title')" "入室制限の緩和（osaka）"

# --- each decision keeps its note ---
expect_rc "suzuki approves, on a condition" 0 as_uid 1102 "$KZ" exception approve 1 --note "職員同行を条件に承認"
"$KZ" _clock --advance 2h >/dev/null
expect_rc "tanaka reverts it, with a note of his own" 0 as_uid 1101 "$KZ" exception resolve 1 --reverted --note "入室権限を元に戻した"
expect_eq "exceptions --json keeps both notes" "$("$KZ" --json exceptions | jq -r '.[0] | "\(.decision_note)|\(.resolution_note)"')" "職員同行を条件に承認|入室権限を元に戻した"
"$KZ" exceptions >"$T/exc.txt"
check "the table shows the condition" grep -q 'approved: 職員同行を条件に承認' "$T/exc.txt"
check "and the resolution" grep -q 'reverted: 入室権限を元に戻した' "$T/exc.txt"
wait_for "the approval notice carries the condition and the local revert-by" 10 sh -c \
    "jq -r '.body | fromjson | select(.type == \"exception.approved\") | .text' '$T/sink.jsonl' | grep -q '2026-11-23 12:12 JST までに解除してください。職員同行を条件に承認'"

# --- the report: local times, names, notes, titles ---
expect_rc "sato finishes the check" 0 as_uid 1103 "$KZ" done 1 first --note "異常なし"
"$KZ" report 1 >"$T/r.md"
check "the report's times are in Asia/Tokyo (03:12Z is 12:12)" grep -q '2026-11-20 12:12:00 +09:00' "$T/r.md"
check "it says which zone" grep -q 'Asia/Tokyo' "$T/r.md"
check "it names people: 佐藤 次郎 (sato) did the check" grep -q '佐藤 次郎 (sato)' "$T/r.md"
check "鈴木 花子 (suzuki) approved" grep -q '鈴木 花子 (suzuki)' "$T/r.md"
check "the condition is in the report" grep -q '職員同行を条件に承認' "$T/r.md"
check "beside the resolution note" grep -q '入室権限を元に戻した' "$T/r.md"
check "the step title is rendered" grep -qF "$title" "$T/r.md"
check "the trigger document without float noise" sh -c "grep -q '\"magnitude\": 35.7' '$T/r.md' && ! grep -q 35.700000000000003 '$T/r.md'"
expect_eq "report --json names the zone and the people" "$("$KZ" --json report 1 --format json | jq -r '.timezone + " " + .people.tanaka')" "Asia/Tokyo 田中 太郎"

# --- another zone, and a zone that does not exist ---
stop_kzd
cat >>"$T/keizokud.yaml" <<'YAML'
timezone: UTC
YAML
KEIZOKU_TEST_CLOCK=2026-11-20T06:00:00Z start_kzd || exit 1
"$KZ" report 1 >"$T/r2.md"
check "timezone: UTC writes the same instant as 03:12 +00:00" grep -q '2026-11-20 03:12:00 +00:00' "$T/r2.md"
board
check "and the board's clock follows it (06:00 UTC)" grep -q '06:00 (UTC)' "$T/board.html"
# The board reads open incidents 16 ids at a time: real ones first, then
# drills, the newest first in each; past a batch, none left out.
for i in $(seq 20); do "$KZ" activate t >/dev/null; done
for i in 1 2 3; do "$KZ" activate t --drill >/dev/null; done
board
want=$("$KZ" --json incidents | jq -r '[(map(select(.drill | not)) | sort_by(-.id)), (map(select(.drill)) | sort_by(-.id))] | flatten | map(.id) | join(" ")')
expect_eq "the board shows every open incident, real ones then drills, newest first" \
    "$(grep -o 'id="inc-[0-9]*"' "$T/board.html" | grep -o '[0-9][0-9]*' | paste -sd ' ')" "$want"
check "past one batch: 20 real and 3 drills at least" sh -c "[ \$(echo '$want' | wc -w) -ge 23 ]"
stop_kzd
sed -i 's|^timezone: UTC$|timezone: Asia/Tokio|' "$T/keizokud.yaml"
expect_rc "-t refuses an unknown time zone" 1 "$KZD" -t -c "$T/keizokud.yaml"
check "and says where" grep -q "keizokud.yaml:[0-9]*:11: unknown time zone \"Asia/Tokio\"" "$T/out"
check "no sanitizer report in the daemon's log" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$T/kzd.log'"
exit $_failed
