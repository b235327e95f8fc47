#!/bin/bash
# Issue 6, item 2: `keizoku report` over a scripted incident, with the
# test clock making every time (and so every hash) deterministic: staff
# assembly, an escalation, an overdue step, a system's recovery time (no
# plan here, so no target: test_report_content.sh checks met/missed
# against a plan's RTO), exception measures through their whole lifecycle (one left
# active after the close, with its reminder), notifications delivered
# to a local sink. The three formats are compared with
# tests/fixtures/report/golden.{md,json,html}; UPDATE_GOLDEN=1 rewrites
# them instead (review the diff before committing).
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
GOLDEN="$KZ_TOP/tests/fixtures/report"
SINK="$KZ_TOP/tests/integration/sink.py"
PORT=$(free_port)
"$PY" "$SINK" --port "$PORT" --log "$T/sink.log" --ready "$T/sink.ready" &
_pids="$_pids $!"
cat >"$T/roster.yaml" <<'YAML'
members:
  - {id: tanaka, name: 田中 太郎, unix_user: "1101"}
  - {id: suzuki, name: 鈴木 花子, unix_user: "1102"}
  - {id: sato, name: 佐藤 次郎, unix_user: "1103"}
  - {id: yamada, name: 山田 監査, unix_user: "1104"}
  - {id: ito, name: 伊藤 一郎, unix_user: "1105"}
roles:
  - {id: it-lead, title: 情報システム責任者, members: [tanaka, suzuki]}
  - {id: operator, title: 担当者, members: [sato, ito]}
  - {id: ciso, title: 最高情報セキュリティ責任者, members: [yamada, suzuki]}
