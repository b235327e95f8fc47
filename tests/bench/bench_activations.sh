#!/bin/sh
# Issue 16: activations per second when every trigger starts an incident
# of a realistic 20-step runbook (steps assigned to a role of three, an
# escalation timer and a timeout on each, five steps ready at once, a
# webhook channel hearing incident.* and step.*), beside a bare evhttp
# server answering 202 in the same run; and POST -> committed 202 at a
# fixed ~200 triggers/s (wrk, 40 connections each pausing 200 ms).
# BENCH_SECS: seconds per wrk run (8).
set -e
: "${KZ_BUILD:?}"
command -v wrk >/dev/null || { echo "| activations | wrk not installed | | |"; exit 0; }
T=$(mktemp -d /tmp/kz-bench-act.XXXXXX)
trap 'kill $pid $bare $hook 2>/dev/null || true; rm -rf "$T"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
KPORT=$(port); BPORT=$(port); HPORT=$(port)
mkdir -p "$T/runbooks"
cat >"$T/roster.yaml" <<'YAML'
members:
  - {id: op1, name: 運用 一郎}
  - {id: op2, name: 運用 二郎}
  - {id: op3, name: 運用 三郎}
roles:
  - {id: ops, title: 運用担当者, members: [op1, op2, op3]}
YAML
{
	echo "runbook: r20"
	echo "title: 二十手順の復旧 / A 20-step recovery"
	echo "owner: role:ops"
	echo "activation:"
	echo "  - source: mon"
	echo "    match: {alert: {exists: true}}"
	echo '    key: "{{trigger.alert}}"'
	echo "steps:"
	i=1
	while [ $i -le 20 ]; do
		needs=""
		[ $i -gt 5 ] && needs=", needs: [s$((i - 5))]"
		echo "  - {id: s$i, title: \"手順 $i / step $i ({{trigger.alert}})\", assign: role:ops, escalate_after: 10m, timeout: 1h$needs}"
		i=$((i + 1))
	done
} >"$T/runbooks/r20.yaml"
cat >"$T/keizokud.yaml" <<YAML
state_dir: state
runbooks: runbooks
plugins: $KZ_BUILD/plugins
roster: roster.yaml
admins: [root]
control: {socket: kz.sock}
http: {listen: "127.0.0.1:$KPORT"}
sources:
  mon: {format: json, auth: {bearer: "env:BENCH_TOKEN"}}
channels:
  ops: {type: webhook, url: "http://127.0.0.1:$HPORT/hook"}
notify:
  - {channel: ops, events: [incident.*, step.*]}
YAML
"$KZ_BUILD/bench/bare_evhttp" "$HPORT" &
hook=$!
BENCH_TOKEN=bench-token "$KZ_BUILD/keizokud" -c "$T/keizokud.yaml" 2>"$T/log" &
pid=$!
"$KZ_BUILD/bench/bare_evhttp" "$BPORT" &
bare=$!
until curl -s "http://127.0.0.1:$KPORT/healthz" >/dev/null; do sleep 0.05; done
cat >"$T/post.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  local body = '{"alert": "a' .. n .. '-' .. math.random(1, 1e9) .. '", "severity": "critical"}'
  return wrk.format("POST", "/v1/hooks/mon", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer bench-token"}, body)
end
LUA
{ cat "$T/post.lua"; echo 'delay = function() return 200 end'; } >"$T/paced.lua"
run() {	# url script conns -> "rate p50 p99 non2xx"
	wrk -t1 -c"$3" -d"${BENCH_SECS:-8}s" --latency -s "$2" "$1" >"$T/w" 2>&1
	rate=$(awk '/Requests\/sec/ {print $2}' "$T/w")
	p50=$(awk '$1=="50%" {print $2}' "$T/w")
	p99=$(awk '$1=="99%" {print $2}' "$T/w")
	non2xx=$(awk '/Non-2xx/ {print $4}' "$T/w")
	echo "$rate $p50 $p99 ${non2xx:-0}"
}
set -- $(run "http://127.0.0.1:$BPORT/v1/hooks/mon" "$T/post.lua" 50); br=$1
# BENCH_PERF=FILE: perf record -g on keizokud during the saturating run.
[ -n "$BENCH_PERF" ] && { perf record ${BENCH_PERF_OPTS:--g} -o "$BENCH_PERF" -p $pid 2>/dev/null & perf=$!; }
# CPU time of keizokud's process per activation (utime + stime, in
# clock ticks): what a loaded machine changes least.
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
c0=$(cpu)
set -- $(run "http://127.0.0.1:$KPORT/v1/hooks/mon" "$T/post.lua" 50); kr=$1 kbad=$4
c1=$(cpu)
[ -n "$BENCH_PERF" ] && { kill -INT $perf; wait $perf || true; }
n=$(sqlite3 "$T/state/keizoku.db" "select count(*) from incidents")
us=$(echo "$c0 $c1 $n $(getconf CLK_TCK)" | awk '{printf "%.0f", ($2 - $1) * 1e6 / $4 / $3}')
# What each activation wrote (stderr: for the profile notes).
for t in triggers incidents steps events timers notifications; do
	printf '%s %s\n' "$t" "$(sqlite3 "$T/state/keizoku.db" "select round(count(*) * 1.0 / $n, 2) from $t")"
done | tr '\n' ' ' | sed 's/^/# rows per activation: /; s/$/\n/' >&2
sqlite3 "$T/state/keizoku.db" "select type, count(*) / $n from events group by type" | tr '\n' ' ' | sed 's/^/# events per activation: /; s/$/\n/' >&2
set -- $(run "http://127.0.0.1:$BPORT/v1/hooks/mon" "$T/paced.lua" 40); pbr=$1 pb50=$2 pb99=$3
set -- $(run "http://127.0.0.1:$KPORT/v1/hooks/mon" "$T/paced.lua" 40); pkr=$1 pk50=$2 pk99=$3 pbad=$4
echo "| activations/s, each trigger a new incident of a 20-step runbook (role of 3, escalation timers; $n incidents committed, $kbad non-2xx; target >= 0.15 of bare) | $kr | bare evhttp answering 202: $br | $(echo "$kr $br" | awk '{printf "%.3f", $1/$2}') |"
echo "| CPU time of keizokud per activation in that run (us; all its threads) | $us | - | - |"
echo "| POST -> committed 202 of those activations at a fixed rate ($pkr/s; bare at $pbr/s), p50 / p99 (target p99 < 20 ms at 200/s; $pbad non-2xx) | $pk50 / $pk99 | $pb50 / $pb99 | - |"
exit 0
