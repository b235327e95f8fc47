#!/bin/bash
# Issue 9, item 2: a full disk. The state dir is a 2 MiB tmpfs; a filler
# file takes the rest of it. Writes must answer 503 (CLI: exit 1,
# "storage unavailable"), reads keep working, keizoku verify passes, no
# acknowledged change goes missing and nothing refused appears; keizokud
# neither spins on what it cannot write nor refuses to restart; when the
# filler goes, writes work again without a restart. Needs root (mount).
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
. "$KZ_TOP/tests/fault/lib-fault.sh"

mkdir -p "$T/state"
if ! mount -t tmpfs -o size=2m,mode=0755 kz-fault "$T/state" 2>"$T/mount.err"; then
	echo "ok 1 # SKIP cannot mount a tmpfs for the state dir: $(head -c 200 "$T/mount.err")"
	exit 0
fi
diskfull_cleanup() {
	for p in $_pids; do { kill -9 "$p"; wait "$p"; } 2>/dev/null; done
	_pids=""
	umount "$T/state" 2>/dev/null || umount -l "$T/state"
	cleanup
}
trap diskfull_cleanup EXIT
fill() { dd if=/dev/zero of="$T/state/filler" bs=4k >/dev/null 2>&1; sync; }
avail() { df -k --output=avail "$T/state" | tail -n 1 | tr -d ' '; }

fault_config
start_sink
start_kzd || exit 1

# --- before the disk fills ---
check "activation before the disk fills" act base1
check "a trigger before the disk fills is 202" test "$(hook h-base)" = 202
check "an unmatched trigger is 202 too" test "$(hook h-other other)" = 202
check "a wait step (2s) starts its timer" act slow1 slow
expect_rc "ack before the disk fills" 0 "$KZ" ack "$(acked_id base1)" a
wait_for "the notifications so far are delivered" 20 no_pending

# --- full ---
fill
expect_eq "the state dir is full" "$(avail)" 0
c0=$(commit_failures)
expect_rc "disk full: activate exits 1" 1 act f-full1
check "  and says storage unavailable" grep -q "storage unavailable" "$T/err"
st=$(hook h-full1)
expect_resp "disk full: a trigger is 503 with a JSON error" "$st" 503 \
    '.error | contains("storage unavailable")' true
expect_rc "disk full: ack exits 1" 1 "$KZ" done "$(acked_id base1)" a
check "keizokud keeps running" alive
expect_rc "reads still work: show" 0 "$KZ" show "$(acked_id base1)"
expect_rc "reads still work: incidents" 0 "$KZ" incidents
expect_rc "reads still work: log" 0 "$KZ" log "$(acked_id base1)"
expect_rc "keizoku verify passes on a full disk" 0 "$KZ" verify
st=$(get /healthz)
check "GET /healthz answers on a full disk (HTTP $st)" test "$st" = 200 -o "$st" = 503
expect_eq "nothing refused is visible" \
    "$(sql_ro "SELECT count(*) FROM incidents WHERE note LIKE 'f-%'")" 0
check "every acknowledged change is on disk" ledger_check
sleep 3		# slow1's wait step falls due while the disk is full
c1=$(commit_failures)
check "a due timer does not spin on a full disk ($((c1 - c0)) failed commits in 3s, want <= 20)" \
    test $((c1 - c0)) -le 20
check "keizokud still runs" alive

# --- a restart on a full disk ---
stop_kzd
expect_eq "SIGTERM on a full disk: exit 0" "$KZD_RC" 0
start_kzd || exit 1
ok "keizokud starts on a full disk"
expect_rc "after the restart, reads work" 0 "$KZ" show "$(acked_id base1)"
expect_rc "after the restart, writes still answer exit 1" 1 act f-full2
st=$(hook h-full2)
expect_resp "after the restart, a trigger is 503" "$st" 503

# --- space returns: no restart needed ---
rm -f "$T/state/filler"
check "space is back" test "$(avail)" -gt 0
check "activate exits 0 again" act r1
check "a trigger is 202 again" test "$(hook h-r1)" = 202
expect_rc "done works again" 0 "$KZ" done "$(acked_id base1)" a
slow_done() { [ "$(step_state "$(acked_id slow1)" pause)" = done ]; }
wait_for "the timer that fell due while the disk was full fires" 20 slow_done
wait_for "every notification is delivered" 20 no_pending
check "every acknowledged change is on disk" ledger_check

# --- after a restart, only what was acknowledged ---
stop_clean
start_kzd || exit 1
ledger_check strict >"$T/lc" 2>&1
check "after a restart: every acknowledged change is there and no refused one" test ! -s "$T/lc"
sed 's/^/# /' "$T/lc"
expect_rc "keizoku verify passes" 0 "$KZ" verify
check "activate works after the restart" act r2
stop_clean
check "PRAGMA integrity_check is ok" integrity
exit $_failed
