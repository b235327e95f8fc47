#!/bin/bash
# Issue 18 on the pages (SPEC §14): the board's event streams are bounded
# in number (a quarter of the HTTP connections, four a member) and not
# ended by the request deadline; a board render waits for a client that
# reads nothing instead of piling up; the request deadline runs on the
# test clock.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
export KEIZOKU_WEB_SECRET="test-web-secret-0123456789abcdef"
KZA=$KZ_BUILD/tools/kzattack
PY=/usr/bin/python3
T1=tanaka-api-token-0123456789
T2=sato-api-token-0123456789ab
export KZ_HOOK_TOKEN=tok-web

KZ_HTTP_LISTEN= write_config "http: {listen: \"$KZ_HTTP_LISTEN\", request_timeout: 2s, max_connections: 24}
web: {base_url: \"$URL\", secret: \"env:KEIZOKU_WEB_SECRET\"}
tokens:
  - {member: tanaka, sha256: \"$(sha256 "$T1")\"}
  - {member: sato, sha256: \"$(sha256 "$T2")\"}
sources:
  mon: {format: json, auth: {bearer: \"env:KZ_HOOK_TOKEN\"}}"
sed -i '0,/^http: {listen: ""}$/{/^http: {listen: ""}$/d}' "$T/keizokud.yaml"
# Long step titles: a board of 600 incidents is several MB, more than
# the kernel's socket buffers take in for a client that reads nothing.
long=$(printf '状況を確認する%.0s' $(seq 200))
cat >"$T/runbooks/r.yaml" <<YAML
runbook: r
title: 監視 / Monitoring
owner: role:it-lead
activation:
  - {source: mon, match: {alert: {exists: true}}, key: "{{trigger.alert}}"}
steps:
  - {id: look, title: "確認 $long", assign: role:it-lead}
  - {id: fix, title: "復旧 $long", assign: role:operator, needs: [look]}
YAML
KEIZOKU_TEST_CLOCK=2026-11-20T03:00:00Z start_kzd || exit 1

# stream NAME TOKEN: a board event stream in the background, into $T/NAME.
stream() {
	curl -s -N -m 120 -H "Authorization: Bearer $2" -D "$T/$1.hdr" \
	    -o "$T/$1" "$URL/board/events" &
	eval "pid_$1=$!"
	_pids="$_pids $!"
}
started() { grep -q '^retry: 2000' "$T/$1" 2>/dev/null; }
changed() { grep -q '^event: change' "$T/$1" 2>/dev/null; }
alive() { kill -0 "$(eval echo "\$pid_$1")" 2>/dev/null; }

# --- bounded in number: 24 connections, so 6 streams; 4 a member ---
for s in a1 a2 a3 a4; do stream $s "$T1"; done
for s in a1 a2 a3 a4; do wait_for "tanaka's stream $s is open" 20 started $s; done
st=$(curl -s -o "$T/page" -D "$T/hdr" -w '%{http_code}' -H "Authorization: Bearer $T1" "$URL/board/events")
expect_eq "tanaka's fifth stream is refused: 503" "$st" 503
check "with Retry-After" grep -qi '^Retry-After: 30' "$T/hdr"
check "and a page saying why" grep -q 'too many live boards open by this member' "$T/page"
stream b1 "$T2"; stream b2 "$T2"
wait_for "sato's two streams open (six in all)" 20 started b1
wait_for "  (the second too)" 20 started b2
st=$(curl -s -o "$T/page" -w '%{http_code}' -H "Authorization: Bearer $T2" "$URL/board/events")
expect_eq "a seventh stream is refused: 503" "$st" 503
check "the board is full, it says" grep -q 'too many live boards open; try again later' "$T/page"
expect_eq "the API still answers beside six streams" \
    "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" 200
expect_eq "and the board itself" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T2" "$URL/board")" 200

# --- the request deadline (2 s, on the test clock) is not a stream's ---
# A client trickling a request head, a header line every 100 ms.
$PY - "$HTTP_PORT" "$T/trickle.ready" >"$T/trickle" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
s.settimeout(0.1)
open(sys.argv[2], "w").close()
n = 0
t = time.time()
while time.time() - t < 60:
    try:
        s.sendall(b"X-a: b\r\n")
        n += 1
        if s.recv(4096) == b"":
            print("cut after %d lines" % n)
            sys.exit(0)
    except socket.timeout:
        continue
    except OSError:
        print("cut after %d lines" % n)
        sys.exit(0)
print("never cut")
PY
tr=$!
_pids="$_pids $tr"
ready() { [ -f "$T/trickle.ready" ]; }
wait_for "the trickling client is connected" 20 ready
expect_rc "the test clock moves 1 s" 0 "$KZ" _clock --advance 1s
check "the trickling client is still connected (1 s of 2 s)" kill -0 "$tr"
expect_rc "the test clock moves 1 more second" 0 "$KZ" _clock --advance 1s
wait "$tr"
check "at the deadline its request is cut ($(cat "$T/trickle"))" grep -q '^cut after' "$T/trickle"
expect_rc "an hour passes on the test clock" 0 "$KZ" _clock --advance 1h
for s in a1 a2 a3 a4 b1 b2; do check "stream $s is still open after the deadline" alive $s; done
expect_eq "an alert" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KZ_HOOK_TOKEN" \
    -H 'Content-Type: application/json' --data '{"alert": "x1"}' "$URL/v1/hooks/mon")" 202
for s in a1 a2 a3 a4 b1 b2; do wait_for "stream $s hears of the change" 20 changed $s; done
kill $pid_a1 $pid_a2 2>/dev/null
wait $pid_a1 $pid_a2 2>/dev/null
stats() { curl -s -H "Authorization: Bearer $T1" "$URL/board/stats"; }
freed() { [ "$(stats | jq .clients)" = 4 ]; }
wait_for "streams whose clients left are freed" 20 freed
stream a5 "$T1"
wait_for "then tanaka may open another" 20 started a5
expect_eq "the refusals were counted" "$(stats | jq .streams_refused)" 2

# --- a board render for a client that reads nothing waits ---
"$KZA" burst "$HTTP_PORT" /v1/hooks/mon "$KZ_HOOK_TOKEN" 600 8 >"$T/burst"
expect_eq "600 more incidents" "$(sql "SELECT count(*) FROM incidents")" 601
r0=$(stats | jq .renders)
$PY - "$HTTP_PORT" "$T1" "$T/silent.ready" >"$T/silent" 2>&1 <<'PY' &
import socket, sys, time
socks = []
for i in range(3):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.sendall(("GET /board HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % sys.argv[2]).encode())
    socks.append(s)
open(sys.argv[3], "w").close()
time.sleep(60)
PY
silent=$!
_pids="$_pids $silent"
waiting() { [ "$(stats | jq .render_waits)" -gt 0 ]; }
wait_for "the renders for silent readers wait for them to read" 30 waiting
expect_eq "none of them is finished" "$(stats | jq .renders)" "$r0"
rss() { awk '/VmRSS/ {print $2}' "/proc/$KZD_PID/status"; }
echo "# board: $(stats | jq -c '{renders, render_waits, max_slice_us}'); keizokud RSS $(rss) KiB"
expect_eq "the board answers others meanwhile" \
    "$(curl -s -o "$T/board.html" -w '%{http_code}' -H "Authorization: Bearer $T2" "$URL/board")" 200
echo "# burst: $(cat "$T/burst"); board $(wc -c <"$T/board.html") bytes: $(grep -o '発動中 [0-9]* 件' "$T/board.html")"
check "whole (600 open incidents)" grep -q '発動中 601 件' "$T/board.html"
kill "$silent"; wait "$silent" 2>/dev/null
expect_eq "once the silent readers left, the daemon goes on" \
    "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" 200
kill $pid_a3 $pid_a4 $pid_a5 $pid_b1 $pid_b2 2>/dev/null
stop_clean
