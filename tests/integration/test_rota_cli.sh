#!/bin/bash
# Issue 20: shift teams and rotas (SPEC §16) with the real binaries and the
# test clock: who is on turn (oncall, rota show) at and around a boundary,
# covers and their refusals (overlap, --until in the past, unknown member,
# permission), a team out that moves open steps and calls the next deputy
# of a running assembly at once, a team out that would empty a role
# (refused, then --force), team back, the audit log, the calendar feed
# over the CLI and over REST (read back by python3-icalendar), and roster
# errors (turn 0, over 31 days, unknown zone, member in two teams).
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
TOKEN="tok-田中"
cat >"$T/roster.yaml" <<'YAML'
timezone: Asia/Tokyo
members:
  - {id: tanaka, name: 田中 太郎, unix_user: "1101"}
  - {id: suzuki, name: 鈴木 花子, unix_user: "1102"}
  - {id: sato, name: 佐藤 次郎, unix_user: "1103"}
  - {id: yamada, name: 山田 事務, unix_user: "1104"}
  - {id: ito, name: 伊藤 一郎, unix_user: "1105"}
  - {id: kimura, name: 木村 外部, unix_user: "1106"}
teams:
  - {id: a, title: A班, members: [tanaka, ito]}
  - {id: b, title: B班, members: [suzuki, sato]}
rotas:
  - {id: ops, title: 運用 交代制, teams: [a, b], start: "2026-12-07T09:00:00+09:00", turn: 1d}
roles:
  - {id: it-lead, title: 責任者, members: [tanaka, suzuki, sato], rota: ops}
  - {id: operator, title: 担当者, members: [sato, ito], rota: ops}
  - {id: secretariat, title: 事務局, members: [yamada], proxy: true}
  - {id: guest, title: 外部, members: [kimura]}
