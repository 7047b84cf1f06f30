#!/bin/sh
# The channel log (interfaces.md, "Operators' tools"): each request to a
# provider and its answer is kept (time, status, time taken, error, the
# first 1 KiB of the answer) and shown by GET /api/v1/messages/ID/log; no
# secret is ever in it (the request line drops the query, echoed secrets
# are blanked); a viewer sees numbers removed; rows older than
# channel_log_days go in the purge (the clock moved by moving the rows'
# times back); channel_log_days = 0 keeps none.
. "$SRCDIR/tests/integration/lib.sh"
plan 45

AT_KEY=at-secret-key-123
TW_TOKEN=tw-secret-token-456
KN_PASS=kn-secret-pass-789
start_fake --signing-key "$SIGNING_KEY" ||
    { echo "Bail out! the fake provider did not start"; exit 1; }
api="http://127.0.0.1:$FAKE_PORT"
write_config "default_channel = at
channel_log_days = 7
[channel at]
type = africastalking
username = sandbox
api_key = $AT_KEY
sender = 40404
api_url = $api
webhook_secret = $HOOK_SECRET
rate = 1000/s
[channel tw]
type = twilio
account_sid = AC0123
auth_token = $TW_TOKEN
api_url = $api
public_url = http://127.0.0.1:9
rate = 1000/s
[channel kn]
type = kannel
username = council
password = $KN_PASS
api_url = $api
webhook_secret = $HOOK_SECRET
rate = 1000/s
[channel web]
type = http
api_url = $api/send
signing_key = $SIGNING_KEY
rate = 1000/s"
start_server || exit 1
auth="Authorization: Bearer test-token"

