#!/bin/bash
# Issue 5, item 4: the shipped ransomware-response runbook end to end with
# the shipped config, roster and plan: the EDR's RansomwareSuspected alert
# (via Alertmanager) starts it pending; the CSIRT confirms and leads
# containment, evidence and reports; the EDR isolation runs for real
# against a stand-in; the manager approves the restore plan; one exception
# is approved and one refused; backups and the file server are restored;
# the CSIRT closes the incident.
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

sed -i "s|127.0.0.1:8090|127.0.0.1:$STUB|" "$T/ship/runbooks/ransomware-response.yaml"
ship_start || exit 1
AUTH="Authorization: Bearer $KEIZOKU_AM_TOKEN"

# --- the trigger: the EDR's alert through Alertmanager ---
python3 - "$FIX/alertmanager-v4.json" >"$T/edr.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
labels = {"alertname": "RansomwareSuspected", "severity": "critical", "host": "fs01"}
d["groupKey"] = '{}/{severity="critical"}:{alertname="RansomwareSuspected"}'
d["groupLabels"] = {"alertname": "RansomwareSuspected"}
d["commonLabels"] = labels
d["commonAnnotations"] = {"summary": "EDR: mass file encryption on fs01"}
d["alerts"][0].update(labels=labels, fingerprint="edr0000000000001",
    annotations={"description": "EDR: 3,200 files renamed to *.lockbit in 2 minutes"})
print(json.dumps(d))
PY
code=$(post /v1/hooks/alertmanager "$T/edr.json" -H "Authorization: Bearer wrong")
expect_resp "a wrong token is refused" "$code" 401
code=$(post /v1/hooks/alertmanager "$T/edr.json" -H "$AUTH")
expect_resp "RansomwareSuspected starts ransomware-response, and nothing else" "$code" 202 'd' '{"accepted": 1, "incidents": [1]}'
expect_eq "pending for the CSIRT" "$("$KZ" --json show 1 | jget '[d["runbook"], d["state"], d["trigger"]["labels"]["host"]]' | tr -d ' ')" '["ransomware-response","pending","fs01"]'
expect_rc "the it-lead may not confirm a CSIRT runbook" 1 as tanaka confirm 1
act "the CSIRT confirms after a first look" hayashi confirm 1 --note "脅迫文を確認"
expect_eq "containment starts in parallel" "$(states 1 | jget '[k for k, v in d.items() if v != "blocked"]')" '["triage", "isolate", "backup-protect"]'
expect_eq "the backup and file-server clocks run" "$("$KZ" --json show 1 | jget 'sorted([s["id"], s["rto_s"]] for s in d["systems"])' | tr -d ' ')" '[["backup",86400],["file-server",259200]]'

# --- containment and evidence ---
act "triage names the hosts" kimura done 1 triage --note "fs01 pc-0231 pc-0415"
wait_for "the EDR isolation runs (webhook) and is done" 15 step_is 1 edr-isolate done
expect_eq "the EDR got the hosts from the triage note" "$(grep '"/api/isolate"' "$T/stub.log" | head -n 1 | jget 'json.loads(d["body"])' | jget '[d["action"], d["hosts"], d["reason"]]' | tr -d ' ')" '["isolate","fs01pc-0231pc-0415","keizokuincident1"]'
expect_eq "the CISO got the first report" "$(st 1 first-report)" done
check "the first report names the hosts" sh -c "'$KZ' --json show 1 | grep -q '感染が疑われる機器: fs01 pc-0231 pc-0415'"
act "hosts isolated on the switches" matsumoto done 1 isolate --note "スイッチポート3箇所閉塞、電源は維持"
act "backups protected" kato done 1 backup-protect --note "テープ2本を取り出し書込み禁止"
expect_eq "the restore decision waits for the evidence" "$(st 1 decide-restore)" blocked
act "evidence preserved" kimura done 1 evidence --note "メモリ・ディスクイメージ取得、SHA-256 記録"
act "reports to NISC and the police" shimizu done 1 external-report --note "NISC 受付 N-0001、警視庁 相談済"

# --- the restore plan and its exceptions ---
expect_rc "the CSIRT may not approve the restore plan" 1 as kimura approve 1 decide-restore
act "the manager approves the restore plan" tanaka approve 1 decide-restore --note "11/16 週次オフラインバックアップ"
expect_eq "two exceptions are requested" "$(excs 1 | jget 'sorted([e["step"], e["state"]] for e in d)' | tr -d ' ')" '[["exc-clean-pc","requested"],["exc-media","requested"]]'
exc_approve 1 exc-media watanabe "職員同行・暗号化を条件に承認"
act "registered spare machines suffice: the CSIRT skips the other" kimura skip 1 exc-clean-pc --note "登録済みの予備端末を使用"
act "and the deputy CISO refuses the request" watanabe exception reject "$(exc_id 1 exc-clean-pc)" --note "予備端末で対応可能"
expect_eq "one measure active, one rejected" "$(excs 1 | jget 'sorted([e["step"], e["state"]] for e in d)' | tr -d ' ')" '[["exc-clean-pc","rejected"],["exc-media","active"]]'

# --- rebuild and restore ---
act "credentials reset" sato done 1 credentials --note "管理者42件・krbtgt 2回"
act "clean environment built" yamamoto done 1 clean-env
act "backup system verified clean" hayashi done 1 backup-verify --note "IOC 該当なし"
expect_eq "the backup clock stops" "$(recovered 1)" '["backup"]'
act "data restored" kato done 1 restore --note "国会対応フォルダ優先、全体 1.2TB"
act "restored data verified" shimizu done 1 restore-verify
expect_eq "the file server is recovered" "$(recovered 1)" '["backup", "file-server"]'
check "staff are told the restore point" sh -c "'$KZ' --json show 1 | grep -q '復元時点: 11/16 週次オフラインバックアップ'"
act "lessons learnt" kimura done 1 lessons --note "VPN 装置の脆弱性が侵入経路"
expect_eq "every step is done or skipped" "$(states 1 | jget 'sorted(set(d.values()))')" '["done", "skipped"]'
expect_rc "the it-lead may not close a CSIRT incident" 1 as tanaka close 1
act "the CSIRT closes it" kimura close 1 --note "封じ込め・復旧完了"
expect_eq "closed" "$("$KZ" --json show 1 | jget 'd["state"]')" closed
act "the media measure is reverted" kimura exception resolve "$(exc_id 1 exc-media)" --reverted --note "媒体を遠隔地保管庫に返却"
expect_eq "no measure left open" "$(excs open | jget 'len(d)')" 0
log=$("$KZ" --json log 1)
expect_eq "the log records who decided what for whom" "$(echo "$log" | jget '[[e["actor"], e["on_behalf"]] for e in d if e["type"] == "step.approved"][0]' | tr -d ' ')" '["root","tanaka"]'
wait_for "the first report reached the channel" 10 grep -q '第一報・ランサムウェア' "$T/stub.log"
ship_stop
exit $_failed
