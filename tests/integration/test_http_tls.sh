#!/bin/bash
# Issue 3, item 1: HTTPS when http.tls names a certificate and key
# (generated here with openssl: no committed keys); TLS 1.2 at least; a
# bad certificate or key is a fatal start error with a clear message.
. "$(dirname "$0")/lib.sh"
. "$KZ_TOP/tests/fixtures/http/lib-http.sh"
URL=https://127.0.0.1:$HTTP_PORT

# A private CA and a server certificate for 127.0.0.1 signed by it.
P="$T/pki"
mkdir -p "$P"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=keizoku test CA" \
    -keyout "$P/ca.key" -out "$P/ca.pem" 2>"$P/log" &&
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$P/server.key" -out "$P/server.csr" 2>>"$P/log" &&
printf 'subjectAltName=IP:127.0.0.1\n' >"$P/ext" &&
openssl x509 -req -in "$P/server.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" \
    -CAcreateserial -days 2 -extfile "$P/ext" -out "$P/server.pem" 2>>"$P/log"
check "openssl made a CA and a server certificate" test -s "$P/server.pem"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other" \
    -keyout "$P/other.key" -out "$P/other.pem" 2>>"$P/log"

TOKEN="tls-token"
tls_config() {	# tls_config CERT KEY
	write_config "http: {listen: \"$KZ_HTTP_LISTEN\", tls: {cert: \"$1\", key: \"$2\"}}
tokens:
  - {member: tanaka, sha256: \"$(sha256 "$TOKEN")\"}
sources:
  mon:
    format: json
    auth: {bearer: \"env:KZ_MON_TOKEN\"}"
	# Only the first http: line (write_config's) goes.
	sed -i '0,/^http:/{/^http:/d}' "$T/keizokud.yaml"
}
export KZ_MON_TOKEN="mon-token"

# Bad certificates are fatal at start, with the reason.
printf 'not a certificate\n' >"$P/junk.pem"
tls_config "$P/junk.pem" "$P/server.key"
expect_rc "a certificate that is not PEM stops keizokud (exit 1)" 1 timeout 10 "$KZD" -c "$T/keizokud.yaml"
check "naming the file" grep -q "http.tls: cannot load the certificate $P/junk.pem" "$T/err"
tls_config "$P/server.pem" "$P/other.key"
expect_rc "a key of another certificate stops keizokud" 1 timeout 10 "$KZD" -c "$T/keizokud.yaml"
check "saying they do not belong together" grep -q "does not belong to the certificate" "$T/err"
tls_config "$P/missing.pem" "$P/server.key"
expect_rc "a missing certificate stops keizokud" 1 timeout 10 "$KZD" -c "$T/keizokud.yaml"

tls_config "$P/server.pem" "$P/server.key"
start_kzd || exit 1
st=$(get /healthz --cacert "$P/ca.pem")
expect_resp "HTTPS /healthz with the private CA" "$st" 200 '.ok' true
st=$(get /healthz)
expect_eq "an unknown CA fails verification" "$st" 000
st=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/healthz")
case "$st" in 2*) nok "plain HTTP on the HTTPS port answered $st" ;; *) ok "plain HTTP on the HTTPS port gets no answer ($st)" ;; esac
st=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$P/ca.pem" --tls-max 1.1 "$URL/healthz")
expect_eq "TLS 1.1 is refused" "$st" 000
st=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$P/ca.pem" --tlsv1.2 --tls-max 1.2 "$URL/healthz")
expect_eq "TLS 1.2 is accepted" "$st" 200
st=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$P/ca.pem" --tlsv1.3 "$URL/healthz")
expect_eq "TLS 1.3 is accepted" "$st" 200
echo '{"event": "テスト"}' >"$T/ev.json"
st=$(post /v1/hooks/mon "$T/ev.json" --cacert "$P/ca.pem" -H "Authorization: Bearer $KZ_MON_TOKEN")
expect_resp "a webhook over HTTPS is accepted" "$st" 202 '.accepted' 1
expect_rc "keizoku -u https://... --cacert works" 0 "$KZ" -u "$URL" -T "$TOKEN" --cacert "$P/ca.pem" status
expect_rc "keizoku without the CA fails to verify (exit 3)" 3 "$KZ" -u "$URL" -T "$TOKEN" status
check "and says why" grep -qi 'TLS\|certificate' "$T/err"
"$PY" - "$HTTP_PORT" <<'PY'
import socket, sys
for junk in [b"\x16\x03\x01\x00\x05hello", b"GET / HTTP/1.1\r\n\r\n", b"\x16" * 3000]:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(junk)
    s.settimeout(5)
    try:
        s.recv(4096)
    except OSError:
        pass
    s.close()
PY
st=$(get /healthz --cacert "$P/ca.pem")
expect_resp "a broken handshake does not stop keizokud" "$st" 200
stop_clean
exit $_failed
