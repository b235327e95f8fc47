#!/bin/bash
# Issue 4, item 5: action steps run the shipped plugins (exec, http_check,
# webhook) with retry and timeout; failure fails the step (and notifies);
# drills run them dry unless the step says drill: run; a plugin of
# another ABI is refused while the others load; kill -9 while an action
# runs marks it interrupted and re-runs or fails it per the step.
. "$(dirname "$0")/lib.sh"
SINK="$KZ_TOP/tests/integration/sink.py"
PORT=$(free_port)
"$PY" "$SINK" --port "$PORT" --log "$T/sink.log" --ready "$T/sink.ready" \
    --fail /ready=2 --fail /down=100000 --hang /hangcheck=all &
_pids="$_pids $!"
U="http://127.0.0.1:$PORT"

# A private plugin directory: the shipped plugins and one from the future.
mkdir -p "$T/plugins"
cp "$KZ_BUILD"/plugins/*.so "$T/plugins/"
BAD=${KZ_BADABI_SO:-$KZ_BUILD/fixtures/plugins/badabi.so}
if [ -f "$BAD" ]; then cp "$BAD" "$T/plugins/badabi.so"; else
	cc -shared -fPIC -I"$KZ_TOP/plugins" $(pkg-config --cflags jansson) \
	    -o "$T/plugins/badabi.so" "$KZ_TOP/tests/fixtures/plugins/badabi.c"
fi
chmod 755 "$T/plugins" "$T"/plugins/*.so

write_config "channels:
  notes: {type: webhook, url: \"$U/notes\"}
notify:
  - {channel: notes, events: [step.failed]}"
sed -i "s|^plugins: .*|plugins: $T/plugins|" "$T/keizokud.yaml"

rb() {	# rb NAME STEP-YAML: a runbook of one action step "run"
	printf 'runbook: %s\ntitle: 試験 %s\nowner: role:it-lead\nvars: {site: 大阪}\nsteps:\n  - id: run\n    title: 実行 / run\n    type: action\n%s\n' \
	    "$1" "$1" "$2" >"$T/runbooks/$1.yaml"
}
rb exec-ok '    action: exec
    with: {argv: [sh, -c, "echo こんにちは {{vars.site}}"]}
    timeout: 10s'
rb exec-fail '    action: exec
    with: {argv: [sh, -c, "echo 失敗しました; exit 3"]}
    retry: {attempts: 2, backoff: 1s}
    timeout: 10s'
rb exec-timeout '    action: exec
    with: {argv: [sleep, "30"]}
    timeout: 1s'
rb http-ok "    action: http_check
    with: {url: \"$U/ready\", status: 200, interval: 200ms}
    timeout: 10s"
rb http-timeout "    action: http_check
    with: {url: \"$U/down\", interval: 200ms}
    timeout: 2s"
rb http-hang "    action: http_check
    with: {url: \"$U/hangcheck\", interval: 200ms}
    timeout: 2s"
rb hook "    action: webhook
    with: {url: \"$U/act\", body: {site: \"{{vars.site}}\", incident: \"{{incident.id}}\"}}
    timeout: 5s"
cat >"$T/runbooks/drill.yaml" <<YAML
runbook: drill
title: 訓練 / drill
owner: role:it-lead
steps:
  - {id: dry, type: action, action: exec, with: {argv: [touch, "$T/dry-ran"]}, timeout: 5s}
  - {id: real, type: action, action: exec, drill: run, with: {argv: [touch, "$T/real-ran"]}, timeout: 5s}
YAML
rb slow "    action: exec
    with: {argv: [sh, -c, \"if [ -f $T/marker ]; then echo 二回目; exit 0; fi; echo \$\$ >$T/slow.pid; touch $T/marker; sleep 30\"]}
    retry: {attempts: 2}
    timeout: 60s"
rb slow1 "    action: exec
    with: {argv: [sh, -c, \"echo \$\$ >$T/slow1.pid; sleep 30\"]}
    timeout: 60s"
wait_file "$T/sink.ready"
start_kzd || exit 1

status=$("$KZ" --json status)
expect_eq "the wrong-ABI plugin is refused with a reason" \
    "$(echo "$status" | jq 'any(.load_errors[]; contains("badabi.so") and contains("plugin ABI 99.0, this keizokud speaks 1.x"))')" "true"
expect_eq "the shipped plugins load beside it" \
    "$(echo "$status" | jq -c '[.plugins[].action] | sort')" '["exec","http_check","webhook"]'
expect_eq "every runbook loaded" "$("$KZ" --json runbooks | jq 'length')" "10"

# activate RUNBOOK [flags]: prints the incident id.
activate() { "$KZ" --json activate "$@" | jq '.incident'; }
step() { "$KZ" --json show "$1" | jq -r --arg s "${2:-run}" --arg k "$3" '[.steps[] | select(.id == $s)][0][$k]'; }
is_state() { [ "$(step "$1" "$2" state)" = "$3" ]; }
# sinkq 'jq filter': over the array of the sink's records; at(PATH) is
# one path's.
sinkq() {
	touch "$T/sink.log"
	jq -rsc 'def at($p): map(select(.path == $p)); '"$1" "$T/sink.log"
}
# took INC: how long the action ran, by keizokud's own clock (its log's
# action.started and action.failed times, in ms: taken where the events
# are recorded, not at the spawn and the kill, so a few ms either way).
took() {
	"$KZ" --json log "$1" | jq 'def ms: capture("^(?<s>[^.Z]+)(\\.(?<f>[0-9]+))?Z$") |
	    (.s + "Z" | fromdateiso8601) * 1000 + ((.f // "0") | tonumber);
	    ([.[] | select(.type == "action.failed") | .at | ms][0]) -
	    ([.[] | select(.type == "action.started") | .at | ms][0])'
}

i_ok=$(activate exec-ok)
i_fail=$(activate exec-fail)
i_to=$(activate exec-timeout)
i_hok=$(activate http-ok)
i_hto=$(activate http-timeout)
i_hhang=$(activate http-hang)
i_hook=$(activate hook)

wait_for "exec: exit 0 finishes the step" 20 is_state "$i_ok" run done
expect_eq "exec: the output is the step's note" "$(step "$i_ok" run note)" "$(printf 'exit 0\nこんにちは 大阪')"
wait_for "exec: exit 3 fails the step after its 2 attempts" 20 is_state "$i_fail" run failed
expect_eq "exec failure note" "$(step "$i_fail" run note)" "$(printf 'exit 3\n失敗しました')"
expect_eq "two attempts were logged, the second after the backoff" \
    "$("$KZ" --json log "$i_fail" | jq -c '[.[] | select(.type | startswith("action.")) | .type]')" \
    '["action.started","action.failed","action.started","action.failed"]'
# The command sleeps 30s: failing well before proves the kill.
wait_for "exec: the timeout kills the command and fails the step" 20 is_state "$i_to" run failed
el=$(took "$i_to")
check "exec: failed a little after its 1s timeout, by keizokud's clock ($el ms)" \
    test "${el:-0}" -ge 900 -a "${el:-0}" -lt 6000
check "exec: the note says it timed out" sh -c "'$KZ' --json show $i_to | grep -q 'timed out after 1s'"
wait_for "http_check: succeeds once the URL answers 200" 20 is_state "$i_hok" run done
expect_eq "http_check polled until the third answer" "$(sinkq 'at("/ready") | length')" "3"
check "http_check note" sh -c "'$KZ' --json show $i_hok | grep -q 'GET $U/ready -> 200 after 3 polls'"
wait_for "http_check: a URL that keeps failing fails at the step timeout" 20 is_state "$i_hto" run failed
check "http_check timeout note says what was last seen" \
    sh -c "'$KZ' --json show $i_hto | grep -q 'not ready within 2s after [0-9]* polls: last GET $U/down -> 500 (want 200)'"
wait_for "http_check: a hung URL fails at the step timeout" 20 is_state "$i_hhang" run failed
check "http_check hang note" sh -c "'$KZ' --json show $i_hhang | grep -q 'not ready within 2s'"
wait_for "webhook: the request is made and the step done" 20 is_state "$i_hook" run done
expect_eq "webhook: the body was rendered" "$(sinkq '[at("/act")[].body | fromjson]')" \
    "[{\"site\":\"大阪\",\"incident\":\"$i_hook\"}]"
outbox_idle
expect_eq "every failed step was notified" \
    "$(sinkq '[at("/notes")[].body | fromjson | .incident] | sort')" "[$i_fail,$i_to,$i_hto,$i_hhang]"

# Drills: dry unless drill: run.
i_dr=$(activate drill --drill)
wait_for "drill: both steps finish" 20 is_state "$i_dr" real done
expect_eq "drill: the dry step did nothing" "$([ -e "$T/dry-ran" ] && echo ran || echo no)" "no"
expect_eq "drill: drill: run ran for real" "$([ -e "$T/real-ran" ] && echo ran || echo no)" "ran"
expect_eq "drill: the dry step says what it would have done" "$(step "$i_dr" dry note)" "dry run: would run touch $T/dry-ran"
check "drill: the dry step is done too" is_state "$i_dr" dry done

# kill -9 while two actions run: slow may retry, slow1 may not.
i_slow=$(activate slow)
i_slow1=$(activate slow1)
wait_for "the slow actions are running" 20 sh -c "[ -f '$T/slow.pid' ] && [ -f '$T/slow1.pid' ]"
check "their steps are running" is_state "$i_slow" run running
kill9_kzd
kill -9 -- "-$(cat "$T/slow.pid")" "-$(cat "$T/slow1.pid")" 2>/dev/null
start_kzd || exit 1
wait_for "restart: the interrupted action is re-run (attempt 2) and succeeds" 20 is_state "$i_slow" run done
expect_eq "its note is the re-run's" "$(step "$i_slow" run note)" "$(printf 'exit 0\n二回目')"
check "the interruption is in the log" sh -c "'$KZ' --json log $i_slow | grep -q action.interrupted"
wait_for "restart: an interrupted action without retries fails the step" 20 is_state "$i_slow1" run failed
check "its note says it was interrupted" sh -c "'$KZ' --json show $i_slow1 | grep -q 'interrupted'"
running=0
for i in $("$KZ" --json incidents | jq '.[].id'); do
	running=$((running + $("$KZ" --json show "$i" | jq '[.steps[] | select(.state == "running")] | length')))
done
expect_eq "nothing is left running" "$running" "0"
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" "0"

# A clean stop (SIGTERM) while an action runs: the same on restart (and,
# under ASan, the job of the cancelled action is freed at exit).
start_kzd || exit 1
rm -f "$T/slow1.pid"
i_slow2=$(activate slow1)
wait_for "another slow action is running" 20 test -f "$T/slow1.pid"
stop_kzd
expect_eq "SIGTERM with an action in flight exits 0" "$KZD_RC" "0"
check "the stop killed the action's process group" sh -c "! kill -0 $(cat "$T/slow1.pid") 2>/dev/null"
start_kzd || exit 1
wait_for "restart after SIGTERM: the interrupted action fails its step" 20 is_state "$i_slow2" run failed
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" "0"
exit $_failed
