#!/bin/bash
# make test-ha: every tests/ha/test_*.sh, one after the other (each starts
# etcd, Patroni, PostgreSQL and keizokud of its own on loopback ports).
# Ends with "N passed, N failed"; exits 1 when anything failed.
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${KZ_BUILD:=$top/build}"
export KZ_BUILD KZ_TOP="$top"
passed=0; failed=0
for t in "$top"/tests/ha/test_*.sh; do
	n=$(basename "$t" .sh)
	log=$(mktemp /tmp/kz-ha-log.XXXXXX)
	s=$SECONDS
	timeout 600 bash "$t" >"$log" 2>&1; rc=$?
	p=$(grep -c '^ok ' "$log"); f=$(grep -c '^not ok ' "$log")
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1 && echo "not ok - $n exited with status $rc" >>"$log"
	echo "--- $n: $p passed, $f failed ($((SECONDS - s)) s)"
	grep -v '^ok ' "$log"
	passed=$((passed + p)); failed=$((failed + f))
	rm -f "$log"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
