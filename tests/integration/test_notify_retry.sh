#!/bin/bash
# Issue 4, item 3: failed deliveries retry on the channel's schedule with
# the same webhook-id and body; 429 and 503 with Retry-After are honoured;
# a hung receiver times out (and holds up no other channel); a receiver
# that never answers 2xx ends dead after max_age, logged, counted, shown;
# an hour's backoff is an hour of the test clock. The schedule follows
# the test clock: deliveries are attempted when
# `_clock --advance` moves past their next_attempt_at (a 1s schedule is
# 0.8-1.2s with its jitter, so 2s steps retry each once). The hung
# receiver's timeout is the HTTP client's, in real time.
. "$(dirname "$0")/lib.sh"
SINK="$KZ_TOP/tests/integration/sink.py"
PORT=$(free_port)
DEAD=$(free_port)	# nothing listens there
"$PY" "$SINK" --port "$PORT" --log "$T/sink.log" --ready "$T/sink.ready" \
    --fail /flaky=2 --r429 /busy=1:3 --r503 /unavail=1:2 --hang /hung=1 \
    --fail /never=100000 --fail /later=1 &
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
  later: {type: webhook, url: \"$U/later\", retry: [1h]}
notify:
  - {channel: flaky, events: [incident.activated]}
  - {channel: busy, events: [incident.activated]}
  - {channel: unavail, events: [incident.activated]}
  - {channel: hung, events: [incident.activated]}
  - {channel: never, events: [incident.activated]}
  - {channel: fine, events: [incident.activated]}
  - {channel: moved, events: [incident.activated]}
  - {channel: later, events: [incident.activated]}"
}
conf "http://127.0.0.1:$DEAD/moved"
cat >"$T/runbooks/r.yaml" <<'YAML'
runbook: r
title: 再送の試験 / Retry test
owner: role:it-lead
steps:
  - {id: s, title: 手順, assign: role:it-lead}
YAML
wait_file "$T/sink.ready"
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z start_kzd || exit 1

