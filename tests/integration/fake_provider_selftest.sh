#!/bin/sh
# fake_provider_selftest.sh: checks the fake SMS provider (tests/fake_provider.c)
# that the integration tests and benchmarks drive the gateway against. Speaks
# TAP. Needs FAKE_PROVIDER (the built binary) and curl; touches only
# 127.0.0.1 and a temporary folder; every wait is bounded.
set -u

: "${FAKE_PROVIDER:?FAKE_PROVIDER must name the built fake_provider binary}"

T=$(mktemp -d "${TMPDIR:-/tmp}/fake-provider-test.XXXXXX")
tap_n=0
tap_failed=0
FP_PID=
FP2_PID=
FP3_PID=

cleanup() {
	for p in $FP_PID $FP2_PID $FP3_PID; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ "$tap_failed" -eq 0 ]; then
		rm -rf "$T"
	else
		echo "# test folder kept: $T"
	fi
}
trap cleanup EXIT

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
}

# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   got:  %s\n#   want: %s\n' "$2" "$3" | head -20
	fi
}

# has DESCRIPTION TEXT FIXED-STRING...: ok when TEXT contains every string.
has() {
	d=$1
	text=$2
	shift 2
	for s in "$@"; do
		if ! printf '%s' "$text" | grep -Fq -- "$s"; then
			not_ok "$d"
			printf '#   got:  %s\n#   missing: %s\n' "$text" "$s" |
			    head -20
			return
		fi
	done
	ok "$d"
}

