#!/bin/sh
# Drill (issue 16): two `baraza serve` on one PostgreSQL database, nodes a
# and b, behind a round robin of SMS webhooks and USSD steps as a load
# balancer sends them (a node that does not answer: the same request to the
# other). A broadcast goes out meanwhile. Each node is killed with -9 once
# at a random moment and started again. In the end every SMS acknowledged
# is stored once with one reply, every broadcast recipient has one
# message, every USSD session ended on whichever node, and no text reached
# the provider under two message ids.
#
# Then a node dies for good while its sends hang at the provider: the other
# node queues its claims again once its lease has passed (30 s), and they go
# out. Runs on its own throwaway PostgreSQL server (lib.sh).
BARAZA_ON_PG=1
export BARAZA_ON_PG
. "$SRCDIR/tests/integration/lib.sh"
plan 17
NSUB=200
SMAX=1200
UMAX=120

PID_a=
PID_b=
_kill_nodes() {
	for p in $PID_a $PID_b; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}
trap '_kill_nodes; _cleanup_fake; cleanup' EXIT

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
drill_config 300/s "node = NODE"
drill_flows --loop
for n in a b; do
	sed "s/^node = NODE$/node = $n/" "$T/baraza.conf" >"$T/$n.conf"
done
"$BARAZA" -c "$T/a.conf" check >"$T/check.out" 2>&1 ||
	{ sed 's/^/# /' "$T/check.out"; echo "Bail out! the flows do not check"; exit 1; }

