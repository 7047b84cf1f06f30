#!/bin/sh
# The WAL stays bounded while the gateway serves: the checkpoints in the
# thread pool really copy it into the database, so the next writer starts
# the WAL over. (A checkpoint on a connection that had read nothing was a
# no-op reporting success: the WAL grew by every page ever written.)
. "$SRCDIR/tests/integration/lib.sh"

plan 5
N=300
FILL=$(printf '%01000d' 0 | tr 0 x)

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

i=1
ok200=0
while [ $i -le $N ]; do
	code=$(curl -s -o /dev/null -m 10 -w '%{http_code}' \
	    -H 'Content-Type: application/json' \
	    -d "{\"id\":\"w$i\",\"from\":\"+2547$(printf %08d "$i")\",\"to\":\"40404\",\"text\":\"PING $i $FILL\"}" \
	    "http://127.0.0.1:$PORT/hooks/web/sms")
	[ "$code" = 200 ] && ok200=$((ok200 + 1))
	i=$((i + 1))
done
is "every webhook is acknowledged" "$ok200" "$N"
check "every reply is sent" wait_for 30 sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$T/baraza.db' \"select count(*) from messages where direction='out' and state = 'sent'\")\" = $N ]"
# 300 messages of 1 KiB with their replies write some 20 MiB of pages; a
# WAL that is started over after each checkpoint stays near the 1 MiB
# that starts one at once (STORE_CHECKPOINT_KICK_FRAMES), whatever the
# speed of the machine; 8 MiB leaves room for a checkpoint that could not
# finish while writes went on.
wal=$(stat -c %s "$T/baraza.db-wal")
echo "# WAL after $N messages: $wal bytes"
check "the WAL stays under 8 MiB" [ "$wal" -lt 8388608 ]
db=$(stat -c %s "$T/baraza.db")
echo "# database: $db bytes"
check "the messages reached the database file" [ "$db" -gt 524288 ]
check "the gateway stops cleanly" stop_server
done_testing
