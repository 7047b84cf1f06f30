#!/bin/sh
# The flood guard, opt-out words in the middle of a session, and `fetch`
# from a flow through the gateway's HTTP client.
. "$SRCDIR/tests/integration/lib.sh"
plan 11

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = web
sender_limit = 5/min
stop_text = \"You are unsubscribed.\"
start_text = \"You are back.\"
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
signing_key = $SIGNING_KEY"
cat >"$T/flows/t.flow" <<FLOW
flow ping
  on keyword PING
  say "PONG {rest}"

flow ask
  on keyword ASK
  ask name "Your name?"
  say "Hi {name}"

flow fetch
  on keyword FETCH
  fetch r from "http://127.0.0.1:$FAKE_PORT/lookup?q={rest}"
    failed "The service is down."
  say "Fetched ok={r.ok}"

flow fetchdown
  on keyword DOWN
  fetch r from "http://127.0.0.1:9/nothing"
    failed "The service is down."
  say "Fetched {r.ok}"
FLOW
start_server || exit 1
sms() { # FROM TEXT (a new provider id each time, even in a subshell)
	n=$(date +%s%N)
	hook_json /hooks/web/sms "{\"id\":\"g$n\",\"from\":\"$1\",\"to\":\"1\",\"text\":\"$2\"}" | cut -c1-3
}

# Flood guard: 8 messages in a minute from one number, limit 5.
codes=
i=1
while [ $i -le 8 ]; do
	codes="$codes$(sms +254700000001 "PING $i") "
	i=$((i + 1))
done
is "every message is acknowledged" "$codes" "200 200 200 200 200 200 200 200 "
check "five are answered" wait_for 10 sh -c "[ \$(grep -c 'PONG [0-9]' '$T/fake.log') -eq 5 ]"
sleep 1
is "the rest are stored but not answered" "$(sql "select count(*) from messages where direction='in' and state='ignored'")" "3"
is "the flood is logged once per window" "$(grep -c 'flood guard' "$T/serve.log")" "1"
is "another number is not held back" "$(sms +254700000002 'PING other')" "200"
check "and is answered" wait_for 10 grep -q 'PONG other' "$T/fake.log"

# STOP in the middle of a session opts out and ends the session.
sms +254700000003 ASK >/dev/null
check "a session asks" wait_for 10 grep -q 'Your name' "$T/fake.log"
sms +254700000003 STOP >/dev/null
check "STOP is confirmed mid-session" wait_for 10 grep -q 'You are unsubscribed' "$T/fake.log"
is "the contact is opted out" "$(sql "select opted_out from contacts where phone='+254700000003'")" "1"

# fetch: an answer from a JSON service, and a service that is down.
sms +254700000004 "FETCH 42" >/dev/null
check "fetch reads the JSON answer" wait_for 10 grep -q 'Fetched ok=true' "$T/fake.log"
sms +254700000005 "DOWN" >/dev/null
check "a failed fetch takes its failed clause" wait_for 15 grep -q 'The service is down' "$T/fake.log"
stop_server TERM
done_testing
