#!/bin/sh
# Drill (issue 16): the PostgreSQL server stops at once (pg_ctl -m
# immediate, as a crash or a failover would) while SMS webhooks arrive and
# replies go out (three of them hanging at the provider, so that their
# outcomes come back meanwhile), and comes back 3 s later on the same
# address. The
# gateway keeps running: a webhook meanwhile gets 503, never a 200 for a
# message not committed; the "provider" sends each again until it gets 200,
# as providers do. Once the server is back every message is stored once,
# each reply reaches the provider once and is marked sent, and the same
# gateway process served throughout. Runs on a PostgreSQL server of its own
# (the one it stops). Then a stop (SIGTERM) while the server is away
# again, with outcomes coming back meanwhile: it waits and writes them.
BARAZA_ON_PG=1
export BARAZA_ON_PG
unset BARAZA_TEST_PG
. "$SRCDIR/tests/integration/lib.sh"
plan 13
N=60
DOWN_AT=20

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
signed_web_config "stop_timeout = 30s"
drill_flows
start_server || exit 1
pid=$SERVE_PID

# send I: webhook I, again every 0.2 s until it is answered 200 (at most
# 30 s); each answer's code goes to $T/codes.
send() {
	tries=0
	while [ $tries -lt 150 ]; do
		c=$(hook_json /hooks/web/sms "{\"id\":\"r$1\",\"from\":\"+2547$(printf %08d "$1")\",\"to\":\"40404\",\"text\":\"PING r$1\"}" | cut -c1-3)
		echo "$1 $c" >>"$T/codes"
		[ "$c" = 200 ] && return 0
		tries=$((tries + 1))
		sleep 0.2
	done
	return 1
}

: >"$T/codes"
resumer=
i=1
while [ $i -le $N ]; do
	if [ $i -eq $((DOWN_AT - 3)) ]; then
		# The next three replies hang 2 s at the provider: their
		# outcomes come back while the database is down.
		curl -s -m 5 -o /dev/null -d '{"mode":"slow","count":3,"delay_ms":2000}' \
		    "http://127.0.0.1:$FAKE_PORT/_control"
	fi
	if [ $i -eq $DOWN_AT ]; then
		"$SRCDIR/scripts/pg-tmp" pause "$PG_DIR"
		echo "# the database stopped before webhook $i"
		(sleep 3 && "$SRCDIR/scripts/pg-tmp" resume "$PG_DIR") &
		resumer=$!
	fi
	send $i || break
	i=$((i + 1))
done
wait $resumer
is "every webhook is answered 200 in the end" \
    "$(awk '$2 == 200 { print $1 }' "$T/codes" | sort -u | wc -l)" "$N"
is "meanwhile it answered only 503, never 200 before storing" \
    "$(awk '$2 != 200 { print $2 }' "$T/codes" | sort -u | tr '\n' ' ')" "503 "
check "and some webhooks met the stopped database" \
    test "$(awk '$2 == 503' "$T/codes" | wc -l)" -ge 1
echo "# answers: $(awk '{ print $2 }' "$T/codes" | sort | uniq -c | tr -s ' \n' ' ')"
check "the same gateway served throughout" kill -0 "$pid"
is "every message is stored exactly once" \
    "$(sql "select count(*) || ' ' || count(distinct text) from messages where direction = 'in' and text like 'PING r%'")" "$N $N"
check "every reply is marked sent" wait_for 60 sql_is \
    "select count(*) from messages where direction = 'out' and text like 'PONG r%' and state = 'sent'" "$N"
grep -o '"text":"PONG r[0-9]*"' "$T/fake.log" | sort | uniq -c | awk '{ print $1 }' | sort -u >"$T/per_text"
is "every reply reached the provider exactly once" "$(cat "$T/per_text")" "1"
is "every reply reached it" "$(grep -o '"text":"PONG r[0-9]*"' "$T/fake.log" | sort -u | wc -l)" "$N"

# A stop while the database is away: two replies hang 1.5 s at the
# provider, the server stops, then the gateway is told to stop; the
# provider answers meanwhile and the server is back 1.5 s after it went.
# The stop waits for the database (stop_timeout 30 s: PostgreSQL's crash
# recovery took 5 s here) and writes both outcomes (before, it dropped
# them: the replies stayed "sending" and went again at the next start).
curl -s -m 5 -o /dev/null -d '{"mode":"slow","count":2,"delay_ms":1500}' \
    "http://127.0.0.1:$FAKE_PORT/_control"
send $((N + 1))
send $((N + 2))
# held: both replies are at the provider, waiting for its answer.
held() { [ "$(fake_count '"text":"PONG r6[12]"')" -eq 2 ]; }
wait_for 10 held
"$SRCDIR/scripts/pg-tmp" pause "$PG_DIR"
(sleep 1.5 && "$SRCDIR/scripts/pg-tmp" resume "$PG_DIR") &
resumer=$!
check "a stop while the database is away ends cleanly" stop_server TERM 40
cp "$T/serve.log" "$T/serve-stop.log"
is "and within its limit" "$(grep -c 'stop timed out' "$T/serve.log")" 0
echo "# $(grep -c 'an outcome was recorded' "$T/serve.log") outcomes written again"
wait $resumer
is "the outcomes that came back during the stop were written" \
    "$(sql "select count(*) from messages where direction = 'out' and text in ('PONG r61', 'PONG r62') and state = 'sent'")" 2
start_server || exit 1
sleep 3
is "after a restart neither reply goes again" \
    "$(fake_count '"text":"PONG r6[12]"')" 2
check "the gateway stops cleanly" stop_server TERM
done_testing
