#!/bin/sh
# Broadcasts and notify end to end: `baraza serve` and the fake provider,
# subscribers inserted with sqlite3, broadcasts through the CLI and the
# admin API, counts by state, --at holding messages back, and notify with a
# good CSV and a CSV with a bad row (nothing queued).
. "$SRCDIR/tests/integration/lib.sh"
plan 61

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
api="http://127.0.0.1:$FAKE_PORT"
write_config "default_channel = web
[channel web]
type = http
api_url = $api/send
signing_key = $SIGNING_KEY
rate = 1000/s
[channel at]
type = africastalking
username = sandbox
api_key = at-key
sender = 40404
api_url = $api
webhook_secret = $HOOK_SECRET
rate = 1000/s"
start_server || exit 1
B() { "$BARAZA" -c "$T/baraza.conf" "$@"; }
auth="Authorization: Bearer test-token"

# Six contacts: 11-14 follow water (13 opted out, 12 last wrote on at),
# 15 follows roads, 16 follows nothing.
sql "INSERT INTO contacts (id, phone, opted_out, last_channel, created, updated) VALUES
 (11, '+254700000011', 0, NULL, 0, 0), (12, '+254700000012', 0, 'at', 0, 0),
 (13, '+254700000013', 1, NULL, 0, 0), (14, '+254700000014', 0, 'gone', 0, 0),
 (15, '+254700000015', 0, NULL, 0, 0), (16, '+254700000016', 0, NULL, 0, 0);
 INSERT INTO subscriptions (contact_id, topic, created) VALUES
 (11, 'water', 0), (12, 'water', 0), (13, 'water', 0), (14, 'water', 0),
 (15, 'roads', 0);"

# --- dry run ---
out=$(B broadcast "Water off in Kilimani on Monday." --topic water --dry-run)
like "the dry run counts the non-opted-out subscribers" "$out" 'recipients: 3'
like "the dry run gives the encoding" "$out" 'encoding: GSM-7'
like "the dry run gives the total segments" "$out" 'total segments: 3'
is "the dry run queues nothing" "$(sql "select count(*) from messages")" "0"
out=$(B broadcast "Water off." --topic watre --dry-run 2>"$T/err")
is "a topic nobody follows is not an error" "$?" 0
is "and says so, with the topics that have subscribers" "$(cat "$T/err")" \
    "baraza: warning: nobody is subscribed to 'watre' (topics with subscribers: roads, water)"

# --- broadcast through the CLI ---
out=$(B broadcast "Water off in Kilimani on Monday." --topic water)
is "baraza broadcast exits 0" "$?" "0"
like "it reports the recipients" "$out" 'recipients: 3'
bid=$(printf '%s\n' "$out" | sed -n 's/^broadcast: //p')
like "it prints the broadcast id" "$bid" '^[0-9]+$'
check "the provider gets the three messages" wait_for 10 sh -c "[ \$(grep -c 'Water off in Kilimani' '$T/fake.log') -ge 3 ]"
sleep 1
is "exactly three messages went out" "$(fake_count 'Water off in Kilimani')" "3"
for n in 11 12 14; do
	is "subscriber $n got exactly one" "$(grep 'Water off in Kilimani' "$T/fake.log" | grep -c "+2547000000$n")" "1"
done
is "the opted-out subscriber got none" "$(grep -c '+254700000013' "$T/fake.log")" "0"
is "the other topic's subscriber got none" "$(grep -c '+254700000015' "$T/fake.log")" "0"
like "the contact who last wrote on at gets it on at" "$(grep '+254700000012' "$T/fake.log")" '/version1/messaging'
like "an unconfigured last channel falls back to the default" "$(grep '+254700000014' "$T/fake.log")" '"path":"/send"'

get_sent() {
	http GET "/api/v1/broadcasts/$bid" -H "$auth" | grep -q '"sent": *3'
}
check "GET /api/v1/broadcasts/ID counts them sent" wait_for 10 get_sent
r=$(http GET "/api/v1/broadcasts/$bid" -H "$auth")
like "the counts hold recipients" "$r" '"recipients": *3'
like "the counts hold segments" "$r" '"segments": *1'
like "the counts hold every state" "$r" '"queued": *0.*"sending": *0.*"sent": *3.*"delivered": *0.*"failed": *0'
# Read in the thread pool one after the other: ten at once all answered.
pids=
for i in $(seq 10); do
	curl -s -m 10 -o "$T/par$i" -w '%{http_code}' -H "$auth" \
	    "http://127.0.0.1:$PORT/api/v1/broadcasts/$bid" >"$T/parcode$i" 2>/dev/null &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
is "ten GETs at once are each 200" "$(cat "$T"/parcode* | tr -d '\n')" "200200200200200200200200200200"
is "with the same counts" "$(grep -l '"sent": *3' "$T"/par[0-9]* | wc -l | tr -d ' ')" "10"

