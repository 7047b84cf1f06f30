#!/bin/sh
# tests/integration/modem_dummy.sh: the modem supervisor and the real worker
# against Gammu's dummy phone (a temporary folder), through the test driver
# tests/modem_harness (MODEM_HARNESS names it). Speaks TAP. Every wait is
# bounded; nothing leaves 127.0.0.1 or the temporary folder.
#
# Incoming SMS are injected as smsbackup files in PHONE/sms/1 (written to a
# temporary file, then renamed); what the worker sends is filed by it in
# the dummy phone's Outbox folder PHONE/sms/2.
set -u

: "${MODEM_HARNESS:?MODEM_HARNESS must name the built tests/modem_harness}"
H=$MODEM_HARNESS
T=$(mktemp -d "${TMPDIR:-/tmp}/baraza-modem.XXXXXX")
tap_n=0
tap_failed=0
HPID=

cleanup() {
	exec 3>&- 2>/dev/null
	if [ -n "$HPID" ]; then
		kill -9 "$HPID" 2>/dev/null
		wait "$HPID" 2>/dev/null
	fi
	if [ "$tap_failed" -eq 0 ]; then
		rm -rf "$T"
	else
		echo "# test folder kept: $T"
	fi
}
trap cleanup EXIT
# A harness that died must fail a check, not kill the script via SIGPIPE.
trap '' PIPE

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
}

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

# start PHONE OUT [OPTIONS...]: runs the harness, commands on fd 3.
start() {
	phone=$1
	OUT=$2
	shift 2
	rm -f "$T/cmd"
	mkfifo "$T/cmd"
	: >"$OUT"
	"$H" run "$phone" "$@" <"$T/cmd" >"$OUT" 2>>"$T/log" &
	HPID=$!
	exec 3>"$T/cmd"
}

# finish: stops the harness and waits for it.
finish() {
	echo stop >&3
	exec 3>&-
	wait "$HPID"
	rc=$?
	HPID=
	return $rc
}

cmd() { echo "$*" >&3; }

# count PATTERN: lines of OUT matching the basic regular expression.
count() { grep -c -- "$1" "$OUT"; }

