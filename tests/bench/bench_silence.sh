#!/bin/sh
# Issue 21: silence and maintenance must not slow the trigger path. The
# alert storm of bench_triggers.sh (every request repeats one alert,
# which joins the open incident) with 50 keep-alive connections, against
# the same keizokud and data in three set-ups, measured in turns within
# one run: none (one source, no window); 20 sources watched for silence
# (silent_after, the benchmarked one with a heartbeat matcher too) and
# 100 open maintenance windows spread over them (5 on the benchmarked
# source); and the worst case, all 100 windows on the benchmarked source.
# The windows hold nothing back (their matchers never match), so every
# set-up does the same work apart from the checks.
#
# Two figures per set-up: triggers per second (wrk, best of the turns;
# on a shared machine this swings by tens of percent between turns) and
# the instructions keizokud executes per trigger, counted by callgrind
# over 1,000 sequential keep-alive requests after a warm-up: exact and
# unmoved by other load, the figure the 5 % target is checked against.
set -e
: "${KZ_BUILD:?}"
command -v wrk >/dev/null || { echo "| silence | wrk not installed | | |"; exit 0; }
T=$(mktemp -d /tmp/kz-bench-silence.XXXXXX)
pid=
trap 'kill $pid 2>/dev/null || true; rm -rf "$T"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KZ="$KZ_BUILD/keizoku"
export KEIZOKU_SOCKET="$T/kz.sock" BENCH_TOKEN=bench-token
mkdir -p "$T/runbooks"
printf 'members:\n  - {id: op}\nroles:\n  - {id: ops, members: [op]}\n' >"$T/roster.yaml"
cat >"$T/runbooks/r.yaml" <<'YAML'
runbook: r
activation:
  - source: mon
    match: {alert: {exists: true}}
    key: "{{trigger.alert}}"
steps:
  - {id: s, assign: role:ops, timeout: 1h}
