#!/bin/sh
# The API the staff console needs (docs/http.md, "The console's API"), with
# the bearer token: messages search with paging and filters, retry of a
# failed message, contacts search, detail and forget, the overview, flows,
# the simulator's sandbox (nothing stored), notify with a CSV preview and a
# bad line, broadcast cost and topics, tables, and the reports' filters,
# paging, CSV, preview and bulk change. Every write is in the audit log.
. "$SRCDIR/tests/integration/lib.sh"
plan 141

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = web
languages = en sw
currency = KES
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
signing_key = $SIGNING_KEY
rate = 1000/s
cost_per_segment = 0.80
[channel at]
type = africastalking
username = sandbox
api_key = at-key
sender = 40404
api_url = http://127.0.0.1:$FAKE_PORT
webhook_secret = $HOOK_SECRET
rate = 1000/s
[channel down]
type = http
api_url = http://127.0.0.1:9/send
signing_key = $SIGNING_KEY"
cp "$SRCDIR"/flows/examples/*.flow "$T/flows/"
cat >"$T/flows/probe.flow" <<FLOW
flow probe
  on keyword PROBE
  fetch r from "http://127.0.0.1:$FAKE_PORT/probe"
    failed "Down."
  say "Fetched ok={r.ok}"
FLOW
start_server || { echo "Bail out! the gateway did not start"; exit 1; }

auth="Authorization: Bearer test-token"
api() {
	_m=$1
	_p=$2
	shift 2
	http "$_m" "/api/v1$_p" -H "$auth" "$@"
}
# js EXPR: evaluates EXPR on the JSON body of the last answer ($T/body),
# bound to j, with python3.
js() {
	python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(($1))" "$T/body"
}
counts() {
	sql "select (select count(*) from messages), (select count(*) from reports),
	    (select count(*) from subscriptions), (select count(*) from contacts),
	    (select count(*) from sessions), (select count(*) from report_events)"
}

now=$(($(date +%s) * 1000))
# Contacts 11-16: 11, 12 and 14 follow water (13 opted out too), 15 last
# wrote on at and follows roads, 16 follows nothing. 14 saved a ward.
sql "INSERT INTO contacts (id, phone, opted_out, last_channel, fields, created, updated) VALUES
 (11, '+254700000011', 0, 'web', '{}', 0, 0), (12, '+254700000012', 0, NULL, '{}', 0, 0),
 (13, '+254700000013', 1, NULL, '{}', 0, 0), (14, '+254700000014', 0, NULL, '{\"ward\":\"Kilimani\"}', 0, 0),
 (15, '+254700000015', 0, 'at', '{}', 0, 0), (16, '+254700000016', 0, NULL, '{\"name\":\"Juma\"}', 0, 0);
 INSERT INTO subscriptions (contact_id, topic, created) VALUES
 (11, 'water', 0), (12, 'water', 0), (13, 'water', 0), (14, 'water', 0),
 (15, 'roads', 0), (16, 'roads', 0);"
sql_ids contacts
# 130 messages from 11 over the last 130 minutes, and 5 from 16.
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 130)
 INSERT INTO messages (direction, channel, contact_id, phone, text, state, created, updated)
 SELECT 'in', 'web', 11, '+254700000011', 'hello ' || i, 'handled',
  $now - (131 - i) * 60000, $now FROM n;
 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5)
 INSERT INTO messages (direction, channel, contact_id, phone, text, state, created, updated)
 SELECT 'in', 'at', 16, '+254700000016', 'jambo ' || i, 'handled',
  $now, $now FROM n;"

# --- messages: search and paging ---
r=$(api GET "/messages?limit=50")
like "GET /messages answers 200" "$r" '^200 '
is "a page holds 50 items" "$(js 'len(j["items"])')" "50"
is "an item has the console's fields" "$(js 'sorted(j["items"][0].keys())')" \
    "['attempts', 'channel', 'contact_id', 'created', 'direction', 'error', 'id', 'kind', 'phone', 'segments', 'state', 'text', 'updated']"
is "the newest comes first" "$(js 'j["items"][0]["text"]')" "jambo 5"
is "ids go down" "$(js 'all(a["id"] > b["id"] for a, b in zip(j["items"], j["items"][1:]))')" "True"
seen=$(js '" ".join(str(i["id"]) for i in j["items"])')
next=$(js 'j["next"]')
pages=1
while [ "$next" != "None" ] && [ $pages -lt 10 ]; do
	api GET "/messages?limit=50&cursor=$next" >/dev/null
	seen="$seen $(js '" ".join(str(i["id"]) for i in j["items"])')"
	next=$(js 'j["next"]')
	pages=$((pages + 1))
done
is "the cursor walks three pages" "$pages" "3"
is "the pages hold every message once" "$(printf '%s\n' $seen | sort -u | wc -l | tr -d ' ')" "135"
r=$(api GET "/messages?cursor=abc")
like "a bad cursor is 400" "$r" '^400 '
r=$(api GET "/messages?limit=500")
like "a limit over 200 is 400" "$r" '^400 '
api GET "/messages?text=hello%2012&limit=200" >/dev/null
is "text= finds a part of the text" "$(js 'sorted(i["text"] for i in j["items"])')" "['hello 12', 'hello 120', 'hello 121', 'hello 122', 'hello 123', 'hello 124', 'hello 125', 'hello 126', 'hello 127', 'hello 128', 'hello 129']"
api GET "/messages?channel=at" >/dev/null
is "channel= filters" "$(js 'len(j["items"])')" "5"
api GET "/messages?phone=0700000016" >/dev/null
is "phone= finds the contact's messages" "$(js 'len(j["items"]), j["items"][0]["contact_id"]')" "(5, 16)"
api GET "/messages?contact=16&direction=out" >/dev/null
is "contact= and direction= combine" "$(js 'len(j["items"])')" "0"
api GET "/messages?state=handled&direction=in&limit=1" >/dev/null
is "state= filters" "$(js 'j["items"][0]["state"]')" "handled"
tomorrow=$(python3 -c 'import datetime; print(datetime.date.today() + datetime.timedelta(days=2))')
api GET "/messages?since=$tomorrow" >/dev/null
is "since= a later day finds none" "$(js 'len(j["items"]), j["next"]')" "(0, None)"
api GET "/messages?until=2001-01-01" >/dev/null
is "until= an earlier day finds none" "$(js 'len(j["items"])')" "0"
api GET "/messages?since=2001-01-01&limit=200" >/dev/null
is "since= an earlier day finds all" "$(js 'len(j["items"])')" "135"
r=$(api GET "/messages?state=lost")
like "an unknown state is 400" "$r" '^400 '

# --- contacts ---
api GET "/contacts?q=0700000012" >/dev/null
is "q= a whole number finds its contact" "$(js '[(i["id"], i["phone"]) for i in j["items"]]')" "[(12, '+254700000012')]"
api GET "/contacts?q=Kilim" >/dev/null
is "q= a part of a field's value finds the contact" "$(js '[i["id"] for i in j["items"]]')" "[14]"
api GET "/contacts?q=70000001" >/dev/null
is "q= a part of the number finds several" "$(js 'len(j["items"])')" "6"
api GET "/contacts?limit=4" >/dev/null
is "contacts are paged" "$(js 'len(j["items"]), j["next"] is not None')" "(4, True)"
api GET "/contacts?q=0700000011" >/dev/null
is "the list gives each contact's topics (its column)" "$(js '[i["topics"] for i in j["items"]]')" "[['water']]"
r=$(api GET "/contacts/11")
like "GET /contacts/ID answers 200" "$r" '^200 '
is "the contact's page has its topics" "$(js 'j["topics"], j["opted_out"], j["last_channel"]')" "(['water'], False, 'web')"
is "and the first page of its conversation" "$(js 'len(j["messages"]["items"]), j["messages"]["next"] is not None')" "(50, True)"
is "and its reports" "$(js 'j["reports"]')" "[]"
api GET "/contacts/11?messages=5" >/dev/null
is "?messages=5: the page asks for what it shows" "$(js 'len(j["messages"]["items"]), j["messages"]["next"] is not None')" "(5, True)"
api GET "/contacts/11?messages=0" >/dev/null
is "?messages=0: the contact alone" "$(js 'len(j["messages"]["items"]), j["topics"]')" "(0, ['water'])"
r=$(api GET "/contacts/11?messages=201")
like "?messages= past 200 is 400" "$r" '^400 .*messages.* is a number from 0 to 200'
r=$(api GET "/contacts/11?messages=x")
like "?messages=x is 400" "$r" '^400 '
r=$(api POST /messages -d '{"to":"0700000012","text":"Your water meter is booked for Friday."}')
like "staff send a message to a known number" "$r" '^202 '
api GET "/contacts/12" >/dev/null
# Linked to the number's contact (outq_enqueue_one), not only found by number.
is "the contact's conversation shows it, linked to the contact" "$(js 'j["messages"]["items"][0]["text"], j["messages"]["items"][0]["contact_id"]')" "('Your water meter is booked for Friday.', 12)"
api GET "/messages?phone=0700000012" >/dev/null
is "so does the search by its number" "$(js 'len(j["items"])')" "1"
# To a number with no contact yet: unlinked, and its conversation finds it
# by the number once the contact exists (messages_unlinked).
r=$(api POST /messages -d '{"to":"0700000019","text":"Welcome to the water service."}')
like "staff send a message to a number without a contact" "$r" '^202 '
sql "INSERT INTO contacts (phone, created, updated) VALUES ('+254700000019', 0, 0)"
api GET "/contacts/$(sql "select id from contacts where phone = '+254700000019'")" >/dev/null
is "the contact made later finds it in its conversation" "$(js 'j["messages"]["items"][0]["text"], j["messages"]["items"][0]["contact_id"]')" "('Welcome to the water service.', None)"
r=$(api GET "/contacts/999")
like "an unknown contact is 404" "$r" '^404 '
r=$(api POST "/contacts/16/forget")
like "forget answers 200" "$r" '^200 '
is "it says what was erased" "$(js 'j["texts"], j["subscriptions"], j["fields"]')" "(5, 1, 1)"
is "the texts are gone" "$(sql "select count(text) from messages where contact_id = 16")" "0"
is "so are the messages" "$(sql "select count(*) from messages where contact_id = 16")" "0"
is "it counts them" "$(js 'j["messages"] >= j["texts"]')" "True"
is "the forget is in the audit log" "$(sql "select \"user\", action, object from audit where action = 'contact.forget'")" "token|contact.forget|contact/16"

# --- reports ---
# 60 reports: 1-3 by 11, 12 and 14 (water leaks in Kilimani), 4 by the
# opted-out 13, the rest without a reporter, 10 of them 30 days old.
sql "INSERT INTO reports (id, contact_id, flow, category, location, details, status, created, updated) VALUES
 (1, 11, 'report', 'water_leak', 'Kilimani school', 'Pipe burst', 'open', $now, 0),
 (2, 12, 'report', 'water_leak', 'Kilimani market', '=HYPERLINK(\"x\")', 'open', $now, 0),
 (3, 14, 'report', 'water_leak', 'Kilimani, gate', 'Leak, \"big\"', 'open', $now, 0),
 (4, 13, 'report', 'no_water', 'Majengo', 'Dry taps', 'open', $now, 0);
 WITH RECURSIVE n(i) AS (SELECT 5 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
 INSERT INTO reports (id, contact_id, flow, category, location, details, status, created, updated)
 SELECT i, NULL, 'report', 'rubbish', 'Riverside', 'Heap ' || i, 'open',
  $now - CASE WHEN i <= 14 THEN 2592000000 ELSE 0 END, 0 FROM n;
 INSERT INTO report_events (report_id, time, status, note) SELECT id, created, 'open', NULL FROM reports;"
sql_ids reports
r=$(api GET "/reports?status=open")
is "the old form still answers {reports}" "$(js 'len(j["reports"]), "items" in j')" "(60, False)"
api GET "/reports?limit=50" >/dev/null
is "with limit the list is paged" "$(js 'len(j["items"]), j["next"]')" "(50, '11')"
api GET "/reports?limit=50&cursor=11" >/dev/null
is "the next page ends the list" "$(js '[i["id"] for i in j["items"]], j["next"]')" "([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], None)"
api GET "/reports?category=water_leak&q=kilimani&limit=10" >/dev/null
is "category= and q= filter" "$(js '[i["id"] for i in j["items"]]')" "[3, 2, 1]"
api GET "/reports?older_than_days=7&limit=50" >/dev/null
is "older_than_days= filters" "$(js 'len(j["items"])')" "10"
r=$(api GET "/reports?status=lost&limit=5")
like "an unknown status is 400" "$r" '^400 '
curl -s -m 10 -D "$T/csvhead" -o "$T/reports.csv" -H "$auth" \
    "http://127.0.0.1:$PORT/api/v1/reports.csv?category=water_leak"
like "reports.csv is CSV" "$(tr -d '\r' <"$T/csvhead")" 'Content-Type: text/csv'
is "it has a header and a line a report" "$(wc -l <"$T/reports.csv" | tr -d ' ')" "4"
is "its header names the columns" "$(head -n 1 "$T/reports.csv" | tr -d '\r')" "id,status,category,location,details,flow,created,updated,last_note"
like "a field with a comma or a quote is quoted" "$(grep '^3,' "$T/reports.csv")" '^3,open,water_leak,"Kilimani, gate","Leak, ""big""",report,'
like "a field a spreadsheet would run is defused" "$(grep '^2,' "$T/reports.csv")" ",\"'=HYPERLINK\(\"\"x\"\"\)\","
before=$(counts)
r=$(api GET "/reports/1/preview?status=resolved&note=Fixed")
like "the preview answers 200" "$r" '^200 '
is "it shows the SMS, the masked number and the language" "$(js 'j["text"], j["to_masked"], j["language"]')" \
    "('Your report 1 (water leak) has been resolved. Thank you. Note: Fixed', '+254*******11', 'en')"
api GET "/reports/4/preview?status=resolved" >/dev/null
is "an opted-out reporter gets none" "$(js 'j["text"], j["reason"]')" "(None, 'opted out')"
api GET "/reports/1/preview?status=open" >/dev/null
is "no change, no SMS" "$(js 'j["text"]')" "None"
is "a preview writes nothing" "$(counts)" "$before"
r=$(api PATCH /reports -d '{"ids":[1,2,999],"status":"acknowledged"}')
like "a bulk change with an unknown report is 404" "$r" '^404 .*999'
is "and changes nothing" "$(counts)" "$before"
r=$(api PATCH /reports -d '{"ids":[1,2,3],"status":"resolved","note":"Fixed"}')
like "a bulk change answers 200" "$r" '^200 '
is "it changed the three" "$(js 'j["updated"], [i["status"] for i in j["items"]]')" "(3, ['resolved', 'resolved', 'resolved'])"
check "each reporter's SMS reaches the provider" wait_for 10 sh -c "[ \$(grep -c 'has been resolved' '$T/fake.log') -ge 3 ]"
sleep 1
for n in 11 12 14; do
	is "reporter $n got one SMS" "$(grep 'has been resolved' "$T/fake.log" | grep -c "+2547000000$n")" "1"
done
is "each change is in the audit log" "$(sql "select object from audit where action = 'report.update' order by id" | tr '\n' ' ' | sed 's/ $//')" "report/1 report/2 report/3"

# --- overview ---
r=$(api GET /overview)
like "GET /overview answers 200" "$r" '^200 '
is "it has the figures" "$(js 'sorted(j.keys())')" "['channels', 'currency', 'days', 'delivery_rate', 'generated', 'queue_depth', 'reports', 'today']"
is "seven days, oldest first, today last" "$(js 'len(j["days"]), j["days"][6]["in"] == j["today"]["in"], j["days"][0]["day"] < j["days"][6]["day"]')" "(7, True, True)"
# 135 came in; the 5 of contact 16 went with it when it was forgotten.
is "the week holds the messages" "$(js 'sum(d["in"] for d in j["days"])')" "130"
is "each channel is there" "$(js '[(c["name"], c["type"]) for c in j["channels"]]')" "[('web', 'http'), ('at', 'africastalking'), ('down', 'http')]"
is "the web channel is up after its sends" "$(js 'j["channels"][0]["up"]')" "True"
is "open reports by category, largest first" "$(js 'j["reports"]["open_by_category"][0]')" "{'category': 'rubbish', 'open': 56, 'oldest_days': 30}"
is "open reports by age" "$(js 'j["reports"]["by_age"]')" "{'<1d': 47, '1-7d': 0, '>7d': 10}"
is "the median time to resolution" "$(js 'j["reports"]["median_resolution_hours"] is not None and j["reports"]["median_resolution_hours"] >= 0')" "True"
# Read in the thread pool: eight at once are each answered, with the same figures.
pids=
for i in 1 2 3 4 5 6 7 8; do
	curl -s -m 10 -H "$auth" -o "$T/ov.$i" -w '%{http_code}\n' \
	    "http://127.0.0.1:$PORT/api/v1/overview" >"$T/ov.$i.code" &
	pids="$pids $!"
done
for ov_pid in $pids; do wait "$ov_pid"; done
is "eight overviews at once all answer 200" "$(cat "$T"/ov.?.code | sort | uniq -c | sed 's/^ *//')" "8 200"
is "with the same week" "$(for i in 1 2 3 4 5 6 7 8; do python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(sum(d["in"] for d in j["days"]), j["reports"]["by_age"]["<1d"])' "$T/ov.$i"; done | sort -u)" "130 47"

