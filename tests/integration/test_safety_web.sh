#!/bin/bash
# Issue 23: the safety check (安否確認, SPEC §18) on the personal page
# (§14), with the real binaries and a real SMTP server: the safety.ask
# mail carries the member's own link; GET /r/{token} shows the form (無事
# / 負傷 / 要救助, 参集可 with an ETA / 参集不可, a note); a POST records
# the answer as `keizoku safety` and REST do (the same event, the same
# tally, the log says "member (web)"); the earlier answer is shown and a
# later one replaces it; a replayed form, a member not asked, a bad
# status and an answer after the close are refused with a clear message.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
. "$KZ_TOP/tests/integration/lib-web.sh"
start_smtpd || { nok "smtpd did not start"; exit 1; }
cat >"$T/roster.yaml" <<'YAML'
members:
  - {id: tanaka, name: 田中 太郎, unix_user: "1101", email: tanaka@example.go.jp, site: 本省, area: 東京都}
  - {id: sato, name: 佐藤 次郎, email: sato@example.go.jp, site: 本省, area: 東京都}
  - {id: kato, name: 加藤 三郎, email: kato@example.go.jp, site: 分室, area: 大阪府}
roles:
  - {id: boss, title: 本部長, members: [tanaka]}
  - {id: staff, title: 職員, members: [tanaka, sato]}
YAML
write_config "$(web_config)
sources:
  hooks: {format: json, auth: {none: true}}"
cat >"$T/runbooks/anpi.yaml" <<'YAML'
runbook: anpi
title: 地震時の安否確認 / Earthquake safety check
kind: staff-assembly
owner: role:boss
activation:
  - source: hooks
    match: {kind: quake}
steps:
  - id: anpi
    title: 職員の安否確認 / Staff safety check
    type: safety
    with: {roles: [staff]}
  - id: check
    title: 庁舎の点検 / Check the building
    assign: kato
YAML
export KEIZOKU_TEST_CLOCK=2026-12-07T00:00:00Z
start_kzd || exit 1

printf '%s' '{"kind":"quake"}' >"$T/trig.json"
expect_eq "the trigger activates incident 1" "$(post /v1/hooks/hooks "$T/trig.json")" 202
INC=1
check "the safety.ask mail reaches sato" wait_mail sato@example.go.jp 1
check "and kato has his step's mail" wait_mail kato@example.go.jp 1
LINK=$(last_link sato@example.go.jp r)
KATO=$(last_link kato@example.go.jp r)
check "the safety.ask mail carries sato's own link" test -n "$LINK"
expect_eq "to sato alone" \
    "$(mails -c '[.[] | select(.body | contains("'"$LINK"'")) | .rcpt_tos]')" '[["sato@example.go.jp"]]'

# --- GET: the form ---
expect_eq "the link opens sato's page" "$(page "$LINK")" 200
check "with the safety check" grep -q 'id="safety"' "$T/page"
check "not yet answered" grep -q '未回答' "$T/page"
for v in safe injured unsafe; do
	check "a choice status=$v" grep -q "name=\"status\" value=\"$v\"" "$T/page"
done
check "無事 / 負傷 / 要救助 in Japanese first" sh -c "grep -q '無事' '$T/page' && grep -q '負傷' '$T/page' && grep -q '要救助' '$T/page'"
check "参集可 with an ETA, 参集不可" sh -c "grep -q 'name=\"come\" value=\"yes\"' '$T/page' && grep -q 'name=\"come\" value=\"no\"' '$T/page' && grep -q 'select name=\"eta\"' '$T/page'"
check "a note" grep -q 'textarea name="note"' "$T/page"
check "the form posts to the page's own URL" grep -q "action=\"/r/${LINK##*/r/}\"" "$T/page"
check "no script needed" sh -c "! grep -q '<script' '$T/page'"
check "the phone viewport" grep -q 'name="viewport"' "$T/page"

# --- POST: recorded as keizoku safety records it ---
C=$(csrf_of form safety)
expect_eq "answering injured, can come in 2h answers 303" \
    "$(form "$LINK" "csrf=$C&form=safety&status=injured&come=yes&eta=2h" --data-urlencode 'note=足を捻挫 <b>')" 303