# --- broadcast through the API ---
r=$(http POST /api/v1/broadcasts -H "$auth" -d '{"text":"Mombasa Road closed tonight.","topic":"roads"}')
like "POST /api/v1/broadcasts is 202 with id, recipients, segments" "$r" '^202 \{"id": *[0-9]+, *"recipients": *1, *"segments": *1\}'
check "the roads subscriber gets it" wait_for 10 grep -q 'Mombasa Road closed' "$T/fake.log"
sleep 1
is "only once" "$(fake_count 'Mombasa Road closed')" "1"
like "to the right number" "$(grep 'Mombasa Road closed' "$T/fake.log")" '\+254700000015'
r=$(http POST /api/v1/broadcasts -H "$auth" -d '{"text":"x","topic":"water","dry_run":true}')
like "an API dry run answers the figures" "$r" '^200 .*"recipients": *3'
is "a body without a topic is 400" "$(http POST /api/v1/broadcasts -H "$auth" -d '{"text":"x"}' | cut -c1-3)" "400"
is "an unknown channel is 400" "$(http POST /api/v1/broadcasts -H "$auth" -d '{"text":"x","topic":"water","channel":"nope"}' | cut -c1-3)" "400"
is "a bad at is 400" "$(http POST /api/v1/broadcasts -H "$auth" -d '{"text":"x","topic":"water","at":"soon"}' | cut -c1-3)" "400"
is "an unknown broadcast is 404" "$(http GET /api/v1/broadcasts/99999 -H "$auth" | cut -c1-3)" "404"
is "GET /api/v1/broadcasts is 405" "$(http GET /api/v1/broadcasts -H "$auth" | cut -c1-3)" "405"
is "no token is 401" "$(http GET "/api/v1/broadcasts/$bid" | cut -c1-3)" "401"

# --- --at in the future holds the messages ---
out=$(B broadcast "Meeting next year." --topic water --at 2099-01-01T08:00+03:00)
is "baraza broadcast --at exits 0" "$?" "0"
later=$(printf '%s\n' "$out" | sed -n 's/^broadcast: //p')
like "--at is shown in UTC" "$out" 'send at: 2099-01-01T05:00:00Z'
sleep 2
is "held messages stay queued" "$(sql "select count(*) from messages where broadcast_id = $later and state = 'queued'")" "3"
is "held messages carry the time" "$(sql "select count(*) from messages where broadcast_id = $later and next_attempt = 4070926800000")" "3"
is "the provider got none of them" "$(fake_count 'Meeting next year')" "0"
like "the API counts them queued" "$(http GET "/api/v1/broadcasts/$later" -H "$auth")" '"queued": *3'
B broadcast "x" --topic water --at "tomorrow" 2>/dev/null
is "a bad --at is a usage error (2)" "$?" "2"
B broadcast "x" 2>/dev/null
is "a broadcast without --topic is a usage error (2)" "$?" "2"
err=$(TZ=CET-1CEST,M3.5.0,M10.5.0/3 B broadcast "x" --topic water --at 2027-03-28T02:30 2>&1)
like "a local time a clock change skips says so (2)" "$?:$err" "^2:baraza: --at 2027-03-28T02:30: no such local time here \(a daylight saving change skips it\)"
# baraza.1: an argument of the wrong form (an empty text, a channel the
# config does not name) is bad usage, as with send.
err=$(B broadcast "" --topic water 2>&1)
is "an empty broadcast text is a usage error (2)" "$?:$err" "2:baraza: the text is empty"
err=$(B broadcast "x" --topic water --channel nosuch 2>&1)
is "a broadcast to an unknown channel is a usage error (2)" "$?:$err" '2:baraza: no channel named "nosuch"'

# --- notify ---
cat >"$T/bills.csv" <<'CSV'
phone,name,balance,due
0700000021,Amina,"1,250",1 Dec
0700000022,Joseph,300,2 Dec
0700000013,Opted,10,3 Dec
CSV
tpl='Dear {name}, your water bill of KES {balance} is due on {due}.'
out=$(B notify "$T/bills.csv" --text "$tpl" --dry-run)
like "a notify dry run counts" "$out" 'would queue 2, skip 1 opted out'
is "the dry run queues nothing" "$(sql "select count(*) from messages where text like 'Dear %'")" "0"
out=$(B notify "$T/bills.csv" --text "$tpl")
is "baraza notify exits 0" "$?" "0"
like "it prints what it queued and skipped" "$out" '^queued 2, skipped 1 opted out'
check "the rendered texts reach the provider" wait_for 10 sh -c "[ \$(grep -c 'your water bill' '$T/fake.log') -ge 2 ]"
like "the first row is rendered" "$(grep '+254700000021' "$T/fake.log")" 'Dear Amina, your water bill of KES 1,250 is due on 1 Dec.'
is "the opted-out row got nothing" "$(grep -c '+254700000013' "$T/fake.log")" "0"

err=$(B notify "$T/bills.csv" --text "" 2>&1)
is "an empty notify template is a usage error (2)" "$?:$err" "2:baraza: the text is empty"
err=$(B notify "$T/bills.csv" --text "Dear {name" 2>&1)
like "a template that does not parse is a usage error (2)" "$?:$err" "^2:baraza: the template, column 6: "
err=$(B notify "$T/bills.csv" --text "$tpl" --channel nosuch 2>&1)
is "a notify run to an unknown channel is a usage error (2)" "$?:$err" '2:baraza: no channel named "nosuch"'
err=$(B notify "$T/bills.csv" --text "Dear {nobody}" 2>&1)
like "a column the CSV lacks is work that failed (1)" "$?:$err" "^1:.*names \{nobody\} but the CSV has no such column"

before=$(sql "select count(*) from messages")
contacts=$(sql "select count(*) from contacts")
printf 'phone,name,balance,due\n0700000031,Ok,1,d\n07000x0032,Bad,2,d\n' >"$T/bad.csv"
err=$(B notify "$T/bad.csv" --text "$tpl" 2>&1 >/dev/null)
is "a bad row fails with 1" "$?" "1"
like "the message names the line" "$err" 'line 3: bad phone number'
is "nothing is queued" "$(sql "select count(*) from messages")" "$before"
is "no contact is created" "$(sql "select count(*) from contacts")" "$contacts"

stop_server
done_testing