# --- flows ---
r=$(api GET /flows)
like "GET /flows answers 200" "$r" '^200 '
is "each flow with its triggers" "$(js '[t for f in j["flows"] if f["name"] == "report" for t in f["triggers"]]')" \
    "[{'kind': 'keyword', 'value': 'REPORT'}, {'kind': 'keyword', 'value': 'RIPOTI'}, {'kind': 'keyword', 'value': 'TATIZO'}, {'kind': 'ussd', 'value': '*384*2#'}]"
printf 'flow broken\n  say "x\n' >"$T/flows/zz.flow"
api GET /flows >/dev/null
is "the checker's findings of the folder as it is" "$(js 'any(f["severity"] == "error" and f["file"].endswith("zz.flow") for f in j["findings"])')" "True"
rm -f "$T/flows/zz.flow"

# --- the simulator: the real flows, nothing kept ---
before=$(counts)
r=$(api POST /simulate -d '{"kind":"ussd","text":"*384#","phone":"0700000011"}')
like "a USSD dial answers 200" "$r" '^200 '
is "it shows the menu" "$(js 'j["screen"][:20], j["end"], j["replies"]')" "('CON County services:', False, [])"
sid=$(js 'j["session"]')
api POST /simulate -d "{\"session\":\"$sid\",\"text\":\"2\"}" >/dev/null
like "the session goes on" "$(js 'j["screen"]')" '^CON What is the problem'
api POST /simulate -d "{\"session\":\"$sid\",\"text\":\"1\"}" >/dev/null
api POST /simulate -d "{\"session\":\"$sid\",\"text\":\"Kilimani school\"}" >/dev/null
api POST /simulate -d "{\"session\":\"$sid\",\"text\":\"Pipe burst\"}" >/dev/null
like "the report step answers with a number" "$(js 'j["screen"]')" '^END Thank you. Your report number is 61\.'
is "the session ended" "$(js 'j["end"]')" "True"
r=$(api POST /simulate -d "{\"session\":\"$sid\",\"text\":\"1\"}")
like "an ended session is 404" "$r" '^404 '
r=$(api POST /simulate -d '{"kind":"sms","text":"ALERTS","phone":"+254711000001","lang":"sw"}')
is "an SMS gets the flow's reply in the language asked" "$(js 'j["replies"][0][:18], j["screen"], j["end"]')" "('Chagua wadi yako:\n', None, False)"
sid=$(js 'j["session"]')
api POST /simulate -d "{\"session\":\"$sid\",\"text\":\"1\"}" >/dev/null
api POST /simulate -d "{\"session\":\"$sid\",\"text\":\"1\"}" >/dev/null
like "the SMS conversation subscribes (in the sandbox)" "$(js 'j["replies"][0]')" '^Utapata taarifa za water'
r=$(api POST /simulate -d '{"text":"PROBE"}')
is "a fetch step runs for real in the sandbox" "$(js 'j["replies"], j["end"]')" "(['Fetched ok=true'], True)"
check "the fetch reached the service" grep -q '"path":"/probe"' "$T/fake.log"
is "the simulator left no message, report, subscription, contact or session" "$(counts)" "$before"
is "and queued nothing" "$(sql "select count(*) from messages where direction = 'out' and text like '%taarifa%'")" "0"
r=$(api POST /simulate -d '{"kind":"fax","text":"x"}')
like "an unknown kind is 400" "$r" '^400 '
r=$(api POST /simulate -d '{"session":"0123456789abcdef0123456789abcdef","text":"1"}')
like "an unknown session is 404" "$r" '^404 '

