#!/bin/bash
# Issue 5: staff assembly (SPEC §6) with the real binaries and the test
# clock: escalation through two deputies, unavailable answers, changed
# answers, quota reached, timeout with a shortage report, answers entered
# by the secretariat (proxy), the inbox of call-outs, and a kill -9 during
# an assembly that keeps every answer and the escalation timers.
# Roster (lib.sh): it-lead [tanaka 1101, suzuki 1102, sato 1103],
# operator [sato, ito 1105], secretariat [yamada 1104] (proxy).
. "$(dirname "$0")/lib.sh"
write_config 'channels:
  ops: {type: slack, url: "http://127.0.0.1:9/hooks/ops", retry: [1h]}'
cat >"$T/runbooks/esc.yaml" <<'YAML'
runbook: esc
title: 参集（エスカレーション） / Assembly with escalation
kind: staff-assembly
owner: role:it-lead
steps:
  - id: call
    title: 責任者の参集 / Call the lead
    type: assemble
    with: {roles: {it-lead: 1}, escalate_after: 2s}
  - id: brief
    title: 初動打合せ / First briefing
    needs: [call]
    assign: role:it-lead
YAML
cat >"$T/runbooks/quota.yaml" <<'YAML'
runbook: quota
title: 参集（定員） / Assembly to quota
kind: staff-assembly
owner: role:it-lead
steps:
  - id: call
    title: 要員の参集 / Call the team
    type: assemble
    with: {roles: {it-lead: 2, secretariat: 1}, escalate_after: 1h}
  - id: brief
    title: 初動打合せ / First briefing
    needs: [call]
    assign: role:it-lead
YAML
cat >"$T/runbooks/short.yaml" <<'YAML'
runbook: short
title: 参集（不足） / Assembly that falls short
kind: staff-assembly
owner: role:it-lead
steps:
  - id: call
    title: 要員の参集 / Call the team
    type: assemble
    with: {roles: {it-lead: 1, operator: 2}, escalate_after: 1s}
    timeout: 3s
    on_timeout: continue
YAML
cat >"$T/runbooks/crash.yaml" <<'YAML'
runbook: crash
title: 参集（障害） / Assembly across a crash
kind: staff-assembly
owner: role:it-lead
steps:
  - id: call
    title: 要員の参集 / Call the team
    type: assemble
    with: {roles: {it-lead: 2}, escalate_after: 4s}
YAML
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1

# asm INC 'filter': a jq filter over show's assembly.
asm() { "$KZ" --json show "$1" | jq -rc ".assembly | $2"; }
answers() { "$KZ" --json show "$1" | jq -c --arg r "$2" '[.assembly[$r].members[] | .member + ":" + .answer]' | tr -d ' '; }
step_state() { "$KZ" --json show "$1" | jq -r --arg s "$2" '[.steps[] | select(.id == $s) | .state][0]'; }
# inbox UID INC: the caller's inbox items of one incident.
inbox() { as_uid "$1" "$KZ" --json inbox | jq -c --argjson n "$2" '[.[] | select(.incident == $n) | [.kind, .incident, .step, .state]]'; }
inbox_table() { as_uid "$1" "$KZ" inbox; }
evs() { "$KZ" --json log "$1" | jq -c --arg t "$2" '[.[] | select(.type == $t)]'; }

# --- 1: no answer within escalate_after (2s) calls the next deputy, twice ---
"$KZ" activate esc >/dev/null
expect_eq "the primary (tanaka) is called first" "$(answers 1 it-lead)" '["tanaka:called"]'
expect_eq "tanaka's inbox lists the call-out" "$(inbox 1101 1)" '[["callout",1,"call","called"]]'
inbox_table 1101 >"$T/inbox.txt"
check "the inbox table shows the call-out" grep -q 'callout  *call  *called' "$T/inbox.txt"
expect_eq "a deputy not yet called has nothing waiting" "$(inbox 1102 1)" '[]'
advance 1s
expect_eq "a second in, nobody more is called" "$(answers 1 it-lead)" '["tanaka:called"]'
advance 1s
expect_eq "no answer in 2s: the first deputy (suzuki) is called" "$(answers 1 it-lead)" '["tanaka:no_answer","suzuki:called"]'
advance 2s
expect_eq "no answer again: the second deputy (sato) is called" "$(answers 1 it-lead)" '["tanaka:no_answer","suzuki:no_answer","sato:called"]'
log=$("$KZ" --json log 1)
expect_eq "the call-outs are logged in order of precedence" "$(echo "$log" | jq -c '[.[] | select(.type == "assembly.called") | [.data.member, .data.order]]')" '[["tanaka",1],["suzuki",2],["sato",3]]'
expect_eq "each silence is logged" "$(echo "$log" | jq -c '[.[] | select(.type == "assembly.no_answer") | .data.member]')" '["tanaka","suzuki"]'
gaps=$(echo "$log" | jq -c '[.[] | select(.type == "assembly.called") | .at | fromdateiso8601] | [.[1] - .[0], .[2] - .[1]]')
expect_eq "each deputy is called at escalate_after (2s)" "$gaps" '[2,2]'
expect_eq "sato's inbox lists the call-out" "$(inbox 1103 1 | jq -c '[.[][0]]')" '["callout"]'
expect_eq "tanaka's unanswered call-out stays in his inbox (a late answer counts)" "$(inbox 1101 1)" '[["callout",1,"call","no_answer"]]'
advance 2s
expect_eq "with every deputy called, nobody more is called" "$(answers 1 it-lead)" '["tanaka:no_answer","suzuki:no_answer","sato:no_answer"]'
expect_rc "suzuki answers late: available" 0 as_uid 1102 "$KZ" respond 1 --available --eta 20m
expect_eq "a late answer meets the quota: the step is done" "$(step_state 1 call)" done
expect_eq "and the next step is ready" "$(step_state 1 brief)" ready
expect_eq "show counts the role" "$(asm 1 '."it-lead" | [.required, .available, .no_answer, .waiting]')" '[1,1,2,0]'
expect_eq "quota_met_at is set" "$(asm 1 '."it-lead".quota_met_at != null')" true
expect_eq "the eta is kept" "$(asm 1 '[."it-lead".members[] | select(.member == "suzuki") | .eta_at != null][0]')" true
expect_eq "a done assembly leaves no call-out in the inbox" "$(inbox 1103 1 | jq -c '[.[] | select(.[0] == "callout")]')" '[]'

