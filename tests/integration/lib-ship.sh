# The prologue of the shipped-runbook flow tests (test_runbooks_*.sh):
# the shipped tree copied to $T/ship with only ports and automation
# targets changed, and helpers to drive it. Sourced after lib.sh.
# --- the shipped tree in $T/ship (the same prologue in each flow test) ---
# config/, runbooks/ and build/plugins as `make run` sees them; only the
# ports and the automation targets are pointed at a stub in $T.
export KEIZOKU_AM_TOKEN="am-demo-token" KEIZOKU_GRAFANA_SECRET="grafana-demo-secret" \
    KEIZOKU_QUAKE_SECRET="whsec_$(printf 'quake-demo-key-0123456789' | base64)" \
    KEIZOKU_WEB_SECRET="web-demo-secret-0123456789"
mkdir -p "$T/ship/config" "$T/ship/build" "$T/ship/var"
cp "$KZ_TOP"/config/*.yaml "$T/ship/config/"
cp -r "$KZ_TOP/runbooks" "$T/ship/runbooks"
ln -s "$KZ_BUILD/plugins" "$T/ship/build/plugins"
# The shipped rota (A班 and B班 by the week) starts A班's week an hour
# ago: the flows run on the real clock and see A班 (the primaries) on
# turn whatever the date; test_rota_* test the turns themselves.
sed -i "s|^    start: \"2026-04-06T09:00:00+09:00\"|    start: \"$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)\"|" "$T/ship/config/roster.yaml"
grep -q "start: \"$(date -u +%Y-%m-%d)\|start: \"$(date -u -d '-1 hour' +%Y-%m-%d)" "$T/ship/config/roster.yaml" ||
	echo "# lib-ship.sh: the shipped rota's start was not moved" >&2
# The stub answers every request 200 and logs it as a JSON line.
cat >"$T/stub.py" <<'PY'
import http.server, json, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace")
        with open(sys.argv[2], "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "body": body}, ensure_ascii=False) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    do_GET = do_POST = do_PUT = answer
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
PY
"$PY" "$T/stub.py" "$T/stub.port" "$T/stub.log" &
_pids="$_pids $!"
wait_file "$T/stub.port"
STUB=$(cat "$T/stub.port")
sed -i "s|127.0.0.1:8470|127.0.0.1:$HTTP_PORT|; s|127.0.0.1:9000|127.0.0.1:$STUB|" "$T/ship/config/keizokud.yaml"
export KEIZOKU_SOCKET="$T/ship/var/keizoku.sock"
KZD_ARGS="-c $T/ship/config/keizokud.yaml"
# ship_start: starts keizokud on the shipped tree.
ship_start() {
	start_kzd || return 1
	expect_eq "the shipped setup loads without error" "$("$KZ" --json status | jq -c '.load_errors')" "[]"
}
# ship_stop: SIGTERM, a clean exit and a clean log.
ship_stop() {
	expect_rc "the audit chain verifies" 0 "$KZ" verify
	stop_kzd
	expect_eq "SIGTERM exits 0" "$KZD_RC" 0
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/kzd.log"; then
		nok "sanitizer report in the log"
	else
		ok "no sanitizer report"
	fi
}
# as MEMBER args...: root (an admin) acts on behalf of a roster member.
as() { _m=$1; shift; "$KZ" --as "$_m" "$@"; }
# act "what" MEMBER ARGS...: a command on behalf of MEMBER that must succeed.
act() { _w=$1; shift; expect_rc "$_w" 0 as "$@"; }
st() { "$KZ" --json show "$1" | jq -r --arg s "$2" '[.steps[] | select(.id == $s) | .state][0]'; }
step_is() { [ "$(st "$1" "$2")" = "$3" ]; }
# states INC: {step id: state}, in the runbook's order.
states() { "$KZ" --json show "$1" | jq -c '[.steps[] | {(.id): .state}] | add'; }
note() { "$KZ" --json show "$1" | jq -r --arg s "$2" '[.steps[] | select(.id == $s) | .note][0]'; }
answers() { "$KZ" --json show "$1" | jq -c --arg r "$2" '[.assembly[$r].members[] | .member + ":" + .answer]' | tr -d ' '; }
recovered() { "$KZ" --json show "$1" | jq -c '[.systems[] | select(.recovered_at) | .id] | sort'; }
# Exception measures (SPEC §7). excs INC|open: the list; exc_id INC STEP:
# the measure a step requested; exc_approve INC STEP MEMBER NOTE: a member
# of the approver role (ciso) approves it, which finishes the step.
excs() {
	if [ "$1" = open ]; then "$KZ" --json exceptions --open
	else "$KZ" --json exceptions --incident "$1"; fi
}
exc_id() { excs "$1" | jq -r --arg s "$2" '[.[] | select(.step == $s) | .id][0]'; }
exc_approve() { act "$3 (CISO) approves the measure of $2" "$3" exception approve "$(exc_id "$1" "$2")" --note "$4"; }
# --- end of the prologue ---
