# Helpers for the web and e-mail tests (SPEC §14); sourced after lib.sh
# and lib-http.sh. A real SMTP server (aiosmtpd) with STARTTLS and AUTH,
# a test CA for it, and small form helpers over curl.
SMTPD="/usr/bin/python3 $KZ_TOP/tests/integration/smtpd.py"
SMTP_PORT=$(free_port)
export KEIZOKU_WEB_SECRET="test-web-secret-0123456789abcdef"
export SMTP_USER=keizoku SMTP_PASS='s3cret pass'

# start_smtpd [extra smtpd.py args]: STARTTLS with a certificate for
# 127.0.0.1 made here, AUTH required; mails land in $T/mail.log.
start_smtpd() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	    -keyout "$T/smtp.key" -out "$T/smtp.crt" >/dev/null 2>&1
	$SMTPD --port "$SMTP_PORT" --log "$T/mail.log" --ready "$T/smtp.ready" \
	    --tls "$T/smtp.crt" "$T/smtp.key" --auth "$SMTP_USER:$SMTP_PASS" "$@" \
	    >>"$T/smtpd.log" 2>&1 &
	_pids="$_pids $!"
	_i=0; while [ ! -f "$T/smtp.ready" ] && [ $_i -lt 200 ]; do sleep 0.05; _i=$((_i + 1)); done
	[ -f "$T/smtp.ready" ]
}
# The config lines of the web and the mail channel.
web_config() {
	cat <<YAML
web: {base_url: "$URL", secret: "env:KEIZOKU_WEB_SECRET", link_ttl: 2h}
channels:
  mail: {type: email, smtp_url: "smtp://127.0.0.1:$SMTP_PORT", from: "keizoku@example.go.jp", username: "env:SMTP_USER", password: "env:SMTP_PASS", tls_ca: "$T/smtp.crt"}
YAML
}
# mails [jq args...]: jq -s over the received mails (an array).
mails() { if [ -f "$T/mail.log" ]; then jq -s "$@" "$T/mail.log"; else jq -n "$@" <<<'[]'; fi; }
# mail_count RCPT: how many mails went to RCPT.
mail_count() { mails "[.[] | select(.rcpt_tos == [\"$1\"])] | length"; }
# wait_mail RCPT N: until RCPT has N mails.
# A mail the server is still writing reads as none yet.
_mail_n() {
	_c=$(mail_count "$1" 2>/dev/null)
	case $_c in ''|*[!0-9]*) _c=0 ;; esac
	echo "$_c"
}
wait_mail() {
	_e=$(( $(date +%s) + 20 ))
	while [ "$(_mail_n "$1")" -lt "$2" ] && [ "$(date +%s)" -le $_e ]; do sleep 0.1; done
	[ "$(_mail_n "$1")" -ge "$2" ]
}
# last_link RCPT KIND: the last /KIND/ link mailed to RCPT.
last_link() {
	mails -r "[.[] | select(.rcpt_tos == [\"$1\"]) | .body] | last" |
	    grep -o "$URL/$2/[A-Za-z0-9._-]*" | tail -n 1
}
# page URL [curl args]: GET into $T/page; prints the status.
page() { _u=$1; shift; curl -s -o "$T/page" -w '%{http_code}' "$@" "$_u"; }
# csrf_of FIELD VALUE: the csrf value of the form on $T/page whose first
# hidden field after csrf is FIELD=VALUE.
csrf_of() {
	grep -o "name=\"csrf\" value=\"[^\"]*\"><input type=\"hidden\" name=\"$1\" value=\"$2\"" "$T/page" |
	    head -n 1 | sed 's/.*name="csrf" value="\([^"]*\)".*/\1/'
}
# csrf_first: the first csrf value on $T/page (any form: a value is bound
# to the credential, not to one form).
csrf_first() {
	grep -o 'name="csrf" value="[^"]*"' "$T/page" | head -n 1 | sed 's/.*value="\([^"]*\)"/\1/'
}
# form URL DATA [curl args]: POSTs a form; the status (body in $T/page,
# headers in $T/hdr).
form() {
	_u=$1; _d=$2; shift 2
	curl -s -o "$T/page" -D "$T/hdr" -w '%{http_code}' --data "$_d" "$@" "$_u"
}
