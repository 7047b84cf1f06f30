#!/bin/sh
# Channels end to end over real HTTP: a webhook per channel type against
# `baraza serve` and the fake provider, USSD sessions, signatures,
# duplicates, delivery reports, the admin API and a provider outage.
. "$SRCDIR/tests/integration/lib.sh"
plan 62

# The fake checks the signature of what the http channel sends it.
start_fake --signing-key web-key || { echo "Bail out! the fake provider did not start"; exit 1; }
api="http://127.0.0.1:$FAKE_PORT"
write_config "default_channel = at
languages = en sw
stop_text = \"Stopped.\"
start_text = \"Started.\"
[channel at]
type = africastalking
username = sandbox
api_key = at-key
sender = 40404
api_url = $api
webhook_secret = $HOOK_SECRET
[channel tw]
type = twilio
account_sid = AC123
auth_token = tw-token
sender = +15005550006
api_url = $api
public_url = https://sms.example.org
[channel kn]
type = kannel
username = baraza
password = kn-pass
api_url = $api
webhook_secret = s3cret
[channel web]
type = http
api_url = $api/send
signing_key = web-key"
cp "$SRCDIR"/flows/examples/*.flow "$T/flows/"
"$BARAZA" -c "$T/baraza.conf" import bills "$SRCDIR/examples/bills.csv" --key account >/dev/null 2>&1
start_server || exit 1

# Africa's Talking webhooks carry the channel's secret (here as a header).
ATH="X-Baraza-Secret: $HOOK_SECRET"

# --- Africa's Talking: SMS in, reply out through the queue ---
r=$(http POST /hooks/at/sms -H "$ATH" -d id=at-1 -d from=0700000001 -d to=40404 -d 'text=BAL 1234567' -d date=2026-11-29)
is "AT sms webhook answers 200" "$(echo "$r" | cut -c1-3)" "200"
check "the balance reply reaches the provider" wait_for 10 grep -q 'Amina Odhiambo' "$T/fake.log"
line=$(grep 'Amina Odhiambo' "$T/fake.log" | head -n 1)
like "the reply goes to AT's messaging API" "$line" '"path":"/version1/messaging"'
like "the reply carries the apiKey header" "$line" 'at-key'
like "the reply goes to the sender in E.164" "$line" '\+254700000001'
check "the reply is marked sent with AT's message id" wait_for 5 sql_is "select count(*) > 0 from messages where direction='out' and state='sent' and provider_id like 'ATXid_%'" 1

r=$(http POST /hooks/at/sms -H "$ATH" -d id=at-1 -d from=0700000001 -d to=40404 -d 'text=BAL 1234567' -d date=2026-11-29)
is "a duplicate webhook answers 200" "$(echo "$r" | cut -c1-3)" "200"
sleep 1
is "a duplicate is not processed twice" "$(fake_count 'Amina Odhiambo')" "1"
is "a duplicate is stored once" "$(sql "select count(*) from messages where provider_id='at-1'")" "1"

r=$(http POST /hooks/at/sms -H "$ATH" -d id=at-2 -d to=40404 -d text=hi)
is "an AT sms without from is 400" "$(echo "$r" | cut -c1-3)" "400"
is "a webhook of an unknown kind is 404" "$(http POST /hooks/at/mms -H "$ATH" -d x=1 | cut -c1-3)" "404"

# Delivery report.
pid=$(sql "select provider_id from messages where direction='out' and provider_id like 'ATXid_%' limit 1")
r=$(http POST /hooks/at/status -H "$ATH" -d "id=$pid" -d status=Success -d phoneNumber=+254700000001)
is "AT status webhook answers 200" "$(echo "$r" | cut -c1-3)" "200"
is "the delivery report marks the message delivered" "$(sql "select state from messages where provider_id='$pid'")" "delivered"

# --- Africa's Talking USSD: several steps, an input holding '*' ---
ussd() {
	http POST /hooks/at/ussd -H "$ATH" -d sessionId="$1" -d serviceCode='*384#' -d phoneNumber=+254700000002 -d networkCode=63902 --data-urlencode "text=$2"
}
r=$(ussd s1 "")
like "USSD dial shows the menu with CON" "$r" '^200 CON '
r=$(ussd s1 "1")
like "USSD answer 1 asks for the account" "$r" '^200 CON .*account'
r=$(ussd s1 "1*1234567")
like "USSD account ends with the balance" "$r" '^200 END .*1250'
r=$(ussd s2 "2")
like "USSD report starts with the category menu" "$r" '^200 CON '
r=$(ussd s2 "2*1")
like "USSD report asks where" "$r" '^200 CON .*[Ww]here'
r=$(ussd s2 "2*1*Gate *3, Kilimani")
like "USSD report takes a location holding *" "$r" '^200 CON '
r=$(ussd s2 "2*1*Gate *3, Kilimani*Pipe burst")
like "USSD report ends with a report number" "$r" '^200 END .*[0-9]'
is "the location with * is stored whole" "$(sql "select location from reports order by id desc limit 1")" "Gate *3, Kilimani"

# --- Twilio: signature checked ---
tw_sig() { # URL then name=value pairs, already sorted by name
	url=$1
	shift
	s=$url
	for kv in "$@"; do s="$s${kv%%=*}${kv#*=}"; done
	printf '%s' "$s" | openssl dgst -sha1 -hmac tw-token -binary | base64
}
sig=$(tw_sig "https://sms.example.org/hooks/tw/sms" "Body=BAL 1234568" "From=+254700000003" "MessageSid=SM1" "To=+15005550006")
r=$(http POST /hooks/tw/sms -H "X-Twilio-Signature: $sig" --data-urlencode "Body=BAL 1234568" --data-urlencode "From=+254700000003" -d MessageSid=SM1 --data-urlencode "To=+15005550006")
is "a signed Twilio webhook answers 200" "$(echo "$r" | cut -c1-3)" "200"
like "Twilio gets an empty TwiML response" "$r" '<Response/>'
check "the Twilio reply reaches the provider" wait_for 10 grep -q 'Joseph Kamau' "$T/fake.log"
like "the Twilio reply goes to the Messages API" "$(grep 'Joseph Kamau' "$T/fake.log" | head -n 1)" '/2010-04-01/Accounts/AC123/Messages.json'
r=$(http POST /hooks/tw/sms -H "X-Twilio-Signature: AAAA$sig" --data-urlencode "Body=BAL 1234568" --data-urlencode "From=+254700000003" -d MessageSid=SM2 --data-urlencode "To=+15005550006")
is "a wrong Twilio signature is 403" "$(echo "$r" | cut -c1-3)" "403"
sig=$(tw_sig "https://proxy.example.net/hooks/tw/sms" "Body=HELP" "From=+254700000003" "MessageSid=SM3" "To=+15005550006")
r=$(http POST /hooks/tw/sms -H "X-Twilio-Signature: $sig" -H "X-Forwarded-Proto: https" -H "X-Forwarded-Host: proxy.example.net" -d Body=HELP --data-urlencode "From=+254700000003" -d MessageSid=SM3 --data-urlencode "To=+15005550006")
is "public_url wins over proxy headers for signatures" "$(echo "$r" | cut -c1-3)" "403"

# --- Kannel: GET with the webhook secret ---
r=$(http GET "/hooks/kn/sms?secret=s3cret&id=kn-1&from=%2B254700000004&to=40404&text=BAL+1234569")
is "a Kannel get-url answers 200" "$(echo "$r" | cut -c1-3)" "200"
r=$(http GET "/hooks/kn/sms?secret=wrong&id=kn-2&from=%2B254700000004&to=40404&text=BAL")
is "a wrong webhook secret is 403" "$(echo "$r" | cut -c1-3)" "403"
check "the Kannel reply reaches sendsms" wait_for 10 sh -c "grep '/cgi-bin/sendsms' '$T/fake.log' | grep -q 'kn-pass'"
# A UCS-2 message as smsbox passes it without mo-recode: UTF-16BE in %a,
# %00 escapes and a surrogate pair, charset=%C; with the right secret, a
# field that does not decode is a 400 for that field, not a wrong secret.
r=$(http GET "/hooks/kn/sms?secret=s3cret&id=kn-3&from=%2B254700000004&to=40404&text=%00H%00i%00+%D8%3D%DE%00&charset=UTF-16BE&coding=2")
is "a Kannel UTF-16BE text answers 200" "$(echo "$r" | cut -c1-3)" "200"
is "it is stored as UTF-8" "$(sql "select text from messages where provider_id='kn-3' and channel='kn'")" "Hi 😀"
r=$(http GET "/hooks/kn/sms?secret=s3cret&id=kn-4&from=%2B254700000004&to=40404&text=x&utm=%ZZ")
like "the right secret and a field that does not decode: 400 with why" "$r" "^400 .*invalid percent escape"
# Kannel's delivery reports name our own message id (dlr-url), as http's do.
kid=$(sql "select id from messages where direction='out' and channel='kn' limit 1")
check "the Kannel reply is marked sent" wait_for 5 sql_is "select state from messages where id=$kid" sent
r=$(http GET "/hooks/kn/status?secret=s3cret&id=$kid&status=1")
is "a Kannel delivery report answers 200" "$(echo "$r" | cut -c1-3)" "200"
is "a Kannel delivery report by our id" "$(sql "select state from messages where id=$kid")" "delivered"
# The methods a webhook takes are its provider's: Kannel GET and POST, the
# others POST only. status_allow prints the status and the Allow header.
status_allow() {
	curl -s -i -m 10 "$@" | tr -d '\r' |
	    sed -n 's/^HTTP\/1\.1 \([0-9]*\).*/\1/p; s/^Allow: //p' | tr '\n' ';'
}
is "GET on an AT webhook is 405, Allow: POST" "$(status_allow -X GET -H "$ATH" "http://127.0.0.1:$PORT/hooks/at/sms")" "405;POST;"
is "PUT on a Kannel webhook is 405, Allow: GET, POST" "$(status_allow -X PUT "http://127.0.0.1:$PORT/hooks/kn/sms?secret=s3cret")" "405;GET, POST;"
is "its body is JSON, as the gateway's other 405s" "$(curl -s -m 10 -X PUT "http://127.0.0.1:$PORT/hooks/kn/sms?secret=s3cret")" '{"error":"method not allowed"}'

