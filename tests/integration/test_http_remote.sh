#!/bin/bash
# Issue 3, item 5: the REST API covers the client commands, so
# keizoku -u URL -T TOKEN works remotely exactly as over the socket, with
# bearer tokens mapped to roster members and the same permissions.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"

T_TANAKA="tanaka-トークン-1"
T_ITO="ito-token-2"
T_YAMADA="yamada-token-3"
T_GHOST="ghost-token-4"
write_config "tokens:
  - {member: tanaka, sha256: \"$(sha256 "$T_TANAKA")\"}
  - {member: ito, sha256: \"$(sha256 "$T_ITO")\"}
  - {member: yamada, sha256: \"$(sha256 "$T_YAMADA")\"}
  - {member: ghost, sha256: \"$(sha256 "$T_GHOST")\"}
sources:
  mon:
    format: json
    auth: {none: true}"
cat >"$T/runbooks/failover.yaml" <<'YAML'
runbook: failover
title: 代替サイトへの切り替え / Fail over
kind: failover
owner: role:it-lead
vars: {alt_site: osaka}
activation:
  - {source: mon, match: {event: site_down}, mode: confirm, confirm_by: role:it-lead, key: "{{trigger.n}}"}
steps:
  - {id: decide, title: 切り替えの判断, type: approval, assign: role:it-lead}
  - {id: dns, title: DNS 切り替え, needs: [decide], assign: role:operator}
  - {id: verify, title: 疎通確認, needs: [dns], assign: role:operator}
YAML
start_kzd || exit 1
R="$KZ -u $URL"
tanaka() { $R -T "$T_TANAKA" "$@"; }
ito() { $R -T "$T_ITO" "$@"; }
yamada() { $R -T "$T_YAMADA" "$@"; }

expect_rc "status over HTTP" 0 tanaka status
out=$(tanaka --json activate failover --var alt_site=tokyo --note "本番サイト停止")
expect_eq "activate over HTTP" "$(echo "$out" | jq -c '[.incident, .state]')" '[1,"active"]'
expect_eq "the token's member is the actor" "$(sql "SELECT activated_by || '|' || note FROM incidents WHERE id = 1")" "tanaka|本番サイト停止"
for c in "show 1" "log 1" "incidents" "incidents --all" "runbooks" "roster"; do
	# shellcheck disable=SC2086
	expect_eq "--json $c is the same over HTTP and the socket" "$(tanaka --json $c | md5sum)" "$("$KZ" --json $c | md5sum)"
done
expect_rc "text output over HTTP" 0 tanaka show 1
check "text output names the step" grep -q '切り替えの判断' "$T/out"
expect_rc "an operator may not approve over HTTP" 1 ito approve 1 decide
check "with the daemon's reason" grep -q 'keizoku: ' "$T/err"
expect_rc "tanaka acks over HTTP" 0 tanaka ack 1 decide
expect_rc "tanaka approves over HTTP" 0 tanaka approve 1 decide --note "承認"
expect_eq "the step is done by tanaka" "$("$KZ" --json show 1 | jq -c '[.steps[0].state, .steps[0].done_by, .steps[1].state]' | tr -d ' ')" '["done","tanaka","ready"]'
expect_rc "ito (operator) marks dns done" 0 ito done 1 dns
expect_rc "ito may not act --as someone (not a proxy)" 1 ito --as sato skip 1 verify
check "the refusal says why" grep -q 'may not act on behalf' "$T/err"
expect_rc "yamada (secretariat, proxy) skips for ito" 0 yamada --as ito skip 1 verify --note "代理入力"
expect_eq "the log records yamada on behalf of ito" "$("$KZ" --json log 1 | jq -c '[.[] | select(.type == "step.skipped") | [.actor, .on_behalf]][0]' | tr -d ' ')" '["yamada","ito"]'
expect_rc "--as a member who does not exist" 1 yamada --as nobody skip 1 verify
expect_rc "ito may not close (not the owner)" 1 ito close 1
expect_rc "tanaka may not reload (not an admin)" 1 tanaka reload
expect_rc "tanaka closes" 0 tanaka close 1 --note "復旧"
expect_eq "closed" "$("$KZ" --json show 1 | jq -r '.state')" closed
expect_eq "incidents --all (a GET flag) over HTTP" "$(tanaka --json incidents --all | jq 'length')/$(tanaka --json incidents | jq 'length')" "1/0"

# confirm / dismiss of webhook-started pending incidents, remotely.
for n in 1 2; do
	echo "{\"event\": \"site_down\", \"n\": $n}" >"$T/t$n.json"
	st=$(post /v1/hooks/mon "$T/t$n.json")
	expect_resp "trigger $n starts a pending incident" "$st" 202 '.incidents' "[$((n + 1))]"
done
expect_rc "an operator may not confirm over HTTP" 1 ito confirm 2
expect_rc "tanaka confirms over HTTP" 0 tanaka confirm 2 --note "確認済み"
expect_rc "tanaka dismisses over HTTP" 0 tanaka dismiss 3 --note "誤報"
expect_eq "confirmed and dismissed" "$("$KZ" --json show 2 | jq -r '.state')/$("$KZ" --json show 3 | jq -r '.state')" "active/dismissed"

# Credentials and reachability.
expect_rc "a bad token exits 1" 1 $R -T nope status
check "and says to check the token" grep -q 'check the token' "$T/err"
expect_rc "a token of a member not in the roster exits 1" 1 $R -T "$T_GHOST" status
check "naming the member" grep -q 'ghost is not in the roster' "$T/err"
expect_rc "KEIZOKU_URL and KEIZOKU_TOKEN work too" 0 env KEIZOKU_URL="$URL" KEIZOKU_TOKEN="$T_TANAKA" "$KZ" status
expect_rc "an unknown incident over HTTP exits 1" 1 tanaka show 99
check "with the daemon's message" grep -q 'no incident 99' "$T/err"
expect_rc "a port nobody listens on exits 3" 3 "$KZ" -u "http://127.0.0.1:$(free_port)" -T x status
st=$(get "/v1/incidents/2/log" -H "Authorization: Bearer $T_TANAKA")
expect_resp "the REST path of log answers JSON" "$st" 200 'length > 0' true
st=$(get "/v1/incidents?all=true" -H "Authorization: Bearer $T_TANAKA")
expect_resp "GET query parameters reach the command" "$st" 200 'length' 3
echo '{"runbook": "failover", "drill": true, "var": ["alt_site=本社"]}' >"$T/act.json"
st=$(post /v1/incidents "$T/act.json" -H "Authorization: Bearer $T_TANAKA")
expect_resp "POST /v1/incidents with a JSON body activates (201)" "$st" 201 '.state' active
expect_eq "the body's params were applied" "$(sql "SELECT drill || '|' || json_extract(vars, '$.alt_site') FROM incidents WHERE id = 4")" "1|本社"
stop_clean
exit $_failed
