#!/bin/sh
# An inbound SMS is written once: stored as handled, with its sender's
# contact, before its flow runs, in a savepoint of its own. What the
# outcome changes is checked here end to end: a number seen for the first
# time (its contact made by the flow), a number seen before, a provider's
# retry, a flow that waits on a fetch (the message kept as received
# meanwhile, then handled), and a flow that fails (kept, not answered
# twice). In every case the message comes before its reply in id order.
. "$SRCDIR/tests/integration/lib.sh"
plan 15

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = at
$(at_channel)"
cat >"$T/flows/t.flow" <<FLOW
flow ping
  on keyword PING
  say "PONG {rest}"

flow f
  on keyword F
  fetch r from "http://127.0.0.1:$FAKE_PORT/info/{rest}"
    failed "Down."
  say "Fetched ok={r.ok}"
FLOW
start_server || exit 1
sms() { # ID FROM TEXT: prints the status
	curl -s -m 10 -o /dev/null -w '%{http_code}' -d "id=$1" -d "from=$2" \
	    -d to=40404 --data-urlencode "text=$3" -d date=2026-11-29 \
	    "http://127.0.0.1:$PORT/hooks/at/sms?secret=$HOOK_SECRET"
}
A=+254700000301
B=+254700000302

is "a new number's SMS is taken" "$(sms i-1 $A 'PING one')" 200
is "it is handled, with the contact its flow made" \
    "$(sql "select m.state, m.contact_id = c.id from messages m join contacts c on c.phone = m.phone where m.provider_id = 'i-1'")" \
    "handled|1"
is "its reply is queued after it, to the same contact" \
    "$(sql "select count(*) from messages o, messages i where i.provider_id = 'i-1' and o.direction = 'out' and o.phone = '$A' and o.id > i.id and o.contact_id = i.contact_id and o.text = 'PONG one'")" 1

is "the number's next SMS is taken" "$(sms i-2 $A 'PING two')" 200
is "it is handled with the same contact" \
    "$(sql "select state, contact_id = (select id from contacts where phone = '$A') from messages where provider_id = 'i-2'")" \
    "handled|1"

is "a provider's retry is answered 200" "$(sms i-2 $A 'PING two')" 200
is "and is neither stored nor answered again" \
    "$(sql "select (select count(*) from messages where provider_id = 'i-2'), (select count(*) from messages where direction = 'out' and text = 'PONG two')")" \
    "1|1"

is "an SMS whose flow fetches is taken" "$(sms i-3 $B 'F x')" 200
check "the flow goes on with the fetch's answer" wait_for 10 \
    grep -q 'Fetched ok=true' "$T/fake.log"
check "the message is handled once the answer is in" wait_for 10 \
    sql_is "select state from messages where provider_id = 'i-3'" handled
is "with its contact, before its one reply" \
    "$(sql "select count(*) from messages o, messages i where i.provider_id = 'i-3' and i.contact_id is not null and o.direction = 'out' and o.phone = '$B' and o.id > i.id and o.contact_id = i.contact_id")" 1

# A fetch whose service fails: the flow's "failed" text is its answer.
fake_mode 500 1
is "an SMS whose fetch fails is taken" "$(sms i-4 $B 'F y')" 200
check "the flow's failure text is sent" wait_for 15 \
    grep -q '"Down\."' "$T/fake.log"
is "the message is handled" \
    "$(sql "select state from messages where provider_id = 'i-4'")" handled
is "every inbound message is stored once" \
    "$(sql "select count(*), count(distinct provider_id) from messages where direction = 'in'")" "4|4"
stop_server TERM
done_testing