# sinkq 'jq filter': over the array of the sink's records; at(PATH) is
# one path's.
sinkq() {
	touch "$T/sink.log"
	jq -rsc 'def at($p): map(select(.path == $p)); '"$1" "$T/sink.log"
}
delivered() { [ "$(sinkq "[at(\"$1\")[].status][-1:] == [200]")" = true ]; }
# nq 'jq filter': over keizoku notifications; ms turns a time into ms.
nq() {
	_f=$1; shift
	"$KZ" --json notifications | jq -rc 'def ms: capture("^(?<s>[^.Z]+)(\\.(?<f>[0-9]+))?Z$") |
	    (.s + "Z" | fromdateiso8601) * 1000 + ((.f // "0") | tonumber); '"$_f" "$@"
}
state_of() { nq "[.[] | select(.channel == \"$1\") | .state][0]"; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
attempts_of() { nq "[.[] | select(.channel == \"$1\") | .attempts][0]"; }
# settled N [CHANNEL...]: every notification (of the channels) has N
# attempts or more, or is delivered.
settled() {
	_n=$1; shift
	[ "$(nq "all(.[] | select(\$ARGS.positional == [] or IN(.channel; \$ARGS.positional[])); .attempts >= $_n or .state == \"delivered\")" --args "$@")" = true ]
}
# wait_ms CH: how long after the test clock's now the channel's next
# attempt is due.
wait_ms() { nq "[.[] | select(.channel == \"$1\") | .next_attempt_at | ms][0] - (\"$(clock_now)\" | ms)"; }
in_jitter() { [ "$1" -ge 800 ] && [ "$1" -le 1200 ]; }

expect_rc "activate" 0 "$KZ" activate r
wait_for "a healthy channel delivers while another hangs" 20 delivered /fine
expect_eq "it took one attempt" "$(sinkq 'at("/fine") | length')" "1"
wait_for "every first attempt has its result" 20 settled 1
check "the hung attempt was given up (timed out) and is pending" \
    test "$(nq '[.[] | select(.channel == "hung") | [.state, .attempts, (.last_error | ascii_downcase | contains("timed out"))]][0]')" = '["pending",1,true]'
# curl says how long it waited: the channel's 1s, not the default 10s.
e=$(nq '[.[] | select(.channel == "hung") | .last_error][0]')
w=$(echo "$e" | sed -n 's/.*timed out after \([0-9]*\) milliseconds.*/\1/p')
check "the hung attempt was given up after the 1s timeout ($e)" test "${w:-0}" -ge 1000 -a "${w:-0}" -lt 10000
w=$(wait_ms flaky)
check "flaky: the next attempt waits the schedule's 1s, with jitter ($w ms)" in_jitter "$w"
w=$(wait_ms never)
check "never: the same ($w ms)" in_jitter "$w"
w=$(wait_ms hung)
check "hung: the same after its timeout ($w ms)" in_jitter "$w"
expect_eq "429 with Retry-After: 3 waits 3s, not the schedule's 1s" "$(wait_ms busy)" 3000
expect_eq "503 with Retry-After: 2 waits 2s" "$(wait_ms unavail)" 2000
w=$(wait_ms later)
check "a 1h schedule waits an hour, with jitter ($w ms)" test "$w" -ge 2880000 -a "$w" -le 4320000
expect_eq "nothing is tried again before the clock moves (moved never reaches the sink)" "$(sinkq 'length')" 7

advance 2s
wait_for "two seconds on: the second attempts have their results" 20 settled 2 flaky unavail hung never moved
wait_for "503 with Retry-After: delivered on the second attempt" 20 delivered /unavail
wait_for "a hung receiver is timed out and tried again" 20 delivered /hung
expect_eq "hung: no answer, then 200" "$(sinkq '[at("/hung")[].status]')" '[0,200]'
expect_eq "busy: not yet (Retry-After: 3)" "$(sinkq '[at("/busy")[].status]')" '[429]'
expect_eq "never: not dead before max_age (4s)" "$(state_of never)" pending
w=$(wait_ms flaky)
check "flaky: the third attempt waits the schedule's second 1s ($w ms)" in_jitter "$w"

advance 2s
wait_for "the flaky receiver gets it on the third attempt" 20 delivered /flaky
expect_eq "flaky: 500, 500, 200" "$(sinkq '[at("/flaky")[].status]')" '[500,500,200]'
expect_eq "every attempt carries the same webhook-id" "$(sinkq '[at("/flaky")[].headers["webhook-id"]] | unique | length')" "1"
expect_eq "every attempt carries the same body" "$(sinkq '[at("/flaky")[].body] | unique | length')" "1"
verify_sigs() {
	"$PY" - "$T/sink.log" "$1" "$FLAKY_SECRET" <<'PY'
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
wait_for "429 with Retry-After: delivered on the second attempt" 20 delivered /busy
expect_eq "busy: 429, then 200" "$(sinkq '[at("/busy")[].status]')" '[429,200]'
wait_for "a receiver that always fails: dead after max_age (4s)" 20 is_state never dead
wait_for "the others have their results" 20 settled 2 busy hung unavail flaky never
out=$("$KZ" --json notifications)
expect_eq "the outbox counts the attempts" \
    "$(echo "$out" | jq -c '[.[] | select(.channel != "never" and .channel != "moved") | [.channel, .state, .attempts]] | sort')" \
    '[["busy","delivered",2],["fine","delivered",1],["flaky","delivered",3],["hung","delivered",2],["later","pending",1],["unavail","delivered",2]]'
# Issue 14: a delivered notification shows no error (last_error null);
# the error of its last failed attempt stays as last_failure.
expect_eq "a delivered one has no last error" "$(echo "$out" | jq -r '.[] | select(.channel == "flaky") | .last_error')" null
expect_eq "the last failure is kept" "$(echo "$out" | jq -r '[.[] | select(.channel == "flaky") | .last_failure][0]')" "HTTP 500: シンク: 失敗 2"
expect_eq "the timeout is named in the failure" \
    "$(echo "$out" | jq '[.[] | select(.channel == "hung") | .last_failure][0] | ascii_downcase | contains("timed out")')" "true"
expect_eq "never: several attempts, all the same webhook-id" \
    "$(sinkq '[(at("/never") | length) >= 3, ([at("/never")[].headers["webhook-id"]] | unique | length)]')" '[true,1]'
n=$(sinkq 'at("/never") | length')
m=$(attempts_of moved)
advance 2s
moved_tried() { [ "$(attempts_of moved)" -gt "$m" ]; }
wait_for "the retries due meanwhile are made (moved, refused again)" 20 moved_tried
expect_eq "a dead notification is not tried again" "$(sinkq 'at("/never") | length')" "$n"
check "the death is logged" grep -q "notification .* to channel never is dead after" "$T/kzd.log"
expect_eq "status counts it" "$("$KZ" --json status | jq '.notifications.dead')" "1"
expect_eq "notifications shows it dead with its error" \
    "$("$KZ" --json notifications | jq -c '[.[] | select(.channel == "never") | [.state, .next_attempt_at, .last_error[:9]]][0]')" \
    '["dead",null,"HTTP 500:"]'

# A channel whose receiver moved: refused until a reload points it at the
# new address, then delivered.
check "the moved receiver is refused meanwhile" sh -c "'$KZ' --json notifications --pending | grep -q moved"
conf "$U/moved"
expect_rc "reload with the new address" 0 "$KZ" reload
advance 2s
wait_for "after the reload, the retry reaches the new address" 20 delivered /moved
expect_eq "an hour's backoff is not over yet" "$(sinkq '[at("/later")[].status]')" '[500]'
advance 2h
wait_for "two hours on, the hour's retry is delivered" 20 delivered /later
none_pending() { [ "$("$KZ" --json notifications --pending | jq 'length')" = 0 ]; }
wait_for "nothing is pending" 20 none_pending
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" "0"
exit $_failed