# --- 2: unavailable, changed answers, proxy answers, quota reached ---
"$KZ" activate quota >/dev/null
expect_eq "two it-leads and the secretariat are called" "$(answers 2 it-lead)/$(answers 2 secretariat)" '["tanaka:called","suzuki:called"]/["yamada:called"]'
expect_rc "tanaka answers unavailable" 0 as_uid 1101 "$KZ" respond 2 --unavailable --note "負傷のため"
expect_eq "unavailable calls the next deputy at once" "$(answers 2 it-lead)" '["tanaka:unavailable","suzuki:called","sato:called"]'
expect_eq "sato's inbox lists the new call-out" "$(inbox 1103 2)" '[["callout",2,"call","called"]]'
expect_eq "tanaka's answered call-out leaves his inbox" "$(inbox 1101 2)" '[]'
expect_rc "suzuki answers available with an eta" 0 as_uid 1102 "$KZ" respond 2 --available --eta 30m
expect_eq "available counts" "$(asm 2 '."it-lead" | [.available, .unavailable, .waiting]')" '[1,1,1]'
expect_rc "suzuki changes the answer to unavailable" 0 as_uid 1102 "$KZ" respond 2 --unavailable --note "家族の事情"
expect_eq "the changed answer replaces the first" "$(asm 2 '."it-lead" | [.available, .unavailable, .waiting]')" '[0,2,1]'
expect_eq "with no deputy left, nobody more is called" "$(answers 2 it-lead)" '["tanaka:unavailable","suzuki:unavailable","sato:called"]'
expect_rc "suzuki changes again: available after all" 0 as_uid 1102 "$KZ" respond 2 --available --eta 1h
expect_eq "every answer is on the timeline" "$(evs 2 assembly.response | jq -c '[.[] | select(.data.member == "suzuki") | .data.answer]')" '["available","unavailable","available"]'
expect_rc "ito (no proxy role) may not answer for sato" 1 as_uid 1105 "$KZ" --as sato respond 2 --available
expect_rc "--eta only goes with --available" 1 as_uid 1103 "$KZ" respond 2 --unavailable --eta 10m
expect_rc "two answers at once are refused" 1 as_uid 1103 "$KZ" respond 2 --available --arrived
expect_rc "the secretariat enters sato's answer, phoned in" 0 as_uid 1104 "$KZ" --as sato respond 2 --available --eta 40m
expect_eq "show records who entered it" "$(asm 2 '[."it-lead".members[] | select(.member == "sato") | .entered_by][0]')" yamada
expect_eq "the log shows yamada on behalf of sato" "$(evs 2 assembly.response | jq -c '[.[] | select(.data.member == "sato") | [.actor, .on_behalf, .data.entered_by]][0]')" '["yamada","sato","yamada"]'
check "the text log says 'yamada on behalf of sato'" sh -c "'$KZ' log 2 | grep -q 'yamada on behalf of sato'"
expect_eq "it-lead has its quota, the secretariat not yet: still ready" "$(step_state 2 call)/$(asm 2 '."it-lead".available')" "ready/2"
expect_rc "yamada arrives" 0 as_uid 1104 "$KZ" respond 2 --arrived
expect_eq "quota reached: the step is done by keizokud" "$("$KZ" --json show 2 | jq -c '[.steps[] | select(.id == "call") | [.state, .done_by, .note]][0]')" '["done","keizokud","quota met"]'
expect_eq "arrived counts toward the quota" "$(asm 2 '.secretariat | [.arrived, .available]')" '[1,0]'
expect_eq "assembly.complete is logged" "$(evs 2 assembly.complete | jq 'length')" 1
expect_eq "the next step is ready" "$(step_state 2 brief)" ready
# Tasks follow answers (issue 14): tanaka answered unavailable, so the
# briefing goes to the first it-lead who can come, suzuki.
expect_eq "the briefing is in suzuki's inbox, not a call-out" "$(inbox 1102 2)" '[["step",2,"brief","ready"]]'
expect_eq "and not in tanaka's, who cannot come" "$(inbox 1101 2)" '[]'
expect_rc "a member outside the call-out's roles cannot answer" 1 as_uid 1105 "$KZ" respond 2 --available
grep -q "no staff call-out" "$T/err" && ok "the refusal says why" || nok "refusal message: $(cat "$T/err")"

