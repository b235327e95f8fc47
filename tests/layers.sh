#!/bin/sh
# make layers: the folders of daemon/ are layers, lowest first (the
# arguments). A file may include headers of its own layer and of those
# below it, never above. The model and the engine are pure: no libevent,
# no SQLite, no libcurl. The client and the plugins see only what is
# theirs. Prints every violation as FILE:LINE: message; exits 1 if any.
cd "$(dirname "$0")/.." || exit 2
rank() {	# layer name -> its index in the arguments, or nothing
	_i=0
	for _l in $LAYERS; do
		[ "$_l" = "$1" ] && { echo $_i; return; }
		_i=$((_i + 1))
	done
}
LAYERS="$*"
bad=0
out=$(mktemp)
complain() { echo "$1"; bad=1; }

for dir in $LAYERS; do
	r=$(rank "$dir")
	for f in daemon/$dir/*.[ch]; do
		[ -f "$f" ] || continue
		grep -n '^#include "' "$f" | while IFS= read -r line; do
			n=${line%%:*}
			inc=$(echo "$line" | sed 's/.*#include "\([^"]*\)".*/\1/')
			case "$inc" in
			keizoku-plugin.h) inc=core/$inc ;;	# the plugin ABI
			*/*) ;;
			*) echo "$f:$n: include \"$inc\" names no layer (write \"layer/$inc\")"; continue ;;
			esac
			l=${inc%%/*}
			ri=$(rank "$l")
			if [ -z "$ri" ]; then
				echo "$f:$n: \"$inc\" is in no layer"
			elif [ "$ri" -gt "$r" ]; then
				echo "$f:$n: $dir may not include $inc ($l is a layer above $dir)"
			fi
		done
		case "$dir" in model|engine)
			grep -n '^#include <\(event2/\|sqlite3\|curl/\|libpq\)' "$f" |
			    sed "s|^|$f:|; s|\$| ($dir is pure: no I/O libraries)|"
		esac
	done
done >"$out" 2>&1
for f in client/*.[ch]; do
	grep -n '^#include "' "$f" | grep -v '"\(common\|proto\)/\|"keizoku\.h"' |
	    sed "s|^|$f:|; s|\$| (the client links only common/ and proto/)|"
done >>"$out"
for f in plugins/*.c; do
	grep -n '^#include "' "$f" | grep -v '"keizoku-plugin\.h"' |
	    sed "s|^|$f:|; s|\$| (a plugin sees only the ABI header)|"
done >>"$out"
# SQL is the store's alone (issue 12): the layers above it call the typed
# functions of store/store.h; statements and their SQL text stay in
# daemon/store/, so that a second backend is one more implementation.
for f in daemon/*.c daemon/*/*.c; do
	case "$f" in daemon/store/*) continue ;; esac
	grep -n 'store_\(query\|exec\|insert\|each\|changes\|later\)(\|"\(SELECT\|INSERT INTO\|UPDATE\|DELETE FROM\|WITH\) [a-z*(]' \
	    "$f" | sed "s|^|$f:|; s|\$| (SQL belongs in daemon/store/)|"
	grep -n '^#include "store/\(store-int\|db\)\.h"' "$f" |
	    sed "s|^|$f:|; s|\$| (the store's insides: use store/store.h)|"
done >>"$out"
if [ -s "$out" ]; then
	cat "$out"
	bad=1
fi
rm -f "$out"
[ "$bad" -eq 0 ] && echo "layers: $(echo "$LAYERS" | sed 's/ / -> /g'): every include points down; SQL only in daemon/store/"
exit $bad
