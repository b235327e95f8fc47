#!/bin/bash
# Issue 7 item 5: RTO clocks. An incident of a runbook naming plan systems
# runs a clock per system from activation: warnings at 50% and 80%, a
# breach at 100% (notified), a step that restores a system stops its
# clock; the clocks survive a kill -9 (those due while down fire at once).
. "$(dirname "$0")/lib.sh"
cat >"$T/plan.yaml" <<'YAML'
plan: {organization: 〇〇省, scope: 本省, review_every: 1y, last_review: 2026-04-01}
tasks:
  - {id: info, title: 情報発信, rto: 4s}
  - {id: mail-task, title: 連絡, rto: 1h}
systems:
  - {id: web, title: ホームページ, kind: business, supports: [info], components: {hardware: 4}}
  - {id: mail, title: メール, kind: business, supports: [mail-task], components: {hardware: 3}}
YAML
write_config "plan: plan.yaml"
cat >"$T/runbooks/r.yaml" <<'YAML'
runbook: restore
title: 復旧 / Restore
systems: [web, mail]
steps:
  - id: web-back
    title: ホームページ復旧
    restores: [web]
  - id: mail-back
    title: メール復旧
    restores: [mail]
YAML
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1
"$KZ" activate restore >/dev/null
sys() { "$KZ" --json show 1 | jq -c '[.systems[] | [.id, .rto_s, .state]]'; }
expect_eq "each system's clock runs with its RTO from the plan" "$(sys)" '[["web",4,"running"],["mail",3600,"running"]]'
ev() { "$KZ" --json log 1 | jq -c '[.[] | select((.type == "rto.warning" or .type == "rto.breached") and .data.system == "web") | .data.pct]'; }
advance 1s
expect_eq "no mark before 50% of web's 4s" "$(ev)" "[]"
advance 1s
expect_eq "50% at 2s" "$(ev)" "[50]"
kill9_kzd
# Down from 2s to 5s (the test clock): web's 80% and 100% marks fall due.
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:05Z start_kzd || exit 1
expect_eq "after kill -9 the 80% and 100% marks of web fired at once" "$("$KZ" --json log 1 | jq '[.[] | select(.type == "rto.warning" or .type == "rto.breached")] | length')" 3
expect_eq "in order, once each" "$(ev)" "[50,80,100]"
expect_eq "web is breached, mail still running" "$(sys)" '[["web",4,"breached"],["mail",3600,"running"]]'
"$KZ" done 1 mail-back >/dev/null
"$KZ" done 1 web-back >/dev/null
out=$("$KZ" --json show 1 | jq -c '[.systems[] | [.id, .state, .met]]')
expect_eq "restoring steps stop the clocks: web missed, mail met" "$out" '[["web","recovered",false],["mail","recovered",true]]'
expect_eq "the recoveries are on the timeline" "$("$KZ" --json log 1 | jq '[.[] | select(.type == "system.recovered")] | length')" "2"
expect_eq "no mail clock timers are left" "$(sqlite3 "$T/state/keizoku.db" "select count(*) from timers where kind like 'rto%'")" "0"
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" "0"
exit $_failed
