#!/bin/bash
# Issue 17: the shipped tree with its jma source switched on (pointed at a
# local stand-in for JMA's feed): a 震度6弱 report from JMA starts the
# shipped earthquake-assembly, P2P's relay of an aftershock joins it
# (key earthquake), a tsunami advisory for the site's coast asks the IT
# lead to confirm tsunami-coastal, and a 訓練 warning starts only a
# drill. As shipped (enabled: false) the source is not polled at all.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
. "$(dirname "$0")/lib-ship.sh"
# The same reports also start earthquake-safety (安否確認), which has its
# own test (test_safety_scale): this one follows the other runbooks alone.
rm -f "$T/ship/runbooks/earthquake-safety.yaml"
. "$(dirname "$0")/lib-jma.sh"

write_feed feed.xml
write_feed long.xml
# As shipped: the source is there, nothing is polled.
ship_start || exit 1
expect_eq "as shipped, the jma feed is configured but not polled" \
    "$(feed '[.enabled, .polls] | @tsv')" "false	0"
stop_kzd
expect_eq "no request reached the feed" "$(wc -l <"$S/requests.log")" 0

sed -i "s|https://www.data.jma.go.jp/developer/xml/feed/eqvol.xml|$BASE/feed.xml|; s|https://www.data.jma.go.jp/developer/xml/feed/eqvol_l.xml|$BASE/long.xml|; s|interval: 60s|interval: 1s|; s|    enabled: false|    enabled: true|" "$T/ship/config/keizokud.yaml"
export KEIZOKU_TEST_CLOCK=2026-11-20T00:00:00Z
ship_start || exit 1
wait_for "the feed is polled once enabled" 20 polled_ok

publish 20090811050900_0_VXSE51_010000.xml 32-35_01_01_100806_VXSE51.xml 2026-11-19T23:50:00Z 震度速報
wait_for "the 震度6弱 report is taken" 20 docs_settled 1
expect_eq "it started earthquake-assembly, for real" \
    "$("$KZ" --json incidents | jq -r '[.[] | "\(.runbook):\(.state):\(.drill)"] | join(",")')" \
    "earthquake-assembly:active:false"
expect_eq "the notice names the JMA report (maxScale 55)" \
    "$("$KZ" --json show 1 | jq -r '[.steps[] | select(.id == "notice") | .state][0]')/$("$KZ" --json show 1 | jq -r .trigger.earthquake.maxScale)" "done/55"
# P2P relays another strong quake within the day: the open incident.
jq '.earthquake.time = "2026/11/20 08:55:00"' "$KZ_TOP/tests/fixtures/hooks/p2pquake-551.json" >"$T/q.json"
_ts=$(date +%s)
st=$(post /v1/hooks/quake "$T/q.json" -H "webhook-id: msg-jma-1" -H "webhook-timestamp: $_ts" \
    -H "webhook-signature: $($SIGN stdwh "$KEIZOKU_QUAKE_SECRET" msg-jma-1 "$_ts" "$T/q.json")")
expect_eq "P2P's report of an aftershock joins the JMA-started incident" \
    "$st $(jq -c .incidents "$T/resp" 2>/dev/null || cat "$T/resp")" "202 [1]"

publish 20110311145000_0_VTSE41_010000.xml 32-39_11_02_250206_VTSE41.xml 2026-11-19T23:55:00Z 津波警報・注意報・予報a
wait_for "the tsunami warning is taken" 20 docs_settled 2
expect_eq "an advisory on 相模湾・三浦半島: tsunami-coastal waits for the IT lead" \
    "$("$KZ" --json incidents | jq -r '[.[] | select(.runbook == "tsunami-coastal") | .state] | join(",")')" "pending"
publish 20160901071000_0_VTSE41_010000.xml 32-39_13_02_250206_VTSE41.xml 2026-11-19T23:56:00Z 津波警報・注意報・予報a
wait_for "a 訓練 tsunami warning is taken" 20 docs_settled 3
expect_eq "it started a drill of tsunami-coastal, apart from the real one" \
    "$("$KZ" --json incidents | jq -r '[.[] | select(.runbook == "tsunami-coastal") | "\(.state):\(.drill)"] | join(",")')" \
    "pending:false,pending:true"
ship_stop
exit $_failed
