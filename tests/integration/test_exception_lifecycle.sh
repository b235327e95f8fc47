#!/bin/bash
# Issue 6, item 1: exception measures (SPEC §7) with the real binaries:
# an exception step records its measure; approve and reject by a member
# of exceptions.approver_role who is not the requester (self-approval,
# admins without --as and outsiders are refused, exit 1 with the
# reason); resolve --reverted | --adopted; reminders before and after
# revert_by; exceptions outlive their incident and `exceptions --open`
# lists them oldest first with how long they have been in force.
# Identities by uid: tanaka 1101, suzuki 1102, sato 1103, yamada 1104,
# ito 1105; approvers (ciso): yamada, suzuki.
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
  - {id: sato, name: 佐藤 次郎, unix_user: "1103"}
  - {id: yamada, name: 山田 監査, unix_user: "1104"}
  - {id: ito, name: 伊藤 一郎, unix_user: "1105"}
roles:
  - {id: it-lead, title: 情報システム責任者, members: [tanaka, suzuki]}
  - {id: operator, title: 担当者, members: [sato, ito]}
  - {id: ciso, title: 最高情報セキュリティ責任者, members: [yamada, suzuki]}
YAML
write_config 'channels:
  ops: {type: slack, url: "http://127.0.0.1:9/ops", retry: [1h]}
exceptions: {approver_role: ciso}'
cat >"$T/runbooks/entry.yaml" <<'YAML'
runbook: entry
title: 代替拠点での作業 / Work at the alternate site
owner: role:it-lead
steps:
  - id: decide
    title: 移動の判断 / Decide to move
    assign: role:it-lead
  - id: entry
    title: 未登録者の入室 / Let unregistered staff in
    needs: [decide]
    type: exception
    with: {title: サーバ室への未登録者の入室, policy: "物理的対策 3.2", reason: 参集要員の不足, revert_by: 72h}
  - id: work
    title: 作業 / Work
    needs: [entry]
    assign: role:operator
YAML
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1
exc() { "$KZ" --json exceptions "$@"; }
err_has() { if grep -q "$2" "$T/err"; then ok "$1"; else nok "$1: stderr was: $(cat "$T/err")"; fi; }

expect_rc "tanaka activates" 0 as_uid 1101 "$KZ" activate entry
expect_rc "tanaka decides" 0 as_uid 1101 "$KZ" done 1 decide
expect_eq "the exception step recorded its measure as requested" "$(exc | jq -c '[.[] | [.id, .incident, .step, .state, .requested_by, .title, .policy, .revert_by_at]]' | tr -d ' ')" '[[1,1,"entry","requested","tanaka","サーバ室への未登録者の入室","物理的対策3.2","2026-11-23T03:12:00Z"]]'
expect_eq "exceptions has the SPEC fields" "$(exc | jq -c '.[0] as $e | ["id","incident","title","policy","state","requested_by","approved_by","revert_by_at","resolved_at","in_force_s","reason","note","step","requested_at","approved_at","drill"] | map(select(. as $k | $e | has($k))) | sort' | tr -d ' ')" '["approved_at","approved_by","drill","id","in_force_s","incident","note","policy","reason","requested_at","requested_by","resolved_at","revert_by_at","state","step","title"]'
expect_eq "show lists it" "$("$KZ" --json show 1 | jq -c '.exceptions')" "[1]"
expect_rc "the step cannot be marked done by hand" 1 "$KZ" --as tanaka done 1 entry
err_has "it says to decide the exception" "exception approve"

expect_rc "an admin without --as may not approve" 1 "$KZ" exception approve 1
err_has "the refusal says to act --as a member" "act --as a member of role:ciso"
expect_rc "an outsider may not approve" 1 as_uid 1105 "$KZ" exception approve 1
err_has "the refusal names the approver role" "member of role:ciso; ito is not one"
expect_rc "a bad id is refused" 1 "$KZ" exception approve abc
expect_rc "an unknown id is refused" 1 "$KZ" exception approve 99
err_has "it says there is no such exception" "no exception 99"
expect_rc "yamada (ciso) approves" 0 as_uid 1104 "$KZ" exception approve 1 --note "入室記録を残すこと"
expect_eq "approved: active, approved_by yamada" "$(exc | jq -c '.[0] | [.state, .approved_by, .approved_at, .in_force_s]' | tr -d ' ')" '["active","yamada","2026-11-20T03:12:00Z",0]'
expect_eq "the exception step is done and its dependent ready" "$("$KZ" --json show 1 | jq -c '[.steps[] | [.id, .state]]' | tr -d ' ')" '[["decide","done"],["entry","done"],["work","ready"]]'
expect_eq "the log records the decision then the step" "$("$KZ" --json log 1 | jq -c '[.[] | [.type, .actor]][-3:]' | tr -d ' ')" '[["exception.approved","yamada"],["step.done","yamada"],["step.ready","yamada"]]'
expect_rc "approving twice is refused" 1 as_uid 1102 "$KZ" exception approve 1
err_has "it says the exception is active" "exception 1 is active"

