# Shared helpers for integration tests: each test sources this, starts its
# own keizokud on a private directory, drives it with the real binaries,
# and prints "ok N - what" / "not ok N - what" lines.
set -u
: "${KZ_BUILD:?set KZ_BUILD (make test does)}"
: "${KZ_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
KZD="$KZ_BUILD/keizokud"
KZ="$KZ_BUILD/keizoku"
T=$(mktemp -d /tmp/kz-it.XXXXXX)
chmod 755 "$T"
export KEIZOKU_SOCKET="$T/keizoku.sock"
unset KEIZOKU_URL KEIZOKU_TOKEN
_n=0
_failed=0
_pids=""

ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
nok() { _n=$((_n + 1)); _failed=1; echo "not ok $_n - $*"; }
# check "what" command...: ok when the command succeeds.
check() { _w=$1; shift; if "$@"; then ok "$_w"; else nok "$_w"; fi; }
# expect_eq "what" actual expected
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1: got '$2', want '$3'"; fi
}
# expect_rc "what" rc command...: the command exits with rc.
expect_rc() {
	_w=$1; _want=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; _rc=$?
	if [ "$_rc" -eq "$_want" ]; then ok "$_w"; else
		nok "$_w: exit $_rc, want $_want; stderr: $(head -c 300 "$T/err")"; fi
}
# Python for the servers and scripts the tests start: /usr/bin/python3
# starts fast, where python3 on PATH may be a slow shim (pyenv).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# A free TCP port on 127.0.0.1, without starting a process: a random one
# below the kernel's ephemeral range (so that no outgoing connection
# takes it meanwhile), that no socket uses now and that this test has
# not handed out before. Other suites may run at the same time.
free_port() {
	while :; do
		_p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		grep -qx "$_p" "$T/.ports" 2>/dev/null && continue
		grep -q ":$(printf %04X "$_p") " /proc/net/tcp /proc/net/tcp6 \
		    2>/dev/null && continue
		echo "$_p" >>"$T/.ports"
		echo "$_p"
		return 0
	done
}
# Deprecated, do not use: JSON is read with jq (jq -r '.field'). Kept
# only so that tests written against it still run.
jget() { "$PY" -c "import json,sys; d=json.load(sys.stdin); v=$1; print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)"; }
# advance D: moves the test clock (KEIZOKU_TEST_CLOCK) by D; keizokud runs
# everything that fell due before it replies.
advance() { "$KZ" _clock --advance "$1" >/dev/null || nok "_clock --advance $1"; }
# clock_now: the daemon's test clock (RFC 3339); clock_plus TIME SECONDS:
# a later time, to restart keizokud with after a kill (time it was down).
clock_now() { "$KZ" --json _clock --advance 0s | jq -r .now; }
clock_plus() { date -u -d "@$(($(date -u -d "$1" +%s) + $2))" +%Y-%m-%dT%H:%M:%SZ; }
# outbox_idle: waits (up to 20s) until no notification is pending, that
# is, until every one queued so far has reached its receiver (or died).
outbox_idle() {
	_oe=$((SECONDS + 20))
	while [ "$SECONDS" -le "$_oe" ]; do
		[ "$("$KZ" --json notifications --pending | jq length)" = 0 ] && return 0
		sleep 0.05
	done
	nok "notifications still pending after 20s"
	return 1
}
# wait_file FILE: waits (up to 20s) for a server's ready file, not empty.
wait_file() {
	_i=0
	while [ ! -s "$1" ] && [ $_i -lt 400 ]; do sleep 0.05; _i=$((_i + 1)); done
	[ -s "$1" ]
}

# write_config [extra yaml appended]: a config in $T using $T/runbooks,
# $T/roster.yaml (written if absent) and the built plugins.
write_config() {
	mkdir -p "$T/runbooks" "$T/state"
	[ -f "$T/roster.yaml" ] || cat >"$T/roster.yaml" <<'YAML'
members:
  - {id: tanaka, name: 田中 太郎, unix_user: "1101"}
  - {id: suzuki, name: 鈴木 花子, unix_user: "1102"}
  - {id: sato, name: 佐藤 次郎, unix_user: "1103"}
  - {id: yamada, name: 山田 事務, unix_user: "1104"}
  - {id: ito, name: 伊藤 一郎, unix_user: "1105"}
roles:
  - {id: it-lead, title: 情報システム責任者, members: [tanaka, suzuki, sato]}
  - {id: operator, title: 担当者, members: [sato, ito]}
  - {id: secretariat, title: 事務局, members: [yamada], proxy: true}
YAML
	cat >"$T/keizokud.yaml" <<YAML
state_dir: state
runbooks: runbooks
plugins: $KZ_BUILD/plugins
roster: roster.yaml
admins: [root]
control: {socket: keizoku.sock, mode: "0666"}
http: {listen: "${KZ_HTTP_LISTEN:-}"}
${KZ_STORE_YAML:-}
${1:-}
YAML
}

