# A throw-away PostgreSQL cluster for one test, under its own $T: initdb
# and pg_ctl from the Debian postgresql-15 package (no service manager),
# run as the postgres user, listening on a free port on 127.0.0.1 and on a
# unix socket under $T, fsync on. Sourced by lib.sh (KZ_STORE=postgresql)
# or by a test (pg_setup_pair below: a primary and a synchronous standby,
# for database failover). pg_setup starts it and creates the database keizoku;
# pg_dsn prints its DSN; pg_stop / pg_start stop it (immediate: a crash)
# and start it again; pg_teardown (called by lib.sh's cleanup, whatever
# the outcome) stops it for good.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=""
PG_PORT=""

_pg() { runuser -u postgres -- "$@"; }

pg_check_installed() {
	if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ] ||
	    ! id postgres >/dev/null 2>&1; then
		echo "not ok - PostgreSQL 15 is not installed ($PG_BIN/initdb;" \
		    "make deps installs postgresql-15)"
		exit 1
	fi
}

# pg_template DIR: a stopped cluster in DIR/data holding an empty database
# keizoku, for pg_setup to copy (tests/run.sh makes one for the whole run:
# KZ_PG_TEMPLATE; a copy takes a fraction of initdb's time). 0 or 1.
pg_template() {
	pg_check_installed
	mkdir -p "$1/sock" && chown -R postgres:postgres "$1" || return 1
	_pg "$PG_BIN/initdb" -D "$1/data" -U postgres -A trust -E UTF8 \
	    --locale=C.UTF-8 --no-sync >"$1/initdb.log" 2>&1 || return 1
	_pg "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/pg.log" -w -t 60 -o \
	    "-c listen_addresses= -c unix_socket_directories=$1/sock" \
	    start >/dev/null 2>&1 || return 1
	_pg "$PG_BIN/psql" -h "$1/sock" -U postgres -qAt \
	    -c "CREATE DATABASE keizoku" postgres >>"$1/pg.log" 2>&1
	_rc=$?
	_pg "$PG_BIN/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 ||
	    return 1
	return $_rc
}

pg_setup() {
	pg_check_installed
	PG_DIR="$T/pg"
	mkdir -p "$PG_DIR/sock"
	chown -R postgres:postgres "$PG_DIR"
	PG_PORT=$(free_port)
	if [ -n "${KZ_PG_TEMPLATE:-}" ] && [ -d "$KZ_PG_TEMPLATE/data" ]; then
		if ! cp -a "$KZ_PG_TEMPLATE/data" "$PG_DIR/data"; then
			echo "not ok - cannot copy the template cluster"; exit 1
		fi
		pg_start || exit 1
	else
		if ! _pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres \
		    -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
		    >"$PG_DIR/initdb.log" 2>&1; then
			echo "not ok - initdb failed:"
			sed 's/^/# /' "$PG_DIR/initdb.log"
			exit 1
		fi
		pg_start || exit 1
		if ! _pg "$PG_BIN/psql" -h "$PG_DIR/sock" -p "$PG_PORT" \
		    -U postgres -qAt -c "CREATE DATABASE keizoku" postgres \
		    >>"$PG_DIR/pg.log" 2>&1; then
			echo "not ok - cannot create the database:"
			sed 's/^/# /' "$PG_DIR/pg.log"; exit 1
		fi
	fi
	echo "# store: PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}')" \
	    "on 127.0.0.1:$PG_PORT (cluster $PG_DIR/data)"
}

pg_start() { _pg_start_at "$PG_DIR" "$PG_PORT" "${PG_OPTS:-}"; }

# _pg_start_at DIR PORT [OPTIONS]: starts the cluster DIR/data on PORT
# (socket under DIR/sock, log DIR/pg.log), with extra server options.
_pg_start_at() {
	_pg "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/pg.log" -w -t 60 \
	    -o "-c listen_addresses=127.0.0.1 -c port=$2 \
	    -c unix_socket_directories=$1/sock -c fsync=on \
	    -c synchronous_commit=on -c max_connections=50 \
	    -c shared_buffers=16MB ${3:-}" start >/dev/null 2>&1 || {
		echo "not ok - PostgreSQL did not start:"
		sed 's/^/# /' "$1/pg.log" | tail -20; return 1; }
}

# pg_stop [mode]: immediate by default (like a crash of the server).
pg_stop() {
	_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m "${1:-immediate}" -w stop \
	    >/dev/null 2>&1
}

pg_dsn() { echo "host=127.0.0.1 port=$PG_PORT dbname=keizoku user=postgres"; }

# pg_sql SQL: runs a statement in the keizoku database, rows unaligned.
pg_sql() {
	_pg "$PG_BIN/psql" -h "$PG_DIR/sock" -p "$PG_PORT" -U postgres -qAt \
	    -c "$1" keizoku
}