expect_rc "add without --revert-by is refused" 1 as_uid 1102 "$KZ" exception add 1 --title T --policy P --reason R
err_has "the refusal names the missing flag" "missing --revert-by"
expect_rc "a bad --revert-by is refused" 1 as_uid 1102 "$KZ" exception add 1 --title T --policy P --reason R --revert-by soon
expect_rc "an unknown --step is refused" 1 as_uid 1102 "$KZ" exception add 1 --title T --policy P --reason R --revert-by 1d --step nosuch
expect_rc "an unknown incident is refused" 1 as_uid 1102 "$KZ" exception add 7 --title T --policy P --reason R --revert-by 1d
out=$(as_uid 1102 "$KZ" exception add 1 --step work --title "バックアップ媒体の持ち出し" --policy "情報管理 5.1" --reason "遠隔地保管" --revert-by 48h)
expect_eq "suzuki (ciso) requests exception 2" "$out" "exception 2 requested
an approver decides with: keizoku exception approve 2 (or reject 2 --note WHY)"
expect_rc "suzuki may not approve his own request" 1 as_uid 1102 "$KZ" exception approve 2
err_has "self-approval is named" "self-approval"
expect_rc "nor may an admin acting --as suzuki" 1 "$KZ" --as suzuki exception approve 2
err_has "self-approval is named for --as too" "suzuki requested exception 2"
expect_rc "nor reject it himself" 1 as_uid 1102 "$KZ" exception reject 2 --note "取り下げ"
expect_rc "rejecting needs a note" 1 as_uid 1104 "$KZ" exception reject 2
err_has "the refusal asks for --note" "\-\-note"
expect_rc "yamada rejects it" 0 as_uid 1104 "$KZ" exception reject 2 --note "代替手段あり"
expect_eq "rejected, by yamada, with the reason" "$(exc | jq -c '[.[] | select(.id == 2) | [.state, .resolved_by, .note, .approved_by]]' | tr -d ' ')" '[["rejected","yamada","代替手段あり",null]]'
expect_rc "a rejected one cannot be resolved" 1 as_uid 1102 "$KZ" exception resolve 2 --reverted --note x
expect_rc "nor approved" 1 as_uid 1104 "$KZ" exception approve 2
expect_eq "the work step was not touched by a manual exception" "$("$KZ" --json show 1 | jq -r '.steps[2].state')" "ready"

expect_rc "sato requests exception 3" 0 as_uid 1103 "$KZ" exception add 1 --title "DNS TTL の短縮" --policy "運用 2.4" --reason "切り戻しに備える" --revert-by 24h
expect_rc "an admin --as suzuki approves it" 0 "$KZ" --as suzuki exception approve 3
expect_eq "logged as root on behalf of suzuki" "$("$KZ" --json log 1 | jq -c '[.[] | select(.type == "exception.approved") | [.actor, .on_behalf]][-1]' | tr -d ' ')" '["root","suzuki"]'
expect_rc "resolve needs --reverted or --adopted" 1 as_uid 1103 "$KZ" exception resolve 3 --note x
expect_rc "not both" 1 as_uid 1103 "$KZ" exception resolve 3 --reverted --adopted --note x
expect_rc "and a note" 1 as_uid 1103 "$KZ" exception resolve 3 --reverted
expect_rc "an outsider may not resolve" 1 as_uid 1105 "$KZ" exception resolve 3 --reverted --note x
err_has "the refusal says who may" "can be resolved by its requester (sato)"
advance 1h
expect_rc "the requester reverts it" 0 as_uid 1103 "$KZ" exception resolve 3 --reverted --note "TTL を戻した"
expect_eq "reverted: resolved_by, note, in force 1h" "$(exc | jq -c '[.[] | select(.id == 3) | [.state, .resolved_by, .note, .in_force_s, .resolved_at]]' | tr -d ' ')" '[["reverted","sato","TTLを戻した",3600,"2026-11-20T04:12:00Z"]]'
expect_eq "its reminders are gone" "$(kz_sql "SELECT count(*) FROM timers WHERE step = 'exception:3'")" "0"
expect_eq "exception 1 has its reminders armed" "$(kz_sql "SELECT kind || '@' || due FROM timers WHERE step = 'exception:1' ORDER BY kind" | paste -sd,)" "exc-after@1795403520000,exc-before@1795317120000"

