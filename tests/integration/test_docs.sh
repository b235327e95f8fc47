#!/bin/bash
# Issue 14, items 2 and 8: the documentation in the repository describes
# what exists, and everything that exists is documented. Every command and
# flag of keizoku is in keizoku(1) and docs/api.md; every REST route
# docs/api.md lists is served; every metric and label /metrics exports is
# in docs/api.md; every key the loaders accept is in its man page; every
# runbook and scenario the docs name exists, and each shipped runbook has
# a scenario; the man pages render without warnings; nothing points at a
# file outside the repository.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
D=$KZ_TOP/docs
API=$D/api.md

# --- man pages render cleanly ---
for m in "$D"/*.[158]; do
	check "$(basename "$m") renders without warnings" sh -c "groff -k -mandoc -Tutf8 -ww -z '$m' 2>&1 | grep -c . | grep -qx 0"
done

# --- commands and flags ---
cmds=$("$KZ" --help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF { print }' |
    sed -E 's/^  ([a-z_]+( (add|approve|reject|resolve|import|export|check|show|report|start|list))?).*/\1/' | grep -v '^_')
check "keizoku --help lists the commands" test "$(echo "$cmds" | wc -l)" -ge 30
missing1=""; missing2=""; missingf=""
while read -r c; do
	first=${c%% *}
	grep -q "^\.It Cm $first\b" "$D/keizoku.1" || missing1="$missing1 [$c]"
	grep -qF "| \`$c" "$API" || missing2="$missing2 [$c]"
	for f in $("$KZ" help $c | sed -n '/^flags:/,/^$/p' | grep -oE '^  --[a-z-]+' | sed 's/^  --//'); do
		grep -qE "Fl -$f\b" "$D/keizoku.1" || missingf="$missingf [$c --$f]"
	done
done <<EOF
$cmds
EOF
expect_eq "every command is in keizoku(1)" "$missing1" ""
expect_eq "every command is in docs/api.md" "$missing2" ""
expect_eq "every flag is in keizoku(1)" "$missingf" ""

# --- every REST route of docs/api.md is served; /metrics is documented ---
write_config
start_kzd || exit 1
routes=$(grep -oE '^\| `(GET|POST) /[^`]*`' "$API" | sed -E 's/^\| `//; s/`$//')
check "docs/api.md lists the routes" test "$(echo "$routes" | wc -l)" -ge 35
unserved=""
while read -r method path; do
	p=$(echo "$path" | sed -E 's/\{incident\}/1/; s/\{step\}/s/; s/\{id\}/1/; s/\{what\}/tasks/; s/\{source\}/nosuch/')
	code=$(curl -s -o "$T/r" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' "$URL$p")
	if [ "$code" = 404 ] && grep -q 'no such endpoint' "$T/r"; then
		unserved="$unserved [$method $path]"
	fi
done <<EOF
$routes
EOF
expect_eq "keizokud serves every route docs/api.md lists" "$unserved" ""
curl -s "$URL/metrics" >"$T/metrics"
undoc=""
for m in $(grep -oE '^# TYPE [a-z_]+' "$T/metrics" | awk '{print $3}'); do
	grep -qF "\`$m\`" "$API" || undoc="$undoc $m"
done
for l in $(grep -v '^#' "$T/metrics" | grep -oE '[{,][a-z_]+=' | tr -d '{,=' | sort -u); do
	grep -qF "\`$l\`" "$API" || undoc="$undoc label:$l"
done
expect_eq "every metric and label of /metrics is in docs/api.md" "$undoc" ""
stop_kzd

# --- every key the loaders accept is in its man page ---
# keys KEYTABLE... FILE: the names in the C tables of keys.
keys() {
	_f=$1; shift
	for _t in "$@"; do
		awk -v t="$_t" '$0 ~ "const "t"\\[\\] = \\{" { on = 1 } on { print } on && /\};/ { exit }' "$_f"
	done | grep -oE '"[a-z_]+"' | tr -d '"'
}
undoc=""
for k in $(keys "$KZ_TOP/daemon/model/config.c" top_keys control_keys web_keys http_keys tls_keys token_keys source_keys pull_keys auth_keys hmac_keys channel_keys route_keys exc_keys store_keys); do
	grep -qE "Ic $k\b" "$D/keizokud.yaml.5" || undoc="$undoc $k"
done
expect_eq "every configuration key is in keizokud.yaml(5)" "$undoc" ""
undoc=""
for k in $(keys "$KZ_TOP/daemon/model/roster.c" member_keys contact_keys role_keys top_keys); do
	grep -qE "Ic $k\b" "$D/keizoku-roster.5" || undoc="$undoc $k"
done
expect_eq "every roster key is in keizoku-roster(5)" "$undoc" ""
undoc=""
for k in $(keys "$KZ_TOP/daemon/model/scenario.c" top_keys inject_keys); do
	grep -qE "Ic $k\b" "$D/keizoku-scenario.5" || undoc="$undoc $k"
done
expect_eq "every scenario key is in keizoku-scenario(5)" "$undoc" ""
undoc=""
for k in $(keys "$KZ_TOP/daemon/model/runbook.c" top_keys act_keys step_keys retry_keys); do
	grep -qE "Ic $k\b|Ic [a-z_ ,]*\b$k\b" "$D/keizoku-runbook.5" || undoc="$undoc $k"
done
expect_eq "every runbook key is in keizoku-runbook(5)" "$undoc" ""

# --- what the docs name exists ---
rbs=$(ls "$KZ_TOP"/runbooks/*.yaml | xargs -n1 basename | sed 's/\.yaml$//')
scs=$(grep -h '^scenario:' "$KZ_TOP"/runbooks/scenarios/*.yaml | awk '{print $2}')
bad=""
for r in $(grep -ohE 'keizoku activate [a-z0-9][a-z0-9_-]*' "$KZ_TOP/README.md" "$D"/*.1 "$D"/*.5 "$D"/*.8 "$D"/*.md | awk '{print $3}' | sort -u); do
	echo "$rbs" | grep -qx "$r" || bad="$bad $r"
done
expect_eq "every runbook the docs activate is shipped" "$bad" ""
bad=""
for s in $(grep -ohE 'keizoku drill start [a-z0-9][a-z0-9_-]*' "$KZ_TOP/README.md" "$D"/*.1 "$D"/*.5 "$D"/*.8 "$D"/*.md | awk '{print $4}' | sort -u); do
	echo "$scs" | grep -qx "$s" || bad="$bad $s"
done
expect_eq "every scenario the docs start is shipped" "$bad" ""
bad=""
for r in $rbs; do
	grep -qx "runbook: $r" "$KZ_TOP"/runbooks/scenarios/*.yaml 2>/dev/null ||
	    grep -q "^runbook: $r\$" "$KZ_TOP"/runbooks/scenarios/*.yaml || bad="$bad $r"
done
expect_eq "every shipped runbook has a scenario drill" "$bad" ""
check "the scenarios are in Japanese" sh -c "grep -h '^title:' '$KZ_TOP'/runbooks/scenarios/*.yaml | LC_ALL=C.UTF-8 grep -cP '[\\x{3040}-\\x{30ff}\\x{4e00}-\\x{9fff}]' | grep -qx $(echo "$scs" | wc -l)"
bad=$(git -C "$KZ_TOP" grep -n -e '\.\./shared' -e '/work/shared' -- ':!tests/integration/test_docs.sh' ':!tests/integration/test_readme.sh' | head -5)
expect_eq "nothing in the repository points at ../shared" "$bad" ""
exit $_failed
