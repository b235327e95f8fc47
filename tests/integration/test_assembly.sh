#!/bin/bash
# Issue 5: staff assembly (SPEC §6) with short timers and the real
# binaries: escalation through two deputies, unavailable answers, changed
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
start_kzd || exit 1

# asm INC 'expr': a Python expression over a = show's assembly.
asm() { "$KZ" --json show "$1" | jget "(lambda a: $2)(d['assembly'])"; }
answers() { asm "$1" "[m['member'] + ':' + m['answer'] for m in a['$2']['members']]" | tr -d ' '; }
step_state() { "$KZ" --json show "$1" | jget "[s['state'] for s in d['steps'] if s['id'] == '$2'][0]"; }
# wait_answers "what" INC ROLE want: polls until the role's answers are want.
wait_answers() { wait_for "$1" 8 sh -c "[ \"\$(\"$KZ\" --json show $2 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps([m[\"member\"]+\":\"+m[\"answer\"] for m in d[\"assembly\"][\"$3\"][\"members\"]]).replace(\" \",\"\"))')\" = '$4' ]"; }
# inbox UID INC: the caller's inbox items of one incident.
inbox() { as_uid "$1" "$KZ" --json inbox | jget "[[i['kind'], i['incident'], i['step'], i['state']] for i in d if i['incident'] == $2]" | tr -d ' '; }
inbox_table() { as_uid "$1" "$KZ" inbox; }
evs() { "$KZ" --json log "$1" | jget "[e for e in d if e['type'] == '$2']"; }

