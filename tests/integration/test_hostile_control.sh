#!/bin/bash
# Issue 18, item 3: a control client that sends requests and never reads
# the replies cannot grow the daemon (reading its requests stops while
# its replies are unread), whether it is a member pipelining `show` or a
# uid outside the roster collecting 403s; meanwhile the others are
# served; and one uid cannot take every control connection.
. "$(dirname "$0")/lib.sh"
KZA=$KZ_BUILD/tools/kzattack
# Under ASan (make test SANITIZE=1) freed memory waits in a quarantine of
# 256 MiB, which would count as growth below: keep it small here.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"

write_config
cat >"$T/runbooks/r.yaml" <<'YAML'
runbook: r
title: 大きめの手順書 / A runbook with some text
owner: role:it-lead
steps:
  - {id: a, title: "最初の手順 / First step", assign: role:it-lead, note: "手順の説明 / what to do, at some length, so that show is a few KiB"}
  - {id: b, title: "二番目 / Second", needs: [a], assign: role:operator}
  - {id: c, title: "三番目 / Third", needs: [b], assign: role:operator}
YAML
start_kzd || exit 1
as_uid 1101 "$KZ" activate r >/dev/null
rss() { awk '/VmRSS/ {print $2}' "/proc/$KZD_PID/status"; }
r0=$(rss)

# A member (tanaka, uid 1101) pipelines `show 1` for 6 s, reading nothing.
as_uid 1101 "$KZA" ctlflood "$T/keizoku.sock" show 6 '{"incident": "1"}' >"$T/flood1" &
f1=$!
# A uid outside the roster sends `status` and never reads its 403s.
as_uid 1199 "$KZA" ctlflood "$T/keizoku.sock" status 6 >"$T/flood2" &
f2=$!
sleep 3
expect_rc "others are served during the floods" 0 as_uid 1102 "$KZ" show 1
expect_rc "and writes go through" 0 as_uid 1101 "$KZ" ack 1 a
wait $f1 $f2
r1=$(rss)
echo "# member flood: $(cat "$T/flood1"); outsider flood: $(cat "$T/flood2"); RSS ${r0} -> ${r1} KiB"
check "the floods were held back (the daemon stopped reading them)" \
    awk -F'[= ]' '{ if ($2 > 100000) bad = 1 } END { exit bad }' "$T/flood1" "$T/flood2"
check "the daemon did not grow by more than 32 MiB ($(( (r1 - r0) / 1024 )) MiB)" [ $((r1 - r0)) -lt 32768 ]
expect_rc "it answers afterwards" 0 as_uid 1102 "$KZ" status

# One uid holding many control connections: past its share the next is
# refused, saying why; another uid still gets in.
/usr/bin/python3 - "$T/keizoku.sock" >"$T/many" <<'PY' &
import socket, struct, sys, time, json
held = []
refused = None
for i in range(40):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.settimeout(0.05)
    try:
        hdr = s.recv(4)
        if len(hdr) == 4:
            refused = json.loads(s.recv(struct.unpack(">I", hdr)[0]))["body"]["error"]
            break
    except socket.timeout:
        pass
    held.append(s)
print("%d|%s" % (len(held), refused))
sys.stdout.flush()
time.sleep(3)
PY
many=$!
_pids="$_pids $many"
for i in $(seq 100); do [ -s "$T/many" ] && break; sleep 0.1; done
IFS='|' read -r held refused <"$T/many"
check "one uid gets a share of the connections ($held held)" [ "$held" -ge 2 ] && [ "$held" -lt 40 ]
expect_eq "the next is refused with a reason" "$refused" "too many control connections from this user; close some"
expect_rc "another uid is still served" 0 as_uid 1102 "$KZ" status
wait $many
expect_rc "the first uid is served once it let go" 0 "$KZ" status
stop_kzd
expect_eq "keizokud exits 0" "$KZD_RC" 0
