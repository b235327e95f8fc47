#!/bin/bash
# Issue 3, items 1 and 6: bad input gets its status (400 with the
# position, 404, 405, 413, 415), leaves nothing behind and never stops the
# daemon; header size and request time are bounded.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
FIX=$KZ_TOP/tests/fixtures/hooks

TOKEN="tok-鈴木"
write_config "http: {listen: \"$KZ_HTTP_LISTEN\", max_body: 4KiB, timeout: 2s}
tokens:
  - {member: suzuki, sha256: \"$(sha256 "$TOKEN")\"}
sources:
  am:
    format: alertmanager
    auth: {none: true}
  quake:
    format: p2pquake
    auth: {none: true}
  any:
    format: json
    auth: {none: true}"
# write_config wrote an http: line of its own; keep the last one only.
sed -i '0,/^http:/{/^http:/d}' "$T/keizokud.yaml"
cat >"$T/runbooks/any.yaml" <<'YAML'
runbook: any
title: 何でも / Anything
owner: role:it-lead
activation:
  - {source: any, match: {event: {exists: true}}}
  - {source: am, match: {labels.alertname: {exists: true}}}
steps:
  - {id: look, title: 確認, assign: role:it-lead}
YAML
start_kzd || exit 1
AUTH="Authorization: Bearer $TOKEN"
nothing() { expect_eq "$1: nothing written" "$(sql "SELECT (SELECT count(*) FROM incidents) || '/' || (SELECT count(*) FROM triggers) || '/' || (SELECT count(*) FROM events)")" "0/0/0"; }
alive() { st=$(get /healthz); expect_resp "$1: keizokud still answers" "$st" 200; }

printf '{"event": "x", "site": ' >"$T/trunc.json"
st=$(post /v1/hooks/any "$T/trunc.json")
expect_resp "malformed JSON is 400" "$st" 400
check "the error gives the position" grep -q 'invalid JSON at line 1 column [0-9]' "$T/resp"
printf '{"event": "a",\n "event": "b"}' >"$T/dup.json"
st=$(post /v1/hooks/any "$T/dup.json")
expect_resp "duplicate keys are 400" "$st" 400
check "naming line 2" grep -q 'line 2' "$T/resp"
printf '{"event": "\xff\xfe"}' >"$T/latin.json"
st=$(post /v1/hooks/any "$T/latin.json")
expect_resp "invalid UTF-8 is 400" "$st" 400
printf '[1, 2]' >"$T/array.json"
st=$(post /v1/hooks/any "$T/array.json")
expect_resp "a top-level array for format json is 400" "$st" 400
nothing "malformed bodies"

st=$(CT=text/plain post /v1/hooks/any "$FIX/json-generic.json")
expect_resp "text/plain is 415" "$st" 415
st=$(CT=application/x-www-form-urlencoded post /v1/hooks/any "$FIX/json-generic.json")
expect_resp "a form is 415" "$st" 415
st=$(CT='application/json; charset=Shift_JIS' post /v1/hooks/any "$FIX/json-generic.json")
expect_resp "JSON in Shift_JIS is 415" "$st" 415
st=$(curl -s -o "$T/resp" -w '%{http_code}' --data-binary @"$FIX/json-generic.json" -H 'Content-Type:' "$URL/v1/hooks/any")
expect_resp "no content type is 415" "$st" 415
st=$(CT='Application/JSON; charset="utf-8"' post /v1/hooks/any "$T/array.json")
expect_resp "application/json with a UTF-8 charset is accepted (then 400 for the array)" "$st" 400
nothing "wrong content types"

head -c 8192 /dev/zero | tr '\0' ' ' >"$T/big.json"
printf '{}' >>"$T/big.json"
st=$(post /v1/hooks/any "$T/big.json")
expect_resp "a body over max_body (4 KiB) is 413" "$st" 413
st=$(post /v1/hooks/any "$T/big.json" -H 'Transfer-Encoding: chunked')
expect_resp "a chunked body over max_body is 413" "$st" 413
alive "after 413"
nothing "oversized bodies"

st=$(post /v1/hooks/nosuch "$FIX/json-generic.json")
expect_resp "an unknown source is 404" "$st" 404 '.error' 'no source "nosuch" is configured'
st=$(post /v1/hooks/%E6%9D%B1%E4%BA%AC "$FIX/json-generic.json")
expect_resp "an unknown Japanese source name is 404" "$st" 404 '.error' 'no source "東京" is configured'
st=$(post /v1/hooks/%ff "$FIX/json-generic.json")
expect_resp "a source name that is not UTF-8 is 400" "$st" 400
st=$(get /v1/hooks/any)
expect_resp "GET on a hook is 405" "$st" 405
check "with an Allow header" sh -c "curl -s -D - -o /dev/null '$URL/v1/hooks/any' | grep -qi '^allow: POST'"
st=$(get /nosuch)
expect_resp "an unknown path is 404 JSON" "$st" 404 '.error' 'no such endpoint: /nosuch'

echo '{"version": "4", "status": "firing"}' >"$T/noalerts.json"
st=$(post /v1/hooks/am "$T/noalerts.json")
expect_resp "alertmanager without alerts is 400 saying what is missing" "$st" 400 '.error' 'alertmanager: missing "alerts" array'
echo '{"alerts": [{"status": "firing"}]}' >"$T/nolabels.json"
st=$(post /v1/hooks/am "$T/nolabels.json")
expect_resp "an alert without labels is 400" "$st" 400 '.error' 'alertmanager: alerts[0] without "labels" object'
echo '{"alerts": [{"status": "firing", "labels": {"alertname": "A"}}, {"labels": {}}]}' >"$T/half.json"
st=$(post /v1/hooks/am "$T/half.json")
expect_resp "one bad alert refuses the whole request" "$st" 400 '.error' 'alertmanager: alerts[1] without "status" string'
echo '{"time": "2026/11/20 03:15:42"}' >"$T/nocode.json"
st=$(post /v1/hooks/quake "$T/nocode.json")
expect_resp "p2pquake without code is 400" "$st" 400 '.error' 'p2pquake: missing "code" integer'
echo '{"code": 551, "issue": {}}' >"$T/noeq.json"
st=$(post /v1/hooks/quake "$T/noeq.json")
expect_resp "p2pquake 551 without earthquake is 400" "$st" 400
nothing "bodies of the wrong format"

# Bounds on the connection itself.
st=$(curl -s -o "$T/resp" -w '%{http_code}' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$URL/healthz")
case "$st" in 4*|000) ok "a 20 KB header is refused ($st)" ;; *) nok "a 20 KB header: HTTP $st" ;; esac
"$PY" - "$HTTP_PORT" >"$T/slow" 2>&1 <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /v1/hooks/any HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
t = time.time()
s.settimeout(10)
try:
    while s.recv(4096):
        pass
