#!/bin/bash
# Issue 14, item 1: tasks follow answers. With the shipped
# earthquake-assembly runbook and roster, the operators' checks spread
# over the operators (not three to the first one); an "unavailable"
# answer moves the member's open steps at once; answers "available" and
# "arrived" draw the waiting steps to those who can come; `keizoku
# assign INC STEP MEMBER` (the runbook owner and admins, logged, over
# the socket and REST) hands a step to a member by name.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
. "$(dirname "$0")/lib-ship.sh"

TOKEN=tanaka-token-0123456789
sed -i "/^tokens:\$/a\\  - {member: tanaka, sha256: \"$(sha256 "$TOKEN")\"}\n  - {member: sato, sha256: \"$(sha256 sato-token-0123456789)\"}" "$T/ship/config/keizokud.yaml"
ship_start || exit 1

who() { "$KZ" --json show 1 | jq -r --arg s "$1" '.steps[] | select(.id == $s) | .assignee // "-"'; }
checks() { echo "$(who server-room) $(who power) $(who data)"; }

expect_rc "activate the earthquake runbook as a drill" 0 "$KZ" activate earthquake-assembly --drill
expect_eq "the three operator checks go to three operators, in call-out order" "$(checks)" "sato ito yamamoto"
expect_eq "the network check goes to the network primary" "$(who network)" matsumoto

# sato cannot come: his check moves at once to the operator with the
# fewest open steps who has not said no (kato).
act "sato answers unavailable" sato respond 1 --unavailable
expect_eq "sato holds none of the checks any more" "$(checks)" "kato ito yamamoto"
expect_eq "the move is logged with its reason" \
    "$("$KZ" --json log 1 | jq -r '[.[] | select(.type == "step.assigned") | "\(.step):\(.data.from)>\(.data.to):\(.data.reason)"] | join(" ")')" \
    "server-room:sato>kato:unavailable"
expect_eq "sato's inbox holds no step" "$(as sato --json inbox | jq -r '[.[] | select(.kind == "step")] | length')" 0
expect_eq "kato's inbox holds the server room" "$(as kato --json inbox | jq -r '[.[] | select(.kind == "step") | .step] | join(",")')" server-room

# Answers draw the waiting steps to those who can come, spread.
act "ito answers available" ito respond 1 --available --eta 20m
expect_eq "every check goes to the one operator who can come" "$(checks)" "ito ito ito"
act "yamamoto has arrived" yamamoto respond 1 --arrived
expect_eq "a second one takes a share" "$(checks)" "yamamoto ito ito"
expect_eq "nothing goes to an operator who did not answer" "$(checks | grep -c -e kato -e sato)" 0

# Item 13: leaving a step undone needs a reason.
expect_rc "skip without --note is refused" 1 as ito skip 1 power
check "saying why" grep -q 'skip needs --note' "$T/err"
expect_rc "fail without --note is refused" 1 as ito fail 1 power
expect_eq "and power is still ready" "$("$KZ" --json show 1 | jq -r '.steps[] | select(.id == "power") | .state')" ready

# keizoku assign: the owner's role (it-lead) and admins only.
expect_rc "an operator may not hand steps out" 1 as sato assign 1 data yamamoto
expect_rc "a step cannot go to someone who answered unavailable" 1 as tanaka assign 1 data sato
expect_rc "nor to someone not in the roster" 1 as tanaka assign 1 data nobody
expect_rc "a step that runs by itself has nobody to hand it to" 1 as tanaka assign 1 portal-probe ito
expect_rc "the IT lead hands data to yamamoto" 0 as tanaka assign 1 data yamamoto
expect_eq "the answer says so" "$(cat "$T/out")" "data: assigned to yamamoto (ready)"
expect_eq "data is yamamoto's" "$(who data)" yamamoto
expect_eq "the log names who handed it" \
    "$("$KZ" --json log 1 | jq -r '[.[] | select(.type == "step.assigned" and .data.reason == "assign")][0] | "\(.actor)/\(.on_behalf) \(.data.from)>\(.data.to)"')" \
    "root/tanaka ito>yamamoto"
act "kato answers available" kato respond 1 --available
expect_eq "a step handed out by name stays where it was put" "$(who data)" yamamoto
expect_rc "an admin (root) may hand steps out too" 0 "$KZ" assign 1 compile yamada
expect_eq "a blocked step handed out is theirs when it becomes ready" "$(who compile)" yamada

# The same command over REST, with the token's member as the caller.
code=$(curl -s -o "$T/resp" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' --data '{"member": "kato"}' \
    "$URL/v1/incidents/1/steps/power/assign")
expect_eq "POST /v1/incidents/1/steps/power/assign as tanaka: 200" "$code" 200
expect_eq "the reply names the assignee" "$(jq -r .assignee "$T/resp")" kato
code=$(curl -s -o "$T/resp" -w '%{http_code}' -H "Authorization: Bearer sato-token-0123456789" \
    -H 'Content-Type: application/json' --data '{"member": "kato"}' \
    "$URL/v1/incidents/1/steps/data/assign")
expect_eq "the same as sato: 403" "$code" 403
expect_eq "with a JSON error" "$(jq -r '.error | test("owner")' "$T/resp")" true
expect_eq "power is kato's" "$(who power)" kato

# A restart keeps who holds what, and the pin.
stop_kzd
start_kzd || exit 1
expect_eq "after a restart, data is still yamamoto's" "$(who data)" yamamoto
act "yamamoto cannot come after all" yamamoto respond 1 --unavailable
expect_eq "a pinned step moves when its member answers unavailable" "$(who data)" ito
expect_eq "yamamoto holds none of the checks" "$(checks | grep -c yamamoto)" 0
expect_eq "kato and ito share them" "$(checks | tr ' ' '\n' | sort | uniq -c | awk '{print $1}' | sort | tr -d '\n')" 12
ship_stop
exit $_failed