# --- generic http: JSON, signed both ways, status by our id ---
body='{"id":"w-1","from":"+254700000005","to":"40404","text":"BAL 1234570"}'
sig=$(baraza_sig "$body" "" web-key)
r=$(http POST /hooks/web/sms -H "Content-Type: application/json" -H "X-Baraza-Signature: $sig" -d "$body")
like "a signed JSON webhook answers 200 with the id" "$r" '^200 \{"id": ?[0-9]+\}'
# Its last two digits changed (one signature in 256 ends in 00 already).
bad=${sig%??}00
[ "$bad" != "$sig" ] || bad=${sig%??}11
r=$(http POST /hooks/web/sms -H "Content-Type: application/json" -H "X-Baraza-Signature: $bad" -d "$body")
is "a wrong X-Baraza-Signature is 403" "$(echo "$r" | cut -c1-3)" "403"
r=$(http POST /hooks/web/sms -H "Content-Type: application/json" -H "X-Baraza-Signature: $(baraza_sig '{"id":' "" web-key)" -d '{"id":')
is "bad JSON, signed, is 400" "$(echo "$r" | cut -c1-3)" "400"
check "the generic reply is sent signed" wait_for 10 sh -c "grep '\"path\":\"/send\"' '$T/fake.log' | grep -q '\"signature\":\"valid\"'"
wid=$(sql "select id from messages where direction='out' and channel='web' limit 1")
body="{\"id\":\"$wid\",\"status\":\"delivered\"}"
http POST /hooks/web/status -H "X-Baraza-Signature: $(baraza_sig "$body" "" web-key)" -d "$body" >/dev/null
is "a generic delivery report by our id" "$(sql "select state from messages where id=$wid")" "delivered"

