#!/bin/bash
# Issue 18, item 7: separation of duties cannot be bypassed through a
# proxy. Whoever had a hand in requesting an exception measure (the
# member it was requested for, and the person who typed the request, a
# proxy using --as) may not approve or reject it: not in person, not
# --as an approver, and no one may do so --as them. Every combination of
# requester (in person, through a proxy, an admin) and decider (in
# person, a proxy --as, an admin --as) is tried, for approve and reject.
# Identities by uid: tanaka 1101 (it-lead), suzuki 1102 and sato 1103
# (ciso, the approvers), yamada 1104 (secretariat, a proxy role), ito
# 1105; root is an admin.
. "$(dirname "$0")/lib.sh"
cat >"$T/roster.yaml" <<'YAML'
members:
  - {id: tanaka, name: 田中 太郎, unix_user: "1101"}
  - {id: suzuki, name: 鈴木 花子, unix_user: "1102"}
  - {id: sato, name: 佐藤 次郎, unix_user: "1103"}
  - {id: yamada, name: 山田 事務, unix_user: "1104"}
  - {id: ito, name: 伊藤 一郎, unix_user: "1105"}
roles:
  - {id: it-lead, members: [tanaka, ito]}
  - {id: ciso, title: 最高情報セキュリティ責任者, members: [suzuki, sato]}
  - {id: secretariat, title: 事務局, members: [yamada], proxy: true}
YAML
write_config 'exceptions: {approver_role: ciso}'
cat >"$T/runbooks/r.yaml" <<'YAML'
runbook: r
title: 例外措置の試験 / Exceptions
owner: role:it-lead
steps:
  - {id: work, title: 作業, assign: role:it-lead}
YAML
start_kzd || exit 1
expect_rc "an incident" 0 as_uid 1101 "$KZ" activate r

uid_of() { case $1 in tanaka) echo 1101;; suzuki) echo 1102;; sato) echo 1103;; yamada) echo 1104;; ito) echo 1105;; root) echo 0;; esac; }
# run WHO[:AS] args...: as WHO's uid, with --as AS when given.
run() {
	_who=${1%%:*}; _as=; [ "$1" != "$_who" ] && _as=${1#*:}; shift
	if [ -n "$_as" ]; then as_uid "$(uid_of "$_who")" "$KZ" --as "$_as" "$@"
	else as_uid "$(uid_of "$_who")" "$KZ" "$@"; fi
}
n=0
# case REQUESTER DECIDER VERB WANT(0 allowed, 1 refused) [stderr part]
case_() {
	_req=$1 _dec=$2 _verb=$3 _want=$4 _part=${5:-}
	n=$((n + 1))
	run "$_req" exception add 1 --title "措置 $n" --policy "P $n" --reason R --revert-by 24h >/dev/null 2>"$T/err" ||
	    { nok "request $n by $_req: $(cat "$T/err")"; return; }
	if [ "$_verb" = approve ]; then
		run "$_dec" exception approve "$n" >/dev/null 2>"$T/err"
	else
		run "$_dec" exception reject "$n" --note いいえ >/dev/null 2>"$T/err"
	fi
	_rc=$?
	if [ "$_rc" -ne "$_want" ]; then
		nok "requested by $_req, $_verb by $_dec: exit $_rc, want $_want ($(cat "$T/err"))"
	elif [ -n "$_part" ] && ! grep -q "$_part" "$T/err"; then
		nok "requested by $_req, $_verb by $_dec: the refusal should say \"$_part\": $(cat "$T/err")"
	else
		ok "requested by $_req, $_verb by $_dec: $([ "$_want" = 0 ] && echo allowed || echo refused)"
	fi
	# Nothing changed when refused.
	if [ "$_want" = 1 ]; then
		expect_eq "exception $n is still requested" \
		    "$("$KZ" --json exceptions | jq -r ".[] | select(.id == $n) | .state")" requested
	fi
}
for verb in approve reject; do
	# Requested in person.
	case_ tanaka	suzuki		$verb 0
	case_ tanaka	tanaka		$verb 1 "tanaka requested exception"
	case_ tanaka	yamada:tanaka	$verb 1 "tanaka requested exception"
	case_ tanaka	root:tanaka	$verb 1 "tanaka requested exception"
	case_ tanaka	yamada:sato	$verb 0
	case_ tanaka	root:sato	$verb 0
	case_ suzuki	suzuki		$verb 1 "self-approval is not allowed"
	case_ suzuki	sato		$verb 0
	case_ suzuki	root:suzuki	$verb 1 "suzuki requested exception"
	case_ suzuki	yamada:suzuki	$verb 1 "suzuki requested exception"
	# Requested by a proxy for someone else: the proxy may not decide it
	# for an approver (the bypass of issue 18), nor may the member it was
	# requested for, in person or through anyone.
	case_ yamada:tanaka	yamada:sato	$verb 1 "yamada made the request for exception"
	case_ yamada:tanaka	yamada:suzuki	$verb 1 "yamada made the request"
	case_ yamada:tanaka	sato		$verb 0
	case_ yamada:tanaka	root:sato	$verb 0
	case_ yamada:tanaka	root:tanaka	$verb 1 "tanaka requested exception"
	case_ yamada:sato	sato		$verb 1 "sato requested exception"
	case_ yamada:sato	suzuki		$verb 0
	case_ yamada:sato	root:sato	$verb 1 "sato requested exception"
	# The proxy requested as themselves, then decides --as the approver.
	case_ yamada	yamada:sato	$verb 1 "yamada requested exception"
	case_ yamada	sato		$verb 0
	# An admin.
	case_ root	root:sato	$verb 1 "root requested exception"
	case_ root:tanaka	root:sato	$verb 1 "root made the request"
	case_ root:tanaka	sato		$verb 0
	case_ sato	root:sato	$verb 1 "sato requested exception"
	# Someone outside the approver role is refused as before.
	case_ tanaka	ito		$verb 1 "member of role:ciso"
	case_ tanaka	yamada:ito	$verb 1 "member of role:ciso"
done
expect_eq "the log names both on a proxy's decision" \
    "$("$KZ" --json log 1 | jq -c '[.[] | select(.type == "exception.approved" and .on_behalf == "sato")][0] | [.actor, .on_behalf]')" \
    '["yamada","sato"]'
stop_kzd
expect_eq "keizokud exits 0" "$KZD_RC" 0
