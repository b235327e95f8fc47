#!/bin/sh
# Issue 3: triggers accepted per second and latency from POST to the
# committed 202, with 50 concurrent keep-alive connections (wrk), side by
# side with a bare evhttp server that answers 202 without storing anything.
set -e
: "${KZ_BUILD:?}"
command -v wrk >/dev/null || { echo "| triggers | wrk not installed | | |"; exit 0; }
T=$(mktemp -d /tmp/kz-bench-trig.XXXXXX)
trap 'kill $pid $bare 2>/dev/null || true; rm -rf "$T"' EXIT
KPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
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
YAML
BENCH_TOKEN=bench-token "$KZ_BUILD/keizokud" -c "$T/keizokud.yaml" 2>"$T/log" &
pid=$!
"$KZ_BUILD/bench/bare_evhttp" "$BPORT" &
bare=$!
until curl -s "http://127.0.0.1:$KPORT/healthz" >/dev/null; do sleep 0.05; done
# Every request a new alert key: each one starts an incident (the heavier
# path: incident, steps, events, timers, trigger row, all committed).
cat >"$T/post.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  local body = '{"alert": "a' .. n .. '-' .. math.random(1, 1e9) .. '", "severity": "critical"}'
  return wrk.format("POST", "/v1/hooks/mon", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer bench-token"}, body)
end
LUA
# An alert storm: every request repeats one alert, which joins the open
# incident as a timeline event (the trigger row and event committed).
cat >"$T/storm.lua" <<'LUA'
request = function()
  return wrk.format("POST", "/v1/hooks/mon", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer bench-token"}, '{"alert": "storm", "severity": "critical"}')
end
LUA
run() {	# url [script] -> "rate p50 p99 non2xx"
	wrk -t2 -c50 -d8s --latency -s "${2:-$T/post.lua}" "$1" >"$T/w" 2>&1
	rate=$(awk '/Requests\/sec/ {print $2}' "$T/w")
	p50=$(awk '$1=="50%" {print $2}' "$T/w")
	p99=$(awk '$1=="99%" {print $2}' "$T/w")
	non2xx=$(awk '/Non-2xx/ {print $4}' "$T/w")
	echo "$rate $p50 $p99 ${non2xx:-0}"
}
set -- $(run "http://127.0.0.1:$KPORT/v1/hooks/mon"); kr=$1 k50=$2 k99=$3 kbad=$4
set -- $(run "http://127.0.0.1:$KPORT/v1/hooks/mon" "$T/storm.lua"); sr=$1 s50=$2 s99=$3
set -- $(run "http://127.0.0.1:$BPORT/v1/hooks/mon"); br=$1 b50=$2 b99=$3
n=$(sqlite3 "$T/state/keizoku.db" "select count(*) from incidents")
echo "| triggers accepted per second, each starting an incident, 50 keep-alive connections ($n incidents committed, $kbad non-2xx; target >= 0.5 of bare) | $kr | bare evhttp answering 202: $br | $(echo "$kr $br" | awk '{printf "%.2f", $1/$2}') |"
echo "| repeated triggers joining one open incident (an alert storm) per second | $sr | bare evhttp: $br | $(echo "$sr $br" | awk '{printf "%.2f", $1/$2}') |"
echo "| POST to committed 202 in that storm, p50 / p99 | $s50 / $s99 | $b50 / $b99 | - |"
echo "| POST to committed 202 at that saturating load, p50 / p99 (target p99 < 20 ms at 1,000/s) | $k50 / $k99 | $b50 / $b99 | - |"
exit 0
