#!/bin/bash
# Issue 2, items 3 and 5: a responder drives an incident end to end with
# the real binaries; JSON fields of SPEC §5; exit codes; identity.
. "$(dirname "$0")/lib.sh"
write_config
cat >"$T/runbooks/failover.yaml" <<'YAML'
runbook: failover
title: 代替サイトへの切り替え / Fail over
kind: failover
owner: role:it-lead
vars: {alt_site: osaka}
steps:
  - id: decide
    title: 切り替えの判断 / Decide
    type: approval
    assign: role:it-lead
    timeout: 30m
  - id: dns
    title: DNS 切り替え
    needs: [decide]
    assign: role:operator
  - id: optional
    title: 任意の確認
    needs: [decide]
    when: {vars.alt_site: osaka}
  - id: tell
    needs: [dns, optional]
    type: notify
    with: {text: "{{vars.alt_site}} へ切り替えました (#{{incident.id}})"}
  - id: verify
    needs: [tell]
    assign: role:operator
YAML
start_kzd || exit 1

expect_rc "activate an unknown runbook exits 1" 1 "$KZ" activate nosuch
expect_rc "activate with an undeclared var exits 1" 1 "$KZ" activate failover --var nope=1
expect_rc "usage error exits 2" 2 "$KZ" ack 1
expect_rc "unknown command exits 2" 2 "$KZ" frobnicate
out=$("$KZ" --json activate failover --var alt_site=tokyo --note "訓練ではない")
expect_eq "activate --json gives incident and state" "$(echo "$out" | jq -c '[.incident, .state]')" '[1,"active"]'
show=$("$KZ" --json show 1)
expect_eq "show has the SPEC fields" "$(echo "$show" | jq -c '. as $d | ["id","runbook","state","drill","started_at","closed_at","trigger","steps","systems","assembly","exceptions"] | map(select(. as $k | $d | has($k))) | sort' | tr -d ' ')" '["assembly","closed_at","drill","exceptions","id","runbook","started_at","state","steps","systems","trigger"]'
expect_eq "steps have the SPEC fields" "$(echo "$show" | jq 'all(.steps[]; . as $s | all("id","title","type","state","assignee","acked_by","done_by","ready_at","deadline_at","escalation_level","note"; . as $k | $s | has($k)))')" "true"
expect_eq "decide is ready, assigned to the primary, with a deadline" "$(echo "$show" | jq -c '.steps[0] | [.state, .assignee, .deadline_at != null]' | tr -d ' ')" '["ready","tanaka",true]'
expect_eq "dependents are blocked" "$(echo "$show" | jq -c '[.steps[1:][].state]' | tr -d ' ')" '["blocked","blocked","blocked","blocked"]'
expect_eq "the var was applied" "$(echo "$show" | jq -r '.vars.alt_site')" "tokyo"

expect_rc "unknown incident exits 1" 1 "$KZ" show 99
grep -q "no incident 99" "$T/err" && ok "unknown incident says so" || nok "unknown incident message: $(cat "$T/err")"
expect_rc "unknown step exits 1" 1 "$KZ" done 1 nosuch
grep -q 'no step "nosuch"' "$T/err" && ok "unknown step says so" || nok "unknown step message"
expect_rc "done on an approval exits 1" 1 "$KZ" done 1 decide
expect_rc "acting on a blocked step exits 1" 1 "$KZ" done 1 verify
expect_rc "an admin may not approve without --as" 1 "$KZ" approve 1 decide
expect_rc "an operator may not approve" 1 as_uid 1103 "$KZ" --as sato approve 1 decide
expect_rc "sato (uid 1103), a deputy of it-lead, may ack" 0 as_uid 1103 "$KZ" ack 1 decide
expect_rc "ack twice exits 1" 1 "$KZ" --as tanaka ack 1 decide
expect_rc "suzuki approves by uid" 0 as_uid 1102 "$KZ" approve 1 decide --note "承認します"
show=$("$KZ" --json show 1)
expect_eq "approved: dns ready, optional skipped by when" "$(echo "$show" | jq -c '[.steps[].state]' | tr -d ' ')" '["done","ready","skipped","blocked","blocked"]'
expect_eq "done_by records suzuki" "$(echo "$show" | jq -r '.steps[0].done_by')" "suzuki"
expect_rc "an unknown unix user is refused" 1 as_uid 4242 "$KZ" show 1
grep -q "not in the roster" "$T/err" && ok "refusal names the roster" || nok "unknown user message: $(cat "$T/err")"
expect_rc "a member without proxy may not use --as" 1 as_uid 1105 "$KZ" --as sato done 1 dns
expect_rc "the secretariat (proxy) acts for ito" 0 as_uid 1104 "$KZ" --as ito fail 1 dns --note "回線断"
expect_eq "failed blocks dependents" "$("$KZ" --json show 1 | jq -c '[.steps[].state]' | tr -d ' ')" '["done","failed","skipped","blocked","blocked"]'
expect_rc "done after failed (fixed by hand)" 0 as_uid 1105 "$KZ" done 1 dns
show=$("$KZ" --json show 1)
expect_eq "notify completed and verify is ready" "$(echo "$show" | jq -c '[.steps[].state]' | tr -d ' ')" '["done","done","skipped","done","ready"]'
expect_eq "the notify step rendered its text" "$(echo "$show" | jq -r '.steps[3].note')" "tokyo へ切り替えました (#1)"
expect_rc "skip verify" 0 "$KZ" skip 1 verify --note "不要"
log=$("$KZ" --json log 1)
expect_eq "log records the proxy: actor and on_behalf" "$(echo "$log" | jq -c '[.[] | select(.type == "step.failed") | [.actor, .on_behalf]][0]' | tr -d ' ')" '["yamada","ito"]'
expect_eq "log has times and actors" "$(echo "$log" | jq 'all(.[]; (.at // "") != "" and (.actor // "") != "")')" "true"
check "log in text mode shows 'on behalf of'" sh -c "'$KZ' log 1 | grep -q 'yamada on behalf of ito'"
expect_rc "close" 0 "$KZ" close 1 --note "復旧"
expect_rc "close twice exits 1" 1 "$KZ" close 1
expect_eq "incidents without --all hides closed" "$("$KZ" --json incidents | jq 'length')" "0"
expect_eq "incidents --all shows it closed" "$("$KZ" --json incidents --all | jq -c '.[0] | [.state, .closed_at != null, .drill]' | tr -d ' ')" '["closed",true,false]'
expect_eq "runbooks lists it" "$("$KZ" --json runbooks | jq -c '[.[].id]' | tr -d ' ')" '["failover"]'
expect_eq "status counts" "$("$KZ" --json status | jq -r '.incidents.closed')" "1"
expect_rc "verify passes" 0 "$KZ" verify
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" "0"
expect_rc "an unreachable daemon exits 3" 3 "$KZ" status
exit $_failed
