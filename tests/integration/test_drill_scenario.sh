#!/bin/bash
# Issue 8: drills. A scenario drill's injects are revealed in order, only
# when due, and survive a kill -9; drills are marked and kept apart; a
# plugin action in a drill runs dry unless the step says drill: run.
. "$(dirname "$0")/lib.sh"
SINK_PORT=$(free_port)
write_config "channels:
  ops: {type: webhook, url: \"http://127.0.0.1:$SINK_PORT/ops\", retry: [1s]}"
mkdir -p "$T/runbooks/scenarios"
# The dry run must leave no mark in $T (the YAML keeps \$MARK for sh).
cat >"$T/runbooks/quake.yaml" <<YAML
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
    with: {argv: [/bin/sh, -c, "touch \$MARK"], env: {MARK: "$T/drill-mark"}}
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
"$PY" "$KZ_TOP/tests/integration/sink.py" --port "$SINK_PORT" --log "$T/sink.jsonl" \
    --ready "$T/sink.ready" >"$T/sink.log" 2>&1 &
_pids="$_pids $!"
# The test clock stands still: the sink must be up before the daemon
# starts, or the first attempts wait for the next _clock --advance.
wait_file "$T/sink.ready"
expect_rc "keizokud -t reports the broken scenario" 1 "$KZD" -t -c "$T/keizokud.yaml"
grep -q 'broken.yaml:2:10: unknown runbook "nosuch"' "$T/out" && ok "-t names the unknown runbook with its position" || nok "-t output: $(cat "$T/out")"
# The injects follow the test clock (at 1s, 2s and 4s after the start).
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1
expect_eq "drill list shows the valid scenario" "$("$KZ" --json drill list | jq -c '[.scenarios[].id]')" '[null,"night"]'
expect_rc "an unknown scenario exits 1" 1 "$KZ" drill start nosuch
expect_rc "a broken scenario exits 1" 1 "$KZ" drill start broken
out=$("$KZ" --json drill start night)
expect_eq "drill start starts a drill incident" "$(echo "$out" | jq -c '[.incident, .drill, .injects]')" "[1,true,3]"
expect_eq "the scenario's vars and trigger are applied" "$("$KZ" --json show 1 | jq -c '[.drill, .vars.site, .trigger.code]')" '[true,"osaka",551]'
injects() { "$KZ" --json log 1 | jq '[.[] | select(.type == "drill.inject")] | length'; }
expect_eq "no inject is revealed before it is due" "$(injects)" "0"
check "the log does not leak inject texts before they are due" sh -c "! '$KZ' --json log 1 | grep -q 停電"
# The action steps run at once; let them finish before the crash.
step_state() { "$KZ" --json show 1 | jq -r ".steps[$1].state"; }
actions_done() { [ "$("$KZ" --json show 1 | jq -r '[.steps[1:][].state] | unique | join(",")')" = done ]; }
wait_for "the drill's action steps finish" 20 actions_done
advance 1s
expect_eq "the first inject is revealed at 1s, only it" "$(injects)" "1"
kill9_kzd
# Down from 1s to 3s: the inject due at 2s falls due meanwhile.
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:03Z start_kzd || exit 1
expect_eq "after kill -9 the inject due while down is revealed at start" "$(injects)" "2"
advance 1s
expect_eq "the last one at 4s, from the re-armed timer" "$(injects)" "3"
order=$("$KZ" --json log 1 | jq -c '[.[] | select(.type == "drill.inject") | .data.n]')
expect_eq "injects are revealed in order, once each" "$order" "[1,2,3]"
expect_eq "the switch action ran dry in the drill" "$("$KZ" --json show 1 | jq -c '[.steps[1].state, (.steps[1].note | startswith("dry run"))]')" '["done",true]'
check "the dry run did nothing real" test ! -e "$T/drill-mark"
expect_eq "a drill: run step ran for real" "$(step_state 2)" "done"
wait_for "notifications reach the sink" 20 sh -c "grep -q drill.inject '$T/sink.jsonl'"
chk=$(jq -rs '[.[].body | fromjson] as $b |
    ($b | all(.drill == true and (.text | startswith("[訓練 DRILL]")))) as $ok |
    [$b[] | select(.type == "drill.inject")] as $inj |
    if $ok and ($inj | length > 0) and ($inj[0].text | contains("停電"))
    then "ok" else "bad \($b[:3])" end' "$T/sink.jsonl")
expect_eq "every drill notification is marked [訓練 DRILL] and drill: true" "$chk" "ok"
"$KZ" activate quake >/dev/null
expect_eq "incidents shows the drill apart" "$("$KZ" --json incidents | jq -c '[.[] | [.id, .drill]]')" '[[1,true],[2,false]]'
expect_eq "drill list lists the past drill" "$("$KZ" --json drill list | jq -c '[.drills[].id]')" "[1]"
"$KZ" close 1 --force >/dev/null
expect_rc "verify passes" 0 "$KZ" verify
exit $_failed
