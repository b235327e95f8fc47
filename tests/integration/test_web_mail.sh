#!/bin/bash
# Issue 13: personal answer links by e-mail (a real SMTP server with
# STARTTLS and AUTH), the personal page's forms, sign-in by a mailed
# one-time link or an API token, and the attacks: expired, forged,
# truncated and other-member tokens, replayed and CSRF-less POSTs, another
# member's session, HTML in names, notes and trigger labels, header
# injection from trigger data; Message-ID stable across retries.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
. "$KZ_TOP/tests/integration/lib-web.sh"
start_smtpd --fail 1 || { nok "smtpd did not start"; exit 1; }
TOKEN=tanaka-api-token-0123456789
cat >"$T/roster.yaml" <<'YAML'
members:
  - {id: tanaka, name: 田中 太郎, unix_user: "1101", email: tanaka@example.go.jp}
  - {id: sato, name: 佐藤 次郎, unix_user: "1103", email: sato@example.go.jp}
  - {id: ito, name: "伊藤 <script>alert('name')</script>", unix_user: "1105", email: ito@example.go.jp}
roles:
  - {id: it-lead, title: 情報システム責任者, members: [tanaka]}
  - {id: operator, title: 運用担当, members: [sato, ito]}
YAML
write_config "$(web_config)
tokens:
  - {member: tanaka, sha256: \"$(sha256 "$TOKEN")\"}
sources:
  hooks: {format: json, auth: {none: true}}"
cat >"$T/runbooks/quake.yaml" <<'YAML'
runbook: quake
title: 震度6弱 参集 / Quake assembly
kind: staff-assembly
owner: role:it-lead
activation:
  - source: hooks
    match: {kind: quake}
steps:
  - id: assemble
    title: 運用担当の参集 / Assemble operators
    type: assemble
    with: {roles: {operator: 2}}
  - id: alert
    type: notify
    with: {channels: [mail], to: role:operator, text: "警報 {{trigger.label}}"}
  - id: decide
    title: 対応方針の決定 / Decide
    assign: role:it-lead
  - id: verify
    title: サーバ室の確認 / Check the server room
    needs: [assemble]
    assign: sato
    timeout: 30m
YAML
export KEIZOKU_TEST_CLOCK=2026-12-07T00:00:00Z
start_kzd || exit 1

# A trigger whose label carries markup and a header injection attempt.
printf '%s' '{"kind":"quake","label":"<script>alert(1)</script>\r\nBcc: evil@example.com"}' >"$T/trig.json"
expect_eq "the trigger activates incident 1" "$(post /v1/hooks/hooks "$T/trig.json")" 202
INC=1

# --- mail ---
# The first attempt is refused (451): the outbox retries on its schedule.
wait_for "a first attempt failed" 20 sh -c "$KZ notifications --json | jq -e '[.[] | select(.channel == \"mail\" and .attempts >= 1 and .state == \"pending\")] | length > 0'"
"$KZ" _clock --advance 10s >/dev/null
wait_for "the retry delivers it" 20 sh -c "$KZ notifications --json | jq -e '[.[] | select(.channel == \"mail\" and .state != \"delivered\")] | length == 0'"
check "the call-out reaches sato by mail" wait_mail sato@example.go.jp 2
check "and ito" wait_mail ito@example.go.jp 2
M=$(mails '[.[] | select(.rcpt_tos == ["sato@example.go.jp"]) | select(.subject | contains("参集"))] | first')
expect_eq "the subject decodes to the Japanese call-out" \
    "$(echo "$M" | jq -r '.subject | startswith("【参集】#1 震度6弱 参集")')" true
expect_eq "one recipient: the member alone" "$(echo "$M" | jq -c .rcpt_tos)" '["sato@example.go.jp"]'
expect_eq "To names the member" "$(echo "$M" | jq -r .to)" "佐藤 次郎 <sato@example.go.jp>"
expect_eq "over STARTTLS, after AUTH" "$(echo "$M" | jq -c '[.tls, .auth != null]')" "[true,true]"
expect_eq "the subject is an encoded-word" \
    "$(echo "$M" | jq -r .raw_headers | grep -c '^Subject: =?UTF-8?B?')" 1
expect_eq "the Message-ID is the notification's, the same after a retry" \
    "$("$KZ" notifications --json | jq -r --arg m "$(echo "$M" | jq -r .message_id)" \
    '[.[] | select("<" + .webhook_id + "@example.go.jp>" == $m) | .attempts] | .[0] >= 1')" true
expect_eq "a retried delivery kept its Message-ID" \
    "$("$KZ" notifications --json | jq '[.[] | select(.channel == "mail" and .attempts == 2)] | length')" 1
A=$(mails -r '[.[] | select(.subject | contains("警報"))] | map(.rcpt_tos) | flatten | sort | join(",")')
expect_eq "trigger text reached the notify step's mail" "$A" "ito@example.go.jp,sato@example.go.jp"
expect_eq "no header injected from trigger data (no Bcc, one recipient each)" \
    "$(mails '[.[] | select(.subject | contains("警報")) | select((.headers | index("Bcc")) != null or (.rcpt_tos | length) != 1)] | length')" 0
expect_eq "the injected line stays in the body" \
    "$(mails -r '[.[] | select(.subject | contains("警報"))][0] | [.subject, (.body | contains("Bcc: evil@example.com"))] | @tsv')" \
    "$(printf '警報 <script>alert(1)</script>\ttrue')"

LINK=$(last_link sato@example.go.jp r)
ITO_LINK=$(last_link ito@example.go.jp r)
[ -n "$LINK" ] && [ -n "$ITO_LINK" ] && [ "$LINK" != "$ITO_LINK" ]
check "each member has a personal link" test $? -eq 0

# --- the personal page ---
expect_eq "the link opens sato's page" "$(page "$LINK")" 200
check "the page is Japanese first" grep -q '参集の依頼' "$T/page"
check "it names sato" grep -q '佐藤 次郎' "$T/page"
check "no Referer leaks the link" grep -qi '^referrer-policy: no-referrer' <(curl -s -D - -o /dev/null "$LINK")
C=$(csrf_of answer available)
expect_eq "answering available answers 303" "$(form "$LINK" "csrf=$C&answer=available&eta=30m")" 303
expect_eq "recorded as sato's answer" \
    "$("$KZ" show $INC --json | jq -r '.assembly.operator.available')" 1
expect_eq "the log says sato (web)" \
    "$("$KZ" log $INC --json | jq -r '[.[] | select(.type == "assembly.response")] | last | .actor')" "sato (web)"
N0=$("$KZ" log $INC --json | jq length)
expect_eq "a replayed POST is refused" "$(form "$LINK" "csrf=$C&answer=unavailable")" 409
expect_eq "and changes nothing" "$("$KZ" log $INC --json | jq length)" "$N0"
expect_eq "a POST without csrf is refused" "$(form "$LINK" "answer=unavailable")" 403
expect_eq "a POST with a csrf of another link is refused" \
    "$(page "$ITO_LINK" >/dev/null; form "$LINK" "csrf=$(csrf_of answer unavailable)&answer=unavailable")" 403
expect_eq "still available" "$("$KZ" show $INC --json | jq -r '.assembly.operator.available')" 1
page "$LINK" >/dev/null
expect_eq "arrived replaces available" \
    "$(form "$LINK" "csrf=$(csrf_of answer arrived)&answer=arrived")" 303
page "$ITO_LINK" >/dev/null
form "$ITO_LINK" "csrf=$(csrf_of answer available)&answer=available&eta=1h" >/dev/null
expect_eq "the step of sato's is ready once both came" \
    "$("$KZ" show $INC --json | jq -r '.steps[] | select(.id == "verify") | .state')" ready
check "sato's step is on sato's page" sh -c "[ \$(curl -s '$LINK' | grep -c 'id=\"step-verify\"') = 1 ]"
page "$LINK" >/dev/null
expect_eq "another member's step (it-lead's) is refused as on the CLI" \
    "$(form "$LINK" "csrf=$(csrf_of answer available)&step=decide&do=done")" 403
check "with the CLI's reason" grep -q 'is assigned to role:it-lead; sato is not among them' "$T/page"
page "$LINK" >/dev/null
C=$(grep -o 'name="csrf" value="[^"]*"><input type="hidden" name="step" value="verify"><input type="hidden" name="do" value="fail"' "$T/page" | sed 's/.*value="\([^"]*\)"><input type="hidden" name="step".*/\1/')
expect_eq "a failure with a note of markup" \
    "$(form "$LINK" "csrf=$C&step=verify&do=fail" --data-urlencode 'note=<img src=x onerror=alert(2)>')" 303
expect_eq "the step failed by sato" \
    "$("$KZ" show $INC --json | jq -r '.steps[] | select(.id == "verify") | .state + " " + .note')" \
    "failed <img src=x onerror=alert(2)>"

# --- tokens that must not work ---
TOK=${LINK##*/r/}
expect_eq "a truncated token" "$(page "$URL/r/${TOK%?????}")" 401
FORGED=$(echo "$TOK" | sed 's/^r1\.sato\./r1.ito./')
expect_eq "a token with another member" "$(page "$URL/r/$FORGED")" 401
FORGED=$(echo "$TOK" | sed 's/^r1\.sato\.1\./r1.sato.2./')
expect_eq "a token for another incident" "$(page "$URL/r/$FORGED")" 401
expect_eq "a token signed with another secret" "$(KEIZOKU_WEB_SECRET=x page "$URL/r/${TOK%.*}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")" 401
check "a refusal shows nothing of the incident" sh -c "! grep -q '震度' '$T/page'"

# --- sign-in ---
expect_eq "the board without a session" "$(page "$URL/board")" 401
check "shows nothing of the incident" sh -c "! grep -q '震度' '$T/page'"
expect_eq "and sends browsers on to /login" "$(page "$URL/board?r=1")" 303
expect_eq "an incident page without a session" "$(page "$URL/i/1?r=1")" 303
expect_eq "a bad bearer token" "$(page "$URL/board" -H 'Authorization: Bearer nope')" 401
expect_eq "the API token opens the board" "$(page "$URL/board" -H "Authorization: Bearer $TOKEN")" 200
check "the board escapes names" grep -q '伊藤 &lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;' "$T/page"
check "the board escapes trigger labels" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/page"
check "no markup from data on the board" sh -c "! grep -q '<script>alert' '$T/page'"
check "the board's source row: its last trigger, matched, with its incident" \
    grep -q 'matched #1</td></tr>' "$T/page"
page "$URL/i/1" -H "Authorization: Bearer $TOKEN" >/dev/null
check "the incident page escapes notes" grep -q '&lt;img src=x onerror=alert(2)&gt;' "$T/page"
check "no markup from data on the incident page" sh -c "! grep -q '<img src=x' '$T/page'"

# sato signs in by a mailed link.
JAR="$T/jar.sato"
page "$URL/login" -c "$JAR" >/dev/null
C=$(csrf_of next /board)
N=$(mail_count sato@example.go.jp)
expect_eq "asking for a sign-in link" "$(form "$URL/login" "csrf=$C&next=/board&do=mail&who=sato" -b "$JAR" -c "$JAR")" 200
check "the link arrives" wait_mail sato@example.go.jp $((N + 1))
expect_eq "an unknown member gets the same answer" "$(page "$URL/login" -c "$JAR" >/dev/null
    form "$URL/login" "csrf=$(csrf_of next /board)&next=/board&do=mail&who=nobody" -b "$JAR" -c "$JAR")" 200
L=$(last_link sato@example.go.jp login)
expect_eq "the mailed link asks for a click" "$(page "$L")" 200
C=$(grep -o 'name="csrf" value="[^"]*"' "$T/page" | head -n 1 | sed 's/.*value="\([^"]*\)"/\1/')
expect_eq "signing in" "$(form "$L" "csrf=$C" -c "$JAR")" 303
check "the cookie is HttpOnly and SameSite=Strict" grep -qi '^set-cookie: kz_session=.*HttpOnly; SameSite=Strict' "$T/hdr"
expect_eq "sato's session opens the board" "$(page "$URL/board" -b "$JAR")" 200
page "$L" >/dev/null
C=$(grep -o 'name="csrf" value="[^"]*"' "$T/page" | head -n 1 | sed 's/.*value="\([^"]*\)"/\1/')
expect_eq "the sign-in link works once" "$(form "$L" "csrf=$C")" 409
# tanaka signs in with the API token.
JAR2="$T/jar.tanaka"
page "$URL/login" -c "$JAR2" >/dev/null
C=$(grep -o 'name="csrf" value="[^"]*"><input type="hidden" name="next" value="/board"><input type="hidden" name="do" value="token"' "$T/page" | sed 's/.*name="csrf" value="\([^"]*\)".*/\1/')
expect_eq "signing in with the API token" "$(form "$URL/login" "csrf=$C&next=/i/1&do=token&token=$TOKEN" -b "$JAR2" -c "$JAR2")" 303
page "$URL/board" -b "$JAR" >/dev/null
C=$(csrf_first)
expect_eq "tanaka's session with a form rendered for sato" \
    "$(form "$URL/i/1" "csrf=$C&step=decide&do=done" -b "$JAR2")" 403
check "says why" grep -q 'csrf' "$T/page"
expect_eq "sato's session on tanaka's step: the CLI's answer" \
    "$(form "$URL/i/1" "csrf=$C&step=decide&do=done" -b "$JAR")" 403
check "with the CLI's reason" grep -q 'sato is not among them' "$T/page"
page "$URL/i/1" -b "$JAR2" >/dev/null
expect_eq "tanaka finishes his step on the incident page" \
    "$(form "$URL/i/1" "csrf=$(csrf_of step decide)&step=decide&do=done" -b "$JAR2")" 303
expect_eq "recorded as tanaka (web)" \
    "$("$KZ" log $INC --json | jq -r '[.[] | select(.type == "step.done")] | last | .actor')" "tanaka (web)"

# --- the board's report button; a used csrf value stays used ---
page "$URL/board" -b "$JAR" >/dev/null
C=$(csrf_of incident 1)
expect_eq "the board issues 第1報" "$(form "$URL/board/sitrep" "csrf=$C&incident=1" -b "$JAR")" 303
check "and shows it" grep -qi '^location: /i/1/sitrep/1' "$T/hdr"
expect_eq "the report page" "$(page "$URL/i/1/sitrep/1" -b "$JAR")" 200
check "is 第1報" grep -q '第1報' "$T/page"
expect_eq "a report not issued" "$(page "$URL/i/1/sitrep/2" -b "$JAR")" 404
page "$URL/board" -b "$JAR" >/dev/null
check "the board links the latest report" grep -q 'href="/i/1/sitrep/1">最新 第1報' "$T/page"
check "and offers the next" grep -q '第2報を作成' "$T/page"
page "$URL/board" -b "$JAR2" >/dev/null
C2=$(grep -o 'action="/logout" class="noprint"><input type="hidden" name="csrf" value="[^"]*"' "$T/page" | sed 's/.*value="\([^"]*\)"/\1/')
expect_eq "tanaka signs out" "$(form "$URL/logout" "csrf=$C2" -b "$JAR2")" 303
kill9_kzd
start_kzd || exit 1
expect_eq "after kill -9, the used csrf value is still refused" \
    "$(form "$URL/board/sitrep" "csrf=$C&incident=1" -b "$JAR")" 409
expect_eq "no second report from it" "$(sql 'SELECT count(*) FROM sitreps')" 1
expect_eq "a session survives the restart" "$(page "$URL/board" -b "$JAR")" 200
expect_eq "a session ended by sign-out does not" "$(page "$URL/board?r=1" -b "$JAR2")" 303

# --- expiry ---
"$KZ" _clock --advance 3h >/dev/null
expect_eq "an expired link" "$(page "$LINK")" 401
check "says so" grep -q '期限切れ' "$T/page"
stop_clean
exit $_failed
