#!/bin/bash
# Issue 8: drills. A scenario drill's injects are revealed in order, only
# when due, and survive a kill -9; drills are marked and kept apart; a
# plugin action in a drill runs dry unless the step says drill: run.
. "$(dirname "$0")/lib.sh"
SINK_PORT=$(free_port)
write_config "channels:
  ops: {type: webhook, url: \"http://127.0.0.1:$SINK_PORT/ops\", retry: [1s]}"
mkdir -p "$T/runbooks/scenarios"
cat >"$T/runbooks/quake.yaml" <<'YAML'
runbook: quake
title: 地震 / Earthquake
owner: role:it-lead
vars: {site: hq}
steps:
  - id: check
    title: 被害確認 / Damage check
    assign: role:operator
  - id: switch
    title: 切替 / Switch
    type: action
    action: exec
    with: {argv: [/bin/sh, -c, "touch $MARK"], env: {MARK: "/tmp/kz-drill-mark"}}
  - id: real
    title: 本当に実行 / Really run
    type: action
    action: exec
    drill: run
    with: {argv: [/bin/true]}
YAML
cat >"$T/runbooks/scenarios/night.yaml" <<'YAML'
scenario: night
title: 夜間の首都直下地震 / Night-time quake
runbook: quake
vars: {site: osaka}
trigger: {code: 551, earthquake: {maxScale: 60}}
injects:
  - {at: 1s, text: "本庁舎が停電しました / The main building lost power", to: role:it-lead}
  - {at: 2s, text: "非常用発電機の燃料は残り6時間 / Six hours of generator fuel left"}
  - {at: 4s, text: "第三報 / Third inject"}
YAML
cat >"$T/runbooks/scenarios/broken.yaml" <<'YAML'
scenario: broken
runbook: nosuch
injects: [{at: soon, text: x}]
YAML
python3 "$KZ_TOP/tests/integration/sink.py" --port "$SINK_PORT" --log "$T/sink.jsonl" >"$T/sink.log" 2>&1 &
_pids="$_pids $!"
rm -f /tmp/kz-drill-mark
expect_rc "keizokud -t reports the broken scenario" 1 "$KZD" -t -c "$T/keizokud.yaml"
grep -q 'broken.yaml:2:10: unknown runbook "nosuch"' "$T/out" && ok "-t names the unknown runbook with its position" || nok "-t output: $(cat "$T/out")"
start_kzd || exit 1
expect_eq "drill list shows the valid scenario" "$("$KZ" --json drill list | jget '[s.get("id") for s in d["scenarios"]]' | tr -d ' ')" '[null,"night"]'
expect_rc "an unknown scenario exits 1" 1 "$KZ" drill start nosuch
expect_rc "a broken scenario exits 1" 1 "$KZ" drill start broken
out=$("$KZ" --json drill start night)
expect_eq "drill start starts a drill incident" "$(echo "$out" | jget '[d["incident"], d["drill"], d["injects"]]' | tr -d ' ')" "[1,true,3]"
expect_eq "the scenario's vars and trigger are applied" "$("$KZ" --json show 1 | jget '[d["drill"], d["vars"]["site"], d["trigger"]["code"]]' | tr -d ' ')" '[true,"osaka",551]'
injects() { "$KZ" --json log 1 | jget 'len([e for e in d if e["type"]=="drill.inject"])'; }
expect_eq "no inject is revealed before it is due" "$(injects)" "0"
check "the log does not leak inject texts before they are due" sh -c "! '$KZ' --json log 1 | grep -q 停電"
wait_for "the first inject is revealed at 1s" 5 sh -c "[ \$('$KZ' --json log 1 | grep -c drill.inject) -ge 1 ]"
kill9_kzd
sleep 2.5
start_kzd || exit 1
wait_for "after kill -9 the remaining injects are revealed" 8 sh -c "[ \$('$KZ' --json log 1 | grep -c '\"drill.inject\"') -ge 3 ]"
order=$("$KZ" --json log 1 | jget '[e["data"]["n"] for e in d if e["type"]=="drill.inject"]' | tr -d ' ')
expect_eq "injects are revealed in order, once each" "$order" "[1,2,3]"
expect_eq "the switch action ran dry in the drill" "$("$KZ" --json show 1 | jget '[d["steps"][1]["state"], d["steps"][1]["note"].startswith("dry run")]' | tr -d ' ')" '["done",true]'
check "the dry run did nothing real" test ! -e /tmp/kz-drill-mark
expect_eq "a drill: run step ran for real" "$("$KZ" --json show 1 | jget 'd["steps"][2]["state"]')" "done"
wait_for "notifications reach the sink" 10 sh -c "grep -q drill.inject '$T/sink.jsonl'"
python3 - "$T/sink.jsonl" >"$T/chk" <<'PY'
import json, sys
bodies = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]
ok = all(b["drill"] is True and b["text"].startswith("[訓練 DRILL]") for b in bodies)
inj = [b for b in bodies if b["type"] == "drill.inject"]
print("ok" if ok and inj and "停電" in inj[0]["text"] else "bad %r" % bodies[:3])
PY
expect_eq "every drill notification is marked [訓練 DRILL] and drill: true" "$(cat "$T/chk")" "ok"
"$KZ" activate quake >/dev/null
expect_eq "incidents shows the drill apart" "$("$KZ" --json incidents | jget '[(i["id"], i["drill"]) for i in d]' | tr -d ' ')" '[[1,true],[2,false]]'
expect_eq "drill list lists the past drill" "$("$KZ" --json drill list | jget '[i["id"] for i in d["drills"]]' | tr -d ' ')" "[1]"
"$KZ" close 1 >/dev/null
expect_rc "verify passes" 0 "$KZ" verify
rm -f /tmp/kz-drill-mark
exit $_failed
