#!/bin/bash
# Issue 14, item 2: every command of README.md works from a clean clone.
# The tree a clone has (config/, runbooks/, examples/ as in git) is
# copied to $T/clone with the built binaries beside it; keizokud starts
# there as `make run` starts it (the command is taken from `make -n run`,
# so a change to make run is a change here); then every ```sh block of
# the README after the first (make run, make test) runs in order, one
# command at a time in one shell, with only the port changed. A README
# that drifts from the code fails here.
. "$(dirname "$0")/lib.sh"
PORT=$(free_port)
C=$T/clone
mkdir -p "$C/build"
for d in config runbooks examples; do
	git -C "$KZ_TOP" ls-files -- "$d" | while read -r f; do
		mkdir -p "$C/$(dirname "$f")"
		cp "$KZ_TOP/$f" "$C/$f"
	done
done
ln -s "$KZ_BUILD/keizokud" "$KZ_BUILD/keizoku" "$C/build/"
ln -s "$KZ_BUILD/plugins" "$C/build/plugins"
check "the clone has the sample payloads the README posts" test -s "$C/examples/alertmanager-v4.json"
check "and the scenarios it starts" test -s "$C/runbooks/scenarios/tokyo-quake.yaml"
check "the README points at nothing outside the repository" sh -c "! grep -n '\.\./shared\|/work/' '$KZ_TOP/README.md'"
sed -i "s|127.0.0.1:8470|127.0.0.1:$PORT|" "$C/config/keizokud.yaml"

# keizokud as make run starts it, in the clone.
runline=$(make -s -n -C "$KZ_TOP" run BUILD=build 2>/dev/null | grep 'build/keizokud -c config/keizokud.yaml$')
check "make run starts build/keizokud on config/keizokud.yaml" test -n "$runline"
(cd "$C" && mkdir -p var && eval "exec env $runline" >>"$T/kzd.log" 2>&1) &
KZD_PID=$!
_pids="$_pids $KZD_PID"
for _i in $(seq 200); do
	"$KZ" -s "$C/var/keizoku.sock" status >/dev/null 2>&1 && break
	sleep 0.05
done
expect_rc "keizokud answers on ./var/keizoku.sock" 0 "$KZ" -s "$C/var/keizoku.sock" status

# The README's commands: every line of every ```sh block but the first,
# continuation lines joined; the port is the test's.
awk -v port="$PORT" '
	/^```sh$/ { inblock = 1; blocks++; next }
	/^```$/ { inblock = 0; next }
	inblock && blocks > 1 {
		gsub(/127\.0\.0\.1:8470/, "127.0.0.1:" port)
		if (cont != "") { $0 = cont " " $0; cont = "" }
		if ($0 ~ /\\$/) { sub(/\\$/, ""); cont = $0; next }
		if ($0 ~ /^[ \t]*(#|$)/) next
		n++
		f = sprintf("%s/cmd.%03d", dir, n)
		print > f
		close(f)
	}
' dir="$T" "$KZ_TOP/README.md"
ncmd=$(ls "$T"/cmd.* 2>/dev/null | wc -l)
check "the README has a tour to run" test "$ncmd" -ge 20
cat >"$T/run.sh" <<'SH'
cd "$1"
for f in "$2"/cmd.*; do
	echo "+ $(cat "$f")" >>"$2/readme.out"
	if ! . "$f" >>"$2/readme.out" 2>&1; then
		echo "$(cat "$f")" >>"$2/failed"
	fi
done
SH
bash "$T/run.sh" "$C" "$T"
if [ -s "$T/failed" ]; then
	nok "every README command succeeds; these failed:"
	sed 's/^/#   /' "$T/failed"
	sed 's/^/# /' "$T/readme.out" | tail -n 40
else
	ok "every README command succeeds ($ncmd commands)"
fi

# What they did.
kz() { "$KZ" -s "$C/var/keizoku.sock" "$@"; }
expect_eq "the tour's incident is closed with its note" "$(kz --json show 1 | jq -r '.state')" closed
check "its report was written" test -s "$C/report.html"
expect_eq "sato's check went to ito, who finished it" "$(kz --json show 1 | jq -r '.steps[] | select(.id == "server-room") | "\(.state) \(.done_by)"')" "done ito"
expect_eq "the Alertmanager sample started dc-failover, confirmed by tanaka" "$(kz --json show 2 | jq -r '.runbook + " " + .state')" "dc-failover active"
expect_eq "tokyo-quake is incident 3, a drill" "$(kz --json show 3 | jq -r '"\(.runbook) \(.drill)"')" "earthquake-assembly true"
kill -TERM "$KZD_PID" 2>/dev/null
wait "$KZD_PID" 2>/dev/null
expect_eq "keizokud stops cleanly" "$?" 0
check "no sanitizer report in the daemon's log" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' '$T/kzd.log'"
exit $_failed
