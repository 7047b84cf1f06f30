# tests/integration/lib.sh: helpers for shell integration tests, which speak
# TAP (automake's tap-driver counts each `ok`). Source it, then call `plan N`.
#
# Every test runs in its own temporary folder, starts the real daemon on
# 127.0.0.1 with port 0 (the daemon logs the port it got), and cleans up on
# exit. Every wait is bounded.
set -u

: "${BARAZA:?BARAZA must name the built baraza binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

T=$(mktemp -d "${TMPDIR:-/tmp}/baraza-test.XXXXXX")
tap_n=0
tap_failed=0
SERVE_PID=
PORT=

# On PostgreSQL (issue 16): with BARAZA_ON_PG=1 the test's store is a
# database of its own on a throwaway server (BARAZA_TEST_PG's, else one
# started for this test), and sql() asks it with psql. DB names it.
DB=baraza.db
PG_DIR=
PG_SERVER=
if [ "${BARAZA_ON_PG:-0}" = 1 ]; then
	if [ -n "${BARAZA_TEST_PG:-}" ]; then
		PG_SERVER=$BARAZA_TEST_PG
	else
		set -- $("$SRCDIR/scripts/pg-tmp" start) || exit 1
		PG_DIR=$1
		PG_SERVER=$2
	fi
	pg_name="t$$_$(date +%s)"
	psql -Xq "$PG_SERVER" -c "CREATE DATABASE $pg_name" >/dev/null || exit 1
	DB=${PG_SERVER%/*}/$pg_name
	# The tests' own queries are SQLite's: group_concat for them here.
	psql -Xq "$DB" >/dev/null <<'SQL' || exit 1
CREATE FUNCTION baraza_test_gc(acc text, v anyelement, sep text) RETURNS text
    AS $$ SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v::text
    ELSE acc || sep || v::text END $$ LANGUAGE SQL IMMUTABLE;
CREATE FUNCTION baraza_test_gc1(acc text, v anyelement) RETURNS text
    AS $$ SELECT baraza_test_gc(acc, v, ',') $$ LANGUAGE SQL IMMUTABLE;
CREATE AGGREGATE group_concat(anyelement, text)
    (SFUNC = baraza_test_gc, STYPE = text);
CREATE AGGREGATE group_concat(anyelement)
    (SFUNC = baraza_test_gc1, STYPE = text);
SQL
fi

cleanup() {
	if [ -n "$SERVE_PID" ]; then
		kill -9 "$SERVE_PID" 2>/dev/null
		wait "$SERVE_PID" 2>/dev/null
	fi
	if [ -n "$PG_DIR" ]; then
		"$SRCDIR/scripts/pg-tmp" stop "$PG_DIR"
	elif [ -n "$PG_SERVER" ] && [ "$tap_failed" -eq 0 ]; then
		psql -Xq "$PG_SERVER" -c "DROP DATABASE IF EXISTS $pg_name" >/dev/null 2>&1
	fi
	if [ "$tap_failed" -eq 0 ]; then
		rm -rf "$T"
	else
		echo "# test folder kept: $T"
	fi
}
trap cleanup EXIT

plan() { echo "1..$1"; }

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

# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   got:  %s\n#   want: %s\n' "$2" "$3" | head -20
	fi
}

# like DESCRIPTION GOT PATTERN (grep -E)
like() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   got:  %s\n#   want: /%s/\n' "$2" "$3" | head -20
	fi
}

# write_config [EXTRA GATEWAY LINES]: a minimal config in $T/baraza.conf;
# more sections can be appended to the file afterwards.
write_config() {
	mkdir -p "$T/flows"
	cat >"$T/baraza.conf" <<CONF
[gateway]
listen = 127.0.0.1:0
database = $DB
flows = flows
admin_token = test-token
log_level = debug
country_code = 254
$*
CONF
}

# drill_config RATE [LINES]: the config of the load drills, `durability =
# full` (then LINES, more [gateway] settings) and one channel `web` of type
# http to the fake provider at RATE, unsigned: a drill about something else
# keeps its thousands of requests one curl each (security_hooks.sh covers
# signatures). Then drill_flows [--loop] writes flows/ping.flow: PING is
# answered "PONG {rest}", and with --loop the USSD menu *500# goes round
# until "Quit".
drill_config() {
	write_config "durability = full
${2:+$2
}default_channel = web
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
rate = $1
allow_unsigned = yes"
}

drill_flows() {
	cat >"$T/flows/ping.flow" <<'FLOW'
flow ping
  on keyword PING
  say "PONG {rest}"
FLOW
	[ "${1:-}" = --loop ] || return 0
	cat >>"$T/flows/ping.flow" <<'FLOW'

flow loop "Loop"
  on ussd *500#

  step top
  menu pick "Loop menu:"
    option "Again" -> top
    option "Quit" -> bye

  step bye
  end "Bye"
FLOW
}

# signed_web_config [LINES]: LINES in [gateway], then the one channel `web`
# of type http to the fake provider at 1000/s, its requests signed
# (signing_key): for the outage drills, whose requests are few.
signed_web_config() {
	write_config "${1:+$1
}default_channel = web
[channel web]
type = http
api_url = http://127.0.0.1:$FAKE_PORT/send
signing_key = $SIGNING_KEY
rate = 1000/s"
}

# away_from_midnight SECONDS: when the next local midnight is less than
# SECONDS away, sleeps past it, so that a test that counts "today" (spend,
# a day's messages) runs within one day, whenever it is started.
away_from_midnight() {
	_mid=$(date -d "tomorrow 00:00" +%s 2>/dev/null ||
	    date -d "tomorrow 01:00" +%s)
	_left=$((_mid - $(date +%s)))
	if [ "$_left" -lt "$1" ]; then
		echo "# $_left s before midnight: waiting for the next day"
		sleep $((_left + 2))
	fi
	return 0
}

# start_server: run `baraza serve` in the background and wait (at most 10 s)
# until it listens; sets SERVE_PID and PORT.
start_server() {
	: >"$T/serve.log"
	"$BARAZA" -c "$T/baraza.conf" serve 2>>"$T/serve.log" &
	SERVE_PID=$!
	i=0
	while [ $i -lt 100 ]; do
		PORT=$(sed -n 's/.*listening addr=127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$T/serve.log" | tail -n 1)
		[ -n "$PORT" ] && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "# server did not start:"
	sed 's/^/#   /' "$T/serve.log"
	return 1
}

# stop_server [SIGNAL [SECONDS]]: stop it and wait at most SECONDS (10) before
# a kill -9; returns its exit status.
stop_server() {
	sig=${1:-TERM}
	kill -"$sig" "$SERVE_PID" 2>/dev/null
	i=0
	while kill -0 "$SERVE_PID" 2>/dev/null && [ $i -lt $((${2:-10} * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$SERVE_PID" 2>/dev/null; then
		kill -9 "$SERVE_PID"
	fi
	wait "$SERVE_PID"
	rc=$?
	SERVE_PID=
	# A clean stop closes every handle it opened.
	if [ $rc -eq 0 ] && grep -q 'handles left open' "$T/serve.log"; then
		echo "# the gateway left handles open:"
		grep 'left open' "$T/serve.log" | sed 's/^/#   /'
		rc=1
	fi
	return $rc
}

# http METHOD PATH [CURL ARGS...]: prints "STATUS BODY".
http() {
	m=$1
	p=$2
	shift 2
	curl -s -m 10 -o "$T/body" -w '%{http_code}' -X "$m" "$@" \
	    "http://127.0.0.1:$PORT$p" >"$T/status" 2>/dev/null
	printf '%s %s' "$(cat "$T/status")" "$(cat "$T/body")"
}

# done_testing: exit non-zero when a test failed.
done_testing() {
	[ "$tap_failed" -eq 0 ]
}

# Webhooks are authenticated (interfaces.md, "Closed by default"): the
# channels tests configure carry these, and the helpers below send them.
HOOK_SECRET=test-hook-secret  # webhook_secret of africastalking and kannel
SIGNING_KEY=test-signing-key  # signing_key of http channels

# at_channel [NAME [PORT]]: the config section of an Africa's Talking
# channel (default name "at") that sends to the fake provider (on PORT,
# default $FAKE_PORT) and takes webhooks with $HOOK_SECRET; call it after
# start_fake.
at_channel() {
	cat <<SECTION
[channel ${1:-at}]
type = africastalking
username = sandbox
api_key = at-key
sender = 40404
api_url = http://127.0.0.1:${2:-$FAKE_PORT}
webhook_secret = $HOOK_SECRET
SECTION
}

# baraza_sig BODY [UNIX [KEY]]: the X-Baraza-Signature value for BODY,
# "t=UNIX,sha256=HEX", signed at UNIX (default now) with KEY (default
# $SIGNING_KEY).
baraza_sig() {
	_sig_t=${2:-$(date +%s)}
	printf 't=%s,sha256=%s' "$_sig_t" "$(printf '%s.%s' "$_sig_t" "$1" |
	    openssl dgst -sha256 -hmac "${3:-$SIGNING_KEY}" | awk '{ print $NF }')"
}

# hook_json PATH BODY [CURL ARGS...]: POST the JSON webhook BODY signed
# with $SIGNING_KEY now; prints "STATUS BODY" as http does.
hook_json() {
	_hj_p=$1
	_hj_b=$2
	shift 2
	http POST "$_hj_p" -H 'Content-Type: application/json' \
	    -H "X-Baraza-Signature: $(baraza_sig "$_hj_b")" -d "$_hj_b" "$@"
}

# start_fake [FAKE ARGS...]: run the fake provider in the background (with
# extra arguments such as --signing-key KEY); sets FAKE_PID and FAKE_PORT;
# its requests are logged, one JSON line each, in $T/fake.log.
FAKE_PID=
start_fake() {
	: "${FAKE_PROVIDER:?FAKE_PROVIDER must name the built fake provider}"
	rm -f "$T/fake.port"
	"$FAKE_PROVIDER" --port-file "$T/fake.port" --log "$T/fake.log" "$@" \
	    2>"$T/fake.err" &
	FAKE_PID=$!
	i=0
	while [ ! -s "$T/fake.port" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	FAKE_PORT=$(cat "$T/fake.port" 2>/dev/null)
	[ -n "$FAKE_PORT" ]
}

# fake_mode MODE [COUNT [PORT]]: how the fake provider (on PORT, default
# $FAKE_PORT) answers the next COUNT requests (none or empty: all of them,
# until told otherwise); true once it says so.
fake_mode() {
	curl -s -m 5 -X POST -d "{\"mode\":\"$1\"${2:+,\"count\":$2}}" \
	    "http://127.0.0.1:${3:-$FAKE_PORT}/_control" |
	    grep -q "\"mode\": *\"$1\""
}

# wait_for SECONDS COMMAND...: retry the command every 0.1 s until it
# succeeds or the time is up.
wait_for() {
	limit=$(($1 * 10))
	shift
	i=0
	while [ $i -lt $limit ]; do
		"$@" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# fake_count PATTERN: requests the fake provider logged matching PATTERN.
fake_count() {
	grep -c -- "$1" "$T/fake.log" 2>/dev/null || true
}

# sql QUERY: run a query on the test database.
sql() {
	if [ -n "$PG_SERVER" ]; then
		# SQLite answers a comparison 1 or 0, PostgreSQL t or f.
		psql -XAtq "$DB" -c "$1" |
		    sed -E 's/(^|[|])t($|[|])/\11\2/g; s/(^|[|])t($|[|])/\11\2/g;
			s/(^|[|])f($|[|])/\10\2/g; s/(^|[|])f($|[|])/\10\2/g'
	else
		sqlite3 -cmd '.timeout 5000' "$T/baraza.db" "$1"
	fi
}

# sql_is QUERY WANT: true when the query answers WANT (for wait_for).
sql_is() { [ "$(sql "$1")" = "$2" ]; }

# sql_script: run the SQL statements on standard input (quietly).
sql_script() {
	if [ -n "$PG_SERVER" ]; then
		psql -XAtq -v ON_ERROR_STOP=1 "$DB" >/dev/null
	else
		sqlite3 -cmd '.timeout 5000' "$T/baraza.db" >/dev/null
	fi
}

# sql_hex COLUMN: SQL for a blob column's bytes in lower-case hex.
sql_hex() {
	if [ -n "$PG_SERVER" ]; then
		echo "encode($1, 'hex')"
	else
		echo "lower(hex($1))"
	fi
}

# sql_ids TABLE...: after rows were inserted with ids of the test's own,
# the next ids the gateway draws come after them (PostgreSQL's identity
# sequences do not follow inserted ids; SQLite's rowids do).
sql_ids() {
	[ -n "$PG_SERVER" ] || return 0
	for _t in "$@"; do
		sql "SELECT setval(pg_get_serial_sequence('$_t', 'id'), (SELECT max(id) FROM $_t))" >/dev/null
	done
}

# sql_dump FILE: the whole test database as SQL text, into FILE.
sql_dump() {
	if [ -n "$PG_SERVER" ]; then
		pg_dump --no-owner "$DB" >"$1"
	else
		sqlite3 -cmd '.timeout 5000' "$T/baraza.db" .dump >"$1"
	fi
}

_cleanup_fake() {
	if [ -n "$FAKE_PID" ]; then
		kill "$FAKE_PID" 2>/dev/null
		wait "$FAKE_PID" 2>/dev/null
	fi
}
trap '_cleanup_fake; cleanup' EXIT
