#!/bin/bash
# Issue 4, item 3: failed deliveries retry on the channel's schedule with
# the same webhook-id and body; 429 and 503 with Retry-After are honoured;
# a hung receiver times out (and holds up no other channel); a receiver
# that never answers 2xx ends dead after max_age, logged, counted, shown.
. "$(dirname "$0")/lib.sh"
SINK="$KZ_TOP/tests/integration/sink.py"
PORT=$(free_port)
DEAD=$(free_port)	# nothing listens there
python3 "$SINK" --port "$PORT" --log "$T/sink.log" --ready "$T/sink.ready" \
    --fail /flaky=2 --r429 /busy=1:3 --r503 /unavail=1:2 --hang /hung=1 \
    --fail /never=100000 &
_pids="$_pids $!"
export FLAKY_SECRET="whsec_$(printf 'flaky-secret-for-tests' | base64)"
U="http://127.0.0.1:$PORT"
conf() {	# conf URL-OF-MOVED
write_config "channels:
  flaky: {type: webhook, url: \"$U/flaky\", secret: \"env:FLAKY_SECRET\", retry: [1s, 1s], timeout: 2s}
  busy: {type: webhook, url: \"$U/busy\", retry: [1s], timeout: 2s}
  unavail: {type: slack, url: \"$U/unavail\", retry: [1s], timeout: 2s}
  hung: {type: webhook, url: \"$U/hung\", retry: [1s], timeout: 1s}
  never: {type: webhook, url: \"$U/never\", retry: [1s], timeout: 1s, max_age: 4s}
  fine: {type: slack, url: \"$U/fine\"}
  moved: {type: slack, url: \"$1\", retry: [1s], timeout: 1s}
notify:
  - {channel: flaky, events: [incident.activated]}
  - {channel: busy, events: [incident.activated]}
  - {channel: unavail, events: [incident.activated]}
  - {channel: hung, events: [incident.activated]}
  - {channel: never, events: [incident.activated]}
  - {channel: fine, events: [incident.activated]}
  - {channel: moved, events: [incident.activated]}"
}
conf "http://127.0.0.1:$DEAD/moved"
cat >"$T/runbooks/r.yaml" <<'YAML'
runbook: r
title: 再送の試験 / Retry test
owner: role:it-lead
steps:
  - {id: s, title: 手順, assign: role:it-lead}
YAML
_i=0; while [ ! -f "$T/sink.ready" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
start_kzd || exit 1

# sinkq 'expr': recs = the sink's log records; at(path) = that path's.
sinkq() {
	python3 - "$T/sink.log" "$1" <<'PY'
import json, os, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")] if os.path.exists(sys.argv[1]) else []
at = lambda p: [r for r in recs if r["path"] == p]
gaps = lambda p: [round(b["t"] - a["t"], 1) for a, b in zip(at(p), at(p)[1:])]
v = eval(sys.argv[2])
print(json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list, bool)) or v is None else v)
PY
}
delivered() { [ "$(sinkq "[r['status'] for r in at('$1')][-1:] == [200]")" = true ]; }
state_of() {
	"$KZ" --json notifications | python3 -c "import json,sys; d=json.load(sys.stdin); print([n['state'] for n in d if n['channel']=='$1'][0])"
}
is_state() { [ "$(state_of "$1")" = "$2" ]; }

t0=$(date +%s.%N)
expect_rc "activate" 0 "$KZ" activate r
wait_for "a healthy channel delivers while another hangs" 3 delivered /fine
expect_eq "it took one attempt" "$(sinkq 'len(at("/fine"))')" "1"
wait_for "the flaky receiver gets it on the third attempt" 15 delivered /flaky
expect_eq "flaky: 500, 500, 200" "$(sinkq '[r["status"] for r in at("/flaky")]' | tr -d ' ')" '[500,500,200]'
expect_eq "every attempt carries the same webhook-id" "$(sinkq 'len(set(r["headers"]["webhook-id"] for r in at("/flaky")))')" "1"
expect_eq "every attempt carries the same body" "$(sinkq 'len(set(r["body"] for r in at("/flaky")))')" "1"
check "retries wait about the schedule's 1s (with jitter)" \
    test "$(sinkq 'all(0.7 <= g <= 2.5 for g in gaps("/flaky"))')" = true
verify_sigs() {
	python3 - "$T/sink.log" "$1" "$FLAKY_SECRET" <<'PY'
import base64, hashlib, hmac, json, sys
log, path, sec = sys.argv[1:4]
key = base64.b64decode(sec[len("whsec_"):])
seen = 0
for line in open(log, encoding="utf-8"):
    r = json.loads(line)
    if r["path"] != path:
        continue
    h = r["headers"]
    msg = f"{h['webhook-id']}.{h['webhook-timestamp']}.{r['body']}".encode()
    want = base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()
    assert "v1," + want in h["webhook-signature"].split(" ")
    seen += 1
assert seen == 3
PY
}
check "each attempt is signed afresh and verifies" verify_sigs /flaky

wait_for "429 with Retry-After: delivered on the second attempt" 15 delivered /busy
expect_eq "busy: 429, then 200" "$(sinkq '[r["status"] for r in at("/busy")]' | tr -d ' ')" '[429,200]'
check "the retry waited Retry-After's 3s, not the schedule's 1s" \
    test "$(sinkq 'gaps("/busy")[0] >= 2.9')" = true
wait_for "503 with Retry-After: delivered on the second attempt" 15 delivered /unavail
check "the retry waited Retry-After's 2s" test "$(sinkq 'gaps("/unavail")[0] >= 1.9')" = true

wait_for "a hung receiver is timed out and tried again" 15 delivered /hung
expect_eq "hung: no answer, then 200" "$(sinkq '[r["status"] for r in at("/hung")]' | tr -d ' ')" '[0,200]'
check "the hung attempt was given up after the 1s timeout" \
    test "$(sinkq '1.5 <= gaps("/hung")[0] <= 4')" = true
sleep 0.5	# results are written in batches
out=$("$KZ" --json notifications)
expect_eq "the outbox counts the attempts" \
    "$(echo "$out" | jget 'sorted((n["channel"], n["state"], n["attempts"]) for n in d if n["channel"] not in ("never", "moved"))' | tr -d ' ')" \
    '[["busy","delivered",2],["fine","delivered",1],["flaky","delivered",3],["hung","delivered",2],["unavail","delivered",2]]'
expect_eq "the last error is kept" "$(echo "$out" | jget '[n["last_error"] for n in d if n["channel"]=="flaky"][0]')" "HTTP 500: シンク: 失敗 2"
expect_eq "the timeout is named in the error" \
    "$(echo "$out" | jget '"timed out" in [n["last_error"] for n in d if n["channel"]=="hung"][0].lower()')" "true"

wait_for "a receiver that always fails: dead after max_age" 15 is_state never dead
elapsed=$(python3 -c "import time; print(round(time.time() - $t0, 1))")
check "dead after max_age (4s), not before" test "$(python3 -c "print(4 <= $elapsed <= 12)")" = True
expect_eq "never: several attempts, all the same webhook-id" \
    "$(sinkq '[len(at("/never")) >= 3, len(set(r["headers"]["webhook-id"] for r in at("/never")))]' | tr -d ' ')" '[true,1]'
n=$(sinkq 'len(at("/never"))')
sleep 2
expect_eq "a dead notification is not tried again" "$(sinkq 'len(at("/never"))')" "$n"
check "the death is logged" grep -q "notification .* to channel never is dead after" "$T/kzd.log"
expect_eq "status counts it" "$("$KZ" --json status | jget 'd["notifications"].get("dead")')" "1"
expect_eq "notifications shows it dead with its error" \
    "$("$KZ" --json notifications | jget '[[n["state"], n["next_attempt_at"], n["last_error"][:9]] for n in d if n["channel"]=="never"][0]')" \
    '["dead", null, "HTTP 500:"]'

# A channel whose receiver moved: refused until a reload points it at the
# new address, then delivered.
check "the moved receiver is refused meanwhile" sh -c "'$KZ' --json notifications --pending | grep -q moved"
conf "$U/moved"
expect_rc "reload with the new address" 0 "$KZ" reload
wait_for "after the reload, the retry reaches the new address" 10 delivered /moved
none_pending() { [ "$("$KZ" --json notifications --pending | jget 'len(d)')" = 0 ]; }
wait_for "nothing is pending" 5 none_pending
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" "0"
exit $_failed
