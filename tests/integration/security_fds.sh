#!/bin/sh
# Closed by default: descriptors and file modes (interfaces.md).
#
# The gateway starts with a soft open-file limit of 64 under a hard one of
# 256: it raises the soft limit to the hard one, caps its HTTP connections
# below it, and when 300 idle keep-alive connections pile up it closes the
# idle ones longest idle (logged) so that webhooks are still answered and
# replies still reach the provider. Its umask is 077: the database and its
# -wal and -shm files are 0600, and so is a database a command creates; an
# existing database others may read is left as it is, with a warning.
. "$SRCDIR/tests/integration/lib.sh"
: "${IDLE_CONNS:?IDLE_CONNS must name the built idle_conns helper}"
plan 16
N=300
umask 022

# mode FILE: its permission bits in octal ("600").
mode() {
	stat -c %a "$1" 2>/dev/null || echo missing
}

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
write_config "default_channel = at
$(at_channel)
rate = 1000/s"
cat >"$T/flows/ping.flow" <<'FLOW'
flow ping
  on keyword PING
  say "PONG {rest}"
FLOW

# start_server, in a subshell of its own file limits: soft 64, hard 256.
: >"$T/serve.log"
(ulimit -S -n 64 && ulimit -H -n 256 && exec "$BARAZA" -c "$T/baraza.conf" serve 2>>"$T/serve.log") &
SERVE_PID=$!
wait_for 10 grep -q 'listening addr=' "$T/serve.log" || {
	sed 's/^/#   /' "$T/serve.log"
	echo "Bail out! the gateway did not start"
	exit 1
}
PORT=$(sed -n 's/.*listening addr=127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$T/serve.log" | tail -n 1)

# --- Descriptors ---
limits=$(awk '/Max open files/ { print $4, $5 }' /proc/$SERVE_PID/limits)
is "the soft open-file limit is raised to the hard one" "$limits" "256 256"
like "the raise is logged at info" "$(grep 'open files' "$T/serve.log")" 'INFO gateway: open files limit=256 was=64'
cap=$(sed -n 's/.*connections capped max=\([0-9]*\).*/\1/p' "$T/serve.log" | head -n 1)
echo "# $(grep 'connections capped' "$T/serve.log")"
check "connections are capped below the file limit (max=$cap)" [ "${cap:-999}" -lt 240 ]
is "the process umask is 077" "$(awk '/^Umask:/ { print $2 }' /proc/$SERVE_PID/status)" "0077"

"$IDLE_CONNS" --port "$PORT" --count $N --hold 12 --request --ready "$T/ready" >"$T/idle.out" 2>"$T/idle.err" &
idle=$!
check "$N keep-alive connections are opened" wait_for 30 grep -qs "connected $N" "$T/ready"
head -n 3 "$T/idle.err" | sed 's/^/#   /'

# Webhooks keep being answered meanwhile, each on a new connection.
: >"$T/codes"
i=1
while [ $i -le 10 ]; do
	curl -s -o /dev/null -m 10 -w '%{http_code}\n' -d "id=fd-$i" -d "from=07000000$(printf %02d $i)" \
	    -d to=40404 -d "text=PING $i" -d date=2026-11-29 \
	    "http://127.0.0.1:$PORT/hooks/at/sms?secret=$HOOK_SECRET" >>"$T/codes"
	i=$((i + 1))
done
is "every webhook is answered 200" "$(sort "$T/codes" | uniq -c | awk '{ print $1, $2 }')" "10 200"
check "the replies reach the provider" wait_for 20 sh -c "[ \$(grep -c 'PONG ' '$T/fake.log') -ge 10 ]"
is "every webhook is stored" "$(sql "select count(*) from messages where direction='in' and provider_id like 'fd-%'")" "10"
shed=$(grep 'connections short' "$T/serve.log" | head -n 1)
echo "# $shed"
like "closing idle connections is logged, with a count" "$shed" 'WARN http: connections short: .*shed=[1-9]'
wait $idle
echo "# idle_conns: $(cat "$T/idle.out")"
left=$(sed -n 's/^open \([0-9]*\) closed.*/\1/p' "$T/idle.out")
check "the rest were closed: $left left open, at most the cap" [ "${left:-999}" -le "${cap:-0}" ]

# --- File modes ---
is "the database, -wal and -shm files are 0600" \
    "$(mode "$T/baraza.db") $(mode "$T/baraza.db-wal") $(mode "$T/baraza.db-shm")" "600 600 600"
stop_server TERM
check "the gateway stops cleanly" [ $? -eq 0 ]

# A database a command creates is private too.
sed 's/^database = baraza.db$/database = fresh.db/' "$T/baraza.conf" >"$T/fresh.conf"
"$BARAZA" -c "$T/fresh.conf" send 0700000099 "hello" >"$T/send.out" 2>&1
check "baraza send creates a fresh database" [ -f "$T/fresh.db" ]
is "a database created by a command is 0600" "$(mode "$T/fresh.db")" "600"

# An existing database others may read is left so, with a warning.
chmod 640 "$T/baraza.db"
start_server || { echo "Bail out! the gateway did not start again"; exit 1; }
stop_server TERM
is "it is left as it was" "$(mode "$T/baraza.db")" "640"
like "a database readable by others is logged at start" "$(grep 'readable by others' "$T/serve.log")" 'WARN store: .*path=[^ ]*baraza\.db mode=0640'
done_testing