# send TO TEXT [CHANNEL]: queue a message through the API; prints its id.
send() {
	b=$(printf '{"to":"%s","text":"%s"%s}' "$1" "$2" "${3:+,\"channel\":\"$3\"}")
	http POST /api/v1/messages -H "$auth" -d "$b" |
	    sed -n 's/.*"id": *\([0-9][0-9]*\).*/\1/p'
}
state_of() { sql "select state from messages where id = $1"; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
logs_of() { sql "select count(*) from channel_log where message_id = $1"; }
has_log() { [ "$(logs_of "$1")" -ge 1 ]; }

# --- a sent message's log ---
m1=$(send 0700000001 "Water off on Monday.")
like "a message is queued" "$m1" '^[0-9]+$'
check "it is sent" wait_for 10 is_state "$m1" sent
check "its request is in the log" wait_for 5 has_log "$m1"
r=$(http GET "/api/v1/messages/$m1/log" -H "$auth")
like "GET /api/v1/messages/ID/log is 200" "$r" '^200 '
like "it shows the message" "$r" "\"message\": *\\{[^}]*\"id\": *$m1"
like "the HTTP status of the answer" "$r" '"status": *201'
like "the time taken" "$r" '"ms": *[0-9]+'
like "the time of the request" "$r" '"time": *"[0-9]{4}-[0-9]{2}-[0-9]{2}T'
like "the request line" "$r" "\"request\": *\"POST http://127.0.0.1:$FAKE_PORT/version1/messaging\""
like "the start of the answer" "$r" '"answer": *"\{.*SMSMessageData'
like "no error" "$r" '"error": *null'

# --- a failed message's log holds the error ---
fake_mode 400 1
m2=$(send 0700000002 "Road closed.")
check "a rejected message fails" wait_for 10 is_state "$m2" failed
check "its request is in the log" wait_for 5 has_log "$m2"
r=$(http GET "/api/v1/messages/$m2/log" -H "$auth")
like "with the status" "$r" '"status": *400'
like "with the error" "$r" '"error": *"HTTP 400'
like "with the answer" "$r" '"answer": *"400 Bad Request'

# --- other providers, and no secret anywhere ---
m3=$(send 0700000003 "Meeting on Friday." tw)
m4=$(send 0700000004 "Meeting on Friday." kn)
m5=$(send 0700000005 "Meeting on Friday." web)
for m in "$m3" "$m4" "$m5"; do
	check "message $m is sent and logged" wait_for 10 has_log "$m"
done
r=$(http GET "/api/v1/messages/$m4/log" -H "$auth")
like "Kannel's request line keeps no query (its password)" "$r" "\"request\": *\"GET http://127.0.0.1:$FAKE_PORT/cgi-bin/sendsms\""
sql_dump "$T/dump.sql"
for s in "$AT_KEY" "$TW_TOKEN" "$KN_PASS" "$SIGNING_KEY" "$HOOK_SECRET"; do
	is "no $s in the database" "$(grep -c -- "$s" "$T/dump.sql")" "0"
done
# Twilio echoes the text: a secret in it is blanked in the log.
m6=$(send 0700000006 "code $TW_TOKEN end" tw)
check "an echoed secret's message is logged" wait_for 10 has_log "$m6"
is "the log holds no secret" "$(sql "select count(*) from channel_log where answer like '%$TW_TOKEN%' or request like '%$TW_TOKEN%'")" "0"
like "it is blanked" "$(sql "select answer from channel_log where message_id = $m6")" 'code \*{19} end'

# A provider whose refusal reads the request back (Authorization, the
# query, the body): the message's error (kept, logged, shown to viewers,
# told to event sinks) has the secrets blanked as the log has, Twilio's
# basic auth (base64 of sid:token) too.
fake_mode echo
TW_BASIC=$(printf 'AC0123:%s' "$TW_TOKEN" | base64)
for ch in at tw kn web; do
	m=$(send 0700000008 "Echo me." $ch)
	check "a refusal that echoes the request fails its message ($ch)" wait_for 10 is_state "$m" failed
done
fake_mode ok
# (message 6's text holds a secret on purpose, above: the errors only)
sql "select error from messages where error is not null union all select coalesce(answer, '') || coalesce(error, '') from channel_log" >"$T/dump2.sql"
leaks=0
for s in "$AT_KEY" "$TW_TOKEN" "$KN_PASS" "$SIGNING_KEY" "$HOOK_SECRET" "$TW_BASIC"; do
	n=$(grep -c -- "$s" "$T/dump2.sql")
	[ "$n" = 0 ] || { echo "# $s: $n"; leaks=$((leaks + 1)); }
	n=$(grep -c -- "$s" "$T/serve.log")
	[ "$n" = 0 ] || { echo "# $s in the log: $n"; leaks=$((leaks + 1)); }
done
is "no secret in the messages' errors, the channel log or the gateway's log" "$leaks" 0
like "the error says what the provider said" "$(sql "select error from messages where text = 'Echo me.' and channel = 'tw'")" 'HTTP 400.*Authorization: Basic \*+'

# --- who may see it ---
is "no credentials is 401" "$(http GET "/api/v1/messages/$m1/log" | cut -c1-3)" "401"
is "an unknown message is 404" "$(http GET /api/v1/messages/999999/log -H "$auth" | cut -c1-3)" "404"
is "a POST is 405" "$(http POST "/api/v1/messages/$m1/log" -H "$auth" | cut -c1-3)" "405"
printf 'viewer password 3\n' | "$BARAZA" -c "$T/baraza.conf" user add otieno --role viewer >/dev/null 2>&1
curl -s -m 10 -D "$T/h" -o /dev/null --data-urlencode name=otieno \
    --data-urlencode 'password=viewer password 3' \
    "http://127.0.0.1:$PORT/console/login" 2>/dev/null
view=$(tr -d '\r' <"$T/h" | sed -n 's/^Set-Cookie: baraza_session=\([^;]*\);.*/\1/Ip')
r=$(http GET "/api/v1/messages/$m1/log" -H "Cookie: baraza_session=$view")
like "a viewer may read the log" "$r" '^200 .*SMSMessageData'
check "with no whole number in it" sh -c "! printf '%s' '$r' | grep -q 254700000001"
like "the answer's numbers removed" "$r" 'number removed'

# --- the purge: rows past channel_log_days go ---
stop_server
# Eight days on: the first message's rows are older than the window.
sql "update channel_log set time = time - 8 * 86400000 where message_id = $m1"
start_server || exit 1
check "the purge runs at the start" wait_for 10 grep -q 'channel log rows purged count=1 days=7' "$T/serve.log"
is "the old rows are gone" "$(logs_of "$m1")" "0"
is "the newer ones stay" "$(logs_of "$m2")" "1"

# --- channel_log_days = 0 keeps none ---
stop_server
sed -i 's/^channel_log_days = 7$/channel_log_days = 0/' "$T/baraza.conf"
start_server || exit 1
m7=$(send 0700000007 "Not logged.")
check "a message is sent" wait_for 10 is_state "$m7" sent
sleep 0.5
is "and not logged" "$(logs_of "$m7")" "0"
done_testing
