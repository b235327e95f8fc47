#!/bin/bash
# Issue 4, item 4: after kill -9 with deliveries pending, a restart
# delivers every one of them. First 1,000 notifications queued while the
# receiver is down; then 1,000 more killed in the middle of delivery. A
# receiver may see a repeat, but only with the same webhook-id and body.
. "$(dirname "$0")/lib.sh"
SINK="$KZ_TOP/tests/integration/sink.py"
PORT=$(free_port)
export BULK_SECRET="whsec_$(printf 'bulk-secret-for-the-crash-test' | base64)"
write_config "channels:
  bulk: {type: webhook, url: \"http://127.0.0.1:$PORT/bulk\", secret: \"env:BULK_SECRET\", retry: [1s], timeout: 5s}
notify:
  - {channel: bulk, events: [step.notify]}"
{
	printf 'runbook: many\ntitle: 一斉連絡 / Broadcast\nowner: role:it-lead\nsteps:\n'
	for i in $(seq 0 99); do
		printf '  - {id: n%d, type: notify, with: {text: "連絡 %d / message %d of #{{incident.id}}"}}\n' "$i" "$i" "$i"
	done
} >"$T/runbooks/many.yaml"
start_sink() {
	rm -f "$T/sink.ready"
	"$PY" "$SINK" --port "$PORT" --log "$T/sink.log" --ready "$T/sink.ready" "$@" &
	SINK_PID=$!
	_pids="$_pids $SINK_PID"
	wait_file "$T/sink.ready"
}
stop_sink() { kill "$SINK_PID" 2>/dev/null; wait "$SINK_PID" 2>/dev/null; }
# check_log N: prints "distinct repeats bad" for the sink's log, where bad
# counts ids seen with two bodies, bodies whose id differs from the
# header, and bad signatures.
check_log() {
	"$PY" - "$T/sink.log" "$BULK_SECRET" <<'PY'
import base64, hashlib, hmac, json, sys
key = base64.b64decode(sys.argv[2][len("whsec_"):])
bodies, n, bad = {}, 0, 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["status"] != 200:
        continue
    n += 1
    h = r["headers"]
    mid = h["webhook-id"]
    if bodies.setdefault(mid, r["body"]) != r["body"] or json.loads(r["body"])["id"] != mid:
        bad += 1
    want = base64.b64encode(hmac.new(key, f"{mid}.{h['webhook-timestamp']}.{r['body']}".encode(), hashlib.sha256).digest()).decode()
    if "v1," + want not in h["webhook-signature"].split(" "):
        bad += 1
print(len(bodies), n - len(bodies), bad)
PY
}
arrived() { [ "$(check_log | cut -d' ' -f1)" -ge "$1" ]; }
# answered N: N answers of 200 or more in the sink's log (a cheap poll).
answered() { [ "$(grep -c '"status": 200' "$T/sink.log" 2>/dev/null)" -ge "$1" ]; }
pending() { "$KZ" --json notifications --pending | jq 'length'; }
failed_once() { [ "$(kz_sql "SELECT count(*) FROM notifications WHERE attempts > 0 AND state = 'pending'")" -gt 0 ]; }
no_pending() { [ "$(pending)" = 0 ]; }

# 1. The receiver is down: 1,000 notifications pile up.
start_kzd || exit 1
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$KZ" activate many >/dev/null || nok "activation $i"
done
expect_eq "1,000 notifications are pending" "$(pending)" "1000"
wait_for "some attempts fail (connection refused) and are rescheduled" 20 failed_once
kill9_kzd
start_sink
start_kzd || exit 1
wait_for "after kill -9 and a restart, all 1,000 arrive" 60 arrived 1000
read -r distinct repeats bad <<EOF
$(check_log)
EOF
expect_eq "1,000 distinct webhook-ids" "$distinct" "1000"
expect_eq "no id with two bodies, every signature valid" "$bad" "0"
wait_for "the outbox shows nothing pending" 10 no_pending
expect_eq "every notification is delivered" \
    "$("$KZ" --json notifications | jq -c '[.[].state] | unique')" '["delivered"]'

# 2. kill -9 in the middle of delivery: the receiver (40 ms a request)
# answers 300 of the second 1,000 and holds the rest without an answer,
# so that the kill comes midway however fast or slow the machine is;
# then a receiver that answers everything.
stop_sink
base=$(grep -c '"status": 200' "$T/sink.log")
start_sink --delay /bulk=40 --hang-after /bulk=300
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$KZ" activate many >/dev/null || nok "activation $((i + 10))"
done
wait_for "300 of the second 1,000 are answered, the rest held" 60 answered $((base + 300))
kill9_kzd
before=$(check_log | cut -d' ' -f1)
check "killed mid-delivery (some but not all of the second 1,000 had arrived: $before)" \
    test "$before" -gt 1000 -a "$before" -lt 2000
stop_sink
start_sink
start_kzd || exit 1
wait_for "after the second kill -9, all 2,000 arrive" 60 arrived 2000
read -r distinct repeats bad <<EOF
$(check_log)
EOF
expect_eq "2,000 distinct webhook-ids" "$distinct" "2000"
expect_eq "repeats carry the same id and body, signatures valid" "$bad" "0"
echo "# repeats seen by the receiver after the kill: $repeats"
wait_for "the outbox shows nothing pending" 10 no_pending
expect_eq "the database agrees: 2,000 delivered" \
    "$("$KZ" --json status | jq '.notifications.delivered')" "2000"
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" "0"
exit $_failed
