#!/bin/sh
# A modem that does not come up: after the grace period its queue goes to
# the channel's fallback, and the message is sent there once.
. "$SRCDIR/tests/integration/lib.sh"
plan 4

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = modem1
[channel modem1]
type = gammu
model = dummy
connection = none
device = $T/no-such-phone/inner
fallback = web
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
signing_key = $SIGNING_KEY"
start_server || exit 1
id=$("$BARAZA" -c "$T/baraza.conf" send 0700000001 "Via the fallback" 2>/dev/null)
like "a message is queued on the modem channel" "$id" '^[0-9]+$'
check "after the grace period it goes out through the fallback" wait_for 60 grep -q 'Via the fallback' "$T/fake.log"
is "it is sent once, on the fallback channel" "$(sql "select channel, state from messages where id=$id")" "web|sent"
stop_server TERM
is "the gateway stops cleanly" "$?" 0
done_testing
