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

. "$(dirname "$0")/lib-ship.sh"

sed -i "s|127.0.0.1:8090|127.0.0.1:$STUB|" "$T/ship/runbooks/ransomware-response.yaml"
ship_start || exit 1
AUTH="Authorization: Bearer $KEIZOKU_AM_TOKEN"

# --- the trigger: the EDR's alert through Alertmanager ---
"$PY" - "$FIX/alertmanager-v4.json" >"$T/edr.json" <<'PY'
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
expect_resp "RansomwareSuspected starts ransomware-response, and nothing else" "$code" 202 '.' '{"accepted":1,"incidents":[1]}'
expect_eq "pending for the CSIRT" "$("$KZ" --json show 1 | jq -c '[.runbook, .state, .trigger.labels.host]' | tr -d ' ')" '["ransomware-response","pending","fs01"]'
expect_rc "the it-lead may not confirm a CSIRT runbook" 1 as tanaka confirm 1
act "the CSIRT confirms after a first look" hayashi confirm 1 --note "脅迫文を確認"
expect_eq "containment starts in parallel" "$(states 1 | jq -c '[to_entries[] | select(.value != "blocked") | .key]')" '["triage","isolate","backup-protect"]'
expect_eq "the backup and file-server clocks run" "$("$KZ" --json show 1 | jq -c '[.systems[] | [.id, .rto_s]] | sort' | tr -d ' ')" '[["backup",86400],["file-server",259200]]'

# --- containment and evidence ---
act "triage names the hosts" kimura done 1 triage --note "fs01 pc-0231 pc-0415"
wait_for "the EDR isolation runs (webhook) and is done" 15 step_is 1 edr-isolate done
expect_eq "the EDR got the hosts from the triage note" "$(grep '"/api/isolate"' "$T/stub.log" | head -n 1 | jq -c '.body | fromjson | [.action, .hosts, .reason]' | tr -d ' ')" '["isolate","fs01pc-0231pc-0415","keizokuincident1"]'
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
expect_eq "two exceptions are requested" "$(excs 1 | jq -c '[.[] | [.step, .state]] | sort' | tr -d ' ')" '[["exc-clean-pc","requested"],["exc-media","requested"]]'
exc_approve 1 exc-media watanabe "職員同行・暗号化を条件に承認"
act "registered spare machines suffice: the CSIRT skips the other" kimura skip 1 exc-clean-pc --note "登録済みの予備端末を使用"
act "and the deputy CISO refuses the request" watanabe exception reject "$(exc_id 1 exc-clean-pc)" --note "予備端末で対応可能"
expect_eq "one measure active, one rejected" "$(excs 1 | jq -c '[.[] | [.step, .state]] | sort' | tr -d ' ')" '[["exc-clean-pc","rejected"],["exc-media","active"]]'

# --- rebuild and restore ---
act "credentials reset" sato done 1 credentials --note "管理者42件・krbtgt 2回"
act "clean environment built" yamamoto done 1 clean-env
act "backup system verified clean" hayashi done 1 backup-verify --note "IOC 該当なし"
expect_eq "the backup clock stops" "$(recovered 1)" '["backup"]'
act "data restored" kato done 1 restore --note "国会対応フォルダ優先、全体 1.2TB"
act "restored data verified" shimizu done 1 restore-verify
expect_eq "the file server is recovered" "$(recovered 1)" '["backup","file-server"]'
check "staff are told the restore point" sh -c "'$KZ' --json show 1 | grep -q '復元時点: 11/16 週次オフラインバックアップ'"
act "lessons learnt" kimura done 1 lessons --note "VPN 装置の脆弱性が侵入経路"
expect_eq "every step is done or skipped" "$(states 1 | jq -c '[.[]] | unique')" '["done","skipped"]'
expect_rc "the it-lead may not close a CSIRT incident" 1 as tanaka close 1
act "the CSIRT closes it" kimura close 1 --note "封じ込め・復旧完了"
expect_eq "closed" "$("$KZ" --json show 1 | jq -r '.state')" closed
act "the media measure is reverted" kimura exception resolve "$(exc_id 1 exc-media)" --reverted --note "媒体を遠隔地保管庫に返却"
expect_eq "no measure left open" "$(excs open | jq 'length')" 0
log=$("$KZ" --json log 1)
expect_eq "the log records who decided what for whom" "$(echo "$log" | jq -c '[.[] | select(.type == "step.approved") | [.actor, .on_behalf]][0]' | tr -d ' ')" '["root","tanaka"]'
wait_for "the first report reached the channel" 10 grep -q '第一報・ランサムウェア' "$T/stub.log"
ship_stop
exit $_failed
