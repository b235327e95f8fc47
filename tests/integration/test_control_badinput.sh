#!/bin/bash
# The control socket refuses malformed frames with a reason, keeps the
# connection usable after a bad frame, and never stops the daemon.
. "$(dirname "$0")/lib.sh"
write_config
start_kzd || exit 1
"$PY" - "$KEIZOKU_SOCKET" >"$T/res" <<'PY'
import json, socket, struct, sys
def frame(b): return struct.pack(">I", len(b)) + b
def read(s):
    h = b""
    while len(h) < 4:
        c = s.recv(4 - len(h))
        if not c: return None
        h += c
    n = struct.unpack(">I", h)[0]; d = b""
    while len(d) < n: d += s.recv(n - len(d))
    return json.loads(d)
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(frame(b'{"v": 1, "cmd": "status",'))
r = read(s); print("badjson", r["status"], "line" in r["body"]["error"])
s.sendall(frame(b'{"v": 99, "cmd": "status"}'))
r = read(s); print("version", r["status"], "version" in r["body"]["error"])
s.sendall(frame(b'{"v": 1, "cmd": "status", "params": []}'))
r = read(s); print("params", r["status"])
s.sendall(frame(b'[1, 2]'))
r = read(s); print("notobject", r["status"])
s.sendall(frame('{"v": 1, "cmd": "nosuch"}'.encode()))
r = read(s); print("unknown", r["status"])
s.sendall(frame(b'{"v": 1, "cmd": "status"}'))
r = read(s); print("after", r["status"], r["body"]["version"])
s2 = socket.socket(socket.AF_UNIX); s2.connect(sys.argv[1])
s2.sendall(struct.pack(">I", 512 * 1024 * 1024) + b"x" * 100)
r = read(s2); print("huge", r["status"] if r else None, read(s2))
PY
expect_eq "malformed JSON: 400 with the position" "$(grep badjson "$T/res")" "badjson 400 True"
expect_eq "another protocol version: 400 saying so" "$(grep version "$T/res")" "version 400 True"
expect_eq "params not an object: 400" "$(grep params "$T/res")" "params 400"
expect_eq "a request that is not an object: 400" "$(grep notobject "$T/res")" "notobject 400"
expect_eq "an unknown command: 404" "$(grep unknown "$T/res")" "unknown 404"
expect_eq "the connection still works after bad frames" "$(grep after "$T/res")" "after 200 0.1.0"
expect_eq "an oversized frame: 413, then the connection is closed" "$(grep huge "$T/res")" "huge 413 None"
expect_rc "the daemon keeps running" 0 "$KZ" status
stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" "0"
exit $_failed
