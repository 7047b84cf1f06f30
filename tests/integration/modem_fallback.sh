#!/bin/sh
# A modem that does not come up: after the grace period its queue goes to
# the channel's fallback, and the message is sent there once. A modem that
# runs on another node (node =, several nodes on PostgreSQL) is left alone:
# no worker here, and its queue is neither sent nor moved.
. "$SRCDIR/tests/integration/lib.sh"
plan 8

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = modem1
node = here
[channel far]
type = gammu
model = dummy
connection = none
device = $T/far-phone
node = elsewhere
fallback = web
[channel modem1]
type = gammu
model = dummy
connection = none
device = $T/no-such-phone/inner
fallback = web
fallback_after = 2s
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
signing_key = $SIGNING_KEY"
start_server || exit 1
id=$("$BARAZA" -c "$T/baraza.conf" send 0700000001 "Via the fallback" 2>/dev/null)
like "a message is queued on the modem channel" "$id" '^[0-9]+$'
check "after fallback_after it goes out through the fallback" wait_for 30 grep -q 'Via the fallback' "$T/fake.log"
# The request may reach the provider before the claim's commit (dispatch
# sends at once): its row says so a moment later.
check "it is marked sent, on the fallback channel" wait_for 30 sql_is "select channel, state from messages where id=$id" "web|sent"
is "it was sent once" "$(fake_count 'Via the fallback')" 1
check "the modem of another node is not started here" grep -q 'channel runs on another node channel=far node=elsewhere' "$T/serve.log"
far=$("$BARAZA" -c "$T/baraza.conf" send --channel far 0700000002 "For the other node" 2>/dev/null)
like "a message is queued on it" "$far" '^[0-9]+$'
sleep 1
is "it waits for its node: not sent, not moved to the fallback" "$(sql "select channel, state from messages where id=$far")" "far|queued"
stop_server TERM
is "the gateway stops cleanly" "$?" 0
done_testing