# Exceptions outlive their incident.
expect_rc "work is done" 0 as_uid 1103 "$KZ" done 1 work
expect_rc "tanaka closes the incident" 0 as_uid 1101 "$KZ" close 1 --force
expect_eq "exception 1 is still active after the close" "$(exc | jq -c '[.[] | select(.id == 1) | .state]')" '["active"]'
expect_eq "its reminders survived the close" "$(kz_sql "SELECT count(*) FROM timers WHERE step = 'exception:1'")" "2"
expect_rc "a second incident" 0 as_uid 1101 "$KZ" activate entry --drill
expect_rc "its decision" 0 as_uid 1101 "$KZ" done 2 decide
expect_rc "sato requests a measure there" 0 as_uid 1103 "$KZ" exception add 2 --title "私物端末の使用" --policy "端末 1.1" --reason "端末不足" --revert-by 7d
advance 2h
expect_eq "--open lists every one not disposed of, oldest first" "$(exc --open | jq -c '[.[] | [.id, .incident, .state, .in_force_s]]' | tr -d ' ')" '[[1,1,"active",10800],[4,2,"requested",null],[5,2,"requested",null]]'
expect_eq "--incident filters" "$(exc --open --incident 2 | jq -c '[.[].id]' | tr -d ' ')" '[4,5]'
expect_eq "drills are marked" "$(exc --incident 2 | jq -c '[.[].drill]' | tr -d ' ')" '[true,true]'
check "the text list shows how long it has been in force" sh -c "'$KZ' exceptions --open | grep -qE '^ +1 +1 +active .* 3h '"
expect_rc "--incident takes a number" 1 "$KZ" exceptions --incident x

advance 45h
expect_eq "a day before revert_by: a reminder" "$("$KZ" --json log 1 | jq -c '[.[] | select(.type == "exception.reminder" or .type == "exception.overdue") | [.type, .actor, .data.exception]]' | tr -d ' ')" '[["exception.reminder","keizokud",1]]'
advance 1d
expect_eq "at revert_by: overdue" "$(exc | jq -c '[.[] | select(.id == 1) | .overdue]')" "[true]"
advance 1d
expect_eq "overdue reminders repeat daily" "$("$KZ" --json log 1 | jq -c '[.[] | select(.type == "exception.reminder" or .type == "exception.overdue") | .type]' | tr -d ' ')" '["exception.reminder","exception.overdue","exception.overdue"]'
n=$("$KZ" --json notifications --incident 1 | jq -c '[.[] | select(.event | startswith("exception.")) | [.event, .text]]')
expect_eq "notifications for every exception event" "$(echo "$n" | jq -c '[.[][0]] | unique' | tr -d ' ')" '["exception.approved","exception.overdue","exception.rejected","exception.reminder","exception.requested","exception.resolved"]'
expect_eq "reminders go to the requester and the approver" "$(echo "$n" | jq '[.[] | select(.[0] == "exception.reminder")] | length')" "2"
expect_eq "their texts name the measure (Japanese and English)" "$(echo "$n" | jq 'all(.[] | select(.[0] == "exception.reminder" or .[0] == "exception.overdue") | .[1]; contains("サーバ室への未登録者の入室") and contains("\n"))')" "true"
expect_rc "tanaka (requester) adopts it after the close" 0 as_uid 1101 "$KZ" exception resolve 1 --adopted --note "入室手順を改訂し通常手順化"
expect_eq "adopted" "$(exc | jq -c '[.[] | select(.id == 1) | [.state, .overdue]]' | tr -d ' ')" '[["adopted",false]]'
expect_eq "no reminders left for it" "$(kz_sql "SELECT count(*) FROM timers WHERE step = 'exception:1'")" "0"
expect_eq "--open no longer lists it" "$(exc --open | jq -c '[.[].id]' | tr -d ' ')" '[4,5]'
expect_rc "the hash chain verifies" 0 "$KZ" verify
stop_checked
exit $_failed
