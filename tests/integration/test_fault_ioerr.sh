#!/bin/bash
# Issue 9, item 2: injected I/O errors. An LD_PRELOAD shim
# (tests/fault/ioshim.c) makes writes and syncs under the state dir fail
# with EIO or ENOSPC while a control file exists. keizokud must answer
# 503 (CLI: exit 1, "storage unavailable"), acknowledge nothing it did
# not commit, keep serving reads, not spin on what it cannot write, and
# recover by itself when the fault clears; after a restart only the
# acknowledged changes are there.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
. "$KZ_TOP/tests/fault/lib-fault.sh"

SHIM=$(fault_shim) || { nok "ioshim.so builds"; exit 1; }
export KZ_FAULT_CTL="$T/fault.ctl" KZ_FAULT_DIR="$T/state" KZ_FAULT_LOG="$T/fault.log"
fault() { echo "$*" >"$KZ_FAULT_CTL"; }
clear_fault() { rm -f "$KZ_FAULT_CTL"; }
start_shimmed() { LD_PRELOAD="$SHIM" start_kzd; }
injected() { [ -s "$KZ_FAULT_LOG" ] && [ "$(wc -l <"$KZ_FAULT_LOG")" -gt "$1" ]; }
nlog() { if [ -f "$KZ_FAULT_LOG" ]; then wc -l <"$KZ_FAULT_LOG"; else echo 0; fi; }

