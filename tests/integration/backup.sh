#!/bin/sh
# `baraza backup` under a webhook load: the copy is consistent and holds
# every message acknowledged before the backup started. `baraza restore`
# puts it in place (into a fresh database and over the old one), and
# refuses while a gateway serves, a copy of a newer schema, a file that is
# no database. A backup to a path it cannot write fails cleanly.
. "$SRCDIR/tests/integration/lib.sh"

plan 43
LOOPS=3
PER=100
FILL=$(printf '%0200d' 0 | tr 0 x)

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = web
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
rate = 1000/s
; A load test about the store: unsigned webhooks keep it one curl each
; (security_hooks.sh covers signatures).
allow_unsigned = yes"
cat >"$T/flows/ping.flow" <<'FLOW'
flow ping
  on keyword PING
  say "PONG {rest}"
FLOW
start_server || exit 1

# A loop of webhooks; each acknowledged id is appended to $T/ack.N after
# its 200, so whatever the ack files hold was committed before.
load() {
	k=$1
	i=1
	: >"$T/ack.$k"
	while [ $i -le $PER ]; do
		code=$(curl -s -o /dev/null -m 10 -w '%{http_code}' \
		    -H 'Content-Type: application/json' \
		    -d "{\"id\":\"b$k-$i\",\"from\":\"+2547$k$(printf %07d "$i")\",\"to\":\"40404\",\"text\":\"PING $i $FILL\"}" \
		    "http://127.0.0.1:$PORT/hooks/web/sms")
		[ "$code" = 200 ] && echo "b$k-$i" >>"$T/ack.$k"
		i=$((i + 1))
	done
}
pids=
k=1
while [ $k -le $LOOPS ]; do
	load $k &
	pids="$pids $!"
	k=$((k + 1))
done

acked() { cat "$T"/ack.* 2>/dev/null | wc -l; }
check "the load is under way" wait_for 30 sh -c "[ \$(cat '$T'/ack.* 2>/dev/null | wc -l) -ge 30 ]"

# The backup, while the loops go on.
cat "$T"/ack.* | sort >"$T/before"
"$BARAZA" -c "$T/baraza.conf" backup "$T/copy.db" >"$T/out" 2>"$T/err"
is "backup under load exits 0" "$?" 0
like "backup says what it wrote" "$(cat "$T/out")" "backed up to .*copy\.db: schema version [0-9]+, [0-9]+ messages"
is "no progress bar when stderr is no terminal" "$(cat "$T/err")" ""
is "the copy is mode 0600" "$(stat -c %a "$T/copy.db")" 600
is "no temporary file is left" "$(ls "$T" | grep -c 'copy\.db\.')" 0
is "the copy passes the integrity check" "$(sqlite3 "$T/copy.db" 'PRAGMA integrity_check')" ok
is "the copy is a single file" "$(sqlite3 "$T/copy.db" 'PRAGMA journal_mode')" delete
echo "# $(wc -l <"$T/before") acknowledged before the backup, $(acked) now"

# Refused while the gateway serves: the database stays as it is.
"$BARAZA" -c "$T/baraza.conf" restore "$T/copy.db" >"$T/out" 2>"$T/err"
is "restore while serving exits 1" "$?" 1
like "restore while serving says why" "$(cat "$T/err")" "a gateway serves .*baraza\.db.*stop it"
# So is a second gateway on the same database (it would take the first's
# messages in flight for its own and send them again).
timeout 10 "$BARAZA" -c "$T/baraza.conf" serve >"$T/out" 2>"$T/err"
is "a second serve of the database exits 1" "$?" 1
like "a second serve says why" "$(cat "$T/err")" "another gateway serves .*baraza\.db"
check "the gateway still answers" sh -c "[ \"\$(curl -s -m 5 http://127.0.0.1:$PORT/healthz -o /dev/null -w '%{http_code}')\" = 200 ]"

for p in $pids; do wait "$p"; done
is "every webhook of the load is acknowledged" "$(acked)" $((LOOPS * PER))
check "the gateway stops cleanly" stop_server

# Restore into a fresh database (a config naming a file that does not exist).
sed "s|^database = .*|database = fresh.db|" "$T/baraza.conf" >"$T/fresh.conf"
"$BARAZA" -c "$T/fresh.conf" restore "$T/copy.db" >"$T/out" 2>"$T/err"
is "restore into a fresh database exits 0" "$?" 0
like "restore says what it restored" "$(cat "$T/out")" "fresh\.db: restored from .*copy\.db: schema version [0-9]+, [0-9]+ messages"
sqlite3 "$T/fresh.db" "select provider_id from messages where direction = 'in'" | sort >"$T/restored"
is "every message acknowledged before the backup is restored" "$(comm -23 "$T/before" "$T/restored" | wc -l)" 0
is "the restored database passes the integrity check" "$(sqlite3 "$T/fresh.db" 'PRAGMA integrity_check')" ok
is "the restored database is mode 0600" "$(stat -c %a "$T/fresh.db")" 600

