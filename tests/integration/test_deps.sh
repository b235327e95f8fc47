#!/bin/bash
# Issue 14, item 13: `make deps` (tests/deps.sh) must not delete a service
# policy (/usr/sbin/policy-rc.d) it did not write: one that was there is
# put back after the install, even when the install fails; one that was
# not is removed. apt-get and dpkg-query are stand-ins on PATH that record
# what the policy said while packages were being installed.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/bin"
cat >"$T/bin/dpkg-query" <<'SH'
#!/bin/sh
# Everything is installed but jq.
case "$*" in *" jq") exit 1 ;; esac
printf 'install ok installed'
SH
cat >"$T/bin/apt-get" <<SH
#!/bin/sh
case "\$*" in *install*)
	cat "\$KZ_POLICY_RC" >"$T/during"
	[ -n "\${FAIL_INSTALL:-}" ] && exit 100 ;;
esac
exit 0
SH
chmod 755 "$T/bin/dpkg-query" "$T/bin/apt-get"
export KZ_POLICY_RC="$T/policy-rc.d" KZ_DEPS_NO_NPM=1
run_deps() { PATH="$T/bin:$PATH" sh "$KZ_TOP/tests/deps.sh" >"$T/out" 2>&1; }

printf '#!/bin/sh\n# the container keeps services down\nexit 101\n' >"$KZ_POLICY_RC"
chmod 750 "$KZ_POLICY_RC"
cp -p "$KZ_POLICY_RC" "$T/orig"
check "deps installs the missing package" run_deps
check "with a policy that refuses service starts in place meanwhile" grep -qx 'exit 101' "$T/during"
check "the policy that was there is back, word for word" cmp -s "$T/orig" "$KZ_POLICY_RC"
expect_eq "with its mode" "$(stat -c %a "$KZ_POLICY_RC")" 750
expect_eq "and nothing left beside it" "$(ls "$T" | grep -c 'keizoku-saved')" 0

FAIL_INSTALL=1
export FAIL_INSTALL
if run_deps; then nok "a failed install fails make deps"; else ok "a failed install fails make deps"; fi
check "and still puts the policy back" cmp -s "$T/orig" "$KZ_POLICY_RC"
unset FAIL_INSTALL

rm -f "$KZ_POLICY_RC"
check "without a policy before" run_deps
check "there is none after" test ! -e "$KZ_POLICY_RC"
exit $_failed