YAML
export KZ_TEST_WEB_SECRET=rota-cli-web-secret-0123456789abcdef
write_config "web: {base_url: \"$URL\", secret: \"env:KZ_TEST_WEB_SECRET\"}
tokens:
  - {member: tanaka, sha256: \"$(sha256 "$TOKEN")\"}
channels:
  ops: {type: slack, url: \"http://127.0.0.1:9/hooks/ops\", retry: [1h]}"
cat >"$T/runbooks/work.yaml" <<'YAML'
runbook: work
title: 作業 / Work
owner: role:it-lead
steps:
  - id: call
    title: 参集 / Call
    type: assemble
    with: {roles: {it-lead: 1}, escalate_after: 1h}
  - id: task
    title: 作業 / Task
    assign: role:it-lead
  - id: mine
    title: 指名 / Named
    assign: tanaka
YAML
cat >"$T/runbooks/two.yaml" <<'YAML'
runbook: two
title: 二人参集 / Two leads
owner: role:it-lead
steps:
  - id: call
    title: 参集 / Call
    type: assemble
    with: {roles: {it-lead: 2, operator: 1}}
YAML
# 08:00 in Tokyo on the 8th: team a's first day ends at 09:00 (00:00Z).
KEIZOKU_TEST_CLOCK=2026-12-07T23:00:00Z start_kzd || exit 1
order() { "$KZ" --json oncall ${2:+--at "$2"} | jq -c --arg r "$1" '[.roles[] | select(.id == $r) | .order][0]'; }

# --- who is on turn ---
"$KZ" --json oncall >"$T/oc.json"
expect_eq "team a is on turn" "$(jq -r '.rotas[0].team' "$T/oc.json")" a
expect_eq "until the boundary at 09:00 JST" "$(jq -r '.rotas[0].until' "$T/oc.json")" 2026-12-08T00:00:00Z
expect_eq "team b is next" "$(jq -r '.rotas[0].next' "$T/oc.json")" b
expect_eq "it-lead: on turn first, precedence kept" "$(order it-lead)" '["tanaka","suzuki","sato"]'
expect_eq "operator: ito (on turn) before sato" "$(order operator)" '["ito","sato"]'
expect_eq "a millisecond before the boundary: still a" "$(order it-lead 2026-12-08T08:59:59.999+09:00)" '["tanaka","suzuki","sato"]'
expect_eq "the boundary instant belongs to the incoming team" "$(order it-lead 2026-12-08T09:00:00+09:00)" '["suzuki","sato","tanaka"]'
expect_eq "year end: 2026-12-31 23:59 JST is team a's (k=24)" "$(order it-lead 2026-12-31T23:59:00+09:00)" '["tanaka","suzuki","sato"]'
expect_eq "--at in the roster's zone without offset" "$(order it-lead 2027-01-01T09:00)" '["suzuki","sato","tanaka"]'
"$KZ" --json rota show ops --days 3 >"$T/show.json"
expect_eq "rota show: the turns of three days" "$(jq -c '[.[] | .team]' "$T/show.json")" '["a","b","a","b"]'
expect_eq "rota show: from/until" "$(jq -r '.[1].from + " " + .[1].until' "$T/show.json")" "2026-12-08T00:00:00Z 2026-12-09T00:00:00Z"
expect_rc "oncall --at garbage is refused" 1 "$KZ" oncall --at yesterday-ish
expect_rc "rota show of an unknown rota" 1 "$KZ" rota show nope

# --- covers ---
id=$("$KZ" --json rota override ops --member ito --replaces tanaka --until 2h --note 通院 | jq -r .id)
expect_eq "rota override answers its id" "$id" 1
expect_eq "ito covers tanaka: in tanaka's place" "$(order it-lead)" '["ito","tanaka","suzuki","sato"]'
expect_eq "rota overrides lists it with who made it" "$("$KZ" --json rota overrides | jq -c '[.[] | [.id, .member, .replaces, .note, .by]]')" '[[1,"ito","tanaka","通院","root"]]'
expect_rc "an overlapping cover is refused" 1 "$KZ" rota override ops --member sato --replaces tanaka --from 1h --until 3h
"$KZ" rota override ops --member sato --replaces tanaka --from 1h --until 3h 2>"$T/err" >/dev/null
check "the refusal names the overlap" grep -q 'overlaps override 1' "$T/err"
expect_rc "--until in the past is refused" 1 "$KZ" rota override ops --member sato --replaces ito --from 2026-12-01T00:00:00Z --until 2026-12-02T00:00:00Z
"$KZ" rota override ops --member sato --replaces ito --from 2026-12-01T00:00:00Z --until 2026-12-02T00:00:00Z 2>"$T/err" >/dev/null
check "the refusal says it is in the past" grep -q 'in the past' "$T/err"
expect_rc "an unknown member is refused" 1 "$KZ" rota override ops --member nobody --replaces ito --until 1h
expect_rc "a member of no rota role may not cover others" 1 as_uid 1106 "$KZ" rota override ops --member sato --replaces ito --until 1h
expect_eq "nothing was added by the refusals" "$("$KZ" --json rota overrides | jq length)" 1
expect_rc "a member of a role of the rota may" 0 as_uid 1105 "$KZ" rota override ops --member sato --replaces ito --from 5h --until 6h
expect_rc "rota drop" 0 "$KZ" rota drop 1
expect_eq "after the drop, tanaka is first again" "$(order it-lead)" '["tanaka","suzuki","sato"]'
expect_rc "rota drop of one not in force" 1 "$KZ" rota drop 1

# --- a team out moves open steps and calls past its members ---
"$KZ" activate work >/dev/null
expect_eq "the assembly calls tanaka (on turn)" "$("$KZ" --json show 1 | jq -c '[.assembly["it-lead"].members[] | .member + ":" + .answer]')" '["tanaka:called"]'
"$KZ" respond 1 --as suzuki --available >/dev/null
"$KZ" done 1 call --as suzuki >/dev/null 2>&1
"$KZ" activate work >/dev/null
expect_eq "incident 2 calls tanaka too" "$("$KZ" --json show 2 | jq -c '[.assembly["it-lead"].members[] | .member]')" '["tanaka"]'
expect_rc "team out without --note is refused" 1 "$KZ" team out a --until 1d
expect_rc "team out --until in the past is refused" 1 "$KZ" team out a --until 2026-12-01T00:00:00Z --note x
expect_rc "team out of an unknown team is refused" 1 "$KZ" team out z --until 1d --note x
expect_rc "a member outside the rota's roles may not send a team out" 1 as_uid 1106 "$KZ" team out a --until 1d --note x
"$KZ" --json team out a --until 2026-12-09T09:00 --note 感染者が出たため自宅待機 >"$T/out.json"
expect_eq "team out answers team and until" "$(jq -r '.team + " " + .until' "$T/out.json")" "a 2026-12-09T00:00:00Z"
expect_eq "incident 2's assembly called the next deputy at once" "$("$KZ" --json show 2 | jq -c '[.assembly["it-lead"].members[] | .member + ":" + .answer]')" '["tanaka:no_answer","suzuki:called"]'
expect_eq "oncall shows the team out" "$("$KZ" --json oncall | jq -c '.out | map(.team)')" '["a"]'
kill9_kzd
KEIZOKU_TEST_CLOCK=2026-12-07T23:00:00Z start_kzd || exit 1
expect_eq "after kill -9 the team out is still in force" "$("$KZ" --json oncall | jq -c '.out | map(.team)')" '["a"]'
expect_eq "it-lead without team a" "$(order it-lead)" '["suzuki","sato"]'
expect_eq "operator without team a" "$(order operator)" '["sato"]'
# Incident 2's task went to tanaka (first in call-out order, nobody has
# answered there yet); it moved. Incident 1's went to suzuki, who answered.
expect_eq "team out reports the moved step" "$(jq -c '[.moved[] | [.incident, .step, .from, .to]]' "$T/out.json")" '[[2,"task","tanaka","suzuki"]]'
expect_eq "the step's assignee is suzuki now" "$("$KZ" --json show 2 | jq -r '.steps[] | select(.id == "task") | .assignee')" suzuki
expect_eq "a step named for tanaka stays" "$("$KZ" --json show 2 | jq -r '.steps[] | select(.id == "mine") | .assignee')" tanaka
expect_rc "team b out too would empty it-lead and operator: refused" 1 "$KZ" team out b --until 1d --note x
"$KZ" --json team out b --until 1d --note x 2>"$T/err" >/dev/null
check "the refusal names the empty roles" grep -q 'it-lead' "$T/err"
expect_eq "the refusal changed nothing" "$("$KZ" --json oncall | jq -c '.out | map(.team)')" '["a"]'
expect_rc "--force sends it out anyway" 0 "$KZ" team out b --until 1h --note 全員 --force
expect_eq "both teams out: it-lead is empty" "$(order it-lead)" '[]'
expect_rc "team back b" 0 "$KZ" team back b
expect_rc "team back b again: it is not out" 1 "$KZ" team back b
expect_rc "team back a" 0 "$KZ" team back a
expect_eq "back in order" "$(order it-lead)" '["tanaka","suzuki","sato"]'

# --- the audit log ---
expect_eq "every change is in the event log with who made it" "$(sql "SELECT type || ':' || actor FROM events WHERE type LIKE 'rota.%' OR type LIKE 'team.%' ORDER BY seq" | tr '\n' ' ')" "rota.override:root rota.override:ito rota.drop:root team.out:root team.out:root team.back:root team.back:root "
check "the hash chain verifies" "$KZ" verify

# --- calendars ---
"$KZ" rota ics ops --member tanaka >"$T/tanaka.ics"
"$KZ" rota ics ops >"$T/ops.ics"
cat >"$T/ics.py" <<'PY'
import sys, icalendar
with open(sys.argv[1], 'rb') as f:
    cal = icalendar.Calendar.from_ical(f.read())
evs = list(cal.walk('VEVENT'))
who = sys.argv[2] if len(sys.argv) > 2 else None
bad = [e for e in evs if who and who not in str(e['SUMMARY'])]
print(len(evs), len(bad), evs[0].decoded('DTSTART').isoformat(), evs[0].decoded('DTSTART').tzinfo is not None)
PY
read -r n bad first tz < <(/usr/bin/python3 -W error "$T/ics.py" "$T/tanaka.ics" tanaka)
expect_eq "tanaka's feed: every other day of 90 (and only tanaka's)" "$n $bad" "46 0"
expect_eq "its first turn began at 09:00 in Tokyo, zoned" "$first $tz" "2026-12-07T09:00:00+09:00 True"
read -r n bad first tz < <(/usr/bin/python3 -W error "$T/ics.py" "$T/ops.ics")
expect_eq "the rota's feed: one event per turn" "$n" 91
code=$(get /v1/rotas/ops.ics?member=tanaka -H "Authorization: Bearer $TOKEN" -D "$T/hdr")
expect_eq "GET /v1/rotas/ops.ics with a token" "$code" 200
check "served as text/calendar" grep -qi '^content-type: text/calendar' "$T/hdr"
read -r n bad first tz < <(/usr/bin/python3 -W error "$T/ics.py" "$T/resp" tanaka)
expect_eq "the REST feed is the member's" "$n $bad" "46 0"
expect_eq "without a token: 401" "$(get /v1/rotas/ops.ics)" 401
link=$("$KZ" --json rota ics ops --member tanaka --link | jq -r .link)
check "rota ics --link makes a signed link to the member's feed" grep -q "^$URL/v1/rotas/ops.ics?member=tanaka&key=k1\." <<<"$link"
expect_eq "the link works without a token" "$(curl -s -o "$T/resp" -w '%{http_code}' "$link")" 200
read -r n bad first tz < <(/usr/bin/python3 -W error "$T/ics.py" "$T/resp" tanaka)
expect_eq "... and gives tanaka's turns" "$n $bad" "46 0"
expect_eq "the link for another member is refused" "$(curl -s -o "$T/resp" -w '%{http_code}' "${link/member=tanaka/member=ito}")" 403
expect_eq "a tampered key is refused" "$(curl -s -o "$T/resp" -w '%{http_code}' "${link%?}x")" 403
expect_rc "a member may not make another's link" 1 as_uid 1105 "$KZ" rota ics ops --member tanaka --link
expect_eq "an unknown rota: 404" "$(get /v1/rotas/nope.ics -H "Authorization: Bearer $TOKEN")" 404

# --- plan check: team-coverage ---
"$KZ" --json plan check "$KZ_TOP/config/plan.yaml" >"$T/chk.json"
expect_eq "team-coverage: team a alone cannot meet two it-leads" "$(jq -c '[.warnings[] | select(.code == "team-coverage") | .subject]' "$T/chk.json")" '["it-lead"]'
check "the warning names the runbook, step and team" grep -q 'runbook two step call calls out 2 of role it-lead, but team a of rota ops has 1' "$T/chk.json"

# --- roster errors, each with its position ---
bad_roster() {
	printf '%s\n' "$1" >"$T/bad.yaml"
	sed "s|roster: roster.yaml|roster: bad.yaml|" "$T/keizokud.yaml" >"$T/bad-kzd.yaml"
	"$KZD" -t -c "$T/bad-kzd.yaml" >"$T/t.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && grep -q "$2" "$T/t.out"; then ok "$3"; else nok "$3: rc $rc: $(cat "$T/t.out")"; fi
}
R0='members: [{id: a}, {id: b}]
teams: [{id: t, members: [a]}, {id: u, members: [b]}]'
bad_roster "$R0
rotas: [{id: r, teams: [t, u], start: \"2027-01-01T09:00:00+09:00\", turn: 0s}]" 'bad.yaml:3:.*a turn must be longer than 0 and at most 31 days' "turn 0 is refused"
bad_roster "$R0
rotas: [{id: r, teams: [t, u], start: \"2027-01-01T09:00:00+09:00\", turn: 32d}]" 'bad.yaml:3:.*at most 31 days' "a turn over 31 days is refused"
bad_roster "timezone: Mars/Olympus
$R0" 'bad.yaml:1:11: unknown time zone "Mars/Olympus"' "an unknown time zone is refused"
bad_roster 'members: [{id: a}]
teams: [{id: t, members: [a]}, {id: u, members: [a]}]' 'bad.yaml:2:.*already in team' "a member in two teams is refused"
bad_roster "$R0
rotas: [{id: r, teams: [t, x], start: \"2027-01-01\", turn: 1d}]" 'unknown team "x"' "a rota naming an unknown team is refused"
bad_roster "$R0
rotas: [{id: r, teams: [], start: \"2027-01-01T00:00:00Z\", turn: 1d}]" 'has no teams' "a rota without teams is refused"
check "keizokud is still running" "$KZ" status
exit $_failed