# --- 1: no answer within escalate_after (2s) calls the next deputy, twice ---
"$KZ" activate esc >/dev/null
expect_eq "the primary (tanaka) is called first" "$(answers 1 it-lead)" '["tanaka:called"]'
expect_eq "tanaka's inbox lists the call-out" "$(inbox 1101 1)" '[["callout",1,"call","called"]]'
inbox_table 1101 >"$T/inbox.txt"
check "the inbox table shows the call-out" grep -q 'callout  *call  *called' "$T/inbox.txt"
expect_eq "a deputy not yet called has nothing waiting" "$(inbox 1102 1)" '[]'
wait_answers "no answer in 2s: the first deputy (suzuki) is called" 1 it-lead '["tanaka:no_answer","suzuki:called"]'
wait_answers "no answer again: the second deputy (sato) is called" 1 it-lead '["tanaka:no_answer","suzuki:no_answer","sato:called"]'
log=$("$KZ" --json log 1)
expect_eq "the call-outs are logged in order of precedence" "$(echo "$log" | jget "[[e['data']['member'], e['data']['order']] for e in d if e['type'] == 'assembly.called']" | tr -d ' ')" '[["tanaka",1],["suzuki",2],["sato",3]]'
expect_eq "each silence is logged" "$(echo "$log" | jget "[e['data']['member'] for e in d if e['type'] == 'assembly.no_answer']" | tr -d ' ')" '["tanaka","suzuki"]'
lag=$(echo "$log" | python3 -c '
import json, sys, datetime
d = json.load(sys.stdin)
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
c = [t(e["at"]) for e in d if e["type"] == "assembly.called"]
print("ok" if 1.9 <= c[1] - c[0] < 3.0 and 1.9 <= c[2] - c[1] < 3.0 else "gaps %.3f %.3f" % (c[1] - c[0], c[2] - c[1]))')
expect_eq "each deputy is called within a second of escalate_after" "$lag" ok
expect_eq "sato's inbox lists the call-out" "$(inbox 1103 1 | jget "[i[0] for i in d]")" '["callout"]'
expect_eq "tanaka's unanswered call-out stays in his inbox (a late answer counts)" "$(inbox 1101 1)" '[["callout",1,"call","no_answer"]]'
sleep 2.3
expect_eq "with every deputy called, nobody more is called" "$(answers 1 it-lead)" '["tanaka:no_answer","suzuki:no_answer","sato:no_answer"]'
expect_rc "suzuki answers late: available" 0 as_uid 1102 "$KZ" respond 1 --available --eta 20m
expect_eq "a late answer meets the quota: the step is done" "$(step_state 1 call)" done
expect_eq "and the next step is ready" "$(step_state 1 brief)" ready
expect_eq "show counts the role" "$(asm 1 "[a['it-lead'][k] for k in ['required','available','no_answer','waiting']]" | tr -d ' ')" '[1,1,2,0]'
expect_eq "quota_met_at is set" "$(asm 1 "a['it-lead']['quota_met_at'] is not None")" true
expect_eq "the eta is kept" "$(asm 1 "[m['eta_at'] is not None for m in a['it-lead']['members'] if m['member'] == 'suzuki'][0]")" true
expect_eq "a done assembly leaves no call-out in the inbox" "$(inbox 1103 1 | jget "[i for i in d if i[0] == 'callout']")" '[]'

# --- 2: unavailable, changed answers, proxy answers, quota reached ---
"$KZ" activate quota >/dev/null
expect_eq "two it-leads and the secretariat are called" "$(answers 2 it-lead)/$(answers 2 secretariat)" '["tanaka:called","suzuki:called"]/["yamada:called"]'
expect_rc "tanaka answers unavailable" 0 as_uid 1101 "$KZ" respond 2 --unavailable --note "負傷のため"
expect_eq "unavailable calls the next deputy at once" "$(answers 2 it-lead)" '["tanaka:unavailable","suzuki:called","sato:called"]'
expect_eq "sato's inbox lists the new call-out" "$(inbox 1103 2)" '[["callout",2,"call","called"]]'
expect_eq "tanaka's answered call-out leaves his inbox" "$(inbox 1101 2)" '[]'
expect_rc "suzuki answers available with an eta" 0 as_uid 1102 "$KZ" respond 2 --available --eta 30m
expect_eq "available counts" "$(asm 2 "[a['it-lead'][k] for k in ['available','unavailable','waiting']]" | tr -d ' ')" '[1,1,1]'
expect_rc "suzuki changes the answer to unavailable" 0 as_uid 1102 "$KZ" respond 2 --unavailable --note "家族の事情"
expect_eq "the changed answer replaces the first" "$(asm 2 "[a['it-lead'][k] for k in ['available','unavailable','waiting']]" | tr -d ' ')" '[0,2,1]'
expect_eq "with no deputy left, nobody more is called" "$(answers 2 it-lead)" '["tanaka:unavailable","suzuki:unavailable","sato:called"]'
expect_rc "suzuki changes again: available after all" 0 as_uid 1102 "$KZ" respond 2 --available --eta 1h
expect_eq "every answer is on the timeline" "$(evs 2 assembly.response | jget "[e['data']['answer'] for e in d if e['data']['member'] == 'suzuki']" | tr -d ' ')" '["available","unavailable","available"]'
expect_rc "ito (no proxy role) may not answer for sato" 1 as_uid 1105 "$KZ" --as sato respond 2 --available
expect_rc "--eta only goes with --available" 1 as_uid 1103 "$KZ" respond 2 --unavailable --eta 10m
expect_rc "two answers at once are refused" 1 as_uid 1103 "$KZ" respond 2 --available --arrived
expect_rc "the secretariat enters sato's answer, phoned in" 0 as_uid 1104 "$KZ" --as sato respond 2 --available --eta 40m
expect_eq "show records who entered it" "$(asm 2 "[m['entered_by'] for m in a['it-lead']['members'] if m['member'] == 'sato'][0]")" yamada
expect_eq "the log shows yamada on behalf of sato" "$(evs 2 assembly.response | jget "[[e['actor'], e['on_behalf'], e['data']['entered_by']] for e in d if e['data']['member'] == 'sato'][0]" | tr -d ' ')" '["yamada","sato","yamada"]'
check "the text log says 'yamada on behalf of sato'" sh -c "'$KZ' log 2 | grep -q 'yamada on behalf of sato'"
expect_eq "it-lead has its quota, the secretariat not yet: still ready" "$(step_state 2 call)/$(asm 2 "a['it-lead']['available']")" "ready/2"
expect_rc "yamada arrives" 0 as_uid 1104 "$KZ" respond 2 --arrived
expect_eq "quota reached: the step is done by keizokud" "$("$KZ" --json show 2 | jget "[[s['state'], s['done_by'], s['note']] for s in d['steps'] if s['id'] == 'call'][0]" | tr -d ' ')" '["done","keizokud","quotamet"]'
expect_eq "arrived counts toward the quota" "$(asm 2 "[a['secretariat']['arrived'], a['secretariat']['available']]" | tr -d ' ')" '[1,0]'
expect_eq "assembly.complete is logged" "$(evs 2 assembly.complete | jget 'len(d)')" 1
expect_eq "the next step is ready" "$(step_state 2 brief)" ready
expect_eq "the briefing is in tanaka's inbox, not a call-out" "$(inbox 1101 2)" '[["step",2,"brief","ready"]]'
expect_rc "a member outside the call-out's roles cannot answer" 1 as_uid 1105 "$KZ" respond 2 --available
grep -q "no staff call-out" "$T/err" && ok "the refusal says why" || nok "refusal message: $(cat "$T/err")"

# --- 3: timeout with a shortage report ---
"$KZ" activate short >/dev/null
expect_eq "the operators and the lead are called" "$(answers 3 operator)/$(answers 3 it-lead)" '["sato:called","ito:called"]/["tanaka:called"]'
expect_rc "ito answers available" 0 as_uid 1105 "$KZ" respond 3 --available
wait_for "at the timeout the shortage is reported" 8 sh -c "'$KZ' --json log 3 | grep -q assembly.short"
short=$(evs 3 assembly.short | jget "d[0]['data']['short']")
expect_eq "the report names each short role with counts" "$(echo "$short" | jget "sorted([r, v['required'], v['available'], v['short']] for r, v in d.items())" | tr -d ' ')" '[["it-lead",1,0,1],["operator",2,1,1]]'
expect_eq "the owner is notified of the shortage" "$("$KZ" --json notifications | jget "len([n for n in d if n['event'] == 'assembly.short' and n['incident'] == 3])")" 1
expect_eq "the step is overdue but stays open (on_timeout continue)" "$(step_state 3 call)/$(evs 3 step.overdue | jget 'len(d)')" "ready/1"
# sato is both it-lead deputy and operator: called once, for the operator role.
expect_eq "a member in two roles is called once" "$(answers 3 it-lead | jget "[m.split(':')[0] for m in d]" | tr -d ' ')" '["tanaka","suzuki"]'
expect_rc "sato arrives after the timeout" 0 as_uid 1103 "$KZ" respond 3 --arrived
expect_eq "operator now has its quota; the lead is still short" "$(asm 3 "[a['operator']['available'] + a['operator']['arrived'], a['it-lead']['available']]" | tr -d ' ')" '[2,0]'
expect_rc "suzuki answers late" 0 as_uid 1102 "$KZ" respond 3 --available
expect_eq "quota reached after the timeout: done" "$(step_state 3 call)" done
expect_eq "call-out notifications were queued for the members called" "$("$KZ" --json notifications | jget "len([n for n in d if n['event'] == 'assembly.callout' and n['incident'] == 3]) >= 4")" true

# --- 4: kill -9 during an assembly ---
"$KZ" activate crash >/dev/null
expect_rc "tanaka answers available" 0 as_uid 1101 "$KZ" respond 4 --available --eta 15m
due_before=$(sqlite3 "$T/state/keizoku.db" "SELECT kind, due FROM timers WHERE incident = 4 ORDER BY kind")
before=$("$KZ" --json show 4 | jget "d['assembly']")
kill9_kzd
start_kzd || exit 1
expect_eq "after kill -9 every answer and call-out is intact" "$("$KZ" --json show 4 | jget "d['assembly']")" "$before"
expect_eq "the escalation timer is intact (same due time)" "$(sqlite3 "$T/state/keizoku.db" "SELECT kind, due FROM timers WHERE incident = 4 ORDER BY kind")" "$due_before"
check "the timer is suzuki's call-out" sh -c "echo '$due_before' | grep -q '^callout:it-lead:suzuki|'"
wait_answers "the re-armed timer calls the next deputy on time" 4 it-lead '["tanaka:available","suzuki:no_answer","sato:called"]'
kill9_kzd
sleep 4.5
start_kzd || exit 1
expect_eq "a call-out timer that fell due while down fires at once" "$(answers 4 it-lead)" '["tanaka:available","suzuki:no_answer","sato:no_answer"]'
expect_eq "tanaka's answer and eta survived both crashes" "$(asm 4 "[m['eta_at'] is not None and m['answered_at'] is not None for m in a['it-lead']['members'] if m['member'] == 'tanaka'][0]")" true
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