except socket.timeout:
    print("still open after 10s")
    sys.exit(1)
print("closed after %.1fs" % (time.time() - t))
PY
check "a client that stalls is dropped after http.timeout ($(cat "$T/slow"))" grep -q '^closed after [1-4]\.' "$T/slow"
"$PY" - "$HTTP_PORT" <<'PY'
import os, socket, sys
for junk in [b"\x00\x01\x02garbage\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
             b"POST /v1/hooks/any HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
             os.urandom(4096)]:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(junk)
    s.settimeout(5)
    try:
        s.recv(4096)
    except OSError:
        pass
    s.close()
PY
alive "after garbage on the socket"

# REST input.
st=$(get /v1/incidents)
expect_resp "REST without a token is 401" "$st" 401
check "with WWW-Authenticate: Bearer" sh -c "curl -s -D - -o /dev/null '$URL/v1/incidents' | grep -qi '^www-authenticate: Bearer'"
st=$(get /v1/incidents -H "Authorization: Bearer nope")
expect_resp "REST with a bad token is 401" "$st" 401 '.error' 'bad bearer token'
st=$(post /v1/incidents "$T/trunc.json" -H "$AUTH")
expect_resp "REST: malformed JSON is 400 with the position" "$st" 400
check "REST error names line and column" grep -q 'line 1 column' "$T/resp"
echo '{"runbook": "any"}' >"$T/act.json"
st=$(CT=text/plain post /v1/incidents "$T/act.json" -H "$AUTH")
expect_resp "REST: a body that is not JSON-typed is 415" "$st" 415
st=$(post /v1/incidents "$T/array.json" -H "$AUTH")
expect_resp "REST: a body that is not an object is 400" "$st" 400
st=$(get /v1/incidents/abc -H "$AUTH")
expect_resp "REST: a non-numeric incident is 400" "$st" 400
st=$(get /v1/incidents/99 -H "$AUTH")
expect_resp "REST: an unknown incident is 404" "$st" 404 '.error' 'no incident 99'
st=$(curl -s -o "$T/resp" -w '%{http_code}' -X DELETE -H "$AUTH" "$URL/v1/incidents")
expect_resp "REST: DELETE is 405" "$st" 405
nothing "bad REST requests"

# A sender that hangs up before its reply: the request is done all the
# same (or not at all), and nothing touches the closed connection.
"$PY" - "$HTTP_PORT" "$KZ_TOP/tests/fixtures/hooks/json-generic.json" <<'PY'
import socket, sys
body = open(sys.argv[2], "rb").read()
for i in range(20):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"POST /v1/hooks/any HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
              % len(body) + body)
    s.close()
PY
alive "after senders hung up"
wait_for "their triggers were committed whole" 5 sh -c "[ \"\$(sqlite3 '$T/state/keizoku.db' 'SELECT count(*) FROM triggers')\" = 20 ]"
expect_eq "as one incident" "$(sql "SELECT count(*) FROM incidents")" 1
jq -nc '{event: "x", pad: ("あ" * 1000)}' >"$T/near.json"
st=$(post /v1/hooks/any "$T/near.json" -H 'Expect: 100-continue')
expect_resp "a body just under max_body, sent after 100-continue, is accepted" "$st" 202 '.accepted' 1
alive "at the end"
# Stopping with a client in the middle of a request and another idle on
# keep-alive: both connections are closed and freed.
"$PY" - "$HTTP_PORT" "$T/clients.ready" <<'PY' &
import socket, sys, time
a = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
a.sendall(b"POST /v1/hooks/any HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{")
b = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
b.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
b.recv(4096)
open(sys.argv[2], "w").write("ready\n")
time.sleep(30)
PY
_pids="$_pids $!"
wait_file "$T/clients.ready"
stop_clean
exit $_failed
