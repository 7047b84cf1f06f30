#!/bin/sh
# Closed by default (interfaces.md): a channel whose webhooks nothing
# authenticates is a config error unless it says allow_unsigned = yes;
# secrets come as ?secret= or X-Baraza-Secret; Twilio signatures are checked
# against the configured public_url only, never Host or X-Forwarded-*;
# X-Baraza-Signature carries its time and goes stale after 300 s; the
# gateway signs what it sends the same way; refusals are 403, logged once a
# minute per channel.
. "$SRCDIR/tests/integration/lib.sh"
plan 46

flows() {
	cat >"$T/flows/ping.flow" <<'FLOW'
flow ping
  on keyword PING
  say "PONG {rest}"
FLOW
}

# --- baraza check and serve on channels without authentication ---
write_config "[channel at]
type = africastalking
username = sandbox
api_key = k
api_url = http://127.0.0.1:9"
flows
line=$(grep -n '^\[channel at\]' "$T/baraza.conf" | cut -d: -f1)
out=$("$BARAZA" -c "$T/baraza.conf" check 2>&1)
is "check: a channel without webhook_secret is an error (exit 1)" "$?" "1"
like "the error names the file and the section's line" "$out" "baraza\\.conf:$line: error: \\[channel at\\] would take webhooks from anyone: set webhook_secret"
timeout 10 "$BARAZA" -c "$T/baraza.conf" serve >"$T/serve2.out" 2>&1
is "serve refuses the config (exit 2)" "$?" "2"
like "serve names the file and line" "$(cat "$T/serve2.out")" "baraza\\.conf:$line: error: .*webhook_secret"

echo "allow_unsigned = yes" >>"$T/baraza.conf"
wline=$(grep -n '^allow_unsigned' "$T/baraza.conf" | cut -d: -f1)
out=$("$BARAZA" -c "$T/baraza.conf" check 2>&1)
is "check: allow_unsigned = yes is no error (exit 0)" "$?" "0"
like "but a warning at its line" "$out" "baraza\\.conf:$wline: warning: \\[channel at\\] takes webhooks from anyone \\(allow_unsigned = yes\\)"
like "counted in the summary" "$out" "ok, 1 flow in 1 file, 1 warning"

write_config "[channel tw]
type = twilio
account_sid = AC1
auth_token = t
[channel web]
type = http
api_url = http://127.0.0.1:9/send
[channel kn]
type = kannel
username = u
password = p
api_url = http://127.0.0.1:9
[channel modem]
type = gammu
device = $T
connection = none
model = dummy"
out=$("$BARAZA" -c "$T/baraza.conf" check 2>&1)
is "check: twilio without public_url, http without signing_key, kannel without secret (exit 1)" "$?" "1"
like "twilio needs public_url" "$out" "baraza\\.conf:[0-9]+: error: \\[channel tw\\] .*set public_url"
like "http needs signing_key" "$out" "baraza\\.conf:[0-9]+: error: \\[channel web\\] .*set signing_key"
like "kannel needs webhook_secret" "$out" "baraza\\.conf:[0-9]+: error: \\[channel kn\\] .*set webhook_secret"
is "gammu takes no webhooks and needs nothing" "$(echo "$out" | grep -c 'channel modem')" "0"

# --- a running gateway ---
# The fake provider checks the signatures of what the http channel sends.
start_fake --signing-key "$SIGNING_KEY" || { echo "Bail out! the fake provider did not start"; exit 1; }
api="http://127.0.0.1:$FAKE_PORT"
# No [gateway] public_url: tw2 has none at all (allowed only unsigned).
write_config "default_channel = at
[channel at]
type = africastalking
username = sandbox
api_key = at-key
sender = 40404
api_url = $api
webhook_secret = $HOOK_SECRET
[channel tw]
type = twilio
account_sid = AC123
auth_token = tw-token
sender = +15005550006
api_url = $api
public_url = https://sms.example.org
[channel tw2]
type = twilio
account_sid = AC123
auth_token = tw-token
api_url = $api
allow_unsigned = yes
[channel web]
type = http
api_url = $api/send
signing_key = $SIGNING_KEY"
flows
start_server || exit 1
like "serve logs the channel that takes unauthenticated webhooks" \
    "$(grep 'unauthenticated' "$T/serve.log")" 'WARN gateway: channel takes unauthenticated webhooks .*channel=tw2 missing=public_url'

