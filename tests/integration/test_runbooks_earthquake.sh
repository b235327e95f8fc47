#!/bin/bash
# Issue 5, item 4: the shipped earthquake-assembly runbook end to end with
# the shipped config, roster and plan: a signed P2P地震情報 report starts it
# (震度5強+ in 東京都, or 6弱+ anywhere), the team is called out and
# answers, every step is driven to done with the real CLI, the exception is
# approved by the CISO, the first report reaches the channel, and the
# incident is closed.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
FIX=$KZ_TOP/tests/fixtures/hooks

. "$(dirname "$0")/lib-ship.sh"
# The same reports also start earthquake-safety (安否確認), which has its
# own test (test_safety_scale): this one follows the other runbooks alone.
rm -f "$T/ship/runbooks/earthquake-safety.yaml"

# swh FILE ID: posts a report to /v1/hooks/quake, signed (Standard Webhooks).
swh() {
	_ts=$(date +%s)
	post /v1/hooks/quake "$1" -H "webhook-id: $2" -H "webhook-timestamp: $_ts" \
	    -H "webhook-signature: $($SIGN stdwh "$KEIZOKU_QUAKE_SECRET" "$2" "$_ts" "$1")"
}
# quake TIME PREF=SCALE...: a report of another quake (origin TIME)
# observed at the given points, in $T/q.json.
quake() {
	_t=$1; shift
	jq --arg t "$_t" '.earthquake.time = $t |
	    .points = [$ARGS.positional[] | split("=") | {pref: .[0],
	        addr: (.[0] + "内"), isArea: false, scale: (.[1] | tonumber)}] |
	    .earthquake.maxScale = ([.points[].scale] | max)' \
	    "$FIX/p2pquake-551.json" --args "$@" >"$T/q.json"
}

sed -i "s|127.0.0.1:8080|127.0.0.1:$STUB|" "$T/ship/runbooks/earthquake-assembly.yaml"
ship_start || exit 1

# --- the trigger: 震度6強 in 東京都 ---
code=$(swh "$FIX/p2pquake-551.json" msg_eq_1)
expect_resp "震度6強 in 東京都 starts earthquake-assembly at once (auto)" "$code" 202 '.' '{"accepted":1,"incidents":[1]}'
show=$("$KZ" --json show 1)
expect_eq "incident 1 is active, not a drill, from the quake source" "$(echo "$show" | jq -c '[.runbook, .state, .drill, .source]' | tr -d ' ')" '["earthquake-assembly","active",false,"quake"]'
expect_eq "the notice went out at once with the hypocentre" "$(echo "$show" | jq -c '[.steps[] | select(.id == "notice") | [.state, ((.note // "") | contains("東京都２３区"))]][0]' | tr -d ' ')" '["done",true]'
expect_eq "the notice for a manual start is skipped" "$(st 1 notice-manual)" skipped
expect_eq "the checks start in parallel" "$(states 1 | jq -c '[.assemble, .safety, ."server-room", .power, .network, .data, .compile, .decide]' | tr -d ' ')" \
    '["ready","ready","ready","ready","ready","ready","blocked","blocked"]'
expect_eq "the anpi RTO clock runs (3h from the plan)" "$(echo "$show" | jq -c '[.systems[] | [.id, .rto_s, .recovered_at]]' | tr -d ' ')" '[["anpi",10800,null]]'
wait_for "the portal probe (http_check) succeeds by itself" 10 step_is 1 portal-probe done

# Another quake a few minutes later: 6弱 in 宮城県 only (the second
# criterion) joins the open incident instead of calling everyone again.
quake "2026/11/20 03:20:00" 宮城県=55 東京都=40
code=$(swh "$T/q.json" msg_eq_2)
expect_resp "震度6弱 elsewhere within the day joins incident 1" "$code" 202 '.incidents' '[1]'
expect_eq "the repeat is on the timeline" "$("$KZ" --json log 1 | jq 'any(.[]; .type == "trigger.repeated")')" true
quake "2026/11/20 04:00:00" 東京都=45 神奈川県=50
code=$(swh "$T/q.json" msg_eq_3)
expect_resp "震度5弱 in 東京都 and 5強 elsewhere meets neither criterion" "$code" 202 '.' '{"accepted":1,"incidents":[]}'

# --- staff assembly ---
expect_eq "it-lead, network and the secretariat: the primaries are called" \
    "$(answers 1 it-lead)/$(answers 1 network)/$(answers 1 secretariat)" '["tanaka:called"]/["matsumoto:called"]/["yamada:called"]'
