#!/bin/bash
# Issue 6, item 2: what a report says beyond the golden scenario: an
# incident started by a monitoring trigger in confirm mode (trigger
# document, pending, confirmation, repeats), reported while still open
# (open items first); a drill labelled as one in every format; RTO per
# system met and missed against the plan's targets.
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
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
FIX=$KZ_TOP/tests/fixtures/hooks
cat >"$T/plan.yaml" <<'YAML'
plan: {organization: テスト省, scope: 試験環境, review_every: 1y, last_review: 2026-04-01}
tasks:
  - {id: info, title: 被害状況の情報発信, rto: 30m, alternative: 電話}
  - {id: mailtask, title: 連絡, rto: 2h, alternative: 電話}
systems:
  - {id: portal, title: ポータル, kind: business, rlo: "100%", supports: [info], components: {hardware: 4}}
  - {id: mail, title: メール, kind: business, rlo: "100%", supports: [mailtask], components: {hardware: 3}}
YAML
write_config "plan: plan.yaml
sources:
  bld:
    format: json
    auth: {none: true}"
cat >"$T/runbooks/evac.yaml" <<'YAML'
runbook: evac
title: 本社ビル避難 / Evacuate the head office
owner: role:it-lead
activation:
  - source: bld
    match: {event: building_evacuation}
    mode: confirm
    confirm_by: role:it-lead
    key: "{{trigger.site}}"
    window: 1h
steps:
  - {id: count, title: 人数確認 / Headcount, assign: role:it-lead, timeout: 10m}
  - {id: report, title: 報告 / Report, needs: [count], assign: role:it-lead}
YAML
cat >"$T/runbooks/rto.yaml" <<'YAML'
runbook: rto
title: システム復旧 / Restore systems
owner: role:it-lead
systems: [portal, mail]
steps:
  - {id: portal, title: ポータル復旧, assign: role:operator, restores: [portal]}
  - {id: mail, title: メール復旧, assign: role:operator, restores: [mail]}
YAML
export TZ=JST-9
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1

st=$(post /v1/hooks/bld "$FIX/json-generic.json")
expect_eq "the trigger is accepted" "$st" "202"
advance 2m
expect_rc "tanaka confirms" 0 "$KZ" --as tanaka confirm 1 --note "避難を確認"
st=$(post /v1/hooks/bld "$FIX/json-generic.json")
expect_eq "a repeat joins the incident" "$(jq -c '.incidents' <"$T/resp")" "[1]"
advance 15m
"$KZ" report 1 --format json >"$T/r.json" || nok "report of an open incident"
expect_eq "the open incident is reported as active" "$(jq -c '[.incident.state, .incident.closed_at]' <"$T/r.json" | tr -d ' ')" '["active",null]'
expect_eq "activation: by trigger from bld, pending then confirmed by tanaka" "$(jq -c '.activation | [.how, .source, .pending.at, .confirmed.at, .confirmed.by, .confirmed.note, .trigger_repeats]' <"$T/r.json" | tr -d ' ')" '["trigger","bld","2026-11-20T03:12:00Z","2026-11-20T03:14:00Z","tanaka","避難を確認",1]'
expect_eq "the trigger document is in the report" "$(jq -r '.activation.trigger.details.message' <"$T/r.json")" "避難指示 / evacuate"
expect_eq "open items: the overdue count step, the blocked report step" "$(jq -c '[.open_items[] | [.kind, .id, .state]]' <"$T/r.json" | tr -d ' ')" '[["step","count","ready"],["step","report","blocked"]]'
expect_eq "the overdue step is flagged" "$(jq -c '[.steps[].overdue]' <"$T/r.json" | tr -d ' ')" '[true,false]'
"$KZ" report 1 >"$T/r.md"
check "the trigger document is printed" grep -q '"message": "避難指示 / evacuate"' "$T/r.md"
check "the open incident says it is still open" grep -q '解除 / Closed | 対応中 / still open' "$T/r.md"
check "confirmation is shown with who (by name) and the note" grep -q '発動確認 / Confirmed | 2026-11-20 12:14:00 +09:00 — 田中 太郎 (tanaka): 避難を確認' "$T/r.md"
check "the timeout escalation is listed" grep -q '| count | step.overdue | timed out (on_timeout: escalate) |' "$T/r.md"
check "the report is not labelled a drill" sh -c "! grep -q '訓練' '$T/r.md'"

expect_rc "a drill" 0 "$KZ" activate evac --drill
"$KZ" report 2 --format json >"$T/d.json"
expect_eq "the JSON says drill" "$(jq '.incident.drill' <"$T/d.json")" "true"
"$KZ" report 2 >"$T/d.md"
check "the Markdown title is marked [訓練 DRILL]" grep -q '^# \[訓練 DRILL\] 事後レビュー' "$T/d.md"
check "the Markdown has the drill banner" grep -q '^> \*\*訓練 / DRILL' "$T/d.md"
"$KZ" report 2 --format html >"$T/d.html"
check "the HTML title is marked" grep -q '<title>\[訓練 DRILL\] 事後レビュー' "$T/d.html"
check "the HTML has the drill banner" grep -q '<p class="banner">訓練 / DRILL' "$T/d.html"

expect_rc "the restore runbook" 0 "$KZ" activate rto
if [ "$("$KZ" --json show 3 | jq '.systems[0].rto_s')" = "null" ] &&
    ! "$KZ" plan import "$T/plan.yaml" >/dev/null 2>&1; then
	_n=$((_n + 1)); echo "ok $_n # SKIP no plan in force (keizokud does not load plan: yet)"
	stop_checked
	exit $_failed
fi
# An incident started before the plan was imported has no targets.
[ "$("$KZ" --json show 3 | jq '.systems[0].rto_s')" = "null" ] && "$KZ" activate rto >/dev/null
inc=$("$KZ" --json incidents | jq '[.[] | select(.runbook == "rto") | .id][-1]')
advance 20m
expect_rc "portal restored in 20m" 0 "$KZ" --as sato done "$inc" portal
advance 2h
expect_rc "mail restored in 2h20m" 0 "$KZ" --as sato done "$inc" mail
"$KZ" report "$inc" --format json >"$T/rto.json"
expect_eq "RTO per system: target, achieved, met or missed" "$(jq -c '[.systems[] | [.id, .rto_s, .achieved_s, .met]]' <"$T/rto.json" | tr -d ' ')" '[["portal",1800,1200,true],["mail",7200,8400,false]]'
"$KZ" report "$inc" >"$T/rto.md"
check "the Markdown says met" grep -q '| portal | 30m | 20m | 達成 / met |' "$T/rto.md"
check "and missed" grep -q '| mail | 2h | 2h20m | 未達 / missed |' "$T/rto.md"
stop_checked
exit $_failed