# wait_for PATTERN [N [TENTHS]]: waits until N lines match (1), at most
# TENTHS tenths of a second (150).
wait_for() {
	i=0
	while [ "$i" -lt "${3:-150}" ]; do
		[ "$(count "$1")" -ge "${2:-1}" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "# timed out waiting for: $1" >&2
	return 1
}

# inbox_count PHONE: messages left on the phone's inbox.
inbox_count() { ls "$1/sms/1" 2>/dev/null | wc -l | tr -d ' '; }

# wait_inbox PHONE N: waits until the inbox holds N messages.
wait_inbox() {
	i=0
	while [ "$i" -lt 150 ]; do
		[ "$(inbox_count "$1")" -eq "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# text_of FROM: the JSON text of the first inbound message from FROM.
text_of() {
	sed -n "s/^inbound .* from=$1 .* text=\(.*\)\$/\1/p" "$OUT" | head -n 1
}

# MODEM_TEST_SLOW=1 adds the watchdog test, which takes over 30 s.
SLOW=${MODEM_TEST_SLOW:-0}
if [ "$SLOW" = 1 ]; then echo "1..38"; else echo "1..37"; fi

P=$T/phone
mkdir -p "$P"
start "$P" "$T/a.out" --poll 200ms --mp-timeout 3s --balance '*144#'
check "worker starts and reports the modem up" wait_for '^state up=1 signal=42'

# A plain message.
"$H" inject "$P" +254700000001 "Hello from one"
check "plain message arrives" wait_for 'from=+254700000001 '
check "plain message text is right" \
    test "$(text_of +254700000001)" = '"Hello from one"'
check "not deleted before ack" test "$(inbox_count "$P")" -eq 1

# Three parts, out of order, with time between them.
"$H" inject "$P" +254700000003 "part two, " 42 3 2
sleep 1
check "incomplete multipart message is held" \
    test "$(count 'from=+254700000003 ')" -eq 0
"$H" inject "$P" +254700000003 "part three." 42 3 3
"$H" inject "$P" +254700000003 "Part one, " 42 3 1
check "three-part message arrives" wait_for 'from=+254700000003 '
check "three-part message is whole and in order" \
    test "$(text_of +254700000003)" = '"Part one, part two, part three."'
check "three-part message counts its parts" \
    test "$(count 'parts=3 total=3 text="Part one')" -eq 1

# UCS-2.
"$H" inject "$P" +254700000004 "Habari ☺ ünïcode ✓"
check "UCS-2 message arrives" wait_for 'from=+254700000004 '
check "UCS-2 text is decoded to UTF-8" \
    test "$(text_of +254700000004)" = '"Habari ☺ ünïcode ✓"'

# Two senders, the same reference, parts interleaved.
"$H" inject "$P" +254700000005 "Alpha one, " 7 2 1
"$H" inject "$P" +254700000006 "Beta one, " 7 2 1
"$H" inject "$P" +254700000006 "Beta two." 7 2 2
"$H" inject "$P" +254700000005 "Alpha two." 7 2 2
check "both same-reference messages arrive" \
    wait_for 'from=+25470000000[56] ' 2
check "sender A's parts are not mixed with B's" \
    test "$(text_of +254700000005)" = '"Alpha one, Alpha two."'
check "sender B's parts are not mixed with A's" \
    test "$(text_of +254700000006)" = '"Beta one, Beta two."'

# Exactly once, and deleted only after ack.
sleep 1
check "each message handed over exactly once" test "$(count '^inbound')" -eq 5
check "all still on the phone before ack" test "$(inbox_count "$P")" -eq 9
cmd ackall
check "acked messages are deleted from the phone" wait_inbox "$P" 0

# A multipart message whose other part never comes.
"$H" inject "$P" +254700000007 "Only half" 99 2 1
check "partial message handed over after multipart_timeout" \
    wait_for 'from=+254700000007 parts=1 total=2 text="Only half"'
cmd ackall
check "the partial message is deleted after ack" wait_inbox "$P" 0

# Sending.
LONG=$(printf 'Long message %03d. ' $(seq 1 20))
cmd "send 1 +254711000001 Short reply"
cmd "send 2 +254711000002 $LONG"
cmd "send 3 +254711000003 Asante sana ☺"
check "short message sent" wait_for '^sent id=1 outcome=OK'
check "long message sent" wait_for '^sent id=2 outcome=OK'
check "UCS-2 message sent" wait_for '^sent id=3 outcome=OK'
"$H" dump "$P" 2 >"$T/outbox"
check "short message is in the outbox as one GSM-7 part" \
    grep -q 'from=+254711000001 coding=GSM-7 concat=0/0/0 text="Short reply"' \
    "$T/outbox"
parts=$(grep 'from=+254711000002 ' "$T/outbox" | sed -n 's/.*concat=\([0-9]*\)\/3\/[0-9]* .*/\1/p' | sort -u)
check "long message went as 3 parts with one reference" \
    test "$(grep -c 'from=+254711000002 coding=GSM-7 concat=[0-9]*/3/' "$T/outbox")" -eq 3 -a \
    "$(echo "$parts" | wc -l)" -eq 1
joined=$(grep 'from=+254711000002 ' "$T/outbox" | sort -t/ -k3n |
    sed 's/.*text="\(.*\)"$/\1/' | tr -d '\n')
check "long message parts join to the text" test "$joined" = "$LONG"
check "UCS-2 only when needed" grep -q \
    'from=+254711000003 coding=UCS-2 concat=0/0/0 text="Asante sana ☺"' \
    "$T/outbox"

cmd balance
check "balance answer comes back" wait_for '^balance text="Reply for \*144#"'

# kill -9 the worker with two messages handed over but not acked.
"$H" inject "$P" +254700000010 "Before the crash"
"$H" inject "$P" +254700000011 "Also before"
wait_for 'from=+254700000011 ' >/dev/null
old=$(sed -n 's/^inbound id=\([0-9]*\) .*from=+254700000010 .*/\1/p' "$OUT")
cmd kill
check "supervisor sees the worker die" wait_for '^state up=0'
"$H" inject "$P" +254700000012 "While it was down"
check "supervisor restarts the worker" wait_for '^state up=1' 2
check "unacked messages are offered again" \
    wait_for 'from=+25470000001[01] ' 4
check "with the same dedup key" \
    test "$(sed -n 's/^inbound .*key=\([^ ]*\) from=+254700000010 .*/\1/p' "$OUT" | sort -u | wc -l)" -eq 1
check "message injected while down is not lost" \
    wait_for 'from=+254700000012 '
cmd "ack $old"
check "an ack for the dead worker's id is refused" wait_for "^acked id=$old rc=-1"
cmd ackall
check "everything is deleted after the new acks" wait_inbox "$P" 0
check "harness stops cleanly" finish

# A crash with messages queued behind the rate limit: each comes back once.
# Five wait behind the first at 1/s, so some still wait at the kill even
# when the wait for the first takes seconds on a loaded machine.
start "$P" "$T/b.out" --poll 200ms --rate 1/s
wait_for '^state up=1' >/dev/null
cmd "send 11 +254711000011 first"
for id in 12 13 15 16 17; do
	cmd "send $id +2547110000$id queued $id"
done
wait_for '^sent id=11 outcome=OK' >/dev/null
cmd kill
wait_for '^state up=1' 2 >/dev/null
cmd "send 14 +254711000014 after restart"
wait_for '^sent id=14 ' 1 300 >/dev/null
n=0
for id in 11 12 13 14 15 16 17; do
	[ "$(count "^sent id=$id ")" -eq 1 ] && n=$((n + 1))
done
check "every accepted message gets exactly one outcome across a crash" \
    test "$n" -eq 7 -a "$(count '^sent id=1[2-7] outcome=TEMPFAIL')" -ge 1
finish >/dev/null

# Stopping from inside a callback while the dead worker's messages are
# handed back: at 1/min the second surely waits at the kill.
start "$P" "$T/e.out" --poll 200ms --rate 1/min --stop-on-tempfail
wait_for '^state up=1' >/dev/null
cmd "send 21 +254711000021 first"
cmd "send 22 +254711000022 second"
wait_for '^sent id=21 outcome=OK' >/dev/null
cmd kill
check "stopping from inside a callback ends cleanly" \
    eval "wait_for '^stopped' && wait \"\$HPID\""
exec 3>&-
HPID=

# Ingest rate: 1,000 messages waiting on the phone, acked at once.
Q=$T/load
"$H" inject-many "$Q" 1000 || exit 1
start "$Q" "$T/c.out" --poll 1s --auto-ack --report-at 1000
wait_for '^reached n=1000 ' 1 600 >/dev/null
wait_inbox "$Q" 0
echo "# ingest: 1000 waiting messages handed over" \
    "$(sed -n 's/^reached n=1000 ms=\([0-9]*\)/in \1 ms/p' "$OUT") from spawn"
check "1000 injected messages each arrive exactly once" \
    test "$(sed -n 's/^inbound .*from=\([^ ]*\) .*/\1/p' "$OUT" | sort -u | wc -l)" -eq 1000 \
    -a "$(count '^inbound')" -eq 1000
finish >/dev/null

# A hung worker (SIGSTOP) sends no heartbeat: killed and replaced.
if [ "$SLOW" = 1 ]; then
	start "$P" "$T/d.out" --poll 1s
	wait_for '^state up=1' >/dev/null
	cmd freeze
	check "a silent worker is killed and restarted" \
	    eval "wait_for '^state up=0' 1 450 && wait_for '^state up=1' 2 100"
	finish >/dev/null
fi

exit $((tap_failed > 0))
