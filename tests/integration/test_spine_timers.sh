#!/bin/bash
# Issue 2, items 4 and 6: escalation, reminders, timeouts, driven by the
# test clock; a kill -9 with a timer falling due while the daemon is down.
. "$(dirname "$0")/lib.sh"
write_config
cat >"$T/runbooks/t.yaml" <<'YAML'
runbook: timers
title: タイマー / Timers
owner: role:it-lead
steps:
  - id: call
    title: 呼び出し
    assign: role:it-lead
    escalate_after: 1s
    remind: 1s
  - id: slow
    title: 期限付き
    assign: role:operator
    timeout: 1s
    on_timeout: fail
  - id: lenient
    title: スキップされる
    assign: role:operator
    timeout: 1s
    on_timeout: skip
  - id: pause
    type: wait
    with: {duration: 1s}
YAML
cat >"$T/runbooks/crash.yaml" <<'YAML'
runbook: crash
steps:
  - id: later
    assign: role:operator
    timeout: 2s
    on_timeout: fail
YAML
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1
"$KZ" activate timers >/dev/null
step_is() { [ "$("$KZ" --json show "$1" | jq -r ".steps[$2].$3")" = "$4" ]; }
advance 1s
check "escalated to the first deputy" step_is 1 0 assignee suzuki
check "timeout with on_timeout fail fails the step" step_is 1 1 state failed
check "timeout with on_timeout skip skips" step_is 1 2 state skipped
check "a wait step completes by itself" step_is 1 3 state done
advance 1s
check "then to the second deputy" step_is 1 0 assignee sato
log=$("$KZ" --json log 1)
expect_eq "escalations are logged" "$(echo "$log" | jq '[.[] | select(.type == "step.escalated")] | length >= 2')" "true"
expect_eq "reminders repeat" "$(echo "$log" | jq '[.[] | select(.type == "step.reminder")] | length >= 2')" "true"
expect_eq "overdue is logged" "$(echo "$log" | jq '[.[] | select(.type == "step.overdue")] | length >= 2')" "true"
# Escalation fires at its due time, to the second.
lag=$(echo "$log" | jq '([.[] | select(.type == "step.escalated") | .at][0] | fromdateiso8601) -
    ([.[] | select(.type == "step.ready" and .step == "call") | .at][0] | fromdateiso8601)')
expect_eq "the first escalation fired at its due time (1s after ready)" "$lag" "1"
"$KZ" ack 1 call >/dev/null
nrem() { "$KZ" --json log 1 | jq '[.[] | select(.type == "step.reminder" or .type == "step.escalated")] | length'; }
n1=$(nrem)
advance 3s
expect_eq "an ack stops reminders and escalation" "$(nrem)" "$n1"

# kill -9, with 'later' (timeout 2s) falling due while the daemon is down.
"$KZ" activate crash >/dev/null
expect_eq "later is ready before the crash" "$("$KZ" --json show 2 | jq -r '.steps[0].state')" "ready"
kill9_kzd
# The clock stood at 03:12:05; the daemon is down for 3s.
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:08Z start_kzd || exit 1
expect_eq "after restart the overdue timer fired at once" "$("$KZ" --json show 2 | jq -r '.steps[0].state')" "failed"
expect_eq "the other incident's steps are intact" "$("$KZ" --json show 1 | jq -c '[.steps[].state]')" '["acked","failed","skipped","done"]'
expect_rc "the hash chain is intact after kill -9" 0 "$KZ" verify
if [ "${KZ_STORE:-sqlite}" = sqlite ]; then
	check "integrity_check ok" sh -c "sqlite3 '$T/state/keizoku.db' 'PRAGMA integrity_check' | grep -qx ok"
else
	check "the events are in PostgreSQL after kill -9" \
	    [ "$(kz_sql "SELECT count(*) FROM events")" -gt 0 ]
fi
stop_kzd
expect_eq "SIGTERM exits 0 (under valgrind: no errors, no leaks)" "$KZD_RC" "0"

# On the real clock: a commit that writes no timer leaves the armed one
# as it is (the daemon does not read the table again), and it fires.
# No deadline is raced: the wait only bounds a hung daemon.
cat >"$T/runbooks/real.yaml" <<'YAML'
runbook: real
steps:
  - {id: call, assign: role:it-lead, escalate_after: 1s}
YAML
cat >"$T/runbooks/quiet.yaml" <<'YAML'
runbook: quiet
steps:
  - {id: note, assign: role:operator}
YAML
start_kzd || exit 1
"$KZ" activate real >/dev/null
id=$("$KZ" --json incidents | jq '[.[] | select(.runbook == "real")][0].id')
for i in 1 2 3 4 5; do "$KZ" activate quiet >/dev/null; done
escalated() { "$KZ" --json log "$id" | jq -e 'any(.[]; .type == "step.escalated")'; }
wait_for "an escalation armed before commits that wrote no timer fires" 60 escalated
stop_kzd
exit $_failed
