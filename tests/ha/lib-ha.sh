# The parts of a two-site deployment on one machine, for make test-ha:
# three etcd members, two PostgreSQL nodes managed by Patroni (etcd3 API,
# synchronous_mode), each on loopback free ports with its data under $T
# (tests/integration/lib.sh), PostgreSQL and Patroni run as the postgres
# user. ha_stop (called on exit, whatever the outcome) ends every process
# started here, by its pid, and whatever server process still runs in one
# of the data directories.
HA_PIDS=""
. "$KZ_TOP/tests/integration/lib-pg.sh"	# PG_BIN, _pg_reap

# etcd_start N: member eN of three (ports chosen by etcd_ports first).
etcd_ports() {
	for i in 1 2 3; do
		eval "ETCD_C$i=$(free_port) ETCD_P$i=$(free_port)"
	done
	ETCD_CLUSTER="e1=http://127.0.0.1:$ETCD_P1,e2=http://127.0.0.1:$ETCD_P2,e3=http://127.0.0.1:$ETCD_P3"
	ETCD_HOSTS="127.0.0.1:$ETCD_C1,127.0.0.1:$ETCD_C2,127.0.0.1:$ETCD_C3"
}
etcd_start() {
	eval "_c=\$ETCD_C$1 _p=\$ETCD_P$1"
	mkdir -p "$T/etcd$1"
	etcd --name "e$1" --data-dir "$T/etcd$1/data" \
	    --listen-client-urls "http://127.0.0.1:$_c" \
	    --advertise-client-urls "http://127.0.0.1:$_c" \
	    --listen-peer-urls "http://127.0.0.1:$_p" \
	    --initial-advertise-peer-urls "http://127.0.0.1:$_p" \
	    --initial-cluster "$ETCD_CLUSTER" --initial-cluster-state new \
	    --initial-cluster-token "kz-ha-$$" \
	    --heartbeat-interval 200 --election-timeout 2000 \
	    >"$T/etcd$1/etcd.log" 2>&1 &
	eval "ETCD_PID$1=$!"
	HA_PIDS="$HA_PIDS $!"
}
# etcd_healthy N: member N answers and the cluster has a leader.
etcd_healthy() {
	eval "_c=\$ETCD_C$1"
	curl -sf -m 2 "http://127.0.0.1:$_c/health" | jq -e '.health == "true"' >/dev/null
}

# patroni_start X: the Patroni node pgX (X = A or B) with its own REST
# port (PATRONI_RX) and PostgreSQL port (PG_PORT_X), chosen before.
patroni_start() {
	eval "_r=\$PATRONI_R$1 _pp=\$PG_PORT_$1"
	_d="$T/pg$1"
	mkdir -p "$_d/sock"
	cat >"$_d/patroni.yml" <<YAML
scope: kz-ha
name: pg$1
log: {level: INFO, dir: $_d}
restapi:
  listen: 127.0.0.1:$_r
  connect_address: 127.0.0.1:$_r
etcd3:
  hosts: [$ETCD_HOSTS]
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 2
    retry_timeout: 3
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: false
      parameters:
        wal_level: replica
        max_wal_senders: 5
        max_replication_slots: 5
        hot_standby: "on"
        wal_keep_size: 64MB
  initdb: [{encoding: UTF8}, {locale: C.UTF-8}]
  pg_hba:
    - local all all trust
    - host replication all 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:$_pp
  connect_address: 127.0.0.1:$_pp
  data_dir: $_d/data
  bin_dir: $PG_BIN
  pgpass: $_d/pgpass
  basebackup: [{checkpoint: fast}]
  authentication:
    superuser: {username: postgres}
    replication: {username: postgres}
  parameters:
    unix_socket_directories: $_d/sock
    max_connections: 50
    shared_buffers: 16MB
    fsync: "on"
YAML
	chown -R postgres:postgres "$_d"
	HOME="$_d" setpriv --reuid=postgres --regid=postgres --init-groups \
	    patroni "$_d/patroni.yml" >"$_d/patroni.out" 2>&1 &
	eval "PATRONI_PID$1=$!"
	HA_PIDS="$HA_PIDS $!"
}
# patroni_role X: what node pgX's REST API says it is (primary, replica...).
patroni_role() {
	eval "_r=\$PATRONI_R$1"
	curl -s -m 2 "http://127.0.0.1:$_r/patroni" | jq -r '.role // empty' 2>/dev/null
}
patroni_is() { [ "$(patroni_role "$1")" = "$2" ]; }
# patroni_sync X: node pgX is the synchronous standby.
patroni_sync() {
	eval "_r=\$PATRONI_R$1"
	[ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:$_r/sync")" = 200 ]
}
# pgx_sql X SQL: a statement on node pgX's keizoku database.
pgx_sql() {
	eval "_pp=\$PG_PORT_$1"
	runuser -u postgres -- "$PG_BIN/psql" -h "$T/pg$1/sock" -p "$_pp" \
	    -U postgres -qAt -c "$2" "${3:-keizoku}"
}
# pgx_kill X: kill -9 of node pgX's postmaster.
pgx_kill() {
	[ -f "$T/pg$1/data/postmaster.pid" ] &&
	    kill -9 "$(head -n 1 "$T/pg$1/data/postmaster.pid")" 2>/dev/null
}
ha_stop() {
	for p in $HA_PIDS; do kill -9 "$p" 2>/dev/null; done
	for x in A B; do
		pgx_kill "$x"
		_pg_reap "$T/pg$x"	# the children of a killed postmaster
	done
	for p in $HA_PIDS; do wait "$p" 2>/dev/null; done
	HA_PIDS=""
}
