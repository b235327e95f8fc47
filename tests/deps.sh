#!/bin/sh
# Installs the Debian packages keizoku needs to build and test, if any are
# missing. Idempotent: a no-op when everything is present.
#
# For tests of this script: KZ_POLICY_RC (default /usr/sbin/policy-rc.d)
# is where the service policy goes, KZ_DEPS_NO_NPM=1 leaves npm alone;
# dpkg-query and apt-get are taken from PATH.
set -e
PKGS="build-essential pkg-config clang libevent-dev libcurl4-openssl-dev
libsqlite3-dev libyaml-dev libjansson-dev libssl-dev libcmocka-dev
sqlite3 python3 curl openssl util-linux procps prometheus-alertmanager
libxml2-dev libical-dev python3-icalendar
chromium fonts-noto-cjk valgrind python3-aiosmtpd jq groff-base
libpq-dev postgresql-15 patroni etcd-server wrk libmimalloc-dev"
POLICY=${KZ_POLICY_RC:-/usr/sbin/policy-rc.d}
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
# Node and npm for the browser tests (tests/package.json): Debian's, unless
# a node is already there (a NodeSource node brings its own npm).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
top=$(cd "$(dirname "$0")" && pwd)
# puppeteer-core for the browser tests, exactly as locked; it drives
# Debian's chromium and downloads no browser.
npm_deps() {
	[ -n "${KZ_DEPS_NO_NPM:-}" ] && return 0
	stamp="$top/node_modules/.keizoku-lock"
	if [ -f "$stamp" ] && cmp -s "$stamp" "$top/package-lock.json"; then
		return 0
	fi
	echo "make deps: npm ci in tests/"
	(cd "$top" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund \
	    --loglevel=error) && cp "$top/package-lock.json" "$stamp"
}
if [ -z "$missing" ]; then
	npm_deps
	exit 0
fi
echo "make deps: installing$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# Alertmanager's package would start a system service; tests start their
# own. A policy already there (a container's, an administrator's) is kept
# aside and put back afterwards, whatever happens.
saved=""
restore() {
	if [ -n "$saved" ]; then
		$SUDO cp -p "$saved" "$POLICY"
		$SUDO rm -f "$saved"
	else
		$SUDO rm -f "$POLICY"
	fi
}
if [ -e "$POLICY" ]; then
	saved="$POLICY.keizoku-saved.$$"
	$SUDO cp -p "$POLICY" "$saved"
fi
trap restore EXIT
trap 'exit 1' INT TERM HUP
$SUDO sh -c 'printf "#!/bin/sh\nexit 101\n" > "$1"; chmod 755 "$1"' sh "$POLICY"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
restore
trap - EXIT
npm_deps