expect_eq "two operators are called" "$(answers 1 operator)" '["sato:called","ito:called"]'
expect_eq "tanaka's inbox lists the call-out and his steps" "$(as tanaka --json inbox | jq -c '[.[].kind] | unique')" '["callout"]'
act "tanaka: available in 30 minutes" tanaka respond 1 --available --eta 30m
act "ito: cannot come" ito respond 1 --unavailable --note "自宅が被災"
expect_eq "the next operator (yamamoto) is called at once" "$(answers 1 operator)" '["sato:called","ito:unavailable","yamamoto:called"]'
act "sato arrives" sato respond 1 --arrived
act "yamada of the secretariat arrives" yamada respond 1 --arrived
act "yamamoto's answer, phoned in, is entered for him" yamamoto respond 1 --available --eta 45m
act "matsumoto: available" matsumoto respond 1 --available --eta 20m
expect_eq "quota met: the assembly step is done" "$(st 1 assemble)" done
expect_eq "show counts every role" "$("$KZ" --json show 1 | jq -c '.assembly | map_values(.available + .arrived)' | tr -d ' ')" '{"it-lead":1,"operator":2,"network":1,"secretariat":1}'

# --- damage checks ---
act "safety confirmation done" yamada done 1 safety --note "一斉配信 03:25、回答率 64%"
expect_eq "done on the safety step stops the anpi clock" "$("$KZ" --json show 1 | jq '.systems[0].recovered_at != null')" true
act "sato acks the server room" sato ack 1 server-room
act "server room checked" sato done 1 server-room --note "ラック転倒なし、空調正常、電子錠は手動解錠"
act "power checked" yamamoto done 1 power --note "商用電源断、発電機運転中（燃料72時間）"
act "network checked" matsumoto done 1 network --note "庁内LAN正常、DC専用線断（受付番号 A-123）"
expect_eq "compile waits for the data check" "$(st 1 compile)" blocked
act "data checked" sato done 1 data --note "バックアップ 02:00 取得済み"
expect_eq "compile is ready for the secretariat" "$(as yamada --json inbox | jq -c '[.[] | select(.incident == 1) | .step]')" '["compile"]'
act "the secretariat compiles the first report" sasaki done 1 compile --note "人的被害なし"
show=$("$KZ" --json show 1)
expect_eq "the first report is sent with every finding" "$(echo "$show" | jq -c '[.steps[] | select(.id == "first-report") | .note as $n | [.state, all("ラック転倒なし", "発電機運転中", "A-123", "02:00", "回答率 64%", "人的被害なし"; . as $w | $n | contains($w))]][0]' | tr -d ' ')" '["done",true]'

# --- the exception measure ---
expect_eq "the server-room exception is requested" "$(excs 1 | jq -c '[.[] | [.step, .state, (.title | startswith("サーバ室"))]]' | tr -d ' ')" '[["exc-server-room","requested",true]]'
exc=$(exc_id 1 exc-server-room)
expect_rc "an operator may not approve it" 1 as sato exception approve "$exc"
exc_approve 1 exc-server-room kobayashi "登録者同行を条件に承認"
expect_eq "approval finishes the step and the measure is active" "$(st 1 exc-server-room)/$(excs 1 | jq -r '.[0].state')" "done/active"

# --- decisions and reports ---
expect_rc "an operator may not decide" 1 as sato approve 1 decide
act "the deputy decides while tanaka travels" suzuki approve 1 decide --note "本番サイトで運用継続"
act "the CISO reports to the disaster HQ" kobayashi done 1 hq-report --note "10:00 本部会議で報告"
act "tanaka stands the team down" tanaka done 1 stand-down --note "2班交代制、次回参集 翌08:00"
expect_eq "every step is done (the manual notice skipped)" "$(states 1 | jq -c '[to_entries[] | select(.value != "done") | .key] | sort')" '["notice-manual"]'
act "tanaka closes the incident" tanaka close 1 --note "初動対応完了"
expect_eq "closed" "$("$KZ" --json show 1 | jq -r '.state')" closed
expect_eq "the exception outlives the incident" "$(excs open | jq -c '[.[].id]')" "[$exc]"
act "the measure is reverted" tanaka exception resolve "$exc" --reverted --note "登録者のみの入室に戻した"
expect_eq "no exception is left open" "$(excs open | jq 'length')" 0
wait_for "the first report reached the ops channel" 10 grep -q '第一報' "$T/stub.log"
check "the channel got the call-out with a mention" grep -q 'U02TANAKA' "$T/stub.log"

# --- after the close: the second criterion alone starts a new incident ---
quake "2026/11/21 09:00:00" 宮城県=55
code=$(swh "$T/q.json" msg_eq_4)
expect_resp "震度6弱 in 宮城県 alone starts a new incident" "$code" 202 '.incidents' '[2]'
expect_eq "incident 2 is earthquake-assembly" "$("$KZ" --json show 2 | jq -r '.runbook')" earthquake-assembly
act "closed by the owner" tanaka close 2 --note "被害なし"
code=$(swh "$FIX/p2pquake-551-drill.json" msg_eq_5)
expect_resp "a 訓練 report starts a drill" "$code" 202 '.incidents' '[3]'
expect_eq "incident 3 is a drill" "$("$KZ" --json show 3 | jq '.drill')" true
"$KZ" close 3 --force >/dev/null
ship_stop
exit $_failed