# Africa's Talking: a forged webhook (no secret) is refused, stored nowhere,
# answered never.
r=$(http POST /hooks/at/sms -d id=forged-1 -d from=0700000001 -d to=40404 -d 'text=PING forged')
is "a forged AT webhook without a secret is 403" "$(echo "$r" | cut -c1-3)" "403"
r=$(http POST '/hooks/at/sms?secret=wrong' -d id=forged-2 -d from=0700000001 -d to=40404 -d 'text=PING forged')
is "a wrong ?secret= is 403" "$(echo "$r" | cut -c1-3)" "403"
r=$(http POST /hooks/at/sms -H 'X-Baraza-Secret: wrong' -d id=forged-3 -d from=0700000001 -d to=40404 -d 'text=PING forged')
is "a wrong X-Baraza-Secret is 403" "$(echo "$r" | cut -c1-3)" "403"
r=$(http POST /hooks/at/ussd -d sessionId=f1 -d 'serviceCode=*384#' -d phoneNumber=+254700000001 -d text=)
is "a forged AT USSD step is 403" "$(echo "$r" | cut -c1-3)" "403"
r=$(http POST /hooks/at/status -d id=ATXid_1 -d status=Success)
is "a forged AT delivery report is 403" "$(echo "$r" | cut -c1-3)" "403"
is "nothing forged is stored" "$(sql "select count(*) from messages")" "0"

r=$(http POST /hooks/at/sms -H "X-Baraza-Secret: $HOOK_SECRET" -d id=at-1 -d from=0700000001 -d to=40404 -d 'text=PING header')
is "the secret as X-Baraza-Secret is accepted" "$(echo "$r" | cut -c1-3)" "200"
r=$(http POST "/hooks/at/sms?secret=$HOOK_SECRET" -d id=at-2 -d from=0700000001 -d to=40404 -d 'text=PING query')
is "the secret as ?secret= is accepted" "$(echo "$r" | cut -c1-3)" "200"
check "both are answered" wait_for 10 sh -c "grep -q 'PONG header' '$T/fake.log' && grep -q 'PONG query' '$T/fake.log'"
sleep 0.5
is "the forged one never was" "$(fake_count 'PONG forged')" "0"
is "only the two are stored" "$(sql "select group_concat(provider_id) from (select provider_id from messages where direction='in' order by id) as m")" "at-1,at-2"

# Refusals are logged once a minute per channel, not once per request.
i=0
while [ $i -lt 5 ]; do
	http POST /hooks/at/sms -d id=flood-$i -d from=0700000001 -d to=40404 -d 'text=PING flood' >/dev/null
	i=$((i + 1))
done
is "ten refusals on one channel make one log line" "$(grep -c 'webhooks refused channel=at ' "$T/serve.log")" "1"
like "the line says what was refused" "$(grep 'webhooks refused channel=at ' "$T/serve.log")" 'status=403 count=1 .*reason="wrong or missing secret"'

# --- Twilio: the signature URL is the configured public_url, never Host ---
tw_sig() { # URL then name=value pairs, already sorted by name
	url=$1
	shift
	s=$url
	for kv in "$@"; do s="$s${kv%%=*}${kv#*=}"; done
	printf '%s' "$s" | openssl dgst -sha1 -hmac tw-token -binary | base64
}
sig=$(tw_sig "https://evil.example.net/hooks/tw/sms" "Body=PING evil" "From=+254700000003" "MessageSid=SM1" "To=+15005550006")
r=$(http POST /hooks/tw/sms -H "X-Twilio-Signature: $sig" -H "Host: evil.example.net" -H "X-Forwarded-Proto: https" -H "X-Forwarded-Host: evil.example.net" --data-urlencode "Body=PING evil" --data-urlencode "From=+254700000003" -d MessageSid=SM1 --data-urlencode "To=+15005550006")
is "a Twilio signature for another host is refused despite Host/X-Forwarded-Host" "$(echo "$r" | cut -c1-3)" "403"
sig=$(tw_sig "http://evil.example.net/hooks/tw2/sms" "Body=PING evil" "From=+254700000003" "MessageSid=SM2" "To=+15005550006")
r=$(http POST /hooks/tw2/sms -H "X-Twilio-Signature: $sig" -H "Host: evil.example.net" --data-urlencode "Body=PING evil" --data-urlencode "From=+254700000003" -d MessageSid=SM2 --data-urlencode "To=+15005550006")
is "without public_url, a signature for the request's own Host is refused" "$(echo "$r" | cut -c1-3)" "403"
sig=$(tw_sig "https://evil.example.net/hooks/tw2/sms" "Body=PING evil" "From=+254700000003" "MessageSid=SM3" "To=+15005550006")
r=$(http POST /hooks/tw2/sms -H "X-Twilio-Signature: $sig" -H "X-Forwarded-Proto: https" -H "X-Forwarded-Host: evil.example.net" --data-urlencode "Body=PING evil" --data-urlencode "From=+254700000003" -d MessageSid=SM3 --data-urlencode "To=+15005550006")
is "nor for X-Forwarded-Proto/Host" "$(echo "$r" | cut -c1-3)" "403"
sig=$(tw_sig "https://sms.example.org/hooks/tw/sms" "Body=PING twilio" "From=+254700000003" "MessageSid=SM4" "To=+15005550006")
r=$(http POST /hooks/tw/sms -H "X-Twilio-Signature: $sig" -H "Host: evil.example.net" --data-urlencode "Body=PING twilio" --data-urlencode "From=+254700000003" -d MessageSid=SM4 --data-urlencode "To=+15005550006")
is "a signature for the configured public_url is accepted" "$(echo "$r" | cut -c1-3)" "200"
is "no evil one is stored" "$(sql "select count(*) from messages where text like '%evil%'")" "0"