pg_teardown() {
	[ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ] &&
	    pg_stop immediate
	[ -n "$PG_DIR" ] && _pg_reap "$PG_DIR"
	[ -n "${PG_OLD_DIR:-}" ] && _pg_reap "$PG_OLD_DIR"
	if [ -n "${PG2_DIR:-}" ]; then
		[ -f "$PG2_DIR/data/postmaster.pid" ] &&
		    _pg "$PG_BIN/pg_ctl" -D "$PG2_DIR/data" -m immediate -w \
		    stop >/dev/null 2>&1
		_pg_reap "$PG2_DIR"
	fi
	PG_DIR=""
	PG2_DIR=""
	PG_OLD_DIR=""
}

# _pg_reap DIR: kill -9 whatever server process still runs in DIR/data
# (the children of a postmaster killed with -9 end by themselves, soon;
# this makes sure before $T is removed). Found by their working directory.
_pg_reap() {
	_d=$(cd "$1/data" 2>/dev/null && pwd -P) || return 0
	for _p in /proc/[0-9]*; do
		[ "$(readlink "$_p/cwd" 2>/dev/null)" = "$_d" ] &&
		    kill -9 "${_p#/proc/}" 2>/dev/null
	done
	return 0
}

# --- A primary and a synchronous streaming standby (database failover) ---
# pg_setup_pair: pg_setup's cluster becomes a primary whose commits wait
# until the standby has applied them (synchronous_commit=remote_apply), and
# a standby made by pg_basebackup -R from it runs in $T/pg2 on PG2_PORT.
# synchronous_standby_names is set on the primary once the standby runs
# (ALTER SYSTEM, after the copy): the standby, once promoted, must not
# wait for a standby of its own that it does not have.
# pg_pair_dsn: the multi-host DSN of both; pg2_sql: a query on the
# standby; pg_kill_primary: kill -9 of the primary's postmaster;
# pg_promote: promotes the standby, which is then what pg_sql talks to.
PG2_DIR=""
PG2_PORT=""
PG_OLD_DIR=""

pg_setup_pair() {
	PG_OPTS="-c synchronous_commit=remote_apply -c wal_level=replica \
	    -c max_wal_senders=5 -c wal_keep_size=64MB"
	pg_setup
	PG2_DIR="$T/pg2"
	mkdir -p "$PG2_DIR/sock"
	chown -R postgres:postgres "$PG2_DIR"
	PG2_PORT=$(free_port)
	if ! _pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" \
	    -U postgres -D "$PG2_DIR/data" -R -X stream -c fast --no-sync \
	    >"$PG2_DIR/basebackup.log" 2>&1; then
		echo "not ok - pg_basebackup failed:"
		sed 's/^/# /' "$PG2_DIR/basebackup.log"; exit 1
	fi
	_pg_start_at "$PG2_DIR" "$PG2_PORT" "-c hot_standby=on" || exit 1
	pg_sql "ALTER SYSTEM SET synchronous_standby_names = 'walreceiver'" \
	    >/dev/null && pg_sql "SELECT pg_reload_conf()" >/dev/null || exit 1
	_i=0
	while [ "$(pg_sql "SELECT sync_state FROM pg_stat_replication" \
	    2>/dev/null)" != sync ]; do
		_i=$((_i + 1))
		if [ $_i -gt 600 ]; then
			echo "not ok - the standby did not become synchronous"
			sed 's/^/# /' "$PG2_DIR/pg.log" | tail -20; exit 1
		fi
		sleep 0.1
	done
	echo "# standby: PostgreSQL on 127.0.0.1:$PG2_PORT" \
	    "(cluster $PG2_DIR/data), synchronous, remote_apply"
}

pg_pair_dsn() {
	echo "host=127.0.0.1,127.0.0.1 port=$PG_PORT,$PG2_PORT dbname=keizoku" \
	    "user=postgres target_session_attrs=read-write connect_timeout=3"
}

# pg2_sql SQL: a statement on the standby (read-only until promoted).
pg2_sql() {
	_pg "$PG_BIN/psql" -h "$PG2_DIR/sock" -p "$PG2_PORT" -U postgres -qAt \
	    -c "$1" keizoku
}

# pg_kill_primary: kill -9 of the primary's postmaster (a crash, as far as
# clients can tell: its backends end by themselves without answering).
pg_kill_primary() {
	kill -9 "$(head -n 1 "$PG_DIR/data/postmaster.pid")"
}

# pg_promote: the standby becomes the primary; pg_sql then talks to it.
pg_promote() {
	_pg "$PG_BIN/pg_ctl" -D "$PG2_DIR/data" -w -t 60 promote \
	    >>"$PG2_DIR/pg.log" 2>&1 || return 1
	_pg_reap "$PG_DIR"
	rm -f "$PG_DIR/data/postmaster.pid"
	PG_OLD_DIR=$PG_DIR
	PG_DIR=$PG2_DIR PG_PORT=$PG2_PORT
	PG2_DIR=""
}
