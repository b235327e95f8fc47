#!/bin/bash
# Issue 12, item 2: on PostgreSQL the statements of an operation that need
# no answer of their own (BEGIN, the write lock, SAVEPOINT, the writes)
# wait for the next round trip (libpq pipeline mode), so their failure
# shows only at the operation's end. What that must not change: a write
# the server refuses fails its own operation (exit 1, a clear message,
# nothing of it stored, the chain whole) and no other; a refusal at
# COMMIT fails the batch, never a false success; and the loop waits for
# a handful of round trips per change, counted by the store itself
# (/metrics keizoku_store_round_trips_total), not for one per statement.
. "$(dirname "$0")/lib.sh"
[ "$(type -t pg_setup)" = function ] || { . "$KZ_TOP/tests/integration/lib-pg.sh"; pg_setup; }
echo "# store: postgresql (this test always runs on it)"
HP=$(free_port)
KZ_HTTP_LISTEN="127.0.0.1:$HP"
write_config "store: {backend: postgresql, dsn: \"env:KZ_TEST_DSN\"}"
export KZ_TEST_DSN="$(pg_dsn)"
cat >"$T/runbooks/p.yaml" <<'YAML'
runbook: pipe
title: 切り替え手順
steps:
  - {id: a, title: 判断, assign: role:operator}
  - {id: b, title: DNS, assign: role:operator}
  - {id: c, title: 通知, assign: role:operator}
  - {id: d, title: 確認, assign: role:operator}
  - {id: e, title: 報告, assign: role:operator}
YAML
KEIZOKU_TEST_CLOCK=2026-12-07T03:00:00Z start_kzd || exit 1
id=$("$KZ" --json activate pipe | jq -r .incident)
expect_eq "activate" "$id" 1
trips() {
	curl -s "http://127.0.0.1:$HP/metrics" |
	    awk '$1 == "keizoku_store_round_trips_total" {print $2}'
}
expect_rc "ack a" 0 "$KZ" ack "$id" a
# A scrape of /metrics reads counts after printing the counter: the
# round trips of one scrape, then of one done.
t0=$(trips); t1=$(trips)
expect_rc "done a" 0 "$KZ" done "$id" a
t2=$(trips)
n=$(((t2 - t1) - (t1 - t0)))
echo "# round trips for one done (and the timer query after it): $n"
check "one done waits for a few round trips, not one per statement (14 before; now $n)" test "$n" -ge 1 -a "$n" -le 6
expect_eq "... and it is in PostgreSQL" "$(kz_sql "SELECT state FROM steps WHERE incident = $id AND id = 'a'")" done

# The server refuses one write of an operation (a trigger standing in for
# a constraint): the operation fails at its end, alone.
pg_sql "CREATE FUNCTION kz_refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
	IF NEW.step = 'b' AND NEW.type = 'step.done' THEN
		RAISE EXCEPTION 'the test refuses the done of b';
	END IF;
	RETURN NEW;
END \$\$;
CREATE TRIGGER kz_refuse BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION kz_refuse();" >/dev/null
expect_rc "a done whose event the server refuses exits 1" 1 "$KZ" done "$id" b
check "... saying what the server said" grep -q 'the test refuses the done of b' "$T/err"
sed 's/^/# /' "$T/err"
expect_eq "... nothing of it is stored (b still ready)" "$(kz_sql "SELECT state FROM steps WHERE incident = $id AND id = 'b'")" ready
expect_eq "... nor its event" "$(kz_sql "SELECT count(*) FROM events WHERE step = 'b' AND type = 'step.done'")" 0
expect_eq "... and show agrees" "$("$KZ" --json show "$id" | jq -r '.steps[] | select(.id == "b") | .state')" ready
expect_rc "the next change goes through" 0 "$KZ" done "$id" c
expect_eq "... stored" "$(kz_sql "SELECT state FROM steps WHERE incident = $id AND id = 'c'")" done
# Both at once, very likely in one batch: the refused one fails, the
# other is committed and answered 0.
"$KZ" done "$id" b >"$T/b.out" 2>&1 & pb=$!
"$KZ" done "$id" d >"$T/d.out" 2>&1 & pd=$!
wait $pb; rb=$?
wait $pd; rd=$?
expect_eq "two at once: the refused one exits 1" "$rb" 1
expect_eq "... the other exits 0" "$rd" 0
expect_eq "... and is stored" "$(kz_sql "SELECT state FROM steps WHERE incident = $id AND id = 'd'")" done
expect_rc "the chain is whole" 0 "$KZ" verify
pg_sql "DROP TRIGGER kz_refuse ON events" >/dev/null
expect_rc "without the trigger the done of b goes through" 0 "$KZ" done "$id" b

# A refusal at COMMIT (a deferred constraint trigger): the whole batch
# fails, and says so; nothing of it is stored.
pg_sql "CREATE FUNCTION kz_refuse_late() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
	IF NEW.id = 'e' AND NEW.state = 'done' THEN
		RAISE EXCEPTION 'the test refuses to commit e';
	END IF;
	RETURN NEW;
END \$\$;
CREATE CONSTRAINT TRIGGER kz_refuse_late AFTER UPDATE ON steps DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION kz_refuse_late();" >/dev/null
expect_rc "a change refused at COMMIT exits 1" 1 "$KZ" done "$id" e
check "... saying what the server said" grep -q 'the test refuses to commit e' "$T/err"
sed 's/^/# /' "$T/err"
expect_eq "... nothing of it is stored" "$(kz_sql "SELECT state FROM steps WHERE incident = $id AND id = 'e'")" ready
check "the daemon keeps running" kill -0 "$KZD_PID"
pg_sql "DROP TRIGGER kz_refuse_late ON steps" >/dev/null
expect_rc "after it the same change goes through" 0 "$KZ" done "$id" e
expect_eq "... stored" "$(kz_sql "SELECT state FROM steps WHERE incident = $id AND id = 'e'")" done
expect_eq "every step is done" "$("$KZ" --json show "$id" | jq -r '[.steps[].state] | unique | join(",")')" done
expect_rc "the chain is whole" 0 "$KZ" verify
stop_kzd
exit $_failed
