#!/bin/sh
# Issue 23: a safety check (安否確認) and an assemble step at the scale of
# a ministry. For 1,000 / 10,000 / 30,000 members: the activate reply,
# the time until every message is queued (and delivered to a local
# receiver), the longest stall of the loop seen by a concurrent /healthz
# poller, RSS; 10,000 answers over 1, 8, 32, 64 keep-alive REST
# connections (answerbench.c); an
# assemble of 10,000. Baselines from the same run: a safety check of one
# member, the idle /healthz worst case, the same requests to /healthz over
# one connection, the idle daemon's RSS, the O_DSYNC writes a second the
# disk allows; 1,000 answers to the assemble of 10,000. KZ_BENCH_SIZES
# overrides the safety checks' sizes (empty: none), KZ_BENCH_TEAM the
# assemble steps' (1,000 / 10,000 / 30,000).
set -e
: "${KZ_BUILD:?}"
KZD=$KZ_BUILD/keizokud KZ=$KZ_BUILD/keizoku
PY=/usr/bin/python3
T=$(mktemp -d /tmp/kz-bench-safety.XXXXXX)
pid= rpid= ppid_=
trap 'kill -9 $pid $rpid $ppid_ 2>/dev/null || true; rm -rf "$T"' EXIT
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }
PORT=$(free_port) RPORT=$(free_port)
TOKEN=bench-token
SHA=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)

# A receiver that answers 204 at once (the webhook channel's far end).
cat >"$T/recv.py" <<'EOF'
import sys, http.server
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
# The poller: GET /healthz over one connection until the stop file, then
# prints the longest round trip in ms.
cat >"$T/poll.py" <<'EOF'
import sys, os, time, http.client
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=600)
worst = 0.0
while not os.path.exists(sys.argv[2]):
    t = time.monotonic()
    c.request("GET", "/healthz"); c.getresponse().read()
    worst = max(worst, time.monotonic() - t)
    time.sleep(0.002)
print("%.0f" % (worst * 1000))
EOF
$PY "$T/recv.py" "$RPORT" & rpid=$!

roster() {	# roster N: N members, all in 東京都, role all-staff
	$PY - "$1" >"$T/roster.yaml" <<'EOF'
import sys
n = int(sys.argv[1])
print("members:")
for i in range(1, n + 1):
    print("  - {id: m%05d, name: 職員%d, site: s%d, area: 東京都}" % (i, i, i % 3))
print("roles:")
print("  - {id: boss, members: [m00001], proxy: true}")
print("  - id: all-staff")
print("    members: [%s]" % ", ".join("m%05d" % i for i in range(1, n + 1)))
EOF
}
mkdir -p "$T/runbooks"
cat >"$T/runbooks/anpi.yaml" <<'YAML'
runbook: anpi
title: 安否確認
kind: staff-assembly
owner: role:boss
steps:
  - {id: anpi, title: 職員の安否確認, type: safety, with: {roles: [all-staff]}}