# --- notify ---
printf 'phone,name\n0700000011,Amina\n0700000013,Opted\n0700000012,Baraka\n' >"$T/good.csv"
printf 'phone,name\n0700000011,Amina\nnot-a-number,Bad\n' >"$T/bad.csv"
before=$(counts)
r=$(api POST "/notify?text=Dear%20%7Bname%7D%2C%20your%20bill%20is%20due.&preview=1" --data-binary @"$T/good.csv")
like "a preview answers 200" "$r" '^200 '
is "it counts the rows and the opted-out" "$(js 'j["rows"], j["opted_out"], j["error"]')" "(2, 1, None)"
is "it shows the first messages" "$(js 'j["first"][0]')" "{'phone': '+254700000011', 'text': 'Dear Amina, your bill is due.', 'segments': 1, 'encoding': 'GSM-7'}"
r=$(api POST "/notify?text=Dear%20%7Bname%7D&preview=1" --data-binary @"$T/bad.csv")
is "a preview names the bad line" "$(js 'j["error"]["line"], len(j["first"])')" "(3, 1)"
is "previews write nothing" "$(counts)" "$before"
r=$(api POST "/notify?text=Dear%20%7Bname%7D" --data-binary @"$T/bad.csv")
like "queueing a CSV with a bad line is 400" "$r" '^400 '
is "the answer names the line" "$(js 'j["line"]')" "3"
is "and nothing is queued" "$(counts)" "$before"
r=$(api POST "/notify?text=Dear%20%7Bname%7D%2C%20your%20bill%20is%20due." --data-binary @"$T/good.csv" -H "Idempotency-Key: n-1")
like "queueing answers 202" "$r" '^202 '
is "with the recipients and segments" "$(js 'j["recipients"], j["segments"], j["opted_out"]')" "(2, 2, 1)"
nid=$(js 'j["id"]')
r=$(api POST "/notify?text=Dear%20%7Bname%7D%2C%20your%20bill%20is%20due." --data-binary @"$T/good.csv" -H "Idempotency-Key: n-1")
is "the same Idempotency-Key gives the same answer" "$(js 'j["id"]')" "$nid"
check "the notifications reach the provider" wait_for 10 sh -c "[ \$(grep -c 'your bill is due' '$T/fake.log') -ge 2 ]"
is "the run is in the audit log once" "$(sql "select count(*) from audit where action = 'notify.send'")" "1"

