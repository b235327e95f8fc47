#!/bin/bash
# Issue 23: answers to a large assemble step. An answer reads only the
# answering member's call-outs and counts the others; it must behave as if
# it read them all: the tally in show, who is called next when someone
# declines or changes their answer, an answer before being called, the
# quota met by the last answer, and kill -9 in the middle of the call-out
# and between answers (every member called exactly once, no answer lost).
. "$(dirname "$0")/lib.sh"
N=600
{
	echo "members:"
	for i in $(seq 1 $N); do printf '  - {id: m%05d, name: 職員%d}\n' "$i" "$i"; done
	echo "roles:"
	echo "  - {id: boss, title: 本部長, members: [m00001]}"
	echo "  - {id: trio, title: 三人, members: [m00001, m00002, m00003]}"
	echo "  - id: team"
	echo "    members: [$(seq -s, -f 'm%05g' 1 $N)]"
} >"$T/roster.yaml"
write_config "channels:
  ops: {type: webhook, url: \"http://127.0.0.1:9/hooks/ops\", retry: [1h]}"
cat >"$T/runbooks/team.yaml" <<'YAML'
runbook: team
title: 参集 / Call the team
kind: staff-assembly
owner: role:boss
steps:
  - id: call
    title: 250人の参集 / 250 of the team
    type: assemble
    with: {roles: {team: 250}, escalate_after: 1h}
  - {id: next, title: 次 / Next, needs: [call], assign: role:boss}
YAML

cat >"$T/runbooks/both.yaml" <<'YAML'
runbook: both
title: 安否の後に参集 / Safety, then call five
kind: staff-assembly
owner: role:boss
steps:
  - {id: anpi, title: 三人の安否 / Three people, type: safety, with: {roles: [trio], done_at: 66%}}
  - {id: call, title: 五人の参集 / Five of the team, type: assemble, needs: [anpi], with: {roles: {team: 5}, escalate_after: 1h}}
YAML

KEIZOKU_TEST_CLOCK=2026-11-20T03:15:00Z start_kzd || exit 1
sqleq() { [ "$(kz_sql "$1")" = "$2" ]; }
rows() { kz_sql "SELECT count(*) FROM responses WHERE incident = 1"; }
sent() { kz_sql "SELECT count(*) || '/' || count(DISTINCT text) FROM notifications WHERE incident = 1 AND event = 'assembly.callout'"; }
# tally: available unavailable waiting no_answer, as show gives them
tally() { "$KZ" --json show 1 | jq -c '.assembly.team | [.available, .unavailable, .waiting, .no_answer]'; }
# the same counted from the table
counted() { kz_sql "SELECT answer, count(*) FROM responses WHERE incident = 1 GROUP BY answer ORDER BY answer" | tr '\n' ' '; }
answer() {	# answer --available|--unavailable FIRST LAST
	for i in $(seq "$2" "$3"); do
		"$KZ" --as "$(printf m%05d "$i")" respond 1 "$1" >/dev/null || nok "m$i $1"
	done
}

# --- kill -9 in the middle of the call-out of 250 (in batches) ---
"$KZ" activate team >/dev/null
kill9_kzd
KEIZOKU_TEST_CLOCK=2026-11-20T03:16:00Z start_kzd || exit 1
wait_for "after the restart all 250 are called" 60 sqleq "SELECT count(*) FROM responses WHERE incident = 1 AND answer = 'called'" 250
wait_for "... and the call-out is over (no batch left)" 60 sqleq "SELECT count(*) FROM timers WHERE kind = 'fanout' AND incident = 1" 0
wait_for "each of them gets one message, no one twice" 60 sqleq "SELECT count(*) || '/' || count(DISTINCT text) FROM notifications WHERE incident = 1 AND event = 'assembly.callout'" "250/250"
expect_eq "the first 250 in the role's order" "$(kz_sql "SELECT min(member) || '-' || max(member) FROM responses WHERE incident = 1")" "m00001-m00250"

# --- answers that leave the quota covered call nobody ---
answer --available 1 100
expect_eq "100 available: show counts them" "$(tally)" "[100,0,150,0]"
expect_eq "nobody else called" "$(rows)" 250
expect_eq "the reply names the member's role and step" "$("$KZ" --json --as m00050 respond 1 --available --eta 30m | jq -c '[.member, .role, .step, .answer, (.eta_at != null)]')" '["m00050","team","call","available",true]'

# --- each decline calls the next member ---
answer --unavailable 101 120
expect_eq "20 declined: 20 more called" "$(rows)" 270
expect_eq "... the next ones in order" "$(kz_sql "SELECT min(member) || '-' || max(member) || ':' || count(*) FROM responses WHERE incident = 1 AND member > 'm00250'")" "m00251-m00270:20"
expect_eq "show's tally" "$(tally)" "[100,20,150,0]"

# --- kill -9 between answers: none lost ---
kill9_kzd
KEIZOKU_TEST_CLOCK=2026-11-20T03:20:00Z start_kzd || exit 1
expect_eq "after kill -9 every answer is there" "$(tally)" "[100,20,150,0]"
answer --unavailable 121 130
expect_eq "10 more declined after the restart: 10 more called" "$(rows)" 280
expect_rc "m00600, not called yet, answers available" 0 "$KZ" --as m00600 respond 1 --available
expect_eq "... counted, and nobody more is called for it" "$(rows)|$(tally)" "281|[101,30,150,0]"
answer --unavailable 131 131
expect_eq "a decline covered by m00600's answer calls nobody" "$(rows)|$(tally)" "281|[101,31,149,0]"
expect_rc "m00001 changes to unavailable" 0 "$KZ" --as m00001 respond 1 --unavailable
expect_eq "... so the next one is called (m00281)" "$(rows)|$(kz_sql "SELECT answer FROM responses WHERE incident = 1 AND member = 'm00281'")" "282|called"
expect_eq "show's tally" "$(tally)" "[100,32,150,0]"
expect_eq "every member called once" "$(sent)" "281/281"
expect_eq "the step is still waiting" "$("$KZ" --json show 1 | jq -c '[.steps[] | .state]')" '["ready","blocked"]'

# --- the last answers meet the quota ---
answer --available 132 281
expect_eq "250 available: the step is done, the next one ready" "$("$KZ" --json show 1 | jq -c '[.steps[] | .state]')" '["done","ready"]'
expect_eq "show's tally" "$(tally)" "[250,32,0,0]"
expect_eq "... as the table counts them" "$(counted)" "available|250 unavailable|32 "
expect_eq "one assembly.complete, with the counts" "$("$KZ" --json log 1 --limit 10000 | jq -c '[.[] | select(.type == "assembly.complete") | .data.team | [.available, .unavailable, .waiting]]')" '[[250,32,0]]'
expect_eq "nobody called twice, nobody called after the quota" "$(sent)|$(rows)" "281/281|282"
expect_rc "an answer after the step is done is still taken" 0 "$KZ" --as m00282 respond 1 --unavailable
expect_eq "... recorded, calling nobody" "$(rows)|$(tally)" "283|[250,33,0,0]"

# --- a safety answer that finishes its step starts an assemble step ---
"$KZ" activate both >/dev/null
expect_rc "one safety answer of three" 0 "$KZ" safety 2 --as m00002 --safe
expect_eq "... the assemble step waits" "$("$KZ" --json show 2 | jq -c '[.steps[] | .state]')|$(kz_sql "SELECT count(*) FROM responses WHERE incident = 2")" '["ready","blocked"]|0'
expect_rc "the second answer meets done_at" 0 "$KZ" safety 2 --as m00003 --safe --can-come
expect_eq "... and the assemble step calls its five" "$("$KZ" --json show 2 | jq -c '[.steps[] | .state]')|$(kz_sql "SELECT count(*) || '/' || min(member) || '-' || max(member) FROM responses WHERE incident = 2")" '["done","ready"]|5/m00001-m00005'
expect_eq "... each once" "$(kz_sql "SELECT count(*) FROM notifications WHERE incident = 2 AND event = 'assembly.callout'")" 5

stop_kzd
exit $_failed
