#!/bin/sh
# A regex that backtracks without end cannot hold the loop: many SMS sent
# against `on match /^(a|aa)+$/` hit the match limit, count as no match
# (the default flow answers), are logged without their text, and /healthz
# keeps answering meanwhile.
. "$SRCDIR/tests/integration/lib.sh"
plan 10

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = at
sender_limit = 1000/min
$(at_channel)"
cat >"$T/flows/t.flow" <<'FLOW'
flow evil
  on match /^(a|aa)+$/
  say "Matched."

flow fallback
  on default
  say "Fallback."
FLOW
start_server || exit 1

# 48 'a' and a 'b': billions of ways to backtrack before the limit.
evil=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab
sms() { # ID FROM TEXT: prints the status
	curl -s -m 10 -o /dev/null -w '%{http_code}' -d "id=$1" -d "from=$2" \
	    -d to=40404 -d "text=$3" -d date=2026-11-29 \
	    "http://127.0.0.1:$PORT/hooks/at/sms?secret=$HOOK_SECRET"
}

# A text the pattern matches still matches.
is "a matching SMS is taken" "$(sms ok-1 +254700000100 aaaa)" "200"
check "and answered by the match flow" wait_for 10 grep -q 'Matched\.' "$T/fake.log"

# Many pathological SMS, in parallel batches, /healthz asked between them.
codes=
health=
b=1
while [ $b -le 5 ]; do
	k=1
	pids=
	while [ $k -le 5 ]; do
		# curl itself in the background: a subshell would run the
		# EXIT trap of lib.sh when it ends.
		curl -s -m 10 -o /dev/null -w '%{http_code}\n' -d "id=evil-$b-$k" \
		    -d "from=+25470010$b${k}00" -d to=40404 -d "text=$evil" \
		    -d date=2026-11-29 \
		    "http://127.0.0.1:$PORT/hooks/at/sms?secret=$HOOK_SECRET" \
		    >"$T/code.$b.$k" 2>/dev/null &
		pids="$pids $!"
		k=$((k + 1))
	done
	health="$health$(http GET /healthz | cut -c1-3) "
	for p in $pids; do wait "$p"; done
	codes="$codes$(cat "$T/code.$b".* | sort -u | tr '\n' ' ')"
	b=$((b + 1))
done
is "every webhook is acknowledged" "$codes" "200 200 200 200 200 "
is "/healthz answers all along" "$health" "200 200 200 200 200 "
is "/healthz answers after the flood" "$(http GET /healthz)" "200 ok"
check "each pathological SMS gets the default flow" wait_for 20 sh -c \
    "[ \$(grep -c 'Fallback\\.' '$T/fake.log') -eq 25 ]"
is "none of them matched" "$(grep -c 'Matched\.' "$T/fake.log")" "1"
warns=$(grep 'WARN flows: regex hit its match limit' "$T/serve.log")
like "the limit is logged with the flow file and line" "$warns" 't\.flow:2 '
check "the warning is rate-limited, not one per SMS" \
    [ "$(printf '%s\n' "$warns" | grep -c .)" -lt 25 ]
is "the warning never holds the text or the number" \
    "$(printf '%s\n' "$warns" | grep -c -e aaaaaaaa -e 25470010)" "0"
stop_server TERM
done_testing