# --- broadcasts: cost and topics ---
r=$(api POST /broadcasts -d '{"text":"Water off on Monday.","topic":"water","dry_run":true}')
like "a dry run answers 200" "$r" '^200 '
is "it gives the cost in the currency" "$(js 'j["recipients"], j["cost"], j["currency"]')" "(3, 2.4, 'KES')"
api POST /broadcasts -d '{"text":"Barabara imefungwa 🚧","topic":"water","dry_run":true}' >/dev/null
is "a UCS-2 text costs its segments" "$(js 'j["encoding"], j["cost"]')" "('UCS-2', 2.4)"
api POST /broadcasts -d '{"text":"Road works.","topic":"roads","dry_run":true}' >/dev/null
is "a channel without cost_per_segment makes the cost unknown" "$(js 'j["recipients"], j["cost"]')" "(1, None)"
r=$(api GET /topics)
is "topics count the subscribers who did not opt out" "$(js 'j["topics"]')" "[{'topic': 'roads', 'subscribers': 1}, {'topic': 'water', 'subscribers': 3}]"

# --- tables ---
printf 'account,name,balance\n1001,Amina,250\n1002,Baraka,0\n' >"$T/bills.csv"
r=$(api PUT "/tables/bills?key=account" --data-binary @"$T/bills.csv")
like "a table is replaced" "$r" '^200 '
r=$(api GET /tables)
like "GET /tables answers 200" "$r" '^200 '
is "it lists the table with its key, columns and rows" "$(js '[(t["name"], t["key"], t["columns"], t["rows"]) for t in j["tables"]]')" "[('bills', 'account', ['account', 'name', 'balance'], 2)]"
like "and its last import" "$(js 'j["tables"][0]["updated"]')" '^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T'

