#!/bin/bash
# Issue 20, item 3: handover at turn boundaries while an incident is open
# (SPEC §16), with the test clock: the role's open steps move to the
# incoming team (an acknowledged one too; one handed to a member by name
# stays), each incoming member gets one rota.turn_started and one
# rota.handover naming the open work, the outgoing do not; a boundary
# passed while keizokud was down (killed with -9 right after one) is
# handed over once at start-up, and a further restart hands nothing over
# twice. Rota ops: team a [tanaka, ito] / team b [suzuki, sato], daily at
# 09:00 JST (00:00Z).
. "$(dirname "$0")/lib.sh"
cat >"$T/roster.yaml" <<'YAML'
members:
  - {id: tanaka, name: 田中 太郎, unix_user: "1101", contacts: [{channel: ops, mention: "<@TANAKA>"}]}
  - {id: suzuki, name: 鈴木 花子, unix_user: "1102", contacts: [{channel: ops, mention: "<@SUZUKI>"}]}
  - {id: sato, name: 佐藤 次郎, unix_user: "1103", contacts: [{channel: ops, mention: "<@SATO>"}]}
  - {id: ito, name: 伊藤 一郎, unix_user: "1105", contacts: [{channel: ops, mention: "<@ITO>"}]}
teams:
  - {id: a, title: A班, members: [tanaka, ito]}
  - {id: b, title: B班, members: [suzuki, sato]}
rotas:
  - {id: ops, title: 運用 交代制, teams: [a, b], start: "2026-12-07T09:00:00+09:00", turn: 1d}
roles:
  - {id: it-lead, title: 責任者, members: [tanaka, suzuki, sato], rota: ops}
  - {id: operator, title: 担当者, members: [ito, sato], rota: ops}
YAML
write_config 'channels:
  ops: {type: slack, url: "http://127.0.0.1:9/hooks/ops", retry: [1h]}'
cat >"$T/runbooks/long.yaml" <<'YAML'
runbook: long
title: 長期対応 / Long incident
owner: role:it-lead
steps:
  - id: lead
    title: 指揮 / Lead
    assign: role:it-lead
    timeout: 2d
  - id: ops
    title: 運用 / Operate
    assign: role:operator
  - id: named
    title: 指名作業 / Named task
    assign: tanaka
  - id: call
    title: 参集 / Call
    type: assemble
    with: {roles: {operator: 2}, escalate_after: 3d}
YAML
sql() { kz_sql "$1"; }
assignee() { "$KZ" --json show 1 | jq -r --arg s "$1" '.steps[] | select(.id == $s) | (.acked_by // .assignee) + ":" + .state'; }
# notes EVENT: "member:count" of the event's notifications, sorted.
notes() { sql "SELECT recipient || ':' || count(*) FROM notifications WHERE event = '$1' GROUP BY recipient ORDER BY recipient" | tr '\n' ' '; }

KEIZOKU_TEST_CLOCK=2026-12-07T23:50:00Z start_kzd || exit 1
"$KZ" activate long >/dev/null
expect_eq "team a's tanaka leads" "$(assignee lead)" "tanaka:ready"
expect_eq "team a's ito operates" "$(assignee ops)" "ito:ready"
"$KZ" ack 1 ops --as ito >/dev/null
"$KZ" exception add 1 --title 私物端末の一時利用 --policy 基準8.1.1 --reason 端末不足 --revert-by 72h >/dev/null
expect_eq "ito took it" "$(assignee ops)" "ito:acked"
expect_eq "no turn has started yet" "$(notes rota.turn_started)" ""

# --- the boundary at 09:00 JST on the 8th: team b comes on ---
advance 15m
expect_eq "lead moved to team b's suzuki" "$(assignee lead)" "suzuki:ready"
expect_eq "the acknowledged step moved to sato, to take anew" "$(assignee ops)" "sato:ready"
expect_eq "the step named for tanaka stays" "$(assignee named)" "tanaka:ready"
expect_eq "rota.turn_started once to each of team b" "$(notes rota.turn_started)" "sato:1 suzuki:1 "
expect_eq "rota.handover once to each of team b" "$(notes rota.handover)" "sato:1 suzuki:1 "
txt=$(sql "SELECT text FROM notifications WHERE event = 'rota.handover' AND recipient = 'suzuki'")
check "the handover names the incident" grep -q '#1 長期対応' <<<"$txt"
check "... its open steps with assignees and deadlines" grep -q '指揮 / Lead（担当 suzuki、期限 2026-12-10 08:50）' <<<"$txt"
check "... and mentions the member" grep -q '<@SUZUKI>' <<<"$txt"
check "... the waiting call-outs" grep -q -- '- ito（operator）' <<<"$txt"
check "... open exception measures with their revert-by" grep -q '私物端末の一時利用（復帰期限 2026-12-11 08:50）' <<<"$txt"
expect_eq "the incident's log has the handover and the moves" "$("$KZ" --json log 1 | jq -c '[.[] | select(.type == "rota.handover" or (.type == "step.assigned" and .data.reason == "rota.handover")) | .type]')" '["step.assigned","step.assigned","rota.handover"]'
advance 1h
expect_eq "nothing more within the turn" "$(notes rota.handover)" "sato:1 suzuki:1 "

# --- killed right after the next boundary: handed over once ---
advance 23h
expect_eq "back to team a at the next boundary" "$(assignee lead)" "tanaka:ready"
expect_eq "team a's handover, once each" "$(notes rota.handover)" "ito:1 sato:1 suzuki:1 tanaka:1 "
kill9_kzd
KEIZOKU_TEST_CLOCK=2026-12-09T00:20:00Z start_kzd || exit 1
expect_eq "a restart within the turn hands nothing over again" "$(notes rota.handover)" "ito:1 sato:1 suzuki:1 tanaka:1 "
expect_eq "lead stays with tanaka" "$(assignee lead)" "tanaka:ready"

# --- down across a boundary: handed over once at start-up ---
kill9_kzd
KEIZOKU_TEST_CLOCK=2026-12-10T03:00:00Z start_kzd || exit 1
expect_eq "the boundary passed while down is handed over at start" "$(assignee lead)" "suzuki:ready"
expect_eq "... once" "$(notes rota.handover)" "ito:1 sato:2 suzuki:2 tanaka:1 "
kill9_kzd
KEIZOKU_TEST_CLOCK=2026-12-10T03:05:00Z start_kzd || exit 1
expect_eq "... and not again after another restart" "$(notes rota.handover)" "ito:1 sato:2 suzuki:2 tanaka:1 "
# Two boundaries passed while down: only the turn in force is handed over.
kill9_kzd
KEIZOKU_TEST_CLOCK=2026-12-12T01:00:00Z start_kzd || exit 1
expect_eq "two boundaries down: one handover, to the team on turn (b)" "$(notes rota.handover)" "ito:1 sato:3 suzuki:3 tanaka:1 "
expect_eq "rota.turn_started in the audit log, once per turn handled" "$(sql "SELECT count(*) FROM events WHERE type = 'rota.turn_started'")" 4
check "the hash chain verifies" "$KZ" verify
stop_kzd
if grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$T/kzd.log"; then
	nok "sanitizer report in the log"
else
	ok "no sanitizer report"
fi
exit $_failed
