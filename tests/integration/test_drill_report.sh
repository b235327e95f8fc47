#!/bin/bash
# Issue 8, item 4: the report of a drill scores it (guideline 2.9.1).
# A scenario drill under the test clock: a step done on time, one done
# late (escalated at its timeout), one escalated once then done on time, one left open (missed),
# one skipped by its `when`, one with no timeout; a staff assembly whose
# quota is met after 12 minutes and one never met; two systems with RTOs
# from a small plan, restored by the late step (one met, one missed).
# Every score field is checked with exact values, then the Markdown and
# HTML sections.
. "$(dirname "$0")/lib.sh"
# stop_checked: SIGTERM, exit 0, and no sanitizer report in the log
# (a SANITIZE=1 build reports leaks at exit).
stop_checked() {
	stop_kzd
	expect_eq "keizokud exits 0 on SIGTERM" "${KZD_RC:-x}" 0
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/kzd.log"; then
		nok "sanitizer report in the log"
		grep -E -A30 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/kzd.log" | head -n 60 | sed 's/^/# /'
	fi
}
cat >"$T/plan.yaml" <<'YAML'
plan: {organization: テスト省, scope: 訓練環境, review_every: 1y, last_review: 2026-04-01}
tasks:
  - {id: info, title: 被害状況の情報発信, rto: 1h, alternative: 電話}
  - {id: contact, title: 職員への連絡, rto: 30m, alternative: 電話}
systems:
  - {id: portal, title: ポータル, kind: business, rlo: "100%", supports: [info], components: {hardware: 4}}
  - {id: mail, title: メール, kind: business, rlo: "100%", supports: [contact], components: {hardware: 4}}
YAML
write_config "plan: plan.yaml"
mkdir -p "$T/runbooks/scenarios"
cat >"$T/runbooks/quake.yaml" <<'YAML'
runbook: quake
title: 首都直下地震 / Tokyo earthquake
owner: role:it-lead
systems: [portal, mail]
vars: {site: hq}
steps:
  - id: assemble
    title: 要員の参集 / Call the operators
    type: assemble
    with: {roles: {operator: 2}, escalate_after: 15m}
    timeout: 30m
  - id: hq
    title: 事務局の参集 / Call the secretariat
    type: assemble
    with: {roles: {secretariat: 1}}
  - id: osaka
    title: 大阪拠点の確認 / Check the Osaka site
    assign: role:operator
    when: {vars.site: osaka}
  - id: log
    title: 記録係 / Keep the log
    assign: role:it-lead
  - id: decide
    title: 切り替えの判断 / Decide to switch over
    needs: [assemble]
    assign: role:it-lead
    timeout: 10m
  - id: inform
    title: 幹部への報告 / Inform the executives
    needs: [decide]
    assign: role:it-lead
    escalate_after: 5m
    timeout: 20m
  - id: switch
    title: 代替サイトへ切り替え / Switch to the alternate site
    needs: [decide]
    assign: role:operator
    timeout: 20m
    restores: [portal, mail]
  - id: report
    title: 復旧報告 / Report the recovery
    needs: [switch]
    assign: role:operator
    timeout: 10m
    on_timeout: continue
YAML
cat >"$T/runbooks/scenarios/night.yaml" <<'YAML'
scenario: night
title: 夜間の地震 / Night-time quake
runbook: quake
injects:
  - {at: 30m, text: "本庁舎が停電しました / The main building lost power"}
YAML
export TZ=JST-9
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1
advance() { "$KZ" _clock --advance "$1" >/dev/null 2>&1 || nok "_clock --advance $1"; }
run() { "$@" >/dev/null 2>"$T/err" || nok "failed: $*: $(cat "$T/err")"; }

run "$KZ" drill start night
expect_eq "the plan gives the systems their RTOs" "$("$KZ" --json show 1 | jq -c '[.systems[].rto_s]' | tr -d ' ')" '[3600,1800]'
advance 3m
run as_uid 1104 "$KZ" respond 1 --unavailable			# hq: never met
advance 4m
run as_uid 1103 "$KZ" respond 1 --available			# 7m
advance 5m
run as_uid 1105 "$KZ" respond 1 --available			# 12m: quota met
advance 4m
run as_uid 1101 "$KZ" done 1 decide				# 16m: 4m of 10m
advance 5m							# 21m: inform escalated
advance 3m
run as_uid 1102 "$KZ" done 1 inform				# 24m: 8m of 20m
advance 17m
run as_uid 1103 "$KZ" done 1 switch				# 41m: 25m of 20m,
							# escalated to ito at its timeout
