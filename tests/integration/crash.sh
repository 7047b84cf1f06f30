#!/bin/sh
# kill -9 in the middle of a 2,000-message load: every message the gateway
# acknowledged (200) is answered exactly once after the restart. Inbound
# messages whose 200 was lost in the crash are sent again, as a provider
# retries, and are not processed twice.
. "$SRCDIR/tests/integration/lib.sh"
plan 8
N=2000

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
drill_config 1000/s
drill_flows
start_server || exit 1
# The restart must come back on the same port: the load goes on meanwhile.
sed -i "s/^listen = .*/listen = 127.0.0.1:$PORT/" "$T/baraza.conf"

send_one() { # id -> prints "id status"
	code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' \
	    -H 'Content-Type: application/json' \
	    -d "{\"id\":\"m$1\",\"from\":\"+2547$(printf %08d "$1")\",\"to\":\"40404\",\"text\":\"PING $1\"}" \
	    "http://127.0.0.1:$PORT/hooks/web/sms")
	echo "$1 $code"
}
export PORT

: >"$T/acks"
(
	i=1
	while [ $i -le $N ]; do
		send_one $i >>"$T/acks" &
		[ $((i % 8)) -eq 0 ] && wait
		i=$((i + 1))
	done
	wait
) &
load=$!

# Kill the gateway once a quarter of the load is acknowledged.
wait_for 60 sh -c "[ \$(grep -c ' 200\$' '$T/acks') -ge $((N / 4)) ]"
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
SERVE_PID=
acked_before=$(grep -c ' 200$' "$T/acks")
ok "killed with -9 after $acked_before acknowledged messages"
sleep 0.3
start_server || exit 1
ok "the gateway restarts on the same port"
wait $load

# A provider retries what got no 200 (refused while down, or the answer lost).
round=0
while [ $round -lt 5 ]; do
	awk '$2 == 200 { ok[$1] = 1 } END { for (i = 1; i <= '"$N"'; i++) if (!(i in ok)) print i }' "$T/acks" >"$T/retry"
	[ -s "$T/retry" ] || break
	while read -r i; do send_one "$i" >>"$T/acks"; done <"$T/retry"
	round=$((round + 1))
done
is "every message is acknowledged in the end" "$(awk '$2 == 200 { print $1 }' "$T/acks" | sort -u | wc -l)" "$N"

is "every message is stored once" "$(sql "select count(*) from messages where direction='in'")" "$N"
check "the queue drains" wait_for 60 sql_is "select count(*) from messages where direction='out' and state <> 'sent'" 0
is "one reply per message, none twice" "$(sql "select count(*), count(distinct text) from messages where direction='out'")" "$N|$N"
# Every reply reached the provider; a request in flight at the kill may be
# repeated with the same message id (at-least-once for exactly those).
got=$(grep -o '"text":"PONG [0-9]*"' "$T/fake.log" | sort -u | wc -l)
is "every reply reached the provider" "$got" "$N"
repeats=$(grep -o '"text":"PONG [0-9]*"' "$T/fake.log" | sort | uniq -d | wc -l)
echo "# replies repeated because they were in flight at the kill: $repeats"
check "repeats are only requests in flight at the kill (at most 64)" [ "$repeats" -le 64 ]
stop_server TERM
done_testing
