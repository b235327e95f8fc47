# A throw-away PostgreSQL cluster for one test, under its own $T: initdb
# and pg_ctl from the Debian postgresql-15 package (no service manager),
# run as the postgres user, listening on a free port on 127.0.0.1 and on a
# unix socket under $T, fsync on. Sourced by lib.sh (KZ_STORE=postgresql)
# or by a test. pg_setup starts it and creates the database keizoku;
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

pg_start() {
	_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/pg.log" -w -t 60 \
	    -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT \
	    -c unix_socket_directories=$PG_DIR/sock -c fsync=on \
	    -c synchronous_commit=on -c max_connections=50 \
	    -c shared_buffers=16MB" start >/dev/null 2>&1 || {
		echo "not ok - PostgreSQL did not start:"
		sed 's/^/# /' "$PG_DIR/pg.log" | tail -20; return 1; }
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
	PG_DIR=""
}