advance 4m
run as_uid 1101 "$KZ" done 1 log					# 45m: no timeout
advance 10m							# 55m: report overdue
run "$KZ" close 1 --note "訓練終了"

"$KZ" report 1 --format json >"$T/r.json" 2>"$T/err" || nok "report --format json: $(cat "$T/err")"
j="$T/r.json"
sc() { jq -c "$1" <"$j" | tr -d ' '; }
expect_eq "the score follows the incident" "$(sc 'keys_unsorted[:4]')" '["report_version","generated_at","incident","score"]'
expect_eq "it is labelled a drill score" "$(jq -r '.score | "\(.drill) \(.label)"' <"$j")" "true 訓練評価 / Drill evaluation"
expect_eq "per step: step, role, ready, done" "$(sc '[.score.steps[] | [.step, .role, .ready_at, .done_at]]')" \
    '[["assemble",null,"2026-11-20T03:12:00Z","2026-11-20T03:24:00Z"],["hq",null,"2026-11-20T03:12:00Z",null],["osaka","operator",null,"2026-11-20T03:12:00Z"],["log","it-lead","2026-11-20T03:12:00Z","2026-11-20T03:57:00Z"],["decide","it-lead","2026-11-20T03:24:00Z","2026-11-20T03:28:00Z"],["inform","it-lead","2026-11-20T03:28:00Z","2026-11-20T03:36:00Z"],["switch","operator","2026-11-20T03:28:00Z","2026-11-20T03:53:00Z"],["report","operator","2026-11-20T03:53:00Z",null]]'
expect_eq "per step: took, timeout, within" "$(sc '[.score.steps[] | [.took_s, .timeout_s, .within]]')" \
    '[[720,1800,true],[null,null,null],[null,null,null],[2700,null,null],[240,600,true],[480,1200,true],[1500,1200,false],[null,600,null]]'
expect_eq "per step: escalations, missed, result" "$(sc '[.score.steps[] | [.escalations, .missed, .result]]')" \
    '[[0,false,"ontime"],[0,true,"missed"],[0,false,"skipped"],[0,false,"n/a"],[0,false,"ontime"],[1,false,"ontime"],[1,false,"late"],[0,true,"missed"]]'
expect_eq "per step: titles" "$(jq -r '[.score.steps[].title][5]' <"$j")" "幹部への報告 / Inform the executives"
expect_eq "assembly: time to quota, shortfall" "$(sc '.score.assembly')" \
    '[{"role":"operator","step":"assemble","required":2,"time_to_quota_s":720,"met":true,"short":0},{"role":"secretariat","step":"hq","required":1,"time_to_quota_s":null,"met":false,"short":1}]'
expect_eq "systems: RTO met and missed" "$(sc '.score.systems')" \
    '[{"system":"portal","rto_s":3600,"achieved_s":2460,"met":true},{"system":"mail","rto_s":1800,"achieved_s":2460,"met":false}]'
expect_eq "per role: counts" "$(sc '[.score.roles[] | [.role, .steps, .on_time, .late, .missed, .skipped, .no_timeout, .escalations, .mean_took_s]]')" \
    '[["operator",3,0,1,1,1,0,1,1500],["it-lead",3,2,0,0,0,1,1,1140],[null,2,1,0,1,0,0,0,720]]'
jq -r '.score.roles[].text' <"$j" >"$T/lines"
cat >"$T/want" <<'EOF'
operator: 3手順中 0件期限内、1件超過、1件未完了、1件対象外、エスカレーション1回 / operator: 0 of 3 steps on time, 1 late, 1 missed, 1 skipped, 1 escalation
it-lead: 3手順中 2件期限内、1件期限なし、エスカレーション1回 / it-lead: 2 of 3 steps on time, 1 without a timeout, 1 escalation
担当なし: 2手順中 1件期限内、1件未完了 / unassigned: 1 of 2 steps on time, 1 missed
EOF
if cmp -s "$T/lines" "$T/want"; then ok "per role: one line in Japanese and English"; else
	nok "per-role lines differ"; diff -u "$T/want" "$T/lines" | sed 's/^/# /'; fi
