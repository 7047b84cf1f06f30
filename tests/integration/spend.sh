#!/bin/sh
# Spend and daily budgets (interfaces.md, "Operators' tools"): every segment
# sent counts, replies too; a broadcast or a notify run past a channel's
# daily_budget is refused with the figures (CLI exit 1, API 409) unless an
# admin forces it (a staff member's "force" is 403); replies still go out
# past the budget; dry runs, `baraza stats`, /metrics and the overview
# show the spend.
. "$SRCDIR/tests/integration/lib.sh"
plan 52

# Spend and budgets are a local day's: the whole script within one.
away_from_midnight 120
start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = at
currency = KES
$(at_channel)
rate = 1000/s
cost_per_segment = 1.00
daily_budget = 5"
cat >"$T/flows/hello.flow" <<'FLOW'
flow hello
  on keyword HELLO
  say "Hello from the council."
FLOW
start_server || exit 1
B() { "$BARAZA" -c "$T/baraza.conf" "$@"; }
auth="Authorization: Bearer test-token"
ATH="X-Baraza-Secret: $HOOK_SECRET"

# Three subscribers of water.
sql "INSERT INTO contacts (id, phone, opted_out, created, updated) VALUES
 (11, '+254700000011', 0, 0, 0), (12, '+254700000012', 0, 0, 0),
 (13, '+254700000013', 0, 0, 0);
 INSERT INTO subscriptions (contact_id, topic, created) VALUES
 (11, 'water', 0), (12, 'water', 0), (13, 'water', 0);"
sent_on() { # N: at least N messages sent
	[ "$(sql "select count(*) from messages where state = 'sent'")" -ge "$1" ]
}

# --- a dry run shows the budget's state ---
out=$(B broadcast "Water off on Monday." --topic water --dry-run)
is "a dry run exits 0" "$?" "0"
like "it shows the channel's cost and the day so far" "$out" 'channel at: 3 segments, cost 3.00 KES; on [0-9-]+ spent 0.00, queued 0.00'
like "and that it is within the budget" "$out" 'budget 5.00: within it'

# --- within the budget: sent ---
out=$(B broadcast "Water off on Monday." --topic water)
is "a broadcast within the budget exits 0" "$?" "0"
check "its three messages are sent" wait_for 10 sent_on 3
out=$(B stats)
like "stats shows the spend today" "$out" 'Spend today \([0-9-]+\)'
like "at the channel's cost, against its budget" "$out" 'at  3 segments, 3.00 KES of a daily budget of 5.00'
is "the store counts the segments of the day" "$(sql "select segments from spend where channel = 'at'")" "3"

# --- past the budget: refused by the CLI ---
out=$(B broadcast "Water back on Tuesday." --topic water 2>&1)
is "a broadcast past the budget exits 1" "$?" "1"
like "with the figures" "$out" 'daily budget of channel at: spent 3.00 KES on [0-9-]+, 0.00 queued, this send 3.00, budget 5.00'
like "and the way out" "$out" '--force'
is "nothing was queued" "$(sql "select count(*) from messages where text like 'Water back%'")" "0"
out=$(B broadcast "Water back on Tuesday." --topic water --dry-run)
like "the dry run says it would pass it" "$out" 'budget 5.00: this send would pass it'

# --- past the budget: refused by the API, figures in the answer ---
body='{"text":"Water back on Tuesday.","topic":"water"}'
r=$(http POST /api/v1/broadcasts -H "$auth" -d "$body")
like "POST /api/v1/broadcasts past the budget is 409" "$r" '^409 '
like "with spent" "$r" '"spent": *3[,.}]'
like "with the cost of the send" "$r" '"cost": *3[,.}]'
like "with the budget" "$r" '"budget": *5[,.}]'
like "with the currency" "$r" '"currency": *"KES"'
like "with a message" "$r" '"error": *"the send would pass the daily budget of channel at'
r=$(http POST /api/v1/broadcasts -H "$auth" -d '{"text":"Water back on Tuesday.","topic":"water","dry_run":true}')
like "an API dry run shows the budgets" "$r" '"budgets": *\[\{.*"over": *true'
is "nothing was queued" "$(sql "select count(*) from messages where text like 'Water back%'")" "0"

# --- a staff member may not force it ---
printf 'staff password 2\n' | B user add wanjiru --role staff >/dev/null 2>&1
curl -s -m 10 -D "$T/h" -o /dev/null --data-urlencode name=wanjiru \
    --data-urlencode 'password=staff password 2' \
    "http://127.0.0.1:$PORT/console/login" 2>/dev/null
