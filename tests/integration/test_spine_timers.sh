#!/bin/bash
# Issue 2, items 4 and 6: escalation, reminders, timeouts with real time;
# a kill -9 with a timer falling due while the daemon is down.
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
start_kzd || exit 1
"$KZ" activate timers >/dev/null
st() { "$KZ" --json show 1 | jget "$1"; }
step_is() { "$KZ" --json show "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(d['steps'][$2]['$3'] != '$4')"; }
wait_for "escalated to the first deputy" 5 step_is 1 0 assignee suzuki
wait_for "then to the second deputy" 5 step_is 1 0 assignee sato
wait_for "timeout with on_timeout fail fails the step" 5 sh -c "'$KZ' --json show 1 | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d[\"steps\"][1][\"state\"]!=\"failed\")'"
wait_for "timeout with on_timeout skip skips" 5 sh -c "'$KZ' --json show 1 | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d[\"steps\"][2][\"state\"]!=\"skipped\")'"
wait_for "a wait step completes by itself" 5 sh -c "'$KZ' --json show 1 | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d[\"steps\"][3][\"state\"]!=\"done\")'"
log=$("$KZ" --json log 1)
expect_eq "escalations are logged" "$(echo "$log" | jget 'len([e for e in d if e["type"]=="step.escalated"]) >= 2')" "true"
expect_eq "reminders repeat" "$(echo "$log" | jget 'len([e for e in d if e["type"]=="step.reminder"]) >= 2')" "true"
expect_eq "overdue is logged" "$(echo "$log" | jget 'len([e for e in d if e["type"]=="step.overdue"]) >= 2')" "true"
# Escalation fires within a second of its due time.
lag=$(echo "$log" | python3 -c '
import json,sys,datetime
d=json.load(sys.stdin)
t=lambda s: datetime.datetime.fromisoformat(s.replace("Z","+00:00")).timestamp()
r=[t(e["at"]) for e in d if e["type"]=="step.ready" and e["step"]=="call"][0]
e=[t(e["at"]) for e in d if e["type"]=="step.escalated"][0]
print("ok" if 1.0 <= e-r < 2.0 else "lag %.3f" % (e-r))')
expect_eq "the first escalation fired within a second of due" "$lag" "ok"
"$KZ" ack 1 call >/dev/null
n1=$("$KZ" --json log 1 | jget 'len([e for e in d if e["type"] in ("step.reminder","step.escalated")])')
sleep 2.2
n2=$("$KZ" --json log 1 | jget 'len([e for e in d if e["type"] in ("step.reminder","step.escalated")])')
expect_eq "an ack stops reminders and escalation" "$n2" "$n1"

# kill -9, with 'later' (timeout 2s) falling due while the daemon is down.
"$KZ" activate crash >/dev/null
expect_eq "later is ready before the crash" "$("$KZ" --json show 2 | jget 'd["steps"][0]["state"]')" "ready"
kill9_kzd
sleep 2.5
start_kzd || exit 1
expect_eq "after restart the overdue timer fired at once" "$("$KZ" --json show 2 | jget 'd["steps"][0]["state"]')" "failed"
expect_eq "the other incident's steps are intact" "$("$KZ" --json show 1 | jget '[s["state"] for s in d["steps"]]' | tr -d ' ')" '["acked","failed","skipped","done"]'
expect_rc "the hash chain is intact after kill -9" 0 "$KZ" verify
check "integrity_check ok" sh -c "sqlite3 '$T/state/keizoku.db' 'PRAGMA integrity_check' | grep -qx ok"
stop_kzd
expect_eq "SIGTERM exits 0 (under valgrind: no errors, no leaks)" "$KZD_RC" "0"
exit $_failed