# --- 3: timeout with a shortage report ---
"$KZ" activate short >/dev/null
expect_eq "the operators and the lead are called" "$(answers 3 operator)/$(answers 3 it-lead)" '["sato:called","ito:called"]/["tanaka:called"]'
expect_rc "ito answers available" 0 as_uid 1105 "$KZ" respond 3 --available
advance 1s
advance 1s
expect_eq "before the timeout (3s) no shortage is reported" "$(evs 3 assembly.short | jq 'length')" 0
advance 1s
expect_eq "at the timeout the shortage is reported" "$(evs 3 assembly.short | jq 'length')" 1
short=$(evs 3 assembly.short | jq -c '.[0].data.short')
expect_eq "the report names each short role with counts" "$(echo "$short" | jq -c '[to_entries[] | [.key, .value.required, .value.available, .value.short]] | sort')" '[["it-lead",1,0,1],["operator",2,1,1]]'
expect_eq "the owner is notified of the shortage" "$("$KZ" --json notifications | jq '[.[] | select(.event == "assembly.short" and .incident == 3)] | length')" 1
expect_eq "the step is overdue but stays open (on_timeout continue)" "$(step_state 3 call)/$(evs 3 step.overdue | jq 'length')" "ready/1"
# sato is both it-lead deputy and operator: called once, for the operator role.
expect_eq "a member in two roles is called once" "$(answers 3 it-lead | jq -c '[.[] | split(":")[0]]')" '["tanaka","suzuki"]'
expect_rc "sato arrives after the timeout" 0 as_uid 1103 "$KZ" respond 3 --arrived
expect_eq "operator now has its quota; the lead is still short" "$(asm 3 '[.operator.available + .operator.arrived, ."it-lead".available]')" '[2,0]'
expect_rc "suzuki answers late" 0 as_uid 1102 "$KZ" respond 3 --available
expect_eq "quota reached after the timeout: done" "$(step_state 3 call)" done
expect_eq "call-out notifications were queued for the members called" "$("$KZ" --json notifications | jq '[.[] | select(.event == "assembly.callout" and .incident == 3)] | length >= 4')" true

# --- 4: kill -9 during an assembly ---
"$KZ" activate crash >/dev/null
expect_rc "tanaka answers available" 0 as_uid 1101 "$KZ" respond 4 --available --eta 15m
due_before=$(sqlite3 "$T/state/keizoku.db" "SELECT kind, due FROM timers WHERE incident = 4 ORDER BY kind")
before=$("$KZ" --json show 4 | jq -c '.assembly')
t_kill=$(clock_now)
kill9_kzd
KEIZOKU_TEST_CLOCK=$t_kill start_kzd || exit 1
expect_eq "after kill -9 every answer and call-out is intact" "$("$KZ" --json show 4 | jq -c '.assembly')" "$before"
expect_eq "the escalation timer is intact (same due time)" "$(sqlite3 "$T/state/keizoku.db" "SELECT kind, due FROM timers WHERE incident = 4 ORDER BY kind")" "$due_before"
check "the timer is suzuki's call-out" sh -c "echo '$due_before' | grep -q '^callout:it-lead:suzuki|'"
advance 3s
expect_eq "the re-armed timer does not call early" "$(answers 4 it-lead)" '["tanaka:available","suzuki:called"]'
advance 1s
expect_eq "the re-armed timer calls the next deputy on time" "$(answers 4 it-lead)" '["tanaka:available","suzuki:no_answer","sato:called"]'
t_kill=$(clock_now)
kill9_kzd
# Down for 5s: sato's call-out (4s) falls due meanwhile.
KEIZOKU_TEST_CLOCK=$(clock_plus "$t_kill" 5) start_kzd || exit 1
expect_eq "a call-out timer that fell due while down fires at once" "$(answers 4 it-lead)" '["tanaka:available","suzuki:no_answer","sato:no_answer"]'
expect_eq "tanaka's answer and eta survived both crashes" "$(asm 4 '[."it-lead".members[] | select(.member == "tanaka") | .eta_at != null and .answered_at != null][0]')" true
expect_eq "nothing is lost from earlier incidents" "$(answers 2 it-lead)" '["tanaka:unavailable","suzuki:available","sato:available"]'
expect_rc "sato answers after the restarts" 0 as_uid 1103 "$KZ" respond 4 --available
expect_eq "quota reached across the crashes" "$(step_state 4 call)" done
expect_rc "the hash chain is intact" 0 "$KZ" verify
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" 0
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/kzd.log"; then
	nok "sanitizer report in the log"
else
	ok "no sanitizer report"
fi
exit $_failed
