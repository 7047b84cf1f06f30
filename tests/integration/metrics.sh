#!/bin/sh
# Monitoring and privacy end to end: SMS through a webhook into `baraza
# serve` with the fake provider, GET /metrics parsed for its series,
# `baraza stats` with the server up and down, `baraza contact NUM` and
# `--forget`, and the texts gone from the database.
. "$SRCDIR/tests/integration/lib.sh"
plan 49

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = at
languages = en sw
retention_days = 30
[channel at]
type = africastalking
username = sandbox
api_key = at-key
sender = 40404
api_url = http://127.0.0.1:$FAKE_PORT
webhook_secret = $HOOK_SECRET"
cp "$SRCDIR"/flows/examples/*.flow "$T/flows/"
start_server || exit 1

sms() {
	http POST /hooks/at/sms -H "X-Baraza-Secret: $HOOK_SECRET" -d "id=$1" -d from=0700000001 -d to=40404 --data-urlencode "text=$2" | cut -c1-3
}
# A report in four messages: the flow asks category, place, details.
is "REPORT is accepted" "$(sms m1 REPORT)" 200
is "the category is accepted" "$(sms m2 1)" 200
is "the place is accepted" "$(sms m3 'Kisumu Central, by the market')" 200
is "the details are accepted" "$(sms m4 'Pipe burst, water everywhere')" 200
check "four replies reach the provider" wait_for 10 sh -c "[ \$(grep -c '/version1/messaging' '$T/fake.log') -ge 4 ]"
check "every reply is sent" wait_for 10 sql_is "select count(*) from messages where direction='out' and state in ('queued','sending')" 0
is "the report is stored" "$(sql "select category from reports")" "water_leak"

# A message the provider rejects: a failure with a reason.
fake_mode 400 1
"$BARAZA" -c "$T/baraza.conf" send 0700000009 "Your secret code is 4711" >/dev/null 2>&1
check "the rejected message fails" wait_for 10 sql_is "select state from messages where phone='+254700000009'" failed

# --- /metrics ---
r=$(http GET /metrics)
is "/metrics answers 200" "${r%% *}" "200"
printf '%s\n' "$r" | sed '1s/^200 //' >"$T/metrics"
m=$(cat "$T/metrics")
like "inbound messages by channel, direction and state" "$m" 'baraza_messages\{channel="at",direction="in",state="handled"\} 4'
like "outbound sent messages" "$m" 'baraza_messages\{channel="at",direction="out",state="sent"\} 4'
like "the failed message" "$m" 'baraza_messages\{channel="at",direction="out",state="failed"\} 1'
like "queue depth by channel" "$m" 'baraza_queue_depth\{channel="at"\} 0'
like "the report by category and status" "$m" 'baraza_reports\{category="water_leak",status="open"\} 1'
like "webhook latency histogram by channel and kind" "$m" 'baraza_webhook_duration_seconds_count\{channel="at",kind="sms"\} 4'
like "the histogram has a +Inf bucket" "$m" 'baraza_webhook_duration_seconds_bucket\{channel="at",kind="sms",le="\+Inf"\} 4'
like "webhook answers by status" "$m" 'baraza_webhook_answers_total\{channel="at",kind="sms",status="200"\} 4'
like "provider errors by channel" "$m" 'baraza_provider_errors_total\{channel="at",result="failed"\} 1'
like "batch commits" "$m" 'baraza_batch_commits_total [1-9]'
like "connections shed for descriptors" "$m" 'baraza_http_connections_shed_total\{how="idle"\} 0'
like "flood guard evictions" "$m" 'baraza_flood_guard_evicted_total 0'
# Every sample's family has HELP and TYPE lines.
bad=$(awk '
	/^# HELP / { help[$3] = 1; next }
	/^# TYPE / { type[$3] = $4; next }
	/^#/ { next }
	{
		n = $0; sub(/[{ ].*/, "", n); f = n
		if (!(f in type)) sub(/_(bucket|sum|count)$/, "", f)
		if (!(f in type) || !(f in help)) print n
	}' "$T/metrics")
