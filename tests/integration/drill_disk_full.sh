#!/bin/sh
# Drill: the disk fills up. The database lives on a small tmpfs that also
# holds a filler file; webhooks (generic http channel, JSON SMS, unique ids,
# each answered by a reply through the queue) come until the gateway answers
# 503. A webhook is never acknowledged (200) without the message being
# stored, the gateway does not crash, and once the filler is deleted and
# the gateway restarted it works again with nothing acknowledged missing.
. "$SRCDIR/tests/integration/lib.sh"

DISK=$T/disk
mkdir -p "$DISK"
if ! mount -t tmpfs -o size=4m tmpfs "$DISK" 2>/dev/null; then
	echo "1..0 # SKIP cannot mount tmpfs"
	exit 0
fi
drill_cleanup() {
	if [ -n "$SERVE_PID" ]; then
		kill -9 "$SERVE_PID" 2>/dev/null
		wait "$SERVE_PID" 2>/dev/null
		SERVE_PID=
	fi
	if [ "$tap_failed" -ne 0 ]; then
		mkdir -p "$T/disk-kept"
		cp -p "$DISK"/* "$T/disk-kept/" 2>/dev/null
	fi
	umount "$DISK" 2>/dev/null || umount -l "$DISK"
	cleanup
}
trap '_cleanup_fake; drill_cleanup' EXIT
sql() { sqlite3 -cmd '.timeout 5000' "$DISK/baraza.db" "$1"; }

plan 20
# Messages of 1,000 characters fill the 4 MiB quickly; at most NMAX are
# sent, and AFTER more once the first 503 came.
NMAX=4000
AFTER=60
PAR=4
FILL=$(printf '%01000d' 0 | tr 0 x)

start_fake || { echo "Bail out! the fake provider did not start"; exit 1; }
drill_config 1000/s
drill_flows
sed -i 's|^database = .*|database = disk/baraza.db|' "$T/baraza.conf"
# A filler file taken first, deleted later to free space: 2 MiB of the 4,
# so that a few hundred messages fill the rest even on a loaded machine
# where each curl takes a while to start.
dd if=/dev/zero of="$DISK/filler" bs=1024 count=2048 2>/dev/null
start_server || exit 1
sed -i "s/^listen = .*/listen = 127.0.0.1:$PORT/" "$T/baraza.conf"

send_one() { # id -> appends "id status" to $T/acks
	code=$(curl -s -o /dev/null -m 10 -w '%{http_code}' \
	    -H 'Content-Type: application/json' \
	    -d "{\"id\":\"d$1\",\"from\":\"+2547$(printf %08d "$1")\",\"to\":\"40404\",\"text\":\"PING $1 $FILL\"}" \
	    "http://127.0.0.1:$PORT/hooks/web/sms")
	echo "$1 $code" >>"$T/acks"
}

: >"$T/acks"
t0=$(date +%s)
i=1
first503=0
while [ $i -le $NMAX ]; do
	j=0
	pids=
	while [ $j -lt $PAR ] && [ $i -le $NMAX ]; do
		send_one $i &
		pids="$pids $!"
		i=$((i + 1))
		j=$((j + 1))
	done
	wait $pids
	if [ $first503 -eq 0 ] && grep -q ' 503$' "$T/acks"; then
		first503=$i
		NMAX=$((i + AFTER - 1))
	fi
	[ $(($(date +%s) - t0)) -lt 90 ] || break
done
sent=$((i - 1))
t1=$(date +%s)
acked=$(grep -c ' 200$' "$T/acks")
refused=$(grep -c ' 503$' "$T/acks")
echo "# sent $sent webhooks in $((t1 - t0)) s: $acked answered 200, $refused answered 503"
echo "# disk: $(du -k "$DISK"/baraza.db* | awk '{ printf "%s %s KiB; ", $2, $1 }' | sed "s|$DISK/||g")"
check "the disk filled up and webhooks got 503" [ "$first503" -gt 0 ]
check "messages were acknowledged before the disk filled" [ "$acked" -gt 0 ]
is "every answer is 200 or 503 (no error, no dropped connection)" \
    "$(awk '$2 != 200 && $2 != 503' "$T/acks" | head -n 5)" ""
after200=$(awk -v f="$first503" '$1 >= f + '"$PAR"' && $2 == 200' "$T/acks" | wc -l)
after503=$(awk -v f="$first503" '$1 >= f + '"$PAR"' && $2 == 503' "$T/acks" | wc -l)
echo "# after the first 503: $after503 more 503, $after200 more 200"
check "the gateway stays alive on a full disk" kill -0 "$SERVE_PID"
r=$(http GET /healthz)
echo "# /healthz on a full disk: $r"
like "/healthz still answers" "$r" '^(200|503) '
admin_post() {
	http POST /api/v1/messages -H "Authorization: Bearer test-token" \
	    -H "Idempotency-Key: full-disk-1" -d '{"to":"0700000001","text":"full disk"}'
}
r=$(admin_post)
api=$(echo "$r" | cut -c1-3)
echo "# POST /api/v1/messages on a full disk: $(echo "$r" | cut -c1-60)"
like "the admin API answers 202 or 503 (a small write may still fit)" "$api" '^(202|503)$'
grep -E 'commit failed|store write failed|full' "$T/serve.log" | head -n 3 | sed 's/^/#   serve.log: /'

stop_server TERM
rc=$?
echo "# exit status of the stop on a full disk: $rc"
check "the gateway stops without crashing (no signal)" [ "$rc" -lt 128 ]

# Copy the database out (the WAL holds what a checkpoint could not write).
mkdir -p "$T/copy"
cp "$DISK/baraza.db" "$T/copy/"
[ -f "$DISK/baraza.db-wal" ] && cp "$DISK/baraza.db-wal" "$T/copy/"
awk '$2 == 200 { print "(\x27d" $1 "\x27)," }' "$T/acks" | sort -u >"$T/acked.sql.in"
acked_sql() { # database file -> count of acknowledged messages missing in it
	{
		echo "CREATE TEMP TABLE acked (id TEXT PRIMARY KEY);"
		echo "INSERT INTO acked VALUES"
		cat "$T/acked.sql.in"
		echo "('none');"
		echo "SELECT count(*) FROM acked WHERE id <> 'none' AND id NOT IN"
		echo "  (SELECT provider_id FROM messages WHERE direction = 'in');"
	} | sqlite3 -cmd '.timeout 5000' "$1"
}
is "every acknowledged message is in the database copy" "$(acked_sql "$T/copy/baraza.db")" "0"
is "the admin API's message is in the copy exactly when it answered 202" \
    "$(sqlite3 "$T/copy/baraza.db" "select count(*) from messages where text = 'full disk'")" \
    "$([ "$api" = 202 ] && echo 1 || echo 0)"
stored=$(sqlite3 "$T/copy/baraza.db" "select count(*) from messages where direction='in'")
echo "# stored in the copy: $stored inbound (acknowledged: $acked)"

# Free space, restart, and the gateway works again.
cp "$T/serve.log" "$T/serve-full.log"
rm -f "$DISK/filler"
start_server || exit 1
ok "the gateway restarts once space is freed"
is "every acknowledged message is still there" "$(acked_sql "$DISK/baraza.db")" "0"
is "the admin API's message is there exactly when it answered 202" \
    "$(sql "select count(*) from messages where text = 'full disk'")" \
    "$([ "$api" = 202 ] && echo 1 || echo 0)"
r=$(admin_post)
like "the admin API client's retry with its Idempotency-Key is answered 202" "$r" '^202 '
is "and the message is there exactly once" \
    "$(sql "select count(*) from messages where text = 'full disk'")" "1"
send_one 999999
is "a new webhook is acknowledged" "$(tail -n 1 "$T/acks")" "999999 200"
check "its reply reaches the provider" wait_for 20 grep -q '"text":"PONG 999999 ' "$T/fake.log"

# A provider retries what got no 200; afterwards each message is stored
# once and answered once.
round=0
while [ $round -lt 5 ]; do
	awk '$2 == 200 { ok[$1] = 1 } $2 != 200 { no[$1] = 1 } END { for (i in no) if (!(i in ok)) print i }' "$T/acks" >"$T/retry"
	[ -s "$T/retry" ] || break
	while read -r i; do send_one "$i"; done <"$T/retry"
	round=$((round + 1))
done
total=$((sent + 1))
is "every message is acknowledged in the end" "$(awk '$2 == 200 { print $1 }' "$T/acks" | sort -u | wc -l)" "$total"
is "every message is stored once" "$(sql "select count(*), count(distinct provider_id) from messages where direction='in'")" "$total|$total"
check "the queue drains" wait_for 60 sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$DISK/baraza.db' \"select count(*) from messages where direction='out' and state <> 'sent'\")\" = 0 ]"
is "one reply per message" "$(sql "select count(*), count(distinct text) from messages where direction='out' and text like 'PONG %'")" "$total|$total"
stop_server TERM
done_testing
