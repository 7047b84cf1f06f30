#!/bin/sh
# The gateway with a GSM modem (Gammu's dummy phone in a folder): an SMS
# injected into the phone's inbox is stored, answered by the keyword flow
# through the modem, and deleted from the phone only after its commit; a
# worker killed with -9 is restarted and nothing is lost. The modem's state
# is kept in the store (modem_state) for `baraza stats`: up and signal, the
# first balance answer soon after the modem comes up, and the restart.
. "$SRCDIR/tests/integration/lib.sh"
: "${MODEM_HARNESS:?MODEM_HARNESS must name tests/modem_harness}"
plan 35

P="$T/phone"
mkdir -p "$P"
write_config "default_channel = modem1
[channel modem1]
type = gammu
model = dummy
connection = none
device = $P
poll_interval = 1s
balance_ussd = *144#
balance_interval = 1m
balance_alert = 500
rate = 100/s"
cat >"$T/flows/ping.flow" <<'FLOW'
flow ping
  on keyword PING
  say "PONG {rest}"
FLOW
start_server || exit 1
check "the modem comes up" wait_for 20 grep -q 'modem up channel=modem1' "$T/serve.log"
state() { sql "select $1 from modem_state where channel = 'modem1'"; }
check "its state is kept: up, with the dummy phone's signal" \
    wait_for 10 sql_is "select up || ' ' || signal from modem_state where channel = 'modem1'" '1 42'
is "and its network" "$(state network)" "home"
r=$(http GET /metrics)
like "/metrics shows the modem up" "$r" 'baraza_modem_up\{channel="modem1"\} 1'
like "/metrics shows its signal" "$r" 'baraza_modem_signal_percent\{channel="modem1"\} 42'
like "/metrics counts no restart yet" "$r" 'baraza_modem_restarts_total\{channel="modem1"\} 0'
like "/metrics counts no failed send" "$r" 'baraza_modem_failures_total\{channel="modem1"\} 0'

"$MODEM_HARNESS" inject "$P" +254700000001 "PING one"
outbox() { "$MODEM_HARNESS" dump "$P" 2 2>/dev/null; }
check "the reply goes out through the modem" wait_for 20 sh -c "'$MODEM_HARNESS' dump '$P' 2 | grep -q 'text=\"PONG one\"'"
is "the message is stored once" "$(sql "select count(*) from messages where direction='in' and text='PING one'")" "1"
check "and deleted from the phone after its commit" wait_for 10 sh -c "[ -z \"\$(ls '$P/sms/1')\" ]"
check "the reply is marked sent" wait_for 10 sql_is "select state from messages where direction='out' and text='PONG one'" sent
# The network's delivery report, read from the phone like a message: the
# reply becomes delivered and the report leaves the phone after the commit.
ref=$(sql "select provider_id from messages where direction='out' and text='PONG one'")
like "the reply keeps the modem's message reference" "$ref" '^[0-9]+$'
"$MODEM_HARNESS" inject-report "$P" +254700000001 "$ref"
check "a delivery report from the modem marks it delivered" wait_for 20 sql_is "select state from messages where direction='out' and text='PONG one'" delivered
check "and the report is deleted from the phone" wait_for 10 sh -c "[ -z \"\$(ls '$P/sms/1')\" ]"
"$MODEM_HARNESS" inject-report "$P" +254700000001 250
check "a report for no message we sent is logged" wait_for 20 grep -q 'delivery report for no message we sent channel=modem1 reference=250' "$T/serve.log"
check "and deleted from the phone too" wait_for 10 sh -c "[ -z \"\$(ls '$P/sms/1')\" ]"

# The first balance check comes about 10 s after the modem came up, not a
# balance_interval later; the dummy phone answers "Reply for CODE".
check "the first balance answer is kept within 15 s of the modem coming up" \
    wait_for 15 sql_is "select balance from modem_state where channel = 'modem1'" 'Reply for *144#'
like "with its time" "$(state balance_at)" '^[0-9]{13}$'
# The answer holds no amount, only the code's digits: no warning (an
# amount below balance_alert logs one: test_modems balance_amount).
is "the code's digits in the answer are not read as a balance" "$(grep -c 'balance low' "$T/serve.log")" 0

"$BARAZA" -c "$T/baraza.conf" stats >"$T/stats" 2>&1
is "stats exits 0 while serve runs" "$?" 0
check "stats prints the modem line" grep -Eq '^  modem1  up  signal 42% \(home\)  as of [0-9-]+T' "$T/stats"
check "stats prints the balance and when" grep -Eq '^    balance "Reply for \*144#" at [0-9-]+T[0-9:]+Z$' "$T/stats"
check "stats prints no restart and no error yet" sh -c "grep -q '^    restarts 0, failed sends 0\$' '$T/stats' && grep -q '^    last error none\$' '$T/stats'"

# kill -9 the worker: the supervisor restarts it, and a message that came
# meanwhile is answered once.
worker=$(pgrep -P "$SERVE_PID" -f 'modem-worker' | head -n 1)
check "the worker runs in its own process" [ -n "$worker" ]
kill -9 "$worker"
"$MODEM_HARNESS" inject "$P" +254700000002 "PING two"
check "a message after the worker's crash is answered" wait_for 30 sh -c "'$MODEM_HARNESS' dump '$P' 2 | grep -q 'text=\"PONG two\"'"
is "and stored once" "$(sql "select count(*) from messages where direction='in' and text='PING two'")" "1"
is "the worker's death is kept as a restart" "$(state restarts)" "1"
like "with its reason as the last error" "$(state last_error)" '^modem worker died: '
is "the modem is up again" "$(state up)" "1"
r=$(http GET /metrics)
like "/metrics counts the restart" "$r" 'baraza_modem_restarts_total\{channel="modem1"\} 1'
"$BARAZA" -c "$T/baraza.conf" stats >"$T/stats" 2>&1
check "stats shows the restart" grep -q '^    restarts 1, failed sends 0$' "$T/stats"
check "and the last error" grep -q '^    last error modem worker died: ' "$T/stats"
stop_server TERM
is "the gateway stops cleanly" "$?" 0
is "a stopped gateway leaves its modem down in the store" "$(state up)" "0"
is "the counters are kept" "$(state restarts)" "1"
done_testing
