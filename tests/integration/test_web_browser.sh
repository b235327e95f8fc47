#!/bin/bash
# Issue 13 in a real browser (chromium over the DevTools protocol, through
# puppeteer-core from tests/node_modules): a member opens the link of a
# mail received by a real SMTP server on a phone-sized screen, answers the
# safety check (負傷, can come in 1h) and the call-out, finishes a step;
# the board, signed in, updates without a reload when the CLI changes a
# step. Screenshots are kept and listed.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
. "$KZ_TOP/tests/integration/lib-web.sh"
if [ ! -d "$KZ_TOP/tests/node_modules/puppeteer-core" ] || [ ! -x /usr/bin/chromium ]; then
	nok "puppeteer-core or chromium missing: run make deps"; exit 1
fi
start_smtpd || { nok "smtpd did not start"; exit 1; }
TOKEN=tanaka-api-token-0123456789
cat >"$T/roster.yaml" <<'YAML'
members:
  - {id: tanaka, name: 田中 太郎, unix_user: "1101", email: tanaka@example.go.jp}
  - {id: sato, name: 佐藤 次郎, unix_user: "1103", email: sato@example.go.jp}
roles:
  - {id: it-lead, title: 情報システム責任者, members: [tanaka]}
  - {id: operator, title: 運用担当, members: [sato]}
YAML
write_config "$(web_config)
tokens:
  - {member: tanaka, sha256: \"$(sha256 "$TOKEN")\"}"
cat >"$T/runbooks/quake.yaml" <<'YAML'
runbook: quake
title: 震度6弱 職員参集 / Quake assembly
kind: staff-assembly
owner: role:it-lead
steps:
  - id: anpi
    title: 安否確認 / Safety check
    type: safety
    with: {roles: [operator]}
  - id: assemble
    title: 運用担当の参集 / Assemble operators
    type: assemble
    with: {roles: {operator: 1}}
  - id: decide
    title: 対応方針の決定 / Decide
    assign: role:it-lead
  - id: verify
    title: サーバ室の確認 / Check the server room
    needs: [assemble]
    assign: sato
    note: "入室記録を残すこと / Log the entry"
YAML
start_kzd || exit 1
INC=$("$KZ" --json activate quake | jq -r .incident)
check "the call-out mail arrives" wait_mail sato@example.go.jp 1
LINK=$(last_link sato@example.go.jp r)
mkdir -p "$T/shots" "$T/profile"
KZ_LINK=$LINK KZ_URL=$URL KZ_TOKEN=$TOKEN KZ_CLI=$KZ KZ_SHOTS="$T/shots" \
    KZ_PROFILE="$T/profile" KZ_INCIDENT=$INC \
    timeout 240 node "$KZ_TOP/tests/browser/phone-and-board.mjs"
rc=$?
expect_eq "the browser run passed" "$rc" 0
# The screenshots outlive the test's directory.
KEEP=$(mktemp -d /tmp/kz-shots.XXXXXX)
cp "$T"/shots/*.png "$KEEP"/ 2>/dev/null
for f in "$KEEP"/*.png; do [ -f "$f" ] && echo "# artefact: $f"; done
stop_clean
exit $_failed
