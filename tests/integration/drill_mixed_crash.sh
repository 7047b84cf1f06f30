#!/bin/sh
# Drill: kill -9 at 3 random moments (0.5-2 s apart) during a mixed load:
# SMS webhooks, USSD steps through a looping menu and a broadcast to 300
# subscribers, all on the generic http channel; the gateway restarts on the
# same port each time. In the end every SMS acknowledged is stored once
# with one reply, every broadcast recipient has one message, the queue
# drains, and no text went to the provider under two message ids.
. "$SRCDIR/tests/integration/lib.sh"
plan 12
NSUB=300
SMAX=3000
UMAX=400

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
drill_config 200/s
drill_flows --loop
"$BARAZA" -c "$T/baraza.conf" check >"$T/check.out" 2>&1 || { sed 's/^/# /' "$T/check.out"; echo "Bail out! the flows do not check"; exit 1; }
start_server || exit 1
sed -i "s/^listen = .*/listen = 127.0.0.1:$PORT/" "$T/baraza.conf"
cp "$T/serve.log" "$T/serve-all.log"

# Subscribers, inserted directly.
awk -v n=$NSUB 'BEGIN {
	print "BEGIN;"
	for (i = 1; i <= n; i++) {
		printf "INSERT INTO contacts (id, phone, opted_out, created, updated) VALUES (%d, \x27+2547990%05d\x27, 0, 0, 0);\n", 100000 + i, i
		printf "INSERT INTO subscriptions (contact_id, topic, created) VALUES (%d, \x27drill\x27, 0);\n", 100000 + i
	}
	print "COMMIT;"
}' | sql_script
sql_ids contacts

sms() { # id -> "id status"
	code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' -H 'Content-Type: application/json' \
	    -d "{\"id\":\"m$1\",\"from\":\"+2547$(printf %08d "$1")\",\"to\":\"40404\",\"text\":\"PING $1\"}" \
	    "http://127.0.0.1:$PORT/hooks/web/sms")
	echo "$1 $code"
}
ussd() { # session input -> "status text"
	curl -s -m 5 -o "$T/ussd.body" -w '%{http_code}' -H 'Content-Type: application/json' \
	    -d "{\"session\":\"u$1\",\"from\":\"+2547980$(printf %05d "$1")\",\"code\":\"*500#\",\"input\":\"$2\"}" \
	    "http://127.0.0.1:$PORT/hooks/web/ussd" 2>/dev/null
	printf ' %s\n' "$(cat "$T/ussd.body" 2>/dev/null)"
}

: >"$T/acks"
: >"$T/ussd.log"
rm -f "$T/stop"
(
	i=1
	while [ $i -le $SMAX ] && [ ! -f "$T/stop" ]; do
		sms $i >>"$T/acks" &
		a=$!
		sms $((i + 1)) >>"$T/acks" &
		b=$!
		sms $((i + 2)) >>"$T/acks" &
		c=$!
		wait $a $b $c
		i=$((i + 3))
	done
) &
smsload=$!
(
	s=1
	while [ $s -le $UMAX ] && [ ! -f "$T/stop" ]; do
		ussd $s "" >>"$T/ussd.log"
		k=0
		while [ $k -lt 4 ]; do
			ussd $s 1 >>"$T/ussd.log"
			k=$((k + 1))
		done
		ussd $s 2 >>"$T/ussd.log"
		s=$((s + 1))
	done
) &
ussdload=$!
"$BARAZA" -c "$T/baraza.conf" broadcast "Drill broadcast: water off on Monday." --topic drill >"$T/bcast.out" 2>&1 &
bcast=$!

rnd() { # a random sleep of 0.5 to 2 s
	awk -v r="$(od -An -N2 -tu2 /dev/urandom)" 'BEGIN { printf "%.2f", 0.5 + (r % 1501) / 1000 }'
}
kills=0
while [ $kills -lt 3 ]; do
	d=$(rnd)
	sleep "$d"
	kill -9 "$SERVE_PID"
	wait "$SERVE_PID" 2>/dev/null
	SERVE_PID=
	kills=$((kills + 1))
	echo "# kill -9 number $kills after $d s, $(grep -c ' 200$' "$T/acks") SMS acknowledged so far"
	start_server || exit 1
	cat "$T/serve.log" >>"$T/serve-all.log"
done
ok "killed with -9 three times and restarted on the same port"
sleep 1
touch "$T/stop"
wait $smsload
wait $ussdload
wait $bcast
bcast_rc=$?
bid=$(sed -n 's/^broadcast: //p' "$T/bcast.out")
is "the broadcast command succeeded" "$bcast_rc $(sed -n 's/^recipients: //p' "$T/bcast.out")" "0 $NSUB"

# A provider retries what got no 200.
N=$(awk '{ print $1 }' "$T/acks" | sort -u | wc -l)
round=0
while [ $round -lt 5 ]; do
	awk '$2 == 200 { ok[$1] = 1 } { all[$1] = 1 } END { for (i in all) if (!(i in ok)) print i }' "$T/acks" >"$T/retry"
	[ -s "$T/retry" ] || break
	while read -r i; do sms "$i" >>"$T/acks"; done <"$T/retry"
	round=$((round + 1))
done
echo "# SMS: $N sent, $(awk '$2 != 200' "$T/acks" | wc -l) answers other than 200 (retried)"
is "every SMS is acknowledged in the end" "$(awk '$2 == 200 { print $1 }' "$T/acks" | sort -u | wc -l)" "$N"
is "every SMS is stored exactly once" \
    "$(sql "select count(*), count(distinct provider_id) from messages where direction='in' and kind='sms'")" "$N|$N"
is "every SMS has exactly one reply" \
    "$(sql "select count(*), count(distinct text) from messages where direction='out' and kind='sms' and text like 'PONG %'")" "$N|$N"
is "every broadcast recipient has exactly one message" \
    "$(sql "select count(*), count(distinct phone) from messages where broadcast_id = ${bid:-0}")" "$NSUB|$NSUB"

ustat=$(awk '{ print $1 }' "$T/ussd.log" | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
echo "# USSD steps by answer: $ustat"
is "USSD steps are answered 200 or not at all (gateway down)" "$(awk '$1 != 200 && $1 != "000"' "$T/ussd.log" | head -n 3)" ""
is "USSD answers are the menu or the end" "$(awk '$1 == 200' "$T/ussd.log" | grep -v -e 'Loop menu' -e 'Bye' | head -n 3)" ""
is "every stored USSD step has one answer row" \
    "$(sql "select (select count(*) from messages where direction='in' and kind='ussd') - (select count(*) from messages where direction='out' and kind='ussd')")" "0"

check "the queue drains" wait_for 60 sql_is "select count(*) from messages where direction='out' and kind='sms' and state <> 'sent'" 0

# Provider requests: "id to text" per line; a (to, text) under two ids is a
# message sent twice, the same id repeated is a request in flight at a kill.
sed -n 's/.*"params":{"id":\([0-9]*\),"to":"\([^"]*\)","text":"\([^"]*\)".*/\1 \2 \3/p' "$T/fake.log" >"$T/sends"
is "every provider request is parsed" "$(wc -l <"$T/sends")" "$(grep -c '"path":"/send"' "$T/fake.log")"
twice=$(sort -u "$T/sends" | awk '{ $1 = ""; print }' | sort | uniq -d | wc -l)
repeats=$(sort "$T/sends" | uniq -d | wc -l)
echo "# provider requests: $(wc -l <"$T/sends"), repeated with the same id after a kill: $repeats"
is "no text reached the provider under two message ids" "$twice" "0"
stop_server TERM
done_testing
