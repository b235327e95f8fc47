#!/bin/bash
# Issue 6, item 2: the HTML report is self-contained (no external
# assets), declares UTF-8 and Japanese, and renders in headless Chromium:
# a screenshot is produced, the DOM holds the Japanese title, and it
# prints to PDF. Skipped only where /usr/bin/chromium is missing.
. "$(dirname "$0")/lib.sh"
# stop_checked: SIGTERM, exit 0, and no sanitizer report in the log
# (a SANITIZE=1 build reports leaks at exit).
stop_checked() {
	stop_kzd
	expect_eq "keizokud exits 0 on SIGTERM" "${KZD_RC:-x}" 0
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/kzd.log"; then
		nok "sanitizer report in the log"
		grep -E -A30 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/kzd.log" | head -n 60 | sed 's/^/# /'
	fi
}
CHROMIUM=/usr/bin/chromium
write_config 'exceptions: {approver_role: it-lead}'
cat >"$T/runbooks/h.yaml" <<'YAML'
runbook: quake
title: 首都直下地震 初動対応 / Tokyo earthquake first response
owner: role:it-lead
steps:
  - id: safety
    title: 安否確認 / Safety check
    assign: role:it-lead
    timeout: 30m
  - id: entry
    title: 入室の例外 / Entry exception
    needs: [safety]
    type: exception
    with: {title: 未登録者のサーバ室入室, policy: "物理 3.2", reason: "要員不足 <緊急>", revert_by: 72h}
YAML
KEIZOKU_TEST_CLOCK=2026-11-20T03:12:00Z TZ=JST-9 start_kzd || exit 1
"$KZ" activate quake --drill --note "震度6強 & 停電" >/dev/null
"$KZ" --as tanaka done 1 safety >/dev/null
"$KZ" --as suzuki exception approve 1 >/dev/null
"$KZ" report 1 --format html >"$T/report.html" || nok "report --format html"
check "declares UTF-8" grep -q '<meta charset="utf-8">' "$T/report.html"
check "declares Japanese" grep -q '<html lang="ja">' "$T/report.html"
check "has print styles" grep -q '@media print' "$T/report.html"
check "loads nothing from outside (no src, href, url() or @import)" sh -c "! grep -Eqi 'src=|href=|url\\(|@import' '$T/report.html'"
check "escapes what the runbook and notes said" grep -q '要員不足 &lt;緊急&gt;' "$T/report.html"
check "escapes notes" grep -q '震度6強 &amp; 停電' "$T/report.html"
if [ ! -x "$CHROMIUM" ]; then
	_n=$((_n + 1)); echo "ok $_n # SKIP chromium not installed"
	stop_checked
	exit $_failed
fi
chrome() {
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --no-first-run --user-data-dir="$T/chrome" \
	    --window-size=1200,2000 "$@" "file://$T/report.html"
}
chrome --screenshot="$T/shot.png" >"$T/chrome.log" 2>&1 || nok "chromium exited $?: $(tail -3 "$T/chrome.log")"
check "a screenshot is produced" test -s "$T/shot.png"
dims=$("$PY" - "$T/shot.png" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
ok = b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR"
w, h = struct.unpack(">II", b[16:24]) if ok else (0, 0)
print("%dx%d %s" % (w, h, "big" if len(b) > 30000 else "small"))
PY
)
expect_eq "it is a 1200x2000 PNG with content (not a blank page)" "$dims" "1200x2000 big"
chrome --dump-dom >"$T/dom.html" 2>"$T/chrome.log" || nok "chromium --dump-dom failed"
check "the rendered DOM holds the Japanese title" grep -q '<h1>\[訓練 DRILL\] 事後レビュー / Post-incident review: #1 首都直下地震 初動対応 / Tokyo earthquake first response</h1>' "$T/dom.html"
check "and the drill banner" grep -q '訓練 / DRILL' "$T/dom.html"
expect_eq "every table made it into the DOM" "$(grep -o '<table>' "$T/dom.html" | wc -l)" "$(grep -o '<table>' "$T/report.html" | wc -l)"
chrome --print-to-pdf="$T/report.pdf" --no-pdf-header-footer >"$T/chrome.log" 2>&1 || nok "chromium --print-to-pdf failed"
check "it prints to PDF" sh -c "head -c 5 '$T/report.pdf' | grep -q '%PDF-'"
stop_checked
exit $_failed
