#!/bin/sh
# Drill: the provider is down for about 10 s (its process stopped, so
# connections are refused) while messages are queued through the admin API
# and replies to webhooks. Once it is back every message is delivered
# exactly once, those queued during the outage after more than one attempt,
# and none fails.
. "$SRCDIR/tests/integration/lib.sh"
plan 10
NPRE=10
NOUT=40

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
signed_web_config
drill_flows
start_server || exit 1
auth="Authorization: Bearer test-token"

webhook() { # id text
	hook_json /hooks/web/sms "{\"id\":\"$1\",\"from\":\"+2547$(printf %08d "$2")\",\"to\":\"40404\",\"text\":\"PING $1\"}" | cut -c1-3
}
api() { # text
	http POST /api/v1/messages -H "$auth" -d "{\"to\":\"0711$(printf %06d "$2")\",\"text\":\"$1\"}" | cut -c1-3
}
sent_count() {
	sql "select count(*) from messages where direction='out' and state='sent'"
}

# Before the outage: delivered at the first attempt.
: >"$T/codes"
i=1
while [ $i -le $NPRE ]; do
	webhook "pre$i" "$i" >>"$T/codes"
	api "api pre$i" "$i" >>"$T/codes"
	i=$((i + 1))
done
check "messages before the outage are delivered" wait_for 20 sql_is "select count(*) from messages where direction='out' and state='sent'" $((2 * NPRE))

# The outage: stop the provider, queue for about 8 s, come back at 10 s.
kill "$FAKE_PID"
wait "$FAKE_PID" 2>/dev/null
FAKE_PID=
t0=$(date +%s)
i=1
while [ $i -le $NOUT ]; do
	webhook "out$i" $((100 + i)) >>"$T/codes"
	api "api out$i" $((100 + i)) >>"$T/codes"
	sleep 0.2
	i=$((i + 1))
done
while [ $(($(date +%s) - t0)) -lt 10 ]; do sleep 0.2; done
# The provider comes back only once every message queued during the outage
# has been tried and its failure recorded (queued again, one attempt or
# more): the last ones are queued just before this point, and on a slow
# store their first try could otherwise meet the provider already back.
check "every message queued during the outage was tried while it lasted" \
    wait_for 20 sql_is "select count(*) from messages where direction='out' and text like '%out%' and not (state='queued' and attempts >= 1)" 0
pending=$(sql "select count(*) from messages where direction='out' and state <> 'sent'")
echo "# outage of $(($(date +%s) - t0)) s: $((2 * NOUT)) messages queued, $pending not sent yet"
is "every webhook and API call during the outage was accepted" \
    "$(sort "$T/codes" | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" \
    "200:$((NPRE + NOUT)) 202:$((NPRE + NOUT)) "
"$FAKE_PROVIDER" --port-file "$T/fake.port" --listen "127.0.0.1:$FAKE_PORT" \
    --log "$T/fake.log" 2>>"$T/fake.err" &
FAKE_PID=$!
t1=$(date +%s)
total=$((2 * (NPRE + NOUT)))
check "the queue drains after the outage" wait_for 60 sql_is "select count(*) from messages where direction='out' and state='sent'" $total
echo "# drained $(($(date +%s) - t1)) s after the provider came back"
is "none failed" "$(sql "select count(*) from messages where state='failed'")" "0"

# Exactly once per text in the provider's log.
grep -o '"text":"[^"]*"' "$T/fake.log" | sort | uniq -c | awk '{ print $1 }' | sort -u >"$T/per_text"
is "every text reached the provider exactly once" "$(cat "$T/per_text")" "1"
is "every message reached the provider" "$(grep -o '"text":"[^"]*"' "$T/fake.log" | sort -u | wc -l)" "$total"
is "messages before the outage took one attempt" \
    "$(sql "select count(*) from messages where direction='out' and text like '%pre%' and attempts <> 1")" "0"
is "messages queued during the outage took more than one attempt" \
    "$(sql "select count(*) from messages where direction='out' and text like '%out%' and attempts < 2")" "0"
echo "# attempts of the messages queued during the outage: $(sql "select 'min ' || min(attempts) || ', max ' || max(attempts) || ', mean ' || round(avg(attempts), 2) from messages where direction='out' and text like '%out%'")"
r=$(http GET "/api/v1/messages/$(sql "select id from messages where text='api out1'")" -H "$auth")
like "the API shows the attempts" "$r" '"state": ?"sent".*"attempts": ?[2-9]|"attempts": ?[2-9].*"state": ?"sent"'
stop_server TERM
done_testing
