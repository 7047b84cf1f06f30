#!/bin/sh
# Infobip and Vonage end to end over real HTTP: `baraza serve` against the
# fake provider. An incoming SMS webhook answered by a keyword flow, the
# reply in each provider's own shape, its id kept, the delivery report that
# the reply's notifyUrl or callback names, webhooks refused without their
# secret or signature, and a rejection in the provider's answer.
. "$SRCDIR/tests/integration/lib.sh"
plan 72

IB_SECRET=ib-secret
VG_SECRET=vg-sig-secret
start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
api="http://127.0.0.1:$FAKE_PORT"
write_config "languages = en sw
[channel ib]
type = infobip
api_url = $api
api_key = ib-key
sender = Baraza
webhook_secret = $IB_SECRET
[channel vg]
type = vonage
api_url = $api
api_key = vg-key
api_secret = vg-secret
sender = 40404
signature_secret = $VG_SECRET
signature_method = sha256
multipart_timeout = 10s"
cp "$SRCDIR"/flows/examples/*.flow "$T/flows/"
"$BARAZA" -c "$T/baraza.conf" import bills "$SRCDIR/examples/bills.csv" --key account >/dev/null 2>&1
start_server || exit 1

# out_field CHANNEL FIELD: FIELD of the newest outbound message of CHANNEL.
out_field() {
	sql "select $2 from messages where direction='out' and channel='$1' order by id desc limit 1"
}

# out_state_is CHANNEL STATE: the newest outbound message has that state.
out_state_is() {
	[ "$(out_field "$1" state)" = "$2" ]
}

# json_get FIELD: the string FIELD of the "params" of a fake log line on
# stdin, found anywhere in it (the first one wins).
json_get() {
	sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" | head -n 1
}

# --- Infobip: JSON webhooks with ?secret=, JSON sends with App auth ---
ib_in() { # MESSAGEID TEXT
	printf '{"results":[{"messageId":"%s","from":"254700000021","to":"447491163443","text":"%s","cleanText":"1234567","keyword":"BAL","receivedAt":"2026-11-29T10:00:00.000+0000","smsCount":1,"price":{"pricePerMessage":0,"currency":"EUR"},"callbackData":null}],"messageCount":1,"pendingMessageCount":0}' "$1" "$2"
}
r=$(http POST "/hooks/ib/sms?secret=$IB_SECRET" -H 'Content-Type: application/json' -d "$(ib_in ib-in-1 'BAL 1234567')")
is "an Infobip SMS webhook with the secret answers 200" "$(echo "$r" | cut -c1-3)" "200"
is "it is stored as an incoming message from +254700000021" "$(sql "select phone from messages where direction='in' and channel='ib' and provider_id='ib-in-1'")" "+254700000021"
check "the balance reply reaches Infobip" wait_for 10 grep -q '"shape":"infobip".*Amina Odhiambo' "$T/fake.log"
line=$(grep '"shape":"infobip"' "$T/fake.log" | grep 'Amina Odhiambo' | head -n 1)
like "it is a POST to /sms/2/text/advanced" "$line" '"method":"POST","path":"/sms/2/text/advanced"'
like "it carries Authorization: App KEY" "$line" '"Authorization":"App ib-key"'
like "it goes to the destination without its +" "$line" '"destinations":\[\{"to":"254700000021"\}\]'
like "it comes from the channel's sender" "$line" '"from":"Baraza"'
like "its text is the flow's reply" "$line" '"text":"[^"]*Amina Odhiambo[^"]*1250'
notify=$(echo "$line" | json_get notifyUrl)
is "its notifyUrl is the channel's status webhook with the secret" "$notify" "http://127.0.0.1:$PORT/hooks/ib/status?secret=$IB_SECRET"
like "it asks for JSON reports" "$line" '"notifyContentType":"application/json"'
check "the reply is marked sent" wait_for 10 out_state_is ib sent
ibid=$(out_field ib provider_id)
like "with Infobip's messageId" "$ibid" '^ib-[0-9]+$'

r=$(http POST "/hooks/ib/sms?secret=$IB_SECRET" -H 'Content-Type: application/json' -d "$(ib_in ib-in-1 'BAL 1234567')")
is "a repeated Infobip webhook answers 200" "$(echo "$r" | cut -c1-3)" "200"
r=$(http POST /hooks/ib/sms -H 'Content-Type: application/json' -d "$(ib_in ib-in-2 'BAL 1234567')")
is "an Infobip webhook without the secret is 403" "$(echo "$r" | cut -c1-3)" "403"
r=$(http POST /hooks/ib/sms?secret=wrong -H 'Content-Type: application/json' -d "$(ib_in ib-in-3 'BAL 1234567')")
is "an Infobip webhook with a wrong secret is 403" "$(echo "$r" | cut -c1-3)" "403"
is "the refused webhooks store nothing" "$(sql "select count(*) from messages where provider_id in ('ib-in-2', 'ib-in-3')")" "0"
sleep 1
is "one reply went out, for the one accepted webhook" "$(grep '"shape":"infobip"' "$T/fake.log" | grep -c 'Amina Odhiambo')" "1"

# The delivery report, posted where notifyUrl says.
dlr="{\"results\":[{\"bulkId\":\"ib-bulk-1\",\"messageId\":\"$ibid\",\"to\":\"254700000021\",\"sentAt\":\"2026-11-29T10:00:01.000+0000\",\"doneAt\":\"2026-11-29T10:00:05.000+0000\",\"smsCount\":1,\"price\":{\"pricePerMessage\":0.01,\"currency\":\"EUR\"},\"status\":{\"groupId\":3,\"groupName\":\"DELIVERED\",\"id\":5,\"name\":\"DELIVERED_TO_HANDSET\",\"description\":\"Message delivered to handset\"},\"error\":{\"groupId\":0,\"groupName\":\"OK\",\"id\":0,\"name\":\"NO_ERROR\",\"description\":\"No Error\",\"permanent\":false}}]}"
r=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$dlr" "$notify")
is "the Infobip delivery report answers 200" "$r" "200"
is "it marks the reply delivered" "$(sql "select state from messages where channel='ib' and provider_id='$ibid'")" "delivered"

# Infobip batches: several results in one request, each one taken.
ib_entry() { # MESSAGEID FROM TEXT
	printf '{"messageId":"%s","from":"%s","to":"447491163443","text":"%s","receivedAt":"2026-11-29T10:00:00.000+0000","smsCount":1}' "$1" "$2" "$3"
}
batch="{\"results\":[$(ib_entry ib-in-10 254700000031 'BAL 1234567'),$(ib_entry ib-in-1 254700000021 'BAL 1234567'),$(ib_entry ib-in-11 254700000032 'BAL 1234567')],\"messageCount\":3}"
r=$(http POST "/hooks/ib/sms?secret=$IB_SECRET" -H 'Content-Type: application/json' -d "$batch")
is "an Infobip batch of three SMS answers 200" "$(echo "$r" | cut -c1-3)" "200"
is "its two new messages are stored, the one seen before is not again" "$(sql "select count(*) from messages where direction='in' and provider_id in ('ib-in-10','ib-in-11','ib-in-1')")" "3"
check "each new sender gets a reply" wait_for 10 sh -c "[ \$(grep '\"shape\":\"infobip\"' '$T/fake.log' | grep -c -e '25470000003[12]') -eq 2 ]"
check "both replies are sent" wait_for 10 sql_is "select count(*) from messages where channel='ib' and direction='out' and phone in ('+254700000031','+254700000032') and state='sent'" 2
id1=$(sql "select provider_id from messages where channel='ib' and direction='out' and phone='+254700000031'")
id2=$(sql "select provider_id from messages where channel='ib' and direction='out' and phone='+254700000032'")
rep() { # MESSAGEID GROUP
	printf '{"messageId":"%s","to":"254700000031","status":{"groupId":3,"groupName":"%s","id":5,"name":"X","description":"x"},"error":{"groupId":0,"groupName":"OK","id":0,"name":"NO_ERROR","description":"No Error","permanent":false}}' "$1" "$2"
}
r=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "{\"results\":[$(rep "$id1" DELIVERED),$(rep "$id2" UNDELIVERABLE)]}" "$notify")
is "a batch of two delivery reports answers 200" "$r" "200"
is "each report is applied" "$(sql "select group_concat(state, ',') from (select state from messages where provider_id in ('$id1','$id2') order by phone) as m")" "delivered,failed"
# Infobip writes every number international without its '+': a sender
# from abroad is not read as a local number.
r=$(http POST "/hooks/ib/sms?secret=$IB_SECRET" -H 'Content-Type: application/json' -d "{\"results\":[$(ib_entry ib-in-14 447700900123 'HELLO')]}")
is "an Infobip SMS from a UK number answers 200" "$(echo "$r" | cut -c1-3)" "200"
is "it is stored from +447700900123" "$(sql "select phone from messages where provider_id='ib-in-14'")" "+447700900123"
r=$(http POST "/hooks/ib/sms?secret=$IB_SECRET" -H 'Content-Type: application/json' -d "{\"results\":[$(ib_entry ib-in-12 254700000033 'BAL 1'),{\"messageId\":\"ib-in-13\"}]}")
like "a batch with a malformed entry is 400 naming it" "$r" '^400 results\[1\]: missing field'
is "and stores none of it" "$(sql "select count(*) from messages where provider_id in ('ib-in-12','ib-in-13')")" "0"

# --- Vonage: form webhooks signed with sig, form sends ---
# vg_sig SECRET NAME=VALUE...: the sha256 sig of the parameters: each
# "&name=value" in the order of the names, '&' and '=' in a value as '_',
# the HMAC-SHA256 keyed with SECRET, in hex (see providers/vonage.c).
vg_sig() {
	_vs_k=$1
	shift
	printf '%s\n' "$@" | LC_ALL=C sort -t= -k1,1 | while IFS= read -r _vs_kv; do
		printf '&%s=%s' "${_vs_kv%%=*}" "$(printf '%s' "${_vs_kv#*=}" | tr '&=' '__')"
	done | openssl dgst -sha256 -hmac "$_vs_k" | awk '{ print $NF }'
}
# vg_post SECRET PATH NAME=VALUE...: POST the form with timestamp (now) and
# sig under SECRET; prints "STATUS BODY" as http does.
vg_post() {
	_vp_k=$1
	_vp_p=$2
	shift 2
	_vp_t=$(date +%s)
	_vp_s=$(vg_sig "$_vp_k" "$@" "timestamp=$_vp_t")
	for _vp_kv in "$@"; do
		set -- "$@" --data-urlencode "$_vp_kv"
		shift
	done
	http POST "$_vp_p" "$@" -d "timestamp=$_vp_t" -d "sig=$_vp_s"
}
vg_in() { # SECRET MESSAGEID TEXT
	vg_post "$1" /hooks/vg/sms msisdn=254700000022 to=40404 "messageId=$2" \
	    "text=$3" type=text keyword=BAL api-key=vg-key \
	    "message-timestamp=2026-11-29 10:00:00"
}
r=$(vg_in "$VG_SECRET" 0A0000001234567B 'BAL 1234568')
is "a signed Vonage SMS webhook answers 200" "$(echo "$r" | cut -c1-3)" "200"
is "it is stored as an incoming message from +254700000022" "$(sql "select phone from messages where direction='in' and channel='vg' and provider_id='0A0000001234567B'")" "+254700000022"
check "the balance reply reaches Vonage" wait_for 10 grep -q '"shape":"vonage".*Joseph Kamau' "$T/fake.log"
line=$(grep '"shape":"vonage"' "$T/fake.log" | grep 'Joseph Kamau' | head -n 1)
like "it is a form POST to /sms/json" "$line" '"method":"POST","path":"/sms/json".*"Content-Type":"application/x-www-form-urlencoded'
like "it carries the api_key and api_secret" "$line" '"api_key":"vg-key","api_secret":"vg-secret"'
like "it goes to the number without its + from the sender" "$line" '"from":"40404","to":"254700000022"'
like "its text is the flow's reply" "$line" '"text":"[^"]*Joseph Kamau'
callback=$(echo "$line" | json_get callback)
is "its callback is the channel's status webhook" "$callback" "http://127.0.0.1:$PORT/hooks/vg/status"
check "the reply is marked sent" wait_for 10 out_state_is vg sent
vgid=$(out_field vg provider_id)
like "with Vonage's message-id" "$vgid" '^vg-[0-9]+$'

r=$(vg_in wrong-secret 0A0000001234567C 'BAL 1234568')
is "a Vonage webhook with a wrong sig is 403" "$(echo "$r" | cut -c1-3)" "403"
r=$(http POST /hooks/vg/sms -d msisdn=254700000022 -d to=40404 -d messageId=0A0000001234567D --data-urlencode 'text=BAL 1234568')
is "an unsigned Vonage webhook is 403" "$(echo "$r" | cut -c1-3)" "403"
is "the refused webhooks store nothing" "$(sql "select count(*) from messages where provider_id in ('0A0000001234567C', '0A0000001234567D')")" "0"
sleep 1
is "one reply went out, for the one signed webhook" "$(grep '"shape":"vonage"' "$T/fake.log" | grep -c 'Joseph Kamau')" "1"

# The delivery receipt, signed, posted where callback says; one with a
# wrong sig first, which changes nothing.
vg_dlr() { # SECRET STATUS
	vg_post "$1" "${callback#http://127.0.0.1:$PORT}" msisdn=254700000022 \
	    to=40404 network-code=63902 "messageId=$vgid" price=0.03330000 \
	    "status=$2" scts=2611291000 err-code=0 api-key=vg-key \
	    "message-timestamp=2026-11-29 10:00:05"
}
r=$(vg_dlr wrong-secret failed)
is "a Vonage receipt with a wrong sig is 403" "$(echo "$r" | cut -c1-3)" "403"
is "and leaves the reply sent" "$(sql "select state from messages where channel='vg' and provider_id='$vgid'")" "sent"
r=$(vg_dlr "$VG_SECRET" delivered)
is "the signed Vonage receipt answers 200" "$(echo "$r" | cut -c1-3)" "200"
is "it marks the reply delivered" "$(sql "select state from messages where channel='vg' and provider_id='$vgid'")" "delivered"

# --- Vonage's long messages arrive part by part and are joined ---
# vg_part MESSAGEID REF TOTAL SEQ TEXT [FROM]
vg_part() {
	vg_post "$VG_SECRET" /hooks/vg/sms "msisdn=${6:-254700000022}" to=40404 \
	    "messageId=$1" "text=$5" type=text api-key=vg-key \
	    "message-timestamp=2026-11-29 10:00:00" concat=true \
	    "concat-ref=$2" "concat-total=$3" "concat-part=$4"
}
kamau() { grep '"shape":"vonage"' "$T/fake.log" | grep -c 'Joseph Kamau'; }
replies=$(kamau)
r=$(vg_part 0B00000000000002 77 2 2 '234568')
is "a Vonage part (the second of two, first to come) answers 200" "$(echo "$r" | cut -c1-3)" "200"
is "it is kept as a part, not a message" \
    "$(sql "select (select count(*) from sms_parts where ref='77' and joined=0) || ' ' || (select count(*) from messages where provider_id like '0B%')")" "1 0"
r=$(vg_part 0B00000000000001 77 2 1 'BAL 1')
is "the part that completes the set answers 200" "$(echo "$r" | cut -c1-3)" "200"
is "the parts are one message, in order, under the first part's id" \
    "$(sql "select provider_id || ' ' || text from messages where direction='in' and provider_id like '0B%'")" "0B00000000000001 BAL 1234568"
is "the parts are marked joined, their texts forgotten" \
    "$(sql "select count(*) from sms_parts where ref='77' and joined=1 and text=''")" "2"
check "the joined message's reply reaches Vonage" wait_for 10 test "$(kamau)" -eq $((replies + 1))
r=$(vg_part 0B00000000000002 77 2 2 '234568')
is "a retry of a joined part answers 200" "$(echo "$r" | cut -c1-3)" "200"
sleep 1
is "and stores nothing, sends nothing" \
    "$(sql "select count(*) from messages where direction='in' and provider_id like '0B%'") $(kamau)" "1 $((replies + 1))"
# Phones reuse a reference: another long message under 77 is a new set.
r=$(vg_part 0D00000000000001 77 2 1 'BAL 12')
is "a new message's part under a reference used before answers 200" "$(echo "$r" | cut -c1-3)" "200"
r=$(vg_part 0D00000000000002 77 2 2 '34568')
is "and is joined as a message of its own" \
    "$(sql "select provider_id || ' ' || text from messages where direction='in' and provider_id like '0D%'")" "0D00000000000001 BAL 1234568"
# A new part numbered as one waiting: the waiting set goes as it is.
r=$(vg_part 0E00000000000001 79 3 1 'HELP me')
r=$(vg_part 0F00000000000001 79 2 1 'HELP')
is "a part numbered as one waiting under its reference answers 200" "$(echo "$r" | cut -c1-3)" "200"
is "the set waiting is handed over as it is; the new part waits" \
    "$(sql "select (select text from messages where provider_id='0E00000000000001') || '|' || (select count(*) from sms_parts where provider_id='0F00000000000001' and joined=0)")" "HELP me|1"
# A part of another number of parts under a reference waiting: the same.
r=$(vg_part 0G00000000000001 80 3 1 'HELP one')
r=$(vg_part 0H00000000000002 80 2 2 'two')
is "a part of another total hands the set waiting over as it is" \
    "$(sql "select (select text from messages where provider_id='0G00000000000001') || '|' || (select count(*) from sms_parts where provider_id='0H00000000000002' and joined=0)")" "HELP one|1"
# A set whose second part never comes is handed over after multipart_timeout.
r=$(vg_part 0C00000000000001 78 2 1 'BAL 1234568' 254700000023)
is "the first of two parts answers 200" "$(echo "$r" | cut -c1-3)" "200"
handed() { [ "$(sql "select text from messages where direction='in' and provider_id='0C00000000000001'")" = "BAL 1234568" ]; }
check "it is handed over alone once multipart_timeout (10 s) ran out" wait_for 25 handed
check "with a log line saying so" grep -q 'handed over without all its parts channel=vg from=+254\*\*\*\*\*\*\*23 parts=1 of 2' "$T/serve.log"
like "/metrics counts the sets joined whole and handed over" \
    "$(curl -s -m 10 "http://127.0.0.1:$PORT/metrics" | grep '^baraza_sms_parts_joined_total' | tr '\n' ' ')" \
    'result="whole"} 2 .*result="partial"} [3-5] '
r=$(vg_part 0C00000000000002 78 2 2 ' again' 254700000023)
is "the part that comes after its set was handed over answers 200" "$(echo "$r" | cut -c1-3)" "200"
is "and waits in turn (kept, not lost)" \
    "$(sql "select count(*) from sms_parts where provider_id='0C00000000000002' and joined=0")" "1"

# --- Rejections in the provider's answer fail the message with its reason ---
reject_one() { # CHANNEL TEXT: prints the new message's id
	fake_mode reject 1
	http POST /api/v1/messages -H "Authorization: Bearer test-token" \
	    -d "{\"to\":\"0700000031\",\"text\":\"$2\",\"channel\":\"$1\"}" |
	    sed -n 's/^202 .*"id": *\([0-9]*\).*/\1/p'
}
failed_is() { [ "$(sql "select state from messages where id=$1")" = failed ]; }
id=$(reject_one ib 'Infobip rejects this one.')
check "an Infobip REJECTED answer fails the message" wait_for 10 failed_is "${id:-0}"
is "with Infobip's status name and description" "$(sql "select error from messages where id=${id:-0}")" "REJECTED_DESTINATION: Invalid destination address"
id=$(reject_one vg 'Vonage rejects this one.')
check "a Vonage non-zero status fails the message" wait_for 10 failed_is "${id:-0}"
is "with Vonage's status and error-text" "$(sql "select error from messages where id=${id:-0}")" "status 29: Non White-listed Destination - rejected"
is "neither rejection is sent again" "$(grep -c 'rejects this one' "$T/fake.log")" "2"

stop_server TERM
is "the gateway stops cleanly" "$?" 0
done_testing
