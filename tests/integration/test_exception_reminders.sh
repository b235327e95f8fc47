#!/bin/bash
# Issue 6, item 1: exception reminders are durable timers. They survive
# the incident's close and kill -9: reminders that fell due while the
# daemon was down fire at once on restart, before revert_by (to the
# requester and the approver) and after it (then daily), with the test
# clock; then, seconds apart, a reminder falls due at start and the next
# from the timer re-armed after the restart. (That the live event loop
# fires durable timers in real time is test_fault_*'s and
# test_fault_crash's part.)
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
cat >"$T/roster.yaml" <<'YAML'
members:
  - {id: tanaka, name: 田中 太郎, unix_user: "1101"}
  - {id: suzuki, name: 鈴木 花子, unix_user: "1102"}
  - {id: yamada, name: 山田 監査, unix_user: "1104"}
roles:
  - {id: it-lead, title: 情報システム責任者, members: [tanaka, suzuki]}
  - {id: ciso, title: 最高情報セキュリティ責任者, members: [yamada]}
YAML
write_config 'channels:
  ops: {type: slack, url: "http://127.0.0.1:9/ops", retry: [1h]}
exceptions: {approver_role: ciso, remind: [24h]}'
cat >"$T/runbooks/r.yaml" <<'YAML'
runbook: r
title: 例外措置の期限 / Revert-by reminders
owner: role:it-lead
steps:
  - id: work
    title: 作業
    assign: role:it-lead
YAML
db() { sqlite3 "$T/state/keizoku.db" "$1"; }
events() { "$KZ" --json log 1 | jq -c '[.[] | select(.type == "exception.reminder" or .type == "exception.overdue") | [.type, .at]]'; }
timers() { db "SELECT group_concat(kind || '@' || due, ',') FROM (SELECT kind, due FROM timers WHERE step LIKE 'exception:%' ORDER BY kind)"; }
ms() { date -u -d "$1" +%s000; }

KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1
expect_rc "activate" 0 as_uid 1101 "$KZ" activate r
expect_rc "tanaka requests a measure due in 48h" 0 as_uid 1101 "$KZ" exception add 1 --title "予備回線の開放" --policy "NW 4.2" --reason "主回線断" --revert-by 48h
expect_rc "yamada approves it" 0 as_uid 1104 "$KZ" exception approve 1
expect_eq "reminders armed: a day before and at revert_by" "$(timers)" "exc-after@$(ms 2026-11-22T03:12:00Z),exc-before@$(ms 2026-11-21T03:12:00Z)"
expect_rc "the incident is closed" 0 as_uid 1101 "$KZ" close 1 --force
expect_eq "the close left them" "$(timers)" "exc-after@$(ms 2026-11-22T03:12:00Z),exc-before@$(ms 2026-11-21T03:12:00Z)"
kill9_kzd

KEIZOKU_TEST_CLOCK=2026-11-21T04:12:00Z start_kzd || exit 1
expect_eq "after kill -9 and a restart past the reminder, it fired at once" "$(events)" '[["exception.reminder","2026-11-21T04:12:00Z"]]'
expect_eq "it went to the requester and the approver" "$("$KZ" --json notifications --incident 1 | jq '[.[] | select(.event == "exception.reminder")] | length')" "2"
expect_eq "the overdue reminder is still armed" "$(timers)" "exc-after@$(ms 2026-11-22T03:12:00Z)"
kill9_kzd

KEIZOKU_TEST_CLOCK=2026-11-22T05:00:00Z start_kzd || exit 1
expect_eq "past revert_by while down: overdue at once" "$(events)" '[["exception.reminder","2026-11-21T04:12:00Z"],["exception.overdue","2026-11-22T05:00:00Z"]]'
expect_eq "the next overdue reminder is a day after revert_by" "$(timers)" "exc-after@$(ms 2026-11-23T03:12:00Z)"
advance 3d
expect_eq "three days on: one more reminder, not one per missed day" "$(events | jq 'length')" "3"
expect_eq "the next is still on the daily rhythm" "$(timers)" "exc-after@$(ms 2026-11-26T03:12:00Z)"
expect_eq "the exception is overdue" "$("$KZ" --json exceptions --open | jq -c '[.[] | [.id, .state, .overdue]]')" '[[1,"active",true]]'
expect_rc "tanaka reverts it" 0 as_uid 1101 "$KZ" exception resolve 1 --reverted --note "予備回線を閉じた"
expect_eq "no reminders remain" "$(timers)" ""
expect_rc "the hash chain verifies after the crashes" 0 "$KZ" verify
check "integrity_check ok" sh -c "sqlite3 '$T/state/keizoku.db' 'PRAGMA integrity_check' | grep -qx ok"
stop_checked

# A fresh database, reminders seconds apart (with the test clock: in real
# time the CLI's own latency decided whether the first was ever armed).
sed -i 's/^state_dir: state$/state_dir: state2/; s/remind: \[24h\]/remind: [2s]/' "$T/keizokud.yaml"
mkdir -p "$T/state2"
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1
expect_rc "activate (seconds apart)" 0 as_uid 1101 "$KZ" activate r
expect_rc "request with revert_by in 4s" 0 as_uid 1101 "$KZ" exception add 1 --title "予備回線の開放" --policy "NW 4.2" --reason "主回線断" --revert-by 4s
expect_rc "approve" 0 as_uid 1104 "$KZ" exception approve 1
kill9_kzd
# Down for 3s: the reminder 2s before revert_by falls due meanwhile.
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:03Z start_kzd || exit 1
rt_has() { "$KZ" --json log 1 | jq -e --arg t "$1" 'any(.[]; .type == $t)' >/dev/null; }
check "the reminder due while down fired on start" rt_has exception.reminder
check "revert_by is a second away: not overdue yet" sh -c "! '$KZ' --json log 1 | grep -q exception.overdue"
advance 1s
check "the overdue reminder fires from the timer re-armed after the restart" rt_has exception.overdue
expect_rc "verify" 0 "$KZ" verify
stop_checked
exit $_failed
