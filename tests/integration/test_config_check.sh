#!/bin/bash
# Issue 14, items 4 and 13: `keizokud -t` checks every cross-reference
# (roles, members, channels, systems, runbooks) and runs the plan checks
# on the plan file, reporting every error of a run at FILE:LINE:COL; a
# reload refuses a config or plan with such errors and keeps the one in
# force; `keizoku plan check FILE` checks a file before it is imported.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
. "$(dirname "$0")/lib-ship.sh"
C=$T/ship/config
R=$T/ship/runbooks

ckt() { "$KZD" -t -c "$C/keizokud.yaml" >"$T/t.out" 2>"$T/t.err"; echo $?; }
has() { grep -qF -- "$1" "$T/t.out"; }
expect_eq "the shipped tree passes -t" "$(ckt)" 0

# --- the config names a role that does not exist ---
cp "$C/keizokud.yaml" "$T/conf.good"
sed -i 's/approver_role: ciso /approver_role: cisoo /' "$C/keizokud.yaml"
line=$(grep -n 'approver_role: cisoo' "$C/keizokud.yaml" | cut -d: -f1)
expect_eq "-t refuses exceptions.approver_role: cisoo" "$(ckt)" 1
check "at FILE:LINE:COL of the value" has "$C/keizokud.yaml:$line:18: exceptions.approver_role: unknown role \"cisoo\""
cp "$T/conf.good" "$C/keizokud.yaml"

# --- the plan: an unknown dependency, a dependency with a longer RTO ---
cp "$C/plan.yaml" "$T/plan.good"
sed -i 's/depends_on: \[dns\]$/depends_on: [dns, atuh]/' "$C/plan.yaml"
line=$(grep -n '  - id: web$' "$C/plan.yaml" | cut -d: -f1)
expect_eq "-t refuses depends_on: [atuh]" "$(ckt)" 1
check "at the system's id, with the plan check's words" has "$C/plan.yaml:$line:9: plan check: system \"web\" depends on unknown system \"atuh\" (unknown-reference)"
cp "$T/plan.good" "$C/plan.yaml"
sed -i '/  - id: dns$/,/rto:/s/rto: 6h/rto: 2d/' "$C/plan.yaml"
expect_eq "-t refuses an infrastructure system slower than what depends on it" "$(ckt)" 1
check "the RTO rule is named" grep -q 'plan.yaml:[0-9]*:[0-9]*: plan check: .*dns' "$T/t.out"
cp "$T/plan.good" "$C/plan.yaml"

# --- the roster names a channel, a token names a member ---
sed -i '/^tokens:$/a\  - {member: tanakaa, sha256: "0000000000000000000000000000000000000000000000000000000000000000"}' "$C/keizokud.yaml"
sed -i '0,/channel: ops, mention: "<@U02TANAKA>"/s//channel: opz, mention: "<@U02TANAKA>"/' "$C/roster.yaml"
expect_eq "-t refuses a token of an unknown member and a contact on an unknown channel" "$(ckt)" 1
check "the token's member is named" has 'token for unknown member "tanakaa"'
check "the contact's channel is named, in the roster" grep -q "roster.yaml:[0-9]*:[0-9]*: member \"tanaka\": contact on unknown channel \"opz\"" "$T/t.out"
cp "$T/conf.good" "$C/keizokud.yaml"
sed -i 's/channel: opz,/channel: ops,/' "$C/roster.yaml"

# --- a runbook with several mistakes: all of them in one run ---
cat >"$R/zz-broken.yaml" <<'YAML'
runbook: zz-broken
owner: role:it-lead
activators: [role:it-leed]
systems: [portal, portl]
steps:
  - id: a
    title: A
    colour: red
  - id: b
    needs: [aa]
  - id: c
    type: notify
    with: {channels: [opz], text: hello}
YAML
expect_eq "-t refuses the runbook" "$(ckt)" 1
check "the unknown key" has "zz-broken.yaml:8:5: unknown key \"colour\""
check "and, in the same run, the needs typo" has 'step "b" needs unknown step "aa"'
check "the unknown activator role" has 'activators: unknown role "it-leed"'
check "the unknown plan system" has 'unknown system "portl" (not among the plan'
check "the unknown channel of a notify step" has 'unknown channel "opz"'
rm "$R/zz-broken.yaml"
expect_eq "fixed: -t passes again" "$(ckt)" 0

