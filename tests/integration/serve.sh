#!/bin/sh
# The foundation, end to end: baraza version, check, serve, the HTTP limits
# and the stop. Talks only to 127.0.0.1.
. "$SRCDIR/tests/integration/lib.sh"
plan 44

out=$("$BARAZA" version | tr '\n' ' ')
like "version names baraza" "$out" '^baraza [0-9]'
like "version names the libraries" "$out" 'libuv .*libcurl .*SQLite .*PCRE2 .*libGammu'

"$BARAZA" frobnicate 2>"$T/err"
is "an unknown command exits 2" "$?" 2
for h in -h --help help; do
	"$BARAZA" $h >"$T/out" 2>"$T/err" && grep -q '^usage: baraza' "$T/out"
	is "baraza $h prints the usage on stdout and exits 0" "$?:$(wc -c <"$T/err")" "0:0"
done
# A command's usage, before there is a config to read (-c names none).
for a in "serve --help" "copy-store -h" "help simulate"; do
	"$BARAZA" -c "$T/none.conf" $a >"$T/out" 2>"$T/err"
	is "baraza $a prints the command's usage and exits 0" "$?:$(wc -c <"$T/err")" "0:0"
done
like "the usage names the command's arguments" "$(cat "$T/out")" '^usage: baraza \[-c FILE\] simulate \[--ussd CODE'
"$BARAZA" help frobnicate >"$T/out" 2>"$T/err"
is "help of an unknown command exits 2" "$?" 2

# A database in a folder that does not exist: check warns, serve says so.
mkdir -p "$T/nofolder/flows"
printf '[gateway]\nlisten = 127.0.0.1:0\ndatabase = %s/gone/baraza.db\nflows = flows\n' "$T" >"$T/nofolder/baraza.conf"
"$BARAZA" -c "$T/nofolder/baraza.conf" check >"$T/out" 2>"$T/err"
is "check passes a database whose folder is missing, with a warning" "$?" 0
like "the warning names the folder" "$(cat "$T/err")" "warning: database: the folder $T/gone does not exist"
"$BARAZA" -c "$T/nofolder/baraza.conf" serve 2>"$T/err"
is "serve then exits 1" "$?" 1
like "saying which folder" "$(cat "$T/err")" "the database's folder $T/gone does not exist"

# A config with two errors: both reported with file and line.
mkdir -p "$T/bad/flows"
cat >"$T/bad/baraza.conf" <<CONF
[gateway]
listen = 127.0.0.1:0
session_timeout = soon
colour = blue
CONF
"$BARAZA" -c "$T/bad/baraza.conf" check 2>"$T/err"
is "check exits 1 on a bad config" "$?" 1
like "check names file and line of a bad value" "$(cat "$T/err")" "baraza.conf:3: error: session_timeout"
like "check reports every finding" "$(cat "$T/err")" "baraza.conf:4: error: .*colou?r"
"$BARAZA" -c "$T/bad/baraza.conf" serve 2>"$T/err"
is "serve exits 2 on a bad config" "$?" 2
"$BARAZA" -c "$T/nonexistent.conf" serve 2>"$T/err"
is "serve exits 2 without a config" "$?" 2

# Flows with errors refuse the start before the database is created.
mkdir -p "$T/badflows/flows"
printf 'flow broken\n  goto nowhere\n' >"$T/badflows/flows/a.flow"
printf '[gateway]\nlisten = 127.0.0.1:0\nadmin_token = t\n' >"$T/badflows/baraza.conf"
"$BARAZA" -c "$T/badflows/baraza.conf" serve 2>"$T/err"
is "serve exits 1 on flows with errors" "$?" 1
like "and names the finding" "$(cat "$T/err")" "a\\.flow:2:8: error: unknown step 'nowhere'"
is "no database was made for it" "$(ls "$T/badflows" | grep -c '\\.db$')" 0

