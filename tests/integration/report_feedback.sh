#!/bin/sh
# Report feedback (issue 14; docs/flows.md "Report feedback"): when a
# report becomes resolved, its reporter gets [reports] feedback_text (in
# their language) after the status SMS, once per report; the answer (1/2,
# yes/no, ndiyo/hapana, any case, trimmed) within 7 days is kept with the
# report and starts no flow, and satisfaction shows in GET
# /api/v1/reports/ID, `baraza stats`, /metrics and the overview. Any other
# text, an answer after the window, and an answer to a session that asked
# after the question go to the flows as before. Over the generic http
# channel (signed) with the fake provider.
. "$SRCDIR/tests/integration/lib.sh"
plan 45

R1=+254700000011
R2=+254700000012
R3=+254700000013
R4=+254700000014
start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = web
languages = en sw
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
signing_key = $SIGNING_KEY
[reports]
feedback_text = \"Report {id}: was it fixed? Reply 1 for yes, 2 for no.\"
feedback_text.sw = \"Ripoti {id}: imerekebishwa? Jibu 1 ndiyo, 2 hapana.\""
cp "$SRCDIR"/flows/examples/*.flow "$T/flows/"
start_server || { echo "Bail out! the gateway did not start"; exit 1; }

auth="Authorization: Bearer test-token"
sends() {
	_s=$(grep -c '"path":"/send"' "$T/fake.log" 2>/dev/null)
	echo "${_s:-0}"
}
n=0
# sms PHONE TEXT: one inbound SMS, signed; the answer is left in R.
R=
sms() {
	n=$((n + 1))
	R=$(hook_json /hooks/web/sms "$(printf '{"id":"f-%d","from":"%s","to":"40404","text":"%s"}' "$n" "$1" "$2")")
}
# talk PHONE TEXT: an SMS that the flows answer; waits for the reply.
talk() {
	before=$(sends)
	sms "$1" "$2"
	wait_for 10 sh -c "[ \$(grep -c '\"path\":\"/send\"' '$T/fake.log' 2>/dev/null || true) -gt $before ] 2>/dev/null"
}
handled() { # PHONE TEXT: the inbound message's state
	sql "select state from messages where direction = 'in' and phone = '$1' and text = '$2' order by id desc limit 1"
}
json() { printf '%s' "$1" | cut -d' ' -f2- | jq -c "$2"; }
# after_last PHONE: messages queued to PHONE after its last inbound one.
after_last() {
	sql "select count(*) from messages where direction = 'out' and phone = '$1' and id > (select max(id) from messages where direction = 'in' and phone = '$1')"
}

# --- A report opened by SMS through the example flows, resolved ---
talk "$R1" REPORT
talk "$R1" 1
talk "$R1" "Kilimani, near the school"
talk "$R1" "Pipe burst on Argwings Kodhek"
check "the reporter has report 1" wait_for 5 grep -q 'Your report number is 1\.' "$T/fake.log"
r=$(http GET '/api/v1/reports/1/preview?status=resolved' -H "$auth")
is "the preview shows the question to come" "$(json "$r" .feedback)" '"Report 1: was it fixed? Reply 1 for yes, 2 for no."'
r=$(http PATCH /api/v1/reports/1 -H "$auth" -d '{"status":"resolved","note":"Pipe fixed"}')
like "PATCH resolves it" "$r" '^200 .*"status":"resolved"'
like "PATCH names the feedback SMS" "$r" '"feedback_sms_id":[0-9]+'
is "the question goes after the status SMS" "$(json "$r" '.feedback_sms_id > .sms_id')" "true"
check "the status SMS reaches the provider" wait_for 10 grep -q 'Your report 1 (water leak) has been resolved' "$T/fake.log"
check "the question reaches the reporter" wait_for 10 grep -q "$R1.*Report 1: was it fixed? Reply 1 for yes, 2 for no\." "$T/fake.log"
like "the report says when it was asked" "$(json "$(http GET /api/v1/reports/1 -H "$auth")" .feedback)" \
    '^\{"asked":"[0-9T:.-]+Z","answer":null,"answered":null\}$'

# Once per report: resolved again after a reopening, no second question.
http PATCH /api/v1/reports/1 -H "$auth" -d '{"status":"in_progress"}' >/dev/null
r=$(http GET '/api/v1/reports/1/preview?status=resolved' -H "$auth")
is "the preview knows it was asked" "$(json "$r" .feedback)" "null"
r=$(http PATCH /api/v1/reports/1 -H "$auth" -d '{"status":"resolved"}')
like "resolved again: the status SMS only" "$r" '"sms_id":[0-9]+'
is "no second question" "$(json "$r" .feedback_sms_id)" "null"

# --- The answer: kept, no flow, no reply ---
before=$(sends)
sms "$R1" " 2 "
is "the answer's webhook is 200" "${R%% *}" "200"
talk +254700000099 HELP
is "the answer gets no reply (the marker's reply came, nothing else)" "$(sends)" "$((before + 1))"
is "the answer is handled" "$(handled "$R1" " 2 ")" "handled"
is "nothing is queued to the reporter after it" "$(after_last "$R1")" "0"
r=$(http GET /api/v1/reports/1 -H "$auth")
like "the report keeps the answer" "$(json "$r" .feedback)" \
    '^\{"asked":"[^"]+","answer":"no","answered":"[0-9T:.-]+Z"\}$'
is "the store too" "$(sql "select feedback from reports where id = 1")" "no"
# Answered: the next "1" is an SMS like any other (help, on default).
talk "$R1" 1
like "a second answer goes to the flows" "$(grep "$R1" "$T/fake.log" | tail -n 1)" 'County services by SMS'
is "the first answer stays" "$(sql "select feedback from reports where id = 1")" "no"

# --- A Swahili reporter: the question in Swahili, "NDIYO" is yes ---
talk "$R2" HELP
sql "update contacts set language = 'sw' where phone = '$R2'"
cid2=$(sql "select id from contacts where phone = '$R2'")
now=$(($(date +%s) * 1000))
sql "insert into reports (contact_id, flow, category, location, details, status, created, updated) values ($cid2, 'report', 'no_water', 'Majengo', 'Dry', 'open', $now, $now)"
r=$(http PATCH /api/v1/reports/2 -H "$auth" -d '{"status":"resolved"}')
like "report 2 resolved with a question" "$r" '"feedback_sms_id":[0-9]+'
check "the question is in Swahili" wait_for 10 grep -q "$R2.*Ripoti 2: imerekebishwa? Jibu 1 ndiyo, 2 hapana\." "$T/fake.log"
before=$(sends)
sms "$R2" "NDIYO"
talk +254700000099 HELP
is "ndiyo gets no reply" "$(sends)" "$((before + 1))"
is "ndiyo is yes" "$(sql "select feedback from reports where id = 2")" "yes"
is "nothing is queued after ndiyo" "$(after_last "$R2")" "0"

# --- Satisfaction: stats, metrics, the overview ---
out=$("$BARAZA" -c "$T/baraza.conf" stats 2>&1)
like "baraza stats shows satisfaction" "$out" 'satisfaction 50% \(2 answers: 1 yes, 1 no\)'
r=$(http GET /metrics)
like "metrics: yes" "$r" 'baraza_report_feedback_total\{answer="yes"\} 1'
like "metrics: no" "$r" 'baraza_report_feedback_total\{answer="no"\} 1'
r=$(http GET /api/v1/overview -H "$auth")
is "the overview's satisfaction" "$(json "$r" .reports.satisfaction)" "0.5"
is "the overview's answers" "$(json "$r" .reports.feedback)" '{"yes":1,"no":1}'

# --- Other text goes to the flows; the question still waits ---
talk "$R3" HELP
cid3=$(sql "select id from contacts where phone = '$R3'")
sql "insert into reports (contact_id, flow, category, status, created, updated) values ($cid3, 'report', 'rubbish', 'open', $now, $now)"
http PATCH /api/v1/reports/3 -H "$auth" -d '{"status":"resolved"}' >/dev/null
check "R3 is asked" wait_for 10 grep -q "$R3.*Report 3: was it fixed" "$T/fake.log"
talk "$R3" "Thanks a lot"
like "another text goes to the flows" "$(grep "$R3" "$T/fake.log" | tail -n 1)" 'County services by SMS'
is "and leaves the question waiting" "$(sql "select feedback is null and feedback_asked is not null from reports where id = 3")" "1"
# After the window: the question was asked 8 days ago (moved in the store).
sql "update reports set feedback_asked = feedback_asked - 8 * 86400000 where id = 3"
talk "$R3" "yes"
like "an answer after the window goes to the flows" "$(grep "$R3" "$T/fake.log" | tail -n 1)" 'County services by SMS'
is "and is not kept" "$(sql "select feedback is null from reports where id = 3")" "1"

# --- A session that asks after the question takes the answer ---
talk "$R4" HELP
cid4=$(sql "select id from contacts where phone = '$R4'")
sql "insert into reports (contact_id, flow, category, status, created, updated) values ($cid4, 'report', 'rubbish', 'open', $now, $now)"
http PATCH /api/v1/reports/4 -H "$auth" -d '{"status":"resolved"}' >/dev/null
check "R4 is asked" wait_for 10 grep -q "$R4.*Report 4: was it fixed" "$T/fake.log"
talk "$R4" REPORT
talk "$R4" 1
like "the menu's answer goes to the session" "$(grep "$R4" "$T/fake.log" | tail -n 1)" 'Where is it'
is "the question still waits" "$(sql "select feedback is null from reports where id = 4")" "1"
# The session waits on "Where is it?"; moved back before the question,
# the question is the newer one and takes "Yes".
sql "update sessions set last_step = 1 where key = 'sms:$R4'"
before=$(sends)
sms "$R4" "Yes"
talk +254700000099 HELP
is "then yes answers the question" "$(sql "select feedback from reports where id = 4")" "yes"
is "with no reply" "$(after_last "$R4")" "0"

# --- Opted out or never configured: no question ---
talk "$R1" STOP
cid1=$(sql "select id from contacts where phone = '$R1'")
sql "insert into reports (contact_id, flow, category, status, created, updated) values ($cid1, 'report', 'rubbish', 'open', $now, $now)"
r=$(http PATCH /api/v1/reports/5 -H "$auth" -d '{"status":"resolved"}')
is "an opted-out reporter is not asked" "$(json "$r" '[.sms_id, .feedback_sms_id]')" "[null,null]"
is "nor marked asked" "$(sql "select feedback_asked is null from reports where id = 5")" "1"
check "the gateway stops cleanly" stop_server
sed -i '/^feedback_text/d' "$T/baraza.conf"
start_server || exit 1
talk "$R4" MENU
cid=$(sql "select id from contacts where phone = '$R4'")
sql "insert into reports (contact_id, flow, category, status, created, updated) values ($cid, 'report', 'rubbish', 'open', $now, $now)"
r=$(http PATCH /api/v1/reports/6 -H "$auth" -d '{"status":"resolved"}')
like "without feedback_text the status SMS only" "$r" '"sms_id":[0-9]+'
is "and no question" "$(json "$r" .feedback_sms_id)" "null"
check "the gateway stops cleanly again" stop_server
done_testing
