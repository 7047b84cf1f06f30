#!/bin/sh
# Drill: 2,000 idle connections, each holding a partial request, while
# /healthz and webhooks keep being answered. /metrics counts the
# connections, and the server's 10 s request timeout closes the idle ones.
# The gateway runs under `ulimit -n 4096` (it needs more than 2,100 files).
. "$SRCDIR/tests/integration/lib.sh"
: "${IDLE_CONNS:?IDLE_CONNS must name the built idle_conns helper}"
plan 8
N=2000

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = web
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
signing_key = $SIGNING_KEY
rate = 1000/s"
cat >"$T/flows/ping.flow" <<'FLOW'
flow ping
  on keyword PING
  say "PONG {rest}"
FLOW
# start_server with the gateway in a subshell of its own file limit.
: >"$T/serve.log"
(ulimit -n 4096 && exec "$BARAZA" -c "$T/baraza.conf" serve 2>>"$T/serve.log") &
SERVE_PID=$!
wait_for 10 grep -q 'listening addr=' "$T/serve.log" || { echo "Bail out! the gateway did not start"; exit 1; }
PORT=$(sed -n 's/.*listening addr=127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$T/serve.log" | tail -n 1)
ok "the gateway runs with $(awk '/Max open files/ { print $4 }' /proc/$SERVE_PID/limits) files at most"

"$IDLE_CONNS" --port "$PORT" --count $N --hold 25 --partial --ready "$T/ready" >"$T/idle.out" 2>"$T/idle.err" &
idle=$!
check "$N idle connections are opened" wait_for 30 grep -qs "connected $N" "$T/ready"
cat "$T/idle.err" | head -n 3 | sed 's/^/#   /'
conns=$(http GET /metrics | sed -n 's/^baraza_http_connections \([0-9]*\).*/\1/p')
echo "# baraza_http_connections with the idle ones open: $conns"
check "/metrics counts them (at least $N)" [ "${conns:-0}" -ge $N ]

# Requests keep being answered meanwhile: time 20 /healthz and 20 webhooks.
: >"$T/times"
: >"$T/codes"
i=1
while [ $i -le 20 ]; do
	curl -s -o /dev/null -m 10 -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$PORT/healthz" >>"$T/times"
	body="{\"id\":\"i$i\",\"from\":\"+2547$(printf %08d $i)\",\"to\":\"40404\",\"text\":\"PING $i\"}"
	sig=$(baraza_sig "$body")
	curl -s -o /dev/null -m 10 -w '%{http_code} %{time_total}\n' -H 'Content-Type: application/json' \
	    -H "X-Baraza-Signature: $sig" -d "$body" \
	    "http://127.0.0.1:$PORT/hooks/web/sms" >>"$T/times"
	i=$((i + 1))
done
is "every request is answered 200" "$(awk '$1 != 200' "$T/times" | head -n 3)" ""
p50=$(awk '{ print $2 * 1000 }' "$T/times" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
max=$(awk '{ print $2 * 1000 }' "$T/times" | sort -n | tail -n 1)
echo "# latency with $N idle connections: p50 ${p50} ms, max ${max} ms (40 requests)"
check "the replies reach the provider" wait_for 20 sh -c "[ \$(grep -c '\"text\":\"PONG ' '$T/fake.log') -ge 20 ]"

# The 10 s request timeout closes the partial requests.
wait $idle
echo "# idle_conns: $(cat "$T/idle.out")"
like "the server closed every idle connection" "$(cat "$T/idle.out")" '^open 0 closed '"$N"' '
first=$(sed -n 's/.*first_close_ms \([0-9-]*\).*/\1/p' "$T/idle.out")
check "not before the 10 s request timeout (first close after ${first} ms)" [ "${first:-0}" -ge 9500 ]
conns=$(http GET /metrics | sed -n 's/^baraza_http_connections \([0-9]*\).*/\1/p')
echo "# baraza_http_connections afterwards: $conns"
check "/metrics shows them gone" [ "${conns:-9999}" -le 5 ]
stop_server TERM
done_testing