# --- admin API and an outage: 429 twice, then delivered once ---
fake_mode 429 2
r=$(http POST /api/v1/messages -H "Authorization: Bearer test-token" -d '{"to":"0700000009","text":"Water is back on in Kilimani."}')
like "POST /api/v1/messages is 202 with an id" "$r" '^202 \{"id": ?[0-9]+\}'
mid=$(echo "$r" | sed 's/.*"id": *\([0-9]*\).*/\1/')
check "the message goes out after the outage" wait_for 20 sql_is "select state from messages where id=$mid" sent
is "it reached the provider exactly once with success" "$(grep 'Water is back on' "$T/fake.log" | grep -c '"status":20')" "1"
r=$(http GET "/api/v1/messages/$mid" -H "Authorization: Bearer test-token")
like "GET /api/v1/messages/ID shows its attempts" "$r" '"attempts": ?3'
is "a wrong token is 401" "$(http GET "/api/v1/messages/$mid" -H "Authorization: Bearer nope" | cut -c1-3)" "401"
r=$(http POST /api/v1/messages -H "Authorization: Bearer test-token" -d '{"to":"0700000009","text":"x","channel":5}')
is "a channel that is not a string is 400" "$r" '400 {"error":"\"channel\" must be a string"}'
# One message to a contact: linked to it (its conversation holds it); to a
# contact that opted out: refused, as every other send leaves it out.
sql "INSERT INTO contacts (phone, opted_out, created, updated) VALUES ('+254700000031', 1, 0, 0), ('+254700000032', 0, 0, 0)"
r=$(http POST /api/v1/messages -H "Authorization: Bearer test-token" -d '{"to":"0700000031","text":"Are you there?"}')
is "POST /api/v1/messages to a contact that opted out is 409" "$r" '409 {"error":"the contact has opted out"}'
"$BARAZA" -c "$T/baraza.conf" send 0700000031 "Are you there?" >/dev/null 2>"$T/send.err"
is "and baraza send refuses it" "$? $(cat "$T/send.err")" "1 baraza: +254700000031 has opted out: nothing sent"
is "nothing is queued to it" "$(sql "select count(*) from messages where phone = '+254700000031'")" "0"
r=$(http POST /api/v1/messages -H "Authorization: Bearer test-token" -d '{"to":"0700000032","text":"Your meter is read on Monday."}')
mid2=$(echo "$r" | sed 's/.*"id": *\([0-9]*\).*/\1/')
is "a message to a contact is linked to it" \
    "$(sql "select m.contact_id = c.id from messages m, contacts c where m.id = $mid2 and c.phone = '+254700000032'")" "1"