expect_eq "overall" "$(sc '.score.overall | del(.text)')" \
    '{"steps":8,"scored":6,"on_time":3,"late":1,"missed":2,"skipped":1,"no_timeout":1,"escalations":2,"score_pct":50}'
expect_eq "overall text" "$(jq -r '.score.overall.text' <"$j")" \
    "総合: 評価対象6手順中 3件期限内（50%）、1件超過、2件未完了 / Overall: 3 of 6 scored steps on time (50%), 1 late, 2 missed"

"$KZ" report 1 >"$T/r.md" 2>"$T/err" || nok "report (md): $(cat "$T/err")"
expect_eq "md: the evaluation is the first section, right after the summary" "$(grep '^## ' "$T/r.md" | head -2 | tr '\n' '|')" "## 訓練評価 / Drill evaluation|## 未完了事項 / Open items|"
check "md: the overall line" grep -qF '総合: 評価対象6手順中 3件期限内（50%）、1件超過、2件未完了 / Overall: 3 of 6 scored steps on time (50%)' "$T/r.md"
while IFS= read -r l; do
	check "md: per-role line ${l%%:*}" grep -qxF -- "- $l" "$T/r.md"
done <"$T/lines"
check "md: the escalated step's row" grep -qF '| inform | 幹部への報告 / Inform the executives | it-lead | 8m | 20m | 1 | 期限内 / on time |' "$T/r.md"
check "md: the late step's row" grep -qF '| switch | 代替サイトへ切り替え / Switch to the alternate site | operator | 25m | 20m | 1 | 超過 / late |' "$T/r.md"
check "md: the missed step's row" grep -qF '| report | 復旧報告 / Report the recovery | operator | - | 10m | 0 | 未完了 / missed |' "$T/r.md"
check "md: the skipped step's row" grep -qF '| osaka | 大阪拠点の確認 / Check the Osaka site | operator | - | - | 0 | 対象外（when） / skipped (when) |' "$T/r.md"
check "md: time to quota" grep -qF '| operator | assemble | 2 | 12m | 0 |' "$T/r.md"
check "md: a quota never met" grep -qF '| secretariat | hq | 1 | 未充足 / never met | 1 |' "$T/r.md"
check "md: RTO met" grep -qF '| portal | 1h | 41m | 達成 / met |' "$T/r.md"
check "md: RTO missed" grep -qF '| mail | 30m | 41m | 未達 / missed |' "$T/r.md"

"$KZ" report 1 --format html >"$T/r.html" 2>"$T/err" || nok "report --format html: $(cat "$T/err")"
expect_eq "html: the evaluation follows the summary" "$(grep -o '<h2>[^<]*</h2>' "$T/r.html" | head -2 | tr '\n' '|')" "<h2>訓練評価 / Drill evaluation</h2>|<h2>未完了事項 / Open items</h2>|"
while IFS= read -r l; do
	check "html: per-role line ${l%%:*}" grep -qxF -- "<li>$l</li>" "$T/r.html"
done <"$T/lines"
check "html: the escalated step's row" grep -qF '<tr><td>inform</td><td>幹部への報告 / Inform the executives</td><td>it-lead</td><td>8m</td><td>20m</td><td>1</td><td>期限内 / on time</td></tr>' "$T/r.html"
check "html: RTO missed" grep -qF '<tr><td>mail</td><td>30m</td><td>41m</td><td>未達 / missed</td></tr>' "$T/r.html"

# A real incident of the same runbook is not scored as a drill.
run "$KZ" activate quake
expect_eq "a real incident's report has no drill score" "$("$KZ" report 2 --format json | jq 'has("score")')" "false"
check "nor an evaluation section" sh -c "! '$KZ' report 2 | grep -q '訓練評価'"
stop_checked
exit $_failed
