#!/bin/bash
# Issue 9: the integration path under valgrind. Runs the spine flow and the
# HTTP webhook tests with keizokud under memcheck; any invalid access or
# definite/indirect leak makes keizokud exit 99 at SIGTERM, which those
# tests check ("SIGTERM exits 0" / a clean stop). Skipped in the sanitizer
# build (ASan and valgrind do not mix).
here=$(dirname "$0")
if [ "${SANITIZE:-}" = 1 ] || ! command -v valgrind >/dev/null; then
	echo "ok 1 # SKIP valgrind not applicable here"
	exit 0
fi
# Memcheck cannot take over mimalloc's malloc (the Makefile's default for
# keizokud): start_kzd runs keizokud-libc, the same objects on libc's,
# which make test builds.
if [ ! -x "$KZ_BUILD/keizokud-libc" ] &&
    ldd "$KZ_BUILD/keizokud" | grep -q libmimalloc; then
	echo "not ok 1 - $KZ_BUILD/keizokud is on mimalloc and" \
	    "$KZ_BUILD/keizokud-libc is missing (make test builds it)"
	exit 1
fi
n=0
for t in test_spine_flow test_spine_timers; do
	n=$((n + 1))
	out=$(KZ_VALGRIND=1 bash "$here/$t.sh" 2>&1)
	if echo "$out" | grep -q '^not ok'; then
		echo "not ok $n - $t under valgrind"
		echo "$out" | grep -v '^ok' | sed 's/^/# /' | head -40
	else
		echo "ok $n - $t under valgrind ($(echo "$out" | grep -c '^ok') checks)"
	fi
done