# start_fake PORTFILE PIDVAR ARGS...: starts the fake, waits for its port.
start_fake() {
	pf=$1
	shift
	"$FAKE_PROVIDER" --port-file "$pf" "$@" 2>>"$T/stderr" &
	echo $! >"$pf.pid"
	i=0
	while [ ! -s "$pf" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# req ARGS...: curl with a bounded time; prints "STATUS BODY".
req() {
	curl -s -m 10 -w ' %{http_code}' "$@"
}

# ctl JSON: sets the mode.
ctl() {
	curl -s -m 10 -o /dev/null -w '%{http_code}' -d "$1" "$URL/_control"
}

# logline N: line N of the request log.
logline() {
	sed -n "$1p" "$T/requests.jsonl"
}

echo "1..50"

start_fake "$T/port" --log "$T/requests.jsonl"
FP_PID=$(cat "$T/port.pid")
PORT=$(cat "$T/port" 2>/dev/null)
if [ -n "$PORT" ] && [ "$PORT" -gt 0 ] 2>/dev/null; then
	ok "starts and writes its port file"
else
	not_ok "starts and writes its port file"
	exit 1
fi
URL="http://127.0.0.1:$PORT"

# Mode ok: every shape gets its success answer and one log line.
out=$(req -X POST -H 'apiKey: at-key' \
    -d 'username=sandbox&to=%2B254700000001&message=Habari&from=BARAZA' \
    "$URL/version1/messaging")
has "Africa's Talking: 201 with a successful recipient" "$out" \
    '"Message":"Sent to 1/1"' '"statusCode":101' \
    '"number":"+254700000001"' '"status":"Success"' \
    '"cost":"KES 0.8000"' '"messageId":"ATXid_' ' 201'
has "Africa's Talking: logged with apiKey and form" "$(logline 1)" \
    '"method":"POST"' '"path":"/version1/messaging"' \
    '"shape":"africastalking"' '"apiKey":"at-key"' \
    '"to":"+254700000001"' '"message":"Habari"' '"status":201' '"time_ms":'

out=$(req -u ACtest:secret \
    -d 'To=%2B15005550006&From=%2B15005550001&Body=Hello+there' \
    "$URL/2010-04-01/Accounts/ACtest/Messages.json")
has "Twilio: 201 queued with a sid" "$out" '{"sid":"SM' \
    '"status":"queued"' '"to":"+15005550006"' '"account_sid":"ACtest"' \
    ' 201'
has "Twilio: logged with basic auth and form" "$(logline 2)" \
    '"shape":"twilio"' '"Authorization":"Basic QUN0ZXN0OnNlY3JldA=="' \
    '"To":"+15005550006"' '"Body":"Hello there"'

out=$(req "$URL/cgi-bin/sendsms?username=u&password=p&from=BARAZA&to=%2B254700000002&text=Sawa&charset=UTF-8&coding=0&dlr-mask=31")
is "Kannel: 202 Accepted for delivery" "$out" "0: Accepted for delivery 202"
has "Kannel: logged with query and decoded params" "$(logline 3)" \
    '"method":"GET"' '"shape":"kannel"' '"query":"username=u&password=p' \
    '"to":"+254700000002"' '"text":"Sawa"' '"dlr-mask":"31"'

out=$(req -H 'Content-Type: application/json' -H 'X-Baraza-Signature: sig1' \
    -d '{"id":"m1","to":"+254700000003","text":"Jambo"}' "$URL/any/path")
is "generic: 200 {\"ok\":true}" "$out" '{"ok":true} 200'
has "generic: logged with signature and JSON params" "$(logline 4)" \
    '"shape":"http"' '"path":"/any/path"' '"X-Baraza-Signature":"sig1"' \
    '"params":{"id":"m1","to":"+254700000003","text":"Jambo"}'

# Mode reject.
is "control: mode reject accepted" "$(ctl '{"mode":"reject","count":2}')" 200
out=$(req -d 'username=s&to=%2B254700000009&message=x' "$URL/version1/messaging")
has "reject: Africa's Talking 2xx with statusCode 403" "$out" \
    '"statusCode":403' '"status":"InvalidPhoneNumber"' \
    '"Message":"Sent to 0/1"' ' 201'
out=$(req -d 'To=x&From=y&Body=z' "$URL/2010-04-01/Accounts/AC1/Messages.json")
has "reject: Twilio 400 with code 21211" "$out" '"code":21211' \
    "\"message\":\"Invalid 'To' Phone Number\"" ' 400'

# Mode 429 for two requests, then ok again.
is "control: mode 429 count 2 accepted" "$(ctl '{"mode":"429","count":2}')" 200
codes=""
for i in 1 2 3; do
	codes="$codes $(curl -s -m 10 -o /dev/null -w '%{http_code}' \
	    -H 'Content-Type: application/json' -d '{"to":"1"}' "$URL/send")"
done
is "429 twice, then 200" "$codes" " 429 429 200"

is "control: mode 500 count 1 accepted" "$(ctl '{"mode":"500","count":1}')" 200
out=$(req "$URL/cgi-bin/sendsms?to=1&text=x")
has "500 once" "$out" ' 500'

# Keep-alive: two requests in one curl invocation share a connection.
out=$(curl -s -m 10 -o /dev/null -o /dev/null -w '%{num_connects} ' \
    "$URL/cgi-bin/sendsms?to=1&text=a" "$URL/cgi-bin/sendsms?to=1&text=b")
is "keep-alive: the second request reuses the connection" "$out" "1 0 "

# Mode slow: the answer waits, and other requests are served meanwhile.
is "control: mode slow 300 ms accepted" \
    "$(ctl '{"mode":"slow","count":1,"delay_ms":300}')" 200
curl -s -m 10 -o "$T/slow.out" -w '%{http_code} %{time_total}' \
    -H 'Content-Type: application/json' -d '{"to":"1"}' "$URL/slow" \
    >"$T/slow.status" &
SLOW_PID=$!
pending=""
i=0
while [ $i -lt 50 ]; do
	pending=$(curl -s -m 10 "$URL/_stats")
	case $pending in *'"pending_slow":1'*) break ;; esac
	sleep 0.02
	i=$((i + 1))
done
has "slow: held while the server answers other requests" "$pending" \
    '"pending_slow":1'
wait $SLOW_PID
set -- $(cat "$T/slow.status")
is "slow: answered ok at last" "$1 $(cat "$T/slow.out")" '200 {"ok":true}'
if awk "BEGIN { exit !($2 >= 0.29) }"; then
	ok "slow: not answered before the delay ($2 s)"
else
	not_ok "slow: not answered before the delay ($2 s)"
fi

# Mode close: the connection is dropped without an answer.
is "control: mode close count 1 accepted" "$(ctl '{"mode":"close","count":1}')" 200
curl -s -m 10 -o /dev/null -d '{"to":"1"}' "$URL/close"
is "close: curl gets an empty reply (exit 52)" "$?" 52
out=$(req -H 'Content-Type: application/json' -d '{"to":"1"}' "$URL/after")
is "close: the next request is answered" "$out" '{"ok":true} 200'

# Control requests are answered but not logged; errors are clear.
out=$(curl -s -m 10 -w ' %{http_code}' -d '{"mode":"nope"}' "$URL/_control")
has "control: an unknown mode gets 400" "$out" '"error":' ' 400'
n=$(wc -l <"$T/requests.jsonl" | tr -d ' ')
is "log: one line per provider request, none for control" "$n" 15
stats=$(curl -s -m 10 "$URL/_stats")
has "stats: counts by path, answer and shape" "$stats" '"requests":15' \
    '"logged":15' '"/version1/messaging":2' '"429":2' '"close":1' \
    '"twilio":2' '"mode":"ok"'
curl -s -m 10 -o /dev/null -X POST "$URL/_reset"
has "reset: counters cleared" "$(curl -s -m 10 "$URL/_stats")" \
    '"requests":0' '"logged":0' '"by_path":{}'

# Infobip (JSON, Authorization: App KEY) and Vonage (a form): their own
# answers, their own rejections, and the other modes as for every shape.
lastline() { tail -n 1 "$T/requests.jsonl"; }
ibbody='{"messages":[{"destinations":[{"to":"254700000001"}],"from":"Baraza","text":"Habari","notifyUrl":"http://127.0.0.1:1/hooks/ib/status?secret=s","notifyContentType":"application/json"}]}'
ib() {
	req -H 'Authorization: App ib-key' -H 'Content-Type: application/json' \
	    -d "$ibbody" "$URL/sms/2/text/advanced"
}
vg() {
	req -d 'api_key=vg-key&api_secret=vg-secret&from=BARAZA&to=254700000002&text=Sawa+sawa&callback=http%3A%2F%2F127.0.0.1%3A1%2Fhooks%2Fvg%2Fstatus' \
	    "$URL/sms/json"
}
code() { echo "${1##* }"; }
out=$(ib)
has "Infobip: 200 with a PENDING message and a bulk id" "$out" \
    '"bulkId":"ib-bulk-' '"to":"254700000001"' '"messageId":"ib-' \
    '"groupId":1' '"groupName":"PENDING"' '"name":"PENDING_ACCEPTED"' ' 200'
has "Infobip: logged with App auth and the JSON body" "$(lastline)" \
    '"method":"POST"' '"path":"/sms/2/text/advanced"' '"shape":"infobip"' \
    '"Authorization":"App ib-key"' '"destinations":[{"to":"254700000001"}]' \
    '"text":"Habari"' \
    '"notifyUrl":"http://127.0.0.1:1/hooks/ib/status?secret=s"' '"status":200'
out=$(req -H 'Content-Type: application/json' \
    -d '{"messages":[{"destinations":[{"to":"2541"},{"to":"2542"}],"text":"x"}]}' \
    "$URL/sms/2/text/advanced")
is "Infobip: one entry with its own id per destination" \
    "$(printf '%s' "$out" | grep -o '"to":"254[12]","messageId":"ib-[0-9]*"' | sort -u | wc -l | tr -d ' ')" 2
out=$(vg)
has "Vonage: 200 with status 0 and a message-id" "$out" \
    '"message-count":"1"' '"to":"254700000002"' '"message-id":"vg-' \
    '"status":"0"' ' 200'
has "Vonage: logged with the form" "$(lastline)" '"path":"/sms/json"' \
    '"shape":"vonage"' '"api_key":"vg-key"' '"api_secret":"vg-secret"' \
    '"to":"254700000002"' '"text":"Sawa sawa"' \
    '"callback":"http://127.0.0.1:1/hooks/vg/status"' '"status":200'

is "control: mode reject count 2 accepted" "$(ctl '{"mode":"reject","count":2}')" 200
out=$(ib)
has "reject: Infobip 200 with the REJECTED group" "$out" '"groupId":5' \
    '"groupName":"REJECTED"' '"name":"REJECTED_DESTINATION"' \
    '"description":"Invalid destination address"' ' 200'
out=$(vg)
has "reject: Vonage 200 with status 29 and its error-text" "$out" \
    '"status":"29"' '"error-text":"Non White-listed Destination - rejected"' ' 200'
case $out in *message-id*) not_ok "reject: Vonage gives no message-id" ;;
*) ok "reject: Vonage gives no message-id" ;; esac