# Every notification's first attempt to /late fails, so that its second
# attempt (a second later) can be made while the disk fails.
fault_config "  late: {type: webhook, url: \"http://127.0.0.1:$SINK_PORT/late\", retry: [1s], timeout: 5s}
notify:
  - {channel: sink, events: [\"*\"]}
  - {channel: late, events: [step.notify]}"
# A runbook whose activation writes megabytes in one operation (a
# notification per step, long titles): more dirty pages than SQLite's
# cache holds, so it spills to the WAL before COMMIT.
long=$(printf '障害対応%.0s' $(seq 250))
{
	printf 'runbook: big\ntitle: 大きな手順書 / Big\nowner: role:it-lead\nsteps:\n'
	for i in $(seq 0 299); do
		printf '  - {id: s%d, title: "手順 %d %s", assign: role:operator}\n' "$i" "$i" "$long"
	done
} >"$T/runbooks/big.yaml"
start_sink --each --fail /late=1
start_shimmed || exit 1

# --- before any fault ---
check "activation before the fault" act base1
check "a trigger before the fault is 202" test "$(hook h-base)" = 202
check "a second activation" act base2
check "a wait step (2s) starts its timer" act slow1 slow

# --- EIO on fsync/fdatasync ---
act late1
late_id=$(acked_id late1)
wait_for "the notify step's first delivery attempt fails (500)" 20 \
    grep -q '"path": "/late", .*"status": 500' "$T/sink.log"
n0=$(sink_lines); c0=$(commit_failures); l0=$(nlog)
fault EIO fdatasync fsync
expect_rc "EIO on fsync: activate exits 1" 1 act f-sync
check "  and says storage unavailable" grep -q "storage unavailable" "$T/err"
st=$(hook h-sync)
expect_resp "EIO on fsync: a trigger is 503" "$st" 503 \
    '.error | contains("storage unavailable")' true
expect_rc "EIO on fsync: ack exits 1" 1 "$KZ" ack 1 a
check "the shim injected the faults" injected "$l0"
check "keizokud keeps running" alive
expect_rc "reads still work: show" 0 "$KZ" show 1
expect_rc "reads still work: incidents" 0 "$KZ" incidents
expect_rc "keizoku verify passes during the fault" 0 "$KZ" verify
st=$(get /healthz)
check "GET /healthz answers during the fault (HTTP $st)" test "$st" = 200 -o "$st" = 503
sleep 3		# the wait step falls due; late1's retry is delivered
c1=$(commit_failures)
check "a due timer does not spin on a failing disk ($((c1 - c0)) failed commits in 3s, want <= 20)" \
    test $((c1 - c0)) -le 20
m=$(most_sent "$n0")
check "a delivery whose result cannot be written is not re-sent in a loop (one webhook-id sent $m times in 3s, want <= 2)" \
    test "$m" -le 2

# --- EIO on write, ENOSPC ---
fault EIO write pwrite
expect_rc "EIO on write: activate exits 1" 1 act f-write
st=$(hook h-write)
expect_resp "EIO on write: a trigger is 503" "$st" 503
fault ENOSPC write pwrite
expect_rc "ENOSPC: activate exits 1" 1 act f-nospc
check "  and says the disk is full" grep -q "full" "$T/err"
st=$(hook h-nospc)
expect_resp "ENOSPC: a trigger is 503" "$st" 503
expect_eq "nothing refused is visible while the daemon runs" \
    "$(sql_ro "SELECT count(*) FROM incidents WHERE note LIKE 'f-%'")" 0

# --- the fault clears: recovery without a restart ---
clear_fault
check "after the fault: activate exits 0 at once" act r1
check "after the fault: a trigger is 202" test "$(hook h-r1)" = 202
expect_rc "after the fault: ack works" 0 "$KZ" ack 1 a
slow_done() { [ "$(step_state "$(acked_id slow1)" pause)" = done ]; }
wait_for "the timer that fell due during the fault fires" 20 slow_done
wait_for "every notification is delivered after the fault" 20 no_pending
expect_eq "late1's notification was delivered" \
    "$(sql_ro "SELECT state FROM notifications WHERE incident = $late_id AND channel = 'late'")" delivered
check "every acknowledged change is on disk" ledger_check

# --- an I/O error in the middle of a batch ---
# Three activations, then one that spills pages to the WAL, then one
# more, all read in one loop turn and so in one batch: one client sends
# the five requests on five connections while the daemon is stopped,
# and it goes on once all five wait in their sockets. One EIO hits the
# spill: SQLite rolls the whole transaction back. No operation of that
# batch may be acknowledged, unless a later commit really wrote it. The
# outcomes go to the ledger as act records them.
wait_for "nothing pending before the batch test" 20 no_pending
kill -STOP "$KZD_PID"
fault EIO write pwrite once
"$PY" - "$KEIZOKU_SOCKET" "$T/batch.sent" "$T/ledger" batch-a1:work \
    batch-a2:work batch-a3:work batch-big:big batch-c:work <<'PY' &
import json, socket, struct, sys
path, sent, ledger = sys.argv[1:4]
def read(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b
conns = []
for spec in sys.argv[4:]:
    note, rb = spec.split(":")
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    req = json.dumps({"v": 1, "cmd": "activate",
                      "params": {"runbook": rb, "note": note}}).encode()
    s.sendall(struct.pack(">I", len(req)) + req)
    conns.append((note, s))
open(sent, "w").write("5\n")
lines = []
for note, s in conns:
    h = read(s, 4)
    r = json.loads(read(s, struct.unpack(">I", h)[0])) if h else {}
    if r.get("status") == 200:
        lines.append(f"act ok {note} {r['body']['incident']}\n")
    else:
        lines.append(f"act no {note}\n")
with open(ledger, "a", encoding="utf-8") as f:
    f.writelines(lines)
PY
bg=$!
wait_file "$T/batch.sent" || nok "the batch's requests were sent"
kill -CONT "$KZD_PID"
wait "$bg"
clear_fault
check "the injected error hit a statement inside the batch (not its COMMIT)" \
    grep -q 'store: step: disk I/O error' "$T/kzd.log"
echo "# batch outcomes: $(grep ' batch-' "$T/ledger" | cut -d' ' -f2,3 | tr '\n' ' ')"
ledger_check >"$T/lc" 2>&1
check "every activation acknowledged in that batch is on disk" test ! -s "$T/lc"
sed 's/^/# /' "$T/lc"
expect_rc "keizoku verify passes after the batch" 0 "$KZ" verify

# --- a failed fsync, then a crash once the disk works again ---
# The WAL frames of a batch whose fsync failed are in the file; a restart
# must not bring back what was answered 503.
wait_for "nothing pending before the crash test" 20 no_pending
nback=$(grep -c 'writes work again' "$T/kzd.log")
fault EIO fdatasync fsync
expect_rc "EIO on fsync: activate exits 1" 1 act f-crash
clear_fault
# The disk is back; nothing else is written meanwhile. keizokud finds
# out by itself (a barrier a second after the failure).
backagain() { [ "$(grep -c 'writes work again' "$T/kzd.log")" -gt "$nback" ]; }
wait_for "keizokud finds the disk working again" 20 backagain
kill9_kzd
start_shimmed || exit 1
expect_eq "after kill -9 and a restart, the change answered 503 is not there" \
    "$(sql_ro "SELECT count(*) FROM incidents WHERE note = 'f-crash'")" 0

# --- a restart shows only the acknowledged changes ---
ledger_check strict >"$T/lc" 2>&1
check "after the restart: every acknowledged change is there and no refused one" test ! -s "$T/lc"
sed 's/^/# /' "$T/lc"
expect_rc "keizoku verify passes after the restart" 0 "$KZ" verify
check "after the restart: activate exits 0" act r2
stop_clean
check "PRAGMA integrity_check is ok" integrity
exit $_failed
