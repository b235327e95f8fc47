#!/bin/bash
# Issue 5, item 4: the shipped dc-failover runbook end to end with the
# shipped config, roster and plan: Alertmanager's PrimarySiteDown starts it
# pending (mode confirm); the responsible manager confirms and decides the
# switchover; the automatic steps run for real against stand-ins (the
# switch script with exec, the DNS API with webhook, the alternate site
# with http_check); the checks restore each system's RTO clock; users and
# executives are told; the exception is approved; the incident is closed.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
FIX=$KZ_TOP/tests/fixtures/hooks

. "$(dirname "$0")/lib-ship.sh"

# The stand-in for the site-switch script records how it was called.
cat >"$T/switch-site" <<SH
#!/bin/sh
echo "\$@" >>"$T/switch.log"
echo "switched to \$2"
SH
chmod 755 "$T/switch-site"
sed -i "s|127.0.0.1:8053|127.0.0.1:$STUB|; s|127.0.0.1:8080|127.0.0.1:$STUB|; s|/usr/local/libexec/keizoku/switch-site|$T/switch-site|" \
    "$T/ship/runbooks/dc-failover.yaml"
ship_start || exit 1
AUTH="Authorization: Bearer $KEIZOKU_AM_TOKEN"

# --- the trigger: PrimarySiteDown, confirm mode ---
code=$(post /v1/hooks/alertmanager "$FIX/alertmanager-v4.json")
expect_resp "an alert without the token is refused" "$code" 401
code=$(post /v1/hooks/alertmanager "$FIX/alertmanager-v4.json" -H "$AUTH")
expect_resp "PrimarySiteDown starts dc-failover" "$code" 202 '.' '{"accepted":1,"incidents":[1]}'
expect_eq "it waits for confirmation" "$("$KZ" --json show 1 | jq -c '[.runbook, .state, .source]' | tr -d ' ')" '["dc-failover","pending","alertmanager"]'
code=$(post /v1/hooks/alertmanager "$FIX/alertmanager-v4.json" -H "$AUTH")
expect_resp "the repeat of the alert joins the pending incident" "$code" 202 '.incidents' '[1]'
expect_rc "an operator may not confirm" 1 as sato confirm 1
act "suzuki (deputy it-lead) confirms the activation" suzuki confirm 1 --note "全プローブ断を確認"
expect_eq "active; the RTO clocks of the five systems run" "$("$KZ" --json show 1 | jq -c '[.state, ([.systems[] | [.id, .rto_s]] | sort)]' | tr -d ' ')" \
    '["active",[["auth",28800],["dns",21600],["mail",43200],["portal",86400],["web",43200]]]'
expect_eq "only the contractor inquiry is ready" "$(states 1 | jq -c '[to_entries[] | select(.value != "blocked") | .key]')" '["vendor"]'
expect_eq "sato's inbox has it" "$(as sato --json inbox | jq -c '[.[] | select(.incident == 1) | .step]')" '["vendor"]'

# --- the decision ---
act "sato asks the contractor" sato done 1 vendor --note "DC事業者: 受電設備損傷、復旧見込み不明（受付 DC-0042）"
expect_rc "an operator may not decide the switchover" 1 as sato approve 1 decide
act "tanaka decides to switch over" tanaka approve 1 decide --note "復旧見込みが立たないため切り替える"
expect_eq "the announcement went out; the preparations are ready" "$(states 1 | jq -c '[.announce, ."alt-site-ready", ."data-sync", ."exc-monitoring", ."switch-services"]' | tr -d ' ')" \
    '["done","ready","ready","ready","blocked"]'
act "the standby site is ready" yamamoto done 1 alt-site-ready --note "待機系起動済み、要員2名配置"
act "replication checked" kato done 1 data-sync --note "2026-11-20 00:57"

# --- the automatic steps, for real ---
wait_for "the switch script runs (exec) and the step is done" 15 step_is 1 switch-services done
expect_eq "it was called with the site and the incident" "$(cat "$T/switch.log")" "--site osaka --incident 1"
check "its output is the step's note" sh -c "'$KZ' --json show 1 | grep -q 'switched to osaka'"
wait_for "the DNS API is called (webhook) and the step is done" 15 step_is 1 switch-dns done
expect_eq "the DNS API got the zone and the site" "$(grep '"/switch"' "$T/stub.log" | head -n 1 | jq -c '.body | fromjson | [.zone, .site, .incident]' | tr -d ' ')" '["example.go.jp","osaka","1"]'
wait_for "the alternate site answers (http_check)" 15 step_is 1 check-portal done
check "http_check asked the alternate site's health page" grep -q '"GET", "path": "/healthz"' "$T/stub.log"

