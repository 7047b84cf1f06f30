#!/bin/sh
# A provider's channel with a fallback (interfaces.md: "fallback = modem1:
# where this channel's queue goes while it is down"): failing every request
# for fallback_after, it is down and its queue goes to the fallback, each
# message sent there once; after fallback_after again one message tries it,
# and once one goes through it takes its own messages again.
. "$SRCDIR/tests/integration/lib.sh"
plan 15

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
# The primary's provider: a second fake, answering 500 until told otherwise.
"$FAKE_PROVIDER" --port-file "$T/primary.port" --log "$T/primary.log" \
    2>"$T/primary.err" &
PRIMARY_PID=$!
trap 'kill $PRIMARY_PID 2>/dev/null; _cleanup_fake; cleanup' EXIT
wait_for 5 test -s "$T/primary.port" || { echo "Bail out! no second fake"; exit 1; }
PRIMARY_PORT=$(cat "$T/primary.port")
fake_mode 500 "" "$PRIMARY_PORT" ||
    { echo "Bail out! the second fake took no mode"; exit 1; }
write_config "$(at_channel at "$PRIMARY_PORT")
fallback = web
fallback_after = 3s
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
signing_key = $SIGNING_KEY"
start_server || exit 1

id=$("$BARAZA" -c "$T/baraza.conf" send --channel at 0700000001 "First through the fallback" 2>/dev/null)
like "a message is queued on the failing channel" "$id" '^[0-9]+$'
check "after fallback_after of failures the channel is down" wait_for 30 grep -q 'channel down: only failures for [0-9]*s; its queue goes to web.*channel=at' "$T/serve.log"
check "the message goes out through the fallback" wait_for 15 sql_is "select channel, state from messages where id=$id" "web|sent"
is "the fallback's provider got it once" "$(fake_count 'First through the fallback')" 1
like "the failing provider was tried more than once first" "$(grep -c 'First through the fallback' "$T/primary.log")" '^[2-9]$'
# Its refusals are said, once a minute at most (not at each retry).
like "the provider's refusals are logged once, with the channel" \
    "$(grep 'provider refused for now, messages retried' "$T/serve.log")" \
    'WARN dispatch: provider refused for now, messages retried channel=at count=1 error="[^"]+"$'
id2=$("$BARAZA" -c "$T/baraza.conf" send --channel at 0700000002 "Second while down" 2>/dev/null)
check "a message queued while it is down goes to the fallback" wait_for 15 sql_is "select channel, state from messages where id=$id2" "web|sent"
is "without trying the channel that is down" "$(grep -c 'Second while down' "$T/primary.log")" 0

check "the primary's provider answers again" fake_mode ok "" "$PRIMARY_PORT"
check "after fallback_after the channel is tried again" wait_for 15 grep -q 'channel tried again channel=at' "$T/serve.log"
id3=$("$BARAZA" -c "$T/baraza.conf" send --channel at 0700000003 "Third on its own channel" 2>/dev/null)
check "a message then goes through the channel itself" wait_for 15 sql_is "select channel, state from messages where id=$id3" "at|sent"
check "which is up again" grep -q 'channel up again: a message went through channel=at' "$T/serve.log"
is "its provider got it once" "$(grep -c 'Third on its own channel' "$T/primary.log")" 1
is "and the fallback's provider not at all" "$(fake_count 'Third on its own channel')" 0
stop_server TERM
is "the gateway stops cleanly" "$?" 0
done_testing
