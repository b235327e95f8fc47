#!/bin/bash
# Issue 5, items 1 and 4: the shipped config, roster, plan and runbooks
# pass keizokud -t exactly as shipped (a golden test); each runbook loads on
# its own; every title is "日本語 / English"; the roster is checked with
# positions (unknown members, roles without members, duplicate ids) and is
# loaded and reloaded with the config (keizoku roster, keizoku reload).
. "$(dirname "$0")/lib.sh"

# The shipped tree, as `make run` sees it: config/ beside runbooks/ and
# build/plugins (a link to the build under test).
mkdir -p "$T/ship/config" "$T/ship/build" "$T/ship/var"
cp "$KZ_TOP"/config/keizokud.yaml "$KZ_TOP"/config/roster.yaml \
    "$KZ_TOP"/config/plan.yaml "$T/ship/config/"
ln -s "$KZ_TOP/runbooks" "$T/ship/runbooks"
ln -s "$KZ_BUILD/plugins" "$T/ship/build/plugins"
CONF=$T/ship/config/keizokud.yaml

expect_rc "without its secrets in the environment the config is refused" 1 \
    env -u KEIZOKU_AM_TOKEN -u KEIZOKU_GRAFANA_SECRET -u KEIZOKU_QUAKE_SECRET "$KZD" -t -c "$CONF"
grep -q "keizokud.yaml:[0-9]*:[0-9]*: environment variable KEIZOKU_QUAKE_SECRET is not set" "$T/out" &&
    ok "and -t names the variable with its position" || nok "-t output: $(cat "$T/out")"
export KEIZOKU_AM_TOKEN="am-demo-token" KEIZOKU_GRAFANA_SECRET="grafana-demo-secret" \
    KEIZOKU_QUAKE_SECRET="whsec_$(printf 'quake-demo-key-0123456789' | base64)" \
    KEIZOKU_WEB_SECRET="web-demo-secret-0123456789"
expect_rc "keizokud -t accepts the shipped config, roster, plan and runbooks" 0 "$KZD" -t -c "$CONF"
expect_eq "with no warning at all" "$(cat "$T/out")" ""
grep -q "ok (7 runbooks)" "$T/err" && ok "-t counts the seven runbooks" || nok "-t stderr: $(cat "$T/err")"

