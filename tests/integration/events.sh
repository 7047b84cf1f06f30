#!/bin/sh
# Event webhooks ([event NAME], interfaces.md "Operators' tools"): a report
# made by SMS reaches a CRM (a second fake provider that checks
# X-Baraza-Signature) as report.created, signed, without the reporter's
# number and with the numbers typed in its texts removed, while a section
# with with_phone = yes gets the number and the texts whole; each inbound
# SMS is a message.in; a CRM answering 500 gets the event again after the
# backoff, delivered once; a message the provider rejects is a
# message.failed; a section without signing_key, or naming an unknown
# event, is a config error.
. "$SRCDIR/tests/integration/lib.sh"
plan 47

CRM_KEY=crm-signing-key
CRM_PID=
trap '_cleanup_fake; [ -n "$CRM_PID" ] && kill "$CRM_PID" 2>/dev/null; cleanup' EXIT

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
# The CRM: the same fake, refusing what is not signed with CRM_KEY.
"$FAKE_PROVIDER" --port-file "$T/crm.port" --log "$T/crm.log" --direct \
    --signing-key "$CRM_KEY" 2>"$T/crm.err" &
CRM_PID=$!
wait_for 5 test -s "$T/crm.port" || { echo "Bail out! the CRM did not start"; exit 1; }
CRM_PORT=$(cat "$T/crm.port")

write_config "default_channel = at
languages = en sw
$(at_channel)
[event crm]
url = http://127.0.0.1:$CRM_PORT/crm
signing_key = $CRM_KEY
events = report.created report.updated message.in message.failed
[event agency]
url = http://127.0.0.1:$CRM_PORT/agency
signing_key = $CRM_KEY
events = report.created
with_phone = yes"
cp "$SRCDIR"/flows/examples/*.flow "$T/flows/"
"$BARAZA" -c "$T/baraza.conf" check >"$T/check.out" 2>&1
is "the config with two event sections checks" "$?" "0"
start_server || { echo "Bail out! the gateway did not start"; exit 1; }

auth="Authorization: Bearer test-token"
n=0
# sms TEXT: one inbound SMS from +254700000011; waits for the reply.
sms() {
	n=$((n + 1))
	before=$(fake_count '"path":"/version1/messaging"')
	http POST "/hooks/at/sms?secret=$HOOK_SECRET" -d "id=ev-$n" \
	    -d from=0700000011 -d to=40404 --data-urlencode "text=$1" >/dev/null
	wait_for 10 sh -c "[ \$(cat '$T/fake.log' 2>/dev/null | grep -c '\"path\":\"/version1/messaging\"') -gt $before ]"
}
# crm PATTERN: the CRM's log lines matching PATTERN.
crm() { grep -- "$1" "$T/crm.log" 2>/dev/null; }
crm_count() { grep -c -- "$1" "$T/crm.log" 2>/dev/null || true; }
crm_mode() {
	curl -s -m 5 -o /dev/null -X POST -d "{\"mode\":\"$1\",\"count\":${2:-null}}" \
	    "http://127.0.0.1:$CRM_PORT/_control"
}
none_left() { [ "$(sql 'select count(*) from events')" = 0 ]; }

# --- a report by SMS ---
sms REPORT
sms 1
sms "Kilimani stage, call 0712 999 888"
sms "Pipe burst"
check "the report is opened" wait_for 5 grep -q 'Your report number is 1\.' "$T/fake.log"
check "report.created reaches the CRM" wait_for 10 sh -c "grep '\"path\":\"/crm\"' '$T/crm.log' | grep -q '\"event\":\"report.created\"'"
line=$(crm '"path":"/crm"' | grep '"event":"report.created"' | head -n 1)
like "it is signed, and the signature is valid" "$line" '"signature":"valid"'
like "it carries X-Baraza-Signature t=UNIX,sha256=HEX" "$line" '"X-Baraza-Signature":"t=[0-9]+,sha256=[0-9a-f]{64}"'
like "it is JSON" "$line" '"Content-Type":"application/json"'
like "the CRM took it" "$line" '"status":200'
like "its body is event, id, at, data" "$line" \
    '"params":\{"event":"report.created","id":[0-9]+,"at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z","data":\{'
like "the data is the report" "$line" \
    '"data":\{"id":1,"status":"open","category":"water_leak","location":"Kilimani stage, call \[number removed\]","details":"Pipe burst","flow":"report","contact_id":[0-9]+,'
case $line in
*254700000011* | *'"phone"'* | *0712*) not_ok "no phone number goes to the CRM" ;;
*) ok "no phone number goes to the CRM" ;;
esac
check "report.created reaches the agency" wait_for 10 sh -c "grep '\"path\":\"/agency\"' '$T/crm.log' | grep -q report.created"
line=$(crm '"path":"/agency"' | head -n 1)
like "with_phone = yes: the number goes too" "$line" '"phone":"\+254700000011"'
like "with_phone = yes: texts go whole" "$line" '"location":"Kilimani stage, call 0712 999 888"'
like "the agency's copy is signed too" "$line" '"signature":"valid"'
is "the agency asked for report.created only" "$(crm_count '"path":"/agency"')" "1"

check "each inbound SMS is a message.in" wait_for 10 sh -c "[ \$(grep -c '\"event\":\"message.in\"' '$T/crm.log') -eq 4 ]"
line=$(crm '"event":"message.in"' | head -n 1)
like "message.in holds the message" "$line" \
    '"data":\{"id":[0-9]+,"channel":"at","kind":"sms","contact_id":[0-9]+,"text":"REPORT","created":"'
line=$(crm '"event":"message.in"' | grep 'Kilimani')
like "message.in text has its numbers removed" "$line" '"text":"Kilimani stage, call \[number removed\]"'
case $(crm '"event":"message.in"') in
*254700000011* | *'"phone"'*) not_ok "message.in carries no phone number" ;;
*) ok "message.in carries no phone number" ;;
esac
check "delivered events leave the store" wait_for 10 none_left
ids=$(crm '"status":200' | sed 's/.*"params":{"event":"[a-z.]*","id":\([0-9]*\),.*/\1/' | sort -n | uniq -d)
is "no event id was delivered twice" "$ids" ""

