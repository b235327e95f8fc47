#!/bin/bash
# Runs every unit test (cmocka, TAP output) and integration test (shell,
# TAP-like "ok"/"not ok" lines) and ends with "N passed, N failed".
# KZ_BUILD: the build directory. Filter with TESTS="pattern".
# KZ_JOBS: how many integration tests run at once (default 3; each has
# its own directory, ports and daemon). Their reports come in a fixed
# order, each with its time; the logs are kept in one directory.
top=$(cd "$(dirname "$0")/.." && pwd)
: "${KZ_BUILD:=$top/build}"
export KZ_BUILD KZ_TOP="$top" KZ_FIXTURES="$top/tests/fixtures/hooks"
export KZ_PLUGIN_DIR="$KZ_BUILD/plugins" KZ_BADABI_SO="$KZ_BUILD/fixtures/plugins/badabi.so"
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
jobs=${KZ_JOBS:-3}
logdir=$(mktemp -d /tmp/kz-test-logs.XXXXXX)
passed=0
failed=0
failures=""
t_start=$EPOCHREALTIME

count() {	# name, logfile, exit status[, seconds]
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
		echo "--- $1: FAILED${4:+ (${4}s)} (log follows)"
		grep -v '^ok ' "$2" | tail -n 60
	else
		echo "--- $1: $p passed${4:+ (${4}s)}"
	fi
}
# secs START: seconds since START (an $EPOCHREALTIME), one decimal.
secs() {
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
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

# Integration tests, the longest first so that the last ones end together.
slow="test_store_leader test_fault_crash test_valgrind test_assembly
    test_notify_crash test_actions_plugins test_exception_lifecycle
    test_report_html"
names=()
for n in $slow; do
	[ -f "$top/tests/integration/$n.sh" ] && names+=("$n")
done
for t in "$top"/tests/integration/test_*.sh; do
	[ -f "$t" ] || continue
	n=$(basename "$t" .sh)
	case " $slow " in *[[:space:]]$n[[:space:]]*) continue ;; esac
	names+=("$n")
done
# The second pass: store-dependent tests again on PostgreSQL (SPEC §13),
# each on a throw-away cluster of its own (lib-pg.sh), named pg:TEST.
# test_store_postgresql always runs on PostgreSQL.
# Not here: tests of SQLite itself (test_fault_*: its I/O errors and a full
# disk under it; test_silence_beat's disk-full ping), of the installation
# and the docs, of the client alone; test_store_* and test_import_sqlite
# run on PostgreSQL anyway.
pg_tests="test_spine_flow test_spine_timers test_spine_reload test_http_hooks
    test_notify_delivery test_notify_crash test_exception_lifecycle
    test_report_verify test_rota_cli test_jma_feed test_jma_restart
    test_safety_scale test_maintenance test_actions_plugins test_hostile_burst
    test_hostile_lists test_hostile_sod test_hostile_storm
    test_http_alertmanager test_assign test_drill_report
    test_drill_scenario test_incident_texts test_notify_events
    test_notify_retry test_report_content test_report_golden
    test_rota_handover test_runbooks_dc_failover test_runbooks_earthquake
    test_runbooks_ransomware test_runbooks_telework test_safety_web
    test_silence_watchdog test_web_mail test_web_sitrep test_assembly_answers
    test_plan_cli test_notify_per_member"
for n in $pg_tests; do
	[ -f "$top/tests/integration/$n.sh" ] && names+=("pg:$n")
done
# One initdb for the run: each PostgreSQL test copies this cluster.
case " ${names[*]} " in *" pg:"*|*test_store_*|*test_import_*)
	pgtpl=$(mktemp -d /tmp/kz-pg-template.XXXXXX)
	chmod 755 "$pgtpl"
	trap 'rm -rf "$pgtpl"' EXIT
	if (. "$top/tests/integration/lib-pg.sh" && pg_template "$pgtpl"); then
		export KZ_PG_TEMPLATE="$pgtpl"
	else
		echo "# no PostgreSQL template cluster: each test runs initdb"
	fi ;;
esac
# A test's time limit: ten minutes, twenty under the sanitizers (about
# three times slower: test_safety_scale's 10,000 members killed twice took
# 470-490 s of the 600 on a busy machine, and one run went over).
tlimit=600
[ "${SANITIZE:-}" = 1 ] && tlimit=1200
run_one() {	# name (pg:NAME: on PostgreSQL)
	_s=$EPOCHREALTIME
	case "$1" in
	pg:*)	(cd "$top" && KZ_STORE=postgresql timeout $tlimit bash \
		    "tests/integration/${1#pg:}.sh") >"$logdir/$1.log" 2>&1 ;;
	*)	(cd "$top" && timeout $tlimit bash "tests/integration/$1.sh") \
		    >"$logdir/$1.log" 2>&1 ;;
	esac
	_rc=$?
	secs "$_s" >"$logdir/$1.time"
	echo "$_rc" >"$logdir/$1.rc"
}
started=()
reported=0
# report: the finished tests at the head of the order, in order.
report() {
	local r
	while [ "$reported" -lt "${#started[@]}" ]; do
		r=${started[$reported]}
		[ -f "$logdir/$r.rc" ] || return 0
		count "$r" "$logdir/$r.log" "$(cat "$logdir/$r.rc")" \
		    "$(cat "$logdir/$r.time")"
		reported=$((reported + 1))
	done
}
for n in "${names[@]}"; do
	case "$n" in *${TESTS:-}*) ;; *) continue ;; esac
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
		report
	done
	run_one "$n" &
	started+=("$n")
	report
done
while [ "$reported" -lt "${#started[@]}" ]; do
	wait -n 2>/dev/null || sleep 0.2
	report
done
echo
echo "# $(secs "$t_start")s, integration tests $jobs at a time"
[ -n "$failures" ] && echo "failed:$failures (logs in $logdir)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