# Each runbook on its own, against the shipped roster, plan and sources
# (with monitoring-lost, which the config's on_silent names).
for rb in "$KZ_TOP"/runbooks/*.yaml; do
	name=$(basename "$rb")
	rm -rf "$T/one"; mkdir -p "$T/one"
	cp "$rb" "$KZ_TOP/runbooks/monitoring-lost.yaml" "$T/one/"
	n=$(ls "$T/one" | wc -l)
	sed "s|^runbooks: .*|runbooks: $T/one|" "$CONF" >"$T/ship/config/one.yaml"
	expect_rc "$name passes keizokud -t alone" 0 "$KZD" -t -c "$T/ship/config/one.yaml"
	grep -q "ok ($n runbooks)" "$T/err" && ok "$name is loaded" || nok "$name: $(cat "$T/out" "$T/err")"
done
rm -f "$T/one"/*.yaml
cp "$KZ_TOP/runbooks/dc-failover.yaml" "$T/one/"
expect_rc "-t refuses the config when on_silent names a runbook not loaded" 1 "$KZD" -t -c "$T/ship/config/one.yaml"
grep -q 'one.yaml:[0-9]*:[0-9]*: on_silent: no runbook "monitoring-lost"' "$T/out" &&
    ok "the on_silent error has the config's position" || nok "-t output: $(cat "$T/out")"

# A runbook that names what the roster does not have is caught.
rm -f "$T/one"/*.yaml
sed 's/role:it-lead/role:nosuch/; s/operator: 2/operator: 2, ghost: 1/' \
    "$KZ_TOP/runbooks/earthquake-assembly.yaml" >"$T/one/earthquake-assembly.yaml"
expect_rc "-t refuses a runbook with an unknown role" 1 "$KZD" -t -c "$T/ship/config/one.yaml"
grep -q 'earthquake-assembly.yaml:[0-9]*:[0-9]*: owner: unknown role "nosuch"' "$T/out" &&
    ok "the unknown owner role has its position" || nok "-t output: $(cat "$T/out")"
grep -q 'earthquake-assembly.yaml:[0-9]*:[0-9]*: unknown role "ghost"' "$T/out" &&
    ok "the unknown assemble role has its position" || nok "-t output: $(cat "$T/out")"

# --- the roster checks of item 1 ---
cp "$CONF" "$T/ship/config/bad.yaml"
sed -i "s|^roster: .*|roster: badroster.yaml|" "$T/ship/config/bad.yaml"
cat >"$T/ship/config/badroster.yaml" <<'YAML'
members:
  - {id: tanaka, name: 田中 太郎}
  - {id: suzuki, name: 鈴木 花子}
  - {id: tanaka, name: 田中 次郎}
roles:
  - {id: it-lead, members: [tanaka, nosuch, suzuki]}
  - {id: empty, members: []}
  - {id: it-lead, members: [suzuki]}
  - {id: nomembers, title: 要員なし}
YAML
expect_rc "-t refuses a broken roster" 1 "$KZD" -t -c "$T/ship/config/bad.yaml"
grep -q 'badroster.yaml:4:10: duplicate member id "tanaka"' "$T/out" &&
    ok "a duplicate member id is reported at its position" || nok "-t output: $(cat "$T/out")"
grep -q 'badroster.yaml:6:37: role "it-lead": unknown member "nosuch"' "$T/out" &&
    ok "an unknown member is reported at its position" || nok "-t output: $(cat "$T/out")"
grep -q 'badroster.yaml:7:26: role "empty" has no members' "$T/out" &&
    ok "a role with an empty member list is reported" || nok "-t output: $(cat "$T/out")"
grep -q 'badroster.yaml:8:10: duplicate role id "it-lead"' "$T/out" &&
    ok "a duplicate role id is reported at its position" || nok "-t output: $(cat "$T/out")"
grep -q 'badroster.yaml:9:5: role "nomembers" has no members' "$T/out" &&
    ok "a role without a members key is reported" || nok "-t output: $(cat "$T/out")"

# --- the shipped setup running: roster, runbooks, titles ---
HTTP_PORT=$(free_port)
sed "s|127.0.0.1:8470|127.0.0.1:$HTTP_PORT|" "$CONF" >"$T/ship/config/run.yaml"
export KEIZOKU_SOCKET="$T/ship/var/keizoku.sock"
KZD_ARGS="-c $T/ship/config/run.yaml"
start_kzd || exit 1
expect_eq "status has no load error" "$("$KZ" --json status | jq -c '.load_errors')" "[]"
expect_eq "the seven runbooks with their kinds" "$("$KZ" --json runbooks | jq -c '[.[] | [.id, .kind, .owner]] | sort' | tr -d ' ')" \
    '[["dc-failover","failover","role:it-lead"],["earthquake-assembly","staff-assembly","role:it-lead"],["earthquake-safety","staff-assembly","role:secretariat"],["monitoring-lost","generic","role:it-lead"],["ransomware-response","security","role:csirt"],["telework-switch","telework","role:it-lead"],["tsunami-coastal","staff-assembly","role:it-lead"]]'
expect_eq "their triggers" "$("$KZ" --json runbooks | jq -c '[.[] | .id as $id | .triggers[] | [$id, .source, .mode]] | sort' | tr -d ' ')" \
    '[["dc-failover","alertmanager","confirm"],["earthquake-assembly","jma","auto"],["earthquake-assembly","jma","auto"],["earthquake-assembly","quake","auto"],["earthquake-assembly","quake","auto"],["earthquake-safety","jma","auto"],["earthquake-safety","quake","auto"],["ransomware-response","alertmanager","confirm"],["telework-switch","grafana","confirm"],["tsunami-coastal","jma","auto"],["tsunami-coastal","jma","confirm"],["tsunami-coastal","quake","auto"],["tsunami-coastal","quake","confirm"]]'
expect_eq "every runbook title is 日本語 / English" "$("$KZ" --json runbooks | jq -c '[.[] | select(.title | test("\\A[^/]*[^\\x00-\\x7f][^/]* / [\\x20-\\x7e]+\\z") | not) | .id]')" "[]"
ro=$("$KZ" --json roster)
expect_eq "keizoku roster: it-lead in order of precedence" "$(echo "$ro" | jq -c '[.roles[] | select(.id == "it-lead") | .members][0]' | tr -d ' ')" '["tanaka","suzuki","takahashi"]'
expect_eq "the secretariat is a proxy role, the others are not" "$(echo "$ro" | jq -c '[.roles[] | select(.proxy) | .id]')" '["secretariat"]'
expect_eq "every role has a primary and a deputy" "$(echo "$ro" | jq -c '[.roles[] | select(.members | length < 2) | .id]')" "[]"
expect_eq "members carry unix users and contacts" "$(echo "$ro" | jq -c '[.members[] | select(.id == "tanaka") | [.unix_user, .contacts[0].channel]][0]' | tr -d ' ')" '["tanaka","ops"]'
check "the roster table shows names" sh -c "'$KZ' roster | grep -q '田中 太郎'"
# Every step of every runbook, seen through a drill of each.
n=0
for rb in earthquake-assembly dc-failover telework-switch ransomware-response tsunami-coastal; do
	n=$((n + 1))
	"$KZ" activate "$rb" --drill >/dev/null
	expect_eq "$rb: every step title is 日本語 / English" "$("$KZ" --json show $n | jq -c '[.steps[] | select(.title | test("\\A[^/]*[^\\x00-\\x7f][^/]* / [\\x20-\\x7e]+\\z") | not) | .id]')" "[]"
	expect_eq "$rb: the drill starts active" "$("$KZ" --json show $n | jq -c '[.state, .drill]' | tr -d ' ')" '["active",true]'
	"$KZ" close $n --note "確認のみ" >/dev/null
done
expect_eq "earthquake-assembly started by hand sends the manual notice" "$("$KZ" --json show 1 | jq -c '[.steps[] | select(.id == "notice" or .id == "notice-manual") | .state]' | tr -d ' ')" '["skipped","done"]'
expect_eq "every drill is closed" "$("$KZ" --json incidents | jq 'length')" 0

# The roster reloads with the config: a new order, then a broken file.
sed -i 's/members: \[tanaka, suzuki, takahashi\]/members: [suzuki, tanaka, takahashi]/' "$T/ship/config/roster.yaml"
expect_rc "keizoku reload" 0 "$KZ" reload
expect_eq "the new order of precedence is in force" "$("$KZ" --json roster | jq -c '[.roles[] | select(.id == "it-lead") | .members][0]' | tr -d ' ')" '["suzuki","tanaka","takahashi"]'
"$KZ" activate earthquake-assembly --drill >/dev/null
expect_eq "a new call-out follows it" "$("$KZ" --json show 6 | jq -c '[.assembly."it-lead".members[].member]')" '["suzuki"]'
printf '  - {id: ghost, members: [nobody]}\n' >>"$T/ship/config/roster.yaml"
expect_rc "reload with a broken roster still answers" 0 "$KZ" reload
expect_eq "status shows the roster error with its position" "$("$KZ" --json status | jq 'any(.load_errors[]; test("roster\\.yaml:\\d+:\\d+: role \"ghost\": unknown member \"nobody\""))')" true
expect_eq "the previous roster stays in force" "$("$KZ" --json roster | jq -c '[.roles[] | select(.id == "it-lead" or .id == "ghost") | [.id, .members[0]]]' | tr -d ' ')" '[["it-lead","suzuki"]]'
nhup=$(grep -c 'reloading ' "$T/kzd.log")
kill -HUP "$KZD_PID"
wait_for "SIGHUP reloads" 10 sh -c "[ \$(grep -c 'reloading ' '$T/kzd.log') -gt $nhup ]"
expect_eq "SIGHUP too keeps it" "$("$KZ" --json roster | jq '.roles | length')" 9

# Every shipped scenario loads; the silence one runs monitoring-lost with
# the trigger on_silent gives it.
expect_eq "drill list has every shipped scenario" "$("$KZ" --json drill list | jq -c '[.scenarios[].id] | sort')" \
    "$(grep -h '^scenario:' "$KZ_TOP"/runbooks/scenarios/*.yaml | awk '{print $2}' | sort | jq -R . | jq -cs .)"
sid=$("$KZ" --json drill start monitoring-silent | jq -r .incident)
expect_eq "monitoring-silent: a drill of monitoring-lost, trigger {source, silent_since}" \
    "$("$KZ" --json show "$sid" | jq -c '[.runbook, .drill, .trigger.source, .trigger.silent_since]')" \
    '["monitoring-lost",true,"alertmanager","2026-11-20T00:05:00Z"]'
expect_rc "and it closes" 0 "$KZ" close "$sid" --note 訓練終了

stop_kzd
expect_eq "SIGTERM exits 0" "$KZD_RC" 0
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/kzd.log"; then
	nok "sanitizer report in the log"
else
	ok "no sanitizer report"
fi
exit $_failed
