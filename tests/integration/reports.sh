#!/bin/sh
# Issue reports end to end: a citizen opens one by SMS through the example
# flows over the generic http channel, staff move it along with `baraza
# report` and PATCH /api/v1/reports/ID, each change is an event and the
# reporter hears of it by SMS at the fake provider (until they opt out),
# and Open311 shows it without the phone number and without a token.
# [reports] configures the text for resolved; the other statuses keep the
# built-in texts.
. "$SRCDIR/tests/integration/lib.sh"
plan 54

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = web
languages = en sw
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
allow_unsigned = yes
[reports]
resolved = \"Report {id} ({category}) at {location} is {status}: {note}\"
resolved.sw = \"Ripoti {id} imetatuliwa: {note}\""
cp "$SRCDIR"/flows/examples/*.flow "$T/flows/"
start_server || { echo "Bail out! the gateway did not start"; exit 1; }

auth="Authorization: Bearer test-token"
n=0
# sms TEXT: one inbound SMS from the reporter; waits for the reply to go
# out; the webhook's answer is left in R.
R=
sms() {
	n=$((n + 1))
	before=$(grep -c '"path":"/send"' "$T/fake.log" 2>/dev/null || true)
	body=$(printf '{"id":"r-%d","from":"+254700000011","to":"40404","text":"%s"}' "$n" "$1")
	R=$(http POST /hooks/web/sms -H "Content-Type: application/json" -d "$body")
	wait_for 10 sh -c "[ \$(grep -c '\"path\":\"/send\"' '$T/fake.log' 2>/dev/null || echo 0) -gt $before ]"
}
sends() { grep -c '"path":"/send"' "$T/fake.log" 2>/dev/null || echo 0; }

# --- a citizen opens a report by SMS ---
sms REPORT
like "REPORT answers 200" "$R" '^200 '
check "the category menu goes out" grep -q 'What is the problem' "$T/fake.log"
sms 1
check "the flow asks where" grep -q 'Where is it' "$T/fake.log"
sms "Kilimani, near the school"
sms "Pipe burst on Argwings Kodhek"
check "the reporter gets a report number" wait_for 5 grep -q 'Your report number is 1\.' "$T/fake.log"
is "the report is stored, open" "$(sql "select id, status, category, location from reports")" \
    "1|open|water_leak|Kilimani, near the school"
is "it has one event" "$(sql "select count(*) from report_events where report_id = 1")" "1"

# --- the command line ---
out=$("$BARAZA" -c "$T/baraza.conf" reports 2>&1)
is "baraza reports exits 0" "$?" "0"
like "the table has a header" "$out" 'ID +STATUS +CATEGORY +LOCATION +AGE'
like "the table lists the report" "$out" '^ +1 +open +water_leak +Kilimani, near the school +[0-9]+[smhd]'
out=$("$BARAZA" -c "$T/baraza.conf" reports --status closed 2>&1)
is "a status filter with no match lists the header only" "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" "1"
"$BARAZA" -c "$T/baraza.conf" reports --status pending >/dev/null 2>&1
is "an unknown status is bad usage" "$?" "2"

sent=$(sends)
out=$("$BARAZA" -c "$T/baraza.conf" report 1 --status in_progress --note "Crew sent" 2>&1)
is "baraza report --status exits 0" "$?" "0"
like "it shows the new status" "$out" 'status +in_progress'
like "it shows the event with its note" "$out" 'in_progress +Crew sent'
like "it says the reporter is told" "$out" 'told by SMS'
check "the reporter's SMS reaches the provider" wait_for 10 grep -q 'Your report 1 (water leak) is now in progress. Note: Crew sent' "$T/fake.log"
line=$(grep 'is now in progress' "$T/fake.log" | head -n 1)
like "it goes to the reporter's number" "$line" '\+254700000011'
is "the event is stored with its time and note" "$(sql "select status, note, time > 0 from report_events where report_id = 1 order by id desc limit 1")" "in_progress|Crew sent|1"

out=$("$BARAZA" -c "$T/baraza.conf" report 1 --note "Materials ordered" 2>&1)
is "a note alone exits 0" "$?" "0"
is "a note alone keeps the status" "$(sql "select status from reports where id = 1")" "in_progress"
is "a note alone is an event" "$(sql "select count(*) from report_events where report_id = 1")" "3"
sleep 1
is "a note alone sends no SMS" "$(sends)" "$((sent + 1))"

"$BARAZA" -c "$T/baraza.conf" report 99 --status closed >/dev/null 2>&1
is "an unknown report fails with 1" "$?" "1"
"$BARAZA" -c "$T/baraza.conf" report 1 --status done >/dev/null 2>&1
is "an unknown status is bad usage (2)" "$?" "2"
"$BARAZA" -c "$T/baraza.conf" report abc >/dev/null 2>&1
is "a report number that is not a number is bad usage" "$?" "2"

# --- the admin API ---
r=$(http PATCH /api/v1/reports/1 -H "$auth" -d '{"status":"resolved","note":"Pipe fixed"}')
like "PATCH answers 200 with the new status" "$r" '^200 .*"status":"resolved"'
like "PATCH says which SMS went out" "$r" '"sms_id":[0-9]+'
like "PATCH shows the events" "$r" '"events":\[.*"note":"Pipe fixed"'
check "the reporter hears it is resolved, in the configured text" wait_for 10 grep -q 'Report 1 (water leak) at Kilimani, near the school is resolved: Pipe fixed' "$T/fake.log"
is "the configured text gets no built-in note" "$(grep -c 'Note: Pipe fixed' "$T/fake.log")" "0"
is "PATCH with an unknown status is 400" "$(http PATCH /api/v1/reports/1 -H "$auth" -d '{"status":"done"}' | cut -c1-3)" "400"
is "PATCH with bad JSON is 400" "$(http PATCH /api/v1/reports/1 -H "$auth" -d '{"status":' | cut -c1-3)" "400"
is "PATCH of an unknown report is 404" "$(http PATCH /api/v1/reports/99 -H "$auth" -d '{"status":"closed"}' | cut -c1-3)" "404"
is "DELETE is 405" "$(http DELETE /api/v1/reports/1 -H "$auth" | cut -c1-3)" "405"
r=$(http GET /api/v1/reports/1 -H "$auth")
like "GET shows the report with four events" "$r" '^200 .*"events":\[(\{[^}]*\},?){4}\]'
is "GET of an unknown report is 404" "$(http GET /api/v1/reports/99 -H "$auth" | cut -c1-3)" "404"
like "the list filters by status" "$(http GET '/api/v1/reports?status=resolved' -H "$auth")" '^200 \{"reports":\[\{"id":1,'
is "the list of another status is empty" "$(http GET '/api/v1/reports?status=open' -H "$auth")" '200 {"reports":[]}'
is "the list refuses an unknown status" "$(http GET '/api/v1/reports?status=bogus' -H "$auth" | cut -c1-3)" "400"
is "no token is 401" "$(http GET /api/v1/reports | cut -c1-3)" "401"
is "a wrong token is 401" "$(http PATCH /api/v1/reports/1 -H "Authorization: Bearer nope" -d '{"status":"closed"}' | cut -c1-3)" "401"
is "a refused PATCH changes nothing" "$(sql "select status from reports where id = 1")" "resolved"

# --- Open311, no token ---
r=$(http GET /open311/v2/services.json)
like "services.json lists the flow's categories" "$r" '^200 \[.*"service_code":"water_leak","service_name":"Water leak"'
like "services carry GeoReport's fields" "$r" '"metadata":false,"type":"realtime"'
r=$(http GET /open311/v2/requests.json)
like "requests.json maps resolved to closed" "$r" '^200 \[\{"service_request_id":1,"status":"closed","status_notes":"Pipe fixed"'
like "requests carry the address and times" "$r" '"address":"Kilimani, near the school","requested_datetime":"[0-9T:-]+Z","updated_datetime":"[0-9T:-]+Z"'
is "status=open leaves it out" "$(http GET '/open311/v2/requests.json?status=open')" "200 []"
like "one request by id is an array of one" "$(http GET /open311/v2/requests/1.json)" '^200 \[\{"service_request_id":1,[^]]*\}\]$'
like "an unknown request is GeoReport's 404" "$(http GET /open311/v2/requests/99.json)" '^404 \[\{"code":404,"description":'
is "a bad start_date is 400" "$(http GET '/open311/v2/requests.json?start_date=soon' | cut -c1-3)" "400"
all=$(http GET /open311/v2/services.json; http GET /open311/v2/requests.json; http GET /open311/v2/requests/1.json)
if printf '%s' "$all" | grep -q '25470000'; then
	not_ok "Open311 never shows the phone number"
else
	ok "Open311 never shows the phone number"
fi

# --- an opted-out reporter is not told ---
sms STOP
sent=$(sends)
out=$("$BARAZA" -c "$T/baraza.conf" report 1 --status closed 2>&1)
like "closing for an opted-out reporter says no SMS" "$out" 'no SMS to the reporter: the reporter has opted out'
sleep 1
is "no SMS reaches the provider" "$(sends)" "$sent"

check "the gateway stops cleanly" stop_server
done_testing