# start_node NAME: starts node NAME and waits (10 s at most) for a new
# "listening" line in $T/NAME.log; sets PID_NAME and PORT_NAME. The
# first start takes any port, which is then written into its config.
start_node() {
	before=$(grep -c 'listening addr=' "$T/$1.log" 2>/dev/null || true)
	"$BARAZA" -c "$T/$1.conf" serve 2>>"$T/$1.log" &
	eval "PID_$1=$!"
	i=0
	while [ $i -lt 100 ]; do
		if [ "$(grep -c 'listening addr=' "$T/$1.log")" -gt "${before:-0}" ]; then
			p=$(sed -n 's/.*listening addr=127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$T/$1.log" | tail -n 1)
			eval "PORT_$1=$p"
			sed -i "s/^listen = .*/listen = 127.0.0.1:$p/" "$T/$1.conf"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "# node $1 did not start:"
	tail -n 20 "$T/$1.log" | sed 's/^/#   /'
	return 1
}
port_of() { eval "echo \$PORT_$1"; }
pid_of() { eval "echo \$PID_$1"; }
other() { if [ "$1" = a ]; then echo b; else echo a; fi; }

start_node a || exit 1
start_node b || exit 1

# Subscribers, inserted directly.
sql "INSERT INTO contacts (id, phone, opted_out, created, updated)
	SELECT 100000 + i, '+2547990' || lpad(i::text, 5, '0'), 0, 0, 0
	FROM generate_series(1, $NSUB) AS i;
	INSERT INTO subscriptions (contact_id, topic, created)
	SELECT 100000 + i, 'drill', 0 FROM generate_series(1, $NSUB) AS i" >/dev/null

# sms ID NODE: the webhook to NODE, else (no answer) to the other one;
# prints "ID STATUS".
sms() {
	for n in $2 $(other "$2"); do
		code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' -H 'Content-Type: application/json' \
		    -d "{\"id\":\"m$1\",\"from\":\"+2547$(printf %08d "$1")\",\"to\":\"40404\",\"text\":\"PING $1\"}" \
		    "http://127.0.0.1:$(port_of "$n")/hooks/web/sms" 2>/dev/null)
		[ "$code" != 000 ] && break
	done
	echo "$1 $code"
}
# ussd SESSION INPUT NODE: one step, failing over as sms does; prints
# "SESSION NODE STATUS BODY" and leaves the body in $T/u.SESSION.
ussd() {
	for n in $3 $(other "$3"); do
		code=$(curl -s -m 5 -o "$T/u.$1" -w '%{http_code}' -H 'Content-Type: application/json' \
		    -d "{\"session\":\"u$1\",\"from\":\"+2547980$(printf %05d "$1")\",\"code\":\"*500#\",\"input\":\"$2\"}" \
		    "http://127.0.0.1:$(port_of "$n")/hooks/web/ussd" 2>/dev/null)
		[ "$code" != 000 ] && break
	done
	printf '%s %s %s %s\n' "$1" "$n" "$code" "$(cat "$T/u.$1" 2>/dev/null)"
}

: >"$T/acks"
: >"$T/ussd.log"
rm -f "$T/stop"
(
	i=1
	while [ $i -le $SMAX ] && [ ! -f "$T/stop" ]; do
		sms $i a >>"$T/acks" &
		x=$!
		sms $((i + 1)) b >>"$T/acks" &
		y=$!
		sms $((i + 2)) a >>"$T/acks" &
		z=$!
		wait $x $y $z
		i=$((i + 3))
	done
) &
smsload=$!
(
	# Each step of a session goes to the other node than the one before.
	s=1
	while [ $s -le $UMAX ] && [ ! -f "$T/stop" ]; do
		node=a
		[ $((s % 2)) -eq 0 ] && node=b
		for input in "" 1 1; do
			ussd $s "$input" $node >>"$T/ussd.log"
			node=$(other $node)
		done
		# A "2" whose answer was lost ended the session: a retry
		# begins a new one, which the next "2" ends.
		k=0
		while [ $k -lt 3 ]; do
			ussd $s 2 $node >>"$T/ussd.log"
			grep -q Bye "$T/u.$s" && break
			node=$(other $node)
			k=$((k + 1))
		done
		echo "$s end $(cat "$T/u.$s")" >>"$T/ussd.end"
		s=$((s + 1))
	done
) &
ussdload=$!
"$BARAZA" -c "$T/a.conf" broadcast "Drill broadcast: water off on Monday." --topic drill >"$T/bcast.out" 2>&1 &
bcast=$!

rnd() { # a random sleep of 0.5 to 2 s
	awk -v r="$(od -An -N2 -tu2 /dev/urandom)" 'BEGIN { printf "%.2f", 0.5 + (r % 1501) / 1000 }'
}
for n in a b; do
	d=$(rnd)
	sleep "$d"
	p=$(pid_of $n)
	kill -9 "$p"
	wait "$p" 2>/dev/null
	echo "# kill -9 node $n after $d s, $(grep -c ' 200$' "$T/acks") SMS acknowledged so far"
	sleep 1
	start_node $n || exit 1
done
ok "each node killed with -9 once and started again"
sleep 1
touch "$T/stop"
wait $smsload
wait $ussdload
wait $bcast
bcast_rc=$?
bid=$(sed -n 's/^broadcast: //p' "$T/bcast.out")
is "the broadcast command succeeded" "$bcast_rc $(sed -n 's/^recipients: //p' "$T/bcast.out")" "0 $NSUB"

# A provider retries what got no 200, to either node.
N=$(awk '{ print $1 }' "$T/acks" | sort -u | wc -l)
round=0
while [ $round -lt 5 ]; do
	awk '$2 == 200 { ok[$1] = 1 } { all[$1] = 1 } END { for (i in all) if (!(i in ok)) print i }' "$T/acks" >"$T/retry"
	[ -s "$T/retry" ] || break
	while read -r i; do sms "$i" b >>"$T/acks"; done <"$T/retry"
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

ustat=$(awk '{ print $2 ":" $3 }' "$T/ussd.log" | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')
echo "# USSD steps by node and answer: $ustat"
is "USSD steps are answered 200 by either node" "$(awk '$3 != 200' "$T/ussd.log" | head -n 3)" ""
is "USSD answers are the menu or the end" "$(grep -v -e 'Loop menu' -e 'Bye' "$T/ussd.log" | head -n 3)" ""
is "every USSD session ended, whichever node took its steps" \
    "$(grep -c ' end .*Bye' "$T/ussd.end")" "$(wc -l <"$T/ussd.end" | tr -d ' ')"
check "both nodes answered USSD steps" sh -c "grep -q '^[0-9]* a 200' '$T/ussd.log' && grep -q '^[0-9]* b 200' '$T/ussd.log'"
check "the queue drains" wait_for 60 sh -c "[ \"\$(psql -XAtq '$DB' -c \"select count(*) from messages where direction = 'out' and kind = 'sms' and state <> 'sent'\")\" = 0 ]"

# Node a dies for good while its sends hang at the provider.
curl -s -m 5 -o /dev/null -X POST -d '{"mode":"slow","delay_ms":8000}' "http://127.0.0.1:$FAKE_PORT/_control"
M=$((SMAX + 1000))
for i in 1 2 3 4 5 6 7 8 9 10; do sms $((M + i)) a >>"$T/acks2"; done
wait_for 10 sh -c "[ \"\$(psql -XAtq '$DB' -c \"select count(*) from messages where state = 'sending' and node = 'a'\")\" -gt 0 ]"
inflight=$(sql "select count(*) from messages where state = 'sending' and node = 'a'")
kill -9 "$PID_a"
wait "$PID_a" 2>/dev/null
PID_a=
curl -s -m 5 -o /dev/null -X POST -d '{"mode":"ok"}' "http://127.0.0.1:$FAKE_PORT/_control"
check "node a was sending when it was killed ($inflight messages)" [ "${inflight:-0}" -gt 0 ]
check "node b queues node a's claims again once the lease has passed" \
    wait_for 60 grep -q 'messages a stopped node was sending are queued again' "$T/b.log"
check "and they all go out" wait_for 30 sh -c "[ \"\$(psql -XAtq '$DB' -c \"select count(*) from messages where direction = 'out' and state <> 'sent'\")\" = 0 ]"

# Provider requests: "id to text" per line; a (to, text) under two ids is a
# message sent twice, the same id repeated is a request in flight at a kill.
sed -n 's/.*"params":{"id":\([0-9]*\),"to":"\([^"]*\)","text":"\([^"]*\)".*/\1 \2 \3/p' "$T/fake.log" >"$T/sends"
is "every provider request is parsed" "$(wc -l <"$T/sends")" "$(grep -c '"path":"/send"' "$T/fake.log")"
twice=$(sort -u "$T/sends" | awk '{ $1 = ""; print }' | sort | uniq -d | wc -l)
repeats=$(sort "$T/sends" | uniq -d | wc -l)
echo "# provider requests: $(wc -l <"$T/sends"), repeated with the same id after a kill: $repeats"
is "no text reached the provider under two message ids" "$twice" "0"
kill -TERM "$PID_b"
wait "$PID_b"
rc=$?
PID_b=
is "node b stops cleanly" "$rc" 0
done_testing
