#!/bin/sh
# SMPP straight to an SMSC (type = smpp) against the fake SMSC
# (tests/fake_smsc.c, which decodes with libsmpp34, not with our codec):
# the bind; a keyword flow answered over SMPP; each deliver_sm answered
# only after its commit; a 3-part message each way (UDH); UCS-2 with an
# emoji; receipts to delivery reports; throttling backed off; the SMSC
# dropping every link in the middle of a 1,000-message send (each
# delivered once); SAR and message_payload; a refused bind; unbind at stop;
# the links, on their own thread, kept up while the store holds the loop.
. "$SRCDIR/tests/integration/lib.sh"
: "${FAKE_SMSC:?FAKE_SMSC must name tests/fake_smsc}"
command -v jq >/dev/null 2>&1 || { echo "1..0 # SKIP jq is missing"; exit 0; }
plan 51

SMSC_PID=
"$FAKE_SMSC" --port-file "$T/smsc.port" --control-port-file "$T/smsc.ctl" \
    --log "$T/smsc.jsonl" --system-id council --password pw 2>"$T/smsc.err" &
SMSC_PID=$!
trap 'kill -9 $SMSC_PID 2>/dev/null; wait $SMSC_PID 2>/dev/null; cleanup' EXIT
wait_for 10 test -s "$T/smsc.ctl" || { echo "Bail out! the fake SMSC did not start"; exit 1; }
SMSC_PORT=$(cat "$T/smsc.port")
CTL=$(cat "$T/smsc.ctl")

