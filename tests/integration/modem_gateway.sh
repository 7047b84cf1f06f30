#!/bin/sh
# The gateway with a GSM modem (Gammu's dummy phone in a folder): an SMS
# injected into the phone's inbox is stored, answered by the keyword flow
# through the modem, and deleted from the phone only after its commit; a
# worker killed with -9 is restarted and nothing is lost.
. "$SRCDIR/tests/integration/lib.sh"
: "${MODEM_HARNESS:?MODEM_HARNESS must name tests/modem_harness}"
plan 9

P="$T/phone"
mkdir -p "$P"
write_config "default_channel = modem1
[channel modem1]
type = gammu
model = dummy
connection = none
device = $P
poll_interval = 1s
rate = 100/s"
cat >"$T/flows/ping.flow" <<'FLOW'
flow ping
  on keyword PING
  say "PONG {rest}"
FLOW
start_server || exit 1
check "the modem comes up" wait_for 20 grep -q 'modem up channel=modem1' "$T/serve.log"

"$MODEM_HARNESS" inject "$P" +254700000001 "PING one"
outbox() { "$MODEM_HARNESS" dump "$P" 2 2>/dev/null; }
check "the reply goes out through the modem" wait_for 20 sh -c "'$MODEM_HARNESS' dump '$P' 2 | grep -q 'text=\"PONG one\"'"
is "the message is stored once" "$(sql "select count(*) from messages where direction='in' and text='PING one'")" "1"
check "and deleted from the phone after its commit" wait_for 10 sh -c "[ -z \"\$(ls '$P/sms/1')\" ]"
check "the reply is marked sent" wait_for 10 sh -c "[ \"\$(sqlite3 '$T/baraza.db' \"select state from messages where direction='out' and text='PONG one'\")\" = sent ]"

# kill -9 the worker: the supervisor restarts it, and a message that came
# meanwhile is answered once.
worker=$(pgrep -f 'modem-worker' | head -n 1)
check "the worker runs in its own process" [ -n "$worker" ]
kill -9 "$worker"
"$MODEM_HARNESS" inject "$P" +254700000002 "PING two"
check "a message after the worker's crash is answered" wait_for 30 sh -c "'$MODEM_HARNESS' dump '$P' 2 | grep -q 'text=\"PONG two\"'"
is "and stored once" "$(sql "select count(*) from messages where direction='in' and text='PING two'")" "1"
stop_server TERM
is "the gateway stops cleanly" "$?" 0
done_testing