# --- verification restores the RTO clocks ---
act "DNS and authentication verified" matsumoto done 1 verify-infra --note "名前解決・ログイン正常"
expect_eq "dns and auth are recovered" "$(recovered 1)" '["auth","dns"]'
act "mail verified" sato done 1 verify-mail
act "web verified" ito done 1 verify-web
act "portal verified" yamamoto done 1 verify-portal
expect_eq "every system of the runbook is recovered" "$(recovered 1)" '["auth","dns","mail","portal","web"]'
expect_eq "the notices went out" "$(states 1 | jq -c '[."user-notice", .report]' | tr -d ' ')" '["done","done"]'
check "the user notice names the last sync" sh -c "'$KZ' --json show 1 | grep -q '最終同期時刻: 2026-11-20 00:57'"
check "the report names who decided" sh -c "'$KZ' --json show 1 | grep -q '判断: tanaka'"

# --- the exception and the last steps ---
expect_eq "the monitoring exception is requested" "$(excs 1 | jq -c '[.[] | [.step, .state, .policy != null, .revert_by_at != null]]' | tr -d ' ')" '[["exc-monitoring","requested",true,true]]'
exc=$(exc_id 1 exc-monitoring)
exc_approve 1 exc-monitoring kobayashi "CSIRT の日次確認を条件に承認"
expect_eq "the step is done and the measure active" "$(st 1 exc-monitoring)/$(excs 1 | jq -r '.[0].state')" "done/active"
act "the helpdesk is done" yamada done 1 helpdesk --note "問合せ12件、対応済み"
act "the fail-back is planned" tanaka done 1 failback-plan --note "本番サイト復旧後、週末に切り戻し"
expect_eq "every step is done" "$(states 1 | jq -c '[.[]] | unique')" '["done"]'
jq '.status = "resolved" | .alerts[0].status = "resolved"' "$FIX/alertmanager-v4.json" >"$T/resolved.json"
code=$(post /v1/hooks/alertmanager "$T/resolved.json" -H "$AUTH")
expect_resp "the alert's resolution joins the incident" "$code" 202 '.incidents' '[1]'
expect_eq "and is on the timeline, the incident still active" "$("$KZ" --json log 1 | jq 'any(.[]; .type == "trigger.resolved")')/$("$KZ" --json show 1 | jq -r '.state')" "true/active"
expect_rc "an operator may not close" 1 as sato close 1
act "tanaka closes the incident" tanaka close 1 --note "代替サイトで運用中、切り戻しは別途"
expect_eq "closed" "$("$KZ" --json show 1 | jq -r '.state')" closed
act "the measure is adopted into the alternate site's procedure" tanaka exception resolve "$exc" --adopted --note "代替サイト運用手順に日次ログ確認を追加"
expect_eq "and disposed of" "$(excs 1 | jq -r '.[0].state')" adopted
wait_for "the report to the executives reached the channel" 10 grep -q '代替サイト（osaka）への切り替えを完了' "$T/stub.log"

# --- a dismissed false alarm ---
sed 's/5b1c0f9e2a7d4c31/0000000000000001/; s/alertname=\\"PrimarySiteDown\\"}/alertname=\\"PrimarySiteDown\\",x=\\"2\\"}/' "$FIX/alertmanager-v4.json" >"$T/am2.json"
code=$(post /v1/hooks/alertmanager "$T/am2.json" -H "$AUTH")
expect_resp "a new alert group starts another pending incident" "$code" 202 '.incidents' '[2]'
act "the it-lead dismisses it" tanaka dismiss 2 --note "監視経路の障害、本番サイトは正常"
expect_eq "dismissed, no step ever ran" "$("$KZ" --json show 2 | jq -c '[.state, ([.steps[].state] | unique)]' | tr -d ' ')" '["dismissed",["blocked"]]'
ship_stop
exit $_failed