is "the scheme is case-insensitive (RFC 9110)" "$(http GET "/api/v1/messages/$mid" -H "Authorization: bearer  test-token" | cut -c1-3)" "200"
is "another scheme is 401" "$(http GET "/api/v1/messages/$mid" -H "Authorization: Basic dGVzdC10b2tlbg==" | cut -c1-3)" "401"

# Replacing a lookup table over the API.
r=$(http PUT "/api/v1/tables/bills?key=account" -H "Authorization: Bearer test-token" -H "Content-Type: text/csv" --data-binary "account,name,balance,due_date
5555555,Neema Wanjiru,75.50,2027-01-10
")
like "PUT /api/v1/tables/NAME replaces the table" "$r" '^200 .*"rows": ?1'
r=$(http PUT "/api/v1/tables/bills?key=nope" -H "Authorization: Bearer test-token" --data-binary "account,name
1,A
")
is "a CSV without the key column is 400" "$(echo "$r" | cut -c1-3)" "400"
http POST /hooks/at/sms -H "$ATH" -d id=at-9 -d from=0700000011 -d to=40404 -d 'text=BAL 5555555' >/dev/null
check "the new table answers lookups" wait_for 10 grep -q 'Neema Wanjiru' "$T/fake.log"

# The providers' requests run on a thread of their own (providers/
# client_thread.c), which the stop joins.
is "the providers' thread runs (baraza-out)" \
    "$(cat /proc/"$SERVE_PID"/task/*/comm | grep -c '^baraza-out$')" 1
# So does the HTTP server's (lib/http.c, http_server_init_thread).
is "the HTTP server's thread runs (baraza-http)" \
    "$(cat /proc/"$SERVE_PID"/task/*/comm | grep -c '^baraza-http$')" 1
stop_server TERM
is "the gateway stops cleanly" "$?" 0
done_testing
