#!/bin/bash
# Issue 18, item 10: at-least-once made visible. Each delivery attempt is
# recorded before it is made and its result soon after, so that after a
# kill -9 in the middle of 1,000 Slack deliveries only those that may
# have been in flight are sent again, and each of those says
# "(再送 resend)"; the others arrive exactly once. Actions: one whose
# start was never committed is started after the restart, not called
# interrupted; only those really running can be.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
SINK_PORT=$(free_port)
write_config "channels:
  chat: {type: slack, url: \"http://127.0.0.1:$SINK_PORT/chat\", retry: [1s], timeout: 5s}
notify:
  - {channel: chat, events: [step.notify]}"
$PY - "$T/runbooks/many.yaml" <<'PY'
import sys
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("runbook: many\ntitle: 一斉連絡 / Broadcast\nowner: role:it-lead\nsteps:\n")
    for i in range(100):
        f.write(f"  - {{id: n{i}, type: notify, with: {{text: \"連絡 m{i}-{{{{incident.id}}}}\"}}}}\n")
PY
cat >"$T/runbooks/work.yaml" <<YAML
runbook: work
title: 作業 / Work
owner: role:it-lead
steps:
  - {id: job, type: action, action: exec, with: {argv: [sh, -c, "echo {{incident.id}} >> $T/ran; sleep 2"]}, timeout: 1m}
YAML
$PY "$KZ_TOP/tests/integration/sink.py" --port "$SINK_PORT" --log "$T/sink.log" \
    --ready "$T/sink.ready" --delay /chat=30 &
_pids="$_pids $!"
for i in $(seq 100); do [ -f "$T/sink.ready" ] && break; sleep 0.05; done
touch "$T/sink.log"
start_kzd || exit 1

for i in 1 2 3 4 5 6 7 8 9 10; do "$KZ" activate many >/dev/null || nok "activation $i"; done
arrived() { wc -l <"$T/sink.log"; }
until [ "$(arrived)" -ge 200 ]; do sleep 0.05; done
kill9_kzd
before=$(arrived)
echo "# $before requests had reached the sink at the kill"
start_kzd || exit 1
# tally: "distinct repeats labelled_repeats unlabelled_repeats"
tally() {
	jq -r 'select(.status == 200) | .body | fromjson | .text' "$T/sink.log" | $PY -c '
import sys, collections
seen = collections.defaultdict(list)
for line in sys.stdin:
    line = line.rstrip("\n")
    label = line.startswith("(再送 resend) ")
    seen[line.replace("(再送 resend) ", "", 1)].append(label)
rep = [v for v in seen.values() if len(v) > 1]
print(len(seen), sum(len(v) - 1 for v in rep), sum(1 for v in rep if all(v[1:])), sum(1 for v in rep if not all(v[1:])))'
}
all_in() { [ "$(tally | cut -d' ' -f1)" -ge 1000 ]; }
wait_for "after kill -9 and a restart, all 1,000 arrive" 120 all_in
read -r distinct repeats labelled unlabelled <<EOF
$(tally)
EOF
echo "# distinct $distinct, repeated $repeats (labelled $labelled, unlabelled $unlabelled)"
expect_eq "1,000 distinct messages" "$distinct" 1000
expect_eq "every message sent again says (再送 resend)" "$unlabelled" 0
check "only those that may have been in flight were sent again ($repeats)" [ "$repeats" -le 64 ]
expect_eq "the database agrees: 1,000 delivered" \
    "$("$KZ" --json notifications --limit 10000 | jq '[.[] | select(.state == "delivered")] | length')" 1000

# Actions: 60 incidents, each with an exec of 2 s; kill -9 while they run.
# At most 32 run at once; the others wait with nothing recorded.
: >"$T/ran"
for i in $(seq 60); do "$KZ" activate work >/dev/null || nok "work $i"; done
until [ "$(wc -l <"$T/ran")" -ge 5 ]; do sleep 0.05; done
kill9_kzd
started=$(sort -u "$T/ran" | wc -l)
start_kzd || exit 1
settled() { [ "$(sqlite3 "$T/state/keizoku.db" "SELECT count(*) FROM steps s JOIN incidents i ON i.id = s.incident WHERE i.runbook = 'work' AND s.state IN ('ready', 'running')")" = 0 ]; }
wait_for "after the restart every work step settles" 120 settled
interrupted=$("$KZ" --json log 11 >/dev/null 2>&1; sqlite3 "$T/state/keizoku.db" "SELECT count(*) FROM events WHERE type = 'action.interrupted'")
echo "# $started actions had started at the kill; $interrupted called interrupted"
check "only actions that were running can be called interrupted ($interrupted <= 32)" [ "$interrupted" -le 32 ]
expect_eq "every incident's action ran" "$(sort -u "$T/ran" | wc -l)" 60
stop_kzd
expect_eq "keizokud exits 0" "$KZD_RC" 0