expect_eq "the page comes back with 受け付けました" "$(page "$(sed -n 's/^[Ll]ocation: *//p' "$T/hdr" | tr -d '\r' | sed "s|^/|$URL/|")")" 200
check "... saying so" grep -q '受け付けました' "$T/page"
R=$("$KZ" safety $INC --list --json | jq -c '.[] | select(.member == "sato") | [.status, .can_come, .eta_s, .answered_at != null]')
expect_eq "sato's row: injured, can come, 2h" "$R" '["injured",true,7200,true]'
expect_eq "the tally counts it" \
    "$("$KZ" show $INC --json | jq -c '.safety | [.asked, .answered, .injured, .can_come, .by_site["本省"].injured]')" '[2,1,1,1,1]'
E=$("$KZ" log $INC --json | jq -c '[.[] | select(.type == "safety.answered")] | last')
expect_eq "one safety.answered event, by sato (web)" "$(echo "$E" | jq -r .actor)" "sato (web)"
expect_eq "with the answer" "$(echo "$E" | jq -c '.data | [.member, .status, .can_come, .eta_s, .note, .first]')" \
    '["sato","injured",true,7200,"足を捻挫 <b>",true]'
page "$LINK" >/dev/null
check "the earlier answer is shown" sh -c "grep -q '<b class=\"tag\">負傷</b>' '$T/page' && grep -q '参集可' '$T/page'"
check "its note escaped" grep -q '足を捻挫 &lt;b&gt;' "$T/page"
check "and preselected" grep -q 'value="injured" checked' "$T/page"

N0=$("$KZ" log $INC --json | jq length)
expect_eq "a replayed form is refused" "$(form "$LINK" "csrf=$C&form=safety&status=safe")" 409
expect_eq "and changes nothing" "$("$KZ" log $INC --json | jq length)" "$N0"
expect_eq "a form without csrf is refused" "$(form "$LINK" "form=safety&status=safe")" 403
page "$LINK" >/dev/null
expect_eq "a bad status is refused" "$(form "$LINK" "csrf=$(csrf_of form safety)&form=safety&status=fine")" 400
check "... saying what to choose" grep -q '無事・負傷・要救助' "$T/page"
page "$LINK" >/dev/null
expect_eq "no status is refused" "$(form "$LINK" "csrf=$(csrf_of form safety)&form=safety&come=no")" 400
expect_eq "nothing recorded by them" "$("$KZ" log $INC --json | jq '[.[] | select(.type == "safety.answered")] | length')" 1

page "$LINK" >/dev/null
expect_eq "a later answer (safe, cannot come) replaces it" \
    "$(form "$LINK" "csrf=$(csrf_of form safety)&form=safety&status=safe&come=no&eta=1h")" 303
expect_eq "the row says so (an ETA without can come is dropped)" \
    "$("$KZ" safety $INC --list --json | jq -c '.[] | select(.member == "sato") | [.status, .can_come, .eta_s]')" '["safe",false,null]'
expect_eq "the tally counts sato once" \
    "$("$KZ" show $INC --json | jq -c '.safety | [.answered, .safe, .injured, .cannot_come]')" '[1,1,0,1]'

# --- a member not asked ---
expect_eq "kato's link opens his page" "$(page "$KATO")" 200
check "without a safety form (he was not asked)" sh -c "! grep -q 'id=\"safety\"' '$T/page'"
expect_eq "his safety POST is refused" "$(form "$KATO" "csrf=$(csrf_first)&form=safety&status=safe")" 409
check "... saying he was not asked" grep -q 'no safety check of incident 1 asked kato' "$T/page"

# --- after the close ---
# A page rendered before the close still has its form: keep one.
page "$LINK" >/dev/null
SAVED_CSRF=$(csrf_of form safety)
"$KZ" close $INC --force --note "訓練終了" >/dev/null
expect_eq "after the close the page still opens" "$(page "$LINK")" 200
check "with sato's answer" grep -q '<b class="tag">無事</b>' "$T/page"
check "and no form" sh -c "! grep -q 'name=\"status\"' '$T/page'"
expect_eq "an answer after the close is refused" \
    "$(form "$LINK" "csrf=$SAVED_CSRF&form=safety&status=unsafe")" 409
check "... saying why" grep -q 'incident 1 is closed: safety answers are no longer taken' "$T/page"
expect_eq "nothing recorded" "$("$KZ" safety $INC --list --json | jq -r '.[] | select(.member == "sato") | .status')" safe
stop_clean
exit $_failed
