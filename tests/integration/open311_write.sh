#!/bin/sh
# Open311 write (interfaces.md "Operators' tools"): POST
# /open311/v2/requests.json with an api_key of [open311] api_keys files a
# report like the flows' `report` step. A missing or wrong key is 403 and an
# unknown service_code 400, both in GeoReport's error form; a good POST is
# 201 with the service_request_id and shows in requests.json with the
# numbers typed in it removed; a phone number gets the status SMS when
# staff change the report; bodies over the HTTP limit are 413; POSTs are
# counted per client address and per api key ([open311] rate), 429 beyond.
. "$SRCDIR/tests/integration/lib.sh"
plan 31

KEY1=test-open311-key-0001
KEY2=other-open311-key-0002
start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = at
languages = en sw
$(at_channel)
[open311]
api_keys = $KEY1 $KEY2
rate = 4/min"
cp "$SRCDIR"/flows/examples/*.flow "$T/flows/"
start_server || { echo "Bail out! the gateway did not start"; exit 1; }
auth="Authorization: Bearer test-token"

# post [CURL ARGS...]: a POST to requests.json; prints "STATUS BODY".
post() { http POST /open311/v2/requests.json "$@"; }

# --- from 127.0.0.1: four POSTs, then the address is over its rate ---
r=$(post -d service_code=water_leak -d address_string=Here)
is "no api_key is 403 in GeoReport's form" "$r" \
    '403 [{"code":403,"description":"api_key missing or not valid"}]'
r=$(post -d api_key=test-open311-key-0003 -d service_code=water_leak -d address_string=Here)
like "a wrong api_key is 403" "$r" '^403 \[\{"code":403,'
r=$(post -d api_key=$KEY1 -d service_code=potholes -d address_string=Here)
is "an unknown service_code is 400 in GeoReport's form" "$r" \
    '400 [{"code":400,"description":"unknown service_code: use one services.json lists"}]'
r=$(post -d api_key=$KEY1 -d service_code=water_leak -d address_string="Moi Avenue" \
    --data-urlencode "description=Burst pipe, call 0712 999 888" -d first_name=Amina -d email=a@example.org)
is "a good POST is 201 with the request's id" "$r" \
    '201 [{"service_request_id":1,"service_notice":"Report number 1.","account_id":null}]'
r=$(post -d api_key=$KEY1 -d service_code=water_leak -d address_string=There)
like "a fifth POST from the address is 429" "$r" '^429 \[\{"code":429,"description":"too many service requests'
curl -s -m 5 -D "$T/headers" -o /dev/null -X POST -d api_key=$KEY1 \
    "http://127.0.0.1:$PORT/open311/v2/requests.json"
check "429 says when to come back" grep -qi '^Retry-After: [1-9]' "$T/headers"
is "no report was filed by the refused POSTs" "$(sql 'select count(*) from reports')" "1"
is "the two refused keys are one log line (outsiders write them)" \
    "$(grep -c 'service requests refused: api_key missing or wrong count=1 addr=127.0.0.1' "$T/serve.log")" "1"

# --- the report is open data, scrubbed ---
is "the report is stored like the report step's" \
    "$(sql 'select flow, category, location, details, status, contact_id is null from reports where id = 1')" \
    "open311|water_leak|Moi Avenue|Burst pipe, call 0712 999 888|open|1"
r=$(http GET /open311/v2/requests.json)
like "it shows in requests.json" "$r" '"service_request_id":1,"status":"open",'
like "its description is scrubbed" "$r" '"description":"Burst pipe, call \[number removed\]"'
like "its address and service" "$r" '"service_name":"Water leak","service_code":"water_leak".*"address":"Moi Avenue"'
case $r in
*Amina* | *example.org*) not_ok "names and e-mail addresses are not kept" ;;
*) ok "names and e-mail addresses are not kept" ;;
esac

# --- from 127.0.0.2: the key's own count ---
p2() { post --interface 127.0.0.2 "$@"; }
r=$(p2 -d api_key=$KEY1 -d service_code=water_leak -d address_string="Kenyatta Ave" \
    -d lat=-1.2864 -d long=36.8172 -d phone="0700 000 033" -d description="No water since Monday")
is "a POST with a phone is 201" "$r" \
    '201 [{"service_request_id":2,"service_notice":"Report number 2. Changes to it are sent by SMS.","account_id":null}]'
is "the location keeps the address and the point" "$(sql 'select location from reports where id = 2')" \
    "Kenyatta Ave (-1.2864,36.8172)"
is "the phone finds or makes the contact" \
    "$(sql 'select c.phone from reports r join contacts c on c.id = r.contact_id where r.id = 2')" "+254700000033"
r=$(p2 -d api_key=$KEY1 -d service_code=no_water)
is "a location is required" "$r" \
    '400 [{"code":400,"description":"a location is required: address_string, or lat and long"}]'
r=$(p2 -d api_key=$KEY1 -d service_code=no_water -d address_string=X)
like "the key's fifth POST is 429, from any address" "$r" '^429 '
r=$(p2 -d api_key=$KEY2 -d service_code=no_water -d lat=91 -d long=0)
like "another key has its own count; lat is checked" "$r" '^400 .*lat and long must be decimal degrees'

# --- from 127.0.0.3: the limits of the body ---
p3() { post --interface 127.0.0.3 "$@"; }
head -c 70000 /dev/zero | tr '\0' a >"$T/big"
r=$(p3 -d api_key=$KEY2 -d service_code=no_water -d address_string=X --data-urlencode "description@$T/big")
like "a body over the HTTP limit is 413" "$r" '^413'
head -c 4001 /dev/zero | tr '\0' a >"$T/long"
r=$(p3 -d api_key=$KEY2 -d service_code=no_water -d address_string=X --data-urlencode "description@$T/long")
like "a description over 4000 bytes is 400" "$r" '^400 .*description is too long'
r=$(p3 -d api_key=$KEY2 -d service_code=no_water -d phone=hello -d address_string=X)
is "a phone that is not a number is 400" "$r" '400 [{"code":400,"description":"phone is not a phone number"}]'
r=$(p3 -d 'api_key=%zz')
like "a body that is not a form is 400" "$r" '^400 .*must be a form'
is "other methods are still 405" "$(http PUT /open311/v2/requests.json | cut -c1-3)" "405"
is "nothing else was filed" "$(sql 'select count(*) from reports')" "2"

# --- the phone gets the status SMS ---
before=$(fake_count '"path":"/version1/messaging"')
r=$(http PATCH /api/v1/reports/2 -H "$auth" -H 'Content-Type: application/json' -d '{"status":"acknowledged"}')
like "staff acknowledge it" "$r" '^200 .*"sms_id":[0-9]+'
check "the reporter gets the status SMS" wait_for 10 sh -c "[ \$(cat '$T/fake.log' 2>/dev/null | grep -c '\"path\":\"/version1/messaging\"') -gt $before ]"
line=$(grep 'has been received' "$T/fake.log" | tail -n 1)
like "it is the status text" "$line" 'Your report 2 \(water leak\) has been received'
like "it goes to the number given" "$line" '\+254700000033'
r=$(http PATCH /api/v1/reports/1 -H "$auth" -H 'Content-Type: application/json' -d '{"status":"acknowledged"}')
like "a report without a phone sends no SMS" "$r" '"sms_id":null,"sms_skipped":"the report has no reporter"'
check "the gateway stops cleanly" stop_server
done_testing
