#!/bin/sh
# Moving a provider to a new secret without refusing its webhooks meanwhile
# (docs/operations.md, "Changing a channel's secret"): webhook_secret_previous
# and signing_key_previous are taken beside the new ones until removed; a
# webhook with neither is refused as before; what goes out carries the new
# one only; the old one is blanked in the channel log like any secret.
. "$SRCDIR/tests/integration/lib.sh"
plan 12

OLD_SECRET=old-hook-secret-0123456789
OLD_KEY=old-signing-key-0123456789
start_fake --signing-key "$SIGNING_KEY" || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "$(at_channel at)
webhook_secret_previous = $OLD_SECRET
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
signing_key = $SIGNING_KEY
signing_key_previous = $OLD_KEY"
cat >"$T/flows/ping.flow" <<'FLOW'
flow ping
  on keyword PING
  say "PONG {rest}"
FLOW
"$BARAZA" -c "$T/baraza.conf" check >"$T/check.out" 2>&1
is "check takes both keys" "$?" 0
start_server || exit 1

at_sms() { # SECRET ID
	http POST "/hooks/at/sms?secret=$1" -d "id=$2" -d from=+254700000011 \
	    -d to=40404 -d "text=PING $2"
}
like "Africa's Talking with the new secret: 200" "$(at_sms "$HOOK_SECRET" a1)" '^200'
like "with the previous one: 200" "$(at_sms "$OLD_SECRET" a2)" '^200'
like "with the previous one in the header: 200" \
    "$(http POST /hooks/at/sms -H "X-Baraza-Secret: $OLD_SECRET" -d id=a3 -d from=+254700000011 -d to=40404 -d 'text=PING a3')" '^200'
like "with another: 403" "$(at_sms wrong-secret-0123456789 a4)" '^403'

body='{"id":"w1","from":"+254700000012","to":"40404","text":"PING w1"}'
like "generic http signed with the new key: 200" \
    "$(http POST /hooks/web/sms -H 'Content-Type: application/json' -H "X-Baraza-Signature: $(baraza_sig "$body")" -d "$body")" '^200'
body='{"id":"w2","from":"+254700000012","to":"40404","text":"PING w2"}'
like "signed with the previous key: 200" \
    "$(http POST /hooks/web/sms -H 'Content-Type: application/json' -H "X-Baraza-Signature: $(baraza_sig "$body" "" "$OLD_KEY")" -d "$body")" '^200'
body='{"id":"w3","from":"+254700000012","to":"40404","text":"PING w3"}'
like "signed with another: 403" \
    "$(http POST /hooks/web/sms -H 'Content-Type: application/json' -H "X-Baraza-Signature: $(baraza_sig "$body" "" other-key-0123456789)" -d "$body")" '^403'

# The replies go out signed with the new key (the fake checks it).
check "the web replies reach the provider, signed with the new key" wait_for 15 sh -c "[ \$(grep 'PONG w' '$T/fake.log' | grep -c '\"signature\": *\"valid\"') -ge 2 ]"
is "no old secret in the gateway's log" "$(grep -c -e "$OLD_SECRET" -e "$OLD_KEY" "$T/serve.log")" 0
is "nor in the channel log" "$(sql "select count(*) from channel_log where request like '%$OLD_SECRET%' or answer like '%$OLD_SECRET%'")" 0
check "the gateway stops cleanly" stop_server
done_testing