# Restore over the old database, which holds more, and a WAL of its own
# after a crash: frames that would be applied to the copy if left there.
start_server || exit 1
i=1
while [ $i -le 5 ]; do
	curl -s -o /dev/null -m 10 -H 'Content-Type: application/json' \
	    -d "{\"id\":\"late-$i\",\"from\":\"+254799000000\",\"to\":\"40404\",\"text\":\"PING late\"}" \
	    "http://127.0.0.1:$PORT/hooks/web/sms"
	i=$((i + 1))
done
stop_server KILL
echo "# the old database's WAL: $(stat -c %s "$T/baraza.db-wal" 2>/dev/null || echo none) bytes"
want=$(sqlite3 "$T/copy.db" 'select count(*) from messages')
"$BARAZA" -c "$T/baraza.conf" restore "$T/copy.db" >"$T/out" 2>"$T/err"
is "restore over the old database exits 0" "$?" 0
is "the old database's WAL and shm are gone" "$(ls "$T" | grep -c '^baraza\.db-\(wal\|shm\)$')" 0
is "the database holds the copy" "$(sql 'select count(*) from messages')" "$want"
is "none of the later messages" "$(sql "select count(*) from messages where provider_id like 'late-%'")" 0
start_server || exit 1
like "the gateway serves the restored database" "$(http GET /healthz)" "^200"
check "the gateway on the restored database stops cleanly" stop_server

# A gateway that starts during a restore (the lock held exclusive) refuses.
flock -o -x "$T/baraza.db.lock" "$BARAZA" -c "$T/baraza.conf" serve 2>"$T/err"
is "serve during a restore exits 1" "$?" 1
like "serve during a restore says why" "$(cat "$T/err")" "being restored"

# A copy of a newer schema is refused, and the database is untouched.
cp "$T/copy.db" "$T/newer.db"
sqlite3 "$T/newer.db" 'PRAGMA user_version = 1000'
"$BARAZA" -c "$T/baraza.conf" restore "$T/newer.db" >"$T/out" 2>"$T/err"
is "a newer schema is refused" "$?" 1
like "a newer schema says so" "$(cat "$T/err")" "schema version 1000 is newer than this baraza"
is "a refused restore leaves the database" "$(sql 'select count(*) from messages')" "$want"

# A file that is no database is refused.
printf 'not a database, only text\n%.0s' $(seq 1 100) >"$T/junk.db"
"$BARAZA" -c "$T/baraza.conf" restore "$T/junk.db" >"$T/out" 2>"$T/err"
is "a non-database is refused" "$?" 1
like "a non-database says so" "$(cat "$T/err")" "junk\.db: not a SQLite database"

# A backup to a path it cannot write (a file where a folder should be:
# root may write anywhere else) fails with one line and leaves nothing.
: >"$T/afile"
"$BARAZA" -c "$T/baraza.conf" backup "$T/afile/copy.db" >"$T/out" 2>"$T/err"
is "a backup to an unwritable path exits 1" "$?" 1
like "a backup to an unwritable path says why" "$(cat "$T/err")" "^baraza: backup failed: .*afile/copy\.db.*Not a directory$"

# The database's companions are no place for a copy: SQLite would take a
# copy named as its WAL for frames of its own, and the lock file is what a
# restore asks about. Nor is a folder.
for side in baraza.db-wal baraza.db-shm baraza.db.lock; do
	"$BARAZA" -c "$T/baraza.conf" backup "$T/$side" >"$T/out" 2>"$T/err"
	is "a backup onto $side is refused" "$?:$(cat "$T/err")" "2:baraza: $T/$side is the database's own ${side#baraza.db?} file: name another"
done
"$BARAZA" -c "$T/baraza.conf" backup "$T/../$(basename "$T")/baraza.db-journal" >"$T/out" 2>"$T/err"
like "the journal's name reached another way is refused" "$?:$(cat "$T/err")" "^2:.* is the database's own journal file"
"$BARAZA" -c "$T/baraza.conf" backup "$T" >"$T/out" 2>"$T/err"
is "a backup onto a folder is refused" "$?:$(cat "$T/err")" "2:baraza: $T is a folder: name a file"

# On a terminal, a progress bar in pages (script(1) gives it one).
out=$(script -q -e -c "'$BARAZA' -c '$T/baraza.conf' backup '$T/tty.db'" /dev/null </dev/null 2>&1)
like "on a terminal a progress bar shows" "$out" "backup \[#+\] 100%"

# PostgreSQL is pg_dump's work.
sed "s|^database = .*|database = postgresql://baraza@localhost/baraza|" "$T/baraza.conf" >"$T/pg.conf"
"$BARAZA" -c "$T/pg.conf" backup "$T/pg.sql" >"$T/out" 2>"$T/err"
is "a PostgreSQL database is bad usage" "$?" 2
like "a PostgreSQL database points to pg_dump" "$(cat "$T/err")" "pg_dump"
done_testing
