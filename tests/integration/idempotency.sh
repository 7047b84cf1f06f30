#!/bin/sh
# Idempotency-Key on the admin API's writes: a retried POST /api/v1/messages
# or /api/v1/broadcasts with the same key gets the first answer and queues
# nothing more, across a kill -9 and a restart; another body with the same
# key gets the first answer too (interfaces.md: "the same key within 24 h
# returns the first answer"), logged; a malformed key 400; a key older than 24 h is new again.
. "$SRCDIR/tests/integration/lib.sh"
plan 28

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = web
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
signing_key = test-signing-key
rate = 1000/s"
start_server || exit 1
auth="Authorization: Bearer test-token"
msgs() { sql "select count(*) from messages where direction = 'out'"; }

post() { # post PATH KEY BODY
	http POST "$1" -H "$auth" -H "Idempotency-Key: $2" -d "$3"
}

# --- messages ---
body='{"to":"0700000001","text":"Your water is back on."}'
r1=$(post /api/v1/messages k-msg-1 "$body")
like "the first POST is queued" "$r1" '^202 \{"id":[0-9]+\}$'
r2=$(post /api/v1/messages k-msg-1 "$body")
is "the retry gets the same answer" "$r2" "$r1"
is "one message is queued" "$(msgs)" "1"
check "the provider gets it" wait_for 10 sh -c "[ \$(grep -c 'Your water is back on' '$T/fake.log') -ge 1 ]"

r=$(post /api/v1/messages k-msg-1 '{"to":"0700000001","text":"Another text."}')
is "the same key with another body gets the first answer" "$r" "$r1"
is "and queues nothing" "$(msgs)" "1"
check "the reused key is logged" grep -q 'idempotency key reused with another body endpoint=messages' "$T/serve.log"
h=$(curl -s -m 10 -D - -o /dev/null -H "$auth" -H 'Idempotency-Key: k-msg-1' -d "$body" "http://127.0.0.1:$PORT/api/v1/messages" | tr -d '\r')
like "a replay says so in Idempotent-Replayed" "$h" 'Idempotent-Replayed: true'

r=$(post /api/v1/messages k-msg-2 "$body")
like "another key is another message" "$r" '^202 '
check "with another id" [ "$r" != "$r1" ]
is "two messages are queued" "$(msgs)" "2"

r=$(http POST /api/v1/messages -H "$auth" -d "$body")
like "without a key every POST queues" "$r" '^202 '
is "three messages are queued" "$(msgs)" "3"

long=$(printf 'k%0300d' 0)
r=$(post /api/v1/messages "$long" "$body")
like "a key of 301 characters is 400" "$r" '^400 .*Idempotency-Key'
r=$(http POST /api/v1/messages -H "$auth" -H "Idempotency-Key: a b" -d "$body")
like "a key with a space is 400" "$r" '^400 '
is "bad keys queue nothing" "$(msgs)" "3"

r=$(post /api/v1/messages k-bad '{"to":"x"}')
like "a refused body is 400" "$r" '^400 '
r=$(post /api/v1/messages k-bad "$body")
like "and its key stays free for a good request" "$r" '^202 '
is "four messages are queued" "$(msgs)" "4"

# --- broadcasts ---
sql "INSERT INTO contacts (id, phone, opted_out, created, updated) VALUES
 (21, '+254700000021', 0, 0, 0), (22, '+254700000022', 0, 0, 0);
 INSERT INTO subscriptions (contact_id, topic, created) VALUES
 (21, 'water', 0), (22, 'water', 0);"
bbody='{"text":"Boil water before drinking.","topic":"water"}'
b1=$(post /api/v1/broadcasts k-bc-1 "$bbody")
like "the broadcast is queued" "$b1" '^202 \{"id":[0-9]+,"recipients":2,"segments":1\}$'
b2=$(post /api/v1/broadcasts k-bc-1 "$bbody")
is "its retry gets the same answer" "$b2" "$b1"
is "one broadcast" "$(sql 'select count(*) from broadcasts')" "1"
r=$(post /api/v1/messages k-bc-1 "$body")
like "a key is scoped to its endpoint" "$r" '^202 '

# --- across a crash ---
stop_server KILL
start_server || exit 1
r3=$(post /api/v1/messages k-msg-1 "$body")
is "after kill -9 and a restart the retry gets the first answer" "$r3" "$r1"
b3=$(post /api/v1/broadcasts k-bc-1 "$bbody")
is "the broadcast's too" "$b3" "$b1"
is "nothing more is queued" "$(msgs)" "7"

# --- 24 hours later ---
sql "UPDATE idempotency SET created = created - 86400001 WHERE key = 'k-msg-1'"
r4=$(post /api/v1/messages k-msg-1 "$body")
like "a key older than 24 h is new again" "$r4" '^202 '
check "and gets a new id" [ "$r4" != "$r1" ]

stop_server
done_testing
