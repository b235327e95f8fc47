# A real Prometheus Alertmanager for a test, sourced after lib.sh and
# start_kzd (it needs $URL, $KZ_AM_TOKEN and $AMBIN).
# am_setup: picks AMPORT and AM, writes $T/am.yml routing every alert to
# keizokud's alertmanager source at once (group_wait 0s) and again every
# 2 s, resolved alerts included.
# am_run: starts Alertmanager (AM_PID, killed at the end like every
# server of the test), waits until it is ready.
am_setup() {
	AMPORT=$(free_port)
	AM=http://127.0.0.1:$AMPORT
	mkdir -p "$T/am"
	cat >"$T/am.yml" <<YAML
route:
  receiver: keizoku
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: keizoku
    webhook_configs:
      - url: $URL/v1/hooks/alertmanager
        send_resolved: true
        http_config:
          authorization:
            credentials: $KZ_AM_TOKEN
YAML
}
am_run() {
	"$AMBIN" --config.file="$T/am.yml" --storage.path="$T/am" \
	    --web.listen-address=127.0.0.1:$AMPORT --cluster.listen-address= \
	    --log.level=info >>"$T/am.log" 2>&1 &
	AM_PID=$!
	_pids="$_pids $AM_PID"
	wait_for "alertmanager is ready" 20 curl -sf "$AM/-/ready" || {
		sed 's/^/# /' "$T/am.log"; exit 1; }
}
