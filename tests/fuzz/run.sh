#!/bin/sh
# Runs every libFuzzer target (or those named as arguments) for
# FUZZ_SECONDS each, FUZZ_JOBS of them at a time, and prints executions,
# coverage and findings per target. New inputs go to a scratch directory
# ($FUZZ_OUT, default a fresh /tmp/kz-fuzz.XXXXXX), never into the repo,
# unless FUZZ_MERGE=1: then only the inputs that add coverage are merged
# (minimised) into tests/fuzz/corpus/NAME. Crash, leak and timeout
# reproducers are left in $FUZZ_OUT/NAME/; copy them into the corpus so
# `make test` replays them for ever.
#   FUZZ_BIN	directory of the fuzz binaries (make fuzz sets it)
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${FUZZ_BIN:=$top/build-fuzz/fuzz}"
: "${FUZZ_SECONDS:=60}"
: "${FUZZ_JOBS:=1}"
: "${FUZZ_MERGE:=0}"
[ -n "${FUZZ_OUT:-}" ] || FUZZ_OUT=$(mktemp -d /tmp/kz-fuzz.XXXXXX)
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Longest input worth trying: a little over the largest real file of
# each kind (shipped runbooks and plan are ~10 KB).
maxlen() {
	case "$1" in
	runbook|plan)	echo 32768 ;;
	config|roster|hook_*|jma_*) echo 16384 ;;
	*)		echo 4096 ;;
	esac
}

run_one() {	# name
	n=$1
	out=$FUZZ_OUT/$n
	mkdir -p "$out/corpus"
	"$FUZZ_BIN/$n" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
	    -max_len="$(maxlen "$n")" -timeout=25 -print_final_stats=1 \
	    -artifact_prefix="$out/" "$out/corpus" "$top/tests/fuzz/corpus/$n" \
	    </dev/null >"$out/log" 2>&1
	echo $? >"$out/status"
	if [ "$FUZZ_MERGE" = 1 ]; then
		"$FUZZ_BIN/$n" -merge=1 -max_len="$(maxlen "$n")" \
		    "$top/tests/fuzz/corpus/$n" "$out/corpus" \
		    </dev/null >"$out/merge.log" 2>&1
	fi
}

report() {	# name
	n=$1
	out=$FUZZ_OUT/$n
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/log")
	last=$(grep -E '^#[0-9]+' "$out/log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	units=$(ls "$out/corpus" | wc -l)
	found=$(ls "$out" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | tr '\n' ' ')
	printf '%-18s execs %10s  %6s/s  cov %5s  ft %6s  new units %5s  %s\n' \
	    "$n" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "$units" \
	    "${found:-no findings}"
	[ -z "$found" ] && [ "$(cat "$out/status")" = 0 ]
}

if [ $# -gt 0 ]; then
	names="$*"
else
	names=$(ls "$FUZZ_BIN")
fi
echo "fuzzing for ${FUZZ_SECONDS}s each, $FUZZ_JOBS at a time; output in $FUZZ_OUT"
set -- $names
while [ $# -gt 0 ]; do
	i=0
	while [ $# -gt 0 ] && [ $i -lt "$FUZZ_JOBS" ]; do
		run_one "$1" &
		shift
		i=$((i + 1))
	done
	wait
done
bad=0
for n in $names; do
	report "$n" || bad=1
done
[ $bad = 0 ] || echo "findings: see the logs and reproducers in $FUZZ_OUT"
exit $bad