# --- retry of a failed message ---
fake_mode 400 1
r=$(api POST /messages -d '{"to":"0700000020","text":"Your permit is ready."}')
like "a message is queued" "$r" '^202 '
mid=$(js 'j["id"]')
check "the provider refuses it and it fails" wait_for 10 sql_is "select state from messages where id = $mid" failed
api GET "/messages?state=failed" >/dev/null
is "the search finds the failed message with its error" "$(js '[(i["id"], i["error"] is not None) for i in j["items"]]')" "[($mid, True)]"
r=$(api POST "/messages/$mid/retry")
like "retry answers 200" "$r" '^200 '
is "the message is queued again" "$(js 'j["state"], j["error"]')" "('queued', None)"
check "the retry reaches the provider" wait_for 10 sh -c "[ \$(grep -c 'Your permit is ready' '$T/fake.log') -ge 2 ]"
check "and the message is sent" wait_for 10 sql_is "select state from messages where id = $mid" sent
r=$(api POST "/messages/$mid/retry")
like "a message that is not failed cannot be retried" "$r" '^409 '
r=$(api POST "/messages/99999/retry")
like "an unknown message is 404" "$r" '^404 '
is "the retry is in the audit log" "$(sql "select object from audit where action = 'message.retry'")" "message/$mid"
r=$(api GET "/messages/$mid")
like "the core still answers GET /messages/ID" "$r" '^200 .*"to":"\+254700000020"'
r=$(api DELETE "/messages")
like "other methods on /messages are 405" "$r" '^405 '