staff=$(tr -d '\r' <"$T/h" | sed -n 's/^Set-Cookie: baraza_session=\([^;]*\);.*/\1/Ip')
ck="Cookie: baraza_session=$staff"
csrf=$(http GET /api/v1/me -H "$ck" | sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p')
r=$(http POST /api/v1/broadcasts -H "$ck" -H "X-CSRF-Token: $csrf" -d "$body")
like "staff are refused past the budget too" "$r" '^409 '
r=$(http POST /api/v1/broadcasts -H "$ck" -H "X-CSRF-Token: $csrf" \
    -d '{"text":"Water back on Tuesday.","topic":"water","force":true}')
like "a staff member's force is 403" "$r" '^403 '
is "nothing was queued" "$(sql "select count(*) from messages where text like 'Water back%'")" "0"

# --- an admin forces it ---
r=$(http POST /api/v1/broadcasts -H "$auth" \
    -d '{"text":"Water back on Tuesday.","topic":"water","force":true}')
like "an admin's force is 202" "$r" '^202 '
check "the forced broadcast is sent" wait_for 10 sent_on 6
is "the audit log says it was forced" "$(sql "select count(*) from audit where action = 'broadcast.send' and detail like '%forced%'")" "1"
out=$(B broadcast "Meeting on Friday." --topic water --force)
is "--force on the CLI sends past the budget" "$?" "0"
check "and it is sent" wait_for 10 sent_on 9

# --- notify past the budget ---
cat >"$T/bills.csv" <<'CSV'
phone,name
0700000021,Amina
0700000022,Joseph
CSV
out=$(B notify "$T/bills.csv" --text 'Dear {name}, your bill is due.' 2>&1)
is "a notify run past the budget exits 1" "$?" "1"
like "with the figures" "$out" 'spent 9.00 KES on [0-9-]+, 0.00 queued, this send 2.00, budget 5.00'
is "nothing was queued" "$(sql "select count(*) from messages where text like 'Dear %'")" "0"
r=$(http POST '/api/v1/notify?text=Dear+%7Bname%7D%2C+your+bill+is+due.' -H "$auth" \
    -H 'Content-Type: text/csv' --data-binary "@$T/bills.csv")
like "POST /api/v1/notify past the budget is 409" "$r" '^409 .*"spent": *9[,.}]'
like "with the cost of the run" "$r" '"cost": *2[,.}]'
r=$(http POST '/api/v1/notify?text=Dear+%7Bname%7D%2C+your+bill+is+due.&force=1' \
    -H "$ck" -H "X-CSRF-Token: $csrf" -H 'Content-Type: text/csv' --data-binary "@$T/bills.csv")
like "a staff member's force=1 is 403" "$r" '^403 '
r=$(http POST '/api/v1/notify?text=Dear+%7Bname%7D%2C+your+bill+is+due.&preview=1' \
    -H "$auth" -H 'Content-Type: text/csv' --data-binary "@$T/bills.csv")
like "a preview shows the budgets" "$r" '"budgets": *\[\{.*"over": *true'
out=$(B notify "$T/bills.csv" --text 'Dear {name}, your bill is due.' --force)
is "notify --force sends past the budget" "$?" "0"
check "and it is sent" wait_for 10 sent_on 11

# --- replies are never held back ---
r=$(http POST /hooks/at/sms -H "$ATH" -d id=sp-1 -d from=0700000031 -d to=40404 -d text=HELLO)
like "an inbound message past the budget is taken" "$r" '^200'
check "its reply is sent all the same" wait_for 10 grep -q 'Hello from the council' "$T/fake.log"
check "and marked sent" wait_for 10 sent_on 12
check "and counted" wait_for 5 sql_is "select sum(segments) from spend where channel = 'at'" 12

# --- stats, metrics and the overview ---
like "stats shows the day's spend" "$(B stats)" 'at  12 segments, 12.00 KES of a daily budget of 5.00'
r=$(http GET /metrics)
like "/metrics has baraza_spend_total as a counter" "$r" '# TYPE baraza_spend_total counter'
like "of the money spent since the start" "$r" 'baraza_spend_total\{channel="at"\} 12\.000000'
r=$(http GET /api/v1/overview -H "$auth")
like "the overview is 200" "$r" '^200 '
like "it shows the currency" "$r" '"currency": *"KES"'
like "and the channel's spend today" "$r" '"segments_today": *12'
like "in money" "$r" '"spent_today": *12[,.}]'
like "with its budget" "$r" '"daily_budget": *5[,.}]'

# --- a channel without cost_per_segment: no budget holds, no money shown ---
stop_server
sed -i '/^cost_per_segment/d' "$T/baraza.conf"
start_server || exit 1
out=$(B broadcast "No cost known." --topic water --dry-run)
like "a dry run says the cost is not known" "$out" 'cost not known'
like "stats says so too" "$(B stats)" 'at  12 segments, cost not known'
done_testing
