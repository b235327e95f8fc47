# Helpers of the JMA source tests (test_jma_*.sh): a stand-in for JMA's
# feed server (jma_server.py) in $T/srv, a feed written the way JMA writes
# eqvol.xml, and waits on `keizoku status`. Sourced after lib.sh.
FIX=$KZ_TOP/tests/fixtures/jma
S=$T/srv
mkdir -p "$S/docs"
: >"$S/requests.log"
"$PY" "$KZ_TOP/tests/integration/jma_server.py" "$S" &
_pids="$_pids $!"
wait_file "$S/port"
BASE="http://127.0.0.1:$(cat "$S/port")"
ENTRIES=""

# write_feed FILE: the entries published so far as an Atom feed, in the
# shape of JMA's high-frequency feed (newest first).
write_feed() {
	{
		printf '<?xml version="1.0" encoding="utf-8"?>\n'
		printf '<feed xmlns="http://www.w3.org/2005/Atom" lang="ja">\n'
		printf '  <title>高頻度（地震火山）</title>\n'
		printf '  <subtitle>JMAXML publishing feed</subtitle>\n'
		printf '  <updated>%s</updated>\n' "${LAST_UPDATED:-2026-11-19T23:00:00Z}"
		printf '  <id>%s/feed.xml#short_1</id>\n' "$BASE"
		printf '  <link rel="related" href="https://www.jma.go.jp/"/>\n'
		printf '  <link rel="self" href="%s/feed.xml"/>\n' "$BASE"
		printf '%s' "$ENTRIES"
		printf '</feed>\n'
	} >"$S/$1.tmp" && mv "$S/$1.tmp" "$S/$1"
}

# publish NAME FIXTURE UPDATED [TITLE]: serves FIXTURE as /data/NAME and
# lists it at the top of the feed, updated at UPDATED (RFC 3339).
publish() {
	sed "s|@BASE@|$BASE|g" "$FIX/$2" >"$S/docs/$1"
	LAST_UPDATED=$3
	ENTRIES="  <entry>
    <title>${4:-地震情報}</title>
    <id>$BASE/data/$1</id>
    <updated>$3</updated>
    <author><name>気象庁</name></author>
    <link type=\"application/xml\" href=\"$BASE/data/$1\"/>
    <content type=\"text\">【${4:-地震情報}】</content>
  </entry>
$ENTRIES"
	write_feed feed.xml
}

# mode ok|500|garbage|hang|304: how the feed server answers feed polls.
mode() { echo "$1" >"$S/mode"; }

# The feed's line of `keizoku status --json`, or one field of it.
feed() { "$KZ" --json status | jq -r ".feeds[] | select(.source == \"${2:-jma}\") | $1"; }
# fetches NAME: how often the document NAME was requested.
fetches() { grep -c " /data/$1 " "$S/requests.log"; }
# docs_done N: waits until N documents are taken (done + failed).
docs_settled() {
	[ "$("$KZ" --json status | jq '[.feeds[] | select(.source == "jma") | .documents.done + .documents.failed] | add')" -ge "$1" ] &&
	[ "$(feed .documents.pending)" -eq 0 ]
}
ninc() { "$KZ" --json incidents --all | jq length; }
# err_has TEXT: the feed's last error contains TEXT.
err_has() { feed .last_error | grep -qi -- "$1"; }
polled_ok() { [ "$(feed .polls)" -ge 1 ] && [ "$(feed .last_ok_at)" != null ]; }
healthy() { [ "$(feed .failures)" -eq 0 ] && [ "$(feed .last_error)" = null ]; }
quiet() { "$@" >/dev/null 2>&1; }
