#!/bin/bash
# Issue 8 item 5: the plan's required drills; `plan check` warns when one
# is overdue and the daemon notifies (once) when one falls due.
. "$(dirname "$0")/lib.sh"
SINK_PORT=$(free_port)
cat >"$T/plan.yaml" <<'YAML'
plan: {organization: 〇〇省, scope: 本省, review_every: 1y, last_review: 2026-04-01}
tasks:
  - {id: info, title: 情報発信, rto: 3h}
systems:
  - {id: web, title: ホームページ, kind: business, supports: [info], components: {hardware: 4}}
drills:
  - {type: scenario, every: 1w, last: 2026-11-01}
  - {type: restore, every: 1y, last: 2026-06-01}
  - {type: switchover, every: 1y}
YAML
write_config "plan: plan.yaml
channels:
  ops: {type: webhook, url: \"http://127.0.0.1:$SINK_PORT/ops\", retry: [1s]}"
"$PY" "$KZ_TOP/tests/integration/sink.py" --port "$SINK_PORT" --log "$T/sink.jsonl" --ready "$T/sink.ready" >"$T/sink.log" 2>&1 &
_pids="$_pids $!"
# The test clock stands still, so a failed first attempt would never be
# retried: the sink must be up before the daemon starts.
wait_file "$T/sink.ready"
export KEIZOKU_TEST_CLOCK=2026-11-20T00:00:00Z
start_kzd || exit 1
checkjson=$("$KZ" --json plan check)
expect_eq "plan check warns about the overdue and never-held drills" "$(echo "$checkjson" | jq -c '[.warnings[] | select(.code == "drill-overdue") | .subject] | sort')" '["scenario","switchover"]'
wait_for "the daemon notifies the due drills" 10 sh -c "grep -c plan.drill_due '$T/sink.jsonl' | grep -qx 2"
check "the scenario drill's notice names its due date" sh -c "grep plan.drill_due '$T/sink.jsonl' | grep -q 2026-11-08"
check "the notice is in Japanese too" sh -c "grep plan.drill_due '$T/sink.jsonl' | grep -q シナリオ非提示型訓練"
expect_eq "the notices are in the audit log" "$(sqlite3 "$T/state/keizoku.db" "select count(*) from events where type='plan.drill_due'")" "2"
stop_kzd
start_kzd || exit 1
"$KZ" reload >/dev/null
# A repeat would be queued before the reload answers: once nothing is
# pending, the sink has all there is.
outbox_idle
expect_eq "a restart and a reload do not repeat them" "$(grep -c plan.drill_due "$T/sink.jsonl")" "2"
expect_eq "nor log them again" "$(sqlite3 "$T/state/keizoku.db" "select count(*) from events where type='plan.drill_due'")" "2"
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" "0"
exit $_failed