# --- the generic http channel: X-Baraza-Signature carries its time ---
now=$(date +%s)
body='{"id":"w-old","from":"+254700000005","to":"40404","text":"PING old"}'
r=$(http POST /hooks/web/sms -H "Content-Type: application/json" -H "X-Baraza-Signature: $(baraza_sig "$body" $((now - 301)))" -d "$body")
is "a good signature 301 s old is 403" "$(echo "$r" | cut -c1-3)" "403"
like "it says why" "$r" 'too old'
# Ahead by more than the window even if the clock ticks a few seconds
# between here and the gateway's check (the boundary itself is unit-tested).
r=$(http POST /hooks/web/sms -H "Content-Type: application/json" -H "X-Baraza-Signature: $(baraza_sig "$body" $(($(date +%s) + 310)))" -d "$body")
is "one 310 s ahead is 403 too" "$(echo "$r" | cut -c1-3)" "403"
old=$(baraza_sig "$body" $((now - 3600)))
r=$(http POST /hooks/web/sms -H "Content-Type: application/json" -H "X-Baraza-Signature: t=$now,${old#*,}" -d "$body")
is "a replay: the old signature under a fresh t is 403" "$(echo "$r" | cut -c1-3)" "403"
mac=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$SIGNING_KEY" | awk '{ print $NF }')
r=$(http POST /hooks/web/sms -H "Content-Type: application/json" -H "X-Baraza-Signature: sha256=$mac" -d "$body")
is "the old format without t is 403" "$(echo "$r" | cut -c1-3)" "403"
is "none of them is stored" "$(sql "select count(*) from messages where provider_id='w-old'")" "0"
body='{"id":"w-new","from":"+254700000005","to":"40404","text":"PING fresh"}'
r=$(hook_json /hooks/web/sms "$body")
like "a fresh one is accepted" "$r" '^200 \{"id": ?[0-9]+\}'

# The gateway signs its own requests the same way (checked by the fake).
check "the reply reaches the provider" wait_for 10 grep -q 'PONG fresh' "$T/fake.log"
line=$(grep 'PONG fresh' "$T/fake.log" | head -n 1)
like "its X-Baraza-Signature is t=UNIX,sha256=HEX" "$line" '"X-Baraza-Signature":"t=[1-9][0-9]*,sha256=[0-9a-f]{64}"'
like "and valid for the provider" "$line" '"signature":"valid"'

# A form that does not parse, unsigned or with a signature nobody can
# check, is refused as unsigned (403), not answered as Twilio's malformed
# message (400): an outsider's garbage makes no log line each.
codes=
for i in 1 2 3 4 5 6; do
	codes="$codes$(curl -s -o /dev/null -w '%{http_code}' -m 5 \
	    $([ $((i % 2)) = 0 ] && echo "-H X-Twilio-Signature:xyz") \
	    -d 'a=%zz' "http://127.0.0.1:$PORT/hooks/tw/sms")"
done
is "six malformed Twilio webhooks, signed or not, are 403 each" "$codes" "403403403403403403"
is "and make no line of their own" "$(grep -c 'channel=tw .*status=400' "$T/serve.log")" "0"
like "the channel's one refusal line a minute counts them" "$(grep 'webhooks refused channel=tw ' "$T/serve.log" | head -n 1)" 'status=403'

# tw2 (allow_unsigned, no public_url) refused twice: one line, as tw's.
is "the Twilio refusals make one line per channel" "$(grep -Ec 'webhooks refused channel=tw2? ' "$T/serve.log")" "2"

stop_server TERM
is "the gateway stops cleanly" "$?" 0
done_testing
