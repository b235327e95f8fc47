#!/bin/bash
# Issue 6, item 3: the report and `keizoku verify` agree with the
# hash-chained event log. The report carries the hash of the incident's
# last event (what a printed copy is checked against) and the head of
# the whole log; after an event row is edited behind keizokud's back,
# verify exits 1 naming that event and the report says the log fails.
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
write_config
cat >"$T/runbooks/v.yaml" <<'YAML'
runbook: v
title: 検証 / Verify
owner: role:it-lead
steps:
  - id: one
    title: 一つ目
    assign: role:it-lead
  - id: two
    title: 二つ目
    needs: [one]
    assign: role:operator
YAML
start_kzd || exit 1
"$KZ" activate v >/dev/null
"$KZ" --as tanaka done 1 one --note "完了" >/dev/null
"$KZ" activate v >/dev/null
"$KZ" --as tanaka done 2 one >/dev/null
"$KZ" report 1 --format json >"$T/r1.json" || nok "report 1 --format json"
"$KZ" --json log 1 >"$T/log1.json"
"$KZ" --json verify >"$T/verify.json"
expect_eq "head_hash is the hash of the incident's last logged event" "$(jq -r '.head_hash' <"$T/r1.json")" "$(jq -r '.[-1].hash' <"$T/log1.json")"
expect_eq "chain_head is the head verify reports" "$(jq -r '.chain_head' <"$T/r1.json")" "$(jq -r '.head' <"$T/verify.json")"
expect_eq "the head moved on with incident 2: they differ" "$(jq '.head_hash != .chain_head' <"$T/r1.json")" "true"
expect_eq "the timeline is the log, event for event" "$(jq -c '[.timeline[] | [.seq, .hash, .type, .text]]' <"$T/r1.json")" "$(jq -c '[.[] | [.seq, .hash, .type, .text]]' <"$T/log1.json")"
expect_eq "the report says the log verifies" "$(jq -c '[.verify.ok, .verify.events]' <"$T/r1.json" | tr -d ' ')" "[true,$(jq '.events' <"$T/verify.json")]"
"$KZ" report 1 --format md >"$T/r1.md"
check "the Markdown shows the hash to check a printed copy against" grep -q "$(jq -r '.head_hash' <"$T/r1.json")" "$T/r1.md"
"$KZ" report 1 --format html >"$T/r1.html"
check "so does the HTML" grep -q "$(jq -r '.head_hash' <"$T/r1.json")" "$T/r1.html"

seq=$(jq '[.[] | select(.type == "step.done") | .seq][0]' <"$T/log1.json")
kz_sql "UPDATE events SET data = replace(data, '完了', '未完了') WHERE seq = $seq"
expect_rc "verify exits 1 after an event was edited" 1 "$KZ" verify
expect_eq "verify names that event" "$("$KZ" --json verify | jq -c '[.ok, .first_bad.seq, .first_bad.incident]' | tr -d ' ')" "[false,$seq,1]"
check "the text output names it too" sh -c "'$KZ' verify 2>&1 | grep -q '$seq'"
"$KZ" report 1 --format json >"$T/r2.json"
expect_eq "the report says the log fails at that event" "$(jq -c '[.verify.ok, .verify.first_bad.seq]' <"$T/r2.json" | tr -d ' ')" "[false,$seq]"
"$KZ" report 1 >"$T/r2.md"
check "the Markdown warns that the log fails verification" grep -q "FAILS verification at event $seq" "$T/r2.md"
"$KZ" report 1 --format html >"$T/r2.html"
check "the HTML warns in a banner" grep -q "class=\"banner\">監査ログの検証に失敗" "$T/r2.html"
stop_checked
exit $_failed
