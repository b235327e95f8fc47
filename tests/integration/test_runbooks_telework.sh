#!/bin/bash
# Issue 5, item 4: the shipped telework-switch runbook end to end with the
# shipped config, roster and plan, from both of its triggers: a signed
# Grafana VPNCapacityLow alert (pending until the manager confirms) and a
# manual activation for a pandemic (cause=pandemic adds the shift teams).
# Every step is driven with the real CLI, the VPN probe runs for real
# against a stand-in, the BYOD exception is approved and later reverted.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
FIX=$KZ_TOP/tests/fixtures/hooks

# --- the shipped tree in $T/ship (the same prologue in each flow test) ---
# config/, runbooks/ and build/plugins as `make run` sees them; only the
# ports and the automation targets are pointed at a stub in $T.
export KEIZOKU_AM_TOKEN="am-demo-token" KEIZOKU_GRAFANA_SECRET="grafana-demo-secret" \
    KEIZOKU_QUAKE_SECRET="whsec_$(printf 'quake-demo-key-0123456789' | base64)"
mkdir -p "$T/ship/config" "$T/ship/build" "$T/ship/var"
cp "$KZ_TOP"/config/*.yaml "$T/ship/config/"
cp -r "$KZ_TOP/runbooks" "$T/ship/runbooks"
ln -s "$KZ_BUILD/plugins" "$T/ship/build/plugins"
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
python3 "$T/stub.py" "$T/stub.port" "$T/stub.log" &
_pids="$_pids $!"
_i=0; while [ ! -s "$T/stub.port" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
STUB=$(cat "$T/stub.port")
sed -i "s|127.0.0.1:8470|127.0.0.1:$HTTP_PORT|; s|127.0.0.1:9000|127.0.0.1:$STUB|" "$T/ship/config/keizokud.yaml"
export KEIZOKU_SOCKET="$T/ship/var/keizoku.sock"
KZD_ARGS="-c $T/ship/config/keizokud.yaml"
# ship_start: starts keizokud on the shipped tree.
ship_start() {
	start_kzd || return 1
	expect_eq "the shipped setup loads without error" "$("$KZ" --json status | jget 'd["load_errors"]')" "[]"
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
st() { "$KZ" --json show "$1" | jget "[s['state'] for s in d['steps'] if s['id'] == '$2'][0]"; }
step_is() { [ "$(st "$1" "$2")" = "$3" ]; }
states() { "$KZ" --json show "$1" | jget "{s['id']: s['state'] for s in d['steps']}"; }
note() { "$KZ" --json show "$1" | jget "[s['note'] for s in d['steps'] if s['id'] == '$2'][0]"; }
answers() { "$KZ" --json show "$1" | jget "[m['member'] + ':' + m['answer'] for m in d['assembly']['$2']['members']]" | tr -d ' '; }
recovered() { "$KZ" --json show "$1" | jget "sorted(s['id'] for s in d['systems'] if s['recovered_at'])"; }
# Exception measures (SPEC §7). excs INC|open: the list; exc_id INC STEP:
# the measure a step requested; exc_approve INC STEP MEMBER NOTE: a member
# of the approver role (ciso) approves it, which finishes the step.
excs() {
	if [ "$1" = open ]; then "$KZ" --json exceptions --open
	else "$KZ" --json exceptions --incident "$1"; fi
}
exc_id() { excs "$1" | jget "[e['id'] for e in d if e['step'] == '$2'][0]"; }
exc_approve() { act "$3 (CISO) approves the measure of $2" "$3" exception approve "$(exc_id "$1" "$2")" --note "$4"; }
# --- end of the prologue ---

sed -i "s|127.0.0.1:8443|127.0.0.1:$STUB|" "$T/ship/runbooks/telework-switch.yaml"
ship_start || exit 1

# drive INC: takes a confirmed telework incident through every step.
drive() {
	_i=$1
	expect_eq "#$_i: the decision comes first" "$(states "$_i" | jget '[k for k, v in d.items() if v != "blocked"]')" '["decide"]'
	act "#$_i: tanaka decides the scope" tanaka approve "$_i" decide --note "全部署、2週間、同時2,000人"
	wait_for "#$_i: the VPN concentrator answers (http_check)" 15 step_is "$_i" vpn-status done
	act "#$_i: licences checked" sato done "$_i" licences --note "VPN 1,500 / 必要 2,000、予備 600"
	act "#$_i: load checked" matsumoto done "$_i" capacity --note "回線使用率 85%、CPU 70%"
	expect_eq "#$_i: the BYOD exception is requested" "$(excs "$_i" | jget '[[e["step"], e["state"]] for e in d]' | tr -d ' ')" '[["exc-byod","requested"]]'
	exc_approve "$_i" exc-byod kobayashi "仮想デスクトップ経由に限り承認"
	act "#$_i: capacity added" inoue done "$_i" expand --note "予備ライセンス600適用、分割トンネル設定"
	expect_eq "#$_i: staff are told" "$(st "$_i" staff-notice)" done
	act "#$_i: remote access tested" ito done "$_i" verify --note "12部署で接続確認、同時 2,050"
	expect_eq "#$_i: vpn and webconf are recovered" "$(recovered "$_i")" '["vpn", "webconf"]'
	act "#$_i: helpdesk open" sasaki done "$_i" helpdesk --note "問合せ窓口 内線 1234"
	expect_eq "#$_i: the report is sent" "$(st "$_i" report)" done
	check "#$_i: the report carries the test result" sh -c "'$KZ' --json show $_i | grep -q '接続試験: 12部署で接続確認'"
	act "#$_i: the review ends it" tanaka done "$_i" review --note "対策本部が終了を決定"
}

# --- from Grafana: VPNCapacityLow, signed, confirm mode ---
now=$(date +%s)
sig=$($SIGN hmac "$KEIZOKU_GRAFANA_SECRET" "$now" "$FIX/grafana-v1.json")
code=$(post /v1/hooks/grafana "$FIX/grafana-v1.json" -H "X-Grafana-Alerting-Signature-Timestamp: $now" -H "X-Grafana-Alerting-Signature: 0$sig")
expect_resp "a forged Grafana signature is refused" "$code" 401
code=$(post /v1/hooks/grafana "$FIX/grafana-v1.json" -H "X-Grafana-Alerting-Signature-Timestamp: $now" -H "X-Grafana-Alerting-Signature: $sig")
expect_resp "VPNCapacityLow starts telework-switch" "$code" 202 'd' '{"accepted": 1, "incidents": [1]}'
expect_eq "pending until confirmed" "$("$KZ" --json show 1 | jget '[d["runbook"], d["state"]]' | tr -d ' ')" '["telework-switch","pending"]'
expect_rc "the CSIRT may not confirm it" 1 as kimura confirm 1
act "takahashi (second deputy it-lead) confirms" takahashi confirm 1 --note "テレワーク実施中の容量逼迫"
drive 1
expect_eq "#1: the capacity case skips the shift teams" "$("$KZ" --json show 1 | jget '[[s["state"], s["note"]] for s in d["steps"] if s["id"] == "shift-teams"][0]' | tr -d ' ')" '["skipped","when:conditionnotmet"]'
expect_eq "#1: every step is done or skipped" "$(states 1 | jget 'sorted(set(d.values()))')" '["done", "skipped"]'
act "tanaka closes #1" tanaka close 1 --note "容量拡張完了"

# --- a pandemic: activated by hand with cause=pandemic ---
out=$(as tanaka --json activate telework-switch --var cause=pandemic --var attendance=30% --note "対策本部決定 第3号")
expect_eq "a manual activation starts at once" "$(echo "$out" | jget '[d["incident"], d["state"]]' | tr -d ' ')" '[2,"active"]'
drive 2
expect_eq "#2: the shift teams are due" "$(st 2 shift-teams)" ready
act "#2: shift teams formed" tanaka done 2 shift-teams --note "A班・B班の週交代、委託先は在宅待機"
expect_eq "#2: every step is done" "$(states 2 | jget 'sorted(set(d.values()))')" '["done"]'
check "#2: the staff notice carries the attendance target" sh -c "'$KZ' --json show 2 | grep -q '出勤率の目標: 30%'"
act "tanaka closes #2" tanaka close 2 --note "流行終息"
expect_eq "both BYOD measures stay open after the close" "$(excs open | jget '[[e["incident"], e["state"]] for e in d]' | tr -d ' ')" '[[1,"active"],[2,"active"]]'
act "the first is reverted" tanaka exception resolve "$(exc_id 1 exc-byod)" --reverted --note "貸与端末を配布し私物端末の利用を停止"
act "the second is adopted as a standing rule" kobayashi exception resolve "$(exc_id 2 exc-byod)" --adopted --note "テレワーク規程に私物端末利用の条件として追加"
expect_eq "none is left open" "$(excs open | jget 'len(d)')" 0
wait_for "the staff notice reached the channel" 10 grep -q 'テレワーク】#2' "$T/stub.log"
ship_stop
exit $_failed
