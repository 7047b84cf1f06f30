#!/bin/sh
# The flood guard end to end: one number sending past sender_limit, among
# a stream of other numbers, has its extra messages stored but not answered,
# while every other number is answered; all webhooks get 200, and the guard
# logs the flooder once, masked. (The 200,000-number churn through the
# guard's bounded map is in tests/unit/test_queue.c: test_flood_churn.)
. "$SRCDIR/tests/integration/lib.sh"
plan 9

NOTHERS=300
F=+254711111111
write_config "default_channel = at
sender_limit = 3/min
[channel at]
type = africastalking
username = sandbox
api_key = at-key
sender = 40404
api_url = http://127.0.0.1:9/
webhook_secret = $HOOK_SECRET"
cat >"$T/flows/ping.flow" <<'FLOW'
flow ping
  on keyword PING
  say "PONG"
FLOW
# Numbers are masked in logs below debug level.
sed -i 's/^log_level = debug$/log_level = info/' "$T/baraza.conf"
start_server || exit 1

# One curl, one keep-alive connection: the flooder sends every 25th
# request, 13 in all, between 300 other numbers.
url="http://127.0.0.1:$PORT/hooks/at/sms?secret=$HOOK_SECRET"
awk -v n=$NOTHERS -v url="$url" -v f="$F" 'BEGIN {
	k = 0
	for (i = 0; i <= n; i++) {
		if (i % 25 == 0) {
			k++
			printf "url = \"%s\"\ndata = \"id=f%d&from=%%2B%s&to=40404&text=PING\"\n", url, k, substr(f, 2)
			print "output = /dev/null\nwrite-out = \"%{http_code}\\n\"\nnext"
		}
		if (i < n) {
			printf "url = \"%s\"\ndata = \"id=o%d&from=%%2B2547220%05d&to=40404&text=PING\"\n", url, i, i
			print "output = /dev/null\nwrite-out = \"%{http_code}\\n\"\nnext"
		}
	}
}' >"$T/load.cfg"
curl -s -m 60 -K "$T/load.cfg" >"$T/codes" 2>/dev/null
is "every webhook is answered" "$(wc -l <"$T/codes" | tr -d ' ')" "$((NOTHERS + 13))"
is "every webhook gets 200" "$(grep -vc '^200$' "$T/codes")" "0"

# Stored in one transaction per turn: wait until all are handled or ignored.
settled() {
	[ "$(sql "select count(*) from messages where direction = 'in' and state = 'received'")" = 0 ]
}
check "every message is handled" wait_for 10 settled
is "the flooder's first 3 are handled" \
    "$(sql "select count(*) from messages where direction = 'in' and phone = '$F' and state = 'handled'")" "3"
is "the flooder's other 10 are stored, not answered" \
    "$(sql "select count(*) from messages where direction = 'in' and phone = '$F' and state = 'ignored'")" "10"
is "each is kept with the flooder's contact (its conversation shows them)" \
    "$(sql "select count(contact_id) from messages where direction = 'in' and phone = '$F'")" "13"
is "the flooder gets 3 replies" \
    "$(sql "select count(*) from messages where direction = 'out' and phone = '$F'")" "3"
is "every other number gets its reply" \
    "$(sql "select count(distinct phone) from messages where direction = 'out' and phone like '+2547220%' and text = 'PONG'")" "$NOTHERS"
is "the flooder is logged once, masked" \
    "$(grep 'flood guard: messages stored but not answered' "$T/serve.log" | grep -c 'phone=+254\*\{7\}11')" "1"
stop_server >/dev/null
done_testing