YAML
start() {	# start N
	roster "$1"
	rm -rf "$T/state"
	cat >"$T/keizokud.yaml" <<YAML
state_dir: state
runbooks: runbooks
roster: roster.yaml
admins: [root]
control: {socket: kz.sock, mode: "0600"}
http: {listen: "127.0.0.1:$PORT"}
tokens:
  - {member: m00001, sha256: "$SHA"}
channels:
  recv: {type: webhook, url: "http://127.0.0.1:$RPORT/x", retry: [1s]}
YAML
	"$KZD" -c "$T/keizokud.yaml" >>"$T/kzd.log" 2>&1 & pid=$!
	i=0; until "$KZ" -s "$T/kz.sock" status >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 600 ] || { tail "$T/kzd.log" >&2; exit 1; }; sleep 0.1; done
}
stop() { kill $pid; wait $pid 2>/dev/null || true; pid=; }
rss() { awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' /proc/$pid/status; }
q() { sqlite3 "$T/state/keizoku.db" "$1"; }
# run N KIND: activate, then wait for all queued and delivered.
run() {
	n=$1 kind=$2
	start "$n"
	rss0=$(rss)
	rm -f "$T/stop"; $PY "$T/poll.py" "$PORT" "$T/stop" >"$T/worst" & ppid_=$!
	sleep 0.3
	t0=$(now_ms)
	"$KZ" -s "$T/kz.sock" activate "$kind" >/dev/null
	t1=$(now_ms)
	while [ "$(q "SELECT count(*) FROM notifications WHERE event IN ('safety.ask', 'assembly.callout')")" -lt "$n" ]; do sleep 0.05; done
	t2=$(now_ms)
	while [ "$(q "SELECT count(*) FROM notifications WHERE state = 'delivered' AND event IN ('safety.ask', 'assembly.callout')")" -lt "$n" ]; do sleep 0.1; done
	t3=$(now_ms)
	touch "$T/stop"; wait $ppid_; ppid_=
	worst=$(cat "$T/worst")
	echo "| $kind of $n: activate reply | $((t1 - t0)) ms | $base_act ms (1 member) | |"
	echo "| $kind of $n: every message queued | $((t2 - t0)) ms | | |"
	echo "| $kind of $n: every message delivered | $((t3 - t0)) ms | | |"
	echo "| $kind of $n: longest /healthz stall meanwhile | $worst ms | $base_stall ms (idle) | |"
	echo "| $kind of $n: RSS (peak) | $(rss) | $rss0 (idle, same roster) | |"
}

# answers N safety|responses: a curl -K config of N answers over one
# keep-alive connection, each its own request (m00001, the token's
# member, is in the proxy role boss: it answers for each member).
answers() {
	$PY - "$1" "$PORT" "$TOKEN" "$2" <<'EOF'
import sys
n, port, tok, kind = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
# safety takes the member in the body; responses, as --as, in a header.
body = ('{\\"member\\": \\"m%05d\\", \\"status\\": \\"safe\\", \\"can_come\\": true}"\n'
        if kind == "safety" else '{\\"available\\": true}"\nheader = "X-Keizoku-As: m%05d"\n')
out = []
for i in range(1, n + 1):
    out.append(('url = "http://127.0.0.1:%s/v1/incidents/1/%s"\nheader = "Authorization: Bearer %s"\n'
                'header = "Content-Type: application/json"\n'
                'data = "' + body +
                'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"') % (port, kind, tok, i))
print("\nnext\n".join(out))
EOF
}

# Baselines: a one-member check; /healthz worst case while idle; how
# many commits a second this disk allows one after the other (each
# answer over one connection waits for its own: a reply means committed).
t0=$(now_ms); dd if=/dev/zero of="$T/dsync" bs=4k count=200 oflag=dsync 2>/dev/null
base_fsync=$((200 * 1000 / ($(now_ms) - t0)))
start 1
t0=$(now_ms); "$KZ" -s "$T/kz.sock" activate anpi >/dev/null; base_act=$(($(now_ms) - t0))
rm -f "$T/stop"; $PY "$T/poll.py" "$PORT" "$T/stop" >"$T/worst" & ppid_=$!
sleep 2; touch "$T/stop"; wait $ppid_; ppid_=; base_stall=$(cat "$T/worst")
stop

for n in ${KZ_BENCH_SIZES-1000 10000 30000}; do
	run "$n" anpi
	if [ "$n" = 10000 ]; then
		# 10,000 answers over 1, 8, 32 and 64 keep-alive connections
		# at once (answerbench: each connection sends its next answer
		# when the last reply came, as phones do), against the same
		# number of GET /healthz over one connection. A reply means
		# committed: one connection waits for a commit per answer (the
		# O_DSYNC baseline), many share the commit of a loop turn.
		hz=$("$KZ_BUILD/bench/answerbench" "$PORT" "$TOKEN" "$n" 1 /healthz | cut -d' ' -f1)
		for c in 1 8 32 64; do
			set -- $("$KZ_BUILD/bench/answerbench" "$PORT" "$TOKEN" "$n" "$c")
			got=$("$KZ" -s "$T/kz.sock" --json show 1 | jq -r .safety.answered)
			echo "| 10,000 safety answers over $c keep-alive connection(s) at once | $1/s ($2 × 200, $got recorded) | ${hz}/s (GET /healthz, one connection); $base_fsync/s (4 KiB O_DSYNC writes one after the other) | |"
		done
	fi
	stop
done
# An assemble step of N for each N of KZ_BENCH_TEAM (quota N: every
# member called); the 1,000 answers below go to the last of them.
for n in ${KZ_BENCH_TEAM:-1000 10000 30000}; do
	[ -z "$pid" ] || stop
	cat >"$T/runbooks/team.yaml" <<YAML
runbook: team
title: 全員参集
kind: staff-assembly
owner: role:boss
steps:
  - {id: call, title: 参集, type: assemble, with: {roles: {all-staff: $n}, escalate_after: 1h}}
YAML
	run "$n" team
done
# 1,000 answers to the last assemble step, over one connection.
answers 1000 responses >"$T/resp.cfg"
t0=$(now_ms); curl -s -K "$T/resp.cfg" >"$T/codes"; ta=$(($(now_ms) - t0))
ok=$(grep -c '^200$' "$T/codes" || true)
got=$("$KZ" -s "$T/kz.sock" --json show 1 | jq -r '.assembly["all-staff"].available')
echo "| 1,000 answers to an assemble step of $n over one keep-alive connection | $((1000 * 1000 / (ta > 0 ? ta : 1)))/s ($ok × 200, $got recorded) | $base_fsync/s (4 KiB O_DSYNC writes) | |"
stop
