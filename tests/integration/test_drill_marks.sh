#!/bin/bash
# Issue 14, items 3, 5 and 7: drills and real incidents never look alike
# ([訓練 DRILL] in the inbox, exceptions and notifications tables); closing
# a drill disposes of its exception measures (drill-closed, listed apart);
# closing any incident withdraws its queued notifications (cancelled)
# except the closing notice itself, so no stale call-out reaches anyone
# after the end; `drill list` names scenario files, not a pointer.
# Roster (lib.sh): it-lead [tanaka 1101, suzuki, sato], operator [sato
# 1103, ito].
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
SINK_PORT=$(free_port)
export KZ_TEST_WEB_SECRET=drill-marks-web-secret-0123456789
BOARD_TOKEN=drill-board-token-0123456789
write_config "channels:
  ops: {type: webhook, url: \"http://127.0.0.1:$SINK_PORT/ops\", retry: [10m]}
exceptions: {approver_role: it-lead}
web: {base_url: \"$URL\", secret: \"env:KZ_TEST_WEB_SECRET\"}
tokens:
  - {member: tanaka, sha256: \"$(sha256 "$BOARD_TOKEN")\"}"
cat >"$T/runbooks/d.yaml" <<'YAML'
runbook: d
title: 対象業務 / Target
owner: role:it-lead
steps:
  - id: work
    title: 作業 / Work
    assign: role:operator
  - id: exc
    title: 例外措置 / Exception
    type: exception
    with: {title: 入室制限の緩和, policy: 基準 3.1.1, reason: 要員不足, revert_by: 72h}
YAML
mkdir -p "$T/runbooks/scenarios"
cat >"$T/runbooks/scenarios/s.yaml" <<'YAML'
scenario: s
title: 訓練シナリオ
runbook: d
injects:
  - {at: 5m, text: 停電発生}
YAML
# Every notification's first attempt fails (a channel down for a while):
# each waits for its retry 10 minutes later.
python3 "$KZ_TOP/tests/integration/sink.py" --port "$SINK_PORT" --log "$T/sink.jsonl" \
    --ready "$T/sink.ready" --each --fail /ops=1 >"$T/sink.log" 2>&1 &
_pids="$_pids $!"
for _i in $(seq 100); do [ -e "$T/sink.ready" ] && break; sleep 0.05; done
KEIZOKU_TEST_CLOCK=2026-11-20T00:00:00Z start_kzd || exit 1

# sink_types: the event types the sink received (attempts), sorted.
sink_types() { jq -r '.body | fromjson | "\(.incident):\(.type):\(.status // "")"' "$T/sink.jsonl" 2>/dev/null | sort; }
received() { jq -r --argjson i "$1" --arg t "$2" 'select((.body | fromjson) as $b | $b.incident == $i and $b.type == $t) | .status' "$T/sink.jsonl" | tr '\n' ' '; }

expect_rc "a real incident" 0 "$KZ" activate d
expect_rc "a drill of the same runbook" 0 "$KZ" activate d --drill
wait_for "every first attempt reached the sink (and failed)" 10 sh -c "[ \$(wc -l <'$T/sink.jsonl') -ge 8 ]"

# --- the marks ---
as_uid 1103 "$KZ" inbox >"$T/inbox.txt"
expect_eq "sato's inbox marks the drill's step" "$(grep -c '\[訓練 DRILL\]' "$T/inbox.txt")" 1
check "and not the real one's" sh -c "grep -v '訓練' '$T/inbox.txt' | grep -q 'work'"
"$KZ" exceptions --open >"$T/exc.txt"
expect_eq "exceptions --open marks the drill's measure only" "$(grep -c '\[訓練 DRILL\]' "$T/exc.txt")" 1
"$KZ" notifications >"$T/notes.txt"
expect_eq "notifications marks each of the drill's rows" "$(grep -c '\[訓練 DRILL\]' "$T/notes.txt")" 4
expect_eq "and the JSON says drill: true for those" "$("$KZ" --json notifications | jq '[.[] | select(.drill)] | length')" 4

curl -s -H "Authorization: Bearer $BOARD_TOKEN" "$URL/board" >"$T/board.html"
sed -n '/Open exception measures/,/<\/section>/p' "$T/board.html" >"$T/board-exc.html"
expect_eq "the board's open exception measures: the drill's marked, the real one not" \
    "$(grep -o '<tr[^>]*><td>[0-9]*</td><td>[^<]*<b class="tag drillmark">' "$T/board-exc.html" | grep -o '<td>[0-9]*</td>' | tr -d '</td>')" 2
check "two measures on the board" sh -c "[ \$(grep -o '<tr' '$T/board-exc.html' | wc -l) -ge 3 ]"

# --- drill list names files ---
expect_eq "drill list --json gives the scenario's file" "$("$KZ" --json drill list | jq -r '.scenarios[0].file')" "$T/runbooks/scenarios/s.yaml"
check "and the table shows it" sh -c "'$KZ' drill list | grep -q 'scenarios/s.yaml'"

# --- closing: queued notifications withdrawn, bar the closing notice ---
expect_rc "closing with open steps needs a note (or --force)" 1 "$KZ" close 1
check "the refusal names the open steps" grep -q '"work"' "$T/err"
expect_rc "close the real incident with a note" 0 "$KZ" close 1 --note "復旧"
states1=$("$KZ" --json notifications --incident 1 | jq -r '[.[] | "\(.event)=\(.state)"] | sort | join(" ")')
expect_eq "the real incident's call-outs are cancelled; its exception request and closing notice wait" \
    "$states1" "exception.requested=pending incident.activated=cancelled incident.closed=pending step.ready=cancelled step.ready=cancelled"
expect_eq "the withdrawal is in the incident's log" "$("$KZ" --json log 1 | jq -r '.[] | select(.type == "notifications.cancelled") | .data.count')" 3
expect_rc "close the drill with --force" 0 "$KZ" close 2 --force
states2=$("$KZ" --json notifications --incident 2 | jq -r '[.[] | "\(.event)=\(.state)"] | sort | join(" ")')
expect_eq "every one of the drill's is withdrawn but the closing notice" \
    "$states2" "exception.requested=cancelled incident.activated=cancelled incident.closed=pending step.ready=cancelled step.ready=cancelled"
check "the table shows them cancelled" sh -c "'$KZ' notifications --incident 2 | grep -c cancelled | grep -qx 4"
expect_eq "status counts the cancelled ones" "$("$KZ" --json status | jq .notifications.cancelled)" 7

# The channel is back for the retries (10 minutes, give or take the 20%
# jitter): only what still matters goes.
"$KZ" _clock --advance 13m >/dev/null
wait_for "the closing notices are delivered" 10 sh -c "[ \$(jq -r 'select(.status == 200) | .body' '$T/sink.jsonl' | grep -c incident.closed) -eq 2 ]"
wait_for "the real incident's exception request too (it outlives it)" 10 sh -c "[ \"\$(jq -r '.status' '$T/sink.jsonl' | grep -c 200)\" -eq 3 ]"
expect_eq "no call-out was sent again after the close" "$(received 1 step.ready)$(received 2 step.ready)" "500 500 500 500 "
expect_eq "nor the activation notices" "$(received 1 incident.activated)$(received 2 incident.activated)" "500 500 "
expect_eq "nor the drill's exception request" "$(received 2 exception.requested)" "500 "
"$KZ" _clock --advance 2h >/dev/null
sleep 0.5
expect_eq "still nothing more later on" "$(wc -l <"$T/sink.jsonl")" 13

# --- the drill's exception measures end with it ---
expect_eq "the drill's measure is drill-closed" "$("$KZ" --json exceptions --incident 2 | jq -r '.[0].state')" drill-closed
expect_eq "the real one stays requested" "$("$KZ" --json exceptions --incident 1 | jq -r '.[0].state')" requested
expect_eq "exceptions --open lists the real one only" "$("$KZ" --json exceptions --open | jq -c '[.[].incident]')" "[1]"
"$KZ" exceptions >"$T/all.txt"
check "exceptions lists the drill's apart" grep -q 'closed with their drill (1)' "$T/all.txt"
expect_eq "under that heading, marked" "$(sed -n '/closed with their drill/,$p' "$T/all.txt" | grep -c '\[訓練 DRILL\]')" 2
expect_eq "the drill's log says why" "$("$KZ" --json log 2 | jq -r '.[] | select(.type == "exception.drill_closed") | .data.exception')" 2
expect_eq "its reminders are gone" "$(sqlite3 "$T/state/keizoku.db" "select count(*) from timers where step = 'exception:2'")" 0
expect_rc "a drill-closed measure cannot be approved" 1 as_uid 1101 "$KZ" exception approve 2

# --- a closed incident shows no live deadline ---
"$KZ" show 1 >"$T/show.txt"
check "no 'overdue' or 'in ...' in a closed incident" sh -c "! grep -E 'overdue|in [0-9]' '$T/show.txt'"
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" 0
check "no sanitizer report in the daemon's log" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$T/kzd.log'"
exit $_failed
