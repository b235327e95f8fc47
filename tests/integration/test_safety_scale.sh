#!/bin/bash
# Issue 23: safety confirmation (安否確認, SPEC §18) at the scale of a
# ministry, with the real binaries: a roster of 10,000 generated here, a
# P2P-shaped quake report that asks only the members whose area had
# 震度5弱 or more, answers over the CLI and REST (one keep-alive
# connection carrying 2,000 of them), kill -9 in the middle of a call-out
# of 10,000 (after restart every member asked exactly once), reminders and
# the timeout summary on the test clock, done_at, paging with --list, an
# assemble step of 1,500 whose show stays small, and the bad input the
# issue lists.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
FIX=$KZ_TOP/tests/fixtures/hooks
N=10000

# The roster: m00001..m10000; every 2nd in 東京都, every 4th in 大阪府,
# the rest in 北海道; one member with an area no report names.
T_SEC="sec-token-1"
T_M3="m3-token-2"
{
	echo "members:"
	for i in $(seq 1 $N); do
		case $((i % 4)) in 0|2) a=東京都 ;; 1) a=大阪府 ;; *) a=北海道 ;; esac
		[ "$i" = 7 ] && a=どこか
		printf '  - {id: m%05d, name: 職員%d, site: s%d, area: %s' "$i" "$i" $((i % 3)) "$a"
		case $i in 1) printf ', unix_user: "1101"' ;; 2) printf ', unix_user: "1104"' ;; 3) printf ', unix_user: "1102"' ;; esac
		echo "}"
	done
	echo "roles:"
	echo "  - {id: boss, title: 本部長, members: [m00001]}"
	echo "  - {id: sec, title: 事務局, members: [m00002], proxy: true}"
	echo "  - {id: trio, title: 三人, members: [m00001, m00003, m00005]}"
	echo "  - id: team"
	echo "    members: [$(seq -s, -f 'm%05g' 1 1500)]"
	echo "  - id: all-staff"
	echo "    members: [$(seq -s, -f 'm%05g' 1 $N)]"
} >"$T/roster.yaml"
write_config "tokens:
  - {member: m00002, sha256: \"$(sha256 "$T_SEC")\"}
  - {member: m00003, sha256: \"$(sha256 "$T_M3")\"}
sources:
  p2p: {format: p2pquake, auth: {none: true}}
web: {base_url: \"$URL\", secret: \"env:KEIZOKU_WEB_SECRET\", link_ttl: 2h}
channels:
  ops: {type: webhook, url: \"http://127.0.0.1:9/hooks/ops\", retry: [1h]}"
export KEIZOKU_WEB_SECRET="web-secret-0123456789abcdef"
cat >"$T/runbooks/anpi.yaml" <<'YAML'
runbook: anpi
title: 地震時の安否確認 / Earthquake safety check
kind: staff-assembly
owner: role:boss
activation:
  - {source: p2p, match: {code: 551}}
steps:
  - id: anpi
    title: 職員の安否確認 / Staff safety check
    type: safety
    with:
      roles: [all-staff]
      areas: {min_scale: 5弱}
      remind: 30m
      max_reminders: 2
    timeout: 6h
    on_timeout: continue
  - {id: next, title: 集計の報告 / Report the tally, needs: [anpi], assign: role:boss}
YAML
cat >"$T/runbooks/small.yaml" <<'YAML'
runbook: small
title: 小さな安否確認 / A small safety check
kind: staff-assembly
owner: role:boss
steps:
  - id: anpi
    title: 三人の安否 / Three people
    type: safety
    with: {roles: [trio], done_at: 66%}
  - {id: next, title: 次 / Next, needs: [anpi], assign: role:boss}
YAML
cat >"$T/runbooks/team.yaml" <<'YAML'
runbook: team
title: 全員参集 / Everyone in
kind: staff-assembly
owner: role:boss
steps:
  - id: call
    title: 参集 / Call everyone
    type: assemble
    with: {roles: {team: 1500}, escalate_after: 1h}
YAML
# areas without a source whose reports name places: a load error
cat >"$T/runbooks/noareas.yaml" <<'YAML'
runbook: noareas
title: 場所のない安否確認
kind: staff-assembly
owner: role:boss
steps:
  - id: anpi
    title: 安否
    type: safety
    with: {roles: [trio], areas: {min_scale: 45}}
YAML

out=$("$KZD" -t -c "$T/keizokud.yaml" 2>&1)
check "-t: a runbook with areas but no P2P or JMA source is an error, with its position" \
    grep -q 'noareas.yaml:9:.*areas need a trigger with seismic intensity' <<<"$out"
check "-t warns of a roster area no report names" grep -q 'm00007: area "どこか"' <<<"$out"
rm "$T/runbooks/noareas.yaml"
cat >"$T/runbooks/badscale.yaml" <<'YAML'
runbook: badscale
title: 震度の誤り
kind: staff-assembly
owner: role:boss
activation:
  - {source: p2p, match: {code: 551}}
steps:
  - {id: anpi, title: 安否, type: safety, with: {roles: [trio], areas: {min_scale: 8}, done_at: 120%}}
YAML
out=$("$KZD" -t -c "$T/keizokud.yaml" 2>&1)
check "-t: a min_scale that is no seismic intensity" grep -q 'badscale.yaml:8:.*min_scale must be a seismic intensity' <<<"$out"
check "-t: done_at beyond 100%" grep -q 'badscale.yaml:8:.*done_at must be' <<<"$out"
rm "$T/runbooks/badscale.yaml"

KEIZOKU_TEST_CLOCK=2026-11-20T03:15:00Z start_kzd || exit 1
asked() { "$KZ" --json show "$1" | jq -r '.safety.asked'; }
sent() { sql "SELECT count(*) || '/' || count(DISTINCT text) FROM notifications WHERE incident = $1 AND event = 'safety.ask'"; }
# all_asked INC N: waits until N members of the incident were asked.
all_asked() { _e=$((SECONDS + 120)); while [ "$SECONDS" -le "$_e" ]; do [ "$(asked "$1")" = "$2" ] && [ "$(sql "SELECT count(*) FROM timers WHERE kind = 'fanout' AND incident = $1")" = 0 ] && return 0; sleep 0.2; done; return 1; }
sqleq() { [ "$(sql "$1")" = "$2" ]; }
evs() { "$KZ" --json log "$1" --limit 10000 | jq -c --arg t "$2" '[.[] | select(.type == $t) | .data]'; }

# --- 1: a P2P report (震度6強 東京都) asks the 5,000 members in 東京都 ---
code=$(post /v1/hooks/p2p "$FIX/p2pquake-551.json")
expect_resp "the quake report starts the safety check" "$code" 202 '.incidents' '[1]'
check "every member in 東京都 is asked, in batches, without holding the loop" all_asked 1 5000
expect_eq "one safety.asked event with the count" "$(evs 1 safety.asked | jq -c '[.[] | .asked]')" '[5000]'
expect_eq "each asked member gets one message, no one twice" "$(sent 1)" "5000/5000"
expect_eq "by area: only 東京都" "$("$KZ" --json show 1 | jq -c '.safety.by_area | keys')" '["東京都"]'
expect_eq "nobody in 大阪府 was asked" "$(sql "SELECT count(*) FROM safety WHERE incident = 1 AND area <> '東京都'")" 0
expect_rc "the daemon answered meanwhile (status)" 0 "$KZ" status

# --- 2: answers over the CLI, REST, and by the secretariat for others ---
expect_rc "CLI: m00002 is safe and can come in 1h" 0 as_uid 1104 "$KZ" safety 1 --safe --can-come --eta 1h
code=$(echo '{"status": "injured", "can_come": false, "note": "足を負傷"}' | post /v1/incidents/1/safety /dev/stdin -H "Authorization: Bearer $T_SEC" -H 'X-Dummy: 1')
expect_resp "REST: the secretariat's own answer" "$code" 200 '.status' injured
code=$(echo '{"member": "m00004", "status": "unsafe"}' | post /v1/incidents/1/safety /dev/stdin -H "Authorization: Bearer $T_SEC")
expect_resp "REST: a proxy answers for m00004" "$code" 200 '.member' m00004
expect_eq "a later answer replaces an earlier one" "$(as_uid 1104 "$KZ" --json safety 1 --safe --cannot-come | jq -r .status)" safe
expect_eq "each answer is logged" "$(evs 1 safety.answered | jq -c '[.[] | .member + ":" + .status]')" '["m00002:safe","m00002:injured","m00004:unsafe","m00002:safe"]'

# --- bad input: nothing recorded, clear messages ---
before=$(sql "SELECT count(*) FROM events")
expect_rc "a member not asked (大阪府) is refused (exit 1)" 1 "$KZ" safety 1 --as m00001 --safe
check "... saying so" grep -q "no safety check of incident 1 asked m00001" <<<"$("$KZ" safety 1 --as m00001 --safe 2>&1)"
code=$(echo '{"member": "m00006", "status": "fine"}' | post /v1/incidents/1/safety /dev/stdin -H "Authorization: Bearer $T_SEC")
expect_resp "an unknown status: 400 with the allowed ones" "$code" 400 '.error' 'unknown status "fine" (safe, injured or unsafe)'
code=$(echo '{"member": "m00006", "status": "safe"}' | post /v1/incidents/1/safety /dev/stdin -H "Authorization: Bearer $T_M3")
expect_resp "a member who is no proxy answers for another: 403" "$code" 403
expect_rc "--safe and --unsafe at once: exit 1" 1 "$KZ" safety 1 --as m00006 --safe --unsafe
expect_rc "--eta without --can-come: exit 1" 1 "$KZ" safety 1 --as m00006 --safe --eta 1h
expect_eq "nothing of the refused answers was recorded" "$(sql "SELECT count(*) FROM events")" "$before"

# --- 3: 2,000 answers over one keep-alive connection, none lost ---
: >"$T/curl.cfg"
for i in $(seq 10 2 4008); do
	[ $((i % 4)) = 0 ] || [ $((i % 4)) = 2 ] || continue
	printf 'url = "%s/v1/incidents/1/safety"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\ndata = "{\\"member\\": \\"m%05d\\", \\"status\\": \\"safe\\", \\"can_come\\": true}"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\nnext\n' "$URL" "$T_SEC" "$i" >>"$T/curl.cfg"
done
sed -i '$d' "$T/curl.cfg"	# no "next" after the last
curl -s -K "$T/curl.cfg" >"$T/codes"
expect_eq "2,000 answers: every one 200" "$(sort "$T/codes" | uniq -c | tr -s ' ')" " 2000 200"
expect_eq "... and every one recorded" "$("$KZ" --json show 1 | jq -c '.safety | [.answered, .safe, .injured, .unsafe, .can_come, .cannot_come]')" '[2002,2001,0,1,2000,1]'

# --- 4: --list pages the members ---
expect_eq "--list --limit 3: the first three by member id" "$("$KZ" --json safety 1 --list --limit 3 | jq -c '[.[] | .member]')" '["m00002","m00004","m00006"]'
expect_eq "--after pages on" "$("$KZ" --json safety 1 --list --limit 2 --after m00004 | jq -c '[.[] | [.member, .status]]')" '[["m00006",null],["m00008",null]]'
expect_eq "--unanswered: only those not heard from" "$("$KZ" --json safety 1 --list --unanswered --limit 2 | jq -c '[.[] | .member]')" '["m00006","m00008"]'
expect_eq "a row has the SPEC fields" "$("$KZ" --json safety 1 --list --limit 1 | jq -c '.[0] | [.member, .name, .site, .area, .status, .can_come, .eta_s, (.answered_at != null)]')" '["m00002","職員2","s2","東京都","safe",false,null,true]'
expect_rc "--limit 0 is refused" 1 "$KZ" safety 1 --list --limit 0

# --- 5: reminders and the timeout summary, on the test clock ---
advance 31m
wait_for "reminder round 1 goes to the 2,998 not heard from" 60 sqleq "SELECT count(*) FROM safety WHERE incident = 1 AND reminders = 1" 2998
expect_eq "safety.reminded with the count" "$(evs 1 safety.reminded | jq -c '[.[] | [.round, .not_heard]]')" '[[1,2998]]'
wait_for "... each one message" 60 sqleq "SELECT count(*) FROM notifications WHERE incident = 1 AND event = 'safety.ask'" 7998
advance 6h
expect_eq "at most max_reminders rounds" "$(evs 1 safety.reminded | jq -c '[.[] | .round]')" '[1,2]'
sum=$(evs 1 safety.summary)
expect_eq "at the timeout the owner's summary counts those not heard from" "$(echo "$sum" | jq -c '.[0] | [.reason, .asked, .answered, .not_heard_count]')" '["timeout",5000,2002,2998]'
check "... and names them" grep -q '職員6、' <<<"$(sql "SELECT text FROM notifications WHERE incident = 1 AND event = 'safety.summary'")"

rep=$("$KZ" --json report 1 --format json)
expect_eq "the report has the tally and the times to 50/90/100 % (not reached)" "$(echo "$rep" | jq -c '.safety[0] | [.step, .asked, .answered, .t50_s, .t90_s, .t100_s]')" '["anpi",5000,2002,null,null,null]'
check "the Markdown report shows the tally" grep -q '安否確認 / Safety confirmation' <<<"$("$KZ" report 1)"
code=$(get /board -H "Authorization: Bearer $T_SEC")
check "the board shows the tally ($code)" grep -q '<b>2002 / 5000</b>' "$T/resp"

# --- 6: done_at: two of three answers finish the step ---
"$KZ" activate small >/dev/null
as_uid 1101 "$KZ" safety 2 --safe >/dev/null
expect_eq "one answer of three: not done at 66%" "$("$KZ" --json show 2 | jq -r '.steps[0].state')" ready
as_uid 1102 "$KZ" safety 2 --unsafe >/dev/null
expect_eq "two of three: done, the next step ready" "$("$KZ" --json show 2 | jq -c '[.steps[] | .state]')" '["done","ready"]'
expect_eq "the report's times: 50 % at once (the test clock stands still)" "$("$KZ" --json report 2 --format json | jq -c '.safety[0] | [.t50_s, .t90_s]')" '[0,null]'
expect_eq "safety.complete and the owner's summary" "$(evs 2 safety.complete | jq -c '[.[] | [.asked, .answered]]')|$(evs 2 safety.summary | jq -c '[.[] | .reason]')" '[[3,2]]|["done"]'
"$KZ" close 2 --note "drill over" >/dev/null
expect_rc "an answer after the close is refused" 1 "$KZ" safety 2 --as m00005 --safe
check "... saying why" grep -q "incident 2 is closed: safety answers are no longer taken" <<<"$("$KZ" safety 2 --as m00005 --safe 2>&1)"

# --- 7: kill -9 in the middle of a call-out of 10,000 ---
# Started by hand, the report has no points: everyone is asked, and the
# log says why.
"$KZ" activate anpi >/dev/null
kill9_kzd
KEIZOKU_TEST_CLOCK=2026-11-20T10:00:00Z start_kzd || exit 1
check "after the restart the call-out goes on to all 10,000" all_asked 3 $N
expect_eq "every member asked exactly once" "$(sent 3)|$(sql "SELECT count(*) FROM safety WHERE incident = 3")" "$N/$N|$N"
check "the log says why everyone was asked" grep -q 'no points' <<<"$("$KZ" log 3)"
expect_eq "no answer of incident 1 was lost" "$("$KZ" --json show 1 | jq -r .safety.answered)" 2002
sz=$("$KZ" --json show 3 | wc -c)
check "show of 10,000 stays under 256 KiB ($sz bytes)" test "$sz" -lt 262144

# --- 8: an assemble step of 1,500: linear, sliced, show lists 100 ---
"$KZ" activate team >/dev/null
wait_for "all 1,500 of the team are called" 60 sqleq "SELECT count(*) FROM responses WHERE incident = 4" 1500
a=$("$KZ" --json show 4)
expect_eq "show counts them and lists 100" "$(echo "$a" | jq -c '.assembly.team | [.waiting, .called, (.members | length), .members_truncated]')" '[1500,1500,100,true]'
expect_eq "--list --step pages an assemble step's members" "$("$KZ" --json safety 4 --list --step call --limit 2 --after m01498 | jq -c '[.[] | [.member, .status]]')" '[["m01499","called"],["m01500","called"]]'
expect_eq "each called once" "$(sql "SELECT count(*) || '/' || count(DISTINCT text) FROM notifications WHERE incident = 4 AND event = 'assembly.callout'")" "1500/1500"

# --- 9: kill -9 twice in the middle of an assemble of 10,000, the
# roster changed while keizokud was down the second time ---
# The step keeps its place in the call-out order (its cursor, with the
# order's fingerprint): a batch loads only its slice, and after the first
# restart the call-out goes on from the cursor committed. The role gains
# a member while keizokud is down the second time, so the order is
# another one after that restart: the walk starts again from the first
# member, and everyone, the newcomer too, is called exactly once. A
# decline then calls the next one (m10001, wherever the kills fell).
# m09999 answers before the call-out reaches them: they are passed over.
cat >"$T/runbooks/allin.yaml" <<'YAML'
runbook: allin
title: 全員参集 / Everyone in, one more than the role
kind: staff-assembly
owner: role:boss
steps:
  - id: call
    title: 参集 / Call all staff
    type: assemble
    with: {roles: {all-staff: 10001}, escalate_after: 1h}
YAML
"$KZ" reload >/dev/null
ncalled() { sql "SELECT count(*) FROM responses WHERE incident = 5"; }
"$KZ" activate allin >/dev/null
# one answers before the call-out reaches them: passed over, not called
"$KZ" respond 5 --as m09999 --available >/dev/null
_e=$((SECONDS + 60)); while [ "$(ncalled)" -lt 1000 ] && [ $SECONDS -le $_e ]; do sleep 0.05; done
kill9_kzd
echo "# called before the first kill: $(ncalled)"
KEIZOKU_TEST_CLOCK=2026-11-20T10:00:00Z start_kzd || exit 1
_e=$((SECONDS + 60)); while [ "$(ncalled)" -lt 5000 ] && [ $SECONDS -le $_e ]; do sleep 0.05; done
kill9_kzd
echo "# called before the second kill: $(ncalled)"
sed -i '1a\  - {id: m10001, name: 職員10001, site: s0, area: 東京都}' "$T/roster.yaml"
sed -i '$ s/]$/, m10001]/' "$T/roster.yaml"
KEIZOKU_TEST_CLOCK=2026-11-20T10:00:00Z start_kzd || exit 1
called() { sql "SELECT count(*) || '/' || count(DISTINCT member) FROM responses WHERE incident = 5"; }
wait_for "after the restart the call-out goes on to all 10,000" 120 sqleq "SELECT count(*) FROM responses WHERE incident = 5 AND member <> 'm10001'" $N
"$KZ" respond 5 --as m00002 --unavailable >/dev/null
wait_for "a decline calls the newcomer" 60 sqleq "SELECT count(*) FROM responses WHERE incident = 5 AND member = 'm10001'" 1
wait_for "... and the fan-out ends" 60 sqleq "SELECT count(*) FROM timers WHERE kind = 'fanout' AND incident = 5" 0
expect_eq "every member called exactly once, the newcomer too (m09999 answered first: not called)" "$(called)|$(sql "SELECT count(*) || '/' || count(DISTINCT text) FROM notifications WHERE incident = 5 AND event = 'assembly.callout'")" "10001/10001|10000/10000"
expect_eq "the tally: 9,999 waiting, one available, one declined" "$("$KZ" --json show 5 | jq -c '.assembly["all-staff"] | [.waiting, .available, .unavailable, .called]')" '[9999,1,1,10001]'

stop_clean
exit $_failed
