#!/bin/bash
# Issue 18, item 4: lists come in pages, with a default and a maximum,
# over the control socket and HTTP alike (--limit N --after CURSOR;
# "next" in the frame, X-Keizoku-Next and Link over HTTP), so that no
# member can make keizokud build a reply of every incident or
# notification there is. Small lists print as before.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
KZA=$KZ_BUILD/tools/kzattack
export KZ_HOOK_TOKEN=tok-lists
TOKEN=tok-tanaka
write_config "sources:
  mon: {format: json, auth: {bearer: \"env:KZ_HOOK_TOKEN\"}}
tokens:
  - {member: tanaka, sha256: \"$(sha256 "$TOKEN")\"}
channels:
  ops: {type: slack, url: \"http://127.0.0.1:9/ops\", retry: [1h]}
exceptions: {approver_role: it-lead}"
cat >"$T/runbooks/r.yaml" <<'YAML'
runbook: r
title: 一覧 / Lists
owner: role:it-lead
activation:
  - {source: mon, match: {alert: {exists: true}}}
steps:
  - {id: look, title: 確認, assign: role:it-lead}
YAML
start_kzd || exit 1

# Small lists: as before, no note about more.
expect_rc "an incident" 0 as_uid 1101 "$KZ" activate r
expect_rc "incidents (one)" 0 "$KZ" incidents
check "prints no note about more pages" test ! -s "$T/err"
for i in 1 2 3; do
	as_uid 1101 "$KZ" exception add 1 --title "措置 $i" --policy P --reason R --revert-by 1d >/dev/null
done

# 2,500 more incidents, 2 notifications each (activated, step ready).
"$KZA" burst "$HTTP_PORT" /v1/hooks/mon "$KZ_HOOK_TOKEN" 2500 50 >"$T/b"
expect_eq "2,501 incidents" "$(sql "SELECT count(*) FROM incidents")" 2501

"$KZ" --json incidents >"$T/p1" 2>"$T/e1"
expect_eq "incidents: a page of 1,000 by default" "$(jq 'length' "$T/p1")" 1000
expect_eq "from the first" "$(jq -c '[.[0].id, .[-1].id]' "$T/p1")" "[1,1000]"
expect_eq "the client says how to go on" "$(cat "$T/e1")" \
    "keizoku: more follow; for the next page, run it again with --after 1000"
"$KZ" --json incidents --after 1000 --limit 1000 >"$T/p2" 2>"$T/e2"
expect_eq "the next page" "$(jq -c '[length, .[0].id, .[-1].id]' "$T/p2")" "[1000,1001,2000]"
"$KZ" --json incidents --after 2000 >"$T/p3" 2>"$T/e3"
expect_eq "the last page" "$(jq -c '[length, .[0].id, .[-1].id]' "$T/p3")" "[501,2001,2501]"
check "ends without a note" test ! -s "$T/e3"
expect_rc "--limit over the maximum is refused" 1 "$KZ" incidents --limit 10001
check "saying the range" grep -q "from 1 to 10000" "$T/err"
expect_rc "--limit 0 is refused" 1 "$KZ" incidents --limit 0
expect_rc "a cursor that is not a number is refused" 1 "$KZ" incidents --after x

"$KZ" --json notifications --limit 10000 >"$T/n" 2>/dev/null
expect_eq "notifications: up to 10,000 on request (2 per incident, 3 requests)" "$(jq length "$T/n")" 5005
"$KZ" --json notifications >"$T/n1" 2>"$T/ne"
expect_eq "1,000 by default" "$(jq length "$T/n1")" 1000
check "with the cursor" grep -q -- "--after $(jq '.[-1].id' "$T/n1")" "$T/ne"
"$KZ" --json notifications --pending --incident 7 >"$T/n7"
expect_eq "filters still apply" "$(jq -c '[.[] | .incident] | unique' "$T/n7")" "[7]"

"$KZ" --json log 1 --limit 2 >"$T/l1" 2>"$T/le"
expect_eq "log: a page of 2 events" "$(jq -c '[.[] | .seq]' "$T/l1")" "[1,2]"
"$KZ" --json log 1 --after "$(jq '.[-1].seq' "$T/l1")" --limit 2 >"$T/l2" 2>/dev/null
expect_eq "the next events" "$(jq -c '[.[] | .seq] | .[0] > 2' "$T/l2")" true

"$KZ" --json exceptions --limit 2 >"$T/x1" 2>"$T/xe"
expect_eq "exceptions: a page of 2" "$(jq -c '[.[] | .id]' "$T/x1")" "[1,2]"
"$KZ" --json exceptions --after 2 >"$T/x2"
expect_eq "then the rest" "$(jq -c '[.[] | .id]' "$T/x2")" "[3]"

as_uid 1101 "$KZ" --json inbox --limit 5 >"$T/i1" 2>"$T/ie"
expect_eq "inbox: a page ends with a whole incident" "$(jq 'length' "$T/i1")" 5
check "and says where the next starts" grep -q -- "--after 5" "$T/ie"

# Over HTTP: the same pages, the cursor in a header and a Link.
st=$(get "/v1/incidents?limit=2&all=true" -H "Authorization: Bearer $TOKEN" -D "$T/h")
expect_eq "GET /v1/incidents?limit=2" "$st/$(jq -c '[.[] | .id]' "$T/resp")" "200/[1,2]"
expect_eq "X-Keizoku-Next" "$(grep -i '^x-keizoku-next:' "$T/h" | tr -d '\r' | cut -d' ' -f2)" 2
check "Link rel=next keeps the query" grep -qi '^link: </v1/incidents?limit=2&all=true&after=2>; rel="next"' "$T/h"
st=$(get "/v1/notifications" -H "Authorization: Bearer $TOKEN")
expect_eq "GET /v1/notifications is bounded" "$st/$(jq length "$T/resp")" "200/1000"
expect_eq "the remote client pages too" \
    "$(KEIZOKU_URL=$URL KEIZOKU_TOKEN=$TOKEN "$KZ" --json incidents --after 2498 2>&1 | jq -c '[.[] | .id]')" "[2499,2500,2501]"
stop_clean