YAML
conf() {	# conf none|watched: writes $T/keizokud.yaml
	{
		cat <<YAML
state_dir: state
runbooks: runbooks
plugins: $KZ_BUILD/plugins
roster: roster.yaml
admins: [$(id -un)]
control: {socket: kz.sock}
http: {listen: "127.0.0.1:$PORT"}
sources:
YAML
		if [ "$1" = none ]; then
			echo '  mon: {format: json, auth: {bearer: "env:BENCH_TOKEN"}}'
		else
			echo '  mon: {format: json, auth: {bearer: "env:BENCH_TOKEN"}, heartbeat: {match: {alert: Watchdog}}, silent_after: 1h}'
			i=1
			while [ $i -lt 20 ]; do
				echo "  s$i: {format: json, auth: {bearer: \"env:BENCH_TOKEN\"}, silent_after: 1h}"
				i=$((i + 1))
			done
		fi
	} >"$T/keizokud.yaml"
}
start() {	# start none|watched [callgrind]
	conf "$1"
	if [ -n "${2:-}" ]; then
		valgrind --tool=callgrind --separate-threads=yes \
		    --callgrind-out-file="$T/cg.out" \
		    "$KZ_BUILD/keizokud" -c "$T/keizokud.yaml" 2>>"$T/log" &
	else
		"$KZ_BUILD/keizokud" -c "$T/keizokud.yaml" 2>>"$T/log" &
	fi
	pid=$!
	until curl -s "http://127.0.0.1:$PORT/healthz" >/dev/null; do sleep 0.1; done
}
stop() { kill "$pid"; wait "$pid" || true; pid=; }
# windows spread|all|none: 100 open windows whose matchers never match
# (none: every window ended).
windows() {
	"$KZ" --json maintenance list | jq -r '.[].id' | while read -r id; do
		"$KZ" maintenance end "$id" >/dev/null
	done
	[ "$1" != none ] || return 0
	i=0
	while [ $i -lt 100 ]; do
		if [ "$1" = all ] || [ $((i % 20)) -eq 0 ]; then src=mon; else src=s$((i % 20)); fi
		"$KZ" maintenance add --source "$src" --match "alert=never-$i" --until 7d \
		    --note "bench $i" >/dev/null
		i=$((i + 1))
	done
}
cat >"$T/storm.lua" <<'LUA'
request = function()
  return wrk.format("POST", "/v1/hooks/mon", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer bench-token"}, '{"alert": "storm", "severity": "critical"}')
end
LUA
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
HZ=$(getconf CLK_TCK)
run() {	# -> "requests/s CPU-us-per-request" (keizokud's own CPU time)
	c0=$(cpu)
	wrk -t2 -c50 -d5s -s "$T/storm.lua" "http://127.0.0.1:$PORT/v1/hooks/mon" >"$T/w" 2>&1
	c1=$(cpu)
	n=$(awk '/requests in/ {print $1}' "$T/w")
	rate=$(awk '/Requests\/sec/ {print $2}' "$T/w")
	echo "$rate $(echo "$c0 $c1 $HZ $n" | awk '{printf "%.1f", ($2 - $1) * 1e6 / $3 / $4}')"
}
# posts N: N storm triggers, one after another on one connection.
posts() {
	/usr/bin/python3 - "$PORT" "$1" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
h = {"Content-Type": "application/json", "Authorization": "Bearer bench-token"}
for _ in range(int(sys.argv[2])):
    c.request("POST", "/v1/hooks/mon", '{"alert": "storm", "severity": "critical"}', h)
    r = c.getresponse()
    r.read()
    assert r.status == 202, r.status
PY
}
# instr: instructions keizokud's loop (under callgrind) executes per
# trigger: the first thread's count alone (cg.out.N-01). The WAL
# checkpointer's thread copies pages back whenever 1,000 have been
# written, which fell inside one measurement and not another (the
# maintenance commands before it write pages too): counted with the loop
# it made the ratio swing by a third.
instr() {
	posts 200
	callgrind_control -z "$pid" >/dev/null
	posts 1000
	rm -f "$T"/cg.out*
	callgrind_control -d "$pid" >/dev/null
	sleep 0.5
	awk '/^(summary|totals):/ {print $2 / 1000; exit}' $(ls "$T"/cg.out*-01 | tail -n 1)
}
best() { printf '%s\n' "$@" | sort -g | tail -n 1; }
least() { printf '%s\n' "$@" | sort -g | head -n 1; }
# Warm up: the incident the storm joins, and the database's pages.
start none
run >/dev/null
stop
none= spread= all= cn= cs= ca=
for turn in $(seq "${BENCH_TURNS:-5}"); do
	start none
	set -- $(run); none="$none $1"; cn="$cn $2"
	stop
	start watched
	windows spread
	set -- $(run); spread="$spread $1"; cs="$cs $2"
	windows all
	set -- $(run); all="$all $1"; ca="$ca $2"
	windows none
	stop
done
if command -v callgrind_control >/dev/null; then
	start none callgrind
	in=$(instr)
	stop
	start watched callgrind
	windows spread
	is=$(instr)
	windows all
	ia=$(instr)
	windows none
	stop
fi
n=$(best $none) s=$(best $spread) a=$(best $all)
cn1=$(least $cn) cs1=$(least $cs) ca1=$(least $ca)
held=$(sqlite3 "$T/state/keizoku.db" "SELECT count(*) FROM triggers WHERE status = 'suppressed'")
ratio() { echo "$1 $2" | awk '{printf "%.3f", $1/$2}'; }
echo "| alert storm, triggers/s, with 20 silence-watched sources and 100 open maintenance windows, 5 on the benchmarked source ($held held back; target >= 0.95 of none; best of 5, turns: none$none / watched$spread) | $s | none: $n | $(ratio "$s" "$n") |"
echo "| keizokud CPU per trigger in that storm (us; least of 5; turns: none$cn / watched$cs) | $cs1 | none: $cn1 | $(ratio "$cs1" "$cn1") |"
[ -z "${in:-}" ] || echo "| instructions keizokud executes per trigger (callgrind, 1,000 sequential triggers), 20 watched sources and 100 windows, 5 on the source (target <= 1.05 of none) | $is | none: $in | $(ratio "$is" "$in") |"
[ -z "${in:-}" ] || echo "| the same, all 100 windows on the benchmarked source (worst case) | $ia | none: $in | $(ratio "$ia" "$in") |"
echo "| the same with all 100 windows on the benchmarked source (worst case), triggers/s (best of 5:$all) | $a | none: $n | $(ratio "$a" "$n") |"
echo "| keizokud CPU per trigger, worst case (us; least of 5:$ca) | $ca1 | none: $cn1 | $(ratio "$ca1" "$cn1") |"
exit 0
