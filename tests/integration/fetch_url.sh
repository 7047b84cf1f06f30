#!/bin/sh
# A resident cannot steer `fetch`: `baraza check` refuses a URL whose host
# comes from a placeholder, and on the wire every value is percent-encoded
# ("." and ".." too) and the path goes out as built.
. "$SRCDIR/tests/integration/lib.sh"
plan 14

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = at
$(at_channel)"

# The checker: a placeholder in the host is an error with its position.
cat >"$T/flows/t.flow" <<'FLOW'
flow steer
  on keyword S
  fetch r from "https://{rest}.example.org/x"
FLOW
"$BARAZA" -c "$T/baraza.conf" check >"$T/out" 2>&1
is "check exits 1 on a placeholder in the fetch host" "$?" 1
like "check names FILE:LINE:COL" "$(cat "$T/out")" \
    't\.flow:3:25: error: placeholder .\{rest\}. in the host or port of the fetch URL'

cat >"$T/flows/t.flow" <<FLOW
flow f
  on keyword F
  fetch r from "http://127.0.0.1:$FAKE_PORT/base/../api/{rest}/info?q={rest}"
    failed "Down."
  say "Fetched ok={r.ok}"
FLOW
# Nine fetches in one turn: the ninth is a run-time failure at its line
# (flows.md: error_text, the session ends, the log names file and line).
{
	printf 'flow nine\n  on keyword NINE\n  on ussd *909#\n'
	for i in 1 2 3 4 5 6 7 8 9; do
		printf '  fetch r%s from "http://127.0.0.1:%s/n%s"\n    failed "F%s"\n' $i "$FAKE_PORT" $i $i
	done
	printf '  say "all nine"\n'
} >"$T/flows/nine.flow"
"$BARAZA" -c "$T/baraza.conf" check >"$T/out" 2>&1
is "a literal host with placeholders after it checks clean" "$?" 0
# (eight fetches on one kept connection: simulate waited for ever once
# an answer came within a timer callback; bounded here by timeout)
out=$(echo NINE | timeout 60 "$BARAZA" -c "$T/baraza.conf" simulate --sms --phone 0700000209 2>&1)
like "simulate: a ninth fetch in a turn answers error_text" "$out" 'Sorry, something went wrong'
like "and the log names the flow's file and line" "$out" 'error=".*nine\.flow:20: more than 8 fetches in one turn"'
start_server || exit 1
sms() { # ID FROM TEXT: prints the status
	curl -s -m 10 -o /dev/null -w '%{http_code}' -d "id=$1" -d "from=$2" \
	    -d to=40404 --data-urlencode "text=$3" -d date=2026-11-29 \
	    "http://127.0.0.1:$PORT/hooks/at/sms?secret=$HOOK_SECRET"
}

is "an SMS with '..' is taken" "$(sms f-1 +254700000201 'F ..')" "200"
check "the fetch reaches the service" wait_for 10 grep -q '"path":"/base/../api/' "$T/fake.log"
like "'..' stays one encoded segment, the template's own path is sent as built" \
    "$(grep '"path":"/base/' "$T/fake.log" | head -n 1)" \
    '"path":"/base/\.\./api/%2E%2E/info","query":"q=%2E%2E"'
check "the flow goes on with the answer" wait_for 10 grep -q 'Fetched ok=true' "$T/fake.log"

sms f-2 +254700000202 'F a/b?c#d é' >/dev/null
check "a second fetch goes out" wait_for 10 sh -c \
    "[ \$(grep -c '\"path\":\"/base/' '$T/fake.log') -eq 2 ]"
like "'/', '?', '#', space and UTF-8 are encoded" \
    "$(grep '"path":"/base/' "$T/fake.log" | sed -n 2p)" \
    '"path":"/base/\.\./api/a%2Fb%3Fc%23d%20%C3%A9/info"'
sms f-9 +254700000209 'NINE' >/dev/null
check "served: the SMS gets error_text" wait_for 10 sh -c "grep '+254700000209' '$T/fake.log' | grep -q 'something went wrong'"
like "served: the log names the file and line" "$(grep 'more than 8 fetches' "$T/serve.log" | head -n 1)" 'nine\.flow:20: more than 8 fetches in one turn'
r=$(curl -s -m 10 -d sessionId=n9 -d 'serviceCode=*909#' -d phoneNumber=+254700000210 -d text= \
    "http://127.0.0.1:$PORT/hooks/at/ussd?secret=$HOOK_SECRET")
like "served, USSD: the screen is error_text, ended" "$r" '^END Sorry, something went wrong'
stop_server TERM
done_testing