# --- reload: refused files leave their previous versions in force ---
ship_start || exit 1
revs() { sqlite3 "$T/ship/var/keizoku.db" 'select count(*) from plan_revisions'; }
expect_eq "one plan revision" "$(revs)" 1
sed -i 's/depends_on: \[dns\]$/depends_on: [dns, atuh]/' "$C/plan.yaml"
"$KZ" --json reload >"$T/reload.json"
expect_eq "reload reports the plan error" "$(jq '[.errors[] | select(test("atuh"))] | length' "$T/reload.json")" 1
expect_eq "and keeps the plan in force" "$(jq '[.errors[] | select(test("keeping the previous plan in force"))] | length' "$T/reload.json")" 1
expect_eq "no revision was stored" "$(revs)" 1
expect_eq "the plan in force still has web depending on dns only" "$("$KZ" --json plan show systems | jq -c '.[] | select(.id == "web") | .depends_on')" '["dns"]'

# plan check FILE: the file as edited, before any import.
expect_rc "plan check FILE finds the error in the file" 1 "$KZ" plan check "$C/plan.yaml"
check "it says where" grep -q "plan.yaml:$line:9: plan check: system \"web\" depends on unknown system \"atuh\"" "$T/out"
expect_eq "--json: the errors of the file" "$("$KZ" --json plan check "$C/plan.yaml" | jq -r '.errors[0].code + " " + .file')" "unknown-reference $C/plan.yaml"
expect_rc "plan check (no file) checks the plan in force, which is fine" 0 "$KZ" plan check
printf 'plan: {organization: x\n' >"$T/broken.yaml"
expect_rc "a file that is not YAML: exit 1" 1 "$KZ" plan check "$T/broken.yaml"
check "with its position" grep -q "broken.yaml:[0-9]*:[0-9]*:" "$T/out"
expect_rc "a file that cannot be read: exit 1, nothing sent" 1 "$KZ" plan check "$T/nosuch.yaml"
cp "$T/plan.good" "$C/plan.yaml"

# A config whose approver role does not exist is refused on reload: the
# CISO can still approve.
sed -i 's/approver_role: ciso /approver_role: cisoo /' "$C/keizokud.yaml"
"$KZ" --json reload >"$T/reload.json"
expect_eq "reload reports the unknown role" "$(jq '[.errors[] | select(test("unknown role \"cisoo\""))] | length' "$T/reload.json")" 1
expect_eq "and keeps the previous config" "$(jq '[.errors[] | select(test("keeping the previous config in force"))] | length' "$T/reload.json")" 1
expect_rc "status shows the error too" 0 sh -c "'$KZ' --json status | jq -e '.load_errors | map(select(test(\"cisoo\"))) | length == 1'"
act "the IT lead starts a drill" tanaka activate earthquake-assembly --drill
# tanaka requests it himself, with his own token: had root typed the
# request --as tanaka, root could not then approve it --as the CISO
# (separation of duties counts the proxy who typed a request).
expect_eq "tanaka requests an exception (REST, his own token)" \
	"$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer demo-board-token' \
	    -H 'Content-Type: application/json' -X POST "http://127.0.0.1:$HTTP_PORT/v1/incidents/1/exceptions" \
	    --data '{"title": "夜間入室", "policy": "3.1", "reason": "要員不足", "revert_by": "24h"}')" 201
act "the CISO (config in force: ciso) approves it" kobayashi exception approve 1 --note 職員同行を条件に承認
cp "$T/conf.good" "$C/keizokud.yaml"
expect_eq "fixed: reload is clean" "$("$KZ" --json reload | jq -c .errors)" "[]"

# Item 6: who may activate is the runbook's activators: (the shipped
# ones name the owner's role and the CISO).
act "the CISO may activate earthquake-assembly" kobayashi activate earthquake-assembly --drill
expect_rc "an operator may not" 1 as sato activate earthquake-assembly --drill
check "the refusal names who may" grep -q 'only role:it-lead, role:ciso or an admin may activate earthquake-assembly' "$T/err"
expect_eq "runbooks lists the activators" "$("$KZ" --json runbooks | jq -c '.[] | select(.id == "ransomware-response") | .activators')" '["role:csirt","role:ciso"]'
ship_stop
exit $_failed
