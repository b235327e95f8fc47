#!/bin/bash
# Issue 5, item 4: the shipped telework-switch runbook end to end with the
# shipped config, roster and plan, from both of its triggers: a signed
# Grafana VPNCapacityLow alert (pending until the manager confirms) and a
# manual activation for a pandemic (cause=pandemic adds the shift teams).
# Every step is driven with the real CLI, the VPN probe runs for real
# against a stand-in, the BYOD exception is approved and later reverted.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
FIX=$KZ_TOP/tests/fixtures/hooks

. "$(dirname "$0")/lib-ship.sh"

sed -i "s|127.0.0.1:8443|127.0.0.1:$STUB|" "$T/ship/runbooks/telework-switch.yaml"
ship_start || exit 1

# drive INC: takes a confirmed telework incident through every step.
drive() {
	_i=$1
	expect_eq "#$_i: the decision comes first" "$(states "$_i" | jq -c '[to_entries[] | select(.value != "blocked") | .key]')" '["decide"]'
	act "#$_i: tanaka decides the scope" tanaka approve "$_i" decide --note "全部署、2週間、同時2,000人"
	wait_for "#$_i: the VPN concentrator answers (http_check)" 15 step_is "$_i" vpn-status done
	act "#$_i: licences checked" sato done "$_i" licences --note "VPN 1,500 / 必要 2,000、予備 600"
	act "#$_i: load checked" matsumoto done "$_i" capacity --note "回線使用率 85%、CPU 70%"
	expect_eq "#$_i: the BYOD exception is requested" "$(excs "$_i" | jq -c '[.[] | [.step, .state]]' | tr -d ' ')" '[["exc-byod","requested"]]'
	exc_approve "$_i" exc-byod kobayashi "仮想デスクトップ経由に限り承認"
	act "#$_i: capacity added" inoue done "$_i" expand --note "予備ライセンス600適用、分割トンネル設定"
	expect_eq "#$_i: staff are told" "$(st "$_i" staff-notice)" done
	act "#$_i: remote access tested" ito done "$_i" verify --note "12部署で接続確認、同時 2,050"
	expect_eq "#$_i: vpn and webconf are recovered" "$(recovered "$_i")" '["vpn","webconf"]'
	act "#$_i: helpdesk open" sasaki done "$_i" helpdesk --note "問合せ窓口 内線 1234"
	expect_eq "#$_i: the report is sent" "$(st "$_i" report)" done
	check "#$_i: the report carries the test result" sh -c "'$KZ' --json show $_i | grep -q '接続試験: 12部署で接続確認'"
	act "#$_i: the review ends it" tanaka done "$_i" review --note "対策本部が終了を決定"
}

# --- from Grafana: VPNCapacityLow, signed, confirm mode ---
now=$(date +%s)
sig=$($SIGN hmac "$KEIZOKU_GRAFANA_SECRET" "$now" "$FIX/grafana-v1.json")
code=$(post /v1/hooks/grafana "$FIX/grafana-v1.json" -H "X-Grafana-Alerting-Signature-Timestamp: $now" -H "X-Grafana-Alerting-Signature: 0$sig")
expect_resp "a forged Grafana signature is refused" "$code" 401
code=$(post /v1/hooks/grafana "$FIX/grafana-v1.json" -H "X-Grafana-Alerting-Signature-Timestamp: $now" -H "X-Grafana-Alerting-Signature: $sig")
expect_resp "VPNCapacityLow starts telework-switch" "$code" 202 '.' '{"accepted":1,"incidents":[1]}'
expect_eq "pending until confirmed" "$("$KZ" --json show 1 | jq -c '[.runbook, .state]' | tr -d ' ')" '["telework-switch","pending"]'
expect_rc "the CSIRT may not confirm it" 1 as kimura confirm 1
act "takahashi (second deputy it-lead) confirms" takahashi confirm 1 --note "テレワーク実施中の容量逼迫"
drive 1
expect_eq "#1: the capacity case skips the shift teams" "$("$KZ" --json show 1 | jq -c '[.steps[] | select(.id == "shift-teams") | [.state, .note]][0]' | tr -d ' ')" '["skipped","when:conditionnotmet"]'
expect_eq "#1: every step is done or skipped" "$(states 1 | jq -c '[.[]] | unique')" '["done","skipped"]'
act "tanaka closes #1" tanaka close 1 --note "容量拡張完了"

# --- a pandemic: activated by hand with cause=pandemic ---
out=$(as tanaka --json activate telework-switch --var cause=pandemic --var attendance=30% --note "対策本部決定 第3号")
expect_eq "a manual activation starts at once" "$(echo "$out" | jq -c '[.incident, .state]' | tr -d ' ')" '[2,"active"]'
drive 2
expect_eq "#2: the shift teams are due" "$(st 2 shift-teams)" ready
act "#2: shift teams formed" tanaka done 2 shift-teams --note "A班・B班の週交代、委託先は在宅待機"
expect_eq "#2: every step is done" "$(states 2 | jq -c '[.[]] | unique')" '["done"]'
check "#2: the staff notice carries the attendance target" sh -c "'$KZ' --json show 2 | grep -q '出勤率の目標: 30%'"
act "tanaka closes #2" tanaka close 2 --note "流行終息"
expect_eq "both BYOD measures stay open after the close" "$(excs open | jq -c '[.[] | [.incident, .state]]' | tr -d ' ')" '[[1,"active"],[2,"active"]]'
act "the first is reverted" tanaka exception resolve "$(exc_id 1 exc-byod)" --reverted --note "貸与端末を配布し私物端末の利用を停止"
act "the second is adopted as a standing rule" kobayashi exception resolve "$(exc_id 2 exc-byod)" --adopted --note "テレワーク規程に私物端末利用の条件として追加"
expect_eq "none is left open" "$(excs open | jq 'length')" 0
wait_for "the staff notice reached the channel" 10 grep -q 'テレワーク】#2' "$T/stub.log"
ship_stop
exit $_failed