is "every sample has HELP and TYPE" "$bad" ""
is "no message text in /metrics" "$(grep -c 'Pipe burst' "$T/metrics")" "0"
# The database's figures follow the gateway's own writes within a second.
is "one more SMS is accepted" "$(sms m5 'hello there')" 200
check "its reply is sent" wait_for 10 sql_is "select count(*) from messages where direction='out' and state in ('queued','sending')" 0
sleep 1.1
like "a scrape a second later counts it" "$(http GET /metrics)" \
    'baraza_messages\{channel="at",direction="in",state="handled"\} 5'
# Scrapes that come together, while the figures are read again (in the
# thread pool, not on the loop), each get them whole.
is "one more SMS for the scrapes together" "$(sms m6 'hello again')" 200
check "its reply is sent too" wait_for 10 sql_is "select count(*) from messages where direction='out' and state in ('queued','sending')" 0
sleep 1.1
pids=
for i in 1 2 3 4 5 6 7 8; do
	curl -s -m 10 -o "$T/scrape$i" -w '%{http_code}\n' "http://127.0.0.1:$PORT/metrics" >"$T/scrape$i.status" &
	pids="$pids $!"
done
wait $pids
is "eight scrapes together all answer 200" "$(cat "$T"/scrape[1-8].status | sort -u)" "200"
is "and all count the same six messages" \
    "$(grep -h 'baraza_messages{channel="at",direction="in",state="handled"}' "$T"/scrape[1-8] | sort | uniq -c | sed 's/^ *//')" \
    '8 baraza_messages{channel="at",direction="in",state="handled"} 6'

# --- baraza stats, with the server running ---
"$BARAZA" -c "$T/baraza.conf" stats >"$T/stats" 2>&1
is "stats exits 0 while serve runs" "$?" "0"
s=$(cat "$T/stats")
like "stats names the channel and its type" "$s" 'at \(africastalking\)'
like "stats counts by state" "$s" 'handled 6'
like "stats shows the report category" "$s" 'water_leak 1'
like "stats lists the last error with a masked number" "$s" '\+254\*{7}09'
is "stats never prints a full number" "$(grep -c '+254700000009' "$T/stats")" "0"

# --- baraza contact ---
c=$("$BARAZA" -c "$T/baraza.conf" contact 0700000001 2>&1)
like "contact shows the number" "$c" 'phone +\+254700000001'
like "contact lists the linked report" "$c" '#1 open water_leak'
"$BARAZA" -c "$T/baraza.conf" contact 0799999999 >/dev/null 2>&1
is "an unknown contact exits 1" "$?" "1"
"$BARAZA" -c "$T/baraza.conf" contact >/dev/null 2>&1
is "contact without a number exits 2" "$?" "2"

n_before=$(sql "select count(*) from messages where phone='+254700000001'")
f=$("$BARAZA" -c "$T/baraza.conf" contact 0700000001 --forget 2>&1)
like "forget prints what it erased" "$f" 'message texts erased +12'
is "the texts are gone from the database" "$(sql "select count(*) from messages where phone='+254700000001' and text is not null")" "0"
like "and the messages it deleted" "$f" "messages deleted +$n_before"
is "the messages are gone" "$(sql "select count(*) from messages where phone='+254700000001'")" "0"
is "the report is kept but unlinked" "$(sql "select count(*) from reports where contact_id is null")" "1"

like "the retention purge is scheduled" "$(cat "$T/serve.log")" 'message texts are purged daily days=30'

# --- stats with the server stopped ---
stop_server
is "serve stops cleanly" "$?" "0"
is "no handle is left open" "$(grep -c 'handles left open' "$T/serve.log")" "0"
"$BARAZA" -c "$T/baraza.conf" stats >"$T/stats2" 2>&1
is "stats works without serve" "$?" "0"
done_testing
