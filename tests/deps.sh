#!/bin/sh
# Installs the Debian packages keizoku needs to build and test, if any are
# missing. Idempotent: a no-op when everything is present.
set -e
PKGS="build-essential pkg-config clang libevent-dev libcurl4-openssl-dev
libsqlite3-dev libyaml-dev libjansson-dev libssl-dev libcmocka-dev
sqlite3 python3 curl openssl util-linux procps prometheus-alertmanager
libxml2-dev
chromium fonts-noto-cjk valgrind"
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
echo "make deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# Alertmanager's package would start a system service; tests start their own.
$SUDO sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d'
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
$SUDO rm -f /usr/sbin/policy-rc.d
