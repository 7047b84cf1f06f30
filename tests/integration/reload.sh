#!/bin/sh
# Flow reloads: an edit in the flows folder or SIGHUP swaps every flow at
# once; a set with errors is refused whole and the old one keeps serving; a
# session waiting on a step that is gone ends politely.
. "$SRCDIR/tests/integration/lib.sh"
plan 15

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = web
error_text = \"Sorry, that conversation has ended. Please start again.\"
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
signing_key = $SIGNING_KEY"
cat >"$T/flows/ping.flow" <<'FLOW'
flow ping
  on keyword PING
  say "PONG one"

flow name
  on keyword NAME
  ask who "What is your name?"
  say "Hello {who}"
FLOW
start_server || exit 1
n=0
sms() {
	n=$((n + 1))
	hook_json /hooks/web/sms "{\"id\":\"r$n\",\"from\":\"+254700000001\",\"to\":\"1\",\"text\":\"$1\"}" >/dev/null
}
replies() { grep -c "$1" "$T/fake.log" 2>/dev/null || true; }

sms PING
check "the first set answers" wait_for 10 grep -q 'PONG one' "$T/fake.log"

# An edit of the folder reloads by itself.
sed -i 's/PONG one/PONG two/' "$T/flows/ping.flow"
check "an edit is picked up" wait_for 10 grep -q 'reloaded reason=change' "$T/serve.log"
sms PING
check "the new set answers" wait_for 10 grep -q 'PONG two' "$T/fake.log"

# A set with an error is refused whole; the old one keeps serving.
printf 'flow broken\n  on keyword BROKEN\n  goto nowhere\n' >"$T/flows/broken.flow"
check "a broken set is refused" wait_for 10 grep -q 'reload refused' "$T/serve.log"
like "the error names file and line" "$(grep 'broken.flow:3' "$T/serve.log" | head -n 1)" 'broken.flow:3:[0-9]+: error'
sms PING
check "the old set still answers" wait_for 10 sh -c "[ \$(grep -c 'PONG two' '$T/fake.log') -ge 2 ]"

# SIGHUP reloads on demand.
rm "$T/flows/broken.flow"
sleep 0.5
before=$(grep -c 'reloaded' "$T/serve.log")
kill -HUP "$SERVE_PID"
check "SIGHUP reloads" wait_for 10 sh -c "[ \$(grep -c 'reloaded' '$T/serve.log') -gt $before ]"
is "the gateway is still up" "$(http GET /healthz)" "200 ok"
is "an unchanged config says nothing" "$(grep -c 'the config changed' "$T/serve.log")" 0
# The config is read at start only: a change to it is said at SIGHUP.
printf '\n; edited\n' >>"$T/baraza.conf"
before=$(grep -c 'reloaded' "$T/serve.log")
kill -HUP "$SERVE_PID"
check "SIGHUP reloads again" wait_for 10 sh -c "[ \$(grep -c 'reloaded' '$T/serve.log') -gt $before ]"
like "and says the config changed, to be applied by a restart" "$(grep 'the config changed' "$T/serve.log")" \
    'WARN gateway: the config changed since the start: a reload takes the flows only, restart to apply it path='

# A session waiting on a step that the new set no longer has.
sms NAME
check "a session waits for the name" wait_for 10 grep -q 'What is your name' "$T/fake.log"
cat >"$T/flows/ping.flow" <<'FLOW'
flow ping
  on keyword PING
  say "PONG three"
FLOW
kill -HUP "$SERVE_PID"
sleep 0.5
sms Amina
check "the stale session ends politely" wait_for 10 grep -q 'that conversation has ended' "$T/fake.log"
is "and it is not answered as a name" "$(replies 'Hello Amina')" "0"
stop_server TERM
is "the gateway stops cleanly" "$?" 0
done_testing