# smsc METHOD PATH [JSON]: the fake's control API; prints the body.
smsc() {
	if [ $# -ge 3 ]; then
		curl -s -m 10 -X "$1" -H 'Content-Type: application/json' \
		    -d "$3" "http://127.0.0.1:$CTL$2"
	else
		curl -s -m 10 -X "$1" "http://127.0.0.1:$CTL$2"
	fi
}
stat() { smsc GET /_stats | jq -r "$1"; }
# logged FILTER: the fake's log holds a line for which FILTER is true.
logged() { jq -c "select($1)" "$T/smsc.jsonl" 2>/dev/null | grep -q .; }
# out_state TEXT STATE: the outbound message TEXT is in STATE.
out_state() { [ "$(state_of "$1")" = "$2" ]; }
unacked() { [ "$(stat .deliver_sm_unacked)" = 0 ]; }
# submits TEXT-JQ-FILTER: submit_sm lines of the fake's log that match.
submits() { jq -c "select(.event == \"submit_sm\") | $1" "$T/smsc.jsonl" 2>/dev/null; }
state_of() { sql "select state from messages where direction = 'out' and text = '$1'"; }

smpp_config() {
	write_config "default_channel = smsc
[channel smsc]
type = smpp
host = 127.0.0.1
port = $SMSC_PORT
system_id = council
password = ${1:-pw}
source_addr = 40404
source_ton = 3
enquire_link = 2s
rate = ${2:-200/s}
long = ${3:-udh}"
}
mkdir -p "$T/flows"
cat >"$T/flows/ping.flow" <<'FLOW'
flow ping
  on keyword PING
  say "PONG {rest}"
FLOW

smpp_config
start_server || exit 1
check "the gateway binds as a transceiver" wait_for 10 grep -q 'bound channel=smsc as=transceiver' "$T/serve.log"
is "the fake saw one transceiver bind" "$(stat .binds.transceiver)" "1"
like "/metrics shows the link bound" "$(http GET /metrics)" 'baraza_smpp_links_bound\{channel="smsc"\} 1'
is "the links run on a thread of their own (baraza-smpp)" \
    "$(cat /proc/"$SERVE_PID"/task/*/comm | grep -c '^baraza-smpp$')" 1

# 1. A keyword over SMPP: stored once, answered by submit_sm, acked after commit.
r=$(smsc POST /_mo '{"from":"+254700000001","to":"40404","text":"PING one"}')
like "the fake sends the MO" "$r" '"seqs"'
check "the reply goes out as a submit_sm" wait_for 10 logged '.event == "submit_sm" and .text == "PONG one"'
is "to the sender, international" "$(submits 'select(.text == "PONG one") | [.destination_addr, .dest_ton, .source_addr, .source_ton, .data_coding, .registered_delivery] | map(tostring) | join(",")' | tr -d '"')" "254700000001,1,40404,3,0,1"
is "the MO is stored once, with its +" "$(sql "select count(*) || ' ' || min(phone) from messages where direction = 'in' and text = 'PING one'")" "1 +254700000001"
check "every deliver_sm is answered (after the commit)" wait_for 10 unacked
is "with ESME_ROK" "$(stat '.deliver_sm_resp["0x00000000"]')" "1"
check "the reply is sent, with the SMSC's id" wait_for 10 out_state 'PONG one' sent
pid=$(sql "select provider_id from messages where direction = 'out' and text = 'PONG one'")
is "provider_id is the submit_sm_resp's message_id" "$pid" "$(submits 'select(.text == "PONG one") | .id' | tr -d '"')"

# 2. Receipts become delivery reports.
smsc POST /_receipt "{\"id\":\"$pid\",\"stat\":\"DELIVRD\"}" >/dev/null
check "a DELIVRD receipt marks it delivered" wait_for 10 out_state 'PONG one' delivered
smsc POST /_mo '{"from":"+254700000002","to":"40404","text":"PING two"}' >/dev/null
wait_for 10 out_state 'PONG two' sent
pid2=$(sql "select provider_id from messages where direction = 'out' and text = 'PONG two'")
smsc POST /_receipt "{\"id\":\"$pid2\",\"stat\":\"UNDELIV\",\"err\":\"001\",\"tlvs\":false}" >/dev/null
check "an UNDELIV receipt (text only) marks it failed" wait_for 10 out_state 'PONG two' failed
like "with the SMSC's words as its error" "$(sql "select error from messages where direction = 'out' and text = 'PONG two'")" 'UNDELIV'
check "receipts are answered too" wait_for 10 unacked

# 3. Three parts each way (UDH): joined in, split out.
long=$(printf 'x%.0s' $(seq 1 400))
smsc POST /_mo "{\"from\":\"+254700000003\",\"to\":\"40404\",\"text\":\"PING $long\",\"parts\":\"udh\"}" >/dev/null
check "a 3-part MO is stored joined" wait_for 10 sql_is "select count(*) from messages where direction = 'in' and text = 'PING $long'" 1
check "the 3-part reply is joined by the SMSC" wait_for 10 logged ".event == \"joined\" and .joined == \"PONG $long\" and .parts == 3"
is "its parts carry a UDH" "$(submits 'select(.udh != null and .udh.total == 3) | .udh.part' | sort | tr '\n' ' ')" "1 2 3 "
check "all parts' deliver_sm answered" wait_for 10 unacked

# 4. UCS-2 with an emoji beyond the BMP, both ways.
smsc POST /_mo '{"from":"+254700000004","to":"40404","text":"PING habari 😀","coding":"ucs2"}' >/dev/null
check "a UCS-2 MO with an emoji is stored as UTF-8" wait_for 10 sql_is "select count(*) from messages where direction = 'in' and text = 'PING habari 😀'" 1
check "and answered in UCS-2" wait_for 10 logged '.event == "submit_sm" and .text == "PONG habari 😀" and .data_coding == 8'

# 5. Throttling: the parts go again after a pause, each message once.
smsc POST /_control '{"mode":"throttle","count":3}' >/dev/null
smsc POST /_mo '{"from":"+254700000005","to":"40404","text":"PING slow"}' >/dev/null
check "a throttled reply is sent in the end" wait_for 20 out_state 'PONG slow' sent
is "after three ESME_RTHROTTLED" "$(stat '.submit_resp["0x00000058"]')" "3"
is "accepted once" "$(submits 'select(.text == "PONG slow" and .status == 0) | .id' | wc -l | tr -d ' ')" "1"
like "the log says it paused" "$(grep 'throttled' "$T/serve.log" | head -1)" 'ESME_RTHROTTLED'

# 6. A refusal fails the message with the status's name.
smsc POST /_control '{"mode":"fail","count":1,"status":11}' >/dev/null
smsc POST /_mo '{"from":"+254700000006","to":"40404","text":"PING nope"}' >/dev/null
check "a refused submit_sm fails the message" wait_for 10 out_state 'PONG nope' failed
like "with the status named" "$(sql "select error from messages where direction = 'out' and text = 'PONG nope'")" 'ESME_RINVDSTADR'

# 7. The SMSC restarts in the middle of a 1,000-message send.
now=$(($(date +%s) * 1000))
sql "with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000)
     insert into messages (direction, channel, kind, phone, text, state, segments, next_attempt, created, updated)
     select 'out', 'smsc', 'sms', '+2547' || (10000000 + i), 'Batch ' || i, 'queued', 1, $now, $now, $now from n;"
wait_for 30 sh -c "[ \"\$(jq -c 'select(.event == \"submit_sm\" and (.text | startswith(\"Batch \")))' '$T/smsc.jsonl' | wc -l)\" -ge 200 ]"
r=$(smsc POST /_drop)
like "the SMSC drops its links mid-send" "$r" '"dropped": *1'
check "the gateway binds again" wait_for 20 sh -c "[ \"\$(grep -c 'bound channel=smsc' '$T/serve.log')\" -ge 2 ]"
check "all 1,000 are sent" wait_for 60 sql_is "select count(*) from messages where text like 'Batch %' and state = 'sent'" 1000
is "each accepted by the SMSC" "$(submits 'select(.status == 0 and (.text | startswith("Batch "))) | .text' | sort -u | wc -l | tr -d ' ')" "1000"
# The drop closes with unread input, so the SMSC's kernel resets the
# connection and the gateway's discards answers it had not read yet: a
# submit whose answer was cut off so is unknown to the gateway and goes
# again, as SMPP requires. Only such a submit may be accepted twice: its
# first acceptance among the last `window` (10) of a connection the drop
# closed. Every other message is accepted exactly once.
is "accepted twice only if the drop cut its answer off" "$(jq -s -r '
	[.[] | select(.event == "close") | .conn] as $closed
	| [.[] | select(.event == "submit_sm" and .status == 0 and ((.text // "") | startswith("Batch ")))] as $ok
	| ($ok | group_by(.text) | map(select(length > 1) | .[0])) as $twice
	| [$twice[] | . as $d
	   | ($ok | map(select(.conn == $d.conn and .seq > $d.seq)) | length) as $after
	   | select(($closed | index($d.conn)) == null or $after >= 10)] | length' "$T/smsc.jsonl")" "0"

# 8. Stop: unbind.
check "a stop is clean" stop_server
check "and unbinds first" wait_for 5 logged '.event == "unbind"'

# 9. SAR and message_payload for long messages.
smpp_config pw 200/s sar
start_server || exit 1
wait_for 10 sh -c "[ \"\$(grep -c 'bound channel=smsc' '$T/serve.log')\" -ge 1 ]"
smsc POST /_mo "{\"from\":\"+254700000007\",\"to\":\"40404\",\"text\":\"PING s$long\",\"parts\":\"sar\"}" >/dev/null
check "a SAR MO in parts is joined and answered in SAR parts" wait_for 10 logged ".event == \"joined\" and .joined == \"PONG s$long\""
is "which carry the sar TLVs and no UDH" "$(submits 'select(.sar != null and .sar.total == 3 and .udh == null) | .sar.part' | sort | tr '\n' ' ')" "1 2 3 "
stop_server
smpp_config pw 200/s payload
start_server || exit 1
wait_for 10 sh -c "[ \"\$(grep -c 'bound channel=smsc' '$T/serve.log')\" -ge 1 ]"
smsc POST /_mo "{\"from\":\"+254700000008\",\"to\":\"40404\",\"text\":\"PING p$long\"}" >/dev/null
check "long = payload sends one submit_sm with message_payload" wait_for 10 logged ".event == \"submit_sm\" and .message_payload_text == \"PONG p$long\" and .sm_length == 0"
stop_server

# 10. A transmitter and a receiver: MO on one link, the reply on the other.
smpp_config pw 200/s udh
printf 'bind = transmitter+receiver\n' >>"$T/baraza.conf"
start_server || exit 1
check "two links bind" wait_for 10 sh -c "grep -q 'bound channel=smsc as=transmitter' '$T/serve.log' && grep -q 'bound channel=smsc as=receiver' '$T/serve.log'"
like "/metrics counts both" "$(http GET /metrics)" 'baraza_smpp_links_bound\{channel="smsc"\} 2'
smsc POST /_mo '{"from":"+254700000009","to":"40404","text":"PING split"}' >/dev/null
check "the reply to an MO from the receiver leaves by the transmitter" wait_for 10 out_state 'PONG split' sent
rx=$(jq -r 'select(.event == "deliver_sm" and .source_addr == "254700000009") | .conn' "$T/smsc.jsonl" | tail -1)
tx=$(jq -r 'select(.event == "submit_sm" and .text == "PONG split") | .conn' "$T/smsc.jsonl" | head -1)
check "on another connection" test -n "$rx" -a -n "$tx" -a "$rx" != "$tx"
stop_server

# 11. A wrong password: refused, logged, tried again later.
smpp_config wrong
start_server || exit 1
check "a refused bind is logged with the status" wait_for 10 grep -q 'reason="bind refused: ESME_RINVPASWD"' "$T/serve.log"
check "and the gateway keeps serving" kill -0 "$SERVE_PID"
check "a stop while the link retries is clean" stop_server

# 12. The link does not wait for the store. Another connection holds the
# messages table for 11 s; two API calls made meanwhile each hold the
# gateway's loop on the store (SQLite: its 5 s busy wait, then 503;
# PostgreSQL: until the lock goes, then 202). The link, on its own thread,
# keeps its enquire_link every 2 s of quiet all along.
hold_store() { # SECONDS
	if [ -n "$PG_SERVER" ]; then
		{ echo 'BEGIN; LOCK TABLE messages IN ACCESS EXCLUSIVE MODE;'
		  echo "SELECT 'locked';"; sleep "$1"; echo 'COMMIT;'; } |
		    psql -XAtq "$DB"
	else
		{ echo 'BEGIN EXCLUSIVE;'; echo "SELECT 'locked';"
		  sleep "$1"; echo 'COMMIT;'; } | sqlite3 "$T/baraza.db"
	fi
}
smpp_config
start_server || exit 1
wait_for 10 grep -q 'bound channel=smsc as=transceiver' "$T/serve.log"
hold_store 11 >"$T/held" &
held=$!
wait_for 5 grep -q locked "$T/held"
before=$(stat .enquire_links)
for i in 1 2; do
	curl -s -m 20 -o /dev/null -w '%{http_code}' -X POST \
	    -H "Authorization: Bearer test-token" \
	    -d "{\"to\":\"+25470000009$i\",\"text\":\"stalled $i\"}" \
	    "http://127.0.0.1:$PORT/api/v1/messages" >"$T/stalled.$i" &
done
wait_for 25 sh -c "[ -s '$T/stalled.1' ] && [ -s '$T/stalled.2' ]"
after=$(stat .enquire_links)
echo "# enquire_links while the loop waited on the store: $((after - before))"
# The first to reach the loop waits out SQLite's busy wait (503) or
# PostgreSQL's lock (202); the other waits behind it, and may meet the lock
# gone on a slow machine. Either call may be first: the codes are sorted.
if [ -n "$PG_SERVER" ]; then want="202 202"; else want="(202|503) 503"; fi
like "both API calls waited on the store" "$(sort "$T/stalled.1" "$T/stalled.2" | tr '\n' ' ' | sed 's/ $//')" "^$want\$"
check "the link kept its enquire_links meanwhile (3 or more)" test "$((after - before))" -ge 3
wait "$held"
check "and the gateway stops cleanly" stop_server

# A stop while a submit_sm waits for its answer: after SMSC_UNBIND_MS the
# link unbinds all the same (it used to close the connection without one),
# and the message goes back to the queue for the next start.
smsc POST /_reset >/dev/null
smsc POST /_control '{"resp_delay_ms": 20000}' >/dev/null
start_server || exit 1
wait_for 10 grep -q 'bound channel=smsc as=transceiver' "$T/serve.log"
held_id=$("$BARAZA" -c "$T/baraza.conf" send 0700000077 "Held at stop" 2>/dev/null)
wait_for 10 logged '.event == "submit_sm" and .text == "Held at stop"'
check "a stop with an answer still due ends cleanly" stop_server TERM 10
is "it unbound first" "$(stat .unbinds)" 1
is "the message waits in the queue for the next start" "$(sql "select state from messages where id=$held_id")" queued
smsc POST /_control '{"resp_delay_ms": 0}' >/dev/null
done_testing