# --- the overview after the sends ---
api GET /overview >/dev/null
# (Over the week: sent before a midnight and read after it, they are
# yesterday's, rightly.)
is "the overview counts the outbound messages" "$(js 'sum(d["out"] for d in j["days"]) >= 6')" "True"
is "with the failure of today" "$(js 'j["today"]["failed"]')" "0"
like "the delivery rate is a share" "$(js 'j["delivery_rate"]')" '^(1\.0|0\.[0-9]+)$'
is "a channel that has sent nothing is not known yet" "$(js 'j["channels"][2]["up"]')" "None"

# --- a provider that refuses every request: down, though nothing failed for good ---
r=$(api POST /messages -d '{"to":"0700000021","text":"Nobody will get this.","channel":"down"}')
like "a message to the refusing channel is queued" "$r" '^202 '
tried() { [ -n "$(sql "select error from messages where channel = 'down' and error is not null")" ]; }
check "its first attempt fails and it is queued again" wait_for 10 tried
is "it is still queued" "$(sql "select state from messages where channel = 'down'")" "queued"
api GET /overview >/dev/null
is "the overview shows the channel down" "$(js 'j["channels"][2]["up"]')" "False"
like "with the reason" "$(js 'j["channels"][2]["last_error"]')" "onnect"
is "the web channel is still up" "$(js 'j["channels"][0]["up"]')" "True"

stop_server
is "the gateway stops cleanly" "$?" "0"
done_testing