# --- the CRM fails, then recovers ---
crm_mode 500 1
r=$(http PATCH /api/v1/reports/1 -H "$auth" -H 'Content-Type: application/json' \
    -d '{"status":"in_progress","note":"Crew sent to 0733 111 222"}')
like "the report is updated" "$r" '^200 '
check "the first attempt gets 500" wait_for 10 sh -c "grep '\"event\":\"report.updated\"' '$T/crm.log' | grep -q '\"status\":500'"
check "after the backoff it is delivered" wait_for 15 sh -c "grep '\"event\":\"report.updated\"' '$T/crm.log' | grep -q '\"status\":200'"
check "the retry is logged" grep -q 'event to retry.*sink=crm event=report.updated attempts=1.*HTTP 500' "$T/serve.log"
first=$(crm '"event":"report.updated"' | grep '"status":500' | sed 's/.*"id":\([0-9]*\),"at".*/\1/')
second=$(crm '"event":"report.updated"' | grep '"status":200' | sed 's/.*"id":\([0-9]*\),"at".*/\1/')
is "the retry is the same event" "$second" "$first"
line=$(crm '"event":"report.updated"' | grep '"status":200')
like "report.updated tells the change" "$line" \
    '"data":\{"id":1,"status":"in_progress","previous_status":"open","note":"Crew sent to \[number removed\]",'
check "nothing is left to send" wait_for 5 none_left
sleep 1
is "delivered once" "$(crm_count '"event":"report.updated".*"status":200')" "1"
m=$(http GET /metrics)
like "metrics count the retry" "$m" 'baraza_events_total\{result="retried"\} 1'
like "metrics show nothing waiting" "$m" 'baraza_events_queued 0'
like "metrics count what was sent" "$m" 'baraza_events_total\{result="sent"\} 7'

# --- a message the provider rejects ---
fake_mode reject 1
r=$(http POST /api/v1/messages -H "$auth" -H 'Content-Type: application/json' \
    -d '{"to":"+254700000022","text":"Your bill is due"}')
like "a message is queued" "$r" '^202 '
check "message.failed reaches the CRM" wait_for 10 sh -c "grep -q '\"event\":\"message.failed\"' '$T/crm.log'"
line=$(crm '"event":"message.failed"')
like "message.failed says why" "$line" \
    '"data":\{"id":[0-9]+,"channel":"at","kind":"sms","contact_id":null,"text":"Your bill is due","error":"[^"]+","attempts":1,'
case $line in
*254700000022*) not_ok "message.failed carries no phone number" ;;
*) ok "message.failed carries no phone number" ;;
esac

# --- written by a command, kept across a restart ---
crm_mode 500
"$BARAZA" -c "$T/baraza.conf" report 1 --note "Parts ordered" >/dev/null 2>&1
is "baraza report exits 0" "$?" "0"
check "the gateway posts the command's event" wait_for 10 sh -c "grep 'Parts ordered' '$T/crm.log' | grep -q '\"status\":500'"
check "the gateway stops cleanly" stop_server
is "the event waits in the store" "$(sql 'select event, attempts > 0 from events')" "report.updated|1"
crm_mode ok
start_server || { echo "Bail out! the gateway did not start again"; exit 1; }
check "after a restart it is delivered" wait_for 15 sh -c "grep 'Parts ordered' '$T/crm.log' | grep -q '\"status\":200'"
check "nothing is left after it" wait_for 5 none_left
check "the gateway stops cleanly again" stop_server

# --- closed by default ---
cp "$T/baraza.conf" "$T/bad.conf"
printf '[event open]\nurl = http://127.0.0.1:9/x\nevents = report.created\n' >>"$T/bad.conf"
out=$("$BARAZA" -c "$T/bad.conf" check 2>&1)
is "an unsigned [event] section fails the check" "$?" "1"
like "it says what to set" "$out" 'bad.conf:[0-9]+: error: \[event open\] would send events unsigned: set signing_key'
cp "$T/baraza.conf" "$T/bad2.conf"
printf '[event typo]\nurl = http://127.0.0.1:9/x\nsigning_key = k\nevents = report.created report.deleted\n' >>"$T/bad2.conf"
out=$("$BARAZA" -c "$T/bad2.conf" check 2>&1)
is "an unknown event fails the check" "$?" "1"
like "an unknown event is an error" "$out" "error: events: unknown event 'report.deleted'"
done_testing