# start_kzd: starts keizokud in the background, waits for its socket.
start_kzd() {
	# KZ_VALGRIND=1: run the daemon under valgrind; errors and leaks are
	# reported in the log and make stop_kzd's exit status non-zero.
	if [ "${KZ_VALGRIND:-}" = 1 ]; then
		# Memcheck brings its own malloc and cannot take over
		# mimalloc's (the Makefile's default for keizokud): the same
		# objects linked on libc's, which make test builds, run here.
		_vkzd=$KZD
		[ -x "$KZ_BUILD/keizokud-libc" ] && _vkzd=$KZ_BUILD/keizokud-libc
		valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		    "$_vkzd" -c "$T/keizokud.yaml" ${KZD_ARGS:-} >>"$T/kzd.log" 2>&1 &
	else
		"$KZD" -c "$T/keizokud.yaml" ${KZD_ARGS:-} >>"$T/kzd.log" 2>&1 &
	fi
	KZD_PID=$!
	_pids="$_pids $KZD_PID"
	_i=0
	while [ $_i -lt 600 ]; do
		if "$KZ" status >/dev/null 2>&1; then return 0; fi
		if ! kill -0 "$KZD_PID" 2>/dev/null; then
			echo "# keizokud died at start:"; sed 's/^/# /' "$T/kzd.log"
			return 1
		fi
		sleep 0.05; _i=$((_i + 1))
	done
	echo "# keizokud did not answer"; sed 's/^/# /' "$T/kzd.log"
	return 1
}
stop_kzd() {
	[ -n "${KZD_PID:-}" ] || return 0
	kill -TERM "$KZD_PID" 2>/dev/null
	wait "$KZD_PID" 2>/dev/null
	KZD_RC=$?
	KZD_PID=""
}
kill9_kzd() {
	{ kill -9 "$KZD_PID"; wait "$KZD_PID"; } 2>/dev/null
	KZD_PID=""
}
# as UID command...: run a command as another uid (roster maps by uid).
as_uid() { _u=$1; shift; setpriv --reuid="$_u" --regid="$_u" --clear-groups "$@"; }

# wait_for "what" seconds command...: polls until the command succeeds.
wait_for() {
	_w=$1; _s=$2; shift 2
	_end=$((SECONDS + _s))
	while [ "$SECONDS" -le "$_end" ]; do
		if "$@" >/dev/null 2>&1; then ok "$_w"; return 0; fi
		sleep 0.1
	done
	nok "$_w (waited ${_s}s)"; return 1
}

cleanup() {
	for p in $_pids; do { kill -9 "$p"; wait "$p"; } 2>/dev/null; done
	[ "$(type -t pg_teardown)" = function ] && pg_teardown
	if [ "$_failed" -ne 0 ]; then
		echo "# keizokud log:"; sed 's/^/# /' "$T/kzd.log" 2>/dev/null | tail -n 80
	fi
	rm -rf "$T"
}
trap cleanup EXIT

# kz_sql SQL: a statement on the daemon's database, whichever the
# backend; rows one a line, columns separated by "|" (both clients).
kz_sql() {
	if [ -n "${PG_DIR:-}" ]; then pg_sql "$1"
	else sqlite3 "$T/state/keizoku.db" "$1"; fi
}

# KZ_STORE=postgresql (make test's second pass over the store-dependent
# tests): every daemon of the test runs on a PostgreSQL cluster of its
# own, started here and stopped by cleanup.
KZ_STORE_YAML=""
case "${KZ_STORE:-sqlite}" in
sqlite)	echo "# store: sqlite" ;;
postgresql)
	. "$KZ_TOP/tests/integration/lib-pg.sh"
	pg_setup
	KZ_STORE_YAML="store: {backend: postgresql, dsn: \"$(pg_dsn)\"}" ;;
*)	echo "not ok - KZ_STORE=$KZ_STORE: sqlite or postgresql"; exit 1 ;;
esac
