#!/bin/sh
# The WAL stays bounded while the gateway serves: the checkpoints in the
# thread pool really copy it into the database, so the next writer starts
# the WAL over. (A checkpoint on a connection that had read nothing was a
# no-op reporting success: the WAL grew by every page ever written.)
. "$SRCDIR/tests/integration/lib.sh"

plan 8
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
check "every reply is sent" wait_for 30 sql_is "select count(*) from messages where direction='out' and state = 'sent'" $N
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

# Under a sustained load the background checkpoint never catches up with
# the writes made while it runs, so the WAL is never started over unless
# the loop finishes the last frames itself once the WAL is big
# (STORE_CHECKPOINT_RESET_FRAMES). 20 curls at once, each sending 150
# webhooks one after the other on a keep-alive connection: 3,000 in all.
M=3000
pids=
for c in $(seq 20); do
	awk -v c=$c -v n=$((M / 20)) -v base=$N -v fill="$FILL" -v url="http://127.0.0.1:$PORT/hooks/web/sms" 'BEGIN {
		for (k = 1; k <= n; k++) {
			i = (c - 1) * n + k
			printf "url = \"%s\"\nheader = \"Content-Type: application/json\"\n", url
			printf "data = \"{\\\"id\\\":\\\"s%d\\\",\\\"from\\\":\\\"+2547%08d\\\",\\\"to\\\":\\\"40404\\\",\\\"text\\\":\\\"PING %d %s\\\"}\"\n", i, base + i % 500, i, fill
			print "output = /dev/null\nwrite-out = \"%{http_code}\\n\"\nnext"
		}
	}' >"$T/load$c.cfg"
	curl -s -m 120 -K "$T/load$c.cfg" >"$T/codes$c" 2>/dev/null &
	pids="$pids $!"
done
# (wait alone would wait for the server too)
for p in $pids; do wait "$p"; done
cat "$T"/codes[0-9]* >"$T/codes"
echo "# answers: $(sort "$T/codes" | uniq -c | tr -s ' \n' ' ')"
is "every webhook of the sustained load is acknowledged" "$(grep -c '^200$' "$T/codes")" "$M"
check "every reply of the sustained load is sent" wait_for 60 sql_is "select count(*) from messages where direction='out' and state = 'sent'" $((N + M))
wal=$(stat -c %s "$T/baraza.db-wal")
echo "# WAL after $M more messages, 20 at a time: $wal bytes"
check "the WAL stays under 16 MiB under a sustained load" [ "$wal" -lt 16777216 ]
check "the gateway stops cleanly" stop_server
done_testing