write_config
"$BARAZA" -c "$T/baraza.conf" check >"$T/out" 2>&1
is "check exits 0 on a good config" "$?" 0

start_server || exit 1
ok "serve starts and listens on the port it logs"
is "GET /healthz" "$(http GET /healthz)" "200 ok"
is "its body is the two bytes ok, no newline" "$(wc -c <"$T/body" | tr -d ' ')" 2
is "unknown path is 404" "$(http GET /nowhere | cut -c1-3)" "404"
is "POST /healthz is 405" "$(http POST /healthz | cut -c1-3)" "405"
is "webhook of an unknown channel is 404" "$(http POST /hooks/nope/sms | cut -c1-3)" "404"
is "the admin API wants a token" "$(http GET /api/v1/messages/1 | cut -c1-3)" "401"
like "/metrics is Prometheus text" "$(http GET /metrics | tr '\n' ' ')" '^200 .*# TYPE baraza_'

# Limits: each cut-off closes that connection while the server goes on.
head -c 10485760 /dev/zero | tr '\0' 'a' >"$T/big"
is "a 10 MiB body is 413" "$(http POST /healthz --data-binary @"$T/big" | cut -c1-3)" "413"
hdrs=
i=0
while [ $i -lt 1000 ]; do
	hdrs="$hdrs -H X-H$i:v"
	i=$((i + 1))
done
# shellcheck disable=SC2086
is "1,000 headers are 431" "$(http GET /healthz $hdrs | cut -c1-3)" "431"

# A request dribbled too slowly gets 408 after 10 s; others are served meanwhile.
# (bash for /dev/tcp.)
PORT=$PORT T=$T bash -c '
	exec 3<>"/dev/tcp/127.0.0.1/$PORT"
	printf "GET /healthz HTTP/1.1\r\n" >&3
	i=0
	while [ $i -lt 12 ]; do
		printf X >&3 2>/dev/null || break
		sleep 1
		i=$((i + 1))
	done
	timeout 5 cat <&3 >"$T/slow" 2>/dev/null
' &
slow=$!
sleep 2
is "others are answered while one client dribbles" "$(http GET /healthz)" "200 ok"
wait $slow
like "the dribbling client gets 408" "$(head -n 1 "$T/slow")" "^HTTP/1.1 408"
is "the server still answers after the limits" "$(http GET /healthz)" "200 ok"

# Keep-alive: two requests on one connection.
n=$(curl -s -m 5 -w '%{num_connects}\n' -o /dev/null "http://127.0.0.1:$PORT/healthz" -o /dev/null "http://127.0.0.1:$PORT/healthz" | awk '{ s += $1 } END { print s }')
is "two requests share one connection" "$n" "1"

# Port in use: a second gateway (of another database: one on the same is
# refused before it listens, backup.sh) on the same port says so and exits 1.
sed -e "s/^listen = .*/listen = 127.0.0.1:$PORT/" \
    -e "s|^database = .*|database = $T/two.db|" "$T/baraza.conf" >"$T/two.conf"
"$BARAZA" -c "$T/two.conf" serve 2>"$T/err"
is "a port in use exits 1" "$?" 1
like "a port in use is one clear line" "$(cat "$T/err")" "cannot listen on 127.0.0.1:$PORT: address already in use"

start=$(date +%s)
stop_server TERM
is "SIGTERM stops with status 0" "$?" 0
end=$(date +%s)
check "the stop took under 5 s" [ $((end - start)) -lt 5 ]

# An unwritable database is one clear line and exit 1.
# (A file where a folder should be: root may write anywhere else.)
: >"$T/afile"
sed "s|^database = .*|database = $T/afile/baraza.db|" "$T/baraza.conf" >"$T/ro.conf"
"$BARAZA" -c "$T/ro.conf" serve 2>"$T/err"
is "an unwritable database exits 1" "$?" 1
is "an unwritable database is one line" "$(wc -l <"$T/err")" 1
done_testing