codes=""
ctl '{"mode":"429","count":1}' >/dev/null
codes="$codes $(code "$(ib)")"
ctl '{"mode":"500","count":1}' >/dev/null
codes="$codes $(code "$(vg)")"
ctl '{"mode":"400","count":1}' >/dev/null
codes="$codes $(code "$(ib)")"
codes="$codes $(code "$(vg)")"
is "modes: Infobip 429, Vonage 500, Infobip 400, then ok" "$codes" " 429 500 400 200"
ctl '{"mode":"close","count":1}' >/dev/null
curl -s -m 10 -o /dev/null -d 'to=1&text=x' "$URL/sms/json"
is "close: a Vonage request gets an empty reply (exit 52)" "$?" 52
ctl '{"mode":"slow","count":1,"delay_ms":100}' >/dev/null
has "slow: Infobip answered PENDING at last" "$(ib)" '"groupName":"PENDING"' ' 200'
has "slow: logged with the delay" "$(lastline)" '"shape":"infobip"' \
    '"mode":"slow"' '"delay_ms":100'
has "stats: counted by shape infobip and vonage" \
    "$(curl -s -m 10 "$URL/_stats")" '"infobip":6' '"vonage":5'

# SIGTERM: a clean exit.
kill -TERM "$FP_PID"
i=0
while kill -0 "$FP_PID" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
wait "$FP_PID"
is "SIGTERM: exits with status 0" "$?" 0
FP_PID=