YAML
write_config "channels:
  ops: {type: slack, url: \"http://127.0.0.1:$PORT/ops\"}
exceptions: {approver_role: ciso, remind: [24h]}"
cat >"$T/runbooks/dc.yaml" <<'YAML'
runbook: dc-failover
title: 本番サイト被災時の代替サイト切り替え / Fail over to the alternate site
kind: failover
owner: role:it-lead
systems: [portal]
steps:
  - id: assemble
    title: 要員の参集 / Call the team
    type: assemble
    with: {roles: {operator: 1}, escalate_after: 15m}
    timeout: 1h
  - id: decide
    title: 切り替えの判断 / Decide to switch over
    type: approval
    needs: [assemble]
    assign: role:it-lead
    escalate_after: 10m
    timeout: 30m
  - id: entry
    title: 未登録者の入室 / Let unregistered staff in
    needs: [decide]
    type: exception
    with: {title: サーバ室への未登録者の入室, policy: "物理的対策 3.2", reason: 参集要員の不足, revert_by: 72h}
  - id: switch
    title: DNS を代替サイトへ / Point DNS at the alternate site
    needs: [decide]
    assign: role:operator
    timeout: 20m
    restores: [portal]
  - id: verify
    title: 疎通確認 / Verify <b>&amp; "quote"</b>
    needs: [switch, entry]
    assign: role:operator
YAML
wait_file "$T/sink.ready"
export TZ=JST-9
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1

# Deliveries finish in the background: wait until none is pending, so
# that delivered_at is the test clock's time before it moves on.
settle() {
	_se=$((SECONDS + 20))
	while [ "$SECONDS" -le "$_se" ]; do
		[ "$("$KZ" --json notifications --pending | jq 'length')" = 0 ] && return 0
		sleep 0.05
	done
	nok "notifications were not all delivered"
}
# _clock moves time and runs the timers that fell due.
advance() { settle; "$KZ" _clock --advance "$1" >/dev/null || nok "_clock --advance $1"; settle; }
run() { "$@" >/dev/null || nok "failed: $*"; }

run "$KZ" activate dc-failover --note "本番サイトの停止を確認"
advance 5m
run as_uid 1103 "$KZ" respond 1 --available --eta 30m
advance 11m
run as_uid 1102 "$KZ" ack 1 decide
run as_uid 1102 "$KZ" approve 1 decide --note "切り替える"
run as_uid 1104 "$KZ" exception approve 1 --note "入室記録を残すこと"
advance 25m
run as_uid 1103 "$KZ" done 1 switch --note "TTL 60s で切り替え"
run as_uid 1101 "$KZ" exception add 1 --title "バックアップ媒体の持ち出し" --policy "情報管理 5.1" --reason "遠隔地保管" --revert-by 48h
run as_uid 1102 "$KZ" exception reject 2 --note "代替手段あり"
run as_uid 1103 "$KZ" exception add 1 --step switch --title "DNS TTL の短縮" --policy "運用 2.4" --reason "切り戻しに備える" --revert-by 24h
run as_uid 1104 "$KZ" exception approve 3
advance 30m
run as_uid 1105 "$KZ" done 1 verify
run "$KZ" close 1 --note "復旧完了"
advance 2d
run as_uid 1103 "$KZ" exception resolve 3 --adopted --note "通常手順に組み込み"
settle

fail_diff() {
	nok "$1 differs from $2"
	diff -u "$2" "$3" | head -60 | sed 's/^/# /'
}
for f in md json html; do
	"$KZ" report 1 --format $f >"$T/report.$f" 2>"$T/err" ||
	    nok "report --format $f: $(cat "$T/err")"
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
		cp "$T/report.$f" "$GOLDEN/golden.$f"
		ok "wrote golden.$f"
	elif cmp -s "$T/report.$f" "$GOLDEN/golden.$f"; then
		ok "report --format $f matches golden.$f"
	else
		fail_diff "report --format $f" "$GOLDEN/golden.$f" "$T/report.$f"
	fi
done
expect_rc "report is the default format md" 0 "$KZ" report 1
cmp -s "$T/out" "$T/report.md" && ok "md is the default" || nok "the default format is not md"
expect_rc "an unknown format is refused" 1 "$KZ" report 1 --format pdf
grep -q "md, html and json" "$T/err" && ok "the refusal names the formats" || nok "format message: $(cat "$T/err")"
expect_rc "an unknown incident is refused" 1 "$KZ" report 9
j="$T/report.json"
expect_eq "the JSON has every section" "$(jq -c 'keys' <"$j" | tr -d ' ')" '["activation","assembly","chain_head","escalations","exceptions","generated_at","head_hash","incident","maintenance","notifications","open_items","people","report_version","steps","systems","timeline","timezone","verify"]'
expect_eq "open items: the exception still in force" "$(jq -c '[.open_items[] | [.kind, .id, .state]]' <"$j" | tr -d ' ')" '[["exception",1,"active"]]'
expect_eq "exception dispositions" "$(jq -c '[.exceptions[].state]' <"$j" | tr -d ' ')" '["active","rejected","adopted"]'
expect_eq "RTO: portal recovered after 41m (no plan: no target)" "$(jq -c '[.systems[] | [.id, .rto_s, .achieved_s, .met]]' <"$j" | tr -d ' ')" '[["portal",null,2460,null]]'
expect_eq "switch took 25m against a 20m timeout" "$(jq -c '[.steps[] | select(.id == "switch") | [.id, .duration_s, .within_timeout]]' <"$j" | tr -d ' ')" '[["switch",1500,false]]'
expect_eq "assembly: quota in 5m" "$(jq -c '[.assembly[] | [.role, .time_to_quota_s]]' <"$j" | tr -d ' ')" '[["operator",300]]'
expect_eq "the escalation to suzuki is listed" "$(jq -c '[.escalations[] | select(.type == "step.escalated" and .step == "decide") | .to]' <"$j" | tr -d ' ')" '["suzuki"]'
expect_eq "every notification was delivered" "$(jq -c '[.notifications[].state] | unique' <"$j" | tr -d ' ')" '["delivered"]'
expect_eq "the reminder after the close is in the timeline" "$(jq -c '[.timeline[] | select(.type | startswith("exception.")) | .type]' <"$j" | tr -d ' ')" '["exception.requested","exception.approved","exception.requested","exception.rejected","exception.requested","exception.approved","exception.overdue","exception.reminder","exception.resolved"]'
grep -q '<b>&amp;amp; &quot;quote&quot;</b>' "$T/report.html" && nok "HTML left markup unescaped" || ok "HTML escapes step titles"
grep -q '&lt;b&gt;&amp;amp; &quot;quote&quot;&lt;/b&gt;' "$T/report.html" && ok "HTML shows the title's markup as text" || nok "escaped title not found"
grep -q '^## 未完了事項 / Open items' "$T/report.md" && ok "md has bilingual headings" || nok "md headings"
expect_eq "open items come before the timeline" "$(grep -n '^## ' "$T/report.md" | head -1 | cut -d' ' -f2-)" "未完了事項 / Open items"
stop_checked
exit $_failed
