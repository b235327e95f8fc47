#!/bin/sh
# Runs every unit test (cmocka, TAP output) and integration test (shell,
# TAP-like "ok"/"not ok" lines) and ends with "N passed, N failed".
# KZ_BUILD: the build directory. Filter with TESTS="pattern".
top=$(cd "$(dirname "$0")/.." && pwd)
: "${KZ_BUILD:=$top/build}"
export KZ_BUILD KZ_TOP="$top" KZ_FIXTURES="$top/tests/fixtures/hooks"
export KZ_PLUGIN_DIR="$KZ_BUILD/plugins" KZ_BADABI_SO="$KZ_BUILD/fixtures/plugins/badabi.so"
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
logdir=$(mktemp -d /tmp/kz-test-logs.XXXXXX)
passed=0
failed=0
failures=""

count() {	# name, logfile, exit status
	p=$(grep -c '^ok ' "$2")
	f=$(grep '^not ok ' "$2" | grep -vc '# SKIP')
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# crashed or exited non-zero without saying why
		echo "not ok - $1 exited with status $3" >>"$2"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failures="$failures $1"
		echo "--- $1: FAILED (log follows)"
		grep -v '^ok ' "$2" | tail -n 60
	else
		echo "--- $1: $p passed"
	fi
}

for t in "$KZ_BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	case "$name" in *${TESTS:-}*) ;; *) continue ;; esac
	log="$logdir/$name.log"
	(cd "$top" && timeout 300 "$t") >"$log" 2>&1
	count "$name" "$log" $?
done
case fuzz_replay in *${TESTS:-}*)
	log="$logdir/fuzz_replay.log"
	(cd "$top" && timeout 300 sh tests/fuzz/replay.sh) >"$log" 2>&1
	count fuzz_replay "$log" $? ;;
esac
for t in "$top"/tests/integration/test_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	case "$name" in *${TESTS:-}*) ;; *) continue ;; esac
	log="$logdir/$name.log"
	(cd "$top" && timeout 600 bash "$t") >"$log" 2>&1
	count "$name" "$log" $?
done
echo
[ -n "$failures" ] && echo "failed:$failures (logs in $logdir)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