# The log is bounded: --log-max 2 records two lines and counts the rest.
start_fake "$T/port2" --log "$T/small.jsonl" --log-max 2
FP2_PID=$(cat "$T/port2.pid")
URL="http://127.0.0.1:$(cat "$T/port2")"
for i in 1 2 3; do
	curl -s -m 10 -o /dev/null "$URL/cgi-bin/sendsms?to=1&text=$i"
done
n=$(wc -l <"$T/small.jsonl" | tr -d ' ')
stats=$(curl -s -m 10 "$URL/_stats")
is "log cap: stops recording at --log-max" "$n" 2
has "log cap: the dropped line is counted" "$stats" '"requests":3' \
    '"logged":2' '"log_dropped":1'

# --signing-key: JSON requests must carry X-Baraza-Signature: t=UNIX,sha256=HEX
# (HMAC-SHA256 of "UNIX.BODY"), within 300 s; others get 403.
start_fake "$T/port3" --log "$T/signed.jsonl" --signing-key k3y
FP3_PID=$(cat "$T/port3.pid")
URL="http://127.0.0.1:$(cat "$T/port3")"
body='{"id":5,"to":"+254700000001","text":"Habari"}'
mac() { printf '%s.%s' "$1" "$body" | openssl dgst -sha256 -hmac k3y | awk '{ print $NF }'; }
now=$(date +%s)
out=$(req -H 'Content-Type: application/json' -d "$body" "$URL/send")
has "signing key: an unsigned request is 403" "$out" '"signature":"missing"' ' 403'
out=$(req -H 'Content-Type: application/json' \
    -H "X-Baraza-Signature: t=$now,sha256=$(mac "$now")" -d "$body" "$URL/send")
has "signing key: a signed one is answered as the mode says" "$out" '"ok":true' ' 200'
old=$((now - 400))
out=$(req -H 'Content-Type: application/json' \
    -H "X-Baraza-Signature: t=$old,sha256=$(mac "$old")" -d "$body" "$URL/send")
has "signing key: one 400 s old is 403" "$out" '"signature":"stale"' ' 403'
out=$(req -H 'Content-Type: application/json' \
    -H "X-Baraza-Signature: sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac k3y | awk '{ print $NF }')" \
    -d "$body" "$URL/send")
has "signing key: the format without t is 403" "$out" '"signature":"malformed"' ' 403'
has "signing key: the log says what each signature was" "$(cat "$T/signed.jsonl")" \
    '"signature":"missing"' '"signature":"valid"' '"signature":"stale"' \
    '"signature":"malformed"'

[ "$tap_failed" -eq 0 ]
